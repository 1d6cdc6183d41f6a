/// The engine's indicators, and which events update them.
public final class IndicatorSet {
    var all: [Indicator] = []
    /// The indicators on ticks and on bars, by symbol (unretained: `all`
    /// owns them), as lists and as the tables the update loops read.
    private var tickLists: [[IndicatorHook]] = [], barLists: [[IndicatorHook]] = []
    private(set) var onTicks = HookTable([]), onBars = HookTable([])
    /// Any indicator on bars at all (one check per bar when none).
    var anyOnBars = false

    deinit {
        onTicks.free()
        onBars.free()
    }

    func add(_ indicator: Indicator) {
        let s = Int(indicator.spec.symbolID)
        all.append(indicator)
        if indicator.timeframe == nil {
            IndicatorSet.append(IndicatorHook(indicator), symbol: s, to: &tickLists)
            onTicks.free()
            onTicks = HookTable(tickLists)
        } else {
            IndicatorSet.append(IndicatorHook(indicator), symbol: s, to: &barLists)
            onBars.free()
            onBars = HookTable(barLists)
            anyOnBars = true
        }
    }

    private static func append(_ hook: IndicatorHook, symbol s: Int, to lists: inout [[IndicatorHook]]) {
        while lists.count <= s { lists.append([]) }
        lists[s].append(hook)
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
        indicators.add(indicator)
        if indicator.timeframe == nil { quotes[Int(indicator.spec.symbolID)].tickIndicators += 1 }
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
        let table = indicators.onTicks
        var (i, end) = table.range(s)
        while i < end {
            let hook = table.hooks[i]
            if let sma = hook.inlineSMA {
                let x: Int64
                switch hook.source {
                case .ask: x = ask
                case .mid: x = bid &+ ask  // both <= 1e15: no overflow
                default: x = bid
                }
                sma.step(x, time: time)
            } else {
                hook.indicator._withUnsafeGuaranteedRef { $0.update(bid: bid, ask: ask, time: time) }
            }
            i &+= 1
        }
    }

    @inline(__always)
    func updateBarIndicators(_ bar: Bar, closeTime: Int64) {
        guard indicators.anyOnBars else { return }
        updateBarIndicatorsSlow(bar, closeTime: closeTime)
    }

    @inline(never)
    private func updateBarIndicatorsSlow(_ bar: Bar, closeTime: Int64) {
        let table = indicators.onBars, minutes = bar.timeframe.minutes
        var (i, end) = table.range(Int(bar.symbolID))
        while i < end {
            let hook = table.hooks[i]
            if hook.minutes == minutes {
                if let sma = hook.inlineSMA {
                    sma.step(bar.close, time: closeTime)
                } else {
                    hook.indicator._withUnsafeGuaranteedRef { $0.update(bar: bar, closeTime: closeTime) }
                }
            }
            i &+= 1
        }
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
