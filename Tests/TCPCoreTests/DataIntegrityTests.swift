// Nothing may be lost or duplicated: two stacks move a megabyte each way over a link that loses
// about one packet in ten (seeded, so every run is the same), and every byte must arrive exactly
// once and in order; afterwards both ends must be CLOSED. The receiver keeps out-of-order data for
// reassembly; the sender repairs losses by the retransmission timer (go-back to SND.UNA), so
// overlapping retransmissions must be trimmed on the way in.

import Testing
import TCPWire
import TCPCore

@Suite("Data integrity")
struct DataIntegrityTests {
    /// Connects A to B over a link losing `loss` of the packets and moves `count` bytes each way.
    /// Nil if the handshake itself did not get through (it gives up after synRetries).
    static func run(bytes count: Int, loss: Double, seed: UInt64) -> (Link, Transfer)? {
        var link = Link(configuration: Harness.configuration { $0.trace = false }, delay: .milliseconds(20), seed: seed)
        link.lossRate = loss
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let a = try! link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 80), now: now) }
        var b: ConnectionID?
        while b == nil, link.step(until: .seconds(200)) { b = try! link.b.accept(l) }
        guard let b else { return nil }
        var rng = SplitMix64(seed: seed &* 31)
        var transfer = Transfer(a: a, b: b, aToB: rng.bytes(count), bToA: rng.bytes(count))
        transfer.run(&link, until: 100_000)
        return (link, transfer)
    }

    @Test("1 MB each way with 10% loss: byte-exact, both CLOSED")
    func megabyteWithLoss() {
        guard let (link, t) = Self.run(bytes: 1 << 20, loss: 0.1, seed: 2024) else {
            Issue.record("the handshake did not get through")
            return
        }
        #expect(t.receivedByB.count == t.aToB.count)
        #expect(t.receivedByB == t.aToB)
        #expect(t.receivedByA == t.bToA)
        #expect(t.endOfStreamAtA && t.endOfStreamAtB)
        #expect(link.a.state(of: t.a) == .closed && link.b.state(of: t.b) == .closed)
        #expect(link.a.connectionCount == 0 && link.b.connectionCount == 0)
        #expect(link.wire.contains { $0.dropped })
        #expect(link.a.statistics.retransmissions > 0 && link.b.statistics.retransmissions > 0)
        #expect(link.a.statistics.outOfOrderSegments > 0)
    }

    @Test("smaller transfers under other seeds and loss rates", arguments: [(UInt64(1), 0.05), (2, 0.2), (3, 0.3)])
    func otherSeeds(_ seed: UInt64, _ loss: Double) {
        guard let (link, t) = Self.run(bytes: 64 * 1024, loss: loss, seed: seed) else {
            Issue.record("the handshake did not get through")
            return
        }
        #expect(t.receivedByB == t.aToB)
        #expect(t.receivedByA == t.bToA)
        #expect(link.a.state(of: t.a) == .closed && link.b.state(of: t.b) == .closed)
    }
}
