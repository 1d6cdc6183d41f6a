import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Money": margin fixed at open; forex volume x contract /
// 1e6 / leverage, CFD the same x open price, in the margin currency,
// converted through XA (multiply) or AX (divide) at the converter's ask for
// buys and bid for sells. Market order needing more than free margin ->
// InsufficientMarginError (.noMoney), nothing changes. Margin call flag
// while level <= 100 %; stop-out (50 %) closes the lowest floating profit
// first, repeatedly. All accounts USD, leverage 100.
@Suite struct MarginTests {
    @Test func forexMarginConvertsAtTheAskForBuysAndTheBidForSells() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURUSD"))
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        try e.buy(symbolID: 0, volume: LOT)
        try e.sell(symbolID: 0, volume: LOT)
        // 1 lot = 100 000 EUR / 100 = 1 000 EUR; buy x ask 1.10020 = 1 100.20 USD, sell x bid 1.10000 = 1 100 USD
        #expect(e.positions.map(\.margin) == [1_100_200_000, 1_100_000_000])
        #expect(e.account.margin == 2_200_200_000)
        // fixed for the life of the position
        try e.tick(at: 2 * SEC, bid: 1_200_000, ask: 1_200_200)
        #expect(e.positions.map(\.margin) == [1_100_200_000, 1_100_000_000])
        #expect(e.account.margin == 2_200_200_000)
    }

    @Test func cfdMarginIsMultipliedByTheOpenPrice() throws {
        let e = try makeEngine()
        var spec = SymbolSpec(name: "US500", baseCurrency: "USD", profitCurrency: "USD")
        spec.contractSize = 1 * U
        spec.digits = 2
        spec.calcMode = .cfdLeverage  // what 0.1 called CFD
        try e.addSymbol(spec)
        try e.tick(at: SEC, bid: 5_000_000_000, ask: 5_000_500_000)  // 5000.00 / 5000.50
        try e.buy(symbolID: 0, volume: 10 * LOT)
        // 10 lots x 1 = 10 units x 5000.50 = 50 005 USD / 100 = 500.05 USD
        #expect(e.positions[0].margin == 500_050_000)
        try e.sell(symbolID: 0, volume: 2 * LOT)
        // 2 units x 5000.00 / 100 = 100 USD
        #expect(e.positions[1].margin == 100 * U)
    }

    @Test func crossMarginConvertsThroughEURUSD() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURJPY", digits: 3))  // 0
        try e.addSymbol(fx("EURUSD"))  // 1
        try e.addSymbol(fx("USDJPY", digits: 3))  // 2
        try e.tick(1, at: SEC, bid: 1_100_000, ask: 1_100_200)
        try e.tick(2, at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.tick(0, at: SEC, bid: 165_000_000, ask: 165_030_000)
        try e.buy(symbolID: 0, volume: LOT)
        // 1 000 EUR x EURUSD ask 1.10020 = 1 100.20 USD
        #expect(e.positions[0].margin == 1_100_200_000)
        try e.sell(symbolID: 0, volume: 500_000)
        // 500 EUR x EURUSD bid 1.10000 = 550 USD
        #expect(e.positions[1].margin == 550 * U)
        // USDJPY: margin currency USD = account currency, 100 000 / 100 = 1 000 USD at any price
        try e.buy(symbolID: 2, volume: LOT)
        #expect(e.positions[2].margin == 1_000 * U)
    }

    @Test func marginInAQuoteCurrencyDividesByTheConverter() throws {
        let e = try makeEngine()
        var jp = SymbolSpec(name: "JP225", baseCurrency: "JPY", profitCurrency: "JPY")
        jp.contractSize = 1 * U
        jp.digits = 1
        jp.calcMode = .cfdLeverage  // what 0.1 called CFD
        try e.addSymbol(jp)  // 0
        try e.addSymbol(fx("USDJPY", digits: 3))  // 1: JPY -> USD divides
        try e.tick(1, at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.tick(0, at: SEC, bid: 38_000_000_000, ask: 38_010_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        // 1 unit x 38 010 = 38 010 JPY / 100 = 380.10 JPY; / USDJPY ask 150.020
        // = 380 100 000 x 1e6 / 150 020 000 = 2 533 662.18 -> 2 533 662 micro USD
        #expect(e.positions[0].margin == 2_533_662)
        try e.sell(symbolID: 0, volume: LOT)
        // 38 000 / 100 = 380 JPY / USDJPY bid 150.000 = 2 533 333.33 -> 2 533 333
        #expect(e.positions[1].margin == 2_533_333)
    }

    @Test func notEnoughMarginIsNoMoneyAndChangesNothing() throws {
        let e = try makeEngine(balance: 1_000 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_000_000)
        // 1.01 lots need 101 000 / 100 = 1 010 USD > free margin 1 000
        expectRejected(e, .noMoney, mentions: ["margin", "1010", "1000"]) { try e.buy(symbolID: 0, volume: 1_010_000) }
        // the failed order took no ticket: the next one is order 1, deal 2
        // 1 lot needs exactly 1 000 = free margin: allowed
        #expect(try e.buy(symbolID: 0, volume: LOT) == 1)
        #expect(e.deals.map(\.ticket) == [2])
        #expect(e.account.freeMargin == 0)
    }

    @Test func floatingLossReducesFreeMargin() throws {
        let e = try makeEngine(balance: 1_000 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_000_000)
        try e.buy(symbolID: 0, volume: 500_000)  // margin 500
        try e.tick(at: 2 * SEC, bid: 999_000)
        // floating -0.001 x 50 000 = -50; free = 1 000 - 50 - 500 = 450
        #expect(e.account.freeMargin == 450 * U)
        expectRejected(e, .noMoney) { try e.sell(symbolID: 0, volume: 460_000) }  // needs 460
        try e.sell(symbolID: 0, volume: 450_000)  // needs 450
        #expect(e.positions.count == 2)
    }

    @Test func marginCallFlagFollowsTheLevel() throws {
        let e = try makeEngine(balance: 1_000 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_000_000)
        try e.buy(symbolID: 0, volume: 500_000)  // margin 500, level 200 %
        #expect(e.account.marginLevel == 200 * U && !e.account.marginCall)
        try e.tick(at: 2 * SEC, bid: 995_000)
        // -0.005 x 50 000 = -250: equity 750 / 500 = 150 %
        #expect(e.account.marginLevel == 150 * U && !e.account.marginCall)
        try e.tick(at: 3 * SEC, bid: 989_000)
        // -0.011 x 50 000 = -550: equity 450 / 500 = 90 % <= 100 %: flagged, above stop-out 50 %
        #expect(e.account.marginLevel == 90 * U && e.account.marginCall)
        #expect(e.positions.count == 1)
        try e.tick(at: 4 * SEC, bid: 999_000)
        // -50: 950 / 500 = 190 %
        #expect(!e.account.marginCall)
    }

    @Test func aLevelOfExactlyOneHundredPercentIsFlagged() throws {
        let e = try makeEngine(balance: 1_000 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_000_000)
        try e.buy(symbolID: 0, volume: LOT)  // margin 1 000 = equity
        #expect(e.account.marginLevel == 100 * U)
        // "while margin level <= the level the account is flagged"
        #expect(e.account.marginCall)
        try e.tick(at: 2 * SEC, bid: 1_000_000)
        #expect(e.account.marginCall)
    }

    /// Two USD symbols T0, T1 quoted 1.00000, 0.1 lot bought on each:
    /// margin 100 + 100 = 200 USD; 0.1 lot moves 10 000 USD per 1.0 of price.
    func twoPositions() throws -> Engine {
        let e = try makeEngine(balance: 1_000 * U)
        try e.addSymbol(usdSymbol("T0"))
        try e.addSymbol(usdSymbol("T1"))
        try e.tick(0, at: SEC, bid: 1_000_000)
        try e.tick(1, at: SEC, bid: 1_000_000)
        #expect(try e.buy(symbolID: 0, volume: 100_000) == 1)
        #expect(try e.buy(symbolID: 1, volume: 100_000) == 3)
        #expect(e.account.margin == 200 * U)
        return e
    }

    @Test func stopOutClosesTheMostLosingPositionFirstUntilTheLevelRecovers() throws {
        let e = try twoPositions()
        try e.tick(0, at: 2 * SEC, bid: 950_000)
        // T0: -0.05 x 10 000 = -500: equity 500 / 200 = 250 %
        #expect(e.account.marginLevel == 250 * U && !e.account.marginCall)
        try e.tick(1, at: 3 * SEC, bid: 965_000)
        // T1: -0.035 x 10 000 = -350: equity 150 / 200 = 75 %: margin call, no stop-out
        #expect(e.account.marginCall && e.positions.count == 2)
        try e.tick(1, at: 4 * SEC, bid: 960_000)
        // T1 -400: equity 100 / 200 = 50 % <= 50 %: stop-out closes T0 (-500 < -400) at its bid
        // then balance 500, equity 500 - 400 = 100, margin 100: 100 % > 50 %: stops
        #expect(e.positions.map(\.ticket) == [3])
        let d = try #require(e.deals.last)
        #expect(d.reason == .stopOut && d.position == 1 && d.price == 950_000 && d.profit == -500 * U)
        #expect(d.time == 4 * SEC)
        #expect(e.account.balance == 500 * U && e.account.equity == 100 * U && e.account.margin == 100 * U)
        #expect(e.account.marginLevel == 100 * U && e.account.marginCall)  // 100 % <= 100 %
        try e.tick(1, at: 5 * SEC, bid: 970_000)
        // T1 -300: 200 / 100 = 200 %: flag cleared
        #expect(!e.account.marginCall && e.positions.count == 1)
    }

    @Test func stopOutKeepsClosingWhileTheLevelStaysLow() throws {
        let e = try twoPositions()
        try e.tick(0, at: 2 * SEC, bid: 950_000)  // T0 -500
        try e.tick(1, at: 3 * SEC, bid: 955_000)  // T1 -450
        // equity 1 000 - 950 = 50 / 200 = 25 %: close T0 (-500): balance 500,
        // equity 50, margin 100 -> 50 % <= 50 %: close T1 (-450): balance 50
        #expect(e.positions.isEmpty)
        #expect(e.deals.suffix(2).map(\.position) == [1, 3])
        #expect(e.deals.suffix(2).map(\.reason) == [.stopOut, .stopOut])
        #expect(e.deals.suffix(2).map(\.profit) == [-500 * U, -450 * U])
        #expect(e.account.balance == 50 * U && e.account.equity == 50 * U && e.account.margin == 0)
        #expect(!e.account.marginCall)
    }

    @Test func customMarginLevels() throws {
        let e = try makeEngine(balance: 1_000 * U)
        try e.setMarginLevels(marginCall: 300 * U, stopOut: 150 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_000_000)
        try e.buy(symbolID: 0, volume: 200_000)  // margin 200, level 500 %
        try e.tick(at: 2 * SEC, bid: 980_000)
        // -0.02 x 20 000 = -400: 600 / 200 = 300 % <= 300 %: flagged
        #expect(e.account.marginCall && e.positions.count == 1)
        try e.tick(at: 3 * SEC, bid: 965_000)
        // -700: 300 / 200 = 150 % <= 150 %: stopped out at 0.965
        #expect(e.positions.isEmpty && e.deals.last?.reason == .stopOut && e.account.balance == 300 * U)
    }
}
