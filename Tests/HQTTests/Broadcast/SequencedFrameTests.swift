import CZeroMQ
import Testing

@testable import HQTBroadcast
@testable import HQTCore

/// Issue 11's frames (docs/zmq.md sections 11-13), byte by byte, stated
/// field by field with `LE` independently of the encoders.
@Suite struct SequencedFrameTests {
    @Test func aSequencedFrameIsHeaderThenTheSpecPayload() {
        var spec = [UInt8](repeating: 0, count: BroadcastFrame.maxSize)
        let size = spec.withUnsafeMutableBytes {
            BroadcastFrame.encodeTrade(
                into: $0.baseAddress!, ticket: 42, symbolID: 3, time: 99, volume: 10_000, price: 1_234_567,
                profit: -15_500_000)
        }
        var twin = [UInt8](repeating: 0, count: BroadcastFrame.maxSequencedSize)
        let n = twin.withUnsafeMutableBytes { dst in
            spec.withUnsafeBytes { src in
                BroadcastFrame.encodeSequenced(
                    into: dst.baseAddress!, frame: src.baseAddress!, size: size, runID: 0x0102_0304_0506_0708,
                    seq: 77)
            }
        }
        var want = LE()
        want.u8(0x82)
        want.u64(0x0102_0304_0506_0708)
        want.u64(77)
        #expect(n == 61)
        #expect(Array(twin[0..<n]) == want.bytes + spec[1..<size])
    }

    @Test func sessionFramesHaveTheDocumentedLayout() {
        let seq: [UInt64] = [10, 0, 2, 3, 4, 5, 6, 7]
        var header = LE()
        header.u8(8)
        header.u8(0)
        header.u64(99)
        header.u64(1_700_000_000_000_000_000)
        for s in seq { header.u64(s) }
        let start = SessionFrame.runStart(
            runID: 99, time: 1_700_000_000_000_000_000, nextSeq: seq, resumed: true, balance: -5, currency: "USD",
            symbols: [
                .init(
                    id: 0, digits: 5, contractSize: 100_000_000_000, name: "EURUSD", baseCurrency: "EUR",
                    profitCurrency: "USD", marginCurrency: "EUR")
            ])
        var body = LE()
        body.u8(1)
        body.i64(-5)
        body.u8(3)
        body.bytes += Array("USD".utf8)
        body.u32(1)
        body.u32(0)
        body.u32(5)
        body.i64(100_000_000_000)
        for text in ["EURUSD", "EUR", "USD", "EUR"] {
            body.u8(UInt8(text.utf8.count))
            body.bytes += Array(text.utf8)
        }
        #expect(start == header.bytes + body.bytes)
        #expect(header.bytes.count == SessionFrame.headerSize)

        let end = SessionFrame.runEnd(
            runID: 99, time: 1_700_000_000_000_000_000, nextSeq: seq,
            .init(
                failed: false, balance: 1, equity: 2, margin: 3, freeMargin: -4, deals: 5, openPositions: 6,
                pendingOrders: 7))
        var endBody = LE()
        endBody.u8(0)
        for v: Int64 in [1, 2, 3, -4] { endBody.i64(v) }
        endBody.u64(5)
        endBody.u32(6)
        endBody.u32(7)
        var endHeader = header.bytes
        endHeader[1] = 1
        #expect(end == endHeader + endBody.bytes)
        #expect(end.count == SessionFrame.runEndSize)
        var beat = header.bytes
        beat[1] = 2
        #expect(SessionFrame.heartbeat(runID: 99, time: 1_700_000_000_000_000_000, nextSeq: seq) == beat)
    }

    @Test func longNamesAreCutWithoutSplittingACharacter() {
        var out: [UInt8] = []
        SessionFrame.appendString(&out, String(repeating: "é", count: 200))  // 400 bytes
        #expect(out[0] == 254)
        #expect(String(validating: out[1...], as: UTF8.self) == String(repeating: "é", count: 127))
    }

    @Test func sequencedFramesGoOutOnlyWhileSubscribed() throws {
        let b = try Broadcaster(options: BroadcastOptions(endpoint: "tcp://127.0.0.1:*"))
        defer { b.close() }
        let plain = ZMQTestSubscriber(endpoint: b.endpoint, prefixes: [[]])
        #expect(b.waitForSubscribers(1, timeoutMilliseconds: 3000))
        b.publishTick(symbolID: 1, time: 5, bid: 1, ask: 2)
        // Nobody asked for 0x80: the b"" subscriber gets the SPEC frame only.
        #expect(plain.receiveAll(idleMilliseconds: 200).map(\.count) == [29])
        let seqSub = ZMQTestSubscriber(endpoint: b.endpoint, prefixes: [[0x80]])
        #expect(b.waitForSubscribers(2, timeoutMilliseconds: 3000))
        b.publishTick(symbolID: 1, time: 6, bid: 1, ask: 2)
        #expect(plain.receiveAll(idleMilliseconds: 200).map(\.count) == [29, 45])
        let got = seqSub.receiveAll(idleMilliseconds: 200)
        #expect(got.count == 1)
        #expect(LE.u64(Array(got[0][9..<17])) == 1)  // the second tick: seq 1
    }

    @Test func badReplayOptionsAreClearErrors() {
        for (endpoint, window) in [("", 16), ("tcp://127.0.0.1:*", 0), ("tcp://127.0.0.1:*", Int.max)] {
            var o = BroadcastOptions(endpoint: "tcp://127.0.0.1:*")
            o.replayEndpoint = endpoint
            o.replayWindow = window
            let e = #expect(throws: HQTError.self) { try Broadcaster(options: o) }
            #expect(e?.code == .invalidArgument)
        }
        var o = BroadcastOptions(endpoint: "tcp://127.0.0.1:*")
        o.replayEndpoint = "bogus://x"
        let e = #expect(throws: HQTError.self) { try Broadcaster(options: o) }
        #expect(e?.code == .broadcast && e?.message.contains("replay endpoint") == true)
    }

    @Test func theReplayEndpointServesSnapshotRangesAndGone() throws {
        var o = BroadcastOptions(endpoint: "tcp://127.0.0.1:*")
        o.replayEndpoint = "tcp://127.0.0.1:*"
        o.replayWindow = 4
        let b = try Broadcaster(options: o)
        defer { b.close() }
        let endpoint = try #require(b.replayEndpoint)
        // Six deals (window 4: seqs 0 and 1 are gone), one position opened
        // then modified, one closed, one order placed, one placed then filled.
        for t in 1...6 {
            b.publishTrade(ticket: UInt64(t), symbolID: 0, time: UInt64(t), volume: 1, price: 2, profit: 3)
        }
        b.publishPosition(
            ticket: 10, symbolID: 0, time: 1, kind: 0, volume: 5, openPrice: 1, sl: 0, tp: 0, profit: 0)
        b.publishPosition(
            ticket: 10, symbolID: 0, time: 2, kind: BroadcastFrame.kind(type: 0, state: 1), volume: 5,
            openPrice: 1, sl: 9, tp: 0, profit: 0)
        b.publishPosition(
            ticket: 11, symbolID: 0, time: 2, kind: BroadcastFrame.kind(type: 1, state: 2), volume: 0,
            openPrice: 1, sl: 0, tp: 0, profit: 0)
        b.publishOrder(ticket: 20, symbolID: 0, time: 3, kind: 2, volume: 1, price: 1)
        b.publishOrder(ticket: 21, symbolID: 0, time: 3, kind: 0, volume: 1, price: 1)
        b.publishOrder(
            ticket: 21, symbolID: 0, time: 3, kind: BroadcastFrame.kind(type: 0, state: 2), volume: 1, price: 1)
        b.publishAccount(time: 4, balance: 100, equity: 101, profit: 1, marginLevel: 0)

        let client = ReplayClient(endpoint: endpoint)
        defer { client.close() }
        let snap = try #require(client.ask([UInt8(ascii: "S")]))
        #expect(snap[0].count == 74 && snap[0][0] == UInt8(ascii: "S") && snap[0][1] == 0)
        #expect(LE.u64(Array(snap[0][2..<10])) == b.runID)
        let next = (0..<8).map { LE.u64(Array(snap[0][(10 + 8 * $0)..<(18 + 8 * $0)])) }
        #expect(next == [0, 0, 6, 3, 0, 0, 3, 1])
        // ACCOUNT, the open position (its last frame: modified, sl 9), the pending order.
        #expect(snap.dropFirst().map { $0[0] } == [7, 6, 3])
        #expect(snap[2][21] == BroadcastFrame.kind(type: 0, state: 1) && LE.u64(Array(snap[2][38..<46])) == 9)
        #expect(LE.u64(Array(snap[3][1..<9])) == 20)

        func replay(_ topic: UInt8, _ first: UInt64, _ end: UInt64) -> [[UInt8]]? {
            var req = LE()
            req.u8(UInt8(ascii: "R"))
            req.u8(topic)
            req.u64(first)
            req.u64(end)
            return client.ask(req.bytes)
        }
        let r = try #require(replay(2, 2, 100))
        #expect(r[0].count == 35 && r[0][1] == 0 && r[0][2] == 2)
        #expect(LE.u64(Array(r[0][19..<27])) == 6)  // end: clipped to next_seq
        #expect(LE.u64(Array(r[0][27..<35])) == 2)  // window_first
        #expect(r.dropFirst().map { LE.u64(Array($0[9..<17])) } == [2, 3, 4, 5])
        #expect(r.dropFirst().map { LE.u64(Array($0[17..<25])) } == [3, 4, 5, 6])  // deal tickets
        let gone = try #require(replay(2, 1, 3))
        #expect(gone.count == 1 && gone[0][1] == 1)
        let bad = try #require(client.ask([UInt8(ascii: "R"), 0]))
        #expect(bad[0][0] == UInt8(ascii: "E") && bad[0][1] == 2)
        let tick = try #require(replay(0, 0, 1))
        #expect(tick[0][0] == UInt8(ascii: "E"))
    }
}

/// A DEALER client of the replay endpoint.
final class ReplayClient {
    let context = zmq_ctx_new()!
    let socket: UnsafeMutableRawPointer

    init(endpoint: String) {
        socket = zmq_socket(context, ZMQ_DEALER)!
        var zero: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &zero, 4)
        var timeout: Int32 = 3000
        zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, 4)
        precondition(zmq_connect(socket, endpoint) == 0)
    }

    /// Sends one request and returns the reply's parts (nil on timeout).
    func ask(_ request: [UInt8]) -> [[UInt8]]? {
        _ = request.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, 0) }
        var parts: [[UInt8]] = []
        var msg = zmq_msg_t()
        zmq_msg_init(&msg)
        defer { zmq_msg_close(&msg) }
        while true {
            if zmq_msg_recv(&msg, socket, 0) < 0 { return nil }
            parts.append(Array(UnsafeRawBufferPointer(start: zmq_msg_data(&msg), count: zmq_msg_size(&msg))))
            if zmq_msg_more(&msg) == 0 { return parts }
        }
    }

    func close() {
        zmq_close(socket)
        zmq_ctx_term(context)
    }
}
