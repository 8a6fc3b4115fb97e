"""Learning-rate schedules: change ``optimizer.lr`` as training goes on.

A schedule reads the optimizer's learning rate when it is made (the *base* lr), sets
the lr for epoch 0, and each ``step()`` moves to the next epoch (or iteration: it
counts whatever you call it for) and writes that epoch's lr into the optimizer. The
PyTorch pattern::

    opt = SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)   # uses opt.lr
        sched.step()

The lr at epoch k (``base`` is the lr the optimizer had when the schedule was made):

    StepLR             base * gamma ** (k // step_size)
    ExponentialLR      base * gamma ** k
    LinearLR           base * (start + (end - start) * min(k, total_iters) / total_iters)
    CosineAnnealingLR  eta_min + (base - eta_min) * (1 + cos(pi k / T_max)) / 2

NOTE: these are PyTorch's closed forms. ``torch.optim.lr_scheduler`` computes most of
them recursively from the previous lr, which gives the same numbers up to rounding
(about 1e-16 relative per step); the closed form is what the formula on the slide says,
and it does not drift. Like PyTorch, writing ``opt.lr`` yourself is overwritten by the
next ``step()``.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Dict, List, Mapping, Tuple

from .checks import show
from .optim import Optimizer, _check_number, _plain

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "LinearLR", "CosineAnnealingLR"]


class LRScheduler:
    """Base class: the epoch counter, ``step()``, ``get_last_lr()`` and the state dict.

    Subclasses define ``lr_at(epoch)`` (the closed form) and their settings.
    """

    #: Settings saved by ``state_dict`` (besides ``last_epoch`` and ``base_lr``).
    _settings: Tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an optimizer from nn.optim (SGD, Adam, ...), "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        #: The optimizer's lr when the schedule was made; every lr is computed from it.
        self.base_lr: float = optimizer.lr
        #: Epochs done: 0 after construction, +1 per ``step()``.
        self.last_epoch = 0
        self._last_lr = 0.0

    def _start(self) -> None:
        # Called at the end of each subclass's __init__, once its settings exist: sets the
        # lr of epoch 0 (the base lr, or base * start_factor for LinearLR), as PyTorch.
        self._set_lr()

    def lr_at(self, epoch: int) -> float:
        """The learning rate of epoch ``epoch`` (the closed form)."""
        raise NotImplementedError(f"{type(self).__name__}.lr_at is not defined")

    def _set_lr(self) -> None:
        self._last_lr = self._checked_lr(self.last_epoch, f"{type(self).__name__}")
        self.optimizer.lr = self._last_lr

    def _checked_lr(self, epoch: int, where: str) -> float:
        """``lr_at(epoch)``, or an OverflowError if it is beyond float64 (a gamma > 1 grows
        the lr without bound: 2.0 ** 1025 does not fit)."""
        try:
            lr = float(self.lr_at(epoch))
        except OverflowError:
            lr = math.inf
        if not math.isfinite(lr):
            gamma = getattr(self, "gamma", 0.0)  # the schedules that multiply (StepLR, ExponentialLR) have one
            grow = f"; gamma {gamma:g} > 1 multiplies it every step" if gamma > 1.0 else ""
            raise OverflowError(
                f"{where}: the learning rate of epoch {epoch} is beyond float64 (base_lr "
                f"{self.base_lr:g}{grow}); nothing was changed"
            )
        return lr

    def step(self) -> None:
        """Advance one epoch (or iteration) and set the optimizer's lr for it.

        The new lr is computed and checked first: if it would overflow float64, an
        OverflowError leaves ``last_epoch`` and the optimizer's lr as they were.
        """
        lr = self._checked_lr(self.last_epoch + 1, f"{type(self).__name__}.step")
        self.last_epoch += 1
        self._last_lr = lr
        self.optimizer.lr = lr

    def get_last_lr(self) -> List[float]:
        """The lr set by the last ``step()`` (or construction), as a one-element list like PyTorch's."""
        return [self._last_lr]

    def state_dict(self) -> Dict[str, Any]:
        """``last_epoch``, ``base_lr`` and the settings: plain numbers (``np.savez``-able)."""
        out: Dict[str, Any] = {"last_epoch": self.last_epoch, "base_lr": self.base_lr}
        for name in self._settings:
            out[name] = getattr(self, name)
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()`` and set the optimizer's lr to the restored epoch's lr.

        Checked first: a missing or unknown key or a bad value raises, changing nothing.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}: expected a dict (from state_dict()), got {type(state).__name__}")
        state = {k: _plain(v) for k, v in state.items()}
        expected = ("last_epoch", "base_lr") + self._settings
        missing = [k for k in expected if k not in state]
        extra = [k for k in state if k not in expected]
        if missing or extra:
            raise ValueError(
                f"{where}: missing keys {missing}, unexpected keys {extra}; pass the dict from "
                f"{type(self).__name__}.state_dict() (another schedule type has other keys)"
            )
        epoch = state["last_epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError(f"{where}: last_epoch must be an integer >= 0, got {show(epoch)}")
        base = _check_number(where, "base_lr", state["base_lr"], lo=0.0)
        settings = self._check_settings({name: state[name] for name in self._settings})
        # The restored epoch's lr, computed on a copy holding the new settings: an lr
        # beyond float64 raises here, before anything changes.
        trial = copy.copy(self)
        trial.last_epoch, trial.base_lr = int(epoch), base
        for name, value in settings.items():
            setattr(trial, name, value)
        lr = trial._checked_lr(trial.last_epoch, where)
        # Everything checked: commit.
        self.last_epoch, self.base_lr = int(epoch), base
        for name, value in settings.items():
            setattr(self, name, value)
        self._last_lr = lr
        self.optimizer.lr = lr

    def _check_settings(self, s: Mapping[str, Any]) -> Dict[str, Any]:
        """Validated settings (raises on a bad one); used by __init__ and load_state_dict."""
        return dict(s)

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._settings)
        return f"{type(self).__name__}({settings}; base_lr={self.base_lr!r}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: ``base * gamma ** (k // step_size)``."""

    _settings = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        s = self._check_settings({"step_size": step_size, "gamma": gamma})
        self.step_size: int = s["step_size"]
        self.gamma: float = s["gamma"]
        self._start()

    def _check_settings(self, s: Mapping[str, Any]) -> Dict[str, Any]:
        return {"step_size": _check_count("StepLR", "step_size", s["step_size"]),
                "gamma": _check_gamma("StepLR", s["gamma"])}

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``base * gamma ** k``."""

    _settings = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma: float = self._check_settings({"gamma": gamma})["gamma"]
        self._start()

    def _check_settings(self, s: Mapping[str, Any]) -> Dict[str, Any]:
        return {"gamma": _check_gamma("ExponentialLR", s["gamma"])}

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class LinearLR(LRScheduler):
    """Scale the lr linearly from ``start_factor * base`` to ``end_factor * base`` over ``total_iters`` steps.

    ``lr_k = base * (start + (end - start) * min(k, total_iters) / total_iters)``; after
    ``total_iters`` steps it stays at ``end_factor * base``. Factors are in [0, 1], as in
    PyTorch (``start_factor`` > 0): it decays (start > end) or warms up (start < end).

    micrograd's demo uses ``learning_rate = 1.0 - 0.9*k/100`` at step k; this gives
    exactly those numbers (bit for bit)::

        opt = SGD(model.parameters(), lr=1.0)
        sched = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
        for k in range(100):
            ...                # forward, zero_grad, backward
            opt.step()         # uses opt.lr == 1.0 - 0.9*k/100
            sched.step()

    ``end_factor`` and ``total_iters`` have no defaults (PyTorch's are 1.0 and 5, a
    warm-up): say which line you want.
    """

    _settings = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0, *, end_factor: float, total_iters: int) -> None:
        super().__init__(optimizer)
        s = self._check_settings({"start_factor": start_factor, "end_factor": end_factor, "total_iters": total_iters})
        self.start_factor: float = s["start_factor"]
        self.end_factor: float = s["end_factor"]
        self.total_iters: int = s["total_iters"]
        self._start()

    def _check_settings(self, s: Mapping[str, Any]) -> Dict[str, Any]:
        w = "LinearLR"
        start = _check_number(w, "start_factor", s["start_factor"], lo=0.0, hi=1.0)
        if start == 0.0:
            raise ValueError(f"{w}: invalid start_factor 0.0; it must be in (0, 1] (the first lr would be 0)")
        return {
            "start_factor": start,
            "end_factor": _check_number(w, "end_factor", s["end_factor"], lo=0.0, hi=1.0),
            "total_iters": _check_count(w, "total_iters", s["total_iters"]),
        }

    def lr_at(self, epoch: int) -> float:
        # Evaluated left to right: ((end - start) * k) / T, as micrograd's 0.9*k/100.
        k = min(epoch, self.total_iters)
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * k / self.total_iters)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base`` down to ``eta_min`` over ``T_max`` epochs.

    ``lr_k = eta_min + (base - eta_min) * (1 + cos(pi k / T_max)) / 2``. Past ``T_max``
    the cosine goes on (back up to ``base`` at ``2 T_max``), as in PyTorch.
    """

    _settings = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        s = self._check_settings({"T_max": T_max, "eta_min": eta_min})
        self.T_max: int = s["T_max"]
        self.eta_min: float = s["eta_min"]
        self._start()

    def _check_settings(self, s: Mapping[str, Any]) -> Dict[str, Any]:
        return {"T_max": _check_count("CosineAnnealingLR", "T_max", s["T_max"]),
                "eta_min": _check_number("CosineAnnealingLR", "eta_min", s["eta_min"], lo=0.0)}

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0


def _check_count(where: str, name: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{where}: {name} must be a whole number of steps (an int), got {type(n).__name__} {show(n)}")
    count = int(n)  # exact for any Integral (an int, a numpy integer)
    if count < 1 or count > 2**53:  # (beyond 2**53, k / n is no longer computed exactly: no schedule needs it)
        raise ValueError(f"{where}: invalid {name} {show(n)}; it must be >= 1 and at most 2**53")
    return count


def _check_gamma(where: str, gamma: Any) -> float:
    g = _check_number(where, "gamma", gamma, lo=0.0)
    if g == 0.0:
        raise ValueError(f"{where}: invalid gamma 0.0; it must be > 0 (the lr is multiplied by it)")
    return g
