"""The paper's ImageNet networks (Table 1): ResNet-18/34/50/101/152 and plain-18/34.

    conv1: 7×7, 64, stride 2 → 3×3 max pool, stride 2           112 → 56
    conv2_x … conv5_x: basic (18, 34) or bottleneck (50+) blocks  56, 28, 14, 7
        with 64, 128, 256, 512 filters (×4 outputs for bottlenecks),
        stride 2 in the first block of conv3_x, conv4_x and conv5_x
    global average pool, 1000-way fully connected

Shortcuts default to option B (projections where the shape changes), as in
the model card's parameter counts.

Two later variants from the model card are built by the same class:

* the **CIFAR variant** (``resnet18_cifar`` … ``resnet152_cifar``): the same stages on
  32×32 images, with a 3×3 stride-1 stem of 64 channels and no max pool, 10 classes;
* **ResNet-D** (``resnet50d`` … ``resnet152d``, "ResNetV1D"): a deep stem of three 3×3
  convolutions (32, 32, 64 channels, the first with stride 2) before the max pool,
  shortcut option D (a 2×2 average pool before the 1×1 projection) and the
  bottleneck's stride on its 3×3 convolution.
"""

from __future__ import annotations

from functools import partial

from minires.models.blocks import BasicBlock, Bottleneck, conv3x3, he_init_
from minires.nn import BatchNorm2d, Conv2d, Identity, Linear, MaxPool2d, Module, ReLU, Sequential
from minires.nn.functional import global_avg_pool2d
from minires.tensor import Tensor

STEMS = ("imagenet", "cifar", "deep")

# depth -> (block type, blocks per stage)
IMAGENET_LAYOUTS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


class ImageNetResNet(Module):
    """An ImageNet ResNet (or plain net) of Table 1.

    Args:
        depth: 18, 34, 50, 101 or 152.
        plain: no shortcuts (the plain-18/34 of Table 2).
        shortcut: 'A', 'B' (default) or 'C'.
        num_classes: 1000 for ImageNet.
        stride_on_3x3: bottleneck stride on the 3×3 conv ("v1.5") instead of
            the paper's first 1×1 conv.
        stem: 'imagenet' (7×7 stride 2 + max pool, the paper's), 'cifar' (3×3 stride 1,
            no max pool) or 'deep' (three 3×3 convolutions + max pool, ResNet-D).

    Shape:
        (N, 3, 224, 224) -> (N, num_classes); (N, 3, 32, 32) with the 'cifar' stem.
    """

    def __init__(
        self, depth: int, plain: bool = False, shortcut: str = "B", num_classes: int = 1000,
        stride_on_3x3: bool = False, stem: str = "imagenet",
    ) -> None:
        super().__init__()
        if depth not in IMAGENET_LAYOUTS:
            raise ValueError(f"ImageNet ResNet depth must be one of {sorted(IMAGENET_LAYOUTS)}, got {depth}")
        if stem not in STEMS:
            raise ValueError(f"stem must be one of {STEMS}, got {stem!r}")
        kind, counts = IMAGENET_LAYOUTS[depth]
        self.depth, self.plain, self.stem = depth, plain, stem
        if stem == "deep":
            self.conv1 = Sequential(
                conv3x3(3, 32, stride=2), BatchNorm2d(32), ReLU(),
                conv3x3(32, 32), BatchNorm2d(32), ReLU(),
                conv3x3(32, 64),
            )
        elif stem == "cifar":
            self.conv1 = conv3x3(3, 64)
        else:
            self.conv1 = Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = BatchNorm2d(64)
        self.maxpool = Identity() if stem == "cifar" else MaxPool2d(3, stride=2, padding=1)
        option = None if plain else shortcut
        channels = 64
        for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts), start=1):
            blocks: list[Module] = []
            for i in range(count):
                stride = 2 if stage > 1 and i == 0 else 1
                if kind == "basic":
                    blocks.append(BasicBlock(channels, width, stride, option))
                    channels = width
                else:
                    blocks.append(Bottleneck(channels, width, stride, option, stride_on_3x3))
                    channels = width * Bottleneck.expansion
            setattr(self, f"layer{stage}", Sequential(*blocks))
        self.fc = Linear(channels, num_classes)
        he_init_(self)

    @property
    def name(self) -> str:
        """The registry name: resnet50, plain34, resnet18_cifar, resnet50d."""
        base = f"{'plain' if self.plain else 'resnet'}{self.depth}"
        return base + {"imagenet": "", "cifar": "_cifar", "deep": "d"}[self.stem]

    def forward(self, x: Tensor) -> Tensor:
        out = self.maxpool(self.bn1(self.conv1(x)).relu())
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.fc(global_avg_pool2d(out))


def imagenet_resnet(depth: int, **kw: object) -> ImageNetResNet:
    """Build the ImageNet network of the given depth (see ``ImageNetResNet``)."""
    return ImageNetResNet(depth, **kw)  # type: ignore[arg-type]


resnet18 = partial(imagenet_resnet, 18)
resnet34 = partial(imagenet_resnet, 34)
resnet50 = partial(imagenet_resnet, 50)
resnet101 = partial(imagenet_resnet, 101)
resnet152 = partial(imagenet_resnet, 152)
plain18 = partial(imagenet_resnet, 18, plain=True)
plain34 = partial(imagenet_resnet, 34, plain=True)

# The model card's later rows (see the module docstring)
resnet18_cifar = partial(imagenet_resnet, 18, stem="cifar", num_classes=10, stride_on_3x3=True)
resnet34_cifar = partial(imagenet_resnet, 34, stem="cifar", num_classes=10, stride_on_3x3=True)
resnet50_cifar = partial(imagenet_resnet, 50, stem="cifar", num_classes=10, stride_on_3x3=True)
resnet101_cifar = partial(imagenet_resnet, 101, stem="cifar", num_classes=10, stride_on_3x3=True)
resnet152_cifar = partial(imagenet_resnet, 152, stem="cifar", num_classes=10, stride_on_3x3=True)
resnet50d = partial(imagenet_resnet, 50, stem="deep", shortcut="D", stride_on_3x3=True)
resnet101d = partial(imagenet_resnet, 101, stem="deep", shortcut="D", stride_on_3x3=True)
resnet152d = partial(imagenet_resnet, 152, stem="deep", shortcut="D", stride_on_3x3=True)
