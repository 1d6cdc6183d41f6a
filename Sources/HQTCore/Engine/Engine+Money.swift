/// Profit, margin, commission and currency conversion. One rule per
/// quantity, documented in docs/engine.md:
///   profit     = price difference × volume × contract size, in the profit
///                currency, converted at the rate unfavourable to the
///                trader: a profit at the converting symbol's bid when
///                multiplying and its ask when dividing, a loss at the
///                other side (ask / bid);
///   margin     = by the symbol's calc mode (Engine+Margin.swift);
///   commission = by the symbol's commission model (Engine+Commission.swift).
/// Booked amounts are then rounded to the account currency's digits
/// (Engine+CurrencyDigits.swift).
extension Engine {
    /// Route from `from` to the account currency, or a conversion error.
    func route(from: String) throws(HQTError) -> ConversionRoute {
        if let cached = routes[from] { return cached }
        let route: ConversionRoute
        if from == currency {
            route = .identity
        } else if let i = symbols.firstIndex(where: { $0.baseCurrency == from && $0.profitCurrency == currency }) {
            route = .multiply(UInt32(i))
        } else if let i = symbols.firstIndex(where: { $0.baseCurrency == currency && $0.profitCurrency == from }) {
            route = .divide(UInt32(i))
        } else {
            throw HQTError(
                .conversion,
                "no symbol converts \(from) to the account currency \(currency): add \(from)\(currency) or \(currency)\(from)"
            )
        }
        routes[from] = route
        return route
    }

    /// Checks that amounts in `from` can be converted now (route and quote).
    func checkConvertible(_ from: String) throws(HQTError) {
        switch try route(from: from) {
        case .identity: return
        case .multiply(let id), .divide(let id):
            guard quotes[Int(id)].bid > 0 else {
                throw HQTError(
                    .noPrice,
                    "\(symbols[Int(id)].name) has no quote yet, so \(from) cannot be converted to \(currency)")
            }
        }
    }

    /// Profit-currency money → account money (route must be resolvable),
    /// at the rate unfavourable to the trader. Turning a profit in X into
    /// account currency A sells X: XA's bid, or buying AX at its ask; a loss
    /// buys X: XA's ask, or selling AX at its bid. MT5 publishes the two
    /// results as SYMBOL_TRADE_TICK_VALUE_PROFIT and _LOSS ("calculated tick
    /// price for a profitable / losing position",
    /// https://www.mql5.com/en/docs/constants/environment_state/marketinfoconstants).
    @inline(__always)
    func convertProfit(_ amount: Int64, route: ConversionRoute) -> Int64 {
        switch route {
        case .identity: return amount
        case .multiply(let id):
            let q = quotes + Int(id)
            return FixedPoint.mulDiv(amount, amount >= 0 ? q.pointee.bid : q.pointee.ask, FixedPoint.scale)
        case .divide(let id):
            let q = quotes + Int(id)
            let rate = amount >= 0 ? q.pointee.ask : q.pointee.bid
            return rate > 0 ? FixedPoint.mulDiv(amount, FixedPoint.scale, rate) : 0
        }
    }

    /// Price difference × volume × contract size, in the profit currency.
    @inline(__always)
    static func rawProfit(side: Side, open: Int64, close: Int64, volume: Int64, contractSize: Int64) -> Int64 {
        let diff = side == .buy ? close - open : open - close
        // diff × volume × contract / 1e12, exact: volume × contract / 1e6 is
        // integral for every realistic spec, so try the cheap split first.
        let units = volume.multipliedReportingOverflow(by: contractSize)
        if !units.overflow, units.partialValue % FixedPoint.scale == 0 {
            return FixedPoint.mulDiv(diff, units.partialValue / FixedPoint.scale, FixedPoint.scale)
        }
        return FixedPoint.divRoundWide(Int128(diff) * Int128(volume) * Int128(contractSize), 1_000_000_000_000)
    }

    /// Realized or floating profit of `volume` of a position closed at
    /// `price`, in account money.
    @inline(__always)
    func profit(symbolID: UInt32, side: Side, open: Int64, close: Int64, volume: Int64) -> Int64 {
        // Fields read in place (a copy of the symbol's row is some 200
        // bytes). `contractSize` here is the profit multiplier: the contract
        // size, or tick_value / tick_size for futures (SymbolSpec.profitMultiplier).
        let state = quotes + Int(symbolID)
        let raw = Engine.rawProfit(
            side: side, open: open, close: close, volume: volume,
            contractSize: state.pointee.contractSize)
        return convertProfit(raw, route: state.pointee.profitRoute)
    }

    /// Resolves and caches the profit route of a symbol before its first
    /// trade; fails when its profit currency cannot be converted now.
    @inline(__always)
    func prepareProfitRoute(_ symbolID: UInt32) throws(HQTError) {
        let i = Int(symbolID)
        // Every order comes here: once resolved, only the quotes are checked,
        // inline (the full path, out of line, also names what is missing).
        if quotes[i].routesPrepared, let margin = quotes[i].marginRoute, hasQuote(quotes[i].profitRoute),
            hasQuote(margin), symbols[i].swapMode != .baseCurrency
        {
            return
        }
        try resolveRoutes(symbolID)
    }

    @inline(never)
    private func resolveRoutes(_ symbolID: UInt32) throws(HQTError) {
        let i = Int(symbolID)
        let spec = symbols[i]
        try checkConvertible(spec.profitCurrency)
        try checkConvertible(spec.effectiveMarginCurrency)
        // A base-currency swap is converted at every rollover: refuse the
        // first order now rather than fail at a rollover mid-run.
        if spec.swapMode == .baseCurrency { try checkConvertible(spec.baseCurrency) }
        quotes[i].profitRoute = try route(from: spec.profitCurrency)
        quotes[i].marginRoute = try route(from: spec.effectiveMarginCurrency)
        quotes[i].routesPrepared = true
    }

    /// Whether the symbol a route converts through has a quote.
    @inline(__always)
    func hasQuote(_ route: ConversionRoute) -> Bool {
        switch route {
        case .identity: return true
        case .multiply(let id), .divide(let id): return quotes[Int(id)].bid > 0
        }
    }

    /// Floating profit of an open position at the current quote.
    @inline(__always)
    func floatingProfit(of p: Position) -> Int64 {
        let q = quotes[Int(p.symbolID)]
        return profit(
            symbolID: p.symbolID, side: p.side, open: p.openPrice,
            close: p.side == .buy ? q.bid : q.ask, volume: p.volume)
    }

    /// Recomputes the account's floating profit from the per-symbol
    /// aggregates: O(symbols with positions), whatever the number of positions.
    /// Keeps it within ±`maxBalance`; false when the exact value is not (the
    /// tick path then stops with an error rather than compute on a wrapped value).
    @inline(__always)
    @discardableResult
    func refreshFloatingProfit() -> Bool {
        if activeSymbols.count == 1 {
            // One symbol with positions (the common case): no loop, one compare.
            return setFloatingProfit(exposureProfit(quotes + Int(activeSymbols.base[0])) &+ openSwap)
        }
        // Open swaps are part of the floating result (Engine+Swaps.swift).
        var total: Int64 = openSwap
        var inRange = true
        let active = activeSymbols.base
        for i in 0..<activeSymbols.count {
            let (sum, overflow) = total.addingReportingOverflow(exposureProfit(quotes + Int(active[i])))
            if overflow { inRange = false }
            total = overflow ? (sum < 0 ? .max : .min) : sum
        }
        return setFloatingProfit(total) && inRange
    }

    /// Stores `value` clamped to ±`maxBalance`; false if it had to be clamped.
    @inline(__always)
    private func setFloatingProfit(_ value: Int64) -> Bool {
        // One unsigned compare for -maxBalance...maxBalance.
        if UInt64(bitPattern: value &+ Engine.maxBalance) <= UInt64(2 * Engine.maxBalance) {
            accountState.floatingProfit = value
            return true
        }
        accountState.floatingProfit = value > 0 ? Engine.maxBalance : -Engine.maxBalance
        return false
    }

    /// Floating profit of all of a symbol's open positions, in account money.
    /// Each side's sum is converted by its own sign (a profit at the
    /// favourable rate's side, a loss at the other), so hedged legs are not
    /// netted before conversion; positions of one side are converted
    /// together (their net sign decides), which keeps this O(1) per symbol.
    @inline(__always)
    func exposureProfit(_ q: UnsafeMutablePointer<SymbolState>) -> Int64 {
        var total: Int64 = 0
        // Products of two Int64 cannot overflow 128 bits, and the sums stay
        // far inside them: wrapping arithmetic skips the overflow checks.
        if q.pointee.exposure.buyVolume > 0 {
            let raw = Engine.aggregateProfit(
                Int128(q.pointee.bid) &* Int128(q.pointee.exposure.buyVolume)
                    &- q.pointee.exposure.buyCost, units: q.pointee.contractUnits,
                contractSize: q.pointee.contractSize)
            total = convertProfit(raw, route: q.pointee.profitRoute)
        }
        if q.pointee.exposure.sellVolume > 0 {
            let raw = Engine.aggregateProfit(
                q.pointee.exposure.sellCost
                    &- Int128(q.pointee.ask) &* Int128(q.pointee.exposure.sellVolume),
                units: q.pointee.contractUnits, contractSize: q.pointee.contractSize)
            // Each side is within ±maxBalance-scale amounts; saturate the sum.
            let (sum, overflow) = total.addingReportingOverflow(convertProfit(raw, route: q.pointee.profitRoute))
            total = overflow ? (sum < 0 ? .max : .min) : sum
        }
        return total
    }

    /// Σ (price difference × volume) × contract size / 1e12, rounded once:
    /// the exact profit of positions summed per side, in the profit currency.
    @inline(__always)
    static func aggregateProfit(_ priceVolume: Int128, units: Int64, contractSize: Int64) -> Int64 {
        // Common case: the sum fits 64 bits and contract / 1e6 is whole
        // (`units`, precomputed per symbol; 0 when it is not whole).
        let pv = Int64(truncatingIfNeeded: priceVolume)
        if units != 0, Int128(pv) == priceVolume {
            let (p, overflow) = pv.multipliedReportingOverflow(by: units)
            if !overflow && p > Int64.min / 2 && p < Int64.max / 2 { return FixedPoint.divRound(p, FixedPoint.scale) }
        }
        return aggregateProfitWide(priceVolume, contractSize: contractSize)
    }

    @inline(never)
    static func aggregateProfitWide(_ priceVolume: Int128, contractSize: Int64) -> Int64 {
        let (p, overflow) = priceVolume.multipliedReportingOverflow(by: Int128(contractSize))
        if !overflow { return FixedPoint.divRoundWide(p, 1_000_000_000_000) }
        // Beyond 128 bits: divide first (exact to the micro unit only where
        // validation's ranges hold, which they always do in practice).
        return FixedPoint.divRoundWide(priceVolume / 1_000_000 * Int128(contractSize), 1_000_000)
    }
}
