import Testing

@testable import HQTBroadcast
@testable import HQTCore
@testable import HQTWAL

#if canImport(Glibc)
import Glibc
#endif

/// Format and API tests of the write-ahead log, after LevelDB's log_test:
/// one test per shape of input, including every way a file can be damaged.
@Suite struct WriteAheadLogTests {
    let dir = TempDirectory()

    /// A log with a few records of several types and sizes, closed.
    func writeSampleLog(_ path: String) throws -> [Content] {
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true)
        var expected: [Content] = []
        for (i, size) in [1, 0, 17, 300, 8].enumerated() {
            let data = pattern(size, seed: i)
            let type = UInt8(1 + i % 6)
            let seq = try wal.append(type: type, bytes: data)
            expected.append(Content(type: type, sequence: seq, data: data))
        }
        try wal.close()
        return expected
    }

    @Test func roundTrip() throws {
        let path = dir.file()
        let expected = try writeSampleLog(path)
        #expect(expected.map(\.sequence) == [1, 2, 3, 4, 5])

        let wal = try WriteAheadLog(path: path)
        let report = try wal.open(truncate: false)
        #expect(report.records == 5)
        #expect(report.tornBytesDropped == 0 && report.tornRecordsDropped == 0)
        #expect(report.lastSequence == 5)
        #expect(report.validBytes == readBytes(path).count)
        let records = try wal.readAll()
        #expect(contents(records) == expected)
        #expect(records.map(\.offset) == records.map(\.offset).sorted())
        #expect(records.first?.offset == WALFrame.overhead + WALHeader.payloadSize)
        // Appending after a reopen continues the sequence.
        #expect(try wal.append(type: 6, bytes: [9]) == 6)
        try wal.close()
        #expect(contents(try WriteAheadLog.read(path: path).records).count == 6)
    }

    @Test func frameBytesFollowTheSpec() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true)
        try wal.append(type: 4, bytes: [0xAA, 0xBB])
        try wal.close()
        let bytes = readBytes(path)
        let start = WALFrame.overhead + WALHeader.payloadSize  // after the HEADER frame
        #expect(Array(bytes[0..<4]) == [0x57, 0x54, 0x51, 0x48])
        #expect(bytes[4] == WALRecordType.header)
        #expect(Array(bytes[start..<start + 4]) == [0x57, 0x54, 0x51, 0x48])
        #expect(bytes[start + 4] == 4)
        #expect(Array(bytes[start + 5..<start + 9]) == [10, 0, 0, 0])  // 8-byte sequence + 2
        #expect(Array(bytes[start + 13..<start + 21]) == [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[start + 21..<start + 23]) == [0xAA, 0xBB])
        let crcInput = Array(bytes[start + 4..<start + 9]) + Array(bytes[start + 13..<start + 23])
        let crc = crcInput.withUnsafeBytes { CRC32.checksum($0) }
        let stored =
            UInt32(bytes[start + 9]) | UInt32(bytes[start + 10]) << 8 | UInt32(bytes[start + 11]) << 16 | UInt32(
                bytes[start + 12]) << 24
        #expect(stored == crc)
        // zlib's CRC-32 of "123456789" is the standard check value.
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    }

    @Test func emptyLog() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path)
        let report = try wal.open(truncate: true)
        #expect(report.records == 0 && report.lastSequence == 0 && report.lastCheckpointOffset == nil)
        #expect(try wal.readAll().isEmpty)
        #expect(try wal.readUncommitted().isEmpty)
        #expect(try wal.lastCheckpoint() == nil)
        try wal.close()
        #expect(readBytes(path).count == WALFrame.overhead + WALHeader.payloadSize)
        let again = try WriteAheadLog(path: path)
        #expect(try again.open(truncate: false).records == 0)
        #expect(try again.append(type: 1, bytes: [1]) == 1)
    }

    @Test func missingOrEmptyFileStartsANewLog() throws {
        let path = dir.file()
        writeBytes(path, [])
        let wal = try WriteAheadLog(path: path)
        let report = try wal.open(truncate: false)
        #expect(report.records == 0 && report.header?.baseSequence == 0)
        try wal.close()
        #expect(readBytes(path).count == WALFrame.overhead + WALHeader.payloadSize)
        let other = try WriteAheadLog(path: dir.file("never-existed.wal"))
        #expect(try other.open(truncate: false).records == 0)
    }

    @Test func zeroLengthRecord() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true)
        try wal.append(type: 2, bytes: [])
        try wal.append(type: 3, data: UnsafeRawBufferPointer(start: nil, count: 0))
        try wal.close()
        let records = try WriteAheadLog.read(path: path).records
        #expect(
            contents(records) == [Content(type: 2, sequence: 1, data: []), Content(type: 3, sequence: 2, data: [])])
    }

    @Test func tenMegabyteRecord() throws {
        let path = dir.file()
        let big = pattern(10 << 20, seed: 3)
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true)
        try wal.append(type: 1, bytes: [1, 2, 3])
        try wal.append(type: 6, bytes: big)
        try wal.append(type: 1, bytes: [4])
        #expect(try wal.readAll()[1].data == big)
        try wal.close()
        let reopened = try WriteAheadLog(path: path)
        #expect(try reopened.open(truncate: false).records == 3)
        let records = try reopened.readAll()
        #expect(records.map(\.sequence) == [1, 2, 3])
        #expect(records[1].data == big && records[2].data == [4])
    }

    @Test func oversizedPayloadIsRefusedWithoutTouchingTheLog() throws {
        let wal = try WriteAheadLog(path: dir.file(), sync: .none)
        try wal.open(truncate: true)
        let huge = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 0x1000), count: WALFrame.maxPayload + 1)
        #expect(thrownError { _ = try wal.append(type: 1, data: huge) }?.code == .invalidArgument)
        #expect(try wal.append(type: 1, bytes: [1]) == 1)
    }

    @Test func manyCheckpointsAndReadUncommitted() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path, sync: .none)
        try wal.open(truncate: true)
        var afterLast: [Content] = []
        var lastSnapshot: [UInt8] = []
        var lastCheckpointSequence: UInt64 = 0
        for round in 0..<40 {
            for k in 0..<(round % 4) {
                let data = pattern(5 + k, seed: round)
                let seq = try wal.append(type: 1, bytes: data)
                afterLast.append(Content(type: 1, sequence: seq, data: data))
            }
            lastSnapshot = pattern(20 + round, seed: 100 + round)
            lastCheckpointSequence = try wal.markCheckpoint(snapshot: lastSnapshot)
            afterLast = []
        }
        for k in 0..<3 {
            let seq = try wal.append(type: 5, bytes: [UInt8(k)])
            afterLast.append(Content(type: 5, sequence: seq, data: [UInt8(k)]))
        }
        #expect(contents(try wal.readUncommitted()) == afterLast)
        let cp = try #require(try wal.lastCheckpoint())
        #expect(cp.type == WALRecordType.checkpoint && cp.data == lastSnapshot && cp.sequence == lastCheckpointSequence)
        let all = try wal.readAll()
        #expect(all.filter { $0.type == WALRecordType.checkpoint }.count == 40)
        try wal.close()

        let reopened = try WriteAheadLog(path: path)
        let report = try reopened.open(truncate: false)
        #expect(report.lastCheckpointOffset == cp.offset)
        #expect(contents(try reopened.readUncommitted()) == afterLast)
        #expect(try reopened.lastCheckpoint() == cp)
    }

    @Test func truncateToCheckpointKeepsTheCheckpointAndWhatFollows() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true, configFingerprint: 0xFEED)
        for i in 0..<20 { try wal.append(type: 1, bytes: pattern(50, seed: i)) }
        try wal.markCheckpoint(snapshot: [1, 1])
        for i in 0..<5 { try wal.append(type: 2, bytes: pattern(10, seed: i)) }
        let cpSeq = try wal.markCheckpoint(snapshot: [2, 2, 2])
        for i in 0..<3 { try wal.append(type: 3, bytes: pattern(7, seed: i)) }
        let before = try wal.readAll()
        let sizeBefore = readBytes(path).count
        let kept = Array(before.drop { $0.sequence < cpSeq })

        try wal.truncateToCheckpoint()
        let after = try wal.readAll()
        #expect(contents(after) == contents(kept))
        #expect(after.first?.offset == WALFrame.overhead + WALHeader.payloadSize)
        #expect(readBytes(path).count < sizeBefore)
        #expect(wal.header?.baseSequence == cpSeq - 1 && wal.header?.fingerprint == 0xFEED)
        #expect(try wal.lastCheckpoint()?.data == [2, 2, 2])
        #expect(contents(try wal.readUncommitted()) == contents(Array(kept.dropFirst())))
        #expect(try wal.append(type: 4, bytes: [9]) == before.last!.sequence + 1)
        try wal.truncateToCheckpoint()  // idempotent
        #expect(try wal.readAll().count == kept.count + 1)
        try wal.close()
        #expect(!fileExists(path + ".tmp"))

        let contentsOnDisk = try WriteAheadLog.read(path: path)
        #expect(contentsOnDisk.report.records == kept.count + 1)
        #expect(contentsOnDisk.report.header?.baseSequence == cpSeq - 1)
        let reopened = try WriteAheadLog(path: path)
        try reopened.open(truncate: false, configFingerprint: 0xFEED)
        #expect(try reopened.append(type: 1, bytes: []) == before.last!.sequence + 2)
    }

    @Test func truncateToCheckpointWithoutCheckpointChangesNothing() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true)
        try wal.append(type: 1, bytes: [1, 2])
        let bytes = readBytes(path)
        try wal.truncateToCheckpoint()
        #expect(readBytes(path) == bytes)
    }

    @Test func clearEmptiesTheLogAndSequencesCarryOn() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path, sync: .none)
        try wal.open(truncate: true)
        for i in 0..<10 { try wal.append(type: 1, bytes: [UInt8(i)]) }
        try wal.markCheckpoint(snapshot: [7])
        try wal.clear()
        #expect(try wal.readAll().isEmpty)
        #expect(try wal.lastCheckpoint() == nil)
        #expect(readBytes(path).count == WALFrame.overhead + WALHeader.payloadSize)
        #expect(try wal.append(type: 1, bytes: [42]) == 12)
        try wal.close()
        let records = try WriteAheadLog.read(path: path).records
        #expect(contents(records) == [Content(type: 1, sequence: 12, data: [42])])
    }

    @Test func truncateOptionStartsOver() throws {
        let path = dir.file()
        _ = try writeSampleLog(path)
        let wal = try WriteAheadLog(path: path)
        let report = try wal.open(truncate: true)
        #expect(report.records == 0)
        #expect(try wal.append(type: 1, bytes: [1]) == 1)
    }

    // MARK: - Damage

    /// Every single-bit flip of a small log is either refused as corruption
    /// (or as not a log) or lies in the tail that is cut; the records returned
    /// are always an unmodified prefix of the original ones.
    @Test func everySingleBitFlipIsDetectedOrCut() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path, sync: .none)
        try wal.open(truncate: true)
        try wal.append(type: 1, bytes: [1, 2, 3])
        try wal.append(type: 4, bytes: [])
        try wal.markCheckpoint(snapshot: [5, 6, 7, 8])
        try wal.append(type: 2, bytes: [9, 10])
        try wal.close()
        let original = readBytes(path)
        let originalRecords = contents(try WriteAheadLog.read(path: path).records)
        var refused = 0
        var cut = 0
        for bit in 0..<(original.count * 8) {
            var damaged = original
            damaged[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            writeBytes(path, damaged)
            do {
                let result = try WriteAheadLog.read(path: path)
                let kept = contents(result.records)
                #expect(Array(originalRecords.prefix(kept.count)) == kept, "bit \(bit): wrong data returned")
                #expect(bit / 8 >= result.report.validBytes, "bit \(bit) lies inside the kept prefix")
                #expect(result.report.tornBytesDropped == original.count - result.report.validBytes)
                cut += 1
            } catch {
                #expect(error.code == .walCorrupt || error.code == .wal, "bit \(bit): \(error)")
                refused += 1
            }
        }
        // Exactly the flips in the last record (a 2-byte payload) are a torn
        // tail; with valid records after it, any other flip is corruption.
        let lastFrame = WALFrame.overhead + 2
        #expect(cut == lastFrame * 8)
        #expect(refused == (original.count - lastFrame) * 8)
    }

    /// Truncating a log at every byte offset yields exactly the records that
    /// end at or before the cut.
    @Test func truncationAtEveryOffsetYieldsTheValidPrefix() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path, sync: .none)
        try wal.open(truncate: true)
        try wal.append(type: 1, bytes: pattern(30, seed: 1))
        try wal.append(type: 2, bytes: [])
        try wal.markCheckpoint(snapshot: pattern(12, seed: 2))
        try wal.append(type: 3, bytes: pattern(5, seed: 3))
        try wal.close()
        let original = readBytes(path)
        let all = try WriteAheadLog.read(path: path).records
        let headerEnd = WALFrame.overhead + WALHeader.payloadSize
        for cut in 0...original.count {
            writeBytes(path, Array(original[0..<cut]))
            let result = try WriteAheadLog.read(path: path)
            let expected = all.filter { frameEnd($0) <= cut }
            #expect(contents(result.records) == contents(expected), "cut at \(cut)")
            let validEnd = cut < headerEnd ? 0 : (expected.last.map(frameEnd) ?? headerEnd)
            #expect(result.report.validBytes == validEnd, "cut at \(cut)")
            #expect(result.report.tornBytesDropped == cut - validEnd, "cut at \(cut)")
            #expect(result.report.tornRecordsDropped == (cut == validEnd ? 0 : 1), "cut at \(cut)")
        }
        // Opening cuts the tail for real and appending carries on from the prefix.
        for cut in [5, headerEnd + 3, frameEnd(all[1]) + 14, original.count - 1] {
            writeBytes(path, Array(original[0..<cut]))
            let reopened = try WriteAheadLog(path: path)
            let report = try reopened.open(truncate: false)
            #expect(report.tornBytesDropped > 0)
            let next = try reopened.append(type: 6, bytes: [1])
            #expect(next == report.lastSequence + 1)
            try reopened.close()
            #expect(try WriteAheadLog.verify(path: path).tornBytesDropped == 0)
        }
    }

    @Test func zeroFilledTailIsCut() throws {
        let path = dir.file()
        let expected = try writeSampleLog(path)
        let good = readBytes(path)
        writeBytes(path, good + [UInt8](repeating: 0, count: 4096))
        let wal = try WriteAheadLog(path: path)
        let report = try wal.open(truncate: false)
        #expect(report.tornBytesDropped == 4096 && report.tornRecordsDropped == 0)
        #expect(contents(try wal.readAll()) == expected)
        try wal.close()
        #expect(readBytes(path) == good)
    }

    /// Record offsets of the sample log, for aiming damage.
    func sampleOffsets(_ path: String) throws -> [Int] {
        try WriteAheadLog.read(path: path).records.map(\.offset)
    }

    func expectRefusedUntouched(_ path: String, code: HQTError.Code, mentioning words: [String]) {
        let before = readBytes(path)
        let error = thrownError { _ = try WriteAheadLog(path: path).open(truncate: false) }
        #expect(error?.code == code, "\(String(describing: error))")
        for w in words { #expect(error?.message.contains(w) == true, "message lacks '\(w)': \(error?.message ?? "")") }
        #expect(readBytes(path) == before, "the file was modified")
        #expect(thrownError { _ = try WriteAheadLog.verify(path: path) }?.code == code)
    }

    @Test func badChecksumBeforeTheLastRecordIsCorruption() throws {
        let path = dir.file()
        _ = try writeSampleLog(path)
        let offsets = try sampleOffsets(path)
        var bytes = readBytes(path)
        bytes[offsets[1] + 9] ^= 0xFF  // the CRC of record 2
        writeBytes(path, bytes)
        expectRefusedUntouched(path, code: .walCorrupt, mentioning: ["offset \(offsets[1])", "checksum mismatch"])

        let report = try WriteAheadLog.salvage(path: path)
        #expect(report.records == 1 && report.validBytes == offsets[1])
        #expect(report.tornRecordsDropped == 4 && report.tornBytesDropped == bytes.count - offsets[1])
        let wal = try WriteAheadLog(path: path)
        #expect(try wal.open(truncate: false).records == 1)
        #expect(try wal.append(type: 1, bytes: []) == 2)
    }

    @Test func badMagicBeforeTheLastRecordIsCorruption() throws {
        let path = dir.file()
        _ = try writeSampleLog(path)
        let offsets = try sampleOffsets(path)
        var bytes = readBytes(path)
        bytes[offsets[2]] = 0x00
        writeBytes(path, bytes)
        expectRefusedUntouched(path, code: .walCorrupt, mentioning: ["offset \(offsets[2])", "bad magic"])
    }

    @Test func impossibleLengthIsCorruptionInTheMiddleAndTornAtTheEnd() throws {
        let path = dir.file()
        _ = try writeSampleLog(path)
        let offsets = try sampleOffsets(path)
        let original = readBytes(path)
        var bytes = original
        for i in 5..<9 { bytes[offsets[1] + i] = 0xFF }  // length 4 GiB - 1
        writeBytes(path, bytes)
        expectRefusedUntouched(
            path, code: .walCorrupt, mentioning: ["offset \(offsets[1])", "impossible record length"])

        // A length that runs past the end of the file, valid records after it.
        bytes = original
        bytes[offsets[1] + 5] = 0x00
        bytes[offsets[1] + 6] = 0x10  // 4096 > what is left
        writeBytes(path, bytes)
        expectRefusedUntouched(path, code: .walCorrupt, mentioning: ["offset \(offsets[1])", "runs past the end"])

        // The same damage in the last record is a torn tail.
        bytes = original
        for i in 5..<9 { bytes[offsets[4] + i] = 0xFF }
        writeBytes(path, bytes)
        let report = try WriteAheadLog.verify(path: path)
        #expect(report.records == 4 && report.validBytes == offsets[4] && report.tornRecordsDropped == 1)
    }

    @Test func missingRecordInTheMiddleIsCorruption() throws {
        let path = dir.file()
        _ = try writeSampleLog(path)
        let offsets = try sampleOffsets(path)
        let bytes = readBytes(path)
        // Cut record 3 out: records 4 and 5 stay intact but their sequence numbers jump.
        writeBytes(path, Array(bytes[0..<offsets[2]]) + Array(bytes[offsets[3]...]))
        expectRefusedUntouched(path, code: .walCorrupt, mentioning: ["offset \(offsets[2])", "expected sequence 3"])
    }

    @Test func staleCopyOfAnEarlierRecordAtTheEndIsATornTail() throws {
        let path = dir.file()
        let expected = try writeSampleLog(path)
        let offsets = try sampleOffsets(path)
        let bytes = readBytes(path)
        // Bytes of record 1 again after the end: intact, but an old sequence number.
        let stale = Array(bytes[offsets[0]..<offsets[1]])
        writeBytes(path, bytes + stale)
        let wal = try WriteAheadLog(path: path)
        let report = try wal.open(truncate: false)
        #expect(report.tornBytesDropped == stale.count && report.tornRecordsDropped == 1)
        #expect(contents(try wal.readAll()) == expected)
    }

    @Test func filesThatAreNotLogsAreRefusedUntouched() throws {
        let path = dir.file()
        writeBytes(path, Array("date,bid,ask\n2024-01-02,1.1,1.2\n".utf8))
        expectRefusedUntouched(path, code: .wal, mentioning: ["is not an HQT write-ahead log", "bad magic"])

        var rng = SplitMix(state: 42)
        writeBytes(path, rng.bytes(4096))
        expectRefusedUntouched(path, code: .wal, mentioning: ["is not an HQT write-ahead log"])

        writeBytes(path, [UInt8](repeating: 0, count: 512))
        expectRefusedUntouched(path, code: .wal, mentioning: ["is not an HQT write-ahead log"])

        writeBytes(path, [0x41])
        expectRefusedUntouched(path, code: .wal, mentioning: ["is not an HQT write-ahead log"])

        // The C++ predecessor's log: SPEC frames, but no HEADER and no sequence numbers.
        let predecessor = WriteAheadLog.frame(type: 1, sequence: 0x0102, payload: [1, 2, 3, 4])
        writeBytes(path, predecessor + predecessor)
        expectRefusedUntouched(path, code: .wal, mentioning: ["not an HQT write-ahead log", "POSITION_OPEN", "HEADER"])
        #expect(thrownError { _ = try WriteAheadLog.salvage(path: path) }?.code == .wal)
    }

    @Test func randomGarbageNeverCrashesOrAllocatesHugely() throws {
        let path = dir.file()
        var rng = SplitMix(state: 7)
        _ = try writeSampleLog(path)
        let good = readBytes(path)
        for round in 0..<200 {
            // Garbage after a valid log, some of it shaped like frame headers with wild lengths.
            var tail = rng.bytes(Int(rng.next() % 300))
            if round % 3 == 0 && tail.count >= 13 {
                tail.replaceSubrange(0..<4, with: [0x57, 0x54, 0x51, 0x48])
            }
            writeBytes(path, good + tail)
            if let result = try? WriteAheadLog.read(path: path) {
                #expect(result.report.validBytes == good.count)
                #expect(result.records.count == 5)
            }
        }
    }

    @Test func tornHeaderLeavesAnEmptyLog() throws {
        let path = dir.file()
        _ = try writeSampleLog(path)
        let bytes = readBytes(path)
        writeBytes(path, Array(bytes[0..<20]))
        let wal = try WriteAheadLog(path: path)
        let report = try wal.open(truncate: false)
        #expect(report.tornBytesDropped == 20 && report.tornRecordsDropped == 1 && report.records == 0)
        #expect(try wal.append(type: 1, bytes: []) == 1)
    }

    // MARK: - Locking and identity

    @Test func secondWriterGetsAClearError() throws {
        let path = dir.file()
        let first = try WriteAheadLog(path: path)
        try first.open(truncate: true)
        let second = try WriteAheadLog(path: path)
        let error = thrownError { _ = try second.open(truncate: false) }
        #expect(error?.code == .wal)
        #expect(
            error?.message.contains("is locked by another engine (pid \(getpid()))") == true,
            "\(String(describing: error))")
        #expect(thrownError { _ = try WriteAheadLog.salvage(path: path) }?.code == .wal)
        // Readers need no lock.
        #expect(try WriteAheadLog.verify(path: path).records == 0)
        try first.close()
        try second.open(truncate: false)
        try second.close()
    }

    @Test func releasingTheLogReleasesTheLock() throws {
        let path = dir.file()
        do {
            let wal = try WriteAheadLog(path: path)
            try wal.open(truncate: true)
            try wal.append(type: 1, bytes: [1])
        }  // deinit closes
        let again = try WriteAheadLog(path: path)
        #expect(try again.open(truncate: false).records == 1)
    }

    @Test func configurationFingerprintMustMatch() throws {
        let path = dir.file()
        let wal = try WriteAheadLog(path: path)
        try wal.open(truncate: true, configFingerprint: 0xA1)
        try wal.append(type: 1, bytes: [1])
        try wal.close()
        let before = readBytes(path)

        let other = try WriteAheadLog(path: path)
        let error = thrownError { _ = try other.open(truncate: false, configFingerprint: 0xB2) }
        #expect(error?.code == .wal)
        #expect(error?.message.contains("different engine configuration") == true)
        #expect(error?.message.contains("00000000000000a1") == true)
        #expect(readBytes(path) == before)
        #expect(!other.isOpen)

        #expect(try other.open(truncate: false).header?.fingerprint == 0xA1)  // nil: no check
        try other.close()
        #expect(try other.open(truncate: false, configFingerprint: 0xA1).records == 1)
        try other.close()
        #expect(try other.open(truncate: true, configFingerprint: 0xB2).header?.fingerprint == 0xB2)
        try other.close()
        // A log written without a fingerprint cannot be vouched for.
        let plain = try WriteAheadLog(path: dir.file("plain.wal"))
        try plain.open(truncate: true)
        try plain.close()
        #expect(
            thrownError { _ = try plain.open(truncate: false, configFingerprint: 1) }?.message.contains(
                "fingerprint none") == true)
    }

    @Test func newerFormatVersionIsRefused() throws {
        let path = dir.file()
        var header = WALHeader(fingerprint: nil, baseSequence: 0)
        header.formatVersion = 2
        writeBytes(path, WriteAheadLog.frame(type: WALRecordType.header, sequence: 0, payload: header.payload))
        expectRefusedUntouched(path, code: .wal, mentioning: ["format version 2"])
    }

    // MARK: - Misuse

    @Test func argumentsAndStateAreChecked() throws {
        #expect(thrownError { _ = try WriteAheadLog(path: "") }?.code == .invalidArgument)
        #expect(
            thrownError {
                _ = try WriteAheadLog(path: dir.file(), sync: .batch(maxRecords: 0, maxDelayNanoseconds: 1))
            }?.code == .invalidArgument)
        let wal = try WriteAheadLog(path: dir.file())
        #expect(thrownError { _ = try wal.append(type: 1, bytes: []) }?.code == .state)
        #expect(thrownError { _ = try wal.readAll() }?.code == .state)
        try wal.open(truncate: true)
        #expect(thrownError { _ = try wal.open(truncate: true) }?.code == .state)
        for type: UInt8 in [0, 7, 8] {
            #expect(thrownError { _ = try wal.append(type: type, bytes: []) }?.code == .invalidArgument)
        }
        #expect(try wal.append(type: 200, bytes: [1]) == 1)  // engine-defined types pass through
        try wal.close()
        try wal.close()  // closing twice is harmless
        #expect(thrownError { _ = try wal.append(type: 1, bytes: []) }?.code == .state)
    }
}
