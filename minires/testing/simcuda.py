"""A CUDA device simulated on the CPU: CuPy's rules on top of NumPy's arithmetic.

minires runs on a GPU through CuPy, whose arrays look like NumPy's but are
stricter about what they take.  Code that NumPy forgives -- a host array
mixed into a device computation, ``np.asarray`` of a device array, a NumPy
scalar handed to ``may_share_memory`` -- breaks on the first real GPU, and
without a GPU nothing ever runs it.  This module is a stand-in for the
``cupy`` module that keeps every value in a NumPy array but enforces CuPy's
rules, so the GPU path of minires runs -- and fails where CuPy would fail --
on any machine::

    x = minires.randn(8, 3, 32, 32, device="simcuda")      # or: minires train --device simcuda
    model = models.resnet20().to("simcuda")

The rules it enforces, each as CuPy does:

* its own array type, ``ndarray`` -- not a NumPy subclass -- which NumPy
  cannot convert implicitly: ``np.asarray(a)`` raises ``TypeError``;
  ``a.get()`` and ``asnumpy(a)`` copy to the host;
* a host (NumPy) array inside a device operation raises ``TypeError``;
  Python and NumPy scalars are fine.  ``may_share_memory``,
  ``shares_memory``, ``copyto`` and every ``out=`` take device arrays only;
* elementwise results are C-ordered whatever their inputs' layout;
* reductions and integer indexing give 0-d device arrays, not host scalars;
* ``set_version("13")`` / ``"14"`` (default 14): functions that one CuPy
  version has and the other lacks are missing from the other.

And it counts, in ``counters`` (or per block with ``counting()``):

* ``launches``: operations that write device memory -- each a kernel launch
  on a GPU (views such as reshape, transpose and slicing launch nothing);
* ``host_waits``: conversions that need a device value on the host
  (``float()``, ``int()``, ``bool()``, ``.item()``, ``.tolist()``, ``.get()``,
  printing, ``synchronize()``), and operations whose result's size depends on
  the values (``nonzero``, one-argument ``where``, ``unique``, boolean-mask
  indexing) -- on a GPU the host stops until the device has caught up, and
  the device then idles while the host queues more work;
* ``copies``: host-to-device transfers.

``no_host_waits()`` turns a host wait into ``HostWaitError``, as
``cupyx.allow_synchronize(False)`` does, for code that promises none.

What it cannot tell: how fast a kernel runs, how much GPU memory a step
needs, TF32 or float16 tensor-core rounding, asynchronous-stream races,
CUDA compile errors -- and any CuPy rule not listed above.  Type promotion
follows NumPy 2 (as CuPy 14 does; CuPy 13 kept float32 arrays float32 when
multiplied by a NumPy float64 scalar).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np

DEVICE = "simcuda"
__version__ = "14.0.0"

# Functions that only one CuPy version has (the rest of the allow-lists below exist in both).
ONLY_IN_14 = frozenset({"put_along_axis"})
ONLY_IN_13 = frozenset({"cudnn"})  # CuPy 14 dropped its cuDNN bindings


def set_version(version: str) -> None:
    """Behave as CuPy ``"13"`` or ``"14"`` (which functions exist)."""
    global __version__
    if version not in ("13", "14"):
        raise ValueError(f"set_version: expected '13' or '14', got {version!r}")
    __version__ = f"{version}.0.0"
    for name in ONLY_IN_13 | ONLY_IN_14:
        globals().pop(name, None)  # built again (or refused) by __getattr__ on next use


# ---------------------------------------------------------------- counters


@dataclasses.dataclass
class Counters:
    """What the simulated device has done: kernel launches, host waits, host-to-device copies."""

    launches: int = 0
    host_waits: int = 0
    copies: int = 0


counters = Counters()
_local = threading.local()  # .strict: host waits are errors in this thread


class HostWaitError(RuntimeError):
    """A device value was needed on the host inside ``no_host_waits()``."""


DeviceSynchronized = HostWaitError  # cupyx's name for it


def _host_wait(what: str) -> None:
    if getattr(_local, "strict", False):
        raise HostWaitError(f"{what} makes the host wait for the device, inside no_host_waits()")
    counters.host_waits += 1


@contextlib.contextmanager
def no_host_waits() -> Iterator[None]:
    """Inside this block a host wait raises ``HostWaitError`` (in this thread)."""
    before = getattr(_local, "strict", False)
    _local.strict = True
    try:
        yield
    finally:
        _local.strict = before


@contextlib.contextmanager
def counting() -> Iterator[Counters]:
    """The counts of what runs inside the block::

        with simcuda.counting() as c:
            step()
        print(c.launches, c.host_waits)
    """
    start = dataclasses.replace(counters)
    seen = Counters()
    try:
        yield seen
    finally:
        for f in dataclasses.fields(Counters):
            setattr(seen, f.name, getattr(counters, f.name) - getattr(start, f.name))


# ---------------------------------------------------------------- the rules at the boundary

_SCALARS = (bool, int, float, complex, np.generic)


def _unwrap(value: Any, arrays: list[np.ndarray] | None = None) -> Any:
    """``value`` with device arrays replaced by their NumPy arrays; host arrays refused."""
    if type(value) is ndarray:
        if arrays is not None:
            arrays.append(value._a)
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(f"Unsupported type {type(value)!r}: a host (NumPy) array in a device operation; "
                        f"move it with cupy.asarray first")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, arrays) for v in value)
    return value


def _index(index: Any, arrays: list[np.ndarray] | None = None) -> Any:
    """An index for a device array: device arrays, and host ones (CuPy copies those over)."""
    if isinstance(index, np.ndarray):
        counters.copies += 1
        return index
    if isinstance(index, tuple) and any(isinstance(p, np.ndarray) for p in index):
        counters.copies += 1
        return tuple(p if isinstance(p, np.ndarray) else _unwrap(p, arrays) for p in index)
    return _unwrap(index, arrays)


def _out(out: Any) -> np.ndarray | None:
    if out is None:
        return None
    if type(out) is not ndarray:
        raise TypeError(f"out must be a device array (cupy.ndarray), got {type(out).__name__}")
    return out._a


def _wrap(result: Any, inputs: list[np.ndarray], c_order: bool = False, launch: bool = False) -> Any:
    """NumPy's result as device arrays; one launch if it wrote memory that is not an input's."""
    if isinstance(result, tuple):
        return tuple(_wrap(r, inputs, c_order, launch) for r in result)
    if isinstance(result, list):
        return [_wrap(r, inputs, c_order, launch) for r in result]
    if isinstance(result, np.generic):  # CuPy gives 0-d device arrays where NumPy gives scalars
        result = np.asarray(result)
    if not isinstance(result, np.ndarray):
        return result
    if c_order and not result.flags.c_contiguous:
        result = np.ascontiguousarray(result)
    if launch or not any(np.may_share_memory(result, a) for a in inputs):
        counters.launches += 1
    return ndarray._of(result)


class _Elementwise:
    """A ufunc (or ``where``) on device arrays: C-ordered output, ``out`` on the device."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func, self.__name__ = func, getattr(func, "__name__", "elementwise")

    def __call__(self, *args: Any, out: Any = None, **kwargs: Any) -> Any:
        inputs: list[np.ndarray] = []
        for a in args:
            if type(a) is not ndarray and not isinstance(a, (*_SCALARS, np.ndarray)):
                raise TypeError(f"Unsupported type {type(a)!r} in a device operation")
        raw = [_unwrap(a, inputs) for a in args]
        target = _out(out)
        if target is not None:
            self.func(*raw, out=target, **kwargs)
            counters.launches += 1
            return out
        return _wrap(self.func(*raw, **kwargs), inputs, c_order=True, launch=True)

    def at(self, a: ndarray, indices: Any, b: Any = None) -> None:
        """``a[indices] op= b`` in place, repeated indices applied one after another (``cupy.add.at``)."""
        (target,) = _typed(f"{self.__name__}.at", a)
        self.func.at(target, _index(indices), *(() if b is None else (_unwrap(b),)))
        counters.launches += 1


_elementwise = _Elementwise


def _routine(func: Callable[..., Any], launches: bool = True) -> Callable[..., Any]:
    """Any other array function: device arrays in, device arrays out."""

    def call(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        inputs: list[np.ndarray] = []
        raw = [_unwrap(a, inputs) for a in args]
        raw_kw = {k: _unwrap(v, inputs) for k, v in kwargs.items()}
        target = _out(out)
        if target is not None:
            func(*raw, out=target, **raw_kw)
            counters.launches += 1
            return out
        if func.__name__ in _SIZE_FROM_VALUES or (func.__name__ == "where" and len(args) == 1):
            _host_wait(f"{func.__name__}()")  # the result's size depends on the values: the host must know it
        result = func(*raw, **raw_kw)
        if not launches:  # allocation only (empty, empty_like): no kernel
            return ndarray._of(result)
        if result is None:  # in place (put_along_axis, ...)
            counters.launches += 1
            return None
        if isinstance(result, bool):  # allclose, array_equal: a 0-d device array in CuPy
            result = np.asarray(result)
        return _wrap(result, inputs)

    call.__name__ = getattr(func, "__name__", "routine")
    return call


_ELEMENTWISE = frozenset(
    "add subtract multiply divide true_divide floor_divide power float_power negative positive absolute abs fabs "
    "exp exp2 expm1 log log1p log2 log10 sqrt square cbrt reciprocal tanh sinh cosh sin cos tan arctan arcsin "
    "arccos maximum minimum fmax fmin sign greater greater_equal less less_equal equal not_equal logical_and "
    "logical_or logical_not logical_xor isfinite isnan isinf clip where floor ceil rint around round trunc "
    "mod remainder bitwise_and bitwise_or invert".split()
)
_ROUTINES = frozenset(
    "zeros ones full zeros_like ones_like full_like arange linspace eye identity matmul dot vdot einsum tensordot "
    "inner outer stack concatenate vstack hstack broadcast_to broadcast_arrays swapaxes moveaxis transpose "
    "reshape ravel squeeze expand_dims take take_along_axis put_along_axis pad sum mean var std max min amax amin "
    "argmax argmin prod cumsum any all sort argsort unique count_nonzero nonzero flip ascontiguousarray "
    "asfortranarray copy bincount split array_split tile repeat isclose allclose array_equal diag tril triu "
    "atleast_1d atleast_2d roll".split()
)
_ALLOCATE_ONLY = frozenset({"empty", "empty_like"})
_SIZE_FROM_VALUES = frozenset({"nonzero", "unique", "argwhere", "flatnonzero"})  # these make CuPy wait
_HOST_HELPERS = frozenset({"dtype", "finfo", "iinfo", "result_type", "promote_types", "can_cast", "isscalar"})


def __getattr__(name: str) -> Any:
    """The module's functions, built on first use from NumPy's (``simcuda.exp``, ``simcuda.float32``...)."""
    major = __version__.split(".")[0]
    if (name in ONLY_IN_14 and major != "14") or (name in ONLY_IN_13 and major != "13"):
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (CuPy {__version__}, simulated)")
    if name in _ELEMENTWISE:
        value: Any = _elementwise(getattr(np, name))
    elif name in _ROUTINES:
        value = _routine(getattr(np, name))
    elif name in _ALLOCATE_ONLY:
        value = _routine(getattr(np, name), launches=False)
    elif name == "cudnn":
        value = SimpleNamespace()
    elif name in _HOST_HELPERS and not isinstance(getattr(np, name), type):
        numpy_helper = getattr(np, name)

        def value(*args: Any, **kwargs: Any) -> Any:  # dtype questions: device arrays answer them on the host
            return numpy_helper(*(a._a if type(a) is ndarray else a for a in args), **kwargs)

    elif name in _HOST_HELPERS or (hasattr(np, name) and isinstance(getattr(np, name), (type, float, type(None)))):
        value = getattr(np, name)  # dtypes (float32, ...), constants (pi, inf, newaxis): as CuPy re-exports them
    else:
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (not in the simulated CuPy)")
    globals()[name] = value
    return value


# ---------------------------------------------------------------- the array


def _binary(func: Callable[..., Any], a: Any, b: Any) -> Any:
    for operand in (a, b):
        if type(operand) is not ndarray and not isinstance(operand, (*_SCALARS, np.ndarray)):
            return NotImplemented  # e.g. a minires Tensor: let its reflected operator answer
    return _elementwise(func)(a, b)


class ndarray:  # noqa: N801 - named as CuPy's
    """A device array: a NumPy array that only device operations may touch.

    Args:
        shape, dtype: as ``cupy.ndarray(shape, dtype)``: uninitialised memory.
    """

    __slots__ = ("_a", "__weakref__")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, shape: Any, dtype: Any = float) -> None:
        self._a = np.empty(shape, dtype=dtype)

    @classmethod
    def _of(cls, array: np.ndarray) -> ndarray:
        obj = cls.__new__(cls)
        obj._a = array
        return obj

    # -- what it is (metadata lives on the host: no wait)
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray._of(self._a.T))
    device = property(lambda self: cuda.Device(0))

    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self) -> Iterator[ndarray]:
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    # -- the values on the host: each one a host wait
    def get(self, stream: Any = None, order: str = "C", out: np.ndarray | None = None) -> np.ndarray:
        """A NumPy copy of the values (a device-to-host transfer)."""
        if self._a.size:  # CuPy returns at once for an empty array
            _host_wait("get()")
        if out is not None:
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order)

    def set(self, arr: np.ndarray, stream: Any = None) -> None:
        """Copy host values into this array (a host-to-device transfer)."""
        np.copyto(self._a, np.asarray(arr))
        counters.copies += 1

    def item(self) -> Any:
        _host_wait("item()")
        return self._a.item()

    def tolist(self) -> Any:
        _host_wait("tolist()")
        return self._a.tolist()

    def __float__(self) -> float:
        _host_wait("float()")
        return float(self._a)

    def __int__(self) -> int:
        _host_wait("int()")
        return int(self._a)

    def __complex__(self) -> complex:
        _host_wait("complex()")
        return complex(self._a)

    def __bool__(self) -> bool:
        _host_wait("bool()")
        return bool(self._a)

    def __repr__(self) -> str:
        _host_wait("printing")
        return repr(self._a)

    def __str__(self) -> str:
        _host_wait("printing")
        return str(self._a)

    def __format__(self, spec: str) -> str:
        _host_wait("formatting")
        return format(self._a, spec) if self._a.ndim == 0 else format(str(self._a), spec)

    # -- what NumPy may and may not do with it
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__":
            return NotImplemented
        out = kwargs.pop("out", None)
        if isinstance(out, tuple) and len(out) == 1:  # NumPy hands ``out=`` over as a tuple
            out = out[0]
        return _elementwise(ufunc)(*inputs, out=out, **kwargs)  # np.exp(device) runs on the device, as in CuPy

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        ours = globals().get(func.__name__)  # may_share_memory, copyto, ... (defined below)
        if not callable(ours) or isinstance(ours, type):
            try:
                ours = __getattr__(func.__name__)
            except AttributeError:
                return NotImplemented
        return ours(*args, **kwargs)

    # -- indexing
    def __getitem__(self, index: Any) -> Any:
        inputs = [self._a]
        raw = _index(index, inputs)
        if any(getattr(p, "dtype", None) == np.bool_ for p in (raw if isinstance(raw, tuple) else (raw,))):
            _host_wait("indexing with a boolean mask")  # the result's size must come back to the host
        result = self._a[raw]
        if isinstance(result, np.generic):  # a 0-d view, as CuPy returns, rather than a host scalar
            parts = raw if isinstance(raw, tuple) else (raw,)
            if not any(p is Ellipsis for p in parts):
                result = self._a[(*parts, Ellipsis)]
        return _wrap(result, inputs)

    def __setitem__(self, index: Any, value: Any) -> None:
        raw = _index(index)
        if isinstance(value, np.ndarray):  # CuPy copies a host value only for an advanced index
            parts = raw if isinstance(raw, tuple) else (raw,)
            if value.ndim and not any(isinstance(p, (np.ndarray, list)) for p in parts):
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
            counters.copies += 1
            value = np.asarray(value)
        else:
            value = _unwrap(value)
        self._a[raw] = value
        counters.launches += 1

    # -- copies
    def __copy__(self) -> ndarray:
        return self.copy()

    def __deepcopy__(self, memo: dict) -> ndarray:
        return self.copy()


def _method(name: str, elementwise: bool = False, in_place: bool = False) -> Callable[..., Any]:
    numpy_method = getattr(np.ndarray, name)

    def method(self: ndarray, *args: Any, out: Any = None, **kwargs: Any) -> Any:
        inputs = [self._a]
        raw = [_unwrap(a, inputs) for a in args]
        raw_kw = {k: _unwrap(v, inputs) for k, v in kwargs.items()}
        target = _out(out)
        if target is not None:
            raw_kw["out"] = target
        result = numpy_method(self._a, *raw, **raw_kw)
        if in_place or target is not None:
            counters.launches += 1
            return out if target is not None else result
        if name == "nonzero":
            _host_wait("nonzero()")
        return _wrap(result, inputs, c_order=elementwise)

    method.__name__ = name
    return method


for _name in ("reshape transpose swapaxes copy sum mean var std max min argmax argmin prod cumsum any all "
              "ravel flatten squeeze take repeat view dot nonzero argsort round").split():
    setattr(ndarray, _name, _method(_name))
ndarray.astype = _method("astype")  # order='K': keeps the input's layout, as CuPy's does
ndarray.clip = _method("clip", elementwise=True)
for _name in ("fill", "sort"):
    setattr(ndarray, _name, _method(_name, in_place=True))

_OPERATORS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
              "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
              "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}
for _name, _func in _OPERATORS.items():
    setattr(ndarray, f"__{_name}__", lambda self, other, f=_func: _binary(f, self, other))
    setattr(ndarray, f"__r{_name}__", lambda self, other, f=_func: _binary(f, other, self))

    def _in_place(self: ndarray, other: Any, f: np.ufunc = _func) -> ndarray:
        f(self._a, _unwrap(other), out=self._a)
        counters.launches += 1
        return self

    setattr(ndarray, f"__i{_name}__", _in_place)
for _name, _func in {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                     "gt": np.greater, "ge": np.greater_equal}.items():
    setattr(ndarray, f"__{_name}__", lambda self, other, f=_func: _binary(f, self, other))
for _name, _func in {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}.items():
    setattr(ndarray, f"__{_name}__", lambda self, f=_func: _elementwise(f)(self))


# ---------------------------------------------------------------- moving values, and the functions with typed arguments


def asarray(a: Any, dtype: Any = None, order: str | None = None) -> ndarray:
    """``a`` on the device: a device array as it is (or cast), anything else copied from the host."""
    if type(a) is ndarray:
        return a if dtype is None or a.dtype == np.dtype(dtype) else a.astype(dtype)
    if isinstance(a, (list, tuple)) and a and all(type(v) is ndarray for v in a):
        stacked = __getattr__("stack")(list(a))
        return stacked if dtype is None else stacked.astype(dtype)
    host = np.array(a, dtype=dtype, order=order or "K")  # a list holding device arrays refuses here
    counters.copies += 1
    return ndarray._of(host)


def array(a: Any, dtype: Any = None, copy: bool = True, order: str = "K") -> ndarray:
    """A device copy of ``a`` (a device array, or host data)."""
    if type(a) is ndarray:
        return a.astype(a.dtype if dtype is None else dtype, order=order, copy=copy)
    return asarray(a, dtype=dtype, order=None if order == "K" else order)


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: np.ndarray | None = None) -> np.ndarray:
    """A NumPy array of ``a``'s values (a host copy of a device array)."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args: Any) -> Any:
    """This module when any argument is a device array, else NumPy (as ``cupy.get_array_module``)."""
    import sys

    return sys.modules[__name__] if any(type(a) is ndarray for a in args) else np


def _typed(name: str, *arrays: Any) -> list[np.ndarray]:
    for arg, value in zip("ab", arrays):
        if type(value) is not ndarray:
            raise TypeError(f"{name}: Argument '{arg}' has incorrect type (expected cupy.ndarray, "
                            f"got {type(value).__name__})")
    return [v._a for v in arrays]


def may_share_memory(a: ndarray, b: ndarray, max_work: Any = None) -> bool:
    """Whether two device arrays' memory ranges overlap; both must be device arrays (CuPy's typed arguments)."""
    return bool(np.may_share_memory(*_typed("may_share_memory", a, b)))


def shares_memory(a: ndarray, b: ndarray, max_work: Any = None) -> bool:
    """Whether two device arrays share an element; both must be device arrays."""
    return bool(np.shares_memory(*_typed("shares_memory", a, b)))


def copyto(dst: ndarray, src: Any, casting: str = "same_kind", where: Any = None) -> None:
    """Copy ``src`` (a device array or a scalar) into the device array ``dst``."""
    (target,) = _typed("copyto", dst)
    if isinstance(src, np.ndarray):
        if src.size != 1:
            raise ValueError("non-scalar numpy.ndarray cannot be used for copyto")
        src = src.reshape(()).item()
    kwargs = {} if where is None else {"where": _unwrap(where)}
    np.copyto(target, _unwrap(src), casting=casting, **kwargs)
    counters.launches += 1


# ---------------------------------------------------------------- namespaces minires reaches for


def _as_strided(x: ndarray, shape: Any = None, strides: Any = None) -> ndarray:
    (a,) = _typed("as_strided", x)
    return ndarray._of(np.lib.stride_tricks.as_strided(a, shape=shape, strides=strides))  # a view: no launch


lib = SimpleNamespace(stride_tricks=SimpleNamespace(as_strided=_as_strided))


def _synchronize(*_: Any) -> None:
    _host_wait("synchronize()")


class _Device:
    def __init__(self, device: int = 0) -> None:
        self.id = device

    synchronize = _synchronize

    def __enter__(self) -> _Device:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


_stream = SimpleNamespace(synchronize=_synchronize)
cuda = SimpleNamespace(
    Device=_Device,
    runtime=SimpleNamespace(getDeviceCount=lambda: 1),
    Stream=SimpleNamespace(null=_stream),
    get_current_stream=lambda: _stream,
)


def _random_state() -> np.random.RandomState:
    if not hasattr(_random_state, "state"):
        _random_state.state = np.random.RandomState(0)  # type: ignore[attr-defined]
    return _random_state.state  # type: ignore[attr-defined]


def _draw(name: str) -> Callable[..., ndarray]:
    def draw(*args: Any, dtype: Any = None, **kwargs: Any) -> ndarray:
        values = np.asarray(getattr(_random_state(), name)(*args, **kwargs))
        counters.launches += 1
        return ndarray._of(values if dtype is None else values.astype(dtype))

    return draw


random = SimpleNamespace(
    seed=lambda seed=None: setattr(_random_state, "state", np.random.RandomState(seed)),
    **{name: _draw(name) for name in ("standard_normal", "normal", "uniform", "random_sample", "randint",
                                      "permutation")},
)
random.random = random.random_sample


