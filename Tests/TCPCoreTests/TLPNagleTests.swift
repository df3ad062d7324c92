// A tail loss probe that is due while Nagle's algorithm holds a short segment back. Found over the
// TUN device (an echo server writing back what it read in pieces): the probe was left to the data
// path, which Nagle (Minshall) kept from sending, so the probe stayed pending and pollTransmit
// spun for ever.

import Testing
import TCPWire
@testable import TCPCore

@Suite("TLP and Nagle (RFC 8985 §7.3, RFC 9293 §3.7.4)")
struct TLPNagleTests {
    typealias R = SACKRecoveryTests

    @Test("a probe due while Nagle holds a short segment sends that segment, once, before the RTO")
    func probeSendsTheHeldShortSegment() {
        var h = Harness.establishedSACK()
        let first = Array(repeating: UInt8(1), count: 100), second = Array(repeating: UInt8(2), count: 100)
        h.write(first, at: 0.2)
        #expect(h.takeSent().map(\.payload) == [first])
        // An earlier short segment is unacknowledged: Minshall's Nagle holds the second one.
        h.write(second, at: 0.21)
        h.expectNothingSent()
        // No ACK comes. The probe (PTO = 2·SRTT + 200 ms with one segment out) carries the held data.
        guard let probe = h.nextSent(until: 1.1) else { Issue.record("no probe before the RTO"); return }
        #expect(probe.seg.seq == R.seq(h, 0) + 100)
        #expect(probe.seg.payload == second)
        #expect(h.stack.statistics.lossProbes == 1)
        #expect(h.stack.statistics.retransmissions == 0)
        #expect(h.takeSent().isEmpty)
    }
}
