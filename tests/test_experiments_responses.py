"""The Fig. 7 analysis: statistics, the |γ| cross-check, files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from cifar_files import write_cifar

import minires
from minires import models
from minires.errors import InputError
from minires.experiments import extreme_images, largest_responses, response_stds, responses
from minires.train import TrainConfig, train


def test_pooled_std_matches_numpy() -> None:
    model = models.get("resnet8").eval()
    images = minires.randn(24, 3, 32, 32).numpy()
    names, stds = response_stds(model, images, batch_size=10)
    direct = models.layer_responses(model, minires.tensor(images))
    assert names == [n for n, _ in direct]
    np.testing.assert_allclose(stds, [r.std() for _, r in direct], rtol=1e-4)


def test_per_channel_std_in_batch_mode_equals_abs_gamma() -> None:
    model = models.get("plain8")
    bns = [bn for _, bn in models.response_layers(model)]
    for bn in bns:
        bn.weight.data = (0.2 + minires.rand(bn.num_features)).numpy() * np.where(
            np.arange(bn.num_features) % 2, 1, -1).astype(np.float32)
    running = [bn.running_mean.numpy().copy() for bn in bns]
    images = minires.randn(32, 3, 32, 32).numpy()
    _, stds = response_stds(model, images, batch_size=32, per_channel=True, bn_mode="batch")
    expected = [float(np.abs(bn.weight.numpy()).mean()) for bn in bns]
    np.testing.assert_allclose(stds, expected, rtol=2e-3)  # std of γ·x̂ + β is |γ| (up to eps)
    for bn, before in zip(bns, running):  # batch mode leaves the running statistics alone
        np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    assert not model.training


def test_largest_responses_are_each_images_largest_value_in_each_layer() -> None:
    model = models.get("resnet8").eval()
    images = minires.randn(12, 3, 32, 32).numpy()
    names, largest = largest_responses(model, images, batch_size=5)
    direct = models.layer_responses(model, minires.tensor(images))
    assert names == [n for n, _ in direct] and largest.shape == (12, len(direct))
    expected = np.stack([np.abs(r).reshape(12, -1).max(axis=1) for _, r in direct], axis=1)
    np.testing.assert_allclose(largest, expected, rtol=1e-5)


def test_an_image_whose_responses_dwarf_the_others_is_extreme() -> None:
    model = models.get("resnet8").eval()
    images = minires.randn(20, 3, 32, 32).numpy()
    _, largest = largest_responses(model, images)
    assert extreme_images(largest).size == 0  # alike images: none stands out
    images[[3, 11]] *= 1000  # eval-mode BN passes the scale on: these two respond ~1000x more
    _, largest = largest_responses(model, images)
    np.testing.assert_array_equal(extreme_images(largest), [3, 11])
    assert extreme_images(largest, factor=1e6).size == 0
    with pytest.raises(InputError, match="factor must be a number above 1, got 0.5"):
        extreme_images(largest, factor=0.5)
    with pytest.raises(InputError, match=r"expected at least one image, got an array of shape \(0, 3, 32, 32\)"):
        largest_responses(model, images[:0])


def test_bad_bn_mode() -> None:
    with pytest.raises(ValueError, match="bn_mode"):
        response_stds(models.get("resnet8"), np.zeros((2, 3, 32, 32), np.float32), bn_mode="train")


def _trained_runs(tmp_path: Path, names: tuple[str, ...] = ("plain8", "resnet8")) -> list[Path]:
    """Run folders of tiny networks trained for 2 iterations on a 12-image test set in ``tmp_path``/data."""
    write_cifar(tmp_path / "data", per_batch=8, test=12)
    for name in names:
        config = TrainConfig(model=name, data=str(tmp_path / "data"), out=str(tmp_path / name), batch_size=8,
                             iterations=2, milestones=[1], eval_every=2, checkpoint_every=2, eval_batch_size=6)
        train(config, stream=open(os.devnull, "w"))
    return [tmp_path / name for name in names]


def test_responses_command_writes_files(tmp_path: Path) -> None:
    runs = _trained_runs(tmp_path)
    stds = responses(runs, tmp_path / "fig")
    assert set(stds) == {"plain8", "resnet8"} and all(len(v) == 7 for v in stds.values())
    saved = json.loads((tmp_path / "fig" / "responses.json").read_text())
    assert saved["settings"]["bn_mode"] == "eval" and saved["networks"]["resnet8"]["images"] == 12
    lines = (tmp_path / "fig" / "responses.csv").read_text().splitlines()
    assert lines[0] == "network,layer_index,layer,std" and len(lines) == 1 + 14
    assert (tmp_path / "fig" / "fig7.png").stat().st_size > 0 and (tmp_path / "fig" / "fig7.svg").exists()


def test_reuse_keeps_saved_runs_and_measures_the_others(tmp_path: Path) -> None:
    runs = _trained_runs(tmp_path)
    first = responses(runs[:1], tmp_path / "fig", limit=10)
    gone = str(tmp_path / "gone")  # a test set that is not there: only a run that is measured needs it
    assert responses(runs[:1], tmp_path / "fig", data=gone, limit=10, reuse=True) == first
    for changed in ({"limit": 8}, {"per_channel": True}, {"labels": ["other"]}, {"reuse": False}):
        with pytest.raises(FileNotFoundError, match="gone"):
            responses(runs[:1], tmp_path / "fig", data=gone, **{"limit": 10, "reuse": True, **changed})
    with pytest.raises(FileNotFoundError, match="gone"):  # the saved run is kept, the new one measured
        responses(runs, tmp_path / "fig", data=gone, limit=10, reuse=True)
    both = responses(runs, tmp_path / "fig", data=str(tmp_path / "data"), limit=10, reuse=True)
    assert both["plain8"] == first["plain8"] and len(both["resnet8"]) == 7
