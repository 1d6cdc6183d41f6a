/// MT5's quote sessions (SymbolInfoSessionQuote): the hours a symbol has
/// quotes. MT5 has no prices outside them, so a tick the data holds there
/// (a broker's weekend quote, a feed's stray tick) is not a quote: HQT skips
/// it -- no price, clock, trigger, bar, swap or callback, as if the data did
/// not hold it -- and counts it (`ticksOutsideQuoteSessions`). The skip is a
/// function of the tick's time and the spec only, so a recovered run skips
/// the same ticks (docs/engine.md, "Trading rules", quote sessions).
extension Engine {
    /// Whether symbol `s`'s tick at `time` is outside its quote sessions.
    @inline(__always)
    func outsideQuotes(_ s: Int, time: Int64) -> Bool {
        quotes[s].quoteGated && !symbols[s].isQuoteOpen(at: time)
    }

    /// A skipped tick: consumed as an event (the feed moved past it, so a
    /// recovery's event count agrees), nothing else.
    func skipTick() {
        eventsProcessed &+= 1
        phase = .between
    }

    /// Ticks skipped so far for being outside their symbol's quote sessions:
    /// the loaded ticks the run has consumed (counted from the data, so a
    /// resumed run counts exactly) plus those given to `process` directly.
    public var ticksOutsideQuoteSessions: Int64 { processedOutsideQuotes + loadedOutsideQuotes(onlyFinished: false) }

    /// Skipped ticks among the consumed rows of the loaded tick series (only
    /// the series that have run out, which a `source` run is about to drop).
    func loadedOutsideQuotes(onlyFinished: Bool) -> Int64 {
        var n: Int64 = 0
        for case let series? in feed.ticks where quotes[Int(series.symbolID)].quoteGated {
            guard !onlyFinished || series.remaining == 0 else { continue }
            let spec = symbols[Int(series.symbolID)]
            let consumed = min(series.cursor, series.count)
            for row in 0..<consumed where !spec.isQuoteOpen(at: series.time[row]) { n += 1 }
        }
        return n
    }
}
