import HQTCore

/// How a `Broadcaster` binds and secures its socket. Defaults follow SPEC
/// section 2.
public struct BroadcastOptions: Sendable {
    /// Any libzmq bind endpoint: `tcp://*:5555`, `tcp://127.0.0.1:*` (a free
    /// port, see `Broadcaster.endpoint`), `ipc:///tmp/hqt.sock`, `inproc://name`.
    /// An `inproc` endpoint is reachable only through `Broadcaster.zmqContext`.
    public var endpoint: String = "tcp://*:5555"
    /// ZMQ_SNDHWM: frames queued per subscriber before further frames are dropped.
    public var sendHighWaterMark: Int32 = 10_000
    /// ZMQ_LINGER in milliseconds: how long `close()` may wait to flush queued
    /// frames. 0 discards them so the engine never waits on a subscriber.
    public var lingerMilliseconds: Int32 = 0
    /// Z85 secret key (40 characters) of the server. When set, the socket is a
    /// CURVE server: traffic is encrypted and a subscriber must know the
    /// matching public key (`Broadcaster.curvePublicKey(secretKey:)`).
    public var curveSecretKey: String? = nil
    /// Z85 public keys (40 characters each) of the subscribers allowed to
    /// connect. Empty: any CURVE client that knows the server's public key.
    /// Non-empty: a ZAP handler rejects every other client. Needs `curveSecretKey`.
    public var allowedClientKeys: [String] = []
    /// Before the first frame is sent, wait until this many subscriptions have
    /// arrived (late joiners), at most `waitTimeoutMilliseconds`. 0: no wait.
    public var waitSubscribers: Int = 0
    /// Upper bound of the wait for `waitSubscribers`; after it publishing
    /// proceeds with whoever is subscribed.
    public var waitTimeoutMilliseconds: Int = 5_000
    /// Bind endpoint of the snapshot/replay ROUTER (docs/zmq.md section 13),
    /// e.g. `tcp://127.0.0.1:*`; nil (default): none, and no replay store.
    public var replayEndpoint: String? = nil
    /// Events of each of TRADE, ORDER, POSITION, ACCOUNT the replay store keeps.
    public var replayWindow: Int = 65_536
    /// Path prefix of the replay spill (docs/zmq.md section 13, "Beyond the
    /// window"): older TRADE/ORDER/POSITION/ACCOUNT events go to
    /// `<prefix>.trade` etc. and are served from there. nil: none, older
    /// ranges answer GONE. Needs `replayEndpoint`. `Engine.enableBroadcasting`
    /// sets it to `<WAL path>.stream` when the engine has a WAL attached.
    public var replaySpillPath: String? = nil

    public init() {}

    /// Options with every default except the endpoint.
    public init(endpoint: String) {
        self.endpoint = endpoint
    }
}
