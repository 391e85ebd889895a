"""Neural-network building blocks: Module, layers, init, functional ops.

    module.py       Module, Parameter, forward hooks, state_dict
    layers.py       Conv2d, BatchNorm2d/1d, Linear, ReLU, pooling, Sequential, ...
    init.py         kaiming_normal_ and friends
    fusion.py       fuse_bn: batch norm folded into the convolution, for inference
    functional/     the ops the layers call (im2col conv, batch norm, losses)
"""

from minires.nn import functional, init
from minires.nn.fusion import conv_bn_pairs, fuse_bn, fuse_conv_bn_eval
from minires.nn.layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    Identity,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from minires.nn.module import HookHandle, Module, Parameter

__all__ = [
    "Module", "Parameter", "HookHandle", "Conv2d", "Linear", "BatchNorm2d", "BatchNorm1d", "ReLU",
    "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Identity", "Sequential",
    "functional", "init", "fuse_bn", "fuse_conv_bn_eval", "conv_bn_pairs",
]
