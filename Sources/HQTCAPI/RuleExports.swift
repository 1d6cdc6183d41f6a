import CHQTABI
import HQTCore

// The engine's data rules without an engine: tick/bar validation and bar
// periods (HQTCore/Model/MarketDataRules.swift), for readers and writers that
// must agree with what the engine would accept. Arrays are read in place.

func subjectText(_ subject: UnsafePointer<CChar>?, _ fallback: String) -> String {
    subject.map { String(cString: $0) } ?? fallback
}

/// Runs a whole-array validation; sets *out_bad_index to the bad position, or n when all are valid.
func validationStatus(
    _ n: Int, _ outBadIndex: UnsafeMutablePointer<Int>?,
    _ body: () throws(HQTError) -> (index: Int, error: HQTError)?
) -> Int32 {
    do {
        if let (index, error) = try body() {
            outBadIndex?.pointee = index
            return fail(error)
        }
        outBadIndex?.pointee = n
        return 0
    } catch {
        outBadIndex?.pointee = n
        return fail(error)
    }
}

@_cdecl("hqt_validate_ticks")
public func hqt_validate_ticks(
    _ time: UnsafePointer<Int64>?, _ bid: UnsafePointer<Int64>?, _ ask: UnsafePointer<Int64>?,
    _ n: Int, _ previousTime: Int64, _ subject: UnsafePointer<CChar>?,
    _ firstIndex: UInt64, _ outBadIndex: UnsafeMutablePointer<Int>?
) -> Int32 {
    validationStatus(n, outBadIndex) { () throws(HQTError) in
        let t = try buffer(time, n, "time_ns"), b = try buffer(bid, n, "bid_micro"), a = try buffer(ask, n, "ask_micro")
        return MarketDataRules.validateTicks(
            subject: subjectText(subject, "tick"), firstIndex: Int(clamping: firstIndex),
            count: n, previousTime: previousTime,
            time: { t[$0] }, bid: { b[$0] }, ask: { a[$0] })
    }
}

@_cdecl("hqt_validate_ticks_f64")
public func hqt_validate_ticks_f64(
    _ time: UnsafePointer<Int64>?, _ bid: UnsafePointer<Double>?, _ ask: UnsafePointer<Double>?,
    _ n: Int, _ previousTime: Int64, _ subject: UnsafePointer<CChar>?,
    _ firstIndex: UInt64, _ outBadIndex: UnsafeMutablePointer<Int>?
) -> Int32 {
    validationStatus(n, outBadIndex) { () throws(HQTError) in
        let t = try buffer(time, n, "time_ns"), b = try buffer(bid, n, "bid"), a = try buffer(ask, n, "ask")
        return MarketDataRules.validateTicks(
            subject: subjectText(subject, "tick"), firstIndex: Int(clamping: firstIndex),
            count: n, previousTime: previousTime, time: { t[$0] },
            bid: { MarketDataRules.micro(b[$0]) },
            ask: { MarketDataRules.micro(a[$0]) })
    }
}

@_cdecl("hqt_validate_bars")
public func hqt_validate_bars(
    _ timeframe: Int32, _ time: UnsafePointer<Int64>?, _ open: UnsafePointer<Int64>?,
    _ high: UnsafePointer<Int64>?, _ low: UnsafePointer<Int64>?, _ close: UnsafePointer<Int64>?,
    _ volume: UnsafePointer<Int64>?, _ n: Int, _ previousOpen: Int64, _ notBefore: Int64,
    _ subject: UnsafePointer<CChar>?, _ firstIndex: UInt64,
    _ outBadIndex: UnsafeMutablePointer<Int>?
) -> Int32 {
    validationStatus(n, outBadIndex) { () throws(HQTError) in
        let tf = try Timeframe.validated(timeframe)
        let t = try buffer(time, n, "open_time_ns"), o = try buffer(open, n, "open_micro"),
            h = try buffer(high, n, "high_micro"), l = try buffer(low, n, "low_micro"),
            c = try buffer(close, n, "close_micro"), v = try buffer(volume, n, "volume_micro")
        return MarketDataRules.validateBars(
            subject: subjectText(subject, "bar"), firstIndex: Int(clamping: firstIndex),
            timeframe: tf, count: n,
            previousOpen: previousOpen == .min ? nil : previousOpen,
            notBefore: max(notBefore, 0),
            row: { (t[$0], o[$0], h[$0], l[$0], c[$0], v[$0]) })
    }
}

@_cdecl("hqt_validate_bars_f64")
public func hqt_validate_bars_f64(
    _ timeframe: Int32, _ time: UnsafePointer<Int64>?, _ open: UnsafePointer<Double>?,
    _ high: UnsafePointer<Double>?, _ low: UnsafePointer<Double>?, _ close: UnsafePointer<Double>?,
    _ volume: UnsafePointer<Double>?, _ n: Int, _ previousOpen: Int64, _ notBefore: Int64,
    _ subject: UnsafePointer<CChar>?, _ firstIndex: UInt64,
    _ outBadIndex: UnsafeMutablePointer<Int>?
) -> Int32 {
    validationStatus(n, outBadIndex) { () throws(HQTError) in
        let tf = try Timeframe.validated(timeframe)
        let t = try buffer(time, n, "open_time_ns"), o = try buffer(open, n, "open"),
            h = try buffer(high, n, "high"), l = try buffer(low, n, "low"),
            c = try buffer(close, n, "close"), v = try buffer(volume, n, "volume")
        func m(_ x: Double) -> Int64 { MarketDataRules.micro(x) }
        return MarketDataRules.validateBars(
            subject: subjectText(subject, "bar"), firstIndex: Int(clamping: firstIndex),
            timeframe: tf, count: n,
            previousOpen: previousOpen == .min ? nil : previousOpen,
            notBefore: max(notBefore, 0),
            row: { (t[$0], m(o[$0]), m(h[$0]), m(l[$0]), m(c[$0]), m(v[$0])) })
    }
}

// ---- bar periods ----

@_cdecl("hqt_timeframe_open_time")
public func hqt_timeframe_open_time(_ timeframe: Int32, _ time: Int64, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    status { () throws(HQTError) in
        let tf = try Timeframe.validated(timeframe)
        try output(out, "out_open_ns").pointee = try tf.checkedOpenTime(containing: time)
    }
}

@_cdecl("hqt_timeframe_close_time")
public func hqt_timeframe_close_time(_ timeframe: Int32, _ time: Int64, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    status { () throws(HQTError) in
        let tf = try Timeframe.validated(timeframe)
        try output(out, "out_close_ns").pointee = try tf.bar(containing: time).close
    }
}

/// out[i] = f(in[i]) for i < n; `out` may be `input`. On error out is partly written.
func mapTimes(
    _ timeframe: Int32, _ input: UnsafePointer<Int64>?, _ n: Int, _ out: UnsafeMutablePointer<Int64>?,
    _ outName: String, _ f: (Timeframe, Int64) throws(HQTError) -> Int64
) -> Int32 {
    status { () throws(HQTError) in
        let tf = try Timeframe.validated(timeframe)
        let src = try buffer(input, n, "time_ns")
        guard n > 0 else { return }
        guard let out else { throw invalid("\(outName) is NULL") }
        for i in 0..<n {
            let t = src[i]
            do throws(HQTError) {
                out[i] = try f(tf, t)
            } catch {
                throw HQTError(error.code, "time_ns[\(i)]: \(error.message)")
            }
        }
    }
}

@_cdecl("hqt_timeframe_open_times")
public func hqt_timeframe_open_times(
    _ timeframe: Int32, _ time: UnsafePointer<Int64>?, _ n: Int,
    _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    mapTimes(timeframe, time, n, out, "out_open_ns") { (tf, t) throws(HQTError) in try tf.checkedOpenTime(containing: t)
    }
}

@_cdecl("hqt_timeframe_close_times")
public func hqt_timeframe_close_times(
    _ timeframe: Int32, _ time: UnsafePointer<Int64>?, _ n: Int,
    _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    mapTimes(timeframe, time, n, out, "out_close_ns") { (tf, t) throws(HQTError) in try tf.bar(containing: t).close }
}

@_cdecl("hqt_timeframe_shifted_opens")
public func hqt_timeframe_shifted_opens(
    _ timeframe: Int32, _ time: Int64, _ periods: UnsafePointer<Int64>?, _ n: Int,
    _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    status { () throws(HQTError) in
        let tf = try Timeframe.validated(timeframe)
        let k = try buffer(periods, n, "periods")
        guard n > 0 else { return }
        guard let out else { throw invalid("out_open_ns is NULL") }
        for i in 0..<n {
            let p = k[i]
            do throws(HQTError) {
                out[i] = try tf.openTime(p, barsAfter: time)
            } catch {
                throw HQTError(error.code, "periods[\(i)]: \(error.message)")
            }
        }
    }
}

// ---- price rounding ----

@_cdecl("hqt_to_micro_array")
public func hqt_to_micro_array(_ value: UnsafePointer<Double>?, _ n: Int, _ out: UnsafeMutablePointer<Int64>?) -> Int32
{
    status { () throws(HQTError) in
        let src = try buffer(value, n, "value")
        guard n > 0 else { return }
        guard let out else { throw invalid("out_micro is NULL") }
        for i in 0..<n {
            guard let m = FixedPoint.micro(src[i]) else {
                throw invalid("value[\(i)] = \(src[i]) has no micro value (NaN, infinite or beyond ±9.2e12)")
            }
            out[i] = m
        }
    }
}
