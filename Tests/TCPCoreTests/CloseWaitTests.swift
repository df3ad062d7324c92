// CLOSE-WAIT (RFC 9293 §3.10.7.4): the peer's FIN has arrived; we may still send. Text from the
// peer "should not occur" and is ignored; a retransmitted FIN is answered with an ACK.

import Testing
import TCPWire
import TCPCore

@Suite("CLOSE-WAIT")
struct CloseWaitTests {
    @Test("the application reads to the end of the stream and may still send")
    func sendAfterPeerFIN() {
        var h = Harness.closeWait()
        #expect(h.read() == nil)
        h.write(bytes("response"), at: 1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 2, payload: bytes("response")))
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 9), at: 1.1)
        h.expectNothingSent()
        #expect(h.info.sndUna == h.iss + 9)
        #expect(h.state == .closeWait)
    }

    @Test("a retransmitted FIN is acknowledged again")
    func retransmittedFIN() {
        var h = Harness.closeWait()
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 2))
        #expect(h.state == .closeWait)
        #expect(h.pollEvents().isEmpty)   // no second peerClosed
    }

    @Test("text after the FIN is ignored")
    func textAfterFIN() {
        var h = Harness.closeWait()
        h.send(Seg([.psh, .ack], seq: h.irs + 2, ack: h.iss + 1, payload: bytes("impossible")), at: 1)
        h.expectNothingSent()
        #expect(h.drops(.textAfterFIN) == 1)
        #expect(h.info.rcvNxt == h.irs + 2)
        #expect(h.read() == nil)
    }

    @Test("RST at RCV.NXT: CLOSED")
    func rst() {
        var h = Harness.closeWait()
        h.send(Seg(.rst, seq: h.irs + 2), at: 1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .peerReset)])
    }

    @Test("shutdown: FIN after the queued data, LAST-ACK")
    func shutdown() {
        var h = Harness.closeWait()
        h.write(bytes("tail"), at: 1)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 2, payload: bytes("tail")))
        h.shutdown(at: 1)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 5, ack: h.irs + 2))
        #expect(h.state == .lastAck)
        #expect(h.stateChanges().suffix(2) == ["ESTABLISHED -> CLOSE-WAIT", "CLOSE-WAIT -> LAST-ACK"])
    }
}

// CLOSING (RFC 9293 §3.10.7.4): both FINs crossed; when ours is acknowledged, TIME-WAIT.
@Suite("CLOSING")
struct ClosingTests {
    @Test("the ACK of our FIN: TIME-WAIT for 2×MSL")
    func finAcked() {
        var h = Harness.closing()
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 2), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .timeWait)
        #expect(h.info.timers.timeWait == seconds(60.1))
        #expect(h.info.timers.retransmit == nil)
        #expect(h.stateChanges().suffix(3) == ["ESTABLISHED -> FIN-WAIT-1", "FIN-WAIT-1 -> CLOSING", "CLOSING -> TIME-WAIT"])
    }

    @Test("an ACK short of our FIN changes nothing")
    func finNotAcked() {
        var h = Harness.closing()
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 1), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .closing)
    }

    @Test("the peer's FIN again: ACK again")
    func retransmittedFIN() {
        var h = Harness.closing()
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 0.5)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.state == .closing)
    }

    @Test("our FIN is retransmitted until acknowledged")
    func finRetransmitted() {
        var h = Harness.closing()
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 2), at: 1)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 2), at: 3)
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 2), at: 3.1)
        #expect(h.state == .timeWait)
    }

    @Test("text is ignored; RST at RCV.NXT closes")
    func textAndRST() {
        var h = Harness.closing()
        h.send(Seg([.psh, .ack], seq: h.irs + 2, ack: h.iss + 1, payload: bytes("x")), at: 0.1)
        h.expectNothingSent()
        #expect(h.drops(.textAfterFIN) == 1)
        h.send(Seg(.rst, seq: h.irs + 2), at: 0.2)
        #expect(h.state == .closed)
    }
}

// LAST-ACK (RFC 9293 §3.10.7.4): "The only thing that can arrive in this state is an
// acknowledgment of our FIN. If our FIN is now acknowledged, delete the TCB, enter the CLOSED state".
@Suite("LAST-ACK")
struct LastAckTests {
    @Test("the ACK of our FIN: CLOSED, closed event")
    func finAcked() {
        var h = Harness.lastAck()
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 2), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.closed(h.conn)])
        #expect(h.stack.connectionCount == 0)
        #expect(h.stack.nextDeadline == nil)
        #expect(h.stateChanges().suffix(2) == ["CLOSE-WAIT -> LAST-ACK", "LAST-ACK -> CLOSED"])
    }

    @Test("an ACK short of our FIN changes nothing")
    func finNotAcked() {
        var h = Harness.lastAck()
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 1), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .lastAck)
    }

    @Test("the peer's FIN again (it did not get our ACK): ACK again")
    func retransmittedFIN() {
        var h = Harness.lastAck()
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 0.5)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.state == .lastAck)
    }

    @Test("our FIN is retransmitted at 1 s and 3 s after it was sent")
    func finRetransmitted() {
        var h = Harness.lastAck()
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 2), at: 1)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 2), at: 3)
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 2), at: 3.2)
        #expect(h.state == .closed)
    }

    @Test("RST at RCV.NXT: CLOSED")
    func rst() {
        var h = Harness.lastAck()
        h.send(Seg(.rst, seq: h.irs + 2), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.stack.connectionCount == 0)
    }
}
