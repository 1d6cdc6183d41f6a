import Glibc

/// A growable column of Int64 in manually managed memory. The run loop reads
/// loaded data through raw pointers, so it pays neither ARC nor exclusivity
/// checks per tick, and callbacks that re-enter the engine cannot invalidate
/// a buffer being iterated (loading is refused while a run is in progress).
///
/// The storage is malloc'd and grown with realloc: a large block is its own
/// mapping, which glibc moves with mremap, so growing a column neither copies
/// it nor holds it twice (a load in chunks stays near the data's size).
/// Large blocks ask for transparent huge pages: first-touching a loaded
/// column is otherwise one page fault per 4 KiB, which costs more than the
/// load's conversion and checks together.
final class Int64Column {
    private(set) var base: UnsafeMutablePointer<Int64>
    private(set) var count: Int = 0
    private var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(capacity, 16)
        // 16 values always fit: a failure here is the process running out
        // of memory, as any allocation would
        guard let raw = malloc(self.capacity * MemoryLayout<Int64>.stride) else {
            fatalError("out of memory")
        }
        base = raw.bindMemory(to: Int64.self, capacity: self.capacity)
    }

    deinit { free(base) }

    /// Makes room for `extra` more values without moving them again; false
    /// (nothing changed) when the memory cannot be had.
    func reserve(_ extra: Int) -> Bool {
        let (needed, over) = count.addingReportingOverflow(extra)
        guard !over, needed <= Int.max / 16 else { return false }
        guard needed > capacity else { return true }
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let bytes = newCapacity * MemoryLayout<Int64>.stride
        guard let raw = realloc(base, bytes) else { return false }
        if bytes >= HugePages.minimumBytes { HugePages.advise(raw, bytes: bytes) }
        base = raw.bindMemory(to: Int64.self, capacity: newCapacity)
        capacity = newCapacity
        return true
    }

    /// Appends a value; `reserve` must have made room.
    @inline(__always) func appendReserved(_ value: Int64) {
        base[count] = value
        count += 1
    }

    /// Where the next `reserve`d values go, for loops that write them
    /// directly and then `commit` how many they wrote.
    var end: UnsafeMutablePointer<Int64> { base + count }

    /// Counts `n` values written at `end` (within the reserved room).
    func commit(_ n: Int) { count += n }

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
/// (× 1e6, as the BAR frame documents). `price` is the price the bars
/// follow: bid (MT5's bars, the default), ask or mid.
struct BarBuilder {
    let symbolID: UInt32
    let timeframe: Timeframe
    /// .bid, .ask or .mid (buildBars refuses the others).
    let price: PriceSource
    var active = false
    var openTime: Int64 = 0
    var closeTime: Int64 = 0
    var open: Int64 = 0, high: Int64 = 0, low: Int64 = 0, close: Int64 = 0
    var ticks: Int64 = 0

    init(symbolID: UInt32, timeframe: Timeframe, price: PriceSource = .bid) {
        self.symbolID = symbolID
        self.timeframe = timeframe
        self.price = price
    }

    /// The same builder with no bar in progress (private copies that walk
    /// the data again: the re-feed of a resumed run).
    var restarted: BarBuilder { BarBuilder(symbolID: symbolID, timeframe: timeframe, price: price) }

    var bar: Bar {
        Bar(
            symbolID: symbolID, timeframe: timeframe, time: openTime, open: open, high: high,
            low: low, close: close, volume: ticks * FixedPoint.scale)
    }

    /// A tick's price for these bars. Mid is (bid + ask) / 2 rounded half
    /// up, which for prices (always > 0) is the engine's half away from
    /// zero; prices are at most 2e15 (a generated ask: bid + spread), so
    /// the sum cannot overflow.
    @inline(__always) func value(bid: Int64, ask: Int64) -> Int64 {
        if price == .bid { return bid }
        return price == .ask ? ask : (bid &+ ask &+ 1) >> 1
    }

    /// Adds a tick to the bar in progress (the caller has already closed it
    /// if the tick lies past its end).
    @inline(__always) mutating func add(time: Int64, bid: Int64, ask: Int64) {
        let p = value(bid: bid, ask: ask)
        if !active {
            active = true
            openTime = timeframe.openTime(containing: time)
            // A bar that would close past the last int64 nanosecond never closes.
            closeTime = timeframe.checkedCloseTime(opening: openTime) ?? .max
            open = p; high = p; low = p; close = p; ticks = 1
            return
        }
        if p > high { high = p }
        if p < low { low = p }
        close = p
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
