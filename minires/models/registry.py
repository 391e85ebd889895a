"""Look up a network by name: ``get("plain56")``, ``get("resnet18", shortcut="A")``."""

from __future__ import annotations

import re
from collections.abc import Callable

from minires.errors import InputError
from minires.models import cifar, imagenet
from minires.nn import Module

CIFAR_MODELS: dict[str, Callable[..., Module]] = {
    **{f"resnet{d}": getattr(cifar, f"resnet{d}") for d in (20, 32, 44, 56, 110, 1202)},
    **{f"plain{d}": getattr(cifar, f"plain{d}") for d in (20, 32, 44, 56, 110)},
}
IMAGENET_MODELS: dict[str, Callable[..., Module]] = {
    **{f"resnet{d}": getattr(imagenet, f"resnet{d}") for d in (18, 34, 50, 101, 152)},
    **{f"plain{d}": getattr(imagenet, f"plain{d}") for d in (18, 34)},
    **{f"resnet{d}d": getattr(imagenet, f"resnet{d}d") for d in (50, 101, 152)},
}
# the ImageNet stages on 32×32 images (the model card's CIFAR rows)
CIFAR_VARIANTS: dict[str, Callable[..., Module]] = {
    f"resnet{d}_cifar": getattr(imagenet, f"resnet{d}_cifar") for d in (18, 34, 50, 101, 152)
}
MODELS = {**CIFAR_MODELS, **CIFAR_VARIANTS, **IMAGENET_MODELS}


def available() -> list[str]:
    """Every registered name."""
    return list(MODELS)


def _cifar_depth(name: str) -> int | None:
    """The depth of a name like 'resnet8' or 'plain14' (any CIFAR depth 6n + 2), else None."""
    match = re.fullmatch(r"(resnet|plain)([1-9]\d*)", name)  # no leading zeros: 'resnet020' is a typo
    if match is None or name in IMAGENET_MODELS:
        return None
    depth = int(match.group(2))
    return depth if depth >= 8 and (depth - 2) % 6 == 0 else None


def is_known(name: str) -> bool:
    """True for registered names and for any CIFAR depth 6n + 2 ('resnet8', 'plain14', ...)."""
    return name in MODELS or _cifar_depth(name) is not None


def get(name: str, **kwargs: object) -> Module:
    """Build the network registered as ``name`` (or any CIFAR ``resnet``/``plain`` of depth 6n + 2)."""
    if name in MODELS:
        return MODELS[name](**kwargs)
    depth = _cifar_depth(name)
    if depth is None:
        raise InputError(
            f"unknown model {name!r}; available: {', '.join(MODELS)} (or any CIFAR depth 6n + 2, e.g. resnet8)"
        )
    return cifar.cifar_resnet(depth, plain=name.startswith("plain"), **kwargs)  # type: ignore[arg-type]


def is_cifar(name: str) -> bool:
    """True for the networks built for 32×32 CIFAR images (10 classes)."""
    return name in CIFAR_MODELS or name in CIFAR_VARIANTS or _cifar_depth(name) is not None


def input_shape(name: str) -> tuple[int, int, int]:
    """The (C, H, W) of one input image for a registered network."""
    return (3, 32, 32) if is_cifar(name) else (3, 224, 224)
