"""minires: a small deep-learning framework on NumPy/CuPy that rebuilds ResNet.

The layers, from the top down (each imports only the ones below it):

    models, data, train, experiments    the paper's networks and experiments
    nn, optim                           Module, layers, functional ops, SGD
    ops, tensor                         Tensor, Function, autograd
    backend, parallel                   NumPy or CuPy arrays; loops split over CPU cores
"""

import os

# After each matrix product OpenBLAS keeps its idle threads spinning for about 2^28 cycles.
# Between products minires runs single-threaded NumPy work (batch norm, ReLU), and
# on a 2-core machine that spinning can take the second core's share of a shared physical core
# and halve the step time's speed for seconds at a time.  2^4 cycles (OpenBLAS's minimum) makes
# idle threads sleep at once; docs/performance.md has the measurements.  OpenBLAS reads this
# when NumPy is first imported, so it only applies if minires is imported before NumPy, and a
# value set by the user always wins.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

# the subpackages a PyTorch user reaches for as attributes (minires.nn, minires.optim, ...)
from minires import checkpoint, cuda, data, models, nn, optim, train  # noqa: E402
from minires.gradcheck import GradcheckError, directional_gradcheck, gradcheck
from minires.models.summary import summary
from minires.nn.functional.conv import conv_algorithm
from minires.ops import (
    cat,
    concatenate,
    exp,
    flatten,
    log,
    matmul,
    max,
    mean,
    pad,
    permute,
    relu,
    reshape,
    sigmoid,
    stack,
    sum,
    tanh,
    transpose,
)
from minires.parallel import get_num_threads, set_num_threads
from minires.random import get_rng_state, manual_seed, rand, randn, set_rng_state
from minires.tensor import (
    Function,
    Tensor,
    is_grad_enabled,
    no_grad,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)

__version__ = "0.2.0"

__all__ = [
    "Tensor", "Function", "tensor", "zeros", "ones", "zeros_like", "ones_like", "randn", "rand",
    "manual_seed", "get_rng_state", "set_rng_state", "no_grad", "is_grad_enabled",
    "gradcheck", "directional_gradcheck", "GradcheckError", "cuda",
    "exp", "log", "relu", "sigmoid", "tanh", "sum", "mean", "max", "matmul", "reshape",
    "transpose", "permute", "flatten", "pad", "concatenate", "cat", "stack", "summary",
    "get_num_threads", "set_num_threads", "conv_algorithm", "__version__",
    "checkpoint", "data", "models", "nn", "optim", "train",
]
