// RFC 791 §3.1: the IPv4 header. IHL counts 32-bit words (5...15, so options up to 40 bytes),
// total length covers header and data, the header checksum covers the header only, and flags
// are reserved / DF (0x4000) / MF (0x2000) above a 13-bit fragment offset.

import Testing
import TCPWire

/// Inserts `options` (a multiple of 4 bytes) into an IPv4 packet's header, updating IHL, total
/// length and the header checksum. The TCP checksum stays valid: the pseudo-header does not
/// include IP options.
private func withIPOptions(_ packet: [UInt8], _ options: [UInt8]) -> [UInt8] {
    precondition(options.count % 4 == 0 && options.count <= 40)
    var out = Array(packet[0..<20]) + options + Array(packet[20...])
    out[0] = 0x40 | UInt8((20 + options.count) / 4)
    put16(&out, 2, UInt16(out.count))
    fixIPv4Checksum(&out)
    return out
}

@Suite("IPv4 header (RFC 791)")
struct IPv4Tests {
    @Test("parse reads every field of a header built by emit")
    func fields() throws {
        var header = IPv4Header(source: IPv4Address(10, 1, 2, 3), destination: IPv4Address(172, 16, 254, 1),
                                timeToLive: 17, protocolNumber: 6, identification: 0xBEEF)
        header.typeOfService = 0xB8   // DSCP EF
        header.totalLength = 40
        header.dontFragment = false
        let bytes = try emitted { b throws(WireError) in try header.emit(into: b) } + [UInt8](repeating: 0, count: 20)
        #expect(Array(bytes[0..<10]) == hex("45 b8 00 28 be ef 00 00 11 06"))
        #expect(Array(bytes[12..<20]) == hex("0a 01 02 03 ac 10 fe 01"))
        #expect(referenceChecksum(Array(bytes[0..<20])) == 0)
        let parsed = try parseIPv4(bytes)
        #expect(parsed.source == IPv4Address(10, 1, 2, 3))
        #expect(parsed.destination == IPv4Address(172, 16, 254, 1))
        #expect(parsed.timeToLive == 17)
        #expect(parsed.protocolNumber == 6)
        #expect(parsed.identification == 0xBEEF)
        #expect(parsed.typeOfService == 0xB8)
        #expect(parsed.totalLength == 40)
        #expect(parsed.dontFragment == false)
        #expect(parsed.headerLength == 20)
        #expect(parsed.checksum == be16(bytes, 10))
        var expected = header
        expected.checksum = parsed.checksum
        #expect(parsed == expected)
    }

    @Test("DF is bit 0x4000 of the flags word and round trips")
    func dontFragment() throws {
        var header = IPv4Header(source: IPv4Address(1, 2, 3, 4), destination: IPv4Address(5, 6, 7, 8))
        header.totalLength = 20
        #expect(header.dontFragment)   // TCPKit's default, as Linux does for TCP
        let bytes = try emitted { b throws(WireError) in try header.emit(into: b) }
        #expect(be16(bytes, 6) == 0x4000)
        #expect(try parseIPv4(bytes).dontFragment)
    }

    @Test("a header with a wrong checksum is rejected", arguments: [1, 4, 5, 8, 10, 11, 12, 19])
    func badChecksum(offset: Int) {
        var packet = samplePacket(v6: false)
        packet[offset] ^= 0x01
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .badIPv4Checksum)
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .badIPv4Checksum)
        #expect(wireError { () throws(WireError) in try parsePacket(packet, verifyChecksum: false) } == .badIPv4Checksum,
                "the IP header checksum is always verified; verifyChecksum is about TCP")
    }

    @Test("IHL > 5: options are skipped and TCP starts after them", arguments: [
        hex("94 04 00 00"),                                   // router alert (RFC 2113)
        hex("01 01 01 00"),                                   // NOP NOP NOP EOL
        hex("07 0b 04") + [UInt8](repeating: 0, count: 8) + [0],   // record route, 12 bytes
        [UInt8](repeating: 1, count: 39) + [0],               // IHL 15: 40 bytes of options
    ])
    func optionsSkipped(options: [UInt8]) throws {
        let plain = samplePacket(v6: false)
        let packet = withIPOptions(plain, options)
        #expect(Int(packet[0] & 0x0f) == 5 + options.count / 4)
        let ip = try parseIPv4(packet)
        #expect(ip.headerLength == 20 + options.count)
        let segment = try parsePacket(packet)
        #expect(segment == (try parsePacket(plain)))
        #expect(segment.header == sampleHeader().withParsedFields(of: plain))
        #expect(segment.payload == samplePayload)
    }

    @Test("bytes past total length (link-layer padding) are ignored")
    func trailingPadding() throws {
        let packet = samplePacket(v6: false)
        for padding in [1, 2, 6, 46] {
            let padded = packet + [UInt8](repeating: 0xA5, count: padding)
            let segment = try parsePacket(padded)
            #expect(segment.payload == samplePayload, "padding \(padding)")
            #expect(try parseIPv4(padded).totalLength == UInt16(packet.count))
        }
    }

    @Test("total length larger than the bytes given")
    func totalLengthTooLarge() {
        var packet = samplePacket(v6: false)
        let count = packet.count
        put16(&packet, 2, UInt16(count + 1))
        fixIPv4Checksum(&packet)
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .badTotalLength(declared: count + 1, available: count))
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .badTotalLength(declared: count + 1, available: count))
        // Truncating the packet has the same effect.
        let short = Array(samplePacket(v6: false).dropLast())
        #expect(wireError { () throws(WireError) in try parsePacket(short) } == .badTotalLength(declared: count, available: count - 1))
    }

    @Test("total length smaller than the header", arguments: [0, 1, 19])
    func totalLengthBelowHeader(total: Int) {
        var packet = samplePacket(v6: false)
        let count = packet.count
        put16(&packet, 2, UInt16(total))
        fixIPv4Checksum(&packet)
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .badTotalLength(declared: total, available: count))
    }

    @Test("total length smaller than IHL with options", arguments: [20, 23])
    func totalLengthBelowIHL(total: Int) {
        var packet = withIPOptions(samplePacket(v6: false), hex("94 04 00 00"))
        put16(&packet, 2, UInt16(total))
        fixIPv4Checksum(&packet)
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .badTotalLength(declared: total, available: packet.count))
    }

    @Test("fragments are rejected: MF set, or a non-zero offset", arguments: [
        UInt16(0x2000),           // MF, offset 0: the first fragment
        0x0001,                   // last fragment, offset 8 bytes
        0x1fff,                   // largest offset
        0x2001,                   // middle fragment
        0x4010,                   // DF with an offset (contradictory, still a fragment)
    ])
    func fragments(flagsAndOffset: UInt16) {
        var packet = samplePacket(v6: false)
        put16(&packet, 6, flagsAndOffset)
        fixIPv4Checksum(&packet)
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .fragmented)
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .fragmented)
    }

    @Test("neither DF nor the reserved bit makes a fragment", arguments: [UInt16(0), 0x4000, 0x8000, 0xC000])
    func notFragments(flags: UInt16) throws {
        var packet = samplePacket(v6: false)
        put16(&packet, 6, flags)
        fixIPv4Checksum(&packet)
        #expect(try parseIPv4(packet).dontFragment == (flags & 0x4000 != 0))
        #expect(try parsePacket(packet).payload == samplePayload)
    }

    @Test("a protocol other than TCP", arguments: [UInt8(1), 17, 41, 132, 255, 0])
    func notTCP(protocolNumber: UInt8) throws {
        var packet = samplePacket(v6: false)
        packet[9] = protocolNumber
        fixIPv4Checksum(&packet)
        #expect(try parseIPv4(packet).protocolNumber == protocolNumber)   // the IP layer itself is fine
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .notTCP(protocolNumber))
    }

    @Test("IHL below 5 or past the bytes given", arguments: [0, 1, 4, 15])
    func badIHL(ihlWords: Int) {
        var packet = Array(samplePacket(v6: false)[0..<40])   // 40 bytes: IHL 15 (60 bytes) is beyond them
        packet[0] = 0x40 | UInt8(ihlWords)
        put16(&packet, 2, 40)
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .badIPv4HeaderLength(ihlWords * 4))
    }

    @Test("a version nibble other than 4", arguments: [UInt8(0), 5, 6, 15])
    func badVersion(version: UInt8) {
        var packet = samplePacket(v6: false)
        packet[0] = version << 4 | 5
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .badIPVersion(version))
    }

    @Test("fewer than 20 bytes", arguments: Array(0..<20))
    func truncated(count: Int) {
        let packet = Array(samplePacket(v6: false)[0..<count])
        #expect(wireError { () throws(WireError) in try parseIPv4(packet) } == .truncated(layer: .ipv4, needed: 20, available: count))
    }

    @Test("emit needs 20 bytes of room")
    func emitTooSmall() {
        let header = IPv4Header(source: IPv4Address(1, 1, 1, 1), destination: IPv4Address(2, 2, 2, 2))
        var buffer = [UInt8](repeating: 0, count: 19)
        let error = buffer.withUnsafeMutableBytes { b in wireError { () throws(WireError) in try header.emit(into: b) } }
        #expect(error == .bufferTooSmall(needed: 20, available: 19))
    }

    @Test("TCPPacket.build writes TTL, DF, protocol and total length")
    func builtByPacket() throws {
        let packet = try TCPPacket.build(source: clientV4, destination: serverV4, header: sampleHeader(),
                                         payload: samplePayload, hopLimit: 3)
        let ip = try parseIPv4(packet)
        #expect(ip.timeToLive == 3)
        #expect(ip.dontFragment)
        #expect(ip.protocolNumber == 6)
        #expect(Int(ip.totalLength) == packet.count)
        #expect(try parsePacket(packet).hopLimit == 3)
    }
}

extension TCPHeader {
    /// This header as `parse` returns it from `packet`: the data offset and checksum are the ones
    /// on the wire.
    func withParsedFields(of packet: [UInt8]) -> TCPHeader {
        let ipLength = packet[0] >> 4 == 6 ? 40 : Int(packet[0] & 0x0f) * 4
        var h = self
        h.dataOffset = packet[ipLength + 12] >> 4
        h.checksum = be16(packet, ipLength + 16)
        return h
    }
}
