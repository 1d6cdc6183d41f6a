import HQTBroadcast
import HQTCore
import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// Thread-local "last error" message, as errno/sqlite3_errmsg: each thread
/// sees the message of its own last failing call.
enum LastError {
    static let capacity = 1024

    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { buffer in free(buffer) }
        return key
    }()

    /// This thread's buffer (allocated on first use, freed at thread exit).
    static var buffer: UnsafeMutablePointer<CChar> {
        if let existing = pthread_getspecific(key) {
            return existing.assumingMemoryBound(to: CChar.self)
        }
        let fresh = calloc(capacity, 1)!.assumingMemoryBound(to: CChar.self)
        pthread_setspecific(key, fresh)
        return fresh
    }

    static func set(_ message: String) {
        let out = buffer
        var n = 0
        for byte in message.utf8 where n < capacity - 1 {
            out[n] = CChar(bitPattern: byte)
            n += 1
        }
        out[n] = 0
    }

    static func clear() { buffer[0] = 0 }
}

/// Records `error` as this thread's last error and returns its status code.
func fail(_ error: HQTError) -> Int32 {
    LastError.set(error.message)
    return error.code.rawValue
}

/// Runs `body`, turning a thrown HQTError into its status code.
@inline(__always)
func status(_ body: () throws(HQTError) -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch {
        return fail(error)
    }
}

func invalid(_ message: String) -> HQTError { HQTError(.invalidArgument, message) }

@_cdecl("hqt_last_error")
public func hqt_last_error() -> UnsafePointer<CChar> {
    UnsafePointer(LastError.buffer)
}

@_cdecl("hqt_status_name")
public func hqt_status_name(_ status: Int32) -> UnsafePointer<CChar> {
    let name: StaticString
    switch status {
    case 0: name = "HQT_OK"
    case 1: name = "HQT_E_INVALID_ARGUMENT"
    case 2: name = "HQT_E_UNKNOWN_SYMBOL"
    case 3: name = "HQT_E_UNKNOWN_TICKET"
    case 4: name = "HQT_E_INVALID_VOLUME"
    case 5: name = "HQT_E_INVALID_PRICE"
    case 6: name = "HQT_E_INVALID_STOPS"
    case 7: name = "HQT_E_NO_MONEY"
    case 8: name = "HQT_E_NO_PRICE"
    case 9: name = "HQT_E_CONVERSION"
    case 10: name = "HQT_E_DATA_ORDER"
    case 11: name = "HQT_E_BAD_DATA"
    case 12: name = "HQT_E_BUSY"
    case 13: name = "HQT_E_CALLBACK"
    case 14: name = "HQT_E_STATE"
    case 15: name = "HQT_E_IO"
    case 16: name = "HQT_E_BROADCAST"
    case 17: name = "HQT_E_WAL_CORRUPT"
    case 18: name = "HQT_E_WAL"
    case 19: name = "HQT_E_RANGE"
    case 20: name = "HQT_E_INTERRUPTED"
    case 21: name = "HQT_E_FROZEN"
    case 22: name = "HQT_E_MARKET_CLOSED"
    case 28: name = "HQT_E_LIMIT_VOLUME"
    case 99: name = "HQT_E_INTERNAL"
    default: name = "HQT_E_UNKNOWN_STATUS"
    }
    return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Records `error` as this thread's last error; returns its status code.
@discardableResult
func setLastError(_ error: HQTError) -> Int32 { fail(error) }

@discardableResult
func setLastError(_ code: HQTError.Code, _ message: String) -> Int32 { fail(HQTError(code, message)) }
