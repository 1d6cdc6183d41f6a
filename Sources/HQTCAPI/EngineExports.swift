import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// Engine life cycle, configuration and symbols. Each export validates its
// arguments, converts, and calls one Engine method.

@_cdecl("hqt_engine_create")
public func hqt_engine_create(
    _ balance: Int64, _ currency: UnsafePointer<CChar>?, _ leverage: Int64,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    status { () throws(HQTError) in
        let out = try output(out, "out_engine")
        out.pointee = nil
        let engine = try Engine(initialBalance: balance, currency: try string(currency, "currency"), leverage: leverage)
        out.pointee = try engines.insert(engine)
    }
}

@_cdecl("hqt_engine_destroy")
public func hqt_engine_destroy(_ handle: OpaquePointer?) -> Int32 {
    guard handle != nil else { return 0 }
    return status { () throws(HQTError) in
        let engine = try engines.remove(handle) { (e: Engine) throws(HQTError) in
            guard !e.isBusy else {
                throw HQTError(
                    .busy,
                    "hqt_engine_destroy: the engine is inside run(), process_event() or a callback of its own; "
                        + "destroy it after that call returns")
            }
        }
        engine.shutdown()
    }
}

@_cdecl("hqt_engine_set_account_mode")
public func hqt_engine_set_account_mode(_ handle: OpaquePointer?, _ mode: Int32) -> Int32 {
    status { () throws(HQTError) in
        guard let m = AccountMode(rawValue: mode) else {
            throw invalid("account mode must be 0 (hedging) or 1 (netting), got \(mode)")
        }
        try engine(handle).setAccountMode(m)
    }
}

@_cdecl("hqt_engine_set_margin_levels")
public func hqt_engine_set_margin_levels(_ handle: OpaquePointer?, _ marginCall: Int64, _ stopOut: Int64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).setMarginLevels(marginCall: marginCall, stopOut: stopOut) }
}

@_cdecl("hqt_engine_set_margin_levels_mode")
public func hqt_engine_set_margin_levels_mode(
    _ handle: OpaquePointer?, _ marginCall: Int64, _ stopOut: Int64, _ mode: Int32
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        guard let m = StopOutMode(rawValue: mode) else {
            throw invalid("mode must be HQT_STOP_OUT_PERCENT (0) or HQT_STOP_OUT_MONEY (1), got \(mode)")
        }
        try e.setMarginLevels(marginCall: marginCall, stopOut: stopOut, mode: m)
    }
}

@_cdecl("hqt_engine_stop_out_mode")
public func hqt_engine_stop_out_mode(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(HQTError) in try output(out, "out_mode").pointee = try engine(handle).stopOutMode.rawValue }
}

@_cdecl("hqt_engine_ticks_outside_quote_sessions")
public func hqt_engine_ticks_outside_quote_sessions(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?)
    -> Int32
{
    status { () throws(HQTError) in
        try output(out, "out_count").pointee = try engine(handle).ticksOutsideQuoteSessions
    }
}

@_cdecl("hqt_engine_set_equity_interval")
public func hqt_engine_set_equity_interval(_ handle: OpaquePointer?, _ interval: Int64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).setEquityInterval(interval) }
}

@_cdecl("hqt_engine_set_rollover_time")
public func hqt_engine_set_rollover_time(_ handle: OpaquePointer?, _ seconds: Int64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).setRolloverTime(seconds) }
}

@_cdecl("hqt_engine_rollover_time")
public func hqt_engine_rollover_time(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    status { () throws(HQTError) in try output(out, "out_seconds").pointee = try engine(handle).rolloverTime }
}

@_cdecl("hqt_symbol_spec_init")
public func hqt_symbol_spec_init(_ spec: UnsafeMutablePointer<hqt_symbol_spec>?) {
    guard let spec else { return }
    let d = SymbolSpec(name: "", baseCurrency: "", profitCurrency: "")
    spec.pointee = hqt_symbol_spec(
        name: nil, base_currency: nil, profit_currency: nil, margin_currency: nil,
        contract_size: d.contractSize, digits: d.digits, margin_mode: d.marginMode.rawValue,
        volume_min: d.volumeMin, volume_step: d.volumeStep, volume_max: d.volumeMax,
        commission_per_lot: d.commissionPerLot, spread: d.spread)
}

@_cdecl("hqt_engine_add_symbol")
public func hqt_engine_add_symbol(
    _ handle: OpaquePointer?, _ spec: UnsafePointer<hqt_symbol_spec>?,
    _ out: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    status { () throws(HQTError) in
        _ = try engine(handle)
        guard let c = spec?.pointee else { throw invalid("spec is NULL") }
        try addSymbol(handle, hqt_symbol_spec_v2(c), out)
    }
}

/// Both add_symbol calls: the 0.1 struct is the sized one with the
/// defaults of every field appended since.
func addSymbol(
    _ handle: OpaquePointer?, _ c: hqt_symbol_spec_v2, _ out: UnsafeMutablePointer<UInt32>?
) throws(HQTError) {
    let e = try engine(handle)
    let out = try output(out, "out_symbol_id")
    var s = SymbolSpec(
        name: try string(c.name, "spec.name"),
        baseCurrency: try string(c.base_currency, "spec.base_currency"),
        profitCurrency: try string(c.profit_currency, "spec.profit_currency"),
        marginCurrency: try string(c.margin_currency, "spec.margin_currency", allowNull: true))
    guard let mode = MarginMode(rawValue: c.margin_mode) else {
        throw invalid("spec.margin_mode must be 0 (forex) or 1 (cfd), got \(c.margin_mode)")
    }
    s.contractSize = c.contract_size; s.digits = c.digits; s.marginMode = mode
    s.volumeMin = c.volume_min; s.volumeStep = c.volume_step; s.volumeMax = c.volume_max
    s.commissionPerLot = c.commission_per_lot; s.spread = c.spread
    if c.calc_mode != Int32(HQT_CALC_FROM_MARGIN_MODE) {
        guard let calc = CalcMode(rawValue: c.calc_mode) else {
            throw invalid(
                "spec.calc_mode must be an HQT_CALC_* value (-1, 0...5 or 32), got \(c.calc_mode)")
        }
        guard mode == .forex || calc == .cfd else {
            throw invalid(
                "spec.margin_mode is HQT_MARGIN_CFD but spec.calc_mode is \(calc.name): set only calc_mode")
        }
        s.calcMode = calc
    }
    guard c.margin_hedged_use_leg == 0 || c.margin_hedged_use_leg == 1 else {
        throw invalid("spec.margin_hedged_use_leg must be 0 or 1, got \(c.margin_hedged_use_leg)")
    }
    guard c.margin_hedged >= -1 else {
        throw invalid("spec.margin_hedged must be -1 (not set) or >= 0, got \(c.margin_hedged)")
    }
    s.marginRate = c.margin_rate; s.marginInitial = c.margin_initial
    s.marginMaintenance = c.margin_maintenance; s.tickSize = c.tick_size; s.tickValue = c.tick_value
    s.marginHedged = c.margin_hedged < 0 ? nil : c.margin_hedged
    s.marginHedgedUseLeg = c.margin_hedged_use_leg == 1
    guard let swapMode = SwapMode(rawValue: c.swap_mode) else {
        throw invalid("spec.swap_mode must be an HQT_SWAP_* value (0...6), got \(c.swap_mode)")
    }
    s.swapMode = swapMode; s.swapLong = c.swap_long; s.swapShort = c.swap_short
    s.swapRollover3days = c.swap_rollover3days
    try readCommissionFields(c, into: &s)
    s.stopsLevel = c.stops_level; s.freezeLevel = c.freeze_level
    s.volumeLimit = c.volume_limit
    s.tradeSessions = try sessionList(c.trade_sessions, c.trade_session_count, "trade")
    s.quoteSessions = try sessionList(c.quote_sessions, c.quote_session_count, "quote")
    out.pointee = try e.addSymbol(s)
}

@_cdecl("hqt_engine_symbol_count")
public func hqt_engine_symbol_count(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UInt32>?) -> Int32 {
    status { () throws(HQTError) in try output(out, "out_count").pointee = UInt32(try engine(handle).symbols.count) }
}

@_cdecl("hqt_engine_symbol_info")
public func hqt_engine_symbol_info(
    _ handle: OpaquePointer?, _ id: UInt32,
    _ out: UnsafeMutablePointer<hqt_symbol_info>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        let q = try e.quote(of: id)
        let s = e.symbols[Int(id)]
        var info = hqt_symbol_info()
        info.symbol_id = id
        copy(s.name, into: &info.name)
        copy(s.baseCurrency, into: &info.base_currency)
        copy(s.profitCurrency, into: &info.profit_currency)
        copy(s.marginCurrency.isEmpty ? s.baseCurrency : s.marginCurrency, into: &info.margin_currency)
        info.contract_size = s.contractSize; info.digits = s.digits; info.margin_mode = s.marginMode.rawValue
        info.volume_min = s.volumeMin; info.volume_step = s.volumeStep; info.volume_max = s.volumeMax
        info.commission_per_lot = s.commissionPerLot; info.spread = s.spread
        info.bid = q.bid; info.ask = q.ask; info.last_time = q.time
        out.pointee = info
    }
}

@_cdecl("hqt_engine_find_symbol")
public func hqt_engine_find_symbol(
    _ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        try output(out, "out_symbol_id").pointee = try e.symbolID(named: try string(name, "name"))
    }
}

/// A C session array (trade or quote sessions of hqt_symbol_spec_v2).
private func sessionList(_ p: UnsafePointer<hqt_trade_session>?, _ count: Int, _ kind: String) throws(HQTError)
    -> [TradeSession]
{
    guard count <= 448 else { throw invalid("spec.\(kind)_session_count must be 0...448, got \(count)") }
    guard count > 0 else { return [] }
    guard let p else { throw invalid("spec.\(kind)_sessions is NULL but \(kind)_session_count is \(count)") }
    return (0..<count).map { TradeSession(weekday: p[$0].weekday, start: p[$0].start, end: p[$0].end) }
}
