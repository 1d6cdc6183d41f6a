/// Exact integer arithmetic in SPEC units (price, money and volume are all
/// scaled by 1e6). Every rounding in the engine goes through `mulDiv`, so one
/// rule (half away from zero) governs all of them.
public enum FixedPoint {
    /// 1.0 in SPEC micro units.
    public static let scale: Int64 = 1_000_000

    /// `a * b / d`, rounded half away from zero, computed without
    /// intermediate overflow. Saturates at the Int64 range (only reachable
    /// with absurd inputs, which validation rejects first).
    @inline(__always)
    public static func mulDiv(_ a: Int64, _ b: Int64, _ d: Int64) -> Int64 {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        if !overflow && p > Int64.min / 2 && p < Int64.max / 2 {
            return divRound(p, d)
        }
        return mulDivWide(a, b, d)
    }

    /// `n / d` rounded half away from zero; `d > 0` and `|n| < Int64.max / 2`.
    @inline(__always)
    public static func divRound(_ n: Int64, _ d: Int64) -> Int64 {
        let half = d / 2
        return n >= 0 ? (n + half) / d : -((-n + half) / d)
    }

    @inline(never)
    static func mulDivWide(_ a: Int64, _ b: Int64, _ d: Int64) -> Int64 {
        divRoundWide(Int128(a) * Int128(b), Int128(d))
    }

    /// `n / d` for 128-bit intermediates (`d > 0`), rounded half away from
    /// zero and saturated at the Int64 range.
    static func divRoundWide(_ n: Int128, _ d: Int128) -> Int64 {
        let half = d / 2
        return Int64(clamping: n >= 0 ? (n + half) / d : -((-n + half) / d))
    }

    /// Converts a float in natural units to micro units, rounding half away
    /// from zero; nil for NaN, infinities and values outside ±9.2e12.
    ///
    /// Rounds by truncating to an integer (one instruction) and looking at
    /// the fraction, which `scaled - whole` gives exactly: the same result as
    /// `rounded(.toNearestOrAwayFromZero)`, which x86-64 without SSE4.1 makes
    /// a libm call per value (a third of a float64 load's time).
    @inline(__always)
    public static func micro(_ value: Double) -> Int64? {
        let scaled = value * 1e6
        // false for NaN and infinities too; doubles this large are whole
        // numbers, so the bound holds before rounding as after it
        guard scaled > -9.2e18 && scaled < 9.2e18 else { return nil }
        let whole = Int64(scaled)  // toward zero
        let fraction = scaled - Double(whole)
        // without branches: whether a price's last digit rounds up is a coin
        // toss the branch predictor loses; |whole| < 9.2e18 leaves room for ±1
        let up: Int64 = fraction >= 0.5 ? 1 : 0
        let down: Int64 = fraction <= -0.5 ? 1 : 0
        return whole &+ up &- down
    }

    /// Micro units to a float, for messages.
    public static func double(_ micro: Int64) -> Double { Double(micro) / 1e6 }

    /// `12.345000` style rendering of a micro value for error messages,
    /// trailing zeros trimmed.
    public static func format(_ micro: Int64) -> String {
        let negative = micro < 0
        let magnitude = micro.magnitude
        var frac = String(magnitude % 1_000_000)
        while frac.count < 6 { frac = "0" + frac }
        while frac.hasSuffix("0") { frac.removeLast() }
        let whole = String(magnitude / 1_000_000)
        return (negative ? "-" : "") + whole + (frac.isEmpty ? "" : "." + frac)
    }
}
