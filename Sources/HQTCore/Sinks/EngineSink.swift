/// Something that watches the engine: the ZeroMQ broadcaster
/// (`HQTBroadcast`), a recorder, a test probe. Sinks are told of every
/// event after the engine has applied it; they cannot change the outcome.
/// During recovery (replay) the engine tells them nothing: what they saw the
/// first time is not sent again.
///
/// Several sinks may be attached (`Engine.attach(_:)`); they are called in
/// the order they were attached. A sink reads anything else it wants (the
/// account for a cadence of its own, say) through the engine it is given.
public protocol EngineSink: AnyObject {
    func tick(_ engine: Engine, symbolID: UInt32, time: Int64, bid: Int64, ask: Int64)
    /// A bar closed (loaded, or built from ticks).
    func bar(_ engine: Engine, _ bar: Bar)
    /// An order changed state (`state` may differ from `order.state`: a
    /// market order is reported placed, then filled).
    func order(_ engine: Engine, _ order: Order, state: OrderState, time: Int64)
    func deal(_ engine: Engine, _ deal: Deal)
    /// `profit` is the floating profit, or the realised one when closed.
    func position(_ engine: Engine, _ position: Position, event: PositionEvent, time: Int64, profit: Int64)
    /// After a deal or a balance operation changed the account.
    func accountChanged(_ engine: Engine, time: Int64)
    /// A margin call (1) or a stop-out (2) starts.
    func marginEvent(_ engine: Engine, event: MarginEvent, time: Int64)
    /// `run()` starts a run, or continues a paused one (`resumed`).
    func runStarted(_ engine: Engine, resumed: Bool)
    /// `run()` stopped between two events on an interrupt; a later
    /// `run()` continues it (`runStarted(resumed: true)`).
    func runPaused(_ engine: Engine)
    /// `run()` finished the run (`failed`: it ended on an error).
    func runEnded(_ engine: Engine, failed: Bool)
}

// The run boundaries are optional for a sink: most watch events only.
extension EngineSink {
    public func runStarted(_ engine: Engine, resumed: Bool) {}
    public func runPaused(_ engine: Engine) {}
    public func runEnded(_ engine: Engine, failed: Bool) {}
}

/// The MARGIN frame's event byte (SPEC section 2).
public enum MarginEvent: UInt8, Sendable {
    case update = 0, marginCall = 1, stopOut = 2
}

/// The sinks attached to an engine. The tick path asks `isEmpty` (one load)
/// before anything else, so an engine without sinks pays nothing for them.
struct SinkSet {
    private(set) var sinks: [any EngineSink] = []
    /// False while nothing is attached or the engine is replaying its journal.
    private(set) var active = false
    private var silenced = false
    /// The first sink, held without reference counting (the array keeps it
    /// alive): the tick path calls it directly, with no array traversal and
    /// no retain/release per tick.
    private(set) unowned(unsafe) var first: any EngineSink = NoSink.shared
    /// More than one sink: the tick path walks the array.
    private(set) var several = false

    mutating func attach(_ sink: any EngineSink) {
        sinks.append(sink)
        refresh()
    }

    mutating func detach(_ sink: any EngineSink) {
        sinks.removeAll { $0 === sink }
        refresh()
    }

    /// Recovery replays what the sinks already saw: they are not told again.
    mutating func silence(_ on: Bool) {
        silenced = on
        refresh()
    }

    private mutating func refresh() {
        active = !sinks.isEmpty && !silenced
        first = sinks.first ?? NoSink.shared
        several = sinks.count > 1
    }
}

/// The placeholder behind `SinkSet.first` while nothing is attached.
private final class NoSink: EngineSink, Sendable {
    static let shared = NoSink()
    func tick(_ engine: Engine, symbolID: UInt32, time: Int64, bid: Int64, ask: Int64) {}
    func bar(_ engine: Engine, _ bar: Bar) {}
    func order(_ engine: Engine, _ order: Order, state: OrderState, time: Int64) {}
    func deal(_ engine: Engine, _ deal: Deal) {}
    func position(_ engine: Engine, _ position: Position, event: PositionEvent, time: Int64, profit: Int64) {}
    func accountChanged(_ engine: Engine, time: Int64) {}
    func marginEvent(_ engine: Engine, event: MarginEvent, time: Int64) {}
}

extension Engine {
    /// Attaches a sink; it hears every event from now on.
    public func attach(_ sink: any EngineSink) {
        sinkSet.attach(sink)
    }

    /// Detaches a sink (no-op if it is not attached).
    public func detach(_ sink: any EngineSink) {
        sinkSet.detach(sink)
    }

    /// The attached sinks, in the order they are called.
    public var sinks: [any EngineSink] { sinkSet.sinks }

    // MARK: notify points (each a no-op without sinks, and during replay)

    @inline(__always)
    func notifyTick(symbol s: Int, time: Int64, bid: Int64, ask: Int64) {
        if !sinkSet.several {
            sinkSet.first.tick(self, symbolID: UInt32(truncatingIfNeeded: s), time: time, bid: bid, ask: ask)
            return
        }
        for sink in sinkSet.sinks {
            sink.tick(self, symbolID: UInt32(truncatingIfNeeded: s), time: time, bid: bid, ask: ask)
        }
    }

    /// Inlined test, out-of-line loop: every bar comes here, sinks or not.
    @inline(__always)
    func notifyBar(_ bar: Bar) {
        if sinkSet.active { notifyBarSinks(bar) }
    }

    @inline(never)
    private func notifyBarSinks(_ bar: Bar) {
        for sink in sinkSet.sinks { sink.bar(self, bar) }
    }

    func notifyOrder(_ order: Order, state: OrderState? = nil, time: Int64) {
        guard sinkSet.active else { return }
        for sink in sinkSet.sinks { sink.order(self, order, state: state ?? order.state, time: time) }
    }

    func notifyDeal(_ deal: Deal) {
        guard sinkSet.active else { return }
        for sink in sinkSet.sinks { sink.deal(self, deal) }
    }

    func notifyPosition(_ p: Position, event: PositionEvent, time: Int64) {
        guard sinkSet.active else { return }
        // Frames' profit field: the floating profit plus the unbooked swap.
        let profit = event == .closed ? p.profit : floatingProfit(of: p) &+ p.swap
        for sink in sinkSet.sinks { sink.position(self, p, event: event, time: time, profit: profit) }
    }

    func notifyAccount(time: Int64) {
        guard sinkSet.active else { return }
        for sink in sinkSet.sinks { sink.accountChanged(self, time: time) }
    }

    func notifyRun(started resumed: Bool) {
        guard sinkSet.active else { return }
        for sink in sinkSet.sinks { sink.runStarted(self, resumed: resumed) }
    }

    func notifyRunPaused() {
        guard sinkSet.active else { return }
        for sink in sinkSet.sinks { sink.runPaused(self) }
    }

    func notifyRunEnded(failed: Bool) {
        guard sinkSet.active else { return }
        for sink in sinkSet.sinks { sink.runEnded(self, failed: failed) }
    }

    func notifyMargin(_ event: MarginEvent) {
        guard sinkSet.active else { return }
        for sink in sinkSet.sinks { sink.marginEvent(self, event: event, time: now) }
    }
}
