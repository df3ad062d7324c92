import Foundation
import Testing
import TCPTrace
@testable import TCPScript

@Suite("Suite: what `tcpkit script run` prints")
struct SuiteTests {
    /// A directory with one passing, one failing and one unsupported script.
    func makeDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tcpscript-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        try passiveOpen.write(toFile: dir + "/a-pass.pkt", atomically: true, encoding: .utf8)
        try "0 < S 0:0(0) win 1000\n+0 > R. 0:0(0) ack 2\n".write(toFile: dir + "/sub/b-fail.pkt", atomically: true, encoding: .utf8)
        try "`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n".write(toFile: dir + "/c-unsupported.pkt", atomically: true, encoding: .utf8)
        try "not a script".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        return dir
    }

    @Test("directories are searched for .pkt files, sorted; files are taken as given")
    func collect() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(ScriptSuite.collect([dir]) == [dir + "/a-pass.pkt", dir + "/c-unsupported.pkt", dir + "/sub/b-fail.pkt"])
        #expect(ScriptSuite.collect([dir + "/notes.txt", "/no/such/file.pkt"]) == [dir + "/notes.txt", "/no/such/file.pkt"])
    }

    @Test("one line per script, the details of a failure, and the totals line last")
    func report() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines: [String] = []
        let totals = ScriptSuite.run(paths: [dir, "/no/such/file.pkt"]) { lines.append($0) }
        #expect(totals.passed == 1 && totals.failed == 2 && totals.unsupported == 1)
        #expect(lines.last == "1 passed, 2 failed, 1 unsupported")
        #expect(lines[0] == "PASS         \(dir)/a-pass.pkt")
        #expect(lines[1].hasPrefix("UNSUPPORTED  \(dir)/c-unsupported.pkt: line 1: shell command `../common/defaults.sh`"))
        #expect(lines[2] == "FAIL         \(dir)/sub/b-fail.pkt:2: outbound packet: ack: expected 2, actual 1")
        #expect(lines[3] == "    script line 2: +0 > R. 0:0(0) ack 2")
        #expect(lines[4].hasPrefix("    expected") && lines[4].hasSuffix("actual"))
        #expect(lines[5].contains("R. 0:0(0) ack 2 at 0.000000") && lines[5].contains("R. 0:0(0) ack 1 win 0 at 0.000000"))
        #expect(lines[6] == "FAIL         /no/such/file.pkt: cannot read /no/such/file.pkt")
        // Then the folder table (folders as given: more than one path was), the reasons, the totals.
        let w = max(6, dir.count + 4)
        func row(_ name: String, _ counts: String) -> String { name + String(repeating: " ", count: w - name.count) + counts }
        let folders: [(String, String)] = [
            ("/no/such", "       0       1            0             0"),
            (dir, "       1       0            1             0"),
            (dir + "/sub", "       0       1            0             0"),
        ]
        var expected: [String] = ["", row("folder", "  passed  failed  unsupported  parse errors")]
        expected += folders.sorted { $0.0 < $1.0 }.map { row($0.0, $0.1) }
        expected.append(row("all", "       1       2            1             0"))
        expected += ["", "most frequent FAIL reasons (\(ScriptReport.normalization)):",
                     "    1  cannot read PATH", "    1  outbound packet: ack: expected N, actual N", ""]
        expected += ["most frequent UNSUPPORTED reasons (\(ScriptReport.normalization)):",
                     "    1  shell command `../common/defaults.sh`: cannot read the script file ../common/defaults.sh from PATH", ""]
        expected.append("1 passed, 2 failed, 1 unsupported")
        #expect(Array(lines[7...]) == expected)
    }

    @Test("--verbose adds the notes and the ladder diagram of the run")
    func verbose() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines: [String] = []
        _ = ScriptSuite.run(paths: [dir + "/a-pass.pkt"], verbose: true) { lines.append($0) }
        let text = lines.joined(separator: "\n")
        #expect(text.contains("remote 192.0.2.1 (the script)"))
        #expect(text.contains("local 192.168.0.1 (TCPKit)"))
        #expect(text.contains("SYN,ACK seq="))
        #expect(text.contains("LISTEN → SYN-RECEIVED"))
        #expect(text.contains("accept(3, ..., ...) = 4"))
        #expect(lines.last == "1 passed, 0 failed, 0 unsupported")
    }

    @Test("the timeline of a run has both hosts' segments in order")
    func timeline() throws {
        let r = run(passiveOpen, timeline: true)
        let t = try #require(r.timeline)
        #expect(t.hosts == ["remote", "local"])
        let sends = t.sorted.compactMap { e -> String? in
            guard case let .send(_, s, _) = e.kind else { return nil }
            return "\(e.host) \(s.flags)"
        }
        #expect(sends == ["remote SYN", "local SYN,ACK", "remote ACK"])
    }

    @Test("a long expected/actual pair is stacked rather than side by side")
    func stacked() {
        let f = ScriptFailure(line: 3, lineText: "x", message: "m", expected: String(repeating: "e", count: 80), actual: String(repeating: "a", count: 80))
        let lines = f.detailLines()
        #expect(lines == ["    script line 3: x", "    expected: " + String(repeating: "e", count: 80), "    actual:   " + String(repeating: "a", count: 80)])
    }
}
