// Maximum segment size (RFC 9293 §3.7.1, RFC 6691, RFC 879): we announce MTU - 40 (IPv4) or
// MTU - 60 (IPv6); we send segments of at most min(the peer's MSS option, ours); without the option
// the peer's MSS is 536 (IPv4) / 1220 (IPv6).

import Testing
import TCPWire
import TCPCore

@Suite("MSS")
struct MSSTests {
    @Test("our SYN announces MTU - 40 over IPv4 and MTU - 60 over IPv6", arguments: [
        (1500, false, 1460), (1500, true, 1440), (9000, false, 8960), (1280, true, 1220),
    ])
    func announced(_ mtu: Int, _ ipv6: Bool, _ mss: Int) {
        var h = Harness(configuration: Harness.configuration { $0.mtu = mtu }, ipv6: ipv6)
        h.conn = try! h.stack.connect(to: h.peer, localPort: ourPort, now: .zero)
        #expect(h.takeSent().first?.mss == UInt16(mss))
    }

    @Test("the SYN-ACK announces our MSS too; configuration.mss overrides")
    func synAckAndOverride() {
        var h = Harness.listen(Harness.configuration { $0.mss = 1000 })
        h.send(Seg(.syn, seq: h.irs, mss: 1460), at: 0)
        #expect(h.takeSent().first?.mss == 1000)
        #expect(Harness.synReceived(ipv6: true).info.sendMSS == 1440)
    }

    /// ESTABLISHED passively with a peer that announced `peerMSS` (nil: no option).
    static func established(peerMSS: UInt16?, _ configuration: TCPConfiguration = Harness.configuration(), ipv6: Bool = false) -> Harness {
        var h = Harness.listen(configuration, ipv6: ipv6)
        h.send(Seg(.syn, seq: h.irs, mss: peerMSS), at: 0)
        h.iss = h.takeSent()[0].seq
        h.send(Seg(.ack, seq: h.irs + 1, ack: h.iss + 1), at: 0)
        h.conn = try! h.stack.accept(h.listener!)
        return h
    }

    @Test("data segments never exceed min(peer's MSS, ours)", arguments: [
        (UInt16(500), false, 500), (1460, false, 1460), (9000, false, 1460), (9000, true, 1440), (100, false, 100),
    ])
    func segmentSizes(_ peerMSS: UInt16, _ ipv6: Bool, _ expected: Int) {
        // RFC 9293's rule alone: the peer-MSS floor (CVE-2019-11479, 536 by default) set below
        // these options; SACKPanicTests checks the default floor.
        var h = Self.established(peerMSS: peerMSS, Harness.configuration { $0.minimumPeerMSS = 64 }, ipv6: ipv6)
        #expect(h.info.sendMSS == expected)
        let data = (0..<5000).map { UInt8(truncatingIfNeeded: $0) }
        h.write(data, at: 0.1)
        var received: [UInt8] = []
        // Acknowledge as it goes so the congestion window never limits the test.
        while let s = h.nextSent(until: 0.1) {
            #expect(s.seg.payload.count <= expected)
            received += s.seg.payload
            h.send(Seg(.ack, seq: h.irs + 1, ack: s.seg.seq + s.seg.payload.count), at: 0.1)
        }
        #expect(received == data)
        // Every segment but the last was full-sized.
        let sizes = Set(h.log.compactMap { r -> Int? in
            if case .send(let s) = r.kind, s.payloadLength > 0 { s.payloadLength } else { nil }
        })
        #expect(sizes.max() == expected)
    }

    @Test("no MSS option: 536 over IPv4, 1220 over IPv6", arguments: [(false, 536), (true, 1220)])
    func defaultMSS(_ ipv6: Bool, _ expected: Int) {
        var h = Self.established(peerMSS: nil, ipv6: ipv6)
        #expect(h.info.sendMSS == expected)
        h.write([UInt8](repeating: 9, count: 2000), at: 0.1)
        let sent = h.takeSent()
        let sizes = stride(from: 0, to: 2000, by: expected).map { min(expected, 2000 - $0) }
        #expect(sent.map(\.payload.count) == sizes)   // 536+536+536+392, or 1220+780
    }

    @Test("no MSS option on the SYN-ACK (active side): 536")
    func defaultMSSActive() {
        var h = Harness.synSent()
        h.send(Seg([.syn, .ack], seq: h.irs, ack: h.iss + 1), at: 0.1)
        #expect(h.info.sendMSS == 536)
    }
}
