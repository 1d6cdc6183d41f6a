import HQTCore

/// A record seen by a scan: the payload points into the reader's buffer and
/// is valid only during the visit.
struct WALRecordView {
    var type: UInt8
    var sequence: UInt64
    var offset: Int
    var payload: UnsafeRawBufferPointer

    func copy() -> WALRecord {
        WALRecord(type: type, sequence: sequence, data: Array(payload), offset: offset)
    }
}

/// Where and why the valid prefix of a file ends.
struct WALDamage {
    /// Offset of the first byte that is not part of the valid prefix.
    var offset: Int
    var reason: String
    /// A record of this log that follows the damage: its presence is what
    /// makes the damage corruption rather than a torn tail.
    var evidence: (offset: Int, sequence: UInt64, why: String)?
    /// Nothing at offset 0 looks like a frame: not a log at all.
    var notALog: Bool
}

/// The outcome of walking a file from its start (or from a checkpoint).
struct WALScanResult {
    var header: WALHeader?
    var records = 0
    var validEnd = 0
    var end = 0
    var lastSequence: UInt64 = 0
    var lastCheckpoint: (offset: Int, sequence: UInt64)?
    var damage: WALDamage?
    /// The visitor asked to stop: nothing after `validEnd` was examined.
    var stoppedEarly = false
}

/// A window over a file, refilled from disk as the reader moves on: records
/// of any size are read without loading the whole file, and a garbage length
/// can never make it allocate more than the file actually holds.
final class WALReadWindow {
    static let chunk = 1 << 20
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var count = 0
    let io: WALFileIO
    let fd: Int32
    let end: Int

    init(io: WALFileIO, fd: Int32, end: Int) {
        self.io = io
        self.fd = fd
        self.end = end
        capacity = max(64, min(WALReadWindow.chunk, end))
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// `n` bytes at `offset`, which the caller has checked lie before `end`.
    /// Valid until the next call.
    func bytes(at offset: Int, count n: Int) throws(HQTError) -> UnsafeRawBufferPointer {
        precondition(offset >= 0 && n >= 0 && offset + n <= end)
        if offset >= start && offset + n <= start + count {
            return UnsafeRawBufferPointer(start: buffer + (offset - start), count: n)
        }
        let want = max(n, min(WALReadWindow.chunk, end - offset))
        if want > capacity {
            buffer.deallocate()
            capacity = want
            buffer = .allocate(byteCount: capacity, alignment: 16)
        }
        count = 0
        try io.readFully(fd, buffer, want, at: offset)
        start = offset
        count = want
        return UnsafeRawBufferPointer(start: buffer, count: n)
    }
}

/// Walks the frames of a log and classifies whatever ends its valid prefix:
/// a torn tail (nothing of this log follows: cut it) or corruption (a valid
/// later record proves damage in the middle: refuse). docs/wal.md states the
/// rules; python/hqt/wal.py implements the same ones independently.
struct WALScanner {
    /// The result of checking the frame at one offset.
    enum Frame {
        /// Magic, length, bounds and CRC are right: the bytes are exactly
        /// what some writer wrote. `sequence` is nil when length < 8.
        case intact(type: UInt8, length: Int, sequence: UInt64?)
        /// Not a complete, checksummed frame. `magicPrefix`: the bytes there
        /// start like a frame (used to count torn records and to tell a
        /// non-log file from a damaged log).
        case broken(reason: String, magicPrefix: Bool)
    }

    let window: WALReadWindow
    var path: String { window.io.path }
    var end: Int { window.end }
    /// CRC work allowed to the search for records after damage, so that
    /// adversarial garbage (magic everywhere, huge lengths) cannot make a scan
    /// quadratic. Exhausting it counts as finding a record: never cut data
    /// that was not proven to be a tail.
    private var searchBudget: Int

    init(window: WALReadWindow) {
        self.window = window
        searchBudget = 4 * window.end + (64 << 20)
    }

    /// Checks the frame at `p` (streaming the CRC: no allocation beyond the window).
    func examine(_ p: Int) throws(HQTError) -> Frame {
        let available = end - p
        if available < WALFrame.headerSize {
            let prefix = try magicPrefix(at: p, count: min(available, 4))
            return .broken(
                reason: "partial record header (\(available) bytes before the end of the file)",
                magicPrefix: prefix)
        }
        let h = try window.bytes(at: p, count: WALFrame.headerSize)
        let magic = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let type = h[4]
        let length = Int(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 5, as: UInt32.self)))
        let stored = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 9, as: UInt32.self))
        guard magic == WALFrame.magic else {
            return .broken(reason: "bad magic 0x\(hex(magic)) (expected 0x\(hex(WALFrame.magic)))", magicPrefix: false)
        }
        guard length <= WALFrame.maxDataLength else {
            return .broken(
                reason: "impossible record length \(length) (limit \(WALFrame.maxDataLength))", magicPrefix: true)
        }
        guard length <= available - WALFrame.headerSize else {
            return .broken(
                reason: "record length \(length) runs past the end of the file "
                    + "(\(available - WALFrame.headerSize) bytes follow the header)", magicPrefix: true)
        }
        var crc = CRC32.update(0, h.baseAddress! + 4, 5)
        var at = p + WALFrame.headerSize
        let stop = at + length
        var sequence: UInt64?
        while at < stop {
            let n = min(WALReadWindow.chunk, stop - at)
            let d = try window.bytes(at: at, count: n)
            if at == p + WALFrame.headerSize && n >= WALFrame.sequenceSize {
                sequence = UInt64(littleEndian: d.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            }
            crc = CRC32.update(crc, d.baseAddress!, n)
            at += n
        }
        guard crc == stored else {
            return .broken(
                reason: "checksum mismatch (stored 0x\(hex(stored)), computed 0x\(hex(crc)))", magicPrefix: true)
        }
        return .intact(type: type, length: length, sequence: sequence)
    }

    private func magicPrefix(at p: Int, count: Int) throws(HQTError) -> Bool {
        if count <= 0 { return true }
        let b = try window.bytes(at: p, count: count)
        for i in 0..<count where b[i] != WALFrame.magicByte(i) { return false }
        return true
    }

    /// First offset ≥ `from` where the four magic bytes start.
    private func findMagic(from: Int) throws(HQTError) -> Int? {
        var q = from
        while q + 4 <= end {
            let n = min(WALReadWindow.chunk, end - q)
            let b = try window.bytes(at: q, count: n)
            var i = 0
            while i + 4 <= n {
                if b[i] == 0x57 && b[i + 1] == 0x54 && b[i + 2] == 0x51 && b[i + 3] == 0x48 { return q + i }
                i += 1
            }
            q += n - 3
        }
        return nil
    }

    /// Walks the file. With `start == 0` the first record must be the HEADER;
    /// otherwise `start` must be a record boundary and `expecting` its
    /// sequence number. With `delivering`, `visit` sees every valid record
    /// after the HEADER and may return false to stop.
    mutating func scan(
        from start: Int = 0, expecting: UInt64? = nil, delivering: Bool = false,
        visit: (WALRecordView) throws(HQTError) -> Bool = { _ in true }
    ) throws(HQTError) -> WALScanResult {
        var result = WALScanResult()
        result.end = end
        result.validEnd = start
        var p = start
        var expected = expecting
        if let e = expecting { result.lastSequence = e &- 1 }
        var lastGood: UInt64? = expecting.map { $0 &- 1 }
        while p < end {
            let frame = try examine(p)
            guard case let .intact(type, length, sequence) = frame else {
                if case let .broken(reason, magicPrefix) = frame {
                    result.damage = try classify(at: p, reason: reason, magicPrefix: magicPrefix, lastGood: lastGood)
                }
                break
            }
            guard let expectedSequence = expected else {
                // The first record of the file: its identity.
                guard type == WALRecordType.header, let sequence else {
                    throw HQTError(
                        .wal,
                        "'\(path)' is not an HQT write-ahead log: its first record is "
                            + "\(WALRecordType.name(type)) with \(length) data bytes, not a HEADER record "
                            + "(logs of the pre-HQT C++ engine, without sequence numbers, cannot be read)")
                }
                let payload = try window.bytes(at: p + WALFrame.overhead, count: length - WALFrame.sequenceSize)
                result.header = try WALHeader.decode(payload: payload, sequence: sequence, path: path)
                result.lastSequence = sequence
                lastGood = sequence
                expected = sequence &+ 1
                p += WALFrame.headerSize + length
                result.validEnd = p
                continue
            }
            // An intact frame that is not the next record of this log was not
            // torn by a crash: only a stale leftover (older sequence) may end
            // the log quietly; anything else proves damage.
            if let sequence, sequence < expectedSequence, type != 0 {
                result.damage = try classify(
                    at: p, reason: "stale record (sequence \(sequence), expected \(expectedSequence))",
                    magicPrefix: true, lastGood: lastGood)
                break
            }
            guard let sequence, sequence == expectedSequence, type != 0, type != WALRecordType.header else {
                let what = sequence.map { "sequence \($0)" } ?? "\(length) data bytes"
                result.damage = WALDamage(
                    offset: p,
                    reason:
                        "unexpected \(WALRecordType.name(type)) record (\(what); expected sequence \(expectedSequence))",
                    evidence: (p, sequence ?? 0, "that record is intact, so no crash tore it"), notALog: false)
                break
            }
            if delivering {
                let payload = try window.bytes(at: p + WALFrame.overhead, count: length - WALFrame.sequenceSize)
                let goOn = try visit(WALRecordView(type: type, sequence: sequence, offset: p, payload: payload))
                if !goOn {
                    result.stoppedEarly = true
                }
            }
            result.records += 1
            if type == WALRecordType.checkpoint { result.lastCheckpoint = (p, sequence) }
            result.lastSequence = sequence
            lastGood = sequence
            expected = sequence &+ 1
            p += WALFrame.headerSize + length
            result.validEnd = p
            if result.stoppedEarly { break }
        }
        return result
    }

    /// Decides what the bytes from `offset` on are: a torn tail unless some
    /// later record of this log (sequence beyond the last good one, or any
    /// intact frame when no HEADER was read) is found after them.
    private mutating func classify(at offset: Int, reason: String, magicPrefix: Bool, lastGood: UInt64?)
        throws(HQTError) -> WALDamage
    {
        var damage = WALDamage(offset: offset, reason: reason, evidence: nil, notALog: false)
        var q = offset
        while let m = try findMagic(from: q) {
            if searchBudget <= 0 {
                damage.evidence = (
                    m, 0,
                    "the search for later records gave up at offset \(m) (too much garbage), so a torn tail cannot be assumed"
                )
                return damage
            }
            if case let .intact(_, length, sequence) = try examine(m) {
                searchBudget -= length + WALFrame.headerSize
                if let sequence, let lastGood, sequence <= lastGood {
                    // A stale copy of an earlier record: part of the tail.
                } else {
                    let what = sequence.map { "a valid record (sequence \($0))" } ?? "an intact frame"
                    damage.evidence = (
                        m, sequence ?? 0,
                        "\(what) follows at offset \(m), so this is damage inside the log, not a torn tail"
                    )
                    return damage
                }
            } else {
                searchBudget -= WALFrame.headerSize
            }
            q = m + 1
        }
        damage.notALog = offset == 0 && !magicPrefix
        return damage
    }

    /// Frames, whole or partial, in `[from, end)`: the records a cut drops.
    mutating func countFrames(from: Int) throws(HQTError) -> Int {
        var q = from
        var n = 0
        var budget = 4 * end + (64 << 20)
        while q < end && budget > 0 {
            switch try examine(q) {
            case let .intact(_, length, _):
                n += 1
                q += WALFrame.headerSize + length
                budget -= WALFrame.headerSize + length
                continue
            case let .broken(_, magicPrefix):
                if magicPrefix { n += 1 }
                budget -= WALFrame.headerSize
            }
            guard let next = try findMagic(from: q + 1) else { break }
            q = next
        }
        return n
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: false)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
}

extension WALScanResult {
    /// The error for damage that must not be cut silently, or nil for a clean
    /// file or a torn tail.
    func refusal(path: String) -> HQTError? {
        guard let damage else { return nil }
        if damage.notALog {
            return HQTError(.wal, "'\(path)' is not an HQT write-ahead log: \(damage.reason) at offset 0")
        }
        guard let evidence = damage.evidence else { return nil }
        return HQTError(
            .walCorrupt,
            "WAL '\(path)' is corrupt at offset \(damage.offset): \(damage.reason); "
                + "\(evidence.why). "
                + "The file was left untouched; WriteAheadLog.salvage (hqt_wal_salvage, python -m hqt.wal FILE verify) "
                + "keeps the \(records) records before offset \(damage.offset)")
    }

    func report(droppedRecords: Int) -> WALOpenReport {
        WALOpenReport(
            tornBytesDropped: end - validEnd, tornRecordsDropped: droppedRecords, records: records,
            lastCheckpointOffset: lastCheckpoint?.offset, lastSequence: lastSequence,
            validBytes: validEnd, header: header)
    }
}
