"""The errors minires raises for things the user can fix, kept apart from bugs.

Two families:

* ``InputError`` (a ``ValueError``): a value, file or name that came in was not
  what was expected -- an unknown model, a batch size of 0, a text file given as
  a checkpoint.  The message says what was expected and what came in.
* ``RunError`` (a ``RuntimeError``): the input was fine but the run cannot go on
  as asked -- the folder already holds a run, another process trains it, the
  loss became NaN, CuPy is missing.

The command line prints either as one line and exits with code 2.  Any other
exception is a bug in minires and keeps its traceback.
"""

from __future__ import annotations


class MiniresError(Exception):
    """Base class of the errors a user can act on (printed as one line by the CLI)."""


class InputError(MiniresError, ValueError):
    """A value, file or name was not what was expected."""


class RunError(MiniresError, RuntimeError):
    """The inputs were valid, but the run cannot go on as asked."""
