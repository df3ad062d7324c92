// Byte-exact packets as a Linux 6.x kernel sends them for a handshake: IPv4 with DF and TTL 64
// (Linux sends the SYN-ACK with IP ID 0 when DF is set, the SYN with the socket's random ID), the
// SYN's options in Linux's order (tcp_options_write: MSS, SACK-permitted packed with timestamps,
// NOP + window scale), window 64240 (44 * 1460) on the SYN and 65160 on the SYN-ACK.
//
// The checksums in these vectors were computed offline, independently of TCPKit, with this
// RFC 1071 sum in Python 3:
//
//     def csum(data):
//         if len(data) % 2: data += b"\0"
//         s = sum((data[i] << 8) | data[i + 1] for i in range(0, len(data), 2))
//         while s >> 16: s = (s & 0xffff) + (s >> 16)
//         return ~s & 0xffff
//
// over the IPv4 header (for the IP checksum) and over pseudo-header + TCP segment (RFC 9293 §3.1
// for IPv4: src, dst, 0, 6, TCP length; RFC 8200 §8.1 for IPv6: src, dst, 32-bit length, 0, 0, 0, 6).

import Testing
import TCPWire

@Suite("Known byte vectors: a Linux handshake")
struct KnownVectorTests {
    // 192.0.2.10:51234 -> 198.51.100.20:80, SYN, seq 0x8a3c5e21, IP ID 0x8f3c, IP checksum 0xbf2d,
    // TCP checksum 0x7994, options: mss 1460, sackOK, TS val 0x0a1b2c3d ecr 0, nop, wscale 7.
    static let syn = hex("""
        45 00 00 3c 8f 3c 40 00 40 06 bf 2d c0 00 02 0a
        c6 33 64 14 c8 22 00 50 8a 3c 5e 21 00 00 00 00
        a0 02 fa f0 79 94 00 00 02 04 05 b4 04 02 08 0a
        0a 1b 2c 3d 00 00 00 00 01 03 03 07
        """)

    // 198.51.100.20:80 -> 192.0.2.10:51234, SYN-ACK, seq 0x2f1d9b07, ack 0x8a3c5e22, IP ID 0,
    // IP checksum 0x4e6a, TCP checksum 0xf32b, options: mss 1460, sackOK, TS val 0x6e5f4a3b
    // ecr 0x0a1b2c3d, nop, wscale 7.
    static let synAck = hex("""
        45 00 00 3c 00 00 40 00 40 06 4e 6a c6 33 64 14
        c0 00 02 0a 00 50 c8 22 2f 1d 9b 07 8a 3c 5e 22
        a0 12 fe 88 f3 2b 00 00 02 04 05 b4 04 02 08 0a
        6e 5f 4a 3b 0a 1b 2c 3d 01 03 03 07
        """)

    // [2001:db8::10]:40112 -> [2001:db8:0:1::20]:443, SYN, flow label 0x9a3f1 (Linux sets one by
    // default), hop limit 64, seq 0xc0ffee01, window 64800 (45 * 1440), TCP checksum 0x5d7d,
    // options: mss 1440, sackOK, TS val 0x11223344 ecr 0, nop, wscale 7.
    static let synV6 = hex("""
        60 09 a3 f1 00 28 06 40 20 01 0d b8 00 00 00 00
        00 00 00 00 00 00 00 10 20 01 0d b8 00 00 00 01
        00 00 00 00 00 00 00 20 9c b0 01 bb c0 ff ee 01
        00 00 00 00 a0 02 fd 20 5d 7d 00 00 02 04 05 a0
        04 02 08 0a 11 22 33 44 00 00 00 00 01 03 03 07
        """)

    static let client = IPv4Address(192, 0, 2, 10)
    static let server = IPv4Address(198, 51, 100, 20)

    static var synHeader: TCPHeader {
        TCPHeader(sourcePort: 51234, destinationPort: 80, sequenceNumber: SequenceNumber(0x8A3C_5E21),
                  acknowledgmentNumber: SequenceNumber(0), flags: .syn, window: 64240,
                  options: TCPOptions(mss: 1460, windowScale: 7, sackPermitted: true,
                                      timestamp: TCPTimestamp(value: 0x0A1B_2C3D, echoReply: 0)))
    }

    static var synAckHeader: TCPHeader {
        TCPHeader(sourcePort: 80, destinationPort: 51234, sequenceNumber: SequenceNumber(0x2F1D_9B07),
                  acknowledgmentNumber: SequenceNumber(0x8A3C_5E21) + 1, flags: [.syn, .ack], window: 65160,
                  options: TCPOptions(mss: 1460, windowScale: 7, sackPermitted: true,
                                      timestamp: TCPTimestamp(value: 0x6E5F_4A3B, echoReply: 0x0A1B_2C3D)))
    }

    static var synV6Header: TCPHeader {
        TCPHeader(sourcePort: 40112, destinationPort: 443, sequenceNumber: SequenceNumber(0xC0FF_EE01),
                  acknowledgmentNumber: SequenceNumber(0), flags: .syn, window: 64800,
                  options: TCPOptions(mss: 1440, windowScale: 7, sackPermitted: true,
                                      timestamp: TCPTimestamp(value: 0x1122_3344, echoReply: 0)))
    }

    @Test("the vectors' checksums verify with the reference implementation")
    func vectorsAreSelfConsistent() {
        #expect(referenceChecksum(Array(Self.syn[0..<20])) == 0)
        #expect(referenceChecksum(Array(Self.synAck[0..<20])) == 0)
    }

    @Test("Linux SYN over IPv4: every field")
    func parseSyn() throws {
        let ip = try parseIPv4(Self.syn)
        #expect(ip.headerLength == 20)
        #expect(ip.totalLength == 60)
        #expect(ip.identification == 0x8F3C)
        #expect(ip.dontFragment)
        #expect(ip.timeToLive == 64)
        #expect(ip.protocolNumber == 6)
        #expect(ip.checksum == 0xBF2D)
        #expect(ip.source == Self.client)
        #expect(ip.destination == Self.server)

        let s = try parsePacket(Self.syn)   // verifies the TCP checksum
        #expect(s.source == .v4(Self.client))
        #expect(s.destination == .v4(Self.server))
        #expect(s.source.description == "192.0.2.10")
        #expect(s.hopLimit == 64)
        let h = s.header
        #expect(h.sourcePort == 51234)
        #expect(h.destinationPort == 80)
        #expect(h.sequenceNumber == SequenceNumber(0x8A3C_5E21))
        #expect(h.acknowledgmentNumber == SequenceNumber(0))
        #expect(h.flags == .syn)
        #expect(h.dataOffset == 10)
        #expect(h.window == 64240)
        #expect(h.checksum == 0x7994)
        #expect(h.urgentPointer == 0)
        #expect(h.options.mss == 1460)
        #expect(h.options.sackPermitted)
        #expect(h.options.timestamp == TCPTimestamp(value: 0x0A1B_2C3D, echoReply: 0))
        #expect(h.options.windowScale == 7)
        #expect(h.options.sackBlocks.isEmpty)
        #expect(h.options.unknownCount == 0)
        #expect(s.payload.isEmpty)
        #expect(s.sourceSocket.description == "192.0.2.10:51234")
        #expect(s.destinationSocket.description == "198.51.100.20:80")
    }

    @Test("Linux SYN-ACK over IPv4: every field, ack = seq + 1")
    func parseSynAck() throws {
        let ip = try parseIPv4(Self.synAck)
        #expect(ip.identification == 0)
        #expect(ip.dontFragment)
        #expect(ip.timeToLive == 64)
        #expect(ip.checksum == 0x4E6A)

        let s = try parsePacket(Self.synAck)
        #expect(s.source == .v4(Self.server))
        #expect(s.destination == .v4(Self.client))
        let h = s.header
        #expect(h.sourcePort == 80)
        #expect(h.destinationPort == 51234)
        #expect(h.sequenceNumber == SequenceNumber(0x2F1D_9B07))
        #expect(h.acknowledgmentNumber == (try parsePacket(Self.syn)).header.sequenceNumber + 1)
        #expect(h.flags == [.syn, .ack])
        #expect(h.dataOffset == 10)
        #expect(h.window == 65160)
        #expect(h.checksum == 0xF32B)
        #expect(h.options.mss == 1460)
        #expect(h.options.sackPermitted)
        #expect(h.options.timestamp == TCPTimestamp(value: 0x6E5F_4A3B, echoReply: 0x0A1B_2C3D))
        #expect(h.options.windowScale == 7)
        #expect(s.payload.isEmpty)
    }

    @Test("Linux SYN over IPv6: every field")
    func parseSynV6() throws {
        let ip = try parseIPv6(Self.synV6)
        #expect(ip.trafficClass == 0)
        #expect(ip.flowLabel == 0x9A3F1)
        #expect(ip.payloadLength == 40)
        #expect(ip.nextHeader == 6)
        #expect(ip.hopLimit == 64)

        let s = try parsePacket(Self.synV6)
        #expect(s.source == .v6(IPv6Address("2001:db8::10")!))
        #expect(s.destination == .v6(IPv6Address("2001:db8:0:1::20")!))
        #expect(s.sourceSocket.description == "[2001:db8::10]:40112")
        #expect(s.hopLimit == 64)
        let h = s.header
        #expect(h.sourcePort == 40112)
        #expect(h.destinationPort == 443)
        #expect(h.sequenceNumber == SequenceNumber(0xC0FF_EE01))
        #expect(h.acknowledgmentNumber == SequenceNumber(0))
        #expect(h.flags == .syn)
        #expect(h.dataOffset == 10)
        #expect(h.window == 64800)
        #expect(h.checksum == 0x5D7D)
        #expect(h.options.mss == 1440)
        #expect(h.options.sackPermitted)
        #expect(h.options.timestamp == TCPTimestamp(value: 0x1122_3344, echoReply: 0))
        #expect(h.options.windowScale == 7)
        #expect(s.payload.isEmpty)
    }

    @Test("the parsed headers equal the values we would send")
    func parsedEqualsConstructed() throws {
        #expect(try parsePacket(Self.syn).header == Self.synHeader.withParsedFields(of: Self.syn))
        #expect(try parsePacket(Self.synAck).header == Self.synAckHeader.withParsedFields(of: Self.synAck))
        #expect(try parsePacket(Self.synV6).header == Self.synV6Header.withParsedFields(of: Self.synV6))
    }

    /// TCPPacket.emit with an explicit IP identification, into an exact-size buffer.
    private func emitV4(_ header: TCPHeader, from s: IPv4Address, to d: IPv4Address, identification: UInt16) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 60)
        let n = try out.withUnsafeMutableBytes { buf in
            try TCPPacket.emit(source: .v4(s), destination: .v4(d), header: header, payloadLength: 0,
                               identification: identification, into: buf) { _ in }
        }
        return Array(out[0..<n])
    }

    @Test("emit reproduces the Linux SYN and SYN-ACK byte for byte, checksums included")
    func emitReproducesIPv4() throws {
        #expect(try emitV4(Self.synHeader, from: Self.client, to: Self.server, identification: 0x8F3C) == Self.syn)
        #expect(try emitV4(Self.synAckHeader, from: Self.server, to: Self.client, identification: 0) == Self.synAck)
        // build uses IP ID 0, which is exactly what Linux puts in a SYN-ACK.
        #expect(try TCPPacket.build(source: .v4(Self.server), destination: .v4(Self.client), header: Self.synAckHeader) == Self.synAck)
    }

    @Test("emit reproduces the IPv6 SYN: the TCP segment byte for byte, the fixed header with the flow label")
    func emitReproducesIPv6() throws {
        let built = try TCPPacket.build(source: .v6(IPv6Address("2001:db8::10")!),
                                        destination: .v6(IPv6Address("2001:db8:0:1::20")!), header: Self.synV6Header)
        // TCPPacket does not set a flow label; everything else, and the whole TCP segment, matches.
        #expect(Array(built[40...]) == Array(Self.synV6[40...]))
        #expect(Array(built[4..<40]) == Array(Self.synV6[4..<40]))
        #expect(Array(built[0..<4]) == hex("60 00 00 00"))
        var ip = IPv6Header(source: IPv6Address("2001:db8::10")!, destination: IPv6Address("2001:db8:0:1::20")!)
        ip.flowLabel = 0x9A3F1
        ip.payloadLength = 40
        #expect(try emitted { b throws(WireError) in try ip.emit(into: b) } == Array(Self.synV6[0..<40]))
    }

    @Test("the Linux option block, emitted alone, is 02 04 05 b4 04 02 08 0a <tsval> <tsecr> 01 03 03 07")
    func optionBlock() throws {
        let tcp = try emitted { b throws(WireError) in try Self.synHeader.emit(into: b) }
        #expect(Array(tcp[20...]) == Array(Self.syn[40...]))
        #expect(Array(tcp[0..<16]) == Array(Self.syn[20..<36]))
        #expect(Array(tcp[16..<18]) == [0, 0])   // header.emit leaves the checksum to the caller
    }
}
