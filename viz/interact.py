"""Sliders, as lesson 1 uses them: an activation of ``w*x + b``, and the 7-parameter network.

Two pictures, each with numbers behind them (computed by this library's engines) and two
ways to look at them:

    activation_curve(name, w, b, x)      act(w*x + b), through Tensor ops
    network_curve(params, x)             f(x) = s(w1*s(v1*x + a1) + w2*s(v2*x + a2) + b)
    network_loss(params, target)         mean_i (f(x_i) - t(x_i))^2 on a grid of x_range
    fit_network(target)                  let the engine find the 7 parameters (nn.fit + Adam)

    interact_activation()                sliders w, b and a dropdown of activations
    interact_network(target=...)         7 sliders, the target, the network, the loss in the
                                         title, and a "fit with the engine" button

In Jupyter with ipywidgets installed (``pip install "autograd-lite[interact]"``), the two
``interact_*`` functions return an ``ipywidgets.interactive`` widget that redraws a
matplotlib figure as the sliders move. Anywhere else (a script, a terminal, no
ipywidgets, or ``static=True``) they return a static matplotlib figure: a grid of panels
for a few settings, never an error. ``static=False`` asks for the widget even outside a
kernel (tests, voila) and raises if ipywidgets is missing.

The network is the lesson's 1 -> 2 -> 1 sigmoid MLP,
``nn.MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid")``; its 7
parameters map to the state dict like this:

    v1, v2 = 0.weight[:, 0]     (input -> hidden weights, shape (2, 1))
    a1, a2 = 0.bias             (hidden biases, shape (2,))
    w1, w2 = 2.weight[0, :]     (hidden -> output weights, shape (1, 2))
    b      = 2.bias[0]          (output bias, shape (1,))

NOTE: a sigmoid output lies in (0, 1), and the lesson's target -x**2 lies in [-1, 0] on
[-1, 1]: the network cannot match it, only its shape (a bump), which is what the notes
compare by eye. So by default (``rescale="auto"``) a target that leaves the sigmoid's
range is mapped affinely onto [0.1, 0.9] over ``x_range`` before it is compared or
fitted, and the plots say so. ``output_activation="linear"`` drops the outer sigmoid,
f(x) = w1*s(v1*x + a1) + w2*s(v2*x + a2) + b, and then the engine fits -x**2 itself.
"""

from __future__ import annotations

import io
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from autograd_lite import Tensor, no_grad
from nn.checks import finite_real, is_real
from nn.layers import TensorMLP
from nn.losses import mse
from nn.optim import Adam
from nn.scalar import MLP
from nn.train import History, fit

from . import style
from ._figures import as_float_array, lecture_figure, predict

__all__ = [
    "PARAM_NAMES",
    "PARAM_KEYS",
    "ACTIVATIONS",
    "activation_curve",
    "network_curve",
    "network_loss",
    "network_from_params",
    "params_from_network",
    "fit_network",
    "interact_activation",
    "interact_network",
]

# The lesson's names for the 7 parameters, in the order the sliders show them.
PARAM_NAMES: Tuple[str, ...] = ("v1", "v2", "a1", "a2", "w1", "w2", "b")
# Where each lives in the state dict (and in named_parameters() of the scalar MLP):
# v = 0.weight, a = 0.bias, w = 2.weight, b = 2.bias.
PARAM_KEYS: Dict[str, str] = {
    "v1": "0.weight[0, 0]", "v2": "0.weight[1, 0]", "a1": "0.bias[0]", "a2": "0.bias[1]",
    "w1": "2.weight[0, 0]", "w2": "2.weight[0, 1]", "b": "2.bias[0]",
}

# Activation name -> what it does to a Tensor z = w*x + b (all of them engine ops).
ACTIVATIONS: Dict[str, Callable[[Tensor], Tensor]] = {
    "relu": Tensor.relu,
    "sigmoid": Tensor.sigmoid,
    "tanh": Tensor.tanh,
    "leaky_relu": Tensor.leaky_relu,
    "softplus": Tensor.softplus,
    "linear": lambda z: z,
}

# The three the lesson plots; the static grid's rows and the dropdown's default choices.
LESSON_ACTIVATIONS: Tuple[str, ...] = ("relu", "sigmoid", "tanh")
# (w, b) columns of the static grid: the plain curve, steeper, shifted left, flipped.
ACTIVATION_SETTINGS: Tuple[Tuple[float, float], ...] = ((1.0, 0.0), (3.0, 0.0), (1.0, 2.0), (-2.0, 1.0))

OUTPUT_ACTIVATIONS: Tuple[str, ...] = ("sigmoid", "linear")
# Where a rescaled target lands for a sigmoid output: inside (0, 1), off the flat tails.
SIGMOID_BAND: Tuple[float, float] = (0.1, 0.9)

Params = Mapping[str, float]
Target = Callable[[np.ndarray], Any]


def _minus_x_squared(x: np.ndarray) -> np.ndarray:
    """The lesson's target, -x**2 (a named function, so its repr reads well in help())."""
    return -(x**2)


# ---------------------------------------------------------------------- curves


def activation_curve(name: str, w: float, b: float, x: Any) -> np.ndarray:
    """``act(w*x + b)`` at every point of ``x``, computed with Tensor ops; same shape as ``x``.

    ``name`` is one of ``ACTIVATIONS`` ("relu", "sigmoid", "tanh", "leaky_relu",
    "softplus", "linear").
    """
    where = "activation_curve"
    act = _activation(name, where)
    w = finite_real(w, f"{where}(w=...)")
    b = finite_real(b, f"{where}(b=...)")
    x = as_float_array(x, "x", where)
    with no_grad():  # a picture: no graph needed
        return act(Tensor(x) * w + b).data.copy()


def network_curve(params: Params, x: Any, output_activation: str = "sigmoid") -> np.ndarray:
    """The 7-parameter network at every point of ``x`` (same shape as ``x``).

    f(x) = s(w1*s(v1*x + a1) + w2*s(v2*x + a2) + b), with s the sigmoid; without the outer
    s when ``output_activation="linear"``. Computed by the Tensor twin of the network.
    """
    x = as_float_array(x, "x", "network_curve")
    model = network_from_params(params, output_activation=output_activation, engine="tensor")
    return predict(model, x.reshape(-1, 1), "network_curve").reshape(x.shape)


def network_loss(
    params: Params,
    target: Target = _minus_x_squared,
    x_range: Tuple[float, float] = (-1.0, 1.0),
    *,
    output_activation: str = "sigmoid",
    rescale: Union[bool, str] = "auto",
    n: int = 41,
) -> float:
    """Mean squared error of the network against the target on ``n`` points of ``x_range``.

    L = 1/n sum_i (f(x_i) - t(x_i))^2, with t the target, rescaled as ``fit_network``
    does (the loss that ``fit_network`` minimises, and the one the plots print).
    """
    where = "network_loss"
    x = _grid(x_range, n, where)
    y = _compared_target(target, x_range, output_activation, rescale, where)[0](x)
    model = network_from_params(params, output_activation=output_activation, engine="tensor")
    with no_grad():
        return float(mse(model(Tensor.from_numpy(x[:, None])), y[:, None]).data)  # a 0-d Tensor


# ---------------------------------------------------------------------- params <-> model


def network_from_params(params: Params, *, output_activation: str = "sigmoid", engine: str = "value") -> Union[MLP, TensorMLP]:
    """The lesson's network holding ``params``: an ``nn.MLP(1, [2, 1], activation="sigmoid", ...)``.

    ``params`` has exactly the 7 keys of ``PARAM_NAMES`` (v1, v2, a1, a2, w1, w2, b).
    ``engine="tensor"`` builds the ``nn.TensorMLP`` twin instead (same state dict).
    """
    where = "network_from_params"
    values = _check_params(params, where)
    output_activation = _check_output_activation(output_activation, where)
    if engine not in ("value", "tensor"):
        raise ValueError(f"{where}: engine must be 'value' (nn.MLP) or 'tensor' (nn.TensorMLP), got {engine!r}")
    cls = MLP if engine == "value" else TensorMLP
    # seed=0: the drawn weights are overwritten at once, but no draw is ever unseeded
    model = cls(1, [2, 1], activation="sigmoid", output_activation=output_activation, seed=0)
    model.load_state_dict({
        "0.weight": np.array([[values["v1"]], [values["v2"]]]),  # (2, 1): input -> hidden
        "0.bias": np.array([values["a1"], values["a2"]]),        # (2,)
        "2.weight": np.array([[values["w1"], values["w2"]]]),    # (1, 2): hidden -> output
        "2.bias": np.array([values["b"]]),                       # (1,)
    })
    return model


def params_from_network(model: Any) -> Dict[str, float]:
    """The 7 named parameters of a 1 -> 2 -> 1 network (either engine), read from its state dict.

    v = 0.weight, a = 0.bias, w = 2.weight, b = 2.bias (see the module docstring).
    """
    where = "params_from_network"
    if not callable(getattr(model, "state_dict", None)):
        raise TypeError(f"{where}: expected an nn model such as nn.MLP(1, [2, 1], ...), got {type(model).__name__}")
    state = model.state_dict()
    expected = {"0.weight": (2, 1), "0.bias": (2,), "2.weight": (1, 2), "2.bias": (1,)}
    found = {k: tuple(np.shape(v)) for k, v in state.items()}
    if found != expected:
        raise ValueError(
            f"{where}: expected the lesson's 1 -> 2 -> 1 network with state {expected}, got {found}; "
            "build it with network_from_params(...) or nn.MLP(1, [2, 1], activation='sigmoid', output_activation='sigmoid')"
        )
    v, a, w, b = state["0.weight"][:, 0], state["0.bias"], state["2.weight"][0], state["2.bias"]
    return {"v1": float(v[0]), "v2": float(v[1]), "a1": float(a[0]), "a2": float(a[1]),
            "w1": float(w[0]), "w2": float(w[1]), "b": float(b[0])}


# ---------------------------------------------------------------------- fitting


def fit_network(
    target: Target = _minus_x_squared,
    x_range: Tuple[float, float] = (-1.0, 1.0),
    steps: int = 2000,
    lr: float = 0.05,
    seed: int = 1,
    *,
    output_activation: str = "sigmoid",
    rescale: Union[bool, str] = "auto",
    n: int = 41,
    start: Optional[Params] = None,
    engine: str = "value",
) -> Tuple[Union[MLP, TensorMLP], History]:
    """Fit the 7-parameter network to ``target`` on ``n`` points of ``x_range``: ``(model, history)``.

    Full-batch Adam on L = 1/n sum_i (f(x_i) - t(x_i))^2 for ``steps`` steps through
    ``nn.fit``. The start is ``start`` (a params dict, e.g. the sliders' values) or a
    network drawn from ``seed``. With a sigmoid output, a target outside (0, 1) is
    rescaled onto [0.1, 0.9] first (``rescale``, see the module docstring).

    NOTE: some starts end on a plateau where the network outputs a constant: for a
    symmetric target like -x**2, both hidden units facing the same way can only make a
    monotone curve, whose best fit is flat. That is lesson 1's "multiple optima"; the
    default seed starts elsewhere, another seed or a hand-set start gets out.
    ``engine="tensor"`` trains the TensorMLP twin instead (faster). The two start from the
    same numbers and agree to about 1e-14 for a long while; late in a long run, Adam near
    the minimum bounces and amplifies the different rounding of the two engines, so final
    losses can differ in their third digit.
    """
    where = "fit_network"
    if not is_real(steps) or int(steps) != steps or steps < 1:
        raise ValueError(f"{where}: steps must be an int >= 1, got {steps!r}")
    lr = finite_real(lr, f"{where}(lr=...)")
    if lr <= 0:
        raise ValueError(f"{where}: lr must be > 0, got {lr}")
    output_activation = _check_output_activation(output_activation, where)
    if engine not in ("value", "tensor"):
        raise ValueError(f"{where}: engine must be 'value' (nn.MLP) or 'tensor' (nn.TensorMLP), got {engine!r}")
    x = _grid(x_range, n, where)
    y = _compared_target(target, x_range, output_activation, rescale, where)[0](x)
    if start is not None:
        model = network_from_params(start, output_activation=output_activation, engine=engine)
    else:
        cls = MLP if engine == "value" else TensorMLP
        model = cls(1, [2, 1], activation="sigmoid", output_activation=output_activation, seed=seed)
    history = fit(model, mse, (x[:, None], y[:, None]), Adam(model.parameters(), lr=lr),
                  epochs=int(steps), progress=False, log_every=0)
    return model, history


# ---------------------------------------------------------------------- sliders


@lecture_figure
def interact_activation(
    *,
    static: Optional[bool] = None,
    activations: Sequence[str] = LESSON_ACTIVATIONS,
    settings: Sequence[Tuple[float, float]] = ACTIVATION_SETTINGS,
    x_range: Tuple[float, float] = (-5.0, 5.0),
) -> Any:
    """Sliders for ``act(w*x + b)``: an ipywidgets widget in Jupyter, else a static grid figure.

    Widget: sliders ``w`` and ``b`` (in [-5, 5]) and a dropdown ``activation`` redraw one
    curve; the figure is ``widget.figure``. Static (``static=True``, no ipywidgets, or not
    in a kernel): a grid with one row per activation and one column per ``(w, b)`` in
    ``settings``. ``static=False`` insists on the widget (ImportError without ipywidgets).
    """
    where = "interact_activation"
    activations = [_activation_name(a, where) for a in activations]
    if not activations:
        raise ValueError(f"{where}: activations is empty; pass e.g. ('relu', 'sigmoid', 'tanh')")
    x = _grid(x_range, 201, where)
    widgets = _widgets_module(static, where)
    if widgets is None:
        return _activation_grid(activations, settings, x, where)
    return _activation_widget(widgets, activations, x)


@lecture_figure
def interact_network(
    target: Target = _minus_x_squared,
    *,
    static: Optional[bool] = None,
    fitted: bool = False,
    x_range: Tuple[float, float] = (-1.0, 1.0),
    output_activation: str = "sigmoid",
    rescale: Union[bool, str] = "auto",
    steps: int = 2000,
    lr: float = 0.05,
    seed: int = 1,
) -> Any:
    """The 7-parameter network against ``target``: sliders in Jupyter, else a static figure.

    Widget: sliders v1, v2, a1, a2, w1, w2, b (start: the network drawn from ``seed``, or
    the engine's fit with ``fitted=True``), the target and the network curve, the loss
    (``network_loss``) in the title, and a "fit with the engine" button that runs
    ``fit_network`` from the sliders' values and moves the sliders to the result (click
    again to train on). Static: three panels (the start, a hand-set bump, the engine's
    fit), each with its loss. ``steps``, ``lr``, ``seed`` go to ``fit_network``.
    """
    where = "interact_network"
    output_activation = _check_output_activation(output_activation, where)
    compared, label = _compared_target(target, x_range, output_activation, rescale, where)
    x = _grid(x_range, 201, where)
    widgets = _widgets_module(static, where)
    fit_kwargs: Dict[str, Any] = dict(target=target, x_range=x_range, steps=steps, lr=lr, seed=seed,
                                      output_activation=output_activation, rescale=rescale)
    loss_kwargs = dict(target=target, x_range=x_range, output_activation=output_activation, rescale=rescale)
    start = params_from_network(
        MLP(1, [2, 1], activation="sigmoid", output_activation=output_activation, seed=seed)
    )
    if widgets is not None and not fitted:
        return _network_widget(widgets, start, x, compared(x), label, output_activation, fit_kwargs, loss_kwargs)
    fitted_params = params_from_network(fit_network(**fit_kwargs)[0])
    if widgets is not None:
        return _network_widget(widgets, fitted_params, x, compared(x), label, output_activation, fit_kwargs, loss_kwargs)
    panels = {
        f"start (seed {seed})": start,
        "set by hand": _hand_set(output_activation),
        f"fitted by the engine ({steps} Adam steps)": fitted_params,
    }
    return _network_panels(panels, x, compared(x), label, output_activation, loss_kwargs)


# ---------------------------------------------------------------------- static figures


def _activation_grid(activations: List[str], settings: Sequence[Tuple[float, float]], x: np.ndarray, where: str) -> Any:
    """Rows: activations; columns: (w, b) settings; one curve per panel."""
    import matplotlib.pyplot as plt

    settings = [(finite_real(w, f"{where}(settings=...)"), finite_real(b, f"{where}(settings=...)")) for w, b in settings]
    if not settings:
        raise ValueError(f"{where}: settings is empty; pass e.g. ((1, 0), (3, 0))")
    rows, cols = len(activations), len(settings)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols + 0.8, 2.8 * rows + 0.6), sharex=True, squeeze=False,
                             layout="constrained")
    for i, name in enumerate(activations):
        for j, (w, b) in enumerate(settings):
            ax = axes[i, j]
            look = style.series(i)
            ax.plot(x, activation_curve(name, w, b, x), color=look["color"], linestyle=look["linestyle"])
            ax.grid(alpha=0.3)
            if i == 0:
                ax.set_title(f"w = {w:g}, b = {b:g}")
            if j == 0:
                ax.set_ylabel(f"{name}(w x + b)")
            if i == rows - 1:
                ax.set_xlabel("x")
    return fig


def _network_panels(panels: Mapping[str, Params], x: np.ndarray, y: np.ndarray, label: str,
                    output_activation: str, loss_kwargs: Mapping[str, Any]) -> Any:
    """One panel per parameter setting: the target, the network, the loss in the title."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), 5.2), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, (title, params) in zip(axes[0], panels.items()):
        ax.plot(x, y, color=style.BLACK, linestyle="--", label=label)
        ax.plot(x, network_curve(params, x, output_activation), color=style.VERMILLION, linestyle="-",
                label="network f(x)")
        ax.set_title(f"{title.replace(' (', chr(10) + '(', 1)}\nloss = {network_loss(params, **loss_kwargs):.4g}")
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=style.STYLE["axes.labelsize"])
    return fig


def _hand_set(output_activation: str) -> Dict[str, float]:
    """A bump a student can reach with the sliders (round numbers, for -x**2 on [-1, 1]).

    s(4x + 2) rises around x = -1/2 and s(-4x + 2) falls around x = +1/2: their sum is
    high in the middle and low at the ends; the output layer scales and shifts it.
    """
    hidden = {"v1": 4.0, "a1": 2.0, "v2": -4.0, "a2": 2.0}
    if output_activation == "sigmoid":  # s(6 (h1 + h2) - 8): high at 0, low at +-1
        return {**hidden, "w1": 6.0, "w2": 6.0, "b": -8.0}
    return {**hidden, "w1": 1.5, "w2": 1.5, "b": -2.5}  # 1.5 (h1 + h2) - 2.5: near 0 at 0, -1 at +-1


# ---------------------------------------------------------------------- widgets


def _activation_widget(widgets: Any, activations: List[str], x: np.ndarray) -> Any:
    """``ipywidgets.interactive`` over (w, b, activation), redrawing one line."""
    fig, ax = _widget_figure()
    (line,) = ax.plot(x, activation_curve(activations[0], 1.0, 0.0, x), color=style.BLUE)
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)

    def update(w: float, b: float, activation: str) -> None:
        line.set_ydata(activation_curve(activation, w, b, x))
        ax.set_title(f"{activation}(w x + b),  w = {w:.2f}, b = {b:.2f}")
        ax.relim()  # relu grows with w: rescale the axes to the new curve
        ax.autoscale_view()
        _show(fig)

    widget = widgets.interactive(
        update,
        clear_output=_in_kernel(),  # (outside a kernel, clearing only prints escape codes)
        w=widgets.FloatSlider(value=1.0, min=-5.0, max=5.0, step=0.1, description="w"),
        b=widgets.FloatSlider(value=0.0, min=-5.0, max=5.0, step=0.1, description="b"),
        activation=widgets.Dropdown(options=activations, value=activations[0], description="activation"),
    )
    widget.figure = fig
    return widget


def _network_widget(widgets: Any, params: Params, x: np.ndarray, y: np.ndarray, label: str, output_activation: str,
                    fit_kwargs: Mapping[str, Any], loss_kwargs: Mapping[str, Any]) -> Any:
    """``ipywidgets.interactive`` over the 7 sliders, plus the "fit with the engine" button."""
    fig, ax = _widget_figure()
    ax.plot(x, y, color=style.BLACK, linestyle="--", label=label)
    (line,) = ax.plot(x, network_curve(params, x, output_activation), color=style.VERMILLION, label="network f(x)")
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower center")
    if output_activation == "sigmoid":  # the output stays in (0, 1): fixed axes, no jumping
        ax.set_ylim(min(0.0, float(y.min())) - 0.05, max(1.0, float(y.max())) + 0.05)
    hold = [False]  # True while the button moves the sliders: redraw once, at the end

    def update(v1: float, v2: float, a1: float, a2: float, w1: float, w2: float, b: float) -> None:
        if hold[0]:
            return
        now = {"v1": v1, "v2": v2, "a1": a1, "a2": a2, "w1": w1, "w2": w2, "b": b}
        line.set_ydata(network_curve(now, x, output_activation))
        ax.set_title(f"loss (MSE) = {network_loss(now, **loss_kwargs):.4g}")
        if output_activation != "sigmoid":
            ax.relim()
            ax.autoscale_view()
        _show(fig)

    sliders = {name: widgets.FloatSlider(value=params[name], description=name, step=0.1,
                                         min=min(-10.0, params[name]), max=max(10.0, params[name]))
               for name in PARAM_NAMES}
    widget = widgets.interactive(update, clear_output=_in_kernel(), **sliders)
    button = widgets.Button(description="fit with the engine", tooltip="Adam on the loss, from the sliders' values")
    status = widgets.Label(value="")

    def on_fit(_: Any) -> None:
        start = {name: float(s.value) for name, s in sliders.items()}
        model, history = fit_network(**fit_kwargs, start=start)
        hold[0] = True
        try:
            for name, value in params_from_network(model).items():
                s = sliders[name]
                # a slider clamps to its range: widen it first (max before min would also do)
                s.min, s.max = min(s.min, value), max(s.max, value)
                s.value = value
        finally:
            hold[0] = False
        status.value = (f"engine fit: loss {network_loss(start, **loss_kwargs):.4g} -> "
                        f"{network_loss(params_from_network(model), **loss_kwargs):.4g} "
                        f"in {history.steps} Adam steps")
        widget.update()

    button.on_click(on_fit)
    # the interactive's children are its controls then its output area: add ours in between
    widget.children = (*widget.children[:-1], button, status, widget.children[-1])
    widget.figure, widget.fit_button, widget.status = fig, button, status
    return widget


def _widget_figure() -> Tuple[Any, Any]:
    """A Figure outside pyplot: the widget shows it itself, pyplot never shows it twice."""
    from matplotlib.figure import Figure

    with style.lecture():  # the widget redraws outside any figure function: its text is sized now
        fig = Figure(figsize=(8.0, 5.4), layout="tight")
        return fig, fig.add_subplot()


def _show(fig: Any) -> None:
    """In a kernel, show ``fig`` as a PNG in the widget's output area (any backend)."""
    if not _in_kernel():
        return
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    display(Image(data=buf.getvalue(), format="png"))


def _in_kernel() -> bool:
    """True inside a Jupyter (IPython) kernel: ``get_ipython()`` has a ``kernel``."""
    if "IPython" not in sys.modules:  # a kernel always has IPython loaded: no import needed
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return hasattr(get_ipython(), "kernel")


def _widgets_module(static: Optional[bool], where: str) -> Any:
    """ipywidgets when the widget should be built, else None (static figure)."""
    if static is not None and not isinstance(static, bool):
        raise TypeError(f"{where}: static must be None (automatic), True or False, got {static!r}")
    if static is True or (static is None and not _in_kernel()):
        return None
    try:
        import ipywidgets
    except ImportError:
        if static is False:
            raise ImportError(
                f"{where}(static=False) needs ipywidgets: pip install 'autograd-lite[interact]' "
                "(or pip install ipywidgets); static=None falls back to a static figure"
            ) from None
        return None
    return ipywidgets


# ---------------------------------------------------------------------- checks


def _activation(name: Any, where: str) -> Callable[[Tensor], Tensor]:
    return ACTIVATIONS[_activation_name(name, where)]


def _activation_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {name!r}; choose one of {list(ACTIVATIONS)}")
    return name


def _check_output_activation(name: Any, where: str) -> str:
    if name not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"{where}: output_activation must be one of {list(OUTPUT_ACTIVATIONS)} "
            f"(the lesson's sigmoid, or linear to fit any curve), got {name!r}"
        )
    return str(name)


def _check_params(params: Any, where: str) -> Dict[str, float]:
    if not isinstance(params, Mapping):
        raise TypeError(f"{where}: params must be a dict with keys {list(PARAM_NAMES)}, got {type(params).__name__}")
    missing = [k for k in PARAM_NAMES if k not in params]
    extra = [k for k in params if k not in PARAM_NAMES]
    if missing or extra:
        raise ValueError(
            f"{where}: params must have exactly the keys {list(PARAM_NAMES)}; missing {missing}, unexpected {extra}"
        )
    return {k: finite_real(params[k], f"{where}: params[{k!r}]") for k in PARAM_NAMES}


def _grid(x_range: Any, n: int, where: str) -> np.ndarray:
    """``n`` evenly spaced points from lo to hi, after checking both."""
    if not isinstance(x_range, (tuple, list)) or len(x_range) != 2:
        raise ValueError(f"{where}: x_range must be a pair (lo, hi), got {x_range!r}")
    lo = finite_real(x_range[0], f"{where}(x_range=...)")
    hi = finite_real(x_range[1], f"{where}(x_range=...)")
    if not lo < hi:
        raise ValueError(f"{where}: x_range must have lo < hi, got {x_range!r}")
    if not is_real(n) or int(n) != n or n < 2:
        raise ValueError(f"{where}: n must be an int >= 2, got {n!r}")
    return np.linspace(lo, hi, int(n))


def _target_values(target: Any, x: np.ndarray, where: str) -> np.ndarray:
    """``target(x)`` as a finite float array of x's shape, or an error saying what went wrong."""
    if not callable(target):
        raise TypeError(f"{where}: target must be a function of a numpy array x (e.g. lambda x: -x**2), got {type(target).__name__}")
    try:
        # numpy's own warnings (log of a negative, ...) give way to the clear error below
        with np.errstate(all="ignore"):
            y = np.broadcast_to(np.asarray(target(x), dtype=np.float64), x.shape)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: target(x) must return numbers shaped like x {x.shape} ({exc})") from None
    bad = ~np.isfinite(y)
    if bad.any():
        raise ValueError(f"{where}: target(x) is nan or inf at x = {x[bad][0]!r}; choose another x_range or target")
    return np.array(y)


def _compared_target(target: Any, x_range: Any, output_activation: str, rescale: Any,
                     where: str) -> Tuple[Callable[[np.ndarray], np.ndarray], str]:
    """The curve the network is compared with, and its legend label.

    The target itself, or (sigmoid output, ``rescale`` True, or "auto" and the target
    leaves (0, 1) on ``x_range``) its affine image t' = lo + (hi - lo) (t - min t) /
    (max t - min t) with [lo, hi] = SIGMOID_BAND, min and max taken on a fine grid of
    ``x_range`` (fixed by the range, not by the points one asks for).
    """
    output_activation = _check_output_activation(output_activation, where)
    if not (isinstance(rescale, bool) or (isinstance(rescale, str) and rescale == "auto")):
        raise ValueError(f"{where}: rescale must be 'auto', True or False, got {rescale!r}")
    fine = _grid(x_range, 201, where)
    t = _target_values(target, fine, where)
    if rescale == "auto":
        rescale = output_activation == "sigmoid" and not (t.min() > 0.0 and t.max() < 1.0)
    if not rescale:
        return (lambda x: _target_values(target, x, where)), "target"
    lo, hi = SIGMOID_BAND
    t_min, t_max = float(t.min()), float(t.max())
    if t_max == t_min:  # a flat target: the middle of the band
        scale, shift = 0.0, (lo + hi) / 2
    else:
        scale = (hi - lo) / (t_max - t_min)
        shift = lo - scale * t_min
    return (lambda x: shift + scale * _target_values(target, x, where)), f"target, rescaled to [{lo:g}, {hi:g}]"
