import Testing

@testable import HQTCore

/// Recovery refuses data other than the data the log was written over
/// (issue 10, item 3): before, prices shifted by 0.01 resumed to a balance
/// matching neither data set, and 1,000 ticks were accepted against a log
/// whose cursor was at event 24,860.
@Suite struct DataFingerprintTests {
    static let n = 30_000

    static func prices(shift: Int64 = 0, changeAt: Int? = nil) -> (times: [Int64], bids: [Int64]) {
        let times = (0..<n).map { Int64($0 + 1) * SEC }
        var bids = (0..<n).map { Int64(1_000_000 + ($0 * 7919) % 2_000) + shift }
        if let i = changeAt { bids[i] += 10 }
        return (times, bids)
    }

    static func engine(count: Int = n, shift: Int64 = 0, changeAt: Int? = nil) throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(spread: 20))
        let (t, b) = prices(shift: shift, changeAt: changeAt)
        try e.loadTicks(
            symbolID: 0, time: Array(t.prefix(count)), bid: Array(b.prefix(count)),
            ask: b.prefix(count).map { $0 + 20 })
        return e
    }

    /// A journal of a run that trades every 500 ticks, with a checkpoint at
    /// its end (cursor at event `n`).
    static func journalOfARun() throws -> InMemoryJournal {
        let journal = InMemoryJournal()
        let e = try engine()
        try e.attachJournal(journal, hasRecords: false, checkpointEvery: 10_000)
        var hooks = StrategyHooks()
        var ticks = 0
        hooks.onTick = { e, _ throws(HQTError) in
            ticks += 1
            if ticks % 500 == 0 {
                if e.positions.isEmpty {
                    try e.buy(symbolID: 0, volume: 10_000)
                } else {
                    try e.close(ticket: e.positions[0].ticket)
                }
            }
        }
        try e.run(hooks)
        return journal
    }

    static func recover(_ journal: InMemoryJournal, into e: Engine, accept: Bool = false) throws -> RecoveryReport {
        try e.attachJournal(journal, hasRecords: true, checkpointEvery: 10_000)
        return try e.recoverFromWAL(acceptChangedData: accept)
    }

    @Test func theSameDataRecovers() throws {
        let journal = try Self.journalOfARun()
        let e = try Self.engine()
        let report = try Self.recover(journal, into: e)
        #expect(report.eventsProcessed == Int64(Self.n))
        #expect(e.deals.count == 2 * (Self.n / 1_000))
    }

    @Test func shiftedPricesAreRefusedWithNothingChanged() throws {
        let journal = try Self.journalOfARun()
        let e = try Self.engine(shift: 10_000)  // +0.01
        let before = snapshot(e)
        expectError(
            .wal, mentions: ["not the data the log was written over", "TEST", "events 0...", "accept_changed_data"]
        ) {
            _ = try Self.recover(journal, into: e)
        }
        #expect(snapshot(e) == before)
        // Still refusing to trade: the log was not recovered.
        expectError(.state) { try e.buy(symbolID: 0, volume: 10_000) }
    }

    @Test func oneChangedTickIsLocatedToItsBlock() throws {
        let journal = try Self.journalOfARun()
        // 30,000 events fit 8 blocks of 4,096: tick 10,000 is in the third.
        let e = try Self.engine(changeAt: 10_000)
        expectError(.wal, mentions: ["TEST", "within events 8192...12287"]) {
            _ = try Self.recover(journal, into: e)
        }
    }

    @Test func fewerTicksThanTheLogsCursorAreRefused() throws {
        let journal = try Self.journalOfARun()
        let e = try Self.engine(count: 1_000)
        expectError(.wal, mentions: ["cursor is at event 30000", "only 1000 are loaded"]) {
            _ = try Self.recover(journal, into: e)
        }
    }

    @Test func dataEndingBeforeTheLastRecordIsRefused() throws {
        // The checkpoint is the run's start (cursor 0): only the records
        // tell how far the run went.
        let journal = InMemoryJournal()
        let w = try Self.engine()
        try w.attachJournal(journal, hasRecords: false, checkpointEvery: 1_000_000)
        var hooks = StrategyHooks()
        var ticks = 0
        hooks.onTick = { e, _ throws(HQTError) in
            ticks += 1
            if ticks == 20_000 { try e.buy(symbolID: 0, volume: 10_000) }
        }
        try w.run(hooks)
        journal.stored.removeLast()  // the end-of-run checkpoint: a crash before it
        let e = try Self.engine(count: 5_000)
        expectError(.wal, mentions: ["records up to event 30000", "ends at event 5000"]) {
            _ = try Self.recover(journal, into: e)
        }
    }

    @Test func acceptChangedDataReplaysOverTheDataAsItIs() throws {
        let journal = try Self.journalOfARun()
        let e = try Self.engine(shift: 10_000)
        let report = try Self.recover(journal, into: e, accept: true)
        #expect(report.eventsProcessed == Int64(Self.n))
        // A cursor beyond the data cannot be accepted even so.
        let short = try Self.engine(count: 1_000)
        expectError(.wal, mentions: ["only 1000 are loaded"]) {
            _ = try Self.recover(journal, into: short, accept: true)
        }
    }

    @Test func fingerprintsAreIncrementalAndEqualToAFreshComputation() throws {
        let (t, b) = Self.prices()
        let series = TickSeries(symbolID: 0)
        for c in [series.time, series.bid, series.ask] { c.reserve(Self.n) }
        for i in 0..<Self.n {
            series.time.appendReserved(t[i]); series.bid.appendReserved(b[i]); series.ask.appendReserved(b[i] + 20)
        }
        let cols = [series.time.base, series.bid.base, series.ask.base]
        for count in [0, 1, 4_095, 4_096, 4_097, 20_000, Self.n] {
            let incremental = DataHash.fingerprint(columns: cols, count: count, progress: series.fingerprintProgress)
            #expect(incremental == DataHash.fingerprint(columns: cols, count: count))
            #expect(incremental.blocks.count <= DataHash.maxBlocks)
        }
        let all = DataHash.fingerprint(columns: cols, count: Self.n)
        #expect(all.level == 0 && all.blocks.count == 8)  // 30,000 = 7 × 4,096 + a partial block
    }
}
