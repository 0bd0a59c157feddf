// WebSocketCloseCode: the status code of a close frame (RFC 6455, 7.4), named where we use it.

/// The status code a close frame carries, e.g. ``protocolError`` (1002).
public struct WebSocketCloseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code as sent on the wire.
    public var rawValue: UInt16

    /// Wraps a code as sent on the wire.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection has been fulfilled.
    public static let normalClosure = WebSocketCloseCode(rawValue: 1000)
    /// 1001: the server is going away, or the peer stopped answering pings.
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// 1002: the peer broke the protocol (unmasked frame, reserved bits, bad sequence…).
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// 1003: a kind of data the endpoint does not accept (e.g. binary where text is expected).
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// 1007: a text message or close reason that is not valid UTF-8.
    public static let invalidPayload = WebSocketCloseCode(rawValue: 1007)
    /// 1008: a message that breaks the endpoint's policy (e.g. too many actions).
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// 1009: a message longer than the endpoint takes.
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// 1011: the server met a condition it could not handle.
    public static let internalError = WebSocketCloseCode(rawValue: 1011)
    /// 1013: try again later (e.g. the client could not keep up and should resume).
    public static let tryAgainLater = WebSocketCloseCode(rawValue: 1013)

    /// Whether a peer may send this code in a close frame: the codes RFC 6455 and the IANA
    /// registry assign for the wire (1000–1003, 1007–1014) and the ranges for libraries and
    /// applications (3000–4999). 1004 is reserved; 1005, 1006 and 1015 stand for "no frame"
    /// and must never be sent; codes below 1000, 1016–2999 and from 5000 are unassigned.
    public var isAllowedOnTheWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    /// The code as a decimal number, e.g. `1002`.
    public var description: String { String(rawValue) }
}
