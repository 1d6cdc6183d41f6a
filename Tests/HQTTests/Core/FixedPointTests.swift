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
