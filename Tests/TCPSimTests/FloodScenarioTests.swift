import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// syn-flood and syn-flood-no-cookies: 200 spoofed SYNs (0–1.99 s) against a backlog of 8, a
/// client connecting at 0.5 s. Exact segments and states of the client's connection, the
/// server's cookie counters, and the flood kept off the picture but on the wire.
@Suite struct FloodScenarioTests {
    static func server(_ o: Observed) -> SimulatedNetwork.Host { o.run.network.host("server") }

    @Test func withCookiesTheClientConnectsAtOnce() throws {
        let o = Observed(.synFlood)
        #expect(o.segments == [
            "0.500 client SYN 0/- len=0",
            "0.510 server SYN,ACK 0/1 len=0",       // the cookie: the half-open queue is full
        ] + Expected.exchange(from: 0.52))          // the request rides on the ACK that returns it
        #expect(o.transitions("client") == Expected.activeCloser)
        // No SYN-RECEIVED: the cookie ACK makes the connection ESTABLISHED at once.
        #expect(o.transitions("server") == ["CLOSED→LISTEN", "LISTEN→ESTABLISHED", "ESTABLISHED→CLOSE-WAIT",
                                            "CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED"])
        #expect(o.time("server", .listen, .established) == .seconds(0.53))
        #expect(o.drops.isEmpty, "nothing of the client's is dropped")
        #expect(o.timers == ["60.560 client time-wait"])
        #expect(o.notes.contains("0.530 server read 18 bytes"))

        // The cookie SYN-ACK kept the client's options: the window shift and SACK-permitted in
        // the low 6 bits of its TSval, echoed back; the MSS in the cookie.
        let syn = try #require(o.sent(by: "client").first?.segment)
        let synAck = try #require(o.sent(by: "server").first?.segment)
        let shift = try #require(syn.options.windowScale)
        #expect(syn.options.sackPermitted && synAck.options.sackPermitted && synAck.options.windowScale != nil)
        let ts = try #require(synAck.options.timestamp)
        #expect(ts.value & 0x3F == UInt32(shift) | 0x10)
        let serverInfo = o.timeline.entries.compactMap { e -> TCPInfo? in
            if case let .info(info, _) = e.kind, e.host == "server" { info } else { nil }
        }
        #expect(serverInfo.last?.sendMSS == 1448, "1460 from the cookie, less 12 bytes of timestamps")

        // The counters: 192 spoofed SYNs and the client's got cookies; one came back, valid.
        let stats = Self.server(o).stack.statistics
        #expect(stats.synCookiesSent == 193 && stats.synCookiesValid == 1 && stats.synCookiesInvalid == 0)
        #expect(stats.dropCount(.backlogFull) == 0)
        let flood = o.run.network.offStageCounts
        #expect(flood.packetsIn == 200)
        #expect(flood.packetsOut == 8 * 6 + 192, "8 half-open connections' SYN-ACKs (each sent 6 times) and 192 cookies")
        #expect(flood.drops.isEmpty)
        #expect(o.notes.contains("2.000 server flood over: 200 spoofed SYNs: 8 half-open, 192 answered with cookies and forgotten (cookies sent: 193, valid: 1)"))
        #expect(o.notes.contains("0.080 server backlog full: 8 half-open connections for spoofed addresses (SYN-ACKs to nowhere, retried for 63 s)"))
        #expect(o.notes.contains("63.110 server spoofed half-open connections gave up (63 s): 0 left; 240 SYN-ACKs went to spoofed addresses"))
    }

    @Test func withoutCookiesTheClientWaitsForTheHalfOpenOnesToTimeOut() {
        let o = Observed(.synFloodNoCookies)
        let syns = [0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5]
        #expect(o.segments == syns.map { "\(Observed.ms(.seconds($0))) client SYN 0/- len=0" } + [
            "63.510 server SYN,ACK 0/1 len=0",
        ] + Expected.exchange(from: 63.52))
        #expect(o.drops == syns.dropLast().map { "\(Observed.ms(.seconds($0 + 0.01))) server backlog-full" })
        #expect(o.timers == syns.dropFirst().map { "\(Observed.ms(.seconds($0))) client retransmit" } + ["123.560 client time-wait"])
        #expect(o.transitions("client") == Expected.activeCloser)
        #expect(o.transitions("server") == Expected.passiveCloser)
        #expect(o.time("client", .synSent, .established) == .seconds(63.52))
        let stats = Self.server(o).stack.statistics
        #expect(stats.synCookiesSent == 0 && stats.synCookiesValid == 0)
        #expect(stats.dropCount(.backlogFull) == 192 + 6)
        #expect(o.run.network.offStageCounts == .init(packetsIn: 200, packetsOut: 48, drops: [.backlogFull: 192]))
        #expect(o.notes.contains("2.000 server flood over: 200 spoofed SYNs: 8 half-open, 192 dropped (backlog-full)"))
    }

    @Test(arguments: [false, true]) func theFloodIsOnTheWireButNotInThePicture(ipv6: Bool) throws {
        let o = Observed(.synFlood, ipv6: ipv6)
        let wire = o.run.network.wire
        let drawn = o.timeline.entries.filter { if case .send = $0.kind { true } else { false } }.count
        #expect(wire.count == drawn + 200 + 240)
        #expect(wire.filter(\.lost).count == 240, "every SYN-ACK to a spoofed address goes nowhere")
        #expect(Set(o.timeline.entries.map(\.host)) == ["client", "server"])
        let first = try #require(wire.first { $0.from != "client" && $0.from != "server" })
        #expect(first.from == (ipv6 ? "2001:db8:bad::1" : "203.0.113.1"))
        // The text ladder stays short: the client's 8 segments and the notes.
        let ladder = LadderRenderer().render(o.timeline)
        #expect(ladder.split(separator: "\n").count < 70, "\(ladder)")
        #expect(!ladder.contains("203.0.113.2 "))
        #expect(o.connectionsLeft == ["client": 0, "server": 0])
    }

    /// The flood itself, packet by packet, derived from the scenario's rules: spoofed SYN k from
    /// 203.0.113.(k+1) at k·10 ms; the first 8 (the backlog) become half-open connections whose
    /// SYN-ACK goes at arrival (10 ms later) and again after 1, 2, 4, 8 and 16 s (RFC 6298 §5.5
    /// backoff from the 1 s initial RTO, 5 retries); with cookies each of the other 192 gets one
    /// stateless SYN-ACK at arrival (RFC 4987 §3.6), without them none (dropped, backlog full).
    @Test(arguments: [true, false]) func theFloodPacketByPacket(cookies: Bool) throws {
        let o = Observed(cookies ? .synFlood : .synFloodNoCookies)
        var expected: [String] = []
        let delay = 0.010
        for k in 0..<200 {
            let t = Double(k) * 0.010
            let spoofed = "203.0.113.\(k + 1)"
            expected.append("\(Observed.ms(.seconds(t))) \(spoofed)→server SYN")
            let answers: [Double] = k < 8 ? [0, 1, 3, 7, 15, 31] : (cookies ? [0] : [])
            for a in answers { expected.append("\(Observed.ms(.seconds(t + delay + a))) server→\(spoofed) SYN,ACK") }
        }
        var observed: [String] = []
        for record in o.run.network.wire {
            let view = try record.bytes.withUnsafeBytes { try TCPPacket.parse($0) }
            let from = view.source.description, to = view.destination.description
            guard from.hasPrefix("203.0.113.") || to.hasPrefix("203.0.113.") else { continue }
            observed.append("\(Observed.ms(record.time)) \(from.hasPrefix("203.") ? from : "server")→\(to.hasPrefix("203.") ? to : "server") \(view.header.flags.names.joined(separator: ","))")
            if from.hasPrefix("203.") {
                // Its sequence number is the scenario's (k + 1)·0x9E3779B9.
                let k = Int(from.split(separator: ".").last!)! - 1
                #expect(view.header.sequenceNumber.rawValue == UInt32(truncatingIfNeeded: (k + 1) &* 0x9E37_79B9))
            }
        }
        #expect(observed.sorted() == expected.sorted())
        #expect(observed.count == expected.count)
    }

    @Test func everyPictureDraws() throws {
        let run = Observed(.synFlood).run
        let svg = SVGRenderer().render(run.timeline)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(svg.contains("LISTEN"))
        let html = HTMLRenderer(title: "syn-flood", paragraphs: run.explanation).render(run.timeline)
        #expect(html.contains("<svg") && html.contains("ESTABLISHED"))
        let mermaid = MermaidRenderer.render(run.timeline)
        #expect(mermaid.hasPrefix("sequenceDiagram"))
        #expect(mermaid.split(separator: "\n").filter { $0.contains("->>") || $0.contains("-x") }.count == 8)
        let lines = run.jsonLines.split(separator: "\n")
        #expect(lines.count == run.timeline.entries.count)
        for line in lines {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(["client", "server"].contains(obj["host"] as? String))
        }
    }

    @Test(.requires(.tshark)) func tsharkDecodesTheFlood() throws {
        let tshark = try ExternalTool.tshark.require()
        let run = Scenario.named("syn-flood")!.run(ScenarioOptions())
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-syn-flood-\(UUID().uuidString).pcap")
        try Data(run.pcap()).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let options = ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-r", url.path]
        let fields = try Tshark.run(tshark, options + ["-T", "fields", "-E", "separator=/t",
            "-e", "ip.src", "-e", "tcp.flags.str", "-e", "tcp.seq_raw", "-e", "tcp.checksum.status", "-e", "_ws.malformed"])
        let rows = fields.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        try #require(rows.count == run.network.wire.count)
        for (row, record) in zip(rows, run.network.wire) {
            try #require(row.count == 5, "\(row)")
            let view = try record.bytes.withUnsafeBytes { try TCPPacket.parse($0) }
            #expect(row[0] == view.sourceSocket.address.description)
            #expect(row[1] == Tshark.flagString(view.header.flags))
            #expect(row[2] == String(view.header.sequenceNumber.rawValue))
            #expect(row[3] == "1" && row[4] == "")
        }
        #expect(rows.filter { $0[0].hasPrefix("203.0.113.") }.count == 200)
    }
}
