"""The paper's ImageNet networks (Table 1): ResNet-18/34/50/101/152 and plain-18/34.

    conv1: 7×7, 64, stride 2 → 3×3 max pool, stride 2           112 → 56
    conv2_x … conv5_x: basic (18, 34) or bottleneck (50+) blocks  56, 28, 14, 7
        with 64, 128, 256, 512 filters (×4 outputs for bottlenecks),
        stride 2 in the first block of conv3_x, conv4_x and conv5_x
    global average pool, 1000-way fully connected

Shortcuts default to option B (projections where the shape changes), as in
the model card's parameter counts.
"""

from __future__ import annotations

from functools import partial

from minires.models.blocks import BasicBlock, Bottleneck, he_init_
from minires.nn import BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, Sequential
from minires.nn.functional import global_avg_pool2d
from minires.tensor import Tensor

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

    Shape:
        (N, 3, 224, 224) -> (N, num_classes).
    """

    def __init__(
        self, depth: int, plain: bool = False, shortcut: str = "B", num_classes: int = 1000,
        stride_on_3x3: bool = False,
    ) -> None:
        super().__init__()
        if depth not in IMAGENET_LAYOUTS:
            raise ValueError(f"ImageNet ResNet depth must be one of {sorted(IMAGENET_LAYOUTS)}, got {depth}")
        kind, counts = IMAGENET_LAYOUTS[depth]
        self.depth, self.plain = depth, plain
        self.conv1 = Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = BatchNorm2d(64)
        self.maxpool = MaxPool2d(3, stride=2, padding=1)
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
        return f"{'plain' if self.plain else 'resnet'}{self.depth}"

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
