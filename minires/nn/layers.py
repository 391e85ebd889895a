"""The layers ResNets are made of, with PyTorch's names and arguments.

Each layer holds its parameters and calls one function from
``minires.nn.functional``; the maths lives there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from minires.nn import functional as F
from minires.nn import init
from minires.nn.functional.im2col import IntPair, pair
from minires.nn.module import Module, Parameter
from minires.tensor import Tensor


def _empty(*shape: int) -> Parameter:
    return Parameter(np.zeros(shape, dtype=np.float32))


class Conv2d(Module):
    """2-D convolution layer.

    Args:
        in_channels, out_channels: C and F.
        kernel_size, stride, padding: ints or (height, width) pairs.
        bias: learn a per-filter bias (ResNets use ``bias=False`` before BN).

    Shape:
        (N, C, H, W) -> (N, F, OH, OW), OH = (H + 2·padding − kh) // stride + 1.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: IntPair,
        stride: IntPair = 1, padding: IntPair = 0, bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = pair(kernel_size), pair(stride), pair(padding)
        self.weight = _empty(out_channels, in_channels, *self.kernel_size)
        self.bias = _empty(out_channels) if bias else None
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d({self.in_channels}, {self.out_channels}): expected input (N, {self.in_channels}, H, W), "
                f"got {x.shape}"
            )
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")


class Linear(Module):
    """Fully connected layer y = x Wᵀ + b.  Shape: (N, in_features) -> (N, out_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty(out_features, in_features)
        self.bias = _empty(out_features) if bias else None
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class _BatchNorm(Module):
    """Shared code of BatchNorm1d/2d: γ, β parameters, running statistics as buffers."""

    expected_ndim = 4

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, np.float32))
        self.bias = Parameter(np.zeros(num_features, np.float32))
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, np.float32)))
        self.register_buffer("running_var", Tensor(np.ones(num_features, np.float32)))
        self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != self.expected_ndim or x.shape[1] != self.num_features:
            layout = "(N, C, H, W)" if self.expected_ndim == 4 else "(N, C)"
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input {layout} with "
                f"C = {self.num_features}, got {x.shape}"
            )
        if self.training:
            self.num_batches_tracked.data = self.num_batches_tracked.data + 1
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias,
            training=self.training, momentum=self.momentum, eps=self.eps,
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel over N, H and W."""

    expected_ndim = 4


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C): statistics per feature over the batch."""

    expected_ndim = 2


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class _Pool2d(Module):
    """Window geometry shared by the pooling layers; stride defaults to the kernel size."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Global average pooling, (N, C, H, W) -> (N, C, 1, 1).  Only output size 1 is supported."""

    def __init__(self, output_size: IntPair = 1) -> None:
        super().__init__()
        if pair(output_size) != (1, 1):
            raise ValueError(f"AdaptiveAvgPool2d supports output_size=1 only, got {output_size}")
        self.output_size = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.global_avg_pool2d(x).reshape(x.shape[0], x.shape[1], 1, 1)

    def extra_repr(self) -> str:
        return "output_size=1"


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x


class Sequential(Module):
    """Modules applied one after the other.  Indexable, iterable, named '0', '1', ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def append(self, module: Module) -> Sequential:
        setattr(self, str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*items[index])
        return items[index]
