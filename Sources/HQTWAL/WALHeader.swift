import HQTCore

/// The HEADER record (type 8): the first record of every file HQT writes.
///
/// It makes a file recognisable as an HQT log (a file whose first record is
/// anything else is refused, so that opening the wrong file never "repairs" it
/// away), carries the format version, and binds the log to an engine
/// configuration through an optional fingerprint. Its sequence number is the
/// *base*: the next record's sequence number minus one (0 in a new log; the
/// checkpoint's number minus one in a compacted one).
///
/// Payload, little-endian:
/// ```
/// offset size field
///      0    4 format_version   1
///      4    4 flags            bit 0: fingerprint present; other bits 0
///      8    8 fingerprint      0 when absent
/// ```
/// Readers ignore bytes after these 16 so a later version can add fields.
public struct WALHeader: Sendable, Equatable {
    /// The format version this build writes and the newest it reads.
    public static let currentFormatVersion: UInt32 = 1
    static let payloadSize = 16
    static let flagHasFingerprint: UInt32 = 1

    /// Layout version of frames and of this header.
    public var formatVersion: UInt32
    /// The writer's configuration fingerprint, if it gave one.
    public var fingerprint: UInt64?
    /// The HEADER record's own sequence number: the first record after it is `baseSequence + 1`.
    public var baseSequence: UInt64

    public init(
        formatVersion: UInt32 = WALHeader.currentFormatVersion, fingerprint: UInt64?,
        baseSequence: UInt64
    ) {
        self.formatVersion = formatVersion
        self.fingerprint = fingerprint
        self.baseSequence = baseSequence
    }

    /// The 16-byte payload.
    var payload: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: WALHeader.payloadSize)
        bytes.withUnsafeMutableBytes { p in
            p.storeBytes(of: formatVersion.littleEndian, toByteOffset: 0, as: UInt32.self)
            let flags: UInt32 = fingerprint == nil ? 0 : WALHeader.flagHasFingerprint
            p.storeBytes(of: flags.littleEndian, toByteOffset: 4, as: UInt32.self)
            p.storeBytes(of: (fingerprint ?? 0).littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        return bytes
    }

    /// Decodes a HEADER payload; the error says why a file is not usable.
    static func decode(payload: UnsafeRawBufferPointer, sequence: UInt64, path: String)
        throws(HQTError) -> WALHeader
    {
        guard payload.count >= payloadSize else {
            throw HQTError(
                .wal,
                "'\(path)' is not an HQT write-ahead log: its HEADER record has "
                    + "\(payload.count) payload bytes, expected at least \(payloadSize)")
        }
        let version = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let flags = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let fingerprint = UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard version >= 1, version <= currentFormatVersion else {
            throw HQTError(
                .wal,
                "'\(path)' uses WAL format version \(version); this build of HQT "
                    + "reads version \(currentFormatVersion) (written by a newer HQT?)")
        }
        return WALHeader(
            formatVersion: version,
            fingerprint: flags & flagHasFingerprint != 0 ? fingerprint : nil,
            baseSequence: sequence)
    }
}
