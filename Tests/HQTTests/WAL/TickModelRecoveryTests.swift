import Testing

@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A run under a generating tick model, cut at many points of its log (a
/// crash leaves a prefix), recovered and resumed, ends exactly where the
/// uninterrupted run did: the journaled model regenerates the same ticks,
/// and each generated tick's records are replayed at that tick.
@Suite struct TickModelRecoveryTests {
    static let base: Int64 = 1_700_000_040 * 1_000_000_000

    /// M1 bars of a deterministic random walk, tick volumes 1...40.
    static func bars(_ n: Int) -> (t: [Int64], o: [Int64], h: [Int64], l: [Int64], c: [Int64], v: [Int64]) {
        var state: UInt64 = 11
        var price: Int64 = 1_100_000
        var out: (t: [Int64], o: [Int64], h: [Int64], l: [Int64], c: [Int64], v: [Int64]) = ([], [], [], [], [], [])
        func next(_ m: UInt64) -> Int64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((state >> 33) % m)
        }
        for i in 0..<n {
            let open = price
            let close = open + (next(81) - 40) * 10
            let high = max(open, close) + next(30) * 10, low = min(open, close) - next(30) * 10
            out.t.append(base + Int64(i) * MIN); out.o.append(open); out.h.append(high)
            out.l.append(low); out.c.append(close); out.v.append((next(40) + 1) * U)
            price = close
        }
        return out
    }

    /// Trades on generated ticks: market orders with SL/TP close to the
    /// price (so they trigger inside bars), limits, closes.
    static func hooks() -> StrategyHooks {
        StrategyHooks(
            onStart: { (e: Engine) throws(HQTError) in
                // Two records: a crash between them leaves an unfinished
                // on_start, which the resumed run starts again.
                guard !e.warmingUp else { return }
                try e.deposit(1_000_000)
                try e.deposit(2_000_000)
            },
            onTick: { (e: Engine, t: Tick) throws(HQTError) in
                guard !e.warmingUp else { return }
                let k = (t.time / SEC) % 97
                if k == 3 && e.openPositions.count < 4 {
                    try e.buy(symbolID: 0, volume: 10_000, sl: t.bid - 150, tp: t.bid + 120)
                } else if k == 41 && e.openPositions.count < 4 {
                    try e.sell(symbolID: 0, volume: 20_000, sl: t.ask + 130, tp: t.ask - 160)
                } else if k == 60 && e.orders.count < 2 {
                    try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: 10_000, price: t.ask - 50))
                }
            },
            onBar: { (e: Engine, b: Bar) throws(HQTError) in
                guard !e.warmingUp else { return }
                try e.deposit(1_000 + (b.time / MIN) % 100)
            })
    }

    static func engine() throws -> Engine {
        let e = try Engine(initialBalance: 10_000_000_000, currency: "USD", leverage: 100)
        var s = SymbolSpec(name: "EURUSD", baseCurrency: "EUR", profitCurrency: "USD")
        s.spread = 20
        try e.addSymbol(s)
        let d = bars(400)
        try e.loadBars(symbolID: 0, timeframe: 1, time: d.t, open: d.o, high: d.h, low: d.l, close: d.c, volume: d.v)
        return e
    }

    @Test func everyCrashPointOfAnEveryTickRunResumesToTheSameResult() throws {
        let dir = TempDirectory()
        let path = dir.file()
        let reference = try Self.engine()
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 40)
        try reference.run(Self.hooks(), tickModel: .everyTick)
        try reference.disableWAL()
        #expect(reference.trades.contains { $0.closeReason == .stopLoss })
        #expect(reference.trades.contains { $0.closeReason == .takeProfit })
        #expect(reference.deals.contains { $0.reason == .pending })
        let log = readBytes(path)
        let copy = dir.file("cut.wal")
        // Every record end among the first (on_start), then points all along.
        var ends: [Int] = []
        var offset = 0
        while offset + 13 <= log.count && ends.count < 8 {
            offset += 13 + (Int(log[offset + 5]) | Int(log[offset + 6]) << 8 | Int(log[offset + 7]) << 16)
            ends.append(offset)
        }
        var cuts = 0
        for cut in ends + Array(stride(from: 701, to: log.count, by: log.count / 40 + 17)) {
            writeBytes(copy, Array(log[0..<cut]))
            let e = try Self.engine()
            try e.enableWAL(path: copy, sync: .none)
            let report = try e.recoverFromWAL()
            if e.runStage == .running { #expect(e.tickModel == .everyTick) }
            // The log knows the model once the run's RUN_MARK STARTING is in
            // it (also when on_start was cut short and is dropped); before
            // that, the resume starts the run afresh and must be told.
            let tell: TickModel? = e.runStage == .idle && report.recordsDiscarded == 0 ? .everyTick : nil
            try e.run(Self.hooks(), resume: true, tickModel: tell)
            try e.disableWAL()
            #expect(e.deals == reference.deals, "cut at \(cut) of \(log.count): \(report)")
            #expect(e.equityCurve == reference.equityCurve, "cut at \(cut)")
            #expect(e.statistics() == reference.statistics(), "cut at \(cut)")
            cuts += 1
        }
        #expect(cuts >= 30)
    }

    @Test func aResumeUnderAnotherModelIsRefused() throws {
        let dir = TempDirectory()
        let path = dir.file()
        let first = try Self.engine()
        try first.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 30)
        // A crash half-way: the log as it stood after 150 bars (a
        // checkpoint has made it durable by then).
        var bars = 0
        var log: [UInt8] = []
        var hooks = Self.hooks()
        let trade = hooks.onBar
        hooks.onBar = { (e: Engine, b: Bar) throws(HQTError) in
            try trade?(e, b)
            bars += 1
            if bars == 150 { log = readBytes(path) }
        }
        try first.run(hooks, tickModel: .ohlcM1)
        try first.disableWAL()
        let copy = dir.file("crash.wal")
        writeBytes(copy, log)

        let e = try Self.engine()
        try e.enableWAL(path: copy, sync: .none)
        _ = try e.recoverFromWAL()
        #expect(e.runStage == .running && e.tickModel == .ohlcM1)
        #expect { try e.run(resume: true, tickModel: .everyTick) } throws: {
            ($0 as? HQTError)?.message.contains("'ohlc_m1'") == true
        }
        try e.run(resume: true, tickModel: .ohlcM1)
        #expect(e.pendingEventCount == 0 && e.tickModel == .ohlcM1)
        try e.disableWAL()
    }

    /// With `built`, the strategy also trades on M5 bars built from the
    /// generated ticks, which the re-feed must build and deliver again.
    @Test(arguments: [false, true])
    func aSavedStrategyStateIsReFedTheSameGeneratedTicksAndTrades(built: Bool) throws {
        let dir = TempDirectory()
        let path = dir.file()
        func engine() throws -> Engine {
            let e = try Self.engine()
            if built { try e.buildBars(symbolID: 0, timeframe: 5) }
            return e
        }
        let reference = try engine()
        let first = TickSum()
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 15)
        try reference.run(first.hooks, tickModel: .everyTick)
        try reference.disableWAL()
        #expect(reference.trades.contains { $0.closeReason == .stopLoss || $0.closeReason == .takeProfit })
        #expect((first.builtBars > 0) == built)
        let log = readBytes(path)
        let copy = dir.file("cut.wal")
        for cut in stride(from: log.count / 9, to: log.count, by: log.count / 9) {
            writeBytes(copy, Array(log[0..<cut]))
            let e = try engine()
            try e.enableWAL(path: copy, sync: .none)
            _ = try e.recoverFromWAL()
            let s = TickSum()  // a fresh object: its state comes from the checkpoint and the re-feed
            try e.run(s.hooks, resume: true)
            try e.disableWAL()
            #expect(e.deals == reference.deals, "cut at \(cut) of \(log.count)")
            #expect(
                [s.ticks, s.sum, s.trades, s.bars, s.builtBars]
                    == [first.ticks, first.sum, first.trades, first.bars, first.builtBars],
                "cut at \(cut)")
        }
    }
}

/// Decides on everything it has seen (generated ticks, its trades, bars),
/// so a resumed run is exact only if the re-feed hands it the same ticks,
/// the same deals at the same points, and the same bars.
final class TickSum {
    var ticks: Int64 = 0, sum: Int64 = 0, trades: Int64 = 0, bars: Int64 = 0, builtBars: Int64 = 0

    var hooks: StrategyHooks {
        StrategyHooks(
            onTick: { [self] (e: Engine, t: Tick) throws(HQTError) in
                ticks += 1
                sum &+= t.bid &* (trades + 1)
                guard !e.warmingUp, ticks % 41 == 0, e.openPositions.count < 3 else { return }
                if (sum / 13) % 2 == 0 {
                    try e.buy(symbolID: 0, volume: 10_000, sl: t.bid - 140, tp: t.bid + 110)
                } else {
                    try e.sell(symbolID: 0, volume: 10_000, sl: t.ask + 120, tp: t.ask - 150)
                }
            },
            onBar: { [self] (e: Engine, b: Bar) throws(HQTError) in
                bars += 1
                sum &+= b.close &* (b.timeframe == .m5 ? 3 : 1)
                guard b.timeframe == .m5 else { return }
                builtBars += 1
                // Deals made while a built bar is delivered (BEFORE_MARKET).
                guard !e.warmingUp, e.openPositions.count < 3, (sum / 11) % 3 == 0 else { return }
                try e.buy(symbolID: 0, volume: 10_000, sl: b.close - 130, tp: b.close + 170)
            },
            onTrade: { [self] (_: Engine, d: Deal) throws(HQTError) in
                trades += 1
                sum &+= d.price
            },
            saveState: { [self] (_: Engine) throws(HQTError) -> [UInt8] in
                withUnsafeBytes(of: (ticks, sum, trades, bars, builtBars)) { Array($0) }
            },
            restoreState: { [self] (_: Engine, state: [UInt8]) throws(HQTError) in
                guard state.count == 40 else { throw HQTError(.callback, "bad state") }
                state.withUnsafeBytes { raw in
                    ticks = raw.loadUnaligned(fromByteOffset: 0, as: Int64.self)
                    sum = raw.loadUnaligned(fromByteOffset: 8, as: Int64.self)
                    trades = raw.loadUnaligned(fromByteOffset: 16, as: Int64.self)
                    bars = raw.loadUnaligned(fromByteOffset: 24, as: Int64.self)
                    builtBars = raw.loadUnaligned(fromByteOffset: 32, as: Int64.self)
                }
            })
    }
}
