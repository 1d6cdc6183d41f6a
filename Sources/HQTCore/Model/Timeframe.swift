/// A bar period, in minutes (SPEC: M1=1 ... MN1=43200). Bars are aligned
/// to UTC: intraday periods and D1 to multiples of their length since the
/// epoch, W1 to Monday 00:00, MN1 to the first day of the calendar month.
public struct Timeframe: Hashable, Sendable, CustomStringConvertible {
    public let minutes: Int32

    public static let m1 = Timeframe(unchecked: 1)
    public static let m5 = Timeframe(unchecked: 5)
    public static let m15 = Timeframe(unchecked: 15)
    public static let m30 = Timeframe(unchecked: 30)
    public static let h1 = Timeframe(unchecked: 60)
    public static let h4 = Timeframe(unchecked: 240)
    public static let d1 = Timeframe(unchecked: 1440)
    public static let w1 = Timeframe(unchecked: 10080)
    public static let mn1 = Timeframe(unchecked: 43200)
    public static let all: [Timeframe] = [.m1, .m5, .m15, .m30, .h1, .h4, .d1, .w1, .mn1]

    private init(unchecked minutes: Int32) { self.minutes = minutes }

    /// nil unless `minutes` is one of the SPEC timeframes.
    public init?(minutes: Int32) {
        guard Timeframe.all.contains(where: { $0.minutes == minutes }) else { return nil }
        self.minutes = minutes
    }

    public static func validated(_ minutes: Int32) throws(HQTError) -> Timeframe {
        guard let tf = Timeframe(minutes: minutes) else {
            throw HQTError(
                .invalidArgument,
                "timeframe \(minutes) is not one of 1, 5, 15, 30, 60, 240, 1440, 10080, 43200 (minutes)")
        }
        return tf
    }

    public var description: String {
        switch minutes {
        case 43200: return "MN1"
        case 10080: return "W1"
        case 1440: return "D1"
        case 60, 240: return "H\(minutes / 60)"
        default: return "M\(minutes)"
        }
    }

    static let nsPerMinute: Int64 = 60_000_000_000
    static let nsPerDay: Int64 = 86_400_000_000_000

    /// Open time of the bar containing `time`.
    public func openTime(containing time: Int64) -> Int64 {
        switch minutes {
        case 43200:
            let day = floorDiv(time, Timeframe.nsPerDay)
            let (y, m, _) = Timeframe.civil(fromDays: day)
            return Timeframe.days(year: y, month: m, day: 1) * Timeframe.nsPerDay
        case 10080:
            // 1970-01-05 was a Monday: 4 days after the epoch.
            let week = Timeframe.nsPerDay * 7
            let offset = Timeframe.nsPerDay * 4
            return floorDiv(time - offset, week) * week + offset
        default:
            let length = Int64(minutes) * Timeframe.nsPerMinute
            return floorDiv(time, length) * length
        }
    }

    /// Close time (exclusive end) of the bar that opens at `openTime`.
    public func closeTime(opening openTime: Int64) -> Int64 {
        switch minutes {
        case 43200:
            let (y, m, _) = Timeframe.civil(fromDays: floorDiv(openTime, Timeframe.nsPerDay))
            let (ny, nm) = m == 12 ? (y + 1, Int64(1)) : (y, m + 1)
            return Timeframe.days(year: ny, month: nm, day: 1) * Timeframe.nsPerDay
        default:
            return openTime + Int64(minutes) * Timeframe.nsPerMinute
        }
    }

    @inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    // Howard Hinnant's civil-date algorithms (proleptic Gregorian, UTC).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}
