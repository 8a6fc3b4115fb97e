"""viz.interact: lesson 1's sliders (activation of w*x + b, the 7-parameter network).

Numbers are checked against independent numpy formulas (and PyTorch for the network);
the static figures for what they draw; the ipywidgets path (when ipywidgets is
installed) for its controls and for redrawing when a control moves. No kernel needed.
"""

import re
import sys

import numpy as np
import pytest

from viz import interact
from viz.interact import (
    PARAM_NAMES,
    activation_curve,
    fit_network,
    interact_activation,
    interact_network,
    network_curve,
    network_from_params,
    network_loss,
    params_from_network,
)


def np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": np_sigmoid,
    "tanh": np.tanh,
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "linear": lambda z: z,
}

# Some parameter settings: the hand-made bump, a saturated one, a random one.
PARAMS = [
    {"v1": 4.0, "v2": -4.0, "a1": 2.0, "a2": 2.0, "w1": 6.0, "w2": 6.0, "b": -8.0},
    {"v1": 9.5, "v2": 0.1, "a1": -3.0, "a2": 7.0, "w1": -8.0, "w2": 0.5, "b": 1.25},
    dict(zip(PARAM_NAMES, np.random.default_rng(3).normal(0, 3, 7).tolist())),
]


def np_network(p, x, output_activation="sigmoid"):
    """The lesson's formula, written out: s(w1 s(v1 x + a1) + w2 s(v2 x + a2) + b)."""
    z = p["w1"] * np_sigmoid(p["v1"] * x + p["a1"]) + p["w2"] * np_sigmoid(p["v2"] * x + p["a2"]) + p["b"]
    return np_sigmoid(z) if output_activation == "sigmoid" else z


def np_rescaled(t, x_range=(-1.0, 1.0)):
    """A target mapped onto [0.1, 0.9] by its min and max on x_range (fine grid)."""
    fine = t(np.linspace(*x_range, 201))
    return lambda x: 0.1 + 0.8 * (t(x) - fine.min()) / (fine.max() - fine.min())


def np_mse(p, t, output_activation, x_range=(-1.0, 1.0), n=41):
    x = np.linspace(*x_range, n)
    return float(np.mean((np_network(p, x, output_activation) - t(x)) ** 2))


def title_number(ax):
    """The number after 'loss =' (or 'loss (MSE) =') in an axes title."""
    return float(re.search(r"loss[^=]*= ([-+0-9.e]+)", ax.get_title()).group(1))


# ---------------------------------------------------------------------- curves


@pytest.mark.parametrize("name", sorted(NUMPY_ACTIVATIONS))
@pytest.mark.parametrize("w, b", [(1.0, 0.0), (-2.5, 1.5), (0.3, -4.0)])
def test_activation_curve_equals_numpy(name, w, b):
    x = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(activation_curve(name, w, b, x), NUMPY_ACTIVATIONS[name](w * x + b), rtol=1e-12, atol=1e-14)


def test_activation_curve_keeps_the_shape_of_x():
    x = np.arange(6.0).reshape(2, 3) - 2.5
    y = activation_curve("tanh", 2.0, 0.5, x)
    assert y.shape == (2, 3)
    np.testing.assert_allclose(y, np.tanh(2.0 * x + 0.5), rtol=1e-12)


def test_activation_curve_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"activation_curve: unknown activation 'gelu'.*relu"):
        activation_curve("gelu", 1.0, 0.0, [0.0])
    with pytest.raises(TypeError, match=r"activation_curve\(w=...\).*nan"):
        activation_curve("relu", float("nan"), 0.0, [0.0])
    with pytest.raises(ValueError, match=r"activation_curve: x holds nan"):
        activation_curve("relu", 1.0, 0.0, [0.0, float("nan")])


@pytest.mark.parametrize("output_activation", ["sigmoid", "linear"])
@pytest.mark.parametrize("p", PARAMS)
def test_network_curve_equals_the_formula(p, output_activation):
    x = np.linspace(-2, 2, 57)
    np.testing.assert_allclose(network_curve(p, x, output_activation), np_network(p, x, output_activation), rtol=1e-12, atol=1e-14)


def test_network_curve_matches_pytorch(torch):
    p = PARAMS[2]
    net = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1), torch.nn.Sigmoid())
    state = network_from_params(p).state_dict()
    net.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    x = np.linspace(-3, 3, 31)
    with torch.no_grad():
        expected = net(torch.tensor(x[:, None])).numpy()[:, 0]
    np.testing.assert_allclose(network_curve(p, x), expected, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------- params <-> model


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("p", PARAMS)
def test_params_round_trip_through_the_state_dict(p, engine):
    model = network_from_params(p, engine=engine)
    assert model.engine == engine
    state = model.state_dict()
    # the documented layout: v = 0.weight, a = 0.bias, w = 2.weight, b = 2.bias
    np.testing.assert_array_equal(state["0.weight"], [[p["v1"]], [p["v2"]]])
    np.testing.assert_array_equal(state["0.bias"], [p["a1"], p["a2"]])
    np.testing.assert_array_equal(state["2.weight"], [[p["w1"], p["w2"]]])
    np.testing.assert_array_equal(state["2.bias"], [p["b"]])
    assert params_from_network(model) == p


@pytest.mark.parametrize("output_activation", ["sigmoid", "linear"])
def test_scalar_network_output_equals_the_formula(output_activation):
    p = PARAMS[0]
    model = network_from_params(p, output_activation=output_activation)
    for x in (-1.3, 0.0, 0.7):
        (out,) = model([x])
        assert out.data == pytest.approx(np_network(p, x, output_activation), rel=1e-12, abs=1e-15)


def test_params_from_a_seeded_mlp_reads_its_weights():
    from nn.scalar import MLP

    model = MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=7)
    p = params_from_network(model)
    assert list(p) == list(PARAM_NAMES)
    # rebuilding from the names gives the same function
    x = np.linspace(-1, 1, 9)
    np.testing.assert_allclose([model([xi])[0].data for xi in x], network_curve(p, x), rtol=1e-12)


def test_params_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"network_from_params:.*missing \['b'\], unexpected \['c'\]"):
        network_from_params({**{k: 0.0 for k in PARAM_NAMES[:-1]}, "c": 1.0})
    with pytest.raises(TypeError, match=r"params\['w1'\].*nan"):
        network_from_params({**PARAMS[0], "w1": float("nan")})
    with pytest.raises(ValueError, match="output_activation must be one of"):
        network_from_params(PARAMS[0], output_activation="softmax")
    from nn.scalar import MLP

    with pytest.raises(ValueError, match=r"params_from_network: expected the lesson's 1 -> 2 -> 1 network.*\(3, 1\)"):
        params_from_network(MLP(1, [3, 1], seed=0))
    with pytest.raises(TypeError, match="params_from_network: expected an nn model"):
        params_from_network({"0.weight": 1})


# ---------------------------------------------------------------------- loss and rescaling


def minus_x_squared(x):
    return -(x**2)


@pytest.mark.parametrize("p", PARAMS)
def test_network_loss_against_the_rescaled_target(p):
    # a sigmoid output cannot reach -x**2: by default the target is mapped onto [0.1, 0.9]
    assert network_loss(p) == pytest.approx(np_mse(p, np_rescaled(minus_x_squared), "sigmoid"), rel=1e-12)
    # linear output: the target as it is
    assert network_loss(p, output_activation="linear") == pytest.approx(np_mse(p, minus_x_squared, "linear"), rel=1e-12)
    # rescale=False: the raw target even with a sigmoid output
    assert network_loss(p, rescale=False) == pytest.approx(np_mse(p, minus_x_squared, "sigmoid"), rel=1e-12)


def test_rescale_auto_keeps_a_target_inside_the_sigmoid_range():
    p, inside = PARAMS[1], (lambda x: 0.5 + 0.3 * x)
    assert network_loss(p, inside) == pytest.approx(np_mse(p, inside, "sigmoid"), rel=1e-12)
    assert network_loss(p, inside, rescale=True) == pytest.approx(np_mse(p, np_rescaled(inside), "sigmoid"), rel=1e-12)
    # over another range the map is taken on that range
    x_range = (0.0, 3.0)
    expected = np_mse(p, np_rescaled(np.sin, x_range), "sigmoid", x_range)
    assert network_loss(p, np.sin, x_range) == pytest.approx(expected, rel=1e-12)


def test_target_errors_name_the_problem():
    with pytest.raises(TypeError, match="network_loss: target must be a function"):
        network_loss(PARAMS[0], target=[1, 2])
    with pytest.raises(ValueError, match=r"network_loss: target\(x\) is nan or inf"):
        network_loss(PARAMS[0], target=np.log, x_range=(-1.0, 1.0))
    with pytest.raises(ValueError, match="x_range must have lo < hi"):
        network_loss(PARAMS[0], x_range=(1.0, -1.0))
    with pytest.raises(ValueError, match="rescale must be 'auto', True or False"):
        network_loss(PARAMS[0], rescale="yes")


# ---------------------------------------------------------------------- fitting


def test_fit_network_linear_output_fits_minus_x_squared():
    from nn.scalar import MLP

    model, history = fit_network(output_activation="linear", steps=1500)
    fitted = np_mse(params_from_network(model), minus_x_squared, "linear")
    # the default start: the network drawn from seed 1
    first = params_from_network(MLP(1, [2, 1], activation="sigmoid", output_activation="linear", seed=1))
    start = np_mse(first, minus_x_squared, "linear")
    assert fitted < 0.01
    assert fitted < start / 100
    # the history is nn.fit's: one loss per step, the first at the start
    assert len(history.loss) == 1500
    assert history.loss[0] == pytest.approx(start, rel=1e-9)


def test_fit_network_sigmoid_output_fits_the_shape():
    model, history = fit_network()  # the lesson's network and target, rescaled
    fitted = np_mse(params_from_network(model), np_rescaled(minus_x_squared), "sigmoid")
    assert fitted < history.loss[0] / 20
    assert fitted == pytest.approx(network_loss(params_from_network(model)), rel=1e-12)


def test_fit_network_starts_from_given_params_and_engines_agree():
    start = PARAMS[0]
    m_value, h_value = fit_network(steps=30, start=start, engine="value")
    m_tensor, h_tensor = fit_network(steps=30, start=start, engine="tensor")
    assert type(m_value).__name__ == "MLP" and type(m_tensor).__name__ == "TensorMLP"
    assert h_value.loss[0] == pytest.approx(network_loss(start), rel=1e-12)
    np.testing.assert_allclose(h_value.loss, h_tensor.loss, rtol=1e-9)
    a, b = params_from_network(m_value), params_from_network(m_tensor)
    np.testing.assert_allclose([a[k] for k in PARAM_NAMES], [b[k] for k in PARAM_NAMES], rtol=1e-9)


def test_fit_network_bad_arguments():
    with pytest.raises(ValueError, match="fit_network: steps must be an int >= 1"):
        fit_network(steps=0)
    with pytest.raises(ValueError, match="fit_network: lr must be > 0"):
        fit_network(lr=-0.1)
    with pytest.raises(ValueError, match="fit_network: engine must be"):
        fit_network(steps=1, engine="torch")


# ---------------------------------------------------------------------- static figures


def test_static_activation_grid_draws_every_curve():
    from matplotlib.figure import Figure

    fig = interact_activation(static=True)
    assert isinstance(fig, Figure)
    names, settings = interact.LESSON_ACTIVATIONS, interact.ACTIVATION_SETTINGS
    assert len(fig.axes) == len(names) * len(settings)
    axes = np.array(fig.axes).reshape(len(names), len(settings))
    for i, name in enumerate(names):
        assert axes[i, 0].get_ylabel() == f"{name}(w x + b)"
        for j, (w, b) in enumerate(settings):
            (line,) = axes[i, j].lines
            x = line.get_xdata()
            assert x.min() == -5 and x.max() == 5
            np.testing.assert_allclose(line.get_ydata(), NUMPY_ACTIVATIONS[name](w * x + b), rtol=1e-12, atol=1e-14)
    assert axes[0, 1].get_title() == f"w = {settings[1][0]:g}, b = {settings[1][1]:g}"


def test_static_activation_grid_takes_other_activations_and_settings():
    fig = interact_activation(static=True, activations=["softplus"], settings=[(2, -1)], x_range=(-2, 2))
    (ax,) = fig.axes
    (line,) = ax.lines
    x = line.get_xdata()
    np.testing.assert_allclose(line.get_ydata(), np.log1p(np.exp(2 * x - 1)), rtol=1e-12)
    with pytest.raises(ValueError, match="interact_activation: unknown activation 'swish'"):
        interact_activation(static=True, activations=["swish"])
    with pytest.raises(TypeError, match="static must be None"):
        interact_activation(static="yes")


@pytest.mark.parametrize("output_activation, steps", [("sigmoid", 2000), ("linear", 400)])
def test_static_network_panels(output_activation, steps):
    from nn.scalar import MLP

    fig = interact_network(static=True, output_activation=output_activation, steps=steps)
    assert len(fig.axes) == 3
    start = params_from_network(MLP(1, [2, 1], activation="sigmoid", output_activation=output_activation, seed=1))
    fitted = params_from_network(fit_network(steps=steps, output_activation=output_activation)[0])
    target = np_rescaled(minus_x_squared) if output_activation == "sigmoid" else minus_x_squared
    losses = []
    for ax, p in zip(fig.axes, [start, interact._hand_set(output_activation), fitted]):
        target_line, net_line = ax.lines
        x = target_line.get_xdata()
        np.testing.assert_allclose(target_line.get_ydata(), target(x), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(net_line.get_ydata(), np_network(p, x, output_activation), rtol=1e-12, atol=1e-14)
        assert title_number(ax) == pytest.approx(np_mse(p, target, output_activation), rel=1e-3)
        losses.append(title_number(ax))
    assert "seed 1" in fig.axes[0].get_title() and "fitted by the engine" in fig.axes[2].get_title()
    assert losses[2] < losses[0] / 10  # the engine's fit is far better than the start


def test_no_kernel_means_a_static_figure():
    from matplotlib.figure import Figure

    assert not interact._in_kernel()  # pytest is not a Jupyter kernel
    assert isinstance(interact_activation(), Figure)
    assert isinstance(interact_network(steps=20), Figure)


def test_missing_ipywidgets_in_a_kernel_means_a_static_figure(monkeypatch):
    from matplotlib.figure import Figure

    monkeypatch.setattr(interact, "_in_kernel", lambda: True)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # `import ipywidgets` now fails
    assert isinstance(interact_activation(), Figure)
    assert isinstance(interact_network(steps=20), Figure)
    with pytest.raises(ImportError, match=r"interact_activation\(static=False\) needs ipywidgets.*\[interact\]"):
        interact_activation(static=False)


# ---------------------------------------------------------------------- widgets


@pytest.fixture
def ipywidgets():
    return pytest.importorskip("ipywidgets")


def test_activation_widget_controls_and_redraw(ipywidgets):
    widget = interact_activation(static=False)
    assert isinstance(widget, ipywidgets.interactive)
    w, b, act = widget.kwargs_widgets
    assert [c.description for c in (w, b, act)] == ["w", "b", "activation"]
    assert (w.min, w.max, w.value) == (-5.0, 5.0, 1.0) and (b.min, b.max, b.value) == (-5.0, 5.0, 0.0)
    assert list(act.options) == ["relu", "sigmoid", "tanh"]
    (line,) = widget.figure.axes[0].lines
    x = line.get_xdata()
    np.testing.assert_allclose(line.get_ydata(), np.maximum(x, 0.0))
    # moving the controls redraws the line (interactive calls its function on each change)
    w.value, b.value, act.value = -2.0, 1.5, "tanh"
    np.testing.assert_allclose(line.get_ydata(), np.tanh(-2.0 * x + 1.5), rtol=1e-12)
    assert "tanh" in widget.figure.axes[0].get_title()
    # the update function itself, called directly
    widget.f(w=0.5, b=-1.0, activation="sigmoid")
    np.testing.assert_allclose(line.get_ydata(), np_sigmoid(0.5 * x - 1.0), rtol=1e-12)


def test_network_widget_sliders_redraw_and_fit_button(ipywidgets):
    from nn.scalar import MLP

    widget = interact_network(static=False, steps=300)
    assert isinstance(widget, ipywidgets.interactive)
    sliders = widget.kwargs_widgets
    assert [s.description for s in sliders] == list(PARAM_NAMES)
    start = params_from_network(MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=1))
    for s in sliders:
        assert s.min <= -10 and s.max >= 10
        assert s.value == pytest.approx(start[s.description], abs=1e-12)
    assert widget.fit_button in widget.children and widget.children[-1] is widget.out
    ax = widget.figure.axes[0]
    target_line, net_line = ax.lines
    x = target_line.get_xdata()
    np.testing.assert_allclose(target_line.get_ydata(), np_rescaled(minus_x_squared)(x), rtol=1e-12)

    # a slider moves: the network line and the loss in the title follow
    for s, value in zip(sliders, PARAMS[0].values()):
        s.value = value
    now = {s.description: s.value for s in sliders}
    np.testing.assert_allclose(net_line.get_ydata(), np_network(now, x), rtol=1e-12)
    assert title_number(ax) == pytest.approx(np_mse(now, np_rescaled(minus_x_squared), "sigmoid"), rel=1e-3)

    # the button fits from the sliders' values and moves the sliders to the result
    expected = params_from_network(fit_network(steps=300, start=now)[0])
    widget.fit_button.click()
    after = {s.description: s.value for s in sliders}
    for name in PARAM_NAMES:
        assert after[name] == pytest.approx(expected[name], rel=1e-9)
    np.testing.assert_allclose(net_line.get_ydata(), np_network(after, x), rtol=1e-9)
    assert title_number(ax) < np_mse(now, np_rescaled(minus_x_squared), "sigmoid")
    assert "Adam steps" in widget.status.value


def test_network_widget_fitted_start(ipywidgets):
    widget = interact_network(static=False, fitted=True, output_activation="linear", steps=300)
    expected = params_from_network(fit_network(steps=300, output_activation="linear")[0])
    for s in widget.kwargs_widgets:
        assert s.value == pytest.approx(expected[s.description], rel=1e-9)


def test_network_widget_widens_a_slider_for_a_fitted_value_beyond_it(ipywidgets, monkeypatch):
    big = {**PARAMS[0], "b": -25.0}  # outside the default [-10, 10]: must not be clamped
    real_fit = interact.fit_network

    def fake_fit(**kwargs):
        return network_from_params(big), real_fit(steps=1)[1]

    widget = interact_network(static=False)
    monkeypatch.setattr(interact, "fit_network", fake_fit)
    widget.fit_button.click()
    b_slider = widget.kwargs_widgets[-1]
    assert b_slider.min <= -25.0 and b_slider.value == -25.0
    np.testing.assert_allclose(widget.figure.axes[0].lines[1].get_ydata(), np_network(big, widget.figure.axes[0].lines[1].get_xdata()), rtol=1e-12)


def test_widget_in_a_kernel_shows_a_png(ipywidgets, monkeypatch):
    shown = []
    monkeypatch.setattr(interact, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    widget = interact_activation()  # static=None in a kernel with ipywidgets: the widget
    assert isinstance(widget, ipywidgets.interactive)
    shown.clear()
    widget.kwargs_widgets[0].value = 3.0
    assert len(shown) == 1 and shown[0].data[:8] == b"\x89PNG\r\n\x1a\n"


def test_param_keys_name_where_each_of_the_seven_lives() -> None:
    import viz

    params = dict(zip(interact.PARAM_NAMES, [0.5, -1.5, 2.0, -2.5, 3.0, -3.5, 4.0]))
    model = interact.network_from_params(params)  # the scalar MLP
    named = dict(model.named_parameters())
    assert set(viz.PARAM_KEYS) == set(viz.PARAM_NAMES) and len(named) == 7
    for name, key in viz.PARAM_KEYS.items():
        assert named[key].data == params[name], name
