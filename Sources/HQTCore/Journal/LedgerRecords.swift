/// WAL record types written by the engine (SPEC section 3; new types take
/// new numbers: 8 is the log's HEADER, 9 ORDER_MODIFY, 10 BUILD_BARS,
/// 11 RUN_MARK, 12 SWAP).
public enum LedgerRecordType: UInt8, Sendable {
    case positionOpen = 1, positionClose = 2, positionModify = 3, orderPlace = 4, orderCancel = 5
    case balanceChange = 6, checkpoint = 7, orderModify = 9, buildBars = 10, runMark = 11
    case swap = 12
}

/// When, within the engine's processing, a record was written. Replay
/// applies records at the same point of the same event (docs/wal-records.md).
enum LedgerPhase: UInt8 {
    /// Inside event N, before its prices are applied: on_bar of a bar built
    /// from ticks that this tick closed.
    case beforeMarket = 0
    /// Inside event N, the engine's own reaction to its prices: pending
    /// orders, SL/TP, trailing stops.
    case triggers = 1
    /// Between events (before the first, after the last, or from a caller
    /// driving the engine directly).
    case between = 2
    /// Inside event N, after the engine's processing: on_trade, on_tick,
    /// on_bar of a loaded bar.
    case callbacks = 3
    /// Inside event N: stop-out closing positions.
    case stopOut = 4
    /// A run's on_start (from RUN_MARK starting to RUN_MARK running).
    case start = 5
    /// The end of a run's data: bars still being built are closed (from
    /// RUN_MARK ending on).
    case endOfRun = 6
    /// A run's on_stop (up to RUN_MARK completed).
    case stop = 7
    /// Inside event N: swaps charged at a rollover the event's time reached.
    case rollover = 8

    /// Phases inside one market event (the unit recovery may drop and redo).
    var isInsideEvent: Bool {
        switch self {
        case .beforeMarket, .triggers, .callbacks, .stopOut, .rollover: return true
        default: return false
        }
    }
}

/// Where a run is, as RUN_MARK records tell it: recovery drops an
/// unfinished on_start or end of run, and a resumed run knows what is left.
public enum RunStage: UInt8, Sendable {
    case idle = 0, starting = 1, running = 2, ending = 3, completed = 4
}

/// A decoded engine record: where it happened and what it changed.
struct LedgerRecord {
    var event: Int64
    var phase: LedgerPhase
    var time: Int64
    var op: LedgerOp
}

extension ByteWriter {
    func order(_ o: Order) {
        u64(o.ticket); u32(o.symbolID); i32(o.type.rawValue); i32(o.state.rawValue)
        i64(o.volume); i64(o.price); i64(o.stopLimit); i64(o.sl); i64(o.tp); i64(o.expiration)
        i64(o.timeSetup); i64(o.trailingPoints); u64(o.magic)
    }
    func position(_ p: Position) {
        u64(p.ticket); u32(p.symbolID); i32(p.side.rawValue); i64(p.volume); i64(p.openPrice); i64(p.openTime)
        i64(p.sl); i64(p.tp); i64(p.trailingPoints); i64(p.margin); i64(p.commission); u64(p.magic)
    }
    func deal(_ d: Deal) {
        u64(d.ticket); u64(d.order); u64(d.position); u32(d.symbolID); i32(d.side.rawValue)
        i32(d.entry.rawValue); i32(d.reason.rawValue); i64(d.time); i64(d.volume); i64(d.price)
        i64(d.commission); i64(d.profit); i64(d.balance); u64(d.magic)
    }
    func trade(_ t: Trade) {
        u64(t.position); u32(t.symbolID); i32(t.side.rawValue); i64(t.volume); i64(t.openTime); i64(t.openPrice)
        i64(t.closeTime); i64(t.closePrice); i64(t.commission); i64(t.profit); i32(t.closeReason.rawValue)
    }
}

extension ByteReader {
    // Values are range-checked as they are read: a record or snapshot whose
    // CRC holds but whose numbers no live operation could have produced
    // (a damaged or forged log) is corruption, not state to compute with —
    // arithmetic on such values trapped (found by fuzz/hqt-fuzz-wal).

    /// A volume: 0 ... 1e6 lots, the largest any symbol allows.
    mutating func volume(_ what: String) throws(HQTError) -> Int64 {
        try ranged(what, 0...(1_000_000 * FixedPoint.scale))
    }
    /// A price, SL, TP or stop-limit: 0 (none) ... the largest price data may hold.
    mutating func price(_ what: String) throws(HQTError) -> Int64 { try ranged(what, 0...Engine.maxPrice) }
    /// Money: within ±4e12, twice the range the engine keeps balances and
    /// floating profits in (equity, margin and drawdowns combine the two), so
    /// that adding two such values cannot overflow.
    /// A trailing stop distance: 0 ... 1e9 points, as order_send and set_trailing_stop allow.
    mutating func trailing(_ what: String) throws(HQTError) -> Int64 { try ranged(what, 0...1_000_000_000) }
    mutating func money(_ what: String) throws(HQTError) -> Int64 {
        try ranged(what, -2 * Engine.maxBalance...2 * Engine.maxBalance)
    }
    /// A ticket: below 2^62, so that `ticket + 1` (the next ticket) never
    /// overflows; the engine counts tickets from 1, one per order and deal.
    mutating func ticket(_ what: String) throws(HQTError) -> UInt64 {
        let v = try u64(what)
        guard v < 1 << 62 else { throw corrupt("\(what) \(v) is not below 2^62") }
        return v
    }
    mutating func ranged(_ what: String, _ range: ClosedRange<Int64>) throws(HQTError) -> Int64 {
        let v = try i64(what)
        guard range.contains(v) else {
            throw corrupt("\(what) \(v) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    mutating func order() throws(HQTError) -> Order {
        Order(
            ticket: try ticket("order.ticket"), symbolID: try u32("order.symbol"),
            type: try enumValue(OrderType.self, "order.type"), state: try enumValue(OrderState.self, "order.state"),
            volume: try volume("order.volume"), price: try price("order.price"),
            stopLimit: try price("order.stop_limit"), sl: try price("order.sl"), tp: try price("order.tp"),
            expiration: try i64(), timeSetup: try i64(), trailingPoints: try trailing("order.trailing"),
            magic: try u64())
    }
    mutating func position() throws(HQTError) -> Position {
        Position(
            ticket: try ticket("position.ticket"), symbolID: try u32("position.symbol"),
            side: try enumValue(Side.self, "position.side"), volume: try volume("position.volume"),
            openPrice: try price("position.open_price"), openTime: try i64(), sl: try price("position.sl"),
            tp: try price("position.tp"), trailingPoints: try trailing("position.trailing"), profit: 0,
            margin: try money("position.margin"), commission: try money("position.commission"), magic: try u64())
    }
    mutating func deal() throws(HQTError) -> Deal {
        Deal(
            ticket: try ticket("deal.ticket"), order: try ticket("deal.order"), position: try ticket("deal.position"),
            symbolID: try u32(),
            side: try enumValue(Side.self, "deal.side"), entry: try enumValue(DealEntry.self, "deal.entry"),
            reason: try enumValue(DealReason.self, "deal.reason"), time: try i64(), volume: try volume("deal.volume"),
            price: try price("deal.price"), commission: try money("deal.commission"), profit: try money("deal.profit"),
            balance: try money("deal.balance"), magic: try u64())
    }
    mutating func trade() throws(HQTError) -> Trade {
        Trade(
            position: try ticket("trade.position"), symbolID: try u32(), side: try enumValue(Side.self, "trade.side"),
            volume: try volume("trade.volume"), openTime: try i64(), openPrice: try price("trade.open_price"),
            closeTime: try i64(), closePrice: try price("trade.close_price"), commission: try money("trade.commission"),
            profit: try money("trade.profit"), closeReason: try enumValue(DealReason.self, "trade.reason"))
    }
}

extension LedgerRecord {
    /// Writes the payload into `w` (appending; layouts in docs/wal-records.md)
    /// and returns the record type.
    func encode(into w: ByteWriter) -> LedgerRecordType {
        w.i64(event); w.u8(phase.rawValue); w.i64(time)
        let type: LedgerRecordType
        switch op {
        case .fill(let f):
            type = f.deal.entry == .in ? .positionOpen : .positionClose
            w.order(f.order); w.deal(f.deal); w.u64(f.positionTicket)
            w.bool(f.position != nil); if let p = f.position { w.position(p) }
            w.bool(f.trade != nil); if let t = f.trade { w.trade(t) }
            // Appended (older logs end here): the position's unbooked swap.
            if let p = f.position, p.swap != 0 { w.i64(p.swap) }
        case let .positionModify(ticket, sl, tp, trailing, _):
            type = .positionModify
            w.u64(ticket); w.i64(sl); w.i64(tp); w.i64(trailing)
        case .orderPlace(let o):
            type = .orderPlace
            w.order(o)
        case .orderModify(let o):
            type = .orderModify
            w.order(o)
        case let .orderRemove(ticket, state, _):
            type = .orderCancel
            w.u64(ticket); w.i32(state.rawValue)
        case let .balance(amount, _):
            type = .balanceChange
            w.i64(amount)
        case let .swap(charges, _):
            type = .swap
            w.u32(UInt32(charges.count))
            for c in charges { w.u64(c.ticket); w.i64(c.amount) }
        case let .buildBars(symbolID, timeframe, price):
            type = .buildBars
            w.u32(symbolID); w.i32(timeframe.minutes)
            // Appended since bars from ask or mid: a bid builder's record
            // stays the 25 bytes 0.2 wrote (and 0.2 can read).
            if price != .bid { w.u8(UInt8(price.rawValue)) }
        case let .runMark(stage, flushesBars, model):
            type = .runMark
            w.u8(stage.rawValue); w.bool(flushesBars); w.u8(UInt8(model.rawValue))
        }
        return type
    }

    /// Decodes an engine record; other types (HEADER, CHECKPOINT) are not records.
    static func decode(type: UInt8, data: [UInt8], sequence: UInt64) throws(HQTError) -> LedgerRecord {
        var r = ByteReader(data, context: "WAL record \(sequence) (type \(type))")
        guard let kind = LedgerRecordType(rawValue: type), kind != .checkpoint else {
            throw r.corrupt("unknown record type \(type)")
        }
        let event = try r.i64("event index")
        let rawPhase = try r.u8("phase")
        guard let phase = LedgerPhase(rawValue: rawPhase) else { throw r.corrupt("phase \(rawPhase) is not valid") }
        let time = try r.i64("time")
        let op: LedgerOp
        switch kind {
        case .positionOpen, .positionClose:
            let order = try r.order(), deal = try r.deal(), ticket = try r.ticket("position ticket")
            var position = try r.bool("has position") ? try r.position() : nil
            let trade = try r.bool("has trade") ? try r.trade() : nil
            if var p = position, r.remaining > 0 {
                p.swap = try r.i64("position swap")
                position = p
            }
            op = .fill(Fill(order: order, deal: deal, positionTicket: ticket, position: position, trade: trade))
        case .positionModify:
            op = .positionModify(
                ticket: try r.ticket("ticket"), sl: try r.price("sl"), tp: try r.price("tp"),
                trailingPoints: try r.trailing("trailing"), time: time)
        case .orderPlace: op = .orderPlace(try r.order())
        case .orderModify: op = .orderModify(try r.order())
        case .orderCancel:
            op = .orderRemove(
                ticket: try r.ticket("ticket"), state: try r.enumValue(OrderState.self, "state"), time: time)
        case .balanceChange: op = .balance(amount: try r.money("amount"), time: time)
        case .swap:
            let n = try r.u32("swap count")
            guard Int(n) <= r.remaining / 16 else { throw r.corrupt("swap count \(n)") }
            var charges: [SwapCharge] = []
            for _ in 0..<n {
                charges.append(SwapCharge(ticket: try r.ticket("swap ticket"), amount: try r.money("swap")))
            }
            op = .swap(charges: charges, time: time)
        case .runMark:
            let raw = try r.u8("run stage")
            guard let stage = RunStage(rawValue: raw) else { throw r.corrupt("run stage \(raw)") }
            let flushes = try r.bool("flushes bars")
            // 0.1 wrote no tick model (it had real ticks only).
            let model = r.remaining == 0 ? TickModel.realTicks : try r.tickModel()
            op = .runMark(stage: stage, flushesBars: flushes, tickModel: model)
        case .buildBars:
            let id = try r.u32("symbol"), minutes = try r.i32("timeframe")
            guard let tf = Timeframe(minutes: minutes) else { throw r.corrupt("timeframe \(minutes)") }
            let price = r.remaining == 0 ? .bid : try r.barPrice()
            op = .buildBars(symbolID: id, timeframe: tf, price: price)
        case .checkpoint: throw r.corrupt("checkpoint is not a ledger record")
        }
        try r.expectEnd()
        return LedgerRecord(event: event, phase: phase, time: time, op: op)
    }
}

extension ByteReader {
    /// BUILD_BARS' appended price byte: 1 ask or 2 mid (a bid record has
    /// none, so a 0 there is a stray trailing byte).
    mutating func barPrice() throws(HQTError) -> PriceSource {
        let raw = try u8("bar price")
        guard raw == 1 || raw == 2, let p = PriceSource(rawValue: Int32(raw)) else {
            throw corrupt("bar price \(raw) is not 1 (ask) or 2 (mid): a bid record has no trailing price byte")
        }
        return p
    }

    /// A tick model byte (RUN_MARK records, snapshots).
    mutating func tickModel() throws(HQTError) -> TickModel {
        let raw = try u8("tick model")
        guard let m = TickModel(rawValue: Int32(raw)) else { throw corrupt("tick model \(raw) is not valid") }
        return m
    }
}
