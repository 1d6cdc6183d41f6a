"""Parameter optimization and walk-forward analysis on top of :func:`hqt.sweep`.

::

    opt = hqt.optimize(SmaCross, {"fast": range(5, 30, 5), "slow": range(20, 120, 20)},
                       bars, config, maximize="net_profit",
                       constraint=lambda p: p["fast"] < p["slow"], method="grid")
    opt.best_params          # {'fast': 10, 'slow': 60}
    opt.trials               # every trial: parameters, statistics, score
    opt.heatmap("fast", "slow")    # matplotlib figure of the score

    wf = hqt.walk_forward(SmaCross, space, bars, config, train="60D", test="20D",
                          maximize="sharpe_ratio")
    wf.windows               # one row per window: dates, best parameters, IS / OOS figures
    wf.equity                # the out-of-sample equity, stitched
    wf.stats                 # its statistics

Every backtest goes through :func:`hqt.sweep`, so the local process pool,
a Dask ``client=``, ``wal_dir=`` (fault tolerance), seeds and
``tick_model=`` work as there, and a trial's row is exactly the sweep's row
for those parameters (``hqt.sweeps.run_one`` reproduces it).

Methods: ``"grid"`` (every combination passing the constraint),
``"random"`` (``n_trials`` distinct combinations drawn with ``seed``),
``"tpe"`` (Optuna's Tree-structured Parzen Estimator, ``pip install 'hqt-engine[optimize]'``:
``n_trials`` trials asked in batches of ``batch_size``, each batch one sweep).
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hqt._optional import require
from hqt.errors import InvalidArgumentError
from hqt.models import Statistics
from hqt.sweeps import (
    _check_engine_args,
    _is_value_list,
    _normalise_data,
    _plain,
    _symbol_specs,
    run_one,
    sweep,
)

__all__ = ["optimize", "walk_forward", "OptimizeResult", "WalkForwardResult"]

METHODS = ("grid", "random", "tpe")

Score = str | Callable[[Mapping[str, Any]], float]


def _values(space: Mapping[str, Any]) -> dict[str, list[Any]]:
    if not isinstance(space, Mapping) or not space:
        raise InvalidArgumentError(
            "space must be a non-empty mapping of parameter -> values, e.g. "
            "{'fast': range(5, 30, 5), 'slow': [50, 100]}"
        )

    out = {}
    for k, v in space.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise InvalidArgumentError(f"space parameter names must be identifiers, got {k!r}")
        vals = [_plain(x) for x in v] if _is_value_list(v) else [_plain(v)]
        if not vals:
            raise InvalidArgumentError(f"space parameter {k!r} has no values")
        out[k] = vals
    return out


def _scorer(maximize: Score) -> Callable[[Mapping[str, Any]], float]:
    if callable(maximize):
        return lambda row: float(maximize(row))

    names = list(Statistics.__dataclass_fields__)
    if maximize not in names:
        raise InvalidArgumentError(
            f"maximize={maximize!r}: name a statistic ({', '.join(names[:12])}, ...) "
            "or pass a function of the row"
        )
    return lambda row: float(row[maximize])


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -math.inf


@dataclass
class OptimizeResult:
    """What :func:`optimize` found."""

    trials: Any  #: DataFrame (list of dicts without pandas): params, statistics, score, trial
    names: list[str]  #: the parameter names
    maximize: str
    best: dict[str, Any] = field(default_factory=dict)  #: the best trial's row

    @property
    def best_params(self) -> dict[str, Any]:
        return {k: self.best[k] for k in self.names}

    @property
    def best_score(self) -> float:
        return float(self.best["score"])

    def _rows(self) -> list[dict[str, Any]]:
        t = self.trials
        return t.to_dict("records") if hasattr(t, "to_dict") else list(t)

    def heatmap_table(self, x: str, y: str, agg: str = "max") -> Any:
        """Score by (y, x): rows are `y` values, columns `x` values; other
        parameters aggregated by `agg` ("max", "mean" or "min") over their trials."""
        import pandas as pd

        for p in (x, y):
            if p not in self.names:
                raise InvalidArgumentError(f"{p!r} is not a parameter; parameters: {self.names}")
        if agg not in ("max", "mean", "min"):
            raise InvalidArgumentError(f"agg must be 'max', 'mean' or 'min', not {agg!r}")
        df = pd.DataFrame(self._rows())
        return df.pivot_table(index=y, columns=x, values="score", aggfunc=agg)

    def heatmap(self, x: str, y: str, agg: str = "max", ax: Any = None) -> Any:
        """A matplotlib figure of the score over two parameters (the best
        marked); other parameters aggregated by `agg`. Returns the Figure."""
        import matplotlib.pyplot as plt

        table = self.heatmap_table(x, y, agg)
        if ax is None:
            fig, ax = plt.subplots(
                figsize=(2.5 + 0.8 * len(table.columns), 1.8 + 0.5 * len(table.index)),
                layout="constrained",
            )
        else:
            fig = ax.figure
        data = table.to_numpy(dtype=float)
        im = ax.imshow(np.ma.masked_invalid(data), cmap="viridis", aspect="auto", origin="lower")
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(
            f"{self.maximize} ({agg} over other parameters)"
            if len(self.names) > 2
            else self.maximize
        )
        for (i, j), v in np.ndenumerate(data):
            if math.isfinite(v):
                ax.text(j, i, f"{v:.4g}", ha="center", va="center", fontsize=7, color="w")
        bx, by = self.best[x], self.best[y]
        ax.add_patch(
            plt.Rectangle(
                (list(table.columns).index(bx) - 0.5, list(table.index).index(by) - 0.5),
                1,
                1,
                fill=False,
                edgecolor="red",
                linewidth=2,
            )
        )
        fig.colorbar(im, ax=ax)
        plt.close(fig)  # shown as the cell's value in Jupyter, not twice
        return fig

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>hqt.optimize</b>: {len(self._rows())} trials; best {self.maximize} = "
            f"{self.best_score:.6g} at {self.best_params}</p>"
        )
        t = self.trials
        return head + (t.head(20).to_html() if hasattr(t, "to_html") else "")


def _draw(values: dict[str, list[Any]], constraint: Any, n: int, seed: int) -> list[dict[str, Any]]:
    """`n` distinct combinations passing the constraint, drawn uniformly."""
    rng = random.Random(seed)
    names = list(values)
    total = math.prod(len(v) for v in values.values())
    if total <= 4 * n:  # small spaces: sample the valid list itself
        valid = [p for p in _grid(values) if _ok(constraint, p)]
        rng.shuffle(valid)
        return valid[:n]
    seen: set[tuple[Any, ...]] = set()
    out = []
    for _ in range(50 * n):
        combo = tuple(rng.randrange(len(values[k])) for k in names)
        if combo in seen:
            continue
        seen.add(combo)
        p = {k: values[k][i] for k, i in zip(names, combo, strict=True)}
        if _ok(constraint, p):
            out.append(p)
            if len(out) == n:
                break
    return out


def _grid(values: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(values)
    return [dict(zip(names, c, strict=True)) for c in itertools.product(*values.values())]


def _ok(constraint: Any, params: Mapping[str, Any]) -> bool:
    return True if constraint is None else bool(constraint(dict(params)))


def optimize(
    strategy: Callable[..., Any],
    space: Mapping[str, Any],
    data: Any,
    config: Mapping[str, Any],
    *,
    maximize: Score = "net_profit",
    constraint: Callable[[dict[str, Any]], bool] | None = None,
    method: str = "grid",
    n_trials: int | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    **sweep_args: Any,
) -> OptimizeResult:
    """Search `space` for the parameters of `strategy` that maximize a statistic.

    Args:
        strategy, data, config: as :func:`hqt.sweep`'s ``make_strategy``,
            ``data`` and ``engine_args``.
        space: ``{name: values}``; values are a list, tuple, range or numpy
            array of choices (a single value is fixed).
        maximize: a :class:`hqt.Statistics` field name, or ``f(row) -> float``
            of the sweep's row (parameters and statistics). NaN counts as
            the worst score.
        constraint: ``f(params) -> bool``; combinations it refuses are never run.
        method: ``"grid"``, ``"random"`` or ``"tpe"`` (Optuna).
        n_trials: trials for ``"random"`` and ``"tpe"`` (required there); for
            ``"grid"`` it caps the grid (refused if smaller than the grid).
        seed: draws of ``"random"`` and the TPE sampler, and the sweep's seed.
        batch_size: TPE trials per sweep (default: the pool size, at least 4).
        sweep_args: passed to :func:`hqt.sweep` (``client=``, ``processes=``,
            ``wal_dir=``, ``tick_model=``, ``symbol=``, ``progress=``, ...).

    Returns:
        :class:`OptimizeResult`: ``trials`` (every trial, in the order run,
        with a ``score`` and ``trial`` column), ``best``, ``best_params``,
        ``heatmap(x, y)``.
    """
    if method not in METHODS:
        raise InvalidArgumentError(f"method must be one of {METHODS}, not {method!r}")
    if constraint is not None and not callable(constraint):
        raise InvalidArgumentError(
            "constraint must be a function of the parameters returning a bool"
        )
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1
    ):
        raise InvalidArgumentError(f"n_trials must be a positive int, not {n_trials!r}")
    values = _values(space)
    score = _scorer(maximize)
    label = maximize if isinstance(maximize, str) else getattr(maximize, "__name__", "score")
    if method == "tpe":
        rows = _tpe(
            strategy,
            values,
            data,
            config,
            score,
            constraint,
            n_trials,
            seed,
            batch_size,
            sweep_args,
        )
    else:
        if method == "grid":
            plist = [p for p in _grid(values) if _ok(constraint, p)]
            if n_trials is not None and n_trials < len(plist):
                raise InvalidArgumentError(
                    f"the grid has {len(plist)} combinations, n_trials={n_trials}: use method='random'"
                )
        else:
            if n_trials is None:
                raise InvalidArgumentError("method='random' needs n_trials")
            plist = _draw(values, constraint, n_trials, seed)
        if not plist:
            raise InvalidArgumentError("no parameter combination passes the constraint")
        rows = _run(strategy, plist, data, config, seed, sweep_args)
        for r in rows:
            r["score"] = _finite(score(r)) if r.get("error") is None else -math.inf
    for i, r in enumerate(rows):
        r["trial"] = i
    best = max(rows, key=lambda r: r["score"])
    return OptimizeResult(_table(rows), list(values), str(label), dict(best))


def _run(
    strategy: Any,
    plist: list[dict[str, Any]],
    data: Any,
    config: Any,
    seed: int,
    sweep_args: dict[str, Any],
) -> list[dict[str, Any]]:

    rows: list[dict[str, Any]] = sweep(
        strategy, plist, data, config, seed=seed, records=True, **sweep_args
    )
    return rows


def _table(rows: list[dict[str, Any]]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows)


def _tpe(
    strategy: Any,
    values: dict[str, list[Any]],
    data: Any,
    config: Any,
    score: Callable[[Mapping[str, Any]], float],
    constraint: Any,
    n_trials: int | None,
    seed: int,
    batch_size: int | None,
    sweep_args: dict[str, Any],
) -> list[dict[str, Any]]:

    optuna = require("optuna", "hqt.optimize(method='tpe')")
    if n_trials is None:
        raise InvalidArgumentError("method='tpe' needs n_trials")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    size = batch_size or max(4, int(sweep_args.get("processes") or 0))
    rows: list[dict[str, Any]] = []
    done: set[tuple[Any, ...]] = set()
    refused = 0
    while len(rows) < n_trials:
        asked: list[tuple[Any, dict[str, Any]]] = []
        while len(asked) < min(size, n_trials - len(rows)):
            trial = study.ask()
            # choices by index: optuna's categorical values must be plain scalars
            p = {k: v[trial.suggest_int(k, 0, len(v) - 1)] for k, v in values.items()}
            key = tuple(repr(p[k]) for k in values)
            if not _ok(constraint, p) or key in done:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                refused += 1
                if refused > 50 * n_trials:
                    break
                continue
            done.add(key)
            asked.append((trial, p))
        if not asked:
            break  # the space (under the constraint) is exhausted
        batch = _run(strategy, [p for _, p in asked], data, config, seed, sweep_args)
        for (trial, _p), row in zip(asked, batch, strict=True):
            row["score"] = _finite(score(row)) if row.get("error") is None else -math.inf
            study.tell(trial, row["score"] if math.isfinite(row["score"]) else -1e300)
            rows.append(row)
    if not rows:
        raise InvalidArgumentError("no parameter combination passes the constraint")
    return rows


# ---- walk-forward ------------------------------------------------------------------------


def _duration(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a duration, not a bool")
    if isinstance(value, (int, np.integer)):
        ns = int(value)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*([DdHhWw]|min)\s*", value)
        if not m:
            raise InvalidArgumentError(
                f"{what}={value!r}: a duration like '30D', '12H', '2W' or '90min'"
            )
        unit = {"d": 86_400, "h": 3_600, "w": 604_800, "min": 60}[m.group(2).lower()]
        ns = int(m.group(1)) * unit * 10**9
    elif isinstance(value, np.timedelta64):
        ns = int(value.astype("timedelta64[ns]").astype(np.int64))
    elif hasattr(value, "total_seconds"):
        ns = int(round(value.total_seconds() * 1e9))
    else:
        raise InvalidArgumentError(
            f"{what} must be a duration ('30D', timedelta, int ns), not {value!r}"
        )
    if ns <= 0:
        raise InvalidArgumentError(f"{what} must be positive")
    return ns


@dataclass
class WalkForwardResult:
    """What :func:`walk_forward` found."""

    windows: Any  #: one row per window: is_start, is_end, oos_start, oos_end, params, is_score, OOS figures
    equity: np.ndarray  #: stitched out-of-sample equity (time, balance, equity, margin)
    stats: dict[str, Any]  #: statistics of the stitched out-of-sample run
    optimizations: list[OptimizeResult]

    def plot(self, ax: Any = None) -> Any:
        """The stitched OOS equity, windows shaded. Returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(10, 3.5), layout="constrained")
        else:
            fig = ax.figure
        t = self.equity["time"].astype("datetime64[ns]")
        ax.plot(t, self.equity["equity"], lw=1.2, label="out-of-sample equity")
        rows = self.windows.to_dict("records") if hasattr(self.windows, "to_dict") else self.windows
        for k, w in enumerate(rows):
            ax.axvspan(
                np.datetime64(w["oos_start"], "ns"),
                np.datetime64(w["oos_end"], "ns"),
                color="C1" if k % 2 else "C2",
                alpha=0.08,
            )
        ax.set_title(
            f"walk-forward: {len(rows)} windows, OOS net profit {self.stats['net_profit']:.2f}"
        )
        ax.legend(loc="upper left")
        plt.close(fig)
        return fig

    def _repr_html_(self) -> str:
        s = self.stats
        head = (
            f"<p><b>hqt.walk_forward</b>: {s['windows']} windows; out-of-sample net profit "
            f"{s['net_profit']:.2f} ({s['return_pct']:.2f} %), max drawdown {s['max_drawdown_pct']:.2f} %, "
            f"{s['total_trades']} trades</p>"
        )
        w = self.windows
        return head + (w.to_html() if hasattr(w, "to_html") else "")


def _slice(norm: dict[str, list[Any]], lo: int, hi: int) -> dict[str, list[dict[str, Any]]]:
    """The normalised data with lo <= time < hi, as sweep data (mappings of columns)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, series in norm.items():
        for s in series:
            t = s.arrays["time"]
            a, b = np.searchsorted(t, lo), np.searchsorted(t, hi)
            cols: dict[str, Any] = {k: v[a:b] for k, v in s.arrays.items()}
            if s.timeframe is not None:
                cols["timeframe"] = s.timeframe
            out.setdefault(name, []).append(cols)
    return out


def walk_forward(
    strategy: Callable[..., Any],
    space: Mapping[str, Any],
    data: Any,
    config: Mapping[str, Any],
    *,
    train: Any,
    test: Any,
    step: Any = None,
    anchored: bool = False,
    maximize: Score = "net_profit",
    constraint: Callable[[dict[str, Any]], bool] | None = None,
    method: str = "grid",
    n_trials: int | None = None,
    seed: int = 0,
    symbol: str | int | None = None,
    tick_model: Any = None,
    **sweep_args: Any,
) -> WalkForwardResult:
    """Optimize on in-sample windows, trade the best parameters on the
    out-of-sample window after each, and stitch the out-of-sample runs.

    Windows start at the first data time: in-sample ``[s, s + train)``
    (``anchored=True``: from the first data time every time), out-of-sample
    ``[s + train, s + train + test)``; ``s`` moves by ``step`` (default
    ``test``) while an out-of-sample window starts before the data ends.
    Durations: ``"30D"``, ``"12H"``, ``"2W"``, ``"90min"``, a timedelta or int ns.

    Each out-of-sample run starts with the previous one's final equity as
    its balance (the first with ``config``'s), so the stitched equity is
    one account trading window after window; positions still open at the
    end of a window are closed at its last quotes. A strategy starts each
    window cold: indicators warm up inside the window, as a live restart
    would. Optimization arguments as :func:`optimize`; `sweep_args` go to
    every sweep (``client=``, ``processes=``, ...).

    Returns :class:`WalkForwardResult`: ``windows`` (a table), ``equity``
    (stitched), ``stats`` (net profit, return %, max drawdown, trades,
    profitable windows, ...), ``plot()``.
    """

    args = dict(_check_engine_args(config))
    norm = _normalise_data(data, list(_symbol_specs(args)), symbol)
    times = [s.arrays["time"] for series in norm.values() for s in series if len(s.arrays["time"])]
    if not times:
        raise InvalidArgumentError("walk_forward needs data")
    t0, t_end = min(int(t[0]) for t in times), max(int(t[-1]) for t in times) + 1
    tr, te = _duration(train, "train"), _duration(test, "test")
    st = _duration(step, "step") if step is not None else te
    if t0 + tr >= t_end:
        raise InvalidArgumentError("train is longer than the data: no out-of-sample window is left")
    balance = float(args.get("balance", 10_000.0))
    start_balance = balance
    windows, curves, opts = [], [], []
    k = 0
    while t0 + k * st + tr < t_end:
        s = t0 + k * st
        is_lo = t0 if anchored else s
        is_hi, oos_hi = s + tr, s + tr + te
        opt = optimize(
            strategy,
            space,
            _slice(norm, is_lo, is_hi),
            args,
            maximize=maximize,
            constraint=constraint,
            method=method,
            n_trials=n_trials,
            seed=seed,
            tick_model=tick_model,
            **sweep_args,
        )
        opts.append(opt)
        oos_args = {**args, "balance": balance}
        engine = run_one(
            strategy,
            opt.best_params,
            _slice(norm, is_hi, oos_hi),
            oos_args,
            seed=seed,
            tick_model=tick_model,
        )
        try:
            if engine.positions:  # the window ends: its account is flat for the next one
                engine.close_all()
            st_oos = engine.statistics()
            curve = _closed(engine.equity_curve, st_oos)
        finally:
            engine.dispose()
        curves.append(curve)
        windows.append(
            {
                "window": k,
                **{
                    n: np.datetime64(v, "ns")
                    for n, v in (
                        ("is_start", is_lo),
                        ("is_end", is_hi),
                        ("oos_start", is_hi),
                        ("oos_end", oos_hi),
                    )
                },
                **{f"param_{n}": v for n, v in opt.best_params.items()},
                "is_score": opt.best_score,
                "oos_net_profit": st_oos.net_profit,
                "oos_trades": st_oos.total_trades,
                "oos_start_balance": balance,
                "oos_end_equity": st_oos.final_equity,
            }
        )
        balance = float(st_oos.final_equity)
        k += 1
    equity = np.concatenate(curves) if curves else np.zeros(0)
    return WalkForwardResult(
        _table(windows), equity, _oos_stats(equity, windows, start_balance), opts
    )


def _closed(curve: np.ndarray, st: Any) -> np.ndarray:
    """The window's equity curve ending on its flat account (after the close)."""
    if not len(curve):
        return curve
    last = curve[-1:].copy()
    last["balance"], last["equity"], last["margin"] = st.final_balance, st.final_equity, 0.0
    return np.concatenate([curve, last])


def _oos_stats(equity: np.ndarray, windows: list[dict[str, Any]], start: float) -> dict[str, Any]:
    eq = equity["equity"] if len(equity) else np.array([start])
    peak = np.maximum.accumulate(np.r_[start, eq])
    dd = peak - np.r_[start, eq]
    i = int(np.argmax(dd))
    end = float(windows[-1]["oos_end_equity"]) if windows else start
    return {
        "windows": len(windows),
        "start_balance": start,
        "final_equity": end,
        "net_profit": end - start,
        "return_pct": (end / start - 1.0) * 100.0,
        "max_drawdown": float(dd[i]),
        "max_drawdown_pct": float(dd[i] / peak[i] * 100.0) if peak[i] > 0 else 0.0,
        "total_trades": int(sum(w["oos_trades"] for w in windows)),
        "profitable_windows": int(sum(w["oos_net_profit"] > 0 for w in windows)),
    }
