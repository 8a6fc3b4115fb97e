"""viz.images: digit grids, matrices as images, PCA (checked against scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest

from viz import style

import nn
from autograd_lite import Tensor
from viz import PCA, pca, plot_images, plot_matrix, plot_pca


@pytest.fixture(scope="module")
def digits():
    return nn.load_digits()


def test_plot_images_draws_each_image_with_its_label_and_marks_wrong_predictions(digits) -> None:
    X, y = digits
    pred = y[:12].copy()
    pred[[2, 7]] = (pred[[2, 7]] + 1) % 10
    fig = plot_images(X[:12], y[:12], predictions=pred, ncols=5)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 15 and len(shown) == 12  # 3 rows of 5, the last 3 panels empty
    for k, ax in enumerate(shown):
        np.testing.assert_array_equal(ax.images[0].get_array(), X[k].reshape(8, 8))
        title = ax.title
        wrong = k in (2, 7)
        # a right prediction shows the label; a wrong one "true → predicted", in dark red and framed
        assert title.get_text() == (f"{y[k]} → {pred[k]}" if wrong else f"{y[k]}")
        assert (title.get_color() == style.TEXT_RED) == wrong
        assert all(sp.get_visible() for sp in ax.spines.values()) == wrong
    # one grey scale for all: the data's range
    assert {ax.images[0].get_clim() for ax in shown} == {(float(X[:12].min()), float(X[:12].max()))}


def test_plot_images_takes_image_stacks_and_explicit_shapes() -> None:
    imgs = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    fig = plot_images(imgs)
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), imgs[1])
    fig = plot_images(imgs.reshape(2, 12), shape=(3, 4))
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), imgs[0])


def test_plot_images_errors_say_what_to_pass() -> None:
    with pytest.raises(ValueError, match=r"rows of 12 pixels are not square images; pass shape="):
        plot_images(np.zeros((2, 12)))
    with pytest.raises(ValueError, match=r"shape=\(5, 5\) does not hold 12 pixels"):
        plot_images(np.zeros((2, 12)), shape=(5, 5))
    with pytest.raises(ValueError, match=r"got 500 images; pass between 1 and 200"):
        plot_images(np.zeros((500, 4)))
    with pytest.raises(ValueError, match=r"3 labels for 2 images"):
        plot_images(np.zeros((2, 4)), [1, 2, 3])
    with pytest.raises(ValueError, match=r"predictions need labels"):
        plot_images(np.zeros((2, 4)), predictions=[1, 2])
    with pytest.raises(ValueError, match=r"images holds nan or inf"):
        plot_images(np.full((2, 4), np.nan))


def test_plot_matrix_shows_the_array_and_centres_signed_data() -> None:
    A = np.array([[1.0, -3.0], [0.5, 2.0], [0.0, 1.0]])
    ax = plot_matrix(Tensor(A), title="W", centered=True)
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array(), A)
    assert image.get_clim() == (-3.0, 3.0) and ax.get_title() == "W"
    assert len(ax.figure.axes) == 2  # the colorbar
    onehot = nn.one_hot(np.array([0, 2, 1]), 3)
    ax = plot_matrix(onehot, colorbar=False, xlabel="class", ylabel="sample")
    assert ax.images[0].get_clim() == (0.0, 1.0) and ax.get_title() == "3 x 3" and len(ax.figure.axes) == 1
    assert ax.get_xlabel() == "class"
    with pytest.raises(ValueError, match=r"plot_matrix: matrix must be a non-empty 2-D array, got shape \(2, 2, 2\)"):
        plot_matrix(np.zeros((2, 2, 2)))


def test_pca_matches_scikit_learn_up_to_sign_and_is_deterministic(digits) -> None:
    decomposition = pytest.importorskip("sklearn.decomposition")
    X, _ = digits
    ours = pca(X, 3)
    theirs = decomposition.PCA(n_components=3, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained, theirs.explained_variance_ratio_, rtol=1e-10)
    for k in range(3):
        sign = np.sign(ours.components[k] @ theirs.components_[k])
        np.testing.assert_allclose(ours.components[k], sign * theirs.components_[k], atol=1e-10)
        np.testing.assert_allclose(ours.scores[:, k], sign * theirs.transform(X)[:, k], atol=1e-8)
    # the sign rule: each component's largest entry is positive
    for c in ours.components:
        assert c[np.abs(c).argmax()] > 0
    np.testing.assert_allclose(ours.components @ ours.components.T, np.eye(3), atol=1e-12)
    assert isinstance(ours, PCA)
    with pytest.raises(ValueError, match=r"pca: n must be an int from 1 to min\(N, D\) = 2"):
        pca(np.zeros((2, 5)), 3)


def test_plot_pca_scatters_the_scores_by_class_with_variance_in_the_labels(digits) -> None:
    X, y = digits
    X, y = X[:300], y[:300]
    ax = plot_pca(X, y)
    result = pca(X, 2)
    assert len(ax.collections) == len(np.unique(y))
    for coll, label in zip(ax.collections, [t.get_text() for t in ax.get_legend().get_texts()]):
        mask = y == int(label)
        np.testing.assert_allclose(coll.get_offsets(), result.scores[mask])
    assert ax.get_xlabel() == f"PC1 ({100 * result.explained[0]:.1f}% of variance)"
    assert ax.get_legend().get_title().get_text() == "label"
    assert plot_pca(X, y, legend_title="digit").get_legend().get_title().get_text() == "digit"
    # weight rows of a layer work the same way (one point per neuron)
    model = nn.TensorMLP(64, [50, 10], seed=0)
    ax = plot_pca(model.state_dict()["0.weight"], title="first-layer weights")
    assert len(ax.collections[0].get_offsets()) == 50 and ax.get_title() == "first-layer weights"
    with pytest.raises(ValueError, match=r"2 labels for 300 rows"):
        plot_pca(X, [0, 1])
