/// MT5's order filling policies against the one volume a backtest can run
/// out of: the symbol's SYMBOL_VOLUME_LIMIT (`SymbolSpec.volumeLimit`), "the
/// maximum allowable total volume of an open position and pending orders in
/// one direction" (MQL5 book, "Permitted volumes of trading operations").
/// HQT has no order book, so the room left under that limit stands for the
/// volume "available in the market" of ENUM_ORDER_TYPE_FILLING's text:
///
/// * FOK: "an order can only be filled in the specified volume": the whole
///   volume must fit, else TRADE_RETCODE_LIMIT_VOLUME (`.limitVolume`).
/// * IOC: "the order will be executed on the available volume, and the
///   missing volume will be canceled": what fits (whole steps) is filled.
/// * RETURN: "an order with remaining volume is not canceled but processed
///   further": what fits is filled, the rest stays as a limit order at the
///   deal's price, which fills (all of it) when it fits and the price is
///   there again.
///
/// Pending orders count toward the limit from their placement (the book's
/// example: with a 5-lot limit and a 5-lot buy, a buy limit is refused), so
/// a placement past it is refused whatever the filling, and a trigger fits
/// unless the order is a RETURN remainder, which waits for room.
public enum OrderFilling: Int32, Sendable, CaseIterable {
    case fok = 0, ioc = 1, `return` = 2

    /// The name used by Python's `filling=`.
    public var name: String {
        switch self {
        case .fok: "fok"
        case .ioc: "ioc"
        case .return: "return"
        }
    }
}

extension Engine {
    /// Volume counted toward the limit on `side`: open positions of that
    /// side and pending orders of that side, but `excluding` (an order
    /// being triggered, already counted in its own deal).
    func limitedVolume(symbolID: UInt32, side: Side, excluding: UInt64 = 0) -> Int64 {
        var total: Int64 = 0
        for p in book.positions where p.symbolID == symbolID && p.side == side { total += p.volume }
        for o in book.orders where o.symbolID == symbolID && o.type.side == side && o.ticket != excluding {
            total += o.volume
        }
        return total
    }

    /// The part of a deal that adds to its side: in a netting account the
    /// volume that closes the opposite position adds nothing.
    func addingVolume(symbolID: UInt32, side: Side, volume: Int64) -> Int64 {
        guard accountMode == .netting,
            let p = book.positions.first(where: { $0.symbolID == symbolID }), p.side != side
        else { return volume }
        return max(0, volume - p.volume)
    }

    /// Room left under the limit on `side` (.max without a limit).
    func volumeRoom(symbolID: UInt32, side: Side, excluding: UInt64 = 0) -> Int64 {
        let limit = symbols[Int(symbolID)].volumeLimit
        guard limit > 0 else { return .max }
        return limit - limitedVolume(symbolID: symbolID, side: side, excluding: excluding)
    }

    /// How much of a market order fills now and how much is left, by its
    /// filling policy; throws when nothing may be filled.
    @inline(__always)
    func fillableVolume(_ request: OrderRequest) throws(HQTError) -> (fill: Int64, rest: Int64) {
        // Without a volume limit everything fits: no scan of the book (the
        // test is inlined into every order, the scan is not).
        guard symbols[Int(request.symbolID)].volumeLimit > 0 else { return (request.volume, 0) }
        return try fillableUnderLimit(request)
    }

    @inline(never)
    private func fillableUnderLimit(_ request: OrderRequest) throws(HQTError) -> (fill: Int64, rest: Int64) {
        let spec = symbols[Int(request.symbolID)]
        let side = request.type.side
        let adding = addingVolume(symbolID: request.symbolID, side: side, volume: request.volume)
        let room = volumeRoom(symbolID: request.symbolID, side: side)
        if adding <= room { return (request.volume, 0) }
        let fits = max(0, room) / spec.volumeStep * spec.volumeStep
        let fill = request.volume - adding + fits
        if request.filling == .fok || fill < spec.volumeMin {
            throw limitError(spec, side: side, volume: request.volume, room: room, filling: request.filling)
        }
        return (fill, request.volume - fill)
    }

    /// A pending order's placement: its whole volume must fit.
    func checkPendingVolumeLimit(_ request: OrderRequest) throws(HQTError) {
        let spec = symbols[Int(request.symbolID)]
        let room = volumeRoom(symbolID: request.symbolID, side: request.type.side)
        guard request.volume > room else { return }
        throw limitError(spec, side: request.type.side, volume: request.volume, room: room, filling: request.filling)
    }

    /// Whether a triggered pending order fits under the limit now (an
    /// order placed under it always does; a RETURN remainder may not).
    func pendingFits(_ order: Order) -> Bool {
        guard symbols[Int(order.symbolID)].volumeLimit > 0 else { return true }
        let side = order.type.side
        return addingVolume(symbolID: order.symbolID, side: side, volume: order.volume)
            <= volumeRoom(symbolID: order.symbolID, side: side, excluding: order.ticket)
    }

    /// The remainder of a RETURN market order: a limit order at the deal's
    /// price with the request's levels, good till canceled.
    func returnRemainder(_ request: OrderRequest, volume: Int64, price: Int64) -> Order {
        Order(
            ticket: nextTicket, symbolID: request.symbolID,
            type: request.type.side == .buy ? .buyLimit : .sellLimit, state: .placed,
            volume: volume, price: price, stopLimit: 0, sl: request.sl, tp: request.tp,
            expiration: 0, timeSetup: now, trailingPoints: request.trailingPoints, magic: request.magic)
    }

    private func limitError(_ spec: SymbolSpec, side: Side, volume: Int64, room: Int64, filling: OrderFilling)
        -> HQTError
    {
        let what = filling == .fok ? "all of" : "the minimum volume of"
        return HQTError(
            .limitVolume,
            "\(spec.name): volume_limit \(FixedPoint.format(spec.volumeLimit)) lots per direction leaves \(FixedPoint.format(max(0, room))) lots for \(side == .buy ? "buys" : "sells"), not \(what) \(FixedPoint.format(volume)) lots (filling \(filling.name))"
        )
    }
}

extension SymbolSpec {
    /// The volume limit in the configuration fingerprint, only when set.
    func writeVolumeLimit(into w: ByteWriter) {
        guard volumeLimit != 0 else { return }
        w.u8(0xC7)  // tag: volume_limit follows (0xC1-0xC6 are calc, swaps, rollover, commission, rules, sessions)
        w.i64(volumeLimit)
    }
}
