/// The CHECKPOINT payload: the engine's whole state between two events, so
/// that recovery is this snapshot plus the records that follow it. Layout
/// in docs/wal-records.md; every field is written and read in the same order.
extension Engine {
    /// v5 adds the indicators (after the tick model); v4 (0.2) adds each
    /// series' data fingerprint and the run's tick model; v3 (0.1) and v4
    /// logs are read too.
    static let snapshotVersion: UInt32 = 5
    static let readableSnapshotVersions: ClosedRange<UInt32> = 3...5

    /// FNV-1a over the configuration a log belongs to: account, levels and
    /// every symbol's spec. A log written under another configuration is
    /// refused instead of being replayed into the wrong account.
    public var configurationFingerprint: UInt64 {
        let w = ByteWriter()
        w.i64(initialBalance); w.string(currency); w.i64(leverage); w.i32(accountMode.rawValue)
        w.i64(marginCallLevel); w.i64(stopOutLevel)
        // Written only when set away from the currency's default, so a 0.1
        // configuration keeps its fingerprint.
        if currencyDigits != Engine.defaultCurrencyDigits(currency) { w.u8(0xD1); w.i32(currencyDigits) }
        writeStopOutMode(into: w)
        for s in symbols {
            w.string(s.name); w.string(s.baseCurrency); w.string(s.profitCurrency); w.string(s.marginCurrency)
            w.i64(s.contractSize); w.i32(s.digits); w.i32(s.legacyMarginCode); w.i64(s.volumeMin)
            w.i64(s.volumeStep); w.i64(s.volumeMax); w.i64(s.commissionPerLot); w.i64(s.spread)
            s.writeCalcFields(into: w)
            s.writeSwapFields(into: w)
            s.writeCommissionFields(into: w)
            s.writeRuleFields(into: w)
            s.writeSessions(into: w)
            s.writeVolumeLimit(into: w)
            s.writeQuoteSessions(into: w)
        }
        // The rollover time, only when not the default (Engine+Swaps.swift).
        if rolloverTime != 0 { w.u8(0xC3); w.i64(rolloverTime) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in w.bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// Writes the snapshot into `w` (the caller sizes it for the history).
    /// The coordinator fixes the order (layout v5, docs/wal-records.md);
    /// each owner writes its own fields.
    func writeSnapshot(into w: ByteWriter, strategyState: [UInt8]) {
        w.u32(Engine.snapshotVersion)
        w.u64(configurationFingerprint)
        w.i64(eventsProcessed); w.i64(currentTime)
        w.i64(accountState.balance); w.i64(accountState.netDeposits)
        w.u64(book.nextTicket)
        w.bool(accountState.marginCallActive)
        stats.writeCounters(into: w)
        w.u64(UInt64(symbols.count))
        for i in symbols.indices {
            let q = quotes[i]
            w.i64(q.bid); w.i64(q.ask); w.i64(q.time); w.route(q.profitRoute)
        }
        let routeList = routes.sorted { $0.key < $1.key }
        w.u64(UInt64(routeList.count))
        for (currency, route) in routeList { w.string(currency); w.route(route) }
        feed.writeSnapshot(into: w)
        w.u64(UInt64(book.positions.count)); for p in book.positions { w.position(p) }
        w.u64(UInt64(book.orders.count)); for o in book.orders { w.order(o) }
        // History (append-only) is written from where the previous
        // checkpoint's ended, so a checkpoint costs what happened since it,
        // not the whole run; a full checkpoint starts every list at 0.
        let from = historyMarks ?? HistoryMarks()
        book.writeHistory(into: w, from: from)
        stats.writeCurve(into: w, from: from.equityCurve)
        w.blob(strategyState)
        w.u8(runStage.rawValue)
        w.u8(UInt8(tickModel.rawValue))
        writeIndicators(into: w)  // v5
        // Appended, only when some position holds swap (older snapshots end
        // above): each open position's unbooked swap, in position order.
        if book.positions.contains(where: { $0.swap != 0 }) {
            w.u64(UInt64(book.positions.count))
            for p in book.positions { w.i64(p.swap) }
        }
    }

    /// Replaces the engine's state with a snapshot's. Checks everything
    /// first (configuration, loaded data); on error nothing has changed.
    /// Returns the strategy state saved with it.
    ///
    /// With data loaded, it must be the data the log was written over: each
    /// series' fingerprint up to its cursor (v4) must match, and the data
    /// must reach the last logged event (`lastRecordEvent`), unless
    /// `acceptChangedData` (the documented override for data changed on
    /// purpose: the log is then replayed over the data as it is).
    func restore(
        snapshot bytes: [UInt8], sequence: UInt64, base: History = History(), lastRecordEvent: Int64 = 0,
        acceptChangedData: Bool = false
    ) throws(HQTError) -> [UInt8] {
        var r = ByteReader(bytes, context: "checkpoint \(sequence)")
        let version = try Engine.readSnapshotVersion(&r, sequence: sequence)
        let fingerprint = try r.u64("fingerprint")
        guard fingerprint == configurationFingerprint else {
            throw HQTError(
                .wal,
                "the WAL was written by an engine with a different configuration (account, levels or symbols): fingerprint \(String(fingerprint, radix: 16)) != \(String(configurationFingerprint, radix: 16))"
            )
        }
        let events = try r.i64("events"), time = try r.i64("time")
        // Money and prices are range-checked as in LedgerRecords.swift: out
        // of range is corruption, not state to compute with.
        let balance = try r.money("balance"), netDeposits = try r.money("net deposits")
        let nextTicket = try r.ticket("next ticket"), marginCall = try r.bool()
        let nextSample = try r.i64(), peak = try r.money("peak equity"), maxDD = try r.money("max drawdown")
        let maxDDPct = try r.f64()
        let ticks = try r.i64(), bars = try r.i64()
        let symbolCount = try r.u64("symbol count")
        guard symbolCount == UInt64(symbols.count) else {
            throw r.corrupt("symbol count \(symbolCount) != \(symbols.count)")
        }
        var states: [(Int64, Int64, Int64, ConversionRoute)] = []
        for _ in symbols.indices {
            states.append((try r.price("bid"), try r.price("ask"), try r.i64(), try r.route(symbols: symbols.count)))
        }
        var newRoutes: [String: ConversionRoute] = [:]
        for _ in 0..<(try r.count("routes", minSize: 9)) {
            newRoutes[try r.string()] = try r.route(symbols: symbols.count)
        }
        // Without any data loaded, records are applied directly (cursors
        // are meaningless); with data, it must be the data of the log.
        let noData = feed.isEmpty
        var tickCursors: [Int?] = []
        var remaining: Int64 = 0
        for (i, series) in feed.ticks.enumerated() {
            guard try r.bool("tick series flag") else {
                tickCursors.append(nil)
                remaining += Int64(series?.count ?? 0)
                continue
            }
            let cursor = try r.i64("tick cursor"), lastTime = try r.i64()
            let logged = version >= 4 ? try r.fingerprint(count: cursor, lastTime: lastTime) : nil
            if noData {
                tickCursors.append(nil)
                continue
            }
            let subject = "the loaded ticks of \(symbols[i].name)"
            guard let s = series else {
                throw dataMismatch("\(symbols[i].name) has no ticks loaded, the log's data had")
            }
            try checkSameData(
                logged: logged, cursor: cursor, lastTime: lastTime, columns: [s.time.base, s.bid.base, s.ask.base],
                count: s.count, subject: subject, accept: acceptChangedData)
            tickCursors.append(Int(cursor))
            remaining += Int64(s.count) - cursor
        }
        var barCursors: [(BarSeries, Int)] = []
        for _ in 0..<(try r.count("bar series", minSize: 24)) {
            let id = try r.u32(), tf = try r.i32(), cursor = try r.i64(), lastTime = try r.i64()
            let logged = version >= 4 ? try r.fingerprint(count: cursor, lastTime: lastTime) : nil
            if noData { continue }
            let name = Int(id) < symbols.count ? symbols[Int(id)].name : "symbol \(id)"
            guard let s = feed.bars.first(where: { $0.symbolID == id && $0.timeframe.minutes == tf }) else {
                throw dataMismatch("no \(name) bars of timeframe \(tf) are loaded, the log's data had them")
            }
            try checkSameData(
                logged: logged, cursor: cursor, lastTime: lastTime,
                columns: [s.time.base, s.open.base, s.high.base, s.low.base, s.close.base, s.volume.base],
                count: s.count, subject: "the loaded \(name) bars (timeframe \(tf))", accept: acceptChangedData)
            barCursors.append((s, Int(cursor)))
            remaining += Int64(s.count) - cursor
        }
        if !noData {
            for s in feed.bars where !barCursors.contains(where: { $0.0 === s }) { remaining += Int64(s.count) }
        }
        if !noData, !acceptChangedData, events + remaining < lastRecordEvent {
            throw dataMismatch(
                "the log holds records up to event \(lastRecordEvent), but the loaded data ends at event \(events + remaining)"
            )
        }
        var builders: [BarBuilder] = []
        for _ in 0..<(try r.count("bar builders", minSize: 65)) {
            let id = try r.u32()
            guard Int(id) < symbols.count else { throw r.corrupt("bar builder symbol \(id)") }
            guard let tf = Timeframe(minutes: try r.i32()) else { throw r.corrupt("bar builder timeframe") }
            // The state byte: bit 0 active, bits 1-2 the price (0 bid, 1 ask,
            // 2 mid; older snapshots hold only 0 or 1, bid bars).
            let state = try r.u8("bar builder state")
            guard state < 6 else { throw r.corrupt("bar builder state \(state)") }
            var b = BarBuilder(symbolID: id, timeframe: tf, price: PriceSource(rawValue: Int32(state >> 1)) ?? .bid)
            b.active = state & 1 == 1; b.openTime = try r.i64(); b.closeTime = try r.i64()
            b.open = try r.price("bar open"); b.high = try r.price("bar high")
            b.low = try r.price("bar low"); b.close = try r.price("bar close")
            // Volume is ticks x 1e6: more ticks than that would overflow it.
            b.ticks = try r.ranged("bar ticks", 0...(Int64.max / FixedPoint.scale))
            builders.append(b)
        }
        var positions: [Position] = []
        for _ in 0..<(try r.count("positions", minSize: 88)) { positions.append(try r.position()) }
        var pending: [Order] = []
        for _ in 0..<(try r.count("orders", minSize: 92)) { pending.append(try r.order()) }
        var history = base.orderHistory, dealList = base.deals, tradeList = base.trades, curve = base.equityCurve
        try r.extend(&history, "order history", minSize: 92) { (r: inout ByteReader) throws(HQTError) in try r.order() }
        try r.extend(&dealList, "deals", minSize: 96) { (r: inout ByteReader) throws(HQTError) in try r.deal() }
        try r.extend(&tradeList, "trades", minSize: 76) { (r: inout ByteReader) throws(HQTError) in try r.trade() }
        try r.extend(&curve, "equity curve", minSize: 32) { (r: inout ByteReader) throws(HQTError) in
            EquityPoint(
                time: try r.i64(), balance: try r.money("balance"), equity: try r.money("equity"),
                margin: try r.money("margin"))
        }
        for p in positions + [] where Int(p.symbolID) >= symbols.count {
            throw r.corrupt("position symbol \(p.symbolID)")
        }
        for o in pending where Int(o.symbolID) >= symbols.count { throw r.corrupt("order symbol \(o.symbolID)") }
        let strategyState = try r.blob("strategy state")
        let rawStage = try r.u8("run stage")
        guard let stage = RunStage(rawValue: rawStage) else { throw r.corrupt("run stage \(rawStage)") }
        let model = version >= 4 ? try r.tickModel() : .realTicks  // 0.1 had real ticks only
        let savedIndicators = version >= 5 ? try readIndicators(&r) : []
        if r.remaining > 0 {
            guard try r.u64("swap count") == UInt64(positions.count) else { throw r.corrupt("swap count") }
            for i in positions.indices { positions[i].swap = try r.i64("position swap") }
        }
        try r.expectEnd()

        // Everything is checked: now replace the state.
        eventsProcessed = events; currentTime = time
        accountState.balance = balance; accountState.netDeposits = netDeposits; book.nextTicket = nextTicket
        accountState.marginCallActive = marginCall; stats.nextEquitySample = nextSample; nextTimedWork = .min
        // Every rollover up to the snapshot's event was charged by it.
        nextRollover = time == .min ? .min : Engine.rollover(after: time, at: rolloverTime)
        stats.peakEquity = peak
        stats.maxDrawdown = maxDD; stats.maxDrawdownPct = maxDDPct; stats.refreshPercentCheck()
        stats.ticksProcessed = ticks; stats.barsProcessed = bars
        for (i, s) in states.enumerated() {
            quotes[i].bid = s.0; quotes[i].ask = s.1; quotes[i].time = s.2; quotes[i].profitRoute = s.3
        }
        routes = newRoutes
        feed.invalidate()
        for (i, cursor) in tickCursors.enumerated() { feed.ticks[i]?.cursor = cursor ?? 0 }
        for s in feed.bars { s.cursor = 0 }
        for (s, cursor) in barCursors { s.cursor = cursor }
        feed.builders = builders
        feed.buildersBySymbol = Array(repeating: [], count: symbols.count)
        for i in symbols.indices { quotes[i].builders = 0; quotes[i].nextBarClose = .min }
        for (i, b) in builders.enumerated() {
            feed.buildersBySymbol[Int(b.symbolID)].append(i)
            quotes[Int(b.symbolID)].builders += 1
        }
        book.positions = positions; book.orders = pending; book.orderHistory = history
        book.deals = dealList; book.trades = tradeList; stats.equityCurve = curve
        historyMarks = HistoryMarks(
            orderHistory: history.count, deals: dealList.count, trades: tradeList.count,
            equityCurve: curve.count)
        runStage = stage
        tickModel = model
        restoreIndicators(savedIndicators)
        unreportedDeals = 0
        rebuildTriggerIndex()
        accountState.usedMargin = totalMargin()
        accountState.updateMarginCheckEquity(replaying: replaying)
        refreshOpenSwap()
        refreshFloatingProfit()
        refreshHotBook()
        return strategyState
    }
}

extension ByteWriter {
    func route(_ r: ConversionRoute) {
        switch r {
        case .identity: u8(0); u32(0)
        case .multiply(let id): u8(1); u32(id)
        case .divide(let id): u8(2); u32(id)
        }
    }
}

extension ByteReader {
    /// A conversion route through one of `symbols` symbols: the id indexes the
    /// engine's quote buffer unchecked, so one beyond it is corruption (found
    /// by fuzz/hqt-fuzz-wal: it read outside the buffer).
    mutating func route(symbols: Int) throws(HQTError) -> ConversionRoute {
        let kind = try u8("route kind"), id = try u32("route symbol")
        guard kind == 0 || Int(id) < symbols else { throw corrupt("route symbol \(id) of \(symbols)") }
        switch kind {
        case 0: return .identity
        case 1: return .multiply(id)
        case 2: return .divide(id)
        default: throw corrupt("route kind \(kind)")
        }
    }
}

/// How far each history list had been written by the last checkpoint.
struct HistoryMarks {
    var orderHistory = 0, deals = 0, trades = 0, equityCurve = 0
}

/// The history lists, as rebuilt from a chain of checkpoints.
struct History {
    var orderHistory: [Order] = [], deals: [Deal] = [], trades: [Trade] = [], equityCurve: [EquityPoint] = []
}

extension ByteReader {
    /// Reads one history delta ([start][count][items]) onto `list`: the
    /// items replace everything from `start` on.
    mutating func extend<T>(
        _ list: inout [T], _ what: String, minSize: Int,
        _ item: (inout ByteReader) throws(HQTError) -> T
    ) throws(HQTError) {
        let start = try u64("\(what) start")
        guard start <= UInt64(list.count) else {
            throw corrupt("\(what) continue at \(start) but the previous checkpoints hold \(list.count)")
        }
        let n = try count(what, minSize: minSize)
        list.removeSubrange(Int(start)...)
        list.reserveCapacity(list.count + n)
        for _ in 0..<n { list.append(try item(&self)) }
    }
}

extension Engine {
    /// The history a checkpoint's deltas continue: the full checkpoint at or
    /// before it and every delta in between (all checkpoints in `records`
    /// before index `last`). Decoding only; nothing changes.
    func history(before last: Int, in records: [JournalRecord]) throws(HQTError) -> History {
        let checkpoints = records[..<last].indices.filter { records[$0].type == LedgerRecordType.checkpoint.rawValue }
        // Walk back to the nearest full checkpoint (all deltas from 0).
        var chain: [Int] = []
        for i in checkpoints.reversed() {
            chain.append(i)
            if try Engine.isFullCheckpoint(records[i].data, sequence: records[i].sequence) { break }
        }
        var h = History()
        for i in chain.reversed() {
            h = try Engine.historyOf(records[i].data, sequence: records[i].sequence, base: h)
        }
        return h
    }

    /// Skips a snapshot's live state and reads its history deltas.
    static func historyOf(_ bytes: [UInt8], sequence: UInt64, base: History) throws(HQTError) -> History {
        var r = try skipToHistory(bytes, sequence: sequence)
        var h = base
        try r.extend(&h.orderHistory, "order history", minSize: 92) { (r: inout ByteReader) throws(HQTError) in
            try r.order()
        }
        try r.extend(&h.deals, "deals", minSize: 96) { (r: inout ByteReader) throws(HQTError) in try r.deal() }
        try r.extend(&h.trades, "trades", minSize: 76) { (r: inout ByteReader) throws(HQTError) in try r.trade() }
        try r.extend(&h.equityCurve, "equity curve", minSize: 32) { (r: inout ByteReader) throws(HQTError) in
            EquityPoint(time: try r.i64(), balance: try r.i64(), equity: try r.i64(), margin: try r.i64())
        }
        return h
    }

    static func isFullCheckpoint(_ bytes: [UInt8], sequence: UInt64) throws(HQTError) -> Bool {
        var r = try skipToHistory(bytes, sequence: sequence)
        for what in ["order history", "deals", "trades"] {
            if try r.u64("\(what) start") != 0 { return false }
            let n = try r.u64("\(what) count")
            let size = what == "deals" ? 96 : what == "trades" ? 76 : 92
            _ = try r.take(Int(clamping: n) &* size, what)
        }
        return try r.u64("equity curve start") == 0
    }

    /// A reader positioned at the history part of a snapshot.
    private static func skipToHistory(_ bytes: [UInt8], sequence: UInt64) throws(HQTError) -> ByteReader {
        var r = ByteReader(bytes, context: "checkpoint \(sequence)")
        let version = try readSnapshotVersion(&r, sequence: sequence)
        _ = try r.take(8 + 8 + 8 + 8 + 8 + 8 + 1 + 8 + 8 + 8 + 8 + 8 + 8, "header")
        let symbols = try r.count("symbols", minSize: 29)
        _ = try r.take(symbols * 29, "quotes")
        for _ in 0..<(try r.count("routes", minSize: 9)) {
            _ = try r.string(); _ = try r.route(symbols: Int(UInt32.max) + 1)
        }
        for _ in 0..<symbols where try r.bool("tick series flag") {
            _ = try r.take(16, "tick cursor")
            if version >= 4 { _ = try r.fingerprint(count: 0, lastTime: -1) }
        }
        for _ in 0..<(try r.count("bar series", minSize: 24)) {
            _ = try r.take(24, "bar cursor")
            if version >= 4 { _ = try r.fingerprint(count: 0, lastTime: -1) }
        }
        _ = try r.take(try r.count("bar builders", minSize: 65) * 65, "bar builders")
        _ = try r.take(try r.count("positions", minSize: 88) * 88, "positions")
        _ = try r.take(try r.count("orders", minSize: 92) * 92, "orders")
        return r
    }
}

extension Engine {
    static func readSnapshotVersion(_ r: inout ByteReader, sequence: UInt64) throws(HQTError) -> UInt32 {
        let version = try r.u32("version")
        guard readableSnapshotVersions.contains(version) else {
            throw HQTError(
                .wal,
                "checkpoint \(sequence) has snapshot version \(version); this HQT reads versions \(readableSnapshotVersions.lowerBound)...\(readableSnapshotVersions.upperBound)"
            )
        }
        return version
    }

    func dataMismatch(_ why: String) -> HQTError {
        HQTError(
            .wal,
            "recover_from_wal: the loaded data is not the data the log was written over: \(why). Load the same data before recovering, or, if the data was changed on purpose, recover with accept_changed_data=True (the log is then replayed over the data as it is)"
        )
    }

    /// Refuses a series whose loaded data differs from the logged one (see
    /// `restore`); with `accept`, only a cursor beyond the data is refused.
    func checkSameData(
        logged: SeriesFingerprint?, cursor: Int64, lastTime: Int64, columns: [UnsafeMutablePointer<Int64>],
        count: Int, subject: String, accept: Bool
    ) throws(HQTError) {
        guard cursor >= 0, cursor <= Int64(count) else {
            throw dataMismatch("the log's cursor is at event \(cursor) of \(subject), but only \(count) are loaded")
        }
        if accept { return }
        if let logged {
            let loaded = DataHash.fingerprint(columns: columns, count: Int(cursor))
            if let why = logged.mismatch(loaded: loaded, subject: subject) {
                throw dataMismatch(why)
            }
        } else if (cursor == 0 ? -1 : columns[0][Int(cursor) - 1]) != lastTime {
            // A 0.1 (v3) checkpoint: only the last processed time to compare.
            throw dataMismatch("\(subject): event \(cursor - 1) has another time than in the log's data")
        }
    }
}

extension ByteWriter {
    func fingerprint(_ f: SeriesFingerprint) {
        i64(f.firstTime); u8(f.level); u32(UInt32(f.blocks.count))
        for b in f.blocks { u64(b) }
    }
}

extension ByteReader {
    mutating func fingerprint(count: Int64, lastTime: Int64) throws(HQTError) -> SeriesFingerprint {
        let firstTime = try i64("first time"), level = try u8("fingerprint level")
        let n = try u32("fingerprint blocks")
        guard level < 48, n <= UInt32(DataHash.maxBlocks) else { throw corrupt("data fingerprint (\(level), \(n))") }
        var blocks: [UInt64] = []
        for _ in 0..<n { blocks.append(try u64("fingerprint block")) }
        return SeriesFingerprint(count: count, firstTime: firstTime, lastTime: lastTime, level: level, blocks: blocks)
    }
}

extension Feed {
    /// The feed's part of a snapshot: data cursors (with the time of the
    /// last processed item and the fingerprint of the processed data, so a
    /// resume can check it runs on the same data) and the bars in progress.
    func writeSnapshot(into w: ByteWriter) {
        for series in ticks {
            w.bool(series != nil)
            if let s = series {
                w.i64(Int64(s.cursor)); w.i64(s.cursor > 0 ? s.time[s.cursor - 1] : -1)
                w.fingerprint(
                    DataHash.fingerprint(
                        columns: [s.time.base, s.bid.base, s.ask.base], count: s.cursor,
                        progress: s.fingerprintProgress))
            }
        }
        w.u64(UInt64(bars.count))
        for s in bars {
            w.u32(s.symbolID); w.i32(s.timeframe.minutes); w.i64(Int64(s.cursor))
            w.i64(s.cursor > 0 ? s.time[s.cursor - 1] : -1)
            w.fingerprint(
                DataHash.fingerprint(
                    columns: [s.time.base, s.open.base, s.high.base, s.low.base, s.close.base, s.volume.base],
                    count: s.cursor, progress: s.fingerprintProgress))
        }
        w.u64(UInt64(builders.count))
        for b in builders {
            // State byte: bit 0 active, bits 1-2 the price (a bid builder's
            // byte is the 0/1 flag earlier snapshots hold).
            let state = UInt8(b.active ? 1 : 0) | UInt8(b.price.rawValue) << 1
            w.u32(b.symbolID); w.i32(b.timeframe.minutes); w.u8(state); w.i64(b.openTime); w.i64(b.closeTime)
            w.i64(b.open); w.i64(b.high); w.i64(b.low); w.i64(b.close); w.i64(b.ticks)
        }
    }
}

extension Book {
    /// The book's history lists since `from` (each as [start][count][items]).
    func writeHistory(into w: ByteWriter, from: HistoryMarks) {
        w.u64(UInt64(from.orderHistory)); w.u64(UInt64(orderHistory.count - from.orderHistory))
        for o in orderHistory[from.orderHistory...] { w.order(o) }
        w.u64(UInt64(from.deals)); w.u64(UInt64(deals.count - from.deals))
        for d in deals[from.deals...] { w.deal(d) }
        w.u64(UInt64(from.trades)); w.u64(UInt64(trades.count - from.trades))
        for t in trades[from.trades...] { w.trade(t) }
    }
}

extension Stats {
    /// Sampling schedule, drawdown and event counts.
    func writeCounters(into w: ByteWriter) {
        w.i64(nextEquitySample); w.i64(peakEquity); w.i64(maxDrawdown); w.f64(maxDrawdownPct)
        w.i64(ticksProcessed); w.i64(barsProcessed)
    }

    /// The equity curve from `written` on. The last point written before
    /// may still have been replaced (same instant), so it is sent again.
    func writeCurve(into w: ByteWriter, from written: Int) {
        let start = max(min(written, equityCurve.count) - 1, 0)
        w.u64(UInt64(start)); w.u64(UInt64(equityCurve.count - start))
        for p in equityCurve[start...] { w.i64(p.time); w.i64(p.balance); w.i64(p.equity); w.i64(p.margin) }
    }
}

extension SymbolSpec {
    /// The 0.1 fingerprint's margin-mode field: 0 forex, 1 for what 0.1
    /// called CFD (lots × contract × price / leverage, now cfd_leverage),
    /// so a log written by 0.1 resumes under the spec that computes the same
    /// numbers; other modes write 2, which no 0.1 log has.
    var legacyMarginCode: Int32 {
        switch calcMode {
        case .forex: 0
        case .cfdLeverage: 1
        default: 2
        }
    }

    /// The calc-mode fields, written only when one differs from 0.1's
    /// fixed values, so a 0.1 configuration keeps its fingerprint.
    func writeCalcFields(into w: ByteWriter) {
        let legacy =
            (calcMode == .forex || calcMode == .cfdLeverage) && marginRate == FixedPoint.scale
            && marginInitial == 0 && marginMaintenance == 0 && tickSize == 0 && tickValue == 0
            && marginHedged == nil && !marginHedgedUseLeg
        guard !legacy else { return }
        w.u8(0xC1)  // tag: the calc fields follow
        w.i32(calcMode.rawValue); w.i64(marginRate); w.i64(marginInitial); w.i64(marginMaintenance)
        w.i64(tickSize); w.i64(tickValue); w.i64(marginHedged ?? -1); w.bool(marginHedgedUseLeg)
    }
}

extension SymbolSpec {
    /// The commission-model fields beyond 0.1's per-lot commission, written
    /// only when one is set, so a 0.1 configuration keeps its fingerprint.
    func writeCommissionFields(into w: ByteWriter) {
        guard
            commissionPerDeal != 0 || commissionPercent != 0 || commissionEntry != .both
                || commissionCurrency != .deposit
        else { return }
        w.u8(0xC4)  // tag: the commission fields follow (0xC2 is the swaps', 0xC3 the rollover time's)
        w.i64(commissionPerDeal); w.i64(commissionPercent)
        w.i32(commissionEntry.rawValue); w.i32(commissionCurrency.rawValue)
    }
}
