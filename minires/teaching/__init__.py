"""Exercises for a course: checks that say what is wrong, student versions, grading a class.

The exercises live in ``notebooks/exercises/`` as Python files with the solution between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines (nbgrader's markers, so nbgrader can
use them too).  This package

* checks a file against minires's own reference (``check``): each exercise's check
  compares values and gradients and says *which* one is wrong, its shape, and by how much;
* makes the student versions (``make_student``): every solution block becomes
  ``raise NotImplementedError("your code here")``;
* makes a notebook of each exercise (``make_notebooks``, ``notebook.py``): the text, the answer
  cell with nbgrader's metadata, and a locked test cell per graded part worth its points;
* grades a folder of submissions (``grade``): one sub-folder per student, every check in
  its own process with a time and a memory limit (``grading.py``), so a submission that
  hangs, crashes, exits or patches NumPy costs only its own exercise.

From the command line::

    python -m minires.teaching check notebooks/exercises/ex4_batchnorm_backward.py
    python -m minires.teaching student notebooks/exercises handout/      # the files to hand out
    python -m minires.teaching grade submissions/ --csv grades.csv       # submissions/<student>/ex*.py
    python -m minires.teaching grade submissions/ --timeout 60 --jobs 4  # limits and parallel checks
    python -m minires.teaching hint ex4 --level 2                        # a nudge, the method, the formula
    python -m minires.teaching notebooks notebooks/exercises course/     # ex*.ipynb for nbgrader

Grading runs the students' code on your machine, each file in a process of its own: that
stops accidents (an endless loop, ``exit()``, a patched NumPy) from reaching other students,
not a determined attacker.  Use a container or a throw-away account for submissions you do
not trust.
"""

from minires.teaching.checks import CHECKS, Report, check, check_module
from minires.teaching.grading import check_isolated, grade, grades_csv
from minires.teaching.handout import make_student, student_source
from minires.teaching.hints import HINTS, hint
from minires.teaching.notebook import check_namespace, check_part, exercise_notebook, exercise_source, make_notebooks

__all__ = ["CHECKS", "Report", "check", "check_module", "check_isolated", "make_student", "student_source", "grade",
           "grades_csv", "HINTS", "hint", "check_namespace", "check_part",
           "exercise_notebook", "exercise_source", "make_notebooks"]
