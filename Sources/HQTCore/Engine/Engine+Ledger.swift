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
    /// Swap charged to open positions at a rollover (Engine+Swaps.swift).
    case swap(charges: [SwapCharge], time: Int64)
    /// Bars of a timeframe start being built from a symbol's ticks, on
    /// their bid, ask or mid.
    case buildBars(symbolID: UInt32, timeframe: Timeframe, price: PriceSource)
    /// A run moves to `stage` (at `ending`, closing the bars in progress
    /// when `flushesBars`).
    case runMark(stage: RunStage, flushesBars: Bool, tickModel: TickModel)
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
        try writeAhead(op)
        apply(op)
    }

    /// `commit(.fill(fill))` without wrapping the fill (some 600 bytes) in
    /// a `LedgerOp` unless the journal records it: every deal comes here.
    func commit(fill: Fill) throws(HQTError) {
        if journal != nil { try writeAhead(.fill(fill)) }
        apply(fill: fill)
    }

    /// Applies one change to its owner (book, account, feed), then lets
    /// the derived state (trigger index, aggregates) and the sinks follow.
    func apply(_ op: LedgerOp) {
        if case .fill(let fill) = op { return apply(fill: fill) }
        defer { rebuildTriggerIndex() }
        switch op {
        case .fill(let fill):
            apply(fill: fill)
        case let .positionModify(ticket, sl, tp, trailing, time):
            guard let p = book.modifyPosition(ticket: ticket, sl: sl, tp: tp, trailingPoints: trailing) else { return }
            notifyPosition(p, event: .modified, time: time)
        case .orderPlace(let order):
            book.place(order)
            notifyOrder(order, time: order.timeSetup)
        case .orderModify(let order):
            guard book.replace(order) else { return }
            notifyOrder(order, time: currentTime)
        case let .orderRemove(ticket, state, time):
            guard let order = book.remove(ticket: ticket, state: state) else { return }
            notifyOrder(order, time: time)
        case let .buildBars(symbolID, timeframe, price):
            addBarBuilder(symbolID: symbolID, timeframe: timeframe, price: price)
        case let .runMark(stage, _, model):
            runStage = stage
            tickModel = model
        case let .swap(charges, time):
            applySwap(charges, time: time)
        case let .balance(amount, time):
            accountState.balance += amount
            accountState.netDeposits += amount
            if !applyingWithoutPrices { sampleEquity(at: time) }
            notifyAccount(time: time)
        }
    }

    /// A deal: the book, the index and the account follow, then the hot
    /// view (once, with the account's new margin and equity), then the sinks.
    private func apply(fill: Fill) {
        let effect = book.apply(fill)
        accountState.balance = fill.deal.balance
        unreportedDeals += 1
        // Floating profit and used margin are summed from the per-symbol
        // aggregates, so they must reflect this fill before the sums.
        updateTriggerIndex(after: fill, effect)
        accountState.usedMargin = totalMargin()
        accountState.updateMarginCheckEquity(replaying: replaying)
        refreshOpenSwap()
        refreshFloatingProfit()
        stats.trackDrawdown(equity: accountState.equity)
        sampleEquity(at: fill.deal.time)
        refreshHotAccount()
        guard sinkSet.active else { return }
        if fill.order.type.isMarket { notifyOrder(fill.order, state: .placed, time: fill.deal.time) }
        notifyOrder(fill.order, time: fill.deal.time)
        notifyDeal(fill.deal)
        notifyPosition(fill.position ?? closedPositionView(fill), event: effect.event, time: fill.deal.time)
        notifyAccount(time: fill.deal.time)
        // Only a sink (trading from a callback) could have changed the book
        // since the index was brought up to date.
        rebuildTriggerIndex()
    }

    /// What a POSITION event shows for a position that no longer exists.
    private func closedPositionView(_ fill: Fill) -> Position {
        Position(
            ticket: fill.positionTicket, symbolID: fill.deal.symbolID, side: fill.deal.side.opposite,
            volume: 0, openPrice: fill.trade?.openPrice ?? fill.deal.price,
            openTime: fill.trade?.openTime ?? fill.deal.time, sl: 0, tp: 0, trailingPoints: 0,
            profit: fill.deal.profit, margin: 0, commission: 0, magic: fill.deal.magic)
    }

    /// Adds (or, at the same instant, replaces) an equity-curve point.
    /// Inline: every bar takes one (the call's prologue and spills were a
    /// quarter of its cost).
    @inline(__always)
    func sampleEquity(at time: Int64) {
        stats.sample(
            EquityPoint(
                time: time, balance: accountState.balance, equity: accountState.equity,
                margin: accountState.usedMargin))
    }
}
