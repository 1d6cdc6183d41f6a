/// The rules of MarketDataRules.swift over a block of rows at a time, for the
/// engine's loads (a million bars or ticks a call).
///
/// Each function here is a fast screen that the compiler can turn into
/// straight-line (and, for the conversion, vector) code: no branch per value,
/// only a flag. A screen never decides an error itself: when it flags a
/// block, the caller runs the exact per-row rule (`tickViolation`,
/// `barViolation`, `micro`) over that block, so messages, codes and the
/// index named are the rule's. A screen must therefore flag every block in
/// which the rule would find something (it may flag more).
extension MarketDataRules {
    /// 1.5 × 2^52: for |x| < 2^51, x + this lies in [2^52, 2^53), where
    /// doubles are exactly the integers, so the sum is x rounded to an
    /// integer (to nearest, ties to even) and its bit pattern minus this
    /// one's is that integer.
    static let roundingBias = 6_755_399_441_055_744.0
    /// |x × 1e6| below this (2^50) is converted by the bias; every valid
    /// price (at most 1e15 micro units) is.
    static let biasLimit = 1_125_899_906_842_624.0

    /// `micro` of `count` doubles at `source`, written at `target`.
    @inline(__always)
    public static func micro(_ source: UnsafePointer<Double>, count n: Int, to target: UnsafeMutablePointer<Int64>) {
        if !biasedMicro(source, count: n, to: target) {
            for k in 0..<n { target[k] = micro(source[k]) }
        }
    }

    /// `micro` of `count` doubles, for values whose |x × 1e6| is below
    /// 2^50; false when some value is not (huge volumes, NaN, infinities),
    /// and the block must be converted by `micro` value by value.
    ///
    /// Double to Int64 has no vector instruction before AVX-512, so the
    /// rounding is done with the bias: ties come out to even, and are
    /// moved one step away from zero, which gives micro's half away from
    /// zero (`scaled - rounded` is exact: the two are within 0.5). Not
    /// inlined, and the flag returned rather than tested here: either
    /// keeps LLVM from vectorizing the loop (2.5x slower).
    @inline(never)
    static func biasedMicro(_ source: UnsafePointer<Double>, count n: Int, to target: UnsafeMutablePointer<Int64>)
        -> Bool
    {
        // locals: the loop is only vectorized with the constants in registers
        let bias = roundingBias, limit = biasLimit
        let biasBits = Int64(bitPattern: bias.bitPattern)
        var outside: Int64 = 0  // not a Bool: `||` keeps the loop from being vectorized
        for k in 0..<n {
            let scaled = source[k] * 1e6
            let biased = scaled + bias
            let rest = scaled - (biased - bias)  // in [-0.5, 0.5]
            let even = Int64(bitPattern: biased.bitPattern) &- biasBits
            let up: Int64 = rest == 0.5 && scaled > 0 ? 1 : 0
            let down: Int64 = rest == -0.5 && scaled < 0 ? 1 : 0
            target[k] = even &+ up &- down
            outside |= scaled.magnitude < limit ? 0 : 1  // NaN too
        }
        return outside == 0
    }

    /// False when `tickViolation` may find an error among `count` ticks
    /// following a tick at `previous` (>= 0); true when it finds none.
    @inline(__always)
    static func ticksPass(
        time: UnsafePointer<Int64>, bid: UnsafePointer<Int64>, ask: UnsafePointer<Int64>, count n: Int,
        previous: Int64
    ) -> Bool {
        let maxPrice = Engine.maxPrice  // a local: a global's address would be loaded per row
        var last = previous
        var signs: Int64 = 0
        for i in 0..<n {
            let t = time[i], b = bid[i], a = ask[i]
            // t itself: a negative t is below `last` but could wrap t - last
            signs |= t | (t &- last) | priceSigns(b, maxPrice) | priceSigns(a, maxPrice) | (a &- b)
            last = t
        }
        return signs >= 0
    }

    /// False when `barViolation` may find an error among `count` bars of a
    /// timeframe `length` ns long (not MN1, whose close is a calendar
    /// date) following a bar opening at `previousOpen` (>= 0, or -1: none);
    /// true when it finds none. Writes each bar's close time (open +
    /// length; meaningful only when true is returned).
    ///
    /// Every condition is a difference that is negative exactly when the
    /// rule fails, all OR-ed together: one sign test for the block, and
    /// subtractions and ORs that vectorize. The differences are wrapping
    /// but cannot wrap where they matter: in the first row that breaks a
    /// rule, the rows before it are good, and each difference is only
    /// relied on once the simpler terms beside it (t >= 0, t <= latestOpen,
    /// prices in 1...maxPrice) hold, which keeps it in range.
    @inline(__always)
    static func barsPass(
        time: UnsafePointer<Int64>, open: UnsafePointer<Int64>, high: UnsafePointer<Int64>,
        low: UnsafePointer<Int64>, close: UnsafePointer<Int64>, volume: UnsafePointer<Int64>, count n: Int,
        length: Int64, previousOpen: Int64, notBefore: Int64, closeTime: UnsafeMutablePointer<Int64>
    ) -> Bool {
        let latestOpen = Int64.max - length  // checkedCloseTime's overflow, for open times >= 0
        let floor = max(notBefore, 0)  // close times are > 0: a negative floor holds nothing back
        let maxPrice = Engine.maxPrice
        var last = previousOpen
        var signs: Int64 = 0
        for i in 0..<n {
            let t = time[i], o = open[i], h = high[i], l = low[i], c = close[i]
            let ct = t &+ length
            closeTime[i] = ct
            signs |= t | (latestOpen &- t) | (t &- last &- 1) | (ct &- floor)
            signs |= priceSigns(o, maxPrice) | priceSigns(h, maxPrice) | priceSigns(l, maxPrice)
            // (h >= o, o >= l give h >= l: no term of its own)
            signs |= priceSigns(c, maxPrice) | (h &- o) | (h &- c) | (o &- l) | (c &- l) | volume[i]
            last = t
        }
        return signs >= 0
    }

    /// Negative unless 0 < p <= maxPrice: p - 1 < 0 for p <= 0 but
    /// Int64.min (notFinite), for which maxPrice - p wraps below zero, as
    /// it is below zero for p > maxPrice.
    @inline(__always)
    static func priceSigns(_ p: Int64, _ maxPrice: Int64) -> Int64 {
        (p &- 1) | (maxPrice &- p)
    }
}
