import CHQTABI
import HQTCore

/// The `_f64` entry points: the functions of hqt.h a person calls by hand,
/// with money, prices and volumes as doubles in natural units (10000.0 USD,
/// 1.10250, 0.1 lot). Each double is rounded once to micro-units, half away
/// from zero (FixedPoint.micro, as the _f64 loaders), then the int64 entry
/// point runs: one set of rules, one set of error messages. NaN, infinities
/// and values beyond ±9.2e12 are HQT_E_INVALID_ARGUMENT naming the parameter.

func micros(_ value: Double, _ name: String) throws(HQTError) -> Int64 {
    guard let m = FixedPoint.micro(value) else {
        throw invalid("\(name) must be a finite number within ±9.2e12, got \(value)")
    }
    return m
}

/// A modify's price: < 0 keeps the current one (HQT_KEEP), 0 removes an SL/TP.
func keptMicros(_ value: Double, _ name: String) throws(HQTError) -> Int64 {
    value < 0 ? Int64.min : try micros(value, name)
}

/// Runs `body` (convert, then call the int64 entry point); a conversion error is reported like any other.
@inline(__always)
func converted(_ body: () throws(HQTError) -> Int32) -> Int32 {
    do {
        return try body()
    } catch {
        return fail(error)
    }
}

@_cdecl("hqt_engine_create_f64")
public func hqt_engine_create_f64(
    _ balance: Double, _ currency: UnsafePointer<CChar>?, _ leverage: Int64,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    converted { () throws(HQTError) in
        out?.pointee = nil
        return hqt_engine_create(try micros(balance, "initial_balance"), currency, leverage, out)
    }
}

@_cdecl("hqt_engine_deposit_f64")
public func hqt_engine_deposit_f64(_ handle: OpaquePointer?, _ amount: Double) -> Int32 {
    converted { () throws(HQTError) in hqt_engine_deposit(handle, try micros(amount, "amount")) }
}

@_cdecl("hqt_engine_set_margin_levels_f64")
public func hqt_engine_set_margin_levels_f64(
    _ handle: OpaquePointer?, _ marginCall: Double, _ stopOut: Double
) -> Int32 {
    converted { () throws(HQTError) in
        hqt_engine_set_margin_levels(
            handle, try micros(marginCall, "margin_call_level"), try micros(stopOut, "stop_out_level"))
    }
}

@_cdecl("hqt_engine_buy_f64")
public func hqt_engine_buy_f64(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ volume: Double, _ sl: Double, _ tp: Double,
    _ out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    converted { () throws(HQTError) in
        hqt_engine_buy(
            handle, symbol, try micros(volume, "volume_lots"), try micros(sl, "sl_price"),
            try micros(tp, "tp_price"), out)
    }
}

@_cdecl("hqt_engine_sell_f64")
public func hqt_engine_sell_f64(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ volume: Double, _ sl: Double, _ tp: Double,
    _ out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    converted { () throws(HQTError) in
        hqt_engine_sell(
            handle, symbol, try micros(volume, "volume_lots"), try micros(sl, "sl_price"),
            try micros(tp, "tp_price"), out)
    }
}

@_cdecl("hqt_engine_modify_f64")
public func hqt_engine_modify_f64(_ handle: OpaquePointer?, _ ticket: UInt64, _ sl: Double, _ tp: Double)
    -> Int32
{
    converted { () throws(HQTError) in
        hqt_engine_modify(handle, ticket, try keptMicros(sl, "sl_price"), try keptMicros(tp, "tp_price"))
    }
}

@_cdecl("hqt_engine_modify_order_f64")
public func hqt_engine_modify_order_f64(
    _ handle: OpaquePointer?, _ ticket: UInt64, _ price: Double, _ stopLimit: Double,
    _ expiration: Int64
) -> Int32 {
    converted { () throws(HQTError) in
        hqt_engine_modify_order(
            handle, ticket, try keptMicros(price, "price"), try keptMicros(stopLimit, "stop_limit_price"),
            expiration)
    }
}

@_cdecl("hqt_engine_close_f64")
public func hqt_engine_close_f64(_ handle: OpaquePointer?, _ ticket: UInt64, _ volume: Double) -> Int32 {
    converted { () throws(HQTError) in hqt_engine_close(handle, ticket, try micros(volume, "volume_lots")) }
}

/// Any order by hand: hqt_order_request_v2 with its prices and volume as
/// doubles (the remaining fields at their defaults: GTC or SPECIFIED by
/// expiration, FOK, no trailing stop, magic 0).
@_cdecl("hqt_engine_order_send_f64")
public func hqt_engine_order_send_f64(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ type: Int32, _ volume: Double, _ price: Double,
    _ stopLimit: Double, _ sl: Double, _ tp: Double, _ expiration: Int64, _ out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    converted { () throws(HQTError) in
        var r = hqt_order_request_v2()
        _ = hqt_order_request_v2_init(&r, MemoryLayout<hqt_order_request_v2>.size)
        r.symbol_id = symbol
        r.type = type
        r.volume = try micros(volume, "volume_lots")
        r.price = try micros(price, "price")
        r.stop_limit = try micros(stopLimit, "stop_limit_price")
        r.sl = try micros(sl, "sl_price")
        r.tp = try micros(tp, "tp_price")
        r.expiration = expiration
        return hqt_engine_order_send_v2(handle, &r, out)
    }
}
