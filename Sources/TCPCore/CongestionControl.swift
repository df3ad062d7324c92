import TCPWire

/// The congestion controller a connection runs (`TCPConfiguration.congestionControl`).
public enum CongestionControlAlgorithm: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// RFC 5681 slow start and congestion avoidance with RFC 6582 (NewReno) loss recovery.
    case newReno = "newreno"
    /// CUBIC (RFC 9438): the default, as in Linux, FreeBSD, Windows and macOS.
    case cubic
    public var description: String { rawValue }
}

/// How much a connection may have in flight: cwnd and ssthresh, and the per-algorithm state that
/// moves them. Loss *detection* (duplicate ACKs, NewReno partial ACKs, SACK scoreboard, RACK) and the
/// choice of *which* segment to resend live elsewhere; they report events here:
///
/// - `onNewDataAcknowledged` — a cumulative ACK of new data outside loss recovery;
/// - `onCongestionEvent` — loss detected, entering fast recovery (ssthresh and the algorithm's
///   memory of the window at the loss);
/// - `enterRecovery` / `onRecoveryACK` / `recordSent` / `exitRecovery` — PRR (RFC 6937) paces
///   what may be sent while recovering;
/// - `onRetransmissionTimeout` — RTO: the loss window;
/// - `onIdleRestart` — RFC 5681 §4.1 restart after idle.
///
/// A plain struct inside the TCB, the algorithm an enum with its state inline: no existential, no
/// allocation, nothing per ACK but arithmetic. Windows are in bytes; CUBIC computes in segments
/// (RFC 9438 writes its formulas in segments) with Double and converts back.
struct CongestionControl {
    var cwnd: Int = 0
    var ssthresh: Int = .max

    /// The most sent-and-unacknowledged bytes this round trip, and the sequence number that ends
    /// the round: cwnd grows only while the flow uses it (RFC 9438 §5.8, RFC 7661 §4.1's
    /// principle; Linux tcp_is_cwnd_limited), so an application-limited flow does not build a
    /// window it never tested.
    var maxFlight = 0

    /// PRR (RFC 6937 §3) variables for the current recovery.
    var prrDelivered = 0
    var prrOut = 0
    var recoverFS = 0

    // Declared after the Ints and before the small fields so that the TCB packs tightly.
    var algorithm: AlgorithmState
    /// The round of `maxFlight` ends when SND.UNA passes this.
    var roundEnd = SequenceNumber(0)

    enum AlgorithmState {
        /// Bytes acknowledged in congestion avoidance not yet turned into cwnd growth.
        case newReno(bytesAcked: Int)
        case cubic(Cubic)
    }

    /// RFC 3465 (Appropriate Byte Counting) limit L in slow start: an ACK may grow cwnd by at most
    /// L·SMSS. RFC 3465 §2.2 permits L = 2·SMSS; we take it so that a delayed ACK (covering two
    /// segments, RFC 1122 §4.2.3.2 / RFC 5681 §4.2) grows cwnd as two ACKs would.
    static let abcLimitSegments = 2

    /// HyStart++ (RFC 9406) for the first slow start.
    var hyStart = HyStart()

    init(_ algorithm: CongestionControlAlgorithm, hyStart: Bool = false) {
        if !hyStart { self.hyStart.phase = .off }
        switch algorithm {
        case .newReno: self.algorithm = .newReno(bytesAcked: 0)
        case .cubic: self.algorithm = .cubic(Cubic())
        }
    }

    var kind: CongestionControlAlgorithm {
        if case .cubic = algorithm { return .cubic }
        return .newReno
    }

    var inSlowStart: Bool { cwnd < ssthresh }

    /// The flow used its window this round: in slow start, cwnd < 2·flight (slow start may
    /// double what was sent); in congestion avoidance, the flight came within one SMSS of cwnd.
    func isCwndLimited(mss: Int) -> Bool {
        inSlowStart ? cwnd < 2 * maxFlight : maxFlight + mss > cwnd
    }

    /// After sending, with `flight` bytes now outstanding: a round ends when SND.UNA passes the
    /// SND.MAX of its start; the next starts from the flight of its first send (as Linux's
    /// tcp_cwnd_validate).
    mutating func noteSent(flight: Int, una: SequenceNumber, sndMax: SequenceNumber) {
        if una >= roundEnd || flight > maxFlight {
            maxFlight = flight
            roundEnd = sndMax
        }
    }

    // MARK: Events

    /// A cumulative ACK covering `acked` new bytes, outside loss recovery. `srtt` (nanoseconds)
    /// is the smoothed RTT if there is one.
    mutating func onNewDataAcknowledged(_ acked: Int, mss: Int, srtt: Int64?, now: Instant) {
        guard acked > 0, mss > 0, isCwndLimited(mss: mss) else { return }
        if cwnd < ssthresh {
            // Slow start (RFC 5681 §3.1, RFC 3465 §2.2): cwnd += min(N, L·SMSS); in HyStart++'s
            // conservative slow start a quarter of that (RFC 9406 §4.2).
            var growth = min(acked, Self.abcLimitSegments * mss)
            if hyStart.phase == .conservative { growth /= HyStart.cssGrowthDivisor }
            cwnd += growth
            if hyStart.phase != .off, let newSsthresh = hyStart.afterSlowStartACK(cwnd: cwnd) { ssthresh = newSsthresh }
            return
        }
        switch algorithm {
        case .newReno(var bytesAcked):
            // Congestion avoidance by byte counting, the way RFC 5681 §3.1 recommends (RFC 3465
            // §2.1): one SMSS per cwnd bytes acknowledged, so delayed ACKs do not halve the growth
            // (as equation 3, SMSS·SMSS/cwnd per ACK, would).
            bytesAcked += acked
            if bytesAcked >= cwnd {
                bytesAcked -= cwnd
                cwnd += mss
            }
            algorithm = .newReno(bytesAcked: min(bytesAcked, cwnd))
        case .cubic(var cubic):
            cubic.congestionAvoidance(cwnd: &cwnd, acked: acked, mss: mss, srtt: srtt, now: now)
            algorithm = .cubic(cubic)
        }
    }

    /// Loss detected (the third duplicate ACK, or RFC 6675's loss rule): the multiplicative
    /// decrease. Sets ssthresh; `cwnd` is then the recovery's business (PRR, or RFC 5681's
    /// inflation).
    mutating func onCongestionEvent(flightSize: Int, mss: Int, now: Instant) {
        decrease(flightSize: flightSize, mss: mss, afterTimeout: false)
    }

    /// The multiplicative decrease shared by a loss and a timeout: ssthresh from the algorithm,
    /// HyStart++ off for good (RFC 9406 §4.3: for the first slow start only).
    private mutating func decrease(flightSize: Int, mss: Int, afterTimeout: Bool) {
        hyStart.phase = .off
        switch algorithm {
        case .newReno:
            // RFC 5681 §3.2 step 2 (equation 4): ssthresh = max(FlightSize / 2, 2·SMSS).
            ssthresh = max(flightSize / 2, 2 * mss)
            algorithm = .newReno(bytesAcked: 0)
        case .cubic(var cubic):
            ssthresh = cubic.multiplicativeDecrease(cwnd: cwnd, mss: mss)
            // RFC 9438 §4.8: the first congestion avoidance after a timeout starts a new curve
            // with K = 0 and W_max = cwnd at its start.
            if afterTimeout { cubic.afterTimeout = true }
            algorithm = .cubic(cubic)
        }
    }

    /// Entering fast recovery with `flightSize` bytes outstanding (RFC 6937 §3 initialization).
    mutating func enterRecovery(flightSize: Int) {
        prrDelivered = 0
        prrOut = 0
        recoverFS = max(flightSize, 1)
    }

    /// PRR (RFC 6937 §3), on each ACK during recovery: `delivered` bytes newly delivered to the
    /// peer (cumulatively or SACKed; without SACK each duplicate ACK counts one SMSS), `pipe` the
    /// RFC 6675 estimate of bytes in the network after this ACK. Returns sndcnt, the bytes that
    /// may be sent now (rounded down to whole segments), and sets cwnd = pipe + sndcnt.
    /// PRR-SSRB by default; `conservative` selects PRR-CRB.
    @discardableResult
    mutating func onRecoveryACK(delivered: Int, pipe: Int, mss: Int, conservative: Bool = false) -> Int {
        prrDelivered += max(0, delivered)
        var sndcnt: Int
        if pipe > ssthresh {
            // Proportional Rate Reduction: sndcnt = CEIL(prr_delivered·ssthresh / RecoverFS) - prr_out.
            let product = prrDelivered.multipliedFullWidth(by: ssthresh)
            let (q, r) = recoverFS.dividingFullWidth(product)
            sndcnt = q + (r > 0 ? 1 : 0) - prrOut
        } else {
            // Reduction bound: CRB limit = prr_delivered - prr_out; SSRB adds one SMSS and lets a
            // stretch ACK count in full: MAX(prr_delivered - prr_out, DeliveredData) + MSS.
            let limit = conservative ? prrDelivered - prrOut : max(prrDelivered - prrOut, delivered) + mss
            sndcnt = min(ssthresh - pipe, limit)
        }
        sndcnt = max(0, sndcnt)
        // Whole segments only: the rest carries over to the next ACK through prr_delivered.
        sndcnt -= sndcnt % max(mss, 1)
        cwnd = pipe + sndcnt
        return sndcnt
    }

    /// Bytes sent (new data or retransmitted) during recovery (RFC 6937: prr_out += data sent).
    mutating func recordSent(_ bytes: Int) { prrOut += bytes }

    /// Leaving fast recovery with PRR: cwnd = ssthresh (RFC 6937 §3).
    mutating func exitRecovery() {
        if ssthresh != .max { cwnd = ssthresh }
    }

    /// Retransmission timeout (RFC 5681 §3.1 equation 4 and the loss window; RFC 9438 §4.8).
    mutating func onRetransmissionTimeout(flightSize: Int, mss: Int, now: Instant) {
        decrease(flightSize: flightSize, mss: mss, afterTimeout: true)
        cwnd = mss   // loss window LW = 1 segment (RFC 5681 §3.1)
    }

    /// RFC 5681 §4.1: after an idle period longer than the RTO, cwnd = min(RW, cwnd) with the
    /// restart window RW = min(IW, cwnd).
    mutating func onIdleRestart(initialWindow: Int) {
        cwnd = min(cwnd, initialWindow)
        if case .cubic(var cubic) = algorithm {
            cubic.inEpoch = false   // a new growth curve from here (RFC 9438 §5.8)
            algorithm = .cubic(cubic)
        }
    }
}

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

    enum Phase: UInt8 { case slowStart, conservative, off }
    var windowEnd = SequenceNumber(0)
    var lastRoundMinRTT = none
    var currentRoundMinRTT = none
    var cssBaselineMinRTT = none
    var samples: UInt8 = 0
    var cssRoundsDone: UInt8 = 0
    var phase = Phase.slowStart

    /// An RTT sample (nanoseconds) while in slow start or CSS.
    mutating func onRTTSample(_ rtt: Int64) {
        guard phase != .off else { return }
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
        case .off:
            break
        }
        return nil
    }

    /// After an ACK: when SND.UNA has passed the round's end, a new round starts. Returns the
    /// ssthresh that ends slow start after CSS_ROUNDS rounds of CSS.
    mutating func endOfRound(una: SequenceNumber, sndNxt: SequenceNumber, cwnd: Int) -> Int? {
        guard phase != .off, una >= windowEnd else { return nil }
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

/// CUBIC's state (RFC 9438 §4), in segments and seconds.
struct Cubic {
    /// RFC 9438 §5: C = 0.4, β_cubic = 0.7, α_cubic = 3·(1 - β)/(1 + β).
    static let c = 0.4
    static let beta = 0.7
    static let alpha = 3 * (1 - beta) / (1 + beta)
    /// §4.7 fast convergence.
    static let fastConvergence = true

    /// W_max: the window just before the last reduction (segments).
    var wMax = 0.0
    /// cwnd just before the last reduction (segments), for α_cubic (§4.3).
    var cwndPrior = 0.0
    /// Start of the current congestion-avoidance stage (valid when `inEpoch`).
    var epochStart = Instant.zero
    var cwndEpoch = 0.0
    var k = 0.0
    /// W_est, the Reno-friendly estimate (segments).
    var wEst = 0.0
    /// Growth below one byte carried to the next ACK.
    var remainder = 0.0
    /// The last reduction came from a timeout (§4.8).
    var afterTimeout = false
    /// A congestion-avoidance stage is running (it starts at its first ACK).
    var inEpoch = false

    /// W_cubic(t) = C·(t - K)³ + W_max (RFC 9438 §4.2, Figure 1), t in seconds.
    func window(at t: Double) -> Double {
        let d = t - k
        return Self.c * d * d * d + wMax
    }

    /// §4.6 and §4.7: the new ssthresh (bytes) after a congestion event at `cwnd` bytes.
    mutating func multiplicativeDecrease(cwnd: Int, mss: Int) -> Int {
        let w = Double(cwnd) / Double(mss)
        // §4.7: a loss before the window got back to the last W_max means another flow took
        // bandwidth: release some more by remembering a lower W_max.
        if Self.fastConvergence && w < wMax {
            wMax = w * (1 + Self.beta) / 2
        } else {
            wMax = w
        }
        cwndPrior = w
        inEpoch = false
        afterTimeout = false
        remainder = 0
        // §4.6: ssthresh = cwnd·β_cubic (the deployed choice; the RFC permits FlightSize), at
        // least 2 segments.
        return max(Int(Double(cwnd) * Self.beta), 2 * mss)
    }

    /// One ACK of `acked` bytes in congestion avoidance (§4.2–§4.5).
    mutating func congestionAvoidance(cwnd: inout Int, acked: Int, mss: Int, srtt: Int64?, now: Instant) {
        let segment = Double(mss)
        var w = (Double(cwnd) + remainder) / segment
        if !inEpoch {
            // §4.2: a new stage. K = ∛((W_max - cwnd_epoch)/C); after a timeout (§4.8), or when
            // the window is already past W_max (slow start ended without a loss), the curve
            // starts at its plateau: K = 0, W_max = cwnd_epoch.
            epochStart = now
            inEpoch = true
            cwndEpoch = w
            if afterTimeout || wMax <= w {
                wMax = w
                k = 0
            } else {
                k = ((wMax - w) / Self.c).cubeRoot
            }
            afterTimeout = false
            wEst = w   // §4.3: W_est starts at cwnd_epoch
        }
        let t = Double((now - epochStart).nanoseconds) / 1e9
        let rtt = Double(srtt ?? 0) / 1e9
        let ackedSegments = Double(acked) / segment
        // §4.3: W_est grows by α_cubic per window of ACKed segments; α_cubic becomes 1 once
        // W_est reaches cwnd_prior.
        let alpha = wEst >= cwndPrior ? 1.0 : Self.alpha
        wEst += alpha * ackedSegments / w
        if window(at: t) < wEst {
            // §4.3 Reno-friendly region: cwnd = W_est.
            w = max(w, wEst)
        } else {
            // §4.4/§4.5 concave and convex regions: aim at W_cubic(t + RTT), clamped to
            // [cwnd, 1.5·cwnd], and move (target - cwnd)/cwnd per ACKed segment.
            let target = min(max(window(at: t + rtt), w), 1.5 * w)
            w += (target - w) / w * ackedSegments
        }
        let bytes = w * segment
        let whole = bytes.rounded(.down)
        if whole >= Double(Int.max / 2) {
            cwnd = Int.max / 2
            remainder = 0
        } else {
            cwnd = max(cwnd, Int(whole))
            remainder = bytes - whole
        }
    }
}

extension Double {
    /// The real cube root (RFC 9438's cubic_root).
    var cubeRoot: Double {
        guard self != 0 else { return 0 }
        let r = CubeRoot.of(Swift.abs(self))
        return self < 0 ? -r : r
    }
}

/// Cube root without Foundation: Newton's method from a power-of-two first guess.
enum CubeRoot {
    static func of(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x }
        var y = Double(sign: .plus, exponent: x.exponent / 3, significand: 1)
        for _ in 0..<60 {
            let next = (2 * y + x / (y * y)) / 3
            if Swift.abs(next - y) <= 1e-15 * next { return next }
            y = next
        }
        return y
    }
}
