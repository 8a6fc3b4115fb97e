"""Tensor graph semantics, mirroring test_engine_semantics.py for Value: seeding,
fan-out, backward twice, requires_grad, no_grad, detach, the dtype policy, numpy
deferral, aliasing, deep chains, and graphs freed by reference counting alone.

Expected numbers come from numpy on the same data, from the derivative worked out by
hand in a comment, or from PyTorch (the ``torch`` fixture)."""

import gc
import re
import sys
import weakref

import numpy as np
import pytest

from autograd_lite import Tensor, concatenate, gc_paused, is_grad_enabled, maximum, no_grad, stack
from autograd_lite.graph import topological_order

RNG = np.random.default_rng(0)
A23 = RNG.normal(size=(2, 3))
B23 = RNG.normal(size=(2, 3))
V3 = RNG.normal(size=3)


def leaf(x, **kw) -> Tensor:
    return Tensor(x, requires_grad=True, **kw)


def snapshot(root: Tensor):
    """(node, copy of its grad) for every node of root's graph."""
    return [(n, None if n.grad is None else np.array(n.grad, copy=True)) for n in topological_order(root)]


def unchanged(before) -> bool:
    for n, g in before:
        if g is None:
            if n.grad is not None:
                return False
        elif n.grad is None or n.grad.dtype != g.dtype or not np.array_equal(n.grad, g):
            return False
    return True


# -- seeding -----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_a_scalar_output_of_any_size_1_shape_is_seeded_with_one(shape) -> None:
    w = leaf(V3)
    out = (w * A23[0]).sum().reshape(shape)  # d out / dw = A23[0]
    assert out.shape == shape
    out.backward()
    assert out.grad.shape == shape and np.array_equal(out.grad, np.ones(shape))
    assert np.array_equal(w.grad, A23[0])


def test_non_scalar_output_without_grad_says_what_to_pass() -> None:
    w = leaf(A23)
    y = w * 2.0
    with pytest.raises(
        RuntimeError,
        match=r"needs a scalar output \(got shape \(2, 3\)\); call \.sum\(\) or \.mean\(\) first, "
        r"or pass grad=<array of shape \(2, 3\)>",
    ):
        y.backward()
    assert w.grad is None and y.grad is None


def test_backward_with_an_upstream_gradient() -> None:
    # y = w * w, so dL/dw = 2 w * G for the upstream gradient G
    w = leaf(A23)
    (w * w).backward(grad=B23)
    np.testing.assert_allclose(w.grad, 2 * A23 * B23, rtol=1e-15)
    w2 = leaf(A23)
    (w2 * w2).backward(grad=Tensor(B23))  # a Tensor is accepted as the seed, too
    assert np.array_equal(w2.grad, w.grad)


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((3, 2)), np.ones((1, 2, 3)), np.ones(())], ids=str)
def test_backward_grad_of_the_wrong_shape_is_refused_not_broadcast(bad) -> None:
    w = leaf(A23)
    y = w * 2.0
    with pytest.raises(ValueError, match=re.escape(f"grad has shape {bad.shape} but the output has shape (2, 3)")):
        y.backward(grad=bad)
    assert w.grad is None and y.grad is None


# -- interior grads restart, leaves accumulate --------------------------------------------


def test_interior_grads_restart_on_every_backward(torch) -> None:
    w = leaf(V3)
    h = (w * 2.0).tanh()
    l1, l2 = (h * 2.0).sum(), (h * 3.0).sum()
    l1.backward()
    assert np.array_equal(h.grad, np.full(3, 2.0))
    l2.backward(accumulate=True)
    assert np.array_equal(h.grad, np.full(3, 3.0))  # not 2 + 3: interior grads are scratch
    tw = torch.tensor(V3, requires_grad=True)
    th = (tw * 2.0).tanh()
    (th * 2.0).sum().backward(retain_graph=True)
    (th * 3.0).sum().backward()
    # 1 - tanh^2 cancels where tanh saturates, so the engines agree to ~1e-12 there;
    # reusing the first pass's interior grads would be off by 40% (7 instead of 5).
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-9)


def test_fan_out_a_plus_a() -> None:
    a = leaf(A23)
    (a + a).sum().backward()
    assert np.array_equal(a.grad, np.full((2, 3), 2.0))


def test_fan_out_a_times_a() -> None:
    a = leaf(A23)
    (a * a).sum().backward()  # d/da a^2 = 2a
    assert np.array_equal(a.grad, 2 * A23)


def test_leaf_used_in_two_branches(torch) -> None:
    # y = sum(exp(a) + sin(a) * b): dy/da = exp(a) + cos(a) * b, dy/db = sin(a)
    a, b = leaf(A23), leaf(B23)
    (a.exp() + a.sin() * b).sum().backward()
    np.testing.assert_allclose(a.grad, np.exp(A23) + np.cos(A23) * B23, rtol=1e-14)
    np.testing.assert_allclose(b.grad, np.sin(A23), rtol=1e-15)
    ta, tb = torch.tensor(A23, requires_grad=True), torch.tensor(B23, requires_grad=True)
    (ta.exp() + ta.sin() * tb).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize(
    "b_shape, reduce",
    [
        ((3,), lambda g: g.sum(axis=0)),  # a new leading axis: summed away
        ((1, 3), lambda g: g.sum(axis=0, keepdims=True)),  # a size-1 axis stretched
        ((2, 1), lambda g: g.sum(axis=1, keepdims=True)),
        ((), lambda g: g.sum()),  # a 0-d tensor used by all six elements
    ],
    ids=str,
)
def test_broadcasting_is_fan_out(b_shape, reduce, torch) -> None:
    # y = sum((A + b) * W): each element of b is used once per copy numpy made of it,
    # so its gradient is W summed over the axes b was stretched along.
    a = leaf(A23)
    b_data = RNG.normal(size=b_shape)
    b = leaf(b_data)
    ((a + b) * B23).sum().backward()
    assert b.grad.shape == b_shape
    np.testing.assert_allclose(b.grad, reduce(B23), rtol=1e-14)
    assert np.array_equal(a.grad, B23)
    tb = torch.tensor(b_data, requires_grad=True)
    ((torch.tensor(A23) + tb) * torch.tensor(B23)).sum().backward()
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-14)


def test_broadcasting_fan_out_from_a_bias_row_and_from_the_matrix(torch) -> None:
    # b of shape (3,) added to X of shape (2, 3), then X used again: both fan out at once
    x, b = leaf(A23), leaf(V3)
    y = ((x + b).tanh() * x).sum()
    y.backward()
    tx, tb = torch.tensor(A23, requires_grad=True), torch.tensor(V3, requires_grad=True)
    ((tx + tb).tanh() * tx).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-13)


# -- backward twice, accumulate, zeroed leaves ----------------------------------------------


def test_backward_twice_raises_and_changes_nothing() -> None:
    w = leaf(A23, label="w")
    v = leaf(V3)
    h = (w * v).tanh()
    loss = (h * h).sum()
    loss.backward()
    v.grad = None  # so the refused call would visibly fill it if it started before checking
    before = snapshot(loss)
    assert h.grad is not None
    with pytest.raises(RuntimeError, match=r"leaf 'w' already holds a gradient .*accumulate=True"):
        loss.backward()
    assert unchanged(before), "the refused backward() changed a grad"
    assert v.grad is None


def test_a_stale_unlabelled_leaf_is_named_by_its_shape() -> None:
    w = leaf(A23)
    loss = (w * 2.0).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"leaf of shape \(2, 3\) already holds a gradient"):
        loss.backward()


def test_accumulate_true_doubles_exactly(torch) -> None:
    w = leaf(A23)
    h = (w * 3.0).tanh()
    loss = (h * h).sum()
    loss.backward()
    once, h_once = w.grad.copy(), h.grad.copy()
    loss.backward(accumulate=True)
    assert np.array_equal(w.grad, 2 * once)
    assert np.array_equal(h.grad, h_once)  # interior grads restart
    tw = torch.tensor(A23, requires_grad=True)
    tl = ((tw * 3.0).tanh() ** 2).sum()
    tl.backward(retain_graph=True)
    tl.backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-9)  # tanh saturation: see above


def test_a_leaf_whose_grad_was_set_to_zeros_is_not_stale() -> None:
    w = leaf(A23)
    loss = (w * w).exp().sum()
    loss.backward()
    first = w.grad.copy()
    w.grad = np.zeros_like(w.data)  # zeros, not None
    loss.backward()
    assert np.array_equal(w.grad, first)
    w.zero_grad()
    assert w.grad is None
    loss.backward()
    assert np.array_equal(w.grad, first)


# -- requires_grad, constants, no_grad, detach ----------------------------------------------


def test_constants_and_non_grad_leaves_never_get_a_gradient() -> None:
    x = Tensor(B23)  # requires_grad=False is the default (as PyTorch)
    assert x.requires_grad is False
    arr = RNG.normal(size=(2, 3))
    w = leaf(A23)
    y = (w * x + arr * w + 2.0 * w - 1.0).sum()  # dy/dw = x + arr + 2
    y.backward()
    np.testing.assert_allclose(w.grad, B23 + arr + 2.0, rtol=1e-14)  # summation order differs
    assert x.grad is None
    constants = [n for n in topological_order(y) if not n.requires_grad]
    assert len(constants) >= 4  # x, arr, 2.0, 1.0 became constant leaves
    assert all(n.grad is None and n._prev == () for n in constants)


def test_an_op_on_inputs_without_requires_grad_records_no_graph() -> None:
    a, b = Tensor(A23), Tensor(B23)
    results = {
        "+": a + b,
        "*": a * 2.0,
        "exp": a.exp(),
        "matmul": a @ b.T,
        "sum": a.sum(axis=0),
        "reshape": a.reshape(3, 2),
        "index": a[0],
        "maximum": maximum(a, b),
        "concatenate": concatenate([a, b]),
        "stack": stack([a, b]),
        "softmax": a.softmax(),
    }
    for name, y in results.items():
        assert y._prev == () and y.requires_grad is False and y._op == "" and y._rule is None, name
    with pytest.raises(RuntimeError, match="does not require grad"):
        results["sum"].sum().backward()


def test_no_grad_records_nothing_and_restores() -> None:
    w = leaf(V3)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = w * 2.0 + 1.0
        s = stack([w, w])
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    np.testing.assert_array_equal(y.data, V3 * 2.0 + 1.0)
    for t in (y, s):
        assert t._prev == () and not t.requires_grad
    assert (w * 2.0)._prev[0] is w


def test_no_grad_works_as_a_decorator() -> None:
    @no_grad()
    def evaluate(w: Tensor) -> Tensor:
        return (w @ A23.T).tanh()

    w = leaf(V3)
    assert evaluate(w)._prev == ()
    assert (w * 2.0)._prev[0] is w and is_grad_enabled()


def test_detach_shares_data_and_cuts_the_graph() -> None:
    w = leaf(A23, label="w")
    h = w * w
    d = h.detach()
    assert np.shares_memory(d.data, h.data)
    assert d._prev == () and d._op == "" and not d.requires_grad and d.grad is None
    y = (d * w).sum()
    y.backward()
    assert np.array_equal(w.grad, A23 * A23)  # d is a constant: only the direct path counts
    h.data[0, 0] = 123.0  # shared, not copied (as PyTorch)
    assert d.data[0, 0] == 123.0


# -- dtypes -------------------------------------------------------------------------------


def test_a_float32_leaf_in_a_float64_computation_gets_a_float32_grad() -> None:
    a = leaf(V3, dtype="float32")
    b = Tensor(A23)
    y = a * b  # float32 with float64 gives float64, as numpy
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad, A23.sum(axis=0), rtol=1e-6)


def test_a_float32_leaf_keeps_its_grad_dtype_across_fan_out() -> None:
    a = leaf(V3, dtype="float32")
    b = Tensor(A23)
    (a * b + a * b).sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad, 2 * A23.sum(axis=0), rtol=1e-6)


def test_a_float32_leaf_keeps_its_grad_dtype_with_accumulate() -> None:
    a = leaf(V3, dtype="float32")
    loss = (a * Tensor(A23)).sum()
    loss.backward()
    once = a.grad.copy()
    loss.backward(accumulate=True)
    assert a.grad.dtype == np.float32
    assert np.array_equal(a.grad, 2 * once)  # doubling is exact in float32 too


@pytest.mark.parametrize("shape", [(3,), (2, 3), ()], ids=str)
def test_a_leaf_grad_after_fan_out_is_a_writable_array_of_the_leafs_shape(shape) -> None:
    a = leaf(np.full(shape, 1.5))
    (a * a + a).sum().backward()  # 2a + 1
    assert type(a.grad) is np.ndarray and a.grad.shape == shape
    np.testing.assert_array_equal(a.grad, np.full(shape, 4.0))
    a.grad[...] = 0.0  # an optimizer may zero or update a gradient in place
    assert not a.grad.any()


def test_float64_is_the_default() -> None:
    for data in ([1.0, 2.0], [1, 2], 3, 2.5, True, np.array([1, 2], dtype=np.int32), np.array([True, False]),
                 np.array([1, 2], dtype=np.uint8)):
        assert Tensor(data).dtype == np.float64, data


def test_float32_is_kept_when_asked_for() -> None:
    assert Tensor([1, 2], dtype="float32").dtype == np.float32
    assert Tensor(np.float32([1.0, 2.0])).dtype == np.float32
    assert Tensor(np.float64([1.0, 2.0]), dtype=np.float32).dtype == np.float32
    assert Tensor(np.float32([1.0, 2.0]), dtype="float64").dtype == np.float64


def test_float32_survives_numbers_and_integer_arrays() -> None:
    t = leaf([1.0, 2.0, 4.0], dtype="float32")
    ints, bools = np.array([1, 2, 3]), np.array([True, False, True])
    results = {
        "2 * t": 2 * t, "t * 2.5": t * 2.5, "t + 1": t + 1, "1 - t": 1 - t, "t / 3": t / 3, "3 / t": 3 / t,
        "t ** 2": t**2, "2 ** t": 2**t, "-t": -t, "t + ints": t + ints, "ints * t": ints * t, "t * bools": t * bools,
        "ints @ t": ints @ t, "exp": t.exp(), "log": t.log(), "sqrt": t.sqrt(), "tanh": t.tanh(),
        "sigmoid": t.sigmoid(), "relu": t.relu(), "leaky_relu": t.leaky_relu(0.1), "softplus": t.softplus(),
        "abs": abs(t), "sin": t.sin(), "cos": t.cos(), "clip": t.clip(0.5, 3.0), "sum": t.sum(),
        "mean": t.mean(), "max": t.max(), "softmax": t.softmax(), "log_softmax": t.log_softmax(),
        "var": t.var(), "norm": t.norm(), "maximum": maximum(t, 2.0), "index": t[[0, 2]],
    }
    for name, y in results.items():
        assert y.dtype == np.float32, f"{name} gave {y.dtype}"
    (results["2 * t"] * results["ints @ t"]).sum().backward()
    assert t.grad.dtype == np.float32


def test_float32_with_float64_gives_float64() -> None:
    t32, t64 = Tensor([1.0], dtype="float32"), Tensor([1.0])
    assert (t32 + t64).dtype == np.float64 and (t64 * t32).dtype == np.float64
    assert (t32 + np.array([1.0])).dtype == np.float64  # a float64 array is a float64 tensor


def test_a_float32_graph_has_float32_grads_at_every_node() -> None:
    w = leaf([1.0, -2.0, 3.0], dtype="float32")
    y = (w.leaky_relu(0.1) * 2).softmax().log().mean()
    y.backward()
    assert all(n.grad.dtype == np.float32 for n in topological_order(y) if n.grad is not None)


# -- numpy operands -----------------------------------------------------------------------


def test_numpy_arrays_on_the_left_defer_to_tensor() -> None:
    M = RNG.normal(size=(4, 3))
    cases = {
        # name: (result, expected data, expected dL/dt for L = sum(result))
        "array + t": (lambda t: A23 + t, A23 + V3, np.full(3, 2.0)),
        "array - t": (lambda t: A23 - t, A23 - V3, np.full(3, -2.0)),
        "array * t": (lambda t: A23 * t, A23 * V3, A23.sum(axis=0)),
        "array / t": (lambda t: A23 / t, A23 / V3, (-A23 / V3**2).sum(axis=0)),
        "array @ t": (lambda t: M @ t, M @ V3, M.sum(axis=0)),
        "np.float64 * t": (lambda t: np.float64(2.0) * t, 2.0 * V3, np.full(3, 2.0)),
        "np.float32 + t": (lambda t: np.float32(2.0) + t, 2.0 + V3, np.ones(3)),
    }
    for name, (fn, data, grad) in cases.items():
        t = leaf(V3)
        y = fn(t)
        assert type(y) is Tensor, f"{name} gave {type(y).__name__}"
        np.testing.assert_allclose(y.data, data, rtol=1e-15, err_msg=name)
        y.sum().backward()
        np.testing.assert_allclose(t.grad, grad, rtol=1e-14, err_msg=name)


def test_an_ndarray_is_copied_on_construction() -> None:
    for src in (np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32)):
        t = Tensor(src, requires_grad=True)
        src[0] = 99.0
        assert t.data[0] == 1.0
        t.data[1] = -5.0
        assert src[1] == 2.0


# -- reading a tensor ---------------------------------------------------------------------


def test_item_numpy_and_shape_attributes() -> None:
    for shape in [(), (1,), (1, 1)]:
        v = Tensor(np.full(shape, 2.5)).item()
        assert type(v) is float and v == 2.5
    t = Tensor(A23)
    assert t.numpy() is t.data  # the data itself, as PyTorch
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float64
    assert len(t) == 2 and len(Tensor(V3)) == 3
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d Tensor"):
        len(Tensor(1.0))
    assert np.array_equal(np.asarray(t), A23)


def test_repr_is_readable() -> None:
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor([1.0, 2.0], dtype="float32")) == "Tensor([1., 2.], dtype=float32)"
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    assert repr(w) == "Tensor([1., 2.], requires_grad=True, label='w')"
    assert repr(w + 1.0) == "Tensor([2., 3.], op='+')"
    w32 = Tensor([1.0, 2.0], requires_grad=True, dtype="float32")
    assert repr(w32) == "Tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert repr(w32 * 2) == "Tensor([2., 4.], dtype=float32, op='*')"
    big = repr(Tensor(np.arange(1000.0)))
    assert len(big) < 80 and "..." in big  # summarised, not 1000 numbers


def test_truth_value_is_refused() -> None:
    for t in (Tensor(1.0), Tensor([1.0, 2.0])):
        with pytest.raises(TypeError, match=r"truth value of a Tensor .* is ambiguous"):
            bool(t)
    with pytest.raises(TypeError, match="ambiguous"):
        if Tensor([0.0]):  # `if loss:` is a mistake, not a test of one element
            pass


# -- aliasing -----------------------------------------------------------------------------


def test_leaf_grads_are_not_aliased_with_interior_grads_or_the_seed() -> None:
    a, b = leaf(V3), leaf(V3 * 2)
    seed = np.ones(3)
    y = a + b
    y.backward(grad=seed)
    a.grad += 10.0  # an optimizer step may change a gradient in place
    assert np.array_equal(y.grad, np.ones(3)) and np.array_equal(b.grad, np.ones(3))
    assert np.array_equal(seed, np.ones(3))
    seed[:] = 7.0
    assert np.array_equal(y.grad, np.ones(3))
    s = (a + b).sum()  # scalar output, seeded by the engine
    a.grad = b.grad = None
    s.backward()
    b.grad[...] = -1.0
    assert np.array_equal(a.grad, np.ones(3)) and s.grad == 1.0


# -- memory and depth ---------------------------------------------------------------------


def test_dropped_graph_is_freed_without_the_cyclic_collector() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        w = leaf(A23)
        h = (w @ A23.T).tanh()
        loss = (h.softmax() * h[0]).sum() + concatenate([w, w]).max() + w.reshape(6)[[1, 1]].sum()
        loss.backward()
        refs = [weakref.ref(n) for n in topological_order(loss) if n is not w]
        assert len(refs) > 10
        del h, loss
        alive = [r() for r in refs if r() is not None]
        assert not alive, f"{len(alive)} node(s) outlived the graph: a reference cycle? e.g. {alive[0]!r}"
        assert w.grad is not None and w.grad.shape == (2, 3)  # the leaf we kept is intact
    finally:
        if was:
            gc.enable()


def test_backward_restores_the_collector() -> None:
    assert gc.isenabled()
    (leaf(V3) * 2.0).sum().backward()
    assert gc.isenabled()


def test_node_is_small_and_rules_are_shared() -> None:
    t = leaf(V3) * 2.0
    assert not hasattr(t, "__dict__")
    assert t._rule is (leaf(A23) * 4.0)._rule  # one rule per op, no closure per node
    assert sys.getsizeof(t) <= 120


def test_million_node_chain() -> None:
    # y = x0 * c^N with c shared by every node: dy/dx0 = c^N, dy/dc = N c^(N-1) x0.
    # Each of the N float64 products rounds by at most 2^-53, so N * 2^-53 ~ 1.1e-10
    # bounds the relative error of both gradients (c's is a sum of N such products).
    n, x0_val, c_val = 1_000_000, 1.5, 1.0000001
    x0 = leaf(x0_val)
    c = leaf(c_val)  # one 0-d node used N times: fan-out into a single leaf
    with gc_paused():
        x = x0
        for _ in range(n):
            x = x * c
        x.backward()
        order = topological_order(x)
    assert len(order) == n + 2 and order[-1] is x and {order[0], order[1]} == {x0, c}
    assert x.item() == pytest.approx(x0_val * c_val**n, rel=2e-10)
    assert x0.grad.item() == pytest.approx(c_val**n, rel=2e-10)
    assert c.grad.item() == pytest.approx(n * c_val ** (n - 1) * x0_val, rel=2e-10)
    del order, x


@pytest.mark.parametrize(
    "perm",
    [(2, 0, 1), (1, 0, 2), (-1, 0, 1), (0, -1, -2)],
    ids=str,
)
def test_a_transposed_leaf_gets_its_grad_in_its_own_shape(perm, torch) -> None:
    x_data = RNG.normal(size=(2, 3, 4))
    w_data = RNG.normal(size=np.transpose(x_data, perm).shape)
    x = leaf(x_data)
    (x.transpose(perm) * w_data).sum().backward()
    assert x.grad.shape == (2, 3, 4)
    tx = torch.tensor(x_data, requires_grad=True)
    (tx.permute(perm) * torch.tensor(w_data)).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_from_numpy_shares_memory_and_checks_its_input() -> None:
    arr = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = Tensor.from_numpy(arr, requires_grad=True, label="x")
    assert np.shares_memory(t.data, arr) and t.label == "x"
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad, 2.0 * arr)
    arr[0, 0] = 10.0  # shared: the tensor sees the change (Tensor(arr) would not)
    assert t.data[0, 0] == 10.0
    assert Tensor.from_numpy(arr.astype(np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match=r"Tensor\.from_numpy: expected a float64 or float32 numpy array, got a int64"):
        Tensor.from_numpy(np.arange(3))
    with pytest.raises(TypeError, match=r"got list; use Tensor\(\.\.\.\)"):
        Tensor.from_numpy([1.0, 2.0])
    with pytest.raises(ValueError, match=r"Tensor\.from_numpy: 1 element\(s\) are nan or inf"):
        Tensor.from_numpy(np.array([1.0, np.nan]))


def test_iterating_gives_rows_as_nodes_and_refuses_a_scalar() -> None:
    x = leaf(A23)
    rows = list(x)
    assert len(rows) == 2 and all(r._op == "index" and r.shape == (3,) for r in rows)
    (rows[0] * 2.0 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
    with pytest.raises(TypeError, match=r"iteration over a 0-d Tensor"):
        list(Tensor(3.0))
