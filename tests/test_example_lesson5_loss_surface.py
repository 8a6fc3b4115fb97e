"""examples/lesson5_loss_surface.py, run once in --fast mode; its numbers checked against numpy.

The data are rebuilt here from the notes' recipe (np.random.seed(42) style), and every
loss the example claims for the 2-weight network f(x) = W2 tanh(W1 x) is recomputed with
plain numpy: the surface at the start, the whole grid's lowest point, and the SGD path
itself (mini-batch SGD with the derivatives written out, over the same batches). The
sharpness along that path is checked against the 2 x 2 Hessian differentiated by hand.
"""

import math

import numpy as np
import pytest

import nn
from example_runner import event, figure_problems, run_example

NAME = "lesson5_loss_surface"
FIGURES = {"data.png", "surface_path.png", "sgd_loss_and_fit.png", "mlp_fit.png", "random_plane.png",
           "interpolation_and_pca.png", "sharpness.png"}


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


def hessian_numpy(w1, w2, X, y):
    """The 2 x 2 Hessian of L = mean((w2 tanh(w1 x) - y)^2), differentiated by hand."""
    x = X[:, 0]
    t = np.tanh(w1 * x)
    r = w2 * t - y  # the residuals
    s = 1 - t**2  # tanh'
    h11 = 2 * np.mean(w2**2 * s**2 * x**2 - 2 * r * w2 * t * s * x**2)  # d2L/dw1^2
    h12 = 2 * np.mean(s * x * (w2 * t + r))  # d2L/dw1 dw2
    h22 = 2 * np.mean(t**2)  # d2L/dw2^2
    return np.array([[h11, h12], [h12, h22]])


def _power_iteration_converged(rec, c):
    assert rec["seed"] == c["power_seed"] and rec["tol"] == c["power_tol"]
    assert max(rec["power_steps"]) < c["power_max_steps"]  # every point converged, none ran out of steps
    assert all(r <= c["power_tol"] * lam for r, lam in zip(rec["residual"], rec["lam_max"]))
    assert rec["other_seed_lam"] == pytest.approx(rec["lam_max"][-1], rel=1e-6)  # another start: the same top
    assert rec["train_loss"] == pytest.approx(rec["evaluate_loss"], rel=1e-12)  # mse_of is the model's own loss
    assert rec["chunks"] == math.ceil(rec["samples"] / c["chunk"])


def test_the_two_weight_networks_sharpness_is_the_top_eigenvalue_of_its_hessian(summary, data):
    c = summary["config"]
    X_train, _, y_train, _ = data
    rec = event(summary, "sharpness", network="1-1-1")
    assert rec["samples"] == len(X_train) and rec["epochs"] == list(range(c["epochs"] + 1))
    _power_iteration_converged(rec, c)
    assert rec["two_over_lr"] == 2 / c["lr"]

    # The points: before training and after each epoch of the same SGD, written out in numpy.
    w1 = w2 = c["w_start"]
    points = [(w1, w2)]
    batches = nn.Batches(X_train, y_train, batch_size=c["batch_size"], seed=c["batch_seed"])
    for _ in range(c["epochs"]):
        for Xb, yb in batches:
            h = np.tanh(w1 * Xb[:, 0])
            r = 2 * (w2 * h - yb) / len(yb)
            w1, w2 = w1 - c["lr"] * np.sum(r * w2 * (1 - h**2) * Xb[:, 0]), w2 - c["lr"] * np.sum(r * h)
        points.append((w1, w2))
    np.testing.assert_allclose(rec["W"], points, rtol=1e-9, atol=1e-12)

    for k, (a, b) in enumerate(points):  # the curvatures, by the hand-derived Hessian on the training set
        lam = np.linalg.eigvalsh(hessian_numpy(a, b, X_train, y_train))
        assert rec["lam_max"][k] == pytest.approx(lam[1], rel=1e-6), k  # power iteration on hvp
        assert rec["lam_max_hessian"][k] == pytest.approx(lam[1], rel=1e-10), k  # hessian()
        assert rec["lam_min"][k] == pytest.approx(lam[0], rel=1e-9), k
    assert rec["train_loss"] == pytest.approx(mse_numpy(w1, w2, X_train, y_train), rel=1e-10)
    # What the lesson says: a bowl all along, both curvatures falling, far below SGD's limit 2/eta.
    assert min(rec["lam_min"]) > 0
    assert rec["lam_max"][-1] < rec["lam_max"][0] and rec["lam_min"][-1] < rec["lam_min"][0]
    assert max(rec["lam_max"]) < rec["two_over_lr"] / 50


def test_the_mlp_sharpens_past_two_over_eta_and_power_iteration_finds_the_hessians_top(summary, data):
    c = summary["config"]
    rec = event(summary, "sharpness", network="1-16-16-1")
    assert rec["epochs"] == list(range(c["mlp_epochs"] + 1)) and rec["samples"] == len(data[0])
    _power_iteration_converged(rec, c)
    assert rec["two_over_lr"] == 2 / c["mlp_lr"]
    # the whole 321 x 321 Hessian at the end of training, by hessian(): symmetric, and its top is
    # the power iteration's; its bottom is negative but smaller in size (so the largest |eigenvalue|,
    # which power iteration finds, is the largest eigenvalue)
    assert rec["hessian_size"] == event(summary, "mlp")["params"] == 321
    assert rec["asymmetry"] < 1e-12
    assert rec["lam_max"][-1] == pytest.approx(rec["end_lam_max_hessian"], rel=1e-6)
    assert -rec["end_lam_max_hessian"] < rec["end_lam_min_hessian"] < 0
    # progressive sharpening: the top curvature grows tenfold and more, past plain descent's 2/eta
    assert rec["lam_max"][-1] > 10 * rec["lam_max"][0]
    assert rec["lam_max"][0] < rec["two_over_lr"] < rec["lam_max"][-1]


def test_every_figure_follows_the_lecture_rules(summary):
    # legends off the data, no clipped marker, 3-D paths above the surface, text size at
    # projection, no overlapping text, contrast, series told apart for colour-blind viewers
    # (tests/figure_checks.py, applied to every figure the script saved)
    assert figure_problems(summary) == {}
