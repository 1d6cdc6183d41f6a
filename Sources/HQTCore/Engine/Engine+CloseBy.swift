/// Close By (hedging accounts): two opposite positions of one symbol close
/// against each other (MT5's TRADE_ACTION_CLOSE_BY, "close a position by an
/// opposite one": https://www.mql5.com/en/docs/constants/tradingconstants/enum_trade_request_actions).
///
/// The smaller volume of the two is closed on both; each gets a deal with
/// entry OUT_BY (DEAL_ENTRY_OUT_BY = 3,
/// https://www.mql5.com/en/docs/constants/tradingconstants/dealproperties).
/// Both deals are at the open price of `byTicket`'s position, so the pair
/// books exactly the price difference it locked in and pays no spread a
/// second time: `ticket`'s position takes all of it, `byTicket`'s books 0.
/// Commission is charged on each deal as on any exit (commission_entry
/// "out" or "both"). Each deal is its own ledger record (two POSITION_CLOSE
/// records), computed and checked before the first is committed.
extension Engine {
    public func closeBy(ticket: UInt64, byTicket: UInt64) throws(HQTError) {
        try checkTradingAllowed()
        guard accountMode == .hedging else {
            throw HQTError(.state, "close_by needs a hedging account (netting keeps one position per symbol)")
        }
        guard let ia = book.positionIndex(ticket: ticket) else {
            throw HQTError(.unknownTicket, "no open position with ticket \(ticket)")
        }
        guard let ib = book.positionIndex(ticket: byTicket) else {
            throw HQTError(.unknownTicket, "no open position with ticket \(byTicket)")
        }
        let a = book.positions[ia], b = book.positions[ib]
        guard ticket != byTicket else {
            throw HQTError(.invalidArgument, "close_by needs two different positions, got \(ticket) twice")
        }
        guard a.symbolID == b.symbolID else {
            throw HQTError(
                .invalidArgument,
                "close_by needs positions of one symbol: \(ticket) is \(symbols[Int(a.symbolID)].name), \(byTicket) is \(symbols[Int(b.symbolID)].name)"
            )
        }
        guard a.side != b.side else {
            throw HQTError(
                .invalidArgument,
                "close_by needs opposite positions: \(ticket) and \(byTicket) are both \(a.side == .buy ? "buys" : "sells")"
            )
        }
        try checkConvertible(symbols[Int(a.symbolID)].profitCurrency)
        let volume = min(a.volume, b.volume)
        let price = b.openPrice
        var first = try closeFill(a, volume: volume, price: price, reason: .client)
        first.deal.entry = .outBy
        // The second deal follows the first: its tickets and balance come
        // after the first's.
        let order = Order(
            ticket: first.deal.ticket + 1, symbolID: b.symbolID, type: b.side == .buy ? .sell : .buy,
            state: .filled, volume: volume, price: 0, stopLimit: 0, sl: 0, tp: 0, expiration: 0,
            timeSetup: now, trailingPoints: 0, magic: b.magic)
        var second = try reduceFill(
            b, order: order, dealTicket: first.deal.ticket + 2, volume: volume, price: price, reason: .client)
        second.deal.entry = .outBy
        second.deal.balance = try Engine.balance(
            after: [first.deal.balance, second.deal.profit, second.deal.commission], "closing position \(byTicket)")
        try commit(fill: first)
        try commit(fill: second)
    }
}
