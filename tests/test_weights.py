"""Trained weights: load_weights checks the architecture, brings the normaliser, refuses what does not fit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from cifar_files import write_cifar

from minires import checkpoint, models
from minires.checkpoint import CheckpointError
from minires.data import load_sample
from minires.errors import InputError
from minires.models.weights import SHIPPED, shipped
from minires.nn.functional import accuracy
from minires.nn.module import StateDictError
from minires.tensor import Tensor, no_grad
from minires.train import TrainConfig, load_test_set, train


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("run")
    write_cifar(root / "data", per_batch=12, test=20)
    train(TrainConfig(model="resnet8", data=str(root / "data"), out=str(root / "run"), batch_size=8, iterations=3,
                      milestones=[2], eval_every=3, checkpoint_every=3, eval_batch_size=10),
          stream=open(os.devnull, "w"))
    return root / "run"


def test_load_weights_restores_the_network_and_its_normaliser(finished_run: Path) -> None:
    state = checkpoint.load(finished_run / "checkpoint.npz")
    model = models.load_weights(models.get("resnet8"), finished_run / "checkpoint.npz")
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state["model"][name], err_msg=name)
    images, _ = load_test_set(state)
    raw = (images[:2] * 0 + 0.5).astype(np.uint8)  # any uint8 images go through the run's own preprocessing
    np.testing.assert_allclose(model.normalizer(raw), raw / np.float32(255) - state["normalizer"]["mean"], atol=1e-6)
    model.eval()
    assert model(Tensor(images[:2])).shape == (2, 10)


def test_weights_of_another_network_are_refused_by_name(finished_run: Path) -> None:
    with pytest.raises(InputError, match="holds the weights of resnet8, not of resnet14"):
        models.load_weights(models.get("resnet14"), finished_run / "checkpoint.npz")
    with pytest.raises(InputError, match="holds the weights of resnet8, not of plain8"):
        models.load_weights(models.get("plain8"), finished_run / "checkpoint.npz")


def test_a_file_that_does_not_fit_says_what_mismatched(finished_run: Path, tmp_path: Path) -> None:
    state = checkpoint.load(finished_run / "checkpoint.npz")
    del state["model"]["fc.bias"]
    checkpoint.save(tmp_path / "w.npz", state)
    with pytest.raises(StateDictError, match=r"does not fit resnet8: .*1 missing key \('fc.bias'\)"):
        models.load_weights(models.get("resnet8"), tmp_path / "w.npz")
    checkpoint.save(tmp_path / "x.npz", {"something": np.zeros(3)})
    with pytest.raises(CheckpointError, match="expected a weights file with a 'model' state dict"):
        models.load_weights(models.get("resnet8"), tmp_path / "x.npz")


def test_unknown_shipped_weights_are_named() -> None:
    with pytest.raises(InputError, match="unknown weights 'imagenet': expected one of cpu"):
        shipped("resnet20", "imagenet")
    with pytest.raises(InputError, match="unknown weights 'cpu-seedx'"):
        shipped("resnet20", "cpu-seedx")
    with pytest.raises(InputError, match="ships no 'cpu' weights for resnet1202"):
        models.resnet1202(weights="cpu")
    with pytest.raises(InputError, match="ships no 'quarter-seed7' weights for resnet20"):
        models.resnet20(weights="quarter-seed7")


SHIPPED_NAMES = sorted(p.stem.removesuffix("-cpu") for p in SHIPPED.glob("*-cpu.npz"))


def test_the_four_reproduction_networks_are_shipped() -> None:
    assert {"resnet20", "plain20", "resnet56", "plain56"} <= set(SHIPPED_NAMES)


def test_available_weights_lists_what_is_shipped_and_every_name_loads() -> None:
    assert models.available_weights() == SHIPPED_NAMES == models.available_weights("cpu")
    assert set(SHIPPED_NAMES) <= set(models.available())  # each is a network minires can build
    with pytest.raises(InputError, match="unknown weights 'imagenet': expected one of cpu"):
        models.available_weights("imagenet")


SHIPPED_FILES = sorted(tuple(p.stem.split("-", 1)) for p in SHIPPED.glob("*.npz"))  # (name, variant)


@pytest.mark.parametrize("name, variant", SHIPPED_FILES, ids=["-".join(f) for f in SHIPPED_FILES])
def test_shipped_weights_give_their_recorded_error_on_the_sample(name: str, variant: str) -> None:
    info = json.loads((SHIPPED / f"{name}-{variant}.json").read_text())
    model = models.get(name, weights=variant).eval()
    images, labels = load_sample("test")
    with no_grad():
        error = 1.0 - accuracy(model(Tensor(model.normalizer(images))), labels)
    # computed once when the weights were shipped; a float32 summation order may move one image
    assert abs(error - info["sample_test_error"]) <= 1 / len(labels)
    iterations = {"cpu": 8000, "quarter": 16000}[variant.partition("-seed")[0]]
    assert info["model"] == name and info["iterations"] == iterations and error < 0.5


def test_non_finite_or_non_real_weights_are_refused_naming_the_file(finished_run: Path, tmp_path: Path) -> None:
    from minires.nn.module import UnusableState

    state = checkpoint.load(finished_run / "checkpoint.npz")
    state["model"]["bn1.running_var"][0] = np.nan
    checkpoint.save(tmp_path / "nan.npz", state)
    with pytest.raises(UnusableState, match=r"nan.npz: load_state_dict: 'bn1.running_var' holds 1 NaN or infinite"):
        models.load_weights(models.get("resnet8"), tmp_path / "nan.npz")
    state = checkpoint.load(finished_run / "checkpoint.npz")
    state["model"]["fc.weight"] = state["model"]["fc.weight"].astype(np.complex64)
    checkpoint.save(tmp_path / "complex.npz", state)
    with pytest.raises(UnusableState, match=r"complex.npz: .*'fc.weight' holds complex64 values"):
        models.load_weights(models.get("resnet8"), tmp_path / "complex.npz")


def test_a_damaged_normaliser_is_named(finished_run: Path, tmp_path: Path) -> None:
    state = checkpoint.load(finished_run / "checkpoint.npz")
    state["normalizer"]["mean"] = state["normalizer"]["mean"][:2]
    checkpoint.save(tmp_path / "w.npz", state)
    with pytest.raises(InputError, match=r"w.npz: its normalizer's mean should be a float array of shape"):
        models.load_weights(models.get("resnet8"), tmp_path / "w.npz")
