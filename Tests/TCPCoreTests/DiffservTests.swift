// Diffserv (RFC 9293 §3.9.1.1 MUST-48, SHLD-21, SHLD-22; RFC 2474, RFC 3168): the application's
// DSCP (`ConnectionOptions.dscp`) goes unchanged into the upper 6 bits of every segment's IPv4 TOS
// or IPv6 traffic class, SYN, SYN-ACK, data, ACKs and RSTs alike; it can change during the
// connection; a listener's goes to the connections it makes; the ECN bits stay 0.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Diffserv codepoint on every segment")
struct DiffservTests {
    /// The TOS / traffic class byte of every packet the stack sends now.
    static func trafficClasses(_ h: inout Harness) -> [(TCPFlags, UInt8)] {
        var out: [(TCPFlags, UInt8)] = []
        var buffer = [UInt8](repeating: 0, count: 70_000)
        while let n = buffer.withUnsafeMutableBytes({ h.stack.pollTransmit(now: h.now, into: $0) }) {
            let tc = buffer[0] >> 4 == 4 ? buffer[1] : (buffer[0] & 0x0f) << 4 | buffer[1] >> 4
            let v = try! buffer.withUnsafeBytes { try TCPPacket.parse(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            out.append((v.header.flags, tc))
        }
        h.drain()
        return out
    }

    /// The peer's segment handed to the stack without draining what it answers (`Harness.send` would).
    static func deliver(_ h: inout Harness, _ seg: Seg, at t: Double) {
        h.advance(to: t)
        h.stack.handle(ipPacket: seg.packet(from: h.peer, to: h.ours), now: h.now)
    }

    @Test("an active open's SYN and every later segment carry the DSCP, which can change mid-connection", arguments: [false, true])
    func activeOpen(ipv6: Bool) throws {
        var config = Harness.configuration()
        config.connectionOptions.dscp = 10   // AF11
        var h = Harness(configuration: config, ipv6: ipv6)
        h.conn = try h.stack.connect(to: h.peer, localPort: ourPort, now: h.now)
        let syn = Self.trafficClasses(&h)
        #expect(syn.count == 1 && syn[0].0 == [.syn] && syn[0].1 == 10 << 2)
        #expect(h.stack.options(of: h.conn)?.dscp == 10)
        // The peer's SYN-ACK; our ACK.
        let synSeq = h.info.iss
        h.iss = synSeq
        Self.deliver(&h, Seg([.syn, .ack], seq: h.irs, ack: synSeq + 1, mss: 1460), at: 0.1)
        #expect(Self.trafficClasses(&h).map(\.1) == [10 << 2])
        // SHLD-21: a new DSCP applies to the next segment.
        var o = try #require(h.stack.options(of: h.conn))
        o.dscp = 46
        try h.stack.setOptions(h.conn, o, now: h.now)
        _ = try h.stack.send(h.conn, [1, 2, 3], now: h.now)
        let data = Self.trafficClasses(&h)
        #expect(data.count == 1 && data[0].1 == 46 << 2)
        // The ECN bits are never the application's: a value above 63 keeps its low 6 bits.
        o.dscp = 0xff
        try h.stack.setOptions(h.conn, o, now: h.now)
        #expect(h.stack.options(of: h.conn)?.dscp == 0x3f)
        try h.stack.abort(h.conn, now: h.now)
        let rst = Self.trafficClasses(&h)
        #expect(rst.count == 1 && rst[0].0.contains(.rst) && rst[0].1 == 0xfc)
    }

    @Test("a listener's DSCP goes on its SYN-ACK, with or without a SYN cookie, and on the accepted connection's segments")
    func listener() throws {
        for cookies in [SYNCookieMode.never, .always] {
            var h = Harness.listen(Harness.configuration { $0.synCookies = cookies })
            var o = ConnectionOptions()
            o.dscp = 18
            try h.stack.setOptions(h.listener!, o)
            Self.deliver(&h, Seg(.syn, seq: h.irs, mss: 1460), at: 0)
            var buffer = [UInt8](repeating: 0, count: 2000)
            let n = try #require(buffer.withUnsafeMutableBytes { h.stack.pollTransmit(now: h.now, into: $0) })
            let synAck = try buffer.withUnsafeBytes { try TCPPacket.parse(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            #expect(synAck.header.flags == [.syn, .ack])
            #expect(buffer[1] == 18 << 2, "SYN cookies: \(cookies)")
            h.send(Seg(.ack, seq: h.irs + 1, ack: synAck.header.sequenceNumber + 1), at: 0.1)
            let c = try #require(try h.stack.accept(h.listener!))
            #expect(h.stack.options(of: c)?.dscp == 18)
            _ = try h.stack.send(c, [1], now: h.now)
            #expect(Self.trafficClasses(&h).map(\.1) == [18 << 2])
        }
    }

    @Test("without a DSCP the TOS byte is 0")
    func defaultZero() throws {
        var h = Harness.listen()
        Self.deliver(&h, Seg(.syn, seq: h.irs, mss: 1460), at: 0)
        #expect(Self.trafficClasses(&h).map(\.1) == [0])
    }
}
