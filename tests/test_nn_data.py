"""nn.data: toy datasets (shapes, determinism, balance, geometry), the lectures' data
reproduced from the notes' own code, batching, splitting, scaling, and load_digits."""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict

import numpy as np
import pytest

from nn.data import (
    Batches,
    blobs,
    circles,
    house_prices,
    least_squares_line,
    load_digits,
    mean_data,
    moons,
    one_hot,
    piecewise,
    random_batches,
    spirals,
    standardize,
    train_test_split,
    xor,
)

# Each classification toy with its class count, called with n and seed.
TOYS: Dict[str, Any] = {
    "moons": (lambda n, seed: moons(n, seed=seed), 2),
    "circles": (lambda n, seed: circles(n, seed=seed), 2),
    "spirals2": (lambda n, seed: spirals(n, classes=2, seed=seed), 2),
    "spirals3": (lambda n, seed: spirals(n, classes=3, seed=seed), 3),
    "xor": (lambda n, seed: xor(n, seed=seed), 2),
    "blobs": (lambda n, seed: blobs(n, centers=3, seed=seed), 3),
}


def global_numpy_state() -> Any:
    """Save numpy's global RNG state, for tests that replay the notes' np.random.seed code."""
    return np.random.get_state()


# ---------------------------------------------------------------------- toys: common


@pytest.mark.parametrize("name", TOYS)
@pytest.mark.parametrize("n", [8, 101])
def test_toy_shapes_dtypes_and_balance(name: str, n: int) -> None:
    make, classes = TOYS[name]
    X, y = make(n, 0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes and counts.max() - counts.min() <= 1  # as even as n allows


@pytest.mark.parametrize("name", TOYS)
def test_toys_are_deterministic_per_seed(name: str) -> None:
    make, _ = TOYS[name]
    X1, y1 = make(60, 3)
    X2, y2 = make(60, 3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(60, 4)
    assert not np.array_equal(X1, X3)
    # a Generator is used as given (and advances): same stream, same arrays
    Xg, yg = make(60, np.random.default_rng(3))
    np.testing.assert_array_equal(Xg, X1)
    np.testing.assert_array_equal(yg, y1)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: moons(0), ValueError),
        (lambda: moons(1), ValueError),
        (lambda: moons(10.0), TypeError),
        (lambda: moons(True), TypeError),
        (lambda: moons(10, noise=-0.1), ValueError),
        (lambda: moons(10, noise=float("nan")), TypeError),
        (lambda: moons(10, seed=-1), TypeError),
        (lambda: moons(10, seed=1.5), TypeError),
        (lambda: moons(10, seed=True), TypeError),
        (lambda: circles(10, factor=1.0), ValueError),
        (lambda: circles(10, factor=0.0), ValueError),
        (lambda: circles(-3), ValueError),
        (lambda: spirals(10, classes=1), ValueError),
        (lambda: spirals(2, classes=3), ValueError),
        (lambda: spirals(10, noise=-1.0), ValueError),
        (lambda: xor(3), ValueError),
        (lambda: xor(8, noise=-0.5), ValueError),
        (lambda: blobs(10, centers=0), ValueError),
        (lambda: blobs(2, centers=3), ValueError),
        (lambda: blobs(10, std=-1.0), ValueError),
        (lambda: blobs(10, centers=np.array([1.0, 2.0])), ValueError),
        (lambda: mean_data(0), ValueError),
        (lambda: piecewise(0), ValueError),
        (lambda: piecewise(10, seed=2**32), TypeError),
        (lambda: least_squares_line(n=-1), ValueError),
        (lambda: house_prices(standardized="yes"), TypeError),
    ],
)
def test_dataset_arguments_are_validated(call: Callable[[], Any], error: type) -> None:
    with pytest.raises(error):
        call()


# ---------------------------------------------------------------------- toys: geometry


def test_moons_lie_on_their_half_circles() -> None:
    X, y = moons(200, noise=0.0, seed=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()
    # with noise, every point stays within a few noise stds of its circle
    X, y = moons(200, noise=0.1, seed=1)
    r0 = np.hypot(X[y == 0, 0], X[y == 0, 1])
    r1 = np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5)
    assert np.abs(r0 - 1.0).max() < 0.5 and np.abs(r1 - 1.0).max() < 0.5
    assert 0.05 < np.abs(np.concatenate([r0, r1]) - 1.0).std() < 0.15


@pytest.mark.parametrize("n", [7, 100])
def test_moons_and_circles_have_sklearns_points(n: int) -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    cases = [
        (moons(n, noise=0.0), datasets.make_moons(n, shuffle=False)),
        (circles(n, noise=0.0, factor=0.3), datasets.make_circles(n, shuffle=False, factor=0.3)),
    ]
    for (X, y), (X_sk, y_sk) in cases:
        for label in (0, 1):  # the same points per class, up to order
            ours, theirs = X[y == label], X_sk[y_sk == label]
            np.testing.assert_allclose(ours[np.lexsort(ours.T)], theirs[np.lexsort(theirs.T)], atol=1e-12)


def test_circles_radii_are_one_and_factor() -> None:
    X, y = circles(60, noise=0.0, factor=0.3, seed=2)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=1e-12)


@pytest.mark.parametrize("classes", [2, 3])
def test_spiral_arms_are_rotated_copies(classes: int) -> None:
    X, y = spirals(30 * classes, classes=classes, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() == pytest.approx(0.1) and r.max() == pytest.approx(1.0)
    arm0 = X[y == 0]
    arm0 = arm0[np.argsort(np.hypot(arm0[:, 0], arm0[:, 1]))]
    for k in range(1, classes):
        phi = -2 * np.pi * k / classes  # rotate arm k back onto arm 0
        rot = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
        arm = X[y == k] @ rot.T
        arm = arm[np.argsort(np.hypot(arm[:, 0], arm[:, 1]))]
        np.testing.assert_allclose(arm, arm0, atol=1e-12)


def test_xor_truth_table_and_clusters() -> None:
    X, y = xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, (X[:, 0] != X[:, 1]).astype(int))
    X, y = xor(400, seed=5)  # noisy clusters around the corners, labelled by their corner
    corner = np.round(X).clip(0, 1)
    np.testing.assert_array_equal(y, (corner[:, 0] != corner[:, 1]).astype(int))
    assert np.abs(X - corner).max() < 0.6 and np.abs(X - corner).std() > 0.05
    np.testing.assert_array_equal(np.unique(corner, axis=0, return_counts=True)[1], [100, 100, 100, 100])


def test_blobs_center_on_their_centers() -> None:
    X, y = blobs(3000, centers=3, std=0.5, seed=0)
    means = np.array([X[y == k].mean(axis=0) for k in range(3)])
    angles = 2 * np.pi * np.arange(3) / 3
    np.testing.assert_allclose(means, 5 * np.column_stack([np.cos(angles), np.sin(angles)]), atol=0.1)
    centers = np.array([[0.0, 0.0, 1.0], [4.0, 4.0, 4.0]])
    X, y = blobs(10, centers=centers, std=0.0, seed=0)
    assert X.shape == (10, 3)
    np.testing.assert_array_equal(X, centers[y])


# ---------------------------------------------------------------------- the lectures' data


def test_mean_data_is_3_randn_plus_2() -> None:
    x = mean_data(10, seed=4)
    np.testing.assert_array_equal(x, 3 * np.random.default_rng(4).standard_normal(10) + 2)
    assert mean_data(100, seed=0).shape == (100,) and mean_data(5).shape == (5,)


def test_least_squares_line_reproduces_the_notes() -> None:
    state = global_numpy_state()
    try:  # the notes' own code, on numpy's global generator
        n = 10
        np.random.seed(1)
        xlin = -10 + 20 * np.random.random(n)
        y_notes = 1 + 0.5 * xlin + np.random.randn(n)
    finally:
        np.random.set_state(state)
    X, y = least_squares_line()
    np.testing.assert_array_equal(y, y_notes)
    np.testing.assert_array_equal(X, np.column_stack([np.ones(n), xlin]))


def test_piecewise_reproduces_the_notes() -> None:
    state = global_numpy_state()
    try:
        np.random.seed(42)
        x = np.random.normal(1, 4.5, 10000)
        y_notes = np.zeros_like(x)
        for i, xi in enumerate(x):  # the pieces, one sample at a time
            if xi < -2:
                y_notes[i] = 2 * xi + 5
            elif xi < 2:
                y_notes[i] = 7.3 * np.sin(xi)
            else:
                y_notes[i] = -0.03 * xi**3 + 2
        y_notes += np.random.normal(0, 1, 10000)
    finally:
        np.random.set_state(state)
    X, y = piecewise()
    assert X.shape == (10000, 1) and y.shape == (10000,)
    np.testing.assert_array_equal(X[:, 0], x)
    np.testing.assert_allclose(y, y_notes, rtol=1e-15, atol=1e-14)


HOUSES = [  # LESSONS.md, lesson 3: (size, bedrooms) -> price
    (2104, 3, 399900), (1600, 3, 329900), (2400, 3, 369000), (1416, 2, 232000), (3000, 4, 539900),
    (1985, 4, 299900), (1534, 3, 314900), (1427, 3, 198999), (1380, 3, 212000), (1494, 3, 242500),
]


def test_house_prices_raw_table() -> None:
    X, y, _ = house_prices(standardized=False)
    np.testing.assert_array_equal(X, [row[:2] for row in HOUSES])
    np.testing.assert_array_equal(y, [row[2] for row in HOUSES])
    assert X.dtype == np.float64 and y.dtype == np.float64


def test_house_prices_standardized_and_undone() -> None:
    Xs, ys, scaling = house_prices()
    raw = np.array(HOUSES, dtype=float)
    np.testing.assert_allclose(Xs.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(Xs.std(axis=0), 1.0, rtol=1e-14)
    np.testing.assert_allclose(scaling.unscale_y(ys), raw[:, 2], rtol=1e-14)
    np.testing.assert_allclose(scaling.scale_x(raw[:, :2]), Xs, rtol=1e-14)
    assert scaling.y_mean == pytest.approx(raw[:, 2].mean()) and scaling.y_std == pytest.approx(raw[:, 2].std())


# ---------------------------------------------------------------------- batching


def _ids(n: int) -> Any:
    """Rows that say who they are: X[i] = (i, -i), y[i] = i."""
    return np.column_stack([np.arange(n), -np.arange(n)]).astype(float), np.arange(n)


@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8), (1, 1)])
def test_batches_cover_every_sample_once_per_epoch(n: int, batch_size: int) -> None:
    X, y = _ids(n)
    batches = Batches(X, y, batch_size, seed=1)
    assert len(batches) == -(-n // batch_size)
    for _ in range(3):
        seen = [(Xb, yb) for Xb, yb in batches]
        assert len(seen) == len(batches)
        assert all(len(yb) == batch_size for _, yb in seen[:-1]) and 1 <= len(seen[-1][1]) <= batch_size
        order = np.concatenate([yb for _, yb in seen])
        np.testing.assert_array_equal(np.sort(order), np.arange(n))
        for Xb, yb in seen:  # rows stay paired with their targets
            np.testing.assert_array_equal(Xb[:, 0], yb)


def test_batches_reshuffle_each_epoch_reproducibly() -> None:
    X, y = _ids(50)
    a, b = Batches(X, y, 10, seed=7), Batches(X, y, 10, seed=7)
    epochs_a = [np.concatenate([yb for _, yb in a]) for _ in range(4)]
    epochs_b = [np.concatenate([yb for _, yb in b]) for _ in range(4)]
    for ea, eb in zip(epochs_a, epochs_b):
        np.testing.assert_array_equal(ea, eb)  # epoch k: the same order on every run
    assert not np.array_equal(epochs_a[0], epochs_a[1])  # a new order each epoch
    assert not np.array_equal(epochs_a[0], np.arange(50))
    other = np.concatenate([yb for _, yb in Batches(X, y, 10, seed=8)])
    assert not np.array_equal(other, epochs_a[0])


def test_batches_without_shuffle_and_drop_last() -> None:
    X, y = _ids(10)
    in_order = Batches(X, y, 4, shuffle=False)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in in_order]), np.arange(10))
    dropped = Batches(X, y, 4, drop_last=True, seed=0)
    assert len(dropped) == 2
    sizes = [len(yb) for _, yb in dropped]
    assert sizes == [4, 4]
    # a batch is a copy: changing it leaves the data alone
    Xb, _ = next(iter(in_order))
    Xb[:] = 99.0
    assert (X != 99.0).all()


def test_batches_argument_errors() -> None:
    X, y = _ids(10)
    with pytest.raises(ValueError, match="X has 10 rows but y has 9"):
        Batches(X, y[:9], 2)
    with pytest.raises(ValueError, match="batch_size"):
        Batches(X, y, 0)
    with pytest.raises(TypeError, match="batch_size"):
        Batches(X, y, 2.0)
    with pytest.raises(ValueError, match="no batches"):
        Batches(X, y, 11, drop_last=True)
    with pytest.raises(ValueError, match="empty"):
        Batches(np.zeros((0, 2)), np.zeros(0), 1)
    with pytest.raises(ValueError, match="nan"):
        Batches(np.full((2, 2), np.nan), np.zeros(2), 1)


def test_random_batches_as_lesson_4() -> None:
    X, y = _ids(300)
    batches = random_batches(X, y, batch_size=100, num_batches=200, seed=0)
    assert len(batches) == 200
    for Xb, yb in batches:
        assert Xb.shape == (100, 2) and len(np.unique(yb)) == 100  # no row twice in a batch
        np.testing.assert_array_equal(Xb[:, 0], yb)
    again = random_batches(X, y, 100, 200, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(batches, again))
    assert not np.array_equal(batches[0][1], batches[1][1])
    with pytest.raises(ValueError, match="larger than"):
        random_batches(X, y, 301, 1)


def test_train_test_split() -> None:
    X, y = _ids(25)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.1, seed=3)
    assert len(y_te) == 3 and len(y_tr) == 22  # ceil(2.5), as scikit-learn
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), np.arange(25))
    np.testing.assert_array_equal(X_tr[:, 0], y_tr)
    np.testing.assert_array_equal(X_te[:, 0], y_te)
    again = train_test_split(X, y, test_fraction=0.1, seed=3)
    np.testing.assert_array_equal(again[3], y_te)
    assert not np.array_equal(train_test_split(X, y, 0.1, seed=4)[3], y_te)
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="test_fraction"):
            train_test_split(X, y, test_fraction=bad)
    with pytest.raises(ValueError, match="no training samples"):
        train_test_split(X[:1], y[:1], test_fraction=0.5)


def test_standardize() -> None:
    X = np.random.default_rng(0).normal(3.0, 5.0, (40, 3))
    Xs, mean, std = standardize(X)
    np.testing.assert_allclose(Xs.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(Xs.std(axis=0), 1.0, rtol=1e-14)
    np.testing.assert_allclose(Xs * std + mean, X, rtol=1e-14)
    X[:, 1] = 2.0
    with pytest.raises(ValueError, match=r"column\(s\) \[1\] are constant"):
        standardize(X)


def test_one_hot() -> None:
    labels = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(one_hot(labels, 4), np.eye(4)[labels])
    assert one_hot([1.0, 0.0], 2).dtype == np.float64
    with pytest.raises(ValueError, match=r"outside 0\.\.2"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="integers"):
        one_hot([0.5], 3)
    with pytest.raises(ValueError, match="1-D"):
        one_hot([[0, 1]], 3)


# ---------------------------------------------------------------------- digits


def test_load_digits() -> None:
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0  # pixels 0..16, divided by 16
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    images, _ = load_digits(flatten=False, scale=False)
    assert images.shape == (1797, 8, 8) and images.max() == 16.0
    np.testing.assert_array_equal(images.reshape(1797, 64) / 16.0, X)


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # a None entry in sys.modules makes `import sklearn...` raise ImportError, as if missing
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_digits()
