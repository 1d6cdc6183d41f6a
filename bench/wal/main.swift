import HQTCore
import HQTWAL
import Synchronization

// hqt-wal-bench: append latency and throughput of the write-ahead log for
// each durability policy, in one run on one disk, 64-byte payloads.
//
//   swift build -c release --scratch-path .build --product hqt-wal-bench
//   .build/release/hqt-wal-bench [directory] [rounds]    (default: /tmp, 3)
//
// The policies run interleaved, round after round, because a shared disk's
// sync latency drifts by several times within minutes: records/s is the
// median over the rounds, latency percentiles pool every append of every
// round. records/s counts the wall time from the first append to the end of
// close() (the final sync included), so group commit is not flattered by
// syncs left pending; latency is timed around each append call.
#if canImport(Glibc)
import Glibc
#endif

/// fdatasync calls, counted by a file system that is POSIX plus a counter
/// (the fault injector would add its own bookkeeping to every write).
let syncCount = Atomic<Int>(0)
let countingFileSystem: WALFileSystem = {
    var fs = WALFileSystem.posix
    fs.fdatasync = { fd in
        syncCount.add(1, ordering: .relaxed)
        return Glibc.fdatasync(fd)
    }
    return fs
}()

struct Case {
    var name: String
    var policy: WALSyncPolicy
    var records: Int
    var rates: [Double] = []
    var latencies: [UInt64] = []
    var syncs = 0
}

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Appends `c.records` 64-byte records; adds the rate, latencies and syncs to `c`.
func run(_ c: inout Case, directory: String) throws {
    let path = "\(directory)/hqt-wal-bench-\(getpid()).wal"
    defer {
        unlink(path)
        unlink(path + ".lock")
    }
    let wal = try WriteAheadLog(path: path, sync: c.policy, fileSystem: countingFileSystem)
    try wal.open(truncate: true)
    let syncsBefore = syncCount.load(ordering: .relaxed)
    let payload = (0..<64).map { UInt8($0) }
    var latencies = [UInt64](repeating: 0, count: c.records)
    let start = now()
    try payload.withUnsafeBytes { (p: UnsafeRawBufferPointer) throws in
        for i in 0..<latencies.count {
            let t0 = now()
            _ = try wal.append(type: WALRecordType.positionOpen, data: p)
            latencies[i] = now() - t0
        }
    }
    try wal.close()
    let seconds = Double(now() - start) / 1e9
    c.rates.append(Double(c.records) / seconds)
    c.latencies += latencies
    c.syncs += syncCount.load(ordering: .relaxed) - syncsBefore
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
func fixed(_ v: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (v * scale).rounded() / scale
    return digits == 0 ? String(Int(r)) : String(r)
}
func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

let arguments = CommandLine.arguments
let directory = arguments.count > 1 ? arguments[1] : "/tmp"
let rounds = arguments.count > 2 ? max(1, Int(arguments[2]) ?? 3) : 3
print("HQT write-ahead log: 64-byte payloads (85-byte frames), \(rounds) interleaved rounds, directory \(directory)")
var cases = [
    Case(name: "always", policy: .always, records: 2_000),
    Case(
        name: "batch 64 rec / 10 ms", policy: .batch(maxRecords: 64, maxDelayNanoseconds: 10_000_000), records: 100_000),
    Case(name: "batch 256 rec / 10 ms (default)", policy: WALSyncPolicy.defaultBatch, records: 200_000),
    Case(name: "none", policy: .none, records: 500_000),
]
do {
    var warmUp = Case(name: "warm-up", policy: .none, records: 20_000)
    try run(&warmUp, directory: directory)
    for _ in 0..<rounds {
        for i in cases.indices { try run(&cases[i], directory: directory) }
    }
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
print(
    pad("policy", 32) + pad("p50 µs", 10) + pad("p99 µs", 10) + pad("records/s", 12)
        + pad("min..max rec/s", 22) + pad("rec/sync", 10))
for var c in cases {
    c.latencies.sort()
    let p50 = Double(c.latencies[c.latencies.count / 2]) / 1000
    let p99 = Double(c.latencies[min(c.latencies.count - 1, c.latencies.count * 99 / 100)]) / 1000
    let spread = "\(fixed(c.rates.min()!, 0))..\(fixed(c.rates.max()!, 0))"
    let perSync = c.syncs == 0 ? "-" : fixed(Double(c.records * rounds) / Double(c.syncs), 1)
    print(
        pad(c.name, 32) + pad(fixed(p50, 2), 10) + pad(fixed(p99, 2), 10) + pad(fixed(median(c.rates), 0), 12)
            + pad(spread, 22) + pad(perSync, 10))
}
let always = median(cases[0].rates)
print("batch 64 / always      = \(fixed(median(cases[1].rates) / always, 1))x   (target >= 20x)")
print("batch default / always = \(fixed(median(cases[2].rates) / always, 1))x")
print("none / always          = \(fixed(median(cases[3].rates) / always, 1))x")
