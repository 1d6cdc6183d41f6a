"""Market data from pandas DataFrames and Parquet files, as numpy columns.

Every function here returns :class:`hqt.data.TickData` / :class:`hqt.data.BarData`
(int64 ns times, float64 prices) built column by column: no Python object
per row is ever made, and a float64 column of a DataFrame is passed on
without a copy when it already is contiguous float64.

Time: a ``DatetimeIndex`` (any unit; tz-aware times are converted to UTC,
naive ones are taken as UTC) or a column named ``time``, ``time_ns``,
``timestamp``, ``datetime`` or ``date`` (case-insensitive) holding
datetime64 values, integer nanoseconds since the epoch, or ISO-8601
strings. Integer times are nanoseconds unless the loader gets ``unit=``
(``"s"``, ``"ms"``, ``"us"``); integers that only make sense as seconds,
milliseconds or microseconds are refused without it, and dates outside
1677-09-21 .. 2262-04-11 (what int64 ns can hold) are refused naming the
row, never wrapped around. Prices: ``bid``/``ask`` for ticks, ``open``/``high``/``low``/
``close`` and optionally ``volume`` (or ``tick_volume``/``tickvol``) for
bars, case-insensitive.

Parquet (``pip install 'hqt-engine[parquet]'``): the same column names, the time a
timestamp column (any unit or time zone) or int64 ns. :func:`iter_parquet`
reads a file batch by batch so that loading it keeps memory near the size
of the data (see ``Engine.load_parquet``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from hqt import _optional
from hqt._arrays import _datetime64_to_ns, as_time_array
from hqt._series import BarData, TickData, infer_timeframe
from hqt.errors import BadDataError, InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray

__all__ = [
    "TIME_COLUMNS",
    "index_to_ns",
    "frame_kind",
    "ticks_from_frame",
    "bars_from_frame",
    "from_frame",
    "read_parquet",
    "iter_parquet",
    "validate_ticks",
    "validate_bars",
]

PathLike = Union[str, "os.PathLike[str]"]

#: Names recognised for the time column (case-insensitive), in order of preference.
TIME_COLUMNS = ("time", "time_ns", "timestamp", "datetime", "date")
_VOLUME_COLUMNS = ("volume", "tick_volume", "tickvol", "real_volume")
_TICK_COLUMNS = ("bid", "ask")
_NAT = np.iinfo(np.int64).min
_BAR_COLUMNS = ("open", "high", "low", "close")


# ---- pandas ----------------------------------------------------------------------------


def _is_datetime_index(idx: Any) -> bool:
    return getattr(idx, "dtype", None) is not None and (
        getattr(idx.dtype, "kind", "") == "M" or str(idx.dtype).startswith("datetime64")
    )


def _no_unit(unit: str | None, what: str) -> None:
    if unit is not None:
        raise InvalidArgumentError(
            f"unit= is for integer times; {what} times carry their own unit (got unit={unit!r})"
        )


def index_to_ns(values: Any, unit: str | None = None) -> NDArray[np.int64]:
    """A DatetimeIndex / datetime Series / array as int64 ns since the epoch (UTC).

    Integer values are in `unit` (``"s"``, ``"ms"``, ``"us"``, ``"ns"``; None =
    ns, refusing values that only make sense as seconds/ms/us: see
    :func:`hqt.engine.as_time_array`). Dates outside 1677-09-21 .. 2262-04-11
    (what int64 ns can hold) are refused, naming the row, not wrapped around.
    """
    pd = _optional.optional("pandas")
    if pd is not None and isinstance(values, (pd.Index, pd.Series)):
        dtype = values.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            values = (
                values.tz_convert("UTC").tz_localize(None)
                if isinstance(values, pd.Index)
                else values.dt.tz_convert("UTC").dt.tz_localize(None)
            )
            dtype = values.dtype
        if getattr(dtype, "kind", "") == "M":
            _no_unit(unit, "datetime")
            if values.isna().any():
                i = int(np.flatnonzero(np.asarray(values.isna()))[0])
                raise InvalidArgumentError(f"time contains NaT (at row {i})")
            return np.ascontiguousarray(_datetime64_to_ns(np.asarray(values.to_numpy()), "time"))
        if getattr(dtype, "kind", "") in "iuf":
            return as_time_array(values.to_numpy(), "time", unit)
        if dtype == object or pd.api.types.is_string_dtype(dtype):
            _no_unit(unit, "ISO-8601 string")
            try:
                conv = pd.to_datetime(values, utc=True, format="ISO8601")
            except (ValueError, TypeError) as e:
                raise InvalidArgumentError(
                    f"time column: cannot parse as date/time ({e})"
                ) from None
            return index_to_ns(conv)
        raise TypeError(f"time must be datetime64, integer ns or ISO-8601 strings, not {dtype}")
    return as_time_array(np.asarray(values), "time", unit)


def _columns(df: Any) -> dict[str, Any]:
    """Lower-cased column name -> column name (first wins)."""
    out: dict[str, Any] = {}
    for c in df.columns:
        key = str(c).strip().lower()
        out.setdefault(key, c)
    return out


def _frame_time(df: Any, unit: str | None = None) -> NDArray[np.int64]:
    if _is_datetime_index(df.index):
        return index_to_ns(df.index, unit)
    cols = _columns(df)
    for name in TIME_COLUMNS:
        if name in cols:
            return index_to_ns(df[cols[name]], unit)
    raise InvalidArgumentError(
        "the DataFrame needs a DatetimeIndex or a time column (one of "
        f"{', '.join(TIME_COLUMNS)}); columns: {', '.join(map(str, df.columns))}"
    )


def _frame_float(df: Any, cols: dict[str, Any], name: str) -> NDArray[np.float64]:
    col = df[cols[name]]
    try:
        arr = col.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"column {name!r} must be numbers: {e}") from None
    return np.ascontiguousarray(arr)


def frame_kind(df: Any) -> str:
    """``"ticks"`` if the frame has bid and ask, ``"bars"`` if it has OHLC columns."""
    cols = _columns(df)
    if all(c in cols for c in _TICK_COLUMNS):
        return "ticks"
    if all(c in cols for c in _BAR_COLUMNS):
        return "bars"
    raise InvalidArgumentError(
        "cannot tell ticks from bars: the DataFrame needs bid and ask columns (ticks) or "
        f"open, high, low, close (bars); columns: {', '.join(map(str, df.columns))}"
    )


def _require_columns(df: Any, names: Sequence[str], kind: str) -> dict[str, Any]:
    cols = _columns(df)
    missing = [n for n in names if n not in cols]
    if missing:
        raise InvalidArgumentError(
            f"{kind} need columns {', '.join(names)}; missing "
            f"{', '.join(missing)} (columns: "
            f"{', '.join(map(str, df.columns))})"
        )
    return cols


def ticks_from_frame(df: Any, *, unit: str | None = None) -> TickData:
    """Ticks (time, bid, ask) of a DataFrame, without per-row objects.

    ``unit``: the unit of an integer time column (see :func:`index_to_ns`)."""
    cols = _require_columns(df, _TICK_COLUMNS, "ticks")
    t = _frame_time(df, unit)
    return TickData(t, _frame_float(df, cols, "bid"), _frame_float(df, cols, "ask"))


def bars_from_frame(df: Any, timeframe: int | None = None, *, unit: str | None = None) -> BarData:
    """Bars (open time, OHLC, volume) of a DataFrame; timeframe inferred when None.

    ``unit``: the unit of an integer time column (see :func:`index_to_ns`)."""
    cols = _require_columns(df, _BAR_COLUMNS, "bars")
    t = _frame_time(df, unit)
    vol_name = next((v for v in _VOLUME_COLUMNS if v in cols), None)
    vol = _frame_float(df, cols, vol_name) if vol_name is not None else np.zeros(len(t), np.float64)
    o, h, lo, c = (_frame_float(df, cols, n) for n in _BAR_COLUMNS)
    return BarData(t, o, h, lo, c, vol, timeframe if timeframe is not None else infer_timeframe(t))


def from_frame(
    df: Any, kind: str = "auto", timeframe: int | None = None, *, unit: str | None = None
) -> TickData | BarData:
    """Ticks or bars of a DataFrame (``kind`` ``"ticks"``, ``"bars"`` or ``"auto"``);
    ``unit``: the unit of an integer time column (None: ns)."""
    if kind == "auto":
        kind = frame_kind(df)
    if kind == "ticks":
        if timeframe is not None:
            raise InvalidArgumentError("timeframe= is only for bars")
        return ticks_from_frame(df, unit=unit)
    if kind == "bars":
        return bars_from_frame(df, timeframe, unit=unit)
    raise InvalidArgumentError(f"kind must be 'ticks', 'bars' or 'auto', got {kind!r}")


# ---- validation (so that batch-wise loads fail before anything is loaded) ------------------------
# The rules are the engine's own (include/hqt.h, hqt_validate_ticks / hqt_validate_bars): same
# checks, same exception classes, same messages as Engine.load_ticks / load_bars.


def _f64(x: Any) -> NDArray[np.float64]:
    return np.ascontiguousarray(x, dtype=np.float64)  # no copy when it already is


def validate_ticks(
    data: TickData, after: int | None = None, where: str = "tick", first_index: int = 0
) -> None:
    """Raises what ``Engine.load_ticks`` would for `data` (messages name ``where`` and the
    index from `first_index`); `after`: the time of the tick before (previous batch's last)."""
    from hqt import _hqt

    _hqt.validate_ticks(
        np.ascontiguousarray(data.time, dtype=np.int64),
        _f64(data.bid),
        _f64(data.ask),
        after or 0,
        where,
        first_index,
    )


def validate_bars(
    data: BarData,
    after: int | None = None,
    where: str = "bar",
    first_index: int = 0,
    timeframe: int | None = None,
) -> None:
    """Raises what ``Engine.load_bars`` would for `data` (timeframe: `timeframe`, else the
    data's, else M1); `after`: the open time of the bar before (previous batch's last)."""
    from hqt import _hqt

    tf = timeframe if timeframe is not None else (data.timeframe or 1)
    _hqt.validate_bars(
        int(tf),
        np.ascontiguousarray(data.time, dtype=np.int64),
        _f64(data.open),
        _f64(data.high),
        _f64(data.low),
        _f64(data.close),
        _f64(data.volume),
        after,
        0,
        where,
        first_index,
    )


# ---- Parquet ---------------------------------------------------------------------------------------


def _arrow_names(schema: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in schema.names:
        out.setdefault(name.strip().lower(), name)
    return out


def _parquet_plan(schema: Any, kind: str) -> tuple[str, dict[str, str]]:
    """(kind, {role: column name}) for a Parquet schema."""
    names = _arrow_names(schema)
    if kind == "auto":
        if all(c in names for c in _TICK_COLUMNS):
            kind = "ticks"
        elif all(c in names for c in _BAR_COLUMNS):
            kind = "bars"
        else:
            raise InvalidArgumentError(
                "cannot tell ticks from bars: the file needs bid and ask columns (ticks) or "
                f"open, high, low, close (bars); columns: {', '.join(schema.names)}"
            )
    roles: dict[str, str] = {}
    time_name = next((n for n in TIME_COLUMNS if n in names), None)
    if time_name is None:
        # pandas writes a DatetimeIndex as a column named after the index (or __index_level_0__)
        for field in schema:
            if str(field.type).startswith("timestamp"):
                time_name = field.name.strip().lower()
                names.setdefault(time_name, field.name)
                break
    if time_name is None:
        raise InvalidArgumentError(
            f"the file needs a time column (one of {', '.join(TIME_COLUMNS)}"
            f", or any timestamp column); columns: "
            f"{', '.join(schema.names)}"
        )
    roles["time"] = names[time_name]
    wanted = _TICK_COLUMNS if kind == "ticks" else _BAR_COLUMNS
    missing = [c for c in wanted if c not in names]
    if missing:
        raise InvalidArgumentError(
            f"{kind} need columns {', '.join(wanted)}; missing "
            f"{', '.join(missing)} (columns: {', '.join(schema.names)})"
        )
    for c in wanted:
        roles[c] = names[c]
    if kind == "bars":
        vol = next((v for v in _VOLUME_COLUMNS if v in names), None)
        if vol is not None:
            roles["volume"] = names[vol]
    elif kind != "ticks":
        raise InvalidArgumentError(f"kind must be 'ticks', 'bars' or 'auto', got {kind!r}")
    return kind, roles


def _arrow_view(
    pa: Any, col: Any, dtype: type[np.generic], ns_timestamps: bool = False
) -> np.ndarray | None:
    """The values of a null-free int64 (or, with ``ns_timestamps``, timestamp
    in ns) or float64 Arrow array as a read-only numpy view of its buffer (no
    copy); None for any other array.

    ``Array.to_numpy`` goes through pyarrow's pandas conversion, which
    imports pandas (~45 MB and half a second) even for these; a load in
    batches needs neither that nor a copy per batch.
    """
    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks != 1:
            return None
        col = col.chunk(0)
    if not isinstance(col, pa.Array) or col.null_count:
        return None
    typ = col.type
    if dtype is np.int64:
        ns = ns_timestamps and pa.types.is_timestamp(typ) and typ.unit == "ns"
        if typ != pa.int64() and not ns:
            return None
    elif typ != pa.float64():
        return None
    if not len(col):
        return np.zeros(0, dtype)
    item = np.dtype(dtype).itemsize
    view = np.frombuffer(col.buffers()[1], dtype, count=len(col), offset=col.offset * item)
    view.flags.writeable = False  # Arrow's memory, as to_numpy gives it
    return view


def _arrow_time(
    pa: Any, col: Any, unit: str | None = None, first_row: int = 0
) -> NDArray[np.int64]:
    typ = col.type
    what = "time" if not first_row else f"time (rows from {first_row})"
    if col.null_count:
        raise InvalidArgumentError("time column contains nulls")
    if pa.types.is_timestamp(typ):
        _no_unit(unit, "timestamp")
        # stored as UTC instants: ns ones are the int64 ns the engine takes
        # (but NaT, -2**63, goes the datetime64 way, which names it)
        view = _arrow_view(pa, col, np.int64, ns_timestamps=True)
        if view is not None and not (view == _NAT).any():
            return view
        # numpy keeps the column's unit, checked before going to ns
        return np.ascontiguousarray(_datetime64_to_ns(col.to_numpy(), what))
    if pa.types.is_integer(typ):
        view = _arrow_view(pa, col, np.int64)
        values = view if view is not None else col.to_numpy(zero_copy_only=False)
        return as_time_array(values, what, unit)
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        _no_unit(unit, "ISO-8601 string")
        pd = _optional.require("pandas", "ISO-8601 string times in a Parquet file")
        return index_to_ns(pd.Series(col.to_pandas()))
    raise TypeError(f"time column must be a timestamp or int64 ns, not {typ}")


def _arrow_float(pa: Any, col: Any, name: str) -> NDArray[np.float64]:
    if col.null_count:
        raise BadDataError(f"column {name!r} contains nulls")
    if not (
        pa.types.is_floating(col.type)
        or pa.types.is_integer(col.type)
        or pa.types.is_decimal(col.type)
    ):
        raise TypeError(f"column {name!r} must be numbers, not {col.type}")
    view = _arrow_view(pa, col, np.float64)
    if view is not None:
        return view
    return np.ascontiguousarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False))


def _from_batch(
    pa: Any,
    batch: Any,
    kind: str,
    roles: dict[str, str],
    timeframe: int | None,
    unit: str | None = None,
    first_row: int = 0,
) -> TickData | BarData:
    cols = {role: batch.column(batch.schema.get_field_index(name)) for role, name in roles.items()}
    t = _arrow_time(pa, cols["time"], unit, first_row)
    if kind == "ticks":
        return TickData(
            t, _arrow_float(pa, cols["bid"], "bid"), _arrow_float(pa, cols["ask"], "ask")
        )
    vol = (
        _arrow_float(pa, cols["volume"], "volume")
        if "volume" in cols
        else np.zeros(len(t), np.float64)
    )
    o, h, lo, c = (_arrow_float(pa, cols[n], n) for n in _BAR_COLUMNS)
    return BarData(t, o, h, lo, c, vol, timeframe)


def iter_parquet(
    path: PathLike,
    kind: str = "auto",
    *,
    timeframe: int | None = None,
    batch_rows: int = 1_000_000,
    unit: str | None = None,
) -> Iterator[TickData | BarData]:
    """Ticks or bars of a Parquet file, `batch_rows` rows at a time.

    Only the needed columns are read. Bars get ``timeframe`` as given (None:
    each batch infers its own; pass it for exact results). ``unit``: the
    unit of an integer time column (None: ns).
    """
    pq = _optional.require("pyarrow.parquet", "reading Parquet files")
    pa = _optional.require("pyarrow", "reading Parquet files")
    if batch_rows < 1:
        raise InvalidArgumentError("batch_rows must be >= 1")
    # pre_buffer (for high-latency file systems) would keep whole row groups
    # of a local file in memory until it is closed: ~10 bytes a row more
    f = pq.ParquetFile(os.fspath(path), pre_buffer=False)
    try:
        kind, roles = _parquet_plan(f.schema_arrow, kind)
        rows = 0
        for batch in f.iter_batches(
            batch_size=batch_rows, columns=list(roles.values()), use_threads=True
        ):
            yield _from_batch(pa, batch, kind, roles, timeframe, unit, rows)
            rows += batch.num_rows
    finally:
        f.close()


def parquet_kind(path: PathLike, kind: str = "auto") -> str:
    """``"ticks"`` or ``"bars"`` for a Parquet file, from its column names."""
    pq = _optional.require("pyarrow.parquet", "reading Parquet files")
    return _parquet_plan(pq.read_schema(os.fspath(path)), kind)[0]


def read_parquet(
    path: PathLike, kind: str = "auto", *, timeframe: int | None = None, unit: str | None = None
) -> TickData | BarData:
    """Read a whole Parquet file of ticks or bars into numpy columns
    (``unit``: of an integer time column; None = ns).

    For files larger than memory use ``Engine.load_parquet`` (batch-wise)
    or convert them with ``python -m hqt.tickfile convert`` and
    ``Engine.run_file``.
    """
    pq = _optional.require("pyarrow.parquet", "reading Parquet files")
    pa = _optional.require("pyarrow", "reading Parquet files")
    p = os.fspath(path)
    kind, roles = _parquet_plan(pq.read_schema(p), kind)
    table = pq.read_table(p, columns=list(roles.values()))
    cols = {role: table.column(name) for role, name in roles.items()}
    t = _arrow_time(pa, cols["time"], unit)
    if kind == "ticks":
        return TickData(
            t, _arrow_float(pa, cols["bid"], "bid"), _arrow_float(pa, cols["ask"], "ask")
        )
    vol = (
        _arrow_float(pa, cols["volume"], "volume")
        if "volume" in cols
        else np.zeros(len(t), np.float64)
    )
    o, h, lo, c = (_arrow_float(pa, cols[n], n) for n in _BAR_COLUMNS)
    return BarData(t, o, h, lo, c, vol, timeframe if timeframe is not None else infer_timeframe(t))
