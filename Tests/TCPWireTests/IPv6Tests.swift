// RFC 8200 §3: the 40-byte IPv6 fixed header: version 6, 8-bit traffic class, 20-bit flow label,
// 16-bit payload length (everything after the fixed header), next header, hop limit, addresses.
// RFC 8200 §4: extension headers sit between the fixed header and TCP; TCPKit does not walk them.

import Testing
import TCPWire

@Suite("IPv6 fixed header (RFC 8200)")
struct IPv6Tests {
    @Test("emit lays out version, traffic class and flow label bit-exactly; parse reads them back")
    func layout() throws {
        var header = IPv6Header(source: IPv6Address("2001:db8::a")!, destination: IPv6Address("fe80::1:2")!,
                                hopLimit: 255, nextHeader: 6)
        header.trafficClass = 0xAB
        header.flowLabel = 0x12345
        header.payloadLength = 20
        let bytes = try emitted { b throws(WireError) in try header.emit(into: b) }
        #expect(bytes.count == 40)
        #expect(Array(bytes[0..<8]) == hex("6a b1 23 45 00 14 06 ff"))
        #expect(Array(bytes[8..<24]) == IPv6Address("2001:db8::a")!.bytes)
        #expect(Array(bytes[24..<40]) == IPv6Address("fe80::1:2")!.bytes)
        let parsed = try parseIPv6(bytes + [UInt8](repeating: 0, count: 20))
        #expect(parsed == header)
    }

    @Test("a flow label wider than 20 bits is masked, never spills into the traffic class")
    func flowLabelMask() throws {
        var header = IPv6Header(source: IPv6Address("::1")!, destination: IPv6Address("::2")!)
        header.flowLabel = 0xFFFF_FFFF
        let bytes = try emitted { b throws(WireError) in try header.emit(into: b) }
        #expect(Array(bytes[0..<4]) == hex("60 0f ff ff"))
    }

    @Test("random fixed headers round trip")
    func randomRoundTrip() throws {
        let seed = testSeed(0x6)
        var rng = SplitMix64(seed: seed)
        for i in 0..<500 {
            var header = IPv6Header(source: randomIPv6(&rng), destination: randomIPv6(&rng),
                                    hopLimit: .random(in: .min ... .max, using: &rng), nextHeader: 6)
            header.trafficClass = .random(in: .min ... .max, using: &rng)
            header.flowLabel = .random(in: 0...0xfffff, using: &rng)
            header.payloadLength = .random(in: 0...64, using: &rng)
            let bytes = try emitted { b throws(WireError) in try header.emit(into: b) }
                + rng.bytes(Int(header.payloadLength))
            #expect(try parseIPv6(bytes) == header, "seed \(seed) iteration \(i)")
        }
    }

    @Test("extension headers are a typed error, at the IP layer and for the packet",
          arguments: [UInt8(0), 43, 44, 50, 51, 60, 135, 139, 140, 253, 254])
    func extensionHeaders(nextHeader: UInt8) {
        var packet = samplePacket(v6: true)
        packet[6] = nextHeader
        #expect(wireError { () throws(WireError) in try parseIPv6(packet) } == .unsupportedIPv6ExtensionHeader(nextHeader))
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .unsupportedIPv6ExtensionHeader(nextHeader))
        #expect(wireError { () throws(WireError) in try parsePacket(packet, verifyChecksum: false) } == .unsupportedIPv6ExtensionHeader(nextHeader))
    }

    @Test("an upper layer other than TCP", arguments: [UInt8(17), 58, 59, 41, 132])
    func notTCP(nextHeader: UInt8) throws {
        var packet = samplePacket(v6: true)
        packet[6] = nextHeader
        #expect(try parseIPv6(packet).nextHeader == nextHeader)
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .notTCP(nextHeader))
    }

    @Test("payload length larger than the bytes given", arguments: [1, 2, 100, 70_000])
    func payloadLengthTooLarge(extra: Int) {
        var packet = samplePacket(v6: true)
        let payloadLength = min(packet.count - 40 + extra, 65535)
        put16(&packet, 4, UInt16(payloadLength))
        #expect(wireError { () throws(WireError) in try parseIPv6(packet) } == .badTotalLength(declared: 40 + payloadLength, available: packet.count))
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .badTotalLength(declared: 40 + payloadLength, available: packet.count))
    }

    @Test("payload length smaller than the segment: what is cut off no longer verifies")
    func payloadLengthTooSmall() {
        let packet = samplePacket(v6: true)
        let tcpLength = packet.count - 40
        for claimed in 0..<tcpLength {
            var lying = packet
            put16(&lying, 4, UInt16(claimed))
            let error = wireError { () throws(WireError) in try parsePacket(lying) }
            if claimed < 20 {
                #expect(error == .truncated(layer: .tcp, needed: 20, available: claimed))
            } else {
                // Header or payload cut short: the checksum (verified first, RFC 9293 §3.1) fails.
                #expect(error == .badTCPChecksum, "payload length \(claimed)")
            }
        }
    }

    @Test("bytes past the payload length are ignored")
    func trailingBytes() throws {
        let packet = samplePacket(v6: true)
        #expect(try parsePacket(packet + [1, 2, 3]).payload == samplePayload)
    }

    @Test("a version nibble other than 6", arguments: [UInt8(4), 0, 7, 15])
    func badVersion(version: UInt8) {
        var packet = samplePacket(v6: true)
        packet[0] = version << 4 | (packet[0] & 0x0f)
        #expect(wireError { () throws(WireError) in try parseIPv6(packet) } == .badIPVersion(version))
    }

    @Test("fewer than 40 bytes", arguments: [0, 1, 20, 39])
    func truncated(count: Int) {
        let packet = Array(samplePacket(v6: true)[0..<count])
        #expect(wireError { () throws(WireError) in try parseIPv6(packet) } == .truncated(layer: .ipv6, needed: 40, available: count))
    }

    @Test("emit needs 40 bytes of room")
    func emitTooSmall() {
        let header = IPv6Header(source: IPv6Address("::1")!, destination: IPv6Address("::1")!)
        var buffer = [UInt8](repeating: 0, count: 39)
        let error = buffer.withUnsafeMutableBytes { b in wireError { () throws(WireError) in try header.emit(into: b) } }
        #expect(error == .bufferTooSmall(needed: 40, available: 39))
    }

    @Test("TCPPacket.build writes payload length, next header and hop limit")
    func builtByPacket() throws {
        let packet = try TCPPacket.build(source: clientV6, destination: serverV6, header: sampleHeader(),
                                         payload: samplePayload, hopLimit: 9)
        let ip = try parseIPv6(packet)
        #expect(Int(ip.payloadLength) == packet.count - 40)
        #expect(ip.nextHeader == 6)
        #expect(ip.hopLimit == 9)
        #expect(ip.source == IPv6Address("2001:db8::1")!)
        let segment = try parsePacket(packet)
        #expect(segment.hopLimit == 9)
        #expect(segment.source == clientV6)
        #expect(segment.destination == serverV6)
    }
}
