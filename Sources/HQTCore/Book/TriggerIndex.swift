extension SymbolState {
    /// Whether an event spanning these prices (a tick: one price each) or
    /// this time can trigger anything on the symbol.
    @inline(__always)
    func mayTrigger(lowBid: Int64, highBid: Int64, lowAsk: Int64, highAsk: Int64, time: Int64) -> Bool {
        lowBid <= triggerLowBid || highBid >= triggerHighBid || lowAsk <= triggerLowAsk
            || highAsk >= triggerHighAsk || time >= nextExpiration || trailingStops > 0
    }
}

/// Trigger bounds and the per-symbol position aggregates are derived from
/// the book and rebuilt after every change to it. Changes are rare next to
/// ticks, so the tick path gets four comparisons instead of a scan of the
/// book, and floating profit costs O(symbols with positions), not
/// O(positions).
extension Engine {
    func rebuildTriggerIndex() {
        rebuildAggregates()
        refreshHotBook()
    }

    /// The trigger bounds and aggregates from the whole book (not the hot view).
    private func rebuildAggregates() {
        for i in 0..<symbols.count {
            quotes[i].triggerLowBid = .min
            quotes[i].triggerHighBid = .max
            quotes[i].triggerLowAsk = .min
            quotes[i].triggerHighAsk = .max
            quotes[i].nextExpiration = .max
            quotes[i].trailingStops = 0
            quotes[i].exposure = Exposure()
            legMargins[i] = LegMargins()
        }
        activeSymbols.removeAll()
        earliestExpiration = .max
        for p in book.positions {
            if quotes[Int(p.symbolID)].exposure.isFlat { activeSymbols.append(Int32(p.symbolID)) }
            index(p)
        }
        for o in book.orders {
            let s = Int(o.symbolID)
            if o.expiration != 0 {
                quotes[s].nextExpiration = min(quotes[s].nextExpiration, o.expiration)
                earliestExpiration = min(earliestExpiration, o.expiration)
            }
            switch o.type {
            case .buyLimit: quotes[s].triggerLowAsk = max(quotes[s].triggerLowAsk, o.price)
            case .sellLimit: quotes[s].triggerHighBid = min(quotes[s].triggerHighBid, o.price)
            case .buyStop, .buyStopLimit: quotes[s].triggerHighAsk = min(quotes[s].triggerHighAsk, o.price)
            case .sellStop, .sellStopLimit: quotes[s].triggerLowBid = max(quotes[s].triggerLowBid, o.price)
            case .buy, .sell: break
            }
        }
        nextTimedWork = min(stats.nextEquitySample, earliestExpiration, nextRollover)
    }

    /// Adds an open position to its symbol's sums and trigger bounds.
    @inline(__always)
    private func index(_ p: Position) {
        let s = Int(p.symbolID)
        quotes[s].exposure.add(side: p.side, volume: p.volume, openPrice: p.openPrice)
        legMargins[s].add(side: p.side, margin: p.margin)
        if p.trailingPoints > 0 { quotes[s].trailingStops += 1 }
        if p.side == .buy {
            if p.sl > 0 { quotes[s].triggerLowBid = max(quotes[s].triggerLowBid, p.sl) }
            if p.tp > 0 { quotes[s].triggerHighBid = min(quotes[s].triggerHighBid, p.tp) }
        } else {
            if p.sl > 0 { quotes[s].triggerHighAsk = min(quotes[s].triggerHighAsk, p.sl) }
            if p.tp > 0 { quotes[s].triggerLowAsk = max(quotes[s].triggerLowAsk, p.tp) }
        }
    }

    /// Brings the index up to date after a deal, without the hot view (the
    /// caller refreshes it once the account has followed). Most deals are
    /// market orders that open one position or change one in place: the
    /// symbol's sums then follow by difference (integers, so exactly what
    /// a rebuild gives), its bounds can only tighten (one more min/max) and
    /// no other symbol moves, where a rebuild passes over every symbol,
    /// position and order on each deal. A deal that removed a pending order
    /// or closed a position, or a changed position that had stops or a
    /// trailing stop (a min/max cannot be taken back), rebuilds.
    @inline(__always)
    func updateTriggerIndex(after fill: Fill, _ effect: Book.FillEffect) {
        guard !effect.removedOrder, let after = fill.position else { return rebuildAggregatesAndRows() }
        let s = Int(after.symbolID)
        if let before = effect.before {
            guard before.sl == 0, before.tp == 0, before.trailingPoints == 0 else {
                return rebuildAggregatesAndRows()
            }
            // Replaced in place: the symbol stays active, in its place.
            quotes[s].exposure.remove(side: before.side, volume: before.volume, openPrice: before.openPrice)
            legMargins[s].remove(side: before.side, margin: before.margin)
        } else if quotes[s].exposure.isFlat {
            // Appended to the book: last in it, so last among the active.
            activeSymbols.append(Int32(s))
        }
        index(after)
        nextTimedWork = min(stats.nextEquitySample, earliestExpiration, nextRollover)
        refreshHotRow(s)
    }

    private func rebuildAggregatesAndRows() {
        rebuildAggregates()
        for i in 0..<symbols.count { refreshHotRow(i) }
    }
}

/// The open positions of one symbol, summed per side, exactly: volume and
/// volume × open price. The floating profit of all buys is then
/// (bid × volume − Σ volume × open) × contract, one product per side.
struct Exposure {
    var buyVolume: Int64 = 0
    var sellVolume: Int64 = 0
    var buyCost: Int128 = 0
    var sellCost: Int128 = 0
    /// Positions summed (0: flat).
    var count: Int32 = 0

    var isFlat: Bool { count == 0 }

    @inline(__always)
    mutating func add(side: Side, volume: Int64, openPrice: Int64) {
        count += 1
        if side == .buy {
            buyVolume &+= volume
            buyCost &+= Int128(volume) &* Int128(openPrice)
        } else {
            sellVolume &+= volume
            sellCost &+= Int128(volume) &* Int128(openPrice)
        }
    }

    /// Takes back an `add` of the same values (exact: the sums are integers).
    @inline(__always)
    mutating func remove(side: Side, volume: Int64, openPrice: Int64) {
        count -= 1
        if side == .buy {
            buyVolume &-= volume
            buyCost &-= Int128(volume) &* Int128(openPrice)
        } else {
            sellVolume &-= volume
            sellCost &-= Int128(volume) &* Int128(openPrice)
        }
    }
}

/// Σ of a symbol's open positions' own margins per side, account money:
/// with the volumes of `Exposure`, what the hedged-margin rule needs
/// (Engine+Margin.swift).
struct LegMargins {
    var buy: Int128 = 0
    var sell: Int128 = 0

    @inline(__always)
    mutating func add(side: Side, margin: Int64) {
        if side == .buy { buy &+= Int128(margin) } else { sell &+= Int128(margin) }
    }

    @inline(__always)
    mutating func remove(side: Side, margin: Int64) {
        if side == .buy { buy &-= Int128(margin) } else { sell &-= Int128(margin) }
    }
}
