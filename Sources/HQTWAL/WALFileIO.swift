import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// File primitives on top of `WALFileSystem`: complete writes and reads
/// despite short transfers and EINTR, errors as `HQTError`, and the
/// crash-safe replacement of a whole file.
struct WALFileIO {
    let fs: WALFileSystem
    let path: String

    /// Writes all `count` bytes at `offset`. Returns 0 or the errno of the
    /// failure (no throw: this sits on the append path, which builds its
    /// message only when something went wrong).
    @inline(__always)
    func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, at offset: Int) -> Int32 {
        var done = 0
        while done < count {
            let n = fs.pwrite(fd, bytes + done, count - done, Int64(offset + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                // pwrite on a regular file only returns 0 when it cannot make
                // progress; retrying would spin.
                return ENOSPC
            } else {
                let e = errno
                if e == EINTR { continue }
                return e == 0 ? EIO : e
            }
        }
        return 0
    }

    /// Reads exactly `count` bytes at `offset`; a file that ends early is an
    /// error because every caller bounded `count` by the size it saw.
    func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, at offset: Int)
        throws(HQTError)
    {
        var done = 0
        while done < count {
            let n = fs.pread(fd, buffer + done, count - done, Int64(offset + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                throw HQTError(
                    .io,
                    "WAL '\(path)': file shrank while being read "
                        + "(expected \(count) bytes at offset \(offset), got \(done)); is another process writing it?")
            } else {
                let e = errno
                if e == EINTR { continue }
                throw HQTError(
                    .io, "WAL '\(path)': read of \(count) bytes at offset \(offset) failed: \(errnoDescription(e))")
            }
        }
    }

    func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(HQTError) -> Int32 {
        let fd = fs.open(path, flags | O_CLOEXEC, mode)
        if fd < 0 {
            throw HQTError(.io, "cannot open '\(path)': \(errnoDescription(errno))")
        }
        return fd
    }

    func size(_ fd: Int32) throws(HQTError) -> Int {
        let s = fs.fileSize(fd)
        if s < 0 { throw HQTError(.io, "cannot stat WAL '\(path)': \(errnoDescription(errno))") }
        return Int(s)
    }

    /// Cuts the file to `length` and makes the new length durable.
    func truncate(_ fd: Int32, to length: Int) throws(HQTError) {
        if fs.ftruncate(fd, Int64(length)) != 0 {
            throw HQTError(.io, "WAL '\(path)': cannot truncate to \(length) bytes: \(errnoDescription(errno))")
        }
        if fs.fdatasync(fd) != 0 {
            throw HQTError(
                .wal, "WAL '\(path)': sync after truncating to \(length) bytes failed: \(errnoDescription(errno))")
        }
    }

    /// The directory holding `path`, for syncing a rename.
    var directory: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// fsync of the directory: a rename (or a creation) is durable only once
    /// the directory entry is.
    func syncDirectory() throws(HQTError) {
        let dir = directory
        let fd = fs.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        if fd < 0 {
            throw HQTError(.io, "cannot open directory '\(dir)' to sync it: \(errnoDescription(errno))")
        }
        defer { _ = fs.close(fd) }
        if fs.fsync(fd) != 0 {
            throw HQTError(
                .wal, "sync of directory '\(dir)' after replacing WAL '\(path)' failed: \(errnoDescription(errno))")
        }
    }

    /// The temporary name a replacement is written under. Only the lock
    /// holder writes it, and a leftover from a crash is simply overwritten.
    var temporaryPath: String { path + ".tmp" }

    /// Replaces the file at `path` without ever editing it in place: `fill`
    /// writes the new content into a temporary file, which is synced, renamed
    /// over `path`, and the directory synced. A crash at any point leaves
    /// either the old file or the complete new one.
    ///
    /// Returns the new file's descriptor (open read-write) and, separately, a
    /// failure to sync the directory: by then the new file *is* the log, so the
    /// caller must adopt the descriptor before reporting that error.
    func replace(fill: (Int32) throws(HQTError) -> Void) throws(HQTError) -> (fd: Int32, directorySyncError: HQTError?)
    {
        let tmp = temporaryPath
        let fd = try openFile(tmp, O_RDWR | O_CREAT | O_TRUNC)
        do throws(HQTError) {
            try fill(fd)
            if fs.fsync(fd) != 0 {
                throw HQTError(
                    .wal,
                    "sync of new WAL file '\(tmp)' failed: \(errnoDescription(errno)); '\(path)' was left as it was")
            }
            if fs.rename(tmp, path) != 0 {
                throw HQTError(
                    .io, "cannot rename '\(tmp)' to '\(path)': \(errnoDescription(errno)); '\(path)' was left as it was"
                )
            }
        } catch {
            _ = fs.close(fd)
            _ = fs.unlink(tmp)
            throw error
        }
        do throws(HQTError) {
            try syncDirectory()
            return (fd, nil)
        } catch {
            return (fd, error)
        }
    }
}
