"""Every error the engine raises names the op and the value, and says what to do."""

import math

import numpy as np
import pytest

from autograd_lite import Value


@pytest.mark.parametrize(
    "bad, exc, pattern",
    [
        (None, TypeError, r"Value\(\.\.\.\): expected a real number, got NoneType None"),
        ("3", TypeError, r"got str '3'; convert it first, e\.g\. float\('3'\)"),
        ([1, 2], TypeError, r"got list \[1, 2\]; for arrays use autograd_lite\.Tensor"),
        (np.array([1.0, 2.0]), TypeError, r"got ndarray of shape \(2,\); for arrays use autograd_lite\.Tensor"),
        (True, TypeError, r"got the bool True; .*write 1\.0"),
        (float("nan"), ValueError, r"got nan; a Value must hold a finite number"),
        (float("inf"), ValueError, r"got inf; a Value must hold a finite number"),
        (10**400, OverflowError, r"too large for a float64"),
    ],
    ids=["None", "str", "list", "ndarray", "bool", "nan", "inf", "huge-int"],
)
def test_constructor_rejects(bad, exc, pattern) -> None:
    with pytest.raises(exc, match=pattern):
        Value(bad)


def test_constructor_accepts_numbers() -> None:
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(7)).data == 7.0
    with pytest.raises(TypeError, match="already a node"):
        Value(Value(1.0))
    with pytest.raises(TypeError, match="a label is a str"):
        Value(1.0, label=3)


def test_operands_are_checked_with_the_op_name() -> None:
    v = Value(1.0)
    with pytest.raises(TypeError, match=r"Value\.__add__: expected a real number, got str 'a'"):
        v + "a"
    with pytest.raises(TypeError, match=r"Value\.__rmul__"):
        "a" * v
    with pytest.raises(ValueError, match=r"Value\.__mul__: got nan"):
        v * float("nan")
    with pytest.raises(TypeError, match=r"Value\.__mul__: .*ndarray of shape \(3,\).*Tensor"):
        v * np.ones(3)
    # numpy defers to Value instead of building an object array of Values
    with pytest.raises(TypeError, match=r"Value\.__rmul__: .*ndarray"):
        np.ones(3) * v


def test_division_by_zero_names_truediv_not_pow() -> None:
    with pytest.raises(ZeroDivisionError, match=r"^division by zero in Value\.__truediv__"):
        1 / Value(0)
    with pytest.raises(ZeroDivisionError, match=r"^division by zero in Value\.__truediv__"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match=r"^division by zero in Value\.__truediv__"):
        Value(1.0) / Value(0.0)


def test_pow_domain() -> None:
    with pytest.raises(ValueError, match=r"Value\.__pow__: -8\.0 \*\* 0\.5 is not a real number"):
        Value(-8.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match=r"Value\.__pow__: 0\.0 \*\* -1\.0 divides by zero"):
        Value(0.0) ** -1
    with pytest.raises(OverflowError, match=r"Value\.__pow__: 10\.0 \*\* 400\.0 overflows"):
        Value(10.0) ** 400
    assert (Value(-2.0) ** 3).data == -8.0  # integer exponents are fine for negative bases
    assert not isinstance((Value(-2.0) ** Value(2.0)).data, complex)


def test_exp_overflow() -> None:
    with pytest.raises(OverflowError, match=r"Value\.exp: exp\(710\.0\) overflows float64"):
        Value(710.0).exp()
    assert math.isfinite(Value(709.0).exp().data)


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive(x) -> None:
    with pytest.raises(ValueError, match=rf"Value\.log: log\({x!r}\) is undefined; log needs x > 0"):
        Value(x).log()


def test_sqrt_of_negative() -> None:
    with pytest.raises(ValueError, match=r"Value\.sqrt: sqrt\(-1\.0\) is not a real number"):
        Value(-1.0).sqrt()


def test_add_and_mul_follow_ieee_on_overflow() -> None:
    big = Value(1e308)
    assert (big * 10.0).data == math.inf
    assert (big + big).data == math.inf


def test_backward_errors() -> None:
    with pytest.raises(ValueError, match=r"Value\.backward\(grad=\.\.\.\): got nan"):
        (Value(1.0) * 2.0).backward(grad=float("nan"))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Value(1.0).detach().backward()


# -- the policy table holds everywhere, not just at the hand-picked points above -----------

import hypothesis.strategies as st  # noqa: E402
from hypothesis import given  # noqa: E402

# Magnitudes from 1e-6 to 1e3, and the special points. (Far smaller ones make
# gradients like 1/y**2 overflow to inf, and IEEE then turns 0 * inf into nan: the
# documented policy of * and +, the same in PyTorch.)
ANY = (
    st.floats(1e-6, 1e3).flatmap(lambda m: st.sampled_from([m, -m]))
    | st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.5])
)
DOCUMENTED = (ValueError, ZeroDivisionError, OverflowError)


@given(ANY, ANY)
def test_binary_ops_give_a_real_number_or_a_documented_error(a: float, b: float) -> None:
    for op in (lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y, lambda x, y: x**y):
        x, y = Value(a), Value(b)
        try:
            out = op(x, y)
        except DOCUMENTED:
            continue
        assert type(out.data) is float  # never complex, never int
        if math.isfinite(out.data):
            out.backward()
            assert type(x.grad) is float and type(y.grad) is float
            # the only nan a gradient may hold is d/db a**b for a < 0 (documented, as PyTorch)
            assert not math.isnan(x.grad)
            assert not math.isnan(y.grad) or (out._op == "**" and a < 0)


@given(ANY)
def test_unary_ops_give_a_real_number_or_a_documented_error(a: float) -> None:
    for name in ("exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sqrt", "sin", "cos"):
        x = Value(a)
        try:
            out = getattr(x, name)()
        except DOCUMENTED as err:
            assert f"Value.{name}" in str(err)  # the message names the op
            continue
        assert type(out.data) is float and math.isfinite(out.data)
        out.backward()
        assert type(x.grad) is float and not math.isnan(x.grad)
