// IPv4 text: four decimal numbers 0...255 (the strict form of RFC 6943 §3.1.1, as inet_pton
// accepts it). IPv6 text: parsed per RFC 4291 §2.2, printed per RFC 5952 §4 (lower case, no
// leading zeros, the longest run of two or more zero groups as "::", the first such run on a tie).

import Testing
import TCPWire

@Suite("Addresses")
struct AddressTests {
    @Test("IPv4 dotted quads round trip", arguments: [
        ("0.0.0.0", UInt32(0)),
        ("255.255.255.255", 0xFFFF_FFFF),
        ("192.0.2.1", 0xC000_0201),
        ("10.0.0.1", 0x0A00_0001),
        ("198.18.0.1", 0xC612_0001),
        ("127.0.0.1", 0x7F00_0001),
        ("1.23.45.255", 0x0117_2DFF),
    ])
    func ipv4RoundTrip(text: String, raw: UInt32) throws {
        let a = try #require(IPv4Address(text))
        #expect(a.rawValue == raw)
        #expect(a == IPv4Address(rawValue: raw))
        #expect(a.description == text)
    }

    @Test("IPv4 octet constructor puts the first octet in the high byte")
    func ipv4Octets() {
        #expect(IPv4Address(192, 0, 2, 1).rawValue == 0xC000_0201)
        #expect(IPv4Address(192, 0, 2, 1).description == "192.0.2.1")
    }

    @Test("invalid IPv4 text is rejected", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1..2.3", ".1.2.3", "1.2.3.", "a.b.c.d",
        "1.2.3.-4", "+1.2.3.4", "1.+2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n", "1234.1.1.1", "1.2.3.0x4",
        "１.2.3.4",          // fullwidth digit
        "١.2.3.4",           // Arabic-Indic digit
        "01.2.3.4", "1.2.3.010", "00.0.0.0",   // leading zeros: octal to inet_aton, ambiguous
        "::1", "1.2.3.4/24",
    ])
    func ipv4Invalid(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test("IPv6 canonical text (RFC 5952) round trips exactly", arguments: [
        "::",
        "::1",
        "1::",
        "2001:db8::1",
        "fe80::1:2",
        "ff02::2",
        "1:2:3:4:5:6:7:8",
        "2001:db8:0:1:1:1:1:1",              // a single zero group is not compressed (§4.2.2)
        "2001:db8::1:0:0:1",                 // two runs of two: the first is compressed (§4.2.3)
        "2001:0:0:1::1",                     // the longest run wins over an earlier shorter one (§4.2.3)
        "1:0:2::3:0:4",
        "1:2:3:4:5:6:7:0",                   // trailing single zero stays
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
    ])
    func ipv6Canonical(text: String) throws {
        let a = try #require(IPv6Address(text))
        #expect(a.description == text)
        #expect(IPv6Address(a.description) == a)
    }

    @Test("other valid IPv6 forms parse and print canonically", arguments: [
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8::0:1", "2001:db8::1"),
        ("2001:DB8::AbC", "2001:db8::abc"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),   // RFC 4291 allows "::" for one group; RFC 5952 prints it
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("fe80:0000::0001:0002", "fe80::1:2"),
        ("0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8"),
    ])
    func ipv6Canonicalised(text: String, canonical: String) throws {
        let a = try #require(IPv6Address(text))
        #expect(a.description == canonical)
        #expect(IPv6Address(canonical) == a)
    }

    @Test("invalid IPv6 text is rejected", arguments: [
        "", ":", ":::", "::::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1",
        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", ":1::", "1::2:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:",
        "+1::", "::+1", "::-0", "-1::", "0x1::",    // signs and prefixes are not hex digits
        "1.2.3.4", " ::1", "::1 ", "fe80::1%eth0", "[::1]", "::ffff:1.2.3.4",
        "１::",                                      // fullwidth digit
    ])
    func ipv6Invalid(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test("IPv6 bytes are in network order")
    func ipv6Bytes() throws {
        let a = try #require(IPv6Address("2001:db8::ff:1"))
        #expect(a.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 1])
        #expect(a.high == 0x2001_0DB8_0000_0000)
        #expect(a.low == 0x0000_0000_00FF_0001)
    }

    @Test("random addresses, many with zero groups, print canonically and parse back")
    func randomRoundTrip() {
        let seed = testSeed(0xADD8)
        var rng = SplitMix64(seed: seed)
        for i in 0..<5000 {
            // Each group zero with probability 1/2, so runs of every length and position occur.
            var groups: [UInt64] = []
            for _ in 0..<8 { groups.append(rng.chance(0.5) ? 0 : UInt64(UInt16.random(in: 1...0xffff, using: &rng))) }
            let a = IPv6Address(high: groups[0..<4].reduce(0) { $0 << 16 | $1 }, low: groups[4..<8].reduce(0) { $0 << 16 | $1 })
            let text = a.description
            let note: Comment = "seed \(seed) iteration \(i): \(text)"
            #expect(IPv6Address(text) == a, note)
            #expect(text == text.lowercased(), note)
            #expect(!text.contains(":::"), note)
            #expect(text.ranges(of: "::").count <= 1, note)
            // No group has a leading zero; a lone "0" group is fine.
            for g in text.split(separator: ":") { #expect(g == "0" || !g.hasPrefix("0"), note) }
            // "::" replaces the longest zero run, and only one of two or more groups.
            let longest = Self.longestZeroRun(groups)
            #expect(text.contains("::") == (longest >= 2), note)

            let v4 = IPv4Address(rawValue: UInt32.random(in: .min ... .max, using: &rng))
            #expect(IPv4Address(v4.description) == v4, "seed \(seed) iteration \(i): \(v4)")
        }
    }

    private static func longestZeroRun(_ groups: [UInt64]) -> Int {
        var best = 0, run = 0
        for g in groups { run = g == 0 ? run + 1 : 0; best = max(best, run) }
        return best
    }

    @Test("IPAddress takes either family; SocketAddress brackets IPv6")
    func ipAddressAndSocket() throws {
        #expect(IPAddress("192.0.2.1") == .v4(IPv4Address(192, 0, 2, 1)))
        #expect(IPAddress("::1") == .v6(IPv6Address(high: 0, low: 1)))
        #expect(IPAddress("nonsense") == nil)
        #expect(IPAddress("::1")!.isIPv6)
        #expect(!IPAddress("1.2.3.4")!.isIPv6)
        #expect(SocketAddress(try #require(IPAddress("2001:db8::1")), 443).description == "[2001:db8::1]:443")
        #expect(SocketAddress(try #require(IPAddress("10.0.0.1")), 80).description == "10.0.0.1:80")
    }
}
