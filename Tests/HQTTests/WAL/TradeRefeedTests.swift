import Testing

@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A strategy whose decisions depend on what it heard in `onTick`, `onBar`
/// (bars built from ticks) and `onTrade`, so a resumed run is exact only if
/// the re-feed delivers all three, in their original order.
final class TradeStateStrategy {
    var ticks: Int64 = 0, bars: Int64 = 0, trades: Int64 = 0, profit: Int64 = 0
    var log: [String] = []

    var counters: [Int64] { [ticks, bars, trades, profit] }

    var hooks: StrategyHooks {
        StrategyHooks(
            onTick: { [self] (e: Engine, tick: Tick) throws(HQTError) in
                ticks += 1
                guard !e.warmingUp, ticks % 29 == 0, e.openPositions.isEmpty else { return }
                let d = 100 + (profit % 50 + 50) % 50
                if (trades + bars) % 2 == 0 {
                    try e.buy(symbolID: 0, volume: 10_000, sl: tick.bid - d, tp: tick.bid + d)
                } else {
                    try e.sell(symbolID: 0, volume: 10_000, sl: tick.ask + d, tp: tick.ask - d)
                }
            },
            onBar: { [self] (e: Engine, bar: Bar) throws(HQTError) in
                bars += 1
                log.append("bar \(bar.time)")
                guard !e.warmingUp, (bars + trades) % 3 == 0, let p = e.openPositions.first else { return }
                try e.close(ticket: p.ticket)
            },
            onTrade: { [self] (_: Engine, deal: Deal) throws(HQTError) in
                trades += 1
                profit &+= deal.profit
                log.append("trade \(deal.ticket)")
            },
            saveState: { [self] (_: Engine) throws(HQTError) -> [UInt8] in
                withUnsafeBytes(of: (ticks, bars, trades, profit)) { Array($0) }
            },
            restoreState: { [self] (_: Engine, state: [UInt8]) throws(HQTError) in
                guard state.count == 32 else { throw HQTError(.callback, "bad state") }
                state.withUnsafeBytes { raw in
                    ticks = raw.loadUnaligned(fromByteOffset: 0, as: Int64.self)
                    bars = raw.loadUnaligned(fromByteOffset: 8, as: Int64.self)
                    trades = raw.loadUnaligned(fromByteOffset: 16, as: Int64.self)
                    profit = raw.loadUnaligned(fromByteOffset: 24, as: Int64.self)
                }
            })
    }
}

@Suite struct TradeRefeedTests {
    @Test func stateKeptInOnTradeResumesExactlyAtEveryCut() throws {
        let data = RecoveryTests.ticks(4_000)
        let path = RecoveryTests.tempPath("trades")
        defer { unlink(path) }
        let reference = try RecoveryTests.engine(data)
        let strategy = TradeStateStrategy()
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 11)
        try reference.run(strategy.hooks)
        try reference.disableWAL()
        #expect(reference.deals.count > 80)
        #expect(reference.trades.contains { $0.closeReason == .client })
        #expect(reference.trades.contains { $0.closeReason != .client })
        let log = RecoveryTests.bytes(of: path)
        let copy = RecoveryTests.tempPath("trades-cut")
        defer { unlink(copy) }
        var cuts = 0
        for cut in stride(from: log.count / 23, to: log.count - 1, by: log.count / 23) {
            RecoveryTests.write(Array(log[0..<cut]), to: copy)
            let e = try RecoveryTests.engine(data)
            try e.enableWAL(path: copy, sync: .none)
            let report = try e.recoverFromWAL()
            let stage = e.runStage
            let resumed = TradeStateStrategy()  // a fresh object: state comes from the checkpoint
            try e.run(resumed.hooks, resume: true)
            try e.disableWAL()
            #expect(e.deals.count == reference.deals.count, "cut at \(cut) of \(log.count): \(report)")
            #expect(e.deals == reference.deals ? true : false, "cut at \(cut): deals differ")
            #expect(e.balance == reference.balance)
            // A run the log shows completed is not run again: the strategy hears nothing.
            if stage == .running {
                #expect(resumed.counters == strategy.counters, "cut at \(cut) of \(log.count): \(report)")
                cuts += 1
            }
        }
        #expect(cuts >= 15)
    }

    /// A second crash right after recovery (before the resumed run takes a
    /// checkpoint of its own): the compacted log keeps the deals to re-feed.
    @Test func aSecondCrashAfterRecoveryStillResumesExactly() throws {
        let data = RecoveryTests.ticks(2_000)
        let path = RecoveryTests.tempPath("trades2")
        defer { unlink(path) }
        let reference = try RecoveryTests.engine(data)
        let strategy = TradeStateStrategy()
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 20)
        try reference.run(strategy.hooks)
        try reference.disableWAL()
        let log = RecoveryTests.bytes(of: path)
        let copy = RecoveryTests.tempPath("trades2-cut")
        defer { unlink(copy) }
        RecoveryTests.write(Array(log[0..<(log.count / 3)]), to: copy)
        do {
            let first = try RecoveryTests.engine(data)
            try first.enableWAL(path: copy, sync: .none)
            _ = try first.recoverFromWAL()  // compacts the log; then "crashes"
            first.shutdown()
        }
        let e = try RecoveryTests.engine(data)
        try e.enableWAL(path: copy, sync: .none)
        _ = try e.recoverFromWAL()
        #expect(e.runStage == .running)
        let resumed = TradeStateStrategy()
        try e.run(resumed.hooks, resume: true)
        try e.disableWAL()
        #expect(e.deals == reference.deals)
        #expect(resumed.counters == strategy.counters)
    }
}
