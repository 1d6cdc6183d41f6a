/// Loaded market data (columns per symbol and per bar series), the bars
/// being built from ticks, and the one merged cursor over the data. One
/// owner: loads append here, the run loop, recovery and warm-up all read
/// through `currentMerge()` / `walk(upTo:)`.
final class Feed {
    /// Ticks by symbol id (nil: none loaded).
    var ticks: [TickSeries?] = []
    /// Loaded bar series, in load order.
    var bars: [BarSeries] = []
    var builders: [BarBuilder] = []
    /// Per symbol: indexes into `builders`.
    var buildersBySymbol: [[Int]] = []

    /// The merge over the series' current cursors, built on first use and
    /// dropped whenever the data or the cursors change outside it.
    private var merge: Merge?

    deinit { merge?.deallocate() }

    func addSymbol() {
        ticks.append(nil)
        buildersBySymbol.append([])
    }

    /// Data or cursors changed: the next `currentMerge()` rebuilds the merge.
    func invalidate() {
        merge?.deallocate()
        merge = nil
    }

    /// Forgets the data that has run (a run's source then loads the next
    /// window); bars being built stay.
    func dropConsumed() {
        invalidate()
        for (i, s) in ticks.enumerated() where s != nil && s!.remaining == 0 { ticks[i] = nil }
        bars.removeAll { $0.remaining == 0 }
    }

    /// Loaded events processed so far.
    var position: Int {
        ticks.reduce(0) { $0 + ($1?.cursor ?? 0) } + bars.reduce(0) { $0 + $1.cursor }
    }

    /// Loaded events not processed yet.
    var pendingCount: Int {
        ticks.reduce(0) { $0 + ($1?.remaining ?? 0) } + bars.reduce(0) { $0 + $1.remaining }
    }

    var isEmpty: Bool { ticks.allSatisfy { $0 == nil } && bars.isEmpty }

    /// The one series that still has events, when there is just one: the
    /// run loop's fast paths (a tick run or a bar run of one symbol).
    enum SoleSeries {
        case ticks(TickSeries)
        case bars(BarSeries)
    }

    var soleSeries: SoleSeries? {
        var found: SoleSeries?
        for case let s? in ticks where s.remaining > 0 {
            if found != nil { return nil }
            found = .ticks(s)
        }
        for s in bars where s.remaining > 0 {
            if found != nil { return nil }
            found = .bars(s)
        }
        return found
    }

    /// The leaves of a merge in tie order: bars (by symbol, then
    /// timeframe), then ticks (by symbol). `cursors` overrides where each
    /// series starts (a private walk); by default the series' own cursors.
    private func leaves(cursors: ((Int) -> UnsafeMutablePointer<Int>)? = nil) -> [Merge.Leaf] {
        var result: [Merge.Leaf] = []
        let barOrder = bars.indices.sorted {
            (bars[$0].symbolID, bars[$0].timeframe.minutes) < (bars[$1].symbolID, bars[$1].timeframe.minutes)
        }
        for i in barOrder {
            let s = bars[i]
            let times = UnsafePointer(s.closeTime.base)
            result.append(
                Merge.Leaf(
                    times: times, bid: times, ask: times, count: s.count,
                    cursor: cursors?(result.count) ?? s.cursorStorage.pointer, source: i))
        }
        for case let s? in ticks {
            result.append(
                Merge.Leaf(
                    times: UnsafePointer(s.time.base), bid: UnsafePointer(s.bid.base),
                    ask: UnsafePointer(s.ask.base), count: s.count,
                    cursor: cursors?(result.count) ?? s.cursorStorage.pointer,
                    source: -1 - Int(s.symbolID)))
        }
        return result
    }

    /// What `walk` hands to its visitor.
    enum Event {
        case tick(TickSeries, row: Int)
        case bar(BarSeries, row: Int)
    }

    /// The merge over the current cursors (built if needed). Valid until
    /// the data or the cursors change outside it (`invalidate`); the run
    /// loop steps a copy of it directly, with no per-event object access.
    func currentMerge() -> Merge {
        if let merge { return merge }
        let fresh = Merge(leaves())
        merge = fresh
        return fresh
    }

    /// Walks the loaded events from the first up to the current position,
    /// in the same order as `currentMerge()`, with private cursors and private bar
    /// builders, handing each to `visit` along with the bars those builders
    /// close before it (`builtBar`); the feed itself does not move.
    func walk(
        upTo end: Int, skipTick: (_ symbolID: UInt32, _ time: Int64) -> Bool = { _, _ in false },
        visit: (_ event: Event, _ index: Int) throws(HQTError) -> Void,
        builtBar: (_ bar: Bar, _ index: Int) throws(HQTError) -> Void
    ) throws(HQTError) {
        let template = leaves()
        let cursors = UnsafeMutablePointer<Int>.allocate(capacity: max(template.count, 1))
        cursors.initialize(repeating: 0, count: max(template.count, 1))
        defer { cursors.deallocate() }
        let walker = Merge(leaves(cursors: { cursors + $0 }))
        defer { walker.deallocate() }
        var privateBuilders = builders.map(\.restarted)
        var index = 0
        while index < end, walker.remaining > 0 {
            let (leaf, row) = walker.next()
            let source = leaf.pointee.source
            if source >= 0 {
                try visit(.bar(bars[source], row: row), index)
            } else {
                let s = ticks[-1 - source]!
                let time = s.time[row]
                // A tick outside its quote sessions: the run skipped it (no bars, no callback).
                if skipTick(s.symbolID, time) {
                    index += 1
                    continue
                }
                let own = buildersBySymbol[Int(s.symbolID)]
                for b in Feed.closing(privateBuilders, among: own, at: time) {
                    privateBuilders[b].active = false
                    try builtBar(privateBuilders[b].bar, index)
                }
                for b in own { privateBuilders[b].add(time: time, bid: s.bid[row], ask: s.ask[row]) }
                try visit(.tick(s, row: row), index)
            }
            index += 1
        }
    }

    /// The bars among `indices` that a tick at `time` closes, in the order
    /// they are delivered: earliest close first, then shorter timeframe.
    static func closing(_ builders: [BarBuilder], among indices: [Int], at time: Int64) -> [Int] {
        var closing: [Int] = []
        for b in indices where builders[b].active && time >= builders[b].closeTime { closing.append(b) }
        if closing.count > 1 {
            closing.sort {
                (builders[$0].closeTime, builders[$0].timeframe.minutes)
                    < (builders[$1].closeTime, builders[$1].timeframe.minutes)
            }
        }
        return closing
    }
}
