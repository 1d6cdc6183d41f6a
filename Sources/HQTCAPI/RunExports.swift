import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// Driving the engine with C strategy callbacks.

extension hqt_tick {
    init(_ t: Tick) { self.init(symbol_id: t.symbolID, time: t.time, bid: t.bid, ask: t.ask) }
}

extension hqt_bar {
    init(_ b: Bar) {
        self.init(
            symbol_id: b.symbolID, timeframe: b.timeframe.minutes, time: b.time, open: b.open,
            high: b.high, low: b.low, close: b.close, volume: b.volume)
    }
}

/// Whether HQTCore's Tick and hqt_tick have the same layout.
let tickLayoutMatches =
    MemoryLayout<Tick>.size == MemoryLayout<hqt_tick>.size
    && MemoryLayout<Tick>.offset(of: \.symbolID) == MemoryLayout<hqt_tick>.offset(of: \.symbol_id)
    && MemoryLayout<Tick>.offset(of: \.time) == MemoryLayout<hqt_tick>.offset(of: \.time)
    && MemoryLayout<Tick>.offset(of: \.bid) == MemoryLayout<hqt_tick>.offset(of: \.bid)
    && MemoryLayout<Tick>.offset(of: \.ask) == MemoryLayout<hqt_tick>.offset(of: \.ask)

/// Whether HQTCore's Bar and hqt_bar have the same layout.
let barLayoutMatches =
    MemoryLayout<Bar>.size == MemoryLayout<hqt_bar>.size
    && MemoryLayout<Timeframe>.size == MemoryLayout<Int32>.size
    && MemoryLayout<Bar>.offset(of: \.symbolID) == MemoryLayout<hqt_bar>.offset(of: \.symbol_id)
    && MemoryLayout<Bar>.offset(of: \.timeframe) == MemoryLayout<hqt_bar>.offset(of: \.timeframe)
    && MemoryLayout<Bar>.offset(of: \.time) == MemoryLayout<hqt_bar>.offset(of: \.time)
    && MemoryLayout<Bar>.offset(of: \.open) == MemoryLayout<hqt_bar>.offset(of: \.open)
    && MemoryLayout<Bar>.offset(of: \.high) == MemoryLayout<hqt_bar>.offset(of: \.high)
    && MemoryLayout<Bar>.offset(of: \.low) == MemoryLayout<hqt_bar>.offset(of: \.low)
    && MemoryLayout<Bar>.offset(of: \.close) == MemoryLayout<hqt_bar>.offset(of: \.close)
    && MemoryLayout<Bar>.offset(of: \.volume) == MemoryLayout<hqt_bar>.offset(of: \.volume)

func callbackFailed(_ name: String, _ code: Int32) -> HQTError {
    HQTError(.callback, "strategy callback \(name) returned \(code): run stopped")
}

/// Wraps a C strategy as engine hooks; each hook passes the handle and
/// user_data through and turns a non-zero return into an error.
func hooks(for strategy: UnsafePointer<hqt_strategy>?, handle: OpaquePointer) -> StrategyHooks {
    guard let s = strategy?.pointee else { return StrategyHooks() }
    var hooks = StrategyHooks()
    let user = s.user_data
    if let f = s.on_start {
        hooks.onStart = { (_: Engine) throws(HQTError) in
            let rc = f(handle, user)
            if rc != 0 { throw callbackFailed("on_start", rc) }
        }
    }
    if let f = s.on_tick {
        hooks.onTick = { (_: Engine, tick: Tick) throws(HQTError) in
            var c = hqt_tick(tick)
            let rc = f(handle, &c, user)
            if rc != 0 { throw callbackFailed("on_tick", rc) }
        }
        // The run loop calls f directly when a Tick is an hqt_tick byte for
        // byte (constant-folded; else the closure above does it).
        if tickLayoutMatches {
            hooks.nativeTick = NativeTickHook(
                function: unsafeBitCast(f, to: NativeTickHook.Function.self), handle: handle, user: user)
        }
    }
    if let f = s.on_bar {
        hooks.onBar = { (_: Engine, bar: Bar) throws(HQTError) in
            var c = hqt_bar(bar)
            let rc = f(handle, &c, user)
            if rc != 0 { throw callbackFailed("on_bar", rc) }
        }
        // The run loop calls f directly after a loaded bar (as on_tick).
        if barLayoutMatches {
            hooks.nativeBar = NativeBarHook(
                function: unsafeBitCast(f, to: NativeBarHook.Function.self), handle: handle, user: user)
        }
    }
    if let f = s.on_trade {
        hooks.onTrade = { (_: Engine, deal: Deal) throws(HQTError) in
            var c = hqt_deal(deal)
            let rc = f(handle, &c, user)
            if rc != 0 { throw callbackFailed("on_trade", rc) }
        }
    }
    if let f = s.save_state {
        hooks.saveState = { (_: Engine) throws(HQTError) -> [UInt8] in
            var data: UnsafeRawPointer?
            var size = 0
            let rc = f(handle, &data, &size, user)
            if rc != 0 { throw callbackFailed("save_state", rc) }
            guard size > 0 else { return [] }
            guard let data, size <= 256 << 20 else {
                throw HQTError(
                    .callback,
                    "save_state returned \(size) bytes at \(data == nil ? "NULL" : "a pointer") (limit 256 MiB)")
            }
            return Array(UnsafeRawBufferPointer(start: data, count: size))
        }
    }
    if let f = s.restore_state {
        hooks.restoreState = { (_: Engine, state: [UInt8]) throws(HQTError) in
            let rc = state.withUnsafeBytes { f(handle, $0.baseAddress, $0.count, user) }
            if rc != 0 { throw callbackFailed("restore_state", rc) }
        }
    }
    if let f = s.on_stop {
        hooks.onStop = { (_: Engine) throws(HQTError) in
            let rc = f(handle, user)
            if rc != 0 { throw callbackFailed("on_stop", rc) }
        }
    }
    return hooks
}

@_cdecl("hqt_engine_run")
public func hqt_engine_run(_ handle: OpaquePointer?, _ strategy: UnsafePointer<hqt_strategy>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        try e.run(hooks(for: strategy, handle: handle!))
    }
}

@_cdecl("hqt_engine_interrupt")
public func hqt_engine_interrupt(_ handle: OpaquePointer?) -> Int32 {
    // Any thread, also while the engine runs on another one: only the
    // engine's atomic request flag is touched.
    status { () throws(HQTError) in
        try engine(handle).interrupter.interrupt()
    }
}

@_cdecl("hqt_engine_is_paused")
public func hqt_engine_is_paused(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        try output(out, "out_paused").pointee = e.isPaused ? 1 : 0
    }
}

@_cdecl("hqt_engine_process_event")
public func hqt_engine_process_event(
    _ handle: OpaquePointer?, _ event: UnsafePointer<hqt_event>?,
    _ strategy: UnsafePointer<hqt_strategy>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        guard let ev = event?.pointee else { throw invalid("event is NULL") }
        let marketEvent: MarketEvent
        switch ev.type {
        case Int32(HQT_EVENT_TICK):
            marketEvent = .tick(
                Tick(symbolID: ev.tick.symbol_id, time: ev.tick.time, bid: ev.tick.bid, ask: ev.tick.ask))
        case Int32(HQT_EVENT_BAR):
            let b = ev.bar
            marketEvent = .bar(
                Bar(
                    symbolID: b.symbol_id, timeframe: try Timeframe.validated(b.timeframe), time: b.time,
                    open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume))
        default:
            throw invalid("event.type must be HQT_EVENT_TICK (0) or HQT_EVENT_BAR (1), got \(ev.type)")
        }
        try e.process(marketEvent, hooks: hooks(for: strategy, handle: handle!))
    }
}

@_cdecl("hqt_engine_flush_bars")
public func hqt_engine_flush_bars(_ handle: OpaquePointer?, _ strategy: UnsafePointer<hqt_strategy>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        try e.flushBars(hooks: hooks(for: strategy, handle: handle!))
    }
}

@_cdecl("hqt_engine_set_tick_model")
public func hqt_engine_set_tick_model(_ handle: OpaquePointer?, _ model: Int32) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        if model == Int32(HQT_TICK_MODEL_DEFAULT) {
            try e.setTickModel(nil)
            return
        }
        guard let m = TickModel(rawValue: model) else {
            throw invalid(
                "tick model \(model) is not one of HQT_TICK_MODEL_DEFAULT (-1), REAL_TICKS (0), EVERY_TICK (1), OHLC_M1 (2), OPEN_PRICES (3), BARS (4)"
            )
        }
        try e.setTickModel(m)
    }
}

@_cdecl("hqt_engine_tick_model")
public func hqt_engine_tick_model(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        try output(out, "out_model").pointee = e.tickModel.rawValue
    }
}
