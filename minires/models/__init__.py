"""The paper's networks: CIFAR-10 (section 4.2) and ImageNet (Table 1).

    blocks.py     shortcuts (options A/B/C), BasicBlock, Bottleneck, He init
    cifar.py      cifar_resnet(depth, plain, shortcut): resnet20 … resnet1202, plain20 … plain110
    imagenet.py   resnet18 … resnet152, plain18/34
    registry.py   get("plain56") by name
    summary.py    per-layer shapes, parameters and multiply-adds
    responses.py  the 3×3 layer responses of Fig. 7, via forward hooks
"""

from minires.models.blocks import BasicBlock, Bottleneck, ZeroPadShortcut, he_init_
from minires.models.cifar import (
    CifarResNet,
    cifar_resnet,
    plain20,
    plain32,
    plain44,
    plain56,
    plain110,
    resnet20,
    resnet32,
    resnet44,
    resnet56,
    resnet110,
    resnet1202,
)
from minires.models.imagenet import (
    ImageNetResNet,
    imagenet_resnet,
    plain18,
    plain34,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from minires.models.registry import available, get, input_shape, is_cifar, is_known
from minires.models.responses import ResponseRecorder, layer_responses, response_layers
from minires.models.summary import Summary, summary
from minires.models.weights import available_weights, load_weights

__all__ = [
    "BasicBlock", "Bottleneck", "ZeroPadShortcut", "he_init_", "CifarResNet", "cifar_resnet", "ImageNetResNet",
    "imagenet_resnet", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202", "plain20",
    "plain32", "plain44", "plain56", "plain110", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "plain18", "plain34", "available", "get", "is_known", "is_cifar", "input_shape", "ResponseRecorder",
    "layer_responses",
    "response_layers", "Summary", "summary", "load_weights", "available_weights",
]
