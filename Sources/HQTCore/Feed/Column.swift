/// A growable column of Int64 in manually managed memory. The run loop reads
/// loaded data through raw pointers, so it pays neither ARC nor exclusivity
/// checks per tick, and callbacks that re-enter the engine cannot invalidate
/// a buffer being iterated (loading is refused while a run is in progress).
final class Int64Column {
    private(set) var base: UnsafeMutablePointer<Int64>
    private(set) var count: Int = 0
    private var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `extra` more values without moving them again.
    func reserve(_ extra: Int) {
        let needed = count + extra
        guard needed > capacity else { return }
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let fresh = UnsafeMutablePointer<Int64>.allocate(capacity: newCapacity)
        fresh.moveInitialize(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    /// Appends a value; `reserve` must have made room.
    @inline(__always) func appendReserved(_ value: Int64) {
        base[count] = value
        count += 1
    }

    /// Drops everything after the first `newCount` values (undo of a
    /// failed, partly converted load).
    func truncate(to newCount: Int) { count = min(count, newCount) }

    @inline(__always) subscript(i: Int) -> Int64 { base[i] }

    var last: Int64? { count > 0 ? base[count - 1] : nil }
}

/// The position of the next item to run in a series, in raw memory so the
/// feed's merge can advance it without going through the series object.
final class SeriesCursor {
    let pointer = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    init() { pointer.initialize(to: 0) }
    deinit { pointer.deallocate() }
}

/// Ticks of one symbol, in time order, with the cursor of the next one to run.
final class TickSeries {
    let symbolID: UInt32
    let time = Int64Column(), bid = Int64Column(), ask = Int64Column()
    let cursorStorage = SeriesCursor()
    /// Hashes of the processed data for checkpoints (DataFingerprint.swift).
    let fingerprintProgress = FingerprintProgress()
    var cursor: Int {
        get { cursorStorage.pointer.pointee }
        set { cursorStorage.pointer.pointee = newValue }
    }
    init(symbolID: UInt32) { self.symbolID = symbolID }
    var count: Int { time.count }
    var remaining: Int { time.count - cursor }
}

/// Bars of one symbol and timeframe, in time order.
final class BarSeries {
    let symbolID: UInt32
    let timeframe: Timeframe
    let time = Int64Column(), open = Int64Column(), high = Int64Column()
    let low = Int64Column(), close = Int64Column(), volume = Int64Column()
    /// Close time of each bar: the moment the bar becomes known to the feed.
    let closeTime = Int64Column()
    let cursorStorage = SeriesCursor()
    /// Hashes of the processed data for checkpoints (DataFingerprint.swift).
    let fingerprintProgress = FingerprintProgress()
    var cursor: Int {
        get { cursorStorage.pointer.pointee }
        set { cursorStorage.pointer.pointee = newValue }
    }
    init(symbolID: UInt32, timeframe: Timeframe) { self.symbolID = symbolID; self.timeframe = timeframe }
    var count: Int { time.count }
    var remaining: Int { time.count - cursor }
    var columns: [Int64Column] { [time, open, high, low, close, volume, closeTime] }

    func bar(at i: Int) -> Bar {
        Bar(
            symbolID: symbolID, timeframe: timeframe, time: time[i], open: open[i], high: high[i],
            low: low[i], close: close[i], volume: volume[i])
    }
}

/// Builds bars of one timeframe from a symbol's ticks. Volume counts ticks
/// (× 1e6, as the BAR frame documents).
struct BarBuilder {
    let symbolID: UInt32
    let timeframe: Timeframe
    var active = false
    var openTime: Int64 = 0
    var closeTime: Int64 = 0
    var open: Int64 = 0, high: Int64 = 0, low: Int64 = 0, close: Int64 = 0
    var ticks: Int64 = 0

    init(symbolID: UInt32, timeframe: Timeframe) {
        self.symbolID = symbolID
        self.timeframe = timeframe
    }

    var bar: Bar {
        Bar(
            symbolID: symbolID, timeframe: timeframe, time: openTime, open: open, high: high,
            low: low, close: close, volume: ticks * FixedPoint.scale)
    }

    /// Adds a tick's bid to the bar in progress (the caller has already
    /// closed it if the tick lies past its end).
    @inline(__always) mutating func add(time: Int64, bid: Int64) {
        if !active {
            active = true
            openTime = timeframe.openTime(containing: time)
            // A bar that would close past the last int64 nanosecond never closes.
            closeTime = timeframe.checkedCloseTime(opening: openTime) ?? .max
            open = bid; high = bid; low = bid; close = bid; ticks = 1
            return
        }
        if bid > high { high = bid }
        if bid < low { low = bid }
        close = bid
        ticks += 1
    }
}

/// A growable list of Int32 in manually managed memory (symbol ids the
/// tick path walks).
final class Int32Buffer {
    private(set) var base: UnsafeMutablePointer<Int32>
    private(set) var count = 0
    private var capacity = 16

    init() { base = .allocate(capacity: capacity) }
    deinit { base.deallocate() }

    func removeAll() { count = 0 }

    func append(_ value: Int32) {
        if count == capacity {
            let fresh = UnsafeMutablePointer<Int32>.allocate(capacity: capacity * 2)
            fresh.moveInitialize(from: base, count: count)
            base.deallocate()
            base = fresh
            capacity *= 2
        }
        base[count] = value
        count += 1
    }
}
