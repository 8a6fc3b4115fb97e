"""Shared plumbing of the matplotlib figures (plots, landscape, descent, boundary, ...).

Kept tiny on purpose: every figure function reads top to bottom on its own; only what
would otherwise be copied five times lives here.

* ``new_axes(ax, ...)``: the ``ax=None`` convention. Given an Axes, draw on it; given
  None, make a figure with one Axes. Never ``plt.show()``: the caller (a notebook cell,
  a script's ``savefig``) decides what happens to the figure.
* ``predict(model, X)``: a model's outputs on an (N, nin) array, as a float64 (N, nout)
  array, on either engine, under ``no_grad()`` (a picture never builds a graph it does not
  need, and never changes the model).
* ``as_float_array(x, name, where, ndim=...)``: an argument as a finite float64 array,
  or a clear error naming the function, the argument and the shape.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from autograd_lite import Tensor, no_grad
from nn.train import _forward, _pred_array

__all__ = ["new_axes", "predict", "as_float_array", "model_engine"]


def new_axes(ax: Any = None, *, figsize: Optional[Tuple[float, float]] = None, projection: Optional[str] = None) -> Tuple[Any, Any]:
    """``(figure, axes)``: ``ax``'s own figure, or a new figure with one Axes.

    pyplot is imported here, not at module import, so ``import viz`` stays cheap and
    never picks a backend behind the user's back.
    """
    if ax is not None:
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ValueError(
                f"this plot needs a 3-D Axes, got a {getattr(ax, 'name', type(ax).__name__)!r} one; "
                "make it with fig.add_subplot(projection='3d') or pass ax=None"
            )
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    ax = fig.add_subplot(projection=projection) if projection else fig.add_subplot()
    return fig, ax


def model_engine(model: Any, where: str) -> str:
    """``"value"`` or ``"tensor"``: which engine ``model`` runs on (``model.engine``)."""
    engine = getattr(model, "engine", None)
    if engine not in ("value", "tensor"):
        raise TypeError(
            f"{where}: expected an nn model (an nn.Module with engine 'value' or 'tensor', e.g. nn.MLP or "
            f"nn.TensorMLP), got {type(model).__name__}"
        )
    return str(engine)


def predict(model: Any, X: Any, where: str = "predict") -> np.ndarray:
    """``model``'s outputs on the rows of ``X`` (N, nin), as a float64 array (N, nout).

    Scalar models (``engine == "value"``) run one sample at a time, as they are built
    to; Tensor models run the whole batch at once. Nothing is recorded (``no_grad``).
    """
    engine = model_engine(model, where)
    X = as_float_array(X, "X", where, ndim=2)
    with no_grad():  # nn.fit's own forward pass and conversion of its predictions
        return _pred_array(_forward(model, engine, X), engine).reshape(len(X), -1)


def as_float_array(x: Any, name: str, where: str, ndim: Optional[int] = None, shape: Optional[Sequence[Optional[int]]] = None) -> np.ndarray:
    """``x`` as a float64 array with no nan/inf, else a ValueError/TypeError that says so."""
    if isinstance(x, Tensor):
        x = x.data
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must be an array of numbers, got {type(x).__name__}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{where}: {name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None and (len(shape) != arr.ndim or any(s is not None and s != d for s, d in zip(shape, arr.shape))):
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{where}: {name} must have shape {want}, got {arr.shape}")
    if arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{where}: {name} holds nan or inf; clean or drop those entries first")
    return arr
