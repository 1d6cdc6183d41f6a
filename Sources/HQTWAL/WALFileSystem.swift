import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The file operations the log performs, as plain function values.
///
/// Production uses `.posix`; tests (and the engine's fault-injection tests)
/// substitute a `WALFaultInjector` that makes the Nth write or sync fail or
/// writes short. Every function has the contract of its POSIX namesake: on
/// failure it returns -1 and leaves the reason in `errno`. Function values
/// rather than a protocol keep `WriteAheadLog` non-generic; a call through one
/// costs the same as a virtual call and never allocates.
public struct WALFileSystem: Sendable {
    /// `open(2)`; the log always passes `O_CLOEXEC`.
    public var open: @Sendable (_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32
    /// `close(2)`.
    public var close: @Sendable (_ fd: Int32) -> Int32
    /// `pwrite(2)`: may write fewer bytes than asked (the log then writes the rest).
    public var pwrite: @Sendable (_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: Int64) -> Int
    /// `pread(2)`.
    public var pread: @Sendable (_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) -> Int
    /// `fdatasync(2)`: makes appended records durable.
    public var fdatasync: @Sendable (_ fd: Int32) -> Int32
    /// `fsync(2)`: used for new files and for directories after a rename.
    public var fsync: @Sendable (_ fd: Int32) -> Int32
    /// `ftruncate(2)`: cuts a torn tail, rolls back a failed append.
    public var ftruncate: @Sendable (_ fd: Int32, _ length: Int64) -> Int32
    /// `rename(2)`: the atomic step of replacing a log.
    public var rename: @Sendable (_ from: String, _ to: String) -> Int32
    /// `unlink(2)`: removes a temporary file after a failed replacement.
    public var unlink: @Sendable (_ path: String) -> Int32
    /// Size of an open file (`fstat(2)`), or -1.
    public var fileSize: @Sendable (_ fd: Int32) -> Int64

    public init(
        open: @escaping @Sendable (String, Int32, mode_t) -> Int32,
        close: @escaping @Sendable (Int32) -> Int32,
        pwrite: @escaping @Sendable (Int32, UnsafeRawPointer, Int, Int64) -> Int,
        pread: @escaping @Sendable (Int32, UnsafeMutableRawPointer, Int, Int64) -> Int,
        fdatasync: @escaping @Sendable (Int32) -> Int32,
        fsync: @escaping @Sendable (Int32) -> Int32,
        ftruncate: @escaping @Sendable (Int32, Int64) -> Int32,
        rename: @escaping @Sendable (String, String) -> Int32,
        unlink: @escaping @Sendable (String) -> Int32,
        fileSize: @escaping @Sendable (Int32) -> Int64
    ) {
        self.open = open
        self.close = close
        self.pwrite = pwrite
        self.pread = pread
        self.fdatasync = fdatasync
        self.fsync = fsync
        self.ftruncate = ftruncate
        self.rename = rename
        self.unlink = unlink
        self.fileSize = fileSize
    }

    /// The real thing.
    public static let posix = WALFileSystem(
        open: { path, flags, mode in Glibc.open(path, flags, mode) },
        close: { fd in Glibc.close(fd) },
        pwrite: { fd, buffer, count, offset in Glibc.pwrite(fd, buffer, count, off_t(offset)) },
        pread: { fd, buffer, count, offset in Glibc.pread(fd, buffer, count, off_t(offset)) },
        fdatasync: { fd in Glibc.fdatasync(fd) },
        fsync: { fd in Glibc.fsync(fd) },
        ftruncate: { fd, length in Glibc.ftruncate(fd, off_t(length)) },
        rename: { from, to in Glibc.rename(from, to) },
        unlink: { path in Glibc.unlink(path) },
        fileSize: { fd in
            var st = stat()
            return fstat(fd, &st) == 0 ? Int64(st.st_size) : -1
        }
    )
}

/// `strerror` for messages.
func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return "\(String(cString: text)) (errno \(code))"
}
