/// Positions, pending orders and the history of everything traded. One
/// owner: changes arrive only as `LedgerOp`s through `Engine.apply`, so a
/// recovered engine rebuilds the same book from the journal.
struct Book {
    /// Open positions. Their `profit` field is refreshed only when read
    /// through `Engine.positions`, so the tick path never writes here.
    var positions: [Position] = []
    var orders: [Order] = []
    var orderHistory: [Order] = []
    var deals: [Deal] = []
    var trades: [Trade] = []
    var nextTicket: UInt64 = 1

    mutating func takeTicket() -> UInt64 {
        defer { nextTicket += 1 }
        return nextTicket
    }

    func positionIndex(ticket: UInt64) -> Int? { positions.firstIndex { $0.ticket == ticket } }
    func orderIndex(ticket: UInt64) -> Int? { orders.firstIndex { $0.ticket == ticket } }

    /// What applying a fill did to the position it touched.
    /// (The account's used margin is recomputed from the per-symbol
    /// aggregates after every fill: Engine+Margin.swift.)
    struct FillEffect {
        var event: PositionEvent
        /// The position as it was before the deal; nil when the deal opened it.
        var before: Position?
        /// The order was a pending one (it left `orders`).
        var removedOrder = false
    }

    /// Applies a deal: the order leaves the book for the history, the deal
    /// and the round trip it closed are recorded, the position is opened,
    /// changed or closed.
    /// Inlined into `Engine.apply(fill:)`, its one caller, with the index
    /// update that reads the effect: returning and passing a position
    /// copies it field by field.
    @inline(__always)
    mutating func apply(_ fill: Fill) -> FillEffect {
        var effect = FillEffect(event: .opened)
        if let i = orderIndex(ticket: fill.order.ticket) {
            orders.remove(at: i)
            effect.removedOrder = true
        }
        Book.record(fill.order, in: &orderHistory)
        Book.record(fill.deal, in: &deals)
        if let i = positionIndex(ticket: fill.positionTicket) {
            effect.before = positions[i]
            if let after = fill.position {
                effect.event =
                    after.volume < positions[i].volume && after.side == positions[i].side
                    ? .partiallyClosed : .modified
                positions[i] = after
            } else {
                effect.event = .closed
                positions.remove(at: i)
            }
        } else if let after = fill.position {
            positions.append(after)
        }
        if let trade = fill.trade { Book.record(trade, in: &trades) }
        nextTicket = max(nextTicket, fill.deal.ticket + 1, fill.order.ticket + 1)
        return effect
    }

    /// Appends to a history, growing it eightfold rather than twofold:
    /// each growth copies the whole history (over 100 bytes a record), and
    /// with doubling every record was copied about once more on average,
    /// a third of a market order's cost. Capacity not yet written is only
    /// reserved address space (its pages are committed when written, huge
    /// ones once it is large).
    @inline(__always)
    static func record<T>(_ item: T, in history: inout [T]) {
        if history.count == history.capacity {
            history.reserveCapacity(max(history.count * 8, 1024))
            HugePages.advise(&history)  // the records still to come: fewer page faults
        }
        history.append(item)
    }

    /// New SL/TP/trailing distance of a position; nil if it is not open.
    mutating func modifyPosition(ticket: UInt64, sl: Int64, tp: Int64, trailingPoints: Int64) -> Position? {
        guard let i = positionIndex(ticket: ticket) else { return nil }
        positions[i].sl = sl
        positions[i].tp = tp
        positions[i].trailingPoints = trailingPoints
        return positions[i]
    }

    mutating func place(_ order: Order) {
        orders.append(order)
        nextTicket = max(nextTicket, order.ticket + 1)
    }

    /// Replaces a pending order's terms; false if it is not pending.
    mutating func replace(_ order: Order) -> Bool {
        guard let i = orderIndex(ticket: order.ticket) else { return false }
        orders[i] = order
        return true
    }

    /// A pending order leaves the book without a fill; nil if not pending.
    mutating func remove(ticket: UInt64, state: OrderState) -> Order? {
        guard let i = orderIndex(ticket: ticket) else { return nil }
        var order = orders.remove(at: i)
        order.state = state
        Book.record(order, in: &orderHistory)
        return order
    }
}
