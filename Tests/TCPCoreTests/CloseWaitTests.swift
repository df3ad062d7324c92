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
