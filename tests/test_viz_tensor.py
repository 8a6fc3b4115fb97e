"""viz graphs of Tensor expressions: DOT content, determinism, Jacobians, frames, text.

The lecture graph is a small MLP built from raw Tensors, x (4, 2) -> Linear(2, 3) -> tanh
-> Linear(3, 1) -> mean squared error against y, with parameters named as
``dict(model.named_parameters())`` names them for ``Sequential(Linear, Tanh, Linear)``.
What is drawn is compared with ``backward()`` on a fresh copy of the same graph, with
PyTorch (gradients, Jacobians), or with numpy computations of the same quantities, never
with numbers read off the drawing. Rendering reuses the fixtures of test_viz_graph.py:
each renderer's test skips with a reason when it is absent (fails in CI).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Tensor, Value, gc_paused
from autograd_lite.graph import topological_order
from autograd_lite.tensor import concatenate, stack
import dot_read
from dot_read import footer_cells
from strategies import real, run_tensor_program, tensor_programs
from test_viz_graph import (  # noqa: F401  (system_dot, bundled_only: fixtures)
    MAGIC,
    ROOT,
    SNAPSHOTS,
    bundled_only,
    cells,
    dot_edges,
    dot_nodes,
    edge_label,
    system_dot,
    text_of,
    wire,
)
from viz import DEFAULT_MAX_NODES, ROLE_COLORS, GraphTooLarge, backward_frames, draw_graph, save_frames, to_text
from viz.nodes import Jacobian, TensorAdapter, array_text, fmt

# ---------------------------------------------------------------------- the lecture MLP

X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [0.0, -0.5]]
Y = [[0.3], [-0.2], [0.8], [0.1]]
W1 = [[0.2, -0.4, 0.6], [-0.1, 0.5, 0.3]]
B1 = [0.05, -0.1, 0.2]
W2 = [[0.7], [-0.3], [0.5]]
B2 = [0.1]


def tensor_mlp(dtype: str = "float64") -> Dict[str, Tensor]:
    """loss = mean((tanh(x W1 + b1) W2 + b2 - y)^2), every node kept by name."""
    x = Tensor(X, label="x", dtype=dtype)
    y = Tensor(Y, label="y", dtype=dtype)
    w1 = Tensor(W1, requires_grad=True, dtype=dtype)  # unlabelled, as nn parameters are
    b1 = Tensor(B1, requires_grad=True, dtype=dtype)
    w2 = Tensor(W2, requires_grad=True, dtype=dtype)
    b2 = Tensor(B2, requires_grad=True, dtype=dtype)
    xw = x @ w1  # (4, 2) @ (2, 3)
    z = xw + b1  # (4, 3) + (3,)
    h = z.tanh()
    hw = h @ w2  # (4, 3) @ (3, 1)
    pred = hw + b2  # (4, 1) + (1,)
    err = pred - y
    sq = err**2
    loss = sq.mean()
    loss.label = "loss"
    return dict(x=x, y=y, w1=w1, b1=b1, w2=w2, b2=b2, xw=xw, z=z, h=h, hw=hw, pred=pred, err=err, sq=sq, loss=loss)


def mlp_params(v: Dict[str, Tensor]) -> Dict[str, Tensor]:
    return {"0.weight": v["w1"], "0.bias": v["b1"], "2.weight": v["w2"], "2.bias": v["b2"]}


def ids(root: Tensor) -> Dict[int, str]:
    """id(node) -> its DOT id: the position in the shared topological order."""
    return {id(n): f"n{i}" for i, n in enumerate(topological_order(root))}


def op_label(source: str, node_id: str) -> str:
    return dot_read.op_label(source, node_id + "op")


def table_colour(source: str, node_id: str) -> str:
    return dot_read.fill(source, node_id)


def norm_text(a: np.ndarray) -> str:
    return fmt(float(np.sqrt(np.sum(np.square(a, dtype=np.float64)))))


def tensor_state(root: Any) -> List[Tuple[Any, ...]]:
    """Everything a drawing could change: fields by identity, and copies of the arrays."""
    return [
        (
            n,
            n.data,
            n.data.copy(),
            n.grad,
            None if n.grad is None else n.grad.copy(),
            n._prev,
            n._op,
            n._rule,
            n._ctx,
            n.label,
            n.requires_grad,
        )
        for n in topological_order(root)
    ]


def assert_same_state(before: List[Tuple[Any, ...]], after: List[Tuple[Any, ...]]) -> None:
    assert len(before) == len(after)
    for b, a in zip(before, after):
        for k, (x, y) in enumerate(zip(b, a)):
            if k in (2, 4):  # array copies: same numbers (nan included)
                assert (x is None) == (y is None)
                if x is not None:
                    assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)
            elif k in (0, 1, 3, 5, 7, 8):  # objects: the very same ones
                assert x is y, k
            else:
                assert x == y, k


def same_grads(got: List[Any], expected: List[Any]) -> bool:
    """Bit for bit: both None, or arrays of the same dtype, shape and numbers."""
    if len(got) != len(expected):
        return False
    for g, e in zip(got, expected):
        if (g is None) != (e is None):
            return False
        if g is not None and (g.dtype != e.dtype or g.shape != e.shape or not np.array_equal(g, e, equal_nan=True)):
            return False
    return True


# ---------------------------------------------------------------------- record style


def test_mlp_rows_show_names_shapes_small_arrays_and_roles() -> None:
    v = tensor_mlp()
    v["loss"].backward()
    src = draw_graph(v["loss"], params=mlp_params(v)).source
    nid = ids(v["loss"])

    def row(name: str) -> List[str]:
        return cells(src, nid[id(v[name])])

    # Parameters: the name from params=, the shape, and small arrays written out in full.
    assert row("b1") == ["0.bias", "(3,)", "data " + array_text(v["b1"].data), "grad " + array_text(v["b1"].grad)]
    assert row("b1")[2] == "data [0.0500, -0.1000, 0.2000]"
    w2_grad = "grad " + array_text(v["w2"].grad)
    assert row("w2") == ["2.weight", "(3, 1)", "data [[0.7000], [-0.3000], [0.5000]]", w2_grad]
    assert row("b2")[:3] == ["2.bias", "(1,)", "data [0.1000]"]
    # Bigger than 4 elements: data by its range, the gradient by its norm.
    w1 = np.array(W1)
    w1_data, w1_grad = f"data min {fmt(w1.min())} max {fmt(w1.max())}", "grad norm " + norm_text(v["w1"].grad)
    assert row("w1") == ["0.weight", "(2, 3)", w1_data, w1_grad]
    assert row("h")[0] == "(4, 3)" and row("h")[2] == "grad norm " + norm_text(v["h"].grad)  # unlabelled: no name cell
    # Data inputs: labelled, no gradient (the engine computes none).
    assert row("x") == ["x", "(4, 2)", "data min -1.0000 max 2.0000", "no grad"]
    assert row("y")[:2] == ["y", "(4, 1)"] and row("y")[-1] == "no grad"
    # The loss: a 0-d tensor, gradient 1.
    assert row("loss") == ["loss", "()", f"data {fmt(v['loss'].item())}", "grad 1.0000"]
    # Roles and their colours; the 2 of err ** 2 is a constant oval with its number.
    for name in ("x", "y"):
        assert table_colour(src, nid[id(v[name])]) == ROLE_COLORS["input"][0]
    for name in ("w1", "b1", "w2", "b2"):
        assert table_colour(src, nid[id(v[name])]) == ROLE_COLORS["parameter"][0]
    for name in ("xw", "z", "h", "hw", "pred", "err", "sq"):
        assert table_colour(src, nid[id(v[name])]) == ROLE_COLORS["intermediate"][0]
    assert table_colour(src, nid[id(v["loss"])]) == ROLE_COLORS["output"][0]
    two = v["sq"]._prev[1]
    assert dot_read.op_label(src, nid[id(two)]) == "2.0000" and "shape=ellipse" in dot_nodes(src)[nid[id(two)]]
    legend = footer_cells(src)
    for role in ("input", "parameter", "constant", "intermediate", "output"):
        assert ROLE_COLORS[role][1] in legend
    # One op node per op, named as the engine names it.
    ops = [op_label(src, nid[id(v[k])]) for k in ("xw", "z", "h", "hw", "pred", "err", "sq", "loss")]
    assert ops == ["matmul", "+", "tanh", "matmul", "+", "-", "**", "mean"]
    # Edges: input -> op -> value, in argument order.
    edges = [(a, b) for a, b, _ in dot_edges(src)]
    into_xw = [a for a, b in edges if b == nid[id(v["xw"])] + "op"]
    assert into_xw == [nid[id(v["x"])], nid[id(v["w1"])]]
    assert (nid[id(v["xw"])] + "op", nid[id(v["xw"])]) in edges


def test_params_names_win_over_labels_and_once_parameters_are_named_other_grad_leaves_are_inputs() -> None:
    v = tensor_mlp()
    v["w1"].label = "W1"
    src = draw_graph(v["loss"], params={"layer.w": v["w1"]}).source
    nid = ids(v["loss"])
    assert cells(src, nid[id(v["w1"])])[0] == "layer.w"
    # b1 is neither named nor labelled, and parameters are known: it is drawn as data.
    assert cells(src, nid[id(v["b1"])])[0] == "(3,)"
    assert table_colour(src, nid[id(v["b1"])]) == ROLE_COLORS["input"][0]
    # With nothing said, a leaf that requires grad is a parameter (the engine's definition) ...
    plain = draw_graph(v["loss"]).source
    assert table_colour(plain, nid[id(v["b1"])]) == ROLE_COLORS["parameter"][0]
    # ... and inputs= says "this is data" in one word; the rest stay parameters.
    marked = draw_graph(v["loss"], inputs=[v["b1"]]).source
    assert table_colour(marked, nid[id(v["b1"])]) == ROLE_COLORS["input"][0]
    assert table_colour(marked, nid[id(v["b2"])]) == ROLE_COLORS["parameter"][0]
    v["w1"].label = None


def test_before_backward_stored_grads_are_none_and_flow_labels_say_nothing_has_flowed() -> None:
    from viz.graph import NOT_RUN_NOTE, PENDING

    v = tensor_mlp()
    src = draw_graph(v["loss"], edge_labels="flow").source
    nid = ids(v["loss"])
    assert cells(src, nid[id(v["h"])])[-1] == "grad None"
    assert cells(src, nid[id(v["b1"])])[-1] == "grad None"
    # Never a silent zero: every edge into a node that takes a gradient says "nothing yet" ...
    order = topological_order(v["loss"])
    for a, b, attrs in dot_edges(src):
        if b.endswith("op"):
            takes = order[int(a[1:])].requires_grad
            assert edge_label(attrs) == (f"← {PENDING}" if takes else "")
    # ... and the legend says why.
    assert NOT_RUN_NOTE in footer_cells(src)
    # After backward() the same layout carries the numbers.
    v["loss"].backward()
    after = draw_graph(v["loss"], edge_labels="flow").source
    assert NOT_RUN_NOTE not in footer_cells(after) and "← gradient part sent back" in footer_cells(after)
    # show_data/show_grad choose the cells; the shape stays (it is what Tensor ops check).
    bare = draw_graph(v["loss"], show_data=False, show_grad=False).source
    assert cells(bare, nid[id(v["h"])]) == ["(4, 3)"]
    assert "data " not in bare and "grad " not in bare


def test_float32_nodes_show_their_dtype() -> None:
    v = tensor_mlp("float32")
    src = draw_graph(v["loss"], grads="computed").source
    nid = ids(v["loss"])
    assert cells(src, nid[id(v["w1"])])[0] == "(2, 3) float32"  # unnamed: the shape comes first
    assert cells(src, nid[id(v["loss"])])[1] == "() float32"
    assert "float64" not in draw_graph(tensor_mlp()["loss"]).source  # the default goes unsaid


def test_ops_show_the_settings_that_change_them() -> None:
    a = Tensor(np.arange(6.0).reshape(2, 3) / 10, label="a", requires_grad=True)
    parts = [
        a.sum(axis=1),
        a.mean(axis=0, keepdims=True),
        a.max(),
        a.leaky_relu(0.1),
        a.clip(-0.5, 0.25),
        a.transpose(1, 0),
        a[0, 1:3],
        a[np.array([1, 1])],
        stack([a, a], axis=0),
        concatenate([a, a], axis=1),
    ]
    root = sum((p.sum() for p in parts), Tensor(0.0))
    src = draw_graph(root, max_nodes=100).source
    nid = ids(root)
    got = [op_label(src, nid[id(p)]) for p in parts]
    assert got == [
        "sum(axis=1)",
        "mean(axis=0, keepdims)",
        "max",
        "leaky_relu(0.1)",
        "clip(-0.5, 0.25)",
        "transpose(1, 0)",
        "index [0, 1:3]",
        "index [[1, 1]]",
        "stack(axis=0)",
        "concatenate(axis=1)",
    ]


# ---------------------------------------------------------------------- edge labels


def test_flow_parts_are_the_gradients_sent_small_inline_else_shape_and_norm() -> None:
    v = tensor_mlp()
    computed = draw_graph(v["loss"], edge_labels="flow", grads="computed", params=mlp_params(v)).source
    v["loss"].backward()
    stored = draw_graph(v["loss"], edge_labels="flow", params=mlp_params(v)).source
    assert computed == stored  # the simulated backward draws what backward() computed
    nid = ids(v["loss"])
    labels = {(a, b): edge_label(attrs) for a, b, attrs in dot_edges(stored)}

    def flow(src_node: str, dst_node: str) -> str:
        return labels[(nid[id(v[src_node])], nid[id(v[dst_node])] + "op")]

    # Each node here is used once, so the part sent along its edge is its whole gradient.
    assert flow("b1", "z") == "← " + array_text(v["b1"].grad)  # (3,): written out
    assert flow("b2", "pred") == "← " + array_text(v["b2"].grad)
    assert flow("w1", "xw") == "← (2, 3) norm " + norm_text(v["w1"].grad)  # 6 elements
    assert flow("h", "hw") == "← (4, 3) norm " + norm_text(v["h"].grad)
    # The numbers are the chain rule's, computed here with numpy: b1 gets the column sums.
    x, y = np.array(X), np.array(Y)
    h = np.tanh(x @ np.array(W1) + np.array(B1))
    d_pred = 2 * (h @ np.array(W2) + np.array(B2) - y) / 4
    d_z = (d_pred @ np.array(W2).T) * (1 - h * h)
    assert flow("b1", "z") == "← " + array_text(d_z.sum(axis=0))
    assert flow("sq", "loss") == "← " + array_text(np.full((4, 1), 0.25))
    # Inputs that take no gradient get no label.
    assert flow("x", "xw") == "" and flow("y", "err") == ""


def test_local_jacobians_small_written_out_big_by_shape() -> None:
    v = tensor_mlp()
    src = draw_graph(v["loss"], edge_labels="local").source
    nid = ids(v["loss"])
    labels = {(a, b): edge_label(attrs) for a, b, attrs in dot_edges(src)}

    def local(src_node: str, dst_node: str) -> str:
        return labels[(nid[id(v[src_node])], nid[id(v[dst_node])] + "op")]

    h = np.tanh(np.array(X) @ np.array(W1) + np.array(B1))
    # d(h W2)/d W2: out (4, 1), in (3, 1): one row per output element, row r = h[r].
    assert local("w2", "hw") == "∂\n" + "\n".join(array_text(h[r]) for r in range(4))
    # d(pred)/d b2: the input is one number, so the Jacobian is shown in the output's shape.
    assert local("b2", "pred") == "∂ " + array_text(np.ones((4, 1)))
    # d mean/d sq: one output number: the Jacobian is the gradient, in the input's shape.
    assert local("sq", "loss") == "∂ " + array_text(np.full((4, 1), 0.25))
    # Elementwise err ** 2 on 4 numbers: a diagonal 4 x 4 Jacobian, 2 err on the diagonal.
    err = v["err"].data.reshape(-1)
    assert local("err", "sq") == "∂\n" + "\n".join(array_text(row) for row in np.diag(2 * err))
    # Bigger than 4 on either side: only the Jacobian's shape out×in.
    assert local("w1", "xw") == "∂ (4, 3)×(2, 3)"
    assert local("b1", "z") == "∂ (4, 3)×(3,)"
    assert local("h", "hw") == "∂ (4, 1)×(4, 3)"
    assert local("x", "xw") == ""  # no derivative for data
    # A Jacobian with several rows starts on its own line, one line per output element.
    raw = next(attrs for a, b, attrs in dot_edges(src) if (a, b) == (nid[id(v["w2"])], nid[id(v["hw"])] + "op"))
    assert raw.count("<BR/>") == 4
    assert any("the Jacobian" in t for t in footer_cells(src))


# (name, ours, torch's, input shapes): every input and output has at most 4 elements.
JACOBIAN_CASES: List[Tuple[str, Callable[..., Any], Callable[..., Any], List[Tuple[int, ...]]]] = [
    ("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [(2, 2), (2,)]),
    ("matmul_vec_mat", lambda a, b: a @ b, lambda a, b: a @ b, [(2,), (2, 2)]),
    ("dot", lambda a, b: a @ b, lambda a, b: a @ b, [(3,), (3,)]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [(2,), (2,)]),
    ("pow", lambda a, b: a**b, lambda a, b: a**b, [(2,), (1,)]),
    ("sum_axis0", lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), [(2, 2)]),
    ("max_axis1", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [(2, 2)]),
    ("repeated_index", lambda a: a[np.array([0, 0, 1])], lambda a: a[[0, 0, 1]], [(2,)]),
    ("transpose", lambda a: a.T, lambda a: a.T, [(2, 2)]),
    ("stack", lambda a, b: stack([a, b]), lambda a, b: __import__("torch").stack([a, b]), [(2,), (2,)]),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [(2, 2)]),
]


@pytest.mark.parametrize("name, ours, theirs, shapes", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_small_jacobians_match_pytorch(
    torch: Any, name: str, ours: Callable[..., Any], theirs: Callable[..., Any], shapes: List[Tuple[int, ...]]
) -> None:
    rng = np.random.default_rng(len(name))
    arrays = [rng.uniform(0.5, 1.5, size=s) for s in shapes]  # positive: a ** b is defined
    out = ours(*[Tensor(a, requires_grad=True) for a in arrays])
    jac = TensorAdapter().local_derivatives(out)
    expected = torch.autograd.functional.jacobian(theirs, tuple(torch.tensor(a) for a in arrays))
    for k, a in enumerate(arrays):
        assert isinstance(jac[k], Jacobian) and jac[k].matrix is not None
        assert jac[k].out_shape == out.shape and jac[k].in_shape == a.shape
        want = expected[k].numpy().reshape(out.data.size, a.size)  # rows: outputs, columns: inputs
        np.testing.assert_allclose(jac[k].matrix, want, rtol=1e-12, atol=1e-12)


def test_fan_out_edges_carry_one_part_each_and_the_node_the_sum() -> None:
    a = Tensor([1.0, -2.0], label="a", requires_grad=True)
    b = a * a  # two edges from a; each part is g * a, the total 2 a
    b.label = "b"
    loss = b.sum()
    loss.backward()
    src = draw_graph(loss, edge_labels="flow").source
    parts = [edge_label(attrs) for x, _, attrs in dot_edges(src) if x == "n0"]
    assert parts == ["← " + array_text(a.data)] * 2
    assert cells(src, "n0")[-1] == "grad " + array_text(a.grad) == "grad " + array_text(2 * a.data)
    local = draw_graph(loss, edge_labels="local").source
    # d(a0 a1 ...)/da along one edge, the other factor held: diag(a), one row per output.
    diag = "∂\n" + "\n".join(array_text(row) for row in np.diag(a.data))
    assert [edge_label(attrs) for x, _, attrs in dot_edges(local) if x == "n0"] == [diag, diag]


# ---------------------------------------------------------------------- circuit style


def test_circuit_wires_carry_values_and_gradients_of_tensors() -> None:
    v = tensor_mlp()
    v["loss"].backward()
    src = draw_graph(v["loss"], style="circuit", params=mlp_params(v), edge_labels="local").source
    nid = ids(v["loss"])
    edges = {(a, b): attrs for a, b, attrs in dot_edges(src)}
    w = wire(edges[(nid[id(v["b1"])], nid[id(v["z"])] + "op")])
    assert w == {"value": array_text(v["b1"].data), "grad": array_text(v["b1"].grad), "local": "∂ (4, 3)×(3,)"}
    big = wire(edges[(nid[id(v["z"])] + "op", nid[id(v["h"])] + "op")])  # z travels from + to tanh
    assert big["value"] == f"min {fmt(v['z'].data.min())} max {fmt(v['z'].data.max())}"
    assert big["grad"] == "(4, 3) norm " + norm_text(v["z"].grad)
    # Leaf boxes: the name, the shape, the total gradient.
    assert cells(src, nid[id(v["w2"])]) == ["2.weight", "(3, 1)", "grad " + array_text(v["w2"].grad)]
    assert "data " not in src  # the values are on the wires


# ---------------------------------------------------------------------- snapshots and determinism


@pytest.mark.parametrize(
    "name, options",
    [
        ("tensor_mlp_local", {"edge_labels": "local", "grads": "computed"}),
        ("tensor_mlp_flow", {"edge_labels": "flow", "grads": "computed"}),
        ("tensor_mlp_circuit", {"style": "circuit", "grads": "computed"}),
    ],
)
def test_tensor_dot_snapshots(name: str, options: Dict[str, Any]) -> None:
    """The exact DOT of the Tensor MLP (regenerate with AUTOGRAD_LITE_UPDATE_SNAPSHOTS=1
    after a deliberate change, and look at the rendered pictures)."""
    v = tensor_mlp()
    source = draw_graph(v["loss"], params=mlp_params(v), **options).source
    path = SNAPSHOTS / f"{name}.dot"
    if os.environ.get("AUTOGRAD_LITE_UPDATE_SNAPSHOTS"):
        path.write_text(source)
    assert path.exists(), f"missing snapshot {path}; run with AUTOGRAD_LITE_UPDATE_SNAPSHOTS=1"
    assert source == path.read_text()


_PRINT_DOT = """
import sys
sys.path.insert(0, {tests!r})
from test_viz_tensor import tensor_mlp, mlp_params
from viz import draw_graph, backward_frames, to_text
v = tensor_mlp(); v["loss"].backward()
print(draw_graph(v["loss"], edge_labels="flow", params=mlp_params(v)).source)
print(draw_graph(tensor_mlp()["loss"], edge_labels="local", style="circuit", grads="computed").source)
print(backward_frames(tensor_mlp()["loss"])[3].source)
print(to_text(tensor_mlp("float32")["loss"], grads="computed"))
"""


def test_tensor_dot_is_identical_across_processes_and_hash_seeds() -> None:
    outs = []
    for seed in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        script = _PRINT_DOT.format(tests=str(Path(__file__).parent))
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
        )
        assert run.returncode == 0, run.stderr
        outs.append(run.stdout)
    assert outs[0] == outs[1] and "digraph" in outs[0]
    v = tensor_mlp()
    v["loss"].backward()
    assert outs[0].startswith(draw_graph(v["loss"], edge_labels="flow", params=mlp_params(v)).source)


# ---------------------------------------------------------------------- nothing changes


def test_no_drawing_changes_a_tensor_graph() -> None:
    for dtype in ("float64", "float32"):
        for backward_first in (False, True):
            v = tensor_mlp(dtype)
            if backward_first:
                v["loss"].backward()
            before = tensor_state(v["loss"])
            for style in ("record", "circuit"):
                for edges in (None, "local", "flow"):
                    for grads in ("stored", "computed"):
                        draw_graph(v["loss"], style=style, edge_labels=edges, grads=grads, params=mlp_params(v))
                backward_frames(v["loss"], style=style)
            to_text(v["loss"])
            to_text(v["loss"], grads="computed")
            assert_same_state(before, tensor_state(v["loss"]))
            if backward_first:  # and backward() still sees no stale gradient planted by viz
                v["w1"].grad = None
                v["b1"].grad = v["w2"].grad = v["b2"].grad = None
            v["loss"].backward()


# ---------------------------------------------------------------------- backward frames


def check_frames(build: Callable[[], Tensor]) -> None:
    shown = build()
    before = tensor_state(shown)
    frames = backward_frames(shown, max_nodes=10_000)
    assert_same_state(before, tensor_state(shown))
    order = topological_order(shown)
    assert len(frames) == sum(n._rule is not None for n in order)
    fresh = build()
    fresh.backward()
    expected = [n.grad for n in topological_order(fresh)]
    assert same_grads(frames[-1].info["grads"], expected)  # bit for bit, dtypes included
    assert frames[-1].info["final"] == [True] * len(order)
    ran = [f.info["node"] for f in frames]
    assert ran == [i for i in range(len(order) - 1, -1, -1) if order[i]._rule is not None]
    # draw_graph's simulated backward agrees with the stored one, picture for picture.
    assert draw_graph(build(), grads="computed", edge_labels="flow", max_nodes=10_000).source == draw_graph(
        fresh, edge_labels="flow", max_nodes=10_000
    ).source


def test_frames_of_the_mlp_end_at_backwards_gradients() -> None:
    check_frames(lambda: tensor_mlp()["loss"])
    check_frames(lambda: tensor_mlp("float32")["loss"])
    frames = backward_frames(tensor_mlp()["loss"], params=mlp_params(tensor_mlp()))
    assert len(frames) == 8
    assert frames[0].info["step"] == 1
    assert footer_cells(frames[0].source)[0] == "step 1 of 8: the mean rule of loss sends its gradient 1.0000 to the ** result (4, 1)"


def test_mlp_gradients_drawn_match_pytorch(torch: Any) -> None:
    v = tensor_mlp()
    g = draw_graph(v["loss"], grads="computed", params=mlp_params(v))
    tw = {k: torch.tensor(a, requires_grad=True) for k, a in (("w1", W1), ("b1", B1), ("w2", W2), ("b2", B2))}
    loss = (((torch.tensor(X) @ tw["w1"] + tw["b1"]).tanh() @ tw["w2"] + tw["b2"] - torch.tensor(Y)) ** 2).mean()
    loss.backward()
    order = topological_order(v["loss"])
    for name, t in tw.items():
        ours = g.info["grads"][order.index(v[name])]
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-12, atol=1e-15)
    nid = ids(v["loss"])
    assert cells(g.source, nid[id(v["b1"])])[-1] == "grad " + array_text(tw["b1"].grad.numpy())


# Shape-changing ops, float32 and no-grad leaves, fan-out: what tensor_programs leaves out.
UNARY = ["tanh", "sigmoid", "relu", "leaky_relu", "abs", "sin", "softplus", "exp", "square", "sqrt", "log", "neg"]
SHAPED = ["sum", "mean", "max", "reshape", "T", "index", "repeat_index", "concat", "stack", "softmax", "matmul"]
BINARY = ["+", "-", "*", "/", "pow", "mse"]
LEAF_SHAPES = [(2, 3), (3,), (1, 3), (2, 1), (), (3, 2)]


def _apply(op: str, a: Tensor, b: Tensor, extra: int) -> Optional[Tensor]:
    if op in UNARY:
        return {
            "tanh": a.tanh, "sigmoid": a.sigmoid, "relu": a.relu, "leaky_relu": lambda: a.leaky_relu(0.1),
            "abs": a.abs, "sin": a.sin, "softplus": a.softplus, "exp": lambda: a.tanh().exp(),
            "square": lambda: a**2, "sqrt": lambda: (a * a + 0.1).sqrt(), "log": lambda: (a * a + 0.5).log(),
            "neg": lambda: -a,
        }[op]()
    if op in BINARY:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            return None
        return {
            "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / (b * b + 1.0),
            "pow": lambda: (a * a + 0.5) ** b.tanh(), "mse": lambda: ((a - b) ** 2).mean(),
        }[op]()
    if a.ndim == 0 and op not in ("sum", "mean", "max", "reshape"):
        return None
    axis = None if (extra == 0 or a.ndim == 0) else (extra - 1) % a.ndim
    if op in ("sum", "mean", "max"):
        return getattr(a, op)(axis=axis, keepdims=bool(extra % 2))
    if op == "reshape":
        return a.reshape(-1)
    if op == "T":
        return a.T
    if op == "index":
        return a[0]
    if op == "repeat_index":
        return a[np.array([0, 0])]  # an element twice: its gradient parts add up
    if op in ("concat", "stack") and a.data.size > 24:
        return None  # keep the arrays small: the test is about graph structure
    if op == "concat":
        return concatenate([a, a], axis=0)
    if op == "stack":
        return stack([a, b] if a.shape == b.shape else [a, a], axis=0)
    if op == "softmax":
        return a.softmax(axis=-1)
    if op == "matmul":
        if a.ndim == 2 and b.ndim in (1, 2) and b.shape[0] == a.shape[1]:  # (n, k) @ (k,) or (k, m)
            return a @ b
        return a @ a.T if a.ndim == 2 else (a @ a if a.ndim == 1 else None)
    raise AssertionError(op)


def random_tensor_graph(seed: int) -> Callable[[], Tensor]:
    """A builder of a random Tensor graph drawn by ``seed``; each call builds a fresh copy.

    A seeded numpy Generator picks the ops (hypothesis only varies the seed): drawn op by
    op, hypothesis keeps to tiny graphs of its first few choices.
    """
    rng = np.random.default_rng(seed)
    leaves = []
    for k in range(int(rng.integers(1, 5))):
        shape = LEAF_SHAPES[rng.integers(len(LEAF_SHAPES))]
        dtype = "float32" if rng.random() < 0.3 else "float64"
        grad = k == 0 or rng.random() < 0.7
        leaves.append((rng.uniform(-2.0, 2.0, size=shape), dtype, grad))
    ops = UNARY + SHAPED + BINARY
    steps = [
        (ops[rng.integers(len(ops))], int(rng.integers(3)), int(rng.integers(99)), int(rng.integers(4)))
        for _ in range(int(rng.integers(3, 13)))
    ]

    def build() -> Tensor:
        pool = [Tensor(d, dtype=dt, requires_grad=g, label=f"x{k}") for k, (d, dt, g) in enumerate(leaves)]
        for op, i, j, extra in steps:
            a = pool[-1 - i % len(pool)]  # one of the last three nodes: graphs get deep
            out = _apply(op, a, pool[j % len(pool)], extra)
            if out is not None:
                pool.append(out.tanh() if out.data.size and np.abs(out.data).max() > 50 else out)
        out = pool[0].sum()  # x0 requires grad: there is always a graph
        for node in pool[-3:]:
            out = out + node.sum()
        return out

    return build


@settings(max_examples=60)
@given(st.integers(0, 2**32 - 1))
def test_frames_of_random_tensor_graphs_end_at_backwards_gradients(seed: int) -> None:
    check_frames(random_tensor_graph(seed))


@settings(max_examples=25)
@given(tensor_programs(max_ops=10))
def test_frames_of_the_shared_tensor_programs_end_at_backwards_gradients(program: Tuple[List[Any], Any]) -> None:
    leaves, steps = program
    check_frames(lambda: run_tensor_program([Tensor(a, requires_grad=True) for a in leaves], steps))


def test_frames_refuse_a_root_that_is_not_one_number() -> None:
    v = tensor_mlp()
    with pytest.raises(ValueError, match=r"backward_frames: the output has shape \(4, 1\).*out\.sum\(\) or out\.mean"):
        backward_frames(v["pred"])
    with pytest.raises(ValueError, match=r"draw_graph\(grads='computed'\): the output has shape \(4, 1\)"):
        draw_graph(v["pred"], grads="computed")
    # Stored grads need no seed: backward(grad=...) on a non-scalar output draws fine.
    v["pred"].backward(grad=np.ones((4, 1)))
    src = draw_graph(v["pred"], edge_labels="flow").source
    assert cells(src, ids(v["pred"])[id(v["pred"])])[-1] == "grad " + array_text(np.ones((4, 1)))


# ---------------------------------------------------------------------- text


def test_to_text_of_the_mlp() -> None:
    v = tensor_mlp()
    v["loss"].backward()
    text = to_text(v["loss"], params=mlp_params(v))
    lines = text.splitlines()
    assert lines[0] == f"loss = #14  ()  data {fmt(v['loss'].item())}  grad 1.0000  (mean)"
    assert len(lines) == 15  # every node once: the graph is a tree apart from shared constants
    b1, h = v["b1"], v["h"]
    expected = [
        f"0.bias = #3  (3,)  data {array_text(b1.data)}  grad {array_text(b1.grad)}  parameter",
        "x = #0  (4, 2)  data min -1.0000 max 2.0000  no grad  input",
        f"#5  (4, 3)  data min {fmt(h.data.min())} max {fmt(h.data.max())}  grad norm {norm_text(h.grad)}  (tanh)",
    ]
    for want in expected:
        assert sum(line.endswith(want) for line in lines) == 1, want
    assert lines[-1].endswith("└── 2.0000  constant")
    # The simulated backward prints what backward() left in .grad.
    fresh = tensor_mlp()
    assert to_text(fresh["loss"], grads="computed", params=mlp_params(fresh)) == text
    # Fan-out: a shared subexpression is printed once, then referred to.
    a = Tensor([0.5, -1.0], label="a", requires_grad=True)
    t = a.tanh()
    t.label = "t"
    z = (t * t + t).sum()
    out = to_text(z, grads="computed").splitlines()
    assert sum("t = #1  (2,)  data " + array_text(np.tanh(a.data)) in line for line in out) == 1
    assert sum("t = #1  (tanh, shown above)" in line for line in out) == 2


def test_no_recursion_on_a_deep_tensor_chain() -> None:
    x = Tensor([0.3, -0.2], label="x", requires_grad=True)
    y = x
    for _ in range(1500):  # deeper than CPython's default recursion limit
        y = y.sin()
    loss = y.sum()
    limit = sys.getrecursionlimit()
    depth = len(__import__("inspect").stack(0))
    sys.setrecursionlimit(depth + 60)
    try:
        src = draw_graph(loss, max_nodes=2000, grads="computed", edge_labels="local").source
        text = to_text(loss, max_nodes=2000)
    finally:
        sys.setrecursionlimit(limit)
    assert src.count("label=<sin>") == 1500 and len(text.splitlines()) == 1502


# ---------------------------------------------------------------------- size guard and errors


def test_the_guard_refuses_a_big_tensor_graph_and_big_arrays_stay_short() -> None:
    with gc_paused():
        x = Tensor(np.linspace(-1, 1, 8), label="x", requires_grad=True)
        for _ in range(DEFAULT_MAX_NODES):
            x = x.tanh()
    for draw in (draw_graph, backward_frames, to_text):
        with pytest.raises(GraphTooLarge) as err:
            draw(x)
        n = DEFAULT_MAX_NODES + 1
        assert f"{draw.__name__}: this graph has {n} nodes, more than max_nodes={DEFAULT_MAX_NODES}" in str(err.value)
    # A million-element array is one short row: summarised, never printed.
    big = Tensor(np.linspace(-3, 3, 1_000_000).reshape(1000, 1000), label="big", requires_grad=True)
    loss = (big * big).mean()
    loss.backward()
    src = draw_graph(loss, edge_labels="flow").source
    assert len(src) < 4000
    assert cells(src, "n0") == ["big", "(1000, 1000)", "data min -3.0000 max 3.0000", f"grad norm {norm_text(big.grad)}"]


def test_non_nodes_and_mixed_params_give_clear_type_errors() -> None:
    with pytest.raises(TypeError, match=r"draw_graph: expected the output node .*\(a Value or Tensor, or a micrograd-style Value.*\), got ndarray.*\(loss\)"):
        draw_graph(np.zeros(3))
    v = tensor_mlp()
    with pytest.raises(TypeError, match=r"backward_frames: expected the output node .*got list"):
        backward_frames([v["loss"]])
    # A Value graph never contains Tensors (the engine refuses to mix them) ...
    with pytest.raises(TypeError, match=r"cannot mix a Tensor with a Value"):
        Tensor([1.0]) * Value(2.0)
    # ... so a Tensor among a Value graph's params, or the reverse, is a mix-up: say so.
    w = Value(0.5)
    with pytest.raises(TypeError, match=r"draw_graph\(params=\.\.\.\): '0.weight' is a Tensor, but this graph is made of Value"):
        draw_graph(w * 2.0, params={"0.weight": v["w1"]})
    with pytest.raises(TypeError, match=r"to_text\(params=\.\.\.\): 'w' is a Value, but this graph is made of Tensor"):
        to_text(v["loss"], params={"w": w})
    with pytest.raises(TypeError, match=r"'w' is a ndarray, but this graph is made of Tensor nodes.*named_parameters"):
        draw_graph(v["loss"], params={"w": np.array(W1)})


# ---------------------------------------------------------------------- rendering


def _check_tensor_svg(svg: str) -> None:
    for text in ("0.weight", "(4, 3)", "matmul", "tanh", "parameter", "grad [", "data min"):
        assert text in svg, text


def test_render_tensor_graph_through_system_dot(system_dot: str, tmp_path: Path) -> None:
    v = tensor_mlp()
    v["loss"].backward()
    graph = draw_graph(v["loss"], params=mlp_params(v), edge_labels="local")
    path = graph.save(tmp_path / "mlp.svg", renderer=system_dot)
    assert MAGIC["svg"] in path.read_bytes()[:400]
    _check_tensor_svg(path.read_text())


def test_render_tensor_graph_and_frames_through_pygraphviz(bundled_only: str, tmp_path: Path) -> None:
    v = tensor_mlp()
    v["loss"].backward()
    graph = draw_graph(v["loss"], params=mlp_params(v), edge_labels="local")
    path = graph.save(tmp_path / "mlp.svg")  # no renderer named: the bundled one is the only one
    assert MAGIC["svg"] in path.read_bytes()[:400]
    _check_tensor_svg(path.read_text())
    assert draw_graph(v["loss"], style="circuit").save(tmp_path / "c.png").read_bytes().startswith(MAGIC["png"])
    paths = save_frames(backward_frames(tensor_mlp()["loss"]), tmp_path / "frames")
    assert [p.name for p in paths] == [f"frame_{k:03d}.svg" for k in range(1, 9)] + ["backward.html"]
