"""The scalar track: ``Neuron``, ``Layer`` and ``MLP`` over ``Value`` (micrograd-shaped).

Every weight is its own ``Value``, so every number of a forward pass is a node you can
draw. A neuron computes

    out = act(w . x + b) = act(sum_k w_k x_k + b)

a layer is ``nout`` neurons reading the same inputs, and an MLP is layers in a row.
``Layer`` and ``MLP`` always return a list, also for one output (micrograd returns a bare
Value there, which is why its ``MLP(2, [16, 1, 1])`` crashes: the next layer zips over
a Value): one shape for every width, which the losses, ``fit`` and the drawings rely on.
From micrograd's ``(n(x) - y)**2``, write ``(n(x)[0] - y)**2``. ``Neuron`` returns one Value.

micrograd's spellings work too: ``nonlin=True`` (ReLU) or ``nonlin=False`` (linear) for
``activation=`` (on ``MLP``, for the hidden layers, as micrograd's MLP makes them), and a
neuron's ``.w`` and ``.b`` are its ``weight`` and ``bias``. micrograd's network from the
same numbers: ``MLP(2, [16, 16, 1], nonlin=True, init="uniform")``.

The lecture networks, exactly:

    >>> MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid").num_parameters()
    7
    >>> MLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid").num_parameters()
    21
    >>> MLP(1, [1, 1], activation="tanh", bias=False).num_parameters()
    2

State dicts use the keys and shapes of PyTorch's ``Sequential(Linear, act, Linear, ...)``:
a layer's ``weight`` is (nout, nin) and its key is its position in that Sequential
(``"0.weight"``, ``"2.weight"``, ...), so a scalar MLP, a ``TensorMLP`` and a PyTorch
model of the same shape exchange weights directly.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from autograd_lite import Value

from .init import Scheme, Seed, as_generator, draw
from .checks import fits_in_memory, flag, show
from .module import Group, Module, _check_activation, _check_sizes, _mlp_plan
from .record import _ACTIVE, _record

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS"]

# Activation name -> the Value method it applies (None: the identity, no node made).
ACTIVATIONS: Dict[str, Optional[Callable[[Value], Value]]] = {
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "linear": None,
}


def _activation(name: str, where: str, what: str = "activation") -> Optional[Callable[[Value], Value]]:
    return ACTIVATIONS[_check_activation(where, what, name, list(ACTIVATIONS))]


class _Default(str):
    """A default argument's value that can be told from the same value passed explicitly."""


# The default activation: "tanh", marked so that nonlin= can tell "not given" from "tanh".
_TANH = _Default("tanh")


def _nonlin(activation: str, nonlin: Optional[bool], where: str) -> str:
    """The activation's name, given as ``activation=`` or as micrograd's ``nonlin=`` (True: ReLU)."""
    if isinstance(activation, bool):  # micrograd's Neuron(nin, False): its second argument is nonlin
        raise TypeError(
            f"{where}: got activation={activation!r}; micrograd's nonlin is a keyword here: "
            f"nonlin={activation!r} (or activation={'relu' if activation else 'linear'!r})"
        )
    if nonlin is None:
        return str(activation) if activation is _TANH else activation
    if activation is not _TANH:
        raise TypeError(f"{where}: give activation= or micrograd's nonlin=, not both (nonlin=True is activation='relu')")
    return "relu" if flag(nonlin, "nonlin", where) else "linear"


def _as_inputs(x: Sequence[Union[float, Value]], nin: int, where: str) -> List[Value]:
    """One sample as Values: numbers become constants once, so neurons share them."""
    if isinstance(x, Value) or not hasattr(x, "__len__"):
        raise TypeError(f"{where}: expected one sample as a sequence of {nin} numbers or Values, got {type(x).__name__}")
    if len(x) != nin:
        raise ValueError(f"{where}: expected {nin} inputs, got {len(x)}")
    if all(type(xi) is Value for xi in x):
        return list(x)  # type: ignore[arg-type]  # (all Values: checked just above)
    try:
        return [xi if isinstance(xi, Value) else Value(xi, requires_grad=False) for xi in x]
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}: every input must be a finite real number or a Value ({exc})") from None


class Neuron(Module):
    """One neuron: ``act(sum_k w_k x_k + b)``; ``weight`` is a list of ``nin`` Values."""

    _records_itself = True

    def __init__(
        self,
        nin: int,
        activation: str = _TANH,
        bias: bool = True,
        *,
        init: Union[str, Scheme] = "default",
        seed: Seed = None,
        nonlin: Optional[bool] = None,
        _weights: Optional[Tuple[np.ndarray, Optional[float]]] = None,
    ) -> None:
        """``activation``: "tanh" (default), "relu", "sigmoid", "leaky_relu" or "linear";
        or micrograd's ``nonlin=True`` (ReLU) / ``nonlin=False`` (linear) instead."""
        _check_sizes("Neuron", nin=nin)
        activation = _nonlin(activation, nonlin, "Neuron")
        bias = flag(bias, "bias", "Neuron")
        self._act = _activation(activation, "Neuron")
        self.activation = activation
        self.nin = int(nin)
        if _weights is None:  # a lone neuron draws its own; a Layer hands each its row
            w, b = draw(1, nin, init=init, bias=bias, seed=seed, where="Neuron")
            _weights = (w[0], None if b is None else float(b[0]))
        row, b0 = _weights
        self.weight: List[Value] = [Value(float(v), label=f"weight[{k}]") for k, v in enumerate(row)]
        self.bias: Optional[Value] = Value(b0, label="bias") if b0 is not None else None

    # micrograd's names for the same Values
    @property
    def w(self) -> List[Value]:
        """micrograd's name for ``weight``."""
        return self.weight

    @property
    def b(self) -> Optional[Value]:
        """micrograd's name for ``bias``."""
        return self.bias

    def forward(self, x: Sequence[Union[float, Value]]) -> Value:
        return self._forward(_as_inputs(x, self.nin, "Neuron"))

    def _forward(self, x: List[Value]) -> Value:
        # x is already checked and made of Values (Layer checks once for all its neurons)
        products = [w * xi for w, xi in zip(self.weight, x)]
        # w . x + b: sum() starts from the bias (no extra "0 +" node without one)
        act = sum(products, self.bias) if self.bias is not None else sum(products[1:], products[0])
        out = self._act(act) if self._act is not None else act
        if _ACTIVE:  # only inside nn.record_calls(), for drawings boxed by neuron
            _record(self, x, out)
        return out

    def extra_repr(self) -> str:
        return f"{self.nin}, {self.activation}" + ("" if self.bias is not None else ", bias=False")


class Layer(Module):
    """``nout`` neurons on the same inputs; returns a list of ``nout`` Values (always a list).

    Its state is two groups, ``weight`` (nout, nin) and ``bias`` (nout,), as ``nn.Linear``.
    """

    _records_itself = True

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = _TANH,
        bias: bool = True,
        *,
        init: Union[str, Scheme] = "default",
        bias_init: Union[None, str, Scheme] = None,
        seed: Seed = None,
        nonlin: Optional[bool] = None,
    ) -> None:
        """``activation`` as for ``Neuron`` (default "tanh"), or micrograd's ``nonlin=``."""
        _check_sizes("Layer", nin=nin, nout=nout)
        activation = _nonlin(activation, nonlin, "Layer")
        bias = flag(bias, "bias", "Layer")
        _activation(activation, "Layer")
        # Each weight is a Value of ~100 bytes (with its float), not 8: say so before drawing.
        fits_in_memory(
            int(nout) * (int(nin) + 1), "Layer", f"nin={show(nin)} x nout={show(nout)} weights as Values", 120
        )
        w, b = draw(nout, nin, init=init, bias=bias, bias_init=bias_init, seed=seed, where="Layer")
        self.nin, self.nout, self.activation = int(nin), int(nout), activation
        self.neurons = [
            Neuron(nin, activation, bias, _weights=(w[j], None if b is None else float(b[j]))) for j in range(nout)
        ]
        self._label("")

    def _label(self, prefix: str) -> None:
        # Labels are what graph drawings print: the state-dict name of each scalar weight.
        for name, p in self.named_parameters():
            p.label = prefix + name

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        return iter(())  # neurons are parts of the weight matrix, not separate state

    def _called_parts(self) -> Iterator[Tuple[str, Module]]:
        return ((f"neurons.{j}", n) for j, n in enumerate(self.neurons))  # each neuron's call is recorded

    def _own_groups(self) -> List[Group]:
        groups: List[Group] = [("weight", (self.nout, self.nin), [w for n in self.neurons for w in n.weight])]
        if self.neurons[0].bias is not None:
            groups.append(("bias", (self.nout,), [n.bias for n in self.neurons if n.bias is not None]))  # all or none
        return groups

    def forward(self, x: Sequence[Union[float, Value]]) -> List[Value]:
        return self._forward(_as_inputs(x, self.nin, "Layer"))

    def _forward(self, x: List[Value]) -> List[Value]:
        out = [n._forward(x) for n in self.neurons]
        if _ACTIVE:
            _record(self, x, out)
        return out

    def extra_repr(self) -> str:
        return f"{self.nin} -> {self.nout}, {self.activation}" + ("" if self.neurons[0].bias is not None else ", bias=False")


class MLP(Module):
    """A multi-layer perceptron over ``Value``: ``MLP(2, [16, 16, 1])`` is 2 -> 16 -> 16 -> 1.

    Hidden layers use ``activation``, the last one ``output_activation`` (linear by
    default, as a regression or a score). ``model(x)`` takes one sample and returns a
    list of ``nouts[-1]`` Values. All layers draw from one generator made from ``seed``.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = _TANH,
        output_activation: str = "linear",
        bias: bool = True,
        *,
        init: Union[str, Scheme] = "default",
        bias_init: Union[None, str, Scheme] = None,
        seed: Seed = None,
        nonlin: Optional[bool] = None,
    ) -> None:
        """Hidden layers use ``activation`` (default "tanh"; or micrograd's ``nonlin=True``,
        ReLU), the last layer ``output_activation`` (default "linear", as micrograd's)."""
        activation = _nonlin(activation, nonlin, "MLP")
        _activation(activation, "MLP")
        _activation(output_activation, "MLP", "output_activation")
        bias = flag(bias, "bias", "MLP")
        plan = _mlp_plan("MLP", nin, nouts, activation, output_activation)
        rng = as_generator(seed, "MLP(seed=...)")
        self.activation, self.output_activation = activation, output_activation
        self.layers = [Layer(n_in, n_out, act, bias, init=init, bias_init=bias_init, seed=rng) for n_in, n_out, act in plan]
        for name, layer in self.named_children():
            if isinstance(layer, Layer):  # (all of them are)
                layer._label(name + ".")

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        # Positions in PyTorch's Sequential(Linear, act, Linear, ...): an activation
        # module follows every non-linear layer, so layer i sits at index 0, 2, 4, ...
        position = 0
        for layer in self.layers:
            yield str(position), layer
            position += 1 if layer.activation == "linear" else 2

    def forward(self, x: Sequence[Union[float, Value]]) -> List[Value]:
        out = self.layers[0](x)
        for layer in self.layers[1:]:
            out = layer._forward(out)  # a layer's outputs are Values of the right count
        return out

    def extra_repr(self) -> str:
        return f"{self.layers[0].nin} -> " + " -> ".join(str(layer.nout) for layer in self.layers)
