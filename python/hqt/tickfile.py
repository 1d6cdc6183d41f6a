"""HQT tick files (``.hqtt``): ticks on disk, read through numpy.memmap.

Tick sets larger than memory are converted once to this binary layout and
then run in bounded memory with :meth:`hqt.Engine.run_file`, which maps the
file a chunk at a time. Layout (every number little-endian; docs/research.md
has the same table)::

    offset  size  field
    0       8     magic         b"HQTTICKS"
    8       4     version       uint32, 1
    12      4     header_size   uint32, 64 (columns start here)
    16      8     count         uint64, number of ticks n
    24      8     price_scale   int64, 1_000_000: prices are price x 1e6
    32      8     first_time    int64 ns of tick 0 (0 when n = 0)
    40      8     last_time     int64 ns of tick n-1 (0 when n = 0)
    48      16    symbol        ASCII name, NUL-padded (may be empty)
    64      8n    time          int64 ns since the epoch, UTC, non-decreasing
    64+8n   8n    bid           int64 micro units, > 0
    64+16n  8n    ask           int64 micro units, >= bid

The file size is exactly ``64 + 24 n``. Prices are the engine's exact micro
units (floats are rounded once, half away from zero, as the engine does),
so a run from a tick file gives the same result as loading the same prices
with ``Engine.load_ticks``. The converter checks every tick with the
engine's own rule (``hqt_validate_ticks``: time order, finite positive
prices, ask >= bid; same exception and message as a load), so a run never
fails half-way on bad data.

Command line::

    python -m hqt.tickfile convert IN.csv|IN.parquet OUT.hqtt [--symbol EURUSD]
    python -m hqt.tickfile info FILE.hqtt

CSV input (the formats of :mod:`hqt.data`: MetaTrader 5 tick exports and
plain ``time,bid,ask`` files) and Parquet input are read in chunks, so
converting needs memory for one chunk, not for the file.
"""

from __future__ import annotations

import argparse
import codecs
import io
import os
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from hqt import _hqt
from hqt import data as D  # iter_csv_ticks reads with the CSV reader's parts
from hqt._arrays import as_price_array, as_time_array
from hqt.data import TickData
from hqt.errors import InvalidArgumentError, StateError
from hqt.frames import iter_parquet, ticks_from_frame
from hqt.progress import RunProgress, wants_progress
from hqt.results import BacktestResult
from hqt.strategy import bar_requests, strategy_callbacks

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray

__all__ = [
    "MAGIC",
    "VERSION",
    "HEADER_SIZE",
    "TickFileHeader",
    "TickFile",
    "TickFileWriter",
    "write_tickfile",
    "convert",
    "iter_csv_ticks",
    "chunk_end",
    "run_file",
    "main",
]

PathLike = Union[str, "os.PathLike[str]"]

MAGIC = b"HQTTICKS"
VERSION = 1
HEADER_SIZE = 64
PRICE_SCALE = 1_000_000
_HEADER = struct.Struct("<8sIIQqqq16s")
assert _HEADER.size == HEADER_SIZE


@dataclass(frozen=True)
class TickFileHeader:
    """The fixed 64-byte header of a tick file."""

    count: int
    first_time: int
    last_time: int
    symbol: str = ""
    version: int = VERSION
    header_size: int = HEADER_SIZE
    price_scale: int = PRICE_SCALE

    def pack(self) -> bytes:
        name = self.symbol.encode("ascii")
        if len(name) > 16:
            raise InvalidArgumentError(f"symbol name {self.symbol!r} is longer than 16 bytes")
        return _HEADER.pack(
            MAGIC,
            self.version,
            self.header_size,
            self.count,
            self.price_scale,
            self.first_time,
            self.last_time,
            name,
        )

    @classmethod
    def unpack(cls, raw: bytes, path: str = "") -> TickFileHeader:
        where = f"{path}: " if path else ""
        if len(raw) < HEADER_SIZE:
            raise InvalidArgumentError(
                f"{where}too short for a tick file header ({len(raw)} bytes)"
            )
        magic, version, hsize, count, scale, first, last, name = _HEADER.unpack(raw[:HEADER_SIZE])
        if magic != MAGIC:
            raise InvalidArgumentError(f"{where}not an HQT tick file (magic {magic!r})")
        if version != VERSION:
            raise InvalidArgumentError(
                f"{where}tick file version {version} is not supported "
                f"(this HQT reads version {VERSION})"
            )
        if hsize < HEADER_SIZE or hsize % 8:
            raise InvalidArgumentError(f"{where}bad header size {hsize}")
        if scale != PRICE_SCALE:
            raise InvalidArgumentError(f"{where}price scale {scale} is not {PRICE_SCALE}")
        return cls(
            count, first, last, name.rstrip(b"\0").decode("ascii", "replace"), version, hsize, scale
        )


# ---- float -> micro, as the engine rounds ---------------------------------------------------


def to_micro_array(x: Any, what: str = "price") -> NDArray[np.int64]:
    """``round(x * 1e6)`` half away from zero, elementwise: the engine's rounding of every
    float price (hqt_to_micro_array)."""
    v = np.ascontiguousarray(x, dtype=np.float64)
    out: NDArray[np.int64] = np.empty(v.shape, np.int64)
    try:
        _hqt.to_micro_array(v.reshape(-1), out.reshape(-1))
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"{what}: {e}") from None
    return out


# ---- reading --------------------------------------------------------------------------------


class TickFile:
    """A tick file opened for reading; columns are mapped, never read whole.

    ``len(f)`` is the tick count; :meth:`window` maps a range of the three
    columns (the mapping is released when the returned arrays are dropped).
    """

    def __init__(self, path: PathLike) -> None:
        self.path = os.fspath(path)
        with open(self.path, "rb") as fh:
            raw = fh.read(HEADER_SIZE)
            fh.seek(0, io.SEEK_END)
            size = fh.tell()
        self.header = TickFileHeader.unpack(raw, self.path)
        n = self.header.count
        expect = self.header.header_size + 24 * n
        if size != expect:
            raise InvalidArgumentError(
                f"{self.path}: size {size} does not match the header "
                f"({n} ticks need {expect} bytes): truncated or damaged"
            )

    def __len__(self) -> int:
        return self.header.count

    @property
    def symbol(self) -> str:
        return self.header.symbol

    def _column(self, k: int, start: int, stop: int) -> NDArray[np.int64]:
        if stop <= start:
            return np.zeros(0, np.int64)
        off = self.header.header_size + 8 * (k * self.header.count + start)
        return np.memmap(self.path, dtype="<i8", mode="r", offset=off, shape=(stop - start,))

    def window(
        self, start: int, stop: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(time, bid, ask) of ticks [start, stop) as read-only memmaps."""
        n = self.header.count
        start, stop = max(0, start), min(stop, n)
        return (
            self._column(0, start, stop),
            self._column(1, start, stop),
            self._column(2, start, stop),
        )

    def times(self, start: int, stop: int) -> NDArray[np.int64]:
        """Times of ticks [start, stop) (a read-only memmap)."""
        return self._column(0, max(0, start), min(stop, self.header.count))

    def read(self) -> TickData:
        """Every tick in memory, prices as floats (small files, tests)."""
        t, b, a = self.window(0, len(self))
        return TickData(np.array(t), b / 1e6, a / 1e6)

    def __repr__(self) -> str:
        h = self.header
        span = ""
        if h.count:
            span = f" {np.datetime64(h.first_time, 'ns')} .. {np.datetime64(h.last_time, 'ns')}"
        return f"<TickFile {self.path!r} {h.symbol or '?'} {h.count:,} ticks{span}>"


# ---- writing --------------------------------------------------------------------------------


class TickFileWriter:
    """Writes a tick file from chunks appended in time order.

    The three columns go to temporary files next to the output while
    chunks arrive; :meth:`close` writes the header and the columns into
    ``path`` through a temporary name and an atomic rename. Memory: one
    chunk. Use as a context manager (an exception discards the output).
    """

    def __init__(self, path: PathLike, symbol: str = "") -> None:
        self.path = Path(path)
        self.symbol = symbol
        TickFileHeader(0, 0, 0, symbol).pack()  # validates the name early
        self.count = 0
        self.first_time = 0
        self.last_time: int | None = None
        directory = self.path.parent if str(self.path.parent) else Path(".")
        self._tmp = [tempfile.TemporaryFile(dir=directory, prefix=".hqtt-") for _ in range(3)]

    def append(self, time_ns: Any, bid: Any, ask: Any) -> None:
        """Appends ticks with float prices (rounded once to micro units); checks them as
        ``Engine.load_ticks`` would."""
        t = as_time_array(time_ns)
        b, a = as_price_array(bid, "bid"), as_price_array(ask, "ask")
        self._check(t, b, a)
        self._write(t, to_micro_array(b, "bid"), to_micro_array(a, "ask"))

    def append_micro(self, time_ns: Any, bid: Any, ask: Any) -> None:
        """Appends ticks with exact int64 micro prices; checks them as
        ``Engine.load_ticks_micro`` would."""
        t = as_time_array(time_ns)
        b = np.ascontiguousarray(bid, dtype="<i8")
        a = np.ascontiguousarray(ask, dtype="<i8")
        self._check(t, b, a)
        self._write(t, b, a)

    def _check(self, t: NDArray[np.int64], b: NDArray[Any], a: NDArray[Any]) -> None:
        """The engine's tick rule (hqt_validate_ticks), ticks numbered from the file's start."""
        if not (len(t) == len(b) == len(a)):
            raise InvalidArgumentError(
                f"time, bid and ask have different lengths ({len(t)}, {len(b)}, {len(a)})"
            )
        _hqt.validate_ticks(t, b, a, self.last_time or 0, "tick", self.count)

    def _write(self, t: NDArray[np.int64], b: NDArray[np.int64], a: NDArray[np.int64]) -> None:
        if not len(t):
            return
        for fh, col in zip(self._tmp, (t, b, a), strict=True):
            fh.write(col.astype("<i8", copy=False).tobytes())
        if self.last_time is None:
            self.first_time = int(t[0])
        self.last_time = int(t[-1])
        self.count += len(t)

    def close(self) -> TickFileHeader:
        """Writes the output file; returns its header."""
        header = TickFileHeader(
            self.count, self.first_time if self.count else 0, self.last_time or 0, self.symbol
        )
        tmp_out = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(tmp_out, "wb") as out:
                out.write(header.pack())
                for fh in self._tmp:
                    fh.seek(0)
                    while True:
                        block = fh.read(1 << 22)
                        if not block:
                            break
                        out.write(block)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_out, self.path)
        finally:
            self._discard()
            if tmp_out.exists():
                tmp_out.unlink()
        return header

    def _discard(self) -> None:
        for fh in self._tmp:
            fh.close()
        self._tmp = []

    def __enter__(self) -> TickFileWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()


def write_tickfile(
    path: PathLike, ticks: TickData | Iterable[TickData] | Any, symbol: str = ""
) -> TickFileHeader:
    """Writes ticks (TickData, a DataFrame, or an iterable of TickData chunks) to `path`."""
    if hasattr(ticks, "columns"):  # a DataFrame
        ticks = ticks_from_frame(ticks)
    chunks: Iterable[TickData] = [ticks] if isinstance(ticks, TickData) else ticks
    with TickFileWriter(path, symbol) as w:
        for c in chunks:
            w.append(c.time, c.bid, c.ask)
    return TickFile(path).header


# ---- chunked CSV reading ----------------------------------------------------------------------


def _open_text(path: PathLike) -> io.TextIOWrapper:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        enc = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif len(head) >= 2 and head[1] == 0 and head[0] != 0:
        enc = "utf-16-le"
    else:
        enc = "utf-8"
    return open(path, encoding=enc, newline=None)


def _line_chunks(fh: io.TextIOWrapper, size: int) -> Iterator[tuple[list[str], list[int]]]:
    lines: list[str] = []
    numbers: list[int] = []
    for n, ln in enumerate(fh, 1):
        ln = ln.rstrip("\r\n")
        if not ln or ln.isspace():
            continue
        lines.append(ln)
        numbers.append(n)
        if len(lines) >= size:
            yield lines, numbers
            lines, numbers = [], []
    if lines:
        yield lines, numbers


def iter_csv_ticks(
    path: PathLike,
    format: str = "auto",
    *,
    chunk_lines: int = 250_000,
    unit: str | None = None,
) -> Iterator[TickData]:
    """Ticks of a CSV file (``mt5_ticks`` or ``plain_ticks``), `chunk_lines` lines at a time.

    Same parsing and checks as :func:`hqt.data.read_ticks` (errors name the
    file and line), with memory for one chunk. ``unit``: the unit of integer
    times in a plain file (see :func:`hqt.data.read_csv`).
    """

    p = os.fspath(path)
    with _open_text(p) as fh, D._gc_paused():
        chunks = _line_chunks(fh, chunk_lines)
        first = next(chunks, None)
        if first is None:
            return
        lines, numbers = first
        fmt = D._detect(D._Rows(p, lines[:1], numbers[:1])) if format == "auto" else format
        if fmt not in D._TICK_FORMATS:
            raise InvalidArgumentError(f"{p} holds bars ({fmt}), not ticks")
        header: tuple[str, int] | None = None
        if fmt == "plain_ticks" or lines[0].lstrip().startswith("<"):
            header = (lines[0], numbers[0])
            lines, numbers = lines[1:], numbers[1:]
        idx = {"date": 0, "time": 1, "bid": 2, "ask": 3}
        if fmt == "mt5_ticks" and header is not None:
            idx = D._header_index(
                D._Rows(p, [header[0]], [header[1]]),
                header[0].split("\t"),
                {"date": ("date",), "time": ("time",), "bid": ("bid",), "ask": ("ask",)},
            )
        last: tuple[int, float, float] | None = None
        count = 0  # ticks yielded
        pending: Iterator[tuple[list[str], list[int]]] = iter([(lines, numbers)])
        for part in (pending, chunks):
            for lines, numbers in part:
                if not lines:
                    continue
                carry = 0
                if fmt == "mt5_ticks" and last is not None:
                    # the last tick of the previous chunk, so that empty BID/ASK
                    # cells carry its values forward across the chunk boundary
                    lines = [_mt5_line(idx, last)] + lines
                    numbers = [numbers[0]] + numbers
                    carry = 1
                if header is not None:
                    lines = [header[0]] + lines
                    numbers = [header[1]] + numbers
                src = D._Rows(p, lines, numbers)
                if last is not None:  # checked against the previous chunk, numbered on
                    src.previous_time, src.first_index = last[0], count - carry
                ticks = (
                    D._read_mt5_ticks(src)
                    if fmt == "mt5_ticks"
                    else D._read_plain(src, bars=False, unit=unit)
                )
                assert isinstance(ticks, TickData)
                if carry:
                    ticks = TickData(ticks.time[1:], ticks.bid[1:], ticks.ask[1:])
                if not len(ticks):
                    continue
                last = (int(ticks.time[-1]), float(ticks.bid[-1]), float(ticks.ask[-1]))
                count += len(ticks)
                yield ticks


def _mt5_line(idx: dict[str, int], last: tuple[int, float, float]) -> str:
    t = np.datetime64(last[0], "ns")
    iso = str(t)  # YYYY-MM-DDTHH:MM:SS.fffffffff
    date, clock = iso.split("T")
    fields = [""] * (max(idx.values()) + 1)
    fields[idx["date"]] = date.replace("-", ".")
    fields[idx["time"]] = clock
    fields[idx["bid"]] = repr(last[1])
    fields[idx["ask"]] = repr(last[2])
    return "\t".join(fields)


def convert(
    src: PathLike,
    dst: PathLike,
    *,
    symbol: str = "",
    format: str = "auto",
    chunk_rows: int = 250_000,
) -> TickFileHeader:
    """Converts a CSV or Parquet tick file to a tick file; returns the new header."""
    s = os.fspath(src)
    chunks: Iterable[TickData]
    if s.lower().endswith((".parquet", ".pq")) or format == "parquet":

        def parquet_chunks() -> Iterator[TickData]:
            for c in iter_parquet(s, "ticks", batch_rows=chunk_rows):
                assert isinstance(c, TickData)
                yield c

        chunks = parquet_chunks()
    else:
        chunks = iter_csv_ticks(s, format, chunk_lines=chunk_rows)
    return write_tickfile(dst, chunks, symbol)


# ---- running a file in bounded memory ---------------------------------------------------------


def _periods(t: NDArray[np.int64], tf: int) -> NDArray[np.int64]:
    """Open time of the bar (of timeframe `tf` minutes) holding each time: the engine's
    bar periods (hqt_timeframe_open_times), W1 from Monday, MN1 calendar months."""
    t = np.ascontiguousarray(t, dtype=np.int64)
    out: NDArray[np.int64] = np.empty(len(t), np.int64)
    _hqt.timeframe_open_times(int(tf), t, out)
    return out


def _starts_new_bar(t: NDArray[np.int64], timeframes: Sequence[int]) -> NDArray[np.bool_]:
    """[j]: tick j+1 opens a new bar of every timeframe (so a chunk may end before it)."""
    new = np.ones(max(len(t) - 1, 0), dtype=bool)
    for tf in timeframes:
        p = _periods(np.asarray(t, dtype=np.int64), tf)
        new &= p[1:] != p[:-1]
    return new


def chunk_end(f: TickFile, start: int, chunk: int, timeframes: Sequence[int] = ()) -> int:
    """End (exclusive) of the chunk starting at `start`: about `chunk` ticks, cut where
    every bar being built closes, so that no bar straddles two chunks."""
    n = len(f)
    target = min(start + chunk, n)
    if target >= n or not timeframes:
        return target
    t = f.times(start, target + 1)
    idx = np.flatnonzero(_starts_new_bar(t, timeframes))
    del t
    if idx.size:
        return start + int(idx[-1]) + 1
    pos = target  # no cut in the first `chunk` ticks: take the first one after them
    while pos < n:
        hi = min(pos + chunk, n)
        t = f.times(pos - 1, hi)
        idx = np.flatnonzero(_starts_new_bar(t, timeframes))
        del t
        if idx.size:
            return pos + int(idx[0])
        pos = hi
    return n


class _Windows:
    """The data source of a run_file run: loads the file `size` ticks at a time."""

    def __init__(self, engine: Any, f: TickFile, sid: int, size: int, bar: RunProgress) -> None:
        self.engine, self.f, self.sid, self.size, self.bar = engine, f, sid, size, bar
        self.start = self.stop = 0  # the window loaded last: ticks [start, stop)

    def load(self) -> bool:
        """Loads the window after the last one; False (nothing loaded) at the end."""
        if self.stop >= len(self.f):
            return False
        start, stop = self.stop, min(self.stop + self.size, len(self.f))
        t, b, a = self.f.window(start, stop)
        self.engine.load_ticks_micro(self.sid, t, b, a)  # the engine copies the memmaps
        del t, b, a  # unmap: the pages leave this process's resident set
        self.start, self.stop = start, stop
        self.bar.begin_chunk(stop - start)
        return True

    def __call__(self) -> bool:
        # Called by the engine when every loaded tick has run (it has
        # dropped them; bars in progress stay): the next window, or the end.
        self.bar.end_chunk()
        return self.load()

    def done(self) -> int:
        """Ticks of the file that have run."""
        return self.start + max(0, (self.stop - self.start) - _pending(self.engine))


def run_file(
    engine: Any,
    path: PathLike,
    strategy: object | None = None,
    *,
    symbol: int | str | None = None,
    chunk_ticks: int = 1_000_000,
    bars: Sequence[tuple[int | str, int] | tuple[int | str, int, str]] | None = None,
    progress: bool | None = None,
) -> Any:
    """Runs the ticks of a tick file through `engine` as one run, a window of
    `chunk_ticks` ticks at a time; see ``Engine.run_file``."""
    import time as _time

    if chunk_ticks < 1:
        raise InvalidArgumentError("chunk_ticks must be >= 1")
    f = TickFile(path)
    if symbol is None:
        if f.symbol and engine.symbol_count:
            try:
                symbol = engine.find_symbol(f.symbol)
            except KeyError:
                symbol = None
        if symbol is None:
            if engine.symbol_count != 1:
                raise InvalidArgumentError(
                    f"{f.path}: say which symbol the ticks are for (symbol=): the file names "
                    f"{f.symbol or 'none'} and the engine has {engine.symbol_count} symbols"
                )
            symbol = 0
    sid = engine.symbol_id(symbol)
    if engine.pending_events:
        raise StateError(
            f"run_file needs an engine with no loaded events left to run "
            f"({engine.pending_events} pending): the file's windows are the "
            "run's only data. Run or clear_data() first."
        )
    builders = [
        (engine.symbol_id(s), int(tf), price)
        for s, tf, price in bar_requests(
            bars if bars is not None else getattr(strategy, "bars", None)
        )
    ]
    cbs = strategy_callbacks(strategy)
    n = len(f)
    started = _time.perf_counter()
    with RunProgress(
        engine,
        n,
        wants_progress(progress),
        unit="ticks",
        desc=f"hqt {Path(f.path).name}",
        auto=progress is None,
    ) as bar:
        engine.clear_data()  # data of earlier runs (all processed): not kept in memory
        for s, tf, price in builders:
            engine.build_bars(s, tf, price)
        windows = _Windows(engine, f, sid, chunk_ticks, bar)
        windows.load()  # the first window (a bad load loads nothing: nothing ran)
        try:
            # One run: the engine asks `windows` for the next window when
            # the loaded one has run; bars in progress carry over.
            engine._run(cbs, source=windows)
        except BaseException as e:
            done = windows.done()
            engine.clear_data()  # what is left of the window is dropped
            e.add_note(
                f"run_file stopped after {done:,} of {n:,} ticks of {f.path}; the "
                "engine is consistent (state after the last processed tick; the run "
                "ended as run() ends after an error, on_stop included) and the rest "
                "of the file is not loaded"
            )
            raise
        bar.end_chunk()
        engine.clear_data()
    return BacktestResult.from_engine(engine, wall_seconds=_time.perf_counter() - started, events=n)


def _pending(engine: Any) -> int:
    try:
        return int(engine.pending_events)
    except Exception:
        return 0


# ---- command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hqt.tickfile", description="HQT tick files (.hqtt): convert and inspect."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="convert a CSV or Parquet tick file to .hqtt")
    c.add_argument("input", help="IN.csv (MT5 tick export or time,bid,ask) or IN.parquet")
    c.add_argument("output", help="OUT.hqtt")
    c.add_argument("--symbol", default="", help="symbol name stored in the header")
    c.add_argument(
        "--format",
        default="auto",
        help="mt5_ticks, plain_ticks or parquet (default: from the file)",
    )
    c.add_argument(
        "--chunk-rows",
        type=int,
        default=250_000,
        help="rows read at a time (memory), default 250000",
    )
    i = sub.add_parser("info", help="print a tick file's header")
    i.add_argument("file")
    args = parser.parse_args(argv)
    try:
        if args.command == "convert":
            h = convert(
                args.input,
                args.output,
                symbol=args.symbol,
                format=args.format,
                chunk_rows=args.chunk_rows,
            )
            print(f"wrote {args.output}: {h.count:,} ticks")
        else:
            f = TickFile(args.file)
            h = f.header
            print(
                f"{args.file}: HQT tick file v{h.version}, {h.count:,} ticks, "
                f"symbol {h.symbol or '-'}"
            )
            if h.count:
                print(
                    f"  from {np.datetime64(h.first_time, 'ns')} to "
                    f"{np.datetime64(h.last_time, 'ns')}"
                )
    except (OSError, ValueError, InvalidArgumentError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
