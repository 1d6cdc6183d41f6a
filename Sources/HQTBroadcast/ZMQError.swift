import CZeroMQ
import HQTCore

/// An `HQTError(.broadcast, ...)` carrying libzmq's description of the
/// current errno, so messages say what ZeroMQ actually refused.
func zmqError(_ context: String, errno code: Int32 = zmq_errno()) -> HQTError {
    let reason = String(cString: zmq_strerror(code))
    return HQTError(.broadcast, "\(context): \(reason)")
}
