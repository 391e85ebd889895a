"""The learning-rate schedule: milestones, warm-up, state, repr."""

from __future__ import annotations

import pytest

import minires
from minires import optim


def make(**kw: object) -> tuple[optim.SGD, optim.LRSchedule]:
    opt = optim.SGD([minires.ones(1, requires_grad=True)], lr=1.0, momentum=0.9)
    return opt, optim.LRSchedule(opt, 0.1, **kw)


def test_multistep_divides_at_milestones() -> None:
    opt, s = make(milestones=[3, 5])
    lrs = []
    for _ in range(7):
        lrs.append(opt.param_groups[0]["lr"])
        s.step()
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_warmup_ends_when_training_error_drops() -> None:
    opt, s = make(milestones=[100], warmup_lr=0.01, warmup_until_error=0.8, warmup_iterations=400)
    assert opt.param_groups[0]["lr"] == 0.01
    s.step(train_error=0.9)
    assert opt.param_groups[0]["lr"] == 0.01
    s.step(train_error=0.79)
    assert opt.param_groups[0]["lr"] == 0.1 and not s.warming_up


def test_warmup_ends_after_fixed_iterations() -> None:
    opt, s = make(warmup_lr=0.01, warmup_iterations=3)
    for _ in range(3):
        assert opt.param_groups[0]["lr"] == 0.01
        s.step(train_error=0.95)
    assert opt.param_groups[0]["lr"] == 0.1


def test_state_round_trip_and_repr() -> None:
    _, s = make(milestones=[2], warmup_lr=0.01, warmup_iterations=1)
    for _ in range(3):
        s.step()
    opt2, s2 = make(milestones=[2], warmup_lr=0.01, warmup_iterations=1)
    s2.load_state_dict(s.state_dict())
    assert s2.iteration == 3 and opt2.param_groups[0]["lr"] == pytest.approx(0.01)
    assert "warm-up at 0.01 until 1 iterations" in repr(s) and "×0.1 at iterations [2]" in repr(s)


def test_schedule_errors() -> None:
    with pytest.raises(ValueError, match="increasing"):
        make(milestones=[5, 3])
    with pytest.raises(ValueError, match="warm-up needs"):
        make(warmup_lr=0.01)


@pytest.mark.parametrize(("kw", "message"), [
    (dict(milestones=[5, 5]), r"strictly increasing whole numbers >= 1, got \[5, 5\]"),
    (dict(milestones=[-3]), r"got \[-3\]"),
    (dict(milestones=[0, 4]), r"got \[0, 4\]"),
    (dict(milestones=[2.5]), r"got \[2.5\]"),
    (dict(base_lr=-0.1), "base_lr must be a finite number > 0, got -0.1"),
    (dict(base_lr=float("nan")), "base_lr must be a finite number > 0, got nan"),
    (dict(warmup_lr=-0.01, warmup_iterations=3), "warmup_lr must be a finite number > 0"),
    (dict(gamma=0.0), "gamma must be a finite number > 0"),
], ids=["repeated", "negative", "zero", "fractional", "negative lr", "nan lr", "negative warm-up lr",
        "zero gamma"])
def test_absurd_schedules_are_refused(kw: dict, message: str) -> None:
    opt = optim.SGD([minires.ones(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match=message):
        optim.LRSchedule(opt, **{"base_lr": 0.1, **kw})
