"""Loss functions: a prediction and a target in, one scalar node out.

Every loss works on both engines and returns the node you call ``backward()`` on:

* the Tensor track: ``pred`` is a ``Tensor`` (a batch, shape (N, K) or (N,)); the loss is
  a 0-d ``Tensor``;
* the scalar track: ``pred`` is a ``Value``, or a (nested) list of Values, as a scalar model
  makes it: ``[model(x) for x in X]`` is a list of lists, shape (N, nout). The loss is a
  ``Value``. Plain floats may stand in for Values (they become constants).

``target`` is plain numbers (a numpy array, a list, a float, or a ``Tensor`` whose data is
read): targets never need gradients. A ``Value`` target, or a Value prediction with a
Tensor graph, is an error: the two engines do not mix.

Shapes must match exactly, with ONE convenience: a target of shape (N,) against a
prediction of shape (N, 1) is read as (N, 1), the common single-output case. (PyTorch
would broadcast (N, 1) against (N,) to (N, N) without a word and compute a wrong loss.)

    mse(pred, y)                     mean_i (pred_i - y_i)^2   (reduction="sum": sum_i)
    half_sse(pred, y)                1/2 sum_i (y_i - pred_i)^2  (the lectures' E)
    cross_entropy(logits, c)         mean_n [logsumexp_k z_nk - z_n,c_n]
    binary_cross_entropy(p, y)       -mean_i [y_i log p_i + (1 - y_i) log(1 - p_i)]
    binary_cross_entropy_with_logits(x, y)  mean_i [softplus(x_i) - x_i y_i]
    hinge(s, y)                      mean_i max(0, margin - y_i s_i),  y_i in {-1, +1}
    l2(params, alpha)                alpha * sum_p p^2

Speed on the scalar track: a batch of 100 through a 2-16-16-1 MLP is a graph of tens of
thousands of nodes, so each loss adds as few nodes as it can: constants stay Python
floats (``p - y`` with a float ``y`` is one add node), ``d * d`` instead of ``d ** 2``,
one ``sum()`` over a list, and one multiplication for the mean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, List, Sequence, Tuple, Union

import numpy as np

from autograd_lite import Tensor, Value

from .checks import finite_real, is_real, show

__all__ = [
    "mse",
    "half_sse",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge",
    "l2",
]

# A prediction: a Tensor, a Value, or a nested list of Values (and floats).
Pred = Union[Tensor, Value, Sequence[Any]]
# A target: numbers only.
Target = Union[np.ndarray, Tensor, float, int, Sequence[Any]]
Shape = Tuple[int, ...]

REDUCTIONS = ("mean", "sum")


# ---------------------------------------------------------------------- the losses


def mse(pred: Pred, target: Target, reduction: str = "mean") -> Union[Value, Tensor]:
    """Mean squared error: mean_i (pred_i - target_i)^2, or the sum with reduction="sum".

    A target of shape (N,) against a prediction of shape (N, 1) is read as (N, 1); any
    other shape mismatch is an error (PyTorch would broadcast it to (N, N)).
    """
    _check_reduction(reduction, "mse")
    p, shape = _prediction(pred, "mse")
    y = _target(target, shape, "mse", _dtype(p))
    if isinstance(p, Tensor):
        d = p - y
        return _reduce_tensor(d * d, reduction)
    terms = []
    for p_i, y_i in zip(p, y.ravel().tolist()):
        d = p_i - y_i  # one add node: the engine adds -y_i, a number
        terms.append(d * d)  # one mul node; d ** 2 would add a constant and a pow node
    return _reduce_values(terms, reduction)


def half_sse(pred: Pred, target: Target) -> Union[Value, Tensor]:
    """Half the sum of squared errors, 1/2 sum_i (target_i - pred_i)^2: the lectures' E.

    The 1/2 cancels the 2 of the square's derivative: dE/dpred_i = pred_i - target_i.
    Same shape rules as ``mse`` (it is ``mse(pred, target, "sum") / 2``).
    """
    p, shape = _prediction(pred, "half_sse")
    y = _target(target, shape, "half_sse", _dtype(p))
    if isinstance(p, Tensor):
        d = p - y
        return (d * d).sum() * 0.5
    terms = []
    for p_i, y_i in zip(p, y.ravel().tolist()):
        d = p_i - y_i
        terms.append(d * d)
    return _reduce_values(terms, "sum", scale=0.5)


def cross_entropy(logits: Pred, target: Target, reduction: str = "mean") -> Union[Value, Tensor]:
    """Softmax cross-entropy from logits: mean_n [logsumexp_k z_nk - z_n,c_n].

    ``logits`` has shape (N, K) (a batch) or (K,) (one sample). ``target`` is either
    class indices, shape (N,) (or a single int for one sample), or probabilities per
    class (one-hot or soft), shape (N, K), for which the loss is
    -sum_k t_nk log softmax(z_n)_k. "mean" divides by N, as PyTorch does.

    Stable for logits of any size: softmax is unchanged by subtracting a row's maximum m,
    so logsumexp(z) = m + log sum_k e^(z_k - m), where every exponent is <= 0.
    """
    fn = "cross_entropy"
    _check_reduction(reduction, fn)
    p, shape = _prediction(logits, fn)
    if len(shape) not in (1, 2) or shape[-1] == 0:
        raise ValueError(
            f"{fn}: logits must have shape (N, K) for a batch or (K,) for one sample, with K >= 1 "
            f"classes; got shape {shape}"
        )
    indices, probs = _class_target(target, shape, fn)
    n_rows = shape[0] if len(shape) == 2 else 1
    if n_rows == 0:
        raise ValueError(f"{fn}: loss of an empty batch (logits of shape {shape}) is undefined")
    if isinstance(p, Tensor):
        log_probs = p.log_softmax(axis=-1)  # (N, K) or (K,): z - logsumexp(z), stable
        if indices is not None:
            # log softmax of each row's target class: one gather, (N,) or 0-d
            picked = log_probs[np.arange(n_rows), indices] if len(shape) == 2 else log_probs[int(indices)]
            total = picked.sum()
        else:
            total = (log_probs * probs.astype(p.dtype, copy=False)).sum()
        return total * (-1.0 / n_rows if reduction == "mean" else -1.0)

    k = shape[-1]
    if indices is not None:
        indices = indices.reshape(n_rows)  # one sample's () target as a batch of one
    else:
        probs = probs.reshape(n_rows, k)
    terms = []
    for n in range(n_rows):
        row = p[n * k : (n + 1) * k]
        m: Any = max(z.data for z in row)  # the shift: a plain number, so no gradient flows through it
        if m - m != 0.0:  # the largest logit is inf (or a nan came first): shift by it as a
            m = max(row, key=lambda z: z.data).detach()  # constant node, so inf - inf is nan, not an error
        shifted = [z - m for z in row]  # z - m <= 0: exp() cannot overflow
        log_sum = _total([s.exp() for s in shifted]).log()  # log sum_k e^(z_k - m), in [0, log K]
        if indices is not None:
            # -log softmax(z)_c = logsumexp(z) - z_c = log_sum - (z_c - m): the m's cancel
            terms.append(log_sum - shifted[int(indices[n])])
        else:
            # -sum_k t_k (z_k - logsumexp z) = (sum_k t_k) log_sum - sum_k t_k (z_k - m);
            # classes with t_k = 0 add nothing, so they add no nodes either
            t_row = probs[n].tolist()
            weighted = [s * t for s, t in zip(shifted, t_row) if t != 0.0]
            first = log_sum * sum(t_row)
            terms.append(first - sum(weighted) if weighted else first)
    return _reduce_values(terms, reduction, count=n_rows)


def binary_cross_entropy(
    prob: Pred, target: Target, eps: float = 1e-12, reduction: str = "mean"
) -> Union[Value, Tensor]:
    """Binary cross-entropy from probabilities: -mean_i [y_i log p_i + (1 - y_i) log(1 - p_i)].

    ``prob`` must lie in [0, 1] (a sigmoid's output; a nan, from a diverged model, gives a
    nan loss); ``target`` in [0, 1] (labels 0/1, or soft labels). The probabilities are
    clamped to [eps, 1 - eps] before the logs, so a confident wrong answer costs at most
    -log(eps) (27.6 for eps=1e-12) instead of inf; a clamped probability passes gradient 0
    (as ``Tensor.clip``, the same numbers on both tracks), and the loss stays a node of the
    graph, so ``backward()`` works even when every prediction is clamped.

    NOTE: PyTorch clamps differently: it leaves p alone and clamps each log at -100, so
    the two agree except where p is within eps of 0 or 1. For float32 predictions eps is
    raised to float32's resolution (1.2e-7), since 1 - 1e-12 rounds to 1 there.
    Logits? ``binary_cross_entropy_with_logits`` is exact and stable, with no clamp.
    """
    fn = "binary_cross_entropy"
    _check_reduction(reduction, fn)
    eps = finite_real(eps, f"{fn}(eps=...)")
    if not 0.0 < eps < 0.5:
        raise ValueError(f"{fn}: eps must be in (0, 0.5), got {eps!r}")
    p, shape = _prediction(prob, fn)
    y = _target(target, shape, fn, _dtype(p))
    _check_in_unit_interval(y, f"{fn}: targets", "labels 0/1 or probabilities")
    if isinstance(p, Tensor):
        _check_in_unit_interval(p.data, f"{fn}: predictions", "apply sigmoid first, or use binary_cross_entropy_with_logits")
        eps = max(eps, float(np.finfo(p.dtype).eps))
        clipped = p.clip(eps, 1.0 - eps)
        log_likelihood = clipped.log() * y + (1.0 - clipped).log() * (1.0 - y)
        return _reduce_tensor(log_likelihood, reduction, scale=-1.0)
    _check_in_unit_interval(np.array([v.data for v in p]), f"{fn}: predictions", "apply sigmoid first, or use binary_cross_entropy_with_logits")
    terms = []
    for p_i, y_i in zip(p, y.ravel().tolist()):
        q: Value = p_i
        if p_i.data < eps or p_i.data > 1.0 - eps:
            # NOTE: outside [eps, 1 - eps] the clamp is flat: gradient 0, as Tensor.clip. It
            # is written 0 * p + bound, a node that keeps p in the graph (a bare constant
            # would cut it, and a loss of constants has no backward()).
            q = p_i * 0.0 + (eps if p_i.data < eps else 1.0 - eps)
        # Labels are usually exactly 0 or 1: then one of the two terms is 0 * log(...),
        # zero in value and gradient, and is left out of the graph.
        if y_i != 0.0:
            terms.append(q.log() * y_i)
        if y_i != 1.0:
            terms.append((1.0 - q).log() * (1.0 - y_i))
    return _reduce_values(terms, reduction, scale=-1.0, count=len(p))


def binary_cross_entropy_with_logits(logits: Pred, target: Target, reduction: str = "mean") -> Union[Value, Tensor]:
    """Binary cross-entropy of sigmoid(x), from logits x: mean_i [softplus(x_i) - x_i y_i].

    The same number as ``binary_cross_entropy(sigmoid(x), y)`` without its clamp:
    -y log s(x) - (1 - y) log(1 - s(x)) = log(1 + e^x) - x y, and softplus is computed as
    max(x, 0) + log(1 + e^-|x|), which never overflows. The gradient is sigmoid(x) - y.
    ``target`` in [0, 1].
    """
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, fn)
    p, shape = _prediction(logits, fn)
    y = _target(target, shape, fn, _dtype(p))
    _check_in_unit_interval(y, f"{fn}: targets", "labels 0/1 or probabilities")
    if isinstance(p, Tensor):
        return _reduce_tensor(p.softplus() - p * y, reduction)
    terms = []
    for x_i, y_i in zip(p, y.ravel().tolist()):
        # softplus(x) - x*y; with y = 0 (half the labels, usually) the product is left out
        terms.append(x_i.softplus() + x_i * (-y_i) if y_i != 0.0 else x_i.softplus())
    return _reduce_values(terms, reduction)


def hinge(scores: Pred, target: Target, margin: float = 1.0, reduction: str = "mean") -> Union[Value, Tensor]:
    """Hinge (max-margin, SVM) loss: mean_i max(0, margin - y_i s_i), labels y_i in {-1, +1}.

    micrograd's demo: ``mean(relu(1 - y * score))``. A sample scores zero loss once it is
    on the right side of the boundary by at least ``margin``. NOTE: at the kink
    (y s = margin) the gradient is 0, as relu'(0) = 0.
    """
    fn = "hinge"
    _check_reduction(reduction, fn)
    margin = finite_real(margin, f"{fn}(margin=...)")
    if margin < 0.0:
        raise ValueError(f"{fn}: margin must be >= 0, got {margin!r}")
    p, shape = _prediction(scores, fn)
    y = _target(target, shape, fn, _dtype(p))
    bad = (y != 1.0) & (y != -1.0)
    if bad.any():
        raise ValueError(
            f"{fn}: targets must be -1 or +1, got {_examples(y[bad])}; for 0/1 labels pass 2 * y - 1"
        )
    if isinstance(p, Tensor):
        return _reduce_tensor((p * (-y) + margin).relu(), reduction)
    # margin - y s, written as s * (-y) + margin: a mul and an add node, constants as floats
    terms = [(s_i * (-y_i) + margin).relu() for s_i, y_i in zip(p, y.ravel().tolist())]
    return _reduce_values(terms, reduction)


def l2(params: Iterable[Union[Value, Tensor]], alpha: float = 1.0) -> Union[Value, Tensor]:
    """L2 penalty (weight decay as a loss term): alpha * sum over parameters of p^2.

    ``params`` is a list of Values or a list of Tensors, e.g. ``model.parameters()``.
    micrograd's demo adds ``l2(model.parameters(), alpha=1e-4)`` to its hinge loss.
    """
    fn = "l2"
    if isinstance(params, (Value, Tensor)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{fn}: expected a list of parameters (Values or Tensors), got {type(params).__name__}; "
            f"pass model.parameters()"
        )
    alpha = finite_real(alpha, f"{fn}(alpha=...)")
    if alpha < 0.0:
        raise ValueError(f"{fn}: alpha must be >= 0, got {alpha!r}")
    ps = list(params)
    if not ps:
        raise ValueError(f"{fn}: the parameter list is empty")
    values = [q for q in ps if isinstance(q, Value)]
    tensors = [q for q in ps if isinstance(q, Tensor)]
    total: Any
    if len(values) == len(ps):
        total = _total([q * q for q in values])
    elif len(tensors) == len(ps):
        total = _total([(q * q).sum() for q in tensors])
    else:
        kinds = sorted({type(q).__name__ for q in ps})
        raise TypeError(
            f"{fn}: parameters must be all Values or all Tensors (the engines do not mix), got {', '.join(kinds)}"
        )
    return total * alpha if alpha != 1.0 else total


# ---------------------------------------------------------------------- inputs


def _prediction(pred: Any, fn: str) -> Tuple[Union[Tensor, List[Value]], Shape]:
    """The prediction as a Tensor, or as a flat list of Values (scalar track), and its shape.

    On the scalar track nested lists are read as an array of their shape; a plain float
    becomes a constant Value, so the losses handle one kind of element.
    """
    if isinstance(pred, Tensor):
        return pred, pred.shape
    if isinstance(pred, Value):
        return [pred], ()
    if isinstance(pred, np.ndarray):
        raise TypeError(
            f"{fn}: the prediction is a numpy array, which records no graph; wrap it (Tensor(pred)) "
            f"or pass a model's output"
        )
    if isinstance(pred, (list, tuple)):
        flat: List[Value] = []
        shape = _flatten(pred, flat, fn)
        return flat, shape
    if is_real(pred):
        return [Value(float(pred), requires_grad=False)], ()
    raise TypeError(
        f"{fn}: the prediction must be a Tensor, a Value, or a (nested) list of Values, got "
        f"{type(pred).__name__}"
    )


def _flatten(items: Sequence[Any], flat: List[Value], fn: str) -> Shape:
    """Append the elements of a nested list to ``flat`` (row-major); return its shape."""
    if items and all(type(v) is Value for v in items):  # the common case: a list of Values
        flat.extend(items)
        return (len(items),)
    inner: Any = None
    for item in items:
        if isinstance(item, Value):
            flat.append(item)
            sub: Shape = ()
        elif isinstance(item, (list, tuple)):
            sub = _flatten(item, flat, fn)
        elif is_real(item):
            x = float(item)
            if not math.isfinite(x):
                raise ValueError(f"{fn}: the prediction contains {x!r}; predictions must be finite")
            flat.append(Value(x, requires_grad=False))  # a constant: it takes no gradient
            sub = ()
        elif isinstance(item, Tensor):
            raise TypeError(
                f"{fn}: the prediction is a list holding Tensors; Tensor and Value graphs do not mix. "
                f"Pass one Tensor (autograd_lite.stack(...) joins a list of them)"
            )
        else:
            raise TypeError(
                f"{fn}: the prediction list holds a {type(item).__name__}; expected Values, floats, "
                f"or lists of them"
            )
        if inner is None:
            inner = sub
        elif sub != inner:
            raise ValueError(f"{fn}: the prediction is a ragged nested list (rows of shapes {inner} and {sub})")
    return (len(items),) + (inner if inner is not None else ())


def _target(target: Any, shape: Shape, fn: str, dtype: np.dtype) -> np.ndarray:
    """The target as a finite array of ``shape`` (an (N,) target for an (N, 1) prediction
    is reshaped to (N, 1): the one documented convenience)."""
    y = _numbers(target, fn).astype(dtype, copy=False)
    if y.shape != shape:
        if len(shape) == 2 and shape[1] == 1 and y.shape == (shape[0],):
            y = y.reshape(shape)
        else:
            raise ValueError(
                f"{fn}: prediction shape {shape} and target shape {y.shape} differ; they must match "
                f"(an (N,) target is also accepted for an (N, 1) prediction)"
            )
    return y


def _numbers(target: Any, fn: str) -> np.ndarray:
    """A target as a numeric numpy array, refusing Values, NaN and infinities."""
    if isinstance(target, Value):
        raise TypeError(
            f"{fn}: the target is a Value; targets are plain numbers (they need no gradient): "
            f"pass target.data"
        )
    try:
        y = target.data if isinstance(target, Tensor) else np.asarray(target)
    except ValueError:  # numpy refuses ragged nested lists
        raise ValueError(f"{fn}: the target is a ragged nested list; rows must have equal lengths") from None
    if y.dtype.kind not in "biuf":
        hint = " (a list holding Values? pass their .data)" if y.dtype == object else ""
        raise TypeError(f"{fn}: the target must be numbers, got an array of dtype {y.dtype}{hint}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(
            f"{fn}: the target contains {_examples(y[~np.isfinite(y)])} at "
            f"{np.argwhere(~np.isfinite(y)).tolist()[:5]}; targets must be finite numbers"
        )
    return y


def _class_target(target: Any, shape: Shape, fn: str) -> Tuple[Any, Any]:
    """(class indices, None) or (None, class probabilities) for logits of ``shape``."""
    y = _numbers(target, fn)
    k = shape[-1]
    if y.shape == shape[:-1]:  # class indices: (N,) for (N, K) logits, () for (K,)
        if y.dtype.kind == "b" or not (y == np.round(y)).all():
            raise ValueError(
                f"{fn}: class indices must be integers, got {_examples(y[y != np.round(y)] if y.dtype.kind == 'f' else y)}"
            )
        outside = (y < 0) | (y >= k)  # checked before the cast: 1e20 as int64 would wrap around
        if outside.any():
            raise ValueError(f"{fn}: class index {_examples(y[outside])} out of range for {k} classes (0..{k - 1})")
        return y.astype(np.int64), None
    if y.shape == shape:  # probabilities per class (one-hot or soft)
        probs = y.astype(np.float64)
        if (probs < 0.0).any():
            raise ValueError(f"{fn}: class probabilities must be >= 0, got {_examples(probs[probs < 0.0])}")
        return None, probs
    raise ValueError(
        f"{fn}: logits of shape {shape} need class indices of shape {shape[:-1]} or class "
        f"probabilities of shape {shape}; got a target of shape {y.shape}"
    )


def _check_reduction(reduction: Any, fn: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: unknown reduction {show(reduction)}; use one of {', '.join(map(repr, REDUCTIONS))}")


def _check_in_unit_interval(a: np.ndarray, what: str, fix: str) -> None:
    bad = (a < 0.0) | (a > 1.0)
    if bad.any():
        raise ValueError(f"{what} must lie in [0, 1], got {_examples(a[bad])}; {fix}")






def _dtype(p: Union[Tensor, List[Value]]) -> np.dtype:
    """Targets take the prediction's dtype (float32 stays float32); Values are float64."""
    return p.dtype if isinstance(p, Tensor) else np.dtype(np.float64)


def _examples(a: np.ndarray) -> str:
    """Up to three offending values, for error messages."""
    values = np.ravel(a)[:3].tolist()
    more = f" (and {np.size(a) - 3} more)" if np.size(a) > 3 else ""
    return ", ".join(repr(v) for v in values) + more


# ---------------------------------------------------------------------- reductions


def _reduce_tensor(t: Tensor, reduction: str, scale: float = 1.0) -> Tensor:
    """scale * mean(t) or scale * sum(t), as a 0-d Tensor."""
    if t.size == 0:
        raise ValueError("loss of an empty batch (0 elements) is undefined")
    out = t.mean() if reduction == "mean" else t.sum()
    return out * scale if scale != 1.0 else out


def _reduce_values(terms: List[Any], reduction: str, scale: float = 1.0, count: int = 0) -> Value:
    """scale * (sum of terms) / count (mean) or scale * sum: one sum, at most one mul node.

    ``count`` is what "mean" divides by (the number of terms unless given).
    """
    n = count or len(terms)
    if n == 0:
        raise ValueError("loss of an empty batch (0 elements) is undefined")
    total = _total(terms) if terms else 0.0  # no "0 +" node in front, as sum() would make
    factor = scale / n if reduction == "mean" else scale
    if factor != 1.0:
        total = total * factor
    # With no Values in the graph (or no terms at all, e.g. every label's term left out)
    # the sum is a number: still return a (constant) Value, as promised.
    return total if isinstance(total, Value) else Value(float(total), requires_grad=False)


def _total(nodes: List[Any]) -> Any:
    """The sum of a non-empty list of nodes, with no ``0 +`` node in front (as sum() makes)."""
    return sum(nodes[1:], nodes[0])
