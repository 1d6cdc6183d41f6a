/// Swaps (docs/engine.md, "Swaps"): at every rollover — `rolloverTime`
/// seconds after 00:00 server time, every day — each open position is
/// charged its symbol's swap, the days the rollover stands for times one
/// day's amount. The charge accumulates on the position (MT5's
/// POSITION_SWAP): part of the floating result and of equity, booked into
/// the balance by the deal that closes the position (or its share of a
/// partial close), inside that deal's and trade's profit.
///
/// A rollover stands for the day it ends, the weekday of the second before
/// it: a day ending on Saturday or Sunday charges nothing, one ending on the
/// symbol's `swapRollover3days` charges three days (MT5 charges the weekend
/// in advance on that day, Wednesday by default; mql5.com, "Getting swap
/// sizes", SYMBOL_SWAP_ROLLOVER3DAYS), any other one day.
///
/// Clock-driven: the next rollover is folded into `nextTimedWork`, so the
/// tick path pays nothing more than its existing compare; a rollover is
/// charged at the first event at or after it, and an event after a gap
/// charges every rollover the gap crossed, at that event's prices.
extension Engine {
    static let nanosPerDay: Int64 = 86_400 * 1_000_000_000
    static let nanosPerSecond: Int64 = 1_000_000_000

    /// The rollover time of day, in seconds after 00:00 server time
    /// (0...86399; 0 by default). Changes the schedule from the next event.
    public func setRolloverTime(_ seconds: Int64) throws(HQTError) {
        guard (0..<86_400).contains(seconds) else {
            throw HQTError(.invalidArgument, "rollover time must be 0...86399 seconds of the day, got \(seconds)")
        }
        try checkNotRunning("set the rollover time")
        rolloverTime = seconds
        nextRollover = currentTime == .min ? .min : Engine.rollover(after: currentTime, at: seconds)
        nextTimedWork = .min
    }

    /// The first rollover strictly after `time` (nanoseconds since the epoch).
    static func rollover(after time: Int64, at seconds: Int64) -> Int64 {
        let offset = seconds * nanosPerSecond
        let shifted = time.subtractingReportingOverflow(offset)
        if shifted.overflow { return .min + nanosPerDay + offset }
        var day = shifted.partialValue / nanosPerDay
        if shifted.partialValue % nanosPerDay < 0 { day -= 1 }  // floor
        let next = (day + 1).multipliedReportingOverflow(by: nanosPerDay)
        if next.overflow || next.partialValue > .max - offset { return .max }
        return next.partialValue + offset
    }

    /// Weekday (0 = Sunday) of the day that ends at rollover `instant`.
    static func weekdayEnding(at instant: Int64) -> Int {
        let before = instant &- 1
        var days = before / nanosPerDay
        if before % nanosPerDay < 0 { days -= 1 }
        // 1970-01-01 was a Thursday (4).
        let w = (days + 4) % 7
        return Int(w < 0 ? w + 7 : w)
    }

    /// Days one rollover ending on `weekday` charges for a symbol whose
    /// triple day is `tripleDay`.
    static func swapDays(weekday: Int, tripleDay: Int32) -> Int64 {
        if weekday == 0 || weekday == 6 { return 0 }
        return weekday == Int(tripleDay) ? 3 : 1
    }

    /// Called from `timedWork` when the clock reached `nextRollover`.
    @inline(never)
    func chargeSwaps(at time: Int64) throws(HQTError) {
        guard nextRollover != .min else {
            // The first event: the schedule starts from it (no position can
            // be open before the first quote).
            nextRollover = Engine.rollover(after: time, at: rolloverTime)
            return
        }
        // How many rollovers of each weekday the clock crossed: whole weeks
        // at once, so a long gap costs no more than a short one.
        var crossed = (0, 0, 0, 0, 0, 0, 0)
        let count = Int64((Int128(time) - Int128(nextRollover)) / Int128(Engine.nanosPerDay) + 1)
        let weeks = Int(count / 7)
        var first = Engine.weekdayEnding(at: nextRollover)
        withUnsafeMutableBytes(of: &crossed) { raw in
            let c = raw.bindMemory(to: Int.self)
            for w in 0..<7 { c[w] = weeks }
            for _ in 0..<Int(count % 7) {
                c[first] += 1
                first = (first + 1) % 7
            }
        }
        nextRollover = Engine.rollover(after: time, at: rolloverTime)
        guard !book.positions.isEmpty else { return }
        let previous = phase
        phase = .rollover
        defer { phase = previous }
        if replaying {
            applyReplayed(phase: .rollover)
            // A charge can take the account to its stop-out level at once.
            if accountState.needsMarginCheck { try checkMarginLevels() }
            return
        }
        var charges: [SwapCharge] = []
        for p in book.positions {
            let spec = symbols[Int(p.symbolID)]
            guard spec.swapMode != .disabled else { continue }
            var days: Int64 = 0
            withUnsafeBytes(of: crossed) { raw in
                let c = raw.bindMemory(to: Int.self)
                for w in 0..<7 { days += Int64(c[w]) * Engine.swapDays(weekday: w, tripleDay: spec.swapRollover3days) }
            }
            guard days > 0 else { continue }
            let amount = try dailySwap(of: p, spec: spec)
            let total = Int64(clamping: Int128(amount) * Int128(days))
            guard total != 0 else { continue }
            charges.append(SwapCharge(ticket: p.ticket, amount: total))
        }
        guard !charges.isEmpty else { return }
        try commit(.swap(charges: charges, time: time))
        if accountState.needsMarginCheck { try checkMarginLevels() }
    }

    /// One day's swap of position `p` in account money (docs/engine.md,
    /// "Swaps", has the formulas; MT5's ENUM_SYMBOL_SWAP_MODE).
    func dailySwap(of p: Position, spec: SymbolSpec) throws(HQTError) -> Int64 {
        let rate = p.side == .buy ? spec.swapLong : spec.swapShort
        let q = quotes[Int(p.symbolID)]
        switch spec.swapMode {
        case .disabled:
            return 0
        case .points:
            // rate points × point = a price move; its profit in the profit
            // currency, converted like profit.
            let move = FixedPoint.mulDiv(rate, spec.point, FixedPoint.scale)
            let raw = Engine.rawProfit(
                side: .buy, open: 0, close: move, volume: p.volume, contractSize: spec.profitMultiplier)
            return try convertSwap(raw, from: spec.profitCurrency)
        case .baseCurrency:
            return try convertSwap(FixedPoint.mulDiv(rate, p.volume, FixedPoint.scale), from: spec.baseCurrency)
        case .marginCurrency:
            return try convertSwap(
                FixedPoint.mulDiv(rate, p.volume, FixedPoint.scale), from: spec.effectiveMarginCurrency)
        case .depositCurrency:
            return FixedPoint.mulDiv(rate, p.volume, FixedPoint.scale)
        case .interestCurrent, .interestOpen:
            // Annual percent of the position's value at the current (closing)
            // price or at its open price, one 360th per day.
            let price = spec.swapMode == .interestOpen ? p.openPrice : (p.side == .buy ? q.bid : q.ask)
            let value = Engine.rawProfit(
                side: .buy, open: 0, close: price, volume: p.volume, contractSize: spec.profitMultiplier)
            let raw = FixedPoint.divRoundWide(Int128(value) * Int128(rate), 36_000 * Int128(FixedPoint.scale))
            return try convertSwap(raw, from: spec.profitCurrency)
        }
    }

    /// Money in `currency` → account money, at the conversion symbol's
    /// current quote (as profit is converted).
    private func convertSwap(_ amount: Int64, from currency: String) throws(HQTError) -> Int64 {
        guard amount != 0 else { return 0 }
        try checkConvertible(currency)
        return convertProfit(amount, route: try route(from: currency))
    }

    /// Adds journaled charges to their positions (`apply(.swap)`).
    func applySwap(_ charges: [SwapCharge], time: Int64) {
        for c in charges {
            guard let i = book.positionIndex(ticket: c.ticket) else { continue }
            book.positions[i].swap = Engine.clampMoney(Int128(book.positions[i].swap) + Int128(c.amount))
        }
        refreshOpenSwap()
        refreshFloatingProfit()
        stats.trackDrawdown(equity: accountState.equity)
        if !applyingWithoutPrices { sampleEquity(at: time) }
        for c in charges {
            guard let i = book.positionIndex(ticket: c.ticket) else { continue }
            notifyPosition(book.positions[i], event: .modified, time: time)
        }
        notifyAccount(time: time)
    }

    /// The sum of the open positions' swaps (part of the floating result).
    func refreshOpenSwap() {
        var total: Int128 = 0
        for p in book.positions { total += Int128(p.swap) }
        openSwap = Engine.clampMoney(total)
    }

    static func clampMoney(_ value: Int128) -> Int64 {
        Int64(max(min(value, Int128(maxBalance)), -Int128(maxBalance)))
    }
}

extension SymbolSpec {
    /// The swap fields in the configuration fingerprint, only when swaps
    /// are on, so a configuration without swaps keeps its fingerprint.
    func writeSwapFields(into w: ByteWriter) {
        guard swapMode != .disabled else { return }
        w.u8(0xC2)  // tag: the swap fields follow
        w.i32(swapMode.rawValue); w.i64(swapLong); w.i64(swapShort); w.i32(swapRollover3days)
    }
}

/// One position's charge at a rollover (a SWAP record's entry).
struct SwapCharge: Equatable {
    var ticket: UInt64
    var amount: Int64
}
