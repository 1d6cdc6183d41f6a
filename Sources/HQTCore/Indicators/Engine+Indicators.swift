/// The engine's indicators, and which events update them.
public final class IndicatorSet {
    var all: [Indicator] = []
    /// Per symbol: the indicators on its ticks, unretained (`all` owns
    /// them): the update loop then does no reference counting.
    var onTicks: [[Unmanaged<Indicator>]] = []
    /// The indicators on bars, grouped by symbol in raw memory: symbol s's
    /// are `barHooks[barStarts[s] ..< barStarts[s + 1]]` for s < `barSymbols`.
    /// Rebuilt when one is declared; the bar path reads it with no array
    /// bounds checks and no retain of an inner array.
    private(set) var barHooks = UnsafeMutablePointer<BarHook>.allocate(capacity: 1)
    private(set) var barStarts = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private(set) var barSymbols = 0
    private var onBars: [[BarHook]] = []
    /// Any indicator on bars at all (one check per bar when none).
    var anyOnBars = false

    /// An indicator on bars with what its update needs first: the
    /// timeframe (compared before touching the indicator) and, for an SMA
    /// of closes (the default source), the whole update (`SMAUpdate`).
    struct BarHook {
        let indicator: Unmanaged<Indicator>
        let minutes: Int32
        let closeSMA: SMAUpdate?

        init(_ indicator: Indicator, minutes: Int32) {
            self.indicator = .passUnretained(indicator)
            self.minutes = minutes
            closeSMA = Indicator.price(of: .close) == Indicator.price(of: indicator.source) ? indicator.sma : nil
        }
    }

    init() { barStarts.initialize(to: 0) }

    deinit {
        barHooks.deallocate()
        barStarts.deallocate()
    }

    func ensure(symbols: Int) {
        while onTicks.count < symbols {
            onTicks.append([])
            onBars.append([])
        }
    }

    func addOnBars(_ indicator: Indicator, symbol s: Int, minutes: Int32) {
        onBars[s].append(BarHook(indicator, minutes: minutes))
        anyOnBars = true
        let total = onBars.reduce(0) { $0 + $1.count }
        let hooks = UnsafeMutablePointer<BarHook>.allocate(capacity: total)
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: onBars.count + 1)
        var n = 0
        for (symbol, list) in onBars.enumerated() {
            starts[symbol] = n
            for hook in list {
                (hooks + n).initialize(to: hook)
                n += 1
            }
        }
        starts[onBars.count] = n
        barHooks.deallocate()
        barStarts.deallocate()
        barHooks = hooks
        barStarts = starts
        barSymbols = onBars.count
    }
}

extension Engine {
    /// The declared indicators, in declaration order (their ids).
    public var indicatorList: [Indicator] { indicators.all }

    /// Declares an indicator (or takes back one that recovery restored with
    /// the same spec and that nothing declared since) and returns its id.
    /// It is updated by every later event of its symbol: each tick, or each
    /// bar of its timeframe (loaded, built from ticks, or under a tick model),
    /// before the strategy's callback for that event.
    public func declareIndicator(_ spec: IndicatorSpec) throws(HQTError) -> Int {
        try checkSymbol(spec.symbolID)
        if let i = indicators.all.firstIndex(where: { !$0.claimed && $0.spec == spec }) {
            indicators.all[i].claimed = true
            return i
        }
        guard indicators.all.count < 65_536 else {
            throw HQTError(.invalidArgument, "too many indicators (65536) on one engine")
        }
        attach(Indicator(spec))
        return indicators.all.count - 1
    }

    private func attach(_ indicator: Indicator) {
        let s = Int(indicator.spec.symbolID)
        indicators.ensure(symbols: symbols.count)
        indicators.all.append(indicator)
        if indicator.spec.timeframe == nil {
            indicators.onTicks[s].append(.passUnretained(indicator))
            quotes[s].tickIndicators += 1
        } else {
            indicators.addOnBars(indicator, symbol: s, minutes: indicator.spec.timeframe?.minutes ?? 0)
        }
    }

    public func indicator(_ id: Int) throws(HQTError) -> Indicator {
        guard id >= 0, id < indicators.all.count else {
            throw HQTError(
                .invalidArgument, "unknown indicator id \(id) (\(indicators.all.count) declared on this engine)")
        }
        return indicators.all[id]
    }

    // MARK: updates (called from the event paths, before the callbacks)

    @inline(never)
    func updateTickIndicators(_ s: Int, bid: Int64, ask: Int64, time: Int64) {
        indicators.onTicks[s].withUnsafeBufferPointer { list in
            for ind in list { ind._withUnsafeGuaranteedRef { $0.update(bid: bid, ask: ask, time: time) } }
        }
    }

    @inline(__always)
    func updateBarIndicators(_ bar: Bar, closeTime: Int64) {
        guard indicators.anyOnBars else { return }
        updateBarIndicatorsSlow(bar, closeTime: closeTime)
    }

    @inline(never)
    private func updateBarIndicatorsSlow(_ bar: Bar, closeTime: Int64) {
        let set = indicators, s = Int(bar.symbolID)
        guard s < set.barSymbols else { return }
        let hooks = set.barHooks, minutes = bar.timeframe.minutes
        var i = set.barStarts[s]
        let end = set.barStarts[s &+ 1]
        while i < end {
            let hook = hooks[i]
            if hook.minutes == minutes {
                if let sma = hook.closeSMA {
                    sma.step(bar.close, time: closeTime)
                } else {
                    Engine.updateOther(hook.indicator, bar, closeTime: closeTime)
                }
            }
            i &+= 1
        }
    }

    /// An indicator that `updateBarIndicatorsSlow` does not update inline.
    @inline(never)
    private static func updateOther(_ indicator: Unmanaged<Indicator>, _ bar: Bar, closeTime: Int64) {
        indicator._withUnsafeGuaranteedRef { $0.update(bar: bar, closeTime: closeTime) }
    }

    // MARK: snapshot section (v5)

    func writeIndicators(into w: ByteWriter) {
        w.u64(UInt64(indicators.all.count))
        for ind in indicators.all {
            let s = ind.spec
            w.i32(s.kind.rawValue); w.u32(s.symbolID); w.i32(s.timeframe?.minutes ?? 0); w.i32(s.source.rawValue)
            w.u64(UInt64(s.history))
            w.u64(UInt64(s.params.count)); for p in s.params { w.f64(p) }
            ind.write(into: w)
        }
    }

    /// Reads the section; checked against the declared indicators (a
    /// declared one must have the snapshot's spec at its position).
    func readIndicators(_ r: inout ByteReader) throws(HQTError) -> [(IndicatorSpec, Indicator.Saved)] {
        var out: [(IndicatorSpec, Indicator.Saved)] = []
        for i in 0..<(try r.count("indicators", minSize: 48)) {
            let rawKind = try r.i32("indicator kind"), symbol = try r.u32(), tf = try r.i32(), rawSource = try r.i32()
            let history = try r.u64("indicator history")
            var params: [Double] = []
            for _ in 0..<(try r.count("indicator parameters", minSize: 8)) { params.append(try r.f64()) }
            guard let kind = IndicatorKind(rawValue: rawKind), let source = PriceSource(rawValue: rawSource),
                Int(symbol) < symbols.count, history <= UInt64(IndicatorSpec.maxHistory)
            else { throw r.corrupt("indicator \(i)") }
            let timeframe: Timeframe? = tf == 0 ? nil : Timeframe(minutes: tf)
            guard tf == 0 || timeframe != nil else { throw r.corrupt("indicator \(i) timeframe") }
            let spec: IndicatorSpec
            do {
                spec = try IndicatorSpec(
                    kind: kind, symbolID: symbol, timeframe: timeframe, source: source, params: params,
                    history: Int(history))
            } catch { throw r.corrupt("indicator \(i): \(error.message)") }
            if i < indicators.all.count && indicators.all[i].spec != spec {
                throw HQTError(
                    .wal,
                    "indicator \(i) of the checkpoint is \(spec.kind) on symbol \(spec.symbolID), but this engine declared \(indicators.all[i].spec.kind) on symbol \(indicators.all[i].spec.symbolID) first: declare the same indicators in the same order before recovering"
                )
            }
            out.append((spec, try Indicator.read(&r, spec: spec)))
        }
        return out
    }

    /// Applies a checked section: declared indicators take their saved
    /// state, the others are created (unclaimed: the next declaration
    /// with the same spec takes them, so a resumed strategy gets them warm).
    func restoreIndicators(_ saved: [(IndicatorSpec, Indicator.Saved)]) {
        for (i, (spec, state)) in saved.enumerated() {
            if i >= indicators.all.count {
                attach(Indicator(spec))
                indicators.all[i].claimed = false
            }
            indicators.all[i].apply(state)
        }
    }
}
