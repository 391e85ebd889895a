"""Trained weights: a finished run's network in one line, checked against its architecture.

    model = models.resnet20(weights="cpu")     # weights shipped with minires (the CPU recipe's runs)
    models.available_weights()                 # which networks have them: ["plain20", "resnet20", ...]
    model = models.load_weights(models.resnet56(), "runs/r56/checkpoint.npz")
    logits = model(Tensor(model.normalizer(images)))   # images: (N, 3, 32, 32) uint8

A weights file is a minires checkpoint (``minires.checkpoint``) that holds at least
``model`` (the state dict: float32 parameters and batch-norm buffers) and ``config``
(whose ``model`` entry names the architecture).  A training run's ``checkpoint.npz`` is
one; once a run finishes it keeps only that, without the momentum buffers.  Its
``normalizer`` (the per-pixel mean of the training images) comes along as
``model.normalizer``, because the weights only make sense on inputs prepared the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minires import checkpoint
from minires.checkpoint import CheckpointError
from minires.errors import InputError
from minires.nn import Module
from minires.nn.module import StateDictError, UnusableState
from minires.normalizer import Normalizer

__all__ = ["load_weights", "shipped", "available_weights", "SHIPPED", "RECIPES"]

SHIPPED = Path(__file__).with_name("weights")  # <name>-<variant>.npz, with <name>-<variant>.json beside it
RECIPES = ("cpu", "quarter")  # the recipes of minires train --recipe whose runs are shipped


def _check_variant(recipe: str) -> None:
    """A weights variant is a recipe, for the seed-0 run, or ``<recipe>-seed<N>`` for another seed."""
    base, _, seed = recipe.partition("-seed")
    if base not in RECIPES or (recipe != base and not seed.isdigit()):
        raise InputError(f"unknown weights {recipe!r}: expected one of {', '.join(RECIPES)} "
                         f"(or e.g. 'cpu-seed1' for another seed's run)")


def shipped(name: str, recipe: str = "cpu") -> Path:
    """The path of the weights minires ships for network ``name`` trained with ``recipe`` (e.g. ``"cpu"``,
    ``"quarter"``, or ``"cpu-seed1"`` for the run with seed 1)."""
    _check_variant(recipe)
    path = SHIPPED / f"{name}-{recipe}.npz"
    if not path.is_file():
        have = available_weights(recipe)
        raise InputError(f"minires ships no {recipe!r} weights for {name}; it has: {', '.join(have) or 'none'}")
    return path


def available_weights(recipe: str = "cpu") -> list[str]:
    """The names of the networks minires ships ``recipe`` weights for, sorted (e.g. ``["plain20", "resnet20"]``)."""
    _check_variant(recipe)
    return sorted(p.stem.removesuffix(f"-{recipe}") for p in SHIPPED.glob(f"*-{recipe}.npz")
                  if p.stem.removesuffix(f"-{recipe}").isalnum())  # resnet20-cpu, not resnet20-cpu-seed1


def load_weights(model: Module, path: str | Path) -> Module:
    """Load the weights in ``path`` into ``model`` (in place) and return it.

    Raises ``InputError`` when the file holds another architecture's weights, naming
    both, or when a parameter is missing, extra or of another shape.
    """
    path = Path(path)
    state: dict[str, Any] = checkpoint.load(path)
    if not isinstance(state.get("model"), dict):
        raise CheckpointError(f"{path}: expected a weights file with a 'model' state dict, got entries "
                              f"{sorted(state)[:6]}")
    saved, own = (state.get("config") or {}).get("model"), getattr(model, "name", None)
    if saved and own and saved != own:
        raise InputError(f"{path} holds the weights of {saved}, not of {own}; build {saved} to load them")
    try:
        model.load_state_dict(state["model"])
    except UnusableState as err:  # NaN weights, or values that are not real numbers
        raise UnusableState(f"{path}: {err}") from None
    except StateDictError as err:
        raise StateDictError(f"{path} does not fit {own or type(model).__name__}: {err}") from None
    if "normalizer" in state:
        model.normalizer = Normalizer.from_state(state["normalizer"], path)
    return model
