"""Exercise 1 — your own differentiable op: softplus(x) = log(1 + exp(x)).

Every op in minires is a ``Function`` with a ``forward`` on raw arrays and a
``backward`` that turns d(loss)/d(output) into d(loss)/d(input).  Write both for
softplus, a smooth ReLU:

    forward:  y = log(1 + exp(x))          (use np.logaddexp(0, x): it never overflows)
    backward: dy/dx = 1 / (1 + exp(-x))     (the sigmoid), so d(loss)/dx = grad · sigmoid(x)

Keep in ``self.saved`` what backward needs.  Check: ``python -m minires.teaching check ex1_custom_function.py``.
"""

import numpy as np

from minires import Function


class Softplus(Function):
    def forward(self, x):
        ### BEGIN SOLUTION
        self.saved = x
        return np.logaddexp(0, x)
        ### END SOLUTION

    def backward(self, grad):
        ### BEGIN SOLUTION
        x = self.saved
        return (grad / (1 + np.exp(-x)),)
        ### END SOLUTION
