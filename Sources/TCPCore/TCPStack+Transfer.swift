import TCPWire

/// Transfer behaviour around the data path: delayed ACKs, Nagle's algorithm, sender silly window
/// syndrome avoidance, keep-alives and the user timeout.
extension TCPStack {
    // MARK: Delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2)

    /// Data arrived (any data, before it is placed): quick-ACK mode starts on the first data and
    /// again after more than one RTO without data (as Linux does).
    /// (Linux times the idle period from the last data; here from the last segment of any kind.)
    mutating func dataArriving(_ c: inout Connection, _ now: Instant) {
        let idle = c.counters.bytesReceived == 0 || now.nanoseconds(since: c.lastReceivedAt) > c.rto
        guard idle, configuration.quickACKSegments > 0 else { return }
        let mss = max(Int(c.rcvMSS), 1)
        let quick = min(max(Int(c.receiveWindow) / (2 * mss), 2), configuration.quickACKSegments)
        c.quickACKs = max(c.quickACKs, UInt8(clamping: quick))
    }

    /// In-order data that left no gap behind was taken: ACK now, or arm the delayed-ACK timer.
    /// RFC 5681 §4.2: an ACK at least for every second full-sized segment; here, as Linux, as soon
    /// as more than one full-sized segment (the largest received) is unacknowledged.
    mutating func inOrderDataTaken(_ c: inout Connection, _ now: Instant) {
        // (Not in quick-ACK mode while the exchange is interactive: TCPStack+InteractiveACK.swift.)
        if !configuration.delayedACK || (c.quickACKs > 0 && !c.interactiveACK.contains(.on)) || Int(c.rcvNxt - c.rcvAcked) > Int(c.rcvMSS) {
            c.ackPending = true
        } else if c.timers[.delayedACK] == nil {
            // RFC 9293 §3.8.6.3: the delay MUST be less than 0.5 s.
            c.timers[.delayedACK] = now + configuration.delayedACKTimeout
        }
    }

    /// A segment carrying ACK = RCV.NXT went out: it answers everything received so far.
    mutating func ackSent(_ c: inout Connection, ack: SequenceNumber) {
        if c.quickACKs > 0, ack > c.rcvAcked { c.quickACKs -= 1 }
        c.rcvAcked = ack
        c.timers[.delayedACK] = nil
    }

    /// The delayed-ACK timer ran out.
    mutating func delayedACKTimeout(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        trace(now, id, .timer(.delayedACK))
        c.ackPending = true
        if c.interactiveACK.contains(.on) { interactiveModeLeft(&c) }   // no reply carried it
        c.counters.delayedACKs &+= 1
    }

    // MARK: Nagle and sender SWS avoidance

    /// How many new bytes to send at SND.NXT now: min(unsent, MSS, usable window, room in the
    /// caller's buffer), or 0 while Nagle's algorithm or sender SWS avoidance holds them back.
    func sendableLength(_ c: Connection, maxPayload: Int) -> Int {
        let unsent = c.unsentBytes
        let length = min(unsent, c.sendMSS, sendRoom(c), maxPayload)
        // A full-sized segment always goes; so does anything sent again after a timeout.
        guard length > 0, length < c.sendMSS, length < maxPayload, c.sndNxt == c.sndMax else { return length }
        if length < unsent {
            // RFC 9293 §3.8.6.2.1 (MUST-38): the window (peer's or congestion) allows less than a
            // segment and less than what is queued. Send only if that is at least Fs = 1/2 of the
            // largest window the peer offered, or when the persist timer says the override
            // timeout passed.
            return c.swsOverride || length >= Int(c.maxSndWnd / 2) ? length : 0
        }
        // All queued data fits in one short segment. RFC 9293 §3.7.4 / RFC 1122 §4.2.3.4 (Nagle),
        // with Minshall's refinement as Linux has it: it waits while an earlier short segment is
        // unacknowledged. TCP_NODELAY turns it off (MUST-17); a FIN riding along sends it at once.
        // A due tail loss probe sends it too (RFC 8985 §7.3: the probe is new data when the window
        // allows; Linux sends its probe with Nagle off).
        if finSendableAfterData(c) || c.scoreboard?.tlpPending == true { return length }
        // TCP_CORK or MSG_MORE (TCPStack+Corking.swift): held even without Nagle, until the
        // persist timer's override.
        if c.sendHold.holdsShortSegment { return c.swsOverride ? length : 0 }
        if c.noDelay { return length }
        return c.sndSml > c.sndUna ? 0 : length
    }

    // MARK: Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6)

    func keepAliveApplies(_ c: Connection) -> Bool {
        guard c.keepAlive else { return false }
        switch c.state {
        case .established, .closeWait, .finWait2: return true
        default: return false
        }
    }

    /// Arms the keep-alive timer for the idle time after the last segment received (MUST-26: only
    /// after the interval with nothing received).
    /// `mutating` though it changes only `c`: called from `commit` for every segment, a
    /// non-mutating method made the caller copy the whole stack (~900 bytes and its references)
    /// to pass it.
    mutating func armKeepAlive(_ c: inout Connection) {
        guard c.timers[.keepAlive] == nil, keepAliveApplies(c) else { return }
        c.timers[.keepAlive] = c.lastReceivedAt + .seconds(c.keepAliveIdleS)
    }

    /// The keep-alive timer ran out: the idle time may not really have passed (segments arrived
    /// since it was armed; it re-arms from the last one), data may be outstanding (the
    /// retransmission or persist timer watches the peer then), or a probe is due: SEG.SEQ =
    /// SND.NXT - 1 with no data, which the peer answers with an ACK. After `keepAliveCount`
    /// unanswered probes the connection fails with `timedOut` (Linux: RST and ETIMEDOUT).
    mutating func keepAliveTimeout(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        guard keepAliveApplies(c) else { return }
        let idle = Duration.seconds(c.keepAliveIdleS)
        if c.sndMax != c.sndUna || c.unsentBytes > 0 {
            c.timers[.keepAlive] = now + idle
            return
        }
        guard now - c.lastReceivedAt >= idle else {
            c.timers[.keepAlive] = c.lastReceivedAt + idle
            return
        }
        trace(now, id, .timer(.keepAlive))
        if c.keepAliveProbesOut >= c.keepAliveCount {
            resetAndClose(&c, id, now: now, sendRST: true, reason: nil, error: .timedOut)
            emitTimedOut(&c, id, now)
            return
        }
        c.keepAliveProbesOut += 1
        c.counters.keepAliveProbes &+= 1
        c.probePending = true
        c.timers[.keepAlive] = now + .seconds(c.keepAliveIntervalS)
    }

    // MARK: User timeout (RFC 9293 §3.8.3, RFC 5482)

    /// The retransmission timer never runs past the user timeout, so the connection fails at it.
    /// `mutating` though it changes only `c`: called from `commit` for every segment, a
    /// non-mutating method made the caller copy the whole stack (~900 bytes and its references)
    /// to pass it.
    mutating func clampToUserTimeout(_ c: inout Connection) {
        guard c.userTimeoutMs > 0, let r = c.timers[.retransmit], c.sndUna != c.sndMax else { return }
        let limit = c.progressAt + .milliseconds(c.userTimeoutMs)
        if limit < r { c.timers[.retransmit] = limit }
    }

    /// Zero-window probing (RFC 9293 §3.8.6.1) under a user timeout: a peer that keeps answering
    /// may keep its window shut indefinitely (RFC 1122 §4.2.2.17), but one silent for the user
    /// timeout ends the connection (as Linux since 5.13: timed from the last segment received).
    mutating func zeroWindowUserTimeoutExpired(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) -> Bool {
        guard c.userTimeoutMs > 0, now - c.lastReceivedAt >= .milliseconds(c.userTimeoutMs) else { return false }
        trace(now, id, .timer(.userTimeout))
        resetAndClose(&c, id, now: now, sendRST: true, reason: nil, error: .timedOut)
        emitTimedOut(&c, id, now)
        return true
    }

    /// True (and the connection failed) when data has stayed unacknowledged for the user timeout.
    mutating func userTimeoutExpired(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) -> Bool {
        guard c.userTimeoutMs > 0, c.sndUna != c.sndMax || c.sndNxt == c.iss,
              now >= c.progressAt + .milliseconds(c.userTimeoutMs) else { return false }
        trace(now, id, .timer(.userTimeout))
        if c.state == .synReceived && c.passive {
            setState(&c, id, .closed, now)
            return true
        }
        resetAndClose(&c, id, now: now, sendRST: true, reason: nil, error: .timedOut)
        emitTimedOut(&c, id, now)
        return true
    }
}
