"""The simulated CUDA device refuses what CuPy refuses, and counts launches and host waits."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires import backend
from minires.errors import InputError
from minires.testing import simcuda as sc


@pytest.fixture
def dev() -> sc.ndarray:
    return sc.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))


def test_is_not_a_numpy_array_and_numpy_cannot_convert_it(dev: sc.ndarray) -> None:
    assert not isinstance(dev, np.ndarray)
    for convert in (np.asarray, np.array, lambda a: np.float32(1) * np.ones(3) + a):
        with pytest.raises(TypeError, match="Implicit conversion|Unsupported type"):
            convert(dev)
    np.testing.assert_array_equal(dev.get(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(sc.asnumpy(dev), dev.get())


def test_a_host_array_in_a_device_operation_is_refused(dev: sc.ndarray) -> None:
    host = np.ones(3, np.float32)
    for op in (lambda: dev + host, lambda: host + dev, lambda: sc.maximum(dev, host),
               lambda: sc.matmul(dev, np.ones((3, 1), np.float32)), lambda: sc.concatenate([dev, host[None]]),
               lambda: dev * np.float32(2) + np.array(1.0, np.float32)):
        with pytest.raises(TypeError, match="Unsupported type"):
            op()
    # Python and NumPy scalars are fine
    np.testing.assert_array_equal((dev * np.float32(2) + 1).get(), dev.get() * 2 + 1)


def test_typed_arguments_and_out(dev: sc.ndarray) -> None:
    with pytest.raises(TypeError, match="Argument 'a' has incorrect type"):
        sc.may_share_memory(np.int64(1), dev)
    with pytest.raises(TypeError, match="Argument 'b' has incorrect type"):
        sc.may_share_memory(dev, np.zeros(3))
    assert sc.may_share_memory(dev, dev[0]) and not sc.may_share_memory(dev, dev.copy())
    with pytest.raises(TypeError, match="out must be a device array"):
        sc.matmul(dev, dev.T, out=np.empty((2, 2), np.float32))
    with pytest.raises(TypeError, match="copyto: Argument 'a'"):
        sc.copyto(np.empty(3), dev[0])
    target = sc.zeros((2, 3), dtype=np.float32)
    sc.copyto(target, dev)
    np.testing.assert_array_equal(target.get(), dev.get())


def test_elementwise_results_are_c_ordered_and_scalars_stay_on_the_device(dev: sc.ndarray) -> None:
    t = dev.T  # a transposed view: NumPy's result would keep its Fortran order
    assert not t.flags.c_contiguous and (t * 2).flags.c_contiguous and sc.exp(t).flags.c_contiguous
    assert (np.asarray(dev.get().T) * 2).flags.f_contiguous  # (what NumPy itself does)
    total, first = dev.sum(), dev[0, 0]
    assert type(total) is sc.ndarray and total.shape == () and type(first) is sc.ndarray
    assert type(np.exp(dev)) is sc.ndarray  # NumPy's ufuncs dispatch to the device, as CuPy's do


def test_counts_launches_and_host_waits(dev: sc.ndarray) -> None:
    with sc.counting() as c:
        y = dev * 2 + 1  # two kernels
        _ = y.reshape(3, 2).T  # views: none
        _ = y[0]  # a view: none
        float(y.sum())  # one kernel and one wait
        y.get()
    assert (c.launches, c.host_waits) == (3, 2)
    with sc.counting() as c:
        sc.asarray(np.ones(3))
    assert (c.copies, c.launches) == (1, 0)


def test_no_host_waits_raises_on_each_kind_of_wait(dev: sc.ndarray) -> None:
    waits = (float, int, bool, repr, str, lambda a: a.item(), lambda a: a.tolist(), lambda a: a.get(),
             lambda a: f"{a:.2f}", lambda a: sc.cuda.Device().synchronize())
    for wait in waits:
        with sc.no_host_waits(), pytest.raises(sc.HostWaitError, match="makes the host wait"):
            wait(dev[0, 0])
    with sc.no_host_waits():
        dev * 2  # computing is fine


def test_cupy_13_and_14_have_different_functions() -> None:
    try:
        assert callable(sc.put_along_axis)
        with pytest.raises(AttributeError, match="cudnn"):
            sc.cudnn  # noqa: B018
        sc.set_version("13")
        with pytest.raises(AttributeError, match="put_along_axis"):
            sc.put_along_axis  # noqa: B018
        assert sc.cudnn is not None and sc.__version__.startswith("13")
    finally:
        sc.set_version("14")


def test_minires_selects_it_as_a_device() -> None:
    x = minires.randn(2, 3, device="simcuda")
    assert x.device == "simcuda" and type(x.data) is sc.ndarray
    assert backend.get_array_module(x.data) is sc and backend.is_gpu("simcuda")
    assert x.to("cpu").device == "cpu" and type(x.numpy()) is np.ndarray
    with pytest.raises(InputError, match="'cpu', 'cuda' or 'simcuda'"):
        minires.randn(2, device="tpu")


def test_numpy_functions_dispatch_to_the_device_as_cupys_do(dev: sc.ndarray) -> None:
    out = sc.empty((2, 3), dtype=np.float32)
    assert np.add(dev, dev, out=out) is out and np.array_equal(out.get(), 2 * dev.get())
    assert np.result_type(dev) == np.float32 and sc.result_type(dev, np.float64) == np.float64
    assert np.may_share_memory(dev, dev[0]) and type(sc.allclose(dev, dev)) is sc.ndarray
    with sc.counting() as c:
        sc.nonzero(dev)
    assert c.host_waits == 1  # the size of the result comes from the values
    fresh = type(dev).__new__(type(dev))
    fresh._a = np.ones(2)
    assert backend.device_of(fresh) == "simcuda"
