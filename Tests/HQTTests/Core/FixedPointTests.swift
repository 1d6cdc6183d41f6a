import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// docs/engine.md "Rounding": every division rounds half away from zero
// (FixedPoint.mulDiv); floats become micro units once, round(x * 1e6) half
// away from zero.
@Suite struct FixedPointTests {
    @Test func mulDivRoundsHalfAwayFromZero() {
        // 7 * 1 / 2 = 3.5 -> 4 ; -3.5 -> -4
        #expect(FixedPoint.mulDiv(7, 1, 2) == 4)
        #expect(FixedPoint.mulDiv(-7, 1, 2) == -4)
        #expect(FixedPoint.mulDiv(7, -1, 2) == -4)
        // 5 / 3 = 1.67 -> 2 ; 4 / 3 = 1.33 -> 1 ; negatives mirror
        #expect(FixedPoint.mulDiv(5, 1, 3) == 2)
        #expect(FixedPoint.mulDiv(4, 1, 3) == 1)
        #expect(FixedPoint.mulDiv(-5, 1, 3) == -2)
        #expect(FixedPoint.mulDiv(-4, 1, 3) == -1)
        // 1 / 3 = 0.33 -> 0 ; exact products stay exact: 1.5 * 2.0 = 3.0
        #expect(FixedPoint.mulDiv(1, 1, 3) == 0)
        #expect(FixedPoint.mulDiv(1_500_000, 2_000_000, 1_000_000) == 3_000_000)
    }

    @Test func divRoundHalves() {
        // 1/2 = 0.5 -> 1 ; -1/2 -> -1 ; 5/2 = 2.5 -> 3 ; -5/2 -> -3 ; 4/4 = 1
        #expect(FixedPoint.divRound(1, 2) == 1)
        #expect(FixedPoint.divRound(-1, 2) == -1)
        #expect(FixedPoint.divRound(5, 2) == 3)
        #expect(FixedPoint.divRound(-5, 2) == -3)
        #expect(FixedPoint.divRound(4, 4) == 1)
        #expect(FixedPoint.divRound(0, 7) == 0)
    }

    @Test func mulDivWithoutIntermediateOverflow() {
        // 3e12 * 3e12 = 9e24 overflows Int64; / 2e12 = 4.5e12 exactly.
        #expect(FixedPoint.mulDiv(3_000_000_000_000, 3_000_000_000_000, 2_000_000_000_000) == 4_500_000_000_000)
        // (3e12 + 1) * 3e12 / 2e12 = 4.5e12 + 1.5 -> 4 500 000 000 002 (half away)
        #expect(FixedPoint.mulDiv(3_000_000_000_001, 3_000_000_000_000, 2_000_000_000_000) == 4_500_000_000_002)
        #expect(FixedPoint.mulDiv(-3_000_000_000_001, 3_000_000_000_000, 2_000_000_000_000) == -4_500_000_000_002)
    }

    @Test func floatsBecomeMicroUnitsHalfAwayFromZero() {
        // 1/128 = 0.0078125 exactly in binary; x 1e6 = 7812.5 exactly -> 7813.
        #expect(FixedPoint.micro(0.0078125) == 7_813)
        #expect(FixedPoint.micro(-0.0078125) == -7_813)
        // 1 + 3/128 = 1.0234375; x 1e6 = 1 023 437.5 -> 1 023 438
        #expect(FixedPoint.micro(1.0234375) == 1_023_438)
        #expect(FixedPoint.micro(1.1) == 1_100_000)
        #expect(FixedPoint.micro(0) == 0)
    }

    /// micro() rounds by truncation and the fraction (no libm call): it must
    /// agree with `rounded(.toNearestOrAwayFromZero)` everywhere, halves,
    /// the doubles next to them, and the ends of the range included.
    @Test func microAgreesWithLibmRounding() {
        func reference(_ x: Double) -> Int64? {
            guard x.isFinite else { return nil }
            let r = (x * 1e6).rounded(.toNearestOrAwayFromZero)
            return r > -9.2e18 && r < 9.2e18 ? Int64(r) : nil
        }
        var values: [Double] = [
            0.4999999999999999e-6, 0.5e-6, 1.5e-6, 2.5e-6, 0.49999999999999994, 4503599627370495.5 / 1e6,
            9.2e12, 9.1999999999999e12, 9.2e12.nextDown, 9.2e12.nextUp, 1e-300, 5e-324,
            Double.greatestFiniteMagnitude, 4503599627370496.0, 9007199254740993.0 / 1e6,
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<200_000 {  // random doubles of every magnitude, and halves of micro units
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let significand = Double(bitPattern: 0x3FF0_0000_0000_0000 | (state >> 12))  // [1, 2)
            values.append(Double(sign: .plus, exponent: Int(state % 76) - 30, significand: significand))
            values.append((Double(Int64(bitPattern: state) >> 20) + 0.5) / 1e6)
        }
        for v in values + values.map({ -$0 }) {
            #expect(FixedPoint.micro(v) == reference(v), "\(v)")
        }
    }

    @Test func nonFiniteAndHugeFloatsAreRefused() {
        #expect(FixedPoint.micro(.nan) == nil)
        #expect(FixedPoint.micro(.infinity) == nil)
        #expect(FixedPoint.micro(-.infinity) == nil)
        // 1e13 * 1e6 = 1e19 > Int64.max (9.22e18)
        #expect(FixedPoint.micro(1e13) == nil)
    }

    @Test func formatTrimsTrailingZeros() {
        #expect(FixedPoint.format(1_500_000) == "1.5")
        #expect(FixedPoint.format(-2_000_000) == "-2")
        #expect(FixedPoint.format(1) == "0.000001")
        #expect(FixedPoint.format(-1_100_200) == "-1.1002")
        #expect(FixedPoint.format(0) == "0")
    }
}
