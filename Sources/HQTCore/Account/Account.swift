/// The trading account: money and margin, and the levels at which a margin
/// call and a stop-out happen. One owner: only `Engine.apply` (through the
/// ledger) and the tick path's floating-profit refresh change it.
struct Account {
    let currency: String
    let initialBalance: Int64
    let leverage: Int64
    var mode: AccountMode = .hedging
    /// Percent × 1e6.
    var marginCallLevel: Int64 = 100 * FixedPoint.scale
    var stopOutLevel: Int64 = 50 * FixedPoint.scale
    /// Digits booked money is rounded to (Engine+CurrencyDigits.swift), and
    /// the matching step in micro units (10^(6 - digits)).
    var currencyDigits: Int32 {
        didSet { moneyUnit = Account.unit(digits: currencyDigits) }
    }
    private(set) var moneyUnit: Int64

    static func unit(digits: Int32) -> Int64 {
        var unit: Int64 = 1
        for _ in 0..<(6 - Int(min(max(digits, 0), 6))) { unit *= 10 }
        return unit
    }
    /// What the two levels mean (Engine+TradingRules.swift).
    var stopOutMode: StopOutMode = .percent

    var balance: Int64
    /// Deposits minus withdrawals since the start (not profit).
    var netDeposits: Int64 = 0
    /// Sum of the open positions' floating profit at the current quotes.
    var floatingProfit: Int64 = 0
    var usedMargin: Int64 = 0
    var marginCallActive = false
    /// Equity at or below which the exact margin-level check must run;
    /// above it neither margin call nor stop-out is possible, so the tick
    /// path compares one number instead of two 128-bit products.
    var marginCheckEquity: Int64 = .min

    init(currency: String, initialBalance: Int64, leverage: Int64) {
        self.currency = currency
        self.initialBalance = initialBalance
        self.leverage = leverage
        self.balance = initialBalance
        self.currencyDigits = Engine.defaultCurrencyDigits(currency)
        self.moneyUnit = Account.unit(digits: currencyDigits)
    }

    @inline(__always) var equity: Int64 { balance &+ floatingProfit }
    var freeMargin: Int64 { equity - usedMargin }

    /// Percent × 1e6; 0 while no margin is used.
    var marginLevel: Int64 {
        usedMargin > 0 ? FixedPoint.mulDiv(equity, 100 * FixedPoint.scale, usedMargin) : 0
    }

    /// equity / margin × 100% <= level, compared without division; in
    /// money mode free margin <= level (money × 1e6).
    @inline(__always)
    func marginLevelAtOrBelow(_ level: Int64) -> Bool {
        guard stopOutMode == .percent else {
            return usedMargin > 0 && (balance &+ floatingProfit) &- usedMargin <= level
        }
        return usedMargin > 0 && Int128(balance &+ floatingProfit) * 100_000_000 <= Int128(level) * Int128(usedMargin)
    }

    /// Whether the tick path must run the exact margin checks.
    @inline(__always)
    var needsMarginCheck: Bool { balance &+ floatingProfit <= marginCheckEquity || marginCallActive }

    /// Re-derives `marginCheckEquity` after the margin changed. While
    /// replaying, every event's margin check runs (recovery must visit the
    /// stop-out records of each event).
    mutating func updateMarginCheckEquity(replaying: Bool) {
        if replaying {
            marginCheckEquity = .max
            return
        }
        guard usedMargin > 0 else {
            marginCheckEquity = .min
            return
        }
        // Money mode: free margin <= level is equity <= level + margin (both
        // bounded by the validated ranges, so the sum cannot overflow).
        marginCheckEquity =
            stopOutMode == .money
            ? max(marginCallLevel, stopOutLevel) + usedMargin + 1
            : FixedPoint.mulDiv(max(marginCallLevel, stopOutLevel), usedMargin, 100_000_000) + 1
    }
}
