"""Shape ops: reshape, transpose/permute, flatten, getitem, pad, concatenate, stack."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compare_with_torch, randn

import minires

CASES = {
    "reshape": (lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1)),
    "transpose": (lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2)),
    "permute": (lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1)),
    "flatten": (lambda a: a.flatten(1), lambda a: a.flatten(1)),
    "T": (lambda a: a.reshape(6, 4).T, lambda a: a.reshape(6, 4).T),
    "slice": (lambda a: a[:, 1:, ::2], lambda a: a[:, 1:, ::2]),
    "int_index": (lambda a: a[1, :, -1], lambda a: a[1, :, -1]),
    "repeated_index": (lambda a: a[[0, 0, 1]], lambda a: a[[0, 0, 1]]),
}


@pytest.mark.parametrize("name", CASES)
def test_shape_op_gradcheck(name: str, device: str) -> None:
    x = minires.tensor(randn(2, 3, 4), requires_grad=True, device=device)
    assert minires.gradcheck(CASES[name][0], x)


@pytest.mark.parametrize("name", CASES)
def test_shape_op_matches_torch(name: str) -> None:
    compare_with_torch(*CASES[name], [randn(2, 3, 4)])


def test_pad_gradcheck_and_values(device: str) -> None:
    x = minires.tensor(randn(2, 3), requires_grad=True, device=device)
    out = minires.pad(x, ((1, 2), (0, 1)), value=0.0)
    assert out.shape == (5, 4)
    np.testing.assert_array_equal(out.numpy()[1:3, :3], x.numpy())
    assert out.numpy()[0].sum() == 0
    assert minires.gradcheck(lambda t: minires.pad(t, ((1, 2), (0, 1))), x)


def test_pad_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    compare_with_torch(
        lambda a: minires.pad(a, ((0, 0), (0, 0), (1, 2), (3, 0))),
        lambda a: torch.nn.functional.pad(a, (3, 0, 1, 2)),
        [randn(2, 3, 4, 5)],
    )


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack_gradcheck(axis: int, device: str) -> None:
    a = minires.tensor(randn(2, 3, seed=1), requires_grad=True, device=device)
    b = minires.tensor(randn(2, 3, seed=2), requires_grad=True, device=device)
    assert minires.gradcheck(lambda x, y: minires.concatenate([x, y * 2], axis=axis), a, b)
    assert minires.gradcheck(lambda x, y: minires.stack([x, y * 2], axis=axis), a, b)


def test_concatenate_and_stack_match_torch() -> None:
    torch = pytest.importorskip("torch")
    compare_with_torch(
        lambda a, b: minires.cat([a, b, a], axis=1), lambda a, b: torch.cat([a, b, a], dim=1),
        [randn(2, 3, seed=1), randn(2, 4, seed=2)],
    )
    compare_with_torch(
        lambda a, b: minires.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], dim=1),
        [randn(2, 3, seed=1), randn(2, 3, seed=2)],
    )


def test_bad_shapes_are_reported() -> None:
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\)"):
        minires.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match=r"concatenate: tensors of shapes \(2, 3\) and \(3, 3\)"):
        minires.cat([minires.ones(2, 3), minires.ones(3, 3)], axis=1)
    with pytest.raises(ValueError, match="stack"):
        minires.stack([minires.ones(2, 3), minires.ones(2, 4)])


def test_a_numpy_integer_indexes_a_tensor_on_any_device(device: str) -> None:
    x = minires.tensor(np.arange(6.0).reshape(3, 2), device=device, requires_grad=True)
    row = x[np.int64(1)]
    assert row.device == device and row.numpy().tolist() == [2.0, 3.0]
    row.sum().backward()
    assert x.grad.numpy().tolist() == [[0, 0], [1, 1], [0, 0]]
