// IPv4 source routes (RFC 791 §3.1; RFC 1122 §3.3.5, §4.2.3.8; RFC 9293 MUST-51, MUST-52, MUST-53,
// SHLD-24): off by default, and dropped; when accepted, answers go back along the reversed route;
// the application can give a route, which wins over a received one.

import Testing
import TCPWire
import TCPCore

private let r1 = IPv4Address(192, 0, 2, 11)
private let r2 = IPv4Address(192, 0, 2, 12)
private let r3 = IPv4Address(192, 0, 2, 13)
private let ours4 = SocketAddress(ourIP, ourPort)
private let peer4 = SocketAddress(peerIP, peerPort)

/// Recomputes an IPv4 header's checksum over its IHL.
private func setHeaderChecksum(_ p: inout [UInt8]) {
    let ihl = Int(p[0] & 0x0f) * 4
    p[10] = 0; p[11] = 0
    let sum = p.withUnsafeBytes { InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: $0[0..<ihl])) }
    p[10] = UInt8(sum >> 8); p[11] = UInt8(sum & 0xff)
}

/// `packet` (a plain IPv4 packet) as it arrives at its destination after travelling a source
/// route: the option, with the pointer past its end, holds the addresses recorded on the way.
private func routed(_ packet: [UInt8], recorded: [IPv4Address], strict: Bool = false, complete: Bool = true) -> [UInt8] {
    let optionLength = 3 + 4 * recorded.count
    var option: [UInt8] = [strict ? 137 : 131, UInt8(optionLength), UInt8(complete ? optionLength + 1 : 4)]
    for a in recorded { option += withUnsafeBytes(of: a.rawValue.bigEndian) { Array($0) } }
    while option.count % 4 != 0 { option.append(0) }
    var p = Array(packet[0..<20]) + option + Array(packet[20...])
    p[0] = 0x40 | UInt8(p.count - packet.count + 20) / 4
    p[2] = UInt8(p.count >> 8); p[3] = UInt8(p.count & 0xff)
    setHeaderChecksum(&p)
    return p
}

/// A packet the stack sent along a source route: the route (first hop from the destination field,
/// the rest from the option) and the packet as its final destination gets it (option removed,
/// destination = the option's last address), parsed with its TCP checksum verified.
private struct RoutedPacket {
    var strict: Bool
    var firstHop: IPv4Address
    var optionAddresses: [IPv4Address]
    var pointer: Int
    var segment: Seg
    var source: SocketAddress
    var destination: SocketAddress

    init?(_ p: [UInt8]) {
        let ihl = Int(p[0] & 0x0f) * 4
        guard ihl > 20, p[20] == 131 || p[20] == 137 else { return nil }
        strict = p[20] == 137
        let length = Int(p[21])
        pointer = Int(p[22])
        firstHop = IPv4Address(p[16], p[17], p[18], p[19])
        optionAddresses = stride(from: 23, to: 20 + length, by: 4).map { IPv4Address(p[$0], p[$0 + 1], p[$0 + 2], p[$0 + 3]) }
        // Deliver it: the final destination into the header, the option out.
        var plain = Array(p[0..<20]) + Array(p[ihl...])
        plain[0] = 0x45
        plain[2] = UInt8(plain.count >> 8); plain[3] = UInt8(plain.count & 0xff)
        let last = optionAddresses.last!.rawValue
        plain[16] = UInt8(last >> 24); plain[17] = UInt8(last >> 16 & 0xff); plain[18] = UInt8(last >> 8 & 0xff); plain[19] = UInt8(last & 0xff)
        setHeaderChecksum(&plain)
        guard let view = try? plain.withUnsafeBytes({ try TCPPacket.parse($0) }) else { return nil }
        segment = Seg(view)
        source = view.sourceSocket
        destination = view.destinationSocket
    }
}

private struct Host {
    var stack: TCPStack
    var now = Instant.zero

    init(accept: Bool) {
        var rng = SplitMix64(seed: 3)
        stack = TCPStack(addresses: [ourIP, ourIP6], configuration: Harness.configuration { $0.acceptSourceRoute = accept }, random: &rng, secrets: .seeded)
    }

    mutating func deliver(_ packet: [UInt8]) { stack.handle(ipPacket: packet, now: now) }

    /// Raw packets the stack sends.
    mutating func poll() -> [[UInt8]] {
        var buffer = [UInt8](repeating: 0, count: 70_000)
        var out: [[UInt8]] = []
        while let n = buffer.withUnsafeMutableBytes({ stack.pollTransmit(now: now, into: $0) }) { out.append(Array(buffer[0..<n])) }
        return out
    }
}

@Suite("IPv4 source routes (RFC 1122 §4.2.3.8)")
struct SourceRouteTests {
    @Test("off by default: a source-routed SYN is dropped and counted, with no answer; a broken or unfinished route is dropped too")
    func droppedByDefault() throws {
        var host = Host(accept: false)
        _ = try host.stack.listen(port: ourPort)
        let syn = Seg(.syn, seq: peerISS, mss: 1460).packet(from: peer4, to: ours4)
        host.deliver(routed(syn, recorded: [r1, r2]))
        #expect(host.poll().isEmpty)
        #expect(host.stack.statistics.dropCount(.sourceRouted) == 1)
        #expect(host.stack.connectionCount == 0)

        var on = Host(accept: true)
        _ = try on.stack.listen(port: ourPort)
        on.deliver(routed(syn, recorded: [r1, r2], complete: false))
        #expect(on.stack.statistics.dropCount(.sourceRouteIncomplete) == 1)
        var bad = routed(syn, recorded: [r1, r2])
        bad[21] = 10   // a route length that is not 3 + 4n
        setHeaderChecksum(&bad)
        on.deliver(bad)
        #expect(on.stack.statistics.dropCount(.malformed) == 1)
        #expect(on.poll().isEmpty && on.stack.connectionCount == 0)
        // The plain SYN still works.
        host.deliver(syn)
        #expect(host.poll().count == 1)
    }

    @Test("accepted: the SYN-ACK and the data go back along the reversed route, loose or strict, and the MSS leaves room for the option (MUST-53)",
          arguments: [false, true])
    func answersAlongTheReverseRoute(strict: Bool) throws {
        var host = Host(accept: true)
        let listener = try host.stack.listen(port: ourPort)
        host.deliver(routed(Seg(.syn, seq: peerISS, mss: 1460).packet(from: peer4, to: ours4), recorded: [r1, r2], strict: strict))
        let synAck = try #require(host.poll().first.flatMap(RoutedPacket.init))
        // Recorded r1 then r2 on the way here: back through r2, then r1, to the peer.
        #expect(synAck.strict == strict)
        #expect(synAck.firstHop == r2)
        #expect(synAck.optionAddresses == [r1, IPv4Address(10, 0, 0, 2)])
        #expect(synAck.pointer == 4)
        #expect(synAck.segment.flags == [.syn, .ack] && synAck.segment.ack == peerISS + 1)
        #expect(synAck.source == ours4 && synAck.destination == peer4)
        let iss = synAck.segment.seq
        host.deliver(routed(Seg(.ack, seq: peerISS + 1, ack: iss + 1).packet(from: peer4, to: ours4), recorded: [r1, r2], strict: strict))
        let conn = try #require(try host.stack.accept(listener))
        // 1460 less the 12 bytes of the option (two addresses: 3 + 8, padded).
        #expect(host.stack.info(of: conn)?.sendMSS == 1448)
        #expect(host.stack.sourceRoute(of: conn) == IPv4SourceRoute(strict: strict, hops: [r2, r1]))
        _ = try host.stack.send(conn, [UInt8](repeating: 7, count: 3000), now: host.now)
        let data = host.poll().compactMap(RoutedPacket.init)
        #expect(data.count == 3)
        #expect(data.allSatisfy { $0.firstHop == r2 && $0.segment.payload.count <= 1448 })
        #expect(data.map(\.segment.payload.count).reduce(0, +) == 3000)
    }

    @Test("a later segment's route replaces the return route (SHLD-24)")
    func laterRouteWins() throws {
        var host = Host(accept: true)
        let listener = try host.stack.listen(port: ourPort)
        host.deliver(routed(Seg(.syn, seq: peerISS, mss: 1460).packet(from: peer4, to: ours4), recorded: [r1, r2]))
        let iss = try #require(host.poll().first.flatMap(RoutedPacket.init)).segment.seq
        host.deliver(routed(Seg(.ack, seq: peerISS + 1, ack: iss + 1).packet(from: peer4, to: ours4), recorded: [r3]))
        let conn = try #require(try host.stack.accept(listener))
        #expect(host.stack.sourceRoute(of: conn)?.hops == [r3])
        #expect(host.stack.info(of: conn)?.sendMSS == 1452)   // one address: 3 + 4 → 8 bytes
        _ = try host.stack.send(conn, [1, 2, 3], now: host.now)
        let sent = try #require(host.poll().first.flatMap(RoutedPacket.init))
        #expect(sent.firstHop == r3 && sent.optionAddresses == [IPv4Address(10, 0, 0, 2)])
        // A plain segment leaves the route as it is (only a route replaces a route).
        host.deliver(Seg(.ack, seq: peerISS + 1, ack: iss + 4).packet(from: peer4, to: ours4))
        #expect(host.stack.sourceRoute(of: conn)?.hops == [r3])
    }

    @Test("the application's route wins over a received one and routes an active open's SYN (MUST-51, MUST-52)")
    func applicationRoute() throws {
        var host = Host(accept: true)
        let conn = try host.stack.connect(to: peer4, now: host.now)
        try host.stack.setSourceRoute(conn, IPv4SourceRoute(hops: [r1, r2, r3]))
        let syn = try #require(host.poll().first.flatMap(RoutedPacket.init))
        #expect(syn.firstHop == r1 && syn.optionAddresses == [r2, r3, IPv4Address(10, 0, 0, 2)] && syn.pointer == 4)
        #expect(syn.segment.flags == .syn)
        let local = syn.source
        // The SYN-ACK comes back along another route: the application's stays.
        host.deliver(routed(Seg([.syn, .ack], seq: peerISS, ack: syn.segment.seq + 1, mss: 1460).packet(from: peer4, to: local), recorded: [r3]))
        let ack = try #require(host.poll().first.flatMap(RoutedPacket.init))
        #expect(ack.firstHop == r1)
        #expect(host.stack.sourceRoute(of: conn)?.hops == [r1, r2, r3])
        // 1460 less 16 bytes (three addresses: 3 + 12, padded).
        #expect(host.stack.info(of: conn)?.sendMSS == 1444)
        // Removing it lets the received route take over with the next routed segment.
        try host.stack.setSourceRoute(conn, nil)
        #expect(host.stack.sourceRoute(of: conn) == nil)
        #expect(host.stack.info(of: conn)?.sendMSS == 1460)
        host.deliver(routed(Seg(.ack, seq: peerISS + 1, ack: syn.segment.seq + 1).packet(from: peer4, to: local), recorded: [r3]))
        #expect(host.stack.sourceRoute(of: conn)?.hops == [r3])
        // Wrong use: IPv6, too many hops, an unknown connection.
        let v6 = try host.stack.connect(to: SocketAddress(peerIP6, 443), now: host.now)
        #expect(throws: TCPError.invalidArgument("a source route is an IPv4 option")) {
            try host.stack.setSourceRoute(v6, IPv4SourceRoute(hops: [r1]))
        }
        #expect(throws: TCPError.invalidArgument("a source route holds at most 9 hops")) {
            try host.stack.setSourceRoute(conn, IPv4SourceRoute(hops: Array(repeating: r1, count: 10)))
        }
        try host.stack.abort(v6, now: host.now)
        #expect(throws: TCPError.invalidHandle) { try host.stack.setSourceRoute(v6, IPv4SourceRoute(hops: [r1])) }
    }
}
