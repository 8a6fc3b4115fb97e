"""Figures of training (loss curves, predictions, weights) and of functions of one number.

Every number drawn is computed by a plain function you can call on its own, and every
gradient drawn comes from the engines' ``backward()``, never from a formula typed in:

    training                              functions of one number
    --------------------------------      -------------------------------------------------
    history_curves(history, per)          function_values(f, xs)     f at each x (a Value)
    smooth_series(values, smooth)         derivative(f, x0)          (f(x0), f'(x0)) by backward
    weight_matrices(model, layers)        activation_values(name, x, w, b)   a(wx+b), d/dx
    (R^2: nn.metrics.r2_score)            descend_1d(loss, x0, lr, steps)    x <- x - lr l'(x)

    plot_history(history)                 plot_function(f, x_range, tangent_at=x0)
    plot_predictions(y_true, y_pred)      plot_activations(["relu", "tanh"], w=2, b=1)
    plot_weights(model, before=...)       plot_descent_1d(loss, path, marks={...})

>>> import numpy as np
>>> from viz.plots import derivative, descend_1d
>>> derivative(lambda x: 3 * x**2 - 4 * x + 5, -2.0)     # lesson 2: f(-2), f'(-2)
(25.0, -16.0)
>>> x = np.array([1.0, 2.0, 6.0])                          # lesson 1: find the mean by descent
>>> path = descend_1d(lambda mu: 0.5 * sum((xi - mu) ** 2 for xi in x), -0.5, lr=0.05, steps=5)
>>> path.shape
(6,)

Conventions (as everywhere in ``viz``): each plot takes ``ax=None`` (draw on that Axes,
or make a figure) and returns the Axes it drew on (``plot_weights``, which needs a grid
of panels, returns its Figure); nothing calls ``plt.show()``; nothing changes a model.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union, cast

import numpy as np

from autograd_lite import Tensor, Value, is_grad_enabled, no_grad
from nn.checks import integer, real
from nn.metrics import r2_score, to_numbers
from nn.train import History

from . import style
from ._figures import as_float_array, lecture_figure, new_axes, place_legend, round_colorbar

__all__ = [
    "history_curves",
    "smooth_series",
    "plot_history",
    "plot_predictions",
    "weight_matrices",
    "plot_weights",
    "layer_names",
    "function_values",
    "derivative",
    "plot_function",
    "ACTIVATIONS",
    "activation_values",
    "plot_activations",
    "descend_1d",
    "plot_descent_1d",
]

# What plot_history accepts for one run: a History, its to_arrays() dict, or the losses.
HistoryLike = Union[History, Mapping[str, Any], Sequence[float], np.ndarray]
Range = Tuple[float, float]

# Keys of History.to_arrays() that are not per-epoch metrics.
# (the last four are what History.as_dict() adds).
_NOT_METRICS = {
    "loss", "lr", "step_epoch", "epoch_loss", "val_loss", "snapshot_steps", "snapshots",
    "param_names", "param_shapes", "elapsed", "stopped",
}


# ====================================================================== small checks


def _range(x_range: Any, where: str, name: str = "x_range") -> Range:
    """``(lo, hi)``: two finite numbers with lo < hi."""
    if not isinstance(x_range, (tuple, list)) or len(x_range) != 2:
        raise TypeError(f"{where}: {name} must be a pair (lo, hi), got {x_range!r}")
    lo, hi = real(x_range[0], f"{name}[0]", where), real(x_range[1], f"{name}[1]", where)
    if not lo < hi:
        raise ValueError(f"{where}: {name} must satisfy lo < hi, got ({lo}, {hi}); swap them")
    return lo, hi


def _colormap(cmap: Any, where: str) -> Any:
    """A matplotlib Colormap from a name (or a Colormap itself), or a ValueError."""
    import matplotlib

    if isinstance(cmap, matplotlib.colors.Colormap):
        return cmap
    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise ValueError(f"{where}: unknown colormap {cmap!r}; use a matplotlib name such as 'viridis' or 'RdBu_r'")
    return matplotlib.colormaps[cmap]


# ====================================================================== training curves


def smooth_series(values: Any, smooth: Union[int, float]) -> np.ndarray:
    """A noisy curve, smoothed; the result has the same length as ``values``.

    ``smooth`` an int w >= 1: trailing moving average over the last w points (fewer at the
    start), s_t = mean(y[max(0, t - w + 1) : t + 1]); w = 1 leaves the curve as it is.
    ``smooth`` a float a in [0, 1): exponential moving average (TensorBoard's slider),
    s_0 = y_0, s_t = a s_(t-1) + (1 - a) y_t; a larger a is smoother.
    """
    where = "smooth_series"
    y = as_float_array(values, "values", where, ndim=1)
    if isinstance(smooth, (bool, np.bool_)) or not isinstance(smooth, numbers.Real):
        raise TypeError(f"{where}: smooth must be an int window (>= 1) or a float factor in [0, 1), got {smooth!r}")
    if isinstance(smooth, numbers.Integral):
        w = integer(smooth, "smooth (a window)", where, minimum=1)
        if y.size == 0:
            return y
        # The first len(y) entries of the full convolution with w ones are the trailing
        # window sums (direct sums, so no rounding drift along a long curve); the first
        # w - 1 windows are short, hence the count.
        sums = np.convolve(y, np.ones(w), mode="full")[: len(y)]
        counts = np.minimum(np.arange(1, len(y) + 1), w)
        return sums / counts
    a = float(smooth)
    if not 0.0 <= a < 1.0:
        raise ValueError(
            f"{where}: a float smooth is an EMA factor in [0, 1), got {a}; "
            f"for a moving-average window pass an int (smooth={int(a) if a >= 1 and a == int(a) else 'w'})"
        )
    out = np.empty_like(y)
    running = y[0] if len(y) else 0.0
    for t, value in enumerate(y):  # a plain loop: each point depends on the one before
        running = a * running + (1.0 - a) * value
        out[t] = running
    return out


def history_curves(history: HistoryLike, per: str = "step") -> Dict[str, np.ndarray]:
    """The numbers ``plot_history`` draws for one run, as arrays.

    Keys: ``x`` (1, 2, ... steps or epochs) and ``loss`` (per step: ``History.loss``; per
    epoch: ``History.epoch_loss``); ``epoch_x``, where per-epoch series sit on that x axis
    (per epoch: 1..E; per step: the last step of each epoch); ``val_loss`` (empty when
    there is none) and every metric and ``val_<metric>`` of the run, one value per epoch.
    A bare list/array of losses is one loss per step (or per epoch, with per="epoch").
    """
    where = "history_curves"
    if per not in ("step", "epoch"):
        raise ValueError(f'{where}: per must be "step" or "epoch", got {per!r}')
    if isinstance(history, History):
        record: Dict[str, Any] = history.to_arrays()
    elif isinstance(history, Mapping):
        record = {str(k): v for k, v in history.items()}
    elif isinstance(history, (str, bytes)) or history is None or isinstance(history, numbers.Number):
        raise TypeError(
            f"{where}: expected an nn.History, its to_arrays() dict, or a list/array of losses, "
            f"got {type(history).__name__} {history!r}"
        )
    else:  # bare losses: nothing per epoch
        losses = as_float_array(to_numbers(history), "history (a list of losses)", where, ndim=1)
        if losses.size == 0:
            raise ValueError(f"{where}: the list of losses is empty")
        return {"x": np.arange(1.0, len(losses) + 1), "loss": losses, "epoch_x": np.empty(0), "val_loss": np.empty(0)}

    key = "loss" if per == "step" else "epoch_loss"
    if key not in record:
        raise ValueError(
            f"{where}: a history dict needs the key {key!r} for per={per!r} (History.to_arrays() has it); "
            f"got keys {sorted(record)}"
        )
    loss = as_float_array(record[key], key, where, ndim=1)
    if loss.size == 0:
        raise ValueError(f"{where}: the history has no {key} yet (nothing was trained)")
    per_epoch = {
        k: as_float_array(v, k, where, ndim=1)
        for k, v in record.items()
        if k not in _NOT_METRICS or k == "val_loss"
    }
    per_epoch.setdefault("val_loss", np.empty(0))
    if per == "epoch":
        epoch_x = np.arange(1.0, len(loss) + 1)
    elif "step_epoch" in record:
        # The last step of epoch e is the last index whose step_epoch is e (1-based steps).
        step_epoch = np.asarray(record["step_epoch"])
        n_epochs = int(step_epoch.max()) if step_epoch.size else 0
        epoch_x = np.array([np.flatnonzero(step_epoch == e)[-1] + 1.0 for e in range(1, n_epochs + 1)])
    elif all(v.size == 0 for v in per_epoch.values()):
        epoch_x = np.empty(0)
    else:
        raise ValueError(
            f"{where}: per-epoch series ({sorted(k for k, v in per_epoch.items() if v.size)}) need "
            f"'step_epoch' to sit on the step axis; pass per='epoch' or the full History.to_arrays()"
        )
    for k, v in per_epoch.items():
        # A run stopped mid-epoch has steps of an epoch it never finished: fewer epoch
        # values than epoch ends is fine, more is a record that does not add up.
        if len(v) > len(epoch_x):
            raise ValueError(
                f"{where}: {k} has {len(v)} values but the run has only {len(epoch_x)} epochs; "
                f"the history's lengths do not match"
            )
    out = {"x": np.arange(1.0, len(loss) + 1), "loss": loss, "epoch_x": epoch_x}
    out.update(per_epoch)
    return out


def _split_runs(history: Any) -> Optional[List[Any]]:
    """The runs, when ``history`` holds several (a list of runs, a 2-D array); else None."""
    if isinstance(history, np.ndarray):
        return list(history) if history.ndim == 2 else None
    if isinstance(history, (list, tuple)) and history:
        first = history[0]
        if isinstance(first, (History, Mapping, list, tuple, np.ndarray)):
            return list(history)
    return None


@lecture_figure
def plot_history(
    history: Union[HistoryLike, Sequence[HistoryLike]],
    *,
    ax: Any = None,
    per: str = "step",
    logy: bool = False,
    smooth: Optional[Union[int, float]] = None,
    metric: Optional[str] = None,
    label: Optional[Union[str, Sequence[str]]] = None,
    cmap: Any = None,
    colorbar: bool = True,
    colorbar_label: str = "run",
) -> Any:
    """Training loss against step (or epoch), with the validation loss when recorded.

    ``history``: an ``nn.History``, its ``to_arrays()`` dict, or a list/array of losses.
    Several runs (a list of any of those, or a 2-D array with one run per row) are drawn
    one line each. Labelled runs (``label``, at most 10) are told apart like every
    series in viz (``viz.style.series``: colour, line style and marker) with a legend;
    unlabelled runs are coloured by run index 0..n-1 through ``cmap`` (viridis), with a
    colorbar (``colorbar_label``, e.g. "batch", as the digits lesson draws 200 batches).
    The legend goes where it covers no curve (``place_legend``).

    per: "step" (``History.loss``) or "epoch" (``History.epoch_loss``); per step, the
        per-epoch validation loss sits at the last step of each epoch.
    logy: a log-scale loss axis (losses must be positive).
    smooth: smooths the training curve (see ``smooth_series``): an int is a moving-average
        window, a float in [0, 1) an EMA factor. One run keeps its raw curve, faint.
    metric: the name of a recorded metric (e.g. "acc") drawn per epoch on a twin y axis,
        with "val_<metric>" dashed when recorded. One run only.
    label: the training curve's legend label (one run), or one label per run.

    Returns the loss Axes; the metric's twin Axes shares its x axis (``fig.axes[-1]``
    when ``ax`` was None).
    """
    where = "plot_history"
    if not isinstance(logy, (bool, np.bool_)):
        raise TypeError(f"{where}: logy must be True or False, got {logy!r}")
    runs = _split_runs(history)
    single = runs is None
    if runs is None:
        if label is not None and not isinstance(label, str):
            raise TypeError(f"{where}: label for one run must be a str, got {label!r}")
        all_curves = [history_curves(cast(HistoryLike, history), per)]  # one run (_split_runs said so)
    else:
        if metric is not None:
            raise ValueError(f"{where}: metric=... needs a single run, got {len(runs)} runs; plot one history at a time")
        if label is not None and (isinstance(label, str) or len(label) != len(runs)):
            raise ValueError(f"{where}: with {len(runs)} runs, label must be a list of {len(runs)} names, got {label!r}")
        all_curves = []
        for i, run in enumerate(runs):
            try:
                all_curves.append(history_curves(run, per))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{where}: run {i}: {exc}") from None
    # Everything is computed and checked before a figure exists: a bad call leaves none behind.
    trains = [c["loss"] if smooth is None else smooth_series(c["loss"], smooth) for c in all_curves]
    if metric is not None:
        _check_metric(all_curves[0], metric, where)
    if logy:
        smallest = min(min(float(c["loss"].min()), float(c["val_loss"].min(initial=np.inf))) for c in all_curves)
        if smallest <= 0:
            raise ValueError(f"{where}: logy=True needs positive losses, the smallest is {smallest!r}; use logy=False")
    colormap = _colormap(style.SEQUENTIAL if cmap is None else cmap, where)  # (one run ignores it)
    if not single and label is not None and cmap is None and len(all_curves) > 10:
        raise ValueError(
            f"{where}: {len(all_curves)} labelled runs are too many for a legend (at most 10 look different); "
            f"leave label out to colour them by index with a colorbar"
        )

    fig, ax = new_axes(ax)
    twin = None
    if single:
        curves, train = all_curves[0], trains[0]
        train_look, val_look = style.series(0), style.series(1)
        if smooth is not None:
            ax.plot(curves["x"], curves["loss"], color=train_look["color"], alpha=0.3, linewidth=1, gid="train_raw")
        ax.plot(curves["x"], train, color=train_look["color"], linestyle="-", label=label or "training loss", gid="train")
        val = curves["val_loss"]
        if val.size:
            ax.plot(curves["epoch_x"][: len(val)], val, color=val_look["color"], linestyle=val_look["linestyle"],
                    marker=val_look["marker"], markersize=5, markevery=_every(len(val)), label="validation loss", gid="val")
        twin = None if metric is None else _draw_metric(ax, curves, metric)
    else:
        import matplotlib

        # Runs are coloured by index: run 0 at the colormap's start, run n-1 at its end.
        norm = matplotlib.colors.Normalize(vmin=0, vmax=max(len(all_curves) - 1, 1))
        by_series = label is not None and cmap is None  # a few named runs: the palette's series
        for i, (curves, train) in enumerate(zip(all_curves, trains)):
            if by_series:
                look = style.series(i)
                kw: Dict[str, Any] = dict(color=look["color"], linestyle=look["linestyle"], marker=look["marker"],
                                          markevery=_every(len(train), offset=i), markersize=6)
            else:  # by index; named runs on a chosen colormap still differ by line style
                kw = dict(color=colormap(norm(i)), linewidth=1,
                          linestyle=style.LINESTYLES[i % len(style.LINESTYLES)] if label is not None else "-")
            ax.plot(curves["x"], train, label=None if label is None else label[i], gid=f"run{i}", **kw)
            val = curves["val_loss"]
            if val.size:  # dotted, in its run's colour
                ax.plot(curves["epoch_x"][: len(val)], val, color=kw["color"], linestyle=":", linewidth=1, gid=f"run{i}_val")
        if colorbar and not by_series:
            mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap)
            round_colorbar(fig.colorbar(mappable, ax=ax, label=colorbar_label))
    if logy:
        # matplotlib pads the limits, and places decade ticks, in log space, which overflows
        # (numpy warnings) for a diverging run's loss near 1e308: pad them here instead,
        # kept within 1e-200..1e200, where the ticks one stride beyond still fit in a float
        # (a run past it leaves the top of the plot: it has blown up).
        ys = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()] or [np.ones(1)])
        ys = ys[np.isfinite(ys) & (ys > 0)]
        with np.errstate(over="ignore"):
            ax.set_yscale("log")
        if ys.size:
            top = min(ys.max(), 1e200) * 1.5
            ax.set_ylim(min(max(ys.min(), 1e-200) / 1.5, top / 10), top)
    ax.set_xlabel(per)
    ax.set_ylabel("loss (log scale)" if logy else "loss")
    if twin is not None:  # one legend for both y axes, on the twin: drawn last, so nothing covers it
        handles, labels = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        place_legend(twin, handles + more[0], labels + more[1], others=[ax])
    elif (single and all_curves[0]["val_loss"].size) or (not single and label is not None):
        place_legend(ax)
    return ax


def _every(n: int, offset: int = 0, marks: int = 12) -> Any:
    """``markevery`` for a curve of n points: about ``marks`` markers (a band of them hides the curve)."""
    step = max(1, n // marks)
    return (min(offset * max(1, step // 5), max(n - 1, 0)), step)


def _check_metric(curves: Dict[str, np.ndarray], metric: Any, where: str) -> None:
    known = sorted(k for k in curves if k not in ("x", "loss", "epoch_x", "val_loss") and curves[k].size)
    if not isinstance(metric, str) or metric not in known:
        raise ValueError(f"{where}: no metric {metric!r} in this history; recorded metrics: {known or 'none'}")


def _draw_metric(ax: Any, curves: Dict[str, np.ndarray], metric: str) -> Any:
    """``metric`` (and ``val_<metric>``, dashed) per epoch on a twin y axis of ``ax``."""
    twin = ax.twinx()
    values = curves[metric]
    look = style.series(2)
    name = _METRIC_NAMES.get(metric, metric)
    twin.plot(curves["epoch_x"][: len(values)], values, color=look["color"], linestyle=look["linestyle"],
              marker=look["marker"], markersize=6, markevery=_every(len(values)), label=f"training {name}", gid="metric")
    val_name = f"val_{metric}"
    if curves.get(val_name, np.empty(0)).size:
        val = curves[val_name]
        look = style.series(3)
        twin.plot(curves["epoch_x"][: len(val)], val, color=look["color"], linestyle=look["linestyle"],
                  marker=look["marker"], markersize=6, markevery=_every(len(val), 1), label=f"validation {name}",
                  gid="val_metric")
    twin.set_ylabel(name)
    return twin


#: People's names of the metrics nn records under short keys.
_METRIC_NAMES = {"acc": "accuracy", "r2": "R²"}


# ====================================================================== predictions


@lecture_figure
def plot_predictions(y_true: Any, y_pred: Any, *, ax: Any = None, scale: float = 1.0, unit: str = "") -> Any:
    """Predicted against actual values, with the identity line y = x over the joint range.

    R^2 = 1 - sum (y - pred)^2 / sum (y - mean y)^2 (``nn.metrics.r2_score``) is in the
    title. ``scale`` multiplies both before drawing (house prices in thousands:
    ``scale=1e-3, unit="k$"``); R^2 does not change with it. Shapes (N,) or (N, 1) each;
    Tensors and lists of Values (a model's outputs) are read, not recorded.
    """
    where = "plot_predictions"
    t = _one_column(y_true, "y_true", where)
    p = _one_column(y_pred, "y_pred", where)
    if len(t) != len(p):
        raise ValueError(f"{where}: y_true has {len(t)} values but y_pred has {len(p)}; pass predictions for the same samples")
    scale = real(scale, "scale", where)
    if scale == 0.0:
        raise ValueError(f"{where}: scale must not be 0 (every point would sit at the origin)")
    if not isinstance(unit, str):
        raise TypeError(f"{where}: unit must be a str such as 'k$', got {unit!r}")
    r2 = r2_score(p, t)
    t, p = t * scale, p * scale
    fig, ax = new_axes(ax)
    ax.scatter(t, p, s=60, color=style.BLUE, edgecolors="k", linewidths=0.8, label="samples", gid="points", zorder=3)
    lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
    pad = 0.06 * (hi - lo or 1.0)  # room around the extreme points: no marker touches the frame
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color=style.BLACK, linestyle="--", linewidth=1.2,
            label="y = x (perfect)", gid="identity")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    suffix = f" ({unit})" if unit else ""
    ax.set_xlabel("actual" + suffix)
    ax.set_ylabel("predicted" + suffix)
    ax.set_title(f"predicted vs actual, $R^2$ = {r2:.3f}")
    place_legend(ax)
    return ax


def _one_column(x: Any, name: str, where: str) -> np.ndarray:
    """A (N,) or (N, 1) series as a flat float array."""
    a = as_float_array(to_numbers(x), name, where)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{where}: {name} must have shape (N,) or (N, 1) (one output), got {a.shape}")
    if a.size < 2:
        raise ValueError(f"{where}: {name} needs at least 2 values for R^2, got {a.size}")
    return a


# ====================================================================== weights


def weight_matrices(model: Any, layers: Optional[Sequence[Union[str, int]]] = None) -> Dict[str, np.ndarray]:
    """The weight matrices of ``model`` as {name: 2-D array} (copies), in model order.

    ``model``: an nn model (either engine; read through ``state_dict()``), a state dict,
    one 2-D array, or a list of 2-D arrays (named "0", "1", ...). From a state dict the
    2-D entries whose key ends in "weight" are taken (PyTorch's names: "0.weight" is
    (nout, nin)); a dict with no such key gives all its 2-D arrays.
    ``layers``: keep only these, by name or by position in that list.
    """
    where = "weight_matrices"
    if hasattr(model, "state_dict") and callable(model.state_dict):
        state: Mapping[str, Any] = model.state_dict()
    elif isinstance(model, Mapping):
        state = model
    elif isinstance(model, (np.ndarray, Tensor)):
        state = {"weight": model}
    elif isinstance(model, (list, tuple)) and model:
        state = {str(i): w for i, w in enumerate(model)}
    else:
        raise TypeError(
            f"{where}: expected an nn model, a state dict, a 2-D array or a list of them, got {type(model).__name__}"
        )
    arrays = {str(k): as_float_array(v, f"weights {k!r}", where) for k, v in state.items()}
    chosen = {k: v for k, v in arrays.items() if k.endswith("weight") and v.ndim == 2}
    if not chosen:
        chosen = {k: v for k, v in arrays.items() if v.ndim == 2}
    if not chosen:
        shapes = {k: v.shape for k, v in arrays.items()}
        raise ValueError(f"{where}: no 2-D weight matrix found; got {shapes}")
    if layers is None:
        return {k: v.copy() for k, v in chosen.items()}
    if isinstance(layers, (str, int)):
        layers = [layers]
    names = list(chosen)
    out: Dict[str, np.ndarray] = {}
    for layer in layers:
        if isinstance(layer, (int, np.integer)) and not isinstance(layer, (bool, np.bool_)):
            if not -len(names) <= layer < len(names):
                raise ValueError(f"{where}: layer index {layer} out of range; the weight matrices are {names}")
            layer = names[layer]
        if layer not in chosen:
            raise ValueError(f"{where}: no weight matrix {layer!r}; choose from {names} (or their positions)")
        out[layer] = chosen[layer].copy()
    return out


def layer_names(keys: Sequence[str], names: str = "people") -> Dict[str, str]:
    """``{"0.weight": "layer 1 weights W1", ...}``: the people's name of each weight key.

    Weight matrices are numbered 1, 2, ... in model order (the state dict's "0.weight",
    "2.weight" are layers 1 and 2 of ``Sequential(Linear, act, Linear)``), as lectures write
    W1, W2; a bias "0.bias" is "layer 1 biases b1". ``names="keys"`` gives the state-dict
    keys themselves.
    """
    if names not in ("people", "keys"):
        raise ValueError(f"layer_names: names must be 'people' (layer 1 weights) or 'keys' (0.weight), got {names!r}")
    if names == "keys":
        return {k: k for k in keys}
    prefixes = list(dict.fromkeys(k.rsplit(".", 1)[0] if "." in k else k for k in keys))
    out = {}
    for k in keys:
        prefix, kind = k.rsplit(".", 1) if "." in k else (k, k)
        n = prefixes.index(prefix) + 1
        if kind == "weight":
            out[k] = f"layer {n} weights W{n}"
        elif kind == "bias":
            out[k] = f"layer {n} biases b{n}"
        else:
            out[k] = k
    return out


@lecture_figure
def plot_weights(
    model: Any,
    before: Any = None,
    *,
    layers: Optional[Sequence[Union[str, int]]] = None,
    cmap: Any = "RdBu_r",
    figsize: Optional[Tuple[float, float]] = None,
    names: str = "people",
) -> Any:
    """Each weight matrix as an image: rows are output units, columns are inputs.

    Colours are symmetric around 0 (white is 0 with "RdBu_r": the sign is the colour, the
    size its depth), one colour range and colorbar per layer. With ``before`` (a state dict
    or a model, e.g. ``model.state_dict()`` saved before training) the first row shows the
    weights before and the second after, on the layer's shared range. Panels are titled
    by people's names ("layer 1 weights W1, 50 x 64"; ``names="keys"``: "0.weight").
    Returns the Figure.
    """
    where = "plot_weights"
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    colormap = _colormap(cmap, where)
    after = weight_matrices(model, layers)
    titles = layer_names(list(after), names)
    prior: Optional[Dict[str, np.ndarray]] = None
    if before is not None:
        prior = weight_matrices(before)
        for name, w in after.items():
            if name not in prior:
                raise ValueError(f"{where}: before has no weight matrix {name!r} (it has {list(prior)}); pass the same model's weights")
            if prior[name].shape != w.shape:
                raise ValueError(f"{where}: {name!r} is {w.shape} now but {prior[name].shape} in before; is before the same model?")
    rows = 1 if prior is None else 2
    if figsize is None:
        figsize = (5.0 * len(after) + 1.0, 4.2 * rows)
    fig, axes = plt.subplots(rows, len(after), figsize=figsize, squeeze=False, layout="constrained")
    for j, (name, w) in enumerate(after.items()):
        panels = [("", w)] if prior is None else [("before", prior[name]), ("after", w)]
        # One range per layer, shared by before and after, so the same colour is the same number.
        limit = max(float(np.abs(m).max()) for _, m in panels) or 1.0  # all zeros: any range will do
        for i, (when, m) in enumerate(panels):
            a = axes[i, j]
            image = a.imshow(m, cmap=colormap, vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
            a.set_title(f"{titles[name]}\n{m.shape[0]} × {m.shape[1]}" + (f", {when}" if when else ""))
            a.set_xlabel("input unit")
            a.set_ylabel("output unit")
            a.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))  # units are whole numbers
            a.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        round_colorbar(fig.colorbar(image, ax=list(axes[:, j]), label="weight"), nbins=4)
    return fig


# ====================================================================== functions of one number


def _call(f: Callable[[Value], Any], x: Value, where: str) -> Any:
    """``f(x)``, with a hint when f is not written with Value ops."""
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of one number, got {type(f).__name__} {f!r}")
    try:
        return f(x)
    except TypeError as exc:
        # The common slip: math.sin(x) or np.exp(x) on a Value, which has no float().
        raise TypeError(
            f"{where}: f({x.data!r}) raised TypeError: {exc}. f is called with a Value: write it with "
            f"Value ops (x**2, x.exp(), x.tanh(), x.sin()) rather than math or numpy functions"
        ) from exc


def _number(y: Any, where: str) -> float:
    """The number an evaluation of f gave: a Value's data, or a plain real."""
    if isinstance(y, Value):
        return y.data
    if isinstance(y, numbers.Real) and not isinstance(y, (bool, np.bool_)):
        return float(y)
    raise TypeError(f"{where}: f must return a Value or a number, got {type(y).__name__} {y!r}")


def function_values(f: Callable[[Value], Any], xs: Any) -> np.ndarray:
    """f(x) at each x of ``xs``: f is called with ``Value(x)`` under ``no_grad()``.

    Under no_grad the ops record no graph, so a 400-point curve costs 400 forward passes
    and nothing more. f may return a Value or a plain number (a constant function).
    """
    where = "function_values"
    xs = as_float_array(xs, "xs", where, ndim=1)
    with no_grad():
        return np.array([_number(_call(f, Value(x), where), where) for x in xs.tolist()], dtype=np.float64)


def _derivative(f: Callable[[Value], Any], x0: float, where: str) -> Tuple[float, float]:
    if not is_grad_enabled():
        raise RuntimeError(f"{where}: called inside no_grad(), where no graph is recorded; call it outside no_grad()")
    x = Value(x0, label="x")
    y = _call(f, x, where)
    if not isinstance(y, Value):
        raise TypeError(
            f"{where}: f({x0!r}) returned {type(y).__name__} {y!r}, not a Value, so the engine has no graph "
            f"to differentiate; build the result from its argument with Value ops"
        )
    if not math.isfinite(y.data):
        raise ValueError(f"{where}: f({x0!r}) = {y.data}, not finite; choose a point where f is defined")
    y.backward()
    return y.data, x.grad


def derivative(f: Callable[[Value], Any], x0: float) -> Tuple[float, float]:
    """``(f(x0), f'(x0))``, the slope by the engine: x = Value(x0); f(x).backward(); x.grad."""
    return _derivative(f, real(x0, "x0", "derivative"), "derivative")


@lecture_figure
def plot_function(
    f: Callable[[Value], Any],
    x_range: Range = (-5.0, 5.0),
    *,
    tangent_at: Optional[float] = None,
    ax: Any = None,
    n: int = 400,
) -> Any:
    """y = f(x) over ``x_range``; with ``tangent_at=x0``, the tangent y = f(x0) + f'(x0)(x - x0).

    f is a Python function of one number written with Value ops (``lambda x: 3*x**2 -
    4*x + 5``; it is called with a Value). The slope f'(x0) comes from ``backward()``
    (``derivative``) and is written in the legend; the point (x0, f(x0)) is marked.
    """
    where = "plot_function"
    lo, hi = _range(x_range, where)
    n = integer(n, "n", where, minimum=2)
    xs = np.linspace(lo, hi, n)
    ys = function_values(f, xs)
    if tangent_at is not None:
        x0 = real(tangent_at, "tangent_at", where)
        y0, slope = _derivative(f, x0, where)
    fig, ax = new_axes(ax)
    name = getattr(f, "__name__", "f")
    name = "f" if name == "<lambda>" else name
    ax.plot(xs, ys, color=style.BLUE, linestyle="-", label=f"{name}(x)", gid="function")
    if tangent_at is not None:
        ax.plot(xs, y0 + slope * (xs - x0), color=style.VERMILLION, linestyle="--",
                label=f"tangent at x = {x0:g}, slope {slope:.6g}", gid="tangent")
        ax.plot([x0], [y0], "o", color=style.VERMILLION, markeredgecolor="k", markersize=9, gid="point",
                label=f"(x0, {name}(x0)) = ({x0:g}, {y0:.4g})")
        # the tangent leaves the curve's range quickly: keep the view on the curve
        pad = 0.08 * (float(ys.max() - ys.min()) or 1.0)
        ax.set_ylim(float(min(ys.min(), y0)) - pad, float(max(ys.max(), y0)) + pad)
    ax.set_xlabel("x")
    ax.set_ylabel(f"{name}(x)")
    place_legend(ax)
    return ax


# Activation name -> the Tensor op it applies (all elementwise; "linear" is the identity).
ACTIVATIONS: Dict[str, Callable[[Tensor], Tensor]] = {
    "relu": Tensor.relu,
    "leaky_relu": Tensor.leaky_relu,  # slope 0.01 on the negative side, as PyTorch
    "sigmoid": Tensor.sigmoid,
    "tanh": Tensor.tanh,
    "softplus": Tensor.softplus,
    "linear": lambda z: z,
}


def activation_values(name: str, x: Any, *, w: float = 1.0, b: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """``a(w x + b)`` at each x and its derivative d/dx a(w x + b) = w a'(w x + b), by backward.

    Computed with ``Tensor``: x is a leaf, the output's sum is differentiated, and since
    output i depends on x_i alone, x.grad[i] is exactly the derivative at x_i.
    """
    where = "activation_values"
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {name!r}; choose one of {list(ACTIVATIONS)}")
    w, b = real(w, "w", where), real(b, "b", where)
    xs = as_float_array(x, "x", where, ndim=1)
    if not is_grad_enabled():
        raise RuntimeError(f"{where}: called inside no_grad(), where no graph is recorded; call it outside no_grad()")
    leaf = Tensor(xs, requires_grad=True)
    out = ACTIVATIONS[name](leaf * w + b)  # (n,)
    out.sum().backward()
    return out.data.copy(), np.array(leaf.grad, dtype=np.float64)


@lecture_figure
def plot_activations(
    names: Union[str, Sequence[str]] = ("relu", "sigmoid", "tanh"),
    *,
    w: float = 1.0,
    b: float = 0.0,
    x_range: Range = (-5.0, 5.0),
    ax: Any = None,
    derivatives: bool = False,
    n: int = 400,
) -> Any:
    """Each activation of w x + b over ``x_range``, computed by the engine (``ACTIVATIONS``).

    ``derivatives=True`` adds d/dx a(w x + b) (from ``backward()``), dashed, in the
    same colour and with the same markers. Each activation has its own colour and marker
    (``viz.style.series``), so the curves are told apart without colour too. Lesson 1
    moves w and b to see the curves shift and stretch.
    """
    where = "plot_activations"
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise ValueError(f"{where}: names is empty; choose from {list(ACTIVATIONS)}")
    for name in names:  # all checked before anything is drawn
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise ValueError(f"{where}: unknown activation {name!r}; choose from {list(ACTIVATIONS)}")
    if not isinstance(derivatives, (bool, np.bool_)):
        raise TypeError(f"{where}: derivatives must be True or False, got {derivatives!r}")
    lo, hi = _range(x_range, where)
    xs = np.linspace(lo, hi, integer(n, "n", where, minimum=2))
    w, b = real(w, "w", where), real(b, "b", where)
    curves = [activation_values(name, xs, w=w, b=b) for name in names]
    fig, ax = new_axes(ax)
    for i, (name, (ys, dys)) in enumerate(zip(names, curves)):
        look = style.series(i)
        every = (int(i * len(xs) / (8 * len(names))), max(1, len(xs) // 8))  # markers staggered, not stacked
        ax.plot(xs, ys, color=look["color"], linestyle="-", marker=look["marker"], markevery=every, markersize=8,
                label=name, gid=name)
        if derivatives:
            ax.plot(xs, dys, color=look["color"], linestyle="--", marker=look["marker"], markevery=every, markersize=7,
                    markerfacecolor="white", label=f"d/dx {name}", gid=f"d_{name}")
    ax.set_xlabel("x")
    ax.set_ylabel("a(w x + b)")
    ax.set_title(f"activations of w x + b, w = {w:g}, b = {b:g}")
    place_legend(ax)
    return ax


# ====================================================================== descent in one dimension


def descend_1d(loss: Callable[[Value], Any], x0: float, lr: float, steps: int) -> np.ndarray:
    """Gradient descent on a loss of one number: x_(k+1) = x_k - lr * l'(x_k).

    Each l'(x_k) is computed by the engine (``derivative``). Returns the path
    [x_0, x_1, ..., x_steps], shape (steps + 1,). A step that leaves the finite numbers
    (lr too large: the iterates blow up) raises FloatingPointError.
    """
    where = "descend_1d"
    x = real(x0, "x0", where)
    lr = real(lr, "lr", where)
    if lr <= 0:
        raise ValueError(f"{where}: lr must be positive, got {lr}")
    steps = integer(steps, "steps", where, minimum=0)
    path = [x]
    for k in range(1, steps + 1):
        _, slope = _derivative(loss, x, where)
        x = x - lr * slope
        if not math.isfinite(x):
            raise FloatingPointError(f"{where}: x is {x} after step {k} of {steps}; lr={lr} is too large, try a smaller one")
        path.append(x)
    return np.array(path, dtype=np.float64)


#: The looks of plot_descent_1d's marks, in order: none is the steps' star, no two alike.
_MARK_LOOKS = (("s", style.BLUE), ("D", style.BLACK), ("^", style.SKY_BLUE), ("v", style.GREY), ("P", style.BLUE))


@lecture_figure
def plot_descent_1d(
    loss: Callable[[Value], Any],
    path: Any,
    *,
    ax: Any = None,
    x_range: Optional[Range] = None,
    marks: Optional[Mapping[str, Any]] = None,
    n: int = 400,
    xlabel: str = "x",
) -> Any:
    """The curve of a 1-D loss with descent steps on it: vermillion stars on a dotted line.

    ``loss`` is a function of one number (called with Values, as in ``function_values``);
    ``path`` the iterates (``descend_1d``). ``marks={"empirical mean": x, "true mean": 2.0}``
    adds labelled markers at (x, loss(x)), each its own shape and colour (a blue square,
    a black diamond, ...; never the steps' star); ``(x, "g^")`` picks a matplotlib format
    string instead. ``x_range`` defaults to the path and marks with a 10% margin.
    """
    where = "plot_descent_1d"
    path = as_float_array(path, "path", where, ndim=1)
    if path.size == 0:
        raise ValueError(f"{where}: path is empty; pass the iterates, e.g. descend_1d(loss, x0, lr, steps)")
    marks = {} if marks is None else marks
    if not isinstance(marks, Mapping):
        raise TypeError(f"{where}: marks must be a dict {{label: (x, format)}}, got {type(marks).__name__}")
    points: Dict[str, Tuple[float, Optional[str]]] = {}
    for label, mark in marks.items():
        if isinstance(mark, numbers.Real) and not isinstance(mark, (bool, np.bool_)):
            points[str(label)] = (real(mark, f"marks[{label!r}]", where), None)
            continue
        if not isinstance(mark, (tuple, list)) or len(mark) != 2 or not isinstance(mark[1], str):
            raise TypeError(f"{where}: marks[{label!r}] must be a number x or (x, format) such as (2.0, 'g^'), got {mark!r}")
        points[str(label)] = (real(mark[0], f"marks[{label!r}] x", where), mark[1])
    if x_range is None:
        xs_all = np.concatenate([path, [x for x, _ in points.values()]])
        span = float(xs_all.max() - xs_all.min()) or 1.0
        lo, hi = float(xs_all.min()) - 0.1 * span, float(xs_all.max()) + 0.1 * span
    else:
        lo, hi = _range(x_range, where)
    xs = np.linspace(lo, hi, integer(n, "n", where, minimum=2))
    curve, steps = function_values(loss, xs), function_values(loss, path)
    heights = {label: function_values(loss, [x]) for label, (x, _) in points.items()}
    fig, ax = new_axes(ax)
    ax.plot(xs, curve, color=style.GREY, linestyle="-", linewidth=1.5, label="loss", gid="loss")
    ax.plot(path, steps, color=style.VERMILLION, linestyle=":", marker="*", markersize=14, markeredgecolor="k",
            markeredgewidth=0.6, label="descent steps", gid="path")
    k = 0
    for label, (x, fmt) in points.items():
        if fmt is None:
            marker, color = _MARK_LOOKS[k % len(_MARK_LOOKS)]
            k += 1
            ax.plot([x], heights[label], linestyle="none", marker=marker, color=color, markeredgecolor="k",
                    markersize=12, label=label, gid=f"mark:{label}", zorder=3)
        else:
            ax.plot([x], heights[label], fmt, markersize=12, label=label, gid=f"mark:{label}", zorder=3)
    # room above and below the points, so no marker touches the frame
    everything = np.concatenate([curve, steps] + [h for h in heights.values()])
    span = float(everything.max() - everything.min()) or 1.0
    ax.set_ylim(float(everything.min()) - 0.08 * span, float(everything.max()) + 0.08 * span)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    place_legend(ax)
    return ax
