import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A crash at any instant leaves a prefix of the log (the WAL only appends
/// during a run). These tests cut a finished run's log at many offsets,
/// recover from each prefix and resume, and demand the result of the
/// uninterrupted run to the micro-unit.
@Suite struct RecoveryTests {
    static let base: Int64 = 1_700_000_000 * 1_000_000_000

    /// Deterministic random walk of `n` ticks, 1 s apart.
    static func ticks(_ n: Int, seed: UInt64 = 7) -> (t: [Int64], bid: [Int64], ask: [Int64]) {
        var state = seed
        var price: Int64 = 1_100_000
        var t: [Int64] = [], b: [Int64] = [], a: [Int64] = []
        for i in 0..<n {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            price += Int64((state >> 33) % 41) - 20
            t.append(base + Int64(i) * 1_000_000_000); b.append(price); a.append(price + 15)
        }
        return (t, b, a)
    }

    /// A strategy whose decisions depend only on the tick and the engine's
    /// state, so a resumed run needs no warm-up: market orders with SL/TP,
    /// pending orders, modifies, partial closes, cancels.
    static func hooks() -> StrategyHooks {
        StrategyHooks(
            onStart: { (e: Engine) throws(HQTError) in
                // Not idempotent: done twice, or half, shows in the balance. A
                // resumed run calls on_start again with trading refused.
                guard !e.warmingUp else { return }
                try e.deposit(1_000_000)
                try e.deposit(2_000_000)
            },
            onTick: { (e: Engine, tick: Tick) throws(HQTError) in
                let k = (tick.time - base) / 1_000_000_000
                let open = e.openPositions
                if k % 37 == 5 && open.count < 3 {
                    try e.buy(symbolID: 0, volume: 20_000, sl: tick.bid - 300, tp: tick.bid + 400)
                } else if k % 41 == 7 && open.count < 3 {
                    try e.sell(symbolID: 0, volume: 10_000, sl: tick.ask + 350, tp: tick.ask - 250)
                } else if k % 53 == 11 {
                    try e.send(
                        OrderRequest(
                            symbolID: 0, type: .buyLimit, volume: 10_000, price: tick.ask - 60,
                            expiration: tick.time + 120_000_000_000))
                } else if k % 59 == 13, let p = open.first, p.volume >= 20_000 {
                    try e.close(ticket: p.ticket, volume: 10_000)
                } else if k % 61 == 17, let p = open.last {
                    try e.modify(ticket: p.ticket, sl: nil, tp: 0)
                } else if k % 67 == 19, let o = e.orders.first {
                    try e.cancel(ticket: o.ticket)
                }
            },
            onBar: { (e: Engine, bar: Bar) throws(HQTError) in
                // Also on the bar the end of the run closes.
                try e.deposit(100_000 + (bar.time / 60_000_000_000) % 1_000)
            },
            onStop: { (e: Engine) throws(HQTError) in
                try e.deposit(3_000_000)
                for p in e.positions { try e.close(ticket: p.ticket) }
                try e.deposit(4_000_000)
            })
    }

    static func engine(_ data: (t: [Int64], bid: [Int64], ask: [Int64])) throws -> Engine {
        let e = try Engine(initialBalance: 10_000_000_000, currency: "USD", leverage: 100)
        var s = SymbolSpec(name: "EURUSD", baseCurrency: "EUR", profitCurrency: "USD")
        s.commissionPerLot = 3_500_000
        try e.addSymbol(s)
        try e.loadTicks(symbolID: 0, time: data.t, bid: data.bid, ask: data.ask)
        try e.buildBars(symbolID: 0, timeframe: 1)
        return e
    }

    static func tempPath(_ name: String) -> String {
        "/tmp/hqt-recovery-\(getpid())-\(name).wal"
    }

    static func bytes(of path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    static func write(_ bytes: [UInt8], to path: String) {
        unlink(path)
        let f = fopen(path, "wb")!
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }

    @Test func everyCrashPointResumesToTheUninterruptedResult() throws {
        let data = RecoveryTests.ticks(8_000)
        let path = RecoveryTests.tempPath("full")
        defer { unlink(path) }
        let reference = try RecoveryTests.engine(data)
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 25)
        try reference.run(RecoveryTests.hooks())
        try reference.disableWAL()
        #expect(reference.deals.count > 60)
        #expect(reference.trades.contains { $0.closeReason == .stopLoss })
        #expect(reference.trades.contains { $0.closeReason == .takeProfit })
        #expect(reference.orderHistory.contains { $0.state == .expired })
        let log = RecoveryTests.bytes(of: path)
        #expect(log.count > 10_000)

        // Cut points: the end of every record (a crash between two appends)
        // and points inside records (a torn append).
        var cuts: [Int] = []
        var x = 977
        while x < log.count { cuts.append(x); x += log.count / 45 + 13 }
        var ends: [Int] = []
        var offset = 0
        while offset + 13 <= log.count {
            let length =
                Int(log[offset + 5]) | Int(log[offset + 6]) << 8 | Int(log[offset + 7]) << 16 | Int(log[offset + 8])
                << 24
            offset += 13 + length
            if offset <= log.count { ends.append(offset) }
        }
        // Every record end around on_start and around the end of the run
        // (closing bars, on_stop), where units other than events end.
        cuts += ends.prefix(15) + ends.suffix(30)
        cuts = Array(Set(cuts)).sorted()
        let copy = RecoveryTests.tempPath("cut")
        defer { unlink(copy) }
        for cut in cuts {
            RecoveryTests.write(Array(log[0..<cut]), to: copy)
            let e = try RecoveryTests.engine(data)
            try e.enableWAL(path: copy, sync: .none)
            let report = try e.recoverFromWAL()
            try e.run(RecoveryTests.hooks(), resume: true)
            try e.disableWAL()
            #expect(e.deals == reference.deals, "cut at \(cut) of \(log.count): \(report)")
            #expect(e.balance == reference.balance)
            #expect(e.equity == reference.equity)
            #expect(e.trades == reference.trades)
            #expect(e.orderHistory == reference.orderHistory)
            #expect(e.equityCurve == reference.equityCurve, "equity curve differs after cut at \(cut)")
            #expect(e.statistics() == reference.statistics(), "statistics differ after cut at \(cut)")
        }
    }

    @Test func tradingBeforeRecoveryIsRefused() throws {
        let data = RecoveryTests.ticks(200)
        let path = RecoveryTests.tempPath("refuse")
        defer { unlink(path) }
        let first = try RecoveryTests.engine(data)
        try first.enableWAL(path: path, truncate: true, sync: .none)
        try first.run(RecoveryTests.hooks())
        try first.disableWAL()

        let e = try RecoveryTests.engine(data)
        try e.enableWAL(path: path, sync: .none)
        #expect(throws: HQTError.self) { try e.run(RecoveryTests.hooks()) }
        #expect(e.deals.isEmpty)
        _ = try e.recoverFromWAL()
        #expect(e.deals == first.deals)
        try e.disableWAL()
    }

    @Test func aLogFromAnotherConfigurationIsRefused() throws {
        let data = RecoveryTests.ticks(100)
        let path = RecoveryTests.tempPath("config")
        defer { unlink(path) }
        let first = try RecoveryTests.engine(data)
        try first.enableWAL(path: path, truncate: true)
        try first.disableWAL()
        let other = try Engine(initialBalance: 5_000_000_000, currency: "USD", leverage: 100)
        try other.addSymbol(SymbolSpec(name: "EURUSD", baseCurrency: "EUR", profitCurrency: "USD"))
        #expect { try other.enableWAL(path: path) } throws: { ($0 as? HQTError)?.code == .wal }
    }

    @Test func recoveryWithoutDataAppliesRecordsDirectly() throws {
        let data = RecoveryTests.ticks(800)
        let path = RecoveryTests.tempPath("nodata")
        defer { unlink(path) }
        let first = try RecoveryTests.engine(data)
        try first.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 1_000_000)
        try first.run(RecoveryTests.hooks())
        // Simulate a crash: keep the log as written, without the final checkpoint.
        let log = RecoveryTests.bytes(of: path)
        try first.disableWAL()
        let copy = RecoveryTests.tempPath("nodata-copy")
        defer { unlink(copy) }
        RecoveryTests.write(log, to: copy)

        let e = try Engine(initialBalance: 10_000_000_000, currency: "USD", leverage: 100)
        var s = SymbolSpec(name: "EURUSD", baseCurrency: "EUR", profitCurrency: "USD")
        s.commissionPerLot = 3_500_000
        try e.addSymbol(s)
        try e.enableWAL(path: copy, sync: .none)
        let report = try e.recoverFromWAL()
        #expect(!report.replayedOverData)
        #expect(e.deals == first.deals)
        #expect(e.balance == first.balance)
        try e.disableWAL()
    }
}

/// A strategy whose decisions depend on everything it has seen (a running
/// sum of bids), so a resumed run is exact only with its state restored
/// from the checkpoint and the events since re-fed.
final class RunningSumStrategy {
    var seen: Int64 = 0
    var sum: Int64 = 0

    var hooks: StrategyHooks {
        StrategyHooks(
            onTick: { [self] (e: Engine, tick: Tick) throws(HQTError) in
                seen += 1
                sum &+= tick.bid
                guard !e.warmingUp, seen % 53 == 0 else { return }
                if let p = e.positions.first {
                    try e.close(ticket: p.ticket)
                } else if (sum / 7) % 2 == 0 {
                    try e.buy(symbolID: 0, volume: 10_000)
                } else {
                    try e.sell(symbolID: 0, volume: 10_000)
                }
            },
            saveState: { [self] (_: Engine) throws(HQTError) -> [UInt8] in
                withUnsafeBytes(of: (seen, sum)) { Array($0) }
            },
            restoreState: { [self] (_: Engine, state: [UInt8]) throws(HQTError) in
                guard state.count == 16 else { throw HQTError(.callback, "bad state") }
                state.withUnsafeBytes { raw in
                    seen = raw.loadUnaligned(fromByteOffset: 0, as: Int64.self)
                    sum = raw.loadUnaligned(fromByteOffset: 8, as: Int64.self)
                }
            })
    }
}

extension RecoveryTests {
    @Test func aStrategyStateRestoredFromTheCheckpointMakesTheResumeExact() throws {
        let data = RecoveryTests.ticks(3_000)
        let path = RecoveryTests.tempPath("state")
        defer { unlink(path) }
        let reference = try RecoveryTests.engine(data)
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 9)
        try reference.run(RunningSumStrategy().hooks)
        try reference.disableWAL()
        #expect(reference.deals.count > 50)
        let log = RecoveryTests.bytes(of: path)
        let copy = RecoveryTests.tempPath("state-cut")
        defer { unlink(copy) }
        for cut in stride(from: log.count / 7, to: log.count, by: log.count / 7) {
            RecoveryTests.write(Array(log[0..<cut]), to: copy)
            let e = try RecoveryTests.engine(data)
            try e.enableWAL(path: copy, sync: .none)
            _ = try e.recoverFromWAL()
            try e.run(RunningSumStrategy().hooks, resume: true)  // a fresh strategy object
            try e.disableWAL()
            #expect(e.deals == reference.deals, "cut at \(cut) of \(log.count)")
            #expect(e.balance == reference.balance)
        }
    }
}
