/// Why a connection's short segment waits beyond Nagle's algorithm: corking (`TCPStack+Corking.swift`).
/// One byte in the TCB.
struct SendHold: OptionSet, Sendable {
    var rawValue: UInt8
    /// TCP_CORK is set (`ConnectionOptions.cork`).
    static let corked = SendHold(rawValue: 1 << 0)
    /// The last write said more follows (MSG_MORE): its short tail waits until an ACK arrives or
    /// a write without the flag comes.
    static let more = SendHold(rawValue: 1 << 1)
    /// The queue's last byte came with MSG_MORE: the segment that ends the queue carries no PSH
    /// (the application has not finished its message).
    static let unpushedTail = SendHold(rawValue: 1 << 2)
    /// `TCPStack.push` was called: what is queued goes once, corked or not, until the next write.
    static let pushed = SendHold(rawValue: 1 << 3)

    /// A short segment at the queue's end waits.
    var holdsShortSegment: Bool { !isDisjoint(with: [.corked, .more]) && !contains(.pushed) }
}
