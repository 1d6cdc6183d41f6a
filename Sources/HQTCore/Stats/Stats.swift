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
    /// Inline: a bar run samples every bar, and the call with its
    /// Optional `last` cost ~50 instructions a bar (callgrind).
    @inline(__always)
    mutating func sample(_ point: EquityPoint) {
        let n = equityCurve.count
        if n > 0 && equityCurve[n &- 1].time == point.time {
            equityCurve[n &- 1] = point
        } else {
            equityCurve.append(point)
        }
    }

    /// Moves the next interval sample past `time`.
    /// Inline: a bar run schedules one a bar.
    @inline(__always)
    mutating func scheduleNextSample(after time: Int64) {
        let next = nextEquitySample, interval = equityInterval
        // The common case, a sample an interval: `time` lies in the
        // interval that starts at the scheduled time, so the next is one
        // interval on, without a division. Only from a time set below at
        // this interval (a multiple of it; a restored one may not be) and
        // for non-negative times (where truncating division is floor
        // division): the same time either way.
        if next == scheduled.time, interval == scheduled.interval, next >= 0, time >= next,
            next <= Int64.max &- interval, time < next &+ interval
        {
            nextEquitySample = next &+ interval
            scheduled.time = nextEquitySample
        } else {
            scheduleNextSampleByDivision(after: time)
        }
    }

    @inline(never)
    private mutating func scheduleNextSampleByDivision(after time: Int64) {
        let (q, _) = time.dividedReportingOverflow(by: equityInterval)
        nextEquitySample = (q &+ 1) &* equityInterval
        scheduled = (nextEquitySample, equityInterval)
    }

    /// What `scheduleNextSample` set last, and at which interval.
    private var scheduled: (time: Int64, interval: Int64) = (.min, 0)

    /// A drawdown below this (at the current peak) cannot be a new maximum
    /// in percent: the tick path compares one integer instead of converting
    /// to floating point on every tick. A lower bound; the exact test decides.
    var percentCheckFrom: Int64 = 0

    @inline(__always)
    mutating func trackDrawdown(equity e: Int64) {
        if e >= peakEquity {
            if e > peakEquity {
                peakEquity = e
                refreshPercentCheck()
            }
            return
        }
        let dd = peakEquity - e
        if dd > maxDrawdown { maxDrawdown = dd }
        if dd >= percentCheckFrom { trackDrawdownPercent(dd) }
    }

    /// The exact percent test (as in 0.1: no division unless it is a new maximum).
    mutating func trackDrawdownPercent(_ dd: Int64) {
        if Double(dd) * 100 > maxDrawdownPct * Double(peakEquity), peakEquity > 0 {
            maxDrawdownPct = Double(dd) / Double(peakEquity) * 100
            refreshPercentCheck()
        }
    }

    mutating func refreshPercentCheck() {
        // Slack far beyond floating-point error, so the bound never skips a
        // drawdown the exact test would take.
        let x = maxDrawdownPct * Double(peakEquity) / 100
        let bound = (x - abs(x) * 1e-9).rounded(.down) - 2
        percentCheckFrom = bound > 0 ? (bound < 9e18 ? Int64(bound) : .max) : 0
    }
}
