import CZeroMQ
import HQTBroadcast
import HQTCore
import HQTWAL

/// A plain libzmq SUB socket for tests: what an outside subscriber sees,
/// independent of the broadcaster's own code.
final class ZMQTestSubscriber {
    struct CurveClient {
        var serverPublicKey: String
        var publicKey: String
        var secretKey: String
    }

    let context: UnsafeMutableRawPointer
    let ownsContext: Bool
    let socket: UnsafeMutableRawPointer
    private var closed = false

    /// Subscribes to `prefixes` (before connecting, so they travel together)
    /// and connects to `endpoint`. `context` is needed for inproc endpoints.
    init(
        endpoint: String, prefixes: [[UInt8]] = [[]], curve: CurveClient? = nil,
        receiveHighWaterMark: Int32? = nil, context: UnsafeMutableRawPointer? = nil
    ) {
        ownsContext = context == nil
        self.context = context ?? zmq_ctx_new()!
        socket = zmq_socket(self.context, ZMQ_SUB)!
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, 4)
        if var hwm = receiveHighWaterMark {
            zmq_setsockopt(socket, ZMQ_RCVHWM, &hwm, 4)
        }
        if let curve {
            zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, curve.serverPublicKey, 40)
            zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, curve.publicKey, 40)
            zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, curve.secretKey, 40)
        }
        for prefix in prefixes {
            _ = prefix.withUnsafeBytes { zmq_setsockopt(socket, ZMQ_SUBSCRIBE, $0.baseAddress, $0.count) }
        }
        precondition(zmq_connect(socket, endpoint) == 0, "connect \(endpoint)")
    }

    /// The next frame, or nil when none arrives within `timeoutMilliseconds`.
    func receive(timeoutMilliseconds: Int32 = 1000) -> [UInt8]? {
        var timeout = timeoutMilliseconds
        zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, 4)
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { zmq_recv(socket, $0.baseAddress, 256, 0) }
        return n < 0 ? nil : Array(buffer[..<Int(n)])
    }

    /// Every frame until none arrives for `idleMilliseconds`.
    func receiveAll(idleMilliseconds: Int32 = 300) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while let f = receive(timeoutMilliseconds: idleMilliseconds) { frames.append(f) }
        return frames
    }

    func close() {
        guard !closed else { return }
        closed = true
        zmq_close(socket)
        if ownsContext { zmq_ctx_term(context) }
    }

    deinit { close() }
}

/// Little-endian packer used to state the expected frame bytes field by
/// field, independently of `BroadcastFrame`.
struct LE {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { add(UInt64(v), 2) }
    mutating func u32(_ v: UInt32) { add(UInt64(v), 4) }
    mutating func u64(_ v: UInt64) { add(v, 8) }
    mutating func i64(_ v: Int64) { add(UInt64(bitPattern: v), 8) }
    /// Reads a little-endian integer of up to 8 bytes.
    static func u64(_ b: [UInt8]) -> UInt64 { b.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
    private mutating func add(_ v: UInt64, _ n: Int) {
        for i in 0..<n { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}
