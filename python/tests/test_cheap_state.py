"""Issue 13, item 1: the O(1) reads strategies make every tick, from Python
(engine.positions_total, is_flat, net_volume, ...) and from C
(hqt_state_view), must equal what the full lists and hqt_engine_account say
after every kind of change; engine.positions is cached but never stale."""

from __future__ import annotations

import ctypes as C

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import LIBHQT, SEC, T0


def two_symbol_engine() -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    for name in ("EURUSD", "GBPUSD"):
        s = e.add_symbol(name)
        e.load_ticks(s, np.array([T0 + s * SEC]), np.array([1.1 + s]), np.array([1.1002 + s]))
    e.run(progress=False)
    return e


def expect_consistent(e: hqt.Engine) -> None:
    ps = e.positions
    assert e.positions_total == len(ps) == e.position_count()
    assert e.orders_total == len(e.orders)
    assert e.is_flat() == (not ps)
    acc = e._account()
    assert (e.time, e.balance_micro, e.equity_micro) == (acc[0], acc[1], acc[2])
    assert e.margin == acc[4] / 1e6 and e.free_margin == acc[5] / 1e6
    assert e.margin_level == acc[6] / 1e6
    for sid, name in ((0, "EURUSD"), (1, "GBPUSD")):
        mine = [p for p in ps if p.symbol_id == sid]
        net = sum(round(p.volume * 1e6) * (1 if p.type == 0 else -1) for p in mine)
        assert e.position_count(sid) == e.position_count(name) == len(mine)
        assert e.net_volume_micro(sid) == net and e.net_volume(name) == net / 1e6
        assert e.is_flat(sid) == (not mine)
        assert e.is_long(sid) == (net > 0) and e.is_short(name) == (net < 0)


def test_cheap_reads_follow_deals_orders_deposits_and_ticks():
    e = two_symbol_engine()
    expect_consistent(e)
    v0 = e.book_version
    t1 = e.buy(0, 0.3)
    e.sell(1, 0.1)
    e.sell("EURUSD", 0.1)
    assert e.book_version > v0
    expect_consistent(e)
    assert e.net_volume(0) == pytest.approx(0.2) and e.is_long(0) and e.is_short(1)
    e.buy_limit(0, 0.1, 1.0)
    e.deposit(500.0)
    e.close(t1, 0.1)
    expect_consistent(e)
    e.load_ticks(0, np.array([T0 + 5 * SEC]), np.array([1.1010]), np.array([1.1012]))
    e.run(progress=False)
    assert e.time == T0 + 5 * SEC
    expect_consistent(e)
    for p in e.positions:
        e.close(p.ticket)
    expect_consistent(e)
    assert e.is_flat() and e.positions == [] and e.profit == 0.0


def test_positions_cache_is_never_stale_and_is_a_fresh_list():
    e = two_symbol_engine()
    e.buy(0, 0.1)
    a = e.positions
    a.clear()  # the caller's list: the cache does not change
    b = e.positions
    assert len(b) == 1 and b is not e.positions
    before = b[0].profit
    e.load_ticks(0, np.array([T0 + 9 * SEC]), np.array([1.2]), np.array([1.2002]))
    e.run(progress=False)  # same book version, new clock: profit moved
    assert e.positions[0].profit != before
    e.modify(b[0].ticket, sl=1.0)  # same clock, new book version
    assert e.positions[0].sl == pytest.approx(1.0)


def test_cheap_reads_inside_on_tick_and_bad_symbols():
    e = two_symbol_engine()
    seen = []

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            seen.append((engine.positions_total, engine.is_flat(0), engine.book_version))
            if engine.is_flat():
                engine.buy(0, 0.1)

    t = T0 + np.arange(10, 13) * SEC
    e.load_ticks(0, t, np.full(3, 1.1), np.full(3, 1.1002))
    e.run(S(), progress=False)
    assert [s[:2] for s in seen] == [(0, True), (1, False), (1, False)]
    # A tick without a trade moves equity and time, not the book version.
    assert seen[1][2] > seen[0][2] and seen[2][2] == seen[1][2]
    with pytest.raises(hqt.UnknownSymbolError):
        e.net_volume(7)
    with pytest.raises(hqt.UnknownSymbolError):
        e.is_flat("NOPE")
    with pytest.raises(TypeError):
        e.is_long()  # type: ignore[call-arg]
    e.dispose()
    with pytest.raises(hqt.StateError):
        e.positions_total  # noqa: B018


def test_c_state_view_is_the_engines_memory():
    lib = H.load(LIBHQT)
    e = two_symbol_engine()
    handle = C.c_void_p(e._handle_address())
    view = lib.hqt_engine_state_view(handle)
    assert view and C.addressof(view.contents) == e._state_view_address()
    e.buy(1, 0.2)
    v = view.contents
    acc = H.Account()
    assert lib.hqt_engine_account(handle, C.byref(acc)) == 0
    assert (v.time, v.balance, v.equity, v.profit, v.margin) == (
        acc.time, acc.balance, acc.equity, acc.profit, acc.margin,
    )  # fmt: skip
    assert lib.hqt_view_margin_level(view) == acc.margin_level
    assert (v.positions, v.orders, v.symbol_count) == (1, 0, 2)
    assert v.symbols[1].net_volume == 200_000 and v.symbols[0].positions == 0
    assert not lib.hqt_engine_state_view(None)
    assert "null" in H.last_error(lib).lower()
    assert lib.hqt_view_margin_level(None) == 0


def test_deal_type_entry_and_reason_are_intenums():
    from hqt.constants import DealEntry, DealReason, PositionType

    e = two_symbol_engine()
    t = e.sell(0, 0.1)
    e.close(t)
    opened, closed = e.deals
    assert opened.type is PositionType.SELL and opened.entry is DealEntry.IN
    assert closed.type is PositionType.BUY and closed.entry is DealEntry.OUT
    assert closed.reason is DealReason.CLIENT and closed.reason == 0  # still ints


def test_bar_complete_is_false_only_for_the_bar_a_flush_delivers_early():
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    e.build_bars(s, hqt.M1)
    t = T0 + np.arange(0, 150) * SEC  # 2.5 minutes: two whole M1 bars, half a third
    e.load_ticks(s, t, np.full(150, 1.1), np.full(150, 1.1002))
    seen = []

    class S(hqt.Strategy):
        def on_bar(self, engine, bar):
            seen.append((bar.time, bar.complete))

    e.run(S(), progress=False)
    assert seen == [(T0, True), (T0 + 60 * SEC, True), (T0 + 120 * SEC, False)]
    assert hqt.Bar(0, hqt.M1, T0, 1.0, 1.0, 1.0, 1.0).complete  # made by hand: complete
