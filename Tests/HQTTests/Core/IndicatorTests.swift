import Testing

@testable import HQTCore

// The indicator core on its own: exact windowed sums, the highest/lowest
// queue against a brute-force scan, a quiet tick path that still updates
// tick indicators, and a state copied through a snapshot section that
// continues bit for bit. Values against TA-Lib: python/tests/test_indicators.py.
@Suite struct IndicatorTests {
    func spec(_ kind: IndicatorKind, _ params: [Double], timeframe: Timeframe? = nil, history: Int = 16)
        throws -> IndicatorSpec
    {
        try IndicatorSpec(
            kind: kind, symbolID: 0, timeframe: timeframe, source: nil, params: params, history: history)
    }

    /// A deterministic walk of micro prices with flat stretches and jumps.
    func walk(_ n: Int) -> [Int64] {
        var x: Int64 = 1_000_000_000, state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var out: [Int64] = []
        for i in 0..<n {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let step = Int64((state >> 33) % 2001) - 1000
            if i % 97 < 5 { out.append(x); continue }  // flat
            x = max(1, x + step * (i % 500 == 0 ? 1000 : 1))
            out.append(x)
        }
        return out
    }

    @Test func smaIsTheExactMeanAndNaNBeforeWarmup() throws {
        let ind = Indicator(try spec(.sma, [7]))
        let xs = walk(1000)
        for (i, x) in xs.enumerated() {
            ind.update(bid: x, ask: x, time: Int64(i))
            let v = try #require(ind.value(output: 0, shift: 0))
            if i < 6 {
                #expect(v.isNaN)
            } else {
                let sum = xs[(i - 6)...i].reduce(0, +)
                #expect(v == Double(sum) / 7e6)
            }
        }
        #expect(ind.view.pointee.count == 1000 && ind.view.pointee.warmup == 7)
    }

    @Test func highestLowestMatchABruteForceScan() throws {
        for period in [1, 2, 5, 33] {
            let hi = Indicator(try spec(.highest, [Double(period)]))
            let lo = Indicator(try spec(.lowest, [Double(period)]))
            let xs = walk(3000)
            for (i, x) in xs.enumerated() {
                hi.update(bid: x, ask: x, time: Int64(i))
                lo.update(bid: x, ask: x, time: Int64(i))
                guard i >= period - 1 else { continue }
                let window = xs[(i - period + 1)...i]
                #expect(hi.value(output: 0, shift: 0) == Double(window.max()!) / 1e6)
                #expect(lo.value(output: 0, shift: 0) == Double(window.min()!) / 1e6)
            }
        }
    }

    @Test func historyRingAndOutOfRange() throws {
        let ind = Indicator(try spec(.sma, [1], history: 4))
        for i in 0..<10 { ind.update(bid: Int64(i + 1) * 1_000_000, ask: 0, time: Int64(i)) }
        #expect(ind.value(output: 0, shift: 0) == 10)
        #expect(ind.value(output: 0, shift: 3) == 7)
        #expect(ind.value(output: 0, shift: 4) == nil)
        #expect(ind.value(output: 1, shift: 0) == nil)
        #expect(ind.value(output: 0, shift: -1) == nil)
    }

    @Test func badSpecsAreRefused() {
        #expect(throws: HQTError.self) { try spec(.sma, [0]) }
        #expect(throws: HQTError.self) { try spec(.sma, [.nan]) }
        #expect(throws: HQTError.self) { try spec(.sma, [2e6]) }
        #expect(throws: HQTError.self) { try spec(.macd, [26, 12, 9]) }
        #expect(throws: HQTError.self) { try spec(.bbands, [20, .infinity]) }
        #expect(throws: HQTError.self) { try spec(.sma, [5], history: 0) }
        #expect(throws: HQTError.self) { try spec(.sma, [5, 1]) }
    }

    @Test func stateCopiedThroughASnapshotContinuesBitForBit() throws {
        for kind in IndicatorKind.allCases {
            let s = try spec(kind, [], timeframe: .m1)
            let a = Indicator(s), b = Indicator(s)
            let xs = walk(600)
            func bar(_ i: Int) -> Bar {
                Bar(
                    symbolID: 0, timeframe: .m1, time: Int64(i) * 60, open: xs[i], high: xs[i] + 500,
                    low: xs[i] - 700, close: xs[i], volume: 1)
            }
            for i in 0..<300 { a.update(bar: bar(i), closeTime: Int64(i)) }
            let w = ByteWriter()
            a.write(into: w)
            var r = ByteReader(Array(UnsafeRawBufferPointer(start: w.base, count: w.count)), context: "test")
            b.apply(try Indicator.read(&r, spec: s))
            for i in 300..<600 {
                a.update(bar: bar(i), closeTime: Int64(i))
                b.update(bar: bar(i), closeTime: Int64(i))
                for o in 0..<kind.outputs {
                    let va = try #require(a.value(output: o, shift: 0))
                    let vb = try #require(b.value(output: o, shift: 0))
                    #expect(va.bitPattern == vb.bitPattern, "\(kind) output \(o) at \(i)")
                }
            }
        }
    }

    @Test func tickIndicatorsUpdateOnTheQuietTickPath() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        let id = try e.declareIndicator(try spec(.sma, [3]))
        let bids: [Int64] = [1_100_000, 1_100_010, 1_100_020, 1_100_030, 1_100_040]
        try e.loadTicks(
            symbolID: 0, time: (1...5).map { Int64($0) * SEC }, bid: bids, ask: bids.map { $0 + 20 })
        try e.run()
        let ind = try e.indicator(id)
        #expect(ind.view.pointee.count == 5)
        #expect(ind.value(output: 0, shift: 0) == Double(1_100_030 * 3) / 3e6)
    }
}

extension IndicatorTests {
    @Test func aStateWithPositionsOutOfRangeIsCorrupt() throws {
        let s = try spec(.sma, [5], timeframe: .m1)
        let a = Indicator(s)
        for i in 0..<7 { a.update(bid: Int64(i) * 1_000_000, ask: 0, time: Int64(i)) }
        let w = ByteWriter()
        a.write(into: w)
        let bytes = Array(UnsafeRawBufferPointer(start: w.base, count: w.count))
        // the window's position: 24 bytes of header, then the block
        func corrupt(_ offset: Int, _ value: Int64) -> [UInt8] {
            var copy = bytes
            withUnsafeBytes(of: value.littleEndian) { for k in 0..<8 { copy[24 + offset + k] = $0[k] } }
            return copy
        }
        // the window's position; the update count; the sketch's skipped values (stride 1)
        for bad in [corrupt(a.w0At, 1 << 40), corrupt(a.scalarsAt, .max), corrupt(a.sketchAt + 16, .max)] {
            var r = ByteReader(bad, context: "test")
            #expect(throws: HQTError.self) { try Indicator.read(&r, spec: s) }
        }
        var r = ByteReader(bytes, context: "test")
        _ = try Indicator.read(&r, spec: s)  // the state as written reads
    }
}

extension IndicatorTests {
    /// The update loops update most SMAs inline (`SMAUpdate`), `Indicator.update`
    /// runs the general `step`: both must leave the same state, byte for byte
    /// (values, window, sums, plot sketch past its first thinning), on bars of
    /// each price and on ticks of each source.
    @Test func inlineSMAUpdatesLeaveTheStateOfTheGeneralStep() throws {
        let n = 3000, xs = walk(n), t0: Int64 = 1_704_067_200 * SEC
        func state(_ ind: Indicator) -> [UInt8] {
            let w = ByteWriter()
            ind.write(into: w)
            return Array(UnsafeRawBufferPointer(start: w.base, count: w.count))
        }
        func check(ticks: Bool, sources: [PriceSource]) throws {
            let e = try makeEngine()
            try e.addSymbol(usdSymbol())
            var specs: [IndicatorSpec] = []
            for period in [1.0, 7, 30] {
                for source in sources {
                    specs.append(
                        try IndicatorSpec(
                            kind: .sma, symbolID: 0, timeframe: ticks ? nil : .m1, source: source, params: [period],
                            history: 64))
                }
            }
            let ids = try specs.map { try e.declareIndicator($0) }
            let time = (0..<n).map { t0 + Int64($0) * MIN }
            let high = xs.map { $0 + 500 }, low = xs.map { $0 - 700 }, open = xs.map { $0 + 100 }
            if ticks {
                try e.loadTicks(symbolID: 0, time: time, bid: xs, ask: high)
            } else {
                try e.loadBars(
                    symbolID: 0, timeframe: 1, time: time, open: open, high: high, low: low, close: xs,
                    volume: Array(repeating: 1, count: n))
            }
            try e.run()
            for (id, s) in zip(ids, specs) {
                let direct = Indicator(s)
                for i in 0..<n {
                    if ticks {
                        direct.update(bid: xs[i], ask: high[i], time: time[i])
                    } else {
                        let bar = Bar(
                            symbolID: 0, timeframe: .m1, time: time[i], open: open[i], high: high[i], low: low[i],
                            close: xs[i], volume: 1)
                        direct.update(bar: bar, closeTime: time[i] + MIN)
                    }
                }
                #expect(state(try e.indicator(id)) == state(direct), "\(s.source) period \(s.params[0])")
            }
        }
        try check(ticks: false, sources: [.close, .open, .high, .low])
        try check(ticks: true, sources: [.bid, .ask, .mid])
    }
}
