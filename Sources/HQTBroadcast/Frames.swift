import HQTCore

/// The wire format of the broadcast frames, fixed by SPEC section 2:
/// one ZeroMQ frame per message, `[topic:u8][payload]`, little-endian,
/// no padding.
///
/// The encoders write into caller-provided memory (at least `maxSize` bytes)
/// and return the frame size. They never allocate, so the broadcaster can
/// build every frame in one buffer it owns for its whole life.
public enum BroadcastFrame {
    /// `<BIQqq`: symbol_id, timestamp, bid, ask.
    public static let tickSize = 29
    /// `<BIHQqqqqQ`: symbol_id, timeframe, open time, open, high, low, close, volume.
    public static let barSize = 55
    /// `<BQIQQqq`: deal ticket, symbol_id, timestamp, volume, price, profit.
    public static let tradeSize = 45
    /// `<BQIQBQq`: order ticket, symbol_id, timestamp, kind, volume, price.
    public static let orderSize = 38
    /// `<BQqqqq`: timestamp, balance, equity, margin, free margin.
    public static let equitySize = 41
    /// `<BQqqqB`: timestamp, margin, free margin, margin level, event.
    public static let marginSize = 34
    /// `<BQIQBQqqqq`: ticket, symbol_id, timestamp, kind, volume, open price, sl, tp, profit.
    public static let positionSize = 62
    /// `<BQqqqq`: timestamp, balance, equity, profit, margin level.
    public static let accountSize = 41
    /// The largest frame; a buffer of this size holds any frame.
    public static let maxSize = 62

    /// Packs the `kind` byte of ORDER and POSITION frames: low nibble the type,
    /// high nibble the state (both 0...15).
    @inlinable
    public static func kind(type: UInt8, state: UInt8) -> UInt8 {
        (state << 4) | (type & 0x0F)
    }

    // `storeBytes(of:toByteOffset:as:)` accepts unaligned offsets (SE-0349),
    // which the packed layout needs (e.g. the u64 at offset 5 of a TICK frame).

    @inline(__always)
    static func put<T: FixedWidthInteger>(_ p: UnsafeMutableRawPointer, _ offset: Int, _ value: T) {
        p.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }

    /// Writes a TICK frame at `p` (at least `tickSize` bytes); returns its size.
    @inline(__always)
    public static func encodeTick(
        into p: UnsafeMutableRawPointer, symbolID: UInt32, time: UInt64,
        bid: Int64, ask: Int64
    ) -> Int {
        put(p, 0, BroadcastTopic.tick.rawValue)
        put(p, 1, symbolID)
        put(p, 5, time)
        put(p, 13, bid)
        put(p, 21, ask)
        return tickSize
    }

    /// Writes a BAR frame at `p` (at least `barSize` bytes); returns its size.
    @inline(__always)
    public static func encodeBar(
        into p: UnsafeMutableRawPointer, symbolID: UInt32, timeframe: UInt16,
        time: UInt64, open: Int64, high: Int64, low: Int64, close: Int64,
        volume: UInt64
    ) -> Int {
        put(p, 0, BroadcastTopic.bar.rawValue)
        put(p, 1, symbolID)
        put(p, 5, timeframe)
        put(p, 7, time)
        put(p, 15, open)
        put(p, 23, high)
        put(p, 31, low)
        put(p, 39, close)
        put(p, 47, volume)
        return barSize
    }

    /// Writes a TRADE frame at `p` (at least `tradeSize` bytes); returns its size.
    @inline(__always)
    public static func encodeTrade(
        into p: UnsafeMutableRawPointer, ticket: UInt64, symbolID: UInt32,
        time: UInt64, volume: UInt64, price: Int64, profit: Int64
    ) -> Int {
        put(p, 0, BroadcastTopic.trade.rawValue)
        put(p, 1, ticket)
        put(p, 9, symbolID)
        put(p, 13, time)
        put(p, 21, volume)
        put(p, 29, price)
        put(p, 37, profit)
        return tradeSize
    }

    /// Writes a ORDER frame at `p` (at least `orderSize` bytes); returns its size.
    @inline(__always)
    public static func encodeOrder(
        into p: UnsafeMutableRawPointer, ticket: UInt64, symbolID: UInt32,
        time: UInt64, kind: UInt8, volume: UInt64, price: Int64
    ) -> Int {
        put(p, 0, BroadcastTopic.order.rawValue)
        put(p, 1, ticket)
        put(p, 9, symbolID)
        put(p, 13, time)
        put(p, 21, kind)
        put(p, 22, volume)
        put(p, 30, price)
        return orderSize
    }

    /// Writes a EQUITY frame at `p` (at least `equitySize` bytes); returns its size.
    @inline(__always)
    public static func encodeEquity(
        into p: UnsafeMutableRawPointer, time: UInt64, balance: Int64,
        equity: Int64, margin: Int64, freeMargin: Int64
    ) -> Int {
        put(p, 0, BroadcastTopic.equity.rawValue)
        put(p, 1, time)
        put(p, 9, balance)
        put(p, 17, equity)
        put(p, 25, margin)
        put(p, 33, freeMargin)
        return equitySize
    }

    /// Writes a MARGIN frame at `p` (at least `marginSize` bytes); returns its size.
    @inline(__always)
    public static func encodeMargin(
        into p: UnsafeMutableRawPointer, time: UInt64, margin: Int64,
        freeMargin: Int64, marginLevel: Int64, event: UInt8
    ) -> Int {
        put(p, 0, BroadcastTopic.margin.rawValue)
        put(p, 1, time)
        put(p, 9, margin)
        put(p, 17, freeMargin)
        put(p, 25, marginLevel)
        put(p, 33, event)
        return marginSize
    }

    /// Writes a POSITION frame at `p` (at least `positionSize` bytes); returns its size.
    @inline(__always)
    public static func encodePosition(
        into p: UnsafeMutableRawPointer, ticket: UInt64, symbolID: UInt32,
        time: UInt64, kind: UInt8, volume: UInt64, openPrice: Int64,
        sl: Int64, tp: Int64, profit: Int64
    ) -> Int {
        put(p, 0, BroadcastTopic.position.rawValue)
        put(p, 1, ticket)
        put(p, 9, symbolID)
        put(p, 13, time)
        put(p, 21, kind)
        put(p, 22, volume)
        put(p, 30, openPrice)
        put(p, 38, sl)
        put(p, 46, tp)
        put(p, 54, profit)
        return positionSize
    }

    /// Writes a ACCOUNT frame at `p` (at least `accountSize` bytes); returns its size.
    @inline(__always)
    public static func encodeAccount(
        into p: UnsafeMutableRawPointer, time: UInt64, balance: Int64,
        equity: Int64, profit: Int64, marginLevel: Int64
    ) -> Int {
        put(p, 0, BroadcastTopic.account.rawValue)
        put(p, 1, time)
        put(p, 9, balance)
        put(p, 17, equity)
        put(p, 25, profit)
        put(p, 33, marginLevel)
        return accountSize
    }
}
