import Foundation
import Testing
import TestSupport

/// `tcpkit script run` reports through the built tool: the folder table and reasons after the
/// per-script lines, `--format json` and `markdown`, and `--define` for `#ifdef` and values.
@Suite("tcpkit script run: reports and --define")
struct ScriptReportCommandTests {
    /// A directory with a passing script at its top, a failing one and an unsupported one in `sub`.
    static func directory() throws -> URL {
        let dir = try ScriptCommandTests.directory([:])
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let files = [
            "a-good.pkt": ScriptCommandTests.script("+0    > P. 1:11(10) ack 1"),
            "sub/b-bad.pkt": ScriptCommandTests.script("+0    > P. 1:21(20) ack 1"),
            "sub/c-shell.pkt": "`frobnicate --now`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
            "sub/d-parse.pkt": "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > Q 0:0(0)\n",
        ]
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("text: the per-script lines, then the folder table, the reasons, the parse error count and the totals")
    func text() throws {
        _ = try TCPKitTool.require()
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, output, _) = try TCPKitTool.run(["script", "run", dir.path])
        #expect(status == 1)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("FAIL         \(dir.path)/sub/d-parse.pkt:2: parse error: invalid TCP flag 'Q' (valid: F S R P U E W C . and -)"), "\(output)")
        #expect(lines.contains("folder  passed  failed  unsupported  parse errors"), "\(output)")
        #expect(lines.contains(".            1       0            0             0"), "\(output)")
        #expect(lines.contains("sub          0       2            1             1"), "\(output)")
        #expect(lines.contains("all          1       2            1             1"), "\(output)")
        #expect(lines.contains { $0.hasPrefix("most frequent UNSUPPORTED reasons") }, "\(output)")
        #expect(lines.contains("    1  shell command `frobnicate --now`: `frobnicate` is not a command TCPKit emulates"), "\(output)")
        #expect(lines.filter { !$0.isEmpty }.suffix(2) == ["1 parse error (scripts the runner could not parse, counted in failed)",
                                                           "1 passed, 2 failed, 1 unsupported"], "\(output)")
    }

    @Test("--format json: one object on standard output, the same counts")
    func json() throws {
        _ = try TCPKitTool.require()
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, output, _) = try TCPKitTool.run(["script", "run", dir.path, "--format", "json"])
        #expect(status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        #expect(object["totals"] as? [String: Int] == ["passed": 1, "failed": 2, "unsupported": 1, "parseErrors": 1])
        let scripts = try #require(object["scripts"] as? [[String: Any]])
        #expect(scripts.map { $0["outcome"] as? String } == ["pass", "fail", "unsupported", "fail"])
        #expect(scripts[1]["line"] as? Int == 10 && scripts[1]["cause"] as? String == "behaviour")
        #expect(scripts[3]["cause"] as? String == "parse error" && scripts[3]["line"] as? Int == 2)
        #expect((object["folders"] as? [[String: Any]])?.map { $0["folder"] as? String } == [".", "sub"])
    }

    @Test("--format markdown: the page the docs list FAIL and UNSUPPORTED scripts with")
    func markdown() throws {
        _ = try TCPKitTool.require()
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("report.md").path
        let (status, output, errors) = try TCPKitTool.run(["script", "run", dir.path, "--format", "markdown", "--output", out])
        #expect(status == 1 && output.isEmpty)
        #expect(errors.contains("1 passed, 2 failed, 1 unsupported"), "\(errors)")
        let md = try String(contentsOfFile: out, encoding: .utf8)
        #expect(md.hasPrefix("# tcpkit script run \(dir.path)\n"), "\(md)")
        #expect(md.contains("| sub | 0 | 2 | 1 | 1 |"), "\(md)")
        #expect(md.contains("| `sub/b-bad.pkt` | 10 | "), "\(md)")
        #expect(md.contains("| `sub/c-shell.pkt` | 1 | shell command `frobnicate --now`: `frobnicate` is not a command TCPKit emulates |"), "\(md)")
    }

    @Test("--define NAME and NAME=VALUE: #ifdef branches and values; a bad name is refused")
    func define() throws {
        _ = try TCPKitTool.require()
        let dir = try ScriptCommandTests.directory([
            "d.pkt": ScriptCommandTests.script("#ifdef SHORT\n+0    > P. 1:11(10) ack 1\n#else\n+0    > P. 1:LEN(20) ack 1\n#endif"),
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("d.pkt").path
        #expect(try TCPKitTool.run(["script", "run", script, "--define", "SHORT"]).0 == 0)
        // Without SHORT the other branch: LEN read as 21, a segment of 20 bytes the engine does not send.
        let (status, output, _) = try TCPKitTool.run(["script", "run", script, "--define", "LEN=21"])
        #expect(status == 1 && output.contains("d.pkt:13:") && output.contains("payload length"), "\(output)")
        let bad = try TCPKitTool.run(["script", "run", script, "--define", "1X=2"])
        #expect(bad.0 != 0 && bad.2.contains("--define 1X=2"), "\(bad.2)")
    }
}
