// ICMP and ICMPv6 error messages that quote a TCP segment (RFC 792, RFC 1191 §4, RFC 4443 §3):
// the fields `ICMPMessage.parse` reads, and a typed error for every malformed input.

import Testing
import TCPWire

@Suite("ICMP messages")
struct ICMPMessageTests {
    static let us = IPAddress.v4(IPv4Address(198, 18, 0, 1))
    static let peer = IPAddress.v4(IPv4Address(198, 18, 1, 2))
    static let router = IPAddress.v4(IPv4Address(198, 18, 0, 254))
    static let us6 = IPAddress("2001:db8::1")!
    static let peer6 = IPAddress("2001:db8:1::2")!
    static let router6 = IPAddress("2001:db8::fe")!

    static func segment(_ from: IPAddress, _ to: IPAddress, seq: UInt32, payload: Int = 0) -> [UInt8] {
        let h = TCPHeader(sourcePort: 40000, destinationPort: 443, sequenceNumber: SequenceNumber(seq),
                          acknowledgmentNumber: SequenceNumber(7), flags: [.ack], window: 1000)
        return try! TCPPacket.build(source: from, destination: to, header: h, payload: [UInt8](repeating: 1, count: payload))
    }

    static func parse(_ p: [UInt8]) throws(WireError) -> ICMPMessage {
        let r: Result<ICMPMessage, WireError> = p.withUnsafeBytes { b in Result { () throws(WireError) in try ICMPMessage.parse(b) } }
        return try r.get()
    }

    @Test("IPv4 Fragmentation Needed: next-hop MTU, quoted addresses, ports and sequence number")
    func fragmentationNeeded() throws {
        let q = Self.segment(Self.us, Self.peer, seq: 0xdead_beef, payload: 1460)
        let m = try Self.parse(ICMPMessage.build(type: 3, code: 4, rest: 1280, from: Self.router, quoting: q))
        #expect(m.kind == .packetTooBig(mtu: 1280))
        #expect(m.source == Self.router && m.destination == Self.us)
        #expect(m.quotedSource == SocketAddress(Self.us, 40000))
        #expect(m.quotedDestination == SocketAddress(Self.peer, 443))
        #expect(m.quotedSequence == SequenceNumber(0xdead_beef))
        #expect(m.quotedLength == 1500)
        // RFC 1191 §5: a zero MTU field gives the plateau below the quoted length.
        let old = try Self.parse(ICMPMessage.build(type: 3, code: 4, rest: 0, from: Self.router, quoting: q))
        #expect(old.kind == .packetTooBig(mtu: 1492))
    }

    @Test("IPv4 kinds by type and code", arguments: [
        (UInt8(3), UInt8(3), ICMPMessage.Kind.destinationUnreachable(code: 3)), (3, 0, .destinationUnreachable(code: 0)),
        (4, 0, .sourceQuench), (5, 1, .redirect(code: 1)), (11, 0, .timeExceeded(code: 0)), (12, 0, .parameterProblem(code: 0)),
    ])
    func kinds(_ type: UInt8, _ code: UInt8, _ kind: ICMPMessage.Kind) throws {
        let q = Self.segment(Self.us, Self.peer, seq: 1)
        #expect(try Self.parse(ICMPMessage.build(type: type, code: code, from: Self.router, quoting: q)).kind == kind)
    }

    @Test("ICMPv6 Packet Too Big (32-bit MTU) and Destination Unreachable; the checksum covers the pseudo-header")
    func v6() throws {
        let q = Self.segment(Self.us6, Self.peer6, seq: 99, payload: 1400)
        let m = try Self.parse(ICMPMessage.build(type: 2, code: 0, rest: 1280, from: Self.router6, quoting: q))
        #expect(m.kind == .packetTooBig(mtu: 1280))
        #expect(m.quotedSource == SocketAddress(Self.us6, 40000) && m.quotedDestination == SocketAddress(Self.peer6, 443))
        #expect(m.quotedSequence == SequenceNumber(99))
        let du = try Self.parse(ICMPMessage.build(type: 1, code: 4, from: Self.router6, quoting: q))
        #expect(du.kind == .destinationUnreachable(code: 4))
        var bad = ICMPMessage.build(type: 1, code: 4, from: Self.router6, quoting: q)
        bad[8] ^= 1   // the source address: only the pseudo-header sees it
        #expect(throws: WireError.badICMPChecksum) { try Self.parse(bad) }
    }

    @Test("malformed input is a typed error, never a trap")
    func malformed() {
        let q = Self.segment(Self.us, Self.peer, seq: 1)
        #expect(throws: WireError.truncated(layer: .icmpQuote, needed: 28, available: 27)) {
            try Self.parse(ICMPMessage.build(type: 3, code: 3, from: Self.router, quoting: q, quoteLength: 27))
        }
        #expect(throws: WireError.notICMPError(type: 8)) { try Self.parse(ICMPMessage.build(type: 8, code: 0, from: Self.router, quoting: q)) }
        #expect(throws: WireError.notICMPError(type: 128)) {
            try Self.parse(ICMPMessage.build(type: 128, code: 0, from: Self.router6, quoting: Self.segment(Self.us6, Self.peer6, seq: 1)))
        }
        var notTCP = q
        notTCP[9] = 17
        #expect(throws: WireError.notTCP(17)) { try Self.parse(ICMPMessage.build(type: 3, code: 3, from: Self.router, quoting: notTCP)) }
        var bad = ICMPMessage.build(type: 3, code: 3, from: Self.router, quoting: q)
        bad[bad.count - 1] ^= 0x40
        #expect(throws: WireError.badICMPChecksum) { try Self.parse(bad) }
        #expect(throws: WireError.notICMP(6)) { try Self.parse(q) }
        // Every prefix of a valid message, and random bytes, parse or throw.
        let full = ICMPMessage.build(type: 3, code: 4, rest: 1280, from: Self.router, quoting: q)
        for n in 0..<full.count { _ = try? Self.parse(Array(full[0..<n])) }
        var rng = SplitMix64(seed: testSeed(16))
        for _ in 0..<2000 {
            var p = full
            p[Int(rng.next() % UInt64(p.count))] = UInt8(truncatingIfNeeded: rng.next())
            _ = p.withUnsafeBytes { try? ICMPMessage.parse($0, verifyChecksum: false) }
        }
    }
}
