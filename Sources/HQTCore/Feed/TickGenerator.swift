/// How a run turns loaded bars into the prices the engine trades on: the
/// MetaTrader 5 Strategy Tester's tick models (docs/engine.md, "Tick models").
/// Raw values are the C ABI's `HQT_TICK_MODEL_*` and the byte journaled in
/// RUN_MARK records and snapshots: never reuse one.
public enum TickModel: Int32, Sendable, CaseIterable {
    /// Loaded ticks as they are (MT5 "Every tick based on real ticks");
    /// loaded bars, which hold no ticks, by the bar rule. The default:
    /// today's behaviour.
    case realTicks = 0
    /// Ticks generated inside each loaded M1 bar from its OHLC and tick
    /// volume (MT5 "Every tick").
    case everyTick = 1
    /// Four ticks per loaded M1 bar: open, the two extremes in MT5's order,
    /// close (MT5 "1 minute OHLC").
    case ohlcM1 = 2
    /// One tick per loaded bar, at its open (MT5 "Open prices only"); any
    /// timeframe.
    case openPrices = 3
    /// Every loaded bar, of any timeframe, by the bar rule alone: SL before
    /// TP when a bar crosses both (pessimistic), levels filled at the level
    /// or at the open when the bar opened beyond it. HQT's own model.
    case bars = 4

    /// The name used by Python and in messages.
    public var name: String {
        switch self {
        case .realTicks: "real_ticks"
        case .everyTick: "every_tick"
        case .ohlcM1: "ohlc_m1"
        case .openPrices: "open_prices"
        case .bars: "bars"
        }
    }

    public init?(name: String) {
        guard let m = TickModel.allCases.first(where: { $0.name == name }) else { return nil }
        self = m
    }

    /// Loaded bars become ticks under this model.
    var generatesTicks: Bool { self == .everyTick || self == .ohlcM1 || self == .openPrices }
    /// Only M1 bars can be turned into ticks under this model.
    var needsM1: Bool { self == .everyTick || self == .ohlcM1 }
}

/// Generates the ticks of one loaded bar (bid prices and times), integer
/// only and deterministic: the same bar always gives the same ticks, so a
/// re-run and a WAL recovery see exactly what the first run saw.
///
/// Source: "The Algorithm of Ticks' Generation within the Strategy Tester of
/// the MetaTrader 5 Terminal" (<https://www.mql5.com/en/articles/75>) and the
/// MetaTrader 5 help, "Real and Generated Ticks"
/// (<https://www.metatrader5.com/en/terminal/help/algotrading/tick_generation>):
/// tick volume 1 gives only the close, 2 gives open and close; with more,
/// the price runs open → the extreme on the far side of the close → the
/// other extreme → close (a rising bar visits its low first, a falling bar
/// its high first; a doji is taken as the opposite of the bar before it),
/// with the remaining ticks as a saw-tooth between those reference points.
/// The article gives the exact placement of its up to 11 reference points
/// only as figures; HQT keeps the four that define the path and spreads the
/// rest as described in `everyTick` (docs/engine.md says what differs).
public enum TickGenerator {
    /// At most this many ticks per bar (one per millisecond of a minute):
    /// bounds the scratch buffer a corrupt tick volume could ask for.
    public static let maxTicksPerBar = 60_000
    /// The length of an M1 bar in nanoseconds.
    static let minute: Int64 = 60_000_000_000

    /// Whether the bar is taken as rising: close above open; a doji is the
    /// opposite of the bar before it (`previousRising`; nil, none known:
    /// taken as falling, so a first doji counts as rising).
    @inline(__always)
    public static func rising(open: Int64, close: Int64, previousRising: Bool?) -> Bool {
        if close != open { return close > open }
        return !(previousRising ?? false)
    }

    /// The number of ticks `model` makes of a bar with `volume` (micro
    /// units: tick count × 1e6). A bar without a tick volume (< 1) is
    /// given the four OHLC ticks, so its range is still visited.
    @inline(__always)
    public static func tickCount(_ model: TickModel, volume: Int64) -> Int {
        switch model {
        case .openPrices: return 1
        case .ohlcM1: return 4
        case .everyTick:
            let n = volume / FixedPoint.scale
            return n < 1 ? 4 : Int(min(n, Int64(maxTicksPerBar)))
        case .realTicks, .bars: return 0
        }
    }

    /// Writes the bid prices of the bar's ticks into `prices` (reusing its
    /// capacity) and returns their count; tick `k`'s time is
    /// `time(ofTick: k, count:, open:)`. `point` is the symbol's price step:
    /// generated prices between reference points stay on it (when the bar's
    /// prices are) and inside the bar's low...high.
    public static func generate(
        _ model: TickModel, open o: Int64, high h: Int64, low l: Int64, close c: Int64, volume: Int64,
        rising: Bool, point: Int64, into prices: inout [Int64]
    ) -> Int {
        let n = tickCount(model, volume: volume)
        prices.removeAll(keepingCapacity: true)
        // The extremes in MT5's order: a rising bar goes down first.
        let first = rising ? l : h, second = rising ? h : l
        switch n {
        case 0: break
        case 1: prices.append(model == .openPrices ? o : c)
        case 2: prices.append(o); prices.append(c)
        case 3:
            // One extreme fits: the one farther from the open (the first on a tie).
            let far = abs(second - o) > abs(first - o) ? second : first
            prices.append(o); prices.append(far); prices.append(c)
        default:
            if model == .ohlcM1 {
                prices.append(o); prices.append(first); prices.append(second); prices.append(c)
            } else {
                everyTick(n, o, first, second, c, point: point, into: &prices)
            }
        }
        return n
    }

    /// The time of tick `k` of `count` in the bar opening at `open`: spread
    /// evenly over the minute from its open (so an OHLC bar's ticks are at
    /// :00, :15, :30 and :45 s). Open prices: the bar's open.
    @inline(__always)
    public static func time(ofTick k: Int, count: Int, open: Int64) -> Int64 {
        count <= 1 ? open : open + Int64(k) * (minute / Int64(count))
    }

    /// Every tick with n >= 4: the four reference points (open, first
    /// extreme, second extreme, close) each get a tick; the other n - 4 are
    /// shared among the three legs in proportion to their length (largest
    /// remainder, earlier leg first on a tie), and inside a leg they form a
    /// saw-tooth of two steps forward, one back.
    private static func everyTick(
        _ n: Int, _ o: Int64, _ e1: Int64, _ e2: Int64, _ c: Int64, point: Int64, into prices: inout [Int64]
    ) {
        let extra = n - 4
        let len0 = abs(e1 - o), len1 = abs(e2 - e1), len2 = abs(c - e2)
        let total = len0 + len1 + len2
        var share = (0, 0, 0)
        if total == 0 {
            share.1 = extra  // a flat bar: the extra ticks repeat its price
        } else {
            // A leg is up to 1e15 micro and extra up to 6e4: 128-bit products.
            let x = Int128(extra), t = Int128(total)
            let q0 = Int128(len0) * x, q1 = Int128(len1) * x, q2 = Int128(len2) * x
            share = (Int(q0 / t), Int(q1 / t), Int(q2 / t))
            var left = extra - share.0 - share.1 - share.2
            var r = (q0 % t, q1 % t, q2 % t)
            while left > 0 {
                if r.0 >= r.1 && r.0 >= r.2 {
                    share.0 += 1; r.0 = -1
                } else if r.1 >= r.2 {
                    share.1 += 1; r.1 = -1
                } else {
                    share.2 += 1; r.2 = -1
                }
                left -= 1
            }
        }
        prices.append(o)
        saw(from: o, to: e1, count: share.0, point: point, into: &prices)
        prices.append(e1)
        saw(from: e1, to: e2, count: share.1, point: point, into: &prices)
        prices.append(e2)
        saw(from: e2, to: c, count: share.2, point: point, into: &prices)
        prices.append(c)
    }

    /// `m` prices strictly between a and b (when they differ): at fractions
    /// j / (m + 1) of the way with j = 2, 1, 4, 3, 6, 5, ... (the last one
    /// capped at m), rounded toward `a` onto the point grid.
    @inline(__always)
    private static func saw(from a: Int64, to b: Int64, count m: Int, point: Int64, into prices: inout [Int64]) {
        guard m > 0 else { return }
        let step = point > 0 && (b - a) % point == 0 ? point : 1
        let steps = (b - a) / step
        for k in 1...m {
            let j = k & 1 == 1 ? min(k + 1, m) : k - 1
            // 128-bit: up to 1e15 steps times j up to 6e4.
            prices.append(a + Int64(Int128(steps) * Int128(j) / Int128(m + 1)) * step)
        }
    }
}
