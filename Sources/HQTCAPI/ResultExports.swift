import CHQTABI
import HQTCore

// Run results (hqt.h, "Run results"): an hqt_result is a RunSnapshot of an
// engine, O(1) to take, read with the same list calls as the engine's.

/// A snapshot and its statistics, computed on the first call that needs them.
/// Handles are used from one thread at a time (hqt.h), so the caches need no lock.
final class RunResult {
    let snapshot: RunSnapshot
    /// With the report (hqt_result_report), or without (hqt_result_statistics).
    private var full: Statistics?
    private var summary: Statistics?

    init(_ snapshot: RunSnapshot) { self.snapshot = snapshot }

    /// The statistics without the report: the full ones when already computed
    /// (the summary figures are the same).
    var statistics: Statistics {
        if let s = full ?? summary { return s }
        let s = snapshot.statistics(report: false)
        summary = s
        return s
    }

    var report: Report {
        if let s = full { return s.report }
        let s = snapshot.statistics(report: true)
        full = s
        return s.report
    }
}

/// Live `hqt_result *` handles (HandleTable: generation-checked ids).
let results = HandleTable<RunResult>(tag: 0xC1, typeName: "hqt_result", argument: "result")

@inline(__always)
private func result(_ handle: OpaquePointer?) throws(HQTError) -> RunResult {
    try results.object(handle)
}

@_cdecl("hqt_engine_result")
public func hqt_engine_result(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out_result")
        out.pointee = try results.insert(RunResult(e.runSnapshot()))
    }
}

@_cdecl("hqt_result_destroy")
public func hqt_result_destroy(_ handle: OpaquePointer?) -> Int32 {
    guard handle != nil else { return 0 }
    return status { () throws(HQTError) in _ = try results.remove(handle) }
}

@_cdecl("hqt_result_positions")
public func hqt_result_positions(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_position>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        try copyList(try result(handle).snapshot.positions, out, capacity, count, hqt_position.init)
    }
}

@_cdecl("hqt_result_orders")
public func hqt_result_orders(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_order>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        try copyList(try result(handle).snapshot.orders, out, capacity, count, hqt_order.init)
    }
}

@_cdecl("hqt_result_order_history")
public func hqt_result_order_history(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_order>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        try copyList(try result(handle).snapshot.orderHistory, out, capacity, count, hqt_order.init)
    }
}

@_cdecl("hqt_result_deals")
public func hqt_result_deals(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_deal>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        try copyList(try result(handle).snapshot.deals, out, capacity, count, hqt_deal.init)
    }
}

@_cdecl("hqt_result_trades")
public func hqt_result_trades(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_trade>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        try copyList(try result(handle).snapshot.trades, out, capacity, count, hqt_trade.init)
    }
}

@_cdecl("hqt_result_equity_curve")
public func hqt_result_equity_curve(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_equity_point>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        try copyList(try result(handle).snapshot.equityCurve, out, capacity, count, hqt_equity_point.init)
    }
}

@_cdecl("hqt_result_statistics")
public func hqt_result_statistics(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_statistics>?) -> Int32 {
    status { () throws(HQTError) in
        let r = try result(handle)
        let out = try output(out, "out")
        out.pointee = hqt_statistics(r.statistics)
    }
}

@_cdecl("hqt_result_report")
public func hqt_result_report(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_report>?) -> Int32 {
    status { () throws(HQTError) in
        let r = try result(handle)
        try writeReport(into: out) { r.report }
    }
}
