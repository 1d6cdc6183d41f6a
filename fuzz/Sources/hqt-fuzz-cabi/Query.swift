import CHQTABI
import FuzzSupport

// State queries (with short buffers: a list call must never write past
// `capacity`), the data rules without an engine, and handle misuse.

/// Calls a list function with a buffer of `capacity` items inside a larger
/// one whose tail must come back untouched.
func list<T>(
    _ zero: T, _ call: StaticString, _ body: (UnsafeMutablePointer<T>?, Int, UnsafeMutablePointer<Int>) -> Int32
) {
    let capacity = Int(input.byte() % 6)
    var buffer = [T](repeating: zero, count: capacity + 1)
    var count = -1
    let status = buffer.withUnsafeMutableBufferPointer { b in
        b.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: (capacity + 1) * MemoryLayout<T>.stride) { bytes in
            (bytes + capacity * MemoryLayout<T>.stride).initialize(repeating: 0xA5, count: MemoryLayout<T>.stride)
        }
        return body(capacity == 0 && input.bool() ? nil : b.baseAddress, capacity, &count)
    }
    check(status, call)
    let canary = buffer.withUnsafeBytes { Array($0[(capacity * MemoryLayout<T>.stride)...]) }
    if canary.contains(where: { $0 != 0xA5 }) { fail("\(call) wrote past capacity \(capacity)") }
    if status == 0 && count < 0 { fail("\(call) succeeded without setting *out_count") }
}

func query(_ e: OpaquePointer) {
    switch input.byte() % 13 {
    case 0:
        var a = hqt_account()
        check(hqt_engine_account(e, &a), "hqt_engine_account")
    case 1: list(hqt_position(), "hqt_engine_positions") { hqt_engine_positions(e, $0, $1, $2) }
    case 2:
        var p = hqt_position()
        check(hqt_engine_position(e, ticket(), &p), "hqt_engine_position")
    case 3: list(hqt_order(), "hqt_engine_orders") { hqt_engine_orders(e, $0, $1, $2) }
    case 4: list(hqt_order(), "hqt_engine_order_history") { hqt_engine_order_history(e, $0, $1, $2) }
    case 5: list(hqt_deal(), "hqt_engine_deals") { hqt_engine_deals(e, $0, $1, $2) }
    case 6: list(hqt_trade(), "hqt_engine_trades") { hqt_engine_trades(e, $0, $1, $2) }
    case 7: list(hqt_equity_point(), "hqt_engine_equity_curve") { hqt_engine_equity_curve(e, $0, $1, $2) }
    case 8:
        var s = hqt_statistics()
        check(hqt_engine_statistics(e, &s), "hqt_engine_statistics")
    case 9:
        var r = hqt_report()
        // A struct_size other than sizeof: older and newer callers, or garbage.
        let sizes = [MemoryLayout<hqt_report>.size, 8, 16, 0, 4097, MemoryLayout<hqt_report>.size - 8]
        let size = sizes[Int(input.byte()) % sizes.count]
        let status = hqt_report_init(&r, min(size, MemoryLayout<hqt_report>.size))
        check(status, "hqt_report_init")
        if input.byte() < 16 { r.struct_size = size }
        check(hqt_engine_report(e, &r), "hqt_engine_report")
    case 10:
        var info = hqt_symbol_info()
        check(hqt_engine_symbol_info(e, symbolID(), &info), "hqt_engine_symbol_info")
        if info.name.31 != 0 { fail("hqt_engine_symbol_info: name not NUL-terminated") }
    case 11:
        var id: UInt32 = 0
        check(
            hqt_engine_find_symbol(e, symbolNames[Int(input.byte()) % symbolNames.count], &id), "hqt_engine_find_symbol"
        )
        check(hqt_engine_find_symbol(e, nil, &id), "hqt_engine_find_symbol(NULL)")
    default:
        var n: UInt32 = 0
        var flag: Int32 = 0
        check(hqt_engine_symbol_count(e, &n), "hqt_engine_symbol_count")
        check(hqt_engine_warming_up(e, &flag), "hqt_engine_warming_up")
        check(hqt_engine_is_wal_enabled(e, &flag), "hqt_engine_is_wal_enabled")
        check(hqt_engine_is_broadcasting(e, &flag), "hqt_engine_is_broadcasting")
        check(hqt_engine_account(e, nil), "hqt_engine_account(NULL)")
    }
}

/// The data rules and bar periods that need no engine.
func rules() {
    let n = Int(input.byte() % 8)
    var time = [Int64](), a = [Int64](), b = [Int64](), c = [Int64](), d = [Int64](), v = [Int64]()
    var fa = [Double](), fb = [Double]()
    for _ in 0..<n {
        time.append(nextTime())
        a.append(input.value(near: 1_100_000, spread: 20_000))
        b.append(input.value(near: 1_100_000, spread: 20_000))
        c.append(input.value(near: 1_100_000, spread: 20_000))
        d.append(input.value(near: 1_100_000, spread: 20_000))
        v.append(input.value(near: 0, spread: 1_000_000))
        fa.append(input.double(near: 1.1))
        fb.append(input.double(near: 1.1))
    }
    let tf = input.byte() < 224 ? timeframes[Int(input.byte()) % timeframes.count] : Int32(bitPattern: input.u32())
    let previous = input.value(near: 0, spread: 1_000_000_000)
    var bad = 0
    var out = [Int64](repeating: 0, count: n)
    switch input.byte() % 9 {
    case 0:
        check(
            hqt_validate_ticks(time, a, b, n, previous, input.bool() ? nil : "EURUSD tick", input.u64(), &bad),
            "hqt_validate_ticks")
    case 1: check(hqt_validate_ticks_f64(time, fa, fb, n, previous, nil, input.u64(), &bad), "hqt_validate_ticks_f64")
    case 2:
        let notBefore = input.value(near: 0, spread: 1_000_000_000)
        check(
            hqt_validate_bars(tf, time, a, b, c, d, v, n, previous, notBefore, nil, input.u64(), &bad),
            "hqt_validate_bars")
    case 3:
        check(
            hqt_validate_bars_f64(tf, time, fa, fb, fa, fb, fa, n, previous, 0, "bar", 0, &bad), "hqt_validate_bars_f64"
        )
    case 4:
        var t: Int64 = 0
        check(hqt_timeframe_open_time(tf, input.value(near: clock, spread: Int64.max), &t), "hqt_timeframe_open_time")
        check(hqt_timeframe_close_time(tf, input.value(near: clock, spread: Int64.max), &t), "hqt_timeframe_close_time")
    case 5: check(hqt_timeframe_open_times(tf, time, n, &out), "hqt_timeframe_open_times")
    case 6: check(hqt_timeframe_close_times(tf, time, n, &out), "hqt_timeframe_close_times")
    case 7:
        let periods = (0..<n).map { _ in input.value(near: 0, spread: 1000) }
        check(
            hqt_timeframe_shifted_opens(tf, input.value(near: clock, spread: Int64.max), periods, n, &out),
            "hqt_timeframe_shifted_opens")
    default: check(hqt_to_micro_array(fa, n, &out), "hqt_to_micro_array")
    }
    if bad > n { fail("validate: out_bad_index \(bad) beyond n \(n)") }
    _ = hqt_status_name(Int32(bitPattern: input.u32()))
}

/// Destroyed handles, garbage ids and NULL passed where a live engine belongs.
func misuse(_ live: OpaquePointer) {
    let handle: OpaquePointer?
    var mustRefuse = false
    switch input.byte() % 3 {
    case 0 where !destroyed.isEmpty:
        handle = destroyed[Int(input.byte()) % destroyed.count]
        mustRefuse = true
    case 1:
        // Any id but a live one (a live id would rightly be accepted).
        let id = OpaquePointer(bitPattern: UInt(input.u64()))
        handle = engines.contains { $0 == id } ? nil : id
    default: handle = nil
    }
    var a = hqt_account()
    var out: UInt64 = 0
    let status: Int32
    switch input.byte() % 6 {
    case 0: status = hqt_engine_account(handle, &a)
    case 1: status = hqt_engine_buy(handle, 0, 10_000, 0, 0, &out)
    case 2: status = hqt_engine_run(handle, nil)
    case 3: status = hqt_engine_deposit(handle, 1)
    case 4: status = hqt_engine_destroy(handle)
    default: status = hqt_engine_clear_data(handle)
    }
    if mustRefuse {
        checkRefused(status, "call on a destroyed engine")
    } else {
        check(status, "call on a garbage handle")
    }
    // The live engine is untouched by calls on other handles.
    let liveStatus = hqt_engine_account(live, &a)
    if liveStatus != 0 { fail("a live engine became unusable after misuse of another handle: \(lastError())") }
}
