"""Result objects returned by :class:`hqt.Engine` (frozen dataclasses, pure Python).

Prices, volumes and money are floats converted once from the engine's exact
micro units; a price, SL or TP of ``0.0`` means "none" (as in SPEC and MT5).
Times are ints, nanoseconds since the Unix epoch (UTC).

Positions, orders, trades and deals are not here: they are the native
extension's :class:`hqt.Position`, :class:`hqt.Order`, :class:`hqt.Trade`
and :class:`hqt.Deal` (one type each, built in C from the engine's structs,
with the exact ``*_micro`` values too; their fields are listed once, in
``python/hqt/_ext/records.c``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hqt.constants import (
    AccountMode,
    CalcMode,
    CommissionCurrency,
    CommissionEntry,
    MarginMode,
    SwapMode,
)

__all__ = ["Account", "EquityPoint", "SymbolInfo", "Statistics"]


def _f(v: float) -> float:
    return v / 1e6


#: The one NaN of every undefined figure: containers compare items by identity
#: first, so equal statistics (and their as_dict()) compare equal.
_NAN = float("nan")


def _same_nan(v: Any) -> Any:
    return _NAN if v != v else v


@dataclass(frozen=True)
class Account:
    """Account state after the last processed event."""

    time: int
    balance: float
    equity: float
    profit: float  #: floating profit of open positions, with their unbooked swaps
    margin: float
    free_margin: float
    margin_level: float  #: percent; 0 while no margin is used
    leverage: int
    margin_call_level: float  #: percent
    stop_out_level: float  #: percent
    mode: AccountMode
    margin_call: bool  #: margin level is at or below the margin call level
    currency: str

    @classmethod
    def _from_raw(cls, t: tuple[Any, ...]) -> Account:
        return cls(
            time=t[0],
            balance=_f(t[1]),
            equity=_f(t[2]),
            profit=_f(t[3]),
            margin=_f(t[4]),
            free_margin=_f(t[5]),
            margin_level=_f(t[6]),
            leverage=t[7],
            margin_call_level=_f(t[8]),
            stop_out_level=_f(t[9]),
            mode=AccountMode(t[10]),
            margin_call=bool(t[11]),
            currency=t[12],
        )


@dataclass(frozen=True)
class EquityPoint:
    """One sample of the equity curve."""

    time: int
    balance: float
    equity: float
    margin: float


@dataclass(frozen=True)
class SymbolInfo:
    """A symbol's specification and last quote."""

    symbol_id: int
    name: str
    base_currency: str
    profit_currency: str
    margin_currency: str
    contract_size: float
    digits: int
    margin_mode: MarginMode  #: the 0.1 alias: FOREX for calc mode forex, else CFD
    volume_min: float
    volume_step: float
    volume_max: float
    commission_per_lot: float
    spread: float
    bid: float  #: last quote; 0.0 before the first
    ask: float
    last_time: int
    #: MT5's calculation mode and its fields (docs/engine.md, "Calculation modes")
    calc_mode: CalcMode = CalcMode.FOREX
    margin_rate: float = 1.0
    margin_initial: float = 0.0
    margin_maintenance: float = 0.0
    tick_size: float = 0.0
    tick_value: float = 0.0
    margin_hedged: float | None = None  #: contract units per hedged lot; None: not set
    margin_hedged_use_leg: bool = False
    #: swaps (docs/engine.md, "Swaps"): unit of swap_long / swap_short, triple day (0 = Sunday)
    swap_mode: SwapMode = SwapMode.DISABLED
    swap_rollover3days: int = 3
    swap_long: float = 0.0
    swap_short: float = 0.0
    #: the commission model (docs/engine.md, "Calculation modes")
    commission_per_deal: float = 0.0
    commission_percent: float = 0.0  #: percent of the deal's turnover
    commission_entry: CommissionEntry = CommissionEntry.BOTH
    commission_currency: CommissionCurrency = CommissionCurrency.DEPOSIT
    #: MT5's trading rules in points (docs/engine.md, "Trading rules"); 0: none
    stops_level: int = 0
    freeze_level: int = 0
    #: MT5's SYMBOL_VOLUME_LIMIT in lots (docs/engine.md, "Order filling"); 0: none
    volume_limit: float = 0.0

    @property
    def point(self) -> float:
        """Price step, 10 ** -digits."""
        return 10.0**-self.digits

    @classmethod
    def _from_raw(cls, t: tuple[Any, ...]) -> SymbolInfo:
        return cls(
            symbol_id=t[0],
            name=t[1],
            base_currency=t[2],
            profit_currency=t[3],
            margin_currency=t[4],
            contract_size=_f(t[5]),
            digits=t[6],
            margin_mode=MarginMode(t[7]),
            volume_min=_f(t[8]),
            volume_step=_f(t[9]),
            volume_max=_f(t[10]),
            commission_per_lot=_f(t[11]),
            spread=_f(t[12]),
            bid=_f(t[13]),
            ask=_f(t[14]),
            last_time=t[15],
            calc_mode=CalcMode(t[16]),
            margin_rate=_f(t[17]),
            margin_initial=_f(t[18]),
            margin_maintenance=_f(t[19]),
            tick_size=_f(t[20]),
            tick_value=_f(t[21]),
            margin_hedged=None if t[22] < 0 else _f(t[22]),
            margin_hedged_use_leg=bool(t[23]),
            swap_mode=SwapMode(t[24]),
            swap_rollover3days=t[25],
            swap_long=_f(t[26]),
            swap_short=_f(t[27]),
            commission_per_deal=_f(t[28]),
            commission_percent=_f(t[29]),
            commission_entry=CommissionEntry(t[30]),
            commission_currency=CommissionCurrency(t[31]),
            stops_level=t[32],
            freeze_level=t[33],
            volume_limit=_f(t[34]),
        )


@dataclass(frozen=True)
class Statistics:
    """Summary of a backtest (money in account currency).

    The fields after ``bars_processed`` are the MetaTrader 5 Strategy Tester
    report's, named after its labels (docs/engine.md, "MT5 report"). A figure
    the run cannot define is NaN, shown as ``n/a``, never 0.
    """

    initial_balance: float
    final_balance: float
    final_equity: float
    net_profit: float  #: final balance - initial balance
    gross_profit: float  #: sum of winning trades, after commission
    gross_loss: float  #: sum of losing trades, after commission (<= 0)
    total_commission: float  #: <= 0
    max_drawdown: float  #: peak-to-trough of equity, money
    max_drawdown_pct: float  #: percent of the peak
    profit_factor: float  #: gross profit / |gross loss|; inf if no loss, NaN if neither
    sharpe_ratio: float  #: daily equity returns (the first from the initial balance) x sqrt(252)
    win_rate: float  #: percent of winning trades
    total_trades: int
    winning_trades: int
    losing_trades: int
    total_deals: int
    ticks_processed: int
    bars_processed: int
    total_net_profit: float = _NAN  #: gross profit + gross loss (closed trades)
    expected_payoff: float = _NAN  #: net profit / trades
    recovery_factor: float = _NAN  #: net profit / equity_drawdown_maximal
    sharpe_ratio_hpr: float = _NAN  #: (AHPR - 1) / sample sd of the per-trade HPRs
    ahpr: float = _NAN  #: mean per-trade HPR (balance after / before)
    ghpr: float = _NAN  #: geometric mean per-trade HPR
    z_score: float = _NAN  #: runs test of the win/loss sequence
    z_score_confidence: float = _NAN  #: percent, 2 Phi(|Z|) - 1
    lr_correlation: float = _NAN  #: of the trade balance curve with the trade number
    lr_standard_error: float = _NAN  #: of the balance around its regression line
    balance_drawdown_absolute: float = _NAN  #: initial balance - lowest balance below it
    balance_drawdown_maximal: float = _NAN  #: largest peak-to-trough of the balance, money
    balance_drawdown_maximal_pct: float = _NAN  #: its percent of the peak
    balance_drawdown_relative_pct: float = _NAN  #: largest peak-to-trough in percent
    balance_drawdown_relative: float = _NAN  #: its money
    equity_drawdown_absolute: float = _NAN
    equity_drawdown_maximal: float = _NAN
    equity_drawdown_maximal_pct: float = _NAN
    equity_drawdown_relative_pct: float = _NAN
    equity_drawdown_relative: float = _NAN
    margin_level_minimum: float = _NAN  #: percent, over the equity-curve samples
    short_trades: int = 0
    short_trades_won_pct: float = _NAN  #: percent
    long_trades: int = 0
    long_trades_won_pct: float = _NAN  #: percent
    profit_trades: int = 0
    profit_trades_pct: float = _NAN  #: percent of trades
    loss_trades: int = 0
    loss_trades_pct: float = _NAN  #: percent of trades
    largest_profit_trade: float = _NAN
    largest_loss_trade: float = _NAN
    average_profit_trade: float = _NAN
    average_loss_trade: float = _NAN
    max_consecutive_wins: int = 0  #: longest run of wins (count)
    max_consecutive_wins_money: float = _NAN  #: its money
    max_consecutive_losses: int = 0  #: longest run of losses (count)
    max_consecutive_losses_money: float = _NAN  #: its money
    maximal_consecutive_profit: float = _NAN  #: run of wins with the most money
    maximal_consecutive_profit_count: int = 0  #: its count
    maximal_consecutive_loss: float = _NAN  #: run of losses with the most loss
    maximal_consecutive_loss_count: int = 0  #: its count
    average_consecutive_wins: float = _NAN  #: mean length of the runs of wins
    average_consecutive_losses: float = _NAN  #: mean length of the runs of losses

    def as_dict(self) -> dict[str, Any]:
        """The statistics as a plain dict."""
        return asdict(self)

    def __str__(self) -> str:
        width = max(len(k) for k in self.__dataclass_fields__)
        lines = []
        for k, v in asdict(self).items():
            if isinstance(v, float):
                text = "n/a" if v != v else f"{v:,.2f}"
            else:
                text = f"{v:,}"
            lines.append(f"{k:<{width}}  {text}")
        return "\n".join(lines)

    @classmethod
    def _from_raw(cls, t: tuple[Any, ...], r: tuple[Any, ...]) -> Statistics:
        """From Engine._statistics() and Engine._report() (hqt_report's field order)."""
        t, r = tuple(map(_same_nan, t)), tuple(map(_same_nan, r))
        return cls(
            initial_balance=_f(t[0]),
            final_balance=_f(t[1]),
            final_equity=_f(t[2]),
            net_profit=_f(t[3]),
            gross_profit=_f(t[4]),
            gross_loss=_f(t[5]),
            total_commission=_f(t[6]),
            max_drawdown=_f(t[7]),
            max_drawdown_pct=t[8],
            profit_factor=r[3],
            sharpe_ratio=t[10],
            win_rate=t[11],
            total_trades=t[12],
            winning_trades=t[13],
            losing_trades=t[14],
            total_deals=t[15],
            ticks_processed=t[16],
            bars_processed=t[17],
            total_net_profit=_f(r[0]),
            expected_payoff=_f(r[4]),
            recovery_factor=r[5],
            sharpe_ratio_hpr=r[7],
            ahpr=r[8],
            ghpr=r[9],
            z_score=r[10],
            z_score_confidence=r[11],
            lr_correlation=r[12],
            lr_standard_error=_f(r[13]),
            balance_drawdown_absolute=_f(r[14]),
            balance_drawdown_maximal=_f(r[15]),
            balance_drawdown_maximal_pct=r[16],
            balance_drawdown_relative_pct=r[17],
            balance_drawdown_relative=_f(r[18]),
            equity_drawdown_absolute=_f(r[19]),
            equity_drawdown_maximal=_f(r[20]),
            equity_drawdown_maximal_pct=r[21],
            equity_drawdown_relative_pct=r[22],
            equity_drawdown_relative=_f(r[23]),
            margin_level_minimum=r[24],
            short_trades=r[26],
            short_trades_won_pct=r[27],
            long_trades=r[28],
            long_trades_won_pct=r[29],
            profit_trades=r[30],
            profit_trades_pct=r[31],
            loss_trades=r[32],
            loss_trades_pct=r[33],
            largest_profit_trade=_f(r[34]),
            largest_loss_trade=_f(r[35]),
            average_profit_trade=_f(r[36]),
            average_loss_trade=_f(r[37]),
            max_consecutive_wins=r[38],
            max_consecutive_wins_money=_f(r[39]),
            max_consecutive_losses=r[40],
            max_consecutive_losses_money=_f(r[41]),
            maximal_consecutive_profit=_f(r[42]),
            maximal_consecutive_profit_count=r[43],
            maximal_consecutive_loss=_f(r[44]),
            maximal_consecutive_loss_count=r[45],
            average_consecutive_wins=r[46],
            average_consecutive_losses=r[47],
        )
