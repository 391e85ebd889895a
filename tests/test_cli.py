"""The command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import minires
from minires.cli import main
from minires.models.weights import SHIPPED


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert minires.__version__ in capsys.readouterr().out


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_demo_learns_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--steps", "60"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    w = float(last.split("w = ")[1].split(",")[0])
    assert abs(w - 3) < 0.05


def test_console_script_module_entry() -> None:
    out = subprocess.run([sys.executable, "-m", "minires", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "minires" in out.stdout


def test_summary_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet20", "--totals"]) == 0
    out = capsys.readouterr().out
    assert "total parameters: 269,722 (0.27M)" in out and "layer1.0.conv1" not in out
    assert main(["summary", "plain20"]) == 0
    assert "layer1.0.conv1" in capsys.readouterr().out


def test_unknown_model_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet21"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("minires summary: error: unknown model 'resnet21'") and "\n" not in err


def test_train_command_errors_are_one_line_and_early(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    cases = [
        (["train", "--model", "resnet21", "--data", "sample"], "unknown model 'resnet21'"),
        (["train", "--model", "resnet20", "--data", str(tmp_path / "none")], "does not exist"),
        (["train", "--model", "resnet20", "--data", "sample", "--device", "tpu"], "unknown device 'tpu'"),
        (["train", "--model", "resnet20", "--data", "sample", "--out", "/proc/minires-run"], "cannot be written"),
    ]
    for argv, expected in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert expected in err and "\n" not in err, err


def test_train_and_eval_on_the_sample(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    out = tmp_path / "run"
    argv = ["train", "--model", "resnet20", "--data", "sample", "--out", str(out), "--iterations", "3",
            "--batch-size", "16", "--eval-every", "3", "--checkpoint-every", "3"]
    assert main(argv) == 0
    assert "done: resnet20, 3 iterations" in capsys.readouterr().out
    assert main(["eval", str(out)]) == 0
    assert "test error" in capsys.readouterr().out


def test_eval_takes_the_name_of_a_network_with_shipped_weights(capsys: pytest.CaptureFixture[str]) -> None:
    info = json.loads((SHIPPED / "resnet20-cpu.json").read_text())
    assert main(["eval", "resnet20", "--data", "sample"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("resnet20 at iteration 8000: test error ") and "on 1,000 images" in out
    error = float(out.split("test error ")[1].split("%")[0]) / 100
    assert abs(error - info["sample_test_error"]) <= 1 / 1000 + 1e-4  # one image either way: float32 summation order


def test_degradation_and_responses_commands_on_the_sample(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    out = tmp_path / "exp"
    argv = ["degradation", "--depths", "8", "--data", "sample", "--out", str(out), "--iterations", "2",
            "--milestones", "1", "--batch-size", "8", "--eval-every", "2", "--checkpoint-every", "2"]
    assert main(argv) == 0
    assert "| plain8 | 1 | 2 |" in capsys.readouterr().out
    assert (out / "fig6.png").exists() and (out / "table.md").exists()
    runs = [str(out / "runs" / "plain8-seed0"), str(out / "runs" / "resnet8-seed0")]
    assert main(["responses", *runs, "--out", str(tmp_path / "fig7"), "--limit", "64", "--per-channel"]) == 0
    assert "plain8" in capsys.readouterr().out
    assert (tmp_path / "fig7" / "fig7.png").exists() and (tmp_path / "fig7" / "responses.csv").exists()


def test_a_diverging_run_is_never_reported_as_finished(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    import numpy as np

    from minires import checkpoint

    out = tmp_path / "run"
    argv = ["train", "--model", "resnet8", "--data", "sample", "--batch-size", "8", "--iterations", "4",
            "--milestones", "2", "--eval-every", "2", "--checkpoint-every", "1", "--lr", "1e6", "--out", str(out)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and err.startswith("minires train: error: ") and "became" in err, err
    assert "done" not in captured.out and not (out / "result.json").exists()
    state = checkpoint.load(out / "checkpoint.npz")
    assert not state["finished"] and all(np.isfinite(v).all() for v in state["model"].values())
    assert main(["eval", str(out), "--data", "sample"]) == 2  # its weights overflow: no test error is reported
    assert "its outputs overflow" in capsys.readouterr().err
