// The engine over IPv6 (RFC 8200, RFC 9293 §3.7.1: MSS = MTU - 60): handshake, data and close,
// with the harness and with two stacks.

import Testing
import TCPWire
import TCPCore

@Suite("IPv6")
struct IPv6Tests {
    @Test("passive handshake, data both ways and the close, segment by segment")
    func harnessTrace() {
        var h = Harness.established(ipv6: true)
        #expect(h.ours.address.isIPv6 && h.peer.address.isIPv6)
        #expect(h.info.local == SocketAddress(ourIP6, ourPort))
        #expect(h.info.sendMSS == 1440)
        h.send(Seg([.psh, .ack], seq: h.irs + 1, ack: h.iss + 1, payload: bytes("ping")), at: 0.1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 5, window: window(unread: 4)))
        #expect(h.read() == bytes("ping"))
        // Reading 4 bytes leaves the right edge where it was (receiver SWS avoidance).
        h.write(bytes("pong"), at: 0.2)
        h.expectSent(Seg([.psh, .ack], seq: h.iss + 1, ack: h.irs + 5, window: window(unread: 4), payload: bytes("pong")))
        h.send(Seg([.fin, .ack], seq: h.irs + 5, ack: h.iss + 5), at: 0.3)
        h.expectSent(Seg(.ack, seq: h.iss + 5, ack: h.irs + 6, window: window(unread: 4)))
        h.shutdown(at: 0.4)
        h.expectSent(Seg([.fin, .ack], seq: h.iss + 5, ack: h.irs + 6, window: window(unread: 4)))
        h.send(Seg(.ack, seq: h.irs + 6, ack: h.iss + 6), at: 0.5)
        #expect(h.state == .closed)
        #expect(h.stateChanges() == ["LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED", "ESTABLISHED -> CLOSE-WAIT",
                                     "CLOSE-WAIT -> LAST-ACK", "LAST-ACK -> CLOSED"])
    }

    @Test("no connection over IPv6: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>")
    func closedPort() {
        var h = Harness(configuration: Harness.configuration(), ipv6: true)
        h.send(Seg(.syn, seq: 77), at: 0)
        h.expectSent(Seg([.rst, .ack], seq: 0, ack: 78, window: 0))
    }

    @Test("two stacks over IPv6: handshake, 100 kB each way, close, both CLOSED")
    func twoStacks() throws {
        var link = Link(configuration: Harness.configuration { $0.msl = .seconds(1) })
        let l = try link.onB { s, _ in try s.listen(port: 443, address: peerIP6) }
        let a = try link.onA { s, now in try s.connect(to: SocketAddress(peerIP6, 443), now: now) }
        link.run(until: 1)
        #expect(link.wire.count == 3)
        #expect(link.wire[0].seg.mss == 1440 && link.wire[1].seg.mss == 1440)
        let b = try #require(try link.onB { s, _ in try s.accept(l) })
        #expect(link.b.info(of: b)?.remote.address == ourIP6)

        var rng = SplitMix64(seed: 6)
        let up = rng.bytes(100_000), down = rng.bytes(100_000)
        var transfer = Transfer(a: a, b: b, aToB: up, bToA: down)
        transfer.run(&link, until: 100)
        #expect(transfer.receivedByB == up)
        #expect(transfer.receivedByA == down)
        #expect(link.wire.allSatisfy { $0.seg.payload.count <= 1440 })
        #expect(link.a.state(of: a) == .closed && link.b.state(of: b) == .closed)
        #expect(link.a.connectionCount == 0 && link.b.connectionCount == 0)
    }
}
