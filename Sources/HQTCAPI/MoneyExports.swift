import CHQTABI
import HQTCore

/// The money rules' C entry points (docs/engine.md, "Calculation modes"):
/// commission-model fields of hqt_symbol_spec_v2, the account currency's
/// digits, and close-by.

/// The commission fields appended to hqt_symbol_spec_v2 (zero: 0.1's model).
func readCommissionFields(_ c: hqt_symbol_spec_v2, into s: inout SymbolSpec) throws(HQTError) {
    guard let entry = CommissionEntry(rawValue: c.commission_entry) else {
        throw invalid(
            "spec.commission_entry must be HQT_COMMISSION_ENTRY_BOTH (0), _IN (1) or _OUT (2), got \(c.commission_entry)"
        )
    }
    guard let currency = CommissionCurrency(rawValue: c.commission_currency) else {
        throw invalid(
            "spec.commission_currency must be HQT_COMMISSION_CURRENCY_DEPOSIT (0) or _SYMBOL (1), got \(c.commission_currency)"
        )
    }
    s.commissionPerDeal = c.commission_per_deal
    s.commissionPercent = c.commission_percent
    s.commissionEntry = entry
    s.commissionCurrency = currency
}

@_cdecl("hqt_engine_set_currency_digits")
public func hqt_engine_set_currency_digits(_ handle: OpaquePointer?, _ digits: Int32) -> Int32 {
    status { () throws(HQTError) in try engine(handle).setCurrencyDigits(digits) }
}

@_cdecl("hqt_engine_currency_digits")
public func hqt_engine_currency_digits(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(HQTError) in try output(out, "out_digits").pointee = try engine(handle).currencyDigits }
}

@_cdecl("hqt_engine_close_by")
public func hqt_engine_close_by(_ handle: OpaquePointer?, _ ticket: UInt64, _ byTicket: UInt64) -> Int32 {
    status { () throws(HQTError) in try engine(handle).closeBy(ticket: ticket, byTicket: byTicket) }
}
