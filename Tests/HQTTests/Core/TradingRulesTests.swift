import Testing

@testable import HQTCore

// Stops level S and freeze level F (points), as MT5 applies them: the table
// "Requirements and Limitations in Making Trades" (book.mql4.com/appendix/limits),
// repeated for MT5 in mql5.com/en/articles/2555 ("The checks a trading robot
// must pass ..."), sections SYMBOL_TRADE_STOPS_LEVEL / SYMBOL_TRADE_FREEZE_LEVEL.
// Stops: distance >= S is allowed. Freeze: distance <= F is frozen.
// Buy SL/TP measured from the Bid, sell SL/TP from the Ask, pending SL/TP
// from the order price; limit/stop prices from the Ask (buy) or Bid (sell).
// TEST: 5 digits (1 point = 0.00001 = 10 micro), quoted 1.10000 / 1.10020,
// S = 50 points (0.00050), F = 30 points (0.00030).
@Suite struct TradingRulesTests {
    func engine(stops: Int64 = 50, freeze: Int64 = 30) throws -> Engine {
        let e = try makeEngine()
        var s = usdSymbol()
        s.stopsLevel = stops
        s.freezeLevel = freeze
        try e.addSymbol(s)
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        return e
    }

    func code(_ body: () throws(HQTError) -> Void) -> HQTError.Code? {
        do throws(HQTError) {
            try body()
            return nil
        } catch { return error.code }
    }

    func pending(_ e: Engine, _ type: OrderType, _ price: Int64, stopLimit: Int64 = 0, sl: Int64 = 0, tp: Int64 = 0)
        -> HQTError.Code?
    {
        code { () throws(HQTError) in
            try e.send(
                OrderRequest(symbolID: 0, type: type, volume: LOT, price: price, stopLimit: stopLimit, sl: sl, tp: tp))
        }
    }

    // MARK: stops level

    @Test func marketBuyMeasuresSLAndTPFromTheBid() throws {
        let e = try engine()
        // Bid - SL >= 50 points: 1.10000 - 0.00050 = 1.09950 is the closest SL.
        #expect(code { () throws(HQTError) in try e.buy(symbolID: 0, volume: LOT, sl: 1_099_510) } == .invalidStops)
        // TP - Bid >= 50: 1.10049 is 29 points above the ask but only 49 above the bid.
        #expect(code { () throws(HQTError) in try e.buy(symbolID: 0, volume: LOT, tp: 1_100_490) } == .invalidStops)
        #expect(e.positions.isEmpty && e.orderHistory.isEmpty)
        try e.buy(symbolID: 0, volume: LOT, sl: 1_099_500, tp: 1_100_500)
        #expect(e.positions.count == 1)
    }

    @Test func marketSellMeasuresSLAndTPFromTheAsk() throws {
        let e = try engine()
        // SL - Ask >= 50: 1.10020 + 0.00050 = 1.10070; Ask - TP >= 50: 1.09970.
        #expect(code { () throws(HQTError) in try e.sell(symbolID: 0, volume: LOT, sl: 1_100_690) } == .invalidStops)
        #expect(code { () throws(HQTError) in try e.sell(symbolID: 0, volume: LOT, tp: 1_099_710) } == .invalidStops)
        try e.sell(symbolID: 0, volume: LOT, sl: 1_100_700, tp: 1_099_700)
        #expect(e.positions.count == 1)
    }

    @Test func pendingPricesKeepTheStopsLevelFromTheMarket() throws {
        let e = try engine()
        // buy limit: Ask - Open >= 50 -> 1.09970 at most.
        #expect(pending(e, .buyLimit, 1_099_710) == .invalidStops)
        #expect(pending(e, .buyLimit, 1_099_700) == nil)
        // sell limit: Open - Bid >= 50 -> 1.10050 at least.
        #expect(pending(e, .sellLimit, 1_100_490) == .invalidStops)
        #expect(pending(e, .sellLimit, 1_100_500) == nil)
        // buy stop: Open - Ask >= 50 -> 1.10070 at least.
        #expect(pending(e, .buyStop, 1_100_690) == .invalidStops)
        #expect(pending(e, .buyStop, 1_100_700) == nil)
        // sell stop: Bid - Open >= 50 -> 1.09950 at most.
        #expect(pending(e, .sellStop, 1_099_510) == .invalidStops)
        #expect(pending(e, .sellStop, 1_099_500) == nil)
        // buy stop limit: the stop price as a buy stop (1.10069 refused).
        #expect(pending(e, .buyStopLimit, 1_100_690, stopLimit: 1_100_600) == .invalidStops)
        #expect(pending(e, .buyStopLimit, 1_100_700, stopLimit: 1_100_600) == nil)
        #expect(e.orders.count == 5)
        // The wrong side stays HQT's invalid price, whatever the level.
        #expect(pending(e, .buyLimit, 1_100_300) == .invalidPrice)
    }

    @Test func pendingSLAndTPAreMeasuredFromTheOrderPrice() throws {
        let e = try engine()
        // buy limit at 1.09900: Open - SL >= 50 -> 1.09850; TP - Open >= 50 -> 1.09950.
        #expect(pending(e, .buyLimit, 1_099_000, sl: 1_098_510) == .invalidStops)
        #expect(pending(e, .buyLimit, 1_099_000, tp: 1_099_490) == .invalidStops)
        #expect(pending(e, .buyLimit, 1_099_000, sl: 1_098_500, tp: 1_099_500) == nil)
        // sell stop limit: SL/TP from the limit price 1.09980 (where it opens).
        #expect(pending(e, .sellStopLimit, 1_099_000, stopLimit: 1_099_800, sl: 1_100_290) == .invalidStops)
        #expect(pending(e, .sellStopLimit, 1_099_000, stopLimit: 1_099_800, sl: 1_100_300) == nil)
    }

    @Test func modifyingAPositionKeepsTheStopsLevel() throws {
        let e = try engine(freeze: 0)
        let t = try e.buy(symbolID: 0, volume: LOT, sl: 1_099_000)
        // Moving the SL to 1.09951 (49 points under the bid) is refused.
        #expect(code { () throws(HQTError) in try e.modify(ticket: t, sl: 1_099_510, tp: nil) } == .invalidStops)
        #expect(e.positions.first?.sl == 1_099_000)
        try e.modify(ticket: t, sl: 1_099_500, tp: nil)
        #expect(e.positions.first?.sl == 1_099_500)
    }

    @Test func levelZeroKeepsHQTsSideOnlyCheck() throws {
        let e = try engine(stops: 0, freeze: 0)
        // One point under the bid: allowed when no stops level is set.
        try e.buy(symbolID: 0, volume: LOT, sl: 1_099_990, tp: 1_100_010)
        #expect(pending(e, .buyLimit, 1_100_190) == nil)
        let t = try #require(e.positions.first?.ticket)
        try e.close(ticket: t)
        #expect(e.positions.isEmpty)
    }

    // MARK: freeze level

    @Test func pendingOrderWithinTheFreezeLevelIsFrozen() throws {
        let e = try engine()
        let t = try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 1_099_000))
        // Ask 1.09930: Ask - Open = 30 points = F, not > F: frozen (and not triggered: ask > 1.09900).
        try e.tick(at: 2 * SEC, bid: 1_099_100, ask: 1_099_300)
        #expect(code { () throws(HQTError) in try e.cancel(ticket: t) } == .frozen)
        #expect(
            code { () throws(HQTError) in
                try e.modifyOrder(ticket: t, price: 1_098_000, stopLimit: nil, expiration: nil)
            }
                == .frozen)
        #expect(code { () throws(HQTError) in try e.modify(ticket: t, sl: 1_098_000, tp: nil) } == .frozen)
        #expect(e.orders.first?.price == 1_099_000 && e.orders.first?.sl == 0)
        // Ask 1.09931: 31 points > F, free again.
        try e.tick(at: 3 * SEC, bid: 1_099_110, ask: 1_099_310)
        try e.cancel(ticket: t)
        #expect(e.orders.isEmpty)
    }

    @Test func positionWithTPWithinTheFreezeLevelCannotBeClosedOrModified() throws {
        let e = try engine()
        let t = try e.buy(symbolID: 0, volume: LOT, sl: 1_099_000, tp: 1_101_000)  // at 1.10020
        // Bid 1.10070: TP - Bid = 30 points = F: frozen.
        try e.tick(at: 2 * SEC, bid: 1_100_700, ask: 1_100_900)
        #expect(code { () throws(HQTError) in try e.close(ticket: t) } == .frozen)
        #expect(code { () throws(HQTError) in try e.modify(ticket: t, sl: 1_099_500, tp: nil) } == .frozen)
        #expect(e.positions.first?.sl == 1_099_000 && e.deals.count == 1)
        // The engine's own TP is not a request: it still closes at the level's tick.
        try e.tick(at: 3 * SEC, bid: 1_101_000, ask: 1_101_200)
        // (1.10100 - 1.10020) x 100 000 = 80 USD
        #expect(e.positions.isEmpty && e.deals.last?.reason == .takeProfit && e.deals.last?.profit == 80 * U)
    }

    @Test func sellPositionFrozenBySLNearTheAsk() throws {
        let e = try engine()
        let t = try e.sell(symbolID: 0, volume: LOT, sl: 1_101_000)  // SL - Ask = 80 points
        // Ask 1.10071: SL - Ask = 29 points <= F.
        try e.tick(at: 2 * SEC, bid: 1_100_510, ask: 1_100_710)
        #expect(code { () throws(HQTError) in try e.close(ticket: t) } == .frozen)
        // Ask 1.10069: 31 points, free: closes at the ask, (1.10000 - 1.10069) x 100 000 = -69 USD.
        try e.tick(at: 3 * SEC, bid: 1_100_490, ask: 1_100_690)
        try e.close(ticket: t)
        #expect(e.deals.last?.profit == -69 * U)
    }

    // MARK: spec and fingerprint

    @Test func levelsAreValidated() throws {
        let e = try makeEngine()
        for (stops, freeze) in [(Int64(-1), Int64(0)), (0, -1), (1_000_000_001, 0), (0, .max)] {
            var s = usdSymbol()
            s.stopsLevel = stops
            s.freezeLevel = freeze
            #expect(code { () throws(HQTError) in _ = try e.addSymbol(s) } == .invalidArgument)
        }
        #expect(e.symbols.isEmpty)
    }

    @Test func levelsEnterTheFingerprintOnlyWhenSet() throws {
        let w = ByteWriter()
        usdSymbol().writeRuleFields(into: w)
        #expect(w.bytes.isEmpty)
        let a = try makeEngine(), b = try makeEngine(), c = try makeEngine()
        try a.addSymbol(usdSymbol())
        var s = usdSymbol()
        s.stopsLevel = 10
        try b.addSymbol(s)
        s.stopsLevel = 0
        s.freezeLevel = 10
        try c.addSymbol(s)
        #expect(a.configurationFingerprint != b.configurationFingerprint)
        #expect(b.configurationFingerprint != c.configurationFingerprint)
    }

    // MARK: stop-out mode

    // ACCOUNT_MARGIN_SO_MODE = ACCOUNT_STOPOUT_MODE_MONEY: the levels are
    // money, compared with the free margin (MQL4 AccountStopoutMode 1,
    // "comparison of the free margin level to the absolute value",
    // docs.mql4.com/account/accountstopoutmode). 10 000 USD, 1:100, 1 lot
    // TEST = margin 100 000 / 100 = 1 000 USD; margin call 2 000, stop-out 500.
    func moneyEngine() throws -> (Engine, UInt64) {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.setMarginLevels(marginCall: 2_000 * U, stopOut: 500 * U, mode: .money)
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_200)
        let t = try e.buy(symbolID: 0, volume: LOT)  // at 1.10020
        return (e, t)
    }

    @Test func moneyModeMarginCallAtFreeMarginLevel() throws {
        let (e, _) = try moneyEngine()
        #expect(e.stopOutMode == .money && !e.account.marginCall)
        // Bid 1.03000: profit (1.03000 - 1.10020) x 100 000 = -7 020, equity 2 980,
        // free margin 1 980 <= 2 000: margin call (margin level 298%: none in percent mode).
        try e.tick(at: 2 * SEC, bid: 1_030_000, ask: 1_030_200)
        #expect(e.account.freeMargin == 1_980 * U && e.account.marginCall && e.positions.count == 1)
    }

    @Test func moneyModeStopOutAtTheLevelExactly() throws {
        let (e, _) = try moneyEngine()
        // Bid 1.01521: profit -8 499, equity 1 501, free margin 501 > 500: still open.
        try e.tick(at: 2 * SEC, bid: 1_015_210, ask: 1_015_410)
        #expect(e.positions.count == 1)
        // Bid 1.01520: profit -8 500, equity 1 500, free margin 500 <= 500: stop-out at the bid.
        try e.tick(at: 3 * SEC, bid: 1_015_200, ask: 1_015_400)
        #expect(e.positions.isEmpty)
        let d = try #require(e.deals.last)
        #expect(d.reason == .stopOut && d.price == 1_015_200 && d.profit == -8_500 * U)
        #expect(e.account.balance == 1_500 * U)
    }

    @Test func percentModeIsTheDefaultAndMoneyLevelsAreValidated() throws {
        let e = try makeEngine()
        #expect(e.stopOutMode == .percent)
        #expect(
            code { () throws(HQTError) in try e.setMarginLevels(marginCall: 100 * U, stopOut: 200 * U, mode: .money) }
                == .invalidArgument)
        #expect(
            code { () throws(HQTError) in
                try e.setMarginLevels(marginCall: Engine.maxMoney + 1, stopOut: 0, mode: .money)
            } == .invalidArgument)
        #expect(e.stopOutMode == .percent)
        // Money levels above 100 000 are allowed (they are not percent).
        try e.setMarginLevels(marginCall: 500_000 * U, stopOut: 0, mode: .money)
        // The mode enters the fingerprint: same numbers, other mode, other fingerprint.
        try e.setMarginLevels(marginCall: 500 * U, stopOut: 0, mode: .money)
        let money = e.configurationFingerprint
        try e.setMarginLevels(marginCall: 500 * U, stopOut: 0, mode: .percent)
        #expect(e.configurationFingerprint != money)
        try e.setMarginLevels(marginCall: 100 * U, stopOut: 50 * U)
        #expect(e.configurationFingerprint == (try makeEngine()).configurationFingerprint)
    }

    // MARK: type_time

    // ENUM_ORDER_TYPE_TIME (mql5.com/en/docs/constants/tradingconstants/orderproperties):
    // GTC; DAY "good till current trade day"; SPECIFIED "good till expired";
    // SPECIFIED_DAY "effective till 23:59:59 of the specified day". The clock is
    // 2024-01-02 10:00 UTC (T0 + 10 h); the day ends at 2024-01-03 00:00.
    func timeEngine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.tick(at: T0DAY + 10 * 3_600 * SEC, bid: 1_100_000, ask: 1_100_200)
        return e
    }

    func limit(_ e: Engine, _ typeTime: OrderTypeTime?, expiration: Int64 = 0) throws(HQTError) -> UInt64 {
        var r = OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 1_099_000, expiration: expiration)
        r.typeTime = typeTime
        return try e.send(r)
    }

    @Test func dayOrderExpiresAtTheNextMidnight() throws {
        let e = try timeEngine()
        _ = try limit(e, .day)
        #expect(e.orders.first?.expiration == T0DAY + DAY)
        try e.tick(at: T0DAY + DAY - SEC, bid: 1_100_000, ask: 1_100_200)  // 23:59:59: alive
        #expect(e.orders.count == 1)
        try e.tick(at: T0DAY + DAY, bid: 1_100_000, ask: 1_100_200)  // 00:00: expired
        #expect(e.orders.isEmpty && e.orderHistory.last?.state == .expired)
    }

    @Test func specifiedDayLivesThrough235959OfThatDay() throws {
        let e = try timeEngine()
        // Expiration 2024-01-04 08:30 with specified_day: lives until 2024-01-05 00:00.
        _ = try limit(e, .specifiedDay, expiration: T0DAY + 2 * DAY + 8 * 3_600 * SEC + 30 * MIN)
        #expect(e.orders.first?.expiration == T0DAY + 3 * DAY)
        // The same time as specified: exactly that time.
        _ = try limit(e, .specified, expiration: T0DAY + 2 * DAY + 8 * 3_600 * SEC + 30 * MIN)
        #expect(e.orders.last?.expiration == T0DAY + 2 * DAY + 8 * 3_600 * SEC + 30 * MIN)
        // gtc: none; nil keeps HQT's rule (expiration given -> specified).
        _ = try limit(e, .gtc)
        _ = try limit(e, nil, expiration: T0DAY + DAY)
        #expect(e.orders.map(\.expiration).suffix(2) == [0, T0DAY + DAY])
    }

    @Test func typeTimeAndExpirationMustAgree() throws {
        let e = try timeEngine()
        for (tt, exp) in [
            (OrderTypeTime.gtc, T0DAY + DAY), (.day, T0DAY + DAY), (.specified, 0), (.specifiedDay, 0),
            (.specifiedDay, T0DAY - DAY),  // a day that has ended
            (.specifiedDay, Int64.max),
        ] {
            #expect(code { () throws(HQTError) in _ = try limit(e, tt, expiration: exp) } == .invalidArgument)
        }
        #expect(e.orders.isEmpty)
    }

    // MARK: limit orders gapped through

    // MT5's tester with ticks fills a limit order that a tick gaps through at
    // that tick's price, better than the limit ("in real ticks mode the tester
    // executes limit and TP orders with positive slippage",
    // mql5.com/en/code/16134); HQT's bars keep the limit price.
    @Test func aTickGappingThroughALimitFillsAtTheTicksPrice() throws {
        let e = try engine(stops: 0, freeze: 0)
        try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 1_099_000))
        try e.send(OrderRequest(symbolID: 0, type: .sellLimit, volume: LOT, price: 1_101_000))
        // Ask gaps from 1.10020 to 1.09800: the buy limit fills at 1.09800, 100 points better.
        try e.tick(at: 2 * SEC, bid: 1_097_800, ask: 1_098_000)
        #expect(e.deals.last?.price == 1_098_000 && e.deals.last?.side == .buy)
        // Bid gaps to 1.10250: the sell limit fills at 1.10250.
        try e.tick(at: 3 * SEC, bid: 1_102_500, ask: 1_102_700)
        #expect(e.deals.last?.price == 1_102_500 && e.deals.last?.side == .sell)
    }

    @Test func aBarGappingThroughALimitKeepsTheLimitPrice() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol(spread: 200))
        try e.bar(open: 0, o: 1_100_000, h: 1_100_000, l: 1_100_000, c: 1_100_000)
        try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 1_099_000))
        // The next bar opens at 1.09700 (ask 1.09720), under the limit: filled at 1.09900.
        try e.bar(open: MIN, o: 1_097_000, h: 1_097_500, l: 1_096_000, c: 1_097_200)
        #expect(e.deals.last?.price == 1_099_000)
    }

    // MARK: trade sessions

    // SymbolInfoSessionTrade (mql5.com/en/docs/marketinformation/symbolinfosessiontrade):
    // sessions per weekday, 0 = Sunday; outside them MT5 answers
    // TRADE_RETCODE_MARKET_CLOSED and pending orders wait. 2024-01-02 is a
    // Tuesday (2). TEST trades Tuesday 08:00-17:00 only.
    func sessionEngine() throws -> Engine {
        let e = try makeEngine()
        var s = usdSymbol()
        s.tradeSessions = [TradeSession(weekday: 2, start: 8 * 3_600, end: 17 * 3_600)]
        try e.addSymbol(s)
        return e
    }

    @Test func ordersOutsideTheSessionAreRefused() throws {
        let e = try sessionEngine()
        try e.tick(at: T0DAY + 7 * 3_600 * SEC + 59 * MIN + 59 * SEC, bid: 1_100_000, ask: 1_100_200)  // 07:59:59
        #expect(code { () throws(HQTError) in try e.buy(symbolID: 0, volume: LOT) } == .marketClosed)
        try e.tick(at: T0DAY + 8 * 3_600 * SEC, bid: 1_100_000, ask: 1_100_200)  // 08:00: open
        let t = try e.buy(symbolID: 0, volume: LOT)
        try e.tick(at: T0DAY + 17 * 3_600 * SEC, bid: 1_100_000, ask: 1_100_200)  // 17:00: closed (end excluded)
        #expect(code { () throws(HQTError) in try e.close(ticket: t) } == .marketClosed)
        #expect(code { () throws(HQTError) in try e.modify(ticket: t, sl: 1_090_000, tp: nil) } == .marketClosed)
        // Wednesday 10:00 has no session either.
        try e.tick(at: T0DAY + DAY + 10 * 3_600 * SEC, bid: 1_100_000, ask: 1_100_200)
        #expect(code { () throws(HQTError) in try e.close(ticket: t) } == .marketClosed)
        #expect(e.positions.count == 1)
    }

    @Test func pendingOrdersWaitForTheSession() throws {
        let e = try sessionEngine()
        try e.tick(at: T0DAY + 16 * 3_600 * SEC, bid: 1_100_000, ask: 1_100_200)
        try e.send(OrderRequest(symbolID: 0, type: .buyLimit, volume: LOT, price: 1_099_000))
        // 18:00: ask 1.09800 is through the limit, but the session is over.
        try e.tick(at: T0DAY + 18 * 3_600 * SEC, bid: 1_097_800, ask: 1_098_000)
        #expect(e.orders.count == 1 && e.deals.isEmpty)
        // Next Tuesday 08:00 (7 days on), still under the limit: it fills at that tick's ask.
        try e.tick(at: T0DAY + 7 * DAY + 8 * 3_600 * SEC, bid: 1_098_300, ask: 1_098_500)
        #expect(e.orders.isEmpty && e.deals.last?.price == 1_098_500)
    }

    @Test func sessionsAreValidatedAndFingerprinted() throws {
        let e = try makeEngine()
        for bad in [
            TradeSession(weekday: 7, start: 0, end: 10), TradeSession(weekday: 0, start: 10, end: 10),
            TradeSession(weekday: 1, start: -1, end: 10), TradeSession(weekday: 1, start: 0, end: 86_401),
        ] {
            var s = usdSymbol()
            s.tradeSessions = [bad]
            #expect(code { () throws(HQTError) in _ = try e.addSymbol(s) } == .invalidArgument)
        }
        let a = try makeEngine(), b = try sessionEngine()
        try a.addSymbol(usdSymbol())
        #expect(a.configurationFingerprint != b.configurationFingerprint)
        let w = ByteWriter()
        usdSymbol().writeSessions(into: w)
        #expect(w.bytes.isEmpty)
        // Weekday numbering: 1970-01-01 (Thursday, 4), 2024-01-07 (Sunday, 0).
        var s = usdSymbol()
        s.tradeSessions = [TradeSession(weekday: 4, start: 0, end: 86_400)]
        #expect(s.isTradeOpen(at: 0) && !s.isTradeOpen(at: DAY))
        s.tradeSessions = [TradeSession(weekday: 0, start: 0, end: 60)]
        #expect(s.isTradeOpen(at: T0DAY + 5 * DAY + 59 * SEC) && !s.isTradeOpen(at: T0DAY + 5 * DAY + 60 * SEC))
        // Before 1970: 1969-12-31 23:59:59 is a Wednesday (3).
        s.tradeSessions = [TradeSession(weekday: 3, start: 86_399, end: 86_400)]
        #expect(s.isTradeOpen(at: -SEC) && !s.isTradeOpen(at: -2 * SEC))
    }

}

/// 2024-01-02 00:00 UTC in ns.
let T0DAY: Int64 = 1_704_153_600 * SEC
