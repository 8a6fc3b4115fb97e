"""Classifiers on the plane: decision boundaries and what each hidden unit computes.

A classifier of 2-D points is a function over the plane, so it can be drawn: evaluate
the model on a grid of points covering the data, colour each cell by the output, and
draw the level set where the decision flips. Everything is computed through the model
itself (``viz._figures.predict``: a Tensor model on the whole grid in one batch, a
scalar ``nn.MLP`` sample by sample, both under ``no_grad``).

* ``decision_grid(model, X)``: the grid and the model's scores on it, as arrays.
* ``plot_decision_boundary(model, X, y, mode=...)``: three readings of the output,

      "sign"   raw score s, colours centred on 0, boundary s = 0 (micrograd's moons demo:
               labels -1/+1, hinge loss)
      "prob"   p = sigmoid(s) (or the output itself, with ``probability=True``), colours
               centred on 0.5, boundary p = 0.5
      "class"  several outputs: region of argmax_k s_k

  with the training points filled, test points hollow, accuracy in the title.
* ``plot_neuron_maps(model, X, layer=0)``: one panel per unit of a hidden layer, its
  activation over the plane. First-layer units are ridges along a line w . x + b = 0;
  deeper units combine them into curved regions: how a network bends its boundary.

Grid sizes: a scalar model evaluates n * n samples one by one (about 0.2 ms each for a
2-16-16-1 MLP), so the default n is 90 there (8,100 points, about 1.5 s) and 200 on the
Tensor track (40,000 points in one batch). The picture is the grid as an image,
interpolated bilinearly between grid points (for classes: between the regions'
colours, never through a third class), so either grid looks smooth at 1080p; the
boundary itself is a contour line, interpolated too.

Colours (``viz.style``): a binary output goes from light vermillion (class -1 or 0)
through white (the threshold) to light blue (class 1); the points are full vermillion
circles and blue squares with black edges, so each class is told by shape as well as
colour and stands out on either side of the boundary. Several classes take the
palette's colours, light in the regions and full on the points, with a marker each.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from nn.checks import finite_real
from nn.metrics import accuracy

from . import style
from ._figures import as_float_array, lecture_figure, model_engine, new_axes, place_legend, predict, round_colorbar
from .inside import BOUNDED_RANGE, _kind, _nin, layer_activations

__all__ = ["decision_grid", "plot_decision_boundary", "plot_neuron_maps", "DEFAULT_GRID"]

#: Default grid side n (n * n points) per engine: the scalar track runs one sample at a time.
DEFAULT_GRID = {"tensor": 200, "value": 90}


# ---------------------------------------------------------------------- the grid


def _grid_size(n: Any, model: Any, where: str) -> int:
    if n is None:
        return DEFAULT_GRID[model_engine(model, where)]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"{where}: n (points per side of the grid) must be an int >= 2, got {n!r}")
    return int(n)


def _points_2d(X: Any, name: str, where: str) -> np.ndarray:
    X = as_float_array(X, name, where, ndim=2)
    if X.shape[1] != 2 or len(X) == 0:
        raise ValueError(
            f"{where}: {name} must be points of the plane, shape (N, 2) with N >= 1, got {X.shape}; "
            "a boundary can be drawn only for 2 input features (project the data first, e.g. with PCA)"
        )
    return X


def _check_two_inputs(model: Any, where: str) -> None:
    nin = _nin(model, where)
    if nin is not None and nin != 2:
        raise ValueError(f"{where}: the model reads {nin} features; a map over the plane needs a model with 2 inputs")


def _axis(lo: float, hi: float, n: int, margin: float) -> np.ndarray:
    if hi - lo + 2 * margin <= 0.0:  # one distinct coordinate and no margin: widen by 1 so the grid has area
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo - margin, hi + margin, n)


def _plane(X: np.ndarray, n: int, margin: Any, where: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xx, yy, points)``: an n x n grid over X's bounding box widened by ``margin``.

    xx[i, j] = xs[j], yy[i, j] = ys[i] (``np.meshgrid``'s "xy" layout, what contour and
    pcolormesh expect); ``points`` (n * n, 2) lists the grid row by row.
    """
    margin = finite_real(margin, f"{where}(margin=...)")
    if margin < 0:
        raise ValueError(f"{where}: margin must be >= 0 (data units around the points), got {margin!r}")
    xs = _axis(float(X[:, 0].min()), float(X[:, 0].max()), n, margin)
    ys = _axis(float(X[:, 1].min()), float(X[:, 1].max()), n, margin)
    xx, yy = np.meshgrid(xs, ys)  # (n, n) each
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def decision_grid(model: Any, X: Any, *, n: Optional[int] = None, margin: float = 0.5) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xx, yy, scores)``: the model's outputs on an n x n grid over X's box +- margin.

    scores[i, j] = model([xx[i, j], yy[i, j]]): shape (n, n) for one output, (n, n, K)
    for K outputs. n defaults to 200 for Tensor models and 60 for scalar ones.
    """
    where = "decision_grid"
    X = _points_2d(X, "X", where)
    _check_two_inputs(model, where)
    n = _grid_size(n, model, where)
    xx, yy, points = _plane(X, n, margin, where)
    scores = predict(model, points, where)  # (n * n, K)
    return xx, yy, scores.reshape(n, n) if scores.shape[1] == 1 else scores.reshape(n, n, -1)


# ---------------------------------------------------------------------- decision boundary


def _sigmoid(s: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-s)) = (1 + tanh(s / 2)) / 2: the same number, and no overflow for large |s|
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def _labels(y: Any, n: int, K: int, name: str, where: str) -> np.ndarray:
    """Labels as numbers: binary (K == 1) in {-1, 1} or {0, 1}; else class indices 0..K-1."""
    y = as_float_array(y, name, where)
    if K > 1 and y.ndim == 2 and y.shape == (n, K):  # one-hot rows: their classes
        y = y.argmax(axis=1).astype(np.float64)
    y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.shape != (n,):
        raise ValueError(f"{where}: {name} must hold one label per point, shape ({n},), got {y.shape}")
    if K == 1:
        if not (np.isin(y, (-1.0, 1.0)).all() or np.isin(y, (0.0, 1.0)).all()):
            raise ValueError(f"{where}: binary labels must all be in {{-1, 1}} or all in {{0, 1}}, got {np.unique(y)[:5]}")
    elif not (np.isin(y, np.arange(K)).all()):
        raise ValueError(f"{where}: class labels must be integers 0..{K - 1} (the model has {K} outputs), got {np.unique(y)[:5]}")
    return y


def _class_colors(cmap: Any, K: int) -> List[Any]:
    import matplotlib

    if cmap is None:  # the palette's colours, then viridis for more classes than it has
        if K <= len(style.COLORS):
            return list(style.COLORS[:K])
        cmap = style.SEQUENTIAL
    cm = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    # A qualitative map (tab10, Set1: few colours) gives its colours in order; a continuous
    # one (viridis, RdBu: 256 entries) is sampled evenly, so neighbours stay distinct.
    if getattr(cm, "N", 256) <= 20 and K <= cm.N:
        return [cm(k) for k in range(K)]
    return [cm(t) for t in np.linspace(0.0, 1.0, K)]


def _light(color: Any, amount: float = 0.6) -> Tuple[float, float, float]:
    """``color`` mixed with white (``amount`` of white): a region's background."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _extent(xx: np.ndarray, yy: np.ndarray) -> Tuple[float, float, float, float]:
    """imshow's extent for a grid of cell centres: half a step beyond the first and last."""
    dx = (xx[0, -1] - xx[0, 0]) / max(xx.shape[1] - 1, 1)
    dy = (yy[-1, 0] - yy[0, 0]) / max(yy.shape[0] - 1, 1)
    return (xx[0, 0] - dx / 2, xx[0, -1] + dx / 2, yy[0, 0] - dy / 2, yy[-1, 0] + dy / 2)


@lecture_figure
def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    *,
    test: Optional[Tuple[Any, Any]] = None,
    mode: str = "prob",
    threshold: Optional[float] = None,
    probability: bool = False,
    ax: Any = None,
    n: Optional[int] = None,
    margin: float = 0.5,
    cmap: Optional[str] = None,
    colorbar: bool = True,
) -> Any:
    """The model's decision over the plane, the boundary, and the points. Returns the Axes.

    mode "sign": the raw score s, a diverging colormap centred on ``threshold`` (0), the
    contour s = threshold. mode "prob": p = sigmoid(s), or the output itself when the
    model already ends in a sigmoid (``probability=True``), centred on and contoured at
    ``threshold`` (0.5). mode "class": K > 1 outputs, regions of argmax_k s_k (no threshold).
    Binary labels are {-1, 1} or {0, 1}; class labels 0..K-1 (or one-hot rows).
    Training points are filled, ``test=(X_test, y_test)`` points hollow (same colours);
    the title gives the accuracy (``nn.accuracy`` at the same threshold) on each.
    """
    where = "plot_decision_boundary"
    if mode not in ("prob", "sign", "class"):
        raise ValueError(f"{where}: unknown mode {mode!r}; choose 'prob', 'sign' or 'class'")
    if probability and mode != "prob":
        raise ValueError(f"{where}: probability=True describes the output for mode='prob'; mode={mode!r} does not use it")
    X = _points_2d(X, "X", where)
    sets = [("train", X, y)]
    if test is not None:
        if not isinstance(test, (tuple, list)) or len(test) != 2:
            raise TypeError(f"{where}: test must be a pair (X_test, y_test), got {type(test).__name__}")
        sets.append(("test", _points_2d(test[0], "test X", where), test[1]))
    _check_two_inputs(model, where)
    scores_on = {kind: predict(model, pts, where) for kind, pts, _ in sets}  # (N, K) per set
    K = scores_on["train"].shape[1]
    if (mode == "class") != (K > 1):
        raise ValueError(
            f"{where}: mode={mode!r} does not fit a model with {K} output(s): "
            + ("use mode='class' for several outputs" if K > 1 else "use mode='prob' or 'sign' for one output")
        )
    if mode == "class" and threshold is not None:
        raise ValueError(f"{where}: mode='class' takes the argmax of the outputs; it has no threshold (got {threshold!r})")
    labelled = [(kind, pts, _labels(lab, len(pts), K, "y" if kind == "train" else "test y", where)) for kind, pts, lab in sets]
    # the grid covers train and test points alike
    xx, yy, scores = decision_grid(model, np.vstack([pts for _, pts, _ in sets]), n=n, margin=margin)

    from matplotlib.colors import BoundaryNorm, ListedColormap, TwoSlopeNorm

    fig, ax = new_axes(ax, figsize=(8.0, 6.0))

    if mode == "class":
        colors = _class_colors(cmap, K)
        regions = scores.argmax(axis=2)  # (n, n) class index per cell
        # the class index as an image, interpolated between the regions' colours (not blocky)
        mesh = ax.imshow(regions, origin="lower", extent=_extent(xx, yy), aspect="auto", interpolation="bilinear",
                         interpolation_stage="rgba", cmap=ListedColormap([_light(c) for c in colors]),
                         norm=BoundaryNorm(np.arange(K + 1) - 0.5, K))
        if K > 1 and len(np.unique(regions)) > 1:
            ax.contour(xx, yy, regions, levels=np.arange(K - 1) + 0.5, colors="k", linewidths=1.2)
        if colorbar:
            bar = fig.colorbar(mesh, ax=ax, ticks=np.arange(K), label="predicted class")
            bar.ax.set_yticklabels([str(k) for k in range(K)])
        accs = {kind: accuracy(scores_on[kind], lab) for kind, _, lab in labelled}
        classes: List[float] = [float(k) for k in range(K)]
        color_of = {float(k): colors[k] for k in range(K)}
    else:
        if mode == "sign":
            threshold = 0.0 if threshold is None else finite_real(threshold, f"{where}(threshold=...)")
            values = scores
            point_values = scores_on
            label = "score"
        else:
            threshold = 0.5 if threshold is None else finite_real(threshold, f"{where}(threshold=...)")
            if not 0.0 < threshold < 1.0:
                raise ValueError(f"{where}: a probability threshold must lie in (0, 1), got {threshold!r}")
            if probability and (scores.min() < 0.0 or scores.max() > 1.0):
                raise ValueError(
                    f"{where}: probability=True, but the model outputs values in [{scores.min():.3g}, {scores.max():.3g}], "
                    "outside [0, 1]; for scores (logits) leave probability=False (sigmoid is applied)"
                )
            values = scores if probability else _sigmoid(scores)
            point_values = {k: (v if probability else _sigmoid(v)) for k, v in scores_on.items()}
            label = "P(class 1)"
        lo, hi = (float(values.min()), float(values.max())) if mode == "sign" else (0.0, 1.0)
        if mode == "sign" or not lo < threshold < hi:
            # Scores: a range symmetric about the threshold, so the colourbar is one linear
            # scale (evenly spaced round ticks) and a colour's strength means the same
            # distance from the boundary on both sides. (Probabilities keep [0, 1].)
            half = max(abs(lo - threshold), abs(hi - threshold), 1e-12)
            lo, hi = threshold - half, threshold + half
        # TwoSlopeNorm: threshold -> the colormap's middle (white), each side its own scale;
        # the grid as an image, interpolated between grid points: smooth at any size
        mesh = ax.imshow(values, origin="lower", extent=_extent(xx, yy), aspect="auto", interpolation="bilinear",
                         cmap=cmap or style.two_class_cmap(), norm=TwoSlopeNorm(vcenter=threshold, vmin=lo, vmax=hi))
        if values.min() < threshold < values.max():  # else matplotlib warns: no level to draw
            ax.contour(xx, yy, values, levels=[threshold], colors="k", linewidths=2.0)
        if colorbar:
            round_colorbar(fig.colorbar(mesh, ax=ax, label=label))
        accs = {kind: accuracy(point_values[kind], lab, threshold=threshold) for kind, _, lab in labelled}
        cm = mesh.get_cmap()
        negative = -1.0 if any((lab == -1.0).any() for _, _, lab in labelled) else 0.0
        if negative == -1.0 and any((lab == 0.0).any() for _, _, lab in labelled):
            raise ValueError(f"{where}: the training and test labels mix {{-1, 1}} and {{0, 1}}; use one convention for both")
        classes = [negative, 1.0]
        # each class in the full colour of its own side (the background is a light version)
        color_of = {negative: cm(0.0), 1.0: cm(1.0)} if cmap else {negative: style.VERMILLION, 1.0: style.BLUE}

    marker_of = {c: style.MARKERS[k % len(style.MARKERS)] for k, c in enumerate(classes)}
    for kind, pts, lab in labelled:
        for c in classes:
            sel = lab == c
            if not sel.any():
                continue
            name = f"class {c:g}" + (" (test)" if kind == "test" else "")
            if kind == "train":
                ax.scatter(pts[sel, 0], pts[sel, 1], s=55, marker=marker_of[c], color=color_of[float(c)], edgecolors="k",
                           linewidths=0.9, label=name, zorder=3)
            else:  # hollow: white inside, the class colour on a thick edge
                ax.scatter(pts[sel, 0], pts[sel, 1], s=65, marker=marker_of[c], facecolors="white",
                           edgecolors=[color_of[float(c)]], linewidths=2.0, label=name, zorder=3)
    box = _extent(xx, yy)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(", ".join(f"{kind} accuracy {acc:.1%}" for kind, acc in accs.items()))
    place_legend(ax)  # beside the map: a legend on it would hide the boundary
    return ax


# ---------------------------------------------------------------------- neuron maps


@lecture_figure
def plot_neuron_maps(
    model: Any,
    X: Any = None,
    *,
    layer: int = 0,
    y: Any = None,
    n: Optional[int] = None,
    margin: float = 0.5,
    extent: Optional[Sequence[float]] = None,
    cmap: Optional[str] = None,
    ncols: Optional[int] = None,
) -> Any:
    """One panel per unit of activation layer ``layer``: a_j(x) over the input plane.

    a_j(x) = act(w_j . h(x) + b_j), read off ``layer_activations`` on an n x n grid (n
    defaults to 100 on the Tensor track, 60 on the scalar one). ``layer`` counts the
    model's activation layers from 0 (the first hidden layer). The plane is X's box +-
    ``margin``, or ``extent=(xmin, xmax, ymin, ymax)``; X (and its labels y, if given) is
    drawn on every panel. One colour scale for the layer (tanh [-1, 1], sigmoid [0, 1],
    else the layer's range), one colorbar. Returns the figure.
    """
    where = "plot_neuron_maps"
    model_engine(model, where)
    _check_two_inputs(model, where)
    if n is None:
        n = 100 if model_engine(model, where) == "tensor" else DEFAULT_GRID["value"]
    n = _grid_size(n, model, where)
    pts = None if X is None else _points_2d(X, "X", where)
    if extent is not None:
        box = as_float_array(extent, "extent", where, shape=(4,))
        if not (box[0] < box[1] and box[2] < box[3]):
            raise ValueError(f"{where}: extent is (xmin, xmax, ymin, ymax) with xmin < xmax and ymin < ymax, got {tuple(box)}")
        xx, yy, points = _plane(box.reshape(2, 2).T, n, 0.0, where)  # the box's two corners, no margin
    elif pts is not None:
        xx, yy, points = _plane(pts, n, margin, where)
    else:
        raise ValueError(f"{where}: give the data X (the plane is its bounding box) or extent=(xmin, xmax, ymin, ymax)")
    labels = None
    if y is not None:
        if pts is None:
            raise ValueError(f"{where}: y colours the points of X; pass X too")
        labels = as_float_array(y, "y", where).reshape(-1)
        if labels.shape != (len(pts),):
            raise ValueError(f"{where}: y must hold one label per row of X ({len(pts)}), got shape {np.shape(y)}")

    acts = layer_activations(model, points)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -len(acts) <= layer < len(acts):
        listing = ", ".join(f"{i}: {name!r}" for i, (name, _) in enumerate(acts)) or "none (a linear model)"
        raise IndexError(f"{where}: no activation layer {layer!r}; this model has {len(acts)}: {listing}")
    name, a = acts[layer]  # a: (n * n, units)
    units = a.shape[1]
    kind = _kind(name)
    vmin, vmax = BOUNDED_RANGE.get(kind, (float(a.min()), float(a.max())))
    if vmin == vmax:  # a constant layer (all units dead): still a valid colour scale
        vmin, vmax = vmin - 0.5, vmax + 0.5
    cmap = cmap or ("RdBu_r" if vmin < 0.0 < vmax else "viridis")

    import matplotlib.pyplot as plt

    if ncols is not None and (isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1):
        raise ValueError(f"{where}: ncols must be a positive int, got {ncols!r}")
    cols = int(ncols) if ncols is not None else int(np.ceil(np.sqrt(units)))  # about square by default
    rows = int(np.ceil(units / cols))
    fig, grid = plt.subplots(rows, cols, figsize=(2.6 * cols + 1.6, 2.5 * rows + 1.0), squeeze=False,
                             sharex=True, sharey=True, layout="constrained")
    panels = list(grid.ravel())
    for extra in panels[units:]:  # the grid's leftover cells: one panel per unit, no more
        fig.delaxes(extra)
    meshes = []
    for j, ax in enumerate(panels[:units]):
        meshes.append(ax.imshow(a[:, j].reshape(xx.shape), cmap=cmap, vmin=vmin, vmax=vmax, origin="lower",
                                interpolation="bilinear", aspect="auto",
                                extent=_extent(xx, yy)))
        if pts is not None:
            inside = ((pts[:, 0] >= xx[0, 0]) & (pts[:, 0] <= xx[0, -1]) & (pts[:, 1] >= yy[0, 0]) & (pts[:, 1] <= yy[-1, 0]))
            if labels is None:
                ax.scatter(pts[inside, 0], pts[inside, 1], s=8, color="white", edgecolors="k", linewidths=0.5)
            else:
                # one marker per class (circle, square, ...), white with a black edge: visible on any colour
                for k, c in enumerate(np.unique(labels)):
                    sel = inside & (labels == c)
                    ax.scatter(pts[sel, 0], pts[sel, 1], s=10, marker=style.MARKERS[k % len(style.MARKERS)],
                               color="white", edgecolors="k", linewidths=0.5)
        ax.set_title(f"unit {j + 1}")
    fig.suptitle(f"{_layer_title(name)}: each unit over the input plane")
    # one colour scale for the whole layer, so any panel's image stands for all
    round_colorbar(fig.colorbar(meshes[0], ax=panels[:units], shrink=0.8, label=f"{kind or 'activation'} output"), nbins=4)
    return fig


def _layer_title(name: str) -> str:
    """``"1 (relu)"`` -> ``"hidden layer 1 (relu)"``, counting activation layers from 1."""
    from .inside import people_layer_name

    return people_layer_name(name)
