import Testing

@testable import HQTCore

// docs/engine.md "Tick models". Sources: MQL5 article 75, "The Algorithm of
// Ticks' Generation within the Strategy Tester of the MetaTrader 5 Terminal"
// (https://www.mql5.com/en/articles/75) and the MetaTrader 5 help, "Real and
// Generated Ticks" (tick volume 1: the close only; 2: open, close; more:
// reference points, a rising bar visiting its low before its high).
// Prices: TEST, 5 digits, 1 point = 10 micro.
@Suite struct TickModelTests {
    static let o: Int64 = 1_100_000, h: Int64 = 1_100_500, l: Int64 = 1_099_800
    static let up: Int64 = 1_100_300, down: Int64 = 1_099_900

    func gen(_ m: TickModel, c: Int64, volume: Int64 = 0, previousRising: Bool? = nil) -> [Int64] {
        var out: [Int64] = []
        let rising = TickGenerator.rising(open: Self.o, close: c, previousRising: previousRising)
        let n = TickGenerator.generate(
            m, open: Self.o, high: Self.h, low: Self.l, close: c, volume: volume, rising: rising, point: 10,
            into: &out)
        #expect(n == out.count)
        return out
    }

    // MARK: the generator

    @Test func ohlcM1GoesToTheLowFirstOnARisingBarAndToTheHighFirstOnAFallingOne() {
        // Rising (close 1.10030 > open 1.10000): O, L, H, C.
        #expect(gen(.ohlcM1, c: Self.up) == [1_100_000, 1_099_800, 1_100_500, 1_100_300])
        // Falling (close 1.09990): O, H, L, C.
        #expect(gen(.ohlcM1, c: Self.down) == [1_100_000, 1_100_500, 1_099_800, 1_099_900])
        // At :00, :15, :30, :45 of the minute.
        #expect(
            (0..<4).map { TickGenerator.time(ofTick: $0, count: 4, open: 10 * MIN) } == [
                10 * MIN, 10 * MIN + 15 * SEC, 10 * MIN + 30 * SEC, 10 * MIN + 45 * SEC,
            ])
    }

    @Test func aDojiIsTakenAsTheOppositeOfTheBarBeforeIt() {
        #expect(gen(.ohlcM1, c: Self.o, previousRising: true) == [Self.o, Self.h, Self.l, Self.o])
        #expect(gen(.ohlcM1, c: Self.o, previousRising: false) == [Self.o, Self.l, Self.h, Self.o])
        // No bar before it: the one before counts as falling, so the doji rises.
        #expect(gen(.ohlcM1, c: Self.o) == [Self.o, Self.l, Self.h, Self.o])
    }

    @Test func dojiDirectionComesFromTheSeriesItself() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        // rising, doji, doji, falling, doji
        let open: [Int64] = [1, 2, 2, 3, 1].map { $0 * U }, close: [Int64] = [2, 2, 2, 1, 1].map { $0 * U }
        try e.loadBars(
            symbolID: 0, timeframe: 1, time: (0..<5).map { Int64($0) * MIN }, open: open, high: open.map { _ in 3 * U },
            low: open.map { _ in U }, close: close, volume: open.map { _ in 0 })
        let s = e.feed.bars[0]
        #expect(Engine.previousRising(s, before: 0) == false)  // nothing before: falling
        #expect(Engine.previousRising(s, before: 1) == true)  // row 0 rose
        #expect(Engine.previousRising(s, before: 2) == false)  // row 1: doji after a rise
        #expect(Engine.previousRising(s, before: 3) == true)  // row 2: doji after a "fall"
        #expect(Engine.previousRising(s, before: 4) == false)  // row 3 fell
    }

    @Test func everyTickWithOneTwoThreeAndFourTicks() {
        // 1: only the close; 2: open, close (the article: no ticks generated).
        #expect(gen(.everyTick, c: Self.up, volume: 1 * U) == [Self.up])
        #expect(gen(.everyTick, c: Self.up, volume: 2 * U) == [Self.o, Self.up])
        // 3: one extreme fits, the one farther from the open (high: 50 points
        // up against 20 down).
        #expect(gen(.everyTick, c: Self.up, volume: 3 * U) == [Self.o, Self.h, Self.up])
        // 4: the four reference points.
        #expect(gen(.everyTick, c: Self.up, volume: 4 * U) == [Self.o, Self.l, Self.h, Self.up])
        // No tick volume: the four OHLC ticks; a fractional volume counts whole ticks.
        #expect(gen(.everyTick, c: Self.up, volume: 0) == [Self.o, Self.l, Self.h, Self.up])
        #expect(gen(.everyTick, c: Self.up, volume: 2_900_000) == [Self.o, Self.up])
    }

    @Test func everyTickSpreadsTheOtherTicksAsASawToothAlongTheLegs() {
        // Rising bar, tick volume 10: legs O->L 20 points, L->H 70, H->C 20
        // (total 110); 6 ticks to share: 6x20/110 = 1 r 10, 6x70/110 = 3 r 90,
        // 1 r 10 -> 5, the sixth to the largest remainder (L->H): 1, 4, 1.
        // O->L, m = 1: j = 1 of 2 -> -20 x 1/2 = -10 points -> 1.09990.
        // L->H, m = 4: j = 2, 1, 4, 3 of 5 -> 70 x j/5 = 28, 14, 56, 42 points
        //   -> 1.10008, 1.09994, 1.10036, 1.10022.
        // H->C, m = 1: -20 x 1/2 = -10 points -> 1.10040.
        #expect(
            gen(.everyTick, c: Self.up, volume: 10 * U) == [
                1_100_000, 1_099_900, 1_099_800, 1_100_080, 1_099_940, 1_100_360, 1_100_220, 1_100_500, 1_100_400,
                1_100_300,
            ])
        // 10 ticks: 6 s apart.
        #expect(TickGenerator.time(ofTick: 9, count: 10, open: 0) == 54 * SEC)
    }

    @Test func everyTickStaysInsideTheBarAndEndsAtItsClose() {
        for volume in [5, 7, 11, 60, 333, 1_000] as [Int64] {
            let ticks = gen(.everyTick, c: Self.down, volume: volume * U)
            #expect(ticks.count == Int(volume))
            #expect(ticks.first == Self.o && ticks.last == Self.down)
            #expect(ticks.allSatisfy { $0 >= Self.l && $0 <= Self.h && $0 % 10 == 0 })
            #expect(ticks.contains(Self.h) && ticks.contains(Self.l))
            // Falling bar: the high is reached before the low.
            #expect(ticks.firstIndex(of: Self.h)! < ticks.firstIndex(of: Self.l)!)
        }
        // A huge tick volume is capped (one tick per millisecond).
        #expect(TickGenerator.tickCount(.everyTick, volume: Int64.max) == TickGenerator.maxTicksPerBar)
        // Prices near the top of the range: no overflow in the 128-bit saw.
        var out: [Int64] = []
        let top = Engine.maxPrice
        _ = TickGenerator.generate(
            .everyTick, open: 1, high: top, low: 1, close: top, volume: 60_000 * U, rising: true, point: 1,
            into: &out)
        #expect(out.count == 60_000 && out.allSatisfy { $0 >= 1 && $0 <= top })
    }

    @Test func openPricesIsTheOpenAlone() {
        #expect(gen(.openPrices, c: Self.up, volume: 50 * U) == [Self.o])
        #expect(TickGenerator.time(ofTick: 0, count: 1, open: 7 * MIN) == 7 * MIN)
    }

    @Test func namesRoundTrip() {
        for m in TickModel.allCases { #expect(TickModel(name: m.name) == m) }
        #expect(TickModel(name: "every tick") == nil)
    }

    // MARK: in a run

    /// TEST with zero spread; bar 0 (flat at 1.10000) lets on_bar buy 1 lot
    /// with SL 1.09800 / TP 1.10100; bar 1 opens at 1.10200, beyond the TP,
    /// and also reaches 1.09700, below the SL, closing at 1.10000.
    func tpGapEngine(volume: Int64 = 20 * U, timeframe: Int32 = 1) throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        let step = Int64(timeframe) * MIN
        try e.loadBars(
            symbolID: 0, timeframe: timeframe, time: [0, step], open: [1_100_000, 1_102_000],
            high: [1_100_000, 1_102_500], low: [1_100_000, 1_097_000], close: [1_100_000, 1_100_000],
            volume: [volume, volume])
        return e
    }

    let buyOnFirstBar = StrategyHooks(onBar: { (e: Engine, _: Bar) throws(HQTError) in
        if e.deals.isEmpty { try e.buy(symbolID: 0, volume: LOT, sl: 1_098_000, tp: 1_101_000) }
    })

    @Test func aBarOpeningBeyondTPClosesAtTheOpenUnderEveryTickModel() throws {
        for model in [TickModel.everyTick, .ohlcM1, .openPrices] {
            let e = try tpGapEngine()
            try e.run(buyOnFirstBar, tickModel: model)
            // The first tick of bar 1 is its open, 1.10200 >= TP: closed
            // there, at (1.10200 - 1.10000) x 100 000 = +200 USD.
            let d = try #require(e.deals.last, "\(model)")
            #expect(d.reason == .takeProfit && d.price == 1_102_000 && d.profit == 200 * U, "\(model)")
            #expect(d.time == MIN, "\(model): at bar 1's open")
            #expect(e.tickModel == model)
        }
    }

    @Test func theBarRuleClosesTheSameBarAtTheSL() throws {
        for model in [TickModel.bars, .realTicks] {
            let e = try tpGapEngine()
            try e.run(buyOnFirstBar, tickModel: model)
            // Bar rule: the bar crosses both levels, SL first: 1.09800, -200 USD.
            let d = try #require(e.deals.last)
            #expect(d.reason == .stopLoss && d.price == 1_098_000 && d.profit == -200 * U, "\(model)")
        }
        // The default is today's behaviour.
        let e = try tpGapEngine()
        try e.run(buyOnFirstBar)
        #expect(e.deals.last?.reason == .stopLoss && e.tickModel == .realTicks)
    }

    @Test func onTickSeesTheGeneratedTicksAndOnBarTheBarAtItsClose() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(spread: 20))
        try e.loadBars(
            symbolID: 0, timeframe: 1, time: [5 * MIN], open: [Self.o], high: [Self.h], low: [Self.l],
            close: [Self.down], volume: [7 * U])
        var seen: [String] = []
        let hooks = StrategyHooks(
            onTick: { (e: Engine, t: Tick) throws(HQTError) in
                #expect(t.ask == t.bid + 20 && e.currentTime == t.time)
                seen.append("tick \((t.time - 5 * MIN) / SEC)s \(t.bid)")
            },
            onBar: { (e: Engine, b: Bar) throws(HQTError) in
                #expect(e.currentTime == 6 * MIN && (try? e.quote(of: 0))?.bid == Self.down)
                seen.append("bar \(b.open) \(b.high) \(b.low) \(b.close)")
            })
        try e.run(hooks, tickModel: .ohlcM1)
        // Falling bar: O, H, L, C at :00, :15, :30, :45, then the bar itself.
        #expect(
            seen == [
                "tick 0s 1100000", "tick 15s 1100500", "tick 30s 1099800", "tick 45s 1099900",
                "bar 1100000 1100500 1099800 1099900",
            ])
        #expect(e.statistics().ticksProcessed == 4 && e.statistics().barsProcessed == 1)
    }

    @Test func everyTickAndOHLCNeedM1BarsOpenPricesAndBarsTakeAny() throws {
        for model in [TickModel.everyTick, .ohlcM1] {
            let e = try tpGapEngine(timeframe: 60)
            var started = false
            let hooks = StrategyHooks(onStart: { (_: Engine) throws(HQTError) in started = true })
            #expect { try e.run(hooks, tickModel: model) } throws: {
                let err = $0 as? HQTError
                return err?.code == .invalidArgument && err!.message.contains("M1") && err!.message.contains("H1")
            }
            #expect(!started && e.pendingEventCount == 2, "refused before on_start, nothing consumed")
        }
        let e = try tpGapEngine(timeframe: 60)
        try e.run(buyOnFirstBar, tickModel: .openPrices)
        // H1 bar 1 opens at 1 h, beyond the TP.
        #expect(e.deals.last?.reason == .takeProfit && e.deals.last?.time == 60 * MIN)
    }

    @Test func theSameBarsGiveTheSameRunTwice() throws {
        func once() throws -> [Deal] {
            let e = try tpGapEngine(volume: 37 * U)
            try e.run(buyOnFirstBar, tickModel: .everyTick)
            return e.deals
        }
        #expect(try once() == once())
    }

    @Test func setTickModelIsTheDefaultForLaterRuns() throws {
        let e = try tpGapEngine()
        try e.setTickModel(.ohlcM1)
        try e.run(buyOnFirstBar)
        #expect(e.tickModel == .ohlcM1 && e.deals.last?.reason == .takeProfit)
    }

    @Test func withSeveralSeriesATicksTimeNeverGoesBackPastTheClock() throws {
        // TEST (id 0) has M1 bars; OTHER (id 1) has loaded ticks inside the
        // same minute. A bar runs at its close (its place in the merge), so
        // OTHER's ticks at :10 and :40 come first and the bar's :00, :15 and
        // :30 ticks are raised to :40; its :45 tick stays.
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.addSymbol(usdSymbol("OTHER"))
        try e.loadBars(
            symbolID: 0, timeframe: 1, time: [0], open: [Self.o], high: [Self.h], low: [Self.l], close: [Self.up],
            volume: [0])
        try e.loadTicks(symbolID: 1, time: [10 * SEC, 40 * SEC], bid: [U, U], ask: [U, U])
        var seen: [(UInt32, Int64)] = []
        let hooks = StrategyHooks(onTick: { (e: Engine, t: Tick) throws(HQTError) in
            #expect(e.currentTime == t.time)
            seen.append((t.symbolID, t.time / SEC))
        })
        try e.run(hooks, tickModel: .ohlcM1)
        #expect(seen.map(\.0) == [1, 1, 0, 0, 0, 0])
        #expect(seen.map(\.1) == [10, 40, 40, 40, 40, 45])
    }
}
