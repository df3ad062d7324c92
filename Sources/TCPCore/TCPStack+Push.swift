/// PSH placement under `PushPolicy.linux`.
///
/// Linux keeps data in buffers (skbs) and marks a buffer's end with PSH when a write ends
/// (`tcp_push` → `tcp_mark_push` on the queue's tail) or every half of the largest window offered
/// (`forced_push`); a new write that appends to an unsent marked buffer takes its mark away. On
/// the wire a buffer goes out in packets of at most min(cwnd/2, cwnd − packets in flight)
/// segments (`tcp_cwnd_test`: "at least 2 GSO packets in flight") and at most what the pacing
/// rate sends in about a millisecond, but at least 2 segments (`tcp_tso_autosize`,
/// `tcp_min_tso_segs`); GSO puts the packet's PSH on its last segment only. Since Linux 4.11 the
/// header builder (`__tcp_transmit_skb`) sets PSH on every packet of two or more segments, to
/// flush the receiver's GRO, whether or not the packet reaches a marked buffer end; a
/// single-segment packet (limited transmit, a segment per ACK) carries it only at a mark. This is
/// that rule; the marks it keeps are the queue's end and record ends (forced pushes are not
/// modelled). A few packetdrill scripts from older kernels expect no PSH on a multi-segment
/// packet cut short by cwnd. A segment that empties the queue carries PSH under either policy.
extension TCPStack {
    /// Whether the new-data segment of `length` bytes about to leave at SND.NXT ends a
    /// multi-segment packet. Counts the segment into the packet being built.
    mutating func linuxPacketEndsWith(_ c: inout Connection, length: Int) -> Bool {
        let mss = max(1, c.sendMSS)
        if c.pushPacket.left == 0 {
            // A packet starts: its size in segments, as Linux's transmit loop picks it.
            let cwndSegments = max(1, c.cwnd / mss)
            let sendable = min(c.unsentBytes, max(length, sendRoom(c)))
            var segments = min(max(1, cwndSegments / 2), (sendable + mss - 1) / mss)
            if let srtt = c.srtt, srtt > 0 {
                // Pacing rate (tcp_update_pacing_rate): cwnd·MSS/SRTT, ×2 in slow start's first
                // half, ×1.2 after; a packet is what it sends in 1/1024 s, at least 2 segments.
                let percent: Int64 = c.cwnd < c.ssthresh / 2 ? 200 : 120
                let bytesPerSecond = Int64(c.cwnd) * 1_000_000_000 / srtt * percent / 100
                segments = min(segments, max(2, Int(bytesPerSecond >> 10) / mss))
            }
            c.pushPacket = PushPacket(left: UInt8(clamping: max(1, segments)), sent: 0)
        }
        c.pushPacket.left -= 1
        c.pushPacket.sent &+= 1
        return c.pushPacket.left == 0 && c.pushPacket.sent >= 2
    }

    /// A new transmission pass (an ACK, a write, a timer): the packet being built ends.
    @inline(__always) func endPushPacket(_ c: inout Connection) {
        c.pushPacket.left = 0
    }
}
