import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// Structs that carry their size (the *_v2 structs of hqt.h, since 0.2).
//
// A program sets struct_size to sizeof the struct in the header it was
// compiled with (through the *_v2_init call). Fields are only ever appended,
// so the library reads the fields that struct_size covers and keeps its
// defaults for the rest (a program built against an older header), and
// accepts a longer struct from a newer header when every byte it does not
// know is 0 -- a newer option is refused, never silently ignored. This is
// the rule of Linux's copy_struct_from_user (openat2, clone3).

/// struct_size of each sized struct's first layout (0.2). A struct_size below
/// it is refused: it cannot be from any header. These never change when
/// fields are appended (python/tests/test_abi_table.py checks them against
/// abi/hqt_abi.toml).
enum FirstLayoutSize {
    static let strategy = 72
    static let symbolSpec = 96
    static let broadcastOptions = 56
    static let broadcastCadence = 24
    static let walOptions = 48
    static let orderRequest = 88
}

/// Larger than any struct this library will ever define: a struct_size above
/// it is garbage (an uninitialized struct), not a newer header.
private let largestPlausibleSize = 4096

/// The caller's sized struct as this library's layout: `defaults` with the
/// bytes struct_size covers copied over it.
func readSized<T>(
    _ pointer: UnsafePointer<T>, defaults: T, firstSize: Int,
    _ what: String
) throws(HQTError) -> T {
    let raw = UnsafeRawPointer(pointer)
    let size = raw.load(as: Int.self)
    let known = MemoryLayout<T>.size
    guard size >= firstSize, size <= largestPlausibleSize else {
        throw invalid(
            "\(what)->struct_size is \(size), not the size of any \(what) layout "
                + "(\(firstSize) in 0.2): set it with \(what)_init(&s, sizeof s)")
    }
    if size > known {
        for offset in known..<size where raw.load(fromByteOffset: offset, as: UInt8.self) != 0 {
            throw invalid(
                "\(what) is \(size) bytes (a newer hqt.h) and sets a field at byte \(offset) "
                    + "that this library (\(hqtVersionString), \(known) bytes) does not have")
        }
    }
    var value = defaults
    withUnsafeMutableBytes(of: &value) {
        $0.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(size, known)))
    }
    return value
}

/// The *_v2_init calls: zero the caller's struct_size bytes, copy the
/// defaults this library knows over them, store struct_size.
func initSized<T>(
    _ pointer: UnsafeMutablePointer<T>?, _ size: Int, defaults: T, firstSize: Int,
    _ what: String
) -> Int32 {
    guard let pointer else { return fail(invalid("\(what)_init: the struct pointer is NULL")) }
    guard size >= firstSize, size <= largestPlausibleSize else {
        return fail(
            invalid(
                "\(what)_init: struct_size \(size) is not the size of any \(what) layout "
                    + "(\(firstSize) in 0.2): pass sizeof the struct"))
    }
    let raw = UnsafeMutableRawPointer(pointer)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    withUnsafeBytes(of: defaults) { raw.copyMemory(from: $0.baseAddress!, byteCount: min(size, MemoryLayout<T>.size)) }
    raw.storeBytes(of: size, as: Int.self)
    return Int32(HQT_OK)
}

/// Runs `body` with the 0.1 form of a sized struct (nil when the caller
/// passed NULL), or returns the status of a bad struct_size.
func withOldLayout<T, Old>(
    _ pointer: UnsafePointer<T>?, defaults: T, firstSize: Int, _ what: String,
    _ convert: (T) -> Old, body: (UnsafePointer<Old>?) -> Int32
) -> Int32 {
    guard let pointer else { return body(nil) }
    do throws(HQTError) {
        var old = convert(try readSized(pointer, defaults: defaults, firstSize: firstSize, what))
        return body(&old)
    } catch {
        return fail(error)
    }
}

// ---- conversions between each sized struct and its 0.1 form

extension hqt_strategy_v2 {
    static var defaults: hqt_strategy_v2 { hqt_strategy_v2() }
    var old: hqt_strategy {
        hqt_strategy(
            user_data: user_data, on_start: on_start, on_tick: on_tick, on_bar: on_bar,
            on_trade: on_trade, on_stop: on_stop, save_state: save_state, restore_state: restore_state)
    }
}

extension hqt_symbol_spec_v2 {
    static var defaults: hqt_symbol_spec_v2 {
        var d = hqt_symbol_spec()
        hqt_symbol_spec_init(&d)
        return hqt_symbol_spec_v2(d)
    }

    /// The 0.1 struct with the defaults of the fields appended since.
    init(_ d: hqt_symbol_spec) {
        self.init(
            struct_size: 0, name: d.name, base_currency: d.base_currency, profit_currency: d.profit_currency,
            margin_currency: d.margin_currency, contract_size: d.contract_size, digits: d.digits,
            margin_mode: d.margin_mode, volume_min: d.volume_min, volume_step: d.volume_step,
            volume_max: d.volume_max, commission_per_lot: d.commission_per_lot, spread: d.spread,
            calc_mode: Int32(HQT_CALC_FROM_MARGIN_MODE), margin_hedged_use_leg: 0,
            margin_rate: FixedPoint.scale, margin_initial: 0, margin_maintenance: 0, tick_size: 0,
            tick_value: 0, margin_hedged: -1, swap_mode: Int32(HQT_SWAP_DISABLED), swap_rollover3days: 3,
            swap_long: 0, swap_short: 0, commission_per_deal: 0, commission_percent: 0,
            commission_entry: 0, commission_currency: 0, stops_level: 0, freeze_level: 0,
            trade_sessions: nil, trade_session_count: 0, volume_limit: 0, quote_sessions: nil,
            quote_session_count: 0)
    }
}

extension hqt_broadcast_options_v2 {
    static var defaults: hqt_broadcast_options_v2 {
        var d = hqt_broadcast_options()
        hqt_broadcast_options_init(&d)
        return hqt_broadcast_options_v2(
            struct_size: 0, endpoint: d.endpoint, sndhwm: d.sndhwm, linger: d.linger,
            curve_secret_key: d.curve_secret_key, allowed_client_keys: d.allowed_client_keys,
            allowed_client_key_count: d.allowed_client_key_count, wait_subscribers: d.wait_subscribers,
            wait_timeout_ms: d.wait_timeout_ms, replay_endpoint: nil,
            replay_window: Int32(BroadcastOptions().replayWindow))
    }
    var old: hqt_broadcast_options {
        hqt_broadcast_options(
            endpoint: endpoint, sndhwm: sndhwm, linger: linger, curve_secret_key: curve_secret_key,
            allowed_client_keys: allowed_client_keys,
            allowed_client_key_count: allowed_client_key_count,
            wait_subscribers: wait_subscribers, wait_timeout_ms: wait_timeout_ms)
    }
}

extension hqt_broadcast_cadence_v2 {
    static var defaults: hqt_broadcast_cadence_v2 {
        var d = hqt_broadcast_cadence()
        hqt_broadcast_cadence_init(&d)
        return hqt_broadcast_cadence_v2(
            struct_size: 0, on_bar_close: d.on_bar_close, on_deal: d.on_deal,
            every_ticks: d.every_ticks)
    }
    var old: hqt_broadcast_cadence {
        hqt_broadcast_cadence(on_bar_close: on_bar_close, on_deal: on_deal, every_ticks: every_ticks)
    }
}

extension hqt_wal_options_v2 {
    static var defaults: hqt_wal_options_v2 {
        var d = hqt_wal_options()
        hqt_wal_options_init(&d)
        return hqt_wal_options_v2(
            struct_size: 0, sync_policy: d.sync_policy, truncate: d.truncate,
            batch_max_records: d.batch_max_records, batch_max_delay_ns: d.batch_max_delay_ns,
            check_fingerprint: d.check_fingerprint, reserved: d.reserved,
            fingerprint: d.fingerprint)
    }
    var old: hqt_wal_options {
        hqt_wal_options(
            sync_policy: sync_policy, truncate: truncate, batch_max_records: batch_max_records,
            batch_max_delay_ns: batch_max_delay_ns, check_fingerprint: check_fingerprint,
            reserved: reserved, fingerprint: fingerprint)
    }
}

// ---- init calls

@_cdecl("hqt_strategy_v2_init")
public func hqt_strategy_v2_init(_ s: UnsafeMutablePointer<hqt_strategy_v2>?, _ size: Int) -> Int32 {
    initSized(s, size, defaults: .defaults, firstSize: FirstLayoutSize.strategy, "hqt_strategy_v2")
}

@_cdecl("hqt_symbol_spec_v2_init")
public func hqt_symbol_spec_v2_init(_ s: UnsafeMutablePointer<hqt_symbol_spec_v2>?, _ size: Int) -> Int32 {
    initSized(s, size, defaults: .defaults, firstSize: FirstLayoutSize.symbolSpec, "hqt_symbol_spec_v2")
}

@_cdecl("hqt_broadcast_options_v2_init")
public func hqt_broadcast_options_v2_init(_ s: UnsafeMutablePointer<hqt_broadcast_options_v2>?, _ size: Int) -> Int32 {
    initSized(s, size, defaults: .defaults, firstSize: FirstLayoutSize.broadcastOptions, "hqt_broadcast_options_v2")
}

@_cdecl("hqt_broadcast_cadence_v2_init")
public func hqt_broadcast_cadence_v2_init(_ s: UnsafeMutablePointer<hqt_broadcast_cadence_v2>?, _ size: Int) -> Int32 {
    initSized(s, size, defaults: .defaults, firstSize: FirstLayoutSize.broadcastCadence, "hqt_broadcast_cadence_v2")
}

@_cdecl("hqt_wal_options_v2_init")
public func hqt_wal_options_v2_init(_ s: UnsafeMutablePointer<hqt_wal_options_v2>?, _ size: Int) -> Int32 {
    initSized(s, size, defaults: .defaults, firstSize: FirstLayoutSize.walOptions, "hqt_wal_options_v2")
}

// ---- the *_v2 entry points: read the sized struct, then the 0.1 path

func strategy(_ s: UnsafePointer<hqt_strategy_v2>?, _ body: (UnsafePointer<hqt_strategy>?) -> Int32) -> Int32 {
    withOldLayout(
        s, defaults: .defaults, firstSize: FirstLayoutSize.strategy, "hqt_strategy_v2", { $0.old }, body: body)
}

@_cdecl("hqt_engine_run_v2")
public func hqt_engine_run_v2(_ handle: OpaquePointer?, _ s: UnsafePointer<hqt_strategy_v2>?) -> Int32 {
    strategy(s) { hqt_engine_run(handle, $0) }
}

@_cdecl("hqt_engine_process_event_v2")
public func hqt_engine_process_event_v2(
    _ handle: OpaquePointer?, _ event: UnsafePointer<hqt_event>?,
    _ s: UnsafePointer<hqt_strategy_v2>?
) -> Int32 {
    strategy(s) { hqt_engine_process_event(handle, event, $0) }
}

@_cdecl("hqt_engine_flush_bars_v2")
public func hqt_engine_flush_bars_v2(_ handle: OpaquePointer?, _ s: UnsafePointer<hqt_strategy_v2>?) -> Int32 {
    strategy(s) { hqt_engine_flush_bars(handle, $0) }
}

@_cdecl("hqt_engine_run_resume_v2")
public func hqt_engine_run_resume_v2(
    _ handle: OpaquePointer?, _ s: UnsafePointer<hqt_strategy_v2>?,
    _ warmup: Int64
) -> Int32 {
    strategy(s) { hqt_engine_run_resume(handle, $0, warmup) }
}

@_cdecl("hqt_engine_add_symbol_v2")
public func hqt_engine_add_symbol_v2(
    _ handle: OpaquePointer?, _ spec: UnsafePointer<hqt_symbol_spec_v2>?,
    _ out: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    status { () throws(HQTError) in
        _ = try engine(handle)
        guard let spec else { throw invalid("spec is NULL") }
        let c = try readSized(spec, defaults: .defaults, firstSize: FirstLayoutSize.symbolSpec, "hqt_symbol_spec_v2")
        try addSymbol(handle, c, out)
    }
}

extension hqt_order_request_v2 {
    static var defaults: hqt_order_request_v2 {
        var d = hqt_order_request_v2()
        d.type_time = Int32(HQT_ORDER_TIME_AUTO)
        return d
    }
}

@_cdecl("hqt_order_request_v2_init")
public func hqt_order_request_v2_init(_ r: UnsafeMutablePointer<hqt_order_request_v2>?, _ size: Int) -> Int32 {
    initSized(r, size, defaults: .defaults, firstSize: FirstLayoutSize.orderRequest, "hqt_order_request_v2")
}

@_cdecl("hqt_engine_order_send_v2")
public func hqt_engine_order_send_v2(
    _ handle: OpaquePointer?, _ request: UnsafePointer<hqt_order_request_v2>?,
    _ out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        guard let request else { throw invalid("request is NULL") }
        let r = try readSized(
            request, defaults: .defaults, firstSize: FirstLayoutSize.orderRequest, "hqt_order_request_v2")
        let out = try output(out, "out_ticket")
        guard let type = OrderType(rawValue: r.type) else { throw invalid("order type must be 0...7, got \(r.type)") }
        var typeTime: OrderTypeTime? = nil
        if r.type_time != Int32(HQT_ORDER_TIME_AUTO) {
            guard let t = OrderTypeTime(rawValue: r.type_time) else {
                throw invalid("type_time must be an HQT_ORDER_TIME_* value (-1...3), got \(r.type_time)")
            }
            typeTime = t
        }
        guard let filling = OrderFilling(rawValue: r.filling) else {
            throw invalid("filling must be 0 (FOK), 1 (IOC) or 2 (RETURN), MT5's ORDER_FILLING_*, got \(r.filling)")
        }
        var o = OrderRequest(
            symbolID: r.symbol_id, type: type, volume: r.volume, price: r.price,
            stopLimit: r.stop_limit, sl: r.sl, tp: r.tp, expiration: r.expiration,
            trailingPoints: r.trailing_points, magic: r.magic)
        o.typeTime = typeTime
        o.filling = filling
        out.pointee = try e.send(o)
    }
}

@_cdecl("hqt_engine_symbol_spec")
public func hqt_engine_symbol_spec(
    _ handle: OpaquePointer?, _ id: UInt32, _ out: UnsafeMutablePointer<hqt_symbol_spec_v2>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        _ = try e.quote(of: id)  // the unknown-symbol error
        let raw = UnsafeMutableRawPointer(out)
        let size = raw.load(as: Int.self)
        guard size >= FirstLayoutSize.symbolSpec, size <= 4096 else {
            throw invalid(
                "out->struct_size is \(size), not the size of any hqt_symbol_spec_v2 layout: "
                    + "set it with hqt_symbol_spec_v2_init(&s, sizeof s)")
        }
        let s = e.symbols[Int(id)]
        var c = hqt_symbol_spec_v2.defaults
        c.struct_size = size
        c.contract_size = s.contractSize; c.digits = s.digits; c.margin_mode = s.marginMode.rawValue
        c.volume_min = s.volumeMin; c.volume_step = s.volumeStep; c.volume_max = s.volumeMax
        c.commission_per_lot = s.commissionPerLot; c.spread = s.spread
        c.calc_mode = s.calcMode.rawValue; c.margin_hedged_use_leg = s.marginHedgedUseLeg ? 1 : 0
        c.margin_rate = s.marginRate; c.margin_initial = s.marginInitial
        c.margin_maintenance = s.marginMaintenance; c.tick_size = s.tickSize; c.tick_value = s.tickValue
        c.margin_hedged = s.marginHedged ?? -1
        c.swap_mode = s.swapMode.rawValue; c.swap_rollover3days = s.swapRollover3days
        c.swap_long = s.swapLong; c.swap_short = s.swapShort
        c.commission_per_deal = s.commissionPerDeal; c.commission_percent = s.commissionPercent
        c.commission_entry = s.commissionEntry.rawValue; c.commission_currency = s.commissionCurrency.rawValue
        c.stops_level = s.stopsLevel; c.freeze_level = s.freezeLevel
        c.trade_sessions = nil; c.trade_session_count = s.tradeSessions.count
        c.volume_limit = s.volumeLimit
        c.quote_sessions = nil; c.quote_session_count = s.quoteSessions.count
        // Only the bytes the caller's struct has (an older header's is shorter).
        withUnsafeBytes(of: &c) { raw.copyMemory(from: $0.baseAddress!, byteCount: min(size, $0.count)) }
    }
}

/// The v2 options as Swift options: the 0.1 fields, then the appended ones.
func swiftOptions(_ pointer: UnsafePointer<hqt_broadcast_options_v2>?) throws(HQTError) -> BroadcastOptions {
    guard let pointer else { return BroadcastOptions() }
    let v2 = try readSized(
        pointer, defaults: .defaults, firstSize: FirstLayoutSize.broadcastOptions, "hqt_broadcast_options_v2")
    var o = try swiftOptions(v2.old)
    if let ep = v2.replay_endpoint { o.replayEndpoint = try text(ep, "options.replay_endpoint") }
    guard v2.replay_window >= 1 else {
        throw invalid("options.replay_window must be >= 1, got \(v2.replay_window)")
    }
    o.replayWindow = Int(v2.replay_window)
    return o
}

@_cdecl("hqt_broadcaster_create_v2")
public func hqt_broadcaster_create_v2(
    _ options: UnsafePointer<hqt_broadcast_options_v2>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    do throws(HQTError) {
        return createBroadcaster(try swiftOptions(options), out)
    } catch {
        return fail(error)
    }
}

@_cdecl("hqt_engine_enable_broadcasting_v2")
public func hqt_engine_enable_broadcasting_v2(
    _ handle: OpaquePointer?,
    _ options: UnsafePointer<hqt_broadcast_options_v2>?,
    _ cadence: UnsafePointer<hqt_broadcast_cadence_v2>?
) -> Int32 {
    let o: BroadcastOptions
    do throws(HQTError) { o = try swiftOptions(options) } catch { return fail(error) }
    return withOldLayout(
        cadence, defaults: .defaults, firstSize: FirstLayoutSize.broadcastCadence,
        "hqt_broadcast_cadence_v2", { $0.old },
        body: { c in enableBroadcasting(handle, o, c) })
}

@_cdecl("hqt_wal_open_v2")
public func hqt_wal_open_v2(
    _ path: UnsafePointer<CChar>?, _ options: UnsafePointer<hqt_wal_options_v2>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ report: UnsafeMutablePointer<hqt_wal_open_report>?
) -> Int32 {
    withOldLayout(
        options, defaults: .defaults, firstSize: FirstLayoutSize.walOptions, "hqt_wal_options_v2",
        { $0.old },
        body: { hqt_wal_open_ex(path, $0, out, report) })
}

@_cdecl("hqt_engine_enable_wal_v2")
public func hqt_engine_enable_wal_v2(
    _ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?,
    _ options: UnsafePointer<hqt_wal_options_v2>?, _ checkpointEvery: Int64,
    _ report: UnsafeMutablePointer<hqt_wal_open_report>?
) -> Int32 {
    withOldLayout(
        options, defaults: .defaults, firstSize: FirstLayoutSize.walOptions, "hqt_wal_options_v2",
        { $0.old },
        body: { hqt_engine_enable_wal(handle, path, $0, checkpointEvery, report) })
}
