/// Contract specification of a tradable symbol (all numbers in SPEC units).
public struct SymbolSpec: Sendable, Equatable {
    public var name: String
    public var baseCurrency: String
    public var profitCurrency: String
    /// Currency the margin is computed in; the base currency when empty.
    public var marginCurrency: String
    /// Units per lot × 1e6 (a standard forex lot: 100 000 units).
    public var contractSize: Int64 = 100_000 * FixedPoint.scale
    /// Price digits (0...6); one point is 10^-digits.
    public var digits: Int32 = 5
    public var marginMode: MarginMode = .forex
    public var volumeMin: Int64 = 10_000
    public var volumeStep: Int64 = 10_000
    public var volumeMax: Int64 = 100 * FixedPoint.scale
    /// Account money × 1e6 charged per lot on every deal (each side).
    public var commissionPerLot: Int64 = 0
    /// Price × 1e6 added to a bar's bid prices to get ask prices.
    public var spread: Int64 = 0

    public init(name: String, baseCurrency: String, profitCurrency: String, marginCurrency: String = "") {
        self.name = name
        self.baseCurrency = baseCurrency
        self.profitCurrency = profitCurrency
        self.marginCurrency = marginCurrency
    }

    /// One point in micro units (10^(6 - digits)).
    public var point: Int64 {
        var p: Int64 = 1
        for _ in 0..<(6 - Int(digits)) { p *= 10 }
        return p
    }

    var effectiveMarginCurrency: String { marginCurrency.isEmpty ? baseCurrency : marginCurrency }

    /// Checks the spec; the message names the offending field.
    func validate() throws(HQTError) {
        func bad(_ message: String) -> HQTError {
            HQTError(.invalidArgument, "symbol \(name.isEmpty ? "(unnamed)" : name): \(message)")
        }
        guard !name.isEmpty, name.utf8.count < 32 else { throw bad("name must be 1 to 31 bytes") }
        for (field, code) in [("base currency", baseCurrency), ("profit currency", profitCurrency)] {
            guard Engine.isCurrencyCode(code) else { throw bad("\(field) '\(code)' is not a 3-letter currency code") }
        }
        guard marginCurrency.isEmpty || Engine.isCurrencyCode(marginCurrency) else {
            throw bad("margin currency '\(marginCurrency)' is not a 3-letter currency code")
        }
        guard contractSize > 0, contractSize <= 1_000_000_000 * FixedPoint.scale else {
            throw bad("contract size must be > 0 and <= 1e9")
        }
        guard (0...6).contains(digits) else { throw bad("digits must be 0...6") }
        guard volumeStep > 0 else { throw bad("volume step must be > 0") }
        guard volumeMin > 0, volumeMin <= volumeMax else { throw bad("volume min must be > 0 and <= volume max") }
        guard volumeMax <= 1_000_000 * FixedPoint.scale else { throw bad("volume max must be <= 1e6 lots") }
        guard commissionPerLot >= 0, commissionPerLot <= 1_000_000 * FixedPoint.scale else {
            throw bad("commission per lot must be >= 0 and <= 1e6")
        }
        guard spread >= 0, spread <= Engine.maxPrice else { throw bad("spread must be >= 0") }
    }
}

/// How an amount in some currency becomes account currency.
enum ConversionRoute: Equatable {
    case identity
    /// Multiply by the rate of symbol `id` (its base is the source currency).
    case multiply(UInt32)
    /// Divide by the rate of symbol `id` (its profit currency is the source).
    case divide(UInt32)
}

/// The per-symbol data the tick path touches, kept in a raw buffer indexed
/// by symbol id: the last quote and what profit computation needs.
struct SymbolState {
    var bid: Int64 = 0
    var ask: Int64 = 0
    var time: Int64 = 0
    var contractSize: Int64 = 0
    /// contractSize / 1e6 when that is whole (every realistic spec), else 0.
    var contractUnits: Int64 = 0
    /// One point in micro units (for trailing stops).
    var point: Int64 = 1
    /// Resolved when the first order on the symbol is accepted.
    var profitRoute: ConversionRoute = .identity
    /// Trigger bounds: the nearest price at which any SL, TP or pending
    /// order of this symbol acts (see TriggerIndex.swift). Between them the
    /// tick path skips all order and position checks.
    var triggerLowBid: Int64 = .min
    var triggerHighBid: Int64 = .max
    var triggerLowAsk: Int64 = .min
    var triggerHighAsk: Int64 = .max
    /// Earliest expiration of a pending order on the symbol.
    var nextExpiration: Int64 = .max
    /// Positions with a trailing stop: checked on every event.
    var trailingStops: Int32 = 0
    /// Bars being built from this symbol's ticks.
    var builders: Int32 = 0
    /// Earliest close time of those bars (the tick path's only check).
    var nextBarClose: Int64 = .min
    /// The symbol's open positions, summed (see TriggerIndex.swift).
    var exposure = Exposure()
}
