"""hqt.Engine: the backtest engine, a pure-Python layer over ``hqt._hqt.Engine``.

The native base class does the conversions and calls (and holds the methods a
strategy calls on every tick: ``buy``, ``sell``, ``close``, ``modify``,
``cancel``, and the account properties ``balance``, ``equity``, ``margin``,
``free_margin``, ``margin_level``, ``profit``). This class adds what is
convenient in Python: keyword defaults for symbols, numpy conversion of
market data, CSV / DataFrame / Parquet loading, tick files, strategies,
progress bars, and results (dataclasses, and :class:`hqt.results.BacktestResult`
from ``run()``).

Units: prices, volumes (lots) and money are floats, rounded once to the
engine's exact micro units (x 1e6, half away from zero: see :mod:`hqt.units`);
times are ints in nanoseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import contextlib
import os
import struct
import time as _time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import numpy as np

from hqt import _chunked, _hqt
from hqt import indicators as _indicators
from hqt._arrays import TimeLike, as_micro_array, as_price_array, as_time_array, to_ns
from hqt._interrupt import DeferredInterrupt
from hqt.broadcast import BroadcastStats, Key, broadcast_options
from hqt.constants import (
    AccountMode,
    CalcMode,
    CommissionCurrency,
    CommissionEntry,
    MarginMode,
    OrderFilling,
    OrderType,
    OrderTypeTime,
    StopOutMode,
    SwapMode,
    TickModel,
)
from hqt.data import BarData, TickData, infer_timeframe
from hqt.errors import HQTWarning, InvalidArgumentError, RunInterruptedError
from hqt.frames import (
    bars_from_frame,
    from_frame,
    iter_parquet,
    parquet_kind,
    ticks_from_frame,
    validate_bars,
    validate_ticks,
)
from hqt.journal import RecoveryReport, WALOpenReport, _fspath, batch_options, sync_policy_code
from hqt.models import Account, EquityPoint, Statistics, SymbolInfo
from hqt.progress import RunProgress, wants_progress
from hqt.results import BacktestResult, PriceSketch, _raw_dtypes
from hqt.strategy import CALLBACK_NAMES, bar_price_code, bar_requests, strategy_callbacks
from hqt.tickfile import run_file

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike, NDArray

    from hqt._hqt import Deal

__all__ = ["Engine", "EQUITY_DTYPE"]

SymbolRef = int | str

#: dtype of :attr:`Engine.equity_curve`.
EQUITY_DTYPE = np.dtype([("time", "<i8"), ("balance", "<f8"), ("equity", "<f8"), ("margin", "<f8")])
_RAW_EQUITY_DTYPE = np.dtype(
    [("time", "<i8"), ("balance", "<i8"), ("equity", "<i8"), ("margin", "<i8")]
)

_MODES = {"hedging": AccountMode.HEDGING, "netting": AccountMode.NETTING}
_MARGIN_MODES = {"forex": MarginMode.FOREX, "cfd": MarginMode.CFD}
#: calc_mode names: MT5's ENUM_SYMBOL_CALC_MODE in snake case (docs/engine.md).
_CALC_MODES = {
    "forex": CalcMode.FOREX,
    "forex_no_leverage": CalcMode.FOREX_NO_LEVERAGE,
    "cfd": CalcMode.CFD,
    "cfd_index": CalcMode.CFD_INDEX,
    "cfd_leverage": CalcMode.CFD_LEVERAGE,
    "futures": CalcMode.FUTURES,
    "exchange_stocks": CalcMode.EXCHANGE_STOCKS,
}


_SWAP_MODES = {m.name.lower(): m for m in SwapMode}


def _swap_mode(swap_mode: object) -> SwapMode:
    """A swap mode given by name ("points") or SwapMode value."""
    if not isinstance(swap_mode, (bool, np.bool_)) and isinstance(swap_mode, (str, int)):
        if isinstance(swap_mode, str):
            mode = _SWAP_MODES.get(swap_mode.lower())
        else:
            mode = next((m for m in SwapMode if int(m) == swap_mode), None)
        if mode is not None:
            return mode
    if swap_mode in ("reopen_current", "reopen_bid", 7, 8):
        # MT5's SYMBOL_SWAP_MODE_REOPEN_*: documented too thinly to reproduce
        # (docs/engine.md, "Reopen modes (left out)").
        raise InvalidArgumentError(
            f"swap_mode {swap_mode!r} (MT5's SYMBOL_SWAP_MODE_REOPEN_*) is not modelled: "
            "MetaQuotes does not state its close price, sign or deals (docs/engine.md, "
            f"'Reopen modes'); use one of {sorted(_SWAP_MODES)}"
        )
    raise InvalidArgumentError(f"swap_mode must be one of {sorted(_SWAP_MODES)}, got {swap_mode!r}")


def _named(value: object, enum: Any, what: str, names: tuple[str, ...]) -> Any:
    """A member of ``enum`` given by lower-case name or by the enum itself."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str) and value.lower() in names:
        return enum[value.upper()]
    raise InvalidArgumentError(f"{what} must be one of {list(names)}, got {value!r}")


def _calc_mode(calc_mode: object, margin_mode: object) -> CalcMode:
    """The calc mode from ``calc_mode`` and its alias ``margin_mode``."""
    alias: CalcMode | None = None
    if margin_mode is not None:
        if isinstance(margin_mode, (bool, np.bool_)) or not isinstance(margin_mode, (str, int)):
            raise InvalidArgumentError(f"margin_mode must be 'forex' or 'cfd', got {margin_mode!r}")
        key = margin_mode.lower() if isinstance(margin_mode, str) else margin_mode
        by_value = {int(v): k for k, v in _MARGIN_MODES.items()}
        name = key if isinstance(key, str) else by_value.get(key)
        if name not in _MARGIN_MODES:
            raise InvalidArgumentError(f"margin_mode must be 'forex' or 'cfd', got {margin_mode!r}")
        alias = _CALC_MODES[name]
    if calc_mode is None:
        return alias if alias is not None else CalcMode.FOREX
    if isinstance(calc_mode, (bool, np.bool_)) or not isinstance(calc_mode, (str, int)):
        raise InvalidArgumentError(
            f"calc_mode must be one of {sorted(_CALC_MODES)}, got {calc_mode!r}"
        )
    if isinstance(calc_mode, str):
        mode = _CALC_MODES.get(calc_mode.lower())
    else:
        mode = next((m for m in _CALC_MODES.values() if int(m) == calc_mode), None)
    if mode is None:
        raise InvalidArgumentError(
            f"calc_mode must be one of {sorted(_CALC_MODES)}, got {calc_mode!r}"
        )
    if alias is not None and alias != mode:
        raise InvalidArgumentError(
            f"margin_mode={margin_mode!r} is an alias of calc_mode={alias.name.lower()!r} "
            f"and contradicts calc_mode={calc_mode!r}: give only calc_mode"
        )
    return mode


#: ``run(tick_model=...)``: MetaTrader 5's Strategy Tester modes, and HQT's bar rule.
TickModelName = Literal["real_ticks", "every_tick", "ohlc_m1", "open_prices", "bars"]
#: The price bars built from ticks follow (``build_bars(price=)``).
BarPriceName = Literal["bid", "ask", "mid"]
_TICK_MODELS: dict[TickModelName, TickModel] = {
    "real_ticks": TickModel.REAL_TICKS,
    "every_tick": TickModel.EVERY_TICK,
    "ohlc_m1": TickModel.OHLC_M1,
    "open_prices": TickModel.OPEN_PRICES,
    "bars": TickModel.BARS,
}


def _tick_model_code(tick_model: object) -> int:
    """The HQT_TICK_MODEL_* value of a ``tick_model`` argument (None: DEFAULT)."""
    if tick_model is None:
        return int(TickModel.DEFAULT)
    if isinstance(tick_model, TickModel) and tick_model != TickModel.DEFAULT:
        return int(tick_model)
    if not isinstance(tick_model, str):
        raise TypeError(
            f"tick_model must be one of {', '.join(map(repr, _TICK_MODELS))}, "
            f"not {type(tick_model).__name__}"
        )
    try:
        return int(_TICK_MODELS[tick_model])  # type: ignore[index]
    except KeyError:
        close = [
            n
            for n in _TICK_MODELS
            if n.replace("_", "") == tick_model.lower().replace("_", "").replace(" ", "")
        ]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidArgumentError(
            f"tick_model must be one of {', '.join(map(repr, _TICK_MODELS))}, "
            f"got {tick_model!r}{hint}"
        ) from None


def _check_timeframe(timeframe: object) -> None:
    if isinstance(timeframe, (bool, np.bool_)):
        raise InvalidArgumentError(
            f"timeframe must be a number of minutes, not a bool ({timeframe})"
        )


def _no_unit_for_series(unit: str | None) -> None:
    if unit is not None:
        raise InvalidArgumentError(
            f"unit={unit!r}: TickData / BarData times are already ns (unit= is for arrays "
            "and DataFrame columns)"
        )


def _currency(code: object, what: str) -> str:
    """A currency code as the engine takes it: three ASCII letters, upper case.

    Lower or mixed case is accepted and upper-cased (MetaTrader's codes are upper case)."""
    if not isinstance(code, str) or len(code) != 3 or not (code.isascii() and code.isalpha()):
        raise InvalidArgumentError(
            f"{what} must be a 3-letter currency code such as 'USD', got {code!r}"
        )
    return code.upper()


def _stop_out_mode(mode: object) -> StopOutMode:
    """``"percent"`` / ``"money"`` (or a StopOutMode) as the enum."""
    if isinstance(mode, StopOutMode):
        return mode
    if isinstance(mode, str) and mode.lower() in ("percent", "money"):
        return StopOutMode[mode.upper()]
    raise InvalidArgumentError(f"stop_out_mode must be 'percent' or 'money', got {mode!r}")


_Choice = TypeVar("_Choice", bound=IntEnum)


def _enum_choice(cls: type[_Choice], value: object, names: tuple[str, ...], what: str) -> _Choice:
    """`value` as a member of `cls`: the member itself, its int value, or one of
    `names` (its member names in lower case, any case accepted); anything else
    is an error naming `what` and the accepted names."""
    if isinstance(value, cls):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if int(value) in {int(t) for t in cls}:
            return cls(int(value))
    if isinstance(value, str) and value.lower() in names:
        return cls[value.upper()]
    accepted = ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}"
    raise InvalidArgumentError(f"{what} must be {accepted}, got {value!r}")


def _type_time(value: object) -> OrderTypeTime:
    """``"gtc"``, ``"day"``, ``"specified"``, ``"specified_day"`` (or an OrderTypeTime value)."""
    return _enum_choice(
        OrderTypeTime, value, ("gtc", "day", "specified", "specified_day"), "type_time"
    )


def _filling(value: object) -> OrderFilling:
    """``"fok"``, ``"ioc"``, ``"return"`` (or an OrderFilling value)."""
    return _enum_choice(OrderFilling, value, ("fok", "ioc", "return"), "filling")


def _sessions(sessions: object, kind: str = "trade") -> bytes | None:
    """``[(weekday, start, end), ...]`` packed as hqt_trade_session structs."""
    if sessions is None:
        return None
    try:
        items = [tuple(s) for s in sessions]  # type: ignore[attr-defined]
    except TypeError:
        raise InvalidArgumentError(
            f"{kind}_sessions must be a list of (weekday, start, end), got {sessions!r}"
        ) from None
    out = bytearray()
    for s in items:
        if len(s) != 3 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in s
        ):
            raise InvalidArgumentError(f"a {kind} session is (weekday, start, end) ints, got {s!r}")
        if not all(-(2**31) <= int(v) < 2**31 for v in s):
            raise InvalidArgumentError(f"{kind} session {s!r} is out of range")
        out += struct.pack("<iii", *(int(v) for v in s))
    return bytes(out)


def _points(value: object, what: str) -> int:
    """A level in whole points (MT5 gives stops and freeze levels as integers)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"{what} must be a whole number of points, got {value!r}")
    return int(value)


class Engine(_hqt.Engine):
    """A backtest engine with one account.

    Args:
        initial_balance: starting balance in account currency.
        currency: account currency, three ASCII letters; lower or mixed case
            is accepted and upper-cased (``"usd"`` is ``"USD"``, as MetaTrader
            writes it). Anything else raises InvalidArgumentError.
        leverage: account leverage, e.g. 100 for 1:100.
        mode: ``"hedging"`` (several positions per symbol, default) or
            ``"netting"`` (one position per symbol).
        margin_call: margin call level in percent (default 100).
        stop_out: stop-out level in percent (default 50): below it the most
            losing position is closed until the level recovers.
        stop_out_mode: ``"percent"`` (default) or ``"money"``: MT5's
            ACCOUNT_MARGIN_SO_MODE; in money mode ``margin_call`` and
            ``stop_out`` are deposit-currency amounts compared with the free
            margin (see :meth:`set_margin_levels`).

    Example::

        engine = hqt.Engine(10_000.0, "USD", 100)
        eurusd = engine.add_symbol("EURUSD", commission_per_lot=3.5)
        engine.load_ticks(eurusd, times_ns, bids, asks)
        engine.run(MyStrategy())
        print(engine.statistics())
    """

    def __init__(
        self,
        initial_balance: float,
        currency: str = "USD",
        leverage: int = 100,
        *,
        mode: str | AccountMode = "hedging",
        margin_call: float = 100.0,
        stop_out: float = 50.0,
        currency_digits: int | None = None,
        stop_out_mode: str | StopOutMode = "percent",
    ) -> None:
        """``currency_digits``: the digits booked money (deal profit,
        commission, swap) is rounded to, as MT5's ACCOUNT_CURRENCY_DIGITS;
        None takes the currency's (2, JPY and other zero-decimal
        currencies 0, BHD/KWD/... 3). Floating profit stays exact."""
        super().__init__(initial_balance, _currency(currency, "currency"), leverage)
        if currency_digits is not None:
            if isinstance(currency_digits, (bool, np.bool_)):
                raise InvalidArgumentError(
                    f"currency_digits must be an int, got {currency_digits!r}"
                )
            self.set_currency_digits(currency_digits)
        m = self._parse_mode(mode)
        if m != AccountMode.HEDGING:
            self._set_account_mode(int(m))
        so_mode = _stop_out_mode(stop_out_mode)
        if (margin_call, stop_out, so_mode) != (100.0, 50.0, StopOutMode.PERCENT):
            self._set_margin_levels(margin_call, stop_out, int(so_mode))

    @staticmethod
    def _parse_mode(mode: str | int) -> AccountMode:
        if isinstance(mode, (bool, np.bool_)):
            raise InvalidArgumentError(f"mode must be 'hedging' or 'netting', not a bool ({mode})")
        if isinstance(mode, str):
            try:
                return _MODES[mode.lower()]
            except KeyError:
                raise InvalidArgumentError(
                    f"mode must be 'hedging' or 'netting', got {mode!r}"
                ) from None
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
        return (
            f"<{type(self).__name__} {a.mode.name.lower()} balance={a.balance:.2f} "
            f"equity={a.equity:.2f} {a.currency} symbols={self.symbol_count}>"
        )

    # ---- configuration ---------------------------------------------------------------

    @property
    def mode(self) -> AccountMode:
        """Account mode (HEDGING or NETTING)."""
        return AccountMode(self._account()[10])

    @property
    def tick_model(self) -> TickModelName:
        """The tick model of the run in progress or of the last run
        (``"real_ticks"`` before any; after :meth:`recover_from_wal`, the
        recovered run's). See :meth:`run`."""
        code = TickModel(self._tick_model())
        return next(n for n, m in _TICK_MODELS.items() if m == code)

    def set_account_mode(self, mode: str | AccountMode) -> None:
        """Switch between ``"hedging"`` and ``"netting"``; only before the first order."""
        self._set_account_mode(int(self._parse_mode(mode)))

    def set_margin_levels(
        self, margin_call: float, stop_out: float, mode: str | StopOutMode = "percent"
    ) -> None:
        """Margin call and stop-out levels.

        ``mode="percent"`` (default): levels of the margin level, equity /
        margin x 100. ``mode="money"`` (MT5's ACCOUNT_STOPOUT_MODE_MONEY):
        amounts in the deposit currency, compared with the free margin
        (equity - margin): a margin call at free margin <= ``margin_call``,
        a stop-out at free margin <= ``stop_out``. Either way
        0 <= stop_out <= margin_call, else InvalidArgumentError."""
        self._set_margin_levels(margin_call, stop_out, int(_stop_out_mode(mode)))

    @property
    def stop_out_mode(self) -> StopOutMode:
        """What the margin levels are: StopOutMode.PERCENT or StopOutMode.MONEY."""
        return StopOutMode(self._stop_out_mode())

    @property
    def ticks_outside_quote_sessions(self) -> int:
        """Ticks skipped so far for lying outside their symbol's ``quote_sessions``
        (loaded ticks the run has consumed, and ticks given to ``process_event``)."""
        return int(self._ticks_outside_quote_sessions())

    # ---- symbols ---------------------------------------------------------------------

    def add_symbol(
        self,
        name: str,
        *,
        base_currency: str | None = None,
        profit_currency: str | None = None,
        margin_currency: str | None = None,
        contract_size: float = 100_000.0,
        digits: int = 5,
        margin_mode: str | MarginMode | None = None,
        volume_min: float = 0.01,
        volume_step: float = 0.01,
        volume_max: float = 100.0,
        commission_per_lot: float = 0.0,
        spread: float = 0.0,
        calc_mode: str | CalcMode | None = None,
        margin_rate: float = 1.0,
        margin_initial: float = 0.0,
        margin_maintenance: float = 0.0,
        tick_size: float = 0.0,
        tick_value: float = 0.0,
        margin_hedged: float | None = None,
        margin_hedged_use_leg: bool = False,
        swap_mode: str | SwapMode = "disabled",
        swap_long: float = 0.0,
        swap_short: float = 0.0,
        swap_rollover3days: int = 3,
        commission_per_deal: float = 0.0,
        commission_percent: float = 0.0,
        commission_entry: str | CommissionEntry = "both",
        commission_currency: str | CommissionCurrency = "deposit",
        stops_level: int = 0,
        freeze_level: int = 0,
        trade_sessions: Sequence[tuple[int, int, int]] | None = None,
        volume_limit: float = 0.0,
        quote_sessions: Sequence[tuple[int, int, int]] | None = None,
    ) -> int:
        """Add a symbol; returns its id (0, 1, ... in order of addition).

        For a 6-letter forex name such as ``"EURUSD"`` the base and profit
        currencies default to its halves; otherwise both are required.
        Currencies are three ASCII letters, upper-cased (``"usd"`` is
        ``"USD"``); anything else raises InvalidArgumentError.
        ``margin_currency`` defaults to the base currency.
        Commission (charged on each deal, reported in its ``commission``):
        ``commission_per_lot`` per lot plus ``commission_per_deal`` per deal
        (in ``commission_currency``: ``"deposit"``, the account's, or
        ``"symbol"``, the profit currency, converted like a loss) plus
        ``commission_percent`` percent of the deal's turnover (lots x
        contract x price, profit currency), on the deals ``commission_entry``
        names: ``"in"``, ``"out"`` or ``"both"`` (default; a netting
        reversal is charged as an exit plus an entry). What is booked is
        rounded to the account currency's digits (see ``currency_digits``).
        ``spread`` (price units) makes ask = bid + spread for bar-only data.

        ``calc_mode`` is MT5's calculation mode (``SYMBOL_TRADE_CALC_MODE``),
        margin in the margin currency and profit in the profit currency:

        ====================  ===================================================
        ``"forex"``           lots x contract / leverage x margin_rate (default)
        ``"forex_no_leverage"`` lots x contract x margin_rate
        ``"cfd"``             lots x contract x price x margin_rate
        ``"cfd_index"``       lots x contract x price x tick_value / tick_size x rate
        ``"cfd_leverage"``    lots x contract x price / leverage x margin_rate
        ``"exchange_stocks"`` lots x contract x price x margin_rate
        ``"futures"``         lots x margin_initial x margin_rate
        ====================  ===================================================

        Profit is (close - open) x contract x lots, except for futures:
        (close - open) x tick_value / tick_size x lots. ``price`` is the
        deal's price (ask for buys, bid for sells); margin is fixed when the
        position opens. ``margin_initial`` (per lot, margin currency), when
        > 0, replaces the formula in every mode and is what opening needs;
        ``margin_maintenance`` (per lot), when > 0, is what an open position
        then holds. ``tick_size`` and ``tick_value`` (profit currency per
        tick_size per lot) are required by futures and cfd_index.

        Hedging accounts: ``margin_hedged`` is the number of contract units
        charged per fully hedged lot (MT5's SYMBOL_MARGIN_HEDGED: 0 makes a
        full hedge free, the contract size charges one leg); None charges
        every position on its own. ``margin_hedged_use_leg`` charges only
        the larger leg (buys or sells). ``margin_mode`` is the 0.1 alias:
        ``"forex"`` is calc_mode ``"forex"``, ``"cfd"`` is calc_mode ``"cfd"``
        (MT5's CFD, no leverage; in 0.1 it divided by the leverage,
        which is ``"cfd_leverage"``). Bad values raise InvalidArgumentError.

        Swaps (MT5's SYMBOL_SWAP_*; docs/engine.md, "Swaps"): at every
        rollover (``rollover_time``, 00:00 by default) each open position is
        charged ``swap_long`` (buys) or ``swap_short`` (sells), in the unit
        of ``swap_mode`` per day:

        ======================  =================================================
        ``"disabled"``          no swaps (default)
        ``"points"``            swap x point x contract x lots, profit currency
        ``"base_currency"``     swap x lots, in the base currency
        ``"margin_currency"``   swap x lots, in the margin currency
        ``"deposit_currency"``  swap x lots, in the account currency
        ``"interest_current"``  price now x contract x lots x swap / 100 / 360
        ``"interest_open"``     open price x contract x lots x swap / 100 / 360
        ======================  =================================================

        converted to the account currency like profit. A rollover charges
        the day that ends at it: nothing for Saturday and Sunday, three days
        for weekday ``swap_rollover3days`` (MT5 numbering, 0 = Sunday;
        Wednesday by default). The swap stays on the position (part of its
        ``profit`` and of equity) until a closing deal books it into the
        balance, inside that deal's and trade's ``profit`` (the share booked
        rounded to the account currency's digits).

        Trading rules (MT5's SYMBOL_TRADE_STOPS_LEVEL and
        SYMBOL_TRADE_FREEZE_LEVEL, in points, 0 = none; docs/engine.md,
        "Trading rules"): ``stops_level`` is the minimum distance of SL and
        TP from the market (Bid for buys, Ask for sells) or from a pending
        order's price, and of a pending price from the market; closer
        raises InvalidStopsError. Within ``freeze_level`` of the market a
        pending order cannot be modified or canceled, and a position whose
        SL or TP is that close cannot be modified or closed: FrozenError.
        The engine's own SL, TP, triggers and stop-out are never refused.

        ``trade_sessions`` (MT5's SymbolInfoSessionTrade) is a list of
        ``(weekday, start, end)``: weekday 0 = Sunday ... 6 = Saturday, start
        and end in seconds of the day on the data's clock, start <= t < end.
        Outside every session orders, modifications, closes and cancels
        raise MarketClosedError and pending orders do not trigger (they wait
        for the next session). None or empty: always open.

        ``volume_limit`` (MT5's SYMBOL_VOLUME_LIMIT, lots; 0 = none) caps
        the open positions plus pending orders of one direction; a market
        order past it does what its ``filling`` says (``order_send``), a
        pending order past it raises VolumeLimitError (docs/engine.md,
        "Order filling").

        ``quote_sessions`` (MT5's SymbolInfoSessionQuote; same shape as
        ``trade_sessions``): the hours the symbol has quotes. A tick outside
        them (loaded or processed) is skipped as MT5 has no price then: no
        quote, clock, trigger, bar, swap or callback; they are counted in
        ``ticks_outside_quote_sessions``. None or empty: always quoted.
        """
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(f"symbol name must be a non-empty str, got {name!r}")
        if base_currency is None or profit_currency is None:
            if len(name) == 6 and name.isascii() and name.isalpha():
                base_currency = base_currency or name[:3]
                profit_currency = profit_currency or name[3:]
            else:
                raise InvalidArgumentError(
                    f"add_symbol({name!r}): base_currency and profit_currency are required "
                    "unless the name is a 6-letter forex pair such as 'EURUSD'"
                )
        base_currency = _currency(base_currency, "base_currency")
        profit_currency = _currency(profit_currency, "profit_currency")
        if margin_currency is not None:
            margin_currency = _currency(margin_currency, "margin_currency")
        mode = _calc_mode(calc_mode, margin_mode)
        if not isinstance(margin_hedged_use_leg, (bool, np.bool_)):
            raise InvalidArgumentError(
                f"margin_hedged_use_leg must be a bool, got {margin_hedged_use_leg!r}"
            )
        if margin_hedged is not None and (
            isinstance(margin_hedged, (bool, np.bool_))
            or not isinstance(margin_hedged, (int, float, np.integer, np.floating))
            or not margin_hedged >= 0
        ):
            raise InvalidArgumentError(
                f"margin_hedged must be >= 0 contract units (or None), got {margin_hedged!r}"
            )
        entry = _named(commission_entry, CommissionEntry, "commission_entry", ("both", "in", "out"))
        ccy = _named(
            commission_currency, CommissionCurrency, "commission_currency", ("deposit", "symbol")
        )
        return self._add_symbol(
            name,
            base_currency,
            profit_currency,
            margin_currency,
            contract_size,
            digits,
            int(MarginMode.FOREX),
            volume_min,
            volume_step,
            volume_max,
            commission_per_lot,
            spread,
            int(mode),
            margin_rate,
            margin_initial,
            margin_maintenance,
            tick_size,
            tick_value,
            margin_hedged,
            int(bool(margin_hedged_use_leg)),
            int(_swap_mode(swap_mode)),
            swap_long,
            swap_short,
            swap_rollover3days,
            commission_per_deal,
            commission_percent,
            int(entry),
            int(ccy),
            _points(stops_level, "stops_level"),
            _points(freeze_level, "freeze_level"),
            _sessions(trade_sessions),
            volume_limit,
            _sessions(quote_sessions, "quote"),
        )

    @property
    def rollover_time(self) -> int:
        """Time of day of the swap rollover, seconds after 00:00 server time.

        Default 0 (midnight); settable between runs to 0...86399
        (InvalidArgumentError otherwise). Part of the WAL's configuration:
        a log is resumed only under the same rollover time.
        """
        return int(self._rollover_time())

    @rollover_time.setter
    def rollover_time(self, seconds: int) -> None:
        if isinstance(seconds, (bool, np.bool_)) or not isinstance(seconds, (int, np.integer)):
            raise InvalidArgumentError(f"rollover_time must be an int of seconds, got {seconds!r}")
        self._set_rollover_time(int(seconds))

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

    def load_ticks(
        self,
        symbol_id: SymbolRef,
        time_ns: ArrayLike | TickData | Any,
        bid: ArrayLike | None = None,
        ask: ArrayLike | None = None,
        *,
        unit: str | None = None,
    ) -> int:
        """Append ticks of one symbol; returns how many.

        ``time_ns``: int64 ns (or datetime64); ``bid``/``ask``: prices.
        ``unit``: the unit of numeric times, ``"s"``, ``"ms"``, ``"us"`` or
        ``"ns"`` (None: ns). Without it, integer times that are all dates of
        1990-2262 as seconds, milliseconds or microseconds (so 1970 as ns)
        raise InvalidArgumentError ("looks like seconds: multiply by 1e9 or
        pass unit='s'"); ``unit="ns"`` accepts them as they are. int32 and
        narrower integers cannot hold ns since 1970 and need ``unit=`` (they
        are widened to int64 before scaling, so they cannot overflow).
        Dates outside 1677-09-21 .. 2262-04-11 (what int64 ns holds) are
        refused, naming the index, never wrapped around. numpy
        int64/float64 C-contiguous arrays are passed to the engine without a
        copy; other arrays and plain sequences are converted once. Times must
        not go backwards, prices must be finite and > 0 with ask >= bid; on
        error nothing is loaded.

        Instead of three arrays, ``load_ticks(symbol, data)`` takes a pandas
        DataFrame (see :meth:`load_dataframe`) or a :class:`hqt.TickData`.
        """
        t: Any
        b: Any
        a: Any
        if bid is None and ask is None:
            data = self._tick_data(time_ns, unit)
            t, b, a = data.time, data.bid, data.ask
            unit = None  # converted
        elif bid is None or ask is None:
            raise TypeError("load_ticks() needs both bid and ask (or one DataFrame / TickData)")
        else:
            t, b, a = time_ns, bid, ask
        t, b = as_time_array(t, unit=unit), as_price_array(b, "bid")
        n = self._load_ticks(symbol_id, t, b, as_price_array(a, "ask"))
        self.__dict__["_loaded"] = True
        self._sketch(symbol_id, t, b)
        return n

    def load_ticks_micro(
        self,
        symbol_id: SymbolRef,
        time_ns: ArrayLike,
        bid: ArrayLike,
        ask: ArrayLike,
        *,
        unit: str | None = None,
    ) -> int:
        """Like load_ticks, with exact int64 prices in micro units (price x 1e6)."""
        t, b = as_time_array(time_ns, unit=unit), as_micro_array(bid, "bid")
        n = self._load_ticks_micro(symbol_id, t, b, as_micro_array(ask, "ask"))
        self.__dict__["_loaded"] = True
        self._sketch(symbol_id, t, b, 1e-6)
        return n

    def load_bars(
        self,
        symbol_id: SymbolRef,
        timeframe: int | None,
        time_ns: ArrayLike | BarData | Any,
        open: ArrayLike | None = None,
        high: ArrayLike | None = None,
        low: ArrayLike | None = None,
        close: ArrayLike | None = None,
        volume: ArrayLike | None = None,
        *,
        unit: str | None = None,
    ) -> int:
        """Append bars of one symbol and timeframe (minutes); time is the open time.

        Conversion rules (and ``unit``) as in load_ticks; ``volume`` defaults to zeros.
        ``load_bars(symbol, timeframe, data)`` takes a pandas DataFrame (see
        :meth:`load_dataframe`) or a :class:`hqt.BarData`; with such data
        ``timeframe=None`` uses the data's (inferred) timeframe.
        """
        _check_timeframe(timeframe)
        if open is None and high is None and low is None and close is None:
            data = self._bar_data(time_ns, timeframe, unit)
            unit = None  # converted
            timeframe = self._timeframe_of(data, timeframe)
            times: Any = data.time
            open, high, low, close = data.open, data.high, data.low, data.close
            volume = data.volume if volume is None else volume
        elif open is None or high is None or low is None or close is None:
            raise TypeError(
                "load_bars() needs open, high, low and close (or one DataFrame / BarData)"
            )
        else:
            times = time_ns
        if timeframe is None:
            raise InvalidArgumentError("load_bars() needs the timeframe (minutes, e.g. hqt.M1)")
        t = as_time_array(times, unit=unit)
        v = np.zeros(len(t)) if volume is None else as_price_array(volume, "volume")
        c = as_price_array(close, "close")
        n = self._load_bars(
            symbol_id,
            timeframe,
            t,
            as_price_array(open, "open"),
            as_price_array(high, "high"),
            as_price_array(low, "low"),
            c,
            v,
        )
        self._sketch(symbol_id, t, c, open=open, high=high, low=low)
        self.__dict__["_loaded"] = True
        if n:
            self.__dict__["_has_bars"] = True
        return n

    def load_bars_micro(
        self,
        symbol_id: SymbolRef,
        timeframe: int,
        time_ns: ArrayLike,
        open: ArrayLike,
        high: ArrayLike,
        low: ArrayLike,
        close: ArrayLike,
        volume: ArrayLike | None = None,
        *,
        unit: str | None = None,
    ) -> int:
        """Like load_bars, with exact int64 values in micro units."""
        t = as_time_array(time_ns, unit=unit)
        v = np.zeros(len(t), np.int64) if volume is None else as_micro_array(volume, "volume")
        c = as_micro_array(close, "close")
        n = self._load_bars_micro(
            symbol_id,
            timeframe,
            t,
            as_micro_array(open, "open"),
            as_micro_array(high, "high"),
            as_micro_array(low, "low"),
            c,
            v,
        )
        self._sketch(symbol_id, t, c, 1e-6, open=open, high=high, low=low)
        self.__dict__["_loaded"] = True
        if n:
            self.__dict__["_has_bars"] = True
        return n

    def load_dataframe(
        self,
        symbol_id: SymbolRef,
        df: Any,
        kind: str = "auto",
        timeframe: int | None = None,
        *,
        unit: str | None = None,
    ) -> int:
        """Append ticks or bars of one symbol from a pandas DataFrame; returns how many.

        The time is the DatetimeIndex (any resolution; tz-aware times are
        converted to UTC, naive ones are UTC) or a column ``time`` /
        ``time_ns`` / ``timestamp`` / ``datetime`` / ``date`` (datetime64,
        integers in ``unit``, None = ns: see :meth:`load_ticks`; or ISO
        strings). ``kind="ticks"`` takes ``bid``/``ask``;
        ``kind="bars"`` takes ``open``/``high``/``low``/``close`` and an
        optional ``volume``, with ``timeframe`` in minutes (inferred from
        the bar spacing when None); ``"auto"`` decides from the columns.
        Column names are case-insensitive. Columns go to the engine as numpy
        arrays (float64 ones without a copy): no Python object per row.
        """
        data = from_frame(df, kind, timeframe, unit=unit)
        if isinstance(data, TickData):
            return self.load_ticks(symbol_id, data)
        return self.load_bars(symbol_id, timeframe, data)

    def load_parquet(
        self,
        symbol_id: SymbolRef,
        path: str | os.PathLike[str],
        kind: str = "auto",
        *,
        timeframe: int | None = None,
        batch_rows: int = 65_536,
        unit: str | None = None,
    ) -> int:
        """Append the ticks or bars of a Parquet file, `batch_rows` rows at a time
        (the default: 1.5 MB of ticks per batch, peak memory 1.11x the data at 20M ticks).

        Needs pyarrow (``pip install 'hqt-engine[parquet]'``). Column names and time
        rules as in :meth:`load_dataframe` (a timestamp column of any unit
        or time zone, or integers in ``unit``, None = ns). Memory: the engine's copy plus one batch.
        Every batch is checked (time order, finite positive prices, ask >=
        bid / high and low around open and close); a bad batch fails the
        whole load with nothing of the file kept. Ticks are loaded batch by
        batch as they are read (a bad one drops those loaded before it
        again); bars are checked in a first pass over the file, then loaded.
        """
        kind = parquet_kind(path, kind)
        if kind == "ticks":
            where = f"{os.fspath(path)}: row "

            def explain(batch: Any, rows: int, last: int | None) -> None:
                # the engine refused it: the file's row, as a check of the batch names it
                validate_ticks(batch, last, f"{where}{rows} + tick")

            batches = iter_parquet(path, kind, batch_rows=batch_rows, unit=unit)
            ticks = cast("Iterator[TickData]", batches)  # kind "ticks": TickData only
            return _chunked.load_tick_chunks(self, symbol_id, ticks, explain)[0]
        tf = timeframe
        if kind == "bars" and tf is None:  # from the first rows
            for first in iter_parquet(path, "bars", batch_rows=4096, unit=unit):
                tf = infer_timeframe(first.time)
                break
            if tf is None:
                raise InvalidArgumentError(
                    f"{os.fspath(path)}: cannot infer the bars' "
                    "timeframe; pass timeframe= (minutes)"
                )
        # a first pass validates every batch, so that nothing is loaded from a bad file
        last: int | None = None
        rows = 0
        for batch in iter_parquet(path, kind, timeframe=tf, batch_rows=batch_rows, unit=unit):
            where = f"{os.fspath(path)}: row {rows} + "
            if isinstance(batch, TickData):
                validate_ticks(batch, last, where + "tick")
            else:
                validate_bars(batch, last, where + "bar")
            if len(batch):
                last = int(batch.time[-1])
            rows += len(batch)
        n = 0
        for batch in iter_parquet(path, kind, timeframe=tf, batch_rows=batch_rows, unit=unit):
            if isinstance(batch, TickData):
                n += self.load_ticks(symbol_id, batch)
            else:
                n += self.load_bars(symbol_id, tf, batch)
        return n

    @staticmethod
    def _tick_data(obj: Any, unit: str | None = None) -> TickData:
        if isinstance(obj, TickData):
            _no_unit_for_series(unit)
            return obj
        if hasattr(obj, "columns"):
            return ticks_from_frame(obj, unit=unit)
        raise TypeError(
            "load_ticks(symbol, data) needs a pandas DataFrame or TickData; "
            "or pass time_ns, bid and ask arrays"
        )

    @staticmethod
    def _bar_data(obj: Any, timeframe: int | None, unit: str | None = None) -> BarData:
        if isinstance(obj, BarData):
            _no_unit_for_series(unit)
            return obj
        if hasattr(obj, "columns"):
            return bars_from_frame(obj, timeframe, unit=unit)
        raise TypeError(
            "load_bars(symbol, timeframe, data) needs a pandas DataFrame or "
            "BarData; or pass time_ns, open, high, low and close arrays"
        )

    @staticmethod
    def _timeframe_of(data: BarData, timeframe: int | None) -> int:
        tf = timeframe if timeframe is not None else data.timeframe
        if tf is None:
            if not len(data):
                return 1  # nothing to load; any valid timeframe
            raise InvalidArgumentError(
                "cannot infer the bars' timeframe from their times; "
                "pass timeframe= (minutes, e.g. hqt.M1)"
            )
        return int(tf)

    def _sketch(
        self,
        symbol_id: SymbolRef,
        t: NDArray[np.int64],
        price: NDArray[Any],
        scale: float = 1.0,
        **bar: Any,
    ) -> None:
        """Keeps a small sample of loaded prices (with the candles' extremes; `bar`:
        a bar load's open/high/low) for BacktestResult.plot() and report()."""
        if not len(t):
            return
        sketches: dict[int, PriceSketch] = self.__dict__.setdefault("_price_sketches", {})
        sid = symbol_id if isinstance(symbol_id, int) else self.symbol_id(symbol_id)
        sk = sketches.get(sid)
        if sk is None:
            sk = sketches[sid] = PriceSketch()
        # the engine has just accepted these prices: finite and > 0
        sk.add(t, price, scale, positive=True, **{k: np.asarray(v) for k, v in bar.items()})

    def load_csv(
        self,
        symbol_id: SymbolRef,
        path: str | os.PathLike[str],
        *,
        format: str = "auto",
        timeframe: int | None = None,
        volume: str = "tick",
        unit: str | None = None,
        time_column: str | None = None,
        time_format: str | None = None,
        dayfirst: bool = False,
        tz: Any = None,
        broker_tz: Any = None,
    ) -> int:
        """Load a CSV file of ticks or bars for one symbol; returns the number of rows loaded.

        Formats (``format="auto"`` detects them): MetaTrader 5 tick export
        (``mt5_ticks``), MetaTrader 5 bar export (``mt5_bars``), MetaTrader 4
        style comma bars (``mt4_bars``), and plain CSV with a header
        ``time,bid,ask`` (``plain_ticks``) or ``time,open,high,low,close[,volume]``
        (``plain_bars``). For bars, ``timeframe`` (minutes) is inferred from
        the spacing of the bars when not given. See :mod:`hqt.data`.
        ``unit``: the unit of integer times in a plain file (see :meth:`load_ticks`).
        Malformed lines, and dates int64 nanoseconds cannot hold (before
        1677-09-21 or after 2262-04-11), raise CSVFormatError with the file
        and line number. Dukascopy (``dukascopy_ticks`` / ``_bars``) and HistData
        (``histdata_ticks`` / ``_bars``) exports are read too; ``time_column``,
        ``time_format``, ``dayfirst``, ``tz`` and ``broker_tz`` (MT5 exports are
        in the broker's time) as :func:`hqt.read_csv`. Tick files stream
        through pyarrow's CSV reader in ~1 MB batches (bounded memory).
        """
        return _chunked.load_csv(
            self,
            symbol_id,
            path,
            format=format,
            timeframe=timeframe,
            volume=volume,
            unit=unit,
            time_column=time_column,
            time_format=time_format,
            dayfirst=dayfirst,
            tz=tz,
            broker_tz=broker_tz,
        )

    def build_bars(
        self, symbol_id: SymbolRef, timeframe: int, price: BarPriceName | int = "bid"
    ) -> None:
        """Build bars of `timeframe` (minutes) from the symbol's ticks.

        `price`: the price the bars follow, "bid" (MT5's bars, the default),
        "ask" or "mid" ((bid + ask) / 2 in micro units, a half rounded up,
        as every division in the engine); also ``hqt.PriceSource.BID`` / ``ASK`` / ``MID``. Open, high,
        low and close come from that price; volume counts ticks either way.
        Each bar is passed to on_bar when it closes (at the first tick past
        its end, and at the end of the run). Asking twice for the same pair
        does nothing; a symbol has one builder per timeframe, so asking for
        it on another price raises :class:`hqt.InvalidArgumentError` (as
        does a bad `price`); clear_data() forgets the request::

            engine.build_bars("EURUSD", hqt.M5, price="mid")
        """
        _check_timeframe(timeframe)
        super().build_bars(symbol_id, timeframe, bar_price_code(price))
        self.__dict__["_has_bars"] = True

    def clear_data(self) -> None:
        """Drop every loaded event and forget the build_bars requests (native)."""
        super().clear_data()
        self.__dict__["_has_bars"] = False

    # ---- driving ---------------------------------------------------------------------

    def _prepare(self, strategy: object) -> Any:
        # build_bars is logged (BUILD_BARS) when the WAL is on: recovery
        # restores the bars being built.
        for sym, tf, price in bar_requests(getattr(strategy, "bars", None)):
            self.build_bars(sym, tf, price)
        _indicators.bind(strategy, self)  # its native indicators, before on_start
        return strategy_callbacks(strategy)

    def indicator(
        self,
        kind: int,
        symbol: SymbolRef,
        timeframe: int | None,
        *params: float,
        source: str | int | None = None,
        history: int = 64,
    ) -> Any:
        """Declares a native indicator on this engine (docs/indicators.md).

        `kind`: ``hqt.SMA``, ``hqt.EMA``, ``hqt.WMA``, ``hqt.RSI``, ``hqt.ATR``,
        ``hqt.BBANDS``, ``hqt.MACD``, ``hqt.STOCH``, ``hqt.DONCHIAN``,
        ``hqt.STDDEV``, ``hqt.HIGHEST`` or ``hqt.LOWEST``; `timeframe`: None
        (or 0) for every tick of `symbol`, else the bars of that timeframe;
        `params`: TA-Lib's, in its order (the missing ones get its defaults);
        `source`: "bid", "ask" or "mid" on ticks (default bid), "open",
        "high", "low" or "close" on bars (default close); `history`: values
        kept readable. Returns an :class:`hqt.IndicatorLine` (``line[0]``,
        ``line[-1]``, ``line.ready``), or for BBANDS, MACD, STOCH and DONCHIAN an
        :class:`hqt.indicators.Indicator` of lines::

            rsi = engine.indicator(hqt.RSI, "EURUSD", None, 14, source="mid")
            bb = engine.indicator(hqt.BBANDS, "EURUSD", hqt.M5, 20, 2.0, 2.0)
        """
        return _indicators.declare(
            self, kind, symbol, timeframe, *params, source=source, history=history
        )

    def _check_run(self, strategy: object, callbacks: Any) -> None:
        """Warnings (HQTWarning) for runs that would silently do nothing useful."""
        if self.__dict__.get("_in_run") or self.disposed:
            return  # run() from a callback (BusyError) or a disposed engine (StateError)
        if self.pending_events == 0:
            warnings.warn(
                "nothing to run: every loaded event has been processed (load more data "
                "or clear_data())"
                if self.__dict__.get("_loaded")
                else "nothing to run: no market data is loaded (load_ticks, load_bars, "
                "load_csv, ... first)",
                HQTWarning,
                stacklevel=3,
            )
        elif (
            callbacks is not None
            and callbacks[CALLBACK_NAMES.index("on_bar")] is not None
            and not self.__dict__.get("_has_bars")
        ):
            warnings.warn(
                f"{type(strategy).__name__} defines on_bar, but no bars will reach it: "
                "it requests none (set its `bars` attribute, e.g. bars = [('EURUSD', hqt.M5)]) "
                "and no bars are loaded or built (load_bars / build_bars)",
                HQTWarning,
                stacklevel=3,
            )

    def run(
        self,
        strategy: object | None = None,
        *,
        resume: bool = False,
        warmup: int | None = None,
        progress: bool | None = None,
        tick_model: TickModelName | None = None,
    ) -> BacktestResult:
        """Process every loaded event not yet processed, in time order.

        Returns a :class:`hqt.results.BacktestResult`: the deals, trades,
        orders and equity curve (DataFrames with pandas, else numpy
        structured arrays), statistics, a notebook view and ``plot()``. It
        covers the whole account so far (all runs), not only this call.

        ``progress``: a progress bar (tqdm) with events/s and ETA. None (the
        default) shows one for runs longer than half a second in Jupyter or
        in an interactive session on a terminal, never in a program (a
        script calling run()) unless the environment variable HQT_PROGRESS
        is 1, and never in CI or without tqdm; True / False force it on /
        off. It costs the engine nothing: see :mod:`hqt.progress`.

        Ctrl-C pauses the run: the callback in progress finishes, the engine
        stops between two events (within 1024 events), an enabled
        write-ahead log gets a checkpoint, and run() raises KeyboardInterrupt
        with a note. Nothing ends: on_stop is not called, and ``run()`` again
        (same strategy object) continues with the next event without a second
        on_start, so the pieces together equal the run never interrupted
        (:attr:`is_paused` is True meanwhile). A second Ctrl-C before the
        engine has stopped raises KeyboardInterrupt inside the callback at
        once and ends the run like any callback error (on_stop is called).
        This needs run() on the main thread with Python's default SIGINT
        handler in place; otherwise Ctrl-C acts as a callback error. Without
        Python callbacks the engine runs without the GIL and sees Ctrl-C when
        it returns. :meth:`interrupt` (any thread) pauses a run the same way;
        run() then raises :class:`hqt.RunInterruptedError`.

        With a strategy, its overridden callbacks are called (see
        :class:`hqt.Strategy`); an exception raised in one stops the run and
        is re-raised here unchanged (on_stop is still called). The events
        not processed stay loaded: a later run() continues with them.
        Without a strategy (or with one that overrides no callback) the GIL
        is released while the engine runs: other threads go on, and Ctrl-C
        is handled when run() returns.

        ``tick_model``: how loaded bars are traded, as MetaTrader 5's
        Strategy Tester modes (docs/engine.md, "Tick models"):

        * ``"real_ticks"`` (None, the default): loaded ticks as they are;
          loaded bars, which hold no ticks, by the bar rule below.
        * ``"every_tick"``: ticks generated inside each loaded M1 bar from
          its OHLC and tick volume (``volume`` = tick count), following
          MetaQuotes' published algorithm: open first, then the extreme on
          the far side of the close, the other extreme, the close, with the
          other ticks as a saw-tooth between them.
        * ``"ohlc_m1"``: four ticks per M1 bar: open, low and high (a rising
          bar; high then low for a falling one), close, at :00, :15, :30, :45.
        * ``"open_prices"``: one tick per loaded bar, at its open (any
          timeframe): SL/TP and pending orders act only at bar opens.
        * ``"bars"``: the bar rule for bars of any timeframe: SL/TP and
          pending orders checked against the bar's range, SL before TP when
          it crosses both (pessimistic), a level filled at the level or at
          the open when the bar opened beyond it.

        Under the generating models each tick reaches ``on_tick`` (ask =
        bid + the symbol's spread) and then the bar itself reaches
        ``on_bar`` at its close, as with the bar rule. ``"every_tick"`` and
        ``"ohlc_m1"`` need M1 bars: other timeframes raise
        InvalidArgumentError before on_start. Loaded ticks always run as
        they are. The model is written to the write-ahead log: a resumed
        run uses the recovered one (None) and refuses another; a log that
        holds nothing of the run yet cannot know it, so pass the same
        ``tick_model`` to every start of a script that may be resumed.

        ``resume=True`` continues a run after :meth:`recover_from_wal`: the
        strategy's on_start and then the `warmup` loaded events before the
        resume point are delivered with trading refused (:attr:`warming_up`
        is True; order calls raise StateError), so that the strategy can
        rebuild its state; then the run goes on live after the last
        recovered event. `warmup` defaults to the strategy's ``warmup``
        attribute (0 if it has none); it is only allowed with ``resume=True``.

        With the write-ahead log enabled, every :meth:`build_bars` request
        (including a strategy's ``bars``) is logged like a trade, so
        recovery rebuilds the same bars; on_start and the end of the run are
        units of their own in the log, so a crash inside either is redone,
        once, by the resumed run.

        Likely mistakes are reported, not run silently: a strategy method
        named like a callback but unknown (``on_ticks``, ``ontick``) raises
        InvalidArgumentError with the name it probably meant (see
        :class:`hqt.Strategy`); a run with no event left to process warns
        (:class:`hqt.HQTWarning`: "nothing to run: every loaded event has been
        processed (load more data or clear_data())"), as does an ``on_bar``
        that no bar can reach (no ``bars`` attribute, no bars loaded or being
        built). ``resume=True`` runs are not checked for either warning.
        """
        model = _tick_model_code(tick_model)
        native = getattr(strategy, "_hqt_native_", None)
        if native is not None:  # hqt.numba: compiled callbacks, called by the engine directly
            if resume or warmup is not None:
                raise InvalidArgumentError("a native (hqt.numba) strategy cannot resume a run")
            with self._tick_model_for_run(max(model, int(TickModel.REAL_TICKS))):
                return self._drive(self._run_native, *native(self), progress=progress)
        if not resume:
            if warmup is not None:
                raise InvalidArgumentError("warmup is only used with resume=True")
            # None: the default for a fresh run, whatever an earlier run used.
            with self._tick_model_for_run(max(model, int(TickModel.REAL_TICKS))):
                cbs = None if strategy is None else self._prepare(strategy)
                self._check_run(strategy, cbs)
                return self._drive(self._run, cbs, progress=progress)
        n = warmup if warmup is not None else getattr(strategy, "warmup", 0)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"warmup must be an int (number of events), not {type(n).__name__}")
        if n < 0:
            raise InvalidArgumentError(f"warmup must be >= 0, got {n}")
        # None: the recovered run's model (or, when the crash cut its on_start
        # short, the one its RUN_MARK STARTING asked for: recovery keeps it).
        with self._tick_model_for_run(None if tick_model is None else model):
            return self._drive(
                self._run_resume,
                None if strategy is None else self._prepare(strategy),
                n,
                progress=progress,
            )

    @contextlib.contextmanager
    def _tick_model_for_run(self, code: int | None) -> Iterator[None]:
        """Requests tick model `code` (HQT_TICK_MODEL_*) for the run inside,
        and no model after it, so a later resume sees only what recovery set."""
        if code is None:
            yield
            return
        self._set_tick_model(code)
        try:
            yield
        finally:
            if not self.disposed and not self.__dict__.get("_in_run"):
                self._set_tick_model(int(TickModel.DEFAULT))

    def _drive(self, fn: Any, *args: Any, progress: bool | None) -> BacktestResult:
        """Calls fn(*args) (a native run) under a progress bar; returns the result."""
        total = self.pending_events
        started = _time.perf_counter()
        with RunProgress(self, total, wants_progress(progress), auto=progress is None) as bar:
            bar.begin_chunk(total)
            outer = self.__dict__.get("_in_run", False)
            self.__dict__["_in_run"] = True
            ctrl_c = DeferredInterrupt(self)
            try:
                if outer:
                    fn(*args)  # run() from a callback: BusyError, no handler swap
                else:
                    with ctrl_c:
                        fn(*args)
            except RunInterruptedError as e:
                if not ctrl_c.requested:
                    raise  # interrupt() called by the program: its exception
                left = self.pending_events
                stopped = KeyboardInterrupt()
                stopped.add_note(
                    f"hqt: run() paused after {total - left:,} of {total:,} events, between "
                    f"two events; {left:,} stay loaded: run() again continues exactly where "
                    "it stopped (no second on_start; on_stop comes at the real end)"
                )
                raise stopped from e
            except KeyboardInterrupt as e:
                left = self.pending_events if not self.disposed else 0
                e.add_note(
                    f"hqt: run() interrupted after {total - left:,} of {total:,} events; "
                    "the engine is consistent (on_stop was called and an enabled "
                    f"write-ahead log got its end-of-run checkpoint); {left:,} events "
                    "stay loaded: run() again continues"
                )
                raise
            finally:
                self.__dict__["_in_run"] = outer
            if ctrl_c.requested:
                # Ctrl-C came too late to stop anything (a run without Python
                # callbacks only sees it when it returns): the run is complete.
                done = KeyboardInterrupt()
                done.add_note("hqt: Ctrl-C during run(); the run had already completed")
                raise done
            bar.end_chunk()
        return BacktestResult.from_engine(
            self, wall_seconds=_time.perf_counter() - started, events=total - self.pending_events
        )

    def run_file(
        self,
        path: str | os.PathLike[str],
        strategy: object | None = None,
        *,
        symbol: SymbolRef | None = None,
        chunk_ticks: int = 1_000_000,
        progress: bool | None = None,
    ) -> BacktestResult:
        """Run the ticks of an HQT tick file (``.hqtt``) in bounded memory.

        The file (see :mod:`hqt.tickfile`; ``python -m hqt.tickfile convert``
        makes one from CSV or Parquet) is mapped `chunk_ticks` ticks at a
        time, and the engine runs it as one run: when the ticks loaded so far
        have run, it drops them and asks for the next window, so resident
        memory stays near one window whatever the file size. Everything
        else is the run of the whole file loaded at once with :meth:`run`:
        on_start once, on_stop once (also after an error or Ctrl-C), the
        strategy's bars (its ``bars`` attribute) built across windows and
        closed by the next tick with the clock at that tick, the same deals,
        trades, equity curve and statistics whatever `chunk_ticks` is.

        ``symbol``: the symbol the ticks are for (default: the name in the
        file's header, or the engine's only symbol). The engine must have
        no other loaded events left to run (StateError): the file's windows
        are the run's only data, so run other symbols' data separately.
        Data of earlier runs (all processed) is dropped first
        (:meth:`clear_data`, which also forgets earlier :meth:`build_bars`
        requests), and the last window is dropped at the end. An error
        stops the run as in :meth:`run` and is re-raised unchanged with a
        note saying how many ticks ran; the rest of the file is not loaded.
        """
        result: BacktestResult = run_file(
            self, path, strategy, symbol=symbol, chunk_ticks=chunk_ticks, progress=progress
        )
        return result

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

    def enable_wal(
        self,
        file_path: str | os.PathLike[str],
        truncate: bool = False,
        sync: str | int = "always",
        *,
        checkpoint_every: int = 10_000,
        batch_records: int = 256,
        batch_delay: float = 0.01,
    ) -> WALOpenReport:
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
            raise TypeError(
                f"checkpoint_every must be an int, not {type(checkpoint_every).__name__}"
            )
        if checkpoint_every < 1:
            raise InvalidArgumentError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        records, delay_ns = batch_options(batch_records, batch_delay)
        raw = self._enable_wal(
            _fspath(file_path, "file_path"),
            bool(truncate),
            sync_policy_code(sync),
            records,
            delay_ns,
            checkpoint_every,
        )
        return WALOpenReport._from_raw(raw)

    def recover_from_wal(self, *, accept_changed_data: bool = False) -> RecoveryReport:
        """Restore the state of the log enabled with :meth:`enable_wal`.

        The last checkpoint is restored and every record after it applied;
        the records of a last, possibly unfinished event are discarded (that
        event is processed again by ``run(resume=True)``). Load the same data
        as the logged run first: it is then re-walked, so quotes, bars, the
        equity curve and statistics come out exactly, and a resumed run
        continues after the last event. The log is then compacted to a fresh
        checkpoint. StateError if no log is enabled; WALCorruptionError if
        the log cannot be replayed (nothing is changed then).

        The loaded data must be the data the log was written over: every
        checkpoint carries a fingerprint of each series' data up to its
        cursor (count, first and last time, hashes of blocks of events), and
        the data must reach the log's last record. Other data (prices shifted
        by a pip, fewer ticks, another file) raises WALError naming the
        symbol and the first block of events that differs, with nothing
        changed. ``accept_changed_data=True`` is the override for data changed
        on purpose: the log is replayed over the data as it is (its cursors
        must still fit in it), and results follow from that data.
        """
        if not isinstance(accept_changed_data, bool):
            raise TypeError("accept_changed_data must be a bool")
        return RecoveryReport._from_raw(self._recover_from_wal(accept_changed_data))

    # ---- broadcasting ----------------------------------------------------------------
    # disable_broadcasting, is_broadcasting and broadcast_endpoint are native (inherited).

    def enable_broadcasting(
        self,
        endpoint: str = "tcp://*:5555",
        *,
        sndhwm: int = 10_000,
        linger: int = 0,
        curve_secret_key: Key | None = None,
        allowed_client_keys: Iterable[Key] = (),
        wait_subscribers: int = 0,
        wait_timeout: float = 5.0,
        on_bar_close: bool = True,
        on_deal: bool = True,
        every_ticks: int = 0,
        replay_endpoint: str | None = None,
        replay_window: int = 65_536,
    ) -> str:
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

        ``replay_endpoint`` (e.g. ``"tcp://127.0.0.1:*"``) also binds the
        snapshot/replay ROUTER (docs/zmq.md section 13; same CURVE key and
        allow-list), keeping the last ``replay_window`` TRADE, ORDER,
        POSITION and ACCOUNT events; its address is :attr:`replay_endpoint`.
        :class:`hqt.mirror.Mirror` uses it to repair gaps. With a WAL
        attached (:meth:`enable_wal` first), older events are served from a
        spill beside it (``<wal>.stream.*``, deleted with the broadcaster);
        without one they answer GONE.
        """
        opts = broadcast_options(
            endpoint,
            sndhwm,
            linger,
            curve_secret_key,
            allowed_client_keys,
            wait_subscribers,
            wait_timeout,
        )
        if isinstance(every_ticks, bool) or not isinstance(every_ticks, int):
            raise TypeError(f"every_ticks must be an int, not {type(every_ticks).__name__}")
        if not 0 <= every_ticks <= 2**31 - 1:
            raise InvalidArgumentError(f"every_ticks must be in 0..2147483647, got {every_ticks}")
        self._enable_broadcasting(
            *opts, bool(on_bar_close), bool(on_deal), every_ticks, replay_endpoint, replay_window
        )
        return self.broadcast_endpoint or opts[0]

    def broadcast_stats(self) -> BroadcastStats:
        """Counters of the current publisher, or of the last one after disable (zeros if none).

        Readable during a run, from a strategy callback.
        """
        return BroadcastStats._from_raw(self._broadcast_stats())

    # ---- trading ---------------------------------------------------------------------
    # buy, sell, modify, modify_order, set_trailing_stop, close, cancel and
    # deposit are native (inherited); see hqt/_hqt.pyi.

    def order_send(
        self,
        symbol_id: SymbolRef,
        type: int,
        volume: float,
        price: float | None = None,
        stop_limit: float | None = None,
        sl: float | None = None,
        tp: float | None = None,
        expiration: TimeLike | None = None,
        trailing_points: int | None = 0,
        magic: int | None = 0,
        type_time: str | int | None = None,
        filling: str | int | None = None,
    ) -> int:
        """Send an order of any :class:`hqt.OrderType`; returns its ticket.

        Market orders (BUY/SELL) ignore ``price`` and return the position's
        ticket. ``expiration`` is a time (ns, datetime or datetime64); None =
        good till canceled. ``trailing_points`` sets a trailing stop on the
        resulting position. ``magic`` is copied to the deals.

        ``type_time`` is MT5's ORDER_TYPE_TIME of a pending order:
        ``"gtc"`` (no expiration), ``"day"`` (expires at the next 00:00 of
        the data's clock, no expiration given), ``"specified"`` (at
        ``expiration``), ``"specified_day"`` (lives through 23:59:59 of
        ``expiration``'s day). None: ``"specified"`` when an expiration is
        given, else ``"gtc"``. The order's ``expiration`` shows the time it
        resolves to. A type_time that does not fit the expiration raises
        InvalidArgumentError.

        ``filling`` is MT5's ORDER_TYPE_FILLING, applied when the symbol's
        ``volume_limit`` leaves room for only part of a market order:
        ``"fok"`` (default: all or VolumeLimitError), ``"ioc"`` (what fits
        is filled, the rest canceled), ``"return"`` (what fits is filled,
        the rest stays as a limit order at the deal's price). Nothing fits
        (less than the minimum volume): VolumeLimitError whatever the
        filling. A pending order must fit whole when placed.
        """
        return super().order_send(
            symbol_id,
            type,
            volume,
            price,
            stop_limit,
            sl,
            tp,
            to_ns(expiration, "expiration"),
            trailing_points,
            magic,
            None if type_time is None else int(_type_time(type_time)),
            None if filling is None else int(_filling(filling)),
        )

    def buy_limit(
        self,
        symbol_id: SymbolRef,
        volume: float,
        price: float,
        sl: float | None = None,
        tp: float | None = None,
        expiration: TimeLike | None = None,
        *,
        type_time: str | OrderTypeTime | None = None,
    ) -> int:
        """Pending buy below the market: fills when ask <= price."""
        return self.order_send(
            symbol_id,
            OrderType.BUY_LIMIT,
            volume,
            price,
            None,
            sl,
            tp,
            expiration,
            type_time=type_time,
        )

    def sell_limit(
        self,
        symbol_id: SymbolRef,
        volume: float,
        price: float,
        sl: float | None = None,
        tp: float | None = None,
        expiration: TimeLike | None = None,
        *,
        type_time: str | OrderTypeTime | None = None,
    ) -> int:
        """Pending sell above the market: fills when bid >= price."""
        return self.order_send(
            symbol_id,
            OrderType.SELL_LIMIT,
            volume,
            price,
            None,
            sl,
            tp,
            expiration,
            type_time=type_time,
        )

    def buy_stop(
        self,
        symbol_id: SymbolRef,
        volume: float,
        price: float,
        sl: float | None = None,
        tp: float | None = None,
        expiration: TimeLike | None = None,
        *,
        type_time: str | OrderTypeTime | None = None,
    ) -> int:
        """Pending buy above the market: fills when ask >= price."""
        return self.order_send(
            symbol_id,
            OrderType.BUY_STOP,
            volume,
            price,
            None,
            sl,
            tp,
            expiration,
            type_time=type_time,
        )

    def sell_stop(
        self,
        symbol_id: SymbolRef,
        volume: float,
        price: float,
        sl: float | None = None,
        tp: float | None = None,
        expiration: TimeLike | None = None,
        *,
        type_time: str | OrderTypeTime | None = None,
    ) -> int:
        """Pending sell below the market: fills when bid <= price."""
        return self.order_send(
            symbol_id,
            OrderType.SELL_STOP,
            volume,
            price,
            None,
            sl,
            tp,
            expiration,
            type_time=type_time,
        )

    def buy_stop_limit(
        self,
        symbol_id: SymbolRef,
        volume: float,
        price: float,
        stop_limit: float,
        sl: float | None = None,
        tp: float | None = None,
        expiration: TimeLike | None = None,
        *,
        type_time: str | OrderTypeTime | None = None,
    ) -> int:
        """When ask reaches `price`, place a BUY_LIMIT at `stop_limit`."""
        return self.order_send(
            symbol_id,
            OrderType.BUY_STOP_LIMIT,
            volume,
            price,
            stop_limit,
            sl,
            tp,
            expiration,
            type_time=type_time,
        )

    def sell_stop_limit(
        self,
        symbol_id: SymbolRef,
        volume: float,
        price: float,
        stop_limit: float,
        sl: float | None = None,
        tp: float | None = None,
        expiration: TimeLike | None = None,
        *,
        type_time: str | OrderTypeTime | None = None,
    ) -> int:
        """When bid reaches `price`, place a SELL_LIMIT at `stop_limit`."""
        return self.order_send(
            symbol_id,
            OrderType.SELL_STOP_LIMIT,
            volume,
            price,
            stop_limit,
            sl,
            tp,
            expiration,
            type_time=type_time,
        )

    def modify_order(
        self,
        ticket: int,
        price: float | None = None,
        stop_limit: float | None = None,
        expiration: TimeLike | None = None,
    ) -> None:
        """Change a pending order's price, stop-limit price or expiration; None keeps a value."""
        super().modify_order(ticket, price, stop_limit, to_ns(expiration, "expiration"))

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

    # positions, position(ticket), orders, order_history and trades are the
    # native Engine's: lists of hqt.Position / hqt.Order / hqt.Trade built in C.

    @property
    def deals(self) -> list[Deal]:
        """Every fill, in order (hqt.Deal objects)."""
        return self._deals()

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
        """Summary: net profit, gross profit/loss, profit factor, drawdown, Sharpe, win rate,
        and the MT5 Strategy Tester report's figures (NaN where the run cannot define one)."""
        return Statistics._from_raw(self._statistics(), self._report())

    def deals_array(self) -> np.ndarray:
        """Deals as a numpy structured array of exact integers (micro units)."""
        dtype = np.dtype(
            [
                ("ticket", "<u8"),
                ("order", "<u8"),
                ("position", "<u8"),
                ("symbol_id", "<u4"),
                ("type", "<i4"),
                ("entry", "<i4"),
                ("reason", "<i4"),
                ("time", "<i8"),
                ("volume", "<i8"),
                ("price", "<i8"),
                ("commission", "<i8"),
                ("profit", "<i8"),
                ("balance", "<i8"),
                ("magic", "<u8"),
            ]
        )
        raw = np.frombuffer(_hqt._raw_records(self, "deals"), dtype=_raw_dtypes()["deals"])
        out = np.empty(len(raw), dtype=dtype)
        for name in dtype.names or ():
            out[name] = raw[name]
        return out
