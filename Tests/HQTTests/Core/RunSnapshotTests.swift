import Testing

@testable import HQTCore

// Stats/RunSnapshot.swift: a snapshot keeps showing the moment it was taken,
// and its statistics are the engine's of that moment, bit for bit.
@Suite struct RunSnapshotTests {
    @Test func statisticsOfASnapshotAreTheEnginesOfItsMoment() throws {
        let e = try ReportTests.scriptedRun()
        let snap = e.runSnapshot()
        #expect(snap.statistics() == e.statistics())
        #expect(snap.statistics(report: false) == e.statistics(report: false))
        #expect(snap.statistics(report: false).report == Report())
    }

    @Test func aSnapshotDoesNotChangeWhenTheEngineTradesOn() throws {
        let e = try ReportTests.scriptedRun()
        let before = e.statistics()
        let (deals, trades, curve, history) = (e.deals, e.trades, e.equityCurve, e.orderHistory)
        let snap = e.runSnapshot()
        // More trades, one position left open and a withdrawal.
        var t = e.equityCurve.last?.time ?? 0
        try ReportTests.roundTrip(e, &t, [1_100_000])
        t += SEC; try e.tick(at: t, bid: U)
        _ = try e.buy(symbolID: 0, volume: 100_000)
        try e.deposit(-1_000 * U)
        #expect(e.deals.count > deals.count && e.equityCurve.count > curve.count)
        #expect(e.statistics() != before)
        #expect(snap.deals == deals && snap.trades == trades && snap.equityCurve == curve)
        #expect(snap.orderHistory == history && snap.positions.isEmpty && snap.orders.isEmpty)
        #expect(snap.statistics() == before)
        // And a snapshot taken now has the open position and the new figures.
        let now = e.runSnapshot()
        #expect(now.positions.count == 1 && now.positions == e.positions)
        #expect(now.netDeposits == -1_000 * U && now.statistics() == e.statistics())
    }
}
