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
    /// With `byteCounting` false (`WindowGrowth.delivered`), slow start takes all of `acked` up
    /// to ssthresh and the rest goes on to congestion avoidance (Linux tcp_slow_start).
    mutating func onNewDataAcknowledged(_ acked: Int, mss: Int, srtt: Int64?, now: Instant, byteCounting: Bool = true) {
        guard acked > 0, mss > 0, isCwndLimited(mss: mss) else { return }
        var acked = acked
        if cwnd < ssthresh {
            // Slow start (RFC 5681 §3.1, RFC 3465 §2.2): cwnd += min(N, L·SMSS); in HyStart++'s
            // conservative slow start a quarter of that (RFC 9406 §4.2).
            var growth = byteCounting ? min(acked, Self.abcLimitSegments * mss) : min(acked, ssthresh - cwnd)
            if hyStart.phase == .conservative { growth /= HyStart.cssGrowthDivisor }
            cwnd += growth
            if hyStart.phase != .off, let newSsthresh = hyStart.afterSlowStartACK(cwnd: cwnd) { ssthresh = newSsthresh }
            if byteCounting || cwnd < ssthresh || hyStart.phase == .conservative { return }
            acked -= growth
            guard acked > 0 else { return }
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
    /// `safeACK` false (RFC 6937bis's ACK that does not advance SND.UNA or that shows new
    /// losses, as Linux's tcp_cwnd_reduction): the reduction bound takes no extra SMSS.
    mutating func onRecoveryACK(delivered: Int, pipe: Int, mss: Int, conservative: Bool = false, safeACK: Bool = true) -> Int {
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
            let limit = conservative ? prrDelivered - prrOut : max(prrDelivered - prrOut, delivered) + (safeACK ? mss : 0)
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
