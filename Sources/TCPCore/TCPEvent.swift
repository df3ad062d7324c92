import TCPWire

/// Why a connection was reset.
public enum ResetReason: String, Sendable, Hashable {
    /// RST in answer to our SYN: nobody listens there.
    case refused
    /// The peer sent an acceptable RST in a synchronized state.
    case peerReset = "peer-reset"
    /// We aborted (user ABORT, close with unread data, or data after close).
    case localAbort = "local-abort"
    /// An ICMP hard error (protocol or port unreachable, RFC 9293 §3.9.2.2 SHLD-26) aborted it;
    /// the connection's error is `TCPError.unreachable` with the cause.
    case unreachable
}

/// What the application learns from the stack (`pollEvent`).
public enum TCPEvent: Hashable, Sendable {
    /// A listener has a connection ready to `accept`.
    case connectionAvailable(ListenerID)
    /// The handshake completed (active or passive side).
    case established(ConnectionID)
    /// New data can be received.
    case readable(ConnectionID)
    /// Send buffer space opened up after the buffer had been full.
    case writable(ConnectionID)
    /// The peer's FIN arrived: after the buffered data, the stream ends.
    case peerClosed(ConnectionID)
    /// The connection was reset.
    case reset(ConnectionID, ResetReason)
    /// The retransmission or SYN retry limit ran out.
    case timedOut(ConnectionID)
    /// The connection reached CLOSED through the normal close sequence.
    case closed(ConnectionID)
    /// A soft error (RFC 9293 §3.8.3 SHLD-9, §3.9.2.2 SHLD-25, RFC 1122 §4.2.4.1 MUST-47): an ICMP
    /// message that does not abort the connection, or R1 retransmissions without progress. The
    /// connection goes on; `ConnectionOptions.reportSoftErrors` turns these off (SHLD-20), and
    /// `TCPStack.takeSoftError` reads the last one (SO_ERROR) either way.
    case softError(ConnectionID, NetworkError)
    /// R1 retransmissions without progress (RFC 9293 §3.8.3 MUST-20): negative advice to the IP
    /// layer. A driver may refresh its route or neighbour entry for `remote`.
    case negativeAdvice(ConnectionID, remote: IPAddress)
    /// The peer's urgent pointer moved ahead of the data the application has read (RFC 9293
    /// §3.8.5 MUST-32, §3.10.7.4 sixth check): urgent data is coming. Sent once per stretch of
    /// urgent data; `TCPStack.urgentStatus(of:)` says how much is left to read up to its end.
    case urgentData(ConnectionID)
}
