"""Check your derivatives: analytic gradients against central differences.

The numerical derivative of f at x along input i is the central difference

    df/dx_i ~= (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

whose error shrinks like eps^2 (a one-sided difference only shrinks like eps).
``gradcheck`` compares it with what ``backward()`` computes, and when they disagree it
re-checks every op in the graph on its own to name the one whose derivative rule is
wrong: the situation of a student who has just written their own ``_tanh_backward``.
"""

from __future__ import annotations

import operator
from typing import Callable, Dict, List, Optional, Sequence, Union

from .engine import Value, _check_number, no_grad
from .graph import topological_order

__all__ = ["numerical_grad", "gradcheck", "GradcheckError", "LOCAL_OPS"]

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


def numerical_grad(f: ScalarFn, *inputs: Union[Value, Number], eps: float = 1e-6) -> List[float]:
    """Central-difference estimate of d f / d input_i for every input.

    ``f`` takes one ``Value`` per input and returns a ``Value`` (or a number). It is
    evaluated ``2 * len(inputs)`` times, inside ``no_grad()``.
    """
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
    forward, rule = LOCAL_OPS[node._op], node._backward
    if rule is None:
        return None
    xs = [p.data for p in node._prev]
    # Run the node's own rule on a copy whose inputs are fresh leaves: d(out)/d(input_i).
    leaves = [Value(x, requires_grad=p.requires_grad) for x, p in zip(xs, node._prev, strict=True)]
    copy = forward(*leaves)
    copy._prev, copy.grad = tuple(leaves), 1.0
    rule(copy)
    numeric_grads = numerical_grad(forward, *xs, eps=eps)
    for i, (leaf, p, numeric) in enumerate(zip(leaves, node._prev, numeric_grads, strict=True)):
        if not p.requires_grad:
            continue
        if not _close(leaf.grad, numeric, atol, rtol):
            where = ", ".join(f"{x:.6g}" for x in xs)
            kink = (
                f" (input {xs[0]:.3g} is within eps of the kink of {node._op} at 0, where "
                f"central differences are unreliable)"
                if node._op in _KINKED and abs(xs[0]) <= eps
                else ""
            )
            return (
                f"the local derivative of op {node._op!r} at ({where}) with respect to input "
                f"{i} disagrees: its rule gives {leaf.grad:.6g}, central differences give "
                f"{numeric:.6g}{kink}"
            )
    return None


def gradcheck(
    f: ScalarFn,
    *inputs: Union[Value, Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare ``backward()`` gradients of ``f`` at ``inputs`` with central differences.

    ``f`` takes one ``Value`` per input and returns a ``Value``; inputs may be numbers or
    Values (their labels are used in messages; their own grads are left untouched).
    Passes when ``|analytic - numeric| <= atol + rtol * |numeric|`` for every input.
    On failure raises ``GradcheckError`` (or returns ``False``) naming the input, both
    numbers and, where it can, the op whose derivative rule disagrees.
    """
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
