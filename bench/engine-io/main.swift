import HQTBroadcast
import HQTCore
import HQTWAL

// Engine throughput with broadcasting and the write-ahead log on and off,
// measured side by side in one run (issues 3 and 4). The strategy is Swift
// hooks, so the figures are the engine's, not Python's.
//
//   swift build -c release --product hqt-engine-bench && .build/release/hqt-engine-bench [ticks]
#if canImport(Glibc)
import Glibc
#endif

let ticks = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 5_000_000 : 5_000_000
let base: Int64 = 1_700_000_000 * 1_000_000_000

/// A deterministic random walk, 10 ticks a second.
func makeTicks(_ n: Int) -> (t: [Int64], bid: [Int64], ask: [Int64]) {
    var t = [Int64](repeating: 0, count: n), bid = t, ask = t
    var state: UInt64 = 42
    var price: Int64 = 1_100_000
    for i in 0..<n {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        price += Int64((state >> 33) % 21) - 10
        t[i] = base + Int64(i) * 100_000_000; bid[i] = price; ask[i] = price + 20
    }
    return (t, bid, ask)
}
let data = makeTicks(ticks)

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Trades every 100 ticks: closes the open position or opens one.
let tradeEvery100 = StrategyHooks(onTick: { (e: Engine, tick: Tick) throws(HQTError) in
    if (tick.time - base) / 100_000_000 % 100 == 0 {
        if let p = e.positions.first { try e.close(ticket: p.ticket) } else { try e.buy(symbolID: 0, volume: 10_000) }
    }
})

func engine() -> Engine {
    let e = try! Engine(initialBalance: 1_000_000_000_000, currency: "USD", leverage: 100)
    try! e.addSymbol(SymbolSpec(name: "EURUSD", baseCurrency: "EUR", profitCurrency: "USD"))
    try! e.loadTicks(symbolID: 0, time: data.t, bid: data.bid, ask: data.ask)
    return e
}

func fmt(_ x: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return String((x * scale).rounded() / scale)
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

/// Best of `n` runs, in ticks per second.
func measure(
    _ name: String, repeat n: Int = 3, hooks: StrategyHooks = StrategyHooks(),
    _ setUp: (Engine) -> Void, report: (Engine) -> String = { _ in "" }
) -> Double {
    var best = 0.0
    var note = ""
    for _ in 0..<n {
        let e = engine()
        setUp(e)
        let start = now()
        try! e.run(hooks)
        let rate = Double(ticks) / (now() - start)
        if rate > best { best = rate; note = report(e) }
        e.shutdown()
    }
    print(pad(name, 56) + pad(fmt(best / 1e6), 9) + " M ticks/s  " + note)
    return best
}

print("HQT engine I/O benchmark: \(ticks) ticks, best of 3")
print("-- broadcasting (tcp://127.0.0.1, no subscriber; every tick published)")
let plain = measure("no strategy, broadcasting off") { _ in }
let broadcasting = measure("no strategy, broadcasting on") { e in
    var o = BroadcastOptions(endpoint: "tcp://127.0.0.1:*")
    o.sendHighWaterMark = 100_000
    try! e.enableBroadcasting(o)
} report: { e in
    let s = e.broadcastStats!.totals
    return "sent \(s.sent), dropped \(s.dropped)"
}
print("   ratio on/off: " + fmt(broadcasting / plain, 3) + " (target: >= 5 M ticks/s with every tick broadcast)")

print("-- write-ahead log (strategy trading every 100 ticks)")
let path = "/tmp/hqt-engine-bench-\(getpid()).wal"
defer { unlink(path); unlink(path + ".lock") }
let noWAL = measure("WAL off", hooks: tradeEvery100) { _ in }
var rows: [(String, Double)] = []
for (name, policy) in [
    ("always", WALSyncPolicy.always), ("batch", WALSyncPolicy.defaultBatch), ("none", WALSyncPolicy.none),
] {
    let rate = measure("WAL on, sync=" + name, repeat: name == "always" ? 1 : 3, hooks: tradeEvery100) { e in
        try! e.enableWAL(path: path, truncate: true, sync: policy)
    } report: { e in
        "\(e.deals.count) deals"
    }
    rows.append((name, rate))
}
for (name, rate) in rows {
    print("   sync=" + pad(name, 7) + " keeps " + fmt(rate / noWAL * 100, 1) + "% of no-WAL throughput")
}
print("   target: batch >= 80% of no-WAL")

// Cost of one checkpoint of a run's full state (it ends every run).
do {
    let e = engine()
    try! e.enableWAL(path: path, truncate: true, sync: .none, checkpointEvery: 100_000_000)
    try! e.run(tradeEvery100)
    var best = 1e9
    for _ in 0..<3 {
        let start = now()
        try! e.checkpoint()
        best = min(best, now() - start)
    }
    print(
        "   one checkpoint (\(e.deals.count) deals, \(e.trades.count) trades in the snapshot): " + fmt(best * 1e3)
            + " ms")
    e.shutdown()
}
