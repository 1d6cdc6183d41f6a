/// Every change to the trading state goes through `commit(_:)`: the change
/// is computed and validated first, then journaled (the write-ahead log
/// hooks in here), then applied. Recovery applies the same values again.
enum LedgerOp {
    /// A deal: opens, adds to, reduces, closes or reverses a position.
    case fill(Fill)
    case positionModify(ticket: UInt64, sl: Int64, tp: Int64, trailingPoints: Int64, time: Int64)
    case orderPlace(Order)
    /// A pending order's new terms (modify, or a stop-limit becoming a limit).
    case orderModify(Order)
    /// A pending order leaves the book without a fill.
    case orderRemove(ticket: UInt64, state: OrderState, time: Int64)
    case balance(amount: Int64, time: Int64)
    /// Bars of a timeframe start being built from a symbol's ticks.
    case buildBars(symbolID: UInt32, timeframe: Timeframe)
    /// A run moves to `stage` (at `ending`, closing the bars in progress
    /// when `flushesBars`).
    case runMark(stage: RunStage, flushesBars: Bool)
}

/// The complete outcome of one deal, computed before anything changes.
struct Fill {
    /// The order behind the deal, in its final (filled) state.
    var order: Order
    var deal: Deal
    var positionTicket: UInt64
    /// The position after the deal; nil when the deal closed it.
    var position: Position?
    /// The round trip the deal closed, if it closed anything.
    var trade: Trade?
}

extension Engine {
    /// Journals then applies one change. A journal failure leaves the state
    /// untouched and is reported to the caller.
    func commit(_ op: LedgerOp) throws(HQTError) {
        try journal(op)
        apply(op)
    }


    func takeTicket() -> UInt64 {
        defer { nextTicket += 1 }
        return nextTicket
    }

    func apply(_ op: LedgerOp) {
        defer { rebuildTriggerIndex() }
        switch op {
        case .fill(let fill):
            applyFill(fill)
        case let .positionModify(ticket, sl, tp, trailing, time):
            guard let i = openPositions.firstIndex(where: { $0.ticket == ticket }) else { return }
            openPositions[i].sl = sl
            openPositions[i].tp = tp
            openPositions[i].trailingPoints = trailing
            notifyPosition(openPositions[i], event: .modified, time: time)
        case .orderPlace(let order):
            orders.append(order)
            nextTicket = max(nextTicket, order.ticket + 1)
            notifyOrder(order, time: order.timeSetup)
        case .orderModify(let order):
            guard let i = orders.firstIndex(where: { $0.ticket == order.ticket }) else { return }
            orders[i] = order
            notifyOrder(order, time: currentTime)
        case let .orderRemove(ticket, state, time):
            guard let i = orders.firstIndex(where: { $0.ticket == ticket }) else { return }
            var order = orders.remove(at: i)
            order.state = state
            orderHistory.append(order)
            notifyOrder(order, time: time)
        case let .buildBars(symbolID, timeframe):
            addBarBuilder(symbolID: symbolID, timeframe: timeframe)
        case let .runMark(stage, _):
            runStage = stage
        case let .balance(amount, time):
            balance += amount
            netDeposits += amount
            if !applyingWithoutPrices { sampleEquity(at: time) }
            notifyAccount(time: time)
        }
    }

    private func applyFill(_ fill: Fill) {
        if let i = orders.firstIndex(where: { $0.ticket == fill.order.ticket }) {
            orders.remove(at: i)
        }
        orderHistory.append(fill.order)
        deals.append(fill.deal)
        balance = fill.deal.balance
        var event = PositionEvent.opened
        if let i = openPositions.firstIndex(where: { $0.ticket == fill.positionTicket }) {
            usedMargin -= openPositions[i].margin
            if let after = fill.position {
                event = after.volume < openPositions[i].volume && after.side == openPositions[i].side ? .partiallyClosed : .modified
                openPositions[i] = after
                usedMargin += after.margin
            } else {
                event = .closed
                openPositions.remove(at: i)
            }
        } else if let after = fill.position {
            openPositions.append(after)
            usedMargin += after.margin
        }
        if let trade = fill.trade { trades.append(trade) }
        nextTicket = max(nextTicket, fill.deal.ticket + 1, fill.order.ticket + 1)
        unreportedDeals += 1
        updateMarginCheckEquity()
        // The floating profit is summed over the hot position list, so that
        // list must reflect this fill before the sum (the deferred rebuild in
        // `apply` comes too late for equity, drawdown and the curve point).
        rebuildTriggerIndex()
        refreshFloatingProfit()
        trackDrawdown()
        sampleEquity(at: fill.deal.time)
        if fill.order.type.isMarket { notifyOrder(fill.order, state: .placed, time: fill.deal.time) }
        notifyOrder(fill.order, time: fill.deal.time)
        notifyDeal(fill.deal)
        notifyPosition(fill.position ?? closedPositionView(fill), event: event, time: fill.deal.time)
        notifyAccount(time: fill.deal.time)
    }

    /// What a POSITION frame shows for a position that no longer exists.
    private func closedPositionView(_ fill: Fill) -> Position {
        Position(ticket: fill.positionTicket, symbolID: fill.deal.symbolID, side: fill.deal.side.opposite,
                 volume: 0, openPrice: fill.trade?.openPrice ?? fill.deal.price,
                 openTime: fill.trade?.openTime ?? fill.deal.time, sl: 0, tp: 0, trailingPoints: 0,
                 profit: fill.deal.profit, margin: 0, commission: 0, magic: fill.deal.magic)
    }


    // MARK: equity curve and drawdown

    /// Adds (or, at the same instant, replaces) an equity-curve point.
    func sampleEquity(at time: Int64) {
        let point = EquityPoint(time: time, balance: balance, equity: equity, margin: usedMargin)
        if let last = equityCurve.last, last.time == time {
            equityCurve[equityCurve.count - 1] = point
        } else {
            equityCurve.append(point)
        }
    }

    @inline(__always)
    func trackDrawdown() {
        let e = balance &+ floatingProfit
        if e >= peakEquity {
            peakEquity = e
            return
        }
        let dd = peakEquity - e
        if dd > maxDrawdown { maxDrawdown = dd }
        // Compare without dividing on every tick; divide only on a new maximum.
        if Double(dd) * 100 > maxDrawdownPct * Double(peakEquity), peakEquity > 0 {
            maxDrawdownPct = Double(dd) / Double(peakEquity) * 100
        }
    }
}
