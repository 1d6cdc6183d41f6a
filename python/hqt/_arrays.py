"""Array and time conversions shared by the engine, the loaders and the
result tables (a leaf module: numpy and :mod:`hqt.errors` only).

Public through :mod:`hqt.engine` (``as_time_array``, ``as_price_array``,
``to_ns``) for compatibility; modules of the package import them from here.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np

from hqt.errors import InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike, NDArray

__all__ = ["TimeLike", "TIME_UNITS", "as_time_array", "as_price_array", "as_micro_array", "to_ns"]

TimeLike = int | np.integer | np.datetime64 | _dt.datetime


def _vector(x: Any, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise InvalidArgumentError(f"{what} must be one-dimensional, got shape {arr.shape}")
    return arr


#: Nanoseconds per unit for ``unit=``.
TIME_UNITS: dict[str, int] = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds"}
_I64_MAX = int(np.iinfo(np.int64).max)
# what int64 ns can hold (NaT, -2**63, is not a time)
RANGE_TEXT = "1677-09-21 to 2262-04-11, the dates int64 nanoseconds can hold"
# 1990-01-01 and the last int64 ns time, in each unit: integer times that only make
# sense in a coarser unit are refused when no unit= is given
_PLAUSIBLE_FROM_S = 631_152_000


def _unit_factor(unit: str | None) -> int | None:
    if unit is None:
        return None
    if not isinstance(unit, str) or unit not in TIME_UNITS:
        raise InvalidArgumentError(
            f"unit must be one of {', '.join(map(repr, TIME_UNITS))} (or None: ns), got {unit!r}"
        )
    return TIME_UNITS[unit]


def _out_of_range(what: str, i: int, value: object) -> InvalidArgumentError:
    return InvalidArgumentError(f"{what}[{i}] = {value} is outside {RANGE_TEXT}")


def _datetime64_to_ns(arr: np.ndarray, what: str) -> np.ndarray:
    """datetime64 of any unit -> int64 ns, refusing dates that would wrap around."""
    if np.isnat(arr).any():
        i = int(np.flatnonzero(np.isnat(arr))[0])
        raise InvalidArgumentError(f"{what} contains NaT (at index {i})")
    unit = np.datetime_data(arr.dtype)[0]
    if unit not in ("ns", "ps", "fs", "as") and arr.size:
        us = arr.astype("datetime64[us]").view(np.int64)  # +-290,000 years: no wrap
        bad = (us < -(_I64_MAX // 1000)) | (us > _I64_MAX // 1000)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _out_of_range(what, i, arr[i])
    return arr.astype("datetime64[ns]").view(np.int64)


def _guess_unit(arr: np.ndarray) -> str | None:
    """The unit in which every value of an integer time array is a date from 1990
    to 2262, when as nanoseconds they all fall in 1970's first months."""
    # any value >= 1e16 rules every unit out (hi would be that large): a look at
    # both ends answers for today's ns times without the two passes of min/max
    if arr.size and (int(arr[0]) >= 10**16 or int(arr[-1]) >= 10**16):
        return None
    lo, hi = int(arr.min()), int(arr.max())
    if hi >= 10**16 or lo < 0:
        return None
    for unit in ("s", "ms", "us"):
        f = TIME_UNITS[unit]
        if lo * f >= _PLAUSIBLE_FROM_S * 10**9 and hi * f <= _I64_MAX:
            return unit
    return None


def _scale(arr: np.ndarray, factor: int, what: str) -> np.ndarray:
    """int64 values x factor, refusing those that would overflow."""
    if factor == 1 or not arr.size:
        return arr
    lim = _I64_MAX // factor
    bad = (arr < -lim) | (arr > lim)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _out_of_range(what, i, arr[i])
    return arr * np.int64(factor)


def as_time_array(
    x: ArrayLike,
    what: str = "time_ns",
    unit: str | None = None,
    *,
    unit_hint: str = "pass unit={!r}",
) -> NDArray[np.int64]:
    """`x` as a C-contiguous int64 array of ns; no copy if it already is one.

    Accepts datetime64 (any unit; dates outside 1677-09-21 .. 2262-04-11,
    which int64 ns cannot hold, are refused rather than wrapped around) and
    numbers: int64 (or uint64, or integral floats) in ``unit`` (``"s"``,
    ``"ms"``, ``"us"`` or ``"ns"``; None = ns). Other integer widths (int32,
    int16, ...) need ``unit=``: they cannot hold a date in ns, and are
    widened to int64 before scaling so they cannot overflow. Floats with a
    coarser unit are rounded to the nearest ns.

    With ``unit=None``, integers that are all dates of 1990-2262 in seconds,
    milliseconds or microseconds (and so all in 1970's first months as ns)
    are refused: ``looks like seconds: multiply by 1e9 or pass unit='s'``.
    ``unit_hint`` says how the caller takes a unit (``{!r}``: the unit), for
    callers whose option is not ``unit=`` (hqt.sweep's data mappings).
    """
    factor = _unit_factor(unit)
    arr = _vector(x, what)
    kind = arr.dtype.kind
    if kind == "M":
        if unit is not None:
            raise InvalidArgumentError(
                f"{what}: unit= is for numeric times; datetime64 values carry their own unit"
            )
        return np.ascontiguousarray(_datetime64_to_ns(arr, what))
    if kind == "b" or (kind not in "iuf" and arr.size):
        raise TypeError(f"{what} must be integers (ns) or datetime64, not {arr.dtype}")
    if kind in "iu" and arr.dtype.itemsize < 8 and arr.size:
        if factor is None:
            raise InvalidArgumentError(
                f"{what} is {arr.dtype}, which cannot hold nanoseconds since 1970 (it "
                "overflows into negative times): pass int64 nanoseconds, or give the "
                f"unit of these values, e.g. {unit_hint.format('s')}"
            )
        arr = arr.astype(np.int64)
    elif kind == "u":
        if arr.size and int(arr.max()) > _I64_MAX:
            i = int(np.argmax(arr))
            raise _out_of_range(what, i, arr[i])
        arr = arr.astype(np.int64)
    elif kind == "f" and arr.size:
        if not np.isfinite(arr).all():
            raise InvalidArgumentError(f"{what} must be finite (no NaN or inf)")
        if factor is not None and factor != 1:
            bad = np.abs(arr) >= _I64_MAX / factor
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise _out_of_range(what, i, arr[i])
            # whole units and the fraction apart: arr * factor in float64 would
            # round to 256 ns at today's dates
            whole = np.floor(arr)
            frac = np.rint((arr - whole) * factor).astype(np.int64)
            return np.ascontiguousarray(whole.astype(np.int64) * np.int64(factor) + frac)
        if (arr != np.floor(arr)).any():
            hint = "pass an int64 array"
            if (np.abs(arr) < 2.0**62).all():
                guess = _guess_unit(np.floor(arr).astype(np.int64))
                if guess is not None:
                    hint = f"these look like {_UNIT_NAMES[guess]}: {unit_hint.format(guess)}"
            raise InvalidArgumentError(
                f"{what} must hold whole nanoseconds (no NaN, no fractions); {hint}"
            )
        if (np.abs(arr) >= 2.0**63).any():
            i = int(np.flatnonzero(np.abs(arr) >= 2.0**63)[0])
            raise _out_of_range(what, i, arr[i])
    out = np.ascontiguousarray(arr, dtype=np.int64)
    if factor is None:
        if out.size:
            guess = _guess_unit(out)
            if guess is not None:
                times = f"{TIME_UNITS[guess]:.0e}".replace("e+0", "e")
                raise InvalidArgumentError(
                    f"{what} looks like {_UNIT_NAMES[guess]}, not nanoseconds (values "
                    f"{out.min()} .. {out.max()} are dates in 1970 as ns): multiply by "
                    f"{times} or {unit_hint.format(guess)}"
                )
        return out
    return np.ascontiguousarray(_scale(out, factor, what))


def as_price_array(x: ArrayLike, what: str) -> NDArray[np.float64]:
    """`x` as a C-contiguous float64 array; no copy if it already is one."""
    arr = _vector(x, what)
    if arr.dtype.kind not in "fiu" and arr.size:
        if arr.dtype.kind == "O":
            try:
                return np.ascontiguousarray(arr.astype(np.float64))
            except (TypeError, ValueError) as e:
                raise TypeError(f"{what} must be numbers: {e}") from None
        raise TypeError(f"{what} must be numbers, not {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def as_micro_array(x: ArrayLike, what: str) -> NDArray[np.int64]:
    """`x` as a C-contiguous int64 array of exact micro units."""
    arr = _vector(x, what)
    if arr.dtype.kind not in "iu" and arr.size:
        raise TypeError(f"{what} must be integers (micro units), not {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def to_ns(t: TimeLike | None, what: str = "time") -> int | None:
    """A time as int ns since the epoch: int, numpy datetime64/int, or datetime (naive = UTC).

    Dates outside 1677-09-21 .. 2262-04-11 and bools raise InvalidArgumentError."""
    if t is None:
        return None
    if isinstance(t, (bool, np.bool_)):
        raise InvalidArgumentError(f"{what} must be a time (int ns, datetime), not a bool ({t})")
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.UTC)
        delta = t - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
        ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
        if not -_I64_MAX <= ns <= _I64_MAX:
            raise InvalidArgumentError(f"time {t.isoformat()} is outside {RANGE_TEXT}")
        return ns
    if isinstance(t, np.datetime64):
        if np.isnat(t):
            raise InvalidArgumentError("time is NaT")
        try:
            return int(_datetime64_to_ns(np.asarray([t]), "time")[0])
        except InvalidArgumentError:
            raise InvalidArgumentError(f"time {t} is outside {RANGE_TEXT}") from None
    if isinstance(t, float):
        raise TypeError(f"time must be int ns, datetime or datetime64, not {type(t).__name__}")
    return int(t)  # ints and numpy integers (TypeError for anything else)
