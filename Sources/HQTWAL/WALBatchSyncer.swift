import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Group commit for `WALSyncPolicy.batch`.
///
/// The writer hands each record to the kernel itself and only tells the
/// syncer how far the file now goes. One `fdatasync` then covers everything
/// written before it started; it is issued by the writer when `maxRecords`
/// records are pending, or by a background thread once the oldest pending
/// record is `maxDelay` old — so the bound holds even when the writer goes
/// idle. The thread syncs without holding the mutex, so appends proceed while
/// a sync is in flight.
///
/// A failed sync is remembered; the writer picks it up at its next call,
/// rolls the file back to `durableEnd` and refuses appends.
final class WALBatchSyncer: @unchecked Sendable {
    // Everything below `mutex` is guarded by it (hence @unchecked Sendable).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private var fd: Int32
    private var writtenEnd: Int
    private var syncedEnd: Int
    private var pending = 0
    private var oldestPendingNs: UInt64 = 0
    private var inFlight = false
    private var failedErrno: Int32?
    private var stopping = false
    /// A group reached the count bound: the background thread syncs it
    /// (grouped appends only; single appends sync inline).
    private var syncRequested = false
    private var thread: pthread_t?

    let maxRecords: Int
    let maxDelayNs: UInt64
    let fs: WALFileSystem

    init(fd: Int32, end: Int, maxRecords: Int, maxDelayNs: UInt64, fs: WALFileSystem) {
        self.fd = fd
        writtenEnd = end
        syncedEnd = end
        self.maxRecords = max(1, maxRecords)
        self.maxDelayNs = maxDelayNs
        self.fs = fs
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        cond = .allocate(capacity: 1)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Starts the background thread that enforces the time bound.
    func start() throws(HQTError) {
        guard maxDelayNs > 0, thread == nil else { return }
        var tid = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &tid, nil,
            { context in
                let syncer = Unmanaged<WALBatchSyncer>.fromOpaque(context!).takeRetainedValue()
                syncer.runFlusher()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<WALBatchSyncer>.fromOpaque(context).release()
            throw HQTError(.wal, "cannot start the WAL batch sync thread: \(errnoDescription(rc))")
        }
        thread = tid
    }

    /// Stops and joins the background thread (waiting for a sync in flight).
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
        if let t = thread {
            pthread_join(t, nil)
            thread = nil
        }
    }

    /// The writer wrote a record ending at `end`. Returns the errno of a failed
    /// sync (this one's or an earlier background one's), or nil.
    @inline(__always)
    func recordWritten(end: Int) -> Int32? { recordsWritten(end: end, count: 1) }

    /// The writer wrote `count` records in one go, ending at `end`. With
    /// `inline` false and a background thread running, a sync the count
    /// bound makes due is handed to that thread, so the writer goes on while
    /// the disk works (records written meanwhile wait for the next sync).
    func recordsWritten(end: Int, count: Int, inline: Bool = true) -> Int32? {
        pthread_mutex_lock(mutex)
        writtenEnd = end
        if pending == 0 {
            oldestPendingNs = monotonicNanoseconds()
            pthread_cond_signal(cond)
        }
        pending += count
        let due = pending >= maxRecords
        let failed = failedErrno
        if due && !inline && thread != nil {
            syncRequested = true
            pthread_cond_signal(cond)
            pthread_mutex_unlock(mutex)
            return failed
        }
        pthread_mutex_unlock(mutex)
        if let failed { return failed }
        return due ? syncNow() : nil
    }

    /// Makes everything written so far durable; returns the errno of a failure.
    func syncNow() -> Int32? {
        pthread_mutex_lock(mutex)
        while inFlight { pthread_cond_wait(cond, mutex) }
        if let failed = failedErrno {
            pthread_mutex_unlock(mutex)
            return failed
        }
        if syncedEnd >= writtenEnd {
            pending = 0
            pthread_mutex_unlock(mutex)
            return nil
        }
        let result = syncLocked()
        pthread_mutex_unlock(mutex)
        return result
    }

    /// Issues one sync with the mutex released; called and returns with it held.
    private func syncLocked() -> Int32? {
        let target = writtenEnd
        let fd = self.fd
        pending = 0
        inFlight = true
        pthread_mutex_unlock(mutex)
        let rc = fs.fdatasync(fd)
        let e = rc == 0 ? 0 : (errno == 0 ? EIO : errno)
        pthread_mutex_lock(mutex)
        inFlight = false
        if rc == 0 {
            syncedEnd = max(syncedEnd, target)
        } else if failedErrno == nil {
            failedErrno = e
        }
        pthread_cond_broadcast(cond)
        return failedErrno
    }

    /// End of the data known to be on stable storage.
    var durableEnd: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return syncedEnd
    }

    /// The writer switched to a new, fully synced file (compaction, clear, or
    /// a rollback): waits out a sync in flight on the old descriptor first.
    func reset(fd: Int32, end: Int, durable: Int) {
        pthread_mutex_lock(mutex)
        while inFlight { pthread_cond_wait(cond, mutex) }
        self.fd = fd
        writtenEnd = end
        syncedEnd = durable
        pending = 0
        pthread_mutex_unlock(mutex)
    }

    private func runFlusher() {
        pthread_mutex_lock(mutex)
        while !stopping {
            if failedErrno != nil || pending == 0 || inFlight {
                pthread_cond_wait(cond, mutex)
                continue
            }
            if syncRequested {
                syncRequested = false
                _ = syncLocked()
                continue
            }
            let deadline = oldestPendingNs &+ maxDelayNs
            if monotonicNanoseconds() < deadline {
                var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                _ = pthread_cond_timedwait(cond, mutex, &ts)
                continue
            }
            _ = syncLocked()
        }
        pthread_mutex_unlock(mutex)
    }
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
