"""Random expression graphs (trees and DAGs with shared subexpressions, every
primitive) compared with PyTorch for the value and every leaf gradient."""

import math

import pytest
from hypothesis import assume, given, settings
from strategies import GRAPH_OPS, programs, run_program

from autograd_lite import Value


@settings(max_examples=300)
@given(programs())
def test_random_graphs_match_pytorch(torch, program) -> None:
    xs, steps = program
    leaves = [Value(x) for x in xs]
    try:
        out = run_program(leaves, steps)
    except OverflowError:
        assume(False)  # a program whose values overflow float64 says nothing about gradients
    assume(math.isfinite(out.data) and abs(out.data) < 1e8)
    out.backward()

    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = run_program(ts, steps, torch_ops=True)
    t_out.backward()

    assert out.data == pytest.approx(t_out.item(), rel=1e-9, abs=1e-9)
    for leaf, t in zip(leaves, ts):
        expected = t.grad.item() if t.grad is not None else 0.0
        assume(math.isfinite(expected))
        assert leaf.grad == pytest.approx(expected, rel=1e-7, abs=1e-7)


def test_programs_cover_every_graph_op() -> None:
    """The strategy can reach every op (a guard against an op silently left out)."""
    names = {name for name, _ in GRAPH_OPS}
    assert {"add", "mul", "pow_value", "exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt", "sin", "cos",
            "softplus", "leaky_relu", "div", "sub", "neg"} <= names
