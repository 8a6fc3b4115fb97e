"""Gradient descent on functions of two numbers: test functions, paths, pictures, animations.

The lectures' learning-rate lesson in one module::

    >>> from viz.descent import quadratic, run_descent, lrs_from_curvature
    >>> bowl = quadratic(condition=10.0)          # 0.5 (x^2 + 10 y^2), largest curvature L = 10
    >>> too_small, right, too_large = lrs_from_curvature(bowl)   # 0.1/L, 1/L, 2.1/L
    >>> run = run_descent(bowl, (-2.5, 1.5), "sgd", lr=right, steps=50)
    >>> run.path.shape, run.diverged
    ((51, 2), False)
    >>> run_descent(bowl, (-2.5, 1.5), "sgd", lr=too_large, steps=50).diverged
    True

Why ``2/L``: on a quadratic with Hessian ``H``, one SGD step is ``x <- (I - lr H) x``, so
the component along an eigenvector of curvature ``h`` is multiplied by ``1 - lr h`` at
every step. It shrinks when ``|1 - lr h| < 1``, i.e. ``lr < 2/h``; the stiffest direction
(the largest curvature ``L``) decides: ``lr < 2/L`` converges, ``lr > 2/L`` zig-zags
across the valley with growing swings. ``lr = 1/L`` kills that direction in one step.

What is here:

* Test functions (``TestFunction``: a function ``f(x, y)`` plus its minima, a plotting
  range, a suggested start and, for quadratics, ``L``): ``quadratic``, ``rosenbrock``,
  ``beale``, ``himmelblau``, and lesson 2's ``least_squares_loss(X, y)``. Each is written
  with operators only (``+ - * **``), so it runs on ``Value``s, ``Tensor``s, floats,
  numpy arrays and torch tensors alike.
* ``run_descent(f, x0, optimizer, lr=..., steps=...)``: descent with the engine's
  gradients and ``nn.optim``'s optimizers; a ``DescentResult`` with the path and losses.
  Divergence never crashes: the run stops at the first non-finite number.
* Pictures (``ax=None`` convention, never ``plt.show()``): ``plot_descent`` (contours and
  paths), ``plot_lr_panel`` (too small / right / too large, side by side),
  ``animate_descent`` and ``animate_line_fit`` (``FuncAnimation``s), ``save_gif``.
  Numbers behind them: ``evaluate_grid``, ``lrs_from_curvature``.
"""

from __future__ import annotations

import math
import numbers
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from autograd_lite import Tensor, Value, no_grad
from nn.checks import integer, real
from nn.optim import SGD, Adam, AdamW, RMSProp

from . import style
from ._figures import as_float_array, lecture_figure, new_axes, place_legend
from .landscape import Surface

__all__ = [
    "TestFunction",
    "quadratic",
    "rosenbrock",
    "beale",
    "himmelblau",
    "least_squares_loss",
    "DescentResult",
    "run_descent",
    "lrs_from_curvature",
    "evaluate_grid",
    "plot_descent",
    "plot_lr_panel",
    "animate_descent",
    "animate_line_fit",
    "save_gif",
]

Point = Tuple[float, float]
Range = Tuple[float, float]


# ---------------------------------------------------------------------- test functions


@dataclass(frozen=True)
class TestFunction:
    """A function of two numbers ``f(x, y)`` with what a picture of its descent needs.

    ``f`` must be written with operators and engine methods, so that it runs on ``Value``s
    (descent), on ``Tensor``s (descent, and contour grids evaluated in one go) and on
    floats. ``minima``: the known minimizers (drawn as crosses); ``xrange``/``yrange``: a
    sensible plotting window; ``L``: the largest curvature (largest eigenvalue of the
    Hessian) when it is the same everywhere, as for a quadratic, else None; ``start``: a
    suggested starting point; ``xlabel``/``ylabel``: axis names.

    Call it like the function: ``rosenbrock()(1.0, 1.0) == 0.0``.
    """

    # pytest collects classes named Test* in test modules that import this one; this is
    # not a test case.
    __test__ = False

    name: str
    f: Callable[[Any, Any], Any]
    minima: Tuple[Point, ...]
    xrange: Range
    yrange: Range
    L: Optional[float] = None
    start: Optional[Point] = None
    xlabel: str = "x"
    ylabel: str = "y"

    def __call__(self, x: Any, y: Any) -> Any:
        return self.f(x, y)


def quadratic(condition: float = 10.0, angle: float = 0.0) -> TestFunction:
    """A bowl ``0.5 (u^2 + condition v^2)``, with (u, v) the point (x, y) rotated by ``angle`` (radians).

    ``u = cos(a) x + sin(a) y``, ``v = cos(a) y - sin(a) x``; with ``angle=0`` it is
    ``0.5 (x^2 + condition y^2)``. The Hessian has eigenvalues 1 and ``condition`` (the
    condition number when ``condition >= 1``), so ``L = max(1, condition)`` and SGD
    converges exactly when ``lr < 2/L``. A nonzero angle tilts the valley off the axes,
    so no coordinate is the easy one. Minimum 0 at the origin.
    """
    where = "quadratic"
    condition = _positive_number(condition, "condition", where)
    angle = real(angle, "angle", where)
    c, s = math.cos(angle), math.sin(angle)

    def f(x: Any, y: Any) -> Any:
        # Without a rotation the graph stays the one of the formula a lecture writes.
        u, v = (x, y) if angle == 0.0 else (c * x + s * y, c * y - s * x)
        return 0.5 * (u**2 + condition * v**2)

    return TestFunction(
        name=f"quadratic (condition {condition:g})",
        f=f,
        minima=((0.0, 0.0),),
        xrange=(-3.0, 3.0),
        yrange=(-3.0, 3.0),
        L=max(1.0, condition),
        start=(-2.5, 1.5),
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> TestFunction:
    """Rosenbrock's banana valley ``(a - x)^2 + b (y - x^2)^2``; minimum 0 at ``(a, a^2)``.

    The valley floor is easy to reach and slow to follow. The window is ``[a-3, a+1] x
    [a^2-2, a^2+2]`` and the start ``(a-2.2, a^2)``: for the default a = 1, the classic
    view ``[-2, 2] x [-1, 3]`` from ``(-1.2, 1)``.
    """
    where = "rosenbrock"
    a = real(a, "a", where)
    b = _positive_number(b, "b", where)

    def f(x: Any, y: Any) -> Any:
        return (a - x) ** 2 + b * (y - x**2) ** 2

    return TestFunction(
        name=f"Rosenbrock (a={a:g}, b={b:g})",
        f=f,
        minima=((a, a * a),),
        xrange=(a - 3.0, a + 1.0),
        yrange=(a * a - 2.0, a * a + 2.0),
        start=(a - 2.2, a * a),
    )


def beale() -> TestFunction:
    """Beale's function ``(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2``.

    Minimum 0 at ``(3, 0.5)``; flat plateaus and steep walls (try Adam against SGD).
    Window ``[-4.5, 4.5]^2``, start ``(1, 1.5)``.
    """

    def f(x: Any, y: Any) -> Any:
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2

    return TestFunction(
        name="Beale", f=f, minima=((3.0, 0.5),), xrange=(-4.5, 4.5), yrange=(-4.5, 4.5), start=(1.0, 1.5)
    )


def himmelblau() -> TestFunction:
    """Himmelblau's function ``(x^2 + y - 11)^2 + (x + y^2 - 7)^2``: four minima, all 0.

    Where descent ends depends on where it starts (lesson 1's "multiple optima"). The
    minima other than (3, 2) are roots of a quartic, given to full double precision
    (Newton's method on the gradient). Window ``[-5, 5]^2``, start ``(0, 0)``.
    """

    def f(x: Any, y: Any) -> Any:
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2

    minima = (
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.2831859912861696),
        (3.5844283403304917, -1.8481265269644034),
    )
    return TestFunction(name="Himmelblau", f=f, minima=minima, xrange=(-5.0, 5.0), yrange=(-5.0, 5.0), start=(0.0, 0.0))


def least_squares_loss(X: Any, y: Any, *, half: bool = True, start: Point = (-8.0, -3.2)) -> TestFunction:
    """Lesson 2's loss of a line fit as a test function of beta = (beta0, beta1).

    ``f(b0, b1) = 0.5 ||y - X b||^2`` (``half=True``, the default), written as a sum over
    the rows ``sum_i (y_i - X_i0 b0 - X_i1 b1)^2``. The notes update beta with
    ``X^T X beta - X^T y``, which is the gradient of the *half* sum of squares, so plain SGD
    on this function with their eta reproduces their path: from (-8, -3.2), eta = 0.002,
    1000 steps, it converges; from (-8, -2), eta = 0.0065, it diverges. ``half=False`` gives
    ``||y - X b||^2`` (the same path needs half the learning rate).

    ``X`` is the (n, 2) design matrix (a column of ones, then x: ``nn.least_squares_line()``
    returns it with ``y``). The Hessian is ``X^T X`` (times 2 without the half), so ``L``
    is its largest eigenvalue; the minimum is the least-squares solution. The window is
    centred on it and reaches 1.3 times as far as ``start``. The sum runs over the rows in
    Python, one small graph per row, so that the same code runs on Values, Tensors and
    grids: meant for lesson-sized data (tens of rows).
    """
    where = "least_squares_loss"
    X = as_float_array(X, "X", where, ndim=2, shape=(None, 2))
    y = as_float_array(y, "y", where, ndim=1)
    if len(y) != len(X) or len(X) == 0:
        raise ValueError(
            f"{where}: X has {len(X)} rows and y has {len(y)} entries; pass one target per row "
            f"(e.g. X, y = nn.least_squares_line())"
        )
    if not isinstance(half, (bool, np.bool_)):
        raise TypeError(f"{where}: half must be True or False, got {half!r}")
    start_arr = as_float_array(start, "start", where, shape=(2,))
    # Python floats, not numpy scalars: np.float64 * Value would try to make an array.
    rows = list(zip(X[:, 0].tolist(), X[:, 1].tolist(), y.tolist()))
    scale = 0.5 if half else 1.0

    def f(b0: Any, b1: Any) -> Any:
        return scale * sum((yi - (x0 * b0 + x1 * b1)) ** 2 for x0, x1, yi in rows)

    beta_hat = np.linalg.lstsq(X, y, rcond=None)[0]
    # The Hessian of scale * ||y - X b||^2 is 2 scale X^T X: X^T X itself for the half.
    L = 2.0 * scale * float(np.linalg.eigvalsh(X.T @ X).max())
    reach = 1.3 * np.maximum(np.abs(start_arr - beta_hat), 1.0)
    return TestFunction(
        name="least squares " + ("½‖y − Xβ‖²" if half else "‖y − Xβ‖²"),
        f=f,
        minima=((float(beta_hat[0]), float(beta_hat[1])),),
        xrange=(float(beta_hat[0] - reach[0]), float(beta_hat[0] + reach[0])),
        yrange=(float(beta_hat[1] - reach[1]), float(beta_hat[1] + reach[1])),
        L=L,
        start=(float(start_arr[0]), float(start_arr[1])),
        xlabel="β0 (intercept)",
        ylabel="β1 (slope)",
    )


# ---------------------------------------------------------------------- descent


@dataclass
class DescentResult:
    """One descent run: the points visited and the loss at each.

    ``path`` (k+1, 2): ``path[0]`` is the start and ``path[i]`` the point after i steps;
    ``losses`` (k+1,): ``losses[i] = f(path[i])``. A full run has k = ``steps``.

    ``stopped_at``: None after a full run. Otherwise the run met a non-finite number
    (an overflow, inf or nan in the loss, the gradient or the update) while taking step
    ``stopped_at + 1`` from ``path[stopped_at]``: the path ends at that last finite point
    (``len(path) == stopped_at + 1``), and ``losses[-1]`` is inf or nan if the loss there
    was the culprit.

    ``diverged``: True when the run stopped on a non-finite number, or ended with a higher
    loss than it started with (the geometric blow-up of ``lr > 2/L`` takes a few hundred
    steps to overflow; a short run just ends far away).
    """

    path: np.ndarray
    losses: np.ndarray
    lr: float
    optimizer: str
    steps: int
    stopped_at: Optional[int] = None
    #: The optimizer's other settings as passed to run_descent (``{"momentum": 0.9}``).
    options: Dict[str, Any] = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        if self.stopped_at is not None:
            return True
        return bool(self.losses[-1] > self.losses[0])

    @property
    def final_loss(self) -> float:
        """The loss at the last point of the path (inf or nan if that is why the run stopped)."""
        return float(self.losses[-1])

    @property
    def label(self) -> str:
        """For legends, in the lectures' words: ``"gradient descent, η = 0.01"`` for plain SGD,
        ``"SGD, η = 0.01, momentum = 0.9"`` with options, ``"Adam, η = 0.001"``."""
        options = "".join(f", {k} = {v}" for k, v in self.options.items())
        name = "gradient descent" if self.optimizer == "SGD" and not self.options else self.optimizer
        return f"{name}, η = {self.lr:.3g}{options}"


# Names run_descent accepts for this library's optimizers (lower case).
_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp}
# The engine's errors for a number past float64's range (Value ** and exp raise
# OverflowError; numpy raises FloatingPointError under the errstate run_descent sets).
_NON_FINITE_ERRORS = (OverflowError, FloatingPointError)


def run_descent(
    f: Union[TestFunction, Callable[[Any, Any], Any]],
    x0: Any,
    optimizer: Any = "sgd",
    *,
    lr: float,
    steps: int = 100,
    engine: str = "value",
    **opt_kwargs: Any,
) -> DescentResult:
    """Minimise ``f(x, y)`` from ``x0`` with an optimizer of ``nn.optim``; gradients by the engine.

    Each step: ``opt.zero_grad(); loss = f(x, y); loss.backward(); opt.step()``, i.e. for
    plain SGD ``p <- p - lr grad f(p)``. The point is two ``Value``s (``engine="value"``,
    the default: a function of two numbers is a scalar graph) or one ``Tensor`` of shape
    (2,) (``engine="tensor"``, ``f(p[0], p[1])``); both give the same path.

    ``optimizer``: a name (``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``), an optimizer
    class (``nn.optim.SGD``, ...) or any factory called as ``optimizer(params, lr=lr,
    **opt_kwargs)``; ``opt_kwargs`` go to it (``momentum=0.9``, ``betas=(0.9, 0.99)``, ...).

    Divergence does not crash: at the first non-finite number (loss, gradient, or new
    point; an ``OverflowError`` or ``FloatingPointError`` from the engine counts too) the
    run stops and the result says where (``stopped_at``, ``diverged``; see
    ``DescentResult``). numpy overflow is made an error inside the run
    (``np.errstate``) so it is caught there rather than warned about.
    """
    where = "run_descent"
    fn = _check_callable(f, where)
    x0 = as_float_array(x0, "x0", where, shape=(2,))
    steps = integer(steps, "steps", where, minimum=0)
    if engine == "value":
        params: List[Any] = [Value(float(x0[0]), label="x"), Value(float(x0[1]), label="y")]
    elif engine == "tensor":
        params = [Tensor(x0, requires_grad=True, label="p")]
    else:
        raise ValueError(f"{where}: engine must be 'value' or 'tensor', got {engine!r}")
    opt, opt_name = _make_optimizer(optimizer, params, lr, opt_kwargs, where)

    path = [x0.copy()]
    losses: List[float] = []
    stopped_at: Optional[int] = None
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for k in range(steps + 1):
            last = k == steps  # at the end only the loss is wanted, not another step
            opt.zero_grad()
            try:
                if last:
                    with no_grad():
                        loss = fn(*_arguments(params))
                else:
                    loss = fn(*_arguments(params))
                losses.append(_loss_number(loss, where))
            except _NON_FINITE_ERRORS:
                losses.append(math.inf)  # the loss at path[k] is past float64's range
                stopped_at = k
                break
            if not math.isfinite(losses[-1]):
                stopped_at = k
                break
            if last:
                break
            try:
                loss.backward()
                if not _grads_finite(params):
                    stopped_at = k
                    break
                opt.step()
            except _NON_FINITE_ERRORS:
                stopped_at = k
                break
            new = _current_point(params)
            if not np.isfinite(new).all():
                stopped_at = k
                break
            path.append(new)
    return DescentResult(
        path=np.array(path, dtype=np.float64).reshape(-1, 2),
        losses=np.array(losses, dtype=np.float64),
        lr=float(opt.lr),
        optimizer=opt_name,
        steps=steps,
        stopped_at=stopped_at,
        options=dict(opt_kwargs),
    )


def lrs_from_curvature(
    f_or_L: Union[TestFunction, float], factors: Sequence[float] = (0.1, 1.0, 2.1)
) -> Tuple[float, ...]:
    """Learning rates ``factor / L``: by default too small (0.1/L), right (1/L), too large (2.1/L).

    ``L`` is the largest curvature (a number, or a ``TestFunction``'s ``L``). For a
    quadratic, SGD converges iff ``lr < 2/L``; ``1/L`` is the fastest along the stiffest
    direction; ``0.1/L`` crawls; ``2.1/L`` zig-zags outwards.
    """
    where = "lrs_from_curvature"
    if isinstance(f_or_L, TestFunction):
        if f_or_L.L is None:
            raise ValueError(
                f"{where}: {f_or_L.name} has no constant curvature L (only quadratics do); "
                f"pass the learning rates yourself, e.g. lrs=(1e-4, 1e-3, 3e-3)"
            )
        L = f_or_L.L
    else:
        L = f_or_L
    L = _positive_number(L, "L", where)
    if isinstance(factors, (str, bytes)) or not isinstance(factors, Sequence) or not factors:
        raise TypeError(f"{where}: factors must be a non-empty sequence of numbers, got {factors!r}")
    return tuple(_positive_number(c, "factor", where) / L for c in factors)


# ---------------------------------------------------------------------- pictures


def evaluate_grid(
    f: Union[TestFunction, Callable[[Any, Any], Any]],
    xrange: Optional[Range] = None,
    yrange: Optional[Range] = None,
    n: int = 200,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs, ys, Z)`` with ``Z[i, j] = f(xs[j], ys[i])`` on an n x n grid (contour's layout).

    The whole grid is one call of ``f`` on two (n, n) ``Tensor``s, under ``no_grad``: the
    engine's elementwise ops do the work. Ranges default to the test function's window.
    A number past float64's range on the grid becomes inf (plots leave it blank).
    """
    where = "evaluate_grid"
    fn = _check_callable(f, where)
    xrange, yrange = _window(f, xrange, yrange, where)
    n = integer(n, "n", where, minimum=2)
    xs = np.linspace(xrange[0], xrange[1], n)
    ys = np.linspace(yrange[0], yrange[1], n)
    gx, gy = np.meshgrid(xs, ys)  # (n, n): gx[i, j] = xs[j], gy[i, j] = ys[i]
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        try:
            out = fn(Tensor.from_numpy(gx), Tensor.from_numpy(gy))
        except TypeError as exc:
            raise TypeError(
                f"{where}: f could not be evaluated on a grid of Tensors ({exc}); write f with operators and "
                f"engine methods (x ** 2, x.tanh(), x.exp()) so that it runs on Value and Tensor alike"
            ) from exc
    Z = np.array(out.data if isinstance(out, Tensor) else out, dtype=np.float64)
    if Z.shape != gx.shape:
        raise ValueError(f"{where}: f returned shape {Z.shape} on an {n} x {n} grid; it must work elementwise")
    return xs, ys, Z


def function_surface(
    f: Union[TestFunction, Callable[[Any, Any], Any]],
    xrange: Optional[Range] = None,
    yrange: Optional[Range] = None,
    n: int = 100,
) -> Surface:
    """``f`` on an n x n grid as a landscape ``Surface``, so the landscape plots draw it:
    ``plot_surface3d(function_surface(f))`` and then ``plot_trajectory(run.path, ax=ax,
    z=run.losses)`` put a descent path on the 3-D surface (lesson 2's figure).

    The centre is the test function's first known minimum (the grid's middle for a plain
    function), and ``center_loss`` the function there.
    """
    where = "function_surface"
    fn = _check_callable(f, where)
    xs, ys, Z = evaluate_grid(f, xrange, yrange, n)
    minima = getattr(f, "minima", ())
    center = (float(minima[0][0]), float(minima[0][1])) if minima else (float(xs.mean()), float(ys.mean()))
    with no_grad():
        value = fn(center[0], center[1])
    names = (getattr(f, "xlabel", "x"), getattr(f, "ylabel", "y"))
    return Surface(xs, ys, Z, center, float(getattr(value, "data", value)), names)


@lecture_figure
def plot_descent(
    f: Union[TestFunction, Callable[[Any, Any], Any]],
    paths: Any = (),
    *,
    ax: Any = None,
    levels: Union[int, Sequence[float]] = 30,
    log: bool = True,
    n: int = 200,
    xrange: Optional[Range] = None,
    yrange: Optional[Range] = None,
    cmap: str = "viridis",
    colors: Optional[Sequence[Any]] = None,
    labels: Optional[Sequence[str]] = None,
    title: Optional[str] = None,
    legend: bool = True,
) -> Any:
    """Contours of ``f`` with descent paths on top; returns the Axes.

    ``paths``: a ``DescentResult``, a (k, 2) array, or a list of them (several starts or
    optimizers). Each path is a line through its points, a circle at the start and a
    square at the end (a cross if the run diverged; a diverged run whose last point is
    off the window has no end marker, and the legend says it left); the known minima
    are black plus signs. The legend, beside the contours, explains every marker. One
    path is vermillion (the lectures draw descent in red); several take the palette's
    series (``viz.style.series``; ``colors=`` to choose) and are named in the legend
    (``labels=``, else each result's label). ``log=True`` spaces the contour levels
    geometrically (from max(smallest positive value, 1e-6 x largest) to the largest), which
    shows a valley's floor; a function with negative values falls back to linear levels.
    The view is the function's window (``xrange``/``yrange`` for a plain callable), so a
    diverging path runs off the picture rather than shrinking it.
    """
    where = "plot_descent"
    xrange, yrange = _window(f, xrange, yrange, where)
    runs = _as_paths(paths, where)
    path_colors = _path_colors(len(runs), colors, where)
    path_labels = _path_labels(runs, labels, where)
    fig, ax = new_axes(ax)
    _draw_contour(ax, f, xrange, yrange, n, levels, log, cmap)
    left = False
    for r, ((path, diverged, _), color, label) in enumerate(zip(runs, path_colors, path_labels)):
        left |= _draw_path(ax, path, color, label, diverged, _path_style(r, len(runs)), xrange, yrange)
    _draw_minima(ax, f)
    _finish_axes(ax, f, xrange, yrange, title)
    if legend:
        place_legend(ax, *_marker_legend(ax, f, runs, left))
    return ax


def _path_style(r: int, count: int) -> str:
    return "-" if count == 1 else style.LINESTYLES[r % len(style.LINESTYLES)]


def _marker_legend(ax: Any, f: Any, runs: List[Tuple[np.ndarray, bool, Optional[str]]], left: bool,
                   panels: Sequence[Any] = ()) -> Tuple[List[Any], List[str]]:
    """The runs' own entries, then one entry per kind of marker drawn (on ``ax`` and ``panels``)."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    ends = {line.get_marker() for a in (ax, *panels) for line in a.lines if line.get_gid() == "end"}
    kw: Dict[str, Any] = dict(linestyle="none", color="white", markeredgecolor=style.BLACK, markeredgewidth=1.5, markersize=9)
    handles.append(Line2D([], [], marker="o", **kw))
    labels.append("start")
    if "s" in ends:
        handles.append(Line2D([], [], marker="s", **kw))
        labels.append("end")
    if "X" in ends:
        handles.append(Line2D([], [], marker="X", **{**kw, "markersize": 11}))
        labels.append("end (diverged)")
    if left:
        handles.append(Line2D([], [], linestyle="-", color=style.GREY))
        labels.append("diverged run leaves the window")
    if isinstance(f, TestFunction) and f.minima:
        handles.append(Line2D([], [], linestyle="none", marker="+", color="k", markersize=14, markeredgewidth=2.5))
        labels.append("minimum" if len(f.minima) == 1 else "minima")
    return handles, labels


@lecture_figure
def plot_lr_panel(
    f: TestFunction,
    x0: Optional[Any] = None,
    lrs: Optional[Sequence[float]] = None,
    steps: int = 50,
    *,
    optimizer: Any = "sgd",
    engine: str = "value",
    axes: Optional[Sequence[Any]] = None,
    levels: Union[int, Sequence[float]] = 30,
    log: bool = True,
    n: int = 150,
    **opt_kwargs: Any,
) -> Any:
    """One contour panel per learning rate, side by side, each with its descent path; returns the figure.

    By default the three lrs of ``lrs_from_curvature(f)`` (0.1/L too small: crawls; 1/L
    right: converges; 2.1/L too large: zig-zags outwards) from ``f.start``. Each title
    gives the learning rate as the lectures write it (eta, η) and the final loss, or
    "diverged at step k" when the run overflowed, or "diverging" when it ended above its
    starting loss; plain SGD is called gradient descent. One legend under the panels
    explains the markers. ``axes``: as many Axes as lrs (else a new 1 x len(lrs)
    figure). ``optimizer``, ``engine`` and ``opt_kwargs`` go to ``run_descent``.
    """
    where = "plot_lr_panel"
    if not isinstance(f, TestFunction):
        raise TypeError(
            f"{where}: f must be a TestFunction (it knows its window), got {type(f).__name__}; "
            f"wrap a function as TestFunction(name, f, minima=(), xrange=(lo, hi), yrange=(lo, hi))"
        )
    if x0 is None:
        if f.start is None:
            raise ValueError(f"{where}: {f.name} has no suggested start; pass x0=(x, y)")
        x0 = f.start
    x0 = as_float_array(x0, "x0", where, shape=(2,))
    kinds: Sequence[str] = ()
    if lrs is None:
        lrs = lrs_from_curvature(f)
        kinds = ("too small", "right", "too large")  # the default factors 0.1, 1, 2.1
    if isinstance(lrs, np.ndarray):
        lrs = lrs.tolist()
    if isinstance(lrs, (str, bytes)) or not isinstance(lrs, Sequence) or len(lrs) == 0:
        raise TypeError(f"{where}: lrs must be a non-empty sequence of learning rates, got {lrs!r}")
    if axes is None:
        import matplotlib.pyplot as plt

        fig, grid = plt.subplots(1, len(lrs), figsize=(5.0 * len(lrs), 5.4), constrained_layout=True, squeeze=False)
        panels = list(grid[0])
    else:
        panels = list(np.ravel(np.asarray(axes, dtype=object)))  # a list, a tuple or subplots' array
        if len(panels) != len(lrs):
            raise ValueError(f"{where}: got {len(panels)} Axes for {len(lrs)} learning rates; pass one Axes per lr")
        fig = panels[0].figure
    results = []
    for i, (lr, ax) in enumerate(zip(lrs, panels)):
        run = run_descent(f, x0, optimizer, lr=lr, steps=steps, engine=engine, **opt_kwargs)
        results.append(run)
        kind = f" ({kinds[i]})" if kinds else ""
        plot_descent(f, run, ax=ax, levels=levels, log=log, n=n, title=f"η = {run.lr:.3g}{kind}\n{_run_status(run)}",
                     legend=False)
        if i:
            ax.set_ylabel("")
    left = any(_leaves(r.path, *_window(f, None, None, where)) for r in results if r.diverged)
    handles, labels = _marker_legend(panels[0], f, [(r.path, r.diverged, None) for r in results], left, panels[1:])
    # under the panels, outside them (constrained layout makes room; a caller's figure gets it at the bottom)
    outside = fig.get_layout_engine() is not None and axes is None
    fig.legend(handles, labels, loc="outside lower center" if outside else "lower center", ncols=len(handles),
               fontsize=style.STYLE["axes.labelsize"])
    name = "gradient descent" if run.optimizer == "SGD" and not opt_kwargs else run.optimizer
    fig.suptitle(f"{f.name}: {name}, {steps} steps from ({x0[0]:g}, {x0[1]:g})")
    return fig


@lecture_figure
def animate_descent(
    f: Union[TestFunction, Callable[[Any, Any], Any]],
    paths: Any = None,
    *,
    x0: Optional[Any] = None,
    lr: Optional[float] = None,
    steps: int = 50,
    optimizer: Any = "sgd",
    engine: str = "value",
    every: int = 1,
    interval: int = 100,
    fig: Any = None,
    ax: Any = None,
    levels: Union[int, Sequence[float]] = 30,
    log: bool = True,
    n: int = 150,
    xrange: Optional[Range] = None,
    yrange: Optional[Range] = None,
    colors: Optional[Sequence[Any]] = None,
    labels: Optional[Sequence[str]] = None,
    **opt_kwargs: Any,
) -> Any:
    """A ``matplotlib.animation.FuncAnimation`` of the paths growing step by step over ``f``'s contours.

    ``paths`` as for ``plot_descent`` (one or several, drawn together; a shorter one
    stays at its end); or leave it out and give ``x0`` and ``lr`` (and ``steps``,
    ``optimizer``, ``opt_kwargs``) to run ``run_descent`` here. Frame j shows the points up
    to step ``j * every`` (and the last frame the whole path): a path of k+1 points makes
    k+1 frames with ``every=1``. Draws on ``ax``, or on a new Axes of ``fig``, or on a new
    figure. Keep the returned object alive (matplotlib's rule), e.g. ``save_gif(anim, ...)``.
    """
    from matplotlib.animation import FuncAnimation

    where = "animate_descent"
    if paths is None:
        if x0 is None or lr is None:
            raise ValueError(f"{where}: pass paths (from run_descent), or x0=... and lr=... to run one here")
        paths = run_descent(f, x0, optimizer, lr=lr, steps=steps, engine=engine, **opt_kwargs)
    elif x0 is not None or lr is not None or opt_kwargs:
        raise ValueError(
            f"{where}: got both paths and settings for a new run (x0, lr, optimizer options); "
            f"pass one or the other"
        )
    xrange, yrange = _window(f, xrange, yrange, where)
    runs = _as_paths(paths, where)
    if not runs:
        raise ValueError(f"{where}: no paths to animate")
    path_colors = _path_colors(len(runs), colors, where)
    path_labels = _path_labels(runs, labels, where)
    every = integer(every, "every", where, minimum=1)
    fig, ax = _animation_axes(fig, ax)

    _draw_contour(ax, f, xrange, yrange, n, levels, log, style.SEQUENTIAL)
    _draw_minima(ax, f)
    growing, heads = [], []
    for r, ((path, _, _), color, label) in enumerate(zip(runs, path_colors, path_labels)):
        ax.plot(path[0, 0], path[0, 1], "o", color="white", ms=10, mec=color, mew=2, zorder=4)  # the start, drawn once
        growing.append(ax.plot([], [], linestyle=_path_style(r, len(runs)), marker=".", ms=5, lw=2.2, color=color,
                               label=label, zorder=3)[0])
        heads.append(ax.plot([], [], "D", color=color, ms=10, mec="k", zorder=5)[0])  # the current point
    _finish_axes(ax, f, xrange, yrange, None)
    from matplotlib.lines import Line2D

    handles, names = ax.get_legend_handles_labels()
    handles += [Line2D([], [], linestyle="none", marker="o", color="white", mec=style.BLACK, mew=2, ms=10),
                Line2D([], [], linestyle="none", marker="D", color=style.GREY, mec="k", ms=10)]
    names += ["start", "current point"]
    if isinstance(f, TestFunction) and f.minima:
        handles.append(Line2D([], [], linestyle="none", marker="+", color="k", ms=14, mew=2.5))
        names.append("minimum" if len(f.minima) == 1 else "minima")
    place_legend(ax, handles, names)
    name = f.name if isinstance(f, TestFunction) else "descent"
    frames = _frame_steps(max(len(path) for path, _, _ in runs), every)

    def draw_frame(j: int) -> List[Any]:
        k = frames[j]  # the step shown in frame j
        for (path, _, _), line, head in zip(runs, growing, heads):
            m = min(k, len(path) - 1)  # a path that ended earlier stays at its end
            line.set_data(path[: m + 1, 0], path[: m + 1, 1])
            head.set_data([path[m, 0]], [path[m, 1]])
        # The step number in the title also keeps every GIF frame distinct (Pillow merges
        # identical consecutive frames, which would lose frames of a converged path).
        ax.set_title(f"{name}: step {k}")
        return growing + heads

    draw_frame(0)  # the figure shows the start even before the animation runs
    return FuncAnimation(fig, draw_frame, frames=len(frames), interval=interval, blit=False)


@lecture_figure
def animate_line_fit(
    X: Any,
    y: Any,
    betas: Any,
    *,
    every: int = 1,
    interval: int = 100,
    fig: Any = None,
    ax: Any = None,
    show_solution: bool = True,
) -> Any:
    """A ``FuncAnimation`` of the line ``y = beta0 + beta1 x`` over the data, one frame per step.

    Lesson 2's picture of descent on least squares: ``X`` the (n, 2) design matrix
    ``[1, x]`` (or the x values, shape (n,)), ``y`` the targets, ``betas`` the path of
    (beta0, beta1): a (k, 2) array or a ``DescentResult`` from ``run_descent`` on
    ``least_squares_loss(X, y)``. ``show_solution`` draws the least-squares line dashed,
    where the fit should end. Frames as ``animate_descent``: k frames with ``every=1``.
    """
    from matplotlib.animation import FuncAnimation

    where = "animate_line_fit"
    X = as_float_array(X, "X", where)
    if X.ndim == 1:
        X = np.column_stack([np.ones(len(X)), X])
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{where}: X must be the (n, 2) design matrix [1, x] or the (n,) x values, got shape {X.shape}")
    y = as_float_array(y, "y", where, ndim=1)
    if len(y) != len(X):
        raise ValueError(f"{where}: X has {len(X)} rows and y has {len(y)} entries; they must match")
    (betas, _, _), = _as_paths(betas, where)
    every = integer(every, "every", where, minimum=1)
    fig, ax = _animation_axes(fig, ax)

    x = X[:, 1]
    span = float(x.max() - x.min()) or 1.0
    xs = np.array([x.min() - 0.05 * span, x.max() + 0.05 * span])
    ax.plot(x, y, linestyle="none", marker="o", color=style.BLUE, markeredgecolor="k", ms=9, label="data", zorder=3)
    if show_solution:
        b = np.linalg.lstsq(X, y, rcond=None)[0]
        ax.plot(xs, b[0] + b[1] * xs, linestyle="--", color=style.BLACK, lw=1.5, label="least squares")
    (fit,) = ax.plot([], [], linestyle="-", color=style.VERMILLION, lw=3, label="gradient descent")
    # A fixed view around the data: a diverging line leaves it instead of rescaling it.
    pad = 0.25 * (y.max() - y.min() or 1.0)
    ax.set_xlim(*xs)
    ax.set_ylim(y.min() - pad, y.max() + pad)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    frames = _frame_steps(len(betas), every)
    # The legend must stay clear of every line the animation will draw: its corner is
    # chosen with all of them drawn at once (nan between them), then the line is emptied.
    fit.set_data(np.concatenate([[xs[0], xs[1], np.nan] for _ in frames]),
                 np.concatenate([[b0 + b1 * xs[0], b0 + b1 * xs[1], np.nan] for b0, b1 in betas[frames]]))
    place_legend(ax)
    fit.set_data([], [])

    def draw_frame(j: int) -> List[Any]:
        k = frames[j]
        b0, b1 = betas[k]
        fit.set_data(xs, b0 + b1 * xs)  # y = beta0 + beta1 x
        ax.set_title(f"step {k}: β0 = {b0:.3g}, β1 = {b1:.3g}")
        return [fit]

    draw_frame(0)
    return FuncAnimation(fig, draw_frame, frames=len(frames), interval=interval, blit=False)


def save_gif(anim: Any, path: Union[str, "os.PathLike[str]"], fps: int = 10, dpi: Optional[float] = None) -> str:
    """Write ``anim`` as a GIF with matplotlib's ``PillowWriter``; returns the path.

    Atomic: the frames go to a temporary file in the same folder, which then replaces
    ``path`` in one step (``os.replace``), so a crash never leaves half a GIF under the
    real name. ``fps``: frames per second (an integer >= 1); ``dpi`` defaults to the figure's.
    """
    from matplotlib.animation import Animation, PillowWriter

    where = "save_gif"
    if not isinstance(anim, Animation):
        raise TypeError(f"{where}: expected a matplotlib Animation (from animate_descent), got {type(anim).__name__}")
    path = os.fspath(path)
    if not path.lower().endswith(".gif"):
        raise ValueError(f"{where}: {path!r} does not end in .gif; this writes GIF files only")
    fps = integer(fps, "fps", where, minimum=1)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{where}: the folder {folder!r} does not exist; create it first")
    # The temporary name ends in .gif too: Pillow picks the format from the extension.
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp.gif")
    try:
        anim.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


# ---------------------------------------------------------------------- helpers


def _check_callable(f: Any, where: str) -> Callable[[Any, Any], Any]:
    if not callable(f):
        raise TypeError(
            f"{where}: f must be a function of two numbers f(x, y) (or a TestFunction such as rosenbrock()), "
            f"got {type(f).__name__}"
        )
    return f


def _positive_number(x: Any, name: str, where: str) -> float:
    x = real(x, name, where)
    if x <= 0.0:
        raise ValueError(f"{where}: {name} must be > 0, got {x!r}")
    return x


def _make_optimizer(optimizer: Any, params: List[Any], lr: Any, opt_kwargs: dict, where: str) -> Tuple[Any, str]:
    """The optimizer over ``params`` and its name, from a name, a class or a factory."""
    if isinstance(optimizer, str):
        make = _OPTIMIZERS.get(optimizer.lower())
        if make is None:
            raise ValueError(
                f"{where}: unknown optimizer {optimizer!r}; use one of {sorted(_OPTIMIZERS)}, "
                f"an optimizer class such as nn.optim.SGD, or a factory(params, lr=...)"
            )
    elif callable(optimizer):
        make = optimizer
    else:
        raise TypeError(
            f"{where}: optimizer must be a name such as 'sgd', an optimizer class or a factory(params, lr=...), "
            f"got {type(optimizer).__name__} (an optimizer object is bound to other parameters: pass its class)"
        )
    opt = make(params, lr=lr, **opt_kwargs)
    if not (callable(getattr(opt, "step", None)) and callable(getattr(opt, "zero_grad", None))):
        raise TypeError(f"{where}: the optimizer factory returned {type(opt).__name__}, which has no step()/zero_grad()")
    return opt, type(opt).__name__


def _arguments(params: List[Any]) -> Tuple[Any, Any]:
    """What f is called with: the two Values, or the two elements of the (2,) Tensor."""
    if len(params) == 2:
        return params[0], params[1]
    return params[0][0], params[0][1]


def _current_point(params: List[Any]) -> np.ndarray:
    """The point as a new (2,) array (a copy: the optimizer updates a Tensor's data in place)."""
    if len(params) == 2:
        return np.array([params[0].data, params[1].data])
    return params[0].data.copy()


def _loss_number(loss: Any, where: str) -> float:
    """The loss as a float; it must be a Value or a one-element Tensor (a graph to backpropagate)."""
    if isinstance(loss, Value):
        return loss.data
    if isinstance(loss, Tensor) and loss.data.size == 1:
        return float(loss.data.reshape(()))
    raise TypeError(
        f"{where}: f must return one Value or a one-element Tensor, got {type(loss).__name__}"
        + (f" of shape {loss.shape}" if isinstance(loss, Tensor) else "")
        + "; write f with operators on its arguments (no float(), no math.*), so the engine records it"
    )


def _grads_finite(params: List[Any]) -> bool:
    for p in params:
        g = p.grad
        if g is None:  # a Tensor f did not depend on: nothing to update, nothing wrong
            continue
        if not np.isfinite(g).all():
            return False
    return True


def _window(f: Any, xrange: Optional[Range], yrange: Optional[Range], where: str) -> Tuple[Range, Range]:
    """The plotting window: the given ranges, else the test function's."""
    out = []
    for name, given in (("xrange", xrange), ("yrange", yrange)):
        if given is None:
            if not isinstance(f, TestFunction):
                raise ValueError(
                    f"{where}: f is a plain function, so pass {name}=(lo, hi) (a TestFunction knows its window)"
                )
            given = getattr(f, name)
        lo, hi = as_float_array(given, name, where, shape=(2,)).tolist()
        if not lo < hi:
            raise ValueError(f"{where}: {name} must be (lo, hi) with lo < hi, got {given!r}")
        out.append((lo, hi))
    return out[0], out[1]


def _as_paths(paths: Any, where: str) -> List[Tuple[np.ndarray, bool, Optional[str]]]:
    """``[(path (k, 2), diverged, label), ...]`` from a result, an array, or a list of them."""
    if isinstance(paths, (DescentResult, np.ndarray)):
        paths = [paths]
    elif isinstance(paths, (list, tuple)) and paths and not isinstance(paths[0], (DescentResult, np.ndarray)):
        # Nested lists of numbers: one path (k, 2) or several (m, k, 2).
        arr = as_float_array(paths, "paths", where)
        paths = [arr] if arr.ndim == 2 else list(arr)
    out: List[Tuple[np.ndarray, bool, Optional[str]]] = []
    for i, p in enumerate(paths):
        if isinstance(p, DescentResult):
            out.append((p.path, p.diverged, p.label))
        else:
            arr = as_float_array(p, f"paths[{i}]", where, ndim=2, shape=(None, 2))
            if len(arr) == 0:
                raise ValueError(f"{where}: paths[{i}] has no points")
            out.append((arr, False, None))
    return out


def _path_colors(count: int, colors: Optional[Sequence[Any]], where: str) -> List[Any]:
    if colors is not None:
        colors = list(colors)
        if len(colors) != count:
            raise ValueError(f"{where}: got {len(colors)} colors for {count} paths")
        return colors
    if count == 1:
        return [style.VERMILLION]  # the lectures draw a descent in red
    return [style.COLORS[i % len(style.COLORS)] for i in range(count)]


def _path_labels(runs: List[Tuple[np.ndarray, bool, Optional[str]]], labels: Optional[Sequence[str]], where: str) -> List[Optional[str]]:
    if labels is None:
        # A result's label only helps to tell several runs apart.
        return [lab if len(runs) > 1 else None for _, _, lab in runs]
    if len(labels) != len(runs):
        raise ValueError(f"{where}: got {len(labels)} labels for {len(runs)} paths")
    return list(labels)


def _draw_contour(ax: Any, f: Any, xrange: Range, yrange: Range, n: int, levels: Any, log: bool, cmap: str) -> Any:
    """Contour lines of f over the window; geometric levels when ``log`` and f >= 0."""
    from matplotlib.colors import LogNorm

    xs, ys, Z = evaluate_grid(f, xrange, yrange, n)
    Zm = np.ma.masked_invalid(Z)  # overflowed grid points are left blank
    finite = Z[np.isfinite(Z)]
    positive = finite[finite > 0]
    if log and isinstance(levels, numbers.Integral) and positive.size and finite.min() >= 0:
        hi = float(positive.max())
        lo = max(float(positive.min()), 1e-6 * hi)  # a minimum of exactly 0 has no logarithm
        if lo < hi:
            return ax.contour(xs, ys, Zm, levels=np.geomspace(lo, hi, int(levels)), cmap=cmap, norm=LogNorm(lo, hi), linewidths=0.8)
    return ax.contour(xs, ys, Zm, levels=levels, cmap=cmap, linewidths=0.8)


def _leaves(path: np.ndarray, xrange: Range, yrange: Range) -> bool:
    """Does the path's last point lie off the window?"""
    x, y = path[-1]
    return not (xrange[0] <= x <= xrange[1] and yrange[0] <= y <= yrange[1])


def _draw_path(ax: Any, path: np.ndarray, color: Any, label: Optional[str], diverged: bool, linestyle: Any,
               xrange: Range, yrange: Range) -> bool:
    """The path through its points, the start (circle), the end (square; X if diverged).

    A diverged run whose end lies off the window gets no end marker (it would be cut off
    or lost); returns True then, so that the legend can say the run left the window.
    """
    # a dot on every step, except where the edge of the window would cut it
    inside = np.array([_well_inside(p, xrange, yrange) for p in path])
    ax.plot(path[:, 0], path[:, 1], linestyle=linestyle, marker=".", ms=5, lw=2.0, color=color, label=label, zorder=3,
            markevery=list(inside))
    ax.plot(path[0, 0], path[0, 1], "o", color="white", ms=10, mec=color, mew=2.2, gid="start", zorder=4)
    # markers near the edge of the window would be cut: only ends well inside are marked
    gone = _leaves(path, xrange, yrange) or not _well_inside(path[-1], xrange, yrange)
    if not gone:
        ax.plot(path[-1, 0], path[-1, 1], "X" if diverged else "s", color=color, ms=11 if diverged else 10, mec="k",
                gid="end", zorder=4)
    return gone and diverged


def _well_inside(p: np.ndarray, xrange: Range, yrange: Range, margin: float = 0.04) -> bool:
    mx, my = margin * (xrange[1] - xrange[0]), margin * (yrange[1] - yrange[0])
    return bool(xrange[0] + mx <= p[0] <= xrange[1] - mx and yrange[0] + my <= p[1] <= yrange[1] - my)


def _draw_minima(ax: Any, f: Any) -> None:
    if isinstance(f, TestFunction) and f.minima:
        m = np.array(f.minima, dtype=np.float64)
        ax.plot(m[:, 0], m[:, 1], linestyle="none", marker="+", color="k", ms=14, mew=2.5, zorder=5)


def _finish_axes(ax: Any, f: Any, xrange: Range, yrange: Range, title: Optional[str]) -> None:
    """The window, the axis names (beta0, beta1 as the lesson writes them) and the title."""
    ax.set_xlim(*xrange)
    ax.set_ylim(*yrange)
    ax.set_xlabel(f.xlabel if isinstance(f, TestFunction) else "x")
    ax.set_ylabel(f.ylabel if isinstance(f, TestFunction) else "y")
    if title is None:
        title = f.name if isinstance(f, TestFunction) else ""
    ax.set_title(title)


def _run_status(run: DescentResult) -> str:
    """A panel title's second line: how the run ended."""
    if run.stopped_at is not None:
        return f"diverged at step {run.stopped_at + 1}"
    return f"final loss {run.final_loss:.3g}" + (" (diverging)" if run.diverged else "")


def _animation_axes(fig: Any, ax: Any) -> Tuple[Any, Any]:
    """``ax`` and its figure; else a new Axes on ``fig``; else a new figure."""
    if ax is not None:
        return ax.figure, ax
    if fig is not None:
        return fig, fig.add_subplot()
    import matplotlib.pyplot as plt

    # 1024 x 640 pixels as saved (the GIF's dpi is the figure's): text of 13 pt and up is
    # 23 px and up, readable when the GIF is shown as it is, without scaling up
    fig = plt.figure(figsize=(8.0, 5.0), dpi=128, layout="constrained")
    return fig, fig.add_subplot()


def _frame_steps(length: int, every: int) -> List[int]:
    """The step shown by each frame: 0, every, 2 every, ..., and always the last one."""
    steps = list(range(0, length, every))
    if steps[-1] != length - 1:
        steps.append(length - 1)
    return steps
