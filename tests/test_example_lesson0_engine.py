"""Lesson 0's example: the engine built up step by step, its claims checked from summary.json.

The script runs once (``--fast``); each test reads one claim from its summary.json and
checks it against a computation of its own: the difference quotients in plain floats,
the chain rule of L = (a*b + c) * f in plain arithmetic, a depth-first post-order of
that graph written here, the neuron's derivatives from math.tanh, and both MLP loops
(with zero_grad, and the lecture's without it) replayed in numpy from the starting
weights the lesson saved, with backpropagation written out by hand.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from example_runner import event, events, figure_problems, run_example
from viz.legibility import measure_svg

NAME = "lesson0_engine"
GRAPHS = {"f_graph.svg", "L_by_hand.svg", "L_backward.svg", "neuron.svg", "tanh_from_exp.svg", "mlp_neurons.svg"}
FIGURES = {"function.png", "training.png"}


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp(NAME)
    s = run_example(NAME, out, "--fast")
    s["out"] = out
    return s


def f(x):
    return 3 * x**2 - 4 * x + 5


# ---------------------------------------------------------------------- 1. the difference quotient


def test_the_slope_by_a_difference_quotient_and_by_the_engine(summary):
    rec = event(summary, "slope")
    x0, h = rec["x"], rec["h"]
    assert rec["quotient"] == (f(x0 + h) - f(x0)) / h  # the same floats, the same number
    assert rec["quotient"] == pytest.approx(6 * x0 - 4 + 3 * h, rel=1e-9)  # off by f''/2 h = 3h
    assert rec["engine"] == rec["by_hand"] == 6 * x0 - 4  # backward() is exact: 14


def test_as_h_shrinks_the_error_falls_like_h_then_rounding_wins(summary):
    x0 = event(summary, "slope")["x"]
    runs = events(summary, "shrink")
    hs = [r["h"] for r in runs]
    assert hs == [10.0**-k for k in range(1, len(hs) + 1)] and len(hs) >= 16
    for r in runs:
        q = (f(x0 + r["h"]) - f(x0)) / r["h"]
        assert r["quotient"] == q and r["error"] == abs(q - (6 * x0 - 4))
    for r in runs[:5]:  # h >= 1e-5: the truncation error 3h, to a few digits
        assert r["error"] == pytest.approx(3 * r["h"], rel=1e-3)
    fp = event(summary, "floating_point")
    errors = [r["error"] for r in runs]
    assert fp["best_error"] == min(errors) and fp["best_h"] == hs[errors.index(min(errors))]
    assert 1e-10 <= fp["best_h"] <= 1e-6  # near sqrt(eps) = 1.5e-8, where the two errors meet
    assert fp["eps"] == np.finfo(float).eps
    assert errors[-1] > 1e6 * fp["best_error"]  # rounding wins: far worse than the best
    assert fp["x_plus_h_is_x_at"] == min(h for h in hs if x0 + h == x0)
    assert runs[-1]["quotient"] == 0.0 and x0 + runs[-1]["h"] == x0


# ---------------------------------------------------------------------- 2-3. L by hand, then backward()


def chain_rule():
    """dL/d(node) for L = (a*b + c) * f, by the chain rule in plain arithmetic."""
    a, b, c, fv = 2.0, -3.0, 10.0, -2.0
    e = a * b
    d = e + c
    dL = {"L": 1.0, "d": fv, "f": d}
    dL["c"] = dL["e"] = dL["d"]
    dL["a"], dL["b"] = dL["e"] * b, dL["e"] * a
    return dL, {"a": a, "b": b, "c": c, "f": fv, "e": e, "d": d, "L": d * fv}


def test_every_hand_number_is_the_engines_rule_on_that_node_and_a_nudge(summary):
    expected, data = chain_rule()
    recs = {r["node"]: r for r in events(summary, "by_hand")}
    assert set(recs) == set(expected)
    for name, r in recs.items():
        assert r["data"] == data[name]
        assert r["hand"] == r["engine"] == expected[name], name  # exactly: the same products
        assert r["nudge"] == pytest.approx(expected[name], abs=1e-4), name  # (L(x + h) - L(x)) / h
    rules = event(summary, "rules")
    assert rules["all_equal"] is True and rules["same_as_backward_method"] is True


def test_topological_order_is_a_depth_first_post_order_and_backward_gives_the_hand_numbers(summary):
    # The graph by name: each node's inputs in argument order.
    inputs = {"L": ["d", "f"], "d": ["e", "c"], "e": ["a", "b"], "a": [], "b": [], "c": [], "f": []}
    order, seen = [], set()
    stack = [("L", False)]
    while stack:  # depth-first, inputs in argument order, each node after its inputs
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(inputs[node]))
    assert event(summary, "topological_order")["order"] == order == ["a", "b", "e", "c", "d", "f", "L"]
    rec = event(summary, "backward")
    expected, _ = chain_rule()
    assert rec["equals_hand"] is True and rec["loop_equals_backward"] is True
    assert [rec[k] for k in "abcf"] == [expected[k] for k in "abcf"]


# ---------------------------------------------------------------------- 4. the neuron


def test_the_neuron_and_its_steps(summary):
    rec = event(summary, "neuron")
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    dn = 1 - o**2
    assert rec["o"] == pytest.approx(o, rel=1e-6) and rec["dn"] == pytest.approx(dn, rel=1e-5)
    for name, value in {"x1": w1 * dn, "w1": x1 * dn, "x2": w2 * dn, "w2": x2 * dn, "b": dn}.items():
        assert rec[name] == pytest.approx(value, rel=1e-5, abs=1e-12), name
    # one frame per op node, in backward's order: tanh, the two +, the two *
    assert rec["frames"] == 5
    assert rec["rules"] == ["Value._tanh_backward", "Value._add_backward", "Value._add_backward",
                            "Value._mul_backward", "Value._mul_backward"]
    steps = (summary["out"] / "neuron_steps" / "steps.txt").read_text()
    assert "x.grad += (1.0 - t * t) * out.grad" in steps  # the engine's own rule, beside its numbers
    page = (summary["out"] / "neuron_steps" / "backward.html").read_text()
    assert "_tanh_backward" in page and page.count("<svg") >= 5
    tanh = event(summary, "tanh")
    assert tanh["nodes_from_exp"] > tanh["nodes_builtin"]
    assert tanh["max_diff_from_exp"] < 1e-12 and tanh["max_diff_new_op"] < 1e-12


# ---------------------------------------------------------------------- 5. the MLP, and zero_grad


def mlp_loops(path: Path, lr: float, steps: int):
    """Both loops of the lesson, replayed in numpy: (losses, predictions) with zero_grad, and
    (losses, predictions) without it (each step adds its gradient to all earlier ones)."""
    start = dict(np.load(path))
    xs = np.array([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]])
    ys = np.array([1.0, -1.0, -1.0, 1.0])
    keys = [k for k in ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")]

    def forward_backward(p):
        hs = [xs]
        for i in (0, 2, 4):  # every layer tanh, the output's too
            hs.append(np.tanh(hs[-1] @ p[f"{i}.weight"].T + p[f"{i}.bias"]))
        pred = hs[-1][:, 0]
        loss = float(np.sum((pred - ys) ** 2))
        grads = {}
        delta = (2 * (pred - ys))[:, None] * (1 - hs[-1] ** 2)  # dL/dz of the last layer
        for layer, i in zip((3, 2, 1), (4, 2, 0)):
            grads[f"{i}.weight"] = delta.T @ hs[layer - 1]
            grads[f"{i}.bias"] = delta.sum(axis=0)
            delta = (delta @ p[f"{i}.weight"]) * (1 - hs[layer - 1] ** 2)
        return loss, pred, grads

    runs = []
    for accumulate in (False, True):
        p = {k: start[k].copy() for k in keys}
        total = {k: np.zeros_like(v) for k, v in p.items()}
        losses = []
        for _ in range(steps):
            loss, _, g = forward_backward(p)
            for k in keys:
                total[k] = total[k] + g[k] if accumulate else g[k]
                p[k] = p[k] - lr * total[k]
            losses.append(loss)
        runs.append((losses, forward_backward(p)[1]))
    return runs


def test_the_mlp_learns_and_the_lectures_buggy_loop_is_replayed_exactly(summary):
    rec = event(summary, "mlp")
    bug = event(summary, "accumulate")
    (good, good_pred), (buggy, buggy_pred) = mlp_loops(summary["out"] / "mlp_start.npz", rec["lr"], rec["steps"])
    assert rec["parameters"] == 4 * 4 + 4 * 5 + 5 == 41
    assert rec["first_loss"] == pytest.approx(good[0], rel=1e-9)
    assert rec["last_loss"] == pytest.approx(good[-1], rel=1e-7) and rec["last_loss"] < 0.05 * rec["first_loss"]
    np.testing.assert_allclose(rec["predictions"], good_pred, rtol=1e-7)
    assert np.all(np.sign(rec["predictions"]) == rec["targets"])  # every point on its side
    # accumulate=True is the loop without zero_grad: the same trajectory, step for step
    assert bug["first_loss"] == pytest.approx(buggy[0], rel=1e-9)
    assert bug["min_loss"] == pytest.approx(min(buggy), rel=1e-4, abs=1e-12)
    assert bug["last_loss"] == pytest.approx(buggy[-1], rel=1e-7)
    np.testing.assert_allclose(bug["predictions"], buggy_pred, rtol=1e-6, atol=1e-9)
    # ... which ends with one output's tanh saturated on the wrong side: (1 - (-1))^2 = 4
    wrong = [i for i, (p, t) in enumerate(zip(bug["predictions"], bug["targets"])) if np.sign(p) != t]
    assert len(wrong) == 1 and abs(bug["predictions"][wrong[0]]) > 0.999
    assert bug["last_loss"] == pytest.approx(4.0, abs=0.01) and bug["correct_last_loss"] == rec["last_loss"]


def test_forgetting_zero_grad_stops_at_the_second_backward_with_the_fix(summary):
    rec = event(summary, "forgot_zero_grad")
    assert rec["raised_at_step"] == 1  # the first backward() is fine; the second would double-count
    text = rec["error"].replace("_", " ")
    assert text.startswith("Value.backward: leaf") and "already holds grad" in text and "earlier backward()" in text


# ---------------------------------------------------------------------- the pictures


def test_every_stage_draws_its_graph_and_every_picture_reads_from_the_back_row(summary):
    files = set(summary["files"])
    assert GRAPHS | FIGURES <= files
    assert {"neuron_steps/backward.html", "neuron_steps/frame_001.svg", "mlp_start.npz"} <= files
    assert figure_problems(summary) == {}  # the matplotlib figures: the lecture rules
    for name in GRAPHS:  # the graphs, fitted to a 1920 x 1080 projector
        m = measure_svg((summary["out"] / name).read_text())
        assert m.smallest_px >= 24 and m.lowest_contrast >= 4.5, (name, m.summary())
    svg = (summary["out"] / "L_by_hand.svg").read_text()
    assert svg.count("∂") >= 6  # a local derivative on every edge of L = (a*b + c) * f
