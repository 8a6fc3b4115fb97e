"""viz.inside: activations per layer, gradient flow, dead ReLUs, activation histograms.

Every number is checked against an independent computation: a numpy forward pass from
the model's ``state_dict()`` (written here, layer by layer), PyTorch (the oracle) for
activations and gradients, and the scalar/Tensor twins against each other. The lecture
demonstrations are asserted as contrasts: a deep sigmoid stack's first-layer gradient
is orders of magnitude below its last one's, where the same depth with ReLU (He init)
keeps them comparable; very negative biases kill a ReLU layer, a fresh net's are alive.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np
import pytest

import nn
from autograd_lite import Value
from nn.layers import Linear, ReLU, Sequential, Tanh, TensorMLP
from nn.losses import binary_cross_entropy_with_logits, mse
from nn.scalar import MLP
from viz.inside import (
    GradStats,
    dead_relu_fraction,
    gradient_norms,
    layer_activations,
    plot_activation_hist,
    plot_dead_relus,
    plot_gradient_flow,
    saturation,
)

# ---------------------------------------------------------------------- independent forward pass

NUMPY_ACTS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    # the textbook formula; inputs here stay far from exp overflow
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": None,
}


def numpy_activations(state: Dict[str, np.ndarray], X: np.ndarray, activation: str, output_activation: str = "linear") -> List[Tuple[str, np.ndarray]]:
    """h_l = act(h_{l-1} W^T + b) from the state dict alone, named by the activation's position."""
    positions = sorted(int(k.split(".")[0]) for k in state if k.endswith("weight"))
    out, h = [], X
    for i, pos in enumerate(positions):
        z = h @ state[f"{pos}.weight"].T + state.get(f"{pos}.bias", 0.0)
        act = activation if i < len(positions) - 1 else output_activation
        h = z if act == "linear" else NUMPY_ACTS[act](z)
        if act != "linear":
            out.append((f"{pos + 1} ({act})", h))
    return out


def moons(n: int = 60, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    X, y = nn.moons(n, noise=0.1, seed=seed)
    return X, y.astype(np.float64)


def torch_twin(torch, model):
    """torch.nn.Sequential with the layers and weights of a TensorMLP."""
    kinds = {"Linear": None, "Tanh": torch.nn.Tanh, "ReLU": torch.nn.ReLU, "Sigmoid": torch.nn.Sigmoid}
    mods = []
    for m in model.modules:
        if isinstance(m, Linear):
            mods.append(torch.nn.Linear(m.nin, m.nout, bias=m.bias is not None))
        else:
            mods.append(kinds[type(m).__name__]())
    twin = torch.nn.Sequential(*mods)
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return twin


# ---------------------------------------------------------------------- layer_activations


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid"])
def test_activations_equal_numpy_from_the_state_dict_on_both_engines(act):
    X, _ = moons(40)
    tensor = TensorMLP(2, [5, 4, 1], activation=act, seed=3)
    scalar = MLP(2, [5, 4, 1], activation=act, seed=3)
    expected = numpy_activations(tensor.state_dict(), X, act)
    for model in (tensor, scalar):
        got = layer_activations(model, X)
        assert [name for name, _ in got] == [name for name, _ in expected] == [f"1 ({act})", f"3 ({act})"]
        for (_, a), (_, b) in zip(got, expected):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_activations_equal_pytorch_intermediate_outputs(torch):
    X, _ = moons(30)
    model = TensorMLP(2, [6, 6, 3], activation="relu", output_activation="sigmoid", seed=1)
    twin = torch_twin(torch, model)
    h, expected = torch.tensor(X), []
    for i, m in enumerate(twin):
        h = m(h)
        if not isinstance(m, torch.nn.Linear):
            expected.append((f"{i} ({type(m).__name__.lower()})", h.detach().numpy()))
    got = layer_activations(model, X)
    # an output activation is an activation too: it is listed last
    assert [n for n, _ in got] == [n for n, _ in expected] == ["1 (relu)", "3 (relu)", "5 (sigmoid)"]
    for (_, a), (_, b) in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_activations_of_a_nested_sequential_are_named_by_their_path():
    X, _ = moons(10)
    inner = Sequential(Linear(3, 3, seed=1), Tanh())
    model = Sequential(Linear(2, 3, seed=0), ReLU(), inner, Linear(3, 1, seed=2))
    got = layer_activations(model, X)
    assert [n for n, _ in got] == ["1 (relu)", "2.1 (tanh)"]
    h1 = np.maximum(X @ model[0].weight.data.T + model[0].bias.data, 0.0)
    np.testing.assert_allclose(got[1][1], np.tanh(h1 @ inner[0].weight.data.T + inner[0].bias.data), rtol=1e-12)


def test_activations_errors_name_the_problem():
    X, _ = moons(10)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        layer_activations(TensorMLP(2, [3, 1], seed=0), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        layer_activations(MLP(2, [3, 1], seed=0), np.ones((4, 5)))
    with pytest.raises(ValueError, match="nan"):
        layer_activations(MLP(2, [3, 1], seed=0), np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="nn model"):
        layer_activations(lambda x: x, X)

    class Custom(nn.Module):
        engine = "tensor"

        def __init__(self):
            self.lin = Linear(2, 1, seed=0)

        def forward(self, x):
            return self.lin(x).tanh()

    with pytest.raises(TypeError, match="Sequential"):
        layer_activations(Custom(), X)


# ---------------------------------------------------------------------- gradient norms


def backward_once(model, X, y):
    """One loss.backward() on the model (scalar: one sample at a time, summed)."""
    if model.engine == "tensor":
        mse(model(X), y.reshape(-1, 1)).backward()
    else:
        preds = [model(list(x))[0] for x in X]
        loss = sum(((p - t) ** 2 for p, t in zip(preds, y.tolist())), Value(0.0)) / len(X)
        loss.backward()


def test_gradient_norms_equal_numpy_over_the_grad_arrays_and_pytorch(torch):
    X, y = moons(40)
    model = TensorMLP(2, [8, 6, 1], activation="tanh", seed=2)
    backward_once(model, X, y)
    got = gradient_norms(model)
    assert list(got) == ["0.weight", "2.weight", "4.weight"]
    params = dict(model.named_parameters())
    for name, stats in got.items():
        g = params[name].grad
        assert isinstance(stats, GradStats)
        assert stats.mean == pytest.approx(np.abs(g).mean(), rel=1e-14)
        assert stats.max == pytest.approx(np.abs(g).max(), rel=1e-14)
    # the same numbers from PyTorch's gradients of the same loss
    twin = torch_twin(torch, model)
    torch.nn.functional.mse_loss(twin(torch.tensor(X)), torch.tensor(y).reshape(-1, 1)).backward()
    for name, p in twin.named_parameters():
        if name.endswith("weight"):
            assert got[name].mean == pytest.approx(p.grad.abs().mean().item(), rel=1e-10)
            assert got[name].max == pytest.approx(p.grad.abs().max().item(), rel=1e-10)
    with_bias = gradient_norms(model, include_bias=True)
    assert list(with_bias) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert with_bias["2.bias"].mean == pytest.approx(np.abs(params["2.bias"].grad).mean(), rel=1e-14)


def test_gradient_norms_of_scalar_and_tensor_twins_agree():
    X, y = moons(12)
    scalar, tensor = MLP(2, [4, 3, 1], seed=5), TensorMLP(2, [4, 3, 1], seed=5)
    backward_once(scalar, X, y)
    backward_once(tensor, X, y)
    a, b = gradient_norms(scalar, include_bias=True), gradient_norms(tensor, include_bias=True)
    assert list(a) == list(b)
    for name in a:
        assert a[name].mean == pytest.approx(b[name].mean, rel=1e-10)
        assert a[name].max == pytest.approx(b[name].max, rel=1e-10)


def test_gradient_norms_refuse_a_model_without_gradients():
    X, y = moons(8)
    tensor = TensorMLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"backward\(\)"):
        gradient_norms(tensor)
    scalar = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"backward\(\)"):
        gradient_norms(scalar)
    backward_once(scalar, X, y)
    gradient_norms(scalar)  # now there are gradients
    scalar.zero_grad()
    with pytest.raises(ValueError, match="zero_grad"):
        plot_gradient_flow(scalar)


def deep(activation: str, init: str):
    """8 hidden layers of 16 units, one backward of a logistic loss on moons."""
    X, y = moons(100)
    model = TensorMLP(2, [16] * 8 + [1], activation=activation, init=init, seed=0)
    binary_cross_entropy_with_logits(model(X), y.reshape(-1, 1)).backward()
    return model


def test_deep_sigmoid_stack_has_vanishing_gradients_where_relu_does_not():
    sig = list(gradient_norms(deep("sigmoid", "default")).values())
    relu = list(gradient_norms(deep("relu", "kaiming_normal")).values())
    assert len(sig) == 9
    # s'(z) <= 1/4 at every layer: the first layer learns orders of magnitude slower
    assert sig[0].mean < 1e-4 * sig[-1].mean
    # and it shrinks layer after layer, input side smallest
    assert all(a.mean < b.mean for a, b in zip(sig, sig[1:]))
    # the same depth with ReLU and He init keeps the gradient's scale
    assert relu[0].mean > 1e-2 * relu[-1].mean


def test_plot_gradient_flow_draws_the_norms_per_layer():
    model = deep("sigmoid", "default")
    stats = gradient_norms(model)
    ax = plot_gradient_flow(model)
    maxes, means = ax.containers  # two bar groups, drawn max first (behind)
    assert [b.get_height() for b in means] == [s.mean for s in stats.values()]
    assert [b.get_height() for b in maxes] == [s.max for s in stats.values()]
    # the lectures' names for the weight matrices, in order from the input; keys on request
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"W{k}" for k in range(1, len(stats) + 1)]
    assert list(stats)[:2] == ["0.weight", "2.weight"]
    keyed = plot_gradient_flow(model, names="keys")
    assert [t.get_text() for t in keyed.get_xticklabels()] == list(stats)
    assert maxes[0].get_hatch() and not means[0].get_hatch()  # max and mean differ by more than shade
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() and ax.get_xlabel()
    import matplotlib.pyplot as plt

    fig, mine = plt.subplots()
    assert plot_gradient_flow(model, ax=mine, logy=False) is mine
    assert mine.get_yscale() == "linear"


# ---------------------------------------------------------------------- dead ReLUs


def test_very_negative_biases_kill_a_relu_layer_on_both_engines():
    X, _ = moons(50)
    for model in (TensorMLP(2, [8, 8, 1], activation="relu", seed=0), MLP(2, [8, 8, 1], activation="relu", seed=0)):
        state = model.state_dict()
        state["0.bias"] = np.full(8, -100.0)  # z = w . x - 100 < 0 for every moons point
        model.load_state_dict(state)
        fractions = dead_relu_fraction(model, X)
        assert list(fractions) == ["1 (relu)", "3 (relu)"]
        assert fractions["1 (relu)"] == 1.0


def test_fresh_net_has_few_dead_relus_and_the_fraction_equals_numpy():
    X, _ = moons(200)
    tensor = TensorMLP(2, [16, 16, 1], activation="relu", seed=4)
    expected = {name: float((a == 0).all(axis=0).mean()) for name, a in numpy_activations(tensor.state_dict(), X, "relu")}
    got = dead_relu_fraction(tensor, X)
    assert got == expected
    assert max(got.values()) <= 0.25
    assert dead_relu_fraction(MLP(2, [16, 16, 1], activation="relu", seed=4), X) == expected


def test_plot_dead_relus_bars_and_counts():
    X, _ = moons(50)
    model = TensorMLP(2, [8, 4, 1], activation="relu", seed=0)
    model[2].bias.data[:] = -100.0  # the second hidden layer's biases: all of it dead
    fractions = dead_relu_fraction(model, X)
    ax = plot_dead_relus(model, X)
    (bars,) = ax.containers
    assert [b.get_height() for b in bars] == list(fractions.values())
    assert list(fractions) == ["1 (relu)", "3 (relu)"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["layer 1", "layer 2"]  # hidden layers 1 and 2
    texts = [t.get_text() for t in ax.texts]
    assert texts[1] == "4/4" and texts[0] == f"{round(fractions['1 (relu)'] * 8)}/8"


def test_dead_relu_needs_relu_layers():
    X, _ = moons(10)
    with pytest.raises(ValueError, match="no ReLU layer"):
        dead_relu_fraction(TensorMLP(2, [4, 1], activation="tanh", seed=0), X)
    with pytest.raises(ValueError, match="no ReLU layer"):
        plot_dead_relus(MLP(2, [4, 1], activation="sigmoid", seed=0), X)


# ---------------------------------------------------------------------- histograms


def test_activation_hist_counts_equal_numpy_histograms():
    X, _ = moons(80)
    model = TensorMLP(2, [6, 5, 1], activation="relu", seed=1)
    fig = plot_activation_hist(model, X, bins=20)
    expected = numpy_activations(model.state_dict(), X, "relu")
    assert len(fig.axes) == len(expected) == 2
    for ax, (name, a) in zip(fig.axes, expected):
        counts, _ = np.histogram(a.ravel(), bins=20, range=(a.min(), a.max()))
        assert [p.get_height() for p in ax.patches] == counts.tolist()
        assert name in ("1 (relu)", "3 (relu)")
        assert ax.get_title() == {"1 (relu)": "hidden layer 1 (ReLU)", "3 (relu)": "hidden layer 2 (ReLU)"}[name]


def test_saturated_tanh_net_piles_its_activations_at_the_ends():
    X, _ = moons(100)
    model = TensorMLP(2, [8, 8, 1], activation="tanh", seed=0)
    state = {k: 20.0 * v for k, v in model.state_dict().items()}  # huge weights: |z| >> 1
    model.load_state_dict(state)
    fig = plot_activation_hist(model, X, bins=10)
    for ax, (name, a) in zip(fig.axes, numpy_activations(state, X, "tanh")):
        heights = [p.get_height() for p in ax.patches]
        assert ax.get_xlim()[0] <= -1.0 and ax.get_xlim()[1] >= 1.0  # tanh's whole range is binned
        assert (heights[0] + heights[-1]) / sum(heights) > 0.7  # the two end bins hold most of it
        sat = saturation("tanh", a)
        assert sat == float(np.mean(np.abs(a) > 0.99)) and sat > 0.5
        shown = {"1 (tanh)": "hidden layer 1 (tanh)", "3 (tanh)": "hidden layer 2 (tanh)"}[name]
        assert ax.get_title() == f"{shown}:\n{sat:.0%} saturated"


def test_activation_hist_on_given_axes_and_bad_arguments():
    import matplotlib.pyplot as plt

    X, _ = moons(20)
    model = MLP(2, [3, 3, 1], activation="sigmoid", seed=0)
    fig, axes = plt.subplots(1, 2)
    assert plot_activation_hist(model, X, axes=axes) is fig
    assert all(len(ax.patches) == 50 for ax in axes)
    with pytest.raises(ValueError, match="3 axes for 2"):
        plot_activation_hist(model, X, axes=list(plt.subplots(1, 3)[1]))
    with pytest.raises(ValueError, match="bins"):
        plot_activation_hist(model, X, bins=0)
    with pytest.raises(ValueError, match="no activation layer"):
        plot_activation_hist(MLP(2, [1], seed=0), X)
