import Testing

@testable import HQTCore

// Issue 9 item 6, the money rules (docs/engine.md, "Calculation modes"):
//  - booked money (deal profit, commission) is rounded to the account
//    currency's digits, half away from zero (ACCOUNT_CURRENCY_DIGITS,
//    https://www.mql5.com/en/docs/constants/environment_state/accountinformation);
//    floating profit stays exact;
//  - profit in another currency is converted at the rate unfavourable to the
//    trader: a profit sells the currency (XA bid / AX ask), a loss buys it
//    (XA ask / AX bid) — SYMBOL_TRADE_TICK_VALUE_PROFIT / _LOSS,
//    https://www.mql5.com/en/docs/constants/environment_state/marketinfoconstants;
//  - commission per lot / per deal / percent of turnover, on entries, exits
//    or both, in deposit or symbol currency;
//  - close_by: two OUT_BY deals at the by-position's open price
//    (https://www.mql5.com/en/docs/constants/tradingconstants/enum_trade_request_actions,
//    .../dealproperties).
// Raw profit = price difference × volume × contract (100 000 units a lot).
@Suite struct MoneyRulesTests {
    // MARK: currency digits

    @Test func defaultDigitsFollowTheCurrency() throws {
        #expect(try makeEngine().currencyDigits == 2)
        #expect(try makeEngine(currency: "EUR").currencyDigits == 2)
        #expect(try makeEngine(currency: "JPY").currencyDigits == 0)
        #expect(try makeEngine(currency: "KWD").currencyDigits == 3)
    }

    @Test func dealProfitIsBookedInCentsWhileFloatingStaysExact() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("USDJPY", digits: 3))
        try e.tick(at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.buy(symbolID: 0, volume: LOT)  // at 150.020
        try e.tick(at: 2 * SEC, bid: 151_000_000, ask: 151_020_000)
        // (151.000 - 150.020) × 100 000 = 98 000 JPY, a profit: / ask 151.020
        // = 648.920672... USD; floating exact (micro), booked 648.92
        #expect(e.positions[0].profit == 648_920_673)
        try e.close(ticket: 1)
        #expect(e.deals[1].profit == 648_920_000)
        #expect(e.trades[0].profit == 648_920_000)
        #expect(e.balance == 10_648_920_000)
    }

    @Test func aJpyAccountBooksWholeYen() throws {
        let e = try makeEngine(balance: 1_000_000 * U, currency: "JPY")
        try e.addSymbol(fx("EURUSD"))  // 0
        try e.addSymbol(fx("USDJPY", digits: 3))  // 1
        try e.addSymbol(fx("EURJPY", digits: 3))  // 2 (EURUSD's margin, in EUR)
        try e.tick(1, at: SEC, bid: 150_123_000, ask: 150_143_000)
        try e.tick(2, at: SEC, bid: 165_000_000, ask: 165_020_000)
        try e.tick(0, at: SEC, bid: 1_100_000, ask: 1_100_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.tick(0, at: 2 * SEC, bid: 1_100_500, ask: 1_100_500)
        try e.close(ticket: 1)
        // 0.00050 × 100 000 = 50 USD, a profit: × USDJPY bid 150.123
        // = 7 506.15 JPY -> 7 506 (JPY has 0 digits)
        #expect(e.deals[1].profit == 7_506 * U)
        #expect(e.balance == 1_007_506 * U)
    }

    @Test func halfACentRoundsAwayFromZero() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(commission: 10_000))  // 0.01 USD per lot
        try e.tick(at: SEC, bid: 1_000_000)
        try e.buy(symbolID: 0, volume: 500_000)
        // 0.01 × 0.5 = 0.005 USD -> 0.01 (half away from zero)
        #expect(e.deals[0].commission == -10_000 && e.balance == 9_999_990_000)
    }

    @Test func currencyDigitsAreSetBeforeTheFirstOrderOnly() throws {
        let e = try makeEngine()
        #expect(throws: HQTError.self) { try e.setCurrencyDigits(7) }
        #expect(throws: HQTError.self) { try e.setCurrencyDigits(-1) }
        try e.setCurrencyDigits(4)
        #expect(e.currencyDigits == 4)
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        let error = #expect(throws: HQTError.self) { try e.setCurrencyDigits(2) }
        #expect(error?.code == .state)
    }

    @Test func nonDefaultDigitsChangeTheFingerprintDefaultsDoNot() throws {
        let a = try makeEngine(), b = try makeEngine()
        try b.setCurrencyDigits(2)  // the default: same configuration
        #expect(a.configurationFingerprint == b.configurationFingerprint)
        try b.setCurrencyDigits(3)
        #expect(a.configurationFingerprint != b.configurationFingerprint)
    }

    // MARK: unfavourable conversion

    @Test func aLossDividedByTheConverterUsesItsBid() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("USDJPY", digits: 3))
        try e.tick(at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.sell(symbolID: 0, volume: LOT)  // at 150.000
        try e.tick(at: 2 * SEC, bid: 151_000_000, ask: 151_020_000)
        // (150.000 - 151.020) × 100 000 = -102 000 JPY, a loss: buying JPY
        // sells USDJPY at its bid 151.000: 675.496688... (at the ask, as a
        // profit would be, it would be 675.407231...)
        #expect(e.positions[0].profit == -675_496_689)
        try e.close(ticket: 1)
        #expect(e.deals[1].profit == -675_500_000)
    }

    @Test func aLossMultipliedByTheConverterUsesItsAsk() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("EURGBP"))  // 0
        try e.addSymbol(fx("GBPUSD"))  // 1
        try e.addSymbol(fx("EURUSD"))  // 2 (margin in EUR)
        try e.tick(1, at: SEC, bid: 1_250_000, ask: 1_250_200)
        try e.tick(2, at: SEC, bid: 1_100_000, ask: 1_100_200)
        try e.tick(0, at: SEC, bid: 850_000, ask: 850_200)
        try e.buy(symbolID: 0, volume: LOT)  // at 0.85020
        try e.tick(0, at: 2 * SEC, bid: 845_200, ask: 845_400)
        try e.close(ticket: 1)
        // (0.84520 - 0.85020) × 100 000 = -500 GBP, a loss: buying GBP at
        // GBPUSD's ask 1.2502 = -625.10 USD (at the bid: -625.00)
        #expect(e.deals[1].profit == -625_100_000)
    }

    @Test func hedgedLegsAreConvertedEachByItsOwnSign() throws {
        let e = try makeEngine()
        try e.addSymbol(fx("USDJPY", digits: 3))
        try e.tick(at: SEC, bid: 150_000_000, ask: 150_000_000)
        try e.buy(symbolID: 0, volume: LOT)  // at 150.000
        try e.sell(symbolID: 0, volume: LOT)  // at 150.000
        try e.tick(at: 2 * SEC, bid: 151_000_000, ask: 151_100_000)
        // buy:  (151.000 - 150.000) × 100 000 = +100 000 JPY / ask 151.100 = 661.813369...
        // sell: (150.000 - 151.100) × 100 000 = -110 000 JPY / bid 151.000 = -728.476821...
        #expect(e.positions.map(\.profit) == [661_813_369, -728_476_821])
        // the account's floating profit sums each side converted on its own
        #expect(e.floatingProfit == 661_813_369 - 728_476_821)
    }

    // MARK: commission models

    func usd(_ configure: (inout SymbolSpec) -> Void) throws -> Engine {
        let e = try makeEngine()
        var s = usdSymbol()
        configure(&s)
        try e.addSymbol(s)
        try e.tick(at: SEC, bid: 1_200_000)
        return e
    }

    @Test func perDealCommissionOnEntriesOnly() throws {
        let e = try usd {
            $0.commissionPerDeal = 3 * U; $0.commissionEntry = .in
        }
        try e.buy(symbolID: 0, volume: 500_000)
        try e.close(ticket: 1)
        // 3 USD on the entry deal whatever its volume, nothing on the exit
        #expect(e.deals.map(\.commission) == [-3 * U, 0])
        #expect(e.trades[0].commission == -3 * U && e.balance == 9_997 * U)
    }

    @Test func perLotCommissionOnExitsOnly() throws {
        let e = try usd {
            $0.commissionPerLot = 7 * U; $0.commissionEntry = .out
        }
        try e.buy(symbolID: 0, volume: 2 * LOT)
        try e.close(ticket: 1, volume: LOT)
        #expect(e.deals.map(\.commission) == [0, -7 * U])
        #expect(e.positions[0].commission == 0)
    }

    @Test func percentOfTurnoverOnBothSides() throws {
        let e = try usd { $0.commissionPercent = 10_000 }  // 0.01 %
        try e.buy(symbolID: 0, volume: LOT)  // at 1.20000
        // turnover 1 × 100 000 × 1.2 = 120 000 USD × 0.01 % = 12 USD
        #expect(e.deals[0].commission == -12 * U)
        try e.tick(at: 2 * SEC, bid: 1_250_070)
        try e.close(ticket: 1)
        // 125 007 × 0.0001 = 12.5007 -> 12.50
        #expect(e.deals[1].commission == -12_500_000)
        #expect(e.trades[0].commission == -24_500_000)
    }

    @Test func commissionInTheSymbolCurrencyIsConvertedLikeALoss() throws {
        let e = try makeEngine()
        var s = fx("USDJPY", digits: 3)
        s.commissionPerLot = 1_000 * U  // 1 000 JPY per lot
        s.commissionCurrency = .symbol
        try e.addSymbol(s)
        try e.tick(at: SEC, bid: 149_000_000, ask: 151_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        // 1 000 JPY bought with USD: USDJPY's bid 149.000 -> 6.711409 -> 6.71
        // (at the ask it would be 6.62)
        #expect(e.deals[0].commission == -6_710_000)
    }

    @Test func aNettingReversalWithEntryInChargesOnlyTheOpenedExcess() throws {
        let e = try usd {
            $0.commissionPerLot = 7 * U; $0.commissionEntry = .in
        }
        try e.setAccountMode(.netting)
        try e.buy(symbolID: 0, volume: LOT)  // entry: -7
        try e.sell(symbolID: 0, volume: 3 * LOT)
        // the INOUT deal exits 1 lot (not charged) and enters 2: 7 x 2 = 14
        #expect(e.deals[1].entry == .inOut && e.deals[1].commission == -14 * U)
        // the closed trade: its entry 7 + an exit of 0; the new position holds 14
        #expect(e.trades[0].commission == -7 * U)
        #expect(e.positions[0].commission == -14 * U)
    }

    @Test func badCommissionFieldsAreRefused() throws {
        let e = try makeEngine()
        var s = usdSymbol()
        s.commissionPercent = 101 * U
        #expect(throws: HQTError.self) { try e.addSymbol(s) }
        s.commissionPercent = 0
        s.commissionPerDeal = -1
        #expect(throws: HQTError.self) { try e.addSymbol(s) }
    }

    @Test func commissionFieldsEnterTheFingerprintOnlyWhenSet() throws {
        let a = try makeEngine(), b = try makeEngine(), c = try makeEngine()
        try a.addSymbol(usdSymbol())
        var s = usdSymbol()
        s.commissionEntry = .both
        s.commissionCurrency = .deposit
        try b.addSymbol(s)
        #expect(a.configurationFingerprint == b.configurationFingerprint)
        s.commissionEntry = .in
        try c.addSymbol(s)
        #expect(a.configurationFingerprint != c.configurationFingerprint)
    }

    // MARK: close by

    func hedged() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: SEC, bid: 1_000_000, ask: 1_000_200)
        try e.buy(symbolID: 0, volume: LOT)  // ticket 1 at 1.00020
        try e.tick(at: 2 * SEC, bid: 1_010_000, ask: 1_010_200)
        try e.sell(symbolID: 0, volume: 400_000)  // ticket 3 at 1.01000
        return e
    }

    @Test func closeByBooksTheLockedDifferenceWithoutASecondSpread() throws {
        let e = try hedged()
        try e.closeBy(ticket: 1, byTicket: 3)
        let out = Array(e.deals[2...])
        #expect(out.map(\.entry) == [.outBy, .outBy])
        #expect(out.map(\.position) == [1, 3])
        #expect(out.map(\.volume) == [400_000, 400_000])
        // both at the sell's open price 1.01000:
        // buy (1.01000 - 1.00020) × 40 000 = 392.00; sell 0
        #expect(out.map(\.price) == [1_010_000, 1_010_000])
        #expect(out.map(\.profit) == [392 * U, 0])
        #expect(out.map(\.ticket) == [6, 8])
        // closing both at market would also pay the sell's spread:
        // 392 - (1.01020 - 1.01000) × 40 000 = 384
        #expect(e.balance == 10_392 * U)
        #expect(e.positions.count == 1 && e.positions[0].ticket == 1 && e.positions[0].volume == 600_000)
        #expect(e.trades.count == 2)
    }

    @Test func closeByTheLargerPositionLeavesItsRest() throws {
        let e = try hedged()
        try e.closeBy(ticket: 3, byTicket: 1)
        // the sell (0.4 at 1.01000) closed at the buy's open price 1.00020:
        // (1.01000 - 1.00020) x 40 000 = 392; the buy's 0.4 at its own price: 0
        #expect(e.deals[2...].map(\.position) == [3, 1])
        #expect(e.deals[2...].map(\.price) == [1_000_200, 1_000_200])
        #expect(e.deals[2...].map(\.profit) == [392 * U, 0])
        #expect(e.positions.map(\.ticket) == [1] && e.positions[0].volume == 600_000)
    }

    @Test func closeByRefusesWhatMT5Refuses() throws {
        let e = try hedged()
        try e.buy(symbolID: 0, volume: LOT)  // ticket 5
        let before = snapshot(e)
        for (a, b) in [(1, 5), (1, 1), (1, 99), (99, 3)] as [(UInt64, UInt64)] {
            #expect(throws: HQTError.self) { try e.closeBy(ticket: a, byTicket: b) }
        }
        #expect(snapshot(e) == before)
        let n = try makeEngine()
        try n.addSymbol(usdSymbol())
        try n.setAccountMode(.netting)
        try n.tick(at: SEC, bid: 1_000_000)
        try n.buy(symbolID: 0, volume: LOT)
        let error = #expect(throws: HQTError.self) { try n.closeBy(ticket: 1, byTicket: 1) }
        #expect(error?.code == .state)
    }

    @Test func closeByAcrossSymbolsIsRefused() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("A"))
        try e.addSymbol(usdSymbol("B"))
        try e.tick(0, at: SEC, bid: 1_000_000)
        try e.tick(1, at: SEC, bid: 1_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.sell(symbolID: 1, volume: LOT)
        #expect(throws: HQTError.self) { try e.closeBy(ticket: 1, byTicket: 3) }
    }
}
