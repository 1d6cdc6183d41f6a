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
            let s = Int(p.symbolID)
            if quotes[s].exposure.isFlat { activeSymbols.append(Int32(s)) }
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
        refreshHotBook()
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
}

/// Σ of a symbol's open positions' own margins per side, account money:
/// with the volumes of `Exposure`, what the hedged-margin rule needs
/// (Engine+Margin.swift).
struct LegMargins {
    var buy: Int128 = 0
    var sell: Int128 = 0

    mutating func add(side: Side, margin: Int64) {
        if side == .buy { buy &+= Int128(margin) } else { sell &+= Int128(margin) }
    }
}
