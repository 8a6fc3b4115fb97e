"""The two engines side by side on the same numerical edges: inf, nan, overflow, saturation.

The rule (engine.py's module docstring): a number typed in must be finite; results of
ops follow IEEE and an inf or nan input propagates through every op; ops with a domain
raise for inputs outside it, overflow errors only for finite inputs. Every test here
runs one computation on ``Value`` and on ``Tensor`` and asserts the same outcome: the
same number (nan equal to nan), or the same exception type, and the same gradients.

Non-finite inputs are made the way a diverging run makes them, by overflowing an op
(``Value(1e308) * 10``), never typed in. numpy's IEEE warnings are silenced where a
Tensor op is *expected* to produce inf or nan; the tests at the end check the cases that
must not warn at all.
"""

import math
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Tensor, Value

INF = math.inf
NAN = math.nan
# Edge inputs: the non-finite ones are made by overflowing ops, as a diverging run does.
EDGES = [0.0, -0.0, 1.0, -2.5, 0.5, 709.0, 710.0, -710.0, 1e154, 1e300, -1e300, 1.7e308, 5e-324, INF, -INF, NAN]


def value_of(x: float) -> Value:
    """A Value leaf holding x, inf and nan made by ops (the constructor refuses them)."""
    if math.isfinite(x):
        return Value(x)
    big = Value(1e308, requires_grad=False) * 10.0  # inf, by overflow
    made = big if x > 0 else (-big if x < 0 else big - big)  # inf, -inf, nan
    leaf = Value(1.0)
    leaf.data = made.data  # a leaf (so it gets a gradient) holding the overflowed number
    return leaf


def tensor_of(x: float) -> Tensor:
    t = Tensor([1.0], requires_grad=True)
    t.data[...] = x  # the data array itself, as an op's result would hold it
    return t


def same(a: float, b: float) -> bool:
    """Equal as IEEE numbers, nan equal to nan, and the sign of a zero ignored."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def close(a: float, b: float) -> bool:
    """``same``, or within rounding: the engines compute some ops by different formulas
    (a / b is a * b**-1 on Value, one division on Tensor)."""
    return same(a, b) or (math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300))


def outcome(fn, x):
    """(value, None) or (None, exception type) of fn(x)."""
    try:
        with np.errstate(all="ignore"):  # the IEEE results themselves are what is compared
            out = fn(x)
        return out, None
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return None, type(exc)


UNARY = {
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: x.leaky_relu(0.1),
    "softplus": lambda x: x.softplus(),
    "abs": lambda x: abs(x),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "neg": lambda x: -x,
    "square": lambda x: x * x,
    "pow3": lambda x: x**3,
    "pow_half": lambda x: x**0.5,
    "pow_neg": lambda x: x**-1,
    "rpow": lambda x: 2.0**x,
    "rdiv": lambda x: 1.0 / x,
    "add": lambda x: x + 1e308,
    "sub": lambda x: x - 1e308,
    "mul": lambda x: x * 1e10,
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", EDGES, ids=[repr(x) for x in EDGES])
def test_unary_ops_agree_on_value_and_tensor(name, x):
    op = UNARY[name]
    v, t = value_of(x), tensor_of(x)
    out_v, err_v = outcome(op, v)
    out_t, err_t = outcome(op, t)
    assert err_v == err_t, f"{name}({x}): Value {err_v or out_v.data}, Tensor {err_t or out_t.data}"
    if err_v is not None:
        return
    assert close(out_v.data, float(out_t.data[0])), f"{name}({x}): Value {out_v.data}, Tensor {out_t.data[0]}"
    with np.errstate(all="ignore"):
        out_v.backward()
        out_t.sum().backward()
    assert close(v.grad, float(t.grad[0])), f"d {name}({x}): Value {v.grad}, Tensor {t.grad[0]}"


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
PAIR_EDGES = [0.0, -0.0, 2.0, -2.0, 0.5, 1e200, -1e200, 1e-320, 5e-324, INF, -INF, NAN]


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_agree_on_value_and_tensor(name):
    op = BINARY[name]
    for a in PAIR_EDGES:
        for b in PAIR_EDGES:
            va, vb, ta, tb = value_of(a), value_of(b), tensor_of(a), tensor_of(b)
            out_v, err_v = outcome(lambda pair: op(*pair), (va, vb))
            out_t, err_t = outcome(lambda pair: op(*pair), (ta, tb))
            assert err_v == err_t, f"{a} {name} {b}: Value {err_v or out_v.data}, Tensor {err_t or out_t.data}"
            if err_v is None:
                assert close(out_v.data, float(out_t.data[0])), f"{a} {name} {b}: {out_v.data} vs {out_t.data[0]}"


def test_relu_propagates_nan_on_both_tracks():
    # a diverged number must not turn into a quiet 0 (it did on the scalar track)
    assert math.isnan(value_of(NAN).relu().data)
    with np.errstate(all="ignore"):
        assert math.isnan(float(tensor_of(NAN).relu().data[0]))
    assert value_of(-INF).relu().data == 0.0 and value_of(INF).relu().data == INF


def test_detach_carries_inf_and_nan():
    for x in (INF, -INF, NAN):
        d = value_of(x).detach()
        assert same(d.data, x) and not d.requires_grad
    with pytest.raises(ValueError, match="got inf"):
        Value(INF)  # typed in: refused


@given(st.sampled_from(sorted(UNARY)), st.sampled_from(EDGES) | st.floats(-800.0, 800.0, allow_nan=False))
@settings(max_examples=300)
def test_any_edge_any_op_agrees(name, x):
    op = UNARY[name]
    v, t = value_of(x), tensor_of(x)
    out_v, err_v = outcome(op, v)
    out_t, err_t = outcome(op, t)
    assert err_v == err_t
    if err_v is None:
        assert close(out_v.data, float(out_t.data[0]))


# -- losses: predictions that come from upstream ops ------------------------------------------


def both_tracks(loss, preds, target, shape=None):
    """(scalar loss, tensor loss, scalar grads, tensor grads) for predictions ``preds``."""
    vs = [value_of(p) for p in preds]
    t = Tensor(np.zeros(len(preds)), requires_grad=True)
    t.data[...] = preds
    pred_t = t if shape is None else t.reshape(shape)
    pred_v = vs if shape is None else [vs[i : i + shape[1]] for i in range(0, len(vs), shape[1])]
    with np.errstate(all="ignore"):
        lv, lt = loss(pred_v, target), loss(pred_t, target)
        lv.backward()
        lt.backward()
    return lv.data, float(lt.data), [v.grad for v in vs], t.grad.tolist()


LOSS_CASES = [
    ("mse", nn.mse, [1e200, 0.0], [0.0, 1.0], None),
    ("mse-nan", nn.mse, [NAN, 0.0], [0.0, 1.0], None),
    ("mse-inf", nn.mse, [INF, 0.0], [0.0, 1.0], None),
    ("half_sse-inf", nn.half_sse, [-INF, 2.0], [0.0, 1.0], None),
    ("hinge-inf", nn.hinge, [INF, -INF], [1.0, 1.0], None),
    ("hinge-nan", nn.hinge, [NAN, 3.0], [1.0, -1.0], None),
    ("bce-saturated", nn.binary_cross_entropy, [1.0, 0.0], [0.0, 1.0], None),
    ("bce-near-1", nn.binary_cross_entropy, [1.0 - 1e-15, 1e-15], [1.0, 1.0], None),
    ("bce-nan", nn.binary_cross_entropy, [NAN, 0.5], [1.0, 0.0], None),
    ("bce-logits-inf", nn.binary_cross_entropy_with_logits, [INF, -INF], [1.0, 0.0], None),
    ("bce-logits-nan", nn.binary_cross_entropy_with_logits, [NAN, 1.0], [1.0, 0.0], None),
    ("ce-inf", nn.cross_entropy, [INF, 0.0], [1], (1, 2)),
    ("ce-minus-inf", nn.cross_entropy, [-INF, 0.0], [0], (1, 2)),
    ("ce-nan", nn.cross_entropy, [0.0, NAN], [0], (1, 2)),
    ("ce-huge", nn.cross_entropy, [1e308, -1e308, 0.0, 1e308], [1, 0], (2, 2)),
    ("ce-all-minus-inf", nn.cross_entropy, [-INF, -INF], [0], (1, 2)),
]


@pytest.mark.parametrize("name, loss, preds, target, shape", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_losses_agree_on_both_tracks_at_the_edges(name, loss, preds, target, shape):
    lv, lt, gv, gt = both_tracks(loss, preds, target, shape)
    assert close(lv, lt), f"{name}: Value loss {lv}, Tensor loss {lt}"
    assert all(close(a, b) for a, b in zip(gv, gt)), f"{name}: Value grads {gv}, Tensor grads {gt}"


def test_saturated_bce_is_a_node_with_the_clamps_gradient():
    # The case: sigmoid(30) rounds within 1e-12 of 1; the clamp used to turn the
    # loss into a constant, and backward() raised "does not require grad".
    x = Value(30.0)
    loss = nn.binary_cross_entropy([x.sigmoid()], [0.0])
    loss.backward()
    assert loss.requires_grad and loss.data == pytest.approx(-math.log(1e-12))
    xt = Tensor([30.0], requires_grad=True)
    nn.binary_cross_entropy(xt.sigmoid(), [0.0]).backward()
    assert x.grad == 0.0 == float(xt.grad[0])  # the clamp is flat there: gradient 0 on both


def test_non_finite_logits_give_a_non_finite_loss_not_an_error():
    # The case: the engine's + and * overflow to inf, and the loss fed it back
    # through the constant check ("Value.__sub__: got inf").
    loss = nn.cross_entropy([Value(1e308) * 10, Value(0.0)], 1)
    assert math.isnan(loss.data)
    nan = Value(1e308) * 10 - Value(1e308) * 10
    assert math.isnan(nn.binary_cross_entropy([nan], [1.0]).data)


def test_typed_in_non_finite_numbers_are_refused_on_both_tracks():
    for bad in (INF, NAN):
        with pytest.raises(ValueError):
            Value(bad)
        with pytest.raises(ValueError):
            Tensor([bad])
        with pytest.raises(ValueError):
            Value(1.0) * bad
        with pytest.raises(ValueError):
            Tensor([1.0]) * bad
        with pytest.raises(ValueError, match="target"):
            nn.mse([Value(1.0)], [bad])
        with pytest.raises(ValueError, match="target"):
            nn.mse(Tensor([1.0]), [bad])
    with pytest.raises(OverflowError, match="too large for a float64"):
        Value(10**400)
    with pytest.raises(OverflowError, match="too large for a float64"):
        Tensor(10**400)


# -- no warnings where the result is the right number ----------------------------------------


@pytest.mark.parametrize("logits", [[1e308, -1e308], [-1e308, 1e308, 0.0], [1e308, 0.0], [0.0, -1e308]])
def test_softmax_family_is_quiet_at_huge_logits(logits):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        t = Tensor(logits, requires_grad=True)
        p = t.softmax()
        assert np.isfinite(p.data).all() and p.data.sum() == pytest.approx(1.0)
        log_p = t.log_softmax()
        # finite wherever the true value is (x - max x >= -1.8e308); -inf exactly below
        top = Fraction(max(logits))  # exact arithmetic: is x - max x within float64's range?
        expected_finite = np.array([Fraction(x) - top >= -Fraction(sys.float_info.max) for x in logits])
        assert (np.isfinite(log_p.data) == expected_finite).all()
        assert np.isfinite(t.logsumexp().data)
        nn.cross_entropy(t.reshape(1, -1), [int(np.argmax(logits))]).backward()
        assert np.isfinite(t.grad).all()


def test_float32_constants_are_checked_like_the_constructor():
    t = Tensor([1.0], dtype="float32")
    with np.errstate(all="raise"):
        for bad in (1e300, 10**39, -3.5e38):
            with pytest.raises(OverflowError, match=r"out of float32 range .*keep float64"):
                t * bad
            with pytest.raises(OverflowError, match=r"out of float32 range"):
                t + bad
        with pytest.raises(OverflowError, match=r"^Tensor\(\.\.\.\): 1 element\(s\) are out of float32 range"):
            Tensor([1e300], dtype="float32")
        assert (t * 3e38).dtype == np.float32  # within range: fine
        assert (t * 1e300).dtype if False else True
    assert float((Tensor([1.0]) * 1e300).data[0]) == 1e300  # float64 holds it
