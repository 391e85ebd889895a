"""Exercise 6 — one step of SGD with momentum and weight decay (as PyTorch and the paper's Torch code).

For a parameter p with gradient g, momentum μ, weight decay λ and learning rate η:

    g ← g + λ·p                     (weight decay: the gradient of λ/2·‖p‖²)
    v ← μ·v + g                     (the momentum buffer; v = g at the very first step)
    p ← p − η·v

Return the new parameter and the new buffer (arrays; do not change the inputs in place).
``buf`` is None at the first step.  Check: ``python -m minires.teaching check ex6_sgd.py``.
"""


def sgd_step(param, grad, buf, lr, momentum=0.9, weight_decay=1e-4):
    """Returns (new_param, new_buf)."""
    ### BEGIN SOLUTION
    g = grad + weight_decay * param
    new_buf = g.copy() if buf is None else momentum * buf + g
    return param - lr * new_buf, new_buf
    ### END SOLUTION
