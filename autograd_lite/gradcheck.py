"""Check your derivatives: analytic gradients against central differences.

The numerical derivative of f at x along input i is the central difference

    df/dx_i ~= (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

whose error shrinks like eps^2 (a one-sided difference only shrinks like eps).
``gradcheck`` compares it with what ``backward()`` computes, and when they disagree it
re-checks every op in the graph on its own to name the one whose derivative rule is
wrong: the situation of a student who has just written their own ``_tanh_backward``.

For ``Tensor`` functions the same ``gradcheck`` compares every element when the inputs
are small, and for large inputs uses the cheap random-direction check (as HIPS autograd
does): with a random output weighting u and input direction v, the scalar
L(x) = <u, f(x)> has directional derivative

    <v, grad L(x)> = <v, J^T u>  ~=  (L(x + eps v) - L(x - eps v)) / (2 eps)

which costs one backward() and two forward passes per direction, whatever the sizes.
"""

from __future__ import annotations

import math
import operator
from numbers import Real
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from .engine import ClosureRule, Value, _check_flag, _check_number, _show, no_grad
from .graph import topological_order
from .tensor import Tensor, _scatter, concatenate, maximum, stack
from .tensor_checks import _as_float_array

__all__ = ["numerical_grad", "gradcheck", "GradcheckError", "LOCAL_OPS", "TENSOR_OPS"]

Number = Union[int, float]
ScalarFn = Callable[..., Value]

# Each recorded op name -> a function of Values that recomputes it, so that any node's
# local derivative can be checked on its own. Keep in step with engine.py (a test does).
LOCAL_OPS: Dict[str, Callable[..., Value]] = {
    "+": operator.add,
    "*": operator.mul,
    "**": operator.pow,
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "leaky_relu": lambda x, slope: x.leaky_relu(slope.data),
    "softplus": Value.softplus,
    "abs": abs,
    "sqrt": Value.sqrt,
    "sin": Value.sin,
    "cos": Value.cos,
}
# Ops with a kink at 0, where a central difference straddles two slopes.
_KINKED = {"relu", "leaky_relu", "abs"}


class GradcheckError(AssertionError):
    """An analytic gradient disagreed with its numerical estimate."""


def _values_of(inputs: Sequence[Union[Value, Number]], where: str) -> List[float]:
    return [x.data if isinstance(x, Value) else _check_number(x, f"{where}: input {i}") for i, x in enumerate(inputs)]


def _evaluate(f: ScalarFn, xs: Sequence[float]) -> float:
    with no_grad():
        y = f(*[Value(x) for x in xs])
    return y.data if isinstance(y, Value) else _check_number(y, "gradcheck: f(...)")


def _check_settings(where: str, eps: Any, atol: Any = 0.0, rtol: Any = 0.0, raise_exception: Any = True) -> None:
    """eps > 0, atol and rtol >= 0, all finite; raise_exception a bool: or a clear error."""
    for name, x, low_open in (("eps", eps, True), ("atol", atol, False), ("rtol", rtol, False)):
        if isinstance(x, bool) or not isinstance(x, Real):
            raise TypeError(f"{where}: {name} must be a finite real number, got {type(x).__name__} {_show(x)}")
        try:
            f = float(x)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f) or f < 0.0 or (low_open and f == 0.0):
            raise ValueError(f"{where}: {name} must be a finite number {'> 0' if low_open else '>= 0'}, got {_show(x)}")
    if raise_exception is not True and raise_exception is not False:
        _check_flag(raise_exception, f"{where}(raise_exception=...)")


def numerical_grad(f: ScalarFn, *inputs: Union[Value, Number], eps: float = 1e-6) -> List[float]:
    """Central-difference estimate of d f / d input_i for every input.

    ``f`` takes one ``Value`` per input and returns a ``Value`` (or a number). It is
    evaluated ``2 * len(inputs)`` times, inside ``no_grad()``.
    """
    _check_settings("numerical_grad", eps)
    xs = _values_of(inputs, "numerical_grad")
    grads = []
    for i in range(len(xs)):
        plus, minus = list(xs), list(xs)
        plus[i] += eps
        minus[i] -= eps
        grads.append((_evaluate(f, plus) - _evaluate(f, minus)) / (2.0 * eps))
    return grads


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _local_mismatch(node: Value, eps: float, atol: float, rtol: float) -> Optional[str]:
    """Check one node's rule against central differences of its op; describe a mismatch."""
    forward, rule = LOCAL_OPS[node._op], node._rule
    if rule is None:
        return None
    xs = [p.data for p in node._prev]
    if type(rule) is ClosureRule:  # an op made by hand, micrograd's way: check it if it is this op
        if len(set(map(id, node._prev))) < len(xs) or not _same(_evaluate(forward, xs), node.data):
            return None  # another function under a known name (or a repeated input): not checked
        analytic = _closure_parts(node)
    else:
        # Run the node's own rule on a copy whose inputs are fresh leaves: d(out)/d(input_i).
        leaves = [Value(x, requires_grad=p.requires_grad) for x, p in zip(xs, node._prev, strict=True)]
        copy = forward(*leaves)
        copy._prev, copy.grad = tuple(leaves), 1.0
        rule(copy)
        analytic = [leaf.grad for leaf in leaves]
    numeric_grads = numerical_grad(forward, *xs, eps=eps)
    for i, (got, p, numeric) in enumerate(zip(analytic, node._prev, numeric_grads, strict=True)):
        if not p.requires_grad:
            continue
        if not _close(got, numeric, atol, rtol):
            where = ", ".join(f"{x:.6g}" for x in xs)
            kink = (
                f" (input {xs[0]:.3g} is within eps of the kink of {node._op} at 0, where "
                f"central differences are unreliable)"
                if node._op in _KINKED and abs(xs[0]) <= eps
                else ""
            )
            return (
                f"the local derivative of op {node._op!r} at ({where}) with respect to input "
                f"{i} disagrees: its rule gives {got:.6g}, central differences give "
                f"{numeric:.6g}{kink}"
            )
    return None


def _same(x: float, y: float) -> bool:
    return x == y or abs(x - y) <= 1e-12 * max(abs(x), abs(y))


def _closure_parts(node: Value) -> List[float]:
    """d(node)/d(input_i) from a closure rule (``out._backward = fn``), which writes into the real
    inputs: run it with node.grad = 1 and the inputs' grads at 0, then put every grad back."""
    saved = [(n, n.grad) for n in (node, *node._prev)]
    try:
        for p in node._prev:
            p.grad = 0.0
        node.grad = 1.0
        node._rule(node)  # type: ignore[misc]  # (a ClosureRule: checked by the caller)
        return [float(p.grad) for p in node._prev]
    finally:
        for n, g in reversed(saved):
            n.grad = g


def gradcheck(
    f: ScalarFn,
    *inputs: Union[Value, Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **tensor_options: Any,
) -> bool:
    """Compare ``backward()`` gradients of ``f`` at ``inputs`` with central differences.

    ``f`` takes one ``Value`` per input and returns a ``Value``; inputs may be numbers or
    Values (their labels are used in messages; their own grads are left untouched).
    Passes when ``|analytic - numeric| <= atol + rtol * |numeric|`` for every input.
    On failure raises ``GradcheckError`` (or returns ``False``) naming the input, both
    numbers and, where it can, the op whose derivative rule disagrees.

    When an input is a ``Tensor`` or an array, ``f`` takes Tensors and returns a Tensor
    of any shape, and the check is ``tensor_gradcheck``'s (see there; ``tensor_options``
    such as ``mode`` and ``directions`` go to it).
    """
    _check_settings("gradcheck", eps, atol, rtol, raise_exception)
    if any(isinstance(x, (Tensor, np.ndarray)) for x in inputs):
        return tensor_gradcheck(
            f,  # type: ignore[arg-type]  # f takes and returns Tensors here
            *inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception, **tensor_options
        )
    if tensor_options:
        raise TypeError(
            f"gradcheck: {sorted(tensor_options)} apply to Tensor inputs only; these inputs are numbers/Values"
        )
    xs = _values_of(inputs, "gradcheck")
    labels = [x.label if isinstance(x, Value) else None for x in inputs]
    names = [repr(label) if label is not None else str(i) for i, label in enumerate(labels)]
    leaves = [Value(x, label=label) for x, label in zip(xs, labels, strict=True)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    if out.requires_grad:
        out.backward()
    numeric = numerical_grad(f, *xs, eps=eps)
    for i, (leaf, num) in enumerate(zip(leaves, numeric, strict=True)):
        if _close(leaf.grad, num, atol, rtol):
            continue
        message = (
            f"gradcheck failed for input {names[i]} (= {xs[i]:.6g}): backward() gives "
            f"{leaf.grad:.6g}, central differences give {num:.6g} "
            f"(|difference| {abs(leaf.grad - num):.3g} > atol + rtol * |numeric| = "
            f"{atol + rtol * abs(num):.3g})."
        )
        message += " " + _diagnose(out, eps, atol, rtol)
        if raise_exception:
            raise GradcheckError(message)
        return False
    return True


def _diagnose(out: Value, eps: float, atol: float, rtol: float) -> str:
    unchecked = set()
    for node in topological_order(out):
        if not node._prev:
            continue
        if node._op not in LOCAL_OPS:
            unchecked.add(node._op)
            continue
        problem = _local_mismatch(node, eps, atol, rtol)
        if problem:
            return f"Culprit: {problem}."
    hint = (
        "Every op's local derivative agrees with central differences, so the graph itself "
        "is likely incomplete: does f use x.data, float(), math.* or comparisons on Values? "
        "Those are invisible to backward(). Also try another eps."
    )
    if unchecked:
        hint += f" Ops not checked (unknown to gradcheck): {sorted(unchecked)}."
    return hint


# ------------------------------------------------------------------------ tensors

# Each recorded Tensor op -> a function (inputs, node) recomputing it, for the local
# check of one node (``node`` supplies settings: its _ctx and output shape).
TENSOR_OPS: Dict[str, Callable[[List[Tensor], Tensor], Tensor]] = {
    "+": lambda xs, n: xs[0] + xs[1],
    "-": lambda xs, n: xs[0] - xs[1],
    "*": lambda xs, n: xs[0] * xs[1],
    "/": lambda xs, n: xs[0] / xs[1],
    "**": lambda xs, n: xs[0] ** xs[1],
    "exp": lambda xs, n: xs[0].exp(),
    "log": lambda xs, n: xs[0].log(),
    "tanh": lambda xs, n: xs[0].tanh(),
    "sigmoid": lambda xs, n: xs[0].sigmoid(),
    "relu": lambda xs, n: xs[0].relu(),
    "leaky_relu": lambda xs, n: xs[0].leaky_relu(n._ctx),
    "softplus": lambda xs, n: xs[0].softplus(),
    "abs": lambda xs, n: abs(xs[0]),
    "sqrt": lambda xs, n: xs[0].sqrt(),
    "sin": lambda xs, n: xs[0].sin(),
    "cos": lambda xs, n: xs[0].cos(),
    "clip": lambda xs, n: xs[0].clip(*n._ctx),
    "matmul": lambda xs, n: xs[0] @ xs[1],
    "sum": lambda xs, n: xs[0].sum(axis=n._ctx[0], keepdims=n._ctx[1]),
    "mean": lambda xs, n: xs[0].mean(axis=n._ctx[0], keepdims=n._ctx[1]),
    "max": lambda xs, n: xs[0].max(axis=n._ctx[0], keepdims=n._ctx[1]),
    "reshape": lambda xs, n: xs[0].reshape(n.data.shape),
    "transpose": lambda xs, n: xs[0].transpose(n._ctx),
    "index": lambda xs, n: xs[0][n._ctx],
    "concatenate": lambda xs, n: concatenate(xs, axis=n._ctx),
    "stack": lambda xs, n: stack(xs, axis=n._ctx),
    "maximum": lambda xs, n: maximum(xs[0], xs[1]),
    "broadcast_to": lambda xs, n: xs[0].broadcast_to(n.data.shape),
    "sum_to": lambda xs, n: xs[0].sum_to(n.data.shape),
    "scatter": lambda xs, n: _scatter(xs[0], n._ctx, n.data.shape),
}


def tensor_gradcheck(
    f: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    mode: str = "auto",
    max_elements: int = 200,
    directions: int = 3,
    seed: int = 0,
) -> bool:
    """Compare ``backward()`` gradients of a Tensor function with finite differences.

    ``f`` takes one Tensor per input and returns a Tensor of any shape; it is reduced to
    the scalar L = <u, f(x)> with a fixed random u, so every output element counts.
    ``mode="full"`` differences every input element (2 forward passes each);
    ``"direction"`` compares ``directions`` random directional derivatives; ``"auto"``
    is full up to ``max_elements`` input elements in all, direction above. Inputs are
    checked in float64 (copies: the caller's tensors and grads are left alone).
    """
    _check_settings("gradcheck", eps, atol, rtol, raise_exception)
    if not isinstance(mode, str) or mode not in ("auto", "full", "direction"):
        raise ValueError(f"gradcheck: mode must be 'auto', 'full' or 'direction', got {_show(mode)}")
    for name, n, low in (("max_elements", max_elements, 0), ("directions", directions, 1), ("seed", seed, 0)):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < low:
            raise TypeError(f"gradcheck: {name} must be an int >= {low}, got {_show(n)}")
    xs = [
        x.data.astype(np.float64) if isinstance(x, Tensor) else _as_float_array(x, f"gradcheck: input {i}", np.float64)
        for i, x in enumerate(inputs)
    ]
    labels = [x.label if isinstance(x, Tensor) and x.label is not None else str(i) for i, x in enumerate(inputs)]
    rng = np.random.default_rng(seed)
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    out = f(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    u = rng.standard_normal(out.shape)

    def difference(plus: List[np.ndarray], minus: List[np.ndarray]) -> float:
        """(L(plus) - L(minus)) / 2 eps, subtracting outputs element by element before
        weighting them: a large output element must not drown a small one's change."""
        with no_grad():
            y_plus, y_minus = f(*[Tensor(v) for v in plus]).data, f(*[Tensor(v) for v in minus]).data
        return float(np.sum(u * (y_plus - y_minus))) / (2.0 * eps)

    if out.requires_grad:
        out.backward(u)
    grads = [leaf.grad if leaf.grad is not None else np.zeros_like(leaf.data) for leaf in leaves]
    full = mode == "full" or (mode == "auto" and sum(x.size for x in xs) <= max_elements)
    problem = None
    if full:
        for i, x in enumerate(xs):
            for idx in np.ndindex(x.shape):
                plus = [v.copy() for v in xs]
                minus = [v.copy() for v in xs]
                plus[i][idx] += eps
                minus[i][idx] -= eps
                numeric = difference(plus, minus)
                analytic = float(grads[i][idx])
                if not _close(analytic, numeric, atol, rtol):
                    problem = (
                        f"gradcheck failed for input {labels[i]} at index {idx} (= {x[idx]:.6g}): "
                        f"backward() gives {analytic:.6g}, central differences give {numeric:.6g}"
                    )
                    break
            if problem:
                break
    else:
        for k in range(directions):
            vs = [rng.standard_normal(x.shape) for x in xs]
            plus = [x + eps * v for x, v in zip(xs, vs, strict=True)]
            minus = [x - eps * v for x, v in zip(xs, vs, strict=True)]
            numeric = difference(plus, minus)
            analytic = float(sum(np.sum(g * v) for g, v in zip(grads, vs, strict=True)))
            if not _close(analytic, numeric, atol, rtol):
                problem = (
                    f"gradcheck failed along random direction {k} (seed {seed}): <v, backward() "
                    f"gradient> = {analytic:.6g}, the directional central difference = {numeric:.6g}"
                )
                break
    if problem is None:
        return True
    message = problem + ". " + _diagnose_tensor(out, eps, atol, rtol, rng)
    if raise_exception:
        raise GradcheckError(message)
    return False


def _diagnose_tensor(out: Tensor, eps: float, atol: float, rtol: float, rng: np.random.Generator) -> str:
    """Check each node's rule on its own (random direction); name the first that disagrees."""
    unchecked = set()
    for node in topological_order(out):
        if not node._prev:
            continue
        recompute = TENSOR_OPS.get(node._op)
        if recompute is None:
            unchecked.add(node._op)
            continue
        xs = [p.data.astype(np.float64) for p in node._prev]
        leaves = [Tensor(x, requires_grad=p.requires_grad) for x, p in zip(xs, node._prev, strict=True)]
        copy = recompute(leaves, node)
        u = rng.standard_normal(copy.shape)
        copy.backward(u)
        vs = [rng.standard_normal(x.shape) if p.requires_grad else np.zeros(x.shape) for x, p in zip(xs, node._prev, strict=True)]

        with no_grad():  # the op at x + eps v and at x - eps v, v a random direction
            ahead = recompute([Tensor(x + eps * v) for x, v in zip(xs, vs, strict=True)], node).data
            behind = recompute([Tensor(x - eps * v) for x, v in zip(xs, vs, strict=True)], node).data
        numeric = float(np.sum(u * (ahead - behind))) / (2.0 * eps)
        analytic = float(sum(np.sum(leaf.grad * v) for leaf, v in zip(leaves, vs, strict=True) if leaf.grad is not None))
        if not _close(analytic, numeric, atol, rtol):
            shapes = ", ".join(str(x.shape) for x in xs)
            kink = (
                f" (an input is within eps of the kink of {node._op} at 0, where central differences "
                f"are unreliable)"
                if node._op in _KINKED | {"max", "maximum", "clip"} and any(np.any(np.abs(x) <= eps) for x in xs)
                else ""
            )
            return (
                f"Culprit: the local derivative of op {node._op!r} on inputs of shape ({shapes}) "
                f"disagrees: its rule gives <v, J^T u> = {analytic:.6g}, central differences give "
                f"{numeric:.6g}{kink}."
            )
    hint = (
        "Every op's local derivative agrees with central differences, so the graph itself is likely "
        "incomplete: does f use t.data, np.* functions or comparisons on Tensors? Those are invisible "
        "to backward(). Also try another eps."
    )
    if unchecked:
        hint += f" Ops not checked (unknown to gradcheck): {sorted(unchecked)}."
    return hint
