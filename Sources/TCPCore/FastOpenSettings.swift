/// TCP Fast Open (RFC 7413) for a stack: who may use it and the server's cookie key. Linux
/// sets the same with the `net.ipv4.tcp_fastopen` bits (`init(linuxFlags:)`) and
/// `net.ipv4.tcp_fastopen_key`. Changeable while the stack runs (`TCPStack.fastOpen`), as a
/// sysctl is; everything off by default.
public struct FastOpenSettings: Sendable, Hashable {
    /// Active opens may carry data in the SYN with a cached cookie, or ask for a cookie
    /// (Linux 0x1, TFO_CLIENT_ENABLE).
    public var client = false
    /// Listeners that enabled Fast Open accept data in SYNs with valid cookies and hand out
    /// cookies (0x2, TFO_SERVER_ENABLE).
    public var server = false
    /// The client sends data in its SYN without a cookie, and without the option (0x4,
    /// TFO_CLIENT_NO_COOKIE).
    public var clientWithoutCookie = false
    /// The server takes data in any SYN, cookie or not (0x200, TFO_SERVER_COOKIE_NOT_REQD).
    public var serverWithoutCookie = false
    /// Every listener uses Fast Open, its queue as long as its backlog, without the
    /// TCP_FASTOPEN socket option (0x400, TFO_SERVER_WO_SOCKOPT1).
    public var serverForAllListeners = false
    /// The cookie key (nil: one drawn from the stack's generator when the stack is made).
    public var key: FastOpenKey? = nil

    public init() {}

    /// The meaning of Linux's `tcp_fastopen` bits; bits Linux no longer defines are ignored.
    public init(linuxFlags f: Int, key: FastOpenKey? = nil) {
        client = f & 0x1 != 0
        server = f & 0x2 != 0
        clientWithoutCookie = f & 0x4 != 0
        serverWithoutCookie = f & 0x200 != 0
        serverForAllListeners = f & 0x400 != 0
        self.key = key
    }

    /// The `tcp_fastopen` value with these bits.
    public var linuxFlags: Int {
        (client ? 0x1 : 0) | (server ? 0x2 : 0) | (clientWithoutCookie ? 0x4 : 0)
            | (serverWithoutCookie ? 0x200 : 0) | (serverForAllListeners ? 0x400 : 0)
    }
}
