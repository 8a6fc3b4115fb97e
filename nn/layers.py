"""The Tensor track: ``Linear``, ``Sequential``, activation modules and ``TensorMLP``.

The same networks as the scalar track, one node per layer instead of one per number:

    Linear:  y = x W^T + b      x (N, nin), W (nout, nin), b (nout,) -> y (N, nout)

``W`` is stored (nout, nin) as in PyTorch, so ``state_dict()`` keys and shapes are
PyTorch's: ``TensorMLP(2, [16, 1])`` has ``0.weight (16, 2), 0.bias (16,), 2.weight (1, 16),
2.bias (1,)``, exactly ``torch.nn.Sequential(Linear(2, 16), Tanh(), Linear(16, 1))``'s,
and exactly a scalar ``MLP(2, [16, 1])``'s. Built from the same seed, the two tracks hold
the same numbers and compute the same outputs.
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Sequence, Tuple, Type, Union

import numpy as np

from autograd_lite import Tensor

from .init import Scheme, Seed, as_generator, draw
from .checks import flag, real, show
from .module import Module, _check_activation, _check_sizes, _mlp_plan

__all__ = ["Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "Softmax", "LeakyReLU", "Identity", "TensorMLP"]


def _as_tensor(x: Any, where: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray) and x.dtype in (np.float64, np.float32):
        return Tensor.from_numpy(x)  # data: share it, no copy
    try:
        return Tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: expected a Tensor or an array of shape (N, features), got {type(x).__name__} ({exc})") from None


class Linear(Module):
    """``y = x W^T + b``: ``nin`` features in, ``nout`` out; W is (nout, nin), b is (nout,)."""

    engine = "tensor"

    def __init__(
        self,
        nin: int,
        nout: int,
        bias: bool = True,
        *,
        init: Union[str, Scheme] = "default",
        bias_init: Union[None, str, Scheme] = None,
        seed: Seed = None,
        dtype: Any = np.float64,
    ) -> None:
        _check_sizes("Linear", nin=nin, nout=nout)
        bias = flag(bias, "bias", "Linear")
        w, b = draw(nout, nin, init=init, bias=bias, bias_init=bias_init, seed=seed, where="Linear")
        self.nin, self.nout = int(nin), int(nout)
        self.weight = Tensor(w, requires_grad=True, label="weight", dtype=dtype)
        self.bias: Optional[Tensor] = Tensor(b, requires_grad=True, label="bias", dtype=dtype) if b is not None else None

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x, "Linear")
        if x.ndim == 0 or x.shape[-1] != self.nin:
            raise ValueError(
                f"Linear({self.nin} -> {self.nout}): input has shape {x.shape}, expected (N, {self.nin}) "
                f"(the last axis holds the {self.nin} features)"
            )
        y = x @ self.weight.T  # (N, nin) @ (nin, nout) -> (N, nout)
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"{self.nin} -> {self.nout}" + ("" if self.bias is not None else ", bias=False")


class _Activation(Module):
    engine = "tensor"
    name = ""

    def forward(self, x: Any) -> Tensor:
        return getattr(_as_tensor(x, type(self).__name__), self.name)()


class ReLU(_Activation):
    """max(0, x), elementwise."""

    name = "relu"


class Tanh(_Activation):
    """tanh(x), elementwise."""

    name = "tanh"


class Sigmoid(_Activation):
    """1 / (1 + exp(-x)), elementwise."""

    name = "sigmoid"


class Identity(_Activation):
    """x: the linear "activation" (no node is made)."""

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x, "Identity")


class LeakyReLU(Module):
    """x if x > 0 else slope * x."""

    engine = "tensor"

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = real(slope, "slope", "LeakyReLU")

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x, "LeakyReLU").leaky_relu(self.slope)

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along ``axis`` (rows of a batch by default)."""

    engine = "tensor"

    def __init__(self, axis: int = -1) -> None:
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Softmax: axis must be an int (-1: the last axis, a batch's classes), got {show(axis)}")
        self.axis = int(axis)

    def forward(self, x: Any) -> Tensor:
        return _as_tensor(x, "Softmax").softmax(axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


ACTIVATION_MODULES: dict = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU, "softmax": Softmax}


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 16), Tanh(), Linear(16, 1))``.

    Children are named "0", "1", ... by position, as in PyTorch; ``model[i]`` and
    ``len(model)`` work.
    """

    engine = "tensor"

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module (did you pass a class? use Tanh(), not Tanh)")
        self.modules: List[Module] = list(modules)

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        return ((str(i), m) for i, m in enumerate(self.modules))

    def __getitem__(self, i: int) -> Module:
        return self.modules[i]

    def __len__(self) -> int:
        return len(self.modules)

    def forward(self, x: Any) -> Any:
        for m in self.modules:
            x = m(x)
        return x


class TensorMLP(Sequential):
    """The Tensor twin of the scalar ``MLP``: ``TensorMLP(2, [16, 16, 1])`` is
    ``Sequential(Linear(2, 16), Tanh(), Linear(16, 16), Tanh(), Linear(16, 1))``.

    Same arguments, same seed semantics, same state-dict keys as ``nn.MLP``, so
    ``TensorMLP(..., seed=s)`` and ``MLP(..., seed=s)`` hold the same weights. The
    activation after each layer is a module; a linear one adds none (as in PyTorch).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        bias: bool = True,
        *,
        init: Union[str, Scheme] = "default",
        bias_init: Union[None, str, Scheme] = None,
        seed: Seed = None,
        dtype: Any = np.float64,
    ) -> None:
        choices = list(ACTIVATION_MODULES) + ["linear"]
        for name, act in (("activation", activation), ("output_activation", output_activation)):
            _check_activation("TensorMLP", name, act, choices)
        bias = flag(bias, "bias", "TensorMLP")
        plan = _mlp_plan("TensorMLP", nin, nouts, activation, output_activation)
        rng = as_generator(seed, "TensorMLP(seed=...)")
        modules: List[Module] = []
        for n_in, n_out, act in plan:
            modules.append(Linear(n_in, n_out, bias, init=init, bias_init=bias_init, seed=rng, dtype=dtype))
            if act != "linear":
                cls: Type[Module] = ACTIVATION_MODULES[act]
                modules.append(cls())
        super().__init__(*modules)
        self.activation, self.output_activation = activation, output_activation
