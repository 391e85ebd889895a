"""The same computation on CPU and GPU: a full ResNet-20 training step agrees to float32 tolerance."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import poison_loss_at

import minires
from minires import backend, checkpoint, models, nn, optim
from minires.nn import functional as F
from minires.nn.functional import cross_entropy
from minires.testing import simcuda


def one_step(device: str) -> dict[str, np.ndarray]:
    minires.manual_seed(0)  # same initial weights on both devices (drawn on the host)
    model = models.resnet20().to(device)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    x = minires.tensor(rng.standard_normal((16, 3, 32, 32)).astype(np.float32), device=device)
    y = rng.integers(0, 10, 16)
    for _ in range(2):
        opt.zero_grad()
        cross_entropy(model(x), y).backward()
        opt.step()
    return {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.mark.cuda
def test_resnet20_training_step_agrees_between_cpu_and_gpu(device: str) -> None:
    if device == "cpu":
        pytest.skip("compares the GPU against the CPU")
    cpu, gpu = one_step("cpu"), one_step(device)
    for name in cpu:
        np.testing.assert_allclose(gpu[name], cpu[name], rtol=1e-3, atol=1e-4, err_msg=name)


# ---------------------------------------------------------------- mixed devices, caught on any machine
#
# Arrays on the simulated GPU (``minires.testing.simcuda``) let the checks that keep devices
# apart be tested without a GPU.


@pytest.fixture
def on_gpu() -> Callable[[object], object]:
    return lambda values: simcuda.asarray(np.array(values))


def test_simulated_gpu_arrays_are_seen_as_a_gpu(on_gpu: Callable[[object], object]) -> None:
    assert backend.device_of(on_gpu([1.0])) == "simcuda" and backend.device_of(np.ones(1)) == "cpu"


def test_batch_norm_refuses_statistics_on_another_device(on_gpu: Callable[[object], object]) -> None:
    x = minires.randn(4, 2, 3, 3)
    with pytest.raises(ValueError, match="running_mean is on simcuda but the input is on cpu"):
        F.batch_norm(x, on_gpu([0.0, 0.0]), np.ones(2), minires.ones(2), minires.zeros(2), training=False)


def test_indexing_with_an_index_on_another_device_is_refused(on_gpu: Callable[[object], object]) -> None:
    with pytest.raises(RuntimeError, match="the index is on simcuda but the tensor is on cpu"):
        minires.randn(5)[on_gpu([0, 2])]


def test_backward_refuses_a_gradient_on_another_device(on_gpu: Callable[[object], object]) -> None:
    x = minires.randn(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="gradient is on simcuda but the tensor is on cpu"):
        y.backward(on_gpu(np.ones(3, np.float32)))


def test_momentum_buffers_follow_a_moved_parameter() -> None:
    p = minires.randn(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = minires.ones(3)
    opt.step()  # the buffer is made on the CPU
    p.data, p.grad = simcuda.asarray(p.data), minires.ones(3, device="simcuda")  # as .to("simcuda")
    opt.step()
    assert backend.device_of(opt.state[0]["momentum_buffer"]) == "simcuda"


def test_state_dict_values_on_another_device_are_loaded(on_gpu: Callable[[object], object]) -> None:
    layer = nn.Linear(2, 2)
    state = {k: on_gpu(np.full(v.shape, 0.5, np.float32)) for k, v in layer.state_dict().items()}
    layer.load_state_dict(state)
    assert type(layer.weight.data) is np.ndarray and np.all(layer.weight.data == 0.5)


# ---------------------------------------------------------------- each path, on every device


def test_batch_norm_eval_mode_with_running_statistics(device: str) -> None:
    bn = nn.BatchNorm2d(3).to(device)
    x = minires.tensor(np.random.default_rng(0).standard_normal((8, 3, 4, 4)).astype(np.float32), device=device)
    bn(x)  # one training step moves the running statistics
    bn.eval()
    y = bn(x).numpy()
    mean, var = (backend.to_numpy(b.data) for b in (bn.running_mean, bn.running_var))
    expected = (x.numpy() - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_convolution_across_changing_batch_sizes(device: str) -> None:
    conv = nn.Conv2d(3, 4, 3, padding=1).to(device)
    rng = np.random.default_rng(1)
    for n in (5, 1, 8, 0, 3):
        x = rng.standard_normal((n, 3, 6, 6)).astype(np.float32)
        y = conv(minires.tensor(x, device=device))
        assert y.shape == (n, 4, 6, 6) and y.device == device
        if n:
            first = conv(minires.tensor(x[:1], device=device)).numpy()
            np.testing.assert_allclose(y.numpy()[:1], first, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("algorithm", ["im2col", "winograd"])
def test_every_convolution_algorithm_on_the_device(device: str, algorithm: str) -> None:
    rng = np.random.default_rng(2)
    x0, w0 = rng.standard_normal((3, 4, 6, 5)).astype(np.float32), rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    expected = [F.conv2d(minires.tensor(x0), minires.tensor(w0), padding=1).numpy()]
    x, w = (minires.tensor(a, requires_grad=True, device=device) for a in (x0, w0))
    out = F.conv2d(x, w, padding=1, algorithm=algorithm)
    np.testing.assert_allclose(out.numpy(), expected[0], rtol=1e-4, atol=1e-4)
    out.sum().backward()
    xc, wc = (minires.tensor(a, requires_grad=True) for a in (x0, w0))
    F.conv2d(xc, wc, padding=1).sum().backward()
    for ours, ref in ((x, xc), (w, wc)):
        assert ours.grad.device == device
        np.testing.assert_allclose(ours.grad.numpy(), ref.grad.numpy(), rtol=1e-4, atol=1e-4)
    empty = F.conv2d(minires.tensor(x0[:0], device=device), w.detach(), padding=1, algorithm=algorithm)
    assert empty.shape == (0, 5, 6, 5)


def test_fused_batch_norm_network_on_the_device(device: str) -> None:
    model = models.get("resnet8").eval()
    x = np.random.default_rng(3).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with minires.no_grad():
        expected = model(minires.tensor(x)).numpy()
        fused = nn.fuse_bn(model.to(device))
        got = fused(minires.tensor(x, device=device))
    assert got.device == device
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_imagenet_network_forward_and_backward(device: str) -> None:
    model = models.resnet18().to(device)  # conv 7×7 stride 2, max pool, bottleneck-free stages, avg pool
    x = minires.tensor(np.random.default_rng(2).standard_normal((2, 3, 64, 64)).astype(np.float32), device=device)
    loss = cross_entropy(model(x), [1, 2])
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and g.device == device and np.isfinite(g.numpy()).all() for g in grads)


def test_max_pool_forward_and_backward(device: str) -> None:
    x = minires.tensor(np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4), device=device, requires_grad=True)
    y = F.max_pool2d(x, 2)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy()[0, 0], [[5, 7], [13, 15]])
    assert x.grad.numpy().sum() == 8 and x.grad.numpy()[0, 0, 1, 1] == 1


def test_checkpoint_of_a_model_and_optimizer_on_the_device(device: str, tmp_path: Path) -> None:
    model = models.get("resnet8").to(device)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = minires.tensor(np.random.default_rng(3).standard_normal((4, 3, 32, 32)).astype(np.float32), device=device)
    cross_entropy(model(x), [0, 1, 2, 3]).backward()
    opt.step()
    checkpoint.save(tmp_path / "c.npz", {"model": model.state_dict(), "optimizer": opt.state_dict()})
    state = checkpoint.load(tmp_path / "c.npz")
    again = models.get("resnet8").to(device)
    again.load_state_dict(state["model"])
    opt2 = optim.SGD(again.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(state["optimizer"])
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert b.device == device
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert backend.device_of(opt2.state[0]["momentum_buffer"]) == device


def test_module_to_then_load_state_dict(device: str) -> None:
    source = models.get("resnet8")
    target = models.get("resnet8").to(device)
    target.load_state_dict(source.state_dict())
    assert all(p.device == device for p in target.parameters())
    np.testing.assert_array_equal(target.conv1.weight.numpy(), source.conv1.weight.numpy())


@pytest.mark.slow
def test_training_pauses_and_resumes_exactly(device: str, tmp_path: Path) -> None:
    from minires.train import TrainConfig, train

    def cfg(out: str) -> TrainConfig:
        return TrainConfig(model="resnet8", data="sample", device=device, out=str(tmp_path / out), batch_size=16,
                           iterations=6, milestones=[4], eval_every=3, checkpoint_every=3, eval_subset=100)

    quiet = open(os.devnull, "w")
    whole = train(cfg("whole"), stream=quiet)
    assert train(cfg("paused"), stream=quiet, time_limit=0.0)["status"] == "paused"
    resumed = train(cfg("paused"), resume=True, stream=quiet)
    assert resumed["test_error"] == whole["test_error"]
    a, b = (checkpoint.load(tmp_path / r / "checkpoint.npz")["model"] for r in ("whole", "paused"))
    for name in a:
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.slow
def test_evaluation_responses_and_the_cli_on_the_device(device: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from minires.cli import main

    run = tmp_path / "run"
    assert main(["train", "--model", "resnet8", "--data", "sample", "--device", device, "--out", str(run),
                 "--batch-size", "16", "--iterations", "2", "--milestones", "1", "--eval-every", "2",
                 "--eval-subset", "50"]) == 0
    assert main(["eval", str(run), "--device", device]) == 0
    assert "test error" in capsys.readouterr().out
    assert main(["responses", str(run), "--out", str(tmp_path / "fig7"), "--limit", "50", "--device", device]) == 0
    assert (tmp_path / "fig7" / "responses.json").exists()


# ---------------------------------------------------------------- end to end on the simulated GPU, bit for bit
#
# simcuda computes with NumPy, so a run on it must give exactly the CPU's numbers once the CPU
# convolves the way a GPU does: the whole batch as one chunk.


@pytest.fixture
def gpu_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    from minires.nn.functional import workspace

    monkeypatch.setattr(workspace, "CHUNK_FLOATS", 1 << 40)


def _train_args(run: Path, device: str, *extra: str) -> list[str]:
    return ["train", "--model", "resnet8", "--data", "sample", "--device", device, "--out", str(run),
            "--batch-size", "8", "--iterations", "200", "--milestones", "120", "--eval-every", "100",
            "--checkpoint-every", "50", "--eval-subset", "100", *extra]


def _same_checkpoints(a: Path, b: Path) -> None:
    sa, sb = (checkpoint.load(p / "checkpoint.npz") for p in (a, b))
    for name in sa["model"]:
        np.testing.assert_array_equal(sa["model"][name], sb["model"][name], err_msg=name)


@pytest.mark.slow
def test_training_pause_resume_eval_and_responses_on_simcuda_are_bitwise_the_cpus(
        tmp_path: Path, gpu_chunking: None, capsys: pytest.CaptureFixture[str]) -> None:
    from minires.cli import main

    assert main(_train_args(tmp_path / "cpu", "cpu")) == 0
    assert main(_train_args(tmp_path / "gpu", "simcuda", "--time-limit", "0")) == 0  # paused at once
    assert main(_train_args(tmp_path / "gpu", "simcuda", "--resume")) == 0
    _same_checkpoints(tmp_path / "cpu", tmp_path / "gpu")
    rows = [[json.loads(line) for line in (tmp_path / r / "metrics.jsonl").read_text().splitlines()]
            for r in ("cpu", "gpu")]
    assert [r["test_error"] for r in rows[0]] == [r["test_error"] for r in rows[1]]
    assert [r["train_loss"] for r in rows[0]] == [r["train_loss"] for r in rows[1]]
    capsys.readouterr()
    for device in ("cpu", "simcuda"):
        assert main(["eval", str(tmp_path / "cpu"), "--device", device]) == 0
    cpu_eval, gpu_eval = capsys.readouterr().out.strip().splitlines()[-2:]
    assert cpu_eval == gpu_eval and "test error" in cpu_eval
    for device in ("cpu", "simcuda"):
        for mode in ("eval", "batch"):
            assert main(["responses", str(tmp_path / "cpu"), "--out", str(tmp_path / f"fig7-{device}-{mode}"),
                         "--limit", "40", "--device", device, "--bn-mode", mode]) == 0
    for mode in ("eval", "batch"):
        cpu, gpu = (json.loads((tmp_path / f"fig7-{d}-{mode}" / "responses.json").read_text())
                    for d in ("cpu", "simcuda"))
        assert cpu == gpu


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_training_steps_wait_for_the_device_only_where_documented(tmp_path: Path, gpu_chunking: None,
                                                                  precision: str) -> None:
    from minires.train import TrainConfig, train
    from minires.train.trainer import READ_EVERY

    def cfg(device: str) -> TrainConfig:
        return TrainConfig(model="resnet8", data="sample", device=device, out=str(tmp_path / device), batch_size=4,
                           iterations=READ_EVERY["gpu"], milestones=[40], eval_every=1000, checkpoint_every=1000,
                           eval_subset=20, precision=precision)

    quiet = open(os.devnull, "w")
    train(cfg("cpu"), stream=quiet)
    with simcuda.counting() as seen:
        train(cfg("simcuda"), stream=quiet)
    _same_checkpoints(tmp_path / "cpu", tmp_path / "simcuda")
    saved = checkpoint.load(tmp_path / "simcuda" / "checkpoint.npz")
    arrays = len(saved["model"])  # each copied to the host once (a finished run keeps no momentum)
    # fp32: one read of the 50 steps' losses, one check that every weight and buffer is finite (before the
    # evaluation; the checkpoint of the same iteration needs no second one), two numbers of the evaluation,
    # the checkpoint's arrays, and nothing in the steps; fp16: GradScaler also checks each step's gradients
    # for overflow on the host (as PyTorch's GradScaler does)
    steps = READ_EVERY["gpu"]
    assert seen.host_waits == 1 + 1 + 2 + arrays + (steps if precision == "fp16" else 0), seen


def test_a_training_step_on_simcuda_never_waits_for_the_device(tmp_path: Path) -> None:
    from minires.train import TrainConfig
    from minires.train.trainer import Run

    config = TrainConfig(model="resnet8", data="sample", device="simcuda", out=str(tmp_path / "r"), batch_size=4,
                         iterations=3, milestones=[2], eval_subset=20)
    run = Run.start(config.scaled(), tmp_path / "r", "simcuda", None)
    for x, y in run.loader.stream(0, 3):
        with simcuda.no_host_waits():
            run.step(x, y)
    run.read()
    assert len(run.recent_losses) == 3


# ---------------------------------------------------------------- the rest of the GPU path, on every device


def _same(ours: np.ndarray, cpu: np.ndarray, device: str, name: str) -> None:
    if device == "cuda":  # other kernels, other rounding
        np.testing.assert_allclose(ours, cpu, rtol=1e-3, atol=1e-4, err_msg=name)
    else:  # the CPU itself, or simcuda: the same NumPy underneath
        np.testing.assert_array_equal(ours, cpu, err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs, size", [("resnet50_cifar", {}, 32), ("resnet8", {"shortcut": "B"}, 32),
                                                ("resnet8", {"shortcut": "C"}, 32), ("resnet50d", {}, 64)])
def test_bottlenecks_and_shortcut_options_on_the_device(device: str, gpu_chunking: None, name: str,
                                                        kwargs: dict, size: int) -> None:
    def one_step(on: str) -> dict[str, np.ndarray]:
        minires.manual_seed(0)
        model = models.get(name, **kwargs).to(on)
        x = minires.tensor(np.random.default_rng(4).standard_normal((2, 3, size, size)).astype(np.float32), device=on)
        loss = cross_entropy(model(x), [1, 3])
        loss.backward()
        return {"loss": loss.numpy(), **{n: p.grad.numpy() for n, p in model.named_parameters()}}

    cpu, ours = one_step("cpu"), one_step(device)
    for key in cpu:
        _same(ours[key], cpu[key], device, key)


def test_accuracy_and_error_count_on_the_device(device: str) -> None:
    logits = np.random.default_rng(5).standard_normal((20, 10)).astype(np.float32)
    labels = np.arange(20) % 10
    on = minires.tensor(logits, device=device)
    assert F.accuracy(on, backend.to_device(labels, device)) == F.accuracy(minires.tensor(logits), labels)
    wrong = F.count_errors(on, backend.to_device(labels, device))
    assert backend.device_of(wrong) == device and int(wrong) == int(F.count_errors(minires.tensor(logits), labels))


def test_a_nan_loss_stops_the_run_in_the_read_window_on_the_device(device: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from minires.train import TrainConfig, TrainingDiverged, train

    poison_loss_at(monkeypatch, 7)
    cfg = TrainConfig(model="resnet8", data="sample", device=device, out=str(tmp_path / "run"), batch_size=4,
                      iterations=60, milestones=[40], eval_every=1000, checkpoint_every=5, eval_subset=20)
    # on a GPU the losses are read every 50 steps, so the NaN of step 7 is found at step 50 at the latest
    with pytest.raises(TrainingDiverged, match="became nan at iteration 7"):
        train(cfg, stream=open(os.devnull, "w"))
    state = checkpoint.load(tmp_path / "run" / "checkpoint.npz")
    assert state["iteration"] == 5 and all(np.all(np.isfinite(v)) for v in state["model"].values())


def test_warm_up_reads_each_training_error_on_the_device(device: str, tmp_path: Path, gpu_chunking: None) -> None:
    from minires.train import TrainConfig, train

    def run(on: str, folder: str) -> list[dict]:
        cfg = TrainConfig(model="resnet8", data="sample", device=on, out=str(tmp_path / folder), batch_size=4,
                          iterations=6, milestones=[5], eval_every=3, checkpoint_every=3, eval_subset=20,
                          warmup=True, warmup_iterations=4, warmup_until_error=0.01)  # warm up the whole 4 steps
        train(cfg, stream=open(os.devnull, "w"))
        return [json.loads(line) for line in (tmp_path / folder / "metrics.jsonl").read_text().splitlines()]

    cpu, ours = run("cpu", "cpu"), run(device, "ours")
    assert [r["lr"] for r in ours] == [r["lr"] for r in cpu] == pytest.approx([0.01, 0.01])  # warm-up at 3; ÷10 at 6
    if device != "cuda":
        assert [r["train_loss"] for r in ours] == [r["train_loss"] for r in cpu]
