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

extension TCPStack {
    /// Puts the SACK option on an ACK-bearing segment of a SACK connection (RFC 2018 §3–4): a
    /// D-SACK block first when a duplicate arrived (RFC 2883 §4), then the block holding the most
    /// recently received segment, then the other held ranges, most recently received first, as
    /// many as fit beside the other options (4 alone, 3 with timestamps).
    /// On a data segment the blocks must fit beside the payload within the MSS (RFC 6691 §3), so a
    /// full-sized segment carries none.
    mutating func addSACKBlocks(_ c: inout Connection, _ h: inout TCPHeader, payloadLength: Int) {
        guard c.sackOK, c.state.isSynchronized, h.flags.contains(.ack), !h.flags.contains(.syn), !h.flags.contains(.rst) else { return }
        var free = 40 - h.options.encodedLength
        if payloadLength > 0 {
            // Data plus options may fill the peer's MSS. `sendMSS` already left out the 12 bytes
            // the timestamps take on every segment (Stack+RFC7323), and `encodedLength` counts
            // them again: add them back once.
            let segmentLimit = c.sendMSS + (c.timestampsOn ? 12 : 0)
            free = min(free, segmentLimit - payloadLength - h.options.encodedLength)
        }
        free -= 4   // NOP, NOP, kind, length
        let room = min(SACKBlocks.capacity, max(0, free / 8))
        guard room > 0, c.sackReport.dsack != nil || !c.assembler.isEmpty else { return }
        var blocks = SACKBlocks()
        if let d = c.sackReport.dsack {
            blocks.append(SACKBlock(left: d.left, right: d.right))
            c.sackReport.dsack = nil
            statistics.dsacksSent += 1
        }
        func add(_ r: (start: UInt32, end: UInt32)) {
            guard blocks.count < room else { return }
            let b = SACKBlock(left: c.rcvNxt + Int(r.start), right: c.rcvNxt + Int(r.end))
            if blocks.contains(b) { return }
            blocks.append(b)
        }
        for i in 0..<c.sackReport.anchorCount {
            let a = c.sackReport.anchor(i)
            guard a >= c.rcvNxt else { continue }
            if let r = c.assembler.range(containing: UInt32(a - c.rcvNxt)) { add(r) }
        }
        for i in 0..<c.assembler.count { add(c.assembler.range(i)) }
        h.options.sackBlocks = blocks
    }
}
