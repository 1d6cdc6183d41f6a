/// What strategies ask on every tick (am I flat, how much do I hold, what is
/// my equity), kept up to date in raw memory that native strategies read
/// with plain loads: the C ABI hands out its address (`hqt_state_view`,
/// include/hqt.h), the Python extension's cheap getters and numba-compiled
/// strategies read it too. Reading costs a load, not a call through the
/// handle table and the error path.
///
/// The layout is the C struct's, field for field (all 8-byte fields, so
/// Swift lays them out in declaration order with no padding; a test in
/// HQTCAPITests checks the offsets against the header's).
public struct HotState {
    /// Time of the last processed event (ns); 0 before the first.
    public var time: Int64 = 0
    public var balance: Int64 = 0
    public var equity: Int64 = 0
    /// Floating profit of the open positions (swap included).
    public var profit: Int64 = 0
    public var margin: Int64 = 0
    /// Open positions, all symbols.
    public var positions: Int64 = 0
    /// Pending orders, all symbols.
    public var orders: Int64 = 0
    /// +1 on every change to the book or the account by a ledger operation
    /// (deal, order placed/modified/removed, SL/TP change, deposit, swap):
    /// a cache of the position list is valid while it is unchanged.
    public var bookVersion: UInt64 = 0
    /// Symbols added; `symbols` has this many rows.
    public var symbolCount: Int64 = 0
    /// Per-symbol rows, indexed by symbol id. Moves when a symbol is added
    /// (never during a run).
    public var symbols: UnsafeMutablePointer<HotSymbol>?
}

/// One symbol's open positions, summed.
public struct HotSymbol {
    public var positions: Int64 = 0
    /// Volumes × 1e6 (micro lots).
    public var buyVolume: Int64 = 0
    public var sellVolume: Int64 = 0
    /// buyVolume − sellVolume: > 0 long, < 0 short, 0 flat or hedged even.
    public var netVolume: Int64 = 0
}

extension Engine {
    /// Re-derives the book and account fields from the owners; called after
    /// every change to the book (with the trigger index), so O(symbols) per
    /// ledger operation and never per tick.
    func refreshHotBook() {
        refreshHotAccount()
        for i in 0..<symbols.count { refreshHotRow(i) }
    }

    /// The account and book counters, without the per-symbol rows (a deal
    /// that changed one symbol refreshed its row with the index).
    func refreshHotAccount() {
        let h = hot
        syncHot()
        h.pointee.balance = accountState.balance
        h.pointee.margin = accountState.usedMargin
        h.pointee.positions = Int64(book.positions.count)
        h.pointee.orders = Int64(book.orders.count)
        h.pointee.bookVersion &+= 1
        h.pointee.symbolCount = Int64(symbols.count)
    }

    /// A symbol's row from its open positions' aggregates.
    @inline(__always)
    func refreshHotRow(_ i: Int) {
        guard let rows = hot.pointee.symbols else { return }
        let x = quotes[i].exposure
        rows[i] = HotSymbol(
            positions: Int64(x.count), buyVolume: x.buyVolume, sellVolume: x.sellVolume,
            netVolume: x.buyVolume &- x.sellVolume)
    }

    /// The fields that move with every event (clock, floating profit,
    /// equity), copied right before the engine hands control to a strategy
    /// (each callback), after every ledger operation and when a run or an
    /// event ends: the tick loop itself stores nothing extra, so a run
    /// without a strategy pays nothing for the counters.
    @inline(__always)
    func syncHot() {
        let h = hot
        h.pointee.time = currentTime == .min ? 0 : currentTime
        h.pointee.profit = accountState.floatingProfit
        h.pointee.equity = accountState.equity
    }

    /// Per-symbol rows for `capacity` symbols (the quotes' capacity).
    static func allocateHotSymbols(_ capacity: Int) -> UnsafeMutablePointer<HotSymbol> {
        let rows = UnsafeMutablePointer<HotSymbol>.allocate(capacity: capacity)
        rows.initialize(repeating: HotSymbol(), count: capacity)
        return rows
    }
}
