"""hqt.Engine: the backtest engine, a pure-Python layer over ``hqt._hqt.Engine``.

The native base class does the conversions and calls (and holds the methods a
strategy calls on every tick: ``buy``, ``sell``, ``close``, ``modify``,
``cancel``, and the account properties ``balance``, ``equity``, ``margin``,
``free_margin``, ``margin_level``, ``profit``). This class adds what is
convenient in Python: keyword defaults for symbols, numpy conversion of
market data, CSV loading, strategies, and results as dataclasses.

Units: prices, volumes (lots) and money are floats, rounded once to the
engine's exact micro units (x 1e6, half away from zero: see :mod:`hqt.units`);
times are ints in nanoseconds since the Unix epoch (UTC).
"""
from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from hqt import _hqt
from hqt.broadcast import BroadcastStats, Key, broadcast_options
from hqt.constants import AccountMode, MarginMode, OrderType
from hqt.errors import InvalidArgumentError
from hqt.journal import (RecoveryReport, WALOpenReport, _fspath, batch_options,
                         sync_policy_code)
from hqt.models import Account, EquityPoint, Order, Position, Statistics, SymbolInfo, Trade
from hqt.strategy import strategy_callbacks

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike, NDArray

    from hqt._hqt import Deal

__all__ = ["Engine", "EQUITY_DTYPE"]

SymbolRef = Union[int, str]
TimeLike = Union[int, np.integer, np.datetime64, _dt.datetime]

#: dtype of :attr:`Engine.equity_curve`.
EQUITY_DTYPE = np.dtype([("time", "<i8"), ("balance", "<f8"), ("equity", "<f8"),
                         ("margin", "<f8")])
_RAW_EQUITY_DTYPE = np.dtype([("time", "<i8"), ("balance", "<i8"), ("equity", "<i8"),
                              ("margin", "<i8")])

_MODES = {"hedging": AccountMode.HEDGING, "netting": AccountMode.NETTING}
_MARGIN_MODES = {"forex": MarginMode.FOREX, "cfd": MarginMode.CFD}


# ---- array conversion ---------------------------------------------------------------

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
            raise InvalidArgumentError(f"{what} must hold whole nanoseconds (no NaN, "
                                       "no fractions); pass an int64 array")
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
            t = t.replace(tzinfo=_dt.timezone.utc)
        delta = t - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if isinstance(t, np.datetime64):
        if np.isnat(t):
            raise InvalidArgumentError("time is NaT")
        return int(t.astype("datetime64[ns]").astype(np.int64))
    if isinstance(t, (bool, float)):
        raise TypeError(f"time must be int ns, datetime or datetime64, not {type(t).__name__}")
    return int(t)  # ints and numpy integers (TypeError for anything else)


class Engine(_hqt.Engine):
    """A backtest engine with one account.

    Args:
        initial_balance: starting balance in account currency.
        currency: account currency, a 3-letter code.
        leverage: account leverage, e.g. 100 for 1:100.
        mode: ``"hedging"`` (several positions per symbol, default) or
            ``"netting"`` (one position per symbol).
        margin_call: margin call level in percent (default 100).
        stop_out: stop-out level in percent (default 50): below it the most
            losing position is closed until the level recovers.

    Example::

        engine = hqt.Engine(10_000.0, "USD", 100)
        eurusd = engine.add_symbol("EURUSD", commission_per_lot=3.5)
        engine.load_ticks(eurusd, times_ns, bids, asks)
        engine.run(MyStrategy())
        print(engine.statistics())
    """

    def __init__(self, initial_balance: float, currency: str = "USD", leverage: int = 100, *,
                 mode: str | AccountMode = "hedging", margin_call: float = 100.0,
                 stop_out: float = 50.0) -> None:
        super().__init__(initial_balance, currency, leverage)
        m = self._parse_mode(mode)
        if m != AccountMode.HEDGING:
            self._set_account_mode(int(m))
        if (margin_call, stop_out) != (100.0, 50.0):
            self._set_margin_levels(margin_call, stop_out)

    @staticmethod
    def _parse_mode(mode: str | int) -> AccountMode:
        if isinstance(mode, str):
            try:
                return _MODES[mode.lower()]
            except KeyError:
                raise InvalidArgumentError(
                    f"mode must be 'hedging' or 'netting', got {mode!r}") from None
        try:
            return AccountMode(mode)
        except ValueError:
            raise InvalidArgumentError(f"unknown account mode {mode!r}") from None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def __repr__(self) -> str:
        if self.disposed:
            return f"<{type(self).__name__} disposed>"
        a = self.account
        return (f"<{type(self).__name__} {a.mode.name.lower()} balance={a.balance:.2f} "
                f"equity={a.equity:.2f} {a.currency} symbols={self.symbol_count}>")

    # ---- configuration ---------------------------------------------------------------

    @property
    def mode(self) -> AccountMode:
        """Account mode (HEDGING or NETTING)."""
        return AccountMode(self._account()[10])

    def set_account_mode(self, mode: str | AccountMode) -> None:
        """Switch between ``"hedging"`` and ``"netting"``; only before the first order."""
        self._set_account_mode(int(self._parse_mode(mode)))

    def set_margin_levels(self, margin_call: float, stop_out: float) -> None:
        """Margin call and stop-out levels in percent."""
        self._set_margin_levels(margin_call, stop_out)

    # ---- symbols ---------------------------------------------------------------------

    def add_symbol(self, name: str, *, base_currency: str | None = None,
                   profit_currency: str | None = None, margin_currency: str | None = None,
                   contract_size: float = 100_000.0, digits: int = 5,
                   margin_mode: str | MarginMode = "forex", volume_min: float = 0.01,
                   volume_step: float = 0.01, volume_max: float = 100.0,
                   commission_per_lot: float = 0.0, spread: float = 0.0) -> int:
        """Add a symbol; returns its id (0, 1, ... in order of addition).

        For a 6-letter forex name such as ``"EURUSD"`` the base and profit
        currencies default to its halves; otherwise both are required.
        ``margin_currency`` defaults to the base currency. ``margin_mode`` is
        ``"forex"`` (lots x contract / leverage) or ``"cfd"`` (x price too).
        ``commission_per_lot`` is in account currency per lot per side;
        ``spread`` (price units) makes ask = bid + spread for bar-only data.
        """
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(f"symbol name must be a non-empty str, got {name!r}")
        if base_currency is None or profit_currency is None:
            if len(name) == 6 and name.isalpha() and name.isupper():
                base_currency = base_currency or name[:3]
                profit_currency = profit_currency or name[3:]
            else:
                raise InvalidArgumentError(
                    f"add_symbol({name!r}): base_currency and profit_currency are required "
                    "unless the name is a 6-letter forex pair such as 'EURUSD'")
        if isinstance(margin_mode, str):
            try:
                mm = _MARGIN_MODES[margin_mode.lower()]
            except KeyError:
                raise InvalidArgumentError(
                    f"margin_mode must be 'forex' or 'cfd', got {margin_mode!r}") from None
        else:
            mm = margin_mode
        return self._add_symbol(name, base_currency, profit_currency, margin_currency,
                                contract_size, digits, int(mm), volume_min, volume_step,
                                volume_max, commission_per_lot, spread)

    def symbol(self, symbol: SymbolRef) -> SymbolInfo:
        """Specification and last quote of a symbol (by id or name)."""
        return SymbolInfo._from_raw(self._symbol_info(symbol))

    def symbol_id(self, symbol: SymbolRef) -> int:
        """The id of a symbol given by id or name (UnknownSymbolError if there is none)."""
        if isinstance(symbol, str):
            return self.find_symbol(symbol)
        return int(self._symbol_info(symbol)[0])

    @property
    def symbols(self) -> list[SymbolInfo]:
        """Every symbol, by id."""
        return [SymbolInfo._from_raw(self._symbol_info(i)) for i in range(self.symbol_count)]

    # ---- market data -------------------------------------------------------------------

    def load_ticks(self, symbol_id: SymbolRef, time_ns: ArrayLike, bid: ArrayLike,
                   ask: ArrayLike) -> int:
        """Append ticks of one symbol; returns how many.

        ``time_ns``: int64 ns (or datetime64); ``bid``/``ask``: prices. numpy
        int64/float64 C-contiguous arrays are passed to the engine without a
        copy; other arrays and plain sequences are converted once. Times must
        not go backwards, prices must be finite and > 0 with ask >= bid; on
        error nothing is loaded.
        """
        return self._load_ticks(symbol_id, as_time_array(time_ns),
                                as_price_array(bid, "bid"), as_price_array(ask, "ask"))

    def load_ticks_micro(self, symbol_id: SymbolRef, time_ns: ArrayLike, bid: ArrayLike,
                         ask: ArrayLike) -> int:
        """Like load_ticks, with exact int64 prices in micro units (price x 1e6)."""
        return self._load_ticks_micro(symbol_id, as_time_array(time_ns),
                                      as_micro_array(bid, "bid"), as_micro_array(ask, "ask"))

    def load_bars(self, symbol_id: SymbolRef, timeframe: int, time_ns: ArrayLike,
                  open: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike,
                  volume: ArrayLike | None = None) -> int:
        """Append bars of one symbol and timeframe (minutes); time is the open time.

        Conversion rules as in load_ticks; ``volume`` defaults to zeros.
        """
        t = as_time_array(time_ns)
        v = np.zeros(len(t)) if volume is None else as_price_array(volume, "volume")
        return self._load_bars(symbol_id, timeframe, t, as_price_array(open, "open"),
                               as_price_array(high, "high"), as_price_array(low, "low"),
                               as_price_array(close, "close"), v)

    def load_bars_micro(self, symbol_id: SymbolRef, timeframe: int, time_ns: ArrayLike,
                        open: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike,
                        volume: ArrayLike | None = None) -> int:
        """Like load_bars, with exact int64 values in micro units."""
        t = as_time_array(time_ns)
        v = np.zeros(len(t), np.int64) if volume is None else as_micro_array(volume, "volume")
        return self._load_bars_micro(symbol_id, timeframe, t, as_micro_array(open, "open"),
                                     as_micro_array(high, "high"), as_micro_array(low, "low"),
                                     as_micro_array(close, "close"), v)

    def load_csv(self, symbol_id: SymbolRef, path: str | os.PathLike[str], *,
                 format: str = "auto", timeframe: int | None = None,
                 volume: str = "tick") -> int:
        """Load a CSV file of ticks or bars for one symbol; returns the number of rows loaded.

        Formats (``format="auto"`` detects them): MetaTrader 5 tick export
        (``mt5_ticks``), MetaTrader 5 bar export (``mt5_bars``), MetaTrader 4
        style comma bars (``mt4_bars``), and plain CSV with a header
        ``time,bid,ask`` (``plain_ticks``) or ``time,open,high,low,close[,volume]``
        (``plain_bars``). For bars, ``timeframe`` (minutes) is inferred from
        the spacing of the bars when not given. See :mod:`hqt.data`.
        Malformed lines raise CSVFormatError with the file and line number.
        """
        from hqt.data import load_csv
        return load_csv(self, symbol_id, path, format=format, timeframe=timeframe,
                        volume=volume)

    def build_bars(self, symbol_id: SymbolRef, timeframe: int) -> None:
        """Build bars of `timeframe` (minutes) from the symbol's ticks.

        Each bar is passed to on_bar when it closes (at the first tick past
        its end, and at the end of the run). Asking twice for the same pair
        does nothing; clear_data() forgets the request.
        """
        super().build_bars(symbol_id, timeframe)

    # ---- driving ---------------------------------------------------------------------

    def _prepare(self, strategy: object, checkpoint: bool = False) -> Any:
        pairs = getattr(strategy, "bars", None) or ()
        for sym, tf in pairs:
            self.build_bars(sym, tf)
        if pairs and checkpoint and self.is_wal_enabled():
            # Bar requests are part of the state but not logged: checkpoint
            # them, so that a recovery restores the bars being built.
            self.checkpoint()
        return strategy_callbacks(strategy)

    def run(self, strategy: object | None = None, *, resume: bool = False,
            warmup: int | None = None) -> None:
        """Process every loaded event not yet processed, in time order.

        With a strategy, its overridden callbacks are called (see
        :class:`hqt.Strategy`); an exception raised in one stops the run and
        is re-raised here unchanged (on_stop is still called). The events
        not processed stay loaded: a later run() continues with them.
        Without a strategy (or with one that overrides no callback) the GIL
        is released while the engine runs: other threads go on, and Ctrl-C
        is handled when run() returns.

        ``resume=True`` continues a run after :meth:`recover_from_wal`: the
        strategy's on_start and then the `warmup` loaded events before the
        resume point are delivered with trading refused (:attr:`warming_up`
        is True; order calls raise StateError), so that the strategy can
        rebuild its state; then the run goes on live after the last
        recovered event. `warmup` defaults to the strategy's ``warmup``
        attribute (0 if it has none); it is only allowed with ``resume=True``.

        With the write-ahead log enabled, bars requested through the
        strategy's ``bars`` are followed by a checkpoint before the run, so
        that recovery restores them (bars requested with :meth:`build_bars`
        yourself: request them before :meth:`enable_wal`, or call
        :meth:`checkpoint` after).
        """
        if not resume:
            if warmup is not None:
                raise InvalidArgumentError("warmup is only used with resume=True")
            if strategy is None:
                self._run(None)
            else:
                self._run(self._prepare(strategy, checkpoint=True))
            return
        n = warmup if warmup is not None else getattr(strategy, "warmup", 0)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"warmup must be an int (number of events), not {type(n).__name__}")
        if n < 0:
            raise InvalidArgumentError(f"warmup must be >= 0, got {n}")
        self._run_resume(None if strategy is None else self._prepare(strategy), n)

    def process_event(self, event: _hqt.Tick | _hqt.Bar, strategy: object | None = None) -> None:
        """Process one tick or bar now (paper trading, custom loops).

        The strategy's on_tick / on_bar / on_trade are called as in run().
        """
        self._process_event(event, None if strategy is None else self._prepare(strategy))

    def flush_bars(self, strategy: object | None = None) -> None:
        """Close the bars being built from ticks, passing them to the strategy's on_bar."""
        self._flush_bars(None if strategy is None else self._prepare(strategy))

    # ---- write-ahead log ----------------------------------------------------------------
    # disable_wal, is_wal_enabled, checkpoint and warming_up are native (inherited).

    def enable_wal(self, file_path: str | os.PathLike[str], truncate: bool = False,
                   sync: str | int = "always", *, checkpoint_every: int = 10_000,
                   batch_records: int = 256, batch_delay: float = 0.01) -> WALOpenReport:
        """Write every trading operation to a write-ahead log before it takes effect.

        Set the account and add the symbols first: the log records a
        fingerprint of that configuration and is only ever replayed into the
        same one (WALError otherwise). A new (or ``truncate=True``) log starts
        with a checkpoint of the current state. A log that already holds
        records is opened as it is, and trading is refused (StateError) until
        :meth:`recover_from_wal`. The engine then writes a checkpoint every
        `checkpoint_every` records (>= 1), at the end of each run, on
        :meth:`checkpoint` and on :meth:`disable_wal`.

        `sync`: ``"always"`` (each record written and fdatasync'ed before
        the operation returns, the default), ``"batch"`` (one sync per
        `batch_records` records or `batch_delay` seconds) or ``"none"``; see
        :mod:`hqt.journal`. Under ``"batch"`` and ``"none"`` the engine writes
        the records of a run in groups (of `batch_records`; 256 under
        ``"none"``): a killed process loses at most the current group, and
        the resumed run, being deterministic, makes those operations again.
        Returns what opening found (a torn tail is cut and reported). Not
        from a strategy callback (BusyError).
        """
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int):
            raise TypeError(f"checkpoint_every must be an int, not "
                            f"{type(checkpoint_every).__name__}")
        if checkpoint_every < 1:
            raise InvalidArgumentError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        records, delay_ns = batch_options(batch_records, batch_delay)
        raw = self._enable_wal(_fspath(file_path, "file_path"), bool(truncate),
                               sync_policy_code(sync), records, delay_ns, checkpoint_every)
        return WALOpenReport._from_raw(raw)

    def recover_from_wal(self) -> RecoveryReport:
        """Restore the state of the log enabled with :meth:`enable_wal`.

        The last checkpoint is restored and every record after it applied;
        the records of a last, possibly unfinished event are discarded (that
        event is processed again by ``run(resume=True)``). Load the same data
        as the logged run first: it is then re-walked, so quotes, bars, the
        equity curve and statistics come out exactly, and a resumed run
        continues after the last event. The log is then compacted to a fresh
        checkpoint. StateError if no log is enabled; WALCorruptionError if
        the log cannot be replayed (nothing is changed then).
        """
        return RecoveryReport._from_raw(self._recover_from_wal())

    # ---- broadcasting ----------------------------------------------------------------
    # disable_broadcasting, is_broadcasting and broadcast_endpoint are native (inherited).

    def enable_broadcasting(self, endpoint: str = "tcp://*:5555", *, sndhwm: int = 10_000,
                            linger: int = 0, curve_secret_key: Key | None = None,
                            allowed_client_keys: Iterable[Key] = (), wait_subscribers: int = 0,
                            wait_timeout: float = 5.0, on_bar_close: bool = True,
                            on_deal: bool = True, every_ticks: int = 0) -> str:
        """Publish every event of run() / process_event() on a ZeroMQ socket; returns the endpoint.

        TICK every tick, BAR when a bar closes, TRADE every deal, ORDER and
        POSITION on every change, and EQUITY + ACCOUNT + MARGIN at the
        cadence: at every bar close (`on_bar_close`), after every deal and
        balance change (`on_deal`), every `every_ticks` ticks (0 = off).
        Socket options as in :mod:`hqt.broadcast` (``wait_timeout`` in
        seconds). The returned endpoint has a ``*`` port resolved (also in
        :attr:`broadcast_endpoint`). A bind failure raises BroadcastError and
        leaves the engine working, not broadcasting; StateError if already
        broadcasting. May be called from a strategy callback (mid-run).
        """
        opts = broadcast_options(endpoint, sndhwm, linger, curve_secret_key,
                                 allowed_client_keys, wait_subscribers, wait_timeout)
        if isinstance(every_ticks, bool) or not isinstance(every_ticks, int):
            raise TypeError(f"every_ticks must be an int, not {type(every_ticks).__name__}")
        if not 0 <= every_ticks <= 2**31 - 1:
            raise InvalidArgumentError(f"every_ticks must be in 0..2147483647, got {every_ticks}")
        self._enable_broadcasting(*opts, bool(on_bar_close), bool(on_deal), every_ticks)
        return self.broadcast_endpoint or opts[0]

    def broadcast_stats(self) -> BroadcastStats:
        """Counters of the current publisher, or of the last one after disable (zeros if none).

        Readable during a run, from a strategy callback.
        """
        return BroadcastStats._from_raw(self._broadcast_stats())

    # ---- trading ---------------------------------------------------------------------
    # buy, sell, modify, modify_order, set_trailing_stop, close, cancel and
    # deposit are native (inherited); see hqt/_hqt.pyi.

    def order_send(self, symbol_id: SymbolRef, type: int, volume: float,
                   price: float | None = None, stop_limit: float | None = None,
                   sl: float | None = None, tp: float | None = None,
                   expiration: TimeLike | None = None, trailing_points: int | None = 0,
                   magic: int | None = 0) -> int:
        """Send an order of any :class:`hqt.OrderType`; returns its ticket.

        Market orders (BUY/SELL) ignore ``price`` and return the position's
        ticket. ``expiration`` is a time (ns, datetime or datetime64); None =
        good till canceled. ``trailing_points`` sets a trailing stop on the
        resulting position. ``magic`` is copied to the deals.
        """
        return super().order_send(symbol_id, type, volume, price, stop_limit, sl, tp,
                                  to_ns(expiration), trailing_points, magic)

    def buy_limit(self, symbol_id: SymbolRef, volume: float, price: float,
                  sl: float | None = None, tp: float | None = None,
                  expiration: TimeLike | None = None) -> int:
        """Pending buy below the market: fills when ask <= price."""
        return self.order_send(symbol_id, OrderType.BUY_LIMIT, volume, price, None, sl, tp,
                               expiration)

    def sell_limit(self, symbol_id: SymbolRef, volume: float, price: float,
                   sl: float | None = None, tp: float | None = None,
                   expiration: TimeLike | None = None) -> int:
        """Pending sell above the market: fills when bid >= price."""
        return self.order_send(symbol_id, OrderType.SELL_LIMIT, volume, price, None, sl, tp,
                               expiration)

    def buy_stop(self, symbol_id: SymbolRef, volume: float, price: float,
                 sl: float | None = None, tp: float | None = None,
                 expiration: TimeLike | None = None) -> int:
        """Pending buy above the market: fills when ask >= price."""
        return self.order_send(symbol_id, OrderType.BUY_STOP, volume, price, None, sl, tp,
                               expiration)

    def sell_stop(self, symbol_id: SymbolRef, volume: float, price: float,
                  sl: float | None = None, tp: float | None = None,
                  expiration: TimeLike | None = None) -> int:
        """Pending sell below the market: fills when bid <= price."""
        return self.order_send(symbol_id, OrderType.SELL_STOP, volume, price, None, sl, tp,
                               expiration)

    def buy_stop_limit(self, symbol_id: SymbolRef, volume: float, price: float,
                       stop_limit: float, sl: float | None = None, tp: float | None = None,
                       expiration: TimeLike | None = None) -> int:
        """When ask reaches `price`, place a BUY_LIMIT at `stop_limit`."""
        return self.order_send(symbol_id, OrderType.BUY_STOP_LIMIT, volume, price, stop_limit,
                               sl, tp, expiration)

    def sell_stop_limit(self, symbol_id: SymbolRef, volume: float, price: float,
                        stop_limit: float, sl: float | None = None, tp: float | None = None,
                        expiration: TimeLike | None = None) -> int:
        """When bid reaches `price`, place a SELL_LIMIT at `stop_limit`."""
        return self.order_send(symbol_id, OrderType.SELL_STOP_LIMIT, volume, price,
                               stop_limit, sl, tp, expiration)

    def modify_order(self, ticket: int, price: float | None = None,
                     stop_limit: float | None = None,
                     expiration: TimeLike | None = None) -> None:
        """Change a pending order's price, stop-limit price or expiration; None keeps a value."""
        super().modify_order(ticket, price, stop_limit, to_ns(expiration))

    def close_all(self, symbol_id: SymbolRef | None = None) -> int:
        """Close every open position (of one symbol if given); returns how many."""
        sid = None if symbol_id is None else self.symbol_id(symbol_id)
        tickets = [p[0] for p in self._positions() if sid is None or p[1] == sid]
        for t in tickets:
            self.close(t)
        return len(tickets)

    # ---- state and results ---------------------------------------------------------------

    @property
    def account(self) -> Account:
        """Balance, equity, margin, levels, mode and currency."""
        return Account._from_raw(self._account())

    @property
    def positions(self) -> list[Position]:
        """Open positions, oldest first."""
        return [Position._from_raw(t) for t in self._positions()]

    def position(self, ticket: int) -> Position:
        """The open position with this ticket (UnknownTicketError if none)."""
        return Position._from_raw(self._position(ticket))

    @property
    def orders(self) -> list[Order]:
        """Pending orders."""
        return [Order._from_raw(t) for t in self._orders()]

    @property
    def order_history(self) -> list[Order]:
        """Every order with its final state (filled, canceled, expired, ...)."""
        return [Order._from_raw(t) for t in self._order_history()]

    @property
    def deals(self) -> list[Deal]:
        """Every fill, in order (hqt.Deal objects)."""
        return self._deals()

    @property
    def trades(self) -> list[Trade]:
        """Closed round trips, in order of closing."""
        return [Trade._from_raw(t) for t in self._trades()]

    @property
    def equity_curve(self) -> np.ndarray:
        """Equity samples as a numpy structured array (fields: time, balance, equity, margin)."""
        raw = np.frombuffer(self._equity_curve(), dtype=_RAW_EQUITY_DTYPE)
        out = np.empty(len(raw), dtype=EQUITY_DTYPE)
        out["time"] = raw["time"]
        for f in ("balance", "equity", "margin"):
            out[f] = raw[f] / 1e6
        return out

    def equity_points(self) -> list[EquityPoint]:
        """The equity curve as a list of :class:`hqt.EquityPoint` (see also equity_curve)."""
        raw = np.frombuffer(self._equity_curve(), dtype=_RAW_EQUITY_DTYPE)
        return [EquityPoint(int(t), b / 1e6, q / 1e6, m / 1e6) for t, b, q, m in raw.tolist()]

    def statistics(self) -> Statistics:
        """Summary: net profit, gross profit/loss, profit factor, drawdown, Sharpe, win rate..."""
        return Statistics._from_raw(self._statistics())

    def deals_array(self) -> np.ndarray:
        """Deals as a numpy structured array of exact integers (micro units)."""
        dtype = np.dtype([("ticket", "<u8"), ("order", "<u8"), ("position", "<u8"),
                          ("symbol_id", "<u4"), ("type", "<i4"), ("entry", "<i4"),
                          ("reason", "<i4"), ("time", "<i8"), ("volume", "<i8"),
                          ("price", "<i8"), ("commission", "<i8"), ("profit", "<i8"),
                          ("balance", "<i8"), ("magic", "<u8")])
        return np.array([d._astuple() for d in self._deals()], dtype=dtype)

