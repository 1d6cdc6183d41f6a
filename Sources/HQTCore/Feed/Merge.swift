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
        var times: UnsafePointer<Int64>
        var count: Int
        var cursor: UnsafeMutablePointer<Int>
        /// Bar series: index into `Feed.bars`; tick series: -1 - symbol id.
        var source: Int
    }

    let leafCount: Int
    private let leaves: UnsafeMutablePointer<Leaf>
    /// Current key of each leaf: time, and the tie rank (the leaf's index:
    /// leaves are laid out in tie order) or Int.max once exhausted.
    private let keyTime: UnsafeMutablePointer<Int64>
    private let keyRank: UnsafeMutablePointer<Int>
    /// tree[0]: the current winner; tree[1..<leafCount]: the loser of each match.
    private let tree: UnsafeMutablePointer<Int>
    /// Events left in all leaves.
    private(set) var remaining: Int

    /// `leaves` must already be in tie order (bars by symbol and timeframe,
    /// then ticks by symbol).
    init(_ input: [Leaf]) {
        leafCount = input.count
        let n = max(leafCount, 1)
        leaves = .allocate(capacity: n)
        keyTime = .allocate(capacity: n)
        keyRank = .allocate(capacity: n)
        tree = .allocate(capacity: n)
        remaining = 0
        for (i, leaf) in input.enumerated() {
            (leaves + i).initialize(to: leaf)
            let c = leaf.cursor.pointee
            remaining += max(leaf.count - c, 0)
            keyTime[i] = c < leaf.count ? leaf.times[c] : .max
            keyRank[i] = c < leaf.count ? i : .max
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
        leaves.deallocate(); keyTime.deallocate(); keyRank.deallocate(); tree.deallocate()
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        let ta = keyTime[a], tb = keyTime[b]
        return ta < tb || (ta == tb && keyRank[a] < keyRank[b])
    }

    /// The next event: its source (see `Leaf.source`) and row. The cursor
    /// is advanced. Call only while `remaining > 0`.
    @inline(__always)
    mutating func next() -> (source: Int, row: Int) {
        let w = tree[0]
        let leaf = leaves[w]
        let row = leaf.cursor.pointee
        leaf.cursor.pointee = row &+ 1
        remaining &-= 1
        if row &+ 1 < leaf.count {
            keyTime[w] = leaf.times[row &+ 1]
        } else {
            keyTime[w] = .max
            keyRank[w] = .max
        }
        if leafCount > 1 { replay(from: w) }
        return (leaf.source, row)
    }

    /// The leaf `w` has a new key: replay its matches up to the root.
    @inline(__always)
    private func replay(from w: Int) {
        var winner = w
        var node = (w &+ leafCount) >> 1
        while node > 0 {
            let challenger = tree[node]
            if less(challenger, winner) {
                tree[node] = winner
                winner = challenger
            }
            node >>= 1
        }
        tree[0] = winner
    }
}
