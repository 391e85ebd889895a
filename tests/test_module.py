"""Module: registration, traversal, modes, devices, state dicts, hooks, repr."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires import nn
from minires.nn.module import StateDictError


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x: minires.Tensor) -> minires.Tensor:
        return self.bn(self.conv(x)).relu()


def make_net() -> nn.Module:
    return nn.Sequential(Block(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


def test_parameters_and_buffers_are_registered() -> None:
    net = make_net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.conv.weight", "0.bn.weight", "0.bn.bias", "3.weight", "3.bias"]
    assert [n for n, _ in net.named_buffers()] == ["0.bn.running_mean", "0.bn.running_var",
                                                   "0.bn.num_batches_tracked"]
    assert net.num_parameters() == 4 * 3 * 9 + 4 + 4 + 4 * 2 + 2
    assert all(p.requires_grad for p in net.parameters())
    assert not any(b.requires_grad for b in net.buffers())


def test_children_and_modules() -> None:
    net = make_net()
    assert len(list(net.children())) == 4
    assert [n for n, _ in net.named_modules()][:4] == ["", "0", "0.conv", "0.bn"]


def test_train_and_eval_propagate() -> None:
    net = make_net().eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_eval_mode_changes_batch_norm_behaviour() -> None:
    net = make_net()
    x = minires.randn(8, 3, 6, 6)
    net(x)  # one training step moves the running statistics
    net.eval()
    a, b = net(x[:4]).numpy(), net(x).numpy()[:4]
    np.testing.assert_allclose(a, b, atol=1e-6)  # in eval, a sample's output ignores the batch


def test_state_dict_round_trip_and_errors() -> None:
    a, b = make_net(), make_net()
    a(minires.randn(4, 3, 6, 6))
    b.load_state_dict(a.state_dict())
    for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy(), err_msg=name)
    state = a.state_dict()
    del state["3.bias"]
    state["extra"] = minires.zeros(1)
    with pytest.raises(StateDictError, match=r"1 missing key \('3.bias'\); 1 unexpected key \('extra'\)"):
        b.load_state_dict(state)
    b.load_state_dict(state, strict=False)
    bad = a.state_dict()
    bad["3.weight"] = minires.zeros(3, 3)
    with pytest.raises(ValueError, match=r"'3.weight' has shape \(3, 3\) in the state dict but \(2, 4\)"):
        b.load_state_dict(bad)


def test_load_state_dict_copies() -> None:
    a, b = make_net(), make_net()
    b.load_state_dict(a.state_dict())
    a[3].weight.data += 1
    assert not np.allclose(a[3].weight.numpy(), b[3].weight.numpy())


def test_forward_hook_sees_output_and_can_be_removed() -> None:
    net = make_net()
    seen = []
    handle = net[0].bn.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    net(minires.randn(2, 3, 6, 6))
    handle.remove()
    net(minires.randn(2, 3, 6, 6))
    assert seen == [(2, 4, 6, 6)]


def test_zero_grad_and_to() -> None:
    net = make_net()
    net(minires.randn(2, 3, 6, 6)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.to("cpu") is net
    with pytest.raises(ValueError, match="unknown device"):
        net.to("gpu")


def test_repr_is_a_tree() -> None:
    text = repr(make_net())
    assert "(0): Block(\n    (conv): Conv2d(3, 4, kernel_size=(3, 3)" in text
    assert "bias=False" in text and "(3): Linear(in_features=4, out_features=2, bias=True)" in text


def test_sequential_indexing_and_errors() -> None:
    seq = nn.Sequential(nn.ReLU(), nn.Identity())
    assert isinstance(seq[1], nn.Identity) and len(seq[:1]) == 1
    with pytest.raises(TypeError, match="item 0 is a int"):
        nn.Sequential(3)


def test_missing_super_init_is_explained() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.x = 1

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_replacing_a_parameter_with_something_else_is_refused() -> None:
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"Linear.weight is a Parameter; assign a minires.nn.Parameter"):
        layer.weight = minires.zeros(3, 2)
    assert "weight" in dict(layer.named_parameters())
    layer.bias = None  # removing one is allowed
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_a_buffer_refuses_what_pytorch_refuses() -> None:
    bn = nn.BatchNorm2d(4)
    with pytest.raises(TypeError, match="BatchNorm2d.running_mean is a buffer; assign a minires Tensor"):
        bn.running_mean = np.ones(4)
    assert "running_mean" in dict(bn.named_buffers()) and "running_mean" in bn.state_dict()
    bn.running_mean = minires.ones(4)  # a tensor replaces it, still registered
    assert np.all(bn.state_dict()["running_mean"].numpy() == 1)
    for bad in ("a.b", ""):
        with pytest.raises(KeyError, match="without '.'"):
            bn.register_buffer(bad, minires.zeros(1))
    with pytest.raises(KeyError, match="already an attribute"):
        bn.register_buffer("weight", minires.zeros(1))
    with pytest.raises(TypeError, match="must be a minires Tensor"):
        bn.register_buffer("extra", np.zeros(1))
    bn.register_buffer("extra", None)  # allowed, and left out of buffers() and state_dict()
    assert "extra" not in bn.state_dict() and bn.to("cpu") is bn


def test_register_parameter_follows_pytorchs_rules() -> None:
    layer = nn.Linear(2, 3)
    layer.register_parameter("scale", nn.Parameter(minires.ones(3)))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias", "scale"]
    assert "scale" in layer.state_dict()
    for bad in ("a.b", "", 3):
        with pytest.raises(KeyError, match="without '.'"):
            layer.register_parameter(bad, nn.Parameter(minires.ones(1)))
    with pytest.raises(KeyError, match="already an attribute"):
        layer.register_parameter("training", nn.Parameter(minires.ones(1)))
    with pytest.raises(TypeError, match="must be a minires.nn.Parameter"):
        layer.register_parameter("offset", minires.ones(3))
    with pytest.raises(KeyError, match="may not contain '.'"):
        setattr(layer, "x.y", nn.Parameter(minires.ones(1)))
    layer.register_parameter("offset", None)  # allowed, as in PyTorch
    assert "offset" not in layer.state_dict()


@pytest.mark.parametrize("make", [
    lambda w: w > 0,  # bool
    lambda w: w.astype(np.complex64),
    lambda w: np.zeros(w.shape, "datetime64[s]"),
    lambda w: np.zeros(w.shape, [("value", np.float32)]),  # a structured array, free of objects
    lambda w: np.ones(w.shape, np.int32),
], ids=["bool", "complex", "datetime64", "structured", "int32"])
def test_values_a_cast_would_change_are_refused_by_name(make) -> None:  # noqa: ANN001
    from minires.nn.module import UnusableState

    a, b = make_net(), make_net()
    state = {k: v.numpy() for k, v in a.state_dict().items()}
    state["3.weight"] = make(state["3.weight"])
    before = b[3].weight.numpy().copy()
    with pytest.raises(UnusableState, match=r"'3.weight' holds .* values; expected real floating-point numbers"):
        b.load_state_dict(state)
    np.testing.assert_array_equal(b[3].weight.numpy(), before)  # all or nothing


def test_integer_buffers_take_integers_only() -> None:
    from minires.nn.module import UnusableState

    a, b = make_net(), make_net()
    state = {k: v.numpy() for k, v in a.state_dict().items()}
    state["0.bn.num_batches_tracked"] = np.int32(7)
    b.load_state_dict(state)  # an exact integer, of another width: fine
    assert b[0].bn.num_batches_tracked.item() == 7
    state["0.bn.num_batches_tracked"] = np.float64(7.5)
    with pytest.raises(UnusableState, match="'0.bn.num_batches_tracked' holds float64 values; expected integers"):
        b.load_state_dict(state)


def test_non_finite_weights_and_buffers_are_refused() -> None:
    from minires.nn.module import UnusableState

    a, b = make_net(), make_net()
    for name, bad in (("3.weight", np.nan), ("0.bn.running_var", np.inf)):
        state = {k: v.numpy().copy() for k, v in a.state_dict().items()}
        state[name].reshape(-1)[0] = bad
        with pytest.raises(UnusableState, match=rf"'{name}' holds 1 NaN or infinite value"):
            b.load_state_dict(state)
