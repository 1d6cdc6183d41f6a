"""The strategy base class (pure Python).

Subclass :class:`Strategy` and override any subset of the callbacks::

    class Breakout(hqt.Strategy):
        bars = [("EURUSD", hqt.M5)]          # bars built from ticks before the run

        def on_bar(self, engine, bar):
            if bar.close > self.level and not engine.positions:
                engine.buy(bar.symbol_id, 0.1, sl=bar.low)

    engine.run(Breakout())

Each callback is called with the engine that runs it and the event:
``on_tick(engine, tick)`` gets a :class:`hqt.Tick`, ``on_bar(engine, bar)`` a
:class:`hqt.Bar`, ``on_trade(engine, deal)`` a :class:`hqt.Deal` for every fill
(also SL/TP, stop-out and triggered pending orders), ``on_start(engine)`` and
``on_stop(engine)`` run once at the beginning and end of ``run()`` (``on_stop``
also after an error).

Order of calls: for each tick the engine first updates positions and orders
(SL/TP, pending orders, stop-out; their deals go to ``on_trade``), then calls
``on_tick``. A deal made by the strategy inside a callback (``engine.buy``...)
reaches ``on_trade`` right after that callback returns. If a callback raises,
the run stops after that event, ``on_stop`` is called, and ``run()`` re-raises
the exception unchanged; the events not yet processed stay loaded.

From a callback the strategy may trade and read state, but not change the
setup: ``run``, ``process_event``, ``flush_bars``, ``load_*``, ``clear_data``,
``add_symbol``, ``set_account_mode`` and ``dispose`` raise :class:`hqt.BusyError`.

Only callbacks that a subclass (or instance) actually overrides are wired to
the engine: the others cost nothing, so a strategy with only ``on_bar`` never
leaves native code for ticks.

The Tick/Bar/Deal objects are immutable. The engine may reuse an object for
the next event when no reference to it was kept, so keep the object itself
(not its ``id()``) if you need it later.

Bars from ticks: list ``(symbol, timeframe)`` pairs in the class (or
instance) attribute ``bars`` (symbol as id or name, timeframe in minutes,
e.g. ``hqt.M1``); ``Engine.run()`` calls ``engine.build_bars`` for each before
it starts. Calling ``engine.build_bars`` yourself before ``run()`` is the same.
Bars follow the bid (MT5's bars); a third item picks the price:
``bars = [("EURUSD", hqt.M1, "mid")]`` ("bid", "ask" or "mid", as
``build_bars(..., price=)``).

Resuming after a crash: ``engine.run(strategy, resume=True)`` continues a run
recovered from the write-ahead log (:meth:`hqt.Engine.recover_from_wal`).
Before it goes on live, it calls ``on_start`` and re-feeds the last
``warmup`` loaded events before the resume point to ``on_tick`` / ``on_bar``
with trading refused (``engine.warming_up`` is True and order calls raise
:class:`hqt.StateError`), so that indicators and other state kept in the
strategy are rebuilt. Set ``warmup`` (class or instance attribute, default
0) to the number of events your strategy needs, or pass ``warmup=`` to run().

Any object with some of these methods works as a strategy too; subclassing
:class:`Strategy` is only needed for the no-op defaults.

Mistakes that would make a strategy silently do nothing are reported when
it is run (``run()``, ``process_event()``, ``flush_bars()``, ``run_file()``):

* a method whose name starts with ``on_`` but is not a callback (``on_ticks``,
  ``on_bars``, ``on_trades``...), or looks like one without the underscore
  or in another case (``ontick``, ``onBar``, ``On_Tick``), raises
  :class:`hqt.InvalidArgumentError` with the callback it probably meant
  ("did you mean on_tick?"): the engine would never call it. An error, not
  a warning, because such a strategy never does what it was written for.
  Name helper methods without the ``on_`` prefix (or with ``_on_``).
* ``on_bar`` with nothing to feed it (no ``bars`` attribute, no bars loaded
  with ``load_bars`` and none built with ``build_bars``) warns with
  :class:`hqt.HQTWarning` at ``run()``: a warning, because bars may
  legitimately come later (``process_event`` with bars, a later load).
"""

from __future__ import annotations

import difflib
import numbers
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from hqt.errors import InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from hqt._hqt import Bar, Deal, Tick
    from hqt.engine import Engine

__all__ = [
    "Strategy",
    "CALLBACK_NAMES",
    "strategy_callbacks",
    "check_callback_names",
    "bar_price_code",
    "bar_requests",
]

#: The prices bars built from ticks can follow (``build_bars(price=)``), by
#: their ``hqt.PriceSource`` code.
BAR_PRICES: dict[str, int] = {"bid": 0, "ask": 1, "mid": 2}


def bar_price_code(price: object) -> int:
    """``"bid"``, ``"ask"`` or ``"mid"`` (any case), or ``hqt.PriceSource.BID`` /
    ``ASK`` / ``MID``, as the code the engine takes; anything else raises
    :class:`hqt.InvalidArgumentError` (a ValueError)."""
    code: int | None = None
    if isinstance(price, str):
        code = BAR_PRICES.get(price.lower())
    elif (
        isinstance(price, numbers.Integral) and not isinstance(price, bool) and 0 <= int(price) <= 2
    ):
        code = int(price)  # an int (numpy's too) or a PriceSource (IntEnum) BID, ASK, MID
    if code is None:
        raise InvalidArgumentError(
            f"bars are built from the 'bid', 'ask' or 'mid' of each tick, not {price!r}"
        )
    return code


def bar_requests(bars: object) -> list[tuple[int | str, int, int]]:
    """A strategy's ``bars`` (or ``run_file(bars=)``) as ``(symbol, timeframe,
    price code)``: ``(symbol, timeframe)`` pairs are bid bars, a third item
    is the price. A malformed entry raises :class:`hqt.InvalidArgumentError`."""
    out = []
    for item in bars or ():  # type: ignore[attr-defined]
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise InvalidArgumentError(
                f"bars entries are (symbol, timeframe) or (symbol, timeframe, price), "
                f"e.g. ('EURUSD', hqt.M1, 'mid'); got {item!r}"
            )
        price = bar_price_code(item[2]) if len(item) == 3 else 0
        out.append((item[0], item[1], price))
    return out


#: Callback names, in the order the native layer takes them.
CALLBACK_NAMES: tuple[str, ...] = (
    "on_start",
    "on_tick",
    "on_bar",
    "on_trade",
    "on_stop",
    "get_state",
    "set_state",
)


class Strategy:
    """Base class of trading strategies: every callback is a no-op."""

    #: ``(symbol id or name, timeframe in minutes)`` pairs whose bars run()
    #: builds from ticks and passes to on_bar (bid bars), or ``(symbol,
    #: timeframe, price)`` with price "bid", "ask" or "mid".
    bars: ClassVar[Sequence[tuple[int | str, int] | tuple[int | str, int, str]]] = ()

    #: Number of loaded events re-fed (with trading refused, ``engine.warming_up``
    #: True) before a resumed run (``run(strategy, resume=True)``) continues,
    #: so the strategy can rebuild its state. 0 = none.
    warmup: int = 0

    def indicator(
        self,
        kind: int,
        symbol: int | str,
        timeframe: int | None,
        *params: float,
        source: str | int | None = None,
        history: int = 64,
    ) -> Any:
        """Declares a native indicator computed by the engine (docs/indicators.md)::

            self.sma = self.indicator(hqt.SMA, "EURUSD", hqt.M5, 20)
            ...
            if self.sma.ready and bar.close > self.sma[0]: ...

        Arguments as :meth:`hqt.Engine.indicator`. Call it in ``__init__`` or
        ``on_start``: the indicator is declared on the engine when ``run()``
        starts (before ``on_start``), and updated by the engine before each
        callback of its symbol's ticks or bars.
        """
        from hqt import indicators

        return indicators.request(self, kind, symbol, timeframe, params, source, history)

    def on_start(self, engine: Engine) -> None:
        """Called once before the first event of run()."""

    def on_tick(self, engine: Engine, tick: Tick) -> None:
        """Called for every tick, after the engine updated positions and orders with it."""

    def on_bar(self, engine: Engine, bar: Bar) -> None:
        """Called for every loaded bar, and for each built bar when it closes."""

    def on_trade(self, engine: Engine, deal: Deal) -> None:
        """Called for every deal (fill), whatever caused it."""

    def on_stop(self, engine: Engine) -> None:
        """Called once after the last event of run(), also when run() fails."""

    def get_state(self, engine: Engine) -> bytes | None:
        """The strategy's own state, saved with every checkpoint the
        write-ahead log takes during a run (override together with
        :meth:`set_state`). A resumed run (``run(strategy, resume=True)``
        after ``recover_from_wal()``) then restores it and re-feeds the
        events since that checkpoint with trading refused: exact, with no
        ``warmup`` to guess. None: nothing saved."""
        return None

    def set_state(self, engine: Engine, state: bytes) -> None:
        """Restores what :meth:`get_state` returned at the checkpoint a
        recovered run resumes from."""


_BASE_FUNCS = {name: getattr(Strategy, name) for name in CALLBACK_NAMES}

Callbacks = tuple[Callable[..., Any] | None, ...]


_EVENT_CALLBACKS = ("on_start", "on_tick", "on_bar", "on_trade", "on_stop")


def _squash(name: str) -> str:
    return name.lower().replace("_", "")


_SQUASHED = {_squash(n): n for n in CALLBACK_NAMES}


def _misnamed(name: str) -> str | None:
    """Why `name` looks like a mistyped callback (None if it does not)."""
    if name in CALLBACK_NAMES or name.startswith("_"):
        return None
    squashed = _squash(name)
    if squashed in _SQUASHED:  # ontick, onTick, On_Tick, get_State...
        return f"did you mean {_SQUASHED[squashed]}?"
    if not name.lower().startswith("on_"):
        return None
    close = difflib.get_close_matches(name.lower(), _EVENT_CALLBACKS, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return f"the callbacks are {', '.join(_EVENT_CALLBACKS)}"


_CLASS_MISTAKES: weakref.WeakKeyDictionary[type, tuple[tuple[str, str], ...]] = (
    weakref.WeakKeyDictionary()
)


def _class_mistakes(cls: type) -> tuple[tuple[str, str], ...]:
    try:
        return _CLASS_MISTAKES[cls]
    except (KeyError, TypeError):
        pass
    out = []
    for name in dir(cls):
        hint = _misnamed(name)
        if hint is not None and callable(getattr(cls, name, None)):
            out.append((name, hint))
    found = tuple(out)
    try:
        _CLASS_MISTAKES[cls] = found
    except TypeError:  # pragma: no cover - a type that cannot be weakly referenced
        pass
    return found


def check_callback_names(strategy: object) -> None:
    """InvalidArgumentError if `strategy` has a method named like a callback
    that is not one (``on_ticks``, ``ontick``...): the engine would never call it."""
    # The class only: reading the instance's __dict__ would make CPython
    # (3.11+) give up its inline attribute values for that object, slowing
    # every `self.x` in the strategy's callbacks for the rest of the run.
    found = _class_mistakes(type(strategy))
    if found:
        name, hint = found[0]
        raise InvalidArgumentError(
            f"{type(strategy).__name__}.{name} is not a strategy callback, so the engine "
            f"would never call it: {hint} (rename helper methods so they do not start "
            "with on_)"
        )


def strategy_callbacks(strategy: object) -> Callbacks | None:
    """The bound callbacks of `strategy` that do something, in CALLBACK_NAMES order.

    A callback that is missing or is :class:`Strategy`'s own no-op is None.
    Returns None when no callback is left (or `strategy` is None).
    """
    if strategy is None:
        return None
    check_callback_names(strategy)
    found: list[Callable[..., Any] | None] = []
    for name in CALLBACK_NAMES:
        cb = getattr(strategy, name, None)
        if cb is not None and getattr(cb, "__func__", None) is _BASE_FUNCS[name]:
            cb = None
        if cb is not None and not callable(cb):
            raise TypeError(
                f"{type(strategy).__name__}.{name} must be callable, not {type(cb).__name__}"
            )
        found.append(cb)
    if all(cb is None for cb in found):
        return None
    return tuple(found)
