"""Tensor ops: the scalar op table lifted to arrays (with broadcasting), the Tensor-only
ops, and random expression graphs, all against central differences and PyTorch."""

from __future__ import annotations

from typing import Any, Callable, List, Tuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import OP_IDS, OPS, Op, arrays_from, op_arrays, real, run_tensor_program, tensor_programs

from autograd_lite import Tensor, Value, concatenate, gradcheck, maximum, minimum, stack

# Fewer examples than the scalar table: each one is an array, and there are more tests.
FEW = settings(max_examples=40)


def _grads(fn: Callable[..., Tensor], arrays: List[np.ndarray], upstream_seed: int = 0) -> Tuple[Tensor, List[Any]]:
    """Run ``fn`` on leaves made from ``arrays``; backpropagate a fixed random upstream grad."""
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    u = np.random.default_rng(upstream_seed).standard_normal(out.shape)
    out.backward(u)
    return out, [leaf.grad for leaf in leaves]


def _torch_grads(torch: Any, fn: Callable[..., Any], arrays: List[np.ndarray], upstream_seed: int = 0) -> Tuple[Any, List[Any]]:
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    u = np.random.default_rng(upstream_seed).standard_normal(tuple(out.shape))
    out.backward(torch.tensor(u))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


# -- the shared scalar op table, on arrays --------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@FEW
@given(data=st.data())
def test_elementwise_op_matches_pytorch(torch, op: Op, data: st.DataObject) -> None:
    arrays = data.draw(op_arrays(op))
    out, grads = _grads(op.ours, arrays)
    t_out, t_grads = _torch_grads(torch, op.torch, arrays)
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out.data, t_out, rtol=1e-12, atol=1e-12)
    for g, tg, a in zip(grads, t_grads, arrays):
        assert g.shape == a.shape  # broadcasting undone exactly
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@FEW
@given(data=st.data())
def test_elementwise_op_matches_central_differences(op: Op, data: st.DataObject) -> None:
    arrays = data.draw(op_arrays(op))
    assert gradcheck(op.ours, *arrays, mode="full", rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@FEW
@given(data=st.data())
def test_tensor_op_equals_the_same_op_on_values(op: Op, data: st.DataObject) -> None:
    """The bridge between the two halves of the course: a Tensor op is the Value op on
    every element (broadcast elements used several times collect several gradients)."""
    arrays = data.draw(op_arrays(op))
    out, grads = _grads(op.ours, arrays)
    u = np.random.default_rng(0).standard_normal(out.shape)
    # The same computation element by element: broadcast to the output shape by
    # reference, so a stretched input is the *same* Value in every copy.
    value_leaves = [np.vectorize(Value, otypes=[object])(a) for a in arrays]
    expanded = np.broadcast_arrays(*[np.asarray(v, dtype=object) for v in value_leaves])
    loss = Value(0.0)
    for idx in np.ndindex(out.shape):
        y = op.ours(*[e[idx] for e in expanded])
        assert y.data == pytest.approx(out.data[idx], rel=1e-13, abs=1e-13)
        loss = loss + y * float(u[idx])
    loss.backward()
    for g, leaves in zip(grads, value_leaves):
        value_grads = np.vectorize(lambda v: v.grad, otypes=[float])(leaves)
        np.testing.assert_allclose(g, value_grads, rtol=1e-11, atol=1e-12)


# -- Tensor-only ops ------------------------------------------------------------------
# (name, ours, torch, input shapes, element strategy)
WIDE = real(-3.0, 3.0)
POS = real(0.1, 3.0)

TENSOR_OPS: List[Tuple[str, Callable[..., Any], Callable[..., Any], Tuple[Tuple[int, ...], ...], Any]] = [
    ("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4, 2)), WIDE),
    ("matmul_vec_mat", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4, 2)), WIDE),
    ("matmul_mat_vec", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4,)), WIDE),
    ("matmul_dot", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4,)), WIDE),
    ("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (2, 4, 5)), WIDE),
    ("matmul_batch_broadcast", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2)), WIDE),
    ("matmul_vec_batched", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (2, 4, 3)), WIDE),
    ("matmul_batched_vec", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (4,)), WIDE),
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), ((2, 3),), WIDE),
    ("sum_axis0", lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), ((2, 3),), WIDE),
    ("sum_axes_keep", lambda a: a.sum(axis=(0, 2), keepdims=True), lambda a: a.sum(dim=(0, 2), keepdim=True), ((2, 3, 4),), WIDE),
    ("sum_negative_axis", lambda a: a.sum(axis=-1), lambda a: a.sum(dim=-1), ((2, 3),), WIDE),
    ("mean_all", lambda a: a.mean(), lambda a: a.mean(), ((2, 3),), WIDE),
    ("mean_axis1_keep", lambda a: a.mean(axis=1, keepdims=True), lambda a: a.mean(dim=1, keepdim=True), ((2, 3),), WIDE),
    ("max_all", lambda a: a.max(), lambda a: a.amax(), ((2, 3),), WIDE),
    ("max_axis", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), ((2, 3),), WIDE),
    ("max_axes_keep", lambda a: a.max(axis=(0, 1), keepdims=True), lambda a: a.amax(dim=(0, 1), keepdim=True), ((2, 3, 2),), WIDE),
    ("reshape", lambda a: a.reshape(3, 2) * a.reshape((3, 2)), lambda a: a.reshape(3, 2) * a.reshape(3, 2), ((2, 3),), WIDE),
    ("reshape_scalar", lambda a: a.reshape(()), lambda a: a.reshape(()), ((1, 1),), WIDE),
    ("transpose_T", lambda a: a.T, lambda a: a.T, ((2, 3),), WIDE),
    ("transpose_axes", lambda a: a.transpose(1, 2, 0), lambda a: a.permute(1, 2, 0), ((2, 3, 4),), WIDE),
    ("index_int", lambda a: a[1], lambda a: a[1], ((2, 3),), WIDE),
    ("index_slice", lambda a: a[:, 1:], lambda a: a[:, 1:], ((2, 3),), WIDE),
    ("index_step_negative", lambda a: a[::-2], lambda a: a.flip(0)[::2], ((5,),), WIDE),
    ("index_repeated", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], ((3, 2),), WIDE),
    ("index_pairs", lambda a: a[[0, 1, 1], [2, 0, 2]], lambda a: a[[0, 1, 1], [2, 0, 2]], ((2, 3),), WIDE),
    ("index_bool_mask", lambda a: a[np.array([True, False, True])], lambda a: a[[True, False, True]], ((3, 2),), WIDE),
    ("index_newaxis", lambda a: a[:, None, 1], lambda a: a[:, None, 1], ((2, 3),), WIDE),
    ("concatenate", lambda a, b: concatenate([a, b, a], axis=1), None, ((2, 3), (2, 1)), WIDE),
    ("stack", lambda a, b: stack([a, b], axis=1), None, ((2, 3), (2, 3)), WIDE),
    ("clip", lambda a: a.clip(-1.0, 1.5), lambda a: a.clamp(-1.0, 1.5), ((2, 3),), WIDE),
    ("maximum", lambda a, b: maximum(a, b), lambda a, b: _t().maximum(a, b), ((2, 3), (3,)), WIDE),
    ("minimum", lambda a, b: minimum(a, b), lambda a, b: _t().minimum(a, b), ((2, 1), (3,)), WIDE),
    ("softmax", lambda a: a.softmax(axis=1), lambda a: a.softmax(dim=1), ((2, 3),), WIDE),
    ("softmax_axis0", lambda a: a.softmax(axis=0), lambda a: a.softmax(dim=0), ((2, 3),), WIDE),
    ("log_softmax", lambda a: a.log_softmax(axis=-1), lambda a: a.log_softmax(dim=-1), ((2, 3),), WIDE),
    ("logsumexp", lambda a: a.logsumexp(axis=1), lambda a: a.logsumexp(dim=1), ((2, 3),), WIDE),
    ("logsumexp_all", lambda a: a.logsumexp(), lambda a: a.logsumexp(dim=(0, 1)), ((2, 3),), WIDE),
    ("var", lambda a: a.var(axis=0), lambda a: a.var(dim=0, unbiased=False), ((3, 2),), WIDE),
    ("var_ddof1_all", lambda a: a.var(ddof=1), lambda a: a.var(), ((3, 2),), WIDE),
    ("norm", lambda a: a.norm(axis=1), lambda a: _t().linalg.norm(a, dim=1), ((2, 3),), POS),
    ("norm_all", lambda a: a.norm(), lambda a: _t().linalg.norm(a), ((2, 3),), POS),
    ("neg", lambda a: -a, lambda a: -a, ((2, 3),), WIDE),
    ("square", lambda a: a.square(), lambda a: a.square(), ((2, 3),), WIDE),
]
TORCH_FOR = {
    "concatenate": lambda a, b: _t().cat([a, b, a], dim=1),
    "stack": lambda a, b: _t().stack([a, b], dim=1),
}
TENSOR_OP_IDS = [case[0] for case in TENSOR_OPS]


def _t() -> Any:
    import torch

    return torch


@pytest.mark.parametrize("case", TENSOR_OPS, ids=TENSOR_OP_IDS)
@settings(max_examples=15)
@given(data=st.data())
def test_tensor_op_matches_pytorch_and_central_differences(torch, case: Any, data: st.DataObject) -> None:
    name, ours, theirs, shapes, elements = case
    arrays = [data.draw(arrays_from(elements, shape)) for shape in shapes]
    out, grads = _grads(ours, arrays)
    t_out, t_grads = _torch_grads(torch, theirs or TORCH_FOR[name], arrays)
    np.testing.assert_allclose(out.data, t_out, rtol=1e-12, atol=1e-12)
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
    if name not in ("max_all", "max_axis", "max_axes_keep", "maximum", "minimum", "clip"):  # kinks: exact tests below
        assert gradcheck(ours, *arrays, mode="full", rtol=1e-5, atol=1e-6)


# -- kinks and ties: conventions tested exactly (as PyTorch) ---------------------------


def test_max_ties_share_the_gradient_equally(torch) -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for ours, theirs in [
        (lambda a: a.max(axis=1), lambda a: a.amax(dim=1)),
        (lambda a: a.max(), lambda a: a.max()),
    ]:
        _, (g,) = _grads(ours, [x])
        _, (tg,) = _torch_grads(torch, theirs, [x])
        np.testing.assert_array_equal(g, tg)
    _, (g,) = _grads(lambda a: a.max(axis=1), [x])
    u = np.random.default_rng(0).standard_normal(2)
    np.testing.assert_allclose(g, [[0.0, u[0] / 2, u[0] / 2], [u[1] / 3] * 3])


def test_maximum_minimum_ties_split_and_clip_passes_at_bounds(torch) -> None:
    a = np.array([1.0, 2.0, -1.0, 0.5])
    b = np.array([1.0, 1.0, 0.0, 0.5])
    for ours, theirs in [(maximum, torch.maximum), (minimum, torch.minimum)]:
        _, g = _grads(ours, [a, b])
        _, tg = _torch_grads(torch, theirs, [a, b])
        np.testing.assert_array_equal(g[0], tg[0])
        np.testing.assert_array_equal(g[1], tg[1])
    x = np.array([-1.0, -0.5, 0.0, 1.5, 2.0])
    _, (g,) = _grads(lambda t: t.clip(-0.5, 1.5), [x])
    _, (tg,) = _torch_grads(torch, lambda t: t.clamp(-0.5, 1.5), [x])
    np.testing.assert_array_equal(g, tg)


@pytest.mark.parametrize(
    "name, ours, theirs, x",
    [
        ("relu", lambda t: t.relu(), lambda t: t.relu(), [-1.0, 0.0, 2.0]),
        ("abs", lambda t: abs(t), lambda t: t.abs(), [-1.0, 0.0, 2.0]),
        ("leaky_relu", lambda t: t.leaky_relu(0.1), lambda t: _t().nn.functional.leaky_relu(t, 0.1), [-1.0, 0.0, 2.0]),
        ("sqrt", lambda t: t.sqrt(), lambda t: t.sqrt(), [0.0, 1.0, 4.0]),
        ("pow_half", lambda t: t**0.5, lambda t: t**0.5, [0.0, 1.0, 4.0]),
    ],
)
def test_kinks_at_zero_follow_pytorch(torch, name: str, ours: Any, theirs: Any, x: List[float]) -> None:
    leaf = Tensor(x, requires_grad=True)
    with np.errstate(all="raise"):  # no numpy warnings on the way either
        ours(leaf).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    theirs(t).sum().backward()
    np.testing.assert_array_equal(leaf.grad, t.grad.numpy())


def test_log_softmax_and_softmax_are_finite_for_huge_logits(torch) -> None:
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]])
    for name in ("log_softmax", "softmax"):
        out, (g,) = _grads(lambda t: getattr(t, name)(axis=1), [logits])
        t_out, (tg,) = _torch_grads(torch, lambda t: getattr(t, name)(dim=1), [logits])
        assert np.isfinite(out.data).all() and np.isfinite(g).all()
        np.testing.assert_allclose(out.data, t_out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
    assert Tensor(logits).logsumexp(axis=1).data == pytest.approx([1000.0, -999.0 + np.log1p(2 * np.exp(-1.0))])


def test_repeated_indices_add_up() -> None:
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_gradients_of_sums_are_independent_of_the_shape_they_came_from() -> None:
    # A property: for any shape and axis, d(sum over axis)/dx is all ones.
    @given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
    @settings(max_examples=30)
    def check(shape: List[int], data: st.DataObject) -> None:
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        keep = data.draw(st.booleans())
        x = Tensor(np.ones(shape), requires_grad=True)
        x.sum(axis=axis, keepdims=keep).sum().backward()
        np.testing.assert_array_equal(x.grad, np.ones(shape))

    check()


# -- random expression graphs against PyTorch ------------------------------------------


@settings(max_examples=60)
@given(tensor_programs())
def test_random_tensor_graphs_match_pytorch(torch, program: Any) -> None:
    leaves_data, steps = program
    leaves = [Tensor(a, requires_grad=True) for a in leaves_data]
    out = run_tensor_program(leaves, steps)
    out.backward()
    t_leaves = [torch.tensor(a, requires_grad=True) for a in leaves_data]
    t_out = run_tensor_program(t_leaves, steps, torch_ops=True)
    t_out.backward()
    assert out.item() == pytest.approx(t_out.item(), rel=1e-9, abs=1e-9)
    for leaf, t in zip(leaves, t_leaves):
        expected = t.grad.numpy() if t.grad is not None else np.zeros_like(leaf.data)
        got = leaf.grad if leaf.grad is not None else np.zeros_like(leaf.data)
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


# -- gradcheck for tensors ------------------------------------------------------------


def test_random_direction_gradcheck_on_a_large_network() -> None:
    rng = np.random.default_rng(3)
    x, W1, W2 = rng.standard_normal((50, 64)), rng.standard_normal((64, 50)) / 8, rng.standard_normal((50, 10)) / 7
    f = lambda x, W1, W2: ((x @ W1).tanh() @ W2).log_softmax(axis=1)  # noqa: E731
    assert x.size + W1.size + W2.size > 200  # so "auto" picks the directional check
    assert gradcheck(f, x, W1, W2, directions=5)


def test_tensor_gradcheck_names_a_wrong_rule(monkeypatch) -> None:
    from autograd_lite import GradcheckError
    from autograd_lite.tensor import _accumulate

    def wrong(out: Tensor) -> None:  # forgot the (1 - s) factor
        (x,) = out._prev
        _accumulate(x, out.grad * out.data)

    monkeypatch.setattr(Tensor, "_sigmoid_backward", staticmethod(wrong))
    rng = np.random.default_rng(0)
    with pytest.raises(GradcheckError, match=r"Culprit: the local derivative of op 'sigmoid' on inputs of shape \(\(5, 4\)\)"):
        gradcheck(lambda W, x: (x @ W).sigmoid().sum(), rng.standard_normal((3, 4)), rng.standard_normal((5, 3)))
    # The directional check finds it too.
    big = rng.standard_normal((30, 30))
    assert gradcheck(lambda a: (a @ a).sigmoid(), big, raise_exception=False) is False


def test_tensor_gradcheck_blames_code_outside_the_graph() -> None:
    from autograd_lite import GradcheckError

    with pytest.raises(GradcheckError, match=r"does f use t\.data"):
        gradcheck(lambda a: a * Tensor(a.data), np.array([1.0, 2.0]))


def test_every_recorded_tensor_op_is_known_to_gradcheck() -> None:
    import re

    from autograd_lite import tensor as tensor_module
    from autograd_lite.gradcheck import TENSOR_OPS as KNOWN

    # Every node is made as _node(..., "<op>", <its rule>, ...): collect the op names.
    source = open(tensor_module.__file__).read()
    recorded = set(re.findall(r'"([^"]+)",\s*(?:Tensor\.)?_\w+_backward\b', source))
    assert len(recorded) > 20
    assert recorded == set(KNOWN), recorded ^ set(KNOWN)


# -- drawn shapes for the reductions and matmul ---------------------------------------

def _dims(t: Any, d: Any) -> Any:
    """torch spells "all axes" as a tuple of every axis (None would drop keepdim)."""
    return tuple(range(t.ndim)) if d is None else d


REDUCTIONS = [
    # (name, ours(t, axis, keepdims), torch(t, dim, keepdim)); axis None means all axes
    ("sum", lambda t, a, k: t.sum(axis=a, keepdims=k), lambda t, d, k: t.sum(dim=_dims(t, d), keepdim=k)),
    ("mean", lambda t, a, k: t.mean(axis=a, keepdims=k), lambda t, d, k: t.mean(dim=_dims(t, d), keepdim=k)),
    ("max", lambda t, a, k: t.max(axis=a, keepdims=k), lambda t, d, k: t.amax(dim=_dims(t, d), keepdim=k)),
    ("logsumexp", lambda t, a, k: t.logsumexp(axis=a, keepdims=k), lambda t, d, k: t.logsumexp(dim=_dims(t, d), keepdim=k)),
    ("var", lambda t, a, k: t.var(axis=a, keepdims=k), lambda t, d, k: t.var(dim=_dims(t, d), unbiased=False, keepdim=k)),
]


@st.composite
def shape_and_axis(draw: Any) -> Tuple[Tuple[int, ...], Any, bool]:
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    axes = st.integers(-len(shape), len(shape) - 1)
    axis = draw(st.none() | axes | st.lists(axes, min_size=1, max_size=len(shape), unique_by=lambda a: a % len(shape)).map(tuple))
    return shape, axis, draw(st.booleans())


@pytest.mark.parametrize("name, ours, theirs", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@settings(max_examples=40)
@given(case=shape_and_axis(), data=st.data())
def test_reductions_over_drawn_shapes_and_axes_match_pytorch(torch, name: str, ours: Any, theirs: Any, case: Any, data: st.DataObject) -> None:
    shape, axis, keepdims = case
    x = data.draw(arrays_from(WIDE, shape))
    out, (g,) = _grads(lambda t: ours(t, axis, keepdims), [x])
    t_out, (tg,) = _torch_grads(torch, lambda t: theirs(t, axis, keepdims), [x])
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out.data, t_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=40)
@given(case=shape_and_axis(), data=st.data())
def test_softmaxes_over_drawn_shapes_and_axes_match_pytorch(torch, name: str, case: Any, data: st.DataObject) -> None:
    shape, _, _ = case
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays_from(real(-50.0, 50.0), shape))
    out, (g,) = _grads(lambda t: getattr(t, name)(axis=axis), [x])
    t_out, (tg,) = _torch_grads(torch, lambda t: getattr(t, name)(dim=axis), [x])
    np.testing.assert_allclose(out.data, t_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)


@st.composite
def matmul_shapes(draw: Any) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """Operand shapes numpy's matmul accepts: 1-D on either side, and broadcast batch axes."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    # each operand keeps a suffix of the batch axes, some stretched from 1
    a_batch = tuple(draw(st.sampled_from([b, 1])) for b in batch[draw(st.integers(0, len(batch))):])
    b_batch = tuple(draw(st.sampled_from([b, 1])) for b in batch[draw(st.integers(0, len(batch))):])
    a = (k,) if draw(st.booleans()) and not a_batch else a_batch + (n, k)
    b = (k,) if draw(st.booleans()) and not b_batch else b_batch + (k, m)
    return a, b


@settings(max_examples=80)
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_over_drawn_shapes_matches_pytorch(torch, shapes: Any, data: st.DataObject) -> None:
    a, b = (data.draw(arrays_from(WIDE, s)) for s in shapes)
    out, grads = _grads(lambda x, y: x @ y, [a, b])
    t_out, t_grads = _torch_grads(torch, lambda x, y: x @ y, [a, b])
    np.testing.assert_allclose(out.data, t_out, rtol=1e-12, atol=1e-12)
    for g, tg, arr in zip(grads, t_grads, (a, b)):
        assert g.shape == arr.shape
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
