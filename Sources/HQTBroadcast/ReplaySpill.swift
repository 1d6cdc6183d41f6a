import CZlib
import HQTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The replay store's overflow on disk (docs/zmq.md section 13, "Beyond the
/// window"): one append-only file per replayable topic holding the exact SPEC
/// frames of every event by sequence number, so a subscriber far behind gets
/// the same bytes the memory window would have given it.
///
/// Only the broadcaster's service thread uses a spill (writes and reads);
/// the engine thread never waits on it. Records have a fixed size per topic,
/// so finding a sequence number is arithmetic: no index, no memory that
/// grows with the run.
///
/// File `<prefix>.<topic name>`: a 40-byte header, then records.
///
///     header  0  8  magic "HQTSPILL"
///             8  2  u16 version (1)
///            10  1  u8 SPEC topic (2, 3, 6, 7)
///            11  1  u8 frame size F (the topic's SPEC frame size)
///            12  4  zero
///            16  8  u64 run id
///            24  8  u64 base: sequence number of the first record
///            32  4  u32 zlib CRC-32 of bytes 0..<32
///            36  4  zero
///     record  0  8  u64 seq (base + index)
///             8  F  the SPEC frame, topic byte included
///           8+F  4  u32 zlib CRC-32 of bytes 0..<8+F
///
/// All integers little-endian. Record i sits at 40 + i * (F + 12).
final class ReplaySpill {
    static let headerSize = 40
    static let magic: [UInt8] = Array("HQTSPILL".utf8)
    static let names = ["trade", "order", "position", "account"]

    /// What a read found.
    enum Read {
        /// Frames of seqs first ..< first + count (a valid prefix of what was asked).
        case frames([[UInt8]])
        /// The first record asked for is missing or damaged (bad seq or CRC).
        case damagedRecord
        /// The header is missing or damaged: nothing in the file can be trusted.
        case damagedFile
    }

    let prefix: String
    let runID: UInt64
    private var fds: [Int32] = []
    /// Per ring: sequence number of the first record on disk, and one past the last.
    private(set) var base: [UInt64] = [0, 0, 0, 0]
    private(set) var end: [UInt64] = [0, 0, 0, 0]
    /// A write failed: nothing more is written; reads of what was written still work.
    private(set) var writeFailed = false

    /// Creates (truncating) the four files.
    init(prefix: String, runID: UInt64) throws(HQTError) {
        self.prefix = prefix
        self.runID = runID
        for (r, name) in Self.names.enumerated() {
            let path = "\(prefix).\(name)"
            let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 {
                let reason = String(cString: strerror(errno))
                closeAll()
                throw HQTError(.broadcast, "cannot create the replay spill file '\(path)': \(reason)")
            }
            fds.append(fd)
            guard writeHeader(ring: r, base: 0) else {
                let reason = String(cString: strerror(errno))
                closeAll()
                throw HQTError(.broadcast, "cannot write the replay spill file '\(path)': \(reason)")
            }
        }
    }

    deinit { closeAll() }

    private func closeAll() {
        for fd in fds { close(fd) }
        fds = []
    }

    /// Closes and deletes the files (their sequence numbers die with the run id).
    func remove() {
        closeAll()
        for name in Self.names { unlink("\(prefix).\(name)") }
    }

    static func recordSize(ring r: Int) -> Int { ReplayStore.topics[r].frameSize + 12 }

    static func crc(_ p: UnsafeRawPointer, _ n: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_z(0, p.assumingMemoryBound(to: UInt8.self), n))
    }

    private func writeHeader(ring r: Int, base: UInt64) -> Bool {
        var h = [UInt8](repeating: 0, count: Self.headerSize)
        h.replaceSubrange(0..<8, with: Self.magic)
        h[8] = 1
        h[10] = ReplayStore.topics[r].rawValue
        h[11] = UInt8(ReplayStore.topics[r].frameSize)
        h.withUnsafeMutableBytes { b in
            b.storeBytes(of: runID.littleEndian, toByteOffset: 16, as: UInt64.self)
            b.storeBytes(of: base.littleEndian, toByteOffset: 24, as: UInt64.self)
            b.storeBytes(of: Self.crc(b.baseAddress!, 32).littleEndian, toByteOffset: 32, as: UInt32.self)
        }
        return h.withUnsafeBytes { pwriteAll(fds[r], $0.baseAddress!, $0.count, 0) }
    }

    /// Appends `count` frames of ring `r` (packed, frame size apart, at
    /// `frames`) starting at `first`. A `first` past `end` means the store
    /// overwrote events before they were spilled: the file restarts at
    /// `first`, so it always holds one unbroken range (older seqs: GONE).
    func append(ring r: Int, first: UInt64, frames: UnsafeRawPointer, count: Int, scratch: UnsafeMutableRawPointer) {
        guard !writeFailed, count > 0 else { return }
        if first != end[r] {
            guard ftruncate(fds[r], off_t(Self.headerSize)) == 0, writeHeader(ring: r, base: first) else {
                writeFailed = true
                return
            }
            base[r] = first
            end[r] = first
        }
        let fsize = ReplayStore.topics[r].frameSize
        let rsize = Self.recordSize(ring: r)
        for i in 0..<count {
            let rec = scratch + i * rsize
            rec.storeBytes(of: (first + UInt64(i)).littleEndian, as: UInt64.self)
            (rec + 8).copyMemory(from: frames + i * fsize, byteCount: fsize)
            rec.storeBytes(of: Self.crc(rec, 8 + fsize).littleEndian, toByteOffset: 8 + fsize, as: UInt32.self)
        }
        let offset = Self.headerSize + Int(first - base[r]) * rsize
        guard pwriteAll(fds[r], scratch, count * rsize, offset) else {
            writeFailed = true
            return
        }
        end[r] = first + UInt64(count)
    }

    /// Reads up to `count` frames of ring `r` from `first` (which must be in
    /// base ..< end), checking the header and every record's seq and CRC.
    /// Stops before the first bad record.
    func read(ring r: Int, first: UInt64, count: Int) -> Read {
        var h = [UInt8](repeating: 0, count: Self.headerSize)
        let headerOK = h.withUnsafeMutableBytes { b -> Bool in
            guard preadAll(fds[r], b.baseAddress!, b.count, 0) else { return false }
            return b.loadUnaligned(fromByteOffset: 32, as: UInt32.self) == Self.crc(b.baseAddress!, 32).littleEndian
                && Array(b[0..<8]) == Self.magic
                && UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) == runID
                && UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) == base[r]
        }
        guard headerOK else { return .damagedFile }
        let fsize = ReplayStore.topics[r].frameSize
        let rsize = Self.recordSize(ring: r)
        var buffer = [UInt8](repeating: 0, count: count * rsize)
        let got = buffer.withUnsafeMutableBytes { b in
            preadSome(fds[r], b.baseAddress!, b.count, Self.headerSize + Int(first - base[r]) * rsize)
        }
        var frames: [[UInt8]] = []
        frames.reserveCapacity(got / rsize)
        buffer.withUnsafeBytes { b in
            for i in 0..<(got / rsize) {
                let rec = b.baseAddress! + i * rsize
                let seq = UInt64(littleEndian: rec.loadUnaligned(as: UInt64.self))
                let crc = UInt32(littleEndian: rec.loadUnaligned(fromByteOffset: 8 + fsize, as: UInt32.self))
                guard seq == first + UInt64(i), crc == Self.crc(rec, 8 + fsize) else { break }
                frames.append(Array(UnsafeRawBufferPointer(start: rec + 8, count: fsize)))
            }
        }
        return frames.isEmpty ? .damagedRecord : .frames(frames)
    }
}

private func pwriteAll(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, _ offset: Int) -> Bool {
    var done = 0
    while done < n {
        let rc = pwrite(fd, p + done, n - done, off_t(offset + done))
        if rc < 0 && errno == EINTR { continue }
        if rc <= 0 { return false }
        done += rc
    }
    return true
}

/// Reads up to `n` bytes; returns how many (short at end of file or on error).
private func preadSome(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int, _ offset: Int) -> Int {
    var done = 0
    while done < n {
        let rc = pread(fd, p + done, n - done, off_t(offset + done))
        if rc < 0 && errno == EINTR { continue }
        if rc <= 0 { break }
        done += rc
    }
    return done
}

private func preadAll(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int, _ offset: Int) -> Bool {
    preadSome(fd, p, n, offset) == n
}
