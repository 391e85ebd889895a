"""Tensor, the op base class ``Function``, and reverse-mode autodiff.

A ``Tensor`` wraps one array (NumPy or CuPy) and remembers the ``Function``
that made it.  Running a model builds a graph of Functions; ``backward()``
walks that graph from the loss back to the leaves, once, in reverse
topological order, asking each Function to turn the gradient of its output
into gradients of its inputs.

    x ──┐
        ├─ Mul ── y ── Sum ── loss          forward: left to right
    w ──┘                                   backward: right to left

Design decisions worth knowing:

* Each Function keeps only what its backward needs (``self.saved``); after
  ``backward()`` those buffers and the links to the inputs are dropped, so
  the activations of a big network are freed as soon as they have been used
  (pass ``retain_graph=True`` to backward twice).
* The topological order is computed with an explicit stack, not recursion:
  a 1202-layer ResNet makes graphs far deeper than Python's recursion limit.
* The graph links Functions to the Functions (or leaf tensors) that made
  their inputs; it does not hold the tensors in between.  Only what an op
  saves for backward stays alive.
* Gradients are stored on leaf tensors only (as in PyTorch); call
  ``retain_grad()`` on an intermediate tensor to keep its gradient too.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from minires import backend

__all__ = [
    "Tensor", "Function", "tensor", "zeros", "ones", "zeros_like", "ones_like", "as_array",
    "no_grad", "is_grad_enabled", "current_module", "module_scope", "ArrayLike",
]

# ---------------------------------------------------------------- grad mode

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) that stops graph building.

    Inside ``with minires.no_grad():`` ops compute values only: nothing is
    kept for backward, which is what evaluation and optimizer updates want.
    """

    def _recreate_cm(self) -> no_grad:
        # a fresh context per decorated call, so nested and recursive calls each
        # restore their own previous state
        return no_grad()

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous


# ---------------------------------------------------------------- module scope

# The modules whose forward is running, innermost last (Module.__call__ pushes and pops);
# each Function remembers the innermost one, so a drawing of the graph can group ops by layer.
_scope = threading.local()


def current_module() -> Any:
    """The innermost Module whose forward is running on this thread (None outside any)."""
    stack = getattr(_scope, "stack", None)
    return stack[-1] if stack else None


@contextlib.contextmanager
def module_scope(module: Any) -> Any:
    """Marks the ops run inside as belonging to ``module`` (used by ``Module.__call__``)."""
    stack = getattr(_scope, "stack", None)
    if stack is None:
        stack = _scope.stack = []
    stack.append(module)
    try:
        yield
    finally:
        stack.pop()


# ---------------------------------------------------------------- Tensor

ArrayLike = Any  # a NumPy/CuPy array, a Python number or (nested) list


def as_array(value: Any) -> Any:
    """The array inside a Tensor; anything else (an array, a number, None) as it is."""
    return value.data if isinstance(value, Tensor) else value


def _default_dtype(data: Any) -> Any:
    """float32 for Python floats, int64 for ints, bool for bools."""
    probe = np.asarray(data)
    if probe.dtype.kind == "f":
        return np.float32
    return probe.dtype


class Tensor:
    """An n-dimensional array that can record how it was computed.

    Args:
        data: a NumPy or CuPy array (kept as is, no copy), or Python data
            (converted; floats become float32).
        requires_grad: record operations on this tensor so that
            ``backward()`` can compute ``self.grad``.

    Example:
        >>> w = Tensor(np.ones(3, np.float32), requires_grad=True)
        >>> (w * w).sum().backward()
        >>> w.grad.numpy()
        array([2., 2., 2.], dtype=float32)
    """

    __slots__ = ("_data", "_version", "requires_grad", "grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # make `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data: ArrayLike, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.generic):  # NumPy reductions return scalars: keep their dtype
            data = np.asarray(data)
        elif backend.device_of(data) == "cpu" and not isinstance(data, np.ndarray):
            data = np.asarray(data, dtype=_default_dtype(data))
        if requires_grad and data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {data.dtype}"
            )
        self._data = data
        self._version = 0  # counts assignments to .data (see ``data``)
        self.requires_grad = bool(requires_grad)
        self.grad: Tensor | None = None
        self._ctx: Function | None = None  # the Function that produced this tensor

    @property
    def data(self) -> Any:
        """The array (NumPy or CuPy) holding the values."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        # ``t.data = ...`` and ``t.data -= ...`` (an optimizer step) count as a new version: an op
        # that kept this array for backward can then tell that its gradient would be wrong
        self._data = value
        self._version += 1

    # -- what it is
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The Function that produced this tensor (None for leaves)."""
        return self._ctx

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[dim]

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = "" if self.dtype == np.float32 else f", dtype={self.dtype}"
        extra += "" if self.device == "cpu" else f", device='{self.device}'"
        if self._ctx is not None:
            extra += f", grad_fn=<{type(self._ctx).__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # -- getting values out, moving, detaching
    def numpy(self) -> np.ndarray:
        """A NumPy array with this tensor's values (a host copy on GPU)."""
        return backend.to_numpy(self.data)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def to(self, device: str) -> Tensor:
        """This tensor on ``device`` ('cpu' or 'cuda'); differentiable."""
        device = backend.check_device(device)
        if device == self.device:
            return self
        from minires.ops.shape import ToDevice

        return ToDevice.apply(self, device=device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut off from the graph."""
        return Tensor(self.data)

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype`` (not differentiable)."""
        return Tensor(self.data.astype(dtype))

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {self.dtype}")
        self.requires_grad = flag
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this intermediate tensor during backward."""
        if self._ctx is not None:
            self._ctx.retained = self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``grad`` to None, like PyTorch)."""
        self.grad = None

    # -- reverse-mode autodiff
    def backward(self, gradient: Tensor | ArrayLike | None = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            gradient: the upstream gradient, same shape as ``self``.  May be
                omitted only when ``self`` holds a single value (a loss).
            retain_graph: keep the graph's buffers so backward can run again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of its inputs "
                "had requires_grad=True, or it was computed under no_grad()"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a single-element tensor (a loss), "
                    f"got shape {self.shape}; pass gradient=... of that shape"
                )
            seed = self._xp.ones_like(self.data)
        else:
            seed = as_array(gradient)
            if hasattr(seed, "shape") and backend.device_of(seed) != self.device:
                raise RuntimeError(f"backward(): gradient is on {backend.device_of(seed)} but the tensor is on "
                                   f"{self.device}; move it with .to('{self.device}') first")
            seed = self._xp.asarray(seed, dtype=self.dtype)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward(): gradient has shape {tuple(seed.shape)}, expected {self.shape}"
                )
        _run_backward(self, seed, retain_graph)

    @property
    def _xp(self) -> Any:
        return backend.get_array_module(self.data)

    # -- operators: the maths lives in minires.ops, one Function per op
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __lt__(self, other: Any) -> Tensor:
        return ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.ge(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.ne(self, other)

    __hash__ = object.__hash__  # tensors are identified by object, as in PyTorch

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all() on .numpy()"
            )
        return bool(self.item())

    # -- methods that mirror the functional ops
    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    def transpose(self, *axes: Any) -> Tensor:
        return ops.transpose(self, *axes)

    def permute(self, *axes: Any) -> Tensor:
        return ops.permute(self, *axes)

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def argmax(self, axis: int | None = None) -> Tensor:
        return Tensor(self.data.argmax(axis=axis))


# ---------------------------------------------------------------- Function


class Function:
    """One differentiable operation, forward and backward side by side.

    Subclasses implement two methods on raw arrays:

    * ``forward(self, *arrays, **params) -> array``: compute the output and
      store in ``self.saved`` only what backward will need.
    * ``backward(self, grad) -> tuple``: given d(loss)/d(output), return
      d(loss)/d(input) for each array input (``None`` where not needed;
      ``self.needs_grad[i]`` says which inputs want one).

    Users call ``SomeFunction.apply(tensor, ..., param=...)``, which runs
    forward and, when gradients are being recorded, links the output to this
    Function so backward can find it.

    The graph links Functions, not tensors: ``parents[i]`` is the Function
    that made input i, or the input itself when it is a leaf that wants a
    gradient.  So an activation stays in memory only if some Function chose
    to keep it in ``saved`` -- what an op keeps for backward is visible in
    its ``forward``.

    What ``apply`` sets on each op (the last five only when it records a graph):

        needs_grad     per input given: whether it wants a gradient
        saved          what ``forward`` kept for ``backward`` (None until it keeps something)
        parents        per input: the Function that made it, the leaf itself, or None
                       (None for the whole tuple once ``release`` used the graph up)
        input_shapes   per input: its shape, for checking the gradients backward returns
        retained       the output, when ``retain_grad()`` asked for its gradient
        module         the innermost Module whose forward ran the op (graph drawings, ``repr``)
        kept           (weak reference, version) of each input whose memory ``saved`` holds,
                       so that backward can refuse a kept input changed in place
    """

    needs_grad: tuple[bool, ...]
    saved: Any
    parents: tuple[Function | Tensor | None, ...] | None
    input_shapes: tuple[tuple[int, ...], ...]
    retained: Tensor | None
    module: Any = None  # a minires.nn.Module, or None outside any (tensor.py sits below nn)
    kept: tuple[tuple[weakref.ref[Tensor], int], ...] = ()

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        device = inputs[0].device
        for t in inputs[1:]:
            if t.device != device:
                raise RuntimeError(
                    f"{cls.__name__}: inputs are on different devices ({device} and {t.device}); "
                    f"move them with .to('{device}') first"
                )
        fn = cls()
        fn.needs_grad = tuple(t.requires_grad for t in inputs)
        fn.saved = None
        out = Tensor(fn.forward(*(t.data for t in inputs), **params))
        if _grad_enabled and any(fn.needs_grad):
            fn.parents = tuple(
                t._ctx if t._ctx is not None else (t if t.requires_grad else None) for t in inputs
            )
            fn.input_shapes = tuple(t.shape for t in inputs)
            fn.retained = None
            fn.module = current_module()
            fn.kept = _kept_inputs(inputs, fn.saved)
            out._ctx = fn
            out.requires_grad = True
        return out

    def forward(self, *arrays: Any, **params: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        """E.g. ``<Conv2dFast backward, in Conv2d>``: the op, and the layer that ran it."""
        where = f", in {type(self.module).__name__}" if self.module is not None else ""
        return f"<{type(self).__name__} backward{where}>"

    def release(self) -> None:
        """Drop saved buffers and graph links once backward has used them."""
        self.saved = None
        self.parents = None  # marks the graph as used up
        self.retained = None
        self.kept = ()


# ---------------------------------------------------------------- backward

Node = Any  # a Function, or a leaf Tensor that wants a gradient


def _topological_order(root: Node) -> list[Node]:
    """Graph nodes that lead to ``root``, each after all of its parents.

    Depth-first search with an explicit stack: a node is emitted once all
    of its parents have been emitted.  Each node is visited once, so the
    cost is linear in the size of the graph.
    """
    order: list[Node] = []
    visited: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if isinstance(node, Function):
            if node.parents is None:
                raise RuntimeError(
                    "trying to backward through the graph a second time: its buffers were "
                    "freed by the first backward(); pass retain_graph=True to the first call"
                )
            for parent in node.parents:
                if parent is not None and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _arrays_in(saved: Any) -> list[Any]:
    """The arrays an op stored in ``saved`` (a tuple, list or dict of them, or one)."""
    items = saved.values() if isinstance(saved, dict) else saved if isinstance(saved, (tuple, list)) else (saved,)
    return [a for a in items if hasattr(a, "shape") and hasattr(a, "dtype")]


def _kept_inputs(inputs: Sequence[Tensor], saved: Any) -> tuple[tuple[Any, int], ...]:
    """(weak reference, version) of each input whose memory the op kept for backward."""
    arrays = _arrays_in(saved)
    if not arrays:
        return ()
    kept = []
    for t in inputs:
        xp = backend.get_array_module(t.data)
        # only arrays of the input's own kind can share its memory (CuPy's may_share_memory
        # takes device arrays only: a NumPy scalar or index array kept beside them is refused)
        own = [a for a in arrays if isinstance(a, xp.ndarray)]
        if any(a is t.data or xp.may_share_memory(a, t.data) for a in own):
            kept.append((weakref.ref(t), t._version))
    return tuple(kept)


def _check_versions(node: Function) -> None:
    """Refuse to backpropagate through an op whose kept input was changed after its forward."""
    for ref, version in node.kept:
        t = ref()
        if t is not None and t._version != version:
            raise RuntimeError(
                f"{type(node).__name__}: a tensor of shape {t.shape} that this op kept for backward was "
                f"modified in place after the forward pass (version {version} -> {t._version}), so its "
                f"gradient would be wrong; call backward() before changing it (an optimizer step, "
                f"'x.data -= ...'), or compute with a copy"
            )


def _run_backward(root: Tensor, seed: Any, retain_graph: bool) -> None:
    """Propagate ``seed`` = d(loss)/d(root) back to every leaf."""
    start = root._ctx if root._ctx is not None else root
    grads: dict[int, Any] = {id(start): seed}
    for node in reversed(_topological_order(start)):
        grad = grads.pop(id(node), None)
        if grad is None:  # no differentiable path from this node to root
            continue
        if isinstance(node, Tensor):  # a leaf: the end of the road
            _accumulate_grad(node, grad)
            continue
        if node.retained is not None:
            _accumulate_grad(node.retained, grad)
        _check_versions(node)
        input_grads = node.backward(grad)
        for parent, g, shape in zip(node.parents, input_grads, node.input_shapes):
            if parent is None or g is None:
                continue
            if g.shape != shape:  # a bug in an op, never the user's fault
                raise RuntimeError(
                    f"{type(node).__name__}.backward returned a gradient of shape "
                    f"{tuple(g.shape)} for an input of shape {shape}"
                )
            key = id(parent)
            # out of place: an op may hand the same array to two inputs
            grads[key] = g if key not in grads else grads[key] + g
        if not retain_graph:
            node.release()


def _accumulate_grad(tensor: Tensor, grad: Any) -> None:
    if grad.dtype != tensor.dtype:
        grad = grad.astype(tensor.dtype)
    if tensor.grad is None:
        # a copy: ``grad`` may be a read-only broadcast view, or an array that an op
        # or the caller still holds
        tensor.grad = Tensor(grad.copy())
    else:
        tensor.grad = Tensor(tensor.grad.data + grad)


# ---------------------------------------------------------------- constructors


def tensor(
    data: ArrayLike, requires_grad: bool = False, device: str | None = None, dtype: Any = None
) -> Tensor:
    """Make a tensor from Python data or an array (always a copy).

    Python floats become float32 (NumPy arrays keep their dtype unless
    ``dtype`` is given).

    Example:
        >>> minires.tensor([[1.0, 2.0]], requires_grad=True).shape
        (1, 2)
    """
    if isinstance(data, Tensor):
        data = data.data
    device = backend.check_device(device) if device is not None else backend.device_of(data)
    if backend.device_of(data) == "cpu":
        if dtype is None and not isinstance(data, np.ndarray):
            dtype = _default_dtype(data)
        array = np.array(data, dtype=dtype)
    else:
        array = data.astype(dtype) if dtype is not None else data.copy()
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def _shape_args(shape: Sequence[Any]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _filled(fill: float, shape: Sequence[Any], dtype: Any, device: str | None, requires_grad: bool) -> Tensor:
    xp = backend.xp_for(backend.check_device(device))
    return Tensor(xp.full(_shape_args(shape), fill, dtype=dtype), requires_grad=requires_grad)


def zeros(*shape: Any, dtype: Any = np.float32, device: str | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, e.g. ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _filled(0, shape, dtype, device, requires_grad)


def ones(*shape: Any, dtype: Any = np.float32, device: str | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones, e.g. ``ones(2, 3)``."""
    return _filled(1, shape, dtype, device, requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(t._xp.zeros_like(t.data), requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(t._xp.ones_like(t.data), requires_grad=requires_grad)


# The operator methods above call into minires.ops, which itself builds on
# Tensor and Function; importing it last breaks the circle.
from minires import ops  # noqa: E402
