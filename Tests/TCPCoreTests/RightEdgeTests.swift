// A segment without text at the right edge of the receive window (SEG.SEQ = RCV.NXT + RCV.WND).
// Found against Linux over TUN: an echo server not reading, its window rounded up to the scale's
// unit, the kernel filled it with 8 bytes we could not keep; every ACK it sent afterwards carried
// SEQ = RCV.NXT + 8 and was refused, so our data crawled out one window probe at a time.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Receive window: the right edge")
struct RightEdgeTests {
    @Test("an ACK whose SEQ is RCV.NXT + RCV.WND is taken (as Linux), not answered as out of window")
    func ackAtTheRightEdgeIsTaken() {
        var h = Harness.established(Harness.configuration { $0.receiveBufferBytes = 100 })
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 7, count: 60)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 61, window: 40))
        h.write(bytes("ping"), at: 0.2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 61, window: 40, payload: bytes("ping")))
        // RCV.NXT = irs + 61, RCV.WND = 40: the right edge is irs + 101.
        h.send(Seg(.ack, seq: h.irs + 101, ack: h.iss + 5, window: 5000), at: 0.3)
        #expect(h.info.sndUna == h.iss + 5)
        #expect(h.info.sndWnd == 5000)
        #expect(h.drops(.unacceptableSequence) == 0)
        h.expectNothingSent()
    }

    @Test("one past the right edge is still out of window: a duplicate ACK, the ACK field ignored")
    func ackBeyondTheRightEdgeIsRefused() {
        var h = Harness.established(Harness.configuration { $0.receiveBufferBytes = 100 })
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 7, count: 60)), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 61, window: 40))
        h.write(bytes("ping"), at: 0.2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 61, window: 40, payload: bytes("ping")))
        h.send(Seg(.ack, seq: h.irs + 102, ack: h.iss + 5, window: 5000), at: 0.3)
        #expect(h.info.sndUna == h.iss + 1)
        #expect(h.drops(.unacceptableSequence) == 1)
        h.expectSent(Seg(.ack, seq: h.iss + 5, ack: h.irs + 61, window: 40))
    }
}
