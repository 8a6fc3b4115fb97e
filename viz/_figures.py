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
* ``lecture_figure``: a decorator; the figure function draws in ``viz.style``'s lecture
  look (palette, sizes), whatever the global rcParams say.
* ``place_legend(ax, ...)``: a legend where it covers no data: the first corner of the
  Axes that is clear of every plotted point and line (of the Axes and its twins), else
  outside, to the right (below, for a map with a colourbar); always outside over an
  image or contours, which fill the Axes.
* ``round_colorbar(cb, log=...)``: colourbar ticks at round values (1, 2, 5 steps, or
  powers of ten), labelled without trailing digits.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple, TypeVar, cast

import numpy as np

from autograd_lite import Tensor, no_grad
from nn.train import forward_batch, outputs_array

__all__ = ["new_axes", "predict", "as_float_array", "model_engine", "lecture_figure", "place_legend", "round_colorbar"]

F = TypeVar("F", bound=Callable[..., Any])


def lecture_figure(fn: F) -> F:
    """Run a figure function under ``viz.style.lecture()``: its figure, text and legends in the lecture look."""
    from . import style

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style.lecture():
            return fn(*args, **kwargs)

    return cast(F, wrapper)  # functools.wraps keeps fn's signature


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
        return outputs_array(forward_batch(model, engine, X), engine).reshape(len(X), -1)


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


# ---------------------------------------------------------------------- legends off the data

#: Inside places tried in this order (matplotlib's loc names) before going outside.
_CORNERS = ("upper right", "upper left", "lower left", "lower right", "center right", "center left",
            "upper center", "lower center")


def _fills_axes(ax: Any) -> bool:
    """True when an image, a mesh or contours (lines or filled) cover the Axes: no free corner."""
    from matplotlib.collections import QuadMesh
    from matplotlib.contour import ContourSet
    from matplotlib.image import AxesImage

    return any(isinstance(c, (AxesImage, QuadMesh, ContourSet)) for c in ax.get_children())


def _data_points(ax: Any, legend: Any = None) -> np.ndarray:
    """Everything plotted on ``ax`` as points in display coordinates (lines densified)."""
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    chunks: List[np.ndarray] = []
    step = 4.0  # px between samples along a line: no line slips between two of them

    def densify(xy: np.ndarray) -> None:
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) == 0:
            return
        chunks.append(xy)
        if len(xy) > 1:
            d = np.diff(xy, axis=0)
            length = np.hypot(d[:, 0], d[:, 1])
            for (a, seg, n) in zip(xy[:-1], d, np.ceil(length / step).astype(int)):
                if n > 1:
                    t = np.linspace(0.0, 1.0, min(n, 2000))[:, None]
                    chunks.append(a + t * seg)

    for artist in ax.get_children():
        if artist is legend or not artist.get_visible():
            continue
        if isinstance(artist, Line2D):
            xy = artist.get_transform().transform(np.column_stack(artist.get_data()).astype(float))
            if artist.get_linestyle() in ("None", "none", "", " "):
                chunks.append(xy[np.isfinite(xy).all(axis=1)])
            else:
                densify(xy)
            if artist.get_marker() not in (None, "None", "none", "", " "):
                r = artist.get_markersize() / 2.0 * ax.figure.dpi / 72.0
                fin = xy[np.isfinite(xy).all(axis=1)]
                for dx, dy in ((r, r), (-r, r), (r, -r), (-r, -r)):
                    chunks.append(fin + [dx, dy])
        elif isinstance(artist, PathCollection):
            xy = artist.get_offset_transform().transform(artist.get_offsets())
            sizes = artist.get_sizes()
            r = (np.sqrt(sizes.max()) / 2.0 if len(sizes) else 3.0) * ax.figure.dpi / 72.0
            fin = xy[np.isfinite(xy).all(axis=1)]
            for dx, dy in ((0, 0), (r, r), (-r, r), (r, -r), (-r, -r)):
                chunks.append(fin + [dx, dy])
        elif isinstance(artist, (LineCollection, PolyCollection)):
            for path in artist.get_paths():
                densify(artist.get_transform().transform(path.vertices))
        elif isinstance(artist, Rectangle) and artist is not ax.patch and artist.get_width() and artist.get_height():
            box = artist.get_window_extent()
            xs = np.linspace(box.x0, box.x1, 8)
            ys = np.linspace(box.y0, box.y1, 8)
            gx, gy = np.meshgrid(xs, ys)
            chunks.append(np.column_stack([gx.ravel(), gy.ravel()]))
    return np.concatenate(chunks) if chunks else np.empty((0, 2))


def place_legend(ax: Any, handles: Optional[List[Any]] = None, labels: Optional[List[str]] = None, *,
                 others: Sequence[Any] = (), outside: Optional[bool] = None, **kwargs: Any) -> Any:
    """``ax.legend(...)`` at the first corner that covers no data, else outside on the right.

    ``others``: more Axes drawn in the same place (a twin), whose data count too.
    ``outside=True`` goes outside at once, ``False`` never does (matplotlib's "best").
    The legend keeps a margin of 8 px from the nearest point or line.
    """
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    fig = ax.figure
    if outside is None:
        outside = any(_fills_axes(a) for a in (ax, *others))
    if not outside:
        ax.autoscale_view()
        for a in others:
            a.autoscale_view()
        fig.canvas.draw()  # the layout as it will be: limits, positions, sizes
        renderer = fig.canvas.get_renderer()
        points = np.concatenate([_data_points(a) for a in (ax, *others)])
        area = ax.get_window_extent(renderer)
        for loc in _CORNERS:
            legend = ax.legend(handles, labels, loc=loc, **kwargs)
            box = legend.get_window_extent(renderer).expanded(1.0, 1.0)
            margin = 8.0
            inside = ((points[:, 0] > box.x0 - margin) & (points[:, 0] < box.x1 + margin)
                      & (points[:, 1] > box.y0 - margin) & (points[:, 1] < box.y1 + margin))
            fits = area.x0 <= box.x0 and box.x1 <= area.x1 and area.y0 <= box.y0 and box.y1 <= area.y1
            if fits and not inside.any():
                return legend
            legend.remove()
    # Outside, on the right: past everything drawn beside the Axes on that side (its own
    # tick labels, a twin's axis, a colourbar and its label). The gap is an offset in
    # points from the Axes' edge, so it holds when the layout engine later resizes the Axes.
    from matplotlib.transforms import offset_copy

    bars = [a for a in fig.axes if getattr(getattr(a, "_colorbar", None), "mappable", None) is not None
            and getattr(a._colorbar.mappable, "axes", None) in (ax, *others)]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    if bars:
        # A map with a colourbar: below the Axes, past its tick labels and axis label, in
        # rows (a legend beside the colourbar would push it away under a layout engine).
        drop = ax.get_window_extent(renderer).y0 - ax.get_tightbbox(renderer).y0 + 8.0  # px
        below = offset_copy(ax.transAxes, fig=fig, x=0.0, y=-drop * 72.0 / fig.dpi, units="points")
        return ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
                         borderaxespad=0.0, ncols=min(len(handles), 3), **kwargs)
    edge = ax.get_window_extent(renderer).x1
    right = max([edge] + [a.get_tightbbox(renderer).x1 for a in (ax, *others, *bars)])
    gap = (right - edge) + 10.0  # px
    anchor = offset_copy(ax.transAxes, fig=fig, x=gap * 72.0 / fig.dpi, y=0.0, units="points")
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), bbox_transform=anchor,
                     borderaxespad=0.0, **kwargs)


def round_colorbar(cb: Any, *, log: bool = False, nbins: int = 6) -> Any:
    """Colourbar ticks at round numbers (1-2-2.5-5 steps, or decades for a log scale)."""
    from matplotlib import ticker

    if log:
        cb.locator = ticker.LogLocator(base=10.0, numticks=nbins + 2)
        cb.formatter = ticker.LogFormatterSciNotation()
    else:
        cb.locator = ticker.MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
        cb.formatter = ticker.ScalarFormatter(useMathText=True)
    cb.update_ticks()
    return cb
