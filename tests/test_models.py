"""The model zoo: structure, parameter counts, shapes, PyTorch parity."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires import models, nn

# Table 6 of the paper (millions, as published)
CIFAR_PARAMS = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}
# the mmpretrain model card (exact counts, option B)
IMAGENET_PARAMS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}


@pytest.mark.parametrize("depth", CIFAR_PARAMS)
def test_cifar_parameter_counts_match_table_6(depth: int) -> None:
    resnet, plain = models.get(f"resnet{depth}"), models.get(f"plain{depth}")
    published = CIFAR_PARAMS[depth]
    digits = 2 if published < 1 else 1
    assert round(resnet.num_parameters() / 1e6, digits) == published  # equal at the published rounding
    assert plain.num_parameters() == resnet.num_parameters()  # option A adds nothing


def test_resnet1202_parameters_and_forward() -> None:
    model = models.resnet1202()
    assert round(model.num_parameters() / 1e6, 1) == 19.4
    out = model(minires.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("depth", IMAGENET_PARAMS)
def test_imagenet_parameter_counts_match_model_card(depth: int) -> None:
    assert models.get(f"resnet{depth}").num_parameters() == IMAGENET_PARAMS[depth]


def test_option_a_has_no_parameters_and_options_b_c_add_projections() -> None:
    a, b, c = (models.cifar_resnet(20, shortcut=s).num_parameters() for s in "ABC")
    assert a == models.plain20().num_parameters()
    # B: two projections (16->32, 32->64); C: one on each of the 9 shortcuts
    assert b - a == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert c > b


@pytest.mark.parametrize("name", ["resnet20", "plain32", "resnet56"])
def test_cifar_output_shapes(name: str) -> None:
    assert models.get(name)(minires.randn(3, 3, 32, 32)).shape == (3, 10)
    assert models.get(name, num_classes=100)(minires.randn(2, 3, 32, 32)).shape == (2, 100)


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "plain18"])
def test_imagenet_output_shapes(name: str) -> None:
    assert models.get(name, num_classes=7)(minires.randn(1, 3, 64, 64)).shape == (1, 7)


def test_cifar_structure_follows_the_paper() -> None:
    model = models.resnet20()
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 19 and all(m.kernel_size == (3, 3) for _, m in convs)
    assert [m.out_channels for _, m in convs] == [16] * 7 + [32] * 6 + [64] * 6
    strided = [n for n, m in convs if m.stride == (2, 2)]
    assert strided == ["layer2.0.conv1", "layer3.0.conv1"]
    assert isinstance(model.layer2[0].shortcut, models.ZeroPadShortcut)
    assert models.plain20().layer2[0].shortcut is None


def test_he_initialisation() -> None:
    model = models.resnet56()
    w = model.layer3[4].conv2.weight.numpy()
    assert w.std() == pytest.approx(np.sqrt(2 / (64 * 9)), rel=0.05)
    assert np.all(model.layer1[0].bn1.weight.numpy() == 1)


def test_bottleneck_stride_placement() -> None:
    original, v15 = models.resnet50().layer2[0], models.resnet50(stride_on_3x3=True).layer2[0]
    assert original.conv1.stride == (2, 2) and original.conv2.stride == (1, 1)
    assert v15.conv1.stride == (1, 1) and v15.conv2.stride == (2, 2)


def test_registry_errors() -> None:
    with pytest.raises(ValueError, match="unknown model 'resnet21'; available: resnet20"):
        models.get("resnet21")
    with pytest.raises(ValueError, match="6n \\+ 2"):
        models.cifar_resnet(21)
    with pytest.raises(ValueError, match="must be one of"):
        models.imagenet_resnet(19)
    with pytest.raises(ValueError, match="shortcut option"):
        models.cifar_resnet(20, shortcut="E")


def _copy_into_torch(ours: nn.Module, theirs: object) -> None:
    import torch

    state = {k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)  # type: ignore[attr-defined]


@pytest.mark.parametrize("train_mode", [False, True])
def test_resnet20_matches_pytorch(train_mode: bool) -> None:
    pytest.importorskip("torch")
    import torch
    from torch_reference import CifarResNet20

    ours, theirs = models.resnet20(), CifarResNet20()
    for bn in (m for m in ours.modules() if isinstance(m, nn.BatchNorm2d)):  # non-trivial statistics
        bn.running_mean.data = minires.randn(bn.num_features).numpy() * 0.1
        bn.running_var.data = 1 + minires.rand(bn.num_features).numpy()
        bn.weight.data = 1 + 0.2 * minires.randn(bn.num_features).numpy()
    _copy_into_torch(ours, theirs)
    ours.train(train_mode), theirs.train(train_mode)
    x = minires.randn(4, 3, 32, 32).numpy()
    np.testing.assert_allclose(ours(minires.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-4)


def test_resnet18_matches_pytorch() -> None:
    pytest.importorskip("torch")
    import torch
    from torch_reference import ResNet18

    ours, theirs = models.resnet18().eval(), ResNet18().eval()
    _copy_into_torch(ours, theirs)
    x = minires.randn(2, 3, 64, 64).numpy()
    np.testing.assert_allclose(ours(minires.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-4)


@pytest.mark.parametrize(("name", "counts", "stem", "option", "classes", "basic", "size"), [
    ("resnet18_cifar", (2, 2, 2, 2), "cifar", "B", 10, True, 32),
    ("resnet50_cifar", (3, 4, 6, 3), "cifar", "B", 10, False, 32),
    ("resnet50d", (3, 4, 6, 3), "deep", "D", 1000, False, 64),
])
def test_model_card_variants_match_pytorch(name: str, counts: tuple, stem: str, option: str, classes: int,
                                          basic: bool, size: int) -> None:
    pytest.importorskip("torch")
    import torch
    from torch_reference import CardResNet

    ours, theirs = models.get(name).eval(), CardResNet(counts, stem, option, classes, basic).eval()
    for bn in (m for m in ours.modules() if isinstance(m, nn.BatchNorm2d)):  # non-trivial statistics
        bn.running_mean.data = minires.randn(bn.num_features).numpy() * 0.1
        bn.running_var.data = 1 + minires.rand(bn.num_features).numpy()
    _copy_into_torch(ours, theirs)
    x = minires.randn(2, 3, size, size).numpy()
    np.testing.assert_allclose(ours(minires.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-3, atol=1e-3)
