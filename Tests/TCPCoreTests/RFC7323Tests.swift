// RFC 7323 (window scale, timestamps, RTTM, PAWS) and receiver-side flow control (SWS avoidance,
// window updates), as packet traces with explicit times. The peer's segments carry options, so
// they are built here with `TCPOptions`; the options of ours are read from the trace.

import Testing
import TCPWire
@testable import TCPCore

/// Options as the peer writes them.
func opts(mss: UInt16? = nil, wscale: UInt8? = nil, ts: (UInt32, UInt32)? = nil) -> TCPOptions {
    TCPOptions(mss: mss, windowScale: wscale, timestamp: ts.map { TCPTimestamp(value: $0.0, echoReply: $0.1) })
}

extension Harness {
    /// The peer sends a segment with options.
    mutating func send(_ flags: TCPFlags, seq: SequenceNumber, ack: SequenceNumber = SequenceNumber(0), window: UInt16 = 65535,
                       options: TCPOptions, payload: [UInt8] = [], at t: Double) {
        let h = TCPHeader(sourcePort: peer.port, destinationPort: ours.port, sequenceNumber: seq, acknowledgmentNumber: ack,
                          flags: flags, window: window, options: options)
        send(packet: try! TCPPacket.build(source: peer.address, destination: ours.address, header: h, payload: payload), at: t)
    }

    /// Every segment we sent, with its options (from the trace).
    var sentSegments: [SegmentSummary] {
        log.compactMap { if case .send(let s) = $0.kind { s } else { nil } }
    }
    var lastSentSegment: SegmentSummary { sentSegments.last! }
    /// The TCB under test (white box: shift counts and TS.Recent are not public).
    var tcb: Connection { stack.slots[Int(conn.index)].connection! }

    /// ESTABLISHED after a passive open (SYN at 0 s, the ACK at 0.1 s) in which the peer offered
    /// wscale `peerShift` and timestamps (its TSval 1000, then 1001); `ourTSval` is our SYN-ACK's.
    static func establishedRFC7323(_ configuration: TCPConfiguration = Harness.configuration(), peerShift: UInt8? = 7,
                                   peerTS: Bool = true) -> (Harness, ourTSval: UInt32) {
        var h = listen(configuration)
        h.send(.syn, seq: h.irs, options: opts(mss: 1460, wscale: peerShift, ts: peerTS ? (1000, 0) : nil), at: 0)
        let synAck = h.takeSent()
        precondition(synAck.count == 1 && synAck[0].flags == [.syn, .ack], "fixture: \(synAck)")
        h.iss = synAck[0].seq
        h.conn = h.lastHalfOpen
        let ourTSval = h.lastSentSegment.options.timestamp?.value ?? 0
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000, options: opts(ts: peerTS ? (1001, ourTSval) : nil), at: 0.1)
        precondition(try! h.stack.accept(h.listener!) == h.conn && h.state == .established)
        h.expectNothingSent()
        _ = h.pollEvents()
        return (h, ourTSval)
    }
}

@Suite("RFC 7323 §2: window scale negotiation and scaled windows")
struct WindowScaleTests {
    @Test("both sides offer: our SYN-ACK answers with our shift; the SYN's window is not scaled, later ones are")
    func bothOffer() {
        var h = Harness.listen(Harness.configuration { $0.receiveBufferBytes = 1 << 20 })
        h.send(.syn, seq: h.irs, window: 5000, options: opts(mss: 1460, wscale: 7), at: 0)
        let synAck = h.lastSentSegment
        #expect(synAck.flags == [.syn, .ack])
        #expect(synAck.options.windowScale == 5, "1 MiB >> 5 = 32768 fits in 16 bits, >> 4 does not")
        #expect(synAck.window == 65535, "RFC 7323 §2.2: the window of a SYN-ACK is never scaled")
        h.iss = synAck.sequenceNumber
        h.conn = h.lastHalfOpen
        #expect(h.info.sndWnd == 5000, "the peer's SYN window is taken unscaled")
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000, options: opts(), at: 0.1)
        #expect(h.info.sndWnd == 1000 << 7, "SND.WND = SEG.WND << Snd.Wind.Shift")
        #expect(h.info.windowShifts == WindowShifts(send: 7, receive: 5))
        #expect(!h.info.timestamps, "the peer's SYN offered none")
        // Our first ACK after the handshake offers the whole free megabyte, scaled: (2^20 - 1) >> 5.
        _ = h.takeSent()
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000, options: opts(), payload: bytes("x"), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2, window: UInt16(((1 << 20) - 1) >> 5)))
        #expect(h.info.rcvWnd == UInt32(((1 << 20) - 1) >> 5) << 5)
    }

    @Test("only the peer offers (scaling off here): no wscale on the SYN-ACK, the peer's windows count bytes")
    func switchedOff() {
        var h = Harness.listen(Harness.configuration { $0.windowScaling = false; $0.receiveBufferBytes = 1 << 20 })
        h.send(.syn, seq: h.irs, options: opts(mss: 1460, wscale: 7), at: 0)
        #expect(h.lastSentSegment.options.windowScale == nil)
        h.iss = h.lastSentSegment.sequenceNumber
        h.conn = h.lastHalfOpen
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 1000, options: opts(), at: 0.1)
        #expect(h.info.sndWnd == 1000)
        #expect(h.info.rcvWnd == 65535, "without scaling the window field caps RCV.WND at 65535")
    }

    @Test("only we offer: the peer's SYN-ACK without wscale turns scaling off both ways")
    func onlyWeOffer() {
        var h = Harness.synSent(Harness.configuration { $0.receiveBufferBytes = 1 << 20 })
        let syn = h.lastSentSegment
        #expect(syn.options.windowScale == 5 && syn.options.timestamp?.echoReply == 0)
        #expect(syn.options.encodedLength <= 40)
        h.send([.syn, .ack], seq: h.irs, ack: h.iss + 1, window: 1000, options: opts(mss: 1460), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, window: 65535))
        #expect(h.lastSentSegment.options.timestamp == nil, "TS not negotiated: none on later segments")
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 2000, options: opts(), at: 0.2)
        #expect(h.info.sndWnd == 2000)
        #expect(h.tcb.sndWindShift == 0 && h.tcb.rcvWindShift == 0)
        #expect(h.info.windowShifts == nil && !h.info.timestamps)
    }

    @Test("active open, both offer: the SYN-ACK's window is unscaled, the next ACK's is scaled")
    func activeBoth() {
        var h = Harness.synSent(Harness.configuration { $0.receiveBufferBytes = 1 << 20 })
        h.send([.syn, .ack], seq: h.irs, ack: h.iss + 1, window: 3000, options: opts(mss: 1460, wscale: 2), at: 0.1)
        #expect(h.info.sndWnd == 3000)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1, window: 32768))   // 1 MiB >> 5
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 3000, options: opts(), at: 0.2)
        #expect(h.info.sndWnd == 12000)
    }

    @Test("a shift above 14 is taken as 14 (RFC 7323 §2.3)")
    func shiftCapped() {
        var h = Harness.listen()
        h.send(.syn, seq: h.irs, options: opts(mss: 1460, wscale: 20), at: 0)
        h.conn = h.lastHalfOpen
        #expect(h.tcb.sndWindShift == 14)
    }

    @Test("our shift is the smallest that covers the buffer, at most 14")
    func shiftFromBuffer() {
        #expect(TCPStack.windowShift(forBuffer: 65535) == 0)
        #expect(TCPStack.windowShift(forBuffer: 65536) == 1)
        #expect(TCPStack.windowShift(forBuffer: 256 * 1024) == 3)
        #expect(TCPStack.windowShift(forBuffer: 1 << 20) == 5)
        #expect(TCPStack.windowShift(forBuffer: 1 << 40) == 14)
    }

    @Test("the right edge never moves left although the scaled field is rounded (RFC 7323 §2.4)")
    func neverShrinks() {
        var (h, _) = Harness.establishedRFC7323(Harness.configuration { $0.receiveBufferBytes = 1 << 20; $0.timestamps = false })
        #expect(h.tcb.rcvWindShift == 5)
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(), payload: bytes("a"), at: 0.1)
        var edge = h.tcb.rcvAdv
        var seq = h.irs + 2
        // Segments of sizes that are not multiples of 32: each ACK's window, shifted back, must
        // still reach the edge offered before.
        for (k, size) in [1, 7, 31, 33, 100, 1000, 5].enumerated() {
            h.send(.ack, seq: seq, ack: h.iss + 1, options: opts(), payload: [UInt8](repeating: 1, count: size), at: 0.2 + Double(k) / 10)
            seq += UInt32(size)
            let ack = h.lastSentSegment
            #expect(ack.acknowledgmentNumber == seq)
            let offered = ack.acknowledgmentNumber + (UInt32(ack.window) << 5)
            #expect(offered >= edge, "edge moved left after \(size) bytes")
            edge = offered
        }
        #expect(h.stack.statistics.dropCount(.beyondWindow) == 0)
    }

    @Test("1 MiB buffers on both ends: more than 64 KiB in flight, every byte delivered")
    func megabyteTransfer() {
        let config = Harness.configuration { $0.receiveBufferBytes = 1 << 20; $0.sendBufferBytes = 1 << 20; $0.trace = false }
        var link = Link(configuration: config, delay: .milliseconds(50))
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let a = try! link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 80), now: now) }
        var b: ConnectionID?
        while b == nil, link.step(until: .seconds(10)) { b = try! link.b.accept(l) }
        guard let b else { Issue.record("no connection"); return }
        var rng = SplitMix64(seed: 7)
        var transfer = Transfer(a: a, b: b, aToB: rng.bytes(3 << 20), bToA: [])
        var maxInFlight = 0, maxSndWnd: UInt32 = 0
        transfer.pump(&link)
        while link.step(until: .seconds(600)) {
            transfer.pump(&link)
            if let info = link.a.info(of: a) {
                maxInFlight = max(maxInFlight, Int(info.sndNxt - info.sndUna))
                maxSndWnd = max(maxSndWnd, info.sndWnd)
            }
        }
        #expect(transfer.receivedByB.count == transfer.aToB.count)
        #expect(transfer.receivedByB == transfer.aToB)
        #expect(maxInFlight > 65535, "windows above 64 KiB are in use: \(maxInFlight)")
        #expect(maxSndWnd > 65535 * 8, "the peer offered its megabyte: \(maxSndWnd)")
    }
}

@Suite("RFC 7323 §3–§5: timestamps, RTTM and PAWS")
struct TimestampTests {
    @Test("negotiated on the SYN: the SYN-ACK echoes the peer's TSval; every later segment carries TS with TSecr = TS.Recent")
    func echo() {
        var (h, ourTS) = Harness.establishedRFC7323()
        #expect(h.info.timestamps)
        #expect(h.sentSegments[0].options.timestamp?.echoReply == 1000)
        #expect(h.tcb.tsRecent == 1001, "the third segment of the handshake updated TS.Recent")
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(ts: (1050, ourTS)), payload: bytes("hello"), at: 0.25)
        let ack = h.lastSentSegment
        #expect(ack.options.timestamp?.echoReply == 1050)
        #expect(ack.options.timestamp?.value == ourTS &+ 250, "TSval counts milliseconds of the injected clock")
        #expect(h.info.sendMSS == 1448, "the 12 option bytes come out of the MSS")
    }

    @Test("TS.Recent follows only segments at or before Last.ACK.sent (RFC 7323 §4.3)")
    func lastAckSentRule() {
        var (h, ourTS) = Harness.establishedRFC7323()
        // Out of order (a gap before it): its TSval must not become TS.Recent.
        h.send(.ack, seq: h.irs + 11, ack: h.iss + 1, options: opts(ts: (1200, ourTS)), payload: bytes("later"), at: 0.1)
        #expect(h.lastSentSegment.acknowledgmentNumber == h.irs + 1)
        #expect(h.lastSentSegment.options.timestamp?.echoReply == 1001)
        // The gap fills with an older TSval: that one is echoed (the earliest, §4.3 (2)).
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(ts: (1100, ourTS)), payload: bytes("0123456789"), at: 0.2)
        #expect(h.lastSentSegment.acknowledgmentNumber == h.irs + 16)
        #expect(h.lastSentSegment.options.timestamp?.echoReply == 1100)
    }

    @Test("RTT from TSecr, also for an ACK of a retransmitted segment (RFC 7323 §4)")
    func rttAfterRetransmission() {
        var (h, _) = Harness.establishedRFC7323(Harness.configuration { $0.rtoMin = .milliseconds(200) })
        h.write(bytes("abc"), at: 1)
        #expect(h.takeSent().map(\.payload) == [bytes("abc")])
        let first = h.lastSentSegment.options.timestamp!.value
        #expect(h.info.srtt == .milliseconds(100), "the handshake: SYN-ACK at 0, its ACK at 0.1 s")
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 4, options: opts(ts: (1100, first)), at: 1.25)
        #expect(h.info.srtt == .nanoseconds(118_750_000), "7/8 × 100 + 1/8 × 250 ms")
        h.write(bytes("def"), at: 2)
        #expect(h.takeSent().map(\.payload) == [bytes("def")])
        // Lost; the retransmission timer fires after the RTO and resends it with a new TSval.
        let rto = h.info.rto
        guard let re = h.nextSent(until: 10) else { Issue.record("no retransmission"); return }
        #expect(re.seg.payload == bytes("def") && re.time == seconds(2) + rto)
        let resentTS = h.lastSentSegment.options.timestamp!.value
        #expect(resentTS == first &+ UInt32((re.time.nanoseconds - seconds(1).nanoseconds) / 1_000_000))
        // The ACK echoes the retransmission's TSval, 100 ms after it: a valid sample (Karn's
        // algorithm would have to discard it).
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 7, options: opts(ts: (1200, resentTS)), at: re.time.seconds + 0.1)
        // SRTT = 7/8 × 118.75 + 1/8 × 100 ms.
        #expect(h.info.srtt == .nanoseconds(116_406_250))
    }

    @Test("after a SYN timeout the SYN-ACK's TSecr gives no sample: it may echo our first SYN (RFC 6298 §5.7: RTO 3 s)")
    func noSampleAfterSYNTimeout() {
        var h = Harness.synSent()
        let firstSYN = h.lastSentSegment.options.timestamp!.value
        guard let again = h.nextSent(until: 2) else { Issue.record("no SYN retransmission"); return }
        #expect(again.seg.flags == .syn && again.time == seconds(1))
        // The peer got only the first SYN and its SYN-ACKs were lost until this one, at 4 s.
        h.send([.syn, .ack], seq: h.irs, ack: h.iss + 1, options: opts(mss: 1460, ts: (77, firstSYN)), at: 4)
        #expect(h.state == .established)
        #expect(h.info.srtt == nil, "not 4 s")
        #expect(h.info.rto == .seconds(3))
        // Without the SYN timeout the same echo is a sample.
        var k = Harness.synSent()
        let syn = k.lastSentSegment.options.timestamp!.value
        k.send([.syn, .ack], seq: k.irs, ack: k.iss + 1, options: opts(mss: 1460, ts: (77, syn)), at: 0.3)
        #expect(k.info.srtt == .milliseconds(300))
    }

    @Test("PAWS: a TSval older than TS.Recent is dropped, counted and answered with an ACK (§5.3 R1)")
    func pawsDrop() {
        var (h, ourTS) = Harness.establishedRFC7323(peerShift: nil)
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(ts: (5000, ourTS)), payload: bytes("new"), at: 0.1)
        #expect(h.read() == bytes("new"))
        _ = h.takeSent()
        // An old duplicate of later data with an old timestamp: in the window, but PAWS rejects it.
        h.send(.ack, seq: h.irs + 4, ack: h.iss + 1, options: opts(ts: (4000, ourTS)), payload: bytes("old"), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4, window: window(unread: 3)))
        #expect(h.lastSentSegment.options.timestamp?.echoReply == 5000)
        #expect(h.drops(.paws) == 1)
        #expect(h.dropLog.last == .paws)
        #expect(h.read() == [])
        // A RST is not subject to PAWS (R1 excludes it).
        h.send(.rst, seq: h.irs + 4, options: opts(ts: (1, 0)), at: 0.3)
        #expect(h.state == nil || h.state == .closed)
    }

    @Test("TSval wraps: 2^32 - 10 then 5 is newer, not older (§5.2)")
    func wrap() {
        var h = Harness.listen()
        h.send(.syn, seq: h.irs, options: opts(mss: 1460, ts: (UInt32.max - 10, 0)), at: 0)
        h.iss = h.lastSentSegment.sequenceNumber
        h.conn = h.lastHalfOpen
        let ourTS = h.lastSentSegment.options.timestamp!.value
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(ts: (UInt32.max - 5, ourTS)), at: 0.1)
        #expect(h.state == .established)
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(ts: (5, ourTS)), payload: bytes("wrapped"), at: 0.2)
        #expect(h.drops(.paws) == 0)
        #expect(h.tcb.tsRecent == 5)
        #expect(h.lastSentSegment.acknowledgmentNumber == h.irs + 8)
        // Half the space later the order flips: 2^31 + 6 ahead of 5 counts as older.
        h.send(.ack, seq: h.irs + 8, ack: h.iss + 1, options: opts(ts: (5 &+ (1 << 31) &+ 1, ourTS)), payload: bytes("x"), at: 0.3)
        #expect(h.drops(.paws) == 1)
    }

    @Test("idle more than 24 days: TS.Recent is no longer valid and an old TSval is accepted (§5.5)")
    func idle24Days() {
        var (h, ourTS) = Harness.establishedRFC7323()
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(ts: (2_000_000_000, ourTS)), payload: bytes("a"), at: 0.1)
        let day = 86_400.0
        // 23 days later an older TSval still fails PAWS ...
        h.send(.ack, seq: h.irs + 2, ack: h.iss + 1, options: opts(ts: (100, ourTS)), payload: bytes("b"), at: 23 * day)
        #expect(h.drops(.paws) == 1)
        // ... after 25 days without a new TS.Recent it is taken, and becomes TS.Recent.
        h.send(.ack, seq: h.irs + 2, ack: h.iss + 1, options: opts(ts: (100, ourTS)), payload: bytes("b"), at: 25 * day)
        #expect(h.drops(.paws) == 1)
        #expect(h.read() == bytes("ab"))
        #expect(h.tcb.tsRecent == 100)
    }

    @Test("after negotiation a segment without TS is dropped (§3.2), unless tolerated; a RST without TS counts")
    func missingTimestamp() {
        var (h, _) = Harness.establishedRFC7323()
        h.send(.ack, seq: h.irs + 1, ack: h.iss + 1, options: opts(), payload: bytes("bare"), at: 0.1)
        h.expectNothingSent()
        #expect(h.drops(.missingTimestamp) == 1)
        #expect(h.read() == [])
        var (t, _) = Harness.establishedRFC7323(Harness.configuration { $0.tolerateMissingTimestamps = true })
        t.send(.ack, seq: t.irs + 1, ack: t.iss + 1, options: opts(), payload: bytes("bare"), at: 0.1)
        #expect(t.read() == bytes("bare"))
        h.send(.rst, seq: h.irs + 1, options: opts(), at: 0.2)
        #expect(h.state == .closed)
    }

    @Test("our RST carries TS too (§3.2 SHOULD): TSecr = TS.Recent")
    func rstCarriesTimestamp() {
        var (h, ourTS) = Harness.establishedRFC7323()
        h.abort(at: 0.5)
        let rst = h.lastSentSegment
        #expect(rst.flags == [.rst, .ack])
        #expect(rst.options.timestamp == TCPTimestamp(value: ourTS &+ 500, echoReply: 1001))
    }

    @Test("timestamps switched off: none on the SYN-ACK although the peer offered; the MSS stays whole")
    func switchedOff() {
        var h = Harness.listen(Harness.configuration { $0.timestamps = false })
        h.send(.syn, seq: h.irs, options: opts(mss: 1460, ts: (1, 0)), at: 0)
        #expect(h.lastSentSegment.options.timestamp == nil)
        h.conn = h.lastHalfOpen
        #expect(h.info.sendMSS == 1460)
    }

    @Test("TSval offsets differ per connection and do not reveal the clock (§7.1)")
    func offsets() {
        var h = Harness.listen()
        h.send(.syn, seq: h.irs, options: opts(mss: 1460, ts: (1, 0)), at: 0)
        let a = h.lastSentSegment.options.timestamp!.value
        var other = Harness.listen()
        other.peer = SocketAddress(peerIP, peerPort + 1)
        other.send(.syn, seq: other.irs, options: opts(mss: 1460, ts: (1, 0)), at: 0)
        let b = other.lastSentSegment.options.timestamp!.value
        #expect(a != b)
        #expect(a != 0 && b != 0)
    }

    @Test("option space: MSS, wscale, SACK-permitted and TS fit a SYN; TS leaves room for three SACK blocks")
    func optionSpace() {
        var syn = TCPOptions(mss: 1460, windowScale: 14, sackPermitted: true, timestamp: TCPTimestamp(value: 1, echoReply: 0))
        #expect(syn.encodedLength <= 40)
        syn.mss = nil; syn.windowScale = nil; syn.sackPermitted = false
        var blocks = SACKBlocks()
        for k in 0..<3 { blocks.append(SACKBlock(left: SequenceNumber(UInt32(k * 100)), right: SequenceNumber(UInt32(k * 100 + 50)))) }
        syn.sackBlocks = blocks
        #expect(syn.encodedLength <= 40)
        blocks.append(SACKBlock(left: SequenceNumber(1000), right: SequenceNumber(1050)))
        syn.sackBlocks = blocks
        #expect(syn.encodedLength > 40, "so finishOutgoing trims a fourth block when TS rides along")
    }
}

@Suite("Receiver SWS avoidance and window updates (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3)")
struct ReceiveWindowTests {
    @Test("reads smaller than an MSS do not move the right edge; once a full MSS is free, a window update")
    func smallReads() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 7, count: 3000)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 3001, window: window(unread: 3000)))
        var out = [UInt8](repeating: 0, count: 1000)
        h.advance(to: 0.2)
        _ = out.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        h.expectNothingSent()   // 1001 bytes more could be offered: less than the 1460-byte MSS
        h.advance(to: 0.3)
        _ = out.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        // 2001 more: the update offers all the free space (65536 - 1000 unread).
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 3001, window: window(unread: 1000) + 1))
    }

    @Test("a zero window reopens with an update only when min(RCV.BUFF/2, MSS) is free")
    func zeroWindowReopens() {
        var h = Harness.established(Harness.configuration { $0.receiveBufferBytes = 4000 })
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 1, count: 4000)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4001, window: 0))
        var out = [UInt8](repeating: 0, count: 100)
        h.advance(to: 0.2)
        _ = out.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        h.expectNothingSent()   // 100 bytes free: a silly window, not offered
        // The peer probes: the answer still offers 0.
        h.send(Seg(.ack, seq: h.irs + 4000, ack: h.iss + 1), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4001, window: 0))
        var big = [UInt8](repeating: 0, count: 1400)
        h.advance(to: 0.4)
        _ = big.withUnsafeMutableBytes { try! h.stack.receive(h.conn, into: $0, now: h.now) }
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4001, window: 1500))   // 1500 >= min(2000, 1460)
    }
}
