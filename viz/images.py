"""Data as pictures: a grid of digit images, a matrix as an image, and PCA scatter plots.

Lesson 4 (digits) shows its data before any network: sample 8x8 digits with their labels,
one batch and its one-hot targets as images, hidden activations as a matrix, and the
data (or the first layer's weight rows) projected on their first two principal
components. Each function computes first (``pca`` returns the numbers) and draws after.

    pca(X)          X - mean = U S V^T (SVD); scores = U S, components = rows of V^T,
                    explained variance ratio = S^2 / sum S^2
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from . import style
from ._figures import as_float_array, lecture_figure, new_axes, place_legend

__all__ = ["plot_images", "plot_matrix", "pca", "PCA", "plot_pca"]

#: More panels than this is a poster, not a figure: slice the images first.
MAX_IMAGES = 200


def _image_shape(width: int, shape: Optional[Tuple[int, int]], where: str) -> Tuple[int, int]:
    """(height, width) of one image whose pixels are a row of ``width`` numbers."""
    if shape is not None:
        if len(shape) != 2 or shape[0] * shape[1] != width:
            raise ValueError(f"{where}: shape={shape} does not hold {width} pixels; pass (height, width) with height*width = {width}")
        return int(shape[0]), int(shape[1])
    side = math.isqrt(width)
    if side * side != width:
        raise ValueError(f"{where}: rows of {width} pixels are not square images; pass shape=(height, width)")
    return side, side


@lecture_figure
def plot_images(
    images: Any,
    labels: Optional[Sequence[Any]] = None,
    *,
    predictions: Optional[Sequence[Any]] = None,
    shape: Optional[Tuple[int, int]] = None,
    ncols: int = 10,
    cmap: str = "gray_r",
    figsize: Optional[Tuple[float, float]] = None,
) -> Any:
    """A grid of images (digits), titled with their labels; returns the Figure.

    ``images``: (N, H, W), or (N, H*W) rows of pixels (square unless ``shape`` says).
    ``labels`` titles each panel; with ``predictions`` a wrong prediction reads ``"7 → 1"``
    (true label → predicted), in dark red and with a red frame (two cues, not colour
    alone); a right one shows its label alone. All panels share one grey scale (the
    data's range), so the same shade is the same pixel value everywhere.
    """
    where = "plot_images"
    arr = as_float_array(images, "images", where)
    if arr.ndim == 2:
        arr = arr.reshape((arr.shape[0],) + _image_shape(arr.shape[1], shape, where))
    elif arr.ndim != 3:
        raise ValueError(f"{where}: images must be (N, H, W) or (N, pixels), got shape {arr.shape}")
    n = arr.shape[0]
    if not 1 <= n <= MAX_IMAGES:
        raise ValueError(f"{where}: got {n} images; pass between 1 and {MAX_IMAGES} (e.g. images[:20])")
    for name, seq in (("labels", labels), ("predictions", predictions)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{where}: {len(seq)} {name} for {n} images; pass one per image")
    if predictions is not None and labels is None:
        raise ValueError(f"{where}: predictions need labels to compare with; pass labels=...")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"{where}: ncols must be a positive int, got {ncols!r}")
    import matplotlib.pyplot as plt

    cols = min(ncols, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=figsize or (1.3 * cols, 1.6 * rows + 0.3), squeeze=False,
                             layout="constrained")
    lo, hi = float(arr.min()), float(arr.max())
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if k >= n:
            ax.set_axis_off()
            continue
        ax.imshow(arr[k], cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        if labels is not None:
            text, color = f"{labels[k]}", style.BLACK
            if predictions is not None and predictions[k] != labels[k]:
                text, color = f"{labels[k]} → {predictions[k]}", style.TEXT_RED
                for spine in ax.spines.values():  # the second cue: a frame
                    spine.set_visible(True)
                    spine.set_color(style.TEXT_RED)
                    spine.set_linewidth(2.5)
            ax.set_title(text, fontsize=14, color=color, pad=3)
    return fig


@lecture_figure
def plot_matrix(
    matrix: Any,
    *,
    ax: Any = None,
    title: Optional[str] = None,
    xlabel: str = "column",
    ylabel: str = "row",
    cmap: Optional[str] = None,
    centered: bool = False,
    colorbar: bool = True,
) -> Any:
    """A 2-D array as an image (a batch of inputs, its one-hot targets, hidden activations);
    returns the Axes.

    ``centered=True`` puts 0 in the middle of a diverging colormap (weights, gradients);
    otherwise the colours span the data's range. A Tensor is drawn by its data.
    """
    where = "plot_matrix"
    m = as_float_array(matrix, "matrix", where)
    if m.ndim == 1:
        m = m[None, :]
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"{where}: matrix must be a non-empty 2-D array, got shape {m.shape}")
    fig, ax = new_axes(ax)
    if centered:
        limit = float(np.abs(m).max()) or 1.0
        image = ax.imshow(m, cmap=cmap or "RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    else:
        image = ax.imshow(m, cmap=cmap or "viridis", aspect="auto", interpolation="nearest")
    ax.set_title(title if title is not None else f"{m.shape[0]} x {m.shape[1]}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if colorbar:
        fig.colorbar(image, ax=ax)
    return ax


class PCA(NamedTuple):
    """Principal components of the rows of X (see the module docstring)."""

    scores: np.ndarray  # (N, n): each row's coordinates on the components
    components: np.ndarray  # (n, D): unit vectors, orthogonal, by decreasing variance
    explained: np.ndarray  # (n,): fraction of the total variance each one carries
    mean: np.ndarray  # (D,): what was subtracted first


def pca(X: Any, n: int = 2) -> PCA:
    """The first ``n`` principal components of the rows of ``X`` (N, D), by SVD.

    Signs are fixed so that each component's largest entry (in absolute value) is
    positive: the same data gives the same picture on every machine.
    """
    where = "pca"
    X = as_float_array(X, "X", where, ndim=2)
    if not isinstance(n, int) or not 1 <= n <= min(X.shape):
        raise ValueError(f"{where}: n must be an int from 1 to min(N, D) = {min(X.shape)}, got {n!r}")
    mean = X.mean(axis=0)
    U, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
    signs = np.sign(Vt[np.arange(len(Vt)), np.abs(Vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    U, Vt = U * signs, Vt * signs[:, None]
    total = float((S**2).sum())
    explained = (S**2 / total) if total > 0 else np.zeros_like(S)
    return PCA(U[:, :n] * S[:n], Vt[:n], explained[:n], mean)


@lecture_figure
def plot_pca(
    X: Any,
    labels: Optional[Sequence[Any]] = None,
    *,
    ax: Any = None,
    cmap: Optional[str] = None,
    title: Optional[str] = None,
    s: float = 30.0,
    legend_title: str = "label",
) -> Any:
    """The rows of ``X`` on their first two principal components, one look per class of
    ``labels`` (a legend entry per class, under ``legend_title``, beside the points);
    returns the Axes. Axis labels give each component's share of the variance. Rows can
    be samples (the digits) or a layer's weight rows (neurons).

    Classes take the palette's series (``viz.style.series``: five colours, ten markers),
    so each of up to ten classes has its own marker as well as a colour; more classes
    cycle through them. ``cmap`` colours the classes from a colormap instead (the
    markers still differ)."""
    where = "plot_pca"
    result = pca(X, 2)
    if labels is not None and len(labels) != len(result.scores):
        raise ValueError(f"{where}: {len(labels)} labels for {len(result.scores)} rows; pass one per row")
    import matplotlib

    fig, ax = new_axes(ax)
    pc1, pc2 = result.scores[:, 0], result.scores[:, 1]
    if labels is None:
        ax.scatter(pc1, pc2, s=s, color=style.BLUE, edgecolors="k", linewidths=0.4)
    else:
        classes = list(dict.fromkeys(np.asarray(labels).tolist()))  # first-seen order
        classes.sort(key=lambda c: (str(type(c)), c))
        colors = None if cmap is None else matplotlib.colormaps[cmap]
        lab = np.asarray(labels)
        for k, c in enumerate(classes):
            mask = lab == c
            look = style.series(k)
            color = look["color"] if colors is None else colors(k / max(len(classes) - 1, 1))
            ax.scatter(pc1[mask], pc2[mask], s=s, marker=look["marker"], color=color, edgecolors="white" if
                       color == style.BLACK else "k", linewidths=0.4, alpha=0.85, label=str(c))
        place_legend(ax, title=legend_title, markerscale=1.4, outside=True)
    ax.set_xlabel(f"PC1 ({100 * result.explained[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * result.explained[1]:.1f}% of variance)")
    ax.set_title(title if title is not None else f"{len(pc1)} rows of {result.mean.size} numbers:\nthe first two principal components")
    return ax
