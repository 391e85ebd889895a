"""Helpers for tests: compare a minires computation with the same one in PyTorch."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

import minires


def torch_or_skip():  # noqa: ANN201 - returns the torch module
    """Import PyTorch, or skip the test when it is not installed."""
    return pytest.importorskip("torch")


def compare_with_torch(
    ours: Callable[..., minires.Tensor],
    theirs: Callable[..., object],
    arrays: Sequence[np.ndarray],
    device: str = "cpu",
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> None:
    """Run ``ours`` and ``theirs`` on the same inputs and compare outputs and input gradients.

    The upstream gradient is a fixed random array, so the whole
    vector-Jacobian product is compared, not just the gradient of a sum.
    """
    torch = torch_or_skip()
    xs = [minires.tensor(a, requires_grad=True, device=device) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ours(*xs)
    ref = theirs(*ts)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=atol, rtol=rtol)
    upstream = np.random.default_rng(1).standard_normal(ref.shape).astype(arrays[0].dtype)
    out.backward(minires.tensor(upstream, device=device))
    ref.backward(torch.tensor(upstream))
    for i, (x, t) in enumerate(zip(xs, ts)):
        assert x.grad is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(
            x.grad.numpy(), t.grad.numpy(), atol=atol, rtol=rtol, err_msg=f"gradient of input {i}"
        )


def randn(*shape: int, dtype: type = np.float64, seed: int = 0) -> np.ndarray:
    """A reproducible random array."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def poison_loss_at(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """Make the trainer's loss NaN at training step ``step`` (1-based), to test the divergence stop."""
    from minires.train import trainer

    calls = {"n": 0}
    real = trainer.cross_entropy

    def poisoned(logits, labels, reduction="mean", **kw):  # noqa: ANN001, ANN003, ANN202
        calls["n"] += 1
        loss = real(logits, labels, reduction, **kw)
        return loss * float("nan") if calls["n"] == step else loss

    monkeypatch.setattr(trainer, "cross_entropy", poisoned)


def npy_bytes(shape: tuple[int, ...], data: bytes, descr: str = "<f4") -> bytes:
    """A ``.npy`` file whose header declares ``shape`` (whatever ``data`` really holds)."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def npz_bytes(entries: dict[str, bytes], claim: int | None = None) -> bytes:
    """A zip of raw ``name.npy`` entries (deflated); ``claim``: the unpacked size its directory declares for each."""
    import io
    import struct
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, blob in entries.items():
            archive.writestr(f"{name}.npy", blob)
    blob = bytearray(buffer.getvalue())
    if claim is not None:  # the central directory's "uncompressed size" of every entry: what a reader trusts
        at = blob.find(b"PK\x01\x02")
        while at >= 0:
            struct.pack_into("<I", blob, at + 24, claim)
            at = blob.find(b"PK\x01\x02", at + 4)
    return bytes(blob)


def meta(text: str) -> bytes:
    """A checkpoint's ``__meta__`` entry holding ``text``."""
    array = np.frombuffer(text.encode(), np.uint8)
    return npy_bytes(array.shape, array.tobytes(), "|u1")
