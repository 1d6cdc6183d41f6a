import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// Orders, positions and balance operations.

@_cdecl("hqt_engine_order_send")
public func hqt_engine_order_send(
    _ handle: OpaquePointer?, _ request: UnsafePointer<hqt_order_request>?,
    _ out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        guard let r = request?.pointee else { throw invalid("request is NULL") }
        let out = try output(out, "out_ticket")
        guard let type = OrderType(rawValue: r.type) else { throw invalid("order type must be 0...7, got \(r.type)") }
        out.pointee = try e.send(
            OrderRequest(
                symbolID: r.symbol_id, type: type, volume: r.volume, price: r.price,
                stopLimit: r.stop_limit, sl: r.sl, tp: r.tp, expiration: r.expiration,
                trailingPoints: r.trailing_points, magic: r.magic))
    }
}

@_cdecl("hqt_engine_buy")
public func hqt_engine_buy(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ volume: Int64, _ sl: Int64, _ tp: Int64,
    _ out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out_ticket")
        out.pointee = try e.buy(symbolID: symbol, volume: volume, sl: sl, tp: tp)
    }
}

@_cdecl("hqt_engine_sell")
public func hqt_engine_sell(
    _ handle: OpaquePointer?, _ symbol: UInt32, _ volume: Int64, _ sl: Int64, _ tp: Int64,
    _ out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out_ticket")
        out.pointee = try e.sell(symbolID: symbol, volume: volume, sl: sl, tp: tp)
    }
}

/// HQT_KEEP (INT64_MIN) means "leave unchanged".
@inline(__always) func kept(_ v: Int64) -> Int64? { v == Int64.min ? nil : v }

@_cdecl("hqt_engine_modify")
public func hqt_engine_modify(_ handle: OpaquePointer?, _ ticket: UInt64, _ sl: Int64, _ tp: Int64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).modify(ticket: ticket, sl: kept(sl), tp: kept(tp)) }
}

@_cdecl("hqt_engine_modify_order")
public func hqt_engine_modify_order(
    _ handle: OpaquePointer?, _ ticket: UInt64, _ price: Int64, _ stopLimit: Int64,
    _ expiration: Int64
) -> Int32 {
    status { () throws(HQTError) in
        try engine(handle).modifyOrder(
            ticket: ticket, price: kept(price), stopLimit: kept(stopLimit),
            expiration: kept(expiration))
    }
}

@_cdecl("hqt_engine_set_trailing_stop")
public func hqt_engine_set_trailing_stop(_ handle: OpaquePointer?, _ ticket: UInt64, _ points: Int64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).setTrailingStop(ticket: ticket, points: points) }
}

@_cdecl("hqt_engine_close")
public func hqt_engine_close(_ handle: OpaquePointer?, _ ticket: UInt64, _ volume: Int64) -> Int32 {
    status { () throws(HQTError) in
        guard volume >= 0 else { throw HQTError(.invalidVolume, "close volume must be >= 0 (0 = all)") }
        try engine(handle).close(ticket: ticket, volume: volume)
    }
}

@_cdecl("hqt_engine_cancel")
public func hqt_engine_cancel(_ handle: OpaquePointer?, _ ticket: UInt64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).cancel(ticket: ticket) }
}

@_cdecl("hqt_engine_deposit")
public func hqt_engine_deposit(_ handle: OpaquePointer?, _ amount: Int64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).deposit(amount) }
}
