/// An indicator as the update loops see it: the timeframe of a bar
/// indicator (compared before touching the indicator; 0 on ticks), its
/// price source, and the whole update (`SMAUpdate`) when the loop updates
/// it inline: an SMA on ticks, or an SMA of closes (the default) on bars.
struct IndicatorHook {
    let indicator: Unmanaged<Indicator>
    let minutes: Int32
    let source: PriceSource
    let inlineSMA: SMAUpdate?

    init(_ indicator: Indicator) {
        self.indicator = .passUnretained(indicator)
        minutes = indicator.timeframe?.minutes ?? 0
        source = indicator.source
        let inlined = indicator.timeframe == nil || Indicator.price(of: indicator.source) == .close
        inlineSMA = inlined ? indicator.sma : nil
    }
}

/// Hooks grouped by symbol in raw memory: symbol s's are
/// `hooks[starts[s] ..< starts[s + 1]]` for s < `symbols`. Built again when
/// an indicator is declared (rare); the update loops read it with no bounds
/// checks and no retain (it holds no reference: copying it is free).
/// `IndicatorSet` frees it.
struct HookTable {
    private(set) var hooks: UnsafeMutablePointer<IndicatorHook>
    private(set) var starts: UnsafeMutablePointer<Int>
    private(set) var symbols: Int

    /// The table of `lists[s]` for each symbol s.
    init(_ lists: [[IndicatorHook]]) {
        hooks = .allocate(capacity: max(1, lists.reduce(0) { $0 + $1.count }))
        starts = .allocate(capacity: lists.count + 1)
        symbols = lists.count
        var n = 0
        for (symbol, list) in lists.enumerated() {
            starts[symbol] = n
            for h in list {
                (hooks + n).initialize(to: h)
                n += 1
            }
        }
        starts[lists.count] = n
    }

    func free() {
        hooks.deallocate()
        starts.deallocate()
    }

    /// Symbol s's hooks as a range of `hooks` (empty for a symbol without any).
    @inline(__always)
    func range(_ s: Int) -> (start: Int, end: Int) {
        s < symbols ? (starts[s], starts[s &+ 1]) : (0, 0)
    }
}
