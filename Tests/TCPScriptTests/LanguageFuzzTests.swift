// Property tests of the lexer and the parser over the whole language, in the style of FuzzTests:
// whatever the text and whatever the --define values, parsing returns a Script or throws a
// ScriptParseError whose line is one of the text's lines; the lexer's tokens never go back a
// line; grouping a report's reasons never traps. A trap kills the test process; rerun with the
// printed seed: TCPSCRIPT_SEED=<seed> swift test --filter TCPScriptTests.LanguageFuzz

import Foundation
import TCPWire
import Testing
@testable import TCPScript

/// Lines shaped like the Linux and nplab corpora's (written for this test): every construct the
/// parser reads, to be mutated and recombined.
let languageLines = [
    "`../common/defaults.sh\nsysctl -q net.ipv4.tcp_rmem=\"4096 87380 6291456\"\n`",
    "--tolerance_usecs=7000", "--define=X=1",
    "#ifdef FreeBSD", "#ifndef Linux", "#else", "#endif", "  #endif // done", "#ifdef", "#if X",
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
    "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
    "+0 bind(3, ..., ...) = 0", "+0 listen(3, 1) = 0",
    "+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>",
    "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>",
    "+.1 < . 1:1(0) ack 1 win 257", "+0 accept(3, ..., ...) = 4",
    "+0 < [ect0] P. 1:1001(1000) ack 1 win 257", "+0 > [ect01] . 1:1(0) ack 1001", "+0 < [ce] . 1:1(0) ack 1 win 1",
    "+0 < (noecn, flowlabel 0x12) . 1:1(0) ack 1 win 1", "+0 < [ect1] E. 1:1(0) ack 1 win 1",
    "+0 < . 1:1(0) ack 1 win 514 <md5 000102030405060708090a0b0c0d0e0f,nop,nop>",
    "+0 < S 0:0(0) win 1 <exp f9890102,kind 30 0a0b,99,FO 1234567890abcdef,FOEXP>",
    "+0 < S 0:0(0) win 1 <md5 00112233445566778899001122334455>",
    "0.100~0.300 > P. 1:11(10) ack 1", "+0~+0.1 > . 1:1(0) ack 1 <...>", "* > F. 1:1(0) ack 1",
    "+0...0.2 read(4, ..., 10) = 10", "+0 write(4, \"abc\"..., 3) = 3",
    "+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10",
    "+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1",
    "+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, tcpi_rto=200000}, 104) = 0",
    "+0 %{\nassert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n# a Python comment\n}%",
    "+.1 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]", "+0 < icmp unreachable CODE id 3 [udp (10)]",
    "+0 close(4) = -1 EBADF (Bad file descriptor)", "/* a comment\nover lines */", "// a line comment",
]

let languageTokens = ["#ifdef A", "#ifndef B", "#else", "#endif", "\n#endif\n", "\n#ifdef X\n", "exp", "kind", "md5",
                      "FO", "FOEXP", "[ect0]", "[ce]", "[noecn]", "(ect01)", "999999999999999999999999", "0x",
                      "`", "%{", "}%", "...", "~", "\n", "#", "//", "/*", "{", "}", "=", "X", "FD"]

@Suite("LanguageFuzz")
struct LanguageFuzzTests {
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["TCPSCRIPT_SEED"].flatMap(UInt64.init) ?? 0x5EED_0017
    }

    /// Random `--define` values: numbers, strings, commands, words, several tokens, directives.
    static func defines(_ rng: inout SplitMix64) -> [String: String] {
        let values = ["1", "0x10", "\"s\"", "`true`", "port_unreachable", "", "a b", "...", "#ifdef", "\"", "`", "99999999999999999999999"]
        var d: [String: String] = [:]
        for name in ["X", "FD", "A", "FreeBSD", "Linux", "CODE", "mss"] where Bool.random(using: &rng) {
            d[name] = values.randomElement(using: &rng)!
        }
        return d
    }

    /// The property: a Script, or an error at one of the text's lines; tokens never go back a line.
    static func check(_ text: String, defines: [String: String], seed: UInt64) {
        let lines = text.utf8.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
        do {
            _ = try ScriptParser.parse(text, defines: defines)
        } catch {
            #expect(error.line >= 1 && error.line <= lines, "seed \(seed): error at line \(error.line) of \(lines): \(error)")
            #expect(!error.description.isEmpty)
        }
        if let tokens = try? Lexer.tokenize(text, defines: defines) {
            #expect(zip(tokens, tokens.dropFirst()).allSatisfy { $0.line <= $1.line }, "seed \(seed): token lines go back")
            #expect(tokens.allSatisfy { $0.line >= 1 && $0.line <= lines } && tokens.last?.isEOF == true)
        }
    }

    @Test("arbitrary text never traps the lexer or the parser: a Script or an error with a line number")
    func arbitraryText() {
        var rng = SplitMix64(seed: Self.seed)
        let alphabet = Array("0123456789 .+-*~<>:()[]{},=|`\"%/\\\n#SFRPUEW.abcdefxXYZ_ifdelsnt\té\u{0}")
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    text += languageTokens.randomElement(using: &rng)!
                } else {
                    text.append(alphabet.randomElement(using: &rng)!)
                }
            }
            Self.check(text, defines: Self.defines(&rng), seed: Self.seed)
            // Grouping reasons takes any text too.
            let n = ScriptReport.normalize(text)
            #expect(ScriptReport.normalize(n) == n, "seed \(Self.seed): normalising \(text.debugDescription) twice differs")
        }
    }

    @Test("corpus-like scripts, recombined and mutated, never trap the lexer or the parser")
    func mutatedLines() {
        var rng = SplitMix64(seed: Self.seed)
        var parsed = 0, errors = 0
        for _ in 0..<2000 {
            var text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in languageLines.randomElement(using: &rng)! }
                .joined(separator: "\n")
            for _ in 0..<Int.random(in: 0...3, using: &rng) { text = mutate(text, &rng) }
            if Bool.random(using: &rng) {   // a token of the forks' language somewhere
                var chars = Array(text)
                chars.insert(contentsOf: languageTokens.randomElement(using: &rng)!, at: Int.random(in: 0...chars.count, using: &rng))
                text = String(chars)
            }
            let d = Self.defines(&rng)
            Self.check(text, defines: d, seed: Self.seed)
            if (try? ScriptParser.parse(text, defines: d)) != nil { parsed += 1 } else { errors += 1 }
        }
        // Both verdicts are reached: the generator makes valid scripts as well as broken ones.
        #expect(parsed > 0 && errors > 0, "parsed \(parsed), errors \(errors)")
    }

    @Test("every line of the generator parses on its own (or with its #ifdef closed)")
    func linesParse() throws {
        // (Not the msghdr line: `msg_name(...)=...` is read with the structure arguments.)
        for line in languageLines where !line.trimmingSpaces.hasPrefix("#") && !line.hasPrefix("--") && !line.contains("msg_name") {
            // An event line needs to be the first event at time 0 only for the runner, not the parser.
            _ = try ScriptParser.parse(line, defines: ["CODE": "port_unreachable"])
        }
        _ = try ScriptParser.parse("#ifdef FreeBSD\n#ifndef Linux\n#else\n#endif\n  #endif // done")
    }
}
