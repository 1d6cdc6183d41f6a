/// MT5's trading rules that depend on the distance to the market: the stops
/// level (SYMBOL_TRADE_STOPS_LEVEL) and the freeze level
/// (SYMBOL_TRADE_FREEZE_LEVEL), both in points of the symbol.
///
/// Source: the table "Requirements and Limitations in Making Trades" of the
/// MQL4 book (book.mql4.com/appendix/limits), which MetaQuotes repeats for
/// MT5 in the article "The checks a trading robot must pass before
/// publication in the Market" (mql5.com/en/articles/2555, sections on
/// SYMBOL_TRADE_STOPS_LEVEL and SYMBOL_TRADE_FREEZE_LEVEL):
///
/// | order       | open price             | SL                 | TP                 |
/// |-------------|------------------------|--------------------|--------------------|
/// | buy         | —                      | Bid − SL ≥ S       | TP − Bid ≥ S       |
/// | sell        | —                      | SL − Ask ≥ S       | Ask − TP ≥ S       |
/// | buy limit   | Ask − Open ≥ S         | Open − SL ≥ S      | TP − Open ≥ S      |
/// | sell limit  | Open − Bid ≥ S         | SL − Open ≥ S      | Open − TP ≥ S      |
/// | buy stop    | Open − Ask ≥ S         | Open − SL ≥ S      | TP − Open ≥ S      |
/// | sell stop   | Bid − Open ≥ S         | SL − Open ≥ S      | Open − TP ≥ S      |
///
/// Freeze level F: a pending order cannot be modified or deleted while
/// buy limit Ask − Open ≤ F, sell limit Open − Bid ≤ F, buy stop
/// Open − Ask ≤ F, sell stop Bid − Open ≤ F; a position cannot be modified
/// or closed while (buy) Bid − SL ≤ F or TP − Bid ≤ F, (sell) SL − Ask ≤ F or
/// Ask − TP ≤ F, for the levels it has now. Stops use ≥, freeze uses >:
/// a price exactly S points away is allowed, one exactly F points away is
/// frozen. A level of 0 turns its rule off (HQT's 0.1 checks still apply).
///
/// Stop-limit orders are checked as stop orders on their stop price and
/// their SL/TP against the limit price (where the position opens); the
/// distance between stop and limit price is not limited. SL, TP, pending
/// triggers and stop-out done by the engine are never refused: the rules
/// bind the trader's requests, as on a real server.
extension Engine {
    /// A level in points as a price distance (validated: <= 1e9 points,
    /// one point <= 1e6 micro units, so this cannot overflow).
    @inline(__always)
    func distance(points: Int64, _ spec: SymbolSpec) -> Int64 { points * spec.point }

    /// Stops level on the SL/TP of a request against `reference` (Bid for
    /// a buy position, Ask for a sell, the entry price of a pending order).
    func checkStopsLevel(
        side: Side, reference: Int64, sl: Int64, tp: Int64, spec: SymbolSpec, what: @autoclosure () -> String
    ) throws(HQTError) {
        guard spec.stopsLevel > 0 else { return }
        let d = distance(points: spec.stopsLevel, spec)
        let slGap = side == .buy ? reference - sl : sl - reference
        let tpGap = side == .buy ? tp - reference : reference - tp
        if sl > 0 && slGap < d {
            throw tooClose("stop loss", sl, spec, what: what(), reference: reference)
        }
        if tp > 0 && tpGap < d {
            throw tooClose("take profit", tp, spec, what: what(), reference: reference)
        }
    }

    /// Stops level on a pending order's (stop) price against the market.
    func checkPendingStopsLevel(type: OrderType, price: Int64, spec: SymbolSpec, quote q: SymbolState)
        throws(HQTError)
    {
        guard spec.stopsLevel > 0 else { return }
        let gap = Engine.marketGap(type: type, price: price, bid: q.bid, ask: q.ask)
        guard gap < distance(points: spec.stopsLevel, spec) else { return }
        let market = type.side == .buy ? q.ask : q.bid
        throw tooClose(
            "\(type.ruleLabel) price", price, spec, what: "the \(type.side == .buy ? "ask" : "bid")", reference: market)
    }

    /// Refuses changing or deleting a pending order whose current price is
    /// within the freeze level of the market.
    func checkOrderNotFrozen(_ order: Order) throws(HQTError) {
        let spec = symbols[Int(order.symbolID)]
        guard spec.freezeLevel > 0 else { return }
        let q = quotes[Int(order.symbolID)]
        let gap = Engine.marketGap(type: order.type, price: order.price, bid: q.bid, ask: q.ask)
        guard gap <= distance(points: spec.freezeLevel, spec) else { return }
        throw HQTError(
            .frozen,
            "\(spec.name) \(order.type.ruleLabel) order \(order.ticket) at \(FixedPoint.format(order.price)) is frozen: it is \(gap / spec.point) points from the market, the freeze level is \(spec.freezeLevel)"
        )
    }

    /// Refuses changing or closing a position whose SL or TP is within the
    /// freeze level of the closing price.
    func checkPositionNotFrozen(_ p: Position) throws(HQTError) {
        let spec = symbols[Int(p.symbolID)]
        guard spec.freezeLevel > 0 else { return }
        let q = quotes[Int(p.symbolID)]
        let market = p.side == .buy ? q.bid : q.ask
        let f = distance(points: spec.freezeLevel, spec)
        for (name, level, gap) in [
            ("stop loss", p.sl, p.side == .buy ? market - p.sl : p.sl - market),
            ("take profit", p.tp, p.side == .buy ? p.tp - market : market - p.tp),
        ] where level > 0 && gap <= f {
            throw HQTError(
                .frozen,
                "\(spec.name) position \(p.ticket) is frozen: its \(name) \(FixedPoint.format(level)) is \(gap / spec.point) points from the \(p.side == .buy ? "bid" : "ask") \(FixedPoint.format(market)), the freeze level is \(spec.freezeLevel)"
            )
        }
    }

    /// Distance from the market to a pending order's price, positive on
    /// the side the order must be on (the "open price" column above).
    static func marketGap(type: OrderType, price: Int64, bid: Int64, ask: Int64) -> Int64 {
        switch type {
        case .buyLimit: ask - price
        case .sellLimit: price - bid
        case .buyStop, .buyStopLimit: price - ask
        case .sellStop, .sellStopLimit: bid - price
        default: .max
        }
    }

    private func tooClose(_ name: String, _ level: Int64, _ spec: SymbolSpec, what: String, reference: Int64)
        -> HQTError
    {
        HQTError(
            .invalidStops,
            "\(spec.name): \(name) \(FixedPoint.format(level)) is closer than the stops level (\(spec.stopsLevel) points) to \(what) \(FixedPoint.format(reference))"
        )
    }
}

extension OrderType {
    /// The type as MT5's journal writes it ("buy stop limit").
    var ruleLabel: String {
        switch self {
        case .buy: "buy"
        case .sell: "sell"
        case .buyLimit: "buy limit"
        case .sellLimit: "sell limit"
        case .buyStop: "buy stop"
        case .sellStop: "sell stop"
        case .buyStopLimit: "buy stop limit"
        case .sellStopLimit: "sell stop limit"
        }
    }
}

extension SymbolSpec {
    /// The trading-rule fields in the configuration fingerprint, written
    /// only when one is set, so a configuration without them keeps the
    /// fingerprint it had before they existed (0.1 and 0.2 logs resume).
    func writeRuleFields(into w: ByteWriter) {
        guard stopsLevel != 0 || freezeLevel != 0 else { return }
        w.u8(0xC5)  // tag: the rule fields follow (0xC1-0xC4 are calc, swaps, rollover, commission)
        w.i64(stopsLevel); w.i64(freezeLevel)
    }
}

/// MT5's ENUM_ACCOUNT_STOPOUT_MODE (ACCOUNT_MARGIN_SO_MODE): whether the
/// margin-call and stop-out levels are percent of the margin level or money.
public enum StopOutMode: Int32, Sendable {
    /// equity / margin × 100 <= level (percent × 1e6).
    case percent = 0
    /// free margin = equity − margin <= level (deposit currency × 1e6).
    case money = 1
}

extension Engine {
    public var stopOutMode: StopOutMode { accountState.stopOutMode }

    /// Money levels: 0 <= stop-out <= margin call <= 1e12 (MQL4's
    /// AccountStopoutMode 1: "comparison of the free margin level to the
    /// absolute value", docs.mql4.com/account/accountstopoutmode).
    func setMoneyMarginLevels(marginCall: Int64, stopOut: Int64) throws(HQTError) {
        guard stopOut >= 0, marginCall >= stopOut, marginCall <= Engine.maxMoney else {
            throw HQTError(
                .invalidArgument,
                "money margin levels need 0 <= stop-out (\(FixedPoint.format(stopOut))) <= margin call (\(FixedPoint.format(marginCall))) <= 1e12"
            )
        }
        accountState.stopOutMode = .money
        accountState.marginCallLevel = marginCall
        accountState.stopOutLevel = stopOut
        accountState.updateMarginCheckEquity(replaying: replaying)
    }

    /// The stop-out mode in the configuration fingerprint, only when it is
    /// not the default, so percent configurations keep their fingerprint.
    func writeStopOutMode(into w: ByteWriter) {
        guard accountState.stopOutMode != .percent else { return }
        w.u8(0xD2)  // tag: the stop-out mode follows (account-level, before the symbols)
        w.i32(accountState.stopOutMode.rawValue)
    }
}

/// MT5's ENUM_ORDER_TYPE_TIME (mql5.com/en/docs/constants/tradingconstants/orderproperties):
/// how long a pending order lives.
public enum OrderTypeTime: Int32, Sendable {
    /// Good till canceled.
    case gtc = 0
    /// Good till the end of the current trading day.
    case day = 1
    /// Good till `expiration`.
    case specified = 2
    /// Good till 23:59:59 of the day of `expiration`.
    case specifiedDay = 3
}

extension Engine {
    /// The expiration time an order request's type_time stands for (the
    /// order keeps only this time; `time >= expiration` expires it). Days
    /// are UTC days of the data's clock, which is the server time: "day"
    /// ends at the next 00:00 after now, "specified_day" at the 00:00 after
    /// the expiration's day (so the order lives through 23:59:59). Trade
    /// sessions, which could end a day earlier, are not modelled.
    func expiration(of request: OrderRequest) throws(HQTError) -> Int64 {
        let day: Int64 = 86_400 * 1_000_000_000
        let e = request.expiration
        func nextMidnight(after t: Int64) throws(HQTError) -> Int64 {
            // Floor division: times before 1970 are negative.
            let start = (t >= 0 ? t / day : (t - day + 1) / day) * day
            guard start <= Int64.max - day else {
                throw HQTError(.invalidArgument, "expiration \(t) is beyond the last representable day")
            }
            return start + day
        }
        switch request.typeTime {
        case nil: return e
        case .gtc?:
            guard e == 0 else {
                throw HQTError(.invalidArgument, "type_time gtc takes no expiration (got \(e)): use specified")
            }
            return 0
        case .day?:
            guard e == 0 else {
                throw HQTError(.invalidArgument, "type_time day takes no expiration (got \(e)): it ends with the day")
            }
            return try nextMidnight(after: now)
        case .specified?:
            guard e > 0 else { throw HQTError(.invalidArgument, "type_time specified needs an expiration") }
            return e
        case .specifiedDay?:
            guard e > 0 else { throw HQTError(.invalidArgument, "type_time specified_day needs an expiration day") }
            return try nextMidnight(after: e)
        }
    }
}

/// One trade session of a symbol: MT5's SymbolInfoSessionTrade(symbol,
/// day_of_week, index, from, to), in seconds of the day on the data's
/// clock (server time). Weekdays in MT5 numbering, 0 = Sunday.
public struct TradeSession: Sendable, Equatable {
    public var weekday: Int32
    public var start: Int32
    public var end: Int32
    public init(weekday: Int32, start: Int32, end: Int32) {
        self.weekday = weekday
        self.start = start
        self.end = end
    }
}

extension SymbolSpec {
    /// Whether `time` (ns) falls in a trade session: start <= second of the
    /// day < end on its weekday. No sessions: always.
    func isTradeOpen(at time: Int64) -> Bool { TradeSession.any(tradeSessions, contains: time) }

    /// Whether `time` falls in a quote session (no sessions: always).
    func isQuoteOpen(at time: Int64) -> Bool { TradeSession.any(quoteSessions, contains: time) }

    /// The quote sessions in the configuration fingerprint, only when there are some.
    func writeQuoteSessions(into w: ByteWriter) {
        guard !quoteSessions.isEmpty else { return }
        w.u8(0xC8)  // tag: the quote sessions follow (0xC7 is volume_limit)
        w.u32(UInt32(quoteSessions.count))
        for t in quoteSessions { w.i32(t.weekday); w.i32(t.start); w.i32(t.end) }
    }
}

extension TradeSession {
    /// Whether `time` (ns) falls in one of `sessions`: start <= second of
    /// the day < end on its weekday. No sessions: always.
    static func any(_ sessions: [TradeSession], contains time: Int64) -> Bool {
        guard !sessions.isEmpty else { return true }
        let secondsPerDay: Int64 = 86_400
        let seconds = time >= 0 ? time / 1_000_000_000 : (time - 999_999_999) / 1_000_000_000
        let day = seconds >= 0 ? seconds / secondsPerDay : (seconds - secondsPerDay + 1) / secondsPerDay
        // 1970-01-01 was a Thursday (4 in MT5's numbering).
        let weekday = Int32(((day % 7) + 7 + 4) % 7)
        let second = Int32(seconds - day * secondsPerDay)
        return sessions.contains { $0.weekday == weekday && $0.start <= second && second < $0.end }
    }
}

extension SymbolSpec {

    /// The sessions in the configuration fingerprint, only when there are some.
    func writeSessions(into w: ByteWriter) {
        guard !tradeSessions.isEmpty else { return }
        w.u8(0xC6)  // tag: the trade sessions follow
        w.u32(UInt32(tradeSessions.count))
        for t in tradeSessions { w.i32(t.weekday); w.i32(t.start); w.i32(t.end) }
    }
}

extension Engine {
    /// Refuses a trader's request outside the symbol's trade sessions
    /// (MT5's TRADE_RETCODE_MARKET_CLOSED).
    @inline(__always)
    func checkMarketOpen(_ symbolID: UInt32) throws(HQTError) {
        // The sessions read in place: copying the spec costs every order
        // its names' and sessions' retains and releases. The test is inlined
        // into every order, the message is not.
        guard !TradeSession.any(symbols[Int(symbolID)].tradeSessions, contains: now) else { return }
        throw marketClosedError(symbolID)
    }

    @inline(never)
    private func marketClosedError(_ symbolID: UInt32) -> HQTError {
        let spec = symbols[Int(symbolID)]
        return HQTError(.marketClosed, "\(spec.name): the market is closed at \(now) (outside its trade sessions)")
    }
}
