"""SPEC fixed-point units: floats <-> exact integers ("micro", value x 1e6).

Prices, volumes and money cross the Python/engine boundary as floats and are
rounded to micro units exactly once, there. The rule is the one the native
extension applies (C ``llround(x * 1e6)``): multiply in IEEE double, then
round half away from zero. So ``to_micro(0.0000025) == 3`` and
``to_micro(-0.0000025) == -3`` where Python's ``round()`` would give 2 and -2.

Pure Python: importable without the native extension.
"""

from __future__ import annotations

import math
from typing import SupportsFloat

from hqt.errors import InvalidArgumentError

__all__ = ["MICRO", "to_micro", "from_micro", "div_round"]

#: Units per whole: price x MICRO is the SPEC integer.
MICRO = 1_000_000

_LIMIT = 9223372036854775808.0  # 2**63


def to_micro(x: SupportsFloat) -> int:
    """``x * 1e6`` rounded half away from zero, as the engine boundary does it.

    Raises InvalidArgumentError for NaN, infinities and values out of int64.
    """
    y = float(x) * 1e6
    if math.isnan(y):
        raise InvalidArgumentError(f"value must be a number, got {x!r}")
    if not -_LIMIT < y < _LIMIT:
        raise InvalidArgumentError(f"value {x!r} is out of range (|value| must be below 9.2e12)")
    r = math.trunc(y)
    frac = y - r  # exact: r came from y
    if frac >= 0.5:
        r += 1
    elif frac <= -0.5:
        r -= 1
    return r


def from_micro(v: int) -> float:
    """``v / 1e6`` as a float (the nearest double to the decimal value)."""
    return int(v) / 1e6


def div_round(num: int, den: int) -> int:
    """Exact integer ``num / den`` rounded half away from zero (SPEC's division rule)."""
    if den == 0:
        raise ZeroDivisionError("div_round by zero")
    neg = (num < 0) != (den < 0)
    q, r = divmod(abs(num), abs(den))
    if 2 * r >= abs(den):
        q += 1
    return -q if neg else q
