import Testing

@testable import HQTCore

/// Values that would leave the range HQT keeps exact are refused with an
/// error naming them, never wrapped and never a trap that kills the host.
@Suite struct RangeTests {
    @Test func depositsThatWouldPassTheBalanceRangeAreRefused() throws {
        let e = try makeEngine(balance: 1_000_000 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: U, ask: U)
        var refused = false
        for _ in 0..<12 {
            do {
                try e.deposit(900_000_000_000 * U)
            } catch {
                #expect(error.code == .range)
                #expect(error.message.contains("beyond ±2e12"))
                refused = true
                break
            }
        }
        #expect(refused)
        #expect(e.balance <= Engine.maxBalance)
        // Still usable: a deposit that fits is taken.
        try e.deposit(1 * U)
    }

    @Test func aPriceJumpBeyondTheRangeIsRefusedWithNothingChanged() throws {
        let e = try makeEngine(balance: 1_000_000 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_000)
        try e.buy(symbolID: 0, volume: 100 * LOT)
        let before = (e.balance, e.equity, e.floatingProfit, e.ticksProcessed, e.now)
        // 100 lots × 100,000 × (2e6 − 1.1) = 2e13 USD: past the range.
        expectError(.range, mentions: ["floating profit", "2e12", "nothing was changed"]) {
            try e.tick(at: 2 * SEC, bid: 2_000_000 * U, ask: 2_000_000 * U)
        }
        #expect(e.balance == before.0 && e.equity == before.1 && e.floatingProfit == before.2)
        #expect(e.ticksProcessed == before.3 && e.now == before.4)
        #expect(try e.quote(of: 0).bid == 1_100_000)
        // The engine goes on from there: a sane next tick is taken.
        try e.tick(at: 3 * SEC, bid: 1_200_000, ask: 1_200_000)
        #expect(e.floatingProfit == 100 * 100_000 * 100_000)  // 0.1 × 100 lots × 100,000
        #expect(e.positions.count == 1)
    }

    @Test func aBarThatWouldLeaveTheRangeIsRefusedToo() throws {
        let e = try makeEngine(balance: 1_000_000 * U)
        try e.addSymbol(usdSymbol())
        try e.bar(open: 0, o: 1_100_000, h: 1_100_000, l: 1_100_000, c: 1_100_000)
        try e.buy(symbolID: 0, volume: 100 * LOT)
        let bars = e.barsProcessed
        expectError(.range, mentions: ["floating profit", "nothing was changed"]) {
            try e.bar(open: MIN, o: 1_100_000, h: 2_000_000 * U, l: 1_100_000, c: 2_000_000 * U)
        }
        #expect(e.barsProcessed == bars)
        #expect(try e.quote(of: 0).bid == 1_100_000)
    }

    @Test func closingIntoABalanceBeyondTheRangeIsRefused() throws {
        // Balance 1.9e12, then a profit of 0.2e12 (itself within range).
        let e = try makeEngine(balance: 1_000_000_000_000 * U)
        try e.deposit(900_000_000_000 * U)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1 * U, ask: 1 * U)
        try e.buy(symbolID: 0, volume: 100 * LOT)
        try e.tick(at: 2 * SEC, bid: 30_001 * U, ask: 30_001 * U)  // +30,000 × 1e7 units = 3e11
        expectError(.range, mentions: ["closing position", "2e12"]) {
            try e.close(ticket: e.positions[0].ticket)
        }
        #expect(e.positions.count == 1)
        #expect(e.balance == 1_900_000_000_000 * U)
    }

    // Found by fuzz/hqt-fuzz-wal: a recovered pending order of absurd volume
    // filled, and its margin (volume × contract, saturated) overflowed the
    // division by the leverage. The largest order a symbol spec allows
    // reaches the same arithmetic.
    @Test func theMarginOfTheLargestAllowedOrderIsRefusedNotATrap() throws {
        let e = try makeEngine()
        var s = usdSymbol()
        s.contractSize = 1_000_000_000 * U
        s.volumeMax = 1_000_000 * LOT
        try e.addSymbol(s)
        try e.tick(at: SEC, bid: U, ask: U)
        expectError(.noMoney, mentions: []) { try e.buy(symbolID: 0, volume: 1_000_000 * LOT) }
        #expect(e.positions.isEmpty)
    }

    // Found by fuzz/hqt-fuzz-wal: a POSITION_OPEN record with an intact CRC
    // but a volume of 4.5e9 lots and a negative open price was replayed, and
    // the floating profit of that position overflowed 128 bits. Decoding now
    // refuses numbers no live operation produces, as corruption.
    @Test func aJournalRecordWithAnImpossibleVolumeIsCorruptionNotATrap() throws {
        let journal = InMemoryJournal()
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.attachJournal(journal, hasRecords: false, checkpointEvery: 10_000)
        try e.tick(at: SEC, bid: U, ask: U)
        try e.buy(symbolID: 0, volume: 10_000)

        // The same records, every 0.01-lot volume field set to 4.5e9 lots.
        let forged = InMemoryJournal()
        let small = withUnsafeBytes(of: Int64(10_000).littleEndian) { Array($0) }
        let huge = withUnsafeBytes(of: Int64(4_503_599_627_380_496).littleEndian) { Array($0) }
        for record in journal.stored {
            var data = record.data
            var i = 0
            while i + 8 <= data.count {
                if Array(data[i..<i + 8]) == small { data.replaceSubrange(i..<i + 8, with: huge) }
                i += 1
            }
            try data.withUnsafeBytes { try forged.append(type: record.type, data: $0, insideRun: false) }
        }
        let r = try makeEngine()
        try r.addSymbol(usdSymbol())
        try r.attachJournal(forged, hasRecords: true, checkpointEvery: 10_000)
        expectError(.walCorrupt, mentions: ["volume", "outside"]) { _ = try r.recoverFromWAL() }
        #expect(r.positions.isEmpty)
    }
}
