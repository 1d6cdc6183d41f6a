import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Market data and the clock": ticks (ask >= bid > 0, time
// never backwards per symbol and against the engine clock), bars (OHLC of
// bid, known at close time, ask = close + spread), loads all-or-nothing,
// build_bars from ticks (bid prices, volume = tick count x 1e6).
@Suite struct DataLoadingTests {
    func engine(spread: Int64 = 0) throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(spread: spread))
        return e
    }

    @Test func loadedTicksAreRunInOrder() throws {
        let e = try engine()
        try e.loadTicks(
            symbolID: 0, time: [SEC, 2 * SEC, 2 * SEC], bid: [1_000_000, 1_000_100, 1_000_200],
            ask: [1_000_100, 1_000_200, 1_000_300])
        #expect(e.pendingEventCount == 3)
        let log = EventLog()
        try e.run(StrategyHooks(onTick: { _, t in log.add("\(t.time / SEC):\(t.bid)") }))
        // equal times are allowed; order kept
        #expect(log.items == ["1:1000000", "2:1000100", "2:1000200"])
        #expect(e.pendingEventCount == 0 && e.ticksProcessed == 3)
        #expect(try e.quote(of: 0) == (1_000_200, 1_000_300, 2 * SEC))
    }

    @Test func doublePricesAreRoundedOnceHalfAwayFromZero() throws {
        let e = try engine()
        let time: [Int64] = [SEC]
        let bid: [Double] = [1.0078125]  // x 1e6 = 1 007 812.5 exactly -> 1 007 813
        let ask: [Double] = [1.0234375]  // x 1e6 = 1 023 437.5 exactly -> 1 023 438
        try time.withUnsafeBufferPointer { t in
            try bid.withUnsafeBufferPointer { b in
                try ask.withUnsafeBufferPointer { a in try e.loadTicks(symbolID: 0, time: t, bid: b, ask: a) }
            }
        }
        try e.run()
        #expect(try e.quote(of: 0).bid == 1_007_813)
        #expect(try e.quote(of: 0).ask == 1_023_438)
    }

    @Test func aBadTickRollsBackTheWholeLoad() throws {
        let e = try engine()
        try e.loadTicks(symbolID: 0, time: [SEC, 2 * SEC], bid: [1_000_000, 1_000_000], ask: [1_000_000, 1_000_000])
        // index 2 goes backwards: nothing of this batch is kept
        expectRejected(e, .dataOrder, mentions: ["tick 2", "backwards"]) {
            try e.loadTicks(
                symbolID: 0, time: [3 * SEC, 4 * SEC, 3 * SEC], bid: [1_000_000, 1_000_000, 1_000_000],
                ask: [1_000_000, 1_000_000, 1_000_000])
        }
        // index 1 has ask < bid
        expectRejected(e, .badData, mentions: ["tick 1", "below"]) {
            try e.loadTicks(
                symbolID: 0, time: [3 * SEC, 4 * SEC], bid: [1_000_000, 1_000_000], ask: [1_000_000, 999_999])
        }
        #expect(e.pendingEventCount == 2)
        // the series continues from 2 s
        try e.loadTicks(symbolID: 0, time: [3 * SEC], bid: [1_000_000], ask: [1_000_000])
        #expect(e.pendingEventCount == 3)
        try e.run()
        #expect(e.ticksProcessed == 3)
    }

    @Test func ticksCannotBeLoadedBeforeTheEnginesClock() throws {
        let e = try engine()
        try e.tick(at: 100 * SEC, bid: 1_000_000)
        expectRejected(e, .dataOrder, mentions: ["tick 0"]) {
            try e.loadTicks(symbolID: 0, time: [50 * SEC], bid: [1_000_000], ask: [1_000_000])
        }
        try e.loadTicks(symbolID: 0, time: [100 * SEC], bid: [1_000_000], ask: [1_000_000])  // same time is fine
        #expect(e.pendingEventCount == 1)
    }

    @Test func loadedBarsAreKnownAtTheirCloseTime() throws {
        let e = try engine(spread: 200)
        // two M5 bars opening at 0 and 300 s
        try e.loadBars(
            symbolID: 0, timeframe: 5, time: [0, 300 * SEC], open: [1_000_000, 1_001_000],
            high: [1_002_000, 1_003_000], low: [999_000, 1_000_500], close: [1_001_000, 1_002_000],
            volume: [10 * U, 20 * U])
        #expect(e.pendingEventCount == 2)
        let log = EventLog()
        try e.run(
            StrategyHooks(onBar: { e, b throws(HQTError) in
                let q = try e.quote(of: 0)
                // clock at the close time; bid = close, ask = close + 0.00020
                log.add(
                    "\(b.time / SEC) tf\(b.timeframe.minutes) at \(e.account.time / SEC) \(q.bid) \(q.ask) v\(b.volume)"
                )
            }))
        #expect(
            log.items == [
                "0 tf5 at 300 1001000 1001200 v10000000",
                "300 tf5 at 600 1002000 1002200 v20000000",
            ])
        #expect(e.barsProcessed == 2)
    }

    @Test func doubleBarsAreRounded() throws {
        let e = try engine()
        let t: [Int64] = [0]
        let o: [Double] = [1.0078125], h: [Double] = [1.0234375], l: [Double] = [1.0], c: [Double] = [1.0078125]
        let v: [Double] = [2.5]
        try t.withUnsafeBufferPointer { tb in
            try o.withUnsafeBufferPointer { ob in
                try h.withUnsafeBufferPointer { hb in
                    try l.withUnsafeBufferPointer { lb in
                        try c.withUnsafeBufferPointer { cb in
                            try v.withUnsafeBufferPointer { vb in
                                try e.loadBars(
                                    symbolID: 0, timeframe: 1, time: tb, open: ob, high: hb, low: lb, close: cb,
                                    volume: vb)
                            }
                        }
                    }
                }
            }
        }
        var seen: Bar?
        try e.run(StrategyHooks(onBar: { _, b in seen = b }))
        // 1.0078125 -> 1 007 813, 1.0234375 -> 1 023 438, 2.5 lots of volume -> 2 500 000
        #expect(
            seen
                == Bar(
                    symbolID: 0, timeframe: .m1, time: 0, open: 1_007_813, high: 1_023_438, low: 1_000_000,
                    close: 1_007_813, volume: 2_500_000))
    }

    @Test func barsLoadedInTwoBatchesContinueTheSeries() throws {
        let e = try engine()
        try e.loadBars(symbolID: 0, timeframe: 1, time: [0], open: [U], high: [U], low: [U], close: [U], volume: [0])
        expectRejected(e, .dataOrder, mentions: ["bar 0", "not after"]) {
            try e.loadBars(
                symbolID: 0, timeframe: 1, time: [0], open: [U], high: [U], low: [U], close: [U], volume: [0])
        }
        try e.loadBars(symbolID: 0, timeframe: 1, time: [MIN], open: [U], high: [U], low: [U], close: [U], volume: [0])
        #expect(e.pendingEventCount == 2)
    }

    @Test func barsBuiltFromTicksCarryBidOHLCAndTickCount() throws {
        let e = try engine()
        try e.buildBars(symbolID: 0, timeframe: 1)
        try e.buildBars(symbolID: 0, timeframe: 1)  // same one again: no-op
        // bar [0, 60 s): 1.0, 1.2, 0.9, 1.1; bar [60, 120 s): 1.3; asks are bid + 0.01 and never used
        let bids: [Int64] = [1_000_000, 1_200_000, 900_000, 1_100_000, 1_300_000]
        try e.loadTicks(
            symbolID: 0, time: [10 * SEC, 30 * SEC, 50 * SEC, 59 * SEC, 61 * SEC], bid: bids,
            ask: bids.map { $0 + 10_000 })
        var bars: [Bar] = []
        try e.run(StrategyHooks(onBar: { _, b in bars.append(b) }))
        #expect(
            bars == [
                Bar(
                    symbolID: 0, timeframe: .m1, time: 0, open: 1_000_000, high: 1_200_000, low: 900_000,
                    close: 1_100_000, volume: 4 * U),
                Bar(
                    symbolID: 0, timeframe: .m1, time: MIN, open: 1_300_000, high: 1_300_000, low: 1_300_000,
                    close: 1_300_000, volume: 1 * U),
            ])
    }

    @Test func flushBarsDeliversTheBarInProgress() throws {
        let e = try engine()
        try e.buildBars(symbolID: 0, timeframe: 5)
        try e.tick(at: 10 * SEC, bid: 1_000_000)
        try e.tick(at: 20 * SEC, bid: 1_000_500)
        var bars: [Bar] = []
        try e.flushBars(hooks: StrategyHooks(onBar: { _, b in bars.append(b) }))
        #expect(
            bars == [
                Bar(
                    symbolID: 0, timeframe: .m5, time: 0, open: 1_000_000, high: 1_000_500, low: 1_000_000,
                    close: 1_000_500, volume: 2 * U)
            ])
        try e.flushBars(hooks: StrategyHooks(onBar: { _, b in bars.append(b) }))  // nothing left
        #expect(bars.count == 1)
    }
}
