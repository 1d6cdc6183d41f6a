import Testing

@testable import HQTCore

// Quote sessions (MT5's SymbolInfoSessionQuote,
// mql5.com/en/docs/marketinformation/symbolinfosessionquote): MT5 has no
// prices outside them, so HQT skips a tick the data holds there, as if the
// data did not hold it, and counts it. 2024-01-01 is a Monday; sessions
// Monday to Friday all day (weekdays 1...5), so Saturday and Sunday ticks
// are skipped.
@Suite struct QuoteSessionTests {
    static let monday: Int64 = 1_704_067_200 * SEC
    static let weekdays = (1...5).map { TradeSession(weekday: Int32($0), start: 0, end: 86_400) }

    func engine(sessions: Bool = true) throws -> Engine {
        let e = try makeEngine()
        var s = usdSymbol()
        s.swapMode = .depositCurrency; s.swapLong = -U
        if sessions { s.quoteSessions = QuoteSessionTests.weekdays }
        try e.addSymbol(s)
        return e
    }

    @Test func aWeekendTickIsSkippedAndCounted() throws {
        let e = try engine()
        let m = QuoteSessionTests.monday
        try e.tick(at: m + 4 * DAY + 22 * 3_600 * SEC, bid: 1_100_000, ask: 1_100_200)  // Friday 22:00
        try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 1_099_000))
        // Saturday 12:00, far through the limit: not a quote. Nothing moves.
        try e.tick(at: m + 5 * DAY + 12 * 3_600 * SEC, bid: 1_090_000, ask: 1_090_200)
        #expect(e.orders.count == 1 && e.deals.isEmpty)
        #expect(try e.quote(of: 0).bid == 1_100_000 && e.ticksOutsideQuoteSessions == 1)
        #expect(e.currentTime == m + 4 * DAY + 22 * 3_600 * SEC)
        // Monday 00:01: a quote again; the limit fills at this tick's ask.
        try e.tick(at: m + 7 * DAY + MIN, bid: 1_098_000, ask: 1_098_200)
        #expect(e.orders.isEmpty && e.deals.first?.price == 1_098_200)
    }

    @Test func aRunSkipsWeekendTicksAsIfTheDataDidNotHoldThem() throws {
        // Two weeks of hourly ticks, one buy held throughout, H4 bars built.
        let m = QuoteSessionTests.monday
        var times: [Int64] = [], bids: [Int64] = []
        for h in 0..<(14 * 24) {
            times.append(m + Int64(h) * 3_600 * SEC)
            bids.append(1_100_000 + Int64(h % 17) * 10)
        }
        func run(_ e: Engine, _ t: [Int64], _ b: [Int64]) throws -> [Bar] {
            try e.loadTicks(symbolID: 0, time: t, bid: b, ask: b.map { $0 + 20 })
            try e.buildBars(symbolID: 0, timeframe: 240)
            var bars: [Bar] = []
            try e.run(
                StrategyHooks(
                    onTick: { e, _ throws(HQTError) in if e.positions.isEmpty { try e.buy(symbolID: 0, volume: LOT) } },
                    onBar: { _, bar in bars.append(bar) }))
            return bars
        }
        let gated = try engine()
        let barsGated = try run(gated, times, bids)
        // The same data without Saturday and Sunday, and no sessions.
        let weekday = times.indices.filter { ((times[$0] - m) / DAY) % 7 < 5 }
        let plain = try engine(sessions: false)
        let barsPlain = try run(plain, weekday.map { times[$0] }, weekday.map { bids[$0] })
        #expect(barsGated == barsPlain && !barsGated.isEmpty)
        #expect(gated.deals == plain.deals && gated.positions == plain.positions)
        // Swaps: Mon..Fri of week 1 (Wednesday ×3) = 7 days, week 2 Mon..Thu (×3) = 6: −13.
        #expect(gated.positions.first?.swap == -13 * U)
        #expect(gated.ticksOutsideQuoteSessions == 2 * 48)
        #expect(gated.statistics().ticksProcessed == Int64(weekday.count))
    }

    @Test func quoteSessionsAreValidatedAndFingerprinted() throws {
        let e = try makeEngine()
        var s = usdSymbol()
        s.quoteSessions = [TradeSession(weekday: 7, start: 0, end: 10)]
        do throws(HQTError) {
            try e.addSymbol(s)
            Issue.record("a bad quote session was accepted")
        } catch { #expect(error.code == .invalidArgument && error.message.contains("quote session")) }
        let a = try engine(sessions: false), b = try engine()
        #expect(a.configurationFingerprint != b.configurationFingerprint)
        let w = ByteWriter()
        usdSymbol().writeQuoteSessions(into: w)
        #expect(w.bytes.isEmpty)
    }
}
