#if canImport(Glibc)
import Glibc
#endif

/// Summary of a backtest. Money in micro units; ratios as doubles.
public struct Statistics: Sendable, Equatable {
    public var initialBalance: Int64 = 0
    public var finalBalance: Int64 = 0
    public var finalEquity: Int64 = 0
    /// Final balance - initial balance - deposits + withdrawals.
    public var netProfit: Int64 = 0
    /// Sum of winning trades, after commission.
    public var grossProfit: Int64 = 0
    /// Sum of losing trades, after commission (<= 0).
    public var grossLoss: Int64 = 0
    public var totalCommission: Int64 = 0
    public var maxDrawdown: Int64 = 0
    public var maxDrawdownPct: Double = 0
    /// Gross profit / |gross loss|; 0 with neither, +infinity with no loss.
    public var profitFactor: Double = 0
    /// Mean / sample standard deviation of daily equity returns × sqrt(252).
    /// The first day's return is from the initial balance; NaN with fewer
    /// than two daily returns (a run inside one UTC day) or no variation.
    public var sharpeRatio: Double = .nan
    public var winRate: Double = 0
    public var totalTrades: Int64 = 0
    public var winningTrades: Int64 = 0
    public var losingTrades: Int64 = 0
    public var totalDeals: Int64 = 0
    public var ticksProcessed: Int64 = 0
    public var barsProcessed: Int64 = 0
    /// The MetaTrader 5 Strategy Tester report (docs/engine.md, "MT5 report").
    public var report = Report()

    public static func == (a: Statistics, b: Statistics) -> Bool {
        // Bitwise on doubles, so NaN == NaN (an undefined figure equals itself).
        withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    }
}

/// The figures of the MT5 Strategy Tester report, named after its labels.
/// Money in micro units: Int64 for sums and extremes that always exist,
/// Double for averages and for figures that may be undefined (NaN).
/// Percentages as 0...100. An undefined ratio is NaN, never 0.
public struct Report: Sendable, Equatable {
    // Profit.
    /// Gross profit + gross loss (closed trades, after commission).
    public var totalNetProfit: Int64 = 0
    public var grossProfit: Int64 = 0
    public var grossLoss: Int64 = 0
    /// Gross profit / |gross loss|; NaN with neither, +infinity with no loss.
    public var profitFactor: Double = .nan
    /// Total net profit / trades (micro units); NaN with no trades.
    public var expectedPayoff: Double = .nan
    /// Total net profit / equity drawdown maximal; NaN with no drawdown.
    public var recoveryFactor: Double = .nan
    /// HQT's Sharpe ratio (daily equity returns, annualised), as `Statistics`.
    public var sharpeRatio: Double = .nan
    /// (AHPR - 1) / sample standard deviation of the per-trade HPRs; NaN
    /// with fewer than two trades or no variation.
    public var sharpeRatioHpr: Double = .nan
    /// Mean of the per-trade holding period returns balance_i / balance_i-1.
    public var ahpr: Double = .nan
    /// Geometric mean of the HPRs: (final / initial trade balance)^(1/N).
    public var ghpr: Double = .nan
    /// Runs test over the win/loss sequence; NaN when undefined.
    public var zScore: Double = .nan
    /// 2 Φ(|Z|) - 1, percent.
    public var zScoreConfidence: Double = .nan
    /// Correlation of the trade balance curve with the trade number.
    public var lrCorrelation: Double = .nan
    /// Standard error of the balance around its regression line (micro units).
    public var lrStandardError: Double = .nan
    // Drawdown. Balance after each deal; equity at each equity-curve sample.
    public var balanceDrawdownAbsolute: Int64 = 0
    public var balanceDrawdownMaximal: Int64 = 0
    public var balanceDrawdownMaximalPct: Double = 0
    public var balanceDrawdownRelativePct: Double = 0
    public var balanceDrawdownRelative: Int64 = 0
    public var equityDrawdownAbsolute: Int64 = 0
    public var equityDrawdownMaximal: Int64 = 0
    public var equityDrawdownMaximalPct: Double = 0
    public var equityDrawdownRelativePct: Double = 0
    public var equityDrawdownRelative: Int64 = 0
    /// Lowest equity / margin × 100 over the equity-curve samples with margin
    /// in use; NaN if none.
    public var marginLevelMinimum: Double = .nan
    // Trades.
    public var totalTrades: Int64 = 0
    public var shortTrades: Int64 = 0
    public var shortTradesWonPct: Double = .nan
    public var longTrades: Int64 = 0
    public var longTradesWonPct: Double = .nan
    public var profitTrades: Int64 = 0
    public var profitTradesPct: Double = .nan
    public var lossTrades: Int64 = 0
    public var lossTradesPct: Double = .nan
    public var largestProfitTrade: Double = .nan
    public var largestLossTrade: Double = .nan
    public var averageProfitTrade: Double = .nan
    public var averageLossTrade: Double = .nan
    /// The longest run of winning trades (count) and its money.
    public var maxConsecutiveWins: Int64 = 0
    public var maxConsecutiveWinsMoney: Int64 = 0
    public var maxConsecutiveLosses: Int64 = 0
    public var maxConsecutiveLossesMoney: Int64 = 0
    /// The run of winning trades with the most money, and its count.
    public var maximalConsecutiveProfit: Int64 = 0
    public var maximalConsecutiveProfitCount: Int64 = 0
    public var maximalConsecutiveLoss: Int64 = 0
    public var maximalConsecutiveLossCount: Int64 = 0
    /// Mean length of the runs of winning (losing) trades; NaN with none.
    public var averageConsecutiveWins: Double = .nan
    public var averageConsecutiveLosses: Double = .nan

    public init() {}

    public static func == (a: Report, b: Report) -> Bool {
        // Bitwise on doubles, so NaN == NaN (an undefined figure equals itself).
        withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    }
}

/// Peak-to-trough drawdowns of a series, MT5's three figures.
struct Drawdowns {
    var absolute: Int64 = 0
    var maximal: Int64 = 0
    var maximalPct: Double = 0
    var relativePct: Double = 0
    var relative: Int64 = 0

    /// `start` first (the initial balance), then the series.
    init<S: Sequence>(start: Int64, _ values: S) where S.Element == Int64 {
        var peak = start
        var lowest = start
        for v in values {
            if v > peak { peak = v; continue }
            lowest = min(lowest, v)
            let dd = peak - v
            guard dd > 0 else { continue }
            // The division only where the percent may be a new maximum (a
            // loose bound, so the exact test below decides as before): this
            // loop runs over every equity sample.
            guard dd > maximal || Double(dd) * 100 >= relativePct * Double(peak) * (1 - 1e-9) else { continue }
            let pct = peak > 0 ? Double(dd) / Double(peak) * 100 : 0
            if dd > maximal { maximal = dd; maximalPct = pct }
            if pct > relativePct { relativePct = pct; relative = dd }
        }
        absolute = max(0, start - lowest)
    }
}

extension RunSnapshot {
    /// The run's statistics (`Engine.statistics(report:)` is this of a fresh
    /// snapshot); `report: false` leaves the MT5 report at its defaults.
    public func statistics(report withReport: Bool = true) -> Statistics {
        var s = Statistics()
        s.initialBalance = initialBalance
        s.finalBalance = balance
        s.finalEquity = equity
        s.netProfit = balance - initialBalance - netDeposits
        for t in trades {
            let net = t.netProfit
            if net > 0 {
                s.grossProfit += net; s.winningTrades += 1
            } else if net < 0 {
                s.grossLoss += net; s.losingTrades += 1
            }
        }
        s.totalCommission = deals.reduce(0) { $0 + $1.commission }
        s.totalTrades = Int64(trades.count)
        s.totalDeals = Int64(deals.count)
        s.winRate = trades.isEmpty ? 0 : Double(s.winningTrades) / Double(trades.count) * 100
        if s.grossLoss < 0 {
            s.profitFactor = Double(s.grossProfit) / Double(-s.grossLoss)
        } else {
            s.profitFactor = s.grossProfit > 0 ? .infinity : 0
        }
        s.maxDrawdown = maxDrawdown
        s.maxDrawdownPct = maxDrawdownPct
        s.sharpeRatio = Self.sharpe([initialBalance] + dailyEquity(), periodsPerYear: 252)
        s.ticksProcessed = ticksProcessed
        s.barsProcessed = barsProcessed
        if withReport { s.report = report(s) }
        return s
    }

    func report(_ s: Statistics) -> Report {
        var r = Report()
        // MT5's STAT_PROFIT = gross profit + gross loss: closed trades only (net
        // profit also counts the entry commission of positions still open).
        r.totalNetProfit = s.grossProfit + s.grossLoss
        r.grossProfit = s.grossProfit
        r.grossLoss = s.grossLoss
        r.profitFactor = s.grossProfit == 0 && s.grossLoss == 0 ? .nan : s.profitFactor
        r.sharpeRatio = s.sharpeRatio
        let nets = trades.map(\.netProfit)
        let n = Double(nets.count)
        r.totalTrades = Int64(nets.count)
        if !nets.isEmpty { r.expectedPayoff = Double(nets.reduce(0, +)) / n }

        // Drawdowns: balance after each deal, equity at each curve sample.
        let bal = Drawdowns(start: initialBalance, deals.lazy.map(\.balance))
        r.balanceDrawdownAbsolute = bal.absolute
        r.balanceDrawdownMaximal = bal.maximal
        r.balanceDrawdownMaximalPct = bal.maximalPct
        r.balanceDrawdownRelativePct = bal.relativePct
        r.balanceDrawdownRelative = bal.relative
        let eq = Drawdowns(start: initialBalance, equityCurve.lazy.map(\.equity))
        r.equityDrawdownAbsolute = eq.absolute
        r.equityDrawdownMaximal = eq.maximal
        r.equityDrawdownMaximalPct = eq.maximalPct
        r.equityDrawdownRelativePct = eq.relativePct
        r.equityDrawdownRelative = eq.relative
        if eq.maximal > 0 { r.recoveryFactor = Double(r.totalNetProfit) / Double(eq.maximal) }
        // Margin level at the equity-curve samples (as the equity drawdowns):
        // no cost on the tick path, and exact after a recovery (the curve is
        // in the snapshot).
        var minRatio = Double.infinity
        for p in equityCurve where p.margin > 0 {
            // Divides only where the ratio may be a new minimum (a loose bound).
            let bound = minRatio * Double(p.margin)
            guard Double(p.equity) <= bound + abs(bound) * 1e-9 + 1 else { continue }
            minRatio = min(minRatio, Double(p.equity) / Double(p.margin))
        }
        if minRatio.isFinite { r.marginLevelMinimum = minRatio * 100 }

        // Trades by side and outcome.
        var shortWon: Int64 = 0
        var longWon: Int64 = 0
        var largestWin = Int64.min
        var largestLoss = Int64.max
        for t in trades {
            let net = t.netProfit
            if t.side == .sell {
                r.shortTrades += 1; if net > 0 { shortWon += 1 }
            } else {
                r.longTrades += 1; if net > 0 { longWon += 1 }
            }
            if net > 0 { r.profitTrades += 1; largestWin = max(largestWin, net) }
            if net < 0 { r.lossTrades += 1; largestLoss = min(largestLoss, net) }
        }
        if r.shortTrades > 0 { r.shortTradesWonPct = Double(shortWon) / Double(r.shortTrades) * 100 }
        if r.longTrades > 0 { r.longTradesWonPct = Double(longWon) / Double(r.longTrades) * 100 }
        if !nets.isEmpty {
            r.profitTradesPct = Double(r.profitTrades) / n * 100
            r.lossTradesPct = Double(r.lossTrades) / n * 100
        }
        if r.profitTrades > 0 {
            r.largestProfitTrade = Double(largestWin)
            r.averageProfitTrade = Double(s.grossProfit) / Double(r.profitTrades)
        }
        if r.lossTrades > 0 {
            r.largestLossTrade = Double(largestLoss)
            r.averageLossTrade = Double(s.grossLoss) / Double(r.lossTrades)
        }

        // Runs of wins and losses; a trade with zero net profit ends a run.
        var winRuns: [(count: Int64, money: Int64)] = []
        var lossRuns: [(count: Int64, money: Int64)] = []
        var run = (count: Int64(0), money: Int64(0))
        var runSign = 0
        func endRun() {
            if runSign > 0 { winRuns.append(run) } else if runSign < 0 { lossRuns.append(run) }
            run = (0, 0); runSign = 0
        }
        for net in nets {
            let sign = net > 0 ? 1 : (net < 0 ? -1 : 0)
            if sign != runSign { endRun() }
            runSign = sign
            if sign != 0 { run.count += 1; run.money += net }
        }
        endRun()
        for w in winRuns {
            if w.count > r.maxConsecutiveWins { r.maxConsecutiveWins = w.count; r.maxConsecutiveWinsMoney = w.money }
            if w.money > r.maximalConsecutiveProfit {
                r.maximalConsecutiveProfit = w.money; r.maximalConsecutiveProfitCount = w.count
            }
        }
        for l in lossRuns {
            if l.count > r.maxConsecutiveLosses {
                r.maxConsecutiveLosses = l.count; r.maxConsecutiveLossesMoney = l.money
            }
            if l.money < r.maximalConsecutiveLoss {
                r.maximalConsecutiveLoss = l.money; r.maximalConsecutiveLossCount = l.count
            }
        }
        if !winRuns.isEmpty { r.averageConsecutiveWins = Double(r.profitTrades) / Double(winRuns.count) }
        if !lossRuns.isEmpty { r.averageConsecutiveLosses = Double(r.lossTrades) / Double(lossRuns.count) }

        // Z-score (runs test) over the wins and losses (zero trades left out).
        let w = Double(r.profitTrades)
        let l = Double(r.lossTrades)
        let nz = w + l
        let p = 2 * w * l
        if nz >= 2, p > 0 {
            // Runs counted over the sequence without the zero trades.
            var runs = 0.0
            var last = 0
            for net in nets where net != 0 {
                let sign = net > 0 ? 1 : -1
                if sign != last { runs += 1; last = sign }
            }
            let z = (nz * (runs - 0.5) - p) / (p * (p - nz) / (nz - 1)).squareRoot()
            if z.isFinite {
                r.zScore = z
                r.zScoreConfidence = erf(abs(z) / 2.0.squareRoot()) * 100
            }
        }

        // Balance over trades: b_0 = initial balance, b_i = b_i-1 + net_i.
        var b = [Double(initialBalance)]
        for net in nets { b.append(b[b.count - 1] + Double(net)) }
        if !nets.isEmpty, b.allSatisfy({ $0 > 0 }) {
            let hpr = (1..<b.count).map { b[$0] / b[$0 - 1] }
            r.ahpr = hpr.reduce(0, +) / n
            r.ghpr = pow(b[b.count - 1] / b[0], 1 / n)
            if hpr.count >= 2 {
                let v = hpr.reduce(0) { $0 + ($1 - r.ahpr) * ($1 - r.ahpr) } / (n - 1)
                if v > 0 { r.sharpeRatioHpr = (r.ahpr - 1) / v.squareRoot() }
            }
        }
        if b.count >= 2 {
            let m = Double(b.count)
            let xm = (m - 1) / 2
            let ym = b.reduce(0, +) / m
            var sxx = 0.0
            var syy = 0.0
            var sxy = 0.0
            for (i, y) in b.enumerated() {
                let dx = Double(i) - xm
                let dy = y - ym
                sxx += dx * dx; syy += dy * dy; sxy += dx * dy
            }
            if syy > 0 { r.lrCorrelation = sxy / (sxx * syy).squareRoot() }
            if b.count >= 3 { r.lrStandardError = (max(0, syy - sxy * sxy / sxx) / (m - 2)).squareRoot() }
        }
        return r
    }

    /// Last equity of each UTC day of the equity curve, oldest first.
    func dailyEquity() -> [Int64] {
        var result: [Int64] = []
        guard let first = equityCurve.first else { return result }
        // The day is recomputed only when a sample leaves the current one
        // (the curve is in time order): no division or array write per sample.
        // (Truncating division: before 1970 a "day" is not one window, so
        // there every sample takes the division.)
        func window(_ day: Int64) -> (Int64, Int64) {
            day >= 0 ? (day &* Timeframe.nsPerDay, day &* Timeframe.nsPerDay &+ Timeframe.nsPerDay) : (.max, .min)
        }
        var day = first.time / Timeframe.nsPerDay
        var (dayStart, dayEnd) = window(day)
        var lastEquity = first.equity
        for point in equityCurve {
            if point.time >= dayEnd || point.time < dayStart {
                let next = point.time / Timeframe.nsPerDay
                if next != day {
                    result.append(lastEquity)
                    day = next
                }
                (dayStart, dayEnd) = window(day)
            }
            lastEquity = point.equity
        }
        result.append(lastEquity)
        return result
    }

    static func sharpe(_ equity: [Int64], periodsPerYear: Double) -> Double {
        var returns: [Double] = []
        for i in 1..<max(equity.count, 1) where equity[i - 1] > 0 {
            returns.append(Double(equity[i]) / Double(equity[i - 1]) - 1)
        }
        guard returns.count >= 2 else { return .nan }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count - 1)
        guard variance > 0 else { return .nan }
        return mean / variance.squareRoot() * periodsPerYear.squareRoot()
    }
}
