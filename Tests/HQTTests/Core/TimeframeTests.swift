import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

// SPEC: timeframes in minutes M1=1 ... MN1=43200. docs/engine.md: a bar is
// known at its close time; W1 bars open Monday 00:00 UTC, MN1 bars on the
// first day of the calendar month; intraday and D1 aligned to the epoch.
@Suite struct TimeframeTests {
    // 2024-01-01 00:00 UTC: 54 years since 1970 with 13 leap days
    // (1972...2020) = 54*365 + 13 = 19 723 days; 19 723 * 86 400 s.
    static let jan2024: Int64 = 19_723 * DAY

    @Test(arguments: [
        (Int32(1), "M1"), (5, "M5"), (15, "M15"), (30, "M30"), (60, "H1"), (240, "H4"),
        (1440, "D1"), (10080, "W1"), (43200, "MN1"),
    ])
    func specTimeframesAreAccepted(minutes: Int32, name: String) throws {
        let tf = try #require(Timeframe(minutes: minutes))
        #expect(tf.minutes == minutes)
        #expect(tf.description == name)
        #expect((try? Timeframe.validated(minutes)) == tf)
    }

    @Test(arguments: [Int32(0), -1, 2, 7, 120, 1441, 10081, 43201])
    func otherTimeframesAreInvalidArguments(minutes: Int32) {
        #expect(Timeframe(minutes: minutes) == nil)
        expectError(.invalidArgument, mentions: ["timeframe", "\(minutes)"]) { _ = try Timeframe.validated(minutes) }
    }

    @Test func intradayBarsAlignToMultiplesOfTheirLength() {
        let t = Self.jan2024 + 5 * 60 * MIN + 30 * MIN  // 05:30
        // H4: 05:30 lies in [04:00, 08:00)
        #expect(Timeframe.h4.openTime(containing: t) == Self.jan2024 + 4 * 60 * MIN)
        #expect(Timeframe.h4.closeTime(opening: Self.jan2024 + 4 * 60 * MIN) == Self.jan2024 + 8 * 60 * MIN)
        // M15: 00:14:59.999999999 -> 00:00, 00:15 -> 00:15 (end is exclusive)
        #expect(Timeframe.m15.openTime(containing: Self.jan2024 + 15 * MIN - 1) == Self.jan2024)
        #expect(Timeframe.m15.openTime(containing: Self.jan2024 + 15 * MIN) == Self.jan2024 + 15 * MIN)
        // M1 close = open + 60 s; D1 of 23:59 is the day's midnight
        #expect(Timeframe.m1.closeTime(opening: 0) == MIN)
        #expect(Timeframe.d1.openTime(containing: Self.jan2024 + DAY - MIN) == Self.jan2024)
        #expect(Timeframe.d1.closeTime(opening: Self.jan2024) == Self.jan2024 + DAY)
    }

    @Test func weeklyBarsOpenOnMonday() {
        // 19 723 % 7 = 4 and day 0 (1970-01-01) was a Thursday, so
        // 2024-01-01 is Thursday + 4 days = Monday.
        let wednesdayNoon = Self.jan2024 + 2 * DAY + 12 * 60 * MIN
        #expect(Timeframe.w1.openTime(containing: wednesdayNoon) == Self.jan2024)
        // Sunday 23:59:59 is still the same week; next Monday 00:00 starts a new one.
        #expect(Timeframe.w1.openTime(containing: Self.jan2024 + 7 * DAY - 1) == Self.jan2024)
        #expect(Timeframe.w1.openTime(containing: Self.jan2024 + 7 * DAY) == Self.jan2024 + 7 * DAY)
        #expect(Timeframe.w1.closeTime(opening: Self.jan2024) == Self.jan2024 + 7 * DAY)
        // The epoch (Thursday) belongs to the week of Monday 1969-12-29 = -3 days.
        #expect(Timeframe.w1.openTime(containing: 0) == -3 * DAY)
    }

    @Test func monthlyBarsOpenOnTheFirstOfTheMonth() {
        // 2024-02-01 = 2024-01-01 + 31 days; 2024 is a leap year so
        // 2024-03-01 = 2024-02-01 + 29 days.
        let feb1 = Self.jan2024 + 31 * DAY
        #expect(Timeframe.mn1.openTime(containing: feb1 + 14 * DAY + 5 * SEC) == feb1)
        #expect(Timeframe.mn1.closeTime(opening: feb1) == feb1 + 29 * DAY)
        // December rolls into the next year: 2023-12-01 = 2024-01-01 - 31 days.
        let dec1 = Self.jan2024 - 31 * DAY
        #expect(Timeframe.mn1.openTime(containing: Self.jan2024 - 1) == dec1)
        #expect(Timeframe.mn1.closeTime(opening: dec1) == Self.jan2024)
        // 2023 is not a leap year: 2023-02-01 + 28 days = 2023-03-01.
        // 2023-02-01 = 2023-01-01 + 31; 2023-01-01 = 2024-01-01 - 365.
        let feb2023 = Self.jan2024 - 365 * DAY + 31 * DAY
        #expect(Timeframe.mn1.closeTime(opening: feb2023) == feb2023 + 28 * DAY)
    }
}
