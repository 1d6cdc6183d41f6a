/// What a tick or a bar must satisfy to be loaded, written once.
///
/// `Engine.appendTicks` / `appendBars` check every row with these functions
/// (through the block screens of MarketDataRules+Bulk.swift, which hand a
/// block to them row by row as soon as it may hold an error), and the C
/// ABI's `hqt_validate_ticks` / `hqt_validate_bars` (which hqt's Python
/// readers, DataFrame loaders and tick-file writer call) run the same
/// functions over whole arrays, so one bad value gives one status code and
/// one message whichever way it enters.
///
/// Messages read "`subject` `index`: what is wrong", e.g.
/// `EURUSD tick 7: ask 1.1 is below bid 1.2`; the engine's subject is the
/// symbol name and "tick" (bars: name, timeframe and "bar").
public enum MarketDataRules {
    /// A price given as a double, as a load takes it: rounded once to micro
    /// units; NaN, infinities and values beyond int64 become a value every
    /// rule rejects (shown as "NaN or infinite").
    @inline(__always)
    public static func micro(_ value: Double) -> Int64 { FixedPoint.micro(value) ?? Engine.notFinite }

    /// The error of tick `index`, or nil when it may follow a tick at time
    /// `previous` (pass max(0, time of the tick before)). Prices are micro
    /// units; `Engine.notFinite` marks a double that had no micro value.
    @inline(__always)
    public static func tickViolation(
        subject: String, index: Int, time t: Int64, bid b: Int64, ask a: Int64,
        previous last: Int64
    ) -> HQTError? {
        if t < last {
            return HQTError(
                .dataOrder,
                t < 0
                    ? "\(subject) \(index): negative time \(t)"
                    : "\(subject) \(index): time \(t) goes backwards (before the previous \(last))")
        }
        if b <= 0 || b > Engine.maxPrice || a <= 0 || a > Engine.maxPrice {
            return HQTError(
                .invalidPrice,
                "\(subject) \(index): bid and ask must be finite and > 0 (got \(Engine.describe(b)), \(Engine.describe(a)))"
            )
        }
        if a < b {
            return HQTError(
                .badData, "\(subject) \(index): ask \(FixedPoint.format(a)) is below bid \(FixedPoint.format(b))")
        }
        return nil
    }

    /// The error of bar `index` (open time `t`), or nil when it may follow a
    /// bar opening at `previousOpen` (nil: none) in an engine whose clock is
    /// at `notBefore` (0 before any event): its close must not be earlier.
    @inline(__always)
    public static func barViolation(
        subject: String, index i: Int, timeframe: Timeframe, time t: Int64,
        open o: Int64, high h: Int64, low l: Int64, close c: Int64, volume v: Int64,
        previousOpen lastOpen: Int64?, notBefore floor: Int64
    ) -> HQTError? {
        if t < 0 {
            return HQTError(.dataOrder, "\(subject) \(i): negative time \(t)")
        }
        if let lastOpen, t <= lastOpen {
            return HQTError(.dataOrder, "\(subject) \(i): open time \(t) is not after the previous bar's (\(lastOpen))")
        }
        guard let closeTime = timeframe.checkedCloseTime(opening: t) else {
            return HQTError(
                .range,
                "\(subject) \(i): open time \(t) is too late: the \(timeframe) bar would close after the last int64 nanosecond"
            )
        }
        if closeTime < floor {
            return HQTError(
                .dataOrder, "\(subject) \(i): closes at \(closeTime), before the engine's current time \(floor)")
        }
        if o <= 0 || o > Engine.maxPrice || h <= 0 || h > Engine.maxPrice
            || l <= 0 || l > Engine.maxPrice || c <= 0 || c > Engine.maxPrice
        {
            return HQTError(.invalidPrice, "\(subject) \(i): prices must be finite and > 0")
        }
        if h < max(o, c, l) || l > min(o, c) {
            return HQTError(
                .badData,
                "\(subject) \(i): high \(FixedPoint.format(h)) / low \(FixedPoint.format(l)) do not contain open \(FixedPoint.format(o)) and close \(FixedPoint.format(c))"
            )
        }
        if v < 0 {
            return HQTError(.badData, "\(subject) \(i): volume must be finite and >= 0")
        }
        return nil
    }

    /// Checks `n` ticks that follow a tick at `previousTime` (0: none;
    /// negative counts as 0). Returns the first bad one's position in the
    /// arrays and its error; messages number ticks from `firstIndex`.
    public static func validateTicks(
        subject: String = "tick", firstIndex: Int = 0, count n: Int,
        previousTime: Int64 = 0, time: (Int) -> Int64,
        bid: (Int) -> Int64, ask: (Int) -> Int64
    ) -> (index: Int, error: HQTError)? {
        var last = max(previousTime, 0)
        for i in 0..<n {
            let t = time(i)
            if let error = tickViolation(
                subject: subject, index: firstIndex &+ i, time: t, bid: bid(i),
                ask: ask(i), previous: last)
            {
                return (i, error)
            }
            last = t
        }
        return nil
    }

    /// Checks `n` bars of one timeframe (`row(i)` = open time, open, high,
    /// low, close, volume) as `validateTicks` does ticks.
    public static func validateBars(
        subject: String = "bar", firstIndex: Int = 0, timeframe: Timeframe,
        count n: Int, previousOpen: Int64? = nil, notBefore: Int64 = 0,
        row: (Int) -> (Int64, Int64, Int64, Int64, Int64, Int64)
    ) -> (index: Int, error: HQTError)? {
        var lastOpen = previousOpen
        for i in 0..<n {
            let (t, o, h, l, c, v) = row(i)
            if let error = barViolation(
                subject: subject, index: firstIndex &+ i, timeframe: timeframe, time: t,
                open: o, high: h, low: l, close: c, volume: v,
                previousOpen: lastOpen, notBefore: notBefore)
            {
                return (i, error)
            }
            lastOpen = t
        }
        return nil
    }
}

/// Calendar arithmetic of bar periods for callers outside the engine (the C
/// ABI, and through it hqt's tick files and test-data generators), checked
/// so that no input can overflow: times are ns since the epoch and >= 0.
extension Timeframe {
    /// Close time of the bar opening at `t` (>= 0), nil when it is after
    /// the last int64 nanosecond (April 2262).
    public func checkedCloseTime(opening t: Int64) -> Int64? {
        if minutes == 43200 {
            // months are at most 31 days long; the only month start later than
            // that before Int64.max (2262-04-01) closes after it
            return openTime(containing: t) <= Int64.max - 31 * Timeframe.nsPerDay ? closeTime(opening: t) : nil
        }
        let (close, overflow) = t.addingReportingOverflow(Int64(minutes) * Timeframe.nsPerMinute)
        return overflow ? nil : close
    }

    static func negativeTime(_ t: Int64) -> HQTError {
        HQTError(.invalidArgument, "time_ns \(t) is negative: bar times are ns since the epoch, >= 0")
    }

    /// Open time of the bar holding `time` (ns, >= 0).
    public func checkedOpenTime(containing time: Int64) throws(HQTError) -> Int64 {
        guard time >= 0 else { throw Timeframe.negativeTime(time) }
        return openTime(containing: time)
    }

    /// Open and close time of the bar holding `time` (ns, >= 0; the close
    /// must not be after Int64.max).
    public func bar(containing time: Int64) throws(HQTError) -> (open: Int64, close: Int64) {
        let open = try checkedOpenTime(containing: time)
        guard let close = checkedCloseTime(opening: open) else {
            throw HQTError(
                .range, "the \(self) bar holding time_ns \(time) closes after the last int64 nanosecond")
        }
        return (open, close)
    }

    /// Open time of the bar `periods` bars after the one holding `time`
    /// (ns, >= 0): `periods` = 1 is the next bar, -1 the one before. (An
    /// open time may be before the epoch: the W1 bar of 1970-01-01 opens on
    /// Monday 1969-12-29.)
    public func openTime(_ periods: Int64, barsAfter time: Int64) throws(HQTError) -> Int64 {
        guard time >= 0 else { throw Timeframe.negativeTime(time) }
        let open = openTime(containing: time)
        let outside = HQTError(
            .range, "the \(self) bar \(periods) bars after time_ns \(time) opens outside the int64 ns range")
        let result: Int64
        if minutes == 43200 {
            // 0...Int64.max ns spans fewer than 12 * 300 months
            guard periods > -12 * 400, periods < 12 * 400 else { throw outside }
            let (y, m, _) = Timeframe.civil(fromDays: floorDiv(open, Timeframe.nsPerDay))
            let month = y * 12 + (m - 1) + periods
            let days = Timeframe.days(year: floorDiv(month, 12), month: month - floorDiv(month, 12) * 12 + 1, day: 1)
            let (r, overflow) = days.multipliedReportingOverflow(by: Timeframe.nsPerDay)
            guard !overflow else { throw outside }
            result = r
        } else {
            let length = minutes == 10080 ? 7 * Timeframe.nsPerDay : Int64(minutes) * Timeframe.nsPerMinute
            let (step, o1) = periods.multipliedReportingOverflow(by: length)
            let (r, o2) = open.addingReportingOverflow(step)
            guard !o1, !o2 else { throw outside }
            result = r
        }
        return result
    }
}
