import Testing

@testable import HQTCore

// Swaps (docs/engine.md, "Swaps"; MT5: mql5.com/en/book/automation/symbols/
// symbols_swaps, ENUM_SYMBOL_SWAP_MODE and SYMBOL_SWAP_ROLLOVER3DAYS).
// One day's swap of a position of `lots`:
//   points:            swap × point × contract × lots, profit currency
//   base/margin/deposit currency: swap × lots in that currency
//   interest_current:  price now × contract × lots × swap / 100 / 360
//   interest_open:     open price × contract × lots × swap / 100 / 360
// converted to the account currency like profit; a rollover charges the
// day that ends at it: Saturday and Sunday nothing, `swap_rollover3days`
// three days. The swap stays on the position (equity) until a closing deal
// books it into the balance, inside the deal's and trade's profit.
//
// Calendar: 2024-01-01 (MONDAY below) was a Monday; the default rollover
// is 00:00, so the rollover at Tuesday 00:00 ends Monday.
@Suite struct SwapTests {
    static let monday: Int64 = 1_704_067_200 * SEC
    static let hour: Int64 = 3_600 * SEC

    /// usdSymbol: USD/USD, contract 100 000, 5 digits (point 0.00001).
    func engine(_ mode: SwapMode, long: Int64, short: Int64 = 0, spec: SymbolSpec? = nil) throws -> Engine {
        let e = try makeEngine()
        var s = spec ?? usdSymbol()
        s.swapMode = mode
        s.swapLong = long
        s.swapShort = short
        try e.addSymbol(s)
        return e
    }

    func day(_ n: Int64, _ hours: Int64 = 0) -> Int64 { SwapTests.monday + n * DAY + hours * SwapTests.hour }

    @Test func pointsChargeOneDayAtTheRolloverAndStayOnThePosition() throws {
        let e = try engine(.points, long: -7_500_000, short: 2 * U)
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.sell(symbolID: 0, volume: LOT)
        try e.tick(at: day(0, 23), bid: 1_200_000)
        #expect(e.positions.allSatisfy { $0.swap == 0 })
        // Tuesday 00:00 ends Monday, one day. Buy: -7.5 points x 0.00001 x
        // 100 000 x 1 lot = -7.5 USD; sell: +2 x 0.00001 x 100 000 = +2 USD.
        try e.tick(at: day(1, 0) + SEC, bid: 1_200_000)
        #expect(e.positions[0].swap == -7_500_000 && e.positions[1].swap == 2 * U)
        // Not booked yet: the balance is the opening one, equity has the swap.
        #expect(e.account.balance == 10_000 * U)
        #expect(e.account.equity == 10_000 * U - 5_500_000)
        #expect(e.account.profit == -5_500_000)
    }

    @Test func theTripleDayChargesThreeDays() throws {
        let e = try engine(.points, long: -7_500_000)
        try e.tick(at: day(2, 10), bid: 1_200_000)  // Wednesday
        try e.buy(symbolID: 0, volume: LOT)
        // Thursday 00:00 ends Wednesday, the default triple day (3): 3 x -7.5.
        try e.tick(at: day(3, 1), bid: 1_200_000)
        #expect(e.positions[0].swap == -22_500_000)
        // Friday 00:00 ends Thursday: one day more.
        try e.tick(at: day(4, 1), bid: 1_200_000)
        #expect(e.positions[0].swap == -30 * U)
    }

    @Test func aWeekendGapChargesFridayOnlyAndTheCloseBooksIt() throws {
        let e = try engine(.points, long: -7_500_000)
        try e.tick(at: day(4, 12), bid: 1_200_000)  // Friday noon
        try e.buy(symbolID: 0, volume: LOT)
        // Next quote Monday 10:00: rollovers Sat 00:00 (ends Friday: 1 day),
        // Sun 00:00 (Saturday: 0), Mon 00:00 (Sunday: 0) -> -7.5.
        try e.tick(at: day(7, 10), bid: 1_201_000)
        #expect(e.positions[0].swap == -7_500_000)
        try e.close(ticket: 1)
        // profit 0.001 x 100 000 = 100, plus the swap -7.5 booked: 92.5.
        #expect(e.deals[1].profit == 92_500_000)
        #expect(e.trades[0].profit == 92_500_000 && e.trades[0].netProfit == 92_500_000)
        #expect(e.account.balance == 10_092_500_000 && e.account.equity == 10_092_500_000)
        #expect(e.statistics().netProfit == 92_500_000)
    }

    @Test func aLongGapCountsEveryWeekdayItCrossed() throws {
        var s = usdSymbol()
        s.swapRollover3days = 5  // Friday
        let e = try engine(.depositCurrency, long: -1 * U, spec: s)
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        // Monday 10:00 to Monday 10:00 three weeks later: 21 rollovers, each
        // week Mon..Thu 1 day, Fri 3, Sat/Sun 0 = 7 days: 21 x -1 USD.
        try e.tick(at: day(21, 10), bid: 1_200_000)
        #expect(e.positions[0].swap == -21 * U)
    }

    @Test func theRolloverTimeIsConfigurable() throws {
        let e = try engine(.depositCurrency, long: -2 * U)
        try e.setRolloverTime(22 * 3_600)
        #expect(throws: HQTError.self) { try e.setRolloverTime(86_400) }
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: 500_000)
        try e.tick(at: day(0, 22) - SEC, bid: 1_200_000)
        #expect(e.positions[0].swap == 0)
        // Monday 22:00 ends Monday: -2 USD x 0.5 lot = -1.
        try e.tick(at: day(0, 22), bid: 1_200_000)
        #expect(e.positions[0].swap == -1 * U)
        try e.tick(at: day(1, 21), bid: 1_200_000)
        #expect(e.positions[0].swap == -1 * U)
    }

    @Test func currencyModesConvertAtTheQuote() throws {
        // EURUSD, account USD, bid 1.10000. base_currency: -3 EUR per lot
        // long, 1 lot = -3 EUR x 1.1 = -3.3 USD; margin currency (EUR, the
        // base): +2 EUR per lot short = +2.2 USD.
        for (mode, expected) in [(SwapMode.baseCurrency, -3_300_000), (.marginCurrency, 2_200_000 as Int64)] {
            let e = try engine(mode, long: -3 * U, short: 2 * U, spec: fx("EURUSD"))
            try e.tick(at: day(0, 10), bid: 1_100_000)
            if mode == .baseCurrency {
                try e.buy(symbolID: 0, volume: LOT)
            } else {
                try e.sell(symbolID: 0, volume: LOT)
            }
            try e.tick(at: day(1, 1), bid: 1_100_000)
            #expect(e.positions[0].swap == expected, "\(mode.name)")
        }
        // deposit_currency: -5 USD per lot, 2 lots = -10.
        let e = try engine(.depositCurrency, long: -5 * U)
        try e.tick(at: day(0, 10), bid: 1_100_000)
        try e.buy(symbolID: 0, volume: 2 * LOT)
        try e.tick(at: day(1, 1), bid: 1_100_000)
        #expect(e.positions[0].swap == -10 * U)
    }

    @Test func interestModesUseTheCurrentOrTheOpenPrice() throws {
        // -3.6 % a year on 1 lot: opened at 1.20000 (value 120 000 USD),
        // 1.25000 at the rollover (125 000 USD).
        // current: 125 000 x -3.6 / 100 / 360 = -12.5; open: 120 000 x ... = -12.
        for (mode, expected) in [(SwapMode.interestCurrent, -12_500_000), (.interestOpen, -12 * U as Int64)] {
            let e = try engine(mode, long: -3_600_000)
            try e.tick(at: day(0, 10), bid: 1_200_000)
            try e.buy(symbolID: 0, volume: LOT)
            try e.tick(at: day(0, 20), bid: 1_250_000)
            try e.tick(at: day(1, 1), bid: 1_250_000)
            #expect(e.positions[0].swap == expected, "\(mode.name)")
        }
    }

    @Test func aPartialCloseBooksItsShare() throws {
        let e = try engine(.points, long: -7_500_000)
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.tick(at: day(1, 1), bid: 1_200_000)
        try e.close(ticket: 1, volume: 400_000)
        // 0.4 of -7.5 = -3 booked (price unchanged); -4.5 stays.
        #expect(e.deals[1].profit == -3 * U && e.account.balance == 9_997 * U)
        #expect(e.positions[0].swap == -4_500_000)
        #expect(e.account.equity == 9_992_500_000)
    }

    @Test func aBookedSwapShareIsRoundedToTheAccountDigits() throws {
        // USD books cents (Engine+CurrencyDigits.swift); the position's
        // unbooked swap stays exact.
        let e = try engine(.depositCurrency, long: -1_234_567)
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.tick(at: day(1, 1), bid: 1_200_000)
        #expect(e.positions[0].swap == -1_234_567)
        try e.close(ticket: 1, volume: 500_000)
        // Half: -0.6172835 -> -0.617284 (micro), booked -0.62; -0.617283 stays.
        #expect(e.deals[1].profit == -620_000 && e.trades[0].profit == -620_000)
        #expect(e.positions[0].swap == -617_283)
        try e.close(ticket: 1)
        #expect(e.deals[2].profit == -620_000)
        #expect(e.account.balance == 10_000 * U - 1_240_000 && e.account.equity == e.account.balance)
    }

    @Test func nettingAdditionsKeepTheSwap() throws {
        let e = try engine(.depositCurrency, long: -1 * U)
        try e.setAccountMode(.netting)
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.tick(at: day(1, 1), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        #expect(e.positions.count == 1 && e.positions[0].swap == -1 * U)
        // Now 2 lots: Tuesday's rollover -2 more.
        try e.tick(at: day(2, 1), bid: 1_200_000)
        #expect(e.positions[0].swap == -3 * U)
    }

    @Test func aSwapCanStopTheAccountOutAtTheRollover() throws {
        // 2 000 USD, leverage 100: 1 lot at 1.0 holds 100 000 / 100 = 1 000
        // margin (level 200 %). -1 600 USD a day: equity 400 at the rollover,
        // level 40 % <= 50 %: the position is closed at that event, its deal
        // booking the swap.
        let e = try makeEngine(balance: 2_000 * U)
        var s = usdSymbol()
        s.swapMode = .depositCurrency
        s.swapLong = -1_600 * U
        try e.addSymbol(s)
        try e.tick(at: day(0, 10), bid: 1_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.tick(at: day(1, 1), bid: 1_000_000)
        #expect(e.positions.isEmpty)
        #expect(e.deals[1].reason == .stopOut && e.deals[1].profit == -1_600 * U)
        #expect(e.account.balance == 400 * U && e.account.equity == 400 * U)
    }

    @Test func anUnconvertibleBaseCurrencySwapRefusesTheFirstOrder() throws {
        // ABCJPY (margin in USD), USDJPY converts its profit; no symbol
        // converts ABC to USD: the swap could not be charged at the
        // rollover, so the order is refused up front.
        var s = SymbolSpec(name: "ABCJPY", baseCurrency: "ABC", profitCurrency: "JPY", marginCurrency: "USD")
        s.swapMode = .baseCurrency
        s.swapLong = -1 * U
        let e = try makeEngine()
        try e.addSymbol(s)
        try e.addSymbol(fx("USDJPY", digits: 3))
        try e.tick(1, at: day(0, 10), bid: 150 * U)
        try e.tick(0, at: day(0, 10), bid: 1_000_000)
        #expect(throws: HQTError.self) { try e.buy(symbolID: 0, volume: LOT) }
        #expect(e.positions.isEmpty)
        s.swapMode = .marginCurrency  // USD: accepted
        let e2 = try makeEngine()
        try e2.addSymbol(s)
        try e2.addSymbol(fx("USDJPY", digits: 3))
        try e2.tick(1, at: day(0, 10), bid: 150 * U)
        try e2.tick(0, at: day(0, 10), bid: 1_000_000)
        try e2.buy(symbolID: 0, volume: LOT)
        try e2.tick(0, at: day(1, 1), bid: 1_000_000)
        #expect(e2.positions[0].swap == -1 * U)
    }

    /// What the sinks (and so the broadcast frames, whose layouts have no
    /// swap field) see: the position's profit with its swap, the closing
    /// deal's profit with the swap it books.
    final class ProfitProbe: EngineSink {
        var positions: [(PositionEvent, Int64)] = []
        var deals: [Int64] = []
        func tick(_ engine: Engine, symbolID: UInt32, time: Int64, bid: Int64, ask: Int64) {}
        func bar(_ engine: Engine, _ bar: Bar) {}
        func order(_ engine: Engine, _ order: Order, state: OrderState, time: Int64) {}
        func deal(_ engine: Engine, _ deal: Deal) { deals.append(deal.profit) }
        func position(_ engine: Engine, _ p: Position, event: PositionEvent, time: Int64, profit: Int64) {
            positions.append((event, profit))
        }
        func accountChanged(_ engine: Engine, time: Int64) {}
        func marginEvent(_ engine: Engine, event: MarginEvent, time: Int64) {}
    }

    @Test func framesCarryTheSwapInTheirProfitFields() throws {
        let e = try engine(.points, long: -7_500_000)
        let probe = ProfitProbe()
        e.attach(probe)
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        // at the rollover the price is 1.20100: floating +100, swap -7.5
        try e.tick(at: day(1, 0), bid: 1_201_000)
        #expect(probe.positions.last?.0 == .modified && probe.positions.last?.1 == 92_500_000)
        try e.close(ticket: 1)
        #expect(probe.deals == [0, 92_500_000])
        #expect(probe.positions.last?.0 == .closed && probe.positions.last?.1 == 92_500_000)
    }

    @Test func disabledChargesNothing() throws {
        let e = try engine(.disabled, long: -7 * U)
        try e.tick(at: day(0, 10), bid: 1_200_000)
        try e.buy(symbolID: 0, volume: LOT)
        try e.tick(at: day(5, 1), bid: 1_200_000)
        #expect(e.positions[0].swap == 0 && e.account.equity == 10_000 * U)
    }

    @Test func badSwapFieldsAreRefused() throws {
        let e = try makeEngine()
        var s = usdSymbol()
        s.swapRollover3days = 7
        #expect(throws: HQTError.self) { try e.addSymbol(s) }
        s.swapRollover3days = 0
        s.swapLong = 2_000_000 * U
        #expect(throws: HQTError.self) { try e.addSymbol(s) }
    }

    @Test func weekdaysAndRolloversFollowTheCalendar() {
        // 1970-01-01 was a Thursday: the rollover at Friday 00:00 ends Thursday.
        #expect(Engine.weekdayEnding(at: DAY) == 4)
        #expect(Engine.weekdayEnding(at: SwapTests.monday) == 0)  // ends Sunday
        #expect(Engine.rollover(after: SwapTests.monday, at: 0) == SwapTests.monday + DAY)
        #expect(Engine.rollover(after: SwapTests.monday - 1, at: 0) == SwapTests.monday)
        #expect(Engine.rollover(after: -1, at: 3_600) == 3_600 * SEC)
        #expect(Engine.rollover(after: .max, at: 0) == .max)
        #expect(Engine.swapDays(weekday: 3, tripleDay: 3) == 3)
        #expect(Engine.swapDays(weekday: 6, tripleDay: 6) == 0)
    }
}
