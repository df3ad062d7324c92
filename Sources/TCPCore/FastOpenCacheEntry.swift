import TCPWire

/// What a client remembers of one server for TCP Fast Open (RFC 7413 §4.1.3; Linux keeps it in
/// tcp_metrics): the cookie, the MSS the server announced, and which option form to try.
public struct FastOpenCacheEntry: Sendable, Hashable {
    /// The server's cookie; empty until one arrived.
    public var cookie = FastOpenCookie()
    /// The cookie came in the experimental option (kind 254): send it back in that form.
    public var experimental = false
    /// The MSS option of the server's last SYN-ACK (0: none seen); bounds the data in a SYN.
    public var mss: UInt16 = 0
    /// Linux's try_exp: 0 nothing learned, 1 the server ignored a kind-34 request (ask with the
    /// experimental option next), 2 it ignored that too (back to kind 34, for good).
    public var tryExperimental: UInt8 = 0
    /// SYNs with data lost in a row (the SYN-ACK answered only a retransmitted plain SYN).
    public var synLosses: UInt8 = 0

    public init() {}
}
