import TCPTrace

/// The verdicts of a run of many scripts, and what `tcpkit script run` prints after the
/// per-script lines: a table per folder (passed, failed, unsupported, and how many of the failed
/// are parse errors), and the ten most frequent reasons for FAIL and for UNSUPPORTED. The same
/// as one JSON object (`--format json`) or a Markdown page (`--format markdown`: the folder table,
/// the reasons, then every FAIL and UNSUPPORTED script with its line and reason).
///
/// Reasons are grouped after `normalize`: the `line N: ` that begins some, every number standing
/// on its own (not part of a name such as `ipv4` or `tcp_rmem`), every absolute path and the
/// depth of a relative one (`../../common/x.sh`) are replaced, so that the same cause in
/// different scripts counts once.
public struct ScriptReport: Sendable {
    /// One script's verdict.
    public struct Entry: Sendable {
        /// The path as collected (as given, or found under a directory given).
        public var path: String
        /// The path shown in tables: relative to the one directory given, else as given.
        public var displayPath: String
        /// The script's directory, as `displayPath` shows it ("." for the directory given).
        public var folder: String
        public var outcome: ScriptOutcome

        public init(path: String, displayPath: String, folder: String, outcome: ScriptOutcome) {
            self.path = path
            self.displayPath = displayPath
            self.folder = folder
            self.outcome = outcome
        }

        /// The script line the verdict names, if any.
        public var line: Int? {
            switch outcome {
            case .pass: return nil
            case .fail(let f): return f.line > 0 ? f.line : nil
            case .unsupported(let why): return ScriptReport.leadingLine(why)?.line
            }
        }

        /// The reason as printed (nil for PASS); for UNSUPPORTED without its `line N: `.
        public var reason: String? {
            switch outcome {
            case .pass: return nil
            case .fail(let f): return f.message
            case .unsupported(let why): return ScriptReport.leadingLine(why)?.rest ?? why
            }
        }

        public var isParseError: Bool {
            if case .fail(let f) = outcome { return f.cause == .parseError }
            return false
        }
    }

    /// Counts for one folder (or all).
    public struct Counts: Sendable, Hashable {
        public var passed = 0
        public var failed = 0
        public var unsupported = 0
        /// Failed scripts the runner could not parse (counted in `failed` too).
        public var parseErrors = 0
        public init() {}

        mutating func add(_ e: Entry) {
            switch e.outcome {
            case .pass: passed += 1
            case .fail: failed += 1
            case .unsupported: unsupported += 1
            }
            if e.isParseError { parseErrors += 1 }
        }
    }

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    public var totals: Counts {
        var c = Counts()
        for e in entries { c.add(e) }
        return c
    }

    /// Counts per folder, sorted by folder.
    public var folders: [(folder: String, counts: Counts)] {
        var byFolder: [String: Counts] = [:]
        for e in entries { byFolder[e.folder, default: Counts()].add(e) }
        return byFolder.keys.sorted().map { ($0, byFolder[$0]!) }
    }

    /// The `limit` most frequent normalised reasons among FAILs (`failed: true`) or UNSUPPORTEDs,
    /// most frequent first, ties in the reasons' order.
    public func topReasons(failed: Bool, limit: Int = 10) -> [(reason: String, count: Int)] {
        var counts: [String: Int] = [:]
        for e in entries {
            let wanted: Bool
            switch e.outcome {
            case .pass: wanted = false
            case .fail: wanted = failed
            case .unsupported: wanted = !failed
            }
            guard wanted, let r = e.reason else { continue }
            counts[ScriptReport.normalize(r), default: 0] += 1
        }
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return sorted.prefix(limit).map { ($0.key, $0.value) }
    }

    /// What the normalisation does, for readers of the reports.
    public static let normalization = "numbers standing alone as N, absolute paths (not /proc, /sys) as PATH, ../../ as ../"

    /// `reason` with what differs from script to script for the same cause replaced: a leading
    /// `line N: `, each number standing alone (decimal, hex, with a fraction; not the digits of a
    /// name such as `ipv4`) by `N`, each absolute path outside /proc and /sys by `PATH`, `../../` (any depth) by `../`,
    /// white space runs by one space.
    public static func normalize(_ reason: String) -> String {
        let text = Array((leadingLine(reason)?.rest ?? reason).unicodeScalars)
        func isName(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) }
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        func isHexDigit(_ c: Unicode.Scalar) -> Bool { isDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c) }
        var out = String.UnicodeScalarView()
        var i = 0
        var lastWasSpace = false
        while i < text.count {
            let c = text[i]
            let previous: Unicode.Scalar? = i > 0 ? text[i - 1] : nil
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                if !lastWasSpace && !out.isEmpty { out.append(" ") }
                lastWasSpace = true
                i += 1
                continue
            }
            lastWasSpace = false
            // An absolute path: "/" after white space, a quote or the start, then at least one more "/".
            // Not one under /proc or /sys: those name a setting, which is the cause.
            if c == "/", previous == nil || " \t\n\r'\"`(=:".unicodeScalars.contains(previous!) {
                var j = i + 1
                var slashes = 1
                while j < text.count, !" '\"`),;=".unicodeScalars.contains(text[j]) {
                    if text[j] == "/" { slashes += 1 }
                    j += 1
                }
                let path = String(String.UnicodeScalarView(text[i..<j]))
                if slashes >= 2 && j > i + 1 && text[i + 1] != "/" && !path.hasPrefix("/proc/") && !path.hasPrefix("/sys/") {
                    out.append(contentsOf: "PATH".unicodeScalars)
                    i = j
                    continue
                }
            }
            // "../../": one "../" (a script's depth in its tree is not part of the cause).
            if c == ".", i + 5 < text.count, text[i + 1] == ".", text[i + 2] == "/", text[i + 3] == ".", text[i + 4] == ".", text[i + 5] == "/" {
                i += 3
                continue
            }
            // A number standing alone: not glued to a name on either side.
            if isDigit(c), previous.map({ !isName($0) }) ?? true {
                var j = i
                if c == "0", j + 2 < text.count, text[j + 1] == "x" || text[j + 1] == "X", isHexDigit(text[j + 2]) {
                    j += 2
                    while j < text.count, isHexDigit(text[j]) { j += 1 }
                } else {
                    while j < text.count, isDigit(text[j]) { j += 1 }
                    if j + 1 < text.count, text[j] == ".", isDigit(text[j + 1]) {
                        j += 1
                        while j < text.count, isDigit(text[j]) { j += 1 }
                    }
                }
                if j >= text.count || !isName(text[j]) {
                    out.append("N")
                    i = j
                    continue
                }
                // Glued to a name after it (`8080abc`): a name, kept whole.
                while j < text.count, isName(text[j]) { j += 1 }
                out.append(contentsOf: text[i..<j])
                i = j
                continue
            }
            if isName(c) {   // a name: kept whole, digits included
                var j = i
                while j < text.count, isName(text[j]) { j += 1 }
                out.append(contentsOf: text[i..<j])
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        var s = String(out)
        while s.last == " " { s.removeLast() }
        return s
    }

    /// `line N: rest` split, when `text` begins so.
    static func leadingLine(_ text: String) -> (line: Int, rest: String)? {
        guard text.hasPrefix("line ") else { return nil }
        let afterWord = text.dropFirst(5)
        let digits = afterWord.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int(digits) else { return nil }
        let rest = afterWord.dropFirst(digits.count)
        guard rest.hasPrefix(": ") else { return nil }
        return (n, String(rest.dropFirst(2)))
    }

    // MARK: Text

    /// The lines printed after the per-script lines: the folder table and the most frequent
    /// reasons (only when more than one script ran), a count of parse errors when there are any,
    /// and last `N passed, N failed, N unsupported`.
    public func summaryLines() -> [String] {
        var out: [String] = []
        let t = totals
        if entries.count > 1 {
            let rows = folders
            let width = max(6, rows.map(\.folder.count).max() ?? 0)
            func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
            func num(_ n: Int, _ w: Int) -> String { let s = String(n); return String(repeating: " ", count: max(0, w - s.count)) + s }
            func row(_ name: String, _ c: Counts) -> String {
                pad(name, width) + "  " + num(c.passed, 6) + "  " + num(c.failed, 6) + "  " + num(c.unsupported, 11) + "  " + num(c.parseErrors, 12)
            }
            out.append("")
            out.append(pad("folder", width) + "  passed  failed  unsupported  parse errors")
            for r in rows { out.append(row(r.folder, r.counts)) }
            out.append(row("all", t))
            for failed in [true, false] {
                let top = topReasons(failed: failed)
                guard !top.isEmpty else { continue }
                out.append("")
                out.append("most frequent \(failed ? "FAIL" : "UNSUPPORTED") reasons (\(ScriptReport.normalization)):")
                let w = max(5, String(top[0].count).count)
                for (reason, count) in top { out.append(num(count, w) + "  " + reason) }
            }
            out.append("")
        }
        if t.parseErrors > 0 {
            out.append("\(t.parseErrors) parse error\(t.parseErrors == 1 ? "" : "s") (scripts the runner could not parse, counted in failed)")
        }
        var summary = ScriptSuite.Totals()
        summary.passed = t.passed
        summary.failed = t.failed
        summary.unsupported = t.unsupported
        out.append(summary.summary)
        return out
    }

    // MARK: JSON

    /// One JSON object: `scripts` (path, folder, outcome pass|fail|unsupported, cause for a FAIL:
    /// behaviour, parse error or unreadable, line, reason, expected and actual), `folders` (the
    /// counts of each), `totals`, `topReasons` (`fail` and `unsupported`: reason and count), and
    /// `normalization` (how reasons were grouped).
    public func json() -> String {
        func str(_ s: String?) -> String { s.map(JSONLinesRenderer.string) ?? "null" }
        func counts(_ c: Counts) -> String {
            "\"passed\":\(c.passed),\"failed\":\(c.failed),\"unsupported\":\(c.unsupported),\"parseErrors\":\(c.parseErrors)"
        }
        var scripts: [String] = []
        for e in entries {
            var fields = ["\"path\":" + str(e.path), "\"folder\":" + str(e.folder)]
            switch e.outcome {
            case .pass:
                fields.append("\"outcome\":\"pass\"")
            case .fail(let f):
                fields.append("\"outcome\":\"fail\"")
                fields.append("\"cause\":" + str(f.cause.rawValue))
            case .unsupported:
                fields.append("\"outcome\":\"unsupported\"")
            }
            fields.append("\"line\":" + (e.line.map(String.init) ?? "null"))
            fields.append("\"reason\":" + str(e.reason))
            if case .fail(let f) = e.outcome, f.expected != nil || f.actual != nil {
                fields.append("\"expected\":" + str(f.expected))
                fields.append("\"actual\":" + str(f.actual))
            }
            scripts.append("{" + fields.joined(separator: ",") + "}")
        }
        let folderObjects = folders.map { "{\"folder\":" + str($0.folder) + "," + counts($0.counts) + "}" }
        func top(_ failed: Bool) -> String {
            "[" + topReasons(failed: failed).map { "{\"reason\":" + str($0.reason) + ",\"count\":\($0.count)}" }.joined(separator: ",") + "]"
        }
        return "{\"scripts\":[" + scripts.joined(separator: ",") + "],\"folders\":[" + folderObjects.joined(separator: ",")
            + "],\"totals\":{" + counts(totals) + "},\"topReasons\":{\"fail\":" + top(true) + ",\"unsupported\":" + top(false)
            + "},\"normalization\":" + str(ScriptReport.normalization) + "}"
    }

    // MARK: Markdown

    /// A Markdown page: `title`, the totals, the folder table, the most frequent reasons, then
    /// every FAIL and every UNSUPPORTED script with its line and reason.
    public func markdown(title: String) -> String {
        // One table cell: one line, `|` escaped, and outside code spans `<` and `>` as entities
        // (a TCP option list `<mss 1460>` is not HTML).
        func cell(_ s: String) -> String {
            var out = ""
            var inCode = false
            for c in s {
                switch c {
                case "\n", "\r": out += " "
                case "|": out += "\\|"
                case "`": inCode.toggle(); out.append(c)
                case "<" where !inCode: out += "&lt;"
                case ">" where !inCode: out += "&gt;"
                default: out.append(c)
                }
            }
            return out
        }
        let t = totals
        var out = ["# \(title)", ""]
        out.append("\(entries.count) script\(entries.count == 1 ? "" : "s"): \(t.passed) passed, \(t.failed) failed"
                   + (t.parseErrors > 0 ? " (\(t.parseErrors) of them parse errors)" : "") + ", \(t.unsupported) unsupported.")
        out.append("")
        out.append("| folder | passed | failed | unsupported | parse errors |")
        out.append("| --- | ---: | ---: | ---: | ---: |")
        for r in folders {
            out.append("| \(cell(r.folder)) | \(r.counts.passed) | \(r.counts.failed) | \(r.counts.unsupported) | \(r.counts.parseErrors) |")
        }
        out.append("| **all** | \(t.passed) | \(t.failed) | \(t.unsupported) | \(t.parseErrors) |")
        for failed in [true, false] {
            let top = topReasons(failed: failed)
            guard !top.isEmpty else { continue }
            out += ["", "## Most frequent \(failed ? "FAIL" : "UNSUPPORTED") reasons", ""]
            out.append("Grouped after normalisation: \(ScriptReport.normalization).")
            out += ["", "| scripts | reason |", "| ---: | --- |"]
            for (reason, count) in top { out.append("| \(count) | \(cell(reason)) |") }
        }
        for failed in [true, false] {
            let list = entries.filter {
                switch $0.outcome {
                case .pass: false
                case .fail: failed
                case .unsupported: !failed
                }
            }
            guard !list.isEmpty else { continue }
            out += ["", "## \(failed ? "FAIL" : "UNSUPPORTED") scripts", ""]
            out += ["| script | line | \(failed ? "difference" : "reason") |", "| --- | ---: | --- |"]
            for e in list {
                var reason = e.reason ?? ""
                if case .fail(let f) = e.outcome, let x = f.expected, let a = f.actual {
                    reason += " (expected `\(x)`, actual `\(a)`)"
                }
                out.append("| `\(cell(e.displayPath))` | \(e.line.map(String.init) ?? "") | \(cell(reason)) |")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}
