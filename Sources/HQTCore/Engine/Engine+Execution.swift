/// Turning an accepted order into a `Fill`: tickets, prices, profit,
/// commission and margin, computed without changing anything.
extension Engine {
    /// The fill of a triggered pending order at `price`, or nil when free
    /// margin is short (the order is then rejected, not an error).
    func marketFill(
        order: Order, reason: DealReason, price: Int64, rejectOnNoMoney: Bool
    ) throws(HQTError) -> Fill? {
        do throws(HQTError) {
            return try marketFill(order: order, reason: reason, price: price)
        } catch {
            // Only the margin check throws noMoney (see below).
            if rejectOnNoMoney && error.code == .noMoney { return nil }
            throw error
        }
    }

    /// The fill of a market order (or a triggered pending order) at
    /// `price`; not enough free margin throws noMoney. Not optional: every
    /// market order comes here, and returning a fill (some 360 bytes) in
    /// an optional costs it three more copies.
    func marketFill(order input: Order, reason: DealReason, price: Int64) throws(HQTError) -> Fill {
        var order = input
        let isNew = order.ticket == 0
        order.ticket = isNew ? nextTicket : order.ticket
        order.state = .filled
        let dealTicket = isNew ? nextTicket + 1 : nextTicket
        let side = order.type.side
        let volume = order.volume
        let time = now

        func noMoney(_ needed: Int64) throws(HQTError) -> Fill {
            throw HQTError(
                .noMoney,
                "not enough money: \(symbols[Int(order.symbolID)].name) \(FixedPoint.format(volume)) lots need margin \(FixedPoint.format(needed)), free margin is \(FixedPoint.format(freeMargin))"
            )
        }

        // Only a deal that raises the used margin needs free margin for it
        // (docs/engine.md, "Margin"): an opposite position the hedged rule
        // charges nothing more for is accepted at zero free margin.
        let netted = accountMode == .netting ? nettedPosition(order.symbolID) : nil
        let (needed, opening) = try marginIncrease(
            symbolID: order.symbolID, side: side, volume: volume, price: price, netted: netted)
        if needed > 0 && needed > freeMargin { return try noMoney(needed) }

        if let p = netted {
            if p.side == side {
                let fee = dealCommission(symbolID: order.symbolID, inVolume: volume, outVolume: 0, price: price)
                let extra = try heldMargin(
                    symbolID: order.symbolID, side: side, volume: volume, price: price, opening: opening)
                var after = p
                after.volume = p.volume + volume
                after.openPrice = Engine.weightedPrice(p.openPrice, p.volume, price, volume)
                after.margin = min(p.margin + extra, Engine.maxBalance)
                after.commission = p.commission + fee
                // MT5 netting: the latest order's levels replace the position's,
                // zeros deleting them (help: "Rules of Stop Loss and Take Profit
                // inheritance (netting)"); a partial close leaves them as they are.
                after.sl = order.sl
                after.tp = order.tp
                let deal = Deal(
                    ticket: dealTicket, order: order.ticket, position: p.ticket, symbolID: order.symbolID,
                    side: side, entry: .in, reason: reason, time: time, volume: volume, price: price,
                    commission: fee, profit: 0,
                    balance: try Engine.balance(after: balance, fee, 0, "adding to position \(p.ticket)"),
                    magic: order.magic)
                return Fill(order: order, deal: deal, positionTicket: p.ticket, position: after, trade: nil)
            }
            if volume <= p.volume {
                return try reduceFill(
                    p, order: order, dealTicket: dealTicket, volume: volume, price: price, reason: reason)
            }
            // Reversal: close all of `p`, open the excess the other way, one deal.
            let excess = volume - p.volume
            let margin = try heldMargin(
                symbolID: order.symbolID, side: side, volume: excess, price: price, opening: opening)
            // One deal, charged as an exit of p.volume and an entry of the
            // excess; the exit part (alone, capped by the whole) goes to the
            // closed trade, the rest stays with the new position.
            let fee = dealCommission(symbolID: order.symbolID, inVolume: excess, outVolume: p.volume, price: price)
            let closed = try closing(p, volume: p.volume, price: price)
            let closingFee = max(closed.exitFee, fee)
            // Built in one expression: a fill patched after construction is
            // copied whole (some 360 bytes) on every reversal.
            return Fill(
                order: order,
                deal: Deal(
                    ticket: dealTicket, order: order.ticket, position: p.ticket, symbolID: p.symbolID,
                    side: side, entry: .inOut, reason: reason, time: time, volume: volume,
                    price: price, commission: fee, profit: closed.profit,
                    balance: try Engine.balance(after: balance, closed.profit, fee, "reversing position \(p.ticket)"),
                    magic: order.magic),
                positionTicket: p.ticket,
                position: Position(
                    ticket: p.ticket, symbolID: order.symbolID, side: side, volume: excess,
                    openPrice: price, openTime: time, sl: order.sl, tp: order.tp,
                    trailingPoints: order.trailingPoints, profit: 0, margin: margin,
                    commission: fee - closingFee, magic: order.magic),
                trade: closedTrade(
                    p, volume: p.volume, price: price, time: time, commission: p.commission + closingFee,
                    profit: closed.profit, reason: reason))
        }

        let margin = try heldMargin(
            symbolID: order.symbolID, side: side, volume: volume, price: price, opening: opening)
        let fee = dealCommission(symbolID: order.symbolID, inVolume: volume, outVolume: 0, price: price)
        let position = Position(
            ticket: order.ticket, symbolID: order.symbolID, side: side, volume: volume,
            openPrice: price, openTime: time, sl: order.sl, tp: order.tp,
            trailingPoints: order.trailingPoints, profit: 0, margin: margin,
            commission: fee, magic: order.magic)
        let deal = Deal(
            ticket: dealTicket, order: order.ticket, position: order.ticket, symbolID: order.symbolID,
            side: side, entry: .in, reason: reason, time: time, volume: volume, price: price,
            commission: fee, profit: 0,
            balance: try Engine.balance(after: balance, fee, 0, "opening a position"), magic: order.magic)
        return Fill(order: order, deal: deal, positionTicket: order.ticket, position: position, trade: nil)
    }

    /// A netting account's position on a symbol (it holds at most one).
    @inline(__always)
    func nettedPosition(_ symbolID: UInt32) -> Position? {
        guard let i = book.positions.firstIndex(where: { $0.symbolID == symbolID }) else { return nil }
        return book.positions[i]
    }

    /// Closing `volume` of `p` at `price` through a new closing order
    /// (close(), SL, TP, stop-out).
    func closeFill(_ p: Position, volume: Int64, price: Int64, reason: DealReason) throws(HQTError) -> Fill {
        let order = Order(
            ticket: nextTicket, symbolID: p.symbolID, type: p.side == .buy ? .sell : .buy,
            state: .filled, volume: volume, price: 0, stopLimit: 0, sl: 0, tp: 0, expiration: 0,
            timeSetup: now, trailingPoints: 0, magic: p.magic)
        return try reduceFill(p, order: order, dealTicket: nextTicket + 1, volume: volume, price: price, reason: reason)
    }

    /// What taking `volume` (<= p.volume) off `p` at `price` books: the
    /// deal's profit (its share of the swap included), exit commission and
    /// the balance after them (the range check every closing deal passes).
    struct Closing {
        var profit: Int64
        var exitFee: Int64
        var swapShare: Int64
        var balance: Int64
    }

    @inline(__always)
    func closing(_ p: Position, volume: Int64, price: Int64) throws(HQTError) -> Closing {
        // The deal books its share of the position's swap, inside its profit
        // (Engine+Swaps.swift; HQT's deal and trade records have no swap field).
        let swapShare = volume == p.volume ? p.swap : FixedPoint.mulDiv(p.swap, volume, p.volume)
        // Booked profit: converted by its sign, then rounded to the account
        // currency's digits (Engine+CurrencyDigits.swift); the swap share is
        // rounded on its own, as MT5 books DEAL_SWAP apart from DEAL_PROFIT.
        let profit = Engine.clampMoney(
            Int128(
                bookedMoney(
                    self.profit(symbolID: p.symbolID, side: p.side, open: p.openPrice, close: price, volume: volume)))
                + Int128(bookedMoney(swapShare)))
        let exitFee = dealCommission(symbolID: p.symbolID, inVolume: 0, outVolume: volume, price: price)
        return Closing(
            profit: profit, exitFee: exitFee, swapShare: swapShare,
            balance: try Engine.balance(after: balance, profit, exitFee, "closing position \(p.ticket)"))
    }

    /// The round trip of `volume` of `p` closed at `price`.
    @inline(__always)
    func closedTrade(
        _ p: Position, volume: Int64, price: Int64, time: Int64, commission: Int64, profit: Int64, reason: DealReason
    ) -> Trade {
        Trade(
            position: p.ticket, symbolID: p.symbolID, side: p.side, volume: volume,
            openTime: p.openTime, openPrice: p.openPrice, closeTime: time, closePrice: price,
            commission: commission, profit: profit, closeReason: reason)
    }

    /// A deal taking `volume` (<= p.volume) off position `p`.
    func reduceFill(
        _ p: Position, order: Order, dealTicket: UInt64, volume: Int64, price: Int64,
        reason: DealReason
    ) throws(HQTError) -> Fill {
        let full = volume == p.volume
        let closed = try closing(p, volume: volume, price: price)
        let entryFee = full ? p.commission : FixedPoint.mulDiv(p.commission, volume, p.volume)
        let releasedMargin = full ? p.margin : FixedPoint.mulDiv(p.margin, volume, p.volume)
        let time = now
        var after: Position? = nil
        if !full {
            var rest = p
            rest.volume -= volume
            rest.margin -= releasedMargin
            rest.commission -= entryFee
            rest.swap -= closed.swapShare
            after = rest
        }
        var filledOrder = order
        filledOrder.state = .filled
        return Fill(
            order: filledOrder,
            deal: Deal(
                ticket: dealTicket, order: order.ticket, position: p.ticket, symbolID: p.symbolID,
                side: p.side.opposite, entry: .out, reason: reason, time: time, volume: volume,
                price: price, commission: closed.exitFee, profit: closed.profit, balance: closed.balance,
                magic: order.magic),
            positionTicket: p.ticket, position: after,
            trade: closedTrade(
                p, volume: volume, price: price, time: time, commission: entryFee + closed.exitFee,
                profit: closed.profit, reason: reason))
    }

    /// Volume-weighted average of two prices, rounded half away from zero.
    static func weightedPrice(_ p1: Int64, _ v1: Int64, _ p2: Int64, _ v2: Int64) -> Int64 {
        FixedPoint.divRoundWide(Int128(p1) * Int128(v1) + Int128(p2) * Int128(v2), Int128(v1) + Int128(v2))
    }
}
