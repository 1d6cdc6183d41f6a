"""MT5's stops and freeze levels through ``hqt`` and through the C struct (the Swift twin
is Tests/HQTTests/Core/TradingRulesTests.swift).

Rules: the table "Requirements and Limitations in Making Trades"
(book.mql4.com/appendix/limits), which MetaQuotes repeats for MT5 in "The checks a
trading robot must pass before publication in the Market" (mql5.com/en/articles/2555,
SYMBOL_TRADE_STOPS_LEVEL and SYMBOL_TRADE_FREEZE_LEVEL). A distance >= the stops level
is allowed; a distance <= the freeze level is frozen. Buy SL/TP are measured from the
Bid, sell SL/TP from the Ask, pending SL/TP from the order price.

S: 5 digits (1 point = 0.00001), quoted 1.10000 / 1.10020; stops level 50 points
(0.00050), freeze level 30 points (0.00030).
"""

from __future__ import annotations

import ctypes as C
import shutil

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import LIBHQT, SEC, T0, snapshot


def tick(e: hqt.Engine, k: int, bid: float, ask: float) -> None:
    e.process_event(hqt.Tick(0, T0 + k * SEC, bid, ask))


def engine(stops_level: int = 50, freeze_level: int = 30) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol(
        "S",
        base_currency="USD",
        profit_currency="USD",
        stops_level=stops_level,
        freeze_level=freeze_level,
    )
    tick(e, 1, 1.10000, 1.10020)
    return e


def test_the_levels_are_part_of_the_symbol():
    e = engine()
    s = e.symbol("S")
    assert (s.stops_level, s.freeze_level) == (50, 30)
    plain = hqt.Engine(1000.0)
    plain.add_symbol("EURUSD")
    assert (plain.symbol(0).stops_level, plain.symbol(0).freeze_level) == (0, 0)


def test_market_orders_keep_the_stops_level_from_bid_and_ask():
    e = engine()
    # buy: Bid - SL >= 0.00050 -> 1.09950 at most; TP - Bid >= 0.00050 -> 1.10050 at least
    with pytest.raises(hqt.InvalidStopsError, match="stops level"):
        e.buy("S", 1.0, sl=1.09951)
    with pytest.raises(hqt.InvalidStopsError):
        e.buy("S", 1.0, tp=1.10049)  # 29 points above the ask, 49 above the bid
    # sell: SL - Ask >= 0.00050 -> 1.10070; Ask - TP >= 0.00050 -> 1.09970
    with pytest.raises(hqt.InvalidStopsError):
        e.sell("S", 1.0, sl=1.10069)
    with pytest.raises(hqt.InvalidStopsError):
        e.sell("S", 1.0, tp=1.09971)
    assert e.positions == [] and e.deals == []
    e.buy("S", 1.0, sl=1.09950, tp=1.10050)
    e.sell("S", 1.0, sl=1.10070, tp=1.09970)
    assert len(e.positions) == 2


def test_pending_prices_and_their_stops():
    e = engine()
    with pytest.raises(hqt.InvalidStopsError):
        e.buy_limit("S", 1.0, 1.09971)  # Ask - Open = 49 points
    with pytest.raises(hqt.InvalidStopsError):
        e.sell_stop("S", 1.0, 1.09951)  # Bid - Open = 49 points
    with pytest.raises(hqt.InvalidStopsError):
        e.buy_limit("S", 1.0, 1.09900, sl=1.09851)  # Open - SL = 49 points
    e.buy_limit("S", 1.0, 1.09970, sl=1.09920, tp=1.10020)
    e.sell_stop("S", 1.0, 1.09950)
    assert len(e.orders) == 2


def test_frozen_pending_order_and_position():
    e = engine()
    order = e.buy_limit("S", 1.0, 1.09900)
    pos = e.buy("S", 1.0, tp=1.10300)  # opens at 1.10020
    # Ask 1.09930: Ask - Open = 30 points = freeze level -> frozen (not filled: ask > 1.09900)
    tick(e, 2, 1.09910, 1.09930)
    with pytest.raises(hqt.FrozenError, match="freeze level"):
        e.cancel(order)
    with pytest.raises(hqt.FrozenError):
        e.modify_order(order, price=1.09800)
    assert isinstance(hqt.FrozenError("x"), hqt.TradeError)
    assert e.orders[0].price == pytest.approx(1.09900)
    tick(e, 3, 1.09911, 1.09931)  # 31 points: free
    e.cancel(order)
    # Bid 1.10270: TP - Bid = 30 points -> the position is frozen
    tick(e, 4, 1.10270, 1.10290)
    with pytest.raises(hqt.FrozenError):
        e.close(pos)
    with pytest.raises(hqt.FrozenError):
        e.modify(pos, sl=1.10000)
    tick(e, 5, 1.10269, 1.10289)  # 31 points: free
    e.close(pos)
    # (1.10269 - 1.10020) x 100 000 = 249 USD
    assert e.deals[-1].profit == pytest.approx(249.0)


def test_bad_levels_are_refused():
    e = hqt.Engine(1000.0)
    for kwargs in ({"stops_level": -1}, {"freeze_level": 2_000_000_000}, {"stops_level": 1.5}):
        with pytest.raises(hqt.InvalidArgumentError):
            e.add_symbol("EURUSD", **kwargs)
    assert e.symbol_count == 0


def test_the_wal_fingerprint_covers_the_levels(tmp_path):
    """hqt.wal_records.configuration_fingerprint agrees with the engine's; without
    levels it is the fingerprint the configuration had before they existed."""
    from hqt import wal_records as W

    for i, (kwargs, extra) in enumerate(
        [
            ({}, {}),
            ({"stops_level": 10}, {"stops_level": 10}),
            ({"freeze_level": 7}, {"freeze_level": 7}),
        ]
    ):
        e = hqt.Engine(1000.0)
        e.add_symbol("EURUSD", **kwargs)
        report = e.enable_wal(tmp_path / f"{i}.wal")
        config = W.SymbolConfig("EURUSD", "EUR", "USD", **extra)
        assert report.fingerprint == W.configuration_fingerprint(1000 * 10**6, "USD", 100, [config])
        e.disable_wal()


# ---- the C struct ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    return H.load(LIBHQT)


def test_the_c_struct_carries_the_levels(lib):
    s = H.SymbolSpecV2()
    C.memset(C.byref(s), 0x5A, C.sizeof(s))
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == 0
    assert (s.stops_level, s.freeze_level) == (0, 0)
    s.name, s.base_currency, s.profit_currency = b"S", b"USD", b"USD"
    s.stops_level, s.freeze_level = 50, 30
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * 10**6, b"USD", 100, C.byref(e)) == 0
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 0
    back = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(back), C.sizeof(back)) == 0
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == 0
    assert (back.stops_level, back.freeze_level) == (50, 30)
    ev = H.Event(type=0, tick=H.Tick(0, T0 + SEC, 1_100_000, 1_100_200))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == 0
    t = C.c_uint64()
    # SL 1.09951 is 49 points under the bid: HQT_E_INVALID_STOPS
    assert lib.hqt_engine_buy(e, 0, 10**6, 1_099_510, 0, C.byref(t)) == 6
    assert lib.hqt_engine_buy(e, 0, 10**6, 0, 1_100_500, C.byref(t)) == 0
    # Bid 1.10020: TP - Bid = 30 points -> HQT_E_FROZEN (21) on close
    ev = H.Event(type=0, tick=H.Tick(0, T0 + 2 * SEC, 1_100_200, 1_100_400))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == 0
    st = lib.hqt_engine_close(e, t.value, 0)
    assert st == 21 and lib.hqt_status_name(st) == b"HQT_E_FROZEN"
    # A negative level is refused
    s.stops_level = -1
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 1
    lib.hqt_engine_destroy(e)


# ---- stop-out mode -----------------------------------------------------------------
# ACCOUNT_STOPOUT_MODE_MONEY: levels in deposit currency against the free margin (MQL4
# AccountStopoutMode 1, "comparison of the free margin level to the absolute value",
# docs.mql4.com/account/accountstopoutmode). 10 000 USD, 1:100: 1 lot of S = margin 1 000.


def money_engine(**kwargs: object) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100, **kwargs)
    e.add_symbol("S", base_currency="USD", profit_currency="USD")
    tick(e, 1, 1.10000, 1.10020)
    return e


def test_money_stop_out_closes_at_free_margin_level():
    e = money_engine()
    assert e.stop_out_mode == hqt.StopOutMode.PERCENT
    e.set_margin_levels(2000.0, 500.0, mode="money")
    assert e.stop_out_mode == hqt.StopOutMode.MONEY
    e.buy("S", 1.0)  # at 1.10020
    # bid 1.03000: profit -7 020, equity 2 980, free margin 1 980 <= 2 000: margin call
    tick(e, 2, 1.03000, 1.03020)
    assert e.account.margin_call and len(e.positions) == 1
    # bid 1.01521: free margin 501 > 500, open; bid 1.01520: free margin 500: stop-out
    tick(e, 3, 1.01521, 1.01541)
    assert len(e.positions) == 1
    tick(e, 4, 1.01520, 1.01540)
    assert e.positions == []
    d = e.deals[-1]
    assert d.reason == hqt.DealReason.STOP_OUT and d.profit == pytest.approx(-8500.0)
    assert e.account.balance == pytest.approx(1500.0)


def test_percent_mode_keeps_that_position():
    e = money_engine()  # 100% / 50% of the margin level
    e.buy("S", 1.0)
    tick(e, 2, 1.01520, 1.01540)  # equity 1 500 / margin 1 000 = 150%
    assert len(e.positions) == 1 and not e.account.margin_call


def test_stop_out_mode_in_the_constructor_and_bad_values():
    e = money_engine(margin_call=2000.0, stop_out=500.0, stop_out_mode="money")
    assert e.stop_out_mode == hqt.StopOutMode.MONEY
    with pytest.raises(hqt.InvalidArgumentError):
        e.set_margin_levels(100.0, 200.0, mode="money")  # stop-out above margin call
    with pytest.raises(hqt.InvalidArgumentError):
        e.set_margin_levels(100.0, 50.0, mode="equity")
    assert e.stop_out_mode == hqt.StopOutMode.MONEY


def test_the_wal_fingerprint_covers_the_stop_out_mode(tmp_path):
    from hqt import wal_records as W

    M = 10**6
    e = hqt.Engine(1000.0, margin_call=2000.0, stop_out=500.0, stop_out_mode="money")
    e.add_symbol("EURUSD")
    report = e.enable_wal(tmp_path / "m.wal")
    config = W.SymbolConfig("EURUSD", "EUR", "USD")
    want = W.configuration_fingerprint(
        1000 * M, "USD", 100, [config], 0, 2000 * M, 500 * M, stop_out_mode=1
    )
    assert report.fingerprint == want
    assert want != W.configuration_fingerprint(1000 * M, "USD", 100, [config], 0, 2000 * M, 500 * M)
    e.disable_wal()


def test_c_stop_out_mode_calls(lib):
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * 10**6, b"USD", 100, C.byref(e)) == 0
    set_mode = lib.hqt_engine_set_margin_levels_mode
    set_mode.restype, set_mode.argtypes = C.c_int, [C.c_void_p, C.c_int64, C.c_int64, C.c_int32]
    get_mode = lib.hqt_engine_stop_out_mode
    get_mode.restype, get_mode.argtypes = C.c_int, [C.c_void_p, C.POINTER(C.c_int32)]
    out = C.c_int32(-1)
    assert get_mode(e, C.byref(out)) == 0 and out.value == 0
    assert set_mode(e, 2000 * 10**6, 500 * 10**6, 1) == 0
    assert get_mode(e, C.byref(out)) == 0 and out.value == 1
    assert set_mode(e, 2000 * 10**6, 500 * 10**6, 2) == 1  # no such mode
    assert get_mode(e, C.byref(out)) == 0 and out.value == 1
    lib.hqt_engine_destroy(e)


# ---- type_time ---------------------------------------------------------------------
# ENUM_ORDER_TYPE_TIME (mql5.com/en/docs/constants/tradingconstants/orderproperties):
# DAY "good till current trade day", SPECIFIED_DAY "effective till 23:59:59 of the
# specified day". The clock is T0 + 1 s (2024-01-02 00:00:01 UTC); that day ends at
# T0 + 1 day.

DAY_NS = 86_400 * SEC


def test_type_time_day_and_specified_day():
    e = engine(stops_level=0, freeze_level=0)
    day = e.buy_limit("S", 1.0, 1.09900, type_time="day")
    e.buy_limit(
        "S", 1.0, 1.09900, expiration=T0 + 2 * DAY_NS + 3600 * SEC, type_time="specified_day"
    )
    e.buy_limit("S", 1.0, 1.09900, expiration=T0 + 2 * DAY_NS + 3600 * SEC, type_time="specified")
    e.buy_limit("S", 1.0, 1.09900, type_time=hqt.OrderTypeTime.GTC)
    assert [o.expiration for o in e.orders] == [
        T0 + DAY_NS,
        T0 + 3 * DAY_NS,
        T0 + 2 * DAY_NS + 3600 * SEC,
        0,
    ]
    tick(e, 86_399, 1.10000, 1.10020)  # 23:59:59: the day order lives
    assert len(e.orders) == 4
    tick(e, 86_400, 1.10000, 1.10020)  # 00:00: gone
    assert day not in [o.ticket for o in e.orders] and len(e.orders) == 3


def test_type_time_must_fit_the_expiration():
    e = engine(stops_level=0, freeze_level=0)
    for kwargs in (
        {"type_time": "gtc", "expiration": T0 + DAY_NS},
        {"type_time": "day", "expiration": T0 + DAY_NS},
        {"type_time": "specified"},
        {"type_time": "specified_day"},
        {"type_time": "week"},
    ):
        with pytest.raises(hqt.InvalidArgumentError):
            e.buy_limit("S", 1.0, 1.09900, **kwargs)
    assert e.orders == []


def test_c_order_request_v2(lib):
    r = H.OrderRequestV2()
    C.memset(C.byref(r), 0x5A, C.sizeof(r))
    assert lib.hqt_order_request_v2_init(C.byref(r), C.sizeof(r)) == 0
    assert (r.struct_size, r.type_time, r.filling, r.expiration) == (C.sizeof(r), -1, 0, 0)
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * 10**6, b"USD", 100, C.byref(e)) == 0
    s = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == 0
    s.name, s.base_currency, s.profit_currency = b"S", b"USD", b"USD"
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 0
    ev = H.Event(type=0, tick=H.Tick(0, T0 + SEC, 1_100_000, 1_100_200))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == 0
    r.type, r.volume, r.price = hqt.OrderType.BUY_LIMIT, 10**6, 1_099_000
    r.type_time = hqt.OrderTypeTime.DAY
    t = C.c_uint64()
    assert lib.hqt_engine_order_send_v2(e, C.byref(r), C.byref(t)) == 0
    orders, n = (H.Order * 2)(), C.c_size_t()
    assert lib.hqt_engine_orders(e, orders, 2, C.byref(n)) == 0 and n.value == 1
    assert orders[0].expiration == T0 + DAY_NS  # DAY: the next 00:00
    r.filling = 3  # not an ORDER_FILLING_* value: refused
    assert lib.hqt_engine_order_send_v2(e, C.byref(r), C.byref(t)) == 1
    r.filling, r.type_time = 0, 7
    assert lib.hqt_engine_order_send_v2(e, C.byref(r), C.byref(t)) == 1
    lib.hqt_engine_destroy(e)


# ---- limit orders gapped through ---------------------------------------------------
# MT5's tester fills a limit a tick gaps through at that tick's price
# (mql5.com/en/code/16134: "positive slippage" of limit orders in real ticks mode).


def test_a_tick_gapping_through_a_limit_fills_at_its_price():
    e = engine(stops_level=0, freeze_level=0)
    e.buy_limit("S", 1.0, 1.09900)
    tick(e, 2, 1.09780, 1.09800)  # ask 1.09800: 100 points better than the limit
    assert e.deals[-1].price == pytest.approx(1.09800)
    assert e.positions[0].open_price == pytest.approx(1.09800)


# ---- trade sessions ----------------------------------------------------------------
# SymbolInfoSessionTrade (mql5.com/en/docs/marketinformation/symbolinfosessiontrade);
# weekday 0 = Sunday. T0 (2024-01-02) is a Tuesday (2); S trades Tuesday 08:00-17:00.

H8, H17 = 8 * 3600, 17 * 3600


def session_engine() -> hqt.Engine:
    e = hqt.Engine(10_000.0)
    e.add_symbol("S", base_currency="USD", profit_currency="USD", trade_sessions=[(2, H8, H17)])
    return e


def test_requests_outside_the_session_are_refused():
    e = session_engine()
    tick(e, H8 - 1, 1.10000, 1.10020)  # 07:59:59
    with pytest.raises(hqt.MarketClosedError, match="market is closed"):
        e.buy("S", 1.0)
    tick(e, H8, 1.10000, 1.10020)
    pos = e.buy("S", 1.0)
    order = e.buy_limit("S", 1.0, 1.09900)
    tick(e, H17, 1.09780, 1.09800)  # 17:00: closed; the limit is not triggered
    with pytest.raises(hqt.MarketClosedError):
        e.close(pos)
    with pytest.raises(hqt.MarketClosedError):
        e.cancel(order)
    assert len(e.orders) == 1 and len(e.positions) == 1
    tick(e, 7 * 86_400 + H8, 1.09830, 1.09850)  # next Tuesday 08:00: fills at that ask
    assert e.orders == [] and e.deals[-1].price == pytest.approx(1.09850)


def test_bad_sessions_are_refused():
    e = hqt.Engine(1000.0)
    for sessions in ([(7, 0, 10)], [(1, 10, 10)], [(1, 0, 86_401)], [(1, 0)], [(1.5, 0, 10)], 5):
        with pytest.raises(hqt.InvalidArgumentError):
            e.add_symbol("EURUSD", trade_sessions=sessions)
    assert e.symbol_count == 0


def test_the_wal_fingerprint_covers_the_sessions(tmp_path):
    from hqt import wal_records as W

    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD", trade_sessions=[(1, 0, 86_400), (2, 3600, 7200)])
    report = e.enable_wal(tmp_path / "s.wal")
    config = W.SymbolConfig(
        "EURUSD", "EUR", "USD", trade_sessions=((1, 0, 86_400), (2, 3600, 7200))
    )
    assert report.fingerprint == W.configuration_fingerprint(1000 * 10**6, "USD", 100, [config])
    e.disable_wal()


def test_c_trade_sessions(lib):
    s = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == 0
    assert (s.trade_sessions, s.trade_session_count) == (None, 0)
    s.name, s.base_currency, s.profit_currency = b"S", b"USD", b"USD"

    class Session(C.Structure):
        _fields_ = [("weekday", C.c_int32), ("start", C.c_int32), ("end", C.c_int32)]

    sessions = (Session * 1)(Session(2, H8, H17))
    s.trade_sessions, s.trade_session_count = C.cast(sessions, C.c_void_p), 1
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * 10**6, b"USD", 100, C.byref(e)) == 0
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 0
    back = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(back), C.sizeof(back)) == 0
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == 0
    assert back.trade_session_count == 1 and back.trade_sessions is None
    ev = H.Event(type=0, tick=H.Tick(0, T0 + H17 * SEC, 1_100_000, 1_100_200))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == 0
    t = C.c_uint64()
    st = lib.hqt_engine_buy(e, 0, 10**6, 0, 0, C.byref(t))
    assert st == 22 and lib.hqt_status_name(st) == b"HQT_E_MARKET_CLOSED"
    s.trade_sessions = None  # count 1 with no pointer: refused
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 1
    lib.hqt_engine_destroy(e)


# ---- kill -9 resume ----------------------------------------------------------------
# Rule outcomes are refused requests and fills; a run under every rule resumes from a
# copy of its log (as a kill -9 leaves it) to exactly the uninterrupted run's state.

RULE_TICKS = 2 * 1440  # two days of minute ticks from Tuesday 00:00


def rules_engine() -> hqt.Engine:
    e = hqt.Engine(5_000.0, margin_call=400.0, stop_out=100.0, stop_out_mode="money")
    e.add_symbol(
        "S",
        base_currency="USD",
        profit_currency="USD",
        stops_level=20,
        freeze_level=10,
        trade_sessions=[(2, 6 * 3600, 20 * 3600), (3, 6 * 3600, 20 * 3600)],
    )
    rng = np.random.default_rng(11)
    t = T0 + np.arange(RULE_TICKS, dtype=np.int64) * 60 * SEC
    bid = 1.10000 + np.cumsum(rng.integers(-8, 9, RULE_TICKS)) * 0.00001
    e.load_ticks(0, t, bid, bid + 0.00012)
    return e


class RuleTrader(hqt.Strategy):
    def __init__(self, copy_at: int = 0, log=None, copy=None):
        self.n, self.refused = 0, 0
        self.copy_at, self.log, self.copy = copy_at, log, copy

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.n += 1
        k = (tick.time - T0) // (60 * SEC)
        try:
            if k % 37 == 3:
                e.buy(0, 0.1, sl=tick.bid - 0.00030, tp=tick.bid + 0.00021)
            elif k % 53 == 5:
                e.buy_limit(0, 0.1, tick.ask - 0.00025, type_time="day")
            elif k % 41 == 7 and e.positions:
                e.close(e.positions[0].ticket)
            elif k % 59 == 9 and e.orders:
                e.cancel(e.orders[0].ticket)
        except (hqt.MarketClosedError, hqt.FrozenError, hqt.InvalidStopsError):
            self.refused += 1
        if self.n == self.copy_at and self.log is not None:
            shutil.copyfile(self.log, self.copy)


def test_a_run_under_the_rules_resumes_exactly_from_the_wal(tmp_path):
    reference = rules_engine()
    trader = RuleTrader()
    reference.run(trader)
    assert trader.refused > 20 and len(reference.deals) > 20  # the rules acted
    expected = snapshot(reference)

    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = rules_engine()
    e.enable_wal(log, sync="always", checkpoint_every=50)
    e.run(RuleTrader(1900, log, copy))
    e.disable_wal()
    assert snapshot(e) == expected

    r = rules_engine()
    r.enable_wal(copy, sync="always", checkpoint_every=50)
    rep = r.recover_from_wal()
    assert 0 < rep.events_processed < RULE_TICKS
    r.run(RuleTrader(), resume=True)
    assert snapshot(r) == expected
    r.disable_wal()
