"""Drawing the graph behind a tensor: ops, parameters by name, shapes, grouping by layer."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import minires
from minires import models, viz
from minires.errors import RunError
from minires.models.blocks import BasicBlock
from minires.nn import functional as F


def test_an_expression_shows_its_ops_leaves_and_shapes() -> None:
    a, b = minires.randn(2, 3, requires_grad=True), minires.randn(3, requires_grad=True)
    g = viz.graph(((a * b).relu()).sum())
    assert g.source.startswith("digraph minires {") and g.source.rstrip().endswith("}")
    for op in ("Mul", "ReLU", "Sum"):
        assert f'label="{op}' in g.source
    assert g.source.count('label="input') == 2 and 'label="2×3"' in g.source and "output\\nscalar" in g.source


def test_a_residual_block_names_its_layers_and_shows_the_shortcut() -> None:
    block = BasicBlock(16, 32, stride=2, shortcut="A")
    g = viz.graph(block(minires.randn(2, 16, 8, 8, requires_grad=True)).sum(), model=block)
    for name in ("conv1.weight\\n32×16×3×3", "bn2.bias", "Conv2dFast\\nconv1", "GetItem\\nshortcut", "Pad\\nshortcut"):
        assert name in g.source, name
    assert "2×32×4×4" in g.source and len(re.findall(r"-> \"f\d+\"", g.source)) >= 8


def test_a_resnet_grouped_by_block_has_one_node_per_block() -> None:
    model = models.resnet20()
    loss = F.cross_entropy(model(minires.randn(2, 3, 32, 32)), [0, 1])
    g = viz.graph(loss, model=model, depth=2)
    blocks = re.findall(r'label="(layer\d\.\d)\\nBasicBlock: (\d+) ops, ([\d,]+) parameters"', g.source)
    assert [b[0] for b in sorted(blocks)] == [f"layer{s}.{i}" for s in (1, 2, 3) for i in range(3)]
    assert ("layer1.0", "7", "4,672") in blocks
    assert ".weight" not in g.source  # parameters are counted, not drawn
    assert viz.graph(loss, model=model, depth=1).source.count("BasicBlock") == 0  # stages: Sequential
    assert repr(loss.grad_fn) == "<CrossEntropy backward>" and "in Linear" in repr(loss.grad_fn.parents[0])


def test_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="no graph to draw"):
        viz.graph(minires.randn(3))
    x = minires.randn(3, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RunError, match="used up by backward"):
        viz.graph(y)
    path = viz.graph((x * 3).sum()).save(tmp_path / "g.dot")  # the text needs no Graphviz
    assert path.read_text().startswith("digraph")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_rendering_with_graphviz(tmp_path: Path) -> None:
    x = minires.randn(3, requires_grad=True)
    g = viz.graph((x * x).sum())
    assert g.save(tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert g._repr_svg_().count("<svg") == 1


def test_without_graphviz_the_graph_is_an_outline(monkeypatch: pytest.MonkeyPatch) -> None:
    x = minires.randn(2, 3, requires_grad=True)
    g = viz.graph((x * 3).sum())
    assert g.outline().splitlines() == ["input · 2×3", "Mul", "    <- input · 2×3  (2×3)", "Sum",
                                        "    <- Mul  (2×3)", "output · scalar", "    <- Sum  (scalar)"]
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)  # as on a machine without Graphviz
    assert g._repr_svg_() is None
    shown = g._repr_markdown_()
    assert "install Graphviz" in shown and "<- Mul  (2×3)" in shown and "digraph" not in shown
