import HQTCore

/// When the log asks the kernel to put appended records on stable storage.
///
/// Whatever the policy, `append` hands each record to the kernel before it
/// returns, so a record survives the writing *process* being killed; the
/// policy decides which records survive the *machine* losing power.
public enum WALSyncPolicy: Sendable, Equatable {
    /// `fdatasync` before `append` returns: every acknowledged record is durable.
    case always
    /// Group commit: one `fdatasync` covers every record appended since the
    /// previous one, issued when `maxRecords` records are pending or the oldest
    /// pending record is `maxDelayNanoseconds` old (a background thread enforces
    /// the time bound while the writer is idle; 0 disables it). At most that
    /// many acknowledged records can be lost to a power failure. Checkpoints,
    /// `sync()`, compaction and `close()` always sync.
    case batch(maxRecords: Int, maxDelayNanoseconds: UInt64)
    /// No sync on append: the OS page cache decides. Checkpoints, `sync()`,
    /// compaction and `close()` still sync.
    case none

    /// A batch bound that keeps `batch` well above 20x the throughput of
    /// `always` on an ordinary disk while losing at most 10 ms of records.
    public static let defaultBatch = WALSyncPolicy.batch(maxRecords: 256, maxDelayNanoseconds: 10_000_000)
}

/// One record as read back from the log.
public struct WALRecord: Sendable, Equatable {
    /// Record type (see `WALRecordType`).
    public var type: UInt8
    /// The record's sequence number: consecutive across the log's life.
    public var sequence: UInt64
    /// The payload, without the sequence number.
    public var data: [UInt8]
    /// Offset of the record's frame in the file (changes when the log is compacted).
    public var offset: Int

    public init(type: UInt8, sequence: UInt64, data: [UInt8], offset: Int) {
        self.type = type
        self.sequence = sequence
        self.data = data
        self.offset = offset
    }
}

/// What opening (or verifying, or salvaging) a log found.
public struct WALOpenReport: Sendable, Equatable {
    /// Bytes cut off the end of the file: a torn tail, or for `salvage` everything
    /// from the first damage on. For `verify`: what `open` would cut.
    public var tornBytesDropped: Int
    /// Records (whole or partial frames) in those bytes.
    public var tornRecordsDropped: Int
    /// Valid records kept, not counting the HEADER record.
    public var records: Int
    /// File offset of the last CHECKPOINT record, if any.
    public var lastCheckpointOffset: Int?
    /// Sequence number of the last valid record (the HEADER's base sequence
    /// when there is none: 0 in a new log).
    public var lastSequence: UInt64
    /// Length of the valid prefix: the file's length once the tail is cut.
    public var validBytes: Int
    /// The file's HEADER record; nil only when the file held no valid record.
    public var header: WALHeader?

    public init(
        tornBytesDropped: Int = 0, tornRecordsDropped: Int = 0, records: Int = 0,
        lastCheckpointOffset: Int? = nil, lastSequence: UInt64 = 0, validBytes: Int = 0,
        header: WALHeader? = nil
    ) {
        self.tornBytesDropped = tornBytesDropped
        self.tornRecordsDropped = tornRecordsDropped
        self.records = records
        self.lastCheckpointOffset = lastCheckpointOffset
        self.lastSequence = lastSequence
        self.validBytes = validBytes
        self.header = header
    }
}

/// Everything `WriteAheadLog.read(path:)` found in a file.
public struct WALFileContents: Sendable {
    /// The same report `verify` gives.
    public var report: WALOpenReport
    /// The valid records after the HEADER, in file order.
    public var records: [WALRecord]
}
