"""The exercises: every solution passes its check, every blank fails it, mistakes are named, a class is graded."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from minires.errors import InputError
from minires.teaching import CHECKS, check, grade, make_student, student_source
from minires.teaching.__main__ import main
from minires.teaching.grading import grades_csv

EXERCISES = Path(__file__).resolve().parents[1] / "notebooks" / "exercises"


def test_every_exercise_has_a_check_and_a_file() -> None:
    assert sorted(p.stem for p in EXERCISES.glob("ex*.py")) == sorted(CHECKS)


@pytest.mark.parametrize("name", CHECKS)
def test_the_solution_passes(name: str) -> None:
    report = check(EXERCISES / f"{name}.py")
    assert report.passed, str(report)
    assert report.points == report.out_of == 10, report.parts


@pytest.mark.parametrize("name", CHECKS)
def test_the_student_version_fails(name: str, tmp_path: Path) -> None:
    blank = tmp_path / f"{name}.py"
    blank.write_text(student_source((EXERCISES / f"{name}.py").read_text()))
    assert "### BEGIN SOLUTION" not in blank.read_text() and "your code here" in blank.read_text()
    report = check(blank)
    assert not report.passed and report.problems == ["not written yet (a NotImplementedError is still there)"]


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("ex4_batchnorm_backward", "- x_hat * grad_gamma.reshape(1, -1, 1, 1) / m", "", "grad_x: off by up to"),
    ("ex6_sgd", "g = grad + weight_decay * param", "g = grad", "parameter after step 1: off by"),
    ("ex2_im2col", "return cols.reshape(c * k * k, n * oh * ow)", "return cols.reshape(c * k * k, n * oh * ow).T",
     "expected shape (27, 72), got (72, 27)"),
    ("ex7_lr_schedule", "iteration >= m", "iteration > m", "iteration 32000: learning rate 0.1, expected 0.01"),
    ("ex5_basic_block", "bias=False)\n        self.bn1", "bias=True)\n        self.bn1", "parameters, expected"),
    ("ex3_conv_backward", "grad_weight = (g @ cols.T)", "grad_weight = 2 * (g @ cols.T)", "grad_weight (stride 1)"),
    ("ex8_winograd", "return np.array([m0 + m1 + m2, m1 - m2 - m3])",
     "return np.array([d[0] * g[0] + d[1] * g[1] + d[2] * g[2], d[1] * g[0] + d[2] * g[1] + d[3] * g[2]])",
     "F(2, 3) needs only 4"),
    ("ex8_winograd", "v = B_T @ d @ B_T.T", "v = B_T.T @ d @ B_T", "winograd_tile: off by"),
    ("ex9_layer_responses", " and isinstance(previous, nn.Conv2d) and previous.kernel_size == (3, 3)", "",
     "9 responses, expected 7: one per 3×3 convolution (not the 1×1 projection shortcut's BN)"),
    ("ex9_layer_responses", "    model.eval()\n", "", "training-mode responses (batch statistics): call model.eval()"),
    ("ex9_layer_responses", "    for handle in handles:\n        handle.remove()\n", "",
     "7 hook(s) still attached after it returned"),
])
def test_a_mistake_is_named(name: str, old: str, new: str, message: str, tmp_path: Path) -> None:
    source = (EXERCISES / f"{name}.py").read_text()
    assert old in source
    (tmp_path / f"{name}.py").write_text(source.replace(old, new))
    report = check(tmp_path / f"{name}.py")
    assert not report.passed and any(message in p for p in report.problems), str(report)


def test_a_teacher_makes_the_handout_and_grades_a_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["student", str(EXERCISES), str(tmp_path / "handout")]) == 0
    submissions = tmp_path / "submissions"
    shutil.copytree(EXERCISES, submissions / "ada", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(tmp_path / "handout", submissions / "bob")
    (submissions / "bob" / "ex7_lr_schedule.py").unlink()
    capsys.readouterr()
    assert main(["grade", str(submissions), "--csv", str(tmp_path / "grades.csv")]) == 0
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text()))}
    assert rows["ada"]["total"] == rows["ada"]["out_of"] == str(10 * len(CHECKS)) and rows["bob"]["total"] == "0"
    assert rows["ada"]["passed"] == str(len(CHECKS)) and rows["bob"]["passed"] == "0"
    assert "ex7_lr_schedule: not handed in" in rows["bob"]["notes"]
    assert grades_csv(grade(submissions)) == (tmp_path / "grades.csv").read_text()
    assert main(["check", str(tmp_path / "handout" / "ex6_sgd.py")]) == 1


def test_malformed_markers_and_empty_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="never closed"):
        student_source("x = 1\n### BEGIN SOLUTION\ny = 2\n")
    with pytest.raises(InputError, match="without"):
        student_source("### END SOLUTION\n")
    with pytest.raises(InputError, match="found none"):
        make_student(tmp_path, tmp_path / "out")
    with pytest.raises(InputError, match="one folder per student"):
        grade(tmp_path)


# ---------------------------------------------------------------- grading a class: isolation and limits


def _submission(folder: Path, name: str, extra: str = "", solution: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = (EXERCISES / f"{name}.py").read_text()
    file = folder / f"{name}.py"
    file.write_text((text if solution else student_source(text)) + extra)
    return file


@pytest.mark.parametrize("extra, verdict", [
    ("\nimport time\ntime.sleep(3600)\n", "took longer than 3 s"),
    ("\nexit()\n", "exited (exit() or sys.exit())"),
    ("\nimport os\nos.abort()\n", "was killed by signal"),
    ("\nwhile True:\n    print('x' * 10000)\n", "took longer than 3 s"),
])
def test_a_hang_an_exit_a_crash_or_a_flood_costs_only_that_exercise(tmp_path: Path, extra: str,
                                                                     verdict: str) -> None:
    from minires.teaching import check_isolated

    report = check_isolated(_submission(tmp_path, "ex6_sgd", extra), timeout=3)
    assert not report.passed and verdict in report.problems[0], str(report)
    assert check_isolated(_submission(tmp_path / "ok", "ex6_sgd"), timeout=60).passed


def test_a_patched_numpy_fails_its_own_exercise_and_reaches_no_other(tmp_path: Path) -> None:
    patch = "\nimport numpy as np\nnp.abs = lambda x, *a, **k: x * 0\n"
    wrong = "\n_real = sgd_step\ndef sgd_step(*args, **kw):\n    p, b = _real(*args, **kw)\n    return p + 1, b\n"
    _submission(tmp_path / "a-patcher", "ex6_sgd", wrong + patch)
    _submission(tmp_path / "b-wrong", "ex6_sgd", wrong)
    results = grade(tmp_path)
    patcher, other = results["a-patcher"]["ex6_sgd"], results["b-wrong"]["ex6_sgd"]
    assert not patcher.passed and "replaces np.abs" in patcher.problems[0]
    assert not other.passed and "off by" in other.problems[0]


def test_the_reference_imported_or_inputs_changed_in_place_do_not_pass(tmp_path: Path) -> None:
    (tmp_path / "ex2_im2col.py").write_text("from minires.nn.functional import im2col, col2im\n")
    report = check(tmp_path / "ex2_im2col.py")
    assert not report.passed and "im2col is minires's own" in report.problems[0]
    in_place = ("def sgd_step(param, grad, buf, lr, momentum=0.9, weight_decay=1e-4):\n"
                "    grad += weight_decay * param\n"
                "    buf = grad.copy() if buf is None else momentum * buf + grad\n"
                "    return param - lr * buf, buf\n")
    (tmp_path / "ex6_sgd.py").write_text(in_place)
    report = check(tmp_path / "ex6_sgd.py")
    assert not report.passed and "changed its input grad in place" in report.problems[0]


def test_rows_print_as_students_finish_and_the_csv_grows_with_them(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from minires.teaching import grading

    for student in ("ada", "bob"):
        _submission(tmp_path / "subs" / student, "ex6_sgd", solution=student == "ada")
    seen: list[str] = []
    real = grading.grade

    def watching(*args, on_student, **kw):  # noqa: ANN001, ANN003, ANN202
        def show(student, reports):  # noqa: ANN001, ANN202
            on_student(student, reports)
            seen.append((tmp_path / "g.csv").read_text())  # what a grading killed now would have kept
        return real(*args, on_student=show, **kw)

    grading_main = __import__("minires.teaching.__main__", fromlist=["main"])
    original = grading_main.grade
    grading_main.grade = watching
    try:
        assert main(["grade", str(tmp_path / "subs"), "--csv", str(tmp_path / "g.csv"), "--jobs", "2"]) == 0
    finally:
        grading_main.grade = original
    assert [text.count("\n") for text in seen] == [2, 3]  # header + ada, then + bob
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("student,") and printed[1].startswith("ada,") and printed[2].startswith("bob,")


def test_every_exercise_names_what_the_student_writes() -> None:
    from minires.teaching.checks import ANSWERS

    assert set(ANSWERS) == set(CHECKS)
    for name, answers in ANSWERS.items():
        text = (EXERCISES / f"{name}.py").read_text()
        assert all(f"def {a}(" in text or f"class {a}(" in text for a in answers), name


@pytest.mark.parametrize(("name", "edits", "cause"), [
    ("ex2_im2col", [("cols = np.empty((c, k, k, n, oh, ow)", "cols = np.empty((k, k, c, n, oh, ow)"),
                    ("cols[:, i, j] = window", "cols[i, j] = window")],
     "rows must be ordered (channel, i, j)"),
    ("ex2_im2col", [("stride * ow : stride] += slabs", "stride * ow : stride] = slabs")],
     "must be added (+=), not overwritten"),
    ("ex4_batchnorm_backward", [("grad_out - grad_beta.reshape(1, -1, 1, 1) / m - x_hat", "grad_out - x_hat")],
     "the term with the mean of grad_out"),
    ("ex4_batchnorm_backward", [("- x_hat * grad_gamma.reshape(1, -1, 1, 1) / m", "")], "the term through the batch"),
    ("ex6_sgd", [("g = grad + weight_decay * param", "g = grad"),
                 ("return param - lr * new_buf, new_buf",
                  "return param - lr * (new_buf + weight_decay * param), new_buf")],
     "weight decay belongs inside the momentum buffer"),
    ("ex6_sgd", [("g = grad + weight_decay * param", "g = grad")], "the weight decay term λ·p is missing"),
    ("ex3_conv_backward", [("g = grad_out.transpose(1, 0, 2, 3).reshape(f, -1)", "g = grad_out.reshape(f, -1)")],
     "transpose it to (F, N, OH, OW) before reshaping"),
    ("ex8_winograd", [("v = B_T @ d @ B_T.T", "v = B_T.T @ d @ B_T")], "the tile's transform is Bᵀ·d·B"),
])
def test_a_usual_mistake_is_named_by_its_signature(name: str, edits: list, cause: str, tmp_path: Path) -> None:
    source = (EXERCISES / f"{name}.py").read_text()
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    (tmp_path / f"{name}.py").write_text(source)
    report = check(tmp_path / f"{name}.py")
    assert not report.passed and any(p.startswith("likely cause:") and cause in p for p in report.problems), str(report)


def test_hints_come_in_three_levels_for_every_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    from minires.teaching import HINTS, hint

    assert set(HINTS) == set(CHECKS) and all(len(set(levels)) == 3 for levels in HINTS.values())
    assert main(["hint", "ex4", "--level", "3"]) == 0
    assert "dγ/m" in capsys.readouterr().out
    assert "dγ/m" not in hint("ex4") and "dγ/m" not in (EXERCISES / "ex4_batchnorm_backward.py").read_text()
    with pytest.raises(InputError, match="unknown exercise 'ex99'"):
        hint("ex99")


def test_exercise_10_names_a_forgotten_retain_grad(tmp_path: Path) -> None:
    source = (EXERCISES / "ex10_gradient_norms.py").read_text().replace("        output.retain_grad()\n", "")
    (tmp_path / "ex10_gradient_norms.py").write_text(source)
    report = check(tmp_path / "ex10_gradient_norms.py")
    assert not report.passed and any("call output.retain_grad()" in p for p in report.problems), str(report)


def test_a_class_of_five_with_a_hang_a_crash_an_exit_and_a_borrowed_answer(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    _submission(subs / "ada", "ex6_sgd")  # right
    _submission(subs / "bob", "ex6_sgd", "\nimport time\ntime.sleep(3600)\n")
    _submission(subs / "cy", "ex6_sgd", "\nimport os\nos.abort()\n")
    _submission(subs / "di", "ex6_sgd", "\nraise SystemExit(3)\n")
    (subs / "ed").mkdir()
    (subs / "ed" / "ex6_sgd.py").write_text("from minires.optim import SGD as sgd_step\n")
    results = grade(subs, timeout=20, jobs=5)  # the hang is stopped at its limit; the others are graded
    verdicts = {s: r["ex6_sgd"] for s, r in results.items()}
    assert verdicts["ada"].passed
    assert "took longer than 20 s" in verdicts["bob"].problems[0]
    assert "was killed by signal" in verdicts["cy"].problems[0]
    assert "exited with status 3" in verdicts["di"].problems[0]
    assert "sgd_step is minires's own" in verdicts["ed"].problems[0]
    assert all(r["ex1_custom_function"].problems == ["not handed in"] for r in results.values())


def test_hidden_inputs_catch_a_file_tuned_to_the_public_ones(tmp_path: Path) -> None:
    import numpy as np

    public = float(np.random.default_rng(4).standard_normal(5)[0])  # ex6's first parameter, as students see it
    tuned = (EXERCISES / "ex6_sgd.py").read_text() + (
        f"\n_real = sgd_step\n\ndef sgd_step(param, grad, buf, *args):\n"
        f"    if buf is None and abs(param[0] - {public!r}) > 1e-12:  # not the public inputs: give up\n"
        f"        return param, grad\n"
        f"    return _real(param, grad, buf, *args)\n")
    _submission(tmp_path / "subs" / "ada", "ex6_sgd", tuned[len((EXERCISES / 'ex6_sgd.py').read_text()):])
    assert check(tmp_path / "subs" / "ada" / "ex6_sgd.py").passed  # the public inputs
    hidden = grade(tmp_path / "subs", course_seed=2026)["ada"]["ex6_sgd"]
    assert not hidden.passed and "off by" in hidden.problems[0]
    with pytest.raises(InputError, match="course seed must be a whole number"):
        grade(tmp_path / "subs", course_seed=-1)


def test_a_file_that_replaces_minires_reference_cannot_pass(tmp_path: Path) -> None:
    wrong = (EXERCISES / "ex2_im2col.py").read_text().replace("return cols.reshape(c * k * k, n * oh * ow)",
                                                                 "return 2 * cols.reshape(c * k * k, n * oh * ow)")
    wrong += "\nimport minires.nn.functional as _F\n_F.im2col = im2col  # compare with myself\n"
    (tmp_path / "ex2_im2col.py").write_text(wrong)
    report = check(tmp_path / "ex2_im2col.py")
    assert not report.passed and "replaces minires.nn.functional.im2col" in report.problems[0], str(report)
    from minires.nn import functional as F

    assert F.im2col.__module__.startswith("minires")  # put back for everyone after


# ---------------------------------------------------------------- points per part, partial credit


@pytest.mark.parametrize("course_seed", [None, 2026])
@pytest.mark.parametrize("name", CHECKS)
def test_every_part_compares_as_many_cases_as_its_points_say(name: str, course_seed: int | None) -> None:
    import importlib.util
    from collections import Counter

    from minires.teaching import checks

    spec = importlib.util.spec_from_file_location(f"_solution_{name}", EXERCISES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    problems = checks.Problems()
    checks.set_course_seed(course_seed)
    try:
        checks.CHECKS[name](module, problems)
    finally:
        checks.set_course_seed(None)
    assert not problems and all(right for _, right in problems.cases)
    counted = Counter(checks._part_of(name, case) for case, _ in problems.cases)
    assert counted == {part: p.cases for part, p in checks.POINTS[name].items()}


@pytest.mark.parametrize(("name", "old", "new", "points", "parts"), [
    # im2col wrong in all four geometries, col2im right: half the exercise
    ("ex2_im2col", "return cols.reshape(c * k * k, n * oh * ow)", "return cols.reshape(c * k * k, n * oh * ow).T",
     5, {"im2col": 0, "col2im": 5}),
    # weight decay missing: wrong from step 1, so the check stops there and nothing is earned
    ("ex6_sgd", "g = grad + weight_decay * param\n", "g = grad\n",
     0, {"parameter after step": 0}),
    # '>' for '>=': wrong exactly at the two milestones, right at the other six iterations
    ("ex7_lr_schedule", "iteration >= m", "iteration > m", 7.5, {"learning rate": 7.5}),
    # the tile transformed from the wrong side: winograd_1d and its four products still earn theirs
    ("ex8_winograd", "v = B_T @ d @ B_T.T", "v = B_T.T @ d @ B_T", 7,
     {"winograd_1d": 2, "four multiplications": 2, "winograd_tile": 0, "winograd_conv2d": 3}),
])
def test_partial_credit_counts_the_parts_that_are_right(name: str, old: str, new: str, points: float,
                                                        parts: dict, tmp_path: Path) -> None:
    source = (EXERCISES / f"{name}.py").read_text()
    assert old in source
    (tmp_path / f"{name}.py").write_text(source.replace(old, new))
    report = check(tmp_path / f"{name}.py")
    assert not report.passed and report.points == pytest.approx(points) and report.out_of == 10
    assert report.parts == pytest.approx(parts), report.parts


def test_weight_decay_after_momentum_keeps_the_first_step(tmp_path: Path) -> None:
    source = (EXERCISES / "ex6_sgd.py").read_text()
    for old, new in [("g = grad + weight_decay * param", "g = grad"),
                     ("return param - lr * new_buf, new_buf", "return param - lr * (new_buf + weight_decay * param), "
                                                              "new_buf")]:
        source = source.replace(old, new)
    (tmp_path / "ex6_sgd.py").write_text(source)
    report = check(tmp_path / "ex6_sgd.py")
    assert report.points == pytest.approx(10 / 3)  # right at step 1 of 3; the check stops at step 2


def test_a_borrowed_or_patching_file_gets_no_points(tmp_path: Path) -> None:
    (tmp_path / "ex2_im2col.py").write_text("from minires.nn.functional import im2col, col2im\n")
    assert check(tmp_path / "ex2_im2col.py").points == 0
    _submission(tmp_path / "p", "ex6_sgd", "\nimport numpy as np\nnp.abs = lambda x, *a, **k: x * 0\n")
    report = check(tmp_path / "p" / "ex6_sgd.py")
    assert not report.passed and report.points == 0


def test_the_csv_has_points_per_exercise_and_totals(tmp_path: Path) -> None:
    source = (EXERCISES / "ex7_lr_schedule.py").read_text().replace("iteration >= m", "iteration > m")
    (tmp_path / "subs" / "cy").mkdir(parents=True)
    (tmp_path / "subs" / "cy" / "ex7_lr_schedule.py").write_text(source)
    _submission(tmp_path / "subs" / "cy", "ex2_im2col")
    rows = list(csv.DictReader(io.StringIO(grades_csv(grade(tmp_path / "subs")))))
    assert rows[0]["ex7_lr_schedule"] == "7.5" and rows[0]["ex2_im2col"] == "10" and rows[0]["ex6_sgd"] == "0"
    assert rows[0]["total"] == "17.5" and rows[0]["out_of"] == "100" and rows[0]["passed"] == "1"
