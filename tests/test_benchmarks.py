"""The benchmark helpers count and time what they say (no speed is asserted)."""

from __future__ import annotations

import minires
from benchmarks import floor, profile
from minires import models


def test_step_flops_is_forward_plus_both_gradients() -> None:
    rows = minires.summary(models.get("resnet20"), models.input_shape("resnet20")).rows
    forward = sum(r.mult_adds for r in rows)
    stem = rows[0].mult_adds
    assert rows[0].name == "conv1" and stem == 16 * 3 * 9 * 32 * 32
    # 2 FLOPs per multiply-add; forward, weight gradient, and input gradient except the stem's
    assert floor.step_flops("resnet20", batch=4) == 2 * 4 * (3 * forward - stem)


def test_profile_times_every_function_and_restores_them() -> None:
    from minires.nn.functional.conv import Conv2dFunction

    original = Conv2dFunction.forward
    per_step, whole = profile.profile("resnet8", steps=1, warmup=1, batch=4)
    assert Conv2dFunction.forward is original
    assert per_step[("Conv2dFast", "forward")] > 0 and per_step[("Conv2dFast", "backward")] > 0
    assert per_step[("BatchNormFunction", "backward")] > 0
    assert 0 < sum(per_step.values()) < whole


def test_the_header_names_the_blas_its_kernel_and_the_threads() -> None:
    from benchmarks.machine import describe, machine_info

    info = machine_info()
    assert info["blas"] == minires.parallel.blas_info() and info["cores"] >= 1
    assert set(info["environment"]) >= {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}
    text = describe(info)
    assert f"kernel {info['blas']['architecture']}" in text and f"{info['blas']['threads']} threads" in text
    if "torch" in info:
        assert f"PyTorch {info['torch']['version']}" in text


def test_a_step_says_what_it_ran_on_and_holds_its_threads(tmp_path) -> None:  # noqa: ANN001
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "benchmarks.step", "minires", "resnet8", "--batch", "4", "--steps", "1",
                          "--warmup", "0", "--no-infer", "--threads", "1"], capture_output=True, text=True, cwd=root,
                         check=True)
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["threads"] == 1 and line["ran_on"]["minires_workers"] == 1 and line["train_img_s"] > 0
    if minires.parallel.blas_info()["library"] is not None:
        assert line["ran_on"]["threads"] == 1 and line["ran_on"]["library"] == minires.parallel.blas_info()["library"]


def test_the_per_layer_table_times_the_same_layers_in_both_frameworks() -> None:
    import numpy as np
    import pytest

    from benchmarks import ops

    pytest.importorskip("torch")
    ours = ops.time_shape(16, 8, 2, np.random.default_rng(0))
    theirs = ops.time_shape_torch(16, 8, 2)
    assert set(theirs) <= set(ours) and all(v > 0 for v in [*ours.values(), *theirs.values()])
