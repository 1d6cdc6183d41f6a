import CHQTABI
import Glibc

/// Reads the fuzzer's bytes as typed values. Past the end every read gives 0,
/// so any input, even an empty one, is a complete program.
public struct FuzzInput {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    public init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : count)
    }

    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    public mutating func u16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }
    public mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    public mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }
    public mutating func i64() -> Int64 { Int64(bitPattern: u64()) }

    /// Up to `max` bytes, fewer at the end of the input.
    public mutating func take(_ max: Int) -> [UInt8] {
        let n = Swift.min(max, bytes.count - Swift.min(position, bytes.count))
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    /// An integer as the engine meets them: mostly near `base` (so that
    /// orders fill and prices make sense), sometimes an edge of the int64
    /// range or a raw value, which is where overflow would hide.
    public mutating func value(near base: Int64, spread: Int64) -> Int64 {
        switch byte() % 8 {
        case 0: return [0, 1, -1, Int64.min, Int64.max, Int64.min + 1, Int64.max - 1, 1_000_000][Int(byte() % 8)]
        case 1: return i64()
        case 2: return Int64(Int32(bitPattern: u32()))
        default:
            let offset = Int64(Int16(bitPattern: u16()))
            return base &+ offset &* Swift.max(spread / 32768, 1)
        }
    }

    /// A double as a loader meets them: mostly near `base`, sometimes NaN,
    /// an infinity, a huge, tiny or negative value, or any bit pattern.
    public mutating func double(near base: Double) -> Double {
        switch byte() % 8 {
        case 0: return [Double.nan, .infinity, -.infinity, 0, -0.0, 1e300, -1e-300, 9.3e12][Int(byte() % 8)]
        case 1: return Double(bitPattern: u64())
        default: return base + Double(Int16(bitPattern: u16())) * base / 100_000
        }
    }
}

/// Every status the C ABI documents, HQT_E_INTERNAL excluded: it means a
/// bug in HQT, which is exactly what the fuzzer looks for.
public func check(_ status: Int32, _ call: StaticString) {
    // Any documented status but HQT_E_INTERNAL (a bug): the list grows with
    // the header, so it is asked of the library rather than written here.
    let name = String(cString: hqt_status_name(status))
    guard status >= 0, status != 99, name != "HQT_E_UNKNOWN_STATUS" else {
        fail("\(call) returned \(status) (\(String(cString: hqt_status_name(status)))): \(lastError())")
    }
    if status != 0 && lastError().isEmpty {
        fail("\(call) returned \(status) with an empty hqt_last_error()")
    }
}

/// Checks a call on a handle that must be refused as not live.
public func checkRefused(_ status: Int32, _ call: StaticString) {
    check(status, call)
    if status != 1 { fail("\(call) on a destroyed handle returned \(status), not HQT_E_INVALID_ARGUMENT") }
}

public func lastError() -> String { String(cString: hqt_last_error()) }

/// Reports a broken contract and aborts, which libFuzzer records as a crash.
public func fail(_ message: String) -> Never {
    let line = "hqt fuzz: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    abort()
}
