import CHQTABI
import FuzzSupport
import Glibc

// Seed inputs for the WAL target: logs the engine and hqt_wal really write,
// each saved raw and as framed records (see Harness.swift), so that the
// fuzzer starts from valid files and mutates them from there.

nonisolated(unsafe) var seedTick = 0
nonisolated(unsafe) var seedTicket: UInt64 = 0

func makeSeeds(into dir: String) {
    mkdir(dir, 0o755)
    // 1. An engine's log: trades, a pending order, stops, a deposit, a run
    // with its checkpoints, then operations after the last checkpoint.
    if let engine = makeEngine() {
        var options = hqt_wal_options_v2()
        check(hqt_wal_options_v2_init(&options, MemoryLayout<hqt_wal_options_v2>.size), "hqt_wal_options_v2_init")
        options.sync_policy = Int32(HQT_WAL_SYNC_NONE)
        options.truncate = 1
        write([])
        check(hqt_engine_enable_wal_v2(engine, path, &options, 8, nil), "hqt_engine_enable_wal_v2")
        var strategy = hqt_strategy()
        strategy.on_tick = { e, tick, _ in
            seedTick += 1
            var t: UInt64 = 0
            switch seedTick {
            case 3: _ = hqt_engine_buy(e, 0, 10_000, 1_090_000, 1_120_000, &seedTicket)
            case 6: _ = hqt_engine_sell(e, 0, 20_000, 0, 0, &t)
            case 9:
                var r = hqt_order_request()
                r.type = Int32(HQT_ORDER_BUY_LIMIT)
                r.volume = 10_000
                r.price = 1_099_000
                _ = hqt_engine_order_send(e, &r, &t)
                _ = hqt_engine_modify_order(e, t, 1_099_100, 0, 0)
            case 12: _ = hqt_engine_modify(e, seedTicket, 1_095_000, Int64.min)
            case 20: _ = hqt_engine_close(e, seedTicket, 0)
            case 25: _ = hqt_engine_deposit(e, 5_000_000)
            default: break
            }
            return 0
        }
        check(hqt_engine_build_bars(engine, 0, 1), "hqt_engine_build_bars")
        // a BUILD_BARS record with its price byte, a builder state byte with a price
        check(hqt_engine_build_bars_v2(engine, 0, 5, Int32(HQT_PRICE_MID)), "hqt_engine_build_bars_v2")
        check(hqt_engine_run(engine, &strategy), "hqt_engine_run")
        var t: UInt64 = 0
        check(hqt_engine_buy(engine, 0, 10_000, 0, 0, &t), "hqt_engine_buy")
        check(hqt_engine_deposit(engine, -1_000_000), "hqt_engine_deposit")
        check(hqt_engine_destroy(engine), "hqt_engine_destroy")
        save(read(), name: "engine", dir: dir)
    }
    // 2. A log written through hqt_wal_*: records of every type, a checkpoint, more records.
    var wal: OpaquePointer?
    check(hqt_wal_open(path, Int32(HQT_WAL_SYNC_NONE), 1, &wal, nil), "hqt_wal_open")
    let payload: [UInt8] = Array("payload".utf8)
    for type: UInt8 in [1, 2, 3, 4, 5, 6, 9, 10, 11, 200] {
        check(hqt_wal_append(wal, type, payload, payload.count, nil), "hqt_wal_append")
    }
    check(hqt_wal_mark_checkpoint(wal, payload, payload.count), "hqt_wal_mark_checkpoint")
    check(hqt_wal_append(wal, 6, payload, 3, nil), "hqt_wal_append")
    check(hqt_wal_close(wal), "hqt_wal_close")
    save(read(), name: "wal", dir: dir)
}

func read() -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { fail("cannot read \(path)") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

/// Saves a log raw (mode 2: read and recover) and framed (mode 7: framed,
/// recover, salvage): the same records, each [type][ctl = 0][len][payload].
func save(_ file: [UInt8], name: String, dir: String) {
    var framed: [UInt8] = [7]
    var offset = 0
    while offset + 21 <= file.count {
        let type = file[offset + 4]
        let length =
            Int(file[offset + 5]) | Int(file[offset + 6]) << 8 | Int(file[offset + 7]) << 16 | Int(file[offset + 8])
            << 24
        let payload = Array(file[(offset + 21)..<min(offset + 13 + length, file.count)])
        guard payload.count <= 65535 else { fail("seed record too large for the framed form") }
        framed += [type, 0, UInt8(payload.count & 0xFF), UInt8(payload.count >> 8)] + payload
        offset += 13 + length
    }
    for (suffix, bytes) in [("raw", [2] + file), ("framed", framed)] {
        let fd = open("\(dir)/\(name)-\(suffix)", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}
