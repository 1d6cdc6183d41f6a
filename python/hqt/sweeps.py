"""Parameter sweeps: one backtest per parameter set, on local processes or on Dask.

::

    import hqt

    class SmaCross(hqt.Strategy):
        def __init__(self, fast, slow): ...

    table = hqt.sweep(
        SmaCross,                                   # called as SmaCross(**params)
        {"fast": [5, 10, 20], "slow": [50, 100]},   # 6 parameter sets
        bars,                                       # hqt.BarData, arrays, DataFrame, ...
        {"balance": 10_000, "currency": "USD", "leverage": 100,
         "symbols": {"EURUSD": {"commission_per_lot": 3.5}}},
    )
    table.sort_values("net_profit", ascending=False)

The same call with ``client=distributed.Client(...)`` runs the backtests on a
Dask cluster (``hqt`` must be importable on the workers).

How a sweep runs
----------------

* The data is normalised once in the calling process (to int64 ns times and
  float64 prices) and shipped to each worker **once**, not with every task:
  a local ``fork`` pool inherits it (copy-on-write, nothing is serialised); a
  ``spawn``/``forkserver`` pool maps it read-only from one temporary file
  written by the parent (one copy in memory whatever the number of workers);
  on Dask it is scattered with ``broadcast=True`` and every task refers to it
  by key. ``make_strategy`` and ``collect`` travel the same way (cloudpickle
  is used for ``spawn`` when installed, so classes defined in a notebook work).
* A task gets only ``(index, params)``. It builds a fresh engine from
  ``engine_args``, loads the data, seeds the global random generators
  (``random`` and the legacy ``numpy.random``) with the task's seed, calls
  ``make_strategy(**params)`` (plus ``seed=`` if it takes one), runs it and
  returns one row: the parameters, the seed and :class:`hqt.Statistics`.
* The seed of a task is a hash of its parameters and the sweep's ``seed``
  (:func:`task_seed`), so a row never depends on which worker ran it, in which
  order, or how many workers there were: :func:`run_one` in the calling
  process gives the same numbers.

This module imports only the standard library at import time; numpy, pandas,
the native engine and distributed are imported when used.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import os
import pickle
import random
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hqt import _task_wal  # standard library only, as this module
from hqt.errors import HQTError, InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from hqt.engine import Engine, TickModelName

__all__ = [
    "sweep",
    "SweepError",
    "run_one",
    "make_engine",
    "expand_grid",
    "task_seed",
    "ENGINE_ARGS",
]

#: Keys understood in ``engine_args`` (everything but "symbols" is optional).
ENGINE_ARGS = (
    "balance",
    "currency",
    "leverage",
    "mode",
    "margin_call",
    "stop_out",
    "equity_interval",
    "symbols",
)

_TICK_FIELDS = ("time", "bid", "ask")
_BAR_FIELDS = ("time", "open", "high", "low", "close")

Params = dict[str, Any]
Grid = Mapping[str, Any] | Sequence[Mapping[str, Any]]


class SweepError(HQTError):
    """A parameter set failed.

    Attributes:
        index: position of the parameter set in the grid (0-based).
        params: the parameter set.
        error: ``"ExceptionType: message"`` of the original error.
        remote_traceback: the traceback as formatted where the task ran.
    """

    def __init__(
        self, index: int, params: Mapping[str, Any], error: str, remote_traceback: str = ""
    ) -> None:
        self.index = index
        self.params = dict(params)
        self.error = error
        self.remote_traceback = remote_traceback
        msg = f"parameter set #{index} {self.params!r} failed: {error}"
        if remote_traceback:
            msg += "\n\nTraceback of the failed task:\n" + remote_traceback.rstrip()
        super().__init__(msg)
        self.args = (index, params, error, remote_traceback)


# ---- grid and seeds ----------------------------------------------------------------


def expand_grid(grid: Grid) -> list[Params]:
    """The parameter sets of `grid`, in order.

    A mapping ``{"a": [1, 2], "b": [3, 4]}`` gives the cartesian product in
    key order, the last key varying fastest: ``a=1,b=3``, ``a=1,b=4``,
    ``a=2,b=3``, ... A value that is not a list, tuple, range, set or numpy
    array (a str, a number) is one fixed value. A sequence of mappings is taken
    as the list of parameter sets itself. numpy scalars become Python scalars.
    """
    if isinstance(grid, Mapping):
        if not grid:
            return [{}]
        names = list(grid)
        for n in names:
            if not isinstance(n, str) or not n.isidentifier():
                raise InvalidArgumentError(f"grid parameter names must be identifiers, got {n!r}")
        values = []
        for n in names:
            v = grid[n]
            if _is_value_list(v):
                vals = [_plain(x) for x in v]
                if not vals:
                    raise InvalidArgumentError(f"grid parameter {n!r} has no values")
            else:
                vals = [_plain(v)]
            values.append(vals)
        return [dict(zip(names, combo, strict=False)) for combo in itertools.product(*values)]
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Iterable):
        raise InvalidArgumentError(
            "grid must be a mapping of parameter -> list of values or a "
            f"sequence of mappings, not {type(grid).__name__}"
        )
    out = []
    for i, p in enumerate(grid):
        if not isinstance(p, Mapping):
            raise InvalidArgumentError(
                f"grid entry #{i} must be a mapping of parameters, not {type(p).__name__}"
            )
        for n in p:
            if not isinstance(n, str) or not n.isidentifier():
                raise InvalidArgumentError(
                    f"grid entry #{i}: parameter names must be identifiers, got {n!r}"
                )
        out.append({k: _plain(v) for k, v in p.items()})
    return out


def _is_value_list(v: Any) -> bool:
    if isinstance(v, (list, tuple, range, set, frozenset)):
        return True
    return type(v).__module__ == "numpy" and getattr(v, "ndim", 0) == 1


def _plain(v: Any) -> Any:
    """numpy scalars -> Python scalars (they pickle, hash and print plainly)."""
    if type(v).__module__ == "numpy" and hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
        return v.item()
    return v


def _canonical(v: Any) -> str:
    v = _plain(v)
    if isinstance(v, Mapping):
        return "{" + ",".join(f"{k!r}:{_canonical(v[k])}" for k in sorted(v, key=repr)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_canonical(x) for x in v) + "]"
    if isinstance(v, (set, frozenset)):
        return "{" + ",".join(sorted(_canonical(x) for x in v)) + "}"
    if isinstance(v, float):
        return float.hex(v)
    return repr(v)


def task_seed(params: Mapping[str, Any], seed: int = 0) -> int:
    """The seed of the task running `params` in a sweep with base `seed` (0 ... 2**63-1).

    A SHA-256 hash of the parameters (names sorted; values by their repr, floats
    exactly) and `seed`: the same for every process, machine and Python run.
    """
    text = f"hqt.sweep:{int(seed)}:{_canonical(dict(params))}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


# ---- engine and data -----------------------------------------------------------------


def make_engine(engine_args: Mapping[str, Any]) -> Engine:
    """A fresh :class:`hqt.Engine` described by `engine_args` (see :func:`sweep`)."""
    from hqt.engine import Engine

    args = _check_engine_args(engine_args)
    kw: dict[str, Any] = {}
    for k in ("mode", "margin_call", "stop_out"):
        if k in args:
            kw[k] = args[k]
    engine = Engine(
        float(args.get("balance", 10_000.0)),
        args.get("currency", "USD"),
        int(args.get("leverage", 100)),
        **kw,
    )
    try:
        if "equity_interval" in args:
            engine.set_equity_interval(int(args["equity_interval"]))
        for name, spec in _symbol_specs(args).items():
            engine.add_symbol(name, **spec)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _check_engine_args(engine_args: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(engine_args, Mapping):
        raise InvalidArgumentError(
            "engine_args must be a mapping such as {'balance': 10000, "
            "'currency': 'USD', 'leverage': 100, 'symbols': "
            f"{{'EURUSD': {{}}}}}}, not {type(engine_args).__name__}"
        )
    unknown = sorted(set(engine_args) - set(ENGINE_ARGS), key=str)
    if unknown:
        raise InvalidArgumentError(
            f"engine_args: unknown key(s) {unknown}; known keys: {list(ENGINE_ARGS)}"
        )
    if not engine_args.get("symbols"):
        raise InvalidArgumentError(
            "engine_args needs 'symbols': a mapping of symbol name -> "
            "add_symbol() keyword arguments (or a list of names)"
        )
    return engine_args


def _symbol_specs(args: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    syms = args["symbols"]
    if isinstance(syms, str):
        return {syms: {}}
    if isinstance(syms, Mapping):
        out = {}
        for name, spec in syms.items():
            if spec is None:
                spec = {}
            if not isinstance(spec, Mapping):
                raise InvalidArgumentError(
                    f"engine_args['symbols'][{name!r}] must be a mapping "
                    "of add_symbol() keyword arguments"
                )
            out[str(name)] = dict(spec)
        return out
    return {str(name): {} for name in syms}


@dataclass
class _Series:
    """One normalised series: ticks (timeframe None) or bars of one timeframe."""

    timeframe: int | None
    arrays: dict[str, np.ndarray]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())


def _normalise_data(
    data: Any, symbols: Sequence[str], symbol: str | int | None
) -> dict[str, list[_Series]]:
    """`data` as {symbol name: [series, ...]}, checked and converted once."""
    if data is None:
        return {}
    if isinstance(data, Mapping) and not _looks_like_series(data):
        if symbol is not None:
            raise InvalidArgumentError(
                "symbol= is for data holding one series; data is a "
                "mapping of symbol -> series already"
            )
        out: dict[str, list[_Series]] = {}
        for name, value in data.items():
            key = _symbol_name(name, symbols)
            items = value if isinstance(value, (list, tuple)) else [value]
            out.setdefault(key, []).extend(_series(v, f"data[{name!r}]") for v in items)
        return out
    if symbol is None:
        if len(symbols) != 1:
            raise InvalidArgumentError(
                f"data is one series but engine_args has {len(symbols)} "
                f"symbols {list(symbols)}: say which with symbol=, or "
                "pass data as {symbol name: series}"
            )
        key = symbols[0]
    else:
        key = _symbol_name(symbol, symbols)
    items = data if isinstance(data, (list, tuple)) else [data]
    return {key: [_series(v, "data") for v in items]}


def _symbol_name(ref: Any, symbols: Sequence[str]) -> str:
    if isinstance(ref, str):
        if ref not in symbols:
            raise InvalidArgumentError(
                f"data for symbol {ref!r}, which engine_args['symbols'] "
                f"does not define (it has {list(symbols)})"
            )
        return ref
    if isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < len(symbols):
        return symbols[ref]
    raise InvalidArgumentError(
        f"unknown symbol {ref!r}; engine_args['symbols'] has {list(symbols)}"
    )


def _looks_like_series(m: Mapping[str, Any]) -> bool:
    return "time" in m


def _times(values: Any, what: str, unit: str | None) -> Any:
    """as_time_array, its unit hint said the sweep's way: the loaders' ``unit=``
    is a ``"unit"`` key of the data mapping here."""
    from hqt._arrays import as_time_array

    return as_time_array(
        values,
        what,
        unit,
        unit_hint="add \"unit\": {!r} to the data mapping (e.g. {{'time': t, 'bid': b, "
        "'ask': a, 'unit': 's'}}), or pass times in int64 nanoseconds",
    )


def _series(obj: Any, what: str) -> _Series:
    import numpy as np

    from hqt._arrays import as_price_array
    from hqt.data import BarData, TickData, infer_timeframe, read_csv

    if isinstance(obj, (str, os.PathLike)):
        obj = read_csv(obj)
    timeframe = None
    unit = None
    if isinstance(obj, TickData):
        cols: dict[str, Any] = {"time": obj.time, "bid": obj.bid, "ask": obj.ask}
    elif isinstance(obj, BarData):
        cols = {
            "time": obj.time,
            "open": obj.open,
            "high": obj.high,
            "low": obj.low,
            "close": obj.close,
            "volume": obj.volume,
        }
        timeframe = obj.timeframe
    elif isinstance(obj, Mapping):
        cols = dict(obj)
        timeframe = cols.pop("timeframe", None)
        # The unit of integer times, as the loaders' unit= ("s", "ms", "us", "ns").
        unit = cols.pop("unit", None)
    elif isinstance(obj, np.ndarray) and obj.dtype.names:
        cols = {n: obj[n] for n in obj.dtype.names}
    elif hasattr(obj, "columns") and hasattr(obj, "index"):  # a pandas DataFrame
        cols = {str(c).lower(): obj[c].to_numpy() for c in obj.columns}
        if "time" not in cols:
            idx = obj.index
            if getattr(idx, "tz", None) is not None:
                idx = idx.tz_convert("UTC").tz_localize(None)
            cols["time"] = np.asarray(idx)
        timeframe = getattr(obj, "attrs", {}).get("timeframe")
    else:
        raise InvalidArgumentError(
            f"{what}: cannot read market data from a {type(obj).__name__}; pass hqt.TickData / "
            "hqt.BarData, a CSV path, a mapping or numpy structured array with fields "
            "time,bid,ask or time,open,high,low,close[,volume], or a pandas DataFrame"
        )
    if all(k in cols for k in _TICK_FIELDS):
        if timeframe is not None:
            raise InvalidArgumentError(f"{what}: ticks take no timeframe")
        arrays = {
            "time": _times(cols["time"], f"{what} time", unit),
            "bid": as_price_array(cols["bid"], f"{what} bid"),
            "ask": as_price_array(cols["ask"], f"{what} ask"),
        }
    elif all(k in cols for k in _BAR_FIELDS):
        arrays = {"time": _times(cols["time"], f"{what} time", unit)}
        for k in _BAR_FIELDS[1:]:
            arrays[k] = as_price_array(cols[k], f"{what} {k}")
        vol = cols.get("volume")
        arrays["volume"] = (
            np.zeros(len(arrays["time"])) if vol is None else as_price_array(vol, f"{what} volume")
        )
        if timeframe is None:
            timeframe = infer_timeframe(np.asarray(arrays["time"], dtype=np.int64))
            if timeframe is None:
                raise InvalidArgumentError(
                    f"{what}: cannot infer the bars' timeframe from their times; pass a "
                    "mapping with a 'timeframe' key (minutes, e.g. hqt.M1)"
                )
        timeframe = int(timeframe)
    else:
        raise InvalidArgumentError(
            f"{what}: needs fields time,bid,ask (ticks) or "
            f"time,open,high,low,close (bars); got {sorted(cols)}"
        )
    n = len(arrays["time"])
    for k, a in arrays.items():
        if len(a) != n:
            raise InvalidArgumentError(f"{what}: column {k!r} has {len(a)} values, time has {n}")
    return _Series(timeframe, arrays)


def _load(engine: Engine, data: Mapping[str, list[_Series]]) -> None:
    for name, series in data.items():
        sid = engine.find_symbol(name)
        for s in series:
            a = s.arrays
            if s.timeframe is None:
                engine.load_ticks(sid, a["time"], a["bid"], a["ask"])
            else:
                engine.load_bars(
                    sid,
                    s.timeframe,
                    a["time"],
                    a["open"],
                    a["high"],
                    a["low"],
                    a["close"],
                    a["volume"],
                )


# ---- one task -----------------------------------------------------------------------


@dataclass
class _Job:
    """Everything a task needs besides its parameters (shipped once per worker)."""

    make_strategy: Callable[..., Any]
    engine_args: Mapping[str, Any]
    data: dict[str, list[_Series]]
    seed: int
    collect: Callable[[Any, Any], Mapping[str, Any]] | None = None
    takes_seed: bool = field(default=False)
    tick_model: str | None = None  # Engine.run's
    wal_dir: str | None = None  # hqt._task_wal: where the tasks' logs live
    wal_text: str = ""  # what a task's log name depends on besides its parameters


def _takes_seed(make_strategy: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(make_strategy)
    except (TypeError, ValueError):
        return False
    p = sig.parameters.get("seed")
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def _seed_globals(seed: int) -> None:
    random.seed(seed)
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(seed % 2**32)


def _execute(job: _Job, params: Params) -> tuple[dict[str, Any], Engine, Any]:
    """Run one parameter set: (row, engine after the run, strategy)."""
    seed = params["seed"] if "seed" in params else task_seed(params, job.seed)
    kwargs = dict(params)
    if job.takes_seed and "seed" not in kwargs:
        kwargs["seed"] = seed
    engine = make_engine(job.engine_args)
    try:
        _load(engine, job.data)
        _seed_globals(seed)
        strategy = job.make_strategy(**kwargs)
        resumed_at = None
        if job.wal_dir is None:
            engine.run(strategy, progress=False, tick_model=job.tick_model)  # type: ignore[arg-type]
        else:
            name = _task_wal.wal_key(seed, _canonical(params), job.wal_text)
            resumed_at = _task_wal.run_logged(
                engine, strategy, job.wal_dir, name, tick_model=job.tick_model
            )
        row: dict[str, Any] = dict(params)
        row["seed"] = seed
        row.update(engine.statistics().as_dict())
        if resumed_at is not None:
            row["resumed_at"] = resumed_at  # events the recovered log had (0: not resumed)
        if job.collect is not None:
            extra = job.collect(engine, strategy)
            if extra:
                row.update(extra)
    except BaseException:
        engine.dispose()
        raise
    return row, engine, strategy


def _task(job: _Job, index: int, params: Params) -> tuple[int, str, Any]:
    """A task as run by a worker: never raises (errors come back as data)."""
    try:
        row, engine, _ = _execute(job, params)
        engine.dispose()
        return index, "ok", row
    except Exception as e:  # noqa: BLE001 - reported to the caller with the params
        return index, "error", (f"{type(e).__name__}: {e}", traceback.format_exc())


# local pool workers keep the job in a global set by the initializer
_WORKER_JOB: _Job | None = None
_WORKER_MAPS: list[Any] = []


def _init_inherited(job: _Job) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job


def _init_from_file(
    job_bytes: bytes,
    path: str,
    layout: list[tuple[str, int | None, list[tuple[str, str, int, int]]]],
) -> None:
    import numpy as np

    global _WORKER_JOB
    job: _Job = pickle.loads(job_bytes)
    raw = np.memmap(path, dtype=np.uint8, mode="r") if os.path.getsize(path) else None
    data: dict[str, list[_Series]] = {}
    for name, tf, cols in layout:
        arrays = {}
        for col, dtype, offset, count in cols:
            if count == 0 or raw is None:
                arrays[col] = np.empty(0, dtype=dtype)
            else:
                arrays[col] = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
        data.setdefault(name, []).append(_Series(tf, arrays))
    job.data = data
    _WORKER_MAPS.append(raw)
    _WORKER_JOB = job


def _pool_task(index: int, params: Params) -> tuple[int, str, Any]:
    assert _WORKER_JOB is not None, "sweep worker was not initialised"
    return _task(_WORKER_JOB, index, params)


def _dask_task(job: _Job, index: int, params: Params) -> tuple[int, str, Any]:
    return _task(job, index, params)


# ---- the public entry points ---------------------------------------------------------------


def _prepare(
    make_strategy: Callable[..., Any],
    data: Any,
    engine_args: Mapping[str, Any],
    symbol: str | int | None,
    seed: int,
    collect: Callable[[Any, Any], Mapping[str, Any]] | None,
    tick_model: str | None = None,
    wal_dir: Any = None,
) -> _Job:
    if not callable(make_strategy):
        raise InvalidArgumentError(
            "make_strategy must be callable (a Strategy class or a "
            f"function of the parameters), not {type(make_strategy).__name__}"
        )
    if collect is not None and not callable(collect):
        raise InvalidArgumentError("collect must be callable(engine, strategy) -> mapping")
    args = _check_engine_args(engine_args)
    make_engine(args).dispose()  # fail here, not in every worker, on a bad description
    symbols = list(_symbol_specs(args))
    norm = _normalise_data(data, symbols, symbol)
    from hqt.engine import _tick_model_code

    _tick_model_code(tick_model)  # a bad name fails here, not in every worker
    location = None
    if wal_dir is not None:
        location = _task_wal.check_location(wal_dir)
    return _Job(
        make_strategy,
        dict(args),
        norm,
        int(seed),
        collect,
        _takes_seed(make_strategy),
        tick_model,
        location,
        _job_text(args, norm, tick_model) if location is not None else "",
    )


def _job_text(args: Mapping[str, Any], data: dict[str, list[_Series]], tick_model: Any) -> str:
    """What a task's log name depends on besides its parameters: the engine,
    the data's shape and ends, the tick model (the log itself checks the rest)."""
    parts = [_canonical(dict(args)), repr(tick_model)]
    for name, series in data.items():
        for sr in series:
            t = sr.arrays["time"]
            ends = (int(t[0]), int(t[-1])) if len(t) else ()
            parts.append(f"{name}:{sr.timeframe}:{len(t)}:{ends}")
    return "|".join(parts)


def run_one(
    make_strategy: Callable[..., Any],
    params: Mapping[str, Any],
    data: Any,
    engine_args: Mapping[str, Any],
    *,
    symbol: str | int | None = None,
    seed: int = 0,
    tick_model: TickModelName | None = None,
) -> Engine:
    """Run one parameter set in this process exactly as :func:`sweep` runs it.

    Returns the engine after the run (its statistics are the sweep's row;
    deals, trades and the equity curve are there to look at). Same arguments
    as :func:`sweep`.
    """
    job = _prepare(make_strategy, data, engine_args, symbol, seed, None, tick_model)
    _, engine, _ = _execute(job, {k: _plain(v) for k, v in params.items()})
    return engine


def sweep(
    make_strategy: Callable[..., Any],
    grid: Grid,
    data: Any,
    engine_args: Mapping[str, Any],
    *,
    symbol: str | int | None = None,
    client: Any = None,
    processes: int | None = None,
    mp_context: str | None = None,
    seed: int = 0,
    errors: str = "raise",
    collect: Callable[[Any, Any], Mapping[str, Any]] | None = None,
    records: bool = False,
    progress: bool | None = None,
    tick_model: TickModelName | None = None,
    wal_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """Run one backtest per parameter set; a table of the parameters and statistics.

    Args:
        make_strategy: called as ``make_strategy(**params)`` for each parameter
            set, it returns the strategy (typically the :class:`hqt.Strategy`
            subclass itself). If it has a ``seed`` parameter (and ``seed`` is
            not a grid parameter) it also gets ``seed=`` the task's seed
            (:func:`task_seed`); use it for any randomness, e.g.
            ``numpy.random.default_rng(seed)``. The global ``random`` and
            ``numpy.random`` generators are seeded with it too.
        grid: ``{"fast": [5, 10], "slow": [20, 50]}`` (cartesian product, the
            last key varying fastest) or a list of parameter dicts
            (see :func:`expand_grid`).
        data: market data, loaded into every engine before the run:

            * one series, for the symbol named by ``symbol=`` (default: the
              only symbol of ``engine_args``), or a list of series;
            * or ``{symbol name: series or list of series}``.

            A series is :class:`hqt.TickData` / :class:`hqt.BarData`, a CSV
            path (read once here with :func:`hqt.read_csv`), a numpy
            structured array, a mapping of columns or a pandas DataFrame with
            fields ``time, bid, ask`` (ticks) or ``time, open, high, low,
            close[, volume]`` (bars; ``time`` is the open time). Times are
            int ns since the epoch (UTC) or datetime64 (a mapping of columns
            may add ``"unit": "s"`` / ``"ms"`` / ``"us"`` for integer times in
            that unit, as the loaders' ``unit=``); a DataFrame may carry
            them in a DatetimeIndex. The bars' timeframe (minutes) comes from
            a ``"timeframe"`` key of a mapping, ``BarData.timeframe``,
            ``DataFrame.attrs["timeframe"]``, or else from their spacing.
            Bars the strategy builds from ticks are asked for by its ``bars``
            attribute, as in :meth:`hqt.Engine.run`.
        engine_args: the engine and its symbols, as a mapping::

                {"balance": 10_000.0,     # initial balance (default 10 000)
                 "currency": "USD",       # account currency (default "USD")
                 "leverage": 100,         # default 100
                 "mode": "netting",       # or "hedging" (default)
                 "margin_call": 100.0,    # percent (optional)
                 "stop_out": 50.0,        # percent (optional)
                 "equity_interval": 60 * 10**9,  # ns between equity points (optional)
                 "symbols": {             # required; ids 0, 1, ... in this order
                     "EURUSD": {"commission_per_lot": 3.5, "spread": 0.00002},
                     "US500": {"base_currency": "USD", "profit_currency": "USD",
                               "contract_size": 1, "digits": 2, "margin_mode": "cfd"},
                 }}

            Each symbol's mapping holds :meth:`hqt.Engine.add_symbol` keyword
            arguments; ``"symbols"`` may also be a list of names (all
            defaults). Unknown keys are an error.
        symbol: the symbol (name or id) that a single-series ``data`` belongs to.
        client: a ``distributed.Client``: run the tasks on its Dask cluster.
            Default: a local process pool.
        processes: local pool size (default: the number of CPUs this process
            may use, at most one per parameter set). ``0`` runs every set in
            this process, one after the other (handy for debugging).
        mp_context: ``"fork"``, ``"spawn"`` or ``"forkserver"`` for the local
            pool. Default: ``"fork"`` where available (Linux), else ``"spawn"``.
            Use ``"spawn"`` if this process has native threads running, e.g.
            an engine with broadcasting enabled.
        seed: base seed mixed into every task's seed.
        errors: ``"raise"`` (default): the first failing parameter set raises
            :class:`SweepError` naming it (index, parameters, the original
            error and its traceback) and the tasks not started are canceled.
            ``"record"``: failed sets get a row with an ``error`` column
            (``"ExceptionType: message"``) and no statistics.
        collect: optional ``collect(engine, strategy) -> mapping``, run after
            each backtest in the worker; its items are added to the row (e.g.
            ``lambda e, s: {"deals": len(e.deals)}``). Must return picklable values.
        records: return a list of dicts even when pandas is installed.
        progress: a progress bar of the finished backtests (tqdm). None (the
            default) shows one on a terminal or in Jupyter when tqdm is
            installed and ``CI`` is not set, as :meth:`hqt.Engine.run` does;
            True / False force it. The backtests themselves never show one.
        tick_model: how every backtest trades loaded bars, as
            :meth:`hqt.Engine.run`'s ``tick_model`` (``"real_ticks"`` when
            None; ``"every_tick"``, ``"ohlc_m1"``, ``"open_prices"``,
            ``"bars"``). A bad name raises before any task runs.
        wal_dir: fault tolerance: each backtest writes its write-ahead log
            there (a directory every worker reaches at the same path, or an
            fsspec URL such as ``s3://bucket/wal``), and a task started
            again after its worker died (Dask reschedules it) recovers
            from the log and resumes instead of starting over, with the
            result of an uninterrupted run (see :mod:`hqt._task_wal` for the
            rule the strategy follows: ``warmup`` covering its look-back).
            The row gets ``resumed_at``: the events the recovered log had
            processed (0: not resumed). Logs are deleted as tasks finish.

    Returns:
        A pandas DataFrame with one row per parameter set, in grid order:
        the parameters, ``seed``, the fields of :class:`hqt.Statistics`, what
        ``collect`` returned (and ``error`` with ``errors="record"``). Without
        pandas (or with ``records=True``) the same rows as a list of dicts.

    Raises:
        SweepError: a parameter set failed (with ``errors="raise"``).
        InvalidArgumentError: a bad grid, data or engine_args (before any task runs).
    """
    if errors not in ("raise", "record"):
        raise InvalidArgumentError(f"errors must be 'raise' or 'record', got {errors!r}")
    params_list = expand_grid(grid)
    _check_names(params_list, collect)
    job = _prepare(make_strategy, data, engine_args, symbol, seed, collect, tick_model, wal_dir)
    with _Progress(progress, len(params_list)) as done:
        if client is not None:
            results = _run_dask(client, job, params_list, errors, done)
        elif processes == 0 or len(params_list) == 0:
            results = _run_inline(job, params_list, errors, done)
        else:
            results = _run_pool(job, params_list, errors, processes, mp_context, done)
    rows = _rows(params_list, results, errors)
    if records:
        return rows
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows)


def _check_names(params_list: list[Params], collect: Any) -> None:
    from dataclasses import fields

    from hqt.models import Statistics

    taken = {f.name for f in fields(Statistics)} | {"error"}
    for p in params_list:
        clash = sorted(taken.intersection(p))
        if clash:
            raise InvalidArgumentError(
                f"parameter name(s) {clash} would hide result columns of the same name; rename them"
            )


def _rows(
    params_list: list[Params], results: dict[int, tuple[str, Any]], errors: str
) -> list[dict[str, Any]]:
    rows = []
    for i, params in enumerate(params_list):
        status, value = results[i]
        if status == "ok":
            row = value
            if errors == "record":
                row["error"] = None
        else:
            row = dict(params)
            row["seed"] = params["seed"] if "seed" in params else None
            row["error"] = value[0]
        rows.append(row)
    return rows


def _fail(index: int, params: Params, value: Any) -> SweepError:
    message, tb = value
    return SweepError(index, params, message, tb)


class _Progress:
    """A tqdm bar of finished backtests (see hqt.progress); calling it counts one."""

    def __init__(self, progress: bool | None, total: int) -> None:
        from hqt.progress import wants_progress

        self._bar = None
        if total and wants_progress(progress):
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total, desc="hqt.sweep", unit=" backtests", dynamic_ncols=True, leave=True
            )

    def __enter__(self) -> _Progress:
        return self

    def __call__(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def _run_inline(
    job: _Job, params_list: list[Params], errors: str, done: Callable[[], None]
) -> dict[int, tuple[str, Any]]:
    results = {}
    for i, params in enumerate(params_list):
        _, status, value = _task(job, i, params)
        if status == "error" and errors == "raise":
            raise _fail(i, params, value)
        results[i] = (status, value)
        done()
    return results


def _default_context() -> str:
    import multiprocessing as mp

    return "fork" if "fork" in mp.get_all_start_methods() and sys.platform != "darwin" else "spawn"


def _dumps(obj: Any) -> bytes:
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    data: bytes = cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return data


def _write_data_file(
    data: dict[str, list[_Series]], directory: str
) -> tuple[str, list[tuple[str, int | None, list[tuple[str, str, int, int]]]]]:
    """All arrays back to back (64-byte aligned) in one file; returns (path, layout)."""
    path = os.path.join(directory, "data.bin")
    layout = []
    offset = 0
    with open(path, "wb") as f:
        for name, series in data.items():
            for s in series:
                cols = []
                for col, a in s.arrays.items():
                    pad = (-offset) % 64
                    f.write(b"\0" * pad)
                    offset += pad
                    f.write(a.data.cast("B"))
                    cols.append((col, a.dtype.str, offset, len(a)))
                    offset += a.nbytes
                layout.append((name, s.timeframe, cols))
    return path, layout


def _run_pool(
    job: _Job,
    params_list: list[Params],
    errors: str,
    processes: int | None,
    mp_context: str | None,
    done: Callable[[], None],
) -> dict[int, tuple[str, Any]]:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    if processes is None:
        try:
            processes = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            processes = os.cpu_count() or 1
    if processes < 0:
        raise InvalidArgumentError(f"processes must be >= 0, got {processes}")
    processes = max(1, min(processes, len(params_list)))
    method = mp_context or _default_context()
    ctx = mp.get_context(method)
    tmpdir = None
    try:
        if method == "fork":
            initializer: Callable[..., None] = _init_inherited
            initargs: tuple[Any, ...] = (job,)
        else:
            tmpdir = tempfile.mkdtemp(prefix="hqt-sweep-")
            path, layout = _write_data_file(job.data, tmpdir)
            from dataclasses import replace

            light = replace(job, data={})  # the data goes by the mapped file
            initializer, initargs = _init_from_file, (_dumps(light), path, layout)
        results: dict[int, tuple[str, Any]] = {}
        with ProcessPoolExecutor(
            processes, mp_context=ctx, initializer=initializer, initargs=initargs
        ) as pool:
            futures = {pool.submit(_pool_task, i, p): i for i, p in enumerate(params_list)}
            pending = set(futures)
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in sorted(finished, key=futures.__getitem__):
                        i = futures[fut]
                        try:
                            _, status, value = fut.result()
                        except BrokenProcessPool as e:
                            raise SweepError(
                                i,
                                params_list[i],
                                f"a worker process died ({e}); the failed "
                                "set is this one or another one running at the same time",
                            ) from e
                        if status == "error" and errors == "raise":
                            raise _fail(i, params_list[i], value)
                        results[i] = (status, value)
                        done()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return results
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


#: Times a dask task is submitted again after the scattered job it needs was
#: lost with a worker (each loss is one more worker killed mid-sweep).
_LOST_DATA_RETRIES = 3


def _run_dask(
    client: Any, job: _Job, params_list: list[Params], errors: str, done: Callable[[], None]
) -> dict[int, tuple[str, Any]]:
    if not (hasattr(client, "scatter") and hasattr(client, "submit")):
        raise InvalidArgumentError(
            f"client must be a distributed.Client, not {type(client).__name__}"
        )
    from distributed import as_completed

    token = hashlib.sha256(os.urandom(16)).hexdigest()[:16]
    job_future = client.scatter(job, broadcast=True, hash=False)
    attempts = [0] * len(params_list)

    def submit(i: int, job_future: Any) -> Any:
        key = f"hqt-sweep-{token}-{i}" + (f"-again{attempts[i]}" if attempts[i] else "")
        return client.submit(_dask_task, job_future, i, params_list[i], key=key, pure=False)

    futures = [submit(i, job_future) for i in range(len(params_list))]
    index = {f.key: i for i, f in enumerate(futures)}
    results: dict[int, tuple[str, Any]] = {}
    pending = as_completed(futures)
    try:
        for fut in pending:
            i = index[fut.key]
            if fut.status == "cancelled" and attempts[i] < _LOST_DATA_RETRIES:
                # The scattered job went with a killed worker: the scheduler
                # cannot compute scattered data again, so it cancels the tasks
                # that need it (dask/distributed#3149), however many workers
                # held a copy. Scatter it again and resubmit: a task with a
                # write-ahead log resumes from it.
                if job_future.status != "finished":
                    job_future = client.scatter(job, broadcast=True, hash=False)
                attempts[i] += 1
                again = submit(i, job_future)
                index[again.key] = i
                futures.append(again)
                pending.add(again)
                continue
            try:
                _, status, value = fut.result()
            except Exception as e:  # a worker died (KilledWorker) or the task was lost
                raise SweepError(i, params_list[i], f"{type(e).__name__}: {e}") from e
            if status == "error" and errors == "raise":
                raise _fail(i, params_list[i], value)
            results[i] = (status, value)
            done()
    finally:
        client.cancel(futures)
        del job_future
    return results
