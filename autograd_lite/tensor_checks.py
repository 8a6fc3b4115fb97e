"""Input checks and error messages for ``Tensor``: the dtype policy, shapes, domains.

Kept apart from ``tensor.py`` so that the engine reads as ops and their derivative
rules; everything here only inspects arrays and builds messages that name the op, the
offending value or shape, and the fix (see the error table in ``tensor.py``).
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Tuple, Union

import numpy as np

from .engine import Value, _stale_leaf_error

Axis = Union[None, int, Tuple[int, ...]]


def _is_tensor(x: Any) -> bool:
    return getattr(type(x), "_autograd_lite_tensor", False)


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
# The largest x whose exp(x) is finite, per dtype: log(max float).
_EXP_MAX = {dt: float(np.log(np.finfo(dt).max)) for dt in _FLOATS}


def _as_float_array(x: Any, where: str, dtype: Any = None) -> np.ndarray:
    """``x`` as a float64 (or float32) ndarray of finite numbers, or a clear error.

    Always a copy: in-place updates of a parameter must never change the caller's data
    (or the other way round).
    """
    if type(x) is np.ndarray and dtype is None and x.dtype in _FLOATS:  # a batch of data: kept fast
        arr = x.copy()
        _check_finite(arr, where)
        return arr
    if _is_tensor(x):
        raise TypeError(f"{where}: got a Tensor; it is already a node, use it directly (or x.detach())")
    if _is_value(x):
        raise TypeError(
            f"{where}: got a Value ({x!r}); Tensor and Value graphs do not mix. Use Tensor({x.data!r}) "
            f"for a constant, or build the whole computation with one engine"
        )
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{where}: expected numbers or an array of numbers, got {type(x).__name__} {x!r}")
    try:
        arr = np.asarray(x)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{where}: could not make an array from {type(x).__name__}: {e}") from None
    kind = arr.dtype.kind
    if kind not in "fiub":
        what = {"c": "complex", "O": "object", "U": "string", "S": "bytes"}.get(kind, str(arr.dtype))
        hint = (
            "; Tensor and Value graphs do not mix: build the computation with one engine"
            if kind == "O" and any(_is_value(v) for v in arr.flat)
            else "; pass real numbers (convert strings with float(...))"
        )
        raise TypeError(f"{where}: got a {what} array of shape {arr.shape}; a Tensor holds real numbers{hint}")
    if dtype is not None:
        target = np.dtype(dtype)
        if target not in _FLOATS:
            raise TypeError(f"{where}: dtype {target} is not supported; use 'float64' (default) or 'float32'")
    else:
        target = arr.dtype if arr.dtype in _FLOATS else np.dtype(np.float64)
    arr = np.array(arr, dtype=target, copy=True)
    _check_finite(arr, where)
    return arr


def _check_finite(arr: np.ndarray, where: str) -> None:
    """Raise, naming where and how many, if ``arr`` holds a nan or an infinity."""
    # np.isfinite is exact and never warns; a sum or a dot product would be a little
    # faster but warns on inf - inf, or on squares that overflow from |x| ~ 1e154 on.
    if np.isfinite(arr).all():
        return
    bad = np.argwhere(~np.isfinite(arr))
    first = tuple(int(i) for i in bad[0])
    raise ValueError(
        f"{where}: {len(bad)} element(s) are nan or inf (the first at index {first}: "
        f"{arr[first]!r}); a Tensor must hold finite numbers"
    )


def _is_value(x: Any) -> bool:
    return isinstance(x, Value)


_OP_NAMES = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "**": "power"}


def _shape_error(op: str, x: Any, y: Any) -> ValueError:
    """The error for operands whose shapes do not broadcast, naming the op and both shapes."""
    sx, sy = np.shape(x), np.shape(y)
    what = f"{_OP_NAMES[op]}: {sx} {op} {sy}" if op in _OP_NAMES else f"{op}: shapes {sx} and {sy}"
    return ValueError(
        f"{what}: shapes do not broadcast (aligned from the right, each pair of sizes must be "
        f"equal or 1); reshape one of them, e.g. with t.reshape(...) or t[:, None]"
    )


def _matmul_error(sa: Tuple[int, ...], sb: Tuple[int, ...]) -> ValueError:
    if not sa or not sb:
        return ValueError(f"matmul: {sa} @ {sb}: a 0-d operand has no dimension to contract; use * for scaling")
    inner_a, inner_b = sa[-1], sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        return ValueError(f"matmul: {sa} @ {sb}: inner dimensions {inner_a} and {inner_b} differ")
    return ValueError(f"matmul: {sa} @ {sb}: the batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast")


def _normalize_axis(axis: Axis, ndim: int, where: str) -> Optional[Tuple[int, ...]]:
    """``axis`` as a sorted tuple of non-negative axes (None: all axes), or a clear error."""
    if axis is None:
        return None
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, kept fast
        return (axis % ndim,)
    if not isinstance(axis, (int, np.integer, tuple, list)) or isinstance(axis, bool):
        raise TypeError(f"{where}: axis must be an int or a tuple of ints, got {type(axis).__name__} {axis!r}")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
            raise TypeError(f"{where}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"{where}: axis {ax} is out of range for a tensor with {ndim} axes")
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def _scalar_setting(x: Any, where: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if x != x:
        raise ValueError(f"{where}: got nan")
    return x


def _plain_index(index: Any) -> Any:
    """An index with Tensors replaced by their data; float indices refused."""
    parts = index if isinstance(index, tuple) else (index,)
    clean = []
    for p in parts:
        if _is_tensor(p):
            raise TypeError(
                "Tensor[...]: index with ints, slices, lists or integer/bool numpy arrays, not a "
                "Tensor (its data is float); use t[idx.data.astype(int)] if you mean it"
            )
        if isinstance(p, list):
            p = np.asarray(p)
        if isinstance(p, np.ndarray) and p.dtype.kind not in "iub":
            raise TypeError(f"Tensor[...]: an index array must hold integers or bools, got dtype {p.dtype}")
        clean.append(p)
    return tuple(clean) if isinstance(index, tuple) else clean[0]


def _check_domain(x: np.ndarray, bad: np.ndarray, where: str, rule: str) -> None:
    if bad.any():
        where_bad = np.argwhere(bad)
        first = tuple(int(i) for i in where_bad[0])
        raise ValueError(
            f"{where}: {len(where_bad)} element(s) outside the domain ({rule}); the first is "
            f"{x[first]!r} at index {first}"
        )


def _raise_zero_division(den: np.ndarray, where: str) -> None:
    zeros = np.argwhere(den == 0)
    first = tuple(int(i) for i in zeros[0])
    raise ZeroDivisionError(
        f"division by zero in {where}: the denominator (shape {den.shape}) has {len(zeros)} zero(s), "
        f"the first at index {first}"
    )


def _raise_pow_error(a: np.ndarray, b: np.ndarray, data: np.ndarray) -> None:
    a, b = np.broadcast_arrays(a, b)
    first = tuple(int(i) for i in np.argwhere(~np.isfinite(data))[0])
    x, p = a[first], b[first]
    if x < 0 and not float(p).is_integer():
        raise ValueError(
            f"Tensor.__pow__: {x!r} ** {p!r} (at index {first}) is not a real number: a negative "
            f"base needs an integer exponent; keep the base positive, e.g. abs(x) ** b"
        )
    if x == 0 and p < 0:
        raise ZeroDivisionError(f"Tensor.__pow__: 0.0 ** {p!r} (at index {first}) divides by zero")
    raise OverflowError(f"Tensor.__pow__: {x!r} ** {p!r} (at index {first}) overflows {data.dtype}")


def _raise_stale_leaf(leaf: Any) -> None:
    name = f"{leaf.label!r}" if leaf.label is not None else f"of shape {leaf.shape}"
    raise _stale_leaf_error("Tensor", f"{name} already holds a gradient",
                            "t.grad = None for each leaf, or your optimizer's zero_grad()")
