import CZlib
import HQTCore

/// The record frame fixed by SPEC section 3, and the constants around it.
///
/// ```
/// offset  size  field
///      0     4  magic   0x48515457, little-endian (bytes 57 54 51 48, "WTQH")
///      4     1  type
///      5     4  length  bytes of data that follow the header
///      9     4  crc32   zlib CRC-32 of bytes 4..<9 followed by the data
///     13     n  data    sequence number (u64 LE) + payload
/// ```
///
/// Every record HQT writes starts its data with an 8-byte sequence number, so
/// `length` is at least 8. See docs/wal.md for the full rules.
public enum WALFrame {
    /// The frame's first four bytes, read as a little-endian `UInt32`.
    public static let magic: UInt32 = 0x4851_5457
    /// Size of the fixed frame header: magic, type, length, crc32.
    public static let headerSize = 13
    /// Size of the sequence number at the start of every record's data.
    public static let sequenceSize = 8
    /// Largest `length` accepted, data including the sequence number (256 MiB).
    /// Anything larger is treated as damage: it bounds what garbage can make
    /// the reader believe, and no engine record comes close.
    public static let maxDataLength = 256 << 20
    /// Largest payload one record can carry.
    public static let maxPayload = maxDataLength - sequenceSize
    /// Header plus sequence number: the fixed overhead of one record.
    public static let overhead = headerSize + sequenceSize

    /// The magic as it appears on disk, byte by byte.
    static let magicBytes: (UInt8, UInt8, UInt8, UInt8) = (0x57, 0x54, 0x51, 0x48)

    @inline(__always)
    static func magicByte(_ i: Int) -> UInt8 {
        switch i {
        case 0: return magicBytes.0
        case 1: return magicBytes.1
        case 2: return magicBytes.2
        default: return magicBytes.3
        }
    }

    /// Writes magic, type, length and sequence into `p` (21 bytes); the CRC is
    /// filled in by `sealHeader` once the payload is known.
    @inline(__always)
    static func encodePrefix(
        into p: UnsafeMutableRawPointer, type: UInt8, dataLength: UInt32,
        sequence: UInt64
    ) {
        p.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: type, toByteOffset: 4, as: UInt8.self)
        p.storeBytes(of: dataLength.littleEndian, toByteOffset: 5, as: UInt32.self)
        p.storeBytes(of: sequence.littleEndian, toByteOffset: headerSize, as: UInt64.self)
    }

    /// Computes the CRC over type, length, sequence and `payload`, and stores it
    /// in the header at `p` (which `encodePrefix` filled).
    @inline(__always)
    static func sealHeader(_ p: UnsafeMutableRawPointer, payload: UnsafeRawBufferPointer) {
        var crc = CRC32.update(0, UnsafeRawPointer(p) + 4, 5)
        crc = CRC32.update(crc, UnsafeRawPointer(p) + headerSize, sequenceSize)
        if let base = payload.baseAddress, payload.count > 0 {
            crc = CRC32.update(crc, base, payload.count)
        }
        p.storeBytes(of: crc.littleEndian, toByteOffset: 9, as: UInt32.self)
    }
}

extension WALFrame {
    /// `sealHeader` for a frame whose data (sequence and payload) already
    /// follows the header in memory: one CRC call less per small record.
    @inline(__always)
    static func sealHeader(_ p: UnsafeMutableRawPointer, contiguousDataLength: Int) {
        var crc = CRC32.update(0, UnsafeRawPointer(p) + 4, 5)
        crc = CRC32.update(crc, UnsafeRawPointer(p) + headerSize, contiguousDataLength)
        p.storeBytes(of: crc.littleEndian, toByteOffset: 9, as: UInt32.self)
    }
}

/// zlib's CRC-32 (the IEEE polynomial, as SPEC requires), fed incrementally.
enum CRC32 {
    @inline(__always)
    static func update(_ crc: UInt32, _ p: UnsafeRawPointer, _ count: Int) -> UInt32 {
        // crc32_z takes a size_t length, so a 256 MiB record needs no chunking.
        UInt32(truncatingIfNeeded: crc32_z(UInt(crc), p.assumingMemoryBound(to: UInt8.self), count))
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        return update(0, base, bytes.count)
    }
}

/// Record type numbers. SPEC section 3 fixes 1–7; numbers are never reused and
/// new types take new numbers.
public enum WALRecordType {
    public static let positionOpen: UInt8 = 1
    public static let positionClose: UInt8 = 2
    public static let positionModify: UInt8 = 3
    public static let orderPlace: UInt8 = 4
    public static let orderCancel: UInt8 = 5
    public static let balanceChange: UInt8 = 6
    /// Written by `WriteAheadLog.markCheckpoint(snapshot:)`; carries a snapshot.
    public static let checkpoint: UInt8 = 7
    /// File identity: the first record of every file HQT writes (see `WALHeader`).
    public static let header: UInt8 = 8

    /// Whether `append` accepts this type: 0 is never valid (a zero-filled
    /// tail must not parse as a record), CHECKPOINT goes through
    /// `markCheckpoint` so that it is always synced, HEADER is the library's.
    @inline(__always)
    public static func isAppendable(_ type: UInt8) -> Bool {
        type != 0 && type != checkpoint && type != header
    }

    /// A short name for messages and tools.
    public static func name(_ type: UInt8) -> String {
        switch type {
        case 1: return "POSITION_OPEN"
        case 2: return "POSITION_CLOSE"
        case 3: return "POSITION_MODIFY"
        case 4: return "ORDER_PLACE"
        case 5: return "ORDER_CANCEL"
        case 6: return "BALANCE_CHANGE"
        case 7: return "CHECKPOINT"
        case 8: return "HEADER"
        default: return "TYPE_\(type)"
        }
    }
}
