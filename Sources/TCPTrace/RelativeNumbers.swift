import TCPCore
import TCPWire

/// Tracks each direction's ISN so sequence numbers can be shown relative to it, as Wireshark does
/// (the relative numbers are where the notes' "x is usually 1" myth comes from).
public struct RelativeNumbers: Sendable {
    struct Direction: Hashable { var from: SocketAddress; var to: SocketAddress }
    private var isn: [Direction: SequenceNumber] = [:]

    public init() {}

    /// Feeds a segment in send order; a SYN fixes its sender's ISN.
    public mutating func observe(_ s: SegmentSummary) {
        if s.flags.contains(.syn) { isn[Direction(from: s.source, to: s.destination)] = s.sequenceNumber }
    }

    /// SEQ relative to the sender's ISN.
    public func relativeSeq(_ s: SegmentSummary) -> UInt32? {
        isn[Direction(from: s.source, to: s.destination)].map { s.sequenceNumber.rawValue &- $0.rawValue }
    }

    /// ACK relative to the receiver's ISN (only when the ACK flag is set).
    public func relativeAck(_ s: SegmentSummary) -> UInt32? {
        guard s.flags.contains(.ack) else { return nil }
        return isn[Direction(from: s.destination, to: s.source)].map { s.acknowledgmentNumber.rawValue &- $0.rawValue }
    }
}
