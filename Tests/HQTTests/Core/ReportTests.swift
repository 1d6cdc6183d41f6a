import Testing

@testable import HQTCore

// docs/engine.md "MT5 report": the figures of the MetaTrader 5 Strategy
// Tester report, each hand-computed from one scripted run.
// TEST: USD/USD, zero spread, no commission, leverage 100; every trade is
// 0.1 lot (10 000 units) opened at 1.00000, so a move of 0.01 is 100 USD and
// the margin is 10 000 / 100 = 100 USD. The equity interval is 1 s, so
// every tick (one per second) is an equity-curve sample.
@Suite struct ReportTests {
    /// Opens at 1.00000 (`sell` or buy), walks `path`, closes at its last price.
    static func roundTrip(_ e: Engine, _ t: inout Int64, sell: Bool = false, _ path: [Int64]) throws {
        t += SEC; try e.tick(at: t, bid: U)
        let ticket = sell ? try e.sell(symbolID: 0, volume: 100_000) : try e.buy(symbolID: 0, volume: 100_000)
        for bid in path { t += SEC; try e.tick(at: t, bid: bid) }
        try e.close(ticket: ticket)
    }

    /// The scripted run; python/tests/test_report.py runs the same one.
    static func scriptedRun() throws -> Engine {
        let e = try makeEngine()
        try e.setEquityInterval(SEC)
        try e.addSymbol(usdSymbol())
        var t: Int64 = 0
        try roundTrip(e, &t, [960_000])  // 1 buy  -400  balance  9 600
        try roundTrip(e, &t, [950_000, 1_310_000])  // 2 buy +3 100 (equity 9 100 at 0.95) 12 700
        try roundTrip(e, &t, sell: true, [1_020_000])  // 3 sell  -200  12 500
        try roundTrip(e, &t, [995_000])  // 4 buy    -50  12 450
        try roundTrip(e, &t, sell: true, [999_000])  // 5 sell   +10  12 460
        try roundTrip(e, &t, [980_000])  // 6 buy   -200  12 260
        try roundTrip(e, &t, sell: true, [970_000])  // 7 sell  +300  12 560
        try roundTrip(e, &t, [920_000, 1_040_000])  // 8 buy +400 (equity 11 760 at 0.92) 12 960
        return e
    }

    @Test func everyFigureOfTheScriptedRun() throws {
        let e = try Self.scriptedRun()
        let r = e.statistics().report
        #expect(e.statistics().finalBalance == 12_960 * U)
        // Profit: wins 3 100 + 10 + 300 + 400 = 3 810; losses -400 - 200 - 50 - 200 = -850.
        #expect(r.totalNetProfit == 2_960 * U && r.grossProfit == 3_810 * U && r.grossLoss == -850 * U)
        #expect(abs(r.profitFactor - 3_810.0 / 850.0) < 1e-12)  // 4.4823...
        #expect(abs(r.expectedPayoff - 370.0 * 1e6) < 1e-3)  // 2 960 / 8 trades
        // Balance after each deal: 10 000, 9 600, 12 700, 12 500, 12 450, 12 460, 12 260, 12 560, 12 960.
        // Absolute: 10 000 - 9 600 = 400. Peak-to-trough: 10 000 -> 9 600 (400, 4 %) and
        // 12 700 -> 12 260 (440, 440 / 12 700 = 3.4646 %): maximal 440 (3.46 %), relative 4 % (400).
        #expect(r.balanceDrawdownAbsolute == 400 * U)
        #expect(r.balanceDrawdownMaximal == 440 * U && abs(r.balanceDrawdownMaximalPct - 44_000.0 / 12_700) < 1e-9)
        #expect(r.balanceDrawdownRelativePct == 4 && r.balanceDrawdownRelative == 400 * U)
        // Equity samples add 9 100 (trade 2 at 0.95: 9 600 - 500) and 11 760 (trade 8 at 0.92:
        // 12 560 - 800). Absolute 10 000 - 9 100 = 900; 10 000 -> 9 100 (900, 9 %);
        // 12 700 -> 11 760 (940, 940 / 12 700 = 7.4016 %): maximal 940 (7.40 %), relative 9 % (900).
        #expect(r.equityDrawdownAbsolute == 900 * U)
        #expect(r.equityDrawdownMaximal == 940 * U && abs(r.equityDrawdownMaximalPct - 94_000.0 / 12_700) < 1e-9)
        #expect(r.equityDrawdownRelativePct == 9 && r.equityDrawdownRelative == 900 * U)
        #expect(abs(r.recoveryFactor - 2_960.0 / 940.0) < 1e-12)  // net profit / equity maximal
        // Lowest margin level: equity 9 100 on 100 margin = 9 100 %.
        #expect(abs(r.marginLevelMinimum - 9_100) < 1e-9)
        // Trades: short 3, 5, 7 (5 and 7 won: 66.67 %); long 1, 2, 4, 6, 8 (2 and 8 won: 40 %).
        #expect(r.totalTrades == 8 && r.shortTrades == 3 && r.longTrades == 5)
        #expect(abs(r.shortTradesWonPct - 200.0 / 3) < 1e-9 && r.longTradesWonPct == 40)
        #expect(r.profitTrades == 4 && r.profitTradesPct == 50 && r.lossTrades == 4 && r.lossTradesPct == 50)
        #expect(r.largestProfitTrade == 3_100e6 && r.largestLossTrade == -400e6)
        #expect(r.averageProfitTrade == 952.5e6 && r.averageLossTrade == -212.5e6)  // 3 810 / 4, -850 / 4
        // Runs: L(-400) W(3 100) L(-200, -50) W(10) L(-200) W(300, 400).
        // Longest win run 2 (+700), longest loss run 2 (-250); the most money: +3 100 (1), -400 (1).
        #expect(r.maxConsecutiveWins == 2 && r.maxConsecutiveWinsMoney == 700 * U)
        #expect(r.maxConsecutiveLosses == 2 && r.maxConsecutiveLossesMoney == -250 * U)
        #expect(r.maximalConsecutiveProfit == 3_100 * U && r.maximalConsecutiveProfitCount == 1)
        #expect(r.maximalConsecutiveLoss == -400 * U && r.maximalConsecutiveLossCount == 1)
        // 4 wins in 3 runs, 4 losses in 3 runs.
        #expect(abs(r.averageConsecutiveWins - 4.0 / 3) < 1e-12 && abs(r.averageConsecutiveLosses - 4.0 / 3) < 1e-12)
        // Z-score: N = 8, W = L = 4, P = 2 W L = 32, R = 6 runs:
        // (N (R - 0.5) - P) / sqrt(P (P - N) / (N - 1)) = 12 / sqrt(768 / 7) = 1.1456439...;
        // confidence 2 Φ(Z) - 1 = erf(Z / sqrt 2) = 74.8057 %.
        #expect(abs(r.zScore - 12 / (768.0 / 7).squareRoot()) < 1e-12)
        #expect(abs(r.zScoreConfidence - 74.80574848431918) < 1e-9)
        // HPR_i = b_i / b_i-1 over the balances above (9 600 / 10 000 = 0.96, 12 700 / 9 600, ...):
        // AHPR = their mean = 1.0380296797...; GHPR = (12 960 / 10 000)^(1/8) = 1.0329412597...;
        // Sharpe (HPR) = (AHPR - 1) / sample sd of the HPRs = 0.3239978510...
        let b: [Double] = [10_000, 9_600, 12_700, 12_500, 12_450, 12_460, 12_260, 12_560, 12_960]
        let hpr = (1..<9).map { b[$0] / b[$0 - 1] }
        let ahpr = hpr.reduce(0, +) / 8
        #expect(abs(ahpr - 1.038029679746081) < 1e-12 && abs(r.ahpr - ahpr) < 1e-12)
        #expect(abs(r.ghpr - 1.0329412597158436) < 1e-12)
        #expect(abs(r.sharpeRatioHpr - 0.3239978510937523) < 1e-9)
        // Linear regression of b_i on i = 0...8: mean i 4, mean b 11 943.33; Sxx = 60,
        // Syy = 12 188 000 (USD²), Sxy = 19 800; r = Sxy / sqrt(Sxx Syy) = 0.7321892399;
        // standard error sqrt((Syy - Sxy² / Sxx) / (9 - 2)) = 898.7292616 USD.
        #expect(abs(r.lrCorrelation - 19_800 / (60 * 12_188_000.0).squareRoot()) < 1e-9)
        #expect(abs(r.lrStandardError / 1e6 - 898.7292616323817) < 1e-6)
        #expect(abs(r.lrStandardError / 1e6 - ((12_188_000.0 - 19_800 * 19_800 / 60) / 7).squareRoot()) < 1e-6)
        // Within one UTC day: HQT's daily Sharpe has one return (from the initial balance): n/a.
        #expect(r.sharpeRatio.isNaN)
    }

    @Test func withoutTradesEveryRatioIsUndefined() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: U)
        let r = e.statistics().report
        #expect(r.totalTrades == 0 && r.totalNetProfit == 0)
        for x in [
            r.profitFactor, r.expectedPayoff, r.recoveryFactor, r.sharpeRatio, r.sharpeRatioHpr, r.ahpr, r.ghpr,
            r.zScore, r.zScoreConfidence, r.lrCorrelation, r.lrStandardError, r.marginLevelMinimum,
            r.shortTradesWonPct, r.longTradesWonPct, r.profitTradesPct, r.lossTradesPct,
            r.largestProfitTrade, r.largestLossTrade, r.averageProfitTrade, r.averageLossTrade,
            r.averageConsecutiveWins, r.averageConsecutiveLosses,
        ] {
            #expect(x.isNaN)
        }
        #expect(r.balanceDrawdownMaximal == 0 && r.equityDrawdownRelativePct == 0)
        #expect(r == e.statistics().report)  // NaN figures compare equal to themselves
    }

    @Test func oneTradeDefinesOnlyWhatOneTradeCan() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        var t: Int64 = 0
        try Self.roundTrip(e, &t, [1_010_000])  // +100: balance 10 100
        let r = e.statistics().report
        #expect(r.totalTrades == 1 && r.expectedPayoff == 100e6 && r.longTradesWonPct == 100)
        #expect(r.ahpr == 1.01 && r.ghpr == 1.01)  // 10 100 / 10 000
        #expect(r.lrCorrelation == 1)  // two points lie on a line
        #expect(r.profitFactor == .infinity)  // profit and no loss
        // No variance of one HPR, no third point for the error, no loss for Z.
        #expect(r.sharpeRatioHpr.isNaN && r.lrStandardError.isNaN && r.zScore.isNaN)
        #expect(r.recoveryFactor.isNaN && r.shortTradesWonPct.isNaN && r.largestLossTrade.isNaN)
        #expect(r.maxConsecutiveWins == 1 && r.averageConsecutiveWins == 1 && r.averageConsecutiveLosses.isNaN)
        #expect(r.marginLevelMinimum == 10_000)  // 10 000 equity on 100 margin at the open
    }

    @Test func totalNetProfitCountsClosedTradesOnly() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(commission: 10 * U))  // 0.1 lot: 1 USD per deal
        try e.tick(at: SEC, bid: U)
        try e.buy(symbolID: 0, volume: 100_000)
        // The entry commission is in the balance (net profit -1) but no trade is closed.
        #expect(e.statistics().netProfit == -1 * U && e.statistics().report.totalNetProfit == 0)
    }

    @Test func equalTradesHaveNoVariance() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        var t: Int64 = 0
        try Self.roundTrip(e, &t, [U])  // 0: no change
        try Self.roundTrip(e, &t, [U])
        let r = e.statistics().report
        // Zero trades are neither wins nor losses; the balance is flat.
        #expect(r.profitTrades == 0 && r.lossTrades == 0 && r.ahpr == 1 && r.ghpr == 1)
        #expect(r.sharpeRatioHpr.isNaN && r.lrCorrelation.isNaN && r.lrStandardError == 0)
        #expect(r.zScore.isNaN && r.profitFactor.isNaN)
    }
}
