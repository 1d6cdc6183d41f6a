"""HQT through cffi's ABI mode: no compiler, no hqt Python package needed.

    python3 cffi_backtest.py PREFIX     # a C kit from scripts/install.sh --prefix PREFIX
    python3 cffi_backtest.py            # the library and header inside an installed hqt wheel

The same backtest as backtest.c (docs/c.md), with a Python on_tick callback.
"""

import sys

import cffi

ffi = cffi.FFI()
if len(sys.argv) > 1:  # the C kit: share/hqt/hqt.cdef is hqt.h made readable by cdef
    prefix = sys.argv[1]
    ffi.cdef(open(f"{prefix}/share/hqt/hqt.cdef").read())
    lib = ffi.dlopen(f"{prefix}/lib/libhqt.so")
else:  # the wheel
    import hqt

    ffi.cdef(hqt.cffi_cdef())
    lib = ffi.dlopen(hqt.get_library())


def micros(x: float) -> int:
    return round(x * 1_000_000)


def check(status: int) -> None:
    if status != lib.HQT_OK:
        name = ffi.string(lib.hqt_status_name(status)).decode()
        raise RuntimeError(f"{name}: {ffi.string(lib.hqt_last_error()).decode()}")


engine_p = ffi.new("hqt_engine **")
check(lib.hqt_engine_create(micros(10_000), b"USD", 100, engine_p))
engine = engine_p[0]

spec = ffi.new("hqt_symbol_spec *")
lib.hqt_symbol_spec_init(spec)
names = [ffi.new("char[]", s) for s in (b"EURUSD", b"EUR", b"USD")]  # kept alive
spec.name, spec.base_currency, spec.profit_currency = names
spec.margin_currency = names[1]
symbol = ffi.new("uint32_t *")
check(lib.hqt_engine_add_symbol(engine, spec, symbol))

n = 20_000
time = ffi.new("int64_t[]", [1_704_153_600_000_000_000 + i * 100_000_000 for i in range(n)])
bid = ffi.new("double[]", [1.10 + 0.0003 * ((i // 500) % 7) for i in range(n)])
ask = ffi.new("double[]", [b + 0.00002 for b in bid])
check(lib.hqt_engine_load_ticks_f64(engine, symbol[0], time, bid, ask, n))

trades = 0


@ffi.callback("int(hqt_engine *, const hqt_tick *, void *)")
def on_tick(eng, tick, user_data):
    global trades
    count = ffi.new("size_t *")
    if lib.hqt_engine_positions(eng, ffi.NULL, 0, count) != lib.HQT_OK:
        return 1
    if count[0] == 0 and tick.ask > micros(1.1010):
        ticket = ffi.new("uint64_t *")
        sl, tp = tick.bid - micros(0.0010), tick.bid + micros(0.0005)
        if lib.hqt_engine_buy(eng, tick.symbol_id, micros(0.1), sl, tp, ticket) == lib.HQT_OK:
            trades += 1
    return 0


strategy = ffi.new("hqt_strategy_v2 *")
check(lib.hqt_strategy_v2_init(strategy, ffi.sizeof("hqt_strategy_v2")))
strategy.on_tick = on_tick
check(lib.hqt_engine_run_v2(engine, strategy))

stats = ffi.new("hqt_statistics *")
check(lib.hqt_engine_statistics(engine, stats))
print(f"HQT {ffi.string(lib.hqt_version()).decode()}: trades {trades} deals {stats.total_deals}")
print(f"net profit {stats.net_profit / 1e6:.2f} USD")
status = lib.hqt_engine_buy(engine, 99, micros(0.1), 0, 0, ffi.new("uint64_t *"))
print("buy on symbol 99:", ffi.string(lib.hqt_status_name(status)).decode())
check(lib.hqt_engine_destroy(engine))
print("ok")
