import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Results": net profit (balance change less deposits),
// gross profit / loss (winning / losing trades after commission), profit
// factor, max drawdown of equity (money and percent of the peak), Sharpe of
// daily returns (last equity of each UTC day) x sqrt(252), trades, wins,
// losses, win rate; equity curve points at bar closes, after deals, every
// equity_interval, at the end of a run, same instant merged (last wins).
// TEST: USD/USD, zero spread; 0.1 lot = 10 000 units, 1 lot = 100 000.
@Suite struct StatisticsTests {
    @Test func profitFactorAndWinRateCountTradesAfterCommission() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(commission: 10 * U))  // 0.1 lot: 1 USD per deal, 2 per trade
        var t: Int64 = 0
        func roundTrip(close price: Int64) throws {
            t += SEC; try e.tick(at: t, bid: U)
            let ticket = try e.buy(symbolID: 0, volume: 100_000)
            t += SEC; try e.tick(at: t, bid: price)
            try e.close(ticket: ticket)
        }
        try roundTrip(close: 1_030_200)  // +0.0302 x 10 000 = +302, net +300
        try roundTrip(close: 990_200)  // -98, net -100
        try roundTrip(close: 1_020_200)  // +202, net +200
        try roundTrip(close: 1_000_100)  // +1, net -1: a loser after commission
        let s = e.statistics()
        #expect(s.totalTrades == 4 && s.winningTrades == 2 && s.losingTrades == 2 && s.totalDeals == 8)
        #expect(s.grossProfit == 500 * U)  // 300 + 200
        #expect(s.grossLoss == -101 * U)  // -100 - 1
        #expect(abs(s.profitFactor - 500.0 / 101.0) < 1e-12)
        #expect(s.winRate == 50)  // 2 of 4, in percent
        #expect(s.totalCommission == -8 * U)
        // 302 - 98 + 202 + 1 - 8 = 399
        #expect(s.netProfit == 399 * U && s.finalBalance == 10_399 * U && s.initialBalance == 10_000 * U)
    }

    @Test func profitFactorWithoutLosersOrTrades() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        #expect(e.statistics().profitFactor == 0 && e.statistics().winRate == 0)
        try e.tick(at: SEC, bid: U)
        try e.buy(symbolID: 0, volume: 100_000)
        try e.tick(at: 2 * SEC, bid: 1_001_000)
        try e.close(ticket: 1)
        #expect(e.statistics().profitFactor == .infinity && e.statistics().winRate == 100)
    }

    @Test func maxDrawdownOnAHandMadeEquityPath() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: U)
        try e.buy(symbolID: 0, volume: LOT)  // 1 lot: 0.01 of price = 1 000 USD
        for (i, bid) in [1_010_000, 990_000, 1_020_000, 1_005_000].enumerated() {
            try e.tick(at: Int64(i + 2) * SEC, bid: Int64(bid))
        }
        // equity 10 000 -> 11 000 (peak) -> 9 000 (dd 2 000) -> 12 000 (peak) -> 10 500 (dd 1 500)
        let s = e.statistics()
        #expect(s.maxDrawdown == 2_000 * U)
        // 2 000 / 11 000 x 100 = 18.1818...%
        #expect(abs(s.maxDrawdownPct - 2_000.0 / 11_000.0 * 100) < 1e-9)
        #expect(s.finalEquity == 10_500 * U && s.finalBalance == 10_000 * U)
    }

    @Test func sharpeIsUndefinedWithinOneDay() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: U)
        try e.buy(symbolID: 0, volume: LOT)
        for (i, bid) in [1_010_000, 990_000, 1_020_000].enumerated() {
            try e.tick(at: Int64(i + 1) * 3_600 * SEC, bid: Int64(bid))
        }
        // One daily return (from the initial balance): no standard deviation.
        #expect(e.statistics().sharpeRatio.isNaN)
    }

    @Test func sharpeOfDailyReturnsAnnualised() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: U)
        try e.buy(symbolID: 0, volume: LOT)
        // initial balance 10 000, then the last equity of each UTC day:
        // 10 000, 11 000, 10 000, 12 000
        try e.tick(at: 12 * 3_600 * SEC, bid: U)
        try e.tick(at: DAY + SEC, bid: 990_000)  // not the day's last
        try e.tick(at: DAY + 12 * 3_600 * SEC, bid: 1_010_000)
        try e.tick(at: 2 * DAY + 12 * 3_600 * SEC, bid: U)
        try e.tick(at: 3 * DAY + 12 * 3_600 * SEC, bid: 1_020_000)
        // returns 0 (day 1 from the initial balance), 0.1, 10 000/11 000 - 1 = -1/11, 0.2;
        // mean m = (0 + 0.1 - 1/11 + 0.2) / 4; sample standard deviation (n - 1 = 3);
        // Sharpe = m / sd x sqrt(252)
        let r = [0, 0.1, 10_000.0 / 11_000.0 - 1, 0.2]
        let m = r.reduce(0, +) / 4
        let sd = (r.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 3).squareRoot()
        let expected = m / sd * 252.0.squareRoot()
        #expect(abs(e.statistics().sharpeRatio - expected) < 1e-9)
    }

    @Test func depositsAreNotProfit() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.deposit(500 * U)
        try e.deposit(-200 * U)
        #expect(e.account.balance == 10_300 * U)
        #expect(e.statistics().netProfit == 0)
    }

    @Test func equityCurveSamplesDealsIntervalsAndBarsMergingEqualInstants() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: 0, bid: U)  // first event: sampled
        try e.buy(symbolID: 0, volume: LOT)  // deal at 0: replaces the 0 s point
        try e.tick(at: 30 * SEC, bid: 1_001_000)  // inside the 60 s interval: no point
        try e.tick(at: 60 * SEC, bid: 1_002_000)  // interval point: equity 10 200
        try e.tick(at: 70 * SEC, bid: 1_003_000)
        try e.close(ticket: 1)  // deal point: balance 10 300
        try e.bar(open: 60 * SEC, o: 1_003_000, h: 1_003_000, l: 1_003_000, c: 1_003_000)  // closes at 120 s
        #expect(
            e.equityCurve == [
                EquityPoint(time: 0, balance: 10_000 * U, equity: 10_000 * U, margin: 1_000 * U),
                EquityPoint(time: 60 * SEC, balance: 10_000 * U, equity: 10_200 * U, margin: 1_000 * U),
                EquityPoint(time: 70 * SEC, balance: 10_300 * U, equity: 10_300 * U, margin: 0),
                EquityPoint(time: 120 * SEC, balance: 10_300 * U, equity: 10_300 * U, margin: 0),
            ])
    }

    @Test func equityCurveHasBuiltBarClosesAndTheEndOfTheRun() throws {
        let e = try makeEngine()
        try e.setEquityInterval(3_600 * SEC)
        try e.addSymbol(usdSymbol())
        try e.buildBars(symbolID: 0, timeframe: 1)
        try e.loadTicks(symbolID: 0, time: [10 * SEC, 70 * SEC, 80 * SEC], bid: [U, U, U], ask: [U, U, U])
        try e.run()
        // 10 s: first event; 60 s: bar [0, 60) closes (delivered at 70 s);
        // 80 s: end of the run (bar [60, 120) flushed then, not past the data)
        #expect(e.equityCurve.map(\.time) == [10 * SEC, 60 * SEC, 80 * SEC])
    }
}
