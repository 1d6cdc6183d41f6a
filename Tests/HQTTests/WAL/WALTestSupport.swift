@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed (with its files) when released.
final class TempDirectory {
    let path: String

    init() {
        var template = Array("/tmp/hqt-wal-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String = "test.wal") -> String { path + "/" + name }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

func readBytes(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0, "cannot open \(path)")
    defer { close(fd) }
    var st = stat()
    fstat(fd, &st)
    var out = [UInt8](repeating: 0, count: Int(st.st_size))
    let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    precondition(n == out.count)
    return out
}

func writeBytes(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create \(path)")
    defer { close(fd) }
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    precondition(n == bytes.count)
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// Deterministic bytes, different for each `seed`.
func pattern(_ count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ ($0 >> 8)) }
}

/// A small deterministic generator for "random" garbage.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// What a record says, without where it is.
struct Content: Equatable, CustomStringConvertible {
    var type: UInt8
    var sequence: UInt64
    var data: [UInt8]
    init(_ r: WALRecord) { type = r.type; sequence = r.sequence; data = r.data }
    init(type: UInt8, sequence: UInt64, data: [UInt8]) { self.type = type; self.sequence = sequence; self.data = data }
    var description: String { "(\(type), #\(sequence), \(data.count) B)" }
}

func contents(_ records: [WALRecord]) -> [Content] { records.map(Content.init) }

/// Runs `body` expecting an HQTError; returns it (nil if nothing was thrown).
/// Any other error type comes back as `.internal` so that the test fails visibly.
func thrownError(_ body: () throws -> Void) -> HQTError? {
    do { try body() } catch let error as HQTError { return error } catch {
        return HQTError(.internal, "not an HQTError: \(error)")
    }
    return nil
}

/// Frame end offsets, from a log's records (offset + overhead + payload).
func frameEnd(_ r: WALRecord) -> Int { r.offset + WALFrame.overhead + r.data.count }
