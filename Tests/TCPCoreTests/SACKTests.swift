// SACK (RFC 2018), D-SACK (RFC 2883), the SACK scoreboard with RFC 6675 loss recovery, and
// RACK-TLP (RFC 8985). Packet traces with explicit times: the test plays the peer, which offers
// SACK-permitted on its SYN, and we check each segment that goes out, its SACK blocks and when.

import Testing
import TCPWire
@testable import TCPCore

extension Harness {
    /// ESTABLISHED after a passive open in which the peer's SYN offered SACK-permitted (and
    /// announced `peerMSS`); the handshake's ACK arrives at 0.1 s, so SRTT = 100 ms.
    static func establishedSACK(_ configuration: TCPConfiguration = Harness.configuration(),
                                peerMSS: UInt16 = 1460, ipv6: Bool = false) -> Harness {
        var h = listen(configuration, ipv6: ipv6)
        h.send(Seg(.syn, seq: h.irs, mss: peerMSS, sackOK: true), at: 0)
        let synAck = h.takeSent()
        precondition(synAck.count == 1 && synAck[0].flags == [.syn, .ack], "fixture: \(synAck)")
        h.iss = synAck[0].seq
        h.conn = h.lastHalfOpen
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.1)
        _ = try! h.stack.accept(h.listener!)
        precondition(h.state == .established)
        h.expectNothingSent()
        _ = h.pollEvents()
        return h
    }
}

func block(_ l: SequenceNumber, _ r: SequenceNumber) -> SACKBlock { SACKBlock(left: l, right: r) }

@Suite("SACK: negotiation and the receiver's blocks (RFC 2018, RFC 2883)")
struct SACKReceiverTests {
    @Test("the SYN-ACK carries SACK-permitted only when the SYN did, and only with sack on")
    func negotiation() {
        var h = Harness.listen()
        h.send(Seg(.syn, seq: h.irs, mss: 1460, sackOK: true), at: 0)
        h.expectSent(Seg([.syn, .ack], seq: h.takeSentISS(), ack: h.irs + 1, mss: 1460, sackOK: true))
        var plain = Harness.listen()
        plain.send(Seg(.syn, seq: plain.irs, mss: 1460), at: 0)
        #expect(plain.takeSent().first?.sackOK == false, "RFC 2018 §2: not on a SYN-ACK to a SYN without it")
        var off = Harness.listen(Harness.configuration { $0.sack = false })
        off.send(Seg(.syn, seq: off.irs, mss: 1460, sackOK: true), at: 0)
        #expect(off.takeSent().first?.sackOK == false)
        var active = Harness.synSent(Harness.configuration { $0.sack = false })
        #expect(active.takeSent().isEmpty)
        active.advance(to: 1)
        #expect(active.takeSent().first?.sackOK == false, "sack = false: our SYN does not offer it")
    }

    @Test("no SACK blocks unless both sides agreed")
    func noBlocksWithoutAgreement() {
        var h = Harness.established()   // the peer's SYN did not offer SACK
        h.send(Seg(.ack, seq: h.irs + 1001, ack: h.iss + 1, payload: Array(repeating: 1, count: 100)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, window: window(unread: 0)))
    }

    @Test("out-of-order data: the first block holds the newest segment, then the others newest first")
    func blockOrder() {
        var h = Harness.establishedSACK()
        let base = h.irs + 1
        let d = Array(repeating: UInt8(7), count: 100)
        // Holes at 0..<100, 200..<300, 400..<500: segments at 100, 300, 500 arrive in that order.
        h.send(Seg(.ack, seq: base + 100, ack: h.iss + 1, payload: d), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base, sack: [block(base + 100, base + 200)]))
        h.send(Seg(.ack, seq: base + 300, ack: h.iss + 1, payload: d), at: 0.21)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base, sack: [block(base + 300, base + 400), block(base + 100, base + 200)]))
        h.send(Seg(.ack, seq: base + 500, ack: h.iss + 1, payload: d), at: 0.22)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base,
                         sack: [block(base + 500, base + 600), block(base + 300, base + 400), block(base + 100, base + 200)]))
        // The oldest range grows: it becomes the first block, the others keep their order.
        h.send(Seg(.ack, seq: base + 200, ack: h.iss + 1, payload: d), at: 0.23)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base,
                         sack: [block(base + 100, base + 400), block(base + 500, base + 600)]))
        // The gap at the front fills: the cumulative ACK jumps, one block is left.
        h.send(Seg(.ack, seq: base, ack: h.iss + 1, payload: d), at: 0.24)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base + 400, window: window(unread: 400), sack: [block(base + 500, base + 600)]))
        h.send(Seg(.ack, seq: base + 400, ack: h.iss + 1, payload: d), at: 0.25)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base + 600, window: window(unread: 600)))
    }

    @Test("at most four blocks fit: the four newest ranges are reported")
    func fourBlocks() {
        var h = Harness.establishedSACK()
        let base = h.irs + 1
        let d = Array(repeating: UInt8(7), count: 10)
        for k in 0..<6 { h.send(Seg(.ack, seq: base + (20 * k + 10), ack: h.iss + 1, payload: d), at: 0.2 + Double(k) * 0.01) }
        let acks = h.takeSent()
        #expect(acks.count == 6)
        #expect(acks.map(\.sack.count) == [1, 2, 3, 4, 4, 4])
        // Newest first: ranges 5, 4, 3, 2 (of 0...5).
        #expect(acks[5].sack.map(\.left) == [base + 110, base + 90, base + 70, base + 50])
    }

    @Test("D-SACK: a duplicate below RCV.NXT is reported as the first block, once")
    func dsackBelowCumulative() {
        var h = Harness.establishedSACK()
        let base = h.irs + 1
        let d = Array(repeating: UInt8(7), count: 100)
        h.send(Seg(.ack, seq: base, ack: h.iss + 1, payload: d), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base + 100, window: window(unread: 100)))
        h.send(Seg(.ack, seq: base, ack: h.iss + 1, payload: d), at: 0.3)   // the same segment again
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base + 100, window: window(unread: 100), sack: [block(base, base + 100)]))
        #expect(h.stack.statistics.dsacksSent == 1)
        h.send(Seg(.ack, seq: base + 100, ack: h.iss + 1, payload: d), at: 0.4)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base + 200, window: window(unread: 200)))
    }

    @Test("D-SACK: a duplicate of data held past a gap comes first, the block holding it second")
    func dsackAboveCumulative() {
        var h = Harness.establishedSACK()
        let base = h.irs + 1
        let d = Array(repeating: UInt8(7), count: 100)
        h.send(Seg(.ack, seq: base + 100, ack: h.iss + 1, payload: d), at: 0.2)
        h.send(Seg(.ack, seq: base + 200, ack: h.iss + 1, payload: d), at: 0.21)
        h.send(Seg(.ack, seq: base + 400, ack: h.iss + 1, payload: d), at: 0.22)
        _ = h.takeSent()
        h.send(Seg(.ack, seq: base + 100, ack: h.iss + 1, payload: d), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: base,
                         sack: [block(base + 100, base + 200), block(base + 100, base + 300), block(base + 400, base + 500)]))
    }

    @Test("dsack = false: duplicates are acknowledged without a D-SACK block")
    func dsackOff() {
        var h = Harness.establishedSACK(Harness.configuration { $0.dsack = false })
        let base = h.irs + 1
        let d = Array(repeating: UInt8(7), count: 100)
        h.send(Seg(.ack, seq: base, ack: h.iss + 1, payload: d), at: 0.2)
        h.send(Seg(.ack, seq: base, ack: h.iss + 1, payload: d), at: 0.3)
        let acks = h.takeSent()
        #expect(acks.count == 2 && acks.allSatisfy { $0.sack.isEmpty })
    }
}

extension Harness {
    /// The ISN of the SYN-ACK waiting in the outbox (without taking it).
    mutating func takeSentISS() -> SequenceNumber {
        drain()
        iss = outbox.first?.seg.seq ?? iss
        return iss
    }
}

@Suite("SACK sender: scoreboard and RFC 6675 loss recovery")
struct SACKRecoveryTests {
    static let mss = 1460

    /// Established with SACK; `segments` full segments written at 0.2 s and sent at once.
    static func flight(_ segments: Int, _ change: (inout TCPConfiguration) -> Void = { _ in }) -> (Harness, [UInt8]) {
        var h = Harness.establishedSACK(Harness.configuration(change))
        let data = (0..<(segments * mss)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        h.write(data, at: 0.2)
        let sent = h.takeSent()
        precondition(sent.count == segments, "fixture: \(sent.count) sent")
        return (h, data)
    }

    static func seq(_ h: Harness, _ i: Int) -> SequenceNumber { h.iss + 1 + i * mss }
    static func segment(_ h: Harness, _ data: [UInt8], _ i: Int, flags: TCPFlags = [.ack]) -> Seg {
        Seg(flags, seq: seq(h, i), ack: h.irs + 1, payload: Array(data[(i * mss)..<((i + 1) * mss)]))
    }
    /// The peer's ACK of the first `n` segments, SACKing segment ranges [from, to).
    static func ack(_ h: Harness, _ n: Int, sacking ranges: [(Int, Int)] = []) -> Seg {
        Seg(.ack, seq: h.irs + 1, ack: seq(h, n), sack: ranges.map { block(seq(h, $0.0), seq(h, $0.1)) })
    }
    /// RFC 6675 alone: no RACK-TLP, NewReno's halving, no PRR (cwnd = ssthresh in recovery).
    static func classic(_ c: inout TCPConfiguration) {
        c.rack = false; c.tailLossProbe = false
        c.congestionControl = .newReno; c.proportionalRateReduction = false
    }
    /// The configurations the multi-loss trace runs under.
    enum Setup: String, CaseIterable, Sendable { case rfc6675, prrCubic, defaults }
    static func configure(_ s: Setup) -> (inout TCPConfiguration) -> Void {
        switch s {
        case .rfc6675: return classic
        case .prrCubic: return { $0.rack = false; $0.tailLossProbe = false }
        case .defaults: return { _ in }
        }
    }

    @Test("SACK blocks mark the scoreboard; pipe counts what is not SACKed")
    func scoreboardUpdates() {
        var (h, _) = Self.flight(6, Self.classic)
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.3)
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.31)
        let c = h.stack.slots[Int(h.conn.index)].connection!
        let sb = c.scoreboard!
        #expect(sb.count == 5, "segments 1...5 outstanding")
        #expect(sb.sackedBytes == 2 * Self.mss && sb.sackedSegments == 2)
        #expect((0..<sb.count).map { sb[$0].sacked } == [false, true, true, false, false])
        #expect(h.stack.statistics.sackBlocksReceived == 2)
        #expect(h.stack.statistics.duplicateACKs == 1, "the second ACK: no progress, new SACKed data (RFC 6675 §2 DupAck)")
        #expect(!c.inFastRecovery)
        h.expectNothingSent()
    }

    @Test("three SACKed segments above the hole start recovery (IsLost): exactly the hole is resent, cwnd = ssthresh")
    func entryOnDupThresh() {
        var (h, data) = Self.flight(6, Self.classic)
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.3)
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.31)
        h.expectNothingSent()
        h.send(Self.ack(h, 1, sacking: [(2, 5)]), at: 0.32)
        h.expectSent(Self.segment(h, data, 1))
        h.expectNothingSent()
        #expect(h.info.ssthresh == 5 * Self.mss / 2 && h.info.cwnd == h.info.ssthresh)
        #expect(h.stack.statistics.sackRecoveries == 1)
        h.send(Self.ack(h, 6), at: 0.4)
        #expect(h.stack.slots[Int(h.conn.index)].connection!.inFastRecovery == false)
        #expect(h.stack.statistics.retransmissions == 1)
        h.expectNothingSent()
    }

    @Test("three losses in one window: each hole resent once, at most one rescue, no timeout", arguments: Setup.allCases)
    func multipleLosses(_ setup: Setup) {
        var (h, data) = Self.flight(10, Self.configure(setup))
        // Segments 1, 4 and 7 are lost; the peer's ACKs SACK what arrived.
        h.send(Self.ack(h, 1), at: 0.3)                                    // segment 0
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.301)
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.302)
        h.send(Self.ack(h, 1, sacking: [(5, 6), (2, 4)]), at: 0.303)       // third duplicate
        h.expectSent(Self.segment(h, data, 1))
        h.send(Self.ack(h, 1, sacking: [(5, 7), (2, 4)]), at: 0.304)
        // Segment 4 has 3 SACKed segments above it (5, 6 and 2..4 are below): IsLost.
        h.send(Self.ack(h, 1, sacking: [(8, 9), (5, 7), (2, 4)]), at: 0.305)
        h.send(Self.ack(h, 1, sacking: [(8, 10), (5, 7), (2, 4)]), at: 0.306)
        var resent = h.takeSent()
        // Segment 1's retransmission fills the first hole.
        h.send(Self.ack(h, 4, sacking: [(8, 10), (5, 7)]), at: 0.4)
        resent += h.takeSent()
        h.send(Self.ack(h, 7, sacking: [(8, 10)]), at: 0.41)
        resent += h.takeSent()
        h.send(Self.ack(h, 10), at: 0.42)
        resent += h.takeSent()
        // RFC 6675 alone (cwnd = ssthresh = 4.5 segments): 4 once IsLost at 0.305, 7 by rule 3
        // at 0.306. With CUBIC's β = 0.7 and PRR, cwnd − pipe leaves room for a second segment
        // at 0.303: 4, unSACKed below the highest SACK, goes by rule 3 with the hole; at 0.304
        // nothing qualifies for rules 1–3 and RFC 6675's rescue retransmission (NextSeg rule 4)
        // sends the last segment, 9, whose SACK only arrives at 0.306 — one unneeded
        // retransmission, the price of the rule; 7 goes by rule 3 at 0.305.
        let seven = Self.segment(h, data, 7), nine = Self.segment(h, data, 9, flags: [.psh, .ack])
        let rescue = setup == .rfc6675 ? [] : [nine]
        #expect(resent == (setup == .rfc6675 ? [Self.segment(h, data, 4), seven] : [Self.segment(h, data, 4), nine, seven]))
        #expect(h.stack.statistics.retransmissions == 3 + rescue.count, "segments 1, 4, 7 once each (and the rescue)")
        #expect(h.info.sndUna == Self.seq(h, 10))
        #expect(h.info.timers.retransmit == nil)
        h.expectNothingSent()
    }

    /// tcp_info's `sackedBytes` is a running total like the other byte counters: each byte once,
    /// when a SACK block first covers it; `sackedBytesOutstanding` is the scoreboard now.
    @Test("tcp_info sackedBytes counts each byte once when first SACKed; the current count falls with the cumulative ACK")
    func sackedBytesCumulative() {
        var (h, _) = Self.flight(6, Self.classic)
        func info() -> (total: UInt64, now: Int) {
            let i = h.stack.tcpInfo(of: h.conn)!
            return (i.sackedBytes, i.sackedBytesOutstanding)
        }
        let m = Self.mss
        #expect(info() == (0, 0))
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.3)        // segment 2 SACKed
        #expect(info() == (UInt64(m), m))
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.31)       // 2 again, 3 new
        #expect(info() == (UInt64(2 * m), 2 * m))
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.32)       // nothing new
        #expect(info() == (UInt64(2 * m), 2 * m))
        // A D-SACK (RFC 2883) reports a duplicate below the cumulative ACK, not new SACKed data.
        h.send(Seg(.ack, seq: h.irs + 1, ack: Self.seq(h, 1), sack: [block(Self.seq(h, 0), Self.seq(h, 1)), block(Self.seq(h, 2), Self.seq(h, 4))]), at: 0.33)
        #expect(info() == (UInt64(2 * m), 2 * m))
        // The cumulative ACK passes 1...3: nothing SACKed is outstanding, the total stays.
        h.send(Self.ack(h, 4), at: 0.4)
        #expect(info() == (UInt64(2 * m), 0))
        h.send(Self.ack(h, 4, sacking: [(5, 6)]), at: 0.41)
        #expect(info() == (UInt64(3 * m), m))
        h.send(Self.ack(h, 6), at: 0.5)
        #expect(info() == (UInt64(3 * m), 0))
    }

    @Test("bytes SACKed again after reneging (RFC 2018 §8) are not counted twice")
    func sackedBytesOnceAcrossReneging() {
        var (h, data) = Self.flight(4, Self.classic)
        h.send(Self.ack(h, 0, sacking: [(1, 2)]), at: 0.3)
        #expect(h.stack.tcpInfo(of: h.conn)!.sackedBytes == UInt64(Self.mss))
        h.expectSent(Self.segment(h, data, 0), at: 1.2)
        h.send(Self.ack(h, 1), at: 1.3)                           // 1 thrown away: no SACK
        _ = h.takeSent()
        guard let resent = h.nextSent(until: 10) else { Issue.record("nothing resent"); return }
        #expect(resent.seg == Self.segment(h, data, 1))
        #expect(h.stack.statistics.renegingsDetected == 1)
        // The receiver SACKs segment 1 once more: the marks were forgotten, the bytes were counted.
        h.send(Self.ack(h, 1, sacking: [(1, 2)]), at: resent.time.seconds + 0.05)
        let i = h.stack.tcpInfo(of: h.conn)!
        #expect(i.sackedBytesOutstanding == Self.mss)
        #expect(i.sackedBytes == UInt64(Self.mss))
    }

    @Test("SACK blocks outside SND.UNA..SND.MAX are ignored and counted")
    func bogusBlocks() {
        var (h, _) = Self.flight(4, Self.classic)
        let una = Self.seq(h, 1)
        let beyond = Seg(.ack, seq: h.irs + 1, ack: una,
                         sack: [block(Self.seq(h, 3), Self.seq(h, 6)),            // past SND.MAX
                                block(Self.seq(h, 2), Self.seq(h, 2)),            // empty
                                block(Self.seq(h, 3) + 100_000, Self.seq(h, 3) + 200_000)])
        h.send(Self.ack(h, 1), at: 0.3)
        for t in [0.31, 0.32, 0.33, 0.34] { h.send(beyond, at: t) }
        #expect(h.stack.statistics.sackBlocksIgnored == 12)
        #expect(h.stack.slots[Int(h.conn.index)].connection!.scoreboard!.sackedBytes == 0)
        // Pure duplicates still count (RFC 5681): the fourth is past DupThresh.
        #expect(h.stack.statistics.sackRecoveries == 1)
        #expect(h.stack.statistics.retransmissions == 1)
    }

    @Test("reneging: SACKed data is kept until the cumulative ACK, and resent when the receiver drops it")
    func reneging() {
        var (h, data) = Self.flight(4, Self.classic)
        h.send(Self.ack(h, 0, sacking: [(1, 2)]), at: 0.3)   // segment 0 lost, 1 SACKed
        // One SACKed segment only: no recovery; the RTO (1 s after 0.2 s) resends 0 alone.
        h.expectSent(Self.segment(h, data, 0), at: 1.2)
        h.expectNothingSent()
        // The receiver acknowledges segment 0 but has thrown 1 away (RFC 2018 §8): no SACK. The
        // lost 2 and 3 go (cwnd 2 segments after the ACK); SACKed 1 is skipped for now.
        h.send(Self.ack(h, 1), at: 1.3)
        #expect(h.takeSent() == [Self.segment(h, data, 2), Self.segment(h, data, 3, flags: [.psh, .ack])])
        // At the next timeout the left edge is SACKed: reneging; all marks go and 1 is resent
        // from the send buffer, byte for byte.
        guard let first = h.nextSent(until: 10) else { Issue.record("nothing resent"); return }
        #expect(first.seg == Self.segment(h, data, 1))
        #expect(h.stack.statistics.renegingsDetected == 1)
        h.send(Self.ack(h, 4), at: first.time.seconds + 0.1)
        #expect(h.info.sndUna == Self.seq(h, 4))
        h.expectNothingSent()
    }

    @Test("an RTO keeps SACK marks: only unSACKed segments are resent (RFC 6675 §5.1)")
    func timeoutSkipsSACKed() {
        var (h, data) = Self.flight(6, Self.classic)
        h.send(Self.ack(h, 0, sacking: [(2, 3)]), at: 0.3)   // all but 2 lost
        h.expectSent(Self.segment(h, data, 0), at: 1.2)
        h.expectNothingSent()
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 1.3)
        #expect(h.takeSent() == [Self.segment(h, data, 1), Self.segment(h, data, 3)], "2 is skipped")
        h.send(Self.ack(h, 4), at: 1.4)
        #expect(h.takeSent() == [Self.segment(h, data, 4), Self.segment(h, data, 5, flags: [.psh, .ack])])
        h.send(Self.ack(h, 6), at: 1.5)
        h.expectNothingSent()
        #expect(h.stack.statistics.retransmissions == 5, "0, 1, 3, 4, 5: never the SACKed 2")
    }

    /// `n` full segments of test data (the bytes of segment i are those `segment(h, data, i)` expects).
    static func data(_ n: Int) -> [UInt8] { (0..<(n * mss)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) } }

    @Test("limited transmit (RFC 6675 §5 (C) step 1): each of the first two duplicate ACKs lets one new segment out, cwnd unchanged; the third starts recovery")
    func limitedTransmit() {
        var h = Harness.establishedSACK(Harness.configuration(Self.classic))
        let data = Self.data(12)
        h.write(data, at: 0.2)
        #expect(h.takeSent() == (0..<10).map { Self.segment(h, data, $0) }, "IW = 10 segments (RFC 6928)")
        // Segment 0 is lost. First duplicate: 1 SACKed, pipe = 9 segments, cwnd 10: one new segment.
        h.send(Self.ack(h, 0, sacking: [(1, 2)]), at: 0.3)
        h.expectSent(Self.segment(h, data, 10))
        h.expectNothingSent()
        // Second duplicate: the last segment (PSH: the buffer is then all sent).
        h.send(Self.ack(h, 0, sacking: [(1, 3)]), at: 0.31)
        h.expectSent(Self.segment(h, data, 11, flags: [.psh, .ack]))
        #expect(h.info.cwnd == 10 * Self.mss && h.stack.statistics.sackRecoveries == 0)
        // Third: DupThresh, recovery, the hole resent. ssthresh = FlightSize / 2, and FlightSize
        // leaves out the two segments limited transmit sent past cwnd (RFC 5681 §3.2 step 2, as
        // RFC 6675 §5 (4.2) recalls): (12 − 2) / 2 = 5 segments.
        h.send(Self.ack(h, 0, sacking: [(1, 4)]), at: 0.32)
        h.expectSent(Self.segment(h, data, 0))
        h.expectNothingSent()
        #expect(h.stack.statistics.sackRecoveries == 1 && h.info.ssthresh == 5 * Self.mss)
    }

    /// RFC 6675 §4 SetPipe counts an unSACKed octet once if it is not lost and once more if it
    /// was retransmitted: a hole deemed lost and resent counts once, for the copy in flight. The
    /// engine used to drop the lost mark on retransmission and count the hole twice, so all
    /// through the recovery one segment fewer than cwnd was in flight: here the new data went
    /// an ACK later, 12 at 0.37 s instead of 0.36 s.
    @Test("pipe counts a hole deemed lost and resent once (RFC 6675 §4 SetPipe): new data goes as soon as cwnd − pipe ≥ 1 SMSS")
    func pipeCountsLostRetransmissionOnce() {
        var h = Harness.establishedSACK(Harness.configuration(Self.classic))
        let data = Self.data(20)
        h.write(data, at: 0.2)
        #expect(h.takeSent() == (0..<10).map { Self.segment(h, data, $0) })
        func pipe() -> Int { h.stack.slots[Int(h.conn.index)].connection!.scoreboard!.pipe }
        // Segment 0 is lost; limited transmit sends 10 and 11 on the first two duplicates.
        h.send(Self.ack(h, 0, sacking: [(1, 2)]), at: 0.3)
        h.expectSent(Self.segment(h, data, 10))
        h.send(Self.ack(h, 0, sacking: [(1, 3)]), at: 0.31)
        h.expectSent(Self.segment(h, data, 11))
        // DupThresh: recovery, cwnd = ssthresh = (12 in flight − 2 sent by limited transmit) / 2
        // = 5 (RFC 5681 §3.2 step 2); the hole goes.
        h.send(Self.ack(h, 0, sacking: [(1, 4)]), at: 0.32)
        h.expectSent(Self.segment(h, data, 0))
        h.expectNothingSent()
        #expect(h.info.cwnd == 5 * Self.mss)
        // In flight: 0's retransmission and 4...11, nine segments.
        #expect(pipe() == 9 * Self.mss)
        // Each newly SACKed segment lowers pipe by one; 8, 7, 6, 5: no room yet.
        h.send(Self.ack(h, 0, sacking: [(1, 5)]), at: 0.33)
        h.send(Self.ack(h, 0, sacking: [(1, 6)]), at: 0.34)
        h.send(Self.ack(h, 0, sacking: [(1, 7)]), at: 0.35)
        h.expectNothingSent()
        #expect(pipe() == 6 * Self.mss)
        h.send(Self.ack(h, 0, sacking: [(1, 8)]), at: 0.36)
        h.expectNothingSent()
        #expect(pipe() == 5 * Self.mss)
        // pipe 4 < cwnd 5: one new segment (NextSeg rule 2) per SACKed one from here on.
        h.send(Self.ack(h, 0, sacking: [(1, 9)]), at: 0.37)
        h.expectSent(Self.segment(h, data, 12))
        h.expectNothingSent()
        #expect(pipe() == 5 * Self.mss)
        h.send(Self.ack(h, 0, sacking: [(1, 10)]), at: 0.38)
        h.expectSent(Self.segment(h, data, 13))
        h.expectNothingSent()
        // The retransmission arrives: RecoveryPoint (12) acknowledged, recovery over, cwnd = 5
        // with 12 and 13 in flight: three more.
        h.send(Self.ack(h, 12), at: 0.42)
        #expect(h.takeSent() == (14..<17).map { Self.segment(h, data, $0) })
        #expect(h.stack.statistics.retransmissions == 1 && h.stack.statistics.retransmissionTimeouts == 0)
    }

    /// RecoveryPoint is HighData (RFC 6675 §5 (4.1)); recovery ends with the cumulative ACK of it,
    /// and the next loss starts a new one at once. The engine used to ask SND.UNA to pass one more
    /// sequence number, so a loss of the first segment after RecoveryPoint waited for the RTO
    /// (1 s here; it cost the NewReno efficiency test a second per occurrence).
    @Test("a loss of the first segment past the last RecoveryPoint starts a new recovery at the DupThresh-th duplicate, not at the RTO")
    func lossJustPastRecoveryPoint() {
        var h = Harness.establishedSACK(Harness.configuration(Self.classic))
        let data = Self.data(20)
        h.write(Array(data[0..<(10 * Self.mss)]), at: 0.2)
        #expect(h.takeSent().count == 10)
        // Segment 1 lost: recovery, RecoveryPoint = segment 10's sequence number.
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.3)
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.31)
        h.send(Self.ack(h, 1, sacking: [(2, 5)]), at: 0.32)
        h.expectSent(Self.segment(h, data, 1))
        // SND.UNA = RecoveryPoint: recovery over, cwnd = ssthresh = 9 segments in flight / 2.
        h.send(Self.ack(h, 10), at: 0.4)
        #expect(h.info.cwnd == 9 * Self.mss / 2 && h.info.sndUna == Self.seq(h, 10))
        h.write(Array(data[(10 * Self.mss)...]), at: 0.4)
        #expect(h.takeSent() == (10..<14).map { Self.segment(h, data, $0) })
        // Segment 10 — at SND.UNA, which equals the old RecoveryPoint — is lost. Two duplicates
        // let 14 and 15 out (limited transmit); the third starts the second recovery.
        h.send(Self.ack(h, 10, sacking: [(11, 12)]), at: 0.5)
        h.expectSent(Self.segment(h, data, 14))
        h.send(Self.ack(h, 10, sacking: [(11, 13)]), at: 0.51)
        h.expectSent(Self.segment(h, data, 15))
        h.send(Self.ack(h, 10, sacking: [(11, 14)]), at: 0.52)
        h.expectSent(Self.segment(h, data, 10))
        h.expectNothingSent()
        #expect(h.stack.statistics.sackRecoveries == 2)
        #expect(h.stack.statistics.retransmissionTimeouts == 0)
        h.send(Self.ack(h, 16), at: 0.6)
        #expect(h.info.sndUna == Self.seq(h, 16))
    }

    /// RFC 6675 §4 NextSeg rule (4): when no lost segment (1), no new data (2) and no unSACKed
    /// segment below the highest SACK (3) may go, one retransmission per recovery of the highest
    /// outstanding unSACKed segment. A loss at the tail, above every SACK block, is otherwise
    /// found only by the RTO (here 1 s after 0.2 s) — RACK and TLP are off in this setup.
    @Test("rescue retransmission (RFC 6675 NextSeg rule 4): a lost last segment goes with the hole at recovery entry, once")
    func rescueRetransmission() {
        var (h, data) = Self.flight(10, Self.classic)
        // Segments 1 and 9 (the last) are lost.
        h.send(Self.ack(h, 1), at: 0.3)
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.301)
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.302)
        h.expectNothingSent()
        // DupThresh: recovery, cwnd = ssthresh = 9 segments in flight / 2; the hole goes (rule 1).
        h.send(Self.ack(h, 1, sacking: [(2, 5)]), at: 0.303)
        h.expectSent(Self.segment(h, data, 1))
        // pipe counts segments 5...9 and the retransmission of 1 (once: it was deemed lost,
        // RFC 6675 §4 SetPipe): 6, then 5 and 4 segments — no room in 4.5 yet.
        h.send(Self.ack(h, 1, sacking: [(2, 6)]), at: 0.304)
        h.send(Self.ack(h, 1, sacking: [(2, 7)]), at: 0.305)
        h.expectNothingSent()
        // Segment 7 SACKed: pipe = 3 segments (1's retransmission, 8, 9), cwnd − pipe ≥ 1 SMSS,
        // and nothing qualifies for rules 1–3 (8 and 9 lie above every SACK block, no new data):
        // the rescue is the last segment. (When pipe counted 1 twice, it went at 0.307.)
        h.send(Self.ack(h, 1, sacking: [(2, 8)]), at: 0.306)
        h.expectSent(Self.segment(h, data, 9, flags: [.psh, .ack]))
        // Only one rescue per recovery.
        h.send(Self.ack(h, 1, sacking: [(2, 9)]), at: 0.307)
        h.send(Self.ack(h, 1, sacking: [(2, 9)]), at: 0.308)
        h.expectNothingSent()
        #expect(h.stack.statistics.retransmissions == 2)
        // Both retransmissions arrive: everything is acknowledged before the RTO would fire.
        h.send(Self.ack(h, 10), at: 0.4)
        #expect(h.info.sndUna == Self.seq(h, 10) && h.info.timers.retransmit == nil)
        h.expectNothingSent()
        #expect(h.stack.statistics.retransmissionTimeouts == 0)
    }

    /// Reordering, not loss: segment 1 is late, three duplicates start recovery and resend it, the
    /// original arrives, and then the retransmission, which the receiver reports in a D-SACK
    /// (RFC 2883). Every retransmission of the recovery was needless (RFC 3708 §3): cwnd and
    /// ssthresh go back to what they were (RFC 4015's response, RFC 2883 §5).
    @Test("a recovery whose every retransmission comes back in a D-SACK is undone: cwnd and ssthresh as before")
    func spuriousRecoveryUndone() {
        var (h, data) = Self.flight(6, Self.classic)
        h.send(Self.ack(h, 1), at: 0.3)
        #expect(h.info.cwnd == 11 * Self.mss && h.info.ssthresh == .max, "slow start: IW + 1 SMSS")
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.301)
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.302)
        h.send(Self.ack(h, 1, sacking: [(2, 5)]), at: 0.303)
        h.expectSent(Self.segment(h, data, 1))
        #expect(h.info.ssthresh == 5 * Self.mss / 2 && h.info.cwnd == h.info.ssthresh)
        // The late original: everything is acknowledged, recovery is over, cwnd = ssthresh.
        h.send(Self.ack(h, 6), at: 0.31)
        #expect(h.info.cwnd == 5 * Self.mss / 2)
        #expect(h.stack.statistics.spuriousRecoveriesUndone == 0)
        // The retransmission arrives too: its D-SACK shows nothing was lost.
        h.send(Seg(.ack, seq: h.irs + 1, ack: Self.seq(h, 6), sack: [block(Self.seq(h, 1), Self.seq(h, 2))]), at: 0.4)
        #expect(h.stack.statistics.dsacksReceived == 1)
        #expect(h.stack.statistics.spuriousRecoveriesUndone == 1)
        #expect(h.info.cwnd == 11 * Self.mss && h.info.ssthresh == .max)
        h.expectNothingSent()
    }

    @Test("no undo when a retransmission was needed: a D-SACK for one of the resent segments keeps the reduction")
    func realLossNotUndone() {
        var (h, data) = Self.flight(10, Self.classic)
        // Segments 1 and 4 lost; both are resent in the recovery.
        h.send(Self.ack(h, 1), at: 0.3)
        h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: 0.301)
        h.send(Self.ack(h, 1, sacking: [(2, 4)]), at: 0.302)
        h.send(Self.ack(h, 1, sacking: [(5, 6), (2, 4)]), at: 0.303)
        h.expectSent(Self.segment(h, data, 1))
        h.send(Self.ack(h, 1, sacking: [(5, 7), (2, 4)]), at: 0.304)
        h.send(Self.ack(h, 1, sacking: [(5, 8), (2, 4)]), at: 0.305)
        h.send(Self.ack(h, 1, sacking: [(5, 9), (2, 4)]), at: 0.306)
        h.send(Self.ack(h, 4, sacking: [(5, 10)]), at: 0.4)
        // 4 once IsLost (0.305); the rescue, 9, at 0.306 (pipe 1, 4, 9 = 3 segments, cwnd 4.5).
        #expect(h.takeSent().map(\.seq) == [Self.seq(h, 4), Self.seq(h, 9)])
        h.send(Self.ack(h, 10), at: 0.41)
        let reduced = h.info.ssthresh
        #expect(reduced == 9 * Self.mss / 2)
        // Segment 1's original turns up late after all: one of three retransmissions was needless.
        h.send(Seg(.ack, seq: h.irs + 1, ack: Self.seq(h, 10), sack: [block(Self.seq(h, 1), Self.seq(h, 2))]), at: 0.5)
        #expect(h.stack.statistics.dsacksReceived == 1)
        #expect(h.stack.statistics.spuriousRecoveriesUndone == 0)
        #expect(h.info.ssthresh == reduced)
    }

    @Test("sack = false behaves as before: NewReno, no scoreboard")
    func sackOffIsNewReno() {
        var (h, data) = Self.flight(6) { $0.sack = false }
        for t in [0.3, 0.31, 0.32, 0.33] { h.send(Self.ack(h, 1, sacking: [(2, 3)]), at: t) }
        h.expectSent(Self.segment(h, data, 1))
        #expect(h.stack.slots[Int(h.conn.index)].connection!.scoreboard == nil)
    }
}

@Suite("RACK-TLP (RFC 8985)")
struct RACKTLPTests {
    typealias R = SACKRecoveryTests

    @Test("RACK: a segment sent before a SACKed one is lost after RACK.rtt + reo_wnd, before any DupThresh")
    func rackTimeBased() {
        var (h, data) = R.flight(4) { $0.tailLossProbe = false }
        // Segment 0 lost; 1 is SACKed at 0.3 s: RACK.rtt = 100 ms, reo_wnd = min_RTT/4 = 25 ms.
        h.send(R.ack(h, 0, sacking: [(1, 2)]), at: 0.3)
        h.expectNothingSent()
        h.expectSent(R.segment(h, data, 0), at: 0.325)
        #expect(h.stack.statistics.rackLosses == 1)
    }

    @Test("RACK detects a lost retransmission and sends it again before the RTO")
    func lostRetransmission() {
        var (h, data) = R.flight(8) { $0.tailLossProbe = false }
        let sb = { (h: Harness) in h.stack.slots[Int(h.conn.index)].connection!.scoreboard! }
        // Segment 0 lost: the SACK of 1...7 at 0.3 s starts recovery and resends 0 at once.
        h.send(R.ack(h, 0, sacking: [(1, 8)]), at: 0.3)
        h.expectSent(R.segment(h, data, 0))
        #expect(sb(h)[0].flags.contains(.retransmitted))
        // New data goes out after the retransmission and is SACKed; the retransmission of 0
        // (lost too) is not: RACK marks it lost once it is RACK.rtt + reo_wnd old.
        h.write(Array(repeating: 9, count: 1460), at: 0.31)
        #expect(h.takeSent().map(\.seq) == [R.seq(h, 8)])
        h.send(R.ack(h, 0, sacking: [(1, 9)]), at: 0.45)
        guard let again = h.nextSent(until: 0.6) else { Issue.record("no second retransmission"); return }
        #expect(again.seg == R.segment(h, data, 0))
        #expect(again.time < seconds(1.3), "well before the RTO")
        #expect(h.stack.statistics.rackLosses == 1, "the first loss was IsLost's (7 SACKed above), the second RACK's")
    }

    @Test("TLP: a tail loss is probed at 2·SRTT with the last segment; its SACK repairs the rest")
    func tailLossProbe() {
        var (h, data) = R.flight(4)
        // Segments 2 and 3 are lost; 0 and 1 are acknowledged at 0.3 s. Nothing else comes.
        h.send(R.ack(h, 2), at: 0.3)
        // SRTT is 100 ms: PTO = 2·SRTT = 200 ms after the ACK.
        h.expectSent(R.segment(h, data, 3, flags: [.psh, .ack]), at: 0.5)
        #expect(h.stack.statistics.lossProbes == 1)
        // The probe arrives: the peer SACKs it, RACK marks 2 lost, and it is resent at once.
        h.send(R.ack(h, 2, sacking: [(3, 4)]), at: 0.6)
        let next = h.takeSent()
        let resend = next.isEmpty ? h.nextSent(until: 0.7)?.seg : next.first
        #expect(resend == R.segment(h, data, 2))
        h.send(R.ack(h, 4), at: 0.7)
        #expect(h.info.sndUna == R.seq(h, 4))
        #expect(h.stack.statistics.retransmissions == 2, "the probe and the hole, no RTO")
    }

    @Test("TLP sends new data when there is some and the window allows")
    func probeWithNewData() {
        var h = Harness.establishedSACK()
        let data = (0..<(14 * R.mss)).map { UInt8(truncatingIfNeeded: $0) }
        h.write(data, at: 0.2)
        #expect(h.takeSent().count == 10)
        // Nothing is acknowledged; cwnd holds the rest back. The probe at 0.2 + 2·SRTT is new data.
        guard let probe = h.nextSent(until: 1) else { Issue.record("no probe"); return }
        #expect(probe.time == seconds(0.4))
        #expect(probe.seg.seq == R.seq(h, 10))
        #expect(h.stack.statistics.retransmissions == 0)
    }

    @Test("TLP: on a path of 100 µs the PTO is 10 ms, not 2·SRTT (Linux's floor)")
    func probeTimeoutFloor() {
        var h = Harness.listen(Harness.configuration())
        h.send(Seg(.syn, seq: h.irs, mss: 1460, sackOK: true), at: 0)
        h.iss = h.takeSent()[0].seq
        h.conn = h.lastHalfOpen
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.0001)   // SRTT 100 µs
        _ = try! h.stack.accept(h.listener!)
        h.write((0..<(4 * R.mss)).map { UInt8(truncatingIfNeeded: $0) }, at: 0.2)
        #expect(h.takeSent().count == 4)
        // Nothing is acknowledged: 2·SRTT would probe at 0.2002 s, before the peer could answer.
        guard let probe = h.nextSent(until: 1) else { Issue.record("no probe"); return }
        #expect(probe.time == seconds(0.21))
        #expect(h.stack.statistics.lossProbes == 1)
    }

    @Test("tailLossProbe = false: the RTO, not a probe, repairs a tail loss")
    func probeOff() {
        var (h, data) = R.flight(4) { $0.tailLossProbe = false }
        h.send(R.ack(h, 2), at: 0.3)
        h.expectSent(R.segment(h, data, 2), at: 1.3)
        #expect(h.stack.statistics.lossProbes == 0)
    }
}

@Suite("SACK memory: idle connections stay small")
struct SACKMemoryTests {
    @Test("the scoreboard exists only once data went out, and goes with the connection")
    func lazyScoreboard() {
        var h = Harness.establishedSACK()
        #expect(h.stack.slots[Int(h.conn.index)].connection!.scoreboard == nil)
        h.write([1, 2, 3], at: 0.2)
        #expect(h.stack.slots[Int(h.conn.index)].connection!.scoreboard != nil)
        #expect(MemoryLayout<SACKReport>.size <= 48)
        // The whole TCB, with the tcp_info counters, delayed-ACK, Nagle and keep-alive state
        // (832 bytes when this was written; 888 with F-RTO's state): an idle connection stays
        // under ~1 KB.
        #expect(MemoryLayout<Connection>.size <= 960, "TCB: \(MemoryLayout<Connection>.size) bytes")
    }

    /// The idle benchmark (Benchmarks/, `Idle`) counts two mallocs per TCB when every connection
    /// allocated its two ring objects up front; now an idle connection allocates nothing.
    @Test("an idle connection holds no rings of its own: both are the stack's shared empty ones until a byte is written or arrives")
    func idleConnectionOwnsNoRings() {
        var h = Harness.establishedSACK()
        let empty = h.stack.emptyRings
        #expect(h.tcb.sendBuffer === empty.send && h.tcb.receiveBuffer === empty.receive)
        #expect(empty.send.placeholder && empty.receive.placeholder)
        #expect(h.tcb.sendBuffer.capacity == h.stack.configuration.sendBufferBytes)
        #expect(h.info.rcvWnd == 65535, "the window offered comes from the configured size all the same")
        // A byte arrives: the connection gets its own receive ring; the send side stays shared.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, payload: [7]), at: 0.2)
        #expect(h.tcb.receiveBuffer !== empty.receive && h.tcb.receiveBuffer.count == 1)
        #expect(h.tcb.sendBuffer === empty.send)
        #expect(h.read() == [7])
        // The application writes: its own send ring.
        h.write([1, 2, 3], at: 0.3)
        #expect(h.tcb.sendBuffer !== empty.send && h.tcb.sendBuffer.count == 3)
        #expect(empty.send.count == 0 && empty.receive.count == 0, "the shared rings stay empty")
    }
}

final class DroppedOnce { var seqs: Set<UInt32> = [] }

@Suite("SACK against NewReno: several losses in one window, two engines")
struct SACKVersusNewRenoTests {
    /// A sends 40 full segments to B over a 50 ms link; data packets 5, 9, 13 and 17 of the first
    /// flight are lost. Returns A's retransmissions and when B had all the data.
    static func run(sack: Bool) -> (retransmissions: Int, done: Double, bytes: Int) {
        var link = Link(configuration: Harness.configuration { $0.trace = false; $0.sack = sack }, delay: .milliseconds(50))
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let a = try! link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 80), now: now) }
        var b: ConnectionID?
        while b == nil, link.step(until: .seconds(10)) { b = try! link.b.accept(l) }
        // The first transmission of segments 5, 9, 13 and 17 is lost.
        let first = link.a.info(of: a)!.iss + 1
        let mss = link.a.info(of: a)!.sendMSS   // 1448: timestamps take 12 bytes
        let lost = Set([5, 9, 13, 17].map { (first + $0 * mss).rawValue })
        let dropped = DroppedOnce()
        link.dropIf = { p in
            guard p.fromA, lost.contains(p.seg.seq.rawValue), !dropped.seqs.contains(p.seg.seq.rawValue) else { return false }
            dropped.seqs.insert(p.seg.seq.rawValue)
            return true
        }
        var rng = SplitMix64(seed: 9)
        var t = Transfer(a: a, b: b!, aToB: rng.bytes(40 * 1460), bToA: [])
        t.run(&link, until: 60)
        #expect(t.receivedByB.count == t.aToB.count && t.receivedByB.elementsEqual(t.aToB), "byte-exact")
        // When B acknowledged the last byte.
        let end = first + t.aToB.count
        let done = link.wire.first { !$0.fromA && $0.seg.flags.contains(.ack) && $0.seg.ack >= end }?.time.seconds ?? .infinity
        return (link.a.statistics.retransmissions, done, t.receivedByB.count)
    }

    @Test("SACK resends exactly the four holes within one recovery; NewReno resends more and finishes later")
    func compare() {
        let s = Self.run(sack: true)
        let n = Self.run(sack: false)
        #expect(s.retransmissions == 4, "SACK: \(s)")
        // Measured: SACK 4 retransmissions, all acknowledged at 0.8 s; NewReno 9, at 3.0 s.
        #expect(n.retransmissions > s.retransmissions, "NewReno: \(n)")
        #expect(s.done < n.done, "SACK done at \(s.done) s, NewReno at \(n.done) s")
    }
}

@Suite("RACK step 2: which transmission an ACK answers (RFC 8985 §6.2)")
struct RACKAmbiguityTests {
    static func retransmitted(sentAt: Double) -> (Scoreboard, SentSegment) {
        let sb = Scoreboard(capacity: 8)
        sb.append(start: SequenceNumber(1000), end: SequenceNumber(2000), fin: false, now: seconds(0.1))
        var r = sb[0]
        r.flags.insert([.retransmitted, .everRetransmitted])
        r.sentAt = seconds(sentAt)
        sb[0] = r
        return (sb, r)
    }

    @Test("with timestamps: an echo older than the retransmission's TSval gives no RACK.rtt; its own echo does")
    func timestamps() {
        let offset: UInt32 = 5000
        var (sb, r) = Self.retransmitted(sentAt: 1.1)
        sb.rackDelivered(r, now: seconds(1.15), echoedTS: 100 + offset, tsOffset: offset)    // echoes the 0.1 s original
        #expect(!sb.rackHasDelivery)
        (sb, r) = Self.retransmitted(sentAt: 1.1)
        sb.rackDelivered(r, now: seconds(1.15), echoedTS: 1100 + offset, tsOffset: offset)   // echoes the retransmission
        #expect(sb.rackHasDelivery && sb.rackRTT == 50_000_000)
    }

    @Test("without timestamps: a sample shorter than min_RTT is ambiguous and skipped")
    func noTimestamps() {
        let (sb, r) = Self.retransmitted(sentAt: 1.1)
        sb.minRTT = 100_000_000
        sb.rackDelivered(r, now: seconds(1.15))
        #expect(!sb.rackHasDelivery)
        sb.rackDelivered(r, now: seconds(1.25))
        #expect(sb.rackHasDelivery && sb.rackRTT == 150_000_000)
    }
}

@Suite("SACK blocks on data segments (RFC 2018 §3, RFC 6691 §3)")
struct SACKOnDataTests {
    /// ESTABLISHED (passive open) with SACK and timestamps on both SYNs, so our send MSS is
    /// 1460 − 12 = 1448; then three out-of-order segments from the peer leave three ranges to
    /// report.
    static func withThreeRanges() -> (Harness, ourTSval: UInt32) {
        var h = Harness.listen()
        var synOptions = opts(mss: 1460, wscale: 7, ts: (1000, 0))
        synOptions.sackPermitted = true
        h.send(.syn, seq: h.irs, options: synOptions, at: 0)
        let synAck = h.lastSentSegment
        precondition(synAck.flags == [.syn, .ack] && synAck.options.sackPermitted, "fixture: \(synAck)")
        h.iss = synAck.sequenceNumber
        h.conn = h.lastHalfOpen
        let ourTSval = synAck.options.timestamp!.value
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000, options: opts(ts: (1001, ourTSval)), at: 0.1)
        precondition(try! h.stack.accept(h.listener!) == h.conn && h.state == .established)
        for k in 0..<3 {
            h.send(.ack, seq: h.irs + 1 + (200 * k + 100), ack: h.iss + 1, window: 1000, options: opts(ts: (1002, ourTSval)),
                   payload: [UInt8](repeating: 9, count: 100), at: 0.2 + 0.01 * Double(k))
        }
        precondition(h.lastSentSegment.options.sackBlocks.count == 3, "fixture: \(h.lastSentSegment)")
        _ = h.takeSent()
        _ = h.pollEvents()
        return (h, ourTSval)
    }

    /// Data and options together may fill the peer's MSS (RFC 6691 §3): 1460 here. The timestamps
    /// take 12 of it on every segment, which is why the send MSS is 1448; what is left beside the
    /// payload carries SACK blocks (4 bytes of NOP, NOP, kind, length and 8 a block). The engine
    /// used to take the 12 timestamp bytes off twice, so a 1420-byte segment carried one block
    /// instead of three and a 1428-byte one none.
    @Test("a data segment carries as many SACK blocks as fit beside its payload within the MSS",
          arguments: [(1420, 3), (1428, 2), (1436, 1), (1444, 0), (1448, 0)] as [(Int, Int)])
    func blocksBesidePayload(payload: Int, blocks: Int) {
        var (h, _) = Self.withThreeRanges()
        #expect(h.tcb.sendMSS == 1448)
        h.write([UInt8](repeating: 1, count: payload), at: 0.3)
        let seg = h.lastSentSegment
        #expect(seg.payloadLength == payload)
        #expect(seg.options.timestamp != nil)
        #expect(seg.options.sackBlocks.count == blocks)
        #expect(seg.options.encodedLength + payload <= 1460, "options and data within the peer's MSS")
        let base = h.irs + 1
        let newestFirst = [block(base + 500, base + 600), block(base + 300, base + 400), block(base + 100, base + 200)]
        #expect(Array(seg.options.sackBlocks) == Array(newestFirst.prefix(blocks)))
    }
}
