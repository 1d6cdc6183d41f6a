import Testing

@testable import HQTCore

// Model/MarketDataRules+Bulk.swift: loads convert and screen a step of rows
// at a time and run the exact rule only over a step the screen flags. These
// check that the screens miss nothing, wherever in a step the bad row is,
// and that a clean load stores what the rule-by-rule load stored.
@Suite struct BulkLoadTests {
    static let t0: Int64 = 19_723 * DAY  // 2024-01-01
    /// Rows just around the steps' boundaries (Engine.loadStep = 4 096) and
    /// the last of three steps.
    static let rows = [1, 4_095, 4_096, 4_097, 9_999]
    static let n = 10_000

    func engine() throws -> Engine {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("EURUSD"))
        return e
    }

    struct Bars {
        var time: [Int64]
        var open: [Double], high: [Double], low: [Double], close: [Double], volume: [Double]
    }

    /// Good M1 bars of a random walk on a 0.00001 grid, with volumes
    /// ending in half a micro unit (ties of the rounding).
    static func bars(_ n: Int = n, from start: Int64 = t0) -> Bars {
        var b = Bars(time: [], open: [], high: [], low: [], close: [], volume: [])
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var price = 110_000
        for i in 0..<n {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let open = price, close = price + Int(state >> 60) - 8
            let high = max(open, close) + Int((state >> 56) & 7), low = min(open, close) - Int((state >> 52) & 7)
            price = close
            b.time.append(start + Int64(i) * MIN)
            b.open.append(Double(open) / 100_000); b.high.append(Double(high) / 100_000)
            b.low.append(Double(low) / 100_000); b.close.append(Double(close) / 100_000)
            b.volume.append((Double(state >> 44) + 0.5) / 1e6)
        }
        return b
    }

    func load(_ e: Engine, _ b: Bars, timeframe: Int32 = 1) throws {
        try b.time.withUnsafeBufferPointer { t in
            try b.open.withUnsafeBufferPointer { o in
                try b.high.withUnsafeBufferPointer { h in
                    try b.low.withUnsafeBufferPointer { l in
                        try b.close.withUnsafeBufferPointer { c in
                            try b.volume.withUnsafeBufferPointer { v in
                                try e.loadBars(
                                    symbolID: 0, timeframe: timeframe, time: t, open: o, high: h, low: l, close: c,
                                    volume: v)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The rule's verdict on the same rows, converted by the scalar micro.
    func ruled(_ b: Bars, timeframe: Timeframe = .m1, notBefore: Int64 = 0) -> (index: Int, error: HQTError)? {
        let m: (Double) -> Int64 = MarketDataRules.micro
        return MarketDataRules.validateBars(
            subject: "EURUSD \(timeframe) bar", timeframe: timeframe, count: b.time.count, notBefore: notBefore,
            row: { (b.time[$0], m(b.open[$0]), m(b.high[$0]), m(b.low[$0]), m(b.close[$0]), m(b.volume[$0])) })
    }

    static let badBars: [(String, @Sendable (inout Bars, Int) -> Void)] = [
        ("negative time", { $0.time[$1] = -1 }),
        ("same open time", { $0.time[$1] = $0.time[$1 - 1] }),
        ("earlier open time", { $0.time[$1] = $0.time[$1 - 1] - 1 }),
        ("closes after int64", { $0.time[$1] = .max - 1 }),
        ("zero open", { $0.open[$1] = 0 }),
        ("negative high", { $0.high[$1] = -1 }),
        ("NaN low", { $0.low[$1] = .nan }),
        ("infinite close", { $0.close[$1] = .infinity }),
        ("price above 1e9", { ($0.close[$1], $0.high[$1]) = (2e9, 2e9) }),
        ("price beyond int64", { ($0.open[$1], $0.high[$1]) = (1e20, 1e20) }),
        ("-0.0000004 rounds to 0", { $0.low[$1] = -0.000_000_4 }),
        ("open above high", { $0.open[$1] = $0.high[$1] + 0.000_01 }),
        ("close above high", { $0.close[$1] = $0.high[$1] + 0.000_01 }),
        ("open below low", { $0.open[$1] = $0.low[$1] - 0.000_01 }),
        ("close below low", { $0.close[$1] = $0.low[$1] - 0.000_01 }),
        ("low above high", { $0.low[$1] = $0.high[$1] + 0.000_01 }),
        ("negative volume", { $0.volume[$1] = -0.000_001 }),
        ("NaN volume", { $0.volume[$1] = .nan }),
    ]

    @Test(arguments: badBars.indices, rows)
    func everyBadBarIsFoundWhereverItIs(_ k: Int, _ row: Int) throws {
        var b = Self.bars()
        Self.badBars[k].1(&b, row)
        let found = try #require(ruled(b), "\(Self.badBars[k].0)")
        #expect(found.index == row)
        let e = try engine()
        try load(e, Self.bars(100, from: Self.t0 - 100 * MIN))  // a bad batch leaves the one before it
        let loaded = expectError(found.error.code) { try load(e, b) }
        #expect(loaded?.message == found.error.message)
        #expect(e.pendingEventCount == 100 && e.feed.bars[0].count == 100)
    }

    @Test func aBarClosingBeforeTheClockIsFoundAsByTheRule() throws {
        let e = try engine()
        let b = Self.bars()
        let clock = b.time[4_096] + MIN + 1  // after bar 4 096 closes, before bar 4 097 does
        try e.tick(at: clock, bid: 1_000_000)
        let found = try #require(ruled(b, notBefore: clock))
        let loaded = expectError(.dataOrder) { try load(e, b) }
        #expect(found.index == 0 && loaded?.message == found.error.message)
        let late = Bars(
            time: Array(b.time[4_097...]), open: Array(b.open[4_097...]), high: Array(b.high[4_097...]),
            low: Array(b.low[4_097...]), close: Array(b.close[4_097...]), volume: Array(b.volume[4_097...]))
        try load(e, late)
        #expect(e.feed.bars[0].count == Self.n - 4_097)
    }

    /// A clean load stores each value as the scalar micro rounds it, and
    /// close times as the timeframe computes them; a volume beyond the
    /// bias's range (2^50 micro units) sends its step through micro.
    @Test(arguments: [Timeframe.m1, .mn1])
    func aCleanLoadStoresWhatTheRuleWould(_ tf: Timeframe) throws {
        // MN1: 3 000 month starts from 1970 (10 000 would pass 2262)
        let n = tf == .mn1 ? 3_000 : Self.n
        var b = Self.bars(n)
        if tf == .mn1 {
            b.time[0] = 0
            for i in 1..<n { b.time[i] = try tf.openTime(1, barsAfter: b.time[i - 1]) }
        }
        b.volume[2_000] = 3e9  // 3e15 micro units
        let e = try engine()
        #expect(ruled(b, timeframe: tf) == nil)
        try load(e, b, timeframe: tf.minutes)
        let s = e.feed.bars[0]
        let m: (Double) -> Int64 = MarketDataRules.micro
        #expect(s.count == n)
        for i in 0..<n {
            #expect(s.time[i] == b.time[i] && s.closeTime[i] == tf.closeTime(opening: b.time[i]))
            #expect(s.open[i] == m(b.open[i]) && s.high[i] == m(b.high[i]) && s.low[i] == m(b.low[i]))
            #expect(s.close[i] == m(b.close[i]) && s.volume[i] == m(b.volume[i]))
        }
        #expect(s.volume[2_000] == 3_000_000_000_000_000)
    }

    // ---- ticks ----

    static let badTicks: [(String, @Sendable (inout [Int64], inout [Double], inout [Double], Int) -> Void)] = [
        ("negative time", { t, _, _, i in t[i] = -1 }),
        ("backwards", { t, _, _, i in t[i] = t[i - 1] - 1 }),
        ("zero bid", { _, b, _, i in b[i] = 0 }),
        ("NaN ask", { _, _, a, i in a[i] = .nan }),
        ("huge bid", { _, b, a, i in (b[i], a[i]) = (1e20, 1e20) }),
        ("ask below bid", { _, b, a, i in a[i] = b[i] - 0.000_01 }),
    ]

    @Test(arguments: badTicks.indices, rows)
    func everyBadTickIsFoundWhereverItIs(_ k: Int, _ row: Int) throws {
        var t = (0..<Self.n).map { Self.t0 + Int64($0 / 2) * SEC }  // pairs of equal times are fine
        var bid = Self.bars().close
        var ask = bid.map { $0 + 0.000_2 }
        Self.badTicks[k].1(&t, &bid, &ask, row)
        let m: (Double) -> Int64 = MarketDataRules.micro
        let found = try #require(
            MarketDataRules.validateTicks(
                subject: "EURUSD tick", count: Self.n, time: { t[$0] }, bid: { m(bid[$0]) }, ask: { m(ask[$0]) }))
        #expect(found.index == row)
        let e = try engine()
        let loaded = expectError(found.error.code) {
            try t.withUnsafeBufferPointer { tb in
                try bid.withUnsafeBufferPointer { bb in
                    try ask.withUnsafeBufferPointer { ab in try e.loadTicks(symbolID: 0, time: tb, bid: bb, ask: ab) }
                }
            }
        }
        #expect(loaded?.message == found.error.message)
        #expect(e.pendingEventCount == 0)
    }

    // ---- conversion ----

    /// The block conversion (a bias instead of a conversion instruction)
    /// agrees with the scalar micro on every value, in blocks where all
    /// fit the bias and in blocks where one does not.
    @Test func blockMicroAgreesWithMicro() {
        func converted(_ values: [Double]) -> [Int64] {
            var out = [Int64](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    MarketDataRules.micro(v.baseAddress!, count: v.count, to: o.baseAddress!)
                }
            }
            return out
        }
        let limit = 1_125_899_906.842624  // 2^50 micro units
        var values: [Double] = [
            0, -0.0, 0.5e-6, 1.5e-6, 2.5e-6, 0.4999999999999999e-6, 0.0078125, 1.0234375, 1.1, 1e9, 1e-300,
            limit.nextDown.nextDown,
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<50_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let significand = Double(bitPattern: 0x3FF0_0000_0000_0000 | (state >> 12))  // [1, 2)
            values.append(Double(sign: .plus, exponent: Int(state % 50) - 30, significand: significand))
            values.append((Double(Int64(bitPattern: state) >> 24) + 0.5) / 1e6)  // halves of micro units
        }
        values += values.map { -$0 }
        // all within the bias's range: this block takes the bias, not micro
        #expect(values.allSatisfy { ($0 * 1e6).magnitude < MarketDataRules.biasLimit })
        #expect(converted(values) == values.map { MarketDataRules.micro($0) })
        // one value outside it: the block is converted by micro
        for odd in [Double.nan, .infinity, -.infinity, 1e13, 9.2e12, 3e9, -3e9, limit, limit.nextUp] {
            let block = Array(values[..<1_000] + [odd] + values[1_000..<2_000])
            #expect(converted(block) == block.map { MarketDataRules.micro($0) }, "\(odd)")
        }
    }
}
