"""Live terminal view of an HQT broadcast: ``python -m hqt.monitor ENDPOINT``.

Shows per-topic message counts and rates, the last tick of every symbol,
balance / equity / margin / margin level, the last margin call or stop-out,
the open positions (tracked from POSITION frames) and the losses the
subscriber could detect. Pure Python (pyzmq + standard library).

    python -m hqt.monitor tcp://localhost:5555
    python -m hqt.monitor tcp://host:5555 --server-key <Z85 public key of the broadcaster>
    python -m hqt.monitor tcp://localhost:5555 --duration 10   # then print a final report
    python -m hqt.monitor tcp://localhost:5555 --once          # one interval, one report

On a terminal the view is redrawn in place every ``--interval`` seconds
(plain ANSI, no curses); otherwise each refresh is printed below the last.
Open positions are those whose OPENED frame this monitor saw (or whose
first frame was a MODIFIED / PARTIAL one) and whose CLOSED frame it has not.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TextIO

from hqt._optional import MissingExtraError

try:
    from hqt.subscriber import (
        ACCOUNT,
        EQUITY,
        MARGIN,
        POSITION,
        TICK,
        TOPIC_NAMES,
        TOPICS,
        TRADE,
        CurveKeys,
        Margin,
        Position,
        Record,
        Subscriber,
        SubscriberStats,
        Tick,
        Trade,
        topic_of,
    )
except MissingExtraError as e:  # python -m hqt.monitor without pyzmq: the one line, no traceback
    if __name__ == "__main__":
        raise SystemExit(f"python -m hqt.monitor: {e}") from None
    raise

__all__ = ["MonitorState", "main"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _money(v: int | None) -> str:
    return "-" if v is None else f"{v / 1e6:,.2f}"


def _price(v: int) -> str:
    return f"{v / 1e6:.6f}"


def _time(ns: int | None) -> str:
    if ns is None:
        return "-"
    return (_EPOCH + timedelta(microseconds=ns // 1000)).strftime("%Y-%m-%d %H:%M:%S.%f")


class MonitorState:
    """Everything the monitor shows, folded from decoded records."""

    def __init__(self, stats: SubscriberStats, started: float) -> None:
        self.stats = stats
        self.started = started
        self.ticks: dict[int, Tick] = {}
        self.positions: dict[int, Position] = {}
        self.last_trade: Trade | None = None
        self.balance: int | None = None
        self.equity: int | None = None
        self.profit: int | None = None
        self.margin: int | None = None
        self.free_margin: int | None = None
        self.margin_level: int | None = None
        self.account_time: int | None = None
        self.margin_event: Margin | None = None
        self._rate_mark: tuple[float, dict[int, int]] = (started, dict(stats.received))
        self.rates: dict[int, float] = {t: 0.0 for t in TOPICS}

    def update(self, r: Record) -> None:
        """Folds one record (already counted by the subscriber's stats)."""
        topic = r.topic
        if topic == TICK:
            self.ticks[r.symbol_id] = r
        elif topic == POSITION:
            if r.state == 2:
                self.positions.pop(r.ticket, None)
            else:
                self.positions[r.ticket] = r
        elif topic == TRADE:
            self.last_trade = r
        elif topic == EQUITY:
            self.balance, self.equity = r.balance, r.equity
            self.margin, self.free_margin = r.margin, r.free_margin
            self.account_time = r.time
        elif topic == ACCOUNT:
            self.balance, self.equity, self.profit = r.balance, r.equity, r.profit
            self.margin_level = r.margin_level
            self.account_time = r.time
        elif topic == MARGIN:
            self.margin, self.free_margin, self.margin_level = (
                r.margin,
                r.free_margin,
                r.margin_level,
            )
            self.account_time = r.time
            if r.event != 0:
                self.margin_event = r

    def sample_rates(self, now: float) -> None:
        """Messages per second per topic since the previous sample."""
        then, counts = self._rate_mark
        elapsed = now - then
        if elapsed < 0.05:  # too short to be a meaningful rate (e.g. right after a refresh)
            return
        current = dict(self.stats.received)
        self.rates = {t: (current[t] - counts[t]) / elapsed for t in TOPICS}
        self._rate_mark = (now, current)

    def render(self, endpoint: str, now: float) -> str:
        s = self.stats
        up = max(now - self.started, 1e-9)
        out: list[str] = [f"HQT monitor  {endpoint}  up {up:.1f} s", ""]
        out.append(f"{'topic':<9} {'total':>10} {'msg/s':>11} {'avg msg/s':>11}")
        for t in TOPICS:
            out.append(
                f"{TOPIC_NAMES[t]:<9} {s.received[t]:>10} {self.rates[t]:>11.1f} {s.received[t] / up:>11.1f}"
            )
        out.append(
            f"{'all':<9} {s.total:>10} {sum(self.rates.values()):>11.1f} {s.total / up:>11.1f}"
        )

        out += ["", "last tick per symbol"]
        if self.ticks:
            out.append(f"{'symbol':>6} {'bid':>14} {'ask':>14} {'spread':>10}  time (UTC)")
            for sym in sorted(self.ticks):
                k = self.ticks[sym]
                out.append(
                    f"{sym:>6} {_price(k.bid):>14} {_price(k.ask):>14} {_price(k.ask - k.bid):>10}  {_time(k.time)}"
                )
        else:
            out.append("  (none yet)")

        out += ["", f"account  (as of {_time(self.account_time)})"]
        level = (
            "-"
            if self.margin_level is None
            else (
                "- (no margin used)"
                if self.margin_level == 0
                else f"{self.margin_level / 1e6:,.2f} %"
            )
        )
        out.append(
            f"  balance {_money(self.balance):>16}   equity      {_money(self.equity):>16}"
            f"   profit {_money(self.profit)}"
        )
        out.append(
            f"  margin  {_money(self.margin):>16}   free margin {_money(self.free_margin):>16}   margin level {level}"
        )
        if self.margin_event is not None:
            e = self.margin_event
            out.append(
                f"  last margin event: {e.event_name} at {_time(e.time)} (level {e.margin_level / 1e6:,.2f} %)"
            )
        if self.last_trade is not None:
            d = self.last_trade
            out.append(
                f"  last deal: #{d.ticket} symbol {d.symbol_id} {d.volume / 1e6:.2f} lots at {_price(d.price)}"
                f", profit {_money(d.profit)}"
            )

        out += ["", f"open positions ({len(self.positions)})"]
        if self.positions:
            out.append(
                f"{'ticket':>8} {'symbol':>6} {'type':<4} {'lots':>8} {'open price':>12} "
                f"{'sl':>12} {'tp':>12} {'profit':>14}"
            )
            for ticket in sorted(self.positions):
                p = self.positions[ticket]
                out.append(
                    f"{ticket:>8} {p.symbol_id:>6} {p.type_name:<4} {p.volume / 1e6:>8.2f} {_price(p.open_price):>12}"
                    f" {_price(p.sl) if p.sl else '-':>12} {_price(p.tp) if p.tp else '-':>12} {_money(p.profit):>14}"
                )

        out += [
            "",
            f"losses detected: deal ticket gaps {s.deal_ticket_gaps}, deal ticket regressions "
            f"{s.deal_ticket_regressions}, orphan position updates {s.orphan_position_updates}, "
            f"orphan order updates {s.orphan_order_updates}, malformed {s.malformed}",
            "(losses the frames cannot reveal are in the broadcaster's dropped counters)",
        ]
        return "\n".join(out)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hqt.monitor", description=__doc__.split("\n\n")[0])
    p.add_argument("endpoint", help="broadcaster endpoint, e.g. tcp://localhost:5555")
    p.add_argument("--topics", help="comma-separated topic names or numbers (default: all)")
    p.add_argument(
        "--interval", type=float, default=1.0, help="refresh interval in seconds (default 1)"
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--duration", type=float, help="run this many seconds, then print a final report"
    )
    g.add_argument(
        "--once", action="store_true", help="listen for one interval, print one report, exit"
    )
    p.add_argument("--server-key", help="CURVE: the broadcaster's Z85 public key")
    p.add_argument("--public-key", help="CURVE: this client's Z85 public key (for an allow-list)")
    p.add_argument("--secret-key", help="CURVE: this client's Z85 secret key")
    p.add_argument(
        "--consecutive-deal-tickets",
        action="store_true",
        help="count gaps between TRADE tickets as losses (only if the engine numbers deals consecutively)",
    )
    a = p.parse_args(argv)
    if a.interval <= 0:
        p.error("--interval must be > 0")
    if (a.public_key or a.secret_key) and not a.server_key:
        p.error("--public-key/--secret-key need --server-key")
    return a


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    a = _parse(argv)
    topics = (
        None
        if not a.topics
        else [topic_of(int(t) if t.strip().isdigit() else t.strip()) for t in a.topics.split(",")]
    )
    curve = None if not a.server_key else CurveKeys(a.server_key, a.public_key, a.secret_key)
    duration = a.interval if a.once else a.duration
    live = out.isatty()
    started = time.monotonic()
    with Subscriber(
        a.endpoint,
        topics=topics,
        curve=curve,
        timeout=None,
        consecutive_deal_tickets=a.consecutive_deal_tickets,
    ) as sub:
        state = MonitorState(sub.stats, started)
        end = None if duration is None else started + duration
        next_refresh = started + a.interval
        try:
            while True:
                now = time.monotonic()
                if end is not None and now >= end:
                    break
                if now >= next_refresh:
                    state.sample_rates(now)
                    if live:
                        out.write("\x1b[H\x1b[2J" + state.render(a.endpoint, now) + "\n")
                        out.flush()
                    elif duration is None:
                        out.write(state.render(a.endpoint, now) + "\n\n")
                        out.flush()
                    next_refresh = now + a.interval
                    continue
                wake = next_refresh if end is None else min(next_refresh, end)
                record = sub.recv(timeout=max(0.0, wake - now))
                if record is not None:
                    state.update(record)
        except KeyboardInterrupt:
            pass
        now = time.monotonic()
        state.sample_rates(now)
        out.write(state.render(a.endpoint, now) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
