"""MT5's calculation modes, hedged margin and the margin rules of issue 9,
through ``hqt`` (the Swift twin is Tests/HQTTests/Core/CalcModeTests.swift).

Formulas: MQL5 reference, ENUM_SYMBOL_CALC_MODE (Symbol Properties,
mql5.com/en/docs/constants/environment_state/marketinfoconstants); hedged
margin: MetaTrader 5 help, "Margin Calculation: Retail Forex, Futures"
(metatrader5.com/en/terminal/help/trading_advanced/margin_forex). Every
symbol is quoted in USD on a USD account, so no conversion enters.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import hqt
from conftest import SEC, T0, snapshot


def tick(e: hqt.Engine, k: int, bid: float, ask: float) -> None:
    e.process_event(hqt.Tick(0, T0 + k * SEC, bid, ask))


def engine(
    bid: float,
    ask: float,
    *,
    balance: float = 1_000_000.0,
    mode: str = "hedging",
    **spec: object,
) -> hqt.Engine:
    e = hqt.Engine(balance, "USD", 100, mode=mode)
    spec.setdefault("base_currency", "USD")
    spec.setdefault("profit_currency", "USD")
    e.add_symbol("S", **spec)
    tick(e, 1, bid, ask)
    return e


def close_profit(e: hqt.Engine, ticket: int, bid: float, ask: float) -> float:
    tick(e, 2, bid, ask)
    e.close(ticket)
    return e.deals[-1].profit


def test_forex_divides_by_leverage_and_applies_the_rate():
    e = engine(1.0, 1.0002, margin_rate=0.5)
    t = e.buy(0, 2.0)
    # 2 x 100 000 / 100 x 0.5 = 1 000
    assert e.margin == 1000.0
    # (1.00120 - 1.00020) x 100 000 x 2 = 200
    assert close_profit(e, t, 1.0012, 1.0014) == pytest.approx(200.0)


def test_forex_no_leverage():
    e = engine(1.0, 1.0, calc_mode="forex_no_leverage", margin_rate=0.02)
    e.buy(0, 0.1)
    # 0.1 x 100 000 x 0.02 = 200
    assert e.margin == 200.0


def test_cfd_is_mt5s_cfd_without_leverage():
    e = engine(4999.0, 5000.0, calc_mode="cfd", contract_size=100, digits=2)
    t = e.buy(0, 1.0)
    # the example: 1 lot x 100 x 5000 x 1 = 500 000
    assert e.margin == 500_000.0
    # (5010 - 5000) x 100 x 1 = 1 000
    assert close_profit(e, t, 5010.0, 5011.0) == 1000.0


def test_cfd_leverage_divides_by_the_leverage():
    e = engine(4999.0, 5000.0, calc_mode="cfd_leverage", contract_size=100, digits=2)
    e.buy(0, 1.0)
    # 1 x 100 x 5000 / 100 = 5 000
    assert e.margin == 5000.0


def test_cfd_index():
    e = engine(
        3999.75,
        4000.0,
        calc_mode="cfd_index",
        contract_size=1,
        digits=2,
        tick_size=0.25,
        tick_value=0.5,
        margin_rate=0.1,
    )
    t = e.buy(0, 2.0)
    # (2 x 1 x 4000) x 0.5 / 0.25 x 0.1 = 1 600
    assert e.margin == 1600.0
    # profit by the contract: (4010 - 4000) x 1 x 2 = 20
    assert close_profit(e, t, 4010.0, 4010.25) == 20.0


def test_exchange_stocks():
    e = engine(
        150.24, 150.25, calc_mode="exchange_stocks", contract_size=1, digits=2, margin_rate=0.5
    )
    t = e.buy(0, 10.0)
    # 10 x 1 x 150.25 x 0.5 = 751.25
    assert e.margin == 751.25
    # (151.00 - 150.25) x 1 x 10 = 7.50
    assert close_profit(e, t, 151.0, 151.01) == 7.5


FUTURES = {
    "calc_mode": "futures",
    "contract_size": 50,
    "digits": 2,
    "tick_size": 0.25,
    "tick_value": 12.5,
    "margin_initial": 2500.0,
}


def test_futures_margin_and_tick_profit():
    e = engine(4500.0, 4500.25, **FUTURES)
    t = e.buy(0, 3.0)
    # 3 x 2 500 x 1 = 7 500
    assert e.margin == 7500.0
    # (4510.00 - 4500.25) x 12.50 / 0.25 x 3 = 1 462.50
    tick(e, 2, 4510.0, 4510.25)
    assert e.profit == 1462.5
    e.close(t)
    assert e.deals[-1].profit == 1462.5


def test_futures_maintenance_margin_is_held():
    e = engine(4500.0, 4500.0, balance=5000.0, margin_maintenance=2000.0, **FUTURES)
    t = e.buy(0, 2.0)  # needs 5 000 initial: exactly the free margin
    # held: 2 x 2 000
    assert e.margin == 4000.0 and e.position(t).margin == 4000.0
    with pytest.raises(hqt.InsufficientMarginError):
        e.buy(0, 1.0)  # 2 500 initial > 1 000 free


@pytest.mark.parametrize(
    ("hedged", "use_leg", "buys", "sells", "margin"),
    [
        (None, False, 1.0, 1.0, 2000.0),  # each position on its own
        (0.0, False, 1.0, 1.0, 0.0),  # a full hedge is free
        (50_000.0, False, 1.0, 1.0, 500.0),  # 1 hedged lot x 50 000 / 100
        (50_000.0, False, 2.0, 1.0, 1500.0),  # uncovered 1 000 + hedged 500
        (100_000.0, False, 1.0, 1.0, 1000.0),  # the contract size: one leg
        (None, True, 2.0, 1.0, 2000.0),  # the larger leg
        (0.0, True, 1.0, 3.0, 3000.0),
    ],
)
def test_hedged_margin(hedged, use_leg, buys, sells, margin):
    e = engine(1.0, 1.0, margin_hedged=hedged, margin_hedged_use_leg=use_leg)
    e.buy(0, buys)
    e.sell(0, sells)
    assert e.margin == margin


def test_an_opposite_order_that_adds_no_margin_is_accepted_at_zero_free_margin():
    e = engine(1.0, 1.0, balance=1000.0, margin_hedged=0.0)
    e.buy(0, 1.0)
    assert e.free_margin == 0.0
    e.sell(0, 1.0)
    assert len(e.positions) == 2 and e.margin == 0.0
    plain = engine(1.0, 1.0, balance=1000.0)
    plain.buy(0, 1.0)
    with pytest.raises(hqt.InsufficientMarginError):
        plain.sell(0, 1.0)


def test_a_pending_order_takes_margin_when_it_triggers():
    e = engine(4500.0, 4500.0, balance=2400.0, margin_maintenance=2000.0, **FUTURES)
    e.buy_limit(0, 1.0, 4490.0)
    assert e.margin == 0.0  # nothing held while pending
    tick(e, 2, 4489.0, 4490.0)  # needs 2 500 initial, 2 400 free: rejected
    assert not e.positions and e.order_history[-1].state == hqt.OrderState.REJECTED
    rich = engine(4500.0, 4500.0, balance=3000.0, margin_maintenance=2000.0, **FUTURES)
    rich.buy_limit(0, 1.0, 4490.0)
    tick(rich, 2, 4489.0, 4490.0)
    assert len(rich.positions) == 1 and rich.margin == 2000.0


def test_margin_mode_is_an_alias_with_cfd_corrected():
    e = engine(5000.0, 5000.0, margin_mode="cfd", contract_size=100, digits=2)
    e.buy(0, 1.0)
    assert e.margin == 500_000.0  # MT5's CFD: no leverage (0.1 gave 5 000)
    assert e.symbol(0).margin_mode == hqt.MarginMode.CFD
    f = engine(1.0, 1.0, margin_mode="forex", calc_mode="forex")  # consistent: fine
    f.buy(0, 1.0)
    assert f.margin == 1000.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"calc_mode": "stocks"}, "calc_mode must be one of"),
        ({"calc_mode": True}, "calc_mode"),
        ({"margin_mode": "cfd", "calc_mode": "futures"}, "give only calc_mode"),
        ({"calc_mode": "futures"}, "tick_size"),
        ({"calc_mode": "cfd_index", "tick_size": 0.25}, "tick_value"),
        ({"margin_rate": -1.0}, "margin_rate"),
        ({"margin_initial": -5.0}, "margin_initial"),
        ({"margin_hedged": -1.0}, "margin_hedged"),
        ({"margin_hedged": "half"}, "margin_hedged"),
        ({"margin_hedged_use_leg": 1}, "margin_hedged_use_leg"),
    ],
)
def test_bad_calc_values_raise_invalid_argument(kwargs, match):
    e = hqt.Engine(1000.0)
    with pytest.raises(hqt.InvalidArgumentError, match=match):
        e.add_symbol("S", base_currency="USD", profit_currency="USD", **kwargs)
    assert e.symbol_count == 0


def test_symbol_info_reads_the_calc_fields_back():
    e = engine(4500.0, 4500.0, margin_maintenance=2000.0, margin_hedged=25.0, **FUTURES)
    info = e.symbol(0)
    assert info.calc_mode == hqt.CalcMode.FUTURES and info.margin_mode == hqt.MarginMode.CFD
    assert (info.tick_size, info.tick_value, info.margin_initial) == (0.25, 12.5, 2500.0)
    assert (info.margin_maintenance, info.margin_rate) == (2000.0, 1.0)
    assert info.margin_hedged == 25.0 and info.margin_hedged_use_leg is False
    plain = engine(1.0, 1.0).symbol(0)
    assert plain.calc_mode == hqt.CalcMode.FOREX and plain.margin_hedged is None


def test_calc_mode_accepts_the_enum():
    e = hqt.Engine(1_000_000.0)
    e.add_symbol(
        "S", base_currency="USD", profit_currency="USD", calc_mode=hqt.CalcMode.FOREX_NO_LEVERAGE
    )
    e.process_event(hqt.Tick(0, T0, 1.0, 1.0))
    e.buy(0, 1.0)
    assert e.margin == 100_000.0  # 1 x 100 000 x 1, no leverage


# ---- WAL: a hedged CFD + futures run resumes exactly ---------------------------------

WAL_TICKS = 1200


def wal_engine() -> hqt.Engine:
    """Index CFD hedged at half a contract, a future hedged by the larger leg."""
    e = hqt.Engine(200_000.0, "USD", 100)
    e.add_symbol(
        "US500",
        base_currency="USD",
        profit_currency="USD",
        calc_mode="cfd",
        contract_size=1,
        digits=2,
        margin_rate=0.05,
        margin_hedged=0.5,
    )
    e.add_symbol("ES", base_currency="USD", profit_currency="USD", **FUTURES)
    rng = np.random.default_rng(3)
    for sym, start in ((0, 5000.0), (1, 4500.0)):
        t = T0 + np.arange(WAL_TICKS, dtype=np.int64) * SEC + sym * SEC // 2
        bid = start + np.cumsum(rng.integers(-4, 5, WAL_TICKS)) * 0.25
        e.load_ticks(sym, t, bid, bid + 0.25)
    return e


class Hedger(hqt.Strategy):
    """Opens legs both ways on both symbols, closes the oldest; may copy the log."""

    def __init__(self, copy_at: int = 0, log: Path | None = None, copy: Path | None = None):
        self.n = 0
        self.copy_at, self.log, self.copy = copy_at, log, copy
        self.hedged_ticks = 0

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.n += 1
        if e.warming_up:
            return
        k = (tick.time - T0) // SEC
        mine = [p for p in e.positions if p.symbol_id == tick.symbol_id]
        if k % 29 == 3 and len(mine) < 4:
            e.buy(tick.symbol_id, 2.0)
        elif k % 31 == 5 and len(mine) < 4:
            e.sell(tick.symbol_id, 1.0)
        elif k % 43 == 7 and mine:
            e.close(mine[0].ticket)
        if e.margin < sum(p.margin for p in e.positions) - 1e-9:
            self.hedged_ticks += 1
        if self.n == self.copy_at and self.log is not None and self.copy is not None:
            shutil.copyfile(self.log, self.copy)


@pytest.mark.parametrize("copy_at", [400, 1700])
def test_a_hedged_cfd_and_futures_run_resumes_exactly_from_the_wal(tmp_path, copy_at):
    reference = wal_engine()
    trader = Hedger()
    reference.run(trader)
    assert len(reference.deals) > 30 and trader.hedged_ticks > 50  # the hedged rule acted
    expected = snapshot(reference)

    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = wal_engine()
    e.enable_wal(log, sync="always", checkpoint_every=50)
    e.run(Hedger(copy_at, log, copy))
    e.disable_wal()
    assert snapshot(e) == expected  # the log changes nothing

    r = wal_engine()  # a fresh process: same configuration, the log as a kill left it
    r.enable_wal(copy, sync="always", checkpoint_every=50)
    rep = r.recover_from_wal()
    assert 0 < rep.events_processed < 2 * WAL_TICKS
    r.run(Hedger(), resume=True)
    assert snapshot(r) == expected  # deals, margins (equity curve), statistics
    r.disable_wal()


def test_the_wal_fingerprint_covers_the_calc_fields(tmp_path):
    """hqt.wal_records.configuration_fingerprint (docs/wal-records.md) agrees
    with the engine's, with and without calc fields; 0.1's CFD code is 1."""
    from hqt import wal_records as W

    M = 10**6
    cases = [
        (
            {"calc_mode": "cfd_leverage", "contract_size": 100, "digits": 2},
            W.SymbolConfig("S", "USD", "USD", contract_size=100 * M, digits=2, margin_mode=1),
        ),
        (
            {
                "calc_mode": "futures",
                "contract_size": 50,
                "digits": 2,
                "tick_size": 0.25,
                "tick_value": 12.5,
                "margin_initial": 2500.0,
                "margin_hedged": 25.0,
                "margin_hedged_use_leg": True,
            },
            W.SymbolConfig(
                "S",
                "USD",
                "USD",
                contract_size=50 * M,
                digits=2,
                calc_mode=1,
                tick_size=250_000,
                tick_value=12_500_000,
                margin_initial=2500 * M,
                margin_hedged=25 * M,
                margin_hedged_use_leg=True,
            ),
        ),
        (
            {"calc_mode": "cfd", "contract_size": 100, "digits": 2},
            W.SymbolConfig("S", "USD", "USD", contract_size=100 * M, digits=2, calc_mode=2),
        ),
    ]
    for i, (kwargs, config) in enumerate(cases):
        e = hqt.Engine(1000.0)
        e.add_symbol("S", base_currency="USD", profit_currency="USD", **kwargs)
        report = e.enable_wal(tmp_path / f"{i}.wal")
        assert report.fingerprint == W.configuration_fingerprint(1000 * M, "USD", 100, [config])
        e.disable_wal()
