"""Every CSV format read by pyarrow's streaming CSV reader (``hqt.read_csv``,
``Engine.load_csv``).

pyarrow, not polars: it is already the Parquet dependency of HQT (one
library, not two), its streaming reader hands over fixed-size record batches
(bounded memory for any file size), it transcodes UTF-16 as it streams, and
its buffers are viewed by numpy without a copy. polars' CSV reader is as fast
but reads whole frames (its batched reader is not a stable API) and would be
a second 30 MB native dependency.

pyarrow splits the lines and converts the numbers on its threads; the time
columns come over as text and :mod:`hqt._timeparse` reads them (fixed-width,
vectorised); a time zone is applied by :func:`to_utc`. A batch is
``BLOCK_BYTES`` of the file. What this reader cannot take (ragged rows,
values of varying width in an old format, an ISO time pyarrow refuses)
raises :class:`Unsupported`: for the formats the Python reader of
:mod:`hqt.data` knows, the caller then reads the file with it (its results and
line-exact error messages); for the formats only this reader knows, it
becomes a :class:`hqt.CSVFormatError` naming the row.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hqt import _optional
from hqt import _timeparse as T
from hqt._arrays import as_time_array
from hqt._series import BarData, TickData
from hqt.errors import CSVFormatError, InvalidArgumentError
from hqt.frames import _arrow_view

if TYPE_CHECKING:  # pragma: no cover
    from hqt.data import PathLike

#: Bytes per batch: ~25,000 tick lines. Larger blocks were no faster and
#: hold more memory (the reader parses a few blocks ahead).
BLOCK_BYTES = 1 << 20

#: Formats only this reader knows (no Python fallback).
NEW_FORMATS = ("dukascopy_ticks", "dukascopy_bars", "histdata_ticks", "histdata_bars")

_TIME_NAMES = ("time", "time_ns", "timestamp", "datetime", "date", "gmt time", "local time")
_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "bid": ("bid",),
    "ask": ("ask",),
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "close": ("close",),
    "volume": ("volume", "tickvol", "tick_volume", "vol"),
}


_BAR_ROLES = ("open", "high", "low", "close", "volume")


class Unsupported(Exception):
    """A file or batch this reader does not take as it is."""


@dataclass
class Layout:
    """Where the columns of one file are and how to read its times."""

    path: str
    fmt: str
    kind: str  # "ticks" or "bars"
    sep: str
    ncols: int
    skip: int  # raw lines before the first data line (header and blank lines)
    cols: dict[str, int]  # role -> column index ("time", "date", "bid", ...)
    encoding: str
    time_format: str | None = None  # None: integers (unit) or ISO-8601
    date_format: str | None = None  # MT5's separate date column
    int_time: bool = False
    tz: Any = None
    carry: bool = False  # MT5 ticks: an empty BID/ASK means unchanged
    first_line: int = 1  # line number of the first data line
    header: list[str] = field(default_factory=list)
    #: no Python reader to fall back on (a new format, or an option only this
    #: reader has): problems are CSVFormatErrors naming the row, not Unsupported
    strict: bool = False


def encoding_of(path: PathLike) -> str:
    with open(path, "rb") as fh:
        start = fh.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8"  # pyarrow skips a UTF-8 BOM itself
    if len(start) >= 2 and start[1] == 0 and start[0] != 0:
        return "utf-16-le"
    return "utf-8"


def _first_lines(path: PathLike, n: int) -> tuple[list[str], list[int]]:
    """The first `n` non-blank lines and their line numbers (as hqt.tickfile reads them)."""
    enc = encoding_of(path)
    lines: list[str] = []
    numbers: list[int] = []
    with open(path, encoding="utf-8-sig" if enc == "utf-8" else enc, newline=None) as fh:
        for k, ln in enumerate(fh, 1):
            ln = ln.rstrip("\r\n")
            if ln and not ln.isspace():
                lines.append(ln.lstrip("\ufeff"))
                numbers.append(k)
                if len(lines) == n:
                    break
    return lines, numbers


def _sniff(line: str) -> str:
    for sep in ("\t", ";", ","):
        if sep in line:
            return sep
    return ","


def _norm(h: str) -> str:
    return h.strip().strip("<>").strip().lower()


def accepted_columns(kind: str) -> str:
    """The header names a plain file may use, for error messages."""
    roles = ("bid", "ask") if kind == "ticks" else ("open", "high", "low", "close", "volume")
    parts = [f"time: {' / '.join(_TIME_NAMES)}"]
    parts += [f"{r}: {' / '.join(_ROLE_NAMES[r])}" for r in roles]
    return "; ".join(parts)


def layout(path: PathLike, fmt: str, **options: Any) -> Layout:
    """The layout of `path` read as `fmt` (detected already); Unsupported
    when its first lines do not fit the format (the readers decide)."""
    try:
        return _layout(path, fmt, **options)
    except (IndexError, ValueError) as e:
        if isinstance(e, (CSVFormatError, InvalidArgumentError)):
            raise
        raise Unsupported(f"{type(e).__name__}: {e}") from None


def _layout(
    path: PathLike,
    fmt: str,
    *,
    time_column: str | None = None,
    time_format: str | None = None,
    dayfirst: bool = False,
    tz: Any = None,
) -> Layout:
    lines, numbers = _first_lines(path, 2)
    spath = os.fspath(path)
    if len(lines) < 2:
        raise Unsupported("no data line")
    enc = encoding_of(path)
    head, first = lines[0], lines[1]
    kind = "ticks" if fmt.endswith("_ticks") else "bars"
    if fmt in ("mt5_ticks", "mt5_bars"):
        names = [_norm(h) for h in head.split("\t")] if head.lstrip().startswith("<") else []
        if not names:
            raise Unsupported("MT5 file without header")
        roles: tuple[str, ...] = ("bid", "ask") if kind == "ticks" else _BAR_ROLES[:4]
        cols = {r: names.index(r) for r in ("date", "time", *roles) if r in names}
        if any(r not in cols for r in ("date", *roles)):
            raise Unsupported("MT5 header without a needed column")
        if kind == "bars":
            vol = "tickvol"  # the caller picks volume= "real" through _mt5_volume
            if vol in names:
                cols["volume"] = names.index(vol)
        return Layout(
            spath,
            fmt,
            kind,
            "\t",
            len(names),
            numbers[0],
            cols,
            enc,
            time_format=_mt_time_format(first.split("\t")[cols["time"]].strip())
            if "time" in cols
            else None,
            date_format="%Y.%m.%d",
            tz=tz,
            carry=kind == "ticks",
            first_line=numbers[1],
            header=names,
        )
    if fmt == "mt4_bars":
        has_header = not head.lstrip()[:1].isdigit()
        fields = (first if has_header else head).split(",")
        skip = numbers[0] if has_header else numbers[0] - 1
        if len(fields) < 6:
            raise Unsupported("a short row")
        cols = {"date": 0, "time": 1, "open": 2, "high": 3, "low": 4, "close": 5}
        if len(fields) > 6:
            cols["volume"] = 6
        return Layout(
            spath,
            fmt,
            kind,
            ",",
            len(fields),
            skip,
            cols,
            enc,
            time_format=_mt_time_format(fields[1].strip()),
            date_format="%Y.%m.%d",
            tz=tz,
            first_line=numbers[1] if skip == numbers[0] else numbers[0],
        )
    if fmt.startswith("histdata_"):
        sep = "," if kind == "ticks" else ";"
        n = len(head.split(sep))
        cols = (
            {"time": 0, "bid": 1, "ask": 2}
            if kind == "ticks"
            else {"time": 0, "open": 1, "high": 2, "low": 3, "close": 4, "volume": 5}
        )
        if kind == "bars" and n < 6:
            del cols["volume"]
        hd_format = time_format or ("%Y%m%d %H%M%S%f" if kind == "ticks" else "%Y%m%d %H%M%S")
        # HistData writes Eastern Standard Time all year (no daylight saving)
        return Layout(
            spath,
            fmt,
            kind,
            sep,
            n,
            numbers[0] - 1,
            cols,
            enc,
            time_format=hd_format,
            tz=check_tz("-05:00") if tz is None else tz,
            first_line=numbers[0],
        )
    # header formats: plain_*, dukascopy_*
    sep = _sniff(head)
    header = [_norm(h) for h in head.split(sep)]
    cols = {}
    roles = ("bid", "ask") if kind == "ticks" else _BAR_ROLES
    time_names = (time_column.strip().lower(),) if time_column is not None else _TIME_NAMES
    for role, aliases in (("time", time_names), *((r, _ROLE_NAMES[r]) for r in roles)):
        for a in aliases:
            if a in header:
                cols[role] = header.index(a)
                break
        else:
            if role != "volume":
                accepted = (
                    accepted_columns(kind)
                    if time_column is None
                    else (f"time: {time_column!r} (time_column=)")
                )
                raise CSVFormatError(
                    spath,
                    numbers[0],
                    f"header has no {role!r} column; accepted names ({accepted}); "
                    f"this file's columns: {', '.join(header)}"
                    + ("" if role != "time" or time_column else "; name it with time_column="),
                )
    sample = first.split(sep)[cols["time"]].strip() if len(first.split(sep)) > cols["time"] else ""
    int_time = time_format is None and sample.lstrip("-").isdigit()
    tf: str | None = time_format
    if fmt.startswith("dukascopy_") and tf is None:
        tf = "%d.%m.%Y %H:%M:%S.%f" + (" GMT%z" if "GMT" in sample else "")
    if tf is None and not int_time:
        tf = T.guess_format(sample, dayfirst) if dayfirst or not _iso_like(sample) else None
    return Layout(
        spath,
        fmt,
        kind,
        sep,
        len(header),
        numbers[0],
        cols,
        enc,
        time_format=tf,
        int_time=int_time,
        tz=tz,
        first_line=numbers[1],
        header=header,
    )


def _iso_like(s: str) -> bool:
    return bool(re.match(r"^\d{4}-\d\d-\d\d", s))


def _mt_time_format(sample: str) -> str:
    if sample.count(":") == 1:
        return "%H:%M"
    return "%H:%M:%S.%f" if "." in sample else "%H:%M:%S"


# ---- time zones ------------------------------------------------------------------------

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d\d))?$")
_SHIFTED = re.compile(r"^([A-Za-z_]+(?:/[A-Za-z_+-]+)*)([+-]\d{1,2})$")
_NS_H = 3600 * 10**9


def check_tz(tz: Any, what: str = "tz") -> Any:
    """`tz` normalised: None (UTC), an int offset in ns, or (zone, shift ns)."""
    if tz is None:
        return None
    if isinstance(tz, bool):
        raise InvalidArgumentError(f"{what} must be a zone name, an offset or hours, not a bool")
    if isinstance(tz, (int, float)):
        if not -24 < tz < 24:
            raise InvalidArgumentError(f"{what}={tz!r}: an offset in hours is between -24 and 24")
        return int(round(tz * _NS_H))
    key = getattr(tz, "key", None)  # a zoneinfo.ZoneInfo
    if key is not None:
        tz = key
    if not isinstance(tz, str):
        raise InvalidArgumentError(
            f"{what} must be a zone name like 'Europe/Berlin', not {type(tz).__name__}"
        )
    if tz.upper() in ("UTC", "GMT", "Z"):
        return 0  # said explicitly: overrides a format's own zone (HistData)
    m = _OFFSET.match(tz.strip())
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return sign * (int(m.group(2)) * _NS_H + int(m.group(3) or 0) * 60 * 10**9)
    m = _SHIFTED.match(tz.strip())
    zone, shift = (m.group(1), int(m.group(2)) * _NS_H) if m else (tz.strip(), 0)
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(zone)
    except Exception:  # noqa: BLE001 - any lookup failure is a bad name
        raise InvalidArgumentError(
            f"{what}={tz!r}: unknown time zone; use an IANA name ('Europe/Athens'), "
            "an offset ('+02:00', 2) or a zone shifted by hours ('America/New_York+7', "
            "the usual MT5 broker time: New York close at midnight, with US DST)"
        ) from None
    return (zone, shift)


def to_utc(ns: np.ndarray, tz: Any, state: dict[str, Any]) -> np.ndarray:
    """Wall-clock times in zone `tz` (check_tz's form) -> UTC ns.

    Ambiguous times (the hour repeated when DST ends) are the first pass
    until the wall clock steps back, the second pass after: ticks stay in
    order. `state` carries that across batches. Times inside the hour
    skipped when DST starts cannot be wall-clock times: ValueError."""
    if tz is None:
        return ns
    if isinstance(tz, int):
        return ns - tz
    zone, shift = tz
    import pyarrow as pa
    import pyarrow.compute as pc

    local = pa.array(ns - shift, type=pa.timestamp("ns"))
    try:
        early = _i64(
            pa, pc.assume_timezone(local, timezone=zone, ambiguous="earliest", nonexistent="raise")
        )
    except pa.ArrowInvalid as e:
        raise ValueError(str(e).split("\n")[0]) from None
    late = _i64(
        pa, pc.assume_timezone(local, timezone=zone, ambiguous="latest", nonexistent="raise")
    )
    amb = early != late
    out = early
    if amb.any() or state.get("second"):
        back = np.zeros(len(ns), dtype=bool)
        prev = state.get("prev")
        back[1:] = ns[1:] < ns[:-1]
        if prev is not None and len(ns):
            back[0] = ns[0] < prev
        # the second pass: after a step back, while times stay ambiguous
        second = np.zeros(len(ns), dtype=bool)
        on = bool(state.get("second"))
        idx = np.flatnonzero(amb | back)
        for i in idx:  # only the rows of the repeated hour: a few thousand a year
            on = amb[i] and (on or back[i])
            second[i] = on
        if len(ns) and not amb[-1]:
            on = False
        state["second"] = on
        out = np.where(second, late, early)
    if len(ns):
        state["prev"] = int(ns[-1])
    return out


def _i64(pa: Any, arr: Any) -> np.ndarray:
    return np.asarray(arr.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


# ---- reading ---------------------------------------------------------------------------


def batches(lay: Layout, unit: str | None, volume: str = "tick") -> Iterator[TickData | BarData]:
    """The file's rows in batches (UTC ns times; bars without a timeframe yet)."""
    pa = _optional.optional("pyarrow")
    pacsv = _optional.optional("pyarrow.csv")
    if pa is None or pacsv is None:
        raise Unsupported("pyarrow is not installed")
    names = [f"c{k}" for k in range(lay.ncols)]
    if max(lay.cols.values()) >= lay.ncols:
        raise Unsupported("a short row")
    types: dict[str, Any] = {}
    time_roles: list[str] = [r for r in ("date", "time") if r in lay.cols]
    for r in time_roles:
        types[names[lay.cols[r]]] = pa.int64() if lay.int_time else pa.string()
    prices: list[str] = [r for r in ("bid", "ask", *_BAR_ROLES) if r in lay.cols]
    if volume == "real" and lay.fmt == "mt5_bars":
        if "vol" not in lay.header:
            raise Unsupported("no VOL column")
        lay.cols["volume"] = lay.header.index("vol")
    for r in prices:
        types[names[lay.cols[r]]] = pa.float64()
    include = [names[lay.cols[r]] for r in (*time_roles, *prices)]
    try:
        reader = pacsv.open_csv(
            lay.path,
            read_options=pacsv.ReadOptions(
                skip_rows=lay.skip,
                column_names=names,
                block_size=BLOCK_BYTES,
                encoding=lay.encoding,
            ),
            parse_options=pacsv.ParseOptions(delimiter=lay.sep, quote_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=include,
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as e:
        raise Unsupported(str(e)) from None
    return _read(pa, reader, lay, unit, time_roles, prices)


def _read(
    pa: Any, reader: Any, lay: Layout, unit: str | None, time_roles: list[str], prices: list[str]
) -> Iterator[TickData | BarData]:
    rows = 0
    zone_state: dict[str, Any] = {}
    carry: list[Any] = [np.nan, np.nan, False, False]
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as e:
                raise Unsupported(f"after data row {rows}: {e}") from None
            n = batch.num_rows
            k = 0
            if lay.int_time:
                col = batch.column(0)
                if col.null_count:
                    raise Unsupported("an empty time")
                view = _arrow_view(pa, col, np.int64)
                if view is None:
                    raise Unsupported("a time column of another type")
                try:
                    t = as_time_array(view, "time", unit)
                except Exception as e:  # noqa: BLE001 - the Python reader names the line
                    raise Unsupported(str(e)) from None
                k = 1
            elif lay.time_format is None and lay.date_format is None:
                col = batch.column(0)
                try:
                    t = _i64(pa, col.cast(pa.timestamp("ns")))
                except pa.ArrowInvalid:
                    try:
                        t = _i64(pa, col.cast(pa.timestamp("ns", "UTC")))
                    except pa.ArrowInvalid as e:
                        raise Unsupported(str(e)) from None
                k = 1
            else:
                t = np.zeros(n, dtype=np.int64)
                for r in time_roles:
                    fmt = lay.date_format if r == "date" else lay.time_format
                    t += _parse(pa, batch.column(k), fmt, r, rows, lay)
                    k += 1
            if lay.tz is not None:
                try:
                    t = to_utc(t, lay.tz, zone_state)
                except ValueError as e:
                    raise CSVFormatError(lay.path, 0, f"time zone {lay.tz!r}: {e}") from None
            cols, empty = [], []
            for j, _r in enumerate(prices):
                c = batch.column(k + j)
                v = _arrow_view(pa, c, np.float64) if not c.null_count else None
                if v is None:
                    v = np.asarray(c.to_numpy(zero_copy_only=False), dtype=np.float64)
                    empty.append(np.asarray(c.is_null().to_numpy(zero_copy_only=False)))
                    if not lay.carry:
                        raise _empty(lay, prices[j], rows + int(np.flatnonzero(empty[-1])[0]))
                else:
                    empty.append(np.zeros(n, dtype=bool))
                cols.append(v)
            if lay.carry:
                yield _carry_forward(t, cols[0], cols[1], empty[0], empty[1], carry)
            elif lay.kind == "ticks":
                yield TickData(t, cols[0], cols[1])
            else:
                vol = cols[4] if len(cols) > 4 else np.zeros(n)
                yield BarData(t, cols[0], cols[1], cols[2], cols[3], vol, None)
            rows += n
    finally:
        reader.close()


def _parse(
    pa: Any, col: Any, fmt: str | None, role: str, rows_before: int, lay: Layout
) -> np.ndarray:
    assert fmt is not None
    if col.null_count:
        raise _bad(lay, rows_before + _first_null(col), f"empty {role}")
    if len(col) == 0:
        return np.zeros(0, dtype=np.int64)
    mat = T.string_matrix(pa, col)
    if mat is None:
        if not lay.strict:
            raise Unsupported(f"{role} values of varying width")
        return _parse_slow(col, fmt, role, rows_before, lay)
    try:
        parts = T.compile_format(fmt, col[0].as_py())
        return T.parse_fixed(mat, parts, role)
    except T.TimeFormatError as e:
        if not lay.strict:
            raise Unsupported(str(e)) from None
        raise _bad(lay, rows_before + e.row, f"{e} (time format {fmt!r})") from None
    except ValueError as e:
        raise InvalidArgumentError(str(e)) from None


def _parse_slow(col: Any, fmt: str, role: str, rows_before: int, lay: Layout) -> np.ndarray:
    """Values of varying width (no zero padding): one by one, with datetime."""
    import datetime as dt

    out = np.empty(len(col), dtype=np.int64)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for i, s in enumerate(col.to_pylist()):
        try:
            d = dt.datetime.strptime(s.strip(), fmt)
        except ValueError:
            raise _bad(
                lay, rows_before + i, f"{role} {s!r} does not match the time format {fmt!r}"
            ) from None
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.UTC)
        delta = d - epoch
        out[i] = (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    return out


def _first_null(col: Any) -> int:
    return int(np.flatnonzero(np.asarray(col.is_null().to_numpy(zero_copy_only=False)))[0])


def _bad(lay: Layout, row: int, reason: str) -> CSVFormatError:
    # pyarrow skips blank lines: the line is exact for files without them
    return CSVFormatError(lay.path, lay.first_line + row, f"data row {row + 1}: {reason}")


def _empty(lay: Layout, role: str, row: int) -> Exception:
    if lay.strict:
        return _bad(lay, row, f"{role} is empty")
    return Unsupported("an empty cell")  # the Python reader names the line


def _carry_forward(
    t: np.ndarray,
    bid: np.ndarray,
    ask: np.ndarray,
    no_bid: np.ndarray,
    no_ask: np.ndarray,
    carry: list[Any],
) -> TickData:
    """MT5 ticks: an empty BID/ASK is the last one given (across batches);
    rows before both are known, and rows changing neither, are dropped.
    ("nan" is not empty: it stays, and the engine's rule refuses it.)"""
    changed = ~no_bid | ~no_ask
    b = _ffill(bid, no_bid, carry[0])
    a = _ffill(ask, no_ask, carry[1])
    known = _known(no_bid, carry[2]) & _known(no_ask, carry[3])
    keep = changed & known
    if len(b):
        carry[0], carry[1] = float(b[-1]), float(a[-1])
        carry[2] = bool(carry[2] or (~no_bid).any())
        carry[3] = bool(carry[3] or (~no_ask).any())
    return TickData(t[keep], b[keep], a[keep])


def _known(empty: np.ndarray, before: bool) -> np.ndarray:
    """Rows with a value given at or before them (or in an earlier batch)."""
    if before:
        return np.ones(len(empty), dtype=bool)
    return np.logical_or.accumulate(~empty) if len(empty) else ~empty


def _ffill(v: np.ndarray, empty: np.ndarray, before: float) -> np.ndarray:
    pos = np.where(empty, -1, np.arange(len(v)))
    src = np.maximum.accumulate(pos) if len(v) else pos
    out = np.where(src >= 0, v[np.maximum(src, 0)], before)
    return out
