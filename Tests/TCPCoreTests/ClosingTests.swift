// CLOSING (RFC 9293 §3.10.7.4): both FINs crossed; when ours is acknowledged, TIME-WAIT.

import Testing
import TCPWire
import TCPCore

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
