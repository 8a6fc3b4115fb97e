"""Neural networks on autograd_lite, on both engines, with one state format.

The scalar track (``Value``; every weight a node you can draw) and the Tensor track
(``Tensor``; one node per layer, for real lessons) share ``Module``, state dicts with
PyTorch's keys and shapes, and the initialisation schemes.

>>> import nn
>>> model = nn.MLP(2, [16, 16, 1], seed=0)            # scalar: 2 -> 16 -> 16 -> 1
>>> twin = nn.TensorMLP(2, [16, 16, 1], seed=0)       # the same weights, on Tensor
>>> [(k, v.shape) for k, v in model.state_dict().items()][:2]
[('0.weight', (16, 2)), ('0.bias', (16,))]
>>> out = model([0.5, -1.0])                          # always a list of Values
>>> round(out[0].data, 12) == round(twin([[0.5, -1.0]]).item(), 12)
True
"""

from . import init
from .layers import Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, TensorMLP
from .module import Module, Parameter, StateDictError
from .scalar import MLP, Layer, Neuron

__all__ = [
    "Module",
    "Parameter",
    "StateDictError",
    "Neuron",
    "Layer",
    "MLP",
    "Linear",
    "Sequential",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Softmax",
    "LeakyReLU",
    "Identity",
    "TensorMLP",
    "init",
]
