"""The in-memory series of market data: :class:`TickData`, :class:`BarData`
and :func:`infer_timeframe` (a leaf module: numpy and :mod:`hqt.constants`).

Public as ``hqt.data.TickData`` & co.; defined here so that the CSV readers
(:mod:`hqt.data`) and the DataFrame / Parquet readers (:mod:`hqt.frames`) can
both build them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hqt.constants import TIMEFRAMES, Timeframe

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray

__all__ = ["TickData", "BarData", "infer_timeframe"]

_NS_PER_MIN = 60_000_000_000


@dataclass(frozen=True)
class TickData:
    """Ticks read from a file: int64 ns times and float64 prices, equal lengths."""

    time: NDArray[np.int64]
    bid: NDArray[np.float64]
    ask: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.time)


@dataclass(frozen=True)
class BarData:
    """Bars read from a file; time is the open time in ns.

    ``timeframe`` is inferred from the spacing of the bars (None if it cannot be).
    """

    time: NDArray[np.int64]
    open: NDArray[np.float64]
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]
    timeframe: int | None

    def __len__(self) -> int:
        return len(self.time)


def infer_timeframe(time_ns: NDArray[np.int64]) -> int | None:
    """The SPEC timeframe (minutes) matching the smallest gap between bar times, or None."""
    if len(time_ns) < 2:
        return None
    d = np.diff(np.asarray(time_ns, dtype=np.int64))
    d = d[d > 0]
    if not d.size:
        return None
    gap = int(d.min())
    if gap % _NS_PER_MIN == 0 and gap // _NS_PER_MIN in TIMEFRAMES:
        return int(gap // _NS_PER_MIN)
    if 28 * 1440 * _NS_PER_MIN <= gap <= 31 * 1440 * _NS_PER_MIN:
        return int(Timeframe.MN1)
    return None


# Documented (and pickled) as hqt.data.TickData / hqt.data.BarData.
TickData.__module__ = BarData.__module__ = infer_timeframe.__module__ = "hqt.data"
