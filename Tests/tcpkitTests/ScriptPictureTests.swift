import Foundation
import Testing
import TestSupport

/// `tcpkit script run --format/--output` (issue 5: `--format` and `--output` on every run): one
/// script's run drawn like a scenario's, with its verdict on standard error.
@Suite struct ScriptPictureTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Conformance/close-local-first.pkt").path

    @Test("--format mermaid: the run as a sequenceDiagram on standard output with both sides' segments and states; PASS and the totals on standard error")
    func mermaidOnStandardOutput() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["script", "run", Self.script, "--format", "mermaid"])
        #expect(r.status == 0)
        #expect(r.output.hasPrefix("sequenceDiagram"), "\(r.output.prefix(200))")
        // The script's close: our FIN, the peer's FIN, TIME-WAIT and the RST after 2*MSL.
        for needle in ["FIN", "TIME-WAIT", "RST"] { #expect(r.output.contains(needle), "\(needle)") }
        #expect(!r.output.contains("PASS"))
        #expect(r.errors.contains("PASS"))
        #expect(r.errors.contains("1 passed, 0 failed, 0 unsupported"))
    }

    @Test("--format svg --output FILE writes the drawing to the file; a failing script still draws and exits 1")
    func svgToFileAndFailure() throws {
        _ = try TCPKitTool.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-script-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let svg = dir.appendingPathComponent("run.svg").path
        let ok = try TCPKitTool.run(["script", "run", Self.script, "--format", "svg", "--output", svg])
        #expect(ok.status == 0)
        #expect(ok.output.isEmpty)
        let drawing = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(drawing.contains("<svg") && drawing.contains("TIME-WAIT"))

        // The same script expecting the wrong ACK on our FIN: FAIL, status 1, the picture still drawn.
        let source = try String(contentsOfFile: Self.script, encoding: .utf8)
            .replacingOccurrences(of: "+0    > F. 1:1(0) ack 1\n", with: "+0    > F. 1:1(0) ack 7\n")
        let bad = dir.appendingPathComponent("bad.pkt").path
        try source.write(toFile: bad, atomically: true, encoding: .utf8)
        let failed = try TCPKitTool.run(["script", "run", bad, "--format", "html"])
        #expect(failed.status == 1)
        #expect(failed.errors.contains("FAIL") && failed.errors.contains("0 passed, 1 failed, 0 unsupported"))
        #expect(failed.output.contains("<html"))
    }

    @Test("a picture is of one run: --format svg with a directory of scripts is refused")
    func oneScriptOnly() throws {
        _ = try TCPKitTool.require()
        let dir = URL(fileURLWithPath: Self.script).deletingLastPathComponent().path
        let r = try TCPKitTool.run(["script", "run", dir, "--format", "svg"])
        #expect(r.status != 0)
        #expect(r.errors.contains("exactly one script"))
    }
}
