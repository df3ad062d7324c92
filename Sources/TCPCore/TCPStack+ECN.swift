import TCPWire

/// Explicit Congestion Notification in TCP (RFC 3168 §6.1). The connection's state is its
/// `ECNState`; these are the hooks the handshake, input and output call. Every one of them is a
/// few flag tests on the TCB: nothing allocates.
extension TCPStack {
    /// The IP header's ECN field (RFC 3168 §5).
    enum ECNCodepoint {
        static let notECT: UInt8 = 0
        static let ect1: UInt8 = 1
        static let ect0: UInt8 = 2
        static let ce: UInt8 = 3
    }

    // MARK: Negotiation (§6.1.1)

    /// The flags our SYN adds: ECE and CWR for an ECN-setup SYN when the connection asks for ECN.
    /// After `ecnSetupRetransmissions` a retransmitted SYN goes without them (§6.1.1.1: a
    /// middlebox may drop ECN-setup SYNs; Linux's tcp_ecn_fallback), though the request stays on
    /// record so that a late ECN-setup SYN-ACK is still taken, as Linux takes it.
    mutating func ecnSYNFlags(_ c: inout Connection) -> TCPFlags {
        guard c.ecn.mode == .on else { return [] }
        if c.retries == 0 { c.ecn.flags.insert(.requested) }
        if let limit = configuration.ecnSetupRetransmissions, c.retries > limit { return [] }
        return [.ece, .cwr]
    }

    /// A SYN arrived for a new passive connection: it is an ECN-setup SYN if it carries both ECE
    /// and CWR (a SYN with ECE alone is not one, §6.1.1), and ECN is used if the connection
    /// accepts it. A SYN that is itself ECN-capable or CE-marked is refused ECN (§6.1.1: "a host
    /// MUST NOT set ECT on SYN"; Linux treats such a SYN as coming through a broken path).
    mutating func ecnSYNArrives(_ c: inout Connection, _ seg: TCPSegmentView) {
        let f = seg.header.flags
        guard c.ecn.mode != .off, f.contains(.ece), f.contains(.cwr), seg.ecn == ECNCodepoint.notECT else { return }
        c.ecn.flags.insert(.active)
    }

    /// Our SYN is answered: ECN is on only if we asked and the SYN-ACK is an ECN-setup SYN-ACK,
    /// ECE without CWR (§6.1.1). In a simultaneous open the peer's SYN must carry both.
    mutating func ecnSYNAnswered(_ c: inout Connection, _ h: TCPHeader) {
        let f = h.flags
        let agreed = f.contains(.ack) ? f.contains(.ece) && !f.contains(.cwr) : f.contains(.ece) && f.contains(.cwr)
        if c.ecn.flags.contains(.requested) && agreed { c.ecn.flags.insert(.active) } else { c.ecn.flags.remove(.active) }
    }

    // MARK: Receiver (§6.1.3)

    /// Segment text arrived: CWR ends the echo (the sender has reduced cwnd), and is acknowledged
    /// at once, as Linux does (the sender's window may now be very small). Call before the CE check
    /// so that a segment with both CWR and CE starts a new echo.
    mutating func ecnCWRArrives(_ c: inout Connection, _ seg: TCPSegmentView) {
        guard c.ecn.active, seg.header.flags.contains(.cwr) else { return }
        c.ecn.flags.remove(.echo)
        c.ackPending = true
    }

    /// New segment text (inside the window, §6.1.5: the ECN field of old or out-of-window data
    /// is ignored) arrived CE-marked: echo it with ECE on every ACK until a CWR arrives. The
    /// first mark of an echo is acknowledged at once and so is the next segment (Linux enters
    /// quick-ACK mode for two ACKs): the sender learns of the congestion a round trip sooner.
    mutating func ecnDataArrives(_ c: inout Connection, _ seg: TCPSegmentView) {
        guard c.ecn.active, seg.ecn == ECNCodepoint.ce else { return }
        ECNCounters.bump(&c.ecnCounters.ceReceived)
        statistics.ecnCEReceived += 1
        guard !c.ecn.flags.contains(.echo) else { return }
        c.ecn.flags.insert(.echo)
        c.quickACKs = max(c.quickACKs, 2)
    }

    // MARK: Sender (§6.1.2)

    /// An acceptable, not old ACK with ECE arrived while data was outstanding: the network marked
    /// one of our segments. cwnd is reduced as for a loss — the congestion controller's
    /// multiplicative decrease sets ssthresh, cwnd drops to it at once ("halves the congestion
    /// window and reduces the slow start threshold") — without retransmitting anything, at most
    /// once per window of data: until SND.UNA passes what was sent before the reduction, further
    /// ECEs answer the same congestion. Loss recovery has already reduced cwnd for its window, so
    /// an ECE during it changes nothing. The next new data segment carries CWR.
    mutating func ecnEchoArrives(_ c: inout Connection, _ now: Instant) {
        ECNCounters.bump(&c.ecnCounters.eceReceived)
        statistics.ecnEchoesReceived += 1
        if c.ecn.flags.contains(.reducing) {
            guard c.sndUna > c.ecn.recover else { return }
            c.ecn.flags.remove(.reducing)
        }
        guard !c.inFastRecovery, !c.inRTORecovery, c.retries == 0 else { return }
        c.congestion.onCongestionEvent(flightSize: c.bytesInFlight, mss: c.sendMSS, now: now)
        c.cwnd = max(c.sendMSS, min(c.cwnd, c.ssthresh))
        c.ecn.recover = c.sndMax
        c.ecn.flags.insert([.reducing, .cwrPending])
        ECNCounters.bump(&c.ecnCounters.reductions)
        statistics.ecnReductions += 1
    }

    /// New data is acknowledged: cwnd may grow unless a reduction's window is still unacknowledged
    /// (§6.1.2: the sender does not increase cwnd in response to the ECE; Linux holds cwnd while in
    /// its CWR state).
    @inline(__always)
    mutating func ecnHoldsWindow(_ c: inout Connection) -> Bool {
        guard c.ecn.flags.contains(.reducing) else { return false }
        if c.sndUna > c.ecn.recover {
            c.ecn.flags.remove(.reducing)
            return false
        }
        return true
    }

    // MARK: Output

    /// The ECN bits of an outgoing segment's IP header, and its ECE and CWR flags. ECT(0) only on
    /// segments of new data (§6.1.4: not on pure ACKs; §6.1.5: not on retransmissions; §6.1.6:
    /// not on window probes; SYNs never, §6.1.1), as Linux's tcp_ecn_send; CWR on the first of
    /// them after a reduction; ECE on every segment while echoing a CE mark.
    @inline(__always)
    mutating func ecnMarkOutgoing(_ h: inout TCPHeader, _ c: inout Connection, newData: Bool) -> UInt8 {
        guard c.ecn.active, !h.flags.contains(.syn) else { return 0 }
        if c.ecn.flags.contains(.echo) { h.flags.insert(.ece) }
        guard newData else { return 0 }
        if c.ecn.flags.contains(.cwrPending) {
            h.flags.insert(.cwr)
            c.ecn.flags.remove(.cwrPending)
        }
        return ECNCodepoint.ect0
    }
}
