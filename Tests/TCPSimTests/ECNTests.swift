import Testing
import TCPCore
import TCPTrace
import TCPWire
@testable import TCPSim

/// ECN (RFC 3168) end to end: the engine's negotiation and per-connection mode, the simulator's
/// ECN-capable queue, `tcpkit simulate --ecn`, and the `ecn` scenario. Deterministic (seeded).
@Suite struct ECNTests {
    // MARK: The engine, two stacks back to back

    /// Two stacks, a handshake and one data segment each way; every packet B gets from A passes
    /// through `mark` first. Returns both connections' `TCPInfo` and the packets A sent.
    static func exchange(client: TCPConfiguration, server: TCPConfiguration, clientOptions: ConnectionOptions? = nil,
                         mark: (inout [UInt8]) -> Void = { _ in }) throws -> (client: TCPInfo, server: TCPInfo, sent: [[UInt8]]) {
        var rng = SeededRandom(seed: 3)
        let ca = IPAddress("198.18.0.1")!, sa = IPAddress("198.18.0.2")!
        var a = TCPStack(addresses: [ca], configuration: client, random: &rng, secrets: .seeded)
        var b = TCPStack(addresses: [sa], configuration: server, random: &rng, secrets: .seeded)
        let listener = try b.listen(port: 80)
        var now = Instant.zero
        let conn = try a.connect(to: SocketAddress(sa, 80), now: now)
        if let clientOptions { try a.setOptions(conn, clientOptions, now: now) }
        var sent: [[UInt8]] = []
        var accepted: ConnectionID? = nil
        var buffer = [UInt8](repeating: 0, count: 4096)
        func pump() {
            var moved = true
            while moved {
                moved = false
                while let n = buffer.withUnsafeMutableBytes({ a.pollTransmit(now: now, into: $0) }) {
                    var p = Array(buffer[0..<n])
                    sent.append(p)
                    mark(&p)
                    b.handle(ipPacket: p, now: now)
                    moved = true
                }
                while let n = buffer.withUnsafeMutableBytes({ b.pollTransmit(now: now, into: $0) }) {
                    a.handle(ipPacket: Array(buffer[0..<n]), now: now)
                    moved = true
                }
                if accepted == nil, let c = try? b.accept(listener) { accepted = c }
                now = now + .milliseconds(1)
            }
        }
        pump()
        let server = try #require(accepted)
        _ = try a.send(conn, Array(repeating: 1, count: 1000), now: now)
        _ = try b.send(server, Array(repeating: 2, count: 1000), now: now)
        pump()
        now = now + .milliseconds(200)   // the delayed ACKs
        a.handleTimeout(now: now)
        b.handleTimeout(now: now)
        pump()
        return (try #require(a.tcpInfo(of: conn)), try #require(b.tcpInfo(of: server)), sent)
    }

    static func config(_ mode: ECNMode) -> TCPConfiguration {
        var c = TCPConfiguration()
        c.ecn = mode
        return c
    }

    /// The ECN field of an IP packet.
    static func ecnField(_ p: [UInt8]) -> UInt8 { p[0] >> 4 == 4 ? p[1] & 3 : (p[1] >> 4) & 3 }

    @Test("negotiation: ECN is used only when the client asks (on) and the server accepts (on or accept-only)")
    func negotiationMatrix() throws {
        for client in ECNMode.allCases {
            for server in ECNMode.allCases {
                let r = try Self.exchange(client: Self.config(client), server: Self.config(server))
                let agreed = client == .on && server != .off
                #expect(r.client.ecn == agreed && r.server.ecn == agreed, "client \(client), server \(server)")
                let syn = try #require(r.sent.first)
                let flags = try syn.withUnsafeBytes { try TCPPacket.parse($0).header.flags }
                #expect(flags.contains(.ece) == (client == .on) && flags.contains(.cwr) == (client == .on))
                // Data is ECT(0) exactly when ECN was agreed; the SYN and pure ACKs never are.
                for p in r.sent {
                    let v = try p.withUnsafeBytes { try TCPPacket.parse($0) }
                    let expected: UInt8 = agreed && !v.payload.isEmpty ? 2 : 0
                    #expect(Self.ecnField(p) == expected, "\(v.header.flags) len \(v.payload.count), client \(client), server \(server)")
                }
            }
        }
    }

    @Test("ConnectionOptions.ecn overrides the configuration for one connection, and reads back")
    func perConnectionOverride() throws {
        var o = ConnectionOptions()
        o.ecn = .on
        let r = try Self.exchange(client: Self.config(.off), server: Self.config(.acceptOnly), clientOptions: o)
        #expect(r.client.ecn && r.server.ecn)
        var rng = SeededRandom(seed: 1)
        var s = TCPStack(addresses: [IPAddress("198.18.0.1")!], configuration: Self.config(.off), random: &rng, secrets: .seeded)
        let c = try s.connect(to: SocketAddress(IPAddress("198.18.0.2")!, 80), now: .zero)
        #expect(s.options(of: c)?.ecn == nil)
        try s.setOptions(c, o, now: .zero)
        #expect(s.options(of: c)?.ecn == .on)
    }

    @Test("a CE mark on the client's data is counted, echoed with ECE and answered with one cwnd reduction")
    func markEchoReduce() throws {
        var marked = 0
        let r = try Self.exchange(client: Self.config(.on), server: Self.config(.acceptOnly)) { p in
            if ECNTests.ecnField(p) == 2, marked == 0, SimulatedNetwork.markCE(&p) { marked += 1 }
        }
        #expect(marked == 1)
        #expect(r.server.ceReceived == 1)
        #expect(r.client.eceReceived >= 1 && r.client.ecnReductions == 1)
        #expect(r.client.bytesRetransmitted == 0)
    }

    // MARK: The simulator's queue

    @Test("markCE turns ECT(0) and ECT(1) into CE with a valid IPv4 header checksum; Not-ECT and CE stay as they are")
    func markCE() throws {
        var h = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: SequenceNumber(1), acknowledgmentNumber: SequenceNumber(0),
                          flags: [.ack], window: 100)
        h.options = TCPOptions()
        for ipv6 in [false, true] {
            for (codepoint, marks) in [(UInt8(0), false), (1, true), (2, true), (3, false)] {
                var buffer = [UInt8](repeating: 0, count: 200)
                let src = ipv6 ? IPAddress("2001:db8::1")! : IPAddress("198.18.0.1")!
                let dst = ipv6 ? IPAddress("2001:db8::2")! : IPAddress("198.18.0.2")!
                let n = try buffer.withUnsafeMutableBytes {
                    try TCPPacket.emit(source: src, destination: dst, header: h, payloadLength: 10, hopLimit: 64, identification: 7,
                                       trafficClass: 0xb8 | codepoint, into: $0) { out in
                        for i in 0..<out.count { out[i] = UInt8(i) }
                    }
                }
                var p = Array(buffer[0..<n])
                #expect(SimulatedNetwork.markCE(&p) == marks, "\(ipv6 ? "IPv6" : "IPv4") codepoint \(codepoint)")
                let v = try p.withUnsafeBytes { try TCPPacket.parse($0) }   // IPv4 header checksum and TCP checksum checked
                #expect(v.ecn == (marks ? 3 : codepoint))
                #expect(v.trafficClass >> 2 == 0xb8 >> 2, "the DSCP is untouched")
            }
        }
    }

    /// `tcpkit simulate --bandwidth 10M --queue 50 [--ecn]`.
    static func bulk(ecn: Bool) throws -> SimulationResult {
        var a = SimulationArguments()
        a.bandwidth = "10M"
        a.queue = "50"
        a.ecn = ecn
        return Simulation.run(try a.options(seed: 1))
    }

    @Test("simulate --ecn: the queue marks instead of dropping; the same link without ECN drops and retransmits")
    func simulateWithMarks() throws {
        let marks = try Self.bulk(ecn: true)
        #expect(marks.passed && marks.intact)
        let up = try #require(marks.link["client→server"])
        #expect(up.ceMarked > 0 && up.queueDrops == 0 && up.lost == 0)
        #expect(marks.retransmittedSegments == 0)
        let client = try #require(marks.statistics["client"]), server = try #require(marks.statistics["server"])
        #expect(server.ecnCEReceived == up.ceMarked)
        #expect(client.ecnReductions >= 1 && client.ecnReductions <= client.ecnEchoesReceived)
        #expect(client.ecnConnections == 1 && server.ecnConnections == 1)
        let drops = try Self.bulk(ecn: false)
        #expect(drops.passed && drops.intact)
        #expect((drops.link["client→server"]?.queueDrops ?? 0) > 0 && drops.retransmittedSegments > 0)
        #expect(drops.link["client→server"]?.ceMarked == 0)
        // The summary says what happened, and the replay command repeats --ecn.
        var a = SimulationArguments()
        a.ecn = true
        #expect(a.replayCommand(seed: 1).contains("--ecn"))
        let text = marks.text(options: try Self.bulkOptions(), replay: "")
        #expect(text.contains("ECN: \(up.ceMarked + (marks.link["server→client"]?.ceMarked ?? 0)) packets marked CE"))
    }

    static func bulkOptions() throws -> SimulationOptions {
        var a = SimulationArguments()
        a.bandwidth = "10M"
        a.queue = "50"
        a.ecn = true
        return try a.options(seed: 1)
    }

    // MARK: The scenario

    @Test("scenario ecn: setup SYN and SYN-ACK, CE marks, ECE, CWR, no loss; data ECT(0) or CE on the wire, everything else Not-ECT", arguments: [false, true])
    func scenario(ipv6: Bool) throws {
        var o = ScenarioOptions()
        o.ipv6 = ipv6
        let run = Scenario.ecn.run(o)
        let net = run.network
        let sends = net.timeline.sorted.compactMap { e -> (String, SegmentSummary)? in
            if case let .send(_, s, _) = e.kind { return (e.host, s) }
            return nil
        }
        let syn = try #require(sends.first { $0.0 == "client" && $0.1.flags.contains(.syn) }?.1)
        #expect(syn.flags.contains(.ece) && syn.flags.contains(.cwr))
        let synAck = try #require(sends.first { $0.0 == "server" && $0.1.flags.contains(.syn) }?.1)
        #expect(synAck.flags.contains(.ece) && !synAck.flags.contains(.cwr))
        #expect(sends.contains { $0.0 == "server" && !$0.1.flags.contains(.syn) && $0.1.flags.contains(.ece) })
        #expect(sends.contains { $0.0 == "client" && $0.1.flags.contains(.cwr) && $0.1.payloadLength > 0 })
        let up = net.counters(from: "client", to: "server")
        #expect(up.ceMarked > 0 && up.queueDrops == 0 && up.lost == 0)
        #expect(net.timeline.retransmittedPackets.isEmpty)
        let client = net.withStack("client") { s, _ in s.statistics }
        #expect(client.ecnReductions >= 1)
        // The wire (and so --pcap) carries the ECN field: ECT(0) or, once marked, CE on data.
        var ce = 0
        for w in net.wire {
            let v = try w.bytes.withUnsafeBytes { try TCPPacket.parse($0) }
            let field = Self.ecnField(w.bytes)
            if v.payload.isEmpty || v.header.flags.contains(.syn) {
                #expect(field == 0, "\(v.header.flags)")
            } else {
                #expect(field == 2 || field == 3)
                if field == 3 { ce += 1 }
            }
        }
        #expect(ce == up.ceMarked)
        #expect(run.explanation.joined().contains("\(up.ceMarked) packets are marked"))
    }
}
