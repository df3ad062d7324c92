// LAST-ACK (RFC 9293 §3.10.7.4): "The only thing that can arrive in this state is an
// acknowledgment of our FIN. If our FIN is now acknowledged, delete the TCB, enter the CLOSED state".

import Testing
import TCPWire
import TCPCore

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
