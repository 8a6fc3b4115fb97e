"""The lecture's graphs, built once for the tests and benchmarks/viz_legibility.py.

``neuron`` is the lecture's neuron, o = tanh(x1*w1 + x2*w2 + b) with the textbook numbers
(o = 0.7071), built node by node with the labels the lecture gives them; the class and the
head are parameters so micrograd's own Value (which has no tanh) builds the same graph.
``tour_neuron`` is that neuron as the tour draws it; ``lecture_L``, ``fan_out`` and
``tensor_mlp`` are the other lecture drawings. Only the public ``Value``/``Tensor`` API is
used, so a benchmark can build these graphs with an older checkout's engine.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from autograd_lite import Tensor, Value


def neuron(V: Callable[..., Any] = Value, *, head: Callable[[Any], Any] = lambda n: n.tanh(), sum_label: str = "",
           **data: Any) -> Dict[str, Any]:
    """Every node of o = head(x1*w1 + x2*w2 + b), by name (x1, x2, w1, w2, b, x1w1, x2w2, s, n, o).

    ``V`` makes the leaves; ``data`` goes to the data's (x1, x2) only, e.g.
    ``requires_grad=False``; ``sum_label`` labels s = x1*w1 + x2*w2 (unlabelled by default,
    as the tour leaves it).
    """
    x1, x2 = V(2.0, label="x1", **data), V(0.0, label="x2", **data)
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    if sum_label:
        s.label = sum_label
    n = s + b
    n.label = "n"
    o = head(n)
    o.label = "o"
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)


def tour_neuron() -> Tuple[Value, List[Value]]:
    """o = tanh(x1*w1 + x2*w2 + b) as the tour builds it: plain Values; and x1, x2, the data."""
    v = neuron()
    return v["o"], [v["x1"], v["x2"]]


def lecture_L() -> Value:
    """L = (a*b + c) * f with a=2, b=-3, c=10, f=-2 (L = -8)."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L


def fan_out() -> Value:
    """b = a + a: a appears twice in b's parents."""
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    return b


def tensor_mlp() -> Tuple[Tensor, Dict[str, Tensor]]:
    """A 2-3-1 MLP written with raw Tensors on a batch of 4; its loss and its parameters by name."""
    x = Tensor([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [0.0, -0.5]], label="x")
    y = Tensor([[0.3], [-0.2], [0.8], [0.1]], label="y")
    w1 = Tensor([[0.2, -0.4, 0.6], [-0.1, 0.5, 0.3]], requires_grad=True)
    b1 = Tensor([0.05, -0.1, 0.2], requires_grad=True)
    w2 = Tensor([[0.7], [-0.3], [0.5]], requires_grad=True)
    b2 = Tensor([0.1], requires_grad=True)
    loss = ((((x @ w1 + b1).tanh() @ w2 + b2) - y) ** 2).mean()
    loss.label = "loss"
    return loss, {"0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2}
