// Helpers shared by the TCPWire tests: a seeded PRNG, hex literals, a reference checksum, and
// wrappers that run the pointer-based parsers over arrays.

import TCPWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Deterministic randomness

extension SplitMix64 {
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var word: UInt64 = 0
        for i in 0..<count {
            if i % 8 == 0 { word = next() }
            out[i] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(i % 8)))
        }
        return out
    }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// The seed for the randomised tests: `TCPWIRE_SEED` from the environment when set (decimal or
/// 0x-hex, to replay a failure), otherwise the fixed value given, so every run is the same.
func testSeed(_ fallback: UInt64) -> UInt64 {
    guard let p = getenv("TCPWIRE_SEED") else { return fallback }
    let text = String(cString: p)
    if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) ?? fallback }
    return UInt64(text) ?? fallback
}

// MARK: - Bytes

/// Bytes from hex text; whitespace and newlines are ignored, so vectors can be laid out like a
/// packet dump.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

func be16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
func be32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(be16(b, at)) << 16 | UInt32(be16(b, at + 2)) }
func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) { b[at] = UInt8(v >> 8); b[at + 1] = UInt8(v & 0xff) }

// MARK: - Reference checksum

/// RFC 1071 written out the slow, obvious way: sum big-endian 16-bit words (an odd last byte is
/// padded with zero on the right), fold the carries back in, complement.
func referenceChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i < bytes.count {
        let high = UInt32(bytes[i])
        let low = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
        sum += high << 8 | low
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        i += 2
    }
    return ~UInt16(sum)
}

/// Recomputes the IPv4 header checksum in place (with the reference implementation), so a test can
/// change a header field and still reach the check it is aimed at.
func fixIPv4Checksum(_ packet: inout [UInt8]) {
    let ihl = Int(packet[0] & 0x0f) * 4
    put16(&packet, 10, 0)
    put16(&packet, 10, referenceChecksum(Array(packet[0..<min(ihl, packet.count)])))
}

/// Recomputes the TCP checksum of a whole IPv4 or IPv6 packet in place (reference implementation,
/// RFC 9293 §3.1 pseudo-header), so a test can change a TCP header field and still get past the
/// checksum to the check it is aimed at.
func fixTCPChecksum(_ packet: inout [UInt8]) {
    let v6 = packet[0] >> 4 == 6
    let ipLength = v6 ? 40 : Int(packet[0] & 0x0f) * 4
    let tcpLength = packet.count - ipLength
    put16(&packet, ipLength + 16, 0)
    var pseudo: [UInt8]
    if v6 {
        pseudo = Array(packet[8..<40]) + [0, 0, UInt8(tcpLength >> 8), UInt8(tcpLength & 0xff), 0, 0, 0, 6]
    } else {
        pseudo = Array(packet[12..<20]) + [0, 6, UInt8(tcpLength >> 8), UInt8(tcpLength & 0xff)]
    }
    put16(&packet, ipLength + 16, referenceChecksum(pseudo + Array(packet[ipLength...])))
}

// MARK: - Running the parsers over arrays

/// What `TCPPacket.parse` found, with the payload copied out of the borrowed buffer.
struct Segment: Equatable {
    var source: IPAddress
    var destination: IPAddress
    var header: TCPHeader
    var payload: [UInt8]
    var hopLimit: UInt8
    var sourceSocket: SocketAddress
    var destinationSocket: SocketAddress
}

func parsePacket(_ bytes: [UInt8], verifyChecksum: Bool = true) throws(WireError) -> Segment {
    let result: Result<Segment, WireError> = bytes.withUnsafeBytes { raw in
        Result { () throws(WireError) -> Segment in
            let view = try TCPPacket.parse(raw, verifyChecksum: verifyChecksum)
            return Segment(source: view.source, destination: view.destination, header: view.header,
                           payload: Array(view.payload), hopLimit: view.hopLimit,
                           sourceSocket: view.sourceSocket, destinationSocket: view.destinationSocket)
        }
    }
    return try result.get()
}

func parseIPv4(_ bytes: [UInt8]) throws(WireError) -> IPv4Header {
    try bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try IPv4Header.parse(raw) } }.get()
}

func parseIPv6(_ bytes: [UInt8]) throws(WireError) -> IPv6Header {
    try bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try IPv6Header.parse(raw) } }.get()
}

func parseTCP(_ bytes: [UInt8]) throws(WireError) -> (header: TCPHeader, length: Int) {
    try bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try TCPHeader.parse(raw) } }.get()
}

func parseOptions(_ bytes: [UInt8]) throws(WireError) -> TCPOptions {
    try bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try TCPOptions.parse(raw) } }.get()
}

/// The typed error a throwing call ends in, or nil when it returns a value.
func wireError<T>(_ body: () throws(WireError) -> T) -> WireError? {
    do { _ = try body(); return nil } catch { return error }
}

/// `emit` into a fresh array sized generously; returns exactly the bytes written.
func emitted(_ emit: (UnsafeMutableRawBufferPointer) throws(WireError) -> Int, capacity: Int = 128) throws(WireError) -> [UInt8] {
    var out = [UInt8](repeating: 0xEE, count: capacity)
    let n = try out.withUnsafeMutableBytes { raw in Result { () throws(WireError) in try emit(raw) } }.get()
    return Array(out[0..<n])
}

// MARK: - Building packets

let clientV4 = IPAddress.v4(IPv4Address(192, 0, 2, 1))
let serverV4 = IPAddress.v4(IPv4Address(198, 51, 100, 7))
let clientV6 = IPAddress.v6(IPv6Address("2001:db8::1")!)
let serverV6 = IPAddress.v6(IPv6Address("2001:db8:ffff::80")!)

/// An ACK segment with options and a payload: something with every part present.
func sampleHeader() -> TCPHeader {
    TCPHeader(sourcePort: 49152, destinationPort: 443, sequenceNumber: SequenceNumber(0xFFFF_FF00),
              acknowledgmentNumber: SequenceNumber(0x0102_0304), flags: [.ack, .psh], window: 501,
              options: TCPOptions(timestamp: TCPTimestamp(value: 7, echoReply: 9),
                                  sackBlocks: SACKBlocks([SACKBlock(left: .init(10), right: .init(20))])))
}

let samplePayload: [UInt8] = Array("hello, world!".utf8)  // odd length on purpose

func samplePacket(v6: Bool) -> [UInt8] {
    try! TCPPacket.build(source: v6 ? clientV6 : clientV4, destination: v6 ? serverV6 : serverV4,
                         header: sampleHeader(), payload: samplePayload)
}

/// Random options that fit in 40 bytes (what `emit` accepts).
func randomOptions(_ rng: inout SplitMix64) -> TCPOptions {
    var o = TCPOptions()
    if rng.chance(0.5) { o.mss = UInt16.random(in: .min ... .max, using: &rng) }
    if rng.chance(0.5) { o.windowScale = UInt8.random(in: 0...14, using: &rng) }
    o.sackPermitted = rng.chance(0.5)
    if rng.chance(0.5) {
        o.timestamp = TCPTimestamp(value: UInt32.random(in: .min ... .max, using: &rng),
                                   echoReply: UInt32.random(in: .min ... .max, using: &rng))
    }
    let room = (40 - o.encodedLength - 4) / 8
    if room > 0, rng.chance(0.5) {
        var blocks = SACKBlocks()
        for _ in 0..<Int.random(in: 1...min(room, 4), using: &rng) {
            let left = SequenceNumber(UInt32.random(in: .min ... .max, using: &rng))
            blocks.append(SACKBlock(left: left, right: left + UInt32.random(in: 1...65535, using: &rng)))
        }
        o.sackBlocks = blocks
    }
    return o
}

func randomHeader(_ rng: inout SplitMix64) -> TCPHeader {
    TCPHeader(sourcePort: .random(in: .min ... .max, using: &rng),
              destinationPort: .random(in: .min ... .max, using: &rng),
              sequenceNumber: SequenceNumber(.random(in: .min ... .max, using: &rng)),
              acknowledgmentNumber: SequenceNumber(.random(in: .min ... .max, using: &rng)),
              flags: TCPFlags(rawValue: .random(in: .min ... .max, using: &rng)),
              window: .random(in: .min ... .max, using: &rng),
              urgentPointer: .random(in: .min ... .max, using: &rng),
              options: randomOptions(&rng))
}

func randomIPv4(_ rng: inout SplitMix64) -> IPv4Address { IPv4Address(rawValue: .random(in: .min ... .max, using: &rng)) }
func randomIPv6(_ rng: inout SplitMix64) -> IPv6Address {
    IPv6Address(high: .random(in: .min ... .max, using: &rng), low: .random(in: .min ... .max, using: &rng))
}

/// A valid random packet, IPv4 or IPv6, with a payload of 0...maxPayload bytes.
func randomPacket(_ rng: inout SplitMix64, v6: Bool, maxPayload: Int = 64) -> [UInt8] {
    let (s, d): (IPAddress, IPAddress) = v6 ? (.v6(randomIPv6(&rng)), .v6(randomIPv6(&rng)))
                                            : (.v4(randomIPv4(&rng)), .v4(randomIPv4(&rng)))
    let payload = rng.bytes(Int.random(in: 0...maxPayload, using: &rng))
    return try! TCPPacket.build(source: s, destination: d, header: randomHeader(&rng), payload: payload,
                                hopLimit: .random(in: 1...255, using: &rng))
}
