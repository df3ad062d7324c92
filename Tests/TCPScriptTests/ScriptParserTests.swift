import Testing
import TCPWire
@testable import TCPScript

/// One event parsed from `text` (which must hold exactly one).
func event(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Event {
    let s = try ScriptParser.parse(text)
    #expect(s.events.count == 1, sourceLocation: sourceLocation)
    return try #require(s.events.first, sourceLocation: sourceLocation)
}

func packet(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> PacketSpec {
    guard case .packet(let p) = try event(text, sourceLocation: sourceLocation).action else {
        Issue.record("not a packet: \(text)", sourceLocation: sourceLocation)
        throw ScriptParseError(line: 0, kind: .negativeTime)
    }
    return p
}

func syscall(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SyscallSpec {
    guard case .syscall(let s) = try event(text, sourceLocation: sourceLocation).action else {
        Issue.record("not a system call: \(text)", sourceLocation: sourceLocation)
        throw ScriptParseError(line: 0, kind: .negativeTime)
    }
    return s
}

/// The parse error for `text`, which must not parse.
func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ScriptParseError? {
    do {
        let s = try ScriptParser.parse(text)
        Issue.record("parsed, but should not have: \(s)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("Parser: options, comments, commands")
struct ParserStructureTests {
    @Test("option lines at the head, with and without values")
    func options() throws {
        let s = try ScriptParser.parse("""
        --ip_version=ipv6
        --tolerance_usecs=10000
        --mss=1000
        --define=FOO="a b"
        --strict_segments
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        """)
        #expect(s.options.map(\.name) == ["ip_version", "tolerance_usecs", "mss", "define", "strict_segments"])
        #expect(s.options.map(\.value) == ["ipv6", "10000", "1000", "FOO=\"a b\"", nil])
        #expect(s.options.map(\.line) == [1, 2, 3, 4, 5])
        #expect(s.events.count == 1)
    }

    @Test("// and /* */ comments, anywhere, over several lines")
    func comments() throws {
        let s = try ScriptParser.parse("""
        // a comment
        /* a comment
           over lines */ 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // after
        +0 /* inside */ listen(3, 1) = 0
        """)
        #expect(s.events.count == 2)
        #expect(s.events.map(\.line) == [3, 4])
    }

    @Test("init and cleanup commands in back quotes, timed commands between")
    func commands() throws {
        let s = try ScriptParser.parse("""
        `sysctl -q net.ipv4.tcp_sack=0`
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 `sysctl -q net.ipv4.tcp_timestamps=0`
        `sysctl -q net.ipv4.tcp_sack=1`
        """)
        #expect(s.initCommand == ShellCommand(text: "sysctl -q net.ipv4.tcp_sack=0", line: 1))
        #expect(s.events[1].action == .command(ShellCommand(text: "sysctl -q net.ipv4.tcp_timestamps=0", line: 3)))
        #expect(s.cleanupCommand == ShellCommand(text: "sysctl -q net.ipv4.tcp_sack=1", line: 4))
    }

    @Test("a command without a time in the middle is an error")
    func commandInMiddle() {
        let e = parseError("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`true`\n+0 listen(3, 1) = 0")
        #expect(e?.kind == .commandWithoutTime)
        #expect(e?.line == 2)
    }

    @Test("%{ }% code blocks keep their text")
    func code() throws {
        let e = try event("+0 %{\nassert tcpi_rto == 1000000\n}%")
        #expect(e.action == .code("assert tcpi_rto == 1000000"))
    }

    @Test("an event may span lines; its line is that of its time")
    func spanning() throws {
        let s = try ScriptParser.parse("0 socket(...,\n SOCK_STREAM,\n IPPROTO_TCP)\n = 3\n+0 listen(3, 1) = 0")
        #expect(s.events.map(\.line) == [1, 5])
    }

    @Test("empty scripts and scripts of comments only")
    func empty() throws {
        #expect(try ScriptParser.parse("").events.isEmpty)
        #expect(try ScriptParser.parse("// nothing\n/* at all */\n").events.isEmpty)
    }
}

@Suite("Parser: times")
struct ParserTimeTests {
    @Test("absolute, relative, any, ranges, blocking", arguments: [
        ("0.1 > . 1:1(0) ack 1", EventTime.absolute(100_000)),
        ("2 > . 1:1(0) ack 1", .absolute(2_000_000)),
        ("+0.1 > . 1:1(0) ack 1", .relative(100_000)),
        ("+.1 > . 1:1(0) ack 1", .relative(100_000)),
        ("+0 > . 1:1(0) ack 1", .relative(0)),
        ("* > . 1:1(0) ack 1", .any),
        ("0.1~0.2 > . 1:1(0) ack 1", .absoluteRange(100_000, 200_000)),
        ("+0.1~+0.25 > . 1:1(0) ack 1", .relativeRange(100_000, 250_000)),
        ("1.0000019 > . 1:1(0) ack 1", .absolute(1_000_001)),
    ])
    func forms(_ text: String, _ time: EventTime) throws {
        #expect(try event(text).time == time)
    }

    @Test("blocking calls: start...end, absolute and relative")
    func blocking() throws {
        let a = try event("0.1...0.2 connect(3, ..., ...) = 0")
        #expect(a.time == .absolute(100_000))
        #expect(try syscall("0.1...0.2 connect(3, ..., ...) = 0").endTime == 200_000)
        let r = try syscall("+0...0.000 read(4, ..., 1000) = 1000")
        #expect(r.endTime == 0)
        #expect(r.isBlocking)
        #expect(try syscall("+.1...0.200 read(4, ..., 2000) = 2000").endTime == 200_000)
    }

    @Test("* and ranges only on outbound packets; ranges not backwards; no negative times")
    func rules() {
        #expect(parseError("* < . 1:1(0) ack 1 win 100")?.kind == .timeFormOnlyForOutbound("*"))
        #expect(parseError("* read(3, ..., 1) = 1")?.kind == .timeFormOnlyForOutbound("*"))
        #expect(parseError("0.1~0.2 < . 1:1(0) ack 1 win 100")?.kind == .timeFormOnlyForOutbound("range"))
        #expect(parseError("0.2~0.1 > . 1:1(0) ack 1")?.kind == .backwardTimeRange)
        #expect(parseError("+0.2~+0.1 > . 1:1(0) ack 1")?.kind == .backwardTimeRange)
        #expect(parseError("-1 > . 1:1(0) ack 1")?.kind == .negativeTime)
        #expect(parseError("+-0.5 > . 1:1(0) ack 1")?.kind == .negativeTime)
        #expect(parseError("+0.1~0.2 > . 1:1(0) ack 1") != nil)
        #expect(parseError("socket(..., SOCK_STREAM, IPPROTO_TCP) = 3") != nil)
    }
}

@Suite("Parser: packets")
struct ParserPacketTests {
    static let flagCases: [(String, TCPFlags)] = [
        ("S", TCPFlags.syn), ("S.", TCPFlags([.syn, .ack])), (".", TCPFlags.ack), ("-", TCPFlags()),
        ("F.", TCPFlags([.fin, .ack])), ("R", TCPFlags.rst), ("R.", TCPFlags([.rst, .ack])),
        ("P.", TCPFlags([.psh, .ack])), ("FP.", TCPFlags([.fin, .psh, .ack])), ("U.", TCPFlags([.urg, .ack])),
        ("SEW", TCPFlags([.syn, .ece, .cwr])),
    ]

    @Test("flags", arguments: flagCases)
    func flags(_ text: String, _ flags: TCPFlags) throws {
        let p = try packet("0 > \(text) 0:0(0)")
        #expect(p.flags == flags)
        #expect(p.direction == .outbound)
    }

    @Test("an invalid flag letter is an error naming it")
    func badFlag() {
        #expect(parseError("0 > SX 0:0(0)")?.kind == .invalidFlag("X"))
    }

    @Test("start:end(len), ack, win, urg")
    func fields() throws {
        let p = try packet("0 < P. 1:1001(1000) ack 2 win 257 urg 5")
        #expect(p.direction == .inbound)
        #expect(p.startSequence == 1 && p.endSequence == 1001 && p.payloadLength == 1000)
        #expect(p.ack == 2 && p.ackGiven)
        #expect(p.window == 257)
        #expect(p.urgentPointer == 5)
        #expect(p.options == [])
    }

    @Test("sequence numbers up to 2^32-1")
    func bigSequence() throws {
        let p = try packet("0 > . 4294967295:4294967295(0) ack 4294967295")
        #expect(p.startSequence == UInt32.max && p.ack == UInt32.max)
        #expect(parseError("0 > . 4294967296:4294967296(0)")?.kind == .valueOutOfRange(field: "TCP start sequence number", value: "4294967296"))
    }

    @Test("inconsistent start:end(len) is an error")
    func inconsistent() {
        #expect(parseError("0 > . 1:100(10)")?.kind == .inconsistentSequence(start: 1, end: 100, length: 10))
    }

    @Test("inbound packets need a window; outbound ones need not")
    func window() throws {
        #expect(parseError("0 < . 1:1(0) ack 1")?.kind == .windowRequiredForInbound)
        #expect(try packet("0 > . 1:1(0) ack 1").window == nil)
        #expect(parseError("0 < . 1:1(0) ack 1 win 65536")?.kind == .valueOutOfRange(field: "TCP window value", value: "65536"))
    }

    @Test("every option kind")
    func options() throws {
        let p = try packet("0 < S 0:0(0) win 100 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7,eol,sack 1:2 3:4>")
        #expect(p.options == [
            .mss(1460), .sackPermitted, .timestamp(value: 100, echoReply: 0), .nop, .windowScale(7), .eol,
            .sack([.init(left: 1, right: 2), .init(left: 3, right: 4)]),
        ])
    }

    @Test("md5, FO and FOEXP options carry their bytes")
    func hexOptions() throws {
        let p = try packet("0 > S 0:0(0) <md5 0011,FO abcd,FOEXP 1234,FO>")
        #expect(p.options == [
            .other(kind: 19, data: [0x00, 0x11], name: "md5"), .other(kind: 34, data: [0xab, 0xcd], name: "FO"),
            .other(kind: 254, data: [0xF9, 0x89, 0x12, 0x34], name: "FOEXP"), .other(kind: 34, data: [], name: "FO"),
        ])
    }

    @Test("<...> skips the option check; only outbound")
    func ellipsisOptions() throws {
        #expect(try packet("0 > S. 0:0(0) ack 1 <...>").options == nil)
        #expect(parseError("0 < S 0:0(0) win 100 <...>")?.kind == .ellipsisOptionsOnlyForOutbound)
    }

    @Test("option values out of range and unknown options are errors")
    func badOptions() {
        #expect(parseError("0 > S 0:0(0) <mss 70000>")?.kind == .valueOutOfRange(field: "mss value", value: "70000"))
        #expect(parseError("0 > S 0:0(0) <wscale 256>") != nil)
        #expect(parseError("0 > S 0:0(0) <bogus 1>") != nil)
        #expect(parseError("0 > S 0:0(0) <sack>") != nil)
        #expect(parseError("0 > S 0:0(0) <mss 1460") != nil)
        #expect(parseError("0 > S 0:0(0) <TS val 1>") != nil)
    }

    @Test("ports and IP details before the flags")
    func prefix() throws {
        let p = try packet("0 < 1234>8080 S 0:0(0) win 100")
        #expect(p.sourcePort == 1234 && p.destinationPort == 8080)
        let q = try packet("0 > [ect0] S. 0:0(0) ack 1")
        #expect(q.ipInfo.ecn == .ect0)
        let r = try packet("0 < (tos 0x10, flowlabel 0x12345) . 1:1(0) ack 1 win 10")
        #expect(r.ipInfo.tos == 0x10 && r.ipInfo.flowLabel == 0x12345)
    }

    @Test("UDP, ICMP and encapsulated packets parse as unsupported lines")
    func unsupported() throws {
        let s = try ScriptParser.parse("""
        0 < udp (1472)
        +0 > icmp unreachable port_unreachable [1:1461(1460)]
        +0 < ipv4 192.168.0.1 > 192.0.2.1: gre: . 1:1(0) ack 1 win 10
        +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        """)
        #expect(s.events.count == 4)
        for e in s.events.prefix(3) {
            guard case .unsupportedPacket = e.action else { Issue.record("line \(e.line) not unsupported"); continue }
        }
    }
}

@Suite("Parser: system calls")
struct ParserSyscallTests {
    @Test("arguments: ..., numbers, symbols, A|B, [1], {l_onoff=1, l_linger=0}, pollfds, sockaddr")
    func arguments() throws {
        let s = try syscall("0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0")
        #expect(s.name == "setsockopt")
        #expect(s.arguments == [
            .integer(3), .word("SOL_SOCKET"), .word("SO_LINGER"),
            .braces([.binary(op: "=", lhs: .word("l_onoff"), rhs: .integer(1)), .binary(op: "=", lhs: .word("l_linger"), rhs: .integer(0))]),
            .integer(8),
        ])
        let f = try syscall("0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0")
        #expect(f.arguments[2] == .binary(op: "|", lhs: .word("O_RDWR"), rhs: .word("O_NONBLOCK")))
        #expect(try f.arguments[2].integerValue() == 0x802)
        let g = try syscall("0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0")
        #expect(g.arguments[3] == .list([.integer(0)]) && g.arguments[4] == .list([.integer(4)]))
        let p = try syscall("0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1")
        #expect(p.arguments[0].description == "[{fd=4, events=POLLIN, revents=POLLIN}]")
        let c = try syscall("0 connect(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0")
        #expect(c.arguments[1].description == "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.0.2.1\")}")
        let e = try syscall("0 read(3, ..., 0x10) = 16")
        #expect(e.arguments == [.integer(3), .ellipsis, .integer(16)])
        #expect(try syscall("0 getpid() = 1").arguments.isEmpty)
        #expect(try syscall("0 write(3, \"abc\" \"def\", 6) = 6").arguments[1] == .string("abcdef"))
    }

    @Test("results: = N, = -1 ERRNO (text), = N (note)")
    func results() throws {
        let a = try syscall("0 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)")
        #expect(a.result == .integer(-1) && a.errno == "ECONNREFUSED" && a.note == "Connection refused")
        let b = try syscall("0 fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)")
        #expect(b.result == .integer(0x802) && b.errno == nil && b.note == "flags O_RDWR | O_NONBLOCK")
        let c = try syscall("0 read(3, ..., 1) = -1 EAGAIN")
        #expect(c.errno == "EAGAIN" && c.note == nil)
        let d = try syscall("0 fcntl(3, F_GETFL) = O_RDWR|O_NONBLOCK")
        #expect(try d.result.integerValue() == 0x802)
    }

    @Test("malformed calls are errors with line numbers", arguments: [
        ("0 socket(..., SOCK_STREAM, IPPROTO_TCP)", 1),
        ("0 socket(..., SOCK_STREAM, IPPROTO_TCP = 3", 1),
        ("0 socket(..., SOCK_STREAM,, IPPROTO_TCP) = 3", 1),
        ("\n\n0 close(3) = ", 3),
        ("0 close(3) = 0 (unterminated note", 1),
    ])
    func malformed(_ text: String, _ line: Int) {
        #expect(parseError(text)?.line == line)
    }

    @Test("nesting deeper than the parser follows is an error, not a crash")
    func deep() {
        let text = "0 f(" + String(repeating: "[", count: 10_000) + ") = 0"
        #expect(parseError(text)?.kind == .nestedTooDeeply)
    }
}

@Suite("Lexer")
struct LexerTests {
    @Test("unterminated comment, string, command and code block")
    func unterminated() {
        #expect(parseError("0 close(3) = 0 /* no end")?.kind == .unterminated("comment"))
        #expect(parseError("0 write(3, \"abc, 3) = 3")?.kind == .unterminated("string"))
        #expect(parseError("`sysctl")?.kind == .unterminated("back-quoted command"))
        #expect(parseError("+0 %{ print(1)")?.kind == .unterminated("%{ }% code block"))
    }

    @Test("numbers: longest match decides between float, integer, hex, word and IPv4 address")
    func numbers() throws {
        let t = try Lexer.tokenize("0.100 +.1 -1 0x1f 192.168.0.1 8080abc ...0.2 1:1001(1000)").map(\.kind)
        #expect(t == [
            .float("0.100"), .punct(UInt8(ascii: "+")), .float(".1"), .integer(-1), .hex(31), .ipv4("192.168.0.1"),
            .word("8080abc"), .ellipsis, .float("0.2"), .integer(1), .punct(UInt8(ascii: ":")), .integer(1001),
            .punct(UInt8(ascii: "(")), .integer(1000), .punct(UInt8(ascii: ")")), .eof,
        ])
        #expect(parseError("0 close(99999999999999999999) = 0")?.kind == .numberOutOfRange("99999999999999999999"))
    }

    @Test("characters outside ASCII are reported, not trapped on")
    func unicode() {
        #expect(parseError("0 clöse(3) = 0")?.kind == .unexpectedCharacter("ö"))
    }
}
