// RFC 1071: the Internet checksum is the 16-bit ones' complement of the ones' complement sum of the
// data taken as 16-bit big-endian words, an odd last byte padded with a zero on the right.
// RFC 9293 §3.1 and RFC 8200 §8.1: TCP's checksum also covers a pseudo-header.

import Testing
import TCPWire

private func checksum(_ bytes: [UInt8]) -> UInt16 {
    bytes.withUnsafeBytes { InternetChecksum.compute($0) }
}

/// Adds `bytes` cut at `cuts` (sorted offsets), one `add` per piece.
private func checksumInPieces(_ bytes: [UInt8], cuts: [Int]) -> UInt16 {
    var c = InternetChecksum()
    bytes.withUnsafeBytes { raw in
        var start = 0
        for end in cuts + [bytes.count] {
            c.add(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
            start = end
        }
    }
    return c.value
}

@Suite("Internet checksum (RFC 1071)")
struct ChecksumTests {
    @Test("RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d")
    func rfc1071Example() {
        let bytes = hex("00 01 f2 03 f4 f5 f6 f7")
        #expect(referenceChecksum(bytes) == 0x220d)   // the reference agrees with the RFC...
        #expect(checksum(bytes) == 0x220d)            // ...and so does the code under test
        #expect(~checksum(bytes) == 0xddf2)
    }

    @Test("known vectors, including odd lengths and end-around carry", arguments: [
        ("", UInt16(0xffff)),                 // sum 0
        ("00", 0xffff),
        ("01", 0xfeff),                       // odd byte is the high-order byte: 0x0100
        ("00 01", 0xfffe),
        ("00 01 f2", 0x0dfe),                 // 0x0001 + 0xf200
        ("ff ff", 0x0000),                    // sum 0xffff ("negative zero")
        ("ff ff 00 01", 0xfffe),              // 0xffff + 0x0001 = 0x10000 -> carry folds to 0x0001
        ("80 00 80 00", 0xfffe),              // 0x8000 + 0x8000 = 0x10000 -> 0x0001
        ("ab cd ef", 0x6531),                 // 0xabcd + 0xef00 = 0x19acd -> 0x9ace
        ("45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7", 0xb861),  // classic IPv4 header
    ])
    func vectors(bytes: String, expected: UInt16) {
        #expect(referenceChecksum(hex(bytes)) == expected)
        #expect(checksum(hex(bytes)) == expected)
    }

    @Test("a buffer followed by its own checksum sums to zero")
    func verifiesToZero() {
        var rng = SplitMix64(seed: testSeed(0xC0FFEE))
        for _ in 0..<200 {
            var bytes = rng.bytes(2 * Int.random(in: 0...200, using: &rng))
            let c = checksum(bytes)
            bytes += [UInt8(c >> 8), UInt8(c & 0xff)]
            #expect(checksum(bytes) == 0)
        }
    }

    @Test("agrees with the reference on random buffers of random lengths 0...2000, at every alignment")
    func agreesWithReference() {
        let seed = testSeed(0x1071)
        var rng = SplitMix64(seed: seed)
        for i in 0..<1500 {
            let length = Int.random(in: 0...2000, using: &rng)
            // Mostly random bytes, sometimes all-0xff (largest carries) or all-zero.
            let fill = Int.random(in: 0..<10, using: &rng)
            let bytes = fill == 0 ? [UInt8](repeating: 0xff, count: length)
                      : fill == 1 ? [UInt8](repeating: 0, count: length) : rng.bytes(length)
            let start = Int.random(in: 0...min(3, length), using: &rng)   // unaligned loads too
            let slice = Array(bytes[start...])
            let ours = bytes.withUnsafeBytes { InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            #expect(ours == referenceChecksum(slice), "seed \(seed) iteration \(i) length \(slice.count)")
        }
    }

    @Test("a large buffer of 0xff bytes (many carries) matches the reference")
    func largeBuffer() {
        for length in [65535, 65536, 100_001] {
            let bytes = [UInt8](repeating: 0xff, count: length)
            #expect(checksum(bytes) == referenceChecksum(bytes), "length \(length)")
        }
    }

    @Test("adding in two pieces, split at every offset (odd ones too), equals adding whole")
    func everySplit() {
        let seed = testSeed(0x5_9117)
        var rng = SplitMix64(seed: seed)
        for length in Array(0...70) + [127, 128, 129, 255, 256, 257] {
            let bytes = rng.bytes(length)
            let whole = checksum(bytes)
            #expect(whole == referenceChecksum(bytes))
            for cut in 0...length {
                #expect(checksumInPieces(bytes, cuts: [cut]) == whole, "seed \(seed) length \(length) cut \(cut)")
            }
        }
    }

    @Test("adding in many random pieces, including empty and one-byte ones, equals adding whole")
    func randomPieces() {
        let seed = testSeed(0x9_1ECE5)
        var rng = SplitMix64(seed: seed)
        for i in 0..<2000 {
            let bytes = rng.bytes(Int.random(in: 0...300, using: &rng))
            let pieces = Int.random(in: 0...12, using: &rng)
            let cuts = (0..<pieces).map { _ in Int.random(in: 0...bytes.count, using: &rng) }.sorted()
            #expect(checksumInPieces(bytes, cuts: cuts) == referenceChecksum(bytes),
                    "seed \(seed) iteration \(i) length \(bytes.count) cuts \(cuts)")
        }
    }

    @Test("every split of three odd pieces: odd, odd, then the rest")
    func oddOddRest() {
        let bytes = Array(UInt8(1)...UInt8(41))
        let whole = referenceChecksum(bytes)
        for a in stride(from: 1, through: 39, by: 2) {
            for b in stride(from: a + 1, through: 40, by: 2) {
                #expect(checksumInPieces(bytes, cuts: [a, b]) == whole, "cuts \(a), \(b)")
            }
        }
    }

    @Test("addCopying copies the bytes and sums like add, at any alignment, in odd and even pieces")
    func addCopying() {
        let seed = testSeed(0xC5_C0B1)
        var rng = SplitMix64(seed: seed)
        for i in 0..<1500 {
            let length = Int.random(in: 0...2000, using: &rng)
            let fill = Int.random(in: 0..<8, using: &rng)
            let bytes = fill == 0 ? [UInt8](repeating: 0xff, count: length) : rng.bytes(length)
            let from = Int.random(in: 0...min(7, length), using: &rng)
            let to = Int.random(in: 0...7, using: &rng)
            let pieces = Int.random(in: 0...3, using: &rng)
            let cuts = (0..<pieces).map { _ in Int.random(in: from...length, using: &rng) }.sorted()
            var out = [UInt8](repeating: 0xa5, count: to + length - from + 3)
            var c = InternetChecksum()
            bytes.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { dst in
                    var start = from
                    for end in cuts + [length] {
                        c.addCopying(from: src.baseAddress! + start, to: dst.baseAddress! + to + start - from, count: end - start)
                        start = end
                    }
                }
            }
            let slice = Array(bytes[from...])
            #expect(c.value == referenceChecksum(slice), "seed \(seed) iteration \(i) length \(slice.count) cuts \(cuts)")
            #expect(Array(out[to..<(to + slice.count)]) == slice, "seed \(seed) iteration \(i)")
            #expect(out[..<to].allSatisfy { $0 == 0xa5 } && out[(to + slice.count)...].allSatisfy { $0 == 0xa5 },
                    "addCopying wrote outside its destination: seed \(seed) iteration \(i)")
        }
    }

    @Test("add(UInt16) and add(UInt32) equal adding the same bytes in network order")
    func addIntegers() {
        var c = InternetChecksum()
        c.add(UInt16(0x0102))
        c.add(UInt32(0xa0b0_c0d0))
        c.add(UInt16(0xfffe))
        #expect(c.value == referenceChecksum(hex("01 02 a0 b0 c0 d0 ff fe")))
        // And mixed with bytes added afterwards, an odd count of them.
        hex("11 22 33").withUnsafeBytes { c.add($0) }
        #expect(c.value == referenceChecksum(hex("01 02 a0 b0 c0 d0 ff fe 11 22 33")))
    }

    @Test("the value, stored big-endian, is what goes on the wire")
    func storedBytes() {
        // An IPv4 header whose checksum field holds the computed value verifies.
        var header = hex("45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7")
        put16(&header, 10, checksum(header))
        #expect(Array(header[10...11]) == [0xb8, 0x61])
        #expect(checksum(header) == 0)
    }
}

@Suite("TCP checksum over the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1)")
struct TCPChecksumTests {
    @Test("build then parse succeeds, IPv4 and IPv6, for payloads of odd and even length",
          arguments: [false, true], [0, 1, 2, 13, 100, 1001])
    func roundTrip(v6: Bool, payloadLength: Int) throws {
        var rng = SplitMix64(seed: UInt64(payloadLength))
        let payload = rng.bytes(payloadLength)
        let (src, dst) = v6 ? (clientV6, serverV6) : (clientV4, serverV4)
        let packet = try TCPPacket.build(source: src, destination: dst, header: sampleHeader(), payload: payload)
        let segment = try parsePacket(packet)
        #expect(segment.payload == payload)
        #expect(segment.source == src)
        #expect(segment.destination == dst)
    }

    @Test("the checksum field equals the reference checksum over pseudo-header and segment", arguments: [false, true])
    func matchesReference(v6: Bool) {
        let packet = samplePacket(v6: v6)
        let ipLength = v6 ? 40 : 20
        var tcp = Array(packet[ipLength...])
        let onWire = be16(tcp, 16)
        put16(&tcp, 16, 0)
        let pseudo: [UInt8]
        if v6 {
            // Source, destination, 32-bit upper-layer length, three zero bytes, next header.
            pseudo = Array(packet[8..<40]) + [0, 0, UInt8(tcp.count >> 8), UInt8(tcp.count & 0xff), 0, 0, 0, 6]
        } else {
            // Source, destination, zero, protocol, 16-bit TCP length.
            pseudo = Array(packet[12..<20]) + [0, 6, UInt8(tcp.count >> 8), UInt8(tcp.count & 0xff)]
        }
        #expect(onWire == referenceChecksum(pseudo + tcp))
    }

    // A one-byte change alters one 16-bit word by a non-zero amount smaller than 0xffff, which the
    // ones' complement sum always notices (RFC 1071 §2): so no single-byte change may verify. The
    // checksum is verified before any header field is believed (RFC 9293 §3.1), so a changed data
    // offset or option length is reported as the checksum failure it is, not as a malformed header.
    @Test("changing any one byte of the TCP segment, to any other value, fails the checksum (header bytes too)", arguments: [false, true])
    func singleByteChangesInSegment(v6: Bool) throws {
        let packet = samplePacket(v6: v6)
        let ipLength = v6 ? 40 : 20
        for offset in ipLength..<packet.count {
            let tcpOffset = offset - ipLength
            for mask in UInt8(1)...UInt8(255) {
                var bad = packet
                bad[offset] ^= mask
                let error = wireError { () throws(WireError) in try parsePacket(bad) }
                if error != .badTCPChecksum { Issue.record("TCP byte \(tcpOffset) ^ \(mask): \(String(describing: error))") }
            }
        }
    }

    @Test("changing any byte of a pseudo-header address, to any other value, fails the TCP checksum", arguments: [false, true])
    func singleByteChangesInAddresses(v6: Bool) {
        let packet = samplePacket(v6: v6)
        let addresses = v6 ? 8..<40 : 12..<20
        for offset in addresses {
            for mask in UInt8(1)...UInt8(255) {
                var bad = packet
                bad[offset] ^= mask
                if !v6 {
                    // Without this the IPv4 header checksum would catch it first.
                    if wireError({ () throws(WireError) in try parsePacket(bad) }) != .badIPv4Checksum {
                        Issue.record("IPv4 address byte \(offset) ^ \(mask) passed the header checksum")
                    }
                    fixIPv4Checksum(&bad)
                }
                let error = wireError { () throws(WireError) in try parsePacket(bad) }
                if error != .badTCPChecksum { Issue.record("address byte \(offset) ^ \(mask): \(String(describing: error))") }
                // Without verification it parses, with the changed address: only the checksum can tell.
                if wireError({ () throws(WireError) in try parsePacket(bad, verifyChecksum: false) }) != nil {
                    Issue.record("address byte \(offset) ^ \(mask): unverified parse failed")
                }
            }
        }
    }

    @Test("the pseudo-header length is the TCP length: trailing bytes past IP's length are not summed")
    func lengthFromIPHeader() throws {
        var packet = samplePacket(v6: false)
        packet += [0, 0, 0, 0, 0, 0]   // Ethernet minimum-frame padding
        #expect(try parsePacket(packet).payload == samplePayload)
        var v6 = samplePacket(v6: true)
        v6 += [0xde, 0xad]
        #expect(try parsePacket(v6).payload == samplePayload)
    }

    @Test("emit refuses mixed address families")
    func familyMismatch() {
        #expect(throws: WireError.addressFamilyMismatch) {
            try TCPPacket.build(source: clientV4, destination: serverV6, header: sampleHeader())
        }
        #expect(throws: WireError.addressFamilyMismatch) {
            try TCPPacket.build(source: clientV6, destination: serverV4, header: sampleHeader())
        }
    }

    @Test("emit into a buffer too small for the packet is a typed error")
    func emitBufferTooSmall() {
        let needed = TCPPacket.length(source: clientV4, header: sampleHeader(), payloadLength: 5)
        #expect(needed == 20 + sampleHeader().encodedLength + 5)
        var small = [UInt8](repeating: 0, count: needed - 1)
        let error = small.withUnsafeMutableBytes { buf in
            wireError { () throws(WireError) in
                try TCPPacket.emit(source: clientV4, destination: serverV4, header: sampleHeader(),
                                   payloadLength: 5, into: buf) { _ in }
            }
        }
        #expect(error == .bufferTooSmall(needed: needed, available: needed - 1))
    }

    @Test("emit hands fillPayload exactly payloadLength bytes, right after the TCP header")
    func fillPayload() throws {
        var buffer = [UInt8](repeating: 0, count: 200)
        var handed = -1
        let n = try buffer.withUnsafeMutableBytes { buf in
            try TCPPacket.emit(source: clientV6, destination: serverV6, header: sampleHeader(),
                               payloadLength: 7, into: buf) { out in
                handed = out.count
                for i in 0..<out.count { out[i] = UInt8(i + 1) }
            }
        }
        #expect(handed == 7)
        #expect(n == 40 + sampleHeader().encodedLength + 7)
        let segment = try parsePacket(Array(buffer[0..<n]))
        #expect(segment.payload == [1, 2, 3, 4, 5, 6, 7])
    }
}
