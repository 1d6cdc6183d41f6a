import Testing

@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// Three weeks of quotes (a weekend and triple days inside) with positions
/// held over many rollovers, the log cut at many points, recovered and
/// resumed: swaps on the open positions, the deals that booked them, the
/// equity curve and the statistics must equal the uninterrupted run's.
/// Swaps are not recomputed on recovery: the SWAP records give them.
@Suite struct SwapRecoveryTests {
    static let monday: Int64 = 1_704_067_200 * SEC  // 2024-01-01, a Monday

    static func engine() throws -> Engine {
        let e = try Engine(initialBalance: 100_000 * U, currency: "USD", leverage: 100)
        var s = SymbolSpec(name: "EURUSD", baseCurrency: "USD", profitCurrency: "USD")
        s.swapMode = .points
        s.swapLong = -7_300_000
        s.swapShort = 2_100_000
        var idx = SymbolSpec(name: "US500", baseCurrency: "USD", profitCurrency: "USD")
        idx.calcMode = .cfd
        idx.contractSize = 1 * U
        idx.digits = 2
        idx.swapMode = .interestCurrent
        idx.swapLong = -5_500_000
        idx.swapShort = 1_250_000
        idx.swapRollover3days = 5
        try e.addSymbol(s)
        try e.addSymbol(idx)
        try e.setRolloverTime(23 * 3_600)
        for symbol in 0..<2 {
            var state: UInt64 = 7 + UInt64(symbol)
            var price: Int64 = symbol == 0 ? 1_100_000 : 5_000 * U
            var t: [Int64] = [], b: [Int64] = [], a: [Int64] = []
            // every 25 minutes for 3 weeks, none on Saturdays and Sundays
            for i in 0..<(21 * 24 * 60 / 25) {
                let time = monday + Int64(i) * 25 * MIN + Int64(symbol) * SEC
                let weekday = (time / DAY + 4) % 7
                if weekday == 0 || weekday == 6 { continue }
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                price += (Int64((state >> 33) % 9) - 4) * (symbol == 0 ? 30 : 250_000)
                t.append(time)
                b.append(price)
                a.append(price + (symbol == 0 ? 10 : 250_000))
            }
            try e.loadTicks(symbolID: UInt32(symbol), time: t, bid: b, ask: a)
        }
        return e
    }

    /// Decisions from the tick's time alone, so a resumed run takes the same.
    static func hooks() -> StrategyHooks {
        StrategyHooks(
            onTick: { (e: Engine, tick: Tick) throws(HQTError) in
                let n = (tick.time - monday) / (25 * MIN) * 2 + Int64(tick.symbolID)
                let mine = e.openPositions.filter { $0.symbolID == tick.symbolID }
                if n % 97 == 3 && mine.count < 3 {
                    try e.buy(symbolID: tick.symbolID, volume: LOT)
                } else if n % 89 == 5 && mine.count < 3 {
                    try e.sell(symbolID: tick.symbolID, volume: 2 * LOT)
                } else if n % 211 == 7, let p = mine.first {
                    try e.close(ticket: p.ticket, volume: p.volume > LOT ? LOT : 0)
                }
            },
            onStop: { (e: Engine) throws(HQTError) in
                for p in e.positions { try e.close(ticket: p.ticket) }
            })
    }

    @Test func swapsResumeExactlyFromEveryCut() throws {
        let path = RecoveryTests.tempPath("swap")
        defer { unlink(path) }
        let reference = try SwapRecoveryTests.engine()
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 50)
        var swapped = 0
        var hooks = SwapRecoveryTests.hooks()
        let onTick = hooks.onTick
        hooks.onTick = { (e: Engine, tick: Tick) throws(HQTError) in
            try onTick?(e, tick)
            if e.positions.contains(where: { $0.swap != 0 }) { swapped += 1 }
        }
        try reference.run(hooks)
        try reference.disableWAL()
        #expect(reference.deals.count > 20)
        #expect(swapped > 200)  // positions held swap on many ticks
        let log = RecoveryTests.bytes(of: path)
        let copy = RecoveryTests.tempPath("swap-cut")
        defer { unlink(copy) }
        for cut in stride(from: 1_001, to: log.count, by: log.count / 25 + 7) {
            RecoveryTests.write(Array(log[0..<cut]), to: copy)
            let e = try SwapRecoveryTests.engine()
            try e.enableWAL(path: copy, sync: .none)
            let report = try e.recoverFromWAL()
            try e.run(SwapRecoveryTests.hooks(), resume: true)
            try e.disableWAL()
            #expect(e.deals == reference.deals, "cut at \(cut) of \(log.count): \(report)")
            #expect(e.balance == reference.balance && e.equity == reference.equity)
            #expect(e.equityCurve.count == reference.equityCurve.count, "cut at \(cut)")
            #expect(e.equityCurve == reference.equityCurve, "cut at \(cut)")
            #expect(e.statistics() == reference.statistics())
        }
    }

    @Test func aMidRunRecoveryHasTheSameSwaps() throws {
        for checkpoint in [1_000_000, 30] {  // replayed from the log, or from a snapshot
            let path = RecoveryTests.tempPath("swap-mid")
            defer { unlink(path) }
            let first = try SwapRecoveryTests.engine()
            try first.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: checkpoint)
            var hooks = SwapRecoveryTests.hooks()
            let onTick = hooks.onTick
            var ticks = 0
            hooks.onTick = { (e: Engine, tick: Tick) throws(HQTError) in
                try onTick?(e, tick)
                ticks += 1
                if ticks == 1_500 { throw HQTError(.callback, "stop here") }
            }
            hooks.onStop = nil
            #expect(throws: HQTError.self) { try first.run(hooks) }
            let log = RecoveryTests.bytes(of: path)
            try first.disableWAL()
            #expect(first.positions.contains { $0.swap != 0 })
            let copy = RecoveryTests.tempPath("swap-mid-copy")
            defer { unlink(copy) }
            RecoveryTests.write(log, to: copy)
            let e = try SwapRecoveryTests.engine()
            try e.enableWAL(path: copy, sync: .none)
            _ = try e.recoverFromWAL()
            #expect(e.positions == first.positions, "checkpoint every \(checkpoint)")
            #expect(e.equity == first.equity && e.balance == first.balance)
            try e.disableWAL()
        }
    }
    /// An engine driven event by event (no run): a swap that stops the
    /// account out is journaled as SWAP then the stop-out's fill; recovery
    /// from the log alone (no checkpoint after them) rebuilds both.
    @Test func aSwapStopOutIsRecoveredFromTheLog() throws {
        func make() throws -> Engine {
            let e = try Engine(initialBalance: 2_000 * U, currency: "USD", leverage: 100)
            var s = SymbolSpec(name: "S", baseCurrency: "USD", profitCurrency: "USD")
            s.swapMode = .depositCurrency
            s.swapLong = -700 * U
            try e.addSymbol(s)
            return e
        }
        let path = RecoveryTests.tempPath("swap-stop")
        defer { unlink(path) }
        let first = try make()
        try first.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 1_000_000)
        let monday = SwapRecoveryTests.monday
        try first.tick(at: monday + 10 * 3_600 * SEC, bid: 1_000_000)
        try first.buy(symbolID: 0, volume: LOT)
        try first.tick(at: monday + DAY + SEC, bid: 1_000_000)  // -700: level 130 %
        #expect(first.positions.count == 1 && first.positions[0].swap == -700 * U)
        try first.tick(at: monday + 2 * DAY + SEC, bid: 1_000_000)  // -1 400: 60 %
        try first.tick(at: monday + 3 * DAY + SEC, bid: 1_000_000)  // Wed x3: stop-out
        #expect(first.positions.isEmpty && first.deals.last?.reason == .stopOut)
        // 2 000 - 700 - 700 - 2 100 = -1 500: the swap is booked in full
        #expect(first.deals.last?.profit == -3_500 * U && first.balance == -1_500 * U)
        let log = RecoveryTests.bytes(of: path)
        try first.disableWAL()
        let copy = RecoveryTests.tempPath("swap-stop-copy")
        defer { unlink(copy) }
        RecoveryTests.write(log, to: copy)
        let e = try make()
        try e.enableWAL(path: copy, sync: .none)
        let report = try e.recoverFromWAL()
        // The last event's records (SWAP, the stop-out) may be unfinished:
        // recovery drops them and the caller feeds that event again.
        #expect(report.recordsDiscarded == 2 && e.eventsProcessed == 3)
        #expect(e.positions.count == 1 && e.positions[0].swap == -1_400 * U)
        try e.tick(at: monday + 3 * DAY + SEC, bid: 1_000_000)
        #expect(e.deals == first.deals)
        #expect(e.balance == first.balance && e.positions.isEmpty, "\(e.positions)")
        try e.disableWAL()
    }
}
