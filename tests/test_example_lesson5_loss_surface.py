"""examples/lesson5_loss_surface.py, run once in --fast mode; its numbers checked against numpy.

The data are rebuilt here from the notes' recipe (np.random.seed(42) style), and every
loss the example claims for the 2-weight network f(x) = W2 tanh(W1 x) is recomputed with
plain numpy: the surface at the start, the whole grid's lowest point, and the SGD path
itself (mini-batch SGD with the derivatives written out, over the same batches).
"""

import math

import numpy as np
import pytest

import nn
from example_runner import event, figure_problems, run_example

NAME = "lesson5_loss_surface"
FIGURES = {"data.png", "surface_path.png", "sgd_loss_and_fit.png", "mlp_fit.png", "random_plane.png",
           "interpolation_and_pca.png"}


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    return run_example(NAME, tmp_path_factory.mktemp(NAME), "--fast")


@pytest.fixture(scope="module")
def data(summary):
    """(X_train, X_test, y_train, y_test) as the example made them, from the notes' recipe."""
    c = summary["config"]
    rs = np.random.RandomState(c["data_seed"])  # the notes: np.random.seed(42); np.random.normal(...)
    x = rs.normal(1, 4.5, c["n"])
    y = np.where(x < -2, 2 * x + 5, np.where(x < 2, 7.3 * np.sin(x), -0.03 * x**3 + 2))
    y = y + rs.normal(0, 1, c["n"])
    return nn.train_test_split(x[:, None], y, test_fraction=c["test_fraction"], seed=c["split_seed"])


def mse_numpy(w1, w2, X, y):
    """The test loss of f(x) = w2 tanh(w1 x), by numpy alone."""
    return float(np.mean((w2 * np.tanh(w1 * X[:, 0]) - y) ** 2))


def close(a, b, tol=1e-10):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def test_it_ran_in_fast_mode_and_wrote_every_figure(summary):
    assert summary["mode"] == "fast"
    assert FIGURES <= set(summary["files"]), FIGURES - set(summary["files"])


def test_the_data_are_the_notes(summary, data):
    X_train, X_test, y_train, y_test = data
    d = event(summary, "data")
    assert (d["n"], d["train"], d["test"]) == (summary["config"]["n"], len(X_train), len(X_test))
    # with no biases, W1 = 0 or W2 = 0 outputs 0: the loss there is mean(y^2)
    assert close(d["loss_at_zero"], float(np.mean(y_test**2)))
    assert close(d["y_mean"], float(y_test.mean()))


def test_the_network_has_two_weights_and_both_engines_agree(summary, data):
    net = event(summary, "network")
    assert net["params"] == 2
    assert net["names"] == ["0.weight", "2.weight"]
    w = summary["config"]["w_start"]
    expected = mse_numpy(w, w, data[1], data[3])
    assert close(net["tensor_loss"], expected)
    assert close(net["scalar_loss"], expected)
    assert net["difference"] < 1e-9


def test_the_surface_at_the_start_is_the_paths_first_test_loss(summary, data):
    start = event(summary, "sgd_start")
    w = summary["config"]["w_start"]
    assert (start["W1"], start["W2"]) == (w, w)
    assert close(start["surface_loss"], start["test_loss"], 1e-12)
    assert close(start["test_loss"], mse_numpy(w, w, data[1], data[3]))


def test_the_surfaces_lowest_point_matches_a_numpy_grid(summary, data):
    c = summary["config"]
    grid = np.round(np.arange(-2, 2, c["grid_step"]), 10)
    X_test, y_test = data[1], data[3]
    # Z[i, j] at (W1 = grid[j], W2 = grid[i]), all at once: (ny, nx, N)
    pred = grid[:, None, None] * np.tanh(grid[None, :, None] * X_test[None, None, :, 0])
    Z = np.mean((pred - y_test) ** 2, axis=2)
    i, j = np.unravel_index(np.argmin(Z), Z.shape)
    s = event(summary, "surface")
    assert s["grid"] == f"{len(grid)}x{len(grid)}" and s["points"] == Z.size
    assert close(s["min_loss"], float(Z.min()))
    assert close(s["max_loss"], float(Z.max()))
    assert (s["min_W1"], s["min_W2"]) == (grid[j], grid[i])


def test_the_sgd_path_falls_and_matches_sgd_written_out_in_numpy(summary, data):
    c = summary["config"]
    X_train, X_test, y_train, y_test = data
    start, end = event(summary, "sgd_start"), event(summary, "sgd_end")
    assert end["fell"] is True
    assert end["test_loss"] < start["test_loss"]
    assert end["epochs"] == c["epochs"] and end["batch_size"] == c["batch_size"]
    assert end["val_loss_gap"] < 1e-9  # fit's validation = the snapshots' test losses

    # The same SGD by hand: L = mean((w2 tanh(w1 x) - y)^2) over each batch, the same batches.
    w1 = w2 = c["w_start"]
    batches = nn.Batches(X_train, y_train, batch_size=c["batch_size"], seed=c["batch_seed"])
    steps = 0
    for _ in range(c["epochs"]):
        for Xb, yb in batches:
            x = Xb[:, 0]
            h = np.tanh(w1 * x)
            r = 2 * (w2 * h - yb) / len(yb)  # dL/df
            g1, g2 = np.sum(r * w2 * (1 - h**2) * x), np.sum(r * h)
            w1, w2 = w1 - c["lr"] * g1, w2 - c["lr"] * g2
            steps += 1
    assert end["steps"] == steps
    assert close(end["W1"], w1, 1e-9) and close(end["W2"], w2, 1e-9)
    assert close(end["test_loss"], mse_numpy(w1, w2, X_test, y_test), 1e-9)


def test_the_random_plane_is_centred_on_the_trained_network(summary):
    p = event(summary, "plane")
    m = event(summary, "mlp")
    assert m["params"] == 1 * 16 + 16 + 16 * 16 + 16 + 16 * 1 + 1  # 1 -> 16 -> 16 -> 1 with biases
    assert close(p["center_loss"], p["evaluate_loss"], 1e-12)  # nn.evaluate on the trained model
    assert close(p["grid_center"], p["center_loss"], 1e-12)  # the middle grid point is a = b = 0
    assert p["evaluate_loss"] == m["test_loss"]
    assert p["min_loss"] <= p["center_loss"] < p["max_loss"]


def test_the_line_from_initial_to_trained_ends_at_both_models(summary):
    line = event(summary, "interpolate")
    assert close(line["loss_init"], line["evaluate_init"], 1e-12)
    assert close(line["loss_trained"], line["evaluate_trained"], 1e-12)
    assert line["evaluate_trained"] < line["evaluate_init"]  # training helped


def test_the_pca_directions_explain_the_path(summary):
    pca = event(summary, "pca")
    first, second = pca["explained"]
    assert 1.0 >= first >= second > 0.0 and first + second <= 1.0 + 1e-12
    assert pca["points"] == summary["config"]["mlp_epochs"] + 1  # before training, then each epoch


def test_every_figure_follows_the_lecture_rules(summary):
    # legends off the data, no clipped marker, 3-D paths above the surface, text size at
    # projection, no overlapping text, contrast, series told apart for colour-blind viewers
    # (tests/figure_checks.py, applied to every figure the script saved)
    assert figure_problems(summary) == {}
