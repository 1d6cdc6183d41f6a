/// Choosing the tick model of a run (docs/engine.md, "Tick models"); the
/// bars it turns into ticks are handled in Engine+Market.swift.
extension Engine {
    /// Asks for `model` in the following runs (nil: no request; a run then
    /// uses `.realTicks`, a resume the recovered run's model). C's
    /// `hqt_engine_set_tick_model`.
    public func setTickModel(_ model: TickModel?) throws(HQTError) {
        try checkNotRunning("set the tick model")
        requestedTickModel = model
    }

    /// The model a run starting now uses, checked against the loaded data
    /// (so a wrong timeframe fails before on_start) and, for a resume,
    /// against the model the recovered run was journaled with.
    func tickModelForRun(_ requested: TickModel?, resume: Bool) throws(HQTError) -> TickModel {
        if resume && (runStage == .running || runStage == .completed) {
            // A run to continue (or a finished one): the journaled model.
            if let requested, requested != tickModel {
                throw HQTError(
                    .invalidArgument,
                    "the recovered run used tick_model '\(tickModel.name)': resume it with that model (or without one), not '\(requested.name)', so that it sees the same ticks"
                )
            }
            return tickModel
        }
        // A fresh run, or a resume that starts the run again (a crash in its
        // on_start, whose RUN_MARK STARTING recovery put in `requestedTickModel`).
        let model = requested ?? .realTicks
        if model.needsM1 {
            for series in feed.bars where series.remaining > 0 && series.timeframe != .m1 {
                throw needsM1Error(model, symbol: Int(series.symbolID), timeframe: series.timeframe)
            }
        }
        return model
    }

    func needsM1Error(_ model: TickModel, symbol s: Int, timeframe: Timeframe) -> HQTError {
        HQTError(
            .invalidArgument,
            "tick_model '\(model.name)' generates ticks from M1 bars, but \(symbols[s].name) has \(timeframe) bars loaded: load M1 bars, or use tick_model 'open_prices' (any timeframe) or 'bars' (the bar rule)"
        )
    }

    /// A generated bar for `feedEvents` (a resumed run's re-feed): its
    /// ticks again, each with the bars they close among `builders` (`onBar`,
    /// then the deals that on_bar made), the deals the engine made at the
    /// tick, `onTick`, the deals its callbacks made; then what the bar's
    /// close did (stop-out at the close quote). Before the re-feed's start
    /// (`live` false) only the builders are fed.
    func refeedGeneratedTicks(
        _ series: BarSeries, row: Int, floor start: Int64, live: Bool, _ n: Int64?,
        _ trades: inout TradeRefeed, _ builders: inout [BarBuilder], _ hooks: StrategyHooks
    ) throws(HQTError) {
        let s = Int(series.symbolID)
        // A builder added during the re-feed (build_bars from a callback)
        // starts with the data after it.
        let own = feed.buildersBySymbol[s].filter { $0 < builders.count }
        guard live || !own.isEmpty else { return }
        let bar = series.bar(at: row)
        let count = generateTicks(bar, series: series, row: row, point: quotes[s].point)
        let spread = symbols[s].spread
        var floor = start
        for k in 0..<count {
            let previous = floor
            let time = max(TickGenerator.time(ofTick: k, count: count, open: bar.time), floor)
            floor = time
            let bid = scratchTickPrices[k]
            if !own.isEmpty {
                // As `closeBuiltBars`: each at max(the clock, its close).
                var barClock = previous
                for b in Feed.closing(builders, among: own, at: time) {
                    builders[b].active = false
                    barClock = max(barClock, builders[b].closeTime)
                    guard live else { continue }
                    if let onBar = hooks.onBar {
                        syncHot()
                        try onBar(self, builders[b].bar)
                    }
                    try trades.deliver(n, [.beforeMarket], hooks, self, time: barClock)
                }
                for b in own { builders[b].add(time: time, bid: bid, ask: bid + spread) }
            }
            guard live else { continue }
            try trades.deliver(n, [.triggers, .stopOut], hooks, self, time: time)
            if let onTick = hooks.onTick {
                syncHot()
                try onTick(self, Tick(symbolID: series.symbolID, time: time, bid: bid, ask: bid + spread))
            }
            try trades.deliver(n, [.callbacks], hooks, self, time: time)
        }
        guard live else { return }
        try trades.deliver(n, [.stopOut], hooks, self)
    }

    /// The tick model of a run whose on_start recovery drops unfinished
    /// (`dropped`: the records cut): the resume starts that run again and,
    /// asked for no model, uses this one.
    static func restartModel(in dropped: ArraySlice<LedgerRecord>) -> TickModel? {
        for r in dropped.reversed() {
            if case .runMark(.starting, _, let model) = r.op { return model }
        }
        return nil
    }
}
