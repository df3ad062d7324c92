/// The eleven connection states of RFC 9293 §3.3.2, printed exactly as the RFC spells them.
public enum TCPState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case closed = "CLOSED"
    case listen = "LISTEN"
    case synSent = "SYN-SENT"
    case synReceived = "SYN-RECEIVED"
    case established = "ESTABLISHED"
    case finWait1 = "FIN-WAIT-1"
    case finWait2 = "FIN-WAIT-2"
    case closeWait = "CLOSE-WAIT"
    case closing = "CLOSING"
    case lastAck = "LAST-ACK"
    case timeWait = "TIME-WAIT"

    public var description: String { rawValue }

    /// States after the handshake has completed (RFC 9293 §3.10.7.4 "synchronized states").
    public var isSynchronized: Bool {
        switch self {
        case .closed, .listen, .synSent, .synReceived: false
        default: true
        }
    }
}
