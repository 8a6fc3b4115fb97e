"""viz.landscape: loss surfaces, Li et al. planes, interpolation, PCA paths, and their figures.

The numbers are checked against independent computations: a closed-form loss of the
1-1-1 network over the whole grid, models loaded with modified state dicts and run
through ``nn.evaluate``, PyTorch on the same weights, ``np.linalg.svd`` for the PCA.
"""

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, Value
from nn.losses import cross_entropy, mse
from nn.optim import SGD
from nn.train import History, evaluate, fit
from viz.landscape import (
    Line,
    PCADirections,
    Surface,
    filter_normalize,
    interpolate,
    loss_surface,
    pca_directions,
    plot_contour,
    plot_interpolation,
    plot_surface3d,
    plot_trajectory,
    random_directions,
    random_plane,
    snapshot_losses,
    trajectory,
)


# ---------------------------------------------------------------------- data and models


def regression(n=30, nin=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nin))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.normal(size=n)
    return X, y


def tiny_net(seed=0):
    """The lesson-5 network: 1 -> 1 tanh -> 1, no biases: exactly W1 and W2."""
    return nn.MLP(1, [1, 1], activation="tanh", bias=False, seed=seed)


def lesson5_data(n=200):
    X, y = nn.piecewise(n=n)
    return X, y


def closed_form_1_1_1(w1, w2, X, y):
    """mean_n (W2 tanh(W1 x_n) - y_n)^2 for every (W1, W2) at once: the independent oracle."""
    x = X[:, 0]
    pred = w2[..., None] * np.tanh(w1[..., None] * x)  # (..., N)
    return ((pred - y) ** 2).mean(axis=-1)


def load_and_evaluate(model_factory, state, loss_fn, data):
    """The loss of a fresh model holding ``state``: an independent evaluation."""
    m = model_factory()
    m.load_state_dict(state)
    return evaluate(m, loss_fn, data)["loss"]


def snapshot_state(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_same_state(model, before):
    after = model.state_dict()
    assert list(after) == list(before)
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])  # bit for bit


# ---------------------------------------------------------------------- loss_surface: numbers


def test_lesson5_grid_equals_the_closed_form_loss_everywhere():
    X, y = lesson5_data(200)
    model = nn.TensorMLP(1, [1, 1], activation="tanh", bias=False, seed=3)
    ws = np.arange(-2, 2, 0.05)
    s = loss_surface(model, mse, (X, y), grid=(ws, ws), progress=False)
    assert s.Z.shape == (80, 80)
    w1, w2 = np.meshgrid(ws, ws)  # Z[i, j]: W1 = xs[j], W2 = ys[i]
    np.testing.assert_allclose(s.Z, closed_form_1_1_1(w1, w2, X, y), rtol=1e-12, atol=1e-12)
    assert s.names == ("W1", "W2") and s.keys == ("0.weight[0, 0]", "2.weight[0, 0]")  # people's names, and the keys
    keyed = loss_surface(model, mse, (X, y), grid=(ws[:3], ws[:3]), names="keys", progress=False)
    assert keyed.names == ("0.weight[0, 0]", "2.weight[0, 0]")


def test_scalar_track_grid_equals_the_closed_form_loss():
    X, y = lesson5_data(20)
    model = tiny_net(seed=1)
    s = loss_surface(model, mse, (X, y), span=1.5, n=7, progress=False)
    w0 = model.state_dict()
    np.testing.assert_allclose(s.xs, w0["0.weight"][0, 0] + 1.5 * np.linspace(-1, 1, 7), rtol=0, atol=1e-15)
    w1, w2 = np.meshgrid(s.xs, s.ys)
    np.testing.assert_allclose(s.Z, closed_form_1_1_1(w1, w2, X, y), rtol=1e-12)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_centre_of_the_surface_is_the_model_loss(engine):
    X, y = regression(25)
    model = nn.MLP(2, [4, 1], seed=0) if engine == "value" else nn.TensorMLP(2, [4, 1], seed=0)
    s = loss_surface(model, mse, (X, y), params=("0.weight[1, 0]", "2.bias[0]"), span=0.5, n=5, progress=False)
    expected = evaluate(model, mse, (X, y))["loss"]
    assert abs(s.Z[2, 2] - expected) <= 1e-12
    assert abs(s.center_loss - expected) <= 1e-12
    state = model.state_dict()
    assert s.center == (state["0.weight"][1, 0], state["2.bias"][0])
    assert s.xs[2] == s.center[0] and s.ys[2] == s.center[1]  # exactly the model's own values


def test_surface_entries_equal_losses_of_modified_state_dicts():
    X, y = regression(25)
    factory = lambda: nn.TensorMLP(2, [4, 3, 1], seed=0)  # noqa: E731
    model = factory()
    s = loss_surface(model, mse, (X, y), params=("2.weight[2, 1]", ("0.weight", (3, 0))), span=2.0, n=5, progress=False)
    for i, j in [(0, 0), (1, 3), (4, 2), (3, 4)]:
        state = model.state_dict()
        state["2.weight"][2, 1] = s.xs[j]
        state["0.weight"][3, 0] = s.ys[i]
        assert abs(s.Z[i, j] - load_and_evaluate(factory, state, mse, (X, y))) <= 1e-12


def test_scalar_and_tensor_twins_give_the_same_surface():
    X, y = regression(15)
    args = dict(params=("0.weight[0, 1]", "2.weight[0, 3]"), span=1.0, n=5, progress=False)
    a = loss_surface(nn.MLP(2, [4, 1], seed=7), mse, (X, y), **args)
    b = loss_surface(nn.TensorMLP(2, [4, 1], seed=7), mse, (X, y), **args)
    np.testing.assert_allclose(a.Z, b.Z, rtol=1e-12)
    np.testing.assert_array_equal(a.xs, b.xs)
    pa = random_plane(nn.MLP(2, [4, 1], seed=7), mse, (X, y), n=5, progress=False, seed=2)
    pb = random_plane(nn.TensorMLP(2, [4, 1], seed=7), mse, (X, y), n=5, progress=False, seed=2)
    np.testing.assert_allclose(pa.Z, pb.Z, rtol=1e-12)


def test_parameter_references_in_every_form_name_the_same_number():
    X, y = regression(10)
    scalar = nn.MLP(2, [3, 1], seed=0)
    named = dict(scalar.named_parameters())
    forms = ["0.weight[2, 1]", ("0.weight", (2, 1)), ("0.weight", [2, 1]), named["0.weight[2, 1]"], "0.weight[-1, -1]"]
    surfaces = [loss_surface(scalar, mse, (X, y), params=(f, "2.bias"), n=3, progress=False) for f in forms]
    for s in surfaces:
        assert s.params == (("0.weight", (2, 1)), ("2.bias", (0,)))
        np.testing.assert_array_equal(s.Z, surfaces[0].Z)
    tensor = nn.TensorMLP(2, [3, 1], seed=0)
    s = loss_surface(tensor, mse, (X, y), params=((tensor[0].weight, (2, 1)), "2.bias[0]"), n=3, progress=False)
    np.testing.assert_allclose(s.Z, surfaces[0].Z, rtol=1e-12)


# ---------------------------------------------------------------------- the fast path


@pytest.mark.parametrize("kind", ["plane", "first_layer", "later_layer", "interpolate"])
def test_fast_path_equals_the_plain_loop(kind):
    X, y = regression(40, nin=3)
    model = nn.TensorMLP(3, [6, 5, 2], activation="relu", output_activation="sigmoid", seed=4)
    Y = np.stack([y, -y], axis=1)
    if kind == "plane":
        run = lambda fast: random_plane(model, mse, (X, Y), n=7, seed=1, ignore_bias=False, fast=fast, progress=False).Z  # noqa: E731
    elif kind == "first_layer":
        run = lambda fast: loss_surface(model, mse, (X, Y), params=("0.bias[2]", "4.weight[1, 0]"), n=5, fast=fast, progress=False).Z  # noqa: E731
    elif kind == "later_layer":  # the first two layers never move: computed once
        run = lambda fast: loss_surface(model, mse, (X, Y), params=("4.weight[0, 4]", "4.bias[1]"), n=5, fast=fast, progress=False).Z  # noqa: E731
    else:
        other = nn.TensorMLP(3, [6, 5, 2], activation="relu", output_activation="sigmoid", seed=5)
        run = lambda fast: interpolate(model, other, mse, (X, Y), n=9, extend=0.5, fast=fast, progress=False).loss  # noqa: E731
    before = snapshot_state(model)
    fast, plain = run(True), run(False)
    np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-14)
    assert np.ptp(fast) > 1e-3  # a flat surface would agree trivially
    assert_same_state(model, before)


def test_fast_path_computes_the_fixed_layers_once():
    X, y = regression(20, nin=3)
    model = nn.TensorMLP(3, [4, 4, 1], seed=0)  # Linear, Tanh, Linear, Tanh, Linear
    calls = {i: 0 for i in range(len(model))}
    for i, layer in enumerate(model.modules):
        def counted(x, _forward=layer.forward, _i=i):
            calls[_i] += 1
            return _forward(x)
        layer.forward = counted
    loss_surface(model, mse, (X, y), params=("4.weight[0, 1]", "4.bias[0]"), n=3, progress=False)
    # the model's own loss once, then the fixed layers once for all 9 grid points; the
    # moving Linear is replaced by a mix of its precomputed outputs, only the rest runs 9 times
    assert calls == {0: 2, 1: 2, 2: 2, 3: 2, 4: 1}
    for key in calls:
        calls[key] = 0
    loss_surface(model, mse, (X, y), params=("4.weight[0, 1]", "4.bias[0]"), n=3, progress=False, fast=False)
    assert calls == {i: 10 for i in calls}


def test_fast_path_with_cross_entropy_on_digits_shape():
    rng = np.random.default_rng(0)
    X, labels = rng.random((60, 64)), rng.integers(0, 10, 60)
    model = nn.TensorMLP(64, [50, 10], activation="relu", bias=False, seed=0)
    a = random_plane(model, cross_entropy, (X, labels), n=5, fast=True, progress=False)
    b = random_plane(model, cross_entropy, (X, labels), n=5, fast=False, progress=False)
    np.testing.assert_allclose(a.Z, b.Z, rtol=1e-12)


# ---------------------------------------------------------------------- random_plane


def test_plane_against_pytorch(torch):
    X, y = regression(30)
    model = nn.TensorMLP(2, [5, 4, 1], seed=0)
    s = random_plane(model, mse, (X, y), n=5, span=0.8, seed=3, progress=False)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    )
    d1, d2 = s.directions
    theta0 = model.state_dict()
    Xt, yt = torch.tensor(X), torch.tensor(y)[:, None]
    expected = np.empty_like(s.Z)
    with torch.no_grad():
        for i, b in enumerate(s.ys):
            for j, a in enumerate(s.xs):
                net.load_state_dict({k: torch.tensor(theta0[k] + a * d1[k] + b * d2[k]) for k in theta0})
                expected[i, j] = torch.nn.functional.mse_loss(net(Xt), yt).item()
    np.testing.assert_allclose(s.Z, expected, rtol=1e-12)
    assert abs(s.Z[2, 2] - evaluate(model, mse, (X, y))["loss"]) <= 1e-12
    assert s.center == (0.0, 0.0)
    assert_same_state(model, theta0)


def test_filter_normalized_rows_have_the_weights_row_norms():
    model = nn.TensorMLP(3, [6, 4], seed=0)
    d1, d2 = random_directions(model, seed=5)
    theta = model.state_dict()
    for d in (d1, d2):
        for key in ("0.weight", "1.weight") if "1.weight" in theta else ("0.weight", "2.weight"):
            np.testing.assert_allclose(np.linalg.norm(d[key], axis=1), np.linalg.norm(theta[key], axis=1), rtol=1e-12)
        for key in ("0.bias", "2.bias"):
            assert not d[key].any()  # ignore_bias: biases do not move
    assert not np.allclose(d1["0.weight"], d2["0.weight"])  # two different directions


def test_filter_normalize_options():
    rng = np.random.default_rng(1)
    w = {"0.weight": rng.normal(size=(4, 3)), "0.bias": rng.normal(size=4)}
    d = {"0.weight": rng.normal(size=(4, 3)), "0.bias": rng.normal(size=4)}
    kept = filter_normalize(d, w, ignore_bias=False)
    np.testing.assert_allclose(np.abs(kept["0.bias"]), np.abs(w["0.bias"]), rtol=1e-12)  # filters of one
    np.testing.assert_array_equal(np.sign(kept["0.bias"]), np.sign(d["0.bias"]))
    layer = filter_normalize(d, w, normalization="layer", ignore_bias=False)
    for k in w:
        assert np.linalg.norm(layer[k]) == pytest.approx(np.linalg.norm(w[k]), rel=1e-12)
        np.testing.assert_allclose(layer[k] / d[k], np.full(d[k].shape, (layer[k] / d[k]).flat[0]), rtol=1e-12)
    raw = filter_normalize(d, w, normalization=None, ignore_bias=False)
    np.testing.assert_array_equal(raw["0.weight"], d["0.weight"])
    zero_row = {"0.weight": w["0.weight"].copy(), "0.bias": w["0.bias"]}
    zero_row["0.weight"][1] = 0.0
    out = filter_normalize(d, zero_row)
    assert not out["0.weight"][1].any()
    assert d["0.weight"].shape == (4, 3) and not np.shares_memory(out["0.weight"], d["0.weight"])


def test_seeds_reproduce_and_differ():
    X, y = regression(10)
    model = nn.TensorMLP(2, [3, 1], seed=0)
    a = random_plane(model, mse, (X, y), n=3, seed=11, progress=False)
    b = random_plane(model, mse, (X, y), n=3, seed=11, progress=False)
    c = random_plane(model, mse, (X, y), n=3, seed=12, progress=False)
    np.testing.assert_array_equal(a.Z, b.Z)
    np.testing.assert_array_equal(a.directions[0]["0.weight"], b.directions[0]["0.weight"])
    assert not np.array_equal(a.Z, c.Z)


def test_given_directions_are_used_as_they_are():
    X, y = regression(12)
    model = nn.TensorMLP(2, [3, 1], seed=0)
    d1 = {k: np.ones_like(v) for k, v in model.state_dict().items()}
    d2 = {k: np.zeros_like(v) for k, v in model.state_dict().items()}
    s = random_plane(model, mse, (X, y), directions=(d1, d2), grid=([-0.5, 0.0, 0.25], [-1.0, 2.0]), progress=False)
    factory = lambda: nn.TensorMLP(2, [3, 1], seed=0)  # noqa: E731
    for i in range(2):  # d2 is zero: every row is the same line
        for j, a in enumerate([-0.5, 0.0, 0.25]):
            state = {k: v + a for k, v in model.state_dict().items()}
            assert abs(s.Z[i, j] - load_and_evaluate(factory, state, mse, (X, y))) <= 1e-12


# ---------------------------------------------------------------------- interpolate


def test_interpolation_ends_at_the_two_models_and_mixes_in_between():
    X, y = regression(20)
    a, b = nn.TensorMLP(2, [4, 1], seed=0), nn.TensorMLP(2, [4, 1], seed=1)
    line = interpolate(a, b, mse, (X, y), n=5, progress=False)
    assert isinstance(line, Line)
    np.testing.assert_array_equal(line.t, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert abs(line.loss[0] - evaluate(a, mse, (X, y))["loss"]) <= 1e-12
    assert abs(line.loss[-1] - evaluate(b, mse, (X, y))["loss"]) <= 1e-12
    mid = {k: 0.5 * va + 0.5 * vb for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values())}
    assert abs(line.loss[2] - load_and_evaluate(lambda: nn.TensorMLP(2, [4, 1]), mid, mse, (X, y))) <= 1e-12
    wide = interpolate(a, nn.MLP(2, [4, 1], seed=1), mse, (X, y), n=3, extend=0.5, progress=False)  # engines may differ
    np.testing.assert_array_equal(wide.t, [-0.5, 0.5, 1.5])


# ---------------------------------------------------------------------- PCA and trajectories


@pytest.fixture(scope="module")
def trained():
    """A small Tensor model trained with snapshots after every step (History + data)."""
    X, y = regression(40)
    model = nn.TensorMLP(2, [4, 1], seed=0)
    history = fit(model, mse, (X, y), SGD(model.parameters(), lr=0.1), epochs=30, snapshot_every=1, log_every=0, progress=False)
    return model, history, (X, y)


def test_pca_directions_match_the_svd_of_the_centred_snapshots(trained):
    model, history, _ = trained
    pca = pca_directions(history, n=2)
    _, M = history.snapshot_arrays()
    s = np.linalg.svd(M - M.mean(axis=0), compute_uv=False)
    np.testing.assert_allclose(pca.explained_variance_ratio, s[:2] ** 2 / np.sum(s**2), rtol=1e-10)
    V = np.stack([np.concatenate([d[k].ravel() for k in history.param_names]) for d in pca.directions])
    np.testing.assert_allclose(V @ V.T, np.eye(2), atol=1e-12)  # orthonormal
    cov = np.cov(M.T)  # each direction is an eigenvector of the covariance, eigenvalue var along it
    for v, sv in zip(V, s[:2]):
        np.testing.assert_allclose(cov @ v, (sv**2 / (len(M) - 1)) * v, atol=1e-10 * sv**2)
    np.testing.assert_allclose(pca.coords, (M - M[-1]) @ V.T, atol=1e-12)
    np.testing.assert_array_equal(pca.coords[-1], [0.0, 0.0])  # the trained model at the origin
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(pca.origin[key], value)


def test_trajectory_on_a_pca_plane_is_the_pca_path(trained):
    model, history, data = trained
    pca = pca_directions(history)
    plane = random_plane(model, mse, data, directions=pca, span=1.0, n=5, progress=False)
    assert plane.names[0].startswith("PC1 (") and plane.names[1].startswith("PC2 (")
    np.testing.assert_allclose(trajectory(history, plane), pca.coords, atol=1e-10)
    np.testing.assert_array_equal(trajectory(history, pca), pca.coords)


def test_trajectory_of_two_parameters_reads_the_snapshots(trained):
    model, history, data = trained
    path = trajectory(history, ("0.weight[3, 1]", "2.bias"))
    for row, (_, vector) in zip(path, history.snapshots):
        state = history.unflatten(vector)
        assert tuple(row) == (state["0.weight"][3, 1], state["2.bias"][0])
    s = loss_surface(model, mse, data, params=("0.weight[3, 1]", "2.bias[0]"), n=3, progress=False)
    np.testing.assert_array_equal(trajectory(history, s), path)


def test_snapshot_losses_equal_evaluate_at_each_snapshot(trained):
    model, history, data = trained
    before = snapshot_state(model)
    losses = snapshot_losses(model, mse, data, history)
    for k in (0, 5, len(losses) - 1):
        state = history.unflatten(history.snapshots[k][1])
        assert losses[k] == pytest.approx(load_and_evaluate(lambda: nn.TensorMLP(2, [4, 1]), state, mse, data), abs=1e-12)
    assert losses[-1] < losses[0]  # it trained
    assert_same_state(model, before)


def test_surface_lookup_is_bilinear():
    xs, ys = np.array([0.0, 1.0, 3.0]), np.array([-1.0, 0.0])
    gx, gy = np.meshgrid(xs, ys)
    s = Surface(xs, ys, 2 * gx - 3 * gy + 1, (0.0, 0.0), 1.0, ("a", "b"))  # a plane: bilinear is exact
    np.testing.assert_allclose(s.loss_at([0.0, 3.0, 2.0, 0.5], [-1.0, 0.0, -0.25, -0.5]), [4.0, 7.0, 5.75, 3.5])
    assert np.isnan(s.loss_at([3.5], [0.0])[0])  # outside the grid: no height


# ---------------------------------------------------------------------- the model is left alone


def test_model_is_restored_exactly_even_after_an_error():
    X, y = regression(10)
    for model in (nn.MLP(2, [3, 1], seed=0), nn.TensorMLP(2, [3, 1], seed=0)):
        before = snapshot_state(model)
        calls = []

        def failing(pred, target):
            calls.append(1)
            if len(calls) == 4:
                raise RuntimeError("boom")
            return mse(pred, target)

        with pytest.raises(RuntimeError, match="boom"):
            random_plane(model, failing, (X, y), n=3, progress=False)
        assert_same_state(model, before)
        random_plane(model, mse, (X, y), n=3, progress=False)
        loss_surface(model, mse, (X, y), params=("0.weight[0, 0]", "2.weight[0, 1]"), n=3, progress=False)
        assert_same_state(model, before)
        for p in model.parameters():  # nothing recorded, nothing backpropagated
            assert (p.grad is None) if isinstance(p, Tensor) else (p.grad == 0.0 and not p._prev)


def test_no_graph_is_recorded():
    X, y = regression(6)
    model = nn.MLP(2, [2, 1], seed=0)
    seen = []
    loss_surface(model, lambda p, t: seen.append(mse(p, t)) or seen[-1], (X, y), params=("0.weight[0, 0]", "0.weight[1, 1]"), n=3, progress=False)
    assert all(isinstance(v, Value) and v._prev == () for v in seen)


# ---------------------------------------------------------------------- progress bar


def test_progress_bar_on_request_and_off_by_default_without_a_terminal(capsys):
    X, y = lesson5_data(5)
    loss_surface(tiny_net(), mse, (X, y), n=3, progress=True)
    assert "9/9" in capsys.readouterr().out
    loss_surface(tiny_net(), mse, (X, y), n=3)  # pytest's stdout is no terminal
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------- errors


def test_unknown_parameter_lists_the_valid_ones():
    X, y = regression(5)
    model = nn.TensorMLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"no parameter named '1.weight'.*0.weight \(3, 2\).*2.bias \(1,\)"):
        loss_surface(model, mse, (X, y), params=("1.weight[0, 0]", "2.bias[0]"))


@pytest.mark.parametrize(
    "params, message",
    [
        (("0.weight[3, 0]", "2.bias[0]"), r"index \(3, 0\) does not fit '0.weight' of shape \(3, 2\); valid: 0..2 x 0..1"),
        (("0.weight[0]", "2.bias[0]"), r"index \(0,\) does not fit"),
        (("0.weight", "2.bias[0]"), r"'0.weight' holds 6 numbers.*'0.weight\[0, 0\]'"),
        (("0.weight[1, 1]", ("0.weight", (1, 1))), "both params are 0.weight\\[1, 1\\]"),
        (("0.weight[1, 1]",), "params is a pair"),
        ((3.5, "2.bias[0]"), "a parameter is a name"),
    ],
)
def test_bad_parameter_references(params, message):
    X, y = regression(5)
    with pytest.raises((ValueError, TypeError), match=message):
        loss_surface(nn.TensorMLP(2, [3, 1], seed=0), mse, (X, y), params=params)


def test_bad_data_and_arguments():
    X, y = regression(5)
    model = nn.TensorMLP(2, [3, 1], seed=0)
    Xnan = X.copy()
    Xnan[2, 1] = np.nan
    with pytest.raises(ValueError, match="random_plane: X holds nan"):
        random_plane(model, mse, (Xnan, y))
    with pytest.raises(ValueError, match="loss_surface: y holds nan"):
        loss_surface(model, mse, (X, np.where(y > 0, np.nan, y)), params=("0.weight[0, 0]", "2.bias[0]"))
    with pytest.raises(ValueError, match="one row per sample"):
        random_plane(model, mse, (X, y[:3]))
    with pytest.raises(TypeError, match=r"data is a pair \(X, y\)"):
        random_plane(model, mse, X)
    with pytest.raises(TypeError, match="loss_fn must return a scalar node"):
        random_plane(model, lambda p, t: p, (X, y), n=3)
    with pytest.raises(ValueError, match="normalization must be"):
        random_plane(model, mse, (X, y), normalization="batch")
    with pytest.raises(ValueError, match="grid xs must hold at least 2 increasing"):
        random_plane(model, mse, (X, y), grid=([1.0, 0.0], [0.0, 1.0]))
    with pytest.raises(ValueError, match="a direction must have the model's keys"):
        random_plane(model, mse, (X, y), directions=({"0.weight": np.ones((3, 2))}, {"0.weight": np.ones((3, 2))}))
    with pytest.raises(ValueError, match="different parameters"):
        interpolate(model, nn.TensorMLP(2, [4, 1]), mse, (X, y))
    with pytest.raises(TypeError, match="expected an nn model"):
        random_plane(object(), mse, (X, y))


def test_pca_needs_snapshots():
    with pytest.raises(ValueError, match="snapshot_every"):
        pca_directions(History())
    X, y = regression(10)
    model = nn.TensorMLP(2, [2, 1], seed=0)
    h = fit(model, mse, (X, y), SGD(model.parameters(), lr=0.1), epochs=2, snapshot_every=1, log_every=0, progress=False)
    with pytest.raises(ValueError, match="span at most 2"):
        pca_directions(h, n=3)


# ---------------------------------------------------------------------- drawing


@pytest.fixture(scope="module")
def small_surface():
    X, y = lesson5_data(30)
    return loss_surface(nn.TensorMLP(1, [1, 1], activation="tanh", bias=False, seed=0), mse, (X, y), n=9, progress=False)


def test_contour_draws_levels_labels_colorbar_and_the_model(small_surface):
    from matplotlib.contour import ContourSet

    ax = plot_contour(small_surface, levels=12)
    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(sets) == 1 and len(sets[0].levels) >= 5
    assert ax.get_xlabel() == "W1" and ax.get_ylabel() == "W2"  # lesson 5's symbols, not state-dict keys
    assert ax.get_title() == "loss over (W1, W2)"
    assert len(ax.figure.axes) == 2  # the colorbar
    (center,) = [line for line in ax.lines if line.get_gid() == "center"]
    assert tuple(center.get_xydata()[0]) == small_surface.center
    ax = plot_contour(small_surface, log=True, filled=True, colorbar=False)
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    levels = np.asarray(cs.levels)
    np.testing.assert_allclose(levels[1:] / levels[:-1], levels[1] / levels[0])  # geometric
    assert len(ax.figure.axes) == 1


def test_trajectories_over_a_contour(small_surface):
    paths = [np.array([[-1.0, -1.0], [-0.5, -0.2], [0.1, 0.3]]), np.array([[1.0, 1.0], [0.5, 0.5]])]
    ax = plot_trajectory(paths, surface=small_surface, labels=["run 1", "run 2"])
    lines = [line for line in ax.lines if line.get_gid() == "trajectory"]
    starts = [line for line in ax.lines if line.get_gid() == "start"]
    ends = [line for line in ax.lines if line.get_gid() == "end"]
    assert len(lines) == len(starts) == len(ends) == 2
    for path, line, start, end in zip(paths, lines, starts, ends):
        np.testing.assert_array_equal(line.get_xydata(), path)
        np.testing.assert_array_equal(start.get_xydata()[0], path[0])
        np.testing.assert_array_equal(end.get_xydata()[0], path[-1])
        assert start.get_markeredgecolor() == line.get_color()  # a hollow circle in the run's colour
    assert lines[0].get_color() != lines[1].get_color()  # coloured by run
    # the runs, then what the markers mean (the legend sits beside the contours)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["the model", "run 1", "run 2", "start", "end"]
    assert ax.collections  # the surface's contours are under the paths


def test_surface3d_and_a_path_on_it(small_surface):
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    ax = plot_surface3d(small_surface)
    assert ax.name == "3d" and any(isinstance(c, Poly3DCollection) for c in ax.collections)
    assert ax.get_zlabel() == "loss"
    path = np.stack([small_surface.xs[[1, 3, 4]], small_surface.ys[[2, 2, 4]]], axis=1)
    plot_trajectory(path, ax=ax, surface=small_surface)
    (line,) = [line for line in ax.lines if line.get_gid() == "trajectory"]
    _, _, z = line.get_data_3d()
    np.testing.assert_allclose(z, small_surface.Z[[2, 2, 4], [1, 3, 4]], rtol=1e-12)  # heights looked up
    ax = plot_surface3d(small_surface, log=True)
    plot_trajectory(path, ax=ax, z=[1.0, 10.0, 100.0], log=True)
    (line,) = [line for line in ax.lines if line.get_gid() == "trajectory"]
    np.testing.assert_allclose(line.get_data_3d()[2], [0.0, 1.0, 2.0])


def test_drawing_errors(small_surface):
    import matplotlib.pyplot as plt

    _, flat = plt.subplots()
    with pytest.raises(ValueError, match="plot_surface3d: needs a 3-D Axes"):
        plot_surface3d(small_surface, ax=flat)
    with pytest.raises(ValueError, match="z .* only makes sense on a 3-D Axes"):
        plot_trajectory(np.zeros((3, 2)), ax=flat, z=[1.0, 2.0, 3.0])
    ax3 = plt.figure().add_subplot(projection="3d")
    with pytest.raises(ValueError, match="needs a height"):
        plot_trajectory(np.zeros((3, 2)), ax=ax3)
    with pytest.raises(ValueError, match=r"shape \(k, 2\)"):
        plot_trajectory(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="expected a Surface"):
        plot_contour(np.zeros((3, 3)))


def test_interpolation_plot():
    line = Line(np.linspace(-0.5, 1.5, 9), np.linspace(1.0, 2.0, 9))
    ax = plot_interpolation(line)
    (curve,) = [ln for ln in ax.lines if ln.get_gid() == "line"]
    np.testing.assert_array_equal(curve.get_xydata(), np.stack([line.t, line.loss], axis=1))
    assert {ln.get_gid() for ln in ax.lines} == {"line", "model_a", "model_b", "mark_a", "mark_b"}
    marks = {ln.get_gid(): ln for ln in ax.lines}
    assert tuple(marks["mark_b"].get_xydata()[0]) == (1.0, pytest.approx(np.interp(1.0, line.t, line.loss)))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss along the line", "model a (t = 0)", "model b (t = 1)"]


def test_results_are_plain_data(small_surface):
    assert isinstance(small_surface, Surface) and small_surface.Z.dtype == np.float64
    assert PCADirections.__dataclass_fields__.keys() >= {"directions", "explained_variance_ratio", "coords"}


def test_docstring_examples_run():
    import doctest

    import viz.landscape

    result = doctest.testmod(viz.landscape)
    assert result.attempted >= 4 and result.failed == 0


# ---------------------------------------------------------------------- a run on its surface, in one call


def _two_weight_run(epochs=6, start=-1.8):
    X, y = lesson5_data(200)
    model = nn.TensorMLP(1, [1, 1], activation="tanh", bias=False)
    model.load_state_dict({"0.weight": np.array([[start]]), "2.weight": np.array([[start]])})
    h = fit(model, mse, nn.Batches(X, y, batch_size=50, seed=0), SGD(model.parameters(), lr=0.05), epochs=epochs,
            snapshot_every=4, log_every=0, progress=False)
    return model, X, y, h


def test_params_are_required_unless_the_model_has_two_numbers():
    X, y = regression(nin=2)
    model = nn.TensorMLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"which two parameters\? this model has 13 numbers \(W1 = 0.weight \(3, 2\), "
                                         r"b1 = 0.bias \(3,\), W2 = 2.weight \(1, 3\), b2 = 2.bias \(1,\)\); pass params"):
        loss_surface(model, mse, (X, y), n=3, progress=False)
    s = loss_surface(model, mse, (X, y), params=("0.weight[1, 0]", "2.bias[0]"), n=3, progress=False)
    assert s.names == ("W1[1, 0]", "b2") and s.keys == ("0.weight[1, 0]", "2.bias[0]")
    s = loss_surface(model, mse, (X, y), params=("0.weight[1, 0]", "2.bias[0]"), n=3, names=("v", "c"), progress=False)
    assert s.names == ("v", "c")
    with pytest.raises(ValueError, match="names must be 'people'"):
        loss_surface(model, mse, (X, y), params=("0.weight[1, 0]", "2.bias[0]"), n=3, names="nicknames")


def test_the_grid_covers_the_paths_with_a_margin_by_default():
    model, X, y, h = _two_weight_run()
    path = trajectory(h, ("0.weight[0, 0]", "2.weight[0, 0]"))
    s = loss_surface(model, mse, (X, y), n=11, paths=h, progress=False)
    lo, hi = np.minimum(path.min(axis=0), s.center), np.maximum(path.max(axis=0), s.center)
    pad = 0.15 * (hi - lo)
    np.testing.assert_allclose([s.xs[0], s.ys[0]], lo - pad)
    np.testing.assert_allclose([s.xs[-1], s.ys[-1]], hi + pad)
    assert np.isfinite(s.loss_at(path[:, 0], path[:, 1])).all()  # every point of the run is on the grid
    # a run far from the model is covered too, where the default +-1 around the model is not
    far = np.array([[s.center[0] - 3.0, s.center[1] + 2.0], s.center])
    wide = loss_surface(model, mse, (X, y), n=5, paths=far, progress=False)
    assert np.isfinite(wide.loss_at(far[:, 0], far[:, 1])).all()
    small = loss_surface(model, mse, (X, y), n=5, progress=False)
    assert not np.isfinite(small.loss_at(far[:1, 0], far[:1, 1])).all()
    np.testing.assert_allclose([small.xs[0], small.xs[-1]], [s.center[0] - 1.0, s.center[0] + 1.0])
    # arrays and lists of runs work too
    s2 = loss_surface(model, mse, (X, y), n=11, paths=[path, path[:2]], progress=False)
    np.testing.assert_allclose(s2.xs, s.xs)


def test_a_history_goes_on_the_contours_in_one_call():
    model, X, y, h = _two_weight_run()
    s = loss_surface(model, mse, (X, y), n=9, paths=h, progress=False)
    expected = trajectory(h, s)
    for ax in (plot_contour(s, path=h, labels=["SGD"]), plot_trajectory(h, surface=s, labels=["SGD"]),
               plot_trajectory(h, labels=["SGD"])):  # a model of two numbers needs no surface
        (line,) = [ln for ln in ax.lines if ln.get_gid() == "trajectory"]
        np.testing.assert_array_equal(line.get_xydata(), expected)
        assert "SGD" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="needs the plane to draw it on"):
        X2, y2 = regression(nin=2)
        big = nn.TensorMLP(2, [3, 1], seed=0)
        hb = fit(big, mse, (X2, y2), SGD(big.parameters(), lr=0.01), epochs=2, snapshot_every=1, log_every=0, progress=False)
        plot_trajectory(hb)


def test_a_3d_path_is_drawn_above_its_surface_with_a_shadow():
    model, X, y, h = _two_weight_run()
    s = loss_surface(model, mse, (X, y), n=9, paths=h, progress=False)
    ax = plot_surface3d(s)
    plot_trajectory(h, ax=ax, surface=s)
    assert ax.computed_zorder is False
    (surface,) = ax.collections
    path = [ln for ln in ax.lines if ln.get_gid() == "trajectory"][0]
    shadow = [ln for ln in ax.lines if ln.get_gid() == "shadow"][0]
    assert path.get_zorder() > shadow.get_zorder() > surface.get_zorder()
    assert np.all(shadow.get_data_3d()[2] <= s.Z.min())  # on the floor of the box, under the surface
