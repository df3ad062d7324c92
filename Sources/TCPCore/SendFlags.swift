/// What a write says about its bytes beyond the bytes themselves (the flags of send(2)).
public struct SendFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The bytes end a record (Linux's MSG_EOR on a stream socket, since 4.7): no segment carries
    /// bytes of both this record and what is written after it, the segment that ends it carries
    /// PSH, and retransmissions keep it apart too.
    public static let endOfRecord = SendFlags(rawValue: 1 << 0)
    /// More bytes follow at once (Linux's MSG_MORE, send(2)): the short tail of what is queued
    /// waits, as under TCP_CORK, until an ACK arrives, a write without this flag comes,
    /// `TCPStack.push` is called, or the cork's timeout runs out; the segment that ends the
    /// queue carries no PSH while the last write had this flag.
    public static let more = SendFlags(rawValue: 1 << 1)
}
