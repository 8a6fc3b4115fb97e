"""viz.plots: what each figure draws equals the numbers behind it.

Every check reads the artists back (line data, image arrays, colorbars, labels) and
compares them with an independent computation: the History's own lists, a finite
difference, PyTorch's activations and autograd, scikit-learn's R^2, the closed form of
gradient descent on a quadratic. Nothing is compared with a number typed in by hand.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from autograd_lite import Value, no_grad
from nn.data import Batches, house_prices, mean_data, moons
from nn.layers import TensorMLP
from nn.losses import mse
from viz import style
from nn.metrics import accuracy
from nn.optim import SGD
from nn.scalar import MLP
from nn.train import History, fit
from viz._figures import predict
from viz.plots import (
    ACTIVATIONS,
    activation_values,
    derivative,
    descend_1d,
    function_values,
    history_curves,
    plot_activations,
    plot_descent_1d,
    plot_function,
    plot_history,
    plot_predictions,
    plot_weights,
    smooth_series,
    weight_matrices,
)


def lines_by_gid(ax):
    return {line.get_gid(): line for line in ax.get_lines()}


def legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None, "expected a legend"
    return [t.get_text() for t in legend.get_texts()]


@pytest.fixture(scope="module")
def trained():
    """A short real run: 4 batches per epoch, 3 epochs, validation and an accuracy metric."""
    X, y = moons(40, seed=0)
    y = np.where(y > 0, 1.0, -1.0)
    model = TensorMLP(2, [8, 1], seed=0)
    before = model.state_dict()
    history = fit(
        model, mse, Batches(X, y, batch_size=10, seed=0), SGD(model.parameters(), 0.1), epochs=3,
        val_data=(X, y), metrics={"acc": accuracy}, log_every=0,
    )
    return model, before, history


# ====================================================================== plot_history


def test_history_per_step_train_val_and_metric(trained):
    _, _, h = trained
    ax = plot_history(h, metric="acc")
    lines = lines_by_gid(ax)
    np.testing.assert_array_equal(lines["train"].get_ydata(), h.loss)
    np.testing.assert_array_equal(lines["train"].get_xdata(), np.arange(1, h.steps + 1))
    # per step, each epoch's validation loss sits at that epoch's last step
    ends = np.cumsum([h.step_epoch.count(e) for e in range(1, h.epochs + 1)])
    np.testing.assert_array_equal(lines["val"].get_xdata(), ends)
    np.testing.assert_array_equal(lines["val"].get_ydata(), h.val_loss)
    # the metric lives on a twin y axis sharing x
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1 and twins[0].get_ylabel() == "accuracy"  # the metric's people's name
    metric_lines = lines_by_gid(twins[0])
    np.testing.assert_array_equal(metric_lines["metric"].get_ydata(), h.metrics["acc"])
    np.testing.assert_array_equal(metric_lines["val_metric"].get_ydata(), h.val_metrics["acc"])
    np.testing.assert_array_equal(metric_lines["metric"].get_xdata(), ends)
    # one legend for both y axes, on the twin (drawn last: no curve is painted over it)
    assert ax.get_legend() is None
    assert legend_texts(twins[0]) == ["training loss", "validation loss", "training accuracy", "validation accuracy"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "loss")


def test_history_per_epoch_from_history_or_dict_is_the_same(trained):
    _, _, h = trained
    for source in (h, h.to_arrays()):
        ax = plot_history(source, per="epoch", label="mse")
        lines = lines_by_gid(ax)
        np.testing.assert_array_equal(lines["train"].get_xdata(), np.arange(1, h.epochs + 1))
        np.testing.assert_array_equal(lines["train"].get_ydata(), h.epoch_loss)
        np.testing.assert_array_equal(lines["val"].get_ydata(), h.val_loss)
        assert ax.get_xlabel() == "epoch"
        assert legend_texts(ax) == ["mse", "validation loss"]


def test_history_without_validation_has_no_legend_and_no_twin():
    ax = plot_history([0.9, 0.5, 0.4])
    assert [line.get_gid() for line in ax.get_lines()] == ["train"]
    assert ax.get_legend() is None and len(ax.figure.axes) == 1


def test_history_stopped_mid_epoch_places_val_at_completed_epochs():
    # epoch 2 ended at step 4; epoch 3 started (steps 5, 6) but never finished
    h = History(loss=[4.0, 3.0, 2.5, 2.0, 1.5, 1.2], step_epoch=[1, 1, 2, 2, 3, 3], epoch_loss=[3.5, 2.25], val_loss=[3.6, 2.4])
    curves = history_curves(h)
    np.testing.assert_array_equal(curves["epoch_x"], [2, 4, 6])
    line = lines_by_gid(plot_history(h))["val"]
    np.testing.assert_array_equal(line.get_xdata(), [2, 4])


def test_history_logy_and_smoothing():
    rng = np.random.default_rng(0)
    losses = np.exp(-np.linspace(0, 3, 50)) + 0.05 * rng.random(50)
    ax = plot_history(losses, logy=True, smooth=5)
    assert ax.get_yscale() == "log"
    lines = lines_by_gid(ax)
    np.testing.assert_array_equal(lines["train_raw"].get_ydata(), losses)  # raw kept, faint
    assert lines["train_raw"].get_alpha() < 1
    np.testing.assert_allclose(lines["train"].get_ydata(), smooth_series(losses, 5))
    with pytest.raises(ValueError, match="positive"):
        plot_history([1.0, 0.0, 0.5], logy=True)


def test_smooth_series_against_independent_formulas():
    y = np.random.default_rng(1).normal(size=30)
    # moving average: a direct mean over each trailing window
    expected = [y[max(0, t - 3) : t + 1].mean() for t in range(len(y))]
    np.testing.assert_allclose(smooth_series(y, 4), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(smooth_series(y, 1), y)
    # EMA unrolled: s_t = a^t y_0 + (1 - a) sum_{k=1..t} a^(t-k) y_k
    a = 0.8
    expected = [a**t * y[0] + (1 - a) * sum(a ** (t - k) * y[k] for k in range(1, t + 1)) for t in range(len(y))]
    np.testing.assert_allclose(smooth_series(y, a), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="EMA factor"):
        smooth_series(y, 1.5)
    with pytest.raises(TypeError, match="window"):
        smooth_series(y, True)
    with pytest.raises(ValueError, match="must be an int >= 1"):
        smooth_series(y, 0)


def test_history_several_runs_coloured_by_index_with_a_colorbar():
    rng = np.random.default_rng(2)
    runs = [np.cumsum(rng.random(8 + i))[::-1] for i in range(7)]  # different lengths are fine
    ax = plot_history(runs, cmap="viridis", colorbar=True, colorbar_label="batch")
    lines = ax.get_lines()
    assert len(lines) == len(runs)
    cmap = matplotlib.colormaps["viridis"]
    for i, (line, run) in enumerate(zip(lines, runs)):
        np.testing.assert_array_equal(line.get_ydata(), run)
        np.testing.assert_allclose(matplotlib.colors.to_rgba(line.get_color()), cmap(i / (len(runs) - 1)))
    bars = [a for a in ax.figure.axes if a is not ax]
    assert len(bars) == 1 and bars[0].get_ylabel() == "batch"
    assert bars[0].get_ylim() == pytest.approx((0, len(runs) - 1))


def test_history_several_runs_from_histories_and_a_2d_array(trained):
    _, _, h = trained
    ax = plot_history([h, h.to_arrays()], colorbar=False)
    # each run: its train curve and its dashed validation curve
    assert len(ax.get_lines()) == 4 and len(ax.figure.axes) == 1
    np.testing.assert_array_equal(lines_by_gid(ax)["run1"].get_ydata(), h.loss)
    assert lines_by_gid(ax)["run0_val"].get_linestyle() == ":"
    table = np.arange(12.0).reshape(3, 4) + 1
    ax = plot_history(table, label=["a", "b", "c"])
    assert [list(line.get_ydata()) for line in ax.get_lines()] == table.tolist()
    # a few named runs: the palette's series, told apart by line style and marker as well as colour
    looks = [(line.get_color(), line.get_marker()) for line in ax.get_lines()]
    assert looks == [(style.series(i)["color"], style.series(i)["marker"]) for i in range(3)]
    assert len({str(line.get_linestyle()) for line in ax.get_lines()}) == 3
    with pytest.raises(ValueError, match="too many for a legend"):
        plot_history(np.ones((11, 3)), label=[str(i) for i in range(11)])
    assert legend_texts(ax) == ["a", "b", "c"]


def test_history_bad_input(trained):
    _, _, h = trained
    with pytest.raises(ValueError, match='per must be "step" or "epoch"'):
        plot_history(h, per="batch")
    for bad in ("loss.npz", None, 3.0):
        with pytest.raises(TypeError, match="History"):
            plot_history(bad)
    with pytest.raises(ValueError, match="nan"):
        plot_history([1.0, float("nan"), 0.5])
    with pytest.raises(ValueError, match="empty"):
        plot_history(np.array([]))
    with pytest.raises(ValueError, match=r"recorded metrics: \['acc', 'val_acc'\]"):
        plot_history(h, metric="f1")
    with pytest.raises(ValueError, match="single run"):
        plot_history([h, h], metric="acc")
    with pytest.raises(ValueError, match="list of 2 names"):
        plot_history([[1.0, 0.5], [2.0, 1.0]], label=["only one"])
    with pytest.raises(ValueError, match="'loss'"):
        plot_history({"epoch_loss": [1.0]})
    with pytest.raises(ValueError, match="do not match"):
        plot_history({"loss": [1.0, 0.5], "step_epoch": [1, 1], "val_loss": [1.0, 0.9]})
    with pytest.raises(ValueError, match="run 1"):
        plot_history([[1.0, 0.5], [1.0, float("inf")]])
    with pytest.raises(ValueError, match="colormap"):
        plot_history([[1.0], [2.0]], cmap="not-a-map")
    with pytest.raises(ValueError, match="positive"):
        plot_history([[1.0], [-2.0]], logy=True)
    # every check runs before drawing: a refused call leaves no figure behind
    assert plt.get_fignums() == []


# ====================================================================== plot_predictions


def test_predictions_house_prices_in_thousands():
    from sklearn.metrics import r2_score as sk_r2

    X, y, scaling = house_prices()
    model = TensorMLP(2, [5, 1], activation="sigmoid", seed=0)
    fit(model, mse, (X, y), SGD(model.parameters(), 0.5), epochs=200, log_every=0)
    actual = scaling.unscale_y(y)  # dollars
    predicted = scaling.unscale_y(predict(model, X))  # (10, 1), dollars
    ax = plot_predictions(actual, predicted, scale=1e-3, unit="k$")
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], actual / 1000)
    np.testing.assert_allclose(points[:, 1], predicted[:, 0] / 1000)
    identity = lines_by_gid(ax)["identity"]
    low = min(actual.min(), predicted.min()) / 1000
    high = max(actual.max(), predicted.max()) / 1000
    pad = 0.06 * (high - low)  # the view reaches a little past the extreme points
    np.testing.assert_allclose(identity.get_xdata(), [low - pad, high + pad])
    np.testing.assert_allclose(identity.get_ydata(), [low - pad, high + pad])  # y = x
    assert ax.get_xlim() == pytest.approx((low - pad, high + pad))
    assert f"{sk_r2(actual, predicted[:, 0]):.3f}" in ax.get_title()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("actual (k$)", "predicted (k$)")


def test_predictions_read_values_and_reject_bad_input():
    y = [1.0, 2.0, 3.0]
    ax = plot_predictions(y, [[Value(1.5)], [Value(2.0)], [Value(2.5)]])  # a scalar model's outputs
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], [1.5, 2.0, 2.5])
    with pytest.raises(ValueError, match="3 values but y_pred has 2"):
        plot_predictions(y, [1.0, 2.0])
    with pytest.raises(ValueError, match="nan"):
        plot_predictions(y, [1.0, float("nan"), 2.0])
    with pytest.raises(ValueError, match=r"\(N, 1\)"):
        plot_predictions(y, np.ones((3, 2)))
    with pytest.raises(TypeError, match="y_true"):
        plot_predictions("abc", y)
    with pytest.raises(ValueError, match="scale"):
        plot_predictions(y, y, scale=0)
    plt.close("all")  # the one good call above
    with pytest.raises(ValueError, match="2 values"):
        plot_predictions([1.0, 2.0], [1.0])
    assert plt.get_fignums() == []


# ====================================================================== plot_weights


def panel_images(fig):
    """The weight panels' images, in the order drawn (colorbar axes hold no AxesImage)."""
    return [a.images[0] for a in fig.axes if a.images]


def test_weights_images_equal_the_weights_on_both_engines():
    images = {}
    for model in (MLP(3, [4, 2], seed=3), TensorMLP(3, [4, 2], seed=3)):
        fig = plot_weights(model)
        state = model.state_dict()
        shown = panel_images(fig)
        assert len(shown) == 2
        for image, key in zip(shown, ["0.weight", "2.weight"]):
            np.testing.assert_array_equal(image.get_array(), state[key])
            limit = np.abs(state[key]).max()
            assert image.get_clim() == pytest.approx((-limit, limit))  # symmetric around 0
            assert image.colorbar is not None  # one colorbar per layer
        images[model.engine] = [im.get_array() for im in shown]
        assert fig.axes[0].get_xlabel() == "input unit" and fig.axes[0].get_ylabel() == "output unit"
    for a, b in zip(images["value"], images["tensor"]):
        np.testing.assert_array_equal(a, b)


def test_weights_before_and_after_training(trained):
    model, before, _ = trained
    after = model.state_dict()
    fig = plot_weights(model, before=before)
    panels = [a for a in fig.axes if a.images]
    assert len(panels) == 4
    # the grid is 2 rows (before, after) by one column per layer
    grid = {(a.get_subplotspec().rowspan.start, a.get_subplotspec().colspan.start): a for a in panels}
    for col, key in enumerate(["0.weight", "2.weight"]):
        top, bottom = grid[(0, col)].images[0], grid[(1, col)].images[0]
        np.testing.assert_array_equal(top.get_array(), before[key])
        np.testing.assert_array_equal(bottom.get_array(), after[key])
        assert "before" in grid[(0, col)].get_title() and "after" in grid[(1, col)].get_title()
        limit = max(np.abs(before[key]).max(), np.abs(after[key]).max())
        assert top.get_clim() == bottom.get_clim() == pytest.approx((-limit, limit))  # shared per layer
    assert not np.array_equal(before["0.weight"], after["0.weight"])  # training did change them


def test_weights_selection_and_bad_input():
    model = TensorMLP(3, [4, 2], seed=0)
    assert list(weight_matrices(model, layers=[-1])) == ["2.weight"]
    fig = plot_weights(model, layers=["2.weight"])
    np.testing.assert_array_equal(panel_images(fig)[0].get_array(), model.state_dict()["2.weight"])
    arrays = [np.ones((2, 3)), -np.ones((3, 1))]
    assert [w.shape for w in weight_matrices(arrays).values()] == [(2, 3), (3, 1)]
    with pytest.raises(ValueError, match=r"no weight matrix '1.weight'"):
        plot_weights(model, layers=["1.weight"])
    with pytest.raises(ValueError, match="out of range"):
        weight_matrices(model, layers=[5])
    with pytest.raises(ValueError, match="same model"):
        plot_weights(model, before=TensorMLP(3, [5, 2], seed=0))
    with pytest.raises(TypeError, match="nn model"):
        plot_weights("model")
    with pytest.raises(ValueError, match="colormap"):
        plot_weights(model, cmap="nope")
    with pytest.raises(ValueError, match="nan"):
        plot_weights({"0.weight": np.array([[1.0, np.nan]])})
    with pytest.raises(ValueError, match="no 2-D weight"):
        weight_matrices({"bias": np.ones(3)})


# ====================================================================== plot_function, derivative


def lesson2(x):
    return 3 * x**2 - 4 * x + 5


def central_difference(f, x0, h=1e-5):
    """An independent slope: plain floats, no engine."""
    return (f(x0 + h) - f(x0 - h)) / (2 * h)


@pytest.mark.parametrize(
    "f, plain, x0",
    [
        (lesson2, lesson2, -2.0),
        (lambda x: (x * 0.7).tanh() * x.sin() + x.exp() / 10, lambda x: math.tanh(0.7 * x) * math.sin(x) + math.exp(x) / 10, 0.9),
    ],
)
def test_function_tangent_slope_is_the_engines_and_a_finite_difference(f, plain, x0):
    ax = plot_function(f, (-3, 3), tangent_at=x0, n=101)
    lines = lines_by_gid(ax)
    xs = lines["function"].get_xdata()
    np.testing.assert_allclose(lines["function"].get_ydata(), [plain(x) for x in xs], rtol=1e-12)
    tangent = lines["tangent"]
    tx, ty = tangent.get_xdata(), tangent.get_ydata()
    slope = (ty[-1] - ty[0]) / (tx[-1] - tx[0])
    value, engine_slope = derivative(f, x0)
    assert slope == pytest.approx(engine_slope, rel=1e-9)
    assert engine_slope == pytest.approx(central_difference(plain, x0), rel=1e-6)
    # the tangent touches the curve at the marked point
    point = lines["point"]
    assert (point.get_xdata()[0], point.get_ydata()[0]) == pytest.approx((x0, plain(x0)))
    assert np.interp(x0, tx, ty) == pytest.approx(value)
    assert f"slope {engine_slope:.6g}" in legend_texts(ax)[1]


def test_derivative_lesson2_matches_the_hand_rule():
    for x0 in (-2.0, 0.0, 2 / 3, 1.5):
        value, slope = derivative(lesson2, x0)
        assert value == pytest.approx(lesson2(x0))
        assert slope == pytest.approx(6 * x0 - 4)  # d/dx (3x^2 - 4x + 5), derived by hand


def test_function_bad_input():
    with pytest.raises(TypeError, match="Value ops"):
        plot_function(lambda x: math.sin(x))
    with pytest.raises(ValueError, match="lo < hi"):
        plot_function(lesson2, (5, -5))
    with pytest.raises(TypeError, match="tangent_at"):
        plot_function(lesson2, tangent_at=float("nan"))
    with pytest.raises(TypeError, match="function of one number"):
        plot_function(3.0)
    with pytest.raises(TypeError, match="not a Value"):
        derivative(lambda x: 4.0, 1.0)
    with pytest.raises(RuntimeError, match="no_grad"):
        with no_grad():
            derivative(lesson2, 1.0)
    assert plt.get_fignums() == []  # refused before any figure was made
    # a constant function still plots (it has no tangent to ask for)
    np.testing.assert_array_equal(function_values(lambda x: 4.0, [0.0, 1.0]), [4.0, 4.0])


# ====================================================================== plot_activations


TORCH_NAMES = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softplus": "softplus", "leaky_relu": "leaky_relu"}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_match_torch(torch, name):
    x = np.linspace(-5, 5, 41)
    w, b = 1.7, -0.4
    ys, dys = activation_values(name, x, w=w, b=b)
    xt = torch.tensor(x, requires_grad=True)
    z = xt * w + b
    out = z if name == "linear" else getattr(torch.nn.functional, TORCH_NAMES[name])(z)
    out.sum().backward()
    np.testing.assert_allclose(ys, out.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dys, xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_activations_plot_draws_each_curve_and_dashed_derivatives():
    names = ["relu", "sigmoid", "tanh"]
    ax = plot_activations(names, w=2.0, b=1.0, derivatives=True, n=50)
    lines = lines_by_gid(ax)
    assert len(ax.get_lines()) == 2 * len(names)
    xs = lines["relu"].get_xdata()
    np.testing.assert_allclose(xs, np.linspace(-5, 5, 50))
    z = 2.0 * xs + 1.0
    np.testing.assert_allclose(lines["relu"].get_ydata(), np.maximum(z, 0))
    np.testing.assert_allclose(lines["tanh"].get_ydata(), np.tanh(z))
    np.testing.assert_allclose(lines["d_tanh"].get_ydata(), 2.0 * (1 - np.tanh(z) ** 2))  # chain rule: w a'(wx+b)
    for name in names:
        assert lines[f"d_{name}"].get_linestyle() == "--"
        assert lines[f"d_{name}"].get_color() == lines[name].get_color()
    assert legend_texts(ax)[:2] == ["relu", "d/dx relu"]
    assert ax.get_xlabel() == "x"


def test_activations_bad_input():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*'relu'"):
        plot_activations(["relu", "swish"])
    with pytest.raises(ValueError, match="empty"):
        plot_activations([])
    with pytest.raises(TypeError, match="w must be"):
        plot_activations(w=float("nan"))
    with pytest.raises(TypeError, match="derivatives"):
        plot_activations(derivatives="yes")
    assert plt.get_fignums() == []
    assert len(plot_activations("tanh").get_lines()) == 1  # one name as a string is fine


# ====================================================================== descent in 1-D


def mean_loss(x):
    """Lesson 1: l(mu) = 1/2 sum (x_i - mu)^2, written once for Values and floats alike."""
    return lambda mu: 0.5 * sum((xi - mu) ** 2 for xi in x.tolist())


@pytest.mark.parametrize("n, lr", [(10, 0.05), (5, 0.05), (10, 0.3)])
def test_descend_1d_is_the_closed_form_of_descent_on_a_quadratic(n, lr):
    x = mean_data(n, seed=4)
    path = descend_1d(mean_loss(x), -0.5, lr, 5)
    # l'(mu) = n (mu - m), so mu_k - m = (1 - lr n)^k (mu_0 - m); lr n = 3 diverges (|1 - 3| > 1)
    m = x.mean()
    expected = m + (1 - lr * n) ** np.arange(6) * (-0.5 - m)
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-12)


def test_descend_1d_converges_to_the_empirical_mean():
    x = mean_data(10, seed=4)
    path = descend_1d(mean_loss(x), -0.5, 0.05, 60)
    # lr n = 0.5 halves the distance to the mean every step: after 60 it is below rounding
    assert path[-1] == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
    assert np.all(np.diff(np.abs(path[:20] - x.mean())) < 0)  # every early step gets closer


def test_plot_descent_1d_lesson1():
    x = mean_data(10, seed=4)
    loss = mean_loss(x)
    path = descend_1d(loss, -0.5, 0.05, 5)
    ax = plot_descent_1d(loss, path, marks={"empirical mean": x.mean(), "true mean": 2.0}, xlabel="mu")
    lines = lines_by_gid(ax)
    direct = lambda mus: 0.5 * ((x[:, None] - np.asarray(mus)[None, :]) ** 2).sum(axis=0)  # numpy, no engine
    steps = lines["path"]
    np.testing.assert_array_equal(steps.get_xdata(), path)
    np.testing.assert_allclose(steps.get_ydata(), direct(path), rtol=1e-12)
    assert (steps.get_marker(), steps.get_linestyle()) == ("*", ":")
    assert steps.get_color() == style.VERMILLION  # the lesson's red stars, in the palette's red
    curve = lines["loss"]
    np.testing.assert_allclose(curve.get_ydata(), direct(curve.get_xdata()), rtol=1e-12)
    assert curve.get_xdata().min() <= path.min() and curve.get_xdata().max() >= max(path.max(), 2.0)
    mean_mark = lines["mark:empirical mean"]
    assert (mean_mark.get_xdata()[0], mean_mark.get_ydata()[0]) == pytest.approx((x.mean(), direct([x.mean()])[0]))
    # the two means: different shapes and colours, and neither is the steps' star
    true_mark = lines["mark:true mean"]
    assert mean_mark.get_color() != true_mark.get_color()
    assert len({mean_mark.get_marker(), true_mark.get_marker(), "*"}) == 3
    # a format string still picks the look
    own = lines_by_gid(plot_descent_1d(loss, path, marks={"true mean": (2.0, "g^")}))["mark:true mean"]
    assert (own.get_marker(), own.get_color()) == ("^", "g")
    assert legend_texts(ax) == ["loss", "descent steps", "empirical mean", "true mean"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("mu", "loss")


def test_descent_1d_bad_input():
    loss = mean_loss(np.array([1.0, 3.0]))
    with pytest.raises(ValueError, match="lr must be positive"):
        descend_1d(loss, 0.0, -0.1, 3)
    with pytest.raises(TypeError, match="steps must be an int"):
        descend_1d(loss, 0.0, 0.1, True)
    with pytest.raises(TypeError, match="x0"):
        descend_1d(loss, float("inf"), 0.1, 3)
    with pytest.raises(FloatingPointError, match="too large"):
        descend_1d(lambda x: 1e300 * x, 0.0, 1e10, 3)
    with pytest.raises(ValueError, match="empty"):
        plot_descent_1d(loss, [])
    with pytest.raises(ValueError, match="nan"):
        plot_descent_1d(loss, [0.0, float("nan")])
    with pytest.raises(TypeError, match=r"\(x, format\)"):
        plot_descent_1d(loss, [0.0, 1.0], marks={"mean": (2.0, 3)})
    assert plt.get_fignums() == []
    assert len(descend_1d(loss, 0.0, 0.1, 0)) == 1  # no steps: just the start


def test_docstring_examples_of_viz_plots():
    import doctest

    import viz.plots

    result = doctest.testmod(viz.plots)
    assert result.attempted >= 4 and result.failed == 0
    assert smooth_series([], 3).size == 0


def test_plots_draw_on_a_given_axes(trained):
    _, _, h = trained
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_history(h, ax=left, metric="acc") is left
    assert plot_function(lesson2, ax=right, tangent_at=0.0) is right
    assert plt.get_fignums() == [fig.number]  # no new figure
    assert len(fig.axes) == 3  # the two panels and the metric's twin
    value, slope = derivative(lesson2, 0.0)
    assert lines_by_gid(right)["tangent"].get_ydata()[0] == pytest.approx(value + slope * (-5.0 - 0.0))  # at x = -5


def test_log_scale_history_of_a_run_that_blew_up_draws_without_overflow(tmp_path) -> None:
    # Losses up to 1.7e308 (finite) and down to 1e-12: matplotlib's own log padding and
    # ticks would overflow (a RuntimeWarning, an error under this suite's settings).
    for losses in ([7.2, 5.0, 1e10, 7.1e307], [1e-12, 3.0, 1.7e308], [2.0, 1.0, 0.5]):
        ax = plot_history(losses, logy=True)
        ax.figure.savefig(tmp_path / "h.png")
        lo, hi = ax.get_ylim()
        assert ax.get_yscale() == "log" and lo <= min(losses) and lo > 0
        assert hi >= min(max(losses), 1e200)  # everything shown up to 1e200; beyond, off the top
        plt.close(ax.figure)
