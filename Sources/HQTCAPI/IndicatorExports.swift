import CHQTABI
import HQTCore

// Native indicators (docs/indicators.md): declare on an engine, read in place.

@_cdecl("hqt_engine_add_indicator")
public func hqt_engine_add_indicator(
    _ handle: OpaquePointer?, _ kind: Int32, _ symbolID: UInt32, _ timeframe: Int32, _ source: Int32,
    _ params: UnsafePointer<Double>?, _ nparams: Int32, _ history: Int32, _ outID: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(outID, "out_id")
        guard let k = IndicatorKind(rawValue: kind) else {
            throw invalid("unknown indicator kind \(kind) (HQT_IND_SMA=1 ... HQT_IND_LOWEST=12)")
        }
        let src: PriceSource?
        if source == -1 {
            src = nil
        } else if let s = PriceSource(rawValue: source) {
            src = s
        } else {
            throw invalid("unknown price source \(source) (-1 for the default, HQT_PRICE_BID=0 ... HQT_PRICE_CLOSE=6)")
        }
        let tf: Timeframe? = timeframe == 0 ? nil : try Timeframe.validated(timeframe)
        guard nparams >= 0, nparams <= 3 else { throw invalid("nparams must be 0...3, got \(nparams)") }
        guard nparams == 0 || params != nil else { throw invalid("params is NULL with nparams \(nparams)") }
        var values: [Double] = []
        if let params { for i in 0..<Int(nparams) { values.append(params[i]) } }
        let spec = try IndicatorSpec(
            kind: k, symbolID: symbolID, timeframe: tf, source: src, params: values, history: Int(history))
        out.pointee = UInt32(try e.declareIndicator(spec))
    }
}

@_cdecl("hqt_engine_indicator_count")
public func hqt_engine_indicator_count(_ handle: OpaquePointer?, _ outCount: UnsafeMutablePointer<UInt32>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        try output(outCount, "out_count").pointee = UInt32(e.indicatorList.count)
    }
}

@_cdecl("hqt_engine_indicator_view")
public func hqt_engine_indicator_view(
    _ handle: OpaquePointer?, _ id: UInt32, _ out: UnsafeMutablePointer<UnsafePointer<hqt_indicator_view>?>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        // IndicatorView and hqt_indicator_view: five int64 fields and a pointer, same layout.
        out.pointee = UnsafeRawPointer(try e.indicator(Int(id)).view).assumingMemoryBound(to: hqt_indicator_view.self)
    }
}

@_cdecl("hqt_engine_indicator_value")
public func hqt_engine_indicator_value(
    _ handle: OpaquePointer?, _ id: UInt32, _ outputIndex: Int32, _ shift: Int32,
    _ outValue: UnsafeMutablePointer<Double>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(outValue, "out_value")
        let ind = try e.indicator(Int(id))
        guard let v = ind.value(output: Int(outputIndex), shift: Int(shift)) else {
            throw invalid(
                "indicator \(id) has outputs 0...\(ind.spec.kind.outputs - 1) and keeps \(ind.spec.history) values: output \(outputIndex), shift \(shift) is outside"
            )
        }
        out.pointee = v
    }
}

@_cdecl("hqt_indicator_at")
public func hqt_indicator_at(_ view: UnsafePointer<hqt_indicator_view>?, _ output: Int32, _ shift: Int64) -> Double {
    guard let v = view?.pointee else { return .nan }
    let o = Int64(output)
    guard o >= 0, o < v.outputs, shift >= 0, shift < v.capacity, shift < v.count, let values = v.values else {
        return .nan
    }
    var slot = v.last - shift
    if slot < 0 { slot += v.capacity }
    return values[Int(slot * v.outputs + o)]
}

@_cdecl("hqt_engine_indicator_sketch")
public func hqt_engine_indicator_sketch(
    _ handle: OpaquePointer?, _ id: UInt32, _ times: UnsafeMutablePointer<Int64>?,
    _ values: UnsafeMutablePointer<Double>?, _ capacity: Int, _ outCount: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(outCount, "out_count")
        let ind = try e.indicator(Int(id))
        let points = ind.sketchPoints()
        let n = points.times.count, k = ind.spec.kind.outputs
        out.pointee = n
        guard n <= capacity else { return }  // the caller asks again with room for n
        guard n == 0 || (times != nil && values != nil) else { throw invalid("times or values is NULL") }
        if let times, let values {
            for i in 0..<n { times[i] = points.times[i] }
            for i in 0..<(n * k) { values[i] = points.values[i] }
        }
    }
}
