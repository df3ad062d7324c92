import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// `--format html`: the page's markup checked against the run it draws.
@Suite struct HTMLRendererTests {
    static func run(_ name: String) -> ScenarioRun { Scenario.named(name)!.run(ScenarioOptions()) }

    static func html(_ run: ScenarioRun) -> String {
        HTMLRenderer(title: "tcpkit scenario \(run.name)", paragraphs: run.explanation).render(run.timeline)
    }

    /// The sends of a run, in time order.
    static func sends(_ run: ScenarioRun) -> [(packet: Int, fate: Timeline.Fate)] {
        run.timeline.sorted.compactMap { e in if case let .send(p, _, fate) = e.kind { (p, fate) } else { nil } }
    }

    /// A host's states as the bands must show them: where it starts, then every state entered.
    static func states(_ run: ScenarioRun, _ host: String) -> [String] {
        var out: [String] = []
        for e in run.timeline.sorted where e.host == host {
            if case let .state(from, to) = e.kind {
                if out.isEmpty { out.append(from.rawValue) }
                out.append(to.rawValue)
            }
        }
        return out.isEmpty ? ["CLOSED"] : out
    }

    static let names = Scenario.all.map(\.name)

    @Test(arguments: names) func oneArrowPerSegmentAndBandsInOrder(name: String) throws {
        let run = Self.run(name)
        let page = Self.html(run)
        let lines = regexMatches(#"<line class="(segment[^"]*)""#, in: page).map { $0[1] }
        let sends = Self.sends(run)
        #expect(lines.count == sends.count)
        // Lost and in-flight arrows in the same places as in the run.
        for (cls, send) in zip(lines, sends) {
            switch send.fate {
            case .delivered: #expect(!cls.contains("lost") && !cls.contains("in-flight"), "\(cls)")
            case .lost: #expect(cls.contains("lost"), "\(cls)")
            case .inFlight: #expect(cls.contains("in-flight"), "\(cls)")
            }
        }
        let bands = regexMatches(#"<rect class="band" data-host="([^"]+)" data-state="([^"]+)""#, in: page)
        for host in run.timeline.hosts {
            #expect(bands.filter { $0[1] == host }.map { $0[2] } == Self.states(run, host), "\(host)")
        }
        // Every state's name is written in its band, unless the host left it at once.
        for state in Set(bands.map { $0[2] }) { #expect(page.contains(#"class="band-label""#) && page.contains(">\(state)</text>")) }
        try Self.expectSelfContained(page)
    }

    /// Nothing that a browser would fetch: the only URL is the SVG namespace, no `src`, no
    /// stylesheet link, no `@import`, no `url(...)` other than to the page's own `#id`s.
    static func expectSelfContained(_ page: String) throws {
        let urls = regexMatches(#"[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>)]*"#, in: page).map { $0[0] }
        #expect(Set(urls).isSubset(of: ["http://www.w3.org/2000/svg"]), "\(Set(urls))")
        #expect(!urls.isEmpty, "the inline SVGs declare their namespace")
        #expect(regexMatches(#"(?i)\ssrc\s*="#, in: page).isEmpty)
        #expect(regexMatches(#"(?i)<link\b"#, in: page).isEmpty)
        #expect(regexMatches(#"(?i)@import"#, in: page).isEmpty)
        #expect(regexMatches(#"(?i)(xlink:)?href\s*=\s*"[^#]"#, in: page).isEmpty)
        #expect(regexMatches(#"url\((?!#)"#, in: page).isEmpty)
        #expect(regexMatches(#"//[a-z0-9.-]+\.[a-z]{2,}"#, in: page).map { $0[0] }.allSatisfy { $0 == "//www.w3.org" })
    }

    @Test func plotsHaveOnePointPerSample() throws {
        let run = Self.run("classic")
        let page = Self.html(run)
        let series = run.timeline.sampleSeries
        // Both connections carried data: a client and a server series for each of the three plots.
        #expect(series.map(\.host) == ["client", "server"])
        let lines = regexMatches(#"<path class="plot (\w+)" data-metric="\w+" data-host="(\w+)" data-connection="([^"]+)" data-samples="([^"]*)" stroke="[^"]+" d="([^"]*)""#, in: page)
        try #require(lines.count == 3 * series.count)
        for l in lines {
            let s = try #require(series.first { $0.host == l[2] && "\($0.connection)" == l[3] })
            let expected = l[1] == "srtt" ? s.samples.filter { $0.srtt != nil }.count : s.samples.count
            let vertices = Self.vertices(l[5])
            #expect(vertices.count == expected, "\(l[1]) \(l[2])")
            #expect(l[4].split(separator: " ").count == expected)
            // Every vertex inside the plot's frame (x 90...1180, y 30...190), time running right.
            for v in vertices { #expect(v.x >= 90 && v.x <= 1180 && v.y >= 30 && v.y <= 190, "\(v)") }
            #expect(zip(vertices, vertices.dropFirst()).allSatisfy { $0.x <= $1.x })
        }
        // The samples' values, as the plot's data: the client's 18-byte request in flight, then
        // acknowledged; the server's 25-byte answer.
        let inflight = Dictionary(uniqueKeysWithValues: lines.filter { $0[1] == "inflight" }.map { ($0[2], $0[4]) })
        #expect(inflight["client"]!.contains("0.02:18.0"))
        #expect(inflight["server"]!.contains("0.03:25.0"))
        let srtt = lines.filter { $0[1] == "srtt" }.map { $0[4] }
        #expect(srtt.allSatisfy { $0.split(separator: " ").allSatisfy { $0.hasSuffix(":20.0") } }, "RTT = 2 × 10 ms: \(srtt)")
    }

    /// The vertices of a step path `Mx,y H x V y H x V y…`: one per sample.
    static func vertices(_ d: String) -> [(x: Double, y: Double)] {
        let m = regexMatches(#"^M([\d.]+),([\d.]+)"#, in: d)
        guard let first = m.first else { return [] }
        return [(Double(first[1])!, Double(first[2])!)] + regexMatches(#" H([\d.]+) V([\d.]+)"#, in: d).map { (Double($0[1])!, Double($0[2])!) }
    }

    @Test func noPlotsWithoutData() {
        for name in ["refused", "lost-syn", "simultaneous-open"] {
            let run = Self.run(name)
            let carriesData = Self.sends(run).isEmpty == false && run.timeline.entries.contains { e in
                if case let .send(_, s, _) = e.kind { s.payloadLength > 0 } else { false }
            }
            let page = Self.html(run)
            #expect(page.contains(#"<section id="plots">"#) == carriesData, "\(name)")
        }
    }

    @Test func samplesFollowTheConnection() throws {
        let run = Self.run("classic")
        let samples = run.timeline.samples
        try #require(!samples.isEmpty)
        // In time order, and never two equal samples in a row on one connection.
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.time <= $1.time })
        for s in run.timeline.sampleSeries {
            for (a, b) in zip(s.samples, s.samples.dropFirst()) {
                #expect(a.info != b.info)
            }
        }
        // The client: SYN in flight in SYN-SENT at 0, the request in flight once ESTABLISHED at 20 ms.
        let client = samples.filter { $0.host == "client" }
        #expect(client.first?.state == .synSent && client.first?.bytesInFlight == 1 && client.first?.time == .zero)
        let at20 = try #require(client.first { $0.time == .seconds(0.02) })
        #expect(at20.state == .established && at20.bytesInFlight == 18 && at20.srtt == .milliseconds(20))
        // Sampling every 30 ms of virtual time keeps fewer samples, all of them at least 30 ms apart.
        var o = ScenarioOptions()
        o.sampling = .every(.milliseconds(30))
        let sparse = Scenario.classic.run(o).timeline.samples
        let times = Set(sparse.map(\.time)).sorted()
        #expect(!sparse.isEmpty && sparse.count < samples.count)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= .milliseconds(30) }, "\(times)")
        o.sampling = .off
        #expect(Scenario.classic.run(o).timeline.samples.isEmpty)
    }

    @Test func retransmissionsAreFound() {
        // lost-syn: the SYN again at 1 s; classic: nothing is sent twice.
        let lost = Self.run("lost-syn")
        let sends = Self.sends(lost)
        #expect(lost.timeline.retransmittedPackets == [sends[1].packet])
        #expect(Self.run("classic").timeline.retransmittedPackets.isEmpty)
        // lost-final-ack: the server's FIN goes again.
        let fin = Self.run("lost-final-ack")
        #expect(fin.timeline.retransmittedPackets.count == 1)
        let svg = SVGRenderer().render(lost.timeline)
        #expect(regexMatches(#"<line class="segment retransmission""#, in: svg).count == 1)
        #expect(svg.contains("· retransmission"))
    }
}
