import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Orders" (market rows), "Positions" (close) and "Money"
// (profit, margin, equity). Symbol TEST: USD/USD, contract 100 000, so
// profit = price diff (micro) x volume (micro) x 1e11 / 1e12 and forex
// margin = volume x 100 000 / 100 (leverage).
@Suite struct MarketOrderTests {
    /// USD account, 10 000 USD, leverage 100, TEST quoted bid 1.10000 / ask 1.10020 at t = 1 s.
    func engine(_ spec: SymbolSpec = usdSymbol()) throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(spec)
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        return e
    }

    @Test func buyFillsAtTheAskWithOrderDealAndPositionTickets() throws {
        let e = try engine()
        let ticket = try e.buy(symbolID: 0, volume: 100_000)  // 0.1 lot
        // First market order: order ticket 1, deal ticket 2, position = order ticket.
        #expect(ticket == 1)
        #expect(
            e.deals == [
                Deal(
                    ticket: 2, order: 1, position: 1, symbolID: 0, side: .buy, entry: .in, reason: .client,
                    time: SEC, volume: 100_000, price: 1_100_200, commission: 0, profit: 0,
                    balance: 10_000 * U, magic: 0)
            ])
        #expect(e.orderHistory.map(\.ticket) == [1])
        #expect(e.orderHistory[0].type == .buy && e.orderHistory[0].state == .filled)
        let p = try #require(e.positions.first)
        #expect(p.ticket == 1 && p.side == .buy && p.volume == 100_000 && p.openPrice == 1_100_200 && p.openTime == SEC)
        // margin: 0.1 lot x 100 000 = 10 000 USD / 100 = 100 USD
        #expect(p.margin == 100 * U)
        // floating at the bid: (1.10000 - 1.10020) x 10 000 units = -2 USD
        #expect(p.profit == -2 * U)
        // equity 10 000 - 2 = 9 998; free 9 998 - 100 = 9 898; level 9 998 / 100 x 100 % = 9 998 %
        #expect(
            e.account
                == AccountSnapshot(
                    time: SEC, balance: 10_000 * U, equity: 9_998 * U, profit: -2 * U,
                    margin: 100 * U, freeMargin: 9_898 * U, marginLevel: 9_998 * U,
                    marginCall: false))
    }

    @Test func sellFillsAtTheBidAndTicketsKeepCounting() throws {
        let e = try engine()
        #expect(try e.buy(symbolID: 0, volume: 100_000) == 1)  // order 1, deal 2
        #expect(try e.sell(symbolID: 0, volume: 200_000) == 3)  // order 3, deal 4
        #expect(e.deals.map(\.ticket) == [2, 4])
        #expect(e.deals[1].price == 1_100_000 && e.deals[1].side == .sell && e.deals[1].position == 3)
        // hedging: two positions
        #expect(e.positions.map(\.ticket) == [1, 3])
        // sell floats at the ask: (1.10000 - 1.10020) x 20 000 units = -4 USD; buy -2 USD
        #expect(e.positions[1].profit == -4 * U)
        #expect(e.account.profit == -6 * U)
        // margins 100 + 200 USD
        #expect(e.account.margin == 300 * U)
    }

    @Test func closingABuyRealisesProfitAtTheBid() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: LOT)  // at 1.10020
        try e.tick(at: 2 * SEC, bid: 1_101_200, ask: 1_101_400)
        try e.close(ticket: 1)
        // (1.10120 - 1.10020) x 100 000 = 100 USD
        #expect(e.deals.count == 2)
        #expect(
            e.deals[1]
                == Deal(
                    ticket: 4, order: 3, position: 1, symbolID: 0, side: .sell, entry: .out,
                    reason: .client, time: 2 * SEC, volume: LOT, price: 1_101_200, commission: 0,
                    profit: 100 * U, balance: 10_100 * U, magic: 0))
        #expect(
            e.trades == [
                Trade(
                    position: 1, symbolID: 0, side: .buy, volume: LOT, openTime: SEC,
                    openPrice: 1_100_200, closeTime: 2 * SEC, closePrice: 1_101_200, commission: 0,
                    profit: 100 * U, closeReason: .client)
            ])
        #expect(e.positions.isEmpty)
        #expect(e.orderHistory.map(\.ticket) == [1, 3])
        #expect(e.orderHistory[1].type == .sell && e.orderHistory[1].state == .filled)
        // nothing open: equity = balance, no margin, level 0
        #expect(
            e.account
                == AccountSnapshot(
                    time: 2 * SEC, balance: 10_100 * U, equity: 10_100 * U, profit: 0,
                    margin: 0, freeMargin: 10_100 * U, marginLevel: 0, marginCall: false))
    }

    @Test func closingASellRealisesProfitAtTheAsk() throws {
        let e = try engine()
        try e.sell(symbolID: 0, volume: LOT)  // at bid 1.10000
        try e.tick(at: 2 * SEC, bid: 1_099_000, ask: 1_099_200)
        try e.close(ticket: 1)
        // (1.10000 - 1.09920) x 100 000 = 80 USD
        #expect(e.deals[1].price == 1_099_200 && e.deals[1].profit == 80 * U && e.deals[1].side == .buy)
        #expect(e.trades[0].side == .sell && e.trades[0].profit == 80 * U)
        #expect(e.account.balance == 10_080 * U && e.account.equity == 10_080 * U)
    }

    @Test func partialCloseReleasesMarginProportionally() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: LOT)  // margin 1 000 USD
        try e.tick(at: 2 * SEC, bid: 1_101_200, ask: 1_101_400)
        try e.close(ticket: 1, volume: 400_000)
        // 0.4 lot: 0.00100 x 40 000 units = 40 USD
        #expect(e.deals[1].volume == 400_000 && e.deals[1].profit == 40 * U && e.deals[1].entry == .out)
        #expect(e.trades.map(\.volume) == [400_000])
        let p = try #require(e.positions.first)
        // 0.6 lot left, same ticket; margin 1 000 - 1 000 x 0.4 = 600
        #expect(p.ticket == 1 && p.volume == 600_000 && p.margin == 600 * U)
        // floating 0.00100 x 60 000 = 60; balance 10 040; equity 10 100
        #expect(e.account.balance == 10_040 * U && e.account.profit == 60 * U && e.account.equity == 10_100 * U)
        #expect(e.account.margin == 600 * U)
        try e.close(ticket: 1)
        #expect(e.trades.map(\.profit) == [40 * U, 60 * U])
        #expect(e.account.balance == 10_100 * U && e.account.margin == 0 && e.positions.isEmpty)
    }

    @Test func aRemainderMustBeZeroOrAtLeastTheMinimum() throws {
        var spec = usdSymbol()
        spec.volumeMin = 100_000  // 0.1 lot
        let e = try engine(spec)
        try e.buy(symbolID: 0, volume: LOT)
        // 1 - 0.95 = 0.05 < 0.1
        expectRejected(e, .invalidVolume, mentions: ["0.05", "minimum"]) { try e.close(ticket: 1, volume: 950_000) }
        // 1 - 0.9 = 0.1: allowed
        try e.close(ticket: 1, volume: 900_000)
        #expect(e.positions.first?.volume == 100_000)
    }

    @Test func stopsOfAMarketOrderGoOnThePosition() throws {
        let e = try engine()
        // buy reference = bid 1.10000: SL 1.09500 < 1.10000 < TP 1.10500
        try e.buy(symbolID: 0, volume: LOT, sl: 1_095_000, tp: 1_105_000)
        // sell reference = ask 1.10020: TP 1.09500 < 1.10020 < SL 1.10500
        try e.sell(symbolID: 0, volume: LOT, sl: 1_105_000, tp: 1_095_000)
        #expect(e.positions.map(\.sl) == [1_095_000, 1_105_000])
        #expect(e.positions.map(\.tp) == [1_105_000, 1_095_000])
        try e.modify(ticket: 1, sl: 1_096_000, tp: nil)  // nil keeps the TP
        #expect(e.positions[0].sl == 1_096_000 && e.positions[0].tp == 1_105_000)
        try e.modify(ticket: 1, sl: 0, tp: nil)  // 0 removes it
        #expect(e.positions[0].sl == 0)
    }

    @Test func magicIsCarriedToOrderDealAndPosition() throws {
        let e = try engine()
        try e.send(OrderRequest(symbolID: 0, type: .buy, volume: LOT, magic: 42))
        #expect(e.positions[0].magic == 42 && e.deals[0].magic == 42 && e.orderHistory[0].magic == 42)
    }

    @Test func twentySymbolsAndPositionsAddUp() throws {
        // more symbols and positions than the engine's initial buffers (16)
        let e = try makeEngine()
        for i in 0..<20 { try e.addSymbol(usdSymbol("S\(i)")) }
        for i in 0..<20 { try e.tick(UInt32(i), at: SEC, bid: U) }
        for i in 0..<20 { try e.buy(symbolID: UInt32(i), volume: 100_000) }
        for i in 0..<20 { try e.tick(UInt32(i), at: 2 * SEC, bid: 1_001_000) }
        // each: 0.001 x 10 000 = +10 USD, margin 100 USD; x 20
        #expect(e.account.equity == 10_200 * U && e.account.profit == 200 * U)
        #expect(e.account.margin == 2_000 * U)
        let expected: [UInt64] = (0..<20).map { (i: Int) -> UInt64 in UInt64(2 * i + 1) }
        #expect(e.positions.map(\.ticket) == expected)
    }
}
