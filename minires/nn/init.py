"""Weight initialisation, in place, drawing from minires's seeded generator.

``kaiming_normal_`` is the initialisation of He et al. (2015, "Delving Deep
into Rectifiers"), which the ResNet paper uses: weights ~ N(0, 2 / fan) for
ReLU networks, so the variance of activations neither grows nor shrinks
from layer to layer.
"""

from __future__ import annotations

import math

from minires import backend
from minires.random import generator
from minires.tensor import Tensor


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """Inputs and outputs per unit: (C·kh·kw, F·kh·kw) for a conv weight (F, C, kh, kw)."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in/out needs a weight with at least 2 dimensions, got shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activation variance constant through ``nonlinearity``."""
    if nonlinearity in ("linear", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")


def _fill(tensor: Tensor, values: object) -> Tensor:
    tensor.data = backend.to_device(values, tensor.device).astype(tensor.dtype)  # type: ignore[attr-defined]
    return tensor


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu") -> Tensor:
    """Fill with N(0, std²), std = gain / √fan (He et al. 2015)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _fill(tensor, generator().normal(0.0, std, tensor.shape))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "relu") -> Tensor:
    """Fill with U(−b, b), b = gain·√(3 / fan): the uniform twin of ``kaiming_normal_``."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return _fill(tensor, generator().uniform(-bound, bound, tensor.shape))


def uniform_(tensor: Tensor, low: float = 0.0, high: float = 1.0) -> Tensor:
    return _fill(tensor, generator().uniform(low, high, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, value: float) -> Tensor:
    tensor.data = tensor._xp.full(tensor.shape, value, dtype=tensor.dtype)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def default_layer_init_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default for Linear and Conv2d: U(−1/√fan_in, 1/√fan_in) for weight and bias."""
    kaiming_uniform_(weight, a=math.sqrt(5), nonlinearity="leaky_relu")
    if bias is not None:
        bound = 1 / math.sqrt(fan_in_and_fan_out(weight)[0])
        uniform_(bias, -bound, bound)
