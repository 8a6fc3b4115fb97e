"""Coming from micrograd: its tests, its lecture's idioms and its nn.py, run on this library.

micrograd's own ``test/test_engine.py`` (its two tests, with only the import changed), the
lecture's manual backpropagation (one ``_backward()`` at a time, then the topological
loop), an op added the lecture's way (``Value(t, (x,), "tanh")`` and a closure), the
forgotten ``zero_grad`` and micrograd 0.1.0's ``nn.py`` driven by our ``Value``. Where a
number is compared, it comes from micrograd 0.1.0 itself (a test-only dependency) or
PyTorch, computed here, never typed in.
"""

from __future__ import annotations

import math
import random
from typing import Any, List

import numpy as np
import pytest

import lecture_graphs
import nn
import viz
from autograd_lite import Tensor, Value, detect_anomaly, grad, gradcheck
from autograd_lite.graph import topological_order

micrograd_engine = pytest.importorskip("micrograd.engine", reason="pip install micrograd==0.1.0 (in the test extra)")
MgValue = micrograd_engine.Value


# ---------------------------------------------------------------------- micrograd's test_engine.py
# Its two tests as micrograd 0.1.0 ships them (test/test_engine.py, MIT, A. Karpathy), with
# `from micrograd.engine import Value` changed to this library's Value, and nothing else but
# three tighter checks appended to test_more_ops (the README's expression: its only test here).


def test_sanity_check(torch) -> None:

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    # forward pass went well
    assert ymg.data == ypt.data.item()
    # backward pass went well
    assert xmg.grad == xpt.grad.item()


def test_more_ops(torch) -> None:

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    apt, bpt, gpt = a, b, g

    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - gpt.data.item()) < tol
    # backward pass went well
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol
    # (appended) and closer than micrograd asks: equal to rounding, in float64 both
    assert gmg.data == pytest.approx(gpt.data.item(), rel=1e-12)
    assert amg.grad == pytest.approx(apt.grad.item(), rel=1e-12)
    assert bmg.grad == pytest.approx(bpt.grad.item(), rel=1e-12)


# ---------------------------------------------------------------------- the lecture, by hand


def lecture_graph(V: Any) -> List[Any]:
    """The lecture's first graph, L = (a*b + c) * f, with its labels: [a, b, c, e, d, f, L]."""
    a, b, c = V(2.0, label="a"), V(-3.0, label="b"), V(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = V(-2.0, label="f")
    L = d * f
    L.label = "L"
    return [a, b, c, e, d, f, L]


def test_the_lecture_graph_by_hand_one_backward_at_a_time() -> None:
    """The lecture's manual backprop: set L.grad = 1, then call each node's _backward() in
    turn (micrograd's zero-argument call), from L down; the hand numbers come out."""
    a, b, c, e, d, f, L = lecture_graph(Value)
    L.grad = 1.0
    for node in (L, d, e):
        node._backward()  # runs the node's own rule once
    # dL/dd = f, dL/df = d; dL/dc = dL/de = dL/dd; dL/da = dL/de * b, dL/db = dL/de * a
    assert (f.grad, d.grad) == (d.data, f.data)
    assert c.grad == e.grad == f.data
    assert (a.grad, b.grad) == (f.data * b.data, f.data * a.data)
    for leaf in (a, b, c, f):
        leaf._backward()  # a leaf's _backward() does nothing, as micrograd's `lambda: None`
    assert (a.grad, b.grad, c.grad, f.grad) == (f.data * b.data, f.data * a.data, f.data, d.data)


def test_the_lecture_topological_loop_is_backward() -> None:
    """The lecture's build_topo (recursive, over _prev) and `for node in reversed(topo):
    node._backward()` give exactly what backward() gives, on a neuron with tanh."""

    def neuron() -> List[Value]:
        v = lecture_graphs.neuron()
        return [v[k] for k in ("x1", "x2", "w1", "w2", "b", "o")]

    *leaves, o = neuron()
    topo: List[Value] = []
    visited = set()

    def build_topo(v: Value) -> None:  # the lecture's, recursion and all
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    assert topo == topological_order(o)  # the engine's own order is the lecture's
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    *twins, o2 = neuron()
    o2.backward()
    assert [p.grad for p in leaves] == [p.grad for p in twins]
    assert leaves[0].grad == pytest.approx(-1.5) and leaves[2].grad == pytest.approx(1.0)  # the lecture's numbers


def test_the_manual_loop_matches_micrograd_on_a_graph_micrograd_can_build() -> None:
    """micrograd 0.1.0 (relu and pow, no tanh) on the same expression: the same numbers."""

    def build(V: Any) -> List[Any]:
        x, y = V(-1.5), V(0.75)
        z = (x * y + 2 * x).relu() + (y - x) ** 2 / (x * x + 1)
        return [x, y, z]

    ours = build(Value)
    topo = topological_order(ours[-1])
    ours[-1].grad = 1.0
    for node in reversed(topo):
        node._backward()
    theirs = build(MgValue)
    theirs[-1].backward()
    assert [v.grad for v in ours] == pytest.approx([v.grad for v in theirs], rel=1e-15)
    assert ours[-1].data == theirs[-1].data


def test_backward_twice_accumulates_only_on_purpose_and_micrograds_rerun_differs() -> None:
    """Re-running a cell: micrograd adds into every node again (its interior grads are not
    reset, so a leaf gets more than twice); ours raises, or with accumulate=True gives
    exactly twice the gradient."""
    *_, L = lecture_graph(Value)
    a = L._prev[0]._prev[0]._prev[0]
    L.backward()
    once = a.grad
    with pytest.raises(RuntimeError, match=r"accumulate=True"):
        L.backward()
    assert a.grad == once  # the failed call changed nothing
    L.backward(accumulate=True)
    assert a.grad == 2 * once

    class LV(MgValue):  # micrograd's Value with the lecture's label
        def __init__(self, data: Any, _children: Any = (), _op: str = "", label: str = "") -> None:
            super().__init__(data, _children, _op)
            self.label = label

    ma, *_, mL = lecture_graph(LV)
    mL.backward()
    mL.backward()
    assert ma.grad > 2 * once  # micrograd's second run is not "twice": its interior grads kept growing too


# ---------------------------------------------------------------------- an op the lecture's way


def lecture_tanh(self: Value) -> Value:
    """The lecture's tanh, added to Value as the lecture adds it: a node made with
    Value(t, (self,), 'tanh') and a zero-argument closure as its _backward."""
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def lecture_exp(self: Value) -> Value:
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def test_an_op_added_the_lecture_way_backpropagates_like_the_builtin_one() -> None:
    x = Value(0.3, label="x")
    y = lecture_tanh(x * 2.0) * lecture_exp(x) + x
    assert y._prev[0]._prev[0]._op == "tanh" and y._prev[0]._prev[0]._prev[0]._prev[0] is x
    y.backward()
    x2 = Value(0.3)
    y2 = (x2 * 2.0).tanh() * x2.exp() + x2
    y2.backward()
    assert y.data == pytest.approx(y2.data, rel=1e-15) and x.grad == pytest.approx(x2.grad, rel=1e-14)
    # `node._backward` gives back the closure itself, and runs it, as in the lecture
    t = y._prev[0]._prev[0]
    assert t._backward.__name__ == "_backward"
    assert gradcheck(lambda v: lecture_tanh(v) * lecture_exp(v), 0.3)


def test_a_wrong_closure_is_found_by_gradcheck_and_named() -> None:
    def bad_tanh(self: Value) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t) * out.grad  # forgot the square

        out._backward = _backward
        return out

    from autograd_lite import GradcheckError

    with pytest.raises(GradcheckError, match=r"Culprit: the local derivative of op 'tanh'"):
        gradcheck(lambda v: bad_tanh(v) * 2.0, 0.4)


def test_a_custom_op_is_drawn_and_stepped_through_with_its_closure_source() -> None:
    x = Value(0.5, label="x")
    o = lecture_tanh(x)
    o.label = "o"
    frames = viz.backward_frames(o)
    assert len(frames) == 1 and x.grad == 0.0 and o.grad == 0.0  # nothing changed
    text = str(viz.backward_steps(o))
    assert "self.grad += (1 - t**2) * out.grad" in text  # the closure's own source
    assert f"{1 - math.tanh(0.5) ** 2:.4f}" in text
    o.backward()
    assert x.grad == pytest.approx(1 - math.tanh(0.5) ** 2)


def test_micrograds_constructor_refuses_a_positional_label_and_bad_children() -> None:
    with pytest.raises(TypeError, match=r"label='a'"):
        Value(2.0, "a")
    with pytest.raises(TypeError, match=r"tuple of the Values"):
        Value(2.0, 3.0)
    with pytest.raises(TypeError, match=r"child 0 is a float"):
        Value(2.0, (1.0,))
    with pytest.raises(TypeError, match=r"requires_grad"):
        Value(2.0, (Value(1.0),), "f", requires_grad=False)
    with pytest.raises(TypeError, match=r"takes no argument"):
        Value(1.0, (Value(2.0),), "f")._backward = lambda out: None
    x = Value(1.0, requires_grad=False)
    assert not Value(2.0, (x,), "f").requires_grad  # computed from constants: a constant, as any op's result
    assert Value(math.inf, (Value(1.0),), "f").data == math.inf  # an op's result may overflow (IEEE)


def test_a_hand_made_node_follows_no_grad_and_anomaly_mode() -> None:
    from autograd_lite import AnomalyError, no_grad

    x = Value(1.0)
    with no_grad():
        assert Value(2.0, (x,), "f")._prev == ()
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"op 'f' made inf"):
        Value(math.inf, (x,), "f")


def test_grad_of_a_closure_op_explains_why_not() -> None:
    x = Value(0.3)
    with pytest.raises(NotImplementedError, match=r"closure as its rule"):
        grad(lecture_tanh(x), x)


def test_tensor_has_the_same_spellings() -> None:
    x = Tensor([0.5, -1.0], requires_grad=True)
    t = np.tanh(x.data)
    out = Tensor(t, (x,), "tanh")

    def _backward() -> None:
        part = (1 - t**2) * out.grad
        x.grad = part if x.grad is None else x.grad + part

    out._backward = _backward
    loss = (out * 3.0).sum()
    order = topological_order(loss)
    loss.grad = np.ones(())
    for node in reversed(order):
        node._backward()
    assert np.allclose(x.grad, 3 * (1 - np.tanh(x.data) ** 2))
    with pytest.raises(TypeError, match=r"label='x'"):
        Tensor([1.0], "x")
    # drawn and stepped through like any op: the closure runs on the real nodes, every grad put back
    held = [n.grad.copy() if n.grad is not None else None for n in order]
    frames = viz.backward_frames(loss)
    assert len(frames) == 3  # sum, *, and the closure's tanh
    assert "x.grad = part if x.grad is None else x.grad + part" in str(viz.backward_steps(loss))
    assert all((h is None and n.grad is None) or np.array_equal(h, n.grad) for h, n in zip(held, order))


# ---------------------------------------------------------------------- nn: micrograd's names


def test_nonlin_w_and_b_are_micrograds_names() -> None:
    n = nn.Neuron(3, nonlin=False, seed=0)
    assert n.activation == "linear" and n.w is n.weight and n.b is n.bias
    assert nn.Neuron(3, nonlin=True, seed=0).activation == "relu"
    assert nn.Layer(2, 3, nonlin=True, seed=0).activation == "relu"
    m = nn.MLP(2, [16, 16, 1], nonlin=True, init="uniform", seed=0)
    assert [layer.activation for layer in m.layers] == ["relu", "relu", "linear"]  # micrograd's MLP
    assert [layer.activation for layer in nn.MLP(2, [3, 1], nonlin=False).layers] == ["linear", "linear"]
    with pytest.raises(TypeError, match=r"nonlin=False"):
        nn.Neuron(2, False)
    with pytest.raises(TypeError, match=r"not both"):
        nn.MLP(2, [3, 1], "relu", nonlin=True)


def test_micrograds_nn_on_our_value_reproduces_micrograds_demo(monkeypatch) -> None:
    """micrograd 0.1.0's nn.py, its Value swapped for ours, runs the README's demo step for
    step: the same losses and weights as micrograd itself, to 1e-12."""
    import micrograd.nn as mg_nn

    X, y = nn.moons(40, noise=0.1, seed=0)
    y = 2 * y - 1

    def run(V: Any) -> List[float]:
        monkeypatch.setattr(mg_nn, "Value", V)
        random.seed(1337)
        model = mg_nn.MLP(2, [16, 16, 1])
        losses = []
        for k in range(4):
            inputs = [list(map(V, row)) for row in X.tolist()]
            scores = list(map(model, inputs))
            data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)) * (1.0 / len(scores))
            loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
            losses.append(loss.data)
        return losses + [p.data for p in model.parameters()]

    ours, theirs = np.array(run(Value)), np.array(run(MgValue))
    assert np.abs(ours - theirs).max() < 1e-12
    assert ours[9] < ours[0]  # it learns


def test_the_lecture_network_in_one_line_and_the_list_it_returns() -> None:
    """The lecture's MLP(3, [4, 4, 1]) (tanh everywhere, U(-1, 1) weights and biases) and its
    loop: our MLP returns a list, so the prediction is n(x)[0]."""
    n = nn.MLP(3, [4, 4, 1], output_activation="tanh", init="uniform", bias_init="uniform", seed=0)
    assert [layer.activation for layer in n.layers] == ["tanh", "tanh", "tanh"]
    ws = np.array([p.data for p in n.parameters()])
    biases = [neuron.b.data for layer in n.layers for neuron in layer.neurons]
    assert ws.min() >= -1.0 and ws.max() <= 1.0 and min(abs(b) for b in biases) > 0  # U(-1, 1), not 0
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    with pytest.raises(TypeError):
        (n(xs[0]) - ys[0]) ** 2  # a list, not a Value
    losses = []
    for _ in range(20):
        ypred = [n(x)[0] for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.2 * losses[0]

