"""The public Python surface: names, types, units, objects, lifecycle."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import hqt
import hqt._hqt as native
from conftest import PYDIR, SEC, T0
from hqt.units import div_round, from_micro, to_micro

REQUIRED_ENGINE_API = [
    "add_symbol",
    "load_ticks",
    "load_bars",
    "build_bars",
    "load_csv",
    "run",
    "process_event",
    "buy",
    "sell",
    "buy_limit",
    "sell_limit",
    "buy_stop",
    "sell_stop",
    "buy_stop_limit",
    "sell_stop_limit",
    "order_send",
    "modify",
    "modify_order",
    "set_trailing_stop",
    "close",
    "cancel",
    "deposit",
    "statistics",
    "balance",
    "equity",
    "profit",
    "margin",
    "free_margin",
    "margin_level",
    "account",
    "positions",
    "orders",
    "order_history",
    "deals",
    "trades",
    "equity_curve",
    "symbols",
]


def test_package_exports():
    for name in [
        "Engine",
        "Strategy",
        "Tick",
        "Bar",
        "Deal",
        "HQTError",
        "Position",
        "Order",
        "Trade",
        "Account",
        "Statistics",
        "SymbolInfo",
        "EquityPoint",
        "OrderType",
        "Timeframe",
        "M1",
        "M5",
        "M15",
        "M30",
        "H1",
        "H4",
        "D1",
        "W1",
        "MN1",
        "read_csv",
        "version",
    ]:
        assert hasattr(hqt, name), name
    assert (hqt.M1, hqt.M5, hqt.M15, hqt.M30, hqt.H1, hqt.H4, hqt.D1, hqt.W1, hqt.MN1) == (
        1,
        5,
        15,
        30,
        60,
        240,
        1440,
        10080,
        43200,
    )
    assert [int(t) for t in hqt.OrderType] == list(range(8))
    assert hqt.OrderType.SELL_STOP_LIMIT == 7
    assert set(hqt.__all__) <= set(dir(hqt))


def test_engine_api_names(engine):
    for name in REQUIRED_ENGINE_API:
        assert hasattr(engine, name), name
    assert isinstance(engine, native.Engine)


def test_version():
    v = hqt.version()
    assert len(v.split(".")) == 3 and all(p.isdigit() for p in v.split("."))


def test_engine_spec_example():
    e = hqt.Engine(10000.0, "USD", 100)
    a = e.account
    assert (a.balance, a.equity, a.margin, a.free_margin, a.margin_level) == (
        10000.0,
        10000.0,
        0.0,
        10000.0,
        0.0,
    )
    assert a.currency == "USD" and a.leverage == 100 and a.mode == hqt.AccountMode.HEDGING
    assert a.margin_call_level == 100.0 and a.stop_out_level == 50.0
    assert e.balance == 10000.0 and e.equity == 10000.0 and e.balance_micro == 10_000_000_000


def test_engine_options():
    e = hqt.Engine(5000.0, "EUR", 30, mode="netting", margin_call=80.0, stop_out=20.0)
    a = e.account
    assert a.mode == hqt.AccountMode.NETTING and e.mode == hqt.AccountMode.NETTING
    assert (a.margin_call_level, a.stop_out_level, a.leverage, a.currency) == (
        80.0,
        20.0,
        30,
        "EUR",
    )
    with pytest.raises(hqt.InvalidArgumentError):
        hqt.Engine(5000.0, "USD", 100, mode="both")


def test_add_symbol_defaults():
    e = hqt.Engine(1000.0)
    assert e.add_symbol("EURUSD") == 0
    assert (
        e.add_symbol(
            "XAUUSD",
            base_currency="XAU",
            profit_currency="USD",
            contract_size=100,
            digits=2,
            margin_mode="cfd",
            volume_step=0.1,
            volume_min=0.1,
            commission_per_lot=5.0,
            spread=0.3,
        )
        == 1
    )
    s0, s1 = e.symbols
    assert (s0.name, s0.base_currency, s0.profit_currency, s0.margin_currency) == (
        "EURUSD",
        "EUR",
        "USD",
        "EUR",
    )
    assert (
        s0.contract_size,
        s0.digits,
        s0.margin_mode,
        s0.volume_min,
        s0.volume_step,
        s0.volume_max,
        s0.commission_per_lot,
        s0.spread,
    ) == (100000.0, 5, hqt.MarginMode.FOREX, 0.01, 0.01, 100.0, 0.0, 0.0)
    assert s0.point == pytest.approx(1e-5)
    assert (
        s1.name,
        s1.contract_size,
        s1.digits,
        s1.margin_mode,
        s1.volume_step,
        s1.commission_per_lot,
        s1.spread,
    ) == ("XAUUSD", 100.0, 2, hqt.MarginMode.CFD, 0.1, 5.0, 0.3)
    assert e.find_symbol("XAUUSD") == 1 and e.symbol_id("XAUUSD") == 1
    assert e.symbol("EURUSD") == s0 and e.symbol(1) == s1
    assert (s0.bid, s0.ask, s0.last_time) == (0.0, 0.0, 0)


def test_symbol_needs_currencies_unless_forex_name():
    e = hqt.Engine(1000.0)
    with pytest.raises(hqt.InvalidArgumentError, match="base_currency"):
        e.add_symbol("US500")
    with pytest.raises(hqt.InvalidArgumentError):
        e.add_symbol("EURUSD", margin_mode="futures")
    assert e.symbol_count == 0


def test_symbol_by_name_everywhere(engine):
    t = engine.buy("EURUSD", 0.1)
    assert engine.position(t).symbol_id == 0
    with pytest.raises(hqt.UnknownSymbolError):
        engine.sell("GBPUSD", 0.1)


def test_tick_object():
    t = hqt.Tick(3, T0, 1.10001, 1.10021)
    assert (t.symbol_id, t.time, t.bid, t.ask, t.bid_micro, t.ask_micro) == (
        3,
        T0,
        1.10001,
        1.10021,
        1_100_010,
        1_100_210,
    )
    assert isinstance(t.time, int) and isinstance(t.bid, float)
    assert t == hqt.Tick(3, T0, 1.10001, 1.10021) and t != hqt.Tick(3, T0, 1.10001, 1.1003)
    assert hash(t) == hash(hqt.Tick(3, T0, 1.10001, 1.10021))
    assert hqt.Tick.from_micro(3, T0, 1_100_010, 1_100_210) == t
    assert pickle.loads(pickle.dumps(t)) == t
    assert repr(t) == f"Tick(symbol_id=3, time={T0}, bid=1.10001, ask=1.10021)"
    assert hqt.Tick(symbol_id=0, time=1, bid=1, ask=2).ask == 2.0
    with pytest.raises(AttributeError):
        t.bid = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        hqt.Tick(0, 1.5, 1.0, 1.0)  # time must be int ns
    with pytest.raises(hqt.InvalidArgumentError):
        hqt.Tick(0, 1, math.nan, 1.0)


def test_bar_object():
    b = hqt.Bar(1, hqt.M5, T0, 1.1, 1.2, 1.0, 1.15, 42)
    assert (b.symbol_id, b.timeframe, b.time, b.open, b.high, b.low, b.close, b.volume) == (
        1,
        5,
        T0,
        1.1,
        1.2,
        1.0,
        1.15,
        42.0,
    )
    assert (b.open_micro, b.high_micro, b.low_micro, b.close_micro, b.volume_micro) == (
        1_100_000,
        1_200_000,
        1_000_000,
        1_150_000,
        42_000_000,
    )
    assert hqt.Bar(1, 5, T0, 1.1, 1.2, 1.0, 1.15).volume == 0.0
    assert pickle.loads(pickle.dumps(b)) == b
    assert "Bar(symbol_id=1, timeframe=5" in repr(b)


def test_deal_object(engine):
    t = engine.buy(0, 0.25)
    (d,) = engine.deals
    assert isinstance(d, hqt.Deal)
    assert (d.position, d.symbol_id, d.type, d.entry, d.reason, d.time) == (
        t,
        0,
        hqt.BUY,
        hqt.DealEntry.IN,
        hqt.DealReason.CLIENT,
        T0,
    )
    assert (d.volume, d.price, d.profit, d.commission) == (0.25, 1.1002, 0.0, 0.0)
    assert (d.volume_micro, d.price_micro, d.balance_micro) == (250_000, 1_100_200, 10_000_000_000)
    assert d == engine.deals[0] and hash(d) == hash(engine.deals[0])
    assert len(d._astuple()) == 14
    with pytest.raises(TypeError):
        hqt.Deal()  # not constructible from Python


@pytest.mark.parametrize(
    "x",
    [
        0.0,
        1.1,
        1.10020,
        -1.10020,
        2.5e-6,
        -2.5e-6,
        0.5e-6,
        -0.5e-6,
        1.0000005,
        1.2345675,
        -1.2345675,
        123456.7890125,
        1e12,
        -1e12,
        9.999999999,
        0.1 + 0.2,
        3,
        -7,
    ],
)
def test_to_micro_matches_native_and_rounds_half_away(x):
    assert to_micro(x) == native.to_micro(x)
    assert to_micro(-x) == -to_micro(x)


def test_to_micro_rule():
    assert to_micro(0.0000025) == 3 and to_micro(-0.0000025) == -3  # round() would give 2 / -2
    assert to_micro(0.0000015) == 2 and to_micro(-0.0000015) == -2
    assert to_micro(1.1) == 1_100_000 and to_micro(0.01) == 10_000
    rng = np.random.default_rng(7)
    for x in rng.uniform(-1e4, 1e4, 2000):
        assert to_micro(x) == native.to_micro(float(x))
    for x in (math.nan, math.inf, -math.inf, 1e13):
        with pytest.raises(hqt.InvalidArgumentError):
            to_micro(x)
        with pytest.raises(hqt.InvalidArgumentError):
            native.to_micro(x)
    assert from_micro(1_100_200) == 1.1002 == native.from_micro(1_100_200)
    for m in (1, -1, 1_100_200, 123_456_789_012, -999_999):
        assert to_micro(from_micro(m)) == m


def test_div_round():
    assert div_round(5, 2) == 3 and div_round(-5, 2) == -3 and div_round(5, -2) == -3
    assert div_round(4, 3) == 1 and div_round(-4, 3) == -1 and div_round(7, 7) == 1


def test_results_are_dataclasses(engine):
    t = engine.buy(0, 0.1, sl=1.09, tp=1.12)
    engine.buy_limit(0, 0.2, 1.09)
    engine.process_event(hqt.Tick(0, T0 + SEC, 1.1010, 1.1012))
    engine.close(t)
    p = engine.positions
    assert p == []
    (o,) = engine.orders
    assert isinstance(o, hqt.Order) and o.type == hqt.OrderType.BUY_LIMIT and o.price == 1.09
    assert o.state in (hqt.OrderState.PLACED, hqt.OrderState.MODIFIED)
    (tr,) = engine.trades
    assert isinstance(tr, hqt.Trade)
    assert (tr.position, tr.open_price, tr.close_price, tr.volume) == (t, 1.1002, 1.1010, 0.1)
    assert tr.profit == pytest.approx(8.0) and tr.net_profit == pytest.approx(8.0)
    with pytest.raises((AttributeError, TypeError)):
        tr.profit = 1.0  # type: ignore[misc]  # frozen
    st = engine.statistics()
    assert isinstance(st, hqt.Statistics)
    assert st.total_trades == 1 and st.net_profit == pytest.approx(8.0)
    assert st.as_dict()["total_trades"] == 1 and "net_profit" in str(st)
    curve = engine.equity_curve
    assert curve.dtype.names == ("time", "balance", "equity", "margin")
    assert curve["time"].dtype == np.int64 and curve["equity"].dtype == np.float64
    assert len(curve) >= 1 and curve["balance"][-1] == pytest.approx(10008.0)
    points = engine.equity_points()
    assert all(isinstance(p, hqt.EquityPoint) for p in points)
    assert [(p.time, p.balance, p.equity, p.margin) for p in points] == [
        (int(r["time"]), float(r["balance"]), float(r["equity"]), float(r["margin"])) for r in curve
    ]
    assert engine.order_history[0].ticket >= 1


def test_statistics_fields():
    names = set(hqt.Statistics.__dataclass_fields__)
    assert {
        "net_profit",
        "gross_profit",
        "gross_loss",
        "profit_factor",
        "max_drawdown",
        "max_drawdown_pct",
        "sharpe_ratio",
        "total_trades",
        "win_rate",
    } <= names


def test_dispose_and_context_manager():
    with hqt.Engine(1000.0) as e:
        e.add_symbol("EURUSD")
    assert e.disposed
    with pytest.raises(hqt.StateError):
        e.balance
    with pytest.raises(hqt.StateError):
        e.buy(0, 0.1)
    e.dispose()  # idempotent
    assert "disposed" in repr(e)


def test_engine_subclass_and_repr(engine):
    class MyEngine(hqt.Engine):
        pass

    m = MyEngine(100.0, "USD", 10)
    m.note = "attributes work"
    assert m.balance == 100.0 and m.note == "attributes work"
    assert "balance=10000.00" in repr(engine)


def test_close_volume_none_and_partial(engine):
    t = engine.buy(0, 0.3)
    engine.close(t, 0.1)
    assert engine.position(t).volume == pytest.approx(0.2)
    engine.close(t)
    assert engine.positions == []


def test_import_without_native_extension():
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(PYDIR)!r})
        sys.modules["hqt._hqt"] = None          # make the extension unimportable
        import hqt, hqt.errors, hqt.units, hqt.constants, hqt.strategy, hqt.models
        assert not hqt.native_available()
        assert hqt.M1 == 1 and issubclass(hqt.WALError, hqt.HQTError)
        class S(hqt.Strategy):
            pass
        try:
            hqt.Engine
        except hqt.NativeLibraryError as e:
            assert isinstance(e, ImportError) and "scripts/build.sh" in str(e)
            print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_errors_hierarchy():
    assert issubclass(hqt.InvalidArgumentError, ValueError)
    assert issubclass(hqt.UnknownSymbolError, KeyError)
    assert issubclass(hqt.UnknownTicketError, KeyError)
    assert issubclass(hqt.InsufficientMarginError, hqt.TradeError)
    assert issubclass(hqt.WALCorruptionError, hqt.WALError)
    assert issubclass(hqt.CSVFormatError, hqt.DataError)
    assert str(hqt.UnknownTicketError("no ticket 5")) == "no ticket 5"  # no KeyError quotes
    for code, cls in hqt.errors.STATUS_EXCEPTIONS.items():
        assert cls.status == code
        assert hqt.status_name(code) == cls.status_name
        assert isinstance(hqt.errors.error_for_status(code, "m"), cls)
    err = hqt.CSVFormatError("f.csv", 7, "bad price")
    assert (err.path, err.line, err.reason, str(err)) == (
        "f.csv",
        7,
        "bad price",
        "f.csv:7: bad price",
    )
