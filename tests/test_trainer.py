"""The training loop: a real (tiny) run, exact resume after SIGKILL, Ctrl-C, NaN, refusals."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cifar_files import write_cifar
from helpers import poison_loss_at

from minires import checkpoint
from minires.checkpoint import CheckpointError
from minires.errors import InputError
from minires.train import RunExists, TrainConfig, TrainingDiverged, train
from minires.train.lock import RunLock, RunLocked

TINY = dict(model="resnet20", batch_size=8, iterations=12, milestones=[8], eval_every=4, checkpoint_every=2,
            eval_batch_size=25)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    write_cifar(root, per_batch=12, test=50)
    return root


def config(data: Path, out: Path, **kw: object) -> TrainConfig:
    return TrainConfig(data=str(data), out=str(out), **{**TINY, **kw})  # type: ignore[arg-type]


def test_a_run_writes_config_metrics_checkpoint_result(tiny_data: Path, tmp_path: Path) -> None:
    result = train(config(tiny_data, tmp_path / "run"), stream=open(os.devnull, "w"))
    run = tmp_path / "run"
    assert result["status"] == "finished" and result["iteration"] == 12
    saved = json.loads((run / "config.json").read_text())
    assert saved["model"] == "resnet20" and saved["milestones"] == [8]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == [4, 8, 12]
    assert all(0 <= r["test_error"] <= 1 and 0 <= r["train_error"] <= 1 for r in rows)
    assert rows[-1]["lr"] == pytest.approx(0.01)
    state = checkpoint.load(run / "checkpoint.npz")
    assert state["finished"] and state["iteration"] == 12
    assert "layer1.0.conv1.weight" in state["model"] and "normalizer" in state
    assert "optimizer" not in state and "rng" not in state  # a finished run keeps its final weights only
    assert json.loads((run / "result.json").read_text())["test_error"] == rows[-1]["test_error"]


def test_schedule_scale_shrinks_everything(tiny_data: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(data=str(tiny_data), out=str(tmp_path), schedule_scale=0.001).scaled()
    assert (cfg.iterations, cfg.milestones, cfg.eval_every, cfg.warmup_iterations) == (64, [32, 48], 2, 1)


def _cli(data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "minires", "train", "--model", "resnet20", "--data", str(data), "--out", str(out),
            "--iterations", "12", "--milestones", "8", "--batch-size", "8", "--eval-every", "4",
            "--checkpoint-every", "2", *extra]


def _weights(out: Path) -> dict[str, np.ndarray]:
    return checkpoint.load(out / "checkpoint.npz")["model"]


@pytest.mark.slow
def test_killed_and_resumed_run_ends_bitwise_equal(tiny_data: Path, tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run(_cli(tiny_data, tmp_path / "whole"), check=True, capture_output=True, env=env)

    victim = subprocess.Popen(_cli(tiny_data, tmp_path / "killed"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
    ckpt = tmp_path / "killed" / "checkpoint.npz"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and victim.poll() is None:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = checkpoint.load(ckpt)["iteration"]
    assert killed_at < 12, "the run finished before it could be killed"

    subprocess.run(_cli(tiny_data, tmp_path / "killed", "--resume"), check=True, capture_output=True, env=env)
    whole, resumed = _weights(tmp_path / "whole"), _weights(tmp_path / "killed")
    for name in whole:
        assert np.array_equal(whole[name], resumed[name]), name
    lines = (tmp_path / "killed" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["iteration"] for x in lines] == [4, 8, 12]


def test_ctrl_c_saves_and_resume_continues(tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from minires.train import trainer

    original = trainer.PrintProgress.on_step

    def interrupt_at_5(self, run):  # noqa: ANN001, ANN202
        original(self, run)
        if run.iteration == 5:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(trainer.PrintProgress, "on_step", interrupt_at_5)
    out = tmp_path / "run"
    result = train(config(tiny_data, out), stream=open(os.devnull, "w"))
    assert result == {"status": "interrupted", "iteration": 5}
    assert checkpoint.load(out / "checkpoint.npz")["iteration"] == 5
    monkeypatch.setattr(trainer.PrintProgress, "on_step", original)
    assert train(config(tiny_data, out), resume=True, stream=open(os.devnull, "w"))["iteration"] == 12


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_data: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    poison_loss_at(monkeypatch, 4)
    with pytest.raises(TrainingDiverged, match="became nan at iteration 4.*last good checkpoint"):
        train(config(tiny_data, tmp_path / "run"), stream=open(os.devnull, "w"))
    state = checkpoint.load(tmp_path / "run" / "checkpoint.npz")
    assert state["iteration"] == 2
    assert all(np.all(np.isfinite(v)) for v in state["model"].values())


def test_a_non_finite_buffer_stops_the_run_though_the_loss_stays_finite(tiny_data: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # a huge learning rate can blow up BN's running statistics while the batch's loss is still finite
    from minires.train import trainer

    step = trainer.Run.step

    def overflow_after_3(self, x, y):  # noqa: ANN001, ANN202
        step(self, x, y)
        if self.iteration == 3:
            self.model.bn1.running_var.data[0] = np.inf  # training mode uses batch statistics: the loss is fine

    monkeypatch.setattr(trainer.Run, "step", overflow_after_3)
    with pytest.raises(TrainingDiverged, match=r"'bn1.running_var' became NaN or infinite by iteration 4"):
        train(config(tiny_data, tmp_path / "run"), stream=open(os.devnull, "w"))
    state = checkpoint.load(tmp_path / "run" / "checkpoint.npz")
    assert state["iteration"] == 2 and not state["finished"]
    assert all(np.all(np.isfinite(v)) for v in state["model"].values())
    assert not (tmp_path / "run" / "result.json").exists()


def test_a_diverged_test_loss_is_never_reported(tiny_data: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from minires.train import trainer

    monkeypatch.setattr(trainer, "evaluate", lambda *args, **kw: (0.9, float("nan")))
    with pytest.raises(TrainingDiverged, match="the test loss became nan at iteration 4"):
        train(config(tiny_data, tmp_path / "run"), stream=open(os.devnull, "w"))
    assert (tmp_path / "run" / "metrics.jsonl").read_text() == ""  # no row holds it


def test_a_copied_finished_checkpoint_alone_is_a_clear_error(tiny_data: Path, tmp_path: Path) -> None:
    train(config(tiny_data, tmp_path / "run", iterations=2), stream=open(os.devnull, "w"))
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "checkpoint.npz").write_bytes((tmp_path / "run" / "checkpoint.npz").read_bytes())
    for _ in range(2):  # the same answer on every call, and nothing written
        with pytest.raises(CheckpointError, match="holds a finished run, but .* has no evaluation of its last "
                                                  "iteration \\(2\\).*minires eval"):
            train(config(tiny_data, tmp_path / "copy", iterations=2), resume=True, stream=open(os.devnull, "w"))
        assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["checkpoint.npz"]


def test_a_result_with_null_errors_is_rebuilt_from_the_metrics(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = train(config(tiny_data, out, iterations=4, milestones=[2]), stream=open(os.devnull, "w"))
    (out / "result.json").write_text(json.dumps({**first, "train_error": None, "test_error": None}))
    again = train(config(tiny_data, out, iterations=4, milestones=[2]), resume=True, stream=open(os.devnull, "w"))
    assert again["test_error"] == first["test_error"]
    assert json.loads((out / "result.json").read_text())["test_error"] == first["test_error"]


def test_bad_lines_in_the_metrics_are_named(tmp_path: Path) -> None:
    from minires.train.trainer import read_metrics

    file = tmp_path / "metrics.jsonl"
    file.write_text('{"iteration": 2, "test_error": 0.5}\n{"iteration": 4, "test_err')  # the last line cut short
    assert read_metrics(file) == [{"iteration": 2, "test_error": 0.5}]
    for bad in ("not json", "[1, 2]", "7", '{"test_error": 0.5}', '{"iteration": "4"}'):
        file.write_text(f'{{"iteration": 2}}\n{bad}\n{{"iteration": 6}}\n')
        with pytest.raises(InputError, match=r"metrics.jsonl, line 2: expected a JSON object with an 'iteration'"):
            read_metrics(file)


def test_the_next_start_removes_what_a_killed_checkpoint_write_left(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(config(tiny_data, out), stream=open(os.devnull, "w"), time_limit=0.0)
    stale = [out / ".checkpoint.npz.k1ll3d_x.tmp", out / ".metrics.jsonl.a0b1c2d3.tmp"]
    kept = [out / ".checkpoint.npz.mine.tmp", out / "checkpoint.npz.k1ll3d_x.tmp",
            tmp_path / ".checkpoint.npz.abcdefgh.tmp"]
    for path in stale + kept:
        path.write_bytes(b"half a checkpoint")
    assert train(config(tiny_data, out), resume=True, stream=open(os.devnull, "w"))["status"] == "finished"
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)  # only our own pattern, only in the run folder


def test_a_fresh_run_refuses_a_folder_holding_other_files(tiny_data: Path, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.tex").write_text("my thesis\n")
    with pytest.raises(InputError, match=r"home already holds files that are not a run's \(thesis.tex\)"):
        train(config(tiny_data, tmp_path / "home"), stream=open(os.devnull, "w"))
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["thesis.tex"]
    (tmp_path / "logged").mkdir()
    (tmp_path / "logged" / "train.log").write_text("")  # the shell made the log before the run started
    assert train(config(tiny_data, tmp_path / "logged", iterations=2), stream=open(os.devnull, "w"))["iteration"] == 2


def test_existing_run_is_not_overwritten(tiny_data: Path, tmp_path: Path) -> None:
    train(config(tiny_data, tmp_path / "run", iterations=2), stream=open(os.devnull, "w"))
    before = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    with pytest.raises(RunExists, match="pass --resume"):
        train(config(tiny_data, tmp_path / "run", iterations=2), stream=open(os.devnull, "w"))
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == before
    again = train(config(tiny_data, tmp_path / "run", iterations=2), resume=True, stream=open(os.devnull, "w"))
    assert again["status"] == "finished"  # a finished run is reported, not retrained


def test_learns_the_tiny_data(tiny_data: Path, tmp_path: Path) -> None:
    result = train(config(tiny_data, tmp_path / "run", iterations=60, milestones=[45], eval_every=60,
                          checkpoint_every=60, lr=0.05), stream=open(os.devnull, "w"))
    # chance is 90% error; a guesser gets <= 75% on 50 test images with probability ~0.0005
    assert result["test_error"] <= 0.75


def test_time_limit_pauses_with_a_checkpoint(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    paused = train(config(tiny_data, out), stream=open(os.devnull, "w"), time_limit=0.0)
    assert paused == {"status": "paused", "iteration": 1}
    assert checkpoint.load(out / "checkpoint.npz")["iteration"] == 1
    assert train(config(tiny_data, out), resume=True, stream=open(os.devnull, "w"))["iteration"] == 12


def test_resume_rebuilds_a_missing_result(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = train(config(tiny_data, out, iterations=4, milestones=[2]), stream=open(os.devnull, "w"))
    (out / "result.json").unlink()  # as if killed between the final checkpoint and result.json
    again = train(config(tiny_data, out, iterations=4, milestones=[2]), resume=True, stream=open(os.devnull, "w"))
    assert again["status"] == "finished" and again["test_error"] == first["test_error"]
    assert (out / "result.json").exists()


def _final_weights(cfg: TrainConfig) -> dict[str, np.ndarray]:
    train(cfg, stream=open(os.devnull, "w"))
    return _weights(Path(cfg.out))


def test_evaluation_interval_does_not_change_training(tmp_path: Path) -> None:
    # the warm-up ends on the training error of the last 100 mini-batches, whatever --eval-every says
    common = dict(model="resnet8", data="sample", batch_size=16, iterations=30, milestones=[1000], warmup=True,
                  eval_subset=50, checkpoint_every=30)
    a = _final_weights(TrainConfig(out=str(tmp_path / "a"), eval_every=30, **common))  # type: ignore[arg-type]
    b = _final_weights(TrainConfig(out=str(tmp_path / "b"), eval_every=1, **common))  # type: ignore[arg-type]
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def test_logged_lr_is_the_rate_the_iteration_used(tiny_data: Path, tmp_path: Path) -> None:
    train(config(tiny_data, tmp_path / "run"), stream=open(os.devnull, "w"))
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    # milestone 8: iterations 1..8 use 0.1, iterations 9..12 use 0.01
    assert [r["lr"] for r in rows] == pytest.approx([0.1, 0.1, 0.01])


def test_a_locked_run_folder_is_refused_and_left_alone(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(config(tiny_data, out, iterations=2), stream=open(os.devnull, "w"), time_limit=0.0)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with RunLock(out), pytest.raises(RunLocked, match=rf"being trained by process {os.getpid()} on"):
        train(config(tiny_data, out, iterations=2), resume=True, stream=open(os.devnull, "w"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the lock file went with its holder
    assert train(config(tiny_data, out, iterations=2), resume=True, stream=open(os.devnull, "w"))["iteration"] == 2


def test_thread_count_is_recorded_and_a_change_is_reported(tiny_data: Path, tmp_path: Path, workers: None) -> None:
    import io

    import minires

    out = tmp_path / "run"
    threads = minires.get_num_threads()
    train(config(tiny_data, out), stream=open(os.devnull, "w"), time_limit=0.0)
    assert checkpoint.load(out / "checkpoint.npz")["threads"] == threads
    if threads == 1:
        pytest.skip("one worker thread only: nothing to change")
    minires.set_num_threads(1)
    log = io.StringIO()
    result = train(config(tiny_data, out), resume=True, stream=log)
    assert f"saved with {threads} worker threads and resumes with 1;" in log.getvalue()
    assert "no longer bitwise equal" in log.getvalue() and result["threads"] == 1
    train(config(tiny_data, tmp_path / "one"), stream=open(os.devnull, "w"), time_limit=0.0)  # saved with 1
    minires.set_num_threads(threads)
    log = io.StringIO()
    train(config(tiny_data, tmp_path / "one"), resume=True, stream=log)
    assert f"saved with 1 worker thread and resumes with {threads};" in log.getvalue()


@pytest.mark.slow
def test_killed_anywhere_ten_times_ends_bitwise_equal(tmp_path: Path) -> None:
    """SIGKILL a run at 10 moments (4 during a checkpoint write, 6 at random, evaluation included), resume each time."""
    data = tmp_path / "data"
    write_cifar(data, per_batch=12, test=300)  # a test set large enough for kills to land in evaluation
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    started = time.perf_counter()
    subprocess.run(_cli(data, tmp_path / "whole"), check=True, capture_output=True, env=env)
    whole_seconds = time.perf_counter() - started

    out = tmp_path / "killed"
    rng = np.random.default_rng(7)
    for k in range(10):
        victim = subprocess.Popen(_cli(data, out, "--resume"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=env)
        if k % 3 == 0:  # during a checkpoint write: the moment its temporary file appears
            deadline = time.time() + 60
            while victim.poll() is None and time.time() < deadline and not list(out.glob(".checkpoint.npz.*.tmp")):
                time.sleep(0.0005)
        else:
            time.sleep(rng.uniform(0.2, whole_seconds))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        # whatever the moment, every file left behind is whole
        if (out / "checkpoint.npz").exists():
            assert checkpoint.load(out / "checkpoint.npz")["iteration"] <= 12
        if (out / "config.json").exists():
            TrainConfig.load(out / "config.json")
    subprocess.run(_cli(data, out, "--resume"), check=True, capture_output=True, env=env)
    whole, resumed = _weights(tmp_path / "whole"), _weights(out)
    for name in whole:
        assert np.array_equal(whole[name], resumed[name]), name
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["iteration"] for x in lines] == [4, 8, 12]
    # no stray files: what a killed checkpoint write left was removed by the next start
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "config.json", "metrics.jsonl", "result.json"]


def test_reading_losses_every_few_steps_changes_nothing(tiny_data: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # on a GPU losses are read every 50 steps, not every step: the run must be the same either way
    from minires.train import trainer

    every_step = _final_weights(config(tiny_data, tmp_path / "a", warmup=True, warmup_iterations=3))
    monkeypatch.setattr(trainer, "READ_EVERY", {"cpu": 5})
    every_fifth = _final_weights(config(tiny_data, tmp_path / "b", warmup=True, warmup_iterations=3))
    for name in every_step:
        assert np.array_equal(every_step[name], every_fifth[name]), name
    rows = [(tmp_path / r / "metrics.jsonl").read_text() for r in "ab"]
    assert [json.loads(x)["train_error"] for x in rows[0].splitlines()] == \
        [json.loads(x)["train_error"] for x in rows[1].splitlines()]


def test_callbacks_see_start_steps_evaluations_and_end(tiny_data: Path, tmp_path: Path) -> None:
    from minires.train.callbacks import Callback

    class Recorder(Callback):
        def __init__(self) -> None:
            self.events: list[tuple] = []

        def on_start(self, run):  # noqa: ANN001, ANN202
            self.events.append(("start", run.iteration))

        def on_step(self, run):  # noqa: ANN001, ANN202
            self.events.append(("step", run.iteration, run.last_lr))

        def on_evaluate_progress(self, run, done, total):  # noqa: ANN001, ANN202
            self.events.append(("evaluating", done, total))

        def on_evaluate(self, run, row):  # noqa: ANN001, ANN202
            self.events.append(("evaluate", row["iteration"]))

        def on_end(self, run, result):  # noqa: ANN001, ANN202
            self.events.append(("end", result["status"]))

    recorder = Recorder()
    log = io.StringIO()
    train(config(tiny_data, tmp_path / "run", eval_batch_size=20), stream=log, callbacks=[recorder])
    events = recorder.events
    assert events[0] == ("start", 0) and events[-1] == ("end", "finished")
    assert [e[1] for e in events if e[0] == "step"] == list(range(1, 13))
    assert [e[1] for e in events if e[0] == "evaluate"] == [4, 8, 12]
    assert ("evaluating", 40, 50) in events and ("evaluating", 50, 50) in events
    text = log.getvalue()
    assert "plan: 12 iterations of 8 images" in text and "3 evaluations on 50 test images" in text


def test_plot_command_draws_a_run(tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from minires.cli import main

    train(config(tiny_data, tmp_path / "run"), stream=open(os.devnull, "w"))
    assert main(["plot", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "curves.png").stat().st_size > 10_000 and (tmp_path / "run" / "curves.svg").exists()
    assert main(["plot", str(tmp_path)]) == 2  # not a run folder
    assert "expected a run folder holding metrics.jsonl" in capsys.readouterr().err


def test_resume_may_read_the_data_from_a_new_place(tiny_data: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "run"
    train(config(tiny_data, out), stream=open(os.devnull, "w"), time_limit=0.0)
    moved = tmp_path / "moved"
    shutil.copytree(tiny_data, moved)
    with pytest.raises(FileNotFoundError):  # a --data that does not exist is refused ...
        train(config(tmp_path / "gone", out), resume=True, stream=open(os.devnull, "w"))
    result = train(config(moved, out), resume=True, stream=open(os.devnull, "w"))  # the data in a new place
    assert result["status"] == "finished" and result["iteration"] == 12


@pytest.mark.parametrize(("dataset", "classes"), [("cifar100", 100), ("cifar100-coarse", 20)])
def test_cifar100_runs_train_and_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str], dataset: str,
                                          classes: int) -> None:
    from cifar_files import write_cifar100

    from minires.cli import main
    from minires.train import load_trained

    write_cifar100(tmp_path / "data", train=40, test=20)
    out = tmp_path / "run"
    result = train(TrainConfig(model="resnet8", data=str(tmp_path / "data"), dataset=dataset, out=str(out),
                               batch_size=8, iterations=3, milestones=[2], eval_every=3, eval_batch_size=10),
                   stream=open(os.devnull, "w"))
    assert result["status"] == "finished" and 0 <= result["test_error"] <= 1
    model, state = load_trained(out)
    assert model.fc.weight.shape == (classes, 64) and state["config"]["dataset"] == dataset
    assert main(["eval", str(out)]) == 0
    assert "on 20 images" in capsys.readouterr().out


def test_callbacks_get_the_runs_messages(tiny_data: Path, tmp_path: Path) -> None:
    from minires.train.callbacks import Callback

    class Notes(Callback):
        def __init__(self) -> None:
            self.lines: list[str] = []

        def on_message(self, text: str) -> None:
            self.lines.append(text)

    quiet = open(os.devnull, "w")
    assert train(config(tiny_data, tmp_path / "run", iterations=4, milestones=[2]), stream=quiet,
                 time_limit=0)["status"] == "paused"
    notes = Notes()
    train(config(tiny_data, tmp_path / "run", iterations=4, milestones=[2], lr=0.05), resume=True, stream=quiet,
          callbacks=[notes])
    assert any("ignoring the different values given for ['lr']" in line for line in notes.lines)
    again = Notes()
    train(config(tiny_data, tmp_path / "run", iterations=4, milestones=[2]), resume=True, stream=quiet,
          callbacks=[again])
    assert len(again.lines) == 1 and "holds a finished run" in again.lines[0]


def test_a_metrics_file_replaced_during_a_run_gets_the_later_rows(tiny_data: Path, tmp_path: Path) -> None:
    # a checkout or a copy replaces the file (a new inode): rows must not go on into the old one
    import shutil

    from minires.train.callbacks import Callback

    class ReplaceAfterFirst(Callback):
        def on_evaluate(self, run, row) -> None:  # noqa: ANN001
            if row["iteration"] == 4:
                shutil.copy(run.out / "metrics.jsonl", run.out / "copy.jsonl")
                os.replace(run.out / "copy.jsonl", run.out / "metrics.jsonl")

    train(config(tiny_data, tmp_path / "run"), stream=open(os.devnull, "w"), callbacks=[ReplaceAfterFirst()])
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == [4, 8, 12]
