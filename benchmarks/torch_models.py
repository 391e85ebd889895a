"""The CIFAR networks of the paper in plain PyTorch (option A shortcuts), for side-by-side timing."""

from __future__ import annotations

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, residual: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.residual, self.stride, self.extra = residual, stride, cout - cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            short = x[:, :, :: self.stride, :: self.stride]
            out = out + nn.functional.pad(short, (0, 0, 0, 0, 0, self.extra))
        return torch.relu(out)


class CifarNet(nn.Module):
    def __init__(self, depth: int, residual: bool) -> None:
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        layers, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for i in range(n):
                layers.append(Block(cin, width, 2 if stage and i == 0 else 1, residual))
                cin = width
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.layers(self.stem(x)).mean(dim=(2, 3)))


def build(name: str) -> nn.Module:
    residual = name.startswith("resnet")
    return CifarNet(int(name.removeprefix("resnet").removeprefix("plain")), residual)
