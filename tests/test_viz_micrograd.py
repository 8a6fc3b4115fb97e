"""micrograd's own Values drawn by viz: a teacher keeps the lecture's code and gets these pictures.

micrograd 0.1.0 from PyPI (a test-only dependency): its ``Value`` has ``data``, ``grad``,
``_prev`` (a set), ``_op`` and a ``_backward`` closure over the real nodes, and no label;
the lecture's version adds ``label``, which a subclass stands in for here. Expected
gradients come from micrograd's own ``backward()`` on a fresh copy of the same expression.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import lecture_graphs
import viz
from dot_read import cells, dot_edges, edge_label, fill, op_label
from viz.graph import ROLE_COLORS

micrograd = pytest.importorskip("micrograd.engine", reason="pip install micrograd==0.1.0 (in the test extra)")
MValue = micrograd.Value


class LValue(MValue):
    """The lecture's Value: micrograd's plus a label (set after the op, as in the lecture)."""

    def __init__(self, data: Any, _children: Any = (), _op: str = "", label: str = "") -> None:
        super().__init__(data, _children, _op)
        self.label = label


def neuron() -> Tuple[Any, List[Any]]:
    v = lecture_graphs.neuron(LValue, head=lambda n: n.relu() * 2.0 + n ** 2)  # micrograd 0.1.0 has relu and pow, not tanh
    return v["o"], [v[k] for k in ("x1", "x2", "w1", "w2", "b")]


def all_nodes(root: Any) -> List[Any]:
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        out.append(v)
        stack.extend(v._prev)
    return out


def grads(root: Any) -> List[Tuple[int, float]]:
    return sorted((id(v), v.grad) for v in all_nodes(root))


def test_micrograd_values_are_drawn_with_rows_ops_and_their_gradients() -> None:
    o, (x1, x2, w1, w2, b) = neuron()
    before = grads(o)
    g = viz.draw_graph(o, grads="computed", edge_labels="flow", inputs=[x1, x2])
    assert grads(o) == before  # every closure ran with the gradients saved and restored
    fresh, leaves = neuron()
    fresh.backward()  # micrograd's own backward: the expected numbers
    src = g.source
    text = {tuple(cells(src, k))[0]: cells(src, k) for k in (n for n, _ in _nodes(src)) if cells(src, k)}
    assert text["w1"] == ["w1", "data -3.0000", f"grad {leaves[2].grad:.4f}"]
    assert text["x1"][-1] == f"grad {leaves[0].grad:.4f}" and text["o"][-1] == "grad 1.0000"
    assert fill(src, _id(src, "x1")) == ROLE_COLORS["input"][0] and fill(src, _id(src, "w1")) == ROLE_COLORS["parameter"][0]
    assert sorted(op_label(src, k) for k, _ in _nodes(src) if k.endswith("op")) == sorted(
        ["*", "*", "+", "+", "ReLU", "*", "**2", "+"])
    # each part sent along an edge, by micrograd's closure, as backward() sends it
    parts = [edge_label(a) for _, _, a in dot_edges(src) if edge_label(a)]
    assert "← " + f"{leaves[2].grad:.4f}" in parts


def _nodes(src: str) -> List[Tuple[str, str]]:
    from dot_read import dot_nodes

    return list(dot_nodes(src).items())


def _id(src: str, label: str) -> str:
    return next(k for k, _ in _nodes(src) if cells(src, k)[:1] == [label])


def test_micrograd_set_order_does_not_change_the_drawing() -> None:
    """_prev is a set: its order changes with PYTHONHASHSEED and with ids; the DOT must not."""
    script = (
        "import sys; sys.path.insert(0, %r)\n"
        "from test_viz_micrograd import neuron\n"
        "import viz\n"
        "o, _ = neuron()\n"
        "print(viz.draw_graph(o, grads='computed', edge_labels='flow').source)\n"
        "print(viz.to_text(o, grads='computed'))\n"
    ) % str(Path(__file__).parent)
    outs = []
    for seed in ("0", "1", "4242"):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONHASHSEED=seed), timeout=120, cwd=Path(__file__).parent.parent)
        assert run.returncode == 0, run.stderr
        outs.append(run.stdout)
    assert outs[0] == outs[1] == outs[2]
    # inside one process too, building the same expression twice
    assert viz.draw_graph(neuron()[0]).source == viz.draw_graph(neuron()[0]).source


def test_micrograd_frames_end_at_micrograds_own_gradients_and_restore_every_grad() -> None:
    o, leaves = neuron()
    o.backward()  # a graph that already holds gradients: they must survive the frames
    held = grads(o)
    frames = viz.backward_frames(o)
    assert grads(o) == held
    fresh, _ = neuron()
    fresh.backward()
    order = [n for n in _topo(fresh)]
    assert len(frames) == sum(1 for n in order if n._prev)
    final = frames[-1].info["grads"]
    assert sorted(round(x, 12) for x in final) == sorted(round(n.grad, 12) for n in order)
    # the stepper's text: micrograd's closure source, with the numbers
    step = frames[0].info["step_text"]
    assert step.path == "micrograd/engine.py" and "out.grad" in str(step)


def _topo(root: Any) -> List[Any]:
    adapter = viz.nodes.adapter_for(root, "test")
    return viz.nodes.walk(root, adapter, 10_000, "test", lambda *a: "too big")


def test_micrograd_to_text_and_a_plain_micrograd_mlp() -> None:
    from micrograd.nn import MLP

    import random

    random.seed(0)
    model = MLP(2, [3, 1])
    xs = [MValue(0.5), MValue(-1.0)]
    loss = (model(xs) - 1.0) ** 2
    text = viz.to_text(loss, grads="computed", inputs=xs)
    assert text.splitlines()[0].startswith("#") and "(**2)" in text.splitlines()[0]
    assert text.count("input") >= 2 and "parameter" in text
    g = viz.draw_graph(loss, grads="computed", inputs=xs)
    assert g.info["nodes"] == len(_topo(loss))
    assert all(p.grad == 0 for p in model.parameters())  # nothing was left behind
    with pytest.raises(TypeError, match=r"inputs=\.\.\.\): got a float"):
        viz.draw_graph(loss, inputs=[0.5])


def test_a_micrograd_rule_that_raises_leaves_every_grad_as_it_was() -> None:
    a, b = LValue(2.0, label="a"), LValue(3.0, label="b")
    c = a * b
    c.label = "c"

    def broken() -> None:
        a.grad += 1.0
        raise ZeroDivisionError("a rule that fails half way")

    c._backward = broken
    a.grad, b.grad, c.grad = 0.25, 0.5, 0.75
    with pytest.raises(ZeroDivisionError):
        viz.draw_graph(c, grads="computed")
    assert (a.grad, b.grad, c.grad) == (0.25, 0.5, 0.75)
    # the stored gradients still draw (the failing rule only ran to reserve room, restored)
    assert "grad 0.7500" in viz.draw_graph(c).source
    assert (a.grad, b.grad, c.grad) == (0.25, 0.5, 0.75)


def test_anything_not_node_shaped_is_still_refused_with_the_fix() -> None:
    class Half:
        data, grad, _op = 1.0, 0.0, ""

    with pytest.raises(TypeError, match=r"micrograd-style Value with data, grad, _prev, _op and _backward"):
        viz.draw_graph(Half())


def test_a_deep_micrograd_chain_is_walked_without_recursion_and_a_huge_one_refused() -> None:
    import sys as _sys

    x = MValue(0.5)
    y = x
    for _ in range(1500):  # micrograd's own backward() would hit the recursion limit here
        y = y * 1.0001 + 0.0
    limit = _sys.getrecursionlimit()
    _sys.setrecursionlimit(200)
    try:
        text = viz.to_text(y, max_nodes=10_000)
        with pytest.raises(viz.GraphTooLarge, match=r"draw_graph: this graph has 6,001 nodes, more than max_nodes=400"):
            viz.draw_graph(y)
        with pytest.raises(viz.GraphTooLarge, match=r"draw_graph: this graph has more than 2,000 nodes"):
            viz.draw_graph(y, max_nodes=40)  # refused after 50 x max_nodes nodes, before walking them all
    finally:
        _sys.setrecursionlimit(limit)
    assert len(text.splitlines()) > 1500
