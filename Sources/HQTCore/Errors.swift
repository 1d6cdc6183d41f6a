/// Every failure HQT reports: a stable code (the C ABI's `HQT_E_*` value)
/// and a message that says what was wrong and, where it helps, what to do.
public struct HQTError: Error, CustomStringConvertible, Sendable {
    public enum Code: Int32, Sendable {
        case invalidArgument = 1
        case unknownSymbol = 2
        case unknownTicket = 3
        case invalidVolume = 4
        case invalidPrice = 5
        case invalidStops = 6
        case noMoney = 7
        case noPrice = 8
        case conversion = 9
        case dataOrder = 10
        case badData = 11
        case busy = 12
        case callback = 13
        case state = 14
        case io = 15
        case broadcast = 16
        case walCorrupt = 17
        case wal = 18
        case range = 19
        case interrupted = 20
        /// MT5's TRADE_RETCODE_FROZEN: within the symbol's freeze level.
        case frozen = 21
        /// MT5's TRADE_RETCODE_MARKET_CLOSED: outside the trade sessions.
        case marketClosed = 22
        /// MT5's TRADE_RETCODE_LIMIT_VOLUME: past the symbol's volume_limit.
        case limitVolume = 28
        case `internal` = 99
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
