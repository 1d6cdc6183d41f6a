import CZeroMQ
import HQTCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the publishing thread and the service thread share.
///
/// The PUB socket belongs to the publishing thread, except while a run is
/// paused: `pause` hands it to the service thread (for heartbeats) under
/// `handoff`, and the next publish takes it back under the same lock (a
/// ZeroMQ socket may change threads across a full memory barrier). The hot
/// path only loads `gate`, as it loaded the closed flag before.
final class BroadcastShared: @unchecked Sendable {
    static let closedBit = 1
    static let pausedBit = 2

    let pub: UnsafeMutableRawPointer
    let runID: UInt64
    let stats: BroadcastStats
    let store: ReplayStore?
    /// `closedBit | pausedBit`; 0 while the publishing thread owns the socket.
    let gate = Atomic<Int>(0)
    /// Engine time of the pause, for the heartbeats.
    let pausedTime = Atomic<UInt64>(0)
    private let handoff: UnsafeMutablePointer<pthread_mutex_t>

    init(pub: UnsafeMutableRawPointer, runID: UInt64, stats: BroadcastStats, store: ReplayStore?) {
        self.pub = pub
        self.runID = runID
        self.stats = stats
        self.store = store
        handoff = .allocate(capacity: 1)
        pthread_mutex_init(handoff, nil)
    }

    deinit {
        pthread_mutex_destroy(handoff)
        handoff.deallocate()
    }

    func withHandoff<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(handoff)
        defer { pthread_mutex_unlock(handoff) }
        return body()
    }

    /// Publishing thread: hands the socket over (heartbeats start).
    func pause(time: UInt64) {
        withHandoff {
            pausedTime.store(time, ordering: .relaxed)
            if gate.load(ordering: .relaxed) & Self.closedBit == 0 {
                gate.store(Self.pausedBit, ordering: .relaxed)
            }
        }
    }

    /// Publishing thread: takes the socket back; false once closed.
    func reopen() -> Bool {
        withHandoff {
            if gate.load(ordering: .relaxed) & Self.closedBit != 0 { return false }
            gate.store(0, ordering: .relaxed)
            return true
        }
    }

    /// Marks closed; after this the service thread never touches `pub`.
    /// Returns false if it was closed already.
    func markClosed() -> Bool {
        withHandoff {
            let g = gate.load(ordering: .relaxed)
            gate.store(g | Self.closedBit, ordering: .relaxed)
            return g & Self.closedBit == 0
        }
    }

    var isClosed: Bool { gate.load(ordering: .relaxed) & Self.closedBit != 0 }

    /// next_seq[8] as of now.
    func nextSeq() -> [UInt64] { (0..<8).map { stats.sequences[$0].load(ordering: .relaxed) } }

    /// Service thread: one heartbeat, only while the socket is handed over.
    func heartbeat() {
        withHandoff {
            guard gate.load(ordering: .relaxed) == Self.pausedBit else { return }
            let frame = SessionFrame.heartbeat(
                runID: runID, time: pausedTime.load(ordering: .relaxed), nextSeq: nextSeq())
            _ = frame.withUnsafeBytes { zmq_send(pub, $0.baseAddress, $0.count, ZMQ_DONTWAIT) }
        }
    }
}

/// The broadcaster's service thread: serves the replay ROUTER (docs/zmq.md
/// section 13) and sends heartbeats while a run is paused. It never blocks
/// the engine: it only takes the replay store's lock for the copies a reply
/// needs.
final class BroadcastService {
    static let heartbeatMilliseconds: Int64 = 500
    static let replyLimit = 4096
    /// Frames moved from the store to the spill per lock hold.
    static let spillChunk = 4096

    /// The ROUTER's bound endpoint, nil when no replay endpoint was asked for.
    let endpoint: String?
    private let shared: BroadcastShared
    private let router: UnsafeMutableRawPointer
    /// Events older than the window, on disk (nil without a WAL / spill path).
    private let spill: ReplaySpill?
    /// Spill scratch: `spillChunk` frames, then `spillChunk` records.
    private let spillFrames: UnsafeMutableRawPointer
    private let spillRecords: UnsafeMutableRawPointer
    private var thread = ServiceThread()

    /// Creates the ROUTER (bound only with a replay endpoint) and starts the thread.
    init(
        context: UnsafeMutableRawPointer, shared: BroadcastShared, replayEndpoint: String?,
        curveSecretKey: [UInt8]?, spill: ReplaySpill? = nil
    ) throws(HQTError) {
        guard let s = zmq_socket(context, ZMQ_ROUTER) else {
            throw zmqError("cannot create the replay ROUTER socket")
        }
        var zero: Int32 = 0
        zmq_setsockopt(s, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
        // Requests are at most 18 bytes: a peer sending megabytes is cut off
        // by libzmq before anything is allocated for it.
        var maxMessage: Int64 = 1024
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxMessage, MemoryLayout<Int64>.size)
        var bound: String? = nil
        if let replayEndpoint {
            if var key = curveSecretKey {
                var one: Int32 = 1
                guard zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, MemoryLayout<Int32>.size) == 0,
                    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, &key, 32) == 0
                else {
                    let e = zmqError("cannot set CURVE on the replay socket")
                    zmq_close(s)
                    throw e
                }
            }
            guard !replayEndpoint.isEmpty, zmq_bind(s, replayEndpoint) == 0 else {
                let reason = String(cString: zmq_strerror(zmq_errno()))
                zmq_close(s)
                throw HQTError(.broadcast, "cannot bind the replay endpoint '\(replayEndpoint)': \(reason)")
            }
            var last = [CChar](repeating: 0, count: 1024)
            var size = last.count
            bound =
                zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, &last, &size) == 0
                ? String(decoding: last.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                : replayEndpoint
        }
        endpoint = bound
        router = s
        self.shared = shared
        self.spill = spill
        // Largest frame 62 bytes, largest record 74 (ReplaySpill.recordSize).
        spillFrames = .allocate(byteCount: spill == nil ? 1 : Self.spillChunk * 64, alignment: 8)
        spillRecords = .allocate(byteCount: spill == nil ? 1 : Self.spillChunk * 80, alignment: 8)
        do {
            try thread.start("broadcast service") { self.serve() }
        } catch {
            spill?.remove()
            zmq_close(s)
            throw error
        }
    }

    /// Waits for the thread; call after `shared.markClosed()` and
    /// `zmq_ctx_shutdown` (the thread then closes its socket and returns).
    func join() {
        thread.join()
    }

    deinit {
        spillFrames.deallocate()
        spillRecords.deallocate()
    }

    private func serve() {
        var lastBeat = Self.nowMilliseconds()
        var parts: [[UInt8]] = []
        // With a spill, wake often: the store's slack must be written out
        // before the engine wraps around it.
        let timeout: Int = spill == nil ? 100 : 5
        while !shared.isClosed {
            var item = zmq_pollitem_t(socket: router, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            let rc = zmq_poll(&item, 1, timeout)
            if rc < 0 && zmq_errno() != EINTR { break }  // ETERM: the context is shutting down
            if shared.isClosed { break }
            drainSpill()
            if rc > 0 {
                while receive(into: &parts) {
                    drainSpill()
                    answer(parts)
                }
            }
            let now = Self.nowMilliseconds()
            if now - lastBeat >= Self.heartbeatMilliseconds {
                lastBeat = now
                shared.heartbeat()
            }
        }
        zmq_close(router)
        spill?.remove()
    }

    /// Writes every event recorded since the last call to the spill, so that
    /// by the time a request is answered, each event the window no longer
    /// holds is on disk (unless the engine outran the slack: then the spill
    /// restarts later and the older range answers GONE).
    private func drainSpill() {
        guard let spill, let store = shared.store else { return }
        for r in 0..<ReplayStore.topics.count {
            while !spill.writeFailed {
                let (first, n) = store.copyForSpill(
                    ring: r, from: spill.end[r], maxCount: Self.spillChunk, into: spillFrames)
                if n == 0 { break }
                spill.append(ring: r, first: first, frames: spillFrames, count: n, scratch: spillRecords)
                if n < Self.spillChunk { break }
            }
        }
    }

    /// One whole multipart request, without waiting; false when none is pending.
    private func receive(into parts: inout [[UInt8]]) -> Bool {
        parts.removeAll(keepingCapacity: true)
        var msg = zmq_msg_t()
        zmq_msg_init(&msg)
        defer { zmq_msg_close(&msg) }
        while true {
            if zmq_msg_recv(&msg, router, parts.isEmpty ? ZMQ_DONTWAIT : 0) < 0 { return false }
            let size = zmq_msg_size(&msg)
            // A part is at most a routing id or an 18-byte request: cap what is kept.
            if parts.count < 64, let data = zmq_msg_data(&msg) {
                parts.append(Array(UnsafeRawBufferPointer(start: data, count: min(size, 256))))
            } else if parts.count < 64 {
                parts.append([])
            }
            if zmq_msg_more(&msg) == 0 { return true }
        }
    }

    /// Envelope = every part but the last (routing id, and REQ's empty delimiter).
    private func answer(_ parts: [[UInt8]]) {
        guard parts.count >= 2 else { return }
        let envelope = parts.dropLast()
        let reply = Self.reply(to: parts[parts.count - 1], shared: shared, spill: spill)
        let all = Array(envelope) + reply
        for (i, part) in all.enumerated() {
            let flags = (i + 1 < all.count ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT
            let rc = part.withUnsafeBytes { zmq_send(router, $0.baseAddress, $0.count, flags) }
            if rc < 0 { return }
        }
    }

    /// The reply parts to one request body (docs/zmq.md section 13).
    static func reply(to body: [UInt8], shared: BroadcastShared, spill: ReplaySpill? = nil) -> [[UInt8]] {
        guard let store = shared.store else {
            return error("this broadcaster has no replay store")
        }
        if body == [UInt8(ascii: "S")] {
            let (seq, frames) = store.snapshot(nextSeq: shared.nextSeq)
            var head: [UInt8] = [UInt8(ascii: "S"), 0]
            SessionFrame.append(&head, shared.runID)
            for s in seq { SessionFrame.append(&head, s) }
            return [head] + frames
        }
        guard body.count == 18, body[0] == UInt8(ascii: "R") else {
            return error("expected b'S' or b'R' + topic:u8 + first:u64 + end:u64 (18 bytes), got \(body.count) bytes")
        }
        let topic = Int(body[1])
        let ring = ReplayStore.ring(topic)
        guard ring >= 0 else {
            return error("topic \(topic) is not replayable (2 TRADE, 3 ORDER, 6 POSITION, 7 ACCOUNT)")
        }
        let first = body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt64.self)) }
        let end = body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 10, as: UInt64.self)) }
        var r = store.range(ring: ring, first: first, end: end, limit: replyLimit)
        if let spill { r = withSpill(spill, store: store, ring: ring, first: first, end: end, memory: r) }
        var head: [UInt8] = [UInt8(ascii: "R"), r.gone ? 1 : 0, UInt8(topic)]
        for v in [shared.runID, r.first, r.end, r.windowFirst] { SessionFrame.append(&head, v) }
        var out = [head]
        out.reserveCapacity(r.frames.count + 1)
        var seq = r.first
        for frame in r.frames {
            var twin = [UInt8](repeating: 0, count: frame.count + 16)
            twin.withUnsafeMutableBytes { dst in
                frame.withUnsafeBytes { src in
                    _ = BroadcastFrame.encodeSequenced(
                        into: dst.baseAddress!, frame: src.baseAddress!, size: frame.count,
                        runID: shared.runID, seq: seq)
                }
            }
            out.append(twin)
            seq += 1
        }
        return out
    }

    /// With a spill: the window answers what it holds (`memory`); an older
    /// range the spill holds comes from disk (it holds the unbroken range
    /// base ..< end: every event, once the service thread caught up); else
    /// memory slots not yet given up to the spill. A damaged record answers GONE for itself alone (`windowFirst` =
    /// first + 1: a client marks that one event lost and asks on); a damaged
    /// header makes the file useless, and the memory window answers as it
    /// would without a spill. `windowFirst` is otherwise the oldest seq answerable.
    static func withSpill(
        _ spill: ReplaySpill, store: ReplayStore, ring: Int, first: UInt64, end requestedEnd: UInt64,
        memory: ReplayStore.Range
    ) -> ReplayStore.Range {
        let base = spill.base[ring]
        let top = spill.end[ring]
        if !memory.gone {
            var r = memory
            r.windowFirst = min(base, r.windowFirst)
            return r
        }
        guard first >= base, first < top else {
            var r = store.range(ring: ring, first: first, end: requestedEnd, limit: replyLimit, keep: store.capacity)
            if first < base || !r.gone { r.windowFirst = min(base, r.windowFirst) }
            return r
        }
        let stop = max(first, min(min(requestedEnd, top), first &+ UInt64(replyLimit)))
        if stop == first {
            return ReplayStore.Range(first: first, end: first, windowFirst: base, gone: false, frames: [])
        }
        switch spill.read(ring: ring, first: first, count: Int(stop - first)) {
        case let .frames(frames):
            return ReplayStore.Range(
                first: first, end: first + UInt64(frames.count), windowFirst: base, gone: false, frames: frames)
        case .damagedRecord:
            return ReplayStore.Range(first: first, end: first, windowFirst: first + 1, gone: true, frames: [])
        case .damagedFile:
            return store.range(ring: ring, first: first, end: requestedEnd, limit: replyLimit)
        }
    }

    private static func error(_ message: String) -> [[UInt8]] {
        [[UInt8(ascii: "E"), 2] + Array(message.utf8)]
    }

    static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
