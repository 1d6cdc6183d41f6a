import Testing

@testable import HQTCore

/// A run that pulls its data window by window ends exactly where the same
/// data loaded at once ends: one on_start, one on_stop, the same bars
/// (closed by the next tick, not flushed per window), deals and curve.
@Suite struct DataSourceTests {
    struct Data { var t: [Int64]; var bid: [Int64] }

    static let data: Data = {
        var t: [Int64] = [], bid: [Int64] = []
        var price: Int64 = 1_100_000
        var rng: UInt64 = 42
        for i in 0..<5_000 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            price += Int64(rng >> 61) - 3
            t.append(1_700_000_000 * SEC + Int64(i) * 7 * SEC)
            bid.append(price)
        }
        return Data(t: t, bid: bid)
    }()

    /// A strategy that trades on M1 bars and counts what it sees.
    func hooks(_ log: EventLog) -> StrategyHooks {
        StrategyHooks(
            onStart: { _ in log.items.append("start") },
            onTick: { _, _ in log.items.append("tick") },
            onBar: { (e: Engine, bar: Bar) throws(HQTError) in
                log.items.append("bar \(bar.time) \(bar.open) \(bar.high) \(bar.low) \(bar.close) \(bar.volume)")
                if e.positions.isEmpty {
                    try e.buy(symbolID: 0, volume: 10_000, sl: bar.close - 300, tp: bar.close + 300)
                }
            },
            onTrade: { _, d in log.items.append("deal \(d.ticket) \(d.price) \(d.time)") },
            onStop: { _ in log.items.append("stop") })
    }

    func engine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("EURUSD"))
        try e.buildBars(symbolID: 0, timeframe: 1)
        return e
    }

    @Test(arguments: [1, 7, 500, 4_999])
    func windowsEndWhereOneLoadEnds(window: Int) throws {
        let d = Self.data
        let whole = try engine(), wholeLog = EventLog()
        try whole.loadTicks(symbolID: 0, time: d.t, bid: d.bid, ask: d.bid.map { $0 + 20 })
        try whole.run(hooks(wholeLog))

        let pulled = try engine(), pulledLog = EventLog()
        var next = 0
        var calls = 0
        try pulled.run(
            hooks(pulledLog),
            source: { (e: Engine) throws(HQTError) -> Bool in
                calls += 1
                guard next < d.t.count else { return false }
                let end = min(next + window, d.t.count)
                try e.loadTicks(
                    symbolID: 0, time: Array(d.t[next..<end]), bid: Array(d.bid[next..<end]),
                    ask: d.bid[next..<end].map { $0 + 20 })
                next = end
                return true
            })
        #expect(calls == (d.t.count + window - 1) / window + 1)
        #expect(pulledLog.items == wholeLog.items)
        #expect(pulled.deals == whole.deals)
        #expect(pulled.equityCurve == whole.equityCurve)
        #expect(pulled.statistics() == whole.statistics())
        #expect(pulledLog.items.filter { $0 == "start" }.count == 1)
    }

    @Test func loadsOutsideTheSourceAreStillRefusedMidRun() throws {
        let e = try engine()
        try e.loadTicks(symbolID: 0, time: [SEC], bid: [U], ask: [U])
        expectError(.callback) {
            try e.run(
                StrategyHooks(onTick: { (e: Engine, _: Tick) throws(HQTError) in
                    do throws(HQTError) { try e.loadTicks(symbolID: 0, time: [2 * SEC], bid: [U], ask: [U]) } catch {
                        throw HQTError(.callback, "refused: \(error.code)")
                    }
                }))
        }
    }

    @Test func aSourceErrorStopsTheRunAndOnStopStillRuns() throws {
        let e = try engine(), log = EventLog()
        try e.loadTicks(symbolID: 0, time: [SEC], bid: [U], ask: [U])
        expectError(.badData, mentions: ["no more"]) {
            try e.run(
                hooks(log),
                source: { (_: Engine) throws(HQTError) -> Bool in
                    throw HQTError(.badData, "no more data today")
                })
        }
        #expect(log.items.first == "start")
        #expect(log.items.last == "stop")
    }
}
