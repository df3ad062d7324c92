import TCPCore

extension Instant {
    /// Later than any time a run reaches (an outage that never ends, unless the network heals).
    public static let forever = Instant(nanoseconds: .max)
}
