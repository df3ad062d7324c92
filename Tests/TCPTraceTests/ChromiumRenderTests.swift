import Foundation
import Testing
import TCPCore
import TCPSim
import TCPTrace
import TestSupport

/// `--format html` in a real browser: headless Chromium (Debian's `chromium`, installed by
/// `.ci/run`) loads the page from a file, runs its script, and draws it to a PNG; the test reads
/// the PNG back and the DOM after the script ran.
@Suite(.serialized) struct ChromiumRenderTests {
    /// Runs Chromium headless on `page` with `arguments`, at most 120 s; returns its exit status
    /// and standard output.
    static func chromium(_ path: String, _ arguments: [String], page: URL) throws -> (status: Int32, output: String) {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        // As root (CI) Chromium needs --no-sandbox; no GPU here; a fresh profile per run.
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                       "--user-data-dir=\(profile.path)"] + arguments + [page.absoluteString]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning, Date() < deadline { usleep(50_000) }
        if p.isRunning {
            p.terminate()
            Issue.record("chromium did not finish within 120 s")
        }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func page(_ name: String) throws -> (run: ScenarioRun, url: URL) {
        let run = Scenario.named(name)!.run(ScenarioOptions())
        let html = HTMLRenderer(title: "tcpkit scenario \(name)", paragraphs: run.explanation).render(run.timeline)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-\(name)-\(UUID().uuidString).html")
        try Data(html.utf8).write(to: url)
        return (run, url)
    }

    static func rgb(_ hex: String) -> UInt32 { UInt32(hex.dropFirst(), radix: 16)! }

    @Test(.requires(.chromium)) func screenshotShowsBandsPlotsAndArrows() throws {
        let chromium = try ExternalTool.chromium.require()
        let (_, url) = try Self.page("classic")
        defer { try? FileManager.default.removeItem(at: url) }
        let png = url.deletingPathExtension().appendingPathExtension("png")
        defer { try? FileManager.default.removeItem(at: png) }
        let result = try Self.chromium(chromium, ["--screenshot=\(png.path)", "--window-size=1280,1500"], page: url)
        #expect(result.status == 0, "chromium exited \(result.status)")
        let bytes = try [UInt8](Data(contentsOf: png))
        #expect(bytes.count > 20_000, "a drawing, not an empty page: \(bytes.count) bytes")
        let image = try PNGImage(bytes)
        #expect(image.width == 1280 && image.height == 1500)
        let histogram = image.histogram
        let total = image.width * image.height
        let white = histogram[0xFFFFFF, default: 0]
        #expect(white < total * 97 / 100, "mostly blank: \(white) of \(total) pixels white")
        #expect(histogram.count > 100, "only \(histogram.count) colours")
        // The state bands, each in its colour, large areas of it: all the states of the classic
        // run are on screen at the top of the page.
        for state: TCPState in [.synSent, .listen, .synReceived, .established, .finWait1, .finWait2, .closeWait, .lastAck, .timeWait] {
            let n = histogram[Self.rgb(HTMLRenderer.stateColors[state]!), default: 0]
            #expect(n > 1000, "\(state.rawValue): \(n) pixels of its colour")
        }
        // The plot lines of both hosts' connections.
        for color in HTMLRenderer.seriesColors.prefix(2) {
            #expect(histogram[Self.rgb(color), default: 0] > 200, "series colour \(color)")
        }
        // The arrows' dark grey, in the ladder.
        #expect(histogram[0x333333, default: 0] > 500)
        // Keep the screenshot where a person can look at it, when asked to.
        if let keep = ProcessInfo.processInfo.environment["TCPKIT_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: png, to: URL(fileURLWithPath: keep))
        }
    }

    @Test(.requires(.chromium), arguments: ["classic", "lost-syn-ack", "refused"]) func domAfterScriptsHasArrowsAndStates(name: String) throws {
        let chromium = try ExternalTool.chromium.require()
        let (run, url) = try Self.page(name)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try Self.chromium(chromium, ["--dump-dom"], page: url)
        #expect(result.status == 0, "chromium exited \(result.status)")
        let dom = result.output
        // The script ran: it marked the body and wrote the summary from what it counted in the page.
        #expect(dom.contains(#"data-rendered="yes""#), "the page's script did not run")
        let sends = HTMLRendererTests.sends(run)
        let lost = sends.filter { if case .lost = $0.fate { true } else { false } }.count
        #expect(dom.contains("\(sends.count) segments (\(lost) lost)"), "summary: \(regexMatches(#"<p id="summary"[^>]*>[^<]*"#, in: dom).first ?? [])")
        #expect(dom.contains(#"data-segments="\#(sends.count)""#))
        #expect(regexMatches(#"<line class="segment"#, in: dom).count == sends.count)
        // Each host's states, in order, in the summary and as bands.
        for host in run.timeline.hosts {
            let states = HTMLRendererTests.states(run, host)
            #expect(dom.contains("\(host): " + states.joined(separator: " → ")), "\(host): \(states)")
            for s in states { #expect(dom.contains(#"data-state="\#(s)""#)) }
        }
    }

    @Test(.requires(.chromium)) func transferPlotsInTheBrowser() throws {
        let chromium = try ExternalTool.chromium.require()
        let t = TransferPlotTests.transfer().timeline
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-transfer-\(UUID().uuidString).html")
        var renderer = HTMLRenderer(title: "transfer")
        renderer.ladderLimit = 100
        try Data(renderer.render(t).utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try Self.chromium(chromium, ["--dump-dom"], page: url)
        #expect(result.status == 0)
        let series = t.sampleSeries.count
        let sends = t.entries.filter { if case .send = $0.kind { true } else { false } }.count
        let drawn = regexMatches(#"<line class="segment"#, in: result.output).count
        #expect(drawn < sends && result.output.contains("\(drawn) of \(sends) segments drawn"), "a cut ladder says so")
        #expect(result.output.contains("\(3 * series) plotted series"), "the script counted the plot lines")
        for metric in ["cwnd", "srtt", "inflight"] {
            #expect(regexMatches(#"<path class="plot \#(metric)""#, in: result.output).count == series)
        }
    }
}
