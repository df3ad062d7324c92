// TIME-WAIT (RFC 9293 §3.10.7.4, §3.4.2): the side that closed first waits 2×MSL, acknowledging a
// retransmitted FIN and restarting the wait; RFC 1337 ignores RST here; RFC 6191 / RFC 1122
// §4.2.2.13 let a SYN with a higher sequence number open a new incarnation.

import Testing
import TCPWire
import TCPCore

@Suite("TIME-WAIT")
struct TimeWaitTests {
    static let msl5 = Harness.configuration { $0.msl = .seconds(5) }

    @Test("lasts exactly 2×MSL from entry")
    func duration() {
        var h = Harness.timeWait(Self.msl5)   // entered at 0 s
        #expect(h.info.timers.timeWait == seconds(10))
        #expect(h.stack.nextDeadline == seconds(10))
        h.stack.handleTimeout(now: seconds(10) + .nanoseconds(-1))
        #expect(h.state == .timeWait)
        h.stack.handleTimeout(now: seconds(10))
        #expect(h.state == .closed)
        #expect(h.pollEvents() == [.closed(h.conn)])
        #expect(h.stack.connectionCount == 0)
        #expect(h.stack.nextDeadline == nil)
        h.expectNothingSent()
    }

    @Test("the default is 2 × 30 s (Linux's 60 s TIME-WAIT)")
    func defaultDuration() {
        var h = Harness.timeWait()
        h.advance(to: 59.999)
        #expect(h.state == .timeWait)
        h.advance(to: 60)
        #expect(h.state == .closed)
    }

    @Test("a retransmitted FIN is acknowledged and restarts the 2×MSL wait")
    func retransmittedFIN() {
        var h = Harness.timeWait(Self.msl5)
        h.send(Seg([.fin, .ack], seq: h.irs + 1, ack: h.iss + 2), at: 4)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.stack.nextDeadline == seconds(14))
        h.advance(to: 13.999)
        #expect(h.state == .timeWait)
        h.advance(to: 14)
        #expect(h.state == .closed)
    }

    /// Offsets from the peer's ISN; RCV.NXT is irs+2: before the window, at RCV.NXT, inside it.
    @Test("RST is ignored (RFC 1337: TIME-WAIT assassination)", arguments: [1, 2, 100])
    func rstIgnored(_ offset: Int) {
        var h = Harness.timeWait(Self.msl5)
        h.send(Seg(.rst, seq: h.irs + offset), at: 1)
        h.send(Seg([.rst, .ack], seq: h.irs + offset, ack: h.iss + 2), at: 1)
        h.expectNothingSent()
        #expect(h.state == .timeWait)
        #expect(h.drops(offset == 1 ? .rstOutOfWindow : .rstInTimeWait) == 2)
        #expect(h.stack.nextDeadline == seconds(10))
    }

    @Test("without RFC 1337, RST at RCV.NXT ends TIME-WAIT")
    func rstWithoutRFC1337() {
        var h = Harness.timeWait(Harness.configuration { $0.ignoreRSTInTimeWait = false })
        h.send(Seg(.rst, seq: h.irs + 2), at: 1)
        #expect(h.state == .closed)
    }

    @Test("an ACK or text in TIME-WAIT changes nothing")
    func ackAndText() {
        var h = Harness.timeWait(Self.msl5)
        h.send(Seg(.ack, seq: h.irs + 2, ack: h.iss + 2), at: 1)
        h.send(Seg([.psh, .ack], seq: h.irs + 2, ack: h.iss + 2, payload: bytes("x")), at: 1)
        h.expectNothingSent()
        #expect(h.state == .timeWait)
        #expect(h.stack.nextDeadline == seconds(10))
    }

    @Test("a SYN with a higher sequence number and a listener: a new incarnation with a higher ISN (RFC 6191)")
    func newIncarnation() {
        var h = Harness.timeWait(Self.msl5)
        let old = h.conn!
        let newISN: SequenceNumber = h.irs + 100_000
        h.send(Seg(.syn, seq: newISN, mss: 1460), at: 2)
        let synAck = h.takeSent()
        #expect(synAck.count == 1)
        #expect(synAck.first?.flags == [.syn, .ack])
        #expect(synAck.first?.ack == newISN + 1)
        // "assign its initial sequence number for the new connection to be larger than the
        // largest sequence number it used on the previous connection incarnation"
        #expect(synAck[0].seq > h.iss + 2)
        #expect(h.stack.state(of: old) == .closed)
        h.conn = h.lastHalfOpen
        #expect(h.conn != old)
        #expect(h.state == .synReceived)
        h.send(Seg(.ack, seq: newISN + 1, ack: synAck[0].seq + 1), at: 2.1)
        #expect(h.state == .established)
        #expect(try! h.stack.accept(h.listener!) == h.conn)
    }

    @Test("a SYN at or below RCV.NXT is not a new incarnation: an ACK, TIME-WAIT goes on", arguments: [0, -1, -100])
    func oldSYN(_ offset: Int) {
        var h = Harness.timeWait(Self.msl5)
        h.send(Seg(.syn, seq: h.irs + 2 + offset), at: 2)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.state == .timeWait)
        #expect(h.stack.nextDeadline == seconds(10))
    }

    @Test("without a listener, a SYN does not end TIME-WAIT")
    func noListener() throws {
        var h = Harness.timeWait(Self.msl5)
        try h.stack.closeListener(h.listener!, now: seconds(1))
        h.send(Seg(.syn, seq: h.irs + 100_000), at: 2)
        h.expectSent(Seg(.ack, seq: h.iss + 2, ack: h.irs + 2))
        #expect(h.state == .timeWait)
    }
}
