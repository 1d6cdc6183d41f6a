import HQTCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A `WALFileSystem` that counts every operation and fails the ones it is
/// told to: the Nth write or sync, a short write, a failing truncate or
/// rename. For tests of the log and of the engine above it ("a failed append
/// leaves the engine unchanged and the log readable").
///
/// ```swift
/// let faults = WALFaultInjector()
/// faults.fail(.dataSync, at: 3)            // the 3rd fdatasync returns EIO
/// let wal = try WriteAheadLog(path: p, fileSystem: faults.fileSystem)
/// ```
/// Counting starts at 1 with the injector's creation and covers every file
/// the log touches (the temporary file and the directory included).
public final class WALFaultInjector: Sendable {
    /// The operations that can be counted and failed.
    public enum Operation: String, Sendable, CaseIterable {
        case open, close, write, read, dataSync, fullSync, truncate, rename, unlink
    }

    private struct Fault {
        var operation: Operation
        var nth: Int
        var errno: Int32
        /// For writes: write this many bytes and report success (a short
        /// write), instead of failing.
        var shortBytes: Int?
    }

    private struct State {
        var counts: [Operation: Int] = [:]
        var faults: [Fault] = []
        var journal: [String] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Makes the `nth` call of `operation` (counted from the injector's creation) fail with `errno`.
    public func fail(_ operation: Operation, at nth: Int, errno: Int32 = EIO) {
        state.withLock { $0.faults.append(Fault(operation: operation, nth: nth, errno: errno, shortBytes: nil)) }
    }

    /// Makes the `nth` write transfer at most `bytes` bytes and report that
    /// count, as `pwrite` may; the log must write the rest itself.
    public func shortWrite(at nth: Int, bytes: Int) {
        state.withLock { $0.faults.append(Fault(operation: .write, nth: nth, errno: 0, shortBytes: bytes)) }
    }

    /// How many times `operation` was called so far.
    public func count(_ operation: Operation) -> Int {
        state.withLock { $0.counts[operation, default: 0] }
    }

    /// Every operation in order, e.g. `open(/tmp/x.wal.tmp)`, `write`,
    /// `fullSync`, `rename(/tmp/x.wal.tmp -> /tmp/x.wal)`.
    public var journal: [String] {
        state.withLock { $0.journal }
    }

    /// Counts the call and returns the fault to apply, if any.
    private func next(_ operation: Operation, _ detail: String? = nil) -> Fault? {
        state.withLock { s in
            let n = s.counts[operation, default: 0] + 1
            s.counts[operation] = n
            s.journal.append(detail.map { "\(operation.rawValue)(\($0))" } ?? operation.rawValue)
            return s.faults.first { $0.operation == operation && $0.nth == n }
        }
    }

    /// The file system to give `WriteAheadLog`: POSIX plus the faults.
    public var fileSystem: WALFileSystem {
        let base = WALFileSystem.posix
        return WALFileSystem(
            open: { path, flags, mode in
                if let f = self.next(.open, path) { errno = f.errno; return -1 }
                return base.open(path, flags, mode)
            },
            close: { fd in
                _ = self.next(.close)
                return base.close(fd)
            },
            pwrite: { fd, buffer, count, offset in
                if let f = self.next(.write) {
                    if let short = f.shortBytes {
                        return base.pwrite(fd, buffer, min(count, short), offset)
                    }
                    errno = f.errno
                    return -1
                }
                return base.pwrite(fd, buffer, count, offset)
            },
            pread: { fd, buffer, count, offset in
                if let f = self.next(.read) { errno = f.errno; return -1 }
                return base.pread(fd, buffer, count, offset)
            },
            fdatasync: { fd in
                if let f = self.next(.dataSync) { errno = f.errno; return -1 }
                return base.fdatasync(fd)
            },
            fsync: { fd in
                if let f = self.next(.fullSync) { errno = f.errno; return -1 }
                return base.fsync(fd)
            },
            ftruncate: { fd, length in
                if let f = self.next(.truncate, "\(length)") { errno = f.errno; return -1 }
                return base.ftruncate(fd, length)
            },
            rename: { from, to in
                if let f = self.next(.rename, "\(from) -> \(to)") { errno = f.errno; return -1 }
                return base.rename(from, to)
            },
            unlink: { path in
                if let f = self.next(.unlink, path) { errno = f.errno; return -1 }
                return base.unlink(path)
            },
            fileSize: { fd in base.fileSize(fd) }
        )
    }
}
