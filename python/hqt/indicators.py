"""Native indicators: computed by the engine, incrementally, read from callbacks.

Declare them in a strategy (in ``__init__`` or ``on_start``)::

    class SmaCross(hqt.Strategy):
        def __init__(self):
            self.fast = self.indicator(hqt.SMA, "IDX", hqt.M1, 10)
            self.slow = self.indicator(hqt.SMA, "IDX", hqt.M1, 30)

        def on_bar(self, engine, bar):
            if self.slow.ready and self.fast[0] > self.slow[0] >= ...:
                ...

or on an engine (``engine.indicator(hqt.RSI, "EURUSD", None, 14, source="mid")``).
The engine updates every indicator on each event of its symbol — every tick
(``timeframe`` None or 0; price ``source`` "bid", "ask" or "mid") or every bar
of its timeframe (loaded, built from ticks, or under a tick model; "close" by
default, or "open"/"high"/"low"; ATR, STOCH and DONCHIAN read each bar's high,
low and close) — *before* the strategy's callback for that event, in the core
(no Python per value). A single-output indicator is an
:class:`hqt.IndicatorLine`; BBANDS, MACD, STOCH and DONCHIAN give an
:class:`Indicator` whose outputs are lines (``bb.upper``, ``macd.signal``,
``stoch.k``...). ``line[0]`` is the newest value, ``line[-1]`` the one
before, down to ``-(history - 1)``; values are NaN until ``line.ready``
(warm-up: TA-Lib's lookback + 1 updates). Values follow TA-Lib's formulas
(docs/indicators.md lists them and the tests compare value by value).

A strategy's indicators are declared on the engine when ``run()`` starts
(before ``on_start``); reading one before that raises StateError. They stay
on the engine afterwards (and in its snapshots: a run recovered from the
write-ahead log and resumed gets them back warm).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hqt import _hqt
from hqt.constants import IndicatorKind, PriceSource
from hqt.errors import InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from hqt._hqt import IndicatorLine
    from hqt.engine import Engine

__all__ = [
    "TICKS",
    "Indicator",
    "IndicatorLine",
    "OUTPUT_NAMES",
    "PRICE_OVERLAY",
    "declare",
    "bind",
]

#: ``timeframe`` of an indicator on ticks.
TICKS = 0

#: Names of the outputs of the multi-output kinds, in TA-Lib's order.
OUTPUT_NAMES: dict[IndicatorKind, tuple[str, ...]] = {
    IndicatorKind.BBANDS: ("upper", "middle", "lower"),
    IndicatorKind.MACD: ("macd", "signal", "hist"),
    IndicatorKind.STOCH: ("k", "d"),
    IndicatorKind.DONCHIAN: ("upper", "middle", "lower"),
}

#: Kinds drawn on the price by ``result.plot()`` (the others in a panel below).
PRICE_OVERLAY = frozenset(
    {
        IndicatorKind.SMA,
        IndicatorKind.EMA,
        IndicatorKind.WMA,
        IndicatorKind.BBANDS,
        IndicatorKind.DONCHIAN,
        IndicatorKind.HIGHEST,
        IndicatorKind.LOWEST,
    }
)

SymbolRef = int | str


class Indicator:
    """A native indicator with several outputs; each is an :class:`hqt.IndicatorLine`
    attribute (``upper``/``middle``/``lower``, ``macd``/``signal``/``hist``, ``k``/``d``).
    ``ind[i]`` reads the first output; ``ready`` and ``count`` are the lines'."""

    def __init__(self, kind: IndicatorKind, lines: Sequence[IndicatorLine]) -> None:
        self.kind = kind
        self.lines = tuple(lines)
        for name, line in zip(OUTPUT_NAMES[kind], self.lines, strict=True):
            setattr(self, name, line)

    def __getitem__(self, i: int) -> float:
        return self.lines[0][i]

    @property
    def ready(self) -> bool:
        return self.lines[0].ready

    @property
    def count(self) -> int:
        return self.lines[0].count

    def __repr__(self) -> str:
        names = OUTPUT_NAMES[self.kind]
        if not self.lines[0].bound:
            return f"<Indicator {self.kind.name} (unbound)>"
        values = ", ".join(
            f"{n}={line.value:.6g}" for n, line in zip(names, self.lines, strict=True)
        )
        return f"<Indicator {self.kind.name} {values}>"


@dataclass
class _Request:
    """One declaration, kept until (and after) it is bound to an engine."""

    kind: IndicatorKind
    symbol: SymbolRef
    timeframe: int
    source: int
    params: tuple[float, ...]
    history: int
    lines: tuple[IndicatorLine, ...]
    label: str
    handle: Any = field(default=None)


def _source_code(source: str | int | None) -> int:
    if source is None:
        return -1
    if isinstance(source, str):
        try:
            return int(PriceSource[source.upper()])
        except KeyError:
            raise InvalidArgumentError(
                f"unknown price source {source!r}: bid, ask or mid on ticks; "
                "open, high, low or close on bars"
            ) from None
    return int(PriceSource(source))


def _request(
    kind: int,
    symbol: SymbolRef,
    timeframe: int | None,
    params: Sequence[float],
    source: str | int | None,
    history: int,
) -> _Request:
    try:
        k = IndicatorKind(kind)
    except ValueError:
        raise InvalidArgumentError(
            f"unknown indicator kind {kind!r} (hqt.SMA, hqt.EMA, ... hqt.LOWEST)"
        ) from None
    if isinstance(history, bool) or not isinstance(history, int):
        raise TypeError(f"history must be an int, not {type(history).__name__}")
    if not 1 <= history <= 1_000_000:
        raise InvalidArgumentError(f"history must be 1...1000000, got {history}")
    tf = 0 if timeframe is None else int(timeframe)
    where = "ticks" if tf == 0 else f"M{tf}" if tf < 60 else f"{tf} min"
    label = f"{k.name}({', '.join(f'{p:g}' for p in params)}) {symbol} {where}"
    if source is not None:
        label += f" {source}"
    outputs = OUTPUT_NAMES.get(k, ("value",))
    lines = tuple(
        _hqt._indicator_line(label if len(outputs) == 1 else f"{label}.{name}", i)
        for i, name in enumerate(outputs)
    )
    req = _Request(
        k, symbol, tf, _source_code(source), tuple(float(p) for p in params), history, lines, label
    )
    req.handle = lines[0] if len(lines) == 1 else Indicator(k, lines)
    return req


def _add(engine: Engine, req: _Request) -> None:
    sid = engine.symbol_id(req.symbol)
    ind_id = _hqt._indicator_add(
        engine, int(req.kind), sid, req.timeframe, req.source, req.params, req.history
    )
    for line in req.lines:
        _hqt._indicator_bind(line, engine, ind_id)
    registry: dict[int, tuple[str, IndicatorKind, int]] = engine.__dict__.setdefault(
        "_indicators", {}
    )
    registry[ind_id] = (req.label, req.kind, sid)


def declare(
    engine: Engine,
    kind: int,
    symbol: SymbolRef,
    timeframe: int | None,
    *params: float,
    source: str | int | None = None,
    history: int = 64,
) -> Any:
    """Declares an indicator on `engine` now; returns its line (or :class:`Indicator`)."""
    req = _request(kind, symbol, timeframe, params, source, history)
    _add(engine, req)
    return req.handle


def request(
    strategy: object,
    kind: int,
    symbol: SymbolRef,
    timeframe: int | None,
    params: Sequence[float],
    source: str | int | None,
    history: int,
) -> Any:
    """A strategy's declaration: bound now if the strategy runs, else when run() starts."""
    req = _request(kind, symbol, timeframe, params, source, history)
    reqs: list[_Request] | None = getattr(strategy, "_hqt_indicators", None)
    if reqs is None:
        reqs = []
        strategy._hqt_indicators = reqs  # type: ignore[attr-defined]
    reqs.append(req)
    engine = _bound_engine(strategy)
    if engine is not None and not engine.disposed:
        _add(engine, req)
    return req.handle


def _bound_engine(strategy: object) -> Engine | None:
    ref = getattr(strategy, "_hqt_engine", None)
    return None if ref is None else ref()


def bind(strategy: object, engine: Engine) -> None:
    """Declares the strategy's indicators on `engine` (run() calls this before on_start)."""
    reqs: list[_Request] | None = getattr(strategy, "_hqt_indicators", None)
    same = _bound_engine(strategy) is engine
    if reqs:
        for req in reqs:
            if not (same and req.lines[0].bound):
                _add(engine, req)
    if not same:
        # A weak reference: a strategy must not keep its engine alive (the
        # lines of its indicators do, while they exist).
        try:
            strategy._hqt_engine = weakref.ref(engine)  # type: ignore[attr-defined]
        except (AttributeError, TypeError):  # pragma: no cover - __slots__, no weakrefs
            pass


def sketches(engine: Engine) -> dict[str, tuple[Any, Any, IndicatorKind, int]]:
    """The plot sketches of the indicators declared from Python: label ->
    (times ns int64, values float64 of shape (n, outputs), kind, symbol id)."""
    import numpy as np

    out: dict[str, tuple[Any, Any, IndicatorKind, int]] = {}
    registry: dict[int, tuple[str, IndicatorKind, int]] = engine.__dict__.get("_indicators", {})
    for ind_id, (label, kind, sid) in registry.items():
        times, values, outputs = _hqt._indicator_sketch(engine, ind_id)
        t = np.frombuffer(times, dtype=np.int64)
        v = np.frombuffer(values, dtype=np.float64).reshape(len(t), outputs)
        out[label] = (t, v, kind, sid)
    return out
