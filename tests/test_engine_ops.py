"""Every op in the shared table: forward against math, gradients against central
differences and against PyTorch (float64)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import OP_IDS, OPS, Op

from autograd_lite import Value, numerical_grad


def draw_inputs(data: st.DataObject, op: Op) -> list:
    return [data.draw(s, label=f"x{i}") for i, s in enumerate(op.inputs)]


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@given(data=st.data())
def test_forward_matches_math(op: Op, data: st.DataObject) -> None:
    xs = draw_inputs(data, op)
    out = op.ours(*[Value(x) for x in xs])
    assert out.data == pytest.approx(op.ref(*xs), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@given(data=st.data())
def test_gradient_matches_central_differences(op: Op, data: st.DataObject) -> None:
    xs = draw_inputs(data, op)
    leaves = [Value(x) for x in xs]
    op.ours(*leaves).backward()
    numeric = numerical_grad(op.ours, *xs, eps=1e-6)
    for leaf, num in zip(leaves, numeric):
        assert leaf.grad == pytest.approx(num, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@given(data=st.data())
def test_value_and_gradient_match_pytorch(torch, op: Op, data: st.DataObject) -> None:
    xs = draw_inputs(data, op)
    leaves = [Value(x) for x in xs]
    out = op.ours(*leaves)
    out.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = op.torch(*ts)
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    for leaf, t in zip(leaves, ts):
        assert leaf.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow_value"])
@pytest.mark.parametrize("x", [0.7, -1.3, 2.0])
def test_x_op_x_matches_pytorch(torch, name: str, x: float) -> None:
    """The same node on both sides of a binary op: both contributions must arrive."""
    op = next(o for o in OPS if o.name == name)
    if name == "pow_value" and x < 0:
        x = -x
    a = Value(x)
    op.ours(a, a).backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    op.torch(t, t).backward()
    assert a.grad == pytest.approx(t.grad.item(), rel=1e-12)


# -- kinks: the conventions are documented and must hold exactly ----------------------


def grad_at(fn, x: float) -> float:
    v = Value(x)
    fn(v).backward()
    return v.grad


@pytest.mark.parametrize(
    "fn, torch_fn, expected",
    [
        (lambda v: v.relu(), lambda t: t.relu(), 0.0),
        (lambda v: abs(v), lambda t: t.abs(), 0.0),
        (lambda v: v.leaky_relu(0.1), lambda t: __import__("torch").nn.functional.leaky_relu(t, 0.1), 0.1),
        (lambda v: v.sqrt(), lambda t: t.sqrt(), math.inf),
    ],
    ids=["relu", "abs", "leaky_relu", "sqrt"],
)
def test_derivative_at_zero_follows_pytorch(torch, fn, torch_fn, expected) -> None:
    assert grad_at(fn, 0.0) == expected
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch_fn(t).backward()
    assert t.grad.item() == expected


def test_pow_exponent_gradient_at_zero_and_negative_base(torch) -> None:
    for base, exponent in [(0.0, 2.0), (-2.0, 2.0), (-2.0, 3.0)]:
        a, b = Value(base), Value(exponent)
        (a**b).backward()
        ta = torch.tensor(base, requires_grad=True)
        tb = torch.tensor(exponent, requires_grad=True)
        (ta**tb).backward()
        assert a.grad == pytest.approx(ta.grad.item())
        # d/db a**b = a**b ln a: 0 at a == 0, nan for a < 0, as torch says
        if base == 0.0:
            assert b.grad == 0.0 == tb.grad.item()
        else:
            assert math.isnan(b.grad) and math.isnan(tb.grad.item())


def test_pow_base_gradient_at_zero() -> None:
    assert grad_at(lambda v: v**2, 0.0) == 0.0
    assert grad_at(lambda v: v**1, 0.0) == 1.0
    assert grad_at(lambda v: v**0.5, 0.0) == math.inf
    assert grad_at(lambda v: v**0, 3.0) == 0.0


def test_sigmoid_and_softplus_are_stable_far_out() -> None:
    for x in [-800.0, -50.0, 50.0, 800.0]:
        s = Value(x).sigmoid()
        assert 0.0 <= s.data <= 1.0
        sp = Value(x).softplus()
        assert sp.data == pytest.approx(max(x, 0.0), abs=1e-20 if abs(x) > 50 else 1e-15)
        assert math.isfinite(grad_at(lambda v: v.sigmoid(), x))
        assert grad_at(lambda v: v.softplus(), x) == pytest.approx(1.0 if x > 0 else 0.0, abs=1e-20)


def test_every_recorded_op_is_known_to_gradcheck() -> None:
    from autograd_lite.gradcheck import LOCAL_OPS

    from autograd_lite.graph import topological_order

    seen = set()
    for op in OPS:
        out = op.ours(*[Value(0.5) for _ in op.inputs])
        seen |= {node._op for node in topological_order(out) if node._prev}
    assert seen <= set(LOCAL_OPS), seen - set(LOCAL_OPS)
    assert set(LOCAL_OPS) <= seen, set(LOCAL_OPS) - seen
