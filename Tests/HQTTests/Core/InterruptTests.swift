import Foundation
import Testing

@testable import HQTCore

/// `interrupt()` stops a run between two events; the next `run` continues it
/// so that the whole equals the run that was never interrupted (issue 10,
/// item 4: Ctrl-C then run() again used to redo on_start/on_stop and lose
/// the interrupted callback).
@Suite struct InterruptTests {
    /// A counter-based strategy: buys every 7th tick when flat, closes after
    /// 5 more; counts every callback, so any event delivered twice or lost,
    /// or an extra on_start/on_stop, changes the final record.
    final class Counter {
        var starts = 0, stops = 0, ticks = 0, trades = 0
        var sinceOpen = 0
        var interruptAt: Set<Int> = []

        func hooks() -> StrategyHooks {
            var h = StrategyHooks()
            h.onStart = { _ throws(HQTError) in self.starts += 1 }
            h.onStop = { _ throws(HQTError) in self.stops += 1 }
            h.onTrade = { _, _ throws(HQTError) in self.trades += 1 }
            h.onTick = { e, _ throws(HQTError) in
                self.ticks += 1
                if self.interruptAt.contains(self.ticks) { e.interrupt() }
                if e.positions.isEmpty {
                    if self.ticks % 7 == 0 {
                        try e.buy(symbolID: 0, volume: 10_000)
                        self.sinceOpen = 0
                    }
                } else {
                    self.sinceOpen += 1
                    if self.sinceOpen == 5 { try e.close(ticket: e.positions[0].ticket) }
                }
            }
            // State kept across a crash (get_state/set_state in Python).
            h.saveState = { _ throws(HQTError) in
                [self.starts, self.ticks, self.trades, self.sinceOpen].flatMap { v in
                    withUnsafeBytes(of: Int64(v).littleEndian) { Array($0) }
                }
            }
            h.restoreState = { _, bytes throws(HQTError) in
                var v: [Int] = []
                for i in stride(from: 0, to: bytes.count, by: 8) {
                    v.append(Int(bytes[i..<i + 8].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }))
                }
                (self.starts, self.ticks, self.trades, self.sinceOpen) = (v[0], v[1], v[2], v[3])
            }
            return h
        }

        var record: [Int] { [starts, stops, ticks, trades] }
    }

    static let n = 5_000

    static func loaded() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(spread: 20))
        let times = (0..<n).map { Int64($0 + 1) * SEC }
        let bids = (0..<n).map { Int64(1_000_000 + ($0 * 7919) % 2_000) }
        try e.loadTicks(symbolID: 0, time: times, bid: bids, ask: bids.map { $0 + 20 })
        return e
    }

    /// Runs `c` on `e` until a run ends without being interrupted, checking
    /// each stop is an interruption (then `atPause`); returns how many.
    static func runToEnd(_ e: Engine, _ c: Counter, atPause: () -> Void = {}) throws -> Int {
        var pauses = 0
        while true {
            do {
                try e.run(c.hooks())
                return pauses
            } catch {
                #expect(error.code == .interrupted)
                atPause()
                pauses += 1
            }
        }
    }

    @Test func anInterruptedRunContinuedEqualsTheUninterruptedOne() throws {
        let reference = try Self.loaded()
        let plain = Counter()
        try reference.run(plain.hooks())

        let e = try Self.loaded()
        let c = Counter()
        c.interruptAt = [10, 1_500, 1_501, 4_990]
        let interruptions = try Self.runToEnd(e, c) {
            #expect(e.isPaused && e.pendingEventCount > 0)
            // Stopped between events: within one block of the request.
            #expect(e.ticksProcessed % Int64(Engine.interruptCheckInterval) == 0)
        }
        // 1,500 and 1,501 fall in one block; 4,990 in the last, after which
        // there is nothing left to stop before.
        #expect(interruptions == 2)
        #expect(!e.isPaused)
        #expect(c.record == plain.record)
        #expect(c.starts == 1 && c.stops == 1 && c.ticks == Self.n)
        #expect(e.deals == reference.deals)
        #expect(e.equityCurve == reference.equityCurve)
        #expect(e.account == reference.account)
    }

    @Test func anInterruptBetweenRunsDoesNothing() throws {
        let e = try Self.loaded()
        e.interrupt()
        let c = Counter()
        try e.run(c.hooks())
        #expect(c.ticks == Self.n && !e.isPaused)
    }

    @Test func anInterruptInTheLastBlockEndsTheRunNormally() throws {
        // Requested after the last check: nothing is left to pause before.
        let e = try Self.loaded()
        let c = Counter()
        c.interruptAt = [Self.n]
        try e.run(c.hooks())
        #expect(c.stops == 1 && !e.isPaused)
    }

    @Test func anotherThreadMayInterruptAtAnyMoment() throws {
        let reference = try Self.loaded()
        let plain = Counter()
        try reference.run(plain.hooks())

        let e = try Self.loaded()
        let c = Counter()
        let done = RunInterrupter()  // reused as a plain atomic flag
        let target = e.interrupter
        let interrupter = Thread {
            while !done.isRequested {
                target.interrupt()
                usleep(50)
            }
        }
        interrupter.start()
        _ = try Self.runToEnd(e, c)
        done.interrupt()
        #expect(c.record == plain.record)
        #expect(e.deals == reference.deals)
        #expect(e.account == reference.account)
    }

    @Test func aPausedRunWithAJournalResumesExactlyAfterACrash() throws {
        let reference = try Self.loaded()
        let plain = Counter()
        try reference.run(plain.hooks())

        let journal = InMemoryJournal()
        let e = try Self.loaded()
        try e.attachJournal(journal, hasRecords: false, checkpointEvery: 10_000)
        let c = Counter()
        c.interruptAt = [2_100]
        #expect(throws: HQTError.self) { try e.run(c.hooks()) }
        #expect(e.isPaused)
        // The process dies while paused; a new one recovers and resumes.
        let r = try Self.loaded()
        try r.attachJournal(journal, hasRecords: true, checkpointEvery: 10_000)
        _ = try r.recoverFromWAL()
        let resumed = Counter()
        try r.run(resumed.hooks(), resume: true, warmup: 0)
        #expect(r.deals.count == reference.deals.count)
        #expect(r.deals == reference.deals)
        #expect(r.account == reference.account)
        #expect(resumed.ticks == Self.n && resumed.trades == plain.trades)
    }
}
