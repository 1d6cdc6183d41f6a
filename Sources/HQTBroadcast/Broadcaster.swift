import CZeroMQ
import HQTCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Publishes engine events as SPEC section 2 frames on a ZeroMQ socket.
///
/// The socket is an XPUB without `ZMQ_XPUB_NODROP`: libzmq applies SNDHWM
/// per subscriber pipe, so a frame that does not fit one subscriber's queue
/// is dropped for that subscriber only, and every subscriber that keeps up
/// gets every frame (docs/zmq.md section 10). Such a per-pipe drop is
/// invisible here; a subscriber sees its own through the sequenced frames
/// (`0x80 | topic`, published only while someone subscribes to them). Per
/// topic, `sent + dropped` equals the number of publish calls; `dropped`
/// counts publishes after `close()` and sends libzmq refused.
///
/// Threading: publish, `waitForSubscribers`, `pollSubscriptions` and
/// `close()` must be called from one thread at a time (a ZeroMQ socket is not
/// thread-safe). `counters(_:)`, `totals`, `subscriberCount` and `stats` may
/// be read from any thread, also while publishing.
///
/// Each broadcaster owns its ZeroMQ context (a ZAP handler is per context);
/// an `inproc://` endpoint is therefore reachable only through `zmqContext`.
public final class Broadcaster {
    /// The options this broadcaster was created with.
    public let options: BroadcastOptions
    /// The endpoint actually bound (ZMQ_LAST_ENDPOINT): a `*` port in the
    /// options is resolved here, e.g. `tcp://127.0.0.1:41235`.
    public let endpoint: String
    /// Z85 public key subscribers need when CURVE is on; nil otherwise.
    public let curvePublicKey: String?
    /// The live counters; hand this to a monitoring thread.
    public let stats: BroadcastStats

    /// Largest replay window: 16 Mi events per topic (about 3 GB for the four rings).
    public static let maxReplayWindow = 1 << 24

    /// With a replay spill, extra ring slots per topic beyond the window:
    /// events wait there (memory only, written by the engine as before) until
    /// the service thread, waking every 5 ms, writes them to disk. The engine
    /// must publish more than this many events of one topic between two
    /// wake-ups before one is lost (its range then answers GONE).
    static let spillSlack = 65_536

    /// Publish calls between two drains of incoming subscription messages.
    static let drainInterval = 1024

    /// Random, non-zero: names this broadcaster's sequence numbering.
    public var runID: UInt64 { shared.runID }
    /// The replay ROUTER's bound endpoint, nil without `replayEndpoint`.
    public var replayEndpoint: String? { service?.endpoint }

    private let context: UnsafeMutableRawPointer
    private let socket: UnsafeMutableRawPointer
    /// Frame scratch (bytes 0..<64), subscription-message scratch (64..<128)
    /// and sequenced-frame scratch (128..<256).
    /// Kept until deinit, so a publish after close() still writes valid memory.
    private let buffer: UnsafeMutableRawPointer
    /// Who listens, as of the last drain of subscriptions. Bit T: a
    /// subscription matches SPEC topic T (empty prefix, or first byte T);
    /// bit 8 + T: one starts with `0x80 | T` (sequenced frames go out).
    /// A frame nobody listens to is not handed to libzmq at all (it still
    /// counts as sent, as libzmq would): broadcasting with no subscriber
    /// costs the engine almost nothing.
    private let wantedMask: UnsafeMutablePointer<UInt32>
    /// Subscriptions by the first byte of their prefix, and empty ones
    /// (publishing thread only).
    private var prefixSubscriptions = [Int](repeating: 0, count: 256)
    private var emptySubscriptions = 0
    private let shared: BroadcastShared
    private var service: BroadcastService?
    /// Publish calls left until the slow path (drain, first-publish wait).
    /// A raw pointer, not a stored `var`, so the hot path has no exclusivity check.
    private let countdown: UnsafeMutablePointer<Int>
    private var zap: ZAPHandler?
    private var initialWaitPending: Bool

    /// Creates the context and the socket and binds it.
    ///
    /// Throws `.invalidArgument` for bad option values or keys, and
    /// `.broadcast` when ZeroMQ refuses: malformed endpoint, port in use,
    /// unknown transport, CURVE unavailable.
    public init(options: BroadcastOptions) throws(HQTError) {
        try Self.validate(options)
        var secretKey: [UInt8]? = nil
        if let key = options.curveSecretKey {
            guard Self.curveAvailable else { throw HQTError(.broadcast, Self.noCurveMessage) }
            secretKey = try Self.decodeCurveKey(key, what: "curveSecretKey")
        }
        var clientKeys: [[UInt8]] = []
        for (i, key) in options.allowedClientKeys.enumerated() {
            clientKeys.append(try Self.decodeCurveKey(key, what: "allowedClientKeys[\(i)]"))
        }

        guard let ctx = zmq_ctx_new() else { throw zmqError("cannot create a ZeroMQ context") }
        var zapHandler: ZAPHandler? = nil
        var sock: UnsafeMutableRawPointer? = nil
        func fail(_ e: HQTError) -> HQTError {
            if let sock { zmq_close(sock) }
            if let zapHandler { zmq_ctx_shutdown(ctx); zapHandler.join() }
            zmq_ctx_term(ctx)
            return e
        }

        if !clientKeys.isEmpty {
            do { zapHandler = try ZAPHandler(context: ctx, allowedKeys: clientKeys) } catch { throw fail(error) }
        }
        guard let s = zmq_socket(ctx, ZMQ_XPUB) else {
            throw fail(zmqError("cannot create the ZeroMQ XPUB socket"))
        }
        sock = s
        do throws(HQTError) {
            try Self.setInt(s, ZMQ_SNDHWM, options.sendHighWaterMark, "ZMQ_SNDHWM")
            try Self.setInt(s, ZMQ_LINGER, options.lingerMilliseconds, "ZMQ_LINGER")
            // No XPUB_NODROP: with it one full pipe failed the send for every
            // subscriber; without it libzmq drops per pipe (isolation).
            // VERBOSER: every subscribe and unsubscribe (also those libzmq
            // generates when a subscriber disconnects) reaches us, so the
            // subscription count stays exact; without it duplicates are hidden.
            try Self.setInt(s, ZMQ_XPUB_VERBOSER, 1, "ZMQ_XPUB_VERBOSER")
            if var key = secretKey {
                try Self.setInt(s, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
                guard zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, &key, 32) == 0 else {
                    throw zmqError("cannot set ZMQ_CURVE_SECRETKEY")
                }
            }
        } catch {
            throw fail(error)
        }
        guard zmq_bind(s, options.endpoint) == 0 else {
            throw fail(Self.bindError(options.endpoint, errno: zmq_errno()))
        }

        var last = [CChar](repeating: 0, count: 1024)
        var lastSize = last.count
        let bound =
            zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, &last, &lastSize) == 0
            ? Self.cString(last) : options.endpoint
        var publicKey: String? = nil
        if let key = options.curveSecretKey {
            do { publicKey = try Self.curvePublicKey(secretKey: key) } catch { throw fail(error) }
        }

        let stats = BroadcastStats()
        let runID = UInt64.random(in: 1...UInt64.max)
        let spillPath = options.replayEndpoint == nil ? nil : options.replaySpillPath
        var spill: ReplaySpill? = nil
        if let spillPath {
            do { spill = try ReplaySpill(prefix: spillPath, runID: runID) } catch { throw fail(error) }
        }
        let store =
            options.replayEndpoint == nil
            ? nil : ReplayStore(window: options.replayWindow, spillSlack: spill == nil ? 0 : Self.spillSlack)
        let shared = BroadcastShared(pub: s, runID: runID, stats: stats, store: store)
        let service: BroadcastService
        do {
            service = try BroadcastService(
                context: ctx, shared: shared, replayEndpoint: options.replayEndpoint, curveSecretKey: secretKey,
                spill: spill)
        } catch {
            spill?.remove()
            throw fail(error)
        }

        self.options = options
        self.endpoint = bound
        self.curvePublicKey = publicKey
        self.stats = stats
        self.shared = shared
        self.service = service
        self.context = ctx
        self.socket = s
        self.zap = zapHandler
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 64)
        self.buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        self.wantedMask = .allocate(capacity: 1)
        self.wantedMask.initialize(to: 0)
        self.countdown = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        self.initialWaitPending = options.waitSubscribers > 0
        // The very first publish takes the slow path: it drains the
        // subscriptions (and performs a pending late-joiner wait).
        self.countdown.initialize(to: 1)
    }

    deinit {
        close()
        buffer.deallocate()
        countdown.deallocate()
        wantedMask.deallocate()
    }

    // MARK: - Publishing
    //
    // Each call encodes into `buffer` and hands it to zmq_send(ZMQ_DONTWAIT):
    // no allocation, no Foundation, no dynamic dispatch. Returns true when
    // ZeroMQ accepted the frame, false when it was dropped (and counted).

    /// TICK: every market tick.
    @discardableResult
    public func publishTick(symbolID: UInt32, time: UInt64, bid: Int64, ask: Int64) -> Bool {
        send(0, BroadcastFrame.encodeTick(into: buffer, symbolID: symbolID, time: time, bid: bid, ask: ask))
    }

    /// BAR: a closed bar; `timeframe` in minutes, `time` its open time.
    @discardableResult
    public func publishBar(
        symbolID: UInt32, timeframe: UInt16, time: UInt64, open: Int64, high: Int64,
        low: Int64, close: Int64, volume: UInt64
    ) -> Bool {
        send(
            1,
            BroadcastFrame.encodeBar(
                into: buffer, symbolID: symbolID, timeframe: timeframe, time: time,
                open: open, high: high, low: low, close: close, volume: volume))
    }

    /// TRADE: a deal, with its realized profit (0 for an opening deal).
    @discardableResult
    public func publishTrade(
        ticket: UInt64, symbolID: UInt32, time: UInt64, volume: UInt64, price: Int64,
        profit: Int64
    ) -> Bool {
        send(
            2,
            BroadcastFrame.encodeTrade(
                into: buffer, ticket: ticket, symbolID: symbolID, time: time,
                volume: volume, price: price, profit: profit))
    }

    /// ORDER: an order state change; `kind` = `BroadcastFrame.kind(type:state:)`.
    @discardableResult
    public func publishOrder(
        ticket: UInt64, symbolID: UInt32, time: UInt64, kind: UInt8, volume: UInt64,
        price: Int64
    ) -> Bool {
        send(
            3,
            BroadcastFrame.encodeOrder(
                into: buffer, ticket: ticket, symbolID: symbolID, time: time,
                kind: kind, volume: volume, price: price))
    }

    /// EQUITY: balance, equity, margin, free margin.
    @discardableResult
    public func publishEquity(
        time: UInt64, balance: Int64, equity: Int64, margin: Int64,
        freeMargin: Int64
    ) -> Bool {
        send(
            4,
            BroadcastFrame.encodeEquity(
                into: buffer, time: time, balance: balance, equity: equity,
                margin: margin, freeMargin: freeMargin))
    }

    /// MARGIN: `event` 0 update, 1 margin call, 2 stop-out.
    @discardableResult
    public func publishMargin(
        time: UInt64, margin: Int64, freeMargin: Int64, marginLevel: Int64,
        event: UInt8
    ) -> Bool {
        send(
            5,
            BroadcastFrame.encodeMargin(
                into: buffer, time: time, margin: margin, freeMargin: freeMargin,
                marginLevel: marginLevel, event: event))
    }

    /// POSITION: opened, modified, closed or partially closed; `kind` =
    /// `BroadcastFrame.kind(type:state:)` with type 0 BUY / 1 SELL.
    @discardableResult
    public func publishPosition(
        ticket: UInt64, symbolID: UInt32, time: UInt64, kind: UInt8, volume: UInt64,
        openPrice: Int64, sl: Int64, tp: Int64, profit: Int64
    ) -> Bool {
        send(
            6,
            BroadcastFrame.encodePosition(
                into: buffer, ticket: ticket, symbolID: symbolID, time: time,
                kind: kind, volume: volume, openPrice: openPrice, sl: sl, tp: tp,
                profit: profit))
    }

    /// ACCOUNT: balance, equity, floating profit, margin level.
    @discardableResult
    public func publishAccount(
        time: UInt64, balance: Int64, equity: Int64, profit: Int64,
        marginLevel: Int64
    ) -> Bool {
        send(
            7,
            BroadcastFrame.encodeAccount(
                into: buffer, time: time, balance: balance, equity: equity,
                profit: profit, marginLevel: marginLevel))
    }

    /// Sends the frame built in `buffer`; counts it as sent or dropped.
    @inline(__always)
    private func send(_ topic: Int, _ size: Int) -> Bool {
        // One load: non-zero when closed, or paused (the socket is lent to
        // the service thread for heartbeats and must be taken back).
        if shared.gate.load(ordering: .relaxed) != 0 && !shared.reopen() {
            stats.countDropped(topic)
            return false
        }
        countdown.pointee &-= 1
        if countdown.pointee <= 0 { slowPath() }
        let seq = stats.takeSequence(topic)
        let wanted = wantedMask.pointee
        // A failure here is not a full pipe (libzmq drops per pipe, silently);
        // counted anyway so the invariant holds.
        let ok = wanted & (1 << UInt32(topic)) == 0 || zmq_send(socket, buffer, size, ZMQ_DONTWAIT) >= 0
        if ok { stats.countSent(topic) } else { stats.countDropped(topic) }
        if ReplayStore.ring(topic) >= 0, let store = shared.store {
            store.record(ring: ReplayStore.ring(topic), seq: seq, frame: buffer, size: size)
        }
        if wanted & (0x100 << UInt32(topic)) != 0 { sendSequenced(size, seq) }
        return ok
    }

    /// The sequenced twin of the frame in `buffer` (docs/zmq.md section 11).
    @inline(never)
    private func sendSequenced(_ size: Int, _ seq: UInt64) {
        let twin = buffer + 128
        let n = BroadcastFrame.encodeSequenced(into: twin, frame: buffer, size: size, runID: shared.runID, seq: seq)
        _ = zmq_send(socket, twin, n, ZMQ_DONTWAIT)
    }

    // MARK: - SESSION (docs/zmq.md section 12)

    /// Publishes a SESSION frame (topic 8) built by `SessionFrame`. Not
    /// counted in the per-topic counters (SPEC topics 0...7). Publishing thread.
    @discardableResult
    public func publishSession(_ frame: [UInt8]) -> Bool {
        if shared.gate.load(ordering: .relaxed) != 0 && !shared.reopen() { return false }
        // RUN_START is a run's first frame: it too waits for late joiners.
        if initialWaitPending { slowPath() }
        return frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, ZMQ_DONTWAIT) >= 0 }
    }

    /// next_seq[T] of every topic, for SESSION headers.
    public var nextSequences: [UInt64] { shared.nextSeq() }

    /// A run paused: sends one heartbeat now, then lends the socket to the
    /// service thread, which sends one every 500 ms until the next publish.
    public func pause(time: UInt64) {
        if shared.isClosed { return }
        publishSession(SessionFrame.heartbeat(runID: runID, time: time, nextSeq: nextSequences))
        shared.pause(time: time)
    }

    /// Every `drainInterval` publishes: performs the pending first-publish
    /// wait, then drains subscription messages so `subscriberCount` stays
    /// current and libzmq's queue of them stays short.
    @inline(never)
    private func slowPath() {
        countdown.pointee = Self.drainInterval
        if initialWaitPending {
            initialWaitPending = false
            _ = waitForSubscribers(options.waitSubscribers, timeoutMilliseconds: options.waitTimeoutMilliseconds)
        } else {
            drainSubscriptions()
        }
    }

    // MARK: - Counters and subscribers

    /// Counters of one topic; any thread, any time.
    public func counters(_ topic: BroadcastTopic) -> TopicCounters { stats.counters(topic) }

    /// Counters summed over all topics; any thread, any time.
    public var totals: TopicCounters { stats.totals }

    /// Active subscriptions, as of the last drain of subscription messages
    /// (every 1024 publishes, in `waitForSubscribers` and `pollSubscriptions`).
    ///
    /// libzmq does not tell which subscriber a subscription comes from, so
    /// this counts subscriptions: a SUB socket subscribed to k prefixes
    /// counts k. Subscribe once per SUB (to `b""` or one topic) for an exact
    /// subscriber count. Rejected (CURVE/ZAP) clients never subscribe.
    public var subscriberCount: Int { stats.subscriberCount }

    /// Drains pending subscription messages now and returns `subscriberCount`.
    /// Publishing thread only.
    @discardableResult
    public func pollSubscriptions() -> Int {
        if shared.gate.load(ordering: .relaxed) == 0 || shared.reopen() { drainSubscriptions() }
        return subscriberCount
    }

    /// Waits until at least `count` subscriptions are active, for at most
    /// `timeoutMilliseconds`. Returns whether they are. Publishing thread only.
    ///
    /// Use it before the first publish so that subscribers started just
    /// before a run miss nothing (ZeroMQ delivers only to subscriptions that
    /// have reached the publisher).
    public func waitForSubscribers(_ count: Int, timeoutMilliseconds: Int) -> Bool {
        guard shared.gate.load(ordering: .relaxed) == 0 || shared.reopen() else { return count <= 0 }
        let deadline = Self.nowMilliseconds() + Int64(max(0, timeoutMilliseconds))
        while true {
            drainSubscriptions()
            if subscriberCount >= count { return true }
            let remaining = deadline - Self.nowMilliseconds()
            if remaining <= 0 { return false }
            // The XPUB is readable when subscription messages are pending.
            var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            _ = zmq_poll(&item, 1, Int(min(remaining, 100)))
        }
    }

    /// Reads every pending subscription message: `[1][prefix]` subscribes,
    /// `[0][prefix]` unsubscribes.
    private func drainSubscriptions() {
        let scratch = buffer + 64
        var delta = 0
        var changed = false
        while true {
            let n = zmq_recv(socket, scratch, 64, ZMQ_DONTWAIT)
            if n < 0 { break }
            if n >= 1 {
                let step: Int
                switch scratch.load(as: UInt8.self) {
                case 1: step = 1
                case 0: step = -1
                default: step = 0
                }
                delta += step
                if step != 0 {
                    changed = true
                    if n == 1 {
                        emptySubscriptions = max(0, emptySubscriptions + step)
                    } else {
                        let first = Int(scratch.load(fromByteOffset: 1, as: UInt8.self))
                        prefixSubscriptions[first] = max(0, prefixSubscriptions[first] + step)
                    }
                }
            }
        }
        if changed {
            var mask: UInt32 = 0
            for t in 0..<8 {
                if emptySubscriptions > 0 || prefixSubscriptions[t] > 0 { mask |= 1 << UInt32(t) }
                // Sequenced frames only on request: an empty prefix does not ask for them.
                if prefixSubscriptions[0x80 | t] > 0 { mask |= 0x100 << UInt32(t) }
            }
            wantedMask.pointee = mask
        }
        if delta != 0 {
            let now = stats.subscriptions.load(ordering: .relaxed) + delta
            stats.subscriptions.store(max(0, now), ordering: .relaxed)
        }
    }

    // MARK: - Lifecycle

    /// Whether `close()` has been called.
    public var isClosed: Bool { shared.isClosed }

    /// The broadcaster's ZeroMQ context, for in-process subscribers of an
    /// `inproc://` endpoint; nil after `close()`.
    public var zmqContext: UnsafeMutableRawPointer? { isClosed ? nil : context }

    /// Closes the socket, stops the ZAP handler and terminates the context.
    /// Idempotent. Afterwards every publish is a counted drop; counters stay
    /// readable. Queued frames are discarded unless `lingerMilliseconds` > 0.
    public func close() {
        // Under the handoff lock: the service thread never sends a heartbeat after this.
        guard shared.markClosed() else { return }
        zmq_close(socket)
        // Makes the service and ZAP threads' blocking calls return ETERM so
        // they close their sockets; zmq_ctx_term would wait forever otherwise.
        zmq_ctx_shutdown(context)
        service?.join()
        service = nil
        if let zap {
            zap.join()
            self.zap = nil
        }
        zmq_ctx_term(context)
    }

    // MARK: - Helpers

    private static func validate(_ o: BroadcastOptions) throws(HQTError) {
        if o.endpoint.isEmpty || o.endpoint.utf8.contains(0) {
            throw HQTError(.invalidArgument, "endpoint must be a non-empty libzmq endpoint such as tcp://*:5555")
        }
        if o.sendHighWaterMark < 0 {
            throw HQTError(
                .invalidArgument, "sendHighWaterMark must be >= 0 (0 = no limit), got \(o.sendHighWaterMark)")
        }
        if o.lingerMilliseconds < -1 {
            throw HQTError(.invalidArgument, "lingerMilliseconds must be >= -1, got \(o.lingerMilliseconds)")
        }
        if !o.allowedClientKeys.isEmpty && o.curveSecretKey == nil {
            throw HQTError(
                .invalidArgument, "allowedClientKeys needs curveSecretKey: the allow-list checks CURVE client keys")
        }
        if let p = o.replaySpillPath, p.isEmpty || p.utf8.contains(0) {
            throw HQTError(.invalidArgument, "replaySpillPath must be a non-empty file path prefix")
        }
        if let ep = o.replayEndpoint, ep.isEmpty || ep.utf8.contains(0) {
            throw HQTError(.invalidArgument, "replayEndpoint must be a non-empty libzmq endpoint such as tcp://*:5556")
        }
        // The window is allocated up front (4 rings of window x frame size).
        if !(1...Self.maxReplayWindow).contains(o.replayWindow) {
            throw HQTError(
                .invalidArgument, "replayWindow must be 1...\(Self.maxReplayWindow) events, got \(o.replayWindow)")
        }
        if o.waitSubscribers < 0 || o.waitTimeoutMilliseconds < 0 {
            throw HQTError(.invalidArgument, "waitSubscribers and waitTimeoutMilliseconds must be >= 0")
        }
    }

    private static func setInt(
        _ s: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32,
        _ name: String
    ) throws(HQTError) {
        var v = value
        guard zmq_setsockopt(s, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw zmqError("cannot set \(name) to \(value)")
        }
    }

    private static func bindError(_ endpoint: String, errno code: Int32) -> HQTError {
        let reason = String(cString: zmq_strerror(code))
        let hint: String
        switch code {
        case EADDRINUSE:
            hint = "another broadcaster or program already listens there; choose another port or stop it"
        case EINVAL, EPROTONOSUPPORT, ENOCOMPATPROTO:
            hint = "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME (HOST may be * for all interfaces)"
        case EADDRNOTAVAIL, ENODEV:
            hint = "the address is not one of this machine's interfaces"
        default:
            hint = "check the endpoint"
        }
        return HQTError(.broadcast, "cannot bind broadcaster to '\(endpoint)': \(reason) (\(hint))")
    }

    private static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
