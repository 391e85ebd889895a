"""The exercises as Jupyter notebooks, for nbgrader or any notebook platform, made from the same files.

One exercise file ``exN_*.py`` becomes one notebook of three kinds of cell:

1. a Markdown cell: the file's docstring, its first line as the title;
2. the answer cell: the file's code, ``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions and all.
   Its nbgrader metadata makes it an "autograded answer" cell, so ``nbgrader generate_assignment``
   blanks the regions for the students (or ask for the student version here: ``student=True``);
3. one locked test cell per graded part of the exercise (``checks.POINTS``), worth that part's
   points: it runs the exercise's check on what the notebook defined, and its value is the points
   the part earned (nbgrader's partial credit; nothing earned fails the cell), so a notebook is
   graded exactly as its file would be.

``exercise_source(notebook)`` gives back the ``.py`` file byte for byte, so the files stay the one
source and a notebook can always be made again.  Written with nbformat, which Jupyter installs
anyway: every notebook here has the same three kinds of cell, so a general converter such as
jupytext would add a dependency and a cell-marker syntax to the exercise files for nothing.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from minires.checkpoint import atomic_write_bytes
from minires.errors import InputError
from minires.teaching.checks import CHECKS, POINTS, Report, check_module
from minires.teaching.handout import student_source

if TYPE_CHECKING:
    import nbformat

__all__ = ["exercise_notebook", "exercise_source", "check_namespace", "check_part", "make_notebooks"]

QUOTES = '"""'


def _nbformat() -> ModuleType:
    """nbformat, imported only here: grading a class, which imports this package, needs no Jupyter."""
    try:
        import nbformat
    except ImportError as err:
        raise InputError("making notebooks needs nbformat (Jupyter's notebook format): "
                         "pip install 'minires[notebooks]'") from err
    return nbformat


def _split(text: str, name: str) -> tuple[str, str, str]:
    """An exercise file as (docstring, the blank lines after it, the code)."""
    if not text.startswith(QUOTES) or text.find(QUOTES, 3) < 0:
        raise InputError(f"{name}: expected an exercise file that starts with a docstring, got {text[:30]!r}")
    end = text.index(QUOTES, 3)
    docstring, rest = text[3:end], text[end + 3 :]
    code = rest.lstrip("\n")
    return docstring, rest[: len(rest) - len(code)], code


def _nbgrader(grade_id: str, *, solution: bool = False, points: float | None = None) -> dict[str, Any]:
    """nbgrader's cell metadata (schema 3): an answer cell, or a locked test cell worth ``points``."""
    meta: dict[str, Any] = {"grade_id": grade_id, "schema_version": 3, "solution": solution, "task": False,
                            "grade": points is not None, "locked": not solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def exercise_notebook(text: str, name: str, student: bool = False) -> nbformat.NotebookNode:
    """The notebook of exercise ``name`` (e.g. ``"ex6_sgd"``) from its file's ``text``.

    ``student``: the answer cell with its solution regions blanked (for platforms without nbgrader).
    """
    if name not in CHECKS:
        raise InputError(f"unknown exercise {name!r}; expected one of {', '.join(CHECKS)}")
    nbformat = _nbformat()
    docstring, gap, code = _split(text, name)
    if docstring.startswith("#"):
        raise InputError(f"{name}: a docstring's first line may not start with '#' (it becomes the title)")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["minires"] = {"exercise": name, "gap": gap}
    nb.cells.append(nbformat.v4.new_markdown_cell("# " + docstring, metadata={}))
    answer = student_source(code, name) if student else code
    nb.cells.append(nbformat.v4.new_code_cell(answer.rstrip("\n"), metadata=_nbgrader(f"{name}-answer",
                                                                                     solution=True)))
    nb.metadata["minires"]["trailing"] = code[len(code.rstrip("\n")):]
    for number, (part, spec) in enumerate(POINTS[name].items(), start=1):
        source = ("from minires.teaching import check_part\n\n"
                  f"check_part({name!r}, globals(), {part!r})  # out of {spec.points:g} points")
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata=_nbgrader(f"{name}-part{number}",
                                                                             points=spec.points)))
    return nb


def exercise_source(notebook: nbformat.NotebookNode) -> str:
    """The exercise file a notebook of ``exercise_notebook`` was made from (the answer cell as it is now)."""
    meta = notebook.metadata.get("minires", {})
    markdown = [c for c in notebook.cells if c.cell_type == "markdown"]
    answers = [c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    if "exercise" not in meta or len(markdown) != 1 or len(answers) != 1:
        raise InputError("expected a notebook made by minires.teaching (one text cell, one answer cell), "
                         f"got {len(markdown)} text and {len(answers)} answer cells")
    title = markdown[0].source
    return (QUOTES + title.removeprefix("# ") + QUOTES + meta.get("gap", "\n\n\n") + answers[0].source
            + meta.get("trailing", "\n"))


def check_namespace(name: str, namespace: dict[str, Any]) -> Report:
    """Check exercise ``name`` on what a notebook defined (pass its ``globals()``)."""
    if name not in CHECKS:
        raise InputError(f"unknown exercise {name!r}; expected one of {', '.join(CHECKS)}")
    module = ModuleType(f"_notebook_{name}")
    module.__dict__.update(namespace)
    return check_module(name, module)


def check_part(name: str, namespace: dict[str, Any], part: str) -> float:
    """A notebook's test cell: the points one part of exercise ``name`` earned; print the report.

    The value is what nbgrader reads as the cell's partial credit; nothing earned raises
    ``AssertionError`` (a failed test cell) with the problems.
    """
    if part not in POINTS.get(name, {}):
        raise InputError(f"{name} has no part {part!r}; its parts are {', '.join(POINTS.get(name, {}))}")
    report = check_namespace(name, namespace)
    print(report)
    earned = report.parts.get(part, 0.0)
    if earned == 0:
        raise AssertionError(f"{part}: 0 of {POINTS[name][part].points:g} points; " + "; ".join(report.problems))
    return earned


def make_notebooks(source_dir: str | Path, out_dir: str | Path, student: bool = False) -> list[Path]:
    """Write ``exN_*.ipynb`` for every exercise file ``exN_*.py`` in ``source_dir``; the paths written."""
    nbformat = _nbformat()
    files = sorted(f for f in Path(source_dir).glob("ex*.py") if f.stem in CHECKS)
    if not files:
        raise InputError(f"{source_dir}: expected exercise files ex*.py, found none")
    written = []
    for file in files:
        notebook = exercise_notebook(file.read_text(), file.stem, student=student)
        target = Path(out_dir) / f"{file.stem}.ipynb"
        atomic_write_bytes(target, nbformat.writes(notebook).encode())
        written.append(target)
    return written
