// Runs every packetdrill script under Tests/Conformance against the engine. A script that does
// not PASS fails the test run with its name, the script line, and the expected and actual
// segment or call. Scripts in Tests/Conformance/pending/ (ones that reveal an engine bug not fixed
// yet) are skipped, loudly.

import Foundation
import Testing
@testable import TCPScript

let conformanceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Conformance").path

/// Script paths relative to Tests/Conformance, pending ones excluded.
let conformanceScripts: [String] = ScriptSuite.collect([conformanceDirectory])
    .map { String($0.dropFirst(conformanceDirectory.count + 1)) }
    .filter { !$0.hasPrefix("pending/") }

@Suite("Conformance scripts")
struct ConformanceTests {
    @Test("the suite is there")
    func present() {
        #expect(conformanceScripts.count >= 10, "found \(conformanceScripts.count) scripts in \(conformanceDirectory)")
    }

    @Test("script passes", arguments: conformanceScripts)
    func script(_ name: String) {
        let result = ScriptSuite.run(file: conformanceDirectory + "/" + name, options: ScriptRunOptions())
        switch result.outcome {
        case .pass:
            break
        case .fail(let f):
            let text = (["\(name):\(f.line): \(f.message)"] + f.detailLines()).joined(separator: "\n")
            Issue.record(Comment(rawValue: text))
        case .unsupported(let why):
            Issue.record(Comment(rawValue: "\(name) is UNSUPPORTED: \(why)"))
        }
    }

    @Test("pending scripts are skipped, and said so")
    func pending() {
        let pending = ScriptSuite.collect([conformanceDirectory + "/pending"])
        guard !pending.isEmpty else { return }
        print("""
        ************************************************************************
        NOTE: \(pending.count) conformance script(s) in Tests/Conformance/pending are SKIPPED:
        they show engine bugs not fixed yet (see the comment at the head of each):
        \(pending.map { "  - " + ($0 as NSString).lastPathComponent }.joined(separator: "\n"))
        ************************************************************************
        """)
    }
}
