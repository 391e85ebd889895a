"""Draw the graph behind a tensor: which ops made it, from which tensors and parameters.

``graph(loss)`` walks back from a tensor through the Functions that made it (the same
links ``backward()`` follows) and writes Graphviz DOT text: one box per op, an
ellipse per leaf that wants a gradient (parameters by name when a ``model`` is given),
and on every edge the shape of the tensor that flows along it.  A whole network is
hundreds of ops, so ``depth`` groups them by layer: ``depth=2`` on a ResNet-20 draws
one node per residual block (``layer1.0``, ...), ``depth=1`` one per stage.

    g = graph(loss, model=net, depth=2)
    g.source            # the DOT text: no Graphviz needed for this
    print(g.outline())  # the same graph as indented text, inputs first: no Graphviz needed either
    g.save("net.svg")   # needs Graphviz's `dot` program (apt/brew/conda install graphviz)
    g                   # in Jupyter: drawn inline when `dot` is there, else the outline

Every op knows the innermost layer whose ``forward`` ran it (``Module.__call__``
marks them), which is how ops are grouped.  The graph holds only what backward
needs, so an input appears only if it requires a gradient: make it with
``requires_grad=True`` to see, for example, a residual block's shortcut.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from minires.checkpoint import atomic_write_bytes
from minires.errors import RunError
from minires.nn import Module
from minires.tensor import Function, Tensor

__all__ = ["Graph", "graph"]

INSTALL_DOT = ("drawing needs Graphviz's 'dot' program, which was not found; install Graphviz "
               "(apt install graphviz, brew install graphviz or conda install graphviz), or use .source")


def _walk(root: Tensor) -> Iterator[Function | Tensor]:
    """Every Function and gradient-wanting leaf behind ``root``, each once."""
    start = root._ctx if root._ctx is not None else root
    seen, stack = {id(start)}, [start]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Function):
            if node.parents is None:
                raise RunError("this graph was used up by backward(); draw it before calling backward(), or call "
                               "backward(retain_graph=True)")
            for parent in node.parents:
                if parent is not None and id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


class Graph:
    """DOT text of a computation graph; shown inline in Jupyter, saved as SVG/PNG with Graphviz.

    Without Graphviz, ``outline()`` gives the same nodes and edges as text.
    """

    def __init__(self, source: str, nodes: list[tuple[str, str, list[tuple[str, str]]]] | None = None) -> None:
        self.source = source
        self.nodes = nodes or []  # (key, label, [(parent key, shape)]) from the inputs to the output

    def outline(self) -> str:
        """The graph as indented text, inputs first: each node, then the nodes it takes and their shapes."""
        labels = {key: label for key, label, _ in self.nodes}
        lines = []
        for _, label, parents in self.nodes:
            lines.append(label)
            lines += [f"    <- {labels.get(p, p)}  ({shape})" for p, shape in parents]
        return "\n".join(lines)

    def render(self, fmt: str = "svg") -> bytes:
        """The picture, made by Graphviz's ``dot`` (``fmt``: 'svg', 'png', 'pdf')."""
        dot = shutil.which("dot")
        if dot is None:
            raise RunError(INSTALL_DOT)
        done = subprocess.run([dot, f"-T{fmt}"], input=self.source.encode(), capture_output=True, check=False)
        if done.returncode != 0:
            raise RunError(f"dot failed: {done.stderr.decode(errors='replace').strip()[:300]}")
        return done.stdout

    def save(self, path: str | Path) -> Path:
        """Write the picture to ``path`` (its suffix picks the format; ``.dot`` writes the text)."""
        path = Path(path)
        fmt = path.suffix.lstrip(".") or "svg"
        atomic_write_bytes(path, self.source.encode() if fmt in ("dot", "gv") else self.render(fmt))
        return path

    def _repr_svg_(self) -> str | None:
        return self.render("svg").decode() if shutil.which("dot") else None

    def _repr_markdown_(self) -> str:
        return (f"*Graphviz's `dot` was not found, so here is the graph as an outline (inputs first); "
                f"install Graphviz to see it drawn (apt install graphviz, brew install graphviz or conda "
                f"install graphviz).*\n\n```\n{self.outline()}\n```")

    def __repr__(self) -> str:
        return self.source


def graph(output: Tensor, model: Module | None = None, depth: int | None = None, rankdir: str = "TB") -> Graph:
    """The graph of ops behind ``output`` as a ``Graph`` (DOT text).

    Args:
        output: a tensor made by ops that record gradients (a loss, an activation).
        model: the network, to name parameters and layers (``layer1.0.conv1.weight``).
        depth: group the ops by layer, down to this many levels of the model's names
            (1: stages, 2: blocks of a ResNet); None draws every op.
        rankdir: 'TB' (inputs at the top) or 'LR'.
    """
    if output._ctx is None:
        raise RunError("this tensor was not made by ops that record gradients (a leaf, or computed under "
                       "no_grad()): there is no graph to draw")
    param_names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
    module_names = {id(m): n for n, m in _named_modules(model)} if model is not None else {}
    modules_by_name = dict(_named_modules(model)) if model is not None else {}

    def group_of(fn: Function) -> str | None:
        if depth is None or model is None:
            return None
        name = module_names.get(id(fn.module), "") if fn.module is not None else ""
        parts = name.split(".") if name else []
        return ".".join(parts[:depth]) if parts else None

    nodes: dict[str, str] = {}  # node id -> DOT attributes
    members: dict[str, list[Function]] = {}
    edges: dict[tuple[str, str], str] = {}

    def node_id(item: Function | Tensor) -> str:
        if isinstance(item, Function):
            group = group_of(item)
            return f"g_{group}" if group else f"f{id(item)}"
        return f"t{id(item)}"

    hide_params = depth is not None and model is not None  # a grouped drawing counts them instead

    for item in _walk(output):
        key = node_id(item)
        if isinstance(item, Tensor) and hide_params and id(item) in param_names:
            continue
        if isinstance(item, Tensor):
            name = param_names.get(id(item), "input")
            nodes[key] = (f'label="{name}\\n{_shape(item.shape)}", shape=ellipse, style=filled, '
                          f'fillcolor="{"#fde9c9" if id(item) in param_names else "#e8f1fb"}"')
            continue
        members.setdefault(key, []).append(item)
        for position, parent in enumerate(item.parents or ()):
            if parent is None or (hide_params and isinstance(parent, Tensor) and id(parent) in param_names):
                continue
            source = node_id(parent)
            if source != key:
                edges[(source, key)] = _shape(item.input_shapes[position])
    for key, fns in members.items():
        if key.startswith("g_"):
            title = key[2:]
            kind = type(modules_by_name[title]).__name__ if title in modules_by_name else ""
            count = sum(p.data.size for n, p in model.named_parameters() if n.startswith(title + "."))  # type: ignore[union-attr]
            ops = f"{len(fns)} op" + "s" * (len(fns) > 1)
            nodes[key] = (f'label="{title}\\n{kind}: {ops}, {count:,} parameters", shape=box3d, '
                          f'style=filled, fillcolor="#d9ead3"')
        else:
            fn = fns[0]
            where = module_names.get(id(fn.module)) if fn.module is not None else None
            label = type(fn).__name__.removesuffix("Function") + (f"\\n{where}" if where else "")
            nodes[key] = f'label="{label}", shape=box, style="rounded,filled", fillcolor="#eeeeee"'
    out_key = node_id(output._ctx)
    lines = ["digraph minires {", f"  rankdir={rankdir};", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=8, color="#555555"];']
    lines += [f'  "{key}" [{attrs}];' for key, attrs in nodes.items()]
    lines += [f'  output [label="output\\n{_shape(output.shape)}", shape=doublecircle, fontsize=9];',
              f'  "{out_key}" -> output;']
    lines += [f'  "{a}" -> "{b}" [label="{label}"];' for (a, b), label in edges.items()]
    lines.append("}")
    return Graph("\n".join(lines) + "\n", _outline_nodes(nodes, edges, out_key, output.shape))


def _outline_nodes(nodes: dict[str, str], edges: dict[tuple[str, str], str], out_key: str,
                   out_shape: tuple[int, ...]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The nodes in an order where each comes after those it takes (inputs first), for ``Graph.outline``."""
    parents: dict[str, list[tuple[str, str]]] = {key: [] for key in nodes}
    for (a, b), shape in edges.items():
        parents.setdefault(b, []).append((a, shape))
    order: list[str] = []
    done: set[str] = set()
    for start in nodes:  # depth first, parents before children, with an explicit stack
        stack = [(start, False)]
        while stack:
            key, ready = stack.pop()
            if ready:
                if key not in done:
                    done.add(key)
                    order.append(key)
                continue
            if key in done:
                continue
            stack.append((key, True))
            stack += [(p, False) for p, _ in parents.get(key, []) if p not in done]
    label = {key: attrs.split('label="', 1)[1].split('"', 1)[0].replace("\\n", " · ") for key, attrs in nodes.items()}
    result = [(key, label[key], parents.get(key, [])) for key in order]
    result.append(("output", f"output · {_shape(out_shape)}", [(out_key, _shape(out_shape))]))
    return result


def _named_modules(model: Module, prefix: str = "") -> Iterator[tuple[str, Module]]:
    """Every module below ``model`` with its dotted name ('' for the model itself)."""
    yield prefix, model
    for name, child in model.named_children():
        yield from _named_modules(child, f"{prefix}.{name}" if prefix else name)
