"""``fit``: the training loop, and ``History``: what it records.

One step of training, on either engine, is the loop every lecture writes by hand::

    optimizer.zero_grad()                  # leaves accumulate: forget the last step
    pred = model(inputs)                   # forward: build the graph
    loss = loss_fn(pred, targets)          # (+ regularizer(model), if given)
    loss.backward()                        # dL/dp for every parameter p
    optimizer.step()                       # p <- p - lr * dL/dp (or Adam, ...)

``fit`` runs exactly that (a hand-written loop gives the same numbers, bit for bit),
and around it: batches and epochs, a progress bar, a log line, a check for a diverging
(non-finite) loss, validation, callbacks, and a ``History`` you can plot or save.

The track is chosen by ``model.engine``:

    "value"   scalar track: ``pred = [model(row) for row in X.tolist()]``, a list of
              lists of Values, shape (N, nout)
    "tensor"  Tensor track: ``pred = model(Tensor.from_numpy(X))``, shape (N, nout)

The log line (printed every ``log_every`` epochs and after the last one) has a fixed
format, ``name value`` fields joined by two spaces, always in this order::

    epoch  10/100  step  100  loss 0.123456  acc 0.970000  val_loss 0.140000  lr 0.100000  1.2s

    epoch E/EPOCHS   E right-aligned to the width of EPOCHS
    step S           steps done so far (all epochs), right-aligned to the width of the total
    loss             mean training loss of the epoch (weighted by batch size)
    <metric> ...     each training metric's epoch mean, in the order of ``metrics``
    val_loss         validation loss after the epoch (only with ``val_data``)
    val_<metric>     each metric on the validation data (only with ``val_data``)
    lr               the learning rate of the epoch's last step
    T.Ts             seconds since fit started

Every number (loss, metrics, lr) is written the same way: 6 decimals (``0.123456``,
8 characters, 9 with a minus sign) when 1e-4 <= |x| < 10 or x == 0, else 3 significant
digits in scientific notation (``1.23e+05``, also 8); ``nan``/``inf`` right-aligned in 8. All of them parse
with ``float()``. A regex that reads a line::

    m = re.fullmatch(r"epoch +(\\d+)/(\\d+)  step +(\\d+)  (.*)  (\\d+\\.\\d)s", line)
    fields = dict(re.findall(r"(\\w+) +(\\S+)", m.group(4)))  # {"loss": "0.123456", ...}
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, TextIO, Tuple, Union

import numpy as np
from tqdm.auto import tqdm

from autograd_lite import Tensor, Value, gc_paused, no_grad

from .checks import real
from .checks import show as _show
from .files import as_path, load_npz, save_npz
from .optim import NonFiniteError, Optimizer

__all__ = ["fit", "evaluate", "History", "early_stopping", "stop_below", "forward_batch", "loss_number", "outputs_array"]

# A batch is (inputs, targets); data is one (X, y) pair or a re-iterable of batches.
Batch = Tuple[np.ndarray, np.ndarray]
Callback = Callable[["History"], Optional[bool]]
Metric = Callable[[np.ndarray, np.ndarray], float]

_FORMAT = "autograd-lite/history"
_META_KEY = "__autograd_lite_history__"
_ENGINES = ("value", "tensor")
# Names the log line and History.to_arrays() use themselves: a metric may not take them.
_RESERVED = {"epoch", "step", "loss", "lr", "step_epoch", "epoch_loss", "val_loss", "snapshot_steps", "snapshots"}


# ---------------------------------------------------------------------- History


@dataclass
class History:
    """Everything ``fit`` recorded, as plain lists (``to_arrays()`` for numpy).

    Per step (one entry per optimizer step; step s is ``index + 1``):
        ``loss``        the loss of the step's batch, computed *before* its update
                        (plus the regularizer, if any: the number that was minimised)
        ``lr``          the learning rate the step used
        ``step_epoch``  the epoch (1-based) the step belongs to
    Per completed epoch:
        ``epoch_loss``  mean of the epoch's step losses, weighted by batch size
        ``metrics``     name -> per-epoch mean of the metric on the training batches
        ``val_loss``, ``val_metrics``   the same on ``val_data`` after the epoch
                        (``val_loss`` is the plain ``loss_fn``, without the regularizer)
    Parameters (only with ``snapshot_every``):
        ``snapshots``   (step, flat float64 vector of all parameters after that step),
                        at step 0 (before training), every ``snapshot_every`` steps, and
                        at the last step; ``param_names``/``param_shapes`` (the model's
                        state-dict keys and shapes) cut a vector back into arrays
                        (``unflatten``), which ``model.load_state_dict`` accepts.
    ``elapsed`` seconds of training; ``stopped`` is None after a full run, else why it
    stopped early: "non-finite loss at epoch 3 step 27" (or "non-finite gradient ...";
    step 27 was not taken, the lists end at step 26), "callback early_stopping(...) at
    epoch 12".
    """

    loss: List[float] = field(default_factory=list)
    lr: List[float] = field(default_factory=list)
    step_epoch: List[int] = field(default_factory=list)
    epoch_loss: List[float] = field(default_factory=list)
    val_loss: List[float] = field(default_factory=list)
    metrics: Dict[str, List[float]] = field(default_factory=dict)
    val_metrics: Dict[str, List[float]] = field(default_factory=dict)
    snapshots: List[Tuple[int, np.ndarray]] = field(default_factory=list)
    param_names: List[str] = field(default_factory=list)
    param_shapes: List[Tuple[int, ...]] = field(default_factory=list)
    elapsed: float = 0.0
    stopped: Optional[str] = None

    @property
    def steps(self) -> int:
        """Optimizer steps taken."""
        return len(self.loss)

    @property
    def epochs(self) -> int:
        """Epochs completed."""
        return len(self.epoch_loss)

    def unflatten(self, vector: np.ndarray) -> Dict[str, np.ndarray]:
        """A flat parameter vector (one snapshot) as {name: array}, a state dict."""
        vector = np.asarray(vector, dtype=np.float64)
        sizes = [int(np.prod(s, dtype=np.int64)) for s in self.param_shapes]
        if vector.shape != (sum(sizes),):
            raise ValueError(
                f"History.unflatten: expected a vector of {sum(sizes)} numbers (the parameters "
                f"{self.param_names}), got shape {vector.shape}"
            )
        out: Dict[str, np.ndarray] = {}
        start = 0
        for name, shape, size in zip(self.param_names, self.param_shapes, sizes):
            out[name] = vector[start : start + size].reshape(shape).copy()
            start += size
        return out

    def snapshot_arrays(self) -> Tuple[np.ndarray, np.ndarray]:
        """The snapshots as (steps, shape (n,), params, shape (n, num_parameters))."""
        width = sum(int(np.prod(s, dtype=np.int64)) for s in self.param_shapes)
        steps = np.array([s for s, _ in self.snapshots], dtype=np.int64)
        params = np.array([v for _, v in self.snapshots], dtype=np.float64).reshape(len(self.snapshots), width)
        return steps, params

    def to_arrays(self) -> Dict[str, np.ndarray]:
        """Every series as a numpy array, under flat names (for plotting).

        Keys: ``loss``, ``lr``, ``step_epoch`` (per step); ``epoch_loss``, ``val_loss``,
        each metric by its name and ``val_<name>`` (per epoch); ``snapshot_steps`` and
        ``snapshots`` (shape (n, num_parameters)).
        """
        out = {
            "loss": np.array(self.loss, dtype=np.float64),
            "lr": np.array(self.lr, dtype=np.float64),
            "step_epoch": np.array(self.step_epoch, dtype=np.int64),
            "epoch_loss": np.array(self.epoch_loss, dtype=np.float64),
            "val_loss": np.array(self.val_loss, dtype=np.float64),
        }
        for name, series in self.metrics.items():
            out[name] = np.array(series, dtype=np.float64)
        for name, series in self.val_metrics.items():
            out[f"val_{name}"] = np.array(series, dtype=np.float64)
        out["snapshot_steps"], out["snapshots"] = self.snapshot_arrays()
        return out

    def as_dict(self) -> Dict[str, Any]:
        """The whole record: ``to_arrays()`` plus ``param_names``, ``param_shapes``,
        ``elapsed`` and ``stopped`` (what ``save`` writes)."""
        out: Dict[str, Any] = self.to_arrays()
        out.update(
            param_names=list(self.param_names),
            param_shapes=[tuple(s) for s in self.param_shapes],
            elapsed=self.elapsed,
            stopped=self.stopped,
        )
        return out

    # ------------------------------------------------------------------ files

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write to ``path`` (exactly that name; ``.npz`` is the natural suffix).

        Atomic: written to a temporary file in the same folder, then renamed over
        ``path``, so a crash never leaves half a file. Plain arrays only (no pickle).
        """
        path = as_path(path, "History.save")
        meta = {
            "format": _FORMAT,
            "version": 1,
            "metrics": list(self.metrics),
            "val_metrics": list(self.val_metrics),
            "param_names": list(self.param_names),
            "param_shapes": [list(s) for s in self.param_shapes],
            "elapsed": self.elapsed,
            "stopped": self.stopped,
        }
        arrays: Dict[str, Any] = {
            _META_KEY: np.array(json.dumps(meta)),  # a unicode array, not an object: no pickle
            "loss": np.array(self.loss, dtype=np.float64),
            "lr": np.array(self.lr, dtype=np.float64),
            "step_epoch": np.array(self.step_epoch, dtype=np.int64),
            "epoch_loss": np.array(self.epoch_loss, dtype=np.float64),
            "val_loss": np.array(self.val_loss, dtype=np.float64),
        }
        # Metrics by position: a metric's name may hold characters a zip member name should not.
        for i, series in enumerate(self.metrics.values()):
            arrays[f"metric_{i}"] = np.array(series, dtype=np.float64)
        for i, series in enumerate(self.val_metrics.values()):
            arrays[f"val_metric_{i}"] = np.array(series, dtype=np.float64)
        arrays["snapshot_steps"], arrays["snapshots"] = self.snapshot_arrays()
        save_npz(path, arrays)

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "History":
        """Read a file written by ``save`` (``allow_pickle=False``: loading never runs code).

        A missing file raises FileNotFoundError; a truncated, corrupt or foreign one a
        ValueError that names the path.
        """
        path = as_path(path, "History.load")
        where = f"History.load({path!r})"
        arrays = load_npz(path, where, "history file")
        try:
            meta = json.loads(str(arrays[_META_KEY]))
            if meta.get("format") != _FORMAT:
                raise ValueError(f"format {meta.get('format')!r}")
            h = cls(
                loss=[float(x) for x in arrays["loss"]],
                lr=[float(x) for x in arrays["lr"]],
                step_epoch=[int(x) for x in arrays["step_epoch"]],
                epoch_loss=[float(x) for x in arrays["epoch_loss"]],
                val_loss=[float(x) for x in arrays["val_loss"]],
                metrics={n: [float(x) for x in arrays[f"metric_{i}"]] for i, n in enumerate(meta["metrics"])},
                val_metrics={n: [float(x) for x in arrays[f"val_metric_{i}"]] for i, n in enumerate(meta["val_metrics"])},
                param_names=[str(n) for n in meta["param_names"]],
                param_shapes=[tuple(int(d) for d in s) for s in meta["param_shapes"]],
                elapsed=float(meta["elapsed"]),
                stopped=meta["stopped"],
            )
            steps, params = arrays["snapshot_steps"], arrays["snapshots"]
            width = sum(int(np.prod(s, dtype=np.int64)) for s in h.param_shapes)
            if params.shape != (len(steps), width) or not (len(h.loss) == len(h.lr) == len(h.step_epoch)):
                raise ValueError(f"inconsistent sizes: snapshots {params.shape} for {len(steps)} steps of {width} numbers")
            h.snapshots = [(int(s), params[i].copy()) for i, s in enumerate(steps)]
        except KeyError as exc:
            raise ValueError(f"{where}: the entry {exc} is missing; this .npz was not written by History.save") from None
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"{where}: unreadable history ({exc}); the file is corrupt") from None
        return h

    # ------------------------------------------------------------------ printing

    def __repr__(self) -> str:
        parts = [f"steps={self.steps}", f"epochs={self.epochs}"]
        series = [("loss", self.epoch_loss), ("val_loss", self.val_loss)]
        series += list(self.metrics.items()) + [(f"val_{n}", s) for n, s in self.val_metrics.items()]
        for name, values in series:
            if values:  # first -> last epoch: the summary a lecture wants at a glance
                parts.append(f"{name} {_num(values[0]).strip()} -> {_num(values[-1]).strip()}")
        if self.snapshots:
            parts.append(f"snapshots={len(self.snapshots)}")
        parts.append(f"elapsed={self.elapsed:.1f}s")
        parts.append(f"stopped={self.stopped!r}")
        return "History(" + ", ".join(parts) + ")"


# ---------------------------------------------------------------------- fit


def fit(
    model: Any,
    loss_fn: Callable[[Any, np.ndarray], Any],
    data: Any,
    optimizer: Any,
    epochs: int = 1,
    *,
    scheduler: Any = None,
    scheduler_interval: str = "epoch",
    metrics: Optional[Mapping[str, Metric]] = None,
    val_data: Any = None,
    callbacks: Sequence[Callback] = (),
    progress: Optional[bool] = None,
    log_every: int = 1,
    snapshot_every: Optional[int] = None,
    stop_on_nonfinite: bool = True,
    regularizer: Optional[Callable[[Any], Any]] = None,
    file: Optional[TextIO] = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``data``; return the ``History``.

    Each step: ``optimizer.zero_grad()``; ``loss = loss_fn(model(Xb), yb)``
    (+ ``regularizer(model)``); ``loss.backward()``; ``optimizer.step()``.

    Args:
        model: an ``nn.Module``; ``model.engine`` ("value" or "tensor") picks the track.
        loss_fn: ``loss_fn(pred, yb)`` returning a scalar node (a Value, or a one-element
            Tensor), e.g. ``mse``.
        data: an ``(X, y)`` tuple of arrays, used as one full batch per epoch; or a
            re-iterable of ``(Xb, yb)`` batches (``Batches``, a list of pairs). X becomes
            a float64 array (float32 stays float32), once for a full pair; y is passed to
            ``loss_fn`` as an array.
        optimizer: has ``zero_grad()``, ``step()`` and (for the record) ``lr``.
        epochs: passes over ``data`` (an int >= 1).
        scheduler: optional, with ``step()``; stepped after every epoch
            (``scheduler_interval="epoch"``) or after every optimizer step ("step").
        metrics: ``{name: fn(pred, target) -> float}``, e.g. ``{"acc": accuracy}``.
            ``pred`` is a float64 numpy array (N, nout) of the step's predictions (made
            before the update), so a metric cannot touch the graph.
        val_data: like ``data``; after every epoch, ``val_loss`` and each metric on it,
            computed under ``no_grad()`` with the model in ``eval()`` mode.
        callbacks: functions ``cb(history)`` called after every epoch; one returning
            True stops training (``history.stopped`` names it).
        progress: a tqdm bar over the steps. None (default): only when ``file`` is a
            terminal (off in CI, logs and notebooks without one); True/False force it.
        log_every: print the log line (module docstring) every this many epochs and
            after the last; 0 prints none.
        snapshot_every: record all parameters every this many steps (and at step 0 and
            the last step) in ``history.snapshots``, for trajectory plots.
        stop_on_nonfinite: when the loss is nan or inf (or overflows float64), or a
            gradient is, or an update would be (``lr * grad`` beyond float64), fit prints
            a message with likely fixes, records ``history.stopped`` ("non-finite loss at
            epoch 3 step 27", "non-finite gradient ...", "non-finite update ...") and
            returns the history so far (True, the default: divergence is a lesson, not a
            crash); False raises FloatingPointError with the same message instead. Either
            way it stops *before* that step's update (a non-finite loss: before its
            backward), so no nan reaches the parameters: the history and the model end at
            the last good step, the model finite. (With ``nn``'s optimizers, which check
            every update first; for another optimizer fit checks the parameters after its
            step and says so if it wrote inf or nan.) numpy's overflow warnings are
            silenced during the steps: fit reports the outcome instead.
        regularizer: ``regularizer(model) -> node`` added to every step's loss, e.g.
            ``lambda m: l2(m.parameters(), 1e-4)``.
        file: where log lines, messages and the bar go (None: ``sys.stdout`` at call time).
            The non-finite message is printed even with ``log_every=0``.

    fit draws no random numbers: shuffling belongs to the data (``Batches(seed=...)``).
    """
    file = sys.stdout if file is None else file
    if not callable(getattr(file, "write", None)):
        raise TypeError(f"fit: file must be a text stream with write() (sys.stdout, an open file), got {_show(file)}")
    engine, params = _check_model(model)
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be a function loss_fn(pred, target) -> node (nn.mse, say), got {_show(loss_fn)}")
    if not isinstance(stop_on_nonfinite, (bool, np.bool_)):
        raise TypeError(f"fit: stop_on_nonfinite must be True or False, got {_show(stop_on_nonfinite)}")
    _check_int("epochs", epochs, minimum=1)
    _check_int("log_every", log_every, minimum=0)
    if snapshot_every is not None:
        _check_int("snapshot_every", snapshot_every, minimum=1)
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f'fit: scheduler_interval must be "epoch" or "step", got {_show(scheduler_interval)}')
    _check_has(optimizer, "optimizer", ("zero_grad", "step"))
    _check_optimizer_params(optimizer, params, model)
    if scheduler is not None:
        _check_has(scheduler, "scheduler", ("step",))
    metrics = _check_metrics(metrics)
    callbacks = _check_callbacks(callbacks)
    if regularizer is not None and not callable(regularizer):
        raise TypeError(f"fit: regularizer must be a function of the model returning a node, got {_show(regularizer)}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be True, False or None (automatic), got {_show(progress)}")
    train_batches = _as_batches(data, "data", epochs)
    val_batches = None if val_data is None else _as_batches(val_data, "val_data", epochs)

    has_val = val_batches is not None
    history = History(metrics={n: [] for n in metrics}, val_metrics={n: [] for n in metrics} if has_val else {})
    if snapshot_every is not None:
        names, shapes, vector = _snapshot(model)
        history.param_names, history.param_shapes = names, shapes
        history.snapshots.append((0, vector))

    per_epoch = _length(train_batches)
    total_steps = per_epoch * epochs if per_epoch is not None else None
    show_bar = progress if progress is not None else _isatty(file)
    bar = tqdm(total=total_steps, file=file, unit="step", dynamic_ncols=True) if show_bar else None
    was_training = getattr(model, "training", True)
    _set_mode(model, training=True)
    start = time.perf_counter()
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            if bar is not None:
                bar.set_description(f"epoch {epoch}/{epochs}", refresh=False)
            seen = 0  # samples this epoch, to weight each batch's mean loss by its size
            # The epoch's size-weighted mean loss, kept as a running mean rather than a sum:
            # a diverging run's finite losses near 1e308 would overflow a sum to inf.
            loss_mean = 0.0
            metric_sums = {n: 0.0 for n in metrics}
            for Xb, yb in _batches(train_batches, "data", engine, epoch):
                lr = _read_lr(optimizer)  # before the step: the lr this step uses
                loss_value, pred, problem = _train_step(model, engine, params, loss_fn, regularizer, optimizer, Xb, yb)
                if problem is not None:
                    history.stopped, message = _stop_report(problem, epoch, step + 1, lr)
                    if not stop_on_nonfinite:
                        raise FloatingPointError(message)
                    _print(message, file, bar)
                    return history
                step += 1
                history.loss.append(loss_value)
                history.lr.append(lr)
                history.step_epoch.append(epoch)
                n = len(Xb)
                seen += n
                loss_mean += (loss_value - loss_mean) * (n / seen)
                if metrics:
                    pred_array = outputs_array(pred, engine)
                    for name, fn in metrics.items():
                        metric_sums[name] += _metric_value(name, fn, pred_array, yb) * n
                del pred  # free this step's graph now, not at the next assignment
                if scheduler is not None and scheduler_interval == "step":
                    scheduler.step()
                if snapshot_every is not None and step % snapshot_every == 0:
                    history.snapshots.append((step, _snapshot(model)[2]))
                if bar is not None:
                    bar.set_postfix_str(f"loss={loss_mean:.4g}", refresh=False)
                    bar.update(1)

            # ---- end of epoch: record, validate, schedule, callbacks, log
            history.epoch_loss.append(loss_mean)
            for name in metrics:
                history.metrics[name].append(metric_sums[name] / seen)
            if has_val:
                _set_mode(model, training=False)
                with np.errstate(all="ignore"):  # a diverging model's val loss may be inf: a number, not a warning
                    result = _evaluate(model, engine, loss_fn, val_batches, metrics, "fit", "val_data")
                _set_mode(model, training=True)
                history.val_loss.append(result["loss"])
                for name in metrics:
                    history.val_metrics[name].append(result[name])
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
            history.elapsed = time.perf_counter() - start
            for cb in callbacks:
                if cb(history) is True:
                    history.stopped = f"callback {_name(cb)} at epoch {epoch}"
                    break
            last = epoch == epochs or history.stopped is not None
            if log_every and (epoch % log_every == 0 or last):
                _print(_log_line(history, epoch, epochs, step, total_steps), file, bar)
            if history.stopped is not None:
                if log_every:
                    _print(f"fit: stopped by {history.stopped}", file, bar)
                break
        return history
    finally:
        # Runs on every exit (a full run, an early stop, an error): the last snapshot, the
        # time, the model's mode, and the bar closed so the terminal is left tidy.
        if snapshot_every is not None and history.snapshots[-1][0] != step:
            history.snapshots.append((step, _snapshot(model)[2]))
        history.elapsed = time.perf_counter() - start
        _set_mode(model, training=was_training)
        if bar is not None:
            bar.close()


def evaluate(
    model: Any,
    loss_fn: Callable[[Any, np.ndarray], Any],
    data: Any,
    metrics: Optional[Mapping[str, Metric]] = None,
) -> Dict[str, float]:
    """``{"loss": ..., <metric>: ...}`` of ``model`` on ``data``, under ``no_grad()``.

    ``data`` as in ``fit``. Each number is the mean over the batches weighted by batch
    size (for a mean-reduced loss: the loss over all the data). The model's mode
    (train/eval) is left as it is.
    """
    engine, _ = _check_model(model, "evaluate")
    if not callable(loss_fn):
        raise TypeError(f"evaluate: loss_fn must be a function loss_fn(pred, target) -> node, got {_show(loss_fn)}")
    batches, checked = _as_batches(data, "data", 1, "evaluate"), _check_metrics(metrics, "evaluate")
    with np.errstate(all="ignore"):  # a diverged model's loss may be inf: a number, not a warning
        return _evaluate(model, engine, loss_fn, batches, checked)


def _evaluate(model: Any, engine: str, loss_fn: Callable[[Any, np.ndarray], Any], batches: Any,
              metrics: Dict[str, Metric], where: str = "evaluate", name: str = "data") -> Dict[str, float]:
    seen = 0
    sums = {"loss": 0.0, **{n: 0.0 for n in metrics}}
    with no_grad():
        for Xb, yb in _batches(batches, name, engine, 1, where):
            pred = forward_batch(model, engine, Xb)
            n = len(Xb)
            seen += n
            sums["loss"] += loss_number(loss_fn(pred, yb), engine, where) * n
            if metrics:
                pred_array = outputs_array(pred, engine)
                for name, fn in metrics.items():
                    sums[name] += _metric_value(name, fn, pred_array, yb) * n
    return {k: v / seen for k, v in sums.items()}


# ---------------------------------------------------------------------- callbacks


def early_stopping(patience: int = 5, monitor: str = "val_loss", min_delta: float = 0.0, mode: str = "min") -> Callback:
    """A callback: stop when ``monitor`` has not improved for ``patience`` epochs.

    Improved means below the best so far by more than ``min_delta`` (``mode="min"``,
    for losses) or above it (``mode="max"``, for accuracy). ``monitor`` is "loss",
    "val_loss", a metric's name or "val_<metric>".
    """
    _check_int("patience", patience, minimum=1, where="early_stopping")
    if not isinstance(mode, str) or mode not in ("min", "max"):
        raise ValueError(f'early_stopping: mode must be "min" (losses) or "max" (accuracy), got {_show(mode)}')
    _check_monitor(monitor, "early_stopping")
    min_delta = real(min_delta, "min_delta", "early_stopping")
    if min_delta < 0.0:
        raise ValueError(f"early_stopping: min_delta must be >= 0 (how much better counts as better), got {min_delta!r}")
    sign = 1.0 if mode == "min" else -1.0  # compare sign * value, so "lower is better" in both modes
    watched: Optional[History] = None  # the run being watched: a new History (the next fit) starts afresh
    best, best_epoch = math.inf, 0  # best sign * value so far, and its epoch (1-based)

    def callback(history: History) -> bool:
        nonlocal watched, best, best_epoch
        if history is not watched:
            watched, best, best_epoch = history, math.inf, 0
        series = _monitored(history, monitor, "early_stopping")
        value = sign * series[-1]
        if value < best - min_delta:
            best, best_epoch = value, len(series)
        return len(series) - best_epoch >= patience

    callback.__name__ = callback.__qualname__ = f"early_stopping(patience={patience}, monitor={monitor!r})"
    return callback


def stop_below(threshold: float, monitor: str = "loss") -> Callback:
    """A callback: stop once ``monitor`` (as in ``early_stopping``) is below ``threshold``."""
    threshold = real(threshold, "threshold", "stop_below")
    _check_monitor(monitor, "stop_below")

    def callback(history: History) -> bool:
        return bool(_monitored(history, monitor, "stop_below")[-1] < threshold)

    callback.__name__ = callback.__qualname__ = f"stop_below({threshold!r}, monitor={monitor!r})"
    return callback


def _monitored(history: History, monitor: str, where: str) -> List[float]:
    """The per-epoch series a callback watches, by its log-line name."""
    if monitor == "loss":
        return history.epoch_loss
    if monitor == "val_loss" and history.val_loss:
        return history.val_loss
    if monitor in history.metrics:
        return history.metrics[monitor]
    if monitor.startswith("val_") and monitor[4:] in history.val_metrics:
        return history.val_metrics[monitor[4:]]
    known = ["loss"] + (["val_loss"] if history.val_loss else []) + list(history.metrics)
    known += [f"val_{n}" for n in history.val_metrics]
    hint = "; val_* needs fit(..., val_data=...)" if monitor.startswith("val_") else ""
    raise ValueError(f"{where}: nothing called {monitor!r} in the history (it has {known}){hint}")


# ---------------------------------------------------------------------- helpers: checks


def _check_optimizer_params(optimizer: Any, params: List[Any], model: Any) -> None:
    """Refuse an optimizer that updates none of the model's parameters (made for another
    model, or for this one before it was rebuilt): training would change nothing."""
    theirs = getattr(optimizer, "params", None)
    if not isinstance(theirs, (list, tuple)) or not theirs or not all(isinstance(p, (Value, Tensor)) for p in theirs):
        return  # an optimizer of another kind: nothing to compare
    ours = {id(p) for p in params}
    if not any(id(p) in ours for p in theirs):
        raise ValueError(
            f"fit: the optimizer updates none of the {len(params)} parameters of this "
            f"{type(model).__name__} (its {len(theirs)} parameters belong to another model, or to "
            f"this one before it was rebuilt), so training would change nothing; make it from "
            f"this model: {type(optimizer).__name__}(model.parameters(), ...)"
        )


def _check_model(model: Any, where: str = "fit") -> Tuple[str, List[Any]]:
    engine = getattr(model, "engine", None)
    if engine not in _ENGINES:
        raise TypeError(
            f"{where}: the model needs an `engine` attribute, 'value' (scalar track) or 'tensor', "
            f"got {_show(engine)} on {type(model).__name__}; subclass nn.Module and set engine"
        )
    params = model.parameters() if callable(getattr(model, "parameters", None)) else None
    if not params:
        raise ValueError(
            f"{where}: {type(model).__name__} has no parameters to train (parameters() returned "
            f"{_show(params)}); set Values or Tensors with requires_grad=True as attributes"
        )
    return engine, params


def _check_int(name: str, x: Any, minimum: int, where: str = "fit") -> None:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)) or x < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {_show(x)}")


def _check_monitor(monitor: Any, where: str) -> None:
    """A monitored series is named by a str ("loss", "val_loss", a metric's name)."""
    if not isinstance(monitor, str):
        raise TypeError(
            f'{where}: monitor must be a name (a str) such as "loss", "val_loss" or a metric\'s name, got {_show(monitor)}'
        )


def _check_has(obj: Any, what: str, methods: Tuple[str, ...]) -> None:
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise TypeError(f"fit: the {what} ({type(obj).__name__}) has no {', '.join(m + '()' for m in missing)}")


def _check_metrics(metrics: Optional[Mapping[str, Metric]], where: str = "fit") -> Dict[str, Metric]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f'{where}: metrics is a dict name -> fn(pred, target), e.g. {{"acc": accuracy}}; got {_show(metrics)}')
    for name, fn in metrics.items():
        # Names appear in the log line as "name value": one word, so the line stays parseable.
        if not isinstance(name, str) or not name.isidentifier() or name in _RESERVED or name.startswith("val_"):
            raise ValueError(
                f"{where}: metric name {_show(name)} must be an identifier (letters, digits, _), not "
                f"starting with val_ and not one of {sorted(_RESERVED)}"
            )
        if not callable(fn):
            raise TypeError(f"{where}: metric {name!r} must be a function fn(pred, target) -> float, got {_show(fn)}")
    return dict(metrics)


def _check_callbacks(callbacks: Sequence[Callback]) -> List[Callback]:
    if callable(callbacks):  # a lone function: the common slip
        raise TypeError("fit: callbacks is a list of functions; wrap a single one as [cb]")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"fit: every callback must be a function cb(history) -> None or True, got {_show(cb)}")
    return callbacks


# ---------------------------------------------------------------------- helpers: data


class _Prepared(List[Batch]):
    """Batches of a full (X, y) pair, converted once: [(X float64, y)]."""


def _as_batches(data: Any, name: str, epochs: int, where: str = "fit") -> Any:
    """``data`` as something to iterate once per epoch: a full pair becomes one batch."""
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
        # (X, y): one full batch. A tuple of two *batches* ((X1, y1), (X2, y2)) is batches.
        return _Prepared([_check_pair(data[0], data[1], f"{where}: {name}")])
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise TypeError(
            f"{where}: {name} must be an (X, y) tuple of arrays or an iterable of (Xb, yb) "
            f"batches (a list, Batches), got {type(data).__name__}"
        )
    if epochs > 1 and isinstance(data, Iterator):
        raise TypeError(
            f"{where}: {name} is a one-pass iterator ({type(data).__name__}), used up after the first "
            f"epoch; pass a list of batches or a re-iterable such as Batches"
        )
    return data


def _check_pair(X: Any, y: Any, where: str) -> Batch:
    """One batch as (X float64 array, y array), with matching lengths."""
    if y is None:
        raise TypeError(f"{where}: a batch needs targets y, got (X, None)")
    if not (isinstance(X, np.ndarray) and X.dtype in (np.float64, np.float32)):
        # float64 (or float32, kept for float32 models); no copy when it already is one
        try:
            X = np.asarray(X)
        except ValueError as exc:
            raise TypeError(f"{where}: X must be an array of numbers ({exc})") from None
        if X.dtype.kind not in "biuf":  # complex, strings, objects: never cast quietly
            hint = "; keep the real part (X.real) if that is what you mean" if X.dtype.kind == "c" else ""
            raise TypeError(f"{where}: X must be an array of real numbers, got dtype {X.dtype}{hint}")
        with np.errstate(over="ignore"):  # a longdouble beyond float64 becomes inf: refused below
            X = X.astype(np.float64)
    if not np.isfinite(X).all():  # inputs are data typed in: they must be finite (the engines' rule)
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise ValueError(f"{where}: X holds nan or inf (the first in row {row}); inputs must be finite numbers")
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"{where}: X and y need one row per sample, the same number of rows; got X of shape "
            f"{X.shape} and y of shape {y.shape}"
        )
    if len(X) == 0:
        raise ValueError(f"{where}: an empty batch (X of shape {X.shape})")
    return X, y


def _batches(batches: Any, name: str, engine: str, epoch: int, where: str = "fit") -> Iterable[Batch]:
    """One epoch of checked batches."""
    count = 0
    for batch in batches:
        if isinstance(batches, _Prepared):
            X, y = batch
        else:
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                size = f" of length {len(batch)}" if hasattr(batch, "__len__") else ""
                hint = "; for one full batch pass a tuple (X, y), not a list" if isinstance(batch, np.ndarray) else ""
                raise TypeError(
                    f"{where}: every batch of {name} must be a pair (Xb, yb), got "
                    f"{type(batch).__name__}{size}{hint}"
                )
            X, y = _check_pair(batch[0], batch[1], f"{where}: batch {count + 1} of {name}")
        if engine == "value" and X.ndim != 2:
            raise ValueError(
                f"{where}: the scalar track feeds one row of X at a time, so X must be 2-D "
                f"(N, nin), got shape {X.shape}; reshape a single feature with X[:, None]"
            )
        count += 1
        yield X, y
    if count == 0:
        raise ValueError(f"{where}: {name} gave no batches in epoch {epoch}")


def _length(batches: Any) -> Optional[int]:
    try:
        return len(batches)
    except TypeError:  # a re-iterable without len(): the bar shows a count, not a percentage
        return None


# ---------------------------------------------------------------------- helpers: a step


def _train_step(
    model: Any,
    engine: str,
    params: List[Any],
    loss_fn: Callable[[Any, np.ndarray], Any],
    regularizer: Optional[Callable[[Any], Any]],
    optimizer: Any,
    X: np.ndarray,
    y: np.ndarray,
) -> Tuple[float, Any, Optional[Tuple[str, str, bool]]]:
    """One step: ``(loss value, predictions, None)``, or a problem ``(kind, why, undone)``.

    The problem is a non-finite loss (checked before backward), a non-finite gradient
    or a non-finite update (both refused by nn's optimizers before they change
    anything): either way no nan reaches the parameters, so the model and the history
    end at the last good step. ``undone`` is False only when an optimizer of another
    kind already wrote inf or nan into the model.
    """
    # Pausing the cyclic collector is safe (graphs hold no cycles, so reference counting
    # frees them) and saves most of a step's time: see gc_paused. numpy's warnings about
    # overflow are silenced: a non-finite loss, gradient or update is reported below.
    with gc_paused(), np.errstate(all="ignore"):
        try:
            optimizer.zero_grad()
            pred = forward_batch(model, engine, X)
            loss = loss_fn(pred, y)
            if regularizer is not None:
                loss = loss + regularizer(model)
            loss_value = loss_number(loss, engine, "fit")
            if not math.isfinite(loss_value):
                return loss_value, pred, ("loss", f"the loss is {loss_value}", True)
            loss.backward()
            try:
                optimizer.step()
            except NonFiniteError as exc:  # nn's optimizers: nothing was changed
                if exc.kind == "gradient":
                    why_grad = _nonfinite_grad(model, params) or str(exc)
                    return loss_value, pred, ("gradient", f"the loss is {loss_value:.6g} but {why_grad}", True)
                name = _param_name(model, optimizer.params[exc.parameter])
                return loss_value, pred, ("update", f"the loss is {loss_value:.6g} but updating {name} would put inf or nan into {exc.detail}", True)
            except Exception:
                # Another optimizer: if a gradient is nan/inf, that is divergence too.
                # (Checking the gradients here on every step would cost each step what it saves once.)
                bad = _nonfinite_grad(model, params)
                if bad is None:
                    raise
                return loss_value, pred, ("gradient", f"the loss is {loss_value:.6g} but {bad}", True)
            if not isinstance(optimizer, Optimizer):  # nn's optimizers check every update first
                bad = _nonfinite_param(model, params)
                if bad is not None:
                    return loss_value, pred, ("update", f"the loss is {loss_value:.6g} but the optimizer wrote {bad}", False)
        except OverflowError as exc:  # e.g. x ** 2 or exp(x) past float64's max: no loss at all
            return math.inf, None, ("loss", f"the loss overflowed ({exc})", True)
    return loss_value, pred, None


def forward_batch(model: Any, engine: str, X: np.ndarray) -> Any:
    """``model``'s outputs on the rows of ``X`` (N, nin), exactly as ``fit`` computes them.

    ``engine`` is the model's ``engine``: ``"value"`` runs one sample at a time and returns
    a list of N outputs (each what the model returns for a sample: for ``nn.MLP`` a list
    of ``nout`` Values); ``"tensor"`` runs the whole
    batch at once and returns one Tensor (N, nout). Call it under ``no_grad()`` when no
    gradient is wanted (a picture, a metric).

    >>> import nn
    >>> model = nn.MLP(2, [1], seed=0)
    >>> out = forward_batch(model, "value", np.zeros((3, 2)))
    >>> len(out), len(out[0]), type(out[0][0]).__name__
    (3, 1, 'Value')
    """
    if engine == "value":
        # One sample at a time, as micrograd; tolist() gives Python floats, the fast input.
        return [model(row) for row in X.tolist()]
    return model(Tensor.from_numpy(X))  # (N, nin) -> (N, nout); shares X, no copy


def loss_number(loss: Any, engine: str, where: str) -> float:
    """The loss as a float, after checking it is a scalar node of the model's engine
    (``engine``: ``"value"`` or ``"tensor"``), else a TypeError that names ``where``, what
    ``loss_fn`` returned instead, and the fix.

    >>> from autograd_lite import Tensor
    >>> loss_number(Tensor([[0.25]]), "tensor", "fit")
    0.25
    """
    if engine == "value" and isinstance(loss, Value):
        return loss.data
    if engine == "tensor" and isinstance(loss, Tensor) and loss.data.size == 1:
        return float(loss.data.reshape(()))
    wanted = "a Value" if engine == "value" else "a one-element Tensor"
    if isinstance(loss, Tensor):
        got = f"a Tensor of shape {loss.shape}"
    elif isinstance(loss, (list, tuple)):
        got = f"a {type(loss).__name__} of length {len(loss)}"
    elif isinstance(loss, np.ndarray):
        got = f"a numpy array of shape {loss.shape}"
    else:
        got = f"{type(loss).__name__} {_show(loss)}"
    raise TypeError(
        f"{where}: loss_fn must return a scalar node ({wanted}, for the {engine} track) to call "
        f"backward() on, got {got}; reduce it with sum()/mean(), and build it from the model's "
        f"outputs (a plain number has no graph)"
    )


def _param_name(model: Any, p: Any) -> str:
    """The model's name for parameter ``p`` ("0.weight", "0.weight[3, 1]"), or its position."""
    named = getattr(model, "named_parameters", None)
    if callable(named):
        for name, q in named():
            if q is p:
                return name
    return f"parameters()[{next((i for i, q in enumerate(model.parameters()) if q is p), '?')}]"


def _nonfinite_param(model: Any, params: List[Any]) -> Optional[str]:
    """'inf into w' for the first parameter holding nan or inf, or None."""
    for p in params:
        d = p.data
        if (d - d != 0.0) if isinstance(p, Value) else not np.isfinite(d).all():
            return f"inf or nan into {_param_name(model, p)}"
    return None


def _nonfinite_grad(model: Any, params: List[Any]) -> Optional[str]:
    """Which parameter's gradient holds nan or inf (its name and value), or None."""
    for i, p in enumerate(params):
        g = p.grad
        if isinstance(p, Value):
            bad = g - g != 0.0  # 0.0 for every finite float; nan for nan and +-inf: one cheap test
        else:
            bad = g is not None and not np.isfinite(g).all()
        if bad:
            named = getattr(model, "named_parameters", None)
            name = named()[i][0] if callable(named) else f"parameters()[{i}]"
            return f"d loss / d {name} is {g}" if isinstance(p, Value) else f"d loss / d {name} holds nan or inf"
    return None


def outputs_array(pred: Any, engine: str) -> np.ndarray:
    """``forward_batch``'s outputs as a new float64 array, (N, nout) (or (N,) for a scalar
    model's single Values): what metrics and pictures read, never graph nodes.

    >>> from autograd_lite import Value
    >>> outputs_array([[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]], "value")
    array([[1., 2.],
           [3., 4.]])
    """
    if engine == "tensor":
        return np.array(pred.data, dtype=np.float64)  # a copy: a metric may change it freely
    return np.array([[v.data for v in row] if isinstance(row, (list, tuple)) else row.data for row in pred])


def _metric_value(name: str, fn: Metric, pred: np.ndarray, y: np.ndarray) -> float:
    value = fn(pred, y)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"fit: metric {name!r} must return a number, got {type(value).__name__} {_show(value)}") from None


def _read_lr(optimizer: Any) -> float:
    lr = getattr(optimizer, "lr", math.nan)  # a home-made optimizer may have none: nan in the record
    try:
        return float(lr)
    except (TypeError, ValueError):
        return math.nan


def _snapshot(model: Any) -> Tuple[List[str], List[Tuple[int, ...]], np.ndarray]:
    """(names, shapes, flat float64 copy of all parameters), in state-dict order."""
    if callable(getattr(model, "state_dict", None)):
        state = model.state_dict()
        names, arrays = list(state), [np.asarray(a, dtype=np.float64) for a in state.values()]
    else:  # a duck-typed model: its parameters, by position
        params = model.parameters()
        names = [f"p{i}" for i in range(len(params))]
        arrays = [np.array(p.data, dtype=np.float64) for p in params]
    vector = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    return names, [a.shape for a in arrays], vector


def _set_mode(model: Any, training: bool) -> None:
    train = getattr(model, "train", None)
    if callable(train):
        train(training)


# ---------------------------------------------------------------------- helpers: output


def _isatty(file: Any) -> bool:
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _print(line: str, file: TextIO, bar: Any) -> None:
    if bar is not None:
        tqdm.write(line, file=file)  # clears the bar, prints, redraws it below
    else:
        print(line, file=file)


def _num(x: float) -> str:
    """A number in 8 characters: 0.123456, or 1.23e+05 outside [1e-4, 10)."""
    if not math.isfinite(x):
        return f"{x:>8}"  # nan, inf, -inf
    s = f"{x:.6f}"
    if (x != 0 and abs(x) < 1e-4) or len(s.lstrip("-")) > 8:
        s = f"{x:.2e}"
    return s


def _log_line(h: History, epoch: int, epochs: int, step: int, total_steps: Optional[int]) -> str:
    step_width = len(str(total_steps)) if total_steps is not None else 6
    parts = [f"epoch {epoch:>{len(str(epochs))}}/{epochs}", f"step {step:>{step_width}}", f"loss {_num(h.epoch_loss[-1])}"]
    parts += [f"{name} {_num(series[-1])}" for name, series in h.metrics.items()]
    if h.val_loss:
        parts.append(f"val_loss {_num(h.val_loss[-1])}")
    parts += [f"val_{name} {_num(series[-1])}" for name, series in h.val_metrics.items()]
    parts.append(f"lr {_num(h.lr[-1])}")
    parts.append(f"{h.elapsed:.1f}s")
    return "  ".join(parts)


def _stop_report(problem: Tuple[str, str, bool], epoch: int, step: int, lr: float) -> Tuple[str, str]:
    """``(history.stopped, the printed message)`` for a step that stopped fit: built here only.

    ``problem`` is ``(kind, why, undone)`` from ``_train_step``: kind "loss", "gradient"
    or "update"; ``undone`` False when another optimizer already changed the model.
    """
    kind, why, undone = problem
    stopped = f"non-finite {kind} at epoch {epoch} step {step}"
    smaller = f" (it is {lr:g}: try {lr / 10:g})" if math.isfinite(lr) else ""
    data = " or the targets hold nan/inf" if kind != "update" else ""
    model = (
        f"Nothing was updated in this step: the model holds the parameters after step {step - 1}, "
        f"and the history the {step - 1} steps before it."
        if undone else
        f"The optimizer ({kind} not checked before it was applied) has already changed the model, which "
        f"now holds inf or nan; the history holds the {step - 1} steps before it. nn's optimizers "
        f"check every update first."
    )
    # The loss or a gradient went non-finite inside the graph: anomaly mode finds the op.
    # (An update that overflows happens in the optimizer, outside any graph: no hint there.)
    where = (
        f" To find the op where the numbers first became inf or nan, and the line of your code "
        f"that made it, run this step again inside `with autograd_lite.detect_anomaly():`"
        f"{' (the model still holds the parameters it started from)' if undone else ''}: "
        f"loss_fn(model(X), y).backward() on this step's batch raises at that op."
        if kind != "update" else ""
    )
    message = (
        f"fit: stopped at epoch {epoch}, step {step}: {why}, so training diverged{data}. {model} "
        f"Likely fixes: lower the learning rate{smaller}; check the inputs and targets for nan, inf "
        f"or huge values; standardize the data (zero mean, unit variance per column).{where}"
    )
    return stopped, message


def _name(cb: Callable[..., Any]) -> str:
    return getattr(cb, "__name__", None) or repr(cb)
