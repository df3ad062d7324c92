import TCPCore
import TCPSim
import TCPTrace
import TCPWire
import Testing
import TestSupport

/// The live ladder, fed one entry at a time, draws exactly what the whole-timeline renderer
/// draws uncondensed: the same rows, the same retransmission marks.
@Suite("LiveLadder")
struct LiveLadderTests {
    @Test(arguments: ["classic", "lost-syn", "lost-final-ack", "bulk", "reset"])
    func rowByRowEqualsTheWholePicture(name: String) throws {
        let scenario = try #require(Scenario.named(name))
        var options = ScenarioOptions()
        options.bytes = 20_000
        let timeline = scenario.run(options).timeline
        var live = LiveLadder(hosts: timeline.hosts, labels: timeline.labels)
        var text = live.heading()
        for e in timeline.sorted { text += live.rows(for: e) }
        #expect(text == LadderRenderer(condense: nil).render(timeline))
        if name == "lost-syn" || name == "lost-final-ack" { #expect(text.contains("↻ ")) }
    }

    /// A segment sent to a real network (arrival unknown) has an arrow and no landing time.
    @Test func inFlightSegmentHasNoLandingTime() {
        let a = SocketAddress(.v4(IPv4Address(198, 18, 0, 2)), 80), b = SocketAddress(.v4(IPv4Address(198, 18, 0, 1)), 5555)
        var h = TCPHeader(sourcePort: 80, destinationPort: 5555, sequenceNumber: SequenceNumber(rawValue: 1000),
                          acknowledgmentNumber: SequenceNumber(rawValue: 0), flags: .syn, window: 65535)
        h.options.mss = 1460
        let s = SegmentSummary(source: a, destination: b, header: h, payloadLength: 0)
        var live = LiveLadder(hosts: ["tcpkit", "kernel"])
        let rows = live.rows(for: .init(time: Instant(nanoseconds: 1_500_000), host: "tcpkit", kind: .send(packet: 0, s, fate: .inFlight)))
        #expect(rows.contains("SYN seq=1000 (0)"))
        #expect(rows.contains("mss=1460 ─"))
        #expect(rows.contains("▶"))
        #expect(!rows.contains("@"))
        #expect(!rows.contains("in flight"))
    }
}
