/// Margin by MT5's rules (docs/engine.md, "Calculation modes"; sources:
/// MQL5 reference, ENUM_SYMBOL_CALC_MODE under Symbol Properties,
/// mql5.com/en/docs/constants/environment_state/marketinfoconstants, and
/// the MetaTrader 5 help, "Margin Calculation: Retail Forex, Futures",
/// metatrader5.com/en/terminal/help/trading_advanced/margin_forex).
///
/// A position's own margin is computed once, at its open price, and kept
/// in account money (`Position.margin`); the account's used margin is the
/// sum over symbols of what the symbol's positions hold together, which in
/// a hedging account follows the hedged-margin rule. Both change only on
/// trades, never on ticks.
extension Engine {
    /// Margin of `volume` lots at `price` in the symbol's margin currency.
    /// `held`: the margin an open position holds (margin_maintenance when
    /// set); otherwise the margin needed to open it (margin_initial).
    /// The spec's fields are read in place (`symbols[i].x`): passing the
    /// whole spec to a function copies it, retaining and releasing its names
    /// and sessions (about 450 instructions, three times per market order).
    func marginInMarginCurrency(symbol i: Int, volume: Int64, price: Int64, held: Bool) -> Int64 {
        let maintenance = symbols[i].marginMaintenance
        let perLot = held && maintenance > 0 ? maintenance : symbols[i].marginInitial
        let calcMode = symbols[i].calcMode
        let base: Int64
        if perLot > 0 || calcMode == .futures {
            // Futures: Lots × InitialMargin × Margin_Rate. Every other mode:
            // a non-zero initial margin replaces the formula (MT5 help).
            base = FixedPoint.mulDiv(volume, perLot, FixedPoint.scale)
        } else {
            // mulDiv, never divRound: both saturate instead of trapping on
            // absurd but valid sizes (1e6 lots of a 1e9 contract).
            let units = FixedPoint.mulDiv(volume, symbols[i].contractSize, FixedPoint.scale)
            switch calcMode {
            case .forex: base = FixedPoint.mulDiv(units, 1, leverage)
            case .forexNoLeverage: base = units
            case .cfd, .exchangeStocks: base = FixedPoint.mulDiv(units, price, FixedPoint.scale)
            case .cfdLeverage: base = FixedPoint.mulDiv(FixedPoint.mulDiv(units, price, FixedPoint.scale), 1, leverage)
            case .cfdIndex:
                base = FixedPoint.mulDiv(
                    FixedPoint.mulDiv(units, price, FixedPoint.scale), symbols[i].tickValue, symbols[i].tickSize)
            case .futures: base = 0  // handled above
            }
        }
        return FixedPoint.mulDiv(base, symbols[i].marginRate, FixedPoint.scale)
    }

    /// Margin of `volume` lots at `price`, in account money: the margin
    /// currency is converted at the converting symbol's ask for buys and
    /// bid for sells.
    func requiredMargin(
        symbolID: UInt32, side: Side, volume: Int64, price: Int64, held: Bool
    ) throws(HQTError) -> Int64 {
        let i = Int(symbolID)
        let inMarginCurrency = marginInMarginCurrency(symbol: i, volume: volume, price: price, held: held)
        let route: ConversionRoute
        if let cached = quotes[i].marginRoute {
            route = cached
        } else {
            route = try self.route(from: symbols[i].effectiveMarginCurrency)
            quotes[i].marginRoute = route
        }
        let amount: Int64
        switch route {
        case .identity: amount = inMarginCurrency
        case .multiply(let id):
            let q = quotes[Int(id)]
            amount = FixedPoint.mulDiv(inMarginCurrency, side == .buy ? q.ask : q.bid, FixedPoint.scale)
        case .divide(let id):
            let q = quotes[Int(id)]
            let rate = side == .buy ? q.ask : q.bid
            guard rate > 0 else { throw HQTError(.noPrice, "\(symbols[Int(id)].name) has no quote yet") }
            amount = FixedPoint.mulDiv(inMarginCurrency, FixedPoint.scale, rate)
        }
        return min(amount, Engine.maxBalance)
    }

    /// What the open positions of a symbol (volumes `e`, margins `m`) hold
    /// together, in account money. Netting accounts, one-sided books and
    /// specs without hedged settings: the sum of the positions' margins.
    /// Hedging accounts (MT5 help, "Calculation of margin for hedged
    /// positions"):
    ///   margin_hedged_use_leg: the larger leg's margin only;
    ///   margin_hedged set: the uncovered volume (larger leg − hedged
    ///     volume) at the larger leg's average margin per lot, plus the
    ///     hedged volume (the smaller leg) charged margin_hedged contract
    ///     units per lot instead of the contract size, at the average
    ///     margin per lot of both legs.
    @inline(__always)
    func symbolMargin(_ e: Exposure, _ m: LegMargins, symbol s: Int) -> Int128 {
        guard accountMode == .hedging, e.buyVolume > 0, e.sellVolume > 0 else { return m.buy + m.sell }
        return hedgedMargin(e, m, symbol: s)
    }

    /// `symbolMargin` of a hedging account's symbol with both sides open.
    @inline(never)
    private func hedgedMargin(_ e: Exposure, _ m: LegMargins, symbol s: Int) -> Int128 {
        let sum = m.buy + m.sell
        if symbols[s].marginHedgedUseLeg { return max(m.buy, m.sell) }
        guard let hedged = symbols[s].marginHedged else { return sum }
        let hedgedVolume = min(e.buyVolume, e.sellVolume)
        let larger = e.buyVolume >= e.sellVolume ? (e.buyVolume, m.buy) : (e.sellVolume, m.sell)
        let uncovered = Engine.mulDiv128(larger.1, Int128(larger.0 - hedgedVolume), Int128(larger.0))
        let perBoth = Engine.mulDiv128(sum, Int128(hedgedVolume), Int128(e.buyVolume) + Int128(e.sellVolume))
        return uncovered + Engine.mulDiv128(perBoth, Int128(hedged), Int128(symbols[s].contractSize))
    }

    /// The account's used margin from the per-symbol aggregates (rebuilt
    /// by `rebuildTriggerIndex`), kept within `maxBalance`.
    func totalMargin() -> Int64 {
        if activeSymbols.count == 1 {
            // One symbol with positions (the common case): the loop's result
            // without the loop.
            let s = Int(activeSymbols.base[0])
            return Int64(min(symbolMargin(quotes[s].exposure, legMargins[s], symbol: s), Int128(Engine.maxBalance)))
        }
        var total: Int128 = 0
        let active = activeSymbols.base
        for i in 0..<activeSymbols.count {
            let s = Int(active[i])
            total += min(symbolMargin(quotes[s].exposure, legMargins[s], symbol: s), Int128(Engine.maxBalance))
        }
        return Int64(min(total, Int128(Engine.maxBalance)))
    }

    /// How much a deal of `volume` lots on `side` at `price` would raise
    /// the used margin, counting the new volume at its initial margin;
    /// <= 0 when it does not (a reducing deal, or an opposite position in
    /// a hedging account that the hedged rule charges no more for). Such
    /// a deal is accepted whatever the free margin (MT5 accepts it with
    /// zero free margin). `netted`: a netting account's position on the
    /// symbol. Also returns `opening`, the initial margin of the volume the
    /// deal opens (0 when it opens none), which `heldMargin` reuses.
    /// Inlined into `marketFill`, its one caller: a position passed as an
    /// argument is split into its fields and spilled to the stack.
    @inline(__always)
    func marginIncrease(
        symbolID: UInt32, side: Side, volume: Int64, price: Int64, netted: Position?
    ) throws(HQTError) -> (increase: Int64, opening: Int64) {
        if accountMode == .netting {
            // Against an opposite position only the excess is new margin: the
            // whole volume's margin is not computed (send has prepared the
            // routes, so neither computation can fail where the other would not).
            guard let p = netted, p.side != side else {
                let entry = try requiredMargin(
                    symbolID: symbolID, side: side, volume: volume, price: price, held: false)
                return (entry, entry)
            }
            guard volume > p.volume else { return (0, 0) }
            let excess = try requiredMargin(
                symbolID: symbolID, side: side, volume: volume - p.volume, price: price, held: false)
            return (excess - p.margin, excess)
        }
        let entry = try requiredMargin(symbolID: symbolID, side: side, volume: volume, price: price, held: false)
        let s = Int(symbolID)
        let before = quotes[s].exposure, beforeMargins = legMargins[s]
        var after = before, afterMargins = beforeMargins
        after.add(side: side, volume: volume, openPrice: price)
        afterMargins.add(side: side, margin: entry)
        let increase =
            symbolMargin(after, afterMargins, symbol: s) - symbolMargin(before, beforeMargins, symbol: s)
        return (Int64(clamping: min(increase, Int128(Engine.maxBalance))), entry)
    }

    /// The margin `volume` lots just opened hold (`requiredMargin(held:
    /// true)`): without a maintenance margin that is the same computation
    /// as the initial margin `opening` (from `marginIncrease`), so it is
    /// not done twice on every order.
    @inline(__always)
    func heldMargin(
        symbolID: UInt32, side: Side, volume: Int64, price: Int64, opening: Int64
    ) throws(HQTError) -> Int64 {
        guard symbols[Int(symbolID)].marginMaintenance > 0 else { return opening }
        return try requiredMargin(symbolID: symbolID, side: side, volume: volume, price: price, held: true)
    }

    /// a × b / d rounded half away from zero, saturated instead of
    /// overflowing (sums of many margins times volumes).
    static func mulDiv128(_ a: Int128, _ b: Int128, _ d: Int128) -> Int128 {
        guard d > 0 else { return 0 }
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        // Far beyond any balance: saturate (the caller clamps to maxBalance).
        if overflow { return (a < 0) != (b < 0) ? -(Int128.max / 4) : Int128.max / 4 }
        let half = d / 2
        return p >= 0 ? (p + half) / d : -((-p + half) / d)
    }
}
