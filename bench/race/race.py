"""The race: one SMA(10)/SMA(30) crossover in HQT, backtesting.py and backtrader.

    python3 bench/race/race.py [--bars 1000000] [--backtrader-bars 200000] [--seed 1]
        [--only hqt] [--json FILE]

Same generated M1 bars, same strategy, same fills, in one run: checks that the
three tools make the same trades (count, entry and exit bar, direction,
prices, P&L of every trade) and prints wall time, bars/s and the ratios.
See README.md in this directory for the rules and the results.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py shows a tqdm bar when installed

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if importlib.util.find_spec("hqt") is None:  # PYTHONPATH wins: lets bench/compare.sh pick a build
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import hqt  # noqa: E402

FAST, SLOW = 10, 30
#: the first bar (0-based) on which a strategy may act: backtesting.py's own
#: warm-up (it calls next() only once the previous bar's SMA(30) exists too)
FIRST = SLOW
T0 = 1_704_067_200 * 10**9  # 2024-01-01 00:00 UTC
MIN = 60 * 10**9
TICK = 0.25  # price grid: every price, sum and mean below is exact in binary floats


# ---- data -----------------------------------------------------------------------------


def make_bars(n: int, seed: int) -> dict[str, np.ndarray]:
    """n M1 bars of a seeded random walk on a 0.25 grid (around 4000, like an index).

    Prices are multiples of 0.25, so every tool's float arithmetic is exact:
    sums of 30 closes, the means, the comparisons and the P&L. Nothing then
    depends on the order in which a tool adds numbers up (a fast and slow mean
    that are exactly equal are equal in all three).
    """
    rng = np.random.default_rng(seed)
    steps = np.rint(rng.normal(0.0, 6.0, n)).astype(np.int64)  # in ticks, sd 1.5 points
    ticks = 16_000 + np.cumsum(steps)
    floor = 1_600  # reflect at 400.00
    ticks = np.where(ticks < floor, 2 * floor - ticks, ticks)
    close_t = ticks
    open_t = np.r_[close_t[0], close_t[:-1]] + np.rint(rng.normal(0.0, 1.0, n)).astype(np.int64)
    wick_hi = np.abs(np.rint(rng.normal(0.0, 3.0, n))).astype(np.int64)
    wick_lo = np.abs(np.rint(rng.normal(0.0, 3.0, n))).astype(np.int64)
    high_t = np.maximum(open_t, close_t) + wick_hi
    low_t = np.minimum(open_t, close_t) - wick_lo
    return {
        "time": T0 + np.arange(n, dtype=np.int64) * MIN,
        "open": open_t * TICK,
        "high": high_t * TICK,
        "low": low_t * TICK,
        "close": close_t * TICK,
        "volume": np.ones(n),
    }


def bar_index(time_ns) -> int:
    return int((int(time_ns) - T0) // MIN)


# ---- HQT --------------------------------------------------------------------------------


class HqtSmaCross(hqt.Strategy):
    """Always in the market, 1 unit: long while SMA(10) > SMA(30), short while below.

    Running sums of the closes (exact on the price grid); the first decision
    is on bar FIRST; an equal fast and slow mean keeps the position.
    """

    def __init__(self, fast: int = FAST, slow: int = SLOW) -> None:
        self.fast, self.slow = fast, slow
        self.closes: list[float] = []
        self.sum_fast = 0.0
        self.sum_slow = 0.0
        self.side = 0

    def on_bar(self, engine, bar):
        c = bar.close
        closes = self.closes
        closes.append(c)
        n = len(closes)
        self.sum_fast += c
        self.sum_slow += c
        if n > self.fast:
            self.sum_fast -= closes[n - 1 - self.fast]
        if n > self.slow:
            self.sum_slow -= closes[n - 1 - self.slow]
        if n <= FIRST:
            return
        fast = self.sum_fast / self.fast
        slow = self.sum_slow / self.slow
        if fast > slow and self.side <= 0:
            engine.buy(bar.symbol_id, 1.0 if self.side == 0 else 2.0)  # netting: reverses
            self.side = 1
        elif fast < slow and self.side >= 0:
            engine.sell(bar.symbol_id, 1.0 if self.side == 0 else 2.0)
            self.side = -1


class HqtSmaCrossPrecomputed(hqt.Strategy):
    """The same decisions, with both SMAs computed with numpy before the run, as
    backtesting.py (``self.I``) and backtrader (``runonce``) compute indicators;
    on_bar only compares two numbers and trades."""

    def __init__(self, close, fast: int = FAST, slow: int = SLOW) -> None:
        from numpy.lib.stride_tricks import sliding_window_view

        def sma(n):
            out = np.full(len(close), np.nan)
            out[n - 1 :] = sliding_window_view(close, n).sum(axis=1) / n
            return out.tolist()  # Python floats: cheap to index from on_bar

        self.fast_ma, self.slow_ma = sma(fast), sma(slow)
        self.i = 0
        self.side = 0

    def on_bar(self, engine, bar):
        i = self.i
        self.i = i + 1
        if i < FIRST:
            return
        fast, slow = self.fast_ma[i], self.slow_ma[i]
        if fast > slow and self.side <= 0:
            engine.buy(bar.symbol_id, 1.0 if self.side == 0 else 2.0)
            self.side = 1
        elif fast < slow and self.side >= 0:
            engine.sell(bar.symbol_id, 1.0 if self.side == 0 else 2.0)
            self.side = -1


class HqtSmaCrossNative(hqt.Strategy):
    """The same decisions, with both SMAs computed by the engine (native
    indicators, docs/indicators.md), updated before each on_bar: on_bar reads
    two values and trades. Exact on the price grid, like the others."""

    def __init__(self, fast: int = FAST, slow: int = SLOW) -> None:
        self.fast = self.indicator(hqt.SMA, 0, hqt.M1, fast)
        self.slow = self.indicator(hqt.SMA, 0, hqt.M1, slow)
        self.side = 0

    def on_bar(self, engine, bar):
        # The indicator counts the bars it has seen: bar FIRST is its FIRST + 1st.
        if self.slow.count <= FIRST:
            return
        fast, slow = self.fast[0], self.slow[0]
        if fast > slow and self.side <= 0:
            engine.buy(bar.symbol_id, 1.0 if self.side == 0 else 2.0)
            self.side = 1
        elif fast < slow and self.side >= 0:
            engine.sell(bar.symbol_id, 1.0 if self.side == 0 else 2.0)
            self.side = -1


_NUMBA: list = []  # the compiled strategy, made once (compiling takes seconds)


def numba_strategy():
    """race_numba's compiled SMA crossover, or None without numba."""
    if not _NUMBA:
        sys.path.insert(0, HERE)
        import race_numba

        _NUMBA.append(race_numba.make(FAST, SLOW, FIRST))
    return _NUMBA[0]


def hqt_engine(bars):
    """An engine with the bars loaded as the race runs them: netting, 1 unit
    of an index CFD (contract 1, 2 digits, volumes 1 to 10), no spread."""
    e = hqt.Engine(1e9, "USD", 1, mode="netting")
    sid = e.add_symbol(
        "IDX",
        base_currency="USD",
        profit_currency="USD",
        contract_size=1,
        digits=2,
        margin_mode="cfd",
        volume_min=1,
        volume_step=1,
        volume_max=10,
    )
    e.load_bars(
        sid,
        hqt.M1,
        bars["time"],
        bars["open"],
        bars["high"],
        bars["low"],
        bars["close"],
        bars["volume"],
    )
    return e


def run_hqt(bars, precomputed=False, native=False):
    """Fills: a market order from on_bar fills at once at the bar's close
    (bid = close, ask = close + spread, spread 0). precomputed: False (the
    Python on_bar), True (SMAs precomputed) or "numba" (race_numba.py)."""
    start, cpu = time.perf_counter(), time.process_time()
    e = hqt_engine(bars)
    if native:
        strategy = HqtSmaCrossNative()
    elif precomputed == "numba":
        strategy = numba_strategy()
    elif precomputed:
        strategy = HqtSmaCrossPrecomputed(bars["close"])
    else:
        strategy = HqtSmaCross()
    e.run(strategy, progress=False)
    elapsed = (time.perf_counter() - start, time.process_time() - cpu)
    trades = []
    for t in e.trades:
        # a deal's time is the engine clock: the close time of the bar (open + 1 min)
        trades.append(
            (
                "long" if int(t.type) == 0 else "short",
                bar_index(t.open_time) - 1,
                bar_index(t.close_time) - 1,
                t.open_price,
                t.close_price,
                t.profit,
            )
        )
    e.dispose()
    return elapsed, trades


def hqt_breakdown(bars, repeat):
    """Where HQT's time goes: each line adds one thing to the previous.

    CPU time of this process (steadier than wall time on a busy machine), best of `repeat`.
    """

    class NoOp(hqt.Strategy):
        def on_bar(self, engine, bar):
            pass

    class ReadClose(hqt.Strategy):
        def on_bar(self, engine, bar):
            bar.close

    class NoTrades(HqtSmaCross):
        """HqtSmaCross.on_bar without its engine.buy/sell calls (same code otherwise)."""

        def on_bar(self, engine, bar):
            c = bar.close
            closes = self.closes
            closes.append(c)
            n = len(closes)
            self.sum_fast += c
            self.sum_slow += c
            if n > self.fast:
                self.sum_fast -= closes[n - 1 - self.fast]
            if n > self.slow:
                self.sum_slow -= closes[n - 1 - self.slow]
            if n <= FIRST:
                return
            fast = self.sum_fast / self.fast
            slow = self.sum_slow / self.slow
            if fast > slow and self.side <= 0:
                self.side = 1
            elif fast < slow and self.side >= 0:
                self.side = -1

    def timed(strategy_factory):
        best = None
        for _ in range(repeat):
            gc.collect()
            start = time.process_time()
            e = hqt_engine(bars)
            if strategy_factory is not ...:
                e.run(strategy_factory() if strategy_factory else None, progress=False)
            sec = time.process_time() - start
            e.dispose()
            best = sec if best is None else min(best, sec)
        return best

    steps = [
        ("create the engine, load the bars", ...),
        ("run(): the engine alone, no strategy", None),
        ("+ call a Python on_bar that does nothing", NoOp),
        ("+ read bar.close", ReadClose),
        ("+ the strategy's Python code (SMAs, decisions)", NoTrades),
        ("+ its buy/sell calls (the full run)", HqtSmaCross),
    ]
    n = len(bars["time"])
    print(f"\nHQT, where the time goes ({n:,} bars, CPU time, best of {repeat}):\n")
    print("| step | total CPU (s) | added (s) | added per bar (ns) |")
    print("|---|---:|---:|---:|")
    prev = 0.0
    for label, factory in steps:
        sec = timed(factory)
        print(f"| {label} | {sec:.3f} | {sec - prev:+.3f} | {(sec - prev) / n * 1e9:+.0f} |")
        prev = sec


# ---- backtesting.py --------------------------------------------------------------------


def run_backtesting(df):
    """trade_on_close=True: a market order placed in next() fills at that bar's close."""
    import pandas as pd
    from backtesting import Backtest, Strategy

    def sma(values, n):
        return pd.Series(values).rolling(n).mean()

    class SmaCross(Strategy):
        def init(self):
            self.sma1 = self.I(sma, self.data.Close, FAST)
            self.sma2 = self.I(sma, self.data.Close, SLOW)

        def next(self):
            fast, slow = self.sma1[-1], self.sma2[-1]
            if fast > slow and not self.position.is_long:
                self.position.close()
                self.buy(size=1)
            elif fast < slow and not self.position.is_short:
                self.position.close()
                self.sell(size=1)

    start, cpu = time.perf_counter(), time.process_time()
    bt = Backtest(
        df,
        SmaCross,
        cash=1e9,
        commission=0.0,
        margin=1.0,
        trade_on_close=True,
        hedging=False,
        exclusive_orders=False,
        finalize_trades=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some trades remain open at the end"
        stats = bt.run()
    elapsed = (time.perf_counter() - start, time.process_time() - cpu)
    trades = [
        (
            "long" if r.Size > 0 else "short",
            int(r.EntryBar),
            int(r.ExitBar),
            float(r.EntryPrice),
            float(r.ExitPrice),
            float(r.PnL),
        )
        for r in stats._trades.itertuples()
    ]
    return elapsed, trades


# ---- backtrader ---------------------------------------------------------------------------


def run_backtrader(df):
    """broker.set_coc(True) (cheat-on-close): a market order fills at the close of the
    bar on which next() placed it. Cerebro(stdstats=False): no observers."""
    import backtrader as bt

    class SmaCross(bt.Strategy):
        def __init__(self):
            self.fast = bt.ind.SMA(self.data.close, period=FAST)
            self.slow = bt.ind.SMA(self.data.close, period=SLOW)
            self.closed = []
            self.fills = []

        def next(self):
            if len(self) <= FIRST:
                return
            fast, slow = self.fast[0], self.slow[0]
            if fast > slow and self.position.size <= 0:
                self.order_target_size(target=1)
            elif fast < slow and self.position.size >= 0:
                self.order_target_size(target=-1)

        def notify_order(self, order):
            if order.status == order.Completed:
                self.fills.append((order.executed.dt, order.executed.price))

        def notify_trade(self, trade):
            if trade.isclosed:
                self.closed.append(trade)

    start, cpu = time.perf_counter(), time.process_time()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=df))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(1e12)
    cerebro.broker.set_coc(True)
    strat = cerebro.run()[0]
    elapsed = (time.perf_counter() - start, time.process_time() - cpu)
    index_of = {ts: i for i, ts in enumerate(df.index.asi8)}

    def idx(num):
        ns = int(np.datetime64(bt.num2date(num), "ns").astype(np.int64))
        ns = (ns + MIN // 2) // MIN * MIN  # float day numbers: round to the minute
        return index_of[ns]

    # Trade.dtopen/dtclose are the bars on which backtrader booked the fills (the
    # next ones); the fills themselves carry the signal bar's time (order.executed.dt).
    # Every fill after the first closes one trade and opens the next.
    trades = []
    fills = strat.fills
    for k, t in enumerate(strat.closed):
        (t_in, p_in), (t_out, p_out) = fills[k], fills[k + 1]
        assert p_in == t.price and t.pnl == (p_out - p_in) * (1 if t.long else -1)
        trades.append(("long" if t.long else "short", idx(t_in), idx(t_out), p_in, p_out, t.pnl))
    return elapsed, trades


# ---- the race -----------------------------------------------------------------------------


def frame(bars, n):
    import pandas as pd

    idx = pd.DatetimeIndex(bars["time"][:n].astype("datetime64[ns]"), name="time")
    return pd.DataFrame(
        {
            "Open": bars["open"][:n],
            "High": bars["high"][:n],
            "Low": bars["low"][:n],
            "Close": bars["close"][:n],
            "Volume": bars["volume"][:n],
        },
        index=idx,
    )


def head(bars, n):
    return {k: v[:n] for k, v in bars.items()}


def compare(name, ref, other, n_bars, last_bar_too=False) -> bool:
    """Same trades as HQT on the same bars?

    HQT fills a signal of the very last bar at once; the peers would fill it on a
    next bar that does not exist: an HQT trade closed on the last bar is left out.
    """
    if not last_bar_too:
        ref = [t for t in ref if t[2] < n_bars - 1]
    if ref == other:
        print(f"  {name}: the {len(other):,} trades agree with HQT's")
        return True
    print(f"  {name}: {len(other):,} trades vs HQT {len(ref):,} -- MISMATCH")
    for i, (a, b) in enumerate(zip(ref, other, strict=False)):
        if a != b:
            print(f"  first difference at trade #{i}: HQT {a} vs {name} {b}")
            break
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=1_000_000, help="bars (default 1,000,000)")
    ap.add_argument(
        "--backtrader-bars",
        type=int,
        default=200_000,
        help="bars for backtrader, which is too slow for the full set run "
        "several times (default 200,000; HQT runs them too, for its ratio)",
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per tool; the fastest counts (default 3)"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip", choices=("backtrader", "backtesting.py"), action="append", default=[])
    ap.add_argument(
        "--only",
        choices=("hqt",),
        help="run HQT only (same as --skip backtrader --skip backtesting.py)",
    )
    ap.add_argument(
        "--json",
        metavar="FILE",
        help="also write each tool's best wall/CPU time and bars/s as JSON to FILE",
    )
    ap.add_argument(
        "--breakdown", action="store_true", help="also show where HQT's time goes, step by step"
    )
    args = ap.parse_args(argv)
    if args.only == "hqt":
        args.skip = ["backtrader", "backtesting.py"]
    n, m = args.bars, min(args.backtrader_bars, args.bars)
    bars = make_bars(n, args.seed)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{n:,} M1 bars (seed {args.seed}), SMA({FAST})/SMA({SLOW}), best of {args.repeat} rounds; "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f}; hqt {hqt.__version__}"
    )
    # untimed warm-up: first calls pay one-off costs (library init, imports, caches)
    small = min(n, 2_000)
    run_hqt(head(bars, small))
    run_hqt(head(bars, small), True)
    # Native indicators and numba exist from 0.2 on: bench/compare.sh runs this
    # script against an older build too, which then races without them.
    has_native = hasattr(hqt.Strategy, "indicator")
    if has_native:
        run_hqt(head(bars, small), native=True)
    has_numba = importlib.util.find_spec("hqt.numba") is not None and numba_strategy() is not None
    if has_numba:
        run_hqt(head(bars, small), "numba")
    if "backtesting.py" not in args.skip:
        run_backtesting(frame(bars, small))
    if "backtrader" not in args.skip:
        run_backtrader(frame(bars, small))
    # The tools take turns, round after round, so that all of them see the same
    # conditions on a shared machine; each one's fastest round counts.
    tools = [("HQT", n, run_hqt, (bars,)), ("HQT, SMAs precomputed", n, run_hqt, (bars, True))]
    if has_native:
        tools.append(("HQT, native indicators", n, run_hqt, (bars, False, True)))
    if has_numba:  # issue 13: the strategy compiled with numba (hqt.numba)
        tools.append(("HQT, numba", n, run_hqt, (bars, "numba")))
    if "backtesting.py" not in args.skip:
        tools.append(("backtesting.py", n, run_backtesting, (frame(bars, n),)))
    if "backtrader" not in args.skip:
        if m != n:
            tools.append(("HQT ", m, run_hqt, (head(bars, m),)))
        tools.append(("backtrader", m, run_backtrader, (frame(bars, m),)))
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    trades: dict[str, list] = {}
    for r in range(args.repeat):
        line = []
        for name, _kind, fn, fn_args in tools:
            gc.collect()
            (w, c), trades[name] = fn(*fn_args)
            wall[name] = min(w, wall.get(name, w))
            cpu[name] = min(c, cpu.get(name, c))
            line.append(f"{name.strip()} {w:.2f} s")
        print(f"round {r + 1}: " + ", ".join(line), flush=True)
    ok = compare(
        "HQT, SMAs precomputed",
        trades["HQT"],
        trades["HQT, SMAs precomputed"],
        n,
        last_bar_too=True,
    )
    if "HQT, native indicators" in trades:
        ok &= compare(
            "HQT, native indicators",
            trades["HQT"],
            trades["HQT, native indicators"],
            n,
            last_bar_too=True,
        )
    if "HQT, numba" in trades:
        ok &= compare("HQT, numba", trades["HQT"], trades["HQT, numba"], n, last_bar_too=True)
    if "backtesting.py" in trades:
        ok &= compare("backtesting.py", trades["HQT"], trades["backtesting.py"], n)
    if "backtrader" in trades:
        ok &= compare("backtrader", trades["HQT " if m != n else "HQT"], trades["backtrader"], m)
    # The issue 13 figures: native indicators and numba against backtesting.py.
    targets = {"HQT, native indicators": 30, "HQT, numba": 100}
    ratios = [
        f"backtesting.py ÷ {name}: **{wall['backtesting.py'] / wall[name]:.1f}x** wall time, "
        f"{cpu['backtesting.py'] / cpu[name]:.1f}x CPU time (issue 13 target: {target}x)"
        for name, target in targets.items()
        if "backtesting.py" in wall and name in wall
    ]
    rows = []  # (tool, bars, trades, (wall, cpu), (HQT's wall, cpu) on the same bars)
    for name, k, _, _ in tools:
        ref = "HQT " if k != n else "HQT"
        rows.append((name.strip(), k, trades[name], (wall[name], cpu[name]), (wall[ref], cpu[ref])))
    print()
    print(
        "| tool | bars | trades | wall time (s) | bars/s | wall time ÷ HQT's | "
        "CPU time (s) | CPU time ÷ HQT's |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, k, trades, (wall, cpu), (ref_wall, ref_cpu) in rows:
        closed = len([t for t in trades if t[2] < k - 1])
        if name == "HQT":
            r_wall = r_cpu = "1"
        elif name.startswith("HQT"):
            r_wall, r_cpu = f"{wall / ref_wall:.2f}", f"{cpu / ref_cpu:.2f}"
        else:
            r_wall, r_cpu = f"**{wall / ref_wall:.1f}**", f"{cpu / ref_cpu:.1f}"
        print(
            f"| {name} | {k:,} | {closed:,} | {wall:.3f} | {k / wall:,.0f} | {r_wall} | "
            f"{cpu:.3f} | {r_cpu} |"
        )
    if ratios:
        print()
        print("\n".join(ratios))
    print()
    print(
        "trades agree (count, direction, entry/exit bar, entry/exit price, P&L of each):",
        "yes" if ok else "NO",
    )
    if args.json:
        doc = {
            "hqt_version": hqt.__version__,
            "hqt_path": os.path.dirname(hqt.__file__),
            "bars": n,
            "repeat": args.repeat,
            "seed": args.seed,
            "trades_agree": ok,
            "load_average": load,
            "unit": "bars/s",
            "figures": {},
        }
        for name, k, tr, (w, c_), _ in rows:  # "HQT" twice when backtrader gets fewer bars
            key = name if name not in doc["figures"] else f"{name}, {k:,} bars"
            doc["figures"][key] = {
                "bars": k,
                "trades": len([t for t in tr if t[2] < k - 1]),
                "wall_s": w,
                "cpu_s": c_,
                "rate": k / w,
                "cpu_rate": k / c_,
            }
        with open(args.json, "w") as fh:
            json.dump(doc, fh, indent=1)
    if args.breakdown:
        hqt_breakdown(bars, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
