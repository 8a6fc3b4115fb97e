"""Loose arguments: every public argument typed bool, int, float, str or callable is checked.

A wrong kind of value must never be quietly read as something else (``bool("no")`` is
True, ``int(1.7)`` is 1, ``float(1+2j)`` drops a part, a list is not hashable, 10**30
samples make numpy fail with "Maximum allowed dimension exceeded"): each call below is
refused with a TypeError, ValueError or OverflowError whose message names the argument.
The table was found by grepping the public signatures (``inspect.signature`` over
``autograd_lite.__all__``, ``nn.__all__`` and ``nn.init.__all__``).
"""

import io
import math
import warnings

import numpy as np
import pytest

import autograd_lite
import nn
import nn.init
from autograd_lite import Tensor, Value, concatenate, gradcheck, numerical_grad, stack

X, Y = nn.xor()
Y = Y.astype(float)

BAD = {
    "flag": ["no", 1, 0.0, None, np.float64(1.0)],
    "int": [1.7, "3", True, float("nan"), None],
    "size": [1.7, "3", True, None, 0, -1, 10**30, 10**400],
    "count": [1.7, "3", True, None, 0, -1],
    "real": ["0.1", float("nan"), float("inf"), True, 10**400, 1 + 2j, None, [0.1]],
    "real_or_none": ["0.1", float("nan"), float("inf"), True, 10**400, 1 + 2j, [0.1]],
    "name": [["tanh"], 3, None, "nope"],
    "text": [["a"], 3],
    "function": [3, "f", None],
    "path": [3, None, 1.5, ["a.npz"]],
    "values": [Value(1.0), 3, [Value(1.0), Tensor([1.0])], [Value(1.0), "w"]],
}


def sgd():
    return nn.SGD([Value(1.0)], lr=0.1)


def fit_with(**kw):
    model = nn.MLP(2, [1], seed=0)
    return nn.fit(model, kw.pop("loss_fn", nn.mse), (X, Y), nn.SGD(model.parameters(), 0.1), file=io.StringIO(), **kw)


# (id, the argument's name as the message says it, kind of bad values, the call)
CASES = [
    ("Value requires_grad", "requires_grad", "flag", lambda v: Value(1.0, requires_grad=v)),
    ("Value.backward accumulate", "accumulate", "flag", lambda v: (Value(1.0) * 2).backward(accumulate=v)),
    ("Value.leaky_relu slope", "slope", "real", lambda v: Value(1.0).leaky_relu(v)),
    ("Tensor requires_grad", "requires_grad", "flag", lambda v: Tensor([1.0], requires_grad=v)),
    ("Tensor dtype", "dtype", "text", lambda v: Tensor([1.0], dtype=v)),
    ("Tensor.leaky_relu slope", "slope", "real", lambda v: Tensor([1.0]).leaky_relu(v)),
    ("Tensor.clip lo", "lo", "real_or_none", lambda v: Tensor([1.0]).clip(v, 2.0) if not (isinstance(v, float) and v == float("inf")) else Tensor([1.0]).clip(v, 0.0)),
    ("Tensor.sum keepdims", "keepdims", "flag", lambda v: Tensor([1.0]).sum(keepdims=v)),
    ("Tensor.mean keepdims", "keepdims", "flag", lambda v: Tensor([1.0]).mean(keepdims=v)),
    ("Tensor.max keepdims", "keepdims", "flag", lambda v: Tensor([1.0]).max(keepdims=v)),
    ("Tensor.logsumexp keepdims", "keepdims", "flag", lambda v: Tensor([1.0]).logsumexp(keepdims=v)),
    ("Tensor.norm keepdims", "keepdims", "flag", lambda v: Tensor([1.0]).norm(keepdims=v)),
    ("Tensor.var ddof", "ddof", "int", lambda v: Tensor([1.0, 2.0]).var(ddof=v)),
    ("Tensor.softmax axis", "axis", "int", lambda v: Tensor([1.0]).softmax(axis=v)),
    ("Tensor.log_softmax axis", "axis", "int", lambda v: Tensor([1.0]).log_softmax(axis=v)),
    ("Tensor.argmax axis", "axis", "int", lambda v: Tensor([1.0]).argmax(axis=v) if v is not None else 1 / 0),
    ("Tensor.backward accumulate", "accumulate", "flag",
     lambda v: (Tensor([1.0], requires_grad=True) * 2).sum().backward(accumulate=v)),
    ("Tensor.from_numpy requires_grad", "requires_grad", "flag", lambda v: Tensor.from_numpy(np.ones(2), requires_grad=v)),
    ("Tensor.from_numpy label", "label", "text", lambda v: Tensor.from_numpy(np.ones(2), label=v)),
    ("concatenate axis", "axis", "int", lambda v: concatenate([Tensor([1.0]), Tensor([2.0])], axis=v)),
    ("stack axis", "axis", "int", lambda v: stack([Tensor([1.0]), Tensor([2.0])], axis=v)),
    ("gradcheck eps", "eps", "real", lambda v: gradcheck(lambda a: a * a, 1.0, eps=v)),
    ("gradcheck atol", "atol", "real", lambda v: gradcheck(lambda a: a * a, 1.0, atol=v)),
    ("gradcheck raise_exception", "raise_exception", "flag", lambda v: gradcheck(lambda a: a * a, 1.0, raise_exception=v)),
    ("gradcheck directions", "directions", "count", lambda v: gradcheck(lambda t: t * t, Tensor([1.0]), directions=v)),
    ("numerical_grad eps", "eps", "real", lambda v: numerical_grad(lambda a: a * a, 1.0, eps=v)),
    ("Module.zero_grad set_to_none", "set_to_none", "flag", lambda v: nn.MLP(2, [1]).zero_grad(set_to_none=v)),
    ("Module.train mode", "mode", "flag", lambda v: nn.MLP(2, [1]).train(v)),
    ("Module.load_state_dict strict", "strict", "flag", lambda v: (lambda m: m.load_state_dict(m.state_dict(), strict=v))(nn.MLP(2, [1]))),
    ("Module.named_modules prefix", "prefix", "text", lambda v: list(nn.MLP(2, [1]).named_modules(prefix=v))),
    ("MLP nin", "nin", "size", lambda v: nn.MLP(v, [1])),
    ("MLP nouts", "nout", "size", lambda v: nn.MLP(2, [v])),
    ("MLP activation", "activation", "name", lambda v: nn.MLP(2, [1], activation=v)),
    ("MLP output_activation", "output_activation", "name", lambda v: nn.MLP(2, [1], output_activation=v)),
    ("MLP bias", "bias", "flag", lambda v: nn.MLP(2, [1], bias=v)),
    ("MLP init", "init", "name", lambda v: nn.MLP(2, [1], init=v)),
    ("Neuron bias", "bias", "flag", lambda v: nn.Neuron(2, bias=v)),
    ("Neuron activation", "activation", "name", lambda v: nn.Neuron(2, activation=v)),
    ("Layer bias", "bias", "flag", lambda v: nn.Layer(2, 3, bias=v)),
    ("Layer nout", "nout", "size", lambda v: nn.Layer(2, v)),
    ("Linear bias", "bias", "flag", lambda v: nn.Linear(2, 3, bias=v)),
    ("Linear nin", "nin", "size", lambda v: nn.Linear(v, 3)),
    ("TensorMLP bias", "bias", "flag", lambda v: nn.TensorMLP(2, [1], bias=v)),
    ("TensorMLP activation", "activation", "name", lambda v: nn.TensorMLP(2, [1], activation=v)),
    ("Softmax axis", "axis", "int", lambda v: nn.Softmax(axis=v)),
    ("LeakyReLU slope", "slope", "real", lambda v: nn.LeakyReLU(v)),
    ("mse reduction", "reduction", "name", lambda v: nn.mse(Tensor([1.0]), [1.0], reduction=v)),
    ("binary_cross_entropy eps", "eps", "real", lambda v: nn.binary_cross_entropy(Tensor([0.5]), [1.0], eps=v)),
    ("hinge margin", "margin", "real", lambda v: nn.hinge(Tensor([0.5]), [1.0], margin=v)),
    ("l2 alpha", "alpha", "real", lambda v: nn.l2([Value(1.0)], alpha=v)),
    ("SGD lr", "lr", "real", lambda v: nn.SGD([Value(1.0)], lr=v)),
    ("SGD momentum", "momentum", "real", lambda v: nn.SGD([Value(1.0)], lr=0.1, momentum=v)),
    ("SGD nesterov", "nesterov", "flag", lambda v: nn.SGD([Value(1.0)], lr=0.1, momentum=0.9, nesterov=v)),
    ("Adam eps", "eps", "real", lambda v: nn.Adam([Value(1.0)], eps=v)),
    ("Adam amsgrad", "amsgrad", "flag", lambda v: nn.Adam([Value(1.0)], amsgrad=v)),
    ("RMSProp centered", "centered", "flag", lambda v: nn.RMSProp([Value(1.0)], centered=v)),
    ("Optimizer.zero_grad set_to_none", "set_to_none", "flag", lambda v: sgd().zero_grad(set_to_none=v)),
    ("clip_grad_norm max_norm", "max_norm", "real", lambda v: nn.clip_grad_norm([Value(1.0)], v)),
    ("StepLR step_size", "step_size", "count", lambda v: nn.StepLR(sgd(), step_size=v)),
    ("StepLR gamma", "gamma", "real", lambda v: nn.StepLR(sgd(), step_size=1, gamma=v)),
    ("ExponentialLR gamma", "gamma", "real", lambda v: nn.ExponentialLR(sgd(), gamma=v)),
    ("LinearLR end_factor", "end_factor", "real", lambda v: nn.LinearLR(sgd(), end_factor=v, total_iters=3)),
    ("LinearLR total_iters", "total_iters", "size", lambda v: nn.LinearLR(sgd(), end_factor=0.1, total_iters=v)),
    ("CosineAnnealingLR T_max", "T_max", "size", lambda v: nn.CosineAnnealingLR(sgd(), T_max=v)),
    ("CosineAnnealingLR eta_min", "eta_min", "real", lambda v: nn.CosineAnnealingLR(sgd(), T_max=3, eta_min=v)),
    ("fit epochs", "epochs", "count", lambda v: fit_with(epochs=v)),
    ("fit stop_on_nonfinite", "stop_on_nonfinite", "flag", lambda v: fit_with(stop_on_nonfinite=v)),
    ("fit progress", "progress", "flag", lambda v: fit_with(progress=v) if v is not None else 1 / 0),
    ("fit scheduler_interval", "scheduler_interval", "name", lambda v: fit_with(scheduler_interval=v)),
    ("fit loss_fn", "loss_fn", "function", lambda v: fit_with(loss_fn=v)),
    ("fit regularizer", "regularizer", "function", lambda v: fit_with(regularizer=v) if v is not None else 1 / 0),
    ("fit file", "file", "function", lambda v: fit_with(file=v) if v is not None else 1 / 0),
    ("evaluate loss_fn", "loss_fn", "function", lambda v: nn.evaluate(nn.MLP(2, [1]), v, (X, Y))),
    ("early_stopping patience", "patience", "count", lambda v: nn.early_stopping(patience=v)),
    ("early_stopping monitor", "monitor", "text", lambda v: nn.early_stopping(monitor=v)),
    ("early_stopping min_delta", "min_delta", "real", lambda v: nn.early_stopping(min_delta=v)),
    ("early_stopping mode", "mode", "name", lambda v: nn.early_stopping(mode=v)),
    ("stop_below threshold", "threshold", "real", lambda v: nn.stop_below(v)),
    ("stop_below monitor", "monitor", "text", lambda v: nn.stop_below(1.0, monitor=v)),
    ("accuracy threshold", "threshold", "real_or_none", lambda v: nn.accuracy([0.1, 0.9], [0, 1], threshold=v)),
    ("Batches batch_size", "batch_size", "count", lambda v: nn.Batches(X, Y, batch_size=v)),
    ("Batches shuffle", "shuffle", "flag", lambda v: nn.Batches(X, Y, batch_size=2, shuffle=v)),
    ("Batches drop_last", "drop_last", "flag", lambda v: nn.Batches(X, Y, batch_size=2, drop_last=v)),
    ("random_batches num_batches", "num_batches", "size", lambda v: nn.random_batches(X, Y, 2, v)),
    ("train_test_split test_fraction", "test_fraction", "real", lambda v: nn.train_test_split(X, Y, test_fraction=v)),
    ("one_hot num_classes", "num_classes", "size", lambda v: nn.one_hot([0, 1], v)),
    ("moons n", "n", "size", lambda v: nn.moons(n=v)),
    ("moons noise", "noise", "real", lambda v: nn.moons(noise=v)),
    ("circles factor", "factor", "real", lambda v: nn.circles(factor=v)),
    ("spirals turns", "turns", "real", lambda v: nn.spirals(turns=v)),
    ("spirals classes", "classes", "size", lambda v: nn.spirals(classes=v)),
    ("xor noise", "noise", "real_or_none", lambda v: nn.xor(n=8, noise=v)),
    ("blobs std", "std", "real", lambda v: nn.blobs(std=v)),
    ("blobs centers", "centers", "size", lambda v: nn.blobs(centers=v)),
    ("mean_data n", "n", "size", lambda v: nn.mean_data(n=v)),
    ("least_squares_line n", "n", "size", lambda v: nn.least_squares_line(n=v)),
    ("house_prices standardized", "standardized", "flag", lambda v: nn.house_prices(standardized=v)),
    ("piecewise n", "n", "size", lambda v: nn.piecewise(n=v)),
    ("init.uniform low", "low", "real", lambda v: nn.init.uniform((2, 2), np.random.default_rng(0), low=v)),
    ("init.normal std", "std", "real_or_none", lambda v: nn.init.normal((2, 2), np.random.default_rng(0), std=v)),
    ("init.xavier_uniform gain", "gain", "real", lambda v: nn.init.xavier_uniform((2, 2), np.random.default_rng(0), gain=v)),
    ("init.kaiming_normal gain", "gain", "real", lambda v: nn.init.kaiming_normal((2, 2), np.random.default_rng(0), gain=v)),
    ("init.draw bias", "bias", "flag", lambda v: nn.init.draw(2, 2, bias=v)),
    ("Module.save path", "path", "path", lambda v: nn.MLP(2, [1]).save(v)),
    ("Module.load path", "path", "path", lambda v: nn.MLP(2, [1]).load(v)),
    ("History.save path", "path", "path", lambda v: nn.History().save(v)),
    ("History.load path", "path", "path", lambda v: nn.History.load(v)),
    ("zero_grad values", "zero_grad", "values", lambda v: autograd_lite.zero_grad(v)),
]
PARAMS = [
    pytest.param(fn, arg, v, id=f"{name}={v!r:.20}")
    for name, arg, kind, fn in CASES
    for v in BAD[kind]
]


@pytest.mark.parametrize("call, arg, bad", PARAMS)
def test_a_wrong_kind_of_argument_is_refused_by_name(call, arg, bad):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning, no overflow on the way
        try:
            call(bad)
        except ZeroDivisionError as exc:  # the table's own "not applicable": None is valid there
            assert str(exc) == "division by zero"
            return
        except (TypeError, ValueError, OverflowError) as exc:
            assert arg in str(exc), f"the message does not name {arg!r}: {exc}"
            return
    pytest.fail(f"{arg}={bad!r} was accepted")


# -- part 5: messages that say what is wrong -------------------------------------------------


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: Value(10**5000), OverflowError, r"Value\(\.\.\.\): an int of about 5001 digits is too large for a float64"),
        (lambda: Tensor(10**400), OverflowError, r"Tensor\(\.\.\.\): an int of about 401 digits is too large for a float64"),
        (lambda: Tensor([1.0, 10**400]), OverflowError, r"the element at index \(1,\), an int of about 401 digits, is too large"),
        (lambda: Tensor({}), TypeError, r"got a dict; .*list\(d\.values\(\)\)"),
        (lambda: Tensor({1.0, 2.0}), TypeError, r"got a set, which has no order; pass a list"),
        (lambda: Tensor(x for x in [1.0]), TypeError, r"got a generator \(a one-pass iterator\).*Tensor\(list\(\.\.\.\)\)"),
        (lambda: Tensor([1.0, None]), TypeError, r"the element at index \(1,\) is NoneType None"),
        (lambda: Tensor([1e300], dtype="float32"), OverflowError, r"out of float32 range .*1e\+300"),
        (lambda: nn.MLP(10**30, [1]), ValueError, r"nin=1000000000000000000000000000000 .*more than this machine's .* memory"),
        (lambda: nn.TensorMLP(10**30, [1]), ValueError, r"nin=1000000000000000000000000000000 .*memory"),
        (lambda: nn.MLP(2, [1], activation=["tanh"]), ValueError, r"unknown activation list \['tanh'\]; choose one of"),
        (lambda: nn.one_hot([1e20], 3), ValueError, r"labels \[1e\+20\] are outside 0\.\.2"),
        (lambda: nn.cross_entropy(Tensor([[1.0, 2.0]]), [1e20]), ValueError, r"class index 1e\+20 out of range"),
        (lambda: nn.spirals(turns=1e308), ValueError, r"turns=1e\+308 makes the angles .* overflow"),
        (lambda: nn.moons(noise=1e308), ValueError, r"moons\(noise=1e\+308\): the noisy points overflow float64"),
        (lambda: nn.MLP(2, [1], init=lambda shape, rng: np.ones(shape) * (1 + 1j)), TypeError, r"init returned an array of dtype complex128"),
        (lambda: fit_with_data((X + 0j, Y)), TypeError, r"X must be an array of real numbers, got dtype complex128"),
        (lambda: fit_with_data((np.where(X > 0, np.inf, X), Y)), ValueError, r"X holds nan or inf \(the first in row 1\)"),
    ],
)
def test_the_issues_messages(call, exc, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc, match=pattern):
            call()


def fit_with_data(data):
    model = nn.MLP(2, [1], seed=0)
    return nn.fit(model, nn.mse, data, nn.SGD(model.parameters(), 0.1), file=io.StringIO())


def test_fit_refuses_an_optimizer_over_another_models_parameters():
    model, other = nn.MLP(2, [1], seed=0), nn.MLP(2, [1], seed=1)
    with pytest.raises(ValueError, match=r"the optimizer updates none of the 3 parameters of this MLP"):
        nn.fit(model, nn.mse, (X, Y), nn.SGD(other.parameters(), 0.1), file=io.StringIO())
    # a part of the model's parameters is fine (freezing a layer)
    tm = nn.TensorMLP(2, [3, 1], seed=0)
    history = nn.fit(tm, nn.mse, (X, Y), nn.SGD(tm.parameters()[2:], 0.1), file=io.StringIO(), log_every=0)
    assert history.steps == 1


def test_standardize_is_exact_for_huge_columns_and_never_overflows():
    X = np.array([[1e308, 1.0], [-1e308, 3.0], [1.7e308, 2.0]])
    with np.errstate(all="raise"):
        Xs, mean, std = nn.standardize(X)
    assert np.isfinite(Xs).all() and np.isfinite(mean).all() and np.isfinite(std).all()
    np.testing.assert_allclose(Xs.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(Xs.std(axis=0), 1.0, rtol=1e-15)
    # where the plain formula works, the same numbers bit for bit
    small = np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 0.5]])
    Xs2, m2, s2 = nn.standardize(small)
    assert np.array_equal(Xs2, (small - small.mean(axis=0)) / small.std(axis=0))
    assert math.isfinite(float(s2[0]))


def test_zero_grad_checks_every_item_before_zeroing_any():
    a = Value(1.0)
    a.grad = 2.0
    with pytest.raises(TypeError, match=r"zero_grad: item 1 is a Tensor, not a Value"):
        autograd_lite.zero_grad([a, Tensor([1.0], requires_grad=True)])
    assert a.grad == 2.0
