"""Small PyTorch re-implementations of resnet20 (option A) and resnet18, with minires's parameter names.

Used only as test oracles: copy minires weights in, compare outputs.
"""

from __future__ import annotations

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, option: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.option, self.stride, self.extra = option, stride, cout - cin
        if option == "B" and (stride != 1 or cin != cout):
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        if hasattr(self, "shortcut"):
            short = self.shortcut(x)
        else:
            short = x[:, :, :: self.stride, :: self.stride]
            short = nn.functional.pad(short, (0, 0, 0, 0, 0, self.extra))
        return torch.relu(out + short)


class CifarResNet20(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        cin = 16
        for stage, width in enumerate((16, 32, 64), 1):
            blocks = []
            for i in range(3):
                blocks.append(Block(cin, width, 2 if stage > 1 and i == 0 else 1, "A"))
                cin = width
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.fc(out.mean(dim=(2, 3)))


class ResNet18(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for stage, width in enumerate((64, 128, 256, 512), 1):
            blocks = []
            for i in range(2):
                blocks.append(Block(cin, width, 2 if stage > 1 and i == 0 else 1, "B"))
                cin = width
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.fc = nn.Linear(512, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.fc(out.mean(dim=(2, 3)))


class Bottleneck(nn.Module):
    """1×1 → 3×3 (stride here: "v1.5") → 1×1 ×4; shortcut 'B' (1×1 stride s) or 'D' (2×2 avg pool, then 1×1)."""

    def __init__(self, cin: int, width: int, stride: int, option: str) -> None:
        super().__init__()
        cout = 4 * width
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            if option == "D" and stride > 1:
                self.shortcut = nn.Sequential(nn.AvgPool2d(stride, stride), nn.Conv2d(cin, cout, 1, bias=False),
                                              nn.BatchNorm2d(cout))
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride if option == "B" else 1, bias=False),
                                              nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        return torch.relu(self.bn3(self.conv3(out)) + self.shortcut(x))


class CardResNet(nn.Module):
    """The model card's variants: 'cifar' stem (3×3, no max pool) or 'deep' stem (three 3×3 + max pool)."""

    def __init__(self, counts: tuple[int, ...], stem: str, option: str, num_classes: int, basic: bool) -> None:
        super().__init__()
        if stem == "deep":
            self.conv1 = nn.Sequential(
                nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                nn.Conv2d(32, 64, 3, 1, 1, bias=False),
            )
            self.maxpool: nn.Module = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts), 1):
            blocks: list[nn.Module] = []
            for i in range(count):
                stride = 2 if stage > 1 and i == 0 else 1
                blocks.append(Block(cin, width, stride, option) if basic else Bottleneck(cin, width, stride, option))
                cin = width if basic else 4 * width
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.fc(out.mean(dim=(2, 3)))
