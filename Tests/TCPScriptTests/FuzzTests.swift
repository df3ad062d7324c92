// Fuzz-style tests: whatever text a script holds, the parser returns a Script or throws a
// ScriptParseError, and the runner returns PASS, FAIL or UNSUPPORTED: never a trap, never a hang.
// A trap kills the test process; rerun with the printed seed to reproduce:
// TCPSCRIPT_SEED=<seed> swift test --scratch-path .build-script --filter TCPScriptTests.Fuzz

import Foundation
import TCPWire
import Testing
@testable import TCPScript

/// Scripts to mutate: the inline ones of the tests and the conformance suite.
let fuzzCorpus: [String] = {
    var corpus = [passiveOpen, passiveOpen + """
    +0   write(4, ..., 2000) = 2000
    +0   > P. 1:2001(2000) ack 1
    +.1  < . 1:1(0) ack 2001 win 257
    +0   < F. 1:1(0) ack 2001 win 257
    +0   > . 2001:2001(0) ack 2
    +0...0.1 read(4, ..., 10) = 0
    +0   shutdown(4, SHUT_WR) = 0
    * > F. 2001:2001(0) ack 2
    """, """
    --ip_version=ipv6
    --tolerance_usecs=10000
    `sysctl -q net.ipv4.tcp_sack=0; sysctl -q net.ipv4.tcp_rmem="4096 20000 60000"`
    0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    +0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
    +0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
    +0   > S 0:0(0) <mss 1440,nop,nop,sackOK>
    +.1  < S. 0:0(0) ack 1 win 5792 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
    +0   > . 1:1(0) ack 1
    +0   poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 100) = 1
    +0   setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
    +0   getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
    0.2~0.3 > . 1:1(0) ack 1 <...>
    +0   close(3) = 0
    `true`
    """]
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Conformance").path
    for path in ScriptSuite.collect([dir]) {
        if let d = FileManager.default.contents(atPath: path) { corpus.append(String(decoding: d, as: UTF8.self)) }
    }
    return corpus
}()

let fuzzTokens = ["<", ">", "...", "*", "~", "+", "+.1", "%{", "}%", "`", "\"", "/*", "*/", "//", "[", "]", "{", "}",
                  "(", ")", ",", "=", "|", ":", ".", "-", "S.", "R", "F.", "0", "-1", "4294967295", "99999999999999999999",
                  "0x7fffffffffffffff", "1e9", "ack", "win", "urg", "mss", "sack", "TS", "val", "ecr", "wscale", "nop",
                  "eol", "<...>", "socket", "accept", "read", "write", "poll", "\n", " ", "é", "\u{0}", "9223372036854775807",
                  "--tolerance_usecs=9223372036854775807", "--tolerance_percent=1e308", "--mss=1", "SO_RCVBUF", "[1]",
                  "{fd=3, events=POLLIN}", "O_NONBLOCK", "EAGAIN", "(note)"]

/// One random edit of `text`.
func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
    var chars = Array(text)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    switch Int.random(in: 0..<7, using: &rng) {
    case 0 where !chars.isEmpty:   // delete a range
        let a = Int.random(in: 0..<chars.count, using: &rng)
        let b = min(chars.count, a + Int.random(in: 1...20, using: &rng))
        chars.removeSubrange(a..<b)
        return String(chars)
    case 1 where !lines.isEmpty:   // duplicate a line
        let k = Int.random(in: 0..<lines.count, using: &rng)
        lines.insert(lines[k], at: Int.random(in: 0...lines.count, using: &rng))
        return lines.joined(separator: "\n")
    case 2 where lines.count >= 2: // swap two lines
        let a = Int.random(in: 0..<lines.count, using: &rng), b = Int.random(in: 0..<lines.count, using: &rng)
        lines.swapAt(a, b)
        return lines.joined(separator: "\n")
    case 3:                        // insert a token
        let k = Int.random(in: 0...chars.count, using: &rng)
        chars.insert(contentsOf: " " + fuzzTokens.randomElement(using: &rng)! + " ", at: k)
        return String(chars)
    case 4:                        // change a number
        var out = ""
        var changed = false
        for part in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !changed, Int(part) != nil, Int.random(in: 0..<4, using: &rng) == 0 {
                out += ["0", "1", "-1", "65535", "65536", "4294967295", "2147483648", "1000000000"].randomElement(using: &rng)!
                changed = true
            } else {
                out += part
            }
            out += " "
        }
        return out
    case 5 where !chars.isEmpty:   // replace a character
        let k = Int.random(in: 0..<chars.count, using: &rng)
        chars[k] = Character(Unicode.Scalar(UInt8.random(in: 32...126, using: &rng)))
        return String(chars)
    default:                       // truncate
        return String(chars.prefix(Int.random(in: 0...chars.count, using: &rng)))
    }
}

@Suite("Fuzz")
struct FuzzTests {
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["TCPSCRIPT_SEED"].flatMap(UInt64.init) ?? 0x5EED_0003
    }

    @Test("random bytes never trap the parser")
    func randomText() {
        var rng = SplitMix64(seed: Self.seed)
        let alphabet = Array("0123456789 .+-*~<>:()[]{},=|`\"%/\\\nSFRPUEW.ackwinurgmssTSvalecr_abcdefXYZ\té")
        var parsed = 0
        for _ in 0..<3000 {
            let n = Int.random(in: 0...120, using: &rng)
            let text = String((0..<n).map { _ in alphabet.randomElement(using: &rng)! })
            if (try? ScriptParser.parse(text)) != nil { parsed += 1 }
        }
        #expect(parsed >= 0)
    }

    @Test("mutated scripts never trap the parser or the runner, and runs stay bounded")
    func mutatedScripts() {
        var rng = SplitMix64(seed: Self.seed)
        var outcomes = [0, 0, 0]
        let started = ContinuousClock.now
        for i in 0..<1500 {
            var text = fuzzCorpus[i % fuzzCorpus.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) { text = mutate(text, &rng) }
            let result = ScriptRunner.run(source: text, options: ScriptRunOptions(strict: i % 5 == 0, recordTimeline: i % 7 == 0))
            switch result.outcome {
            case .pass: outcomes[0] += 1
            case .fail(let f):
                outcomes[1] += 1
                #expect(f.line >= 0)
                _ = f.detailLines()
            case .unsupported: outcomes[2] += 1
            }
        }
        // Every verdict is reachable from mutations of valid scripts.
        #expect(outcomes[0] > 0 && outcomes[1] > 0 && outcomes[2] > 0, "PASS/FAIL/UNSUPPORTED counts: \(outcomes)")
        #expect(ContinuousClock.now - started < .seconds(120))
    }
}
