/// Options of one connection, the ones sockets set with setsockopt (TCP_NODELAY, SO_KEEPALIVE,
/// TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT, TCP_USER_TIMEOUT). Defaults in
/// `TCPConfiguration.connectionOptions`; per connection with `TCPStack.setOptions`.
public struct ConnectionOptions: Sendable, Hashable {
    /// Turns Nagle's algorithm off (TCP_NODELAY, RFC 9293 §3.7.4 MUST-17).
    public var noDelay: Bool = false
    /// Corks the connection (Linux's TCP_CORK, tcp(7)): a short segment waits until the queue
    /// fills a full-sized one, the option is cleared, `TCPStack.push` is called, or, with nothing
    /// in flight, one retransmission timeout (at most 1 s) passed (Linux's 200 ms ceiling is its
    /// minimum RTO). Stronger than Nagle: it holds even with nothing unacknowledged and with
    /// `noDelay`. Clearing it sends what it held. `TCPStack+Corking.swift`.
    public var cork: Bool = false
    /// A limit on the bytes queued and not yet sent (Linux's TCP_NOTSENT_LOWAT, tcp(7)): a write
    /// starts a new buffer only while fewer are unsent, and `.writable` waits for that (see
    /// `TCPStack+NotSentLowat.swift`). nil: the configuration's (`TCPConfiguration.notSentLowat`).
    public var notSentLowat: Int? = nil
    /// Keep-alives (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6): off by default (MUST-25).
    public var keepAlive: Bool = false
    /// Idle time before the first keep-alive (MUST-28: at least 2 hours by default; Linux
    /// tcp_keepalive_time = 7200 s). Whole seconds, at most 65535 (like Linux's, at most 32767).
    public var keepAliveIdle: Duration = .seconds(7200)
    /// Time between unanswered keep-alives (Linux tcp_keepalive_intvl = 75 s). Whole seconds.
    public var keepAliveInterval: Duration = .seconds(75)
    /// Unanswered keep-alives before the connection fails with `timedOut` (Linux tcp_keepalive_probes = 9).
    public var keepAliveCount: Int = 9
    /// User timeout (RFC 9293 §3.8.3, RFC 5482 semantics without the option; Linux
    /// TCP_USER_TIMEOUT): when sent data (or a SYN) stays unacknowledged this long, the connection
    /// fails with `timedOut`, whatever the retry count. Measured from the last time SND.UNA
    /// advanced, or from the first transmission after nothing was outstanding. While probing a
    /// zero window, the connection fails only when nothing at all arrived for that long. nil: off
    /// (only the retry limits apply).
    public var userTimeout: Duration? = nil
    /// Tell the application of soft errors with `TCPEvent.softError` (RFC 9293 §3.8.3 SHLD-9,
    /// §3.9.2.2 SHLD-25). false turns the events off (SHLD-20); `takeSoftError` still reads them.
    public var reportSoftErrors: Bool = true
    /// Differentiated Services codepoint (RFC 2474, 0...63; IP_TOS >> 2 / IPV6_TCLASS >> 2 on a
    /// socket) carried unchanged in the upper 6 bits of every segment's IPv4 TOS or IPv6 traffic
    /// class (RFC 9293 §3.9.1.1 MUST-48, SHLD-22); it may change during the connection (SHLD-21).
    /// The two ECN bits below it are not the application's (RFC 3168) and stay 0. Values above 63
    /// are masked to their low 6 bits.
    public var dscp: UInt8 = 0
    /// Path MTU discovery for this connection (RFC 1191, RFC 8201; Linux's IP_MTU_DISCOVER):
    /// on, IPv4 segments carry DF and ICMP Fragmentation Needed lowers the MSS; off
    /// (IP_PMTUDISC_DONT), IPv4 segments go without DF, routers may fragment them, and such ICMP
    /// messages change nothing (dropped as `icmpMTUDiscoveryOff`).
    public var pathMTUDiscovery: Bool = true
    /// R2 for this connection as a count (RFC 9293 §3.8.3 MUST-21): retransmissions of one
    /// segment — the SYN too — before the connection fails with `timedOut`. nil: the
    /// configuration's (`dataRetries`, or `synRetries` / `synAckRetries` for the handshake).
    /// At least 1; at most 255. `userTimeout` is the same limit as a time (also per connection).
    public var maximumRetransmissions: Int? = nil
    /// ECN (RFC 3168) for this connection, decided by its SYN or SYN-ACK: set it before
    /// `connect` (or on the listener). nil: the configuration's (`TCPConfiguration.ecn`).
    public var ecn: ECNMode? = nil
    /// The send buffer's size in bytes for this connection (SO_SNDBUF), at least 1; nil: the
    /// configuration's (`TCPConfiguration.sendBuffer`). A size set here is fixed: auto-tuning is
    /// off for this connection's send buffer (as Linux's SOCK_SNDBUF_LOCK). Set on an open
    /// connection, a larger size grows the buffer at once; a smaller one limits what may be queued
    /// from then on (bytes already queued stay). Values above 2^30 are clamped to 2^30.
    public var sendBufferSize: Int? = nil
    /// A cap on the segment size for this connection (TCP_MAXSEG, Linux's user_mss), 64...65535:
    /// the MSS option of its SYN or SYN-ACK announces at most this, so segments in both
    /// directions stay within it (RFC 9293 §3.7.1). Set on an open connection it lowers the
    /// effective send MSS; a cap never raises a size. nil: the configuration's (`mss`).
    public var maximumSegmentSize: Int? = nil
    /// Retransmissions of this connection's SYN before `connect` fails with `timedOut` (Linux
    /// TCP_SYNCNT), 1...255; only the handshake of an active open. nil: `maximumRetransmissions`
    /// if set, else the configuration's `synRetries`.
    public var synRetries: Int? = nil

    public init() {}
}
