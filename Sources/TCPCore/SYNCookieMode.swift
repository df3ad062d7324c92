/// When a listener answers a SYN with a SYN cookie instead of keeping a half-open connection
/// (RFC 4987 §3.6). The names follow Linux's `net.ipv4.tcp_syncookies` (0, 1, 2).
public enum SYNCookieMode: String, Sendable, Hashable, CaseIterable {
    /// Never: a SYN that finds the half-open queue full is dropped (`tcp_syncookies = 0`).
    case never
    /// Only when the listener's half-open queue (its backlog) is full (`tcp_syncookies = 1`,
    /// Linux's default; FreeBSD's `net.inet.tcp.syncookies = 1`).
    case whenQueueFull
    /// For every SYN: the listener keeps no half-open connection at all (`tcp_syncookies = 2`;
    /// FreeBSD's `net.inet.tcp.syncookies_only = 1`).
    case always
}
