/// What a checkpoint keeps of a strategy: the state `saveState` gave, where
/// the feed and the engine stood when it was taken, and the deals made
/// since (when the log has been compacted past them), so that a resumed run
/// can re-feed the events since then exactly as the strategy first saw
/// them: ticks, bars and trades, in their original order.
///
/// Layout inside the snapshot's strategy-state blob (docs/wal-records.md):
/// `[u64 magic][u8 flags][u64 feed position][i64 events][u32 n]`, n ×
/// `[i64 event][u8 phase][i64 time][u64 deal ticket]`, then the state. The
/// older layout, `[u64 feed position][state]`, is still read (no deals).
/// Flag 1: there is no saved state; the point is the start of the run, so a
/// fresh strategy object is the state to re-feed into.
struct StrategyCheckpoint {
    static let magic: UInt64 = 0x4851_5453_5452_4154  // "HQTSTRAT"

    /// A deal made after the checkpoint: where it was made (journal event
    /// and phase, engine time), so the re-feed delivers `onTrade` there.
    struct DealMark: Equatable {
        var event: Int64
        var phase: LedgerPhase
        var time: Int64
        var ticket: UInt64
    }

    /// No saved state: the point is where the run started (see above).
    var fromRunStart = false
    var feedPosition: Int
    /// `eventsProcessed` when the checkpoint was taken (-1: unknown, older layout).
    var events: Int64
    var deals: [DealMark]
    var state: [UInt8]

    func encoded() -> [UInt8] {
        let w = ByteWriter(capacity: 33 + deals.count * 25 + state.count)
        w.u64(StrategyCheckpoint.magic)
        w.u8(fromRunStart ? 1 : 0)
        w.u64(UInt64(feedPosition))
        w.i64(events)
        w.u32(UInt32(truncatingIfNeeded: deals.count))
        for d in deals { w.i64(d.event); w.u8(d.phase.rawValue); w.i64(d.time); w.u64(d.ticket) }
        state.withUnsafeBytes { w.raw($0) }
        return w.bytes
    }

    /// nil for a blob that is neither layout (recovery then warms up instead).
    static func decode(_ bytes: [UInt8]) -> StrategyCheckpoint? {
        var r = ByteReader(bytes, context: "strategy state")
        guard let first = try? r.u64("strategy state") else { return nil }
        guard first == magic else {
            guard first <= UInt64(Int.max) else { return nil }
            return StrategyCheckpoint(feedPosition: Int(first), events: -1, deals: [], state: Array(bytes[8...]))
        }
        do throws(HQTError) {
            let flags = try r.u8("flags")
            let position = try r.u64("feed position"), events = try r.i64("events")
            let n = try r.u32("deal count")
            guard position <= UInt64(Int.max), Int(n) <= bytes.count / 25 else { return nil }
            var deals: [DealMark] = []
            for _ in 0..<n {
                let event = try r.i64("event"), rawPhase = try r.u8("phase")
                let time = try r.i64("time"), ticket = try r.u64("ticket")
                guard let phase = LedgerPhase(rawValue: rawPhase) else { return nil }
                deals.append(DealMark(event: event, phase: phase, time: time, ticket: ticket))
            }
            let consumed = 29 + Int(n) * 25
            return StrategyCheckpoint(
                fromRunStart: flags & 1 != 0, feedPosition: Int(position), events: events,
                deals: deals, state: Array(bytes[consumed...]))
        } catch {
            return nil
        }
    }
}
