/// A back-quoted shell command of a script, split as `sh` would split it, far enough for the
/// commands packetdrill scripts run: lists (`;`, newlines, `&&`, `||`), pipelines (`|`), words
/// with quotes and backslashes, `$((...))` arithmetic, `$NAME` / `${NAME}` variables, comments,
/// backslash-newline continuations and redirections (`> FILE`, `2>&1`, `&> FILE`, `N> FILE`).
struct ShellCommandLine: Equatable {
    /// One command of a pipeline.
    struct Simple: Equatable {
        var words: [String]
        /// (file descriptor, target): `> /dev/null` is (1, "/dev/null"), `2>&1` is (2, "&1").
        var redirections: [(fd: Int, target: String)]
        static func == (a: Simple, b: Simple) -> Bool {
            a.words == b.words && a.redirections.map(\.fd) == b.redirections.map(\.fd)
                && a.redirections.map(\.target) == b.redirections.map(\.target)
        }
        /// The command as written (quotes and expansions resolved).
        var text: String {
            (words + redirections.map { r in
                let fd = r.fd == 1 ? "" : r.fd == -1 ? "&" : String(r.fd)
                return r.target.hasPrefix("&") ? fd + ">" + r.target : fd + "> " + r.target
            }).joined(separator: " ")
        }
    }
    /// How a pipeline joins the one before it.
    enum Connector: String, Equatable { case sequence = ";", and = "&&", or = "||" }
    struct Pipeline: Equatable {
        var connector: Connector
        var commands: [Simple]
    }
    var pipelines: [Pipeline]

    struct SyntaxError: Error, Equatable { var message: String }

    /// Variables `$NAME` expands to (anything else expands to nothing, as unset variables do).
    static let variables: [String: String] = ["PPID": "1", "PACKETDRILL_PID": "1", "HOME": "/root"]

    private enum Token: Equatable {
        case word(String)
        case op(String)          // ; && || |
        case redirect(Int, String)  // fd and operator (">", ">>", "<", ">&")
    }

    init(_ source: String) throws(SyntaxError) {
        let tokens = try Self.tokenize(source)
        var pipelines: [Pipeline] = []
        var connector = Connector.sequence
        var commands: [Simple] = []
        var current = Simple(words: [], redirections: [])
        var k = 0
        func endCommand() throws(SyntaxError) {
            if current.words.isEmpty {
                guard current.redirections.isEmpty else { throw SyntaxError(message: "a redirection without a command") }
                return
            }
            commands.append(current)
            current = Simple(words: [], redirections: [])
        }
        func endPipeline(_ next: Connector) throws(SyntaxError) {
            try endCommand()
            if commands.isEmpty {
                if next != .sequence { throw SyntaxError(message: "`\(next.rawValue)` without a command before it") }
                return
            }
            pipelines.append(Pipeline(connector: connector, commands: commands))
            commands = []
            connector = next
        }
        while k < tokens.count {
            switch tokens[k] {
            case .word(let w):
                current.words.append(w)
            case .redirect(let fd, let op):
                guard k + 1 < tokens.count, case .word(let target) = tokens[k + 1] else {
                    throw SyntaxError(message: "a redirection without a target")
                }
                current.redirections.append((fd, op == ">&" ? "&" + target : (op == ">>" ? ">" + target : target)))
                k += 1
            case .op("|"):
                guard !current.words.isEmpty else { throw SyntaxError(message: "`|` without a command before it") }
                try endCommand()
            case .op("&&"): try endPipeline(.and)
            case .op("||"): try endPipeline(.or)
            case .op(_): try endPipeline(.sequence)
            }
            k += 1
        }
        try endPipeline(.sequence)
        self.pipelines = pipelines
    }

    private static func tokenize(_ source: String) throws(SyntaxError) -> [Token] {
        let chars = Array(source)
        var tokens: [Token] = []
        var word = ""
        var inWord = false
        var k = 0
        func flush() {
            if inWord { tokens.append(.word(word)) }
            word = ""
            inWord = false
        }
        func expandDollar() throws(SyntaxError) -> String {
            // chars[k] == "$"
            if k + 2 < chars.count, chars[k + 1] == "(", chars[k + 2] == "(" {
                var depth = 0, j = k + 1
                var inner = ""
                while j < chars.count {
                    let c = chars[j]
                    if c == "(" { depth += 1; if depth > 2 { inner.append(c) } }
                    else if c == ")" { depth -= 1; if depth == 0 { break }; if depth >= 2 { inner.append(c) } }
                    else { inner.append(c) }
                    j += 1
                }
                guard j < chars.count, depth == 0 else { throw SyntaxError(message: "unterminated $((") }
                // `inner` lost the inner closing paren of "))": drop nothing more.
                k = j + 1
                var parser = ArithmeticParser(Array(inner))
                guard let v = parser.parse() else { throw SyntaxError(message: "bad arithmetic $((\(inner)))") }
                return String(v)
            }
            if k + 1 < chars.count, chars[k + 1] == "{" {
                guard let close = chars[(k + 2)...].firstIndex(of: "}") else { throw SyntaxError(message: "unterminated ${") }
                let name = String(chars[(k + 2)..<close])
                k = close + 1
                return variables[name] ?? ""
            }
            var j = k + 1
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
            if j == k + 1 { k += 1; return "$" }
            let name = String(chars[(k + 1)..<j])
            k = j
            return variables[name] ?? ""
        }
        while k < chars.count {
            let c = chars[k]
            switch c {
            case "\\":
                if k + 1 < chars.count, chars[k + 1] == "\n" { k += 2; continue }   // continuation
                if k + 1 < chars.count { word.append(chars[k + 1]); inWord = true }
                k += 2
            case "'":
                guard let close = chars[(k + 1)...].firstIndex(of: "'") else { throw SyntaxError(message: "unterminated quote") }
                word += String(chars[(k + 1)..<close])
                inWord = true
                k = close + 1
            case "\"":
                inWord = true
                k += 1
                var closed = false
                while k < chars.count {
                    let d = chars[k]
                    if d == "\"" { closed = true; k += 1; break }
                    if d == "\\", k + 1 < chars.count, "\"\\$`".contains(chars[k + 1]) { word.append(chars[k + 1]); k += 2; continue }
                    if d == "$" { word += try expandDollar(); continue }
                    word.append(d)
                    k += 1
                }
                guard closed else { throw SyntaxError(message: "unterminated quote") }
            case "$":
                word += try expandDollar()
                inWord = true
            case " ", "\t":
                flush()
                k += 1
            case "#" where !inWord:
                while k < chars.count, chars[k] != "\n" { k += 1 }
            case "\n", ";":
                flush()
                tokens.append(.op(";"))
                k += 1
            case "&", "|":
                flush()
                if k + 1 < chars.count, chars[k + 1] == c {
                    tokens.append(.op(String([c, c])))
                    k += 2
                } else if c == "&", k + 1 < chars.count, chars[k + 1] == ">" {
                    // &> FILE: standard output and standard error (fd -1 stands for both)
                    k += 2
                    tokens.append(.redirect(-1, ">"))
                } else if c == "|" {
                    tokens.append(.op("|"))
                    k += 1
                } else {
                    throw SyntaxError(message: "background commands (`&`) are not supported")
                }
            case ">", "<":
                var fd = c == "<" ? 0 : 1
                if inWord, !word.isEmpty, word.allSatisfy(\.isNumber), let n = Int(word) {
                    fd = n
                    word = ""
                    inWord = false
                } else {
                    flush()
                }
                var op = String(c)
                k += 1
                if c == ">", k < chars.count, chars[k] == ">" { op = ">>"; k += 1 }
                else if c == ">", k < chars.count, chars[k] == "&" { op = ">&"; k += 1 }
                tokens.append(.redirect(fd, op))
            default:
                word.append(c)
                inWord = true
                k += 1
            }
        }
        flush()
        return tokens
    }
}

/// `$(( ... ))`: integer arithmetic with + - * / % << >> and parentheses, as the shell does it
/// (64-bit, division truncating; nil on a syntax error or a division by zero).
struct ArithmeticParser {
    var chars: [Character]
    var k = 0
    init(_ chars: [Character]) { self.chars = chars.filter { $0 != " " && $0 != "\t" } }

    mutating func parse() -> Int64? {
        guard let v = shift(), k == chars.count else { return nil }
        return v
    }
    mutating func shift() -> Int64? {
        guard var v = sum() else { return nil }
        while k + 1 < chars.count, (chars[k] == "<" && chars[k + 1] == "<") || (chars[k] == ">" && chars[k + 1] == ">") {
            let left = chars[k] == "<"
            k += 2
            guard let r = sum(), r >= 0, r < 64 else { return nil }
            v = left ? v << r : v >> r
        }
        return v
    }
    mutating func sum() -> Int64? {
        guard var v = product() else { return nil }
        while k < chars.count, chars[k] == "+" || chars[k] == "-" {
            let plus = chars[k] == "+"
            k += 1
            guard let r = product() else { return nil }
            v = plus ? v &+ r : v &- r
        }
        return v
    }
    mutating func product() -> Int64? {
        guard var v = unary() else { return nil }
        while k < chars.count, "*/%".contains(chars[k]) {
            let op = chars[k]
            k += 1
            guard let r = unary() else { return nil }
            switch op {
            case "*": v = v &* r
            default:
                // Division by zero is an error, as in the shell; Int64.min / -1 would overflow.
                let (q, overflow) = op == "/" ? v.dividedReportingOverflow(by: r) : v.remainderReportingOverflow(dividingBy: r)
                guard r != 0, !overflow else { return nil }
                v = q
            }
        }
        return v
    }
    mutating func unary() -> Int64? {
        guard k < chars.count else { return nil }
        if chars[k] == "-" { k += 1; return unary().map { 0 &- $0 } }
        if chars[k] == "+" { k += 1; return unary() }
        if chars[k] == "(" {
            k += 1
            guard let v = shift(), k < chars.count, chars[k] == ")" else { return nil }
            k += 1
            return v
        }
        var digits = ""
        while k < chars.count, chars[k].isHexDigit || chars[k] == "x" || chars[k] == "X" { digits.append(chars[k]); k += 1 }
        return ShellCommandLine.integer(digits)
    }
}

extension ShellCommandLine {
    /// A shell or sysctl integer: decimal, or hexadecimal with 0x.
    static func integer(_ s: String) -> Int64? {
        let t = s.trimmingSpaces
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return Int64(t.dropFirst(2), radix: 16) }
        return Int64(t)
    }
}
