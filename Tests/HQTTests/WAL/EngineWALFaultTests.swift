import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A failing file layer under the engine's log: the operation whose record
/// could not be written does not happen, the engine stays as it was, the
/// log stays readable, and recovery gives the state of the last durable
/// operation.
@Suite struct EngineWALFaultTests {
    let dir = TempDirectory()

    func engine() throws -> Engine {
        let e = try Engine(initialBalance: 10_000_000_000, currency: "USD", leverage: 100)
        try e.addSymbol(SymbolSpec(name: "EURUSD", baseCurrency: "EUR", profitCurrency: "USD"))
        try e.process(.tick(Tick(symbolID: 0, time: 1_000, bid: 1_100_000, ask: 1_100_020)))
        return e
    }

    struct State: Equatable {
        var balance: Int64, equity: Int64, margin: Int64
        var positions: [Position], orders: [Order], deals: [Deal], history: [Order]
        init(_ e: Engine) {
            balance = e.balance; equity = e.equity; margin = e.usedMargin
            positions = e.positions; orders = e.orders; deals = e.deals; history = e.orderHistory
        }
    }

    @Test(arguments: [WALFaultInjector.Operation.write, .dataSync])
    func failedAppendLeavesTheEngineUnchanged(_ operation: WALFaultInjector.Operation) throws {
        let faults = WALFaultInjector()
        let path = dir.file()
        let e = try engine()
        try e.enableWAL(path: path, truncate: true, sync: .always, fileSystem: faults.fileSystem)
        let first = try e.buy(symbolID: 0, volume: 100_000)
        let before = State(e)
        // The next record's write (or its sync) fails.
        faults.fail(operation, at: faults.count(operation) + 1)
        #expect { try e.sell(symbolID: 0, volume: 50_000) } throws: {
            ($0 as? HQTError)?.code == .wal || ($0 as? HQTError)?.code == .io
        }
        #expect(State(e) == before)
        // Later operations are refused too (the log refuses appends until reopened) …
        #expect(throws: HQTError.self) { try e.close(ticket: first) }
        #expect(State(e) == before)
        // … and the log still reads: recovery in a fresh engine gives the
        // state of the last durable operation.
        try? e.disableWAL()
        e.shutdown()
        let fresh = try engine()
        try fresh.enableWAL(path: path, sync: .always)
        _ = try fresh.recoverFromWAL()
        #expect(State(fresh) == before)
        try fresh.disableWAL()
    }

    @Test func shortWritesAreCompletedAndRecorded() throws {
        let faults = WALFaultInjector()
        let path = dir.file()
        let e = try engine()
        try e.enableWAL(path: path, truncate: true, sync: .always, fileSystem: faults.fileSystem)
        faults.shortWrite(at: faults.count(.write) + 1, bytes: 5)
        try e.buy(symbolID: 0, volume: 100_000)
        let after = State(e)
        try e.disableWAL()
        let fresh = try engine()
        try fresh.enableWAL(path: path)
        _ = try fresh.recoverFromWAL()
        #expect(State(fresh) == after)
        try fresh.disableWAL()
    }
}
