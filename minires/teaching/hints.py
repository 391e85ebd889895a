"""Hints in three levels for each exercise: a nudge, the method, the formula.

    python -m minires.teaching hint ex4              # level 1: where to look
    python -m minires.teaching hint ex4 --level 3    # the formula itself

A student who asks for level 3 gets what the exercise text no longer gives away: the
exercises ask for the derivation, the hints are there for whoever is stuck.
"""

from __future__ import annotations

from minires.errors import InputError
from minires.teaching.checks import CHECKS

HINTS: dict[str, tuple[str, str, str]] = {
    "ex1_custom_function": (
        "backward gets d(loss)/d(output); multiply it by the derivative of softplus at the input.",
        "the derivative of log(1 + e^x) is e^x / (1 + e^x): keep x (or the sigmoid of x) in self.saved.",
        "forward: np.logaddexp(0, x); backward: return (grad / (1 + np.exp(-x)),)",
    ),
    "ex2_im2col": (
        "pad once, then loop over the k×k kernel offsets (i, j), not over pixels.",
        "for offset (i, j) the strided slice xp[:, :, i : i + s·OH : s, j : j + s·OW : s] is every window's "
        "(i, j) pixel at once; col2im adds each such slice back with +=.",
        "cols[c, i, j, n, oh, ow] = xp[n, c, i + s·oh, j + s·ow]; build it as a (C, k, k, N, OH, OW) array and "
        "reshape to (C·k·k, N·OH·OW).",
    ),
    "ex3_conv_backward": (
        "the forward is one matrix product, out = W2 @ cols: its backward is two more products.",
        "for A = B @ C: dB = dA @ Cᵀ and dC = Bᵀ @ dA; then col2im carries d(cols) back to the pixels.",
        "g = grad_out as (F, N·OH·OW); grad_W = (g @ colsᵀ).reshape(W.shape); grad_x = col2im(W2ᵀ @ g).",
    ),
    "ex4_batchnorm_backward": (
        "x reaches the loss three ways: directly through x̂, through the batch mean μ, and through the "
        "batch variance σ²; add the three paths.",
        "write dL/dx̂ = γ·g, then dL/dσ² = Σ dL/dx̂·(x − μ)·(−½)(σ² + ε)^(−3/2) and dL/dμ = −Σ dL/dx̂ / √(σ² + ε) "
        "(the variance term's part vanishes: Σ (x − μ) = 0); finally dx = dL/dx̂ / √(σ² + ε) + dL/dσ²·2(x − μ)/m "
        "+ dL/dμ / m.",
        "dβ = Σ g, dγ = Σ g·x̂, dx = γ / √(σ² + ε) · (g − dβ/m − x̂·dγ/m), sums per channel over (N, H, W).",
    ),
    "ex5_basic_block": (
        "build the layers in __init__ and only call them in forward; the shortcut adds x, reshaped if needed.",
        "option A: when the stride is 2, take x[:, :, ::2, ::2] and pad the channel axis with zeros up to "
        "the block's width (minires.pad).",
        "out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), convolutions 3×3, padding 1, bias=False.",
    ),
    "ex6_sgd": (
        "three lines, in the order of the exercise text; the first step has no buffer yet.",
        "weight decay changes the gradient before it enters the buffer; return new arrays, never modify "
        "param, grad or buf in place (no +=).",
        "g = grad + λ·param; new_buf = g.copy() if buf is None else μ·buf + g; return param − η·new_buf, new_buf",
    ),
    "ex7_lr_schedule": (
        "count how many milestones the iteration has reached.",
        "an iteration equal to a milestone already uses the divided rate (>=, not >).",
        "return base_lr · gamma ** sum(1 for m in milestones if iteration >= m)",
    ),
    "ex8_winograd": (
        "transform the filter once, the input tile once, multiply elementwise, transform back.",
        "in 1-D: m0 = (d0 − d2)·g0, m1 = (d1 + d2)·(g0 + g1 + g2)/2, m2 = (d2 − d1)·(g0 − g1 + g2)/2, "
        "m3 = (d1 − d3)·g2; in 2-D apply the same matrices on both sides.",
        "Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, with the F(2×2, 3×3) matrices Bᵀ, G, Aᵀ of the exercise text.",
    ),
    "ex9_layer_responses": (
        "a forward hook on each BatchNorm2d that follows a 3×3 convolution records its output.",
        "evaluation mode (model.eval()), no gradients, every hook removed before returning; the 1×1 "
        "projection shortcut's batch norm is not a layer response.",
        "a layer's response = the std of all that layer's output values over the images (one float per layer); "
        "ranked(stds) = sorted(stds, reverse=True).",
    ),
    "ex10_gradient_norms": (
        "a forward hook on each 3×3 Conv2d can hold on to its output; backward then fills the gradients.",
        "in the hook call output.retain_grad() (an intermediate tensor forgets its gradient otherwise); after "
        "one backward read out.grad and conv.weight.grad, and remove the hooks.",
        "[float(np.linalg.norm(o.grad.numpy())) for o in outputs], "
        "[float(np.linalg.norm(c.weight.grad.numpy())) for c in convs]",
    ),
}


def hint(exercise: str, level: int = 1) -> str:
    """The hint of ``level`` (1: a nudge, 2: the method, 3: the formula) for ``exercise`` ("ex4" or a file name)."""
    names = [name for name in CHECKS if name == exercise or name.split("_")[0] == exercise.split("_")[0]]
    if not names:
        raise InputError(f"unknown exercise {exercise!r}: expected one of {', '.join(n.split('_')[0] for n in CHECKS)}")
    if level not in (1, 2, 3):
        raise InputError(f"hint level must be 1 (a nudge), 2 (the method) or 3 (the formula), got {level!r}")
    return f"{names[0]}, hint {level} of 3: {HINTS[names[0]][level - 1]}"
