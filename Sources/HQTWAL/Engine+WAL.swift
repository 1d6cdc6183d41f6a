import HQTCore

/// The engine's journal on a `WriteAheadLog` file: SPEC frames, CRC-32,
/// the sync policy, and grouped writes inside a run under batch/none.
final class WALJournal: EngineJournal {
    let log: WriteAheadLog
    let openReport: WALOpenReport
    /// Records grouped per write inside a run (1: write-through, `.always`).
    let groupLimit: Int

    init(log: WriteAheadLog, openReport: WALOpenReport, sync: WALSyncPolicy) {
        self.log = log
        self.openReport = openReport
        switch sync {
        case .always: groupLimit = 1
        case let .batch(maxRecords, _): groupLimit = max(maxRecords, 1)
        case .none: groupLimit = 256
        }
    }

    var path: String { log.path }
    var tornTail: (bytes: Int, records: Int) { (openReport.tornBytesDropped, openReport.tornRecordsDropped) }

    func append(type: UInt8, data: UnsafeRawBufferPointer, insideRun: Bool) throws(HQTError) {
        if groupLimit > 1 && insideRun {
            // Inside a run, under batch/none: records reach the file in
            // groups (one write, one sync per group under batch). A crash
            // loses at most the group; recovery then resumes from the last
            // written record and the deterministic run makes the same
            // operations again.
            _ = try log.appendGrouped(type: type, data: data)
            if log.groupedRecords >= groupLimit { try log.flushGroup() }
        } else {
            _ = try log.append(type: type, data: data)
        }
    }

    func checkpoint(snapshot: UnsafeRawBufferPointer) throws(HQTError) {
        _ = try log.markCheckpoint(snapshot: snapshot)
    }

    func records() throws(HQTError) -> [JournalRecord] {
        try log.readAll().map { JournalRecord(type: $0.type, sequence: $0.sequence, data: $0.data) }
    }

    func compact() throws(HQTError) { try log.truncateToCheckpoint() }

    func close() throws(HQTError) { try log.close() }
}

extension Engine {
    /// Opens (or creates) the log at `path` and journals into it. A fresh or
    /// truncated log starts with a checkpoint of the current state. A log
    /// that already holds records is left as it is and trading is refused
    /// until `recoverFromWAL()`.
    @discardableResult
    public func enableWAL(
        path: String, truncate: Bool = false, sync: WALSyncPolicy = .always,
        checkpointEvery: Int = 10_000,
        fileSystem: WALFileSystem = .posix
    ) throws(HQTError) -> WALOpenReport {
        try checkJournalCanAttach(checkpointEvery: checkpointEvery)
        let log = try WriteAheadLog(path: path, sync: sync, fileSystem: fileSystem)
        let report = try log.open(truncate: truncate, configFingerprint: configurationFingerprint)
        if let fp = report.header?.fingerprint, fp != configurationFingerprint {
            try? log.close()
            throw HQTError(
                .wal, "\(path) was written by an engine with a different configuration (account, levels or symbols)")
        }
        do {
            try attachJournal(
                WALJournal(log: log, openReport: report, sync: sync),
                hasRecords: report.records > 0, checkpointEvery: checkpointEvery)
        } catch {
            try? log.close()
            throw error
        }
        return report
    }
}
