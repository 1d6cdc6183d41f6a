import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Money", conversion: currency X becomes account currency A
// through the first added symbol XA (multiply, at its bid for profit) or
// else AX (divide, at its ask). No such symbol: ConversionError when the
// order is sent; no quote yet: NoPriceError. All accounts USD.
// Raw profit = price diff (micro) x volume x contract / 1e12.
@Suite struct ConversionTests {
    @Test func usdJpyProfitIsDividedByTheAsk() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("USDJPY", digits: 3))
        try e.tick(at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.buy(symbolID: 0, volume: LOT)  // at 150.020
        #expect(e.positions[0].margin == 1_000 * U)  // USD margin: 100 000 / 100
        try e.tick(at: 2 * SEC, bid: 151_000_000, ask: 151_020_000)
        // raw (151.000 - 150.020) x 100 000 = 98 000 JPY; / ask 151.020:
        // 98 000 000 000 x 1e6 / 151 020 000 = 648 920 672.76 -> 648 920 673
        #expect(e.positions[0].profit == 648_920_673)
        #expect(e.account.equity == 10_000 * U + 648_920_673)
        try e.close(ticket: 1)
        // Booked in USD's 2 digits (MoneyRulesTests): 648.920673 -> 648.92.
        #expect(e.deals[1].profit == 648_920_000 && e.account.balance == 10_000 * U + 648_920_000)
    }

    @Test func usdJpySellClosesAtTheAskAndDividesByIt() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("USDJPY", digits: 3))
        try e.tick(at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.sell(symbolID: 0, volume: LOT)  // at 150.000
        try e.tick(at: 2 * SEC, bid: 149_000_000, ask: 149_020_000)
        try e.close(ticket: 1)
        // (150.000 - 149.020) x 100 000 = 98 000 JPY / 149.020 = 657 629 848.34 -> 657 629 848,
        // booked in USD's 2 digits: 657.63
        #expect(e.deals[1].price == 149_020_000 && e.deals[1].profit == 657_630_000)
    }

    @Test func crossProfitConvertsAtTheConvertersCurrentAsk() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURJPY", digits: 3))  // 0
        try e.addSymbol(fx("EURUSD"))  // 1
        try e.addSymbol(fx("USDJPY", digits: 3))  // 2
        try e.tick(1, at: SEC, bid: 1_100_000, ask: 1_100_200)
        try e.tick(2, at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.tick(0, at: SEC, bid: 165_000_000, ask: 165_030_000)
        try e.buy(symbolID: 0, volume: LOT)  // at 165.030
        try e.tick(0, at: 2 * SEC, bid: 166_000_000, ask: 166_030_000)
        try e.close(ticket: 1)
        // (166.000 - 165.030) x 100 000 = 97 000 JPY / USDJPY ask 150.020
        // = 97e9 x 1e6 / 150 020 000 = 646 580 455.94 -> 646 580 456, booked
        // in USD's 2 digits: 646.58
        #expect(e.deals[1].profit == 646_580_000)
    }

    @Test func multiplyingSymbolIsPreferredAndUsesItsBid() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("USDJPY", digits: 3))  // 0 (AX, added first)
        try e.addSymbol(fx("JPYUSD", digits: 6))  // 1 (XA: preferred)
        try e.tick(1, at: SEC, bid: 6_600, ask: 6_700)  // 0.006600 / 0.006700
        try e.tick(0, at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.tick(0, at: 2 * SEC, bid: 151_000_000, ask: 151_020_000)
        // 98 000 JPY x JPYUSD bid 0.0066 = 646.8 USD
        #expect(e.positions[0].profit == 646_800_000)
    }

    @Test func gbpProfitMultipliesByGbpUsdBid() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURGBP"))  // 0
        try e.addSymbol(fx("GBPUSD"))  // 1
        try e.addSymbol(fx("EURUSD"))  // 2 (margin in EUR)
        try e.tick(1, at: SEC, bid: 1_250_000, ask: 1_250_200)
        try e.tick(2, at: SEC, bid: 1_100_000, ask: 1_100_200)
        try e.tick(0, at: SEC, bid: 850_000, ask: 850_200)
        try e.buy(symbolID: 0, volume: LOT)  // at 0.85020
        // margin 1 000 EUR x EURUSD ask 1.10020
        #expect(e.positions[0].margin == 1_100_200_000)
        try e.tick(0, at: 2 * SEC, bid: 855_200, ask: 855_400)
        try e.close(ticket: 1)
        // (0.85520 - 0.85020) x 100 000 = 500 GBP x GBPUSD bid 1.25 = 625 USD
        #expect(e.deals[1].profit == 625 * U)
    }

    @Test func missingConverterIsAConversionErrorAndChangesNothing() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURJPY", digits: 3))
        try e.tick(at: SEC, bid: 165_000_000, ask: 165_030_000)
        expectRejected(e, .conversion, mentions: ["JPY", "USD"]) { try e.buy(symbolID: 0, volume: LOT) }
        expectRejected(e, .conversion, mentions: ["JPY"]) {
            try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 164_000_000))
        }
    }

    @Test func missingMarginConverterIsAConversionError() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURGBP"))
        try e.addSymbol(fx("GBPUSD"))  // profit converts, margin (EUR) does not
        try e.tick(1, at: SEC, bid: 1_250_000, ask: 1_250_200)
        try e.tick(0, at: SEC, bid: 850_000, ask: 850_200)
        expectRejected(e, .conversion, mentions: ["EUR"]) { try e.buy(symbolID: 0, volume: LOT) }
    }

    @Test func converterWithoutAQuoteIsNoPrice() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURJPY", digits: 3))
        try e.addSymbol(fx("EURUSD"))
        try e.addSymbol(fx("USDJPY", digits: 3))
        try e.tick(1, at: SEC, bid: 1_100_000, ask: 1_100_200)
        try e.tick(0, at: SEC, bid: 165_000_000, ask: 165_030_000)
        expectRejected(e, .noPrice, mentions: ["USDJPY"]) { try e.buy(symbolID: 0, volume: LOT) }
    }
}
