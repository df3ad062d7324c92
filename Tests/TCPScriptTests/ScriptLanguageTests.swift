import Testing
import TCPWire
@testable import TCPScript

/// The parts of the language the Linux and nplab forks add or use: `#ifdef` lines, `--define`,
/// every TCP option spelling, ECN marks, `...` and ranges, commands over several lines.
@Suite("Parser: the forks' language")
struct ScriptLanguageTests {
    func names(_ s: Script) -> [String] {
        s.events.compactMap { if case .syscall(let c) = $0.action { c.name } else { nil } }
    }

    @Test("#ifdef, #ifndef, #else and #endif keep or skip whole lines, nested, with the file's line numbers")
    func conditionals() throws {
        let text = """
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        #ifdef FreeBSD
        +0 bind(3, ..., ...) = 0
        #ifndef Linux
          +0 listen(3, 1) = 0
        #else
        +0 listen(3, 2) = 0
        #endif
        #else
        +0 close(3) = 0
        #endif // a comment may follow
        +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
        """
        let freebsd = try ScriptParser.parse(text, defines: ["FreeBSD": ""])
        #expect(names(freebsd) == ["socket", "bind", "listen", "getsockopt"])
        #expect(freebsd.events.map(\.line) == [1, 3, 5, 12])
        let both = try ScriptParser.parse(text, defines: ["FreeBSD": "", "Linux": "1"])
        #expect(names(both) == ["socket", "bind", "listen", "getsockopt"])
        #expect(both.events[2].line == 7)
        let none = try ScriptParser.parse(text)
        #expect(names(none) == ["socket", "close", "getsockopt"])
        #expect(none.events.map(\.line) == [1, 10, 12])
    }

    @Test("an unbalanced #ifdef, #else or #endif is a parse error at its line")
    func unbalanced() {
        #expect(parseError("0 close(3) = 0\n#ifdef X\n+0 close(4) = 0")
                == ScriptParseError(line: 2, kind: .unbalancedConditional("#ifdef X without #endif")))
        #expect(parseError("0 close(3) = 0\n\n#endif")?.line == 3)
        #expect(parseError("0 close(3) = 0\n#else")?.kind == .unbalancedConditional("#else without an open #ifdef or #ifndef, or a second #else"))
        #expect(parseError("#ifdef A\n#else\n#else\n#endif")?.line == 3)
        // The same in a branch not taken: still read, still checked.
        #expect(parseError("#ifdef A\n#ifdef B\n0 close(3) = 0\n#endif")?.line == 1)
        #expect(parseError("#ifdef\n0 close(3) = 0\n#endif")?.line == 1)
        #expect(parseError("0 close(3) = 0\n#ifdef A B\n#endif")?.line == 2)
    }

    @Test("# inside a command, a code block or a comment is not a directive")
    func hashElsewhere() throws {
        let s = try ScriptParser.parse("`sysctl -q a=1\n#endif\nsysctl -q b=2`\n0 close(3) = 0\n+0 %{\n# ifdef\n#endif\nassert True\n}%\n/*\n#else\n*/")
        #expect(s.initCommand?.text == "sysctl -q a=1\n#endif\nsysctl -q b=2")
        #expect(s.events.count == 2)
    }

    @Test("--define NAME=VALUE: the name reads as the value; keywords and names without a value stay")
    func defines() throws {
        let d = ["FD": "3", "LEN": "0x10", "MSG": "\"hello\"", "CMD": "`sysctl -q x=1`", "CODE": "port_unreachable",
                 "mss": "99", "EMPTY": ""]
        let call = try #require(try ScriptParser.parse("0 write(FD, MSG, LEN) = LEN", defines: d).events.first)
        guard case .syscall(let c) = call.action else { Issue.record("not a call"); return }
        #expect(c.arguments == [.integer(3), .string("hello"), .integer(16)])
        #expect(c.result == .integer(16))
        let p = try ScriptParser.parse("0 < S 0:0(0) win 100 <mss 1000>", defines: d)
        guard case .packet(let spec) = p.events[0].action else { Issue.record("not a packet"); return }
        #expect(spec.options == [.mss(1000)], "a keyword is never replaced")
        let cmd = try ScriptParser.parse("0 close(3) = 0\n+0 CMD", defines: d)
        guard case .command(let shell) = cmd.events[1].action else { Issue.record("not a command"); return }
        #expect(shell.text == "sysctl -q x=1")
        let icmp = try ScriptParser.parse("0 < icmp unreachable CODE [0:0(0)]", defines: d)
        guard case .packet(let e) = icmp.events[0].action else { Issue.record("not a packet"); return }
        #expect(e.icmp?.code == "port_unreachable")
        let empty = try ScriptParser.parse("0 close(EMPTY) = 0", defines: d)
        guard case .syscall(let k) = empty.events[0].action else { Issue.record("not a call"); return }
        #expect(k.arguments == [.word("EMPTY")])
        // A --define line of the script counts for the lines after it; the caller's value wins.
        let inScript = "--define=N=7\n#ifdef N\n0 close(N) = 0\n#endif"
        guard case .syscall(let seven) = try ScriptParser.parse(inScript).events[0].action else { Issue.record("not a call"); return }
        #expect(seven.arguments == [.integer(7)])
        guard case .syscall(let eight) = try ScriptParser.parse(inScript, defines: ["N": "8"]).events[0].action else { Issue.record("not a call"); return }
        #expect(eight.arguments == [.integer(8)])
        // Through the runner: ScriptRunOptions.defines.
        let source = "#ifdef NEVER\n0 close(99) = 0\n#endif\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = S\n+0 close(3) = 0"
        #expect(ScriptRunner.run(source: source, options: ScriptRunOptions(defines: ["S": "3"])).isPass)
        #expect(ScriptRunner.run(source: source, options: ScriptRunOptions(defines: ["S": "3", "NEVER": ""])).failure?.line == 2)
    }

    @Test("TCP options: md5, exp, kind N and bare numbers, compared by their bytes")
    func optionSpellings() throws {
        let p = try packet("0 < . 1:1(0) ack 1 win 100 <md5 000102030405060708090a0b0c0d0e0f,exp f9890102,kind 30 0a0b,99,nop,1,0>")
        let options = try #require(p.options)
        #expect(options.map(\.kind) == [19, 254, 30, 99, 1, 1, 0])
        #expect(options[0].bytes == [19, 18] + Array(0...15))
        #expect(options[1].bytes == [254, 6, 0xf9, 0x89, 1, 2])
        #expect(options[1].description == "exp f9890102")
        #expect(options[2].bytes == [30, 4, 0x0a, 0x0b])
        #expect(options[2].description == "kind 30 0a0b")
        #expect(options[3].bytes == [99, 2])
        // A digest of digits only is one token too long for a number.
        let digits = try packet("0 < . 1:1(0) ack 1 win 100 <md5 00112233445566778899001122334455>")
        #expect(digits.options?.first?.bytes.count == 18)
        // The same bytes are the same option, whatever the spelling.
        #expect(TCPOptionSpec.other(kind: 2, data: [0x05, 0xb4], name: "") == .mss(1460))
        #expect(try packet("0 > S 0:0(0) <2 05b4,kind 4>").options == [.mss(1460), .sackPermitted])
        #expect(TCPOptionSpec.other(kind: 19, data: [1], name: "md5") != .other(kind: 19, data: [2], name: "md5"))
        // Out of range, malformed.
        #expect(parseError("0 > S 0:0(0) <kind 256>")?.kind == .valueOutOfRange(field: "TCP option kind", value: "256"))
        #expect(parseError("0 > S 0:0(0) <exp abc>") != nil)
        #expect(parseError("0 > S 0:0(0) <1 00>") != nil)
        #expect(parseError("0 > S 0:0(0) <kind 30 " + String(repeating: "00", count: 39) + ">") != nil)
        #expect(parseError("0 > S 0:0(0) <bogus 1>") != nil)
        // The runner keeps accepting unknown inbound options (the engine skips them).
        let wire = WireSegment.parseOptions([30, 4, 0x0a, 0x0b, 254, 4, 0xf9, 0x89])
        #expect(wire == [.other(kind: 30, data: [10, 11], name: ""), .other(kind: 254, data: [0xf9, 0x89], name: "exp")])
    }

    @Test("every ECN mark spelling parses into IPInfo")
    func ecnMarks() throws {
        #expect(try packet("0 < [noecn] . 1:1(0) ack 1 win 100").ipInfo.ecn == .notECT)
        #expect(try packet("0 < [ect0] . 1:1(0) ack 1 win 100").ipInfo.ecn == .ect0)
        #expect(try packet("0 < [ect1] . 1:1(0) ack 1 win 100").ipInfo.ecn == .ect1)
        #expect(try packet("0 < [ce] . 1:1(0) ack 1 win 100").ipInfo.ecn == .ce)
        #expect(try packet("0 > [ect01] . 1:1(0) ack 1").ipInfo.ect01)
        #expect(try packet("0 > (ect0, flowlabel 0x1) . 1:1(0) ack 1").ipInfo.flowLabel == 1)
    }

    @Test("... and ranges where packetdrill allows them")
    func ellipsisAndRanges() throws {
        #expect(try event("0.1~0.2 > . 1:1(0) ack 1").time == .absoluteRange(100_000, 200_000))
        #expect(try event("+0~+0.1 > . 1:1(0) ack 1").time == .relativeRange(0, 100_000))
        #expect(try event("* > . 1:1(0) ack 1 <...>").time == .any)
        #expect(try syscall("+0...0.1 read(4, ..., 10) = 10").endTime == 100_000)
        #expect(try syscall("0 write(4, \"abc\"..., 3) = 3").arguments[1] == .string("abc"))
        #expect(try syscall("0 getsockopt(3, SOL_SOCKET, SO_ERROR, ..., ...) = ...").result == .ellipsis)
        #expect(parseError("0.1~0.2 < . 1:1(0) ack 1 win 100")?.kind == .timeFormOnlyForOutbound("range"))
    }

    @Test("a back-quoted command may span lines: a script file and settings in one command")
    func multiLineCommand() throws {
        let s = try ScriptParser.parse("// head\n`../common/defaults.sh\nsysctl -q net.ipv4.tcp_sack=0\n`\n\n0 close(3) = -1 EBADF")
        #expect(s.initCommand == ShellCommand(text: "../common/defaults.sh\nsysctl -q net.ipv4.tcp_sack=0\n", line: 2))
        #expect(s.events.first?.line == 6)
    }

    @Test("icmp lines: an echo id, and a quoted UDP or raw packet, which is UNSUPPORTED")
    func icmpForms() throws {
        #expect(try packet("0 < icmp unreachable port_unreachable id 7 [1:1(0)]").icmp?.code == "port_unreachable")
        guard case .unsupportedPacket(let why) = try event("0 < icmp unreachable port_unreachable [udp (10)]").action else {
            Issue.record("not unsupported"); return
        }
        #expect(why.contains("udp"))
    }

    @Test("AccECN's ACE counter in the flags reads, and makes the script UNSUPPORTED")
    func accECN() throws {
        for line in ["0 > S.5 0:0(0) ack 1", "0 < .2 1:1(0) ack 1 win 100", "0 > SEW.0 0:0(0)"] {
            guard case .unsupportedPacket(let why) = try event(line).action else { Issue.record("not unsupported: \(line)"); continue }
            #expect(why.contains("Accurate ECN"))
        }
        #expect(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S.1 0:0(0)").unsupportedReason?.contains("line 2: AccECN") == true)
    }

    @Test("a script the runner cannot parse is a FAIL whose cause is the parser, labelled parse error")
    func parseErrorLabel() throws {
        let r = run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > Q 0:0(0)")
        let f = try #require(r.failure)
        #expect(f.cause == .parseError)
        #expect(f.line == 2 && f.message.hasPrefix("parse error: invalid TCP flag 'Q'"))
        #expect(run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0)").failure?.cause == .behaviour)
    }
}
