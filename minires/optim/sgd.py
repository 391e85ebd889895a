"""Stochastic gradient descent with momentum and weight decay (PyTorch's rule).

For each parameter p with gradient g, in this order:

    g   ← g + weight_decay · p                     (L2 regularisation)
    buf ← g                     on the first step
    buf ← momentum · buf + (1 − dampening) · g      afterwards
    g   ← g + momentum · buf    if nesterov, else  g ← buf
    p   ← p − lr · g

Parameters can be split into groups with their own settings, e.g. to keep
weight decay off batch-norm γ/β and biases (see ``split_weight_decay``).

Fast path: the rule above is applied to each parameter in turn by
``_update_one`` -- read it there.  A ResNet-20 has 59 parameter tensors, so
that is some 400 small array operations per step, and on a GPU each is a
kernel launch that costs more than its arithmetic.  So when every parameter
of a group has a gradient (and all share a device and dtype), ``step``
applies the same rule once to the whole group, as PyTorch's ``foreach`` and
``fused`` optimizers do: the group's parameters and momentum buffers are
laid end to end in one flat array each (each parameter's ``.data`` becomes
a view into it), its gradients are gathered into one, and the update is a
handful of operations on the flat arrays.  Every element goes through the
same arithmetic as on the per-parameter path, so both give the same bits.
Anything unusual -- a missing gradient, a gradient of another dtype, a
parameter listed twice or in two groups, momentum buffers for only some
parameters -- takes the per-parameter path.  (So after the first step a
parameter's ``.data`` is a new array: an array you took from it before is
no longer updated.  Read ``p.data`` again, as the state dict does.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from minires import backend
from minires.backend import get_array_module
from minires.tensor import Tensor, no_grad

DEFAULTS = ("lr", "momentum", "weight_decay", "nesterov", "dampening")


class SGD:
    """SGD over parameters or parameter groups.

    Args:
        params: an iterable of Tensors, or of dicts ``{"params": [...], **overrides}``.
        lr: learning rate.
        momentum, dampening, nesterov: momentum settings (0 = plain SGD).
        weight_decay: L2 penalty coefficient.

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(
        self, params: Iterable[Any], lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
        nesterov: bool = False, dampening: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov, dampening=dampening)
        params = list(params)
        if not params:
            raise ValueError("SGD: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            _check_settings(group)
            for p in group["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError("SGD: every parameter must be a Tensor with requires_grad=True")
                if not p.is_leaf:  # the result of an op: step() would change a copy nobody reads
                    raise ValueError(f"SGD: every parameter must be a leaf tensor (created, not computed), got one "
                                     f"made by {type(p.grad_fn).__name__}; pass the tensors the model owns")
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}  # per parameter (by position): momentum buffers
        self._flat: dict[int, _FlatGroup] = {}  # per group (by position): its flat arrays, once it has them

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets it to None, like PyTorch)."""
        for p in self._params():
            p.grad = None

    @no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        index, seen = 0, set()
        for number, group in enumerate(self.param_groups):
            keys = list(range(index, index + len(group["params"])))
            index += len(keys)
            ids = {id(p) for p in group["params"]}
            buffers = [self.state.get(k, {}).get("momentum_buffer") for k in keys]
            complete = all(b is None for b in buffers) or all(b is not None for b in buffers)
            if _flattenable(group["params"]) and complete and len(ids) == len(keys) and not ids & seen:
                self._update_flat(number, group, keys)
            else:
                for p, key in zip(group["params"], keys):
                    self._update_one(p, key, group)
            seen |= ids

    def _update_one(self, p: Tensor, key: int, group: dict[str, Any]) -> None:
        """The textbook rule (see the module docstring) for one parameter."""
        if p.grad is None:
            return
        lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
        g = p.grad.data
        if decay:
            g = g + decay * p.data
        if momentum:
            state = self.state.setdefault(key, {})
            buf = state.get("momentum_buffer")
            if buf is not None and backend.device_of(buf) != p.device:  # the model moved since
                buf = state["momentum_buffer"] = backend.to_device(buf, p.device)
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= lr * g

    def _update_flat(self, number: int, group: dict[str, Any], keys: list[int]) -> None:
        """The same rule for a whole group at once, on its flat arrays."""
        params = group["params"]
        lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
        flat = self._flat.get(number)
        if flat is None or not flat.still_holds(params, self.state, keys):
            flat = self._flat[number] = _FlatGroup(params, self.state, keys)
        xp = get_array_module(flat.params)
        g = xp.concatenate([p.grad.data.reshape(-1) for p in params])  # a new array: updated in place below
        if decay:
            g += decay * flat.params
        if momentum:
            if flat.momentum is None:
                flat.set_momentum(g.copy(), self.state, keys)
            else:
                flat.momentum *= momentum
                flat.momentum += (1 - group["dampening"]) * g
            g = g + momentum * flat.momentum if group["nesterov"] else flat.momentum
        flat.params -= lr * g
        for p in params:  # each .data changed in place: ops that kept it for backward must know
            p._version += 1

    def state_dict(self) -> dict[str, Any]:
        """Settings and momentum buffers, parameters referred to by position."""
        groups, index = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            groups.append({**{k: group[k] for k in DEFAULTS}, "params": list(range(index, index + count))})
            index += count
        state = {k: {"momentum_buffer": backend.to_numpy(v["momentum_buffer"]).copy()}
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` saved (for the same parameters, in the same order)."""
        groups = state_dict["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(
                "SGD.load_state_dict: the saved parameter groups "
                f"{[len(g['params']) for g in groups]} do not match this optimizer's "
                f"{[len(g['params']) for g in self.param_groups]}"
            )
        for group, saved in zip(self.param_groups, groups):
            group.update({k: saved[k] for k in DEFAULTS})
        params = self._params()
        self.state = {}
        for key, value in state_dict["state"].items():
            p = params[int(key)]
            buf = value["momentum_buffer"]
            buf = buf.data if isinstance(buf, Tensor) else buf
            self.state[int(key)] = {"momentum_buffer": backend.to_device(buf, p.device).astype(p.dtype)}

    def __repr__(self) -> str:
        lines = [f"  group {i}: {len(g['params'])} tensors, " + ", ".join(f"{k}={g[k]}" for k in DEFAULTS)
                 for i, g in enumerate(self.param_groups)]
        return "SGD(\n" + "\n".join(lines) + "\n)"


def _check_settings(group: dict[str, Any]) -> None:
    """Refuse settings that would silently wreck training: NaN, negative, or momentum of 1 or more."""
    for name, high in (("lr", math.inf), ("momentum", 1.0), ("weight_decay", math.inf), ("dampening", 1.0)):
        value = group[name]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not (ok and 0 <= value and (value < high if name == "momentum" else value <= high)):
            bound = {"momentum": "in [0, 1)", "dampening": "in [0, 1]"}.get(name, ">= 0 and finite")
            raise ValueError(f"SGD: {name} must be {bound}, got {value!r}")
    if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
        raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")


def _flattenable(params: list[Tensor]) -> bool:
    """Whether a group can take the flat path: all of one device and dtype, each with a gradient of that dtype."""
    if not params:
        return False
    first = params[0].data
    return all(p.grad is not None and type(p.data) is type(first) and p.dtype == first.dtype
               and type(p.grad.data) is type(first) and p.grad.dtype == first.dtype for p in params)


class _FlatGroup:
    """A group's parameters (and momentum buffers) laid end to end in one array each.

    Each parameter's ``.data`` is a view into ``params``, each momentum buffer in
    ``SGD.state`` a view into ``momentum``, so an update of the flat arrays is an
    update of every parameter.  Built again whenever something replaced a
    parameter's array or a buffer (``Module.to``, ``load_state_dict``).
    """

    def __init__(self, params: list[Tensor], state: dict[int, dict[str, Any]], keys: list[int]) -> None:
        xp = get_array_module(params[0].data)
        self.params = xp.concatenate([p.data.reshape(-1) for p in params])
        self.bounds = [0]
        for p in params:
            self.bounds.append(self.bounds[-1] + p.data.size)
        self.views = self._views(self.params, [p.shape for p in params])
        for p, view in zip(params, self.views):
            p.data = view
        self.momentum: Any = None
        self.momentum_views: list[Any] = []
        buffers = [state.get(k, {}).get("momentum_buffer") for k in keys]
        if all(b is not None for b in buffers):  # carried over from the per-parameter path, or loaded
            moved = [backend.to_device(b, params[0].device).reshape(-1) for b in buffers]
            self.set_momentum(xp.concatenate(moved).astype(self.params.dtype, copy=False), state, keys)

    def _views(self, flat: Any, shapes: list[tuple[int, ...]]) -> list[Any]:
        return [flat[a:b].reshape(shape) for a, b, shape in zip(self.bounds, self.bounds[1:], shapes)]

    def set_momentum(self, flat: Any, state: dict[int, dict[str, Any]], keys: list[int]) -> None:
        self.momentum = flat
        self.momentum_views = self._views(flat, [v.shape for v in self.views])
        for key, view in zip(keys, self.momentum_views):
            state.setdefault(key, {})["momentum_buffer"] = view

    def still_holds(self, params: list[Tensor], state: dict[int, dict[str, Any]], keys: list[int]) -> bool:
        """True while every parameter's array and every buffer is still a view of the flat arrays."""
        if len(params) != len(self.views) or any(p.data is not view for p, view in zip(params, self.views)):
            return False
        buffers = [state.get(k, {}).get("momentum_buffer") for k in keys]
        if self.momentum is None:
            return all(b is None for b in buffers)
        return all(b is view for b, view in zip(buffers, self.momentum_views))


def split_weight_decay(named_parameters: Iterable[tuple[str, Tensor]], weight_decay: float) -> list[dict[str, Any]]:
    """Two parameter groups: weights decayed, and 1-D tensors (BN γ/β, biases) not.

    Example:
        >>> SGD(split_weight_decay(model.named_parameters(), 1e-4), lr=0.1, momentum=0.9)
    """
    decay, no_decay = [], []
    for _, p in named_parameters:
        (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
