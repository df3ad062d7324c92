/// Whether a connection uses Explicit Congestion Notification (RFC 3168): the names follow Linux's
/// `net.ipv4.tcp_ecn` (0, 1, 2) and FreeBSD's `net.inet.tcp.ecn.enable` (0, 1, 2).
public enum ECNMode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Never: our SYN is no ECN-setup SYN and our SYN-ACK never agrees to one (`tcp_ecn = 0`).
    case off
    /// Answer an ECN-setup SYN with an ECN-setup SYN-ACK, but send plain SYNs (`tcp_ecn = 2`,
    /// Linux's default; FreeBSD's `ecn.enable = 2`, its default).
    case acceptOnly
    /// Also ask for ECN: our SYNs are ECN-setup SYNs (`tcp_ecn = 1`; FreeBSD `ecn.enable = 1`).
    case on

    public var description: String {
        switch self {
        case .off: "off"
        case .acceptOnly: "accept-only"
        case .on: "on"
        }
    }
}
