import Foundation
import Testing

@testable import HQTCore

// The two-week MT5 scenario of python/tests/test_mt5_scenario.py, in Swift:
// EURUSD (forex, hedged legs, points swaps), US500 (cfd_index, deposit
// swaps), ES (futures, no swap), two weekends, a Wednesday triple swap and
// a stop-out. The hand computations (MQL5 reference ENUM_SYMBOL_CALC_MODE;
// MQL5 book "Getting swap sizes"; metatrader5.com "Margin Calculation" and
// "Testing Report") are written out there and repeated briefly here.
// Account 10 000 USD, 1:100, hedging; 2024-01-01 00:00 UTC is a Monday.
@Suite struct MT5ScenarioTests {
    static let monday: Int64 = 1_704_067_200 * SEC
    func at(_ day: Int64, _ hour: Int64, minute: Int64 = 0) -> Int64 {
        MT5ScenarioTests.monday + day * DAY + hour * 3_600 * SEC + minute * MIN
    }

    func engine() throws -> Engine {
        let e = try makeEngine()
        var eu = fx("EURUSD")
        eu.swapMode = .points; eu.swapLong = -7 * U; eu.swapShort = 2 * U
        eu.marginHedged = 0  // a fully hedged pair holds no margin
        try e.addSymbol(eu)
        var idx = usdSymbol("US500")
        idx.calcMode = .cfdIndex; idx.contractSize = 10 * U; idx.digits = 2
        idx.tickSize = 10_000; idx.tickValue = 10_000; idx.marginRate = 100_000
        idx.swapMode = .depositCurrency; idx.swapLong = -1_500_000; idx.swapShort = -1_500_000
        try e.addSymbol(idx)
        var es = usdSymbol("ES")
        es.calcMode = .futures; es.contractSize = 50 * U; es.digits = 2
        es.tickSize = 250_000; es.tickValue = 12_500_000; es.marginInitial = 1_000 * U
        try e.addSymbol(es)
        return e
    }

    @Test func everyDealSwapAndReportFigure() throws {
        let e = try engine()
        try e.tick(0, at: at(0, 10), bid: 1_100_000, ask: 1_100_100)
        try e.tick(1, at: at(0, 10), bid: 5_000_000_000, ask: 5_000_500_000)
        try e.tick(2, at: at(0, 10), bid: 4_800_000_000, ask: 4_800_250_000)
        let buy = try e.buy(symbolID: 0, volume: LOT)
        #expect(e.usedMargin == 1_100_100_000)  // 1 000 EUR × ask 1.10010
        let sell = try e.sell(symbolID: 0, volume: LOT)
        #expect(e.usedMargin == 0)  // margin_hedged 0
        try e.buy(symbolID: 1, volume: LOT)  // 1 × 10 × 5 000.50 × 1 × 0.1 = 5 000.50
        let fut = try e.buy(symbolID: 2, volume: LOT)  // 1 000
        #expect(e.usedMargin == 6_000_500_000)
        // Tuesday: Monday's swaps -7 / +2 / -1.50; ES closes: 9.75 × 50 = 487.50.
        try e.tick(2, at: at(1, 10), bid: 4_810_000_000, ask: 4_810_250_000)
        #expect(e.position(ticket: buy)?.swap == -7 * U && e.position(ticket: sell)?.swap == 2 * U)
        try e.close(ticket: fut)
        // Thursday: Tue 1 + Wed 3 more: sell swap 10, price (1.10000 − 1.09510) × 1e5 = 490.
        try e.tick(0, at: at(3, 10), bid: 1_095_000, ask: 1_095_100)
        #expect(e.position(ticket: sell)?.swap == 10 * U)
        try e.close(ticket: sell)
        #expect(e.usedMargin == 6_100_600_000)
        // Weekend: Friday 22:00 (Thursday ×1), Monday 00:05 (Friday ×1, Sat/Sun 0).
        try e.tick(0, at: at(4, 22), bid: 1_100_100, ask: 1_100_200)
        try e.tick(0, at: at(7, 0, minute: 5), bid: 1_100_100, ask: 1_100_200)
        #expect(e.position(ticket: buy)?.swap == -49 * U)
        #expect(e.positions.first { $0.symbolID == 1 }?.swap == -10_500_000)
        // Week 2 Tuesday: Monday charged at 14:00; the index crashes at 15:00.
        // Equity 10 987.50 − 56 − 8 005 − 12 = 2 914.50 on 6 100.60 (47.77 %): stop-out.
        try e.tick(0, at: at(8, 14), bid: 1_100_100, ask: 1_100_200)
        try e.tick(1, at: at(8, 15), bid: 4_200_000_000, ask: 4_200_500_000)
        #expect(e.equity == 2_914_500_000)
        // Wednesday: the buy closes at 1.09800: −210, swap −63.
        try e.tick(0, at: at(9, 10), bid: 1_098_000, ask: 1_098_100)
        try e.close(ticket: buy)

        let rows = e.deals.map { [Int64($0.symbolID), Int64($0.side.rawValue), Int64($0.entry.rawValue)] }
        #expect(
            rows == [[0, 0, 0], [0, 1, 0], [1, 0, 0], [2, 0, 0], [2, 1, 1], [0, 0, 1], [1, 1, 1], [0, 1, 1]])
        #expect(
            e.deals.map(\.price) == [
                1_100_100, 1_100_000, 5_000_500_000, 4_800_250_000, 4_810_000_000, 1_095_100, 4_200_000_000,
                1_098_000,
            ])
        #expect(e.deals.map(\.profit) == [0, 0, 0, 0, 487_500_000, 500 * U, -8_017 * U, -273 * U])
        #expect(
            e.deals.map(\.balance) == [
                10_000 * U, 10_000 * U, 10_000 * U, 10_000 * U, 10_487_500_000, 10_987_500_000, 2_970_500_000,
                2_697_500_000,
            ])
        #expect(e.deals[6].reason == .stopOut)

        let r = e.statistics().report
        #expect(r.totalNetProfit == -7_302_500_000)
        #expect(r.grossProfit == 987_500_000 && r.grossLoss == -8_290 * U)
        #expect(abs(r.profitFactor - 987.5 / 8_290) < 1e-12)
        #expect(r.totalTrades == 4 && r.longTrades == 3 && r.shortTrades == 1)
        #expect(r.maxConsecutiveWins == 2 && r.maxConsecutiveWinsMoney == 987_500_000)
        #expect(r.maxConsecutiveLosses == 2 && r.maxConsecutiveLossesMoney == -8_290 * U)
        // Z = (4 × 1.5 − 8) / √(8 × 4 / 3) = −0.612372
        #expect(abs(r.zScore - (-2 / (32.0 / 3).squareRoot())) < 1e-9)
        // GHPR = (2 697.50 / 10 000)^(1/4)
        #expect(abs(r.ghpr - pow(0.26975, 0.25)) < 1e-9)
        #expect(r.balanceDrawdownAbsolute == 7_302_500_000 && r.balanceDrawdownMaximal == 8_290 * U)
        #expect(abs(r.balanceDrawdownMaximalPct - 8_290 / 10_987.5 * 100) < 1e-9)
    }
}
