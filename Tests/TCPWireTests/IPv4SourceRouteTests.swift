// RFC 791 §3.1: loose (131) and strict (137) source routes: type, length 3 + 4n, pointer (4, 8, …;
// past the end when the route is complete), then the addresses. Malformed options are errors,
// never traps; `insert` writes what `find` reads.

import Testing
import TCPWire

private let a = IPv4Address(192, 0, 2, 1)
private let b = IPv4Address(192, 0, 2, 2)
private let c = IPv4Address(192, 0, 2, 3)

private func find(_ bytes: [UInt8]) throws(WireError) -> IPv4SourceRoute.Received? {
    try bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try IPv4SourceRoute.find(inOptions: raw) } }.get()
}

@Suite("IPv4 source route option (RFC 791 §3.1)")
struct IPv4SourceRouteTests {
    @Test("a complete loose route after a NOP, and a strict one still under way")
    func parse() throws {
        let loose = try #require(try find([1, 131, 11, 12, 192, 0, 2, 1, 192, 0, 2, 2, 0]))
        #expect(!loose.strict && loose.complete && loose.recorded == [a, b])
        #expect(loose.returnRoute == IPv4SourceRoute(hops: [b, a]))
        let strict = try #require(try find([137, 7, 4, 192, 0, 2, 3, 0]))
        #expect(strict.strict && !strict.complete && strict.recorded == [c])
        #expect(try find([1, 1, 0, 131, 7, 4, 1, 2, 3, 4]) == nil)   // after EOL nothing is read
        #expect(try find([7, 3, 4, 0]) == nil)                         // record route, not a source route
    }

    @Test("malformed: a length past the options, a route length that is not 3 + 4n, a pointer out of range or between addresses, two routes",
          arguments: [[131, 12, 4, 1, 2, 3, 4], [131, 10, 4, 1, 2, 3, 4, 5, 6, 7], [131, 7, 3, 1, 2, 3, 4], [131, 7, 9, 1, 2, 3, 4],
                      [131, 11, 6, 1, 2, 3, 4, 5, 6, 7, 8], [131, 7, 8, 1, 2, 3, 4, 137, 7, 8, 1, 2, 3, 4], [131]] as [[UInt8]])
    func malformed(bytes: [UInt8]) {
        #expect(throws: WireError.self) { _ = try find(bytes) }
    }

    @Test("insert: destination = first hop, the option holds the rest and the final destination, pointer 4; IHL, length and checksum follow")
    func insert() throws {
        let header = TCPHeader(sourcePort: 1000, destinationPort: 80, sequenceNumber: .init(1), acknowledgmentNumber: .init(0),
                               flags: .syn, window: 1000)
        var packet = try TCPPacket.build(source: .v4(IPv4Address(10, 0, 0, 1)), destination: .v4(IPv4Address(10, 0, 0, 2)),
                                         header: header, payload: [1, 2, 3])
        let plain = packet
        packet += [UInt8](repeating: 0xEE, count: 16)
        let route = IPv4SourceRoute(strict: true, hops: [a, b, c])
        #expect(route.headerBytes == 16)
        let n = packet.withUnsafeMutableBytes { route.insert(into: $0, length: plain.count) }
        #expect(n == plain.count + 16)
        #expect(packet[0] == 0x49 && Int(packet[2]) << 8 | Int(packet[3]) == plain.count + 16)
        #expect(Array(packet[16..<20]) == [192, 0, 2, 1])
        #expect(Array(packet[20..<36]) == [137, 15, 4, 192, 0, 2, 2, 192, 0, 2, 3, 10, 0, 0, 2, 0])
        #expect(Array(packet[36...]) == Array(plain[20...]))
        let header4 = try packet.withUnsafeBytes { try IPv4Header.parse($0) }   // the header checksum verifies
        #expect(header4.headerLength == 36)
        let read = try #require(try find(Array(packet[20..<36])))
        #expect(read.strict && !read.complete && read.recorded == [b, c, IPv4Address(10, 0, 0, 2)])
        // No room, no hops, too many hops: nothing written.
        var small = plain
        #expect(small.withUnsafeMutableBytes { route.insert(into: $0, length: plain.count) } == nil)
        #expect(small == plain)
        var roomy = plain + [UInt8](repeating: 0, count: 40)
        #expect(roomy.withUnsafeMutableBytes { IPv4SourceRoute(hops: []).insert(into: $0, length: plain.count) } == nil)
        #expect(roomy.withUnsafeMutableBytes { IPv4SourceRoute(hops: Array(repeating: a, count: 10)).insert(into: $0, length: plain.count) } == nil)
    }
}
