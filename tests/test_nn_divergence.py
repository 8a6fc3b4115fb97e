"""A diverging or saturating run stops with its message and a finite model, on both tracks.

A lecture shows what a too-large learning rate and saturated sigmoids do; ``fit`` must
then stop with "non-finite loss/gradient/update at epoch e step s", leave the model as it
was after step s - 1 (finite, and equal to the last snapshot), and never end in a
traceback, whatever the loss, optimizer, batch size or engine.
"""

import io
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Tensor, Value

X, Y = nn.xor()
Y = Y.astype(float)

# loss -> (function, output activation, outputs, targets from 0/1 labels)
LOSSES = {
    "mse": (nn.mse, "linear", 1, lambda y: y),
    "half_sse": (nn.half_sse, "linear", 1, lambda y: y),
    "bce": (nn.binary_cross_entropy, "sigmoid", 1, lambda y: y),
    "bce_logits": (nn.binary_cross_entropy_with_logits, "linear", 1, lambda y: y),
    "hinge": (nn.hinge, "linear", 1, lambda y: 2 * y - 1),
    "cross_entropy": (nn.cross_entropy, "linear", 2, lambda y: y.astype(int)),
}
OPTIMIZERS = {
    "sgd": lambda ps, lr: nn.SGD(ps, lr=lr),
    "momentum": lambda ps, lr: nn.SGD(ps, lr=lr, momentum=0.9),
    "adam": lambda ps, lr: nn.Adam(ps, lr=lr),
    "adamw": lambda ps, lr: nn.AdamW(ps, lr=lr),
    "rmsprop": lambda ps, lr: nn.RMSProp(ps, lr=lr),
}
STOPPED = re.compile(r"non-finite (loss|gradient|update) at epoch (\d+) step (\d+)")


def model_vector(model):
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in model.state_dict().values()])


def run(engine, loss, optimizer, lr, batch_size, activation="tanh", epochs=15, seed=0):
    fn, out_act, nout, targets = LOSSES[loss]
    make = nn.MLP if engine == "value" else nn.TensorMLP
    model = make(2, [4, nout], activation=activation, output_activation=out_act, seed=seed)
    out = io.StringIO()
    history = nn.fit(
        model, fn, nn.Batches(X, targets(Y), batch_size=batch_size, seed=seed),
        OPTIMIZERS[optimizer](model.parameters(), lr), epochs=epochs, file=out, log_every=0, snapshot_every=1,
    )
    return model, history, out.getvalue()


def check_ending(model, history, printed):
    """The run ended cleanly: a finite model, the one the history and message describe."""
    vector = model_vector(model)
    assert np.isfinite(vector).all(), f"the model holds inf/nan after {history.stopped!r}"
    last_step, last_vector = history.snapshots[-1]
    assert last_step == history.steps and np.array_equal(last_vector, vector)  # bit for bit
    if history.stopped is None:
        assert printed == ""
        return
    match = STOPPED.fullmatch(history.stopped)
    assert match, history.stopped
    step = int(match.group(3))
    assert step == history.steps + 1  # the step that was refused was not recorded
    assert f"stopped at epoch {match.group(2)}, step {step}: " in printed
    assert f"the model holds the parameters after step {step - 1}" in printed
    assert printed.count("\n") == 1


@given(
    engine=st.sampled_from(["value", "tensor"]),
    loss=st.sampled_from(sorted(LOSSES)),
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    log_lr=st.floats(0.0, 300.0),
    batch_size=st.integers(1, 4),
    activation=st.sampled_from(["tanh", "relu", "sigmoid"]),
    seed=st.integers(0, 3),
)
@settings(max_examples=120)
def test_any_diverging_fit_ends_with_its_message_and_a_finite_model(
    engine, loss, optimizer, log_lr, batch_size, activation, seed
):
    # lr from 1 to 1e300: from "too large for this problem" to absurd
    model, history, printed = run(engine, loss, optimizer, 10.0**log_lr, batch_size, activation, seed=seed)
    check_ending(model, history, printed)


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_huge_learning_rate_does_stop_every_optimizer_on_both_tracks(engine, optimizer):
    # (so the property above is not passing only on runs that never diverge)
    model, history, printed = run(engine, "mse", optimizer, 1e300, 1)
    assert history.stopped is not None and history.steps < 10
    check_ending(model, history, printed)


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("lr", [5.0, 50.0, 1e4])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_saturating_sigmoids_with_bce_never_crash(engine, lr, batch_size):
    # The lecture case: XOR, Batches(batch_size=1), SGD at lr=5 and BCE crashed
    # the scalar track with "this Value does not require grad" once sigmoids saturated.
    model, history, printed = run(engine, "bce", "sgd", lr, batch_size, epochs=40)
    check_ending(model, history, printed)
    assert all(math.isfinite(x) for x in history.loss)


class Quadratic(nn.Module):
    """L(w) = w^2 through mse(w, 0); the same model on either track."""

    def __init__(self, w, engine):
        self.engine = engine
        self.w = Value(w) if engine == "value" else Tensor([w], requires_grad=True)

    def forward(self, x):
        if self.engine == "value":
            return [self.w + 0 * x[0]]
        return x * 0.0 + self.w


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_an_update_that_would_overflow_stops_before_it_is_applied(engine):
    # w = 1e150: the loss w^2 = 1e300 and its gradient 2e150 are finite, but the step
    # lr * 2e150 = 2e310 is not. It used to be applied, leaving -inf in the model while
    # the message said "stopped at the last good step".
    model = Quadratic(1e150, engine)
    out = io.StringIO()
    history = nn.fit(model, nn.mse, (np.ones((1, 1)), np.zeros(1)), nn.SGD(model.parameters(), lr=1e160),
                     epochs=3, file=out, snapshot_every=1, log_every=0)
    assert history.stopped == "non-finite update at epoch 1 step 1" and history.loss == []
    assert float(np.ravel(model.w.data)[0]) == 1e150  # untouched
    text = out.getvalue()
    assert "updating w would put inf or nan into it" in text and "lr 1e+160" in text
    with pytest.raises(FloatingPointError, match=r"stopped at epoch 1, step 1: .*updating w"):
        nn.fit(model, nn.mse, (np.ones((1, 1)), np.zeros(1)), nn.SGD(model.parameters(), lr=1e160),
               stop_on_nonfinite=False, file=io.StringIO())


class NaiveSGD:
    """An optimizer of another kind: it writes whatever lr * grad gives."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad


def test_another_optimizer_that_writes_inf_is_reported_as_such():
    model = Quadratic(1e150, "value")
    out = io.StringIO()
    history = nn.fit(model, nn.mse, (np.ones((1, 1)), np.zeros(1)), NaiveSGD(model.parameters(), 1e160),
                     epochs=2, file=out, log_every=0)
    assert history.stopped == "non-finite update at epoch 1 step 1"
    assert "the optimizer wrote inf or nan into w" in out.getvalue()
    assert "has already changed the model" in out.getvalue()  # honest: it could not be undone


def test_the_stop_message_is_built_in_one_place():
    from nn.train import _stop_report

    stopped, message = _stop_report(("gradient", "the loss is 1 but d loss / d w is nan", True), 2, 7, 0.5)
    assert stopped == "non-finite gradient at epoch 2 step 7"
    assert message.startswith("fit: stopped at epoch 2, step 7: the loss is 1 but d loss / d w is nan")
    assert "try 0.05" in message and "after step 6" in message
