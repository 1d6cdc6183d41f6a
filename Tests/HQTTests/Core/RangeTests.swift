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
}
