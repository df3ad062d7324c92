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

    /// The status a row's "Checked by" cell gives, read from its first words.
    enum RowStatus: CaseIterable {
        case checked, partly, violated, trivial, notChecked, notImplemented

        init(cell: String) {
            let c = cell.lowercased()
            if c.hasPrefix("not implemented") { self = .notImplemented }
            else if c.hasPrefix("not checked") { self = .notChecked }
            else if c.hasPrefix("partly") { self = .partly }
            else if c.hasPrefix("violated") { self = .violated }
            else if c.hasPrefix("trivially met") || c.hasPrefix("not applicable") { self = .trivial }
            else { self = .checked }
        }
    }

    /// The requirement rows of the table (`| MUST-n |`, `| SHLD-n |`, `| REC-n |`): label and status.
    static func rows() throws -> [(label: String, status: RowStatus)] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/rfc9293-requirements.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> (String, RowStatus)? in
            guard line.hasPrefix("| MUST-") || line.hasPrefix("| SHLD-") || line.hasPrefix("| REC-") else { return nil }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            // | label | paraphrase | checked by |  (the paraphrase and the last cell may hold `|` only inside code spans, which the table avoids)
            guard cells.count >= 5 else { return nil }
            return (cells[1], RowStatus(cell: cells[cells.count - 2]))
        }
    }

    /// The summary sentence for these counts, as docs/rfc9293-requirements.md must print it.
    static func summary(_ rows: [(label: String, status: RowStatus)]) -> String {
        func n(_ s: RowStatus) -> String {
            let k = rows.filter { $0.status == s }.count
            return k == 0 ? "none" : String(k)
        }
        func verb(_ s: RowStatus) -> String { rows.filter { $0.status == s }.count > 1 ? "are" : "is" }
        return "Summary: \(rows.count) rows. \(n(.checked)) \(verb(.checked)) checked (a few with a caveat noted in the row), "
            + "\(n(.partly)) \(verb(.partly)) checked only in part, \(n(.violated)) \(verb(.violated)) violated, "
            + "\(n(.trivial)) \(verb(.trivial)) trivially met or not applicable, \(n(.notChecked)) \(verb(.notChecked)) not checked, "
            + "and \(n(.notImplemented)) \(verb(.notImplemented)) not implemented."
    }

    @Test("the summary line counts the table's rows by status (RFC 9293 Appendix B has 104)")
    func summaryIsComputed() throws {
        let rows = try Self.rows()
        #expect(rows.count == 104, "\(rows.count) requirement rows")
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/rfc9293-requirements.md"), encoding: .utf8)
        // The summary may be wrapped over lines in the file: compare it with whitespace folded.
        let folded = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let expected = Self.summary(rows)
        let matches = folded.contains(expected)
        #expect(matches, "docs/rfc9293-requirements.md's summary should read: \(expected)")
    }
}
