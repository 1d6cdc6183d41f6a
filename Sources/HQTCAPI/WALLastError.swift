#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The message of the last failed hqt_wal_* call, per thread, as C callers
// expect from sqlite3_errmsg / zmq_strerror: a pointer that stays valid until
// the next failure on the same thread. A pthread key rather than Swift
// thread-locals, so that each thread's buffer is freed when the thread exits.
// (To be merged into the global hqt_last_error by the engine's C layer.)

private let lastErrorCapacity = 1024

private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { buffer in free(buffer) }
    precondition(rc == 0, "pthread_key_create failed: \(rc)")
    return key
}()

private let emptyMessage: StaticString = ""

/// Stores `message` as this thread's last WAL error, truncated to the buffer
/// at a UTF-8 character boundary.
func setLastError(_ message: String) {
    var buffer = pthread_getspecific(lastErrorKey)
    if buffer == nil {
        guard let fresh = malloc(lastErrorCapacity) else { return }
        pthread_setspecific(lastErrorKey, fresh)
        buffer = fresh
    }
    let out = buffer!.assumingMemoryBound(to: UInt8.self)
    var utf8 = Array(message.utf8)
    if utf8.count >= lastErrorCapacity {
        var cut = lastErrorCapacity - 1
        while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }  // not inside a character
        utf8.removeSubrange(cut...)
    }
    for (i, byte) in utf8.enumerated() { out[i] = byte == 0 ? 0x3F : byte }
    out[utf8.count] = 0
}

@_cdecl("hqt_wal_last_error")
public func hqt_wal_last_error() -> UnsafePointer<CChar> {
    if let buffer = pthread_getspecific(lastErrorKey) {
        return UnsafePointer(buffer.assumingMemoryBound(to: CChar.self))
    }
    return UnsafeRawPointer(emptyMessage.utf8Start).assumingMemoryBound(to: CChar.self)
}
