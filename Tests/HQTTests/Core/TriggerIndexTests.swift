import Testing

@testable import HQTCore

/// A deal updates the trigger index and the per-symbol aggregates by
/// difference when it can (Book/TriggerIndex.swift): after every kind of
/// deal the result must be exactly what a rebuild from the whole book gives.
@Suite struct TriggerIndexTests {
    /// Everything the index derives from the book, in comparable form.
    struct IndexView: Equatable {
        var rows: [[Int128]] = []
        var active: [Int32] = []
        var earliestExpiration: Int64 = 0
        var nextTimedWork: Int64 = 0
        var usedMargin: Int64 = 0
        var hotRows: [[Int64]] = []
    }

    static func view(_ e: Engine) -> IndexView {
        var v = IndexView()
        for i in 0..<e.symbols.count {
            let q = e.quotes[i], x = q.exposure, m = e.legMargins[i]
            v.rows.append(
                [
                    Int128(q.triggerLowBid), Int128(q.triggerHighBid), Int128(q.triggerLowAsk),
                    Int128(q.triggerHighAsk), Int128(q.nextExpiration), Int128(q.trailingStops),
                    Int128(x.count), Int128(x.buyVolume), Int128(x.sellVolume), x.buyCost, x.sellCost, m.buy, m.sell,
                ])
            if let h = e.hot.pointee.symbols?[i] {
                v.hotRows.append([h.positions, h.buyVolume, h.sellVolume, h.netVolume])
            }
        }
        v.active = (0..<e.activeSymbols.count).map { e.activeSymbols.base[$0] }
        v.earliestExpiration = e.earliestExpiration
        v.nextTimedWork = e.nextTimedWork
        v.usedMargin = e.totalMargin()
        return v
    }

    /// The index as the engine left it, then as a rebuild makes it.
    static func expectMatchesRebuild(_ e: Engine, _ step: String) {
        let kept = view(e)
        e.rebuildTriggerIndex()
        #expect(kept == view(e), "after \(step)")
    }

    /// The symbol's first open position (0, an unknown ticket, if none).
    static func firstTicket(_ e: Engine, symbol: UInt32) -> UInt64 {
        e.openPositions.first { $0.symbolID == symbol }?.ticket ?? 0
    }

    @Test(arguments: [AccountMode.netting, .hedging])
    func everyKindOfDealLeavesTheIndexARebuildWouldMake(mode: AccountMode) throws {
        let e = try makeEngine(balance: 1_000_000 * U)
        try e.setAccountMode(mode)
        try e.addSymbol(usdSymbol("AAA", commission: 3 * U))
        try e.addSymbol(usdSymbol("BBB"))
        try e.tick(0, at: SEC, bid: 1_000_000, ask: 1_000_020)
        try e.tick(1, at: SEC, bid: 2_000_000, ask: 2_000_030)
        let steps: [(String, () throws -> Void)] = [
            ("open BBB", { try e.buy(symbolID: 1, volume: LOT) }),
            ("open AAA", { try e.buy(symbolID: 0, volume: LOT) }),
            ("add AAA", { try e.buy(symbolID: 0, volume: 2 * LOT) }),
            ("reduce AAA", { try e.sell(symbolID: 0, volume: LOT) }),
            ("reverse AAA", { try e.sell(symbolID: 0, volume: 5 * LOT) }),
            ("reverse AAA with stops", { try e.buy(symbolID: 0, volume: 6 * LOT, sl: 900_000, tp: 1_100_000) }),
            ("reverse AAA from stops", { try e.sell(symbolID: 0, volume: 6 * LOT) }),
            (
                "pending AAA",
                {
                    try e.send(
                        OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 990_000, expiration: 100 * SEC))
                }
            ),
            ("fill the pending order", { try e.tick(0, at: 2 * SEC, bid: 989_000, ask: 989_010) }),
            ("close BBB", { try e.close(ticket: Self.firstTicket(e, symbol: 1)) }),
            ("reopen BBB", { try e.sell(symbolID: 1, volume: LOT) }),
            ("close AAA", { try e.close(ticket: Self.firstTicket(e, symbol: 0)) }),
        ]
        for (name, step) in steps {
            try step()
            Self.expectMatchesRebuild(e, name)
        }
        #expect(e.deals.count >= 10)
    }
}
