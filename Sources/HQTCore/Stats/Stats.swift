/// What the run measures as it goes: the equity curve, drawdown and event
/// counts. `Engine.statistics()` derives the summary from it and the book.
struct Stats {
    var equityCurve: [EquityPoint] = []
    var peakEquity: Int64
    var maxDrawdown: Int64 = 0
    var maxDrawdownPct: Double = 0
    var ticksProcessed: Int64 = 0
    var barsProcessed: Int64 = 0
    /// Spacing of equity-curve samples taken from the passing of time.
    var equityInterval: Int64 = 60_000_000_000
    var nextEquitySample: Int64 = .min

    init(initialEquity: Int64) { peakEquity = initialEquity }

    /// Adds (or, at the same instant, replaces) an equity-curve point.
    mutating func sample(_ point: EquityPoint) {
        if let last = equityCurve.last, last.time == point.time {
            equityCurve[equityCurve.count - 1] = point
        } else {
            equityCurve.append(point)
        }
    }

    /// Moves the next interval sample past `time`.
    mutating func scheduleNextSample(after time: Int64) {
        let (q, _) = time.dividedReportingOverflow(by: equityInterval)
        nextEquitySample = (q &+ 1) &* equityInterval
    }

    @inline(__always)
    mutating func trackDrawdown(equity e: Int64) {
        if e >= peakEquity {
            peakEquity = e
            return
        }
        let dd = peakEquity - e
        if dd > maxDrawdown { maxDrawdown = dd }
        // Compare without dividing on every tick; divide only on a new maximum.
        if Double(dd) * 100 > maxDrawdownPct * Double(peakEquity), peakEquity > 0 {
            maxDrawdownPct = Double(dd) / Double(peakEquity) * 100
        }
    }
}
