"""Look up a network by name: ``get("plain56")``, ``get("resnet18", shortcut="A")``."""

from __future__ import annotations

from collections.abc import Callable

from minires.models import cifar, imagenet
from minires.nn import Module

CIFAR_MODELS: dict[str, Callable[..., Module]] = {
    **{f"resnet{d}": getattr(cifar, f"resnet{d}") for d in (20, 32, 44, 56, 110, 1202)},
    **{f"plain{d}": getattr(cifar, f"plain{d}") for d in (20, 32, 44, 56, 110)},
}
IMAGENET_MODELS: dict[str, Callable[..., Module]] = {
    **{f"resnet{d}": getattr(imagenet, f"resnet{d}") for d in (18, 34, 50, 101, 152)},
    **{f"plain{d}": getattr(imagenet, f"plain{d}") for d in (18, 34)},
}
MODELS = {**CIFAR_MODELS, **IMAGENET_MODELS}


def available() -> list[str]:
    """Every registered name."""
    return list(MODELS)


def get(name: str, **kwargs: object) -> Module:
    """Build the network registered as ``name``, passing ``kwargs`` to its builder."""
    try:
        builder = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(MODELS)}") from None
    return builder(**kwargs)


def input_shape(name: str) -> tuple[int, int, int]:
    """The (C, H, W) of one input image for a registered network."""
    return (3, 32, 32) if name in CIFAR_MODELS else (3, 224, 224)
