import CZeroMQ
import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A ZAP (ZeroMQ RFC 27) handler that admits only CURVE clients whose public
/// key is on an allow-list.
///
/// libzmq asks the handler bound at `inproc://zeromq.zap.01` *in the same
/// context* about every incoming connection, so each broadcaster owns its
/// context and runs its own handler on a background thread. When no handler
/// is bound, libzmq admits every CURVE client that knows the server key.
final class ZAPHandler {
    static let endpoint = "inproc://zeromq.zap.01"

    private let socket: UnsafeMutableRawPointer
    private let allowed: Set<[UInt8]>
    private var thread = ServiceThread()

    /// Binds the handler's REP socket and starts its thread. Must run before
    /// the broadcaster binds, so that no connection is admitted unchecked.
    init(context: UnsafeMutableRawPointer, allowedKeys: [[UInt8]]) throws(HQTError) {
        guard let s = zmq_socket(context, ZMQ_REP) else {
            throw zmqError("cannot create the ZAP handler socket")
        }
        var linger: Int32 = 0
        zmq_setsockopt(s, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_bind(s, Self.endpoint) == 0 else {
            let e = zmqError("cannot bind the ZAP handler at \(Self.endpoint)")
            zmq_close(s)
            throw e
        }
        socket = s
        allowed = Set(allowedKeys)
        do {
            try thread.start("ZAP handler") { self.serve() }
        } catch {
            zmq_close(s)
            throw error
        }
    }

    /// Waits for the handler thread to end. The caller must first make its
    /// blocking receive fail with `zmq_ctx_shutdown` on the shared context;
    /// the thread then closes its socket so that `zmq_ctx_term` can finish.
    func join() {
        thread.join()
    }

    /// Answers requests until the context is shut down (ETERM).
    private func serve() {
        var frames: [[UInt8]] = []
        while true {
            frames.removeAll(keepingCapacity: true)
            guard receiveRequest(into: &frames) else { break }
            // Request: version, request id, domain, address, routing id,
            // mechanism, credentials (the client's 32-byte public key for CURVE).
            let ok =
                frames.count >= 7
                && frames[0] == Array("1.0".utf8)
                && frames[5] == Array("CURVE".utf8)
                && allowed.contains(frames[6])
            let requestID = frames.count > 1 ? frames[1] : []
            let reply: [[UInt8]] = [
                Array("1.0".utf8), requestID,
                Array((ok ? "200" : "400").utf8),
                Array((ok ? "OK" : "client key not on the allow-list").utf8),
                [], [],  // user id, metadata
            ]
            guard sendReply(reply) else { break }
        }
        zmq_close(socket)
    }

    /// Receives one multipart request; false once the context is shut down.
    private func receiveRequest(into frames: inout [[UInt8]]) -> Bool {
        var msg = zmq_msg_t()
        zmq_msg_init(&msg)
        defer { zmq_msg_close(&msg) }
        while true {
            if zmq_msg_recv(&msg, socket, 0) < 0 {
                if zmq_errno() == EINTR { continue }
                return false
            }
            let size = zmq_msg_size(&msg)
            if let data = zmq_msg_data(&msg), size > 0 {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&msg) == 0 { return true }
        }
    }

    private func sendReply(_ frames: [[UInt8]]) -> Bool {
        for (i, frame) in frames.enumerated() {
            let flags = i + 1 < frames.count ? ZMQ_SNDMORE : 0
            let rc = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
            if rc < 0 { return false }
        }
        return true
    }
}
