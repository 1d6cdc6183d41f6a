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
        if resume {
            if let requested, requested != tickModel, runStage == .running || runStage == .completed {
                throw HQTError(
                    .invalidArgument,
                    "the recovered run used tick_model '\(tickModel.name)': resume it with that model (or without one), not '\(requested.name)', so that it sees the same ticks"
                )
            }
            return tickModel
        }
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
}
