"""A Parquet data catalog: ticks and bars partitioned by symbol and date.

::

    hqt.csv_to_catalog("EURUSD-2024.csv", "data/catalog", "EURUSD")   # streamed
    hqt.write_catalog("data/catalog", "GBPUSD", ticks)                  # TickData / BarData
    got = hqt.load_catalog(["EURUSD", "GBPUSD"], "2024-03-01", "2024-04-01",
                           catalog="data/catalog")                      # {symbol: TickData}
    hqt.load_catalog("EURUSD", "2024-03-01", None, catalog="data/catalog", engine=eng)

Layout: a pyarrow dataset with hive partitions,
``<catalog>/<kind>/symbol=<SYMBOL>/date=<YYYY-MM-DD>/part-<first time ns>.parquet``
where ``kind`` is ``ticks`` or ``bars-M<minutes>`` and the date is the UTC
day of the rows. A file holds the rows of one symbol and day: ``time``
(timestamp[ns, UTC]) and ``bid, ask`` or ``open, high, low, close, volume``.
Writing the same rows again rewrites the same file (its name is its first
time), so a conversion can be re-run; a day written in several pieces holds
several files, read in the order of their first times.

Reading visits only the partitions of the asked symbols and days (the
directory names, before any file is opened), then each file batch by batch
with the time filter pushed down: with ``engine=`` every batch goes into the
engine as it is read (memory: the engine's columns plus one batch, whatever
the range), all or nothing per symbol. ``catalog`` is a local directory or a
URL pyarrow or fsspec can open (``s3://bucket/catalog``, ``memory://...``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hqt import _fastcsv, _optional
from hqt import data as D
from hqt._chunked import load_tick_chunks
from hqt._series import BarData, TickData
from hqt.errors import InvalidArgumentError
from hqt.frames import validate_ticks

if TYPE_CHECKING:  # pragma: no cover
    from hqt.engine import Engine

__all__ = ["write_catalog", "csv_to_catalog", "load_catalog", "catalog_symbols"]

_DAY = 86_400 * 10**9
_TICKS = ("bid", "ask")
_BARS = ("open", "high", "low", "close", "volume")


def _pa() -> tuple[Any, Any, Any]:
    _optional.require("pyarrow", "the Parquet data catalog")
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    return pa, ds, pq


def _fs(catalog: Any) -> tuple[Any, str]:
    """(pyarrow filesystem, path inside it) of a directory or URL."""
    import pyarrow.fs as pafs

    root = os.fspath(catalog)
    if "://" not in root or root.startswith("file://"):
        root = root.removeprefix("file://")
        return pafs.LocalFileSystem(), os.path.abspath(root)
    try:
        fs, path = pafs.FileSystem.from_uri(root)
        return fs, str(path)
    except Exception:  # noqa: BLE001 - a scheme pyarrow lacks: fsspec's
        import fsspec

        fs, path = fsspec.core.url_to_fs(root)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def _kind_dir(kind: str, timeframe: int | None) -> str:
    if kind == "ticks":
        return "ticks"
    if kind == "bars":
        if not isinstance(timeframe, int) or timeframe < 1:
            raise InvalidArgumentError(
                "bars in a catalog need their timeframe (minutes, e.g. hqt.M1)"
            )
        return f"bars-M{timeframe}"
    raise InvalidArgumentError(f"kind must be 'ticks' or 'bars', not {kind!r}")


def _check_symbol(symbol: Any) -> str:
    if (
        not isinstance(symbol, str)
        or not symbol
        or any(c in symbol for c in "/\\=")
        or symbol in (".", "..")
    ):
        raise InvalidArgumentError(
            f"a catalog symbol is a plain name (no '/', '\\', '='), not {symbol!r}"
        )
    return symbol


def write_catalog(
    catalog: Any, symbol: str, data: TickData | BarData | Iterable[TickData | BarData]
) -> int:
    """Write ticks or bars (one series, or an iterable of chunks in time
    order) of `symbol` into the catalog, one file per UTC day and chunk;
    returns the rows written."""
    pa, _ds, pq = _pa()
    fs, root = _fs(catalog)
    _check_symbol(symbol)
    chunks: Iterable[Any] = [data] if isinstance(data, (TickData, BarData)) else data
    written = 0
    for chunk in chunks:
        names: tuple[str, ...]
        if isinstance(chunk, TickData):
            kind, names = _kind_dir("ticks", None), _TICKS
        elif isinstance(chunk, BarData):
            kind, names = _kind_dir("bars", chunk.timeframe), _BARS
        else:
            raise InvalidArgumentError(
                f"write_catalog takes TickData or BarData, not {type(chunk).__name__}"
            )
        t = np.asarray(chunk.time, dtype=np.int64)
        if not len(t):
            continue
        if (np.diff(t) < 0).any():
            raise InvalidArgumentError(
                f"{symbol}: times go backwards; the catalog holds rows in time order"
            )
        days = t // _DAY
        cuts = np.flatnonzero(np.diff(days)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(t)], strict=True):
            day = np.datetime64(int(days[lo]), "D").astype(str)
            d = f"{root}/{kind}/symbol={symbol}/date={day}"
            fs.create_dir(d, recursive=True)
            table = pa.table(
                {
                    "time": pa.array(t[lo:hi], type=pa.timestamp("ns", "UTC")),
                    **{
                        n: pa.array(np.asarray(getattr(chunk, n), dtype=np.float64)[lo:hi])
                        for n in names
                    },
                }
            )
            pq.write_table(table, f"{d}/part-{int(t[lo]):020d}.parquet", filesystem=fs)
            written += hi - lo
    return written


def csv_to_catalog(
    path: Any, catalog: Any, symbol: str, *, format: str = "auto", **options: Any
) -> int:
    """A CSV file of any :func:`hqt.read_csv` format into the catalog, streamed
    (tick files batch by batch; memory: one batch); returns the rows written.
    `options`: read_csv's (``tz=``, ``broker_tz=``, ``time_format=``, ...)."""

    opts = D.csv_options(
        format,
        options.pop("time_column", None),
        options.pop("time_format", None),
        options.pop("dayfirst", False),
        options.pop("tz", None),
        options.pop("broker_tz", None),
    )
    unit = options.pop("unit", None)
    if options:
        raise InvalidArgumentError(f"csv_to_catalog: unknown option(s) {sorted(options)}")
    fmt, lay = D.fast_layout(path, format, opts)
    if lay is None or lay.kind == "bars":
        return write_catalog(catalog, symbol, D.read_csv(path, fmt, unit=unit, **_plain(opts)))

    lay.strict = True  # no whole-file fallback here: report what pyarrow found
    return write_catalog(catalog, symbol, _checked(path, _fastcsv.batches(lay, unit)))


def _plain(opts: Any) -> dict[str, Any]:
    return {
        "time_column": opts.time_column,
        "time_format": opts.time_format,
        "dayfirst": opts.dayfirst,
    }


def _checked(path: Any, chunks: Iterator[Any]) -> Iterator[Any]:
    """Chunks checked by the engine's tick rule (as loading them would)."""

    last, seen = 0, 0
    for c in chunks:
        validate_ticks(c, last, f"{os.fspath(path)} tick", seen)
        if len(c):
            last, seen = int(c.time[-1]), seen + len(c)
        yield c


def _bound(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    try:
        return int(np.datetime64(value, "ns").astype(np.int64))
    except (ValueError, TypeError):
        pass
    ts = getattr(value, "timestamp", None)
    if ts is not None:  # an aware datetime
        return int(round(ts() * 1e9))
    raise InvalidArgumentError(
        f"{what} must be a date/time ('2024-03-01', datetime64, int ns), not {value!r}"
    )


def catalog_symbols(catalog: Any, kind: str = "ticks", timeframe: int | None = None) -> list[str]:
    """The symbols the catalog holds data of this kind for."""
    import pyarrow.fs as pafs

    fs, root = _fs(catalog)
    base = f"{root}/{_kind_dir(kind, timeframe)}"
    infos = fs.get_file_info(pafs.FileSelector(base, allow_not_found=True))
    return sorted(i.base_name.split("=", 1)[1] for i in infos if i.base_name.startswith("symbol="))


def _files(fs: Any, base: str, symbol: str, lo: int | None, hi: int | None) -> list[str]:
    """The symbol's files whose day can hold rows in [lo, hi), in time order."""
    import pyarrow.fs as pafs

    sel = pafs.FileSelector(f"{base}/symbol={symbol}", allow_not_found=True)
    days = sorted(i.path for i in fs.get_file_info(sel) if i.type == pafs.FileType.Directory)
    first = None if lo is None else np.datetime64(lo // _DAY, "D").astype(str)
    last = None if hi is None else np.datetime64((hi - 1) // _DAY, "D").astype(str)
    out = []
    for d in days:
        day = d.rsplit("date=", 1)[-1]
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        parts = fs.get_file_info(pafs.FileSelector(d))
        out += sorted(p.path for p in parts if p.path.endswith(".parquet"))
    return out


def _batches(
    fs: Any, files: list[str], names: Sequence[str], lo: int | None, hi: int | None
) -> Iterator[Any]:
    pa, ds, _pq = _pa()
    if not files:
        return
    dataset = ds.dataset(files, filesystem=fs, format="parquet")
    cond = None
    t = ds.field("time")
    if lo is not None:
        cond = t >= pa.scalar(lo, pa.timestamp("ns", "UTC"))
    if hi is not None:
        c2 = t < pa.scalar(hi, pa.timestamp("ns", "UTC"))
        cond = c2 if cond is None else cond & c2
    for frag in dataset.get_fragments():  # in the order of `files`: time order
        yield from frag.to_batches(columns=["time", *names], filter=cond, batch_size=1 << 16)


def _series(pa: Any, batch: Any, kind: str, timeframe: int | None) -> TickData | BarData:
    t = np.asarray(batch.column(0).cast(pa.int64()).to_numpy(), dtype=np.int64)
    cols = [
        np.asarray(batch.column(k + 1).to_numpy(), dtype=np.float64)
        for k in range(batch.num_columns - 1)
    ]
    if kind == "ticks":
        return TickData(t, cols[0], cols[1])
    return BarData(t, cols[0], cols[1], cols[2], cols[3], cols[4], timeframe)


def load_catalog(
    symbols: str | Sequence[str],
    start: Any = None,
    end: Any = None,
    *,
    catalog: Any,
    kind: str = "ticks",
    timeframe: int | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """The rows of `symbols` with ``start <= time < end`` (None: open-ended).

    Without `engine`: ``{symbol: TickData or BarData}``. With `engine`: each
    batch is loaded into it as read (the symbols must be its symbols; bounded
    memory) and ``{symbol: rows loaded}`` is returned; a symbol fails whole.
    ``kind="bars"`` needs ``timeframe`` (minutes). A symbol the catalog does
    not hold raises InvalidArgumentError listing the ones it does.
    """
    pa, _ds, _pq = _pa()
    names = [symbols] if isinstance(symbols, str) else list(symbols)
    for s in names:
        _check_symbol(s)
    lo, hi = _bound(start, "start"), _bound(end, "end")
    fs, root = _fs(catalog)
    base = f"{root}/{_kind_dir(kind, timeframe)}"
    held = catalog_symbols(catalog, kind, timeframe)
    missing = [s for s in names if s not in held]
    if missing:
        raise InvalidArgumentError(
            f"catalog {os.fspath(catalog)!r} has no {kind} of {missing}; it holds {held or 'nothing'}"
        )
    cols = _TICKS if kind == "ticks" else _BARS
    out: dict[str, Any] = {}
    for s in names:
        series = (
            _series(pa, b, kind, timeframe)
            for b in _batches(fs, _files(fs, base, s, lo, hi), cols, lo, hi)
        )
        if engine is not None:
            out[s] = _into_engine(engine, s, series, kind, timeframe)
        else:
            out[s] = _joined(list(series), kind, timeframe)
    return out


def _joined(parts: list[Any], kind: str, timeframe: int | None) -> TickData | BarData:
    def col(n: str, dtype: Any) -> Any:
        return np.concatenate([getattr(p, n) for p in parts]) if parts else np.zeros(0, dtype)

    t = col("time", np.int64)
    if kind == "ticks":
        return TickData(t, col("bid", np.float64), col("ask", np.float64))
    o, h, lo, c, v = (col(n, np.float64) for n in _BARS)
    return BarData(t, o, h, lo, c, v, timeframe)


def _into_engine(
    engine: Engine, symbol: str, series: Iterator[Any], kind: str, timeframe: int | None
) -> int:
    if kind == "ticks":
        loaded, _ = load_tick_chunks(engine, symbol, series)
        return loaded
    assert timeframe is not None
    bars = _joined(list(series), kind, timeframe)  # bars are small: loaded at once
    if not len(bars):
        return 0
    return engine.load_bars(symbol, timeframe, bars)
