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
    /// Mean / standard deviation of daily equity returns × sqrt(252); 0
    /// with fewer than two daily returns or no variation.
    public var sharpeRatio: Double = 0
    public var winRate: Double = 0
    public var totalTrades: Int64 = 0
    public var winningTrades: Int64 = 0
    public var losingTrades: Int64 = 0
    public var totalDeals: Int64 = 0
    public var ticksProcessed: Int64 = 0
    public var barsProcessed: Int64 = 0
}

extension Engine {
    public func statistics() -> Statistics {
        var s = Statistics()
        s.initialBalance = initialBalance
        s.finalBalance = balance
        s.finalEquity = equity
        s.netProfit = balance - initialBalance - accountState.netDeposits
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
        s.maxDrawdown = stats.maxDrawdown
        s.maxDrawdownPct = stats.maxDrawdownPct
        s.sharpeRatio = Engine.sharpe(dailyEquity(), periodsPerYear: 252)
        s.ticksProcessed = ticksProcessed
        s.barsProcessed = barsProcessed
        return s
    }

    /// Last equity of each UTC day of the equity curve, oldest first.
    func dailyEquity() -> [Int64] {
        var result: [Int64] = []
        var lastDay = Int64.min
        for point in equityCurve {
            let day = point.time / Timeframe.nsPerDay
            if day == lastDay {
                result[result.count - 1] = point.equity
            } else {
                result.append(point.equity); lastDay = day
            }
        }
        return result
    }

    static func sharpe(_ equity: [Int64], periodsPerYear: Double) -> Double {
        var returns: [Double] = []
        for i in 1..<max(equity.count, 1) where equity[i - 1] > 0 {
            returns.append(Double(equity[i]) / Double(equity[i - 1]) - 1)
        }
        guard returns.count >= 2 else { return 0 }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count - 1)
        guard variance > 0 else { return 0 }
        return mean / variance.squareRoot() * periodsPerYear.squareRoot()
    }
}
