"""``minires.cuda.is_available()``, as in PyTorch."""

from minires.backend import cuda_available


def is_available() -> bool:
    """True when CuPy is installed and a CUDA GPU can be used."""
    return cuda_available()
