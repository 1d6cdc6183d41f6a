import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// Market data loading. Arrays are read in place (no copy) and converted
// once into the engine's columns.

/// A caller's array as a buffer; NULL is allowed only when n is 0.
func buffer<T>(_ p: UnsafePointer<T>?, _ n: Int, _ name: String) throws(HQTError) -> UnsafeBufferPointer<T> {
    guard n >= 0, n <= 1 << 40 else { throw invalid("n is out of range") }
    if n == 0 { return UnsafeBufferPointer(start: nil, count: 0) }
    guard let p else { throw invalid("\(name) is NULL") }
    return UnsafeBufferPointer(start: p, count: n)
}

@_cdecl("hqt_engine_load_ticks")
public func hqt_engine_load_ticks(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ time: UnsafePointer<Int64>?,
    _ bid: UnsafePointer<Int64>?, _ ask: UnsafePointer<Int64>?, _ n: Int
) -> Int32 {
    status { () throws(HQTError) in
        try engine(handle).loadTicks(
            symbolID: symbol, time: try buffer(time, n, "time"),
            bid: try buffer(bid, n, "bid"), ask: try buffer(ask, n, "ask"))
    }
}

@_cdecl("hqt_engine_load_ticks_f64")
public func hqt_engine_load_ticks_f64(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ time: UnsafePointer<Int64>?,
    _ bid: UnsafePointer<Double>?, _ ask: UnsafePointer<Double>?, _ n: Int
) -> Int32 {
    status { () throws(HQTError) in
        try engine(handle).loadTicks(
            symbolID: symbol, time: try buffer(time, n, "time"),
            bid: try buffer(bid, n, "bid"), ask: try buffer(ask, n, "ask"))
    }
}

@_cdecl("hqt_engine_tick_count")
public func hqt_engine_tick_count(_ handle: OpaquePointer?, _ symbol: UInt32, _ out: UnsafeMutablePointer<UInt64>?)
    -> Int32
{
    status { () throws(HQTError) in
        try output(out, "out_count").pointee = UInt64(try engine(handle).tickCount(symbolID: symbol))
    }
}

@_cdecl("hqt_engine_truncate_ticks")
public func hqt_engine_truncate_ticks(_ handle: OpaquePointer?, _ symbol: UInt32, _ count: UInt64) -> Int32 {
    status { () throws(HQTError) in
        guard count <= UInt64(Int.max) else { throw invalid("count is out of range") }
        try engine(handle).truncateTicks(symbolID: symbol, to: Int(count))
    }
}

@_cdecl("hqt_engine_load_bars")
public func hqt_engine_load_bars(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ timeframe: Int32,
    _ time: UnsafePointer<Int64>?, _ open: UnsafePointer<Int64>?,
    _ high: UnsafePointer<Int64>?, _ low: UnsafePointer<Int64>?,
    _ close: UnsafePointer<Int64>?, _ volume: UnsafePointer<Int64>?, _ n: Int
) -> Int32 {
    status { () throws(HQTError) in
        try engine(handle).loadBars(
            symbolID: symbol, timeframe: timeframe, time: try buffer(time, n, "time"),
            open: try buffer(open, n, "open"), high: try buffer(high, n, "high"),
            low: try buffer(low, n, "low"), close: try buffer(close, n, "close"),
            volume: try buffer(volume, n, "volume"))
    }
}

@_cdecl("hqt_engine_load_bars_f64")
public func hqt_engine_load_bars_f64(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ timeframe: Int32,
    _ time: UnsafePointer<Int64>?, _ open: UnsafePointer<Double>?,
    _ high: UnsafePointer<Double>?, _ low: UnsafePointer<Double>?,
    _ close: UnsafePointer<Double>?, _ volume: UnsafePointer<Double>?, _ n: Int
) -> Int32 {
    status { () throws(HQTError) in
        try engine(handle).loadBars(
            symbolID: symbol, timeframe: timeframe, time: try buffer(time, n, "time"),
            open: try buffer(open, n, "open"), high: try buffer(high, n, "high"),
            low: try buffer(low, n, "low"), close: try buffer(close, n, "close"),
            volume: try buffer(volume, n, "volume"))
    }
}

@_cdecl("hqt_engine_build_bars")
public func hqt_engine_build_bars(_ handle: OpaquePointer?, _ symbol: UInt32, _ timeframe: Int32) -> Int32 {
    status { () throws(HQTError) in try engine(handle).buildBars(symbolID: symbol, timeframe: timeframe) }
}

/// `price`: HQT_PRICE_BID, _ASK or _MID (since 0.3).
@_cdecl("hqt_engine_build_bars_v2")
public func hqt_engine_build_bars_v2(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ timeframe: Int32, _ price: Int32
) -> Int32 {
    status { () throws(HQTError) in
        try engine(handle).buildBars(symbolID: symbol, timeframe: timeframe, price: price)
    }
}

@_cdecl("hqt_engine_clear_data")
public func hqt_engine_clear_data(_ handle: OpaquePointer?) -> Int32 {
    status { () throws(HQTError) in try engine(handle).clearData() }
}

@_cdecl("hqt_engine_pending_events")
public func hqt_engine_pending_events(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> Int32 {
    status { () throws(HQTError) in try output(out, "out_count").pointee = UInt64(try engine(handle).pendingEventCount)
    }
}
