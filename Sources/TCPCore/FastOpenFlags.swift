/// A connection's TCP Fast Open state (RFC 7413), one small field of the TCB.
struct FastOpenFlags: OptionSet {
    var rawValue: UInt16
    /// Client: the SYN used Fast Open (a cookie request, a cookie or data; Linux's syn_fastopen).
    static let attempted = FastOpenFlags(rawValue: 1 << 0)
    /// Client: the first SYN carries an empty option, asking for a cookie (RFC 7413 §4.1.3).
    static let requestCookie = FastOpenFlags(rawValue: 1 << 1)
    /// Client: the first SYN carries the cached cookie.
    static let sendCookie = FastOpenFlags(rawValue: 1 << 2)
    /// The option goes out as kind 254 + magic 0xF989 (the peer used that form).
    static let experimental = FastOpenFlags(rawValue: 1 << 3)
    /// Client: the first SYN carries data (Linux's syn_data).
    static let synData = FastOpenFlags(rawValue: 1 << 4)
    /// The SYN's data was taken: the peer acknowledged ours, or we accepted the peer's
    /// (TCPI_OPT_SYN_DATA in tcp_info).
    static let synDataAcknowledged = FastOpenFlags(rawValue: 1 << 5)
    /// Server: a Fast Open child, created from a SYN with a valid cookie (RFC 7413 §4.2.2): it is
    /// accepted at once and may send data before the handshake completes.
    static let passive = FastOpenFlags(rawValue: 1 << 6)
    /// Client: TCP_FASTOPEN_CONNECT with a cookie at hand: the SYN waits for the first write,
    /// which it then carries.
    static let deferred = FastOpenFlags(rawValue: 1 << 7)
    /// Server: the SYN-ACK carries a cookie (the SYN asked for one or carried an invalid one).
    static let offerCookie = FastOpenFlags(rawValue: 1 << 8)
    /// Server: a Fast Open child (or, with `TCPConfiguration.resetChildStaysQueued`, any
    /// connection) reset while in the accept queue. As Linux (tcp_done leaves the
    /// request, which holds the child, queued; reqsk_fastopen_remove), it stays there, CLOSED,
    /// until accepted (its data readable, then ECONNRESET) or the listener closes.
    static let resetBeforeAccept = FastOpenFlags(rawValue: 1 << 9)
    /// Client: the SYN with data went again, plain, because the path was too small for it
    /// (`fastOpenSYNTooBig`): a resend for the path MTU, not a loss (RFC 1191 §6.5), so that
    /// SYN's retransmission does not cut the initial window to one segment.
    static let synResentForPathMTU = FastOpenFlags(rawValue: 1 << 10)
}
