import TCPWire

/// Congestion control: slow start and congestion avoidance (RFC 5681 §3.1), fast retransmit and
/// fast recovery (RFC 5681 §3.2) with NewReno's partial-ACK handling (RFC 6582).
extension TCPStack {
    /// A new cumulative ACK covering `acked` more sequence numbers.
    mutating func newDataAcknowledged(_ c: inout Connection, _ acked: Int) {
        let mss = c.sendMSS
        if c.inFastRecovery {
            if c.sndUna >= c.recover {
                // RFC 6582 §3.2 step 3, full acknowledgment: deflate to
                // min(ssthresh, max(FlightSize, SMSS) + SMSS) and leave fast recovery.
                c.cwnd = min(c.ssthresh, max(c.bytesInFlight, mss) + mss)
                c.inFastRecovery = false
                c.duplicateACKs = 0
            } else {
                // Step 4, partial acknowledgment: the next hole is lost too. Retransmit it, deflate
                // cwnd by what was acknowledged and add back one SMSS if that was at least one.
                c.retransmitFirst = true
                c.cwnd = max(c.cwnd - acked + (acked >= mss ? mss : 0), mss)
                statistics.fastRetransmissions += 1
            }
            return
        }
        c.duplicateACKs = 0
        // Slow start grows cwnd by at most one SMSS per ACK (RFC 5681 §3.1 with RFC 3465 L = 1),
        // congestion avoidance by about one SMSS per round trip.
        if c.cwnd < c.ssthresh {
            c.cwnd += min(acked, mss)
        } else {
            c.cwnd += max(1, mss * mss / max(c.cwnd, 1))
        }
    }

    /// A duplicate ACK (RFC 5681 §2).
    mutating func duplicateACK(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        c.duplicateACKs += 1
        statistics.duplicateACKs += 1
        let mss = c.sendMSS
        if c.inFastRecovery {
            c.cwnd += mss   // RFC 5681 §3.2 step 4: each further duplicate inflates cwnd by one SMSS
            return
        }
        // RFC 6582 §3.2 step 2: only when the cumulative ACK has passed `recover`, so that old
        // duplicates from before a timeout do not start a second recovery.
        guard c.duplicateACKs == 3, c.sndUna > c.recover || c.recover == c.iss else { return }
        // RFC 5681 §3.2 steps 2–3: ssthresh = max(FlightSize / 2, 2*SMSS), retransmit the first
        // unacknowledged segment, cwnd = ssthresh + 3*SMSS.
        c.recover = c.sndMax
        c.ssthresh = max(c.bytesInFlight / 2, 2 * mss)
        c.cwnd = c.ssthresh + 3 * mss
        c.inFastRecovery = true
        c.retransmitFirst = true
        c.rttSeq = nil   // Karn: the timed segment may be the one resent
        statistics.fastRetransmissions += 1
    }

    /// The segment at SND.UNA again (fast retransmit), SND.NXT unchanged.
    mutating func firstUnacknowledgedSegment(_ c: inout Connection, _ now: Instant, maxPayload: Int, window: UInt16) -> OutgoingSegment? {
        c.retransmitFirst = false
        let offset = max(0, Int(c.sndUna - c.sendBufferSeq))
        let outstandingData = min(c.sendBuffer.count - offset, Int(c.sndMax - c.sndUna))
        let length = max(0, min(outstandingData, c.sendMSS, maxPayload))
        let finWasSent = c.finQueued && c.sndMax == c.finSeq + 1
        let carriesFIN = finWasSent && offset + length == c.sendBuffer.count
        guard length > 0 || carriesFIN else { return nil }
        var flags: TCPFlags = [.ack]
        if carriesFIN { flags.insert(.fin) }
        if length > 0 && offset + length == c.sendBuffer.count { flags.insert(.psh) }
        statistics.retransmissions += 1
        if c.retransmitAt == nil { c.retransmitAt = now + .nanoseconds(c.rto) }
        c.ackPending = false
        let h = TCPHeader(sourcePort: c.local.port, destinationPort: c.remote.port, sequenceNumber: c.sndUna,
                          acknowledgmentNumber: c.rcvNxt, flags: flags, window: window)
        return OutgoingSegment(header: h, payloadOffset: offset, payloadLength: length)
    }
}
