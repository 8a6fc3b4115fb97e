"""What training does inside a network: activations, gradient flow, dead ReLUs, saturation.

Four questions a lecture asks about a network that trains badly, each a number you can
compute and a picture you can draw:

* What does each layer output?  ``layer_activations(model, X)``: one array (N, units)
  per nonlinearity, read off a forward pass that keeps its intermediate results;
  ``plot_activation_hist`` shows their histograms (saturated sigmoid/tanh units pile
  up at the ends of their range, where the derivative is ~0).
* Do the early layers learn?  ``gradient_norms(model)``: mean and max |dL/dW| per weight
  matrix, read after your ``loss.backward()``; ``plot_gradient_flow`` draws them as bars.
  A deep stack of sigmoids multiplies the gradient by s'(z) <= 1/4 once per layer, so
  the first layer's gradient is orders of magnitude below the last one's (vanishing
  gradients).
* Are some ReLUs dead?  ``dead_relu_fraction(model, X)``: per ReLU layer, the fraction
  of units that output 0 for every sample of X. Such a unit gets no gradient
  (relu'(z) = 0 for z <= 0), so training can never revive it.

Both engines work: a scalar ``nn.MLP`` (or one ``nn.Layer``) is run sample by sample,
layer by layer; a Tensor ``nn.Sequential`` / ``nn.TensorMLP`` module by module, on the
whole batch at once. Nothing here records a graph or changes the model (``no_grad``).

Layer names follow the model's ``state_dict``: in ``Sequential(Linear, Tanh, Linear,
...)`` the first activation sits at position 1, so its name is ``"1 (tanh)"``, on either
engine. Twins (``MLP(..., seed=s)`` and ``TensorMLP(..., seed=s)``) give the same names
and the same numbers. The figures say it the lectures' way: "hidden layer 1 (tanh)",
"output layer (sigmoid)", W1, W2 for the weight matrices (``names="keys"``: the
state-dict names).
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from autograd_lite import Tensor, no_grad
from nn.layers import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from nn.scalar import MLP, Layer

from . import style
from ._figures import as_float_array, lecture_figure, model_engine, new_axes, place_legend

__all__ = [
    "layer_activations",
    "GradStats",
    "gradient_norms",
    "plot_gradient_flow",
    "dead_relu_fraction",
    "plot_dead_relus",
    "plot_activation_hist",
    "saturation",
]

# Tensor-track activation modules -> the kind the scalar track names them by.
# (nn.Identity is the "linear" activation: nothing happens there, so nothing is recorded.)
_TENSOR_KINDS = {ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid", LeakyReLU: "leaky_relu", Softmax: "softmax"}

# The output range of a bounded activation: histograms and colour scales use it, so that
# saturation shows as mass at the ends of the axis.
BOUNDED_RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0)}


def _kind(name: str) -> str:
    """``"1 (tanh)"`` -> ``"tanh"``: the activation kind inside a layer name."""
    return name[name.rfind("(") + 1 : -1] if name.endswith(")") else ""


#: How the lectures write each activation.
_KIND_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "softmax": "softmax"}


def people_layer_name(name: str, output: bool = False) -> str:
    """``"3 (relu)"`` -> ``"hidden layer 2 (ReLU)"``: an activation layer's name as a lecture says it.

    The activation at position p of ``Sequential(Linear, act, Linear, act, ...)`` follows
    the Linear at p - 1, the ((p + 1) / 2)-th layer; ``output=True``: "output layer (...)".
    A name of another form is returned as it is.
    """
    kind = _kind(name)
    position = name[: name.rfind("(")].strip() if kind else name
    shown = _KIND_NAMES.get(kind, kind)
    if output:
        return f"output layer ({shown})"
    if not position.isdigit():
        return name
    return f"hidden layer {(int(position) + 1) // 2} ({shown})"


def _people_names(model: Any, names: List[str]) -> List[str]:
    """People's names for ``layer_activations``' names: the last is "output layer" when the model ends in it."""
    if model_engine(model, "layer names") == "tensor":
        steps = _flat_modules(model)
        ends_in_activation = bool(steps) and type(steps[-1][1]) in _TENSOR_KINDS
    else:
        layers = _scalar_layers(model, "layer names")
        ends_in_activation = layers[-1][1].activation != "linear"
    return [people_layer_name(n, output=ends_in_activation and i == len(names) - 1) for i, n in enumerate(names)]


# ---------------------------------------------------------------------- forward passes


def _flat_modules(model: Any, prefix: str = "") -> List[Tuple[str, Any]]:
    """The modules a Tensor model applies, in order, with state-dict names ("0", "1", ...).

    Nested ``Sequential``s are opened (their children are "2.0", "2.1", ...). Any other
    module is one step; only the ones listed in ``_TENSOR_KINDS`` are activations.
    """
    out: List[Tuple[str, Any]] = []
    stack: List[Tuple[str, Any]] = [(prefix, model)]
    while stack:  # iterative, as every graph walk here: no recursion limit to hit
        name, m = stack.pop()
        if isinstance(m, Sequential):
            children = [(f"{name}.{i}" if name else str(i), c) for i, c in enumerate(m.modules)]
            stack.extend(reversed(children))
        else:
            out.append((name, m))
    return out


def _scalar_layers(model: Any, where: str) -> List[Tuple[int, Layer]]:
    """``(position, Layer)`` of a scalar model: positions as in PyTorch's Sequential."""
    if isinstance(model, MLP):
        return [(int(name), layer) for name, layer in model.named_children() if isinstance(layer, Layer)]  # (all are)
    if isinstance(model, Layer):
        return [(0, model)]
    raise TypeError(
        f"{where}: cannot look inside a scalar {type(model).__name__}; pass an nn.MLP or an nn.Layer "
        "(or a Tensor nn.Sequential / nn.TensorMLP)"
    )


def _nin(model: Any, where: str) -> Optional[int]:
    """How many input features the model reads (None if its first step does not say)."""
    if model_engine(model, where) == "value":
        return _scalar_layers(model, where)[0][1].nin
    steps = _flat_modules(model)
    first = steps[0][1] if steps else None  # (an empty Sequential has no first step)
    return first.nin if isinstance(first, Linear) else None


def _check_inputs(model: Any, X: Any, where: str) -> np.ndarray:
    X = as_float_array(X, "X", where, ndim=2)
    nin = _nin(model, where)
    if nin is not None and X.shape[1] != nin:
        raise ValueError(f"{where}: X has shape {X.shape}, but the model reads {nin} features: pass an array (N, {nin})")
    if len(X) == 0:
        raise ValueError(f"{where}: X has no rows (shape {X.shape})")
    return X


def _tensor_activations(model: Any, X: np.ndarray, where: str) -> List[Tuple[str, np.ndarray]]:
    if not isinstance(model, (Sequential, Linear)) and type(model) not in _TENSOR_KINDS:
        raise TypeError(
            f"{where}: cannot look inside a {type(model).__name__}: its forward() is opaque; build the model "
            "as an nn.Sequential (or nn.TensorMLP) so the layers can be run one at a time"
        )
    out: List[Tuple[str, np.ndarray]] = []
    h: Any = Tensor.from_numpy(X)
    with no_grad():
        for name, m in _flat_modules(model):
            h = m(h)  # (N, units) after each step
            kind = _TENSOR_KINDS.get(type(m))
            if kind is not None:
                out.append((f"{name or '0'} ({kind})", np.array(h.data, dtype=np.float64).reshape(len(X), -1)))
    return out


def _scalar_activations(model: Any, X: np.ndarray, where: str) -> List[Tuple[str, np.ndarray]]:
    layers = _scalar_layers(model, where)
    # The activation after the Linear at position p sits at p + 1 (as in the Tensor twin).
    recorded = [(pos, layer) for pos, layer in layers if layer.activation != "linear"]
    rows: List[List[List[float]]] = [[] for _ in recorded]
    with no_grad():
        for x in X.tolist():  # one sample at a time, as a scalar model is built to run
            h: Any = x
            k = 0
            for _, layer in layers:
                h = layer(h)  # a list of nout Values
                if layer.activation != "linear":
                    rows[k].append([v.data for v in h])
                    k += 1
    return [(f"{pos + 1} ({layer.activation})", np.array(r, dtype=np.float64)) for (pos, layer), r in zip(recorded, rows)]


def layer_activations(model: Any, X: Any) -> List[Tuple[str, np.ndarray]]:
    """Each nonlinearity's output on the rows of X: ``[(name, array (N, units)), ...]``.

    ``h_0 = X``, ``h_l = act_l(h_{l-1} W_l^T + b_l)``: one entry per activation, in forward
    order, named by its position in the Sequential (``"1 (tanh)"``, ``"3 (tanh)"``, ...).
    A linear output layer has no activation, so it is not listed. No graph is recorded.
    """
    where = "layer_activations"
    X = _check_inputs(model, X, where)
    if model_engine(model, where) == "tensor":
        return _tensor_activations(model, X, where)
    return _scalar_activations(model, X, where)


# ---------------------------------------------------------------------- gradient flow


class GradStats(NamedTuple):
    """Mean and max of |dL/dW| over one parameter's entries."""

    mean: float
    max: float


def gradient_norms(model: Any, *, include_bias: bool = False) -> Dict[str, GradStats]:
    """``{"0.weight": GradStats(mean, max), ...}``: mean |dL/dW| and max |dL/dW| per weight.

    Read after your ``loss.backward()`` (nothing is computed here). Keys are state-dict
    names, in forward order; biases are left out unless ``include_bias=True``. Raises if
    no gradient was computed: on the Tensor track a ``.grad`` of None; on the scalar track
    (a Value's grad is 0.0 until backward) every gradient being exactly 0.
    """
    where = "gradient_norms"
    engine = model_engine(model, where)
    stats: Dict[str, GradStats] = {}
    missing: List[str] = []
    any_nonzero = False
    for name, _, params in model.groups():
        if not (name.endswith("weight") or (include_bias and name.endswith("bias"))):
            continue
        if engine == "tensor":
            if params.grad is None:
                missing.append(name)
                continue
            g = np.abs(np.asarray(params.grad, dtype=np.float64))
        else:
            g = np.abs(np.array([p.grad for p in params], dtype=np.float64))
        any_nonzero = any_nonzero or bool(g.any())
        stats[name] = GradStats(float(g.mean()), float(g.max()))
    if missing:
        raise ValueError(
            f"{where}: no gradient yet for {missing} (.grad is None); run the forward pass, then loss.backward(), "
            "before reading gradient norms"
        )
    if not stats:
        raise ValueError(f"{where}: {type(model).__name__} has no weight parameters")
    if engine == "value" and not any_nonzero:
        raise ValueError(
            f"{where}: every gradient is 0.0, so none was computed yet (or zero_grad() ran after it); "
            "call loss.backward() first"
        )
    return stats


@lecture_figure
def plot_gradient_flow(model: Any, *, ax: Any = None, logy: bool = True, include_bias: bool = False,
                       names: str = "people") -> Any:
    """Bars of max |dL/dW| (light, hatched) and mean |dL/dW| (dark) per layer, input to output.

    The classic "gradient flow" picture: with saturated sigmoids the early layers' bars
    are orders of magnitude shorter (hence ``logy=True``). Call after ``loss.backward()``.
    The bars are labelled W1, W2, ... (b1, ... for biases), the weight matrices in order
    from the input; ``names="keys"`` labels them "0.weight", "2.weight", .... Returns the Axes.
    """
    from .plots import layer_names

    stats = gradient_norms(model, include_bias=include_bias)
    keys = list(stats)
    shown = layer_names(keys, names)
    ticks = [shown[k].rsplit(" ", 1)[-1] if names == "people" else k for k in keys]  # "W1" of "layer 1 weights W1"
    means = np.array([s.mean for s in stats.values()])
    maxes = np.array([s.max for s in stats.values()])
    own_figure = ax is None
    fig, ax = new_axes(ax, figsize=(max(6.0, 0.8 * len(keys) + 3), 5.0))
    x = np.arange(len(keys))
    ax.bar(x, maxes, width=0.6, color=style.SKY_BLUE, edgecolor=style.BLUE, hatch="//", label="max |grad|")
    ax.bar(x, means, width=0.6, color=style.BLUE, edgecolor=style.BLUE, label="mean |grad|")
    ax.set_xticks(x)
    slanted = names == "keys" and len(keys) > 4
    ax.set_xticklabels(ticks, rotation=45 if slanted else 0, ha="right" if slanted else "center")
    # A log axis needs a positive bar somewhere; an all-zero gradient stays on a linear one.
    if logy and (maxes > 0).any():
        ax.set_yscale("log")
    for xi, m in zip(x, maxes):
        if m == 0.0:  # a bar of height 0 is invisible (on a log axis, undrawable): say so
            ax.annotate("0", (xi, 0), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        xycoords=("data", "axes fraction"))
    ax.set_xlabel("weight matrix (input → output)")
    ax.set_ylabel("|dL/dW|")
    ax.set_title("gradient flow")
    if logy and (maxes > 0).any():  # room above the tallest bar for a legend
        ax.set_ylim(top=float(maxes.max()) * 30.0)
    place_legend(ax)
    if own_figure:  # room for the layer names (a caller's figure is the caller's layout)
        fig.tight_layout()
    return ax


# ---------------------------------------------------------------------- dead ReLUs


def _dead_units(model: Any, X: np.ndarray, where: str) -> List[Tuple[str, np.ndarray]]:
    """``[(name, dead mask (units,)), ...]`` for each ReLU layer: True where the unit is 0 on all of X."""
    acts = _tensor_activations(model, X, where) if model_engine(model, where) == "tensor" else _scalar_activations(model, X, where)
    relus = [(name, (a == 0.0).all(axis=0)) for name, a in acts if _kind(name) == "relu"]
    if not relus:
        raise ValueError(
            f"{where}: the model has no ReLU layer (its activations: {[name for name, _ in acts]}); "
            "dead units are a ReLU failure (build it with activation='relu')"
        )
    return relus


def dead_relu_fraction(model: Any, X: Any) -> Dict[str, float]:
    """``{"1 (relu)": fraction, ...}``: per ReLU layer, the share of units with relu(z) = 0 on every row of X.

    dead_j = [max over samples of relu(z_j) == 0]; such a unit passes no gradient
    (relu'(z) = 0 for z <= 0), so no update can bring it back.
    """
    where = "dead_relu_fraction"
    X = _check_inputs(model, X, where)
    return {name: float(dead.mean()) for name, dead in _dead_units(model, X, where)}


@lecture_figure
def plot_dead_relus(model: Any, X: Any, ax: Any = None) -> Any:
    """One bar per ReLU layer: the fraction of dead units, labelled "dead/units". Returns the Axes."""
    where = "plot_dead_relus"
    X = _check_inputs(model, X, where)
    masks = _dead_units(model, X, where)
    own_figure = ax is None
    fig, ax = new_axes(ax, figsize=(max(6.0, 1.2 * len(masks) + 3), 5.0))
    x = np.arange(len(masks))
    fractions = [float(dead.mean()) for _, dead in masks]
    ax.bar(x, fractions, width=0.6, color=style.VERMILLION, edgecolor="k")
    for xi, (_, dead) in zip(x, masks):
        ax.annotate(f"{int(dead.sum())}/{dead.size}", (xi, fractions[xi]), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom")
    ax.set_xticks(x)
    ax.set_xticklabels([people_layer_name(name).replace(" (ReLU)", "").replace("hidden layer", "layer") for name, _ in masks])
    ax.set_ylim(0.0, 1.15)  # fractions, with room for the labels above a full bar
    ax.set_xlabel("hidden ReLU layer")
    ax.set_ylabel("fraction of dead units")
    ax.set_title(f"dead ReLUs on {len(X)} samples")
    if own_figure:
        fig.tight_layout()
    return ax


# ---------------------------------------------------------------------- histograms


def saturation(kind: str, a: np.ndarray, tol: float = 0.01) -> Optional[float]:
    """Share of outputs within ``tol`` of a bounded activation's ends (None if unbounded).

    tanh: |a| > 1 - tol; sigmoid: a < tol or a > 1 - tol. There s'(z) or tanh'(z) < ~tol,
    so almost no gradient passes.
    """
    if kind not in ("tanh", "sigmoid"):
        return None
    lo, hi = BOUNDED_RANGE[kind]
    return float(np.mean((a < lo + tol) | (a > hi - tol)))


@lecture_figure
def plot_activation_hist(model: Any, X: Any, *, bins: int = 50, axes: Optional[Sequence[Any]] = None) -> Any:
    """One histogram per activation layer of its outputs on X (all units pooled).

    Bounded activations are binned over their whole range ([-1, 1] for tanh, [0, 1] for
    sigmoid), so saturation shows as tall end bins; their titles give the saturated share
    (see ``saturation``). ``axes``: one Axes per layer to draw on. Returns the figure.
    """
    where = "plot_activation_hist"
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"{where}: bins must be a positive int, got {bins!r}")
    acts = layer_activations(model, X)
    if not acts:
        raise ValueError(f"{where}: the model has no activation layer (a linear model); nothing to histogram")
    if axes is None:
        import matplotlib.pyplot as plt

        fig, grid = plt.subplots(1, len(acts), figsize=(4.6 * len(acts) + 0.6, 4.4), squeeze=False)
        axes = list(grid[0])
    else:
        axes = list(np.ravel(np.asarray(axes, dtype=object)))
        if len(axes) != len(acts):
            raise ValueError(f"{where}: got {len(axes)} axes for {len(acts)} activation layers {[n for n, _ in acts]}")
        fig = axes[0].figure
    people = _people_names(model, [name for name, _ in acts])
    for i, (ax, (name, a), shown) in enumerate(zip(axes, acts, people)):
        kind = _kind(name)
        lo, hi = BOUNDED_RANGE.get(kind, (float(a.min()), float(a.max())))
        if lo == hi:  # every output equal (e.g. an all-dead ReLU layer): a visible bin around it
            lo, hi = lo - 0.5, hi + 0.5
        ax.hist(a.ravel(), bins=int(bins), range=(lo, hi), color=style.BLUE, edgecolor="white", linewidth=0.5)
        sat = saturation(kind, a)
        ax.set_title(shown if sat is None else f"{shown}:\n{sat:.0%} saturated")
        ax.set_xlabel("activation")
        if i == 0:
            ax.set_ylabel("count")
    if len(fig.axes) == len(acts):  # our own figure (or one holding just these panels): tidy it
        fig.tight_layout()
    return fig
