import TCPWire

/// What the receiver puts in the SACK option of its next ACK (RFC 2018 §4, RFC 2883): a pending
/// D-SACK block and the starts of the most recently received out-of-order segments, newest first,
/// so that the first block is the one holding the latest segment and the others follow in the
/// order they were last reported. Inline, no allocation.
struct SACKReport {
    static let remembered = 4
    private var anchors = (SequenceNumber(0), SequenceNumber(0), SequenceNumber(0), SequenceNumber(0))
    private(set) var anchorCount = 0
    /// A duplicate to report first (RFC 2883 §4), once.
    var dsack: (left: SequenceNumber, right: SequenceNumber)?

    func anchor(_ i: Int) -> SequenceNumber {
        switch i { case 0: anchors.0; case 1: anchors.1; case 2: anchors.2; default: anchors.3 }
    }

    /// A segment starting at `seq` arrived out of order: it becomes the newest.
    mutating func received(_ seq: SequenceNumber) {
        anchors = (seq, anchors.0, anchors.1, anchors.2)
        anchorCount = min(anchorCount + 1, Self.remembered)
    }

    mutating func reset() { anchorCount = 0; dsack = nil }
}
