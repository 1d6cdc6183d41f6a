import CZeroMQ
import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A broadcaster on a free loopback port (or the given endpoint).
private func makeBroadcaster(_ configure: (inout BroadcastOptions) -> Void = { _ in }) throws -> Broadcaster {
    var o = BroadcastOptions(endpoint: "tcp://127.0.0.1:*")
    configure(&o)
    return try Broadcaster(options: o)
}

private func monotonicMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// One publish per topic with values that exercise sign, width and byte
/// order, and the bytes SPEC section 2 says each must produce.
private func publishEveryTopic(_ b: Broadcaster) -> [[UInt8]] {
    b.publishTick(symbolID: 7, time: 1_700_000_000_123_456_789, bid: 1_084_550, ask: -2)
    b.publishBar(
        symbolID: 0xDEAD_BEEF, timeframe: 43_200, time: 0x0102_0304_0506_0708, open: 1, high: Int64.max,
        low: Int64.min, close: -1_000_000, volume: UInt64.max)
    b.publishTrade(ticket: 42, symbolID: 3, time: 99, volume: 10_000, price: 1_234_567, profit: -15_500_000)
    b.publishOrder(
        ticket: 43, symbolID: 4, time: 100, kind: BroadcastFrame.kind(type: 2, state: 3),
        volume: 20_000, price: 1_100_000)
    b.publishEquity(
        time: 101, balance: 10_000_000_000, equity: 9_990_000_000, margin: 50_000_000,
        freeMargin: 9_940_000_000)
    b.publishMargin(time: 102, margin: 50_000_000, freeMargin: -1, marginLevel: 19_980_000_000, event: 2)
    b.publishPosition(
        ticket: 44, symbolID: 5, time: 103, kind: BroadcastFrame.kind(type: 1, state: 3),
        volume: 30_000, openPrice: 1_500_000, sl: 0, tp: 1_400_000, profit: -123)
    b.publishAccount(time: 104, balance: 1, equity: 2, profit: -3, marginLevel: 0)

    var tick = LE(); tick.u8(0); tick.u32(7); tick.u64(1_700_000_000_123_456_789); tick.i64(1_084_550); tick.i64(-2)
    var bar = LE(); bar.u8(1); bar.u32(0xDEAD_BEEF); bar.u16(43_200); bar.u64(0x0102_0304_0506_0708)
    bar.i64(1); bar.i64(Int64.max); bar.i64(Int64.min); bar.i64(-1_000_000); bar.u64(UInt64.max)
    var trade = LE(); trade.u8(2); trade.u64(42); trade.u32(3); trade.u64(99); trade.u64(10_000)
    trade.i64(1_234_567); trade.i64(-15_500_000)
    var order = LE(); order.u8(3); order.u64(43); order.u32(4); order.u64(100); order.u8(0x32)
    order.u64(20_000); order.i64(1_100_000)
    var equity = LE(); equity.u8(4); equity.u64(101); equity.i64(10_000_000_000); equity.i64(9_990_000_000)
    equity.i64(50_000_000); equity.i64(9_940_000_000)
    var margin = LE(); margin.u8(5); margin.u64(102); margin.i64(50_000_000); margin.i64(-1)
    margin.i64(19_980_000_000); margin.u8(2)
    var position = LE(); position.u8(6); position.u64(44); position.u32(5); position.u64(103); position.u8(0x31)
    position.u64(30_000); position.i64(1_500_000); position.i64(0); position.i64(1_400_000); position.i64(-123)
    var account = LE(); account.u8(7); account.u64(104); account.i64(1); account.i64(2); account.i64(-3)
    account.i64(0)
    return [tick, bar, trade, order, equity, margin, position, account].map(\.bytes)
}

@Suite(.serialized) struct BroadcasterTests {
    @Test func frameSizesAreTheSpecSizes() {
        #expect(BroadcastTopic.allCases.map(\.frameSize) == [29, 55, 45, 38, 41, 34, 62, 41])
        #expect(BroadcastFrame.kind(type: 5, state: 4) == 0x45)
    }

    @Test func everyTopicArrivesWithTheSpecLayout() throws {
        let b = try makeBroadcaster()
        defer { b.close() }
        let sub = ZMQTestSubscriber(endpoint: b.endpoint)
        #expect(b.waitForSubscribers(1, timeoutMilliseconds: 3000))
        let expected = publishEveryTopic(b)
        let received = (0..<8).compactMap { _ in sub.receive() }
        #expect(received.count == 8)
        for (got, want) in zip(received, expected) {
            #expect(got == want, "topic \(want[0])")
        }
        #expect(received.map(\.count) == [29, 55, 45, 38, 41, 34, 62, 41])
        for topic in BroadcastTopic.allCases {
            #expect(b.counters(topic) == TopicCounters(sent: 1, bytes: UInt64(topic.frameSize), dropped: 0))
        }
        #expect(b.totals == TopicCounters(sent: 8, bytes: 345, dropped: 0))
    }

    @Test func aSubscriberGetsOnlyItsTopics() throws {
        let b = try makeBroadcaster()
        defer { b.close() }
        let trades = ZMQTestSubscriber(endpoint: b.endpoint, prefixes: [[BroadcastTopic.trade.rawValue]])
        let ticksAndAccount = ZMQTestSubscriber(endpoint: b.endpoint, prefixes: [[0], [7]])
        // A second subscription to the same prefix must be counted too.
        let moreTrades = ZMQTestSubscriber(endpoint: b.endpoint, prefixes: [[2]])
        #expect(b.waitForSubscribers(4, timeoutMilliseconds: 3000))
        #expect(b.subscriberCount == 4)
        for _ in 0..<5 { _ = publishEveryTopic(b) }
        let gotTrades = trades.receiveAll()
        #expect(gotTrades.count == 5)
        #expect(gotTrades.allSatisfy { $0.first == 2 && $0.count == 45 })
        #expect(moreTrades.receiveAll().count == 5)
        let got = ticksAndAccount.receiveAll()
        #expect(got.map { $0[0] } == Array(repeating: [0, 7], count: 5).flatMap { $0 })
    }

    @Test func aFullPipeDropsForItsSubscriberOnlyWhoSeesItBySequence() throws {
        let b = try makeBroadcaster { $0.sendHighWaterMark = 100 }
        defer { b.close() }
        // Sequenced ticks only (0x80): the SPEC tick frames go nowhere here.
        let sub = ZMQTestSubscriber(endpoint: b.endpoint, prefixes: [[0x80]], receiveHighWaterMark: 100)
        #expect(b.waitForSubscribers(1, timeoutMilliseconds: 3000))
        let n = 300_000
        let start = monotonicMilliseconds()
        for i in 0..<n {
            #expect(b.publishTick(symbolID: 1, time: UInt64(i), bid: Int64(i), ask: Int64(i) + 1))
            if i % 100 == 0 {
                b.publishBar(symbolID: 1, timeframe: 1, time: 0, open: 1, high: 1, low: 1, close: 1, volume: 1)
            }
        }
        let elapsed = monotonicMilliseconds() - start
        #expect(elapsed < 5000, "publishing must not wait on the subscriber (\(elapsed) ms)")
        // Per-pipe drops are invisible to the publisher: every publish is accepted.
        #expect(b.counters(.tick) == TopicCounters(sent: UInt64(n), bytes: UInt64(n) * 29, dropped: 0))
        #expect(b.counters(.bar) == TopicCounters(sent: 3000, bytes: 3000 * 55, dropped: 0))
        #expect(b.stats.nextSequence(.tick) == UInt64(n))
        // The subscriber that never read lost most frames, and knows exactly
        // which: the sequence numbers it got rise, and the gaps are the rest.
        let frames = sub.receiveAll(idleMilliseconds: 500)
        #expect(frames.count < n)
        #expect(frames.allSatisfy { $0.count == 45 && $0[0] == 0x80 })
        let seqs = frames.map { LE.u64(Array($0[9..<17])) }
        let times = frames.map { LE.u64(Array($0[21..<29])) }
        #expect(seqs == times)  // seq i carries the tick published i-th
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        #expect(frames.allSatisfy { LE.u64(Array($0[1..<9])) == b.runID })
    }

    @Test func badEndpointsAreClearErrors() throws {
        for endpoint in ["tcp://nonsense", "bogus://x", "tcp://127.0.0.1:notaport", "tcp://10.255.255.254:5555"] {
            let e = #expect(throws: HQTError.self) { try Broadcaster(options: BroadcastOptions(endpoint: endpoint)) }
            #expect(e?.code == .broadcast)
            #expect(e?.message.contains("cannot bind broadcaster to '\(endpoint)'") == true, "\(e?.message ?? "")")
        }
        let empty = #expect(throws: HQTError.self) { try Broadcaster(options: BroadcastOptions(endpoint: "")) }
        #expect(empty?.code == .invalidArgument)
        let hwm = #expect(throws: HQTError.self) { try makeBroadcaster { $0.sendHighWaterMark = -1 } }
        #expect(hwm?.code == .invalidArgument)
    }

    @Test func aPortInUseIsAClearError() throws {
        let first = try makeBroadcaster()
        defer { first.close() }
        #expect(first.endpoint.hasPrefix("tcp://127.0.0.1:") && !first.endpoint.hasSuffix("*"))
        let e = #expect(throws: HQTError.self) { try Broadcaster(options: BroadcastOptions(endpoint: first.endpoint)) }
        #expect(e?.code == .broadcast)
        #expect(e?.message.contains("Address already in use") == true, "\(e?.message ?? "")")
        // Closing frees the port for a new broadcaster.
        let endpoint = first.endpoint
        first.close()
        let again = try Broadcaster(options: BroadcastOptions(endpoint: endpoint))
        again.close()
    }

    @Test func inprocAndIpcEndpointsWork() throws {
        let inproc = try makeBroadcaster { $0.endpoint = "inproc://hqt-test" }
        defer { inproc.close() }
        let sub = ZMQTestSubscriber(endpoint: "inproc://hqt-test", context: inproc.zmqContext)
        #expect(inproc.waitForSubscribers(1, timeoutMilliseconds: 3000))
        inproc.publishTick(symbolID: 1, time: 2, bid: 3, ask: 4)
        #expect(sub.receive()?.count == 29)
        sub.close()

        let path = "/tmp/hqt-broadcast-test-\(getpid()).ipc"
        let ipc = try makeBroadcaster { $0.endpoint = "ipc://" + path }
        defer { ipc.close(); unlink(path) }
        let ipcSub = ZMQTestSubscriber(endpoint: "ipc://" + path)
        #expect(ipc.waitForSubscribers(1, timeoutMilliseconds: 3000))
        ipc.publishAccount(time: 1, balance: 2, equity: 3, profit: 4, marginLevel: 5)
        #expect(ipcSub.receive()?.count == 41)
    }

    @Test func lateJoinersMissNothingAndLeavingIsSeen() throws {
        let b = try makeBroadcaster {
            $0.waitSubscribers = 1; $0.waitTimeoutMilliseconds = 3000
        }
        defer { b.close() }
        // Connects asynchronously; the first publish waits for its subscription.
        let sub = ZMQTestSubscriber(endpoint: b.endpoint)
        for i in 0..<10 { b.publishTick(symbolID: 0, time: UInt64(i), bid: 1, ask: 2) }
        let frames = sub.receiveAll()
        #expect(frames.map { $0[5] } == Array(0..<10))
        #expect(b.subscriberCount == 1)
        sub.close()
        var count = 1
        let deadline = monotonicMilliseconds() + 3000
        while count != 0 && monotonicMilliseconds() < deadline {
            _ = b.waitForSubscribers(99, timeoutMilliseconds: 50)
            count = b.pollSubscriptions()
        }
        #expect(count == 0)
    }

    @Test func waitingForAbsentSubscribersTimesOut() throws {
        let b = try makeBroadcaster()
        defer { b.close() }
        let start = monotonicMilliseconds()
        #expect(!b.waitForSubscribers(1, timeoutMilliseconds: 150))
        let elapsed = monotonicMilliseconds() - start
        #expect(elapsed >= 140 && elapsed < 1500)
        #expect(b.waitForSubscribers(0, timeoutMilliseconds: 0))
    }

    @Test func publishingAfterCloseIsACountedDrop() throws {
        let b = try makeBroadcaster()
        #expect(b.publishEquity(time: 1, balance: 1, equity: 1, margin: 0, freeMargin: 1))
        b.close()
        b.close()
        #expect(b.isClosed && b.zmqContext == nil)
        #expect(!b.publishEquity(time: 2, balance: 1, equity: 1, margin: 0, freeMargin: 1))
        #expect(!b.publishTick(symbolID: 0, time: 0, bid: 0, ask: 0))
        #expect(b.counters(.equity) == TopicCounters(sent: 1, bytes: 41, dropped: 1))
        #expect(b.counters(.tick) == TopicCounters(sent: 0, bytes: 0, dropped: 1))
        #expect(!b.waitForSubscribers(1, timeoutMilliseconds: 10))
        #expect(b.pollSubscriptions() == 0)
    }

    @Test func countersAreReadableFromAnotherThread() async throws {
        let b = try makeBroadcaster()
        defer { b.close() }
        let stats = b.stats
        let reader = Task.detached {
            var last: UInt64 = 0
            var monotonic = true
            for _ in 0..<2000 {
                let now = stats.counters(.tick).sent
                if now < last { monotonic = false }
                last = now
            }
            return monotonic
        }
        for i in 0..<200_000 { b.publishTick(symbolID: 0, time: UInt64(i), bid: 1, ask: 2) }
        #expect(await reader.value)
        #expect(stats.counters(.tick).sent == 200_000)
    }
}

@Suite(.serialized) struct BroadcasterCurveTests {
    /// Publishes ticks for `milliseconds` and reports what each subscriber got.
    private func deliver(_ b: Broadcaster, to subs: [ZMQTestSubscriber], milliseconds: Int64 = 400) -> [Int] {
        var counts = Array(repeating: 0, count: subs.count)
        let end = monotonicMilliseconds() + milliseconds
        var t: UInt64 = 0
        while monotonicMilliseconds() < end {
            b.publishTick(symbolID: 1, time: t, bid: 1, ask: 2)
            t += 1
            for (i, s) in subs.enumerated() { while s.receive(timeoutMilliseconds: 5) != nil { counts[i] += 1 } }
        }
        return counts
    }

    @Test func keypairsAreZ85AndDeriveTheirPublicKey() throws {
        let (pub, sec) = try Broadcaster.generateCurveKeyPair()
        #expect(pub.utf8.count == 40 && sec.utf8.count == 40)
        #expect(try Broadcaster.curvePublicKey(secretKey: sec) == pub)
        let bad = #expect(throws: HQTError.self) { try Broadcaster.curvePublicKey(secretKey: "short") }
        #expect(bad?.code == .invalidArgument)
        let notZ85 = #expect(throws: HQTError.self) {
            try makeBroadcaster { $0.curveSecretKey = String(repeating: "\"", count: 40) }
        }
        #expect(notZ85?.code == .invalidArgument)
        let listOnly = #expect(throws: HQTError.self) { try makeBroadcaster { $0.allowedClientKeys = [pub] } }
        #expect(listOnly?.code == .invalidArgument)
    }

    @Test func theRightServerKeyReceivesAndOthersDoNot() throws {
        let server = try Broadcaster.generateCurveKeyPair()
        let b = try makeBroadcaster { $0.curveSecretKey = server.secretKey }
        defer { b.close() }
        #expect(b.curvePublicKey == server.publicKey)
        let client = try Broadcaster.generateCurveKeyPair()
        let wrongServer = try Broadcaster.generateCurveKeyPair()
        let good = ZMQTestSubscriber(
            endpoint: b.endpoint,
            curve: .init(
                serverPublicKey: server.publicKey, publicKey: client.publicKey, secretKey: client.secretKey))
        let wrongKey = ZMQTestSubscriber(
            endpoint: b.endpoint,
            curve: .init(
                serverPublicKey: wrongServer.publicKey, publicKey: client.publicKey, secretKey: client.secretKey))
        let plain = ZMQTestSubscriber(endpoint: b.endpoint)
        #expect(b.waitForSubscribers(1, timeoutMilliseconds: 3000))
        let counts = deliver(b, to: [good, wrongKey, plain])
        #expect(counts[0] > 0)
        #expect(counts[1] == 0)
        #expect(counts[2] == 0)
        #expect(b.pollSubscriptions() == 1)
    }

    @Test func theAllowListAdmitsOnlyListedClients() throws {
        let server = try Broadcaster.generateCurveKeyPair()
        let listed = try Broadcaster.generateCurveKeyPair()
        let unlisted = try Broadcaster.generateCurveKeyPair()
        let other = try Broadcaster.generateCurveKeyPair()
        let b = try makeBroadcaster {
            $0.curveSecretKey = server.secretKey
            $0.allowedClientKeys = [other.publicKey, listed.publicKey]
        }
        let ok = ZMQTestSubscriber(
            endpoint: b.endpoint,
            curve: .init(
                serverPublicKey: server.publicKey, publicKey: listed.publicKey, secretKey: listed.secretKey))
        let rejected = ZMQTestSubscriber(
            endpoint: b.endpoint,
            curve: .init(
                serverPublicKey: server.publicKey, publicKey: unlisted.publicKey, secretKey: unlisted.secretKey))
        #expect(b.waitForSubscribers(1, timeoutMilliseconds: 3000))
        let counts = deliver(b, to: [ok, rejected])
        #expect(counts[0] > 0)
        #expect(counts[1] == 0)
        #expect(b.pollSubscriptions() == 1)
        // close() must stop the ZAP thread and return promptly.
        let start = monotonicMilliseconds()
        b.close()
        #expect(monotonicMilliseconds() - start < 1000)
    }
}
