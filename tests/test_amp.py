"""Mixed precision: the cast op, autocast's float16 layers with float32 statistics and loss, loss scaling."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from cifar_files import write_cifar

import minires
from minires import amp, checkpoint, models, nn, optim
from minires.nn import functional as F
from minires.train import TrainConfig, train


def test_cast_is_differentiable_and_gives_the_gradient_back_in_the_input_dtype() -> None:
    x = minires.tensor(np.array([1.5, -2.0, 3.25]), requires_grad=True)  # float64
    y = amp.cast(x, np.float16)
    assert y.dtype == np.float16 and amp.cast(y, np.float16) is y
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64 and np.array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_autocast_computes_layers_in_float16_and_statistics_and_loss_in_float32() -> None:
    model = models.get("resnet8")
    x, y = minires.randn(4, 3, 32, 32), [0, 1, 2, 3]
    seen = []
    model.conv1.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    model.bn1.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    reference = F.cross_entropy(model(x), y)
    with amp.autocast():
        loss = F.cross_entropy(model(x), y)
    assert seen == [np.float32, np.float32, np.float16, np.float16]
    assert loss.dtype == np.float32 and abs(loss.item() - reference.item()) < 1e-2
    assert model.bn1.running_mean.dtype == np.float32 and model.conv1.weight.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    with amp.autocast(enabled=False):
        assert model(x).dtype == np.float32


def _tiny_step(scaler: amp.GradScaler, poison: bool = False) -> tuple[nn.Linear, bool]:
    minires.manual_seed(0)
    layer = nn.Linear(4, 3)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    with amp.autocast():
        loss = F.cross_entropy(layer(minires.randn(8, 4)), [0, 1, 2, 0, 1, 2, 0, 1])
    opt.zero_grad()
    scaler.scale(loss).backward()
    if poison:
        layer.weight.grad.data[0, 0] = np.inf
    stepped = scaler.step(opt)
    scaler.update()
    return layer, stepped


def test_scaled_gradients_are_unscaled_before_the_update() -> None:
    plain, _ = _tiny_step(amp.GradScaler(enabled=False))
    scaled, stepped = _tiny_step(amp.GradScaler(init_scale=1024.0))
    assert stepped
    np.testing.assert_allclose(scaled.weight.numpy(), plain.weight.numpy(), rtol=1e-6, atol=1e-6)


def test_an_overflow_skips_the_step_and_halves_the_scale_then_clean_steps_grow_it() -> None:
    scaler = amp.GradScaler(init_scale=1024.0, growth_interval=2)
    minires.manual_seed(0)
    untouched = nn.Linear(4, 3).weight.numpy()
    layer, stepped = _tiny_step(scaler, poison=True)
    assert not stepped and scaler.scale_value == 512.0 and scaler.skipped == 1
    np.testing.assert_array_equal(layer.weight.numpy(), untouched)  # the weights did not move
    _tiny_step(scaler)
    assert scaler.scale_value == 512.0
    _tiny_step(scaler)
    assert scaler.scale_value == 1024.0  # two clean steps in a row
    again = amp.GradScaler()
    again.load_state_dict(scaler.state_dict())
    assert (again.scale_value, again.clean_steps, again.skipped) == (1024.0, 0, 1)


def test_bad_scaler_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="growth_factor > 1"):
        amp.GradScaler(growth_factor=0.5)


@pytest.mark.slow
def test_mixed_precision_training_runs_and_resumes_exactly(tmp_path: Path) -> None:
    write_cifar(tmp_path / "data", per_batch=12, test=20)

    def cfg(out: str) -> TrainConfig:
        return TrainConfig(model="resnet8", data=str(tmp_path / "data"), out=str(tmp_path / out), batch_size=8,
                           iterations=4, milestones=[3], eval_every=2, checkpoint_every=2, eval_batch_size=10,
                           precision="fp16")

    quiet = open(os.devnull, "w")
    whole = train(cfg("whole"), stream=quiet)
    assert whole["status"] == "finished" and 0 <= whole["test_error"] <= 1
    assert train(cfg("paused"), stream=quiet, time_limit=0.0)["status"] == "paused"
    assert checkpoint.load(tmp_path / "paused" / "checkpoint.npz")["scaler"]["scale"] == 2.0**16
    train(cfg("paused"), resume=True, stream=quiet)
    a, b = (checkpoint.load(tmp_path / r / "checkpoint.npz")["model"] for r in ("whole", "paused"))
    assert all(np.array_equal(a[k], b[k]) for k in a) and all(v.dtype != np.float16 for v in a.values())
    rows = (tmp_path / "whole" / "metrics.jsonl").read_text()
    assert '"loss_scale": 65536.0' in rows
