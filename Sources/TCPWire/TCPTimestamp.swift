/// RFC 7323 §3 timestamps option.
public struct TCPTimestamp: Hashable, Sendable {
    public var value: UInt32
    public var echoReply: UInt32
    @inlinable public init(value: UInt32, echoReply: UInt32) { self.value = value; self.echoReply = echoReply }
}
