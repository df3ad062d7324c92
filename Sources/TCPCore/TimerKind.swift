/// Timers of a connection (RFC 9293 §3.8, RFC 6298).
public enum TimerKind: String, Sendable, Hashable, CaseIterable {
    case retransmit
    case persist
    case timeWait = "time-wait"
    case finWait2 = "fin-wait-2"
    /// The delayed-ACK timer (RFC 9293 §3.8.6.3): an ACK held back goes out.
    case delayedACK = "delayed-ack"
    /// The keep-alive timer (RFC 9293 §3.8.4): idle time or a probe interval has passed.
    case keepAlive = "keep-alive"
    /// The user timeout (RFC 9293 §3.8.3, RFC 5482): data stayed unacknowledged too long.
    case userTimeout = "user-timeout"
    /// RACK's reordering timer (RFC 8985 §6.3).
    case reorder
    /// The tail loss probe timer (RFC 8985 §7.2).
    case lossProbe = "loss-probe"
}
