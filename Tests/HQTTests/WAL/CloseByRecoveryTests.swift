import Testing

@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A hedging run that closes positions by opposite ones (two OUT_BY deals,
/// two POSITION_CLOSE records each), with a per-deal and percent commission
/// and cent-rounded money, cut at many points of its log, recovered and
/// resumed: deals (entries, prices, profits, commissions, balances),
/// balance, equity and statistics must equal the uninterrupted run's.
@Suite struct CloseByRecoveryTests {
    static let base: Int64 = 1_700_000_000 * 1_000_000_000

    static func engine() throws -> Engine {
        let e = try Engine(initialBalance: 100_000 * U, currency: "USD", leverage: 100)
        var s = SymbolSpec(name: "TEST", baseCurrency: "USD", profitCurrency: "USD")
        s.commissionPerDeal = 1_250_000
        s.commissionPercent = 3_333  // 0.003333 %: fractions of a cent to round
        try e.addSymbol(s)
        var state: UInt64 = 7
        var price: Int64 = 1_000_000
        var t: [Int64] = [], b: [Int64] = [], a: [Int64] = []
        for i in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            price += (Int64((state >> 33) % 21) - 10) * 7
            t.append(base + Int64(i) * SEC)
            b.append(price)
            a.append(price + 130)
        }
        try e.loadTicks(symbolID: 0, time: t, bid: b, ask: a)
        return e
    }

    /// Opens buys and sells, and closes the oldest buy by the oldest sell.
    static func hooks() -> StrategyHooks {
        StrategyHooks(
            onTick: { (e: Engine, tick: Tick) throws(HQTError) in
                let k = (tick.time - base) / SEC
                let buys = e.openPositions.filter { $0.side == .buy }
                let sells = e.openPositions.filter { $0.side == .sell }
                if k % 11 == 2 && buys.count < 3 {
                    try e.buy(symbolID: 0, volume: 370_000)
                } else if k % 13 == 5 && sells.count < 3 {
                    try e.sell(symbolID: 0, volume: 210_000)
                } else if k % 17 == 9, let x = buys.first, let y = sells.first {
                    try e.closeBy(ticket: x.ticket, byTicket: y.ticket)
                }
            },
            onStop: { (e: Engine) throws(HQTError) in
                for p in e.positions { try e.close(ticket: p.ticket) }
            })
    }

    @Test func aCloseByRunResumesExactlyFromEveryCut() throws {
        let path = RecoveryTests.tempPath("closeby")
        defer { unlink(path) }
        let reference = try CloseByRecoveryTests.engine()
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 30)
        try reference.run(CloseByRecoveryTests.hooks())
        try reference.disableWAL()
        let outBy = reference.deals.filter { $0.entry == .outBy }
        #expect(outBy.count > 40)
        // every booked amount is whole cents
        #expect(reference.deals.allSatisfy { $0.profit % 10_000 == 0 && $0.commission % 10_000 == 0 })
        let log = RecoveryTests.bytes(of: path)
        let copy = RecoveryTests.tempPath("closeby-cut")
        defer { unlink(copy) }
        for cut in stride(from: 1_001, to: log.count, by: log.count / 25 + 7) {
            RecoveryTests.write(Array(log[0..<cut]), to: copy)
            let e = try CloseByRecoveryTests.engine()
            try e.enableWAL(path: copy, sync: .none)
            let report = try e.recoverFromWAL()
            try e.run(CloseByRecoveryTests.hooks(), resume: true)
            try e.disableWAL()
            #expect(e.deals == reference.deals, "cut at \(cut) of \(log.count): \(report)")
            #expect(e.balance == reference.balance && e.equity == reference.equity)
            #expect(e.statistics() == reference.statistics())
        }
    }
}
