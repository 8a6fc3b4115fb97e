"""Argument checks shared across ``nn``: what counts as a number, and the error when not.

A ``bool`` is an ``int`` to Python, but ``lr=True`` or ``n=False`` is always a slip, so
these checks refuse it.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

import numpy as np

__all__ = ["is_real", "finite_real", "real", "integer", "flag", "show", "fits_in_memory"]


def show(x: Any, limit: int = 80) -> str:
    """``repr(x)`` for an error message: at most ``limit`` characters, and never failing
    (Python refuses to print ints of more than 4300 digits; a message must not fail)."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 200:
        return f"{'a negative' if x < 0 else 'an'} int of about {int(x.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(x)
    except Exception:  # a repr that fails (huge numbers inside, a broken __repr__)
        text = f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def flag(x: Any, name: str, where: str) -> bool:
    """Argument ``name`` as a bool: True, False or a numpy bool; anything else is a TypeError
    (bool("no") is True: a string or a number here would silently mean the opposite)."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {type(x).__name__} {show(x)}")
    return bool(x)


def is_real(x: Any) -> bool:
    """A real number (Python or numpy), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _as_finite(x: Any) -> Any:
    """``x`` as a finite float, or None (not a real number, nan, inf, beyond float64)."""
    if not is_real(x):
        return None
    try:
        f = float(x)
    except (OverflowError, ValueError):  # 10**400; a Decimal nan
        return None
    return f if math.isfinite(f) else None


def finite_real(x: Any, where: str) -> float:
    """``x`` as a float, or a TypeError from ``where`` if it is not a finite real number."""
    f = _as_finite(x)
    if f is None:
        raise TypeError(f"{where}: expected a finite real number, got {show(x)}")
    return f


def real(x: Any, name: str, where: str) -> float:
    """Argument ``name`` as a float, or a TypeError when it is not a finite real number
    (nan, inf, beyond float64 and bools included, as ``finite_real``)."""
    f = _as_finite(x)
    if f is None:
        raise TypeError(f"{where}: {name} must be a finite real number, got {type(x).__name__} {show(x)}")
    return f


def integer(x: Any, name: str, where: str, minimum: int = 0) -> int:
    """Argument ``name`` as an int >= ``minimum``: a TypeError when it is not an integer (a
    bool is not), a ValueError when it is smaller."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int >= {minimum}, got {type(x).__name__} {show(x)}")
    if x < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {show(x)}")
    return int(x)


def _memory_bytes() -> int:
    """This machine's physical memory (1 TiB where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - Windows
        return 2**40


def fits_in_memory(count: int, where: str, what: str, bytes_each: int = 8) -> None:
    """Raise a ValueError naming ``what`` if ``count`` numbers of ``bytes_each`` bytes would
    not fit in this machine's memory: a size typed with a few zeros too many is refused at
    once, with its size in GiB, instead of failing inside numpy ("Maximum allowed dimension
    exceeded") or making the machine swap."""
    need = int(count) * bytes_each
    have = _memory_bytes()
    if need > have:
        size = f"{need / 2**30:.3g} GiB" if need < 2**1000 else f"about 2**{need.bit_length() - 30} GiB"
        raise ValueError(
            f"{where}: {what} would take {size}, more than this machine's "
            f"{have / 2**30:.3g} GiB of memory; use smaller sizes"
        )
