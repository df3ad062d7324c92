// Fast retransmit and fast recovery: RFC 5681 §3.2 with NewReno's partial ACKs (RFC 6582).
// Packet traces with explicit times: the peer (the test) acknowledges, repeats ACKs, and we check
// what goes out and when — well before the retransmission timer would have fired.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Fast retransmit and recovery (RFC 5681 §3.2, RFC 6582)")
struct RecoveryTests {
    static let mss = 1460
    /// These tests check RFC 5681 §3.2 and RFC 6582 as written: NewReno with window inflation.
    /// (CUBIC and PRR, the defaults, are in CongestionControlTests.)
    static let rfc5681 = Harness.configuration {
        $0.congestionControl = .newReno
        $0.proportionalRateReduction = false
    }

    /// ESTABLISHED with `segments` full segments written at 0.1 s and sent at once (the initial
    /// window is 10 segments, RFC 6928). Returns the harness and the data.
    static func flight(_ segments: Int) -> (Harness, [UInt8]) {
        var h = Harness.established(rfc5681)
        let data = (0..<(segments * mss)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        h.write(data, at: 0.1)
        let sent = h.takeSent()
        #expect(sent.count == segments)
        #expect(sent.map(\.payload.count) == Array(repeating: mss, count: segments))
        return (h, data)
    }

    static func segment(_ h: Harness, _ data: [UInt8], _ i: Int, flags: TCPFlags = [.ack]) -> Seg {
        Seg(flags, seq: h.iss + 1 + i * mss, ack: h.irs + 1, window: fullWindow, payload: Array(data[(i * mss)..<((i + 1) * mss)]))
    }

    /// An ACK from the peer for the first `n` segments.
    static func ack(_ h: Harness, _ n: Int) -> Seg { Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + n * mss, window: 65535) }

    @Test("the third duplicate ACK resends the first unacknowledged segment at once")
    func thirdDuplicateRetransmits() {
        var (h, data) = Self.flight(6)
        h.send(Self.ack(h, 1), at: 0.2)          // segment 0 arrived; segment 1 was lost
        h.expectNothingSent()
        h.send(Self.ack(h, 1), at: 0.21)         // duplicates, caused by segments 2, 3, 4
        h.send(Self.ack(h, 1), at: 0.22)
        h.expectNothingSent()
        h.send(Self.ack(h, 1), at: 0.23)
        h.expectSent(Self.segment(h, data, 1))   // at 0.23 s, not at the RTO
        let info = h.info
        #expect(info.ssthresh == max(5 * Self.mss / 2, 2 * Self.mss))   // FlightSize/2 = 5 segments / 2
        #expect(info.cwnd == info.ssthresh + 3 * Self.mss)
        #expect(h.stack.statistics.duplicateACKs == 3)
        #expect(h.stack.statistics.fastRetransmissions == 1)
        #expect(info.sndNxt == h.iss + 1 + 6 * Self.mss, "SND.NXT stays where it was")
    }

    @Test("a full ACK ends recovery with cwnd = min(ssthresh, FlightSize + SMSS)")
    func fullACKEndsRecovery() {
        var (h, data) = Self.flight(6)
        for t in [0.2, 0.21, 0.22, 0.23] { h.send(Self.ack(h, 1), at: t) }
        h.expectSent(Self.segment(h, data, 1))
        let ssthresh = h.info.ssthresh
        h.send(Self.ack(h, 6), at: 0.3)          // the resent segment filled the only hole
        #expect(h.info.cwnd == min(ssthresh, Self.mss + 0 + Self.mss) || h.info.cwnd == min(ssthresh, 2 * Self.mss))
        #expect(h.info.sndUna == h.iss + 1 + 6 * Self.mss)
        h.expectNothingSent()
        #expect(h.info.timers.retransmit == nil, "all acknowledged: the timer stops (RFC 6298 §5.2)")
    }

    @Test("a partial ACK resends the next hole at once (NewReno)")
    func partialACKResendsNextHole() {
        var (h, data) = Self.flight(8)
        // Segments 1 and 4 were lost: duplicates for 1, fast retransmit of 1.
        for t in [0.2, 0.21, 0.22, 0.23] { h.send(Self.ack(h, 1), at: t) }
        h.expectSent(Self.segment(h, data, 1))
        // The resent 1 arrives: the peer now has 0..3 and 5..7: a partial ACK for 4 segments.
        h.send(Self.ack(h, 4), at: 0.3)
        h.expectSent(Self.segment(h, data, 4))
        #expect(h.stack.statistics.fastRetransmissions == 2)
        h.send(Self.ack(h, 8), at: 0.35)
        #expect(h.info.sndUna == h.iss + 1 + 8 * Self.mss)
        h.expectNothingSent()
        #expect(h.stack.statistics.retransmissions == 2, "two segments resent, none by the timer")
    }

    @Test("further duplicates inflate cwnd and let new data out")
    func inflationSendsNewData() {
        var h = Harness.established(Self.rfc5681)
        let data = (0..<(20 * Self.mss)).map { UInt8(truncatingIfNeeded: $0) }
        h.write(data, at: 0.1)
        #expect(h.takeSent().count == 10, "initial window: 10 segments (RFC 6928)")
        h.send(Self.ack(h, 1), at: 0.2)
        #expect(h.takeSent().count == 2, "slow start: one ACK of one segment lets two out")
        // Limited transmit (RFC 3042) on the first two duplicates, then the fast retransmit.
        h.send(Self.ack(h, 1), at: 0.21)
        h.expectSent(Self.segment(h, data, 12))
        h.send(Self.ack(h, 1), at: 0.22)
        h.expectSent(Self.segment(h, data, 13))
        h.send(Self.ack(h, 1), at: 0.23)
        h.expectSent(Self.segment(h, data, 1))
        // 13 segments in flight; ssthresh = (13 − 2 sent by limited transmit) / 2 = 5.5 segments,
        // cwnd = 5.5 + 3 = 8.5: nothing new yet.
        h.expectNothingSent()
        #expect(h.info.ssthresh == 11 * Self.mss / 2 && h.info.cwnd == h.info.ssthresh + 3 * Self.mss)
        var sentNew: [Int] = []
        var t = 0.24
        for _ in 0..<6 {
            h.send(Self.ack(h, 1), at: t)
            t += 0.01
            sentNew += h.takeSent().map { Int($0.seq - (h.iss + 1)) / Self.mss }
        }
        // Each duplicate adds one SMSS (RFC 5681 §3.2 step 4): cwnd passes the 13 in flight by a
        // whole segment at the sixth (14.5 segments).
        #expect(sentNew == [14], "inflation lets new segments out (RFC 5681 §3.2 step 5)")
    }

    /// RFC 3042 §2 (RFC 5681 §3.2 step 1): on the first and the second duplicate ACK a sender
    /// without SACK sends one segment of new data each, if the peer's window allows and the
    /// flight stays within cwnd + 2·SMSS; cwnd does not change, and what it sent stays out of
    /// the FlightSize that sets ssthresh at the third (RFC 5681 §3.2 step 2).
    @Test("limited transmit without SACK (RFC 3042): the first two duplicates send one new segment each, cwnd unchanged; the third resends the hole")
    func limitedTransmit() {
        var h = Harness.established(Self.rfc5681)
        let data = (0..<(13 * Self.mss)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        h.write(data, at: 0.1)
        #expect(h.takeSent() == (0..<10).map { Self.segment(h, data, $0) }, "IW = 10 segments (RFC 6928)")
        // Segment 0 is lost; 1 and 2 arrive: two duplicates of ISN + 1, each lets one new segment out.
        h.send(Self.ack(h, 0), at: 0.2)
        h.expectSent(Self.segment(h, data, 10))
        h.expectNothingSent()
        #expect(h.info.cwnd == 10 * Self.mss)
        h.send(Self.ack(h, 0), at: 0.21)
        h.expectSent(Self.segment(h, data, 11))
        h.expectNothingSent()
        #expect(h.info.cwnd == 10 * Self.mss && h.stack.statistics.fastRetransmissions == 0)
        // The third: fast retransmit of the hole and nothing new (12 in flight, cwnd 5 + 3 segments).
        h.send(Self.ack(h, 0), at: 0.22)
        h.expectSent(Self.segment(h, data, 0))
        h.expectNothingSent()
        #expect(h.info.ssthresh == 5 * Self.mss, "FlightSize without the two limited-transmit segments: 10 / 2")
        #expect(h.info.cwnd == 8 * Self.mss)
        #expect(h.stack.statistics.fastRetransmissions == 1 && h.stack.statistics.retransmissions == 1)
        // The retransmission fills the hole: everything acknowledged, recovery over, and the last
        // segment goes.
        h.send(Self.ack(h, 12), at: 0.3)
        h.expectSent(Self.segment(h, data, 12, flags: [.psh, .ack]))
        h.expectNothingSent()
        #expect(h.stack.statistics.retransmissions == 1 && h.info.timers.retransmit != nil)
    }

    @Test("limited transmit without SACK: never more than two segments past cwnd, and only inside the peer's window")
    func limitedTransmitBounds() {
        // Duplicates that cannot start a recovery (RFC 6582 step 2: after a timeout, of data sent
        // before it) still send at most two segments past cwnd.
        var h = Harness.established(Self.rfc5681)
        let data = (0..<(20 * Self.mss)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        h.write(data, at: 0.1)
        #expect(h.takeSent().count == 10)
        h.expectSent(Self.segment(h, data, 0), at: 1.1)              // RTO: cwnd 1 segment, go back
        h.send(Self.ack(h, 10), at: 1.2)                             // everything arrived after all
        #expect(h.info.sndUna == h.iss + 1 + 10 * Self.mss)
        let cwnd = h.info.cwnd
        let burst = h.takeSent().count
        #expect(burst == cwnd / Self.mss)
        for (k, t) in [1.21, 1.22, 1.23, 1.24].enumerated() {
            h.send(Self.ack(h, 10), at: t)
            #expect(h.takeSent().count == (k < 2 ? 1 : 0), "duplicate \(k + 1)")
        }
        #expect(h.stack.statistics.fastRetransmissions == 0)

        // A peer whose window holds exactly the initial window: nothing may go past it.
        var w = Harness.established(Self.rfc5681)
        let small = UInt16(10 * Self.mss)
        w.send(Seg(.ack, seq: w.irs + 1, ack: w.iss + 1, window: small), at: 0.05)   // window update
        w.write(data, at: 0.1)
        #expect(w.takeSent().count == 10)
        for t in [0.2, 0.21] { w.send(Seg(.ack, seq: w.irs + 1, ack: w.iss + 1, window: small), at: t) }
        w.expectNothingSent()
        #expect(w.stack.statistics.duplicateACKs == 2)
    }

    @Test("ACKs that change the window or carry data are not duplicates")
    func notDuplicates() {
        var (h, _) = Self.flight(4)
        h.send(Self.ack(h, 1), at: 0.2)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1 + Self.mss, window: 60000), at: 0.21)   // window update
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1 + Self.mss, window: 60000, payload: [1]), at: 0.22)  // data
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 1 + Self.mss, window: 60000), at: 0.23)
        #expect(h.stack.statistics.duplicateACKs == 1)
        #expect(h.stack.statistics.fastRetransmissions == 0)
    }

    @Test("after a timeout, duplicates of data sent before it do not start a recovery (RFC 6582 step 2)")
    func noRecoveryFromOldDuplicates() {
        var (h, data) = Self.flight(4)
        // Nothing is acknowledged: the timer fires at 1.1 s and resends segment 0.
        h.expectSent(Self.segment(h, data, 0), at: 1.1)
        // Three duplicate ACKs of the ISN+1 arrive late: they may be echoes of the old flight.
        for t in [1.2, 1.21, 1.22] { h.send(Self.ack(h, 0), at: t) }
        #expect(h.stack.statistics.fastRetransmissions == 0)
    }

    @Test("after a go-back, a pure ACK still carries the highest sequence number sent")
    func pureACKAfterGoBack() {
        var (h, data) = Self.flight(4)
        h.expectSent(Self.segment(h, data, 0), at: 1.1)          // RTO: SND.NXT went back
        // The peer had everything and sends data of its own, acknowledging only segment 0 and
        // closing its window, so that our answer is a pure ACK.
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1 + Self.mss, window: 0, payload: [1, 2, 3]), at: 1.2)
        let sent = h.takeSent()
        let pureACK = sent.first { $0.payload.isEmpty }
        // Numbered SND.MAX, so that the peer, whose RCV.NXT is past our go-back point, accepts it.
        #expect(sent.count == 1)
        #expect(pureACK?.ack == h.irs + 4)
        #expect(pureACK?.seq == h.iss + 1 + 4 * Self.mss)
    }
}
