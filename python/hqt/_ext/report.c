/*
 * report.c -- Engine._report(): the MT5 tester report (hqt_engine_report) as a tuple,
 * in the field order of hqt_report; hqt.models.Report names them.
 */
#include "engine_impl.h"

static PyObject *
engine_report(HQTEngineObject *self, PyObject *unused)
{
    hqt_report r;
    (void)unused;
    ENTER(self);
    CALL(hqt_report_init(&r, sizeof r));
    CALL(hqt_engine_report(self->engine, &r));
    return hqt_report_tuple(&r);
}

/* Shared with results.c (a run result's report). */
PyObject *
hqt_report_tuple(const hqt_report *r_)
{
    const hqt_report r = *r_;
    return Py_BuildValue(
        "(LLLdddddddddddLLddLLLddLdLLdLdLdLdddddLLLLLLLLdd)",
        (long long)r.total_net_profit,
        (long long)r.gross_profit,
        (long long)r.gross_loss,
        r.profit_factor,
        r.expected_payoff,
        r.recovery_factor,
        r.sharpe_ratio,
        r.sharpe_ratio_hpr,
        r.ahpr,
        r.ghpr,
        r.z_score,
        r.z_score_confidence,
        r.lr_correlation,
        r.lr_standard_error,
        (long long)r.balance_drawdown_absolute,
        (long long)r.balance_drawdown_maximal,
        r.balance_drawdown_maximal_pct,
        r.balance_drawdown_relative_pct,
        (long long)r.balance_drawdown_relative,
        (long long)r.equity_drawdown_absolute,
        (long long)r.equity_drawdown_maximal,
        r.equity_drawdown_maximal_pct,
        r.equity_drawdown_relative_pct,
        (long long)r.equity_drawdown_relative,
        r.margin_level_minimum,
        (long long)r.total_trades,
        (long long)r.short_trades,
        r.short_trades_won_pct,
        (long long)r.long_trades,
        r.long_trades_won_pct,
        (long long)r.profit_trades,
        r.profit_trades_pct,
        (long long)r.loss_trades,
        r.loss_trades_pct,
        r.largest_profit_trade,
        r.largest_loss_trade,
        r.average_profit_trade,
        r.average_loss_trade,
        (long long)r.max_consecutive_wins,
        (long long)r.max_consecutive_wins_money,
        (long long)r.max_consecutive_losses,
        (long long)r.max_consecutive_losses_money,
        (long long)r.maximal_consecutive_profit,
        (long long)r.maximal_consecutive_profit_count,
        (long long)r.maximal_consecutive_loss,
        (long long)r.maximal_consecutive_loss_count,
        r.average_consecutive_wins,
        r.average_consecutive_losses);
}

PyMethodDef hqt_engine_report_methods[] = {
    {"_report", (PyCFunction)engine_report, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
