import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Orders": accept / trigger / fill table for pending
// orders, on ticks and on bars (low/high of bid, and of bid + spread for
// ask), expiration, rejection without margin, stop-limit conversion.
@Suite struct PendingOrderTests {
    /// TEST (USD/USD), quoted bid 1.10000 / ask 1.10020 at t = 1 s.
    func engine(balance: Int64 = 10_000 * U) throws -> Engine {
        let e = try makeEngine(balance: balance)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        return e
    }

    /// TEST with spread 0.00020, first quoted by an M1 bar closing at 60 s
    /// (bid 1.10000, ask 1.10020).
    func barEngine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(spread: 200))
        try e.bar(open: 0, o: 1_100_000, h: 1_100_000, l: 1_100_000, c: 1_100_000)
        return e
    }

    @discardableResult
    func place(
        _ e: Engine, _ type: OrderType, _ price: Int64, stopLimit: Int64 = 0, sl: Int64 = 0, tp: Int64 = 0,
        expiration: Int64 = 0, volume: Int64 = LOT
    ) throws -> UInt64 {
        try e.send(
            OrderRequest(
                symbolID: 0, type: type, volume: volume, price: price, stopLimit: stopLimit,
                sl: sl, tp: tp, expiration: expiration))
    }

    @Test func buyLimitTriggersWhenAskReachesPriceAndFillsAtPrice() throws {
        let e = try engine()
        #expect(try place(e, .buyLimit, 1_099_000) == 1)  // 1.09900 < ask 1.10020
        #expect(e.orders.count == 1 && e.orders[0].state == .placed)
        #expect(e.account.margin == 0)  // no margin while pending
        try e.tick(at: 2 * SEC, bid: 1_098_900, ask: 1_099_100)  // ask 1.09910 > 1.09900
        #expect(e.deals.isEmpty)
        try e.tick(at: 3 * SEC, bid: 1_098_800, ask: 1_099_000)  // ask 1.09900 <= 1.09900
        // fills at the order price (= this tick's ask); deal 2, position = order ticket 1.
        // A tick gapping below the price fills at its own ask: TradingRulesTests.
        #expect(
            e.deals == [
                Deal(
                    ticket: 2, order: 1, position: 1, symbolID: 0, side: .buy, entry: .in,
                    reason: .pending, time: 3 * SEC, volume: LOT, price: 1_099_000, commission: 0,
                    profit: 0, balance: 10_000 * U, magic: 0)
            ])
        #expect(e.orders.isEmpty)
        #expect(e.orderHistory.count == 1 && e.orderHistory[0].ticket == 1 && e.orderHistory[0].state == .filled)
        #expect(e.positions.map(\.ticket) == [1] && e.positions[0].openPrice == 1_099_000)
        #expect(e.account.margin == 1_000 * U)  // 100 000 / 100
        // the next market order continues the counter: order 3, deal 4
        #expect(try e.buy(symbolID: 0, volume: LOT) == 3)
        #expect(e.deals.last?.ticket == 4)
    }

    @Test func sellLimitTriggersWhenBidReachesPrice() throws {
        let e = try engine()
        try place(e, .sellLimit, 1_101_000)  // > bid 1.10000
        try e.tick(at: 2 * SEC, bid: 1_100_900, ask: 1_101_100)  // bid below price
        #expect(e.deals.isEmpty)
        try e.tick(at: 3 * SEC, bid: 1_101_000, ask: 1_101_200)  // bid >= price
        #expect(e.deals.count == 1 && e.deals[0].price == 1_101_000 && e.deals[0].side == .sell)
        #expect(e.positions[0].side == .sell)
    }

    @Test func buyStopFillsAtTheTicksAsk() throws {
        let e = try engine()
        try place(e, .buyStop, 1_101_000)  // > ask 1.10020
        try e.tick(at: 2 * SEC, bid: 1_100_700, ask: 1_100_900)
        #expect(e.deals.isEmpty)
        try e.tick(at: 3 * SEC, bid: 1_101_300, ask: 1_101_500)  // gaps past the stop
        #expect(e.deals.count == 1 && e.deals[0].price == 1_101_500 && e.deals[0].reason == .pending)
    }

    @Test func sellStopFillsAtTheTicksBid() throws {
        let e = try engine()
        try place(e, .sellStop, 1_099_000)  // < bid 1.10000
        try e.tick(at: 2 * SEC, bid: 1_099_100, ask: 1_099_300)
        #expect(e.deals.isEmpty)
        try e.tick(at: 3 * SEC, bid: 1_098_500, ask: 1_098_700)
        #expect(e.deals.count == 1 && e.deals[0].price == 1_098_500 && e.deals[0].side == .sell)
    }

    @Test func buyStopLimitBecomesABuyLimitWithTheSameTicket() throws {
        let e = try engine()
        #expect(try place(e, .buyStopLimit, 1_101_000, stopLimit: 1_100_500) == 1)
        try e.tick(at: 2 * SEC, bid: 1_100_800, ask: 1_101_000)  // ask >= 1.10100: stop triggers
        #expect(e.deals.isEmpty)
        #expect(e.orders.count == 1)
        #expect(e.orders[0].ticket == 1 && e.orders[0].type == .buyLimit && e.orders[0].price == 1_100_500)
        try e.tick(at: 3 * SEC, bid: 1_100_500, ask: 1_100_700)  // ask above the limit
        #expect(e.deals.isEmpty)
        try e.tick(at: 4 * SEC, bid: 1_100_300, ask: 1_100_500)  // ask <= 1.10050
        #expect(e.deals.count == 1 && e.deals[0].price == 1_100_500 && e.deals[0].order == 1)
        #expect(e.positions.map(\.ticket) == [1])
    }

    @Test func sellStopLimitBecomesASellLimit() throws {
        let e = try engine()
        try place(e, .sellStopLimit, 1_099_000, stopLimit: 1_099_500)
        try e.tick(at: 2 * SEC, bid: 1_099_000, ask: 1_099_200)  // bid <= 1.09900
        #expect(e.orders.first?.type == .sellLimit && e.orders.first?.price == 1_099_500 && e.deals.isEmpty)
        try e.tick(at: 3 * SEC, bid: 1_099_500, ask: 1_099_700)  // bid >= 1.09950
        #expect(e.deals.count == 1 && e.deals[0].price == 1_099_500 && e.deals[0].side == .sell)
    }

    @Test func buyLimitOnBarsUsesTheAskRange() throws {
        let e = try barEngine()
        try place(e, .buyLimit, 1_099_000)
        // low 1.09890 -> low ask 1.09910 > 1.09900: no trigger
        try e.bar(open: MIN, o: 1_100_000, h: 1_100_000, l: 1_098_900, c: 1_099_500)
        #expect(e.deals.isEmpty)
        // low 1.09880 -> low ask 1.09900 <= 1.09900: fills at the price, at the bar's close time
        try e.bar(open: 2 * MIN, o: 1_099_500, h: 1_099_500, l: 1_098_800, c: 1_099_200)
        #expect(e.deals.count == 1 && e.deals[0].price == 1_099_000 && e.deals[0].time == 3 * MIN)
    }

    @Test func sellLimitOnBarsUsesTheBidHigh() throws {
        let e = try barEngine()
        try place(e, .sellLimit, 1_101_000)
        try e.bar(open: MIN, o: 1_100_000, h: 1_100_990, l: 1_099_900, c: 1_100_500)
        #expect(e.deals.isEmpty)
        try e.bar(open: 2 * MIN, o: 1_100_500, h: 1_101_000, l: 1_100_400, c: 1_100_600)
        #expect(e.deals.count == 1 && e.deals[0].price == 1_101_000)
    }

    @Test func buyStopOnBarsFillsAtPriceOrAtTheGappedOpenAsk() throws {
        let e = try barEngine()
        try place(e, .buyStop, 1_101_000)
        // high 1.10090 -> high ask 1.10110 >= 1.10100; open ask 1.10020: max(1.10100, 1.10020)
        try e.bar(open: MIN, o: 1_100_000, h: 1_100_900, l: 1_099_900, c: 1_100_500)
        #expect(e.deals.map(\.price) == [1_101_000])
        try place(e, .buyStop, 1_101_000)  // ask now 1.10070
        // gap: open 1.10200 -> open ask 1.10220 > stop: max(1.10100, 1.10220)
        try e.bar(open: 2 * MIN, o: 1_102_000, h: 1_102_500, l: 1_101_800, c: 1_102_200)
        #expect(e.deals.map(\.price) == [1_101_000, 1_102_200])
    }

    @Test func sellStopOnBarsFillsAtPriceOrAtTheGappedOpenBid() throws {
        let e = try barEngine()
        try place(e, .sellStop, 1_099_000)
        // low 1.09850 <= 1.09900; min(1.09900, open 1.10000)
        try e.bar(open: MIN, o: 1_100_000, h: 1_100_100, l: 1_098_500, c: 1_099_500)
        #expect(e.deals.map(\.price) == [1_099_000])
        try place(e, .sellStop, 1_099_000)  // bid now 1.09950
        // gap: open 1.09800 < stop: min(1.09900, 1.09800)
        try e.bar(open: 2 * MIN, o: 1_098_000, h: 1_098_200, l: 1_097_500, c: 1_098_000)
        #expect(e.deals.map(\.price) == [1_099_000, 1_098_000])
    }

    @Test func anOrderExpiresOnTheFirstEventAtOrAfterItsExpiration() throws {
        let e = try engine()
        try place(e, .buyLimit, 1_099_000, expiration: 10 * SEC)
        try e.tick(at: 9 * SEC, bid: 1_100_000, ask: 1_100_200)
        #expect(e.orders.count == 1)
        try e.tick(at: 10 * SEC, bid: 1_100_000, ask: 1_100_200)
        #expect(e.orders.isEmpty && e.deals.isEmpty)
        #expect(e.orderHistory.count == 1 && e.orderHistory[0].state == .expired && e.orderHistory[0].ticket == 1)
    }

    @Test func anOrderExpiresAtItsTimeOnAnEventOfAnySymbol() throws {
        // Issue 9, item 6: a specified expiration happens at its time, not
        // at its own symbol's next tick (which may come much later or never).
        let e = try engine()
        try e.addSymbol(usdSymbol("OTHER"))
        try place(e, .buyLimit, 1_099_000, expiration: 10 * SEC)
        try e.tick(1, at: 9 * SEC, bid: 2_000_000)
        #expect(e.orders.count == 1)
        try e.tick(1, at: 12 * SEC, bid: 2_000_000)  // OTHER's tick, past TEST's order's time
        #expect(e.orders.isEmpty)
        #expect(e.orderHistory.count == 1 && e.orderHistory[0].state == .expired)
    }

    @Test func aTriggeredOrderWithoutMarginIsRejectedNotAnError() throws {
        let e = try engine(balance: 100 * U)  // 1 lot needs 1 000 USD
        try place(e, .buyLimit, 1_099_000)  // accepted: no margin when placed
        try e.tick(at: 2 * SEC, bid: 1_098_800, ask: 1_099_000)  // triggers, no error thrown
        #expect(e.orders.isEmpty && e.deals.isEmpty && e.positions.isEmpty)
        #expect(e.orderHistory.count == 1 && e.orderHistory[0].state == .rejected)
        #expect(e.account.balance == 100 * U && e.account.margin == 0)
    }

    @Test func cancelMovesTheOrderToHistory() throws {
        let e = try engine()
        try place(e, .sellStop, 1_099_000)
        try e.cancel(ticket: 1)
        #expect(e.orders.isEmpty)
        #expect(e.orderHistory.map(\.state) == [.canceled])
        try e.tick(at: 2 * SEC, bid: 1_098_000, ask: 1_098_200)  // would have triggered
        #expect(e.deals.isEmpty)
    }

    @Test func pendingStopsAreCheckedAgainstTheEntryPrice() throws {
        let e = try engine()
        // buy limit at 1.09900: SL 1.09950 is below the bid but not below the entry
        expectRejected(e, .invalidStops, mentions: ["stop loss", "1.0995"]) {
            _ = try place(e, .buyLimit, 1_099_000, sl: 1_099_500)
        }
        // stop-limit: the reference is the stop-limit price 1.10050, not the stop 1.10100
        expectRejected(e, .invalidStops, mentions: ["stop loss"]) {
            _ = try place(e, .buyStopLimit, 1_101_000, stopLimit: 1_100_500, sl: 1_100_700)
        }
        // sell limit at 1.10100: TP must be below 1.10100
        expectRejected(e, .invalidStops, mentions: ["take profit"]) {
            _ = try place(e, .sellLimit, 1_101_000, tp: 1_101_500)
        }
        try place(e, .buyLimit, 1_099_000, sl: 1_098_000, tp: 1_101_000)
        try e.tick(at: 2 * SEC, bid: 1_098_800, ask: 1_099_000)
        #expect(e.positions.count == 1 && e.positions[0].sl == 1_098_000 && e.positions[0].tp == 1_101_000)
    }

    @Test func modifyingAnOrderChangesItsTerms() throws {
        let e = try engine()
        try place(e, .buyLimit, 1_099_000)
        try e.modifyOrder(ticket: 1, price: 1_098_000, stopLimit: nil, expiration: 100 * SEC)
        #expect(e.orders[0].price == 1_098_000 && e.orders[0].expiration == 100 * SEC && e.orders[0].state == .modified)
        try e.modify(ticket: 1, sl: 1_097_000, tp: nil)
        #expect(e.orders[0].sl == 1_097_000)
        try e.tick(at: 2 * SEC, bid: 1_098_800, ask: 1_099_000)  // old price would trigger, new one not
        #expect(e.deals.isEmpty)
    }
}
