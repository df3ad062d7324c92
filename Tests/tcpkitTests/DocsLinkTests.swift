// README.md and docs/ must not point at nothing: every relative link resolves to a file (and, for
// a link into a Markdown file, to one of its headings), and every `tcpkit` command line the README
// shows parses with the command's own declarations (`TCPKitCommand.parseAsRoot`, which also runs
// each command's `validate()`).

import Foundation
import Testing
import TestSupport
@testable import tcpkit

@Suite("README and docs: links resolve, commands parse")
struct DocsLinkTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL

    /// README.md and every Markdown file in docs/.
    static func documents() throws -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }.sorted()
        return [root.appendingPathComponent("README.md")] + names.map { docs.appendingPathComponent($0) }
    }

    static func relative(_ url: URL) -> String { String(url.path.dropFirst(root.path.count + 1)) }

    // MARK: Markdown, as much of it as the checks need

    /// The lines outside fenced code blocks, with their line numbers (from 1).
    static func prose(_ text: String) -> [(Int, Substring)] {
        var out: [(Int, Substring)] = []
        var fenced = false
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { fenced.toggle(); continue }
            if !fenced { out.append((n + 1, line)) }
        }
        return out
    }

    /// The fenced code blocks: (language, first line number, lines).
    static func codeBlocks(_ text: String) -> [(String, Int, [Substring])] {
        var out: [(String, Int, [Substring])] = []
        var current: (String, Int, [Substring])?
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("```") {
                if let c = current { out.append(c); current = nil } else { current = (String(t.dropFirst(3)), n + 2, []) }
            } else {
                current?.2.append(line)
            }
        }
        return out
    }

    /// `line` without its inline code spans (a link inside backticks is not a link).
    static func withoutCode(_ line: Substring) -> String {
        var out = "", inCode = false
        for ch in line {
            if ch == "`" { inCode.toggle(); continue }
            if !inCode { out.append(ch) }
        }
        return out
    }

    /// The inline code spans of `line`.
    static func codeSpans(_ line: Substring) -> [String] {
        line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// The targets of the `[text](target)` links in `line`.
    static func links(_ line: String) -> [String] {
        var out: [String] = []
        var rest = Substring(line)
        while let open = rest.range(of: "](") {
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: ")") else { break }
            let target = after[..<close].split(separator: " ").first.map(String.init) ?? ""
            out.append(target)
            rest = after[after.index(after: close)...]
        }
        return out
    }

    /// GitHub's anchor for a heading: lower case; letters, digits, `-`, `_` and spaces kept, spaces
    /// turned into `-`; a repeated anchor gets `-1`, `-2`, ….
    static func anchors(_ text: String) -> Set<String> {
        var seen: [String: Int] = [:]
        var out: Set<String> = []
        for (_, line) in prose(text) where line.hasPrefix("#") {
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            var slug = ""
            for ch in title.lowercased() {
                if ch == " " { slug.append("-") } else if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" { slug.append(ch) }
            }
            let k = seen[slug, default: 0]
            seen[slug] = k + 1
            out.insert(k == 0 ? slug : "\(slug)-\(k)")
        }
        return out
    }

    /// What is wrong with `target`, a link in `document`; nil when it resolves.
    static func problem(_ target: String, in document: URL) -> String? {
        if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:") { return nil }
        let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]), anchor = parts.count > 1 ? String(parts[1]) : nil
        let file = path.isEmpty ? document : document.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
        guard FileManager.default.fileExists(atPath: file.path) else { return "\(target): no file \(relative(file))" }
        guard let anchor, file.pathExtension == "md" else { return nil }
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return "\(target): cannot read \(relative(file))" }
        return anchors(text).contains(anchor) ? nil : "\(target): \(relative(file)) has no heading #\(anchor)"
    }

    @Test("every relative link in README.md and docs/*.md resolves, anchors included")
    func linksResolve() throws {
        var checked = 0
        for document in try Self.documents() {
            let text = try String(contentsOf: document, encoding: .utf8)
            for (n, line) in Self.prose(text) {
                for target in Self.links(Self.withoutCode(line)) {
                    checked += 1
                    if let problem = Self.problem(target, in: document) {
                        Issue.record("\(Self.relative(document)):\(n): \(problem)")
                    }
                }
            }
        }
        #expect(checked > 40, "only \(checked) links found: is the link reader still working?")
    }

    @Test("the link checker finds what is broken")
    func brokenLinksAreFound() throws {
        let readme = Self.root.appendingPathComponent("README.md")
        #expect(Self.problem("docs/no-such-page.md", in: readme) != nil)
        #expect(Self.problem("docs/cli.md#no-such-heading", in: readme) != nil)
        #expect(Self.problem("docs/cli.md", in: readme) == nil)
        #expect(Self.anchors("# A `--b c` (d)\n## A `--b c` (d)\n") == ["a---b-c-d", "a---b-c-d-1"])
        #expect(Self.links("see [x](a.md#b) and [y](https://e) `[z](q)`") == ["a.md#b", "https://e", "q"])
        #expect(Self.links(Self.withoutCode("see `[z](q)` only")) == [])
    }

    // MARK: Command lines

    /// The shell words of `line` (single and double quotes, backslash escapes), up to a `#` comment.
    static func words(_ line: String) -> [String] {
        var out: [String] = [], word = "", inWord = false
        var quote: Character?
        var escaped = false
        for ch in line {
            if escaped { word.append(ch); escaped = false; inWord = true; continue }
            if let q = quote {
                if ch == q { quote = nil } else if ch == "\\" && q == "\"" { escaped = true } else { word.append(ch) }
                continue
            }
            switch ch {
            case "'", "\"": quote = ch; inWord = true
            case "\\": escaped = true
            case " ", "\t":
                if inWord { out.append(word); word = ""; inWord = false }
            case "#" where !inWord:
                return out
            default: word.append(ch); inWord = true
            }
        }
        if inWord { out.append(word) }
        return out
    }

    /// The `tcpkit` invocations in one shell line: the arguments after `tcpkit` of each command
    /// that runs it, past `sudo`, environment assignments, `swift run` and `ip netns exec NAME`.
    static func tcpkitArguments(_ line: String) -> [[String]] {
        var commands: [[String]] = [[]]
        for w in words(line) {
            if ["|", "||", "&&", ";", "&"].contains(w) { commands.append([]) } else { commands[commands.count - 1].append(w) }
        }
        return commands.compactMap { words in
            var w = words[...]
            while let first = w.first {
                if first == "sudo" || (first.contains("=") && !first.hasPrefix("-")) {
                    w = w.dropFirst()
                } else if w.starts(with: ["swift", "run"]) {
                    w = w.dropFirst(2)
                } else if w.starts(with: ["ip", "netns", "exec"]) {
                    w = w.dropFirst(4)
                } else {
                    break
                }
            }
            guard let program = w.first, program == "tcpkit" || program.hasSuffix("/tcpkit") else { return nil }
            return Array(w.dropFirst())
        }
    }

    /// Every `tcpkit` command line the README shows: in shell code blocks (a line ending in `\`
    /// continues), and in inline code spans. (readme line, arguments)
    static func readmeCommands() throws -> [(Int, [String])] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var out: [(Int, [String])] = []
        for (language, first, lines) in codeBlocks(text) where ["sh", "shell", "bash", "console"].contains(language) {
            var pending = "", start = first
            for (k, line) in lines.enumerated() {
                if pending.isEmpty { start = first + k }
                if line.hasSuffix("\\") { pending += line.dropLast() + " "; continue }
                out += tcpkitArguments(pending + line).map { (start, $0) }
                pending = ""
            }
        }
        for (n, line) in prose(text) {
            for span in codeSpans(line) { out += tcpkitArguments(span).map { (n, $0) } }
        }
        return out
    }

    static func parses(_ arguments: [String]) -> String? {
        do {
            _ = try TCPKitCommand.parseAsRoot(arguments)
            return nil
        } catch {
            return TCPKitCommand.message(for: error)
        }
    }

    @Test("every tcpkit command line in README.md parses with the current CLI")
    func readmeCommandsParse() throws {
        let commands = try Self.readmeCommands()
        #expect(commands.count >= 8, "only \(commands.count) tcpkit command lines found in README.md")
        for (line, arguments) in commands {
            if let error = Self.parses(arguments) {
                Issue.record("README.md:\(line): tcpkit \(arguments.joined(separator: " ")): \(error)")
            }
        }
    }

    @Test("the command reader finds tcpkit behind sudo, env and swift run, and the parser refuses bad lines")
    func commandReaderAndParserCanFail() {
        #expect(Self.tcpkitArguments("sudo FOO=1 tcpkit tun serve --mode echo &   # a comment") == [["tun", "serve", "--mode", "echo"]])
        #expect(Self.tcpkitArguments("swift run tcpkit script run 'a b.pkt' | tail -1") == [["script", "run", "a b.pkt"]])
        #expect(Self.tcpkitArguments("curl http://198.18.0.2:8080/").isEmpty)
        #expect(Self.parses(["scenario", "lost-syn"]) == nil)
        #expect(Self.parses(["scenario", "no-such-scenario"]) != nil)
        #expect(Self.parses(["simulate", "--loss", "150%"]) != nil)
        #expect(Self.parses(["simulate", "--no-such-option"]) != nil)
    }
    @Test("the ladder the README shows is what `tcpkit scenario classic` prints, line for line")
    func readmeLadderIsRealOutput() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        // `<!-- output: tcpkit ARGS -->` names the command whose output follows.
        let at = try #require(all.firstIndex { $0.hasPrefix("<!-- output: tcpkit ") && $0.hasSuffix(" -->") },
                              "README.md has no <!-- output: tcpkit ... --> marker")
        let arguments = all[at].dropFirst("<!-- output: tcpkit ".count).dropLast(" -->".count)
            .split(separator: " ").map(String.init)
        #expect(arguments.first == "scenario")
        #expect(all[at + 1] == "```")
        let shown = Array(all[(at + 2)...].prefix { $0 != "```" })
        #expect(shown.count >= 5)
        let run = try TCPKitTool.run(arguments)
        #expect(run.status == 0)
        let printed = run.output.split(separator: "\n", omittingEmptySubsequences: false)
        // The excerpt is a stretch of consecutive lines of the real output.
        let found = printed.indices.contains { i in printed[i...].starts(with: shown) }
        #expect(found, "README.md's ladder excerpt is not in the output of `tcpkit \(arguments.joined(separator: " "))`; its first line: \(shown.first ?? "")")
    }
}
