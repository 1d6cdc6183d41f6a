/// The trading API: validation happens here, before anything is computed,
/// so a rejected request leaves the engine exactly as it was.
extension Engine {
    /// Market buy at the current ask; returns the position ticket.
    @discardableResult
    public func buy(symbolID: UInt32, volume: Int64, sl: Int64 = 0, tp: Int64 = 0) throws(HQTError) -> UInt64 {
        try send(OrderRequest(symbolID: symbolID, type: .buy, volume: volume, sl: sl, tp: tp))
    }

    /// Market sell at the current bid; returns the position ticket.
    @discardableResult
    public func sell(symbolID: UInt32, volume: Int64, sl: Int64 = 0, tp: Int64 = 0) throws(HQTError) -> UInt64 {
        try send(OrderRequest(symbolID: symbolID, type: .sell, volume: volume, sl: sl, tp: tp))
    }

    /// Sends any order. Market orders return the ticket of the position
    /// they opened or changed; pending orders return the order ticket.
    @discardableResult
    public func send(_ request: OrderRequest) throws(HQTError) -> UInt64 {
        try checkTradingAllowed()
        try checkSymbol(request.symbolID)
        let i = Int(request.symbolID)
        // The spec is read in place (symbols[i]) rather than copied: a copy
        // retains and releases its names and sessions on every order.
        try checkMarketOpen(request.symbolID)
        try checkVolume(request.volume, symbol: i)
        // The two prices read in place: a copy of the symbol's row is some
        // 200 bytes.
        let bid = quotes[i].bid, ask = quotes[i].ask
        guard bid > 0 else {
            throw HQTError(.noPrice, "\(symbols[i].name) has no quote yet: load or process a tick or bar first")
        }
        // One check per field, no array: this runs on every order.
        try Engine.checkRequestPrice("sl", request.sl)
        try Engine.checkRequestPrice("tp", request.tp)
        try Engine.checkRequestPrice("price", request.price)
        try Engine.checkRequestPrice("stop limit", request.stopLimit)
        guard request.trailingPoints >= 0, request.trailingPoints <= 1_000_000_000 else {
            throw HQTError(.invalidArgument, "trailing stop must be 0...1e9 points")
        }
        try prepareProfitRoute(request.symbolID)
        if request.type.isMarket {
            let side = request.type.side
            // Without SL and TP both checks pass; skipping them spares
            // passing (copying) the spec on most orders.
            if request.sl != 0 || request.tp != 0 {
                try checkStops(
                    side: side, reference: side == .buy ? bid : ask, sl: request.sl, tp: request.tp,
                    spec: symbols[i], what: "the current \(side == .buy ? "bid" : "ask")")
                try checkStopsLevel(
                    side: side, reference: side == .buy ? bid : ask, sl: request.sl, tp: request.tp,
                    spec: symbols[i], what: "the current \(side == .buy ? "bid" : "ask")")
            }
            let (volume, rest) = try fillableVolume(request)
            let order = Order(
                ticket: 0, symbolID: request.symbolID, type: request.type, state: .filled,
                volume: volume, price: 0, stopLimit: 0, sl: request.sl, tp: request.tp,
                expiration: 0, timeSetup: now, trailingPoints: request.trailingPoints, magic: request.magic)
            let fill = try marketFill(order: order, reason: .client, price: side == .buy ? ask : bid)
            try commit(fill: fill)
            // IOC cancels the rest; RETURN keeps it as an order (Engine+Filling.swift).
            if rest > 0 && request.filling == .return {
                try commit(.orderPlace(returnRemainder(request, volume: rest, price: fill.deal.price)))
            }
            return fill.positionTicket
        }
        try checkPendingVolumeLimit(request)
        let expiration = try expiration(of: request)
        try checkPendingTerms(
            type: request.type, price: request.price, stopLimit: request.stopLimit,
            sl: request.sl, tp: request.tp, expiration: expiration, spec: symbols[i], quote: quotes[i])
        let order = Order(
            ticket: nextTicket, symbolID: request.symbolID, type: request.type, state: .placed,
            volume: request.volume, price: request.price, stopLimit: request.stopLimit,
            sl: request.sl, tp: request.tp, expiration: expiration, timeSetup: now,
            trailingPoints: request.trailingPoints, magic: request.magic)
        try commit(.orderPlace(order))
        return order.ticket
    }

    /// Changes SL/TP of a position or pending order. `nil` keeps a level,
    /// 0 removes it.
    public func modify(ticket: UInt64, sl: Int64?, tp: Int64?) throws(HQTError) {
        try checkTradingAllowed()
        for value in [sl, tp] {
            if let v = value, v < 0 || v > Engine.maxPrice {
                throw HQTError(.invalidPrice, "sl/tp \(FixedPoint.format(v)) must be >= 0 (0 = none)")
            }
        }
        if let p = position(ticket: ticket) {
            let spec = symbols[Int(p.symbolID)]
            let q = quotes[Int(p.symbolID)]
            try checkMarketOpen(p.symbolID)
            let newSL = sl ?? p.sl, newTP = tp ?? p.tp
            try checkStops(
                side: p.side, reference: p.side == .buy ? q.bid : q.ask, sl: newSL, tp: newTP, spec: spec,
                what: "the current \(p.side == .buy ? "bid" : "ask")")
            try checkPositionNotFrozen(p)
            // Only a level that changes must keep the stops level (MT5 refuses
            // a modification that moves SL or TP too close, not one that keeps it).
            try checkStopsLevel(
                side: p.side, reference: p.side == .buy ? q.bid : q.ask, sl: newSL == p.sl ? 0 : newSL,
                tp: newTP == p.tp ? 0 : newTP, spec: spec, what: "the current \(p.side == .buy ? "bid" : "ask")")
            try commit(
                .positionModify(ticket: ticket, sl: newSL, tp: newTP, trailingPoints: p.trailingPoints, time: now))
            return
        }
        guard var order = orders.first(where: { $0.ticket == ticket }) else {
            throw HQTError(.unknownTicket, "no open position or pending order with ticket \(ticket)")
        }
        try checkMarketOpen(order.symbolID)
        try checkOrderNotFrozen(order)
        order.sl = sl ?? order.sl
        order.tp = tp ?? order.tp
        try checkPendingStops(order, spec: symbols[Int(order.symbolID)])
        order.state = .modified
        try commit(.orderModify(order))
    }

    /// Changes price, stop-limit price or expiration of a pending order
    /// (`nil` keeps a value).
    public func modifyOrder(ticket: UInt64, price: Int64?, stopLimit: Int64?, expiration: Int64?) throws(HQTError) {
        try checkTradingAllowed()
        guard var order = orders.first(where: { $0.ticket == ticket }) else {
            throw HQTError(.unknownTicket, "no pending order with ticket \(ticket)")
        }
        for value in [price, stopLimit] {
            if let v = value, v < 0 || v > Engine.maxPrice {
                throw HQTError(.invalidPrice, "price \(FixedPoint.format(v)) must be > 0")
            }
        }
        try checkMarketOpen(order.symbolID)
        try checkOrderNotFrozen(order)
        let spec = symbols[Int(order.symbolID)]
        order.price = price ?? order.price
        order.stopLimit = stopLimit ?? order.stopLimit
        order.expiration = expiration ?? order.expiration
        try checkPendingTerms(
            type: order.type, price: order.price, stopLimit: order.stopLimit, sl: order.sl,
            tp: order.tp, expiration: order.expiration, spec: spec, quote: quotes[Int(order.symbolID)])
        order.state = .modified
        try commit(.orderModify(order))
    }

    /// Trailing stop distance of a position in points (0 turns it off).
    public func setTrailingStop(ticket: UInt64, points: Int64) throws(HQTError) {
        try checkTradingAllowed()
        guard points >= 0, points <= 1_000_000_000 else {
            throw HQTError(.invalidArgument, "trailing stop must be 0...1e9 points, got \(points)")
        }
        guard let p = position(ticket: ticket) else {
            throw HQTError(.unknownTicket, "no open position with ticket \(ticket)")
        }
        try commit(.positionModify(ticket: ticket, sl: p.sl, tp: p.tp, trailingPoints: points, time: now))
    }

    /// Closes a position (or `volume` of it) at market.
    public func close(ticket: UInt64, volume: Int64 = 0) throws(HQTError) {
        try checkTradingAllowed()
        guard let p = position(ticket: ticket) else {
            throw HQTError(.unknownTicket, "no open position with ticket \(ticket)")
        }
        try checkMarketOpen(p.symbolID)
        try checkPositionNotFrozen(p)
        let spec = symbols[Int(p.symbolID)]
        let amount = volume == 0 ? p.volume : volume
        guard amount > 0 else { throw HQTError(.invalidVolume, "close volume must be > 0 (0 = all)") }
        guard amount <= p.volume else {
            throw HQTError(
                .invalidVolume,
                "cannot close \(FixedPoint.format(amount)) lots of position \(ticket): it holds \(FixedPoint.format(p.volume))"
            )
        }
        guard amount % spec.volumeStep == 0 else {
            throw HQTError(
                .invalidVolume,
                "close volume \(FixedPoint.format(amount)) is not a multiple of the step \(FixedPoint.format(spec.volumeStep))"
            )
        }
        let rest = p.volume - amount
        guard rest == 0 || rest >= spec.volumeMin else {
            throw HQTError(
                .invalidVolume,
                "closing \(FixedPoint.format(amount)) would leave \(FixedPoint.format(rest)) lots, below the minimum \(FixedPoint.format(spec.volumeMin))"
            )
        }
        let q = quotes[Int(p.symbolID)]
        try commit(fill: try closeFill(p, volume: amount, price: p.side == .buy ? q.bid : q.ask, reason: .client))
    }

    /// Cancels a pending order.
    public func cancel(ticket: UInt64) throws(HQTError) {
        try checkTradingAllowed()
        guard let order = orders.first(where: { $0.ticket == ticket }) else {
            throw HQTError(.unknownTicket, "no pending order with ticket \(ticket)")
        }
        try checkMarketOpen(order.symbolID)
        try checkOrderNotFrozen(order)
        try commit(.orderRemove(ticket: ticket, state: .canceled, time: now))
    }

    /// Deposit (> 0) or withdrawal (< 0); a withdrawal cannot exceed free margin.
    public func deposit(_ amount: Int64) throws(HQTError) {
        try checkTradingAllowed()
        guard amount != 0, amount > -Engine.maxMoney, amount < Engine.maxMoney else {
            throw HQTError(.invalidArgument, "deposit amount must be non-zero and within ±1e12")
        }
        guard amount > 0 || -amount <= freeMargin else {
            throw HQTError(
                .noMoney,
                "cannot withdraw \(FixedPoint.format(-amount)): free margin is \(FixedPoint.format(freeMargin))")
        }
        _ = try Engine.balance(after: [balance, amount], "a deposit of \(FixedPoint.format(amount))")
        try commit(.balance(amount: amount, time: now))
    }

    // MARK: validation

    @inline(__always) var now: Int64 { currentTime == .min ? 0 : currentTime }

    func checkTradingAllowed() throws(HQTError) {
        guard !warmingUp else {
            throw HQTError(.state, "trading is not allowed during warm-up (check engine.warming_up)")
        }
        guard !walNeedsRecovery else { throw needsRecoveryError() }
    }

    /// Fields read in place: a spec passed by value is copied (its names
    /// and sessions retained and released) on every order. The test is
    /// inlined into `send`, the messages are not.
    @inline(__always)
    func checkVolume(_ volume: Int64, symbol i: Int) throws(HQTError) {
        guard volume >= symbols[i].volumeMin, volume <= symbols[i].volumeMax, volume % symbols[i].volumeStep == 0
        else { throw volumeError(volume, symbol: i) }
    }

    @inline(never)
    private func volumeError(_ volume: Int64, symbol i: Int) -> HQTError {
        guard volume >= symbols[i].volumeMin, volume <= symbols[i].volumeMax else {
            let spec = symbols[i]
            return HQTError(
                .invalidVolume,
                "volume \(FixedPoint.format(volume)) is outside \(spec.name)'s range \(FixedPoint.format(spec.volumeMin))...\(FixedPoint.format(spec.volumeMax)) lots"
            )
        }
        let spec = symbols[i]
        return HQTError(
            .invalidVolume,
            "volume \(FixedPoint.format(volume)) is not a multiple of \(spec.name)'s step \(FixedPoint.format(spec.volumeStep))"
        )
    }

    @inline(__always)
    static func checkRequestPrice(_ name: StaticString, _ value: Int64) throws(HQTError) {
        guard value >= 0, value <= Engine.maxPrice else {
            throw HQTError(.invalidPrice, "\(name) \(FixedPoint.format(value)) must be >= 0 (0 = none)")
        }
    }

    /// SL below and TP above the reference for buys; the reverse for sells.
    /// `what` (the reference's name) is built only for a message: this
    /// check runs on every order.
    func checkStops(
        side: Side, reference: Int64, sl: Int64, tp: Int64, spec: SymbolSpec, what: @autoclosure () -> String
    ) throws(HQTError) {
        var r: String { FixedPoint.format(reference) }
        if side == .buy {
            if sl > 0 && sl >= reference {
                throw HQTError(
                    .invalidStops, "\(spec.name) buy: stop loss \(FixedPoint.format(sl)) must be below \(what()) \(r)")
            }
            if tp > 0 && tp <= reference {
                throw HQTError(
                    .invalidStops, "\(spec.name) buy: take profit \(FixedPoint.format(tp)) must be above \(what()) \(r)"
                )
            }
        } else {
            if sl > 0 && sl <= reference {
                throw HQTError(
                    .invalidStops, "\(spec.name) sell: stop loss \(FixedPoint.format(sl)) must be above \(what()) \(r)")
            }
            if tp > 0 && tp >= reference {
                throw HQTError(
                    .invalidStops,
                    "\(spec.name) sell: take profit \(FixedPoint.format(tp)) must be below \(what()) \(r)")
            }
        }
    }

    func checkPendingStops(_ order: Order, spec: SymbolSpec) throws(HQTError) {
        let entry = (order.type == .buyStopLimit || order.type == .sellStopLimit) ? order.stopLimit : order.price
        try checkStops(
            side: order.type.side, reference: entry, sl: order.sl, tp: order.tp, spec: spec, what: "the order price")
        try checkStopsLevel(
            side: order.type.side, reference: entry, sl: order.sl, tp: order.tp, spec: spec, what: "the order price")
    }

    func checkPendingTerms(
        type: OrderType, price: Int64, stopLimit: Int64, sl: Int64, tp: Int64,
        expiration: Int64, spec: SymbolSpec, quote q: SymbolState
    ) throws(HQTError) {
        guard price > 0 else { throw HQTError(.invalidPrice, "\(spec.name): a pending order needs a price > 0") }
        var p: String { FixedPoint.format(price) }
        var bid: String { FixedPoint.format(q.bid) }
        var ask: String { FixedPoint.format(q.ask) }
        switch type {
        case .buyLimit where price >= q.ask:
            throw HQTError(.invalidPrice, "\(spec.name) buy limit \(p) must be below the ask \(ask)")
        case .sellLimit where price <= q.bid:
            throw HQTError(.invalidPrice, "\(spec.name) sell limit \(p) must be above the bid \(bid)")
        case .buyStop where price <= q.ask, .buyStopLimit where price <= q.ask:
            throw HQTError(.invalidPrice, "\(spec.name) buy stop \(p) must be above the ask \(ask)")
        case .sellStop where price >= q.bid, .sellStopLimit where price >= q.bid:
            throw HQTError(.invalidPrice, "\(spec.name) sell stop \(p) must be below the bid \(bid)")
        default: break
        }
        if type == .buyStopLimit || type == .sellStopLimit {
            guard stopLimit > 0 else {
                throw HQTError(.invalidPrice, "\(spec.name): a stop-limit order needs a stop-limit price > 0")
            }
            if type == .buyStopLimit && stopLimit >= price {
                throw HQTError(
                    .invalidPrice,
                    "\(spec.name) buy stop limit: limit \(FixedPoint.format(stopLimit)) must be below the stop \(p)")
            }
            if type == .sellStopLimit && stopLimit <= price {
                throw HQTError(
                    .invalidPrice,
                    "\(spec.name) sell stop limit: limit \(FixedPoint.format(stopLimit)) must be above the stop \(p)")
            }
        }
        guard expiration == 0 || expiration > now else {
            throw HQTError(.invalidArgument, "expiration \(expiration) is not after the current time \(now)")
        }
        let entry = (type == .buyStopLimit || type == .sellStopLimit) ? stopLimit : price
        try checkStops(side: type.side, reference: entry, sl: sl, tp: tp, spec: spec, what: "the order price")
        try checkPendingStopsLevel(type: type, price: price, spec: spec, quote: q)
        try checkStopsLevel(side: type.side, reference: entry, sl: sl, tp: tp, spec: spec, what: "the order price")
    }
}

extension Engine {
    /// The sum of a balance and amounts, or an error when it would leave
    /// ±`maxBalance` (naming `what`): the engine never wraps or traps.
    /// `balance + a + b` in range, for the deals: the array form's check
    /// without allocating an array on every order. The parts (balance,
    /// booked profit, commission: each within 2 × maxBalance) cannot
    /// overflow 64 bits in any order of addition, so the sum in 128 bits
    /// gives the same result and the same errors.
    @inline(__always)
    static func balance(
        after balance: Int64, _ a: Int64, _ b: Int64, _ what: @autoclosure () -> String
    ) throws(HQTError) -> Int64 {
        let total = Int128(balance) + Int128(a) + Int128(b)
        guard total >= Int128(-maxBalance), total <= Int128(maxBalance) else { throw balanceRangeError(what()) }
        return Int64(total)
    }

    static func balance(after parts: [Int64], _ what: @autoclosure () -> String) throws(HQTError) -> Int64 {
        var total: Int64 = 0
        for p in parts {
            let (sum, overflow) = total.addingReportingOverflow(p)
            guard !overflow else { throw balanceRangeError(what()) }
            total = sum
        }
        guard total >= -maxBalance, total <= maxBalance else { throw balanceRangeError(what()) }
        return total
    }

    static func balanceRangeError(_ what: String) -> HQTError {
        HQTError(
            .range,
            "\(what) would take the balance beyond ±2e12, the range HQT keeps exact")
    }
}
