import HQTCore

/// When the engine sends the account frames (EQUITY, ACCOUNT and a MARGIN
/// update): by default at every bar close and after every deal. MARGIN also
/// goes out at once on a margin call and a stop-out, whatever the cadence.
public struct BroadcastCadence: Sendable, Equatable {
    public var onBarClose = true
    public var onDeal = true
    /// Also every N ticks (0 = off).
    public var everyTicks = 0
    public init(onBarClose: Bool = true, onDeal: Bool = true, everyTicks: Int = 0) {
        self.onBarClose = onBarClose; self.onDeal = onDeal; self.everyTicks = everyTicks
    }
}

/// The broadcaster as an engine sink: every event becomes its SPEC frame.
public final class BroadcastSink: ClosableSink {
    public func close() { broadcaster.close() }

    public let broadcaster: Broadcaster
    public let cadence: BroadcastCadence
    private var ticksSinceAccountFrame = 0

    public init(broadcaster: Broadcaster, cadence: BroadcastCadence) {
        self.broadcaster = broadcaster
        self.cadence = cadence
    }

    @inline(__always)
    public func tick(_ engine: Engine, symbolID: UInt32, time: Int64, bid: Int64, ask: Int64) {
        broadcaster.publishTick(symbolID: symbolID, time: UInt64(time), bid: bid, ask: ask)
        if cadence.everyTicks > 0 {
            ticksSinceAccountFrame += 1
            if ticksSinceAccountFrame >= cadence.everyTicks {
                ticksSinceAccountFrame = 0
                publishAccountFrames(engine, time: time)
            }
        }
    }

    public func bar(_ engine: Engine, _ bar: Bar) {
        broadcaster.publishBar(
            symbolID: bar.symbolID, timeframe: UInt16(clamping: bar.timeframe.minutes),
            time: UInt64(bar.time), open: bar.open, high: bar.high, low: bar.low,
            close: bar.close, volume: UInt64(bar.volume))
        if cadence.onBarClose { publishAccountFrames(engine, time: engine.account.time) }
    }

    public func order(_ engine: Engine, _ order: Order, state: OrderState, time: Int64) {
        let kind = BroadcastFrame.kind(type: UInt8(order.type.rawValue), state: UInt8(state.rawValue))
        broadcaster.publishOrder(
            ticket: order.ticket, symbolID: order.symbolID, time: UInt64(max(time, 0)),
            kind: kind, volume: UInt64(order.volume), price: order.price)
    }

    public func deal(_ engine: Engine, _ deal: Deal) {
        broadcaster.publishTrade(
            ticket: deal.ticket, symbolID: deal.symbolID, time: UInt64(max(deal.time, 0)),
            volume: UInt64(deal.volume), price: deal.price, profit: deal.profit)
    }

    public func position(_ engine: Engine, _ p: Position, event: PositionEvent, time: Int64, profit: Int64) {
        broadcaster.publishPosition(
            ticket: p.ticket, symbolID: p.symbolID, time: UInt64(max(time, 0)),
            kind: BroadcastFrame.kind(type: UInt8(p.side.rawValue), state: event.rawValue),
            volume: UInt64(p.volume), openPrice: p.openPrice, sl: p.sl, tp: p.tp,
            profit: profit)
    }

    public func accountChanged(_ engine: Engine, time: Int64) {
        if cadence.onDeal { publishAccountFrames(engine, time: time) }
    }

    public func marginEvent(_ engine: Engine, event: MarginEvent, time: Int64) {
        let a = engine.account
        broadcaster.publishMargin(
            time: UInt64(max(time, 0)), margin: a.margin, freeMargin: a.freeMargin,
            marginLevel: a.marginLevel, event: event.rawValue)
    }

    // SESSION frames (docs/zmq.md section 12).

    public func runStarted(_ engine: Engine, resumed: Bool) {
        let symbols = engine.symbols.enumerated().map { i, s in
            SessionFrame.SymbolEntry(
                id: UInt32(i), digits: s.digits, contractSize: s.contractSize, name: s.name,
                baseCurrency: s.baseCurrency, profitCurrency: s.profitCurrency,
                marginCurrency: s.marginCurrency)
        }
        broadcaster.publishSession(
            SessionFrame.runStart(
                runID: broadcaster.runID, time: Self.time(engine), nextSeq: broadcaster.nextSequences,
                resumed: resumed, balance: engine.balance, currency: engine.currency, symbols: symbols))
    }

    public func runPaused(_ engine: Engine) {
        broadcaster.pause(time: Self.time(engine))
    }

    public func runEnded(_ engine: Engine, failed: Bool) {
        let a = engine.account
        let end = SessionFrame.RunEnd(
            failed: failed, balance: a.balance, equity: a.equity, margin: a.margin,
            freeMargin: a.freeMargin, deals: UInt64(engine.deals.count),
            openPositions: UInt32(clamping: engine.positions.count),
            pendingOrders: UInt32(clamping: engine.orders.count))
        broadcaster.publishSession(
            SessionFrame.runEnd(
                runID: broadcaster.runID, time: Self.time(engine), nextSeq: broadcaster.nextSequences, end))
    }

    /// The engine's time as a frame time: 0 before the first event.
    private static func time(_ engine: Engine) -> UInt64 {
        let t = engine.account.time
        return t > 0 ? UInt64(t) : 0
    }

    private func publishAccountFrames(_ engine: Engine, time: Int64) {
        let t = UInt64(max(time, 0))
        let a = engine.account
        broadcaster.publishEquity(
            time: t, balance: a.balance, equity: a.equity, margin: a.margin,
            freeMargin: a.freeMargin)
        broadcaster.publishAccount(
            time: t, balance: a.balance, equity: a.equity, profit: a.profit,
            marginLevel: a.marginLevel)
        broadcaster.publishMargin(
            time: t, margin: a.margin, freeMargin: a.freeMargin, marginLevel: a.marginLevel,
            event: MarginEvent.update.rawValue)
    }
}

/// Broadcasting, seen from the engine: while enabled, run() and process()
/// publish every event with no call from the strategy. Turning it on or off
/// mid-run is allowed.
extension Engine {
    /// Binds a publisher. On failure (port in use, bad endpoint) the error is
    /// thrown and the engine goes on without broadcasting.
    public func enableBroadcasting(_ options: BroadcastOptions, cadence: BroadcastCadence = BroadcastCadence())
        throws(HQTError)
    {
        if let current = broadcastSink {
            throw HQTError(
                .state, "already broadcasting on \(current.broadcaster.endpoint); disable broadcasting first")
        }
        guard cadence.everyTicks >= 0 else { throw HQTError(.invalidArgument, "cadence every_ticks must be >= 0") }
        var options = options
        // With a WAL, replay ranges older than the window come from a spill beside it.
        if options.replayEndpoint != nil && options.replaySpillPath == nil, let wal = walPath {
            options.replaySpillPath = wal + ".stream"
        }
        let sink = BroadcastSink(broadcaster: try Broadcaster(options: options), cadence: cadence)
        attach(sink)
        plugInState[ObjectIdentifier(BroadcastSink.self)] = sink
    }

    /// Closes the publisher (idempotent). Its counters stay readable.
    public func disableBroadcasting() {
        guard let sink = broadcastSink else { return }
        sink.broadcaster.close()
        detach(sink)
    }

    public var isBroadcasting: Bool { broadcastSink != nil }

    /// Counters of the current broadcaster, or of the last one.
    public var broadcastStats: BroadcastStats? {
        (plugInState[ObjectIdentifier(BroadcastSink.self)] as? BroadcastSink)?.broadcaster.stats
    }

    /// The endpoint bound (with a "*" port resolved).
    public var broadcastEndpoint: String? { broadcastSink?.broadcaster.endpoint }

    /// The replay ROUTER's endpoint (docs/zmq.md section 13), if one was asked for.
    public var replayEndpoint: String? { broadcastSink?.broadcaster.replayEndpoint }

    /// The run id of the sequenced and SESSION frames, while broadcasting.
    public var broadcastRunID: UInt64? { broadcastSink?.broadcaster.runID }

    /// The attached broadcast sink, if broadcasting.
    var broadcastSink: BroadcastSink? {
        sinks.lazy.compactMap { $0 as? BroadcastSink }.first
    }
}
