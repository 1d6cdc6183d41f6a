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

/// Broadcasting, seen from the engine: while enabled, run() and process()
/// publish every event with no call from the strategy. Turning it on or off
/// mid-run is allowed.
extension Engine {
    /// Binds a publisher. On failure (port in use, bad endpoint) the error is
    /// thrown and the engine goes on without broadcasting.
    public func enableBroadcasting(_ options: BroadcastOptions, cadence: BroadcastCadence = BroadcastCadence()) throws(HQTError) {
        guard broadcaster == nil else {
            throw HQTError(.state, "already broadcasting on \(broadcaster!.endpoint); disable broadcasting first")
        }
        guard cadence.everyTicks >= 0 else { throw HQTError(.invalidArgument, "cadence every_ticks must be >= 0") }
        let b = try Broadcaster(options: options)
        broadcaster = b
        self.cadence = cadence
        lastBroadcastStats = b.stats
        ticksSinceAccountFrame = 0
    }

    /// Closes the publisher (idempotent). Its counters stay readable.
    public func disableBroadcasting() {
        broadcaster?.close()
        broadcaster = nil
    }

    public var isBroadcasting: Bool { broadcaster != nil }

    /// Counters of the current broadcaster, or of the last one.
    public var broadcastStats: BroadcastStats? { lastBroadcastStats }

    /// The endpoint bound (with a "*" port resolved).
    public var broadcastEndpoint: String? { broadcaster?.endpoint }

    // MARK: publish points (no-ops unless broadcasting; silent during recovery)

    @inline(__always)
    func publishTick(_ b: Broadcaster, symbol s: Int, time: Int64, bid: Int64, ask: Int64) {
        guard !replaying else { return }
        b.publishTick(symbolID: UInt32(s), time: UInt64(time), bid: bid, ask: ask)
        if cadence.everyTicks > 0 {
            ticksSinceAccountFrame += 1
            if ticksSinceAccountFrame >= cadence.everyTicks {
                ticksSinceAccountFrame = 0
                publishAccountFrames(b, time: time)
            }
        }
    }

    func notifyBar(_ bar: Bar) {
        guard let b = broadcaster, !replaying else { return }
        b.publishBar(symbolID: bar.symbolID, timeframe: UInt16(clamping: bar.timeframe.minutes),
                     time: UInt64(bar.time), open: bar.open, high: bar.high, low: bar.low, close: bar.close,
                     volume: UInt64(bar.volume))
        if cadence.onBarClose { publishAccountFrames(b, time: now) }
    }

    func notifyOrder(_ order: Order, state: OrderState? = nil, time: Int64) {
        guard let b = broadcaster, !replaying else { return }
        let kind = BroadcastFrame.kind(type: UInt8(order.type.rawValue), state: UInt8((state ?? order.state).rawValue))
        b.publishOrder(ticket: order.ticket, symbolID: order.symbolID, time: UInt64(max(time, 0)), kind: kind,
                       volume: UInt64(order.volume), price: order.price)
    }

    func notifyDeal(_ deal: Deal) {
        guard let b = broadcaster, !replaying else { return }
        b.publishTrade(ticket: deal.ticket, symbolID: deal.symbolID, time: UInt64(max(deal.time, 0)),
                       volume: UInt64(deal.volume), price: deal.price, profit: deal.profit)
    }

    func notifyPosition(_ p: Position, event: PositionEvent, time: Int64) {
        guard let b = broadcaster, !replaying else { return }
        let profit = event == .closed ? p.profit : floatingProfit(of: p)
        b.publishPosition(ticket: p.ticket, symbolID: p.symbolID, time: UInt64(max(time, 0)),
                          kind: BroadcastFrame.kind(type: UInt8(p.side.rawValue), state: event.rawValue),
                          volume: UInt64(p.volume), openPrice: p.openPrice, sl: p.sl, tp: p.tp, profit: profit)
    }

    /// After a deal or a balance operation.
    func notifyAccount(time: Int64) {
        guard let b = broadcaster, !replaying, cadence.onDeal else { return }
        publishAccountFrames(b, time: time)
    }

    /// MARGIN at once: 1 margin call, 2 stop-out.
    func notifyMargin(event: UInt8) {
        guard let b = broadcaster, !replaying else { return }
        b.publishMargin(time: UInt64(max(now, 0)), margin: usedMargin, freeMargin: freeMargin,
                        marginLevel: marginLevel, event: event)
    }

    private func publishAccountFrames(_ b: Broadcaster, time: Int64) {
        let t = UInt64(max(time, 0))
        let e = equity, level = marginLevel
        b.publishEquity(time: t, balance: balance, equity: e, margin: usedMargin, freeMargin: e - usedMargin)
        b.publishAccount(time: t, balance: balance, equity: e, profit: floatingProfit, marginLevel: level)
        b.publishMargin(time: t, margin: usedMargin, freeMargin: e - usedMargin, marginLevel: level, event: 0)
    }
}
