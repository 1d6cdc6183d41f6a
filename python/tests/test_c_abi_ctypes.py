"""Drive libhqt.so through ctypes, as a C program would, including bad arguments.

No call with bad arguments (NULL handle, NULL out pointer, unknown ticket,
NaN price, negative volume, ...) may crash the process: each returns a status
code and leaves a message in hqt_last_error().
"""

from __future__ import annotations

import ctypes as C

import pytest

import hqt_ctypes as H
from conftest import LIBHQT, SEC, T0

S = H.STATUS
OK, E_ARG, E_SYMBOL, E_TICKET = S.OK, S.INVALID_ARGUMENT, S.UNKNOWN_SYMBOL, S.UNKNOWN_TICKET
E_VOLUME, E_PRICE, E_STOPS = S.INVALID_VOLUME, S.INVALID_PRICE, S.INVALID_STOPS
E_MONEY, E_NOPRICE, E_DATA_ORDER, E_BAD_DATA = S.NO_MONEY, S.NO_PRICE, S.DATA_ORDER, S.BAD_DATA
E_BUSY, E_CALLBACK, E_STATE = S.BUSY, S.CALLBACK, S.STATE


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    return H.load(LIBHQT)


def last_error(lib) -> str:
    return lib.hqt_last_error().decode()


def i64s(*v: int):
    return (C.c_int64 * len(v))(*v)


def f64s(*v: float):
    return (C.c_double * len(v))(*v)


@pytest.fixture
def eng(lib):
    """An engine with EURUSD (id 0), 5 ticks loaded and run, commission 2.0/lot."""
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000_000_000, b"USD", 100, C.byref(e)) == OK
    spec = H.SymbolSpec()
    lib.hqt_symbol_spec_init(C.byref(spec))
    spec.name, spec.base_currency, spec.profit_currency = b"EURUSD", b"EUR", b"USD"
    spec.commission_per_lot = 2_000_000
    sid = C.c_uint32(99)
    assert lib.hqt_engine_add_symbol(e, C.byref(spec), C.byref(sid)) == OK and sid.value == 0
    t = i64s(*(T0 + k * SEC for k in range(5)))
    bid = i64s(1_100_000, 1_100_100, 1_100_200, 1_100_300, 1_100_400)
    ask = i64s(*(b + 20 for b in bid))
    assert lib.hqt_engine_load_ticks(e, 0, t, bid, ask, 5) == OK
    assert lib.hqt_engine_run(e, None) == OK
    yield e
    lib.hqt_engine_destroy(e)


def account(lib, e) -> H.Account:
    a = H.Account()
    assert lib.hqt_engine_account(e, C.byref(a)) == OK
    return a


def deals(lib, e) -> list[H.Deal]:
    n = C.c_size_t()
    assert lib.hqt_engine_deals(e, None, 0, C.byref(n)) == OK
    arr = (H.Deal * max(n.value, 1))()
    assert lib.hqt_engine_deals(e, arr, n.value, C.byref(n)) == OK
    return list(arr[: n.value])


def test_version_and_status_names(lib):
    assert lib.hqt_version().decode().count(".") == 2
    assert lib.hqt_status_name(0) == b"HQT_OK"
    assert lib.hqt_status_name(E_MONEY) == b"HQT_E_NO_MONEY"
    assert lib.hqt_status_name(99) == b"HQT_E_INTERNAL"
    assert lib.hqt_status_name(12345) is not None  # unknown codes still give a string


def test_backtest_through_the_abi(lib, eng):
    a = account(lib, eng)
    assert (a.time, a.balance, a.leverage, a.currency) == (
        T0 + 4 * SEC,
        10_000_000_000,
        100,
        b"USD",
    )
    ticket = C.c_uint64()
    assert lib.hqt_engine_buy(eng, 0, 100_000, 0, 0, C.byref(ticket)) == OK  # 0.1 lot at 1.10042
    p = H.Position()
    assert lib.hqt_engine_position(eng, ticket.value, C.byref(p)) == OK
    assert (p.volume, p.open_price, p.type, p.commission) == (100_000, 1_100_420, 0, -200_000)
    assert lib.hqt_engine_modify(eng, ticket.value, 1_090_000, H.HQT_KEEP) == OK
    assert lib.hqt_engine_position(eng, ticket.value, C.byref(p)) == OK
    assert (p.sl, p.tp) == (1_090_000, 0)
    ev = H.Event(type=0, tick=H.Tick(0, T0 + 5 * SEC, 1_101_000, 1_101_020))
    assert lib.hqt_engine_process_event(eng, C.byref(ev), None) == OK
    assert lib.hqt_engine_close(eng, ticket.value, 0) == OK
    d = deals(lib, eng)
    assert [(x.entry, x.type, x.price, x.volume) for x in d] == [
        (0, 0, 1_100_420, 100_000),
        (1, 1, 1_101_000, 100_000),
    ]
    # profit = (1.101000 - 1.100420) * 0.1 lot * 100000 = 5.80 USD; commission 0.20 per side
    assert (d[1].profit, d[1].commission, d[0].commission) == (5_800_000, -200_000, -200_000)
    assert account(lib, eng).balance == 10_000_000_000 + 5_800_000 - 400_000
    st = H.Statistics()
    assert lib.hqt_engine_statistics(eng, C.byref(st)) == OK
    assert (st.total_trades, st.total_deals, st.ticks_processed) == (1, 2, 6)
    tr = (H.Trade * 1)()
    n = C.c_size_t()
    assert lib.hqt_engine_trades(eng, tr, 1, C.byref(n)) == OK and n.value == 1
    assert (tr[0].profit, tr[0].commission) == (5_800_000, -400_000)


def test_list_capacity_and_count(lib, eng):
    tickets = []
    for _ in range(3):
        t = C.c_uint64()
        assert lib.hqt_engine_sell(eng, 0, 10_000, 0, 0, C.byref(t)) == OK
        tickets.append(t.value)
    n = C.c_size_t(77)
    assert lib.hqt_engine_positions(eng, None, 0, C.byref(n)) == OK and n.value == 3
    two = (H.Position * 2)()
    assert lib.hqt_engine_positions(eng, two, 2, C.byref(n)) == OK
    assert n.value == 3 and [p.ticket for p in two] == tickets[:2]


def test_callbacks_from_c(lib, eng):
    seen: list[tuple[str, int]] = []

    @H.ON_EVENT
    def on_start(e, ud):
        seen.append(("start", ud))
        return 0

    @H.ON_TICK
    def on_tick(e, tick, ud):
        seen.append(("tick", tick.contents.bid))
        return 1 if tick.contents.bid == 1_100_700 else 0  # stop the run there

    @H.ON_EVENT
    def on_stop(e, ud):
        seen.append(("stop", ud))
        return 0

    s = H.Strategy(user_data=42, on_start=on_start, on_tick=on_tick, on_stop=on_stop)
    t = i64s(*(T0 + k * SEC for k in range(5, 10)))
    bid = i64s(*(1_100_500 + 100 * k for k in range(5)))
    ask = i64s(*(b + 20 for b in bid))
    assert lib.hqt_engine_load_ticks(eng, 0, t, bid, ask, 5) == OK
    assert lib.hqt_engine_run(eng, C.byref(s)) == E_CALLBACK
    assert last_error(lib)
    assert seen == [
        ("start", 42),
        ("tick", 1_100_500),
        ("tick", 1_100_600),
        ("tick", 1_100_700),
        ("stop", 42),
    ]
    pending = C.c_uint64()
    assert lib.hqt_engine_pending_events(eng, C.byref(pending)) == OK and pending.value == 2


def test_null_handle(lib):
    a, n, t, sid = H.Account(), C.c_size_t(), C.c_uint64(), C.c_uint32()
    for status in (
        lib.hqt_engine_account(None, C.byref(a)),
        lib.hqt_engine_positions(None, None, 0, C.byref(n)),
        lib.hqt_engine_buy(None, 0, 10_000, 0, 0, C.byref(t)),
        lib.hqt_engine_close(None, 1, 0),
        lib.hqt_engine_run(None, None),
        lib.hqt_engine_load_ticks(None, 0, i64s(T0), i64s(1), i64s(2), 1),
        lib.hqt_engine_find_symbol(None, b"EURUSD", C.byref(sid)),
        lib.hqt_engine_deposit(None, 1),
    ):
        assert status == E_ARG
        assert last_error(lib)
    lib.hqt_engine_destroy(None)  # no-op


def test_null_out_pointers(lib, eng):
    before = account(lib, eng)
    assert lib.hqt_engine_account(eng, None) == E_ARG and "null" in last_error(lib).lower()
    assert lib.hqt_engine_create(1_000_000, b"USD", 100, None) == E_ARG
    assert lib.hqt_engine_create(1_000_000, None, 100, C.byref(C.c_void_p())) == E_ARG
    assert lib.hqt_engine_positions(eng, None, 0, None) == E_ARG
    assert lib.hqt_engine_positions(eng, None, 5, C.byref(C.c_size_t())) == E_ARG
    assert lib.hqt_engine_statistics(eng, None) == E_ARG
    assert lib.hqt_engine_symbol_info(eng, 0, None) == E_ARG
    assert lib.hqt_engine_add_symbol(eng, None, C.byref(C.c_uint32())) == E_ARG
    assert lib.hqt_engine_order_send(eng, None, C.byref(C.c_uint64())) == E_ARG
    assert lib.hqt_engine_process_event(eng, None, None) == E_ARG
    assert lib.hqt_engine_load_ticks(eng, 0, None, None, None, 3) == E_ARG
    spec = H.SymbolSpec()
    lib.hqt_symbol_spec_init(C.byref(spec))
    assert lib.hqt_engine_add_symbol(eng, C.byref(spec), C.byref(C.c_uint32())) == E_ARG  # no name
    status = lib.hqt_engine_buy(eng, 0, 10_000, 0, 0, None)
    assert status in (OK, E_ARG)  # a NULL out_ticket may be refused or ignored, never crash
    if status == E_ARG:
        assert account(lib, eng).margin == before.margin


def test_bad_values(lib, eng):
    t = C.c_uint64()
    assert lib.hqt_engine_close(eng, 12345, 0) == E_TICKET and "12345" in last_error(lib)
    assert lib.hqt_engine_cancel(eng, 12345) == E_TICKET
    assert lib.hqt_engine_modify(eng, 12345, H.HQT_KEEP, H.HQT_KEEP) == E_TICKET
    assert lib.hqt_engine_buy(eng, 0, -10_000, 0, 0, C.byref(t)) == E_VOLUME
    assert lib.hqt_engine_buy(eng, 0, 15_000, 0, 0, C.byref(t)) == E_VOLUME
    assert lib.hqt_engine_buy(eng, 7, 10_000, 0, 0, C.byref(t)) == E_SYMBOL
    assert lib.hqt_engine_buy(eng, 0, 10_000, -5, 0, C.byref(t)) == E_PRICE
    assert lib.hqt_engine_buy(eng, 0, 10_000, 1_200_000, 0, C.byref(t)) == E_STOPS
    assert lib.hqt_engine_buy(eng, 0, 100_000_000, 0, 0, C.byref(t)) == E_MONEY
    nan = float("nan")
    status = lib.hqt_engine_load_ticks_f64(eng, 0, i64s(T0 + 9 * SEC), f64s(nan), f64s(1.1), 1)
    assert status in (E_PRICE, E_BAD_DATA) and last_error(lib)
    assert (
        lib.hqt_engine_load_ticks(eng, 0, i64s(T0), i64s(1_100_000), i64s(1_100_020), 1)
        == E_DATA_ORDER
    )
    ev = H.Event(type=7)
    assert lib.hqt_engine_process_event(eng, C.byref(ev), None) == E_ARG
    assert lib.hqt_engine_set_account_mode(eng, 5) in (E_ARG, E_STATE)
    req = H.OrderRequest(symbol_id=0, type=42, volume=10_000)
    assert lib.hqt_engine_order_send(eng, C.byref(req), C.byref(t)) == E_ARG
    assert lib.hqt_engine_build_bars(eng, 0, 3) == E_ARG
    assert lib.hqt_engine_find_symbol(eng, None, C.byref(C.c_uint32())) == E_ARG
    sid = C.c_uint32()
    assert lib.hqt_engine_find_symbol(eng, b"NOPE", C.byref(sid)) == E_SYMBOL
    n = C.c_size_t()
    assert lib.hqt_engine_deals(eng, None, 0, C.byref(n)) == OK and n.value == 0, (
        "nothing was traded by the failed calls"
    )


def test_tick_count_and_truncate_ticks(lib, eng):
    # the undo of a load made in several calls: only ticks not yet run can go
    n = C.c_uint64()
    assert lib.hqt_engine_tick_count(eng, 0, C.byref(n)) == OK and n.value == 5
    t = i64s(*(T0 + k * SEC for k in range(5, 8)))
    bid, ask = i64s(1_100_500, 1_100_600, 1_100_700), i64s(1_100_520, 1_100_620, 1_100_720)
    assert lib.hqt_engine_load_ticks(eng, 0, t, bid, ask, 3) == OK
    assert lib.hqt_engine_tick_count(eng, 0, C.byref(n)) == OK and n.value == 8
    assert lib.hqt_engine_truncate_ticks(eng, 0, 9) == E_ARG and "8" in last_error(lib)
    assert lib.hqt_engine_truncate_ticks(eng, 0, 4) == E_ARG and "already run" in last_error(lib)
    assert lib.hqt_engine_truncate_ticks(eng, 0, 2**63) == E_ARG
    assert lib.hqt_engine_truncate_ticks(eng, 0, 6) == OK
    pending = C.c_uint64()
    assert lib.hqt_engine_pending_events(eng, C.byref(pending)) == OK and pending.value == 1
    assert lib.hqt_engine_tick_count(eng, 3, C.byref(n)) == E_SYMBOL
    assert lib.hqt_engine_tick_count(eng, 0, None) == E_ARG
    assert lib.hqt_engine_truncate_ticks(None, 0, 0) != OK


def test_error_message_is_per_failure(lib, eng):
    assert lib.hqt_engine_close(eng, 777, 0) == E_TICKET
    first = last_error(lib)
    assert lib.hqt_engine_buy(eng, 0, 15_000, 0, 0, C.byref(C.c_uint64())) == E_VOLUME
    assert last_error(lib) != first and "step" in last_error(lib)


# ---- versioned ABI (hqt.h "ABI versioning", docs/abi.md)


def test_version_number_is_the_table(lib):
    from hqt.constants import ABI_VERSION, ABI_VERSION_NUMBER

    assert lib.hqt_version_number() == ABI_VERSION_NUMBER
    assert lib.hqt_version().decode() == "%d.%d.%d" % ABI_VERSION


def test_sized_init_fills_size_and_defaults(lib):
    s = H.StrategyV2()
    C.memset(C.byref(s), 0xAB, C.sizeof(s))
    assert lib.hqt_strategy_v2_init(C.byref(s), C.sizeof(s)) == OK
    assert s.struct_size == C.sizeof(s) and s.user_data is None and not s.on_tick
    old, new = H.SymbolSpec(), H.SymbolSpecV2()
    lib.hqt_symbol_spec_init(C.byref(old))
    assert lib.hqt_symbol_spec_v2_init(C.byref(new), C.sizeof(new)) == OK
    assert new.struct_size == C.sizeof(new)
    assert [getattr(new, f) for f, _ in H.SymbolSpec._fields_] == [
        getattr(old, f) for f, _ in H.SymbolSpec._fields_
    ]


@pytest.mark.parametrize("size", [0, 8, C.sizeof(H.StrategyV2) - 8, 1 << 20])
def test_sized_init_refuses_sizes_of_no_layout(lib, size):
    s = (C.c_char * (1 << 20))()
    assert lib.hqt_strategy_v2_init(C.cast(s, C.POINTER(H.StrategyV2)), size) == E_ARG
    assert "struct_size" in last_error(lib)
    assert lib.hqt_strategy_v2_init(None, C.sizeof(H.StrategyV2)) == E_ARG


def _engine_with_ticks(lib, n=5):
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000_000_000, b"USD", 100, C.byref(e)) == OK
    spec = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(spec), C.sizeof(spec)) == OK
    spec.name, spec.base_currency, spec.profit_currency = b"EURUSD", b"EUR", b"USD"
    sid = C.c_uint32(99)
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(spec), C.byref(sid)) == OK and sid.value == 0
    t = i64s(*(T0 + k * SEC for k in range(n)))
    bid = i64s(*(1_100_000 + 10 * k for k in range(n)))
    ask = i64s(*(1_100_020 + 10 * k for k in range(n)))
    assert lib.hqt_engine_load_ticks(e, 0, t, bid, ask, n) == OK
    return e


def test_run_v2_calls_back(lib):
    e = _engine_with_ticks(lib)
    seen = []

    @H.ON_TICK
    def on_tick(engine, tick, ud):
        seen.append(tick.contents.bid)
        return 0

    s = H.StrategyV2()
    assert lib.hqt_strategy_v2_init(C.byref(s), C.sizeof(s)) == OK
    s.on_tick = on_tick
    assert lib.hqt_engine_run_v2(e, C.byref(s)) == OK
    assert seen == [1_100_000 + 10 * k for k in range(5)]
    lib.hqt_engine_destroy(e)


def test_run_v2_refuses_an_uninitialised_struct(lib):
    e = _engine_with_ticks(lib)
    s = H.StrategyV2()  # struct_size 0: the program forgot hqt_strategy_v2_init
    assert lib.hqt_engine_run_v2(e, C.byref(s)) == E_ARG
    assert "hqt_strategy_v2->struct_size is 0" in last_error(lib)
    lib.hqt_engine_destroy(e)


def test_longer_struct_from_a_newer_header(lib):
    """A newer header's struct: accepted while the fields this library does
    not know are 0, refused (never silently ignored) once one is set."""

    class NewerStrategy(C.Structure):
        _fields_ = H.StrategyV2._fields_ + [("on_future_event", C.c_void_p), ("flags", C.c_int64)]

    e = _engine_with_ticks(lib)
    calls = []

    @H.ON_EVENT
    def on_start(engine, ud):
        calls.append("start")
        return 0

    s = NewerStrategy()
    C.memset(C.byref(s), 0x5A, C.sizeof(s))
    assert lib.hqt_strategy_v2_init(C.cast(C.byref(s), C.POINTER(H.StrategyV2)), C.sizeof(s)) == OK
    assert s.struct_size == C.sizeof(s) and s.flags == 0, "init zeroes the whole struct"
    s.on_start = on_start
    assert lib.hqt_engine_run_v2(e, C.cast(C.byref(s), C.POINTER(H.StrategyV2))) == OK
    assert calls == ["start"]
    s.flags = 1
    assert lib.hqt_engine_run_v2(e, C.cast(C.byref(s), C.POINTER(H.StrategyV2))) == E_ARG
    assert "newer hqt.h" in last_error(lib) and f"byte {C.sizeof(H.StrategyV2) + 8}" in last_error(
        lib
    )
    lib.hqt_engine_destroy(e)


# ---- hqt_engine_run_source ----------------------------------------------------------

# 12 ticks 20 s apart: M1 bars of 3 ticks; windows of 4 ticks split them
_SRC_T = [T0 + 20 * SEC * k for k in range(12)]
_SRC_BID = [1_100_000 + 10 * k for k in range(12)]


def _source_engine(lib):
    e = _engine_with_ticks(lib, 0)
    assert lib.hqt_engine_build_bars(e, 0, 1) == OK
    return e


def _recording_strategy(lib, seen):
    @H.ON_EVENT
    def on_start(engine, ud):
        seen.append(("start",))
        return 0

    @H.ON_TICK
    def on_tick(engine, tick, ud):
        seen.append(("tick", tick.contents.time, tick.contents.bid))
        return 0

    @H.ON_BAR
    def on_bar(engine, bar, ud):
        b = bar.contents
        seen.append(("bar", b.time, b.open, b.high, b.low, b.close))
        return 0

    @H.ON_EVENT
    def on_stop(engine, ud):
        seen.append(("stop",))
        return 0

    s = H.StrategyV2()
    assert lib.hqt_strategy_v2_init(C.byref(s), C.sizeof(s)) == OK
    s.on_start, s.on_tick, s.on_bar, s.on_stop = on_start, on_tick, on_bar, on_stop
    return s, (on_start, on_tick, on_bar, on_stop)  # the callbacks must outlive the run


def _load(lib, e, lo, hi) -> int:
    n = hi - lo
    t, bid = _SRC_T[lo:hi], _SRC_BID[lo:hi]
    return lib.hqt_engine_load_ticks(e, 0, i64s(*t), i64s(*bid), i64s(*(b + 20 for b in bid)), n)


@pytest.mark.parametrize("window", [1, 4, 5, 12, 100])
def test_run_source_is_one_run_over_the_windows(lib, window):
    """Windows loaded by the source run exactly as the whole data loaded at once."""
    whole: list = []
    e = _source_engine(lib)
    assert _load(lib, e, 0, 12) == OK
    s, keep = _recording_strategy(lib, whole)
    assert lib.hqt_engine_run_v2(e, C.byref(s)) == OK
    lib.hqt_engine_destroy(e)
    assert whole.count(("start",)) == 1 and sum(x[0] == "bar" for x in whole) == 4

    seen: list = []
    calls = []
    e = _source_engine(lib)
    pos = [min(window, 12)]
    assert _load(lib, e, 0, pos[0]) == OK

    @H.DATA_SOURCE
    def source(engine, more, ud):
        calls.append(ud)
        pending = C.c_uint64()
        assert lib.hqt_engine_pending_events(engine, C.byref(pending)) == OK
        assert pending.value == 0  # everything loaded has run (and was dropped)
        lo, hi = pos[0], min(pos[0] + window, 12)
        if lo >= hi:
            more[0] = 0
            return 0
        assert _load(lib, engine, lo, hi) == OK  # loading is allowed here
        pos[0] = hi
        more[0] = 1
        return 0

    s, keep = _recording_strategy(lib, seen)
    assert lib.hqt_engine_run_source(e, C.byref(s), source, 7) == OK, last_error(lib)
    assert seen == whole
    assert len(calls) == -(-12 // window) and set(calls) == {7}
    st = H.Statistics()
    assert lib.hqt_engine_statistics(e, C.byref(st)) == OK and st.ticks_processed == 12
    # a strategy may be NULL
    lib.hqt_engine_destroy(e)
    e = _source_engine(lib)
    pos[0] = 0
    assert lib.hqt_engine_run_source(e, None, source, None) == OK
    assert lib.hqt_engine_statistics(e, C.byref(st)) == OK and st.ticks_processed == 12
    lib.hqt_engine_destroy(e)


def test_run_source_failure_stops_the_run(lib):
    seen: list = []
    e = _source_engine(lib)
    assert _load(lib, e, 0, 4) == OK
    calls = [0]

    @H.DATA_SOURCE
    def failing(engine, more, ud):
        calls[0] += 1
        if calls[0] == 2:
            return 5  # non-zero: stop the run
        assert _load(lib, engine, 4, 8) == OK
        more[0] = 1
        return 0

    s, keep = _recording_strategy(lib, seen)
    assert lib.hqt_engine_run_source(e, C.byref(s), failing, None) == E_CALLBACK
    assert "data source returned 5" in last_error(lib)
    assert calls[0] == 2
    assert seen[0] == ("start",) and seen[-1] == ("stop",) and seen.count(("stop",)) == 1
    assert [x[1] for x in seen if x[0] == "tick"] == _SRC_T[:8]
    pending = C.c_uint64()
    assert lib.hqt_engine_pending_events(e, C.byref(pending)) == OK and pending.value == 0
    # the engine is usable: a new run continues with newly loaded data
    assert _load(lib, e, 8, 12) == OK
    assert lib.hqt_engine_run_v2(e, C.byref(s)) == OK
    assert [x[1] for x in seen if x[0] == "tick"] == _SRC_T
    lib.hqt_engine_destroy(e)


def test_run_source_refusals(lib):
    e = _source_engine(lib)
    assert lib.hqt_engine_run_source(e, None, H.DATA_SOURCE(), None) == E_ARG  # NULL source
    assert "source" in last_error(lib)

    @H.DATA_SOURCE
    def nothing(engine, more, ud):
        more[0] = 0
        return 0

    assert lib.hqt_engine_run_source(None, None, nothing, None) == E_ARG
    # loading is refused from a strategy callback (only the source may load)
    assert _load(lib, e, 0, 4) == OK
    status = []

    @H.ON_TICK
    def on_tick(engine, tick, ud):
        status.append(_load(lib, engine, 4, 5))
        return 0

    s = H.StrategyV2()
    assert lib.hqt_strategy_v2_init(C.byref(s), C.sizeof(s)) == OK
    s.on_tick = on_tick
    assert lib.hqt_engine_run_source(e, C.byref(s), nothing, None) == OK
    assert status == [E_BUSY] * 4
    lib.hqt_engine_destroy(e)
