/// What an ACK that advances SND.UNA counts when it grows cwnd (`TCPConfiguration.windowGrowth`).
public enum WindowGrowth: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// RFC 3465 Appropriate Byte Counting: the bytes the cumulative ACK newly covers, at most
    /// L = 2·SMSS per ACK in slow start (RFC 3465 §2.2).
    case byteCounting = "abc"
    /// Linux (tcp_cong_control, tcp_slow_start): the data the ACK newly delivers — cumulatively
    /// acknowledged and not SACKed before, plus newly SACKed; without SACK, one segment per
    /// duplicate ACK counted already — with no per-ACK limit. Slow start stops at ssthresh and the
    /// rest of the ACK counts for congestion avoidance. Only an ACK that advances SND.UNA grows
    /// cwnd (RFC 5681 §3.1's "ACK that acknowledges new data").
    case delivered
    public var description: String { rawValue }
}
