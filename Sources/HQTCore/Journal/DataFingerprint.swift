/// What a checkpoint records of the data each series had processed, so that
/// recovery can refuse other data (issue 10, item 3): without it, a log
/// replayed over prices shifted by 0.01 resumes to a balance that matches
/// neither data set.
///
/// The processed prefix [0, cursor) of a series is cut into blocks of
/// `unit << level` events (`level` the smallest giving at most `maxBlocks`
/// blocks; the last block may be partial) and each block hashed. A
/// checkpoint stores the count, the first and last time and these block
/// hashes (at most 64 × 8 bytes per series); recovery hashes the loaded
/// data the same way and names the first block that differs. Narrower than
/// a block it cannot see without the original data.
///
/// Hashing is incremental: a series keeps the hashes of its complete
/// `unit`-event blocks (`FingerprintProgress`), so over a whole run every
/// event is hashed once, at the checkpoint after it ran, never on the tick
/// path. The hash is not cryptographic: it tells changed data from the
/// same data, not a forgery from an original.
struct SeriesFingerprint: Equatable {
    /// Events processed (the cursor).
    var count: Int64
    /// Time of the first and of the last processed event (-1 if none).
    var firstTime: Int64
    var lastTime: Int64
    /// Block size: `DataHash.unit << level` events.
    var level: UInt8
    var blocks: [UInt64]

    var blockSize: Int { DataHash.unit << Int(level) }
}

/// The hashes of a series' complete `DataHash.unit`-event blocks so far.
final class FingerprintProgress {
    var unitHashes: [UInt64] = []
    /// Events covered by `unitHashes` (a multiple of `DataHash.unit`).
    var hashed: Int { unitHashes.count * DataHash.unit }
}

enum DataHash {
    /// Events per hashed unit block.
    static let unit = 4096
    /// Blocks stored per series and checkpoint, at most.
    static let maxBlocks = 64

    /// The fingerprint of `columns[*][0..<count]`, extending `progress`.
    /// Columns must hold at least `count` values each.
    static func fingerprint(
        columns: [UnsafeMutablePointer<Int64>], count: Int, progress: FingerprintProgress
    ) -> SeriesFingerprint {
        // Data replaced under the progress (a new window of a source run):
        // start over.
        if progress.hashed > count { progress.unitHashes.removeAll() }
        while progress.hashed + unit <= count {
            progress.unitHashes.append(hash(columns, from: progress.hashed, to: progress.hashed + unit))
        }
        let tail = progress.hashed < count ? hash(columns, from: progress.hashed, to: count) : nil
        return assemble(units: progress.unitHashes, tail: tail, count: count, time: columns[0])
    }

    /// The fingerprint of loaded data at `count` events with `level`, computed
    /// from scratch (recovery), so its blocks compare one to one.
    static func fingerprint(columns: [UnsafeMutablePointer<Int64>], count: Int) -> SeriesFingerprint {
        let progress = FingerprintProgress()
        return fingerprint(columns: columns, count: count, progress: progress)
    }

    private static func assemble(
        units: [UInt64], tail: UInt64?, count: Int, time: UnsafeMutablePointer<Int64>
    ) -> SeriesFingerprint {
        var level = 0
        while (count + (unit << level) - 1) / (unit << level) > maxBlocks { level += 1 }
        let perBlock = 1 << level
        var blocks: [UInt64] = []
        var all = units
        if let tail { all.append(tail) }
        var i = 0
        while i < all.count {
            let group = all[i..<min(all.count, i + perBlock)]
            blocks.append(group.count == 1 ? group[group.startIndex] : fold(group))
            i += perBlock
        }
        return SeriesFingerprint(
            count: Int64(count), firstTime: count > 0 ? time[0] : -1, lastTime: count > 0 ? time[count - 1] : -1,
            level: UInt8(level), blocks: blocks)
    }

    /// Hash of rows [from, to) of the columns: four independent lanes per
    /// column so the multiplies overlap (about a nanosecond per tick).
    static func hash(_ columns: [UnsafeMutablePointer<Int64>], from: Int, to: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(to - from)
        for column in columns {
            var a: UInt64 = 0x9E37_79B9_7F4A_7C15, b: UInt64 = 0xBF58_476D_1CE4_E5B9
            var c: UInt64 = 0x94D0_49BB_1331_11EB, d: UInt64 = 0xD6E8_FEB8_6659_FD93
            var i = from
            while i + 4 <= to {
                a = (a ^ UInt64(bitPattern: column[i])) &* 0x100_0000_01B3 &+ 0x9E37_79B9
                b = (b ^ UInt64(bitPattern: column[i + 1])) &* 0x100_0000_01B3 &+ 0x7F4A_7C15
                c = (c ^ UInt64(bitPattern: column[i + 2])) &* 0x100_0000_01B3 &+ 0x85EB_CA6B
                d = (d ^ UInt64(bitPattern: column[i + 3])) &* 0x100_0000_01B3 &+ 0xC2B2_AE35
                i += 4
            }
            while i < to {
                a = (a ^ UInt64(bitPattern: column[i])) &* 0x100_0000_01B3 &+ 0x9E37_79B9
                i += 1
            }
            h = mix(h ^ mix(a) ^ mix(b &+ 1) ^ mix(c &+ 2) ^ mix(d &+ 3))
        }
        return h
    }

    /// One hash of several block hashes, in order.
    static func fold(_ hashes: ArraySlice<UInt64>) -> UInt64 {
        var h: UInt64 = 0x1319_8A2E_0370_7344
        for x in hashes { h = mix(h ^ x) &+ 0x9E37_79B9_7F4A_7C15 }
        return h
    }

    /// SplitMix64's finaliser: every input bit reaches every output bit.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeriesFingerprint {
    /// Why `loaded` (the fingerprint of the same series' data now, over as
    /// many events: the caller checked they are loaded) is not the data of
    /// this fingerprint, or nil when it is. `subject` names the series
    /// ("the loaded ticks of EURUSD").
    func mismatch(loaded: SeriesFingerprint, subject: String) -> String? {
        if count == 0 { return nil }
        if loaded.firstTime != firstTime {
            return
                "\(subject) event 0 differs: the log's data starts at time \(firstTime), the loaded data at \(loaded.firstTime)"
        }
        if loaded.lastTime != lastTime {
            return
                "\(subject) event \(count - 1) differs: its time was \(lastTime) in the log's data, \(loaded.lastTime) in the loaded data"
        }
        guard loaded.level == level, loaded.blocks.count == blocks.count else {
            return "\(subject): the log's fingerprint has another block layout (corrupt?)"
        }
        for (j, (a, b)) in zip(blocks, loaded.blocks).enumerated() where a != b {
            let start = Int64(j) * Int64(blockSize)
            let end = min(count, start + Int64(blockSize)) - 1
            return
                "\(subject) differ from the log's data at the first time within events \(start)...\(end) (of the \(count) processed before the checkpoint): prices, volumes or times changed"
        }
        return nil
    }
}
