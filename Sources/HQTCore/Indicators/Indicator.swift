/// One indicator computed incrementally by the engine: O(1) (amortized for
/// highest/lowest) per update, no allocation after it is declared.
///
/// Inputs are the engine's exact integer prices; windowed sums (SMA, WMA,
/// standard deviation, Bollinger bands, seeds) are exact 128-bit integer
/// sums, converted to a double once per value, so they never drift over a
/// long run. Recursive smoothing (EMA, RSI, ATR, MACD) and ratios are in
/// double, as TA-Lib computes them: their values are real numbers, not
/// prices, and matching TA-Lib's formulas operation for operation keeps
/// the results within a few ulps of TA-Lib's (tests: test_indicators.py).
public final class Indicator {
    public let spec: IndicatorSpec
    /// Read in place by C and Python (`hqt_engine_indicator_view`).
    public let view: UnsafeMutablePointer<IndicatorView>
    let memory: UnsafeMutableRawPointer
    let bytes: Int
    let kind: IndicatorKind
    /// Copied out of `spec` for the update path (reading them through the
    /// struct, which holds an array, costs retains per update).
    let source: PriceSource
    let timeframe: Timeframe?
    let outputs: Int
    /// Integer input units per price unit: 1e6, or 2e6 for mid (bid + ask).
    let scale: Double
    let p0: Int, p1: Int, p2: Int
    let d1: Double, d2: Double
    /// An SMA's update as plain values (nil for the other kinds).
    let sma: SMAUpdate?
    /// Byte offsets in `memory`.
    let ringAt: Int, sketchAt: Int, scalarsAt: Int, w0At: Int, w1At: Int, w2At: Int
    /// Plot sketch: at most this many points, thinned by halves when full.
    static let sketchCapacity = 2048
    /// Restored from a snapshot and not yet declared again (see `Engine.declareIndicator`).
    var claimed = true

    public init(_ spec: IndicatorSpec) {
        self.spec = spec
        kind = spec.kind
        source = spec.source
        timeframe = spec.timeframe
        outputs = kind.outputs
        scale = spec.source == .mid ? 2e6 : 1e6
        let ps = spec.params
        p0 = Int(ps[0])
        p1 = ps.count > 1 ? Int(ps[1]) : 0
        p2 = ps.count > 2 ? Int(ps[2]) : 0
        d1 = ps.count > 1 ? ps[1] : 0
        d2 = ps.count > 2 ? ps[2] : 0
        var slab = Slab()
        ringAt = slab.take(8 * spec.history * outputs)
        sketchAt = slab.take(32 + 8 * Indicator.sketchCapacity * (1 + outputs))
        scalarsAt = slab.take(16 * 8)
        switch kind {
        case .sma, .wma, .stddev, .bbands:
            w0At = slab.take(IntWindow.bytes(p0)); w1At = 0; w2At = 0
        case .macd:
            w0At = slab.take(IntWindow.bytes(p0)); w1At = slab.take(IntWindow.bytes(p1)); w2At = 0
        case .stoch:
            w0At = slab.take(Extreme.bytes(p0)); w1At = slab.take(Extreme.bytes(p0))
            w2At = slab.take(RealWindow.bytes(p1) + RealWindow.bytes(p2) + 16)
        case .donchian:
            w0At = slab.take(Extreme.bytes(p0)); w1At = slab.take(Extreme.bytes(p0)); w2At = 0
        case .highest, .lowest:
            w0At = slab.take(Extreme.bytes(p0)); w1At = 0; w2At = 0
        case .ema, .rsi, .atr:
            w0At = 0; w1At = 0; w2At = 0
        }
        bytes = slab.size
        memory = .allocate(byteCount: bytes, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        let values = (memory + ringAt).bindMemory(to: Double.self, capacity: spec.history * outputs)
        values.update(repeating: .nan, count: spec.history * outputs)
        view = .allocate(capacity: 1)
        view.initialize(
            to: IndicatorView(
                count: 0, capacity: Int64(spec.history), outputs: Int64(outputs), last: Int64(spec.history - 1),
                warmup: spec.warmup, values: values))
        sma =
            kind == .sma
            ? SMAUpdate(
                counter: memory + scalarsAt, window: IntWindow(p: memory + w0At, n: p0),
                divisor: Double(p0) * scale, view: view, sketch: memory + sketchAt) : nil
        sketch.storeBytes(of: 1, toByteOffset: 8, as: Int.self)  // stride
    }

    deinit {
        memory.deallocate()
        view.deallocate()
    }

    // MARK: inputs

    /// A tick of the indicator's symbol. Out of line: the update loops
    /// call it for the kinds they do not update inline (`IndicatorHook`),
    /// and inlined there the whole `step` made them spill registers.
    @inline(never)
    func update(bid: Int64, ask: Int64, time: Int64) {
        let x: Int64
        switch source {
        case .ask: x = ask
        case .mid: x = bid &+ ask  // both <= 1e15: no overflow
        default: x = bid
        }
        step(x, high: x, low: x, close: x, time: time)
    }

    /// A bar of the indicator's symbol and timeframe (out of line, as above).
    @inline(never)
    func update(bar: Bar, closeTime: Int64) {
        let x: Int64
        switch Indicator.price(of: source) {
        case .open: x = bar.open
        case .high: x = bar.high
        case .low: x = bar.low
        default: x = bar.close
        }
        step(x, high: bar.high, low: bar.low, close: bar.close, time: closeTime)
    }

    /// The bar price an indicator on `source` reads: open, high, low, or
    /// close for the others (a bar has no bid, ask or mid of its own).
    @inline(__always)
    static func price(of source: PriceSource) -> PriceSource {
        switch source {
        case .open, .high, .low: return source
        default: return .close
        }
    }

    // MARK: scalars (16-byte slots)

    @inline(__always) private func real(_ i: Int) -> Double {
        memory.load(fromByteOffset: scalarsAt + 16 * i, as: Double.self)
    }
    @inline(__always) private func setReal(_ i: Int, _ v: Double) {
        memory.storeBytes(of: v, toByteOffset: scalarsAt + 16 * i, as: Double.self)
    }
    @inline(__always) private func wide(_ i: Int) -> Int128 {
        memory.load(fromByteOffset: scalarsAt + 16 * i, as: Int128.self)
    }
    @inline(__always) private func setWide(_ i: Int, _ v: Int128) {
        memory.storeBytes(of: v, toByteOffset: scalarsAt + 16 * i, as: Int128.self)
    }
    private var sketch: UnsafeMutableRawPointer { memory + sketchAt }

    // MARK: the update

    /// Slot 0 of the scalars counts the updates.
    @inline(__always)
    private func step(_ x: Int64, high: Int64, low: Int64, close: Int64, time: Int64) {
        let t = memory.load(fromByteOffset: scalarsAt, as: Int64.self)
        memory.storeBytes(of: t + 1, toByteOffset: scalarsAt, as: Int64.self)
        var v0 = Double.nan, v1 = Double.nan, v2 = Double.nan
        switch kind {
        case .sma:  // as `SMAUpdate.step`, which the update loops use for most SMAs
            let (sum, full) = IntWindow(p: memory + w0At, n: p0).pushSum(x)
            if full { v0 = sum.double / (Double(p0) * scale) }
        case .ema:
            v0 = ema(x, t: t, period: p0, sumSlot: 1, valueSlot: 2)
        case .wma:
            let w = IntWindow(p: memory + w0At, n: p0)
            let before = w.sum, count = w.count
            var weighted = wide(1)
            if w.full {
                weighted = weighted - before + Int128(p0) * Int128(x)
            } else {
                weighted += Int128(count + 1) * Int128(x)
            }
            setWide(1, weighted)
            _ = w.push(x, squaring: false)
            if w.full { v0 = weighted.double / (Double(p0 * (p0 + 1) / 2) * scale) }
        case .rsi:
            v0 = rsi(Double(x) / scale, t: t)
        case .atr:
            v0 = atr(high: Double(high) / scale, low: Double(low) / scale, close: Double(close) / scale, t: t)
        case .stddev, .bbands:
            let w = IntWindow(p: memory + w0At, n: p0)
            _ = w.push(x, squaring: true)
            if w.full {
                // n·Σx² − (Σx)² is exact and >= 0; one sqrt, one division.
                let n = Int128(p0)
                let spread = n * w.squares - w.sum * w.sum
                let sd = spread.double.squareRoot() / (Double(p0) * scale)
                if kind == .stddev {
                    v0 = sd * d1
                } else {
                    let mid = w.sum.double / (Double(p0) * scale)
                    v0 = mid + d1 * sd
                    v1 = mid
                    v2 = mid - d2 * sd
                }
            }
        case .macd:
            (v0, v1, v2) = macd(x, t: t)
        case .stoch:
            (v0, v1) = stoch(high: high, low: low, close: close, t: t)
        case .donchian:
            let hi = Extreme(p: memory + w0At, n: p0, highest: true).push(t, high)
            let lo = Extreme(p: memory + w1At, n: p0, highest: false).push(t, low)
            if t + 1 >= Int64(p0) {
                v0 = Double(hi) / scale
                v2 = Double(lo) / scale
                v1 = (v0 + v2) * 0.5
            }
        case .highest, .lowest:
            let e = Extreme(p: memory + w0At, n: p0, highest: kind == .highest).push(t, x)
            if t + 1 >= Int64(p0) { v0 = Double(e) / scale }
        }
        emit(v0, v1, v2, time: time)
    }

    /// TA-Lib's EMA: the SMA of the first `period` inputs, then
    /// ((x − ema) · k) + ema with k = 2 / (period + 1).
    @inline(__always)
    private func ema(_ x: Int64, t: Int64, period: Int, sumSlot: Int, valueSlot: Int) -> Double {
        if t < Int64(period) {
            let sum = wide(sumSlot) + Int128(x)
            setWide(sumSlot, sum)
            guard t + 1 == Int64(period) else { return .nan }
            let seed = sum.double / (Double(period) * scale)
            setReal(valueSlot, seed)
            return seed
        }
        let k = 2.0 / Double(period + 1)
        let prev = real(valueSlot)
        let v = ((Double(x) / scale - prev) * k) + prev
        setReal(valueSlot, v)
        return v
    }

    /// TA-Lib's RSI (Wilder): averages of the first `n` gains and losses,
    /// then avg = (avg · (n − 1) + change) / n.
    private func rsi(_ x: Double, t: Int64) -> Double {
        // slots: 1 previous input, 2 average gain, 3 average loss
        let prev = real(1)
        setReal(1, x)
        guard t > 0 else { return .nan }
        let n = Double(p0), diff = x - prev
        var gain = real(2), loss = real(3)
        if t <= Int64(p0) {
            if diff < 0 { loss -= diff } else { gain += diff }
            if t < Int64(p0) {
                setReal(2, gain); setReal(3, loss)
                return .nan
            }
            gain /= n; loss /= n
        } else {
            loss *= n - 1; gain *= n - 1
            if diff < 0 { loss -= diff } else { gain += diff }
            loss /= n; gain /= n
        }
        setReal(2, gain); setReal(3, loss)
        let total = gain + loss
        // TA-Lib (0.6) tests the sum against exactly 0: a flat stretch keeps
        // the last ratio while both averages decay, until they underflow.
        return total == 0 ? 0 : 100 * (gain / total)
    }

    /// TA-Lib's ATR: the mean of the first `n` true ranges (from the second
    /// input on), then Wilder's (atr · (n − 1) + tr) / n.
    private func atr(high: Double, low: Double, close: Double, t: Int64) -> Double {
        // slots: 1 previous close, 2 sum of the first true ranges, 3 atr
        let prevClose = real(1)
        setReal(1, close)
        guard t > 0 else { return .nan }
        var tr = high - low
        let up = abs(prevClose - high), down = abs(prevClose - low)
        if up > tr { tr = up }
        if down > tr { tr = down }
        let n = Double(p0)
        if t <= Int64(p0) {
            let sum = real(2) + tr
            setReal(2, sum)
            guard t == Int64(p0) else { return .nan }
            setReal(3, sum / n)
            return sum / n
        }
        let v = (real(3) * (n - 1) + tr) / n
        setReal(3, v)
        return v
    }

    /// TA-Lib's MACD: the slow EMA seeded with the SMA of the first `slow`
    /// inputs and the fast EMA with the SMA of the `fast` inputs ending at
    /// the same one (so both start together), the signal an EMA of the
    /// MACD line seeded with the SMA of its first `signal` values. All
    /// three outputs start together (after slow + signal − 1 inputs).
    private func macd(_ x: Int64, t: Int64) -> (Double, Double, Double) {
        // slots: 1 fast EMA, 2 slow EMA, 3 signal sum, 4 signal
        let fastWindow = IntWindow(p: memory + w0At, n: p0)
        let slowWindow = IntWindow(p: memory + w1At, n: p1)
        let slow = Int64(p1)
        if t < slow {
            _ = fastWindow.push(x, squaring: false)
            _ = slowWindow.push(x, squaring: false)
            guard t + 1 == slow else { return (.nan, .nan, .nan) }
            setReal(1, fastWindow.sum.double / (Double(p0) * scale))
            setReal(2, slowWindow.sum.double / (Double(p1) * scale))
        } else {
            let price = Double(x) / scale
            let kf = 2.0 / Double(p0 + 1), ks = 2.0 / Double(p1 + 1)
            setReal(1, ((price - real(1)) * kf) + real(1))
            setReal(2, ((price - real(2)) * ks) + real(2))
        }
        let line = real(1) - real(2)
        let j = t - (slow - 1)  // index of this MACD value, from 0
        if j < Int64(p2) {
            let sum = real(3) + line
            setReal(3, sum)
            guard j + 1 == Int64(p2) else { return (.nan, .nan, .nan) }
            setReal(4, sum / Double(p2))
        } else {
            let k = 2.0 / Double(p2 + 1)
            setReal(4, ((line - real(4)) * k) + real(4))
        }
        let signal = real(4)
        return (line, signal, line - signal)
    }

    /// TA-Lib's STOCH with SMA smoothing: fast %K = (close − lowest low) /
    /// ((highest high − lowest low) / 100) over `fastk` inputs (0 when the
    /// range is 0), slow %K its SMA over `slowk`, slow %D that one's SMA
    /// over `slowd`. Both outputs start together.
    private func stoch(high: Int64, low: Int64, close: Int64, t: Int64) -> (Double, Double) {
        let hh = Extreme(p: memory + w0At, n: p0, highest: true).push(t, high)
        let ll = Extreme(p: memory + w1At, n: p0, highest: false).push(t, low)
        guard t + 1 >= Int64(p0) else { return (.nan, .nan) }
        let lowest = Double(ll) / scale
        let diff = (Double(hh) / scale - lowest) / 100.0
        let fastK = diff != 0 ? (Double(close) / scale - lowest) / diff : 0
        let kWindow = RealWindow(p: memory + w2At, n: p1)
        kWindow.push(fastK)
        guard kWindow.count >= p1 else { return (.nan, .nan) }
        let slowK = kWindow.sum / Double(p1)
        let dWindow = RealWindow(p: memory + w2At + RealWindow.bytes(p1), n: p2)
        dWindow.push(slowK)
        guard dWindow.count >= p2 else { return (.nan, .nan) }
        return (slowK, dWindow.sum / Double(p2))
    }

    // MARK: output

    @inline(__always)
    private func emit(_ v0: Double, _ v1: Double, _ v2: Double, time: Int64) {
        let v = view
        var slot = v.pointee.last + 1
        if slot == v.pointee.capacity { slot = 0 }
        let base = v.pointee.values + Int(slot) * outputs
        base[0] = v0
        if outputs > 1 { base[1] = v1 }
        if outputs > 2 { base[2] = v2 }
        v.pointee.last = slot
        v.pointee.count &+= 1
        if !v0.isNaN { Indicator.addToSketch(sketch, outputs: outputs, time: time, base) }
    }

    /// Keeps every `stride`-th value for plotting, at most `sketchCapacity`:
    /// when full, every other point is dropped and the stride doubles.
    /// Sketch `s`: [count, stride, skipped since the last point, -, times, values].
    @inline(__always)
    static func addToSketch(
        _ s: UnsafeMutableRawPointer, outputs: Int, time: Int64, _ values: UnsafeMutablePointer<Double>
    ) {
        let stride = s.load(fromByteOffset: 8, as: Int.self)
        let skip = s.load(fromByteOffset: 16, as: Int.self) &+ 1  // < stride <= 2^40 (isConsistent)
        guard skip >= stride else {
            s.storeBytes(of: skip, toByteOffset: 16, as: Int.self)
            return
        }
        s.storeBytes(of: 0, toByteOffset: 16, as: Int.self)
        var n = s.load(as: Int.self)
        let times = (s + 32).assumingMemoryBound(to: Int64.self)
        let vals = (s + 32 + 8 * Indicator.sketchCapacity).assumingMemoryBound(to: Double.self)
        if n == Indicator.sketchCapacity { n = thinSketch(s, outputs: outputs, times, vals) }
        times[n] = time
        for o in 0..<outputs { vals[n * outputs + o] = values[o] }
        s.storeBytes(of: n + 1, as: Int.self)
    }

    @inline(never)
    private static func thinSketch(
        _ s: UnsafeMutableRawPointer, outputs: Int, _ times: UnsafeMutablePointer<Int64>,
        _ vals: UnsafeMutablePointer<Double>
    ) -> Int {
        let half = Indicator.sketchCapacity / 2
        for i in 0..<half {
            times[i] = times[2 * i + 1]
            for o in 0..<outputs { vals[i * outputs + o] = vals[(2 * i + 1) * outputs + o] }
        }
        s.storeBytes(of: s.load(fromByteOffset: 8, as: Int.self) * 2, toByteOffset: 8, as: Int.self)
        return half
    }

    /// The plot sketch: (time, outputs) points, oldest first.
    public func sketchPoints() -> (times: [Int64], values: [Double]) {
        let s = sketch
        let n = s.load(as: Int.self)
        let times = (s + 32).assumingMemoryBound(to: Int64.self)
        let vals = (s + 32 + 8 * Indicator.sketchCapacity).assumingMemoryBound(to: Double.self)
        return (
            Array(UnsafeBufferPointer(start: times, count: n)),
            Array(UnsafeBufferPointer(start: vals, count: n * outputs))
        )
    }

    /// Value `output` `shift` updates back (0 = newest); nil beyond the history kept.
    public func value(output: Int, shift: Int) -> Double? {
        let v = view.pointee
        guard output >= 0, output < outputs, shift >= 0, Int64(shift) < v.capacity else { return nil }
        guard Int64(shift) < v.count else { return .nan }
        var slot = v.last - Int64(shift)
        if slot < 0 { slot += v.capacity }
        return v.values[Int(slot) * outputs + output]
    }

    // MARK: snapshot

    /// The whole state: update count, newest slot, then the memory block.
    func write(into w: ByteWriter) {
        w.i64(view.pointee.count)
        w.i64(view.pointee.last)
        w.u64(UInt64(bytes))
        w.raw(UnsafeRawBufferPointer(start: memory, count: bytes))
    }

    /// Checked state from a snapshot (applied by `apply` once everything is read).
    struct Saved {
        var count: Int64, last: Int64, memory: [UInt8]
    }

    static func read(_ r: inout ByteReader, spec: IndicatorSpec) throws(HQTError) -> Saved {
        let count = try r.i64("indicator count"), last = try r.i64("indicator slot")
        let size = try r.u64("indicator bytes")
        let expected = Indicator(spec)
        guard size == UInt64(expected.bytes), count >= 0, last >= 0, last < Int64(spec.history) else {
            throw r.corrupt("indicator state (\(size) bytes, slot \(last))")
        }
        let raw = try r.take(Int(size), "indicator state")
        let saved = Saved(count: count, last: last, memory: Array(raw))
        // The block holds positions the update path indexes with: a state
        // whose positions are out of range is corruption, not memory to use.
        expected.apply(saved)
        guard expected.isConsistent else { throw r.corrupt("indicator state (positions out of range)") }
        return saved
    }

    /// Every position stored in the block is inside its buffer.
    var isConsistent: Bool {
        func int(_ o: Int) -> Int { memory.load(fromByteOffset: o, as: Int.self) }
        func window(_ at: Int, _ n: Int) -> Bool { (0..<n).contains(int(at)) && (0...n).contains(int(at + 8)) }
        let s = sketchAt
        guard (0...Indicator.sketchCapacity).contains(int(s)), (1...(1 << 40)).contains(int(s + 8)),
            (0..<int(s + 8)).contains(int(s + 16)),
            // the update count: the update paths add to it and to values derived from it
            (0...(1 << 62)).contains(int(scalarsAt))
        else { return false }
        switch kind {
        case .sma, .wma, .stddev, .bbands: return window(w0At, p0)
        case .macd: return window(w0At, p0) && window(w1At, p1)
        case .stoch:
            return window(w0At, p0) && window(w1At, p0) && window(w2At, p1)
                && window(w2At + RealWindow.bytes(p1), p2)
        case .donchian: return window(w0At, p0) && window(w1At, p0)
        case .highest, .lowest: return window(w0At, p0)
        case .ema, .rsi, .atr: return true
        }
    }

    func apply(_ s: Saved) {
        s.memory.withUnsafeBytes { src in
            if let from = src.baseAddress { memory.copyMemory(from: from, byteCount: min(bytes, src.count)) }
        }
        view.pointee.count = s.count
        view.pointee.last = s.last
    }
}
