import TCPCore

/// A packet on the simulated wire, as fault rules see it.
public struct WirePacket: Sendable {
    /// Sending and receiving host names.
    public var from: String
    public var to: String
    /// 1 for the first packet from `from` to `to`, 2 for the second, ...
    public var ordinal: Int
    public var segment: SegmentSummary
    public var sentAt: Instant

    public init(from: String, to: String, ordinal: Int, segment: SegmentSummary, sentAt: Instant) {
        self.from = from
        self.to = to
        self.ordinal = ordinal
        self.segment = segment
        self.sentAt = sentAt
    }
}
