// Runs every packetdrill script under Tests/Conformance against the engine. A script that does
// not PASS fails the test run with its name, the script line, and the expected and actual
// segment or call.

import Foundation
import Testing
import TCPCore
@testable import TCPScript

let conformanceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Conformance").path

/// Script paths relative to Tests/Conformance.
let conformanceScripts: [String] = ScriptSuite.collect([conformanceDirectory])
    .map { String($0.dropFirst(conformanceDirectory.count + 1)) }

@Suite("Conformance scripts")
struct ConformanceTests {
    @Test("the suite is there")
    func present() {
        #expect(conformanceScripts.count >= 150, "found \(conformanceScripts.count) scripts in \(conformanceDirectory)")
        #expect(Self.insecureScripts.count >= 50, "found \(Self.insecureScripts.count) -insecure scripts")
    }

    @Test("script passes", arguments: conformanceScripts)
    func script(_ name: String) {
        Self.expectPass(name, ScriptRunOptions())
    }

    @Test("script passes in --strict mode too (options in the engine's order, windows checked)", arguments: conformanceScripts)
    func strict(_ name: String) {
        Self.expectPass(name, ScriptRunOptions(strict: true))
    }

    /// Records the script's failure (its line, the expected and actual segment or call) or why
    /// it is UNSUPPORTED.
    static func expectPass(_ name: String, _ options: ScriptRunOptions) {
        let label = options.strict ? "\(name) (--strict)" : name
        switch ScriptSuite.run(file: conformanceDirectory + "/" + name, options: options).outcome {
        case .pass:
            break
        case .fail(let f):
            Issue.record(Comment(rawValue: (["\(label):\(f.line): \(f.message)"] + f.detailLines()).joined(separator: "\n")))
        case .unsupported(let why):
            Issue.record(Comment(rawValue: "\(label) is UNSUPPORTED: \(why)"))
        }
    }

    @Test("--strict rejects what the tolerant matcher lets through: options out of order, a wrong window")
    func strictRejects() throws {
        let source = try #require(FileManager.default.contents(atPath: conformanceDirectory + "/syn-sent-syn-ack.pkt")
            .map { String(decoding: $0, as: UTF8.self) })
        let ours = "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>"
        #expect(source.contains("> S 0:0(0) " + ours))
        // The same options in another order: the same content.
        let reordered = source.replacingOccurrences(of: ours, with: "<sackOK,TS val 100 ecr 0,mss 1460,nop,wscale 1>")
        #expect(ScriptRunner.run(source: reordered, options: ScriptRunOptions()).isPass)
        guard case .fail(let f) = ScriptRunner.run(source: reordered, options: ScriptRunOptions(strict: true)).outcome else {
            Issue.record("--strict accepted options out of order")
            return
        }
        #expect(f.message.contains("options") && f.message.contains("in this order"), "\(f.message)")
        // A window the engine does not offer, on a script that set no buffer.
        let windowed = source.replacingOccurrences(of: "> S 0:0(0) " + ours, with: "> S 0:0(0) win 1234 " + ours)
        #expect(windowed != source)
        #expect(ScriptRunner.run(source: windowed, options: ScriptRunOptions()).isPass)
        guard case .fail(let g) = ScriptRunner.run(source: windowed, options: ScriptRunOptions(strict: true)).outcome else {
            Issue.record("--strict accepted a wrong window")
            return
        }
        #expect(g.message.contains("window: expected 1234"), "\(g.message)")
    }

    /// The `*-insecure*` scripts: each runs with some RFC 5961 defence off.
    static let insecureScripts = conformanceScripts.filter { $0.contains("-insecure") }

    /// A script without its shell lines that turn an RFC 5961 defence off (FreeBSD's
    /// `insecure_rst`, `insecure_syn`, `insecure_ack`), and how many lines were removed.
    static func withRFC5961On(_ source: String) -> (String, Int) {
        var removed = 0
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            let isShell = line.contains("`")
            let off = ["net.inet.tcp.insecure_rst", "net.inet.tcp.insecure_syn", "net.inet.tcp.insecure_ack"]
                .contains { line.contains($0) }
            guard isShell && off else { return line }
            removed += 1
            return "// (RFC 5961 switch removed)"
        }
        return (lines.joined(separator: "\n"), removed)
    }

    @Test("every -insecure script shows the difference: PASS with RFC 5961 off, FAIL with its switch line removed",
          arguments: insecureScripts)
    func insecureDiffers(_ name: String) throws {
        let path = conformanceDirectory + "/" + name
        let source = try #require(FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) })
        guard case .pass = ScriptRunner.run(source: source, options: ScriptRunOptions()).outcome else {
            Issue.record("\(name) does not PASS as written (the 'script passes' test says why)")
            return
        }
        let (secure, removed) = Self.withRFC5961On(source)
        #expect(removed > 0, "\(name) has no shell line turning an RFC 5961 defence off")
        let outcome = ScriptRunner.run(source: secure, options: ScriptRunOptions(profile: Self.profile(source))).outcome
        guard case .fail = outcome else {
            Issue.record("\(name) with RFC 5961 on gives \(outcome), not FAIL: it does not show what RFC 5961 changes")
            return
        }
    }

    /// The profile the script runs with as written: a script changed only in its RFC 5961 switches
    /// (FreeBSD setting names) keeps it, so that the switch is the only difference.
    static func profile(_ source: String) -> TCPConfiguration.Profile {
        guard let script = try? ScriptParser.parse(source) else { return .tcpkit }
        let run = Run(script: script, source: source, options: ScriptRunOptions())
        return run.scriptProfile() ?? run.chooseProfile()
    }

    /// `source` with all three RFC 5961 defences turned off (FreeBSD's `insecure_rst`,
    /// `insecure_syn` and `insecure_ack` = 1) at time 0, before the script's first event line.
    static func withRFC5961Off(_ source: String) -> String {
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = lines.firstIndex { line in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.first.map { $0.isNumber || $0 == "+" } ?? false
        } ?? lines.count
        let off = ["insecure_rst", "insecure_syn", "insecure_ack"].map { "0 `sysctl -w net.inet.tcp.\($0)=1`" }
        lines.insert(contentsOf: off, at: first)
        return lines.joined(separator: "\n")
    }

    /// The `-insecure` sibling of a script: `a-b.pkt` → `a-b-insecure.pkt`, `a-b-ipv6.pkt` → `a-b-insecure-ipv6.pkt`.
    static func insecureSibling(_ name: String) -> String {
        let stem = String(name.dropLast(".pkt".count))
        return stem.hasSuffix("-ipv6") ? String(stem.dropLast("-ipv6".count)) + "-insecure-ipv6.pkt" : stem + "-insecure.pkt"
    }

    /// The script a script names for its RFC 5961-off counterpart with a comment line
    /// `// RFC 5961 off: NAME.pkt` (for scripts about RFC 5961 itself, whose off case is another
    /// cell's `-insecure` script).
    static func declaredOffScript(_ source: String) -> String? {
        for line in source.split(separator: "\n") where line.hasPrefix("// RFC 5961 off: ") {
            return line.dropFirst("// RFC 5961 off: ".count).split(separator: " ").first.map(String.init)
        }
        return nil
    }

    /// Issue 3 asks for every cell "with RFC 5961 on and off". Each script without `-insecure` runs
    /// a second time with every RFC 5961 defence off: either it still passes (RFC 5961 changes
    /// nothing in that cell, and now that is checked, not assumed), or it fails and an `-insecure`
    /// sibling states what happens with the defences off (and `insecureDiffers` checks that one).
    @Test("every script was checked with RFC 5961 off too: it passes unchanged, or its -insecure sibling says what changes",
          arguments: conformanceScripts.filter { !$0.contains("-insecure") })
    func rfc5961Off(_ name: String) throws {
        let source = try #require(FileManager.default.contents(atPath: conformanceDirectory + "/" + name)
            .map { String(decoding: $0, as: UTF8.self) })
        switch ScriptRunner.run(source: Self.withRFC5961Off(source), options: ScriptRunOptions(profile: Self.profile(source))).outcome {
        case .pass:
            break
        case .fail(let f):
            let sibling = Self.declaredOffScript(source) ?? Self.insecureSibling(name)
            let covered = conformanceScripts.contains(sibling) && sibling.contains("-insecure")
            #expect(covered,
                    "\(name) fails with RFC 5961 off (line \(f.line): \(f.message)) and there is no \(sibling) to say what happens then")
        case .unsupported(let why):
            Issue.record("\(name) with RFC 5961 off is UNSUPPORTED: \(why)")
        }
    }
}
