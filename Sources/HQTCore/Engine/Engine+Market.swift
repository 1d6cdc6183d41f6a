/// Price range of one event for trigger checks: a tick is a range of one
/// price; a bar spans low...high, with ask = bid + spread.
struct PriceRange {
    var openBid: Int64, lowBid: Int64, highBid: Int64
    var openAsk: Int64, lowAsk: Int64, highAsk: Int64
    /// True for bars: SL and TP levels are filled at the level (or the open,
    /// if the bar opened beyond it) instead of at the tick's price.
    var intrabar: Bool
}

/// Processing of one market event: quotes, pending-order triggers, SL/TP,
/// trailing stops, floating profit, margin call and stop-out, bars built
/// from ticks, equity samples. Strategy hooks are called by the caller
/// (run loop or `process`), never while a mutation is in progress.
extension Engine {
    /// A tick of symbol `s` (validated by the caller). `@_transparent`, not
    /// `@inline(__always)`: with the quiet-tick path beside it in the run
    /// loop the optimizer stopped inlining the latter, which cost the Python
    /// callback path 6% (callgrind: +39 instructions a tick).
    @_transparent
    func handleTick(_ s: Int, time: Int64, bid: Int64, ask: Int64) throws(HQTError) {
        eventsProcessed &+= 1
        try applyTick(s, time: time, bid: bid, ask: ask)
    }

    /// A tick's prices applied, without counting an event: a loaded tick is
    /// one event, a tick generated from a bar one step inside its bar's.
    @_transparent
    func applyTick(_ s: Int, time: Int64, bid: Int64, ask: Int64) throws(HQTError) {
        previousTime = currentTime
        currentTime = time
        stats.ticksProcessed &+= 1
        phase = .beforeMarket
        // The symbol's row, addressed once (the table does not move while
        // events are processed: symbols are added only between runs).
        let q = quotes + s
        if q.pointee.builders > 0 { try closeBuiltBars(symbol: s, before: time) }
        phase = .triggers
        let triggers = q.pointee.mayTrigger(lowBid: bid, highBid: bid, lowAsk: ask, highAsk: ask, time: time)
        // Positions now (on_bar of a bar closed above may have opened some):
        // revalued at the new prices before anything acts on them; a tick
        // that triggers nothing and tells no sink is finished in the same
        // call (drawdown, margin levels).
        let positions = activeSymbols.count > 0
        let quiet = !triggers && !sinkSet.active
        if positions {
            try setQuoteRevaluing(
                q, bid: bid, ask: ask, time: time, clockBefore: previousTime, isTick: true, finish: quiet)
        } else {
            q.pointee.bid = bid
            q.pointee.ask = ask
            q.pointee.time = time
        }
        if !quiet {
            if sinkSet.active { notifyTick(symbol: s, time: time, bid: bid, ask: ask) }
            if triggers {
                try checkTriggers(
                    symbol: s,
                    range: PriceRange(
                        openBid: bid, lowBid: bid, highBid: bid,
                        openAsk: ask, lowAsk: ask, highAsk: ask, intrabar: false))
                // Fills revalue as they apply; an order filled here cannot take
                // the sum past the range by itself, but the check stays exact.
                if activeSymbols.count > 0 {
                    try checkFloatingProfitRange()
                    try afterRevaluation()
                }
            } else if positions {
                try afterRevaluation()
            }
        }
        if time >= nextTimedWork { try timedWork(at: time) }
        if q.pointee.builders > 0 { addToBuiltBars(symbol: s, time: time, bid: bid, ask: ask) }
        if q.pointee.tickIndicators > 0 { updateTickIndicators(s, bid: bid, ask: ask, time: time) }
    }

    /// Sets the symbol's new quote and revalues the open positions at it
    /// before anything acts on it. Prices that would take their floating
    /// profit past ±`maxBalance` are refused with the account as it was:
    /// the quote, the clock (the previous event's time) and the event
    /// counter are put back, and the error is thrown. With `finish`, also
    /// what follows a revaluation (drawdown, margin levels) for a tick
    /// that nothing else acts on. Out of line, so the tick path without
    /// positions carries none of it.
    @inline(never)
    func setQuoteRevaluing(
        _ q: UnsafeMutablePointer<SymbolState>, bid: Int64, ask: Int64, time: Int64, clockBefore: Int64,
        isTick: Bool, finish: Bool = false
    ) throws(HQTError) {
        let old = (bid: q.pointee.bid, ask: q.pointee.ask, time: q.pointee.time)
        q.pointee.bid = bid
        q.pointee.ask = ask
        q.pointee.time = time
        if refreshFloatingProfit() {
            if finish {
                stats.trackDrawdown(equity: accountState.equity)
                if accountState.needsMarginCheck { try checkMarginLevels() }
            }
            return
        }
        try refuseQuote(q, old: old, time: time, clockBefore: clockBefore, isTick: isTick)
    }

    /// Refuses an event whose prices put the floating profit out of range:
    /// the quote (`old`), the clock (`clockBefore`) and the event counter as
    /// they were, then the error.
    @inline(never)
    func refuseQuote(
        _ q: UnsafeMutablePointer<SymbolState>, old: (bid: Int64, ask: Int64, time: Int64), time: Int64,
        clockBefore: Int64, isTick: Bool
    ) throws(HQTError) -> Never {
        q.pointee.bid = old.bid
        q.pointee.ask = old.ask
        q.pointee.time = old.time
        currentTime = clockBefore
        if isTick { stats.ticksProcessed &-= 1 } else { stats.barsProcessed &-= 1 }
        refreshFloatingProfit()
        throw HQTError(
            .range,
            "the event at \(time) was refused: at its prices the open positions' floating profit would be beyond ±2e12 account units, the range HQT keeps exact (check the prices for a jump, and the volumes); nothing was changed"
        )
    }

    /// The floating profit after fills (a backstop: the quote was checked).
    @inline(never)
    func checkFloatingProfitRange() throws(HQTError) {
        guard refreshFloatingProfit() else {
            throw HQTError(
                .range,
                "at \(now) the open positions' floating profit is beyond ±2e12 account units, the range HQT keeps exact: check the prices (a jump?) and the volumes"
            )
        }
    }

    /// Drawdown and the margin levels at the prices just revalued.
    /// Out of line: the tick loop without positions stays small.
    @inline(never)
    func afterRevaluation() throws(HQTError) {
        stats.trackDrawdown(equity: accountState.equity)
        if accountState.needsMarginCheck { try checkMarginLevels() }
    }

    /// A loaded bar that has just closed at `closeTime`.
    func handleBar(_ bar: Bar, closeTime: Int64) throws(HQTError) {
        let s = Int(bar.symbolID)
        let clockBefore = currentTime
        currentTime = max(currentTime, closeTime)
        stats.barsProcessed &+= 1
        eventsProcessed &+= 1
        let q = quotes + s
        let spread = symbols[s].spread
        let old = (bid: q.pointee.bid, ask: q.pointee.ask, time: q.pointee.time)
        q.pointee.bid = bar.close
        q.pointee.ask = bar.close &+ spread
        q.pointee.time = currentTime
        // Inline, unlike the tick path's out-of-line `setQuoteRevaluing`: a
        // bar always does enough work for the call to show (callgrind: ~30
        // instructions a bar), and a bar run usually holds a position.
        if activeSymbols.count > 0, !refreshFloatingProfit() {
            try refuseQuote(q, old: old, time: currentTime, clockBefore: clockBefore, isTick: false)
        }
        phase = .triggers
        if q.pointee.mayTrigger(
            lowBid: bar.low, highBid: bar.high, lowAsk: bar.low + spread,
            highAsk: bar.high + spread, time: currentTime)
        {
            try checkTriggers(
                symbol: s,
                range: PriceRange(
                    openBid: bar.open, lowBid: bar.low, highBid: bar.high,
                    openAsk: bar.open + spread, lowAsk: bar.low + spread,
                    highAsk: bar.high + spread, intrabar: true))
            if activeSymbols.count > 0 { try checkFloatingProfitRange() }
        }
        // The margin levels only when they can have moved past a level (the
        // tick path's test): an exact check on every bar cost 0.1's speed.
        if activeSymbols.count > 0 {
            stats.trackDrawdown(equity: accountState.equity)
            if accountState.needsMarginCheck { try checkMarginLevels() }
        }
        sampleEquity(at: currentTime)
        if currentTime >= nextTimedWork { try barTimedWork(at: currentTime) }
        updateBarIndicators(bar, closeTime: closeTime)
        notifyBar(bar)
    }

    /// `timedWork` after a bar took its equity sample. When the interval
    /// sample is all that is due (the common case: a bar per interval),
    /// only the next one is scheduled, here, without the call.
    @inline(__always)
    func barTimedWork(at time: Int64) throws(HQTError) {
        guard time < earliestExpiration, time < nextRollover, time >= stats.nextEquitySample else {
            return try timedWork(at: time, sampled: true)
        }
        stats.scheduleNextSample(after: time)
        nextTimedWork = min(stats.nextEquitySample, earliestExpiration, nextRollover)
    }

    /// A loaded bar under a tick model that generates ticks (`TickGenerator`):
    /// one event of the feed and of the journal, inside which each generated
    /// tick is applied as a tick (SL/TP and pending orders at its price,
    /// then `onTick`); then the bar itself goes to `onBar` at its close, with
    /// the close as the quote, as a loaded bar does under the bar rule.
    /// Tick times never go back past the engine's clock (another series'
    /// event may have run inside the minute), so they are clamped to it.
    func handleGeneratedBar(
        _ bar: Bar, series: BarSeries, row: Int, closeTime: Int64,
        onTick: ((Engine, Tick) throws(HQTError) -> Void)?
    ) throws(HQTError) {
        let s = Int(bar.symbolID)
        // A later window of a run's source may bring other bars.
        guard !tickModel.needsM1 || bar.timeframe == .m1 else {
            throw needsM1Error(tickModel, symbol: s, timeframe: bar.timeframe)
        }
        eventsProcessed &+= 1
        stats.barsProcessed &+= 1
        let spread = symbols[s].spread
        let n = generateTicks(bar, series: series, row: row, point: quotes[s].point)
        var floor = currentTime
        for k in 0..<n {
            let time = max(TickGenerator.time(ofTick: k, count: n, open: bar.time), floor)
            floor = time
            let bid = scratchTickPrices[k], ask = bid + spread
            // Recovery: each step applies only the records its own time wrote.
            if replaying { replayStepTime = time }
            try applyTick(s, time: time, bid: bid, ask: ask)
            try tickCallbacks(Tick(symbolID: bar.symbolID, time: time, bid: bid, ask: ask), onTick)
            if replaying { applyReplayed(phase: .callbacks, time: time) }
        }
        replayStepTime = nil
        previousTime = currentTime
        currentTime = max(currentTime, closeTime)
        quotes[s].bid = bar.close
        quotes[s].ask = bar.close + spread
        quotes[s].time = currentTime
        if activeSymbols.count > 0 {
            try checkFloatingProfitRange()
            try afterRevaluation()
        }
        sampleEquity(at: currentTime)
        if currentTime >= nextTimedWork { try timedWork(at: currentTime, sampled: true) }
        updateBarIndicators(bar, closeTime: closeTime)
        notifyBar(bar)
        try barCallbacks(bar)
    }

    /// The bar's generated bid prices, into `scratchTickPrices`; returns
    /// their count. A doji's direction comes from the bars before it in its
    /// series, so it is the same however the run got there (recovery too).
    func generateTicks(_ bar: Bar, series: BarSeries, row: Int, point: Int64) -> Int {
        let rising = TickGenerator.rising(
            open: bar.open, close: bar.close, previousRising: Engine.previousRising(series, before: row))
        return TickGenerator.generate(
            tickModel, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume,
            rising: rising, point: point, into: &scratchTickPrices)
    }

    /// Whether the bar before `row` counts as rising (a doji: the opposite
    /// of its own predecessor). Looks back at most 64 bars; the bar before
    /// the first loaded one (or beyond that) counts as falling.
    static func previousRising(_ series: BarSeries, before row: Int) -> Bool {
        var j = row - 1, dojis = 0
        while j >= 0 && dojis < 64 {
            let o = series.open[j], c = series.close[j]
            if c != o { return (c > o) != (dojis & 1 == 1) }
            dojis += 1
            j -= 1
        }
        return dojis & 1 == 1
    }

    func sampleOnInterval(_ time: Int64) {
        sampleEquity(at: time)
        stats.scheduleNextSample(after: time)
    }

    /// What is due by the clock whatever the symbol: the periodic equity
    /// sample, and expirations. A specified expiration happens at the first
    /// event at or after its time, of any symbol (MT5 expires an order at its
    /// time, not at its own symbol's next quote); the symbol's own events
    /// also expire it in `checkTriggers`. One compare on the tick path
    /// (`nextTimedWork`, the earlier of the two times) covers both.
    /// `sampled`: the caller has just taken the sample at `time` (a bar),
    /// and nothing has changed since: the interval sample would replace it
    /// with the same point, so only the next one is scheduled.
    @inline(never)
    func timedWork(at time: Int64, sampled: Bool = false) throws(HQTError) {
        if time >= stats.nextEquitySample {
            if sampled { stats.scheduleNextSample(after: time) } else { sampleOnInterval(time) }
        }
        if time >= earliestExpiration {
            let previous = phase
            phase = .triggers
            defer { phase = previous }
            if replaying {
                applyReplayed(phase: .triggers)
            } else {
                let due = book.orders.filter { $0.expiration != 0 && time >= $0.expiration }.map(\.ticket)
                for ticket in due { try commit(.orderRemove(ticket: ticket, state: .expired, time: time)) }
            }
        }
        if time >= nextRollover { try chargeSwaps(at: time) }
        nextTimedWork = min(stats.nextEquitySample, earliestExpiration, nextRollover)
    }

    // MARK: triggers

    func checkTriggers(symbol s: Int, range r: PriceRange) throws(HQTError) {
        if replaying {
            // Recovery: the log holds what the triggers did.
            applyReplayed(phase: .triggers)
            return
        }
        let id = UInt32(s)
        let time = currentTime
        // Pending orders: expire, trigger. Collected first because filling
        // changes the book being scanned.
        // Outside the trade sessions pending orders wait (MT5 triggers them
        // only while the symbol trades); expiration still happens on time.
        let sessionOpen = symbols[s].isTradeOpen(at: time)
        if !book.orders.isEmpty {
            var hits: [(UInt64, Int64)] = []
            var expired: [UInt64] = []
            var converted: [Order] = []
            for o in book.orders where o.symbolID == id {
                if o.expiration != 0 && time >= o.expiration { expired.append(o.ticket); continue }
                guard sessionOpen else { continue }
                switch o.type {
                // A tick that gaps through a limit fills at its own, better price,
                // as MT5's tester does with ticks (docs/engine.md "Trading rules");
                // a bar keeps the limit price (HQT's bar rule).
                case .buyLimit where r.lowAsk <= o.price: hits.append((o.ticket, r.intrabar ? o.price : r.openAsk))
                case .sellLimit where r.highBid >= o.price: hits.append((o.ticket, r.intrabar ? o.price : r.openBid))
                case .buyStop where r.highAsk >= o.price: hits.append((o.ticket, max(o.price, r.openAsk)))
                case .sellStop where r.lowBid <= o.price: hits.append((o.ticket, min(o.price, r.openBid)))
                case .buyStopLimit where r.highAsk >= o.price, .sellStopLimit where r.lowBid <= o.price:
                    var limit = o
                    limit.type = o.type == .buyStopLimit ? .buyLimit : .sellLimit
                    limit.price = o.stopLimit
                    limit.stopLimit = 0
                    limit.state = .placed
                    converted.append(limit)
                default: break
                }
            }
            for ticket in expired { try commit(.orderRemove(ticket: ticket, state: .expired, time: time)) }
            for order in converted { try commit(.orderModify(order)) }
            for (ticket, price) in hits {
                guard let i = book.orderIndex(ticket: ticket) else { continue }
                let order = book.orders[i]
                // A RETURN remainder past the volume limit waits for room.
                guard pendingFits(order) else { continue }
                if let fill = try marketFill(order: order, reason: .pending, price: price, rejectOnNoMoney: true) {
                    try commit(fill: fill)
                } else {
                    try commit(.orderRemove(ticket: ticket, state: .rejected, time: time))
                }
            }
        }
        // Positions: SL before TP when a bar crosses both (pessimistic).
        if !scratchTriggers.isEmpty { scratchTriggers.removeAll(keepingCapacity: true) }
        var trailing = false
        book.positions.withUnsafeBufferPointer { book in
            for i in book.indices where book[i].symbolID == id {
                let p = book[i]
                if p.trailingPoints > 0 { trailing = true }
                if p.side == .buy {
                    if p.sl > 0 && r.lowBid <= p.sl {
                        scratchTriggers.append((i, .stopLoss, r.intrabar ? min(p.sl, r.openBid) : r.openBid))
                    } else if p.tp > 0 && r.highBid >= p.tp {
                        scratchTriggers.append((i, .takeProfit, r.intrabar ? max(p.tp, r.openBid) : r.openBid))
                    }
                } else {
                    if p.sl > 0 && r.highAsk >= p.sl {
                        scratchTriggers.append((i, .stopLoss, r.intrabar ? max(p.sl, r.openAsk) : r.openAsk))
                    } else if p.tp > 0 && r.lowAsk <= p.tp {
                        scratchTriggers.append((i, .takeProfit, r.intrabar ? min(p.tp, r.openAsk) : r.openAsk))
                    }
                }
            }
        }
        if !scratchTriggers.isEmpty {
            let hits = scratchTriggers.map { (book.positions[$0.index].ticket, $0.reason, $0.price) }
            for (ticket, reason, price) in hits {
                guard let p = position(ticket: ticket) else { continue }
                try commit(fill: try closeFill(p, volume: p.volume, price: price, reason: reason))
            }
        }
        if trailing { try trailStops(symbol: id) }
    }

    /// Moves trailing stops in the position's favour, as MT5's terminal
    /// does: nothing until the profit in points reaches the trailing
    /// distance; from then on a buy's SL follows bid - distance upwards, a
    /// sell's ask + distance downwards, never back ("As soon as the profit
    /// in points becomes equal to or larger than the indicated level, ... a
    /// Stop Loss at the indicated distance from the current price";
    /// metatrader5.com/en/terminal/help/trading/trailing_stop).
    func trailStops(symbol id: UInt32) throws(HQTError) {
        let q = quotes[Int(id)]
        let point = q.point
        var moves: [(UInt64, Int64)] = []
        for p in book.positions where p.symbolID == id && p.trailingPoints > 0 {
            let distance = p.trailingPoints * point
            if p.side == .buy {
                let level = q.bid - distance
                // level >= open: the profit (bid - open) has reached the distance.
                if level > 0 && level >= p.openPrice && level > p.sl { moves.append((p.ticket, level)) }
            } else {
                let level = q.ask + distance
                if level <= p.openPrice && (p.sl == 0 || level < p.sl) { moves.append((p.ticket, level)) }
            }
        }
        for (ticket, sl) in moves {
            guard let p = position(ticket: ticket) else { continue }
            try commit(
                .positionModify(ticket: ticket, sl: sl, tp: p.tp, trailingPoints: p.trailingPoints, time: currentTime))
        }
    }

    // MARK: margin call and stop-out

    func checkMarginLevels() throws(HQTError) {
        if replaying { applyReplayed(phase: .stopOut) }
        let call = accountState.marginLevelAtOrBelow(accountState.marginCallLevel)
        if call != accountState.marginCallActive {
            accountState.marginCallActive = call
            if call { notifyMargin(.marginCall) }
        }
        guard !replaying, accountState.marginLevelAtOrBelow(accountState.stopOutLevel) else { return }
        let previous = phase
        phase = .stopOut
        defer { phase = previous }
        try stopOut()
    }

    /// Closes the most losing position until the margin level is above the
    /// stop-out level again (or nothing is left).
    func stopOut() throws(HQTError) {
        notifyMargin(.stopOut)
        while accountState.marginLevelAtOrBelow(accountState.stopOutLevel),
            let worst = book.positions.min(by: { floatingProfit(of: $0) < floatingProfit(of: $1) })
        {
            let q = quotes[Int(worst.symbolID)]
            try commit(
                .fill(
                    try closeFill(
                        worst, volume: worst.volume, price: worst.side == .buy ? q.bid : q.ask,
                        reason: .stopOut)))
        }
        accountState.marginCallActive = accountState.marginLevelAtOrBelow(accountState.marginCallLevel)
    }

    // MARK: bars built from ticks

    /// Closes the symbol's bars in progress that end at or before `time`,
    /// earliest close first. While a bar is delivered the engine's clock
    /// stands at the bar's close (orders from on_bar carry that time);
    /// prices are still the previous tick's.
    func closeBuiltBars(symbol s: Int, before time: Int64) throws(HQTError) {
        guard time >= quotes[s].nextBarClose else { return }
        let tickTime = currentTime
        for b in Feed.closing(feed.builders, among: feed.buildersBySymbol[s], at: time) {
            let bar = feed.builders[b].bar
            let closeTime = feed.builders[b].closeTime
            feed.builders[b].active = false
            currentTime = max(previousTime, closeTime)
            previousTime = currentTime
            try emitBuiltBar(bar, closeTime: closeTime)
        }
        currentTime = tickTime
    }

    /// Adds a tick to the symbol's bars in progress and refreshes the time
    /// at which the next of them closes. Each builder picks its own price
    /// (bid, ask or mid) from the tick.
    @inline(__always)
    func addToBuiltBars(symbol s: Int, time: Int64, bid: Int64, ask: Int64) {
        var next = Int64.max
        for b in feed.buildersBySymbol[s] {
            feed.builders[b].add(time: time, bid: bid, ask: ask)
            next = min(next, feed.builders[b].closeTime)
        }
        quotes[s].nextBarClose = next
    }

    /// Closes every bar in progress (end of a run, or an explicit flush).
    func flushBuiltBars() throws(HQTError) {
        for b in feed.builders.indices where feed.builders[b].active {
            let bar = feed.builders[b].bar
            let closeTime = feed.builders[b].closeTime
            feed.builders[b].active = false
            try emitBuiltBar(bar, closeTime: closeTime)
        }
    }

    private func emitBuiltBar(_ bar: Bar, closeTime: Int64) throws(HQTError) {
        stats.barsProcessed &+= 1
        // At a flush the bar has not reached its end: the sample stays at
        // the engine's time so the curve never runs ahead of the data.
        sampleEquity(at: min(closeTime, now))
        updateBarIndicators(bar, closeTime: closeTime)
        notifyBar(bar)
        if replaying { applyReplayed(phase: phase, time: now) }
        try deliverTrades()
        if let onBar = hooks.onBar {
            syncHot()
            try onBar(self, bar)
            try deliverTrades()
        }
    }
}
