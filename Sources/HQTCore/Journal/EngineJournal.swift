/// Where the engine writes ahead: every change (`LedgerOp`) is appended as
/// a record before it is applied, and checkpoints carry full snapshots.
/// `HQTWAL` provides the file-backed journal (`enableWAL`); the core knows
/// only this protocol, so it builds without zlib or any file layer.
public protocol EngineJournal: AnyObject {
    /// Where the journal lives (for messages).
    var path: String { get }
    /// Torn bytes and records cut from the tail when the journal was opened.
    var tornTail: (bytes: Int, records: Int) { get }
    /// Appends one record. `insideRun` lets the journal group records of a
    /// run into fewer writes (a crash then loses at most the group, which
    /// the deterministic run makes again after recovery).
    func append(type: UInt8, data: UnsafeRawBufferPointer, insideRun: Bool) throws(HQTError)
    /// Appends a CHECKPOINT carrying `snapshot`, durable before it returns.
    func checkpoint(snapshot: UnsafeRawBufferPointer) throws(HQTError)
    /// Every record in the journal, oldest first.
    func records() throws(HQTError) -> [JournalRecord]
    /// Drops everything before the last checkpoint.
    func compact() throws(HQTError)
    /// Makes everything appended durable and releases the journal.
    func close() throws(HQTError)
}

/// One record read back from a journal.
public struct JournalRecord: Sendable, Equatable {
    public var type: UInt8
    public var sequence: UInt64
    public var data: [UInt8]
    public init(type: UInt8, sequence: UInt64, data: [UInt8]) {
        self.type = type; self.sequence = sequence; self.data = data
    }
}
