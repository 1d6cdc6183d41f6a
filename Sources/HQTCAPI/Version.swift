import CHQTABI

/// Library version, as in abi/hqt_abi.toml [version] (python/tests/test_abi_table.py
/// checks both against the table); bump with every release that changes behaviour or ABI.
let hqtVersionString: StaticString = "0.2.0"
/// MAJOR * 1000000 + MINOR * 1000 + PATCH, as HQT_VERSION_NUMBER.
let hqtVersionNumber: Int32 = 2_000

@_cdecl("hqt_version")
public func hqt_version() -> UnsafePointer<CChar> {
    UnsafeRawPointer(hqtVersionString.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("hqt_version_number")
public func hqt_version_number() -> Int32 { hqtVersionNumber }
