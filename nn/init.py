"""Initial weights: numpy arrays drawn by named schemes, reproducible from a seed.

Every scheme is a function ``scheme(shape, rng) -> np.ndarray`` (float64). For a weight
matrix of shape ``(nout, nin)`` (PyTorch's layout), ``fan_in = nin`` and
``fan_out = nout``; a bias of shape ``(nout,)`` is drawn with the fan-in of its layer.

    ==================  =================================================  ==============
    name                distribution                                       why
    ==================  =================================================  ==============
    "default"           U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias too       PyTorch's Linear
    "uniform"           U(-1, 1), bias 0                                   micrograd
    "normal"            N(0, 1) / sqrt(fan_in), bias 0                     keeps var(w.x) ~ var(x)
    "xavier_uniform"    U(-a, a), a = sqrt(6 / (fan_in + fan_out))          Glorot 2010 (tanh)
    "xavier_normal"     N(0, 2 / (fan_in + fan_out))                       Glorot 2010
    "kaiming_uniform"   U(-a, a), a = sqrt(6 / fan_in)                     He 2015 (ReLU)
    "kaiming_normal"    N(0, 2 / fan_in)                                   He 2015
    "zeros"             0                                                  a symmetry demo
    ==================  =================================================  ==============

Seeds: a ``seed`` argument anywhere in ``nn`` is an int, a ``numpy.random.Generator``
(used as is, so several layers can share one stream), or ``None``, which draws from
this module's global generator. The global generator starts from seed 0 at import, so a
script run twice builds the same model; ``manual_seed(s)`` restarts it (as
``torch.manual_seed``). Layers draw their weight matrix first, then their bias, so a
scalar ``MLP`` and a ``TensorMLP`` built from the same seed hold the same numbers.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np

from .checks import fits_in_memory, flag, real, show

__all__ = [
    "Seed",
    "Scheme",
    "SCHEMES",
    "manual_seed",
    "as_generator",
    "draw",
    "uniform",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "zeros",
]

Seed = Union[None, int, np.random.Generator]
Shape = Tuple[int, ...]
Scheme = Callable[[Shape, np.random.Generator], np.ndarray]

_global = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Restart the global generator that ``seed=None`` draws from."""
    global _global
    _global = np.random.default_rng(_check_seed_int(seed, "nn.init.manual_seed"))


def as_generator(seed: Seed, where: str = "seed") -> np.random.Generator:
    """``seed`` as a numpy Generator: an int seeds a new one, a Generator is used as is."""
    if seed is None:
        return _global
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(_check_seed_int(seed, where))


def _check_seed_int(seed: object, where: str) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(
            f"{where}: a seed is a non-negative int, a numpy Generator or None, got {show(seed)}"
        )
    return int(seed)


def _fans(shape: Shape) -> Tuple[int, int]:
    # (nout, nin) for a weight matrix; a bias (nout,) is drawn by its layer with the
    # layer's fan-in (see Layer/Linear), so a 1-D shape here means a lone vector.
    if len(shape) >= 2:
        return shape[-1], shape[-2]
    return shape[0] if shape else 1, 1


def uniform(shape: Shape, rng: np.random.Generator, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """U(low, high), micrograd's choice with the defaults."""
    low, high = real(low, "low", "init.uniform"), real(high, "high", "init.uniform")
    if low > high:
        raise ValueError(f"init.uniform: low={low!r} is above high={high!r}")
    return rng.uniform(low, high, size=shape)


def normal(shape: Shape, rng: np.random.Generator, std: Optional[float] = None) -> np.ndarray:
    """N(0, std^2); ``std`` defaults to 1/sqrt(fan_in)."""
    std = 1.0 / math.sqrt(_fans(shape)[0]) if std is None else _nonnegative(std, "std", "init.normal")
    return rng.standard_normal(size=shape) * std


def default(shape: Shape, rng: np.random.Generator, fan_in: Optional[int] = None) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's nn.Linear, for weight and bias."""
    bound = 1.0 / math.sqrt(fan_in if fan_in is not None else _fans(shape)[0])
    return rng.uniform(-bound, bound, size=shape)


def xavier_uniform(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)): var(w) = 2 / (fan_in + fan_out)."""
    fan_in, fan_out = _fans(shape)
    bound = _nonnegative(gain, "gain", "init.xavier_uniform") * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def xavier_normal(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """N(0, gain^2 * 2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    return rng.standard_normal(size=shape) * (_nonnegative(gain, "gain", "init.xavier_normal") * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform(shape: Shape, rng: np.random.Generator, gain: float = math.sqrt(2.0)) -> np.ndarray:
    """U(-a, a) with a = gain * sqrt(3 / fan_in): var(w) = 2 / fan_in for ReLU's gain sqrt 2."""
    bound = _nonnegative(gain, "gain", "init.kaiming_uniform") * math.sqrt(3.0 / _fans(shape)[0])
    return rng.uniform(-bound, bound, size=shape)


def kaiming_normal(shape: Shape, rng: np.random.Generator, gain: float = math.sqrt(2.0)) -> np.ndarray:
    """N(0, gain^2 / fan_in): keeps the variance of ReLU activations from layer to layer."""
    return rng.standard_normal(size=shape) * (_nonnegative(gain, "gain", "init.kaiming_normal") / math.sqrt(_fans(shape)[0]))


def zeros(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """All zeros: every neuron of a layer then computes the same thing (the symmetry problem)."""
    return np.zeros(shape)


SCHEMES: Dict[str, Scheme] = {
    "default": default,
    "uniform": uniform,
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "kaiming_uniform": kaiming_uniform,
    "kaiming_normal": kaiming_normal,
    "zeros": zeros,
}


def _scheme(init: Union[str, Scheme], where: str) -> Scheme:
    if callable(init):
        return init
    if isinstance(init, str) and init in SCHEMES:
        return SCHEMES[init]
    raise ValueError(f"{where}: unknown init {show(init)}; choose one of {sorted(SCHEMES)} or pass a function (shape, rng) -> array")


def draw(
    nout: int,
    nin: int,
    *,
    init: Union[str, Scheme] = "default",
    bias: bool = True,
    bias_init: Union[None, str, Scheme] = None,
    seed: Seed = None,
    where: str = "init",
) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """A layer's weight (nout, nin) and bias (nout,), drawn in that order from one generator.

    ``bias_init=None`` follows the weight scheme: PyTorch's U(-1/sqrt(nin), 1/sqrt(nin))
    for ``"default"``, zeros for every other scheme (micrograd, Glorot, He all start
    biases at 0).
    """
    rng = as_generator(seed, f"{where}(seed=...)")
    scheme = _scheme(init, where)
    bias = flag(bias, "bias", where)
    fits_in_memory(int(nout) * int(nin), where, f"a weight matrix of nout={show(nout)} x nin={show(nin)}")
    weight = _drawn(scheme((nout, nin), rng), (nout, nin), where, "init")
    if not bias:
        return weight, None
    if bias_init is None:
        b = default((nout,), rng, fan_in=nin) if init == "default" else np.zeros(nout)
    else:
        b_scheme = _scheme(bias_init, where)
        b = default((nout,), rng, fan_in=nin) if b_scheme is default else _drawn(b_scheme((nout,), rng), (nout,), where, "bias_init")
    return weight, np.asarray(b, dtype=np.float64)


def _drawn(values: object, shape: Shape, where: str, name: str) -> np.ndarray:
    """What a scheme returned, as a float64 array of ``shape`` with finite real numbers."""
    a = np.asarray(values)
    if a.dtype.kind not in "biuf":  # complex: the imaginary part would be dropped silently
        raise TypeError(f"{where}: {name} returned an array of dtype {a.dtype}; a scheme must return real numbers")
    if a.shape != shape:
        raise ValueError(f"{where}: {name} returned shape {a.shape}, expected {shape}")
    with np.errstate(over="ignore"):  # a longdouble beyond float64: inf, refused below
        a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{where}: {name} produced non-finite numbers; check the scheme's parameters")
    return a


def _nonnegative(x: object, name: str, where: str) -> float:
    f = real(x, name, where)
    if f < 0.0:
        raise ValueError(f"{where}: {name} must be >= 0, got {f!r}")
    return f
