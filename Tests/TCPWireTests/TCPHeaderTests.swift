// RFC 9293 §3.1: the TCP header: ports, sequence and acknowledgment numbers, 4-bit data offset in
// 32-bit words, control bits (CWR and ECE from RFC 3168 §23.2), window, checksum, urgent pointer.
// RFC 9293 §3.2: options: kind 0 ends the list, kind 1 is a no-op, every other kind has a length
// byte counting kind and length. MSS (RFC 9293 §3.7.1), window scale and timestamps (RFC 7323),
// SACK-permitted and SACK blocks (RFC 2018).

import Testing
import TCPWire

/// A 20-byte header plus `options` (padded by the caller), data offset set to match.
private func segment(options: [UInt8] = [], payload: [UInt8] = []) -> [UInt8] {
    precondition(options.count % 4 == 0)
    var b = hex("c0 00 01 bb 00 00 00 64 00 00 00 c8 00 10 ff ff 00 00 00 00")
    b[12] = UInt8((20 + options.count) / 4) << 4
    return b + options + payload
}

private func emitHeader(_ header: TCPHeader) throws(WireError) -> [UInt8] {
    try emitted { b throws(WireError) in try header.emit(into: b) }
}

private func emitOptions(_ options: TCPOptions) throws(WireError) -> [UInt8] {
    let header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: .init(0),
                           acknowledgmentNumber: .init(0), flags: [], window: 0, options: options)
    return Array(try emitHeader(header)[20...])
}

@Suite("TCP header (RFC 9293 §3.1)")
struct TCPHeaderTests {
    @Test("fixed fields are written big-endian at their RFC 9293 offsets")
    func fixedLayout() throws {
        let header = TCPHeader(sourcePort: 0x1234, destinationPort: 0x5678, sequenceNumber: .init(0x9ABC_DEF0),
                               acknowledgmentNumber: .init(0x0FED_CBA9), flags: [.ack, .urg], window: 0xA1B2,
                               urgentPointer: 0xC3D4)
        let bytes = try emitHeader(header)
        #expect(bytes == hex("12 34 56 78 9a bc de f0 0f ed cb a9 50 30 a1 b2 00 00 c3 d4"))
        let (parsed, length) = try parseTCP(bytes)
        #expect(length == 20)
        #expect(parsed == header)
    }

    @Test("each control bit has its RFC 9293 position", arguments: [
        (TCPFlags.fin, UInt8(0x01), "FIN"),
        (.syn, 0x02, "SYN"),
        (.rst, 0x04, "RST"),
        (.psh, 0x08, "PSH"),
        (.ack, 0x10, "ACK"),
        (.urg, 0x20, "URG"),
        (.ece, 0x40, "ECE"),
        (.cwr, 0x80, "CWR"),
    ])
    func flag(flag: TCPFlags, bit: UInt8, name: String) throws {
        let header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: .init(3),
                               acknowledgmentNumber: .init(4), flags: flag, window: 5)
        let bytes = try emitHeader(header)
        #expect(bytes[13] == bit)
        #expect(try parseTCP(bytes).header.flags == flag)
        #expect(flag.description == name)
    }

    @Test("all 256 flag combinations round trip; reserved bits of byte 12 are ignored")
    func allFlagCombinations() throws {
        for raw in UInt8.min...UInt8.max {
            var bytes = segment()
            bytes[13] = raw
            bytes[12] |= 0x0F           // reserved bits set by a sender we do not know
            let parsed = try parseTCP(bytes).header
            #expect(parsed.flags.rawValue == raw)
            #expect(parsed.dataOffset == 5)
            #expect(try emitHeader(parsed)[13] == raw)
        }
    }

    @Test("flag names print in tcpdump's order")
    func flagNames() {
        #expect(TCPFlags([.syn, .ack]).description == "SYN,ACK")
        #expect(TCPFlags([.fin, .ack, .psh]).description == "FIN,PSH,ACK")
        #expect(TCPFlags([]).description == "none")
        #expect(TCPFlags(rawValue: 0xff).names == ["SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"])
    }

    @Test("data offset is computed on emit and read on parse", arguments: [
        (TCPOptions(), 5),
        (TCPOptions(mss: 1460), 6),
        (TCPOptions(windowScale: 7), 6),
        (TCPOptions(mss: 1460, windowScale: 7, sackPermitted: true, timestamp: .init(value: 1, echoReply: 2)), 10),
        (TCPOptions(sackBlocks: SACKBlocks((0..<4).map { SACKBlock(left: .init($0 * 100), right: .init($0 * 100 + 50)) })), 14),
        (TCPOptions(timestamp: .init(value: 1, echoReply: 2),
                    sackBlocks: SACKBlocks((0..<3).map { SACKBlock(left: .init($0), right: .init($0 + 1)) })), 15),
    ])
    func dataOffset(options: TCPOptions, words: Int) throws {
        let header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: .init(3),
                               acknowledgmentNumber: .init(4), flags: .ack, window: 5, options: options)
        #expect(header.encodedLength == words * 4)
        let bytes = try emitHeader(header)
        #expect(bytes.count == words * 4)
        #expect(Int(bytes[12] >> 4) == words)
        let (parsed, length) = try parseTCP(bytes + [9, 9, 9])   // payload after the header
        #expect(length == words * 4)
        #expect(Int(parsed.dataOffset) == words)
        #expect(parsed.options == options)
    }

    @Test("window and urgent pointer extremes", arguments: [UInt16(0), 1, 0x7fff, 0x8000, 0xffff])
    func windowAndUrgent(value: UInt16) throws {
        let header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: .init(3),
                               acknowledgmentNumber: .init(4), flags: [.ack, .urg], window: value, urgentPointer: ~value)
        let parsed = try parseTCP(try emitHeader(header)).header
        #expect(parsed.window == value)
        #expect(parsed.urgentPointer == ~value)
    }

    @Test("emit refuses options longer than 40 bytes")
    func optionsTooLong() {
        let options = TCPOptions(mss: 1460, windowScale: 7, timestamp: .init(value: 1, echoReply: 2),
                                 sackBlocks: SACKBlocks((0..<4).map { SACKBlock(left: .init($0), right: .init($0 + 1)) }))
        #expect(options.encodedLength == 4 + 4 + 12 + 36)
        #expect(wireError { () throws(WireError) in try emitOptions(options) } == .optionsTooLong(56))
    }

    @Test("emit needs room for the whole header")
    func emitTooSmall() {
        let header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: .init(3),
                               acknowledgmentNumber: .init(4), flags: .syn, window: 5, options: TCPOptions(mss: 536))
        var buffer = [UInt8](repeating: 0, count: 23)
        let error = buffer.withUnsafeMutableBytes { b in wireError { () throws(WireError) in try header.emit(into: b) } }
        #expect(error == .bufferTooSmall(needed: 24, available: 23))
    }

    @Test("random headers with random options round trip through emit and parse (property)")
    func randomRoundTrip() throws {
        let seed = testSeed(0x7C9)
        var rng = SplitMix64(seed: seed)
        for i in 0..<3000 {
            let header = randomHeader(&rng)
            let bytes = try emitHeader(header)
            #expect(bytes.count == header.encodedLength)
            let (parsed, length) = try parseTCP(bytes)
            var expected = header
            expected.dataOffset = UInt8(length / 4)
            #expect(parsed == expected, "seed \(seed) iteration \(i): \(hexString(bytes))")
            #expect(try emitHeader(parsed) == bytes, "seed \(seed) iteration \(i)")
        }
    }

    @Test("random whole packets round trip through build and parse, IPv4 and IPv6 (property)")
    func randomPacketRoundTrip() throws {
        let seed = testSeed(0xB01D)
        var rng = SplitMix64(seed: seed)
        for i in 0..<2000 {
            let v6 = rng.chance(0.5)
            let (src, dst): (IPAddress, IPAddress) = v6 ? (.v6(randomIPv6(&rng)), .v6(randomIPv6(&rng)))
                                                        : (.v4(randomIPv4(&rng)), .v4(randomIPv4(&rng)))
            let header = randomHeader(&rng)
            let payload = rng.bytes(Int.random(in: 0...100, using: &rng))
            let packet = try TCPPacket.build(source: src, destination: dst, header: header, payload: payload)
            let note: Comment = "seed \(seed) iteration \(i)"
            let parsed = try parsePacket(packet)
            #expect(parsed.source == src, note)
            #expect(parsed.destination == dst, note)
            #expect(parsed.header == header.withParsedFields(of: packet), note)
            #expect(parsed.payload == payload, note)
        }
    }
}

@Suite("TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018)")
struct TCPOptionTests {
    @Test("MSS (kind 2, length 4)")
    func mss() throws {
        let o = try parseOptions(hex("02 04 05 b4"))
        #expect(o.mss == 1460)
        #expect(o == TCPOptions(mss: 1460))
        #expect(try emitOptions(o) == hex("02 04 05 b4"))
    }

    @Test("window scale (kind 3, length 3), written after a NOP")
    func windowScale() throws {
        let o = try parseOptions(hex("01 03 03 0e"))
        #expect(o.windowScale == 14)
        #expect(try emitOptions(o) == hex("01 03 03 0e"))
    }

    @Test("SACK-permitted (kind 4, length 2), alone written after two NOPs")
    func sackPermitted() throws {
        let o = try parseOptions(hex("01 01 04 02"))
        #expect(o.sackPermitted)
        #expect(o == TCPOptions(sackPermitted: true))
        #expect(try emitOptions(o) == hex("01 01 04 02"))
    }

    @Test("timestamps (kind 8, length 10), alone written after two NOPs")
    func timestamps() throws {
        let o = try parseOptions(hex("01 01 08 0a 01 02 03 04 fe dc ba 98"))
        #expect(o.timestamp == TCPTimestamp(value: 0x0102_0304, echoReply: 0xFEDC_BA98))
        #expect(try emitOptions(o) == hex("01 01 08 0a 01 02 03 04 fe dc ba 98"))
    }

    @Test("SACK-permitted with timestamps packs them as Linux does: 04 02 08 0a")
    func sackPermittedWithTimestamps() throws {
        let o = TCPOptions(sackPermitted: true, timestamp: .init(value: 5, echoReply: 6))
        #expect(try emitOptions(o) == hex("04 02 08 0a 00 00 00 05 00 00 00 06"))
        #expect(try parseOptions(hex("04 02 08 0a 00 00 00 05 00 00 00 06")) == o)
    }

    @Test("SACK blocks (kind 5, length 2 + 8n), one to four", arguments: 1...4)
    func sackBlocks(count: Int) throws {
        let blocks = (0..<count).map { k in
            SACKBlock(left: SequenceNumber(0xFFFF_FF00 &+ UInt32(k) * 0x100), right: SequenceNumber(0xFFFF_FF80 &+ UInt32(k) * 0x100))
        }
        var bytes: [UInt8] = [1, 1, 5, UInt8(2 + 8 * count)]
        for b in blocks {
            bytes += [UInt8(b.left.rawValue >> 24), UInt8(b.left.rawValue >> 16 & 0xff), UInt8(b.left.rawValue >> 8 & 0xff), UInt8(b.left.rawValue & 0xff)]
            bytes += [UInt8(b.right.rawValue >> 24), UInt8(b.right.rawValue >> 16 & 0xff), UInt8(b.right.rawValue >> 8 & 0xff), UInt8(b.right.rawValue & 0xff)]
        }
        let o = try parseOptions(bytes)
        #expect(Array(o.sackBlocks) == blocks)
        #expect(o.unknownCount == 0)
        #expect(try emitOptions(TCPOptions(sackBlocks: SACKBlocks(blocks))) == bytes)
    }

    // 42 = 2 + 8 * 5: the right shape, but five blocks cannot fit in a header (40 bytes of options).
    @Test("a SACK option whose length is not 2 + 8n (n = 1...4) is skipped, not misread", arguments: [2, 3, 9, 11, 19, 42])
    func sackBadLength(length: Int) throws {
        var bytes = [5, UInt8(length)] + [UInt8](repeating: 0x11, count: length - 2)
        while bytes.count % 4 != 0 { bytes.append(1) }
        bytes += hex("02 04 05 b4")
        let o = try parseOptions(bytes)
        #expect(o.sackBlocks.isEmpty)
        #expect(o.unknownCount == 1)
        #expect(o.mss == 1460)
    }

    @Test("SACKBlocks holds at most four")
    func sackCapacity() {
        var blocks = SACKBlocks()
        for k in 0..<4 {
            let added = blocks.append(SACKBlock(left: .init(UInt32(k)), right: .init(UInt32(k) + 1)))
            #expect(added)
        }
        let fifth = blocks.append(SACKBlock(left: .init(9), right: .init(10)))
        #expect(!fifth)
        #expect(blocks.count == 4)
        #expect(blocks.last == SACKBlock(left: .init(3), right: .init(4)))
        #expect(SACKBlocks((0..<6).map { SACKBlock(left: .init(UInt32($0)), right: .init(UInt32($0))) }).count == 4)
    }

    @Test("EOL (kind 0) ends the list: what follows is not read, even garbage")
    func endOfList() throws {
        let o = try parseOptions(hex("02 04 05 b4 00 03 00 ff"))   // 03 00 would be a bad length
        #expect(o == TCPOptions(mss: 1460))
        #expect(try parseOptions(hex("00 02 04 05")) == TCPOptions())
    }

    @Test("NOPs (kind 1) anywhere are skipped")
    func noOps() throws {
        let o = try parseOptions(hex("01 01 01 02 04 02 18 01 01 01 03 03 02 01 01 01"))
        #expect(o == TCPOptions(mss: 536, windowScale: 2))
        #expect(try parseOptions(hex("01 01 01 01")) == TCPOptions())
    }

    @Test("unknown kinds are skipped by their length and counted", arguments: [
        hex("1e 0c 00 81 01 02 03 04 05 06 07 08"),   // MPTCP (30), 12 bytes
        hex("22 03 00"),                              // TCP Fast Open (34) with an odd cookie length
        hex("fe 04 12 34"),                           // RFC 6994 experimental (254), not Fast Open's magic
        hex("13 12") + [UInt8](repeating: 0xaa, count: 16),   // TCP MD5 (19), 18 bytes
        hex("02 03 05"),                              // MSS with a wrong length: skipped like Linux
        hex("08 06 00 00 00 01"),                     // timestamps with a wrong length
        hex("03 04 07 00"),                           // window scale with a wrong length
        hex("04 03 00"),                              // SACK-permitted with a wrong length
    ])
    func unknownSkipped(unknown: [UInt8]) throws {
        // Known options before and after, so a wrong skip would misread the one after.
        var bytes = hex("01 03 03 07") + unknown
        bytes += hex("02 04 05 b4")
        let o = try parseOptions(bytes)
        #expect(o.unknownCount == 1)
        #expect(o.windowScale == 7)
        #expect(o.mss == 1460)
        var twice = unknown + unknown
        twice += hex("01 01 04 02")
        let o2 = try parseOptions(twice)
        #expect(o2.unknownCount == 2)
        #expect(o2.sackPermitted)
    }

    @Test("emit of every combination of options: lengths match and parse gives them back")
    func allCombinations() throws {
        for bits in 0..<32 {
            var o = TCPOptions()
            if bits & 1 != 0 { o.mss = 1220 }
            if bits & 2 != 0 { o.windowScale = 9 }
            if bits & 4 != 0 { o.sackPermitted = true }
            if bits & 8 != 0 { o.timestamp = .init(value: 0xAABB_CCDD, echoReply: 0x1122_3344) }
            if bits & 16 != 0 { o.sackBlocks = SACKBlocks([SACKBlock(left: .init(1), right: .init(2))]) }
            let bytes = try emitOptions(o)
            #expect(bytes.count == o.encodedLength, "combination \(bits)")
            #expect(bytes.count % 4 == 0)
            #expect(try parseOptions(bytes) == o, "combination \(bits): \(hexString(bytes))")
            #expect(o.isEmpty == (bits == 0))
        }
    }

    @Test("Linux SYN layout: MSS, SACK-permitted+TS packed, NOP + window scale")
    func linuxSynLayout() throws {
        let o = TCPOptions(mss: 1460, windowScale: 7, sackPermitted: true,
                           timestamp: .init(value: 0x0A1B_2C3D, echoReply: 0))
        #expect(try emitOptions(o) == hex("02 04 05 b4 04 02 08 0a 0a 1b 2c 3d 00 00 00 00 01 03 03 07"))
    }

    @Test("random option lists of known and unknown kinds parse to what was put in (property)")
    func randomOptionLists() throws {
        let seed = testSeed(0x0F7)
        var rng = SplitMix64(seed: seed)
        for i in 0..<3000 {
            var bytes: [UInt8] = []
            var expected = TCPOptions()
            // Build up to 40 bytes of options in random order and layout, remembering the last of each.
            while true {
                var piece: [UInt8]
                switch Int.random(in: 0..<8, using: &rng) {
                case 0: piece = [1]
                case 1:
                    let mss = UInt16.random(in: .min ... .max, using: &rng)
                    piece = [2, 4, UInt8(mss >> 8), UInt8(mss & 0xff)]
                    if bytes.count + piece.count <= 40 { expected.mss = mss }
                case 2:
                    let ws = UInt8.random(in: .min ... .max, using: &rng)
                    piece = [3, 3, ws]
                    if bytes.count + piece.count <= 40 { expected.windowScale = ws }
                case 3:
                    piece = [4, 2]
                    if bytes.count + piece.count <= 40 { expected.sackPermitted = true }
                case 4:
                    let v = rng.bytes(8)
                    piece = [8, 10] + v
                    if bytes.count + piece.count <= 40 {
                        expected.timestamp = TCPTimestamp(value: be32(v, 0), echoReply: be32(v, 4))
                    }
                case 5:
                    let n = Int.random(in: 1...4, using: &rng)
                    let v = rng.bytes(8 * n)
                    piece = [5, UInt8(2 + 8 * n)] + v
                    if bytes.count + piece.count <= 40 {
                        expected.sackBlocks = SACKBlocks((0..<n).map {
                            SACKBlock(left: .init(be32(v, 8 * $0)), right: .init(be32(v, 8 * $0 + 4)))
                        })
                    }
                default:
                    // An unknown kind: anything but 0...5, 8 and Fast Open's 34 and 254.
                    var kind = UInt8.random(in: 6...255, using: &rng)
                    if kind == 8 || kind == 34 || kind == 254 { kind = 99 }
                    let length = Int.random(in: 2...12, using: &rng)
                    piece = [kind, UInt8(length)] + rng.bytes(length - 2)
                    if bytes.count + piece.count <= 40 { expected.unknownCount += 1 }
                }
                if bytes.count + piece.count > 40 { break }
                bytes += piece
            }
            #expect(try parseOptions(bytes) == expected, "seed \(seed) iteration \(i): \(hexString(bytes))")
        }
    }

    @Test("the option area is whole 32-bit words, NOP or zero padded: no byte left over from the buffer (RFC 9293 §3.1 MUST-69)")
    func paddingIsZeroOrNOP() throws {
        let blocks = [SACKBlock(left: .init(100), right: .init(200)), SACKBlock(left: .init(300), right: .init(400)),
                      SACKBlock(left: .init(500), right: .init(600))]
        for combination in 0..<64 {
            let options = TCPOptions(
                mss: combination & 1 != 0 ? 1460 : nil,
                windowScale: combination & 2 != 0 ? 7 : nil,
                sackPermitted: combination & 4 != 0,
                timestamp: combination & 8 != 0 ? TCPTimestamp(value: 1, echoReply: 2) : nil,
                sackBlocks: SACKBlocks(Array(blocks.prefix(combination >> 4))))
            guard options.encodedLength <= 40 else { continue }
            // `emitted` fills the buffer with 0xEE first: a byte the writer skipped would show.
            let bytes = try emitOptions(options)
            #expect(bytes.count % 4 == 0, "options \(combination): \(bytes.count) bytes")
            var i = 0
            var ended = false
            while i < bytes.count {
                switch bytes[i] {
                case 0: ended = true; i += 1
                case 1:
                    #expect(!ended, "options \(combination): NOP after EOL")
                    i += 1
                default:
                    #expect(!ended, "options \(combination): option after EOL")
                    let length = Int(bytes[i + 1])
                    #expect(length >= 2 && i + length <= bytes.count, "options \(combination): bad length at \(i)")
                    i += max(2, length)
                }
            }
            #expect(try parseOptions(bytes) == options, "options \(combination) round trip")
        }
    }
}
