import HQTCore

/// The topic byte that starts every broadcast frame (SPEC section 2).
///
/// A SUB socket filters by subscribing to the one-byte prefix
/// `[topic.rawValue]`; subscribing to the empty prefix receives every topic.
public enum BroadcastTopic: UInt8, CaseIterable, Sendable {
    /// Every market tick: symbol, time, bid, ask.
    case tick = 0
    /// A closed bar.
    case bar
    /// A deal (execution) with its realized profit.
    case trade
    /// An order state change (placed, modified, filled, canceled, rejected, expired).
    case order
    /// Balance, equity, margin and free margin.
    case equity
    /// Margin, free margin, margin level and the margin event (update, call, stop-out).
    case margin
    /// A position opened, modified, closed or partially closed.
    case position
    /// Balance, equity, floating profit and margin level.
    case account

    /// Size in bytes of this topic's frame, topic byte included.
    /// Every frame of a topic has exactly this size.
    public var frameSize: Int {
        switch self {
        case .tick: BroadcastFrame.tickSize
        case .bar: BroadcastFrame.barSize
        case .trade: BroadcastFrame.tradeSize
        case .order: BroadcastFrame.orderSize
        case .equity: BroadcastFrame.equitySize
        case .margin: BroadcastFrame.marginSize
        case .position: BroadcastFrame.positionSize
        case .account: BroadcastFrame.accountSize
        }
    }
}

/// Messages and bytes accepted by ZeroMQ, and messages dropped, for one topic
/// (or in total).
///
/// Invariant, per topic and in total: `sent + dropped` equals the number of
/// publish calls. `bytes` is `sent` times the topic's frame size, since every
/// frame of a topic has the same size.
public struct TopicCounters: Sendable, Equatable {
    /// Frames accepted by ZeroMQ (including those sent while nobody subscribed).
    public var sent: UInt64
    /// Bytes of the frames counted in `sent`.
    public var bytes: UInt64
    /// Frames not sent: a subscriber's queue was full, or the broadcaster was closed.
    public var dropped: UInt64

    public init(sent: UInt64 = 0, bytes: UInt64 = 0, dropped: UInt64 = 0) {
        self.sent = sent
        self.bytes = bytes
        self.dropped = dropped
    }
}
