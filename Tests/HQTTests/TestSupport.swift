import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// Shared helpers for the engine tests. Every number in the tests is in SPEC
// micro units (price, money, volume × 1e6; time in ns).

/// 1.0 in micro units.
let U: Int64 = 1_000_000
/// One lot (volume × 1e6).
let LOT: Int64 = 1_000_000
/// Nanoseconds.
let SEC: Int64 = 1_000_000_000
let MIN: Int64 = 60 * SEC
let DAY: Int64 = 86_400 * SEC

/// Account in USD, 10 000 USD balance, leverage 100 unless told otherwise.
func makeEngine(balance: Int64 = 10_000 * U, currency: String = "USD", leverage: Int64 = 100) throws -> Engine {
    try Engine(initialBalance: balance, currency: currency, leverage: leverage)
}

/// A symbol whose base, profit and margin currency is USD: no conversion,
/// forex margin = volume × contract / 1e6 / leverage. Contract 100 000,
/// 5 digits (1 point = 10 micro), volume 0.01 / 0.01 / 100 lots.
func usdSymbol(_ name: String = "TEST", commission: Int64 = 0, spread: Int64 = 0) -> SymbolSpec {
    var s = SymbolSpec(name: name, baseCurrency: "USD", profitCurrency: "USD")
    s.commissionPerLot = commission
    s.spread = spread
    return s
}

func fx(_ name: String, digits: Int32 = 5) -> SymbolSpec {
    let base = String(name.prefix(3)), quote = String(name.suffix(3))
    var s = SymbolSpec(name: name, baseCurrency: base, profitCurrency: quote)
    s.digits = digits
    return s
}

extension Engine {
    /// Processes one tick (ask defaults to bid: zero spread).
    func tick(
        _ symbol: UInt32 = 0, at time: Int64, bid: Int64, ask: Int64? = nil,
        hooks: StrategyHooks = StrategyHooks()
    ) throws(HQTError) {
        try process(.tick(Tick(symbolID: symbol, time: time, bid: bid, ask: ask ?? bid)), hooks: hooks)
    }

    /// Processes one bar (prices are bids).
    func bar(
        _ symbol: UInt32 = 0, _ tf: Timeframe = .m1, open time: Int64, o: Int64, h: Int64, l: Int64, c: Int64,
        volume: Int64 = 0, hooks: StrategyHooks = StrategyHooks()
    ) throws(HQTError) {
        try process(
            .bar(
                Bar(
                    symbolID: symbol, timeframe: tf, time: time, open: o, high: h, low: l, close: c,
                    volume: volume)), hooks: hooks)
    }
}

/// Everything a rejected request must leave untouched.
struct EngineState: Equatable {
    var account: AccountSnapshot
    var positions: [Position]
    var orders: [Order]
    var orderHistory: [Order]
    var deals: [Deal]
    var trades: [Trade]
    var equityCurve: [EquityPoint]
    var pendingEvents: Int
    var nextTicket: UInt64
    var symbolCount: Int
    var currentTime: Int64
}

func snapshot(_ e: Engine) -> EngineState {
    EngineState(
        account: e.account, positions: e.positions, orders: e.orders, orderHistory: e.orderHistory,
        deals: e.deals, trades: e.trades, equityCurve: e.equityCurve, pendingEvents: e.pendingEventCount,
        nextTicket: e.nextTicket, symbolCount: e.symbols.count, currentTime: e.currentTime)
}

/// Runs `body`, expects an `HQTError` with `code` whose message contains
/// every fragment (case-insensitive); returns the error.
@discardableResult
func expectError(
    _ code: HQTError.Code, mentions fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> HQTError? {
    do {
        try body()
        Issue.record("expected HQTError \(code), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as HQTError {
        #expect(
            error.code == code, "wrong code (\(error.code)) for message: \(error.message)",
            sourceLocation: sourceLocation)
        for f in fragments {
            #expect(
                error.message.lowercased().contains(f.lowercased()),
                "message '\(error.message)' does not mention '\(f)'", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected HQTError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// `expectError`, plus: the engine's state is exactly what it was before.
@discardableResult
func expectRejected(
    _ e: Engine, _ code: HQTError.Code, mentions fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> HQTError? {
    let before = snapshot(e)
    let error = expectError(code, mentions: fragments, sourceLocation: sourceLocation, body)
    let after = snapshot(e)
    #expect(after == before, "engine state changed by a rejected request", sourceLocation: sourceLocation)
    return error
}

/// An ordered log filled by strategy hooks.
final class EventLog {
    var items: [String] = []
    func add(_ s: String) { items.append(s) }
}
