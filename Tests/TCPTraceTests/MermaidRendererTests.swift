import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// `--format mermaid`: a sequenceDiagram with one arrow per segment sent, lost ones as crosses.
@Suite struct MermaidRendererTests {
    static func lines(_ scenario: Scenario) -> (Observed, [String]) {
        let o = Observed(scenario)
        return (o, MermaidRenderer.render(o.timeline).split(separator: "\n").map(String.init))
    }

    @Test func classicStructure() {
        let (o, lines) = Self.lines(.classic)
        #expect(lines.first == "sequenceDiagram")
        #expect(lines[1].hasPrefix("    participant client as client "))
        #expect(lines[2].hasPrefix("    participant server as server "))
        let arrows = lines.dropFirst().filter { !$0.hasPrefix("    Note over ") && !$0.hasPrefix("    participant ") }
        #expect(arrows.count == o.segments.count)
        #expect(arrows.first?.hasPrefix("    client->>server#58;") == false)
        #expect(arrows.first?.hasPrefix("    client->>server: 0.000000 SYN seq=") == true)
        #expect(lines.contains { $0.hasPrefix("    Note over server: ") && $0.contains("LISTEN → SYN-RECEIVED") })
        #expect(lines.contains { $0.hasPrefix("    Note over client: ") && $0.contains("TIME-WAIT → CLOSED") })
        // Every line is a statement Mermaid knows.
        for l in lines.dropFirst() {
            #expect(l.hasPrefix("    participant ") || l.hasPrefix("    Note over ") || l.contains("->>") || l.contains("-x"), "\(l)")
        }
    }

    @Test func lostSegmentsAreCrosses() {
        let (o, lines) = Self.lines(.named("lost-syn")!)
        let lost = o.segments.filter { $0.hasSuffix(" lost") }
        let crosses = lines.filter { $0.hasPrefix("    client-xserver: ") || $0.hasPrefix("    server-xclient: ") }
        #expect(lost.count == 1)
        #expect(crosses.count == lost.count)
        #expect(crosses.first?.contains("SYN seq=") == true)
        #expect(lines.filter { $0.contains("->>") }.count == o.segments.count - lost.count)
    }

    @Test func textIsEscaped() {
        #expect(MermaidRenderer.escape("a;b#c:d<e>f&g\nh") == "a#59;b#35;c#58;d#lt;e#gt;f#amp;g h")
        var t = Timeline(hosts: ["client", "server"], labels: ["client": "fd00::1", "server": "fd00::2"])
        t.append(.init(time: .zero, host: "client", kind: .note("connect() fails: refused; close() #1")))
        let out = MermaidRenderer.render(t)
        #expect(out.contains("participant client as client fd00#58;#58;1\n"))
        #expect(out.contains("Note over client: 0.000000 connect() fails#58; refused#59; close() #35;1\n"))
        // After the first `: `, a line holds no character that would end or split the text.
        for line in out.split(separator: "\n") {
            if let r = line.range(of: ": ") {
                let text = line[r.upperBound...]
                #expect(!Self.withoutEntities(text).contains(where: { ";#:<>".contains($0) }), "\(line)")
            }
        }
    }

    /// The text with Mermaid's entity codes (`#59;`, `#lt;`) taken out.
    static func withoutEntities(_ text: Substring) -> String {
        var out = "", rest = text[...]
        while let hash = rest.firstIndex(of: "#") {
            out += rest[..<hash]
            let after = rest[rest.index(after: hash)...]
            guard let semi = after.firstIndex(of: ";"), !after[..<semi].isEmpty,
                  after[..<semi].allSatisfy({ $0.isLetter || $0.isNumber }) else { return out + "#" }
            rest = after[after.index(after: semi)...]
        }
        return out + rest
    }

    /// Mermaid's own parser on every scenario's diagram and on a simulated transfer with every
    /// fault: `TCPKIT_MERMAID_JS` names a browser build of mermaid (which defines the global
    /// `mermaid`; `.ci/run` takes mermaid 11.12.0's from the PyPI package mmdc) and `node` is on
    /// PATH. Without them the test is reported as skipped, except under CI, where it fails.
    @Test(.requires(.mermaid)) func mermaidParsesEveryScenario() throws {
        let node = try ExternalTool.mermaid.require()
        let mermaidJS = try #require(ProcessInfo.processInfo.environment["TCPKIT_MERMAID_JS"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-mermaid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [String] = []
        for s in Scenario.all {
            for ipv6 in [false, true] {
                let file = dir.appendingPathComponent("\(s.name)-\(ipv6 ? 6 : 4).mmd")
                try MermaidRenderer.render(Observed(s, ipv6: ipv6).timeline).write(to: file, atomically: true, encoding: .utf8)
                files.append(file.path)
            }
        }
        // A transfer with loss, duplication, reordering and corruption: drops, retransmissions,
        // timers and notes of every kind.
        var o = SimulationOptions()
        o.bytes = 30_000
        o.both = true
        o.recording = true
        var link = LinkModel(delay: .milliseconds(10))
        (link.loss, link.duplicate, link.reorder, link.corrupt) = (0.1, 0.05, 0.05, 0.05)
        o.link = link
        let sim = Simulation(o)
        _ = sim.run()
        let transfer = dir.appendingPathComponent("transfer.mmd")
        try MermaidRenderer.render(sim.network.timeline).write(to: transfer, atomically: true, encoding: .utf8)
        files.append(transfer.path)
        let script = dir.appendingPathComponent("parse.js")
        try """
        const fs = require('fs');
        require('vm').runInThisContext(fs.readFileSync(process.argv[2], 'utf8'));
        mermaid.initialize({startOnLoad: false});
        (async () => {
          let bad = 0;
          for (const f of process.argv.slice(3)) {
            try { await mermaid.parse(fs.readFileSync(f, 'utf8')); }
            catch (e) { bad++; process.stdout.write('FAIL ' + f + ': ' + (e.message || e) + '\\n'); }
          }
          process.stdout.write('checked ' + (process.argv.length - 3) + ', failed ' + bad + '\\n');
          process.exit(bad ? 1 : 0);
        })();
        """.write(to: script, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: node)
        p.arguments = [script.path, mermaidJS] + files
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("checked \(files.count), failed 0"), "\(text)")
    }
}
