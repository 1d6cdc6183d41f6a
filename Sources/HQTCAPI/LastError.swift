import CHQTABI
import HQT
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The message of the last failed call, per thread (hqt.h: "thread-local,
// valid until the next failing call on the same thread"). Each thread gets a
// fixed buffer on its first failure, freed by pthread when the thread exits;
// a fixed buffer keeps the pointer handed to C valid until the next failure.

private let lastErrorCapacity = 1024

private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

private func lastErrorBuffer() -> UnsafeMutablePointer<CChar>? {
    if let p = pthread_getspecific(lastErrorKey) {
        return p.assumingMemoryBound(to: CChar.self)
    }
    guard let p = calloc(lastErrorCapacity, 1) else { return nil }
    pthread_setspecific(lastErrorKey, p)
    return p.assumingMemoryBound(to: CChar.self)
}

/// Copies UTF-8 bytes into the thread's buffer, truncated on a character
/// boundary so C never sees a split sequence.
private func storeLastError(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let buffer = lastErrorBuffer() else { return }
    var n = min(bytes.count, lastErrorCapacity - 1)
    if n < bytes.count {
        while n > 0 && bytes[n] & 0xC0 == 0x80 { n -= 1 }  // back off continuation bytes
    }
    buffer.withMemoryRebound(to: UInt8.self, capacity: lastErrorCapacity) { dst in
        if n > 0 { dst.update(from: bytes.baseAddress!, count: n) }
        dst[n] = 0
    }
}

/// Records `e` as this thread's last error and returns its status code.
@discardableResult
func setLastError(_ e: HQTError) -> Int32 {
    var message = e.message
    message.withUTF8 { storeLastError($0) }
    return e.code.rawValue
}

/// Same for a constant message; no String work, for paths that may fail often
/// (a publish dropped under backpressure).
@discardableResult
func setLastError(_ code: HQTError.Code, _ message: StaticString) -> Int32 {
    message.withUTF8Buffer { storeLastError($0) }
    return code.rawValue
}

private let emptyMessage: StaticString = ""

@_cdecl("hqt_last_error")
public func hqt_last_error() -> UnsafePointer<CChar> {
    if let p = pthread_getspecific(lastErrorKey) {
        return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
    }
    return UnsafeRawPointer(emptyMessage.utf8Start).assumingMemoryBound(to: CChar.self)
}

private func statusName(_ status: Int32) -> StaticString {
    switch status {
    case 0: "HQT_OK"
    case 1: "HQT_E_INVALID_ARGUMENT"
    case 2: "HQT_E_UNKNOWN_SYMBOL"
    case 3: "HQT_E_UNKNOWN_TICKET"
    case 4: "HQT_E_INVALID_VOLUME"
    case 5: "HQT_E_INVALID_PRICE"
    case 6: "HQT_E_INVALID_STOPS"
    case 7: "HQT_E_NO_MONEY"
    case 8: "HQT_E_NO_PRICE"
    case 9: "HQT_E_CONVERSION"
    case 10: "HQT_E_DATA_ORDER"
    case 11: "HQT_E_BAD_DATA"
    case 12: "HQT_E_BUSY"
    case 13: "HQT_E_CALLBACK"
    case 14: "HQT_E_STATE"
    case 15: "HQT_E_IO"
    case 16: "HQT_E_BROADCAST"
    case 17: "HQT_E_WAL_CORRUPT"
    case 18: "HQT_E_WAL"
    case 99: "HQT_E_INTERNAL"
    default: "HQT_E_UNKNOWN_STATUS"
    }
}

@_cdecl("hqt_status_name")
public func hqt_status_name(_ status: Int32) -> UnsafePointer<CChar> {
    UnsafeRawPointer(statusName(status).utf8Start).assumingMemoryBound(to: CChar.self)
}
