import CHQTABI
import HQTCore

// The MT5 tester report (hqt.h, "The MT5 tester report"): a sized output
// struct. The library writes the fields inside both the caller's
// struct_size and its own layout, and never struct_size itself.

/// Smallest struct_size: the size field alone; larger than any struct this
/// library will ever define: garbage, not a newer header.
private let reportSizeRange = MemoryLayout<Int>.size...4096

@_cdecl("hqt_report_init")
public func hqt_report_init(_ report: UnsafeMutablePointer<hqt_report>?, _ size: Int) -> Int32 {
    guard let report else { return fail(invalid("hqt_report_init: the struct pointer is NULL")) }
    guard reportSizeRange.contains(size) else {
        return fail(
            invalid("hqt_report_init: struct_size \(size) is not the size of an hqt_report: pass sizeof the struct"))
    }
    let raw = UnsafeMutableRawPointer(report)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    raw.storeBytes(of: size, as: Int.self)
    return Int32(HQT_OK)
}

@_cdecl("hqt_engine_report")
public func hqt_engine_report(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_report>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        try writeReport(into: out) { e.statistics().report }
    }
}

/// Checks `out` and its struct_size, then writes the fields of `report()`
/// that both layouts cover (hqt_engine_report, hqt_result_report).
func writeReport(into out: UnsafeMutablePointer<hqt_report>?, _ report: () -> Report) throws(HQTError) {
    let raw = UnsafeMutableRawPointer(try output(out, "out"))
    let size = raw.load(as: Int.self)
    guard reportSizeRange.contains(size) else {
        throw invalid(
            "out->struct_size is \(size), not the size of an hqt_report: set it with hqt_report_init(&r, sizeof r)")
    }
    var value = cReport(report(), size: size)
    let header = MemoryLayout<Int>.size
    let count = min(size, MemoryLayout<hqt_report>.size) - header
    withUnsafeBytes(of: &value) {
        raw.advanced(by: header).copyMemory(from: $0.baseAddress! + header, byteCount: count)
    }
}

private func cReport(_ r: Report, size: Int) -> hqt_report {
    hqt_report(
        struct_size: size,
        total_net_profit: r.totalNetProfit,
        gross_profit: r.grossProfit,
        gross_loss: r.grossLoss,
        profit_factor: r.profitFactor,
        expected_payoff: r.expectedPayoff,
        recovery_factor: r.recoveryFactor,
        sharpe_ratio: r.sharpeRatio,
        sharpe_ratio_hpr: r.sharpeRatioHpr,
        ahpr: r.ahpr,
        ghpr: r.ghpr,
        z_score: r.zScore,
        z_score_confidence: r.zScoreConfidence,
        lr_correlation: r.lrCorrelation,
        lr_standard_error: r.lrStandardError,
        balance_drawdown_absolute: r.balanceDrawdownAbsolute,
        balance_drawdown_maximal: r.balanceDrawdownMaximal,
        balance_drawdown_maximal_pct: r.balanceDrawdownMaximalPct,
        balance_drawdown_relative_pct: r.balanceDrawdownRelativePct,
        balance_drawdown_relative: r.balanceDrawdownRelative,
        equity_drawdown_absolute: r.equityDrawdownAbsolute,
        equity_drawdown_maximal: r.equityDrawdownMaximal,
        equity_drawdown_maximal_pct: r.equityDrawdownMaximalPct,
        equity_drawdown_relative_pct: r.equityDrawdownRelativePct,
        equity_drawdown_relative: r.equityDrawdownRelative,
        margin_level_minimum: r.marginLevelMinimum,
        total_trades: r.totalTrades,
        short_trades: r.shortTrades,
        short_trades_won_pct: r.shortTradesWonPct,
        long_trades: r.longTrades,
        long_trades_won_pct: r.longTradesWonPct,
        profit_trades: r.profitTrades,
        profit_trades_pct: r.profitTradesPct,
        loss_trades: r.lossTrades,
        loss_trades_pct: r.lossTradesPct,
        largest_profit_trade: r.largestProfitTrade,
        largest_loss_trade: r.largestLossTrade,
        average_profit_trade: r.averageProfitTrade,
        average_loss_trade: r.averageLossTrade,
        max_consecutive_wins: r.maxConsecutiveWins,
        max_consecutive_wins_money: r.maxConsecutiveWinsMoney,
        max_consecutive_losses: r.maxConsecutiveLosses,
        max_consecutive_losses_money: r.maxConsecutiveLossesMoney,
        maximal_consecutive_profit: r.maximalConsecutiveProfit,
        maximal_consecutive_profit_count: r.maximalConsecutiveProfitCount,
        maximal_consecutive_loss: r.maximalConsecutiveLoss,
        maximal_consecutive_loss_count: r.maximalConsecutiveLossCount,
        average_consecutive_wins: r.averageConsecutiveWins,
        average_consecutive_losses: r.averageConsecutiveLosses)
}
