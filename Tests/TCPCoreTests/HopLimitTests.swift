// RFC 9293 §3.9.1.1 / RFC 1122 §4.2.4.4 (MUST-49): the TTL (IPv4) / hop limit (IPv6) of the
// segments TCP sends is configurable; `TCPConfiguration.hopLimit` sets it for every segment the
// stack sends — here a SYN-ACK, an active open's SYN and the RST answering a closed port.

import Testing
import TCPWire
import TCPCore

@Suite("TTL and hop limit (MUST-49)")
struct HopLimitTests {
    /// The TTL / hop limit byte of each packet the stack sent.
    private static func hopLimits(_ h: inout Harness, ipv6: Bool) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 70_000)
        var out: [UInt8] = []
        while let n = buffer.withUnsafeMutableBytes({ h.stack.pollTransmit(now: h.now, into: $0) }) {
            precondition(n >= 40)
            out.append(ipv6 ? buffer[7] : buffer[8])
        }
        return out
    }

    @Test("every segment carries the configured TTL / hop limit, and the default is 64", arguments: [false, true])
    func configured(ipv6: Bool) throws {
        for limit: UInt8? in [nil, 1, 7, 255] {
            var h = Harness(configuration: Harness.configuration { c in if let limit { c.hopLimit = limit } }, ipv6: ipv6)
            let expected = limit ?? 64
            // A SYN-ACK.
            h.listener = try h.stack.listen(port: ourPort)
            h.stack.handle(ipPacket: Seg(.syn, seq: h.irs, mss: 1000).packet(from: h.peer, to: h.ours), now: h.now)
            #expect(Self.hopLimits(&h, ipv6: ipv6) == [expected], "SYN-ACK, limit \(String(describing: limit))")
            // A RST for a closed port.
            h.stack.handle(ipPacket: Seg(.syn, seq: h.irs, mss: 1000).packet(from: h.peer, to: SocketAddress(h.ours.address, 9)), now: h.now)
            #expect(Self.hopLimits(&h, ipv6: ipv6) == [expected], "RST, limit \(String(describing: limit))")
            // An active open's SYN.
            _ = try h.stack.connect(to: SocketAddress(h.peer.address, 443), now: h.now)
            #expect(Self.hopLimits(&h, ipv6: ipv6) == [expected], "SYN, limit \(String(describing: limit))")
        }
    }
}
