"""nn.losses and nn.metrics: every loss on both engines against torch.nn.functional
(values and gradients w.r.t. the prediction, float64), the engines against each other,
shape conventions, stability, and errors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, List, Tuple

import numpy as np
import pytest

from autograd_lite import Tensor, Value
from autograd_lite.graph import topological_order
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    half_sse,
    hinge,
    l2,
    mse,
)
from nn.metrics import accuracy, r2_score

SEEDS = range(8)
RTOL, ATOL = 1e-10, 1e-12


# ---------------------------------------------------------------------- helpers


def value_grid(a: np.ndarray) -> Any:
    """An array as Values: one Value (0-d), a list (1-D), or a list of lists (2-D)."""
    if a.ndim == 0:
        return Value(float(a))
    return [value_grid(row) for row in a]


def grid_grads(grid: Any) -> np.ndarray:
    if isinstance(grid, Value):
        return np.array(grid.grad)
    return np.array([grid_grads(row) for row in grid])


def ours(engine: str, loss: Callable[..., Any], pred: np.ndarray, *args: Any, **kw: Any) -> Tuple[Any, float, np.ndarray]:
    """Run a loss on one engine: (the loss node, its value, d loss / d pred)."""
    if engine == "tensor":
        p = Tensor(pred, requires_grad=True)
        out = loss(p, *args, **kw)
        assert isinstance(out, Tensor) and out.size == 1
        out.backward()
        return out, out.item(), p.grad
    grid = value_grid(pred)
    out = loss(grid, *args, **kw)
    assert isinstance(out, Value)
    out.backward()
    return out, out.data, grid_grads(grid).reshape(pred.shape)


def theirs(torch: Any, loss: Callable[..., Any], pred: np.ndarray) -> Tuple[float, np.ndarray]:
    p = torch.tensor(pred, requires_grad=True)
    out = loss(p)
    out.backward()
    return out.item(), p.grad.numpy()


def random_shape(rng: np.random.Generator) -> Tuple[int, ...]:
    """(), (N,), (N, 1) or (N, K): every shape a loss meets on either engine."""
    n, k = int(rng.integers(1, 7)), int(rng.integers(2, 5))
    return [(), (n,), (n, 1), (n, k)][int(rng.integers(0, 4))]


@dataclass
class Case:
    """One loss setting: draws (pred, target) and runs ours and torch's on them."""

    name: str
    draw: Callable[[np.random.Generator], Tuple[np.ndarray, Any]]
    ours: Callable[[Any, Any], Any]
    torch: Callable[[Any, Any, Any], Any]  # (torch, pred tensor, target)


def _regression(rng: np.random.Generator) -> Tuple[np.ndarray, Any]:
    shape = random_shape(rng)
    return rng.normal(0, 2, shape), rng.normal(0, 2, shape)


def _class_indices(rng: np.random.Generator) -> Tuple[np.ndarray, Any]:
    n, k = int(rng.integers(1, 7)), int(rng.integers(2, 6))
    return rng.normal(0, 3, (n, k)), rng.integers(0, k, n)


def _class_probs(rng: np.random.Generator) -> Tuple[np.ndarray, Any]:
    n, k = int(rng.integers(1, 7)), int(rng.integers(2, 6))
    t = rng.random((n, k))
    t[rng.random((n, k)) < 0.3] = 0.0  # some zero probabilities (left out of the graph)
    return rng.normal(0, 3, (n, k)), t / np.maximum(t.sum(axis=1, keepdims=True), 1e-9)


def _probabilities(rng: np.random.Generator) -> Tuple[np.ndarray, Any]:
    shape = random_shape(rng)
    # away from the clamp at eps, where torch and we clamp differently (tested apart)
    labels = rng.integers(0, 2, shape).astype(float)
    soft = rng.random(shape)
    return rng.uniform(0.02, 0.98, shape), np.where(rng.random(shape) < 0.5, labels, soft)


def _logits01(rng: np.random.Generator) -> Tuple[np.ndarray, Any]:
    shape = random_shape(rng)
    return rng.normal(0, 4, shape), np.where(rng.random(shape) < 0.7, rng.integers(0, 2, shape), rng.random(shape))


def _scores_pm1(rng: np.random.Generator) -> Tuple[np.ndarray, Any]:
    shape = random_shape(rng)
    return rng.normal(0, 1.5, shape), rng.choice([-1.0, 1.0], shape)


def _tt(torch: Any, t: Any) -> Any:
    return torch.tensor(np.asarray(t, dtype=np.float64))


def _F(torch: Any) -> Any:
    return torch.nn.functional


CASES = [
    Case("mse_mean", _regression, lambda p, t: mse(p, t), lambda T, p, t: _F(T).mse_loss(p, _tt(T, t))),
    Case("mse_sum", _regression, lambda p, t: mse(p, t, "sum"), lambda T, p, t: _F(T).mse_loss(p, _tt(T, t), reduction="sum")),
    Case("half_sse", _regression, half_sse, lambda T, p, t: 0.5 * _F(T).mse_loss(p, _tt(T, t), reduction="sum")),
    Case("ce_index_mean", _class_indices, cross_entropy, lambda T, p, t: _F(T).cross_entropy(p, T.tensor(t))),
    Case(
        "ce_index_sum",
        _class_indices,
        lambda p, t: cross_entropy(p, t, reduction="sum"),
        lambda T, p, t: _F(T).cross_entropy(p, T.tensor(t), reduction="sum"),
    ),
    Case("ce_probs_mean", _class_probs, cross_entropy, lambda T, p, t: _F(T).cross_entropy(p, _tt(T, t))),
    Case(
        "ce_probs_sum",
        _class_probs,
        lambda p, t: cross_entropy(p, t, reduction="sum"),
        lambda T, p, t: _F(T).cross_entropy(p, _tt(T, t), reduction="sum"),
    ),
    Case("bce_mean", _probabilities, binary_cross_entropy, lambda T, p, t: _F(T).binary_cross_entropy(p, _tt(T, t))),
    Case(
        "bce_sum",
        _probabilities,
        lambda p, t: binary_cross_entropy(p, t, reduction="sum"),
        lambda T, p, t: _F(T).binary_cross_entropy(p, _tt(T, t), reduction="sum"),
    ),
    Case(
        "bce_logits_mean",
        _logits01,
        binary_cross_entropy_with_logits,
        lambda T, p, t: _F(T).binary_cross_entropy_with_logits(p, _tt(T, t)),
    ),
    Case(
        "bce_logits_sum",
        _logits01,
        lambda p, t: binary_cross_entropy_with_logits(p, t, reduction="sum"),
        lambda T, p, t: _F(T).binary_cross_entropy_with_logits(p, _tt(T, t), reduction="sum"),
    ),
    Case("hinge_mean", _scores_pm1, hinge, lambda T, p, t: _F(T).relu(1.0 - _tt(T, t) * p).mean()),
    Case(
        "hinge_sum_margin",
        _scores_pm1,
        lambda p, t: hinge(p, t, margin=0.5, reduction="sum"),
        lambda T, p, t: _F(T).relu(0.5 - _tt(T, t) * p).sum(),
    ),
]
CASE_IDS = [c.name for c in CASES]


# ---------------------------------------------------------------------- against PyTorch


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_loss_matches_pytorch(torch: Any, case: Case, engine: str, seed: int) -> None:
    pred, target = case.draw(np.random.default_rng(seed))
    _, value, grad = ours(engine, case.ours, pred, target)
    t_value, t_grad = theirs(torch, lambda p: case.torch(torch, p, target), pred)
    assert math.isclose(value, t_value, rel_tol=RTOL, abs_tol=ATOL), (value, t_value)
    assert grad.shape == pred.shape
    np.testing.assert_allclose(grad, t_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_scalar_and_tensor_engines_agree(case: Case, seed: int) -> None:
    pred, target = case.draw(np.random.default_rng(100 + seed))
    _, v_value, v_grad = ours("value", case.ours, pred, target)
    _, t_value, t_grad = ours("tensor", case.ours, pred, target)
    assert math.isclose(v_value, t_value, rel_tol=1e-12, abs_tol=1e-13)
    np.testing.assert_allclose(v_grad, t_grad, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("seed", SEEDS)
def test_l2_matches_pytorch(torch: Any, engine: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=s) for s in [(3, 2), (2,), (4, 1)]]
    alpha = float(rng.uniform(1e-4, 2.0))
    if engine == "tensor":
        params = [Tensor(a, requires_grad=True) for a in arrays]
        out = l2(params, alpha=alpha)
        out.backward()
        value, grads = out.item(), [p.grad for p in params]
    else:  # a flat parameter list, as Module.parameters() gives it
        params = [Value(float(x)) for a in arrays for x in a.ravel()]
        out = l2(params, alpha=alpha)
        out.backward()
        value = out.data
        flat = np.array([p.grad for p in params])
        grads = np.split(flat, np.cumsum([a.size for a in arrays])[:-1])
        grads = [g.reshape(a.shape) for g, a in zip(grads, arrays)]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_out = alpha * sum((t**2).sum() for t in ts)
    t_out.backward()
    assert math.isclose(value, t_out.item(), rel_tol=RTOL)
    for g, t in zip(grads, ts):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_cross_entropy_one_sample(torch: Any, engine: str) -> None:
    # one sample: a scalar model's output is a list of K Values, the target one int
    z = np.random.default_rng(1).normal(size=4)
    for target in (2, np.array([0.1, 0.0, 0.6, 0.3])):
        _, value, grad = ours(engine, cross_entropy, z, target)
        t_target = torch.tensor(target) if isinstance(target, int) else torch.tensor(target)
        t_value, t_grad = theirs(torch, lambda p: torch.nn.functional.cross_entropy(p, t_target), z)
        assert math.isclose(value, t_value, rel_tol=RTOL)
        np.testing.assert_allclose(grad, t_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_one_hot_targets_equal_class_indices(engine: str) -> None:
    rng = np.random.default_rng(3)
    z, c = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    _, v1, g1 = ours(engine, cross_entropy, z, c)
    _, v2, g2 = ours(engine, cross_entropy, z, np.eye(4)[c])
    assert math.isclose(v1, v2, rel_tol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------- stability


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_cross_entropy_is_finite_for_huge_logits(torch: Any, engine: str) -> None:
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 999.0, 1000.0], [5.0, 5.0, -1000.0]])
    c = np.array([1, 2, 0])
    _, value, grad = ours(engine, cross_entropy, z, c)
    t_value, t_grad = theirs(torch, lambda p: torch.nn.functional.cross_entropy(p, torch.tensor(c)), z)
    assert math.isfinite(value) and np.isfinite(grad).all()
    assert math.isclose(value, t_value, rel_tol=RTOL)
    np.testing.assert_allclose(grad, t_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_bce_with_logits_is_finite_for_huge_logits(torch: Any, engine: str) -> None:
    x, y = np.array([1000.0, -1000.0, 1000.0, -1000.0, 800.0]), np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    _, value, grad = ours(engine, binary_cross_entropy_with_logits, x, y)
    t_value, t_grad = theirs(torch, lambda p: torch.nn.functional.binary_cross_entropy_with_logits(p, _tt(torch, y)), x)
    assert math.isfinite(value) and np.isfinite(grad).all()
    assert math.isclose(value, t_value, rel_tol=RTOL)
    np.testing.assert_allclose(grad, t_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_bce_clamps_probabilities_at_eps(torch: Any, engine: str) -> None:
    # p = 0 for a positive label: log 0 = -inf. We clamp p to eps (loss -log eps, no
    # gradient through the clamp); torch clamps the log at -100 instead.
    eps = 1e-12
    _, value, grad = ours(engine, binary_cross_entropy, np.array([0.0, 0.5]), np.array([1.0, 1.0]), eps=eps)
    assert math.isclose(value, (-math.log(eps) - math.log(0.5)) / 2, rel_tol=1e-12)
    assert grad[0] == 0.0 and math.isclose(grad[1], -1.0 / 0.5 / 2, rel_tol=1e-12)
    t_value, _ = theirs(torch, lambda p: torch.nn.functional.binary_cross_entropy(p, _tt(torch, [1.0, 1.0])), np.array([0.0, 0.5]))
    assert math.isclose(t_value, (100.0 - math.log(0.5)) / 2, rel_tol=1e-12)  # the documented difference


def test_bce_on_float32_stays_finite_at_one() -> None:
    p = Tensor(np.array([1.0, 0.3], dtype=np.float32), requires_grad=True)
    out = binary_cross_entropy(p, [0.0, 1.0])  # 1 - 1e-12 rounds to 1 in float32: eps is raised
    out.backward()
    assert out.dtype == np.float32 and np.isfinite(out.item()) and np.isfinite(p.grad).all()
    assert math.isclose(out.item(), (-math.log(np.finfo(np.float32).eps) - math.log(0.3)) / 2, rel_tol=1e-5)


# ---------------------------------------------------------------------- shapes and types


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("loss", [mse, half_sse, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_flat_target_for_single_output_column(torch: Any, engine: str, loss: Callable[..., Any]) -> None:
    # (N, 1) predictions with an (N,) target: read as (N, 1), i.e. row by row
    rng = np.random.default_rng(7)
    pred, target = rng.normal(size=(5, 1)), rng.random(5)
    _, value, grad = ours(engine, loss, pred, target)
    _, value_2d, grad_2d = ours(engine, loss, pred, target[:, None])
    assert value == value_2d
    np.testing.assert_array_equal(grad, grad_2d)
    # what the convenience protects against: torch broadcasts (5, 1) with (5,) to (5, 5)
    with pytest.warns(UserWarning):
        t_broadcast = torch.nn.functional.mse_loss(torch.tensor(pred), torch.tensor(target)).item()
    assert not math.isclose(t_broadcast, ours(engine, mse, pred, target)[1], rel_tol=1e-6)


def test_hinge_flat_labels_against_a_scalar_model_batch() -> None:
    # a scalar MLP's batch is a list of 1-element lists; micrograd's labels are a flat list
    scores = [[Value(0.5)], [Value(-2.0)], [Value(3.0)]]
    loss = hinge(scores, [1, 1, -1])
    assert math.isclose(loss.data, (0.5 + 3.0 + 4.0) / 3, rel_tol=1e-15)


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize(
    "loss, pred_shape, target_shape",
    [
        (mse, (4, 2), (4,)),
        (mse, (4,), (4, 1)),
        (half_sse, (3, 1), (4,)),
        (hinge, (4, 1), (1, 4)),
        (binary_cross_entropy_with_logits, (2, 3), (3, 2)),
        (binary_cross_entropy, (3,), ()),
        (cross_entropy, (4, 3), (3,)),
        (cross_entropy, (4, 3), (4, 2)),
    ],
)
def test_shape_mismatch_names_loss_and_both_shapes(engine: str, loss: Callable[..., Any], pred_shape: Tuple[int, ...], target_shape: Tuple[int, ...]) -> None:
    pred = np.full(pred_shape, 0.5)
    p = Tensor(pred) if engine == "tensor" else value_grid(pred)
    with pytest.raises(ValueError) as err:
        loss(p, np.zeros(target_shape))
    message = str(err.value)
    assert message.startswith(loss.__name__) and str(pred_shape) in message and str(target_shape) in message


@pytest.mark.parametrize("loss", [mse, cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits, hinge])
def test_unknown_reduction_lists_the_valid_ones(loss: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match=r"'none'.*'mean', 'sum'"):
        loss(Tensor([[0.5, 0.5]]), np.array([[1.0, 1.0]]) if loss is not cross_entropy else [0], reduction="none")


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("loss", [mse, half_sse, binary_cross_entropy, binary_cross_entropy_with_logits, hinge, cross_entropy])
def test_non_finite_target_is_refused(engine: str, bad: float, loss: Callable[..., Any]) -> None:
    pred = np.full((3, 2), 0.5)
    p = Tensor(pred) if engine == "tensor" else value_grid(pred)
    target = np.ones((3, 2))
    target[1, 0] = bad
    with pytest.raises(ValueError, match=f"{loss.__name__}: the target contains {bad}"):
        loss(p, target)


def test_engines_do_not_mix() -> None:
    with pytest.raises(TypeError, match="do not mix"):
        mse([Value(1.0), Tensor([2.0])], [1.0, 2.0])
    with pytest.raises(TypeError, match="target is a Value"):
        mse(Tensor([1.0]), Value(1.0))
    with pytest.raises(TypeError, match="Values"):
        mse(Tensor([1.0, 2.0]), [Value(1.0), Value(2.0)])
    with pytest.raises(TypeError, match="all Values or all Tensors"):
        l2([Value(1.0), Tensor([2.0])])


def test_prediction_type_errors() -> None:
    with pytest.raises(TypeError, match="numpy array.*Tensor\\(pred\\)"):
        mse(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="ragged"):
        mse([[Value(1.0)], [Value(1.0), Value(2.0)]], [1.0, 2.0])
    with pytest.raises(TypeError, match="holds a str"):
        mse([Value(1.0), "2"], [1.0, 2.0])
    with pytest.raises(ValueError, match="empty batch"):
        mse([], [])


def test_targets_may_be_tensors_lists_or_numbers() -> None:
    p = [Value(1.0), Value(3.0)]
    expected = ((1.0 - 0.5) ** 2 + (3.0 - 2.0) ** 2) / 2
    for target in ([0.5, 2.0], np.array([0.5, 2.0]), Tensor([0.5, 2.0]), (0.5, 2.0)):
        assert math.isclose(mse(p, target).data, expected, rel_tol=1e-15)
    assert math.isclose(mse(Value(2.0), 0.5).data, 2.25, rel_tol=1e-15)


def test_float_predictions_give_a_constant_value() -> None:
    out = mse([1.0, Value(2.0, requires_grad=False)], [0.0, 0.0])
    assert isinstance(out, Value) and not out.requires_grad and out.data == 2.5


def test_cross_entropy_target_errors() -> None:
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="out of range for 4 classes"):
        cross_entropy(z, [0, 4, 1])
    with pytest.raises(ValueError, match="out of range"):
        cross_entropy(z, [0, -1, 1])
    with pytest.raises(ValueError, match="integers"):
        cross_entropy(z, [0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match=">= 0"):
        cross_entropy(z, -np.ones((3, 4)))
    with pytest.raises(ValueError, match="empty batch"):
        cross_entropy(Tensor(np.zeros((0, 4))), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        cross_entropy(Tensor(np.zeros((2, 3, 4))), np.zeros((2, 3)))
    # integral floats are class indices too (datasets often hand labels over as floats)
    assert cross_entropy(z, np.array([0.0, 3.0, 1.0])).item() == pytest.approx(math.log(4), rel=1e-15)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_hinge_refuses_zero_one_labels(engine: str) -> None:
    p = Tensor(np.zeros(3)) if engine == "tensor" else value_grid(np.zeros(3))
    with pytest.raises(ValueError, match=r"-1 or \+1, got 0\.0.*2 \* y - 1"):
        hinge(p, [1, 0, 1])


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_hinge_kink_has_zero_gradient(engine: str) -> None:
    # y s = margin exactly: relu'(0) = 0, as PyTorch
    _, value, grad = ours(engine, hinge, np.array([1.0, -2.0, 0.5]), np.array([1.0, -1.0, 1.0]), margin=1.0)
    assert value == pytest.approx(0.5 / 3)
    np.testing.assert_array_equal(grad, [0.0, 0.0, -1.0 / 3])


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_bce_refuses_values_outside_the_unit_interval(engine: str) -> None:
    p = np.array([0.5, 1.2])
    pred = Tensor(p) if engine == "tensor" else value_grid(p)
    with pytest.raises(ValueError, match=r"predictions must lie in \[0, 1\], got 1\.2.*with_logits"):
        binary_cross_entropy(pred, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\], got -1\.0"):
        binary_cross_entropy(Tensor([0.5, 0.5]), [0.0, -1.0])
    with pytest.raises(ValueError, match="eps"):
        binary_cross_entropy(Tensor([0.5]), [1.0], eps=0.0)


def test_l2_argument_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        l2([])
    with pytest.raises(TypeError, match="model.parameters"):
        l2(Value(1.0))
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        l2([Value(1.0)], alpha=-1.0)


# ---------------------------------------------------------------------- graph size


def _graph_size(out: Value) -> int:
    return len(topological_order(out))


@pytest.mark.parametrize("seed", range(3))
def test_scalar_losses_build_no_more_nodes_than_the_plain_expressions(seed: int) -> None:
    # The micrograd demo builds ~30k-node graphs per step: a loss must not add more than
    # writing it out by hand the way micrograd's demo does.
    rng = np.random.default_rng(seed)
    n = 50
    y = rng.choice([-1.0, 1.0], n).tolist()
    scores = [[Value(float(s))] for s in rng.normal(size=n)]
    by_hand = sum((1 + -yi * s[0]).relu() for yi, s in zip(y, scores)) * (1.0 / n)
    assert _graph_size(hinge(scores, y)) <= _graph_size(by_hand)
    by_hand = sum((s[0] - yi) ** 2 for yi, s in zip(y, scores)) * (1.0 / n)
    assert _graph_size(mse(scores, y)) < _graph_size(by_hand)
    params = [Value(float(w)) for w in rng.normal(size=n)]
    assert _graph_size(l2(params, 1e-4)) <= _graph_size(1e-4 * sum(p * p for p in params))


# ---------------------------------------------------------------------- metrics


@pytest.mark.parametrize("seed", range(5))
def test_accuracy_multiclass_matches_torch(torch: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    logits, c = rng.normal(size=(20, 4)), rng.integers(0, 4, 20)
    expected = (torch.tensor(logits).argmax(dim=1) == torch.tensor(c)).double().mean().item()
    for pred in (logits, Tensor(logits), value_grid(logits), logits.tolist()):
        assert accuracy(pred, c) == expected
    assert accuracy(logits, np.eye(4)[c]) == expected  # one-hot targets
    assert accuracy(Tensor(logits), Tensor(c.astype(float))) == expected


def test_accuracy_binary_conventions() -> None:
    scores = np.array([0.3, -0.2, 2.0, -1.0, 0.1])
    pm1 = np.array([1, 1, -1, -1, 1])
    # sign of the score vs -1/+1 labels: right on samples 0, 3, 4
    assert accuracy(scores, pm1) == 3 / 5
    assert accuracy(value_grid(scores[:, None]), pm1) == 3 / 5  # a scalar model's (N, 1) batch
    probs = np.array([0.7, 0.4, 0.45, 0.9])
    labels01 = np.array([1, 1, 0, 1])
    assert accuracy(Tensor(probs[:, None]), labels01) == 3 / 4  # 0.5 threshold: wrong on sample 1
    logits = np.array([0.2, -0.1, -3.0, 1.0])
    assert accuracy(logits, labels01, threshold=0.0) == 3 / 4  # logits need threshold 0
    assert accuracy(logits, labels01) == 2 / 4  # ... the 0.5 default misreads 0.2
    assert accuracy([Value(0.8)], [1], threshold=0.5) == 1.0


def test_accuracy_errors() -> None:
    with pytest.raises(ValueError, match="every label is 1"):
        accuracy([0.3, 0.9], [1, 1])
    with pytest.raises(ValueError, match=r"\{-1, \+1\}.*\{0, 1\}"):
        accuracy([0.3, 0.9], [0, 2])
    with pytest.raises(ValueError, match=r"\{-1, \+1\}"):
        accuracy([0.3, 0.9, 0.1], [-1, 0, 1])
    with pytest.raises(ValueError, match="class indices"):
        accuracy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="shape"):
        accuracy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="numbers of samples"):
        accuracy([0.3, 0.9], [1, 0, 1])
    with pytest.raises(ValueError, match="the target contains nan or inf"):
        accuracy([0.1, 0.9], [math.nan, 0])
    # predictions are results: a diverged model's nan makes the metric undefined, not an error
    assert math.isnan(accuracy([math.nan, 0.9], [1, 0]))
    assert accuracy([math.inf, -math.inf], [1, 0]) == 1.0


def test_accuracy_reads_numbers_only() -> None:
    w = Value(2.0)
    out = [[w * 1.0], [w * -1.0]]
    result = accuracy(out, [1, -1])
    assert type(result) is float and result == 1.0
    assert w.grad == 0.0 and out[0][0].grad == 0.0  # nothing was differentiated or changed


def test_r2_score_matches_sklearn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.normal(size=30)
    pred = y + rng.normal(scale=0.5, size=30)
    assert r2_score(pred, y) == pytest.approx(metrics.r2_score(y, pred), rel=1e-12)
    assert r2_score(Tensor(pred[:, None]), y) == pytest.approx(metrics.r2_score(y, pred), rel=1e-12)
    assert r2_score(value_grid(pred), y) == pytest.approx(metrics.r2_score(y, pred), rel=1e-12)
    with pytest.raises(ValueError, match="constant"):
        r2_score([1.0, 2.0], [3.0, 3.0])
