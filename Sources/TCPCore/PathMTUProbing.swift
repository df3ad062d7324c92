/// Packetization-layer path MTU discovery (RFC 4821; RFC 8899's ideas applied to TCP), as
/// Linux's `tcp_mtu_probing` sysctl chooses it (`TCPConfiguration.pathMTUProbing`).
public enum PathMTUProbing: Sendable, Hashable, CaseIterable {
    /// Only ICMP (classic PMTUD, RFC 1191 / RFC 8201) lowers the send MSS. Linux's 0.
    case off
    /// When full-sized segments keep timing out with no ICMP (a black hole, RFC 4821 §1,
    /// RFC 2923 §2.1), the send MSS drops to a safe base and probing searches upward from it.
    /// Linux's 1 (the default of many distributions and Android).
    case afterBlackHole
    /// Every connection searches from the base MSS upward at once; an active opener starts at the
    /// base MSS, a passive one keeps the path's MSS until a probe or a path change moves it
    /// (Linux's order on each side). Linux's 2.
    case always
}
