"""Module: the base class of every layer and network, as in PyTorch.

A Module owns Parameters (tensors the optimizer trains), buffers (state
such as batch-norm running statistics: saved, moved, but not trained) and
child Modules.  Assigning one as an attribute registers it, so
``parameters()``, ``state_dict()``, ``to()`` and ``train()`` reach the
whole tree without any bookkeeping in the layers themselves.
"""

from __future__ import annotations

import difflib
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from minires import backend
from minires.errors import InputError
from minires.tensor import Tensor, module_scope


class Parameter(Tensor):
    """A Tensor that is a trainable parameter of a Module (requires grad)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


Hook = Callable[["Module", tuple, Any], Any]
_hook_ids = itertools.count()  # unique keys, so a handle removes exactly its own hook


class HookHandle:
    """Returned by ``register_forward_hook``; call ``remove()`` to detach the hook."""

    def __init__(self, hooks: dict[int, Hook], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class StateDictError(InputError):
    """A state dict does not fit the module: keys missing or unexpected, or shapes that differ."""


class UnusableState(StateDictError):
    """A state dict fits the module, but a value in it cannot be used: NaN or infinite, or not a real number."""


def check_state_value(name: str, array: Any, target: Tensor) -> None:
    """Refuse a value that loading would silently turn into nonsense.

    A float parameter or buffer takes real floating-point values only (a cast
    would turn a bool into 0/1, drop a complex number's imaginary part, read a
    datetime as a float), and only finite ones (NaN or infinity: the weights of
    a diverged run).  An integer buffer (``num_batches_tracked``) takes integers.
    """
    kind, what = np.dtype(array.dtype).kind, "parameter" if isinstance(target, Parameter) else "buffer"
    want = "f" if np.dtype(target.dtype).kind == "f" else "iu"
    if kind not in want:
        expected = "real floating-point numbers" if want == "f" else "integers"
        raise UnusableState(f"load_state_dict: '{name}' holds {np.dtype(array.dtype)} values; expected {expected} "
                            f"for this {target.dtype} {what}")
    if kind == "f":
        bad = int(array.size - backend.get_array_module(array).isfinite(array).sum())
        if bad:
            raise UnusableState(f"load_state_dict: '{name}' holds {bad:,} NaN or infinite value"
                                f"{'s' if bad != 1 else ''} (the weights of a diverged run?); refusing to load them")


def _mismatch(owner: str, missing: list[str], unexpected: list[str], show: int = 3) -> str:
    """One short line on how two sets of state-dict keys differ (counts, a few names, close matches)."""

    def some(keys: list[str]) -> str:
        return ", ".join(repr(k) for k in keys[:show]) + (f", … ({len(keys) - show} more)" if len(keys) > show else "")

    parts = []
    if missing:
        parts.append(f"{len(missing)} missing key{'s' * (len(missing) > 1)} ({some(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected key{'s' * (len(unexpected) > 1)} ({some(unexpected)})")
    hint = ""
    if missing and unexpected:
        close = difflib.get_close_matches(unexpected[0], missing, n=1)
        if close:
            hint = f"; closest model key to {unexpected[0]!r} is {close[0]!r}"
    return f"load_state_dict for {owner}: {'; '.join(parts)}{hint} (were the weights saved from another network?)"


class Module:
    """Base class for layers and networks.

    Subclasses set Parameters, buffers and sub-Modules as attributes in
    ``__init__`` and define ``forward``.  Calling the module runs forward and
    then any forward hooks.

    Example:
        >>> class TwoLayer(Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1, self.fc2 = Linear(4, 8), Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(self.fc1(x).relu())
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration through attribute assignment
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        if name in self._buffers and not isinstance(value, Parameter):
            if value is not None and not isinstance(value, Tensor):
                # PyTorch refuses this too: silently unregistering it would drop it from
                # buffers(), .to() and state_dict()
                raise TypeError(f"{type(self).__name__}.{name} is a buffer; assign a minires Tensor (or None), "
                                f"got {type(value).__name__} -- to change its values, set .data")
            self._buffers[name] = value  # re-assigning a registered buffer
            return
        if name in self._parameters and not isinstance(value, Parameter) and value is not None:
            # PyTorch refuses this too: silently unregistering it would drop it from
            # parameters(), the optimizer and state_dict()
            raise TypeError(f"{type(self).__name__}.{name} is a Parameter; assign a minires.nn.Parameter "
                            f"(or None to remove it), got {type(value).__name__} -- to change its values, "
                            f"set .data")
        if isinstance(value, (Parameter, Module)) and "." in name:  # (only setattr() can pass such a name)
            raise KeyError(f"{type(self).__name__}: a parameter or submodule name may not contain '.', got {name!r}")
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def _check_name(self, method: str, kind: str, name: Any, own: dict[str, Any]) -> None:
        """PyTorch's rules on a registered name: a non-empty str without '.', not another attribute's."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{type(self).__name__}.{method}: a {kind} name must be a non-empty string "
                           f"without '.', got {name!r}")
        taken = [t for t in (self._parameters, self._buffers, self._modules) if t is not own and name in t]
        if taken or (name in self.__dict__ and name not in own):
            raise KeyError(f"{type(self).__name__}.{method}: {name!r} is already an attribute of the module")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a trained parameter, as ``self.name = Parameter(...)`` does (PyTorch's rules on names)."""
        self._check_name("register_parameter", "parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be a minires.nn.Parameter "
                            f"(or None), got {type(param).__name__}")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Add state that is saved and moved with the module but not trained (PyTorch's rules on names)."""
        self._check_name("register_buffer", "buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}.register_buffer: {name!r} must be a minires Tensor (or None), "
                            f"got {type(tensor).__name__}")
        self._buffers[name] = tensor

    def register_forward_hook(self, hook: Hook) -> HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward.

        A hook may return a replacement output.  This is how intermediate
        outputs (e.g. batch-norm responses) are observed without editing
        a model's code.
        """
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return HookHandle(self._forward_hooks, key)

    # -- running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with module_scope(self):  # the ops inside remember this layer (see minires.viz)
            output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:
                output = replaced
        return output

    # -- walking the tree
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, with dotted names."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # iterative, so a 1202-layer network is no problem
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for name, module in self.named_modules():
            for pname, p in module._parameters.items():
                if p is not None and id(p) not in seen:  # a parameter registered as None is kept out
                    seen.add(id(p))
                    yield (f"{name}.{pname}" if name else pname), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for name, module in self.named_modules():
            for bname, b in module._buffers.items():
                if b is not None:  # a buffer set to None is kept out, as in PyTorch
                    yield (f"{name}.{bname}" if name else bname), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    def num_parameters(self) -> int:
        """Total number of trainable values."""
        return sum(int(p.data.size) for p in self.parameters())

    # -- modes, devices, gradients
    def train(self, mode: bool = True) -> Module:
        """Set training mode (batch statistics in BN) on this module and all below."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (running statistics in BN) everywhere below."""
        return self.train(False)

    def to(self, device: str) -> Module:
        """Move every parameter, gradient and buffer to ``device``, in place."""
        device = backend.check_device(device)
        for t in list(self.parameters()) + list(self.buffers()):
            t.data = backend.to_device(t.data, device)
            if t.grad is not None:
                t.grad = Tensor(backend.to_device(t.grad.data, device))
        return self

    def double(self) -> Module:
        """Convert every floating-point parameter and buffer to float64, in place (gradient checks)."""
        return self._cast_floats(np.float64)

    def float(self) -> Module:
        """Convert every floating-point parameter and buffer to float32, in place."""
        return self._cast_floats(np.float32)

    def _cast_floats(self, dtype: Any) -> Module:
        for t in list(self.parameters()) + list(self.buffers()):
            if t.data.dtype.kind == "f":
                t.data = t.data.astype(dtype)
                t.grad = None
        return self

    def zero_grad(self) -> None:
        """Forget accumulated gradients (sets them to None, like PyTorch)."""
        for p in self.parameters():
            p.grad = None

    # -- saving and loading
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Every parameter and buffer by dotted name (tensors sharing the module's data)."""
        state: OrderedDict[str, Tensor] = OrderedDict()
        for name, p in self.named_parameters():
            state[name] = p.detach()
        for name, b in self.named_buffers():
            state[name] = b.detach()
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy values from ``state`` (tensors or arrays) into this module.

        With ``strict=True`` the keys must match exactly.  Shapes must always
        match.  Values are copied to each parameter's device and dtype; a float
        one must hold finite real floats, an integer buffer integers
        (``UnusableState`` otherwise, see ``check_state_value``).
        """
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        if strict:
            missing = [k for k in own if k not in state]
            unexpected = [k for k in state if k not in own]
            if missing or unexpected:
                raise StateDictError(_mismatch(type(self).__name__, missing, unexpected))
        for name, target in own.items():
            if name not in state:
                continue
            value = state[name]
            array = value.data if isinstance(value, Tensor) else value
            if tuple(array.shape) != target.shape:
                raise StateDictError(
                    f"load_state_dict: '{name}' has shape {tuple(array.shape)} in the state dict "
                    f"but {target.shape} in the model"
                )
            check_state_value(name, array, target)
        for name, target in own.items():  # only after every check passed: all or nothing
            if name in state:
                value = state[name]
                array = value.data if isinstance(value, Tensor) else value
                if backend.get_array_module(array) is np:
                    array = np.asarray(array)  # lists and scalars too; CuPy arrays stay as they are
                target.data = backend.to_device(array, target.device).astype(target.dtype, copy=True)

    # -- printing
    def extra_repr(self) -> str:
        """One line of settings shown in ``repr`` (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
