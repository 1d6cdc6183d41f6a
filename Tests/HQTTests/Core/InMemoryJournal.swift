@testable import HQTCore

/// An `EngineJournal` in memory: the core's journal protocol exercised
/// without the WAL file layer (HQTCore alone, as a Swift user may embed it).
final class InMemoryJournal: EngineJournal {
    var stored: [JournalRecord] = []
    private var sequence: UInt64 = 0
    var path: String { "memory" }
    var tornTail: (bytes: Int, records: Int) { (0, 0) }

    func append(type: UInt8, data: UnsafeRawBufferPointer, insideRun: Bool) throws(HQTError) {
        sequence += 1
        stored.append(JournalRecord(type: type, sequence: sequence, data: Array(data)))
    }

    func checkpoint(snapshot: UnsafeRawBufferPointer) throws(HQTError) {
        try append(type: LedgerRecordType.checkpoint.rawValue, data: snapshot, insideRun: false)
    }

    func records() throws(HQTError) -> [JournalRecord] { stored }

    func compact() throws(HQTError) {
        if let last = stored.lastIndex(where: { $0.type == LedgerRecordType.checkpoint.rawValue }) {
            stored.removeSubrange(..<last)
        }
    }

    func close() throws(HQTError) {}
}
