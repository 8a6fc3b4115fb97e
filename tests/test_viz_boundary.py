"""viz.boundary: decision grids, decision-boundary figures and neuron maps.

What is drawn is compared with independent computations: the same network in PyTorch
(weights moved through ``state_dict``), a numpy forward pass written in the tests, the
scalar model called point by point, and ``nn.accuracy``'s rule written out by hand. The
boundary line is checked geometrically: the model's score on the drawn contour's
vertices is ~ the threshold.
"""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np
import pytest
from matplotlib.image import AxesImage
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import TwoSlopeNorm
from matplotlib.contour import ContourSet
from matplotlib.path import Path

import nn
from nn.layers import TensorMLP
from nn.losses import binary_cross_entropy_with_logits, cross_entropy
from nn.metrics import accuracy
from nn.optim import Adam
from nn.scalar import MLP
from nn.train import fit
from test_viz_inside import numpy_activations, torch_twin
from viz.boundary import DEFAULT_GRID, decision_grid, plot_decision_boundary, plot_neuron_maps

# ---------------------------------------------------------------------- models and data


@pytest.fixture(scope="module")
def moons_model() -> Tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A 2-8-1 tanh net trained briefly on moons (labels 0/1), with held-out points."""
    X, y = nn.moons(80, noise=0.1, seed=0)
    Xt, yt = nn.moons(30, noise=0.2, seed=1)
    model = TensorMLP(2, [8, 1], seed=0)
    fit(model, binary_cross_entropy_with_logits, (X, y.reshape(-1, 1).astype(float)), Adam(model.parameters(), lr=0.05),
        epochs=60, log_every=0, progress=False)
    return model, X, y.astype(float), Xt, yt.astype(float)


def scalar_twin(model) -> MLP:
    """The scalar MLP holding the weights of a TensorMLP(2, [h, ..., 1])."""
    sizes = [m.nout for m in model.modules if hasattr(m, "nout")]
    twin = MLP(2, sizes, activation=model.activation, output_activation=model.output_activation, seed=0)
    twin.load_state_dict(model.state_dict())
    return twin


def numpy_scores(model, P: np.ndarray) -> np.ndarray:
    """The model's output on P, from its state dict alone: last hidden activation @ W^T + b."""
    state = model.state_dict()
    h = numpy_activations(state, P, model.activation)[-1][1] if len(state) > 2 else P
    last = max(int(k.split(".")[0]) for k in state)
    return h @ state[f"{last}.weight"].T + state[f"{last}.bias"]


def mesh_of(ax) -> AxesImage:
    """The map under the points: the grid's values as an image (interpolated when drawn)."""
    (mesh,) = ax.get_images()
    assert mesh.get_interpolation() == "bilinear"  # smooth, not blocky
    return mesh


def contour_vertices(ax) -> np.ndarray:
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    pts = []
    for path in cs.get_paths():
        codes = path.codes if path.codes is not None else np.full(len(path.vertices), Path.LINETO)
        pts.append(path.vertices[codes != Path.CLOSEPOLY])  # CLOSEPOLY's vertex is a placeholder
    return np.vstack(pts)


def bilinear(xs: np.ndarray, ys: np.ndarray, grid: np.ndarray, P: np.ndarray) -> np.ndarray:
    """grid[i, j] (at x = xs[j], y = ys[i]) interpolated linearly in x and in y at the points P."""
    j = np.clip(np.searchsorted(xs, P[:, 0]) - 1, 0, len(xs) - 2)
    i = np.clip(np.searchsorted(ys, P[:, 1]) - 1, 0, len(ys) - 2)
    tx = (P[:, 0] - xs[j]) / (xs[j + 1] - xs[j])
    ty = (P[:, 1] - ys[i]) / (ys[i + 1] - ys[i])
    bottom = (1 - tx) * grid[i, j] + tx * grid[i, j + 1]
    top = (1 - tx) * grid[i + 1, j] + tx * grid[i + 1, j + 1]
    return (1 - ty) * bottom + ty * top


def scatters(ax) -> dict:
    return {c.get_label(): c for c in ax.collections if isinstance(c, PathCollection)}


# ---------------------------------------------------------------------- decision_grid


def test_grid_covers_the_data_and_its_scores_equal_pytorch(torch, moons_model):
    model, X, *_ = moons_model
    xx, yy, scores = decision_grid(model, X, n=30, margin=0.3)
    assert xx.shape == yy.shape == scores.shape == (30, 30)
    np.testing.assert_allclose(xx[0], np.linspace(X[:, 0].min() - 0.3, X[:, 0].max() + 0.3, 30))
    np.testing.assert_allclose(yy[:, 0], np.linspace(X[:, 1].min() - 0.3, X[:, 1].max() + 0.3, 30))
    assert (xx == xx[0]).all() and (yy.T == yy[:, 0]).all()  # rows share x, columns share y
    P = np.column_stack([xx.ravel(), yy.ravel()])
    expected = torch_twin(torch, model)(torch.tensor(P)).detach().numpy().reshape(30, 30)
    np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=1e-13)


def test_scalar_grid_is_the_model_called_point_by_point_and_equals_its_tensor_twin(moons_model):
    model, X, *_ = moons_model
    scalar = scalar_twin(model)
    xx, yy, scores = decision_grid(scalar, X, n=12)
    for i in range(12):
        for j in range(12):
            assert scores[i, j] == scalar([xx[i, j], yy[i, j]])[0].data
    np.testing.assert_allclose(scores, decision_grid(model, X, n=12)[2], rtol=1e-12, atol=1e-13)


def test_default_grid_size_follows_the_engine():
    X, _ = nn.moons(20, seed=0)
    assert decision_grid(TensorMLP(2, [3, 1], seed=0), X)[2].shape == (DEFAULT_GRID["tensor"],) * 2 == (200, 200)
    assert decision_grid(MLP(2, [2, 1], seed=0), X)[2].shape == (DEFAULT_GRID["value"],) * 2 == (90, 90)


def test_several_outputs_give_one_grid_per_output():
    X, _ = nn.blobs(30, 3, seed=0)
    model = TensorMLP(2, [5, 3], seed=2)
    xx, yy, scores = decision_grid(model, X, n=9)
    assert scores.shape == (9, 9, 3)
    expected = numpy_scores(model, np.column_stack([xx.ravel(), yy.ravel()])).reshape(9, 9, 3)
    np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=1e-13)


def test_decision_grid_errors():
    X, _ = nn.moons(20, seed=0)
    model = TensorMLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        decision_grid(model, np.ones((5, 3)))
    with pytest.raises(ValueError, match="2 inputs"):
        decision_grid(TensorMLP(3, [3, 1], seed=0), np.ones((5, 2)))
    with pytest.raises(ValueError, match="n "):
        decision_grid(model, X, n=1)
    with pytest.raises(ValueError, match="margin"):
        decision_grid(model, X, margin=-1.0)
    with pytest.raises(TypeError, match="margin"):
        decision_grid(model, X, margin=float("nan"))
    with pytest.raises(TypeError, match="nn model"):
        decision_grid(object(), X)


# ---------------------------------------------------------------------- plot_decision_boundary


def test_sign_mode_draws_raw_scores_centred_on_zero_and_the_zero_contour(moons_model):
    model, X, y, *_ = moons_model
    ax = plot_decision_boundary(model, X, y, mode="sign", n=60)
    xx, yy, scores = decision_grid(model, X, n=60)
    mesh = mesh_of(ax)
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(60, 60), scores)
    norm = mesh.norm
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0.0
    # symmetric about the threshold, out to the score farthest from it: one linear colour scale
    half = max(-scores.min(), scores.max())
    assert norm.vmin == -half and norm.vmax == half
    V = contour_vertices(ax)
    assert len(V) > 20
    # on the grid's own interpolation the line is exactly s = 0; on the model itself, nearly
    np.testing.assert_allclose(bilinear(xx[0], yy[:, 0], scores, V), 0.0, atol=1e-9)
    true = numpy_scores(model, V).ravel()
    assert np.abs(true).max() < 0.01 * np.ptp(scores)
    assert ax.figure.axes[-1].get_ylabel() == "score"  # the colorbar


def test_prob_mode_applies_the_sigmoid_and_centres_on_one_half(moons_model):
    model, X, y, *_ = moons_model
    ax = plot_decision_boundary(model, X, y, n=50)  # mode="prob" is the default
    _, _, scores = decision_grid(model, X, n=50)
    mesh = mesh_of(ax)
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(50, 50), 1.0 / (1.0 + np.exp(-scores)), rtol=1e-12)
    assert (mesh.norm.vmin, mesh.norm.vcenter, mesh.norm.vmax) == (0.0, 0.5, 1.0)
    p = 1.0 / (1.0 + np.exp(-numpy_scores(model, contour_vertices(ax)).ravel()))
    assert np.abs(p - 0.5).max() < 0.01


def test_prob_mode_for_a_model_that_outputs_a_probability():
    X, y = nn.moons(40, seed=0)
    model = TensorMLP(2, [6, 1], output_activation="sigmoid", seed=3)
    _, _, probs = decision_grid(model, X, n=40)
    threshold = float(np.median(probs))  # an untrained net's probabilities cluster: a level inside them
    ax = plot_decision_boundary(model, X, y, probability=True, threshold=threshold, n=40)
    mesh = mesh_of(ax)
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(40, 40), probs)  # no second sigmoid
    assert mesh.norm.vcenter == threshold
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert list(cs.levels) == [threshold]
    # raw scores are not probabilities: refused, with the fix
    raw = TensorMLP(2, [6, 1], seed=3)
    raw[2].bias.data[:] = 5.0
    with pytest.raises(ValueError, match="probability=False"):
        plot_decision_boundary(raw, X, y, probability=True, n=10)


def test_test_points_are_hollow_with_their_class_colours(moons_model):
    model, X, y, Xt, yt = moons_model
    ax = plot_decision_boundary(model, X, y, test=(Xt, yt), n=30)
    s = scatters(ax)
    assert set(s) == {"class 0", "class 1", "class 0 (test)", "class 1 (test)"}
    for c in ("0", "1"):
        train, test = s[f"class {c}"], s[f"class {c} (test)"]
        np.testing.assert_array_equal(test.get_facecolors()[0], [1.0, 1.0, 1.0, 1.0])  # hollow: white inside
        np.testing.assert_array_equal(test.get_paths()[0].vertices, train.get_paths()[0].vertices)  # the class's marker
        np.testing.assert_array_equal(test.get_edgecolors()[0], train.get_facecolors()[0])
        np.testing.assert_array_equal(test.get_offsets(), Xt[yt == float(c)])
        np.testing.assert_array_equal(train.get_offsets(), X[y == float(c)])
    assert s["class 0"].get_facecolors()[0].tolist() != s["class 1"].get_facecolors()[0].tolist()
    assert len(s["class 0"].get_paths()[0].vertices) != len(s["class 1"].get_paths()[0].vertices)  # circle, square
    # the grid spans the test points too
    x0, x1 = ax.get_xlim()
    assert x0 < min(X[:, 0].min(), Xt[:, 0].min()) and x1 > max(X[:, 0].max(), Xt[:, 0].max())


def test_accuracy_in_the_title_for_both_label_conventions(moons_model):
    model, X, y, Xt, yt = moons_model
    # nn.accuracy's rule by hand: positive prediction where the score is > 0
    acc = np.mean((numpy_scores(model, X).ravel() > 0) == (y > 0))
    acc_t = np.mean((numpy_scores(model, Xt).ravel() > 0) == (yt > 0))
    expected = f"train accuracy {acc:.1%}, test accuracy {acc_t:.1%}"
    assert acc == accuracy(numpy_scores(model, X), y, threshold=0.0)
    assert plot_decision_boundary(model, X, y, test=(Xt, yt), n=20).get_title() == expected
    ax = plot_decision_boundary(model, X, 2 * y - 1, test=(Xt, 2 * yt - 1), mode="sign", n=20)  # micrograd's -1/+1
    assert ax.get_title() == expected
    assert "class -1" in scatters(ax)
    # raw scores with 0/1 labels: still split at 0 (nn.accuracy alone would guess 0.5 here)
    assert plot_decision_boundary(model, X, y, test=(Xt, yt), mode="sign", n=20).get_title() == expected
    # a chosen threshold is the one the accuracy uses
    p = 1.0 / (1.0 + np.exp(-numpy_scores(model, X).ravel()))
    title = plot_decision_boundary(model, X, y, threshold=0.8, n=20).get_title()
    assert title == f"train accuracy {np.mean((p > 0.8) == (y > 0)):.1%}" != f"train accuracy {acc:.1%}"


def test_a_scalar_model_draws_the_same_picture_as_its_tensor_twin(moons_model):
    model, X, y, *_ = moons_model
    a = mesh_of(plot_decision_boundary(model, X, 2 * y - 1, mode="sign", n=15))
    b_ax = plot_decision_boundary(scalar_twin(model), X, 2 * y - 1, mode="sign", n=15)
    np.testing.assert_allclose(np.asarray(mesh_of(b_ax).get_array()), np.asarray(a.get_array()), rtol=1e-12, atol=1e-13)


def test_class_mode_draws_argmax_regions():
    X, y = nn.blobs(60, 3, seed=0)
    model = TensorMLP(2, [8, 3], seed=1)
    fit(model, cross_entropy, (X, y), Adam(model.parameters(), lr=0.05), epochs=30, log_every=0, progress=False)
    ax = plot_decision_boundary(model, X, y, mode="class", n=25)
    xx, yy, _ = decision_grid(model, X, n=25)
    expected = numpy_scores(model, np.column_stack([xx.ravel(), yy.ravel()])).argmax(axis=1).reshape(25, 25)
    np.testing.assert_array_equal(np.asarray(mesh_of(ax).get_array()).reshape(25, 25), expected)
    acc = np.mean(numpy_scores(model, X).argmax(axis=1) == y)
    assert ax.get_title() == f"train accuracy {acc:.1%}"
    assert set(scatters(ax)) == {"class 0", "class 1", "class 2"}
    one_hot = np.eye(3)[y]
    assert plot_decision_boundary(model, X, one_hot, mode="class", n=10).get_title() == ax.get_title()


def test_plot_decision_boundary_errors(moons_model):
    model, X, y, *_ = moons_model
    with pytest.raises(ValueError, match="unknown mode"):
        plot_decision_boundary(model, X, y, mode="probability")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(model, np.ones((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match=r"shape \(80,\)"):
        plot_decision_boundary(model, X, y[:-1])
    with pytest.raises(ValueError, match=r"\{-1, 1\}"):
        plot_decision_boundary(model, X, 2 * y)
    with pytest.raises(ValueError, match="mode='prob' or 'sign'"):
        plot_decision_boundary(model, X, y, mode="class")
    with pytest.raises(ValueError, match="mode='class'"):
        plot_decision_boundary(TensorMLP(2, [3, 3], seed=0), X, y)
    with pytest.raises(ValueError, match="no threshold"):
        plot_decision_boundary(TensorMLP(2, [3, 3], seed=0), X, y, mode="class", threshold=0.5)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        plot_decision_boundary(model, X, y, threshold=1.5)
    with pytest.raises(TypeError, match="threshold"):
        plot_decision_boundary(model, X, y, mode="sign", threshold="0")
    with pytest.raises(ValueError, match="mix"):
        plot_decision_boundary(model, X, y, test=(X, 2 * y - 1), n=5)
    with pytest.raises(TypeError, match="pair"):
        plot_decision_boundary(model, X, y, test=X)
    with pytest.raises(ValueError, match="probability=True"):
        plot_decision_boundary(model, X, y, mode="sign", probability=True)


def test_draws_on_a_given_axes(moons_model):
    import matplotlib.pyplot as plt

    model, X, y, *_ = moons_model
    fig, ax = plt.subplots()
    assert plot_decision_boundary(model, X, y, ax=ax, n=10, colorbar=False) is ax
    assert len(fig.axes) == 1 and ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"


# ---------------------------------------------------------------------- neuron maps


def panels(fig) -> list:
    return [ax for ax in fig.axes if ax.get_title().startswith("unit ")]


@pytest.mark.parametrize("layer", [0, 1, -1])
def test_neuron_maps_show_each_units_activation_over_the_plane(layer):
    X, y = nn.moons(40, seed=0)
    model = TensorMLP(2, [5, 3, 1], activation="tanh", seed=7)
    fig = plot_neuron_maps(model, X, layer=layer, y=y, n=20)
    xx, yy, _ = decision_grid(model, X, n=20)
    name, expected = numpy_activations(model.state_dict(), np.column_stack([xx.ravel(), yy.ravel()]), "tanh")[layer]
    shown = panels(fig)
    assert len(shown) == expected.shape[1] == (5 if layer == 0 else 3)
    layer_number = {0: 1, 1: 2, -1: 2}[layer]  # "1 (tanh)" is hidden layer 1, "3 (tanh)" hidden layer 2
    assert name in ("1 (tanh)", "3 (tanh)") and f"hidden layer {layer_number} (tanh)" in fig._suptitle.get_text()
    for j, ax in enumerate(shown):
        assert ax.get_title() == f"unit {j + 1}"  # units counted from 1, as a lecture does
        np.testing.assert_allclose(np.asarray(mesh_of(ax).get_array()).reshape(20, 20), expected[:, j].reshape(20, 20),
                                   rtol=1e-12, atol=1e-14)
        points = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(points) == 2  # one marker per class
        for c, group in zip((0.0, 1.0), points):
            np.testing.assert_array_equal(group.get_offsets(), X[y == c])
        assert points[0].get_paths()[0] != points[1].get_paths()[0]
        assert (mesh_of(ax).norm.vmin, mesh_of(ax).norm.vmax) == (-1.0, 1.0)  # tanh's range, shared


def test_scalar_and_tensor_twins_give_the_same_neuron_maps():
    X, _ = nn.moons(30, seed=0)
    tensor = TensorMLP(2, [4, 1], activation="relu", seed=2)
    maps = [panels(plot_neuron_maps(m, X, n=15)) for m in (tensor, MLP(2, [4, 1], activation="relu", seed=2))]
    assert len(maps[0]) == len(maps[1]) == 4
    for a, b in zip(*maps):
        np.testing.assert_allclose(np.asarray(mesh_of(a).get_array()), np.asarray(mesh_of(b).get_array()), rtol=1e-12, atol=1e-14)


def test_neuron_maps_over_an_extent_without_data():
    model = MLP(2, [3, 1], activation="sigmoid", seed=0)
    fig = plot_neuron_maps(model, extent=(-1, 2, -3, 0), n=8)
    shown = panels(fig)
    assert len(shown) == 3 and all(not any(isinstance(c, PathCollection) for c in ax.collections) for ax in shown)
    x0, x1, y0, y1 = mesh_of(shown[0]).get_extent()  # cell edges: half a step beyond the centres
    assert x0 < -1 < x0 + 0.5 and y1 > 0


def test_neuron_maps_errors():
    X, _ = nn.moons(20, seed=0)
    model = TensorMLP(2, [4, 4, 1], seed=0)
    with pytest.raises(IndexError, match=r"has 2: 0: '1 \(tanh\)', 1: '3 \(tanh\)'"):
        plot_neuron_maps(model, X, layer=2, n=5)
    with pytest.raises(ValueError, match="2 inputs"):
        plot_neuron_maps(TensorMLP(3, [4, 1], seed=0), X, n=5)
    with pytest.raises(ValueError, match="extent"):
        plot_neuron_maps(model, n=5)
    with pytest.raises(ValueError, match="xmin < xmax"):
        plot_neuron_maps(model, extent=(1, 0, 0, 1), n=5)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_neuron_maps(model, np.ones((3, 3)), n=5)
