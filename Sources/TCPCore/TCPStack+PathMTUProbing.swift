import TCPWire

// Packetization-layer path MTU discovery (RFC 4821; RFC 8899 §5 gives the same search for
// datagram transports), in the form Linux's tcp_mtu_probing has for TCP. A path that drops
// packets too big for it and sends no ICMP (a filtering router, a tunnel: the "black hole" of
// RFC 2923 §2.1) defeats classic PMTUD (TCPStack+ICMP.swift): full-sized segments time out again
// and again. Here:
// - Black hole: after `pathMTUBlackHoleTimeouts` consecutive timeouts of the same data, the send
//   MSS drops to the base (1024, or half the last working size when probing already runs), and
//   the timed-out data goes again at that size (RFC 4821 §7.6.2 "full-stop timeout").
// - Search: one new-data segment larger than the MSS, the probe (RFC 4821 §7.3), at the middle
//   of [low, high] (a binary search, §7.2). Acknowledged: the MSS becomes its size (§7.6.1). Lost
//   (its sequence number is the hole that starts loss recovery, or the timer runs out on it): high
//   goes below it and its data is resent at the current MSS with no congestion response (§7.5,
//   as for ICMP in RFC 1191 §6.5: a lost probe says nothing about congestion). Once high - low is
//   under 8 bytes the search ends; `pathMTUProbeInterval` later it starts again up to the ceiling
//   (§7.7), so a path that grows back is used again.

extension TCPStack {
    /// The smallest gap between the bounds worth a probe (Linux's tcp_probe_threshold, 8).
    static let pathMTUProbeThreshold = 8

    /// The smallest send MSS probing ever sets: what the minimum path MTU allows (IPv4: the
    /// configured floor, 552; IPv6: 1280, RFC 8201 §4).
    func pathMTUProbeFloor(_ c: Connection) -> Int {
        let v6 = c.remote.address.isIPv6 && configuration.pathMTUProbeIPv6Floor
        return mss(forPathMTU: v6 ? 1280 : max(68, configuration.minimumPathMTU), c)
    }

    /// Starts probing on a connection: low = the base MSS (not below the floor), high and the
    /// ceiling = the MSS in use.
    func startPathMTUSearch(_ c: inout Connection) {
        let mss = c.sendMSS
        c.pathMTUSearch.enabled = true
        c.pathMTUSearch.ceiling = UInt16(clamping: mss)
        c.pathMTUSearch.high = UInt16(clamping: mss)
        c.pathMTUSearch.low = UInt16(clamping: min(mss, max(configuration.pathMTUProbeBaseMSS, pathMTUProbeFloor(c))))
        c.pathMTUSearch.probeSize = 0
        c.sendMSS = Int(c.pathMTUSearch.low)
    }

    /// The SYN options are in (`applyPathMTU`): with `.always`, the connection starts at the base
    /// MSS and searches upward at once (Linux's tcp_mtu_probing = 2).
    func startPathMTUSearchIfAlways(_ c: inout Connection) {
        guard configuration.pathMTUProbing == .always else { return }
        let mss = c.sendMSS
        startPathMTUSearch(&c)
        // A passive opener keeps the path's MSS: the search only sets its bounds (Linux sizes the
        // MSS of an accepted connection before it sets up probing, tcp_v4_syn_recv_sock and then
        // tcp_init_transfer); a probe goes once the upper bound grows (a route's larger MTU).
        if c.passive { c.sendMSS = mss }
    }

    /// From the retransmission timeout (RFC 4821 §7.6.2, Linux's tcp_mtu_probing): the same data
    /// timed out `pathMTUBlackHoleTimeouts` times with no ICMP. Lower the send MSS before it goes
    /// again. A lost probe never gets here: it is given up on first (`pathMTUProbeTimedOut`).
    mutating func pathMTUBlackHoleCheck(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        guard configuration.pathMTUProbing != .off, c.state.isSynchronized,
              c.retries == max(1, configuration.pathMTUBlackHoleTimeouts) else { return }
        let floor = pathMTUProbeFloor(c)
        let base = max(floor, configuration.pathMTUProbeBaseMSS)
        // Already probing: the last size that worked does not any more; halve it (as Linux).
        let lowered = c.pathMTUSearch.enabled ? max(floor, min(base, c.sendMSS / 2)) : min(base, c.sendMSS)
        guard lowered < c.sendMSS else { return }
        if !c.pathMTUSearch.enabled { startPathMTUSearch(&c) }
        c.pathMTUSearch.low = UInt16(clamping: lowered)
        c.pathMTUSearch.probeSize = 0
        c.sendMSS = lowered
        statistics.pathMTUBlackHoles += 1
    }

    /// The payload of a probe to send now in place of a full-sized segment of new data, nil when
    /// no probe is due. Sending it is up to the caller; this records it as in flight.
    /// Conditions (RFC 4821 §7.4, Linux's tcp_mtu_probe): no probe in flight, no loss recovery,
    /// enough data queued behind it that its loss is seen by duplicate ACKs (three segments),
    /// and room in the windows for all of it.
    mutating func pathMTUProbeLength(_ c: inout Connection, _ now: Instant, maxPayload: Int) -> Int? {
        guard c.pathMTUSearch.probeSize == 0, c.sndNxt == c.sndMax, !c.inFastRecovery, !c.inRTORecovery,
              c.retries == 0, c.state.isSynchronized else { return nil }
        var s = c.pathMTUSearch
        if Int(s.high) - Int(s.low) < Self.pathMTUProbeThreshold {
            // The search has ended: start again after the interval (RFC 4821 §7.7).
            guard s.ceiling > s.low, Self.wholeSeconds(now) >= s.researchAtS else { return nil }
            s.high = s.ceiling
            c.pathMTUSearch.high = s.ceiling
        }
        let size = (Int(s.low) + Int(s.high) + 1) / 2
        guard size > c.sendMSS, size <= maxPayload,
              c.unsentBytes >= size + Self.dupThresh * c.sendMSS, sendRoom(c) >= size else { return nil }
        c.pathMTUSearch.probeSize = UInt16(clamping: size)
        c.pathMTUSearch.probeSeq = c.sndNxt
        statistics.pathMTUProbesSent += 1
        return size
    }

    /// An ACK moved SND.UNA: a probe it covers whole got through (RFC 4821 §7.6.1): the MSS
    /// becomes its size.
    mutating func pathMTUProbeAcknowledged(_ c: inout Connection, _ now: Instant) {
        let size = Int(c.pathMTUSearch.probeSize)
        guard size > 0, c.sndUna >= c.pathMTUSearch.probeSeq + size else { return }
        c.pathMTUSearch.probeSize = 0
        c.pathMTUSearch.low = UInt16(clamping: size)
        if size > c.sendMSS { c.sendMSS = size }
        statistics.pathMTUProbesAcknowledged += 1
        pathMTUSearchStep(&c, now)
    }

    /// The probe is the hole loss recovery is about to repair (SND.UNA is its first byte): it
    /// was too big. Lower the upper bound and resend its data at the current MSS at once; no
    /// congestion response (RFC 4821 §7.5; Linux's tcp_mtu_probe_failed and tcp_simple_retransmit).
    /// True when that is what happened (the caller then starts no recovery).
    mutating func pathMTUProbeLost(_ c: inout Connection, _ now: Instant) -> Bool {
        guard c.pathMTUSearch.probeSize > 0 else { return false }
        guard c.sndUna == c.pathMTUSearch.probeSeq else {
            // An earlier segment was lost: a real congestion event, and the probe's fate is
            // unknown (it may be resent in pieces): forget it.
            c.pathMTUSearch.probeSize = 0
            return false
        }
        probeFailed(&c, now)
        if !resendLostProbe(&c) { simpleRetransmit(&c, now) }
        return true
    }

    /// With a SACK scoreboard only the probe is lost (everything else in flight was sent at the
    /// MSS that works, as Linux's tcp_simple_retransmit marks only what is larger than the MSS):
    /// mark it and repair it as after a timeout (RFC 6675 §5.1, split to the MSS by
    /// `retransmit`), with cwnd and ssthresh unchanged. False without a usable scoreboard; the
    /// caller then goes back to SND.UNA.
    private mutating func resendLostProbe(_ c: inout Connection) -> Bool {
        guard c.sackOK, let sb = c.scoreboard, !sb.isEmpty, sb[0].start == c.sndUna, !sb[0].sacked else { return false }
        var r = sb[0]
        r.flags.insert(.lost)
        r.flags.remove(.retransmitted)
        sb[0] = r
        sb.undoMarker = nil
        sb.tlpEndSeq = nil
        sb.tlpPending = false
        if sb.lossTimer != .none { sb.lossTimer = .none; c.timers[.reorder] = nil }
        c.inRTORecovery = true
        c.recover = c.sndMax
        c.duplicateACKs = 0
        c.rttSeq = nil   // Karn
        _ = sb.computePipe()
        return true
    }

    /// The retransmission timer ran out with the probe in flight. If the probe is what is
    /// missing, it was too big (the bound goes down, and its data goes again at the MSS in use);
    /// otherwise its fate is unknown. The timeout itself is
    /// handled as usual: with the ACK clock gone, it may be congestion too.
    mutating func pathMTUProbeTimedOut(_ c: inout Connection, _ now: Instant) {
        guard c.pathMTUSearch.probeSize > 0 else { return }
        if c.sndUna == c.pathMTUSearch.probeSeq {
            probeFailed(&c, now)
        } else {
            c.pathMTUSearch.probeSize = 0
        }
    }

    private mutating func probeFailed(_ c: inout Connection, _ now: Instant) {
        let size = Int(c.pathMTUSearch.probeSize)
        c.pathMTUSearch.probeSize = 0
        c.pathMTUSearch.high = UInt16(clamping: max(Int(c.pathMTUSearch.low), size - 1))
        statistics.pathMTUProbesLost += 1
        pathMTUSearchStep(&c, now)
    }

    /// After a probe's outcome: when the bounds have met, the search ends until the interval passes.
    private func pathMTUSearchStep(_ c: inout Connection, _ now: Instant) {
        let s = c.pathMTUSearch
        if Int(s.high) - Int(s.low) < Self.pathMTUProbeThreshold {
            c.pathMTUSearch.researchAtS = Self.wholeSeconds(now + configuration.pathMTUProbeInterval)
        }
    }

    /// ICMP lowered the send MSS (`pathMTUTooBig`): the search stays below it.
    func pathMTUSearchClamp(_ c: inout Connection) {
        guard c.pathMTUSearch.enabled else { return }
        let mss = UInt16(clamping: c.sendMSS)
        c.pathMTUSearch.ceiling = min(c.pathMTUSearch.ceiling, mss)
        c.pathMTUSearch.high = min(c.pathMTUSearch.high, mss)
        c.pathMTUSearch.low = min(c.pathMTUSearch.low, mss)
        if c.pathMTUSearch.probeSize > mss { c.pathMTUSearch.probeSize = 0 }
    }

    static func wholeSeconds(_ t: Instant) -> Int32 { Int32(clamping: t.nanoseconds / 1_000_000_000) }
}
