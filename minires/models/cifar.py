"""The paper's CIFAR-10 networks (section 4.2): depth 6n + 2, plain or residual.

    input 32×32×3
    conv 3×3, 16 filters, BN, ReLU                       1 layer
    stage 1: n blocks, 16 filters, 32×32                 2n layers
    stage 2: n blocks, 32 filters, 16×16 (stride 2 in)   2n layers
    stage 3: n blocks, 64 filters,  8×8  (stride 2 in)   2n layers
    global average pool, fully connected (10), softmax   1 layer

n = 3, 5, 7, 9, 18, 200 give ResNet-20, 32, 44, 56, 110, 1202.  Residual
nets use option A shortcuts everywhere, so a plain net and its residual
twin have exactly the same parameters.
"""

from __future__ import annotations

from functools import partial

from minires.models.blocks import BasicBlock, conv3x3, he_init_
from minires.nn import BatchNorm2d, Linear, Module, Sequential
from minires.nn.functional import global_avg_pool2d
from minires.tensor import Tensor

CIFAR_DEPTHS = (20, 32, 44, 56, 110, 1202)


class CifarResNet(Module):
    """A CIFAR ResNet (or plain net) of depth 6n + 2.

    Args:
        depth: 6n + 2 (20, 32, 44, 56, 110, 1202, ...).
        plain: build the plain twin (no shortcuts).
        shortcut: 'A' (paper), 'B' or 'C'.
        num_classes: size of the output layer.

    Shape:
        (N, 3, 32, 32) -> (N, num_classes) logits.
    """

    def __init__(self, depth: int, plain: bool = False, shortcut: str = "A", num_classes: int = 10) -> None:
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110, ...), got {depth}")
        self.depth, self.plain, self.shortcut_option = depth, plain, shortcut
        n = (depth - 2) // 6
        self.conv1 = conv3x3(3, 16)
        self.bn1 = BatchNorm2d(16)
        option = None if plain else shortcut
        channels = 16
        for stage, width in enumerate((16, 32, 64), start=1):
            blocks = []
            for i in range(n):
                stride = 2 if stage > 1 and i == 0 else 1
                blocks.append(BasicBlock(channels, width, stride, option))
                channels = width
            setattr(self, f"layer{stage}", Sequential(*blocks))
        self.fc = Linear(64, num_classes)
        he_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"{self.name}: expected images of shape (N, 3, H, W), got {x.shape}")
        out = self.bn1(self.conv1(x)).relu()
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.fc(global_avg_pool2d(out))

    @property
    def name(self) -> str:
        return f"{'plain' if self.plain else 'resnet'}{self.depth}"

    def extra_repr(self) -> str:
        return f"depth={self.depth}, plain={self.plain}, shortcut={self.shortcut_option!r}"


def cifar_resnet(depth: int, plain: bool = False, shortcut: str = "A", num_classes: int = 10,
                 weights: str | None = None) -> CifarResNet:
    """Build the paper's CIFAR network of depth 6n + 2 (see ``CifarResNet``).

    ``weights="cpu"`` loads the weights minires ships for this network, trained with the
    CPU recipe (``minires train --recipe cpu``); ``"quarter"`` those of the quarter recipe,
    ``"cpu-seed1"`` those of another seed's run, where shipped; see ``minires.models.weights``.
    """
    model = CifarResNet(depth, plain=plain, shortcut=shortcut, num_classes=num_classes)
    if weights is not None:
        from minires.models.weights import load_weights, shipped

        load_weights(model, shipped(model.name, weights))
    return model


# The named networks of Table 6 and Fig. 6, e.g. ``resnet56()`` or ``plain20(num_classes=100)``.
resnet20 = partial(cifar_resnet, 20)
resnet32 = partial(cifar_resnet, 32)
resnet44 = partial(cifar_resnet, 44)
resnet56 = partial(cifar_resnet, 56)
resnet110 = partial(cifar_resnet, 110)
resnet1202 = partial(cifar_resnet, 1202)
plain20 = partial(cifar_resnet, 20, plain=True)
plain32 = partial(cifar_resnet, 32, plain=True)
plain44 = partial(cifar_resnet, 44, plain=True)
plain56 = partial(cifar_resnet, 56, plain=True)
plain110 = partial(cifar_resnet, 110, plain=True)
