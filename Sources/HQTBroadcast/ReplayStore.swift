import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the replay endpoint serves (docs/zmq.md section 13): the last
/// `window` TRADE, ORDER, POSITION and ACCOUNT frames by sequence number, and
/// the snapshot tables (open positions, pending orders, last ACCOUNT frame)
/// those frames build.
///
/// The engine thread records; the broadcaster's service thread reads. A
/// pthread mutex guards everything: the engine holds it for one frame copy
/// (plus a dictionary update for ORDER/POSITION), the service thread for the
/// copies one reply needs. Ticks never come here.
final class ReplayStore: @unchecked Sendable {
    /// The replayable topics, in ring order.
    static let topics: [BroadcastTopic] = [.trade, .order, .position, .account]

    /// Ring index of a topic, or -1 for the topics that are not kept.
    @inline(__always)
    static func ring(_ topic: Int) -> Int {
        switch topic {
        case 2: 0
        case 3: 1
        case 6: 2
        case 7: 3
        default: -1
        }
    }

    /// One stored SPEC frame (at most 62 bytes); a value, so the tables'
    /// entries need no allocation of their own.
    struct Frame {
        var bytes = InlineArray<64, UInt8>(repeating: 0)
        var count = 0

        init(_ p: UnsafeRawPointer, _ size: Int) {
            count = min(size, 64)
            for i in 0..<count { bytes[i] = p.load(fromByteOffset: i, as: UInt8.self) }
        }

        var array: [UInt8] { (0..<count).map { bytes[$0] } }
    }

    let window: Int
    /// Ring slots: `window`, plus `spillSlack` with a spill, so events the
    /// window no longer answers stay in memory until the service thread has
    /// written them to disk.
    let capacity: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Per ring: `window` slots of the topic's frame size.
    private let rings: [UnsafeMutableRawPointer]
    private var next: [UInt64] = [0, 0, 0, 0]
    private var positions: [UInt64: Frame] = [:]
    private var orders: [UInt64: Frame] = [:]
    private var account: Frame?

    init(window: Int, spillSlack: Int = 0) {
        self.window = max(1, window)
        let capacity = max(1, window) + max(0, spillSlack)
        self.capacity = capacity
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        rings = Self.topics.map { topic in
            UnsafeMutableRawPointer.allocate(byteCount: capacity * topic.frameSize, alignment: 8)
        }
    }

    deinit {
        for r in rings { r.deallocate() }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) private func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) private func unlock() { pthread_mutex_unlock(mutex) }

    /// Stores event `seq` of ring `r` (its SPEC frame at `frame`, `size`
    /// bytes). Sequence numbers arrive in order, one by one.
    func record(ring r: Int, seq: UInt64, frame: UnsafeRawPointer, size: Int) {
        let stride = Self.topics[r].frameSize
        lock()
        defer { unlock() }
        let slot = Int(seq % UInt64(capacity))
        (rings[r] + slot * stride).copyMemory(from: frame, byteCount: min(size, stride))
        next[r] = seq &+ 1
        switch r {
        case 1:  // ORDER: placed (0) and modified (1) are pending; anything else ends it.
            let ticket = UInt64(littleEndian: frame.loadUnaligned(fromByteOffset: 1, as: UInt64.self))
            let state = frame.load(fromByteOffset: 21, as: UInt8.self) >> 4
            if state <= 1 { orders[ticket] = Frame(frame, size) } else { orders[ticket] = nil }
        case 2:  // POSITION: closed (2) removes it; opened, modified, partially closed keep it.
            let ticket = UInt64(littleEndian: frame.loadUnaligned(fromByteOffset: 1, as: UInt64.self))
            let state = frame.load(fromByteOffset: 21, as: UInt8.self) >> 4
            if state == 2 { positions[ticket] = nil } else { positions[ticket] = Frame(frame, size) }
        case 3:
            account = Frame(frame, size)
        default:
            break
        }
    }

    /// The snapshot parts after its header: ACCOUNT, positions, orders (by ticket).
    /// The replayable topics' next_seq come from what was recorded (under the
    /// same lock), so the tables match them exactly; the others from `nextSeq`.
    func snapshot(nextSeq: () -> [UInt64]) -> (seq: [UInt64], frames: [[UInt8]]) {
        lock()
        defer { unlock() }
        var seq = nextSeq()
        for (r, topic) in Self.topics.enumerated() where Int(topic.rawValue) < seq.count {
            seq[Int(topic.rawValue)] = next[r]
        }
        var frames: [[UInt8]] = []
        if let account { frames.append(account.array) }
        for t in positions.keys.sorted() { frames.append(positions[t]!.array) }
        for t in orders.keys.sorted() { frames.append(orders[t]!.array) }
        return (seq, frames)
    }

    /// Replay result: the SPEC frames of seqs `first ..< end`, or `gone` when
    /// `first` fell out of the window (`windowFirst` is the oldest kept).
    struct Range {
        var first: UInt64
        var end: UInt64
        var windowFirst: UInt64
        var gone: Bool
        var frames: [[UInt8]]
    }

    /// `keep`: how many of the newest events may answer (default `window`;
    /// with a spill, `capacity`: events not yet on disk answer from memory).
    func range(ring r: Int, first: UInt64, end requestedEnd: UInt64, limit: Int, keep: Int? = nil) -> Range {
        let stride = Self.topics[r].frameSize
        let kept = UInt64(min(keep ?? window, capacity))
        lock()
        defer { unlock() }
        let top = next[r]
        let windowFirst = top > kept ? top - kept : 0
        if first < windowFirst {
            return Range(first: first, end: first, windowFirst: windowFirst, gone: true, frames: [])
        }
        let start = min(first, top)
        // Never below start (a request with end < first gets nothing).
        let end = max(start, min(min(requestedEnd, top), start &+ UInt64(limit)))
        var frames: [[UInt8]] = []
        frames.reserveCapacity(Int(end &- start))
        var seq = start
        while seq < end {
            let p = rings[r] + Int(seq % UInt64(capacity)) * stride
            frames.append(Array(UnsafeRawBufferPointer(start: p, count: stride)))
            seq += 1
        }
        return Range(first: start, end: end, windowFirst: windowFirst, gone: false, frames: frames)
    }

    /// Service thread, for the spill: copies the frames of ring `r` from
    /// `from` on (at most `maxCount`, packed) into `out`. Returns the first
    /// seq copied (later than `from` when slots were overwritten before
    /// being spilled) and how many.
    func copyForSpill(ring r: Int, from: UInt64, maxCount: Int, into out: UnsafeMutableRawPointer)
        -> (first: UInt64, count: Int)
    {
        let stride = Self.topics[r].frameSize
        lock()
        defer { unlock() }
        let top = next[r]
        let oldest = top > UInt64(capacity) ? top - UInt64(capacity) : 0
        let start = max(from, oldest)
        guard start < top else { return (start, 0) }
        let n = Int(min(top - start, UInt64(maxCount)))
        for i in 0..<n {
            let slot = Int((start + UInt64(i)) % UInt64(capacity))
            (out + i * stride).copyMemory(from: rings[r] + slot * stride, byteCount: stride)
        }
        return (start, n)
    }
}
