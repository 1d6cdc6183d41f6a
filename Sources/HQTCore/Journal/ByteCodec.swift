/// Little-endian writer for WAL payloads and snapshots, into one growing
/// raw buffer: a field is one unaligned store, and a writer kept by the
/// engine is reused for every record, so journaling does not allocate.
final class ByteWriter {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    func reset() { count = 0 }

    @inline(__always) private func ensure(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    @inline(never) private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        fresh.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    @inline(__always) private func put<T: FixedWidthInteger>(_ v: T) {
        ensure(MemoryLayout<T>.size)
        base.storeBytes(of: v.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    func u8(_ v: UInt8) { put(v) }
    func bool(_ v: Bool) { put(UInt8(v ? 1 : 0)) }
    func u32(_ v: UInt32) { put(v) }
    func i32(_ v: Int32) { put(v) }
    func u64(_ v: UInt64) { put(v) }
    func i64(_ v: Int64) { put(v) }
    func f64(_ v: Double) { put(v.bitPattern) }
    func raw(_ b: UnsafeRawBufferPointer) {
        ensure(b.count)
        if let src = b.baseAddress, b.count > 0 { (base + count).copyMemory(from: src, byteCount: b.count) }
        count += b.count
    }
    func string(_ s: String) {
        u32(UInt32(s.utf8.count))
        var s = s
        s.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }
    func blob(_ b: [UInt8]) {
        u64(UInt64(b.count))
        b.withUnsafeBytes { raw($0) }
    }

    /// The bytes written so far (valid until the next write or reset).
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    /// A copy of the bytes written so far.
    var bytes: [UInt8] { Array(buffer) }
}

/// Bounds-checked reader: running past the end, or an impossible count, is
/// a corruption error naming what was being read, never a trap.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0
    let context: String

    init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.context = context
    }

    var remaining: Int { bytes.count - offset }

    func corrupt(_ what: String) -> HQTError {
        HQTError(.walCorrupt, "\(context): \(what) at payload byte \(offset) of \(bytes.count)")
    }

    mutating func take(_ n: Int, _ what: String) throws(HQTError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw corrupt("truncated \(what)") }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    mutating func u8(_ what: String = "u8") throws(HQTError) -> UInt8 { try take(1, what).first! }
    mutating func bool(_ what: String = "flag") throws(HQTError) -> Bool {
        let v = try u8(what)
        guard v <= 1 else { throw corrupt("\(what) is \(v), not 0 or 1") }
        return v == 1
    }
    mutating func u64(_ what: String = "u64") throws(HQTError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8, what).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    mutating func u32(_ what: String = "u32") throws(HQTError) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4, what).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }
    mutating func i32(_ what: String = "i32") throws(HQTError) -> Int32 { Int32(bitPattern: try u32(what)) }
    mutating func i64(_ what: String = "i64") throws(HQTError) -> Int64 { Int64(bitPattern: try u64(what)) }
    mutating func f64(_ what: String = "f64") throws(HQTError) -> Double { Double(bitPattern: try u64(what)) }
    mutating func string(_ what: String = "string") throws(HQTError) -> String {
        let n = Int(try u32(what))
        guard let s = String(validating: try take(n, what), as: UTF8.self) else {
            throw corrupt("\(what) is not UTF-8")
        }
        return s
    }
    mutating func blob(_ what: String = "blob") throws(HQTError) -> [UInt8] {
        let n = try u64(what)
        guard n <= UInt64(remaining) else { throw corrupt("\(what) length \(n) exceeds the payload") }
        return Array(try take(Int(n), what))
    }
    /// A count of items at least `minSize` bytes each: checked against
    /// what is left, so garbage cannot make us allocate gigabytes.
    mutating func count(_ what: String, minSize: Int) throws(HQTError) -> Int {
        let n = try u64(what)
        guard n <= UInt64(remaining / max(minSize, 1)) else { throw corrupt("\(what) count \(n) exceeds the payload") }
        return Int(n)
    }
    func expectEnd() throws(HQTError) {
        guard remaining == 0 else { throw HQTError(.walCorrupt, "\(context): \(remaining) unexpected trailing bytes") }
    }

    mutating func enumValue<E: RawRepresentable>(_ type: E.Type, _ what: String) throws(HQTError) -> E
    where E.RawValue == Int32 {
        let raw = try i32(what)
        guard let v = E(rawValue: raw) else { throw corrupt("\(what) \(raw) is not valid") }
        return v
    }
}
