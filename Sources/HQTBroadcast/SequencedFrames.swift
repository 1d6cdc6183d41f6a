import HQTCore

/// The frames issue 11 adds beside SPEC's (docs/zmq.md sections 11 and 12):
/// sequenced twins of the SPEC frames on topic `0x80 | T`, and SESSION
/// frames on topic 8. SPEC frames are never changed.
extension BroadcastFrame {
    /// Topic bit of a sequenced frame: `0x80 | T` carries an event of topic T.
    public static let sequenceBit: UInt8 = 0x80
    /// `[0x80|T][run id:u64][seq:u64]` before the SPEC payload.
    public static let sequencedHeaderSize = 17
    /// The largest sequenced frame (POSITION, 62 + 16).
    public static let maxSequencedSize = maxSize + 16

    /// Writes the sequenced twin of the SPEC frame at `frame` (`size` bytes,
    /// topic byte first) at `p` (at least `size + 16` bytes); returns its size.
    @inline(__always)
    public static func encodeSequenced(
        into p: UnsafeMutableRawPointer, frame: UnsafeRawPointer, size: Int, runID: UInt64, seq: UInt64
    ) -> Int {
        put(p, 0, frame.load(as: UInt8.self) | sequenceBit)
        put(p, 1, runID)
        put(p, 9, seq)
        (p + sequencedHeaderSize).copyMemory(from: frame + 1, byteCount: size - 1)
        return size + 16
    }
}

/// SESSION frames (topic 8), docs/zmq.md section 12. Rare (a few per run), so
/// they are built as arrays; never on the tick path.
public enum SessionFrame {
    public static let topic: UInt8 = 8
    /// Topic, kind, run id, time, next_seq[8].
    public static let headerSize = 82
    /// RUN_END: header + status, 4 money fields, deals, positions, orders.
    public static let runEndSize = 131

    public enum Kind: UInt8, Sendable {
        case runStart = 0, runEnd = 1, heartbeat = 2
    }

    /// One symbol of RUN_START's table.
    public struct SymbolEntry: Sendable, Equatable {
        public var id: UInt32
        public var digits: Int32
        public var contractSize: Int64
        public var name: String
        public var baseCurrency: String
        public var profitCurrency: String
        public var marginCurrency: String
        public init(
            id: UInt32, digits: Int32, contractSize: Int64, name: String, baseCurrency: String,
            profitCurrency: String, marginCurrency: String
        ) {
            self.id = id; self.digits = digits; self.contractSize = contractSize; self.name = name
            self.baseCurrency = baseCurrency; self.profitCurrency = profitCurrency
            self.marginCurrency = marginCurrency
        }
    }

    /// The final figures of RUN_END.
    public struct RunEnd: Sendable, Equatable {
        public var failed: Bool
        public var balance: Int64
        public var equity: Int64
        public var margin: Int64
        public var freeMargin: Int64
        public var deals: UInt64
        public var openPositions: UInt32
        public var pendingOrders: UInt32
        public init(
            failed: Bool, balance: Int64, equity: Int64, margin: Int64, freeMargin: Int64, deals: UInt64,
            openPositions: UInt32, pendingOrders: UInt32
        ) {
            self.failed = failed; self.balance = balance; self.equity = equity; self.margin = margin
            self.freeMargin = freeMargin; self.deals = deals; self.openPositions = openPositions
            self.pendingOrders = pendingOrders
        }
    }

    /// The 82-byte header every SESSION frame starts with.
    public static func header(kind: Kind, runID: UInt64, time: UInt64, nextSeq: [UInt64]) -> [UInt8] {
        var out: [UInt8] = [topic, kind.rawValue]
        out.reserveCapacity(headerSize + 64)
        append(&out, runID)
        append(&out, time)
        for t in 0..<8 { append(&out, t < nextSeq.count ? nextSeq[t] : 0) }
        return out
    }

    public static func runStart(
        runID: UInt64, time: UInt64, nextSeq: [UInt64], resumed: Bool, balance: Int64,
        currency: String, symbols: [SymbolEntry]
    ) -> [UInt8] {
        var out = header(kind: .runStart, runID: runID, time: time, nextSeq: nextSeq)
        out.append(resumed ? 1 : 0)
        append(&out, balance)
        appendString(&out, currency)
        append(&out, UInt32(truncatingIfNeeded: symbols.count))
        for s in symbols {
            append(&out, s.id)
            append(&out, s.digits)
            append(&out, s.contractSize)
            for text in [s.name, s.baseCurrency, s.profitCurrency, s.marginCurrency] { appendString(&out, text) }
        }
        return out
    }

    public static func runEnd(runID: UInt64, time: UInt64, nextSeq: [UInt64], _ end: RunEnd) -> [UInt8] {
        var out = header(kind: .runEnd, runID: runID, time: time, nextSeq: nextSeq)
        out.append(end.failed ? 1 : 0)
        for v in [end.balance, end.equity, end.margin, end.freeMargin] { append(&out, v) }
        append(&out, end.deals)
        append(&out, end.openPositions)
        append(&out, end.pendingOrders)
        return out
    }

    public static func heartbeat(runID: UInt64, time: UInt64, nextSeq: [UInt64]) -> [UInt8] {
        header(kind: .heartbeat, runID: runID, time: time, nextSeq: nextSeq)
    }

    static func append<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    /// `u8 length + UTF-8`, cut to 255 bytes at a character boundary so the
    /// bytes stay valid UTF-8.
    static func appendString(_ out: inout [UInt8], _ text: String) {
        var bytes = Array(text.utf8)
        if bytes.count > 255 {
            var cut = 255
            // Back off continuation bytes (10xxxxxx) so no character is split.
            while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            bytes = Array(bytes[0..<cut])
        }
        out.append(UInt8(bytes.count))
        out.append(contentsOf: bytes)
    }
}
