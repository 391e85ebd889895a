"""Stochastic gradient descent with momentum and weight decay (PyTorch's rule).

For each parameter p with gradient g, in this order:

    g   ← g + weight_decay · p                     (L2 regularisation)
    buf ← g                     on the first step
    buf ← momentum · buf + (1 − dampening) · g      afterwards
    g   ← g + momentum · buf    if nesterov, else  g ← buf
    p   ← p − lr · g

Parameters can be split into groups with their own settings, e.g. to keep
weight decay off batch-norm γ/β and biases (see ``split_weight_decay``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minires import backend
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
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"SGD: {name} must be >= 0, got {value}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov, dampening=dampening)
        params = list(params)
        if not params:
            raise ValueError("SGD: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            for p in group["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError("SGD: every parameter must be a Tensor with requires_grad=True")
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}  # per parameter (by position): momentum buffers

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets it to None, like PyTorch)."""
        for p in self._params():
            p.grad = None

    @no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        index = 0
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                key, index = index, index + 1
                if p.grad is None:
                    continue
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


def split_weight_decay(named_parameters: Iterable[tuple[str, Tensor]], weight_decay: float) -> list[dict[str, Any]]:
    """Two parameter groups: weights decayed, and 1-D tensors (BN γ/β, biases) not.

    Example:
        >>> SGD(split_weight_decay(model.named_parameters(), 1e-4), lr=0.1, momentum=0.9)
    """
    decay, no_decay = [], []
    for _, p in named_parameters:
        (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
