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
    /// How margin and profit are computed (MT5's SYMBOL_TRADE_CALC_MODE).
    public var calcMode: CalcMode = .forex
    /// Multiplier of the margin × 1e6 (MT5's margin rate; 1.0 by default).
    public var marginRate: Int64 = FixedPoint.scale
    /// Margin-currency money × 1e6 per lot to open a position; when > 0 it
    /// replaces the mode's formula (futures always use it).
    public var marginInitial: Int64 = 0
    /// Margin-currency money × 1e6 per lot held by an open position; 0:
    /// the initial margin is held.
    public var marginMaintenance: Int64 = 0
    /// Smallest price change × 1e6 (futures and CFD-index formulas).
    public var tickSize: Int64 = 0
    /// Profit-currency money × 1e6 of one tick_size move of one lot.
    public var tickValue: Int64 = 0
    /// Contract units × 1e6 charged per fully hedged lot in a hedging
    /// account (MT5's SYMBOL_MARGIN_HEDGED); nil: each position is charged
    /// on its own (HQT's rule in 0.1).
    public var marginHedged: Int64? = nil
    /// Charge only the larger leg (buys or sells) of the symbol's positions.
    public var marginHedgedUseLeg: Bool = false
    public var volumeMin: Int64 = 10_000
    public var volumeStep: Int64 = 10_000
    public var volumeMax: Int64 = 100 * FixedPoint.scale
    /// Money × 1e6 charged per lot on every charged deal (in
    /// `commissionCurrency`; see Engine+Commission.swift).
    public var commissionPerLot: Int64 = 0
    /// Money × 1e6 charged once per charged deal, whatever its volume.
    public var commissionPerDeal: Int64 = 0
    /// Percent × 1e6 of the deal's turnover (volume × contract × price, in
    /// the profit currency).
    public var commissionPercent: Int64 = 0
    /// Which deals are charged: entries, exits or both (the default).
    public var commissionEntry: CommissionEntry = .both
    /// Currency of the per-lot and per-deal amounts.
    public var commissionCurrency: CommissionCurrency = .deposit
    /// Price × 1e6 added to a bar's bid prices to get ask prices.
    public var spread: Int64 = 0
    /// Swaps (MT5's SYMBOL_SWAP_MODE / _LONG / _SHORT / _ROLLOVER3DAYS):
    /// charged at every rollover to open positions (Engine+Swaps.swift).
    public var swapMode: SwapMode = .disabled
    /// Swap of a buy / sell × 1e6, in the unit of `swapMode` (points,
    /// money per lot, or annual percent).
    public var swapLong: Int64 = 0
    public var swapShort: Int64 = 0
    /// Weekday (0 = Sunday) whose rollover charges three days.
    public var swapRollover3days: Int32 = 3
    /// MT5's SYMBOL_TRADE_STOPS_LEVEL: the minimum distance in points
    /// between the market and SL, TP or a pending price (0: none). See
    /// Engine+TradingRules.swift for what is checked against which price.
    public var stopsLevel: Int64 = 0
    /// MT5's SYMBOL_TRADE_FREEZE_LEVEL: within this many points of the
    /// market, a position's SL/TP and a pending order are frozen (0: none).
    public var freezeLevel: Int64 = 0
    /// MT5's trade sessions (SymbolInfoSessionTrade): when orders are
    /// accepted and pending orders trigger; empty: always.
    public var tradeSessions: [TradeSession] = []
    /// MT5's SYMBOL_VOLUME_LIMIT: the most lots × 1e6 of open positions and
    /// pending orders in one direction (0: none); the volume the filling
    /// policies fill against (Engine+Filling.swift).
    public var volumeLimit: Int64 = 0
    /// MT5's quote sessions (SymbolInfoSessionQuote): a loaded or processed
    /// tick outside them is skipped (MT5 has no quotes then); empty: always.
    public var quoteSessions: [TradeSession] = []

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

    /// The 0.1 setting: `.forex` and `.cfd` map to the calc modes of the
    /// same name; reads `.cfd` for every mode but forex.
    public var marginMode: MarginMode {
        get { calcMode == .forex ? .forex : .cfd }
        set { calcMode = newValue == .forex ? .forex : .cfd }
    }

    /// Profit per price unit per lot, × 1e6: the contract size, or for
    /// futures tick_value / tick_size (rounded to 1e-6).
    var profitMultiplier: Int64 {
        calcMode == .futures && tickSize > 0 ? FixedPoint.mulDiv(tickValue, FixedPoint.scale, tickSize) : contractSize
    }

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
        guard commissionPerDeal >= 0, commissionPerDeal <= 1_000_000 * FixedPoint.scale else {
            throw bad("commission per deal must be >= 0 and <= 1e6")
        }
        guard commissionPercent >= 0, commissionPercent <= 100 * FixedPoint.scale else {
            throw bad("commission percent must be 0...100, got \(FixedPoint.format(commissionPercent))")
        }
        guard spread >= 0, spread <= Engine.maxPrice else { throw bad("spread must be >= 0") }
        // Levels in points; 1e9 points of a 0-digit symbol is the price limit.
        for (field, value) in [("stops_level", stopsLevel), ("freeze_level", freezeLevel)] {
            guard value >= 0, value <= 1_000_000_000 else { throw bad("\(field) must be 0...1e9 points, got \(value)") }
        }
        guard volumeLimit >= 0, volumeLimit <= 1_000_000_000 * FixedPoint.scale else {
            throw bad("volume_limit must be 0...1e9 lots (0: none), got \(FixedPoint.format(volumeLimit))")
        }
        for (kind, sessions) in [("trade", tradeSessions), ("quote", quoteSessions)] {
            guard sessions.count <= 7 * 64 else { throw bad("at most 448 \(kind) sessions") }
            for t in sessions {
                guard (0...6).contains(t.weekday), t.start >= 0, t.start < t.end, t.end <= 86_400 else {
                    throw bad(
                        "\(kind) session (\(t.weekday), \(t.start), \(t.end)) needs weekday 0...6 (0 = Sunday) and 0 <= start < end <= 86400 seconds"
                    )
                }
            }
        }
        try validateCalc(bad)
        try validateSwap(bad)
    }

    /// The swap fields: values within ±1e6 of their unit (points, money
    /// per lot or percent), so a charge stays far inside the exact range.
    private func validateSwap(_ bad: (String) -> HQTError) throws(HQTError) {
        for (field, value) in [("swap_long", swapLong), ("swap_short", swapShort)] {
            guard value >= -1_000_000 * FixedPoint.scale, value <= 1_000_000 * FixedPoint.scale else {
                throw bad("\(field) must be within ±1e6, got \(FixedPoint.format(value))")
            }
        }
        guard (0...6).contains(swapRollover3days) else {
            throw bad("swap_rollover3days must be a weekday 0...6 (0 = Sunday), got \(swapRollover3days)")
        }
    }

    /// The calculation-mode fields (docs/engine.md, "Calculation modes").
    private func validateCalc(_ bad: (String) -> HQTError) throws(HQTError) {
        let limit = 1_000_000_000 * FixedPoint.scale
        guard marginRate >= 0, marginRate <= 1_000 * FixedPoint.scale else {
            throw bad("margin_rate must be 0...1000, got \(FixedPoint.format(marginRate))")
        }
        for (field, value) in [
            ("margin_initial", marginInitial), ("margin_maintenance", marginMaintenance),
            ("tick_value", tickValue),
        ] {
            guard value >= 0, value <= limit else {
                throw bad("\(field) must be 0...1e9, got \(FixedPoint.format(value))")
            }
        }
        guard tickSize >= 0, tickSize <= Engine.maxPrice else {
            throw bad("tick_size must be 0...1e9, got \(FixedPoint.format(tickSize))")
        }
        if calcMode.usesTicks {
            guard tickSize > 0, tickValue > 0 else {
                throw bad(
                    "calc_mode '\(calcMode.name)' needs tick_size > 0 and tick_value > 0 (MT5's TickSize and TickPrice)"
                )
            }
            let multiplier = FixedPoint.mulDiv(tickValue, FixedPoint.scale, tickSize)
            guard multiplier > 0, multiplier <= limit else {
                throw bad(
                    "tick_value / tick_size is \(FixedPoint.format(multiplier)) per price unit per lot; it must be 1e-6...1e9"
                )
            }
        }
        if let hedged = marginHedged {
            guard hedged >= 0, hedged <= limit else {
                throw bad("margin_hedged must be 0...1e9 contract units, got \(FixedPoint.format(hedged))")
            }
        }
    }
}

/// Which deals a symbol's commission is charged on (MT5 servers' "entry"
/// setting: in, out, or both sides of the round trip).
public enum CommissionEntry: Int32, Sendable, CaseIterable {
    case both = 0, `in` = 1, out = 2

    /// The name used by Python's `commission_entry=`.
    public var name: String {
        switch self {
        case .both: "both"
        case .in: "in"
        case .out: "out"
        }
    }
}

/// The currency a symbol's per-lot and per-deal commission is stated in.
public enum CommissionCurrency: Int32, Sendable, CaseIterable {
    /// The account's currency (0.1's only choice).
    case deposit = 0
    /// The symbol's profit currency, converted like a loss.
    case symbol = 1

    public var name: String { self == .deposit ? "deposit" : "symbol" }
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
    /// The symbol has quote sessions: its ticks are checked against them
    /// (Engine+QuoteSessions.swift).
    var quoteGated: Bool = false
    /// Earliest close time of those bars (the tick path's only check).
    var nextBarClose: Int64 = .min
    /// The symbol's open positions, summed (see TriggerIndex.swift).
    var exposure = Exposure()
}
