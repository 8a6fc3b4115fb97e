"""viz graphs of Value expressions: DOT content, determinism, backward frames, rendering.

The lecture graphs (a neuron, L = (a*b + c) * f, b = a + a) are checked for what a slide
must show: labels, roles and their colours, the legend, data and gradients, local
derivatives and gradient parts on the edges. Gradients drawn are compared with what
``backward()`` computes on a fresh copy of the same expression, never with numbers
typed in from the drawing. Rendering is tested through the system ``dot`` and, with
``dot`` hidden from PATH, through pygraphviz; each skips with a reason when absent,
unless AUTOGRAD_LITE_REQUIRE_RENDER is set (CI), where absence fails.
"""

from __future__ import annotations

import html
import io
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite import Value, gc_paused
from autograd_lite.graph import topological_order
from viz import (
    DEFAULT_MAX_NODES,
    ROLE_COLORS,
    DotGraph,
    GraphTooLarge,
    RendererNotFound,
    available_renderers,
    backward_frames,
    draw_graph,
    save_frames,
    to_text,
)
from viz.nodes import fmt

import lecture_graphs

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

# ---------------------------------------------------------------------- lecture graphs


def neuron() -> Dict[str, Value]:
    """o = tanh(x1*w1 + x2*w2 + b), the textbook numbers (o = 0.7071)."""
    return lecture_graphs.neuron(sum_label="x1*w1 + x2*w2", requires_grad=False)


def lecture_L() -> Dict[str, Value]:
    """L = (a*b + c) * f with a=2, b=-3, c=10, f=-2 (L = -8)."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L)


def fan_out() -> Dict[str, Value]:
    """b = a + a: a appears twice in b._prev, so two edges carry one part each."""
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    return dict(a=a, b=b)


# ---------------------------------------------------------------------- reading DOT

import dot_read  # noqa: E402
from dot_read import cells, dot_edges, dot_nodes, edge_label, fill, footer, footer_cells, op_label, text_of  # noqa: E402


def ids(root: Value) -> Dict[int, str]:
    """id(node) -> its DOT id: the position in the shared topological order."""
    return {id(n): f"n{i}" for i, n in enumerate(topological_order(root))}


def node_state(root: Value) -> List[Tuple[Any, ...]]:
    return [
        (n.data, n.grad, n._prev, n._op, n._rule, n.label, n.requires_grad) for n in topological_order(root)
    ]


# ---------------------------------------------------------------------- record style


def test_neuron_rows_roles_colours_and_legend() -> None:
    v = neuron()
    v["o"].backward()
    src = draw_graph(v["o"]).source
    nid = ids(v["o"])
    # Each value: label | data | grad, with the gradient backward() left on it.
    assert cells(src, nid[id(v["o"])]) == ["o", "data 0.7071", "grad 1.0000"]
    assert cells(src, nid[id(v["n"])]) == ["n", "data 0.8814", f"grad {v['n'].grad:.4f}"] == ["n", "data 0.8814", "grad 0.5000"]
    assert cells(src, nid[id(v["w1"])]) == ["w1", "data -3.0000", f"grad {v['w1'].grad:.4f}"]
    assert v["w1"].grad == pytest.approx(2.0 * 0.5)  # do/dw1 = x1 (1 - o^2)
    assert cells(src, nid[id(v["w2"])]) == ["w2", "data 1.0000", "grad 0.0000"]  # x2 = 0
    # Inputs take no gradient, and the drawing says so instead of showing 0.
    assert cells(src, nid[id(v["x1"])]) == ["x1", "data 2.0000", "no grad"]
    # Role colours: inputs, parameters, intermediates, the output; and a second cue, the outline.
    nodes = dot_nodes(src)
    colour = {name: fill(src, nid[id(node)]) for name, node in v.items()}
    assert colour["x1"] == colour["x2"] == ROLE_COLORS["input"][0]
    assert colour["w1"] == colour["w2"] == colour["b"] == ROLE_COLORS["parameter"][0]
    assert colour["x1w1"] == colour["s"] == colour["n"] == ROLE_COLORS["intermediate"][0]
    assert colour["o"] == ROLE_COLORS["output"][0]
    assert len({colour["x1"], colour["w1"], colour["n"], colour["o"]}) == 4
    assert 'STYLE="dashed"' in nodes[nid[id(v["x1"])]] and 'STYLE="dashed"' not in nodes[nid[id(v["w1"])]]
    borders = {name: re.search(r'<TABLE BORDER="(\d)"[^>]*BGCOLOR', nodes[nid[id(v[name])]]).group(1) for name in ("w1", "n", "o")}
    assert int(borders["n"]) < int(borders["w1"]) < int(borders["o"])  # intermediate, parameter, output
    # One op node per op, between a value and its inputs.
    ops = sorted(op_label(src, k) for k in nodes if k.endswith("op"))
    assert ops == ["*", "*", "+", "+", "tanh"]
    assert (nid[id(v["n"])], nid[id(v["o"])] + "op", "") in dot_edges(src)
    assert (nid[id(v["o"])] + "op", nid[id(v["o"])], "") in dot_edges(src)
    # The legend: one row under the graph, the roles present in their colours, and only those.
    legend = footer(src)
    assert footer_cells(src) == [ROLE_COLORS[r][1] for r in ("input", "parameter", "intermediate", "output")]
    for role in ("input", "parameter", "intermediate", "output"):
        assert f'BGCOLOR="{ROLE_COLORS[role][0]}"' in legend
    assert ROLE_COLORS["constant"][1] not in footer_cells(src)
    assert src.count("<TR>", src.index("  label=<")) == 2  # the footer's one row around the legend's one row


def test_neuron_local_derivatives_on_edges() -> None:
    v = neuron()
    src = draw_graph(v["o"], edge_labels="local").source
    nid = ids(v["o"])
    labels = {(a, b): edge_label(attrs) for a, b, attrs in dot_edges(src)}
    o = math.tanh(2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432)

    def local(src_node: str, dst_node: str) -> str:
        return labels[(nid[id(v[src_node])], nid[id(v[dst_node])] + "op")]

    assert local("n", "o") == f"∂ {1 - o * o:.4f}" == "∂ 0.5000"  # d tanh(n)/dn = 1 - o^2
    assert local("w1", "x1w1") == "∂ 2.0000"  # d(x1 w1)/dw1 = x1
    assert local("w2", "x2w2") == "∂ 0.0000"  # = x2
    assert local("b", "n") == local("s", "n") == local("x1w1", "s") == "∂ 1.0000"
    # The engine computes no derivative for inputs that take no gradient: no label.
    assert local("x1", "x1w1") == "" and local("x2", "x2w2") == ""
    assert "∂ = local derivative d(out)/d(in)" in footer_cells(src)


def test_L_flow_parts_match_backward_and_computed_grads_match_stored() -> None:
    v = lecture_L()
    before = node_state(v["L"])
    computed = draw_graph(v["L"], edge_labels="flow", grads="computed").source
    assert node_state(v["L"]) == before, "draw_graph(grads='computed') changed the graph"
    v["L"].backward()
    stored = draw_graph(v["L"], edge_labels="flow").source
    assert computed == stored  # the simulated backward draws what backward() computed
    nid = ids(v["L"])
    labels = {(a, b): edge_label(attrs) for a, b, attrs in dot_edges(stored)}

    def flow(src_node: str, dst_node: str) -> str:
        return labels[(nid[id(v[src_node])], nid[id(v[dst_node])] + "op")]

    # dL/dd = f, dL/df = d; through +: dL/de = dL/dc = f; through *: dL/da = b f, dL/db = a f
    assert flow("d", "L") == f"← {v['d'].grad:.4f}" == "← -2.0000"
    assert flow("f", "L") == f"← {v['f'].grad:.4f}" == "← 4.0000"
    assert flow("e", "d") == flow("c", "d") == "← -2.0000"
    assert flow("a", "e") == f"← {v['a'].grad:.4f}" == "← 6.0000"
    assert flow("b", "e") == f"← {v['b'].grad:.4f}" == "← -4.0000"
    assert cells(stored, nid[id(v["L"])]) == ["L", "data -8.0000", "grad 1.0000"]


def test_fan_out_node_shows_the_sum_and_each_edge_a_part() -> None:
    v = fan_out()
    v["b"].backward()
    src = draw_graph(v["b"], edge_labels="flow").source
    edges = [(a, b, edge_label(attrs)) for a, b, attrs in dot_edges(src)]
    assert edges.count(("n0", "n1op", "← 1.0000")) == 2  # two edges, one part each
    assert cells(src, "n0") == ["a", "data 3.0000", f"grad {v['a'].grad:.4f}"] == ["a", "data 3.0000", "grad 2.0000"]
    local = draw_graph(v["b"], edge_labels="local").source
    assert [edge_label(attrs) for a, b, attrs in dot_edges(local) if a == "n0"] == ["∂ 1.0000", "∂ 1.0000"]
    # a * a: the parts are a and a (d(a*a)/da = a + a): each edge shows one.
    a = Value(3.0, label="a")
    sq = a * a
    sq.backward()
    src = draw_graph(sq, edge_labels="flow").source
    assert [edge_label(attrs) for x, _, attrs in dot_edges(src) if x == "n0"] == ["← 3.0000", "← 3.0000"]
    assert cells(src, "n0")[-1] == "grad 6.0000"


def test_constants_are_small_ovals_with_their_number_and_no_edge_label() -> None:
    x = Value(1.5, label="x")
    y = (x * 2.0) ** 2 + x.leaky_relu(0.1)  # 2.0, the exponent 2 and the slope are constants
    y.label = "y"
    y.backward()
    src = draw_graph(y, edge_labels="flow").source
    order = topological_order(y)
    consts = [f"n{i}" for i, n in enumerate(order) if not n._prev and not n.requires_grad]
    assert len(consts) == 3
    nodes = dot_nodes(src)
    assert sorted(op_label(src, c) for c in consts) == ["0.1000", "2.0000", "2.0000"]
    assert all("shape=ellipse" in nodes[c] and "TABLE" not in nodes[c] for c in consts)
    assert all(attrs == "" for a, _, attrs in dot_edges(src) if a in consts)
    assert f'BGCOLOR="{ROLE_COLORS["constant"][0]}"' in footer(src) and "constant" in footer_cells(src)
    # The flow parts into x add up to x.grad: d/dx (2x)^2 + leaky(x) = 8x + 1.
    parts = [float(edge_label(attrs)[2:]) for a, _, attrs in dot_edges(src) if a == "n0"]
    assert len(parts) == 2  # x * 2.0 and leaky_relu(x)
    assert sum(parts) == pytest.approx(x.grad) == pytest.approx(8 * 1.5 + 1)


def test_params_names_label_and_mark_parameters() -> None:
    w = Value(0.5)  # unlabelled, as nn parameters are
    x = Value(2.0, label="x", requires_grad=False)
    y = w * x
    src = draw_graph(y, params={"layer0.w": w}).source
    assert cells(src, "n0")[0] == "layer0.w"
    with pytest.raises(TypeError, match=r"draw_graph\(params=\.\.\.\).*named_parameters"):
        draw_graph(y, params=[w])  # type: ignore[arg-type]


# ---------------------------------------------------------------------- circuit style


def wire(attrs: str) -> Dict[str, str]:
    """The value (blue), gradient (orange, after "← ") and local derivative (after "∂ ") of a
    circuit wire, each a line of its label."""
    from viz.graph import GRAD_COLOR, VALUE_COLOR

    got = {}
    label = dot_read.label_html(attrs) or ""
    for color, name in ((VALUE_COLOR, "value"), (GRAD_COLOR, "grad")):
        m = re.search(rf'<FONT COLOR="{color}">(.*?)</FONT>', label)
        if m:
            got[name] = text_of(m.group(1)).removeprefix("← ")
    local = [line for line in text_of(label).split("\n") if line.startswith("∂")]
    if local:
        got["local"] = local[0]
    return got


def test_circuit_values_in_green_above_gradients_in_red_below() -> None:
    v = lecture_L()
    v["L"].backward()
    src = draw_graph(v["L"], style="circuit").source
    nid = ids(v["L"])
    edges = {(a, b): attrs for a, b, attrs in dot_edges(src)}
    w = edges[(nid[id(v["a"])], nid[id(v["e"])] + "op")]
    assert wire(w) == {"value": "2.0000", "grad": "6.0000"}
    from viz.graph import GRAD_COLOR, VALUE_COLOR

    assert w.index(VALUE_COLOR) < w.index("<BR/>") < w.index(GRAD_COLOR)  # the value above, the gradient below
    assert "← 6.0000" in edge_label(w)  # not colour alone: the gradient's arrow says "backward"
    # An interior value travels from its gate to the next: e = a*b into the + gate.
    assert wire(edges[(nid[id(v["e"])] + "op", nid[id(v["d"])] + "op")]) == {"value": "-6.0000", "grad": "-2.0000"}
    # The output wire ends at the output's name, with its value and gradient 1.
    assert wire(edges[(nid[id(v["L"])] + "op", nid[id(v["L"])])]) == {"value": "-8.0000", "grad": "1.0000"}
    assert "value (forward)" in footer_cells(src) and "← gradient (backward)" in footer_cells(src)
    # Gates, not boxes: the ops are circles, and no value has a data cell (values are on the wires).
    assert all("shape=circle" in a for k, a in dot_nodes(src).items() if k.endswith("op"))
    assert "data " not in src


def test_circuit_fan_out_branch_carries_the_total_and_its_wires_the_parts() -> None:
    x, y = Value(1.5, label="x"), Value(-2.0, label="y")
    t = x * y
    t.label = "t"
    z = t * t + t  # t used three times: dz/dt = 2t + 1 = -5
    z.label = "z"
    z.backward()
    src = draw_graph(z, style="circuit", edge_labels="local").source
    nid = ids(z)
    ti = nid[id(t)]
    assert "shape=point" in dot_nodes(src)[ti]  # the branch point
    into = [attrs for a, b, attrs in dot_edges(src) if b == ti]
    assert len(into) == 1 and wire(into[0])["grad"] == fmt(t.grad) == "-5.0000"
    out = [wire(attrs) for a, b, attrs in dot_edges(src) if a == ti]
    assert [w["grad"] for w in out] == ["-3.0000", "-3.0000", "1.0000"]  # parts t, t, 1
    assert sum(float(w["grad"]) for w in out) == pytest.approx(t.grad)
    assert [w["local"] for w in out] == ["∂ -3.0000", "∂ -3.0000", "∂ 1.0000"]
    # A leaf used twice: its box shows the total, its wires the parts.
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    src = draw_graph(b, style="circuit").source
    assert cells(src, "n0") == ["a", "grad 2.0000"]
    assert [wire(attrs)["grad"] for a_, _, attrs in dot_edges(src) if a_ == "n0"] == ["1.0000", "1.0000"]


# ---------------------------------------------------------------------- determinism


def test_the_same_expression_gives_byte_identical_dot() -> None:
    for make, root in ((neuron, "o"), (lecture_L, "L"), (fan_out, "b")):
        for options in ({}, {"edge_labels": "local"}, {"edge_labels": "flow", "style": "circuit"}):
            first = draw_graph(make()[root], **options).source
            assert draw_graph(make()[root], **options).source == first


_PRINT_DOT = """
import sys
sys.path.insert(0, {tests!r})
from test_viz_graph import neuron, lecture_L
from viz import draw_graph, backward_frames
v = neuron(); v["o"].backward()
print(draw_graph(v["o"], edge_labels="flow").source)
print(draw_graph(lecture_L()["L"], style="circuit", grads="computed").source)
print(backward_frames(lecture_L()["L"])[2].source)
"""


def test_dot_is_identical_across_processes_and_hash_seeds() -> None:
    outs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        script = _PRINT_DOT.format(tests=str(Path(__file__).parent))
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        assert run.returncode == 0, run.stderr
        outs.append(run.stdout)
    assert outs[0] == outs[1] and "digraph" in outs[0]
    v = neuron()
    v["o"].backward()
    assert outs[0].startswith(draw_graph(v["o"], edge_labels="flow").source)


@pytest.mark.parametrize(
    "name, make, root, options",
    [
        ("neuron_local", neuron, "o", {"edge_labels": "local", "grads": "computed"}),
        ("L_flow", lecture_L, "L", {"edge_labels": "flow", "grads": "computed"}),
        ("L_circuit", lecture_L, "L", {"style": "circuit", "grads": "computed"}),
        ("fan_out_flow", fan_out, "b", {"edge_labels": "flow", "grads": "computed"}),
    ],
)
def test_dot_snapshots(name: str, make: Callable[[], Dict[str, Value]], root: str, options: Dict[str, Any]) -> None:
    """The exact DOT of the lecture graphs: any change to a slide shows up in review.

    Regenerate with AUTOGRAD_LITE_UPDATE_SNAPSHOTS=1 after a deliberate change (and look
    at the rendered pictures); the content tests above say what must hold.
    """
    source = draw_graph(make()[root], **options).source
    path = SNAPSHOTS / f"{name}.dot"
    if os.environ.get("AUTOGRAD_LITE_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(source)
    assert path.exists(), f"missing snapshot {path}; run with AUTOGRAD_LITE_UPDATE_SNAPSHOTS=1"
    assert source == path.read_text()


# ---------------------------------------------------------------------- viz never mutates


def test_no_drawing_changes_the_graph() -> None:
    for make, root in ((neuron, "o"), (lecture_L, "L"), (fan_out, "b")):
        for backward_first in (False, True):
            out = make()[root]
            if backward_first:
                out.backward()
            before = node_state(out)
            for style in ("record", "circuit"):
                for edges in (None, "local", "flow"):
                    for grads in ("stored", "computed"):
                        draw_graph(out, style=style, edge_labels=edges, grads=grads)
                backward_frames(out, style=style)
            to_text(out)
            to_text(out, grads="computed")
            assert node_state(out) == before


def test_graph_drawing_imports_nothing_that_mutates_graphs() -> None:
    import viz

    names = set()
    for stem in ("graph", "nodes", "render", "frames", "clusters", "steps", "layout", "text", "legibility"):  # the graph-drawing modules
        path = Path(viz.__file__).parent / f"{stem}.py"
        names |= set(re.findall(r"^\s*(?:from|import) ([\w.]+)", path.read_text(), flags=re.M))
    project = {n for n in names if n.split(".")[0] in ("autograd_lite", "nn")}
    # autograd_lite.tensor: the Tensor type and its `accumulate_grad`, which viz runs only on
    # throwaway holders (test_viz_tensor.py checks that no Tensor graph changes);
    # nn.record: draw_model records which module makes which node while the model runs;
    # nn.scalar: clusters tell a Neuron's call from a layer's; nn.files: atomic file writes.
    allowed = {"autograd_lite.engine", "autograd_lite.graph", "autograd_lite.tensor", "nn.record", "nn.scalar", "nn.files"}
    assert project <= allowed, project


# ---------------------------------------------------------------------- backward frames

LEAF_DATA = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda x: abs(x) > 1e-3)
UNARY = ["tanh", "sigmoid", "relu", "leaky_relu", "abs", "sin", "cos", "softplus", "exp", "square", "sqrt", "log", "neg"]
BINARY = ["+", "*", "-", "/", "pow"]


@st.composite
def expressions(draw: Any) -> Callable[[], Value]:
    """A builder of a random expression with shared subexpressions and constants; each call
    builds a fresh copy of the same graph."""
    datas = draw(st.lists(LEAF_DATA, min_size=1, max_size=4))
    no_grad = draw(st.lists(st.booleans(), min_size=len(datas), max_size=len(datas)))
    steps = draw(
        st.lists(
            st.one_of(
                st.tuples(st.sampled_from(UNARY), st.integers(0, 99), st.just(0)),
                st.tuples(st.sampled_from(BINARY), st.integers(0, 99), st.integers(0, 99)),
            ),
            min_size=1,
            max_size=10,
        )
    )

    def build() -> Value:
        pool = [Value(x, label=f"x{i}", requires_grad=(i == 0 or not ng)) for i, (x, ng) in enumerate(zip(datas, no_grad))]
        for op, i, j in steps:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            if op in ("sqrt", "log"):
                a = abs(a) + 0.5  # keep inside the domain
            out = {
                "tanh": lambda: a.tanh(), "sigmoid": lambda: a.sigmoid(), "relu": lambda: a.relu(),
                "leaky_relu": lambda: a.leaky_relu(0.1), "abs": lambda: abs(a), "sin": lambda: a.sin(),
                "cos": lambda: a.cos(), "softplus": lambda: a.softplus(), "exp": lambda: a.tanh().exp(),
                "square": lambda: a**2, "sqrt": lambda: a.sqrt(), "log": lambda: a.log(), "neg": lambda: -a,
                "+": lambda: a + b, "*": lambda: a * b, "-": lambda: a - b, "/": lambda: a / (b * b + 1.0),
                "pow": lambda: (a * a + 0.5) ** b,
            }[op]()
            pool.append(out.tanh() if abs(out.data) > 100.0 else out)  # keep numbers moderate
        return pool[-1] + pool[0]  # depends on x0, which requires grad: there is a graph

    return build


def check_frames_against_backward(build: Callable[[], Value]) -> None:
    shown = build()
    before = node_state(shown)
    frames = backward_frames(shown, max_nodes=10_000)
    assert node_state(shown) == before, "backward_frames changed the graph"
    order = topological_order(shown)
    assert len(frames) == sum(n._rule is not None for n in order)
    fresh = build()
    fresh.backward()
    expected = [n.grad for n in topological_order(fresh)]
    assert frames[-1].info["grads"] == expected  # bit for bit: the same rules, the same order
    assert frames[-1].info["final"] == [True] * len(order)
    # Each frame runs the next rule in the order backward() runs them.
    ran = [f.info["node"] for f in frames]
    assert ran == [i for i in range(len(order) - 1, -1, -1) if order[i]._rule is not None]


def test_frames_of_the_lecture_graphs_end_at_backwards_gradients() -> None:
    for make, root in ((neuron, "o"), (lecture_L, "L"), (fan_out, "b")):
        check_frames_against_backward(lambda: make()[root])


@given(expressions())
def test_frames_of_random_graphs_end_at_backwards_gradients(build: Callable[[], Value]) -> None:
    check_frames_against_backward(build)


@given(expressions())
def test_flow_parts_sum_to_each_nodes_gradient(build: Callable[[], Value]) -> None:
    out = build()
    out.backward()
    g = draw_graph(out, edge_labels="flow", max_nodes=10_000)
    order = topological_order(out)
    index = {id(n): i for i, n in enumerate(order)}
    received = [0.0] * len(order)
    for i, node in enumerate(order):
        for p, part in zip(node._prev, g.info["parts"][i] or ()):
            if part is not None:
                received[index[id(p)]] += part
    for i, node in enumerate(order[:-1]):
        if node.requires_grad:
            assert received[i] == pytest.approx(node.grad, rel=1e-12, abs=1e-12), (i, node)


def test_frames_highlight_the_running_rule_and_mark_incomplete_grads_by_style() -> None:
    from viz.graph import GRAD_COLOR, HIGHLIGHT, PENDING

    v = lecture_L()
    frames = backward_frames(v["L"])
    nid = ids(v["L"])
    assert [f.info["step"] for f in frames] == [1, 2, 3]
    first = frames[0].source
    # Step 1: L's * rule runs, with upstream gradient 1, sending f = -2 to d and d = 4 to f.
    assert footer_cells(first)[0] == "step 1 of 3: the * rule of L sends its gradient 1.0000 to d and f"
    assert frames[0].info["caption"] == footer_cells(first)[0]
    # The running node: a ring in the gradient colour (drawn only then), its gradient bold on yellow.
    rings = [k for k, a in dot_nodes(first).items() if f'COLOR="{GRAD_COLOR}"><TR><TD><TABLE' in a]
    assert rings == [nid[id(v["L"])]]
    assert f'BGCOLOR="{HIGHLIGHT}"><B>grad 1.0000</B>' in dot_nodes(first)[nid[id(v["L"])]]
    assert "penwidth=3" in dot_nodes(first)[nid[id(v["L"])] + "op"]
    hot = [(a, edge_label(attrs)) for a, b, attrs in dot_edges(first) if "penwidth=3" in attrs]
    assert hot == [(nid[id(v["d"])], "← -2.0000"), (nid[id(v["f"])], "← 4.0000")]
    assert all("<B>" in attrs for a, b, attrs in dot_edges(first) if "penwidth=3" in attrs)  # bold, not colour alone
    # Not complete yet: italics and a trailing "…", in black (contrast), never faint grey.
    assert cells(first, nid[id(v["a"])])[-1] == f"grad 0.0000 {PENDING}"
    assert f"<I>grad 0.0000 {PENDING}</I>" in dot_nodes(first)[nid[id(v["a"])]]
    assert cells(first, nid[id(v["d"])])[-1] == "grad -2.0000"  # complete after step 1
    assert "#9e9e9e" not in first
    last = frames[-1].source
    assert PENDING not in "".join(cells(last, nid[id(v[k])])[-1] for k in ("a", "b", "c", "f", "e", "d", "L"))
    assert cells(last, nid[id(v["a"])])[-1] == "grad 6.0000"
    assert f"grad {PENDING} = not complete yet" in footer_cells(first)


# ---------------------------------------------------------------------- text


def test_to_text_shows_shared_subexpressions_once() -> None:
    x, y = Value(1.5, label="x"), Value(-2.0, label="y")
    t = x * y
    t.label = "t"
    z = t * t + t
    z.label = "z"
    text = to_text(z, grads="computed")
    lines = text.splitlines()
    assert lines[0] == "z = #4  data 6.0000  grad 1.0000  (+)"
    assert sum("t = #2  data -3.0000  grad -5.0000  (*)" in line for line in lines) == 1
    assert sum("t = #2  (*, shown above)" in line for line in lines) == 2
    assert len(lines) == 7  # z, t*t, t (full: x, y), t (ref), t (ref)
    v = neuron()
    assert "x1 = #0  data 2.0000  no grad  input" in to_text(v["o"])
    assert to_text(v["o"]) == to_text(neuron()["o"])


def test_no_recursion_even_with_a_tiny_recursion_limit() -> None:
    x = Value(0.3, label="x")
    y = x
    for _ in range(1500):  # deeper than CPython's default recursion limit
        y = y.sin()
    limit = sys.getrecursionlimit()
    depth = len(__import__("inspect").stack(0))
    sys.setrecursionlimit(depth + 60)  # a recursive walk would need ~1500 more frames
    try:
        src = draw_graph(y, max_nodes=2000, grads="computed", edge_labels="flow").source
        text = to_text(y, max_nodes=2000)
    finally:
        sys.setrecursionlimit(limit)
    assert src.count("label=<sin>") == 1500 and len(text.splitlines()) == 1501


# ---------------------------------------------------------------------- size guard


def test_million_node_chain_is_walked_counted_and_refused() -> None:
    with gc_paused():
        x = Value(0.5, label="x")
        for _ in range(999_999):
            x = x.tanh()
    assert len(topological_order(x)) == 1_000_000
    for draw in (draw_graph, backward_frames, to_text):
        with pytest.raises(GraphTooLarge) as err:
            draw(x)
        message = str(err.value)
        assert f"{draw.__name__}: this graph has 1,000,000 nodes, more than max_nodes={DEFAULT_MAX_NODES}" in message
        assert "single sample" in message and "smaller model" in message and "collapse=True" in message
    del x


def test_the_guard_counts_values_and_is_exact_at_the_boundary() -> None:
    v = neuron()  # 10 values
    assert "digraph" in draw_graph(v["o"], max_nodes=10).source
    with pytest.raises(GraphTooLarge, match=r"has 10 nodes, more than max_nodes=9"):
        draw_graph(v["o"], max_nodes=9)
    with pytest.raises(ValueError, match=r"draw_graph: max_nodes must be a positive int, got 0"):
        draw_graph(v["o"], max_nodes=0)


def test_collapse_without_a_module_record_says_how_to_make_one() -> None:
    with pytest.raises(ValueError, match=r"draw_graph\(collapse=True\): .*nn.record_calls\(\).*draw_model"):
        draw_graph(neuron()["o"], collapse=True)


def test_bad_arguments_name_the_function_value_and_fix() -> None:
    o = neuron()["o"]
    with pytest.raises(TypeError, match=r"draw_graph: expected the output node .*got list.*draw_graph\(loss\)"):
        draw_graph([o])
    with pytest.raises(ValueError, match=r"style='boxes'; use 'record'"):
        draw_graph(o, style="boxes")
    with pytest.raises(ValueError, match=r"edge_labels='grad'; use None, 'local'"):
        draw_graph(o, edge_labels="grad")
    with pytest.raises(ValueError, match=r"rankdir='XY'"):
        draw_graph(o, rankdir="XY")
    with pytest.raises(ValueError, match=r"cannot tell a format from 'o.jpg'; use a .svg, .png or .pdf"):
        draw_graph(o).save("o.jpg")
    assert "rankdir=TB" in draw_graph(o, rankdir="TB").source
    src = draw_graph(o, show_data=False, show_grad=False).source
    assert "data " not in src and "grad " not in src


# ---------------------------------------------------------------------- rendering

MAGIC = {"svg": b"<svg", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def _require_or_skip(reason: str) -> None:
    if os.environ.get("AUTOGRAD_LITE_REQUIRE_RENDER"):
        pytest.fail(f"{reason}, and AUTOGRAD_LITE_REQUIRE_RENDER is set (CI must test both renderers)")
    pytest.skip(reason)


def _path_without_dot() -> str:
    return os.pathsep.join(
        d for d in os.environ.get("PATH", "").split(os.pathsep) if not (d and os.path.isfile(os.path.join(d, "dot")))
    )


@pytest.fixture
def system_dot() -> str:
    if shutil.which("dot") is None:
        _require_or_skip("system Graphviz `dot` is not on PATH (apt-get install graphviz)")
    return "dot"


@pytest.fixture
def bundled_only(monkeypatch: pytest.MonkeyPatch) -> str:
    """pygraphviz with the system `dot` hidden from PATH: the classroom-laptop path."""
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        _require_or_skip('pygraphviz is not installed (pip install "autograd-lite[render]")')
    monkeypatch.setenv("PATH", _path_without_dot())
    assert shutil.which("dot") is None
    assert available_renderers() == ["pygraphviz"]
    return "pygraphviz"


def _check_render(graph: DotGraph, tmp_path: Path, renderer: str) -> None:
    for fmt_ in ("svg", "png", "pdf"):
        path = graph.save(tmp_path / f"neuron_{renderer}.{fmt_}", renderer=renderer)
        data = path.read_bytes()
        assert MAGIC[fmt_] in data[:400], (fmt_, data[:40])
        assert len(data) > 1000
    svg = (tmp_path / f"neuron_{renderer}.svg").read_text()
    # The laid-out picture holds the slide's numbers and names.
    for text in ("data 0.7071", "grad 0.5000", "w1", "tanh", "parameter", "input (data)"):
        assert text in svg, text
    assert "<title>" not in svg  # no internal ids ("n2op") on hover


def test_render_svg_png_pdf_through_system_dot(system_dot: str, tmp_path: Path) -> None:
    v = neuron()
    v["o"].backward()
    _check_render(draw_graph(v["o"], edge_labels="flow"), tmp_path, system_dot)
    # The default picks dot first, and the default format is SVG.
    assert available_renderers()[0] == "dot"
    assert draw_graph(v["o"]).save(tmp_path / "plain").name == "plain.svg"


def test_render_svg_png_pdf_through_pygraphviz_with_no_dot_on_path(bundled_only: str, tmp_path: Path) -> None:
    v = neuron()
    v["o"].backward()
    graph = draw_graph(v["o"], edge_labels="flow")
    _check_render(graph, tmp_path, bundled_only)
    # With no renderer argument the bundled one is used; Jupyter gets an SVG.
    assert graph.save(tmp_path / "auto.png").read_bytes().startswith(MAGIC["png"])
    assert graph._repr_mimebundle_()["image/svg+xml"].lstrip().startswith("<?xml")
    assert draw_graph(v["o"], style="circuit").render(tmp_path / "circuit").name == "circuit.svg"


def test_both_renderers_draw_the_same_text(system_dot: str) -> None:
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        _require_or_skip('pygraphviz is not installed (pip install "autograd-lite[render]")')
    graph = draw_graph(lecture_L()["L"], grads="computed", edge_labels="local")
    texts = [sorted(html.unescape(t) for t in re.findall(r">([^<>]+)</text>", graph.svg(renderer=r))) for r in ("dot", "pygraphviz")]
    assert texts[0] == texts[1]
    assert "data -8.0000" in texts[0] and "∂ -2.0000" in texts[0]


def test_without_any_renderer_jupyter_shows_the_hint_and_saving_names_both_fixes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", _path_without_dot())
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import pygraphviz -> ImportError
    assert available_renderers() == []
    graph = draw_graph(neuron()["o"])
    bundle = graph._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert "pip install" in bundle["text/plain"] and graph.source in bundle["text/plain"]
    assert html.escape(graph.source) in bundle["text/html"]
    assert graph._repr_svg_() is None
    with pytest.raises(RendererNotFound) as err:
        graph.save(tmp_path / "o.png")
    message = str(err.value)
    assert message.startswith("DotGraph.save: cannot render png")
    assert "apt-get install graphviz" in message and 'pip install "autograd-lite[render]"' in message
    assert "o.png" in message and not (tmp_path / "o.png").exists()
    with pytest.raises(RendererNotFound, match=r"renderer 'dot' is not available here; install Graphviz"):
        graph.pipe("svg", renderer="dot")


def _any_renderer() -> None:
    if not available_renderers():
        _require_or_skip('no Graphviz renderer (apt-get install graphviz, or pip install "autograd-lite[render]")')


def test_save_frames_writes_numbered_svgs_a_gif_and_an_offline_html_stepper(tmp_path: Path) -> None:
    _any_renderer()
    frames = backward_frames(neuron()["o"])
    paths = save_frames(frames, tmp_path / "frames", gif=True)
    names = [p.name for p in paths]
    assert names == [f"frame_{k:03d}.svg" for k in range(1, 6)] + ["backward.html", "backward.gif"]
    assert "step 3 of 5: the + rule of" in paths[2].read_text()
    page = (tmp_path / "frames" / "backward.html").read_text()
    assert page.count("<svg") == len(frames) == 5
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert 'id="prev"' in page and 'id="next"' in page
    # Self-contained: nothing is fetched (the SVG namespace URIs are names, not requests).
    assert not re.search(r"<(script|img|link)[^>]+(src|href)=", page)
    from PIL import Image

    gif = Image.open(io.BytesIO((tmp_path / "frames" / "backward.gif").read_bytes()))
    assert gif.n_frames == 5
    durations = []
    for k in range(gif.n_frames):
        gif.seek(k)
        durations.append(gif.info["duration"])
    assert durations == [1200] * 4 + [4000]  # the last frame holds
    with pytest.raises(ValueError, match=r"save_frames: got no frames"):
        save_frames([], tmp_path)


def test_docstring_examples_of_viz() -> None:
    import doctest

    import viz
    import viz.clusters
    import viz.frames
    import viz.graph
    import viz.layout
    import viz.legibility
    import viz.nodes
    import viz.render
    import viz.steps
    import viz.text

    for module in (viz, viz.graph, viz.nodes, viz.render, viz.frames, viz.steps, viz.legibility, viz.text, viz.clusters, viz.layout):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
    assert doctest.testmod(viz.graph).attempted >= 10


def test_saving_a_graph_or_frames_is_atomic_and_leaves_no_temporary_files(tmp_path: Path, monkeypatch) -> None:
    _any_renderer()
    import os
    import stat

    import nn.files

    graph = draw_graph(neuron()["o"])
    path = graph.save(tmp_path / "o.svg")
    before = path.read_bytes()
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600

    def crash(src, dst):  # killed (or out of disk) at the last moment
        raise OSError("no space left on device")

    monkeypatch.setattr(nn.files.os, "replace", crash)
    with pytest.raises(OSError, match="no space"):
        draw_graph(neuron()["o"], edge_labels="flow").save(path)
    with pytest.raises(OSError, match="no space"):
        save_frames(backward_frames(neuron()["o"]), tmp_path, gif=True)
    assert path.read_bytes() == before  # the old picture, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.svg"]  # no half-written files left behind
