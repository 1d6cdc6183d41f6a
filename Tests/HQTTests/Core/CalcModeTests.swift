import Testing

@testable import HQTCore

// MT5's calculation modes, hedged margin and the margin rules of issue 9.
// Formulas from the MQL5 reference, ENUM_SYMBOL_CALC_MODE (Symbol
// Properties, mql5.com/en/docs/constants/environment_state/marketinfoconstants):
//   FOREX              margin Lots * Contract_Size / Leverage * Margin_Rate
//   FOREX_NO_LEVERAGE  margin Lots * Contract_Size * Margin_Rate
//   FUTURES            margin Lots * InitialMargin * Margin_Rate
//                      profit (close - open) * TickPrice / TickSize * Lots
//   CFD                margin Lots * ContractSize * MarketPrice * Margin_Rate
//   CFDINDEX           margin (Lots * ContractSize * MarketPrice) * TickPrice / TickSize * Margin_Rate
//   CFDLEVERAGE        margin (Lots * ContractSize * MarketPrice) / Leverage * Margin_Rate
//   EXCH_STOCKS        margin Lots * ContractSize * LastPrice * Margin_Rate
//   every mode but futures: profit (close - open) * Contract_Size * Lots
// Initial/maintenance margin: SYMBOL_MARGIN_INITIAL / _MAINTENANCE (same
// page; "if the maintenance margin is 0, the initial margin is used").
// Hedged margin: MetaTrader 5 help, "Margin Calculation: Retail Forex,
// Futures", calculation of margin for hedged positions
// (metatrader5.com/en/terminal/help/trading_advanced/margin_forex).
// All accounts USD; symbols quoted in USD so no conversion enters.
@Suite struct CalcModeTests {
    func usd(_ name: String, _ mode: CalcMode, contract: Int64 = 100_000 * U, digits: Int32 = 5) -> SymbolSpec {
        var s = SymbolSpec(name: name, baseCurrency: "USD", profitCurrency: "USD")
        s.calcMode = mode
        s.contractSize = contract
        s.digits = digits
        return s
    }

    /// An engine with one symbol quoted at bid/ask.
    func engine(
        _ spec: SymbolSpec, bid: Int64, ask: Int64, balance: Int64 = 1_000_000 * U, leverage: Int64 = 100,
        mode: AccountMode = .hedging
    ) throws -> Engine {
        let e = try makeEngine(balance: balance, leverage: leverage)
        try e.setAccountMode(mode)
        try e.addSymbol(spec)
        try e.tick(at: SEC, bid: bid, ask: ask)
        return e
    }

    /// Opens `volume` at the quote, moves the quote, closes; the deal profit.
    func roundTrip(_ e: Engine, buy: Bool, volume: Int64, closeBid: Int64, closeAsk: Int64) throws -> Int64 {
        let t = buy ? try e.buy(symbolID: 0, volume: volume) : try e.sell(symbolID: 0, volume: volume)
        try e.tick(at: 2 * SEC, bid: closeBid, ask: closeAsk)
        try e.close(ticket: t)
        return e.deals.last!.profit
    }

    @Test func forexDividesByLeverageAndAppliesTheRate() throws {
        var s = usd("FX", .forex)
        s.marginRate = 500_000  // 0.5
        let e = try engine(s, bid: 1_000_000, ask: 1_000_200)
        try e.buy(symbolID: 0, volume: 2 * LOT)
        // 2 x 100 000 / 100 x 0.5 = 1 000
        #expect(e.positions[0].margin == 1_000 * U && e.account.margin == 1_000 * U)
        // profit (1.00120 - 1.00020) x 100 000 x 2 = 200
        try e.tick(at: 2 * SEC, bid: 1_001_200, ask: 1_001_400)
        try e.close(ticket: e.positions[0].ticket)
        #expect(e.deals.last!.profit == 200 * U)
    }

    @Test func forexNoLeverageIgnoresTheLeverage() throws {
        var s = usd("FXNL", .forexNoLeverage)
        s.marginRate = 20_000  // 0.02
        let e = try engine(s, bid: 1_000_000, ask: 1_000_000)
        try e.buy(symbolID: 0, volume: 100_000)
        // 0.1 x 100 000 x 0.02 = 200
        #expect(e.account.margin == 200 * U)
    }

    @Test func cfdIsLotsTimesContractTimesPriceWithoutLeverage() throws {
        // The example: 1 lot, contract 100, price 5000, rate 1 = 500 000.
        let e = try engine(usd("XAU", .cfd, contract: 100 * U, digits: 2), bid: 4_999_000_000, ask: 5_000_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        #expect(e.account.margin == 500_000 * U)
        // profit (5010.00 - 5000.00) x 100 x 1 = 1 000
        try e.tick(at: 2 * SEC, bid: 5_010_000_000, ask: 5_011_000_000)
        try e.close(ticket: e.positions[0].ticket)
        #expect(e.deals.last!.profit == 1_000 * U)
    }

    @Test func cfdLeverageDividesByTheLeverage() throws {
        let e = try engine(
            usd("XAU", .cfdLeverage, contract: 100 * U, digits: 2), bid: 4_999_000_000, ask: 5_000_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        // 1 x 100 x 5000 / 100 = 5 000
        #expect(e.account.margin == 5_000 * U)
        try e.sell(symbolID: 0, volume: LOT)
        // the sell at the bid: 100 x 4999 / 100 = 4 999
        #expect(e.positions[1].margin == 4_999 * U)
    }

    @Test func cfdIndexScalesByTickValueOverTickSize() throws {
        var s = usd("US500", .cfdIndex, contract: 1 * U, digits: 2)
        s.tickSize = 250_000  // 0.25
        s.tickValue = 500_000  // 0.5
        s.marginRate = 100_000  // 0.1
        let e = try engine(s, bid: 3_999_750_000, ask: 4_000_000_000)
        try e.buy(symbolID: 0, volume: 2 * LOT)
        // (2 x 1 x 4000) x 0.5 / 0.25 x 0.1 = 8 000 x 2 x 0.1 = 1 600
        #expect(e.account.margin == 1_600 * U)
        // profit uses the contract size: (4010.00 - 4000.00) x 1 x 2 = 20
        try e.tick(at: 2 * SEC, bid: 4_010_000_000, ask: 4_010_250_000)
        try e.close(ticket: e.positions[0].ticket)
        #expect(e.deals.last!.profit == 20 * U)
    }

    @Test func exchangeStocksIsLotsTimesContractTimesPrice() throws {
        var s = usd("AAPL", .exchangeStocks, contract: 1 * U, digits: 2)
        s.marginRate = 500_000
        let e = try engine(s, bid: 150_240_000, ask: 150_250_000)
        try e.buy(symbolID: 0, volume: 10 * LOT)
        // 10 x 1 x 150.25 x 0.5 = 751.25
        #expect(e.account.margin == 751_250_000)
        // profit (151.00 - 150.25) x 1 x 10 = 7.50
        try e.tick(at: 2 * SEC, bid: 151_000_000, ask: 151_010_000)
        try e.close(ticket: e.positions[0].ticket)
        #expect(e.deals.last!.profit == 7_500_000)
    }

    func futures(initial: Int64 = 2_500 * U, maintenance: Int64 = 0) -> SymbolSpec {
        var s = usd("ES", .futures, contract: 50 * U, digits: 2)
        s.tickSize = 250_000  // 0.25
        s.tickValue = 12_500_000  // 12.50 per tick per lot
        s.marginInitial = initial
        s.marginMaintenance = maintenance
        return s
    }

    @Test func futuresMarginIsTheInitialMarginAndProfitUsesTicks() throws {
        let e = try engine(futures(), bid: 4_500_000_000, ask: 4_500_250_000)
        try e.buy(symbolID: 0, volume: 3 * LOT)
        // 3 x 2 500 x 1 = 7 500
        #expect(e.account.margin == 7_500 * U)
        // (4510.00 - 4500.25) x 12.50 / 0.25 x 3 = 9.75 x 50 x 3 = 1 462.50
        try e.tick(at: 2 * SEC, bid: 4_510_000_000, ask: 4_510_250_000)
        #expect(e.account.profit == 1_462_500_000)  // floating, same multiplier
        try e.close(ticket: e.positions[0].ticket)
        #expect(e.deals.last!.profit == 1_462_500_000)
    }

    @Test func maintenanceMarginIsHeldAfterTheInitialMarginWasChecked() throws {
        let e = try engine(futures(maintenance: 2_000 * U), bid: 4_500_000_000, ask: 4_500_250_000)
        try e.buy(symbolID: 0, volume: 3 * LOT)
        // opening needs 3 x 2 500; the position then holds 3 x 2 000 = 6 000
        #expect(e.positions[0].margin == 6_000 * U && e.account.margin == 6_000 * U)
        // 7 000 of equity (minus the spread): 2 lots need 5 000 initial -> accepted
        let tight = try engine(
            futures(maintenance: 2_000 * U), bid: 4_500_000_000, ask: 4_500_000_000, balance: 5_000 * U)
        try tight.buy(symbolID: 0, volume: 2 * LOT)
        #expect(tight.account.margin == 4_000 * U)
        // 1 more lot needs 2 500 initial, free margin is 1 000 -> refused
        #expect(throws: HQTError.self) { try tight.buy(symbolID: 0, volume: LOT) }
    }

    @Test func anInitialMarginReplacesTheFormulaInOtherModes() throws {
        var s = usd("FX", .forex)
        s.marginInitial = 1_000 * U
        let e = try engine(s, bid: 1_000_000, ask: 1_000_000)
        try e.buy(symbolID: 0, volume: 500_000)
        // 0.5 x 1 000 (no leverage: the per-lot value is the margin)
        #expect(e.account.margin == 500 * U)
    }

    // ---- hedged margin (hedging account, forex 1:100: 1 lot = 1 000) --------------

    func hedged(_ hedged: Int64?, useLeg: Bool = false, buys: Int64, sells: Int64) throws -> Engine {
        var s = usd("FX", .forex)
        s.marginHedged = hedged
        s.marginHedgedUseLeg = useLeg
        let e = try engine(s, bid: 1_000_000, ask: 1_000_000)
        try e.buy(symbolID: 0, volume: buys)
        try e.sell(symbolID: 0, volume: sells)
        return e
    }

    @Test func withoutHedgedSettingsEveryPositionIsCharged() throws {
        #expect(try hedged(nil, buys: LOT, sells: LOT).account.margin == 2_000 * U)
    }

    @Test func marginHedgedZeroMakesAFullHedgeFree() throws {
        let e = try hedged(0, buys: LOT, sells: LOT)
        // uncovered 0, hedged volume 1 lot x 0 units
        #expect(e.account.margin == 0)
        // each position still shows its own margin
        #expect(e.positions.map(\.margin) == [1_000 * U, 1_000 * U])
    }

    @Test func marginHedgedHalfAContractChargesHalfALotPerHedgedLot() throws {
        // hedged 1 lot x 50 000 units / 100 = 500
        #expect(try hedged(50_000 * U, buys: LOT, sells: LOT).account.margin == 500 * U)
        // buy 2, sell 1: uncovered 1 lot at the buys' 1 000 per lot = 1 000,
        // hedged 1 lot x 50 000 / 100 = 500; total 1 500
        #expect(try hedged(50_000 * U, buys: 2 * LOT, sells: LOT).account.margin == 1_500 * U)
        // the contract size: a full hedge costs one leg
        #expect(try hedged(100_000 * U, buys: LOT, sells: LOT).account.margin == 1_000 * U)
    }

    @Test func useLegChargesTheLargerLeg() throws {
        #expect(try hedged(nil, useLeg: true, buys: 2 * LOT, sells: LOT).account.margin == 2_000 * U)
        #expect(try hedged(0, useLeg: true, buys: LOT, sells: 3 * LOT).account.margin == 3_000 * U)
    }

    @Test func hedgedCfdUsesTheAverageMarginOfBothLegs() throws {
        var s = usd("IDX", .cfd, contract: 1 * U, digits: 2)
        s.marginHedged = 1 * U  // the contract size
        let e = try engine(s, bid: 100_000_000, ask: 100_000_000)
        try e.buy(symbolID: 0, volume: LOT)  // 100
        try e.tick(at: 2 * SEC, bid: 110_000_000, ask: 110_000_000)
        try e.sell(symbolID: 0, volume: LOT)  // 110
        // hedged 1 lot at the average of both legs: (100 + 110) / 2 x 1 = 105
        #expect(e.account.margin == 105 * U)
        // closing the sell leaves the buy's own 100
        try e.close(ticket: e.positions[1].ticket)
        #expect(e.account.margin == 100 * U)
    }

    @Test func nettingAccountsIgnoreTheHedgedSettings() throws {
        var s = usd("FX", .forex)
        s.marginHedged = 0
        let e = try engine(s, bid: 1_000_000, ask: 1_000_000, mode: .netting)
        try e.buy(symbolID: 0, volume: 2 * LOT)
        try e.sell(symbolID: 0, volume: LOT)
        #expect(e.positions.count == 1 && e.account.margin == 1_000 * U)
    }

    // ---- issue 9 item 6: opposite order at zero free margin -------------------------

    @Test func anOppositeOrderThatAddsNoMarginIsAcceptedAtZeroFreeMargin() throws {
        let settings: [(Int64?, Bool)] = [(0, false), (nil, true)]
        for (hedgedUnits, useLeg) in settings {
            var s = usd("FX", .forex)
            s.marginHedged = hedgedUnits
            s.marginHedgedUseLeg = useLeg
            let e = try engine(s, bid: 1_000_000, ask: 1_000_000, balance: 1_000 * U)
            try e.buy(symbolID: 0, volume: LOT)
            #expect(e.account.freeMargin == 0)
            try e.sell(symbolID: 0, volume: LOT)  // the hedge adds nothing
            #expect(e.positions.count == 2)
            // 2 more lots add 2 000 (uncovered, or the larger leg), free margin
            // is 1 000 or 0: refused
            #expect(throws: HQTError.self) { try e.buy(symbolID: 0, volume: 2 * LOT) }
        }
    }

    @Test func withoutHedgedSettingsTheOppositeOrderNeedsItsOwnMargin() throws {
        let e = try engine(usd("FX", .forex), bid: 1_000_000, ask: 1_000_000, balance: 1_000 * U)
        try e.buy(symbolID: 0, volume: LOT)
        let error = #expect(throws: HQTError.self) { try e.sell(symbolID: 0, volume: LOT) }
        #expect(error?.code == .noMoney)
    }

    // ---- pending orders ---------------------------------------------------------------

    @Test func aPendingOrderIsChargedWhenItTriggersNotWhenPlaced() throws {
        // 2 400 of equity; 1 lot of ES needs 2 500 initial, holds 2 000.
        let poor = try engine(
            futures(maintenance: 2_000 * U), bid: 4_500_000_000, ask: 4_500_000_000, balance: 2_400 * U)
        try poor.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 4_490_000_000))
        #expect(poor.account.margin == 0)  // placing takes no margin
        try poor.tick(at: 2 * SEC, bid: 4_489_000_000, ask: 4_490_000_000)
        #expect(poor.positions.isEmpty && poor.orderHistory.last?.state == .rejected)

        let e = try engine(futures(maintenance: 2_000 * U), bid: 4_500_000_000, ask: 4_500_000_000, balance: 3_000 * U)
        try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 4_490_000_000))
        try e.tick(at: 2 * SEC, bid: 4_489_000_000, ask: 4_490_000_000)
        #expect(e.positions.count == 1 && e.account.margin == 2_000 * U)
    }

    // ---- the 0.1 alias and validation -------------------------------------------------

    @Test func marginModeIsAnAliasOfCalcMode() throws {
        var s = usd("XAU", .forex, contract: 100 * U, digits: 2)
        s.marginMode = .cfd
        #expect(s.calcMode == .cfd)
        s.marginMode = .forex
        #expect(s.calcMode == .forex)
        s.calcMode = .cfdIndex
        #expect(s.marginMode == .cfd)
        // margin_mode .cfd is MT5's CFD now: the 500 000, not 5 000
        var x = usd("XAU", .forex, contract: 100 * U, digits: 2)
        x.marginMode = .cfd
        let e = try engine(x, bid: 5_000_000_000, ask: 5_000_000_000)
        try e.buy(symbolID: 0, volume: LOT)
        #expect(e.account.margin == 500_000 * U)
    }

    @Test func badCalcFieldsAreRefusedWithTheFieldNamed() throws {
        let e = try makeEngine()
        var f = futures()
        f.tickSize = 0
        let noTicks = #expect(throws: HQTError.self) { try e.addSymbol(f) }
        #expect(noTicks?.message.contains("tick_size") == true)
        var r = usd("FX", .forex)
        r.marginRate = -1
        let rate = #expect(throws: HQTError.self) { try e.addSymbol(r) }
        #expect(rate?.message.contains("margin_rate") == true)
        var h = usd("FX", .forex)
        h.marginHedged = -5
        let hedge = #expect(throws: HQTError.self) { try e.addSymbol(h) }
        #expect(hedge?.message.contains("margin_hedged") == true)
        #expect(e.symbols.isEmpty)
    }

    @Test func aHugeCfdSaturatesInsteadOfTrapping() throws {
        var s = usd("BIG", .cfdLeverage, contract: 1_000_000_000 * U, digits: 0)
        s.volumeMax = 1_000_000 * LOT
        let e = try engine(s, bid: 1_000_000_000 * U, ask: 1_000_000_000 * U)
        let error = #expect(throws: HQTError.self) { try e.buy(symbolID: 0, volume: 1_000_000 * LOT) }
        #expect(error?.code == .noMoney)
    }

    @Test func aPre02ConfigurationKeepsItsFingerprint() throws {
        // 0.1 wrote margin mode 1 for its CFD (now cfd_leverage) and nothing
        // after the spread; new modes write 2 and their fields.
        #expect(usd("A", .forex).legacyMarginCode == 0)
        #expect(usd("A", .cfdLeverage).legacyMarginCode == 1)
        #expect(usd("A", .cfd).legacyMarginCode == 2)
        let w = ByteWriter()
        usd("A", .cfdLeverage).writeCalcFields(into: w)
        #expect(w.bytes.isEmpty)
        var hedgedSpec = usd("A", .forex)
        hedgedSpec.marginHedged = 0
        hedgedSpec.writeCalcFields(into: w)
        #expect(!w.bytes.isEmpty)
        let a = try makeEngine(), b = try makeEngine()
        try a.addSymbol(usd("A", .cfdLeverage))
        try b.addSymbol(usd("A", .cfd))
        #expect(a.configurationFingerprint != b.configurationFingerprint)
    }
}
