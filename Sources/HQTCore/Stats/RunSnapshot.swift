/// What a run's results and statistics read, taken at one moment.
///
/// The lists are the engine's own arrays, shared copy-on-write: taking a
/// snapshot is O(1) whatever the run's length (no list is copied; the
/// engine's next append to a shared list copies it once, if the snapshot is
/// still alive then). A snapshot never changes afterwards, so it keeps
/// showing its run after the engine runs more, is reset, recovered or
/// destroyed. `statistics(report:)` (Statistics.swift) computes the
/// summary from it alone.
public struct RunSnapshot: Sendable {
    public let deals: [Deal]
    public let trades: [Trade]
    /// Every finished order with its final state.
    public let orderHistory: [Order]
    /// The orders still pending.
    public let orders: [Order]
    /// Open positions, their profit at the quotes of the moment.
    public let positions: [Position]
    public let equityCurve: [EquityPoint]
    public let initialBalance: Int64
    public let balance: Int64
    public let equity: Int64
    /// Deposits minus withdrawals since the start.
    public let netDeposits: Int64
    /// Tracked on every event (the curve only has samples).
    public let maxDrawdown: Int64
    public let maxDrawdownPct: Double
    public let ticksProcessed: Int64
    public let barsProcessed: Int64
}

extension Engine {
    /// The results of the run so far (O(1) but for the open positions, whose
    /// floating profit is computed now).
    public func runSnapshot() -> RunSnapshot {
        RunSnapshot(
            deals: book.deals, trades: book.trades, orderHistory: book.orderHistory, orders: book.orders,
            positions: positions, equityCurve: stats.equityCurve, initialBalance: initialBalance,
            balance: balance, equity: equity, netDeposits: accountState.netDeposits,
            maxDrawdown: stats.maxDrawdown, maxDrawdownPct: stats.maxDrawdownPct,
            ticksProcessed: stats.ticksProcessed, barsProcessed: stats.barsProcessed)
    }

    /// The run's statistics; `report: false` leaves the MT5 report
    /// (`Statistics.report`) at its defaults, for callers that don't read it
    /// (it walks the trades and the equity curve again).
    public func statistics(report withReport: Bool = true) -> Statistics {
        runSnapshot().statistics(report: withReport)
    }
}
