import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// Reading state and results into the caller's plain structs.

extension hqt_deal {
    init(_ d: Deal) {
        self.init(
            ticket: d.ticket, order: d.order, position: d.position, symbol_id: d.symbolID,
            type: d.side.rawValue, entry: d.entry.rawValue, reason: d.reason.rawValue, time: d.time,
            volume: d.volume, price: d.price, commission: d.commission, profit: d.profit,
            balance: d.balance, magic: d.magic)
    }
}

extension hqt_position {
    init(_ p: Position) {
        self.init(
            ticket: p.ticket, symbol_id: p.symbolID, type: p.side.rawValue, volume: p.volume,
            open_price: p.openPrice, open_time: p.openTime, sl: p.sl, tp: p.tp,
            // hqt_position has no swap field: its profit is the floating
            // profit plus the swap charged and not yet booked.
            trailing_points: p.trailingPoints, profit: p.profit &+ p.swap, margin: p.margin,
            commission: p.commission, magic: p.magic)
    }
}

extension hqt_order {
    init(_ o: Order) {
        self.init(
            ticket: o.ticket, symbol_id: o.symbolID, type: o.type.rawValue, state: o.state.rawValue,
            reserved: 0, volume: o.volume, price: o.price, stop_limit: o.stopLimit, sl: o.sl, tp: o.tp,
            expiration: o.expiration, time_setup: o.timeSetup, trailing_points: o.trailingPoints,
            magic: o.magic)
    }
}

extension hqt_trade {
    init(_ t: Trade) {
        self.init(
            position: t.position, symbol_id: t.symbolID, type: t.side.rawValue, volume: t.volume,
            open_time: t.openTime, open_price: t.openPrice, close_time: t.closeTime,
            close_price: t.closePrice, commission: t.commission, profit: t.profit,
            close_reason: t.closeReason.rawValue, reserved: 0)
    }
}

extension hqt_equity_point {
    init(_ p: EquityPoint) {
        self.init(time: p.time, balance: p.balance, equity: p.equity, margin: p.margin)
    }
}

extension hqt_statistics {
    init(_ s: Statistics) {
        self.init(
            initial_balance: s.initialBalance, final_balance: s.finalBalance, final_equity: s.finalEquity,
            net_profit: s.netProfit, gross_profit: s.grossProfit, gross_loss: s.grossLoss,
            total_commission: s.totalCommission, max_drawdown: s.maxDrawdown, max_drawdown_pct: s.maxDrawdownPct,
            profit_factor: s.profitFactor, sharpe_ratio: s.sharpeRatio, win_rate: s.winRate,
            total_trades: s.totalTrades, winning_trades: s.winningTrades, losing_trades: s.losingTrades,
            total_deals: s.totalDeals, ticks_processed: s.ticksProcessed, bars_processed: s.barsProcessed)
    }
}

@_cdecl("hqt_engine_account")
public func hqt_engine_account(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_account>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        let a = e.account
        var c = hqt_account()
        c.time = a.time; c.balance = a.balance; c.equity = a.equity; c.profit = a.profit
        c.margin = a.margin; c.free_margin = a.freeMargin; c.margin_level = a.marginLevel
        c.leverage = e.leverage; c.margin_call_level = e.marginCallLevel; c.stop_out_level = e.stopOutLevel
        c.mode = e.accountMode.rawValue; c.margin_call = a.marginCall ? 1 : 0
        copy(e.currency, into: &c.currency)
        out.pointee = c
    }
}

@_cdecl("hqt_engine_positions")
public func hqt_engine_positions(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_position>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in try copyList(try engine(handle).positions, out, capacity, count, hqt_position.init)
    }
}

@_cdecl("hqt_engine_position")
public func hqt_engine_position(
    _ handle: OpaquePointer?, _ ticket: UInt64,
    _ out: UnsafeMutablePointer<hqt_position>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        guard let p = e.position(ticket: ticket) else {
            throw HQTError(.unknownTicket, "no open position with ticket \(ticket)")
        }
        out.pointee = hqt_position(p)
    }
}

@_cdecl("hqt_engine_orders")
public func hqt_engine_orders(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_order>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in try copyList(try engine(handle).orders, out, capacity, count, hqt_order.init) }
}

@_cdecl("hqt_engine_order_history")
public func hqt_engine_order_history(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_order>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in try copyList(try engine(handle).orderHistory, out, capacity, count, hqt_order.init)
    }
}

@_cdecl("hqt_engine_deals")
public func hqt_engine_deals(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_deal>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in try copyList(try engine(handle).deals, out, capacity, count, hqt_deal.init) }
}

@_cdecl("hqt_engine_trades")
public func hqt_engine_trades(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_trade>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in try copyList(try engine(handle).trades, out, capacity, count, hqt_trade.init) }
}

@_cdecl("hqt_engine_equity_curve")
public func hqt_engine_equity_curve(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_equity_point>?,
    _ capacity: Int, _ count: UnsafeMutablePointer<Int>?
) -> Int32 {
    status { () throws(HQTError) in
        try copyList(try engine(handle).equityCurve, out, capacity, count, hqt_equity_point.init)
    }
}

@_cdecl("hqt_engine_statistics")
public func hqt_engine_statistics(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_statistics>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        out.pointee = hqt_statistics(e.statistics(report: false))  // hqt_engine_report has the report
    }
}

// The hot state (Engine+HotState.swift): HotState and hqt_state_view are
// the same bytes (StateViewLayoutTests checks the offsets), so the C view
// is the engine's own memory, read with plain loads.
@_cdecl("hqt_engine_state_view")
public func hqt_engine_state_view(_ handle: OpaquePointer?) -> UnsafeRawPointer? {
    do throws(HQTError) {
        return UnsafeRawPointer(try engine(handle).hot)
    } catch {
        _ = setLastError(error)
        return nil
    }
}

@_cdecl("hqt_view_margin_level")
public func hqt_view_margin_level(_ view: UnsafePointer<hqt_state_view>?) -> Int64 {
    guard let v = view?.pointee, v.margin > 0 else { return 0 }
    return FixedPoint.mulDiv(v.equity, 100 * FixedPoint.scale, v.margin)
}
