import CHQTABI

/// Library version; bump with every release that changes behaviour or ABI.
let hqtVersionString: StaticString = "0.1.0"

@_cdecl("hqt_version")
public func hqt_version() -> UnsafePointer<CChar> {
    UnsafeRawPointer(hqtVersionString.utf8Start).assumingMemoryBound(to: CChar.self)
}
