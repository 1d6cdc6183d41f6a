/// The one order in which loaded events run: by time; at equal times bars
/// before ticks, then lower symbol id, then shorter timeframe. `run`,
/// recovery's re-walk and a resumed run's warm-up all step through this
/// type, so they cannot disagree about the order.
///
/// A loser tree (tournament tree) over the series: each step costs
/// log2(series) comparisons on keys kept in raw memory, so a portfolio of
/// many symbols runs nearly as fast as one.
struct Merge {
    /// One input series: its sort-key column and the cursor it advances.
    struct Leaf {
        /// Sort keys: tick times, or bar close times.
        var times: UnsafePointer<Int64>
        /// Tick prices (bar leaves: unused, point at `times`).
        var bid: UnsafePointer<Int64>
        var ask: UnsafePointer<Int64>
        var count: Int
        var cursor: UnsafeMutablePointer<Int>
        /// Bar series: index into `Feed.bars`; tick series: -1 - symbol id.
        var source: Int
    }

    let leafCount: Int
    private let leaves: UnsafeMutablePointer<Leaf>
    /// Current key of each leaf: time in the high 64 bits (sign flipped, so
    /// unsigned order is time order), the tie rank (the leaf's index: leaves
    /// are laid out in tie order) in the low ones; all ones once exhausted.
    /// One unsigned comparison decides a match, without branches.
    private let keys: UnsafeMutablePointer<UInt128>
    /// tree[0]: the current winner; tree[1..<leafCount]: the loser of each match.
    private let tree: UnsafeMutablePointer<Int>
    /// Events left in all leaves (raw, so `next()` needs no `mutating`
    /// and the run loop can work on a copy of the merge).
    private let left: UnsafeMutablePointer<Int>
    var remaining: Int { left.pointee }

    /// `leaves` must already be in tie order (bars by symbol and timeframe,
    /// then ticks by symbol).
    init(_ input: [Leaf]) {
        leafCount = input.count
        let n = max(leafCount, 1)
        leaves = .allocate(capacity: n)
        keys = .allocate(capacity: n)
        tree = .allocate(capacity: n)
        left = .allocate(capacity: 1)
        left.pointee = 0
        for (i, leaf) in input.enumerated() {
            (leaves + i).initialize(to: leaf)
            let c = leaf.cursor.pointee
            left.pointee += max(leaf.count - c, 0)
            keys[i] = c < leaf.count ? Merge.key(time: leaf.times[c], rank: i) : .max
        }
        tree[0] = 0
        guard leafCount > 1 else { return }
        // Play every match bottom-up; winners[] is scratch for the build only.
        let winners = UnsafeMutablePointer<Int>.allocate(capacity: 2 * leafCount)
        defer { winners.deallocate() }
        for i in 0..<leafCount { winners[leafCount + i] = i }
        var node = leafCount - 1
        while node >= 1 {
            let a = winners[2 * node], b = winners[2 * node + 1]
            if less(a, b) { winners[node] = a; tree[node] = b } else { winners[node] = b; tree[node] = a }
            node -= 1
        }
        tree[0] = winners[1]
    }

    /// Frees the raw memory; the merge must not be used afterwards.
    func deallocate() {
        leaves.deallocate(); keys.deallocate(); tree.deallocate(); left.deallocate()
    }

    @inline(__always)
    static func key(time: Int64, rank: Int) -> UInt128 {
        UInt128(UInt64(bitPattern: time) ^ 0x8000_0000_0000_0000) << 64 | UInt128(UInt(bitPattern: rank))
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool { keys[a] < keys[b] }

    /// The next event: its leaf and row. The leaf's cursor is advanced.
    /// Call only while `remaining > 0`.
    @inline(__always)
    func next() -> (leaf: UnsafePointer<Leaf>, row: Int) {
        let w = tree[0]
        let leaf = UnsafePointer(leaves + w)
        let row = leaf.pointee.cursor.pointee
        leaf.pointee.cursor.pointee = row &+ 1
        left.pointee &-= 1
        keys[w] = row &+ 1 < leaf.pointee.count ? Merge.key(time: leaf.pointee.times[row &+ 1], rank: w) : .max
        if leafCount > 1 { replay(from: w) }
        return (leaf, row)
    }

    /// The leaf `w` has a new key: replay its matches up to the root.
    @inline(__always)
    private func replay(from w: Int) {
        var winner = w
        var node = (w &+ leafCount) >> 1
        var winnerKey = keys[w]
        while node > 0 {
            // Select without branching: which leaf wins is data-dependent
            // and unpredictable in an interleaved portfolio.
            let challenger = tree[node]
            let challengerKey = keys[challenger]
            let swap = challengerKey < winnerKey
            tree[node] = swap ? winner : challenger
            winner = swap ? challenger : winner
            winnerKey = swap ? challengerKey : winnerKey
            node >>= 1
        }
        tree[0] = winner
    }
}
