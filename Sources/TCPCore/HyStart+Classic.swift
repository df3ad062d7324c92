import TCPWire

/// Classic HyStart (`HyStartVariant.classic`), in the fields HyStart++ uses otherwise (the TCB
/// stays the same size): `windowEnd` is the round's end (SND.NXT when it started),
/// `currentRoundMinRTT` the minimum of its samples, `samples` their count (up to 8), and
/// `lastRoundMinRTT` / `cssBaselineMinRTT` the times (a wrapping microsecond clock) the round
/// started and the last ACK of its ACK train arrived. `phase` is `.classic` while it runs and
/// `.off` once it ended slow start.
extension HyStart {
    /// The window (segments) below which classic HyStart does not act (Linux hystart_low_window).
    static let classicLowWindow = 16
    /// Samples a round takes before the delay test (Linux HYSTART_MIN_SAMPLES).
    static let classicMinSamples: UInt8 = 8
    /// ACKs at most this far apart (µs) belong to one train (Linux hystart_ack_delta_us).
    static let ackTrainSpacing: Int32 = 2_000

    static func microseconds(_ t: Instant) -> UInt32 { UInt32(truncatingIfNeeded: t.nanoseconds / 1_000) }

    var roundStart: UInt32 {
        get { lastRoundMinRTT }
        set { lastRoundMinRTT = newValue }
    }
    var lastTrainACK: UInt32 {
        get { cssBaselineMinRTT }
        set { cssBaselineMinRTT = newValue }
    }

    /// A new round: it ends when SND.UNA passes the SND.NXT of now.
    mutating func classicNewRound(now: Instant, sndNxt: SequenceNumber) {
        roundStart = Self.microseconds(now)
        lastTrainACK = roundStart
        windowEnd = sndNxt
        currentRoundMinRTT = Self.none
        samples = 0
    }

    /// One RTT sample `rtt` (ns) on an ACK in slow start at a window of at least
    /// `classicLowWindow` segments, with `minRTT` (ns) the connection's minimum including this
    /// sample. Returns true when slow start ends here (the caller sets ssthresh = cwnd).
    mutating func classicSample(rtt: Int64, minRTT: Int64, now: Instant, una: SequenceNumber, sndNxt: SequenceNumber,
                                ackTrain: Bool, delay: Bool) -> Bool {
        guard phase == .classic else { return false }
        if una > windowEnd { classicNewRound(now: now, sndNxt: sndNxt) }
        let delayMin = UInt32(clamping: max(1, minRTT / 1_000))
        var found = false
        if ackTrain {
            // The ACKs of one round arrive back to back (at most 2 ms apart): when the train has
            // lasted half the minimum RTT, the path's capacity is filled.
            let t = Self.microseconds(now)
            if Int32(bitPattern: t &- lastTrainACK) <= Self.ackTrainSpacing {
                lastTrainACK = t
                if Int64(Int32(bitPattern: t &- roundStart)) > Int64(delayMin / 2) { found = true }
            }
        }
        if delay {
            // The round's minimum after its first 8 samples, against the connection's minimum
            // plus an eighth of it (at least 4 ms, at most 16 ms): a queue is building.
            currentRoundMinRTT = min(currentRoundMinRTT, UInt32(clamping: max(1, rtt / 1_000)))
            if samples < Self.classicMinSamples {
                samples += 1
            } else {
                let threshold = max(Self.minRTTThresh, min(delayMin >> 3, Self.maxRTTThresh))
                if UInt64(currentRoundMinRTT) > UInt64(delayMin) + UInt64(threshold) { found = true }
            }
        }
        if found { phase = .off }
        return found
    }
}

extension TCPStack {
    /// Classic HyStart's step on an ACK that moves SND.UNA, before cwnd grows: the RTT of the
    /// newest segment it acknowledges (none when that was retransmitted: Karn), on a connection
    /// with a scoreboard (the send times).
    mutating func classicHyStartACK(_ c: inout Connection, _ sb: Scoreboard, _ ack: SequenceNumber, _ now: Instant) {
        guard c.congestion.hyStart.phase == .classic, case .classic(let ackTrain, let delay) = configuration.hyStartVariant,
              c.congestion.inSlowStart, c.sendMSS > 0, c.cwnd >= HyStart.classicLowWindow * c.sendMSS,
              let newest = sb.newestRecord(endingBy: ack), !newest.flags.contains(.everRetransmitted) else { return }
        let rtt = max(now.nanoseconds(since: newest.sentAt), 1_000)
        if c.congestion.hyStart.classicSample(rtt: rtt, minRTT: min(sb.minRTT, rtt), now: now, una: ack, sndNxt: c.sndNxt,
                                              ackTrain: ackTrain, delay: delay) {
            c.ssthresh = c.cwnd
        }
    }
}

extension Scoreboard {
    /// The last record wholly below `ack` (records are in sequence order).
    func newestRecord(endingBy ack: SequenceNumber) -> SentSegment? {
        var found: SentSegment?
        var i = 0
        while i < count, self[i].end <= ack {
            found = self[i]
            i += 1
        }
        return found
    }
}
