// Congestion control: the initial window (RFC 6928), slow start with byte counting (RFC 5681 §3.1,
// RFC 3465), the reaction to three duplicate ACKs for NewReno and CUBIC (RFC 9438 §4.6), PRR's
// sending pattern in fast recovery (RFC 6937), the loss window after an RTO, and restart after
// idle (RFC 5681 §4.1). Packet traces with explicit times: the test is the peer and ACKs.
// CUBIC's growth curve W(t) is checked on the controller itself, fed ACKs at explicit times.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Congestion control: IW, slow start, NewReno, CUBIC, PRR, RTO, idle restart")
struct CongestionControlTests {
    static let mss = 1460

    static func configuration(_ algorithm: CongestionControlAlgorithm, _ change: (inout TCPConfiguration) -> Void = { _ in }) -> TCPConfiguration {
        Harness.configuration {
            $0.congestionControl = algorithm
            $0.sendBufferBytes = 1 << 20
            change(&$0)
        }
    }

    static func data(_ segments: Int) -> [UInt8] { (0..<(segments * mss)).map { UInt8(truncatingIfNeeded: $0 &* 13) } }

    /// An ACK from the peer for the first `n` segments.
    static func ack(_ h: Harness, _ n: Int) -> Seg { Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + n * mss, window: 65535) }

    /// Index of a data segment we sent.
    static func index(_ h: Harness, _ s: Seg) -> Int { Int(s.seq - (h.iss + 1)) / mss }

    // MARK: Initial window and slow start

    @Test("IW10: the first write goes out as 10 full segments, 14600 bytes, then nothing until an ACK", arguments: CongestionControlAlgorithm.allCases)
    func initialWindow(_ algorithm: CongestionControlAlgorithm) {
        var h = Harness.established(Self.configuration(algorithm))
        h.write(Self.data(30), at: 0.1)
        let sent = h.takeSent()
        #expect(sent.count == 10)
        #expect(sent.map(\.payload.count).reduce(0, +) == 14600)
        #expect(sent.map { Self.index(h, $0) } == Array(0..<10))
        #expect(h.info.cwnd == 14600)
        #expect(h.info.ssthresh == Int.max, "no loss yet: slow start without an upper bound")
        h.advance(to: 0.15)
        h.expectNothingSent()
    }

    @Test("the initial window follows the MSS (RFC 6928) and the configured segment count")
    func initialWindowSizes() {
        // A peer without an MSS option: 536 bytes, IW = min(5360, max(1072, 14600)) = 10 segments.
        var h = Harness.listen(Self.configuration(.cubic))
        h.send(Seg(.syn, seq: h.irs), at: 0)
        h.iss = h.takeSent()[0].seq
        h.conn = h.lastHalfOpen
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0)
        #expect(h.info.cwnd == 5360)
        // initialWindowSegments = 4: four segments.
        var g = Harness.established(Self.configuration(.cubic) { $0.initialWindowSegments = 4 })
        g.write(Self.data(10), at: 0.1)
        #expect(g.takeSent().count == 4)
        #expect(g.info.cwnd == 4 * Self.mss)
    }

    @Test("a lost SYN: the initial window is one segment (RFC 5681 §3.1)")
    func initialWindowAfterSYNLoss() {
        var h = Harness.synSent(Self.configuration(.cubic))
        // The SYN is lost; the timer resends it at 1 s and the SYN,ACK answers that one.
        guard let again = h.nextSent(until: 1.5) else { Issue.record("no SYN retransmission"); return }
        #expect(again.seg.flags == .syn && again.time == seconds(1))
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, mss: 1460), at: 1.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.info.cwnd == Self.mss)
        h.write(Self.data(5), at: 1.2)
        #expect(h.takeSent().count == 1)
    }

    @Test("slow start doubles the flight every round trip when each segment is ACKed (10, 20, 40)", arguments: CongestionControlAlgorithm.allCases)
    func slowStartDoubles(_ algorithm: CongestionControlAlgorithm) {
        var h = Harness.established(Self.configuration(algorithm))
        h.write(Self.data(100), at: 0.1)
        var round = h.takeSent().map { Self.index(h, $0) }
        var sizes = [round.count]
        var t = 0.2
        for _ in 0..<2 {
            var next: [Int] = []
            for i in round {
                h.send(Self.ack(h, i + 1), at: t)
                next += h.takeSent().map { Self.index(h, $0) }
            }
            sizes.append(next.count)
            round = next
            t += 0.1
        }
        #expect(sizes == [10, 20, 40])
        #expect(h.info.cwnd == 40 * Self.mss)
    }

    @Test("byte counting: an ACK of four segments grows cwnd by L = 2 SMSS, not four (RFC 3465 §2.2)")
    func appropriateByteCounting() {
        var h = Harness.established(Self.configuration(.newReno))
        h.write(Self.data(30), at: 0.1)
        #expect(h.takeSent().count == 10)
        h.send(Self.ack(h, 4), at: 0.2)
        #expect(h.info.cwnd == 12 * Self.mss)
        // 6 left in flight, cwnd 12: six new segments.
        #expect(h.takeSent().count == 6)
    }

    @Test("an application-limited flow does not grow cwnd: one segment at a time leaves it at IW (RFC 9438 §5.8, RFC 7661)", arguments: CongestionControlAlgorithm.allCases)
    func applicationLimited(_ algorithm: CongestionControlAlgorithm) {
        var h = Harness.established(Self.configuration(algorithm))
        let one = Array(Self.data(1))
        for k in 0..<30 {
            let t = 0.1 + Double(k) * 0.1
            h.write(one, at: t)
            #expect(h.takeSent().count == 1)
            h.send(Self.ack(h, k + 1), at: t + 0.05)
        }
        #expect(h.info.cwnd == 14600, "30 ACKs, each of a flight of one segment")
    }

    // MARK: Three duplicate ACKs

    /// ESTABLISHED, slow start grown to 20 segments in flight (10 sent at 0.1 s, each ACKed at
    /// 0.2 s releasing two), cwnd = 20 segments; data beyond for recovery to send.
    static func twentyInFlight(_ configuration: TCPConfiguration) -> Harness {
        var h = Harness.established(configuration)
        h.write(Self.data(60), at: 0.1)
        #expect(h.takeSent().count == 10)
        for i in 1...10 { h.send(Self.ack(h, i), at: 0.2) }
        #expect(h.takeSent().count == 20)
        #expect(h.info.cwnd == 20 * Self.mss)
        return h
    }

    @Test("NewReno: three duplicate ACKs set ssthresh = FlightSize/2 and resend the hole")
    func newRenoThreeDuplicates() {
        var h = Self.twentyInFlight(Self.configuration(.newReno))
        // Segment 10 (the first of the 20) is lost; 11, 12, 13 arrive: three duplicates of ACK 10.
        // The first two send 30 and 31 (limited transmit, RFC 3042); the third resends 10.
        for t in [0.3, 0.301, 0.302] { h.send(Self.ack(h, 10), at: t) }
        let sent = h.takeSent()
        #expect(sent.map { Self.index(h, $0) } == [30, 31, 10])
        #expect(h.info.ssthresh == 10 * Self.mss,
                "FlightSize 20 segments / 2 (RFC 5681 equation 4; limited transmit's two left out, §3.2 step 2)")
    }

    @Test("CUBIC: three duplicate ACKs set ssthresh = cwnd·0.7 (RFC 9438 §4.6) and resend the hole")
    func cubicThreeDuplicates() {
        var h = Self.twentyInFlight(Self.configuration(.cubic))
        for t in [0.3, 0.301, 0.302] { h.send(Self.ack(h, 10), at: t) }
        #expect(h.takeSent().map { Self.index(h, $0) } == [30, 31, 10], "limited transmit, then the hole")
        #expect(h.info.ssthresh == 20 * Self.mss * 7 / 10)
        let info = h.stack.tcpInfo(of: h.conn)!
        #expect(info.congestionControl == .cubic && info.congestionState == .recovery)
        #expect(info.ssthresh == 20 * Self.mss * 7 / 10)
        // The full ACK ends recovery at cwnd = ssthresh (PRR, RFC 6937).
        for k in 0..<13 { h.send(Self.ack(h, 10), at: 0.303 + Double(k) * 0.001) }
        _ = h.takeSent()
        h.send(Self.ack(h, Int(h.info.sndNxt - (h.iss + 1)) / Self.mss), at: 0.4)
        #expect(h.info.cwnd == 20 * Self.mss * 7 / 10)
        #expect(h.stack.tcpInfo(of: h.conn)!.congestionState == .open)
    }

    // MARK: PRR

    @Test("PRR with NewReno (β = 1/2): one new segment for every two delivered during recovery (RFC 6937)")
    func prrSendingPattern() {
        var h = Self.twentyInFlight(Self.configuration(.newReno))
        let ssthresh = 10 * Self.mss
        // 21 duplicates for the lost segment 10 (segments 11...29, then 30 and 31 that limited
        // transmit sent on the first two, arrived), 1 ms apart.
        var perACK: [Int] = []
        var retransmitted: [Int] = []
        for k in 0..<21 {
            h.send(Self.ack(h, 10), at: 0.3 + Double(k) * 0.001)
            let sent = h.takeSent()
            retransmitted += sent.filter { Self.index(h, $0) < 30 }.map { Self.index(h, $0) }
            perACK.append(sent.filter { Self.index(h, $0) >= 30 }.count)
        }
        print("PRR new segments per duplicate ACK (NewReno, RecoverFS 22, ssthresh 10):", perACK)
        #expect(retransmitted == [10], "the fast retransmit on the third duplicate, nothing else resent")
        #expect(h.info.ssthresh == ssthresh, "FlightSize 20: limited transmit's two left out (RFC 5681 §3.2 step 2)")
        // The first two duplicates: one segment each by limited transmit (RFC 3042), cwnd unchanged.
        // RFC 6937 §3: while pipe > ssthresh, sndcnt = CEIL(prr_delivered·ssthresh/RecoverFS) -
        // prr_out, in bytes and rounded down to whole segments, with RecoverFS = 22 segments
        // (SND.NXT − SND.UNA, limited transmit's two included). The fast retransmit uses the
        // first allowance; then a new segment on about every second ACK (delivered 5 →
        // 5·10/22·SMSS = 2.27 SMSS allowed, 1 out → one new; 6 → 2.73: none; 7 → 3.18: one…).
        // pipe = 22 − duplicates + new segments reaches ssthresh at the 16th duplicate; from
        // there the reduction bound (SSRB) sends one per ACK, holding pipe at ssthresh.
        #expect(perACK == [1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1])
        #expect(perACK.dropFirst(2).reduce(0, +) + 1 == 10, "sent in recovery: the retransmission and 9 new = ssthresh")
        // The retransmission fills the hole: ACK of everything sent; recovery ends at cwnd = ssthresh.
        h.send(Self.ack(h, 41), at: 0.4)
        #expect(h.info.cwnd == ssthresh)
    }

    @Test("without PRR, RFC 5681 inflation sends nothing until the flight drains past cwnd")
    func inflationWithoutPRR() {
        var h = Self.twentyInFlight(Self.configuration(.newReno) { $0.proportionalRateReduction = false })
        var perACK: [Int] = []
        for k in 0..<19 {
            h.send(Self.ack(h, 10), at: 0.3 + Double(k) * 0.001)
            perACK.append(h.takeSent().filter { Self.index(h, $0) >= 30 }.count)
        }
        // The first two duplicates send one segment each (limited transmit, RFC 3042). Then cwnd
        // = 10 + 3 segments, +1 per duplicate: new data only once cwnd passes the 22 in flight,
        // at the 13th duplicate: the half-RTT silence PRR avoids.
        #expect(perACK == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1])
    }

    @Test("a partial ACK in PRR recovery: the next hole is resent at once (RFC 6582) and counts as sent")
    func prrPartialACK() {
        var h = Self.twentyInFlight(Self.configuration(.newReno))
        // Segments 10 and 15 are lost; 11–14 and 16–29 arrive: 18 duplicates of ACK 10.
        for k in 0..<18 { h.send(Self.ack(h, 10), at: 0.3 + Double(k) * 0.001) }
        let during = h.takeSent().map { Self.index(h, $0) }
        #expect(during.prefix(3) == [30, 31, 10], "limited transmit, then the fast retransmit")
        // The resent 10 arrives: ACK 15, partial; 15 goes at once.
        h.send(Self.ack(h, 15), at: 0.4)
        let after = h.takeSent().map { Self.index(h, $0) }
        #expect(after.first == 15)
        #expect(h.stack.statistics.fastRetransmissions == 2)
        #expect(h.stack.statistics.retransmissions == 2)
    }

    @Test("NewReno: only the first partial ACK restarts the retransmission timer (RFC 6582 §3.2 step 4); a timeout in recovery keeps ssthresh")
    func impatientTimer() {
        var h = Self.twentyInFlight(Self.configuration(.newReno))
        // Segments 10, 12 and 14 are lost.
        for k in 0..<3 { h.send(Self.ack(h, 10), at: 0.3 + Double(k) * 0.001) }
        #expect(h.takeSent().map { Self.index(h, $0) } == [30, 31, 10], "limited transmit, then the fast retransmit")
        let ssthresh = h.info.ssthresh
        #expect(ssthresh == 10 * Self.mss)
        h.send(Self.ack(h, 12), at: 0.4)   // first partial ACK: 12 goes, the timer restarts
        #expect(h.takeSent().map { Self.index(h, $0) }.first == 12)
        #expect(h.info.timers.retransmit == seconds(1.4))
        h.send(Self.ack(h, 14), at: 0.5)   // second partial ACK: 14 goes, the timer stays
        #expect(h.takeSent().map { Self.index(h, $0) }.first == 14)
        #expect(h.info.timers.retransmit == seconds(1.4))
        // Nothing more arrives: the timer fires at 1.4 s, goes back to SND.UNA with one segment.
        guard let resent = h.nextSent(until: 1.5) else { Issue.record("no timeout"); return }
        #expect(resent.time == seconds(1.4))
        #expect(Self.index(h, resent.seg) == 14)
        #expect(h.info.cwnd == Self.mss)
        #expect(h.info.ssthresh == ssthresh, "the same loss event: not reduced twice")
    }

    // MARK: RTO

    @Test("an RTO sets cwnd to one segment and ssthresh by the algorithm; a second RTO keeps ssthresh", arguments: CongestionControlAlgorithm.allCases)
    func retransmissionTimeout(_ algorithm: CongestionControlAlgorithm) {
        var h = Harness.established(Self.configuration(algorithm))
        h.write(Self.data(6), at: 0.1)
        #expect(h.takeSent().count == 6)
        guard let first = h.nextSent(until: 1.2) else { Issue.record("no retransmission"); return }
        #expect(first.time == seconds(1.1))
        #expect(Self.index(h, first.seg) == 0)
        #expect(h.info.cwnd == Self.mss, "the loss window, one segment (RFC 5681 §3.1)")
        #expect(h.stack.tcpInfo(of: h.conn)!.congestionState == .loss)
        #expect(h.stack.tcpInfo(of: h.conn)!.congestionControl == algorithm)
        let ssthresh = algorithm == .newReno ? 6 * Self.mss / 2 : 14600 * 7 / 10
        #expect(h.info.ssthresh == ssthresh)
        guard let second = h.nextSent(until: 3.2) else { Issue.record("no second retransmission"); return }
        #expect(second.time == seconds(3.1))
        #expect(h.info.cwnd == Self.mss)
        #expect(h.info.ssthresh == ssthresh, "RFC 5681 §3.1: held constant on a second timeout of the same segment")
        // The ACK of segment 0 lets two out (slow start from one segment).
        h.send(Self.ack(h, 1), at: 3.3)
        #expect(h.takeSent().map { Self.index(h, $0) } == [1, 2])
    }

    // MARK: Restart after idle

    /// cwnd grown to 20 segments, everything acknowledged by 0.2 s.
    static func grownAndIdle(_ configuration: TCPConfiguration) -> Harness {
        var h = Harness.established(configuration)
        h.write(Self.data(10), at: 0.1)
        #expect(h.takeSent().count == 10)
        for i in 1...10 { h.send(Self.ack(h, i), at: 0.2) }
        h.expectNothingSent()
        #expect(h.info.cwnd == 20 * Self.mss)
        #expect(h.info.sndUna == h.info.sndNxt)
        return h
    }

    @Test("idle longer than the RTO: the next burst is the restart window min(IW, cwnd) (RFC 5681 §4.1)", arguments: CongestionControlAlgorithm.allCases)
    func idleRestart(_ algorithm: CongestionControlAlgorithm) {
        var h = Self.grownAndIdle(Self.configuration(algorithm))
        #expect(h.info.rto == .seconds(1))
        h.write(Self.data(30), at: 1.3)   // 1.1 s after the last data went out
        #expect(h.takeSent().count == 10)
        #expect(h.info.cwnd == 10 * Self.mss)
    }

    @Test("idle shorter than the RTO, or tcp_slow_start_after_idle off: the whole cwnd goes")
    func noIdleRestart() {
        var h = Self.grownAndIdle(Self.configuration(.cubic))
        h.write(Self.data(30), at: 1.0)   // 0.9 s idle < RTO 1 s
        #expect(h.takeSent().count == 20)
        var g = Self.grownAndIdle(Self.configuration(.cubic) { $0.slowStartAfterIdle = false })
        g.write(Self.data(30), at: 10)
        #expect(g.takeSent().count == 20)
        #expect(g.info.cwnd == 20 * Self.mss)
    }
}

// MARK: - CUBIC's window function, on the controller with explicit times

@Suite("CUBIC (RFC 9438): W(t), the Reno-friendly region, fast convergence")
struct CubicTests {
    static let mss = 1000

    /// A CUBIC controller that has just had a loss at `lossWindow` segments and left recovery at
    /// cwnd = ssthresh (= 0.7·lossWindow).
    static func afterLoss(at lossWindow: Int) -> CongestionControl {
        var cc = CongestionControl(.cubic)
        cc.cwnd = lossWindow * mss
        cc.onCongestionEvent(flightSize: lossWindow * mss, mss: mss, now: .zero)
        cc.exitRecovery()
        return cc
    }

    /// Feeds one ACK per segment of the window, round trip after round trip, from `start` for
    /// `duration` seconds; returns cwnd (segments) at the start of each round trip.
    static func run(_ cc: inout CongestionControl, rtt: Double, from start: Double, for duration: Double) -> [(t: Double, w: Double)] {
        var out: [(Double, Double)] = []
        var t = start
        let srtt = Int64(rtt * 1e9)
        while t < start + duration - 1e-9 {
            out.append((t - start, Double(cc.cwnd) / Double(mss)))
            let acks = cc.cwnd / mss
            for _ in 0..<acks {
                cc.maxFlight = cc.cwnd   // the sender refills the window after every ACK
                cc.onNewDataAcknowledged(mss, mss: mss, srtt: srtt, now: .seconds(t))
            }
            t += rtt
        }
        out.append((t - start, Double(cc.cwnd) / Double(mss)))
        return out
    }

    static func wCubic(_ t: Double, wMax: Double, k: Double) -> Double { 0.4 * (t - k) * (t - k) * (t - k) + wMax }

    @Test("a loss at 100 segments: ssthresh 70, K = ∛(30/0.4) ≈ 4.217 s, and cwnd follows W(t) = 0.4(t-K)³ + 100")
    func windowFunction() {
        var cc = Self.afterLoss(at: 100)
        #expect(cc.ssthresh == 70 * Self.mss)
        #expect(cc.cwnd == 70 * Self.mss)
        let trajectory = Self.run(&cc, rtt: 0.1, from: 50, for: 8)
        guard case .cubic(let cubic) = cc.algorithm else { Issue.record("not CUBIC"); return }
        let k = 4.2171633265
        #expect(abs(cubic.k - k) < 1e-6)
        #expect(cubic.wMax == 100)
        // cwnd moves toward W(t + RTT) by (target - cwnd)/cwnd per ACK: it tracks the curve a
        // round trip or so behind. Check it against W(t) within 2 segments plus 3 %.
        var worst = 0.0
        for (t, w) in trajectory where t > 0.5 {
            let expected = Self.wCubic(t, wMax: 100, k: k)
            worst = max(worst, abs(w - expected) / expected)
            #expect(abs(w - expected) <= 2 + 0.03 * expected, "t = \(t): cwnd \(w), W(t) \(expected)")
        }
        let sample = trajectory.filter { [1.0, 2.0, 3.0, 4.2, 5.0, 6.0, 7.0, 8.0].contains(($0.t * 10).rounded() / 10) }
        print("CUBIC W(t) after a loss at 100 segments, RTT 100 ms: t, cwnd, W(t):",
              sample.map { "\(($0.t * 10).rounded() / 10): \(Int($0.w)) / \(Int(Self.wCubic($0.t, wMax: 100, k: k)))" },
              "worst relative gap \(worst)")
        // Concave below W_max, a plateau around K, convex above.
        let atK = trajectory.first { $0.t >= k }!.w
        #expect(abs(atK - 100) <= 3)
        #expect(trajectory.last!.w > 115, "convex growth past W_max: W(8 s) ≈ 121.7")
    }

    @Test("Reno-friendly region: with a 10 ms RTT and a small window, cwnd follows W_est, not W(t)")
    func renoFriendly() {
        var cc = Self.afterLoss(at: 10)
        let trajectory = Self.run(&cc, rtt: 0.01, from: 0, for: 1)
        // W_est from 7 segments: +α = 3·0.3/1.7 ≈ 0.529 per round trip up to cwnd_prior = 10
        // (about 6 round trips), then +1 per round trip (§4.3): ≈ 10 + 94 after 100 round trips.
        let w = trajectory.last!.w
        let cubicThen = Self.wCubic(1, wMax: 10, k: (7.5 as Double).cubeRoot)
        #expect(cubicThen < 10)
        #expect(w > 95 && w < 110, "cwnd \(w) after 1 s")
        guard case .cubic(let cubic) = cc.algorithm else { Issue.record("not CUBIC"); return }
        #expect(abs(cubic.wEst - w) < 1.5)
    }

    @Test("fast convergence: a loss before regaining W_max remembers W_max = cwnd·(1+β)/2 (RFC 9438 §4.7)")
    func fastConvergence() {
        var cc = Self.afterLoss(at: 100)
        cc.cwnd = 80 * Self.mss
        cc.onCongestionEvent(flightSize: 80 * Self.mss, mss: Self.mss, now: .seconds(1))
        guard case .cubic(let cubic) = cc.algorithm else { Issue.record("not CUBIC"); return }
        #expect(abs(cubic.wMax - 68) < 1e-9)
        #expect(cc.ssthresh == 56 * Self.mss)
        // A loss above the old W_max: W_max is the window itself.
        cc.cwnd = 120 * Self.mss
        cc.onCongestionEvent(flightSize: 120 * Self.mss, mss: Self.mss, now: .seconds(2))
        guard case .cubic(let again) = cc.algorithm else { return }
        #expect(again.wMax == 120)
        #expect(cc.ssthresh == 84 * Self.mss)
    }

    @Test("after an RTO the first congestion avoidance starts a curve with K = 0 at its own cwnd (RFC 9438 §4.8)")
    func afterTimeout() {
        var cc = Self.afterLoss(at: 100)
        cc.onRetransmissionTimeout(flightSize: 70 * Self.mss, mss: Self.mss, now: .seconds(1))
        #expect(cc.cwnd == Self.mss)
        #expect(cc.ssthresh == 49 * Self.mss)
        // Slow start to ssthresh, then the first CA ACK.
        cc.cwnd = 49 * Self.mss
        cc.maxFlight = 49 * Self.mss
        cc.onNewDataAcknowledged(Self.mss, mss: Self.mss, srtt: 100_000_000, now: .seconds(5))
        guard case .cubic(let cubic) = cc.algorithm else { Issue.record("not CUBIC"); return }
        #expect(cubic.k == 0)
        #expect(abs(cubic.wMax - 49) < 0.01)
    }

    /// One slow-start round trip: an ACK per segment of the window, each with an RTT sample of
    /// `rttMs`; the sender refills the window as it goes. Returns cwnd (segments) after it.
    static func slowStartRound(_ cc: inout CongestionControl, una: inout SequenceNumber, rttMs: Int64, at t: Double) -> Int {
        let acks = cc.cwnd / mss
        var sndNxt = una + cc.cwnd
        for _ in 0..<acks {
            cc.maxFlight = cc.cwnd
            una += mss
            cc.hyStart.onRTTSample(rttMs * 1_000_000)
            cc.onNewDataAcknowledged(mss, mss: mss, srtt: rttMs * 1_000_000, now: .seconds(t))
            sndNxt = una + cc.cwnd
            if cc.inSlowStart, let s = cc.hyStart.endOfRound(una: una, sndNxt: sndNxt, cwnd: cc.cwnd) { cc.ssthresh = s }
        }
        return cc.cwnd / mss
    }

    @Test("HyStart++: an RTT increase of 1/8 moves slow start to CSS (a quarter of the growth); five CSS rounds end it (RFC 9406)")
    func hyStart() {
        var cc = CongestionControl(.cubic, hyStart: true)
        cc.cwnd = 10 * Self.mss
        var una = SequenceNumber(1000)
        cc.hyStart.windowEnd = una
        var sizes: [Int] = []
        var t = 0.0
        for _ in 0..<4 { sizes.append(Self.slowStartRound(&cc, una: &una, rttMs: 100, at: t)); t += 0.1 }
        #expect(cc.hyStart.phase == .slowStart)
        #expect(sizes == [20, 40, 80, 160], "slow start doubles")
        // The queue grows: 113 ms ≥ 100 + max(4, min(100/8, 16)) = 112.5 ms.
        sizes.append(Self.slowStartRound(&cc, una: &una, rttMs: 113, at: t)); t += 0.1
        #expect(cc.hyStart.phase == .conservative)
        #expect(cc.ssthresh == .max)
        var css: [Int] = []
        for _ in 0..<5 { css.append(Self.slowStartRound(&cc, una: &una, rttMs: 120, at: t)); t += 0.1 }
        print("HyStart++ cwnd per round (segments):", sizes, "then CSS:", css)
        // In CSS each round grows by a quarter: about ×1.25 (the helper's rounds run a little
        // behind HyStart's, which end at the SND.NXT of their start).
        for (a, b) in zip(css, css.dropFirst()).dropLast() { #expect(Double(b) / Double(a) > 1.2 && Double(b) / Double(a) < 1.3) }
        // After CSS_ROUNDS rounds: ssthresh = cwnd, congestion avoidance (a little CUBIC growth
        // on the rest of the helper's last round).
        #expect(cc.hyStart.phase == .off)
        #expect(!cc.inSlowStart)
        #expect(cc.ssthresh > 531 * Self.mss && cc.cwnd - cc.ssthresh < cc.ssthresh / 50)
    }

    @Test("HyStart++: an RTT that falls back below the CSS baseline resumes slow start")
    func hyStartSpurious() {
        var cc = CongestionControl(.newReno, hyStart: true)
        cc.cwnd = 10 * Self.mss
        var una = SequenceNumber(1000)
        cc.hyStart.windowEnd = una
        for k in 0..<3 { _ = Self.slowStartRound(&cc, una: &una, rttMs: 50, at: Double(k) * 0.05) }
        _ = Self.slowStartRound(&cc, una: &una, rttMs: 60, at: 0.15)
        #expect(cc.hyStart.phase == .conservative)
        _ = Self.slowStartRound(&cc, una: &una, rttMs: 50, at: 0.2)
        #expect(cc.hyStart.phase == .slowStart)
        // Without timestamps there are too few samples a round: nothing changes.
        var few = CongestionControl(.cubic, hyStart: true)
        few.cwnd = 10 * Self.mss
        few.hyStart.onRTTSample(50_000_000)
        few.hyStart.lastRoundMinRTT = 10_000
        #expect(few.hyStart.afterSlowStartACK(cwnd: few.cwnd) == nil)
        #expect(few.hyStart.phase == .slowStart)
    }

    @Test("NewReno congestion avoidance counts bytes: a window ACKed two segments at a time grows cwnd by one SMSS (RFC 5681 §3.1, RFC 3465)")
    func newRenoByteCounting() {
        var cc = CongestionControl(.newReno)
        cc.cwnd = 10 * Self.mss
        cc.ssthresh = 10 * Self.mss
        var sizes: [Int] = []
        for round in 0..<3 {
            var left = cc.cwnd / Self.mss   // a window of segments, ACKed two at a time
            while left > 0 {
                let n = min(2, left)
                left -= n
                cc.maxFlight = cc.cwnd
                cc.onNewDataAcknowledged(n * Self.mss, mss: Self.mss, srtt: 100_000_000, now: .seconds(Double(round)))
            }
            sizes.append(cc.cwnd)
        }
        // Equation 3 per ACK would add about half a segment each round (5 or 6 ACKs of SMSS²/cwnd).
        #expect(sizes == [11 * Self.mss, 12 * Self.mss, 13 * Self.mss])
    }

    @Test("cube root")
    func cubeRoot() {
        for x in [0.0, 1, 8, 27, 75, 1e-9, 1e12, -8] {
            let r = x.cubeRoot
            #expect(abs(r * r * r - x) <= 1e-9 * max(1, abs(x)), "\(x)")
        }
    }
}
