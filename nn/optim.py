"""Optimizers: turn the gradients in ``p.grad`` into updates of the parameters.

After ``loss.backward()`` every parameter ``p`` holds ``dL/dp`` in ``p.grad``. An
optimizer's ``step()`` moves every parameter against its gradient, and ``zero_grad()``
clears the gradients for the next ``backward()``, as in PyTorch::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        opt.zero_grad()
        loss = loss_fn(model, X, y)
        loss.backward()
        opt.step()

The update rules (PyTorch's, step for step; g = p.grad, t = this parameter's step count,
every operation elementwise):

    SGD      g += wd p;  b = mu b + (1 - dampening) g  (b = g at t = 1);
             p -= lr (g + mu b)  with nesterov,  p -= lr b  without  (p -= lr g if mu = 0)
    Adam     g += wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
             p -= lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
             (amsgrad: v_hat uses the running maximum of v instead of v)
    AdamW    p -= lr wd p  (decoupled weight decay), then Adam without the g += wd p
    RMSProp  g += wd p;  v = alpha v + (1 - alpha) g^2;  centered: a = alpha a + (1 - alpha) g,
             v~ = v - a^2;  d = g / (sqrt(v~) + eps);  momentum: b = mu b + d, p -= lr b;
             else p -= lr d

One rule, two engines. Each optimizer writes its rule once, as ``_update(x, g, state)``
on numpy arrays: ``x`` the parameter's numbers (changed in place), ``g`` its gradient,
``state`` its buffers. A ``Tensor`` parameter is updated in place through its own
``data`` array (so ``Tensor.from_numpy`` sharing stays true, and float32 stays float32).
The ``Value`` parameters are gathered into ONE float64 vector per step, updated as one
array and written back: 300 scalar parameters cost one numpy update, not 300 Python
ones. (Plain SGD on Values skips even that: it is the loop ``p.data -= lr * p.grad``.)

Updates change ``.data`` directly, never through operations, so they record no graph.

Rules shared with PyTorch: a ``Tensor`` whose grad is ``None`` is skipped (no update,
its state and step count unchanged). A ``Value``'s grad is a number, never None, so
``0.0`` is a real zero gradient: the Value still gets its weight decay and momentum.
A non-finite gradient is an error naming the parameter, raised before anything changes.

State: ``state_dict()`` is a flat dict of numbers and numpy arrays, so
``np.savez(f, **opt.state_dict())`` saves it and ``opt.load_state_dict(dict(np.load(f)))``
restores it (no pickle). Keys: the hyperparameters by name (``lr``, ``momentum``, ...),
``step_count`` (calls of ``step()``), ``num_params``, and each parameter's buffers as
``state.<index>.<name>`` with PyTorch's names and indices (``state.0.exp_avg``, ...).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from autograd_lite import Tensor, Value

from .checks import flag, show

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSProp", "RMSprop", "clip_grad_norm", "NonFiniteError"]

Parameter = Union[Value, Tensor]
# One array's buffers: {"step": int, "exp_avg": ndarray, ...}; a parameter that has
# never been stepped has an empty state.
State = Dict[str, Any]


class NonFiniteError(ValueError):
    """A gradient or an update that is nan or inf: the step was refused, nothing changed.

    ``kind`` is "gradient" or "update"; ``parameter`` the index in the optimizer's list;
    ``detail`` (an update's) what would go non-finite and why ("its buffer 'exp_avg_sq'
    (largest |grad| 1e+200)"). ``nn.fit`` catches it to stop a diverging run with its message.
    """

    def __init__(self, message: str, kind: str, parameter: int, detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.parameter = parameter
        self.detail = detail


class Optimizer:
    """Base class: holds the parameters, checks gradients, runs ``_update`` on each.

    ``params`` is any iterable of parameters, ``Value``s and/or ``Tensor``s (typically
    ``model.parameters()``). ``lr`` may be changed at any time (schedules do).
    Subclasses define ``_update`` and their hyperparameters.
    """

    #: Hyperparameters saved by ``state_dict`` (``lr`` first).
    _hyper_names: Tuple[str, ...] = ("lr",)
    #: Buffers that can overflow while the parameter stays finite, checked by every
    #: ``step()``: running sums of g^2, momentum (mu may exceed 1). Running means of g are
    #: bounded by the largest |g|, and a nan or inf g shows in the parameter itself.
    _growing: Tuple[str, ...] = ()

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        where = type(self).__name__
        # A tuple: the split into Values and Tensors below is made once, here.
        self.params: Tuple[Parameter, ...] = tuple(_collect_params(where, params))
        self._lr = _check_lr(where, lr)
        #: How many times ``step()`` has run.
        self.step_count = 0
        # The Values are updated together as one vector with one state (see the module
        # docstring); each Tensor has its own state, keyed by its index in ``params``.
        self._value_index = [i for i, p in enumerate(self.params) if isinstance(p, Value)]
        self._values: List[Value] = [p for p in self.params if isinstance(p, Value)]  # in _value_index's order
        self._value_state: State = {}
        self._tensors: List[Tuple[int, Tensor]] = [(i, p) for i, p in enumerate(self.params) if isinstance(p, Tensor)]
        self._tensor_state: Dict[int, State] = {}

    # ------------------------------------------------------------------ lr

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step()`` (a float >= 0; schedules set it)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check_lr(f"{type(self).__name__}.lr", value)

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Update every parameter once from its current gradient (a Tensor with grad None is skipped).

        Validated first, then written: every gradient is checked (a number or an array of
        the parameter's shape), every update is computed on scratch copies and checked
        (finite parameters and buffers: ``lr * grad`` can overflow, and so can Adam's
        running g^2; a nan or inf gradient is caught here too), and only then are the
        parameters and buffers written. An error (``NonFiniteError`` names the parameter)
        leaves the parameters, the buffers and ``step_count`` exactly as they were.
        """
        self._check_value_grads()
        tensor_grads = self._checked_tensor_grads()
        # An overflow is not a warning here but an error, raised below by parameter name.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            values = self._new_values() if self._values else None
            tensors = [(i, p, *self._new_tensor(p.data, g, self._tensor_state.get(i, {}))) for i, p, g in tensor_grads]
            grow = self._growing
            if values is not None and not _all_finite(values[0], values[1], grow):
                self._raise_non_finite(values[0], values[1], self._value_index, self._values)
            for i, p, x, state in tensors:
                if not _all_finite(x, state, grow):
                    self._raise_non_finite(x, state, [i], [p])
        # Everything computed and checked: commit.
        if values is not None:
            for v, xi in zip(self._values, values[0]):
                v.data = xi
            self._value_state = values[1]
        for i, p, x, state in tensors:
            p.data[...] = x  # in place: views (from_numpy) and the dtype are kept
            self._tensor_state[i] = state
        self.step_count += 1

    def _new_values(self) -> Tuple[Any, State]:
        """The Values' next data (a sequence of floats) and their next state, computed
        without changing anything: one numpy update of all of them as a vector."""
        n = len(self._values)
        x = np.fromiter((p.data for p in self._values), np.float64, count=n)
        g = np.fromiter((p.grad for p in self._values), np.float64, count=n)
        state = _copy_state(self._value_state)
        self._update(x, g, state)
        return x.tolist(), state  # tolist(): data stays a Python float

    def _new_tensor(self, x: np.ndarray, g: np.ndarray, state: State) -> Tuple[np.ndarray, State]:
        """A Tensor's next data and state, computed on copies (``x`` and ``state`` unchanged)."""
        x, state = x.copy(), _copy_state(state)
        self._update(x, g, state)
        return x, state

    def _raise_non_finite(self, x: Any, state: State, index: List[int], params: Sequence[Any]) -> None:
        """The NonFiniteError for a step whose update (``x``, ``state``) is not finite.

        ``x`` is the new data of ``params`` (one Tensor, or all the Values as one vector),
        ``index`` their positions in the optimizer's list. A nan or inf gradient (which
        always makes the update non-finite) is named as such; otherwise the update
        itself overflowed.
        """
        where = f"{type(self).__name__}.step"
        for i, p in zip(index, params):  # a non-finite gradient is the clearer message
            if isinstance(p, Value):
                _check_value_grad(where, i, p)
            else:
                _checked_tensor_grad(where, i, p)
        arr = np.asarray(x, dtype=np.float64)
        buffers = [(name, b) for name, b in state.items() if isinstance(b, np.ndarray)]
        if not np.isfinite(arr).all():
            k = int(np.flatnonzero(~np.isfinite(arr))[0])
            into, why = "it", f"the step overflows float64: lr {self._lr:g}, "
        else:  # the parameter stays finite, a running average does not (g^2 overflowed, say)
            name, buf = next((n, b) for n, b in buffers if not np.isfinite(b).all())
            k = int(np.flatnonzero(~np.isfinite(buf))[0])
            into, why = f"its buffer {name!r}", ""
        which = k if len(params) > 1 else 0  # the Values: element k is parameter k
        p, i = params[which], index[which]
        grad = np.abs(np.asarray(p.grad, dtype=np.float64))
        detail = f"{into} ({why}largest |grad| {float(grad.max()) if grad.size else 0.0:.3g})"
        raise NonFiniteError(
            f"{where}: updating {_describe(i, p)} would put inf or nan into {detail}; nothing was updated. "
            f"The loss has probably diverged: lower the learning rate, or clip with clip_grad_norm",
            kind="update", parameter=i, detail=detail,
        )

    def _update(self, x: np.ndarray, g: np.ndarray, state: State) -> None:
        """Change ``x`` in place by one step of the rule; ``g`` must not be changed (it may be ``p.grad``)."""
        raise NotImplementedError(f"{type(self).__name__}._update is not defined")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every gradient before the next ``backward()``.

        ``Value``: ``grad = 0.0`` (a Value's grad is always a number). ``Tensor``:
        ``grad = None``; with ``set_to_none=False`` a gradient that exists becomes zeros,
        and one that is ``None`` stays ``None`` (as PyTorch: there is nothing to zero).
        """
        set_to_none = flag(set_to_none, "set_to_none", f"{type(self).__name__}.zero_grad")
        for p in self._values:
            p.grad = 0.0
        for _, t in self._tensors:
            if set_to_none:
                t.grad = None
            elif t.grad is not None:
                # A new array, not t.grad[...] = 0: the old one may be kept for a plot.
                t.grad = np.zeros_like(t.data)

    # ------------------------------------------------------------------ checks

    def _check_value_grads(self) -> None:
        for k, p in enumerate(self._values):
            g = p.grad
            # The usual case, checked cheaply: a float (a nan or inf one makes the update
            # non-finite, which step() checks anyway, naming the gradient).
            if type(g) is not float:
                _check_value_grad(f"{type(self).__name__}.step", self._value_index[k], p)

    def _checked_tensor_grads(self) -> List[Tuple[int, Tensor, np.ndarray]]:
        out = []
        for i, p in self._tensors:
            g = p.grad
            if g is None:
                continue
            if not p.data.flags.writeable:
                _raise_read_only(f"{type(self).__name__}.step", i, p)
            # the usual case, checked cheaply: an array of the data's shape and dtype (a nan
            # or inf in it makes the update non-finite, which step() checks anyway)
            if type(g) is np.ndarray and g.shape == p.data.shape and g.dtype == p.data.dtype:
                out.append((i, p, g))
            else:  # anything else gets the full check and its precise error
                out.append((i, p, _checked_tensor_grad(f"{type(self).__name__}.step", i, p)))
        return out

    # ------------------------------------------------------------------ state

    def _check_hyper(self, h: Mapping[str, Any]) -> Dict[str, Any]:
        """Validated, normalised hyperparameters from ``h`` (raises on any bad one)."""
        return {"lr": _check_lr(type(self).__name__, h["lr"])}

    def _apply_hyper(self, h: Mapping[str, Any]) -> None:
        for name, value in h.items():
            setattr(self, "_lr" if name == "lr" else name, value)

    def _buffer_names(self, h: Mapping[str, Any]) -> Tuple[str, ...]:
        """The buffers a stepped parameter holds under hyperparameters ``h``."""
        return ()

    def state_dict(self) -> Dict[str, Any]:
        """Hyperparameters, step count and per-parameter buffers: numbers and array copies.

        Flat, so ``np.savez(f, **opt.state_dict())`` writes it; buffer keys are
        ``state.<parameter index>.<buffer name>``, PyTorch's indices and names.
        """
        out: Dict[str, Any] = {}
        for name in self._hyper_names:
            value = getattr(self, name)
            out[name] = np.array(value, dtype=np.float64) if isinstance(value, tuple) else value
        out["step_count"] = self.step_count
        out["num_params"] = len(self.params)
        # The Values' vectors are split back into one number per parameter.
        for name, buf in self._value_state.items():
            per_value = [buf] * len(self._values) if name == "step" else buf.tolist()
            for i, x in zip(self._value_index, per_value):
                out[f"state.{i}.{name}"] = x
        for i, state in self._tensor_state.items():
            for name, buf in state.items():
                out[f"state.{i}.{name}"] = buf if name == "step" else buf.copy()
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore hyperparameters, step count and buffers saved by ``state_dict()``.

        Everything is checked before anything changes: a wrong parameter count, a
        missing or unknown key, a buffer of the wrong shape, a non-finite number or a
        bad hyperparameter raises a ``ValueError`` (``TypeError`` for a wrong type)
        naming the key, and the optimizer is left as it was.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}: expected a dict (from state_dict()), got {type(state).__name__}")
        state = {k: _plain(v) for k, v in state.items()}
        expected = set(self._hyper_names) | {"step_count", "num_params"}
        missing = sorted(expected - set(state))
        if missing:
            raise ValueError(
                f"{where}: missing keys {missing}; pass the dict from {type(self).__name__}.state_dict() "
                f"(a state saved by another optimizer type has other keys)"
            )
        n = state["num_params"]
        if not _is_int(n) or n != len(self.params):
            raise ValueError(
                f"{where}: the state is for {show(n)} parameters, this optimizer has {len(self.params)}; "
                f"build the optimizer over the same parameter list that was saved"
            )
        steps = state["step_count"]
        if not _is_int(steps) or steps < 0:
            raise ValueError(f"{where}: step_count must be an integer >= 0, got {show(steps)}")
        hyper = self._check_hyper({name: state[name] for name in self._hyper_names})
        allowed = self._buffer_names(hyper)

        # Per-parameter buffers: "state.<i>.<name>".
        per_param: Dict[int, State] = {}
        for key, value in state.items():
            if key in expected:
                continue
            parts = key.split(".")
            if len(parts) != 3 or parts[0] != "state" or not parts[1].isdigit():
                raise ValueError(
                    f"{where}: unknown key {key!r}; expected hyperparameters {sorted(expected)} "
                    f"or 'state.<index>.<buffer>'"
                )
            i, name = int(parts[1]), parts[2]
            if i >= len(self.params):
                raise ValueError(f"{where}: key {key!r} names parameter {i}, but there are only {len(self.params)} parameters")
            if name not in allowed:
                raise ValueError(
                    f"{where}: key {key!r}: unknown buffer {name!r}; with these settings "
                    f"{type(self).__name__} keeps {list(allowed) or 'no buffers'}"
                )
            per_param.setdefault(i, {})[name] = _checked_buffer(where, key, i, self.params[i], name, value)
        for i, bufs in per_param.items():
            if set(bufs) != set(allowed):
                raise ValueError(
                    f"{where}: parameter {i} has buffers {sorted(bufs)}, expected all of {sorted(allowed)} "
                    f"(or none, for a parameter never stepped)"
                )

        # The Values share one state: all of them have it, or none, with one step count.
        value_state: State = {}
        with_state = [i for i in self._value_index if i in per_param]
        if with_state:
            if len(with_state) != len(self._value_index):
                without = [i for i in self._value_index if i not in per_param][:5]
                raise ValueError(
                    f"{where}: some Value parameters have buffers and others (e.g. {without}) do not; "
                    f"Values are stepped together, so all of them or none must have state"
                )
            for name in allowed:
                column = [per_param[i][name] for i in self._value_index]
                if name == "step":
                    if len(set(column)) != 1:
                        raise ValueError(
                            f"{where}: the Value parameters have different step counts {sorted(set(column))}; "
                            f"they are stepped together"
                        )
                    value_state[name] = column[0]
                else:
                    value_state[name] = np.array(column, dtype=np.float64)
        tensor_state = {i: per_param[i] for i, _ in self._tensors if i in per_param}

        # Everything checked: commit.
        self._apply_hyper(hyper)
        self.step_count = int(steps)
        self._value_state = value_state
        self._tensor_state = tensor_state

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper_names)
        return f"{type(self).__name__}({settings}; {len(self.params)} parameters)"


# ---------------------------------------------------------------------- SGD


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and L2 weight decay.

    ``p -= lr * g``; with momentum ``b = mu b + (1 - dampening) g`` (``b = g`` on the first
    step) and ``p -= lr b`` (Nesterov: ``p -= lr (g + mu b)``); weight decay adds
    ``wd p`` to ``g`` first. PyTorch's formulation, step for step.
    """

    _hyper_names = ("lr", "momentum", "dampening", "nesterov", "weight_decay")
    _growing = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = self.dampening = self.weight_decay = 0.0
        self.nesterov = False
        self._apply_hyper(self._check_hyper(dict(
            lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay
        )))

    def _check_hyper(self, h: Mapping[str, Any]) -> Dict[str, Any]:
        w = "SGD"
        out = dict(
            lr=_check_lr(w, h["lr"]),
            momentum=_check_number(w, "momentum", h["momentum"], lo=0.0),
            dampening=_check_number(w, "dampening", h["dampening"], lo=0.0, hi=1.0),
            nesterov=_check_bool(w, "nesterov", h["nesterov"]),
            weight_decay=_check_number(w, "weight_decay", h["weight_decay"], lo=0.0),
        )
        if out["nesterov"] and (out["momentum"] == 0.0 or out["dampening"] != 0.0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0 (got momentum={out['momentum']!r}, "
                f"dampening={out['dampening']!r}); set momentum=0.9, say, or nesterov=False"
            )
        return out

    def _buffer_names(self, h: Mapping[str, Any]) -> Tuple[str, ...]:
        return ("momentum_buffer",) if h["momentum"] != 0.0 else ()

    def _new_values(self) -> Tuple[Any, State]:
        if self.momentum != 0.0:
            return super()._new_values()
        # Plain SGD on Values, the lecture's inner loop: no numpy round trip for a few
        # hundred numbers. The same arithmetic, in the same order, as _update.
        lr, wd = self._lr, self.weight_decay
        if wd == 0.0:
            return [p.data - lr * p.grad for p in self._values], {}
        return [p.data - lr * (p.grad + wd * p.data) for p in self._values], {}

    def _new_tensor(self, x: np.ndarray, g: np.ndarray, state: State) -> Tuple[np.ndarray, State]:
        if self.momentum != 0.0:
            return super()._new_tensor(x, g, state)
        # Plain SGD: the new data is a new array anyway (no copy of x needed). The same
        # arithmetic as _update.
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * x
        step = self._lr * g  # a new array (for 0-d data a numpy scalar), reused for x - lr g
        if type(step) is np.ndarray and step.dtype == x.dtype:
            return np.subtract(x, step, out=step), state
        return np.asarray(x - step, dtype=x.dtype), state

    def _update(self, x: np.ndarray, g: np.ndarray, state: State) -> None:
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * x  # the gradient of the L2 penalty wd/2 |p|^2; a new array
        if self.momentum != 0.0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=x.dtype)  # first step: b = g
            else:
                buf *= self.momentum
                buf += (1.0 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
        x -= self._lr * g


# ---------------------------------------------------------------------- Adam, AdamW


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and of its square.

    ``m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr m_hat / (sqrt(v_hat) + eps)``
    with ``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)`` (bias corrections, t =
    this parameter's step count). ``weight_decay`` adds ``wd p`` to ``g`` (L2, as
    ``torch.optim.Adam``); ``amsgrad`` divides by the running maximum of ``v`` instead.
    """

    _hyper_names = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    _growing = ("exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False  # AdamW: weight decay shrinks p directly instead of adding to g

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.betas: Tuple[float, float] = (0.9, 0.999)
        self.eps = self.weight_decay = 0.0
        self.amsgrad = False
        self._apply_hyper(self._check_hyper(dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )))

    def _check_hyper(self, h: Mapping[str, Any]) -> Dict[str, Any]:
        w = type(self).__name__
        betas = h["betas"]
        if isinstance(betas, np.ndarray):  # from a saved state dict
            betas = betas.tolist()
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"{w}: betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {show(betas)}")
        return dict(
            lr=_check_lr(w, h["lr"]),
            betas=(
                _check_number(w, "betas[0]", betas[0], lo=0.0, hi=1.0, hi_open=True),
                _check_number(w, "betas[1]", betas[1], lo=0.0, hi=1.0, hi_open=True),
            ),
            eps=_check_eps(w, h["eps"]),
            weight_decay=_check_number(w, "weight_decay", h["weight_decay"], lo=0.0),
            amsgrad=_check_bool(w, "amsgrad", h["amsgrad"]),
        )

    def _buffer_names(self, h: Mapping[str, Any]) -> Tuple[str, ...]:
        return ("step", "exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if h["amsgrad"] else ())

    def _update(self, x: np.ndarray, g: np.ndarray, state: State) -> None:
        b1, b2 = self.betas
        lr, wd = self._lr, self.weight_decay
        if wd != 0.0:
            if self._decoupled:
                x *= 1.0 - lr * wd  # AdamW: p -= lr wd p, apart from the gradient's statistics
            else:
                g = g + wd * x  # Adam: L2 penalty in the gradient (a new array: g may be p.grad)
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(x)
            state["exp_avg_sq"] = np.zeros_like(x)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(x)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1.0 - b1) * g  # m = b1 m + (1 - b1) g
        v *= b2
        v += (1.0 - b2) * g * g  # v = b2 v + (1 - b2) g^2
        if self.amsgrad:
            # The maximum of v rather than of v_hat: the same thing, since both are
            # divided by the same bias correction (PyTorch keeps it this way too).
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias1 = 1.0 - b1**t
        bias2 = 1.0 - b2**t
        denom = np.sqrt(v) / math.sqrt(bias2) + self.eps  # sqrt(v_hat) + eps
        x -= (lr / bias1) * (m / denom)  # lr m_hat / (sqrt(v_hat) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p -= lr wd p``, then the Adam step without ``wd`` in ``g``.

    (Loshchilov & Hutter; ``torch.optim.AdamW``.) The default ``weight_decay`` is 1e-2.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


# ---------------------------------------------------------------------- RMSProp


class RMSProp(Optimizer):
    """RMSProp: divide each step by a running root mean square of the gradient.

    ``v = alpha v + (1 - alpha) g^2;  p -= lr g / (sqrt(v) + eps)``. ``centered``
    subtracts the square of the running mean gradient ``a`` from ``v`` (a variance);
    ``momentum`` accumulates ``b = mu b + g / (sqrt(v) + eps)`` and steps ``p -= lr b``;
    ``weight_decay`` adds ``wd p`` to ``g``. As ``torch.optim.RMSprop``.
    """

    _hyper_names = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")
    _growing = ("square_avg", "momentum_buffer")

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = self.eps = self.weight_decay = self.momentum = 0.0
        self.centered = False
        self._apply_hyper(self._check_hyper(dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
        )))

    def _check_hyper(self, h: Mapping[str, Any]) -> Dict[str, Any]:
        w = "RMSProp"
        return dict(
            lr=_check_lr(w, h["lr"]),
            alpha=_check_number(w, "alpha", h["alpha"], lo=0.0, hi=1.0),
            eps=_check_eps(w, h["eps"]),
            weight_decay=_check_number(w, "weight_decay", h["weight_decay"], lo=0.0),
            momentum=_check_number(w, "momentum", h["momentum"], lo=0.0),
            centered=_check_bool(w, "centered", h["centered"]),
        )

    def _buffer_names(self, h: Mapping[str, Any]) -> Tuple[str, ...]:
        names: Tuple[str, ...] = ("step", "square_avg")
        if h["momentum"] > 0.0:
            names += ("momentum_buffer",)
        if h["centered"]:
            names += ("grad_avg",)
        return names

    def _update(self, x: np.ndarray, g: np.ndarray, state: State) -> None:
        alpha = self.alpha
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * x  # a new array: g may be p.grad
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(x)
            if self.momentum > 0.0:
                state["momentum_buffer"] = np.zeros_like(x)
            if self.centered:
                state["grad_avg"] = np.zeros_like(x)
        state["step"] += 1
        v = state["square_avg"]
        v *= alpha
        v += (1.0 - alpha) * g * g  # v = alpha v + (1 - alpha) g^2
        if self.centered:
            a = state["grad_avg"]
            a *= alpha
            a += (1.0 - alpha) * g  # a = alpha a + (1 - alpha) g
            # v - a^2 >= 0 in exact arithmetic (a variance); clamp the rounding below 0,
            # where PyTorch would produce nan.
            avg = np.sqrt(np.maximum(v - a * a, 0.0)) + self.eps
        else:
            avg = np.sqrt(v) + self.eps
        if self.momentum > 0.0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / avg  # b = mu b + g / (sqrt(v~) + eps)
            x -= self._lr * buf
        else:
            x -= self._lr * (g / avg)


#: PyTorch's spelling of the same class.
RMSprop = RMSProp


# ---------------------------------------------------------------------- clipping


def clip_grad_norm(
    params: Union[Parameter, Iterable[Parameter]], max_norm: float, norm_type: float = 2.0
) -> float:
    """Scale all gradients together so that their total norm is at most ``max_norm``.

    ``total = ||(||g_1||, ||g_2||, ...)||`` (the norm of all gradients as one vector);
    if ``total > max_norm`` every gradient is multiplied by ``max_norm / (total + 1e-6)``
    (PyTorch's ``clip_grad_norm_``). Returns ``total`` before clipping. Call it between
    ``backward()`` and ``step()``, against exploding gradients. Tensor grads of ``None``
    are skipped; ``norm_type`` may be any p > 0 or ``math.inf`` (the largest |g|).
    """
    where = "clip_grad_norm"
    plist = [params] if isinstance(params, (Value, Tensor)) else _as_list(where, params)
    max_norm = _check_number(where, "max_norm", max_norm, lo=0.0)
    try:
        q = float(norm_type) if not isinstance(norm_type, bool) and isinstance(norm_type, numbers.Real) else math.nan
    except OverflowError:  # 10**400: as large as inf, which is the max norm
        q = math.inf
    if not q > 0.0:
        raise ValueError(
            f"{where}: norm_type must be a number > 0 (2.0 for the Euclidean norm, math.inf for max |g|), "
            f"got {show(norm_type)}"
        )
    values: List[Value] = []
    tensors: List[Tensor] = []
    for i, p in enumerate(plist):
        if isinstance(p, Value):
            _check_value_grad(where, i, p)
            values.append(p)
        elif isinstance(p, Tensor):
            if p.grad is not None:
                _checked_tensor_grad(where, i, p)
                tensors.append(p)
        else:
            raise TypeError(f"{where}: parameter {i} is a {type(p).__name__}, not a Value or Tensor")
    # Norm of each parameter's gradient (the Values' together: the same total norm).
    norms = [_vector_norm(np.asarray(t.grad).ravel(), q) for t in tensors]
    if values:
        norms.append(_vector_norm(np.array([float(v.grad) for v in values]), q))
    total = _vector_norm(np.array(norms, dtype=np.float64), q) if norms else 0.0
    coef = max_norm / (total + 1e-6)
    if math.isinf(total):
        # The true norm is beyond float64 (exploding gradients, what clipping is for):
        # max_norm / inf would zero every gradient and lose the direction. The same
        # coefficient, computed in parts: total = m * rest with m the largest norm.
        m = max(norms)
        coef = (max_norm / m) / _vector_norm(np.array(norms, dtype=np.float64) / m, q)
    if coef < 1.0:
        for v in values:
            v.grad = float(v.grad) * coef
        for t in tensors:
            t.grad = t.grad * coef  # a new array, in the grad's dtype (Python float is weak)
    return total


def _vector_norm(x: np.ndarray, q: float) -> float:
    """The q-norm of ``x``, inf only when the norm itself is beyond float64.

    Squares (q-th powers) of large gradients overflow long before their norm does:
    |g| ~ 1e160 has g^2 = inf. Outside a safe range the vector is first divided by its
    largest |x| (the norm scales with it); inside, the plain formula, as PyTorch.
    """
    if x.size == 0:
        return 0.0
    a = np.abs(x)
    m = float(np.max(a))
    if q == math.inf or m == 0.0:
        return m
    bound = 10.0 ** min(100.0, 300.0 / q)  # m ** q stays well inside float64
    if not (1.0 / bound < m < bound):
        with np.errstate(over="ignore"):  # m * norm beyond float64 is inf: the answer
            return m * _vector_norm(x / m, q)
    if q == 2.0:
        return float(np.sqrt(np.dot(x, x)))
    with np.errstate(over="ignore", under="ignore"):  # (sum ** (1/q) for q < 1 may exceed float64)
        return float(np.sum(a**q) ** (1.0 / q))


# ---------------------------------------------------------------------- helpers


def _describe(i: int, p: Any) -> str:
    """'parameter 3 (label 'w1')' or 'parameter 3 (Tensor of shape (2, 3))', for errors."""
    label = getattr(p, "label", None)
    if label is not None:
        return f"parameter {i} (label {label!r})"
    if isinstance(p, Tensor):
        return f"parameter {i} (Tensor of shape {p.shape})"
    return f"parameter {i} ({type(p).__name__})"


def _as_list(where: str, params: Any) -> List[Any]:
    if callable(getattr(params, "parameters", None)):
        raise TypeError(f"{where}: got a {type(params).__name__} (a model?); pass model.parameters()")
    if isinstance(params, (str, bytes, Mapping, np.ndarray)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{where}: params must be an iterable of Value/Tensor parameters (e.g. model.parameters()), "
            f"got {type(params).__name__}"
        )
    return list(params)


def _collect_params(where: str, params: Any) -> List[Parameter]:
    """The parameter list, checked: non-empty, leaves that require grad, no duplicates."""
    if isinstance(params, (Value, Tensor)):
        # A Tensor is iterable (its rows), which would silently optimize copies.
        raise TypeError(f"{where}: params must be a list of parameters, got a single {type(params).__name__}; pass [p]")
    plist = _as_list(where, params)
    if not plist:
        raise ValueError(f"{where}: got an empty parameter list; pass the parameters to train (e.g. model.parameters())")
    seen: Dict[int, int] = {}
    for i, p in enumerate(plist):
        if not isinstance(p, (Value, Tensor)):
            hint = " (named_parameters() gives (name, param) pairs: use parameters())" if isinstance(p, tuple) else ""
            raise TypeError(f"{where}: parameter {i} is a {type(p).__name__} ({p!r:.60}), not a Value or Tensor{hint}")
        if p._prev:
            raise ValueError(
                f"{where}: {_describe(i, p)} is not a leaf: it was computed by op {p._op!r}, and writing "
                f"its data would not change what it was computed from; optimize the leaves instead"
            )
        if not p.requires_grad:
            raise ValueError(
                f"{where}: {_describe(i, p)} has requires_grad=False, so it never gets a gradient; "
                f"create it with requires_grad=True, or leave it out"
            )
        if isinstance(p, Tensor) and not p.data.flags.writeable:
            _raise_read_only(where, i, p)
        if id(p) in seen:
            raise ValueError(
                f"{where}: {_describe(i, p)} is the same object as parameter {seen[id(p)]}; "
                f"pass each parameter once (it would be updated twice per step)"
            )
        seen[id(p)] = i
    return plist


def _all_finite(x: Any, state: State, names: Tuple[str, ...]) -> bool:
    """True if ``x`` (an array, or a list of floats) and the buffers ``names`` of ``state`` are finite."""
    if isinstance(x, list):
        total = sum(x)  # finite only if every term is (or an overflow: look closer)
        if total - total != 0.0 and not all(v - v == 0.0 for v in x):
            return False
    elif not _finite_array(x):
        return False
    for name in names:
        buf = state.get(name)
        if buf is not None and not _finite_array(buf):
            return False
    return True


def _finite_array(a: Any) -> bool:
    """True if every element of the array ``a`` is finite: its sum of squares (one BLAS
    dot, the cheapest pass numpy has) is finite only if every element is; if that
    overflows (|a| > 1e154), the exact test decides."""
    return math.isfinite(np.vdot(a, a)) or bool(np.isfinite(a).all())


def _copy_state(state: State) -> State:
    """A copy of one state whose arrays an update may change in place."""
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}


def _raise_read_only(where: str, i: int, p: Tensor) -> None:
    done = "; nothing was updated" if where.endswith(".step") else ""
    raise ValueError(
        f"{where}: {_describe(i, p)} holds a read-only array (Tensor.from_numpy of a read-only "
        f"array?), which an update cannot change{done}. Make the parameter with "
        f"Tensor(array, requires_grad=True), which copies"
    )


def _check_value_grad(where: str, i: int, p: Value) -> None:
    """Raise unless the Value's grad is a finite real number."""
    g = p.grad
    if isinstance(g, bool) or not isinstance(g, numbers.Real):
        raise TypeError(f"{where}: {_describe(i, p)} has grad {show(g)}; a Value's grad must be a number (0.0 when cleared)")
    if not math.isfinite(g):
        raise NonFiniteError(
            f"{where}: {_describe(i, p)} has a non-finite gradient ({g}); nothing was updated. "
            f"The loss has probably diverged: lower the learning rate, or clip with clip_grad_norm",
            kind="gradient", parameter=i,
        )


def _checked_tensor_grad(where: str, i: int, p: Tensor) -> np.ndarray:
    """The Tensor's grad as an array of its data's dtype, after checking shape and finiteness."""
    g = p.grad
    if isinstance(g, numbers.Real) and not isinstance(g, bool):  # a number set by hand, for a 0-d tensor
        g = np.asarray(g, dtype=p.data.dtype)
    if not isinstance(g, np.ndarray):
        raise TypeError(f"{where}: {_describe(i, p)} has grad of type {type(g).__name__}; expected a numpy array or None")
    if g.shape != p.data.shape:
        raise ValueError(f"{where}: {_describe(i, p)} has a grad of shape {g.shape} for data of shape {p.data.shape}")
    if g.dtype.kind != "f":
        raise TypeError(f"{where}: {_describe(i, p)} has a grad of dtype {g.dtype}; expected floating point")
    if not np.isfinite(g).all():
        bad = int(g.size - np.isfinite(g).sum())
        raise NonFiniteError(
            f"{where}: {_describe(i, p)} has a non-finite gradient ({bad} of {g.size} elements are nan or inf); "
            f"nothing was updated. The loss has probably diverged: lower the learning rate, or clip with clip_grad_norm",
            kind="gradient", parameter=i,
        )
    return g if g.dtype == p.data.dtype else g.astype(p.data.dtype)


def _check_number(
    where: str, name: str, x: Any, lo: float, hi: Optional[float] = None, hi_open: bool = False
) -> float:
    """``x`` as a finite float in [lo, hi] (or [lo, hi) with ``hi_open``), else a clear error."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {type(x).__name__} {show(x)}")
    try:
        x = float(x)
    except OverflowError:
        raise ValueError(f"{where}: invalid {name} {show(x)}; it must be finite (it is beyond float64)") from None
    if not math.isfinite(x):
        raise ValueError(f"{where}: invalid {name} {x}; it must be finite")
    too_high = hi is not None and (x >= hi if hi_open else x > hi)
    if x < lo or too_high:
        if hi is None:
            span = f">= {lo}"
        else:
            span = f"in [{lo}, {hi})" if hi_open else f"in [{lo}, {hi}]"
        raise ValueError(f"{where}: invalid {name} {x!r}; it must be {span}")
    return x


def _check_eps(where: str, eps: Any) -> float:
    """eps > 0: it keeps m / (sqrt(v) + eps) finite where the gradient has been 0 (0 / 0 is nan)."""
    e = _check_number(where, "eps", eps, lo=0.0)
    if e == 0.0:
        raise ValueError(
            f"{where}: invalid eps 0.0; it must be > 0: it keeps the step finite where the gradient "
            f"is 0 (0 / (sqrt(0) + 0) is nan). 1e-8 is the usual value"
        )
    return e


def _check_lr(where: str, lr: Any) -> float:
    return _check_number(where, "learning rate lr", lr, lo=0.0)


def _check_bool(where: str, name: str, x: Any) -> bool:
    return flag(x, name, where)


def _plain(x: Any) -> Any:
    """A 0-d array or numpy scalar (what np.load gives back) as a Python number; arrays unchanged."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    return x


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _checked_buffer(where: str, key: str, i: int, p: Parameter, name: str, value: Any) -> Any:
    """A saved buffer for parameter ``p``, checked and converted (a step count, a number or an array)."""
    if name == "step":
        if not _is_int(value) or value < 1:
            raise ValueError(f"{where}: {key} must be an integer >= 1 (a stepped parameter's count), got {show(value)}")
        return int(value)
    if isinstance(p, Value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{where}: {key}: {_describe(i, p)} is a Value, so its buffer is one number; got {type(value).__name__}"
            )
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{where}: {key} is {value}; buffers must be finite")
        return value
    try:
        arr = np.asarray(value)
    except Exception as exc:  # e.g. a torch tensor that requires grad
        raise TypeError(f"{where}: {key}: cannot read as an array ({exc})") from None
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{where}: {key}: expected real numbers, got dtype {arr.dtype}")
    if arr.shape != p.shape:
        raise ValueError(f"{where}: {key} has shape {arr.shape}, but {_describe(i, p)} has shape {p.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{where}: {key} contains nan or inf; buffers must be finite")
    with np.errstate(over="ignore"):  # checked just below
        out = np.array(arr, dtype=p.data.dtype)  # a copy in the parameter's dtype
    if not np.isfinite(out).all():  # finite before the cast, not after: 1e300 as float32
        first = np.asarray(arr).reshape(-1)[np.flatnonzero(~np.isfinite(out))[0]]
        raise ValueError(
            f"{where}: {key} holds {str(first)} (for example), which is out of {p.data.dtype} range, the dtype of "
            f"{_describe(i, p)}; nothing was loaded"
        )
    return out
