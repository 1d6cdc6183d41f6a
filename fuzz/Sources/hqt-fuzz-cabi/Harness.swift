import CHQTABI
import FuzzSupport

// The C ABI fuzz target: the input is a program, one call per step (see
// `step`), run against up to three live engines. Every status must be a
// documented one with a message; a trap, a sanitizer report or a status
// outside the table is a crash for libFuzzer. docs/fuzzing.md.

/// State of one input's program. Global because strategy callbacks are C
/// function pointers without captures; libFuzzer runs one input at a time.
nonisolated(unsafe) var input = FuzzInput(nil, 0)
nonisolated(unsafe) var engines: [OpaquePointer] = []
nonisolated(unsafe) var destroyed: [OpaquePointer] = []
nonisolated(unsafe) var tickets: [UInt64] = []
nonisolated(unsafe) var clock: Int64 = 1_704_153_600_000_000_000
/// Engines inside run(), process_event(), flush_bars() or run_source(),
/// innermost last: a callback of one engine may drive another.
nonisolated(unsafe) var running: [OpaquePointer] = []
/// Steps taken from inside callbacks, bounded so a run over loaded data stays short.
nonisolated(unsafe) var callbackSteps = 0

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    input = FuzzInput(data, count)
    callbackSteps = 0
    clock = 1_704_153_600_000_000_000
    tickets.removeAll(keepingCapacity: true)
    var steps = 0
    while !input.isAtEnd && steps < 400 {
        step(inCallback: nil)
        steps += 1
    }
    for e in engines { check(hqt_engine_destroy(e), "hqt_engine_destroy") }
    for e in engines + destroyed { checkRefused(hqt_engine_destroy(e), "hqt_engine_destroy (twice)") }
    engines.removeAll(keepingCapacity: true)
    destroyed.removeAll(keepingCapacity: true)
    return 0
}

/// One C call chosen by the next input byte. `inCallback` is the engine whose
/// strategy callback is running, if any: it is the usual target then, since
/// that is what a strategy calls (and destroying it or re-entering run()
/// must be refused with HQT_E_BUSY, see `running`).
func step(inCallback busy: OpaquePointer?) {
    let op = input.byte()
    if op < 16 { return lifecycle(op) }
    guard let e = pickEngine(busy: busy) else { return }
    switch op % 8 {
    case 0: configure(e)
    case 1: loadData(e)
    case 2: drive(e)
    case 3, 4: trade(e)
    case 5: query(e)
    case 6: rules()
    default: misuse(e)
    }
}

func pickEngine(busy: OpaquePointer?) -> OpaquePointer? {
    if let busy, input.byte() < 192 { return busy }
    return engines.isEmpty ? nil : engines[Int(input.byte()) % engines.count]
}

func lifecycle(_ op: UInt8) {
    switch op % 4 {
    case 0 where engines.count < 3:
        let currencies = ["USD", "EUR", "JPY", "usd", "", "USDX", "€€€", "XAU"]
        var out: OpaquePointer?
        let balance = input.value(near: 10_000_000_000, spread: 1_000_000_000)
        let leverage = input.value(near: 100, spread: 100)
        let status = hqt_engine_create(balance, currencies[Int(input.byte() % 8)], leverage, &out)
        check(status, "hqt_engine_create")
        if status == 0 {
            guard let out else { fail("hqt_engine_create: HQT_OK without a handle") }
            engines.append(out)
        } else if out != nil {
            fail("hqt_engine_create failed but set *out_engine")
        }
    case 1 where !engines.isEmpty:
        let i = Int(input.byte()) % engines.count
        let status = hqt_engine_destroy(engines[i])
        check(status, "hqt_engine_destroy")
        if running.contains(engines[i]) {
            if status != 12 { fail("hqt_engine_destroy from its own callback returned \(status), not HQT_E_BUSY") }
        } else if status == 0 {
            destroyed.append(engines.remove(at: i))
        } else {
            fail("hqt_engine_destroy of a live idle engine failed: \(lastError())")
        }
    case 2: check(hqt_engine_create(0, nil, 1, nil), "hqt_engine_create(NULL)")
    default: check(hqt_engine_destroy(nil), "hqt_engine_destroy(NULL)")
    }
}

func configure(_ e: OpaquePointer) {
    switch input.byte() % 4 {
    case 0: check(hqt_engine_set_account_mode(e, Int32(input.byte()) - 1), "hqt_engine_set_account_mode")
    case 1:
        let call = input.value(near: 100_000_000, spread: 100_000_000)
        check(
            hqt_engine_set_margin_levels(e, call, input.value(near: 50_000_000, spread: 50_000_000)),
            "hqt_engine_set_margin_levels")
    case 2:
        check(
            hqt_engine_set_equity_interval(e, input.value(near: 60_000_000_000, spread: 60_000_000_000)),
            "hqt_engine_set_equity_interval")
    default: addSymbol(e)
    }
}

let symbolNames = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "EURUSD", "", "A_VERY_LONG_SYMBOL_NAME_OVER_32_BYTES"]
let currencyNames = ["EUR", "USD", "GBP", "JPY", "XAU", "", "CHFX"]

func addSymbol(_ e: OpaquePointer) {
    let name = symbolNames[Int(input.byte()) % symbolNames.count]
    let base = currencyNames[Int(input.byte()) % currencyNames.count]
    let profit = currencyNames[Int(input.byte()) % currencyNames.count]
    let margin: String? = input.bool() ? nil : currencyNames[Int(input.byte()) % currencyNames.count]
    var spec = hqt_symbol_spec()
    hqt_symbol_spec_init(&spec)
    if input.bool() { spec.contract_size = input.value(near: 100_000_000_000, spread: 100_000_000_000) }
    if input.bool() { spec.digits = Int32(input.byte()) - 2 }
    if input.bool() { spec.margin_mode = Int32(input.byte() % 3) }
    if input.bool() { spec.volume_min = input.value(near: 10_000, spread: 10_000) }
    if input.bool() { spec.volume_step = input.value(near: 10_000, spread: 10_000) }
    if input.bool() { spec.volume_max = input.value(near: 100_000_000, spread: 100_000_000) }
    if input.bool() { spec.commission_per_lot = input.value(near: 3_500_000, spread: 3_500_000) }
    if input.bool() { spec.spread = input.value(near: 20, spread: 100) }
    var id: UInt32 = 0
    name.withCString { n in
        base.withCString { b in
            profit.withCString { p in
                withOptionalCString(margin) { m in
                    spec.name = n
                    spec.base_currency = b
                    spec.profit_currency = p
                    spec.margin_currency = m
                    if input.bool() {
                        check(hqt_engine_add_symbol(e, &spec, &id), "hqt_engine_add_symbol")
                    } else {
                        var v2 = hqt_symbol_spec_v2()
                        check(
                            hqt_symbol_spec_v2_init(&v2, MemoryLayout<hqt_symbol_spec_v2>.size),
                            "hqt_symbol_spec_v2_init")
                        v2.name = n
                        v2.base_currency = b
                        v2.profit_currency = p
                        v2.margin_currency = m
                        v2.contract_size = spec.contract_size
                        v2.digits = spec.digits
                        v2.margin_mode = spec.margin_mode
                        v2.volume_min = spec.volume_min
                        v2.volume_step = spec.volume_step
                        v2.volume_max = spec.volume_max
                        v2.commission_per_lot = spec.commission_per_lot
                        v2.spread = spec.spread
                        check(hqt_engine_add_symbol_v2(e, &v2, &id), "hqt_engine_add_symbol_v2")
                    }
                }
            }
        }
    }
}

func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// A symbol id: mostly one that exists (0...3), sometimes any.
func symbolID() -> UInt32 { input.byte() < 240 ? UInt32(input.byte() % 4) : input.u32() }

/// A time that usually moves forward, as market data does.
func nextTime() -> Int64 {
    switch input.byte() % 16 {
    case 0: return input.value(near: clock, spread: 1_000_000_000_000)
    case 1: return clock
    default:
        clock &+= Int64(input.u16()) * 100_000_000
        return clock
    }
}

let timeframes: [Int32] = [1, 5, 15, 30, 60, 240, 1440, 10080, 43200, 0, 2, -1]

func loadData(_ e: OpaquePointer) {
    let symbol = symbolID()
    let n = Int(input.byte() % 16)
    switch input.byte() % 6 {
    case 0:
        var time = [Int64](), bid = [Int64](), ask = [Int64]()
        for _ in 0..<n {
            time.append(nextTime())
            let b = input.value(near: 1_100_000, spread: 20_000)
            bid.append(b)
            ask.append(input.byte() < 240 ? b &+ Int64(input.byte()) : input.value(near: b, spread: 100))
        }
        check(hqt_engine_load_ticks(e, symbol, time, bid, ask, n), "hqt_engine_load_ticks")
    case 1:
        var time = [Int64](), bid = [Double](), ask = [Double]()
        for _ in 0..<n {
            time.append(nextTime())
            let b = input.double(near: 1.1)
            bid.append(b)
            ask.append(input.byte() < 240 ? b + Double(input.byte()) * 1e-6 : input.double(near: 1.1))
        }
        check(hqt_engine_load_ticks_f64(e, symbol, time, bid, ask, n), "hqt_engine_load_ticks_f64")
    case 2, 3:
        let tf = timeframes[Int(input.byte()) % timeframes.count]
        var t = [Int64](), o = [Int64](), h = [Int64](), l = [Int64](), c = [Int64](), v = [Int64]()
        var ft = [Double](), fo = [Double](), fh = [Double](), fl = [Double](), fc = [Double](), fv = [Double]()
        for _ in 0..<n {
            t.append(nextTime() / 60_000_000_000 * 60_000_000_000)
            let p = input.value(near: 1_100_000, spread: 20_000)
            o.append(p)
            h.append(p &+ Int64(input.byte()))
            l.append(p &- Int64(input.byte()))
            c.append(input.bool() ? p : input.value(near: p, spread: 50))
            v.append(input.value(near: 1_000_000, spread: 1_000_000))
            ft.append(0)
            fo.append(Double(o.last!) / 1e6)
            fh.append(input.byte() < 250 ? Double(h.last!) / 1e6 : input.double(near: 1.1))
            fl.append(Double(l.last!) / 1e6)
            fc.append(Double(c.last!) / 1e6)
            fv.append(input.double(near: 1))
        }
        if input.bool() {
            check(hqt_engine_load_bars(e, symbol, tf, t, o, h, l, c, v, n), "hqt_engine_load_bars")
        } else {
            check(hqt_engine_load_bars_f64(e, symbol, tf, t, fo, fh, fl, fc, fv, n), "hqt_engine_load_bars_f64")
        }
    case 4:
        let tf = timeframes[Int(input.byte()) % timeframes.count]
        if input.bool() {
            check(hqt_engine_build_bars(e, symbol, tf), "hqt_engine_build_bars")
        } else {
            // -1 ... 6: bid, ask, mid and the refused rest (open ... close, negative)
            let price = Int32(input.byte() % 8) - 1
            check(hqt_engine_build_bars_v2(e, symbol, tf, price), "hqt_engine_build_bars_v2")
        }
    default:
        if input.byte() < 32 { check(hqt_engine_clear_data(e), "hqt_engine_clear_data") }
        var pending: UInt64 = 0
        check(hqt_engine_pending_events(e, &pending), "hqt_engine_pending_events")
    }
}
