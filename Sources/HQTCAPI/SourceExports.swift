import CHQTABI
import HQTCore

// A run that pulls its data window by window (Engine.run(source:)).

@_cdecl("hqt_engine_run_source")
public func hqt_engine_run_source(
    _ handle: OpaquePointer?, _ s: UnsafePointer<hqt_strategy_v2>?,
    _ source: hqt_data_source_fn?, _ sourceUserData: UnsafeMutableRawPointer?
) -> Int32 {
    strategy(s) { (old: UnsafePointer<hqt_strategy>?) -> Int32 in
        status { () throws(HQTError) in
            let e = try engine(handle)
            guard let source else { throw invalid("source is NULL") }
            try e.run(
                hooks(for: old, handle: handle!),
                source: { (_: Engine) throws(HQTError) -> Bool in
                    var more: Int32 = 0
                    let rc = source(handle, &more, sourceUserData)
                    if rc != 0 { throw HQTError(.callback, "data source returned \(rc): run stopped") }
                    return more != 0
                })
        }
    }
}
