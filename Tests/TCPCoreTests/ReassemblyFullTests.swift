// Found by the simulator's sweep (`tcpkit simulate --seed 1048 --faults random`): after a
// partition, eight separate out-of-order ranges filled every reassembly slot; the in-order segment
// that arrived next did not touch the first range, found no slot, and was thrown away without a
// drop being counted. RCV.NXT never moved again: each retransmission of it met the same fate until
// the sender timed out.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Reassembly with every slot taken")
struct ReassemblyFullTests {
    @Test("in-order data is taken even when all reassembly ranges are in use")
    func inOrderWithFullAssembler() {
        var h = Harness.established()
        // Eight islands past a gap: offsets 100, 200, ..., 800 (10 bytes each).
        for k in 1...Assembler.capacity {
            h.send(Seg([.ack], seq: h.irs + 1 + 100 * k, ack: h.iss + 1, payload: [UInt8](repeating: UInt8(k), count: 10)), at: 0.1)
            h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        }
        // A ninth island finds no slot: dropped, and counted.
        h.send(Seg([.ack], seq: h.irs + 1 + 900, ack: h.iss + 1, payload: [UInt8](repeating: 9, count: 10)), at: 0.2)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.drops(.outOfOrder) == 1)
        // The front, not touching the first island: it must be accepted (RCV.NXT moves to 50).
        h.send(Seg([.ack], seq: h.irs + 1, ack: h.iss + 1, payload: [UInt8](repeating: 0, count: 50)), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 51, window: window(unread: 50)))
        #expect(h.read() == [UInt8](repeating: 0, count: 50))
        // Filling up to the first island joins it: 110 bytes in order.
        h.send(Seg([.ack], seq: h.irs + 51, ack: h.iss + 1, payload: [UInt8](repeating: 0, count: 50)), at: 0.4)
        #expect(h.takeSent().map(\.ack) == [h.irs + 111])
        #expect(h.read() == [UInt8](repeating: 0, count: 50) + [UInt8](repeating: 1, count: 10))
    }
}
