"""Write the teaching notebooks in notebooks/ (without outputs).

    python scripts/make_notebooks.py

Each notebook is a list of cells below: strings starting with "#md" are Markdown, others code.
They run offline on the embedded CIFAR-10 sample in well under a minute each; the test suite
executes every one of them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOKS: dict[str, list[str]] = {}

NOTEBOOKS["01_tensors_and_autograd"] = [
    """#md # 01 · Tensors and autograd

A `minires.Tensor` wraps a NumPy array and remembers which operation made it. Calling
`backward()` walks that record backwards and fills in `.grad`: reverse-mode automatic
differentiation. This notebook builds a small graph, backpropagates through it, and checks the
result two ways: by hand and numerically.""",
    """import minires  # before NumPy/matplotlib: see "Speed on the CPU" in docs/user-guide.md
import numpy as np
import matplotlib.pyplot as plt

minires.manual_seed(0)
x = minires.tensor([1.0, 2.0, 3.0])
w = minires.tensor([0.5, -1.0, 2.0], requires_grad=True)
b = minires.tensor(0.1, requires_grad=True)
y = (w * x).sum() + b          # a tiny linear model
loss = (y - 4.0) ** 2
loss""",
    """#md Each intermediate tensor knows the `Function` that produced it (`grad_fn`); leaves that we
want gradients for have `requires_grad=True`. `minires.viz.graph` draws that record — the path
`backward()` will walk (drawn when Graphviz is installed, else shown as an indented outline):""",
    """from minires import viz
viz.graph(loss)""",
    """print(loss.grad_fn, y.grad_fn, w.is_leaf)
loss.backward()
print("dloss/dw =", w.grad.numpy(), " dloss/db =", b.grad.item())""",
    """#md By hand: loss = (y − 4)², so dloss/dw = 2(y − 4)·x and dloss/db = 2(y − 4).""",
    """residual = (w.numpy() * x.numpy()).sum() + 0.1 - 4.0
print("by hand:  ", 2 * residual * x.numpy(), 2 * residual)
assert np.allclose(w.grad.numpy(), 2 * residual * x.numpy())""",
    """#md ## Gradient checking
`minires.gradcheck` compares every partial derivative from `backward()` with a central finite
difference (f(x+ε) − f(x−ε)) / 2ε, in float64. It is how every op in minires is tested.""",
    """t = minires.randn(4, 3, requires_grad=True)
print(minires.gradcheck(lambda a: (a.tanh() @ a.T).sigmoid().sum(axis=1), t))""",
    """#md ## A function and its derivative
Backpropagating through `sum(f(x))` gives f'(x) at every point at once.""",
    """xs = minires.tensor(np.linspace(-4, 4, 200), requires_grad=True)
f = xs.tanh() * xs.sigmoid()
f.sum().backward()
plt.figure(figsize=(6, 3))
plt.plot(xs.numpy(), f.numpy(), label="f(x) = tanh(x)·σ(x)")
plt.plot(xs.numpy(), xs.grad.numpy(), "--", label="f'(x) from backward()")
plt.legend(); plt.grid(alpha=0.3); plt.show()""",
    """#md ## No graph when you don't need one
Inside `no_grad()` nothing is recorded: this is how evaluation and optimizer updates run.""",
    """with minires.no_grad():
    z = w * 2
print(z.requires_grad, z.grad_fn)""",
    """#md ## Your turn
The exercise after this notebook, in `notebooks/exercises/`
(or the handout your teacher gave you); check your file with:

```bash
python -m minires.teaching check ex1_custom_function.py
python -m minires.teaching hint ex1        # stuck? a nudge (--level 2, 3: more)
```""",
]

NOTEBOOKS["02_im2col_convolution"] = [
    """#md # 02 · Convolution as one matrix product (im2col)

A 3×3 convolution looks at every 3×3 window of its input. `im2col` copies each window into a
column; then the whole convolution is one matrix product of the flattened filters with those
columns. Below we look at the columns, check the result against a naive loop, and apply a
filter to a real CIFAR-10 image.""",
    """import minires  # before NumPy/matplotlib: see "Speed on the CPU" in docs/user-guide.md
import numpy as np
import matplotlib.pyplot as plt
from minires.nn import functional as F
from minires.nn.functional import im2col, col2im

x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)   # N=2 images, C=1, 4x4
cols = im2col(x, kernel_size=3, stride=1, padding=1)
print("input", x.shape, "-> columns", cols.shape, "(C·3·3 rows, N·OH·OW columns)")""",
    """plt.figure(figsize=(8, 2.5))
plt.imshow(cols, cmap="viridis", aspect="auto")
plt.xlabel("output position (n, oh, ow)"); plt.ylabel("kernel offset (c, i, j)")
plt.title("im2col: each column is one 3x3 window"); plt.colorbar(); plt.show()
print("window of image 0 at (0, 0):", cols[:, 0].reshape(3, 3), sep="\\n")""",
    """#md ## The same result as the definition""",
    """def naive_conv(x, w, pad):
    n, c, h, wd = x.shape
    f, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, h + 2 * pad - k + 1, wd + 2 * pad - k + 1), np.float32)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.tensordot(xp[:, :, i:i + k, j:j + k], w, axes=([1, 2, 3], [1, 2, 3]))
    return out

rng = np.random.default_rng(0)
x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
ours = F.conv2d(minires.tensor(x), minires.tensor(w), padding=1).numpy()
print("max difference from the naive loop:", np.abs(ours - naive_conv(x, w, 1)).max())""",
    """#md ## Backward: col2im
The gradient of im2col is col2im: every column is added back onto the window it came from
(overlapping windows add up). The gradient check confirms conv2d's backward.""",
    """xt = minires.tensor(x[:1, :2, :5, :5].astype(np.float64), requires_grad=True)
wt = minires.tensor(w[:2, :2].astype(np.float64), requires_grad=True)
print(minires.gradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1), xt, wt))""",
    """#md ## The textbook algorithm, as minires writes it
`Conv2dIm2col` (in minires/nn/functional/conv.py) is exactly the three lines of the method:
`out = W @ im2col(x)`, `dW = g @ colsᵀ`, `dx = col2im(Wᵀ g)`. `conv_algorithm("im2col")` runs every
convolution that way; below, a whole ResNet-20 forward and backward on both algorithms.""",
    """from minires import models
model = models.resnet20()
batch = minires.tensor(rng.standard_normal((4, 3, 32, 32)).astype(np.float32))
grads = {}
for algorithm in ("im2col", "fast"):
    model.zero_grad()
    with minires.conv_algorithm(algorithm):
        F.cross_entropy(model(batch), [0, 1, 2, 3]).backward()
    grads[algorithm] = model.conv1.weight.grad.numpy()
print("largest difference of the stem's weight gradient:", np.abs(grads["im2col"] - grads["fast"]).max())""",
    """#md ## How conv2d makes it fast: shifted columns
The default algorithm, `Conv2dFast` (in minires/nn/functional/conv_fast.py), computes the same
numbers. For stride 1 it builds the same columns in a different layout. Each image's rows are laid
end to end, each followed by its padding, which also serves as the next row's left padding. Then
row (c, i, j) of the columns is one contiguous slice of the flat input, shifted by i·Wp + j, and
building the columns is a few long copies. The price: some positions are "junk" (their window
hangs over the padding); their products are computed and dropped. conv2d also works a few images
at a time so the columns stay in the CPU's cache (docs/performance.md has the measurements).
Activations inside a network are channel-major, (C, N, H, W) in memory: im2col.py's docstring says why.""",
    """from minires.nn.functional.conv_fast import ShiftedColumns

xc = x.transpose(1, 0, 2, 3)  # (C, N, H, W): channel-major, as activations are inside a network
columns = ShiftedColumns(xc, kernel=(3, 3), padding=(1, 1), role="demo")
start, stop, shifted = next(iter(columns))
print("grid per image:", columns.hp, "x", columns.wp, "-> columns", shifted.shape, "(C·3·3, images·Hp·Wp)")
real = columns.valid(shifted)  # (C·3·3, images, OH, OW): the real output positions only
textbook = im2col(x[start:stop], 3, 1, 1).reshape(-1, stop - start, 8, 8)
print("same columns as im2col at the real positions:", np.array_equal(real, textbook))
print(f"junk positions computed and dropped: {columns.hp * columns.wp / 64 - 1:.0%} extra")""",
    """#md ## Fewer multiplications: Winograd's F(2, 3)
im2col spends 3 multiplications per output of a 3-tap filter. Winograd's minimal filtering
algorithm gets two outputs from four inputs with 4 multiplications instead of 6, by combining
inputs and filter taps first. In 1-D, with inputs d0..d3 and taps g0..g2:

    y0 = d0·g0 + d1·g1 + d2·g2          m0 = (d0 − d2)·g0          m1 = (d1 + d2)·(g0 + g1 + g2)/2
    y1 = d1·g0 + d2·g1 + d3·g2          m3 = (d1 − d3)·g2          m2 = (d2 − d1)·(g0 − g1 + g2)/2
                                         y0 = m0 + m1 + m2          y1 = m1 − m2 − m3

The filter's combinations are computed once per filter, so only the four products m0..m3 remain.
In matrices: y = Aᵀ[(G g) ⊙ (Bᵀ d)].""",
    """d = np.array([1.0, 2.0, -1.0, 3.0]); g = np.array([0.5, -2.0, 1.0])
direct = np.array([d[0:3] @ g, d[1:4] @ g])                   # 6 multiplications
m0, m3 = (d[0] - d[2]) * g[0], (d[1] - d[3]) * g[2]
m1, m2 = (d[1] + d[2]) * (g[0] + g[1] + g[2]) / 2, (d[2] - d[1]) * (g[0] - g[1] + g[2]) / 2
winograd = np.array([m0 + m1 + m2, m1 - m2 - m3])              # 4 multiplications
print("direct:", direct, " Winograd:", winograd)

Bt = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
At = np.array([[1, 1, 1, 0], [0, 1, -1, -1]])
print("in matrices:  ", At @ ((G @ g) * (Bt @ d)))""",
    """#md Nested in both directions this is F(2×2, 3×3): a 2×2 block of outputs from a 4×4 input tile,
`Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A`, 16 multiplications instead of 36. Over channels, each of the 16
positions of a transformed tile becomes one matrix product (filters × channels) @ (channels ×
tiles), so a convolution is: transform the input tiles (additions only), 16 matrix products,
transform back (additions only). minires has it as a third algorithm for stride-1 3×3 layers
(`minires/nn/functional/winograd.py`):""",
    """wx = rng.standard_normal((2, 16, 32, 32)).astype(np.float32)
ww = (rng.standard_normal((16, 16, 3, 3)) * 0.1).astype(np.float32)
exact = F.conv2d(minires.tensor(wx.astype(np.float64)), minires.tensor(ww.astype(np.float64)), padding=1).numpy()
for algorithm in ("im2col", "winograd"):
    out = F.conv2d(minires.tensor(wx), minires.tensor(ww), padding=1, algorithm=algorithm).numpy()
    print(f"{algorithm:9s} float32 max relative error: {np.abs(out - exact).max() / np.abs(exact).max():.1e}")""",
    """#md Fewer multiplications is not the same as faster. The 16 products are indeed 1.5–4× cheaper than
im2col's one product, but in NumPy the additions of the transforms run as many short array
operations and cost more than the products save at a CIFAR ResNet's 16–64 channels — so the
default stays the shifted-columns path (docs/performance.md has the measurements). A compiled
kernel can do the transforms inside the products, which is how GPU libraries use Winograd.""",
    """#md ## A filter on a real image
An edge detector, applied with the same conv2d the networks use.""",
    """from minires.data import load_sample
images, labels = load_sample("test")
img = images[3:4].astype(np.float32) / 255
edges = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32)
w_edge = np.zeros((1, 3, 3, 3), np.float32); w_edge[0, :] = edges / 3
out = F.conv2d(minires.tensor(img), minires.tensor(w_edge), padding=1).numpy()[0, 0]
fig, ax = plt.subplots(1, 2, figsize=(6, 3))
ax[0].imshow(img[0].transpose(1, 2, 0)); ax[0].set_title("CIFAR-10 test image")
ax[1].imshow(out, cmap="gray"); ax[1].set_title("edges (3x3 conv)")
for a in ax: a.axis("off")
plt.show()""",
    """#md ## Your turn
The exercises after this notebook, in `notebooks/exercises/`
(or the handout your teacher gave you); check your file with:

```bash
python -m minires.teaching check ex2_im2col.py
python -m minires.teaching check ex3_conv_backward.py
python -m minires.teaching check ex8_winograd.py
python -m minires.teaching hint ex2        # stuck? a nudge (--level 2, 3: more)
```""",
]

NOTEBOOKS["03_batch_norm"] = [
    """#md # 03 · Batch normalisation

In training, batch norm normalises each channel with the *batch's* mean and variance, and keeps
running estimates of both. In evaluation it uses those running estimates, so a sample's output
no longer depends on the rest of the batch.""",
    """import minires  # before NumPy/matplotlib: see "Speed on the CPU" in docs/user-guide.md
import numpy as np
import matplotlib.pyplot as plt
from minires import nn

minires.manual_seed(0)
bn = nn.BatchNorm2d(3)
x = minires.tensor(5 + 3 * np.random.default_rng(0).standard_normal((16, 3, 8, 8)).astype(np.float32))
y = bn(x).numpy()
print("per-channel mean after BN:", y.mean(axis=(0, 2, 3)).round(4))
print("per-channel std after BN: ", y.std(axis=(0, 2, 3)).round(4))
print("running mean after one batch:", bn.running_mean.numpy().round(3), "(momentum 0.1 towards ~5)")""",
    """#md ## Running statistics converge
Each training batch moves the running mean 10% of the way towards the batch mean (PyTorch's
convention); the running variance uses the unbiased batch variance.""",
    """bn = nn.BatchNorm2d(1)
means = []
rng = np.random.default_rng(1)
for step in range(60):
    bn(minires.tensor((5 + 3 * rng.standard_normal((32, 1, 4, 4))).astype(np.float32)))
    means.append(bn.running_mean.item())
plt.figure(figsize=(6, 3)); plt.plot(means); plt.axhline(5, ls="--", color="gray")
plt.xlabel("training batches"); plt.ylabel("running mean"); plt.grid(alpha=0.3); plt.show()""",
    """#md ## Train mode vs eval mode
In train mode the output for the same image changes with its batch-mates; in eval mode it does not.""",
    """a = minires.tensor(rng.standard_normal((4, 1, 4, 4)).astype(np.float32) * 3 + 5)
b = minires.tensor(rng.standard_normal((4, 1, 4, 4)).astype(np.float32) * 3 + 5)
both = minires.cat([a, b])
bn.train()
print("train: same image, different batch ->", np.abs(bn(a).numpy()[0] - bn(both).numpy()[0]).max())
bn.eval()
print("eval:  same image, different batch ->", np.abs(bn(a).numpy()[0] - bn(both).numpy()[0]).max())""",
    """#md ## The formula, and one fused backward
`F.batch_norm_reference` writes batch norm line by line with minires ops — mean, variance,
x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β — and lets autograd derive its backward. `F.batch_norm`
computes the same with a closed-form backward (minires/nn/functional/batchnorm.py) and keeps far
less in memory. First the two against each other, then the gradient check in both modes.""",
    """from minires.nn import functional as F
inputs = [rng.standard_normal((8, 2, 4, 4)) * 3 + 1, np.array([1.5, 0.7]), np.array([0.1, -0.2])]
outs = []
for fn in (F.batch_norm_reference, F.batch_norm):
    x_, g_, b_ = (minires.tensor(v, requires_grad=True) for v in inputs)
    y_ = fn(x_, None, None, g_, b_, training=True)
    (y_ * y_).sum().backward()
    outs.append((y_.numpy(), x_.grad.numpy(), g_.grad.numpy()))
for name, a, b in zip(("y", "dx", "dγ"), *outs):
    print(f"{name}: reference vs fused, largest difference {np.abs(a - b).max():.1e}")""",
    """from minires.nn import functional as F
xt = minires.tensor(rng.standard_normal((4, 2, 3, 3)), requires_grad=True)
g = minires.tensor(np.array([1.5, 0.7]), requires_grad=True)
beta = minires.tensor(np.array([0.1, -0.2]), requires_grad=True)
print("train:", minires.gradcheck(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), xt, g, beta))
rm, rv = np.array([0.1, 0.2]), np.array([1.5, 0.5])
print("eval: ", minires.gradcheck(lambda x, g, b: F.batch_norm(x, rm, rv, g, b, training=False), xt, g, beta))""",
    """#md ## Your turn
The exercise after this notebook, in `notebooks/exercises/`
(or the handout your teacher gave you); check your file with:

```bash
python -m minires.teaching check ex4_batchnorm_backward.py
python -m minires.teaching hint ex4        # stuck? a nudge (--level 2, 3: more)
```""",
]

NOTEBOOKS["04_plain_and_residual_networks"] = [
    """#md # 04 · Plain and residual networks

The paper's CIFAR networks have depth 6n + 2: a 3×3 stem, three stages of n blocks at 16, 32 and
64 filters, global average pooling and a 10-way classifier. A residual block adds its input back
(through an identity "option A" shortcut); its plain twin has exactly the same layers without it.""",
    """import minires
from minires import models

resnet, plain = models.resnet20(), models.plain20()
print(resnet.layer2[0])
print("parameters: ResNet-20", resnet.num_parameters(), " plain-20", plain.num_parameters())""",
    """#md The graph of one block that halves the resolution: the left branch is the shortcut
(every 2nd pixel, then zero channels appended), the right one the two conv-BN layers; `Add`
joins them. The input is made with `requires_grad=True` so that the shortcut shows.""",
    """from minires import viz
block = resnet.layer2[0]
x = minires.randn(2, 16, 32, 32, requires_grad=True)
viz.graph(block(x).sum(), model=block)""",
    """#md A whole ResNet-20 is ~180 ops; grouped by block (`depth=2`) it reads like the paper's diagram:""",
    """from minires.nn import functional as F
loss = F.cross_entropy(resnet(minires.randn(2, 3, 32, 32)), [3, 7])
viz.graph(loss, model=resnet, depth=2)""",
    """#md Option A shortcuts subsample and zero-pad channels, so they add **no** parameters. Projection
shortcuts (option B) add 1×1 convolutions where the shape changes:""",
    """for option in "ABC":
    print(option, models.cifar_resnet(20, shortcut=option).num_parameters())""",
    """#md ## Against Table 6 of the paper""",
    """paper = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7, 1202: 19.4}
print(f"{'depth':>6} {'minires':>12} {'paper':>8}")
for depth, published in paper.items():
    n = models.get(f"resnet{depth}").num_parameters()
    print(f"{depth:>6} {n / 1e6:>11.3f}M {published:>7}M")""",
    """#md ## Against Table 1 (ImageNet): parameters and multiply-adds
`minires.summary` runs one forward pass and counts the multiply-adds of every convolution and
fully connected layer, as the paper's "FLOPs".""",
    """table1 = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
for depth, flops in table1.items():
    s = minires.summary(models.get(f"resnet{depth}"), (3, 224, 224))
    print(f"ResNet-{depth:<4} params {s.total_params / 1e6:6.2f}M  mult-adds {s.total_mult_adds / 1e9:5.2f}e9"
          f"  (paper {flops}e9)")""",
    """print(minires.summary(models.resnet20(), (3, 32, 32)).table())""",
    """#md ## Your turn
The exercise after this notebook, in `notebooks/exercises/`
(or the handout your teacher gave you); check your file with:

```bash
python -m minires.teaching check ex5_basic_block.py
python -m minires.teaching hint ex5        # stuck? a nudge (--level 2, 3: more)
```""",
]

NOTEBOOKS["05_training_loop"] = [
    """#md # 05 · The training loop, by hand

Section 4.2 of the paper in a dozen lines: per-pixel mean subtraction, 4-pixel padding with
random 32×32 crops and flips, mini-batches of 128, SGD with momentum 0.9 and weight decay 1e-4,
and a learning rate divided by 10 at fixed iterations. First written out by hand on the
3,000-image sample shipped with minires, with a plot that updates as it trains; then the same
run through `minires.train`, which adds checkpoints, exact resume and evaluation.""",
    """import minires  # before NumPy/matplotlib: see "Speed on the CPU" in docs/user-guide.md
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display
from minires import models, optim
from minires.data import Normalizer, load_sample, random_crop_flip
from minires.nn import functional as F

minires.manual_seed(0)
train_x, train_y = load_sample("train")            # (3000, 3, 32, 32) uint8, (3000,) labels
test_x, test_y = load_sample("test")
normalize = Normalizer.fit(train_x)                # the paper's per-pixel mean image
train_x, test_x = normalize(train_x), normalize(test_x)
print(train_x.shape, train_x.dtype, "mean image:", normalize.mean.shape)""",
    """#md The model, the optimizer and the schedule. `LRSchedule` divides the rate by 10 at each
milestone — here at iterations 60 and 90 of 120, the paper's 32k/48k of 64k scaled down.""",
    """model = models.resnet20()
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
schedule = optim.LRSchedule(opt, 0.1, milestones=[60, 90])
iterations, batch = 120, 64
rng = np.random.default_rng(0)""",
    """#md The loop. Each step: a shuffled mini-batch, augmented; forward, loss, backward, update;
then the schedule moves on. Every 20 steps the plot is redrawn in place.""",
    """history = {"iteration": [], "loss": [], "train error": []}
fig, ax = plt.subplots(figsize=(7, 3))
handle = display(fig, display_id=True)
order = rng.permutation(len(train_x))
for it in range(iterations):
    start = (it * batch) % (len(train_x) - batch)
    index = order[start:start + batch]
    x = random_crop_flip(train_x[index], rng)          # pad 4, crop 32×32, flip half
    y = train_y[index]
    logits = model(minires.Tensor(x))
    loss = F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    schedule.step()
    history["iteration"].append(it + 1)
    history["loss"].append(loss.item())
    history["train error"].append(1 - F.accuracy(logits, y))
    if (it + 1) % 20 == 0:
        ax.clear()
        ax.plot(history["iteration"], history["loss"], label="loss")
        ax.plot(history["iteration"], history["train error"], label="training error")
        for m in schedule.milestones:
            ax.axvline(m, color="gray", lw=0.8)
        ax.set_xlabel("iteration"); ax.legend(); ax.grid(alpha=0.3)
        handle.update(fig)
plt.close(fig)""",
    """#md Evaluation: batch norm switches to its running statistics (`model.eval()`), and no graph is
recorded (`no_grad`).""",
    """model.eval()
with minires.no_grad():
    logits = model(minires.Tensor(test_x))
print(f"test error after {iterations} iterations: {1 - F.accuracy(logits, test_y):.1%}")""",
    """#md **Will you get the same numbers?** On the same machine with the same settings, yes, to the
last bit: every random draw comes from the seeds above. On another machine, expect the errors
to differ by a point or two. A convolution's float32 sums come out in a different order with
another number of worker threads (`minires.set_num_threads`) or another BLAS kernel (OpenBLAS
picks one for your processor), so the last bit of a product differs after the first step; SGD at
learning rate 0.1 then grows that bit into a different run. Measured with this loop on one
machine: two runs with 2 threads gave identical losses at every step; with 1 thread, or with
OpenBLAS held to its older AVX2 kernel, the loss differed in the 4th digit at step 5 and by
0.07-0.12 at step 15. The lesson holds either way: a single short run's error is not a
measurement to a tenth of a percent. (A saved run resumes bit for bit: see the user guide.)""",
    """#md ## The same, with `minires.train`
`TrainConfig` holds every setting (the defaults are the paper's); `train` runs the loop above and
also evaluates, checkpoints, resumes exactly and logs `metrics.jsonl`. Callbacks watch a run
without changing it: `LivePlot` redraws the curves after every evaluation (the command line's
progress printer is a callback too).""",
    """import io, tempfile
from pathlib import Path
from minires.train import TrainConfig, train
from minires.train.callbacks import LivePlot

out = Path(tempfile.mkdtemp()) / "resnet20"
config = TrainConfig(model="resnet20", data="sample", out=str(out), batch_size=64, iterations=120,
                     milestones=[60, 90], eval_every=30, checkpoint_every=60, eval_subset=500)
result = train(config, stream=io.StringIO(), callbacks=[LivePlot()])
print({k: result[k] for k in ("iteration", "train_error", "test_error")})""",
    """#md The run folder has everything needed to continue or inspect it; `minires plot` draws the
same curves from the command line.""",
    """print(sorted(p.name for p in out.iterdir()))
print((out / "metrics.jsonl").read_text().splitlines()[-1])""",
    """#md ## Your turn
The exercises after this notebook, in `notebooks/exercises/`
(or the handout your teacher gave you); check your file with:

```bash
python -m minires.teaching check ex6_sgd.py
python -m minires.teaching check ex7_lr_schedule.py
python -m minires.teaching hint ex6        # stuck? a nudge (--level 2, 3: more)
```""",
]

NOTEBOOKS["06_degradation_experiment"] = [
    """#md # 06 · The degradation experiment

The paper's Fig. 6: with the same recipe, a deeper **plain** network has *higher training error*
than a shallower one, while a deeper **ResNet** has lower. Here is a small live version on the
embedded sample (tiny networks, a few iterations: the point is the mechanics), followed by the
full results measured with `minires degradation` and committed in `docs/`.""",
    """import io, json, tempfile
from pathlib import Path
import minires
from minires.experiments import degradation
from minires.train import TrainConfig
import matplotlib.pyplot as plt

out = Path(tempfile.mkdtemp())
base = TrainConfig(data="sample", batch_size=32, iterations=30, milestones=[20], eval_every=10,
                   checkpoint_every=30, eval_subset=300)
rows = degradation(base, depths=[8, 20], out=out, stream=io.StringIO())
for r in rows:
    print(f"{r['network']:<10} training error {r['train_error_mean']:5.1f}%",
          f"test error {r['test_error_mean']:5.1f}%")""",
    """from IPython.display import Image, display
display(Image(filename=str(out / "fig6.png"), width=800))""",
    """#md ## The measured reproduction
The networks trained with the CPU recipe (8,000 iterations, the paper's schedule at 1/8 of its
length; `docs/reproduction.md` has the commands, the full table and what they show). Their
curves, and the findings so far:""",
    """from minires.experiments import shipped_results

results = shipped_results("cpu")  # shipped inside the package: works from any install
display(Image(filename=str(results / "curves.png"), width=800))
print((results / "table.md").read_text())
print((results / "findings.md").read_text())""",
    """#md ## How long must a deeper ResNet train before its depth pays?
Trained by minires at 1/8 of the paper's length, ResNet-56 is still *behind* ResNet-20; with the
full 64,000 iterations it is ahead (in the paper's Table 6 and in public reruns of its recipe).
The same recipe at more lengths and seeds asks where the order changes. Left: final test error
against training length, finished runs only (one dot per seed; the open squares are the public
reruns, not minires's); right: ResNet-56 minus ResNet-20. Then every ResNet run's test error as it
trained, and the table with a length column, where a run still training appears at its last
evaluation.""",
    """budget = shipped_results("budget")
display(Image(filename=str(budget / "budget.png"), width=800))
display(Image(filename=str(budget / "budget-curves.png"), width=700))
print((budget / "budget.md").read_text())""",
    """#md Twice the length, on the sample: the shipped ResNet-20 trained at 1/8 (`weights="cpu"`) and at
1/4 (`weights="quarter"`), evaluated on the sample's 1,000 test images, which neither saw.""",
    """from minires import models
from minires.data import load_sample
from minires.train import evaluate

test_images, test_labels = load_sample("test")
for variant in ("cpu", "quarter"):
    net = models.resnet20(weights=variant)
    error, _ = evaluate(net, net.normalizer(test_images), test_labels)
    print(f"ResNet-20, weights={variant!r:<10} test error on the sample {error:6.1%}")""",
    """#md ## The trained networks themselves
Those runs' final weights ship with minires. Evaluated on the sample, they show what the table
above shows without training anything: the sample's 3,000 training images were part of their
training set, its 1,000 test images were not. Degradation is a statement about *training* error
(the first column): a deeper plain net fits its own training images worse. These errors are
measured in evaluation mode on unaugmented images, so they usually sit below the curves' training
error, which is the mean over the last 100 augmented mini-batches.""",
    """sample = {split: load_sample(split) for split in ("train", "test")}
for name in models.available_weights():  # plain20, resnet20, ... as shipped
    net = models.get(name, weights="cpu")
    errors = [evaluate(net, net.normalizer(images), labels)[0] for images, labels in sample.values()]
    print(f"{name:<9} error on 3,000 training images {errors[0]:6.1%}   on 1,000 test images {errors[1]:6.1%}")""",
    """#md ## Your turn
No exercise belongs to this notebook: train the pair yourself with
`minires degradation --depths 20 56 --recipe cpu` (an evening on 2 cores) and compare
your curves with the ones above.""",
]

NOTEBOOKS["07_layer_responses"] = [
    """#md # 07 · Layer responses

The paper's Fig. 7 measures, for every 3×3 layer, the standard deviation of its *response*: the
output of its batch norm, before the ReLU and before the shortcut addition. Residual functions
turn out to respond less than plain layers. `minires.models.ResponseRecorder` collects responses
with forward hooks, without touching the model code.""",
    """import minires  # before NumPy/matplotlib: see "Speed on the CPU" in docs/user-guide.md
import numpy as np
import matplotlib.pyplot as plt
from minires import models

minires.manual_seed(0)
model = models.resnet20().eval()
x = minires.randn(8, 3, 32, 32)
responses = models.layer_responses(model, x)
print(len(responses), "responses (6n + 1 for n = 3):", [name for name, _ in responses][:4], "...")""",
    """#md ## On networks trained with the CPU recipe
minires ships the weights of the networks it trained with `minires train --recipe cpu` (8,000
iterations on CIFAR-10, docs/reproduction.md); `models.available_weights()` lists them and
`weights="cpu"` loads them, with the per-pixel mean they were trained with (`model.normalizer`).
Their responses on the sample's 1,000 test images show Fig. 7's findings without training
anything: residual functions respond less than plain layers (and, where the 56-layer networks
are shipped too, less as the net gets deeper). Plain nets are dashed, as in the paper.""",
    """from minires.data import load_sample
from minires.experiments.responses import response_stds
from minires.nn import functional as F

test_images, test_labels = load_sample("test")
trained = {name: models.get(name, weights="cpu") for name in models.available_weights()}  # plain20, resnet20, ...
fig, (by_layer, ranked) = plt.subplots(1, 2, figsize=(10, 3.2))
for name, net in trained.items():
    x = net.normalizer(test_images)
    net.eval()
    with minires.no_grad():
        error = 1 - F.accuracy(net(minires.Tensor(x)), test_labels)
    layers, stds = response_stds(net, x)
    style = "--" if name.startswith("plain") else "-"
    by_layer.plot(range(1, len(stds) + 1), stds, style, label=name)
    ranked.plot(range(1, len(stds) + 1), sorted(stds, reverse=True), style, label=name)
    print(f"{name:<9} test error on the sample {error:.1%}; mean response std {np.mean(stds):.3f}")
by_layer.set_xlabel("layer index"); ranked.set_xlabel("layer index (sorted by magnitude)")
by_layer.set_ylabel("std of response")
for ax in (by_layer, ranked):
    ax.legend(); ax.grid(alpha=0.3)
plt.show()""",
    """#md ## A std over a test set can hang on a few images
minires also ships a second ResNet-56, trained the same way with seed 1 (`weights="cpu-seed1"`).
It classifies as well as seed 0, yet its mean response std is more than twice as large. A std
is a mean of squares, so a handful of images with enormous responses can outweigh all the rest.
`largest_responses` gives each image's largest |response| in each layer, and `extreme_images`
picks the images that exceed ten times a layer's median somewhere.""",
    """from minires.experiments import extreme_images, largest_responses

for variant in ("cpu", "cpu-seed1"):
    net = models.resnet56(weights=variant)
    x = net.normalizer(test_images)
    _, stds = response_stds(net, x)
    _, largest = largest_responses(net, x)  # (1000, 55)
    extreme = extreme_images(largest)
    rest = np.setdiff1d(np.arange(len(x)), extreme)
    _, kept = response_stds(net, x[rest])
    print(f"ResNet-56 weights={variant!r:<12} mean std {np.mean(stds):.3f}; {len(extreme)} extreme images "
          f"(largest response {largest.max():,.0f}); without them {np.mean(kept):.3f}")""",
    """#md Without its extreme images, seed 1 responds no more than seed 0, and less than ResNet-20
(above). Which answer is "the" Fig. 7? The paper's statistic is the std over the whole test set;
it cannot tell a net that responds more from one that responds enormously on a few inputs. When
a result depends on a statistic, look at what the statistic is made of.""",
    """#md ## On (briefly) trained networks
Train a tiny plain and residual pair on the sample, then measure their responses on test images.""",
    """import io, tempfile
from pathlib import Path
from minires.train import TrainConfig, train
from minires.experiments import responses as measure

out = Path(tempfile.mkdtemp())
runs = []
for name in ("plain14", "resnet14"):
    cfg = TrainConfig(model=name, data="sample", out=str(out / name), batch_size=32, iterations=30,
                      milestones=[20], eval_every=30, checkpoint_every=30, eval_subset=200)
    train(cfg, stream=io.StringIO())
    runs.append(out / name)
stds = measure(runs, out / "fig7", limit=300)
for name, values in stds.items():
    print(f"{name:<10} mean response std {np.mean(values):.3f}")""",
    """from IPython.display import Image, display
display(Image(filename=str(out / "fig7" / "fig7.png"), width=700))""",
    """#md ## The measured reproduction
Responses of the CPU-recipe networks over the full 10,000-image test set (`docs/reproduction.md`):""",
    """from minires.experiments import shipped_results

display(Image(filename=str(shipped_results("cpu") / "fig7.png"), width=700))  # shipped inside the package""",
    """#md ## Your turn
The exercise after this notebook, in `notebooks/exercises/`
(or the handout your teacher gave you); check your file with:

```bash
python -m minires.teaching check ex9_layer_responses.py
python -m minires.teaching hint ex9        # stuck? a nudge (--level 2, 3: more)
```""",
]


NOTEBOOKS["08_healthy_gradients"] = [
    """#md # 08 Is it vanishing gradients?
Plain-56 trains *worse* than plain-20 (notebook 06). The obvious suspect is the vanishing gradient:
in a deep chain of layers the gradient shrinks on its way back, so the first layers hardly learn.
The paper (section 4.1) says no: the plain nets use batch norm, which "ensures forward propagated
signals to have non-zero variances", and "the backward propagated gradients exhibit healthy norms
with BN" -- the degradation must have another cause. The paper shows no numbers for this. Here we
measure them: for every 3×3 layer, from the input side to the output side,

* the norm of the gradient that **reaches** the layer, d(loss)/d(its output), and
* the norm of the gradient **applied** to its weights, d(loss)/d(weight),

on one batch of 128 training images of the embedded sample, in training mode, for plain-20/56
and ResNet-20/56, freshly initialised and with the shipped trained weights (exercise 10 asks you
to write the measurement; `minires.experiments.gradients.gradient_norms` is minires's own).""",
    """import minires  # before NumPy/matplotlib: see "Speed on the CPU" in docs/user-guide.md
import matplotlib.pyplot as plt
import numpy as np

from minires import models
from minires.data import load_sample
from minires.experiments.gradients import gradient_norms

images, labels = load_sample("train")
batch, batch_labels = images[:128], labels[:128]
normalizer = models.resnet20(weights="cpu").normalizer  # the per-pixel mean of the training images
x = normalizer(batch)

norms = {}
for name in ("plain20", "plain56", "resnet20", "resnet56"):
    minires.manual_seed(0)
    norms[name, "initialised"] = gradient_norms(models.get(name), x, batch_labels)
    norms[name, "trained"] = gradient_norms(getattr(models, name)(weights="cpu"), x, batch_labels)
print("measured", len(norms), "networks")""",
    """fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex="col")
for column, state in enumerate(("initialised", "trained")):
    for row, (what, index) in enumerate((("reaching the layer: |dL/d output|", 0), ("applied: |dL/d weight|", 1))):
        ax = axes[row, column]
        for name, style in (("plain20", "C0--"), ("plain56", "C0-"), ("resnet20", "C3--"), ("resnet56", "C3-")):
            values = norms[name, state][index]
            ax.semilogy(np.linspace(0, 1, len(values)), values, style, label=name)
        ax.set_title(f"{state}: {what}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        if row == 1:
            ax.set_xlabel("layer position (0: first 3×3 layer, 1: last)")
axes[0, 0].legend()
plt.tight_layout()
plt.show()""",
    """#md ## The answer, in numbers
If gradients vanished, the first layers' norms would be orders of magnitude *below* the last
layers'. The ratio first / last of each network (the spatial size also changes along the
network, 32×32 to 8×8, and with it a norm's number of terms):""",
    """for (name, state), (reaching, applied) in norms.items():
    print(f"{name:<9} {state:<12} weight gradient: first {applied[0]:8.3g}  last {applied[-1]:8.3g}  "
          f"first/last {applied[0] / applied[-1]:8.3g}   smallest {min(applied):.3g}")
reaching, applied = norms["plain56", "initialised"]
trained = norms["plain56", "trained"][1]
print()
print(f"plain-56, initialised: the first layer's weight gradient is {applied[0] / applied[-1]:.3g}x the last's")
print(f"plain-56, trained:     {trained[0] / trained[-1]:.3g}x; no layer below {min(trained):.3g}")""",
    """#md What this shows on minires's networks: plain-56's early layers do **not** receive vanishing
gradients. At initialisation the opposite holds -- its first layers' weight gradients are hundreds
of times *larger* than its last layer's (the gradient grows on its way back through 55 batch-normed
layers) -- and once trained, every layer's weight gradient is within a small factor of the
others'. So the gradients are, in the paper's words, healthy, and plain-56's higher training
error (43.6% against plain-20's 16.1%) has another cause: the paper conjectures that deep plain
nets "may have exponentially low convergence rates". The residual networks' gradients are just as
healthy, and their curves are flatter at initialisation: the identity shortcuts carry the
gradient past each block.

One batch, one seed: a measurement to look at, not a statistic. Try another batch (`images[128:256]`)
or the test images, and the ratios move a little, not by orders of magnitude.""",
    """#md ## Your turn
The exercise after this notebook, in `notebooks/exercises/`
(or the handout your teacher gave you); check your file with:

```bash
python -m minires.teaching check ex10_gradient_norms.py
python -m minires.teaching hint ex10        # stuck? a nudge (--level 2, 3: more)
```""",
]


def main() -> None:
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    folder.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        for cell in cells:
            if cell.startswith("#md "):
                nb.cells.append(nbformat.v4.new_markdown_cell(cell[4:]))
            else:
                nb.cells.append(nbformat.v4.new_code_cell(cell))
        for i, cell in enumerate(nb.cells):  # stable ids: regenerating a notebook changes only what changed
            cell.id = f"c{name[:2]}-{i:02d}"
        nbformat.write(nb, folder / f"{name}.ipynb")
        print("wrote", folder / f"{name}.ipynb")


if __name__ == "__main__":
    main()
