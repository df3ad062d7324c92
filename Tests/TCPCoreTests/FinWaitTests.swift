// FIN-WAIT-1 and FIN-WAIT-2 (RFC 9293 §3.10.7.4): we have sent our FIN.
//   FIN-WAIT-1: when our FIN is acknowledged, FIN-WAIT-2; the peer's FIN: CLOSING, or TIME-WAIT
//               if the same segment acknowledges our FIN.
//   FIN-WAIT-2: the peer's FIN: TIME-WAIT. Data keeps arriving in both (a half-close).
// After close() (not shutdown()), FIN-WAIT-2 is bounded by finWait2Timeout (Linux tcp_fin_timeout),
// and new data is answered with RST (RFC 1122 §4.2.2.13: nobody will read it).

import Testing
import TCPWire
import TCPCore

@Suite("FIN-WAIT-1 and FIN-WAIT-2")
struct FinWaitTests {
    // MARK: FIN-WAIT-1

    @Test("FIN-WAIT-1: the ACK of our FIN takes us to FIN-WAIT-2 and stops the timer")
    func finAcked() {
        var h = Harness.finWait1()
        #expect(h.info.timers.retransmit == seconds(1))
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 2), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .finWait2)
        #expect(h.info.timers.retransmit == nil)
        #expect(h.stateChanges().suffix(2) == ["ESTABLISHED -> FIN-WAIT-1", "FIN-WAIT-1 -> FIN-WAIT-2"])
    }

    @Test("FIN-WAIT-1: an ACK short of our FIN leaves us in FIN-WAIT-1")
    func finNotAcked() {
        var h = Harness.finWait1()
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .finWait1)
    }

    @Test("FIN-WAIT-1: the peer's FIN without the ACK of ours: CLOSING")
    func simultaneousClose() {
        var h = Harness.finWait1()
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 1), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.state == .closing)
        #expect(h.pollEvents() == [.peerClosed(h.conn)])
    }

    @Test("FIN-WAIT-1: FIN with the ACK of ours (three-segment close): TIME-WAIT")
    func finAndAck() {
        var h = Harness.finWait1()
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 2), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.state == .timeWait)
        #expect(h.stateChanges().suffix(2) == ["FIN-WAIT-1 -> FIN-WAIT-2", "FIN-WAIT-2 -> TIME-WAIT"])
    }

    @Test("FIN-WAIT-1 after shutdown: data still arrives (half-close)")
    func dataInFinWait1() {
        var h = Harness.finWait1()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("still here")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 11, window: window(unread: 10)))
        #expect(h.read() == bytes("still here"))
        #expect(h.state == .finWait1)
    }

    @Test("FIN-WAIT-1 after close: new data is answered with RST")
    func dataAfterClose() {
        var h = Harness.finWait1(close: true)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("nobody reads")), at: 0.1)
        h.expectSent(Seg([.rst, .ack], seq: h.iss + 2, ack: h.irs + 1, window: 0))
        #expect(h.drops(.dataAfterClose) == 1)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("RST at RCV.NXT in FIN-WAIT-1 and FIN-WAIT-2: CLOSED", arguments: [TCPState.finWait1, .finWait2])
    func rst(_ state: TCPState) {
        var h = Harness.fixture(state)
        h.send(Seg(.rst, seq: h.irs + 1), at: 0.1)
        h.expectNothingSent()
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.reset(h.conn, .peerReset)])
    }

    // MARK: FIN-WAIT-2

    @Test("FIN-WAIT-2: the peer's FIN: ACK and TIME-WAIT")
    func finInFinWait2() {
        var h = Harness.finWait2()
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 2), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.state == .timeWait)
        #expect(h.info.timers.timeWait == seconds(1 + 60))   // 2×MSL, MSL = 30 s by default
    }

    @Test("FIN-WAIT-2 after shutdown: the peer may send for as long as it likes, then close")
    func halfCloseHasNoTimeout() {
        var h = Harness.finWait2()
        #expect(h.info.timers.finWait2 == nil)
        #expect(h.stack.nextDeadline == nil)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 2, payload: bytes("late")), at: 1000)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 5, window: window(unread: 4)))
        #expect(h.state == .finWait2)
        #expect(h.read() == bytes("late"))
        h.send(Seg([.fin, .ack], seq: h.irs + 5, ack: h.iss + 2), at: 2000)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 6, window: window(unread: 4)))   // SWS: a 4-byte read moves no edge
        #expect(h.state == .timeWait)
        #expect(h.read() == nil)
    }

    @Test("FIN-WAIT-2 after close: gone after finWait2Timeout, not a moment earlier")
    func orphanTimeout() {
        var h = Harness.finWait2(Harness.configuration { $0.finWait2Timeout = .seconds(10) }, close: true)
        #expect(h.stack.nextDeadline == seconds(10))
        h.advance(to: seconds(10) + .nanoseconds(-1))
        #expect(h.stack.connectionCount == 1)
        h.advance(to: 10)
        #expect(h.stack.connectionCount == 0)
        h.expectNothingSent()
        // The peer's late FIN finds no connection.
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 2), at: 11)
        h.expectSent(Seg(.rst, seq: h.iss + 2, window: 0))
    }

    @Test("close() after shutdown() in FIN-WAIT-2 starts the timeout then")
    func closeLaterStartsTimeout() {
        var h = Harness.finWait2(Harness.configuration { $0.finWait2Timeout = .seconds(10) })
        h.close(at: 5)
        #expect(h.stack.nextDeadline == seconds(15))
        h.advance(to: 15)
        #expect(h.stack.connectionCount == 0)
    }

    @Test("FIN-WAIT-2 after close: the peer's retransmitted data and FIN (nothing new but the FIN) is no reason for RST")
    func oldDataWithFINAfterClose() {
        var h = Harness.established()
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("abc")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 4, window: window(unread: 3)))
        #expect(h.read() == bytes("abc"))
        h.close(at: 0.2)
        // Reading 3 bytes does not move the right edge (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 1, ack: h.irs + 4, window: window(unread: 3)))
        h.send(Seg(.ack, seq: h.irs + 4, ack: h.iss + 2), at: 0.3)   // (the peer has not seen our ACK of "abc")
        #expect(h.state == .finWait2)
        // The peer retransmits "abc" together with its FIN: only the FIN is new.
        h.send(Seg([.fin, .psh, .ack], seq: h.irs + 1, ack: h.iss + 2, payload: bytes("abc")), at: 0.4)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 5, window: window(unread: 3)))
        #expect(h.state == .timeWait)
        #expect(h.drops(.dataAfterClose) == 0)
    }
}
