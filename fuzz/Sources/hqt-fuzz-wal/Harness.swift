import CHQTABI
import FuzzSupport
import Glibc

// The WAL reader fuzz target: the input becomes a log file, which is then
// verified, opened and read (hqt_wal_*), salvaged, and recovered by an
// engine (hqt_engine_enable_wal + hqt_engine_recover_from_wal + a resumed
// run). Every status must be a documented one; a trap or sanitizer report is
// a crash. Input layout (docs/fuzzing.md):
//
//   [mode:u8] then
//     mode bit 0 clear: the file's bytes, as they are;
//     mode bit 0 set:   records [type:u8][ctl:u8][len:u16][payload], framed
//                       with the right magic, CRC and sequence number unless
//                       ctl asks otherwise — so that mutations reach the
//                       record decoders instead of all failing the CRC.
//   mode bit 1: also recover an engine from the file; bit 2: also salvage it.

let directory: String = {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(base)/hqt-fuzz-wal-\(getpid())"
}()
let path = "\(directory)/fuzz.wal"

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    var input = FuzzInput(data, count)
    let mode = input.byte()
    let file = mode & 1 == 0 ? input.take(count) : frames(&input)
    write(file)
    var report = hqt_wal_open_report()
    check(hqt_wal_verify(path, &report), "hqt_wal_verify")
    readLog()
    if mode & 2 != 0 {
        write(file)
        recoverEngine()
    }
    if mode & 4 != 0 {
        write(file)
        check(hqt_wal_salvage(path, &report), "hqt_wal_salvage")
        readLog()
    }
    return 0
}

/// Opens the file as a log and walks it every way the C ABI offers.
func readLog() {
    var wal: OpaquePointer?
    var report = hqt_wal_open_report()
    let status = hqt_wal_open(path, Int32(HQT_WAL_SYNC_NONE), 0, &wal, &report)
    check(status, "hqt_wal_open")
    guard status == 0, let wal else { return }
    let visit: hqt_wal_record_fn = { record, _ in
        guard let r = record?.pointee else { fail("record callback without a record") }
        // Touch every payload byte: the sanitizer checks the buffer's bounds.
        let bytes = UnsafeRawBufferPointer(start: r.data, count: r.data == nil ? 0 : r.length)
        var sum: UInt8 = r.type
        for b in bytes { sum &+= b }
        return sum == 0x5A && r.length == 7 ? 1 : 0  // sometimes stop early
    }
    check(hqt_wal_read_all(wal, visit, nil), "hqt_wal_read_all")
    check(hqt_wal_read_uncommitted(wal, visit, nil), "hqt_wal_read_uncommitted")
    var found: Int32 = 0
    check(hqt_wal_last_checkpoint(wal, visit, nil, &found), "hqt_wal_last_checkpoint")
    check(hqt_wal_close(wal), "hqt_wal_close")
}

/// The engine of the seed logs (Seeds.swift): same configuration, so the
/// fingerprint matches and recovery gets past the header to the records.
func makeEngine() -> OpaquePointer? {
    var engine: OpaquePointer?
    check(hqt_engine_create(10_000_000_000, "USD", 100, &engine), "hqt_engine_create")
    guard let engine else { return nil }
    var spec = hqt_symbol_spec()
    hqt_symbol_spec_init(&spec)
    var id: UInt32 = 0
    "EURUSD".withCString { name in
        "EUR".withCString { base in
            "USD".withCString { profit in
                spec.name = name
                spec.base_currency = base
                spec.profit_currency = profit
                check(hqt_engine_add_symbol(engine, &spec, &id), "hqt_engine_add_symbol")
            }
        }
    }
    var time = [Int64](), bid = [Int64](), ask = [Int64]()
    for i in 0..<64 {
        time.append(1_704_153_600_000_000_000 + Int64(i) * 1_000_000_000)
        bid.append(1_100_000 + Int64((i * 37) % 23) * 10)
        ask.append(bid[i] + 20)
    }
    check(hqt_engine_load_ticks(engine, id, time, bid, ask, 64), "hqt_engine_load_ticks")
    return engine
}

func recoverEngine() {
    guard let engine = makeEngine() else { return }
    defer { check(hqt_engine_destroy(engine), "hqt_engine_destroy") }
    var options = hqt_wal_options_v2()
    check(hqt_wal_options_v2_init(&options, MemoryLayout<hqt_wal_options_v2>.size), "hqt_wal_options_v2_init")
    options.sync_policy = Int32(HQT_WAL_SYNC_NONE)
    let enabled = hqt_engine_enable_wal_v2(engine, path, &options, 8, nil)
    check(enabled, "hqt_engine_enable_wal_v2")
    guard enabled == 0 else { return }
    var report = hqt_recovery_report()
    let recovered = hqt_engine_recover_from_wal(engine, &report)
    check(recovered, "hqt_engine_recover_from_wal")
    if recovered == 0 { check(hqt_engine_run_resume(engine, nil, 4), "hqt_engine_run_resume") }
    var stats = hqt_statistics()
    check(hqt_engine_statistics(engine, &stats), "hqt_engine_statistics")
}

func write(_ bytes: [UInt8]) {
    mkdir(directory, 0o700)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fail("cannot write \(path)") }
    bytes.withUnsafeBytes { b in
        if b.count > 0 && Glibc.write(fd, b.baseAddress, b.count) != b.count { fail("short write to \(path)") }
    }
    close(fd)
}
