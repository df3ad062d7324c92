import Testing
import TCPCore
import TCPWire
@testable import TCPNet

/// `virtio_net_hdr` as a TUN device with IFF_VNET_HDR reads and writes it (linux/virtio_net.h),
/// and what the driver does with the offload it describes.
@Suite struct VirtioNetHeaderTests {
    static func bytes(_ h: VirtioNetHeader) -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: VirtioNetHeader.size)
        out.withUnsafeMutableBytes { h.encode(into: $0) }
        return out
    }

    static func decode(_ b: [UInt8]) -> VirtioNetHeader? {
        b.withUnsafeBytes { VirtioNetHeader($0) }
    }

    /// flags, gso_type, then hdr_len, gso_size, csum_start, csum_offset as 16-bit host-order
    /// (little-endian here) fields: 10 bytes.
    @Test func layoutOfATSOv4HeaderWithPartialChecksum() throws {
        let offload = PacketOffload(checksum: .partial(start: 20, offset: 16), segmentSize: 1448, headerLength: 52, isIPv6: false)
        let h = VirtioNetHeader(offload)
        #expect(VirtioNetHeader.size == 10)
        #expect(Self.bytes(h) == [1, 1, 52, 0, 0xA8, 0x05, 20, 0, 16, 0])
        let back = try #require(Self.decode(Self.bytes(h)))
        #expect(back == h)
        #expect(try back.offload() == offload)
    }

    @Test func ipv6SuperSegmentAndTheECNBit() throws {
        let h = try #require(Self.decode([1, 0x84, 72, 0, 0x98, 0x05, 40, 0, 16, 0]))
        let o = try h.offload()
        #expect(o == PacketOffload(checksum: .partial(start: 40, offset: 16), segmentSize: 1432, headerLength: 72, isIPv6: true))
        #expect(Self.bytes(VirtioNetHeader(o)) == [1, 4, 72, 0, 0x98, 0x05, 40, 0, 16, 0])
    }

    @Test func plainPacketIsAllZeroBothWays() throws {
        #expect(Self.bytes(VirtioNetHeader(.none)) == [UInt8](repeating: 0, count: 10))
        let h = try #require(Self.decode([UInt8](repeating: 0, count: 10)))
        #expect(try h.offload() == .none)
    }

    @Test func dataValidMeansVerified() throws {
        let h = try #require(Self.decode([2, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(try h.offload().checksum == .verified)
        #expect(Self.bytes(VirtioNetHeader(PacketOffload(checksum: .verified)))[0] == 2)
    }

    @Test func headersTCPKitNeverAskedForAreRejected() throws {
        let udp = try #require(Self.decode([0, 3, 28, 0, 0xDC, 0x05, 0, 0, 0, 0]))
        #expect(throws: VirtioNetHeader.DecodeError.unsupportedGSOType(3)) { try udp.offload() }
        let noSize = try #require(Self.decode([1, 1, 52, 0, 0, 0, 20, 0, 16, 0]))
        #expect(throws: VirtioNetHeader.DecodeError.zeroSegmentSize) { try noSize.offload() }
        #expect(Self.decode([0, 0, 0, 0, 0, 0, 0, 0, 0]) == nil)   // 9 bytes
    }

    // MARK: - Received partial checksums

    static let a = IPAddress("198.18.0.1")!, b = IPAddress("198.18.0.2")!
    static let a6 = IPAddress("2001:2::1")!, b6 = IPAddress("2001:2::2")!

    /// A whole TCP packet, and the same with its checksum field holding only the pseudo-header
    /// sum, as the kernel hands it over with NEEDS_CSUM.
    static func tcpPacket(_ src: IPAddress, _ dst: IPAddress, payload: [UInt8]) throws -> (whole: [UInt8], partial: [UInt8], tcpStart: Int) {
        let header = TCPHeader(sourcePort: 5001, destinationPort: 80, sequenceNumber: SequenceNumber(7), acknowledgmentNumber: SequenceNumber(9),
                               flags: [.ack, .psh], window: 1000)
        let whole = try TCPPacket.build(source: src, destination: dst, header: header, payload: payload)
        let start = src.isIPv6 ? 40 : 20
        var c = InternetChecksum()
        TCPPacket.addPseudoHeader(&c, source: src, destination: dst, tcpLength: whole.count - start)
        var partial = whole
        let sum = ~c.value   // the pseudo-header's sum, not complemented
        partial[start + 16] = UInt8(sum >> 8)
        partial[start + 17] = UInt8(sum & 0xFF)
        return (whole, partial, start)
    }

    @Test(arguments: [false, true]) func partialTCPChecksumIsTrustedAndLeftAlone(ipv6: Bool) throws {
        let (whole, partial, start) = try Self.tcpPacket(ipv6 ? Self.a6 : Self.a, ipv6 ? Self.b6 : Self.b, payload: Array(0..<200))
        #expect(whole != partial)
        var p = partial
        // Verifying it would fail: the sum of the bytes is missing.
        #expect(throws: WireError.badTCPChecksum) { _ = try p.withUnsafeBytes { try TCPPacket.parse($0) } }
        let verdict = p.withUnsafeMutableBytes { PacketOffload(checksum: .partial(start: start, offset: 16)).prepareReceived($0) }
        #expect(verdict == .trusted)
        #expect(p == partial)
    }

    @Test(arguments: [false, true]) func completingAPartialChecksumGivesTheWholeOne(ipv6: Bool) throws {
        let (whole, partial, start) = try Self.tcpPacket(ipv6 ? Self.a6 : Self.b, ipv6 ? Self.b6 : Self.a, payload: Array(0..<77))
        var p = partial
        p.withUnsafeMutableBytes { TCPPacket.completeChecksum($0, start: start, offset: 16) }
        #expect(p == whole)
        _ = try p.withUnsafeBytes { try TCPPacket.parse($0) }
    }

    @Test func partialChecksumElsewhereIsCompletedThenVerified() throws {
        // A checksum position that is not the TCP header's (here: an odd start the kernel would
        // not use for TCP) is completed in software and left to the usual verification.
        let (_, partial, _) = try Self.tcpPacket(Self.a, Self.b, payload: [1, 2, 3])
        var p = partial
        let verdict = p.withUnsafeMutableBytes { PacketOffload(checksum: .partial(start: 24, offset: 12)).prepareReceived($0) }
        #expect(verdict == .verify)
        #expect(p != partial)
    }

    @Test func partialChecksumOutsideThePacketIsMalformed() throws {
        let (_, partial, _) = try Self.tcpPacket(Self.a, Self.b, payload: [1, 2, 3])
        var p = partial
        let n = p.count
        for (start, offset) in [(n - 1, 0), (20, n), (-1, 16)] {
            let verdict = p.withUnsafeMutableBytes { PacketOffload(checksum: .partial(start: start, offset: offset)).prepareReceived($0) }
            #expect(verdict == .malformed)
        }
        #expect(p == partial)
    }
}
