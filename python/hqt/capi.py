"""ctypes bindings of libhqt.so: the structs and signatures of include/hqt.h.

For Python programs that drive the C ABI directly (a native strategy built
elsewhere, a test of C behaviour) without the hqt._hqt extension::

    import ctypes, hqt.capi as capi
    lib = capi.load()                          # the libhqt.so of this package
    engine = capi.ENGINE_P()
    capi.check(lib, lib.hqt_engine_create(capi.to_micros(10_000), b"USD", 100, ctypes.byref(engine)))

Money, prices and volumes are int64 micro-units in the ABI (``to_micros``);
the ``*_f64`` entry points take doubles. Covered: the engine part of hqt.h
(data, trading, queries, sized v2 structs). The project's C ABI tests use this
module, and python/tests/test_header_cffi.py checks every struct's size and
field offsets against the header as cffi parses it, so it cannot drift
silently from hqt.h. With cffi, ``hqt.cffi_cdef()`` gives the whole header.
"""

from __future__ import annotations

import ctypes as C
from pathlib import Path

from hqt._kit import get_library
from hqt.constants import Status
from hqt.errors import HQTError

i32, u32, i64, u64, dbl = C.c_int32, C.c_uint32, C.c_int64, C.c_uint64, C.c_double
ENGINE_P = C.c_void_p
RESULT_P = C.c_void_p  # hqt_result *: a run's results at one moment

HQT_KEEP = -(2**63)
#: Status codes (HQT_OK, HQT_E_*), from abi/hqt_abi.toml through hqt.constants.
STATUS = Status


class Tick(C.Structure):
    _fields_ = [("symbol_id", u32), ("time", i64), ("bid", i64), ("ask", i64)]


class Bar(C.Structure):
    _fields_ = [
        ("symbol_id", u32),
        ("timeframe", i32),
        ("time", i64),
        ("open", i64),
        ("high", i64),
        ("low", i64),
        ("close", i64),
        ("volume", i64),
    ]


class Event(C.Structure):
    _fields_ = [("type", i32), ("tick", Tick), ("bar", Bar)]


class SymbolSpec(C.Structure):
    _fields_ = [
        ("name", C.c_char_p),
        ("base_currency", C.c_char_p),
        ("profit_currency", C.c_char_p),
        ("margin_currency", C.c_char_p),
        ("contract_size", i64),
        ("digits", i32),
        ("margin_mode", i32),
        ("volume_min", i64),
        ("volume_step", i64),
        ("volume_max", i64),
        ("commission_per_lot", i64),
        ("spread", i64),
    ]


class SymbolInfo(C.Structure):
    _fields_ = [
        ("symbol_id", u32),
        ("name", C.c_char * 32),
        ("base_currency", C.c_char * 8),
        ("profit_currency", C.c_char * 8),
        ("margin_currency", C.c_char * 8),
        ("contract_size", i64),
        ("digits", i32),
        ("margin_mode", i32),
        ("volume_min", i64),
        ("volume_step", i64),
        ("volume_max", i64),
        ("commission_per_lot", i64),
        ("spread", i64),
        ("bid", i64),
        ("ask", i64),
        ("last_time", i64),
    ]


class OrderRequest(C.Structure):
    _fields_ = [
        ("symbol_id", u32),
        ("type", i32),
        ("volume", i64),
        ("price", i64),
        ("stop_limit", i64),
        ("sl", i64),
        ("tp", i64),
        ("expiration", i64),
        ("trailing_points", i64),
        ("magic", u64),
    ]


class OrderRequestV2(C.Structure):
    _fields_ = (
        [("struct_size", C.c_size_t)]
        + OrderRequest._fields_
        + [("type_time", i32), ("filling", i32)]  # MT5's ORDER_TYPE_TIME, ORDER_TYPE_FILLING
    )


class Position(C.Structure):
    _fields_ = [
        ("ticket", u64),
        ("symbol_id", u32),
        ("type", i32),
        ("volume", i64),
        ("open_price", i64),
        ("open_time", i64),
        ("sl", i64),
        ("tp", i64),
        ("trailing_points", i64),
        ("profit", i64),
        ("margin", i64),
        ("commission", i64),
        ("magic", u64),
    ]


class Order(C.Structure):
    _fields_ = [
        ("ticket", u64),
        ("symbol_id", u32),
        ("type", i32),
        ("state", i32),
        ("reserved", i32),
        ("volume", i64),
        ("price", i64),
        ("stop_limit", i64),
        ("sl", i64),
        ("tp", i64),
        ("expiration", i64),
        ("time_setup", i64),
        ("trailing_points", i64),
        ("magic", u64),
    ]


class Deal(C.Structure):
    _fields_ = [
        ("ticket", u64),
        ("order", u64),
        ("position", u64),
        ("symbol_id", u32),
        ("type", i32),
        ("entry", i32),
        ("reason", i32),
        ("time", i64),
        ("volume", i64),
        ("price", i64),
        ("commission", i64),
        ("profit", i64),
        ("balance", i64),
        ("magic", u64),
    ]


class Trade(C.Structure):
    _fields_ = [
        ("position", u64),
        ("symbol_id", u32),
        ("type", i32),
        ("volume", i64),
        ("open_time", i64),
        ("open_price", i64),
        ("close_time", i64),
        ("close_price", i64),
        ("commission", i64),
        ("profit", i64),
        ("close_reason", i32),
        ("reserved", i32),
    ]


class EquityPoint(C.Structure):
    _fields_ = [("time", i64), ("balance", i64), ("equity", i64), ("margin", i64)]


class Account(C.Structure):
    _fields_ = [
        ("time", i64),
        ("balance", i64),
        ("equity", i64),
        ("profit", i64),
        ("margin", i64),
        ("free_margin", i64),
        ("margin_level", i64),
        ("leverage", i64),
        ("margin_call_level", i64),
        ("stop_out_level", i64),
        ("mode", i32),
        ("margin_call", i32),
        ("currency", C.c_char * 8),
    ]


class Statistics(C.Structure):
    _fields_ = [
        ("initial_balance", i64),
        ("final_balance", i64),
        ("final_equity", i64),
        ("net_profit", i64),
        ("gross_profit", i64),
        ("gross_loss", i64),
        ("total_commission", i64),
        ("max_drawdown", i64),
        ("max_drawdown_pct", dbl),
        ("profit_factor", dbl),
        ("sharpe_ratio", dbl),
        ("win_rate", dbl),
        ("total_trades", i64),
        ("winning_trades", i64),
        ("losing_trades", i64),
        ("total_deals", i64),
        ("ticks_processed", i64),
        ("bars_processed", i64),
    ]


ON_EVENT = C.CFUNCTYPE(C.c_int, ENGINE_P, C.c_void_p)
ON_TICK = C.CFUNCTYPE(C.c_int, ENGINE_P, C.POINTER(Tick), C.c_void_p)
ON_BAR = C.CFUNCTYPE(C.c_int, ENGINE_P, C.POINTER(Bar), C.c_void_p)
ON_TRADE = C.CFUNCTYPE(C.c_int, ENGINE_P, C.POINTER(Deal), C.c_void_p)
SAVE_STATE = C.CFUNCTYPE(
    C.c_int, ENGINE_P, C.POINTER(C.c_void_p), C.POINTER(C.c_size_t), C.c_void_p
)
RESTORE_STATE = C.CFUNCTYPE(C.c_int, ENGINE_P, C.c_void_p, C.c_size_t, C.c_void_p)
#: hqt_data_source_fn: (engine, int *more, user data) -> status
DATA_SOURCE = C.CFUNCTYPE(C.c_int, ENGINE_P, C.POINTER(C.c_int), C.c_void_p)


class Strategy(C.Structure):
    _fields_ = [
        ("user_data", C.c_void_p),
        ("on_start", ON_EVENT),
        ("on_tick", ON_TICK),
        ("on_bar", ON_BAR),
        ("on_trade", ON_TRADE),
        ("on_stop", ON_EVENT),
        ("save_state", SAVE_STATE),
        ("restore_state", RESTORE_STATE),
    ]


class StrategyV2(C.Structure):
    _fields_ = [("struct_size", C.c_size_t)] + Strategy._fields_


class SymbolSpecV2(C.Structure):
    _fields_ = (
        [("struct_size", C.c_size_t)]
        + SymbolSpec._fields_
        + [  # appended after the first layout: MT5's calculation mode
            ("calc_mode", i32),
            ("margin_hedged_use_leg", i32),
            ("margin_rate", i64),
            ("margin_initial", i64),
            ("margin_maintenance", i64),
            ("tick_size", i64),
            ("tick_value", i64),
            ("margin_hedged", i64),
        ]
        + [  # appended: swaps
            ("swap_mode", i32),
            ("swap_rollover3days", i32),
            ("swap_long", i64),
            ("swap_short", i64),
        ]
        + [  # appended: the commission models
            ("commission_per_deal", i64),
            ("commission_percent", i64),
            ("commission_entry", i32),
            ("commission_currency", i32),
        ]
        + [  # appended after the commission fields: MT5's trading rules (points)
            ("stops_level", i64),
            ("freeze_level", i64),
            ("trade_sessions", C.c_void_p),
            ("trade_session_count", C.c_size_t),
        ]
        + [("volume_limit", i64)]  # appended: MT5's SYMBOL_VOLUME_LIMIT (lots x 1e6)
        + [("quote_sessions", C.c_void_p), ("quote_session_count", C.c_size_t)]  # appended
    )


#: sizeof the first hqt_symbol_spec_v2 layout (abi/hqt_abi.toml [first_layout_size]).
SYMBOL_SPEC_V2_FIRST_SIZE = 96


class SymbolView(C.Structure):
    _fields_ = [(n, i64) for n in ("positions", "buy_volume", "sell_volume", "net_volume")]


class StateView(C.Structure):
    _fields_ = [
        ("time", i64),
        ("balance", i64),
        ("equity", i64),
        ("profit", i64),
        ("margin", i64),
        ("positions", i64),
        ("orders", i64),
        ("book_version", u64),
        ("symbol_count", i64),
        ("symbols", C.POINTER(SymbolView)),
    ]


#: struct name in hqt.h -> ctypes mirror
STRUCTS: dict[str, type[C.Structure]] = {
    "hqt_tick": Tick,
    "hqt_bar": Bar,
    "hqt_event": Event,
    "hqt_symbol_spec": SymbolSpec,
    "hqt_symbol_info": SymbolInfo,
    "hqt_order_request": OrderRequest,
    "hqt_order_request_v2": OrderRequestV2,
    "hqt_position": Position,
    "hqt_order": Order,
    "hqt_deal": Deal,
    "hqt_trade": Trade,
    "hqt_equity_point": EquityPoint,
    "hqt_account": Account,
    "hqt_statistics": Statistics,
    "hqt_strategy": Strategy,
    "hqt_strategy_v2": StrategyV2,
    "hqt_symbol_spec_v2": SymbolSpecV2,
    "hqt_symbol_view": SymbolView,
    "hqt_state_view": StateView,
}

P = C.POINTER
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "hqt_version": (C.c_char_p, []),
    "hqt_version_number": (C.c_int, []),
    "hqt_engine_state_view": (P(StateView), [ENGINE_P]),
    "hqt_view_margin_level": (i64, [P(StateView)]),
    "hqt_strategy_v2_init": (C.c_int, [P(StrategyV2), C.c_size_t]),
    "hqt_symbol_spec_v2_init": (C.c_int, [P(SymbolSpecV2), C.c_size_t]),
    "hqt_engine_add_symbol_v2": (C.c_int, [ENGINE_P, P(SymbolSpecV2), P(u32)]),
    "hqt_order_request_v2_init": (C.c_int, [P(OrderRequestV2), C.c_size_t]),
    "hqt_engine_order_send_v2": (C.c_int, [ENGINE_P, P(OrderRequestV2), P(u64)]),
    "hqt_engine_run_v2": (C.c_int, [ENGINE_P, P(StrategyV2)]),
    "hqt_engine_process_event_v2": (C.c_int, [ENGINE_P, P(Event), P(StrategyV2)]),
    "hqt_engine_run_source": (C.c_int, [ENGINE_P, P(StrategyV2), DATA_SOURCE, C.c_void_p]),
    "hqt_last_error": (C.c_char_p, []),
    "hqt_status_name": (C.c_char_p, [C.c_int]),
    "hqt_engine_create": (C.c_int, [i64, C.c_char_p, i64, P(ENGINE_P)]),
    "hqt_engine_destroy": (C.c_int, [ENGINE_P]),
    "hqt_engine_set_account_mode": (C.c_int, [ENGINE_P, i32]),
    "hqt_engine_set_margin_levels": (C.c_int, [ENGINE_P, i64, i64]),
    "hqt_engine_set_rollover_time": (C.c_int, [ENGINE_P, i64]),
    "hqt_engine_rollover_time": (C.c_int, [ENGINE_P, P(i64)]),
    "hqt_symbol_spec_init": (None, [P(SymbolSpec)]),
    "hqt_engine_add_symbol": (C.c_int, [ENGINE_P, P(SymbolSpec), P(u32)]),
    "hqt_engine_symbol_count": (C.c_int, [ENGINE_P, P(u32)]),
    "hqt_engine_symbol_info": (C.c_int, [ENGINE_P, u32, P(SymbolInfo)]),
    "hqt_engine_symbol_spec": (C.c_int, [ENGINE_P, u32, P(SymbolSpecV2)]),
    "hqt_engine_find_symbol": (C.c_int, [ENGINE_P, C.c_char_p, P(u32)]),
    "hqt_engine_load_ticks": (C.c_int, [ENGINE_P, u32, P(i64), P(i64), P(i64), C.c_size_t]),
    "hqt_engine_load_ticks_f64": (C.c_int, [ENGINE_P, u32, P(i64), P(dbl), P(dbl), C.c_size_t]),
    "hqt_engine_load_bars": (
        C.c_int,
        [ENGINE_P, u32, i32, P(i64), P(i64), P(i64), P(i64), P(i64), P(i64), C.c_size_t],
    ),
    "hqt_engine_build_bars": (C.c_int, [ENGINE_P, u32, i32]),
    "hqt_engine_build_bars_v2": (C.c_int, [ENGINE_P, u32, i32, i32]),
    "hqt_engine_pending_events": (C.c_int, [ENGINE_P, P(u64)]),
    "hqt_engine_tick_count": (C.c_int, [ENGINE_P, u32, P(u64)]),
    "hqt_engine_truncate_ticks": (C.c_int, [ENGINE_P, u32, u64]),
    "hqt_engine_run": (C.c_int, [ENGINE_P, P(Strategy)]),
    "hqt_engine_process_event": (C.c_int, [ENGINE_P, P(Event), P(Strategy)]),
    "hqt_engine_order_send": (C.c_int, [ENGINE_P, P(OrderRequest), P(u64)]),
    "hqt_engine_buy": (C.c_int, [ENGINE_P, u32, i64, i64, i64, P(u64)]),
    "hqt_engine_sell": (C.c_int, [ENGINE_P, u32, i64, i64, i64, P(u64)]),
    "hqt_engine_modify": (C.c_int, [ENGINE_P, u64, i64, i64]),
    "hqt_engine_modify_order": (C.c_int, [ENGINE_P, u64, i64, i64, i64]),
    "hqt_engine_set_trailing_stop": (C.c_int, [ENGINE_P, u64, i64]),
    "hqt_engine_close": (C.c_int, [ENGINE_P, u64, i64]),
    "hqt_engine_close_by": (C.c_int, [ENGINE_P, u64, u64]),
    "hqt_engine_set_currency_digits": (C.c_int, [ENGINE_P, i32]),
    "hqt_engine_currency_digits": (C.c_int, [ENGINE_P, C.POINTER(i32)]),
    "hqt_engine_cancel": (C.c_int, [ENGINE_P, u64]),
    "hqt_engine_deposit": (C.c_int, [ENGINE_P, i64]),
    "hqt_engine_account": (C.c_int, [ENGINE_P, P(Account)]),
    "hqt_engine_positions": (C.c_int, [ENGINE_P, P(Position), C.c_size_t, P(C.c_size_t)]),
    "hqt_engine_position": (C.c_int, [ENGINE_P, u64, P(Position)]),
    "hqt_engine_orders": (C.c_int, [ENGINE_P, P(Order), C.c_size_t, P(C.c_size_t)]),
    "hqt_engine_deals": (C.c_int, [ENGINE_P, P(Deal), C.c_size_t, P(C.c_size_t)]),
    "hqt_engine_trades": (C.c_int, [ENGINE_P, P(Trade), C.c_size_t, P(C.c_size_t)]),
    "hqt_engine_equity_curve": (C.c_int, [ENGINE_P, P(EquityPoint), C.c_size_t, P(C.c_size_t)]),
    "hqt_engine_statistics": (C.c_int, [ENGINE_P, P(Statistics)]),
    # run results (hqt_result: the lists above at one moment, O(1) to take)
    "hqt_engine_result": (C.c_int, [ENGINE_P, P(RESULT_P)]),
    "hqt_result_destroy": (C.c_int, [RESULT_P]),
    "hqt_result_positions": (C.c_int, [RESULT_P, P(Position), C.c_size_t, P(C.c_size_t)]),
    "hqt_result_orders": (C.c_int, [RESULT_P, P(Order), C.c_size_t, P(C.c_size_t)]),
    "hqt_result_order_history": (C.c_int, [RESULT_P, P(Order), C.c_size_t, P(C.c_size_t)]),
    "hqt_result_deals": (C.c_int, [RESULT_P, P(Deal), C.c_size_t, P(C.c_size_t)]),
    "hqt_result_trades": (C.c_int, [RESULT_P, P(Trade), C.c_size_t, P(C.c_size_t)]),
    "hqt_result_equity_curve": (C.c_int, [RESULT_P, P(EquityPoint), C.c_size_t, P(C.c_size_t)]),
    "hqt_result_statistics": (C.c_int, [RESULT_P, P(Statistics)]),
    # the _f64 twins: doubles in natural units (balance 10000.0, volume 0.1 lot, price 1.1)
    "hqt_engine_create_f64": (C.c_int, [dbl, C.c_char_p, i64, P(ENGINE_P)]),
    "hqt_engine_deposit_f64": (C.c_int, [ENGINE_P, dbl]),
    "hqt_engine_set_margin_levels_f64": (C.c_int, [ENGINE_P, dbl, dbl]),
    "hqt_engine_buy_f64": (C.c_int, [ENGINE_P, u32, dbl, dbl, dbl, P(u64)]),
    "hqt_engine_sell_f64": (C.c_int, [ENGINE_P, u32, dbl, dbl, dbl, P(u64)]),
    "hqt_engine_modify_f64": (C.c_int, [ENGINE_P, u64, dbl, dbl]),
    "hqt_engine_modify_order_f64": (C.c_int, [ENGINE_P, u64, dbl, dbl, i64]),
    "hqt_engine_close_f64": (C.c_int, [ENGINE_P, u64, dbl]),
    "hqt_engine_order_send_f64": (
        C.c_int,
        [ENGINE_P, u32, i32, dbl, dbl, dbl, dbl, dbl, i64, P(u64)],
    ),
    "hqt_engine_load_bars_f64": (
        C.c_int,
        [ENGINE_P, u32, i32, P(i64), P(dbl), P(dbl), P(dbl), P(dbl), P(dbl), C.c_size_t],
    ),
}


def load(path: Path | str | None = None) -> C.CDLL:
    """libhqt.so (default: ``hqt.get_library()``) with argtypes/restype set
    for every function above."""
    if path is None:
        path = get_library()
    lib = C.CDLL(str(path))
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def to_micros(value: float) -> int:
    """A money amount, price or volume as the ABI's int64 micro-units (1.5 -> 1_500_000)."""
    return round(value * 1_000_000)


def from_micros(value: int) -> float:
    """Micro-units back to a float (1_500_000 -> 1.5)."""
    return value / 1_000_000


def check(lib: C.CDLL, status: int) -> None:
    """Raise HQTError with the status name and the last-error message unless status is HQT_OK."""
    if status != 0:
        name = lib.hqt_status_name(status).decode()
        raise HQTError(f"{name} ({status}): {last_error(lib)}")


def last_error(lib: C.CDLL) -> str:
    """The calling thread's last error message."""
    message: bytes = lib.hqt_last_error()
    return message.decode()


def usd_spec(lib: C.CDLL, size: int = C.sizeof(SymbolSpecV2)) -> SymbolSpecV2:
    """A sized symbol spec "S" in USD/USD with the library's defaults for
    `size` bytes (a smaller size: a caller built against an older header)."""
    s = SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), size) == 0
    s.name, s.base_currency, s.profit_currency = b"S", b"USD", b"USD"
    return s
