import Foundation
import Testing
import TestSupport

/// `tcpkit script run` end to end, through the built tool beside the test bundle: the report
/// lines, the summary and the exit status (1 when a script failed, 0 when all passed).
@Suite("tcpkit script run")
struct ScriptCommandTests {
    /// A passive open, then our data; `reply` is the line that checks our segment.
    static func script(_ expected: String) -> String {
        """
        // A one-line check of our first data segment.
        0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0    bind(3, ..., ...) = 0
        +0    listen(3, 1) = 0
        +0    < S 0:0(0) win 32792 <mss 1000>
        +0    > S. 0:0(0) ack 1 <mss 1460>
        +.1   < . 1:1(0) ack 1 win 32792
        +0    accept(3, ..., ...) = 4
        +0    write(4, ..., 10) = 10
        \(expected)

        """
    }

    /// A fresh directory holding the given scripts.
    static func directory(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-script-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("one passing and one failing script: PASS and FAIL lines, the side-by-side detail, the summary, exit status 1")
    func oneFails() throws {
        _ = try TCPKitTool.require()
        let dir = try Self.directory([
            "a-good.pkt": Self.script("+0    > P. 1:11(10) ack 1"),
            // The engine sends 10 bytes; this line expects 20.
            "b-bad.pkt": Self.script("+0    > P. 1:21(20) ack 1"),
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, output, _) = try TCPKitTool.run(["script", "run", dir.path])
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(status == 1, "exit status \(status)\n\(output)")
        #expect(lines.contains { $0.hasPrefix("PASS") && $0.hasSuffix("a-good.pkt") }, "\(output)")
        // FAIL names the file and the script line (10: the `> P. 1:21(20)` line).
        let fail = try #require(lines.firstIndex { $0.hasPrefix("FAIL") }, "\(output)")
        #expect(lines[fail].contains("b-bad.pkt:10:"), "\(lines[fail])")
        #expect(lines[fail].contains("payload length"), "\(lines[fail])")
        let detail = lines[(fail + 1)...].prefix(3)
        #expect(detail.first?.contains("script line 10: +0    > P. 1:21(20) ack 1") == true, "\(detail)")
        // Expected and actual side by side on one line.
        #expect(detail.contains { $0.contains("expected") && $0.contains("actual") }, "\(detail)")
        #expect(detail.contains { $0.contains("P. 1:21(20) ack 1") && $0.contains("P. 1:11(10) ack 1") }, "\(detail)")
        #expect(lines.filter { !$0.isEmpty }.last == "1 passed, 1 failed, 0 unsupported", "\(output)")
    }

    @Test("all passing: the summary says so and the exit status is 0")
    func allPass() throws {
        _ = try TCPKitTool.require()
        let dir = try Self.directory(["a-good.pkt": Self.script("+0    > P. 1:11(10) ack 1"),
                                      "b-good.pkt": Self.script("+0    > P. 1:11(10) ack 1\n+.1   < . 1:1(0) ack 11 win 32792")])
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, output, _) = try TCPKitTool.run(["script", "run", dir.path])
        #expect(status == 0, "exit status \(status)\n\(output)")
        #expect(output.split(separator: "\n").filter { $0.hasPrefix("PASS") }.count == 2, "\(output)")
        #expect(output.hasSuffix("2 passed, 0 failed, 0 unsupported\n"), "\(output)")
    }
}
