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

from . import checks, data, files, init, losses, metrics, optim, schedules, train
from .data import (
    Batches,
    Scaling,
    blobs,
    circles,
    house_prices,
    least_squares_line,
    load_digits,
    mean_data,
    moons,
    one_hot,
    piecewise,
    random_batches,
    spirals,
    standardize,
    train_test_split,
    xor,
)
from .losses import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, half_sse, hinge, l2, mse
from .metrics import accuracy, r2_score
from .optim import SGD, Adam, AdamW, NonFiniteError, Optimizer, RMSProp, RMSprop, clip_grad_norm
from .train import History, early_stopping, evaluate, fit, stop_below
from .schedules import CosineAnnealingLR, ExponentialLR, LinearLR, LRScheduler, StepLR
from .layers import Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh, TensorMLP
from .module import Module, Parameter, StateDictError
from .scalar import MLP, Layer, Neuron
from .record import Call, CallRecord, record_calls

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
    "losses",
    "metrics",
    "data",
    "optim",
    "schedules",
    "train",
    "files",
    "checks",
    "mse",
    "half_sse",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge",
    "l2",
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSProp",
    "RMSprop",
    "clip_grad_norm",
    "NonFiniteError",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
    "fit",
    "evaluate",
    "History",
    "early_stopping",
    "stop_below",
    "accuracy",
    "r2_score",
    "Batches",
    "random_batches",
    "train_test_split",
    "standardize",
    "one_hot",
    "moons",
    "circles",
    "spirals",
    "xor",
    "blobs",
    "mean_data",
    "least_squares_line",
    "house_prices",
    "Scaling",
    "piecewise",
    "load_digits",
    "record_calls",
    "CallRecord",
    "Call",
]
