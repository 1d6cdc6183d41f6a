import Testing

@testable import HQTCore

// Issue 10 item 6: a load writes straight into the columns' reserved room and
// counts the ticks only once all are good; a load made of several calls (a
// file in chunks) is undone with truncateTicks.
@Suite struct ChunkedLoadTests {
    func engine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        return e
    }

    /// n ticks from `start` seconds on, bid 1.0 + k micro units, ask 1 point above.
    func ticks(_ n: Int, from start: Int64) -> (time: [Int64], bid: [Int64], ask: [Int64]) {
        let time = (0..<n).map { (start + Int64($0)) * SEC }
        let bid = (0..<n).map { 1_000_000 + Int64($0) }
        return (time, bid, bid.map { $0 + 10 })
    }

    @Test func aBadLastTickOfALargeLoadLeavesTheSeriesAsItWas() throws {
        let e = try engine()
        let first = ticks(1_000, from: 1)
        try e.loadTicks(symbolID: 0, time: first.time, bid: first.bid, ask: first.ask)
        // 300,000 ticks make the columns grow (realloc) before the bad one, the last
        var big = ticks(300_000, from: 2_000)
        big.ask[big.ask.count - 1] = 0
        expectRejected(e, .invalidPrice, mentions: ["tick 299999"]) {
            try e.loadTicks(symbolID: 0, time: big.time, bid: big.bid, ask: big.ask)
        }
        #expect(e.pendingEventCount == 1_000)
        #expect(try e.tickCount(symbolID: 0) == 1_000)
        // a later good load follows the first one: nothing of the refused one shows
        let next = ticks(3, from: 5_000)
        try e.loadTicks(symbolID: 0, time: next.time, bid: next.bid.map { $0 + 7 }, ask: next.ask.map { $0 + 7 })
        let log = EventLog()
        try e.run(StrategyHooks(onTick: { _, t in log.add("\(t.time / SEC):\(t.bid)") }))
        #expect(log.items.count == 1_003)
        #expect(Array(log.items.suffix(4)) == ["1000:1000999", "5000:1000007", "5001:1000008", "5002:1000009"])
    }

    @Test func truncateTicksUndoesLaterChunks() throws {
        let e = try engine()
        #expect(try e.tickCount(symbolID: 0) == 0)
        try e.truncateTicks(symbolID: 0, to: 0)  // nothing loaded, nothing to drop
        for k in 0..<3 {
            let c = ticks(5, from: 1 + Int64(k) * 10)
            try e.loadTicks(symbolID: 0, time: c.time, bid: c.bid, ask: c.ask)
        }
        #expect(try e.tickCount(symbolID: 0) == 15)
        expectRejected(e, .invalidArgument, mentions: ["16"]) { try e.truncateTicks(symbolID: 0, to: 16) }
        try e.truncateTicks(symbolID: 0, to: 5)
        #expect(e.pendingEventCount == 5)
        #expect(try e.tickCount(symbolID: 0) == 5)
        try e.run()
        #expect(try e.quote(of: 0) == (1_000_004, 1_000_014, 5 * SEC))
        // ticks already run cannot be dropped
        expectRejected(e, .invalidArgument, mentions: ["already run"]) { try e.truncateTicks(symbolID: 0, to: 4) }
        expectRejected(e, .unknownSymbol) { try e.truncateTicks(symbolID: 9, to: 0) }
        expectRejected(e, .unknownSymbol) { _ = try e.tickCount(symbolID: 9) }
        // after a truncation, time order is checked against what is kept
        let again = ticks(2, from: 6)
        try e.loadTicks(symbolID: 0, time: again.time, bid: again.bid, ask: again.ask)
        #expect(e.pendingEventCount == 2)
    }
}
