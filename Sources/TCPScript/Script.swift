import TCPWire

/// A parsed packetdrill script: the option lines at its head, an optional command run before the
/// events (packetdrill's "init command") and one after them ("cleanup command"), and the events.
public struct Script: Sendable, Hashable {
    /// `--name=value` lines, in order (the value is nil for a bare `--name`).
    public var options: [ScriptOption] = []
    /// A back-quoted shell command before the first event (it carries no time).
    public var initCommand: ShellCommand?
    public var events: [Event] = []
    /// A back-quoted shell command after the last event (it carries no time).
    public var cleanupCommand: ShellCommand?

    public init(options: [ScriptOption] = [], initCommand: ShellCommand? = nil, events: [Event] = [],
                cleanupCommand: ShellCommand? = nil) {
        self.options = options
        self.initCommand = initCommand
        self.events = events
        self.cleanupCommand = cleanupCommand
    }
}

/// One `--name=value` option line.
public struct ScriptOption: Sendable, Hashable {
    public var name: String
    public var value: String?
    public var line: Int
    public init(name: String, value: String?, line: Int) {
        self.name = name
        self.value = value
        self.line = line
    }
}

/// A shell command in back quotes.
public struct ShellCommand: Sendable, Hashable {
    public var text: String
    public var line: Int
    public init(text: String, line: Int) {
        self.text = text
        self.line = line
    }
}

/// When an event happens, as the script wrote it. Times are in microseconds, as packetdrill keeps
/// them; a relative time is relative to the previous event (see `ScriptRunner`).
public enum EventTime: Sendable, Hashable, CustomStringConvertible {
    /// `0.100`
    case absolute(Int64)
    /// `+0.100`
    case relative(Int64)
    /// `*`: any time (outbound packets only).
    case any
    /// `0.1~0.2` (outbound packets only).
    case absoluteRange(Int64, Int64)
    /// `+0.1~+0.2` (outbound packets only).
    case relativeRange(Int64, Int64)

    public var isRelative: Bool {
        switch self {
        case .relative, .relativeRange: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .absolute(let t): formatMicros(t)
        case .relative(let t): "+" + formatMicros(t)
        case .any: "*"
        case let .absoluteRange(a, b): formatMicros(a) + "~" + formatMicros(b)
        case let .relativeRange(a, b): "+" + formatMicros(a) + "~+" + formatMicros(b)
        }
    }
}

/// Seconds with six decimals, as packetdrill prints times.
func formatMicros(_ us: Int64) -> String {
    let sign = us < 0 ? "-" : ""
    let a = us.magnitude
    let frac = String(a % 1_000_000)
    return "\(sign)\(a / 1_000_000).\(String(repeating: "0", count: 6 - frac.count))\(frac)"
}

/// One event of a script: a time and what happens then.
public struct Event: Sendable, Hashable {
    public var time: EventTime
    public var action: Action
    /// Line of the event's time stamp (1-based).
    public var line: Int
    public init(time: EventTime, action: Action, line: Int) {
        self.time = time
        self.action = action
        self.line = line
    }
}

/// What an event does.
public enum Action: Sendable, Hashable {
    case packet(PacketSpec)
    case syscall(SyscallSpec)
    case command(ShellCommand)
    /// A `%{ ... }%` block (packetdrill hands it to Python).
    case code(String)
    /// A packet line the runner cannot express (UDP, ICMP, encapsulation...); the script is then
    /// UNSUPPORTED with this reason.
    case unsupportedPacket(String)
}

public enum Direction: Sendable, Hashable {
    /// `<`: from the remote side (the script) to the stack under test.
    case inbound
    /// `>`: from the stack under test, expected by the script.
    case outbound
}

/// IP-level details a packet line may carry in `[...]` or `(...)` before its flags.
public struct IPInfo: Sendable, Hashable {
    public enum ECN: UInt8, Sendable, Hashable {
        case notECT = 0, ect1 = 1, ect0 = 2, ce = 3
    }
    /// ECN codepoint to set (inbound) or check (outbound).
    public var ecn: ECN?
    /// `ect01`: either ECT(0) or ECT(1) (outbound only).
    public var ect01 = false
    /// `tos 0x..`: the whole TOS / traffic class byte.
    public var tos: UInt8?
    public var flowLabel: UInt32?
    public var ttl: UInt8?
    public init() {}
    public var isEmpty: Bool { ecn == nil && !ect01 && tos == nil && flowLabel == nil && ttl == nil }
}

/// A TCP packet line: `< S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>`.
public struct PacketSpec: Sendable, Hashable {
    public var direction: Direction
    public var ipInfo = IPInfo()
    /// `1234>8080` before the flags (packetdrill's explicit ports).
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// The flags as written (`S.`, `P.`, `-`...).
    public var flagsText: String
    public var flags: TCPFlags
    public var startSequence: UInt32
    public var payloadLength: Int
    /// `ack N`; 0 when absent (packetdrill's default).
    public var ack: UInt32
    public var ackGiven: Bool
    /// `win N`; nil when absent (outbound: the window is not checked).
    public var window: UInt16?
    /// `urg N`; 0 when absent.
    public var urgentPointer: UInt16
    /// The option list; nil for `<...>` (options not checked).
    public var options: [TCPOptionSpec]?
    /// An inbound ICMP error instead of a TCP segment (`< icmp unreachable frag_needed mtu 1200
    /// [1:1461(1460)]`); the other fields then describe the quoted segment, one the engine sent.
    public var icmp: ICMPSpec? = nil

    public init(direction: Direction, flagsText: String, flags: TCPFlags, startSequence: UInt32, payloadLength: Int,
                ack: UInt32 = 0, ackGiven: Bool = false, window: UInt16? = nil, urgentPointer: UInt16 = 0,
                options: [TCPOptionSpec]? = []) {
        self.direction = direction
        self.flagsText = flagsText
        self.flags = flags
        self.startSequence = startSequence
        self.payloadLength = payloadLength
        self.ack = ack
        self.ackGiven = ackGiven
        self.window = window
        self.urgentPointer = urgentPointer
        self.options = options
    }

    public var endSequence: UInt32 { startSequence &+ UInt32(truncatingIfNeeded: payloadLength) }
}

/// An inbound ICMP error line, as packetdrill writes it: type and code by name (or number), an
/// optional `mtu N`, and the quoted segment `[start:end(len)]` in the script's sequence numbers.
/// In an IPv6 script the names give ICMPv6 values (`unreachable` 1, `packet_too_big` 2...).
public struct ICMPSpec: Sendable, Hashable {
    public var type: String
    public var code: String?
    public var mtu: UInt32?
    /// No `[start:end(len)]`: the ICMP message quotes the socket's last outbound segment, as
    /// packetdrill does then (Run+ICMPQuote.swift).
    public var quotesLastOutbound = false
    public init(type: String, code: String?, mtu: UInt32?) { self.type = type; self.code = code; self.mtu = mtu }

    /// (type, code) for IPv4 or IPv6, nil for a name it does not know.
    public func values(ipv6: Bool) -> (UInt8, UInt8)? {
        let types: [String: UInt8] = ipv6
            ? ["unreachable": 1, "packet_too_big": 2, "time_exceeded": 3, "parameter_problem": 4]
            : ["unreachable": 3, "source_quench": 4, "redirect": 5, "time_exceeded": 11, "parameter_problem": 12]
        let codes: [String: UInt8] = ipv6
            ? ["net_unreachable": 0, "no_route": 0, "admin_prohibited": 1, "host_unreachable": 3, "address_unreachable": 3,
               "port_unreachable": 4, "ttl_exceeded": 0]
            : ["net_unreachable": 0, "host_unreachable": 1, "protocol_unreachable": 2, "port_unreachable": 3,
               "frag_needed": 4, "source_route_failed": 5, "net_unknown": 6, "host_unknown": 7, "net_prohibited": 9,
               "host_prohibited": 10, "packet_filtered": 13, "ttl_exceeded": 0]
        var type = types[self.type] ?? UInt8(self.type)
        var code: UInt8? = 0
        if let c = self.code { code = codes[c] ?? UInt8(c) }
        // ICMPv6 has no "fragmentation needed": packetdrill's frag_needed is Packet Too Big there.
        if ipv6 && self.type == "unreachable" && self.code == "frag_needed" { type = 2; code = 0 }
        guard let type, let code else { return nil }
        return (type, code)
    }
}

/// One TCP option as a script writes it.
public enum TCPOptionSpec: Sendable, Hashable, CustomStringConvertible {
    case eol
    case nop
    case mss(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    case sack([SACKRange])
    case timestamp(value: UInt32, echoReply: UInt32)
    /// `md5 <hex>`, `FO <hex>`, `FOEXP <hex>`, and options read from the wire that have no name
    /// here: kind and data bytes.
    case other(kind: UInt8, data: [UInt8], name: String)

    public struct SACKRange: Sendable, Hashable {
        public var left: UInt32
        public var right: UInt32
        public init(left: UInt32, right: UInt32) { self.left = left; self.right = right }
    }

    /// Two options are equal when their bytes on the wire are: `kind 2 05b4` is `mss 1460`, and
    /// a name (`exp`, `md5`) is a spelling, not content.
    public static func == (a: TCPOptionSpec, b: TCPOptionSpec) -> Bool { a.bytes == b.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    /// The option kind on the wire (RFC 9293 §3.2 and the registry).
    public var kind: UInt8 {
        switch self {
        case .eol: 0
        case .nop: 1
        case .mss: 2
        case .windowScale: 3
        case .sackPermitted: 4
        case .sack: 5
        case .timestamp: 8
        case .other(let k, _, _): k
        }
    }

    /// The option's bytes on the wire.
    public var bytes: [UInt8] {
        switch self {
        case .eol: return [0]
        case .nop: return [1]
        case .mss(let v): return [2, 4, UInt8(v >> 8), UInt8(v & 0xff)]
        case .windowScale(let s): return [3, 3, s]
        case .sackPermitted: return [4, 2]
        case .sack(let blocks):
            var b: [UInt8] = [5, UInt8(truncatingIfNeeded: 2 + 8 * blocks.count)]
            for r in blocks { b += be32(r.left) + be32(r.right) }
            return b
        case let .timestamp(v, e): return [8, 10] + be32(v) + be32(e)
        case let .other(k, data, _): return [k, UInt8(truncatingIfNeeded: 2 + data.count)] + data
        }
    }

    /// The script spelling: `mss 1460`, `TS val 100 ecr 0`, `sack 1:2 3:4`.
    public var description: String {
        switch self {
        case .eol: "eol"
        case .nop: "nop"
        case .mss(let v): "mss \(v)"
        case .windowScale(let s): "wscale \(s)"
        case .sackPermitted: "sackOK"
        case .sack(let blocks): "sack " + blocks.map { "\($0.left):\($0.right)" }.joined(separator: " ")
        case let .timestamp(v, e): "TS val \(v) ecr \(e)"
        case let .other(k, data, name):
            // FOEXP is written without its magic number (0xF989), as in scripts.
            (name.isEmpty ? "kind \(k)" : name) + (data.count <= (name == "FOEXP" ? 2 : 0) ? "" : " " + data.dropFirst(name == "FOEXP" ? 2 : 0).map { hexByte($0) }.joined())
        }
    }
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
func hexByte(_ b: UInt8) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
}

/// A system call line: `+0 accept(3, ..., ...) = 4`, `+.1...0.2 read(4, ..., 10) = -1 EAGAIN (...)`.
public struct SyscallSpec: Sendable, Hashable {
    public var name: String
    public var arguments: [Expression]
    /// The expected result.
    public var result: Expression
    /// The expected errno name (`ECONNREFUSED`), when the script gives one.
    public var errno: String?
    /// The text in parentheses after the result or errno.
    public var note: String?
    /// `...end`: the call blocks and must return at this time (microseconds; relative like the
    /// event's start time when that is relative).
    public var endTime: Int64?

    public init(name: String, arguments: [Expression], result: Expression, errno: String? = nil,
                note: String? = nil, endTime: Int64? = nil) {
        self.name = name
        self.arguments = arguments
        self.result = result
        self.errno = errno
        self.note = note
        self.endTime = endTime
    }

    public var isBlocking: Bool { endTime != nil }
}

/// An expression in a system call's arguments or result.
public indirect enum Expression: Sendable, Hashable, CustomStringConvertible {
    /// `...`: "whatever the call needs" (a buffer, an address).
    case ellipsis
    case integer(Int64)
    /// A symbol such as `SOCK_STREAM` or `POLLIN`.
    case word(String)
    case string(String)
    /// `a | b` (bitwise or) and `name = value` (a field in braces).
    case binary(op: String, lhs: Expression, rhs: Expression)
    /// `[a, b]`
    case list([Expression])
    /// `{a, b}` and `{name=value, ...}`
    case braces([Expression])
    /// `htons(8080)`, `inet_addr("192.0.2.1")`
    case call(name: String, arguments: [Expression])

    public var description: String {
        switch self {
        case .ellipsis: "..."
        case .integer(let n): String(n)
        case .word(let w): w
        case .string(let s): "\"\(s)\""
        case let .binary(op, l, r): op == "=" ? "\(l)=\(r)" : "\(l)\(op)\(r)"
        case .list(let xs): "[" + xs.map(\.description).joined(separator: ", ") + "]"
        case .braces(let xs): "{" + xs.map(\.description).joined(separator: ", ") + "}"
        case let .call(n, xs): n + "(" + xs.map(\.description).joined(separator: ", ") + ")"
        }
    }
}
