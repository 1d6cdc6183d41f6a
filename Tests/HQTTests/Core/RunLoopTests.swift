import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Market data and the clock" (merge order) and "Strategy
// callbacks": per event built bars -> on_bar; the event is applied; deals
// -> on_trade (in order); then on_tick (or on_bar for a loaded bar). Deals
// made in a callback reach on_trade right after it returns. An error in a
// callback stops the run after on_stop and is re-raised.
@Suite struct RunLoopTests {
    func flatBars(_ e: Engine, _ s: UInt32, _ tf: Int32, _ opens: [Int64]) throws {
        let p = opens.map { _ in U }
        try e.loadBars(
            symbolID: s, timeframe: tf, time: opens, open: p, high: p, low: p, close: p,
            volume: opens.map { _ in 0 })
    }

    @Test func eventsMergeByKnownTimeWithBarsFirstThenSymbolThenTimeframe() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("S0"))
        try e.addSymbol(usdSymbol("S1"))
        try e.loadTicks(symbolID: 0, time: [10 * SEC, 60 * SEC, 300 * SEC], bid: [U, U, U], ask: [U, U, U])
        try e.loadTicks(symbolID: 1, time: [20 * SEC, 60 * SEC], bid: [U, U], ask: [U, U])
        try flatBars(e, 1, 1, [0, 240 * SEC])  // S1 M1: close 60 s, 300 s
        try flatBars(e, 0, 5, [0])  // S0 M5: close 300 s
        try flatBars(e, 0, 1, [240 * SEC])  // S0 M1: close 300 s
        let log = EventLog()
        try e.run(
            StrategyHooks(
                onTick: { e, t in log.add("tick S\(t.symbolID) @\(t.time / SEC) clock \(e.account.time / SEC)") },
                onBar: { e, b in
                    log.add(
                        "bar S\(b.symbolID) M\(b.timeframe.minutes) open \(b.time / SEC) clock \(e.account.time / SEC)")
                }))
        #expect(
            log.items == [
                "tick S0 @10 clock 10",
                "tick S1 @20 clock 20",
                "bar S1 M1 open 0 clock 60",  // 60 s: the bar first
                "tick S0 @60 clock 60",  // then ticks by symbol id
                "tick S1 @60 clock 60",
                "bar S0 M1 open 240 clock 300",  // 300 s: bars by symbol, then shorter timeframe
                "bar S0 M5 open 0 clock 300",
                "bar S1 M1 open 240 clock 300",
                "tick S0 @300 clock 300",
            ])
    }

    @Test func aWeeklyBarComesAfterTheTicksOfItsWeek() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        let monday = 19_723 * DAY  // 2024-01-01, a Monday
        try flatBars(e, 0, 10080, [monday])
        try e.loadTicks(symbolID: 0, time: [monday + 4 * DAY], bid: [U], ask: [U])
        let log = EventLog()
        try e.run(
            StrategyHooks(
                onTick: { _, _ in log.add("tick") },
                onBar: { e, _ in log.add("bar at +\((e.account.time - monday) / DAY)d") }))
        #expect(log.items == ["tick", "bar at +7d"])
    }

    @Test func builtBarsArriveAtTheFirstTickAtOrPastTheirEndAndAtTheEndOfTheRun() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.buildBars(symbolID: 0, timeframe: 1)
        let bids: [Int64] = [1_000_000, 1_200_000, 900_000, 1_100_000, 1_300_000, 1_400_000]
        try e.loadTicks(
            symbolID: 0, time: [10 * SEC, 30 * SEC, 50 * SEC, 59 * SEC, 60 * SEC, 130 * SEC],
            bid: bids, ask: bids)
        let log = EventLog()
        try e.run(
            StrategyHooks(
                onTick: { _, t in log.add("tick @\(t.time / SEC)") },
                onBar: { e, b throws(HQTError) in
                    // before the closing tick is applied: the quote is still the previous tick's
                    log.add(
                        "bar \(b.time / SEC) O\(b.open) H\(b.high) L\(b.low) C\(b.close) V\(b.volume / U) bid \(try e.quote(of: 0).bid)"
                    )
                },
                onStop: { _ in log.add("stop") }))
        #expect(
            log.items == [
                "tick @10", "tick @30", "tick @50", "tick @59",
                "bar 0 O1000000 H1200000 L900000 C1100000 V4 bid 1100000",  // at the 60 s tick (at its end)
                "tick @60",
                "bar 60 O1300000 H1300000 L1300000 C1300000 V1 bid 1300000",  // at the 130 s tick
                "tick @130",
                "bar 120 O1400000 H1400000 L1400000 C1400000 V1 bid 1400000",  // flushed at the end
                "stop",
            ])
        #expect(e.barsProcessed == 3)
    }

    @Test func onTradeFollowsTheEventAndEachCallback() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: 0, bid: U)  // a quote for onStart
        try e.loadTicks(symbolID: 0, time: [SEC, 2 * SEC, 3 * SEC], bid: [U, U, 1_010_000], ask: [U, U, 1_010_000])
        let log = EventLog()
        try e.run(
            StrategyHooks(
                onStart: { e throws(HQTError) in
                    log.add("start")
                    try e.buy(symbolID: 0, volume: 100_000, tp: 1_010_000)  // order 1, deal 2
                    log.add("start end, deals \(e.deals.count)")
                },
                onTick: { e, t throws(HQTError) in
                    log.add("tick \(t.time / SEC)")
                    if t.time == SEC { try e.sell(symbolID: 0, volume: 100_000) }  // order 3, deal 4
                },
                onTrade: { e, d in
                    // the deal is already applied when on_trade sees it
                    #expect(e.deals.contains(d))
                    log.add("trade \(d.ticket) \(d.entry) \(d.reason)")
                },
                onStop: { e throws(HQTError) in
                    log.add("stop")
                    try e.close(ticket: 3)  // order 7, deal 8
                }))
        #expect(
            log.items == [
                "start", "start end, deals 1", "trade 2 in client",
                "tick 1", "trade 4 in client",
                "tick 2",
                "trade 6 out takeProfit", "tick 3",  // TP at 3 s: on_trade before on_tick
                "stop", "trade 8 out client",
            ])
    }

    @Test func dealsMadeInOnTradeAndOnBarAreDeliveredAfterThatCallback() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.buildBars(symbolID: 0, timeframe: 1)
        try e.loadTicks(symbolID: 0, time: [10 * SEC, 70 * SEC], bid: [U, 1_001_000], ask: [1_000_100, 1_001_100])
        let log = EventLog()
        try e.run(
            StrategyHooks(
                onTick: { _, t in log.add("tick \(t.time / SEC)") },
                onBar: { e, _ throws(HQTError) in
                    // built bar [0, 60) delivered at the 70 s tick before it is applied: fills at the old ask
                    try e.buy(symbolID: 0, volume: 100_000)
                    log.add("bar end")
                },
                onTrade: { e, d throws(HQTError) in
                    log.add("trade \(d.ticket) \(d.entry) @\(d.price) begin")
                    if d.entry == .in { try e.close(ticket: d.position) }
                    log.add("trade \(d.ticket) end")
                }))
        #expect(
            log.items == [
                "tick 10",
                "bar end", "trade 2 in @1000100 begin", "trade 2 end",
                "trade 4 out @1000000 begin", "trade 4 end",  // the close made inside on_trade
                "tick 70",
                "bar end", "trade 6 in @1001100 begin", "trade 6 end",  // bar [60,120) flushed at the end
                "trade 8 out @1001000 begin", "trade 8 end",
            ])
    }

    @Test func processDeliversTradesBeforeOnTickAndOnBar() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: U)
        try e.send(OrderRequest(symbolID: 0, type: .sellLimit, volume: LOT, price: 1_001_000))  // order 1
        try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 999_000))  // order 2
        let log = EventLog()
        let hooks = StrategyHooks(
            onTick: { _, t in log.add("tick \(t.time / SEC)") },
            onBar: { _, b in log.add("bar \(b.time / SEC)") },
            onTrade: { _, d in log.add("trade \(d.ticket) order \(d.order)") })
        try e.tick(at: 2 * SEC, bid: 1_001_000, hooks: hooks)  // sell limit fills: deal 3
        // the buy limit fills inside the M1 bar [60, 120) (low 0.99900): deal 4
        try e.bar(open: MIN, o: U, h: U, l: 999_000, c: U, hooks: hooks)
        #expect(log.items == ["trade 3 order 1", "tick 2", "trade 4 order 2", "bar 60"])
    }

    @Test func anErrorInAHookStopsTheRunCallsOnStopAndIsRethrown() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.loadTicks(symbolID: 0, time: [SEC, 2 * SEC, 3 * SEC], bid: [U, U, U], ask: [U, U, U])
        let log = EventLog()
        let error = expectError(.callback, mentions: ["boom"]) {
            try e.run(
                StrategyHooks(
                    onTick: { _, t throws(HQTError) in
                        log.add("tick \(t.time / SEC)")
                        if t.time == 2 * SEC { throw HQTError(.callback, "boom at 2 s") }
                    },
                    onStop: { _ in log.add("stop") }))
        }
        #expect(error?.message == "boom at 2 s")
        #expect(log.items == ["tick 1", "tick 2", "stop"])
        #expect(e.pendingEventCount == 1 && e.ticksProcessed == 2)
        // the engine is usable again: the rest runs
        try e.run(StrategyHooks(onTick: { _, t in log.add("tick \(t.time / SEC)") }))
        #expect(log.items.last == "tick 3")
    }

    @Test func anErrorInOnStartStillCallsOnStop() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.loadTicks(symbolID: 0, time: [SEC], bid: [U], ask: [U])
        let log = EventLog()
        expectError(.state, mentions: ["not ready"]) {
            try e.run(
                StrategyHooks(
                    onStart: { _ throws(HQTError) in throw HQTError(.state, "not ready") },
                    onTick: { _, _ in log.add("tick") },
                    onStop: { _ in log.add("stop") }))
        }
        #expect(log.items == ["stop"])
    }

    @Test func anErrorInOnStopIsRethrown() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.loadTicks(symbolID: 0, time: [SEC], bid: [U], ask: [U])
        expectError(.callback, mentions: ["stop failed"]) {
            try e.run(StrategyHooks(onStop: { _ throws(HQTError) in throw HQTError(.callback, "stop failed") }))
        }
        #expect(e.ticksProcessed == 1)
    }

    @Test func reentrantCallsFromAHookAreBusy() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.loadTicks(symbolID: 0, time: [SEC, 2 * SEC], bid: [U, U], ask: [U, U])
        var codes: [HQTError.Code] = []
        func attempt(_ body: () throws(HQTError) -> Void) {
            do throws(HQTError) { try body() } catch { codes.append(error.code) }
        }
        try e.run(
            StrategyHooks(onTick: { e, t in
                guard t.time == SEC else { return }
                attempt { () throws(HQTError) in try e.run() }
                attempt { () throws(HQTError) in try e.process(.tick(Tick(symbolID: 0, time: 5 * SEC, bid: U, ask: U)))
                }
                attempt { () throws(HQTError) in try e.loadTicks(symbolID: 0, time: [9 * SEC], bid: [U], ask: [U]) }
                attempt { () throws(HQTError) in try e.addSymbol(usdSymbol("OTHER")) }
            }))
        #expect(codes == [.busy, .busy, .busy, .busy])
        #expect(e.ticksProcessed == 2 && e.symbols.count == 1)
    }

    @Test func processRefusesTimeGoingBackwards() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: 10 * SEC, bid: U)
        expectRejected(e, .dataOrder, mentions: ["5000000000", "before"]) { try e.tick(at: 5 * SEC, bid: U) }
        // a bar closing before the clock too: M1 opening at 0 closes at 60 s, after 10 s: fine;
        // one closing at 10 s exactly is not possible for M1, so move the clock first
        try e.tick(at: 200 * SEC, bid: U)
        expectRejected(e, .dataOrder, mentions: ["before"]) {
            try e.bar(open: 60 * SEC, o: U, h: U, l: U, c: U)  // closes at 120 s
        }
        try e.tick(at: 200 * SEC, bid: U)  // equal time is fine
    }

    /// Hooks that trade, cancel, modify, trail and deposit on every callback
    /// over a two-symbol run with loaded and built bars. Debug builds keep
    /// exclusivity checks on, so a hook re-entering the engine while it is
    /// mutating would trap here. Afterwards the books must still add up.
    @Test func reentrantHooksKeepTheBooksConsistent() throws {
        let e = try makeEngine(balance: 1_000_000 * U)
        try e.addSymbol(usdSymbol("A", commission: U))
        try e.addSymbol(usdSymbol("B"))
        try e.buildBars(symbolID: 0, timeframe: 1)
        var t: [Int64] = [], b: [Int64] = []
        for i in 0..<400 { t.append(Int64(i) * 7 * SEC); b.append(1_000_000 + Int64((i * 37) % 200) * 100) }
        try e.loadTicks(symbolID: 0, time: t, bid: b, ask: b.map { $0 + 100 })
        try e.loadTicks(symbolID: 1, time: t.map { $0 + 3 * SEC }, bid: b, ask: b.map { $0 + 100 })
        let n9 = Array(repeating: U, count: 9)
        try e.loadBars(
            symbolID: 1, timeframe: 5, time: (0..<9).map { Int64($0) * 300 * SEC }, open: n9,
            high: n9.map { $0 + 30_000 }, low: n9.map { $0 - 10_000 }, close: n9,
            volume: Array(repeating: 0, count: 9))
        var ticks = 0, bars = 0
        try e.run(
            StrategyHooks(
                onStart: { e throws(HQTError) in try e.buildBars(symbolID: 1, timeframe: 1) },
                onTick: { e, tk throws(HQTError) in
                    ticks += 1
                    if ticks % 3 == 0 {
                        try e.send(OrderRequest(symbolID: tk.symbolID, type: .buy, volume: 100_000, trailingPoints: 50))
                    }
                    if ticks % 5 == 0 {
                        try e.send(
                            OrderRequest(
                                symbolID: tk.symbolID, type: .sellLimit, volume: 100_000,
                                price: tk.bid + 500, expiration: tk.time + 60 * SEC))
                    }
                    if ticks % 7 == 0, let p = e.positions.first { try e.close(ticket: p.ticket) }
                    if ticks % 11 == 0, let o = e.orders.first { try e.cancel(ticket: o.ticket) }
                    _ = e.statistics()
                },
                onBar: { e, bar throws(HQTError) in
                    bars += 1
                    if let p = e.positions.last { try e.setTrailingStop(ticket: p.ticket, points: 30) }
                    try e.send(OrderRequest(symbolID: bar.symbolID, type: .sellStop, volume: 100_000, price: 900_000))
                    try e.deposit(U)
                },
                onTrade: { e, d throws(HQTError) in
                    if d.entry == .in, d.reason == .pending, e.position(ticket: d.position) != nil {
                        try e.modify(ticket: d.position, sl: 0, tp: nil)
                    }
                }))
        #expect(ticks == 800 && e.deals.count > 100)
        let a = e.account
        #expect(a.margin == e.positions.reduce(0) { $0 + $1.margin })
        #expect(a.equity == a.balance + e.positions.reduce(0) { $0 + $1.profit })
        // every deal: balance after = balance before + profit + commission (deposits in between)
        #expect(a.balance == 1_000_000 * U + Int64(bars) * U + e.deals.reduce(0) { $0 + $1.profit + $1.commission })
        #expect(e.statistics().netProfit == a.balance - 1_000_000 * U - Int64(bars) * U)
        let tickets = e.deals.map(\.ticket)
        #expect(tickets == tickets.sorted() && Set(tickets).count == tickets.count)
    }
}

/// The quiet-tick path of the one-symbol loop (`quietTick`: no sink, no bars
/// built; with or without on_tick) must leave exactly the state the full
/// path does (forced here by a sink that records nothing).
@Suite struct QuietTickTests {
    final class Mute: EngineSink {
        func tick(_ engine: Engine, symbolID: UInt32, time: Int64, bid: Int64, ask: Int64) {}
        func bar(_ engine: Engine, _ bar: Bar) {}
        func order(_ engine: Engine, _ order: Order, state: OrderState, time: Int64) {}
        func deal(_ engine: Engine, _ deal: Deal) {}
        func position(_ engine: Engine, _ p: Position, event: PositionEvent, time: Int64, profit: Int64) {}
        func accountChanged(_ engine: Engine, time: Int64) {}
        func marginEvent(_ engine: Engine, event: MarginEvent, time: Int64) {}
    }

    static func scenario(onTick: Bool, fullPath: Bool = false) throws -> (Engine, Int, Int) {
        let e = try makeEngine(balance: 2_500 * U, leverage: 100)
        try e.addSymbol(usdSymbol(spread: 20))
        try e.setEquityInterval(60 * SEC)
        try e.tick(at: SEC, bid: 1_000_000, ask: 1_000_020)
        // Positions far from their levels, one close to its TP, a pending
        // order the path reaches, and enough volume for a stop-out later.
        try e.buy(symbolID: 0, volume: LOT, sl: 900_000, tp: 1_004_000)
        try e.buy(symbolID: 0, volume: LOT)
        _ = try e.send(OrderRequest(symbolID: 0, type: .sellLimit, volume: LOT, price: 1_003_000))
        let n = 20_000
        var times: [Int64] = [], bids: [Int64] = []
        var price: Int64 = 1_000_000
        for k in 0..<n {
            price += Int64((k * 7919) % 41) - 20  // a drift-free walk
            if k == 15_000 { price -= 150_000 }  // a crash: margin call, stop-out
            times.append(Int64(k + 2) * SEC)
            bids.append(price)
        }
        try e.loadTicks(symbolID: 0, time: times, bid: bids, ask: bids.map { $0 + 20 })
        let mute = Mute()
        if fullPath { e.attach(mute) }
        var hooks = StrategyHooks()
        var trades = 0, ticks = 0
        hooks.onTrade = { _, _ throws(HQTError) in trades += 1 }
        if onTick { hooks.onTick = { _, _ throws(HQTError) in ticks += 1 } }
        try e.run(hooks)
        return (e, trades, ticks)
    }

    @Test func quietTicksLeaveTheSameStateAsTheFullPath() throws {
        let (quiet, quietTrades, _) = try Self.scenario(onTick: false)
        let (quietTick, quietTickTrades, calls) = try Self.scenario(onTick: true)
        let (full, fullTrades, fullCalls) = try Self.scenario(onTick: true, fullPath: true)
        #expect(quiet.deals.count >= 4)  // the TP, the limit, the stop-out(s)
        #expect(quiet.deals.contains { $0.reason == .stopOut })
        #expect(calls == 20_000 && fullCalls == 20_000)
        for other in [quietTick, full] {
            #expect(quiet.deals == other.deals)
            #expect(quiet.trades == other.trades)
            #expect(quiet.orderHistory == other.orderHistory)
            #expect(quiet.equityCurve == other.equityCurve)
            #expect(quiet.account == other.account)
            #expect(quiet.ticksProcessed == other.ticksProcessed && quiet.eventsProcessed == other.eventsProcessed)
            #expect(quiet.statistics() == other.statistics())
        }
        #expect(quietTrades == fullTrades && quietTickTrades == fullTrades && quietTrades == quiet.deals.count - 2)
    }
}

/// The one-bar-series loop (`runSingleBars`) must leave exactly the state
/// the merge loop leaves for the same bars. The merge is forced by a second
/// symbol's bar loaded before them; the other run gets that bar through
/// `process`, so both engines see the same events in the same order.
@Suite struct SingleBarSeriesTests {
    static func scenario(merged: Bool) throws -> (Engine, [String]) {
        let e = try makeEngine(balance: 10_000 * U, leverage: 100)
        try e.addSymbol(usdSymbol(spread: 20))
        try e.addSymbol(usdSymbol("OTHER"))
        try e.setEquityInterval(60 * SEC)
        let n = 3_000
        var time: [Int64] = [], open: [Int64] = [], high: [Int64] = [], low: [Int64] = [], close: [Int64] = []
        var price: Int64 = 1_000_000
        for k in 0..<n {
            let o = price
            price += Int64((k * 7919) % 401) - 200  // a drift-free walk
            if k == 2_500 { price -= 160_000 }  // a crash: margin call, stop-out
            time.append(Int64(k + 1) * 60 * SEC)
            open.append(o)
            close.append(price)
            high.append(max(o, price) + Int64(k % 7) * 30)
            low.append(min(o, price) - Int64(k % 5) * 30)
        }
        let first = (time: Int64(0), price: U)
        if merged {
            try e.loadBars(
                symbolID: 1, timeframe: 1, time: [first.time], open: [first.price], high: [first.price],
                low: [first.price], close: [first.price], volume: [0])
        } else {
            try e.process(
                .bar(
                    Bar(
                        symbolID: 1, timeframe: .m1, time: first.time, open: first.price, high: first.price,
                        low: first.price, close: first.price, volume: 0)))
        }
        try e.loadBars(
            symbolID: 0, timeframe: 1, time: time, open: open, high: high, low: low, close: close,
            volume: close.map { _ in 0 })
        let log = EventLog()
        var hooks = StrategyHooks()
        hooks.onTrade = { _, d throws(HQTError) in log.add("deal \(d.ticket) \(d.reason) \(d.price)") }
        hooks.onBar = { e, b throws(HQTError) in
            guard b.symbolID == 0 else { return }
            let k = Int((b.time / SEC) / 60) - 1
            // Trades every 40 bars: positions with SL/TP, a pending limit
            // order the walk may reach, one expiring, and enough volume
            // for the crash to stop it out.
            if k % 40 == 0 && k < 2_400 {
                _ = try? e.buy(symbolID: 0, volume: LOT, sl: b.close - 500, tp: b.close + 500)
                _ = try? e.send(
                    OrderRequest(
                        symbolID: 0, type: .sellLimit, volume: LOT, price: b.close + 300, sl: b.close + 800,
                        tp: b.close - 200, expiration: b.time + 20 * 60 * SEC))
            }
            if k == 2_450 { _ = try e.buy(symbolID: 0, volume: 6 * LOT) }
            log.add("bar \(k) equity \(e.account.equity)")
        }
        try e.run(hooks)
        return (e, log.items)
    }

    @Test func oneBarSeriesLeavesTheSameStateAsTheMerge() throws {
        let (single, singleLog) = try Self.scenario(merged: false)
        let (merged, mergedLog) = try Self.scenario(merged: true)
        #expect(single.deals.contains { $0.reason == .stopLoss } && single.deals.contains { $0.reason == .takeProfit })
        #expect(single.deals.contains { $0.reason == .stopOut })
        #expect(single.orderHistory.contains { $0.state == .expired })
        #expect(singleLog == mergedLog)
        #expect(single.deals == merged.deals)
        #expect(single.trades == merged.trades)
        #expect(single.orderHistory == merged.orderHistory)
        #expect(single.equityCurve == merged.equityCurve)
        #expect(single.account == merged.account)
        #expect(single.barsProcessed == merged.barsProcessed && single.eventsProcessed == merged.eventsProcessed)
        #expect(single.statistics() == merged.statistics())
    }
}
