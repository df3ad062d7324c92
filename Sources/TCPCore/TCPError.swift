/// Errors returned by the stack's API. Peer misbehaviour never traps: it is a drop or one of these.
public enum TCPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The handle does not name a live connection or listener (released, or never ours).
    case invalidHandle
    /// Another listener or connection already uses this local address and port.
    case addressInUse
    /// No local address of the right IP version is configured, or the address is not ours.
    case addressNotAvailable
    /// Every ephemeral port for this destination is in use.
    case noEphemeralPort
    /// The peer answered our SYN with RST (RFC 9293 §3.10.7.3).
    case connectionRefused
    /// The peer reset the connection.
    case connectionReset
    /// The retransmission limit ran out (RFC 9293 §3.8.3, RFC 1122 §4.2.3.5).
    case timedOut
    /// The connection was aborted locally.
    case connectionAborted
    /// SEND after this side's FIN (RFC 9293 §3.10.2: "connection closing").
    case connectionClosing
    /// The connection is not yet established or already gone where the call needs it.
    case notConnected
    /// The call does not fit the handle's state (e.g. closing twice, a negative backlog).
    case invalidArgument(String)
    /// An ICMP hard error aborted the connection or its connect (RFC 9293 §3.9.2.2 SHLD-26):
    /// protocol or port unreachable.
    case unreachable(NetworkError)
    /// OPEN to an address no connection can have: unspecified, broadcast (limited, or a
    /// configured directed broadcast) or multicast (RFC 9293 §3.9.1.2 MUST-46; RFC 1122 §4.2.3.10).
    case invalidDestination

    public var description: String {
        switch self {
        case .invalidHandle: "invalid handle"
        case .addressInUse: "address in use"
        case .addressNotAvailable: "address not available"
        case .noEphemeralPort: "no ephemeral port available"
        case .connectionRefused: "connection refused"
        case .connectionReset: "connection reset by peer"
        case .timedOut: "connection timed out"
        case .connectionAborted: "connection aborted"
        case .connectionClosing: "connection closing"
        case .notConnected: "not connected"
        case .invalidArgument(let s): "invalid argument: \(s)"
        case .unreachable(let e): e.description
        case .invalidDestination: "invalid destination address (unspecified, broadcast or multicast)"
        }
    }
}
