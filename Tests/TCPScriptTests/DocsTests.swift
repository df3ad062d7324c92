// docs/rfc9293-requirements.md names, for each requirement, the scripts and test files that check
// it. A name that does not exist (a renamed or deleted script) would make the table lie: every
// file it cites, and every script a `prefix-{a,b,c}` pattern stands for, must exist.

import Foundation
import Testing
@testable import TCPScript

@Suite("The requirements table cites what exists")
struct DocsTests {
    static let root = URL(fileURLWithPath: conformanceDirectory).deletingLastPathComponent().deletingLastPathComponent()
    static let states = ["closed", "listen", "syn-sent", "syn-received", "established", "fin-wait-1", "fin-wait-2",
                         "close-wait", "closing", "last-ack", "time-wait"]

    /// Every `.swift` file under Tests and Sources, by file name.
    static let swiftFiles: Set<String> = {
        var out: Set<String> = []
        for dir in ["Tests", "Sources"] {
            let e = FileManager.default.enumerator(atPath: root.appendingPathComponent(dir).path)
            while let rel = e?.nextObject() as? String {
                if rel.hasSuffix(".swift") { out.insert((rel as NSString).lastPathComponent) }
            }
        }
        return out
    }()

    /// `a-{x,y}-b` -> [a-x-b, a-y-b] (one pair of braces; `{,-z}` gives the empty alternative).
    static func expand(_ pattern: String) -> [String] {
        guard let open = pattern.firstIndex(of: "{"), let close = pattern[open...].firstIndex(of: "}") else { return [pattern] }
        let head = pattern[..<open], tail = pattern[pattern.index(after: close)...]
        return pattern[pattern.index(after: open)..<close].split(separator: ",", omittingEmptySubsequences: false)
            .flatMap { expand(String(head) + $0 + tail) }
    }

    /// The names one table line cites: (name, line number).
    static func citations() throws -> [(String, Int)] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/rfc9293-requirements.md"), encoding: .utf8)
        var out: [(String, Int)] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // The states of a `| STATE, STATE | ...` row stand for `STATE-` in its patterns.
            let firstCell = line.hasPrefix("| ") ? line.dropFirst(2).prefix { $0 != "|" } : ""
            let rowStates = firstCell.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                .filter { states.contains($0) }
            let parts = line.split(separator: "`", omittingEmptySubsequences: false)
            for (k, part) in parts.enumerated() where k % 2 == 1 {
                let token = String(part)
                guard !token.contains("["), !token.contains("*"), !token.contains(" "), token != "Foo.swift" else { continue }
                if token.hasSuffix(".pkt") || token.hasSuffix(".swift") {
                    out.append((token, n + 1))
                } else if token.contains("{") {
                    let names = token.hasPrefix("STATE-") ? rowStates.flatMap { s in expand(s + token.dropFirst(5)) } : expand(token)
                    out += names.map { ($0 + ".pkt", n + 1) }
                }
            }
        }
        return out
    }

    @Test("every script and test file the table names exists")
    func citedFilesExist() throws {
        let cited = try Self.citations()
        #expect(cited.count > 300, "only \(cited.count) citations found: is the parser still reading the table?")
        for (name, line) in cited {
            if name.hasSuffix(".swift") {
                #expect(Self.swiftFiles.contains((name as NSString).lastPathComponent), "docs/rfc9293-requirements.md:\(line) cites \(name), which does not exist")
            } else {
                let path = conformanceDirectory + "/" + name
                #expect(FileManager.default.fileExists(atPath: path), "docs/rfc9293-requirements.md:\(line) cites \(name), which is not in Tests/Conformance")
            }
        }
    }

    @Test("each of the eleven states has scripts, in IPv4 and IPv6")
    func everyState() {
        for state in Self.states {
            let mine = conformanceScripts.filter { $0.hasPrefix(state + "-") }
            #expect(mine.count >= 8, "\(state): \(mine.count) scripts")
            #expect(mine.contains { $0.hasSuffix("-ipv6.pkt") }, "\(state): no IPv6 script")
        }
    }
}
