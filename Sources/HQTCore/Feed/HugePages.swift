import Glibc

/// Transparent huge pages for HQT's large buffers (loaded columns, the
/// equity curve, the deal, order and trade histories). First-touching a fresh buffer costs a page fault per
/// 4 KiB: for a million bars' equity curve (32 MB) that was a third of a
/// compiled strategy's whole run, more than the bars' own work. A hint:
/// with huge pages off (or `never`) it changes nothing.
enum HugePages {
    /// Buffers from this size on are advised (below it a huge page would
    /// mostly hold nothing).
    static let minimumBytes = 4 << 20

    /// MADV_HUGEPAGE over every page the block touches. The whole pages, not
    /// only the 2 MiB-aligned middle: advising part of glibc's mapping
    /// splits it into several kernel mappings, which mremap refuses
    /// (EFAULT), and realloc then grows a column by a copy, holding it twice
    /// for a moment (an extra column at the peak of a load in chunks). The
    /// kernel uses huge pages in the aligned part either way.
    static func advise(_ p: UnsafeMutableRawPointer, bytes: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = Int(bitPattern: p) & ~(page - 1)
        let end = (Int(bitPattern: p) + bytes + page - 1) & ~(page - 1)
        guard let first = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(first, end - start, MADV_HUGEPAGE)
    }

    /// The same for the room an array has just reserved (its capacity, from
    /// its first element): the part not written yet gets huge pages.
    static func advise<T>(_ array: inout [T]) {
        let bytes = array.capacity * MemoryLayout<T>.stride
        guard bytes >= minimumBytes else { return }
        array.withUnsafeMutableBufferPointer { items in
            if let base = items.baseAddress { advise(UnsafeMutableRawPointer(base), bytes: bytes) }
        }
    }
}
