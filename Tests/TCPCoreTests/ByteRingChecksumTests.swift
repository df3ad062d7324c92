import Testing
import TCPWire
@testable import TCPCore

/// The send path copies a segment's payload out of the send ring while summing it
/// (`ByteRing.copy(from:into:summing:)` into `TCPPacket.emit(…fillPayloadSumming:)`). The packets
/// must be byte-for-byte those of copying and then summing the packet (RFC 9293 §3.1), for full
/// and partial (offload) checksums, whatever the length's parity, the ring offset or the wrap.
@Suite("Copy-and-checksum from the send ring")
struct ByteRingChecksumTests {
    /// A ring of `capacity` whose head sits at `head`, holding `stored` known bytes.
    private func ring(capacity: Int, head: Int, stored: [UInt8]) -> ByteRing {
        let r = ByteRing(capacity: capacity)
        if head > 0 {
            [UInt8](repeating: 0xee, count: head).withUnsafeBytes { _ = r.append($0) }
            r.discard(head)
        }
        stored.withUnsafeBytes { #expect(r.append($0) == stored.count) }
        return r
    }

    private func packet(_ r: ByteRing, offset: Int, length: Int, fused: Bool, v6: Bool,
                        checksum: TCPPacket.ChecksumMode) throws -> [UInt8] {
        let (src, dst): (IPAddress, IPAddress) = v6
            ? (.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 1)), .v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 2)))
            : (.v4(IPv4Address(198, 18, 0, 1)), .v4(IPv4Address(198, 18, 0, 2)))
        var h = TCPHeader(sourcePort: 40000, destinationPort: 80, sequenceNumber: SequenceNumber(7),
                          acknowledgmentNumber: SequenceNumber(9), flags: [.ack, .psh], window: 1000)
        h.options.timestamp = TCPTimestamp(value: 1234, echoReply: 5678)
        var out = [UInt8](repeating: 0x5a, count: 100 + length)
        let n = try out.withUnsafeMutableBytes { buf throws(WireError) -> Int in
            if fused {
                return try TCPPacket.emit(source: src, destination: dst, header: h, payloadLength: length,
                                          identification: 3, checksum: checksum, into: buf) { o, sum in
                    r.copy(from: offset, into: o, summing: &sum)
                }
            }
            return try TCPPacket.emit(source: src, destination: dst, header: h, payloadLength: length,
                                      identification: 3, checksum: checksum, into: buf) { o in
                r.copy(from: offset, into: o)
            }
        }
        return Array(out[..<n])
    }

    @Test("fused and unfused packets are identical: odd and even lengths and offsets, across the wrap",
          arguments: [false, true])
    func identical(v6: Bool) throws {
        var rng = SplitMix64(seed: 0xF05E)
        let capacity = 4099
        for head in [0, 1, 2, 3, 1000, capacity - 700, capacity - 1, capacity - 2] {
            let stored = (0..<3000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let r = ring(capacity: capacity, head: head, stored: stored)
            for (offset, length) in [(0, 0), (0, 1), (1, 1), (0, 1448), (1, 1447), (3, 1448), (5, 1449),
                                     (697, 7), (698, 6), (699, 2), (650, 101), (1, 2999), (0, 3000)] {
                for mode in [TCPPacket.ChecksumMode.full, .partial] {
                    let plain = try packet(r, offset: offset, length: length, fused: false, v6: v6, checksum: mode)
                    let fused = try packet(r, offset: offset, length: length, fused: true, v6: v6, checksum: mode)
                    #expect(plain == fused, "head \(head) offset \(offset) length \(length) \(mode)")
                    if mode == .full {
                        let ok = fused.withUnsafeBytes { b in (try? TCPPacket.parse(b)) != nil }
                        #expect(ok, "head \(head) offset \(offset) length \(length): checksum does not verify")
                        let payload = Array(fused[(fused.count - length)...])
                        #expect(payload == Array(stored[offset..<(offset + length)]))
                    }
                }
            }
        }
    }
}
