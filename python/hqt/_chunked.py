"""Loading ticks chunk by chunk, all or nothing (``Engine.load_csv`` and
``Engine.load_parquet`` on tick files).

A file is parsed and loaded one chunk at a time, so memory holds the engine's
columns plus one chunk, never the whole file as arrays next to them. Every
chunk is appended to the engine as it comes; if one is bad (or reading
fails, or the load is interrupted), the ticks the earlier chunks added are
dropped again (``_truncate_ticks``), so a failed load leaves the engine as
it was, as a single ``load_ticks`` call does. The price sketch for plots is
built on a copy that replaces the engine's only when every chunk is in.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

import numpy as np

from hqt import _fastcsv
from hqt import data as D
from hqt.errors import CSVFormatError, HQTError, InvalidArgumentError
from hqt.results import PriceSketch
from hqt.tickfile import _line_chunks, _open_text, iter_csv_ticks

if TYPE_CHECKING:  # pragma: no cover
    from hqt.data import PathLike, TickData
    from hqt.engine import Engine, SymbolRef

__all__ = ["load_csv", "load_tick_chunks"]

#: ``explain(chunk, ticks_before, last_time)`` may raise a clearer error for a
#: chunk the engine refused (naming the file and row); returning leaves the
#: engine's own error to propagate.
Explain = Callable[["TickData", int, "int | None"], None]


def load_tick_chunks(
    engine: Engine,
    symbol_id: SymbolRef,
    chunks: Iterable[TickData],
    explain: Explain | None = None,
) -> tuple[int, int]:
    """Loads every chunk (int64 ns times, float64 prices) for one symbol.

    Returns (ticks loaded, chunks seen). Any exception leaves the symbol's
    ticks and sketch as they were before the call.
    """
    sid = engine.symbol_id(symbol_id)
    mark = engine._tick_count(sid)
    sketches: dict[int, PriceSketch] = engine.__dict__.setdefault("_price_sketches", {})
    old = sketches.get(sid)
    sketch = old.copy() if old is not None else PriceSketch()
    loaded = seen = 0
    last: int | None = None
    try:
        for chunk in chunks:
            seen += 1
            t = np.ascontiguousarray(chunk.time, dtype=np.int64)
            bid = np.ascontiguousarray(chunk.bid, dtype=np.float64)
            ask = np.ascontiguousarray(chunk.ask, dtype=np.float64)
            try:
                loaded += engine._load_ticks(sid, t, bid, ask)
            except HQTError:
                if explain is not None:
                    explain(chunk, loaded, last)
                raise
            if len(t):
                sketch.add(t, bid, positive=True)  # loaded: finite and > 0
                last = int(t[-1])
    except BaseException:
        with contextlib.suppress(HQTError):  # a disposed engine: nothing left to undo
            engine._truncate_ticks(sid, mark)
        raise
    engine.__dict__["_loaded"] = True
    if sketch.seen:
        sketches[sid] = sketch
    return loaded, seen


# ---- CSV -------------------------------------------------------------------------------------


def load_csv(
    engine: Engine,
    symbol_id: SymbolRef,
    path: PathLike,
    *,
    format: str = "auto",
    timeframe: int | None = None,
    volume: str = "tick",
    unit: str | None = None,
    time_column: str | None = None,
    time_format: str | None = None,
    dayfirst: bool = False,
    tz: object = None,
    broker_tz: object = None,
) -> int:
    """``Engine.load_csv``: tick files in chunks, bar files (and files with no
    data line, for the same errors as before) read whole."""
    fmt = format
    options = {
        "time_column": time_column,
        "time_format": time_format,
        "dayfirst": dayfirst,
        "tz": tz,
        "broker_tz": broker_tz,
    }
    opts = D.csv_options(format, time_column, time_format, dayfirst, tz, broker_tz)
    if fmt in ("auto", *D._TICK_FORMATS):
        with D._gc_paused():
            head = _head(path)
            fmt = D._detect(head) if format == "auto" else format
        if fmt in D._TICK_FORMATS and head.lines:
            loaded = _load_csv_ticks(engine, symbol_id, path, head, fmt, timeframe, unit, opts)
            if loaded is not None:
                return loaded
    return D._load_csv_whole(
        engine,
        symbol_id,
        path,
        format=fmt,
        timeframe=timeframe,
        volume=volume,
        unit=unit,
        **options,
    )


#: Whether plain tick files may go through pyarrow's CSV reader (tests turn it
#: off to compare with the Python reader).
FAST_CSV = True

#: Lines per chunk when a tick file is loaded in chunks: parsing one takes
#: about 45 MB of Python strings and lists at its peak (100,000 lines: twice
#: that, for no speed gained).
LOAD_CHUNK_LINES = 50_000


def _in_utc(path: PathLike, chunks: Iterable[TickData], zone: object) -> Iterable[TickData]:
    """The Python reader's chunks with their times made UTC (tz=, broker_tz=)."""
    from dataclasses import replace

    state: dict[str, object] = {}
    for c in chunks:
        try:
            t = _fastcsv.to_utc(np.asarray(c.time, dtype=np.int64), zone, state)
        except ValueError as e:
            raise CSVFormatError(path, 0, f"time zone: {e}") from None
        yield replace(c, time=t)


def _head(path: PathLike) -> D._Rows:
    """The first non-blank line of a file (none: an empty file), read alone."""
    try:
        with _open_text(path) as fh:
            for lines, numbers in _line_chunks(fh, 1):
                return D._Rows(path, lines, numbers)
    except OSError as e:
        raise CSVFormatError(path, 0, f"cannot read the file: {e.strerror or e}") from e
    except UnicodeDecodeError:
        return D._read(path)  # the whole-file reader names the bad line
    return D._Rows(path, [], [])


def _load_csv_ticks(
    engine: Engine,
    symbol_id: int | str,
    path: PathLike,
    head: D._Rows,
    fmt: str,
    timeframe: int | None,
    unit: str | None,
    opts: D.CsvOptions | None = None,
) -> int | None:
    """Loads a tick file chunk by chunk; None when it has no data line (the
    whole-file reader then gives the same answer, or error, as before).

    Plain files go through pyarrow's CSV reader first when it is installed
    (hqt._fastcsv); if it or the engine refuses anything, what it loaded
    is dropped and the Python reader reads the file again, so results and
    error messages are the Python reader's."""
    if timeframe is not None:
        raise InvalidArgumentError(
            f"{os.fspath(path)} holds ticks: timeframe= is only for "
            "bar files (use engine.build_bars for bars from ticks)"
        )
    if unit is not None and fmt != "plain_ticks":
        raise InvalidArgumentError(
            f"{os.fspath(path)}: unit= is for the integer times of plain CSV files, "
            f"not {fmt} (its times are dates)"
        )
    opts = opts or D.CsvOptions()
    strict = opts.needs_fast or fmt in _fastcsv.NEW_FORMATS
    if FAST_CSV or strict:
        _, lay = D.fast_layout(path, fmt, opts)
        if lay is not None:
            try:  # pyarrow reads the first block when it opens the file
                ticks = cast("Iterable[TickData]", _fastcsv.batches(lay, unit))  # a tick layout
                loaded, seen = load_tick_chunks(engine, symbol_id, ticks)
                return loaded if seen else None
            except (Exception, _fastcsv.Unsupported) as e:  # rolled back
                if strict:
                    if isinstance(e, _fastcsv.Unsupported):
                        raise CSVFormatError(path, 0, f"cannot read it as {fmt}: {e}") from None
                    raise
                # the Python reader decides: its results and line-exact errors
    chunks: Iterable[TickData] = iter_csv_ticks(path, fmt, chunk_lines=LOAD_CHUNK_LINES, unit=unit)
    if opts.tz is not None:
        chunks = _in_utc(path, chunks, opts.tz)
    try:
        loaded, seen = load_tick_chunks(engine, symbol_id, chunks)
    except UnicodeDecodeError:
        D._read(path)  # raises CSVFormatError naming the line, as the whole-file reader does
        raise
    return loaded if seen else None
