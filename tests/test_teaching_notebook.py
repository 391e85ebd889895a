"""Exercise notebooks: made from the files, back to the files byte for byte, graded as the files are."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

from minires.errors import InputError  # noqa: E402
from minires.teaching import CHECKS, check_part, exercise_notebook, exercise_source  # noqa: E402
from minires.teaching.__main__ import main  # noqa: E402
from minires.teaching.checks import POINTS  # noqa: E402

EXERCISES = Path(__file__).resolve().parents[1] / "notebooks" / "exercises"


def _run(notebook: nbformat.NotebookNode) -> list[object]:
    """Run a notebook's code cells in one namespace, as a kernel would: each cell's value, or its exception."""
    namespace: dict = {}
    values: list[object] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        try:
            exec(compile(tree, "<cell>", "exec"), namespace)
            values.append(eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None)
        except Exception as err:  # noqa: BLE001  (a failed cell is a value here)
            values.append(err)
    return values


def _nbgrader(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("name", CHECKS)
def test_a_notebook_round_trips_to_its_file(name: str) -> None:
    text = (EXERCISES / f"{name}.py").read_text()
    notebook = nbformat.reads(nbformat.writes(exercise_notebook(text, name)), as_version=4)
    nbformat.validate(notebook)
    assert exercise_source(notebook) == text


@pytest.mark.parametrize("name", CHECKS)
def test_a_notebook_has_nbgraders_cells_and_the_exercises_points(name: str) -> None:
    notebook = exercise_notebook((EXERCISES / f"{name}.py").read_text(), name)
    answers = [c for c in notebook.cells if _nbgrader(c).get("solution")]
    tests = [c for c in notebook.cells if _nbgrader(c).get("grade")]
    assert len(answers) == 1 and "### BEGIN SOLUTION" in answers[0].source and not _nbgrader(answers[0])["locked"]
    assert all(_nbgrader(c)["locked"] and not _nbgrader(c)["solution"] for c in tests)
    assert [_nbgrader(c)["points"] for c in tests] == [p.points for p in POINTS[name].values()]
    ids = [_nbgrader(c)["grade_id"] for c in notebook.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", CHECKS)
def test_the_solution_notebook_earns_every_point_and_the_student_one_none(name: str) -> None:
    text = (EXERCISES / f"{name}.py").read_text()
    values = _run(exercise_notebook(text, name))
    assert values[0] is None and values[1:] == [p.points for p in POINTS[name].values()]
    blank = _run(exercise_notebook(text, name, student=True))
    assert "### BEGIN SOLUTION" not in exercise_notebook(text, name, student=True).cells[1].source
    assert all(isinstance(v, AssertionError) and "0 of" in str(v) for v in blank[1:])


def test_a_partly_right_notebook_gets_the_files_partial_credit() -> None:
    text = (EXERCISES / "ex7_lr_schedule.py").read_text().replace("iteration >= m", "iteration > m")
    assert _run(exercise_notebook(text, "ex7_lr_schedule"))[1:] == [7.5]  # as the file's check gives it


def test_bad_notebooks_and_parts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="made by minires.teaching"):
        exercise_source(nbformat.v4.new_notebook())
    with pytest.raises(InputError, match="has no part 'forward'"):
        check_part("ex6_sgd", {}, "forward")
    with pytest.raises(InputError, match="unknown exercise"):
        exercise_notebook('"""x"""\n', "ex99")
    with pytest.raises(InputError, match="starts with a docstring"):
        exercise_notebook("x = 1\n", "ex6_sgd")


def test_the_command_writes_a_notebook_per_exercise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebooks", str(EXERCISES), str(tmp_path / "course")]) == 0
    written = sorted(p.stem for p in (tmp_path / "course").glob("*.ipynb"))
    assert written == sorted(CHECKS) and "wrote 10 notebooks" in capsys.readouterr().out
    assert main(["notebooks", str(tmp_path / "nothing"), str(tmp_path / "x")]) == 2
