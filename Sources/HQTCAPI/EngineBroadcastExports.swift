import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// The engine's own broadcaster: enable, disable, counters.

@_cdecl("hqt_broadcast_cadence_init")
public func hqt_broadcast_cadence_init(_ cadence: UnsafeMutablePointer<hqt_broadcast_cadence>?) {
    guard let cadence else { return }
    cadence.pointee = hqt_broadcast_cadence(on_bar_close: 1, on_deal: 1, every_ticks: 0)
}

@_cdecl("hqt_engine_enable_broadcasting")
public func hqt_engine_enable_broadcasting(
    _ handle: OpaquePointer?, _ options: UnsafePointer<hqt_broadcast_options>?,
    _ cadence: UnsafePointer<hqt_broadcast_cadence>?
) -> Int32 {
    let o: BroadcastOptions
    do throws(HQTError) {
        o = try options.map { p throws(HQTError) in try swiftOptions(p.pointee) } ?? BroadcastOptions()
    } catch {
        return setLastError(error)
    }
    return enableBroadcasting(handle, o, cadence)
}

/// hqt_engine_enable_broadcasting and its v2 after reading their options.
func enableBroadcasting(
    _ handle: OpaquePointer?, _ o: BroadcastOptions, _ cadence: UnsafePointer<hqt_broadcast_cadence>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        var c = BroadcastCadence()
        if let raw = cadence?.pointee {
            guard raw.every_ticks >= 0, raw.every_ticks <= Int64(Int32.max) else {
                throw invalid("cadence.every_ticks must be 0...2147483647")
            }
            c = BroadcastCadence(
                onBarClose: raw.on_bar_close != 0, onDeal: raw.on_deal != 0,
                everyTicks: Int(raw.every_ticks))
        }
        try e.enableBroadcasting(o, cadence: c)
    }
}

@_cdecl("hqt_engine_disable_broadcasting")
public func hqt_engine_disable_broadcasting(_ handle: OpaquePointer?) -> Int32 {
    status { () throws(HQTError) in try engine(handle).disableBroadcasting() }
}

@_cdecl("hqt_engine_is_broadcasting")
public func hqt_engine_is_broadcasting(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(HQTError) in
        try output(out, "out_broadcasting").pointee = try engine(handle).isBroadcasting ? 1 : 0
    }
}

@_cdecl("hqt_engine_broadcast_stats")
public func hqt_engine_broadcast_stats(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_broadcast_stats>?)
    -> Int32
{
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        out.pointee = e.broadcastStats.map(cStats) ?? hqt_broadcast_stats()
    }
}

@_cdecl("hqt_engine_replay_endpoint")
public func hqt_engine_replay_endpoint(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<CChar>?, _ capacity: Int
) -> Int32 {
    let e: Engine
    do throws(HQTError) { e = try engine(handle) } catch { return setLastError(error) }
    guard let endpoint = e.replayEndpoint else {
        return setLastError(
            .state, "no replay endpoint: not broadcasting, or enabled without replay_endpoint")
    }
    return copyCString(endpoint, out, capacity)
}

@_cdecl("hqt_engine_broadcast_run_id")
public func hqt_engine_broadcast_run_id(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UInt64>?) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        guard let id = e.broadcastRunID else { throw HQTError(.state, "the engine is not broadcasting") }
        try output(out, "out_run_id").pointee = id
    }
}

@_cdecl("hqt_engine_broadcast_endpoint")
public func hqt_engine_broadcast_endpoint(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<CChar>?,
    _ capacity: Int
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let out = try output(out, "out")
        guard let endpoint = e.broadcastEndpoint else { throw HQTError(.state, "the engine is not broadcasting") }
        let bytes = Array(endpoint.utf8)
        guard bytes.count < capacity else {
            throw invalid("capacity \(capacity) too small: the endpoint needs \(bytes.count + 1) bytes")
        }
        for (i, b) in bytes.enumerated() { out[i] = CChar(bitPattern: b) }
        out[bytes.count] = 0
    }
}
