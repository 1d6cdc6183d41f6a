import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// HQT's write-ahead log: an append-only file of SPEC frames (section 3) with
/// sequence numbers, checkpoints, crash-safe compaction and one writer at a time.
///
/// The file is a HEADER record followed by records whose sequence numbers go
/// up by one. Opening cuts a torn tail (what a crash mid-append leaves) and
/// refuses damage anywhere before the last valid record. Format and rules:
/// docs/wal.md.
///
/// Not thread-safe: use one instance from one thread at a time (with
/// `.batch`, the log's own background thread only syncs).
public final class WriteAheadLog {
    /// The log file.
    public let path: String
    /// When appended records are made durable.
    public let syncPolicy: WALSyncPolicy

    let io: WALFileIO
    var fs: WALFileSystem { io.fs }

    private enum State {
        case closed
        case open
        case failed(HQTError)
    }

    private var state: State = .closed
    /// Checked first on the append path: cheaper than matching `state`.
    private var appendable = false
    private var fd: Int32 = -1
    private var lock: WALFileLock?
    private var syncer: WALBatchSyncer?
    /// End of the last record: where the next one is written, and how far
    /// readers of this instance read.
    private var writeOffset = 0
    /// End of the data known to be on stable storage (`.always` and `.none`;
    /// `.batch` asks its syncer).
    private var syncedOffset = 0
    private var nextSequence: UInt64 = 1
    private var fileHeader = WALHeader(fingerprint: nil, baseSequence: 0)
    private var checkpoint: (offset: Int, sequence: UInt64)?
    private var records = 0
    /// Frames are assembled here so that a small record costs one write call
    /// and no allocation; larger ones are written from the caller's memory.
    private let buffer: UnsafeMutableRawPointer
    private static let bufferCapacity = 64 * 1024
    /// Frames appended with `appendGrouped`, not yet handed to the kernel.
    private let group: UnsafeMutableRawPointer
    private var groupBytes = 0
    private var groupRecords = 0
    private static let groupCapacity = 256 * 1024

    /// Prepares a log at `path`; nothing touches the file until `open`.
    ///
    /// `fileSystem` is for fault injection (see `WALFaultInjector`).
    public init(path: String, sync: WALSyncPolicy = .always, fileSystem: WALFileSystem = .posix) throws(HQTError) {
        guard !path.isEmpty, !path.utf8.contains(0), !path.hasSuffix("/") else {
            throw HQTError(.invalidArgument, "WAL path must be a non-empty file path without NUL bytes, got '\(path)'")
        }
        if case let .batch(maxRecords, _) = sync, maxRecords < 1 {
            throw HQTError(.invalidArgument, "WAL batch policy needs maxRecords >= 1, got \(maxRecords)")
        }
        self.path = path
        syncPolicy = sync
        io = WALFileIO(fs: fileSystem, path: path)
        buffer = .allocate(byteCount: WriteAheadLog.bufferCapacity, alignment: 16)
        group = .allocate(byteCount: WriteAheadLog.groupCapacity, alignment: 16)
    }

    deinit {
        if case .closed = state {} else { try? close() }
        buffer.deallocate()
        group.deallocate()
    }

    // MARK: - State

    /// Whether `open` succeeded and `close` was not called yet (true also
    /// after a failure, while appends are refused).
    public var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }

    /// The error that made the log refuse appends, if one did.
    public var failure: HQTError? {
        if case let .failed(error) = state { return error }
        return nil
    }

    /// The HEADER of the open file.
    public var header: WALHeader? { isOpen ? fileHeader : nil }

    /// Sequence number of the last record (the HEADER's base when there is none).
    public var lastSequence: UInt64 { nextSequence &- 1 }

    /// Records in the file, not counting the HEADER.
    public var recordCount: Int { records }

    /// Length of the log's valid content in bytes.
    public var byteCount: Int { writeOffset }

    // MARK: - Opening and closing

    /// Opens the log for appending, taking the writer lock.
    ///
    /// With `truncate`, or when the file does not exist or is empty, a new log
    /// (just a HEADER, sequence numbers from 1) replaces it crash-safely.
    /// Otherwise the file is checked: a torn tail is cut and reported, damage
    /// before the last valid record throws `.walCorrupt` and leaves the file
    /// untouched, a file that is not an HQT log throws `.wal`.
    ///
    /// `configFingerprint`: a new log records it; an existing log must carry
    /// the same one, else `.wal` (the log was written under another engine
    /// configuration). nil accepts any log and writes none.
    @discardableResult
    public func open(truncate: Bool, configFingerprint: UInt64? = nil) throws(HQTError) -> WALOpenReport {
        guard case .closed = state else {
            throw HQTError(.state, "WAL '\(path)' is already open")
        }
        let lock = try WALFileLock.acquire(logPath: path)
        let report: WALOpenReport
        do {
            report = try openLocked(truncate: truncate, fingerprint: configFingerprint)
            if case let .batch(maxRecords, maxDelay) = syncPolicy {
                let syncer = WALBatchSyncer(
                    fd: fd, end: writeOffset, maxRecords: maxRecords,
                    maxDelayNs: maxDelay, fs: fs)
                try syncer.start()
                self.syncer = syncer
            }
        } catch {
            syncer?.stop()
            syncer = nil
            if fd >= 0 { _ = fs.close(fd) }
            fd = -1
            lock.release()
            state = .closed
            appendable = false
            throw error
        }
        self.lock = lock
        state = .open
        appendable = true
        return report
    }

    private func openLocked(truncate: Bool, fingerprint: UInt64?) throws(HQTError) -> WALOpenReport {
        if truncate {
            return try createFresh(fingerprint: fingerprint, tornBytes: 0, tornRecords: 0)
        }
        let existing = fs.open(path, O_RDWR | O_CLOEXEC, 0)
        if existing < 0 {
            let e = errno
            if e == ENOENT { return try createFresh(fingerprint: fingerprint, tornBytes: 0, tornRecords: 0) }
            throw HQTError(.io, "cannot open WAL '\(path)': \(errnoDescription(e))")
        }
        var adopted = false
        defer { if !adopted { _ = fs.close(existing) } }
        let size = try io.size(existing)
        if size == 0 {
            // An empty file (say, made by `touch`) is an empty log without its HEADER yet.
            return try createFresh(fingerprint: fingerprint, tornBytes: 0, tornRecords: 0)
        }
        var scanner = WALScanner(window: WALReadWindow(io: io, fd: existing, end: size))
        let scan = try scanner.scan()
        if let refusal = scan.refusal(path: path) { throw refusal }
        let dropped = try scan.damage.map { d throws(HQTError) in try scanner.countFrames(from: d.offset) } ?? 0
        guard let header = scan.header else {
            // Not even the HEADER survived whole (a torn creation): nothing of
            // the log is left, so start a new one.
            return try createFresh(fingerprint: fingerprint, tornBytes: size, tornRecords: dropped)
        }
        if let fingerprint, header.fingerprint != fingerprint {
            let theirs = header.fingerprint.map { "0x" + hex64($0) } ?? "none"
            throw HQTError(
                .wal,
                "WAL '\(path)' was written under a different engine configuration "
                    + "(log fingerprint \(theirs), this engine 0x\(hex64(fingerprint))): replaying it would "
                    + "apply its operations to a different setup. Recover with the configuration that wrote it, "
                    + "or open with truncate to start a new log")
        }
        if scan.damage != nil {
            try io.truncate(existing, to: scan.validEnd)
        } else if fs.fdatasync(existing) != 0 {
            // A previous writer with `.none` may have left records only in the
            // page cache: make what we build on durable first.
            throw HQTError(.wal, "WAL '\(path)': sync on open failed: \(errnoDescription(errno))")
        }
        adopted = true
        fd = existing
        writeOffset = scan.validEnd
        syncedOffset = scan.validEnd
        fileHeader = header
        nextSequence = scan.lastSequence &+ 1
        checkpoint = scan.lastCheckpoint
        records = scan.records
        return scan.report(droppedRecords: dropped)
    }

    /// Puts a log holding only a HEADER in place, crash-safely, and adopts it.
    private func createFresh(fingerprint: UInt64?, tornBytes: Int, tornRecords: Int) throws(HQTError) -> WALOpenReport {
        let header = WALHeader(fingerprint: fingerprint, baseSequence: 0)
        try replaceFile(header: header, keeping: nil)
        return WALOpenReport(
            tornBytesDropped: tornBytes, tornRecordsDropped: tornRecords, records: 0,
            lastCheckpointOffset: nil, lastSequence: 0, validBytes: writeOffset, header: header)
    }

    /// Replaces the file, through `WALFileIO.replace`, with `header` followed
    /// by the current file's records from the last checkpoint on (`keeping`:
    /// that checkpoint and how many records start there) or by nothing, and
    /// adopts the result.
    private func replaceFile(header: WALHeader, keeping: (checkpoint: (offset: Int, sequence: UInt64), records: Int)?)
        throws(HQTError)
    {
        let headerFrame = WriteAheadLog.frame(
            type: WALRecordType.header, sequence: header.baseSequence,
            payload: header.payload)
        let oldFd = fd
        let copyStart = keeping?.checkpoint.offset ?? writeOffset
        let copyLength = writeOffset - copyStart
        let (newFd, directoryError) = try io.replace { (tmp: Int32) throws(HQTError) in
            let e = headerFrame.withUnsafeBytes { io.writeAll(tmp, $0.baseAddress!, $0.count, at: 0) }
            if e != 0 { throw HQTError(.io, "cannot write new WAL file '\(io.temporaryPath)': \(errnoDescription(e))") }
            if copyLength > 0 {
                try copyBytes(from: oldFd, at: copyStart, count: copyLength, to: tmp, at: headerFrame.count)
            }
        }
        fd = newFd
        writeOffset = headerFrame.count + copyLength
        syncedOffset = writeOffset
        fileHeader = header
        records = keeping?.records ?? 0
        checkpoint = keeping.map { (headerFrame.count, $0.checkpoint.sequence) }
        nextSequence = header.baseSequence &+ 1 &+ UInt64(records)
        // Point the syncer at the new file (waiting out a sync in flight on
        // the old one) before closing the old descriptor, whose number the
        // kernel could otherwise hand to some other file under the syncer.
        syncer?.reset(fd: newFd, end: writeOffset, durable: writeOffset)
        if oldFd >= 0 { _ = fs.close(oldFd) }
        if let directoryError {
            // The new file is the log now, but its name may not be durable.
            throw enterFailed(directoryError)
        }
    }

    private func copyBytes(from src: Int32, at srcOffset: Int, count: Int, to dst: Int32, at dstOffset: Int)
        throws(HQTError)
    {
        let chunk = min(count, 1 << 20)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buf.deallocate() }
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            try io.readFully(src, buf, n, at: srcOffset + done)
            let e = io.writeAll(dst, buf, n, at: dstOffset + done)
            if e != 0 { throw HQTError(.io, "cannot write new WAL file '\(io.temporaryPath)': \(errnoDescription(e))") }
            done += n
        }
    }

    /// Makes everything appended durable, stops the sync thread, closes the
    /// file and releases the lock. After a failure it only releases (the
    /// failure was reported when it happened). Closing a closed log does nothing.
    public func close() throws(HQTError) {
        switch state {
        case .closed:
            return
        case .failed:
            release()
        case .open:
            var syncError: HQTError?
            do { try flushGroup(); try syncAll() } catch { syncError = error }
            release()
            if let syncError { throw syncError }
        }
    }

    private func release() {
        syncer?.stop()
        syncer = nil
        if fd >= 0 { _ = fs.close(fd) }
        fd = -1
        lock?.release()
        lock = nil
        state = .closed
        appendable = false
    }

    // MARK: - Appending

    /// Appends one record and returns its sequence number. Durable on return
    /// under `.always`; see `WALSyncPolicy` for the others.
    ///
    /// `type` may be any number but 0, 7 (use `markCheckpoint`) and 8 (the
    /// HEADER). A failed write or sync throws, rolls the file back so that it
    /// stays readable, and makes the log refuse appends until reopened.
    /// Allocates nothing.
    @discardableResult
    public func append(type: UInt8, data: UnsafeRawBufferPointer) throws(HQTError) -> UInt64 {
        guard appendable else { throw notAppendable() }
        guard WALRecordType.isAppendable(type) else {
            throw HQTError(
                .invalidArgument,
                "WAL record type \(type) cannot be appended: 0 is invalid, "
                    + "7 (CHECKPOINT) is written by markCheckpoint (hqt_wal_mark_checkpoint), 8 (HEADER) by the log itself"
            )
        }
        return try appendRecord(type: type, payload: data, forceSync: false)
    }

    /// `append(type:data:)` for an array.
    @discardableResult
    public func append(type: UInt8, bytes: [UInt8]) throws(HQTError) -> UInt64 {
        var result: Result<UInt64, HQTError> = .failure(HQTError(.internal, "unreachable"))
        bytes.withUnsafeBytes { p in
            do throws(HQTError) { result = .success(try append(type: type, data: p)) } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Writes a CHECKPOINT record carrying `snapshot` and syncs it whatever
    /// the policy. Returns its sequence number. Recovery is: the last
    /// checkpoint's snapshot, then `readUncommitted()`.
    @discardableResult
    public func markCheckpoint(snapshot: [UInt8]) throws(HQTError) -> UInt64 {
        var result: Result<UInt64, HQTError> = .failure(HQTError(.internal, "unreachable"))
        snapshot.withUnsafeBytes { p in
            do throws(HQTError) { result = .success(try markCheckpoint(snapshot: p)) } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// `markCheckpoint(snapshot:)` without copying the snapshot into an array.
    @discardableResult
    public func markCheckpoint(snapshot: UnsafeRawBufferPointer) throws(HQTError) -> UInt64 {
        guard appendable else { throw notAppendable() }
        let offset = writeOffset
        let sequence = try appendRecord(type: WALRecordType.checkpoint, payload: snapshot, forceSync: true)
        checkpoint = (offset, sequence)
        return sequence
    }

    /// Appends a record to the current group instead of writing it now:
    /// the group goes to the file in one write (and, under `.batch`, counts
    /// its records towards the next sync) at `flushGroup()`, when it is
    /// full, and before anything else touches the file (another append, a
    /// checkpoint, a read, sync, close). A process killed before that loses
    /// the group: for callers whose state can be rebuilt deterministically
    /// from the log (the engine inside a run), not for acknowledged work.
    /// Returns the record's sequence number.
    @discardableResult
    public func appendGrouped(type: UInt8, data: UnsafeRawBufferPointer) throws(HQTError) -> UInt64 {
        guard appendable else { throw notAppendable() }
        guard WALRecordType.isAppendable(type) else {
            throw HQTError(.invalidArgument, "WAL record type \(type) cannot be appended")
        }
        let n = data.count
        let frameSize = WALFrame.overhead + n
        if groupBytes + frameSize > WriteAheadLog.groupCapacity { try flushGroup() }
        if frameSize > WriteAheadLog.groupCapacity {
            return try appendRecord(type: type, payload: data, forceSync: false)
        }
        let sequence = nextSequence
        let frame = group + groupBytes
        WALFrame.encodePrefix(
            into: frame, type: type, dataLength: UInt32(WALFrame.sequenceSize + n), sequence: sequence)
        if n > 0 { (frame + WALFrame.overhead).copyMemory(from: data.baseAddress!, byteCount: n) }
        WALFrame.sealHeader(frame, contiguousDataLength: WALFrame.sequenceSize + n)
        groupBytes += frameSize
        groupRecords += 1
        nextSequence = sequence &+ 1
        records += 1
        return sequence
    }

    /// Records waiting in the current group.
    public var groupedRecords: Int { groupRecords }

    /// Writes the current group in one call and applies the sync policy to
    /// its records. On failure the group is lost, the file keeps its last
    /// good record and the log refuses appends, as for `append`.
    public func flushGroup() throws(HQTError) {
        guard groupBytes > 0 else { return }
        let count = groupBytes, n = groupRecords
        groupBytes = 0
        groupRecords = 0
        let e = io.writeAll(fd, group, count, at: writeOffset)
        if e != 0 {
            throw failAppend(
                .io, "write of \(n) grouped records (\(count) bytes at offset \(writeOffset))",
                errno: e, rollbackTo: writeOffset)
        }
        let end = writeOffset + count
        writeOffset = end
        switch syncPolicy {
        case .always:
            if fs.fdatasync(fd) != 0 {
                throw failAppend(
                    .wal, "fdatasync after a group of \(n) records", errno: errno, rollbackTo: syncedOffset)
            }
            syncedOffset = end
        case .batch:
            if let e = syncer!.recordsWritten(end: end, count: n, inline: false) {
                throw failAppend(.wal, "group-commit fdatasync", errno: e, rollbackTo: syncer!.durableEnd)
            }
        case .none:
            break
        }
    }

    @inline(__always)
    private func appendRecord(type: UInt8, payload: UnsafeRawBufferPointer, forceSync: Bool) throws(HQTError) -> UInt64
    {
        if groupBytes > 0 { try flushGroup() }
        let n = payload.count
        guard n <= WALFrame.maxPayload else {
            throw HQTError(
                .invalidArgument, "WAL record payload of \(n) bytes exceeds the limit of \(WALFrame.maxPayload)")
        }
        let sequence = nextSequence
        let frameSize = WALFrame.overhead + n
        WALFrame.encodePrefix(
            into: buffer, type: type, dataLength: UInt32(WALFrame.sequenceSize + n), sequence: sequence)
        var e: Int32
        if frameSize <= WriteAheadLog.bufferCapacity {
            if n > 0 { (buffer + WALFrame.overhead).copyMemory(from: payload.baseAddress!, byteCount: n) }
            WALFrame.sealHeader(buffer, contiguousDataLength: WALFrame.sequenceSize + n)
            e = io.writeAll(fd, buffer, frameSize, at: writeOffset)
        } else {
            WALFrame.sealHeader(buffer, payload: payload)
            e = io.writeAll(fd, buffer, WALFrame.overhead, at: writeOffset)
            if e == 0 { e = io.writeAll(fd, payload.baseAddress!, n, at: writeOffset + WALFrame.overhead) }
        }
        if e != 0 {
            throw failAppend(
                .io, "write of record \(sequence) (\(frameSize) bytes at offset \(writeOffset))",
                errno: e, rollbackTo: writeOffset)
        }
        let end = writeOffset + frameSize
        writeOffset = end
        nextSequence = sequence &+ 1
        records += 1
        switch syncPolicy {
        case .always:
            if fs.fdatasync(fd) != 0 {
                throw failAppend(.wal, "fdatasync after record \(sequence)", errno: errno, rollbackTo: syncedOffset)
            }
            syncedOffset = end
        case .batch:
            if let e = syncer!.recordWritten(end: end) {
                throw failAppend(.wal, "group-commit fdatasync", errno: e, rollbackTo: syncer!.durableEnd)
            }
            if forceSync { try syncAll() }
        case .none:
            if forceSync { try syncAll() }
        }
        return sequence
    }

    /// Makes every appended record durable (a no-op when nothing is pending).
    public func sync() throws(HQTError) {
        switch state {
        case .closed: throw HQTError(.state, "WAL '\(path)' is not open")
        case let .failed(error): throw error
        case .open:
            try flushGroup()
            try syncAll()
        }
    }

    private func syncAll() throws(HQTError) {
        if let syncer {
            if let e = syncer.syncNow() {
                throw failAppend(.wal, "group-commit fdatasync", errno: e, rollbackTo: syncer.durableEnd)
            }
        } else if syncedOffset < writeOffset {
            if fs.fdatasync(fd) != 0 {
                throw failAppend(.wal, "fdatasync", errno: errno, rollbackTo: syncedOffset)
            }
            syncedOffset = writeOffset
        }
    }

    /// After a failed write or sync: cut the file back to `target` (the end of
    /// the last record known good: before the failed write, or the last
    /// successful sync), recount what it holds, and refuse appends.
    private func failAppend(_ code: HQTError.Code, _ what: String, errno e: Int32, rollbackTo target: Int) -> HQTError {
        var message = "WAL '\(path)': \(what) failed: \(errnoDescription(e))"
        if fs.ftruncate(fd, Int64(target)) != 0 {
            message +=
                "; rolling the file back to \(target) bytes failed too (\(errnoDescription(errno))), "
                + "so reopening it will cut the rest as a torn tail"
        } else if fs.fdatasync(fd) != 0 {
            message += "; the rollback to \(target) bytes could not be synced (\(errnoDescription(errno)))"
        }
        writeOffset = target
        syncedOffset = min(syncedOffset, target)
        syncer?.reset(fd: fd, end: target, durable: min(syncer?.durableEnd ?? target, target))
        do throws(HQTError) {
            try recount()
        } catch {
            message += "; recounting the remaining records failed: \(error.message)"
        }
        message +=
            ". The log keeps its \(records) records (up to offset \(target)) and refuses appends "
            + "until it is closed and reopened"
        return enterFailed(HQTError(code, message))
    }

    /// Re-reads the file up to `writeOffset` to restore the record count,
    /// the last checkpoint and the next sequence number after a rollback.
    private func recount() throws(HQTError) {
        let scan = try scanOwn(from: 0, expecting: nil)
        records = scan.records
        checkpoint = scan.lastCheckpoint
        nextSequence = scan.lastSequence &+ 1
    }

    private func enterFailed(_ error: HQTError) -> HQTError {
        state = .failed(error)
        appendable = false
        return error
    }

    private func notAppendable() -> HQTError {
        switch state {
        case .closed: return HQTError(.state, "WAL '\(path)' is not open")
        case let .failed(error):
            return HQTError(
                .wal,
                "WAL '\(path)' refuses appends after an earlier failure; close and reopen it. "
                    + "The failure was: \(error.message)")
        case .open: return HQTError(.internal, "WAL '\(path)': inconsistent state")
        }
    }

    // MARK: - Reading

    /// Scans this instance's file up to `writeOffset`; it was checked at open,
    /// so any damage now means the file changed underneath.
    private func scanOwn(
        from start: Int, expecting: UInt64?, delivering: Bool = false,
        visit: (WALRecordView) throws(HQTError) -> Bool = { _ in true }
    ) throws(HQTError) -> WALScanResult {
        guard fd >= 0 else { throw HQTError(.state, "WAL '\(path)' is not open") }
        var scanner = WALScanner(window: WALReadWindow(io: io, fd: fd, end: writeOffset))
        let scan = try scanner.scan(from: start, expecting: expecting, delivering: delivering, visit: visit)
        if let damage = scan.damage {
            throw HQTError(
                .walCorrupt,
                "WAL '\(path)' is corrupt at offset \(damage.offset): \(damage.reason) "
                    + "(the file changed after it was opened and checked)")
        }
        return scan
    }

    /// Calls `body` with every record (after the last checkpoint only, if
    /// `afterLastCheckpoint`) without copying: `payload` is valid only during
    /// the call. `body` returns false to stop.
    public func forEachRecord(
        afterLastCheckpoint: Bool = false,
        _ body: (
            _ type: UInt8, _ sequence: UInt64, _ payload: UnsafeRawBufferPointer,
            _ offset: Int
        ) throws(HQTError) -> Bool
    ) throws(HQTError) {
        if groupBytes > 0 { try flushGroup() }
        if afterLastCheckpoint, let cp = checkpoint {
            _ = try scanOwn(from: cp.offset, expecting: cp.sequence, delivering: true) {
                (r: WALRecordView) throws(HQTError) -> Bool in
                if r.offset == cp.offset { return true }
                return try body(r.type, r.sequence, r.payload, r.offset)
            }
        } else {
            _ = try scanOwn(from: 0, expecting: nil, delivering: true) { (r: WALRecordView) throws(HQTError) -> Bool in
                try body(r.type, r.sequence, r.payload, r.offset)
            }
        }
    }

    /// Every record in the log, oldest first (the HEADER excluded).
    public func readAll() throws(HQTError) -> [WALRecord] {
        var out: [WALRecord] = []
        try forEachRecord { type, sequence, payload, offset in
            out.append(WALRecord(type: type, sequence: sequence, data: Array(payload), offset: offset))
            return true
        }
        return out
    }

    /// The records after the last checkpoint (all of them if there is none):
    /// what recovery replays on top of the checkpoint's snapshot.
    public func readUncommitted() throws(HQTError) -> [WALRecord] {
        var out: [WALRecord] = []
        try forEachRecord(afterLastCheckpoint: true) { type, sequence, payload, offset in
            out.append(WALRecord(type: type, sequence: sequence, data: Array(payload), offset: offset))
            return true
        }
        return out
    }

    /// The last CHECKPOINT record, whose data is the snapshot; nil if none.
    public func lastCheckpoint() throws(HQTError) -> WALRecord? {
        guard let cp = checkpoint else {
            guard fd >= 0 else { throw HQTError(.state, "WAL '\(path)' is not open") }
            return nil
        }
        var found: WALRecord?
        _ = try scanOwn(from: cp.offset, expecting: cp.sequence, delivering: true) {
            (r: WALRecordView) throws(HQTError) -> Bool in
            found = r.copy()
            return false
        }
        return found
    }

    // MARK: - Compaction

    /// Compacts the log: a new file holding a HEADER, the last checkpoint and
    /// every record after it replaces the old one crash-safely (temporary
    /// file, fsync, rename, fsync of the directory). Sequence numbers and
    /// content are unchanged; offsets move. Without a checkpoint there is
    /// nothing to drop and the log is left as it is.
    public func truncateToCheckpoint() throws(HQTError) {
        guard appendable else { throw notAppendable() }
        try flushGroup()
        guard let cp = checkpoint else { return }
        if fileHeader.baseSequence == cp.sequence &- 1 { return }  // already starts at it
        // The bytes are copied as they are, so make sure they are intact first.
        let tail = try scanOwn(from: cp.offset, expecting: cp.sequence)
        let header = WALHeader(fingerprint: fileHeader.fingerprint, baseSequence: cp.sequence &- 1)
        try replaceFile(header: header, keeping: (cp, tail.records))
    }

    /// Empties the log crash-safely: a new file holding only a HEADER
    /// replaces it. Sequence numbers carry on from the last record, so a
    /// number never names two different records of this log.
    public func clear() throws(HQTError) {
        guard appendable else { throw notAppendable() }
        try flushGroup()
        let header = WALHeader(fingerprint: fileHeader.fingerprint, baseSequence: nextSequence &- 1)
        try replaceFile(header: header, keeping: nil)
    }

    // MARK: - Whole-file operations

    /// Checks a log without changing it (no lock taken): what `open` would
    /// keep, and what it would cut as a torn tail. Throws `.walCorrupt` for
    /// damage before the last valid record, `.wal` for a file that is not an
    /// HQT log.
    public static func verify(path: String, fileSystem: WALFileSystem = .posix) throws(HQTError) -> WALOpenReport {
        try readFile(path: path, fileSystem: fileSystem, collect: false).report
    }

    /// Reads a log without changing it: the records `open` would keep.
    public static func read(path: String, fileSystem: WALFileSystem = .posix) throws(HQTError) -> WALFileContents {
        try readFile(path: path, fileSystem: fileSystem, collect: true)
    }

    private static func readFile(path: String, fileSystem: WALFileSystem, collect: Bool) throws(HQTError)
        -> WALFileContents
    {
        let io = WALFileIO(fs: fileSystem, path: path)
        let fd = try io.openFile(path, O_RDONLY)
        defer { _ = fileSystem.close(fd) }
        let size = try io.size(fd)
        var scanner = WALScanner(window: WALReadWindow(io: io, fd: fd, end: size))
        var out: [WALRecord] = []
        let scan = try scanner.scan(delivering: collect) { (r: WALRecordView) throws(HQTError) -> Bool in
            out.append(r.copy())
            return true
        }
        if let refusal = scan.refusal(path: path) { throw refusal }
        let dropped = try scan.damage.map { d throws(HQTError) in try scanner.countFrames(from: d.offset) } ?? 0
        return WALFileContents(report: scan.report(droppedRecords: dropped), records: out)
    }

    /// Explicit repair: keeps the valid prefix of a damaged log and drops
    /// everything from the first damage on, including valid records after it
    /// (they cannot be replayed without what was lost). A torn tail is cut in
    /// place (as `open` does); anything else is rewritten crash-safely. Takes
    /// the writer lock. Refuses files that are not HQT logs. The report's
    /// `tornBytesDropped` / `tornRecordsDropped` say what was dropped.
    public static func salvage(path: String, fileSystem: WALFileSystem = .posix) throws(HQTError) -> WALOpenReport {
        let lock = try WALFileLock.acquire(logPath: path)
        defer { lock.release() }
        let io = WALFileIO(fs: fileSystem, path: path)
        let fd = try io.openFile(path, O_RDWR)
        defer { _ = fileSystem.close(fd) }
        let size = try io.size(fd)
        var scanner = WALScanner(window: WALReadWindow(io: io, fd: fd, end: size))
        let scan = try scanner.scan()
        guard let damage = scan.damage else { return scan.report(droppedRecords: 0) }
        if damage.notALog, let refusal = scan.refusal(path: path) { throw refusal }
        let dropped = try scanner.countFrames(from: damage.offset)
        if damage.evidence == nil {
            try io.truncate(fd, to: scan.validEnd)
        } else {
            let keep = scan.validEnd
            let (newFd, directoryError) = try io.replace { (tmp: Int32) throws(HQTError) in
                let chunk = max(1, min(keep, 1 << 20))
                let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
                defer { buf.deallocate() }
                var done = 0
                while done < keep {
                    let n = min(chunk, keep - done)
                    try io.readFully(fd, buf, n, at: done)
                    let e = io.writeAll(tmp, buf, n, at: done)
                    if e != 0 { throw HQTError(.io, "cannot write '\(io.temporaryPath)': \(errnoDescription(e))") }
                    done += n
                }
            }
            _ = fileSystem.close(newFd)
            if let directoryError { throw directoryError }
        }
        return scan.report(droppedRecords: dropped)
    }

    /// One complete frame, for files written whole (HEADER, tests, tools).
    static func frame(type: UInt8, sequence: UInt64, payload: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: WALFrame.overhead + payload.count)
        out.withUnsafeMutableBytes { p in
            WALFrame.encodePrefix(
                into: p.baseAddress!, type: type,
                dataLength: UInt32(WALFrame.sequenceSize + payload.count), sequence: sequence)
            payload.withUnsafeBytes { src in
                WALFrame.sealHeader(p.baseAddress!, payload: src)
                if src.count > 0 {
                    (p.baseAddress! + WALFrame.overhead).copyMemory(from: src.baseAddress!, byteCount: src.count)
                }
            }
        }
        return out
    }
}

func hex64(_ v: UInt64) -> String {
    let s = String(v, radix: 16, uppercase: false)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
}
