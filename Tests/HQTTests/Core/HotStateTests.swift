import Testing

@testable import HQTCore

// Engine+HotState.swift: the counters native strategies read with plain
// loads must equal what the owners say after every kind of change.
@Suite struct HotStateTests {
    func engine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("AAA"))
        try e.addSymbol(usdSymbol("BBB"))
        try e.tick(0, at: SEC, bid: 1_100_000, ask: 1_100_200)
        try e.tick(1, at: 2 * SEC, bid: 2_000_000, ask: 2_000_100)
        return e
    }

    /// The hot fields against the engine's own answers.
    func expectMatches(_ e: Engine) {
        let h = e.hot.pointee
        #expect(h.time == e.account.time)
        #expect(h.balance == e.balance && h.equity == e.equity && h.profit == e.floatingProfit)
        #expect(h.margin == e.usedMargin)
        #expect(h.positions == Int64(e.positions.count) && h.orders == Int64(e.orders.count))
        #expect(h.symbolCount == Int64(e.symbols.count))
        for s in 0..<e.symbols.count {
            let mine = e.positions.filter { $0.symbolID == UInt32(s) }
            let buys = mine.filter { $0.side == .buy }.reduce(Int64(0)) { $0 + $1.volume }
            let sells = mine.filter { $0.side == .sell }.reduce(Int64(0)) { $0 + $1.volume }
            let row = h.symbols![s]
            #expect(row.positions == Int64(mine.count))
            #expect(row.buyVolume == buys && row.sellVolume == sells && row.netVolume == buys - sells)
        }
    }

    @Test func followsDealsOrdersDepositsAndTicks() throws {
        let e = try engine()
        expectMatches(e)
        #expect(e.hot.pointee.positions == 0 && e.hot.pointee.equity == 10_000 * U)
        var version = e.hot.pointee.bookVersion
        let long = try e.buy(symbolID: 0, volume: 300_000)
        _ = try e.sell(symbolID: 1, volume: 100_000)
        _ = try e.sell(symbolID: 0, volume: 100_000)
        expectMatches(e)
        #expect(e.hot.pointee.symbols![0].netVolume == 200_000)
        #expect(e.hot.pointee.symbols![1].netVolume == -100_000)
        #expect(e.hot.pointee.bookVersion > version)
        // A tick moves equity and time without a book change.
        version = e.hot.pointee.bookVersion
        try e.tick(0, at: 3 * SEC, bid: 1_101_000, ask: 1_101_200)
        expectMatches(e)
        #expect(e.hot.pointee.bookVersion == version)
        #expect(e.hot.pointee.time == 3 * SEC)
        // Pending order, deposit, partial close, SL change: each bumps the version.
        _ = try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: 100_000, price: 1_000_000))
        expectMatches(e)
        try e.deposit(500 * U)
        expectMatches(e)
        try e.close(ticket: long, volume: 100_000)
        expectMatches(e)
        #expect(e.hot.pointee.symbols![0].buyVolume == 200_000)
        let before = e.hot.pointee.bookVersion
        try e.modify(ticket: long, sl: 900_000, tp: nil)
        #expect(e.hot.pointee.bookVersion > before)
        for p in e.positions { try e.close(ticket: p.ticket) }
        expectMatches(e)
        #expect(e.hot.pointee.positions == 0 && e.hot.pointee.profit == 0)
    }

    @Test func rowsFollowTheSymbolTableAsItGrows() throws {
        let e = try makeEngine()
        for i in 0..<40 { try e.addSymbol(usdSymbol("S\(i)")) }
        #expect(e.hot.pointee.symbolCount == 40)
        try e.tick(33, at: SEC, bid: 1_000_000, ask: 1_000_000)
        _ = try e.buy(symbolID: 33, volume: 10_000)
        expectMatches(e)
        #expect(e.hot.pointee.symbols![33].positions == 1)
    }
}
