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

from hqt.constants import AccountMode, MarginMode

__all__ = ["Account", "EquityPoint", "SymbolInfo", "Statistics"]


def _f(v: int) -> float:
    return v / 1e6


@dataclass(frozen=True)
class Account:
    """Account state after the last processed event."""

    time: int
    balance: float
    equity: float
    profit: float  #: floating profit of open positions
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
    margin_mode: MarginMode
    volume_min: float
    volume_step: float
    volume_max: float
    commission_per_lot: float
    spread: float
    bid: float  #: last quote; 0.0 before the first
    ask: float
    last_time: int

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
        )


@dataclass(frozen=True)
class Statistics:
    """Summary of a backtest (money in account currency)."""

    initial_balance: float
    final_balance: float
    final_equity: float
    net_profit: float  #: final balance - initial balance
    gross_profit: float  #: sum of winning trades, after commission
    gross_loss: float  #: sum of losing trades, after commission (<= 0)
    total_commission: float  #: <= 0
    max_drawdown: float  #: peak-to-trough of equity, money
    max_drawdown_pct: float  #: percent of the peak
    profit_factor: float  #: gross profit / |gross loss|; inf if no loss, 0 if neither
    sharpe_ratio: float  #: daily equity returns, annualised by sqrt(252)
    win_rate: float  #: percent of winning trades
    total_trades: int
    winning_trades: int
    losing_trades: int
    total_deals: int
    ticks_processed: int
    bars_processed: int

    def as_dict(self) -> dict[str, Any]:
        """The statistics as a plain dict."""
        return asdict(self)

    def __str__(self) -> str:
        width = max(len(k) for k in self.__dataclass_fields__)
        lines = []
        for k, v in asdict(self).items():
            text = f"{v:,.2f}" if isinstance(v, float) else f"{v:,}"
            lines.append(f"{k:<{width}}  {text}")
        return "\n".join(lines)

    @classmethod
    def _from_raw(cls, t: tuple[Any, ...]) -> Statistics:
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
            profit_factor=t[9],
            sharpe_ratio=t[10],
            win_rate=t[11],
            total_trades=t[12],
            winning_trades=t[13],
            losing_trades=t[14],
            total_deals=t[15],
            ticks_processed=t[16],
            bars_processed=t[17],
        )
