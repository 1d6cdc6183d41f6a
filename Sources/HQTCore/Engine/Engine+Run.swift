/// Strategy callbacks. Any may be nil; throwing from one stops the run.
public struct StrategyHooks {
    public var onStart: ((Engine) throws(HQTError) -> Void)?
    public var onTick: ((Engine, Tick) throws(HQTError) -> Void)?
    public var onBar: ((Engine, Bar) throws(HQTError) -> Void)?
    public var onTrade: ((Engine, Deal) throws(HQTError) -> Void)?
    public var onStop: ((Engine) throws(HQTError) -> Void)?
    /// The strategy's own state, saved with every checkpoint taken during a
    /// run; `restoreState` gets it back when a recovered run resumes, and the
    /// events after that checkpoint are then re-fed with trading refused.
    public var saveState: ((Engine) throws(HQTError) -> [UInt8])?
    public var restoreState: ((Engine, [UInt8]) throws(HQTError) -> Void)?
    /// A C strategy's on_tick, which the run loop calls directly (no
    /// closure, no reference counting per tick: the C ABI's path, issue 13).
    /// `onTick` must be set too (other paths call it); both do the same.
    public var nativeTick: NativeTickHook?
    /// The same for on_bar after a loaded bar: no closure call and no
    /// retain/release of its context per bar. `onBar` must be set too.
    public var nativeBar: NativeBarHook?
    public init(
        onStart: ((Engine) throws(HQTError) -> Void)? = nil,
        onTick: ((Engine, Tick) throws(HQTError) -> Void)? = nil,
        onBar: ((Engine, Bar) throws(HQTError) -> Void)? = nil,
        onTrade: ((Engine, Deal) throws(HQTError) -> Void)? = nil,
        onStop: ((Engine) throws(HQTError) -> Void)? = nil,
        saveState: ((Engine) throws(HQTError) -> [UInt8])? = nil,
        restoreState: ((Engine, [UInt8]) throws(HQTError) -> Void)? = nil
    ) {
        self.onStart = onStart; self.onTick = onTick; self.onBar = onBar
        self.onTrade = onTrade; self.onStop = onStop
        self.saveState = saveState; self.restoreState = restoreState
    }
}

/// A C function called with (handle, event, user data) for each tick
/// (`NativeTickHook`) or each loaded bar after its close (`NativeBarHook`);
/// the pointer addresses a `Tick` / `Bar`, laid out as the C ABI's hqt_tick /
/// hqt_bar (the C API checks that before it hands one over). Non-zero stops
/// the run.
public struct NativeHook<Event> {
    public typealias Function = @convention(c) (OpaquePointer?, UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
    public let function: Function
    public let handle: OpaquePointer?
    public let user: UnsafeMutableRawPointer?
    public init(function: Function, handle: OpaquePointer?, user: UnsafeMutableRawPointer?) {
        self.function = function; self.handle = handle; self.user = user
    }

    @inline(__always)
    func call(_ event: Event) throws(HQTError) {
        var e = event
        let rc = withUnsafePointer(to: &e) { function(handle, UnsafeRawPointer($0), user) }
        if rc != 0 { throw NativeHook.failed(rc) }
    }

    @inline(never)
    static func failed(_ rc: Int32) -> HQTError {
        let callback = Event.self == Bar.self ? "on_bar" : "on_tick"
        return HQTError(.callback, "strategy callback \(callback) returned \(rc): run stopped")
    }
}

public typealias NativeTickHook = NativeHook<Tick>
public typealias NativeBarHook = NativeHook<Bar>

/// Driving the engine: `run` over the loaded data, `process` one event.
extension Engine {
    /// Processes every loaded event not yet processed, merged across
    /// symbols in time order: a tick at its time, a loaded bar at its close
    /// time; at equal times bars first, then lower symbol id, then shorter
    /// timeframe. `onStart` comes first and `onStop` last, also when an
    /// error stops the run in between (the first error is rethrown).
    ///
    /// With `resume` (after `recoverFromWAL()`), `onStart` and the last
    /// `warmup` loaded events before the resume point are delivered with
    /// trading refused (`warmingUp`), to rebuild the strategy's state; then
    /// the run continues live.
    ///
    /// With a `source`, the run does not end when the loaded events do: the
    /// consumed data is dropped (bars in progress are kept) and `source`
    /// loads the next window (`loadTicks`/`loadBars` are allowed inside it);
    /// it returns false when there is no more. So a file far larger than
    /// memory runs as one run, with one `onStart`, one `onStop` and bars
    /// closed by the next tick exactly as if it had all been loaded.
    ///
    /// `tickModel` (else the one `setTickModel` requested, else
    /// `.realTicks`) says how loaded bars are traded (docs/engine.md, "Tick
    /// models"). A resume runs under the recovered run's model: asking for
    /// another is refused.
    public func run(
        _ hooks: StrategyHooks = StrategyHooks(), resume: Bool = false, warmup: Int = 0,
        source: DataSource? = nil, tickModel requested: TickModel? = nil
    ) throws(HQTError) {
        try checkNotRunning("start a run")
        guard warmup >= 0 else { throw HQTError(.invalidArgument, "warmup must be >= 0") }
        guard !walNeedsRecovery else { throw needsRecoveryError() }
        let model = try tickModelForRun(requested ?? requestedTickModel, resume: resume)
        // An interrupt() between runs is not for this one.
        interrupter.clear()
        isRunning = true
        // Deals made before the run (outside any strategy) are not this
        // strategy's to hear about.
        unreportedDeals = 0
        self.hooks = hooks
        nativeTick = hooks.nativeTick
        nativeBar = hooks.nativeBar
        dataSource = source
        defer {
            syncHot()
            isRunning = false
            phase = .between
            nativeTick = nil
            nativeBar = nil
            self.hooks = StrategyHooks()
            dataSource = nil
        }
        var failure: HQTError?
        if resume && runStage == .completed && !isPaused {
            // The recovered run had finished: nothing runs again, but a
            // strategy that saves its state gets its final state back.
            if let restore = hooks.restoreState, recoveredStrategyState != nil, let point = resumePoint,
                !point.fromRunStart
            {
                try restore(self, point.state)
            }
            return
        }
        do {
            if isPaused {
                // Continuing an interrupted run: it already started (on_start
                // ran, the strategy holds its state); the next event is next.
                isPaused = false
                notifyRun(started: true)
            } else if resume && runStage == .running {
                notifyRun(started: true)
                warmingUp = true
                defer { warmingUp = false }
                if let onStart = hooks.onStart {
                    syncHot()
                    try onStart(self)
                }
                defer { resumePoint = nil }
                if hooks.restoreState != nil, recoveredStrategyState != nil, let point = resumePoint {
                    // Exact: the state as of the checkpoint (or, from the
                    // run's start, the fresh strategy's), then every event
                    // since (ticks, bars and trades) as the strategy saw them.
                    if !point.fromRunStart, let restore = hooks.restoreState { try restore(self, point.state) }
                    try feedEvents(from: point.feedPosition, hooks: hooks)
                    recoveredStrategyState = nil
                } else {
                    try feedWarmup(warmup, hooks: hooks)
                }
            } else {
                // RUN_MARK records bracket on_start, so that recovery drops
                // an on_start a crash interrupted and the resumed run redoes it.
                phase = .start
                tickModel = model
                notifyRun(started: false)
                try commit(.runMark(stage: .starting, flushesBars: false, tickModel: model))
                if let onStart = hooks.onStart {
                    syncHot()
                    try onStart(self)
                }
                try deliverTrades()
                phase = .between
                try commit(.runMark(stage: .running, flushesBars: false, tickModel: tickModel))
            }
            try deliverTrades()
            try runLoop(onTick: hooks.onTick)
        } catch let error where error.code == .interrupted {
            // Stopped between two events: no end of run; the log gets a
            // checkpoint (with the strategy's state) as at any event boundary.
            isPaused = true
            phase = .between
            notifyRunPaused()
            if journal != nil && !walNeedsRecovery { try checkpoint() }
            throw error
        } catch {
            failure = error
        }
        // A failure may have stopped an event half-way: what follows
        // (the end of the data, on_stop, the final checkpoint) happens
        // between events, bracketed by RUN_MARK records like on_start.
        do {
            phase = .endOfRun
            try commit(.runMark(stage: .ending, flushesBars: failure == nil, tickModel: tickModel))
            if failure == nil { try flushBuiltBars() }
        } catch {
            if failure == nil { failure = error }
        }
        phase = .between
        if currentTime != .min { sampleEquity(at: currentTime) }
        do {
            phase = .stop
            if let onStop = hooks.onStop {
                syncHot()
                try onStop(self)
            }
            try deliverTrades()
            phase = .between
            try commit(.runMark(stage: .completed, flushesBars: false, tickModel: tickModel))
        } catch {
            if failure == nil { failure = error }
        }
        phase = .between
        do {
            if journal != nil && !walNeedsRecovery { try checkpoint() }
        } catch {
            if failure == nil { failure = error }
        }
        notifyRunEnded(failed: failure != nil)
        if let failure { throw failure }
    }

    /// Processes one event now. Its time must not be before the engine's.
    public func process(_ event: MarketEvent, hooks: StrategyHooks = StrategyHooks()) throws(HQTError) {
        try checkNotRunning("process an event")
        guard !walNeedsRecovery else { throw needsRecoveryError() }
        try validate(event)
        inEvent = true
        unreportedDeals = 0
        self.hooks = hooks
        nativeTick = hooks.nativeTick
        nativeBar = hooks.nativeBar
        defer {
            syncHot()
            inEvent = false
            phase = .between
            nativeTick = nil
            nativeBar = nil
            self.hooks = StrategyHooks()
        }
        switch event {
        case .tick(let t):
            if outsideQuotes(Int(t.symbolID), time: t.time) {
                skipTick()
                processedOutsideQuotes += 1
                return
            }
            try handleTick(Int(t.symbolID), time: t.time, bid: t.bid, ask: t.ask)
            try tickCallbacks(t, hooks.onTick)
        case .bar(let b):
            try handleBar(b, closeTime: b.timeframe.closeTime(opening: b.time))
            try barCallbacks(b)
        }
        try checkpointIfDue()
    }

    /// Closes bars being built from ticks now (delivering them to `onBar`).
    public func flushBars(hooks: StrategyHooks = StrategyHooks()) throws(HQTError) {
        try checkNotRunning("flush bars")
        inEvent = true
        unreportedDeals = 0
        self.hooks = hooks
        defer {
            syncHot()
            inEvent = false
            self.hooks = StrategyHooks()
        }
        try flushBuiltBars()
    }

    /// Delivers the `count` loaded events before the feed's position to the
    /// hooks, without processing them (bars built from those ticks included).
    func feedWarmup(_ count: Int, hooks: StrategyHooks) throws(HQTError) {
        guard count > 0 else { return }
        try feedEvents(from: max(feedPosition - count, 0), hooks: hooks)
    }

    /// Loaded events processed so far (the merged feed's position).
    var feedPosition: Int { feed.position }

    /// Delivers the loaded events from feed position `start` up to the
    /// current one to the hooks, without processing them: the feed's own
    /// order (`Feed.walk`), so the strategy sees them as it did the first
    /// time — with `onTrade` for the deals made since the recovered
    /// checkpoint at the points they were first delivered: after the
    /// `onBar` of a bar built from ticks that made them, before `onTick` /
    /// `onBar` for the engine's own (triggers, stop-out), after it for the
    /// callback's.
    func feedEvents(from start: Int, hooks: StrategyHooks) throws(HQTError) {
        let end = feedPosition
        guard start < end else { return }
        var trades = TradeRefeed(point: resumePoint, deals: book.deals)
        // The engine's clock as the original run had it, for the time a
        // built bar's deals carry (max of the previous event and its close).
        var clock = Int64.min, barClock = Int64.min
        // Bars built from generated ticks (the walk builds those of loaded ticks).
        var generatedBuilders =
            tickModel.generatesTicks
            ? feed.builders.map(\.restarted) : []
        try feed.walk(
            upTo: end, skipTick: { self.outsideQuotes(Int($0), time: $1) },
            visit: { (event, index) throws(HQTError) in
                let n = trades.event(at: index)
                switch event {
                case let .tick(s, row):
                    clock = s.time[row]
                    guard index >= start else { break }
                    try trades.deliver(n, [.beforeMarket, .triggers, .stopOut], hooks, self)
                    if let onTick = hooks.onTick {
                        try onTick(
                            self, Tick(symbolID: s.symbolID, time: s.time[row], bid: s.bid[row], ask: s.ask[row]))
                    }
                    try trades.deliver(n, [.callbacks], hooks, self)
                case let .bar(s, row):
                    if tickModel.generatesTicks {
                        // The bar's ticks again, timed as the run timed them.
                        let floor = clock
                        clock = max(clock, s.closeTime[row])
                        try refeedGeneratedTicks(
                            s, row: row, floor: floor, live: index >= start, n, &trades, &generatedBuilders, hooks)
                        guard index >= start else { break }
                    } else {
                        clock = max(clock, s.closeTime[row])
                        guard index >= start else { break }
                        try trades.deliver(n, [.triggers, .stopOut], hooks, self)
                    }
                    if let onBar = hooks.onBar { try onBar(self, s.bar(at: row)) }
                    try trades.deliver(n, [.callbacks], hooks, self)
                }
                barClock = clock
            },
            builtBar: { (bar, index) throws(HQTError) in
                barClock = max(barClock, bar.timeframe.checkedCloseTime(opening: bar.time) ?? .max)
                guard index >= start else { return }
                if let onBar = hooks.onBar { try onBar(self, bar) }
                try trades.deliver(trades.event(at: index), [.beforeMarket], hooks, self, time: barClock)
            })
    }

    /// The same rules as loading (`MarketDataRules`), for one event given
    /// directly; the message numbers it by the engine's event count.
    func validate(_ event: MarketEvent) throws(HQTError) {
        let floor = currentTime == .min ? 0 : currentTime
        let index = Int(clamping: eventsProcessed)
        switch event {
        case .tick(let t):
            try checkSymbol(t.symbolID)
            if let problem = MarketDataRules.tickViolation(
                subject: "\(symbols[Int(t.symbolID)].name) tick", index: index,
                time: t.time, bid: t.bid, ask: t.ask, previous: floor)
            {
                throw problem
            }
        case .bar(let b):
            try checkSymbol(b.symbolID)
            if let problem = MarketDataRules.barViolation(
                subject: "\(symbols[Int(b.symbolID)].name) \(b.timeframe) bar", index: index, timeframe: b.timeframe,
                time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume,
                previousOpen: nil, notBefore: floor)
            {
                throw problem
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
        syncHot()
        while unreportedDeals > 0 {
            let deal = deals[deals.count - unreportedDeals]
            unreportedDeals -= 1
            try onTrade(self, deal)
        }
    }

    /// After the engine processed a tick: the deals it made, then on_tick
    /// (and the deals on_tick made).
    @inline(__always)
    func tickCallbacks(_ tick: Tick, _ onTick: ((Engine, Tick) throws(HQTError) -> Void)?) throws(HQTError) {
        phase = .callbacks
        if unreportedDeals > 0 { try deliverTrades() }
        // The C strategy first, without binding the closure: binding copies
        // it (a retain and a release per tick).
        if let native = nativeTick {
            syncHot()
            try native.call(tick)
            if unreportedDeals > 0 { try deliverTrades() }
        } else if let onTick {
            syncHot()
            try onTick(self, tick)
            if unreportedDeals > 0 { try deliverTrades() }
        }
    }

    /// After the engine processed a loaded bar: its deals, then on_bar.
    /// Inline: the bar loops call it once a bar.
    @inline(__always)
    func barCallbacks(_ bar: Bar) throws(HQTError) {
        phase = .callbacks
        try deliverTrades()
        // A C strategy's on_bar directly: binding the closure below copies
        // it (a retain and a release per bar).
        if let native = nativeBar {
            syncHot()
            try native.call(bar)
            try deliverTrades()
        } else if let onBar = hooks.onBar {
            syncHot()
            try onBar(self, bar)
            try deliverTrades()
        }
    }

    // MARK: the loop

    /// Room in the equity curve for a point per bar still to run of the
    /// longest loaded bar series (each bar's close is sampled): a long bar
    /// run then never copies the curve to grow it (1 M bars: 32 MB, copied
    /// about twice over, and the fresh pages touched again). The longest,
    /// not the sum: bars of several series at the same close share a point.
    func reserveCurveForBars() {
        var rows = 0
        for series in feed.bars { rows = max(rows, series.count - series.cursor) }
        let needed = stats.equityCurve.count + rows
        guard needed > stats.equityCurve.capacity else { return }
        // At least doubling: a data source's many small windows must not
        // each copy the whole curve.
        stats.equityCurve.reserveCapacity(max(needed, 2 * stats.equityCurve.capacity))
        // The points still to come go to fresh pages: huge ones, as the columns'.
        HugePages.advise(&stats.equityCurve)
    }

    func runLoop(onTick: ((Engine, Tick) throws(HQTError) -> Void)?) throws(HQTError) {
        while true {
            reserveCurveForBars()
            switch feed.soleSeries {
            case .ticks(let series)?:
                try runSingle(series, onTick: onTick)
            case .bars(let series)? where !tickModel.generatesTicks:
                try runSingleBars(series)
            default:
                try runMerged(onTick: onTick)
            }
            guard let source = dataSource else { return }
            // Everything loaded has run: drop it (bars in progress stay) and
            // ask the source for the next window.
            processedOutsideQuotes += loadedOutsideQuotes(onlyFinished: true)
            feed.dropConsumed()
            refilling = true
            syncHot()  // the source is caller code: it may read the counters
            let more: Bool
            do {
                defer { refilling = false }
                more = try source(self)
            }
            if !more || feed.pendingCount == 0 { return }
        }
    }

    /// Several series: the feed's merge stepped directly, reading ticks
    /// from raw columns (no object is touched per tick).
    private func runMerged(onTick: ((Engine, Tick) throws(HQTError) -> Void)?) throws(HQTError) {
        // Loads, clears and restores are refused while running, so the merge
        // and the columns it points into stay valid for the whole loop.
        let merge = feed.currentMerge()
        while merge.remaining > 0 {
            for _ in 0..<min(merge.remaining, Engine.interruptCheckInterval) {
                try processLoaded(merge.next(), onTick: onTick)
                if recordsSinceCheckpoint >= checkpointEvery { try checkpointIfDue() }
            }
            if merge.remaining > 0 { try stopIfInterrupted() }
        }
    }

    /// Asks the run in progress to stop between two events, within
    /// `interruptCheckInterval` events; `run` then throws `.interrupted` and
    /// the next `run` continues exactly where it stopped. Safe from any
    /// thread through `interrupter` (an atomic flag); between runs it does nothing.
    public func interrupt() {
        interrupter.interrupt()
    }

    @inline(never)
    func stopIfInterrupted() throws(HQTError) {
        guard interrupter.take() else { return }
        throw HQTError(
            .interrupted,
            "the run was interrupted after event \(eventsProcessed) (interrupt() or Ctrl-C): run again to continue with the next event, exactly as if it had not stopped"
        )
    }

    /// Processes the next loaded event with its callbacks; false when none is left.
    func processNextLoadedEvent(onTick: ((Engine, Tick) throws(HQTError) -> Void)?) throws(HQTError) -> Bool {
        let merge = feed.currentMerge()
        guard merge.remaining > 0 else { return false }
        try processLoaded(merge.next(), onTick: onTick)
        return true
    }

    /// One loaded event (a merge leaf's row) with its callbacks.
    @inline(__always)
    private func processLoaded(
        _ event: (leaf: UnsafePointer<Merge.Leaf>, row: Int), onTick: ((Engine, Tick) throws(HQTError) -> Void)?
    ) throws(HQTError) {
        let (leaf, row) = event
        let source = leaf.pointee.source
        if source < 0 {
            let s = -1 - source
            let time = leaf.pointee.times[row], bid = leaf.pointee.bid[row], ask = leaf.pointee.ask[row]
            if outsideQuotes(s, time: time) { return skipTick() }
            try handleTick(s, time: time, bid: bid, ask: ask)
            try tickCallbacks(Tick(symbolID: UInt32(truncatingIfNeeded: s), time: time, bid: bid, ask: ask), onTick)
        } else {
            let series = feed.bars[source]
            let bar = series.bar(at: row)
            if tickModel.generatesTicks {
                try handleGeneratedBar(
                    bar, series: series, row: row, closeTime: leaf.pointee.times[row], onTick: onTick)
            } else {
                try handleBar(bar, closeTime: leaf.pointee.times[row])
                try barCallbacks(bar)
            }
        }
        phase = .between
    }

    /// The common case, one symbol's ticks: a tight loop over raw columns.
    private func runSingle(_ series: TickSeries, onTick: ((Engine, Tick) throws(HQTError) -> Void)?) throws(HQTError) {
        feed.invalidate()  // the cursor moves outside the merge
        let s = Int(series.symbolID)
        let times = series.time.base, bids = series.bid.base, asks = series.ask.base
        let cursor = series.cursorStorage.pointer
        let n = series.count
        let q = quotes + s
        // Quote sessions: checked on the full path (they keep the symbol off the quiet one).
        let gated = q.pointee.quoteGated
        var i = cursor.pointee
        while i < n {
            // In blocks: the interrupt flag is read once per block, not per tick.
            let blockEnd = min(n, i + Engine.interruptCheckInterval)
            // Without sinks or bars built from this symbol, a tick that can
            // trigger nothing and is not due any clock work only moves the
            // quote (and revalues positions): `quietTick` does that alone,
            // then on_tick runs as after the full path. Re-decided after
            // every tick that ran a callback or the full path (a callback
            // may have traded, attached a sink or asked for bars).
            var quiet = mayRunQuiet(q)
            var holding = quiet && onTick == nil && activeSymbols.count > 0
            while i < blockEnd {
                if holding {
                    i = try quietRunHolding(
                        q, times: times, bids: bids, asks: asks, cursor: cursor, from: i, to: blockEnd)
                    holding = activeSymbols.count > 0  // a stop-out may have closed them
                    guard i < blockEnd else { break }
                }
                cursor.pointee = i + 1
                let time = times[i], bid = bids[i], ask = asks[i]
                if quiet, try quietTick(q, time: time, bid: bid, ask: ask) {
                    i += 1
                    guard onTick != nil else { continue }
                    try tickCallbacks(Tick(symbolID: series.symbolID, time: time, bid: bid, ask: ask), onTick)
                    phase = .between
                    if recordsSinceCheckpoint >= checkpointEvery { try checkpointIfDue() }
                    quiet = mayRunQuiet(q)
                    continue
                }
                // (Quote sessions keep a symbol off the quiet path, so the
                // check costs the quiet loop nothing.)
                if gated && !symbols[s].isQuoteOpen(at: time) {
                    skipTick()
                    i += 1
                    continue
                }
                try handleTick(s, time: time, bid: bid, ask: ask)
                try tickCallbacks(Tick(symbolID: series.symbolID, time: time, bid: bid, ask: ask), onTick)
                phase = .between
                if recordsSinceCheckpoint >= checkpointEvery { try checkpointIfDue() }
                quiet = mayRunQuiet(q)
                holding = quiet && onTick == nil && activeSymbols.count > 0
                i += 1
            }
            if i < n { try stopIfInterrupted() }
        }
    }

    /// One bar series under the bar rule (a bar backtest of one symbol): a
    /// loop over raw columns, as `processLoaded` would step the merge
    /// through it (cursor moved first, then the bar, its callbacks, a
    /// checkpoint if due), without the merge's bookkeeping or a retain of
    /// the series per bar.
    private func runSingleBars(_ series: BarSeries) throws(HQTError) {
        feed.invalidate()  // the cursor moves outside the merge
        let symbolID = series.symbolID, timeframe = series.timeframe
        let times = series.time.base, opens = series.open.base, highs = series.high.base
        let lows = series.low.base, closes = series.close.base, volumes = series.volume.base
        let closeTimes = series.closeTime.base
        let cursor = series.cursorStorage.pointer
        let n = series.count
        var i = cursor.pointee
        while i < n {
            let blockEnd = min(n, i + Engine.interruptCheckInterval)
            while i < blockEnd {
                cursor.pointee = i + 1
                let bar = Bar(
                    symbolID: symbolID, timeframe: timeframe, time: times[i], open: opens[i], high: highs[i],
                    low: lows[i], close: closes[i], volume: volumes[i])
                try handleBar(bar, closeTime: closeTimes[i])
                try barCallbacks(bar)
                phase = .between
                if recordsSinceCheckpoint >= checkpointEvery { try checkpointIfDue() }
                i += 1
            }
            if i < n { try stopIfInterrupted() }
        }
    }

    /// Whether the symbol's ticks may take `quietTick`: no sink to tell,
    /// no bars built from them, no indicator updated on them, no quote
    /// sessions to check, no checkpoint due.
    @inline(__always)
    func mayRunQuiet(_ q: UnsafeMutablePointer<SymbolState>) -> Bool {
        !sinkSet.active && q.pointee.builders == 0 && q.pointee.tickIndicators == 0 && !q.pointee.quoteGated
            && recordsSinceCheckpoint < checkpointEvery
    }

    /// A tick as `handleTick` + `tickCallbacks` process it when nothing but
    /// its quote can change (the caller checked: no on_tick, no sink, no
    /// bars built from the symbol): false, with nothing done, when it may
    /// trigger an order, SL/TP or trailing stop, or clock work is due.
    /// Exactly the same state after it as after the full path (tests:
    /// RunLoopTests compare the two).
    @inline(__always)
    func quietTick(_ q: UnsafeMutablePointer<SymbolState>, time: Int64, bid: Int64, ask: Int64) throws(HQTError)
        -> Bool
    {
        guard time < nextTimedWork,
            !q.pointee.mayTrigger(lowBid: bid, highBid: bid, lowAsk: ask, highAsk: ask, time: time)
        else { return false }
        eventsProcessed &+= 1
        previousTime = currentTime
        currentTime = time
        stats.ticksProcessed &+= 1
        if activeSymbols.count > 0 {
            let outcome = revalueQuiet(q, bid: bid, ask: ask, time: time)
            if outcome != .done { try finishQuietRevaluation(outcome, q, bid: bid, ask: ask, time: time) }
        } else {
            q.pointee.bid = bid
            q.pointee.ask = ask
            q.pointee.time = time
        }
        return true
    }

    /// Quiet ticks while positions are open and no on_tick runs, from
    /// `start` up to `end`, in a loop of its own with the revaluation inline:
    /// in the general loop an inline revaluation made every other case
    /// slower (register pressure), and the call cost this one ~8% against
    /// 0.1's inlined loop. Returns the index of the first tick it did not
    /// take (one `quietTick` would refuse), or the one after a tick that
    /// needed the margin levels (positions may have closed).
    @inline(never)
    func quietRunHolding(
        _ q: UnsafeMutablePointer<SymbolState>, times: UnsafeMutablePointer<Int64>, bids: UnsafeMutablePointer<Int64>,
        asks: UnsafeMutablePointer<Int64>, cursor: UnsafeMutablePointer<Int>, from start: Int, to end: Int
    ) throws(HQTError) -> Int {
        var i = start
        while i < end {
            let time = times[i], bid = bids[i], ask = asks[i]
            guard time < nextTimedWork,
                !q.pointee.mayTrigger(lowBid: bid, highBid: bid, lowAsk: ask, highAsk: ask, time: time)
            else { return i }
            cursor.pointee = i + 1
            eventsProcessed &+= 1
            previousTime = currentTime
            currentTime = time
            stats.ticksProcessed &+= 1
            let outcome = revalue(q, bid: bid, ask: ask, time: time)
            i += 1
            if outcome != .done {
                try finishQuietRevaluation(outcome, q, bid: bid, ask: ask, time: time)
                return i
            }
        }
        return i
    }

    /// What a quiet tick's revaluation left to do.
    enum QuietRevaluation { case done, checkMargin, outOfRange }

    /// A quiet tick's revaluation in its common case: the quote stored,
    /// floating profit and drawdown updated. One small call that cannot
    /// throw and takes few arguments: the tick loop with positions stays
    /// as cheap as 0.1's inlined one (callgrind: setQuoteRevaluing's
    /// prologue, error register and argument setup cost ~25 instructions
    /// a tick). `.checkMargin`: the margin levels want a look (and, while
    /// replaying, always); `.outOfRange`: nothing was changed, and
    /// `setQuoteRevaluing` refuses the tick.
    @inline(never)
    func revalueQuiet(_ q: UnsafeMutablePointer<SymbolState>, bid: Int64, ask: Int64, time: Int64)
        -> QuietRevaluation
    {
        revalue(q, bid: bid, ask: ask, time: time)
    }

    /// `revalueQuiet`'s body, inline in `quietRunHolding`.
    @inline(__always)
    func revalue(_ q: UnsafeMutablePointer<SymbolState>, bid: Int64, ask: Int64, time: Int64) -> QuietRevaluation {
        let old = (bid: q.pointee.bid, ask: q.pointee.ask, time: q.pointee.time)
        q.pointee.bid = bid
        q.pointee.ask = ask
        q.pointee.time = time
        guard refreshFloatingProfit() else {
            q.pointee.bid = old.bid
            q.pointee.ask = old.ask
            q.pointee.time = old.time
            refreshFloatingProfit()
            return .outOfRange
        }
        stats.trackDrawdown(equity: accountState.equity)
        return accountState.needsMarginCheck ? .checkMargin : .done
    }

    /// The rest of a quiet tick after `revalueQuiet`: the margin levels
    /// (a stop-out's deals to on_trade, a checkpoint if one is due), or the
    /// range error with the account as it was.
    @inline(never)
    func finishQuietRevaluation(
        _ outcome: QuietRevaluation, _ q: UnsafeMutablePointer<SymbolState>, bid: Int64, ask: Int64, time: Int64
    ) throws(HQTError) {
        phase = .triggers
        if outcome == .outOfRange {
            // Refuses the tick: the clock and the counters are put back.
            try setQuoteRevaluing(
                q, bid: bid, ask: ask, time: time, clockBefore: previousTime, isTick: true, finish: true)
        }
        try checkMarginLevels()
        if unreportedDeals > 0 || recordsSinceCheckpoint >= checkpointEvery {
            phase = .callbacks
            try deliverTrades()
            phase = .between
            if recordsSinceCheckpoint >= checkpointEvery { try checkpointIfDue() }
        }
        phase = .between
    }
}

/// The deals a re-feed hands to `onTrade`, in the order they were made.
struct TradeRefeed {
    private var marks: [StrategyCheckpoint.DealMark] = []
    private var delivered: [Bool] = []
    /// Marks before this are all delivered (marks are in journal order, so
    /// by event): each event looks only at its own.
    private var cursor = 0
    private var deals: [UInt64: Deal] = [:]
    private let baseEvents: Int64
    private let baseFeed: Int

    init(point: StrategyCheckpoint?, deals history: [Deal]) {
        baseEvents = point?.events ?? -1
        baseFeed = point?.feedPosition ?? 0
        guard let point, !point.deals.isEmpty else { return }
        marks = point.deals
        delivered = Array(repeating: false, count: marks.count)
        let wanted = Set(marks.map(\.ticket))
        for d in history.reversed() where wanted.contains(d.ticket) {
            deals[d.ticket] = d
            if deals.count == wanted.count { break }
        }
    }

    /// The journal's event number of feed event `index` (events since the
    /// checkpoint came from the feed one by one); nil before the checkpoint.
    func event(at index: Int) -> Int64? {
        guard baseEvents >= 0, index >= baseFeed else { return nil }
        return baseEvents + Int64(index - baseFeed) + 1
    }

    /// Delivers the deals of event `n` made in one of `phases` (and, for a
    /// built bar, at `time`) that are not delivered yet, in order.
    mutating func deliver(
        _ n: Int64?, _ phases: [LedgerPhase], _ hooks: StrategyHooks, _ engine: Engine,
        time: Int64? = nil
    ) throws(HQTError) {
        guard let n, cursor < marks.count, let onTrade = hooks.onTrade else { return }
        while cursor < marks.count && (delivered[cursor] || marks[cursor].event < n) { cursor += 1 }
        var i = cursor
        while i < marks.count && marks[i].event == n {
            if !delivered[i] && phases.contains(marks[i].phase) && (time == nil || marks[i].time == time) {
                delivered[i] = true
                if let deal = deals[marks[i].ticket] { try onTrade(engine, deal) }
            }
            i += 1
        }
    }
}
