import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The "Broadcasting" section of include/hqt.h. Each export converts and
// validates its C arguments, calls the Swift `Broadcaster`, and reports
// failures as a status plus hqt_last_error(); none may trap on bad input.

private let defaultEndpoint: StaticString = "tcp://*:5555"

@_cdecl("hqt_broadcast_options_init")
public func hqt_broadcast_options_init(_ options: UnsafeMutablePointer<hqt_broadcast_options>?) {
    guard let options else { return }
    let d = BroadcastOptions()
    options.pointee = hqt_broadcast_options(
        endpoint: UnsafeRawPointer(defaultEndpoint.utf8Start).assumingMemoryBound(to: CChar.self),
        sndhwm: d.sendHighWaterMark, linger: d.lingerMilliseconds,
        curve_secret_key: nil, allowed_client_keys: nil, allowed_client_key_count: 0,
        wait_subscribers: Int32(d.waitSubscribers), wait_timeout_ms: Int32(d.waitTimeoutMilliseconds))
}

/// A C string argument as Swift text, or an invalid-argument error naming it.
func text(_ p: UnsafePointer<CChar>?, _ name: String) throws(HQTError) -> String {
    guard let p else { throw HQTError(.invalidArgument, "\(name) is NULL") }
    // Bounded scan: a key or endpoint longer than this is garbage, not input.
    guard strnlen(p, 4096) < 4096 else { throw HQTError(.invalidArgument, "\(name) is not a NUL-terminated string") }
    guard let s = String(validatingCString: p) else {
        throw HQTError(.invalidArgument, "\(name) is not valid UTF-8")
    }
    return s
}

func swiftOptions(_ c: hqt_broadcast_options) throws(HQTError) -> BroadcastOptions {
    var o = BroadcastOptions()
    o.endpoint = try text(c.endpoint, "options.endpoint")
    o.sendHighWaterMark = c.sndhwm
    o.lingerMilliseconds = c.linger
    if let key = c.curve_secret_key { o.curveSecretKey = try text(key, "options.curve_secret_key") }
    if c.allowed_client_key_count > 0 {
        guard let keys = c.allowed_client_keys else {
            throw HQTError(
                .invalidArgument,
                "options.allowed_client_keys is NULL but allowed_client_key_count is \(c.allowed_client_key_count)")
        }
        guard c.allowed_client_key_count <= 100_000 else {
            throw HQTError(
                .invalidArgument, "options.allowed_client_key_count \(c.allowed_client_key_count) is implausibly large")
        }
        for i in 0..<c.allowed_client_key_count {
            o.allowedClientKeys.append(try text(keys[i], "options.allowed_client_keys[\(i)]"))
        }
    }
    o.waitSubscribers = Int(c.wait_subscribers)
    o.waitTimeoutMilliseconds = Int(c.wait_timeout_ms)
    return o
}

@_cdecl("hqt_broadcaster_create")
public func hqt_broadcaster_create(
    _ options: UnsafePointer<hqt_broadcast_options>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    do throws(HQTError) {
        return createBroadcaster(
            try options.map { p throws(HQTError) in try swiftOptions(p.pointee) } ?? BroadcastOptions(), out)
    } catch {
        return setLastError(error)
    }
}

/// hqt_broadcaster_create and its v2 after reading their options.
func createBroadcaster(_ o: BroadcastOptions, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let out else { return setLastError(HQTError(.invalidArgument, "out_broadcaster is NULL")) }
    out.pointee = nil
    do throws(HQTError) {
        let b = try Broadcaster(options: o)
        do throws(HQTError) {
            out.pointee = try broadcasters.insert(b)
        } catch {
            b.close()
            throw error
        }
        return 0
    } catch {
        return setLastError(error)
    }
}

@_cdecl("hqt_broadcaster_destroy")
public func hqt_broadcaster_destroy(_ handle: OpaquePointer?) -> Int32 {
    guard handle != nil else { return 0 }
    do throws(HQTError) {
        try broadcasters.remove(handle).close()
        return 0
    } catch {
        return setLastError(error)
    }
}

/// Live `hqt_broadcaster *` handles (HandleTable: generation-checked ids).
let broadcasters = HandleTable<Broadcaster>(tag: 0xB1, typeName: "hqt_broadcaster", argument: "broadcaster")

/// Borrows the broadcaster behind a live handle without retain/release
/// traffic (the table's reference keeps it alive for the call), or returns
/// HQT_E_INVALID_ARGUMENT for NULL, a destroyed or a foreign handle.
@inline(__always)
private func with(_ handle: OpaquePointer?, _ body: (Broadcaster) -> Int32) -> Int32 {
    guard let b = broadcasters.lookup(handle) else { return setLastError(broadcasters.invalidHandle(handle)) }
    return b._withUnsafeGuaranteedRef(body)
}

@inline(__always)
private func published(_ sent: Bool) -> Int32 {
    sent
        ? 0
        : setLastError(
            .broadcast,
            "frame dropped: a subscriber's queue is full (sndhwm); counted in hqt_broadcaster_stats")
}

@_cdecl("hqt_broadcaster_replay_endpoint")
public func hqt_broadcaster_replay_endpoint(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<CChar>?, _ capacity: Int
) -> Int32 {
    with(handle) { b in
        guard let endpoint = b.replayEndpoint else {
            return setLastError(.state, "this broadcaster has no replay endpoint (set options.replay_endpoint)")
        }
        return copyCString(endpoint, out, capacity)
    }
}

@_cdecl("hqt_broadcaster_run_id")
public func hqt_broadcaster_run_id(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> Int32 {
    with(handle) { b in
        guard let out else { return setLastError(.invalidArgument, "out_run_id is NULL") }
        out.pointee = b.runID
        return 0
    }
}

/// Copies `text` and a NUL into `out` (capacity bytes), or reports why not.
func copyCString(_ text: String, _ out: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int32 {
    guard let out else { return setLastError(.invalidArgument, "out is NULL") }
    let bytes = Array(text.utf8)
    guard bytes.count < capacity else {
        return setLastError(
            HQTError(.invalidArgument, "capacity \(capacity) too small: the endpoint needs \(bytes.count + 1) bytes"))
    }
    for (i, b) in bytes.enumerated() { out[i] = CChar(bitPattern: b) }
    out[bytes.count] = 0
    return 0
}

@_cdecl("hqt_broadcaster_endpoint")
public func hqt_broadcaster_endpoint(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<CChar>?,
    _ capacity: Int
) -> Int32 {
    with(handle) { b in
        guard let out else { return setLastError(.invalidArgument, "out is NULL") }
        var endpoint = b.endpoint
        return endpoint.withUTF8 { bytes in
            guard bytes.count < capacity else {
                return setLastError(
                    HQTError(
                        .invalidArgument, "capacity \(capacity) too small: the endpoint needs \(bytes.count + 1) bytes")
                )
            }
            out.withMemoryRebound(to: UInt8.self, capacity: capacity) { dst in
                dst.update(from: bytes.baseAddress!, count: bytes.count)
                dst[bytes.count] = 0
            }
            return 0
        }
    }
}

@_cdecl("hqt_broadcaster_publish_tick")
public func hqt_broadcaster_publish_tick(
    _ handle: OpaquePointer?, _ symbolID: UInt32, _ time: UInt64,
    _ bid: Int64, _ ask: Int64
) -> Int32 {
    with(handle) { published($0.publishTick(symbolID: symbolID, time: time, bid: bid, ask: ask)) }
}

@_cdecl("hqt_broadcaster_publish_bar")
public func hqt_broadcaster_publish_bar(
    _ handle: OpaquePointer?, _ symbolID: UInt32, _ timeframe: UInt16,
    _ time: UInt64, _ open: Int64, _ high: Int64, _ low: Int64,
    _ close: Int64, _ volume: UInt64
) -> Int32 {
    with(handle) {
        published(
            $0.publishBar(
                symbolID: symbolID, timeframe: timeframe, time: time, open: open, high: high, low: low,
                close: close, volume: volume))
    }
}

@_cdecl("hqt_broadcaster_publish_trade")
public func hqt_broadcaster_publish_trade(
    _ handle: OpaquePointer?, _ ticket: UInt64, _ symbolID: UInt32,
    _ time: UInt64, _ volume: UInt64, _ price: Int64,
    _ profit: Int64
) -> Int32 {
    with(handle) {
        published(
            $0.publishTrade(
                ticket: ticket, symbolID: symbolID, time: time, volume: volume, price: price, profit: profit))
    }
}

@_cdecl("hqt_broadcaster_publish_order")
public func hqt_broadcaster_publish_order(
    _ handle: OpaquePointer?, _ ticket: UInt64, _ symbolID: UInt32,
    _ time: UInt64, _ kind: UInt8, _ volume: UInt64,
    _ price: Int64
) -> Int32 {
    with(handle) {
        published(
            $0.publishOrder(ticket: ticket, symbolID: symbolID, time: time, kind: kind, volume: volume, price: price))
    }
}

@_cdecl("hqt_broadcaster_publish_equity")
public func hqt_broadcaster_publish_equity(
    _ handle: OpaquePointer?, _ time: UInt64, _ balance: Int64,
    _ equity: Int64, _ margin: Int64, _ freeMargin: Int64
) -> Int32 {
    with(handle) {
        published(
            $0.publishEquity(time: time, balance: balance, equity: equity, margin: margin, freeMargin: freeMargin))
    }
}

@_cdecl("hqt_broadcaster_publish_margin")
public func hqt_broadcaster_publish_margin(
    _ handle: OpaquePointer?, _ time: UInt64, _ margin: Int64,
    _ freeMargin: Int64, _ marginLevel: Int64, _ event: UInt8
) -> Int32 {
    with(handle) {
        published(
            $0.publishMargin(time: time, margin: margin, freeMargin: freeMargin, marginLevel: marginLevel, event: event)
        )
    }
}

@_cdecl("hqt_broadcaster_publish_position")
public func hqt_broadcaster_publish_position(
    _ handle: OpaquePointer?, _ ticket: UInt64, _ symbolID: UInt32,
    _ time: UInt64, _ kind: UInt8, _ volume: UInt64,
    _ openPrice: Int64, _ sl: Int64, _ tp: Int64,
    _ profit: Int64
) -> Int32 {
    with(handle) {
        published(
            $0.publishPosition(
                ticket: ticket, symbolID: symbolID, time: time, kind: kind, volume: volume,
                openPrice: openPrice, sl: sl, tp: tp, profit: profit))
    }
}

@_cdecl("hqt_broadcaster_publish_account")
public func hqt_broadcaster_publish_account(
    _ handle: OpaquePointer?, _ time: UInt64, _ balance: Int64,
    _ equity: Int64, _ profit: Int64, _ marginLevel: Int64
) -> Int32 {
    with(handle) {
        published(
            $0.publishAccount(time: time, balance: balance, equity: equity, profit: profit, marginLevel: marginLevel))
    }
}

@_cdecl("hqt_broadcaster_stats")
public func hqt_broadcaster_stats(
    _ handle: OpaquePointer?,
    _ out: UnsafeMutablePointer<hqt_broadcast_stats>?
) -> Int32 {
    with(handle) { b in
        guard let out else { return setLastError(.invalidArgument, "out is NULL") }
        out.pointee = cStats(b.stats)
        return 0
    }
}

@_cdecl("hqt_broadcaster_wait_for_subscribers")
public func hqt_broadcaster_wait_for_subscribers(
    _ handle: OpaquePointer?, _ count: Int32,
    _ timeoutMs: Int32
) -> Int32 {
    with(handle) { b in
        guard count >= 0, timeoutMs >= 0 else {
            return setLastError(
                HQTError(.invalidArgument, "count and timeout_ms must be >= 0, got \(count) and \(timeoutMs)"))
        }
        if b.waitForSubscribers(Int(count), timeoutMilliseconds: Int(timeoutMs)) { return 0 }
        return setLastError(
            HQTError(
                .broadcast,
                "timed out after \(timeoutMs) ms waiting for \(count) subscriptions (\(b.subscriberCount) active)"))
    }
}

/// Writes a Swift key string as 40 characters + NUL into a C buffer of 41.
private func writeKey(_ key: String, _ out: UnsafeMutablePointer<CChar>) {
    var k = key
    k.withUTF8 { bytes in
        out.withMemoryRebound(to: UInt8.self, capacity: 41) { dst in
            let n = min(bytes.count, 40)
            dst.update(from: bytes.baseAddress!, count: n)
            dst[n] = 0
        }
    }
}

@_cdecl("hqt_curve_keypair")
public func hqt_curve_keypair(
    _ publicKey: UnsafeMutablePointer<CChar>?,
    _ secretKey: UnsafeMutablePointer<CChar>?
) -> Int32 {
    guard let publicKey, let secretKey else {
        return setLastError(.invalidArgument, "public_key and secret_key must point to 41-byte buffers")
    }
    do throws(HQTError) {
        let pair = try Broadcaster.generateCurveKeyPair()
        writeKey(pair.publicKey, publicKey)
        writeKey(pair.secretKey, secretKey)
        return 0
    } catch {
        return setLastError(error)
    }
}

@_cdecl("hqt_curve_public_key")
public func hqt_curve_public_key(
    _ secretKey: UnsafePointer<CChar>?,
    _ publicKey: UnsafeMutablePointer<CChar>?
) -> Int32 {
    guard let publicKey else { return setLastError(.invalidArgument, "public_key must point to a 41-byte buffer") }
    do throws(HQTError) {
        let key = try Broadcaster.curvePublicKey(secretKey: try text(secretKey, "secret_key"))
        writeKey(key, publicKey)
        return 0
    } catch {
        return setLastError(error)
    }
}

/// Counters as the C struct.
func cStats(_ stats: BroadcastStats) -> hqt_broadcast_stats {
    var s = hqt_broadcast_stats()
    withUnsafeMutableBytes(of: &s.sent) { sent in
        withUnsafeMutableBytes(of: &s.bytes) { bytes in
            withUnsafeMutableBytes(of: &s.dropped) { dropped in
                for topic in BroadcastTopic.allCases {
                    let c = stats.counters(topic)
                    let i = Int(topic.rawValue) * 8
                    sent.storeBytes(of: c.sent, toByteOffset: i, as: UInt64.self)
                    bytes.storeBytes(of: c.bytes, toByteOffset: i, as: UInt64.self)
                    dropped.storeBytes(of: c.dropped, toByteOffset: i, as: UInt64.self)
                }
            }
        }
    }
    let t = stats.totals
    s.total_sent = t.sent
    s.total_bytes = t.bytes
    s.total_dropped = t.dropped
    s.subscribers = Int64(stats.subscriberCount)
    return s
}
