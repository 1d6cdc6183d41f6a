import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

/// What an `hqt_engine *` points to. The magic number lets every call
/// reject a null, foreign or already destroyed handle with an error code
/// instead of crashing (the check sqlite3SafetyCheckOk does).
final class EngineHandle {
    static let liveMagic: UInt64 = 0x4851_5445_4E47_494E  // "HQTENGIN"
    var magic = EngineHandle.liveMagic
    let engine: Engine
    init(_ engine: Engine) { self.engine = engine }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }
}

/// The engine behind a C handle, or an invalid-argument error.
@inline(__always)
func engine(_ handle: OpaquePointer?) throws(HQTError) -> Engine {
    guard let handle else { throw invalid("engine handle is NULL") }
    let box = Unmanaged<EngineHandle>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    guard box.magic == EngineHandle.liveMagic else {
        throw invalid("engine handle is not a live hqt_engine (destroyed or foreign pointer)")
    }
    return box.engine
}

/// Checks an output pointer argument.
@inline(__always)
func output<T>(_ pointer: UnsafeMutablePointer<T>?, _ name: String) throws(HQTError) -> UnsafeMutablePointer<T> {
    guard let pointer else { throw invalid("\(name) is NULL") }
    return pointer
}

/// A C string argument as a Swift string; NULL and invalid UTF-8 are errors.
func string(_ pointer: UnsafePointer<CChar>?, _ name: String, allowNull: Bool = false) throws(HQTError) -> String {
    guard let pointer else {
        if allowNull { return "" }
        throw invalid("\(name) is NULL")
    }
    guard strnlen(pointer, 4096) < 4096 else { throw invalid("\(name) is longer than 4095 bytes") }
    guard let s = String(validatingCString: pointer) else { throw invalid("\(name) is not valid UTF-8") }
    return s
}

/// Writes `s` NUL-terminated into a fixed C char array (truncating).
func copy<T>(_ s: String, into field: inout T) {
    withUnsafeMutableBytes(of: &field) { raw in
        let n = min(s.utf8.count, raw.count - 1)
        for (i, byte) in s.utf8.prefix(n).enumerated() { raw[i] = byte }
        raw[n] = 0
    }
}

/// Copies a list into a caller's buffer: at most `capacity` items, total in *count.
func copyList<S, C>(
    _ items: [S], _ out: UnsafeMutablePointer<C>?, _ capacity: Int,
    _ count: UnsafeMutablePointer<Int>?, _ convert: (S) -> C
) throws(HQTError) {
    let count = try output(count, "out_count")
    guard capacity == 0 || out != nil else { throw invalid("out is NULL but capacity is \(capacity)") }
    count.pointee = items.count
    guard let out else { return }
    for i in 0..<min(capacity, items.count) { out[i] = convert(items[i]) }
}

#if canImport(Glibc)
import Glibc
#endif
