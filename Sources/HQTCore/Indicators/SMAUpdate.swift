/// What an SMA's update touches, as plain pointers and constants: the bar
/// loop (`Engine.updateBarIndicatorsSlow`) keeps a copy in its table and
/// updates an SMA inline, without loading the indicator's fields through
/// the object or calling out. The operations are those of `Indicator.step`
/// for `.sma` (exact 128-bit window sum, one conversion, one division by
/// period × scale computed the same way), so the values are the same bits.
struct SMAUpdate {
    /// The update count (scalar slot 0 of the indicator's memory).
    let counter: UnsafeMutableRawPointer
    let window: IntWindow
    let divisor: Double
    let view: UnsafeMutablePointer<IndicatorView>
    let sketch: UnsafeMutableRawPointer

    @inline(__always)
    func step(_ x: Int64, time: Int64) {
        counter.storeBytes(of: counter.load(as: Int64.self) &+ 1, as: Int64.self)
        let (sum, full) = window.pushSum(x)
        let value = full ? sum.double / divisor : .nan
        // The history ring, as `Indicator.emit` writes it for one output.
        let v = view
        var slot = v.pointee.last &+ 1
        if slot == v.pointee.capacity { slot = 0 }
        let at = v.pointee.values + Int(slot)
        at.pointee = value
        v.pointee.last = slot
        v.pointee.count &+= 1
        if full { Indicator.addToSketch(sketch, outputs: 1, time: time, at) }  // the values that are not NaN
    }
}
