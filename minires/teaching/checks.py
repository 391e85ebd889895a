"""One check per exercise: run the student's code beside minires's and say what differs.

Every check gets the student's module, calls what the exercise asked for on small random
inputs (float64, so only real mistakes show), and compares with minires: the value, the
shape, each gradient.  It returns a ``Report``: passed, one line per problem, and points.

Points: each exercise is worth 10, split over its parts (``POINTS``): "im2col" and "col2im",
"grad_x" and "grad_weight", ...  A part that compares several cases (four geometries of im2col,
three steps of SGD) earns its points in proportion to the cases that came out right, so a
student whose col2im is right and whose im2col is wrong gets half the exercise.  A case that
never ran (the check stopped at an error, or the function raised) earns nothing.  A file that
hands in minires's own function, or patches NumPy or minires, gets no points at all.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import minires
from minires import optim
from minires.errors import InputError
from minires.nn import functional as F

TOLERANCE = 1e-6  # relative, on float64 values

# What each exercise asks the student to write: these must be the student's own, not minires's
ANSWERS: dict[str, tuple[str, ...]] = {
    "ex1_custom_function": ("Softplus",), "ex2_im2col": ("im2col", "col2im"), "ex3_conv_backward": ("conv2d_backward",),
    "ex4_batchnorm_backward": ("batch_norm_backward",), "ex5_basic_block": ("BasicBlock",), "ex6_sgd": ("sgd_step",),
    "ex7_lr_schedule": ("learning_rate",), "ex8_winograd": ("winograd_1d", "winograd_tile", "winograd_conv2d"),
    "ex9_layer_responses": ("response_stds", "ranked"),
    "ex10_gradient_norms": ("gradient_norms",),
}

# The namespaces the checks compute and compare with, as they were before any student's code ran:
# NumPy's and every minires module's (a file that replaced minires.nn.functional.im2col with its own
# would otherwise compare its answer with itself)
# (minires's own state -- its random generator, its thread pool -- changes legitimately: only its
# functions and classes are watched)
_NAMESPACES = {name: (module, {k: v for k, v in vars(module).items() if name == "numpy" or callable(v)})
               for name, module in list(sys.modules.items())
               if module is not None and (name == "numpy" or name == "minires" or name.startswith("minires."))}


def _restore_numpy() -> list[str]:
    """Put back every NumPy or minires name a student's code replaced; those names (e.g. ``np.abs``)."""
    changed = []
    for name, (module, saved) in _NAMESPACES.items():
        current = vars(module)
        for key, value in saved.items():
            if current.get(key) is not value:
                setattr(module, key, value)
                changed.append(f"{'np' if name == 'numpy' else name}.{key}")
    return sorted(changed)


@dataclass(frozen=True)
class Part:
    """One graded part of an exercise: its ``points``, earned in proportion over its ``cases``."""

    points: float
    cases: int = 1


# Every exercise is worth 10 points; a part is named by the start of what its comparisons are called
POINTS: dict[str, dict[str, Part]] = {
    "ex1_custom_function": {"forward": Part(4), "gradient with respect to x": Part(6)},
    "ex2_im2col": {"im2col": Part(5, 4), "col2im": Part(5, 4)},
    "ex3_conv_backward": {"grad_x": Part(5, 2), "grad_weight": Part(5, 2)},
    "ex4_batchnorm_backward": {"grad_x": Part(6), "grad_gamma": Part(2), "grad_beta": Part(2)},
    "ex5_basic_block": {"BasicBlock(16, 16, stride=1)": Part(5), "BasicBlock(16, 32, stride=2)": Part(5)},
    "ex6_sgd": {"parameter after step": Part(10, 3)},
    "ex7_lr_schedule": {"learning rate": Part(10, 8)},
    "ex8_winograd": {"winograd_1d": Part(2, 3), "four multiplications": Part(2), "winograd_tile": Part(3),
                     "winograd_conv2d": Part(3)},
    "ex9_layer_responses": {"response_stds": Part(6, 2), "hooks removed": Part(2, 2), "ranked": Part(2)},
    "ex10_gradient_norms": {"output-gradient norms": Part(4, 2), "weight-gradient norms": Part(4, 2),
                            "hooks removed": Part(2, 2)},
}


class Problems(list):
    """The problem lines of a check (a list of str), and every case it compared: (name, right or not)."""

    def __init__(self) -> None:
        super().__init__()
        self.cases: list[tuple[str, bool]] = []


def _case(problems: list[str], name: str, right: bool, problem: str | None = None) -> None:
    """Count one compared case of a part (``name`` starts with the part's name); add ``problem`` if wrong."""
    if isinstance(problems, Problems):
        problems.cases.append((name, right))
    if not right and problem is not None:
        problems.append(problem)


def score(exercise: str, cases: list[tuple[str, bool]]) -> dict[str, float]:
    """Points per part of ``exercise`` for the compared ``cases``: points × (cases right / cases expected)."""
    earned = {}
    for part, spec in POINTS[exercise].items():
        right = sum(ok for name, ok in cases if _part_of(exercise, name) == part)
        earned[part] = spec.points * min(right, spec.cases) / spec.cases
    return earned


def _part_of(exercise: str, name: str) -> str | None:
    """The part a compared case belongs to: the longest part name it starts with."""
    parts = [p for p in POINTS[exercise] if name.startswith(p)]
    return max(parts, key=len) if parts else None


@dataclass
class Report:
    """What one check found: ``passed``, one line per problem (empty when passed), points per part.

    ``parts``: {part: points earned}; ``points`` their sum, ``out_of`` what the exercise is worth.
    """

    exercise: str
    problems: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def points(self) -> float:
        return float(sum(self.parts.values()))

    @property
    def out_of(self) -> float:
        return float(sum(p.points for p in POINTS.get(self.exercise, {}).values()))

    def __str__(self) -> str:
        if self.passed:
            return f"{self.exercise}: passed ({self.points:g}/{self.out_of:g} points)"
        return (f"{self.exercise}: {len(self.problems)} problem(s), {self.points:.3g}/{self.out_of:g} points\n"
                + "\n".join(f"  - {p}" for p in self.problems))


def compare(name: str, got: Any, expected: np.ndarray, problems: list[str]) -> None:
    """Add a line to ``problems`` if ``got`` is not ``expected``: its type, shape, or how far off.

    Each comparison is one case of the part its ``name`` starts with (see ``POINTS``).
    """
    if isinstance(got, minires.Tensor):
        got = got.numpy()
    if not isinstance(got, np.ndarray):
        _case(problems, name, False, f"{name}: expected an array of shape {expected.shape}, got {type(got).__name__}")
        return
    if got.shape != expected.shape:
        _case(problems, name, False, f"{name}: expected shape {expected.shape}, got {got.shape}")
        return
    error = np.abs(got - expected)
    scale = np.abs(expected).max() or 1.0
    if not np.all(np.isfinite(got)) or error.max() > TOLERANCE * scale:
        worst = np.unravel_index(np.nanargmax(np.where(np.isfinite(error), error, np.inf)), error.shape)
        _case(problems, name, False,
              f"{name}: off by up to {error.max():.3g} (largest value {scale:.3g}); first at index "
              f"{tuple(int(i) for i in worst)}: got {got[worst]:.6g}, expected {expected[worst]:.6g}")
        return
    _case(problems, name, True)


def _close(a: Any, b: np.ndarray) -> bool:
    """Whether ``a`` is an array equal to ``b`` within the checks' tolerance."""
    a = a.numpy() if isinstance(a, minires.Tensor) else a
    return (isinstance(a, np.ndarray) and a.shape == b.shape
            and bool(np.all(np.abs(a - b) <= TOLERANCE * (np.abs(b).max() or 1.0))))


def _cause(problems: list[str], cause: str) -> None:
    """Name the mistake a wrong answer's pattern gives away, in the exercise's words."""
    problems.append(f"likely cause: {cause}")


_course_seed: int | None = None  # the teacher's secret: hidden inputs for grading (see set_course_seed)


def set_course_seed(seed: int | None) -> None:
    """Draw every check's inputs from ``seed`` too (None: the inputs students see when they check).

    A teacher grades with a seed of their own (``grade --course-seed N``), so a file that was
    tuned to the public inputs -- or that hard-codes their answers -- meets inputs it has never seen.
    """
    global _course_seed
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise InputError(f"the course seed must be a whole number >= 0, got {seed!r}")
    _course_seed = seed


def _rng(seed: int = 0) -> np.random.Generator:
    """The inputs of a check: the same for every student, different under a course seed."""
    return np.random.default_rng(seed if _course_seed is None else (_course_seed, seed))


# ---------------------------------------------------------------- the exercises


def check_custom_function(mod: ModuleType, problems: list[str]) -> None:
    x = _rng().standard_normal((3, 4)) * 3
    t = minires.tensor(x, requires_grad=True)
    y = mod.Softplus.apply(t)
    compare("forward", y, np.logaddexp(0, x), problems)
    weights = _rng(1).standard_normal((3, 4))
    (y * minires.tensor(weights)).sum().backward()
    compare("gradient with respect to x", t.grad, weights / (1 + np.exp(-x)), problems)


def check_im2col(mod: ModuleType, problems: list[str]) -> None:
    for k, stride, padding in [(3, 1, 1), (3, 2, 1), (1, 2, 0), (2, 2, 0)]:
        x = _rng(k + stride).standard_normal((2, 3, 6, 6))
        where = f"im2col(k={k}, stride={stride}, padding={padding})"
        expected = F.im2col(x, k, stride, padding)
        got = mod.im2col(x, k, stride, padding)
        before = len(problems)
        compare(where, got, expected, problems)
        if len(problems) > before and isinstance(got, np.ndarray) and got.shape == expected.shape:
            c = x.shape[1]
            if _close(got, expected.reshape(c, k * k, -1).transpose(1, 0, 2).reshape(expected.shape)):
                _cause(problems, "rows must be ordered (channel, i, j): yours are ordered (i, j, channel)")
            elif _close(np.sort(got, axis=0), np.sort(expected, axis=0)):
                _cause(problems, "the right rows in the wrong order: row (c·k + i)·k + j is channel c at offset (i, j)")
        cols = _rng(7).standard_normal(expected.shape)
        got = mod.col2im(cols, x.shape, k, stride, padding)
        expected_x = np.asarray(F.col2im(cols, x.shape, k, stride, padding))
        before = len(problems)
        compare(where.replace("im2col", "col2im"), got, expected_x, problems)
        if len(problems) > before and isinstance(got, np.ndarray) and got.shape == expected_x.shape:
            windows = np.asarray(F.col2im(np.ones_like(cols), x.shape, k, stride, padding))  # windows per pixel
            single = windows <= 1  # (some geometries have no such pixel; the next one will)
            if single.any() and (~single).any() and _close(got[single], expected_x[single]) \
                    and not _close(got[~single], expected_x[~single]):
                _cause(problems, "where windows overlap their contributions must be added (+=), not overwritten (=)")


def check_conv_backward(mod: ModuleType, problems: list[str]) -> None:
    for stride, padding in [(1, 1), (2, 1)]:
        x = minires.tensor(_rng(stride).standard_normal((2, 3, 7, 7)), requires_grad=True)
        w = minires.tensor(_rng(5).standard_normal((4, 3, 3, 3)), requires_grad=True)
        out = F.conv2d(x, w, stride=stride, padding=padding)
        g = _rng(9).standard_normal(out.shape)
        out.backward(g)
        got = mod.conv2d_backward(x.numpy(), w.numpy(), g, stride, padding)
        if not isinstance(got, tuple) or len(got) != 2:
            problems.append("conv2d_backward should return a pair (grad_x, grad_weight)")
            return
        compare(f"grad_x (stride {stride})", got[0], x.grad.numpy(), problems)
        compare(f"grad_weight (stride {stride})", got[1], w.grad.numpy(), problems)
        if problems:  # the usual mistake: grad_out reshaped to (F, N·OH·OW) without moving F to the front
            f, k = w.shape[0], w.shape[2]
            cols = F.im2col(x.numpy(), k, stride, padding)
            scrambled = g.reshape(f, -1)
            if _close(got[1], (scrambled @ cols.T).reshape(w.shape)):
                _cause(problems, "grad_out is (N, F, OH, OW): transpose it to (F, N, OH, OW) before reshaping it "
                                 "to (F, N·OH·OW), or its values land in the wrong columns")
            return


def check_batchnorm_backward(mod: ModuleType, problems: list[str]) -> None:
    rng = _rng(3)
    x = minires.tensor(2 + 3 * rng.standard_normal((4, 3, 5, 5)), requires_grad=True)
    gamma = minires.tensor(1 + 0.5 * rng.standard_normal(3), requires_grad=True)
    beta = minires.tensor(rng.standard_normal(3), requires_grad=True)
    out = F.batch_norm(x, None, None, gamma, beta, training=True)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    got = mod.batch_norm_backward(x.numpy(), gamma.numpy(), g)
    if not isinstance(got, tuple) or len(got) != 3:
        problems.append("batch_norm_backward should return (grad_x, grad_gamma, grad_beta)")
        return
    for name, value, expected in zip(("grad_x", "grad_gamma", "grad_beta"), got, (x.grad, gamma.grad, beta.grad)):
        compare(name, value, expected.numpy(), problems)
    grad_x, expected = got[0], x.grad.numpy()
    if problems and isinstance(grad_x, np.ndarray) and grad_x.shape == expected.shape:
        error = grad_x - expected  # the signature of a missing term, channel by channel
        x_hat = (x.numpy() - x.numpy().mean(axis=(0, 2, 3), keepdims=True))
        per_channel = error.reshape(error.shape[0], error.shape[1], -1).transpose(1, 0, 2).reshape(error.shape[1], -1)
        if np.allclose(per_channel, per_channel[:, :1], atol=TOLERANCE * (np.abs(expected).max() or 1)):
            _cause(problems, "grad_x is off by a constant in each channel: the term with the mean of grad_out "
                             "(the gradient through the batch mean) is missing")
        else:
            ratio = error / np.where(np.abs(x_hat) > 1e-9, x_hat, np.nan)
            spread = np.nanmax(ratio, axis=(0, 2, 3)) - np.nanmin(ratio, axis=(0, 2, 3))
            if np.all(spread <= 1e-6 * (np.nanmax(np.abs(ratio)) or 1)):
                _cause(problems, "grad_x is off in proportion to x̂ in each channel: the term through the batch "
                                 "variance (x̂ times the mean of grad_out·x̂) is missing")


def check_basic_block(mod: ModuleType, problems: list[str]) -> None:
    from minires.models.blocks import BasicBlock

    for cin, cout, stride in [(16, 16, 1), (16, 32, 2)]:
        minires.manual_seed(0)
        theirs = mod.BasicBlock(cin, cout, stride).double()
        ours = BasicBlock(cin, cout, stride, shortcut="A").double()
        where = f"BasicBlock({cin}, {cout}, stride={stride})"
        if theirs.num_parameters() != ours.num_parameters():
            problems.append(f"{where}: {theirs.num_parameters():,} parameters, expected {ours.num_parameters():,} "
                            "(option A's shortcut has none; convolutions have no bias)")
            continue
        try:
            theirs.load_state_dict(ours.state_dict())
        except (KeyError, ValueError) as err:
            problems.append(f"{where}: its layers do not match conv1/bn1/conv2/bn2 ({err})")
            continue
        x = _rng(cin + stride).standard_normal((2, cin, 8, 8))
        compare(f"{where} output", theirs(minires.tensor(x)), ours(minires.tensor(x)).numpy(), problems)


def check_sgd(mod: ModuleType, problems: list[str]) -> None:
    rng = _rng(4)
    p = minires.tensor(rng.standard_normal(5), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-2)
    param, buf = p.numpy().copy(), None
    for step in range(3):
        grad = rng.standard_normal(5)
        p.grad = minires.tensor(grad)
        opt.step()
        given = [a.copy() if a is not None else None for a in (param, grad, buf)]
        got = mod.sgd_step(param, grad, buf, 0.1, 0.9, 1e-2)
        for label, before, after in zip(("param", "grad", "buf"), given, (param, grad, buf)):
            if before is not None and not np.array_equal(before, after):
                problems.append(f"sgd_step changed its input {label} in place; return new arrays instead")
                return
        if not isinstance(got, tuple) or len(got) != 2:
            problems.append("sgd_step should return (new_param, new_buf)")
            return
        wrong_order = None
        if step == 1:  # weight decay added after the momentum buffer: right at step 1, wrong from step 2
            old_param, old_grad, old_buf = given
            wrong_order = old_param - 0.1 * (0.9 * old_buf + old_grad + 1e-2 * old_param)
        param, buf = got
        compare(f"parameter after step {step + 1}", param, p.numpy(), problems)
        if problems:
            if wrong_order is not None and _close(param, wrong_order):
                _cause(problems, "weight decay belongs inside the momentum buffer: g ← g + λ·p comes before "
                                 "v ← μ·v + g, not after it")
            elif step == 0 and _close(param, given[0] - 0.1 * given[1]):
                _cause(problems, "the weight decay term λ·p is missing from the gradient")
            return


def check_lr_schedule(mod: ModuleType, problems: list[str]) -> None:
    schedule = optim.LRSchedule(optim.SGD([minires.zeros(1, requires_grad=True)], lr=0.1), 0.1, [32000, 48000])
    for iteration in (0, 1, 31999, 32000, 32001, 47999, 48000, 63999):
        schedule.iteration = iteration
        got, expected = mod.learning_rate(iteration), schedule.lr()
        right = isinstance(got, (int, float)) and abs(got - expected) <= 1e-12
        _case(problems, "learning rate", right, f"iteration {iteration}: learning rate {got!r}, expected {expected:g}")


class _Tagged(float):
    """A number that remembers whether it came from the data (d) or the filter (g).

    ``winograd_1d`` is run once on such numbers to count its data × filter multiplications
    (``_Tagged.products``); constants such as ½ carry no tag and are not counted.
    """

    products = 0

    def __new__(cls, value: float, tags: frozenset[str] = frozenset()) -> _Tagged:
        obj = super().__new__(cls, value)
        obj.tags = tags
        return obj

    def _with(self, other: object, value: float) -> _Tagged:
        return _Tagged(value, self.tags | getattr(other, "tags", frozenset()))

    def __add__(self, other: object) -> _Tagged:
        return self._with(other, float(self) + float(other))  # type: ignore[arg-type]

    def __sub__(self, other: object) -> _Tagged:
        return self._with(other, float(self) - float(other))  # type: ignore[arg-type]

    def __rsub__(self, other: object) -> _Tagged:
        return self._with(other, float(other) - float(self))  # type: ignore[arg-type]

    def __truediv__(self, other: object) -> _Tagged:
        return self._with(other, float(self) / float(other))  # type: ignore[arg-type]

    def __neg__(self) -> _Tagged:
        return _Tagged(-float(self), self.tags)

    def __mul__(self, other: object) -> _Tagged:
        theirs = getattr(other, "tags", frozenset())
        if self.tags and theirs and {"d", "g"} <= self.tags | theirs:
            _Tagged.products += 1
        return self._with(other, float(self) * float(other))  # type: ignore[arg-type]

    __radd__ = __add__
    __rmul__ = __mul__


def check_winograd(mod: ModuleType, problems: list[str]) -> None:
    rng = _rng(8)
    for trial in range(3):
        d, g = rng.standard_normal(4), rng.standard_normal(3)
        expected = np.array([d[0:3] @ g, d[1:4] @ g])
        compare(f"winograd_1d (trial {trial + 1})", np.asarray(mod.winograd_1d(d, g), dtype=float), expected, problems)
    values_right = not problems
    _Tagged.products = 0
    mod.winograd_1d([_Tagged(v, frozenset("d")) for v in d], [_Tagged(v, frozenset("g")) for v in g])
    _case(problems, "four multiplications", values_right and _Tagged.products <= 4,  # (right values, fewer products)
          f"winograd_1d multiplies data by filter {_Tagged.products} times; F(2, 3) needs only 4"
          if _Tagged.products > 4 else None)
    d, g = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
    expected = np.array([[np.sum(d[i : i + 3, j : j + 3] * g) for j in range(2)] for i in range(2)])
    got = mod.winograd_tile(d, g)
    before = len(problems)
    compare("winograd_tile", got, expected, problems)
    if len(problems) > before:  # the usual mistake: the tile's transform applied from the wrong side
        b_t = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float)
        g_m = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=float)
        a_t = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float)
        u = g_m @ g @ g_m.T
        if _close(got, a_t @ (u * (b_t.T @ d @ b_t)) @ a_t.T):
            _cause(problems, "the tile's transform is Bᵀ·d·B (B_T @ d @ B_T.T); yours is B·d·Bᵀ")
    x, w = rng.standard_normal((3, 6, 8)), rng.standard_normal((4, 3, 3, 3))
    expected = F.conv2d(minires.tensor(x[None]), minires.tensor(w), padding=1).numpy()[0]
    compare("winograd_conv2d (3 channels, 6x8 image, 4 filters)", mod.winograd_conv2d(x, w), expected, problems)


def _response_model(name: str, shortcut: str, rng: np.random.Generator) -> minires.nn.Module:
    """A small float64 CIFAR net whose batch norms have moved from their initial values.

    Running statistics and γ away from 0 and 1 make evaluation-mode responses differ from
    training-mode ones (and from 1), so measuring in the wrong mode shows.
    """
    from minires import models

    minires.manual_seed(0)
    model = models.cifar_resnet(8, plain=name.startswith("plain"), shortcut=shortcut).double()
    for module in model.modules():
        if isinstance(module, minires.nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.data = rng.normal(0, 0.5, c)
            module.running_var.data = rng.uniform(0.3, 3.0, c)
            module.weight.data = rng.uniform(0.3, 1.5, c)
    return model.train()


def check_layer_responses(mod: ModuleType, problems: list[str]) -> None:
    import copy

    from minires.models import layer_responses

    rng = _rng(9)
    for name, shortcut in (("plain8", "A"), ("resnet8", "B")):  # option B: 1×1 projection shortcuts with BNs
        where = f"response_stds({name}{', projection shortcuts' if shortcut == 'B' else ''})"
        model = _response_model(name, shortcut, rng)
        x = rng.standard_normal((4, 3, 16, 16))
        expected = [float(r.std()) for _, r in layer_responses(copy.deepcopy(model).eval(), minires.tensor(x))]
        in_training = [float(r.std()) for _, r in layer_responses(copy.deepcopy(model).train(), minires.tensor(x))]
        got = mod.response_stds(model, x)
        if not isinstance(got, (list, tuple)):
            problems.append(f"{where}: expected a list of {len(expected)} floats, got {type(got).__name__}")
            continue
        if len(got) != len(expected):
            extra = " (not the 1×1 projection shortcut's BN)" if len(got) > len(expected) else ""
            problems.append(f"{where}: {len(got)} responses, expected {len(expected)}: one per 3×3 convolution{extra}")
            continue
        before = len(problems)
        compare(where, np.asarray(got, dtype=float), np.asarray(expected), problems)
        if len(problems) > before and np.allclose(got, in_training, rtol=1e-6):
            problems[-1] += " — these are training-mode responses (batch statistics): call model.eval() first"
        left = sum(len(m._forward_hooks) for m in model.modules())
        _case(problems, "hooks removed", not left,
              f"{where}: {left} hook(s) still attached after it returned: remove them (handle.remove())")
    compare("ranked([0.5, 1.2, 0.9])", np.asarray(mod.ranked([0.5, 1.2, 0.9]), dtype=float),
            np.array([1.2, 0.9, 0.5]), problems)


def check_gradient_norms(mod: ModuleType, problems: list[str]) -> None:
    from minires.experiments.gradients import gradient_norms

    rng = _rng(10)
    images = rng.standard_normal((6, 3, 16, 16)).astype(np.float32)
    labels = np.arange(6) % 10
    for shortcut in ("A", "B"):  # B: with 1×1 projection convolutions, which are not 3×3 layers
        minires.manual_seed(3)
        model = minires.models.get("resnet8", shortcut=shortcut)
        model.eval()  # the function must switch to training mode itself
        for p in model.parameters():
            p.grad = minires.tensor(np.full(p.shape, 7.0, np.float32))  # stale gradients to be cleared
        hooks_before = sum(len(m._forward_hooks) for m in model.modules())
        try:
            got = mod.gradient_norms(model, images, labels)
        except AttributeError as err:
            if "NoneType" not in str(err):
                raise
            problems.append(f"raised AttributeError: {err}")
            _cause(problems, "an output's .grad is None after backward: call output.retain_grad() in the hook "
                             "(an intermediate tensor keeps its gradient only when asked to)")
            return
        if not isinstance(got, tuple) or len(got) != 2:
            problems.append("gradient_norms should return a pair (output-gradient norms, weight-gradient norms)")
            return
        minires.manual_seed(3)
        expected = gradient_norms(minires.models.get("resnet8", shortcut=shortcut), images, labels)
        for label, ours, theirs in zip(("output-gradient norms", "weight-gradient norms"), got, expected):
            ours = np.asarray(ours, dtype=float)
            if ours.shape != (len(theirs),):
                problems.append(f"{label} (shortcut {shortcut}): {ours.size} values, expected {len(theirs)}: "
                                f"one per 3×3 convolution" + (" (not the 1×1 projections)" if shortcut == "B" else ""))
                return
            compare(f"{label} (shortcut {shortcut})", ours, np.asarray(theirs), problems)
        left = sum(len(m._forward_hooks) for m in model.modules()) - hooks_before
        _case(problems, "hooks removed", not left,
              f"{left} hook(s) still attached after it returned: remove them (handle.remove())")
        if problems:
            return


CHECKS: dict[str, Callable[[ModuleType, list[str]], None]] = {
    "ex1_custom_function": check_custom_function,
    "ex2_im2col": check_im2col,
    "ex3_conv_backward": check_conv_backward,
    "ex4_batchnorm_backward": check_batchnorm_backward,
    "ex5_basic_block": check_basic_block,
    "ex6_sgd": check_sgd,
    "ex7_lr_schedule": check_lr_schedule,
    "ex8_winograd": check_winograd,
    "ex9_layer_responses": check_layer_responses,
    "ex10_gradient_norms": check_gradient_norms,
}


def check_module(name: str, module: ModuleType) -> Report:
    """Run exercise ``name``'s check on an imported module: its problems and its points per part."""
    problems = Problems()
    report = Report(name, problems)
    borrowed = [f"{answer} is minires's own ({obj.__module__}), not written here" for answer in ANSWERS.get(name, ())
                if (obj := getattr(module, answer, None)) is not None
                and str(getattr(obj, "__module__", "")).startswith("minires")]
    if borrowed:
        report.problems.extend(borrowed)
        return report
    try:
        CHECKS[name](module, problems)
    except NotImplementedError:
        report.problems.append("not written yet (a NotImplementedError is still there)")
    except Exception as err:  # the student's code failed: say where, briefly
        last = traceback.extract_tb(err.__traceback__)[-1]
        report.problems.append(f"raised {type(err).__name__}: {err} (at {Path(last.filename).name}:{last.lineno})")
    patched = _restore_numpy()
    if patched:
        report.problems.insert(0, f"the code replaces {', '.join(patched)}: exercises must not change NumPy or minires")
    else:
        report.parts = score(name, problems.cases)
    return report


def check(path: str | Path) -> Report:
    """Load an exercise file (its name says which exercise) and check it."""
    path = Path(path)
    name = path.stem
    if name not in CHECKS:
        return Report(name, [f"unknown exercise file {path.name}; expected one of {', '.join(CHECKS)}"])
    spec = importlib.util.spec_from_file_location(f"_exercise_{name}_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as err:
        return Report(name, [f"the file does not import: {type(err).__name__}: {err}"])
    finally:
        sys.modules.pop(spec.name, None)  # type: ignore[union-attr]
    patched = _restore_numpy()  # before the check runs: it compares with NumPy
    report = check_module(name, module)
    if patched:
        report.problems.insert(0, f"the file replaces {', '.join(patched)}: exercises must not change NumPy or minires")
        report.parts = {}
    return report
