/// A deal's commission under the symbol's commission model:
///
///   amount  = commission_per_lot × charged lots + commission_per_deal
///             (in `commission_currency`: deposit, or the symbol's profit
///             currency)
///           + commission_percent / 100 × charged lots × contract × price
///             (turnover, in the profit currency; for futures the contract
///             is tick_value / tick_size, MT5's futures profit multiplier)
///
/// where the charged lots are the part of the deal that `commission_entry`
/// charges: the entering volume ("in"), the exiting volume ("out") or both
/// (the default, 0.1's per-lot-each-side rule). A deal with no charged
/// volume pays nothing, not even the per-deal amount. Amounts in the profit
/// currency are converted like a loss (the unfavourable rate), and the
/// total is booked in the account currency's digits. These mirror the
/// MetaTrader 5 server's commission settings (per lot / per deal /
/// percent of turnover; charged on entry, exit or both) that a deal reports
/// in DEAL_COMMISSION (https://www.mql5.com/en/docs/constants/tradingconstants/dealproperties).
extension Engine {
    /// Commission (<= 0, account money) of a deal entering `inVolume` and
    /// leaving `outVolume` lots at `price`. The symbol's profit route must
    /// be prepared (it is before any deal).
    @inline(__always)
    func dealCommission(symbolID: UInt32, inVolume: Int64, outVolume: Int64, price: Int64) -> Int64 {
        // No commission model: every part below is 0 (0 converts and books
        // to 0), so the test is inlined and the model's arithmetic is not;
        // two or three calls per deal. The fields are read in place: a copy
        // of the spec retains and releases its names and sessions.
        let i = Int(symbolID)
        guard symbols[i].commissionPerLot != 0 || symbols[i].commissionPerDeal != 0 || symbols[i].commissionPercent != 0
        else { return 0 }
        return chargedCommission(symbolID: symbolID, inVolume: inVolume, outVolume: outVolume, price: price)
    }

    @inline(never)
    private func chargedCommission(symbolID: UInt32, inVolume: Int64, outVolume: Int64, price: Int64) -> Int64 {
        let spec = symbols[Int(symbolID)]
        let lots: Int64
        switch spec.commissionEntry {
        case .both: lots = inVolume + outVolume
        case .in: lots = inVolume
        case .out: lots = outVolume
        }
        guard lots > 0 else { return 0 }
        // Each part is capped at maxBalance (beyond it the balance check
        // refuses the deal anyway), so the sums below cannot overflow.
        let cap = Engine.maxBalance
        let fixed = min(FixedPoint.mulDiv(spec.commissionPerLot, lots, FixedPoint.scale) + spec.commissionPerDeal, cap)
        var percent: Int64 = 0
        if spec.commissionPercent > 0 {
            // Turnover (micro units) = lots × multiplier × price / 1e12, then
            // × percent / 1e8: validation's ranges keep every product inside
            // 128 bits (1e30 × 1e8 at most).
            let turnover =
                Int128(lots) * Int128(quotes[Int(symbolID)].contractSize) / 1_000_000 * Int128(max(price, 0))
                / 1_000_000
            percent = min(
                FixedPoint.divRoundWide(turnover * Int128(spec.commissionPercent), 100 * 1_000_000), cap)
        }
        let route = quotes[Int(symbolID)].profitRoute
        let charged: Int64
        switch spec.commissionCurrency {
        case .deposit: charged = -fixed + max(convertProfit(-percent, route: route), -cap)
        case .symbol: charged = convertProfit(-(fixed + percent), route: route)
        }
        return bookedMoney(max(charged, -2 * cap))
    }
}
