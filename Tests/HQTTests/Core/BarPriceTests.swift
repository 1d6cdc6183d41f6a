import Testing

@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Bars built from ticks": bars on the bid (default), ask or
// mid ((bid + ask) / 2 rounded toward the bid), volume = tick count x 1e6;
// one builder per symbol and timeframe; the price survives a snapshot and a
// BUILD_BARS record.
@Suite struct BarPriceTests {
    /// Bar [0, 60 s) then [60, 120 s). The ask's highest tick (50 s) is not
    /// the bid's (30 s), and spreads vary, so ask and mid bars are not the
    /// bid bars shifted.
    static let time: [Int64] = [10 * SEC, 30 * SEC, 40 * SEC, 50 * SEC, 61 * SEC]
    static let bid: [Int64] = [1_000_000, 1_200_000, 900_000, 1_150_000, 1_300_000]
    static let ask: [Int64] = [1_000_101, 1_200_010, 900_300, 1_250_001, 1_300_050]

    static func bars(_ price: PriceSource?) throws -> [Bar] {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        if let price {
            try e.buildBars(symbolID: 0, timeframe: 1, price: price)
        } else {
            try e.buildBars(symbolID: 0, timeframe: 1)
        }
        try e.loadTicks(symbolID: 0, time: time, bid: bid, ask: ask)
        var out: [Bar] = []
        try e.run(StrategyHooks(onBar: { _, b in out.append(b) }))
        return out
    }

    static func m1(_ t: Int64, _ o: Int64, _ h: Int64, _ l: Int64, _ c: Int64, ticks: Int64) -> Bar {
        Bar(symbolID: 0, timeframe: .m1, time: t, open: o, high: h, low: l, close: c, volume: ticks * U)
    }

    @Test func bidIsTheDefaultAndAskAndMidFollowTheirPrice() throws {
        let bid = [
            Self.m1(0, 1_000_000, 1_200_000, 900_000, 1_150_000, ticks: 4),
            Self.m1(MIN, 1_300_000, 1_300_000, 1_300_000, 1_300_000, ticks: 1),
        ]
        #expect(try Self.bars(nil) == bid)
        #expect(try Self.bars(.bid) == bid)
        #expect(
            try Self.bars(.ask) == [
                Self.m1(0, 1_000_101, 1_250_001, 900_300, 1_250_001, ticks: 4),
                Self.m1(MIN, 1_300_050, 1_300_050, 1_300_050, 1_300_050, ticks: 1),
            ])
        // mids: 1_000_050.5 -> 1_000_051, 1_200_005, 900_150, 1_200_000.5 -> 1_200_001, 1_300_025
        #expect(
            try Self.bars(.mid) == [
                Self.m1(0, 1_000_051, 1_200_005, 900_150, 1_200_001, ticks: 4),
                Self.m1(MIN, 1_300_025, 1_300_025, 1_300_025, 1_300_025, ticks: 1),
            ])
    }

    @Test func midRoundsHalfUp() {
        let b = BarBuilder(symbolID: 0, timeframe: .m1, price: .mid)
        #expect(b.value(bid: 1_000_000, ask: 1_000_001) == 1_000_001)  // a one-unit spread: the ask
        #expect(b.value(bid: 1_000_000, ask: 1_000_003) == 1_000_002)
        #expect(b.value(bid: 1_000_000, ask: 1_000_002) == 1_000_001)
        #expect(b.value(bid: 1_000_000, ask: 1_000_000) == 1_000_000)
        let top = Engine.maxPrice
        // no overflow at the largest prices (a generated ask: bid + spread, both up to maxPrice)
        #expect(b.value(bid: top, ask: 2 * top) == top + top / 2)
        #expect(b.value(bid: top - 1, ask: top) == top)
    }

    @Test func eachTimeframeOfASymbolKeepsItsOwnPrice() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.buildBars(symbolID: 0, timeframe: 1, price: .ask)
        try e.buildBars(symbolID: 0, timeframe: 5, price: .mid)
        try e.buildBars(symbolID: 0, timeframe: 5, price: .mid)  // same again: no-op
        try e.loadTicks(symbolID: 0, time: Self.time, bid: Self.bid, ask: Self.ask)
        var out: [Bar] = []
        try e.run(StrategyHooks(onBar: { _, b in out.append(b) }))
        #expect(out.map(\.timeframe) == [.m1, .m1, .m5])
        #expect(out[0].close == 1_250_001 && out[1].close == 1_300_050)  // ask
        #expect(
            out[2]
                == Bar(
                    symbolID: 0, timeframe: .m5, time: 0, open: 1_000_051, high: 1_300_025,
                    low: 900_150, close: 1_300_025, volume: 5 * U))  // mid
    }

    @Test func badPricesAreRefusedWithTheEngineUnchanged() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        expectRejected(e, .invalidArgument, mentions: ["price 3", "bid", "ask", "mid"]) {
            try e.buildBars(symbolID: 0, timeframe: 1, price: .open)
        }
        expectRejected(e, .invalidArgument, mentions: ["price -1"]) {
            try e.buildBars(symbolID: 0, timeframe: 1, price: -1)
        }
        try e.buildBars(symbolID: 0, timeframe: 1)
        expectRejected(e, .invalidArgument, mentions: ["TEST", "already built from the bid", "not the mid"]) {
            try e.buildBars(symbolID: 0, timeframe: 1, price: .mid)
        }
        #expect(e.feed.builders.map(\.price) == [.bid])
        try e.clearData()  // forgets the request: another price is fine now
        try e.buildBars(symbolID: 0, timeframe: 1, price: .ask)
        #expect(e.feed.builders.map(\.price) == [.ask])
    }

    @Test func aSnapshotKeepsEachBuildersPriceAndBarInProgress() throws {
        func engine() throws -> Engine {
            let e = try makeEngine()
            try e.addSymbol(usdSymbol())
            return e
        }
        func feed(_ e: Engine, _ range: Range<Int>, into bars: inout [Bar]) throws {
            var out: [Bar] = []
            let hooks = StrategyHooks(onBar: { _, b in out.append(b) })
            for i in range { try e.tick(at: Self.time[i], bid: Self.bid[i], ask: Self.ask[i], hooks: hooks) }
            try e.flushBars(hooks: hooks)
            bars = out
        }
        let e = try engine()
        try e.buildBars(symbolID: 0, timeframe: 1, price: .mid)
        try e.buildBars(symbolID: 0, timeframe: 5, price: .ask)
        try e.buildBars(symbolID: 0, timeframe: 15)
        for i in 0..<3 { try e.tick(at: Self.time[i], bid: Self.bid[i], ask: Self.ask[i]) }  // bars in progress
        let w = ByteWriter()
        e.writeSnapshot(into: w, strategyState: [])
        let copy = try engine()  // builds nothing: the snapshot brings the builders
        _ = try copy.restore(snapshot: w.bytes, sequence: 1)
        let saved = e.feed.builders, restored = copy.feed.builders
        #expect(restored.map(\.price) == [.mid, .ask, .bid])
        #expect(restored.map(\.bar) == saved.map(\.bar) && restored.allSatisfy(\.active))
        var a: [Bar] = [], b: [Bar] = []
        try feed(e, 3..<5, into: &a)
        try feed(copy, 3..<5, into: &b)
        #expect(a == b && a.count == 4)
        #expect(
            a.last
                == Bar(
                    symbolID: 0, timeframe: .m15, time: 0, open: 1_000_000, high: 1_300_000,
                    low: 900_000, close: 1_300_000, volume: 5 * U))
    }

    @Test func aBuildBarsRecordCarriesThePriceOnlyWhenNotBid() throws {
        func encoded(_ price: PriceSource) -> [UInt8] {
            let w = ByteWriter()
            let record = LedgerRecord(
                event: 3, phase: .between, time: 7, op: .buildBars(symbolID: 0, timeframe: .m5, price: price))
            _ = record.encode(into: w)
            return w.bytes
        }
        #expect(encoded(.mid).count == encoded(.bid).count + 1)  // bid: the 25 bytes 0.2 wrote
        for price in [PriceSource.bid, .ask, .mid] {
            let r = try LedgerRecord.decode(type: 10, data: encoded(price), sequence: 1)
            guard case let .buildBars(_, tf, decoded) = r.op else {
                Issue.record("not BUILD_BARS")
                continue
            }
            #expect(tf == .m5 && decoded == price)
        }
        // 0 is never written (a bid record has no price byte), 3 is no bar price.
        for raw: UInt8 in [0, 3] {
            #expect { try LedgerRecord.decode(type: 10, data: encoded(.bid) + [raw], sequence: 9) } throws: {
                ($0 as? HQTError)?.code == .walCorrupt
                    && ($0 as? HQTError)?.message.contains("bar price \(raw)") == true
            }
        }
    }
}
