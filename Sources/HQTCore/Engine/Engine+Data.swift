/// Loading market data. Every load is all-or-nothing, with a message naming
/// the index of the first bad value: ticks are counted only once all are
/// checked, bars are rolled back on the first bad one.
extension Engine {
    /// Marks a NaN or infinite double that could not become micro units.
    static let notFinite = Int64.min

    static func describe(_ micro: Int64) -> String {
        micro == notFinite ? "NaN or infinite" : FixedPoint.format(micro)
    }

    /// Ticks converted and checked per step of a load: the step's values
    /// are still in the L1/L2 cache when the checks read them back.
    static let loadStep = 4_096

    /// Appends ticks (prices in micro units).
    public func loadTicks(
        symbolID: UInt32, time: UnsafeBufferPointer<Int64>,
        bid: UnsafeBufferPointer<Int64>, ask: UnsafeBufferPointer<Int64>
    ) throws(HQTError) {
        try appendTicks(symbolID: symbolID, count: time.count, counts: [bid.count, ask.count]) { from, m, t, b, a in
            Engine.copy(time, from, m, to: t); Engine.copy(bid, from, m, to: b); Engine.copy(ask, from, m, to: a)
        }
    }

    /// Appends ticks with prices as doubles, each rounded once to micro units.
    public func loadTicks(
        symbolID: UInt32, time: UnsafeBufferPointer<Int64>,
        bid: UnsafeBufferPointer<Double>, ask: UnsafeBufferPointer<Double>
    ) throws(HQTError) {
        try appendTicks(symbolID: symbolID, count: time.count, counts: [bid.count, ask.count]) { from, m, t, b, a in
            Engine.copy(time, from, m, to: t)
            Engine.micro(bid, from, m, to: b); Engine.micro(ask, from, m, to: a)
        }
    }

    /// Copies values from..<from+m of `source` (all within it) to `target`
    /// as one memcpy: the element loop compiled to scalar stores, 13% of a
    /// float64 load's time.
    @inline(__always)
    static func copy(
        _ source: UnsafeBufferPointer<Int64>, _ from: Int, _ m: Int, to target: UnsafeMutablePointer<Int64>
    ) {
        guard let base = source.baseAddress else { return }  // empty: m is 0
        target.update(from: base + from, count: m)
    }

    /// Converts values from..<from+m of `source` (all within it) to micro
    /// units at `target` (MarketDataRules.micro, a block at a time).
    @inline(__always)
    static func micro(
        _ source: UnsafeBufferPointer<Double>, _ from: Int, _ m: Int, to target: UnsafeMutablePointer<Int64>
    ) {
        guard let base = source.baseAddress else { return }  // empty: m is 0
        MarketDataRules.micro(base + from, count: m, to: target)
    }

    /// Convenience for Swift callers and tests.
    public func loadTicks(symbolID: UInt32, time: [Int64], bid: [Int64], ask: [Int64]) throws(HQTError) {
        try time.withUnsafeBufferPointer { (t) throws(HQTError) in
            try bid.withUnsafeBufferPointer { (b) throws(HQTError) in
                try ask.withUnsafeBufferPointer { (a) throws(HQTError) in
                    try loadTicks(symbolID: symbolID, time: t, bid: b, ask: a)
                }
            }
        }
    }

    /// Appends `n` ticks: `fill(from, m, time, bid, ask)` writes ticks
    /// from..<from+m (micro units) straight into the columns' reserved room,
    /// a step at a time, and each step is checked as soon as it is written.
    /// The ticks are counted only once all are good: a bad tick leaves the
    /// series as it was. Inlined into each loader so `fill` compiles to a
    /// plain loop (the conversion alone, apart from the checks, keeps both
    /// loops small enough to stay in registers).
    @inline(__always)
    func appendTicks(
        symbolID: UInt32, count n: Int, counts: [Int],
        fill: (Int, Int, UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Int64>) -> Void
    ) throws(HQTError) {
        if !refilling { try checkNotRunning("load data") }
        try checkSymbol(symbolID)
        guard counts.allSatisfy({ $0 == n }) else {
            throw HQTError(
                .invalidArgument,
                "time, bid and ask must have the same length (got \(n), \(counts.map(String.init).joined(separator: ", ")))"
            )
        }
        feed.invalidate()  // the cached merge points into the columns, which may move
        let series = feed.ticks[Int(symbolID)] ?? TickSeries(symbolID: symbolID)
        guard series.time.reserve(n), series.bid.reserve(n), series.ask.reserve(n) else {
            throw HQTError(.invalidArgument, "out of memory: no room for \(n) more ticks")
        }
        var last = max(series.time.last ?? 0, currentTime == .min ? 0 : currentTime)
        let subject = symbols[Int(symbolID)].name + " tick"
        let tp = series.time.end, bp = series.bid.end, ap = series.ask.end
        var from = 0
        while from < n {
            let m = min(Engine.loadStep, n - from)
            fill(from, m, tp + from, bp + from, ap + from)
            // the rule lives in Model/MarketDataRules.swift (shared with
            // hqt_validate_ticks); the screen lets most steps skip it
            if !MarketDataRules.ticksPass(time: tp + from, bid: bp + from, ask: ap + from, count: m, previous: last) {
                for i in from..<(from + m) {
                    if let problem = MarketDataRules.tickViolation(
                        subject: subject, index: i, time: tp[i], bid: bp[i], ask: ap[i], previous: last)
                    {
                        throw problem
                    }
                    last = tp[i]
                }
            }
            last = tp[from + m - 1]
            from += m
        }
        series.time.commit(n); series.bid.commit(n); series.ask.commit(n)
        feed.ticks[Int(symbolID)] = series
    }

    /// Ticks loaded for the symbol so far, run or not.
    public func tickCount(symbolID: UInt32) throws(HQTError) -> Int {
        try checkSymbol(symbolID)
        return feed.ticks[Int(symbolID)]?.count ?? 0
    }

    /// Keeps the symbol's first `count` ticks and drops the rest: the undo of
    /// a load made in several calls (a file loaded chunk by chunk, whose
    /// later chunk turns out bad). Only ticks not yet run can be dropped.
    public func truncateTicks(symbolID: UInt32, to count: Int) throws(HQTError) {
        try checkNotRunning("drop loaded ticks")
        try checkSymbol(symbolID)
        guard let series = feed.ticks[Int(symbolID)] else {
            if count == 0 { return }
            throw HQTError(.invalidArgument, "cannot keep \(count) ticks: none are loaded")
        }
        guard count >= series.cursor, count <= series.count else {
            throw HQTError(
                .invalidArgument,
                "cannot keep \(count) ticks: between \(series.cursor) (already run) and \(series.count) (loaded)")
        }
        feed.invalidate()
        series.time.truncate(to: count); series.bid.truncate(to: count); series.ask.truncate(to: count)
    }

    /// Appends bars of one timeframe (prices and volume in micro units).
    public func loadBars(
        symbolID: UInt32, timeframe minutes: Int32, time: UnsafeBufferPointer<Int64>,
        open: UnsafeBufferPointer<Int64>, high: UnsafeBufferPointer<Int64>,
        low: UnsafeBufferPointer<Int64>, close: UnsafeBufferPointer<Int64>,
        volume: UnsafeBufferPointer<Int64>
    ) throws(HQTError) {
        try appendBars(
            symbolID: symbolID, minutes: minutes, count: time.count,
            counts: [open.count, high.count, low.count, close.count, volume.count]
        ) { from, m, to in
            Engine.copy(time, from, m, to: to.time); Engine.copy(open, from, m, to: to.open)
            Engine.copy(high, from, m, to: to.high); Engine.copy(low, from, m, to: to.low)
            Engine.copy(close, from, m, to: to.close); Engine.copy(volume, from, m, to: to.volume)
        }
    }

    /// Appends bars with prices and volume as doubles, each rounded once to micro units.
    public func loadBars(
        symbolID: UInt32, timeframe minutes: Int32, time: UnsafeBufferPointer<Int64>,
        open: UnsafeBufferPointer<Double>, high: UnsafeBufferPointer<Double>,
        low: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>,
        volume: UnsafeBufferPointer<Double>
    ) throws(HQTError) {
        try appendBars(
            symbolID: symbolID, minutes: minutes, count: time.count,
            counts: [open.count, high.count, low.count, close.count, volume.count]
        ) { from, m, to in
            Engine.copy(time, from, m, to: to.time); Engine.micro(open, from, m, to: to.open)
            Engine.micro(high, from, m, to: to.high); Engine.micro(low, from, m, to: to.low)
            Engine.micro(close, from, m, to: to.close); Engine.micro(volume, from, m, to: to.volume)
        }
    }

    /// Convenience for Swift callers and tests.
    public func loadBars(
        symbolID: UInt32, timeframe minutes: Int32, time: [Int64], open: [Int64],
        high: [Int64], low: [Int64], close: [Int64], volume: [Int64]
    ) throws(HQTError) {
        try appendBars(
            symbolID: symbolID, minutes: minutes, count: time.count,
            counts: [open.count, high.count, low.count, close.count, volume.count]
        ) { from, m, to in
            for k in 0..<m {
                let i = from + k
                to.time[k] = time[i]; to.open[k] = open[i]; to.high[k] = high[i]
                to.low[k] = low[i]; to.close[k] = close[i]; to.volume[k] = volume[i]
            }
        }
    }

    /// Where a step of a bar load is written: the reserved room of the
    /// series' columns (close times are the engine's to compute).
    struct BarRoom {
        let time, open, high, low, close, volume: UnsafeMutablePointer<Int64>
    }

    /// Appends `n` bars as `appendTicks` appends ticks: `fill(from, m, room)`
    /// writes bars from..<from+m (micro units) straight into the columns'
    /// reserved room a step at a time, each step is checked (and its close
    /// times computed) while still in cache, and the bars are counted only
    /// once all are good: a bad bar leaves the series as it was.
    @inline(__always)
    func appendBars(
        symbolID: UInt32, minutes: Int32, count n: Int, counts: [Int],
        fill: (Int, Int, BarRoom) -> Void
    ) throws(HQTError) {
        if !refilling { try checkNotRunning("load data") }
        try checkSymbol(symbolID)
        let timeframe = try Timeframe.validated(minutes)
        guard counts.allSatisfy({ $0 == n }) else {
            throw HQTError(.invalidArgument, "time, open, high, low, close and volume must have the same length")
        }
        let series: BarSeries
        feed.invalidate()
        if let existing = feed.bars.first(where: { $0.symbolID == symbolID && $0.timeframe == timeframe }) {
            series = existing
        } else {
            series = BarSeries(symbolID: symbolID, timeframe: timeframe)
        }
        let subject = "\(symbols[Int(symbolID)].name) \(timeframe) bar"
        var lastOpen = series.time.last
        let floor = currentTime == .min ? 0 : currentTime
        for column in series.columns where !column.reserve(n) {
            throw HQTError(.invalidArgument, "out of memory: no room for \(n) more bars")
        }
        let room = BarRoom(
            time: series.time.end, open: series.open.end, high: series.high.end, low: series.low.end,
            close: series.close.end, volume: series.volume.end)
        let tp = room.time, closeTimes = series.closeTime.end
        // MN1 bars close on a calendar date: those take the rule's path
        let length = timeframe.minutes == 43200 ? nil : Int64(timeframe.minutes) * Timeframe.nsPerMinute
        var from = 0
        while from < n {
            let m = min(Engine.loadStep, n - from)
            fill(
                from, m,
                BarRoom(
                    time: tp + from, open: room.open + from, high: room.high + from, low: room.low + from,
                    close: room.close + from, volume: room.volume + from))
            let screened =
                length.map {
                    MarketDataRules.barsPass(
                        time: tp + from, open: room.open + from, high: room.high + from, low: room.low + from,
                        close: room.close + from, volume: room.volume + from, count: m, length: $0,
                        previousOpen: lastOpen ?? -1, notBefore: floor, closeTime: closeTimes + from)
                } ?? false
            if !screened {
                // the rule lives in Model/MarketDataRules.swift (shared with hqt_validate_bars)
                for i in from..<(from + m) {
                    let t = tp[i]
                    if let problem = MarketDataRules.barViolation(
                        subject: subject, index: i, timeframe: timeframe, time: t,
                        open: room.open[i], high: room.high[i], low: room.low[i], close: room.close[i],
                        volume: room.volume[i], previousOpen: lastOpen, notBefore: floor)
                    {
                        throw problem
                    }
                    closeTimes[i] = timeframe.closeTime(opening: t)
                    lastOpen = t
                }
            }
            lastOpen = tp[from + m - 1]
            from += m
        }
        for column in series.columns { column.commit(n) }
        if !feed.bars.contains(where: { $0 === series }) { feed.bars.append(series) }
    }

    /// Builds bars of `timeframe` from the symbol's ticks, on their bid
    /// (MT5's bars), ask or mid (`price`, a `PriceSource` raw value: the C
    /// ABI's HQT_PRICE_BID, _ASK or _MID); each is delivered to `onBar` when
    /// it closes. Adding the same one twice is a no-op; a symbol has one
    /// builder per timeframe, so asking for it on another price is refused
    /// (the bars delivered do not say which price they follow).
    public func buildBars(symbolID: UInt32, timeframe minutes: Int32, price rawPrice: Int32 = 0) throws(HQTError) {
        try checkSymbol(symbolID)
        let timeframe = try Timeframe.validated(minutes)
        guard let price = PriceSource(rawValue: rawPrice), price == .bid || price == .ask || price == .mid else {
            throw HQTError(
                .invalidArgument,
                "bars are built from the bid (0), ask (1) or mid (2), not price \(rawPrice)")
        }
        if let b = builder(symbolID: symbolID, timeframe: timeframe) {
            guard b.price == price else {
                throw HQTError(
                    .invalidArgument,
                    "\(symbols[Int(symbolID)].name) \(timeframe) bars are already built from the \(b.price), "
                        + "not the \(price): one price per symbol and timeframe (clear_data forgets the request)")
            }
            return
        }
        // Logged like a trade: recovery must rebuild the same bars.
        try commit(.buildBars(symbolID: symbolID, timeframe: timeframe, price: price))
    }

    /// `buildBars` with the price as a `PriceSource` (.bid, .ask or .mid).
    public func buildBars(symbolID: UInt32, timeframe minutes: Int32, price: PriceSource) throws(HQTError) {
        try buildBars(symbolID: symbolID, timeframe: minutes, price: price.rawValue)
    }

    private func builder(symbolID: UInt32, timeframe: Timeframe) -> BarBuilder? {
        for i in feed.buildersBySymbol[Int(symbolID)] where feed.builders[i].timeframe == timeframe {
            return feed.builders[i]
        }
        return nil
    }

    func addBarBuilder(symbolID: UInt32, timeframe: Timeframe, price: PriceSource) {
        guard builder(symbolID: symbolID, timeframe: timeframe) == nil else { return }
        feed.builders.append(BarBuilder(symbolID: symbolID, timeframe: timeframe, price: price))
        feed.buildersBySymbol[Int(symbolID)].append(feed.builders.count - 1)
        quotes[Int(symbolID)].builders += 1
        quotes[Int(symbolID)].nextBarClose = .min
    }

    /// Forgets loaded data and bar builders; the account stays as it is.
    public func clearData() throws(HQTError) {
        try checkNotRunning("clear data")
        feed.invalidate()
        feed.ticks = Array(repeating: nil, count: symbols.count)
        feed.bars.removeAll()
        feed.builders.removeAll()
        feed.buildersBySymbol = Array(repeating: [], count: symbols.count)
        for i in symbols.indices { quotes[i].builders = 0 }
    }

    /// Loaded events that `run()` has not processed yet.
    public var pendingEventCount: Int {
        feed.pendingCount
    }
}
