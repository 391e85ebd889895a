"""im2col, col2im and conv2d: against naive loops, gradchecks, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compare_with_torch, randn

import minires
from minires import parallel
from minires.nn import functional as F
from minires.nn.functional.conv import Conv2dFunction, ShiftedColumns, col2im, im2col
from minires.nn.functional.workspace import Workspace, workspace

GEOMETRIES = [  # (kernel, stride, padding)
    (3, 1, 1), (3, 2, 1), (1, 1, 0), (1, 2, 0), (5, 1, 2), (2, 2, 0), (3, 1, 0), ((3, 1), (2, 1), (1, 0)),
    ((3, 1), 1, (1, 0)), (3, 1, 2), (1, 1, 1),  # stride 1 non-square; padding k − 1; padding > k − 1
]


def naive_conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: object, padding: object) -> np.ndarray:
    """The definition, one output pixel at a time."""
    (sh, sw), (ph, pw) = F.conv.pair(stride), F.conv.pair(padding)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + (b[None, :, None, None] if b is not None else 0)


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES, ids=str)
def test_im2col_columns_are_the_windows(kernel: object, stride: object, padding: object) -> None:
    x = randn(2, 3, 7, 6)
    (kh, kw), (sh, sw), (ph, pw) = F.conv.pair(kernel), F.conv.pair(stride), F.conv.pair(padding)
    cols = im2col(x, kernel, stride, padding)
    oh, ow = (7 + 2 * ph - kh) // sh + 1, (6 + 2 * pw - kw) // sw + 1
    assert cols.shape == (3 * kh * kw, 2 * oh * ow) and cols.flags.c_contiguous
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    for n, i, j in [(0, 0, 0), (1, oh - 1, ow - 1), (1, oh // 2, 0)]:
        window = xp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
        np.testing.assert_array_equal(cols[:, (n * oh + i) * ow + j], window.reshape(-1))


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES, ids=str)
def test_col2im_is_the_adjoint_of_im2col(kernel: object, stride: object, padding: object) -> None:
    # <im2col(x), c> == <x, col2im(c)> for all x, c: the defining property of an adjoint
    x = randn(2, 3, 7, 6, seed=1)
    c = randn(*im2col(x, kernel, stride, padding).shape, seed=2)
    left = (im2col(x, kernel, stride, padding) * c).sum()
    right = (x * col2im(c, x.shape, kernel, stride, padding)).sum()
    assert left == pytest.approx(right, rel=1e-10)


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES, ids=str)
def test_conv2d_matches_naive_loop(kernel: object, stride: object, padding: object, device: str) -> None:
    kh, kw = F.conv.pair(kernel)
    x, w, b = randn(2, 3, 7, 6, seed=1), randn(4, 3, kh, kw, seed=2), randn(4, seed=3)
    out = F.conv2d(*(minires.tensor(a, device=device) for a in (x, w, b)), stride=stride, padding=padding)
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x, w, b, stride, padding), atol=1e-10)


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES, ids=str)
def test_conv2d_gradcheck(kernel: object, stride: object, padding: object, device: str) -> None:
    kh, kw = F.conv.pair(kernel)
    args = [minires.tensor(randn(*s, seed=i), requires_grad=True, device=device)
            for i, s in enumerate([(2, 2, 5, 6), (3, 2, kh, kw), (3,)])]
    assert minires.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), *args)


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES, ids=str)
def test_conv2d_matches_torch(kernel: object, stride: object, padding: object) -> None:
    torch = pytest.importorskip("torch")
    kh, kw = F.conv.pair(kernel)
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, padding),
        [randn(2, 3, 9, 8, seed=1, dtype=np.float32), randn(4, 3, kh, kw, seed=2, dtype=np.float32),
         randn(4, seed=3, dtype=np.float32)],
        atol=1e-4,
    )


def test_conv2d_large_input_directional_gradcheck() -> None:
    x = minires.tensor(randn(4, 16, 16, 16), requires_grad=True)
    w = minires.tensor(randn(16, 16, 3, 3) * 0.1, requires_grad=True)
    assert minires.directional_gradcheck(lambda x, w: F.conv2d(x, w, padding=1), x, w)


def test_conv2d_keeps_its_input_not_the_columns() -> None:
    x = minires.randn(2, 3, 8, 8, requires_grad=True)
    w = minires.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    fn = out.grad_fn
    assert isinstance(fn, Conv2dFunction)
    kept = [a for a in fn.saved if isinstance(a, np.ndarray)]  # (x, weight)
    assert sum(a.nbytes for a in kept) == x.data.nbytes + w.data.nbytes  # no 9x-sized columns
    assert kept[0] is x.data  # a reference, not a copy


def test_conv2d_skips_input_gradient_it_does_not_need() -> None:
    x = minires.randn(2, 3, 8, 8)  # e.g. the images: no gradient wanted
    w = minires.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    out.sum().backward()
    assert w.grad is not None and x.grad is None


def test_conv2d_output_is_channel_major_view() -> None:
    out = F.conv2d(minires.randn(2, 3, 8, 8), minires.randn(4, 3, 3, 3), padding=1)
    assert out.shape == (2, 4, 8, 8)
    assert out.data.transpose(1, 0, 2, 3).flags.c_contiguous  # memory is (F, N, H, W)


def test_conv2d_errors_name_shapes() -> None:
    with pytest.raises(ValueError, match=r"expects 4 input channels.*\(2, 3, 8, 8\) has 3"):
        F.conv2d(minires.randn(2, 3, 8, 8), minires.randn(5, 4, 3, 3))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\), got \(3, 8, 8\)"):
        F.conv2d(minires.randn(3, 8, 8), minires.randn(5, 3, 3, 3))
    with pytest.raises(ValueError, match="conv2d: a 3x3 window does not fit"):
        F.conv2d(minires.randn(1, 3, 2, 2), minires.randn(5, 3, 3, 3))


@pytest.mark.parametrize(("kw", "message"), [
    (dict(stride=0), "conv2d: stride must be >= 1, got 0"),
    (dict(stride=(1, -2)), r"conv2d: stride must be >= 1, got \(1, -2\)"),
    (dict(padding=-1), "conv2d: padding must be >= 0, got -1"),
], ids=["stride 0", "negative stride", "negative padding"])
def test_conv2d_refuses_a_stride_below_1_and_a_negative_padding(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        F.conv2d(minires.randn(1, 2, 6, 6), minires.randn(3, 2, 3, 3), **kw)


@pytest.mark.parametrize("threads", [1, 2], ids=["1-thread", "2-threads"])
@pytest.mark.parametrize("x_needs_grad", [True, False], ids=["x-grad", "no-x-grad"])
@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES, ids=str)
def test_conv2d_in_chunks_matches_one_chunk(kernel: object, stride: object, padding: object, x_needs_grad: bool,
                                            threads: int, workers: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # 5 images in chunks of 2 (the last one holds 1), the chunks shared out over 1 or 2
    # threads: output and both gradients unchanged
    if threads > 1 and parallel._blas is None:
        pytest.skip("NumPy's OpenBLAS not found: minires runs its loops on one thread")
    kh, kw = F.conv.pair(kernel)
    x0, w0 = randn(5, 3, 9, 8, seed=1), randn(4, 3, kh, kw, seed=2)
    results = []
    for chunked in (False, True):
        if chunked:
            monkeypatch.setattr(F.conv_fast, "images_per_chunk", lambda xc, rows, positions: 2)
            parallel.set_num_threads(threads)
        x, w = minires.tensor(x0, requires_grad=x_needs_grad), minires.tensor(w0, requires_grad=True)
        out = F.conv2d(x, w, stride=stride, padding=padding)
        (out * minires.tensor(randn(*out.shape, seed=3))).sum().backward()
        results.append((out.numpy(), w.grad.numpy()) + ((x.grad.numpy(),) if x_needs_grad else ()))
    np.testing.assert_allclose(results[0][0], naive_conv2d(x0, w0, None, stride, padding), atol=1e-10)
    for one, chunked in zip(*results):
        np.testing.assert_allclose(chunked, one, atol=1e-10)


@pytest.mark.parametrize("x_needs_grad", [True, False], ids=["x-grad", "no-x-grad"])
def test_conv2d_reuses_scratch_buffers_without_leaking_between_calls(x_needs_grad: bool) -> None:
    # scratch buffers are reused with their zero borders untouched, so a later call must see
    # nothing of an earlier one: the same shape again; the same padded shape from another
    # padding (7x7 padded by 1 and 5x5 padded by 2 are both 9x9 in the textbook layout); the
    # same grid with another real region (rows share padding, so a 7x7 image padded by 1 and a
    # 6x6 one padded by 2 both make 8x8 grids); and outputs never alias them.  Without an
    # input gradient, the weight gradient takes its own path (columns of x, g on their grid).
    cases = [((2, 3, 7, 7), (4, 3, 3, 3), 1), ((2, 3, 7, 7), (4, 3, 3, 3), 1),
             ((2, 3, 5, 5), (4, 3, 5, 5), 2), ((2, 3, 7, 7), (4, 3, 1, 1), 1), ((2, 3, 7, 7), (4, 3, 3, 3), 1),
             ((2, 3, 6, 6), (4, 3, 5, 5), 2), ((2, 3, 6, 6), (4, 3, 3, 3), 2), ((2, 3, 7, 7), (4, 3, 3, 3), 1)]
    for seed, (x_shape, w_shape, padding) in enumerate(cases):
        x0, w0 = randn(*x_shape, seed=seed) + 100.0, randn(*w_shape, seed=seed + 10)
        x, w = minires.tensor(x0, requires_grad=x_needs_grad), minires.tensor(w0, requires_grad=True)
        out = F.conv2d(x, w, padding=padding)
        np.testing.assert_allclose(out.numpy(), naive_conv2d(x0, w0, None, 1, padding), rtol=1e-9)
        g = randn(*out.shape, seed=seed + 20)
        out.backward(g)
        # the textbook weight gradient: g (F, N·OH·OW) @ im2col(x)ᵀ
        g_matrix = g.transpose(1, 0, 2, 3).reshape(w_shape[0], -1)
        expected_w = (g_matrix @ im2col(x0, w_shape[2:], 1, padding).T).reshape(w_shape)
        np.testing.assert_allclose(w.grad.numpy(), expected_w, rtol=1e-9)
        results = [out.data, w.grad.data] + ([x.grad.data] if x_needs_grad else [])
        held = list(workspace()._buffers.values())
        assert held and not any(np.shares_memory(a, b) for a in results for b in held)


@pytest.mark.parametrize("size,kernel,padding", [(8, 3, 1), (1, 3, 2), (1, 5, 2), (2, 5, 4), (6, 1, 0)])
def test_shifted_columns_never_read_past_their_buffer(size: int, kernel: int, padding: int) -> None:
    # as_strided does not check bounds: the windows view must end inside the padded buffer
    xc = randn(2, 3, size, size).transpose(1, 0, 2, 3)
    columns = ShiftedColumns(xc, (kernel, kernel), (padding, padding), "bounds")
    buffer, w, _ = columns.buffers()
    last_byte = w.__array_interface__["data"][0] + sum((n - 1) * s for n, s in zip(w.shape, w.strides)) + w.itemsize
    assert last_byte <= buffer.__array_interface__["data"][0] + buffer.nbytes


def test_conv2d_kernel_larger_than_the_padded_image() -> None:
    # a 5x5 kernel with padding 2 on 1x1 images: the windows reach two padded grids past
    # the last image, so the buffer needs two spare grids
    x0, w0 = randn(3, 2, 1, 1, seed=1), randn(4, 2, 5, 5, seed=2)
    out = F.conv2d(minires.tensor(x0), minires.tensor(w0), padding=2)
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x0, w0, None, 1, 2), atol=1e-12)
    args = [minires.tensor(x0, requires_grad=True), minires.tensor(w0, requires_grad=True)]
    assert minires.gradcheck(lambda x, w: F.conv2d(x, w, padding=2), *args)


def test_workspace_gives_back_the_same_zeroed_buffer() -> None:
    ws = Workspace(capacity=2)
    like = np.zeros(1, np.float32)
    a = ws.get("a", (3, 4), like)
    assert a.dtype == np.float32 and not a.any()
    a[:] = 7
    assert ws.get("a", (3, 4), like) is a  # same role and shape: same memory, contents kept
    assert ws.get("a", (3, 4), np.zeros(1)) is not a  # another dtype: another buffer
    ws.get("b", (2,), like)  # capacity 2: "a"/float32 was the least recently used, dropped
    assert ws.get("a", (3, 4), like) is not a
    assert ws.nbytes > 0
    ws.clear()
    assert ws.nbytes == 0


# ---------------------------------------------------------------- the textbook algorithm beside the fast one


@pytest.mark.parametrize("kernel,stride,padding", GEOMETRIES, ids=str)
def test_textbook_im2col_convolution_matches_the_loop_and_its_gradients_check(kernel: object, stride: object,
                                                                             padding: object) -> None:
    kh, kw = F.conv.pair(kernel)
    x, w, b = randn(2, 3, 7, 6, seed=1), randn(4, 3, kh, kw, seed=2), randn(4, seed=3)
    out = F.conv2d(*(minires.tensor(a) for a in (x, w, b)), stride=stride, padding=padding, algorithm="im2col")
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x, w, b, stride, padding), atol=1e-10)
    args = [minires.tensor(randn(*s, seed=i), requires_grad=True) for i, s in enumerate([(2, 2, 5, 6), (3, 2, kh, kw),
                                                                                        (3,)])]
    assert minires.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, algorithm="im2col"), *args)


def test_a_resnet_training_step_is_the_same_on_both_algorithms() -> None:
    from minires import models, optim

    def step(algorithm: str) -> dict[str, np.ndarray]:
        minires.manual_seed(0)
        model = models.resnet20()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        x = minires.tensor(randn(8, 3, 32, 32, seed=4).astype(np.float32))
        with minires.conv_algorithm(algorithm):
            F.cross_entropy(model(x), [0, 1, 2, 3, 4, 5, 6, 7]).backward()
        opt.step()
        return {k: v.numpy() for k, v in model.state_dict().items()}

    fast = step("fast")
    for algorithm in ("im2col", "winograd"):
        other = step(algorithm)
        for name in fast:
            np.testing.assert_allclose(other[name], fast[name], rtol=1e-4, atol=1e-5, err_msg=f"{algorithm}: {name}")


# ---------------------------------------------------------------- Winograd F(2×2, 3×3)

WINOGRAD_SHAPES = [  # (N, C, H, W, F, padding): odd sizes (tiles hang over), every padding it takes
    (2, 3, 7, 6, 4, 1), (1, 2, 8, 8, 3, 0), (3, 1, 5, 9, 2, 2), (2, 4, 3, 3, 5, (1, 0)), (1, 2, 4, 5, 2, (0, 2)),
]


@pytest.mark.parametrize("shape", WINOGRAD_SHAPES, ids=str)
def test_winograd_matches_the_loop_and_its_gradients_check(shape: tuple) -> None:
    n, c, h, w, f, padding = shape
    x, wt, b = randn(n, c, h, w, seed=1), randn(f, c, 3, 3, seed=2), randn(f, seed=3)
    out = F.conv2d(*(minires.tensor(a) for a in (x, wt, b)), padding=padding, algorithm="winograd")
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x, wt, b, 1, padding), atol=1e-12)
    args = [minires.tensor(a, requires_grad=True) for a in (x, wt, b)]
    assert minires.gradcheck(lambda x, w, b: F.conv2d(x, w, b, 1, padding, algorithm="winograd"), *args)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_winograd_matches_torch(padding: int, dtype: type) -> None:
    torch = pytest.importorskip("torch")
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, 1, padding, algorithm="winograd"),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, 1, padding),
        [randn(3, 5, 11, 10, seed=1, dtype=dtype), randn(6, 5, 3, 3, seed=2, dtype=dtype),
         randn(6, seed=3, dtype=dtype)],
        atol=1e-4 if dtype == np.float32 else 1e-10,
    )


@pytest.mark.parametrize("channels,size", [(16, 32), (32, 16), (64, 8)])
def test_winograd_float32_error_stays_near_im2col(channels: int, size: int) -> None:
    """Max error against a float64 reference, for the three stage shapes of a CIFAR ResNet."""
    x, w = randn(2, channels, size, size, seed=5), randn(channels, channels, 3, 3, seed=6) * 0.1
    exact = naive_conv2d(x, w, None, 1, 1)
    errors = {}
    for algorithm in ("im2col", "winograd"):
        out = F.conv2d(minires.tensor(x.astype(np.float32)), minires.tensor(w.astype(np.float32)), padding=1,
                       algorithm=algorithm).numpy()
        errors[algorithm] = np.abs(out - exact).max() / np.abs(exact).max()
    assert errors["winograd"] < 4 * errors["im2col"] + 1e-7, errors


def test_the_algorithm_switch_is_scoped_and_checked() -> None:
    x, w = minires.randn(1, 2, 5, 5, requires_grad=True), minires.randn(3, 2, 3, 3)
    with minires.conv_algorithm("im2col"):
        assert type(F.conv2d(x, w).grad_fn).__name__ == "Conv2dIm2col"
    assert type(F.conv2d(x, w).grad_fn).__name__ == "Conv2dFast"
    with minires.conv_algorithm("winograd"):
        assert type(F.conv2d(x, w, padding=1).grad_fn).__name__ == "Conv2dWinograd"
        assert type(F.conv2d(x, w, stride=2).grad_fn).__name__ == "Conv2dFast"  # not 3×3 stride 1: fast
        assert type(F.conv2d(x, minires.randn(3, 2, 1, 1)).grad_fn).__name__ == "Conv2dFast"
    with pytest.raises(ValueError, match="unknown convolution algorithm 'fft'"):
        with minires.conv_algorithm("fft"):
            pass
    with pytest.raises(ValueError, match="unknown algorithm"):
        F.conv2d(x, w, algorithm="fft")
