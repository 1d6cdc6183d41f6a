import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Money": commission = commission_per_lot x volume / 1e6
// on every deal (entry and exit), charged to the balance at the deal, in
// account money; a closed trade carries its share of the entry commission
// plus its exit commission. TEST: USD/USD, zero spread, 7 USD per lot per side.
@Suite struct CommissionTests {
    func engine(commission: Int64 = 7 * U, netting: Bool = false) throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(commission: commission))
        if netting { try e.setAccountMode(.netting) }
        try e.tick(at: SEC, bid: 1_000_000)
        return e
    }

    @Test func entryAndExitAreBothCharged() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: 500_000)
        // 7 x 0.5 = 3.5 USD; balance 10 000 - 3.5 = 9 996.5
        #expect(e.deals[0].commission == -3_500_000 && e.deals[0].balance == 9_996_500_000)
        #expect(e.positions[0].commission == -3_500_000)
        #expect(e.account.balance == 9_996_500_000 && e.account.equity == 9_996_500_000)
        try e.tick(at: 2 * SEC, bid: 1_001_000)
        try e.close(ticket: 1)
        // profit 0.001 x 50 000 = 50; exit 3.5: balance 9 996.5 + 50 - 3.5 = 10 043
        #expect(e.deals[1].commission == -3_500_000 && e.deals[1].profit == 50 * U)
        #expect(e.account.balance == 10_043 * U)
        #expect(e.trades[0].commission == -7 * U && e.trades[0].profit == 50 * U && e.trades[0].netProfit == 43 * U)
        let s = e.statistics()
        #expect(s.totalCommission == -7 * U && s.netProfit == 43 * U && s.grossProfit == 43 * U)
    }

    @Test func partialClosesShareTheEntryCommission() throws {
        let e = try engine()
        try e.buy(symbolID: 0, volume: LOT)  // -7
        try e.close(ticket: 1, volume: 300_000)
        // exit 7 x 0.3 = 2.1; entry share 7 x 0.3 / 1 = 2.1: trade -4.2
        #expect(e.deals[1].commission == -2_100_000)
        #expect(e.trades[0].commission == -4_200_000)
        #expect(e.positions[0].commission == -4_900_000)  // -7 + 2.1
        try e.close(ticket: 1)
        // exit 7 x 0.7 = 4.9 + the remaining entry 4.9 = 9.8
        #expect(e.trades[1].commission == -9_800_000)
        // 10 000 - 7 - 2.1 - 4.9 = 9 986 (price unchanged)
        #expect(e.account.balance == 9_986 * U)
        #expect(e.statistics().totalCommission == -14 * U)
    }

    @Test func commissionRoundsHalfAwayFromZero() throws {
        let e = try engine(commission: 15)  // 0.000015 USD per lot
        // Money booked unrounded (6 digits), so the micro rounding shows;
        // with USD's default 2 digits the fee would book as 0.00.
        try e.setCurrencyDigits(6)
        try e.buy(symbolID: 0, volume: 100_000)
        // 15 x 100 000 / 1e6 = 1.5 -> 2 micro
        #expect(e.deals[0].commission == -2)
        #expect(e.account.balance == 10_000 * U - 2)
    }

    @Test func nettingAddsCommissionsAndSplitsTheReversalDeal() throws {
        let e = try engine(netting: true)
        try e.buy(symbolID: 0, volume: LOT)  // -7
        try e.buy(symbolID: 0, volume: LOT)  // -7
        #expect(e.positions[0].commission == -14 * U)
        try e.sell(symbolID: 0, volume: 3 * LOT)
        // deal fee 7 x 3 = 21; closing part 21 x 2 / 3 = 14; trade = entry 14 + 14 = 28
        #expect(e.deals[2].commission == -21 * U && e.deals[2].entry == .inOut)
        #expect(e.trades[0].commission == -28 * U)
        // the reversed position keeps 21 - 14 = 7 of entry commission
        #expect(e.positions[0].commission == -7 * U && e.positions[0].volume == LOT)
        // 10 000 - 7 - 7 - 21
        #expect(e.account.balance == 9_965 * U)
    }

    @Test func commissionIsInAccountMoneyWhateverTheProfitCurrency() throws {
        let e = try makeEngine()
        var spec = fx("USDJPY", digits: 3)
        spec.commissionPerLot = 5 * U
        try e.addSymbol(spec)
        try e.tick(at: SEC, bid: 150_000_000, ask: 150_020_000)
        try e.buy(symbolID: 0, volume: LOT)
        #expect(e.deals[0].commission == -5 * U && e.account.balance == 9_995 * U)
    }
}
