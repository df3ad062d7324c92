import TCPWire

/// Transmit offloads (TSO and checksum offload): the engine hands the device one large segment
/// that the device cuts into the segments the engine would otherwise have sent one by one.
///
/// Equivalence with sending one MSS at a time is the rule: a TSO segment is only ever a run of
/// full-sized segments (the send MSS each, after options), plus a short last one only where
/// Nagle's algorithm would have let that one go too. Linux's segmentation (`tcp_gso_segment`)
/// copies the TCP header with its options onto every piece, numbers the pieces' sequence numbers
/// up from the packet's, and keeps FIN and PSH on the last piece only, so the peer sees the same
/// segments, timestamps and all. What stays per wire segment in the engine:
/// - the SACK scoreboard and RACK keep one record per piece (`recordLargeTransmission`), so
///   RFC 6675 IsLost, the DupThresh count, RACK's per-segment send times and retransmission
///   (one MSS at a time) are unchanged;
/// - cwnd, the peer's window and PRR are consumed in bytes as before; a TSO segment never takes
///   more than `sendRoom` allows, and it is a whole number of segments;
/// - counters: `TCPStatistics.segmentsSent`, `ConnectionCounters.segmentsSent` and
///   `segmentsRetransmitted` count wire segments (pieces), as Linux's `tcpi_segs_out` counts
///   `tcp_skb_pcount`; `TCPStatistics.largeSegmentsSent` counts the TSO packets themselves.
/// Retransmissions: after a timeout without SACK the data path goes back and sends as above; from
/// the SACK scoreboard, NextSeg rule (1) sends a lost record together with the lost records right
/// behind it that it would send next anyway (`extendRetransmission`).
/// Not TSO: SYN, FIN-only, zero-window probes, pure ACKs, RSTs, the tail loss probe
/// (RFC 8985 §7.3 sends one segment), the first retransmission on entering recovery, NextSeg
/// rules (3) and (4).
/// The one difference on the wire: a short last piece carries no SACK blocks (the options are
/// the same on every piece, and the full ones have no room for them, RFC 6691 §3).
extension TCPStack {
    /// Writes the next IP packet to send into `buffer`, letting the device finish what `offload`
    /// says it can (TCP segmentation, checksum), and describes it; nil when there is nothing to
    /// send. With `offload: .none` the bytes are exactly those `pollTransmit(now:into:)` writes.
    /// With `maximumSegmentBytes` above a connection's MSS, new data (data sent again after a
    /// timeout, and runs of lost segments SACK recovery resends) may go as one TSO segment of up to that many payload bytes (and at
    /// most 65535 − 40 − 60 for IPv4, 65535 − 60 for IPv6, and what `buffer` holds); its
    /// `segmentSize` is then the connection's send MSS. With `checksum`, every packet's TCP
    /// checksum is left partial (`TransmittedPacket.checksumPartial`); the IPv4 header checksum is
    /// always complete. Call until nil after every input, timeout or application call.
    public mutating func pollTransmit(now: Instant, into buffer: UnsafeMutableRawBufferPointer,
                                      offload: TransmitOffload) -> TransmittedPacket? {
        transmit(now: now, into: buffer, offload: offload)
    }

    /// Payload for a TSO segment at SND.NXT, at most `limit`: a whole number of MSS-sized
    /// segments within the usable window, with the short rest of the queue on the end only when
    /// `sendableLength` would send that rest as a segment of its own right after (Nagle, RFC 9293
    /// §3.7.4 with Minshall's refinement; FIN; TCP_NODELAY; data sent before). The caller has
    /// found one full segment sendable. A pending tail loss probe sends one segment.
    func largeSegmentLength(_ c: Connection, limit: Int) -> Int {
        let mss = c.sendMSS
        if c.scoreboard?.tlpPending == true { return mss }   // RFC 8985 §7.3: one segment
        let unsent = c.unsentBytes
        let length = min(unsent, limit, sendRoom(c))
        guard length > mss else { return mss }
        let full = length / mss * mss
        guard length == unsent, full < length else { return full }
        // The queue's short tail: it goes along when it would go by itself after the full ones.
        let tailStart = c.sndNxt + full
        let tailGoes = tailStart < c.sndMax || finSendableAfterData(c)
            || (!c.sendHold.holdsShortSegment && (c.noDelay || c.sndSml <= c.sndUna))   // TCPStack+Corking.swift
        return tailGoes ? length : full
    }

    /// Counts a TSO segment's retransmitted pieces (those starting below SND.MAX), before SND.NXT
    /// moves past it.
    mutating func countLargeSegmentRetransmissions(_ c: inout Connection, length: Int, segmentSize: Int) {
        var offset = 0
        while offset < length && c.sndNxt + offset < c.sndMax {
            countRetransmission(&c, bytes: min(segmentSize, length - offset))
            offset += segmentSize
        }
    }

    /// RFC 6675 NextSeg rule (1) with TSO: record `i` has just been made a one-MSS
    /// retransmission `seg`; the lost records right after it join it, as long as each is one the
    /// next call would resend at once: unSACKed, lost, not yet resent, below the highest SACK in
    /// fast recovery, with cwnd − pipe still at least one MSS, whole segments only (a longer
    /// record is split as `retransmit` splits it), no FIN. Each record is accounted as
    /// `retransmit` accounts it (pipe, counters, send time, PRR, undo).
    mutating func extendRetransmission(_ c: inout Connection, _ sb: Scoreboard, _ i: Int, _ seg: inout OutgoingSegment,
                                       _ now: Instant, limit: Int) {
        let mss = c.sendMSS
        guard seg.payloadLength == mss, !seg.header.flags.contains(.fin),
              !endsRecord(c, sb[i].start + mss) else { return }   // MSG_EOR (TCPStack+Corking.swift)
        var j = i + 1
        while seg.payloadLength + mss <= limit && j < sb.count && c.cwnd - sb.pipe >= mss {
            var r = sb[j]
            guard !r.sacked, r.flags.contains(.lost), !r.flags.contains(.retransmitted), !r.flags.contains(.fin),
                  r.start == sb[j - 1].end, c.inRTORecovery || sb.highestSACKed.map({ r.start < $0 }) ?? true else { break }
            if r.length > mss {
                guard sb.split(j, at: r.start + mss) else { break }
                r = sb[j]
            }
            let offset = Int(r.start - c.sendBufferSeq)
            guard offset == seg.payloadOffset + seg.payloadLength, offset + r.length <= c.sendBuffer.count else { break }
            r.flags.insert([.retransmitted, .everRetransmitted])
            r.sentAt = now
            sb[j] = r
            sb.pipe += r.length
            countRetransmission(&c, bytes: r.length)
            if c.inFastRecovery && sb.undoMarker != nil { sb.undoRetransmissions += 1 }
            if c.inFastRecovery && configuration.proportionalRateReduction { congestionRecoverySent(&c, bytes: r.length) }
            if c.rttSeq.map({ $0 >= r.start && $0 < r.end }) ?? false { c.rttSeq = nil }   // Karn
            seg.payloadLength += r.length
            seg.segmentSize = mss
            j += 1
            if r.length < mss || endsRecord(c, r.end) { break }   // a short record, or a record the application ended, ends the run
        }
        if seg.segmentSize > 0 {
            if segmentEndPushes(c, end: c.sendBufferSeq + seg.payloadOffset + seg.payloadLength) { seg.header.flags.insert(.psh) }
            else { seg.header.flags.remove(.psh) }
        }
    }

    /// Records a TSO segment [seq, seq + length) on the scoreboard as the pieces the device sends
    /// (RFC 8985 §6.1 keeps a send time per segment), the FIN on the last.
    mutating func recordLargeTransmission(_ c: inout Connection, seq: SequenceNumber, length: Int, segmentSize: Int,
                                          fin: Bool, now: Instant) {
        guard c.sackOK else { return }
        var offset = 0
        while offset < length {
            let piece = min(segmentSize, length - offset)
            let last = offset + piece == length
            recordTransmission(&c, seq: seq + offset, length: piece + (last && fin ? 1 : 0), fin: last && fin, payload: piece, now: now)
            offset += piece
        }
    }
}

/// Receive offload: a device with GRO/LRO (a TUN device with `IFF_VNET_HDR` and `TUN_F_TSO4/6`)
/// hands over runs of in-order segments coalesced into one, up to 64 KiB. Nothing in the input
/// path assumes a segment of at most one MSS (window checks, reassembly and SACK blocks work on
/// sequence ranges); what does is the estimate of the peer's segment size.
extension TCPStack {
    /// A data segment longer than the largest seen so far. `rcvMSS` (the receiver's estimate of
    /// the sender's MSS, which delayed ACKs and quick-ACK mode count in) follows it only up to
    /// the MSS we announced (RFC 9293 §3.7.1: the peer sends no larger segment): longer is a
    /// coalesced run, which counts as the segments it holds (RFC 5681 §4.2: with two full-sized
    /// segments unacknowledged the ACK goes at once; Linux likewise counts `gso_segs`).
    mutating func largeSegmentArriving(_ c: inout Connection, payload: Int) {
        let limit = receiveSegmentSize > 0 ? receiveSegmentSize : max(c.announcedMSS, 1)
        c.rcvMSS = UInt16(clamping: min(payload, limit))
        guard payload > limit else { return }
        let extra = (payload + Int(c.rcvMSS) - 1) / Int(c.rcvMSS) - 1
        statistics.largeSegmentsReceived += 1
        statistics.segmentsReceived += extra
        c.counters.segmentsReceived &+= UInt32(truncatingIfNeeded: extra)
    }
}

extension TCPStack {
    /// A coalesced packet whose device said how it was cut (a TUN device's virtio-net header
    /// `gso_size`): handled as `handle(ipPacket:)`, with `segmentSize` as the peer's segment size
    /// (`rcvMSS`, Linux's tcp_measure_rcv_mss from gso_size) and the count of segments it holds.
    public mutating func handle(coalescedPacket packet: UnsafeRawBufferPointer, segmentSize: Int, now: Instant,
                                verifyChecksum: Bool = true) {
        receiveSegmentSize = max(0, min(segmentSize, 65535))
        defer { receiveSegmentSize = 0 }
        handle(ipPacket: packet, now: now, verifyChecksum: verifyChecksum)
    }
}
