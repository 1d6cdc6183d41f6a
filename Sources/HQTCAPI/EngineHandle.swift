import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

/// Live `hqt_engine *` handles (HandleTable: generation-checked ids, not addresses).
let engines = HandleTable<Engine>(tag: 0xE1, typeName: "hqt_engine", argument: "engine")

/// The engine behind a C handle, or an invalid-argument error for NULL, a
/// destroyed or a foreign handle.
@inline(__always)
func engine(_ handle: OpaquePointer?) throws(HQTError) -> Engine {
    try engines.object(handle)
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
