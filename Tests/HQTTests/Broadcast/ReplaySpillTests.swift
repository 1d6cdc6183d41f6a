import Testing

@testable import HQTBroadcast
@testable import HQTCore

#if canImport(Glibc)
import Glibc
#endif

/// The replay spill (docs/zmq.md section 13, "Beyond the window"): the
/// file layout byte by byte, read-back, a restart after a hole, damage
/// detection, and the store's copy-out that feeds it.
@Suite struct ReplaySpillTests {
    /// `count` TRADE frames whose ticket is `first + i` (so a frame names its seq).
    static func trades(_ first: UInt64, _ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var frame = [UInt8](repeating: 0, count: BroadcastFrame.tradeSize)
        for i in 0..<count {
            _ = frame.withUnsafeMutableBytes {
                BroadcastFrame.encodeTrade(
                    into: $0.baseAddress!, ticket: first + UInt64(i), symbolID: 1, time: 7, volume: 100_000,
                    price: 1_100_000, profit: -5)
            }
            out += frame
        }
        return out
    }

    static func append(_ spill: ReplaySpill, _ first: UInt64, _ count: Int) {
        let frames = trades(first, count)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: count * 80, alignment: 8)
        defer { scratch.deallocate() }
        frames.withUnsafeBytes {
            spill.append(ring: 0, first: first, frames: $0.baseAddress!, count: count, scratch: scratch)
        }
    }

    static func le<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int, _: T.Type) -> T {
        (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(bytes[at + $1]) << (8 * $1) }
    }

    static func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY)
        precondition(fd >= 0)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        close(fd)
    }

    @Test func theFileIsAHeaderThenFixedSizeCheckedRecords() throws {
        let dir = TempDirectory()
        let spill = try ReplaySpill(prefix: dir.file("run.wal.stream"), runID: 0xABCD)
        Self.append(spill, 0, 3)
        let bytes = readBytes(dir.file("run.wal.stream.trade"))
        let rsize = 8 + 45 + 4
        #expect(bytes.count == 40 + 3 * rsize)
        #expect(Array(bytes[0..<8]) == Array("HQTSPILL".utf8))
        #expect(Self.le(bytes, 8, UInt16.self) == 1 && bytes[10] == 2 && bytes[11] == 45)
        #expect(Self.le(bytes, 16, UInt64.self) == 0xABCD && Self.le(bytes, 24, UInt64.self) == 0)
        let headerCRC = bytes.withUnsafeBytes { ReplaySpill.crc($0.baseAddress!, 32) }
        #expect(Self.le(bytes, 32, UInt32.self) == headerCRC)
        // Record 2: seq, the SPEC frame as given, CRC-32 of both.
        let rec = 40 + 2 * rsize
        #expect(Self.le(bytes, rec, UInt64.self) == 2)
        #expect(Array(bytes[(rec + 8)..<(rec + 53)]) == Self.trades(2, 1))
        let crc = bytes.withUnsafeBytes { ReplaySpill.crc($0.baseAddress! + rec, 53) }
        #expect(Self.le(bytes, rec + 53, UInt32.self) == crc)
        // The other topics' files exist, with their own header and no record.
        let order = readBytes(dir.file("run.wal.stream.order"))
        #expect(order.count == 40 && order[10] == 3 && order[11] == 38)
        spill.remove()
        #expect(access(dir.file("run.wal.stream.trade"), F_OK) != 0)
    }

    @Test func recordsReadBackAndAHoleRestartsTheFile() throws {
        let dir = TempDirectory()
        let spill = try ReplaySpill(prefix: dir.file("s"), runID: 1)
        Self.append(spill, 0, 100)
        Self.append(spill, 100, 50)
        guard case let .frames(frames) = spill.read(ring: 0, first: 40, count: 200) else {
            Issue.record("expected frames")
            return
        }
        // Asking past the end gets what there is.
        #expect(frames.count == 110)
        #expect(frames.first == Self.trades(40, 1) && frames.last == Self.trades(149, 1))
        // Events 150..<170 were never spilled (the store outran the slack):
        // the file restarts at 170, one unbroken range again.
        Self.append(spill, 170, 5)
        #expect(spill.base[0] == 170 && spill.end[0] == 175)
        #expect(readBytes(dir.file("s.trade")).count == 40 + 5 * 57)
        guard case let .frames(again) = spill.read(ring: 0, first: 172, count: 10) else {
            Issue.record("expected frames")
            return
        }
        #expect(again == [Self.trades(172, 1), Self.trades(173, 1), Self.trades(174, 1)])
    }

    @Test func damageIsDetectedNeverTrusted() throws {
        let dir = TempDirectory()
        let spill = try ReplaySpill(prefix: dir.file("s"), runID: 9)
        Self.append(spill, 0, 20)
        let path = dir.file("s.trade")
        // A flipped frame byte in record 5: 0..<5 come back, then nothing.
        Self.patch(path, at: 40 + 5 * 57 + 12, [0xFF])
        guard case let .frames(head) = spill.read(ring: 0, first: 0, count: 20) else {
            Issue.record("expected frames")
            return
        }
        #expect(head.count == 5)
        guard case .damagedRecord = spill.read(ring: 0, first: 5, count: 15) else {
            Issue.record("expected a damaged record")
            return
        }
        // A record with the right CRC but the wrong seq is damage too.
        var moved = readBytes(path)
        moved.replaceSubrange((40 + 7 * 57)..<(40 + 8 * 57), with: moved[(40 + 6 * 57)..<(40 + 7 * 57)])
        Self.patch(path, at: 0, moved)
        guard case .damagedRecord = spill.read(ring: 0, first: 7, count: 1) else {
            Issue.record("expected a damaged record")
            return
        }
        // A cut file: its header cannot be trusted, so no record is.
        _ = truncate(path, 10)
        guard case .damagedFile = spill.read(ring: 0, first: 0, count: 1) else {
            Issue.record("expected a damaged file")
            return
        }
    }

    @Test func aMissingDirectoryIsAClearError() {
        #expect(throws: HQTError.self) {
            _ = try ReplaySpill(prefix: "/nonexistent-dir-hqt/x.wal.stream", runID: 1)
        }
    }

    @Test func anEngineWithAWALSpillsBesideItAndCleansUp() throws {
        let dir = TempDirectory()
        let e = try makeEngine()
        try e.addSymbol(usdSymbol())
        try e.enableWAL(path: dir.file("run.wal"), truncate: true, sync: .none)
        var o = BroadcastOptions(endpoint: "tcp://127.0.0.1:*")
        try e.enableBroadcasting(o)  // no replay endpoint: no spill
        #expect(access(dir.file("run.wal.stream.trade"), F_OK) != 0)
        e.disableBroadcasting()
        o.replayEndpoint = "tcp://127.0.0.1:*"
        try e.enableBroadcasting(o)
        for name in ["trade", "order", "position", "account"] {
            #expect(access(dir.file("run.wal.stream.\(name)"), F_OK) == 0)
        }
        // The sequence numbers die with the broadcaster: so does its spill.
        e.disableBroadcasting()
        #expect(access(dir.file("run.wal.stream.trade"), F_OK) != 0)
    }

    @Test func theStoreHandsOverWhatTheWindowGivesUp() {
        // Window 4, slack 8: 12 slots per topic.
        let store = ReplayStore(window: 4, spillSlack: 8)
        let frames = Self.trades(0, 30)
        let out = UnsafeMutableRawPointer.allocate(byteCount: 64 * 45, alignment: 8)
        defer { out.deallocate() }
        frames.withUnsafeBytes { b in
            for seq in 0..<10 { store.record(ring: 0, seq: UInt64(seq), frame: b.baseAddress! + seq * 45, size: 45) }
        }
        let a = store.copyForSpill(ring: 0, from: 0, maxCount: 64, into: out)
        #expect(a.first == 0 && a.count == 10)
        #expect(Array(UnsafeRawBufferPointer(start: out + 9 * 45, count: 45)) == Self.trades(9, 1))
        // The window answers 4; with keep = capacity, all 10 still in memory.
        #expect(store.range(ring: 0, first: 0, end: 10, limit: 100).gone)
        #expect(store.range(ring: 0, first: 0, end: 10, limit: 100, keep: store.capacity).frames.count == 10)
        frames.withUnsafeBytes { b in
            for seq in 10..<30 { store.record(ring: 0, seq: UInt64(seq), frame: b.baseAddress! + seq * 45, size: 45) }
        }
        // 10..<18 were overwritten before being copied out: the copy starts at 18.
        let c = store.copyForSpill(ring: 0, from: 10, maxCount: 5, into: out)
        #expect(c.first == 18 && c.count == 5)
        #expect(Array(UnsafeRawBufferPointer(start: out, count: 45)) == Self.trades(18, 1))
    }
}
