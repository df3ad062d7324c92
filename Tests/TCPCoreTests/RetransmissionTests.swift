// The retransmission timer, RFC 6298: initial RTO 1 s (§2.1); SRTT/RTTVAR from samples (§2.2–2.3)
// with RTO = SRTT + max(G, 4·RTTVAR), clamped to [rtoMin, rtoMax] (§2.4–2.5); Karn: no sample from
// a retransmitted segment (§3); on expiry retransmit the earliest unacknowledged segment and double
// the RTO (§5.4–5.6); after a SYN timeout, RTO 3 s once data flows (§5.7). Retry limits per
// RFC 1122 §4.2.3.5.

import Testing
import TCPWire
import TCPCore

@Suite("Retransmission (RFC 6298)")
struct RetransmissionTests {
    // MARK: SYN

    @Test("the SYN goes again at 1, 3, 7, 15, 31, 63, 123 s; at 183 s (over 3 minutes, MUST-23) connect fails with 'timed out'")
    func synBackoff() {
        var h = Harness.synSent()
        let syn = Seg(.syn, seq: h.iss, mss: 1460, sackOK: true)
        // From 63 s on the RTO is capped: 60 s, not 64 (rtoMax, RFC 6298 §2.5).
        for t in [1.0, 3, 7, 15, 31, 63, 123] {
            h.expectSent(syn, at: t)
            #expect(h.state == .synSent)
        }
        #expect(h.stack.statistics.retransmissions == 7)
        // synRetries = 7: the eighth timeout gives up, and tells the peer in case our SYN got through.
        h.expectSent(Seg(.rst, seq: h.iss + 1, window: 0), at: 183)
        #expect(h.state == .closed)
        // R1 = 3 (RFC 9293 §3.8.3) came first: negative advice and a soft error (ICMPInputTests).
        #expect(h.pollEvents() == [.negativeAdvice(h.conn, remote: peerIP), .softError(h.conn, .retransmissionThreshold), .timedOut(h.conn)])
        #expect(throws: TCPError.timedOut) { _ = try h.stack.send(h.conn, [1], now: h.now) }
        #expect(throws: TCPError.timedOut) { _ = try h.stack.receive(h.conn, now: h.now) }
        #expect(h.nextSent() == nil)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("rtoMax caps the backoff; synRetries and rtoInitial are configurable")
    func synBackoffClamped() {
        var h = Harness.synSent(Harness.configuration {
            $0.rtoInitial = .milliseconds(500)
            $0.rtoMax = .seconds(2)
            $0.synRetries = 4
        })
        let syn = Seg(.syn, seq: h.iss, mss: 1460, sackOK: true)
        for t in [0.5, 1.5, 3.5, 5.5] { h.expectSent(syn, at: t) }
        h.expectSent(Seg(.rst, seq: h.iss + 1, window: 0), at: 7.5)
        // R1 = 3 (RFC 9293 §3.8.3) came first: negative advice and a soft error (ICMPInputTests).
        #expect(h.pollEvents() == [.negativeAdvice(h.conn, remote: peerIP), .softError(h.conn, .retransmissionThreshold), .timedOut(h.conn)])
    }

    @Test("Karn: no RTT sample from a retransmitted SYN, and RTO 3 s once data flows (RFC 6298 §5.7)")
    func karnSYN() {
        var h = Harness.synSent()
        h.expectSent(Seg(.syn, seq: h.iss, mss: 1460, sackOK: true), at: 1)
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, mss: 1460), at: 1.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .established)
        #expect(h.info.srtt == nil)
        #expect(h.info.rto == .seconds(3))
        // The first data segment is timed with the 3 s RTO.
        h.write(bytes("x"), at: 2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("x")))
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("x")), at: 5)
    }

    @Test("Karn, passive side: no sample from a retransmitted SYN-ACK; RTO 3 s (RFC 6298 §5.7)")
    func karnSynAckTimeout() {
        var h = Harness.synReceived()
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460), at: 1)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 1.1)
        #expect(h.state == .established)
        #expect(h.info.srtt == nil)
        #expect(h.info.rto == .seconds(3))
    }

    @Test("Karn: a SYN-ACK sent again for the peer's retransmitted SYN gives no RTT sample either")
    func karnSynAckForRetransmittedSYN() {
        var h = Harness.synReceived()
        // Our SYN-ACK of 0 s was lost; the peer's retransmitted SYN arrives at 0.9 s.
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0.9)
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460))
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.95)
        #expect(h.state == .established)
        // The ACK answers the second SYN-ACK (50 ms), but could answer the first (0.95 s): no sample.
        #expect(h.info.srtt == nil)
        #expect(h.info.rto == .seconds(1))
    }

    // MARK: SYN-ACK

    @Test("SYN-ACK goes again at 1, 3, 7, 15, 31 s; at 63 s the half-open connection disappears silently")
    func synAckBackoff() {
        var h = Harness.synReceived()
        let synAck = Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460)
        for t in [1.0, 3, 7, 15, 31] { h.expectSent(synAck, at: t) }
        h.advance(to: 63)
        h.expectNothingSent()
        #expect(h.state == nil)
        #expect(h.stack.connectionCount == 0)
        #expect(h.pollEvents().isEmpty)
        #expect(h.stack.nextDeadline == nil)
        // A late ACK now meets the listener: RST.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 64)
        h.expectSent(Seg(.rst, seq: h.iss + 1, window: 0))
    }

    @Test("synAckRetries is configurable")
    func synAckRetries() {
        var h = Harness.synReceived(Harness.configuration { $0.synAckRetries = 1 })
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460), at: 1)
        h.advance(to: 2.999)
        #expect(h.state == .synReceived)
        h.advance(to: 3)
        #expect(h.state == nil)
        h.expectNothingSent()
    }

    // MARK: RTO from samples

    /// A passive handshake whose final ACK comes `rtt` after our SYN-ACK.
    static func established(rtt: Double, _ configuration: TCPConfiguration) -> Harness {
        var h = Harness.synReceived(configuration)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: rtt)
        h.conn = try! h.stack.accept(h.listener!)
        return h
    }

    @Test("SRTT, RTTVAR and RTO follow RFC 6298 §2.2-2.3 exactly")
    func rtoFromSamples() {
        var h = Self.established(rtt: 0.1, Harness.configuration { $0.rtoMin = .milliseconds(200) })
        // First sample R = 100 ms: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR = 300 ms.
        #expect(h.info.srtt == .milliseconds(100))
        #expect(h.info.rto == .milliseconds(300))
        // R' = 250 ms: RTTVAR = 3/4·50 + 1/4·|100-250| = 75; SRTT = 7/8·100 + 1/8·250 = 118.75;
        // RTO = 118.75 + 4·75 = 418.75 ms.
        h.write(bytes("a"), at: 1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("a")))
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2), at: 1.25)
        #expect(h.info.srtt == .microseconds(118_750))
        #expect(h.info.rto == .microseconds(418_750))
        // The next segment is retransmitted exactly one RTO after it went out.
        h.write(bytes("b"), at: 2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: bytes("b")))
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: bytes("b")), at: 2.41875)
        // ... then after twice that (backoff, §5.5).
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: bytes("b")), at: 3.25625)
    }

    @Test("the RTO is clamped to rtoMin", arguments: [1.0, 0.2])
    func rtoMin(_ minimum: Double) {
        let h = Self.established(rtt: 0.01, Harness.configuration { $0.rtoMin = .milliseconds(Int64(minimum * 1000)) })
        #expect(h.info.srtt == .milliseconds(10))
        #expect(h.info.rto == .milliseconds(Int64(minimum * 1000)))   // 10 + 4·5 = 30 ms is too small
    }

    @Test("the RTO is clamped to rtoMax")
    func rtoMax() {
        // (rtoInitial 3 s, so that the SYN-ACK is not retransmitted before the ACK comes.)
        let h = Self.established(rtt: 2, Harness.configuration { $0.rtoMax = .seconds(5); $0.rtoInitial = .seconds(3) })
        #expect(h.info.srtt == .seconds(2))
        #expect(h.info.rto == .seconds(5))   // 2 + 4·1 = 6 s
    }

    @Test("Karn: a data segment that was retransmitted gives no sample; the backed-off RTO stays")
    func karnData() {
        var h = Self.established(rtt: 0.1, Harness.configuration { $0.rtoMin = .milliseconds(200) })
        h.write(bytes("a"), at: 1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("a")))
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("a")), at: 1.3)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2), at: 1.35)
        #expect(h.info.srtt == .milliseconds(100))
        #expect(h.info.rto == .milliseconds(600))
        // A new segment is timed again: R = 100 ms brings the RTO back down.
        h.write(bytes("b"), at: 2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2, ack: h.irs + 1, payload: bytes("b")))
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 3), at: 2.1)
        #expect(h.info.srtt == .milliseconds(100))
        #expect(h.info.rto == .microseconds(250_000))   // RTTVAR = 3/4·50 = 37.5, RTO = 100 + 150
    }

    // MARK: Data and FIN

    @Test("go back to SND.UNA: after a timeout only the first unacknowledged segment goes, then slow start")
    func goBack() {
        var h = Harness.established()
        let data = (0..<(3 * 1460)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        func chunk(_ i: Int) -> [UInt8] { Array(data[(i * 1460)..<((i + 1) * 1460)]) }
        h.write(data, at: 0)
        h.expectSent(
            Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, payload: chunk(0)),
            Seg(.ack, seq: h.iss + 1461, ack: h.irs + 1, payload: chunk(1)),
            Seg([.psh, .ack], seq: h.iss + 2921, ack: h.irs + 1, payload: chunk(2)))
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1461), at: 0.1)
        h.expectNothingSent()
        // The timer restarted at 0.1 s (RFC 6298 §5.3); at 1.1 s the second segment goes again, alone.
        h.expectSent(Seg(.ack, seq: h.iss + 1461, ack: h.irs + 1, payload: chunk(1)), at: 1.1)
        h.expectNothingSent()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2921), at: 1.2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 2921, ack: h.irs + 1, payload: chunk(2)))
        // The receiver had the third segment all along: its ACK covers everything.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 4381), at: 1.3)
        #expect(h.info.sndUna == h.iss + 4381)
        #expect(h.info.timers.retransmit == nil)
        #expect(h.stack.statistics.retransmissions == 2)
    }

    @Test("an ACK beyond what was resent after a timeout is taken (SND.MAX) and nothing is sent twice")
    func ackBeyondResent() {
        var h = Harness.established()
        let data = [UInt8](repeating: 1, count: 2 * 1460)
        h.write(data, at: 0)
        _ = h.takeSent()
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, payload: Array(data[0..<1460])), at: 1)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2921), at: 1.05)
        h.expectNothingSent()
        #expect(h.info.sndUna == h.iss + 2921 && h.info.sndNxt == h.iss + 2921)
    }

    @Test("data retries run out: 'timed out', and a RST so the peer keeps no half-open leftover")
    func dataRetries() {
        var h = Harness.established(Harness.configuration { $0.dataRetries = 3 })
        h.write(bytes("hello"), at: 1)
        let seg = Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("hello"))
        h.expectSent(seg)
        for t in [2.0, 4, 8] { h.expectSent(seg, at: t) }
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 6, ack: h.irs + 1, window: 0), at: 16)
        #expect(h.state == .closed)
        // R1 = 3 (RFC 9293 §3.8.3) came first: negative advice and a soft error (ICMPInputTests).
        #expect(h.pollEvents() == [.negativeAdvice(h.conn, remote: peerIP), .softError(h.conn, .retransmissionThreshold), .timedOut(h.conn)])
        #expect(throws: TCPError.timedOut) { _ = try h.stack.send(h.conn, [1], now: h.now) }
        #expect(throws: TCPError.timedOut) { _ = try h.stack.receive(h.conn, now: h.now) }
        #expect(h.stack.connectionCount == 0)
    }

    @Test("R2 per connection (MUST-21): ConnectionOptions.maximumRetransmissions overrides the stack's retries, data and SYN alike")
    func perConnectionR2() throws {
        // Data: the stack allows 15, this connection 2.
        var h = Harness.established()
        var o = try #require(h.stack.options(of: h.conn))
        o.maximumRetransmissions = 2
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.options(of: h.conn)?.maximumRetransmissions == 2)
        h.write(bytes("hello"), at: 1)
        let seg = Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("hello"))
        h.expectSent(seg)
        for t in [2.0, 4] { h.expectSent(seg, at: t) }
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 6, ack: h.irs + 1, window: 0), at: 8)
        #expect(h.state == .closed)
        #expect(h.pollEvents().last == .timedOut(h.conn))
        // Another connection of the same stack keeps the stack's 15.
        var other = Harness.established()
        other.write(bytes("hello"), at: 1)
        let otherSeg = Seg([.psh, .ack], seq: other.iss + 1, ack: other.irs + 1, payload: bytes("hello"))
        other.expectSent(otherSeg)
        for t in [2.0, 4, 8] { other.expectSent(otherSeg, at: t) }
        #expect(other.state == .established)

        // SYN: the stack allows 7, this connection 1 (set before the SYN's timer runs).
        var s = Harness.closed()
        let conn = try s.stack.connect(to: s.peer, now: s.now)
        var so = try #require(s.stack.options(of: conn))
        so.maximumRetransmissions = 1
        try s.stack.setOptions(conn, so, now: s.now)
        s.conn = conn
        s.drain()
        let syns = s.takeSent()
        #expect(syns.count == 1 && syns[0].flags == .syn)
        s.advance(to: 1.5)
        #expect(s.takeSent().map(\.flags) == [.syn])   // the one retransmission
        s.advance(to: 10)
        #expect(s.state == .closed)
        #expect(throws: TCPError.timedOut) { _ = try s.stack.send(conn, [1], now: s.now) }
    }

    @Test("after a timeout with several segments in flight, the RST carries SND.NXT as the peer knows it")
    func rstAfterGoBackUsesHighestSeq() {
        var h = Harness.established(Harness.configuration { $0.dataRetries = 1 })
        let data = [UInt8](repeating: 2, count: 3 * 1460)
        h.write(data, at: 0)
        #expect(h.takeSent().count == 3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, payload: Array(data[0..<1460])), at: 1)
        // The peer got everything (only its ACKs are lost): its RCV.NXT is iss+1+4380.
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 4381, ack: h.irs + 1, window: 0), at: 3)
    }

    @Test("two stacks: the receiver's ACKs are all lost; the sender gives up and its RST leaves the receiver no half-open connection")
    func noHalfOpenLeftover() throws {
        var link = Link(configuration: Harness.configuration { $0.dataRetries = 2 })
        let l = try link.onB { s, _ in try s.listen(port: 80) }
        let a = try link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 80), now: now) }
        link.run(until: 0.5)
        let b = try #require(try link.onB { s, _ in try s.accept(l) })
        link.dropIf = { !$0.fromA }                       // from now on, nothing from B arrives
        _ = try link.onA { s, now in try s.send(a, [UInt8](repeating: 5, count: 3 * 1460), now: now) }
        link.run(until: 100)
        #expect(link.eventsA.last == .timedOut(a))
        #expect(link.fromA.last?.seg.flags == [.rst, .ack])
        // B had received all three segments; the RST is exactly at its RCV.NXT, so it is believed.
        #expect(link.b.state(of: b) == .closed)
        #expect(link.eventsB.last == .reset(b, .peerReset))
        #expect(link.b.connectionCount == 0)
        #expect(link.b.statistics.dropCount(.rstChallenged) == 0)
    }

    @Test("the FIN is retransmitted at 1, 3, 7 s")
    func finRetransmission() {
        var h = Harness.finWait1()
        let fin = Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 1)
        for t in [1.0, 3, 7] { h.expectSent(fin, at: t) }
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2), at: 7.1)
        #expect(h.state == .finWait2)
        #expect(h.nextSent(until: 100) == nil)
    }

    @Test("data and FIN: after a timeout the FIN rides again on the resent data")
    func finWithData() {
        var h = Harness.established()
        h.advance(to: 0)
        _ = try! h.stack.send(h.conn, bytes("end"), now: h.now)
        try! h.stack.shutdown(h.conn, now: h.now)
        let seg = Seg([.fin, .psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("end"))
        h.expectSent(seg)
        h.expectSent(seg, at: 1)
        // Only the data arrived: the FIN is sent again alone.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 4), at: 1.1)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 4, ack: h.irs + 1), at: 3.1)
    }

    // MARK: Zero window

    @Test("a zero window is probed with backoff until it opens (RFC 9293 §3.8.6.1)")
    func persist() {
        var h = Harness.established()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 0.5)
        h.write(bytes("wait"), at: 1)
        h.expectNothingSent()
        let probe = Seg(.ack, seq: h.iss, ack: h.irs + 1)
        h.expectSent(probe, at: 2)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 2.1)
        h.expectSent(probe, at: 4)   // backed off: 1 s, then 2 s
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000), at: 4.2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("wait")))
    }

    @Test("a peer that answers the probes may keep its window shut indefinitely (RFC 1122 §4.2.2.17)")
    func persistForever() {
        var h = Harness.established(Harness.configuration { $0.dataRetries = 3; $0.rtoMax = .seconds(8) })
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 0.5)
        h.write(bytes("wait"), at: 1)
        var times: [Instant] = []
        for _ in 0..<20 {
            guard let probe = h.nextSent() else { break }
            #expect(probe.seg == Seg(.ack, seq: h.iss, ack: h.irs + 1))
            times.append(probe.time)
            h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: probe.time.seconds + 0.1)
        }
        #expect(times.count == 20)
        #expect(Array(times.prefix(5)) == [2, 4, 8, 16, 24].map { seconds($0) })   // backoff, capped at rtoMax
        #expect(h.state == .established)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 100), at: times.last!.seconds + 0.2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("wait")))
    }

    @Test("unanswered zero-window probes give up after dataRetries")
    func persistGivesUp() {
        var h = Harness.established(Harness.configuration { $0.dataRetries = 3 })
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 0), at: 0.5)
        h.write(bytes("wait"), at: 1)
        let probe = Seg(.ack, seq: h.iss, ack: h.irs + 1)
        for t in [2.0, 4, 8] { h.expectSent(probe, at: t) }
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 1, ack: h.irs + 1, window: 0), at: 16)
        #expect(h.pollEvents() == [.timedOut(h.conn)])
        #expect(h.state == .closed)
    }
}
