"""The MT5 tester report through Python: the scripted run of
Tests/HQTTests/Core/ReportTests.swift (every figure hand-computed there, the
arithmetic repeated briefly here), the C struct's sized output, and the
"n/a" cases.
"""

from __future__ import annotations

import ctypes
import math
import re
from pathlib import Path

import pytest

import hqt
from conftest import SEC

#: (sell?, bids after the open at 1.00000; the last closes): 0.1 lot, 100 USD per 0.01
TRADES = [
    (False, [0.96]),  # -400   balance  9 600
    (False, [0.95, 1.31]),  # +3 100 (equity 9 100 at 0.95)  12 700
    (True, [1.02]),  # -200  12 500
    (False, [0.995]),  # -50  12 450
    (True, [0.999]),  # +10  12 460
    (False, [0.98]),  # -200  12 260
    (True, [0.97]),  # +300  12 560
    (False, [0.92, 1.04]),  # +400 (equity 11 760 at 0.92)  12 960
]


def scripted_run(trades=TRADES) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.set_equity_interval(SEC)
    e.add_symbol("TEST", base_currency="USD", profit_currency="USD")
    t = 0
    for sell, path in trades:
        t += SEC
        e.process_event(hqt.Tick(0, t, 1.0, 1.0))
        ticket = e.sell(0, 0.1) if sell else e.buy(0, 0.1)
        for bid in path:
            t += SEC
            e.process_event(hqt.Tick(0, t, bid, bid))
        e.close(ticket)
    return e


def test_every_figure_of_the_scripted_run():
    s = scripted_run().statistics()
    approx = pytest.approx
    assert s.final_balance == 12_960.0
    assert (s.total_net_profit, s.gross_profit, s.gross_loss) == (2_960.0, 3_810.0, -850.0)
    assert s.profit_factor == approx(3_810 / 850) and s.expected_payoff == approx(370.0)
    # balance 10 000 -> 9 600 (400, 4 %); 12 700 -> 12 260 (440, 3.46 %)
    assert s.balance_drawdown_absolute == 400.0
    assert s.balance_drawdown_maximal == 440.0
    assert s.balance_drawdown_maximal_pct == approx(440 / 12_700 * 100)
    assert (s.balance_drawdown_relative_pct, s.balance_drawdown_relative) == (4.0, 400.0)
    # equity 10 000 -> 9 100 (900, 9 %); 12 700 -> 11 760 (940, 7.40 %)
    assert s.equity_drawdown_absolute == 900.0
    assert s.equity_drawdown_maximal == 940.0
    assert s.equity_drawdown_maximal_pct == approx(940 / 12_700 * 100)
    assert (s.equity_drawdown_relative_pct, s.equity_drawdown_relative) == (9.0, 900.0)
    assert s.recovery_factor == approx(2_960 / 940)
    assert s.margin_level_minimum == approx(9_100.0)  # 9 100 equity on 100 margin
    assert (s.total_trades, s.short_trades, s.long_trades) == (8, 3, 5)
    assert s.short_trades_won_pct == approx(200 / 3) and s.long_trades_won_pct == 40.0
    assert (s.profit_trades, s.profit_trades_pct, s.loss_trades, s.loss_trades_pct) == (
        4,
        50,
        4,
        50,
    )
    assert (s.largest_profit_trade, s.largest_loss_trade) == (3_100.0, -400.0)
    assert (s.average_profit_trade, s.average_loss_trade) == (952.5, -212.5)
    # runs L(-400) W(3 100) L(-200, -50) W(10) L(-200) W(300, 400)
    assert (s.max_consecutive_wins, s.max_consecutive_wins_money) == (2, 700.0)
    assert (s.max_consecutive_losses, s.max_consecutive_losses_money) == (2, -250.0)
    assert (s.maximal_consecutive_profit, s.maximal_consecutive_profit_count) == (3_100.0, 1)
    assert (s.maximal_consecutive_loss, s.maximal_consecutive_loss_count) == (-400.0, 1)
    assert s.average_consecutive_wins == approx(4 / 3) == s.average_consecutive_losses
    # Z: N 8, W = L = 4, P = 32, R = 6 runs: 12 / sqrt(32 x 24 / 7)
    z = 12 / math.sqrt(768 / 7)
    assert s.z_score == approx(z) and s.z_score_confidence == approx(
        math.erf(z / math.sqrt(2)) * 100
    )
    b = [10_000, 9_600, 12_700, 12_500, 12_450, 12_460, 12_260, 12_560, 12_960]
    hpr = [b[i] / b[i - 1] for i in range(1, 9)]
    ahpr = sum(hpr) / 8
    sd = math.sqrt(sum((h - ahpr) ** 2 for h in hpr) / 7)
    assert s.ahpr == approx(ahpr) and s.ghpr == approx((12_960 / 10_000) ** (1 / 8))
    assert s.sharpe_ratio_hpr == approx((ahpr - 1) / sd)
    # regression of b on 0..8: Sxx 60, Syy 12 188 000, Sxy 19 800
    assert s.lr_correlation == approx(19_800 / math.sqrt(60 * 12_188_000))
    assert s.lr_standard_error == approx(math.sqrt((12_188_000 - 19_800**2 / 60) / 7))
    assert math.isnan(s.sharpe_ratio)  # one UTC day: one daily return


def test_backtest_result_stats_carry_the_report():
    e = scripted_run()
    stats = hqt.BacktestResult.from_engine(e).stats_dict()
    assert stats["equity_drawdown_maximal"] == 940.0 and stats["z_score"] == pytest.approx(
        1.1456439
    )
    assert stats["max_consecutive_wins"] == 2


def test_undefined_figures_are_nan_and_shown_as_na():
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("TEST", base_currency="USD", profit_currency="USD")
    e.process_event(hqt.Tick(0, SEC, 1.0, 1.0))
    s = e.statistics()
    for name in (
        "profit_factor",
        "expected_payoff",
        "recovery_factor",
        "sharpe_ratio",
        "sharpe_ratio_hpr",
        "ahpr",
        "ghpr",
        "z_score",
        "lr_correlation",
        "lr_standard_error",
        "margin_level_minimum",
        "average_profit_trade",
        "average_consecutive_losses",
    ):
        assert math.isnan(getattr(s, name)), name
    lines = dict(line.split(None, 1) for line in str(s).splitlines())
    assert lines["z_score"] == "n/a" and lines["sharpe_ratio"] == "n/a"
    assert lines["total_trades"] == "0"
    assert "sharpe=n/a" in repr(hqt.BacktestResult.from_engine(e))


def test_one_trade_and_zero_variance():
    one = scripted_run([(False, [1.01])]).statistics()  # +100
    assert one.ahpr == pytest.approx(1.01) and one.lr_correlation == pytest.approx(1.0)
    assert math.isnan(one.sharpe_ratio_hpr) and math.isnan(one.z_score)
    assert math.isnan(one.lr_standard_error) and one.profit_factor == math.inf
    flat = scripted_run([(False, [1.0]), (False, [1.0])]).statistics()  # two 0 trades
    assert (
        flat.ahpr == 1.0 and math.isnan(flat.sharpe_ratio_hpr) and math.isnan(flat.lr_correlation)
    )


# ---- the C ABI: hqt_report is a sized output struct ----------------------------------------


def _report_struct() -> type[ctypes.Structure]:
    """hqt_report as declared in include/hqt.h."""
    text = (Path(__file__).resolve().parents[2] / "include" / "hqt.h").read_text()
    body = re.search(r"typedef struct hqt_report \{(.*?)\} hqt_report;", text, re.S)
    assert body
    kinds = {"size_t": ctypes.c_size_t, "int64_t": ctypes.c_int64, "double": ctypes.c_double}
    fields = re.findall(r"^\s*(size_t|int64_t|double) (\w+);", body.group(1), re.M)
    return type("Report", (ctypes.Structure,), {"_fields_": [(n, kinds[t]) for t, n in fields]})


def test_c_report_fills_only_the_callers_struct_size():
    import hqt_ctypes as H
    from conftest import LIBHQT

    lib = H.load(LIBHQT)
    lib.hqt_report_init.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.hqt_engine_report.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    Report = _report_struct()
    assert Report._fields_[0][0] == "struct_size" and Report.gross_profit.offset == 16
    e = ctypes.c_void_p()
    assert lib.hqt_engine_create(10_000_000_000, b"USD", 100, ctypes.byref(e)) == 0
    try:
        spec = H.SymbolSpec()
        lib.hqt_symbol_spec_init(ctypes.byref(spec))
        spec.name, spec.base_currency, spec.profit_currency = b"TEST", b"USD", b"USD"
        sid = ctypes.c_uint32()
        assert lib.hqt_engine_add_symbol(e, ctypes.byref(spec), ctypes.byref(sid)) == 0
        ticket = ctypes.c_uint64()
        for k, (open_, close) in enumerate([(1_000_000, 1_010_000), (1_000_000, 995_000)]):
            for j, bid in enumerate((open_, close)):
                ev = H.Event(type=0, tick=H.Tick(0, (2 * k + j + 1) * SEC, bid, bid))
                assert lib.hqt_engine_process_event(e, ctypes.byref(ev), None) == 0
                if j == 0:
                    assert lib.hqt_engine_buy(e, 0, 100_000, 0, 0, ctypes.byref(ticket)) == 0
            assert lib.hqt_engine_close(e, ticket.value, 0) == 0  # +100, then -50
        full = Report()
        assert lib.hqt_report_init(ctypes.byref(full), ctypes.sizeof(full)) == 0
        assert full.struct_size == ctypes.sizeof(Report)
        assert lib.hqt_engine_report(e, ctypes.byref(full)) == 0
        assert (full.total_net_profit, full.gross_profit, full.gross_loss) == (
            50_000_000,
            100_000_000,
            -50_000_000,
        )
        assert (full.total_trades, full.profit_trades, full.loss_trades) == (2, 1, 1)
        assert full.expected_payoff == 25e6 and full.profit_factor == 2.0
        assert full.struct_size == ctypes.sizeof(Report)  # never written by the library
        # An older, shorter struct: struct_size covers total_net_profit only; nothing
        # past it is written (the sentinel bytes stay).
        buf = (ctypes.c_uint8 * ctypes.sizeof(Report))(*([0xAB] * ctypes.sizeof(Report)))
        assert lib.hqt_report_init(buf, 16) == 0
        assert bytes(buf[16:]) == b"\xab" * (ctypes.sizeof(Report) - 16)
        assert lib.hqt_engine_report(e, buf) == 0
        short = Report.from_buffer(buf)
        assert (short.struct_size, short.total_net_profit) == (16, 50_000_000)
        assert bytes(buf[16:]) == b"\xab" * (ctypes.sizeof(Report) - 16)
        # A struct_size no hqt_report_init set is refused.
        bad = Report()
        assert lib.hqt_engine_report(e, ctypes.byref(bad)) == H.STATUS["INVALID_ARGUMENT"]
        assert b"hqt_report_init" in lib.hqt_last_error()
    finally:
        lib.hqt_engine_destroy(e)
