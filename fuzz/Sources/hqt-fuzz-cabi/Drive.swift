import CHQTABI
import FuzzSupport

// run(), process_event(), flush_bars() and run_source() with strategy
// callbacks that take further steps of the input from inside the run:
// trading, queries, and the calls an engine must refuse while busy.

/// What a callback does: maybe one more step of the program, maybe stop the run.
func callback(_ engine: OpaquePointer?) -> Int32 {
    guard let engine, callbackSteps < 96, !input.isAtEnd else { return 0 }
    callbackSteps += 1
    let choice = input.byte()
    if choice < 96 { step(inCallback: engine) }
    return choice == 255 ? 1 : 0
}

func strategyV1() -> hqt_strategy {
    var s = hqt_strategy()
    s.on_start = { e, _ in callback(e) }
    s.on_tick = { e, tick, _ in
        if tick == nil { fail("on_tick without a tick") }
        return callback(e)
    }
    s.on_bar = { e, bar, _ in
        if bar == nil { fail("on_bar without a bar") }
        return callback(e)
    }
    s.on_trade = { e, deal, _ in
        guard let deal else { fail("on_trade without a deal") }
        tickets.append(deal.pointee.position)
        return callback(e)
    }
    s.on_stop = { e, _ in callback(e) }
    return s
}

func strategyV2() -> hqt_strategy_v2 {
    var s = hqt_strategy_v2()
    check(hqt_strategy_v2_init(&s, MemoryLayout<hqt_strategy_v2>.size), "hqt_strategy_v2_init")
    let v1 = strategyV1()
    s.on_start = v1.on_start
    s.on_tick = v1.on_tick
    s.on_bar = v1.on_bar
    s.on_trade = v1.on_trade
    s.on_stop = v1.on_stop
    return s
}

nonisolated(unsafe) var sourceCalls = 0

func drive(_ e: OpaquePointer) {
    var v1 = strategyV1()
    var v2 = strategyV2()
    let withStrategy = input.byte() < 200
    let wasRunning = running.contains(e)
    running.append(e)
    defer { running.removeLast() }
    switch input.byte() % 6 {
    case 0:
        let status = withStrategy ? hqt_engine_run(e, &v1) : hqt_engine_run(e, nil)
        check(status, "hqt_engine_run")
        if wasRunning && status != 12 {
            fail("hqt_engine_run from its own callback returned \(status), not HQT_E_BUSY")
        }
    case 1: check(withStrategy ? hqt_engine_run_v2(e, &v2) : hqt_engine_run_v2(e, nil), "hqt_engine_run_v2")
    case 2:
        var event = hqt_event()
        event.type = Int32(input.byte() % 3)
        event.tick = hqt_tick(
            symbol_id: symbolID(), time: nextTime(), bid: input.value(near: 1_100_000, spread: 20_000), ask: 0)
        event.tick.ask = event.tick.bid &+ Int64(input.byte())
        event.bar = hqt_bar(
            symbol_id: symbolID(), timeframe: timeframes[Int(input.byte()) % timeframes.count],
            time: nextTime() / 60_000_000_000 * 60_000_000_000, open: event.tick.bid, high: event.tick.ask,
            low: event.tick.bid, close: event.tick.ask, volume: Int64(input.byte()))
        if input.bool() {
            check(
                withOptional(withStrategy, &v1) { hqt_engine_process_event(e, &event, $0) }, "hqt_engine_process_event")
        } else {
            check(
                withOptional(withStrategy, &v2) { hqt_engine_process_event_v2(e, &event, $0) },
                "hqt_engine_process_event_v2")
        }
    case 3:
        check(withStrategy ? hqt_engine_flush_bars(e, &v1) : hqt_engine_flush_bars(e, nil), "hqt_engine_flush_bars")
    case 4:
        check(withOptional(withStrategy, &v2) { hqt_engine_flush_bars_v2(e, $0) }, "hqt_engine_flush_bars_v2")
    default:
        sourceCalls = 0
        let status = withOptional(withStrategy, &v2) { strategy in
            hqt_engine_run_source(
                e, strategy,
                { engine, more, _ in
                    guard let engine, let more else { fail("run_source: source called without engine or more") }
                    sourceCalls += 1
                    if sourceCalls > 3 || input.isAtEnd {
                        more.pointee = 0
                        return 0
                    }
                    loadData(engine)
                    more.pointee = 1
                    return input.byte() == 255 ? 1 : 0
                }, nil)
        }
        check(status, "hqt_engine_run_source")
    }
}

/// Calls body with `&value`, or with NULL when not `present`.
func withOptional<T, R>(_ present: Bool, _ value: inout T, _ body: (UnsafeMutablePointer<T>?) -> R) -> R {
    withUnsafeMutablePointer(to: &value) { body(present ? $0 : nil) }
}
