"""Layer responses (the paper's Fig. 7), collected with forward hooks.

The paper defines the response of a 3×3 layer as the output of its batch
norm, **before** the ReLU and before the shortcut addition.  In every
network here each convolution is followed by its own BatchNorm2d
(registered right after it), so the responses are the outputs of the
BN modules that follow a 3×3 convolution.  They are found by walking the
modules in order -- nothing in the model code has to change.

For a CIFAR net of depth 6n + 2 that is 6n + 1 layers: the stem plus two
per block (projection shortcuts, being 1×1, are not counted).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from minires.nn import BatchNorm2d, Conv2d, HookHandle, Module
from minires.tensor import Tensor


def response_layers(model: Module) -> list[tuple[str, BatchNorm2d]]:
    """(name, BN module) of every 3×3 conv's batch norm, in layer order."""
    found: list[tuple[str, BatchNorm2d]] = []
    previous: Module | None = None
    for name, module in model.named_modules():
        if isinstance(module, BatchNorm2d) and isinstance(previous, Conv2d) and previous.kernel_size == (3, 3):
            found.append((name, module))
        if isinstance(module, (Conv2d, BatchNorm2d)):
            previous = module
    return found


class ResponseRecorder:
    """Record the responses of every 3×3 layer while the model runs.

    Use as a context manager; after each forward pass ``responses`` holds,
    in layer order, one (N, C, H, W) array per layer for the last batch
    (and ``names`` their module names).  ``on_batch`` may be given to
    consume each batch's list of arrays instead (e.g. to accumulate
    statistics over a whole test set without keeping it).

    Example:
        >>> with ResponseRecorder(model) as rec:
        ...     model.eval(); model(images)
        >>> [r.std() for r in rec.responses]
    """

    def __init__(self, model: Module, on_batch: Any = None) -> None:
        self.layers = response_layers(model)
        if not self.layers:
            raise ValueError(f"{type(model).__name__} has no 3×3 convolution followed by a BatchNorm2d")
        self.names = [name for name, _ in self.layers]
        self.responses: list[Any] = []
        self.on_batch = on_batch
        self._handles: list[HookHandle] = []

    def _record(self, module: Module, inputs: tuple, output: Tensor) -> None:
        self.responses.append(output.data)
        if len(self.responses) == len(self.layers) and self.on_batch is not None:
            self.on_batch(self.responses)
            self.responses = []

    def __enter__(self) -> ResponseRecorder:
        for _, bn in self.layers:
            self._handles.append(bn.register_forward_hook(self._record))
        return self

    def clear(self) -> None:
        self.responses = []

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


def layer_responses(model: Module, images: Tensor) -> list[tuple[str, Any]]:
    """One forward pass of ``images`` (in the model's current mode); (name, array) per 3×3 layer."""
    from minires.tensor import no_grad

    with ResponseRecorder(model) as recorder, no_grad():
        model(images)
    return list(zip(recorder.names, recorder.responses))
