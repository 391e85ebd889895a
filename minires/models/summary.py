"""``summary(model, input_shape)``: per-layer output shapes, parameters and multiply-adds.

It runs one real forward pass on a zero image (batch 1, no gradients) and
watches every leaf layer with a forward hook.  Multiply-adds are counted
as the paper's "FLOPs": convolutions and fully connected layers only
(batch norm, ReLU, pooling and additions are not counted).

    conv:   OH·OW · F · (C · kh · kw)        linear:  in · out
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from minires.nn import Conv2d, Linear, Module
from minires.tensor import Tensor, no_grad


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    mult_adds: int


@dataclass
class Summary:
    """The rows of a summary and their totals; ``str()`` gives a table."""

    model_name: str
    input_shape: tuple[int, ...]
    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0

    @property
    def total_mult_adds(self) -> int:
        return sum(r.mult_adds for r in self.rows)

    def table(self, layers: bool = True) -> str:
        head = f"{'layer':<34} {'type':<16} {'output shape':<20} {'params':>12} {'mult-adds':>15}"
        lines = [f"{self.model_name}, input {self.input_shape}", head, "-" * len(head)]
        if layers:
            for r in self.rows:
                lines.append(f"{r.name:<34} {r.kind:<16} {str(r.output_shape):<20} {r.params:>12,} {r.mult_adds:>15,}")
            lines.append("-" * len(head))
        lines.append(f"total parameters: {self.total_params:,} ({self.total_params / 1e6:.2f}M)")
        lines.append(f"total multiply-adds: {self.total_mult_adds:,} ({self.total_mult_adds / 1e9:.2f}×10⁹)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _mult_adds(module: Module, output: Tensor) -> int:
    if isinstance(module, Conv2d):
        kh, kw = module.kernel_size
        return math.prod(output.shape[1:]) * module.in_channels * kh * kw
    if isinstance(module, Linear):
        return module.in_features * module.out_features
    return 0


def summary(model: Module, input_shape: tuple[int, ...]) -> Summary:
    """Summarise ``model`` on one input of ``input_shape`` = (C, H, W).

    Returns:
        a ``Summary`` with one ``LayerRow`` per leaf layer (name, type,
        output shape for batch 1, parameters, multiply-adds) and totals.

    Example:
        >>> print(minires.summary(minires.models.resnet20(), (3, 32, 32)).table(layers=False))
    """
    rows: list[LayerRow] = []
    handles = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue  # containers: their leaves are counted

        def record(m: Module, inputs: tuple, output: Tensor, name: str = name) -> None:
            params = sum(int(p.data.size) for p in m._parameters.values() if p is not None)
            rows.append(LayerRow(name, type(m).__name__, output.shape, params, _mult_adds(m, output)))

        handles.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        with no_grad():
            model(Tensor(np.zeros((1, *input_shape), np.float32)).to(device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return Summary(getattr(model, "name", type(model).__name__), tuple(input_shape), rows, model.num_parameters())
