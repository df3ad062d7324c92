import TCPWire

/// Why a script could not be parsed, and where. Every malformed input ends in one of these, never
/// in a trap.
public struct ScriptParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A comment, string, back-quoted command or code block that never ends.
        case unterminated(String)
        case unexpectedCharacter(String)
        /// A number that does not fit in 64 bits.
        case numberOutOfRange(String)
        /// The grammar wanted `expected` and found `found`.
        case unexpected(expected: String, found: String)
        /// A value outside the range of its field (`mss 70000`).
        case valueOutOfRange(field: String, value: String)
        case invalidFlag(String)
        /// `start:end(len)` with end != start + len.
        case inconsistentSequence(start: Int64, end: Int64, length: Int64)
        case negativeTime
        case backwardTimeRange
        /// `*` and time ranges are only allowed on outbound packets (packetdrill's rule).
        case timeFormOnlyForOutbound(String)
        /// `<...>` is only allowed on outbound packets.
        case ellipsisOptionsOnlyForOutbound
        /// Inbound packets must give their window (packetdrill's rule).
        case windowRequiredForInbound
        /// A command in back quotes without a time, neither first nor last.
        case commandWithoutTime
        /// Brackets nested deeper than the parser follows.
        case nestedTooDeeply
        /// `#else`/`#endif` without an open `#ifdef`, or an `#ifdef` never closed (nplab).
        case unbalancedConditional(String)
    }
    public var line: Int
    public var kind: Kind

    public init(line: Int, kind: Kind) {
        self.line = line
        self.kind = kind
    }

    public var description: String { "line \(line): parse error: \(what)" }

    /// What is wrong, without the line.
    public var what: String {
        let what: String
        switch kind {
        case .unterminated(let s): what = "unterminated \(s)"
        case .unexpectedCharacter(let s): what = "unexpected character '\(s)'"
        case .numberOutOfRange(let s): what = "number out of range: \(s)"
        case let .unexpected(expected, found): what = "expected \(expected), found \(found)"
        case let .valueOutOfRange(field, value): what = "\(field) out of range: \(value)"
        case .invalidFlag(let f): what = "invalid TCP flag '\(f)' (valid: F S R P U E W C . and -)"
        case let .inconsistentSequence(s, e, l): what = "inconsistent TCP sequence numbers and payload size: \(s):\(e)(\(l))"
        case .negativeTime: what = "negative time"
        case .backwardTimeRange: what = "time range is backwards"
        case .timeFormOnlyForOutbound(let f): what = "event time \(f) can only be used with outbound packets"
        case .ellipsisOptionsOnlyForOutbound: what = "<...> for TCP options can only be used with outbound packets"
        case .windowRequiredForInbound: what = "window must be specified for inbound packets"
        case .commandWithoutTime: what = "a command in back quotes needs a time (only the first and last may go without)"
        case .nestedTooDeeply: what = "expressions nested too deeply"
        case .unbalancedConditional(let s): what = s
        }
        return what
    }
}

/// Parses the packetdrill script language into a `Script`.
///
/// The grammar is packetdrill's (parser.y), written as a recursive-descent parser:
///
///     script   := option* command? event* command?
///     event    := time action
///     time     := '+'? number ('~' '+'? number)? | '*'
///     action   := packet | syscall | `command` | %{ code }%
///     packet   := ('<' | '>') ip-info? ports? flags start':'end'('len')' (ack N)? (win N)? (urg N)? options?
///     options  := '<' option (',' option)* '>' | '<' '...' '>'
///     syscall  := ('...' number)? name '(' expressions? ')' '=' expression errno? note?
///
/// The semantic checks packetdrill makes while parsing are made here too (ranges of values,
/// `start:end(len)` consistency, `*` and ranges only on outbound packets, inbound windows).
public enum ScriptParser {
    /// `defines`: packetdrill's `--define NAME=VALUE` (`ScriptRunOptions.defines`): the names
    /// `#ifdef` sees, and the values the names read as in the script.
    public static func parse(_ text: String, defines: [String: String] = [:]) throws(ScriptParseError) -> Script {
        var p = Parser(tokens: try Lexer.tokenize(text, defines: defines))
        return try p.script()
    }
}

private struct Parser {
    let tokens: [Token]
    var i = 0
    var depth = 0
    static let maxDepth = 64

    init(tokens: [Token]) { self.tokens = tokens }

    var tok: Token { tokens[min(i, tokens.count - 1)] }
    func peek(_ k: Int) -> Token { tokens[min(i + k, tokens.count - 1)] }
    mutating func advance() { if i < tokens.count - 1 { i += 1 } }

    func describe(_ t: Token) -> String { t.isEOF ? "end of script" : "'\(t.text)'" }
    func error(_ expected: String) -> ScriptParseError {
        ScriptParseError(line: tok.line, kind: .unexpected(expected: expected, found: describe(tok)))
    }

    mutating func expectPunct(_ c: Character) throws(ScriptParseError) {
        guard tok.isPunct(c) else { throw error("'\(c)'") }
        advance()
    }

    mutating func expectWord(_ w: String) throws(ScriptParseError) {
        guard tok.word == w else { throw error("'\(w)'") }
        advance()
    }

    /// An integer token (decimal or hex).
    mutating func integer(_ what: String) throws(ScriptParseError) -> Int64 {
        switch tok.kind {
        case .integer(let v), .hex(let v):
            advance()
            return v
        case .bigInteger(let digits):
            throw ScriptParseError(line: tok.line, kind: .numberOutOfRange(digits))
        default:
            throw error(what)
        }
    }

    mutating func integer(_ what: String, in range: ClosedRange<Int64>) throws(ScriptParseError) -> Int64 {
        let line = tok.line
        let v = try integer(what)
        guard range.contains(v) else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: what, value: String(v))) }
        return v
    }

    // MARK: Script

    mutating func script() throws(ScriptParseError) -> Script {
        var s = Script()
        while case let .option(name, value) = tok.kind {
            s.options.append(ScriptOption(name: name, value: value, line: tok.line))
            advance()
        }
        while !tok.isEOF {
            if case .backQuoted(let text) = tok.kind {
                let command = ShellCommand(text: text, line: tok.line)
                advance()
                if s.events.isEmpty && s.initCommand == nil {
                    s.initCommand = command
                } else if tok.isEOF {
                    s.cleanupCommand = command
                } else {
                    throw ScriptParseError(line: command.line, kind: .commandWithoutTime)
                }
                continue
            }
            s.events.append(try event())
        }
        return s
    }

    // MARK: Events

    mutating func time() throws(ScriptParseError) -> Int64 {
        let line = tok.line
        switch tok.kind {
        case .integer(let v):
            guard v >= 0 else { throw ScriptParseError(line: line, kind: .negativeTime) }
            guard v <= Int64.max / 1_000_000 else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "time", value: tok.text)) }
            advance()
            return v * 1_000_000
        case .float(let text):
            guard !text.hasPrefix("-") else { throw ScriptParseError(line: line, kind: .negativeTime) }
            guard let us = microseconds(text) else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "time", value: text)) }
            advance()
            return us
        default:
            throw error("a time")
        }
    }

    /// "12.3456789" -> 12345678 (microseconds, extra digits truncated as packetdrill's cast does).
    func microseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let whole = parts[0].isEmpty ? 0 : Int64(parts[0])
        guard let whole, whole <= 9_000_000_000 else { return nil }
        var frac = String(parts[1].prefix(6))
        while frac.count < 6 { frac += "0" }
        guard let f = Int64(frac) else { return nil }
        return whole * 1_000_000 + f
    }

    mutating func event() throws(ScriptParseError) -> Event {
        let line = tok.line
        var time: EventTime
        if tok.isPunct("+") {
            advance()
            let a = try self.time()
            if tok.isPunct("~") {
                advance()
                try expectPunct("+")
                let b = try self.time()
                guard b >= a else { throw ScriptParseError(line: line, kind: .backwardTimeRange) }
                time = .relativeRange(a, b)
            } else {
                time = .relative(a)
            }
        } else if tok.isPunct("*") {
            advance()
            time = .any
        } else if case .integer = tok.kind {
            time = try absoluteTime(line)
        } else if case .float = tok.kind {
            time = try absoluteTime(line)
        } else {
            throw error("an event time (0.1, +0.1, *, or a range)")
        }
        let action = try self.action()
        // packetdrill: '*' and ranges only for outbound packets.
        var outbound = false
        if case .packet(let p) = action { outbound = p.direction == .outbound }
        if case .unsupportedPacket = action { outbound = true }
        switch time {
        case .any where !outbound:
            throw ScriptParseError(line: line, kind: .timeFormOnlyForOutbound("*"))
        case .absoluteRange, .relativeRange:
            if !outbound { throw ScriptParseError(line: line, kind: .timeFormOnlyForOutbound("range")) }
        default: break
        }
        return Event(time: time, action: action, line: line)
    }

    mutating func absoluteTime(_ line: Int) throws(ScriptParseError) -> EventTime {
        let a = try self.time()
        if tok.isPunct("~") {
            advance()
            let b = try self.time()
            guard b >= a else { throw ScriptParseError(line: line, kind: .backwardTimeRange) }
            return .absoluteRange(a, b)
        }
        return .absolute(a)
    }

    mutating func action() throws(ScriptParseError) -> Action {
        if tok.isPunct("<") || tok.isPunct(">") { return try packet() }
        switch tok.kind {
        case .ellipsis:
            advance()
            let end = try time()
            return .syscall(try syscall(endTime: end))
        case .word:
            return .syscall(try syscall(endTime: nil))
        case .backQuoted(let text):
            let c = ShellCommand(text: text, line: tok.line)
            advance()
            return .command(c)
        case .code(let text):
            advance()
            return .code(text)
        default:
            throw error("a packet ('<' or '>'), a system call, a `command` or a %{ }% block")
        }
    }

    // MARK: Packets

    /// Skips the rest of the line (for packet forms we do not model).
    mutating func skipLine(_ line: Int) {
        while !tok.isEOF && tok.line == line { advance() }
    }

    /// `< icmp TYPE [CODE] [mtu N] [start:end(len)]` (packetdrill's inbound ICMP error).
    mutating func icmp(_ line: Int) throws(ScriptParseError) -> Action {
        advance()   // icmp
        guard let type = tok.word else {
            skipLine(line)
            return .unsupportedPacket("an icmp line needs a type name")
        }
        advance()
        var code: String?
        if let w = tok.word, w != "mtu" && w != "id" { code = w; advance() }
        else if case .integer(let n) = tok.kind { code = String(n); advance() }   // a numeric code (--define CODE=3)
        var mtu: UInt32?
        if tok.word == "mtu" {
            advance()
            mtu = UInt32(try integer("ICMP MTU", in: 0...Int64(UInt32.max)))
        }
        if tok.word == "id" {   // opt_icmp_echo_id
            advance()
            _ = try integer("ICMP echo id", in: 0...65535)
        }
        if tok.isPunct("["), let w = peek(1).word, w == "udp" || w == "raw" {
            skipLine(line)
            return .unsupportedPacket("an icmp line quoting a \(w) packet is not supported (TCP only)")
        }
        guard tok.isPunct("[") else {
            // No quoted segment: the socket's last outbound one is quoted (Run+ICMPQuote.swift).
            guard tok.isEOF || tok.line != line else { throw error("the quoted segment [start:end(len)] or the end of the icmp line") }
            var spec = PacketSpec(direction: .inbound, flagsText: ".", flags: [.ack], startSequence: 0, payloadLength: 0)
            spec.icmp = ICMPSpec(type: type, code: code, mtu: mtu)
            spec.icmp!.quotesLastOutbound = true
            return .packet(spec)
        }
        advance()
        let start = try integer("quoted start sequence number", in: 0...Int64(UInt32.max))
        try expectPunct(":")
        _ = try integer("quoted end sequence number", in: 0...Int64(UInt32.max))
        try expectPunct("(")
        let length = try integer("quoted payload length", in: 0...65535)
        try expectPunct(")")
        try expectPunct("]")
        var spec = PacketSpec(direction: .inbound, flagsText: ".", flags: [.ack], startSequence: UInt32(start), payloadLength: Int(length))
        spec.icmp = ICMPSpec(type: type, code: code, mtu: mtu)
        return .packet(spec)
    }

    mutating func packet() throws(ScriptParseError) -> Action {
        let line = tok.line
        let direction: Direction = tok.isPunct("<") ? .inbound : .outbound
        advance()
        // Encapsulation prefixes (ipv4 a > b:, gre:, mpls ...:) and non-TCP packets.
        if let w = tok.word, ["ipv4", "ipv6", "gre", "GREv0", "mpls"].contains(w) {
            skipLine(line)
            return .unsupportedPacket("encapsulated packets ('\(w)') are not supported")
        }
        var ipInfo = IPInfo()
        if (tok.isPunct("(") || tok.isPunct("[")), let w = peek(1).word,
           ["ect0", "ect1", "ce", "noecn", "ect01", "tos", "flowlabel", "ttl"].contains(w) {
            ipInfo = try self.ipInfo()
        }
        var sourcePort: UInt16?
        var destinationPort: UInt16?
        if case .integer = tok.kind, peek(1).isPunct(">"), case .integer = peek(2).kind {
            sourcePort = UInt16(try integer("source port", in: 0...65535))
            advance()
            destinationPort = UInt16(try integer("destination port", in: 0...65535))
        }
        if direction == .inbound, tok.word == "icmp" { return try icmp(line) }
        if let w = tok.word, w == "udp" || w == "icmp" {
            skipLine(line)
            return .unsupportedPacket("\(w) packets are not supported (TCP only)")
        }
        // AccECN's ACE counter with the flags (`S.5`, `.2`; packetdrill's ack_and_ace): Accurate
        // ECN is not modelled, so the script is UNSUPPORTED rather than unreadable.
        if case .float(let f) = tok.kind, f.hasPrefix(".") {
            skipLine(line)
            return .unsupportedPacket("AccECN flags ('\(f)'): Accurate ECN is not supported")
        }
        if let w = tok.word, case .float(let f) = peek(1).kind, f.hasPrefix(".") {
            skipLine(line)
            return .unsupportedPacket("AccECN flags ('\(w)\(f)'): Accurate ECN is not supported")
        }
        let (flagsText, flags) = try self.flags()
        let start = try integer("start sequence number")
        try expectPunct(":")
        let end = try integer("end sequence number")
        try expectPunct("(")
        let length = try integer("payload length")
        try expectPunct(")")
        guard (0...Int64(UInt32.max)).contains(start) else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "TCP start sequence number", value: String(start))) }
        guard (0...Int64(UInt32.max)).contains(end) else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "TCP end sequence number", value: String(end))) }
        guard (0...65535).contains(length) else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "TCP payload size", value: String(length))) }
        guard end == start + length else { throw ScriptParseError(line: line, kind: .inconsistentSequence(start: start, end: end, length: length)) }
        var spec = PacketSpec(direction: direction, flagsText: flagsText, flags: flags,
                              startSequence: UInt32(start), payloadLength: Int(length))
        spec.ipInfo = ipInfo
        spec.sourcePort = sourcePort
        spec.destinationPort = destinationPort
        while let w = tok.word, w == "ack" || w == "win" || w == "urg" {
            advance()
            switch w {
            case "ack":
                spec.ack = UInt32(try integer("TCP ack sequence number", in: 0...Int64(UInt32.max)))
                spec.ackGiven = true
            case "win":
                spec.window = UInt16(try integer("TCP window value", in: 0...65535))
            default:
                spec.urgentPointer = UInt16(try integer("urg_ptr value", in: 0...65535))
            }
        }
        if tok.isPunct("<") {
            advance()
            if case .ellipsis = tok.kind {
                advance()
                try expectPunct(">")
                guard direction == .outbound else { throw ScriptParseError(line: line, kind: .ellipsisOptionsOnlyForOutbound) }
                spec.options = nil
            } else {
                var options: [TCPOptionSpec] = []
                options.append(try tcpOption())
                while tok.isPunct(",") {
                    advance()
                    options.append(try tcpOption())
                }
                try expectPunct(">")
                let length = options.reduce(0) { $0 + $1.bytes.count }
                guard length <= 40 else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "TCP option list length", value: "\(length) bytes")) }
                spec.options = options
            }
        }
        if direction == .inbound && spec.window == nil {
            throw ScriptParseError(line: line, kind: .windowRequiredForInbound)
        }
        return .packet(spec)
    }

    mutating func ipInfo() throws(ScriptParseError) -> IPInfo {
        let close: Character = tok.isPunct("(") ? ")" : "]"
        advance()
        var info = IPInfo()
        repeat {
            if tok.isPunct(",") { advance() }
            guard let w = tok.word else { throw error("ect0, ect1, ce, noecn, ect01, tos, flowlabel or ttl") }
            advance()
            switch w {
            case "ect0": info.ecn = .ect0
            case "ect1": info.ecn = .ect1
            case "ce": info.ecn = .ce
            case "noecn": info.ecn = .notECT
            case "ect01": info.ect01 = true
            case "tos": info.tos = UInt8(try integer("tos", in: 0...255))
            case "flowlabel": info.flowLabel = UInt32(try integer("flowlabel", in: 0...0xfffff))
            case "ttl": info.ttl = UInt8(try integer("ttl", in: 0...255))
            default: throw ScriptParseError(line: tok.line, kind: .unexpected(expected: "ect0, ect1, ce, noecn, ect01, tos, flowlabel or ttl", found: "'\(w)'"))
            }
        } while tok.isPunct(",")
        try expectPunct(close)
        return info
    }

    /// `S`, `S.`, `P.`, `.`, `-`, `FPU.` ...
    mutating func flags() throws(ScriptParseError) -> (String, TCPFlags) {
        let line = tok.line
        var text = ""
        if tok.isPunct(".") {
            advance()
            return (".", .ack)
        }
        if tok.isPunct("-") {
            advance()
            return ("-", [])
        }
        guard let w = tok.word else { throw error("TCP flags (S, S., P., F., R, ., - ...)") }
        advance()
        text = w
        if tok.isPunct(".") {
            advance()
            text += "."
        } else if case .float(let f) = tok.kind, f.hasPrefix(".") {
            throw ScriptParseError(line: line, kind: .invalidFlag(w + f + " (AccECN ACE flags are not supported)"))
        }
        var flags: TCPFlags = []
        for ch in text {
            switch ch {
            case "F": flags.insert(.fin)
            case "S": flags.insert(.syn)
            case "R": flags.insert(.rst)
            case "P": flags.insert(.psh)
            case ".": flags.insert(.ack)
            case "U": flags.insert(.urg)
            case "E": flags.insert(.ece)
            case "W", "C": flags.insert(.cwr)
            default: throw ScriptParseError(line: line, kind: .invalidFlag(String(ch)))
            }
        }
        return (text, flags)
    }

    mutating func hexBlob() -> [UInt8]? {
        var text: String
        switch tok.kind {
        case .word(let w): text = w
        case .integer, .bigInteger: text = tok.text
        case .hex: text = String(tok.text.dropFirst(2))
        default: return []
        }
        advance()
        if text.count % 2 == 1 { return nil }
        var out: [UInt8] = []
        var chars = Substring(text)
        while !chars.isEmpty {
            guard let b = UInt8(chars.prefix(2), radix: 16) else { return nil }
            out.append(b)
            chars = chars.dropFirst(2)
        }
        return out
    }

    mutating func tcpOption() throws(ScriptParseError) -> TCPOptionSpec {
        let line = tok.line
        if let generic = try genericTCPOption() { return generic }
        guard let w = tok.word else { throw error("a TCP option (mss, wscale, sackOK, sack, TS, nop, eol...)") }
        advance()
        switch w {
        case "nop": return .nop
        case "eol": return .eol
        case "mss": return .mss(UInt16(try integer("mss value", in: 0...65535)))
        case "wscale": return .windowScale(UInt8(try integer("window scale shift count", in: 0...255)))
        case "sackOK": return .sackPermitted
        case "sack":
            var blocks: [TCPOptionSpec.SACKRange] = []
            while case .integer = tok.kind, peek(1).isPunct(":") {
                let l = try integer("TCP SACK left sequence number", in: 0...Int64(UInt32.max))
                advance()
                let r = try integer("TCP SACK right sequence number", in: 0...Int64(UInt32.max))
                blocks.append(.init(left: UInt32(l), right: UInt32(r)))
            }
            guard !blocks.isEmpty else { throw error("SACK blocks (left:right)") }
            guard blocks.count <= 4 else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "SACK block count", value: String(blocks.count))) }
            return .sack(blocks)
        case "TS":
            try expectWord("val")
            let v = try integer("ts val", in: 0...Int64(UInt32.max))
            try expectWord("ecr")
            let e = try integer("ecr val", in: 0...Int64(UInt32.max))
            return .timestamp(value: UInt32(v), echoReply: UInt32(e))
        case "md5", "FO", "FOEXP":
            // A cookie named by a symbol (packetdrill's -D TFO_COOKIE=...): resolved when the
            // packet is built or checked (Run+FastOpen.swift).
            if w != "md5", case .word(let symbol) = tok.kind, !symbol.allSatisfy(\.isHexDigit) {
                advance()
                return .other(kind: w == "FO" ? 34 : 254, data: w == "FO" ? [] : [0xF9, 0x89], name: "\(w) \(symbol)")
            }
            guard var data = hexBlob() else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "\(w) hex string", value: "odd length or not hex")) }
            let kind: UInt8
            switch w {
            case "md5": kind = 19
            case "FO": kind = 34
            default:
                kind = 254
                data = [0xF9, 0x89] + data   // RFC 7413 experimental option magic
            }
            guard data.count <= 38 else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "\(w) length", value: String(data.count))) }
            return .other(kind: kind, data: data, name: w)
        default:
            throw ScriptParseError(line: line, kind: .unexpected(expected: "a TCP option (mss, wscale, sackOK, sack, TS, nop, eol, md5, FO, FOEXP, exp, kind N)", found: "'\(w)'"))
        }
    }

    /// Option spellings beyond packetdrill's named ones: `exp HEX` (kind 254, RFC 6994's shared
    /// experimental kind, its data as written, ExID first), and any kind by number, `kind N [HEX]`
    /// or `N [HEX]` (the data in hex; kinds 0 and 1 take none). nil when the option is none of these.
    mutating func genericTCPOption() throws(ScriptParseError) -> TCPOptionSpec? {
        let line = tok.line
        let kind: UInt8
        var name = ""
        switch tok.kind {
        case .integer, .hex, .bigInteger:
            kind = UInt8(try integer("TCP option kind", in: 0...255))
        case .word("kind"):
            advance()
            kind = UInt8(try integer("TCP option kind", in: 0...255))
        case .word("exp"):
            advance()
            kind = 254
            name = "exp"
        default:
            return nil
        }
        var data: [UInt8] = []
        switch tok.kind {
        case .word, .integer, .hex, .bigInteger:
            guard let blob = hexBlob() else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "TCP option \(kind) hex string", value: "odd length or not hex")) }
            data = blob
        default: break
        }
        if kind <= 1 {
            guard data.isEmpty else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "TCP option \(kind) data", value: "\(data.count) bytes (kinds 0 and 1 are one byte)")) }
            return kind == 0 ? .eol : .nop
        }
        guard data.count <= 38 else { throw ScriptParseError(line: line, kind: .valueOutOfRange(field: "TCP option \(kind) length", value: String(data.count))) }
        return .other(kind: kind, data: data, name: name)
    }

    // MARK: System calls

    mutating func syscall(endTime: Int64?) throws(ScriptParseError) -> SyscallSpec {
        guard let name = tok.word else { throw error("a system call name") }
        advance()
        try expectPunct("(")
        var arguments: [Expression] = []
        if !tok.isPunct(")") {
            arguments = try expressionList(closer: ")")
        }
        try expectPunct(")")
        try expectPunct("=")
        let result = try expression()
        var spec = SyscallSpec(name: name, arguments: arguments, result: result, endTime: endTime)
        if let w = tok.word {
            spec.errno = w
            advance()
        }
        if tok.isPunct("(") {
            spec.note = try note()
        }
        return spec
    }

    /// `( words ... )`: free text up to the matching parenthesis.
    mutating func note() throws(ScriptParseError) -> String {
        let line = tok.line
        advance()
        var level = 1
        var words: [String] = []
        while true {
            if tok.isEOF { throw ScriptParseError(line: line, kind: .unterminated("note in parentheses")) }
            if tok.isPunct("(") { level += 1 }
            if tok.isPunct(")") {
                level -= 1
                if level == 0 { advance(); break }
            }
            words.append(tok.text)
            advance()
        }
        return words.joined(separator: " ")
    }

    mutating func expressionList(closer: Character) throws(ScriptParseError) -> [Expression] {
        var out = [try expression()]
        while tok.isPunct(",") {
            advance()
            out.append(try expression())
        }
        return out
    }

    mutating func expression() throws(ScriptParseError) -> Expression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else { throw ScriptParseError(line: tok.line, kind: .nestedTooDeeply) }
        var e = try primary()
        while tok.isPunct("|") {
            advance()
            e = .binary(op: "|", lhs: e, rhs: try primary())
        }
        return e
    }

    mutating func primary() throws(ScriptParseError) -> Expression {
        switch tok.kind {
        case .ellipsis:
            advance()
            return .ellipsis
        case .integer(let v), .hex(let v):
            advance()
            return .integer(v)
        case .bigInteger(let digits):
            throw ScriptParseError(line: tok.line, kind: .numberOutOfRange(digits))
        case .string(var s):
            advance()
            while case .string(let more) = tok.kind {   // "a" "b" concatenates
                s += more
                advance()
            }
            if case .ellipsis = tok.kind { advance() }  // "abc"... (a prefix)
            return .string(s)
        case .word(let w):
            advance()
            if tok.isPunct("=") {
                advance()
                return .binary(op: "=", lhs: .word(w), rhs: try expression())
            }
            if tok.isPunct("(") {
                advance()
                var args: [Expression] = []
                if !tok.isPunct(")") { args = try expressionList(closer: ")") }
                try expectPunct(")")
                let call = Expression.call(name: w, arguments: args)
                if tok.isPunct("=") {   // `msg_iov(1)=[...]`: a field with its element count
                    advance()
                    return .binary(op: "=", lhs: call, rhs: try expression())
                }
                return call
            }
            return .word(w)
        case .punct(UInt8(ascii: "[")):
            advance()
            var xs: [Expression] = []
            if !tok.isPunct("]") { xs = try expressionList(closer: "]") }
            try expectPunct("]")
            return .list(xs)
        case .punct(UInt8(ascii: "{")):
            advance()
            var xs: [Expression] = []
            if !tok.isPunct("}") { xs = try expressionList(closer: "}") }
            try expectPunct("}")
            return .braces(xs)
        default:
            throw error("an expression")
        }
    }
}
