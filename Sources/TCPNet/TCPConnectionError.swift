import TCPCore

/// Why a connection, listener or stack call failed.
public enum TCPConnectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer answered our SYN with RST: nobody listens on that port (RFC 9293 §3.10.7.3).
    case refused
    /// The peer reset the connection (RFC 9293 §3.10.7.4 second check).
    case reset
    /// The peer stopped answering: the SYN or data retransmission limit, or the user timeout, ran
    /// out (RFC 9293 §3.8.3).
    case timedOut
    /// This side closed the connection (`close`, `abort`, or the stack's shutdown), or wrote after
    /// `shutdown(.write)`.
    case closed
    /// Another listener or connection already uses this local address and port.
    case addressInUse
    /// No local address of the remote's IP version, or the given local address is not the stack's.
    case addressNotAvailable
    /// Every ephemeral port toward this destination is taken.
    case noEphemeralPort
    /// The stack was shut down (or is shutting down): no new connections or listeners.
    case stackShutDown
    /// The waiting task was cancelled. For `connect`, the half-open connection was aborted; for
    /// `write`, a prefix of the bytes may have been queued.
    case cancelled
    /// The call does not fit (e.g. a non-positive backlog).
    case invalidArgument(String)
    /// An ICMP hard error (protocol or port unreachable) aborted the connection or failed its
    /// connect (RFC 9293 §3.9.2.2).
    case unreachable(NetworkError)
    /// `connect` to an unspecified, broadcast or multicast address (RFC 9293 MUST-46).
    case invalidDestination

    /// Maps the engine's error.
    init(_ e: TCPError) {
        switch e {
        case .connectionRefused: self = .refused
        case .connectionReset: self = .reset
        case .timedOut: self = .timedOut
        case .invalidHandle, .connectionAborted, .connectionClosing, .notConnected: self = .closed
        case .addressInUse: self = .addressInUse
        case .addressNotAvailable: self = .addressNotAvailable
        case .noEphemeralPort: self = .noEphemeralPort
        case .invalidArgument(let s): self = .invalidArgument(s)
        case .unreachable(let n): self = .unreachable(n)
        case .invalidDestination: self = .invalidDestination
        }
    }

    public var description: String {
        switch self {
        case .refused: "connection refused"
        case .reset: "connection reset by peer"
        case .timedOut: "connection timed out"
        case .closed: "connection closed"
        case .addressInUse: "address in use"
        case .addressNotAvailable: "address not available"
        case .noEphemeralPort: "no ephemeral port available"
        case .stackShutDown: "network stack shut down"
        case .cancelled: "cancelled"
        case .invalidArgument(let s): "invalid argument: \(s)"
        case .unreachable(let n): "\(n)"
        case .invalidDestination: "invalid destination address (unspecified, broadcast or multicast)"
        }
    }
}
