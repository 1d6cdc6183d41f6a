import Testing

@testable import HQTCore

/// The one event order (Feed / Merge): by time; at equal times bars first,
/// then lower symbol id, then shorter timeframe — and the same order for
/// run(), a warm-up walk and recovery's re-walk.
@Suite struct FeedMergeTests {
    /// Runs the engine's loaded data and records what the hooks saw.
    func runOrder(_ e: Engine) throws -> [String] {
        var seen: [String] = []
        try e.run(
            StrategyHooks(
                onTick: { _, t in seen.append("t\(t.symbolID)@\(t.time)") },
                onBar: { _, b in seen.append("b\(b.symbolID)/\(b.timeframe.minutes)@\(b.time)") }))
        return seen
    }

    func walkOrder(_ e: Engine) throws -> [String] {
        var seen: [String] = []
        try e.feed.walk(
            upTo: e.feed.position,
            visit: { (event, _) throws(HQTError) in
                switch event {
                case let .tick(s, row): seen.append("t\(s.symbolID)@\(s.time[row])")
                case let .bar(s, row): seen.append("b\(s.symbolID)/\(s.timeframe.minutes)@\(s.time[row])")
                }
            },
            builtBar: { (bar, _) throws(HQTError) in
                seen.append("b\(bar.symbolID)/\(bar.timeframe.minutes)@\(bar.time)")
            })
        return seen
    }

    /// Ties everywhere: ticks of two symbols at the same instants, and M1 and
    /// M5 bars of both symbols closing at those instants too. Loaded in an
    /// order unlike the tie order, so load order cannot be what decides.
    func tiedEngine() throws -> Engine {
        let e = try makeEngine()
        for name in ["AAAUSD", "BBBUSD"] { try e.addSymbol(usdSymbol(name)) }
        let t0: Int64 = 1_700_000_100 * SEC / (5 * MIN) * (5 * MIN)
        let times = (0..<10).map { t0 + Int64($0) * MIN }
        let prices = Array(repeating: U, count: times.count)
        // Bars open one period before they close at a tick's time.
        try e.loadBars(symbolID: 1, timeframe: 5, time: [t0], open: [U], high: [U], low: [U], close: [U], volume: [0])
        try e.loadBars(
            symbolID: 1, timeframe: 1, time: times.map { $0 - MIN }, open: prices, high: prices,
            low: prices, close: prices, volume: prices.map { _ in 0 })
        try e.loadTicks(symbolID: 1, time: times, bid: prices, ask: prices)
        try e.loadTicks(symbolID: 0, time: times, bid: prices, ask: prices)
        try e.loadBars(
            symbolID: 0, timeframe: 1, time: times.map { $0 - MIN }, open: prices, high: prices,
            low: prices, close: prices, volume: prices.map { _ in 0 })
        return e
    }

    @Test func equalTimesPutBarsFirstThenSymbolThenTimeframe() throws {
        let e = try tiedEngine()
        let order = try runOrder(e)
        #expect(order.count == 10 * 2 + 10 * 2 + 1)
        // At the first instant: both symbols' M1 bars (symbol 0 first), then ticks.
        #expect(Array(order.prefix(4)) == [order[0], order[1], order[2], order[3]])
        #expect(order[0].hasPrefix("b0/1@"))
        #expect(order[1].hasPrefix("b1/1@"))
        #expect(order[2].hasPrefix("t0@"))
        #expect(order[3].hasPrefix("t1@"))
        // The M5 bar of symbol 1 closes at t0 + 5 min: after symbol 1's M1 bar
        // (shorter timeframe first), before any tick of that instant.
        let i = order.firstIndex { $0.hasPrefix("b1/5@") }!
        #expect(order[i - 1].hasPrefix("b1/1@"))
        #expect(order[i + 1].hasPrefix("t0@"))
    }

    @Test func warmUpWalkDeliversTheRunsOrder() throws {
        let e = try tiedEngine()
        let run = try runOrder(e)
        #expect(try walkOrder(e) == run)
    }

    @Test func builtBarsComeInTheSameOrderLiveAndInAWalk() throws {
        let e = try makeEngine()
        for name in ["AAAUSD", "BBBUSD"] { try e.addSymbol(usdSymbol(name)) }
        for s: UInt32 in [0, 1] {
            try e.buildBars(symbolID: s, timeframe: 5)
            try e.buildBars(symbolID: s, timeframe: 1)
        }
        let t0: Int64 = 1_700_000_000 * SEC / (5 * MIN) * (5 * MIN)
        let times = (0..<40).map { t0 + Int64($0) * 30 * SEC }
        let prices = times.indices.map { U + Int64($0) }
        try e.loadTicks(symbolID: 0, time: times, bid: prices, ask: prices)
        try e.loadTicks(symbolID: 1, time: times.map { $0 + SEC }, bid: prices, ask: prices)
        var live: [String] = []
        try e.run(
            StrategyHooks(
                onTick: { _, t in live.append("t\(t.symbolID)@\(t.time)") },
                onBar: { _, b in live.append("b\(b.symbolID)/\(b.timeframe.minutes)@\(b.time)") }))
        // The walk covers the loaded events; the run also flushed the bars
        // still open at its end, which no event closed.
        let walked = try walkOrder(e)
        #expect(live.starts(with: walked))
        #expect(live.count - walked.count == 4)
    }

    @Test func manySymbolsMergeInTimeOrder() throws {
        let e = try makeEngine()
        let k = 37  // not a power of two: the loser tree's odd shape
        for i in 0..<k { try e.addSymbol(usdSymbol("S\(i)")) }
        var expected: [(Int64, Int)] = []
        var rng = SystemRandomNumberGenerator()
        for s in 0..<k {
            var t: Int64 = 1_000 * SEC
            var times: [Int64] = []
            for _ in 0..<(5 + s % 7) {
                t += Int64.random(in: 0...3, using: &rng) * SEC  // repeats: ties across symbols
                times.append(t)
                expected.append((t, s))
            }
            try e.loadTicks(symbolID: UInt32(s), time: times, bid: times.map { _ in U }, ask: times.map { _ in U })
        }
        expected.sort { $0 < $1 }
        var seen: [(Int64, Int)] = []
        try e.run(StrategyHooks(onTick: { _, t in seen.append((t.time, Int(t.symbolID))) }))
        #expect(seen.map(\.0) == expected.map(\.0))
        #expect(seen.map(\.1) == expected.map(\.1))
    }

    @Test func loadingMoreAfterARunContinuesTheMerge() throws {
        let e = try makeEngine()
        for name in ["AAAUSD", "BBBUSD"] { try e.addSymbol(usdSymbol(name)) }
        try e.loadTicks(symbolID: 0, time: [10 * SEC, 30 * SEC], bid: [U, U], ask: [U, U])
        try e.loadTicks(symbolID: 1, time: [20 * SEC], bid: [U], ask: [U])
        var seen: [Int64] = []
        let hooks = StrategyHooks(onTick: { _, t in seen.append(t.time / SEC) })
        try e.run(hooks)
        try e.loadTicks(symbolID: 1, time: [40 * SEC], bid: [U], ask: [U])
        try e.loadTicks(symbolID: 0, time: [50 * SEC], bid: [U], ask: [U])
        try e.run(hooks)
        #expect(seen == [10, 20, 30, 40, 50])
        #expect(e.pendingEventCount == 0)
    }
}
