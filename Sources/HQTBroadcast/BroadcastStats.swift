import HQTCore
import Synchronization

/// The live counters of one broadcaster, shareable with any thread.
///
/// Only the broadcaster's publishing thread writes them; any thread may read
/// them at any time, during a run and after `close()`. Each value is read
/// atomically; values of different topics are not one consistent snapshot.
public final class BroadcastStats: Sendable {
    // Written only from the publishing thread, so a relaxed load + store
    // (a plain `inc` on x86) is enough; an atomic read-modify-write would add
    // a locked instruction to every publish for no benefit.
    let sent: InlineArray<8, Atomic<UInt64>> = InlineArray { _ in Atomic(0) }
    let dropped: InlineArray<8, Atomic<UInt64>> = InlineArray { _ in Atomic(0) }
    let subscriptions = Atomic<Int>(0)
    /// Next sequence number per topic (docs/zmq.md section 11): every event
    /// counts, delivered or not. Single writer, like the counters.
    let sequences: InlineArray<8, Atomic<UInt64>> = InlineArray { _ in Atomic(0) }

    init() {}

    @inline(__always)
    func countSent(_ topic: Int) {
        sent[topic].store(sent[topic].load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    @inline(__always)
    func countDropped(_ topic: Int) {
        dropped[topic].store(dropped[topic].load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Takes the next sequence number of a topic.
    @inline(__always)
    func takeSequence(_ topic: Int) -> UInt64 {
        let s = sequences[topic].load(ordering: .relaxed)
        sequences[topic].store(s &+ 1, ordering: .relaxed)
        return s
    }

    /// The sequence number the next event of `topic` will get: how many
    /// events of it were published since broadcasting started.
    public func nextSequence(_ topic: BroadcastTopic) -> UInt64 {
        sequences[Int(topic.rawValue)].load(ordering: .relaxed)
    }

    /// Counters of one topic.
    public func counters(_ topic: BroadcastTopic) -> TopicCounters {
        let i = Int(topic.rawValue)
        let s = sent[i].load(ordering: .relaxed)
        return TopicCounters(
            sent: s, bytes: s &* UInt64(topic.frameSize),
            dropped: dropped[i].load(ordering: .relaxed))
    }

    /// Sum over all topics.
    public var totals: TopicCounters {
        var t = TopicCounters()
        for topic in BroadcastTopic.allCases {
            let c = counters(topic)
            t.sent &+= c.sent
            t.bytes &+= c.bytes
            t.dropped &+= c.dropped
        }
        return t
    }

    /// Active subscriptions as of the last time the broadcaster drained its
    /// socket's subscription messages (see `Broadcaster.subscriberCount`).
    public var subscriberCount: Int { subscriptions.load(ordering: .relaxed) }
}
