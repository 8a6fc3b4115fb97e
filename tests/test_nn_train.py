"""fit and History: the loop equals a hand-written one, records what it should, stops
cleanly on divergence and on callbacks, logs in a parseable format, and saves/loads."""

import io
import math
import os
import re

import numpy as np
import pytest

from autograd_lite import Tensor, Value, no_grad
from nn.data import Batches
from nn.layers import TensorMLP
from nn.losses import cross_entropy, l2, mse
from nn.metrics import accuracy
from nn.module import Module
from nn.optim import SGD, Adam
from nn.scalar import MLP
from nn.schedules import ExponentialLR, StepLR
from nn.train import History, early_stopping, evaluate, fit, stop_below

LOG_LINE = re.compile(r"epoch +(\d+)/(\d+)  step +(\d+)  (.*)  (\d+\.\d)s")


def make_data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.where(X[:, 0] - 0.5 * X[:, 1] > 0, 1.0, -1.0)
    return X, y


def make_model(engine, seed=0):
    return MLP(2, [3, 1], seed=seed) if engine == "value" else TensorMLP(2, [3, 1], seed=seed)


def forward(model, X):
    if model.engine == "value":
        return [model(list(x)) for x in X]
    return model(Tensor.from_numpy(X))


def params_vector(model):
    return np.concatenate([np.ravel(a) for a in model.state_dict().values()])


ENGINES = ["value", "tensor"]


# ---------------------------------------------------------------------- training


@pytest.mark.parametrize("engine", ENGINES)
def test_loss_falls(engine):
    X, y = make_data()
    model = make_model(engine)
    h = fit(model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=30, log_every=0)
    assert h.stopped is None
    assert h.epoch_loss[-1] < 0.5 * h.epoch_loss[0]
    # the record is the model's loss: after the last update it is lower still
    with no_grad():
        final = mse(forward(model, X), y).data
    assert float(final) < h.loss[-1]


@pytest.mark.parametrize("engine", ENGINES)
def test_same_numbers_as_a_hand_written_loop(engine):
    X, y = make_data(10)
    batches = [(X[:4], y[:4]), (X[4:7], y[4:7]), (X[7:], y[7:])]
    reg = lambda m: l2(m.parameters(), 1e-3)  # noqa: E731

    model = make_model(engine)
    opt = SGD(model.parameters(), 0.2)
    h = fit(model, mse, batches, opt, epochs=4, regularizer=reg, log_every=0)

    ref = make_model(engine)
    ref_opt = SGD(ref.parameters(), 0.2)
    losses = []
    for _ in range(4):
        for Xb, yb in batches:
            ref_opt.zero_grad()
            loss = mse(forward(ref, Xb), yb) + reg(ref)
            loss.backward()
            ref_opt.step()
            losses.append(float(loss.data))
    assert h.loss == losses  # exactly: the same operations in the same order
    np.testing.assert_array_equal(params_vector(model), params_vector(ref))


@pytest.mark.parametrize("engine", ENGINES)
def test_same_numbers_as_pytorch(engine, torch):
    X, y = make_data(10)
    batches = [(X[:5], y[:5]), (X[5:], y[5:])]
    model = make_model(engine)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    net.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    h = fit(model, mse, batches, SGD(model.parameters(), 0.1, momentum=0.9), epochs=3, log_every=0)

    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(3):
        for Xb, yb in batches:
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(torch.tensor(Xb)), torch.tensor(yb).reshape(-1, 1))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert h.loss == pytest.approx(losses, rel=1e-10)
    for name, array in model.state_dict().items():
        np.testing.assert_allclose(array, net.state_dict()[name].numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_history_lengths_and_epoch_means(engine):
    X, y = make_data(10)
    batches = [(X[:6], y[:6]), (X[6:], y[6:])]  # unequal sizes: the epoch mean is weighted
    model = make_model(engine)
    h = fit(model, mse, batches, SGD(model.parameters(), 0.05), epochs=3, metrics={"acc": accuracy}, log_every=0)
    assert (h.steps, h.epochs) == (6, 3)
    assert len(h.loss) == len(h.lr) == len(h.step_epoch) == 6
    assert h.step_epoch == [1, 1, 2, 2, 3, 3]
    assert len(h.epoch_loss) == len(h.metrics["acc"]) == 3
    assert h.val_loss == [] and h.val_metrics == {}
    for e in range(3):
        first, second = h.loss[2 * e], h.loss[2 * e + 1]
        assert h.epoch_loss[e] == pytest.approx((6 * first + 4 * second) / 10, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_metrics_are_weighted_means_of_each_steps_predictions(engine):
    X, y = make_data(10, seed=3)
    batches = [(X[:7], y[:7]), (X[7:], y[7:])]
    model = make_model(engine)
    h = fit(model, mse, batches, SGD(model.parameters(), 0.3), epochs=2, metrics={"acc": accuracy}, log_every=0)

    ref = make_model(engine)
    opt = SGD(ref.parameters(), 0.3)
    expected = []
    for _ in range(2):
        total = 0.0
        for Xb, yb in batches:
            opt.zero_grad()
            pred = forward(ref, Xb)
            total += accuracy(pred, yb) * len(Xb)  # before the update, as fit records it
            mse(pred, yb).backward()
            opt.step()
        expected.append(total / 10)
    assert h.metrics["acc"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_validation_after_each_epoch(engine):
    X, y = make_data(16, seed=1)
    Xv, yv = make_data(8, seed=2)
    model = make_model(engine)
    h = fit(
        model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=3,
        metrics={"acc": accuracy}, val_data=(Xv, yv), snapshot_every=1, log_every=0,
    )
    assert len(h.val_loss) == len(h.val_metrics["acc"]) == 3
    # val after epoch e = the model with the parameters of snapshot e, on the val data
    probe = make_model(engine)
    for e in range(3):
        step, vector = h.snapshots[e + 1]
        probe.load_state_dict(h.unflatten(vector))
        with no_grad():
            pred = forward(probe, Xv)
            assert h.val_loss[e] == pytest.approx(float(mse(pred, yv).data), rel=1e-12)
            assert h.val_metrics["acc"][e] == pytest.approx(accuracy(pred, yv), rel=1e-12)
    assert evaluate(model, mse, (Xv, yv), {"acc": accuracy}) == pytest.approx(
        {"loss": h.val_loss[-1], "acc": h.val_metrics["acc"][-1]}, rel=1e-12
    )
    assert model.training  # fit switches to eval() for validation and back


@pytest.mark.parametrize("interval", ["epoch", "step"])
def test_lr_follows_the_schedule(interval):
    X, y = make_data(9)
    batches = [(X[:3], y[:3]), (X[3:6], y[3:6]), (X[6:], y[6:])]
    model = make_model("value")
    opt = SGD(model.parameters(), 0.8)
    h = fit(model, mse, batches, opt, epochs=4, scheduler=ExponentialLR(opt, gamma=0.5),
            scheduler_interval=interval, log_every=0)
    # the lr of step s (0-based) is 0.8 * 0.5^k, k = epochs (or steps) completed before it
    k = [s // 3 for s in range(12)] if interval == "epoch" else list(range(12))
    assert h.lr == pytest.approx([0.8 * 0.5**i for i in k], rel=1e-15)


def test_step_lr_schedule_in_the_log_and_the_training():
    # the schedule really drives the updates: the same numbers as a hand-written loop
    X, y = make_data(8)
    model, ref = make_model("tensor"), make_model("tensor")
    opt, ref_opt = Adam(model.parameters(), 0.05), Adam(ref.parameters(), 0.05)
    out = io.StringIO()
    h = fit(model, mse, (X, y), opt, epochs=4, scheduler=StepLR(opt, step_size=2, gamma=0.1), file=out)
    ref_sched, losses, lrs = StepLR(ref_opt, step_size=2, gamma=0.1), [], []
    for _ in range(4):
        ref_opt.zero_grad()
        loss = mse(forward(ref, X), y)
        loss.backward()
        lrs.append(ref_opt.lr)
        ref_opt.step()
        ref_sched.step()
        losses.append(float(loss.data))
    assert h.loss == losses and h.lr == lrs
    logged = [float(dict(re.findall(r"(\w+) +(\S+)", LOG_LINE.fullmatch(line).group(4)))["lr"])
              for line in out.getvalue().splitlines()]
    assert logged == pytest.approx(lrs, rel=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_batches_steps_and_shuffling_come_from_the_data(engine):
    X, y = make_data(11)
    model = make_model(engine)
    h = fit(model, mse, Batches(X, y, batch_size=4, seed=3), SGD(model.parameters(), 0.1), epochs=3, log_every=0)
    assert h.steps == 3 * len(Batches(X, y, batch_size=4)) == 9
    # the same shuffled batches by hand: fit consumed exactly Batches' order, nothing else
    ref = make_model(engine)
    opt = SGD(ref.parameters(), 0.1)
    batches, losses = Batches(X, y, batch_size=4, seed=3), []
    for _ in range(3):
        for Xb, yb in batches:
            opt.zero_grad()
            loss = mse(forward(ref, Xb), yb)
            loss.backward()
            opt.step()
            losses.append(float(loss.data))
    assert h.loss == losses


@pytest.mark.parametrize("engine", ENGINES)
def test_snapshots_are_the_parameters_at_those_steps(engine):
    X, y = make_data(9)
    batches = [(X[:3], y[:3]), (X[3:6], y[3:6]), (X[6:], y[6:])]
    model = make_model(engine)
    h = fit(model, mse, batches, SGD(model.parameters(), 0.1), epochs=3, snapshot_every=4, log_every=0)
    assert [s for s, _ in h.snapshots] == [0, 4, 8, 9]  # step 0, every 4, and the last

    ref = make_model(engine)
    opt = SGD(ref.parameters(), 0.1)
    after = {0: params_vector(ref)}
    step = 0
    for _ in range(3):
        for Xb, yb in batches:
            opt.zero_grad()
            mse(forward(ref, Xb), yb).backward()
            opt.step()
            step += 1
            after[step] = params_vector(ref)
    for s, vector in h.snapshots:
        assert vector.dtype == np.float64
        np.testing.assert_array_equal(vector, after[s])
    assert h.param_names == list(model.state_dict())
    assert h.unflatten(h.snapshots[-1][1]).keys() == model.state_dict().keys()
    for name, array in h.unflatten(h.snapshots[-1][1]).items():
        np.testing.assert_array_equal(array, model.state_dict()[name])


def test_fit_draws_no_random_numbers():
    X, y = make_data()
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    runs = []
    for _ in range(2):
        model = make_model("tensor")
        runs.append(fit(model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=5, log_every=0).loss)
    assert runs[0] == runs[1]
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# ---------------------------------------------------------------------- divergence


class Quadratic(Module):
    """L(w) = w^2 through mse(w, 0): plain descent multiplies w by (1 - 2 lr) per step."""

    def __init__(self, w, engine):
        self.engine = engine
        self.w = Value(w) if engine == "value" else Tensor([w], requires_grad=True)

    def forward(self, x):
        if self.engine == "value":
            return [self.w + 0 * x[0]]
        return x * 0.0 + self.w  # (N, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_non_finite_loss_stops_with_a_message(engine):
    X, y = np.ones((1, 1)), np.zeros(1)
    lr = 1e3  # |1 - 2 lr| ~ 2000: w grows 2000-fold per step until w^2 overflows
    model = Quadratic(1.0, engine)
    out = io.StringIO()
    with np.errstate(over="ignore", invalid="ignore"):  # numpy would warn on the way to inf
        h = fit(model, mse, (X, y), SGD(model.parameters(), lr), epochs=500, file=out, log_every=0, snapshot_every=1)

    w, expected = 1.0, []  # the losses an independent computation gives, while finite
    while math.isfinite(w * w):
        expected.append(w * w)
        w -= lr * (2 * w)  # SGD: w - lr * dL/dw, dL/dw = 2 w
    stop_step = len(expected) + 1
    assert h.loss == pytest.approx(expected, rel=1e-12)
    assert h.stopped == f"non-finite loss at epoch {stop_step} step {stop_step}"
    message = out.getvalue()
    assert message.count("\n") == 1  # one message, nothing else (log_every=0)
    for words in [f"epoch {stop_step}", f"step {stop_step}", "inf", "learning rate", "standardize", "inputs"]:
        assert words in message
    # stopped before the update: the parameter is the last finite one, the last snapshot
    assert h.snapshots[-1][0] == stop_step - 1
    np.testing.assert_array_equal(h.snapshots[-1][1], [w])
    assert float(np.ravel(model.w.data)[0]) == w


def test_non_finite_loss_can_raise_instead():
    model = Quadratic(1.0, "value")
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(model, mse, (np.ones((1, 1)), np.zeros(1)), SGD(model.parameters(), 1e3), epochs=500,
            stop_on_nonfinite=False, file=io.StringIO())


def test_overflow_inside_an_op_counts_as_divergence():
    # w ** 2 raises OverflowError in the scalar engine (w * w would give inf)
    model = Quadratic(1.0, "value")
    pow_loss = lambda pred, y: (pred[0][0] - float(y[0])) ** 2  # noqa: E731
    out = io.StringIO()
    h = fit(model, pow_loss, (np.ones((1, 1)), np.zeros(1)), SGD(model.parameters(), 1e3), epochs=500,
            file=out, log_every=0)
    assert h.stopped is not None and h.stopped.startswith("non-finite loss")
    assert "overflow" in out.getvalue() and all(math.isfinite(v) for v in h.loss)


def test_nan_from_the_data_side_stops_too():
    # a loss that turns nan (0 * inf): stopped, not raised, with the value in the message
    model = Quadratic(1.0, "value")
    nan_loss = lambda pred, y: pred[0][0] * 0.0 + (pred[0][0] * 0.0 + 1e308) * 10.0 * 0.0  # noqa: E731
    out = io.StringIO()
    h = fit(model, nan_loss, (np.ones((1, 1)), np.zeros(1)), SGD(model.parameters(), 0.1), epochs=2, file=out)
    assert h.stopped == "non-finite loss at epoch 1 step 1" and h.loss == []
    assert "nan" in out.getvalue()


def test_non_finite_gradient_stops_before_the_update():
    # sqrt at 0: the loss is 0, finite, but d sqrt(w) / dw = inf there
    model = Quadratic(0.0, "value")
    out = io.StringIO()
    h = fit(model, lambda pred, y: pred[0][0].sqrt(), (np.ones((1, 1)), np.zeros(1)),
            SGD(model.parameters(), 0.1), epochs=3, file=out)
    assert h.stopped == "non-finite gradient at epoch 1 step 1" and h.loss == []
    assert "d loss / d w is inf" in out.getvalue() and model.w.data == 0.0


# ---------------------------------------------------------------------- callbacks


def test_callback_stops_training():
    X, y = make_data()
    seen = []

    def stop_at_third(history):
        seen.append(history.epochs)
        return True if history.epochs == 3 else None

    model = make_model("value")
    h = fit(model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=10, callbacks=[stop_at_third], file=io.StringIO())
    assert seen == [1, 2, 3] and h.epochs == 3 and h.steps == 3
    assert h.stopped == "callback stop_at_third at epoch 3"


def test_early_stopping_waits_patience_epochs_without_improvement():
    cb = early_stopping(patience=2, monitor="val_loss", min_delta=0.05)
    h = History(val_loss=[])
    decisions = []
    for v in [1.0, 0.8, 0.78, 0.79, 0.5, 0.6, 0.6]:
        h.val_loss.append(v)
        decisions.append(cb(h))
    # best: 1.0 (e1), 0.8 (e2); 0.78 and 0.79 are within min_delta; 0.5 (e5) resets
    assert decisions == [False, False, False, True, False, False, True]
    # a new history starts afresh
    assert cb(History(val_loss=[0.9])) is False
    acc = early_stopping(patience=1, monitor="acc", mode="max")
    h = History(metrics={"acc": []})
    decisions = []
    for v in [0.5, 0.7, 0.6]:  # higher is better: 0.7 improves, 0.6 does not
        h.metrics["acc"].append(v)
        decisions.append(acc(h))
    assert decisions == [False, False, True]
    with pytest.raises(ValueError, match="val_data"):
        early_stopping(monitor="val_loss")(History(epoch_loss=[1.0]))


def test_early_stopping_inside_fit():
    X, y = make_data()
    model = make_model("tensor")
    # a learning rate of 0: the loss never improves, so patience 3 stops after epoch 4
    h = fit(model, mse, (X, y), SGD(model.parameters(), 0.0), epochs=50,
            callbacks=[early_stopping(3, monitor="loss"), stop_below(-1.0)], log_every=0)
    assert h.epochs == 4 and "early_stopping" in h.stopped and h.stopped.endswith("at epoch 4")


def test_stop_below():
    X, y = make_data()
    model = make_model("value")
    h = fit(model, mse, (X, y), SGD(model.parameters(), 0.2), epochs=200, callbacks=[stop_below(0.5)], log_every=0)
    assert h.epoch_loss[-1] < 0.5 <= min(h.epoch_loss[:-1])


# ---------------------------------------------------------------------- output


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal_or_when_forced():
    X, y = make_data()
    outputs = {}
    for name, stream, progress in [
        ("pipe", io.StringIO(), None),
        ("terminal", FakeTerminal(), None),
        ("forced", io.StringIO(), True),
        ("off", FakeTerminal(), False),
    ]:
        model = make_model("value")
        fit(model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=3, progress=progress, file=stream)
        outputs[name] = stream.getvalue()
    bar = re.compile(r"100%\|.*3/3.*loss=")
    assert bar.search(outputs["terminal"]) and bar.search(outputs["forced"])
    for name in ["pipe", "off"]:
        assert "%|" not in outputs[name] and "\r" not in outputs[name]
        assert [LOG_LINE.fullmatch(line) is not None for line in outputs[name].splitlines()] == [True] * 3


def test_log_line_format():
    X, y = make_data(12)
    Xv, yv = make_data(6, seed=5)
    model = make_model("tensor")
    out = io.StringIO()
    h = fit(model, mse, [(X[:6], y[:6]), (X[6:], y[6:])], SGD(model.parameters(), 0.125), epochs=10, log_every=4,
            metrics={"acc": accuracy}, val_data=(Xv, yv), file=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # epochs 4, 8 and the last one, 10
    for line, epoch in zip(lines, [4, 8, 10]):
        m = LOG_LINE.fullmatch(line)
        assert m, line
        assert (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (epoch, 10, 2 * epoch)
        fields = dict(re.findall(r"(\w+) +(\S+)", m.group(4)))
        assert list(fields) == ["loss", "acc", "val_loss", "val_acc", "lr"]
        e = epoch - 1
        for key, value in [("loss", h.epoch_loss[e]), ("acc", h.metrics["acc"][e]),
                           ("val_loss", h.val_loss[e]), ("val_acc", h.val_metrics["acc"][e]), ("lr", 0.125)]:
            assert float(fields[key]) == pytest.approx(value, abs=5e-7)
            assert len(fields[key]) == 8  # fixed width
    # fixed columns: every line has the same length up to the time field
    assert len({len(line.rsplit("  ", 1)[0]) for line in lines}) == 1


def test_log_numbers_outside_the_fixed_range_use_scientific_notation():
    X, y = make_data()
    model = make_model("value")
    out = io.StringIO()
    fit(model, mse, (X, y * 1e4), SGD(model.parameters(), 1e-6), epochs=1, file=out)
    fields = dict(re.findall(r"(\w+) +(\S+)", LOG_LINE.fullmatch(out.getvalue().strip()).group(4)))
    assert re.fullmatch(r"\d\.\d\de\+0[5-9]", fields["loss"]) and fields["lr"] == "1.00e-06"


def test_repr_is_a_summary():
    X, y = make_data()
    model = make_model("value")
    h = fit(model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=3, log_every=0)
    text = repr(h)
    assert text.startswith("History(steps=3, epochs=3") and "loss" in text and "stopped=None" in text


# ---------------------------------------------------------------------- files


def test_save_load_round_trip(tmp_path):
    X, y = make_data()
    Xv, yv = make_data(6, seed=7)
    model = make_model("tensor")
    h = fit(model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=4, metrics={"acc": accuracy},
            val_data=(Xv, yv), snapshot_every=3, callbacks=[lambda hist: hist.epochs == 3 or None], log_every=0)
    path = tmp_path / "run.npz"
    h.save(path)
    assert os.listdir(tmp_path) == ["run.npz"]  # the temporary file was renamed, none left
    back = History.load(path)
    for name in ["loss", "lr", "step_epoch", "epoch_loss", "val_loss", "metrics", "val_metrics",
                 "param_names", "param_shapes", "elapsed", "stopped"]:
        assert getattr(back, name) == getattr(h, name), name
    assert back.stopped is not None and "<lambda>" in back.stopped
    assert [s for s, _ in back.snapshots] == [s for s, _ in h.snapshots]
    for (_, a), (_, b) in zip(back.snapshots, h.snapshots):
        np.testing.assert_array_equal(a, b)
    arrays = back.to_arrays()
    assert arrays["snapshots"].shape == (len(h.snapshots), model.num_parameters())
    np.testing.assert_array_equal(arrays["val_acc"], h.val_metrics["acc"])
    # saving again over the file replaces it
    History(loss=[1.0], lr=[0.1], step_epoch=[1]).save(path)
    assert History.load(path).loss == [1.0]


def test_load_refuses_corrupt_and_foreign_files(tmp_path):
    good = tmp_path / "good.npz"
    History(loss=[1.0, 0.5], lr=[0.1, 0.1], step_epoch=[1, 2], epoch_loss=[1.0, 0.5]).save(good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, loss=np.ones(3))
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __autograd_lite_history__=np.array([{"x": 1}], dtype=object))
    for path in [truncated, garbage, foreign, pickled]:
        with pytest.raises(ValueError, match="History.load"):
            History.load(path)
    with pytest.raises(FileNotFoundError):
        History.load(tmp_path / "missing.npz")


# ---------------------------------------------------------------------- errors


def test_bad_arguments_are_named():
    X, y = make_data()
    model = make_model("value")
    opt = SGD(model.parameters(), 0.1)
    cases = [
        (dict(data=[X, y]), TypeError, "tuple"),  # a list [X, y] is two "batches"
        (dict(data=(X, y[:-1])), ValueError, "shape"),
        (dict(data=[(X[:4], y[:3])]), ValueError, "batch 1"),
        (dict(data=(X, None)), TypeError, "targets"),
        (dict(data=(x for x in [(X, y)]), epochs=2), TypeError, "one-pass"),
        (dict(data=[]), ValueError, "no batches"),
        (dict(data=(X[:, 0], y)), ValueError, "2-D"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(epochs=2.0), ValueError, "epochs"),
        (dict(scheduler_interval="batch"), ValueError, "scheduler_interval"),
        (dict(metrics={"val_acc": accuracy}), ValueError, "metric name"),
        (dict(metrics={"acc": 3}), TypeError, "metric 'acc'"),
        (dict(callbacks=stop_below(0.1)), TypeError, "list"),
        (dict(snapshot_every=0), ValueError, "snapshot_every"),
        (dict(optimizer=object()), TypeError, "zero_grad"),
        (dict(loss_fn=lambda p, t: 1.0), TypeError, "float"),
        (dict(loss_fn=lambda p, t: p), TypeError, "list of length 12"),
    ]
    for kwargs, error, words in cases:
        args = dict(model=model, loss_fn=mse, data=(X, y), optimizer=opt, epochs=1, log_every=0)
        args.update(kwargs)
        with pytest.raises(error, match=re.escape(words)):
            fit(**args)


def test_tensor_loss_must_be_one_element():
    X, y = make_data()
    model = make_model("tensor")
    with pytest.raises(TypeError, match=re.escape("Tensor of shape (12, 1)")):
        fit(model, lambda p, t: p * 2.0, (X, y), SGD(model.parameters(), 0.1), log_every=0)


def test_model_without_parameters():
    class Empty(Module):
        engine = "tensor"

        def forward(self, x):
            return x

    opt = SGD(make_model("tensor").parameters(), 0.1)
    with pytest.raises(ValueError, match="no parameters"):
        fit(Empty(), mse, make_data(), opt)
    with pytest.raises(TypeError, match="engine"):
        fit(object(), mse, make_data(), opt)


def test_train_mode_for_steps_eval_mode_for_validation_then_restored():
    class Spy(Module):
        engine = "tensor"

        def __init__(self):
            self.net = TensorMLP(2, [3, 1], seed=0)
            self._modes = []  # "_": not a parameter or child

        def forward(self, x):
            self._modes.append(self.training)
            return self.net(x)

    X, y = make_data()
    model = Spy().eval()
    fit(model, mse, (X, y), SGD(model.parameters(), 0.1), epochs=2, val_data=(X, y), log_every=0)
    assert model._modes == [True, False, True, False]
    assert model.training is False


@pytest.mark.parametrize("engine", ENGINES)
def test_classification_with_integer_labels(engine):
    X, y = make_data(16)
    labels = (y > 0).astype(np.int64)  # class indices stay integers: only X is made float
    model = MLP(2, [4, 2], seed=1) if engine == "value" else TensorMLP(2, [4, 2], seed=1)
    batches = (
        (X[:8], labels[:8]),
        (X[8:], labels[8:]),
    )  # a tuple of two batches is batches, not an (X, y) pair
    h = fit(model, cross_entropy, batches, SGD(model.parameters(), 0.5), epochs=40,
            metrics={"acc": accuracy}, val_data=(X, labels), log_every=0)
    assert h.steps == 80
    assert h.epoch_loss[-1] < h.epoch_loss[0] and h.val_metrics["acc"][-1] >= 0.75
    # evaluate over batches = evaluate over the whole set (means weighted by batch size)
    assert evaluate(model, cross_entropy, list(batches), {"acc": accuracy}) == pytest.approx(
        evaluate(model, cross_entropy, (X, labels), {"acc": accuracy}), rel=1e-12
    )


def test_epoch_loss_of_huge_finite_losses_is_their_mean_not_inf():
    # A diverging run can reach losses near 1e308: finite, but their size-weighted sum is
    # not. The epoch's loss must still be their mean (here all equal, so that number).
    model = TensorMLP(1, [1], seed=0)
    X, y = np.arange(6.0).reshape(6, 1), np.zeros((6, 1))
    batches = [(X[:4], y[:4]), (X[4:], y[4:])]
    big = 1.5e308
    history = fit(model, lambda p, t: (p * 0.0).sum() + big, batches, SGD(model.parameters(), lr=0.1), 1, log_every=0)
    assert history.loss == [big, big]
    assert history.epoch_loss == [pytest.approx(big, rel=1e-15)]
    # and unequal ones: (4 * a + 2 * b) / 6, computed without overflow
    a, b = 1.0e308, 1.6e308
    losses = iter([a, b])
    history = fit(model, lambda p, t: (p * 0.0).sum() + next(losses), batches, SGD(model.parameters(), lr=0.1), 1,
                  log_every=0)
    assert history.epoch_loss == [pytest.approx(4 / 6 * a + 2 / 6 * b, rel=1e-15)]
