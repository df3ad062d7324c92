import TCPWire

/// HyStart++ (RFC 9406): leaves the first slow start when the round trip time starts to grow
/// (a queue is building) instead of at the first loss, through a conservative slow start (CSS)
/// that grows at a quarter of the rate for a few rounds and returns to slow start if the RTT
/// increase was spurious. Rounds end when SND.UNA passes the SND.NXT of the round's start. Needs
/// RTT samples on most ACKs (timestamps, RFC 7323); with one sample a round it never triggers.
struct HyStart {
    // RFC 9406 §4.3 constants; RTTs in microseconds (UInt32: the TCB stays small).
    static let minRTTThresh: UInt32 = 4_000
    static let maxRTTThresh: UInt32 = 16_000
    static let minRTTDivisor: UInt32 = 8
    static let nRTTSample: UInt8 = 8
    static let cssGrowthDivisor = 4
    static let cssRounds: UInt8 = 5
    static let none = UInt32.max

    /// `classic`: classic HyStart runs instead (HyStart+Classic.swift), with this struct's
    /// fields holding its state.
    enum Phase: UInt8 { case slowStart, conservative, off, classic }
    var windowEnd = SequenceNumber(0)
    var lastRoundMinRTT = none
    var currentRoundMinRTT = none
    var cssBaselineMinRTT = none
    var samples: UInt8 = 0
    var cssRoundsDone: UInt8 = 0
    var phase = Phase.slowStart

    /// An RTT sample (nanoseconds) while in slow start or CSS.
    mutating func onRTTSample(_ rtt: Int64) {
        guard phase != .off, phase != .classic else { return }
        let us = UInt32(clamping: max(0, rtt / 1000))
        currentRoundMinRTT = min(currentRoundMinRTT, min(us, Self.none - 1))
        if samples < .max { samples += 1 }
    }

    /// After slow start's growth on an ACK (RFC 9406 §4.2): enter CSS on an RTT increase, go back
    /// to slow start from CSS if the RTT falls below the baseline. Returns a new ssthresh when
    /// CSS is over.
    mutating func afterSlowStartACK(cwnd: Int) -> Int? {
        guard samples >= Self.nRTTSample, currentRoundMinRTT != Self.none else { return nil }
        switch phase {
        case .slowStart:
            guard lastRoundMinRTT != Self.none else { return nil }
            let threshold = max(Self.minRTTThresh, min(lastRoundMinRTT / Self.minRTTDivisor, Self.maxRTTThresh))
            if UInt64(currentRoundMinRTT) >= UInt64(lastRoundMinRTT) + UInt64(threshold) {
                cssBaselineMinRTT = currentRoundMinRTT
                cssRoundsDone = 0
                phase = .conservative
            }
        case .conservative:
            if currentRoundMinRTT < cssBaselineMinRTT {
                cssBaselineMinRTT = Self.none   // the increase was spurious: back to slow start
                phase = .slowStart
            }
        case .off, .classic:
            break
        }
        return nil
    }

    /// After an ACK: when SND.UNA has passed the round's end, a new round starts. Returns the
    /// ssthresh that ends slow start after CSS_ROUNDS rounds of CSS.
    mutating func endOfRound(una: SequenceNumber, sndNxt: SequenceNumber, cwnd: Int) -> Int? {
        guard phase != .off, phase != .classic, una >= windowEnd else { return nil }
        windowEnd = sndNxt
        lastRoundMinRTT = currentRoundMinRTT
        currentRoundMinRTT = Self.none
        samples = 0
        if phase == .conservative {
            cssRoundsDone += 1
            if cssRoundsDone >= Self.cssRounds {
                phase = .off
                return cwnd   // enter congestion avoidance (RFC 9406 §4.2)
            }
        }
        return nil
    }
}
