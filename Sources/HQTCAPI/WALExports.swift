import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The hqt_wal_* functions of include/hqt.h: validate, convert, call the
// Swift WriteAheadLog, turn HQTError into a status and a message. Nothing
// here may trap on bad input: every pointer, enum and size is checked, and
// handles are looked up in a registry so that a closed or made-up handle is
// an HQT_E_INVALID_ARGUMENT rather than a crash.

/// What an `hqt_wal *` points to.
final class WALHandle {
    let wal: WriteAheadLog
    /// A record callback of this handle is running: calls that would change
    /// or free the log under the reader are refused.
    var busy = false

    init(wal: WriteAheadLog) { self.wal = wal }
}

/// Live `hqt_wal *` handles (HandleTable: generation-checked ids).
let walHandles = HandleTable<WALHandle>(tag: 0xA1, typeName: "hqt_wal", argument: "wal")

private func status(_ code: HQTError.Code) -> Int32 { code.rawValue }

private func fail(_ code: HQTError.Code, _ message: String) -> Int32 {
    fail(HQTError(code, message))
}

/// Runs `body` on a live handle; `mutating` calls are refused while a
/// callback of the same handle runs.
private func withHandle(
    _ raw: OpaquePointer?, _ function: String, mutating: Bool,
    _ body: (WALHandle) throws(HQTError) -> Void
) -> Int32 {
    guard let found = walHandles.lookup(raw) else {
        return fail(.invalidArgument, "\(function): \(walHandles.invalidHandle(raw).message)")
    }
    let handle = found.takeUnretainedValue()
    if mutating && handle.busy {
        return fail(.busy, "\(function): not allowed from a record callback of the same log")
    }
    do throws(HQTError) {
        try body(handle)
        return Int32(HQT_OK)
    } catch {
        return fail(error)
    }
}

private func pathString(_ path: UnsafePointer<CChar>?, _ function: String) -> Result<String, HQTError> {
    guard let path else { return .failure(HQTError(.invalidArgument, "\(function): path is NULL")) }
    let length = strnlen(path, 4097)
    guard length > 0, length <= 4096 else {
        return .failure(HQTError(.invalidArgument, "\(function): path is empty or longer than 4096 bytes"))
    }
    let bytes = UnsafeRawBufferPointer(start: path, count: length)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        return .failure(HQTError(.invalidArgument, "\(function): path is not valid UTF-8"))
    }
    return .success(text)
}

func fill(_ out: UnsafeMutablePointer<hqt_wal_open_report>?, _ report: WALOpenReport) {
    guard let out else { return }
    var r = hqt_wal_open_report()
    r.torn_bytes_dropped = Int64(report.tornBytesDropped)
    r.torn_records_dropped = Int64(report.tornRecordsDropped)
    r.records = Int64(report.records)
    r.last_checkpoint_offset = report.lastCheckpointOffset.map(Int64.init) ?? -1
    r.last_sequence = report.lastSequence
    r.valid_bytes = Int64(report.validBytes)
    r.fingerprint = report.header?.fingerprint ?? 0
    r.has_fingerprint = report.header?.fingerprint == nil ? 0 : 1
    r.format_version = Int32(report.header?.formatVersion ?? 0)
    out.pointee = r
}

/// The sync policy an options struct asks for, validated.
func syncPolicy(_ options: hqt_wal_options, _ function: String) -> Result<WALSyncPolicy, HQTError> {
    switch Int(options.sync_policy) {
    case Int(HQT_WAL_SYNC_ALWAYS): return .success(.always)
    case Int(HQT_WAL_SYNC_NONE): return .success(.none)
    case Int(HQT_WAL_SYNC_BATCH):
        guard options.batch_max_records >= 1 else {
            return .failure(
                HQTError(
                    .invalidArgument, "\(function): batch_max_records must be >= 1, got \(options.batch_max_records)"))
        }
        guard options.batch_max_delay_ns >= 0 else {
            return .failure(
                HQTError(
                    .invalidArgument, "\(function): batch_max_delay_ns must be >= 0, got \(options.batch_max_delay_ns)")
            )
        }
        return .success(
            .batch(
                maxRecords: Int(options.batch_max_records),
                maxDelayNanoseconds: UInt64(options.batch_max_delay_ns)))
    default:
        return .failure(
            HQTError(
                .invalidArgument,
                "\(function): sync_policy \(options.sync_policy) is not HQT_WAL_SYNC_ALWAYS, _BATCH or _NONE"))
    }
}

private let defaultBatchRecords: Int64 = 256
private let defaultBatchDelay: Int64 = 10_000_000

@_cdecl("hqt_wal_options_init")
public func hqt_wal_options_init(_ options: UnsafeMutablePointer<hqt_wal_options>?) {
    guard let options else { return }
    var o = hqt_wal_options()
    o.sync_policy = Int32(HQT_WAL_SYNC_ALWAYS)
    o.batch_max_records = defaultBatchRecords
    o.batch_max_delay_ns = defaultBatchDelay
    options.pointee = o
}

@_cdecl("hqt_wal_open")
public func hqt_wal_open(
    _ path: UnsafePointer<CChar>?, _ syncPolicy: Int32, _ truncate: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ report: UnsafeMutablePointer<hqt_wal_open_report>?
) -> Int32 {
    var options = hqt_wal_options()
    hqt_wal_options_init(&options)
    options.sync_policy = syncPolicy
    options.truncate = truncate
    return openLog(path, options, out, report, "hqt_wal_open")
}

@_cdecl("hqt_wal_open_ex")
public func hqt_wal_open_ex(
    _ path: UnsafePointer<CChar>?, _ options: UnsafePointer<hqt_wal_options>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ report: UnsafeMutablePointer<hqt_wal_open_report>?
) -> Int32 {
    var o = hqt_wal_options()
    if let options { o = options.pointee } else { hqt_wal_options_init(&o) }
    return openLog(path, o, out, report, "hqt_wal_open_ex")
}

private func openLog(
    _ rawPath: UnsafePointer<CChar>?, _ options: hqt_wal_options,
    _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ report: UnsafeMutablePointer<hqt_wal_open_report>?, _ function: String
) -> Int32 {
    guard let out else { return fail(.invalidArgument, "\(function): out is NULL") }
    out.pointee = nil
    let path: String
    switch pathString(rawPath, function) {
    case let .success(p): path = p
    case let .failure(e): return fail(e)
    }
    let policy: WALSyncPolicy
    switch syncPolicy(options, function) {
    case let .success(p): policy = p
    case let .failure(e): return fail(e)
    }
    do throws(HQTError) {
        let wal = try WriteAheadLog(path: path, sync: policy)
        let result = try wal.open(
            truncate: options.truncate != 0,
            configFingerprint: options.check_fingerprint != 0 ? options.fingerprint : nil)
        fill(report, result)
        do throws(HQTError) {
            out.pointee = try walHandles.insert(WALHandle(wal: wal))
        } catch {
            try? wal.close()
            throw error
        }
        return Int32(HQT_OK)
    } catch {
        return fail(error)
    }
}

@_cdecl("hqt_wal_append")
public func hqt_wal_append(
    _ wal: OpaquePointer?, _ type: UInt8, _ data: UnsafeRawPointer?, _ length: Int,
    _ outSequence: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    withHandle(wal, "hqt_wal_append", mutating: true) { (h: WALHandle) throws(HQTError) in
        guard data != nil || length == 0 else {
            throw HQTError(.invalidArgument, "hqt_wal_append: data is NULL but len is \(length)")
        }
        guard length >= 0, length <= WALFrame.maxPayload else {
            throw HQTError(
                .invalidArgument, "hqt_wal_append: len \(UInt(bitPattern: length)) exceeds HQT_WAL_MAX_PAYLOAD")
        }
        let sequence = try h.wal.append(type: type, data: UnsafeRawBufferPointer(start: data, count: length))
        outSequence?.pointee = sequence
    }
}

@_cdecl("hqt_wal_mark_checkpoint")
public func hqt_wal_mark_checkpoint(_ wal: OpaquePointer?, _ snapshot: UnsafeRawPointer?, _ length: Int) -> Int32 {
    withHandle(wal, "hqt_wal_mark_checkpoint", mutating: true) { (h: WALHandle) throws(HQTError) in
        guard snapshot != nil || length == 0 else {
            throw HQTError(.invalidArgument, "hqt_wal_mark_checkpoint: snapshot is NULL but len is \(length)")
        }
        guard length >= 0, length <= WALFrame.maxPayload else {
            throw HQTError(
                .invalidArgument, "hqt_wal_mark_checkpoint: len \(UInt(bitPattern: length)) exceeds HQT_WAL_MAX_PAYLOAD"
            )
        }
        try h.wal.markCheckpoint(snapshot: UnsafeRawBufferPointer(start: snapshot, count: length))
    }
}

@_cdecl("hqt_wal_sync")
public func hqt_wal_sync(_ wal: OpaquePointer?) -> Int32 {
    withHandle(wal, "hqt_wal_sync", mutating: true) { (h: WALHandle) throws(HQTError) in try h.wal.sync() }
}

/// Feeds records to a C callback; a non-zero return stops with HQT_E_CALLBACK.
private func read(
    _ wal: OpaquePointer?, _ function: String, afterLastCheckpoint: Bool,
    _ fn: hqt_wal_record_fn?, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    withHandle(wal, function, mutating: false) { (h: WALHandle) throws(HQTError) in
        guard let fn else { throw HQTError(.invalidArgument, "\(function): fn is NULL") }
        let wasBusy = h.busy
        h.busy = true
        defer { h.busy = wasBusy }
        try h.wal.forEachRecord(afterLastCheckpoint: afterLastCheckpoint) {
            type, sequence, payload, offset throws(HQTError) in
            try deliver(fn, userData, type, sequence, payload, offset, function)
        }
    }
}

private func deliver(
    _ fn: hqt_wal_record_fn, _ userData: UnsafeMutableRawPointer?, _ type: UInt8, _ sequence: UInt64,
    _ payload: UnsafeRawBufferPointer, _ offset: Int, _ function: String
) throws(HQTError) -> Bool {
    var record = hqt_wal_record()
    record.type = type
    record.sequence = sequence
    record.offset = Int64(offset)
    record.data = payload.baseAddress
    record.length = payload.count
    let rc = fn(&record, userData)
    if rc != 0 {
        throw HQTError(
            .callback, "\(function): the record callback returned \(rc) at sequence \(sequence); reading stopped")
    }
    return true
}

@_cdecl("hqt_wal_read_all")
public func hqt_wal_read_all(_ wal: OpaquePointer?, _ fn: hqt_wal_record_fn?, _ userData: UnsafeMutableRawPointer?)
    -> Int32
{
    read(wal, "hqt_wal_read_all", afterLastCheckpoint: false, fn, userData)
}

@_cdecl("hqt_wal_read_uncommitted")
public func hqt_wal_read_uncommitted(
    _ wal: OpaquePointer?, _ fn: hqt_wal_record_fn?, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    read(wal, "hqt_wal_read_uncommitted", afterLastCheckpoint: true, fn, userData)
}

@_cdecl("hqt_wal_last_checkpoint")
public func hqt_wal_last_checkpoint(
    _ wal: OpaquePointer?, _ fn: hqt_wal_record_fn?, _ userData: UnsafeMutableRawPointer?,
    _ outFound: UnsafeMutablePointer<Int32>?
) -> Int32 {
    outFound?.pointee = 0
    return withHandle(wal, "hqt_wal_last_checkpoint", mutating: false) { (h: WALHandle) throws(HQTError) in
        guard let fn else { throw HQTError(.invalidArgument, "hqt_wal_last_checkpoint: fn is NULL") }
        guard let record = try h.wal.lastCheckpoint() else { return }
        outFound?.pointee = 1
        let wasBusy = h.busy
        h.busy = true
        defer { h.busy = wasBusy }
        var failure: HQTError?
        record.data.withUnsafeBytes { payload in
            do throws(HQTError) {
                _ = try deliver(
                    fn, userData, record.type, record.sequence, payload, record.offset, "hqt_wal_last_checkpoint")
            } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

@_cdecl("hqt_wal_truncate_to_checkpoint")
public func hqt_wal_truncate_to_checkpoint(_ wal: OpaquePointer?) -> Int32 {
    withHandle(wal, "hqt_wal_truncate_to_checkpoint", mutating: true) { (h: WALHandle) throws(HQTError) in
        try h.wal.truncateToCheckpoint()
    }
}

@_cdecl("hqt_wal_clear")
public func hqt_wal_clear(_ wal: OpaquePointer?) -> Int32 {
    withHandle(wal, "hqt_wal_clear", mutating: true) { (h: WALHandle) throws(HQTError) in try h.wal.clear() }
}

@_cdecl("hqt_wal_close")
public func hqt_wal_close(_ wal: OpaquePointer?) -> Int32 {
    guard wal != nil else { return Int32(HQT_OK) }
    let h: WALHandle
    do throws(HQTError) {
        // Checked under the table's lock: a refused close leaves the handle usable.
        h = try walHandles.remove(wal) { (h: WALHandle) throws(HQTError) in
            guard !h.busy else {
                throw HQTError(.busy, "hqt_wal_close: not allowed from a record callback of the same log")
            }
        }
    } catch {
        return fail(error.code, error.code == .invalidArgument ? "hqt_wal_close: \(error.message)" : error.message)
    }
    do throws(HQTError) {
        try h.wal.close()
        return Int32(HQT_OK)
    } catch {
        return fail(error)
    }
}

private func wholeFile(
    _ rawPath: UnsafePointer<CChar>?, _ report: UnsafeMutablePointer<hqt_wal_open_report>?,
    _ function: String, _ body: (String) throws(HQTError) -> WALOpenReport
) -> Int32 {
    switch pathString(rawPath, function) {
    case let .failure(e): return fail(e)
    case let .success(path):
        do throws(HQTError) {
            fill(report, try body(path))
            return Int32(HQT_OK)
        } catch {
            return fail(error)
        }
    }
}

@_cdecl("hqt_wal_salvage")
public func hqt_wal_salvage(_ path: UnsafePointer<CChar>?, _ report: UnsafeMutablePointer<hqt_wal_open_report>?)
    -> Int32
{
    wholeFile(path, report, "hqt_wal_salvage") { (p: String) throws(HQTError) in try WriteAheadLog.salvage(path: p) }
}

@_cdecl("hqt_wal_verify")
public func hqt_wal_verify(_ path: UnsafePointer<CChar>?, _ report: UnsafeMutablePointer<hqt_wal_open_report>?) -> Int32
{
    wholeFile(path, report, "hqt_wal_verify") { (p: String) throws(HQTError) in try WriteAheadLog.verify(path: p) }
}
