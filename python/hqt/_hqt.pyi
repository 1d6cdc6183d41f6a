"""Type stubs of the native extension hqt._hqt (thin wrapper of include/hqt.h).

Floats are rounded once to micro units (x 1e6, half away from zero);
``*_micro`` attributes and ``_``-prefixed methods give exact integers.
"""

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal, TypeVar, final

from typing_extensions import disjoint_base

from hqt.constants import DealEntry, DealReason, OrderState, OrderType, PositionType

_Callbacks = (
    tuple[
        Callable[..., Any] | None,
        Callable[..., Any] | None,
        Callable[..., Any] | None,
        Callable[..., Any] | None,
        Callable[..., Any] | None,
    ]
    | None
)
_Symbol = int | str
#: any object exporting a 1-D C-contiguous int64 / float64 buffer (e.g. a numpy array)
_Buffer = Any
_T = TypeVar("_T")

KEEP: int

def version() -> str: ...
def status_name(status: int, /) -> str: ...
def to_micro(value: float, /) -> int: ...
def from_micro(value: int, /) -> float: ...
def curve_keypair() -> tuple[str, str]: ...
def curve_public_key(secret_key: str | bytes, /) -> str: ...

# rules.c: the engine's data rules without an engine (include/hqt.h, "Data rules without
# an engine"). Validation raises what a load would, with an `index` attribute (the position
# of the first bad row); prices are int64 micro units or float64 (all of one kind).
def validate_ticks(
    time_ns: _Buffer,
    bid: _Buffer,
    ask: _Buffer,
    previous_time_ns: int | None = 0,
    subject: str | None = "tick",
    first_index: int | None = 0,
) -> None: ...
def validate_bars(
    timeframe: int,
    time_ns: _Buffer,
    open: _Buffer,
    high: _Buffer,
    low: _Buffer,
    close: _Buffer,
    volume: _Buffer,
    previous_open_ns: int | None = None,
    not_before_ns: int | None = 0,
    subject: str | None = "bar",
    first_index: int | None = 0,
) -> None: ...
def timeframe_open_time(timeframe: int, time_ns: int, /) -> int: ...
def timeframe_close_time(timeframe: int, time_ns: int, /) -> int: ...
def timeframe_open_times(timeframe: int, time_ns: _Buffer, out: _T, /) -> _T: ...
def timeframe_close_times(timeframe: int, time_ns: _Buffer, out: _T, /) -> _T: ...
def timeframe_shifted_opens(timeframe: int, time_ns: int, periods: _Buffer, out: _T, /) -> _T: ...
def to_micro_array(value: _Buffer, out: _T, /) -> _T: ...

# results.c: run results (hqt_result) and result lists as the raw C structs,
# for numpy (see hqt.results)
_RecordKind = Literal["deals", "trades", "orders", "order_history", "positions", "equity"]

@final
class _Result:
    """A run's results at one moment (hqt_result); made by _result(engine)."""

    def _statistics(self) -> tuple[Any, ...]: ...
    def _report(self) -> tuple[Any, ...]: ...

def _result(engine: Engine, /) -> _Result: ...
def _raw_records(engine: Engine | _Result, kind: _RecordKind, /) -> bytes: ...
def _record_layouts() -> dict[str, tuple[int, tuple[tuple[str, int, str], ...]]]: ...

@final
class Tick:
    symbol_id: int
    time: int
    bid: float
    ask: float
    bid_micro: int
    ask_micro: int
    def __new__(cls, symbol_id: int, time: int, bid: float, ask: float) -> Tick: ...
    @classmethod
    def from_micro(cls, symbol_id: int, time: int, bid: int, ask: int) -> Tick: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Bar:
    symbol_id: int
    timeframe: int
    time: int
    @property
    def complete(self) -> bool: ...
    open: float
    high: float
    low: float
    close: float
    volume: float
    open_micro: int
    high_micro: int
    low_micro: int
    close_micro: int
    volume_micro: int
    def __new__(
        cls,
        symbol_id: int,
        timeframe: int,
        time: int,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float = ...,
    ) -> Bar: ...
    @classmethod
    def from_micro(
        cls,
        symbol_id: int,
        timeframe: int,
        time: int,
        open: int,
        high: int,
        low: int,
        close: int,
        volume: int = ...,
    ) -> Bar: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Deal:
    ticket: int
    order: int
    position: int
    symbol_id: int
    type: PositionType
    entry: DealEntry
    reason: DealReason
    time: int
    magic: int
    volume: float
    price: float
    commission: float
    profit: float
    balance: float
    volume_micro: int
    price_micro: int
    commission_micro: int
    profit_micro: int
    balance_micro: int
    def _astuple(self) -> tuple[int, ...]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

# indicators.c: one output of a native indicator, read in place (docs/indicators.md)
@final
class IndicatorLine:
    @property
    def value(self) -> float: ...
    @property
    def ready(self) -> bool: ...
    @property
    def count(self) -> int: ...
    @property
    def warmup(self) -> int: ...
    @property
    def id(self) -> int | None: ...
    @property
    def bound(self) -> bool: ...
    @property
    def output(self) -> int: ...
    def __getitem__(self, key: int, /) -> float: ...
    def __len__(self) -> int: ...
    def __float__(self) -> float: ...
    def history(self) -> list[float]: ...

def _indicator_line(name: str, output: int, /) -> IndicatorLine: ...
def _indicator_add(
    engine: Engine,
    kind: int,
    symbol_id: int,
    timeframe: int,
    source: int,
    params: Sequence[float],
    history: int,
    /,
) -> int: ...
def _indicator_bind(line: IndicatorLine, engine: Engine, id: int, /) -> None: ...
def _indicator_sketch(engine: Engine, id: int, /) -> tuple[bytes, bytes, int]: ...
def _indicator_count(engine: Engine, /) -> int: ...

# records.c: one type per record, fields from one table each
@final
class Position:
    _fields: ClassVar[tuple[str, ...]]
    ticket: int
    symbol_id: int
    type: PositionType
    volume: float
    open_price: float
    open_time: int
    sl: float
    tp: float
    trailing_points: int
    profit: float
    margin: float
    commission: float
    magic: int
    volume_micro: int
    open_price_micro: int
    sl_micro: int
    tp_micro: int
    profit_micro: int
    margin_micro: int
    commission_micro: int
    @property
    def price(self) -> float: ...
    def __new__(
        cls,
        ticket: int,
        symbol_id: int,
        type: int,
        volume: float,
        open_price: float,
        open_time: int,
        sl: float,
        tp: float,
        trailing_points: int,
        profit: float,
        margin: float,
        commission: float,
        magic: int,
    ) -> Position: ...
    @classmethod
    def from_micro(
        cls,
        ticket: int,
        symbol_id: int,
        type: int,
        volume: int,
        open_price: int,
        open_time: int,
        sl: int,
        tp: int,
        trailing_points: int,
        profit: int,
        margin: int,
        commission: int,
        magic: int,
    ) -> Position: ...
    def _astuple(self) -> tuple[int, ...]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Order:
    _fields: ClassVar[tuple[str, ...]]
    ticket: int
    symbol_id: int
    type: OrderType
    state: OrderState
    volume: float
    price: float
    stop_limit: float
    sl: float
    tp: float
    expiration: int
    time_setup: int
    trailing_points: int
    magic: int
    volume_micro: int
    price_micro: int
    stop_limit_micro: int
    sl_micro: int
    tp_micro: int
    def __new__(
        cls,
        ticket: int,
        symbol_id: int,
        type: int,
        state: int,
        volume: float,
        price: float,
        stop_limit: float,
        sl: float,
        tp: float,
        expiration: int,
        time_setup: int,
        trailing_points: int,
        magic: int,
    ) -> Order: ...
    @classmethod
    def from_micro(
        cls,
        ticket: int,
        symbol_id: int,
        type: int,
        state: int,
        volume: int,
        price: int,
        stop_limit: int,
        sl: int,
        tp: int,
        expiration: int,
        time_setup: int,
        trailing_points: int,
        magic: int,
    ) -> Order: ...
    def _astuple(self) -> tuple[int, ...]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Trade:
    _fields: ClassVar[tuple[str, ...]]
    position: int
    symbol_id: int
    type: PositionType
    volume: float
    open_time: int
    open_price: float
    close_time: int
    close_price: float
    commission: float
    profit: float
    close_reason: DealReason
    volume_micro: int
    open_price_micro: int
    close_price_micro: int
    commission_micro: int
    profit_micro: int
    @property
    def net_profit(self) -> float: ...
    def __new__(
        cls,
        position: int,
        symbol_id: int,
        type: int,
        volume: float,
        open_time: int,
        open_price: float,
        close_time: int,
        close_price: float,
        commission: float,
        profit: float,
        close_reason: int,
    ) -> Trade: ...
    @classmethod
    def from_micro(
        cls,
        position: int,
        symbol_id: int,
        type: int,
        volume: int,
        open_time: int,
        open_price: int,
        close_time: int,
        close_price: int,
        commission: int,
        profit: int,
        close_reason: int,
    ) -> Trade: ...
    def _astuple(self) -> tuple[int, ...]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

#: (torn_bytes_dropped, torn_records_dropped, records, last_checkpoint_offset, last_sequence,
#:  valid_bytes, fingerprint, has_fingerprint, format_version)
_OpenReport = tuple[int, int, int, int, int, int, int, int, int]
#: (type, sequence, offset, payload)
_Record = tuple[int, int, int, bytes]
#: (sent[8], bytes[8], dropped[8], total_sent, total_bytes, total_dropped, subscribers)
_Stats = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int, int, int, int]

@disjoint_base
class Engine:
    @property
    def disposed(self) -> bool: ...
    @property
    def symbol_count(self) -> int: ...
    @property
    def currency_digits(self) -> int: ...
    @property
    def pending_events(self) -> int: ...
    @property
    def is_paused(self) -> bool: ...
    def interrupt(self) -> None: ...
    @property
    def balance(self) -> float: ...
    @property
    def equity(self) -> float: ...
    @property
    def profit(self) -> float: ...
    @property
    def margin(self) -> float: ...
    @property
    def free_margin(self) -> float: ...
    @property
    def margin_level(self) -> float: ...
    @property
    def balance_micro(self) -> int: ...
    @property
    def equity_micro(self) -> int: ...
    @property
    def time(self) -> int: ...
    # Cheap state (issue 13): O(1) reads of the engine's hot counters, no
    # list built; symbol is an id or a name.
    @property
    def positions_total(self) -> int: ...
    @property
    def orders_total(self) -> int: ...
    @property
    def book_version(self) -> int: ...
    def position_count(self, symbol: _Symbol | None = None, /) -> int: ...
    def is_flat(self, symbol: _Symbol | None = None, /) -> bool: ...
    def is_long(self, symbol: _Symbol, /) -> bool: ...
    def is_short(self, symbol: _Symbol, /) -> bool: ...
    def net_volume(self, symbol: _Symbol, /) -> float: ...
    def net_volume_micro(self, symbol: _Symbol, /) -> int: ...
    def _state_view_address(self) -> int: ...
    def _run_native(
        self, on_start: int, on_tick: int, on_bar: int, on_trade: int, on_stop: int, user: int, /
    ) -> None: ...
    def _handle_address(self) -> int: ...
    @property
    def warming_up(self) -> bool: ...
    @property
    def broadcast_endpoint(self) -> str | None: ...
    @property
    def replay_endpoint(self) -> str | None: ...
    @property
    def broadcast_run_id(self) -> int | None: ...
    def __init__(
        self, initial_balance: float, currency: str = ..., leverage: int = ...
    ) -> None: ...
    def dispose(self) -> None: ...
    def set_equity_interval(self, interval_ns: int, /) -> None: ...
    def find_symbol(self, name: str, /) -> int: ...
    def build_bars(self, symbol_id: _Symbol, timeframe: int, price: int = 0) -> None: ...
    def clear_data(self) -> None: ...
    def order_send(
        self,
        symbol_id: _Symbol,
        type: int,
        volume: float,
        price: float | None = ...,
        stop_limit: float | None = ...,
        sl: float | None = ...,
        tp: float | None = ...,
        expiration: int | None = ...,
        trailing_points: int | None = ...,
        magic: int | None = ...,
        type_time: int | None = ...,
        filling: int | None = ...,
    ) -> int: ...
    def buy(
        self, symbol_id: _Symbol, volume: float, sl: float | None = ..., tp: float | None = ...
    ) -> int: ...
    def sell(
        self, symbol_id: _Symbol, volume: float, sl: float | None = ..., tp: float | None = ...
    ) -> int: ...
    def modify(self, ticket: int, sl: float | None = ..., tp: float | None = ...) -> None: ...
    def modify_order(
        self,
        ticket: int,
        price: float | None = ...,
        stop_limit: float | None = ...,
        expiration: int | None = ...,
    ) -> None: ...
    def set_trailing_stop(self, ticket: int, points: int) -> None: ...
    def close(self, ticket: int, volume: float | None = ...) -> None: ...
    def close_by(self, ticket: int, by_ticket: int) -> None: ...
    def set_currency_digits(self, digits: int, /) -> None: ...
    def cancel(self, ticket: int, /) -> None: ...
    def deposit(self, amount: float, /) -> None: ...
    def disable_wal(self) -> None: ...
    def is_wal_enabled(self) -> bool: ...
    def checkpoint(self) -> None: ...
    def disable_broadcasting(self) -> None: ...
    def is_broadcasting(self) -> bool: ...

    # raw layer used by hqt.Engine
    def _set_account_mode(self, mode: int) -> None: ...
    def _set_tick_model(self, model: int) -> None: ...
    def _tick_model(self) -> int: ...
    def _set_rollover_time(self, seconds: int, /) -> None: ...
    def _rollover_time(self) -> int: ...
    def _set_margin_levels(
        self, margin_call: float, stop_out: float, mode: int | None = ...
    ) -> None: ...
    def _stop_out_mode(self) -> int: ...
    def _ticks_outside_quote_sessions(self) -> int: ...
    def _add_symbol(
        self,
        name: str,
        base_currency: str | None = ...,
        profit_currency: str | None = ...,
        margin_currency: str | None = ...,
        contract_size: float | None = ...,
        digits: int | None = ...,
        margin_mode: int | None = ...,
        volume_min: float | None = ...,
        volume_step: float | None = ...,
        volume_max: float | None = ...,
        commission_per_lot: float | None = ...,
        spread: float | None = ...,
        calc_mode: int | None = ...,
        margin_rate: float | None = ...,
        margin_initial: float | None = ...,
        margin_maintenance: float | None = ...,
        tick_size: float | None = ...,
        tick_value: float | None = ...,
        margin_hedged: float | None = ...,
        margin_hedged_use_leg: int | None = ...,
        swap_mode: int | None = ...,
        swap_long: float | None = ...,
        swap_short: float | None = ...,
        swap_rollover3days: int | None = ...,
        commission_per_deal: float | None = ...,
        commission_percent: float | None = ...,
        commission_entry: int | None = ...,
        commission_currency: int | None = ...,
        stops_level: int | None = ...,
        freeze_level: int | None = ...,
        trade_sessions: bytes | None = ...,
        volume_limit: float | None = ...,
        quote_sessions: bytes | None = ...,
    ) -> int: ...
    def _symbol_info(self, symbol: _Symbol) -> tuple[Any, ...]: ...
    def _load_ticks(self, symbol_id: _Symbol, time: _Buffer, bid: _Buffer, ask: _Buffer) -> int: ...
    def _tick_count(self, symbol_id: _Symbol) -> int: ...
    def _truncate_ticks(self, symbol_id: _Symbol, count: int) -> None: ...
    def _load_ticks_micro(
        self, symbol_id: _Symbol, time: _Buffer, bid: _Buffer, ask: _Buffer
    ) -> int: ...
    def _load_bars(
        self,
        symbol_id: _Symbol,
        timeframe: int,
        time: _Buffer,
        open: _Buffer,
        high: _Buffer,
        low: _Buffer,
        close: _Buffer,
        volume: _Buffer,
    ) -> int: ...
    def _load_bars_micro(
        self,
        symbol_id: _Symbol,
        timeframe: int,
        time: _Buffer,
        open: _Buffer,
        high: _Buffer,
        low: _Buffer,
        close: _Buffer,
        volume: _Buffer,
    ) -> int: ...
    def _run(
        self, callbacks: _Callbacks = ..., source: Callable[[], bool] | None = ...
    ) -> None: ...
    def _process_event(self, event: Tick | Bar, callbacks: _Callbacks = ...) -> None: ...
    def _flush_bars(self, callbacks: _Callbacks = ...) -> None: ...
    def _account(self) -> tuple[Any, ...]: ...
    @property
    def positions(self) -> list[Position]: ...
    def position(self, ticket: int, /) -> Position: ...
    @property
    def orders(self) -> list[Order]: ...
    @property
    def order_history(self) -> list[Order]: ...
    @property
    def trades(self) -> list[Trade]: ...
    def _positions(self) -> list[tuple[int, ...]]: ...
    def _position(self, ticket: int) -> tuple[int, ...]: ...
    def _orders(self) -> list[tuple[int, ...]]: ...
    def _order_history(self) -> list[tuple[int, ...]]: ...
    def _deals(self) -> list[Deal]: ...
    def _trades(self) -> list[tuple[int, ...]]: ...
    def _equity_curve(self) -> bytes: ...
    def _statistics(self) -> tuple[Any, ...]: ...
    def _report(self) -> tuple[Any, ...]: ...
    def _enable_wal(
        self,
        path: str,
        truncate: bool = ...,
        sync_policy: int = ...,
        batch_records: int = ...,
        batch_delay_ns: int = ...,
        checkpoint_every: int = ...,
    ) -> _OpenReport: ...
    def _recover_from_wal(
        self, accept_changed_data: bool = ..., /
    ) -> tuple[int, int, int, int, int, int, int, int]: ...
    def _run_resume(self, callbacks: _Callbacks = ..., warmup: int = ...) -> None: ...
    def _enable_broadcasting(
        self,
        endpoint: str | None = ...,
        sndhwm: int | None = ...,
        linger: int | None = ...,
        curve_secret_key: str | None = ...,
        allowed_client_keys: Sequence[str] | None = ...,
        wait_subscribers: int | None = ...,
        wait_timeout_ms: int | None = ...,
        on_bar_close: bool = ...,
        on_deal: bool = ...,
        every_ticks: int = ...,
        replay_endpoint: str | None = ...,
        replay_window: int | None = ...,
    ) -> None: ...
    def _broadcast_stats(self) -> _Stats: ...

@disjoint_base
class WriteAheadLog:
    @property
    def is_open(self) -> bool: ...
    @property
    def path(self) -> str | None: ...
    @property
    def sync_policy(self) -> int: ...
    def __init__(
        self,
        path: str,
        sync_policy: int = ...,
        batch_records: int = ...,
        batch_delay_ns: int = ...,
        fingerprint: int | None = ...,
    ) -> None: ...
    def append(self, type: int, data: bytes | bytearray | memoryview = ...) -> int: ...
    def mark_checkpoint(self, snapshot: bytes | bytearray | memoryview = ...) -> None: ...
    def sync(self) -> None: ...
    def truncate_to_checkpoint(self) -> None: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...

    # raw layer used by hqt.WriteAheadLog
    def _open(self, truncate: bool = ...) -> _OpenReport: ...
    def _read_all(self) -> list[_Record]: ...
    def _read_uncommitted(self) -> list[_Record]: ...
    def _last_checkpoint(self) -> _Record | None: ...
    @staticmethod
    def _verify(path: str, /) -> _OpenReport: ...
    @staticmethod
    def _salvage(path: str, /) -> _OpenReport: ...

@disjoint_base
class Broadcaster:
    @property
    def endpoint(self) -> str | None: ...
    @property
    def is_open(self) -> bool: ...
    def __init__(
        self,
        endpoint: str | None = ...,
        sndhwm: int | None = ...,
        linger: int | None = ...,
        curve_secret_key: str | None = ...,
        allowed_client_keys: Sequence[str] | None = ...,
        wait_subscribers: int | None = ...,
        wait_timeout_ms: int | None = ...,
    ) -> None: ...
    def publish_tick(self, symbol_id: int, time: int, bid: float, ask: float) -> bool: ...
    def publish_bar(
        self,
        symbol_id: int,
        timeframe: int,
        time: int,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float = ...,
    ) -> bool: ...
    def publish_trade(
        self, ticket: int, symbol_id: int, time: int, volume: float, price: float, profit: float
    ) -> bool: ...
    def publish_order(
        self, ticket: int, symbol_id: int, time: int, kind: int, volume: float, price: float
    ) -> bool: ...
    def publish_equity(
        self, time: int, balance: float, equity: float, margin: float, free_margin: float
    ) -> bool: ...
    def publish_margin(
        self, time: int, margin: float, free_margin: float, margin_level: float, event: int = ...
    ) -> bool: ...
    def publish_position(
        self,
        ticket: int,
        symbol_id: int,
        time: int,
        kind: int,
        volume: float,
        open_price: float,
        sl: float | None,
        tp: float | None,
        profit: float,
    ) -> bool: ...
    def publish_account(
        self, time: int, balance: float, equity: float, profit: float, margin_level: float
    ) -> bool: ...
    def close(self) -> None: ...

    # raw layer used by hqt.Broadcaster
    def _wait_for_subscribers(self, count: int, timeout_ms: int) -> bool: ...
    def _stats(self) -> _Stats: ...
