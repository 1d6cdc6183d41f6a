import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// Every bad input named by docs/engine.md and SPEC: the right HQTError code,
// a message that names the problem, and an engine exactly as before
// (account, positions, orders, history, deals, trades, equity curve,
// pending events, ticket counter, clock) - see `expectRejected`.
@Suite struct BadInputTests {
    /// TEST (id 0) quoted 1.10000 / 1.10020 at 1 s; TEST2 (id 1) never
    /// quoted; position 1 (buy 1 lot, SL 1.09000, TP 1.12000); pending buy
    /// limit 3 at 1.09000; two ticks loaded (10 s, 11 s) and not yet run.
    func fixture() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.addSymbol(usdSymbol("TEST2"))
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        #expect(try e.buy(symbolID: 0, volume: LOT, sl: 1_090_000, tp: 1_120_000) == 1)
        #expect(try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 1_090_000)) == 3)
        try e.loadTicks(
            symbolID: 0, time: [10 * SEC, 11 * SEC], bid: [1_100_000, 1_100_000], ask: [1_100_200, 1_100_200])
        #expect(e.pendingEventCount == 2)
        return e
    }

    func pending(
        _ type: OrderType, _ price: Int64, stopLimit: Int64 = 0, sl: Int64 = 0, tp: Int64 = 0,
        expiration: Int64 = 0, volume: Int64 = LOT
    ) -> OrderRequest {
        OrderRequest(
            symbolID: 0, type: type, volume: volume, price: price, stopLimit: stopLimit, sl: sl, tp: tp,
            expiration: expiration)
    }

    @Test func unknownSymbol() throws {
        let e = try fixture()
        expectRejected(e, .unknownSymbol, mentions: ["5"]) { try e.buy(symbolID: 5, volume: LOT) }
        expectRejected(e, .unknownSymbol, mentions: ["5"]) { try e.send(pending(.buyLimit, 1_090_000).with(symbol: 5)) }
        expectRejected(e, .unknownSymbol, mentions: ["7"]) {
            try e.loadTicks(symbolID: 7, time: [20 * SEC], bid: [U], ask: [U])
        }
        expectRejected(e, .unknownSymbol, mentions: ["7"]) {
            try e.loadBars(
                symbolID: 7, timeframe: 1, time: [0], open: [U], high: [U], low: [U], close: [U], volume: [0])
        }
        expectRejected(e, .unknownSymbol, mentions: ["9"]) { try e.tick(9, at: 20 * SEC, bid: U) }
        expectRejected(e, .unknownSymbol, mentions: ["9"]) { try e.buildBars(symbolID: 9, timeframe: 1) }
        expectRejected(e, .unknownSymbol, mentions: ["NOPE"]) { _ = try e.symbolID(named: "NOPE") }
        expectRejected(e, .unknownSymbol, mentions: ["9"]) { _ = try e.quote(of: 9) }
    }

    @Test func unknownTicket() throws {
        let e = try fixture()
        expectRejected(e, .unknownTicket, mentions: ["99"]) { try e.close(ticket: 99) }
        expectRejected(e, .unknownTicket, mentions: ["99"]) { try e.modify(ticket: 99, sl: 0, tp: 0) }
        expectRejected(e, .unknownTicket, mentions: ["99"]) { try e.cancel(ticket: 99) }
        expectRejected(e, .unknownTicket, mentions: ["99"]) {
            try e.modifyOrder(ticket: 99, price: 1_080_000, stopLimit: nil, expiration: nil)
        }
        expectRejected(e, .unknownTicket, mentions: ["99"]) { try e.setTrailingStop(ticket: 99, points: 10) }
        // a position is not an order and an order is not a position; deal 2 is neither
        expectRejected(e, .unknownTicket, mentions: ["1"]) { try e.cancel(ticket: 1) }
        expectRejected(e, .unknownTicket, mentions: ["3"]) { try e.close(ticket: 3) }
        expectRejected(e, .unknownTicket, mentions: ["2"]) { try e.close(ticket: 2) }
    }

    @Test func volumeOutsideRangeOrNotAMultipleOfTheStep() throws {
        let e = try fixture()
        // step 0.01, min 0.01, max 100 lots
        expectRejected(e, .invalidVolume, mentions: ["0.015", "step"]) { try e.buy(symbolID: 0, volume: 15_000) }
        expectRejected(e, .invalidVolume, mentions: ["0.005", "range"]) { try e.buy(symbolID: 0, volume: 5_000) }
        expectRejected(e, .invalidVolume, mentions: ["101", "range"]) { try e.sell(symbolID: 0, volume: 101 * LOT) }
        expectRejected(e, .invalidVolume, mentions: ["range"]) { try e.buy(symbolID: 0, volume: 0) }
        expectRejected(e, .invalidVolume, mentions: ["range"]) { try e.buy(symbolID: 0, volume: -LOT) }
        expectRejected(e, .invalidVolume, mentions: ["step"]) {
            try e.send(pending(.buyLimit, 1_090_000, volume: 1_005_000))
        }
        // closing: not a multiple of the step, more than held, negative
        expectRejected(e, .invalidVolume, mentions: ["step"]) { try e.close(ticket: 1, volume: 15_000) }
        expectRejected(e, .invalidVolume, mentions: ["holds"]) { try e.close(ticket: 1, volume: 2 * LOT) }
        expectRejected(e, .invalidVolume) { try e.close(ticket: 1, volume: -LOT) }
    }

    @Test func stopsOnTheWrongSide() throws {
        let e = try fixture()
        // market buy: SL < bid 1.10000 < TP
        expectRejected(e, .invalidStops, mentions: ["stop loss", "1.1"]) {
            try e.buy(symbolID: 0, volume: LOT, sl: 1_100_000)
        }
        expectRejected(e, .invalidStops, mentions: ["take profit"]) {
            try e.buy(symbolID: 0, volume: LOT, tp: 1_100_000)
        }
        // market sell: TP < ask 1.10020 < SL
        expectRejected(e, .invalidStops, mentions: ["stop loss", "1.1002"]) {
            try e.sell(symbolID: 0, volume: LOT, sl: 1_100_200)
        }
        expectRejected(e, .invalidStops, mentions: ["take profit"]) {
            try e.sell(symbolID: 0, volume: LOT, tp: 1_100_200)
        }
        // modifying position 1 (buy, reference bid 1.10000)
        expectRejected(e, .invalidStops, mentions: ["stop loss"]) { try e.modify(ticket: 1, sl: 1_100_500, tp: nil) }
        expectRejected(e, .invalidStops, mentions: ["take profit"]) { try e.modify(ticket: 1, sl: nil, tp: 1_099_000) }
        // modifying pending order 3 (buy limit at 1.09000)
        expectRejected(e, .invalidStops, mentions: ["stop loss"]) { try e.modify(ticket: 3, sl: 1_095_000, tp: nil) }
        // negative levels are prices, not stops
        expectRejected(e, .invalidPrice, mentions: ["-1"]) { try e.buy(symbolID: 0, volume: LOT, sl: -U) }
        expectRejected(e, .invalidPrice, mentions: ["-1"]) { try e.modify(ticket: 1, sl: -U, tp: nil) }
    }

    @Test func pendingPricesOnTheWrongSide() throws {
        let e = try fixture()
        expectRejected(e, .invalidPrice, mentions: ["below the ask"]) { try e.send(pending(.buyLimit, 1_100_200)) }
        expectRejected(e, .invalidPrice, mentions: ["above the bid"]) { try e.send(pending(.sellLimit, 1_100_000)) }
        expectRejected(e, .invalidPrice, mentions: ["above the ask"]) { try e.send(pending(.buyStop, 1_100_200)) }
        expectRejected(e, .invalidPrice, mentions: ["below the bid"]) { try e.send(pending(.sellStop, 1_100_000)) }
        expectRejected(e, .invalidPrice, mentions: ["above the ask"]) {
            try e.send(pending(.buyStopLimit, 1_100_100, stopLimit: 1_100_000))
        }
        expectRejected(e, .invalidPrice, mentions: ["limit", "below the stop"]) {
            try e.send(pending(.buyStopLimit, 1_101_000, stopLimit: 1_101_000))
        }
        expectRejected(e, .invalidPrice, mentions: ["limit", "above the stop"]) {
            try e.send(pending(.sellStopLimit, 1_099_000, stopLimit: 1_098_000))
        }
        expectRejected(e, .invalidPrice, mentions: ["stop-limit price"]) {
            try e.send(pending(.sellStopLimit, 1_099_000, stopLimit: 0))
        }
        expectRejected(e, .invalidPrice, mentions: ["price"]) { try e.send(pending(.buyLimit, 0)) }
        expectRejected(e, .invalidPrice, mentions: ["below the ask"]) {
            try e.modifyOrder(ticket: 3, price: 1_100_500, stopLimit: nil, expiration: nil)
        }
    }

    @Test func expirationMustBeLaterThanTheEngineTime() throws {
        let e = try fixture()
        expectRejected(e, .invalidArgument, mentions: ["expiration"]) {
            try e.send(pending(.buyLimit, 1_090_000, expiration: SEC))  // = now
        }
        expectRejected(e, .invalidArgument, mentions: ["expiration"]) {
            try e.modifyOrder(ticket: 3, price: nil, stopLimit: nil, expiration: SEC / 2)
        }
    }

    @Test func noQuoteYet() throws {
        let e = try fixture()
        expectRejected(e, .noPrice, mentions: ["TEST2", "quote"]) { try e.buy(symbolID: 1, volume: LOT) }
        expectRejected(e, .noPrice, mentions: ["TEST2"]) {
            try e.send(OrderRequest(symbolID: 1, type: .buyLimit, volume: LOT, price: U))
        }
    }

    @Test func money() throws {
        let e = try fixture()
        // free margin = 10 000 - 20 (spread: 0.00020 x 100 000) - 1 000 = 8 980
        expectRejected(e, .noMoney, mentions: ["margin"]) { try e.buy(symbolID: 0, volume: 9 * LOT) }
        expectRejected(e, .noMoney, mentions: ["withdraw", "8980"]) { try e.deposit(-9_000 * U) }
        expectRejected(e, .invalidArgument, mentions: ["deposit"]) { try e.deposit(0) }
    }

    @Test func badTicksInDoubleBuffers() throws {
        let e = try fixture()
        func load(_ bid: [Double], _ ask: [Double], _ time: [Int64]? = nil) throws(HQTError) {
            let t = time ?? (0..<bid.count).map { Int64(20 + $0) * SEC }
            var failure: HQTError?
            t.withUnsafeBufferPointer { tb in
                bid.withUnsafeBufferPointer { bb in
                    ask.withUnsafeBufferPointer { ab in
                        do throws(HQTError) { try e.loadTicks(symbolID: 0, time: tb, bid: bb, ask: ab) } catch {
                            failure = error
                        }
                    }
                }
            }
            if let failure { throw failure }
        }
        expectRejected(e, .invalidPrice, mentions: ["tick 1", "finite"]) { try load([1.1, .nan], [1.1, 1.1]) }
        expectRejected(e, .invalidPrice, mentions: ["tick 0", "finite"]) { try load([1.1], [.infinity]) }
        expectRejected(e, .invalidPrice, mentions: ["tick 2", "> 0"]) { try load([1.1, 1.1, -1.5], [1.1, 1.1, 1.1]) }
        expectRejected(e, .invalidPrice, mentions: ["tick 0"]) { try load([0], [1.1]) }
        expectRejected(e, .badData, mentions: ["tick 1", "below"]) { try load([1.1, 1.1], [1.1, 1.09]) }
        expectRejected(e, .dataOrder, mentions: ["tick 1", "backwards"]) {
            try load([1.1, 1.1], [1.1, 1.1], [30 * SEC, 29 * SEC])
        }
        // before the ticks already loaded (last at 11 s)
        expectRejected(e, .dataOrder, mentions: ["tick 0"]) { try load([1.1], [1.1], [10 * SEC + 1]) }
        expectRejected(e, .dataOrder, mentions: ["negative"]) { try load([1.1], [1.1], [-SEC]) }
        expectRejected(e, .invalidArgument, mentions: ["same length"]) { try load([1.1, 1.1], [1.1]) }
    }

    @Test func badTicksInIntegerArrays() throws {
        let e = try fixture()
        expectRejected(e, .badData, mentions: ["below"]) {
            try e.loadTicks(symbolID: 0, time: [20 * SEC], bid: [1_100_000], ask: [1_099_999])
        }
        expectRejected(e, .invalidArgument, mentions: ["same length"]) {
            try e.loadTicks(symbolID: 0, time: [20 * SEC, 21 * SEC], bid: [U, U], ask: [U])
        }
    }

    @Test func badProcessedEvents() throws {
        let e = try fixture()
        expectRejected(e, .badData, mentions: ["below"]) { try e.tick(at: 2 * SEC, bid: 1_100_000, ask: 1_099_000) }
        expectRejected(e, .invalidPrice, mentions: ["> 0"]) { try e.tick(at: 2 * SEC, bid: 0, ask: 1_099_000) }
        expectRejected(e, .dataOrder, mentions: ["before"]) { try e.tick(at: SEC - 1, bid: U) }
        expectRejected(e, .badData, mentions: ["high"]) {
            try e.bar(open: MIN, o: 1_100_000, h: 1_099_000, l: 1_098_000, c: 1_098_500)  // high < open
        }
        expectRejected(e, .invalidPrice, mentions: ["> 0"]) { try e.bar(open: MIN, o: 0, h: U, l: 0, c: U) }
    }

    @Test func badBars() throws {
        let e = try fixture()
        func bars(
            tf: Int32 = 1, time: [Int64] = [MIN], o: Int64 = U, h: Int64 = U, l: Int64 = U, c: Int64 = U,
            v: Int64 = 0
        ) throws(HQTError) {
            try e.loadBars(
                symbolID: 0, timeframe: tf, time: time, open: time.map { _ in o }, high: time.map { _ in h },
                low: time.map { _ in l }, close: time.map { _ in c }, volume: time.map { _ in v })
        }
        expectRejected(e, .invalidArgument, mentions: ["timeframe", "7"]) { try bars(tf: 7) }
        expectRejected(e, .badData, mentions: ["bar 0", "high"]) { try bars(h: 900_000) }  // high < open
        expectRejected(e, .badData, mentions: ["bar 0", "low"]) { try bars(l: 1_100_000) }  // low > open
        expectRejected(e, .badData, mentions: ["volume"]) { try bars(v: -1) }
        expectRejected(e, .invalidPrice, mentions: ["> 0"]) { try bars(o: 0, l: 0) }
        expectRejected(e, .dataOrder, mentions: ["bar 1", "not after"]) { try bars(time: [2 * MIN, 2 * MIN]) }
        expectRejected(e, .dataOrder, mentions: ["negative"]) { try bars(time: [-MIN]) }
        // NaN through the Double interface
        let t: [Int64] = [MIN], p: [Double] = [1.1], nan: [Double] = [.nan]
        expectRejected(e, .invalidPrice, mentions: ["finite"]) {
            var failure: HQTError?
            t.withUnsafeBufferPointer { tb in
                p.withUnsafeBufferPointer { pb in
                    nan.withUnsafeBufferPointer { nb in
                        do throws(HQTError) {
                            try e.loadBars(
                                symbolID: 0, timeframe: 1, time: tb, open: pb, high: pb, low: pb, close: nb, volume: pb)
                        } catch { failure = error }
                    }
                }
            }
            if let failure { throw failure }
        }
        expectRejected(e, .invalidArgument, mentions: ["timeframe", "2"]) { try e.buildBars(symbolID: 0, timeframe: 2) }
    }

    @Test func badConfiguration() throws {
        expectError(.invalidArgument, mentions: ["currency"]) {
            _ = try Engine(initialBalance: 0, currency: "US D", leverage: 100)
        }
        expectError(.invalidArgument, mentions: ["currency"]) {
            _ = try Engine(initialBalance: 0, currency: "", leverage: 100)
        }
        expectError(.invalidArgument, mentions: ["leverage"]) {
            _ = try Engine(initialBalance: 0, currency: "USD", leverage: 0)
        }
        expectError(.invalidArgument, mentions: ["balance"]) {
            _ = try Engine(initialBalance: -1, currency: "USD", leverage: 1)
        }
        let e = try fixture()
        expectRejected(e, .invalidArgument, mentions: ["TEST", "exists"]) { try e.addSymbol(usdSymbol()) }
        var spec = usdSymbol("X1"); spec.digits = 7
        expectRejected(e, .invalidArgument, mentions: ["digits"]) { try e.addSymbol(spec) }
        spec = usdSymbol("X2"); spec.volumeStep = 0
        expectRejected(e, .invalidArgument, mentions: ["step"]) { try e.addSymbol(spec) }
        spec = usdSymbol("X3"); spec.contractSize = 0
        expectRejected(e, .invalidArgument, mentions: ["contract"]) { try e.addSymbol(spec) }
        spec = SymbolSpec(name: "X4", baseCurrency: "EU1", profitCurrency: "USD")
        expectRejected(e, .invalidArgument, mentions: ["base currency"]) { try e.addSymbol(spec) }
        expectRejected(e, .invalidArgument, mentions: ["stop-out"]) {
            try e.setMarginLevels(marginCall: 50 * U, stopOut: 60 * U)
        }
        expectRejected(e, .invalidArgument, mentions: ["interval"]) { try e.setEquityInterval(0) }
        expectRejected(e, .invalidArgument, mentions: ["trailing"]) { try e.setTrailingStop(ticket: 1, points: -1) }
        expectRejected(e, .state, mentions: ["mode"]) { try e.setAccountMode(.netting) }
    }
}

extension OrderRequest {
    func with(symbol: UInt32) -> OrderRequest {
        var r = self
        r.symbolID = symbol
        return r
    }
}
