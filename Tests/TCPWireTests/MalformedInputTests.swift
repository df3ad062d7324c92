// Malformed input is an ordinary result: every case below ends in a specific WireError, never a trap
// and never a value read from outside the bytes given. Rules: RFC 791 §3.1 (IHL, total length),
// RFC 8200 §3 (payload length), RFC 9293 §3.1 (data offset) and §3.2 (option lengths).

import Testing
import TCPWire

/// A TCP segment with the given options (padded to 4 bytes by the caller) and payload.
private func tcpSegment(options: [UInt8], payload: [UInt8] = []) -> [UInt8] {
    precondition(options.count % 4 == 0 && options.count <= 40)
    var b = hex("30 39 00 50 00 00 00 01 00 00 00 00 00 02 72 10 00 00 00 00")
    b[12] = UInt8(5 + options.count / 4) << 4
    return b + options + payload
}

@Suite("Malformed input")
struct MalformedInputTests {
    @Test("every truncation of a valid packet is a typed error of the right kind", arguments: [false, true])
    func everyPrefixOfPacket(v6: Bool) {
        let packet = samplePacket(v6: v6)
        let ipLength = v6 ? 40 : 20
        for n in 0..<packet.count {
            let prefix = Array(packet[0..<n])
            let expected: WireError
            if n == 0 {
                expected = .truncated(layer: .ipv4, needed: 20, available: 0)   // not even a version
            } else if n < ipLength {
                expected = .truncated(layer: v6 ? .ipv6 : .ipv4, needed: ipLength, available: n)
            } else {
                // The IP length field still promises the whole packet.
                expected = .badTotalLength(declared: packet.count, available: n)
            }
            #expect(wireError { () throws(WireError) in try parsePacket(prefix) } == expected, "prefix \(n)")
            #expect(wireError { () throws(WireError) in try parsePacket(prefix, verifyChecksum: false) } == expected, "prefix \(n)")
        }
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == nil)
    }

    @Test("every truncation of a TCP segment: too short, then data offset past the end, then fine")
    func everyPrefixOfSegment() {
        let packet = samplePacket(v6: false)
        let tcp = Array(packet[20...])
        let headerLength = sampleHeader().encodedLength
        for n in 0...tcp.count {
            let error = wireError { () throws(WireError) in try parseTCP(Array(tcp[0..<n])) }
            if n < 20 {
                #expect(error == .truncated(layer: .tcp, needed: 20, available: n), "prefix \(n)")
            } else if n < headerLength {
                #expect(error == .badDataOffset(headerLength / 4), "prefix \(n)")
            } else {
                #expect(error == nil, "prefix \(n): only the payload is shorter")
            }
        }
    }

    @Test("every truncation of an option list ends in a value or badOptionLength")
    func everyPrefixOfOptions() throws {
        let options = Array(KnownVectorTests.syn[40...]) + hex("01 01 05 12") + [UInt8](repeating: 7, count: 16)
        for n in 0...options.count {
            switch wireError({ () throws(WireError) in try parseOptions(Array(options[0..<n])) }) {
            case nil, .badOptionLength?: break
            case let other?: Issue.record("prefix \(n): \(other)")
            }
        }
        // A few exactly: a kind with no length byte, and a length running past the end.
        #expect(wireError { () throws(WireError) in try parseOptions(hex("02")) } == .badOptionLength(kind: 2, length: -1))
        #expect(wireError { () throws(WireError) in try parseOptions(hex("02 04 05")) } == .badOptionLength(kind: 2, length: 4))
        #expect(try parseOptions(hex("02 04 05 b4")).mss == 1460)
    }

    @Test("data offset below 5 words", arguments: 0...4)
    func dataOffsetTooSmall(words: UInt8) {
        var tcp = tcpSegment(options: [], payload: [1, 2, 3, 4, 5, 6, 7, 8])
        tcp[12] = words << 4
        #expect(wireError { () throws(WireError) in try parseTCP(tcp) } == .badDataOffset(Int(words)))
        // The same inside a packet: the checksum is verified first (RFC 9293 §3.1), so a changed
        // data offset is a checksum failure; with the checksum made to match, the header is bad.
        var packet = samplePacket(v6: false)
        packet[20 + 12] = words << 4
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .badTCPChecksum)
        fixTCPChecksum(&packet)
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .badDataOffset(Int(words)))
    }

    @Test("data offset pointing past the end of the segment", arguments: 6...15)
    func dataOffsetTooLarge(words: UInt8) {
        var tcp = tcpSegment(options: [])   // 20 bytes, no payload
        tcp[12] = words << 4
        #expect(wireError { () throws(WireError) in try parseTCP(tcp) } == .badDataOffset(Int(words)))
        var v6 = try! TCPPacket.build(source: clientV6, destination: serverV6,
                                      header: TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: .init(3),
                                                        acknowledgmentNumber: .init(4), flags: .ack, window: 5))
        v6[40 + 12] = words << 4
        #expect(wireError { () throws(WireError) in try parsePacket(v6) } == .badTCPChecksum)
        fixTCPChecksum(&v6)
        #expect(wireError { () throws(WireError) in try parsePacket(v6) } == .badDataOffset(Int(words)))
    }

    @Test("option length 0 or 1", arguments: [UInt8(0), 1], [UInt8(2), 3, 4, 5, 8, 30, 200])
    func optionLengthTooSmall(length: UInt8, kind: UInt8) {
        let options = [kind, length, 0, 0]
        #expect(wireError { () throws(WireError) in try parseOptions(options) } == .badOptionLength(kind: kind, length: Int(length)))
        #expect(wireError { () throws(WireError) in try parseTCP(tcpSegment(options: options)) } == .badOptionLength(kind: kind, length: Int(length)))
        // After valid options, too: the error is found wherever it sits.
        let later = hex("02 04 05 b4 01 01") + [kind, length]
        #expect(wireError { () throws(WireError) in try parseTCP(tcpSegment(options: later)) } == .badOptionLength(kind: kind, length: Int(length)))
    }

    @Test("an option running past the end of the header", arguments: [
        (hex("01 01 02 04"), UInt8(2), 4),                  // MSS length 4 with 2 bytes left
        (hex("08 0a 00 00 00 00 00 00"), 8, 10),            // timestamps cut short
        (hex("01 01 01 05 0a 00 00 00"), 5, 10),            // SACK block cut short
        (hex("01 01 01 fe"), 254, -1),                      // kind in the last byte, no length byte
        (hex("02 04 05 b4 1e ff 00 00"), 30, 255),          // unknown kind claiming 255 bytes
    ])
    func optionPastHeader(options: [UInt8], kind: UInt8, length: Int) {
        // The payload after the header must not be read as option bytes.
        let tcp = tcpSegment(options: options, payload: [UInt8](repeating: 0, count: 300))
        #expect(wireError { () throws(WireError) in try parseTCP(tcp) } == .badOptionLength(kind: kind, length: length))
        #expect(wireError { () throws(WireError) in try parseOptions(options) } == .badOptionLength(kind: kind, length: length))
    }

    @Test("IPv4 total length lying: every value from 0 to 65535")
    func ipv4TotalLengthEveryValue() {
        let packet = samplePacket(v6: false)   // 20 + 44 + 13 bytes
        for total in 0...65535 {
            var lying = packet
            put16(&lying, 2, UInt16(total))
            fixIPv4Checksum(&lying)
            let error = wireError { () throws(WireError) in try parsePacket(lying) }
            let expected: WireError?
            if total < 20 || total > packet.count {
                expected = .badTotalLength(declared: total, available: packet.count)
            } else if total - 20 < 20 {
                expected = .truncated(layer: .tcp, needed: 20, available: total - 20)
            } else if total < packet.count {
                // Cut short (header or payload): the checksum, verified before the header is
                // believed (RFC 9293 §3.1), no longer matches.
                expected = .badTCPChecksum
            } else {
                expected = nil
            }
            if error != expected { Issue.record("total length \(total): \(String(describing: error)), expected \(String(describing: expected))") }
        }
    }

    @Test("IPv4 IHL larger than total length or the buffer")
    func ipv4IHLBeyond() {
        var short = hex("46 00 00 14 00 00 40 00 40 06 00 00 01 02 03 04 05 06 07 08")   // IHL 24 > 20 bytes
        fixIPv4Checksum(&short)
        #expect(wireError { () throws(WireError) in try parsePacket(short) } == .badIPv4HeaderLength(24))
        var packet = samplePacket(v6: false)
        packet[0] = 0x4F                     // IHL 60 within the buffer, total length 77 still >= 60
        fixIPv4Checksum(&packet)
        // The options are the first 40 bytes of the TCP segment; what is left is too short for TCP.
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .truncated(layer: .tcp, needed: 20, available: packet.count - 60))
    }

    @Test("IPv6 payload length lying: every value from 0 to 65535")
    func ipv6PayloadLengthEveryValue() {
        let packet = samplePacket(v6: true)
        let tcpLength = packet.count - 40
        for claimed in 0...65535 {
            var lying = packet
            put16(&lying, 4, UInt16(claimed))
            let error = wireError { () throws(WireError) in try parsePacket(lying) }
            let expected: WireError?
            if claimed > tcpLength {
                expected = .badTotalLength(declared: 40 + claimed, available: packet.count)
            } else if claimed < 20 {
                expected = .truncated(layer: .tcp, needed: 20, available: claimed)
            } else if claimed < tcpLength {
                expected = .badTCPChecksum
            } else {
                expected = nil
            }
            if error != expected { Issue.record("payload length \(claimed): \(String(describing: error)), expected \(String(describing: expected))") }
        }
    }

    @Test("a version nibble that is neither 4 nor 6", arguments: [UInt8(0), 1, 5, 7, 15])
    func unknownVersion(version: UInt8) {
        var packet = samplePacket(v6: false)
        packet[0] = version << 4 | 5
        #expect(wireError { () throws(WireError) in try parsePacket(packet) } == .badIPVersion(version))
        #expect(wireError { () throws(WireError) in try parsePacket([version << 4]) } == .badIPVersion(version))
    }

    @Test("errors describe themselves")
    func descriptions() {
        #expect(WireError.truncated(layer: .tcp, needed: 20, available: 3).description == "truncated tcp: need 20 bytes, have 3")
        #expect(WireError.badOptionLength(kind: 2, length: 1).description == "bad length 1 for TCP option 2")
        #expect(WireError.badTCPChecksum.description == "bad TCP checksum")
    }
}
