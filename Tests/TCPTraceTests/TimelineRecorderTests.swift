import TCPCore
import TCPTrace
import TCPWire
import Testing

/// The one mapping from trace records to timeline entries, in each of its three kinds of driver,
/// fed by a real stack's records: a client's SYN, and the server's receipt of it.
@Suite("TimelineRecorder")
struct TimelineRecorderTests {
    static let clientIP = IPAddress.v4(IPv4Address(10, 0, 0, 1)), serverIP = IPAddress.v4(IPv4Address(10, 0, 0, 2))

    /// The client's records for sending a SYN, and the server's for receiving it.
    static func handshakeRecords() throws -> (client: [TraceRecord], server: [TraceRecord], syn: SegmentSummary) {
        var config = TCPConfiguration()
        config.trace = true
        var r = SplitMix64(seed: 7)
        var client = TCPStack(addresses: [clientIP], configuration: config, random: &r, secrets: .seeded)
        var server = TCPStack(addresses: [serverIP], configuration: config, random: &r, secrets: .seeded)
        _ = try server.listen(port: 80)
        let t = Instant(nanoseconds: 1_000_000)
        _ = try client.connect(to: SocketAddress(serverIP, 80), now: t)
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = try #require(buffer.withUnsafeMutableBytes { client.pollTransmit(now: t, into: $0) })
        server.handle(ipPacket: Array(buffer[0..<n]), now: t + .milliseconds(10))
        var c: [TraceRecord] = [], s: [TraceRecord] = []
        while let x = client.pollTrace() { c.append(x) }
        while let x = server.pollTrace() { s.append(x) }
        let syn = try #require(c.lazy.compactMap { if case .send(let seg) = $0.kind { seg } else { nil } }.first)
        return (c, s, syn)
    }

    static func sends(_ t: Timeline) -> [(host: String, packet: Int, fate: Timeline.Fate)] {
        t.entries.compactMap { e in if case let .send(p, _, fate) = e.kind { (e.host, p, fate) } else { nil } }
    }

    @Test("instant (the script runner): a sent segment lands when sent; receipts are left to the driver")
    func instant() throws {
        let (c, s, syn) = try Self.handshakeRecords()
        var rec = TimelineRecorder(timeline: Timeline(hosts: ["remote", "local"]), segments: .instant)
        for r in c { rec.record(r, host: "local") }
        for r in s { rec.record(r, host: "remote") }
        let sends = Self.sends(rec.timeline)
        #expect(sends.count == 1 && sends[0].host == "local" && sends[0].packet == 1)
        #expect(sends[0].fate == .delivered(at: Instant(nanoseconds: 1_000_000)))
        #expect(!rec.timeline.entries.contains { if case .receive = $0.kind { true } else { false } })
        #expect(rec.timeline.entries.contains { $0.kind == .state(from: .closed, to: .synSent) && $0.host == "local" })
        // The driver's own packets take the next number.
        #expect(rec.send(syn, from: "remote", at: .zero, fate: .delivered(at: .zero)) == 2)
    }

    @Test("live (the TUN session): our segment is in flight, a received one is the peer's, landing when received")
    func live() throws {
        let (c, s, _) = try Self.handshakeRecords()
        var client = TimelineRecorder(timeline: Timeline(hosts: ["tcpkit", "peer"]), segments: .live(peer: "peer"))
        let clientEntries = c.compactMap { client.entry(for: $0, host: "tcpkit") }
        #expect(clientEntries.contains { if case .send(1, _, .inFlight) = $0.kind { $0.host == "tcpkit" } else { false } })
        #expect(client.timeline.entries.isEmpty, "entry(for:) keeps nothing")
        var server = TimelineRecorder(timeline: Timeline(hosts: ["tcpkit", "peer"]), segments: .live(peer: "peer"))
        let arrival = s.compactMap { server.entry(for: $0, host: "tcpkit") }.first { $0.host == "peer" }
        let landed = Instant(nanoseconds: 11_000_000)
        #expect(arrival.map { if case .send(1, _, .delivered(at: landed)) = $0.kind { true } else { false } } == true)
    }

    @Test("wire (the simulator): a sent segment waits for its fate; a receipt is the arrival of the packet handled")
    func wire() throws {
        let (c, s, syn) = try Self.handshakeRecords()
        var rec = TimelineRecorder(timeline: Timeline(hosts: ["client", "server"]), segments: .wire, returnsToListen: true)
        for r in c { rec.record(r, host: "client") }
        #expect(Self.sends(rec.timeline).isEmpty)
        #expect(rec.takeSentSegment() == syn)
        #expect(rec.takeSentSegment() == nil, "taken once")
        rec.send(syn, from: "client", at: .zero, fate: .delivered(at: Instant(nanoseconds: 10_000_000)), packet: 5)
        rec.send(syn, from: "client", at: .zero, fate: .delivered(at: Instant(nanoseconds: 12_000_000)), packet: 6, networkCopy: true)
        for r in s { rec.record(r, host: "server", arrival: 5) }
        #expect(rec.timeline.entries.contains { $0.kind == .receive(packet: 5, syn) && $0.host == "server" })
        #expect(rec.timeline.networkCopies == [6] && rec.packetCount == 6)
        rec.setFate(.lost(reason: "test"), ofPacket: 5)
        rec.markInFlight([6])
        #expect(Self.sends(rec.timeline).map(\.fate) == [.lost(reason: "test"), .inFlight])
    }
}
