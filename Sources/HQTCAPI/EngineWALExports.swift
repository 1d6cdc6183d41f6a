import CHQTABI
import HQTBroadcast
import HQTCore
import HQTWAL

// The engine's own write-ahead log: enable, recover, resume.

@_cdecl("hqt_engine_enable_wal")
public func hqt_engine_enable_wal(
    _ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?,
    _ options: UnsafePointer<hqt_wal_options>?, _ checkpointEvery: Int64,
    _ report: UnsafeMutablePointer<hqt_wal_open_report>?
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        let path = try string(path, "path")
        var o = hqt_wal_options()
        if let options { o = options.pointee } else { hqt_wal_options_init(&o) }
        let policy = try syncPolicy(o, "hqt_engine_enable_wal").get()
        guard checkpointEvery >= 0, checkpointEvery <= Int64(Int32.max) else {
            throw invalid("checkpoint_every must be 0 (default) or 1...2147483647")
        }
        let result = try e.enableWAL(
            path: path, truncate: o.truncate != 0, sync: policy,
            checkpointEvery: checkpointEvery == 0 ? 10_000 : Int(checkpointEvery))
        fill(report, result)
    }
}

@_cdecl("hqt_engine_disable_wal")
public func hqt_engine_disable_wal(_ handle: OpaquePointer?) -> Int32 {
    status { () throws(HQTError) in try engine(handle).disableWAL() }
}

@_cdecl("hqt_engine_is_wal_enabled")
public func hqt_engine_is_wal_enabled(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(HQTError) in try output(out, "out_enabled").pointee = try engine(handle).isWALEnabled ? 1 : 0 }
}

@_cdecl("hqt_engine_checkpoint")
public func hqt_engine_checkpoint(_ handle: OpaquePointer?) -> Int32 {
    status { () throws(HQTError) in try engine(handle).checkpoint() }
}

@_cdecl("hqt_engine_recover_from_wal")
public func hqt_engine_recover_from_wal(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<hqt_recovery_report>?)
    -> Int32
{
    hqt_engine_recover_from_wal_v2(handle, 0, out)
}

@_cdecl("hqt_engine_recover_from_wal_v2")
public func hqt_engine_recover_from_wal_v2(
    _ handle: OpaquePointer?, _ acceptChangedData: Int32, _ out: UnsafeMutablePointer<hqt_recovery_report>?
) -> Int32 {
    status { () throws(HQTError) in
        guard acceptChangedData == 0 || acceptChangedData == 1 else {
            throw invalid("accept_changed_data must be 0 or 1, got \(acceptChangedData)")
        }
        let r = try engine(handle).recoverFromWAL(acceptChangedData: acceptChangedData == 1)
        guard let out else { return }
        out.pointee = hqt_recovery_report(
            records_replayed: Int64(r.recordsReplayed), records_discarded: Int64(r.recordsDiscarded),
            checkpoint_sequence: r.checkpointSequence, events_processed: r.eventsProcessed,
            last_event_time: r.lastEventTime, torn_bytes_dropped: Int64(r.tornBytesDropped),
            torn_records_dropped: Int64(r.tornRecordsDropped), replayed_over_data: r.replayedOverData ? 1 : 0,
            reserved: 0)
    }
}

@_cdecl("hqt_engine_run_resume")
public func hqt_engine_run_resume(
    _ handle: OpaquePointer?, _ strategy: UnsafePointer<hqt_strategy>?,
    _ warmup: Int64
) -> Int32 {
    status { () throws(HQTError) in
        let e = try engine(handle)
        guard warmup >= 0, warmup <= Int64(Int32.max) else { throw invalid("warmup must be 0...2147483647") }
        try e.run(hooks(for: strategy, handle: handle!), resume: true, warmup: Int(warmup))
    }
}

@_cdecl("hqt_engine_warming_up")
public func hqt_engine_warming_up(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(HQTError) in try output(out, "out_warming_up").pointee = try engine(handle).warmingUp ? 1 : 0 }
}
