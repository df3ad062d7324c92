import Foundation
import Testing
import TCPCore
import TCPWire
import TestSupport

/// The built `tcpkit` tool (beside the test bundle): `--format mermaid|svg` and `--pcap` end to end.
@Suite struct PictureCommandTests {
    /// Runs the tool under a pseudo-terminal (util-linux `script`), so that its standard output
    /// and standard error are a TTY; returns what the terminal showed.
    static func runOnTerminal(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let tool = try TCPKitTool.require(), script = try ExternalTool.script.require()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = ["-q", "-e", "-c", ([tool.path] + arguments).joined(separator: " "), "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm"
        env.removeValue(forKey: "NO_COLOR")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }

    @Test func noColourIntoAPipe() throws {
        let piped = try TCPKitTool.run(["scenario", "lost-syn"])
        #expect(piped.status == 0)
        #expect(!piped.output.contains("\u{1B}["), "no colour into a pipe")
        #expect(piped.output.contains("(retransmission)"))
        #expect(try TCPKitTool.run(["scenario", "lost-syn", "--color", "always"]).output.contains("\u{1B}[31m↻ "))
    }

    @Test(.requires(.script)) func colourOnATerminal() throws {
        let terminal = try Self.runOnTerminal(["scenario", "lost-syn"])
        #expect(terminal.contains("\u{1B}[32mSYN\u{1B}[0m"), "colour on a terminal")
        let noColor = try Self.runOnTerminal(["scenario", "lost-syn"], environment: ["NO_COLOR": "1"])
        #expect(noColor.contains("SYN,ACK") && !noColor.contains("\u{1B}["), "NO_COLOR")
        let never = try Self.runOnTerminal(["scenario", "lost-syn", "--color", "never", "--condense", "always"])
        #expect(never.contains("SYN,ACK") && !never.contains("\u{1B}["))
    }

    @Test func simulateDrawsHTMLAndNoProgressIntoAPipe() throws {
        let tool = try TCPKitTool.require()
        // --format html: the page, with the plots of the transfer.
        let html = try TCPKitTool.run(["simulate", "--bytes", "100K", "--loss", "0.02", "--seed", "3", "--format", "html"])
        #expect(html.status == 0)
        #expect(html.output.hasPrefix("<!DOCTYPE html>") && html.output.contains("<title>tcpkit simulate · seed 3</title>"))
        #expect(regexMatches(#"<path class="plot cwnd""#, in: html.output).count == 2)
        #expect(html.output.contains("bytes, intact, SHA-256") && html.output.contains("<li>PASS</li>"), "the summary under the drawings: \(html.output.suffix(900))")

        // Standard error into a pipe: no progress bar, nothing at all.
        let p = Process()
        p.executableURL = tool
        p.arguments = ["simulate", "--bytes", "2M"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(errors.isEmpty, "\(errors)")
        // On a terminal: the bar, redrawn in place, then erased.
    }

    @Test(.requires(.script)) func simulateShowsProgressOnATerminal() throws {
        let terminal = try Self.runOnTerminal(["simulate", "--bytes", "2M"])
        let bars = terminal.components(separatedBy: "\r\u{1B}[2K").dropFirst().filter { $0.hasPrefix("[") }
        #expect(!bars.isEmpty, "a progress bar: \(terminal.prefix(300))")
        // The seed and the replay command are on the screen before the run starts, that is
        // before its first progress bar (issue 5: the seed "is printed at the start").
        let seedLine = terminal.range(of: "tcpkit simulate · seed 1\r\nreplay: tcpkit simulate --seed 1 --bytes 2M --delay 25ms\r\n")
        let firstBar = terminal.range(of: "\r\u{1B}[2K[")
        #expect(seedLine != nil && firstBar != nil && seedLine!.lowerBound < firstBar!.lowerBound, "\(terminal.prefix(300))")
        #expect(bars.allSatisfy { $0.contains(" of 2.00 MB  ") && $0.contains("bit/s") && $0.contains("t=") }, "\(bars.prefix(2))")
        #expect(terminal.contains("intact"), "the summary follows")
    }

    @Test func formatsAndPcap() throws {
        _ = try TCPKitTool.require()
        let mermaid = try TCPKitTool.run(["scenario", "lost-syn", "--format", "mermaid"])
        #expect(mermaid.status == 0)
        #expect(mermaid.output.hasPrefix("sequenceDiagram\n"))
        #expect(mermaid.output.contains("    client-xserver: "))

        let svg = try TCPKitTool.run(["scenario", "classic", "--format", "svg"])
        #expect(svg.status == 0)
        #expect(svg.output.hasPrefix("<?xml") && svg.output.hasSuffix("</svg>\n"))

        let html = try TCPKitTool.run(["scenario", "lost-syn-ack", "--format", "html"])
        #expect(html.status == 0)
        #expect(html.output.hasPrefix("<!DOCTYPE html>") && html.output.hasSuffix("</html>\n"))
        #expect(html.output.contains("<title>tcpkit scenario lost-syn-ack · seed 1</title>"))
        #expect(html.output.contains(#"<line class="segment retransmission""#), "the SYN-ACK sent again")
        let zh = try TCPKitTool.run(["scenario", "classic", "--format", "html", "--lang", "zh"])
        #expect(zh.output.contains(#"<html lang="zh-Hans">"#) && zh.output.contains("<h2>状态</h2>") && zh.output.contains("三次握手"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let text = try TCPKitTool.run(["scenario", "classic", "--ipv6", "--pcap", file.path])
        #expect(text.status == 0)
        #expect(text.output.contains("SYN,ACK"), "the picture is still printed")
        let bytes = [UInt8](try Data(contentsOf: file))
        #expect(bytes.count > 24)
        #expect(Array(bytes.prefix(4)) == [0x4D, 0x3C, 0xB2, 0xA1])
        // The first record: time 0, an IPv6 packet that TCPPacket parses as the client's SYN.
        #expect(Array(bytes[24..<32]) == [UInt8](repeating: 0, count: 8))
        let length = Int(bytes[32]) | Int(bytes[33]) << 8
        let syn = try Array(bytes[40..<(40 + length)]).withUnsafeBytes { b in try TCPPacket.parse(b) }.header
        #expect(syn.flags == .syn)
    }
}
