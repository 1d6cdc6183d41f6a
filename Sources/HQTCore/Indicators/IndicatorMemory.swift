/// The part of an indicator that C and Python read in place, without a
/// call: the history ring of its values (layout = `hqt_indicator_view` in
/// include/hqt.h; every field 8 bytes, so Swift and C lay it out alike).
public struct IndicatorView {
    /// Values produced so far (one per update; NaN ones during warm-up).
    public var count: Int64
    /// Slots in the ring: the values readable, newest first.
    public var capacity: Int64
    /// Outputs per value (1, or 2–3 for STOCH, BBANDS, MACD, DONCHIAN).
    public var outputs: Int64
    /// Slot of the newest value.
    public var last: Int64
    /// Updates before the first value that is not NaN.
    public var warmup: Int64
    /// capacity × outputs doubles: output `o` of slot `s` at `s * outputs + o`.
    public var values: UnsafeMutablePointer<Double>
}

/// A fixed block of raw memory holding all of an indicator's state
/// (windows, sums, smoothing values, the history ring, the plot sketch),
/// so a snapshot is one copy of it and the update path never allocates.
/// Offsets are multiples of 16 (128-bit sums are stored aligned).
struct Slab {
    private(set) var size = 0
    mutating func take(_ bytes: Int) -> Int {
        let o = size
        size += (bytes + 15) & ~15
        return o
    }
}

/// The last `n` integer inputs with their exact sum (and sum of squares):
/// [position, count, sum: Int128, squares: Int128, n values].
struct IntWindow {
    let p: UnsafeMutableRawPointer
    let n: Int
    static func bytes(_ n: Int) -> Int { 48 + 8 * n }

    var count: Int { p.load(fromByteOffset: 8, as: Int.self) }
    var full: Bool { p.load(fromByteOffset: 8, as: Int.self) >= n }
    var sum: Int128 {
        get { p.load(fromByteOffset: 16, as: Int128.self) }
        nonmutating set { p.storeBytes(of: newValue, toByteOffset: 16, as: Int128.self) }
    }
    var squares: Int128 {
        get { p.load(fromByteOffset: 32, as: Int128.self) }
        nonmutating set { p.storeBytes(of: newValue, toByteOffset: 32, as: Int128.self) }
    }

    /// Adds `x`; returns the value it pushed out of the window, if any.
    @inline(__always)
    func push(_ x: Int64, squaring: Bool) -> Int64? {
        let pos = p.load(as: Int.self), count = p.load(fromByteOffset: 8, as: Int.self)
        let slot = p.advanced(by: 48 + 8 * pos)
        var evicted: Int64? = nil
        if count >= n {
            let old = slot.load(as: Int64.self)
            evicted = old
            sum -= Int128(old)
            if squaring { squares -= Int128(old) * Int128(old) }
        } else {
            p.storeBytes(of: count + 1, toByteOffset: 8, as: Int.self)
        }
        slot.storeBytes(of: x, as: Int64.self)
        sum += Int128(x)
        if squaring { squares += Int128(x) * Int128(x) }
        p.storeBytes(of: pos + 1 == n ? 0 : pos + 1, as: Int.self)
        return evicted
    }

    /// `push` without squares, for SMA's update: returns the new sum and
    /// whether the window is full. Wrapping arithmetic: |x| < 2^63 and
    /// n <= 2^20, so |sum| < 2^83 cannot overflow 128 bits, and `pos`,
    /// `count` stay within 0...n (checked when a snapshot is read).
    @inline(__always)
    func pushSum(_ x: Int64) -> (sum: Int128, full: Bool) {
        let pos = p.load(as: Int.self), count = p.load(fromByteOffset: 8, as: Int.self)
        let slot = p + (48 &+ 8 &* pos)
        var s = p.load(fromByteOffset: 16, as: Int128.self)
        if count >= n {
            s &-= Int128(slot.load(as: Int64.self))
        } else {
            p.storeBytes(of: count &+ 1, toByteOffset: 8, as: Int.self)
        }
        slot.storeBytes(of: x, as: Int64.self)
        s &+= Int128(x)
        p.storeBytes(of: s, toByteOffset: 16, as: Int128.self)
        let next = pos &+ 1
        p.storeBytes(of: next == n ? 0 : next, as: Int.self)
        return (s, count &+ 1 >= n)
    }
}

/// The last `n` doubles with their running sum, added and removed in
/// TA-Lib's order (TA_INT_SMA): the value leaving, then the one arriving.
struct RealWindow {
    let p: UnsafeMutableRawPointer
    let n: Int
    static func bytes(_ n: Int) -> Int { 32 + 8 * n }

    var count: Int { p.load(fromByteOffset: 8, as: Int.self) }
    var sum: Double { p.load(fromByteOffset: 16, as: Double.self) }

    @inline(__always)
    func push(_ x: Double) {
        let pos = p.load(as: Int.self), count = p.load(fromByteOffset: 8, as: Int.self)
        let slot = p.advanced(by: 32 + 8 * pos)
        var s = p.load(fromByteOffset: 16, as: Double.self)
        if count >= n {
            s -= slot.load(as: Double.self)
        } else {
            p.storeBytes(of: count + 1, toByteOffset: 8, as: Int.self)
        }
        slot.storeBytes(of: x, as: Double.self)
        p.storeBytes(of: s + x, toByteOffset: 16, as: Double.self)
        p.storeBytes(of: pos + 1 == n ? 0 : pos + 1, as: Int.self)
    }
}

/// Highest (or lowest) of the last `n` inputs in amortized O(1): a
/// monotonic queue of (update index, value) in a ring of `n` pairs:
/// [head, length, n pairs].
struct Extreme {
    let p: UnsafeMutableRawPointer
    let n: Int
    let highest: Bool
    static func bytes(_ n: Int) -> Int { 16 + 16 * n }

    @inline(__always) private func at(_ i: Int) -> UnsafeMutableRawPointer {
        p.advanced(by: 16 + 16 * (i >= n ? i - n : i))
    }

    /// Adds input number `t` (0, 1, ...) and returns the extreme of the window ending at it.
    @inline(__always)
    func push(_ t: Int64, _ x: Int64) -> Int64 {
        var head = p.load(as: Int.self), len = p.load(fromByteOffset: 8, as: Int.self)
        // Drop from the front what leaves the window (so at most n - 1 stay),
        // then from the back what `x` makes irrelevant.
        while len > 0 && at(head).load(as: Int64.self) <= t - Int64(n) {
            head = head + 1 == n ? 0 : head + 1
            len -= 1
        }
        while len > 0 {
            let v = at(head + len - 1).load(fromByteOffset: 8, as: Int64.self)
            if highest ? v > x : v < x { break }
            len -= 1
        }
        let back = at(head + len)
        back.storeBytes(of: t, as: Int64.self)
        back.storeBytes(of: x, toByteOffset: 8, as: Int64.self)
        len += 1
        p.storeBytes(of: head, as: Int.self)
        p.storeBytes(of: len, toByteOffset: 8, as: Int.self)
        return at(head).load(fromByteOffset: 8, as: Int64.self)
    }
}

extension Int128 {
    /// As a double; the 64-bit conversion when it fits (the usual case), which is cheaper.
    @inline(__always) var double: Double {
        let low = Int64(truncatingIfNeeded: self)
        if Int128(low) == self { return Double(low) }
        return Double(self)
    }
}
