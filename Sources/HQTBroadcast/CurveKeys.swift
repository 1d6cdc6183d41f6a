import CZeroMQ
import HQTCore

/// CURVE key helpers. Keys are Z85 text: 40 characters encoding 32 bytes.
extension Broadcaster {
    /// Whether the loaded libzmq was built with CURVE (libsodium).
    public static var curveAvailable: Bool { zmq_has("curve") == 1 }

    /// A fresh CURVE keypair in Z85. Give the secret key to the broadcaster
    /// (`BroadcastOptions.curveSecretKey`) and the public key to subscribers.
    public static func generateCurveKeyPair() throws(HQTError) -> (publicKey: String, secretKey: String) {
        guard curveAvailable else { throw HQTError(.broadcast, Self.noCurveMessage) }
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw zmqError("cannot generate a CURVE keypair")
        }
        return (cString(publicKey), cString(secretKey))
    }

    /// The Z85 public key that belongs to a Z85 secret key: what a subscriber
    /// needs (as ZMQ_CURVE_SERVERKEY) to connect to a broadcaster using it.
    public static func curvePublicKey(secretKey: String) throws(HQTError) -> String {
        guard curveAvailable else { throw HQTError(.broadcast, Self.noCurveMessage) }
        _ = try decodeCurveKey(secretKey, what: "CURVE secret key")
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else {
            throw zmqError("cannot derive the CURVE public key")
        }
        return cString(publicKey)
    }

    /// Decodes and validates a Z85 key, returning its 32 bytes.
    static func decodeCurveKey(_ key: String, what: String) throws(HQTError) -> [UInt8] {
        let utf8 = Array(key.utf8)
        guard utf8.count == 40 else {
            throw HQTError(
                .invalidArgument,
                "\(what) must be 40 Z85 characters, got \(utf8.count) (generate one with generateCurveKeyPair())")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        // zmq_z85_decode returns NULL on characters outside the Z85 alphabet.
        guard zmq_z85_decode(&bytes, key) != nil else {
            throw HQTError(.invalidArgument, "\(what) is not valid Z85 text: \(key)")
        }
        return bytes
    }

    static let noCurveMessage =
        "CURVE is not available: the loaded libzmq was built without libsodium"

    static func cString(_ chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
