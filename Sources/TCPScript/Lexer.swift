/// A token of the packetdrill script language. The token set follows packetdrill's lexer:
/// whitespace and newlines separate tokens but carry no meaning (an event may span lines),
/// `//` and `/* */` are comments, numbers are decimal, hexadecimal (`0x1f`) or with a fraction
/// (`.1`, `0.100`), `...` is one token, `--name[=value]` is an option line, `"..."` a string,
/// `` `...` `` a shell command and `%{ ... }%` a code block.
///
/// Two additions of the forks are read here too: nplab's `#ifdef NAME` / `#ifndef NAME` /
/// `#else` / `#endif` lines (a `#` first on its line; they may nest; the lines of a branch not
/// taken are skipped whole, so the line numbers of what follows stay the file's), and packetdrill's
/// `--define NAME=VALUE` (`-D`): a word that is a defined name, and not one of the language's own
/// keywords, reads as its value: `"..."` a string, `` `...` `` a shell command, a value that is
/// one token (a number) that token, otherwise a word. A name defined without a value only counts
/// for `#ifdef`.
struct Token: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case integer(Int64)
        /// Decimal digits that do not fit in 64 bits: a parse error where a number is wanted,
        /// but a hex string as written where one is (`md5 0011...`).
        case bigInteger(String)
        case hex(Int64)
        /// The text as written, so times convert to microseconds exactly.
        case float(String)
        case word(String)
        case string(String)
        case backQuoted(String)
        case code(String)
        case option(name: String, value: String?)
        case ellipsis
        case ipv4(String)
        case punct(UInt8)
        case eof
    }
    var kind: Kind
    var line: Int
    /// The source text of the token.
    var text: String

    var isEOF: Bool { if case .eof = kind { true } else { false } }
    func isPunct(_ c: Character) -> Bool {
        if case .punct(let b) = kind, let a = c.asciiValue { return a == b }
        return false
    }
    var word: String? { if case .word(let w) = kind { w } else { nil } }
}

/// Splits script text into tokens. Never traps: anything it cannot read is a `ScriptParseError`.
struct Lexer {
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    /// `--define` names and their values ("" for a name without one).
    private var defines: [String: String]
    /// The names the caller defined: a `--define=NAME=VALUE` line of the script does not change
    /// them (packetdrill reads the command line after the script's options).
    private let callerDefines: Set<String>
    /// The open `#ifdef`/`#ifndef` lines, innermost last.
    private var conditionals: [Conditional] = []

    private struct Conditional {
        var directive: String
        var line: Int
        /// Whether the enclosing branches are all taken.
        var outerActive: Bool
        /// Whether this branch is taken.
        var active: Bool
        var sawElse = false
    }

    init(_ text: String, defines: [String: String] = [:]) {
        bytes = Array(text.utf8)
        self.defines = defines
        callerDefines = Set(defines.keys)
    }

    static func tokenize(_ text: String, defines: [String: String] = [:]) throws(ScriptParseError) -> [Token] {
        var l = Lexer(text, defines: defines)
        var out: [Token] = []
        while true {
            let t = try l.next()
            out.append(t)
            if t.isEOF { break }
        }
        return out
    }

    private func peek(_ k: Int = 0) -> UInt8? {
        let j = i + k
        return j < bytes.count ? bytes[j] : nil
    }

    private static func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }
    private static func isHex(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
    }
    private static func isWordChar(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return isDigit(c) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }
    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 || c == 11 || c == 12 }

    private func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }

    private mutating func advance(_ n: Int) {
        for _ in 0..<n where i < bytes.count {
            if bytes[i] == 10 { line += 1 }
            i += 1
        }
    }

    /// Skips whitespace and comments.
    private mutating func skipTrivia() throws(ScriptParseError) {
        while let c = peek() {
            if Lexer.isSpace(c) { advance(1); continue }
            if c == 47, peek(1) == 47 {                       // "//" to the end of the line
                while let d = peek(), d != 10 { advance(1) }
                continue
            }
            if c == 47, peek(1) == 42 {                       // "/* ... */"
                let startLine = line
                advance(2)
                while true {
                    guard let d = peek() else { throw ScriptParseError(line: startLine, kind: .unterminated("comment")) }
                    if d == 42, peek(1) == 47 { advance(2); break }
                    advance(1)
                }
                continue
            }
            if c == 35, atLineStart, let directive = directiveName() {   // "#ifdef NAME" ...
                try conditional(directive)
                continue
            }
            break
        }
    }

    /// Whether only blanks stand between the start of the line and the current position.
    private var atLineStart: Bool {
        var j = i - 1
        while j >= 0 {
            let d = bytes[j]
            if d == 10 { return true }
            if d != 32 && d != 9 && d != 13 { return false }
            j -= 1
        }
        return true
    }

    /// `ifdef`, `ifndef`, `else` or `endif` when the `#` at the current position begins one.
    private func directiveName() -> String? {
        var j = 1
        while Lexer.isWordChar(peek(j)) { j += 1 }
        let name = text(i + 1, i + j)
        guard ["ifdef", "ifndef", "else", "endif"].contains(name) else { return nil }
        return name
    }

    /// Reads one directive line (the `#` is at the current position), then skips every line of a
    /// branch not taken, reading only the directives among them.
    private mutating func conditional(_ directive: String) throws(ScriptParseError) {
        try directiveLine(directive)
        while let top = conditionals.last, !(top.outerActive && top.active) {
            while let d = peek(), d != 10 { advance(1) }   // the rest of this line
            guard peek() != nil else { return }            // EOF: next() reports the open #ifdef
            advance(1)
            var k = 0
            while let d = peek(k), d == 32 || d == 9 || d == 13 { k += 1 }
            if peek(k) == 35 {
                advance(k)
                if let inner = directiveName() { try directiveLine(inner) }
            }
        }
    }

    /// One `#ifdef NAME`, `#ifndef NAME`, `#else` or `#endif` line, up to its end.
    private mutating func directiveLine(_ directive: String) throws(ScriptParseError) {
        let directiveLine = line
        advance(1 + directive.utf8.count)
        // The rest of the line: a name after #ifdef/#ifndef, then only blanks or a comment.
        func blanks(_ j: inout Int) { while let d = peek(j), d == 32 || d == 9 || d == 13 { j += 1 } }
        var j = 0
        blanks(&j)
        var name = ""
        if directive == "ifdef" || directive == "ifndef" {
            let s = j
            while Lexer.isWordChar(peek(j)) { j += 1 }
            name = text(i + s, i + j)
            guard !name.isEmpty else {
                throw ScriptParseError(line: directiveLine, kind: .unexpected(expected: "a name after #\(directive)", found: restOfLine(from: j)))
            }
            blanks(&j)
        }
        if let d = peek(j), d != 10, !(d == 47 && (peek(j + 1) == 47 || peek(j + 1) == 42)) {
            throw ScriptParseError(line: directiveLine, kind: .unexpected(expected: "the end of the #\(directive) line", found: restOfLine(from: j)))
        }
        advance(j)
        let active = conditionals.last.map { $0.outerActive && $0.active } ?? true
        switch directive {
        case "ifdef", "ifndef":
            let defined = defines[name] != nil
            conditionals.append(Conditional(directive: "#\(directive) \(name)", line: directiveLine, outerActive: active,
                                            active: directive == "ifdef" ? defined : !defined))
        case "else":
            guard var top = conditionals.popLast(), !top.sawElse else {
                throw ScriptParseError(line: directiveLine, kind: .unbalancedConditional("#else without an open #ifdef or #ifndef, or a second #else"))
            }
            top.active.toggle()
            top.sawElse = true
            conditionals.append(top)
        default:
            guard conditionals.popLast() != nil else {
                throw ScriptParseError(line: directiveLine, kind: .unbalancedConditional("#endif without #ifdef or #ifndef"))
            }
        }
    }

    private func restOfLine(from j: Int) -> String {
        var k = j
        while let d = peek(k), d != 10 { k += 1 }
        let s = text(i + j, i + k).trimmingSpaces
        return s.isEmpty ? "the end of the line" : "'\(s)'"
    }

    mutating func next() throws(ScriptParseError) -> Token {
        try skipTrivia()
        let start = i
        let startLine = line
        guard let c = peek() else {
            if let open = conditionals.last {
                throw ScriptParseError(line: open.line, kind: .unbalancedConditional("\(open.directive) without #endif"))
            }
            return Token(kind: .eof, line: line, text: "")
        }
        func token(_ k: Token.Kind, _ length: Int) -> Token {
            let t = Token(kind: k, line: startLine, text: text(start, min(start + length, bytes.count)))
            advance(length)
            return t
        }

        // "..."
        if c == 46, peek(1) == 46, peek(2) == 46 { return token(.ellipsis, 3) }
        // "--name[=value]"
        if c == 45, peek(1) == 45, Lexer.isWordChar(peek(2)) {
            var j = 2
            while Lexer.isWordChar(peek(j)) { j += 1 }
            let name = text(start + 2, start + j)
            if peek(j) == 61 {   // '=': the raw value up to whitespace (quotes keep spaces)
                var k = j + 1
                var quote: UInt8? = nil
                while let d = peek(k) {
                    if let q = quote { if d == q { quote = nil } } else if d == 34 || d == 39 { quote = d } else if Lexer.isSpace(d) { break }
                    k += 1
                }
                var value = text(start + j + 1, start + k)
                if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                    value = String(value.dropFirst().dropLast())
                }
                if name == "define", let eq = value.firstIndex(of: "="), eq != value.startIndex {
                    // `--define=NAME=VALUE` in the script: for the lines after it.
                    let symbol = String(value[..<eq])
                    if !callerDefines.contains(symbol) { defines[symbol] = String(value[value.index(after: eq)...]) }
                }
                return token(.option(name: name, value: value), k)
            }
            return token(.option(name: name, value: nil), j)
        }
        // Numbers and words: the longest match wins, ties in packetdrill's rule order
        // (float, integer, hex, word, then IPv4 address).
        if Lexer.isWordChar(c) || ((c == 45 || c == 46) && (Lexer.isDigit(peek(1)) || (c == 45 && peek(1) == 46 && Lexer.isDigit(peek(2))))) {
            let t = try number(start: start, line: startLine)
            if case .word(let w) = t.kind, let value = defines[w], !value.isEmpty, !Lexer.keywords.contains(w) {
                return Lexer.substitute(value, for: t)
            }
            return t
        }
        // "..." string
        if c == 34 {
            var j = 1
            var value: [UInt8] = []
            while true {
                guard let d = peek(j) else { throw ScriptParseError(line: startLine, kind: .unterminated("string")) }
                if d == 92, let e = peek(j + 1) {   // backslash escape
                    switch e {
                    case 110: value.append(10)
                    case 116: value.append(9)
                    case 48: value.append(0)
                    default: value.append(e)
                    }
                    j += 2
                    continue
                }
                if d == 34 { j += 1; break }
                value.append(d)
                j += 1
            }
            return token(.string(String(decoding: value, as: UTF8.self)), j)
        }
        // `command`
        if c == 96 {
            var j = 1
            while true {
                guard let d = peek(j) else { throw ScriptParseError(line: startLine, kind: .unterminated("back-quoted command")) }
                if d == 92, peek(j + 1) != nil { j += 2; continue }
                if d == 96 { j += 1; break }
                j += 1
            }
            return token(.backQuoted(text(start + 1, start + j - 1)), j)
        }
        // %{ code }%
        if c == 37, peek(1) == 123 {
            var j = 2
            while true {
                guard let d = peek(j) else { throw ScriptParseError(line: startLine, kind: .unterminated("%{ }% code block")) }
                if d == 125, peek(j + 1) == 37 { j += 2; break }
                j += 1
            }
            let inner = text(start + 2, start + j - 2)
            return token(.code(inner.trimmingSpaces), j)
        }
        guard c < 128 else {
            // A byte outside ASCII: report the whole character.
            var j = 1
            while let d = peek(j), d & 0xC0 == 0x80 { j += 1 }
            throw ScriptParseError(line: startLine, kind: .unexpectedCharacter(text(start, start + j)))
        }
        return token(.punct(c), 1)
    }

    private mutating func number(start: Int, line startLine: Int) throws(ScriptParseError) -> Token {
        // Candidate lengths of each rule at this position.
        var j = 0
        let negative = peek() == 45
        if negative { j = 1 }
        var digits = j
        while Lexer.isDigit(peek(digits)) { digits += 1 }
        let intLength = digits > j ? digits : 0
        var floatLength = 0
        if peek(digits) == 46, Lexer.isDigit(peek(digits + 1)) {
            var k = digits + 1
            while Lexer.isDigit(peek(k)) { k += 1 }
            floatLength = k
        }
        var hexLength = 0
        if !negative, peek() == 48, peek(1) == 120 || peek(1) == 88, Lexer.isHex(peek(2)) {
            var k = 2
            while Lexer.isHex(peek(k)) { k += 1 }
            hexLength = k
        }
        var wordLength = 0
        if !negative, peek() != 46 {
            var k = 0
            while Lexer.isWordChar(peek(k)) { k += 1 }
            wordLength = k
        }
        var ipv4Length = 0
        if !negative, Lexer.isDigit(peek()) {
            var k = 0
            var parts = 0
            while true {
                let s = k
                while Lexer.isDigit(peek(k)) { k += 1 }
                guard k > s else { break }
                parts += 1
                if parts == 4 { ipv4Length = k; break }
                guard peek(k) == 46 else { break }
                k += 1
            }
        }
        let best = max(floatLength, intLength, hexLength, wordLength, ipv4Length)
        let raw = text(start, start + best)
        func make(_ kind: Token.Kind) -> Token {
            let t = Token(kind: kind, line: startLine, text: raw)
            advance(best)
            return t
        }
        if best == floatLength && best > 0 { return make(.float(raw)) }
        if best == intLength && best > 0 {
            guard let v = Int64(raw) else {
                // Still one token: a hex string may be all digits; where a number is wanted the
                // parser reports it out of range.
                guard !negative, Lexer.isDigit(peek()) else { throw ScriptParseError(line: startLine, kind: .numberOutOfRange(raw)) }
                return make(.bigInteger(raw))
            }
            return make(.integer(v))
        }
        if best == hexLength && best > 0 {
            guard let v = Int64(raw.dropFirst(2), radix: 16) else { throw ScriptParseError(line: startLine, kind: .numberOutOfRange(raw)) }
            return make(.hex(v))
        }
        if best == wordLength && best > 0 { return make(.word(raw)) }
        if best == ipv4Length && best > 0 { return make(.ipv4(raw)) }
        // Unreachable for the characters that lead here; report rather than trap.
        throw ScriptParseError(line: startLine, kind: .unexpectedCharacter(text(start, min(start + 1, bytes.count))))
    }
}

extension Lexer {
    /// packetdrill's keywords: a `--define` of one of these names does not change it.
    static let keywords: Set<String> = [
        "ack", "win", "urg", "mss", "wscale", "sackOK", "sack", "TS", "val", "ecr", "nop", "eol", "md5", "FO", "FOEXP",
        "tos", "flowlabel", "ttl", "ect0", "ect1", "ect01", "noecn", "ce", "icmp", "udp", "ipv4", "ipv6", "gre", "GREv0",
        "mpls", "mtu", "id", "inet_addr", "inet6_addr", "htons", "sa_family", "sin_port", "sin_addr", "msg_name", "msg_iov",
        "msg_flags", "msg_control", "fd", "events", "revents", "onoff", "linger",
    ]

    /// The token a defined name reads as (packetdrill's lexer: `"v"` a string, `` `v` `` a
    /// command, otherwise the value; here a value that is one token, such as a number, is that token).
    static func substitute(_ value: String, for word: Token) -> Token {
        var kind: Token.Kind = .word(value)
        if value.count >= 2, let f = value.first, f == "\"" || f == "`", value.last == f {
            let inner = String(value.dropFirst().dropLast())
            kind = f == "\"" ? .string(inner) : .backQuoted(inner)
        } else if let tokens = try? Lexer.tokenize(value), tokens.count == 2, !tokens[0].isEOF, tokens[0].text == value {
            kind = tokens[0].kind
        }
        return Token(kind: kind, line: word.line, text: value)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
