/// What an indicator computes (values shared with the C ABI: `HQT_IND_*`).
public enum IndicatorKind: Int32, Sendable, CaseIterable {
    case sma = 1, ema, wma, rsi, atr, bbands, macd, stoch, donchian, stddev, highest, lowest

    /// Outputs per value, in TA-Lib's order (BBANDS upper/middle/lower,
    /// MACD macd/signal/hist, STOCH slowk/slowd; DONCHIAN upper/middle/lower).
    public var outputs: Int {
        switch self {
        case .bbands, .macd, .donchian: return 3
        case .stoch: return 2
        default: return 1
        }
    }

    /// TA-Lib's default parameters; a caller gives a prefix of them.
    var defaults: [Double] {
        switch self {
        case .sma, .ema, .wma, .highest, .lowest: return [30]
        case .rsi, .atr: return [14]
        case .bbands: return [5, 2, 2]
        case .macd: return [12, 26, 9]
        case .stoch: return [5, 3, 3]
        case .donchian: return [20]
        case .stddev: return [5, 1]
        }
    }

    /// Uses a bar's high, low and close (on ticks: the source price for all three).
    var usesRange: Bool { self == .atr || self == .stoch || self == .donchian }
}

/// The price an indicator reads: bid/ask/mid on ticks, open/high/low/close on bars.
public enum PriceSource: Int32, Sendable {
    case bid = 0, ask, mid, open, high, low, close
}

/// One declared indicator: kind, symbol, ticks (`timeframe` nil) or bars of
/// a timeframe, price source and parameters (TA-Lib's defaults for those
/// not given), and how many past values stay readable.
public struct IndicatorSpec: Equatable, Sendable {
    public var kind: IndicatorKind
    public var symbolID: UInt32
    public var timeframe: Timeframe?
    public var source: PriceSource
    public var params: [Double]
    public var history: Int

    /// The longest window any indicator keeps (its memory is allocated when
    /// declared); standard deviation and Bollinger bands stop at 10,000 so
    /// their exact 128-bit sums of squares cannot overflow at any price.
    public static let maxPeriod = 1_000_000
    public static let maxVariancePeriod = 10_000
    public static let maxHistory = 1_000_000

    /// Validates and completes `params` with the kind's defaults; `source`
    /// nil: bid on ticks, close on bars.
    public init(
        kind: IndicatorKind, symbolID: UInt32, timeframe: Timeframe?, source: PriceSource?, params: [Double],
        history: Int
    ) throws(HQTError) {
        let defaults = kind.defaults
        guard params.count <= defaults.count else {
            throw HQTError(
                .invalidArgument, "\(kind) takes at most \(defaults.count) parameter(s), got \(params.count)")
        }
        var full = defaults
        for (i, p) in params.enumerated() { full[i] = p }
        let src = source ?? (timeframe == nil ? .bid : .close)
        if timeframe == nil {
            guard src == .bid || src == .ask || src == .mid else {
                throw HQTError(.invalidArgument, "an indicator on ticks reads bid, ask or mid, not \(src)")
            }
        } else {
            guard src.rawValue >= PriceSource.open.rawValue else {
                throw HQTError(
                    .invalidArgument,
                    "an indicator on bars reads open, high, low or close (of the bars' bid, ask or mid), not \(src)")
            }
            if kind.usesRange && src != .close {
                throw HQTError(
                    .invalidArgument, "\(kind) on bars reads each bar's high, low and close: leave the source unset")
            }
        }
        guard history >= 1, history <= IndicatorSpec.maxHistory else {
            throw HQTError(.invalidArgument, "history must be 1...\(IndicatorSpec.maxHistory), got \(history)")
        }
        // Periods are whole numbers >= 1.
        let periodCount = (kind == .bbands || kind == .stddev) ? 1 : (kind == .macd || kind == .stoch ? 3 : 1)
        let limit = (kind == .bbands || kind == .stddev) ? IndicatorSpec.maxVariancePeriod : IndicatorSpec.maxPeriod
        for i in 0..<periodCount {
            let p = full[i]
            guard p.isFinite, p == p.rounded(), p >= 1, p <= Double(limit) else {
                throw HQTError(
                    .invalidArgument, "\(kind) period \(i + 1) must be a whole number in 1...\(limit), got \(p)")
            }
        }
        if kind == .macd && !(full[0] < full[1]) {
            throw HQTError(.invalidArgument, "MACD needs fast period < slow period, got \(full[0]) and \(full[1])")
        }
        if kind == .bbands || kind == .stddev {
            for d in full[1...] where !(d.isFinite && abs(d) <= 1e6) {
                throw HQTError(.invalidArgument, "\(kind) deviation multipliers must be finite, |d| <= 1e6, got \(d)")
            }
        }
        self.kind = kind
        self.symbolID = symbolID
        self.timeframe = timeframe
        self.source = src
        self.params = full
        self.history = history
    }

    /// Updates before the first value (TA-Lib's lookback + 1).
    var warmup: Int64 {
        let p = params.map { Int64($0) }
        switch kind {
        case .sma, .ema, .wma, .bbands, .stddev, .donchian, .highest, .lowest: return p[0]
        case .rsi, .atr: return p[0] + 1
        case .macd: return p[1] + p[2] - 1
        case .stoch: return p[0] + p[1] + p[2] - 2
        }
    }
}
