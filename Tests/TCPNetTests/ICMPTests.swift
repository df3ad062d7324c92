import NIOConcurrencyHelpers
import Testing
import TCPCore
import TCPNet
import TCPWire

/// The driver answers ping for the stack's addresses. The test plays the other host on the raw
/// device and checks every field of the reply with a checksum computed here, independently.
@Suite(.timeLimit(.minutes(1)))
struct ICMPTests {
    /// RFC 1071 sum over 16-bit big-endian words, straightforwardly.
    static func onesComplementSum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return UInt16(sum)
    }
    static func checksum(_ bytes: [UInt8]) -> UInt16 { ~onesComplementSum(bytes) }
    static func be16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }

    static func ipv4(_ a: IPAddress) -> [UInt8] {
        guard case .v4(let v) = a else { return [] }
        return [UInt8(v.rawValue >> 24), UInt8(truncatingIfNeeded: v.rawValue >> 16), UInt8(truncatingIfNeeded: v.rawValue >> 8), UInt8(truncatingIfNeeded: v.rawValue)]
    }
    static func ipv6(_ a: IPAddress) -> [UInt8] {
        guard case .v6(let v) = a else { return [] }
        return v.bytes
    }

    static func echoRequestV4(from: IPAddress, to: IPAddress, type: UInt8 = 8, id: UInt16, seq: UInt16, data: [UInt8]) -> [UInt8] {
        var icmp: [UInt8] = [type, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xff), UInt8(seq >> 8), UInt8(seq & 0xff)] + data
        let c = checksum(icmp)
        icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xff)
        let total = 20 + icmp.count
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0, 64, 1, 0, 0] + ipv4(from) + ipv4(to)
        let h = checksum(ip)
        ip[10] = UInt8(h >> 8); ip[11] = UInt8(h & 0xff)
        return ip + icmp
    }

    static func pseudoHeaderV6(_ src: [UInt8], _ dst: [UInt8], length: Int) -> [UInt8] {
        src + dst + [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length), 0, 0, 0, 58]
    }

    static func echoRequestV6(from: IPAddress, to: IPAddress, type: UInt8 = 128, id: UInt16, seq: UInt16, data: [UInt8]) -> [UInt8] {
        var icmp: [UInt8] = [type, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xff), UInt8(seq >> 8), UInt8(seq & 0xff)] + data
        let c = checksum(pseudoHeaderV6(ipv6(from), ipv6(to), length: icmp.count) + icmp)
        icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xff)
        let ip: [UInt8] = [0x60, 0, 0, 0, UInt8(icmp.count >> 8), UInt8(icmp.count & 0xff), 58, 64] + ipv6(from) + ipv6(to)
        return ip + icmp
    }

    /// A stack on device a; the test is the host on device b and collects what comes back.
    final class Collector: Sendable {
        let received = NIOLockedValueBox<[[UInt8]]>([])
    }
    final class Host: Sendable {
        let collector = Collector()
        let devices = InMemoryDevicePair()
        let stack: NetworkStack
        init() throws {
            stack = try NetworkStack(device: devices.a, addresses: [StackPair.serverV4, StackPair.serverV6])
            try devices.b.start { [collector] p in collector.received.withLockedValue { $0.append(Array(p)) } }
        }
        func send(_ p: [UInt8]) { p.withUnsafeBytes { devices.b.send($0) } }
        var packets: [[UInt8]] { collector.received.withLockedValue { $0 } }
    }

    @Test("ping over IPv4: echo reply with addresses swapped, same id, sequence and data, valid checksums")
    func echoV4() async throws {
        let host = try Host()
        let data = Array(0..<57).map { UInt8($0 * 3 & 0xff) }   // odd length: the checksum's padding byte
        host.send(Self.echoRequestV4(from: StackPair.clientV4, to: StackPair.serverV4, id: 0xBEEF, seq: 7, data: data))
        #expect(await eventually { host.packets.count == 1 })
        let r = try #require(host.packets.first)
        #expect(r.count == 20 + 8 + data.count)
        #expect(r[0] == 0x45)
        #expect(Int(Self.be16(r, 2)) == r.count)
        #expect(r[9] == 1)
        #expect(Self.checksum(Array(r[0..<20])) == 0)            // IPv4 header checksum
        #expect(Array(r[12..<16]) == Self.ipv4(StackPair.serverV4))
        #expect(Array(r[16..<20]) == Self.ipv4(StackPair.clientV4))
        let icmp = Array(r[20...])
        #expect(icmp[0] == 0 && icmp[1] == 0)                    // echo reply, code 0
        #expect(Self.checksum(icmp) == 0)
        #expect(Self.be16(icmp, 4) == 0xBEEF && Self.be16(icmp, 6) == 7)
        #expect(Array(icmp[8...]) == data)
        let stats = await host.stack.statistics()
        #expect(stats.driver.icmpEchoRequestsAnswered == 1)
        await host.stack.shutdown()
    }

    @Test("ping over IPv6: echo reply 129, checksum over the pseudo-header")
    func echoV6() async throws {
        let host = try Host()
        let data = Array("abcdefghijklmnopqrstuvwxyz!".utf8)
        host.send(Self.echoRequestV6(from: StackPair.clientV6, to: StackPair.serverV6, id: 0x0102, seq: 0xFFFE, data: data))
        #expect(await eventually { host.packets.count == 1 })
        let r = try #require(host.packets.first)
        #expect(r.count == 40 + 8 + data.count)
        #expect(r[0] >> 4 == 6)
        #expect(Int(Self.be16(r, 4)) == 8 + data.count)
        #expect(r[6] == 58)
        #expect(Array(r[8..<24]) == Self.ipv6(StackPair.serverV6))
        #expect(Array(r[24..<40]) == Self.ipv6(StackPair.clientV6))
        let icmp = Array(r[40...])
        #expect(icmp[0] == 129 && icmp[1] == 0)
        #expect(Self.checksum(Self.pseudoHeaderV6(Array(r[8..<24]), Array(r[24..<40]), length: icmp.count) + icmp) == 0)
        #expect(Self.be16(icmp, 4) == 0x0102 && Self.be16(icmp, 6) == 0xFFFE)
        #expect(Array(icmp[8...]) == data)
        await host.stack.shutdown()
    }

    @Test("other ICMP, bad checksums, pings for other addresses and UDP are counted, not answered")
    func ignoredAndCounted() async throws {
        let host = try Host()
        // An echo reply (type 0) and a destination unreachable (type 3): not answered.
        host.send(Self.echoRequestV4(from: StackPair.clientV4, to: StackPair.serverV4, type: 0, id: 1, seq: 1, data: [1]))
        host.send(Self.echoRequestV4(from: StackPair.clientV4, to: StackPair.serverV4, type: 3, id: 1, seq: 1, data: []))
        // ICMPv6 router solicitation (133).
        host.send(Self.echoRequestV6(from: StackPair.clientV6, to: StackPair.serverV6, type: 133, id: 0, seq: 0, data: []))
        // A ping for an address that is not the stack's.
        host.send(Self.echoRequestV4(from: StackPair.clientV4, to: IPAddress("198.18.0.99")!, id: 1, seq: 1, data: [1]))
        // A ping with a broken ICMP checksum, and an IPv6 one with a broken pseudo-header checksum.
        var bad = Self.echoRequestV4(from: StackPair.clientV4, to: StackPair.serverV4, id: 1, seq: 1, data: [1, 2])
        bad[bad.count - 1] ^= 0xff
        host.send(bad)
        var bad6 = Self.echoRequestV6(from: StackPair.clientV6, to: StackPair.serverV6, id: 1, seq: 1, data: [1, 2])
        bad6[8] ^= 1   // source address changed: the pseudo-header no longer matches
        host.send(bad6)
        // UDP (17), and a truncated ICMP message.
        var udp = Self.echoRequestV4(from: StackPair.clientV4, to: StackPair.serverV4, id: 1, seq: 1, data: [])
        udp[9] = 17; udp[10] = 0; udp[11] = 0
        let h = Self.checksum(Array(udp[0..<20])); udp[10] = UInt8(h >> 8); udp[11] = UInt8(h & 0xff)
        host.send(udp)
        var short: [UInt8] = [0x45, 0, 0, 24, 0, 0, 0, 0, 64, 1, 0, 0] + Self.ipv4(StackPair.clientV4) + Self.ipv4(StackPair.serverV4) + [8, 0, 0, 0]
        let hs = Self.checksum(Array(short[0..<20])); short[10] = UInt8(hs >> 8); short[11] = UInt8(hs & 0xff)
        host.send(short)
        // Finally a good ping: once it is answered, everything before it was processed.
        host.send(Self.echoRequestV4(from: StackPair.clientV4, to: StackPair.serverV4, id: 9, seq: 9, data: [9]))
        #expect(await eventually { host.packets.count >= 1 })
        #expect(host.packets.count == 1)
        let d = await host.stack.statistics().driver
        #expect(d.icmpEchoRequestsAnswered == 1)
        // The Destination Unreachable goes to the engine (ICMPErrorTests), which finds no quote in it.
        #expect(d.icmpIgnored == 3)
        #expect(d.icmpErrorsPassedUp == 1)
        #expect(await host.stack.statistics().tcp.malformed[.truncated(layer: .icmpQuote, needed: 20, available: 0)] == 1)
        #expect(d.icmpMalformed == 3)
        #expect(d.otherProtocolDropped == 1)
        #expect(d.packetsReceived == 9)
        await host.stack.shutdown()
    }
}
