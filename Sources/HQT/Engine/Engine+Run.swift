/// Strategy callbacks. Any may be nil; throwing from one stops the run.
public struct StrategyHooks {
    public var onStart: ((Engine) throws(HQTError) -> Void)?
    public var onTick: ((Engine, Tick) throws(HQTError) -> Void)?
    public var onBar: ((Engine, Bar) throws(HQTError) -> Void)?
    public var onTrade: ((Engine, Deal) throws(HQTError) -> Void)?
    public var onStop: ((Engine) throws(HQTError) -> Void)?
    public init(onStart: ((Engine) throws(HQTError) -> Void)? = nil,
                onTick: ((Engine, Tick) throws(HQTError) -> Void)? = nil,
                onBar: ((Engine, Bar) throws(HQTError) -> Void)? = nil,
                onTrade: ((Engine, Deal) throws(HQTError) -> Void)? = nil,
                onStop: ((Engine) throws(HQTError) -> Void)? = nil) {
        self.onStart = onStart; self.onTick = onTick; self.onBar = onBar
        self.onTrade = onTrade; self.onStop = onStop
    }
}

/// Driving the engine: `run` over the loaded data, `process` one event.
extension Engine {
    /// Processes every loaded event not yet processed, merged across
    /// symbols in time order: a tick at its time, a loaded bar at its close
    /// time; at equal times bars first, then lower symbol id, then shorter
    /// timeframe. `onStart` comes first and `onStop` last, also when an
    /// error stops the run in between (the first error is rethrown).
    public func run(_ hooks: StrategyHooks = StrategyHooks()) throws(HQTError) {
        try checkNotRunning("start a run")
        isRunning = true
        self.hooks = hooks
        defer {
            isRunning = false
            phase = .between
            self.hooks = StrategyHooks()
        }
        var failure: HQTError?
        do {
            if let onStart = hooks.onStart { try onStart(self) }
            try deliverTrades()
            try runLoop(onTick: hooks.onTick)
            try flushBuiltBars()
        } catch {
            failure = error
        }
        if currentTime != .min { sampleEquity(at: currentTime) }
        do {
            if let onStop = hooks.onStop { try onStop(self) }
            try deliverTrades()
        } catch {
            if failure == nil { failure = error }
        }
        if let failure { throw failure }
    }

    /// Processes one event now. Its time must not be before the engine's.
    public func process(_ event: MarketEvent, hooks: StrategyHooks = StrategyHooks()) throws(HQTError) {
        try checkNotRunning("process an event")
        try validate(event)
        inEvent = true
        self.hooks = hooks
        defer {
            inEvent = false
            phase = .between
            self.hooks = StrategyHooks()
        }
        switch event {
        case .tick(let t):
            try handleTick(Int(t.symbolID), time: t.time, bid: t.bid, ask: t.ask)
            try deliverTrades()
            if let onTick = hooks.onTick {
                try onTick(self, t)
                try deliverTrades()
            }
        case .bar(let b):
            try handleBar(b, closeTime: b.timeframe.closeTime(opening: b.time))
            try deliverTrades()
            try deliverBar(b)
        }
    }

    /// Closes bars being built from ticks now (delivering them to `onBar`).
    public func flushBars(hooks: StrategyHooks = StrategyHooks()) throws(HQTError) {
        try checkNotRunning("flush bars")
        inEvent = true
        self.hooks = hooks
        defer {
            inEvent = false
            self.hooks = StrategyHooks()
        }
        try flushBuiltBars()
    }

    func validate(_ event: MarketEvent) throws(HQTError) {
        let floor = currentTime == .min ? 0 : currentTime
        switch event {
        case .tick(let t):
            try checkSymbol(t.symbolID)
            guard t.time >= floor else {
                throw HQTError(.dataOrder, "tick time \(t.time) is before the engine's current time \(floor)")
            }
            guard t.bid > 0, t.ask > 0, t.bid <= Engine.maxPrice, t.ask <= Engine.maxPrice else {
                throw HQTError(.invalidPrice, "tick bid and ask must be finite and > 0")
            }
            guard t.ask >= t.bid else { throw HQTError(.badData, "tick ask \(FixedPoint.format(t.ask)) is below bid \(FixedPoint.format(t.bid))") }
        case .bar(let b):
            try checkSymbol(b.symbolID)
            guard b.time >= 0, b.timeframe.closeTime(opening: b.time) >= floor else {
                throw HQTError(.dataOrder, "bar closing at \(b.timeframe.closeTime(opening: max(b.time, 0))) is before the engine's current time \(floor)")
            }
            guard [b.open, b.high, b.low, b.close].allSatisfy({ $0 > 0 && $0 <= Engine.maxPrice }) else {
                throw HQTError(.invalidPrice, "bar prices must be finite and > 0")
            }
            guard b.high >= max(b.open, b.close, b.low), b.low <= min(b.open, b.close), b.volume >= 0 else {
                throw HQTError(.badData, "bar high/low do not contain open and close, or volume < 0")
            }
        }
    }

    /// Hands deals made since the last call to `onTrade`, in order.
    @inline(__always)
    func deliverTrades() throws(HQTError) {
        guard unreportedDeals > 0 else { return }
        guard let onTrade = hooks.onTrade else {
            unreportedDeals = 0
            return
        }
        while unreportedDeals > 0 {
            let deal = deals[deals.count - unreportedDeals]
            unreportedDeals -= 1
            try onTrade(self, deal)
        }
    }

    func deliverBar(_ bar: Bar) throws(HQTError) {
        notifyBar(bar)
        if let onBar = hooks.onBar {
            try onBar(self, bar)
            try deliverTrades()
        }
    }

    // MARK: the loop

    func runLoop(onTick: ((Engine, Tick) throws(HQTError) -> Void)?) throws(HQTError) {
        let ticks = tickSeries.compactMap { $0 }.filter { $0.remaining > 0 }
        let bars = barSeries.filter { $0.remaining > 0 }.sorted {
            ($0.symbolID, $0.timeframe.minutes) < ($1.symbolID, $1.timeframe.minutes)
        }
        if ticks.count == 1 && bars.isEmpty {
            try runSingle(ticks[0], onTick: onTick)
            return
        }
        while true {
            // Pick the next event: the smallest (time, bars first, symbol, timeframe).
            var bestBar: BarSeries?
            var bestTime = Int64.max
            for series in bars where series.cursor < series.count {
                let t = series.closeTime[series.cursor]
                if t < bestTime { bestTime = t; bestBar = series }
            }
            var bestTick: TickSeries?
            for series in ticks where series.cursor < series.count {
                let t = series.time[series.cursor]
                if t < bestTime { bestTime = t; bestTick = series; bestBar = nil }
            }
            if let series = bestTick {
                let i = series.cursor
                series.cursor = i + 1
                let tick = Tick(symbolID: series.symbolID, time: series.time[i], bid: series.bid[i], ask: series.ask[i])
                try handleTick(Int(tick.symbolID), time: tick.time, bid: tick.bid, ask: tick.ask)
                try deliverTrades()
                if let onTick {
                    try onTick(self, tick)
                    try deliverTrades()
                }
            } else if let series = bestBar {
                let i = series.cursor
                series.cursor = i + 1
                let bar = series.bar(at: i)
                try handleBar(bar, closeTime: series.closeTime[i])
                try deliverTrades()
                try deliverBar(bar)
            } else {
                return
            }
            phase = .between
        }
    }

    /// The common case, one symbol's ticks: a tight loop over raw columns.
    private func runSingle(_ series: TickSeries, onTick: ((Engine, Tick) throws(HQTError) -> Void)?) throws(HQTError) {
        let s = Int(series.symbolID)
        let times = series.time.base, bids = series.bid.base, asks = series.ask.base
        let n = series.count
        var i = series.cursor
        while i < n {
            series.cursor = i + 1
            let time = times[i], bid = bids[i], ask = asks[i]
            try handleTick(s, time: time, bid: bid, ask: ask)
            if unreportedDeals > 0 { try deliverTrades() }
            if let onTick {
                try onTick(self, Tick(symbolID: series.symbolID, time: time, bid: bid, ask: ask))
                if unreportedDeals > 0 { try deliverTrades() }
            }
            phase = .between
            i += 1
        }
    }
}
