// RFC 9293 §3.10.7.4 in SYN-RECEIVED (the passive side after the peer's SYN, our SYN-ACK sent):
//   first, the sequence number (RCV.NXT = IRS+1); unacceptable: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>;
//   second, RST: a passively opened connection returns to LISTEN (RFC 5961: only at exactly RCV.NXT);
//   fourth, SYN: passive open returns to LISTEN;
//   fifth, ACK: SND.UNA < SEG.ACK =< SND.NXT enters ESTABLISHED, otherwise <SEQ=SEG.ACK><CTL=RST>;
//          no ACK bit: drop.

import Testing
import TCPWire
import TCPCore

@Suite("SYN-RECEIVED")
struct SynReceivedTests {
    @Test("the ACK of our SYN: ESTABLISHED, queued for accept")
    func finalACK() throws {
        var h = Harness.synReceived()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1, window: 30000), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .established)
        #expect(h.stateChanges() == ["LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED"])
        #expect(h.pollEvents() == [.connectionAvailable(h.listener!), .established(h.conn)])
        #expect(try h.stack.accept(h.listener!) == h.conn)
        #expect(try h.stack.accept(h.listener!) == nil)
        #expect(h.info.sndUna == h.iss + 1)
        #expect(h.info.sndWnd == 30000)
    }

    @Test("an ACK outside SND.UNA < SEG.ACK =< SND.NXT gets <SEQ=SEG.ACK><CTL=RST>", arguments: [0, -1, 2, 1000])
    func badACK(_ offset: Int) {
        var h = Harness.synReceived()
        let ack = h.iss + offset
        h.send(Seg(.ack, seq: h.irs + 1, ack: ack), at: 0.1)
        h.expectSent(Seg(.rst, seq: ack, window: 0))
        h.expectNothingSent()
        #expect(h.state == .synReceived)
        #expect(h.drops(.badACKInSynReceived) == 1)
    }

    @Test("data on the final ACK is accepted and acknowledged")
    func dataOnFinalACK() throws {
        var h = Harness.synReceived()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("GET /")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 6, window: window(unread: 5)))
        #expect(h.state == .established)
        #expect(try h.stack.accept(h.listener!) == h.conn)
        #expect(h.read() == bytes("GET /"))
    }

    @Test("data arriving before accept is announced as readable")
    func readableBeforeAccept() {
        var h = Harness.synReceived()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("x")), at: 0.1)
        #expect(h.pollEvents() == [.connectionAvailable(h.listener!), .established(h.conn), .readable(h.conn)])
    }

    @Test("FIN on the final ACK: ESTABLISHED then CLOSE-WAIT")
    func finOnFinalACK() {
        var h = Harness.synReceived()
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2))
        #expect(h.state == .closeWait)
        #expect(h.stateChanges().suffix(2) == ["SYN-RECEIVED -> ESTABLISHED", "ESTABLISHED -> CLOSE-WAIT"])
    }

    @Test("a segment without ACK is dropped", arguments: [TCPFlags.psh, .fin])
    func noACK(_ flags: TCPFlags) {
        var h = Harness.synReceived()
        h.send(Seg(flags, seq: h.irs + 1, payload: flags.contains(.psh) ? bytes("data") : []), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .synReceived)
        #expect(h.drops(.noACKFlag) == 1)
    }

    @Test("RST at RCV.NXT: back to LISTEN, silently; the listener takes the next SYN")
    func rstReturnsToListen() {
        var h = Harness.synReceived()
        h.send(Seg(.rst, seq: h.irs + 1), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == nil)
        #expect(h.stack.connectionCount == 0)
        #expect(h.pollEvents().isEmpty)
        #expect(h.stateChanges() == ["LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> CLOSED"])
        h.send(Seg(.syn, seq: 777), at: 0.2)
        let sent = h.takeSent()
        #expect(sent.count == 1 && sent.first?.flags == [.syn, .ack] && sent.first?.ack == 778)
    }

    @Test("RST in the window but not at RCV.NXT: challenge ACK (RFC 5961 §3.2)")
    func rstInWindow() {
        var h = Harness.synReceived()
        h.send(Seg(.rst, seq: h.irs + 10), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .synReceived)
        #expect(h.drops(.rstChallenged) == 1)
    }

    @Test("RST outside the window: dropped")
    func rstOutOfWindow() {
        var h = Harness.synReceived()
        h.send(Seg(.rst, seq: h.irs), at: 0.1)
        h.send(Seg(.rst, seq: h.irs + 1 + 65535), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .synReceived)
        #expect(h.drops(.rstOutOfWindow) == 2)
    }

    @Test("the peer's retransmitted SYN: our SYN-ACK again, same ISS")
    func retransmittedSYN() {
        var h = Harness.synReceived()
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0.5)
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460))
        #expect(h.state == .synReceived)
        #expect(h.stack.connectionCount == 1)
    }

    @Test("a different SYN in the window: the passive connection returns to LISTEN")
    func otherSYNInWindow() {
        var h = Harness.synReceived()
        h.send(Seg(.syn, seq: h.irs + 100), at: 0.5)
        h.expectNothingSent()
        #expect(h.state == nil)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("a segment outside the window: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>", arguments: [
        Seg(.ack, seq: peerISS, ack: 0),
        Seg([.psh, .ack], seq: peerISS + 1 + 65535, payload: bytes("x")),
        Seg(.syn, seq: peerISS + 1 + 70000),
    ])
    func unacceptable(_ seg: Seg) {
        var h = Harness.synReceived()
        var s = seg
        if s.flags.contains(.ack) { s.ack = h.iss + 1 }
        h.send(s, at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.expectNothingSent()
        #expect(h.state == .synReceived)
        #expect(h.drops(.unacceptableSequence) == 1)
    }

    @Test("simultaneous open: the peer's SYN,ACK completes the handshake (RFC 9293 Figure 8)")
    func simultaneousOpenSynAck() {
        var h = Harness.synSent()
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0.1)
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460))
        // Figure 8, line 6: <SEQ=300><ACK=101><CTL=SYN,ACK> --> ESTABLISHED, nothing more to send.
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1, window: 5000, mss: 1460), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .established)
        #expect(h.info.sndUna == h.iss + 1 && h.info.sndWnd == 5000)
        #expect(h.stateChanges() == ["CLOSED -> SYN-SENT", "SYN-SENT -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED"])
        // A SYN,ACK that does not acknowledge our SYN is not taken that way.
        var g = Harness.synSent()
        g.send(Seg(.syn, seq: g.irs), at: 0.1)
        _ = g.takeSent()
        g.send(Seg([.syn, .ack], seq: g.irs, ack: g.iss + 2), at: 0.1)
        g.expectSent(Seg(.ack, seq: g.iss + 1, ack: g.irs + 1))
        #expect(g.state == .synReceived)
    }

    @Test("simultaneous open: RST at RCV.NXT in SYN-RECEIVED means connection refused")
    func activeSynReceivedRST() {
        var h = Harness.synSent()
        h.send(Seg(.syn, seq: h.irs), at: 0.1)
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460))
        h.send(Seg(.rst, seq: h.irs + 1), at: 0.2)
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .refused)])
    }

    @Test("close in SYN-RECEIVED: the FIN follows the handshake (RFC 9293 §3.10.4)")
    func closeInSynReceived() throws {
        var h = Harness.synSent()
        h.send(Seg(.syn, seq: h.irs), at: 0.1)
        h.expectSent(Seg([.syn, .ack], seq: h.iss, ack: h.irs + 1, mss: 1460))
        h.shutdown(at: 0.15)
        h.expectNothingSent()
        #expect(h.state == .synReceived)
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.2)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.state == .finWait1)
    }
}
