import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The exclusive writer lock of a log: `flock` on a `<path>.lock` sidecar.
///
/// A sidecar rather than the log itself because compaction and `clear()`
/// rename a new file over the log: a lock on the old inode would stop
/// protecting the path at the first compaction. The sidecar holds the owner's
/// pid so that the error can name it. It is never deleted (deleting it would
/// race with a process about to lock it); `flock` locks are released by the
/// kernel when the holder exits, so a crash never leaves the log locked.
final class WALFileLock {
    let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    static func lockPath(for logPath: String) -> String { logPath + ".lock" }

    /// Takes the lock or explains who holds it. Never waits.
    static func acquire(logPath: String) throws(HQTError) -> WALFileLock {
        let path = lockPath(for: logPath)
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw HQTError(.io, "cannot create lock file '\(path)' for WAL '\(logPath)': \(errnoDescription(errno))")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            let owner = readOwner(fd)
            Glibc.close(fd)
            if e == EWOULDBLOCK {
                let who = owner.map { "pid \($0)" } ?? "pid unknown"
                throw HQTError(
                    .wal,
                    "WAL '\(logPath)' is locked by another engine (\(who)); "
                        + "only one writer may use a log: close the other engine or wait for it to exit")
            }
            throw HQTError(.io, "cannot lock '\(path)': \(errnoDescription(e))")
        }
        // Record the owner for the message another writer will get.
        var text = Array("\(getpid())\n".utf8)
        _ = Glibc.ftruncate(fd, 0)
        _ = text.withUnsafeMutableBytes { Glibc.pwrite(fd, $0.baseAddress, $0.count, 0) }
        text.removeAll()
        return WALFileLock(path: path, fd: fd)
    }

    private static func readOwner(_ fd: Int32) -> Int32? {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = buf.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress, 31, 0) }
        guard n > 0 else { return nil }
        let digits = buf[0..<n].prefix { $0 >= 0x30 && $0 <= 0x39 }
        return Int32(String(decoding: digits, as: UTF8.self))
    }

    func release() {
        if fd >= 0 {
            Glibc.close(fd)  // closing the only descriptor drops the flock
            fd = -1
        }
    }

    deinit { release() }
}
