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
