"""The Tensor and the backward engine."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import minires
from minires import Tensor


def test_constructors_and_properties(device: str) -> None:
    x = minires.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert (x.shape, x.ndim, x.dtype, x.device) == ((2, 2), 2, np.float32, device)
    assert minires.tensor([1, 2]).dtype == np.int64
    assert minires.tensor(np.zeros(3)).dtype == np.float64  # NumPy arrays keep their dtype
    assert minires.zeros(2, 3).shape == (2, 3) and minires.ones((2, 3)).numpy().sum() == 6
    assert minires.tensor(7.5).item() == 7.5


def test_tensor_copies_its_input() -> None:
    a = np.ones(3, np.float32)
    t = minires.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1


def test_manual_seed_makes_randn_reproducible() -> None:
    minires.manual_seed(3)
    a = minires.randn(4, 5).numpy()
    minires.manual_seed(3)
    b = minires.randn(4, 5).numpy()
    minires.manual_seed(4)
    c = minires.randn(4, 5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32


def test_rng_state_round_trip() -> None:
    state = minires.get_rng_state()
    a = minires.randn(3).numpy()
    minires.set_rng_state(state)
    np.testing.assert_array_equal(minires.randn(3).numpy(), a)


def test_grad_accumulates_across_backward_calls() -> None:
    x = minires.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.numpy().tolist() == [6.0, 6.0]
    x.zero_grad()
    assert x.grad is None


def test_tensor_used_twice_gets_both_gradients() -> None:
    x = minires.tensor([3.0], requires_grad=True)
    (x + x).backward()
    assert x.grad.item() == 2.0


def test_diamond_graph() -> None:
    # y = a*b + a*c with b = 2a, c = a**2  =>  dy/da = 4a + 3a²
    a = minires.tensor([1.5], requires_grad=True)
    b, c = 2 * a, a**2
    (a * b + a * c).backward()
    assert a.grad.item() == pytest.approx(4 * 1.5 + 3 * 1.5**2)


def test_long_chain_does_not_recurse() -> None:
    x = minires.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0  # two ops per step: 10,000 nodes
    assert 10_000 > sys.getrecursionlimit()
    y.backward()
    assert x.grad.item() == 1.0


def test_backward_needs_gradient_for_non_scalar() -> None:
    x = minires.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"single-element tensor.*got shape \(2, 3\)"):
        (x * 2).backward()
    (x * 2).backward(minires.ones(2, 3))
    assert x.grad.numpy().sum() == 12.0
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\), expected \(2, 3\)"):
        (x * 2).backward(minires.ones(3))


def test_graph_is_freed_unless_retained() -> None:
    x = minires.tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_releases_saved_buffers() -> None:
    x = minires.tensor([2.0], requires_grad=True)
    h = x.exp()
    y = (h * x).sum()
    fn = h.grad_fn
    assert fn.saved is not None
    y.backward()
    assert fn.saved is None and fn.parents is None


def test_no_grad_builds_no_graph() -> None:
    x = minires.ones(3, requires_grad=True)
    with minires.no_grad():
        y = x * 2
        assert not minires.is_grad_enabled()
    assert minires.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_as_decorator() -> None:
    @minires.no_grad()
    def f(t: Tensor) -> Tensor:
        return t * 2

    assert not f(minires.ones(2, requires_grad=True)).requires_grad


def test_detach_cuts_the_graph() -> None:
    x = minires.ones(2, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf


def test_retain_grad_keeps_intermediate_gradient() -> None:
    x = minires.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.numpy().tolist() == [6.0, 12.0]


def test_leaf_grad_does_not_alias_user_gradient() -> None:
    x = minires.ones(3, requires_grad=True)
    g = np.ones(3, np.float32)
    x.backward(g)
    g[0] = 100
    assert x.grad.numpy()[0] == 1


def test_integer_tensors_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        minires.tensor([1, 2], requires_grad=True)


def test_to_device_validates_name() -> None:
    x = minires.ones(2)
    assert x.to("cpu") is x
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        x.to("tpu")


def test_cuda_request_without_gpu_is_clear() -> None:
    if minires.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match="no CUDA GPU is available|CuPy, which is not installed"):
        minires.ones(2, device="cuda")


@pytest.mark.cuda
def test_to_cuda_and_back_is_differentiable(device: str) -> None:
    if device == "cpu":
        pytest.skip("needs a GPU")
    x = minires.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to(device) * 2).to("cpu").sum()
    y.backward()
    assert x.grad.numpy().tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="different devices"):
        x + x.to(device).detach()


def test_recording_an_op_that_keeps_numpy_scalars_on_a_device(device: str) -> None:
    # Transpose keeps its inverse permutation and F.linear computes x @ weight.T: the check for
    # inputs kept by an op must only compare arrays of the tensor's own device (CuPy's
    # may_share_memory refuses NumPy scalars and arrays)
    x = minires.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, device=device)
    y = x.T @ minires.tensor(np.ones((2, 1)), device=device)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    layer = minires.nn.Linear(3, 2).to(device)
    layer(minires.tensor(np.ones((4, 3), np.float32), device=device)).sum().backward()
    assert layer.weight.grad.device == device


def test_repr_shows_values_and_grad_fn() -> None:
    x = minires.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<Mul>" in repr(x * 2)
    assert "dtype=float64" in repr(minires.tensor(np.zeros(1)))


def test_item_and_bool_errors() -> None:
    with pytest.raises(ValueError, match="one element"):
        minires.ones(2).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(minires.ones(2))


def test_graph_does_not_keep_intermediate_tensors_alive() -> None:
    import gc
    import weakref

    x = minires.ones(1000, requires_grad=True)
    h = x * 2  # Mul keeps x and the constant, not its output
    loss = h.sum()  # Sum keeps only a shape
    ref = weakref.ref(h)
    del h
    gc.collect()
    assert ref() is None
    loss.backward()
    assert x.grad.numpy().sum() == 2000.0


def test_no_grad_decorator_nests_and_restores() -> None:
    @minires.no_grad()
    def countdown(n: int) -> None:
        assert not minires.is_grad_enabled()
        if n:
            countdown(n - 1)

    countdown(3)
    assert minires.is_grad_enabled()


def test_backward_after_changing_a_kept_input_in_place_is_refused() -> None:

    w = minires.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x = minires.tensor(np.array([4.0, 5.0, 6.0]))
    loss = (w * x).sum()  # Mul keeps w for the gradient with respect to x ... and x for w's
    x.data -= 1  # as an optimizer step or a manual update would
    with pytest.raises(RuntimeError, match=r"Mul: a tensor of shape \(3,\) that this op kept for backward was "
                                           r"modified in place .*version 0 -> 1"):
        loss.backward()


def test_an_optimizer_step_between_forward_and_backward_is_caught() -> None:
    from minires import models, optim
    from minires.nn import functional as F

    model = models.get("resnet8")
    opt = optim.SGD(model.parameters(), lr=0.1)
    first = F.cross_entropy(model(minires.randn(2, 3, 32, 32)), [0, 1])
    second = F.cross_entropy(model(minires.randn(2, 3, 32, 32)), [1, 0])
    first.backward()
    opt.step()  # updates the weights that the second graph kept
    with pytest.raises(RuntimeError, match="modified in place after the forward pass"):
        second.backward()


def test_changing_an_input_the_op_did_not_keep_is_fine() -> None:
    w = minires.tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (w + 1).sum()  # Add keeps nothing: its gradient does not depend on w
    w.data -= 1
    loss.backward()
    assert np.array_equal(w.grad.numpy(), [1.0, 1.0])
