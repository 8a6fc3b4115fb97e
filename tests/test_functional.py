"""grad, hvp and hessian: what they return, what they leave alone, how they fail.

The numbers themselves (against PyTorch and central differences) are in
``test_second_order.py``; here: types and shapes, ``create_graph``, ``.grad`` fields
untouched, unused inputs, ``no_grad()`` inside and around, errors, deep graphs, and
``viz`` drawing a gradient's graph.
"""

from __future__ import annotations

import math
from typing import Any, List

import numpy as np
import pytest

from autograd_lite import Tensor, Value, grad, hessian, hvp, is_grad_enabled, no_grad
from autograd_lite.graph import topological_order


def snapshot(root: Any) -> List[Any]:
    """Every node of root's graph with its grad (a copy) and inputs: to check nothing changed."""
    return [(n, n.grad if not isinstance(n.grad, np.ndarray) else n.grad.copy(), n._prev) for n in topological_order(root)]


def same(before: List[Any], after: List[Any]) -> bool:
    if [n for n, _, _ in before] != [n for n, _, _ in after]:
        return False
    for (_, g0, p0), (_, g1, p1) in zip(before, after):
        if p0 is not p1 and p0 != p1:
            return False
        if isinstance(g0, np.ndarray) or isinstance(g1, np.ndarray):
            if not (isinstance(g0, np.ndarray) and isinstance(g1, np.ndarray) and np.array_equal(g0, g1)):
                return False
        elif g0 != g1:
            return False
    return True


# ---------------------------------------------------------------------- what grad returns


def test_grad_returns_a_tuple_of_values_for_values() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b + a.tanh()
    ga, gb = grad(out, [a, b])
    assert type(ga) is Value and type(gb) is Value
    assert ga.data == pytest.approx(-3.0 + 1 - math.tanh(2.0) ** 2) and gb.data == 2.0
    (only,) = grad(out, a)  # one input: still a tuple
    assert only.data == ga.data
    assert isinstance(grad(out, (a,)), tuple)


def test_grad_returns_tensors_of_each_inputs_shape_and_dtype() -> None:
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    b = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True, dtype="float32")
    x = Tensor(np.arange(12.0).reshape(4, 3))
    out = ((x @ W + b).tanh() ** 2).mean()
    gW, gb = grad(out, [W, b])
    assert type(gW) is Tensor and gW.shape == (3, 2) and gW.dtype == np.float64
    assert gb.shape == (2,) and gb.dtype == np.float32  # a constant entry has its input's dtype
    out.backward()  # the same numbers as backward()
    np.testing.assert_allclose(gW.data, W.grad, rtol=1e-15)
    np.testing.assert_allclose(gb.data, b.grad, rtol=1e-6)


def test_grad_matches_backward_on_a_network_of_every_op() -> None:
    rng = np.random.default_rng(0)
    W = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    c = Tensor(rng.uniform(0.5, 2.0, 3), requires_grad=True)
    x = Tensor(rng.standard_normal((5, 4)))
    from autograd_lite import concatenate, maximum, stack

    h = (x @ W).sigmoid() * c + (x @ W).relu() - abs(x @ W).sqrt() / c
    h = concatenate([h, (h.exp() + 1.0).log() ** 2.0], axis=1)
    h = stack([h.sin(), h.cos().leaky_relu(0.2)], axis=0).max(axis=0) + maximum(h, 0.1).softplus()
    out = h.T.reshape(-1)[[0, 3, 3, 7]].clip(-1.0, 2.0).log_softmax().var() + (c ** c).sum() + h.mean(axis=0).sum()
    gW, gc = grad(out, [W, c])
    out.backward()
    np.testing.assert_allclose(gW.data, W.grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gc.data, c.grad, rtol=1e-12, atol=1e-14)


def test_create_graph_false_records_no_graph_and_changes_no_graph() -> None:
    x = Value(0.7)
    y = (x * x).tanh() * x.exp()
    before = snapshot(y)
    (g,) = grad(y, x)
    assert g._prev == () and g._rule is None and not g.requires_grad  # a constant
    assert same(before, snapshot(y))  # nothing attached to the forward graph either
    t = Tensor(np.arange(3.0), requires_grad=True)
    s = (t.softmax() * t).sum()
    (gt,) = grad(s, t)
    assert gt._prev == () and not gt.requires_grad and gt._op == ""


def test_create_graph_true_records_a_graph_to_any_order() -> None:
    x = Value(0.5)
    y = x.sin()
    expected = [math.cos(0.5), -math.sin(0.5), -math.cos(0.5), math.sin(0.5), math.cos(0.5)]
    for k, value in enumerate(expected):
        (y,) = grad(y, x, create_graph=True)
        assert y.requires_grad and y._prev, f"order {k + 1} is a node with inputs"
        assert y.data == pytest.approx(value, rel=1e-14)


def test_grad_leaves_every_grad_field_untouched() -> None:
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    out = (a * b + a ** 2).sigmoid()
    out.backward()  # now every node holds a gradient...
    for node in topological_order(out):
        node.grad = node.grad + 0.25  # ...and each a distinct one
    before = snapshot(out)
    for cg in (False, True):
        grad(out, [a, b], create_graph=cg)
    assert same(before, snapshot(out))
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    out_t = (W @ W).tanh().sum()
    before_t = snapshot(out_t)  # grads all None
    gW, = grad(out_t, W, create_graph=True)
    grad(gW.sum(), W)
    assert same(before_t, snapshot(out_t)) and W.grad is None


def test_backward_after_grad_is_unchanged() -> None:
    x = Value(0.3)
    y = x.tanh() * x
    grad(y, x, create_graph=True)
    y.backward()
    assert x.grad == pytest.approx((1 - math.tanh(0.3) ** 2) * 0.3 + math.tanh(0.3))


# ---------------------------------------------------------------------- unused inputs


def test_an_unused_input_is_an_error_naming_it() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="weight")
    with pytest.raises(RuntimeError, match=r"input 1 \(label 'weight'\) is not used.*allow_unused=True"):
        grad(a * 3.0, [a, b])
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 0 \(Tensor of shape \(2, 3\)\) is not used"):
        grad(Tensor(np.ones(2), requires_grad=True).sum(), t)


def test_allow_unused_gives_zeros_of_the_inputs_shape() -> None:
    a, b = Value(1.0), Value(2.0)
    ga, gb = grad(a * 3.0, [a, b], allow_unused=True)
    assert ga.data == 3.0 and type(gb) is Value and gb.data == 0.0 and not gb.requires_grad
    t, u = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    gt, gu = grad((t * 2.0).sum(), [t, u], allow_unused=True, create_graph=True)
    np.testing.assert_array_equal(gt.data, 2.0)
    assert gu.shape == (4,) and gu.dtype == np.float32 and not gu.data.any()


def test_the_derivative_of_a_linear_function_is_a_constant() -> None:
    """f = 3x + 1: f' = 3 is a constant, so f'' has no input to depend on: an error that
    says so, or 0 with allow_unused=True (PyTorch refuses even then)."""
    x = Value(2.0, label="x")
    (d1,) = grad(3.0 * x + 1.0, x, create_graph=True)
    assert d1.data == 3.0 and not d1.requires_grad
    with pytest.raises(RuntimeError, match=r"label 'x'.*The output is a constant.*linear function"):
        grad(d1, x)
    assert grad(d1, x, allow_unused=True)[0].data == 0.0


@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        ("relu", lambda t: t.relu(), lambda t: t.relu()),
        ("abs", lambda t: abs(t), lambda t: t.abs()),
        ("leaky_relu", lambda t: t.leaky_relu(0.1), lambda t: __import__("torch").nn.functional.leaky_relu(t, 0.1)),
        ("clip", lambda t: t.clip(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5)),
        ("max", lambda t: t.max(), lambda t: t.amax()),
        ("maximum", lambda t: __import__("autograd_lite").maximum(t, 0.0), lambda t: __import__("torch").maximum(t, __import__("torch").zeros(3))),
    ],
)
def test_second_derivatives_at_kinks_are_zero_or_refused_as_in_pytorch(torch, name: str, ours: Any, theirs: Any) -> None:
    """relu'', abs'', leaky_relu'' are 0 with no allow_unused (the first derivative is a
    step kept as a node of x, as PyTorch keeps it); clip, max and maximum have constant
    first derivatives, and both engines call x unused for the second (PyTorch raises)."""
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True, label="x")
    (d1,) = grad(ours(x).sum(), x, create_graph=True)
    t = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    (t1,) = torch.autograd.grad(theirs(t).sum(), t, create_graph=True)
    np.testing.assert_array_equal(d1.data, t1.detach().numpy())
    assert d1.requires_grad == t1.requires_grad
    if t1.requires_grad:
        (d2,) = grad(d1.sum(), x)
        np.testing.assert_array_equal(d2.data, 0.0)
        np.testing.assert_array_equal(torch.autograd.grad(t1.sum(), t)[0].numpy(force=True), 0.0)
    else:
        with pytest.raises(RuntimeError, match="label 'x'.*not used"):
            grad(d1.sum(), x)
        with pytest.raises(RuntimeError, match="does not require grad"):
            torch.autograd.grad(t1.sum(), t)
        assert not grad(d1.sum(), x, allow_unused=True)[0].data.any()
    for x0 in (-1.0, 0.0, 2.0):  # the scalar engine: the same
        if name in ("relu", "abs", "leaky_relu"):
            v = Value(x0)
            (v1,) = grad(ours(v), v, create_graph=True)
            assert grad(v1, v)[0].data == 0.0


# ---------------------------------------------------------------------- no_grad


def test_no_grad_around_grad_follows_pytorch(torch) -> None:
    """Inside no_grad(), create_graph=True still records the gradient's graph (PyTorch
    does the same), and create_graph=False gives constants; grad mode is restored."""
    x = Value(2.0)
    y = x ** 3
    with no_grad():
        (g,) = grad(y, x, create_graph=True)
        assert not is_grad_enabled()
        (g_const,) = grad(y, x)
    assert g.requires_grad and g._prev and g.data == 12.0
    assert not g_const.requires_grad and g_const.data == 12.0
    assert grad(g, x)[0].data == 12.0  # 6x
    t = torch.tensor(2.0, requires_grad=True)
    ty = t ** 3
    with torch.no_grad():
        (tg,) = torch.autograd.grad(ty, t, create_graph=True, retain_graph=True)
        (tg_const,) = torch.autograd.grad(ty, t)
    assert tg.requires_grad and not tg_const.requires_grad


def test_no_grad_inside_the_function_makes_a_constant_as_in_pytorch(torch) -> None:
    """What is computed inside no_grad() is a constant: no gradient flows through it."""
    x = Value(1.5)
    with no_grad():
        c = x * x  # a constant 2.25
    y = c * x.sin()
    (g,) = grad(y, x, create_graph=True)
    (h,) = grad(g, x)
    t = torch.tensor(1.5, requires_grad=True)
    with torch.no_grad():
        tc = t * t
    (tg,) = torch.autograd.grad(tc * t.sin(), t, create_graph=True)
    (th,) = torch.autograd.grad(tg, t)
    assert g.data == pytest.approx(tg.item(), rel=1e-15) and h.data == pytest.approx(th.item(), rel=1e-15)
    with no_grad():
        z = x * x
    with pytest.raises(RuntimeError, match="The output is a constant"):
        grad(z, x)  # PyTorch: "element 0 of tensors does not require grad"


def test_hvp_and_hessian_record_f_even_inside_no_grad() -> None:
    with no_grad():  # as torch.autograd.functional: f runs with grad mode on
        assert hvp(lambda a: a ** 3, 2.0, 1.0) == pytest.approx(12.0)
        np.testing.assert_allclose(hessian(lambda w: (w ** 3).sum(), np.array([1.0, 2.0])), np.diag([6.0, 12.0]))
        assert not is_grad_enabled()


def test_grad_mode_is_restored_after_an_error() -> None:
    x = Value(1.0)
    with no_grad():
        with pytest.raises(RuntimeError):
            grad(Value(2.0) * 2.0, x)
        assert not is_grad_enabled()
    assert is_grad_enabled()


# ---------------------------------------------------------------------- inputs and errors


def test_interior_nodes_and_repeated_inputs_as_in_pytorch() -> None:
    x = Value(3.0)
    h = x * x  # an interior node as an input: d(h^2)/dh = 2h
    gh, gx, gx2 = grad(h * h, [h, x, x])
    assert gh.data == 18.0 and gx.data == gx2.data == 4 * 27.0
    (one,) = grad(h, h)  # d h / d h
    assert one.data == 1.0


def test_bad_arguments_get_clear_errors() -> None:
    x, t = Value(1.0), Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="output must be a Value or a Tensor"):
        grad(1.0, x)
    with pytest.raises(TypeError, match="input 0 is Tensor.*the output is a Value"):
        grad(x * 2.0, t)
    with pytest.raises(TypeError, match="non-empty list"):
        grad(x * 2.0, [])
    with pytest.raises(TypeError, match="inputs must be a Value"):
        grad(x * 2.0, 1.0)
    with pytest.raises(ValueError, match=r"single number \(got shape \(2,\)\); call .sum\(\)"):
        grad(t * 2.0, t)
    with pytest.raises(ValueError, match=r"input 0 \(Tensor of shape \(2,\)\) does not require grad.*requires_grad=True"):
        grad((t * 2.0).sum(), Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"create_graph=...\): expected True or False"):
        grad(x * 2.0, x, create_graph="yes")
    with pytest.raises(TypeError, match="mix the two engines"):
        hessian(lambda a, b: a, 1.0, np.ones(2))
    with pytest.raises(TypeError, match=r"single-number Value or Tensor.*shape \(2,\); call .sum\(\)"):
        hvp(lambda w: w * 2.0, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"vector 0 has shape \(3,\), but its input has shape \(2,\)"):
        hvp(lambda w: (w * w).sum(), np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="2 of them in a list or tuple"):
        hvp(lambda a, b: a * b, [1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="nan"):
        hvp(lambda a: a * a, 1.0, float("nan"))


def test_a_rule_without_a_twin_is_named(monkeypatch) -> None:
    """A student's new op with only a fast rule: backward() works, grad() says what is missing."""
    def _cube_backward(out: Value) -> None:
        (x,) = out._prev
        x.grad += 3.0 * x.data ** 2 * out.grad

    from autograd_lite.engine import _node

    x = Value(2.0)
    y = _node(8.0, "cube", _cube_backward, x)
    y.backward()
    assert x.grad == 12.0
    with pytest.raises(NotImplementedError, match=r"op 'cube' has the derivative rule .*_cube_backward but no graph-building twin"):
        grad(y, x)


def test_hvp_and_hessian_leave_the_callers_nodes_alone() -> None:
    W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="W")
    W.grad = np.full((2, 2), 7.0)
    f = lambda W: (W @ W).tanh().sum()  # noqa: E731
    hv = hvp(f, W, np.ones((2, 2)))
    H = hessian(f, W)
    np.testing.assert_allclose(H @ np.ones(4), hv.ravel(), rtol=1e-12)
    np.testing.assert_array_equal(W.grad, 7.0)
    assert W._prev == () and W.label == "W"


# ---------------------------------------------------------------------- deep graphs


def test_grad_of_a_deep_chain_does_not_recurse() -> None:
    x = Value(1.0)
    y = x
    for _ in range(20_000):
        y = y * 1.0001 + 0.0
    (g,) = grad(y, x)
    assert g.data == pytest.approx(1.0001 ** 20_000, rel=1e-9)
    (g2,) = grad(y, x, create_graph=True)
    assert g2.data == pytest.approx(g.data, rel=1e-12)
    assert grad(g2, x, allow_unused=True)[0].data == 0.0  # linear in x


# ---------------------------------------------------------------------- broadcast_to, sum_to


def test_broadcast_to_and_sum_to_match_pytorch(torch) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 1))
    t = Tensor(a, requires_grad=True)
    out = t.broadcast_to((2, 3, 4))
    u = rng.standard_normal((2, 3, 4))
    out.backward(u)
    ta = torch.tensor(a, requires_grad=True)
    tout = ta.expand(2, 3, 4)
    tout.backward(torch.tensor(u))
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    np.testing.assert_allclose(t.grad, ta.grad.numpy(), rtol=1e-12)  # summed in another order
    big = Tensor(u, requires_grad=True)
    s = big.sum_to((3, 1))
    s.backward(a)
    tb = torch.tensor(u, requires_grad=True)
    ts = tb.sum_to_size(3, 1)
    ts.backward(torch.tensor(a))
    np.testing.assert_allclose(s.data, ts.detach().numpy(), rtol=1e-12)  # summed in another order
    np.testing.assert_array_equal(big.grad, tb.grad.numpy())
    assert t.broadcast_to((3, 1)) is t and big.sum_to([2, 3, 4]) is big  # nothing to do: no node


def test_broadcast_to_and_sum_to_refuse_shapes_that_do_not_fit() -> None:
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(2, 3\) to \(3, 3\)"):
        t.broadcast_to((3, 3))
    with pytest.raises(ValueError, match=r"sum_to: cannot sum shape \(2, 3\) down to \(2,\)"):
        t.sum_to((2,))
    with pytest.raises(ValueError, match=r"sum_to: cannot sum shape \(2, 3\) down to \(2, 2, 3\)"):
        t.sum_to((2, 2, 3))
    with pytest.raises(TypeError, match="a shape is a tuple of ints"):
        t.broadcast_to("big")
    with pytest.raises(ValueError, match="negative"):
        t.broadcast_to((-1, 3))


# ---------------------------------------------------------------------- viz


def test_viz_draws_a_gradients_graph_and_steps_through_its_backward(tmp_path) -> None:
    """The gradient's graph is a graph like any other: draw_graph and backward_frames
    work on it as they are (the Value and the Tensor engine)."""
    import viz

    x = Value(0.5, label="x")
    (dy,) = grad(x.tanh(), x, create_graph=True)  # 1 - tanh^2 x, as a graph
    dot = viz.draw_graph(dy)
    src = dot.source if hasattr(dot, "source") else str(dot)
    assert "tanh" in src and "x" in src
    frames = viz.backward_frames(dy)
    assert len(frames) >= 3
    W = Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True, label="W")
    (gW,) = grad((W @ W).sigmoid().sum(), W, create_graph=True)
    loss = (gW * gW).sum()
    src_t = viz.draw_graph(loss)
    text = src_t.source if hasattr(src_t, "source") else str(src_t)
    for op in ("matmul", "sigmoid", "transpose"):
        assert op in text, op
    assert len(viz.backward_frames(loss)) >= 5
    # a column sum's gradient is spread back by reshape and broadcast_to nodes
    (gs,) = grad(((W * W).sum(axis=0) ** 2).sum(), W, create_graph=True)
    spread = viz.draw_graph(gs.sum())
    spread = spread.source if hasattr(spread, "source") else str(spread)
    assert "broadcast_to" in spread and "reshape" in spread
    assert len(viz.backward_frames(gs.sum())) >= 5
    # and the drawing's gradients are the engine's: backward() on the gradient graph
    loss.backward()
    (direct,) = grad((W @ W).sigmoid().sum(), W, create_graph=True)
    (expected,) = grad((direct * direct).sum(), W)
    np.testing.assert_allclose(W.grad, expected.data, rtol=1e-12)
