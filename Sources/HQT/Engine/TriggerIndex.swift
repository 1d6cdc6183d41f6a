/// The slice of a position the per-tick profit loop reads.
struct HotPosition {
    var symbolID: UInt32
    var side: Side
    var openPrice: Int64
    var volume: Int64
}

extension SymbolState {
    /// Whether an event spanning these prices (a tick: one price each) or
    /// this time can trigger anything on the symbol.
    @inline(__always)
    func mayTrigger(lowBid: Int64, highBid: Int64, lowAsk: Int64, highAsk: Int64, time: Int64) -> Bool {
        lowBid <= triggerLowBid || highBid >= triggerHighBid || lowAsk <= triggerLowAsk
            || highAsk >= triggerHighAsk || time >= nextExpiration || trailingStops > 0
    }
}

/// Trigger bounds and the hot position list are derived from the book and
/// rebuilt after every change to it. Changes are rare next to ticks, so
/// the tick path gets four comparisons instead of a scan of the book.
extension Engine {
    func rebuildTriggerIndex() {
        for i in 0..<symbols.count {
            quotes[i].triggerLowBid = .min
            quotes[i].triggerHighBid = .max
            quotes[i].triggerLowAsk = .min
            quotes[i].triggerHighAsk = .max
            quotes[i].nextExpiration = .max
            quotes[i].trailingStops = 0
        }
        if openPositions.count > hotCapacity {
            hotPositions.deallocate()
            hotCapacity = max(openPositions.count, hotCapacity * 2)
            hotPositions = .allocate(capacity: hotCapacity)
        }
        hotCount = openPositions.count
        for (i, p) in openPositions.enumerated() {
            hotPositions[i] = HotPosition(symbolID: p.symbolID, side: p.side, openPrice: p.openPrice, volume: p.volume)
            let s = Int(p.symbolID)
            if p.trailingPoints > 0 { quotes[s].trailingStops += 1 }
            if p.side == .buy {
                if p.sl > 0 { quotes[s].triggerLowBid = max(quotes[s].triggerLowBid, p.sl) }
                if p.tp > 0 { quotes[s].triggerHighBid = min(quotes[s].triggerHighBid, p.tp) }
            } else {
                if p.sl > 0 { quotes[s].triggerHighAsk = min(quotes[s].triggerHighAsk, p.sl) }
                if p.tp > 0 { quotes[s].triggerLowAsk = max(quotes[s].triggerLowAsk, p.tp) }
            }
        }
        for o in orders {
            let s = Int(o.symbolID)
            if o.expiration != 0 { quotes[s].nextExpiration = min(quotes[s].nextExpiration, o.expiration) }
            switch o.type {
            case .buyLimit: quotes[s].triggerLowAsk = max(quotes[s].triggerLowAsk, o.price)
            case .sellLimit: quotes[s].triggerHighBid = min(quotes[s].triggerHighBid, o.price)
            case .buyStop, .buyStopLimit: quotes[s].triggerHighAsk = min(quotes[s].triggerHighAsk, o.price)
            case .sellStop, .sellStopLimit: quotes[s].triggerLowBid = max(quotes[s].triggerLowBid, o.price)
            case .buy, .sell: break
            }
        }
    }
}
