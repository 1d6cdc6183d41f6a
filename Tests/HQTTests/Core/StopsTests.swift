import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Positions": SL/TP checked on every event of the symbol,
// SL first. A buy closes at the bid, a sell at the ask: on a tick at that
// tick's price; on a bar at the level, or at the bar's open when it opened
// beyond the level; a bar crossing both closes at the SL. Trailing stop
// (points): buy SL follows bid - distance up, sell SL ask + distance down.
// TEST: USD/USD, 1 lot x 0.00001 = 1 USD (100 000 units), 5 digits (1 point = 10 micro).
@Suite struct StopsTests {
    /// Ticks: TEST quoted 1.10000 / 1.10020 at 1 s.
    func tickEngine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        return e
    }

    /// Bars: TEST with spread 0.00020, first M1 bar closes at 60 s at 1.10000 (ask 1.10020).
    func barEngine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(spread: 200))
        try e.bar(open: 0, o: 1_100_000, h: 1_100_000, l: 1_100_000, c: 1_100_000)
        return e
    }

    // MARK: ticks

    @Test func buyStopLossOnATickClosesAtThatTicksBid() throws {
        let e = try tickEngine()
        try e.buy(symbolID: 0, volume: LOT, sl: 1_099_000, tp: 1_103_000)  // opens at 1.10020
        try e.tick(at: 2 * SEC, bid: 1_099_500, ask: 1_099_700)
        #expect(e.positions.count == 1)
        try e.tick(at: 3 * SEC, bid: 1_098_800, ask: 1_099_000)  // gaps below the SL
        // closes at the tick's bid 1.09880: (1.09880 - 1.10020) x 100 000 = -140 USD
        let d = try #require(e.deals.last)
        #expect(d.reason == .stopLoss && d.entry == .out && d.price == 1_098_800 && d.profit == -140 * U)
        #expect(d.time == 3 * SEC)
        #expect(e.trades.first?.closeReason == .stopLoss)
        #expect(e.positions.isEmpty && e.account.balance == 9_860 * U && e.account.equity == 9_860 * U)
    }

    @Test func buyTakeProfitOnATickClosesAtThatTicksBid() throws {
        let e = try tickEngine()
        try e.buy(symbolID: 0, volume: LOT, sl: 1_099_000, tp: 1_103_000)
        try e.tick(at: 2 * SEC, bid: 1_103_100, ask: 1_103_300)
        // (1.10310 - 1.10020) x 100 000 = 290 USD
        #expect(e.deals.last?.reason == .takeProfit && e.deals.last?.price == 1_103_100)
        #expect(e.account.balance == 10_290 * U)
    }

    @Test func sellStopsUseTheAsk() throws {
        let e = try tickEngine()
        try e.sell(symbolID: 0, volume: LOT, sl: 1_101_000, tp: 1_097_000)  // opens at bid 1.10000
        try e.tick(at: 2 * SEC, bid: 1_100_700, ask: 1_100_900)  // ask < SL
        try e.tick(at: 3 * SEC, bid: 1_096_900, ask: 1_097_100)  // bid <= TP but ask > TP
        #expect(e.positions.count == 1)
        try e.tick(at: 4 * SEC, bid: 1_100_850, ask: 1_101_050)  // ask >= SL
        // (1.10000 - 1.10105) x 100 000 = -105 USD
        #expect(e.deals.last?.reason == .stopLoss && e.deals.last?.price == 1_101_050)
        #expect(e.deals.last?.profit == -105 * U && e.deals.last?.side == .buy)
        #expect(e.account.balance == 9_895 * U)
    }

    @Test func sellTakeProfitOnATick() throws {
        let e = try tickEngine()
        try e.sell(symbolID: 0, volume: LOT, sl: 1_101_000, tp: 1_097_000)
        try e.tick(at: 2 * SEC, bid: 1_096_700, ask: 1_096_900)
        // (1.10000 - 1.09690) x 100 000 = 310 USD
        #expect(
            e.deals.last?.reason == .takeProfit && e.deals.last?.price == 1_096_900 && e.deals.last?.profit == 310 * U)
    }

    // MARK: bars

    /// Buys 1 lot at ask 1.10020 with SL 1.09900 / TP 1.10300, runs `bar`,
    /// returns the closing deal.
    func buyThenBar(o: Int64, h: Int64, l: Int64, c: Int64) throws -> Deal? {
        let e = try barEngine()
        try e.buy(symbolID: 0, volume: LOT, sl: 1_099_000, tp: 1_103_000)
        try e.bar(open: MIN, o: o, h: h, l: l, c: c)
        #expect(e.positions.isEmpty)
        return e.deals.count == 2 ? e.deals[1] : nil
    }

    @Test func buyStopLossOnABarFillsAtTheLevel() throws {
        let d = try #require(try buyThenBar(o: 1_100_000, h: 1_100_500, l: 1_098_500, c: 1_099_500))
        // (1.09900 - 1.10020) x 100 000 = -120, at the bar's close time 120 s
        #expect(d.reason == .stopLoss && d.price == 1_099_000 && d.profit == -120 * U && d.time == 2 * MIN)
    }

    @Test func buyStopLossOnAGapBarFillsAtTheOpen() throws {
        let d = try #require(try buyThenBar(o: 1_098_000, h: 1_098_500, l: 1_097_000, c: 1_097_500))
        // opened below the SL: (1.09800 - 1.10020) x 100 000 = -220
        #expect(d.reason == .stopLoss && d.price == 1_098_000 && d.profit == -220 * U)
    }

    @Test func buyTakeProfitOnABarFillsAtTheLevel() throws {
        let d = try #require(try buyThenBar(o: 1_100_000, h: 1_103_500, l: 1_099_500, c: 1_101_000))
        // (1.10300 - 1.10020) x 100 000 = 280
        #expect(d.reason == .takeProfit && d.price == 1_103_000 && d.profit == 280 * U)
    }

    @Test func buyTakeProfitOnAGapBarFillsAtTheOpen() throws {
        let d = try #require(try buyThenBar(o: 1_104_000, h: 1_105_000, l: 1_103_500, c: 1_104_500))
        // (1.10400 - 1.10020) x 100 000 = 380
        #expect(d.reason == .takeProfit && d.price == 1_104_000 && d.profit == 380 * U)
    }

    @Test func aBarCrossingBothLevelsClosesAtTheStopLoss() throws {
        let d = try #require(try buyThenBar(o: 1_100_000, h: 1_104_000, l: 1_098_000, c: 1_101_000))
        #expect(d.reason == .stopLoss && d.price == 1_099_000 && d.profit == -120 * U)
    }

    @Test func aBarOpeningBeyondTheTakeProfitButReachingTheStopLossClosesAtTheStopLoss() throws {
        // opens at 1.10400 (above TP 1.10300), low 1.09800 (below SL 1.09900): both crossed -> SL,
        // and the bar did not open beyond the SL, so at the level
        let d = try #require(try buyThenBar(o: 1_104_000, h: 1_104_000, l: 1_098_000, c: 1_100_000))
        #expect(d.reason == .stopLoss && d.price == 1_099_000)
    }

    /// Sells 1 lot at bid 1.10000 with SL 1.10100 / TP 1.09800; bar ask = bid + 0.00020.
    func sellThenBar(o: Int64, h: Int64, l: Int64, c: Int64) throws -> Deal? {
        let e = try barEngine()
        try e.sell(symbolID: 0, volume: LOT, sl: 1_101_000, tp: 1_098_000)
        try e.bar(open: MIN, o: o, h: h, l: l, c: c)
        return e.deals.count == 2 ? e.deals[1] : nil
    }

    @Test func sellStopLossOnABarUsesTheAskRange() throws {
        // bid high 1.10085 < SL, but ask high 1.10105 >= 1.10100: closes at the level
        let d = try #require(try sellThenBar(o: 1_100_000, h: 1_100_850, l: 1_099_500, c: 1_100_000))
        // (1.10000 - 1.10100) x 100 000 = -100
        #expect(d.reason == .stopLoss && d.price == 1_101_000 && d.profit == -100 * U)
        // bid high 1.10075 -> ask high 1.10095 < SL: stays open
        #expect(try sellThenBar(o: 1_100_000, h: 1_100_750, l: 1_099_500, c: 1_100_000) == nil)
    }

    @Test func sellStopLossOnAGapBarFillsAtTheOpenAsk() throws {
        // open ask 1.10220 > SL: max(1.10100, 1.10220); (1.10000 - 1.10220) x 100 000 = -220
        let d = try #require(try sellThenBar(o: 1_102_000, h: 1_102_500, l: 1_101_500, c: 1_102_000))
        #expect(d.reason == .stopLoss && d.price == 1_102_200 && d.profit == -220 * U)
    }

    @Test func sellTakeProfitOnAGapBarFillsAtTheOpenAsk() throws {
        // open ask 1.09720 < TP 1.09800: min(1.09800, 1.09720); (1.10000 - 1.09720) x 100 000 = 280
        let d = try #require(try sellThenBar(o: 1_097_000, h: 1_097_500, l: 1_096_500, c: 1_097_000))
        #expect(d.reason == .takeProfit && d.price == 1_097_200 && d.profit == 280 * U)
    }

    @Test func sellBarCrossingBothLevelsClosesAtTheStopLoss() throws {
        let d = try #require(try sellThenBar(o: 1_100_000, h: 1_102_000, l: 1_097_000, c: 1_100_000))
        #expect(d.reason == .stopLoss && d.price == 1_101_000)
    }

    // MARK: trailing

    @Test func buyTrailingStopWaitsForItsDistanceInProfitThenFollowsTheBidUpOnly() throws {
        let e = try tickEngine()
        // 100 points x 10 micro = 0.00100
        try e.send(OrderRequest(symbolID: 0, type: .buy, volume: LOT, trailingPoints: 100))  // at 1.10020
        #expect(e.positions[0].sl == 0)
        // MT5 (terminal help, "Trailing Stop"): no SL while the profit is below
        // the distance, so a losing trade is not closed by its trailing stop.
        try e.tick(at: 2 * SEC, bid: 1_100_000, ask: 1_100_200)  // -2 points
        #expect(e.positions[0].sl == 0)
        try e.tick(at: SEC * 5 / 2, bid: 1_101_100, ask: 1_101_300)  // +90 points
        #expect(e.positions[0].sl == 0)
        try e.tick(at: SEC * 11 / 4, bid: 1_101_200, ask: 1_101_400)  // +100: at the distance
        #expect(e.positions[0].sl == 1_100_200)  // 1.10120 - 0.00100: break-even
        try e.tick(at: 3 * SEC, bid: 1_105_000, ask: 1_105_200)
        #expect(e.positions[0].sl == 1_104_000)  // 1.10500 - 0.00100
        try e.tick(at: 4 * SEC, bid: 1_104_500, ask: 1_104_700)
        #expect(try #require(e.positions.first).sl == 1_104_000)  // 1.10350 is lower: unchanged
        try e.tick(at: 5 * SEC, bid: 1_104_000, ask: 1_104_200)  // bid <= SL
        // (1.10400 - 1.10020) x 100 000 = 380
        #expect(e.positions.isEmpty)
        #expect(
            e.deals.last?.reason == .stopLoss && e.deals.last?.price == 1_104_000 && e.deals.last?.profit == 380 * U)
    }

    @Test func sellTrailingStopWithoutStopLossStartsAtAskPlusDistance() throws {
        let e = try tickEngine()
        // 50 points = 0.00050
        try e.send(OrderRequest(symbolID: 0, type: .sell, volume: LOT, trailingPoints: 50))  // at 1.10000
        try e.tick(at: SEC * 3 / 2, bid: 1_099_400, ask: 1_099_600)  // +40 points: below the distance
        #expect(e.positions[0].sl == 0)
        try e.tick(at: 2 * SEC, bid: 1_099_000, ask: 1_099_200)
        #expect(e.positions[0].sl == 1_099_700)  // 1.09920 + 0.00050
        try e.tick(at: 3 * SEC, bid: 1_099_300, ask: 1_099_500)
        #expect(e.positions[0].sl == 1_099_700)  // 1.10000 is higher: unchanged
        try e.tick(at: 4 * SEC, bid: 1_099_500, ask: 1_099_700)  // ask >= SL
        // (1.10000 - 1.09970) x 100 000 = 30
        #expect(e.deals.last?.reason == .stopLoss && e.deals.last?.price == 1_099_700 && e.deals.last?.profit == 30 * U)
    }

    @Test func setTrailingStopOnAnOpenPositionAndTurnItOff() throws {
        let e = try tickEngine()
        try e.buy(symbolID: 0, volume: LOT, sl: 1_095_000)
        try e.setTrailingStop(ticket: 1, points: 200)  // 0.00200
        #expect(e.positions[0].trailingPoints == 200)
        try e.tick(at: 2 * SEC, bid: 1_100_000, ask: 1_100_200)
        #expect(e.positions[0].sl == 1_095_000)  // at a loss: the SL stays
        try e.tick(at: SEC * 5 / 2, bid: 1_103_000, ask: 1_103_200)
        #expect(e.positions[0].sl == 1_101_000)  // +280 points: 1.10300 - 0.00200 > 1.09500
        try e.setTrailingStop(ticket: 1, points: 0)
        try e.tick(at: 3 * SEC, bid: 1_110_000, ask: 1_110_200)
        #expect(e.positions[0].sl == 1_101_000)
    }

    @Test func trailingOnABarUsesTheCloseAfterTheStopsAreChecked() throws {
        let e = try barEngine()
        try e.send(OrderRequest(symbolID: 0, type: .buy, volume: LOT, trailingPoints: 100))  // at ask 1.10020
        // SL/TP come before trailing: no SL yet, so the low 1.09950 closes nothing;
        // then the SL trails to the bar's bid (close) 1.10500 - 0.00100.
        try e.bar(open: MIN, o: 1_100_000, h: 1_106_000, l: 1_099_500, c: 1_105_000)
        #expect(e.positions.count == 1 && e.positions[0].sl == 1_104_000)
        // next bar reaches 1.10400: closes at the level
        try e.bar(open: 2 * MIN, o: 1_105_000, h: 1_105_500, l: 1_103_000, c: 1_103_500)
        #expect(e.positions.isEmpty && e.deals.last?.price == 1_104_000 && e.deals.last?.reason == .stopLoss)
    }
}
