import FuzzSupport

// Record frames built from the input (SPEC section 3, docs/wal.md 1.1):
// [magic:u32][type:u8][length:u32][crc32:u32][sequence:u64][payload].

/// ctl bits of a record in the input: which part of its frame to spoil.
enum Spoil {
    static let crc: UInt8 = 1  // flip the CRC
    static let sequence: UInt8 = 2  // sequence number off by (ctl >> 4) - 8
    static let cut: UInt8 = 4  // write only part of the frame
    static let magic: UInt8 = 8  // wrong magic
}

func frames(_ input: inout FuzzInput) -> [UInt8] {
    var file: [UInt8] = []
    var sequence: UInt64 = 0
    while !input.isAtEnd {
        let type = input.byte()
        let ctl = input.byte()
        let payload = input.take(Int(input.u16()))
        var seq = sequence
        if ctl & Spoil.sequence != 0 { seq = seq &+ UInt64(ctl >> 4) &- 8 }
        var data = withUnsafeBytes(of: seq.littleEndian) { Array($0) }
        data += payload
        let length = UInt32(data.count)
        var head: [UInt8] = [type] + withUnsafeBytes(of: length.littleEndian) { Array($0) }
        var crc = crc32(data, crc32(head, 0))
        if ctl & Spoil.crc != 0 { crc ^= 1 << UInt32(ctl >> 3 & 31) }
        let magic: UInt32 = ctl & Spoil.magic != 0 ? 0x4851_5458 : 0x4851_5457
        head = withUnsafeBytes(of: magic.littleEndian) { Array($0) } + head
        head += withUnsafeBytes(of: crc.littleEndian) { Array($0) }
        var frame = head + data
        if ctl & Spoil.cut != 0 { frame.removeLast(Int(ctl >> 4) % frame.count + 1) }
        file += frame
        sequence &+= 1
    }
    return file
}

/// zlib's CRC-32 (IEEE, reflected), continued from `crc`.
func crc32(_ bytes: [UInt8], _ crc: UInt32) -> UInt32 {
    var c = ~crc
    for b in bytes {
        c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8)
    }
    return ~c
}

let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}
