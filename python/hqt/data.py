"""CSV loaders for MetaTrader exports and plain tick/bar files (pure Python + numpy).

Formats (``format=`` names; ``"auto"`` detects them from the first line):

``mt5_ticks``
    MetaTrader 5 tick export, tab-separated, with the header
    ``<DATE> <TIME> <BID> <ASK> <LAST> <VOLUME> <FLAGS>``; dates like
    ``2024.01.02``, times like ``00:00:00.123``. An empty BID or ASK means
    "unchanged": the last value is carried forward. Rows before both a bid and
    an ask are known, and rows that change neither (LAST-only ticks), are
    skipped.
``mt5_bars``
    MetaTrader 5 bar export, tab-separated, header
    ``<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>``
    (``<TIME>`` is absent for daily and longer bars). Volume is TICKVOL
    (``volume="tick"``) or VOL (``volume="real"``).
``mt4_bars``
    MetaTrader 4 style comma bars without header: ``2024.01.02,00:00,o,h,l,c,v``.
``plain_ticks`` / ``plain_bars``
    Comma-separated (tab and semicolon also recognised) with a header naming
    the columns: ``time,bid,ask`` or ``time,open,high,low,close[,volume]``, in
    any order, extra columns ignored. ``time`` is integer nanoseconds since the
    epoch (or seconds / ms / us with ``unit="s"`` / ``"ms"`` / ``"us"``; without
    it, integers that only make sense in one of those units are refused) or
    ISO-8601 (``2024-01-02T00:00:00.123``, optional ``Z`` or ``+hh:mm``;
    naive times are UTC).

Dates outside 1677-09-21 .. 2262-04-11, which int64 nanoseconds cannot hold
(``3169-01-01``, MetaTrader's ``0001.01.01``), raise :class:`hqt.CSVFormatError`
naming the line instead of wrapping around to another date.

Files may be UTF-8 (with or without BOM) or UTF-16 (as MetaTrader writes
them). Blank lines are ignored. A line that cannot be read raises
:class:`hqt.CSVFormatError` naming the file and 1-based line number: wrong
number of fields, a value that is not a number or a date. Values that read
fine but break the engine's data rules (a price that is not finite and
positive, ask < bid, high/low not around open and close, a time going
backwards) are checked by the engine's own rule (``hqt_validate_ticks`` /
``hqt_validate_bars``) and raise what ``Engine.load_ticks`` / ``load_bars``
would: the same class (:class:`hqt.InvalidPriceError`,
:class:`hqt.BadDataError`, :class:`hqt.DataOrderError`) and message, after
``"<file>:<line>: "``; the exception's ``path``, ``line`` and ``index`` (the
row among the file's ticks or bars) say where.

With pyarrow installed, every format is read by its streaming CSV reader
(:mod:`hqt._fastcsv`: millions of rows/s, UTF-16 included), which also
reads ``dukascopy_ticks`` / ``dukascopy_bars`` (``Gmt time,Ask,Bid,...``,
day-first dates, UTC) and ``histdata_ticks`` / ``histdata_bars``
(``20240102 000000123,...``, EST without daylight saving), and takes the
``time_column=``, ``time_format=``, ``dayfirst=``, ``tz=`` and ``broker_tz=``
options of :func:`read_csv`. The Python reader below (numpy-vectorised
parsing; splitting lines is a Python loop: a million tick lines take about
3 s) reads the MT5/MT4/plain formats when pyarrow is missing or refuses a
file, and gives the line-exact error messages.
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

import numpy as np

from hqt import _fastcsv, _optional
from hqt._arrays import RANGE_TEXT, as_time_array
from hqt._series import BarData, TickData, infer_timeframe
from hqt.errors import CSVFormatError, HQTError, InvalidArgumentError
from hqt.frames import read_parquet as _read_parquet

if TYPE_CHECKING:  # pragma: no cover
    from hqt.engine import Engine

__all__ = [
    "TickData",
    "BarData",
    "FORMATS",
    "detect_format",
    "read_csv",
    "read_ticks",
    "read_bars",
    "read_parquet",
    "infer_timeframe",
    "load_csv",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Format names accepted by ``format=``.
FORMATS = (
    "mt5_ticks",
    "mt5_bars",
    "mt4_bars",
    "plain_ticks",
    "plain_bars",
    "dukascopy_ticks",
    "dukascopy_bars",
    "histdata_ticks",
    "histdata_bars",
)
_TICK_FORMATS = ("mt5_ticks", "plain_ticks", "dukascopy_ticks", "histdata_ticks")

_NS_PER_MIN = 60_000_000_000


# ---- reading lines ------------------------------------------------------------------


class _Rows:
    """Non-blank lines of a file split into fields, with their line numbers.

    A chunk of a longer file (hqt.tickfile) sets ``previous_time`` (the last tick
    before it) and ``first_index`` (the number of ticks before it) for the checks.
    """

    def __init__(self, path: PathLike, lines: list[str], numbers: list[int]) -> None:
        self.path = os.fspath(path)
        self.lines = lines
        self.numbers = numbers
        self.previous_time = 0
        self.first_index = 0

    def rest(self) -> _Rows:
        """These rows without the first (a header line)."""
        r = _Rows(self.path, self.lines[1:], self.numbers[1:])
        r.previous_time, r.first_index = self.previous_time, self.first_index
        return r

    def error(self, index: int, reason: str) -> CSVFormatError:
        return CSVFormatError(self.path, self.numbers[index] if index >= 0 else 0, reason)

    def split(self, sep: str, need: int, what: str) -> list[list[str]]:
        rows = [ln.split(sep) for ln in self.lines]
        lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        bad = np.flatnonzero(lens < need)
        if bad.size:
            i = int(bad[0])
            raise self.error(
                i, f"expected at least {need} fields ({what}), found {lens[i]}: {self.lines[i]!r}"
            )
        return rows


def _decode(path: PathLike, raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        encoding, data = "utf-16", raw
    elif raw.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8", raw[3:]
    elif len(raw) >= 2 and raw[1] == 0 and raw[0] != 0:
        encoding, data = "utf-16-le", raw
    else:
        encoding, data = "utf-8", raw
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CSVFormatError(path, line, f"not valid {encoding} text ({e.reason})") from None


def _read(path: PathLike) -> _Rows:
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise CSVFormatError(path, 0, f"cannot read the file: {e.strerror or e}") from e
    lines: list[str] = []
    numbers: list[int] = []
    for n, ln in enumerate(_decode(path, raw).splitlines(), 1):
        if ln and not ln.isspace():
            lines.append(ln)
            numbers.append(n)
    return _Rows(path, lines, numbers)


# ---- column parsing -------------------------------------------------------------------


def _column(rows: list[list[str]], k: int) -> np.ndarray:
    return np.char.strip(np.array([r[k] for r in rows], dtype=str))


def _floats(src: _Rows, col: np.ndarray, name: str, allow_empty: bool = False) -> np.ndarray:
    """Column of strings -> float64; empty cells are NaN when allowed."""
    vals = np.full(len(col), np.nan)
    if not len(col):
        return vals
    empty = col == ""
    if empty.any() and not allow_empty:
        raise src.error(int(np.flatnonzero(empty)[0]), f"{name} is empty")
    given = ~empty
    try:
        vals[given] = col[given].astype(np.float64)
    except ValueError:
        for i in np.flatnonzero(given):
            try:
                float(col[i])
            except ValueError:
                raise src.error(int(i), f"{name} {col[i]!r} is not a number") from None
        raise  # pragma: no cover
    return vals  # "nan" / "inf" are numbers here; the engine's rule rejects them


def _iso_to_ns(
    src: _Rows,
    iso: np.ndarray,
    what: str,
    shown: Any = None,
) -> np.ndarray:
    """ISO-8601 strings (naive = UTC) -> int64 ns; errors name the line.

    ``shown(i)`` gives the text of row i as it is in the file, for messages.
    """
    if not len(iso):
        return np.zeros(0, np.int64)
    try:
        ns = iso.astype("datetime64[ns]").view(np.int64)
    except ValueError:
        for i, s in enumerate(iso):
            try:
                np.datetime64(str(s), "ns")
            except ValueError:
                text = shown[i] if shown is not None else str(s)
                raise src.error(i, f"{what} {text!r} is not a valid date/time") from None
        raise CSVFormatError(
            src.path, 0, f"cannot parse {what} values"
        ) from None  # pragma: no cover
    # numpy wraps dates int64 ns cannot hold (3169-01-01 becomes 1999-11-23,
    # MetaTrader's 0001.01.01 1754-08-30): microseconds hold them all, so a
    # date whose ns and us disagree was wrapped
    us = iso.astype("datetime64[us]").view(np.int64)
    bad = (ns // 1000 != us) | (ns == np.iinfo(np.int64).min)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        text = shown[i] if shown is not None else str(iso[i])
        raise src.error(i, f"{what} {text!r} is outside {RANGE_TEXT}")
    return ns


_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)$")


def _parse_time_column(src: _Rows, col: np.ndarray, unit: str | None = None) -> np.ndarray:
    """Plain-file time column: integers in `unit` (None: ns) or ISO-8601 with optional
    Z / offset."""
    if not len(col):
        return np.zeros(0, np.int64)
    digits = np.char.isdigit(np.char.lstrip(col, "-"))
    if digits.all():
        try:
            ints = col.astype(np.int64)
        except (ValueError, OverflowError):
            for i, s in enumerate(col):
                try:
                    v = int(s)
                    if not -(2**63) <= v < 2**63:
                        raise ValueError
                except ValueError:
                    raise src.error(i, f"time {s!r} does not fit int64 nanoseconds") from None
            raise  # pragma: no cover
        try:
            return as_time_array(ints, "time", unit)
        except InvalidArgumentError as e:
            m = re.match(r"time\[(\d+)\] = ", str(e))
            i = int(m.group(1)) if m else -1
            raise src.error(i, str(e)) from None
    if unit is not None:
        raise InvalidArgumentError(
            f"{src.path}: unit= is for integer times; this file's times are ISO-8601 dates"
        )
    if digits.any():
        i = int(np.flatnonzero(digits != digits[0])[0])
        raise src.error(i, f"time {col[i]!r}: mixes integer nanoseconds and ISO-8601 times")
    s = np.char.replace(col, " ", "T")
    zulu = np.char.endswith(s, "Z")
    if zulu.any():
        s = np.where(zulu, np.char.rstrip(s, "Z"), s)
    # an offset is a '+' anywhere, or a '-' after the date part
    has_off = (np.char.find(s, "+") >= 0) | (np.char.rfind(s, "-") > 10)
    offsets = np.zeros(len(s), np.int64)
    if has_off.any():
        s = s.copy()
        for k in np.flatnonzero(has_off):
            i = int(k)
            m = _OFFSET.search(str(s[i]))
            if not m:
                raise src.error(i, f"time {col[i]!r} is not a valid ISO-8601 time")
            sign = 1 if m.group(1) == "+" else -1
            offsets[i] = sign * (int(m.group(2)) * 60 + int(m.group(3))) * _NS_PER_MIN
            s[i] = str(s[i])[: m.start()]
    return _iso_to_ns(src, s, "time") - offsets


def _mt_times(src: _Rows, dates: np.ndarray, times: np.ndarray | None) -> np.ndarray:
    """MetaTrader 'YYYY.MM.DD' dates and 'HH:MM[:SS[.fff]]' times -> int64 ns."""
    if not len(dates):
        return np.zeros(0, np.int64)
    iso = np.char.replace(dates, ".", "-")
    if times is not None:
        iso = np.char.add(np.char.add(iso, "T"), times)
    shown = _LazyJoin(dates, times)
    return _iso_to_ns(src, iso, "date/time", shown)


class _LazyJoin:
    """Row i as 'DATE TIME' from the file, built only when a message needs it."""

    def __init__(self, dates: np.ndarray, times: np.ndarray | None) -> None:
        self.dates, self.times = dates, times

    def __getitem__(self, i: int) -> str:
        d = str(self.dates[i])
        return d if self.times is None else f"{d} {self.times[i]}"


def _at_line(src: _Rows, index: np.ndarray, e: HQTError) -> HQTError:
    """The engine's error `e` for row e.index of `index`, located in the file."""
    j = int(getattr(e, "index", 0))
    line = src.numbers[int(index[j])] if len(index) else 0
    err = type(e)(f"{src.path}:{line}: {e}")
    err.path, err.line = src.path, line  # type: ignore[attr-defined]
    err.index = src.first_index + j  # type: ignore[attr-defined]
    return err


def _check_ticks(
    src: _Rows, index: np.ndarray, time: np.ndarray, bid: np.ndarray, ask: np.ndarray
) -> None:
    """The engine's tick rule; tick j is line src.numbers[index[j]]."""
    from hqt import _hqt

    try:
        _hqt.validate_ticks(
            np.ascontiguousarray(time, dtype=np.int64),
            np.ascontiguousarray(bid, dtype=np.float64),
            np.ascontiguousarray(ask, dtype=np.float64),
            src.previous_time,
            "tick",
            src.first_index,
        )
    except HQTError as e:
        raise _at_line(src, index, e) from None


def _check_bars(
    src: _Rows,
    time: np.ndarray,
    timeframe: int | None,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
) -> None:
    """The engine's bar rule; bar j is row j."""
    from hqt import _hqt

    def f64(x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=np.float64)

    try:
        _hqt.validate_bars(
            timeframe or 1,
            np.ascontiguousarray(time, dtype=np.int64),
            f64(o),
            f64(h),
            f64(lo),
            f64(c),
            f64(v),
        )
    except HQTError as e:
        raise _at_line(src, np.arange(len(time)), e) from None


# ---- formats ---------------------------------------------------------------------------


def _header_index(
    src: _Rows, header: list[str], names: dict[str, tuple[str, ...]], optional: tuple[str, ...] = ()
) -> dict[str, int]:
    norm = [h.strip().strip("<>").strip().lower() for h in header]
    out: dict[str, int] = {}
    for key, aliases in names.items():
        for a in aliases:
            if a in norm:
                out[key] = norm.index(a)
                break
        else:
            if key not in optional:
                accepted = "; ".join(f"{k}: {' / '.join(a)}" for k, a in names.items())
                raise CSVFormatError(
                    src.path,
                    src.numbers[0],
                    f"header has no {key!r} column (columns: {', '.join(norm)}); "
                    f"accepted names: {accepted}"
                    + ("; or name the time column with time_column=" if key == "time" else ""),
                )
    return out


def _read_mt5_ticks(src: _Rows) -> TickData:
    if src.lines and src.lines[0].lstrip().startswith("<"):
        idx = _header_index(
            src,
            src.lines[0].split("\t"),
            {"date": ("date",), "time": ("time",), "bid": ("bid",), "ask": ("ask",)},
        )
        body = src.rest()
    else:
        idx = {"date": 0, "time": 1, "bid": 2, "ask": 3}
        body = src
    need = max(idx.values()) + 1
    rows = body.split("\t", need, "<DATE> <TIME> <BID> <ASK> ...")
    time = _mt_times(body, _column(rows, idx["date"]), _column(rows, idx["time"]))
    bid_col, ask_col = _column(rows, idx["bid"]), _column(rows, idx["ask"])
    bid = _floats(body, bid_col, "BID", allow_empty=True)
    ask = _floats(body, ask_col, "ASK", allow_empty=True)
    no_bid, no_ask = bid_col == "", ask_col == ""
    changed = ~no_bid | ~no_ask
    n = len(bid)
    pos = np.arange(n)
    # carry the last given value forward
    bid_src = np.maximum.accumulate(np.where(no_bid, -1, pos)) if n else pos
    ask_src = np.maximum.accumulate(np.where(no_ask, -1, pos)) if n else pos
    keep = changed & (bid_src >= 0) & (ask_src >= 0)
    index = np.flatnonzero(keep)
    bid_f = bid[bid_src[index]]
    ask_f = ask[ask_src[index]]
    time = time[index]
    _check_ticks(body, index, time, bid_f, ask_f)
    return TickData(time, bid_f, ask_f)


def _bars_from_columns(
    src: _Rows,
    time: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
) -> BarData:
    tf = infer_timeframe(time)
    _check_bars(src, time, tf, o, h, lo, c, v)
    return BarData(time, o, h, lo, c, v, tf)


def _read_mt5_bars(src: _Rows, volume: str) -> BarData:
    vol_names = {"tick": ("tickvol", "tick_volume"), "real": ("vol", "volume", "real_volume")}
    if volume not in vol_names:
        raise InvalidArgumentError(f"volume must be 'tick' or 'real', got {volume!r}")
    if src.lines and src.lines[0].lstrip().startswith("<"):
        idx = _header_index(
            src,
            src.lines[0].split("\t"),
            {
                "date": ("date",),
                "time": ("time",),
                "open": ("open",),
                "high": ("high",),
                "low": ("low",),
                "close": ("close",),
                "volume": vol_names[volume],
            },
            optional=("time", "volume"),
        )
        body = src.rest()
    else:
        idx = {
            "date": 0,
            "time": 1,
            "open": 2,
            "high": 3,
            "low": 4,
            "close": 5,
            "volume": 6 if volume == "tick" else 7,
        }
        body = src
    need = max(idx.values()) + 1
    rows = body.split("\t", need, "<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> ...")
    times = _column(rows, idx["time"]) if "time" in idx else None
    time = _mt_times(body, _column(rows, idx["date"]), times)
    cols = [
        _floats(body, _column(rows, idx[k]), k.upper()) for k in ("open", "high", "low", "close")
    ]
    vol = (
        _floats(body, _column(rows, idx["volume"]), volume.upper() + " VOLUME")
        if "volume" in idx
        else np.zeros(len(time))
    )
    return _bars_from_columns(body, time, cols[0], cols[1], cols[2], cols[3], vol)


def _read_mt4_bars(src: _Rows) -> BarData:
    body = src
    if src.lines and not src.lines[0].lstrip()[:1].isdigit():
        body = src.rest()  # a header line
    rows = body.split(",", 6, "date,time,open,high,low,close[,volume]")
    time = _mt_times(body, _column(rows, 0), _column(rows, 1))
    cols = [
        _floats(body, _column(rows, k), name)
        for k, name in ((2, "open"), (3, "high"), (4, "low"), (5, "close"))
    ]
    lens = {len(r) for r in rows}
    vol = (
        _floats(
            body, np.array([r[6].strip() if len(r) > 6 else "0" for r in rows], dtype=str), "volume"
        )
        if lens and max(lens) > 6
        else np.zeros(len(time))
    )
    return _bars_from_columns(body, time, cols[0], cols[1], cols[2], cols[3], vol)


def _sniff_sep(header: str) -> str:
    for sep in (",", "\t", ";"):
        if sep in header:
            return sep
    return ","


_TIME_NAMES = ("time", "time_ns", "timestamp", "datetime", "date")


def _read_plain(src: _Rows, bars: bool, unit: str | None = None) -> TickData | BarData:
    if not src.lines:
        raise CSVFormatError(src.path, 0, "empty file: expected a header line")
    sep = _sniff_sep(src.lines[0])
    header = src.lines[0].split(sep)
    if bars:
        idx = _header_index(
            src,
            header,
            {
                "time": _TIME_NAMES,
                "open": ("open",),
                "high": ("high",),
                "low": ("low",),
                "close": ("close",),
                "volume": ("volume", "tickvol", "tick_volume"),
            },
            optional=("volume",),
        )
    else:
        idx = _header_index(src, header, {"time": _TIME_NAMES, "bid": ("bid",), "ask": ("ask",)})
    body = src.rest()
    rows = body.split(sep, max(idx.values()) + 1, sep.join(header).strip())
    time = _parse_time_column(body, _column(rows, idx["time"]), unit)
    if bars:
        cols = [_floats(body, _column(rows, idx[k]), k) for k in ("open", "high", "low", "close")]
        vol = (
            _floats(body, _column(rows, idx["volume"]), "volume")
            if "volume" in idx
            else np.zeros(len(time))
        )
        return _bars_from_columns(body, time, cols[0], cols[1], cols[2], cols[3], vol)
    bid = _floats(body, _column(rows, idx["bid"]), "bid")
    ask = _floats(body, _column(rows, idx["ask"]), "ask")
    _check_ticks(body, np.arange(len(time)), time, bid, ask)
    return TickData(time, bid, ask)


_MT_DATE = re.compile(r"^\s*\d{4}\.\d{2}\.\d{2}")
_HISTDATA = re.compile(r"^\s*\d{8} \d{6}")
_DUKASCOPY = re.compile(r"^\s*(gmt|local) time\s*[,;\t]", re.IGNORECASE)


def _detect(src: _Rows) -> str:
    if not src.lines:
        raise CSVFormatError(src.path, 0, "empty file: cannot detect its format; pass format=")
    first = src.lines[0].strip()
    up = first.upper()
    if up.startswith("<DATE>"):
        if "<BID>" in up or "<ASK>" in up:
            return "mt5_ticks"
        if "<OPEN>" in up:
            return "mt5_bars"
    elif _HISTDATA.match(first):
        return "histdata_ticks" if "," in first else "histdata_bars"
    elif _DUKASCOPY.match(first):
        up_names = {h.strip().lower() for h in first.split(_sniff_sep(first))}
        return "dukascopy_ticks" if up_names & {"bid", "ask"} else "dukascopy_bars"
    elif _MT_DATE.match(first):
        if "\t" in first:
            return "mt5_bars" if len(first.split("\t")) >= 8 else "mt5_ticks"
        if "," in first:
            return "mt4_bars"
    else:
        names = {h.strip().lower() for h in first.split(_sniff_sep(first))}
        if names & {"bid", "ask"}:
            return "plain_ticks"
        if names & {"open", "high", "low", "close"}:
            return "plain_bars"
    raise CSVFormatError(
        src.path,
        src.numbers[0],
        f"unrecognised format (first line {first[:60]!r}); pass format= "
        f"one of {', '.join(FORMATS)}",
    )


# ---- public API ---------------------------------------------------------------------------


def detect_format(path: PathLike) -> str:
    """The format name of a CSV file, from its first non-blank line."""
    return _detect(_read(path))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Splitting a million lines makes millions of small lists: without this the
    cyclic GC would scan them over and over (4x slower). None of them are cyclic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_csv(
    path: PathLike,
    format: str = "auto",
    *,
    volume: str = "tick",
    unit: str | None = None,
    time_column: str | None = None,
    time_format: str | None = None,
    dayfirst: bool = False,
    tz: Any = None,
    broker_tz: Any = None,
) -> TickData | BarData:
    """Read a tick or bar CSV file into numpy arrays (see the module doc for formats).

    ``unit``: the unit of integer times in a plain file (``"s"``, ``"ms"``,
    ``"us"``, ``"ns"``; None = ns, refusing times that only make sense as
    seconds, milliseconds or microseconds).

    ``time_column``: the header name of the time column (plain and Dukascopy
    files), when it is none of the accepted names. ``time_format``: a
    strptime format of the times (``"%d.%m.%Y %H:%M:%S.%f"``; see
    :mod:`hqt._timeparse`), ``dayfirst=True``: dates like ``31.01.2024`` or
    ``31/01/2024`` (the format is guessed from the first value). ``tz``: the
    time zone the file's times are written in (default UTC; HistData:
    ``"-05:00"``): an IANA name (``"Europe/Berlin"``, with its DST), an offset
    (``"+02:00"`` or hours ``2``) or a zone shifted by whole hours
    (``"America/New_York+7"``). ``broker_tz``: the same for MetaTrader
    exports, which are written in the broker's server time (most brokers:
    ``"America/New_York+7"``, UTC+2 in winter and UTC+3 in summer, switching
    with US DST). The result is always UTC. Times written with their own
    offset (ISO 8601 ``+02:00`` / ``Z``, Dukascopy's ``GMT+0200``) are made
    UTC by it; ``tz``/``broker_tz`` with them would apply a second offset and
    raise InvalidArgumentError. With pyarrow installed every format is read by
    its CSV reader (:mod:`hqt._fastcsv`)."""
    with _gc_paused():
        opts = csv_options(format, time_column, time_format, dayfirst, tz, broker_tz)
        data = _read_fast(path, format, volume, unit, opts)
        if data is not None:
            return data
        data = _read_csv(path, format, volume, unit)
        return _apply_tz(path, data, opts.tz)


@dataclass
class CsvOptions:
    """The time options of a CSV read, checked (see :func:`read_csv`)."""

    time_column: str | None = None
    time_format: str | None = None
    dayfirst: bool = False
    tz: Any = None  # _fastcsv.check_tz's form
    broker: bool = False

    @property
    def needs_fast(self) -> bool:
        """Options only the pyarrow reader implements."""
        return self.time_column is not None or self.time_format is not None or self.dayfirst


def csv_options(
    format: str,
    time_column: str | None,
    time_format: str | None,
    dayfirst: bool,
    tz: Any,
    broker_tz: Any,
) -> CsvOptions:

    if format != "auto" and format not in FORMATS:
        raise InvalidArgumentError(
            f"unknown format {format!r}; use 'auto' or one of {', '.join(FORMATS)}"
        )
    if time_column is not None and not isinstance(time_column, str):
        raise InvalidArgumentError(f"time_column must be a column name, not {time_column!r}")
    if time_format is not None and (not isinstance(time_format, str) or "%" not in time_format):
        raise InvalidArgumentError(
            f"time_format must be a strptime format such as '%d.%m.%Y %H:%M:%S.%f', "
            f"not {time_format!r}"
        )
    if not isinstance(dayfirst, bool):
        raise InvalidArgumentError("dayfirst must be True or False")
    if tz is not None and broker_tz is not None:
        raise InvalidArgumentError("pass tz= or broker_tz=, not both (they say the same)")
    zone = _fastcsv.check_tz(
        broker_tz if broker_tz is not None else tz, "broker_tz" if broker_tz is not None else "tz"
    )
    return CsvOptions(time_column, time_format, dayfirst, zone, broker_tz is not None)


def _check_fit(path: PathLike, fmt: str, opts: CsvOptions) -> None:
    if opts.broker and not fmt.startswith(("mt5_", "mt4_")):
        raise InvalidArgumentError(
            f"{os.fspath(path)}: broker_tz= is for MetaTrader exports, not {fmt}; use tz="
        )
    if opts.time_column is not None and not fmt.startswith(("plain_", "dukascopy_")):
        raise InvalidArgumentError(
            f"{os.fspath(path)}: time_column= is for files with a header naming "
            f"the columns (plain, dukascopy), not {fmt}"
        )


#: A time written with its own UTC offset: ISO 8601 with Z / +hh:mm / +hhmm,
#: or Dukascopy's "GMT+0200" suffix.
_OWN_OFFSET = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$"
    r"|GMT[+-]\d{2}:?\d{2}$"
)


def _refuse_second_offset(path: PathLike, opts: CsvOptions) -> None:
    """tz= / broker_tz= on a file whose times carry their own UTC offset would
    apply a second offset (each reader already makes such times UTC): refused.
    Looked for in the first rows' fields, header or not."""
    try:
        lines, _ = _fastcsv._first_lines(path, 3)
    except (OSError, UnicodeDecodeError):
        return  # the reader reports it
    for line in lines:
        for field in line.split(_fastcsv._sniff(line)):
            value = field.strip().strip('"')
            if _OWN_OFFSET.search(value):
                name = "broker_tz" if opts.broker else "tz"
                raise InvalidArgumentError(
                    f"{os.fspath(path)}: its times carry their own UTC offset "
                    f"({value!r}), which already makes them UTC; {name}= would apply "
                    f"a second one: leave {name}= out"
                )


def fast_layout(path: PathLike, format: str, opts: CsvOptions) -> Any:
    """(format, _fastcsv.Layout) of a file, or None when pyarrow cannot read it
    (not installed, an unusual file) and no option needs it."""

    head = _head_rows(path)
    fmt = _detect(head) if format == "auto" else format
    _check_fit(path, fmt, opts)
    if opts.tz is not None:
        _refuse_second_offset(path, opts)
    if _optional.optional("pyarrow.csv") is None:
        if opts.needs_fast or fmt in _fastcsv.NEW_FORMATS:
            raise InvalidArgumentError(
                f"{os.fspath(path)}: reading {fmt} files"
                + (" with time_column=, time_format= or dayfirst=" if opts.needs_fast else "")
                + " needs pyarrow (pip install pyarrow)"
            )
        return fmt, None
    try:
        lay = _fastcsv.layout(
            path,
            fmt,
            time_column=opts.time_column,
            time_format=opts.time_format,
            dayfirst=opts.dayfirst,
            tz=opts.tz if opts.tz is not None else None,
        )
    except _fastcsv.Unsupported as e:
        if opts.needs_fast or fmt in _fastcsv.NEW_FORMATS:
            raise CSVFormatError(path, 0, f"cannot read it as {fmt}: {e}") from None
        return fmt, None
    lay.strict = opts.needs_fast or fmt in _fastcsv.NEW_FORMATS
    return fmt, lay


def _head_rows(path: PathLike) -> _Rows:

    try:
        lines, numbers = _fastcsv._first_lines(path, 1)
    except OSError as e:
        raise CSVFormatError(path, 0, f"cannot read the file: {e.strerror or e}") from e
    except UnicodeDecodeError:
        return _read(path)
    return _Rows(path, lines, numbers)


def _read_fast(
    path: PathLike, format: str, volume: str, unit: str | None, opts: CsvOptions
) -> TickData | BarData | None:
    """The whole file by pyarrow, checked by the engine's rule; None: let the
    Python reader read it (it names the line of any problem)."""

    fmt, lay = fast_layout(path, format, opts)
    if unit is not None and fmt not in ("plain_ticks", "plain_bars"):
        raise InvalidArgumentError(
            f"{os.fspath(path)}: unit= is for the integer times of plain CSV files, "
            f"not {fmt} (its times are dates)"
        )
    if volume not in ("tick", "real"):
        raise InvalidArgumentError(f"volume must be 'tick' or 'real', got {volume!r}")
    if lay is None:
        return None
    strict = opts.needs_fast or fmt in _fastcsv.NEW_FORMATS
    try:
        parts = list(_fastcsv.batches(lay, unit, volume))
    except _fastcsv.Unsupported as e:
        if strict:
            raise CSVFormatError(path, 0, f"cannot read it as {fmt}: {e}") from None
        return None
    try:
        return _joined(path, parts, lay)
    except HQTError:
        if strict:
            raise
        return None  # the Python reader gives the same error, at its line


def _joined(path: PathLike, parts: list[Any], lay: Any) -> TickData | BarData:
    src = _Rows(path, [], [])
    if lay.kind == "ticks":
        t = np.concatenate([p.time for p in parts]) if parts else np.zeros(0, np.int64)
        b = np.concatenate([p.bid for p in parts]) if parts else np.zeros(0)
        a = np.concatenate([p.ask for p in parts]) if parts else np.zeros(0)
        src.numbers = _LineOf(lay.first_line)  # type: ignore[assignment]
        _check_ticks(src, cast(Any, _Identity()), t, b, a)
        return TickData(t, b, a)
    cols = [
        np.concatenate([getattr(p, k) for p in parts]) if parts else np.zeros(0)
        for k in ("time", "open", "high", "low", "close", "volume")
    ]
    src.numbers = _LineOf(lay.first_line)  # type: ignore[assignment]
    time = cols[0].astype(np.int64, copy=False)
    return _bars_from_columns(src, time, *cols[1:])


class _LineOf:
    """Line number of data row i (pyarrow skips blank lines: exact without them)."""

    def __init__(self, first: int) -> None:
        self.first = first

    def __getitem__(self, i: int) -> int:
        return self.first + int(i)

    def __len__(self) -> int:
        return 1


class _Identity:
    def __getitem__(self, i: int) -> int:
        return int(i)

    def __len__(self) -> int:
        return 1


def _apply_tz(path: PathLike, data: TickData | BarData, zone: Any) -> TickData | BarData:
    """The Python reader's result with times in `zone` made UTC."""
    if zone is None:
        return data
    from dataclasses import replace

    try:
        t = _fastcsv.to_utc(np.asarray(data.time, dtype=np.int64), zone, {})
    except ValueError as e:
        raise CSVFormatError(path, 0, f"time zone: {e}") from None
    return replace(data, time=t)


def _read_csv(
    path: PathLike, format: str, volume: str, unit: str | None = None
) -> TickData | BarData:
    src = _read(path)
    fmt = _detect(src) if format == "auto" else format
    if unit is not None and fmt not in ("plain_ticks", "plain_bars"):
        raise InvalidArgumentError(
            f"{os.fspath(path)}: unit= is for the integer times of plain CSV files, "
            f"not {fmt} (its times are dates)"
        )
    if fmt == "mt5_ticks":
        return _read_mt5_ticks(src)
    if fmt == "mt5_bars":
        return _read_mt5_bars(src, volume)
    if fmt == "mt4_bars":
        return _read_mt4_bars(src)
    if fmt in ("plain_ticks", "plain_bars"):
        return _read_plain(src, bars=fmt == "plain_bars", unit=unit)
    raise InvalidArgumentError(
        f"unknown format {format!r}; use 'auto' or one of {', '.join(FORMATS)}"
    )


def read_ticks(path: PathLike, format: str = "auto", **options: Any) -> TickData:
    """Read a tick file (mt5_ticks, plain_ticks, dukascopy_ticks, histdata_ticks);
    `options` as :func:`read_csv`'s."""
    data = read_csv(path, format, **options)
    if not isinstance(data, TickData):
        raise InvalidArgumentError(f"{os.fspath(path)} holds bars, not ticks; use read_bars")
    return data


def read_bars(
    path: PathLike, format: str = "auto", *, volume: str = "tick", **options: Any
) -> BarData:
    """Read a bar file (mt5_bars, mt4_bars, plain_bars, dukascopy_bars,
    histdata_bars); `options` as :func:`read_csv`'s."""
    data = read_csv(path, format, volume=volume, **options)
    if not isinstance(data, BarData):
        raise InvalidArgumentError(f"{os.fspath(path)} holds ticks, not bars; use read_ticks")
    return data


def read_parquet(
    path: PathLike, kind: str = "auto", *, timeframe: int | None = None
) -> TickData | BarData:
    """Read a Parquet file of ticks or bars into numpy columns (needs pyarrow).

    ``kind``: ``"ticks"`` (time, bid, ask), ``"bars"`` (time, open, high,
    low, close[, volume]) or ``"auto"`` (from the column names). See
    :mod:`hqt.frames` for the accepted column names and time types, and
    ``Engine.load_parquet`` to load a file batch by batch.
    """
    return _read_parquet(path, kind, timeframe=timeframe)


def load_csv(
    engine: Engine,
    symbol_id: int | str,
    path: PathLike,
    *,
    format: str = "auto",
    timeframe: int | None = None,
    volume: str = "tick",
    unit: str | None = None,
    **options: Any,
) -> int:
    """Read a CSV file and load it into `engine` for one symbol; returns the rows loaded.

    The same as ``engine.load_csv(symbol_id, path, ...)``: tick files are read
    and loaded in chunks (memory: the engine's copy plus one chunk), all or
    nothing; bar files are read whole, then loaded. `options`: read_csv's
    time_column, time_format, dayfirst, tz, broker_tz."""
    return engine.load_csv(
        symbol_id, path, format=format, timeframe=timeframe, volume=volume, unit=unit, **options
    )


def _load_csv_whole(
    engine: Engine,
    symbol_id: int | str,
    path: PathLike,
    *,
    format: str = "auto",
    timeframe: int | None = None,
    volume: str = "tick",
    unit: str | None = None,
    **options: Any,
) -> int:
    """load_csv reading the whole file first (bar files, and files without data)."""
    data = read_csv(path, format, volume=volume, unit=unit, **options)
    if isinstance(data, TickData):
        if timeframe is not None:
            raise InvalidArgumentError(
                f"{os.fspath(path)} holds ticks: timeframe= is only for "
                "bar files (use engine.build_bars for bars from ticks)"
            )
        return engine.load_ticks(symbol_id, data.time, data.bid, data.ask)
    tf = timeframe if timeframe is not None else data.timeframe
    if not len(data):
        return 0
    if tf is None:
        raise InvalidArgumentError(
            f"{os.fspath(path)}: cannot infer the bars' timeframe from "
            "their times; pass timeframe= (minutes, e.g. hqt.M1)"
        )
    return engine.load_bars(
        symbol_id, tf, data.time, data.open, data.high, data.low, data.close, data.volume
    )
