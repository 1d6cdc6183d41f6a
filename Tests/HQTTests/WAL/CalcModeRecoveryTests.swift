import Testing

@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A run on an index CFD (hedged at half a contract) and a future (hedged
/// by the larger leg), cut at many points of its log, recovered and resumed:
/// deals, balance, equity, used margin (in the equity curve) and statistics
/// must equal the uninterrupted run's. Margins are not in the log's symbol
/// data: they come from the positions (each with its own margin) and the
/// spec, so this checks the hedged rule is rebuilt exactly on recovery.
@Suite struct CalcModeRecoveryTests {
    static let base: Int64 = 1_700_000_000 * 1_000_000_000

    static func specs() -> [SymbolSpec] {
        var idx = SymbolSpec(name: "US500", baseCurrency: "USD", profitCurrency: "USD")
        idx.calcMode = .cfd
        idx.contractSize = 1 * U
        idx.digits = 2
        idx.marginRate = 50_000  // 5 %
        idx.marginHedged = 500_000  // half a contract per hedged lot
        var fut = SymbolSpec(name: "ES", baseCurrency: "USD", profitCurrency: "USD")
        fut.calcMode = .futures
        fut.contractSize = 50 * U
        fut.digits = 2
        fut.tickSize = 250_000
        fut.tickValue = 12_500_000
        fut.marginInitial = 1_200 * U
        fut.marginMaintenance = 1_000 * U
        fut.marginHedgedUseLeg = true
        return [idx, fut]
    }

    /// Random walks, 1 s apart, the future half a second after the index.
    static func engine() throws -> Engine {
        let e = try Engine(initialBalance: 200_000 * U, currency: "USD", leverage: 100)
        for s in specs() { try e.addSymbol(s) }
        for symbol in 0..<2 {
            var state: UInt64 = 11 + UInt64(symbol)
            var price: Int64 = symbol == 0 ? 5_000 * U : 4_500 * U
            var t: [Int64] = [], b: [Int64] = [], a: [Int64] = []
            for i in 0..<3_000 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                price += (Int64((state >> 33) % 9) - 4) * 250_000
                t.append(base + Int64(i) * SEC + Int64(symbol) * SEC / 2)
                b.append(price)
                a.append(price + 250_000)
            }
            try e.loadTicks(symbolID: UInt32(symbol), time: t, bid: b, ask: a)
        }
        return e
    }

    /// Opens legs both ways (hedges) and closes the oldest, by tick count.
    static func hooks() -> StrategyHooks {
        StrategyHooks(
            onTick: { (e: Engine, tick: Tick) throws(HQTError) in
                let k = (tick.time - base) / SEC
                let mine = e.openPositions.filter { $0.symbolID == tick.symbolID }
                if k % 29 == 3 && mine.count < 4 {
                    try e.buy(symbolID: tick.symbolID, volume: 2 * LOT)
                } else if k % 31 == 5 && mine.count < 4 {
                    try e.sell(symbolID: tick.symbolID, volume: LOT)
                } else if k % 43 == 7, let p = mine.first {
                    try e.close(ticket: p.ticket)
                }
            },
            onStop: { (e: Engine) throws(HQTError) in
                for p in e.positions { try e.close(ticket: p.ticket) }
            })
    }

    @Test func aHedgedCfdAndFuturesRunResumesExactlyFromEveryCut() throws {
        let path = RecoveryTests.tempPath("calc")
        defer { unlink(path) }
        let reference = try CalcModeRecoveryTests.engine()
        try reference.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 40)
        var hedgedTicks = 0
        var hooks = CalcModeRecoveryTests.hooks()
        let onTick = hooks.onTick
        hooks.onTick = { (e: Engine, tick: Tick) throws(HQTError) in
            try onTick?(e, tick)
            if e.usedMargin < e.positions.reduce(0, { $0 + $1.margin }) { hedgedTicks += 1 }
        }
        try reference.run(hooks)
        try reference.disableWAL()
        #expect(reference.deals.count > 100)
        // The hedged rule was in force: the used margin was below the sum of
        // the positions' own margins on many ticks.
        #expect(hedgedTicks > 100)
        let log = RecoveryTests.bytes(of: path)
        let copy = RecoveryTests.tempPath("calc-cut")
        defer { unlink(copy) }
        for cut in stride(from: 1_001, to: log.count, by: log.count / 25 + 7) {
            RecoveryTests.write(Array(log[0..<cut]), to: copy)
            let e = try CalcModeRecoveryTests.engine()
            try e.enableWAL(path: copy, sync: .none)
            let report = try e.recoverFromWAL()
            try e.run(CalcModeRecoveryTests.hooks(), resume: true)
            try e.disableWAL()
            #expect(e.deals == reference.deals, "cut at \(cut) of \(log.count): \(report)")
            #expect(e.balance == reference.balance && e.equity == reference.equity)
            #expect(e.equityCurve == reference.equityCurve, "margins differ after cut at \(cut)")
            #expect(e.statistics() == reference.statistics())
        }
    }

    @Test func aMidRunRecoveryRebuildsTheHedgedMargin() throws {
        let path = RecoveryTests.tempPath("calc-mid")
        defer { unlink(path) }
        let first = try CalcModeRecoveryTests.engine()
        try first.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 1_000_000)
        var margins: [Int64] = []
        var hooks = CalcModeRecoveryTests.hooks()
        let onTick = hooks.onTick
        hooks.onTick = { (e: Engine, tick: Tick) throws(HQTError) in
            try onTick?(e, tick)
            margins.append(e.usedMargin)
            if margins.count == 2_500 { throw HQTError(.callback, "stop here") }
        }
        hooks.onStop = nil
        #expect(throws: HQTError.self) { try first.run(hooks) }
        let log = RecoveryTests.bytes(of: path)
        try first.disableWAL()
        let copy = RecoveryTests.tempPath("calc-mid-copy")
        defer { unlink(copy) }
        RecoveryTests.write(log, to: copy)
        let e = try CalcModeRecoveryTests.engine()
        try e.enableWAL(path: copy, sync: .none)
        _ = try e.recoverFromWAL()
        #expect(e.positions == first.positions)
        #expect(e.usedMargin == first.usedMargin && e.usedMargin == margins.last)
        // and the hedged rule, not the plain sum, is what was rebuilt
        let sum = e.positions.reduce(0) { $0 + $1.margin }
        #expect(e.usedMargin < sum)
        try e.disableWAL()
    }

    @Test func a01ConfigurationHasItsOldFingerprint() throws {
        // 0.1's fingerprint bytes for one symbol, written out by hand:
        // name, currencies, contract, digits, margin mode (1 = 0.1's CFD,
        // lots x contract x price / leverage), volumes, commission, spread.
        var s = SymbolSpec(name: "XAUUSD", baseCurrency: "XAU", profitCurrency: "USD", marginCurrency: "USD")
        s.contractSize = 100 * U
        s.digits = 2
        s.calcMode = .cfdLeverage
        let e = try makeEngine()
        try e.addSymbol(s)
        let w = ByteWriter()
        w.i64(10_000 * U); w.string("USD"); w.i64(100); w.i32(0)
        w.i64(e.marginCallLevel); w.i64(e.stopOutLevel)
        w.string("XAUUSD"); w.string("XAU"); w.string("USD"); w.string("USD")
        w.i64(100 * U); w.i32(2); w.i32(1); w.i64(s.volumeMin)
        w.i64(s.volumeStep); w.i64(s.volumeMax); w.i64(0); w.i64(0)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in w.bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        #expect(e.configurationFingerprint == hash)
    }
}
