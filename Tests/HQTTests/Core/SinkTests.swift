import Testing

@testable import HQTCore
@testable import HQTWAL

/// Side effects leave the engine through sinks; replay tells them nothing.
@Suite struct SinkTests {
    final class Probe: EngineSink {
        var events: [String] = []
        func tick(_ engine: Engine, symbolID: UInt32, time: Int64, bid: Int64, ask: Int64) { events.append("tick") }
        func bar(_ engine: Engine, _ bar: Bar) { events.append("bar") }
        func order(_ engine: Engine, _ order: Order, state: OrderState, time: Int64) { events.append("order \(state)") }
        func deal(_ engine: Engine, _ deal: Deal) { events.append("deal \(deal.entry)") }
        func position(_ engine: Engine, _ p: Position, event: PositionEvent, time: Int64, profit: Int64) {
            events.append("position \(event)")
        }
        func accountChanged(_ engine: Engine, time: Int64) { events.append("account") }
        func marginEvent(_ engine: Engine, event: MarginEvent, time: Int64) { events.append("margin \(event)") }
    }

    @Test func everySinkHearsEveryEventInOrder() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        let a = Probe(), b = Probe()
        e.attach(a)
        e.attach(b)
        try e.tick(at: SEC, bid: U, ask: U)
        try e.buy(symbolID: 0, volume: 10_000)
        #expect(a.events == ["tick", "order placed", "order filled", "deal in", "position opened", "account"])
        #expect(b.events == a.events)
        e.detach(a)
        try e.tick(at: 2 * SEC, bid: U, ask: U)
        #expect(a.events.count == 6)
        #expect(b.events.last == "tick")
    }

    /// Also: the core journals and recovers through `EngineJournal` alone
    /// (an in-memory journal here, no file layer).
    @Test func recoveryReplaysWithoutTellingSinks() throws {
        let journal = InMemoryJournal()
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.attachJournal(journal, hasRecords: false, checkpointEvery: 10_000)
        try e.tick(at: SEC, bid: U, ask: U)
        try e.buy(symbolID: 0, volume: 10_000)
        #expect(
            journal.stored.map(\.type) == [
                LedgerRecordType.checkpoint.rawValue, LedgerRecordType.positionOpen.rawValue,
            ])

        let r = try makeEngine()
        try r.addSymbol(usdSymbol())
        let probe = Probe()
        r.attach(probe)
        try r.attachJournal(journal, hasRecords: true, checkpointEvery: 10_000)
        #expect(throws: HQTError.self) { try r.buy(symbolID: 0, volume: 10_000) }
        try r.recoverFromWAL()
        #expect(r.positions.count == 1)
        #expect(probe.events.isEmpty)
        try r.close(ticket: r.positions[0].ticket)
        #expect(probe.events.contains("position closed"))
        #expect(r.deals.count == 2 && r.deals[0] == e.deals[0])
    }
}
