"""Input checks and error messages for ``Tensor``: the dtype policy, shapes, domains.

Kept apart from ``tensor.py`` so that the engine reads as ops and their derivative
rules; everything here only inspects arrays and builds messages that name the op, the
offending value or shape, and the fix (see the error table in ``tensor.py``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping
from typing import Any, Optional, Tuple, Union, overload

import numpy as np

from .engine import Value, _show, _stale_leaf_error

Axis = Union[None, int, Tuple[int, ...]]


def _is_tensor(x: Any) -> bool:
    return getattr(type(x), "_autograd_lite_tensor", False)


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
# The largest x whose exp(x) is finite, per dtype: log(max float).
_EXP_MAX = {dt: float(np.log(np.finfo(dt).max)) for dt in _FLOATS}


def _as_float_array(x: Any, where: str, dtype: Any = None) -> np.ndarray:
    """``x`` as a float64 (or float32) ndarray of finite numbers, or a clear error.

    Always a copy: in-place updates of a parameter must never change the caller's data
    (or the other way round). The numbers must be finite *after* the cast to the target
    dtype: nan and +-inf are a ValueError, a finite number too large for the dtype (1e300
    as float32, 10**400 as float64) an OverflowError; both name where and which element.
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
    _refuse_containers(x, where)
    try:
        arr = np.asarray(x)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{where}: could not make an array from {type(x).__name__}: {e}") from None
    if arr.dtype.kind == "O":
        arr = _object_numbers(arr, where)
    kind = arr.dtype.kind
    if kind not in "fiub":
        what = {"c": "complex", "U": "string", "S": "bytes", "V": "structured", "M": "datetime", "m": "timedelta"}
        hint = {
            "c": "; keep the real part (z.real) or the magnitude (abs(z)) if that is what you mean",
            "U": "; convert strings with float(...)",
            "S": "; convert bytes with float(...)",
        }
        raise TypeError(
            f"{where}: got a {what.get(kind, str(arr.dtype))} array of shape {arr.shape}; a Tensor holds "
            f"real numbers{hint.get(kind, '')}"
        )
    if dtype is not None:
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{where}: dtype {_show(dtype)} is not a dtype; use 'float64' (default) or 'float32'") from None
        if target not in _FLOATS:
            raise TypeError(f"{where}: dtype {target} is not supported; use 'float64' (default) or 'float32'")
    else:
        target = arr.dtype if arr.dtype in _FLOATS else np.dtype(np.float64)
    return _cast(arr, target, where)


def _cast(arr: np.ndarray, target: np.dtype, where: str) -> np.ndarray:
    """A copy of ``arr`` in ``target``, checked: finite before the cast, and still finite after it."""
    if arr.dtype.kind == "f":
        _check_finite(arr, where)  # nan/inf typed in: say so, before any cast
    if arr.dtype.kind == "f" and arr.dtype.itemsize > target.itemsize:  # narrowing: may overflow
        with np.errstate(over="ignore"):  # diagnosed just below, by element
            out = arr.astype(target)
        if not np.isfinite(out).all():
            bad = np.argwhere(~np.isfinite(out))
            first = tuple(int(i) for i in bad[0])
            where_bad = "" if arr.ndim == 0 else f"the first at index {first}: "
            what = f"{str(arr[first])} is" if arr.ndim == 0 else f"{len(bad)} element(s) are"
            raise OverflowError(
                f"{where}: {what} out of {target} range ({where_bad}{str(arr[first]) + '; ' if arr.ndim else ''}"
                f"{target} holds numbers up to {float(np.finfo(target).max):.4g} in magnitude); scale the data down"
                + (", or keep float64" if target == np.float32 else "")
            )
        return out
    return np.array(arr, dtype=target, copy=True)


def _refuse_containers(x: Any, where: str) -> None:
    """Things numpy would silently wrap as a single object: say what to pass instead."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{where}: expected numbers or an array of numbers, got {type(x).__name__} {_show(x)}")
    if isinstance(x, Mapping):
        raise TypeError(
            f"{where}: got a {type(x).__name__}; a Tensor is made from numbers or (nested) lists of "
            f"them. For the dict's values: list(d.values())"
        )
    if isinstance(x, (set, frozenset)):
        raise TypeError(f"{where}: got a {type(x).__name__}, which has no order; pass a list (sorted(s), say)")
    if isinstance(x, Iterator):
        raise TypeError(
            f"{where}: got a {type(x).__name__} (a one-pass iterator); numpy cannot read its numbers. "
            f"Make a list first: Tensor(list(...))"
        )


def _object_numbers(arr: np.ndarray, where: str) -> np.ndarray:
    """An object array (numpy's fallback) as float64, if it holds only real numbers.

    Python ints beyond int64 (2**70) land here and are fine; ints beyond float64
    (10**400), Values, None, strings and other objects get an error naming the first.
    """
    flat = arr.reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    for i, v in enumerate(flat):
        index = np.unravel_index(i, arr.shape) if arr.ndim else ()
        at = f" at index {tuple(int(j) for j in index)}" if arr.ndim else ""
        if _is_value(v):
            raise TypeError(
                f"{where}: the element{at} is a Value; Tensor and Value graphs do not mix: build the "
                f"computation with one engine"
            )
        if isinstance(v, complex) or not isinstance(v, numbers.Real):
            raise TypeError(
                f"{where}: the element{at} is {type(v).__name__} {_show(v)}; a Tensor holds real numbers"
                + ("; convert strings with float(...)" if isinstance(v, str) else "")
            )
        try:
            out[i] = float(v)
        except OverflowError:
            what = f"the element{at}, {_show(v)}," if arr.ndim else _show(v)
            raise OverflowError(f"{where}: {what} is too large for a float64 (max ~1.8e308); scale it down") from None
    return out.reshape(arr.shape)


def _check_finite(arr: np.ndarray, where: str) -> None:
    """Raise, naming where and how many, if ``arr`` holds a nan or an infinity."""
    # np.isfinite is exact and never warns; a sum or a dot product would be a little
    # faster but warns on inf - inf, or on squares that overflow from |x| ~ 1e154 on.
    if np.isfinite(arr).all():
        return
    if arr.ndim == 0:
        raise ValueError(f"{where}: got {arr[()]}; a Tensor must hold finite numbers")
    bad = np.argwhere(~np.isfinite(arr))
    first = tuple(int(i) for i in bad[0])
    raise ValueError(
        f"{where}: {len(bad)} element(s) are nan or inf (the first at index {first}: "
        f"{arr[first]}); a Tensor must hold finite numbers"
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


@overload
def _normalize_axis(axis: None, ndim: int, where: str) -> None: ...
@overload
def _normalize_axis(axis: Union[int, Tuple[int, ...]], ndim: int, where: str) -> Tuple[int, ...]: ...
@overload
def _normalize_axis(axis: Axis, ndim: int, where: str) -> Optional[Tuple[int, ...]]: ...
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


def _scalar_setting(x: Any, where: str, finite: bool = False) -> float:
    """A setting such as a slope or a bound, as a float: never nan; +-inf only unless ``finite``."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {_show(x)}")
    try:
        f = float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {_show(x)} is too large for a float64") from None
    if f != f or (finite and f - f != 0.0):
        raise ValueError(f"{where}: got {f}; expected a finite number")
    return f


def _int_setting(x: Any, where: str) -> int:
    """An integer setting (an axis, ddof): an int or numpy int, not a bool or a float."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{where}: expected an int, got {type(x).__name__} {_show(x)}")
    return int(x)


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
    """Raise for ``a ** b`` where it is not a real number or overflows; return if every
    non-finite element of ``data`` comes from a nan or inf operand (those propagate).

    As ``Value.__pow__`` (Python's float power): a negative base (-inf included) with a
    finite non-integer exponent is a ValueError, 0 ** (finite b < 0) a ZeroDivisionError,
    finite operands whose power exceeds the dtype an OverflowError.
    """
    a, b = np.broadcast_arrays(a, b)
    finite_b = np.isfinite(b)
    with np.errstate(invalid="ignore"):  # comparisons with nan
        checks = (
            ((a < 0) & finite_b & (b != np.round(b)), ValueError),
            ((a == 0) & finite_b & (b < 0), ZeroDivisionError),
            (np.isfinite(a) & finite_b & ~np.isfinite(data), OverflowError),
        )
    for bad, kind in checks:
        if not bad.any():
            continue
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        x, p = float(a[first]), float(b[first])
        if kind is ValueError:
            raise ValueError(
                f"Tensor.__pow__: {x!r} ** {p!r} (at index {first}) is not a real number: a negative "
                f"base needs an integer exponent; keep the base positive, e.g. abs(x) ** b"
            )
        if kind is ZeroDivisionError:
            raise ZeroDivisionError(f"Tensor.__pow__: 0.0 ** {p!r} (at index {first}) divides by zero")
        raise OverflowError(f"Tensor.__pow__: {x!r} ** {p!r} (at index {first}) overflows {data.dtype}")


def _check_exp_overflow(x: np.ndarray) -> None:
    """Raise if exp overflows for a finite element of ``x`` (exp(inf) = inf propagates)."""
    limit = _EXP_MAX[x.dtype]
    with np.errstate(invalid="ignore"):
        big = (x > limit) & np.isfinite(x)
    if big.any():
        raise OverflowError(
            f"Tensor.exp: exp(x) overflows {x.dtype} for {int(big.sum())} element(s) "
            f"(the largest x is {float(x[big].max()):.6g}; exp is finite only for x < {limit:.6g}); "
            f"scale the input down, or use the stable softmax / log_softmax / logsumexp / sigmoid / softplus"
        )


def _raise_stale_leaf(leaf: Any) -> None:
    """The error for a leaf whose gradient stops backward(): stale, or not a gradient at all."""
    name = f"{leaf.label!r}" if leaf.label is not None else f"of shape {leaf.shape}"
    g = leaf.grad
    if type(g) is not np.ndarray or g.dtype.kind != "f":
        what = f"a {g.dtype} array" if isinstance(g, np.ndarray) else type(g).__name__
        raise TypeError(
            f"Tensor.backward: leaf {name} has a grad that is {what}; a gradient is a float array "
            f"of the leaf's shape, or None: set t.grad = None"
        )
    if g.shape != leaf.data.shape:
        raise ValueError(
            f"Tensor.backward: leaf {name} has a grad of shape {g.shape} for data of shape "
            f"{leaf.data.shape}, so nothing can be added to it; set t.grad = None"
        )
    raise _stale_leaf_error("Tensor", f"{name} already holds a gradient",
                            "t.grad = None for each leaf, or your optimizer's zero_grad()")
