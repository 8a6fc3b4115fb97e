"""Loss landscapes: the loss as a function of two numbers, computed by the engines.

A network's loss L(theta) lives in as many dimensions as it has parameters. A picture
needs two, so we look at a plane through parameter space and evaluate the loss on a
grid in it:

    loss_surface     two chosen scalar weights p1, p2; everything else fixed:
                     Z[i, j] = L(theta with p1 = xs[j], p2 = ys[i])
    random_plane     Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets":
                     Z[i, j] = L(theta + a_j d1 + b_i d2), d1, d2 random Gaussian
                     directions, each neuron's row rescaled to the norm of its weights
                     ("filter normalization"); the trained model sits at a = b = 0
    interpolate      the 1-D path L((1 - t) theta_a + t theta_b) between two models
    pca_directions   the plane that best fits a training trajectory: the top principal
                     directions of the parameter snapshots (Li et al., section 7)

Z[i, j] uses matplotlib's layout (rows are y), so ``ax.contour(s.xs, s.ys, s.Z)`` draws
it as is. Every grid point is one full loss evaluation with ``no_grad()`` (no graph is
recorded), through ``Tensor`` for Tensor models and through ``Value`` for scalar models,
sample by sample, as ``nn.evaluate`` does (with a progress bar on a terminal, as
``nn.fit``). The model is put back exactly as it was afterwards, also after an error.

Speed. Every point of a plane is a linear combination of fixed states,
theta = sum_k c_k S_k (theta0 + a d1 + b d2, or (1 - t) theta_a + t theta_b), and a
``Linear`` layer is linear in its parameters (weight and bias together):

    x (sum_k c_k W_k)^T + sum_k c_k b_k  =  sum_k c_k (x W_k^T + b_k)

For an ``nn.Sequential`` of nn's layers the input x of the first layer that moves is
the same at every grid point, so that layer's outputs for the K states are computed
once and each grid point only mixes them (a K-term weighted sum instead of a matrix
product), and every layer before it is computed once in all. ``fast=False`` turns this
off; the tests check that both ways give the same surface. Any other model (scalar
MLPs, custom modules) goes through the plain loop: set the weights, call the model.

Drawing is separate: ``plot_contour``, ``plot_surface3d``, ``plot_trajectory`` (and
``plot_interpolation``) take the arrays above, an ``ax=None``, and return the Axes. A
training run goes on a surface in one call: ``loss_surface(..., paths=history)`` makes
the grid cover the run, and ``plot_contour(surface, path=history)`` (or
``plot_trajectory(history, surface=surface)``) draws it on the contours.

Axes are named as a lecture names them (``names="people"``): the weight matrices of the
model are W1, W2, ... in order and its biases b1, b2, ...; one number of a matrix is
``W1[0, 1]``, and a matrix that holds one number is just ``W1`` (lesson 5's 1-1-1
network). ``names="keys"`` gives the state-dict names ("0.weight[0, 1]") instead.

>>> import numpy as np, nn
>>> from viz.landscape import loss_surface
>>> X, y = np.array([[1.0], [2.0]]), np.array([0.5, -0.2])
>>> model = nn.MLP(1, [1, 1], bias=False, seed=0)      # exactly two weights: W1, W2
>>> s = loss_surface(model, nn.mse, (X, y), n=5, progress=False)
>>> s.Z.shape, s.names, s.keys
((5, 5), ('W1', 'W2'), ('0.weight[0, 0]', '2.weight[0, 0]'))
>>> bool(s.Z[2, 2] == s.center_loss)                   # the middle of the grid is the model
True
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from autograd_lite import Tensor, Value, gc_paused, no_grad
from nn.checks import integer, real
from nn.init import Seed, as_generator
from nn.layers import Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from nn.train import History, forward_batch, loss_number  # nn.fit's forward pass and loss check

from . import style
from ._figures import as_float_array, lecture_figure, model_engine, new_axes, place_legend, round_colorbar

__all__ = [
    "Surface",
    "Line",
    "PCADirections",
    "loss_surface",
    "random_directions",
    "filter_normalize",
    "random_plane",
    "interpolate",
    "pca_directions",
    "trajectory",
    "snapshot_losses",
    "plot_contour",
    "plot_surface3d",
    "plot_trajectory",
    "plot_interpolation",
]

State = Dict[str, np.ndarray]
# A parameter reference: "0.weight[0, 1]", ("0.weight", (0, 1)), a Value of the model, ...
ParamRef = Union[str, Tuple[Any, Any], Value]
Index = Tuple[int, ...]
NORMALIZATIONS = ("filter", "layer", None)


# ====================================================================== results


@dataclass
class Surface:
    """The loss on a grid: ``Z[i, j]`` at ``(xs[j], ys[i])``, shape ``(len(ys), len(xs))``.

    ``center`` is where the model itself sits on the two axes (its two parameters'
    values, or (0, 0) on a plane) and ``center_loss`` its own loss there, the number
    ``nn.evaluate`` gives. ``names`` label the axes (people's names, W1 and W2, unless
    asked for keys). From ``loss_surface``, ``params`` holds the two parameters as
    (state-dict key, index) and ``keys`` their state-dict names; from ``random_plane``,
    ``directions`` holds d1, d2 (state dicts) and ``origin`` the state at (0, 0).
    """

    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    center: Tuple[float, float]
    center_loss: float
    names: Tuple[str, str]
    params: Optional[Tuple[Tuple[str, Index], Tuple[str, Index]]] = None
    directions: Optional[Tuple[State, State]] = None
    origin: Optional[State] = None

    @property
    def keys(self) -> Optional[Tuple[str, str]]:
        """The two parameters' state-dict names ("0.weight[0, 0]"), for a surface of loss_surface."""
        if self.params is None:
            return None
        return (_ref_name(*self.params[0]), _ref_name(*self.params[1]))

    def loss_at(self, x: Any, y: Any) -> np.ndarray:
        """The surface at points ``(x, y)`` by bilinear interpolation (nan outside the grid)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        return _bilinear(self.xs, self.ys, self.Z, x, y)


@dataclass
class Line:
    """``loss[k]`` = L((1 - t[k]) theta_a + t[k] theta_b): model a at t = 0, b at t = 1."""

    t: np.ndarray
    loss: np.ndarray


@dataclass
class PCADirections:
    """The top principal directions of a training path (Li et al. 2018, section 7).

    ``directions``: n state dicts, orthonormal as flat vectors. ``explained_variance_ratio``
    (n,): the share of the path's variance along each. ``coords`` (k, n): each snapshot
    projected on them, relative to ``origin`` (the last snapshot, the trained model, which
    sits at 0). ``steps`` (k,): the optimizer step of each snapshot.
    """

    directions: Tuple[State, ...]
    explained_variance_ratio: np.ndarray
    coords: np.ndarray
    steps: np.ndarray
    origin: State


# ====================================================================== surfaces


def loss_surface(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    data: Tuple[Any, Any],
    params: Optional[Tuple[ParamRef, ParamRef]] = None,
    *,
    span: Optional[Union[float, Tuple[float, float]]] = None,
    grid: Optional[Tuple[Any, Any]] = None,
    n: int = 41,
    paths: Any = None,
    names: Union[str, Tuple[str, str]] = "people",
    progress: Optional[bool] = None,
    fast: bool = True,
) -> Surface:
    """The loss over two scalar parameters, all others fixed: Z[i, j] = L(p1 = xs[j], p2 = ys[i]).

    Args:
        model: an nn model (scalar ``MLP`` or a Tensor model); left exactly as it was.
        loss_fn: ``loss_fn(model outputs, y)`` -> a scalar node, as for ``nn.fit``.
        data: ``(X, y)``, the whole set the loss is measured on (e.g. the test set).
        params: two parameters, each a name as ``named_parameters()`` prints it
            (``"0.weight[0, 1]"``; a bare key such as ``"0.weight"`` if it holds one
            number), a pair ``(key, index)``, or the parameter itself (a ``Value`` of a
            scalar model; ``(tensor, index)`` for a Tensor model). Required, unless the
            model holds exactly two numbers (lesson 5's ``MLP(1, [1, 1], bias=False)``:
            W1 and W2), which are then the two; the error lists the choices.
        span: the grid reaches ``+-span`` around each parameter's value (a pair for
            two spans), in ``n`` points per axis (the middle one is the model, for odd n).
            By default: ``+-1``, or, with ``paths``, the box around the paths and the
            model with a margin of 15% on every side (every point of every path is on it).
        grid: ``(xs, ys)``, the values to try (increasing), instead of span and n;
            lesson 5: ``(np.arange(-2, 2, 0.05),) * 2``.
        paths: training runs the surface must hold: an ``nn.History`` with snapshots
            (``fit(..., snapshot_every=...)``), a (k, 2) array of the two parameters'
            values, or a list of them.
        names: the axis names: "people" (W1, W2, W1[0, 1], b2; see the module
            docstring), "keys" (the state-dict names), or a pair of your own ("v1", "v2").
        progress: a tqdm bar over the grid points; None shows it on a terminal (as fit).
        fast: allow the shortcut for nn.Sequential models (module docstring); False
            always sets the weights and calls the model.
    """
    where = "loss_surface"
    engine, X, y = _check_inputs(model, loss_fn, data, where)
    theta0 = _float_state(model)
    shapes = {k: v.shape for k, v in theta0.items()}
    if params is None:
        params = _only_two_numbers(shapes, where)
    if not isinstance(params, (tuple, list)) or len(params) != 2:
        raise TypeError(f"{where}: params is a pair of parameters, e.g. ('0.weight[0, 0]', '2.weight[0, 0]'); got {params!r}")
    refs = tuple(_resolve_param(p, model, shapes, where) for p in params)
    if refs[0] == refs[1]:
        raise ValueError(f"{where}: both params are {_ref_name(*refs[0])}; choose two different parameters")
    labels = _axis_names(refs, shapes, names, where)
    center = tuple(float(theta0[key][index]) for key, index in refs)
    runs = [] if paths is None else _paths_on(paths, refs, where)
    if grid is None:
        n = integer(n, "n", where, minimum=2)
        if span is None and runs:
            # the box of the runs and the model, 15% wider on every side
            pts = np.concatenate(runs + [np.array([center])])
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            pad = 0.15 * np.maximum(hi - lo, 1e-3 * np.maximum(np.abs(pts).max(axis=0), 1.0))
            xs, ys = (np.linspace(lo[k] - pad[k], hi[k] + pad[k], n) for k in range(2))
        else:
            sx, sy = _spans(1.0 if span is None else span, where)
            t = _symmetric(n)
            xs, ys = center[0] + sx * t, center[1] + sy * t
    else:
        xs, ys = _grid(grid, where)
    # theta = S0 + x e1 + y e2, where S0 is theta0 with the two chosen numbers set to 0:
    # the grid value lands in the model exactly, and every other number stays theta0's.
    base = {k: v.copy() for k, v in theta0.items()}
    units = []
    for key, index in refs:
        base[key][index] = 0.0
        unit = {k: np.zeros_like(v) for k, v in theta0.items()}
        unit[key][index] = 1.0
        units.append(unit)
    Z = _grid_losses(model, engine, loss_fn, X, y, [base, units[0], units[1]], _plane_coeffs(xs, ys), progress, fast, where)
    return Surface(
        xs=xs,
        ys=ys,
        Z=Z.reshape(len(ys), len(xs)),
        center=(center[0], center[1]),
        center_loss=_model_loss(model, engine, loss_fn, X, y, where),
        names=labels,
        params=(refs[0], refs[1]),
    )


def _only_two_numbers(shapes: Mapping[str, Tuple[int, ...]], where: str) -> Tuple[str, str]:
    """The model's two numbers, when it has exactly two; else the error that lists the choices."""
    sizes = {k: int(np.prod(s, dtype=np.int64)) for k, s in shapes.items()}
    if sum(sizes.values()) == 2:
        first, second = [_ref_name(k, idx) for k, s in shapes.items() for idx in np.ndindex(*s)]
        return first, second
    people = _people_names(shapes)
    listing = ", ".join(f"{people[k]} = {k} {tuple(s)}" for k, s in shapes.items())
    raise ValueError(
        f"{where}: which two parameters? this model has {sum(sizes.values())} numbers ({listing}); pass "
        f"params=(a, b) with one number each, e.g. params=('{next(iter(shapes))}[{', '.join('0' * len(next(iter(shapes.values()))))}]', ...)"
    )


def _people_names(shapes: Mapping[str, Tuple[int, ...]]) -> Dict[str, str]:
    """{"0.weight": "W1", "0.bias": "b1", "2.weight": "W2", ...}: matrices numbered in model order."""
    prefixes = list(dict.fromkeys(k.rsplit(".", 1)[0] for k in shapes if "." in k))
    out = {}
    for k in shapes:
        if "." not in k:
            out[k] = k
            continue
        prefix, kind = k.rsplit(".", 1)
        n = prefixes.index(prefix) + 1
        out[k] = {"weight": f"W{n}", "bias": f"b{n}"}.get(kind, k)
    return out


def _axis_names(refs: Sequence[Tuple[str, Index]], shapes: Mapping[str, Tuple[int, ...]], names: Any,
                where: str) -> Tuple[str, str]:
    if isinstance(names, (tuple, list)):
        if len(names) != 2 or not all(isinstance(n, str) for n in names):
            raise TypeError(f"{where}: names is 'people', 'keys' or a pair of two strings, got {names!r}")
        return (names[0], names[1])
    if names == "keys":
        return (_ref_name(*refs[0]), _ref_name(*refs[1]))
    if names != "people":
        raise ValueError(f"{where}: names must be 'people' (W1, W2), 'keys' (0.weight[0, 0]) or a pair, got {names!r}")
    people = _people_names(shapes)
    out = []
    for key, index in refs:
        one = int(np.prod(shapes[key], dtype=np.int64)) == 1
        out.append(people[key] if one else f"{people[key]}[{', '.join(map(str, index))}]")
    return (out[0], out[1])


def _paths_on(paths: Any, refs: Sequence[Tuple[str, Index]], where: str) -> List[np.ndarray]:
    """Runs (Histories or (k, 2) arrays, one or a list) as (k, 2) arrays of the two parameters."""
    items = paths if isinstance(paths, (list, tuple)) and paths and (
        isinstance(paths[0], History) or np.ndim(paths[0]) == 2) else [paths]
    out = []
    for r, p in enumerate(items):
        if isinstance(p, History):
            out.append(trajectory(p, [_ref_name(*ref) for ref in refs]))
        else:
            a = as_float_array(p, f"paths[{r}]", where, ndim=2)
            if a.shape[1] != 2 or len(a) == 0:
                raise ValueError(f"{where}: paths[{r}] must have shape (k, 2), one row per point; got {a.shape}")
            out.append(a)
    return out


def random_directions(
    model: Any,
    *,
    normalization: Optional[str] = "filter",
    ignore_bias: bool = True,
    seed: Seed = 0,
) -> Tuple[State, State]:
    """Two random directions d1, d2 in parameter space, as state dicts (Li et al. 2018).

    Every entry is drawn from N(0, 1) (all of d1, then all of d2, in state-dict order),
    then rescaled by ``filter_normalize`` against the model's weights.
    """
    where = "random_directions"
    _check_normalization(normalization, where)
    theta0 = _float_state(model, where)
    rng = as_generator(seed, f"{where}(seed=...)")
    raw = [{k: rng.standard_normal(v.shape) for k, v in theta0.items()} for _ in range(2)]
    d1, d2 = (filter_normalize(d, theta0, normalization=normalization, ignore_bias=ignore_bias) for d in raw)
    return d1, d2


def filter_normalize(
    direction: Mapping[str, Any],
    weights: Mapping[str, Any],
    *,
    normalization: Optional[str] = "filter",
    ignore_bias: bool = True,
) -> State:
    """``direction`` rescaled to the scale of ``weights``, key by key (a new dict).

    "filter": each row of a weight matrix (one neuron: row i of a Linear weight
    (nout, nin), everything feeding it; one output filter for higher ranks) gets the
    norm of the same row of the weights, d_i <- d_i ||w_i|| / ||d_i||. "layer": each
    parameter as a whole, d <- d ||w|| / ||d||. None: unchanged. A weight row of zeros
    gives a direction row of zeros.

    Biases and other parameters with fewer than 2 dimensions are set to zero when
    ``ignore_bias`` (Li et al.'s default), else rescaled as filters of one number each
    (|d_j| = |w_j|, keeping d_j's sign; Li et al.'s code copies w_j there instead).
    """
    where = "filter_normalize"
    _check_normalization(normalization, where)
    d = _state_like(direction, "direction", where)
    w = _state_like(weights, "weights", where)
    if list(d) != list(w) or any(d[k].shape != w[k].shape for k in d):
        raise ValueError(
            f"{where}: direction and weights must have the same keys and shapes; got "
            f"{_shapes(d)} and {_shapes(w)}"
        )
    out: State = {}
    for key, dk in d.items():
        wk = w[key]
        if dk.ndim < 2 and ignore_bias:
            out[key] = np.zeros_like(dk)
        elif normalization is None:
            out[key] = dk.copy()
        elif normalization == "layer":
            out[key] = _rescale(dk.ravel(), wk.ravel()).reshape(dk.shape)  # the parameter as one vector
        elif dk.ndim < 2:
            # a filter of one number each: the direction's sign, the weight's size
            out[key] = _rescale(dk.reshape(-1, 1), wk.reshape(-1, 1)).reshape(dk.shape)
        else:
            rows = dk.reshape(len(dk), -1)  # one row per output neuron (or filter)
            out[key] = _rescale(rows, wk.reshape(len(wk), -1)).reshape(dk.shape)
    return out


def _rescale(d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each row of ``d`` (all of d for 1-D) times ||w row|| / ||d row||; zero rows stay zero."""
    if d.ndim < 2:
        dn, wn = np.linalg.norm(d), np.linalg.norm(w)
        return d * (wn / dn) if dn > 0.0 else np.zeros_like(d)
    dn = np.linalg.norm(d, axis=1, keepdims=True)
    wn = np.linalg.norm(w, axis=1, keepdims=True)
    # a direction row of zeros cannot be rescaled: it stays zero (Gaussian rows never are)
    scale = np.divide(wn, dn, out=np.zeros_like(dn), where=dn > 0.0)
    return d * scale


def random_plane(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    data: Tuple[Any, Any],
    *,
    normalization: Optional[str] = "filter",
    ignore_bias: bool = True,
    seed: Seed = 0,
    span: Union[float, Tuple[float, float]] = 1.0,
    n: int = 41,
    grid: Optional[Tuple[Any, Any]] = None,
    directions: Any = None,
    progress: Optional[bool] = None,
    fast: bool = True,
) -> Surface:
    """The loss on a plane through the model: Z[i, j] = L(theta + a_j d1 + b_i d2).

    Li et al. 2018: d1, d2 are random Gaussian directions, filter-normalized (each
    neuron's row of d has the norm of the same row of the weights), so that a step of 1
    changes every neuron by about as much as its own size, and surfaces of different
    networks compare; biases are left out (``ignore_bias``). The model is at a = b = 0.

    Args:
        normalization, ignore_bias, seed: how d1, d2 are made (``random_directions``).
        span, n: a and b run over ``+-span`` in ``n`` points (a pair: two spans).
        grid: ``(a values, b values)`` instead, increasing.
        directions: ``(d1, d2)`` state dicts, or a ``PCADirections`` (its first two), used
            as given: no drawing and no normalization (``filter_normalize`` them first if
            you want that). With PCA directions, ``trajectory`` draws the path on this plane.
        progress, fast: as ``loss_surface``.
    """
    where = "random_plane"
    engine, X, y = _check_inputs(model, loss_fn, data, where)
    theta0 = _float_state(model)
    names = ("direction 1", "direction 2")
    if directions is None:
        d1, d2 = random_directions(model, normalization=normalization, ignore_bias=ignore_bias, seed=seed)
    else:
        d1, d2, names = _given_directions(directions, theta0, where)
    if grid is None:
        sa, sb = _spans(span, where)
        t = _symmetric(integer(n, "n", where, minimum=2))
        xs, ys = sa * t, sb * t
    else:
        xs, ys = _grid(grid, where)
    Z = _grid_losses(model, engine, loss_fn, X, y, [theta0, d1, d2], _plane_coeffs(xs, ys), progress, fast, where)
    return Surface(
        xs=xs,
        ys=ys,
        Z=Z.reshape(len(ys), len(xs)),
        center=(0.0, 0.0),
        center_loss=_model_loss(model, engine, loss_fn, X, y, where),
        names=names,
        directions=(d1, d2),
        origin=theta0,
    )


def interpolate(
    model_a: Any,
    model_b: Any,
    loss_fn: Callable[[Any, Any], Any],
    data: Tuple[Any, Any],
    *,
    n: int = 51,
    extend: float = 0.0,
    progress: Optional[bool] = None,
    fast: bool = True,
) -> Line:
    """The loss on the straight line between two models: L((1 - t) theta_a + t theta_b).

    t runs over [-extend, 1 + extend] in ``n`` points (Goodfellow et al. 2015, and the
    first picture of Li et al.). The two models need the same state-dict keys and shapes
    (engines may differ); ``model_a`` does the computing and is restored afterwards.
    """
    where = "interpolate"
    engine, X, y = _check_inputs(model_a, loss_fn, data, where)
    theta_a = _float_state(model_a)
    theta_b = _float_state(model_b, f"{where} (model_b)")
    if _shapes(theta_a) != _shapes(theta_b):
        raise ValueError(
            f"{where}: the two models have different parameters: {_shapes(theta_a)} and {_shapes(theta_b)}; "
            f"interpolate between two models of the same shape"
        )
    extend = real(extend, "extend", where)
    if extend < 0.0:
        raise ValueError(f"{where}: extend must be >= 0, got {extend!r}")
    t = np.linspace(-extend, 1.0 + extend, integer(n, "n", where, minimum=2))
    coeffs = np.stack([1.0 - t, t], axis=1)  # theta = (1 - t) theta_a + t theta_b: exact at t = 0, 1
    return Line(t=t, loss=_grid_losses(model_a, engine, loss_fn, X, y, [theta_a, theta_b], coeffs, progress, fast, where))


# ====================================================================== trajectories


def pca_directions(history: History, n: int = 2) -> PCADirections:
    """The ``n`` directions along which training moved most (Li et al. 2018, section 7).

    With the snapshots theta_0 .. theta_k of ``fit(..., snapshot_every=...)`` as rows of
    M, the directions are the top right singular vectors of M - mean(M) (PCA; the last
    snapshot theta_k could be subtracted first, as Li et al. do, without changing them),
    ``explained_variance_ratio`` is s_i^2 / sum_j s_j^2, and the coordinates of the path
    are (M - theta_k) projected on them, so the trained model sits at the origin.
    Each direction's sign is chosen so that its largest entry is positive (repeatable).
    """
    where = "pca_directions"
    if not isinstance(history, History):
        raise TypeError(f"{where}: expected an nn.History (from fit(..., snapshot_every=...)), got {type(history).__name__}")
    steps, M = history.snapshot_arrays()
    if len(M) < 2:
        raise ValueError(
            f"{where}: the history holds {len(M)} parameter snapshot(s); it needs several: "
            f"train with fit(..., snapshot_every=1) (or every few steps)"
        )
    n = integer(n, "n", where, minimum=1)
    if n > min(len(M) - 1, M.shape[1]):
        raise ValueError(
            f"{where}: n={n} directions, but {len(M)} snapshots of {M.shape[1]} numbers span at most "
            f"{min(len(M) - 1, M.shape[1])}; ask for fewer or record more snapshots (smaller snapshot_every)"
        )
    if not np.isfinite(M).all():
        raise ValueError(f"{where}: the snapshots hold nan or inf (training diverged); use a run that did not")
    _, s, Vt = np.linalg.svd(M - M.mean(axis=0), full_matrices=False)
    total = float(np.sum(s**2))
    if total == 0.0:
        raise ValueError(f"{where}: every snapshot is the same (the parameters never moved); there is no direction to find")
    components = Vt[:n].copy()
    for row in components:  # SVD signs are arbitrary: fix them so runs repeat
        if row[np.argmax(np.abs(row))] < 0.0:
            row *= -1.0
    final = M[-1]
    return PCADirections(
        directions=tuple(history.unflatten(c) for c in components),
        explained_variance_ratio=s[:n] ** 2 / total,
        coords=(M - final) @ components.T,  # (k, P) @ (P, n)
        steps=steps,
        origin=history.unflatten(final),
    )


def trajectory(history: History, on: Any) -> np.ndarray:
    """A training path as a (k, 2) array of plot coordinates, one row per snapshot.

    ``on`` says which two coordinates:
      * a pair of parameters (as ``loss_surface``'s params), or a ``Surface`` from
        ``loss_surface``: the two parameters' values at each snapshot;
      * a ``Surface`` from ``random_plane``: each snapshot minus the plane's origin,
        written in the directions d1, d2 (least squares: exact when the path lies in the
        plane, the nearest point of the plane otherwise);
      * a ``PCADirections``: its coordinates (first two).
    """
    where = "trajectory"
    if not isinstance(history, History):
        raise TypeError(f"{where}: expected an nn.History (from fit(..., snapshot_every=...)), got {type(history).__name__}")
    if isinstance(on, PCADirections):
        if on.coords.shape[1] < 2:
            raise ValueError(f"{where}: these PCADirections have {on.coords.shape[1]} direction; ask pca_directions for n=2")
        return on.coords[:, :2].copy()
    _, M = history.snapshot_arrays()
    if len(M) == 0:
        raise ValueError(f"{where}: the history has no parameter snapshots; train with fit(..., snapshot_every=1)")
    shapes = dict(zip(history.param_names, history.param_shapes))
    if isinstance(on, Surface) and on.directions is not None:
        assert on.origin is not None  # random_plane sets both
        basis = np.stack([_flat(d, shapes, "the surface's directions", where) for d in on.directions], axis=1)  # (P, 2)
        offsets = M - _flat(on.origin, shapes, "the surface's origin", where)  # (k, P)
        coords, *_ = np.linalg.lstsq(basis, offsets.T, rcond=None)  # basis @ coords = offsets^T
        return coords.T
    if isinstance(on, Surface):
        assert on.params is not None
        refs = on.params
    elif isinstance(on, (tuple, list)) and len(on) == 2:
        refs = (_resolve_param(on[0], None, shapes, where), _resolve_param(on[1], None, shapes, where))
    else:
        raise TypeError(
            f"{where}: on is a pair of parameter names, a Surface or a PCADirections; got {type(on).__name__}"
        )
    starts = {}  # where each key's numbers begin in a snapshot vector
    start = 0
    for name, shape in zip(history.param_names, history.param_shapes):
        starts[name] = start
        start += int(np.prod(shape, dtype=np.int64))
    columns = []
    for key, index in refs:
        key, index = _resolve_param((key, index), None, shapes, where)  # the history must have it too
        position = int(np.ravel_multi_index(index, shapes[key])) if index else 0
        columns.append(M[:, starts[key] + position])
    return np.stack(columns, axis=1)


def snapshot_losses(model: Any, loss_fn: Callable[[Any, Any], Any], data: Tuple[Any, Any], history: History) -> np.ndarray:
    """The loss at every snapshot of ``history`` (k,), e.g. the heights of a path in 3-D.

    Each snapshot is loaded into ``model`` in turn (which is restored afterwards).
    """
    where = "snapshot_losses"
    engine, X, y = _check_inputs(model, loss_fn, data, where)
    if not isinstance(history, History):
        raise TypeError(f"{where}: expected an nn.History, got {type(history).__name__}")
    _, M = history.snapshot_arrays()
    saved = model.state_dict()
    losses = np.empty(len(M))
    try:
        for k, vector in enumerate(M):
            model.load_state_dict(history.unflatten(vector))
            losses[k] = _model_loss(model, engine, loss_fn, X, y, where)
    finally:
        model.load_state_dict(saved)
    return losses


# ====================================================================== drawing


@lecture_figure
def plot_contour(
    surface: Surface,
    *,
    ax: Any = None,
    levels: Union[int, Sequence[float]] = 30,
    log: bool = False,
    cmap: str = style.SEQUENTIAL,
    colorbar: bool = True,
    filled: bool = False,
    center: bool = True,
    path: Any = None,
    labels: Optional[Sequence[str]] = None,
    title: Optional[str] = None,
    legend: bool = True,
) -> Any:
    """Contour lines of the surface (filled with ``filled=True``); returns the Axes.

    ``log=True`` spaces the levels geometrically from the smallest positive loss to the
    largest, which shows a valley's floor. The model's own point is a black cross,
    "the model" in the legend (``center=False`` leaves it out). Non-finite losses are
    left blank. The colourbar's ticks are round numbers (decades with ``log``).

    ``path``: training runs drawn on top in the same call (``plot_trajectory``): an
    ``nn.History`` with snapshots, a (k, 2) array, or a list of them; ``labels`` names
    each run in the legend. The legend, which also explains the start and end markers,
    sits beside the contours, never on them (``legend=False``: none, e.g. for one legend
    shared by several panels). ``title`` defaults to "loss over (W1, W2)".
    """
    where = "plot_contour"
    _check_surface(surface, where)
    fig, ax = new_axes(ax)
    Z = np.ma.masked_invalid(surface.Z)
    kwargs = _level_kwargs(Z, levels, log, where)
    draw = ax.contourf if filled else ax.contour
    cs = draw(surface.xs, surface.ys, Z, cmap=cmap, **kwargs)
    if colorbar:
        round_colorbar(fig.colorbar(cs, ax=ax, label="loss (log scale)" if log else "loss"), log=log and "norm" in kwargs)
    if center:
        ax.plot([surface.center[0]], [surface.center[1]], linestyle="none", marker="X", color=style.BLACK,
                markeredgecolor="white", markersize=11, gid="center", label="the model", zorder=4)
    ax.set_xlim(surface.xs[0], surface.xs[-1])
    ax.set_ylim(surface.ys[0], surface.ys[-1])
    ax.set_xlabel(surface.names[0])
    ax.set_ylabel(surface.names[1])
    ax.set_title(title if title is not None else f"loss over ({surface.names[0]}, {surface.names[1]})")
    if path is not None:  # its legend holds the model's cross too
        plot_trajectory(path, ax=ax, surface=surface, labels=labels, legend=legend)
    elif center and legend:
        place_legend(ax)
    return ax


@lecture_figure
def plot_surface3d(surface: Surface, *, ax: Any = None, cmap: str = style.SEQUENTIAL, log: bool = False, alpha: float = 0.8) -> Any:
    """The surface in 3-D (height = loss, or log10 loss with ``log=True``); returns the Axes.

    ``ax`` must be a 3-D Axes (``fig.add_subplot(projection="3d")``), or None for a new one.
    The surface is drawn at every grid point (up to 150 per side; matplotlib's default
    of 50 skips rows and makes a narrow valley jagged) and at zorder 1 with the Axes'
    ``computed_zorder`` off, so that paths added by ``plot_trajectory`` stay on top.
    """
    where = "plot_surface3d"
    _check_surface(surface, where)
    if ax is not None and getattr(ax, "name", "") != "3d":
        raise ValueError(
            f"{where}: needs a 3-D Axes, got a {getattr(ax, 'name', type(ax).__name__)!r} one; "
            f"make it with fig.add_subplot(projection='3d'), or pass ax=None"
        )
    fig, ax = new_axes(ax, projection="3d")
    Z = _heights(surface.Z, log, where)
    gx, gy = np.meshgrid(surface.xs, surface.ys)  # gx[i, j] = xs[j], gy[i, j] = ys[i]: Z's layout
    ax.computed_zorder = False  # matplotlib would sort a path behind the surface it lies on
    ax.plot_surface(gx, gy, Z, cmap=cmap, alpha=alpha, linewidth=0, antialiased=True, gid="surface",
                    rcount=min(len(surface.ys), 150), ccount=min(len(surface.xs), 150), zorder=1)
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(MaxNLocator(nbins=4))  # few ticks: lecture-size labels do not collide
    ax.set_xlabel(surface.names[0], labelpad=10)
    ax.set_ylabel(surface.names[1], labelpad=10)
    ax.set_zlabel("log10 loss" if log else "loss", labelpad=10)
    return ax


def _runs_from(paths: Any, surface: Optional[Surface], on: Any, where: str) -> List[np.ndarray]:
    """(k, 2) arrays from Histories (through ``trajectory``) and arrays, one or a list."""
    if isinstance(paths, History) or (isinstance(paths, (list, tuple)) and paths and isinstance(paths[0], History)):
        histories = [paths] if isinstance(paths, History) else list(paths)
        out = []
        for h in histories:
            if not isinstance(h, History):
                raise TypeError(f"{where}: paths mixes Histories and {type(h).__name__}; pass one kind")
            target = on if on is not None else surface
            if target is None:
                if sum(int(np.prod(s, dtype=np.int64)) for s in h.param_shapes) != 2:
                    raise ValueError(
                        f"{where}: a History of {len(h.param_names)} parameters needs the plane to draw it on: "
                        f"pass surface=... (from loss_surface or random_plane) or on=(param, param)"
                    )
                target = [_ref_name(k, idx) for k, s in zip(h.param_names, h.param_shapes) for idx in np.ndindex(*s)]
            out.append(trajectory(h, target))
        return out
    return _as_paths(paths, where)


@lecture_figure
def plot_trajectory(
    paths: Any,
    *,
    ax: Any = None,
    surface: Optional[Surface] = None,
    z: Any = None,
    log: bool = False,
    labels: Optional[Sequence[str]] = None,
    colors: Optional[Sequence[Any]] = None,
    on: Any = None,
    start_marker: str = "o",
    end_marker: str = "*",
    legend: bool = True,
) -> Any:
    """Training paths drawn over a landscape; returns the Axes.

    ``paths``: an ``nn.History`` with snapshots (its path on ``surface``'s plane, through
    ``trajectory``; ``on=`` names the plane instead, and a model of two numbers needs
    neither), a (k, 2) array (``trajectory(...)``), or a list of them (several starts).
    One path is vermillion (the lectures draw descent in red); several take the
    palette's series (``viz.style.series``: colour and line style). Each path is a line,
    with ``start_marker`` at its first point and ``end_marker`` at its last; the legend
    explains both markers (and names the runs with ``labels``), beside the contours.

    On a 2-D Axes (``ax=None``: a new one, with ``surface``'s contours under the paths
    when given) the path is drawn as is. On a 3-D Axes (from ``plot_surface3d``) each
    point needs a height: ``z`` (one array, or one per path; e.g. ``snapshot_losses``),
    else the surface's value there by bilinear interpolation (nan, not drawn, outside the
    grid). The path is drawn above the surface (``computed_zorder`` off, a higher zorder)
    with its shadow, dashed, on the floor of the box. ``log=True`` draws log10 of the
    heights, to match ``plot_surface3d(log=True)``.
    """
    where = "plot_trajectory"
    if surface is not None:
        _check_surface(surface, where)
    runs = _runs_from(paths, surface, on, where)
    if labels is not None and (isinstance(labels, str) or len(labels) != len(runs)):
        raise ValueError(f"{where}: labels needs one string per path ({len(runs)}), got {labels!r}")
    if colors is not None and len(colors) != len(runs):
        raise ValueError(f"{where}: colors needs one colour per path ({len(runs)}), got {len(colors)}")
    if ax is None:
        if surface is not None:
            ax = plot_contour(surface)
        else:
            _, ax = new_axes(None)
    three_d = getattr(ax, "name", "") == "3d"
    heights: List[Optional[np.ndarray]] = [None] * len(runs)
    if three_d:
        heights = _path_heights(runs, z, surface, log, where)
    elif z is not None:
        raise ValueError(f"{where}: z (heights) only makes sense on a 3-D Axes; got a 2-D one")
    if three_d:
        ax.computed_zorder = False  # drawn in zorder, so the path stays above the surface
        floor = ax.get_zlim()[0]
    for r, (path, h) in enumerate(zip(runs, heights)):
        label = labels[r] if labels is not None else None
        look = style.series(r) if len(runs) > 1 else {"color": style.VERMILLION, "linestyle": "-"}
        color = colors[r] if colors is not None else look["color"]
        coords = (path[:, 0], path[:, 1]) if h is None else (path[:, 0], path[:, 1], h)
        first = tuple(c[:1] for c in coords)
        last = tuple(c[-1:] for c in coords)
        if three_d:
            ax.plot(path[:, 0], path[:, 1], np.full(len(path), floor), linestyle="--", color=style.GREY, linewidth=1.2,
                    gid="shadow", zorder=2)
        ax.plot(*coords, color=color, linestyle=look["linestyle"], linewidth=2.2, label=label, gid="trajectory", zorder=10)
        ax.plot(*first, linestyle="none", marker=start_marker, color="white", markeredgecolor=color, markeredgewidth=2,
                markersize=9, gid="start", zorder=11)
        ax.plot(*last, linestyle="none", marker=end_marker, color=color, markeredgecolor="k", markersize=15,
                gid="end", zorder=11)
    if legend:
        from matplotlib.lines import Line2D

        handles, names = ax.get_legend_handles_labels()
        marks = [Line2D([], [], linestyle="none", marker=start_marker, color="white", markeredgecolor=style.BLACK,
                        markeredgewidth=2, markersize=9),
                 Line2D([], [], linestyle="none", marker=end_marker, color=style.GREY, markeredgecolor="k", markersize=15)]
        words = ["start", "end"]
        if three_d:
            marks.append(Line2D([], [], linestyle="--", color=style.GREY, linewidth=1.2))
            words.append("path's shadow on the floor")
        if three_d:
            ax.legend(handles + marks, names + words, loc="upper left", bbox_to_anchor=(0.0, 1.0))
        else:
            place_legend(ax, handles + marks, names + words)
    return ax


@lecture_figure
def plot_interpolation(line: Line, *, ax: Any = None, log: bool = False, names: Tuple[str, str] = ("a", "b")) -> Any:
    """The loss along ``interpolate``'s line, the two models marked at t = 0 and 1; returns the Axes.

    ``names``: what the two models are called in the legend and on the axis, e.g.
    ("initial", "trained").
    """
    where = "plot_interpolation"
    if not isinstance(line, Line):
        raise TypeError(f"{where}: expected a Line (from interpolate), got {type(line).__name__}")
    _, ax = new_axes(ax)
    ax.plot(line.t, line.loss, color=style.BLUE, linestyle="-", gid="line", label="loss along the line")
    for t0, name, marker, color in ((0.0, names[0], "o", style.BLACK), (1.0, names[1], "*", style.VERMILLION)):
        ax.axvline(t0, color=style.GREY, linestyle=":", linewidth=1.2, gid=f"model_{'ab'[int(t0)]}")
        at = np.interp(t0, line.t, line.loss) if line.t[0] <= t0 <= line.t[-1] else None
        if at is not None:
            ax.plot([t0], [at], linestyle="none", marker=marker, color=color, markeredgecolor="k", markersize=12,
                    label=f"model {name} (t = {t0:g})", gid=f"mark_{'ab'[int(t0)]}", zorder=3)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(f"t:  (1 - t) {names[0]} + t {names[1]}")
    ax.set_ylabel("loss")
    place_legend(ax)
    return ax


# ====================================================================== the evaluation loop


def _grid_losses(
    model: Any,
    engine: str,
    loss_fn: Callable[[Any, Any], Any],
    X: np.ndarray,
    y: np.ndarray,
    basis: List[State],
    coeffs: np.ndarray,
    progress: Optional[bool],
    fast: bool,
    where: str,
) -> np.ndarray:
    """The loss at theta_g = sum_k coeffs[g, k] basis[k] for every row g of ``coeffs``.

    Only the keys that change across the grid are written at each point. The model is
    restored (``load_state_dict`` of a copy taken first) on every way out.
    """
    if not isinstance(fast, bool):
        raise TypeError(f"{where}: fast must be True or False, got {fast!r}")
    saved = model.state_dict()
    # A key stays put when the first state carries it alone with weight 1 everywhere.
    steady_first = bool(np.all(coeffs[:, 0] == 1.0))
    moving = [k for k in basis[0] if not (steady_first and all(not S[k].any() for S in basis[1:]))]
    bar = _progress_bar(len(coeffs), progress, where)
    Z = np.empty(len(coeffs))
    try:
        with no_grad(), gc_paused():  # no graph is recorded, so no cycles: pausing gc is safe
            model.load_state_dict({k: _combine(basis, coeffs[0], k) for k in basis[0]})  # checks every key once
            shortcut = _Shortcut.build(model, engine, X, basis, moving) if fast else None
            write = _writer(model, shortcut.needed(moving) if shortcut is not None else moving)
            for g, c in enumerate(coeffs):
                write(c, basis)
                out = shortcut.forward(c) if shortcut is not None else forward_batch(model, engine, X)
                Z[g] = loss_number(loss_fn(out, y), engine, where)
                if bar is not None:
                    bar.update(1)
    finally:
        model.load_state_dict(saved)  # exactly as it was, also after an error
        if bar is not None:
            bar.close()
    return Z


def _writer(model: Any, keys: List[str]) -> Callable[[np.ndarray, List[State]], None]:
    """A function that puts sum_k c_k basis[k][key] into the model's parameters, for ``keys``.

    What ``load_state_dict`` does after its checks, without repeating them at every grid
    point (the keys and shapes were checked once, when the first point was loaded).
    """
    targets = [(name, params) for name, _, params in model.groups() if name in keys]

    def write(c: np.ndarray, basis: List[State]) -> None:
        for name, params in targets:
            value = _combine(basis, c, name)
            if isinstance(params, Tensor):
                params.data[...] = value  # in place, as load_state_dict
            else:
                for p, x in zip(params, value.ravel().tolist()):
                    p.data = x

    return write


def _combine(basis: List[State], c: np.ndarray, key: str) -> np.ndarray:
    """sum_k c[k] basis[k][key], left to right (so 1 * S0 + 0 * S1 is exactly S0)."""
    total = basis[0][key] * c[0]
    for S, ck in zip(basis[1:], c[1:]):
        total = total + S[key] * ck
    return total


class _Shortcut:
    """The first moving layer's output as a mix of K precomputed outputs (module docstring).

    For an ``nn.Sequential`` of nn's own layers: the layers before the first one whose
    parameters move are computed once (their output h is the same at every point); that
    layer, a ``Linear``, has its outputs for the K basis states computed once too,
    P_k = h W_k^T + b_k, and a grid point's output is sum_k c_k P_k. The remaining layers
    run at each point with the weights the loop has loaded, as the model would run them.
    """

    _LAYERS = (Linear, ReLU, Tanh, Sigmoid, LeakyReLU, Identity, Softmax)

    def __init__(self, modules: List[Any], rest_from: int, mixes: Tensor, shape: Tuple[int, int]) -> None:
        self.rest = modules[rest_from:]  # the layers run at every grid point
        self.rest_from = rest_from
        self.mixes = mixes  # (K, N * nout): the moving Linear's output for each basis state
        self.shape = shape  # (N, nout): one mix's shape

    @classmethod
    def build(cls, model: Any, engine: str, X: np.ndarray, basis: List[State], moving: List[str]) -> Optional["_Shortcut"]:
        if engine != "tensor" or not isinstance(model, Sequential) or type(model).forward is not Sequential.forward:
            return None
        modules = list(model.modules)
        # exact types only: a subclass may compute something else in its forward
        if not moving or any(type(m) not in cls._LAYERS for m in modules):
            return None
        if any(not isinstance(p, Tensor) or p.data.dtype != np.float64 for p in model.parameters()):
            return None  # the mix is computed in float64; other dtypes take the plain loop
        first = min(int(k.split(".", 1)[0]) for k in moving)  # Sequential's keys start with the index
        h = Tensor.from_numpy(X)
        for m in modules[:first]:
            h = m(h)  # no parameter of these moves: the same at every grid point, so once
        layer = modules[first]
        assert isinstance(layer, Linear)  # the only one of these layers with parameters
        if h.ndim != 2:
            return None  # inputs with more axes take the plain loop
        outputs = []
        for S in basis:
            out = h @ Tensor.from_numpy(S[f"{first}.weight"]).T  # (N, nin) @ (nin, nout), as Linear does
            if layer.bias is not None:
                out = out + Tensor.from_numpy(S[f"{first}.bias"])
            outputs.append(out.data.reshape(-1))
        return cls(modules, first + 1, Tensor(np.stack(outputs)), (h.shape[0], layer.nout))

    def needed(self, moving: List[str]) -> List[str]:
        """The moving keys the remaining layers read (the mixed layer's own are built in)."""
        return [k for k in moving if int(k.split(".", 1)[0]) >= self.rest_from]

    def forward(self, c: np.ndarray) -> Tensor:
        # sum_k c_k P_k as one product: (K,) @ (K, N * nout) -> (N * nout,)
        h = (Tensor.from_numpy(c) @ self.mixes).reshape(self.shape)
        for m in self.rest:
            h = m(h)
        return h


def _model_loss(model: Any, engine: str, loss_fn: Callable[[Any, Any], Any], X: Any, y: np.ndarray, where: str) -> float:
    with no_grad(), gc_paused():
        return loss_number(loss_fn(forward_batch(model, engine, X), y), engine, where)


def _progress_bar(total: int, progress: Optional[bool], where: str) -> Any:
    """A tqdm bar on stdout, shown on a terminal by default (the rule of nn.fit)."""
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"{where}: progress must be True, False or None (automatic), got {progress!r}")
    show = progress if progress is not None else _isatty(sys.stdout)
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, file=sys.stdout, desc=where, unit="pt", dynamic_ncols=True)


def _isatty(file: Any) -> bool:
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):
        return False


# ====================================================================== checks and small helpers


def _check_inputs(model: Any, loss_fn: Any, data: Any, where: str) -> Tuple[str, Any, np.ndarray]:
    """(engine, X ready for the forward pass, y) after checking all three."""
    engine = model_engine(model, where)
    if not callable(loss_fn):
        raise TypeError(f"{where}: loss_fn must be a function loss_fn(pred, y) -> scalar node (e.g. nn.mse), got {loss_fn!r}")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(
            f"{where}: data is a pair (X, y) of arrays, the whole set the loss is measured on; got "
            f"{type(data).__name__}{f' of length {len(data)}' if hasattr(data, '__len__') else ''}"
        )
    X = as_float_array(data[0], "X", where)
    if X.ndim == 0 or (engine == "value" and X.ndim != 2):
        raise ValueError(f"{where}: X must be (N, nin), one row per sample; got shape {X.shape}")
    y = np.asarray(data[1].data if isinstance(data[1], Tensor) else data[1])
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{where}: y must be numbers, got an array of dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{where}: y holds nan or inf; clean or drop those entries first")
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"{where}: X and y need one row per sample; got X of shape {X.shape} and y of shape {y.shape}")
    if len(X) == 0:
        raise ValueError(f"{where}: data is empty (X of shape {X.shape})")
    return engine, X, y


def _float_state(model: Any, where: str = "") -> State:
    """The model's state dict, float64 (the grid is computed in float64)."""
    if not callable(getattr(model, "state_dict", None)):
        raise TypeError(f"{where or 'landscape'}: expected an nn model with state_dict(), got {type(model).__name__}")
    return {k: np.asarray(v, dtype=np.float64).copy() for k, v in model.state_dict().items()}


def _state_like(d: Any, name: str, where: str) -> State:
    if not isinstance(d, Mapping):
        raise TypeError(f"{where}: {name} must be a dict name -> array (a state dict), got {type(d).__name__}")
    return {str(k): as_float_array(v, f"{name}[{k!r}]", where) for k, v in d.items()}


def _shapes(state: Mapping[str, np.ndarray]) -> Dict[str, Tuple[int, ...]]:
    return {k: tuple(np.shape(v)) for k, v in state.items()}


def _shapes_text(shapes: Mapping[str, Tuple[int, ...]]) -> str:
    return ", ".join(f"{k} {tuple(s)}" for k, s in shapes.items())


def _check_normalization(normalization: Any, where: str) -> None:
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"{where}: normalization must be 'filter', 'layer' or None, got {normalization!r}")


def _given_directions(directions: Any, theta0: State, where: str) -> Tuple[State, State, Tuple[str, str]]:
    names = ("direction 1", "direction 2")
    if isinstance(directions, PCADirections):
        if len(directions.directions) < 2:
            raise ValueError(f"{where}: these PCADirections have one direction; ask pca_directions for n=2")
        r = directions.explained_variance_ratio
        names = (f"PC1 ({100 * r[0]:.1f}%)", f"PC2 ({100 * r[1]:.1f}%)")
        directions = directions.directions[:2]
    if not isinstance(directions, (tuple, list)) or len(directions) != 2:
        raise TypeError(f"{where}: directions is a pair (d1, d2) of state dicts or a PCADirections, got {type(directions).__name__}")
    d1, d2 = (_state_like(d, f"directions[{i}]", where) for i, d in enumerate(directions))
    for d in (d1, d2):
        if _shapes(d) != _shapes(theta0):
            raise ValueError(
                f"{where}: a direction must have the model's keys and shapes {_shapes(theta0)}; got {_shapes(d)}"
            )
    return d1, d2, names


_NAME = re.compile(r"^\s*([^\[\]]+?)\s*\[\s*(-?\d+(?:\s*,\s*-?\d+)*)?\s*,?\s*\]\s*$")


def _resolve_param(ref: Any, model: Any, shapes: Mapping[str, Tuple[int, ...]], where: str) -> Tuple[str, Index]:
    """A parameter reference as (state-dict key, full index), checked against ``shapes``."""
    index: Any = None
    if isinstance(ref, Value):
        named = dict((id(p), name) for name, p in model.named_parameters()) if model is not None else {}
        if id(ref) not in named:
            raise ValueError(f"{where}: this Value ({ref!r}) is not a parameter of the model")
        ref = named[id(ref)]
    if isinstance(ref, (tuple, list)) and len(ref) == 2:
        key, index = ref
        if isinstance(key, Tensor):
            found = [name for name, p in model.named_parameters() if p is key] if model is not None else []
            if not found:
                raise ValueError(f"{where}: this Tensor (shape {key.shape}) is not a parameter of the model")
            key = found[0]
        index = (index,) if isinstance(index, (int, np.integer)) else index
    elif isinstance(ref, str):
        m = _NAME.match(ref)
        if m:
            key, inner = m.group(1), m.group(2)
            index = tuple(int(s) for s in inner.split(",")) if inner else ()
        else:
            key = ref.strip()
    else:
        raise TypeError(
            f"{where}: a parameter is a name such as '0.weight[0, 1]', a pair ('0.weight', (0, 1)), or a Value "
            f"of the model; got {type(ref).__name__} {ref!r}"
        )
    if not isinstance(key, str) or key not in shapes:
        raise ValueError(
            f"{where}: no parameter named {key!r}; the parameters are {_shapes_text(shapes)} "
            f"(write one number as '0.weight[0, 1]')"
        )
    shape = tuple(shapes[key])
    if index is None:
        if int(np.prod(shape, dtype=np.int64)) != 1:
            raise ValueError(
                f"{where}: {key!r} holds {int(np.prod(shape, dtype=np.int64))} numbers (shape {shape}); "
                f"pick one with an index, e.g. '{key}[{', '.join('0' * len(shape))}]'"
            )
        return key, (0,) * len(shape)
    if not isinstance(index, (tuple, list)) or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in index):
        raise TypeError(f"{where}: the index of {key!r} must be a tuple of ints, got {index!r}")
    if len(index) != len(shape) or any(not -d <= i < d for i, d in zip(index, shape)):
        valid = " x ".join(f"0..{d - 1}" for d in shape) or "no index (it is one number)"
        raise ValueError(f"{where}: index {tuple(index)} does not fit {key!r} of shape {shape}; valid: {valid}")
    return key, tuple(int(i) % d for i, d in zip(index, shape))


def _ref_name(key: str, index: Index) -> str:
    """The name ``named_parameters()`` gives one number: "0.weight[0, 1]"."""
    return f"{key}[{', '.join(map(str, index))}]" if index else key


def _flat(state: Mapping[str, np.ndarray], shapes: Mapping[str, Tuple[int, ...]], name: str, where: str) -> np.ndarray:
    """A state dict as one vector in the history's order (its snapshots' layout)."""
    if _shapes(state) != {k: tuple(s) for k, s in shapes.items()} or list(state) != list(shapes):
        raise ValueError(
            f"{where}: {name} does not match the history's parameters: {_shapes(state)} vs {dict(shapes)}; "
            f"use a surface of the same model"
        )
    return np.concatenate([np.asarray(state[k], dtype=np.float64).ravel() for k in shapes])


def _spans(span: Any, where: str) -> Tuple[float, float]:
    pair = span if isinstance(span, (tuple, list)) else (span, span)
    if len(pair) != 2:
        raise ValueError(f"{where}: span is a number or a pair (x span, y span), got {span!r}")
    sx, sy = (real(s, "span", where) for s in pair)
    if sx <= 0.0 or sy <= 0.0:
        raise ValueError(f"{where}: span must be > 0, got {span!r}")
    return sx, sy


def _symmetric(n: int) -> np.ndarray:
    """n points from -1 to 1, exactly symmetric, with an exact 0 in the middle for odd n."""
    half = (n - 1) / 2
    return (np.arange(n) - half) / half


def _grid(grid: Any, where: str) -> Tuple[np.ndarray, np.ndarray]:
    if not isinstance(grid, (tuple, list)) or len(grid) != 2:
        raise TypeError(f"{where}: grid is a pair (xs, ys) of increasing values, got {type(grid).__name__}")
    out = []
    for name, g in zip(("xs", "ys"), grid):
        a = as_float_array(g, f"grid {name}", where, ndim=1)
        if len(a) < 2 or not np.all(np.diff(a) > 0):
            raise ValueError(f"{where}: grid {name} must hold at least 2 increasing values, got {a[:5]}...")
        out.append(a.copy())
    return out[0], out[1]


def _plane_coeffs(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(len(ys) * len(xs), 3): rows (1, xs[j], ys[i]) in Z's row-major order (g = i * nx + j)."""
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([np.ones(gx.size), gx.ravel(), gy.ravel()], axis=1)


def _bilinear(xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z between grid points, weighted by distance along each axis; nan outside the grid."""
    j = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    i = np.clip(np.searchsorted(ys, y, side="right") - 1, 0, len(ys) - 2)
    tx = (x - xs[j]) / (xs[j + 1] - xs[j])
    ty = (y - ys[i]) / (ys[i + 1] - ys[i])
    out = (Z[i, j] * (1 - tx) * (1 - ty) + Z[i, j + 1] * tx * (1 - ty)
           + Z[i + 1, j] * (1 - tx) * ty + Z[i + 1, j + 1] * tx * ty)
    inside = (x >= xs[0]) & (x <= xs[-1]) & (y >= ys[0]) & (y <= ys[-1])
    return np.where(inside, out, np.nan)


def _check_surface(surface: Any, where: str) -> None:
    if not isinstance(surface, Surface):
        raise TypeError(f"{where}: expected a Surface (from loss_surface or random_plane), got {type(surface).__name__}")


def _level_kwargs(Z: np.ma.MaskedArray, levels: Any, log: bool, where: str) -> Dict[str, Any]:
    """contour's ``levels`` (and a log norm for ``log``)."""
    if not isinstance(levels, (int, np.integer)) or isinstance(levels, bool):
        return {"levels": np.asarray(levels, dtype=np.float64)}
    if levels < 2:
        raise ValueError(f"{where}: levels must be an int >= 2 or a list of values, got {levels!r}")
    if not log:
        return {"levels": int(levels)}
    positive = Z[Z > 0]
    if positive.count() == 0:
        raise ValueError(f"{where}: log=True needs positive losses; this surface has none")
    lo, hi = float(positive.min()), float(positive.max())
    if hi <= lo:
        hi = lo * 10.0
    from matplotlib.colors import LogNorm

    return {"levels": np.geomspace(lo, hi, int(levels)), "norm": LogNorm(lo, hi)}


def _heights(Z: np.ndarray, log: bool, where: str) -> np.ndarray:
    if not log:
        return Z
    if np.any(Z[np.isfinite(Z)] <= 0):
        raise ValueError(f"{where}: log=True needs positive losses; this surface has values <= 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(Z)


def _as_paths(paths: Any, where: str) -> List[np.ndarray]:
    if isinstance(paths, np.ndarray) or (isinstance(paths, (list, tuple)) and paths and np.ndim(paths[0]) == 1):
        paths = [paths]
    if not isinstance(paths, (list, tuple)) or not paths:
        raise TypeError(f"{where}: paths is a (k, 2) array or a non-empty list of them, got {type(paths).__name__}")
    out = []
    for r, p in enumerate(paths):
        a = as_float_array(p, f"paths[{r}]", where, ndim=2)
        if a.shape[1] != 2 or len(a) == 0:
            raise ValueError(f"{where}: paths[{r}] must have shape (k, 2), one row per point; got {a.shape}")
        out.append(a)
    return out


def _path_heights(runs: List[np.ndarray], z: Any, surface: Optional[Surface], log: bool, where: str) -> List[Optional[np.ndarray]]:
    if z is None:
        if surface is None:
            raise ValueError(f"{where}: on a 3-D Axes each point needs a height: pass z= or surface=")
        zs = [surface.loss_at(p[:, 0], p[:, 1]) for p in runs]
    else:
        given = [z] if len(runs) == 1 and np.ndim(z) == 1 else list(z)
        if len(given) != len(runs):
            raise ValueError(f"{where}: z needs one array of heights per path ({len(runs)}), got {len(given)}")
        zs = []
        for r, (p, h) in enumerate(zip(runs, given)):
            h = np.asarray(h, dtype=np.float64)
            if h.shape != (len(p),):
                raise ValueError(f"{where}: z[{r}] has shape {h.shape}, but path {r} has {len(p)} points")
            zs.append(h)
    return [_heights(h, log, where) for h in zs]
