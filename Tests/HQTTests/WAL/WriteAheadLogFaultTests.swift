import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// Failures of the file system underneath the log (through
/// `WALFaultInjector`), and the durability policies counted sync by sync.
@Suite struct WriteAheadLogFaultTests {
    let dir = TempDirectory()

    /// Opens a new log through `faults` and appends `count` one-byte records.
    func openLog(_ faults: WALFaultInjector, sync: WALSyncPolicy = .always, records count: Int = 3) throws -> (
        WriteAheadLog, String
    ) {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path, sync: sync, fileSystem: faults.fileSystem)
        try wal.open(truncate: true)
        for i in 0..<count { try wal.append(type: 1, bytes: [UInt8(i)]) }
        return (wal, path)
    }

    /// After a failure: the error is the expected one, the log still reads
    /// `kept` records, refuses appends, and on disk holds exactly those.
    func expectFailedButReadable(_ wal: WriteAheadLog, _ path: String, error: HQTError?, code: HQTError.Code, kept: Int)
        throws
    {
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.message.contains("refuses appends") == true)
        #expect(wal.failure != nil)
        #expect(try wal.readAll().map(\.sequence) == (0..<kept).map { UInt64($0 + 1) })
        let refused = thrownError { _ = try wal.append(type: 1, bytes: [0]) }
        #expect(refused?.code == .wal && refused?.message.contains("close and reopen") == true)
        #expect(thrownError { try wal.markCheckpoint(snapshot: []) }?.code == .wal)
        #expect(thrownError { try wal.truncateToCheckpoint() }?.code == .wal)
        try wal.close()
        #expect(try WriteAheadLog.verify(path: path).records == kept)
        let reopened = try WriteAheadLog(path: path)
        let report = try reopened.open(truncate: false)
        #expect(report.records == kept && report.tornBytesDropped == 0)
        #expect(try reopened.append(type: 1, bytes: [9]) == UInt64(kept + 1))
        try reopened.close()
    }

    @Test func failedWriteLeavesTheLogReadable() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults)
        let size = readBytes(path).count
        faults.fail(.write, at: faults.count(.write) + 1)
        let error = thrownError { _ = try wal.append(type: 2, bytes: [1, 2, 3]) }
        #expect(readBytes(path).count == size)
        try expectFailedButReadable(wal, path, error: error, code: .io, kept: 3)
    }

    @Test func failedSyncRollsTheRecordBack() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults)
        let size = readBytes(path).count
        faults.fail(.dataSync, at: faults.count(.dataSync) + 1)
        let error = thrownError { _ = try wal.append(type: 2, bytes: [1, 2, 3]) }
        #expect(error?.message.contains("fdatasync") == true)
        #expect(readBytes(path).count == size, "the unsynced record must be cut off")
        try expectFailedButReadable(wal, path, error: error, code: .wal, kept: 3)
    }

    @Test func shortWritesAreCompleted() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults)
        faults.shortWrite(at: faults.count(.write) + 1, bytes: 5)
        let payload = pattern(100, seed: 1)
        #expect(try wal.append(type: 3, bytes: payload) == 4)
        #expect(faults.count(.write) >= 5)  // 3 appends + header, then 2 calls for the short one
        try wal.close()
        #expect(try WriteAheadLog.read(path: path).records.last?.data == payload)
    }

    @Test func shortWriteThenFailureIsRolledBack() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults)
        let size = readBytes(path).count
        let n = faults.count(.write)
        faults.shortWrite(at: n + 1, bytes: 10)
        faults.fail(.write, at: n + 2, errno: ENOSPC)
        let error = thrownError { _ = try wal.append(type: 3, bytes: pattern(100, seed: 1)) }
        #expect(error?.message.contains("No space left on device") == true)
        #expect(readBytes(path).count == size, "the 10 bytes written must be removed")
        try expectFailedButReadable(wal, path, error: error, code: .io, kept: 3)
    }

    @Test func failedRollbackLeavesATornTailForTheNextOpen() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults)
        let size = readBytes(path).count
        let n = faults.count(.write)
        faults.shortWrite(at: n + 1, bytes: 10)
        faults.fail(.write, at: n + 2)
        faults.fail(.truncate, at: faults.count(.truncate) + 1)
        let error = thrownError { _ = try wal.append(type: 3, bytes: pattern(100, seed: 1)) }
        #expect(error?.code == .io)
        #expect(error?.message.contains("rolling the file back") == true)
        #expect(readBytes(path).count == size + 10)
        // This instance still reads only the good records.
        #expect(try wal.readAll().count == 3)
        try wal.close()
        let reopened = try WriteAheadLog(path: path)
        let report = try reopened.open(truncate: false)
        #expect(report.tornBytesDropped == 10 && report.tornRecordsDropped == 1 && report.records == 3)
    }

    @Test func failedCheckpointSyncKeepsThePreviousCheckpoint() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults, sync: .none)
        try wal.markCheckpoint(snapshot: [1])
        try wal.append(type: 1, bytes: [2])
        faults.fail(.dataSync, at: faults.count(.dataSync) + 1)
        let error = thrownError { try wal.markCheckpoint(snapshot: [2]) }
        #expect(error?.code == .wal)
        // Everything after the last successful sync is gone, the first checkpoint stays.
        #expect(try wal.lastCheckpoint()?.data == [1])
        #expect(try wal.readUncommitted().isEmpty)
        try expectFailedButReadable(wal, path, error: error, code: .wal, kept: 4)
    }

    // MARK: - Crash-safe replacement

    @Test func newLogIsWrittenAsideSyncedRenamedAndTheDirectorySynced() throws {
        let faults = WALFaultInjector()
        let path = dir.file()
        let wal = try WriteAheadLog(path: path, fileSystem: faults.fileSystem)
        try wal.open(truncate: true)
        let journal = faults.journal
        let create = try #require(journal.firstIndex(of: "open(\(path).tmp)"))
        let rename = try #require(journal.firstIndex(of: "rename(\(path).tmp -> \(path))"))
        let openDir = try #require(journal.firstIndex(of: "open(\(dir.path))"))
        let fileSync = try #require(journal[create...].firstIndex(of: "fullSync"))
        #expect(create < fileSync && fileSync < rename && rename < openDir)
        #expect(journal[openDir...].contains("fullSync"))
        #expect(!journal.contains { $0.hasPrefix("truncate") }, "a new log is never made by truncating in place")
    }

    @Test func failedReplacementLeavesTheOldLogAlone() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true)
        try wal.append(type: 1, bytes: [1, 2, 3])
        try wal.close()
        let before = readBytes(path)

        let faults = WALFaultInjector()
        faults.fail(.fullSync, at: 1)  // the new file's fsync
        let again = try WriteAheadLog(path: path, fileSystem: faults.fileSystem)
        #expect(thrownError { _ = try again.open(truncate: true) }?.code == .wal)
        #expect(readBytes(path) == before)
        #expect(!fileExists(path + ".tmp"))
        #expect(!again.isOpen)
        // The lock was released with the failure.
        #expect(try again.open(truncate: false).records == 1)
    }

    @Test func failedCompactionLeavesTheLogUsable() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults)
        try wal.markCheckpoint(snapshot: [7])
        try wal.append(type: 1, bytes: [8])
        let before = readBytes(path)
        faults.fail(.rename, at: faults.count(.rename) + 1)
        #expect(thrownError { try wal.truncateToCheckpoint() }?.code == .io)
        #expect(readBytes(path) == before)
        #expect(wal.failure == nil)
        #expect(try wal.readAll().count == 5)
        #expect(try wal.append(type: 1, bytes: [9]) == 6)
        try wal.truncateToCheckpoint()
        #expect(try wal.readAll().map(\.sequence) == [4, 5, 6])
    }

    // MARK: - Durability policies, counted

    /// fdatasync calls on the log itself (the directory and new files use fsync).
    func syncs(_ faults: WALFaultInjector) -> Int { faults.count(.dataSync) }

    @Test func alwaysSyncsEveryAppend() throws {
        let faults = WALFaultInjector()
        let (wal, _) = try openLog(faults, records: 0)
        let base = syncs(faults)
        for _ in 0..<7 { try wal.append(type: 1, bytes: [1]) }
        #expect(syncs(faults) == base + 7)
        try wal.close()
        #expect(syncs(faults) == base + 7)  // nothing left to sync
    }

    @Test func batchSyncsPerGroupAndAtCheckpointAndClose() throws {
        let faults = WALFaultInjector()
        let (wal, _) = try openLog(faults, sync: .batch(maxRecords: 10, maxDelayNanoseconds: 0), records: 0)
        let base = syncs(faults)
        for _ in 0..<25 { try wal.append(type: 1, bytes: [1]) }
        #expect(syncs(faults) == base + 2)  // after records 10 and 20
        try wal.markCheckpoint(snapshot: [1])
        #expect(syncs(faults) == base + 3)  // the checkpoint covers records 21-25 too
        try wal.sync()
        #expect(syncs(faults) == base + 3)  // nothing pending
        for _ in 0..<3 { try wal.append(type: 1, bytes: [1]) }
        #expect(syncs(faults) == base + 3)
        try wal.close()
        #expect(syncs(faults) == base + 4)
    }

    @Test func batchTimeBoundSyncsAnIdleWriter() throws {
        let faults = WALFaultInjector()
        let (wal, _) = try openLog(
            faults, sync: .batch(maxRecords: 1_000_000, maxDelayNanoseconds: 2_000_000), records: 0)
        let base = syncs(faults)
        try wal.append(type: 1, bytes: [1])
        // No further call: the background thread must sync within the bound.
        var waited = 0
        while syncs(faults) == base && waited < 2_000 {
            usleep(1_000)
            waited += 1
        }
        #expect(syncs(faults) == base + 1, "no sync within 2 s of a 2 ms bound")
        usleep(20_000)
        #expect(syncs(faults) == base + 1, "an idle log with nothing pending must not sync again")
        try wal.close()
        #expect(syncs(faults) == base + 1)
    }

    @Test func batchSyncFailureRollsBackToTheLastDurableRecord() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults, sync: .batch(maxRecords: 4, maxDelayNanoseconds: 0), records: 4)
        // Records 1-4 were synced as one group. The next group's sync fails.
        faults.fail(.dataSync, at: syncs(faults) + 1)
        for _ in 0..<3 { try wal.append(type: 1, bytes: [5]) }
        let error = thrownError { _ = try wal.append(type: 1, bytes: [8]) }
        #expect(error?.message.contains("group-commit fdatasync") == true)
        try expectFailedButReadable(wal, path, error: error, code: .wal, kept: 4)
    }

    @Test func backgroundSyncFailureIsReportedAtTheNextCall() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(
            faults, sync: .batch(maxRecords: 1_000, maxDelayNanoseconds: 1_000_000), records: 0)
        let base = syncs(faults)
        faults.fail(.dataSync, at: base + 1)
        try wal.append(type: 1, bytes: [1])
        var waited = 0
        while syncs(faults) == base && waited < 2_000 {  // the background attempt
            usleep(1_000)
            waited += 1
        }
        #expect(syncs(faults) == base + 1)
        let error = thrownError { _ = try wal.append(type: 1, bytes: [2]) }
        try expectFailedButReadable(wal, path, error: error, code: .wal, kept: 0)
    }

    @Test func noneSyncsOnlyAtCheckpointSyncAndClose() throws {
        let faults = WALFaultInjector()
        let (wal, path) = try openLog(faults, sync: .none, records: 0)
        let base = syncs(faults)
        for _ in 0..<100 { try wal.append(type: 1, bytes: [1]) }
        #expect(syncs(faults) == base)
        try wal.markCheckpoint(snapshot: [])
        #expect(syncs(faults) == base + 1)
        try wal.append(type: 1, bytes: [1])
        try wal.sync()
        #expect(syncs(faults) == base + 2)
        try wal.append(type: 1, bytes: [1])
        try wal.close()
        #expect(syncs(faults) == base + 3)
        #expect(try WriteAheadLog.verify(path: path).records == 103)
    }
}

/// Compaction and clear swap the file under the batch syncer's background
/// thread; run them against a busy flusher and check nothing is lost.
@Suite struct WriteAheadLogBatchConcurrencyTests {
    let dir = TempDirectory()

    @Test func compactionAndClearUnderABusyFlusher() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path, sync: .batch(maxRecords: 1_000_000, maxDelayNanoseconds: 50_000))
        try wal.open(truncate: true)
        var expected: [Content] = []
        for round in 0..<60 {
            for k in 0..<20 {
                let data = pattern(k * 3, seed: round)
                let seq = try wal.append(type: 1, bytes: data)
                expected.append(Content(type: 1, sequence: seq, data: data))
                if k % 7 == 0 { usleep(100) }  // let the flusher fire mid-round
            }
            let snapshot = pattern(16, seed: round)
            let cp = try wal.markCheckpoint(snapshot: snapshot)
            expected = [Content(type: WALRecordType.checkpoint, sequence: cp, data: snapshot)]
            if round % 10 == 9 {
                try wal.clear()
                expected = []
            } else {
                try wal.truncateToCheckpoint()
            }
            #expect(contents(try wal.readAll()) == expected, "round \(round)")
        }
        let tail = try wal.append(type: 2, bytes: [1])
        expected.append(Content(type: 2, sequence: tail, data: [1]))
        try wal.close()
        #expect(contents(try WriteAheadLog.read(path: path).records) == expected)
        #expect(tail == 60 * 21 + 1)
    }
}
