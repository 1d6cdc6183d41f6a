"""Strategies compiled with numba: Python syntax, native speed.

The callbacks are ``numba.njit`` functions. :func:`strategy` compiles each
into a C callback of the C ABI's ``hqt_strategy_v2`` (what ``numba.cfunc``
builds, but with the user function inlined into it: one machine function per
callback), and :meth:`hqt.Engine.run` hands their addresses to the engine: on
every tick the engine calls compiled code directly, with no interpreter in
between. The compiled code reads the engine's state from its hot counters
(``hqt_state_view``, plain memory loads) and trades through the C ABI's order
functions, called as ``ctypes`` function pointers from nopython code — the
pattern hftbacktest uses for its numba strategies. numba is an optional
extra (``pip install numba``); see docs/strategies.md.

Example: buy when flat, close after 1,000 ticks::

    import numba, numpy as np
    import hqt
    from hqt import numba as hn

    @numba.njit
    def on_tick(ctx, tick, state):
        state[0] += 1
        v = hn.engine_state(ctx)
        if v.positions == 0:
            hn.buy(ctx, tick.symbol_id, 100_000)      # 0.1 lot (micro lots)
            state[0] = 0
        elif state[0] >= 1000:
            hn.close(ctx, ctx.ticket)
        return 0                                      # non-zero stops the run

    result = engine.run(hn.strategy(on_tick=on_tick, state=np.zeros(1)))

Callbacks and their arguments (all integers are SPEC micro units: price,
money and volume x 1e6, time in ns):

* ``on_tick(ctx, tick, state)``: ``tick`` a record of :data:`TICK`
  (``symbol_id``, ``time``, ``bid``, ``ask``);
* ``on_bar(ctx, bar, state)``: :data:`BAR` (``symbol_id``, ``timeframe``,
  ``time``, ``open``, ``high``, ``low``, ``close``, ``volume``);
* ``on_trade(ctx, deal, state)``: :data:`DEAL` (the fields of ``hqt_deal``);
* ``on_start(ctx, state)``, ``on_stop(ctx, state)``.

Each returns an int: 0 goes on, anything else stops the run (run() then
raises :class:`hqt.CallbackError`); an exception raised in nopython code
(IndexError with ``boundscheck=True``, ZeroDivisionError...) is printed and
stops the run the same way (the callback "returned -1"). ``state`` is the
1-D numpy array given to :func:`strategy` (any numeric or structured dtype),
passed by reference: what the callbacks write is in the caller's array after
the run. ``ctx`` is a record of :data:`CONTEXT`: ``ctx.ticket`` is the ticket
of the last :func:`buy` / :func:`sell`, ``ctx.status`` the status of the last
order call (0 = HQT_OK; the message is :func:`hqt.last_error` after the run).
"""

from __future__ import annotations

import ctypes
import os
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from hqt import _hqt
from hqt._optional import require

__all__ = [
    "TICK",
    "BAR",
    "DEAL",
    "VIEW",
    "SYMBOL",
    "CONTEXT",
    "NativeStrategy",
    "strategy",
    "engine_state",
    "symbol",
    "buy",
    "sell",
    "close",
]

_i8, _u8, _u4, _i4 = np.int64, np.uint64, np.uint32, np.int32

#: hqt_tick
TICK = np.dtype(
    {"names": ["symbol_id", "time", "bid", "ask"], "formats": [_u4, _i8, _i8, _i8]}, align=True
)
#: hqt_bar
BAR = np.dtype(
    {
        "names": ["symbol_id", "timeframe", "time", "open", "high", "low", "close", "volume"],
        "formats": [_u4, _i4, _i8, _i8, _i8, _i8, _i8, _i8],
    },
    align=True,
)
#: hqt_deal
DEAL = np.dtype(
    {
        "names": [
            "ticket", "order", "position", "symbol_id", "type", "entry", "reason", "time",
            "volume", "price", "commission", "profit", "balance", "magic",
        ],
        "formats": [_u8, _u8, _u8, _u4, _i4, _i4, _i4, _i8, _i8, _i8, _i8, _i8, _i8, _u8],
    },
    align=True,
)  # fmt: skip
#: hqt_state_view: the engine's hot counters (``symbols`` is an address).
VIEW = np.dtype(
    [
        ("time", _i8), ("balance", _i8), ("equity", _i8), ("profit", _i8), ("margin", _i8),
        ("positions", _i8), ("orders", _i8), ("book_version", _u8), ("symbol_count", _i8),
        ("symbols", _u8),
    ]
)  # fmt: skip
#: hqt_symbol_view: one symbol's open positions, summed.
SYMBOL = np.dtype(
    [("positions", _i8), ("buy_volume", _i8), ("sell_volume", _i8), ("net_volume", _i8)]
)
#: What callbacks get as ``ctx``: the engine handle, the hot counters' address,
#: this record's own address, the last ticket and order status.
CONTEXT = np.dtype([("engine", _u8), ("hot", _u8), ("self", _u8), ("ticket", _u8), ("status", _i8)])

_nb = require("numba", "hqt.numba (strategies compiled with numba)")
_types = _nb.types
_intrinsic = require("numba.extending", "hqt.numba").intrinsic
_ir = require("llvmlite.ir", "hqt.numba")  # numba's own dependency
_compiler_lock = require("numba.core.compiler_lock", "hqt.numba").global_compiler_lock


@_intrinsic
def _ptr(typingctx: Any, addr: Any) -> Any:
    """An integer address as a void pointer (nopython code has no cast for it)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.inttoptr(args[0], context.get_value_type(_types.voidptr))

    return _types.voidptr(addr), codegen


def _c_functions() -> dict[str, Any]:
    """The C ABI's order functions as ctypes function pointers (numba calls them)."""
    # The extension has loaded this libhqt.so already: the same library.
    lib = ctypes.CDLL(os.path.join(os.path.dirname(_hqt.__file__), "libhqt.so"))
    c = ctypes
    sigs = {
        "hqt_engine_buy": [c.c_void_p, c.c_uint32, c.c_int64, c.c_int64, c.c_int64, c.c_void_p],
        "hqt_engine_sell": [c.c_void_p, c.c_uint32, c.c_int64, c.c_int64, c.c_int64, c.c_void_p],
        "hqt_engine_close": [c.c_void_p, c.c_uint64, c.c_int64],
    }
    out = {}
    for name, args in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, c.c_int32
        out[name] = fn
    return out


_C = _c_functions()
_c_buy, _c_sell, _c_close = _C["hqt_engine_buy"], _C["hqt_engine_sell"], _C["hqt_engine_close"]
_TICKET_OFFSET: int = CONTEXT.fields["ticket"][1] if CONTEXT.fields else 0


@_nb.njit(inline="always")
def engine_state(ctx: Any) -> Any:
    """The engine's hot counters (a :data:`VIEW` record): ``positions``,
    ``orders``, ``balance``, ``equity``, ``profit``, ``margin``, ``time``,
    ``book_version``; free margin is ``equity - margin``."""
    return _nb.carray(_ptr(ctx.hot), 1, VIEW)[0]


@_nb.njit(inline="always")
def symbol(ctx: Any, symbol_id: int) -> Any:
    """One symbol's open positions (a :data:`SYMBOL` record: ``positions``,
    ``buy_volume``, ``sell_volume``, ``net_volume``); symbol_id must be a
    symbol added to the engine (below ``engine_state(ctx).symbol_count``)."""
    v = _nb.carray(_ptr(ctx.hot), 1, VIEW)[0]
    return _nb.carray(_ptr(v.symbols), v.symbol_count, SYMBOL)[symbol_id]


@_nb.njit(inline="always")
def buy(ctx: Any, symbol_id: int, volume: int, sl: int = 0, tp: int = 0) -> int:
    """Market buy of `volume` micro lots (sl/tp prices x 1e6, 0 = none);
    returns the status (0 = OK) and stores the ticket in ``ctx.ticket``."""
    st = _c_buy(_ptr(ctx.engine), symbol_id, volume, sl, tp, _ptr(ctx.self + _TICKET_OFFSET))
    ctx.status = st
    return st


@_nb.njit(inline="always")
def sell(ctx: Any, symbol_id: int, volume: int, sl: int = 0, tp: int = 0) -> int:
    """Market sell; as :func:`buy`."""
    st = _c_sell(_ptr(ctx.engine), symbol_id, volume, sl, tp, _ptr(ctx.self + _TICKET_OFFSET))
    ctx.status = st
    return st


@_nb.njit(inline="always")
def close(ctx: Any, ticket: int, volume: int = 0) -> int:
    """Closes a position at market (volume 0 = all of it); returns the status."""
    st = _c_close(_ptr(ctx.engine), ticket, volume)
    ctx.status = st
    return st


_SIG_EVENT = _types.int32(_types.voidptr, _types.voidptr, _types.voidptr)
_SIG_PLAIN = _types.int32(_types.voidptr, _types.voidptr)

#: What a callback returns to the engine when it raised (an IndexError with
#: ``boundscheck=True``, a ZeroDivisionError...): the run stops with
#: CallbackError ("returned -1") after the exception is printed.
_RAISED = -1


class _Entry:
    """One compiled callback: the C function the engine calls (``address``)
    and the code library that holds it (kept alive with this object)."""

    def __init__(self, library: Any, name: str) -> None:
        self._library = library
        self.name = name
        self.address: int = library.get_pointer_to_function(name)

    def inspect_llvm(self) -> str:
        """The LLVM IR of the callback (the user function inlined in it)."""
        return str(self._library.get_llvm_str())

    def inspect_asm(self) -> str:
        """The machine code of the callback, as assembly."""
        return str(self._library.get_asm_str())


def _inlinable(fn: Any) -> Any:
    """A copy of the user's njit function that LLVM must inline into its caller.

    numba's cfunc wrapper calls its function through numba's calling
    convention (return slot, exception slot, each array as 7 arguments) and
    marks that call noinline; the user function is one more such call. For a
    small strategy that plumbing costs more than the strategy (107 of the 172
    instructions a bar of the race's SMA crossover, callgrind). ``forceinline`` (numba's
    ``alwaysinline``) lets LLVM merge the user function, the unpacking of the
    context and state, and the C entry into one function. The user's own
    options (fastmath, boundscheck, error_model...) are kept.
    """
    py_func = getattr(fn, "py_func", None)
    options = getattr(fn, "targetoptions", None)
    if py_func is None or options is None:
        return fn  # not a numba dispatcher: numba reports what it is on compile
    copy = _INLINABLE.get(fn)
    if copy is None:  # one copy per function: strategy() again reuses its compilation
        copy = _nb.jit(**{**options, "nopython": True, "forceinline": True})(py_func)
        _INLINABLE[fn] = copy
    return copy


#: The user's dispatcher -> its forceinline copy (dropped with the dispatcher).
_INLINABLE: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _c_entry(body: Any, sig: Any, label: str) -> _Entry:
    """Compiles ``body`` (an njit function of the C signature ``sig``) and a C
    entry point around it that calls it inlined.

    This is what ``numba.cfunc`` builds, minus its ``noinline`` on the call
    and with a different error path: when the body raised, the exception is
    printed as cfunc prints it, and the callback returns -1 (_RAISED) so the
    run stops (cfunc would return 0, and the run would go on with a strategy
    that failed halfway through a bar). It uses numba's code generation as
    cfunc does (``CPUContext.create_cfunc_wrapper``): the same calls, present
    in every numba from 0.56 (``forceinline``) on; the extra requires 0.60.
    """
    with _compiler_lock:  # numba's codegen requires it, as cfunc takes it
        return _build_entry(body, sig, label)


def _build_entry(body: Any, sig: Any, label: str) -> _Entry:
    cres = body.get_compile_result(sig)
    ctx, fndesc = cres.target_context, cres.fndesc
    name = "hqt." + fndesc.mangled_name
    library = ctx.codegen().create_library(name)
    module = library.create_ir_module(name)
    callee = _ir.Function(
        module, ctx.call_conv.get_function_type(fndesc.restype, fndesc.argtypes),
        fndesc.llvm_func_name,
    )  # fmt: skip
    argtypes = [ctx.get_value_type(t) for t in sig.args]
    entry = _ir.Function(module, _ir.FunctionType(_ir.IntType(32), argtypes), name)
    builder = _ir.IRBuilder(entry.append_basic_block("entry"))
    status, out = ctx.call_conv.call_function(
        builder, callee, fndesc.restype, fndesc.argtypes, entry.args
    )
    with builder.if_then(status.is_error, likely=False):
        pyapi = ctx.get_python_api(builder)
        gil = pyapi.gil_ensure()
        ctx.call_conv.raise_error(builder, pyapi, status)
        text = pyapi.string_from_string(ctx.insert_const_string(module, label))
        pyapi.err_write_unraisable(text)
        pyapi.decref(text)
        pyapi.gil_release(gil)
        builder.ret(_ir.Constant(_ir.IntType(32), _RAISED))
    builder.ret(out)
    library.add_ir_module(module)
    library.add_linking_library(cres.library)
    library.finalize()
    return _Entry(library, name)


def _label(fn: Any) -> str:
    """How an exception raised in `fn` is introduced when it is printed."""
    return f"hqt.numba callback {getattr(fn, '__qualname__', fn)!s}"


def _event_callback(fn: Any, event_dtype: np.dtype, state_dtype: np.dtype, n: int) -> _Entry:
    user_fn = _inlinable(fn)

    @_nb.njit(forceinline=True)
    def on_event(engine, event, user):  # type: ignore[no-untyped-def]
        c = _nb.carray(user, 2, _u8)
        ctx = _nb.carray(_ptr(c[0]), 1, CONTEXT)[0]
        state = _nb.carray(_ptr(c[1]), n, state_dtype)
        return user_fn(ctx, _nb.carray(event, 1, event_dtype)[0], state)

    return _c_entry(on_event, _SIG_EVENT, _label(fn))


def _plain_callback(fn: Any, state_dtype: np.dtype, n: int) -> _Entry:
    user_fn = _inlinable(fn)

    @_nb.njit(forceinline=True)
    def on_call(engine, user):  # type: ignore[no-untyped-def]
        c = _nb.carray(user, 2, _u8)
        ctx = _nb.carray(_ptr(c[0]), 1, CONTEXT)[0]
        state = _nb.carray(_ptr(c[1]), n, state_dtype)
        return user_fn(ctx, state)

    return _c_entry(on_call, _SIG_PLAIN, _label(fn))


class NativeStrategy:
    """Compiled callbacks and their state, for :meth:`hqt.Engine.run`; made by
    :func:`strategy`. One strategy object may run on several engines, one at
    a time (the context is re-pointed at each run)."""

    def __init__(self, callbacks: dict[str, _Entry], state: np.ndarray) -> None:
        self.state = state
        self._cfuncs = callbacks  # kept alive: the engine holds their addresses
        self._ctx = np.zeros(1, CONTEXT)
        self._user = np.zeros(2, _u8)

    def inspect_asm(self, callback: str) -> str:
        """The machine code (assembly) of one callback, e.g. ``"on_bar"``: the
        user function inlined into the C entry the engine calls."""
        return self._entry(callback).inspect_asm()

    def inspect_llvm(self, callback: str) -> str:
        """The LLVM IR of one callback, e.g. ``"on_tick"``."""
        return self._entry(callback).inspect_llvm()

    def _entry(self, callback: str) -> _Entry:
        if callback not in self._cfuncs:
            raise KeyError(f"no {callback} in this strategy (it has {', '.join(self._cfuncs)})")
        return self._cfuncs[callback]

    @property
    def ticket(self) -> int:
        """``ctx.ticket`` after the run: the last ticket a callback's buy/sell got."""
        return int(self._ctx[0]["ticket"])

    def _hqt_native_(self, engine: Any) -> tuple[int, ...]:
        """(on_start, on_tick, on_bar, on_trade, on_stop, user_data) addresses."""
        ctx = self._ctx
        ctx[0]["engine"] = engine._handle_address()
        ctx[0]["hot"] = engine._state_view_address()
        ctx[0]["self"] = ctx.ctypes.data
        self._user[0] = ctx.ctypes.data
        self._user[1] = self.state.ctypes.data
        names = ("on_start", "on_tick", "on_bar", "on_trade", "on_stop")
        addrs = tuple(self._cfuncs[n].address if n in self._cfuncs else 0 for n in names)
        return (*addrs, int(self._user.ctypes.data))


def strategy(
    *,
    on_tick: Callable[..., int] | None = None,
    on_bar: Callable[..., int] | None = None,
    on_trade: Callable[..., int] | None = None,
    on_start: Callable[..., int] | None = None,
    on_stop: Callable[..., int] | None = None,
    state: np.ndarray | None = None,
) -> NativeStrategy:
    """Compiles ``numba.njit`` callbacks into a :class:`NativeStrategy`.

    ``state``: a 1-D C-contiguous numpy array the callbacks get as their last
    argument (default: ``np.zeros(1)``), shared, not copied. Compilation
    happens here (typically 0.5-2 s per callback), not in run().
    """
    if state is None:
        state = np.zeros(1)
    if not isinstance(state, np.ndarray) or state.ndim != 1 or not state.flags.c_contiguous:
        raise TypeError("state must be a 1-D C-contiguous numpy array")
    if not state.flags.writeable:
        raise TypeError("state must be writeable")
    n, dt = len(state), state.dtype
    cbs: dict[str, _Entry] = {}
    events = {"on_tick": (on_tick, TICK), "on_bar": (on_bar, BAR), "on_trade": (on_trade, DEAL)}
    for name, (fn, event_dtype) in events.items():
        if fn is not None:
            cbs[name] = _event_callback(fn, event_dtype, dt, n)
    for name, fn in (("on_start", on_start), ("on_stop", on_stop)):
        if fn is not None:
            cbs[name] = _plain_callback(fn, dt, n)
    if not cbs:
        raise TypeError("strategy() needs at least one callback")
    return NativeStrategy(cbs, state)
