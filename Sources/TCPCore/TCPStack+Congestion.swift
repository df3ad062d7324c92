import TCPWire

/// Congestion control: slow start and congestion avoidance (RFC 5681 §3.1), fast retransmit and
/// fast recovery (RFC 5681 §3.2) with NewReno's partial-ACK handling (RFC 6582).
extension TCPStack {
    /// A new cumulative ACK covering `acked` more bytes of data; `delivered`, with
    /// `WindowGrowth.delivered`, what the ACK newly delivered (cumulatively or SACKed).
    mutating func newDataAcknowledged(_ c: inout Connection, _ acked: Int, _ now: Instant, delivered: Int? = nil) {
        let mss = c.sendMSS
        let prr = configuration.proportionalRateReduction
        if c.inFastRecovery && c.sackRecovery {
            return   // RFC 6675 SACK recovery: cwnd moves only through the recovery hooks below
        }
        if c.inFastRecovery {
            if c.sndUna >= c.recover {
                // RFC 6582 §3.2 step 3, full acknowledgment: leave fast recovery. With PRR,
                // cwnd = ssthresh (RFC 6937 §3); otherwise deflate to
                // min(ssthresh, max(FlightSize, SMSS) + SMSS).
                if prr {
                    congestionRecoveryEnded(&c)
                } else {
                    c.cwnd = min(c.ssthresh, max(c.bytesInFlight, mss) + mss)
                }
                c.inFastRecovery = false
                c.duplicateACKs = 0
                c.recoveryDeliveredEstimate = 0
            } else {
                // Step 4, partial acknowledgment: the next hole is lost too; retransmit it.
                c.retransmitFirst = true
                c.partialACKs = c.partialACKs == .max ? .max : c.partialACKs + 1
                statistics.fastRetransmissions += 1
                if prr {
                    // RFC 6937 §3 without SACK: DeliveredData is the change in SND.UNA less the
                    // SMSS each earlier duplicate ACK already counted.
                    let delivered = max(0, acked - c.recoveryDeliveredEstimate)
                    c.recoveryDeliveredEstimate = max(0, c.recoveryDeliveredEstimate - acked)
                    congestionRecoveryACK(&c, delivered: delivered, pipe: c.pipe)
                } else {
                    // Deflate cwnd by what was acknowledged and add back one SMSS if that was
                    // at least one.
                    c.cwnd = max(c.cwnd - acked + (acked >= mss ? mss : 0), mss)
                }
            }
            return
        }
        // Linux counts what the ACK newly delivered: without SACK, each earlier duplicate ACK
        // delivered one segment already, the ACK itself at least one (tcp_remove_reno_sacks).
        let byteCounting = configuration.windowGrowth == .byteCounting
        let growth = byteCounting ? acked : delivered ?? max(acked - c.duplicateACKs * mss, min(acked, mss))
        c.duplicateACKs = 0
        if ecnHoldsWindow(&c) { return }   // RFC 3168 §6.1.2: no growth while an ECE reduction's window drains
        // Slow start or congestion avoidance, by the configured algorithm.
        c.congestion.onNewDataAcknowledged(growth, mss: mss, srtt: c.srtt, now: now, byteCounting: byteCounting)
        if c.congestion.inSlowStart,
           let ssthresh = c.congestion.hyStart.endOfRound(una: c.sndUna, sndNxt: c.sndNxt, cwnd: c.cwnd) {
            c.ssthresh = ssthresh
        }
    }

    /// A duplicate ACK (RFC 5681 §2).
    mutating func duplicateACK(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        c.duplicateACKs += 1
        c.counters.duplicateACKs &+= 1
        statistics.duplicateACKs += 1
        if c.duplicateACKs == 1 { c.limitedTransmitBytes = 0 }   // a new run: nothing sent by RFC 3042 yet
        let mss = c.sendMSS
        let prr = configuration.proportionalRateReduction
        if c.inFastRecovery {
            if prr {
                // RFC 6937 §3 without SACK: each duplicate ACK reports one SMSS delivered.
                c.recoveryDeliveredEstimate = min(c.recoveryDeliveredEstimate + mss, Int(c.sndNxt - c.sndUna))
                congestionRecoveryACK(&c, delivered: mss, pipe: c.pipe)
            } else {
                c.cwnd += mss   // RFC 5681 §3.2 step 4: each further duplicate inflates cwnd by one SMSS
            }
            return
        }
        // RFC 6582 §3.2 step 2: only when the cumulative ACK has passed `recover`, so that old
        // duplicates from before a timeout do not start a second recovery.
        guard c.duplicateACKs == 3, c.sndUna > c.recover || c.recover == c.iss else { return }
        if pathMTUProbeLost(&c, now) { return }   // RFC 4821 §7.5: not congestion (TCPStack+PathMTUProbing.swift)
        // RFC 5681 §3.2 steps 2–3: ssthresh from the algorithm (NewReno: max(FlightSize / 2,
        // 2*SMSS), FlightSize without what limited transmit sent; CUBIC: cwnd·β_cubic),
        // retransmit the first unacknowledged segment.
        c.recover = c.sndMax
        congestionRecoveryStarted(&c, now, limitedTransmitBytes: c.limitedTransmitBytes)
        c.inFastRecovery = true
        c.partialACKs = 0
        c.retransmitFirst = true
        c.rttSeq = nil   // Karn: the timed segment may be the one resent
        statistics.fastRetransmissions += 1
        if prr {
            // The three duplicates left the network, and this ACK's DeliveredData (one SMSS) is
            // the first that PRR counts.
            c.recoveryDeliveredEstimate = min(3 * mss, Int(c.sndNxt - c.sndUna))
            congestionRecoveryACK(&c, delivered: mss, pipe: c.pipe)
        } else {
            c.cwnd = c.ssthresh + 3 * mss   // RFC 5681 §3.2 step 3: inflate by the three segments
        }
    }

    /// The segment at SND.UNA again (fast retransmit), SND.NXT unchanged.
    mutating func firstUnacknowledgedSegment(_ c: inout Connection, _ now: Instant, maxPayload: Int, window: UInt16) -> OutgoingSegment? {
        c.retransmitFirst = false
        let offset = max(0, Int(c.sndUna - c.sendBufferSeq))
        let outstandingData = min(c.sendBuffer.count - offset, Int(c.sndMax - c.sndUna))
        let length = recordLength(c, from: c.sndUna, max(0, min(outstandingData, c.sendMSS, maxPayload)))   // MSG_EOR (TCPStack+Corking.swift)
        let finWasSent = c.finQueued && c.sndMax == c.finSeq + 1
        let carriesFIN = finWasSent && offset + length == c.sendBuffer.count
        guard length > 0 || carriesFIN else { return nil }
        var flags: TCPFlags = [.ack]
        if carriesFIN { flags.insert(.fin) }
        if length > 0 && segmentEndPushes(c, end: c.sndUna + length) { flags.insert(.psh) }
        countRetransmission(&c, bytes: length)
        if c.inFastRecovery && configuration.proportionalRateReduction {
            // The retransmission loss recovery asked for always goes (like Linux's forced fast
            // retransmit) and uses up PRR's allowance (RFC 6937: prr_out += data sent).
            congestionRecoverySent(&c, bytes: length)
            c.cwnd = max(c.cwnd - length, c.sendMSS)
        }
        if length > 0 { c.lastDataSentAt = now; interactiveDataSent(&c, now) }
        if c.timers[.retransmit] == nil { c.timers[.retransmit] = now.advanced(byNanoseconds: c.rto) }
        c.ackPending = false
        let h = TCPHeader(sourcePort: c.local.port, destinationPort: c.remote.port, sequenceNumber: c.sndUna,
                          acknowledgmentNumber: c.rcvNxt, flags: flags, window: window)
        return OutgoingSegment(header: h, payloadOffset: offset, payloadLength: length)
    }

    // MARK: Hooks for loss recovery (NewReno above; RFC 6675 SACK recovery, RACK-TLP)
    //
    // Loss recovery decides *when* a loss is detected and *which* segment goes again; these
    // decide *how much* may be sent. Call, in order:
    //   congestionRecoveryStarted  when loss is detected (entering fast recovery),
    //   congestionRecoveryACK      on every ACK during recovery, with the bytes it newly
    //                              delivered (cumulatively or SACKed) and pipe after it (RFC
    //                              6675 §4); it sets cwnd = pipe + sndcnt (RFC 6937 §3), so the
    //                              sender may send while cwnd - pipe >= 1 SMSS (sendRoom does),
    //   congestionRecoverySent     for every byte sent or resent during recovery (prr_out),
    //   congestionRecoveryEnded    when recovery ends (cwnd = ssthresh).
    // With `proportionalRateReduction` off, congestionRecoveryACK leaves cwnd as it is.

    /// Loss detected: the algorithm's multiplicative decrease (NewReno FlightSize/2, CUBIC
    /// cwnd·β_cubic) sets ssthresh; PRR starts with RecoverFS = SND.NXT - SND.UNA (RFC 6937 §3).
    mutating func congestionRecoveryStarted(_ c: inout Connection, _ now: Instant, limitedTransmitBytes: Int = 0) {
        c.congestion.onCongestionEvent(flightSize: max(0, c.bytesInFlight - limitedTransmitBytes), mss: c.sendMSS, now: now)
        if configuration.proportionalRateReduction {
            c.congestion.enterRecovery(flightSize: Int(c.sndNxt - c.sndUna))
            c.cwnd = c.ssthresh   // until the first congestionRecoveryACK sets pipe + sndcnt
        }
    }

    /// An ACK during recovery (RFC 6937 §3): returns sndcnt, the bytes that may go now.
    @discardableResult
    mutating func congestionRecoveryACK(_ c: inout Connection, delivered: Int, pipe: Int, safeACK: Bool = true) -> Int {
        guard configuration.proportionalRateReduction else { return max(0, c.cwnd - pipe) }
        return c.congestion.onRecoveryACK(delivered: delivered, pipe: pipe, mss: c.sendMSS,
                                          safeACK: safeACK || !configuration.prrSafeACK)
    }

    /// Bytes sent (new or again) during recovery: prr_out (RFC 6937 §3).
    mutating func congestionRecoverySent(_ c: inout Connection, bytes: Int) {
        c.congestion.recordSent(bytes)
    }

    /// Recovery is over: cwnd = ssthresh (RFC 6937 §3, RFC 6675 §5, RFC 9438 §4.6).
    mutating func congestionRecoveryEnded(_ c: inout Connection) {
        c.congestion.exitRecovery()
    }

    /// RFC 8985 §7.4.2: a retransmitted tail loss probe repaired a loss: the algorithm's response
    /// to one congestion event, with cwnd = ssthresh at once (a recovery of one segment).
    mutating func tailLossRepaired(_ c: inout Connection, _ now: Instant) {
        c.congestion.onCongestionEvent(flightSize: c.bytesInFlight, mss: c.sendMSS, now: now)
        c.cwnd = min(c.cwnd, c.ssthresh)
    }
}
