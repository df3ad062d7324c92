import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// The text ladder's marks for retransmissions and its condensed mode for long transfers.
@Suite struct TextLadderTests {
    static let client = SocketAddress(IPAddress("198.18.0.1")!, 40000)
    static let server = SocketAddress(IPAddress("198.18.0.2")!, 80)

    static func segment(_ from: SocketAddress, _ to: SocketAddress, seq: UInt32, ack: UInt32, length: Int) -> SegmentSummary {
        let h = TCPHeader(sourcePort: from.port, destinationPort: to.port, sequenceNumber: SequenceNumber(seq),
                          acknowledgmentNumber: SequenceNumber(ack), flags: [.ack], window: 65535)
        return SegmentSummary(source: from, destination: to, header: h, payloadLength: length)
    }

    /// 60 data segments of 1000 bytes from the client, each ACKed; the 31st is lost, and sent again
    /// after the last; then the client goes to FIN-WAIT-1.
    static func transfer() -> Timeline {
        var t = Timeline(hosts: ["client", "server"])
        var packet = 0
        func ms(_ v: Int) -> Instant { .seconds(Double(v) / 1000) }
        func send(_ host: String, _ at: Int, _ s: SegmentSummary, lost: Bool = false) {
            packet += 1
            t.append(.init(time: ms(at), host: host, kind: .send(packet: packet, s, fate: lost ? .lost(reason: "scripted drop") : .delivered(at: ms(at + 10)))))
            if !lost { t.append(.init(time: ms(at + 10), host: host == "client" ? "server" : "client", kind: .receive(packet: packet, s))) }
        }
        for k in 0..<60 {
            let seq = UInt32(1000 + k * 1000)
            send("client", 2 * k, segment(client, server, seq: seq, ack: 1, length: 1000), lost: k == 30)
            if k != 30 { send("server", 2 * k + 10, segment(server, client, seq: 1, ack: seq + 1000, length: 0)) }
        }
        t.append(.init(time: .seconds(0.2), host: "client", kind: .timer(.retransmit)))
        send("client", 200, segment(client, server, seq: 31_000, ack: 1, length: 1000))
        send("server", 210, segment(server, client, seq: 1, ack: 61_000, length: 0))
        t.append(.init(time: .seconds(0.3), host: "client", kind: .state(from: .established, to: .finWait1)))
        return t
    }

    static func arrows(_ text: String) -> Int {
        text.split(separator: "\n").filter { $0.contains("▶") || $0.contains("◀") || $0.contains("✕") }.count
    }

    @Test func retransmissionsAreMarked() {
        let t = Self.transfer()
        #expect(t.retransmittedPackets.count == 1)
        let text = LadderRenderer().render(t)
        let marked = text.split(separator: "\n").filter { $0.contains("(retransmission)") }
        #expect(marked.count == 1)
        #expect(marked.first?.hasPrefix("0.200000") == true && marked.first?.contains("↻ ACK seq=31000") == true, "\(marked)")
        // In the scenarios: lost-syn sends its SYN again at 1 s; classic sends nothing twice.
        let lostSYN = LadderRenderer().render(Scenario.named("lost-syn")!.run(ScenarioOptions()).timeline)
        #expect(lostSYN.split(separator: "\n").filter { $0.contains("(retransmission)") }.map { $0.prefix(8) } == ["1.000000"])
        #expect(!LadderRenderer().render(Scenario.classic.run(ScenarioOptions()).timeline).contains("retransmission"))
        let colored = LadderRenderer(color: true).render(t)
        #expect(colored.contains("\u{1B}[31m↻ \u{1B}[0m"))
    }

    @Test func condensedKeepsTheEventsAndCountsTheRest() throws {
        let t = Self.transfer()
        let sends = t.entries.filter { if case .send = $0.kind { true } else { false } }.count
        #expect(sends == 121)
        let full = LadderRenderer().render(t)
        #expect(Self.arrows(full) == sends)
        #expect(!full.contains("⋮"))

        let condensed = LadderRenderer(condense: 4).render(t)
        let summaries = condensed.split(separator: "\n").filter { $0.contains("⋮") }
        // Two stretches: before the loss at 60 ms (30 data segments, 26 ACKs: 56) and from it to the
        // retransmission timer (29 data segments, 33 ACKs: 62).
        try #require(summaries.count == 2, "\(summaries)")
        let hidden = try summaries.map { line -> Int in
            let m = try #require(line.firstMatch(of: /⋮ (\d+) segments condensed \((\d+) →, (\d+) bytes; (\d+) ←, 0 bytes\) until/))
            #expect(Int(m.2)! + Int(m.4)! == Int(m.1)!)
            #expect(Int(m.3)! == Int(m.2)! * 1000)
            return Int(m.1)!
        }
        // Every segment is either drawn or counted in a summary; 4 are drawn at each end of each stretch.
        #expect(Self.arrows(condensed) + hidden.reduce(0, +) == sends)
        #expect(hidden == [56 - 8, 62 - 8])
        // The loss, the timer, the retransmission and the state change are all still there.
        for needle in ["lost (scripted drop)", "⏱ retransmit timer", "(retransmission)", "ESTABLISHED → FIN-WAIT-1"] {
            #expect(condensed.contains(needle), "\(needle)")
        }
        #expect(condensed.split(separator: "\n").count < full.split(separator: "\n").count / 3)
        // A short stretch is not worth condensing.
        #expect(!LadderRenderer(condense: 4).render(Scenario.classic.run(ScenarioOptions()).timeline).contains("⋮"))
    }

    /// The link's duplicates are copies, not retransmissions: the pictures' count of
    /// retransmissions (found from the wire) equals the engines' own, and every copy is marked.
    @Test func networkCopiesAreNotRetransmissions() throws {
        var o = SimulationOptions()
        o.bytes = 30_000
        o.both = true
        o.recording = true
        var link = LinkModel(delay: .milliseconds(10))
        (link.duplicate, link.loss) = (0.2, 0.05)
        o.link = link
        let sim = Simulation(o)
        let r = sim.run()
        #expect(r.passed)
        let t = sim.network.timeline
        let duplicated = r.link.values.map(\.duplicated).reduce(0, +)
        #expect(duplicated > 5 && t.networkCopies.count == duplicated)
        #expect(t.retransmittedPackets.isDisjoint(with: t.networkCopies))
        #expect(t.retransmittedPackets.count == r.retransmittedSegments, "the wire's retransmissions are the engines'")
        let ladder = LadderRenderer().render(t)
        #expect(ladder.components(separatedBy: " (network copy)").count - 1 == duplicated)
        let jsonl = JSONLinesRenderer.render(t)
        #expect(jsonl.components(separatedBy: #","copy":true"#).count - 1 == duplicated)
    }
}
