"""Every row of the error policy in tensor.py's docstring: the error names the op and
the offending value or shape, and says what to do. Then a property: for any finite
input, every elementwise op gives finite numbers or one of the documented errors."""

import re
import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import event, given, settings

from autograd_lite import Tensor, Value, concatenate, maximum, minimum, no_grad, stack


def esc(text: str) -> str:
    return re.escape(text)


A23 = np.arange(6.0).reshape(2, 3) + 1.0


# -- Tensor(x) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, exc, pattern",
    [
        (None, TypeError, r"Tensor\(\.\.\.\): expected numbers or an array of numbers, got NoneType None"),
        ("3", TypeError, r"Tensor\(\.\.\.\): expected numbers .*got str '3'"),
        (b"3", TypeError, r"Tensor\(\.\.\.\): expected numbers .*got bytes b'3'"),
        (["1", "2"], TypeError, r"got a string array of shape \(2,\); a Tensor holds real numbers; .*float\("),
        (np.array([1, "a"], dtype=object), TypeError, r"the element at index \(1,\) is str 'a'; a Tensor holds real"),
        ([1 + 2j, 3.0], TypeError, r"got a complex array of shape \(2,\); a Tensor holds real numbers"),
        (1j, TypeError, r"got a complex array of shape \(\); a Tensor holds real numbers"),
        ([[1.0, 2.0], [3.0]], ValueError, r"Tensor\(\.\.\.\): could not make an array from list: .*inhomogeneous"),
        (Tensor([1.0]), TypeError, r"got a Tensor; it is already a node, use it directly \(or x\.detach\(\)\)"),
    ],
    ids=["None", "str", "bytes", "str-list", "object", "complex", "complex-scalar", "ragged", "Tensor"],
)
def test_constructor_rejects(bad, exc, pattern) -> None:
    with pytest.raises(exc, match=pattern):
        Tensor(bad)


@pytest.mark.parametrize(
    "data, count, first, value",
    [
        ([1.0, float("nan")], 1, (1,), "nan"),
        ([[1.0, 2.0], [float("inf"), float("-inf")]], 2, (1, 0), "inf"),
        ([[1.0, float("nan")], [float("inf"), 2.0]], 2, (0, 1), "nan"),
    ],
    ids=["nan", "inf-and-minus-inf", "mixed"],
)
def test_constructor_rejects_nan_and_inf_with_count_and_first_index(data, count, first, value) -> None:
    pattern = (
        rf"Tensor\(\.\.\.\): {count} element\(s\) are nan or inf \(the first at index {esc(str(first))}: "
        rf"{esc(value)}\); a Tensor must hold finite numbers"
    )
    with pytest.raises(ValueError, match=pattern):
        Tensor(data)


def test_constructor_rejects_a_non_finite_scalar_by_value() -> None:
    with pytest.raises(ValueError, match=r"^Tensor\(\.\.\.\): got -inf; a Tensor must hold finite numbers$"):
        Tensor(float("-inf"))


def test_constructor_settings_are_checked() -> None:
    with pytest.raises(TypeError, match=r"dtype float16 is not supported; use 'float64' \(default\) or 'float32'"):
        Tensor([1.0], dtype="float16")
    with pytest.raises(TypeError, match=r"dtype int64 is not supported"):
        Tensor([1.0], dtype=np.int64)
    with pytest.raises(TypeError, match=r"Tensor\(label=\.\.\.\): a label is a str, got int 3"):
        Tensor([1.0], label=3)
    with pytest.raises(TypeError, match=r"Tensor\(requires_grad=\.\.\.\): expected True or False, got 'yes'"):
        Tensor([1.0], requires_grad="yes")


def test_non_finite_operands_and_seeds_are_refused_with_the_op_name() -> None:
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"Tensor\.__add__: 1 element\(s\) are nan or inf \(the first at index \(1,\)"):
        t + np.array([1.0, np.nan])
    with pytest.raises(ValueError, match=r"Tensor\.__mul__: got inf; a Tensor must hold finite numbers"):
        t * float("inf")
    with pytest.raises(ValueError, match=r"Tensor\.__radd__: got nan"):
        float("nan") + t
    with pytest.raises(ValueError, match=r"Tensor\.backward\(grad=\.\.\.\): 1 element\(s\) are nan or inf"):
        (t * 2.0).backward(grad=[1.0, np.nan])
    assert t.grad is None


# -- mixing with Value ------------------------------------------------------------------------


def test_tensor_and_value_do_not_mix_in_either_direction() -> None:
    t, v = Tensor([1.0, 2.0]), Value(3.0)
    mix = r"Tensor and Value graphs do not mix"
    with pytest.raises(TypeError, match=rf"Tensor\.__add__: cannot mix a Tensor with a Value \(Value\(data=3\.0.*{mix}"):
        t + v
    with pytest.raises(TypeError, match=rf"Tensor\.__mul__: cannot mix a Tensor with a Value.*{mix}"):
        t * v
    with pytest.raises(TypeError, match=r"Tensor\.__matmul__: cannot mix a Tensor with a Value"):
        t @ v
    with pytest.raises(TypeError, match=r"Value\.__add__: cannot mix a Value with a Tensor \(shape \(2,\)\); "
                       r"Value and Tensor graphs do not mix\. Use Tensor throughout"):
        v + t
    with pytest.raises(TypeError, match=r"Value\.__mul__: cannot mix a Value with a Tensor \(shape \(2,\)\)"):
        v * t
    with pytest.raises(TypeError, match=rf"Tensor\(\.\.\.\): got a Value \(Value\(data=3\.0.*{mix}\. Use Tensor\(3\.0\)"):
        Tensor(v)
    with pytest.raises(TypeError, match=rf"Tensor\(\.\.\.\): the element at index \(0,\) is a Value; {mix}"):
        Tensor([v, Value(4.0)])
    with pytest.raises(TypeError, match=r"maximum: cannot mix a Tensor with a Value"):
        maximum(t, v)


# -- shapes -----------------------------------------------------------------------------------

BINARY = [
    ("+", "add", lambda a, b: a + b),
    ("-", "subtract", lambda a, b: a - b),
    ("*", "multiply", lambda a, b: a * b),
    ("/", "divide", lambda a, b: a / b),
    ("**", "power", lambda a, b: a**b),
]


@pytest.mark.parametrize("symbol, name, fn", BINARY, ids=[b[1] for b in BINARY])
@pytest.mark.parametrize("left_is_array", [False, True], ids=["tensor-tensor", "array-tensor"])
def test_binary_shape_mismatch_names_the_op_and_both_shapes(symbol, name, fn, left_is_array) -> None:
    x = np.ones((2, 3)) if left_is_array else Tensor(np.ones((2, 3)), requires_grad=True)
    y = Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(ValueError, match=esc(f"{name}: (2, 3) {symbol} (4,): shapes do not broadcast") + r".*reshape"):
        fn(x, y)


def test_maximum_shape_mismatch_names_the_op_and_both_shapes() -> None:
    with pytest.raises(ValueError, match=esc("maximum: shapes (2, 3) and (4,): shapes do not broadcast")):
        maximum(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))


def test_minimum_shape_mismatch_names_minimum() -> None:
    with pytest.raises(ValueError, match=esc("minimum: shapes (2, 3) and (4,)")):
        minimum(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))


def test_matmul_inner_dimensions() -> None:
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=esc("matmul: (3, 4) @ (5, 2): inner dimensions 4 and 5 differ")):
        a @ b
    with pytest.raises(ValueError, match=esc("matmul: (3, 4) @ (5, 2): inner dimensions 4 and 5 differ")):
        np.ones((3, 4)) @ b  # reflected, same message
    with pytest.raises(ValueError, match=esc("matmul: (2,) @ (3,): inner dimensions 2 and 3 differ")):
        Tensor([1.0, 2.0]) @ Tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=esc("matmul: (2, 3) @ (4,): inner dimensions 3 and 4 differ")):
        Tensor(np.ones((2, 3))).matmul(np.ones(4))
    with pytest.raises(ValueError, match=esc("matmul: (3,) @ (2, 4, 5): inner dimensions 3 and 4 differ")):
        Tensor(np.ones(3)) @ Tensor(np.ones((2, 4, 5)))


def test_matmul_with_a_0d_operand() -> None:
    for a, b, text in [(Tensor(2.0), np.ones((5, 2)), "() @ (5, 2)"), (Tensor(np.ones(3)), Tensor(2.0), "(3,) @ ()")]:
        with pytest.raises(ValueError, match=esc(f"matmul: {text}: a 0-d operand has no dimension to contract; use *")):
            a @ b


def test_matmul_batch_dimensions_that_do_not_broadcast() -> None:
    with pytest.raises(ValueError, match=esc("matmul: (2, 3, 4) @ (5, 4, 2): the batch dimensions (2,) and (5,) do not broadcast")):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))
    # batch dims that do broadcast are fine: (2, 1, 3, 4) @ (5, 4, 2) -> (2, 5, 3, 2)
    assert (Tensor(np.ones((2, 1, 3, 4))) @ Tensor(np.ones((5, 4, 2)))).shape == (2, 5, 3, 2)


@pytest.mark.parametrize("shape", [(4, 2), (7,), (-1, 4), (-1, -1)], ids=str)
def test_reshape_to_an_impossible_shape(shape) -> None:
    with pytest.raises(ValueError, match=esc(f"Tensor.reshape: cannot reshape (6,) (6 elements) into {shape}")):
        Tensor(np.ones(6)).reshape(*shape)


# -- reductions -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reduction_axis_errors(op) -> None:
    t = Tensor(A23)
    reduce = getattr(t, op)
    for axis, bad in [(2, 2), (-3, -3), ((0, 2), 2)]:
        with pytest.raises(ValueError, match=esc(f"Tensor.{op}: axis {bad} is out of range for a tensor with 2 axes")):
            reduce(axis=axis)
    for axis in [(0, 0), (1, -1)]:
        with pytest.raises(ValueError, match=esc(f"Tensor.{op}: axis {axis!r} repeats an axis")):
            reduce(axis=axis)
    for axis in [(1.0,), "0", (0, None), True]:
        with pytest.raises(TypeError, match=esc(f"Tensor.{op}: axis must be an int or a tuple of ints, got ") + ".*" + esc(repr(axis))):
            reduce(axis=axis)


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_a_float_axis_is_refused_with_the_op_name(op) -> None:
    with pytest.raises(TypeError, match=esc(f"Tensor.{op}: axis must be an int")):
        getattr(Tensor(A23), op)(axis=1.0)


@pytest.mark.parametrize("op, what", [("mean", "the mean"), ("max", "the maximum")])
def test_reductions_over_zero_elements(op, what) -> None:
    empty = Tensor(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=esc(f"Tensor.{op}: {what} of zero elements (shape (0, 3), axis None) is undefined")):
        getattr(empty, op)()
    with pytest.raises(ValueError, match=esc(f"Tensor.{op}: {what} of zero elements (shape (0, 3), axis (0,))")):
        getattr(empty, op)(axis=0)
    assert getattr(empty, op)(axis=1).shape == (0,)  # three elements per (non-existent) row: fine
    assert empty.sum().item() == 0.0  # an empty sum is 0, as numpy


# -- indexing ---------------------------------------------------------------------------------


def test_float_and_tensor_indices_are_refused() -> None:
    t = Tensor(A23)
    for index in (np.array([0.0, 1.0]), [0.0, 1.0], (0, np.array([1.5]))):
        with pytest.raises(TypeError, match=r"Tensor\[\.\.\.\]: an index array must hold integers or bools, got dtype float64"):
            t[index]
    for index in (Tensor([0.0]), (0, Tensor(1.0))):
        with pytest.raises(TypeError, match=r"Tensor\[\.\.\.\]: index with ints.*not a Tensor.*t\[idx\.data\.astype\(int\)\]"):
            t[index]


@pytest.mark.parametrize(
    "index, detail",
    [(5, "index 5 is out of bounds for axis 0 with size 2"), ((slice(None), 3), "index 3 is out of bounds for axis 1"),
     ([0, 2], "index 2 is out of bounds for axis 0"), (-3, "index -3 is out of bounds")],
    ids=["int", "second-axis", "list", "negative"],
)
def test_out_of_range_index(index, detail) -> None:
    with pytest.raises(IndexError, match=r"Tensor\[\.\.\.\]: index .* does not fit shape \(2, 3\): " + esc(detail)):
        Tensor(A23)[index]


# -- settings of clip and leaky_relu ------------------------------------------------------------


def test_clip_bounds() -> None:
    t = Tensor(A23)
    with pytest.raises(ValueError, match=r"Tensor\.clip: lo=2\.0 is above hi=1\.0"):
        t.clip(2, 1)
    with pytest.raises(ValueError, match=r"Tensor\.clip: give lo, hi or both"):
        t.clip()
    with pytest.raises(ValueError, match=r"Tensor\.clip\(lo=\.\.\.\): got nan"):
        t.clip(float("nan"), 1.0)
    with pytest.raises(TypeError, match=r"Tensor\.clip\(hi=\.\.\.\): expected a real number, got str '1'"):
        t.clip(0.0, "1")
    assert np.array_equal(t.clip(2.0, 2.0).data, np.full((2, 3), 2.0))  # lo == hi is allowed


@pytest.mark.parametrize(
    "slope, exc, pattern",
    [("0.1", TypeError, r"expected a real number, got str '0\.1'"), (None, TypeError, r"expected a real number, got NoneType None"),
     (True, TypeError, r"expected a real number, got bool True"), (float("nan"), ValueError, r"got nan"),
     (np.array([0.1]), TypeError, r"expected a real number, got ndarray")],
    ids=["str", "None", "bool", "nan", "array"],
)
def test_leaky_relu_slope_must_be_a_number(slope, exc, pattern) -> None:
    with pytest.raises(exc, match=r"Tensor\.leaky_relu\(slope=\.\.\.\): " + pattern):
        Tensor(A23).leaky_relu(slope)


# -- concatenate and stack --------------------------------------------------------------------


@pytest.mark.parametrize("join, verb", [(concatenate, "join"), (stack, "stack")], ids=["concatenate", "stack"])
def test_concatenate_and_stack_errors(join, verb) -> None:
    name = join.__name__
    with pytest.raises(TypeError, match=esc(f"{name}: expected at least one Tensor in the list; for plain arrays use numpy.{name}")):
        join([])
    for not_a_list in (Tensor(A23), (t for t in [Tensor(A23)]), np.ones((2, 3))):
        with pytest.raises(TypeError, match=esc(f"{name}: expected a list or tuple of Tensors, got {type(not_a_list).__name__}")):
            join(not_a_list)
    with pytest.raises(ValueError, match=esc(f"{name}: cannot {verb} shapes (2, 3), (2, 4) along axis 0")):
        join([Tensor(A23), Tensor(np.ones((2, 4)))])
    with pytest.raises(ValueError, match=esc(f"{name}: cannot {verb} shapes (2, 3), (2, 3) along axis 5")):
        join([Tensor(A23), Tensor(A23)], axis=5)


# -- arithmetic domain errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [lambda t: Tensor([1.0, 2.0]) / t, lambda t: 1.0 / t, lambda t: np.ones(2) / t, lambda t: t / t],
    ids=["tensor", "number", "array", "self"],
)
def test_division_by_zero(fn) -> None:
    t = Tensor([3.0, 0.0], requires_grad=True)
    with pytest.raises(ZeroDivisionError, match=esc("division by zero in Tensor.__truediv__: the denominator (shape (2,)) has 1 zero(s), the first at index (1,)")):
        fn(t)
    with pytest.raises(ZeroDivisionError, match=r"has 2 zero\(s\), the first at index \(0, 1\)"):
        Tensor(A23) / Tensor([[1.0, -0.0, 1.0], [1.0, 1.0, 0.0]])
    with pytest.raises(ZeroDivisionError, match=r"Tensor\.__truediv__: the denominator \(shape \(\)\) has 1 zero"):
        Tensor(A23) / 0


def test_log_and_sqrt_domain() -> None:
    with pytest.raises(ValueError, match=r"Tensor\.log: 2 element\(s\) outside the domain \(log needs x > 0\); "
                       r"the first is (np\.float64\()?0\.0\)? at index \(0, 1\)"):
        Tensor([[1.0, 0.0], [-1.0, 2.0]]).log()
    with pytest.raises(ValueError, match=r"Tensor\.sqrt: 1 element\(s\) outside the domain \(sqrt needs x >= 0\); "
                       r"the first is (np\.float64\()?-1\.0\)? at index \(1, 0\)"):
        Tensor([[1.0, 0.0], [-1.0, 2.0]]).sqrt()
    assert Tensor([0.0, 4.0]).sqrt().data.tolist() == [0.0, 2.0]  # sqrt(0) is in the domain
    assert np.isfinite(Tensor([1e-300]).log().data).all()


def test_pow_domain() -> None:
    with pytest.raises(ValueError, match=r"Tensor\.__pow__: (np\.float64\()?-8\.0\)? \*\* (np\.float64\()?0\.5\)? "
                       r"\(at index \(1,\)\) is not a real number: a negative base needs an integer exponent"):
        Tensor([4.0, -8.0]) ** 0.5
    with pytest.raises(ValueError, match=r"Tensor\.__pow__: .*negative base"):
        Tensor([-2.0]) ** Tensor([1.5])
    with pytest.raises(ValueError, match=r"Tensor\.__pow__: .*negative base"):
        (-2.0) ** Tensor([0.5])  # reflected
    with pytest.raises(ZeroDivisionError, match=r"Tensor\.__pow__: 0\.0 \*\* (np\.float64\()?-1\.0\)? \(at index \(0,\)\) divides by zero"):
        Tensor([0.0, 2.0]) ** -1
    with pytest.raises(ZeroDivisionError, match=r"Tensor\.__pow__: 0\.0 \*\* .*divides by zero"):
        Tensor([-0.0]) ** -0.5
    with pytest.raises(OverflowError, match=r"Tensor\.__pow__: .*10\.0\)? \*\* .*400\.0\)? .*overflows float64"):
        Tensor([10.0]) ** 400
    # integer exponents are fine for negative bases, and 0 ** 0 is 1 (as numpy and PyTorch)
    assert (Tensor([-2.0, 0.0]) ** Tensor([3.0, 0.0])).data.tolist() == [-8.0, 1.0]


def test_pow_overflow_with_a_negative_base_is_an_overflow() -> None:
    with pytest.raises(OverflowError, match=r"Tensor\.__pow__: .*overflows float64"):
        Tensor([-10.0]) ** 401


@pytest.mark.parametrize("dtype, big", [("float64", 710.0), ("float32", 89.0)])
def test_exp_overflow(dtype, big) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the documented error, and no numpy warning before it
        with pytest.raises(OverflowError, match=rf"Tensor\.exp: exp\(x\) overflows {dtype} for 2 element\(s\) "
                           rf"\(the largest x is {big + 1:g}; exp is finite only for x < [0-9.]+\); scale the input "
                           rf"down, or use the stable softmax"):
            Tensor([1.0, big, big + 1], dtype=dtype).exp()
    assert np.isfinite(Tensor([big - 2.0], dtype=dtype).exp().data).all()


def test_exp_overflow_raises_only_the_documented_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OverflowError, match=r"Tensor\.exp"):
            Tensor([710.0]).exp()


# -- backward and item -----------------------------------------------------------------------


def test_backward_on_a_tensor_that_does_not_require_grad() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        under_no_grad = (w * 2.0).sum()
    for t in (Tensor(3.0), (Tensor([1.0]) * 2.0).sum(), w.detach().sum(), under_no_grad):
        with pytest.raises(RuntimeError, match=r"Tensor\.backward: this Tensor does not require grad .*"
                           r"Tensor\(\.\.\., requires_grad=True\)"):
            t.backward()
    assert w.grad is None


def test_item_on_a_multi_element_tensor() -> None:
    with pytest.raises(ValueError, match=esc("Tensor.item: only a one-element tensor has a single value, this one "
                                             "has shape (2, 3); index it first, or use .numpy()")):
        Tensor(A23).item()
    with pytest.raises(ValueError, match=r"has shape \(0,\)"):
        Tensor([]).item()


# -- the policy holds everywhere, not just at the hand-picked points above ---------------------

# Magnitudes from 1e-6 to 1e3 and the special points, in shapes from 0-d to (2, 3), in
# both dtypes. (As for Value: much smaller magnitudes make gradients like 1/y**2
# overflow to inf, and IEEE then makes 0 * inf nan, the documented policy of * and +.)
NUMBER = (
    st.floats(1e-6, 1e3).flatmap(lambda m: st.sampled_from([m, -m]))
    | st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0])
)
SHAPES = [(), (1,), (3,), (2, 3)]
PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((), (2, 3)), ((3, 1), (1, 3)), ((1,), (3,))]
DOCUMENTED = (ValueError, ZeroDivisionError, OverflowError)


@st.composite
def arrays(draw, shape):
    n = int(np.prod(shape))
    return np.array(draw(st.lists(NUMBER, min_size=n, max_size=n))).reshape(shape)


UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "abs", "sqrt", "sin", "cos"]
BINARY_OPS = [
    ("Tensor.__add__", lambda a, b: a + b),
    ("Tensor.__sub__", lambda a, b: a - b),
    ("Tensor.__mul__", lambda a, b: a * b),
    ("Tensor.__truediv__", lambda a, b: a / b),
    ("Tensor.__pow__", lambda a, b: a**b),
    ("maximum", maximum),
    ("minimum", minimum),
]


@settings(max_examples=400)
@given(st.sampled_from(SHAPES).flatmap(arrays), st.sampled_from(["float64", "float32"]))
def test_unary_ops_give_finite_arrays_or_a_documented_error_naming_the_op(x, dtype) -> None:
    for name in UNARY:
        t = Tensor(x, dtype=dtype, requires_grad=True)
        try:
            out = getattr(t, name)()
        except DOCUMENTED as err:
            assert f"Tensor.{name}" in str(err), f"{type(err).__name__} from {name} does not name it: {err}"
            event(f"{name}: {type(err).__name__}")
            continue
        assert out.dtype == np.dtype(dtype) and out.shape == x.shape, name
        assert np.isfinite(out.data).all(), f"{name}({x!r}) gave {out.data!r}"
        out.sum().backward()
        assert t.grad.dtype == np.dtype(dtype) and t.grad.shape == x.shape, name
        # sqrt'(0) is +inf (documented, as PyTorch); no gradient may be nan
        assert not np.isnan(t.grad).any(), f"d{name} at {x!r} gave {t.grad!r}"


@settings(max_examples=400)
@given(st.sampled_from(PAIRS).flatmap(lambda p: st.tuples(arrays(p[0]), arrays(p[1]))), st.booleans(),
       st.sampled_from(["float64", "float32"]))
def test_binary_ops_give_finite_arrays_or_a_documented_error_naming_the_op(xy, swap, dtype) -> None:
    x, y = xy[::-1] if swap else xy
    for name, fn in BINARY_OPS:
        a, b = Tensor(x, dtype=dtype, requires_grad=True), Tensor(y, dtype=dtype, requires_grad=True)
        try:
            out = fn(a, b)
        except DOCUMENTED as err:
            assert name in str(err), f"{type(err).__name__} does not name {name}: {err}"
            event(f"{name}: {type(err).__name__}")
            continue
        assert out.dtype == np.dtype(dtype) and out.shape == np.broadcast_shapes(x.shape, y.shape), name
        assert np.isfinite(out.data).all(), f"{name}({x!r}, {y!r}) gave {out.data!r}"
        out.sum().backward()
        for leaf in (a, b):
            assert leaf.grad.shape == leaf.shape, name
        # the only nan a gradient may hold is d/db a ** b for a < 0 (documented, as PyTorch)
        assert not np.isnan(a.grad).any(), f"d{name}/da at {x!r}, {y!r} gave {a.grad!r}"
        assert not np.isnan(b.grad).any() or (name == "Tensor.__pow__" and (x < 0).any()), name


def test_huge_finite_numbers_are_accepted_without_an_overflow_warning() -> None:
    # The finiteness check squares the data; |x| ~ 1e200 overflows the square, not the data.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Tensor([1e200, -1e300])
    assert t.data[1] == -1e300
    with pytest.raises(ValueError, match="nan or inf"):
        Tensor([1e200, float("inf")])
