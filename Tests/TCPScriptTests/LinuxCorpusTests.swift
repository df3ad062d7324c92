// packetdrill's own Linux TCP scripts, run as written: `../shared/corpora/packetdrill-linux` beside
// the project (CI has it there). The pass count may only grow: the figure recorded here and in
// docs/packetdrill-linux.md is the floor; every script that does not pass is listed on that page.

import Foundation
import Testing
@testable import TCPScript

let linuxCorpusDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("shared/corpora/packetdrill-linux").path

let linuxCorpusPresent = FileManager.default.fileExists(atPath: linuxCorpusDirectory + "/tcp")

@Suite("packetdrill's Linux corpus, run as written",
       .enabled(if: linuxCorpusPresent || ProcessInfo.processInfo.environment["CI"] != nil,
                "needs ../shared/corpora/packetdrill-linux beside the project (CI has it)"))
struct LinuxCorpusTests {
    /// Scripts that passed when the figure was last recorded (docs/packetdrill-linux.md).
    static let recordedPasses = 133

    static let docsPage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/packetdrill-linux.md").path

    @Test("no script ends in a parse error, at least the recorded number pass, and the docs page lists every other one")
    func corpus() throws {
        try #require(linuxCorpusPresent, "the corpus is missing at \(linuxCorpusDirectory)")
        let report = ScriptSuite.run(paths: [linuxCorpusDirectory], options: ScriptRunOptions())
        let totals = report.totals
        #expect(report.entries.count == 162, "scripts found: \(report.entries.count)")
        #expect(totals.parseErrors == 0, "parse errors: \(report.entries.filter(\.isParseError).map(\.displayPath))")
        #expect(totals.passed >= Self.recordedPasses,
                "\(totals.passed) pass, fewer than the \(Self.recordedPasses) recorded: \(totals.passed) passed, \(totals.failed) failed, \(totals.unsupported) unsupported")
        // No file the runner could not read, and no UNSUPPORTED without a reason.
        for e in report.entries {
            if case .fail(let f) = e.outcome { #expect(f.cause == .behaviour, "\(e.displayPath): \(f.message)") }
            if case .unsupported(let why) = e.outcome { #expect(!why.isEmpty, "\(e.displayPath)") }
        }
        let page = try String(contentsOfFile: Self.docsPage, encoding: .utf8)
        #expect(page.contains("\(totals.passed) passed"), "docs/packetdrill-linux.md does not show today's \(totals.passed) passes")
        for e in report.entries where e.outcome != .pass {
            #expect(page.contains(e.displayPath), "docs/packetdrill-linux.md does not list \(e.displayPath)")
        }
    }
}
