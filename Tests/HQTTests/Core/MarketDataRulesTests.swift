import Testing

@testable import HQTCore

// Model/MarketDataRules.swift: the tick and bar rules written once, used by
// Engine.loadTicks/loadBars and by hqt_validate_* (so hqt's Python readers
// and writers agree with the engine), and checked bar-period arithmetic.
@Suite struct MarketDataRulesTests {
    static let t0: Int64 = 19_723 * DAY  // 2024-01-01, a Monday

    func engine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("EURUSD"))
        return e
    }

    /// The engine's error for loading these ticks.
    func loadError(_ time: [Int64], _ bid: [Int64], _ ask: [Int64]) throws -> HQTError? {
        let e = try engine()
        do {
            try e.loadTicks(symbolID: 0, time: time, bid: bid, ask: ask)
            return nil
        } catch {
            #expect(e.pendingEventCount == 0)  // all or nothing
            return error
        }
    }

    func validate(
        _ time: [Int64], _ bid: [Int64], _ ask: [Int64], subject: String = "EURUSD tick",
        previous: Int64 = 0, first: Int = 0
    ) -> (index: Int, error: HQTError)? {
        MarketDataRules.validateTicks(
            subject: subject, firstIndex: first, count: time.count, previousTime: previous,
            time: { time[$0] }, bid: { bid[$0] }, ask: { ask[$0] })
    }

    static let badTicks: [(String, [Int64], [Int64], [Int64], HQTError.Code, String)] = [
        (
            "bad bid", [t0, t0 + 1, t0 + 2], [1_100_000, -1_100_000, 1_100_000], [1_100_200, 1_100_200, 1_100_200],
            .invalidPrice, "EURUSD tick 1: bid and ask must be finite and > 0 (got -1.1, 1.1002)"
        ),
        (
            "ask < bid", [t0, t0 + 1, t0 + 2], [1_100_000, 1_100_000, 1_100_000], [1_100_200, 1_000_000, 1_100_200],
            .badData, "EURUSD tick 1: ask 1 is below bid 1.1"
        ),
        (
            "backwards", [t0, t0 + 1, t0], [1_100_000, 1_100_000, 1_100_000], [1_100_200, 1_100_200, 1_100_200],
            .dataOrder, "EURUSD tick 2: time \(t0) goes backwards (before the previous \(t0 + 1))"
        ),
        (
            "negative time", [-5, 0, 1], [1_100_000, 1_100_000, 1_100_000], [1_100_200, 1_100_200, 1_100_200],
            .dataOrder, "EURUSD tick 0: negative time -5"
        ),
        (
            "NaN", [t0, t0 + 1, t0 + 2], [1_100_000, MarketDataRules.micro(.nan), 1_100_000],
            [1_100_200, 1_100_200, 1_100_200],
            .invalidPrice, "EURUSD tick 1: bid and ask must be finite and > 0 (got NaN or infinite, 1.1002)"
        ),
        (
            "above 1e9", [t0, t0 + 1, t0 + 2], [1_100_000, 1_100_000, 1_000_000_001_000_000],
            [1_100_200, 1_100_200, 1_000_000_002_000_000],
            .invalidPrice, "EURUSD tick 2: bid and ask must be finite and > 0"
        ),
    ]

    @Test(arguments: badTicks.indices)
    func theRuleGivesTheEnginesCodeAndMessage(_ k: Int) throws {
        let (_, time, bid, ask, code, message) = Self.badTicks[k]
        let found = try #require(validate(time, bid, ask))
        let loaded = try #require(try loadError(time, bid, ask))
        #expect(found.error.code == code && loaded.code == code)
        #expect(found.error.message.hasPrefix(message))
        #expect(found.error.message == loaded.message)
        #expect(found.index == Int(message.split(separator: " ")[2].dropLast())!)
    }

    @Test func validTicksPassAndEqualTimesAreAllowed() {
        #expect(validate([0, 0, 5, 5], [1, 1, 2, 2], [1, 2, 2, 3]) == nil)
        #expect(validate([], [], []) == nil)
    }

    @Test func previousTimeAndFirstIndexContinueAnEarlierBatch() throws {
        let r = try #require(
            validate([Self.t0 - 1], [1_000_000], [1_000_000], subject: "tick", previous: Self.t0, first: 41))
        #expect(r.index == 0 && r.error.code == .dataOrder)
        #expect(r.error.message == "tick 41: time \(Self.t0 - 1) goes backwards (before the previous \(Self.t0))")
        // a negative previous time is no previous time; negative tick times still fail
        #expect(validate([0], [1], [1], previous: -10) == nil)
        #expect(validate([-1], [1], [1], previous: -10)?.error.code == .dataOrder)
    }

    @Test func theEngineChecksAgainstWhatItHoldsAsTheRuleDoesAgainstPrevious() throws {
        let e = try engine()
        try e.loadTicks(symbolID: 0, time: [Self.t0], bid: [1_000_000], ask: [1_000_000])
        let loaded = expectError(.dataOrder) {
            try e.loadTicks(symbolID: 0, time: [Self.t0 - 1], bid: [1_000_000], ask: [1_000_000])
        }
        let ruled = validate([Self.t0 - 1], [1_000_000], [1_000_000], previous: Self.t0)
        #expect(loaded?.message == ruled?.error.message)
    }

    @Test func barsFollowTheEnginesBarRule() throws {
        let e = try engine()
        let time: [Int64] = [Self.t0, Self.t0 + MIN, Self.t0 + MIN]
        let o: [Int64] = [1_100_000, 1_100_000, 1_100_000], h: [Int64] = [1_200_000, 1_200_000, 1_200_000]
        let l: [Int64] = [1_000_000, 1_000_000, 1_000_000], c: [Int64] = [1_150_000, 1_150_000, 1_150_000]
        let v: [Int64] = [0, 0, 0]
        let loaded = expectError(.dataOrder, mentions: ["EURUSD M1 bar 2", "not after"]) {
            try e.loadBars(symbolID: 0, timeframe: 1, time: time, open: o, high: h, low: l, close: c, volume: v)
        }
        let ruled = MarketDataRules.validateBars(
            subject: "EURUSD M1 bar", timeframe: .m1, count: 3,
            row: { (time[$0], o[$0], h[$0], l[$0], c[$0], v[$0]) })
        #expect(ruled?.index == 2 && ruled?.error.message == loaded?.message)
        // high below close, then a NaN volume
        let bad = MarketDataRules.barViolation(
            subject: "bar", index: 0, timeframe: .h1, time: Self.t0, open: 2, high: 3,
            low: 1, close: 4, volume: 0, previousOpen: nil, notBefore: 0)
        #expect(
            bad?.code == .badData
                && bad?.message == "bar 0: high 0.000003 / low 0.000001 do not contain open 0.000002 and close 0.000004"
        )
        let nanVolume = MarketDataRules.barViolation(
            subject: "bar", index: 0, timeframe: .h1, time: Self.t0, open: 2,
            high: 3, low: 1, close: 2, volume: MarketDataRules.micro(.nan),
            previousOpen: nil, notBefore: 0)
        #expect(nanVolume?.code == .badData)
    }

    @Test func aBarClosingAfterTheLastNanosecondIsAnErrorNotATrap() throws {
        let e = try engine()
        let err = expectError(.range, mentions: ["too late", "int64"]) {
            try e.loadBars(
                symbolID: 0, timeframe: 1, time: [.max], open: [1], high: [1], low: [1], close: [1], volume: [0])
        }
        #expect(err != nil && e.pendingEventCount == 0)
        #expect(Timeframe.m1.checkedCloseTime(opening: .max - MIN) == .max)
        #expect(Timeframe.m1.checkedCloseTime(opening: .max - MIN + 1) == nil)
    }

    // ---- periods ----

    @Test(arguments: Timeframe.all)
    func checkedPeriodsAgreeWithTheEnginesCalendar(_ tf: Timeframe) throws {
        let times: [Int64] = [
            0, 1, 4 * DAY - 1, 4 * DAY, Self.t0 - 1, Self.t0, Self.t0 + 59 * DAY + 1,
            Self.t0 + 366 * DAY - 1, 9_222_422_399_999_999_999,
        ]  // 2262-03-31T23:59:59.999999999
        for t in times {
            let (open, close) = try tf.bar(containing: t)
            #expect(open == tf.openTime(containing: t) && close == tf.closeTime(opening: open))
            #expect(open <= t && t < close)
            #expect(try tf.openTime(1, barsAfter: t) == close)
            #expect(try tf.openTime(0, barsAfter: t) == open)
            #expect(try tf.openTime(-1, barsAfter: close) == open)
        }
    }

    @Test func periodsReportTheirLimits() throws {
        expectError(.invalidArgument, mentions: ["negative"]) { _ = try Timeframe.m1.bar(containing: -1) }
        expectError(.range, mentions: ["MN1", "int64"]) { _ = try Timeframe.mn1.bar(containing: .max) }
        #expect(try Timeframe.mn1.checkedOpenTime(containing: .max) == 9_222_422_400 * SEC)  // 2262-04-01
        expectError(.range, mentions: ["outside"]) {
            _ = try Timeframe.mn1.openTime(12 * 300, barsAfter: Self.t0)
        }
        expectError(.range, mentions: ["outside"]) { _ = try Timeframe.m1.openTime(.max, barsAfter: 0) }
        // 2024-01 + 25 months = 2026-02-01: 2024 (366) + 2025 (365) + January 2026 (31) days
        #expect(try Timeframe.mn1.openTime(25, barsAfter: Self.t0 + 10 * DAY) == Self.t0 + (366 + 365 + 31) * DAY)
        #expect(try Timeframe.w1.openTime(-1, barsAfter: Self.t0) == Self.t0 - 7 * DAY)
    }
}
