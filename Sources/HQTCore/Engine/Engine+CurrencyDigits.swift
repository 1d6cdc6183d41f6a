/// The account currency's digits: what goes into the balance (a deal's
/// profit and commission, and swaps) is rounded to them, as MT5 books money
/// (ACCOUNT_CURRENCY_DIGITS, "the number of decimal places in the account
/// currency, which are required for an accurate display of trading
/// results": https://www.mql5.com/en/docs/constants/environment_state/accountinformation).
/// Floating profit stays exact; only booked amounts are rounded, half away
/// from zero (MQL5's NormalizeDouble rule, and HQT's one rounding rule).
extension Engine {
    /// Default digits of a currency: ISO 4217's minor units for the
    /// currencies that do not have two (JPY, KRW, ... 0; BHD, KWD, ... 3),
    /// 2 for every other code, which is what MT5 servers give USD and EUR
    /// accounts.
    public static func defaultCurrencyDigits(_ code: String) -> Int32 {
        switch code.uppercased() {
        case "JPY", "KRW", "CLP", "ISK", "VND", "UGX", "PYG", "XOF", "XAF", "HUF": 0
        case "BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD": 3
        default: 2
        }
    }

    /// Digits money is booked in (0...6; 6 books it unrounded, as 0.1 did).
    public var currencyDigits: Int32 { accountState.currencyDigits }

    /// Sets the digits booked money is rounded to; only before the first order
    /// (deals already booked keep theirs).
    public func setCurrencyDigits(_ digits: Int32) throws(HQTError) {
        try checkNotRunning("set the currency digits")
        guard (0...6).contains(digits) else {
            throw HQTError(.invalidArgument, "currency digits must be 0...6, got \(digits)")
        }
        guard book.nextTicket == 1 else {
            throw HQTError(.state, "the currency digits can only be changed before the first order")
        }
        accountState.currencyDigits = digits
    }

    /// `amount` rounded to the account currency's digits (half away from
    /// zero). Amounts beyond ±maxBalance are returned as they are: the
    /// balance check refuses them anyway.
    @inline(__always)
    func bookedMoney(_ amount: Int64) -> Int64 {
        let unit = accountState.moneyUnit
        guard unit > 1, amount > -Engine.maxBalance * 2, amount < Engine.maxBalance * 2 else { return amount }
        return FixedPoint.divRound(amount, unit) * unit
    }
}
