"""Exercise 5 — the paper's residual block, with the option-A shortcut (section 4.2).

    out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))

conv1 is 3×3 with the block's stride, conv2 3×3 with stride 1, both padding 1 and no
bias; each is followed by a BatchNorm2d.  Option A's shortcut has no parameters: when
the block halves the resolution and widens the channels, it keeps every ``stride``-th
pixel (``x[:, :, ::2, ::2]``) and appends zero channels (``minires.pad``); otherwise it
is the identity.

Name the layers ``conv1``, ``bn1``, ``conv2``, ``bn2`` (the check loads weights by name).
Check: ``python -m minires.teaching check ex5_basic_block.py``.
"""

import minires
from minires import nn


class BasicBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride, self.extra = stride, out_channels - in_channels
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        out = self.bn2(self.conv2(self.bn1(self.conv1(x)).relu()))
        shortcut = x[:, :, :: self.stride, :: self.stride] if self.stride > 1 else x
        if self.extra:
            shortcut = minires.pad(shortcut, ((0, 0), (0, self.extra), (0, 0), (0, 0)))
        return (out + shortcut).relu()
        ### END SOLUTION
