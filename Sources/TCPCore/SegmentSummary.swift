import TCPWire

/// A segment as the trace shows it.
public struct SegmentSummary: Hashable, Sendable {
    public var source: SocketAddress
    public var destination: SocketAddress
    public var sequenceNumber: SequenceNumber
    public var acknowledgmentNumber: SequenceNumber
    public var flags: TCPFlags
    public var window: UInt16
    public var payloadLength: Int
    public var options: TCPOptions

    public init(source: SocketAddress, destination: SocketAddress, header: TCPHeader, payloadLength: Int) {
        self.source = source
        self.destination = destination
        sequenceNumber = header.sequenceNumber
        acknowledgmentNumber = header.acknowledgmentNumber
        flags = header.flags
        window = header.window
        self.payloadLength = payloadLength
        options = header.options
    }

    /// SEG.LEN: payload plus one for SYN and one for FIN (RFC 9293 §3.4).
    public var segmentLength: Int {
        payloadLength + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}
