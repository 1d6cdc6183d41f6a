#if canImport(Glibc)
import Glibc
#endif

/// The backtest engine: one account with MetaTrader 5 semantics, its
/// symbols, the loaded market data and everything traded on it.
///
/// Not thread-safe: drive one engine from one thread. Strategy hooks run on
/// that thread and may call back into the engine (trade, read state).
public final class Engine {
    // MARK: configuration
    public let currency: String
    public let initialBalance: Int64
    public let leverage: Int64
    public internal(set) var accountMode: AccountMode = .hedging
    /// Percent × 1e6.
    public internal(set) var marginCallLevel: Int64 = 100 * FixedPoint.scale
    public internal(set) var stopOutLevel: Int64 = 50 * FixedPoint.scale
    /// Spacing of equity-curve samples taken from the passing of time.
    public internal(set) var equityInterval: Int64 = 60_000_000_000

    static let maxPrice: Int64 = 1_000_000_000 * FixedPoint.scale
    static let maxMoney: Int64 = 1_000_000_000_000 * FixedPoint.scale

    // MARK: symbols
    public internal(set) var symbols: [SymbolSpec] = []
    var symbolIDs: [String: UInt32] = [:]
    /// Quotes by symbol id; raw memory so the tick path neither retains nor
    /// checks exclusivity.
    var quotes: UnsafeMutablePointer<SymbolState>
    var quoteCapacity: Int
    /// Resolved currency → account-currency routes. A resolved route stays
    /// (symbols are never removed), so later additions cannot change results.
    var routes: [String: ConversionRoute] = [:]

    // MARK: account and book
    public internal(set) var balance: Int64
    public internal(set) var floatingProfit: Int64 = 0
    public internal(set) var usedMargin: Int64 = 0
    /// Open positions; their `profit` field is refreshed only when read
    /// through `positions`, so the tick path never writes to this array.
    var openPositions: [Position] = []
    /// What floating profit needs of each open position, in raw memory
    /// rebuilt after every change (see TriggerIndex.swift).
    var hotPositions: UnsafeMutablePointer<HotPosition> = .allocate(capacity: 16)
    var hotCapacity = 16
    var hotCount = 0
    public internal(set) var orders: [Order] = []
    public internal(set) var orderHistory: [Order] = []
    public internal(set) var deals: [Deal] = []
    public internal(set) var trades: [Trade] = []
    public internal(set) var equityCurve: [EquityPoint] = []
    var nextTicket: UInt64 = 1
    /// Deposits minus withdrawals since the start (not profit).
    var netDeposits: Int64 = 0
    var marginCallActive = false
    /// Equity at or below which the exact margin-level check must run;
    /// above it neither margin call nor stop-out is possible, so the tick
    /// path compares one number instead of two 128-bit products.
    var marginCheckEquity: Int64 = .min

    // MARK: time and data
    /// Time of the last processed event (ns); `Int64.min` before the first.
    public internal(set) var currentTime: Int64 = .min
    /// Events processed so far (run and process); the WAL's event index.
    public internal(set) var eventsProcessed: Int64 = 0
    /// Where in event processing the engine is (written into WAL records).
    var phase: LedgerPhase = .between
    /// The clock before the current tick (bars built from ticks close
    /// between the two).
    var previousTime: Int64 = .min

    // MARK: broadcasting (Engine+Broadcast.swift)
    var broadcaster: Broadcaster?
    var cadence = BroadcastCadence()
    /// Counters of the current or last broadcaster, readable after disable.
    var lastBroadcastStats: BroadcastStats?
    var ticksSinceAccountFrame = 0

    // MARK: write-ahead log (Engine+WAL.swift)
    var wal: WriteAheadLog?
    /// The log holds records this engine has not recovered: trading is
    /// refused until recover_from_wal() (or a truncating enable).
    var walNeedsRecovery = false
    var lastWALOpenReport: WALOpenReport?
    public internal(set) var checkpointEvery = 10_000
    var recordsSinceCheckpoint = 0
    /// Records grouped per write inside a run (1: write-through, `.always`).
    var walGroupLimit = 1
    /// History written by the last checkpoint; nil: the next one is full.
    var historyMarks: HistoryMarks?
    /// Reused for every record, so journaling allocates nothing.
    let journalWriter = ByteWriter(capacity: 512)
    /// Recovery is re-walking the data, applying logged records instead of
    /// reacting to prices.
    var replaying = false
    var replayQueue: [LedgerRecord] = []
    var replayIndex = 0
    /// Where the current (or last) run is; see RUN_MARK records.
    public internal(set) var runStage: RunStage = .idle
    /// Recovery without data: records are applied with the checkpoint's
    /// prices, so drawdown and equity samples are not taken from them.
    var applyingWithoutPrices = false
    /// The strategy state of the checkpoint recovery started from, wrapped
    /// with its feed position (see `wrapStrategyState`).
    var recoveredStrategyState: [UInt8]?
    /// True while a resumed run feeds its warm-up events: trading refused.
    public internal(set) var warmingUp = false
    var tickSeries: [TickSeries?] = []
    var barSeries: [BarSeries] = []
    var barBuilders: [BarBuilder] = []
    /// Per symbol: indexes into `barBuilders`.
    var buildersBySymbol: [[Int]] = []
    var nextEquitySample: Int64 = .min

    // MARK: statistics accumulators
    var peakEquity: Int64
    var maxDrawdown: Int64 = 0
    var maxDrawdownPct: Double = 0
    public internal(set) var ticksProcessed: Int64 = 0
    public internal(set) var barsProcessed: Int64 = 0

    // MARK: run state
    var isRunning = false
    var inEvent = false
    var hooks = StrategyHooks()
    /// Deals made since hooks were last told, delivered to `onTrade` in order.
    var unreportedDeals = 0
    /// Scratch space reused by the tick path (no allocation per tick).
    var scratchTriggers: [(index: Int, reason: DealReason, price: Int64)] = []

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
        self.currency = currency
        self.initialBalance = initialBalance
        self.leverage = leverage
        self.balance = initialBalance
        self.peakEquity = initialBalance
        quoteCapacity = 16
        quotes = .allocate(capacity: quoteCapacity)
        quotes.initialize(repeating: SymbolState(), count: quoteCapacity)
        scratchTriggers.reserveCapacity(16)
    }

    deinit {
        hotPositions.deallocate()
        quotes.deinitialize(count: quoteCapacity)
        quotes.deallocate()
    }

    /// Three ASCII letters, as ISO 4217 codes.
    static func isCurrencyCode(_ s: String) -> Bool {
        let u = s.utf8
        return u.count == 3 && u.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    // MARK: configuration

    /// Hedging (default) or netting; only before the first order.
    public func setAccountMode(_ mode: AccountMode) throws(HQTError) {
        try checkNotRunning("set the account mode")
        guard nextTicket == 1 else {
            throw HQTError(.state, "the account mode can only be changed before the first order")
        }
        accountMode = mode
    }

    /// Margin call and stop-out levels, percent × 1e6; stop-out must not exceed margin call.
    public func setMarginLevels(marginCall: Int64, stopOut: Int64) throws(HQTError) {
        guard stopOut >= 0, marginCall >= stopOut, marginCall <= 100_000 * FixedPoint.scale else {
            throw HQTError(.invalidArgument,
                           "margin levels need 0 <= stop-out (\(FixedPoint.format(stopOut))%) <= margin call (\(FixedPoint.format(marginCall))%) <= 100000%")
        }
        marginCallLevel = marginCall
        stopOutLevel = stopOut
        updateMarginCheckEquity()
    }

    public func setEquityInterval(_ nanoseconds: Int64) throws(HQTError) {
        guard nanoseconds >= 1_000_000 else {
            throw HQTError(.invalidArgument, "equity interval must be at least 1 ms (1000000 ns)")
        }
        equityInterval = nanoseconds
        nextEquitySample = .min
    }

    func checkNotRunning(_ what: String) throws(HQTError) {
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
        guard symbolIDs[spec.name] == nil else {
            throw HQTError(.invalidArgument, "symbol \(spec.name) already exists (id \(symbolIDs[spec.name]!))")
        }
        guard symbols.count < 65_536 else { throw HQTError(.invalidArgument, "too many symbols (65536)") }
        let id = UInt32(symbols.count)
        if symbols.count == quoteCapacity {
            let fresh = UnsafeMutablePointer<SymbolState>.allocate(capacity: quoteCapacity * 2)
            fresh.moveInitialize(from: quotes, count: quoteCapacity)
            (fresh + quoteCapacity).initialize(repeating: SymbolState(), count: quoteCapacity)
            quotes.deallocate()
            quotes = fresh
            quoteCapacity *= 2
        }
        quotes[Int(id)].contractSize = spec.contractSize
        quotes[Int(id)].point = spec.point
        symbols.append(spec)
        symbolIDs[spec.name] = id
        tickSeries.append(nil)
        buildersBySymbol.append([])
        return id
    }

    public func symbolID(named name: String) throws(HQTError) -> UInt32 {
        guard let id = symbolIDs[name] else { throw HQTError(.unknownSymbol, "no symbol named '\(name)'") }
        return id
    }

    func checkSymbol(_ id: UInt32) throws(HQTError) {
        guard Int(id) < symbols.count else {
            throw HQTError(.unknownSymbol,
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

    public var equity: Int64 { balance + floatingProfit }
    public var freeMargin: Int64 { equity - usedMargin }

    /// Percent × 1e6; 0 while no margin is used.
    public var marginLevel: Int64 {
        usedMargin > 0 ? FixedPoint.mulDiv(equity, 100 * FixedPoint.scale, usedMargin) : 0
    }

    /// `marginCall` is evaluated now ("while margin level <= the level the
    /// account is flagged"), so it is also right after a deal or a
    /// withdrawal, before the next market event re-checks the levels.
    public var account: AccountSnapshot {
        AccountSnapshot(time: currentTime == .min ? 0 : currentTime, balance: balance, equity: equity,
                        profit: floatingProfit, margin: usedMargin, freeMargin: freeMargin,
                        marginLevel: marginLevel, marginCall: marginLevelAtOrBelow(marginCallLevel))
    }

    /// Open positions with their floating profit at the current quotes.
    public var positions: [Position] {
        openPositions.map { p in
            var p = p
            p.profit = floatingProfit(of: p)
            return p
        }
    }

    public func position(ticket: UInt64) -> Position? {
        guard var p = openPositions.first(where: { $0.ticket == ticket }) else { return nil }
        p.profit = floatingProfit(of: p)
        return p
    }
}

extension Engine {
    /// Releases external resources (broadcaster, write-ahead log) before the
    /// engine goes away; safe to call more than once.
    public func shutdown() {
        if wal != nil && !isRunning && !inEvent { try? disableWAL() }
        try? wal?.close()
        wal = nil
        broadcaster?.close()
        broadcaster = nil
    }
}
