import Testing

@testable import HQTCore

/// Floating profit from per-symbol, per-side aggregates: exact, and the
/// same as summing the positions one by one.
@Suite struct ExposureTests {
    @Test func aggregateEqualsTheExactSumOfManyPositions() throws {
        let e = try makeEngine(balance: 10_000_000 * U)
        try e.addSymbol(usdSymbol("EURUSD"))
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_020)
        var prices: [Int64] = []
        for i in 0..<500 {
            let bid = 1_100_000 + Int64(i % 17) * 13
            try e.tick(at: SEC * Int64(i + 2), bid: bid, ask: bid + 20)
            if i % 3 == 0 {
                try e.sell(symbolID: 0, volume: 30_000)
            } else {
                try e.buy(symbolID: 0, volume: 10_000 * Int64(1 + i % 4))
            }
            prices.append(bid)
        }
        try e.tick(at: 1_000 * SEC, bid: 1_101_234, ask: 1_101_250)
        // Exact sum in 128 bits of (close - open) × volume × contract / 1e12.
        var exact: Int128 = 0
        for p in e.openPositions {
            let close: Int64 = p.side == .buy ? 1_101_234 : 1_101_250
            let diff = p.side == .buy ? close - p.openPrice : p.openPrice - close
            exact += Int128(diff) * Int128(p.volume) * Int128(100_000 * U)
        }
        let buys = e.openPositions.filter { $0.side == .buy }, sells = e.openPositions.filter { $0.side == .sell }
        #expect(buys.count > 100 && sells.count > 100)
        func round(_ x: Int128) -> Int64 { FixedPoint.divRoundWide(x, 1_000_000_000_000) }
        var perSide: Int128 = 0
        for side in [buys, sells] {
            var s: Int128 = 0
            for p in side {
                let close: Int64 = p.side == .buy ? 1_101_234 : 1_101_250
                s +=
                    Int128(p.side == .buy ? close - p.openPrice : p.openPrice - close) * Int128(p.volume)
                    * Int128(100_000 * U)
            }
            perSide += Int128(round(s))
        }
        #expect(e.floatingProfit == Int64(perSide))
        // Rounded once per side: within one micro unit per side of the exact value.
        #expect(abs(Int128(e.floatingProfit) * 1_000_000_000_000 - exact) <= 2 * 1_000_000_000_000)
        // Each position rounded alone (as `positions` shows them) differs
        // from the aggregate by at most half a micro unit per position.
        let sumOfShown = e.positions.reduce(Int64(0)) { $0 + $1.profit }
        #expect(abs(sumOfShown - e.floatingProfit) <= Int64(e.openPositions.count / 2 + 1))
        #expect(e.equity == e.balance + e.floatingProfit)
    }

    @Test func onePositionIsExactlyItsOwnProfit() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("EURUSD"))
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_020)
        try e.buy(symbolID: 0, volume: 130_000)
        try e.tick(at: 2 * SEC, bid: 1_100_777, ask: 1_100_797)
        #expect(e.floatingProfit == e.positions[0].profit)
        #expect(
            e.floatingProfit
                == FixedPoint.divRoundWide(
                    Int128(1_100_777 - 1_100_020) * 130_000 * Int128(100_000 * U), 1_000_000_000_000))
    }

    @Test func closingEveryPositionLeavesNoExposure() throws {
        let e = try makeEngine()
        try e.addSymbol(usdSymbol("EURUSD"))
        try e.tick(at: SEC, bid: 1_100_000, ask: 1_100_020)
        for _ in 0..<5 { try e.buy(symbolID: 0, volume: 10_000) }
        for p in e.positions { try e.close(ticket: p.ticket) }
        try e.tick(at: 2 * SEC, bid: 1_200_000, ask: 1_200_020)
        #expect(e.floatingProfit == 0)
        #expect(e.activeSymbols.count == 0)
        #expect(e.quotes[0].exposure.isFlat)
    }
}
