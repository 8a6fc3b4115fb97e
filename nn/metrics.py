"""Metrics: how good are the predictions? Plain numbers out, no graph recorded.

Each metric reads the numbers of its inputs (``Tensor.data``, ``Value.data``, numpy
arrays, nested lists of any of them) and returns a Python float. Targets must be finite
(they are data); predictions may hold inf or nan, as a diverging model's outputs do
(the engines' rule for results): an infinite score counts as a very large one, and a
nan prediction makes the metric nan (undefined), never an error mid-training.

    accuracy(pred, target)     fraction of samples whose predicted class is the target's
    r2_score(pred, target)     1 - sum (y - pred)^2 / sum (y - mean y)^2
"""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from autograd_lite import Tensor, Value

from .checks import finite_real

__all__ = ["accuracy", "r2_score", "to_numbers"]


def accuracy(pred: Any, target: Any, threshold: Optional[float] = None) -> float:
    """Fraction of correct predictions, in [0, 1].

    Two cases, by the prediction's shape:

    * several columns, (N, K) with K > 1: the predicted class is the argmax of each row
      (logits or probabilities alike), compared with class indices (N,) or with the
      argmax of one-hot targets (N, K);
    * one column, (N, 1) or (N,) (or one number): a binary prediction, positive where
      pred > threshold, compared with labels in {-1, +1} or in {0, 1}. The default
      threshold follows the labels: 0.0 for {-1, +1} (the sign of a score, as the hinge
      loss uses it) and 0.5 for {0, 1} (a sigmoid's probability).

    NOTE: logits (not probabilities) with 0/1 labels need ``threshold=0.0``:
    sigmoid(x) > 0.5 exactly when x > 0.
    """
    fn = "accuracy"
    p = _as_array(pred, fn, "prediction", finite=False)
    y = _as_array(target, fn, "target")
    if p.ndim == 2 and p.shape[1] > 1:  # multi-class: argmax per row
        n, k = p.shape
        if y.shape == p.shape:
            classes = y.argmax(axis=1)  # one-hot (or probabilities): their argmax
        elif y.shape == (n,):
            if not (y == np.round(y)).all() or ((y < 0) | (y >= k)).any():
                raise ValueError(f"{fn}: class indices must be integers in 0..{k - 1}, got {_few(y)}")
            classes = y
        else:
            raise ValueError(
                f"{fn}: a prediction of shape {p.shape} needs class indices of shape ({n},) or "
                f"one-hot targets of shape {p.shape}; got a target of shape {y.shape}"
            )
        if n == 0:
            raise ValueError(f"{fn}: no samples (prediction shape {p.shape})")
        if np.isnan(p).any():  # no predicted class: undefined
            return math.nan
        return float(np.mean(p.argmax(axis=1) == classes))

    # one score per sample
    if p.ndim > 2 or (p.ndim == 2 and p.shape[1] != 1):
        raise ValueError(f"{fn}: expected a prediction of shape (N, K), (N, 1) or (N,), got {p.shape}")
    scores, labels = p.reshape(-1), y.reshape(-1)
    if y.ndim > 2 or labels.shape != scores.shape:
        raise ValueError(f"{fn}: prediction shape {p.shape} and target shape {y.shape} hold different numbers of samples")
    if scores.size == 0:
        raise ValueError(f"{fn}: no samples (prediction shape {p.shape})")
    is_pm1 = bool(np.isin(labels, (-1.0, 1.0)).all())
    is_01 = bool(np.isin(labels, (0.0, 1.0)).all())
    if not (is_pm1 or is_01):
        raise ValueError(f"{fn}: binary labels must all be in {{-1, +1}} or all in {{0, 1}}, got {_few(np.unique(labels))}")
    if threshold is None:
        if is_pm1 and is_01:  # every label is 1: nothing says which convention is meant
            raise ValueError(
                f"{fn}: every label is 1, so the threshold cannot be inferred; pass threshold=0.0 "
                f"(scores with -1/+1 labels, or logits) or threshold=0.5 (probabilities)"
            )
        threshold = 0.0 if is_pm1 else 0.5
    else:
        threshold = finite_real(threshold, f"{fn}(threshold=...)")
    if np.isnan(scores).any():  # no predicted class: undefined
        return math.nan
    # positive prediction vs positive label: the label +1 (or 1) is the positive class either way
    return float(np.mean((scores > threshold) == (labels > 0)))


def r2_score(pred: Any, target: Any) -> float:
    """Coefficient of determination: 1 - sum (y - pred)^2 / sum (y - mean y)^2.

    1 is a perfect fit, 0 is no better than predicting the mean, negative is worse.
    Shapes as for the losses: equal, or an (N,) target for an (N, 1) prediction.
    Over several output columns the residuals and variances are pooled (summed over all
    elements), which is not scikit-learn's default (a mean of per-column scores).
    """
    fn = "r2_score"
    p = _as_array(pred, fn, "prediction", finite=False)
    y = _as_array(target, fn, "target")
    if y.shape != p.shape:
        if p.ndim == 2 and p.shape[1] == 1 and y.shape == (p.shape[0],):
            y = y.reshape(p.shape)
        else:
            raise ValueError(f"{fn}: prediction shape {p.shape} and target shape {y.shape} differ")
    if y.size < 2:
        raise ValueError(f"{fn}: needs at least 2 samples, got {y.size}")
    # Huge (finite or not) predictions make the residual overflow to inf: R^2 is then
    # -inf, IEEE's answer, without numpy's warning. Targets near 1e308 can overflow too.
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(((y - y.mean(axis=0)) ** 2).sum())
        residual = float(((y - p) ** 2).sum())
    if total == 0.0:
        raise ValueError(f"{fn}: the target is constant, so its variance is 0 and R^2 is undefined")
    if math.isinf(total):
        raise ValueError(
            f"{fn}: the target's sum of squares overflows float64 (values near 1e154 or beyond); "
            f"scale the target down (nn.standardize)"
        )
    return 1.0 - residual / total


def _as_array(x: Any, fn: str, what: str, finite: bool = True) -> np.ndarray:
    """The numbers of x as a float64 array (Tensors and Values are read, not recorded);
    with ``finite`` (targets) nan and inf are refused."""
    if isinstance(x, Tensor):
        a = x.data.astype(np.float64, copy=False)
    elif isinstance(x, Value):
        a = np.array(x.data)
    elif x is None:  # np.asarray(None, dtype=float) would be nan
        raise TypeError(f"{fn}: the {what} is None")
    else:
        try:
            a = np.asarray(to_numbers(x))
            if a.dtype.kind not in "biuf":  # complex, strings, objects: never cast quietly
                raise TypeError
            with np.errstate(over="ignore"):  # a longdouble beyond float64: inf, refused below
                a = a.astype(np.float64, copy=False)
        except (TypeError, ValueError):
            raise TypeError(
                f"{fn}: the {what} must be real numbers, Values, Tensors or (nested) lists of them, got "
                f"{type(x).__name__}" + (f" of dtype {a.dtype}" if isinstance(x, np.ndarray) else "")
            ) from None
    if finite and not np.isfinite(a).all():
        raise ValueError(f"{fn}: the {what} contains nan or inf; {what}s must be finite numbers")
    return a


def to_numbers(x: Any) -> Any:
    """``x`` with every Value and Tensor replaced by its number (its ``data``), through nested
    lists and tuples (which become lists); anything else is returned as it is. For turning
    a model's outputs or a list of losses into something numpy reads.

    >>> from autograd_lite import Value
    >>> to_numbers([Value(1.0), (Value(2.0), 3.0)])
    [1.0, [2.0, 3.0]]
    """
    if isinstance(x, (Value, Tensor)):
        return x.data
    if isinstance(x, (list, tuple)):
        return [to_numbers(item) for item in x]  # recursion over the nesting depth of a list, not a graph
    return x


def _few(a: np.ndarray) -> str:
    values = np.ravel(a)[:5].tolist()
    return ", ".join(repr(v) for v in values) + (" ..." if np.size(a) > 5 else "")
