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

__all__ = ["TimeLike", "as_time_array", "as_price_array", "as_micro_array", "to_ns"]

TimeLike = int | np.integer | np.datetime64 | _dt.datetime


def _vector(x: Any, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise InvalidArgumentError(f"{what} must be one-dimensional, got shape {arr.shape}")
    return arr


def as_time_array(x: ArrayLike, what: str = "time_ns") -> NDArray[np.int64]:
    """`x` as a C-contiguous int64 array of ns; no copy if it already is one.

    Accepts ints, datetime64 (any unit) and integral floats.
    """
    arr = _vector(x, what)
    kind = arr.dtype.kind
    if kind == "M":
        if np.isnat(arr).any():
            raise InvalidArgumentError(f"{what} contains NaT")
        arr = arr.astype("datetime64[ns]").view(np.int64)
    elif kind == "u":
        if arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            raise InvalidArgumentError(f"{what} has values beyond int64 nanoseconds")
    elif kind == "f":
        if arr.size and (not np.isfinite(arr).all() or (arr != np.floor(arr)).any()):
            raise InvalidArgumentError(
                f"{what} must hold whole nanoseconds (no NaN, no fractions); pass an int64 array"
            )
    elif kind == "b" or (kind not in "i" and arr.size):
        raise TypeError(f"{what} must be integers (ns) or datetime64, not {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.int64)


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


def to_ns(t: TimeLike | None) -> int | None:
    """A time as int ns since the epoch: int, numpy datetime64/int, or datetime (naive = UTC)."""
    if t is None:
        return None
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.UTC)
        delta = t - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if isinstance(t, np.datetime64):
        if np.isnat(t):
            raise InvalidArgumentError("time is NaT")
        return int(t.astype("datetime64[ns]").astype(np.int64))
    if isinstance(t, (bool, float)):
        raise TypeError(f"time must be int ns, datetime or datetime64, not {type(t).__name__}")
    return int(t)  # ints and numpy integers (TypeError for anything else)
