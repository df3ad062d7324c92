/// TCP Fast Open counters of a stack (after Linux's TCPFastOpen* MIB counters).
public struct FastOpenStatistics: Sendable, Hashable {
    /// Client SYNs whose data the peer acknowledged (TCPFastOpenActive).
    public var activeOpens = 0
    /// Client SYNs with data the peer did not acknowledge: resent after the handshake
    /// (TCPFastOpenActiveFail).
    public var activeFailures = 0
    /// Server: SYNs whose data was accepted, connections made at once (TCPFastOpenPassive).
    public var passiveOpens = 0
    /// Server: SYNs with an invalid cookie (TCPFastOpenPassiveFail).
    public var passiveFailures = 0
    /// Server: cookie requests answered (TCPFastOpenCookieReqd).
    public var cookieRequests = 0

    public init() {}

    public mutating func add(_ o: FastOpenStatistics) {
        activeOpens += o.activeOpens
        activeFailures += o.activeFailures
        passiveOpens += o.passiveOpens
        passiveFailures += o.passiveFailures
        cookieRequests += o.cookieRequests
    }
}
