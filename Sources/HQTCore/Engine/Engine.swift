import Synchronization

/// The backtest engine: one account with MetaTrader 5 semantics, its
/// symbols, the loaded market data and everything traded on it.
///
/// The engine coordinates owners, each holding one piece of state:
/// `Account` (money, margin, levels), `Book` (positions, orders, history),
/// `Feed` (loaded data, bar building, the merged event cursor) and `Stats`
/// (equity curve, drawdown, counts). Every change to the account or the
/// book is a `LedgerOp` that goes through `commit` (journal, then apply);
/// side effects reach the outside through sinks (`EngineSink`) and the
/// journal (`EngineJournal`).
///
/// Not thread-safe: drive one engine from one thread. Strategy hooks run on
/// that thread and may call back into the engine (trade, read state). The
/// one exception is `interrupt()`, which any thread may call.
public final class Engine {
    static let maxPrice: Int64 = 1_000_000_000 * FixedPoint.scale
    static let maxMoney: Int64 = 1_000_000_000_000 * FixedPoint.scale
    /// The range HQT keeps balance and floating profit in (±2e12 account
    /// units each), so equity, drawdown and every sum of them stay exact in
    /// 64 bits. A deposit or a deal that would leave it is refused, and a
    /// price that would take the open positions' profit past it stops the
    /// run with an error instead of wrapping around (docs/engine.md).
    static let maxBalance: Int64 = 2_000_000_000_000 * FixedPoint.scale

    // MARK: owners
    var accountState: Account
    var book = Book()
    let feed = Feed()
    var stats: Stats
    /// Indicators declared on the engine (Indicators/Engine+Indicators.swift).
    let indicators = IndicatorSet()

    // MARK: symbols
    public internal(set) var symbols: [SymbolSpec] = []
    var symbolIDs: [String: UInt32] = [:]
    /// Per-symbol rows the tick path touches (quote, trigger bounds, the
    /// open positions' aggregates), in raw memory so the tick path neither
    /// retains nor checks exclusivity.
    var quotes: UnsafeMutablePointer<SymbolState>
    var quoteCapacity: Int
    /// The hot counters native strategies read (Engine+HotState.swift);
    /// allocated once, so its address stays valid for the engine's life.
    public let hot: UnsafeMutablePointer<HotState>
    /// Symbols with open positions (whose aggregates floating profit sums),
    /// in raw memory: the tick path reads it without retaining an array.
    let activeSymbols = Int32Buffer()
    /// Per-symbol sums of the open positions' margins, by side (rebuilt
    /// with the trigger index; read on deals only, so kept out of `quotes`).
    var legMargins: [LegMargins] = []
    /// Resolved currency → account-currency routes. A resolved route stays
    /// (symbols are never removed), so later additions cannot change results.
    var routes: [String: ConversionRoute] = [:]

    // MARK: time
    /// Time of the last processed event (ns); `Int64.min` before the first.
    public internal(set) var currentTime: Int64 = .min
    /// Events processed so far (run and process); the journal's event index.
    public internal(set) var eventsProcessed: Int64 = 0
    /// Ticks skipped outside quote sessions that the loaded data no longer
    /// shows: given to `process`, or in a dropped `source` window.
    var processedOutsideQuotes: Int64 = 0
    /// Where in event processing the engine is (written into journal records).
    var phase: LedgerPhase = .between
    /// The clock before the current tick (bars built from ticks close
    /// between the two).
    var previousTime: Int64 = .min

    // MARK: sinks and journal
    var sinkSet = SinkSet()
    /// State that plug-in modules (broadcaster, ...) keep with the engine,
    /// keyed by their type.
    package var plugInState: [ObjectIdentifier: AnyObject] = [:]
    var journal: (any EngineJournal)?
    /// The journal holds records this engine has not recovered: trading is
    /// refused until recover_from_wal() (or a truncating enable).
    var walNeedsRecovery = false
    public internal(set) var checkpointEvery = 10_000
    var recordsSinceCheckpoint = 0
    /// History written by the last checkpoint; nil: the next one is full.
    var historyMarks: HistoryMarks?
    /// Reused for every record, so journaling allocates nothing.
    let journalWriter = ByteWriter(capacity: 512)
    /// Recovery mode: the engine re-walks the data applying journaled
    /// records instead of deciding (see Engine+Journal.swift).
    var replay: ReplayQueue?
    @inline(__always) var replaying: Bool { replay != nil }
    /// Where the current (or last) run is; see RUN_MARK records.
    public internal(set) var runStage: RunStage = .idle
    /// Recovery without data: records are applied with the checkpoint's
    /// prices, so drawdown and equity samples are not taken from them.
    var applyingWithoutPrices = false
    /// The strategy state of the checkpoint recovery started from, wrapped
    /// with its feed position (see `wrapStrategyState`).
    var recoveredStrategyState: [UInt8]?
    /// Where a resumed run re-feeds from, and the deals made since (see
    /// `StrategyCheckpoint`); set by recovery, used once by `run(resume:)`.
    var resumePoint: StrategyCheckpoint?
    /// The strategy state the finished run's last checkpoint carried.
    var finalStrategyState: [UInt8]?
    /// True while a resumed run feeds its warm-up events: trading refused.
    public internal(set) var warmingUp = false

    // MARK: run state
    var isRunning = false
    /// Set by `interrupt()` from any thread, read by the run loop between
    /// events (every `interruptCheckInterval` events).
    public let interrupter = RunInterrupter()
    static let interruptCheckInterval = 1024
    /// The last run stopped at `interrupt()`: the next `run` continues it
    /// (no on_start) instead of starting a new one.
    public internal(set) var isPaused = false
    var inEvent = false
    /// A run, an event or a bar flush is in progress (strategy callbacks may
    /// be on the stack): the C API refuses to destroy the engine now.
    package var isBusy: Bool { isRunning || inEvent }
    var hooks = StrategyHooks()
    /// `hooks.nativeTick` of the run or event in progress, kept apart so the
    /// tick loop reads a plain value, not the hooks' closures.
    var nativeTick: NativeTickHook?
    /// `hooks.nativeBar`, likewise for the bar path.
    var nativeBar: NativeBarHook?
    /// Deals made since hooks were last told, delivered to `onTrade` in order.
    var unreportedDeals = 0
    /// Where the current run gets its next window of data (see `run`).
    var dataSource: DataSource?
    /// True while `dataSource` is loading: loads are allowed mid-run.
    var refilling = false
    /// Earliest expiration of any pending order (rebuilt with the trigger
    /// index), and the earlier of it and the next equity sample: when the
    /// tick path has clock-driven work (`timedWork`).
    var earliestExpiration: Int64 = .max
    var nextTimedWork: Int64 = .min
    /// Swaps (Engine+Swaps.swift): the rollover time of day in seconds, the
    /// next rollover to charge (.min: set by the next event) and the open
    /// positions' swap sum, part of the floating result.
    public internal(set) var rolloverTime: Int64 = 0
    var nextRollover: Int64 = .min
    var openSwap: Int64 = 0
    /// Scratch space reused by the tick path (no allocation per tick).
    var scratchTriggers: [(index: Int, reason: DealReason, price: Int64)] = []
    /// The tick model of the run in progress, or of the last one (journaled
    /// in RUN_MARK records and snapshots, so a resume generates the same
    /// ticks); set by `run(tickModel:)` / `setTickModel`.
    public internal(set) var tickModel: TickModel = .realTicks
    /// The model `setTickModel` asked for (nil: none, see `run`).
    var requestedTickModel: TickModel?
    /// The prices generated for the current bar (capacity reused).
    var scratchTickPrices: [Int64] = []
    /// Recovery inside a generated bar: the time of the step being replayed.
    var replayStepTime: Int64?

    public init(initialBalance: Int64, currency: String, leverage: Int64) throws(HQTError) {
        guard Engine.isCurrencyCode(currency) else {
            throw HQTError(.invalidArgument, "account currency '\(currency)' is not a 3-letter currency code")
        }
        guard initialBalance >= 0, initialBalance <= Engine.maxMoney else {
            throw HQTError(.invalidArgument, "initial balance must be >= 0 and <= 1e12")
        }
        guard leverage >= 1, leverage <= 1_000_000 else {
            throw HQTError(.invalidArgument, "leverage must be 1...1000000, got \(leverage)")
        }
        accountState = Account(currency: currency, initialBalance: initialBalance, leverage: leverage)
        stats = Stats(initialEquity: initialBalance)
        quoteCapacity = 16
        quotes = .allocate(capacity: quoteCapacity)
        quotes.initialize(repeating: SymbolState(), count: quoteCapacity)
        hot = .allocate(capacity: 1)
        hot.initialize(to: HotState())
        hot.pointee.balance = initialBalance
        hot.pointee.equity = initialBalance
        hot.pointee.symbols = Engine.allocateHotSymbols(quoteCapacity)
        scratchTriggers.reserveCapacity(16)
    }

    deinit {
        quotes.deinitialize(count: quoteCapacity)
        quotes.deallocate()
        hot.pointee.symbols?.deallocate()
        hot.deallocate()
    }

    /// Three ASCII letters, as ISO 4217 codes.
    static func isCurrencyCode(_ s: String) -> Bool {
        let u = s.utf8
        return u.count == 3 && u.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    // MARK: configuration

    public var currency: String { accountState.currency }
    public var initialBalance: Int64 { accountState.initialBalance }
    public var leverage: Int64 { accountState.leverage }
    public var accountMode: AccountMode { accountState.mode }
    /// Percent × 1e6.
    public var marginCallLevel: Int64 { accountState.marginCallLevel }
    public var stopOutLevel: Int64 { accountState.stopOutLevel }
    /// Spacing of equity-curve samples taken from the passing of time.
    public var equityInterval: Int64 { stats.equityInterval }

    /// Hedging (default) or netting; only before the first order.
    public func setAccountMode(_ mode: AccountMode) throws(HQTError) {
        try checkNotRunning("set the account mode")
        guard book.nextTicket == 1 else {
            throw HQTError(.state, "the account mode can only be changed before the first order")
        }
        accountState.mode = mode
    }

    /// Margin call and stop-out levels, percent × 1e6 (or money × 1e6 in
    /// `.money` mode); stop-out must not exceed margin call.
    public func setMarginLevels(marginCall: Int64, stopOut: Int64, mode: StopOutMode) throws(HQTError) {
        if mode == .money {
            try setMoneyMarginLevels(marginCall: marginCall, stopOut: stopOut)
            return
        }
        guard stopOut >= 0, marginCall >= stopOut, marginCall <= 100_000 * FixedPoint.scale else {
            throw HQTError(
                .invalidArgument,
                "margin levels need 0 <= stop-out (\(FixedPoint.format(stopOut))%) <= margin call (\(FixedPoint.format(marginCall))%) <= 100000%"
            )
        }
        accountState.stopOutMode = .percent
        accountState.marginCallLevel = marginCall
        accountState.stopOutLevel = stopOut
        accountState.updateMarginCheckEquity(replaying: replaying)
    }

    /// Percent levels (the 0.1 call).
    public func setMarginLevels(marginCall: Int64, stopOut: Int64) throws(HQTError) {
        try setMarginLevels(marginCall: marginCall, stopOut: stopOut, mode: .percent)
    }

    public func setEquityInterval(_ nanoseconds: Int64) throws(HQTError) {
        guard nanoseconds >= 1_000_000 else {
            throw HQTError(.invalidArgument, "equity interval must be at least 1 ms (1000000 ns)")
        }
        stats.equityInterval = nanoseconds
        stats.nextEquitySample = .min
        nextTimedWork = .min
    }

    /// Loads the next window of a run's data into the engine; false: no more.
    public typealias DataSource = (Engine) throws(HQTError) -> Bool

    package func checkNotRunning(_ what: String) throws(HQTError) {
        guard !isRunning && !inEvent else {
            throw HQTError(.busy, "cannot \(what) while a run or event is in progress")
        }
    }

    // MARK: symbols

    /// Adds a symbol and returns its id (0, 1, ...).
    @discardableResult
    public func addSymbol(_ spec: SymbolSpec) throws(HQTError) -> UInt32 {
        try checkNotRunning("add a symbol")
        try spec.validate()
        if let existing = symbolIDs[spec.name] {
            throw HQTError(.invalidArgument, "symbol \(spec.name) already exists (id \(existing))")
        }
        guard symbols.count < 65_536 else { throw HQTError(.invalidArgument, "too many symbols (65536)") }
        let id = UInt32(symbols.count)
        if symbols.count == quoteCapacity {
            let fresh = UnsafeMutablePointer<SymbolState>.allocate(capacity: quoteCapacity * 2)
            fresh.moveInitialize(from: quotes, count: quoteCapacity)
            (fresh + quoteCapacity).initialize(repeating: SymbolState(), count: quoteCapacity)
            quotes.deallocate()
            quotes = fresh
            hot.pointee.symbols?.deallocate()
            hot.pointee.symbols = Engine.allocateHotSymbols(quoteCapacity * 2)
            quoteCapacity *= 2
        }
        // The tick path's profit multiplier: contract size, or tick_value /
        // tick_size for futures (MT5's futures profit formula).
        let multiplier = spec.profitMultiplier
        quotes[Int(id)].contractSize = multiplier
        quotes[Int(id)].contractUnits = multiplier % FixedPoint.scale == 0 ? multiplier / FixedPoint.scale : 0
        quotes[Int(id)].point = spec.point
        quotes[Int(id)].quoteGated = !spec.quoteSessions.isEmpty
        symbols.append(spec)
        legMargins.append(LegMargins())
        symbolIDs[spec.name] = id
        feed.addSymbol()
        refreshHotBook()
        return id
    }

    public func symbolID(named name: String) throws(HQTError) -> UInt32 {
        guard let id = symbolIDs[name] else { throw HQTError(.unknownSymbol, "no symbol named '\(name)'") }
        return id
    }

    func checkSymbol(_ id: UInt32) throws(HQTError) {
        guard Int(id) < symbols.count else {
            throw HQTError(
                .unknownSymbol,
                "unknown symbol id \(id) (\(symbols.count) symbol\(symbols.count == 1 ? "" : "s") added)")
        }
    }

    /// Last quote of a symbol (zeros before its first tick or bar).
    public func quote(of id: UInt32) throws(HQTError) -> (bid: Int64, ask: Int64, time: Int64) {
        try checkSymbol(id)
        let q = quotes[Int(id)]
        return (q.bid, q.ask, q.time)
    }

    // MARK: account

    public var balance: Int64 { accountState.balance }
    public var floatingProfit: Int64 { accountState.floatingProfit }
    public var usedMargin: Int64 { accountState.usedMargin }
    public var equity: Int64 { accountState.equity }
    public var freeMargin: Int64 { accountState.freeMargin }
    /// Percent × 1e6; 0 while no margin is used.
    public var marginLevel: Int64 { accountState.marginLevel }

    /// `marginCall` is evaluated now ("while margin level <= the level the
    /// account is flagged"), so it is also right after a deal or a
    /// withdrawal, before the next market event re-checks the levels.
    public var account: AccountSnapshot {
        AccountSnapshot(
            time: now, balance: accountState.balance, equity: accountState.equity,
            profit: accountState.floatingProfit, margin: accountState.usedMargin,
            freeMargin: accountState.freeMargin, marginLevel: accountState.marginLevel,
            marginCall: accountState.marginLevelAtOrBelow(accountState.marginCallLevel))
    }

    // MARK: book

    public var orders: [Order] { book.orders }
    public var orderHistory: [Order] { book.orderHistory }
    public var deals: [Deal] { book.deals }
    public var trades: [Trade] { book.trades }
    public var equityCurve: [EquityPoint] { stats.equityCurve }
    public var ticksProcessed: Int64 { stats.ticksProcessed }
    public var barsProcessed: Int64 { stats.barsProcessed }
    public var nextTicket: UInt64 { book.nextTicket }
    /// Open positions, without refreshing their profit (tests, snapshots).
    var openPositions: [Position] { book.positions }

    /// Open positions with their floating profit at the current quotes.
    public var positions: [Position] {
        book.positions.map { p in
            var p = p
            p.profit = floatingProfit(of: p)
            return p
        }
    }

    public func position(ticket: UInt64) -> Position? {
        guard let i = book.positionIndex(ticket: ticket) else { return nil }
        var p = book.positions[i]
        p.profit = floatingProfit(of: p)
        return p
    }
}

extension Engine {
    /// Releases external resources (sinks, journal) before the engine goes
    /// away; safe to call more than once.
    public func shutdown() {
        if journal != nil && !isRunning && !inEvent { try? disableWAL() }
        try? journal?.close()
        journal = nil
        for sink in sinkSet.sinks { (sink as? any ClosableSink)?.close() }
        for sink in sinkSet.sinks { sinkSet.detach(sink) }
    }
}

/// A sink holding an outside resource (a socket) that `Engine.shutdown`
/// releases.
public protocol ClosableSink: EngineSink {
    func close()
}

/// The one part of an engine other threads may touch: a request that the
/// run in progress stop between two events (see `Engine.interrupt()`).
public final class RunInterrupter: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Asks the run in progress to stop; async-signal-safe (one atomic store).
    public func interrupt() { requested.store(true, ordering: .relaxed) }

    /// Takes the request: true (once) if one was made.
    func take() -> Bool { requested.exchange(false, ordering: .relaxed) }

    /// Forgets a request made between runs.
    func clear() { requested.store(false, ordering: .relaxed) }

    /// Whether a request is pending (for callers that only poll).
    public var isRequested: Bool { requested.load(ordering: .relaxed) }
}
