// RFC 9293 §3.10.7.3, "If the state is SYN-SENT":
//   first, the ACK: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable: <SEQ=SEG.ACK><CTL=RST>
//          (unless the segment is a RST: then just drop it);
//   second, the RST: with an acceptable ACK, "connection reset" (refused), CLOSED; without one, drop;
//   fourth, the SYN: IRS, RCV.NXT = SEG.SEQ+1; if our SYN is acknowledged, ESTABLISHED and
//           <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; otherwise SYN-RECEIVED and <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>;
//   fifth, neither SYN nor RST: drop.

import Testing
import TCPWire
import TCPCore

@Suite("SYN-SENT")
struct SynSentTests {
    @Test("connect sends <SEQ=ISS><CTL=SYN> with MSS 1460 and our window")
    func connectSendsSYN() {
        var h = Harness(configuration: Harness.configuration())
        h.conn = try! h.stack.connect(to: h.peer, localPort: ourPort, now: seconds(0))
        let syn = h.takeSent()
        #expect(syn.count == 1)
        h.iss = syn[0].seq
        #expect(syn[0] == Seg(.syn, seq: h.iss, mss: 1460, sackOK: true))
        #expect(h.state == .synSent)
        #expect(h.stateChanges() == ["CLOSED -> SYN-SENT"])
        #expect(h.info.sndUna == h.iss && h.info.sndNxt == h.iss + 1)
    }

    @Test("SYN,ACK acknowledging our SYN: ESTABLISHED and <SEQ=ISS+1><ACK=SEG.SEQ+1><CTL=ACK>")
    func synAck() {
        var h = Harness.synSent()
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, window: 20000, mss: 1200), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.expectNothingSent()
        #expect(h.state == .established)
        #expect(h.stateChanges() == ["CLOSED -> SYN-SENT", "SYN-SENT -> ESTABLISHED"])
        #expect(h.pollEvents() == [.established(h.conn)])
        #expect(h.info.sndUna == h.iss + 1)
        #expect(h.info.sndWnd == 20000)
        #expect(h.info.sendMSS == 1200)
        #expect(h.info.srtt == .milliseconds(100))   // RFC 6298 §2.2: the first sample
    }

    @Test("SYN,ACK carrying data and FIN: the data is queued, the FIN takes us to CLOSE-WAIT")
    func synAckWithDataAndFIN() {
        var h = Harness.synSent()
        h.send(Seg([.syn, .ack, .fin], seq: h.irs, ack: h.iss + 1, payload: bytes("hi")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4, window: window(unread: 2)))
        #expect(h.state == .closeWait)
        #expect(h.read() == bytes("hi"))
        #expect(h.read() == nil)   // end of stream
    }

    @Test("unacceptable ACK (SEG.ACK =< ISS or > SND.NXT) gets <SEQ=SEG.ACK><CTL=RST>", arguments: [
        (0, "SEG.ACK = ISS"), (-1, "SEG.ACK = ISS-1"), (2, "SEG.ACK = SND.NXT+1"), (100_000, "far ahead"),
    ])
    func unacceptableACK(_ offset: Int, _ name: String) {
        var h = Harness.synSent()
        let ack = h.iss + offset
        for flags: TCPFlags in [.ack, [.syn, .ack], [.psh, .ack]] {
            h.send(Seg(flags, seq: h.irs, ack: ack), at: 0.1)
            h.expectSent(Seg(.rst, seq: ack, window: 0))
        }
        h.expectNothingSent()
        #expect(h.state == .synSent)
        #expect(h.drops(.synSentBadACK) == 3)
        // With the RST bit, the segment is just dropped.
        h.send(Seg([.rst, .ack], seq: h.irs, ack: ack), at: 0.2)
        h.expectNothingSent()
        #expect(h.state == .synSent)
        #expect(h.drops(.synSentBadACK) == 4)
    }

    @Test("RST with an acceptable ACK: connection refused")
    func rstRefused() {
        var h = Harness.synSent()
        h.send(Seg([.rst, .ack], seq: 0, ack: h.iss + 1, window: 0), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .refused)])
        #expect(throws: TCPError.connectionRefused) { _ = try h.stack.send(h.conn, [1], now: h.now) }
        #expect(throws: TCPError.connectionRefused) { _ = try h.stack.receive(h.conn, now: h.now) }
        #expect(h.stack.nextDeadline == nil)   // no SYN retransmission
    }

    @Test("RST without ACK is dropped (RFC 5961 §3.2: it cannot be verified)")
    func rstWithoutACK() {
        var h = Harness.synSent()
        h.send(Seg(.rst, seq: h.irs), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .synSent)
        #expect(h.drops(.synSentRSTWithoutACK) == 1)
    }

    @Test("SYN without ACK (simultaneous open): SYN-RECEIVED and <SEQ=ISS><ACK=SEG.SEQ+1><CTL=SYN,ACK>")
    func simultaneousOpen() {
        var h = Harness.synSent()
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0.1)
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460))
        #expect(h.state == .synReceived)
        // The peer's ACK of our SYN completes it.
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.2)
        h.expectNothingSent()
        #expect(h.state == .established)
        #expect(h.stateChanges() == ["CLOSED -> SYN-SENT", "SYN-SENT -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED"])
        #expect(h.pollEvents() == [.established(h.conn)])
    }

    @Test("neither SYN nor RST: dropped", arguments: [
        TCPFlags.ack, [.psh, .ack], [.fin, .ack], .psh, .fin, [],
    ])
    func noSYN(_ flags: TCPFlags) {
        var h = Harness.synSent()
        let payload = flags.contains(.psh) ? bytes("data") : []
        h.send(Seg(flags, seq: h.irs, ack: flags.contains(.ack) ? h.iss + 1 : 0, payload: payload), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .synSent)
        #expect(h.drops(.synSentNoSYN) == 1)
    }

    @Test("data queued before the handshake completes goes out after it")
    func dataQueuedInSynSent() {
        var h = Harness.synSent()
        #expect(h.write(bytes("early"), at: 0.05) == 5)
        h.expectNothingSent()
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, mss: 1460), at: 0.1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 1, payload: bytes("early")))
    }

    @Test("shutdown in SYN-SENT deletes the TCB; abort in SYN-SENT sends nothing")
    func closeInSynSent() {
        var h = Harness.synSent()
        h.shutdown(at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        var g = Harness.synSent()
        g.abort(at: 0.1)
        g.expectNothingSent()
        #expect(g.state == nil)
        #expect(g.stack.connectionCount == 0)
    }
}
