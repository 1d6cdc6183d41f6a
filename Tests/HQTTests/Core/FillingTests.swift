import Testing

@testable import HQTCore

// Order filling against SYMBOL_VOLUME_LIMIT (Engine+Filling.swift). Sources:
// MQL5 book, "Permitted volumes of trading operations" (SYMBOL_VOLUME_LIMIT:
// "maximum allowable total volume of an open position and pending orders in
// one direction"; with a 5-lot limit and a 5-lot buy, a sell limit of 5 is
// allowed and a buy limit is not) and "Order execution modes by price and
// volume" (ORDER_FILLING_FOK / _IOC / _RETURN). TEST: 1 lot = 100 000,
// quoted 1.10000 / 1.10020, volume step 0.01, min 0.01; limit 5 lots.
@Suite struct FillingTests {
    func engine(limit: Int64 = 5 * LOT, netting: Bool = false) throws -> Engine {
        // 1 000 000 USD: margin never binds (100 lots at 1:100 hold 110 000).
        let e = try makeEngine(balance: 1_000_000 * U)
        if netting { try e.setAccountMode(.netting) }
        var s = usdSymbol()
        s.volumeLimit = limit
        try e.addSymbol(s)
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        return e
    }

    func code(_ body: () throws(HQTError) -> Void) -> HQTError.Code? {
        do throws(HQTError) {
            try body()
            return nil
        } catch { return error.code }
    }

    func request(_ type: OrderType, _ volume: Int64, _ filling: OrderFilling, price: Int64 = 0) -> OrderRequest {
        var r = OrderRequest(symbolID: 0, type: type, volume: volume, price: price)
        r.filling = filling
        return r
    }

    @Test func fokFillsAllOrNothing() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: 3 * LOT)
        // Room for buys: 5 − 3 = 2 lots; 2.5 lots under FOK is refused whole.
        #expect(code { () throws(HQTError) in try e.send(request(.buy, 5 * LOT / 2, .fok)) } == .limitVolume)
        #expect(e.deals.count == 1 && e.positions.count == 1)
        // Exactly the room fills.
        try e.send(request(.buy, 2 * LOT, .fok))
        #expect(e.deals.count == 2 && e.deals[1].volume == 2 * LOT)
        // The sell direction has its own 5 lots (hedging: a separate leg).
        try e.send(request(.sell, 5 * LOT, .fok))
        #expect(e.positions.count == 3)
    }

    @Test func iocFillsTheRoomAndCancelsTheRest() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: 3 * LOT)
        // 2.5 lots IOC: 2 lots fill at the ask 1.10020, 0.5 is canceled.
        let t = try e.send(request(.buy, 5 * LOT / 2, .ioc))
        #expect(e.deals.last?.volume == 2 * LOT && e.deals.last?.price == 1_100_200)
        #expect(e.position(ticket: t)?.volume == 2 * LOT)
        #expect(e.orders.isEmpty)
        // No room left: nothing to fill, refused like FOK.
        #expect(code { () throws(HQTError) in try e.send(request(.buy, LOT, .ioc)) } == .limitVolume)
    }

    @Test func iocRoundsTheRoomDownToTheStep() throws {
        // Limit 1.005 lots (not a step multiple): room 1.005 → 1.00 lots fill.
        let e = try engine(limit: 1_005_000)
        try e.send(request(.buy, 2 * LOT, .ioc))
        #expect(e.deals.last?.volume == LOT)
        // Room 0.005 lots, below the 0.01 minimum: refused.
        #expect(code { () throws(HQTError) in try e.send(request(.buy, LOT, .ioc)) } == .limitVolume)
    }

    @Test func returnKeepsTheRestAsALimitOrderThatWaitsForRoom() throws {
        let e = try engine()
        let first = try e.buy(symbolID: 0, volume: 3 * LOT)
        // 2.5 lots RETURN: 2 fill at 1.10020; 0.5 becomes a buy limit at 1.10020.
        try e.send(request(.buy, 5 * LOT / 2, .return))
        #expect(e.deals.last?.volume == 2 * LOT)
        let rest = try #require(e.orders.first)
        #expect(rest.type == .buyLimit && rest.volume == LOT / 2 && rest.price == 1_100_200)
        // The ask is back at the limit, but there is no room: the order waits.
        try e.tick(at: 2 * SEC, bid: 1_099_900, ask: 1_100_100)
        #expect(e.orders.count == 1 && e.deals.count == 2)
        // Closing 3 lots makes room: the next tick at or below 1.10020 fills it, at
        // that tick's ask 1.10010 (a tick through a limit fills at its own price).
        try e.close(ticket: first)
        try e.tick(at: 3 * SEC, bid: 1_099_900, ask: 1_100_100)
        #expect(e.orders.isEmpty && e.deals.last?.volume == LOT / 2 && e.deals.last?.price == 1_100_100)
    }

    @Test func pendingOrdersCountAndMustFitWhole() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: 5 * LOT)
        // The book's example: a buy limit is refused, a 5-lot sell limit is not.
        #expect(
            code { () throws(HQTError) in try e.send(request(.buyLimit, LOT, .return, price: 1_090_000)) }
                == .limitVolume)
        try e.send(request(.sellLimit, 5 * LOT, .fok, price: 1_110_000))
        #expect(
            code { () throws(HQTError) in try e.send(request(.sellLimit, LOT, .fok, price: 1_120_000)) }
                == .limitVolume)
        // The pending 5-lot sell fills the sell room: a market sell has none.
        #expect(code { () throws(HQTError) in try e.send(request(.sell, LOT, .ioc)) } == .limitVolume)
    }

    @Test func nettingClosingVolumeNeedsNoRoom() throws {
        let e = try engine(netting: true)
        try e.buy(symbolID: 0, volume: 5 * LOT)
        // A sell of 8 lots closes the 5-lot buy (no room needed) and opens 3 sells.
        try e.send(request(.sell, 8 * LOT, .fok))
        #expect(e.positions.first?.side == .sell && e.positions.first?.volume == 3 * LOT)
        // Buying 10 reverses: 3 close the sell, 7 would open buys, only 5 fit → IOC 8.
        try e.send(request(.buy, 10 * LOT, .ioc))
        #expect(e.positions.first?.side == .buy && e.positions.first?.volume == 5 * LOT)
        #expect(e.deals.last?.volume == 8 * LOT)
    }

    @Test func noLimitIsTheDefaultAndTheLimitIsFingerprinted() throws {
        let e = try engine(limit: 0)
        try e.send(request(.buy, 100 * LOT, .fok))
        #expect(e.positions.first?.volume == 100 * LOT)
        let w = ByteWriter()
        usdSymbol().writeVolumeLimit(into: w)
        #expect(w.bytes.isEmpty)
        let a = try engine(limit: 0), b = try engine()
        #expect(a.configurationFingerprint != b.configurationFingerprint)
        var s = usdSymbol()
        s.volumeLimit = -1
        #expect(code { () throws(HQTError) in _ = try a.addSymbol(s) } == .invalidArgument)
    }
}
