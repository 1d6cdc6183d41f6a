/// A quote. Prices in micro units, time in ns since the epoch.
public struct Tick: Sendable, Equatable {
    public var symbolID: UInt32
    public var time: Int64
    public var bid: Int64
    public var ask: Int64
    public init(symbolID: UInt32, time: Int64, bid: Int64, ask: Int64) {
        self.symbolID = symbolID; self.time = time; self.bid = bid; self.ask = ask
    }
}

/// An OHLC bar; `time` is its open time, prices are bid prices.
public struct Bar: Sendable, Equatable {
    public var symbolID: UInt32
    public var timeframe: Timeframe
    public var time: Int64
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var volume: Int64
    public init(
        symbolID: UInt32, timeframe: Timeframe, time: Int64, open: Int64, high: Int64,
        low: Int64, close: Int64, volume: Int64
    ) {
        self.symbolID = symbolID; self.timeframe = timeframe; self.time = time
        self.open = open; self.high = high; self.low = low; self.close = close; self.volume = volume
    }
}

/// One event for `Engine.process(_:)`.
public enum MarketEvent: Sendable {
    case tick(Tick)
    case bar(Bar)
}
