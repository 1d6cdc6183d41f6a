import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Positions", netting: one position per symbol. Same
// direction adds (volume-weighted average price, margins add up, non-zero
// SL/TP of the order replace the position's); opposite reduces, closes
// (equal volume) or reverses (one INOUT deal, position keeps its ticket,
// opens at the deal price with the excess volume, SL/TP from the order).
// TEST: USD/USD, zero spread, margin 1 000 USD per lot (100 000 / 100).
@Suite struct NettingTests {
    func engine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.setAccountMode(.netting)
        try e.tick(at: SEC, bid: 1_100_000)
        return e
    }

    @Test func sameDirectionAddsToOnePosition() throws {
        let e = try engine()
        #expect(try e.buy(symbolID: 0, volume: LOT) == 1)  // order 1, deal 2
        try e.tick(at: 2 * SEC, bid: 1_101_000)
        #expect(try e.buy(symbolID: 0, volume: LOT) == 1)  // order 3, deal 4, same position
        #expect(e.positions.count == 1)
        let p = e.positions[0]
        // (1.10000 x 1 + 1.10100 x 1) / 2 = 1.10050
        #expect(p.ticket == 1 && p.volume == 2 * LOT && p.openPrice == 1_100_500)
        #expect(p.margin == 2_000 * U && e.account.margin == 2_000 * U)
        // floating (1.10100 - 1.10050) x 200 000 = 100
        #expect(p.profit == 100 * U)
        #expect(e.deals.map(\.ticket) == [2, 4] && e.deals.map(\.order) == [1, 3])
        #expect(e.deals.map(\.entry) == [.in, .in] && e.deals.map(\.position) == [1, 1])
    }

    @Test func averagePriceRoundsHalfAwayFromZero() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: LOT)  // 1.100000
        try e.tick(at: 2 * SEC, bid: 1_100_010)
        try e.buy(symbolID: 0, volume: 2 * LOT)  // 1.100010
        // (1 100 000 x 1 + 1 100 010 x 2) / 3 = 3 300 020 / 3 = 1 100 006.67 -> 1 100 007
        #expect(e.positions[0].openPrice == 1_100_007)
    }

    @Test func oppositeDealReducesThenCloses() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: 2 * LOT)
        try e.tick(at: 2 * SEC, bid: 1_102_000)
        try e.sell(symbolID: 0, volume: 500_000)
        // 0.5 lot: (1.10200 - 1.10000) x 50 000 = 100
        #expect(e.deals.last?.entry == .out && e.deals.last?.profit == 100 * U && e.deals.last?.volume == 500_000)
        let p = e.positions[0]
        // 1.5 lots left at the same price; margin 2 000 - 2 000 x 0.5 / 2 = 1 500
        #expect(
            p.ticket == 1 && p.side == .buy && p.volume == 1_500_000 && p.openPrice == 1_100_000
                && p.margin == 1_500 * U)
        #expect(e.trades.map(\.volume) == [500_000])
        #expect(e.account.balance == 10_100 * U)
        try e.sell(symbolID: 0, volume: 1_500_000)
        // 1.5 lots: 0.002 x 150 000 = 300
        #expect(e.positions.isEmpty)
        #expect(e.deals.map(\.entry) == [.in, .out, .out])
        #expect(e.account.balance == 10_400 * U && e.account.margin == 0)
    }

    @Test func biggerOppositeDealReversesWithOneInOutDeal() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: LOT, sl: 1_090_000, tp: 1_120_000)
        try e.tick(at: 2 * SEC, bid: 1_102_000)
        #expect(try e.sell(symbolID: 0, volume: 3 * LOT, sl: 1_105_000, tp: 1_095_000) == 1)
        #expect(e.deals.count == 2)
        let d = e.deals[1]
        // closes 1 lot: (1.10200 - 1.10000) x 100 000 = 200
        #expect(d.entry == .inOut && d.side == .sell && d.volume == 3 * LOT && d.price == 1_102_000)
        #expect(d.profit == 200 * U && d.position == 1 && d.balance == 10_200 * U)
        #expect(
            e.positions == [
                Position(
                    ticket: 1, symbolID: 0, side: .sell, volume: 2 * LOT, openPrice: 1_102_000,
                    openTime: 2 * SEC, sl: 1_105_000, tp: 1_095_000, trailingPoints: 0,
                    profit: 0, margin: 2_000 * U, commission: 0, magic: 0)
            ])
        #expect(e.trades.count == 1 && e.trades[0].volume == LOT && e.trades[0].profit == 200 * U)
        #expect(e.trades[0].side == .buy && e.trades[0].openPrice == 1_100_000)
        #expect(e.account.margin == 2_000 * U && e.account.equity == 10_200 * U)
    }

    @Test func theStopsOfTheLatestAddingOrderReplaceThePositionsAndZerosDeleteThem() throws {
        // MT5 help, Trading > Positions, "Rules of Stop Loss and Take Profit
        // inheritance (netting)": levels of each subsequent order replace the
        // previous ones; zeros delete them; a partial close changes nothing.
        let e = try engine()
        try e.buy(symbolID: 0, volume: LOT, sl: 1_090_000, tp: 1_120_000)
        try e.buy(symbolID: 0, volume: LOT, sl: 1_095_000)
        #expect(e.positions[0].sl == 1_095_000 && e.positions[0].tp == 0)
        try e.buy(symbolID: 0, volume: LOT, tp: 1_130_000)
        #expect(e.positions[0].sl == 0 && e.positions[0].tp == 1_130_000)
        try e.buy(symbolID: 0, volume: LOT, sl: 1_080_000, tp: 1_140_000)
        try e.sell(symbolID: 0, volume: LOT)  // partial close: levels stay
        #expect(e.positions[0].sl == 1_080_000 && e.positions[0].tp == 1_140_000)
        try e.buy(symbolID: 0, volume: LOT)  // no levels: both deleted
        #expect(e.positions[0].sl == 0 && e.positions[0].tp == 0)
    }

    @Test func theModeIsFixedOnceTradingStarted() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: LOT)
        expectRejected(e, .state, mentions: ["mode"]) { try e.setAccountMode(.hedging) }
        #expect(e.accountMode == .netting)
    }
}
