"""Argument checks shared across ``nn``: what counts as a number, and the error when not.

A ``bool`` is an ``int`` to Python, but ``lr=True`` or ``n=False`` is always a slip, so
these checks refuse it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["is_real", "finite_real", "real", "integer"]


def is_real(x: Any) -> bool:
    """A real number (Python or numpy), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def finite_real(x: Any, where: str) -> float:
    """``x`` as a float, or a TypeError from ``where`` if it is not a finite real number."""
    if not is_real(x) or not math.isfinite(float(x)):
        raise TypeError(f"{where}: expected a finite real number, got {x!r}")
    return float(x)


def real(x: Any, name: str, where: str) -> float:
    """Argument ``name`` as a float, or a TypeError when it is not a finite real number
    (nan, inf and bools included, as ``finite_real``)."""
    if not is_real(x) or not math.isfinite(float(x)):
        raise TypeError(f"{where}: {name} must be a finite real number, got {type(x).__name__} {x!r}")
    return float(x)


def integer(x: Any, name: str, where: str, minimum: int = 0) -> int:
    """Argument ``name`` as an int >= ``minimum``: a TypeError when it is not an integer (a
    bool is not), a ValueError when it is smaller."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int >= {minimum}, got {type(x).__name__} {x!r}")
    if x < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {x!r}")
    return int(x)
