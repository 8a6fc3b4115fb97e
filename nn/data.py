"""Data: toy datasets, the lectures' data, batches, splits and scaling. numpy only.

Every dataset returns numpy arrays: features ``X`` as float64 of shape (N, d), and
targets ``y`` of shape (N,): int64 class labels for classification sets, float64 for
regression sets. Everything random takes ``seed``: an int (the same int, the same
arrays, on every machine), a ``numpy.random.Generator`` (shared with the caller: it
advances), or None, which draws from ``nn.init``'s global generator (it starts from seed 0
at import, so a script run twice gets the same data; ``nn.init.manual_seed`` restarts it).

The lectures' own data (``mean_data`` aside) reproduce the notes' numbers exactly. Where
the notes called ``np.random.seed(s)`` and then ``np.random.normal`` etc., we make the
same calls, in the same order, on ``np.random.RandomState(s)``, which is the generator
behind those functions: the same numbers, without touching numpy's global state.
Everything else uses the modern ``numpy.random.default_rng``.

    moons, circles, spirals, xor, blobs       classification toys (2-D, like sklearn's)
    mean_data                                 lesson 1: x = 3 randn(n) + 2
    least_squares_line                        lesson 2: a noisy line and its design matrix
    house_prices                              lesson 3: the 10-row table
    load_digits                               lesson 4: 8x8 digits (needs scikit-learn)
    piecewise                                 lesson 5: the 1-D regression set
    Batches, random_batches                   mini-batches: epochs, or lesson 4's draws
    train_test_split, standardize, one_hot
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Tuple, Union

import numpy as np

from .checks import finite_real, fits_in_memory, show
from .init import as_generator

__all__ = [
    "Batches",
    "random_batches",
    "train_test_split",
    "standardize",
    "one_hot",
    "moons",
    "circles",
    "spirals",
    "xor",
    "blobs",
    "mean_data",
    "least_squares_line",
    "house_prices",
    "Scaling",
    "piecewise",
    "load_digits",
]

Seed = Union[int, np.random.Generator, None]
Arrays = Tuple[np.ndarray, np.ndarray]


# ---------------------------------------------------------------------- batches


class Batches:
    """Mini-batches of (X, y), one epoch per ``for`` loop::

        batches = Batches(X, y, batch_size=32, seed=0)
        for epoch in range(10):
            for Xb, yb in batches:      # each pass is one epoch, in a new random order
                ...

    The order is drawn from one Generator made from ``seed`` when the object is made, so
    epoch k's order is the same on every run, and differs from epoch k-1's. The last
    batch is smaller when ``batch_size`` does not divide N, unless ``drop_last=True``
    leaves it out. With ``shuffle=False`` batches come in the data's order. Batches are
    copies of the rows: changing one does not change the data.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        batch_size: int,
        shuffle: bool = True,
        seed: Seed = 0,
        drop_last: bool = False,
    ) -> None:
        fn = "Batches"
        self.X, self.y = _paired(X, y, fn)
        self.batch_size = _positive_int(batch_size, f"{fn}(batch_size=...)")
        drop_last = _flag(drop_last, f"{fn}(drop_last=...)")
        if drop_last and self.batch_size > len(self.X):
            raise ValueError(
                f"{fn}: drop_last=True with batch_size={self.batch_size} > {len(self.X)} samples "
                f"would yield no batches; use a smaller batch_size or drop_last=False"
            )
        self.shuffle = _flag(shuffle, f"{fn}(shuffle=...)")
        self.drop_last = _flag(drop_last, f"{fn}(drop_last=...)")
        self._rng = as_generator(seed, f"{fn}(seed=...)")

    def __len__(self) -> int:
        """The number of batches per epoch."""
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self) -> Iterator[Arrays]:
        n, b = len(self.X), self.batch_size
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * b, b):
            rows = order[start : start + b]
            yield self.X[rows], self.y[rows]


def random_batches(X: Any, y: Any, batch_size: int, num_batches: int, seed: Seed = 0) -> List[Arrays]:
    """``num_batches`` batches of ``batch_size`` rows drawn at random, as lesson 4 does
    (200 batches of 100 digits).

    Each batch is drawn without replacement (no row twice in one batch); batches are
    drawn independently, so a row can appear in several batches and some in none.
    """
    fn = "random_batches"
    X, y = _paired(X, y, fn)
    batch_size = _positive_int(batch_size, f"{fn}(batch_size=...)")
    num_batches = _positive_int(num_batches, f"{fn}(num_batches=...)")
    if batch_size > len(X):
        raise ValueError(f"{fn}: batch_size={batch_size} is larger than the {len(X)} samples")
    # The batches are copies of rows, all kept in a list: num_batches * batch_size rows.
    row = int(np.prod(X.shape[1:], dtype=np.int64)) + int(np.prod(y.shape[1:], dtype=np.int64))
    fits_in_memory(num_batches * batch_size * row, fn, f"num_batches={show(num_batches)} batches of {batch_size} rows")
    rng = as_generator(seed, f"{fn}(seed=...)")
    batches = []
    for _ in range(num_batches):
        rows = rng.choice(len(X), size=batch_size, replace=False)
        batches.append((X[rows], y[rows]))
    return batches


def train_test_split(X: Any, y: Any, test_fraction: float = 0.1, seed: Seed = 0) -> Tuple[np.ndarray, ...]:
    """A random split into ``(X_train, X_test, y_train, y_test)`` (scikit-learn's order).

    The test set has ceil(test_fraction * N) rows (as scikit-learn); both parts must be
    non-empty.
    """
    fn = "train_test_split"
    X, y = _paired(X, y, fn)
    test_fraction = finite_real(test_fraction, f"{fn}(test_fraction=...)")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"{fn}: test_fraction must be strictly between 0 and 1, got {test_fraction!r}")
    n = len(X)
    n_test = math.ceil(test_fraction * n)
    if n_test >= n:
        raise ValueError(f"{fn}: test_fraction={test_fraction} of {n} samples leaves no training samples")
    order = as_generator(seed, f"{fn}(seed=...)").permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def standardize(X: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero mean, unit variance per column: ``(Xs, mean, std)`` with Xs = (X - mean) / std.

    ``std`` is the population standard deviation (ddof=0, as numpy's default and
    scikit-learn's StandardScaler). Undo it with ``Xs * std + mean``. A 1-D array is one
    column (mean and std are then 0-d arrays).
    """
    fn = "standardize"
    X = _features(X, fn, keep_1d=True)
    if len(X) == 0:
        raise ValueError(f"{fn}: no rows to standardize")
    # Columns with numbers beyond 2**500 (1e150) are divided by a power of two first:
    # their squares, sum and differences would overflow float64 (std of [1e308, -1e308]
    # is 1e308, fine, but its squares are not). A power of two divides exactly, so the
    # result is the same number the plain formula gives wherever that one works.
    scale = np.ones(X.shape[1:])
    big = np.max(np.abs(X), axis=0) > 2.0**500
    if np.any(big):
        # 2**(e - 1) <= max |x| < 2**e: dividing by 2**(e - 1) leaves every |x| below 2
        scale = np.where(big, np.ldexp(1.0, np.frexp(np.max(np.abs(X), axis=0))[1] - 1), 1.0)
    Xs = X / scale
    mean = Xs.mean(axis=0)
    std = Xs.std(axis=0)
    if (std == 0.0).any():
        cols = np.flatnonzero(np.atleast_1d(std == 0.0)).tolist()
        where = "the data is constant" if X.ndim == 1 else f"column(s) {cols} are constant"
        raise ValueError(f"{fn}: {where} (std 0), so it cannot be scaled to unit variance; drop it")
    return (Xs - mean) / std, mean * scale, std * scale


def one_hot(labels: Any, num_classes: int) -> np.ndarray:
    """Rows of the identity: ``out[i, labels[i]] = 1``, shape (N, num_classes), float64."""
    fn = "one_hot"
    num_classes = _positive_int(num_classes, f"{fn}(num_classes=...)")
    a = np.asarray(labels)
    if a.ndim != 1:
        raise ValueError(f"{fn}: labels must be 1-D (N,), got shape {a.shape}")
    if a.dtype.kind not in "iuf" or (a.dtype.kind == "f" and not (np.isfinite(a) & (a == np.round(a))).all()):
        raise ValueError(f"{fn}: labels must be integers (class indices), got dtype {a.dtype}: {a[:5].tolist()}")
    bad = (a < 0) | (a >= num_classes)  # before the cast: 1e20 as int64 would wrap around
    if bad.any():
        raise ValueError(f"{fn}: labels {a[bad][:5].tolist()} are outside 0..{num_classes - 1}")
    a = a.astype(np.int64)
    fits_in_memory(len(a) * num_classes, fn, f"{len(a)} rows of num_classes={show(num_classes)}")
    out = np.zeros((len(a), num_classes))
    out[np.arange(len(a)), a] = 1.0
    return out


# ---------------------------------------------------------------------- classification toys


def moons(n: int = 100, noise: float = 0.1, seed: Seed = 0) -> Arrays:
    """Two interleaving half circles, labels 0 and 1 (as scikit-learn's make_moons).

    Class 0 lies on the upper half of the unit circle around (0, 0), class 1 on the
    lower half of the unit circle around (1, 0.5); n // 2 points of class 0, the rest of
    class 1, evenly spaced along each arc, in random order, plus Gaussian noise of std
    ``noise`` on each coordinate. For micrograd's demo (labels -1/+1): ``y = 2 * y - 1``.
    """
    fn = "moons"
    n = _samples(n, fn, 2)
    noise = _nonnegative(noise, f"{fn}(noise=...)")
    rng = as_generator(seed, f"{fn}(seed=...)")
    n_out = n // 2
    t_out, t_in = np.linspace(0.0, np.pi, n_out), np.linspace(0.0, np.pi, n - n_out)
    upper = np.column_stack([np.cos(t_out), np.sin(t_out)])
    lower = np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)])
    return _shuffled_noisy(upper, lower, noise=noise, rng=rng, where=f"{fn}(noise={noise!r})")


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0) -> Arrays:
    """Two concentric circles: label 0 on radius 1, label 1 on radius ``factor`` (< 1).

    As scikit-learn's make_circles: n // 2 points on the outer circle, the rest on the
    inner one, evenly spaced in angle, in random order, plus Gaussian noise of std ``noise``.
    """
    fn = "circles"
    n = _samples(n, fn, 2)
    noise = _nonnegative(noise, f"{fn}(noise=...)")
    factor = finite_real(factor, f"{fn}(factor=...)")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"{fn}: factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    rng = as_generator(seed, f"{fn}(seed=...)")
    n_out = n // 2
    t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n - n_out, endpoint=False)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = factor * np.column_stack([np.cos(t_in), np.sin(t_in)])
    return _shuffled_noisy(outer, inner, noise=noise, rng=rng, where=f"{fn}(noise={noise!r})")


def spirals(n: int = 100, classes: int = 2, noise: float = 0.05, seed: Seed = 0, turns: float = 1.0) -> Arrays:
    """Interleaved spiral arms, one per class (labels 0..classes-1).

    Arm k is the curve r (cos a, sin a) with radius r from 0.1 to 1 and angle
    a = 2 pi (k / classes + turns * r): the arms are copies of one another rotated by
    1/classes of a turn. Points are evenly spaced along r (n split as evenly as possible
    between the arms), in random order, plus Gaussian noise of std ``noise``.
    """
    fn = "spirals"
    classes = _positive_int(classes, f"{fn}(classes=...)", minimum=2)
    if n < classes if isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) else False:
        raise ValueError(f"{fn}: n={show(n)} samples cannot make classes={show(classes)} arms (n must be >= classes)")
    n = _samples(n, fn, classes)
    noise = _nonnegative(noise, f"{fn}(noise=...)")
    turns = finite_real(turns, f"{fn}(turns=...)")
    if turns <= 0.0:
        raise ValueError(f"{fn}: turns must be > 0, got {turns!r}")
    rng = as_generator(seed, f"{fn}(seed=...)")
    arms = []
    for k, size in enumerate(_split_evenly(n, classes)):
        r = np.linspace(0.1, 1.0, size)
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            a = 2 * np.pi * (k / classes + turns * r)
            arm = r[:, None] * np.column_stack([np.cos(a), np.sin(a)])
        if not np.isfinite(arm).all():
            raise ValueError(
                f"{fn}: turns={turns!r} makes the angles 2 pi turns r overflow float64, so the points are "
                f"not numbers; use a few turns (1 to 5, say)"
            )
        arms.append(arm)
    return _shuffled_noisy(*arms, noise=noise, rng=rng, where=f"{fn}(noise={noise!r})")


def xor(n: int = 4, noise: Optional[float] = None, seed: Seed = 0) -> Arrays:
    """XOR: label 1 where exactly one coordinate is 1, for points at the corners of [0, 1]^2.

    n = 4 (the default): the truth table itself, exactly, in order (0,0) (0,1) (1,0) (1,1)
    with labels 0 1 1 0. n > 4: n points spread evenly over the four corners, in random
    order, as noisy clusters. ``noise`` (Gaussian std per coordinate) defaults to 0 for
    n = 4 and 0.1 for n > 4.
    """
    fn = "xor"
    n = _samples(n, fn, 4)
    noise = (0.0 if n == 4 else 0.1) if noise is None else _nonnegative(noise, f"{fn}(noise=...)")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    which = np.arange(n) % 4  # corner of each point: as even a split as there can be
    if n == 4 and noise == 0.0:
        return corners, labels  # no randomness at all: seed is not used
    rng = as_generator(seed, f"{fn}(seed=...)")
    if n > 4:
        which = rng.permutation(which)
    with np.errstate(over="ignore", invalid="ignore"):
        X = corners[which] + rng.normal(0.0, noise, (n, 2))
    _check_noisy(X, f"{fn}(noise={noise!r})")
    return X, labels[which]


def blobs(n: int = 100, centers: Any = 3, std: float = 1.0, seed: Seed = 0) -> Arrays:
    """Gaussian blobs: n points split evenly between the centers, label = the center's index.

    ``centers`` is a number K (K centers evenly spaced on the circle of radius 5 around
    the origin, so they are well apart for std around 1) or an array of shape (K, d) of
    center coordinates. Each point is its center plus Gaussian noise of std ``std`` per
    coordinate; the points come in random order.
    """
    fn = "blobs"
    if isinstance(centers, numbers.Integral) and not isinstance(centers, (bool, np.bool_)):
        k = _positive_int(centers, f"{fn}(centers=...)")
        fits_in_memory(k * 2, fn, f"centers={show(k)} centers")
        angles = 2 * np.pi * np.arange(k) / k
        where = 5.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    else:
        where = _features(centers, f"{fn}(centers=...)")
        if len(where) == 0:
            raise ValueError(f"{fn}: centers is empty")
    n = _samples(n, fn, len(where), width=where.shape[1])
    std = _nonnegative(std, f"{fn}(std=...)")
    rng = as_generator(seed, f"{fn}(seed=...)")
    groups = [np.repeat(where[k : k + 1], size, axis=0) for k, size in enumerate(_split_evenly(n, len(where)))]
    return _shuffled_noisy(*groups, noise=std, rng=rng, where=f"{fn}(std={std!r}, centers=...)")


# ---------------------------------------------------------------------- the lectures' data


def mean_data(n: int = 10, seed: Seed = 0) -> np.ndarray:
    """Lesson 1: ``x = 3 * randn(n) + 2``, samples of N(2, 3^2), shape (n,) (no labels).

    The notes set no seed, so this uses ``numpy.random.default_rng(seed)``'s
    ``standard_normal``: the true mean is 2, the sample mean differs from it (the point of
    the exercise). The lesson also tries n = 5 and n = 100.
    """
    fn = "mean_data"
    n = _samples(n, fn, 1, width=1)
    return 3.0 * as_generator(seed, f"{fn}(seed=...)").standard_normal(n) + 2.0


def least_squares_line(n: int = 10, seed: int = 1) -> Arrays:
    """Lesson 2: points near the line y = 1 + 0.5 x, and their design matrix.

    Exactly the notes' numbers (``np.random.seed(1)``, then ``xlin = -10 + 20 *
    np.random.random(n)``, then ``y = 1 + 0.5 * xlin + np.random.randn(n)``), drawn from
    ``np.random.RandomState(seed)``. Returns ``(X, y)`` with X the (n, 2) design matrix
    ``[1, x]`` (a column of ones first, for the intercept), so beta = (intercept, slope)
    and the fit is ``X @ beta``; the x values are ``X[:, 1]``.
    """
    fn = "least_squares_line"
    n = _samples(n, fn, 1)
    rs = _legacy_rng(seed, fn)
    xlin = -10.0 + 20.0 * rs.random_sample(n)  # np.random.random is random_sample
    y = 1.0 + 0.5 * xlin + rs.randn(n)
    return np.column_stack([np.ones(n), xlin]), y


@dataclass(frozen=True)
class Scaling:
    """The column means and standard deviations of a raw dataset, to undo standardization.

    ``x_mean``, ``x_std``: arrays of shape (d,); ``y_mean``, ``y_std``: floats.
    """

    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: float
    y_std: float

    def scale_x(self, X: Any) -> np.ndarray:
        """Raw features to standardized ones: (X - x_mean) / x_std."""
        return (_real_array(X, "Scaling.scale_x", finite=True) - self.x_mean) / self.x_std

    def unscale_y(self, y: Any) -> np.ndarray:
        """Standardized targets (e.g. a model's predictions) back to raw units: y * y_std + y_mean.

        (A diverged model's nan or inf predictions come back as nan or inf.)"""
        with np.errstate(over="ignore", invalid="ignore"):
            return _real_array(y, "Scaling.unscale_y", finite=False) * self.y_std + self.y_mean


def _real_array(x: Any, where: str, finite: bool) -> np.ndarray:
    """``x`` as a float64 array of real numbers (any shape); complex and text refused."""
    a = np.asarray(x.data if hasattr(x, "data") and not isinstance(x, np.ndarray) else x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected real numbers, got an array of dtype {a.dtype}")
    a = a.astype(np.float64)
    if finite and not np.isfinite(a).all():
        raise ValueError(f"{where}: the data contains nan or inf")
    return a


# Lesson 3's table, as in the notes: (first column, bedrooms) -> sold price. The notes
# call the first column "price per square metre"; it reads like a size in square feet.
_HOUSES = np.array(
    [
        [2104, 3, 399900],
        [1600, 3, 329900],
        [2400, 3, 369000],
        [1416, 2, 232000],
        [3000, 4, 539900],
        [1985, 4, 299900],
        [1534, 3, 314900],
        [1427, 3, 198999],
        [1380, 3, 212000],
        [1494, 3, 242500],
    ],
    dtype=np.float64,
)


def house_prices(standardized: bool = True) -> Tuple[np.ndarray, np.ndarray, Scaling]:
    """Lesson 3: the 10 houses, ``(X, y, scaling)``: X (10, 2) = (size, bedrooms), y (10,) = price.

    standardized=True (the lesson's setting): X and y scaled to zero mean and unit
    variance per column (``standardize``, ddof=0); ``scaling`` holds the raw means and
    stds, so ``scaling.unscale_y(model_output)`` gives prices in dollars again.
    standardized=False: the raw table (``scaling`` is the same either way).
    """
    X, y = _HOUSES[:, :2].copy(), _HOUSES[:, 2].copy()
    Xs, x_mean, x_std = standardize(X)
    ys, y_mean, y_std = standardize(y)
    scaling = Scaling(x_mean=x_mean, x_std=x_std, y_mean=float(y_mean), y_std=float(y_std))
    if not _flag(standardized, "house_prices(standardized=...)"):
        return X, y, scaling
    return Xs, ys, scaling


def piecewise(n: int = 10000, seed: int = 42) -> Arrays:
    """Lesson 5: a noisy piecewise function of one input; X (n, 1), y (n,).

    Exactly the notes' numbers (``np.random.seed(42)``; ``X = np.random.normal(1, 4.5,
    n)``; y by pieces; then ``np.random.normal(0, 1, n)`` added), drawn from
    ``np.random.RandomState(seed)`` in that order::

        y = 2 x + 5          for x < -2
            7.3 sin(x)       for -2 <= x < 2
            -0.03 x^3 + 2    for x >= 2
    """
    fn = "piecewise"
    n = _samples(n, fn, 1)
    rs = _legacy_rng(seed, fn)
    x = rs.normal(1.0, 4.5, n)
    y = np.where(x < -2.0, 2.0 * x + 5.0, np.where(x < 2.0, 7.3 * np.sin(x), -0.03 * x**3 + 2.0))
    y = y + rs.normal(0.0, 1.0, n)
    return x[:, None], y


def load_digits(flatten: bool = True, scale: bool = True) -> Arrays:
    """Lesson 4: scikit-learn's 1797 handwritten digits, 8x8 pixels, labels 0..9.

    Returns X of shape (1797, 64) (flatten=True) or (1797, 8, 8), float64, and y (1797,)
    int64. Pixels are 0..16 in the data; scale=True (the default) divides by 16 so they
    lie in [0, 1]. Needs scikit-learn (``pip install scikit-learn``, or the ``digits`` extra).
    """
    try:
        from sklearn.datasets import load_digits as _sklearn_load_digits
    except ImportError:
        raise ImportError(
            "load_digits: the digits come with scikit-learn, which is not installed; "
            "pip install scikit-learn (or pip install \"autograd-lite[digits]\")"
        ) from None
    digits = _sklearn_load_digits()
    X = np.asarray(digits.data if _flag(flatten, "load_digits(flatten=...)") else digits.images, dtype=np.float64)
    if _flag(scale, "load_digits(scale=...)"):
        X = X / 16.0
    return X, np.asarray(digits.target, dtype=np.int64)


# ---------------------------------------------------------------------- helpers


def _shuffled_noisy(*groups: np.ndarray, noise: float, rng: np.random.Generator, where: str) -> Arrays:
    """Stack point groups (group k gets label k), shuffle the rows, add Gaussian noise.

    The noise is drawn even when it is 0, so a seed gives the same order for any noise.
    Points that are not finite (a noise of 1e308 overflows) are an error naming ``where``.
    """
    X = np.concatenate(groups)
    y = np.concatenate([np.full(len(g), k, dtype=np.int64) for k, g in enumerate(groups)])
    order = rng.permutation(len(X))
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        X = X[order] + rng.normal(0.0, noise, X.shape)
    _check_noisy(X, where)
    return X, y[order]


def _check_noisy(X: np.ndarray, where: str) -> None:
    if not np.isfinite(X).all():
        raise ValueError(
            f"{where}: the noisy points overflow float64 (they hold inf or nan); use a noise of the "
            f"data's own size (0.1, say)"
        )


def _samples(n: Any, fn: str, minimum: int, width: int = 2) -> int:
    """``n`` samples: an int >= ``minimum`` whose (n, width) array fits in memory."""
    n = _positive_int(n, f"{fn}(n=...)", minimum=minimum)
    fits_in_memory(n * width, fn, f"n={show(n)} samples")
    return n


def _split_evenly(n: int, parts: int) -> List[int]:
    """n as ``parts`` sizes differing by at most 1 (the first ones get the remainder)."""
    return [n // parts + (1 if k < n % parts else 0) for k in range(parts)]


def _legacy_rng(seed: Any, fn: str) -> np.random.RandomState:
    """The generator behind np.random.seed(seed) + np.random.*: the lectures' numbers."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)) and 0 <= int(seed) < 2**32:
        return np.random.RandomState(int(seed))
    raise TypeError(
        f"{fn}: seed must be an int in [0, 2**32) (it reproduces the notes' np.random.seed(...)); got {show(seed)}"
    )


def _positive_int(x: Any, where: str, minimum: int = 1) -> int:
    if not isinstance(x, numbers.Integral) or isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{where}: expected an int, got {type(x).__name__} {show(x)}")
    if x < minimum:
        raise ValueError(f"{where}: must be >= {show(minimum)}, got {show(x)}")
    return int(x)




def _nonnegative(x: Any, where: str) -> float:
    x = finite_real(x, where)
    if x < 0.0:
        raise ValueError(f"{where}: must be >= 0, got {x!r}")
    return x


def _flag(x: Any, where: str) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{where}: expected True or False, got {type(x).__name__} {show(x)}")
    return bool(x)


def _features(X: Any, fn: str, keep_1d: bool = False) -> np.ndarray:
    """X as a finite float array with rows (float32 stays float32, ints become float64)."""
    try:
        a = np.asarray(X)
    except ValueError:
        raise ValueError(f"{fn}: X is a ragged nested list; rows must have equal lengths") from None
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    elif a.dtype.kind != "f":
        raise TypeError(f"{fn}: X must be numbers, got an array of dtype {a.dtype}")
    if a.ndim == 0 or (a.ndim == 1 and not keep_1d):
        raise ValueError(f"{fn}: X must have one row per sample, shape (N, d); got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{fn}: X contains nan or inf")
    return a


def _paired(X: Any, y: Any, fn: str) -> Arrays:
    """X (features, any float array with N rows) and y (N rows) as arrays, checked."""
    X = _features(X, fn, keep_1d=True)
    y = np.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"{fn}: y must have one entry per sample, got a scalar")
    if len(X) != len(y):
        raise ValueError(f"{fn}: X has {len(X)} rows but y has {len(y)}; they must match")
    if len(X) == 0:
        raise ValueError(f"{fn}: the dataset is empty")
    return X, y
