"""The building blocks of the paper's networks: shortcuts, basic and bottleneck blocks.

A residual block computes relu(F(x) + shortcut(x)); its plain twin computes
relu(F(x)) with exactly the same layers F.  When a block changes the
number of channels or the resolution, the shortcut must change shape too:

* option **A**: identity, subsampled by the stride, extra channels filled
  with zeros -- no parameters at all;
* option **B**: a 1×1 convolution (+ BN) where the shape changes, identity
  elsewhere;
* option **C**: a 1×1 convolution (+ BN) on every shortcut.

One later variant is offered beside them:

* option **D** ("ResNet-D", He et al. 2019, "Bag of Tricks"): like B, but a
  shortcut that halves the resolution first averages each 2×2 window and then
  applies a stride-1 1×1 convolution, so no input pixel is simply skipped.
"""

from __future__ import annotations

from minires import ops
from minires.nn import AvgPool2d, BatchNorm2d, Conv2d, Identity, Module, Sequential, init
from minires.tensor import Tensor

SHORTCUTS = ("A", "B", "C", "D")


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> Conv2d:
    """3×3 convolution, padding 1, no bias (a BN follows)."""
    return Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> Conv2d:
    return Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


class ZeroPadShortcut(Module):
    """Option A: keep every ``stride``-th pixel and append zero channels.  No parameters."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x: Tensor) -> Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        extra = self.out_channels - self.in_channels
        return ops.pad(x, ((0, 0), (0, extra), (0, 0), (0, 0))) if extra else x

    def extra_repr(self) -> str:
        return f"{self.in_channels} -> {self.out_channels}, stride={self.stride}"


def make_shortcut(in_channels: int, out_channels: int, stride: int, option: str) -> Module:
    """The shortcut of one residual block under option A, B or C."""
    if option not in SHORTCUTS:
        raise ValueError(f"shortcut option must be one of {SHORTCUTS}, got {option!r}")
    same_shape = stride == 1 and in_channels == out_channels
    if option == "C" or (option == "B" and not same_shape):
        return Sequential(conv1x1(in_channels, out_channels, stride), BatchNorm2d(out_channels))
    if option == "D" and not same_shape:
        pool = [AvgPool2d(stride, stride)] if stride > 1 else []
        return Sequential(*pool, conv1x1(in_channels, out_channels), BatchNorm2d(out_channels))
    if same_shape:
        return Identity()
    return ZeroPadShortcut(in_channels, out_channels, stride)


class BasicBlock(Module):
    """Two 3×3 conv-BN layers; residual: relu(F(x) + shortcut(x)), plain: relu(F(x)).

    Args:
        in_channels, out_channels: channels in and out.
        stride: stride of the first convolution (2 to halve the resolution).
        shortcut: 'A', 'B' or 'C' for a residual block, None for its plain twin.

    Shape:
        (N, in, H, W) -> (N, out, H/stride, W/stride)
    """

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, shortcut: str | None = "A") -> None:
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = BatchNorm2d(out_channels)
        self.shortcut = None if shortcut is None else make_shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return out.relu()


class Bottleneck(Module):
    """1×1 (reduce) → 3×3 → 1×1 (expand ×4) conv-BN layers, for ResNet-50/101/152.

    Args:
        in_channels: channels in.
        width: channels of the 3×3 layer; the block outputs 4·width.
        stride: 2 to halve the resolution.
        shortcut: 'A', 'B', 'C', or None (plain).
        stride_on_3x3: False = the paper's placement (stride on the first 1×1
            conv); True = the later "v1.5" placement (stride on the 3×3 conv),
            which costs more multiply-adds and is what torchvision uses.
    """

    expansion = 4

    def __init__(
        self, in_channels: int, width: int, stride: int = 1, shortcut: str | None = "B",
        stride_on_3x3: bool = False,
    ) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = conv1x1(in_channels, width, 1 if stride_on_3x3 else stride)
        self.bn1 = BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride if stride_on_3x3 else 1)
        self.bn2 = BatchNorm2d(width)
        self.conv3 = conv1x1(width, out_channels)
        self.bn3 = BatchNorm2d(out_channels)
        self.shortcut = None if shortcut is None else make_shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out)).relu()
        out = self.bn3(self.conv3(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return out.relu()


def he_init_(model: Module) -> Module:
    """The paper's initialisation: He-normal convolutions (fan_in), BN γ = 1 and β = 0."""
    for m in model.modules():
        if isinstance(m, Conv2d):
            init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        elif isinstance(m, BatchNorm2d):
            init.ones_(m.weight)
            init.zeros_(m.bias)
    return model
