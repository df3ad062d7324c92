/// `TCPConfiguration.closedPortResets`: which segments to a closed port get an RST.
public enum ClosedPortResets: Sendable, Hashable {
    /// Every segment but an RST (RFC 9293 §3.10.7.1).
    case all
    /// Every one but an RST or a SYN (FreeBSD blackhole = 1).
    case exceptSYN
    /// None (FreeBSD blackhole = 2).
    case none
}
