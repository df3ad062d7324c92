import Foundation
import Testing
import TCPCore
import TCPSim
import TestSupport

/// `tcpkit simulate` end to end (issue 5): the seed and the replay command before the run, sweeps
/// whose failing seeds replay, per-direction fault windows, and `--cc`.
@Suite struct SimulateCommandTests {
    /// Runs a printed replay command (`tcpkit simulate …`, shell-quoted) with the built tool.
    static func replay(_ command: String) throws -> (status: Int32, output: String, errors: String) {
        let tool = try TCPKitTool.require()
        #expect(command.hasPrefix("tcpkit "))
        return try TCPKitTool.run(["-c", "exec '\(tool.path)' " + command.dropFirst("tcpkit ".count)], executable: URL(fileURLWithPath: "/bin/sh"))
    }

    /// The JSON lines of a `--format jsonl` run.
    static func events(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    static func object(_ output: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output.prefix(300))")
    }

    static func t(_ e: [String: Any]) -> Double { e["t"] as? Double ?? Double(e["t"] as? Int ?? -1) }

    // MARK: The seed first

    @Test("the seed and the replay command come before the run: above the summary in text and ladder; on standard error in json, whose standard output stays one JSON object")
    func seedAndReplayFirst() throws {
        _ = try TCPKitTool.require()
        let args = ["simulate", "--bytes", "20K", "--loss", "5%", "--seed", "11"]
        let replay = "tcpkit simulate --seed 11 --bytes 20K --delay 25ms --loss 5%"
        for format in ["text", "ladder"] {
            let r = try TCPKitTool.run(args + ["--format", format])
            #expect(r.status == 0)
            #expect(r.output.split(separator: "\n").prefix(2) == ["tcpkit simulate · seed 11", "replay: \(replay)"], "\(format): \(r.output.prefix(200))")
            #expect(r.output.components(separatedBy: "tcpkit simulate · seed 11").count == 2, "the heading once")
            #expect(r.errors == "")
        }
        let json = try TCPKitTool.run(args + ["--format", "json"])
        #expect(json.status == 0)
        #expect(json.errors == "tcpkit simulate · seed 11\nreplay: \(replay) --format json\n")
        let j = try Self.object(json.output)
        #expect(j["seed"] as? Int == 11 && j["replay"] as? String == "\(replay) --format json")
        // (That the lines come before the run itself: PictureCommandTests sees them on a terminal
        // ahead of the first progress bar.)
    }

    // MARK: Sweeps

    /// Every seed of a random sweep fails here (no FIN ever gets through), each with its own
    /// link and faults: each failing seed is printed with its replay command, and that command,
    /// run as printed, gives the same run — the same JSON object, statistics and all.
    @Test func randomSweepFailingSeedsReplay() throws {
        _ = try TCPKitTool.require()
        let sweep = ["simulate", "--seeds", "3..4", "--faults", "random", "--script", "drop fin always"]
        let text = try TCPKitTool.run(sweep)
        #expect(text.status == 1)
        let lines = text.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "tcpkit simulate · seeds 3..4 · faults random")
        #expect(lines.suffix(2) == ["0 passed, 2 failed", "failing seeds: 3 4"])
        for seed in [3, 4] {
            let failed = try #require(lines.firstIndex { $0.hasPrefix("seed \(seed) FAILED: ") }, "\(lines)")
            let replay = "tcpkit simulate --seed \(seed) --faults random --script 'drop fin always'"
            #expect(lines[failed + 1] == "  replay: \(replay)")
            // The printed command replays the failure: the same failures, then its replay line.
            let again = try Self.replay(replay)
            #expect(again.status == 1)
            let failures = lines[failed].dropFirst("seed \(seed) FAILED: ".count).components(separatedBy: "; ")
            #expect(again.output.hasSuffix(failures.map { "FAIL: \($0)\n" }.joined() + "Replay: \(replay)\n"), "\(again.output)")
        }
        // As JSON: one object per seed; each one's replay command prints the same object.
        let json = try TCPKitTool.run(sweep + ["--format", "json"])
        #expect(json.status == 1)
        let objects = json.output.split(separator: "\n").map(String.init)
        #expect(objects.count == 2)
        var seen: [String] = []
        for line in objects {
            let j = try Self.object(line)
            let replay = try #require(j["replay"] as? String)
            #expect(j["passed"] as? Bool == false)
            let again = try Self.replay(replay)
            #expect(again.status == 1)
            #expect(again.output == line + "\n", "\(replay)")
            seen.append(line)
        }
        #expect(seen[0] != seen[1], "each seed its own run")
    }

    // MARK: Fault windows, per direction

    @Test("a partition from 1 s to 3 s: everything sent in that window, either way, disappears, nothing outside it; then the transfer completes intact")
    func partitionWindow() throws {
        _ = try TCPKitTool.require()
        // 300 kB at 1 Mbit/s take 2.4 s: the client is sending, and the server ACKing, when the
        // partition starts.
        let args = ["simulate", "--bytes", "300K", "--delay", "10ms", "--bandwidth", "1M", "--partition", "1s..3s", "--seed", "2"]
        let r = try TCPKitTool.run(args + ["--format", "jsonl"])
        #expect(r.status == 0, "\(r.errors)")
        let events = try Self.events(r.output)
        let inWindow = { (e: [String: Any]) in (1.0..<3.0).contains(Self.t(e)) }
        let sent = events.filter { $0["event"] as? String == "send" }
        let lost = events.filter { $0["event"] as? String == "lost" }
        let blackholed = Set(lost.filter { $0["reason"] as? String == "blackhole" }.compactMap { $0["packet"] as? Int })
        let sentInWindow = sent.filter(inWindow)
        for host in ["client", "server"] {
            #expect(sentInWindow.contains { $0["host"] as? String == host }, "\(host) sent something during the partition")
        }
        for e in sentInWindow { #expect(blackholed.contains(e["packet"] as? Int ?? -1), "sent in the window but not blackholed: \(e)") }
        for e in lost where e["reason"] as? String == "blackhole" { #expect(inWindow(e), "blackholed outside the window: \(e)") }
        #expect(lost.count == blackholed.count, "no other losses")
        // Nothing sent in the window is received.
        let received = Set(events.filter { $0["event"] as? String == "recv" }.compactMap { $0["packet"] as? Int })
        #expect(received.isDisjoint(with: blackholed))
        // The summary: intact, CLOSED, the blackholed packets counted each way.
        let j = try Self.object(try TCPKitTool.run(args + ["--format", "json"]).output)
        #expect(j["intact"] as? Bool == true && j["passed"] as? Bool == true)
        let link = try #require(j["link"] as? [String: [String: Int]])
        #expect((link["clientToServer"]?["blackholed"] ?? 0) > 0 && (link["serverToClient"]?["blackholed"] ?? 0) > 0)
        #expect((link["clientToServer"]?["blackholed"] ?? 0) + (link["serverToClient"]?["blackholed"] ?? 0) == blackholed.count)
    }

    @Test("a blackhole and loss server→client only (s2c@): the client→server direction loses nothing")
    func serverToClientOnly() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["simulate", "--bytes", "100K", "--both", "--delay", "10ms", "--bandwidth", "2M",
                              "--blackhole", "s2c@0.2s..0.5s", "--loss", "s2c@10%", "--seed", "3", "--format", "json"])
        #expect(r.status == 0, "\(r.errors)")
        let j = try Self.object(r.output)
        #expect(j["intact"] as? Bool == true)
        let link = try #require(j["link"] as? [String: [String: Int]])
        let up = try #require(link["clientToServer"]), down = try #require(link["serverToClient"])
        #expect(up["lost"] == 0 && up["blackholed"] == 0, "\(up)")
        #expect((down["lost"] ?? 0) > 0 && (down["blackholed"] ?? 0) > 0, "\(down)")
        // The same options the other way round lose only client→server.
        let c2s = try Self.object(try TCPKitTool.run(["simulate", "--bytes", "100K", "--both", "--delay", "10ms", "--bandwidth", "2M",
                                                "--blackhole", "c2s@0.2s..0.5s", "--loss", "c2s@10%", "--seed", "3", "--format", "json"]).output)
        let link2 = try #require(c2s["link"] as? [String: [String: Int]])
        #expect(link2["serverToClient"]?["lost"] == 0 && link2["serverToClient"]?["blackholed"] == 0)
        #expect((link2["clientToServer"]?["lost"] ?? 0) > 0 && (link2["clientToServer"]?["blackholed"] ?? 0) > 0)
    }

    @Test("random faults in a window that starts late (--faults-during 0.2s..0.6s, 100% loss): the handshake is untouched, everything sent in the window is lost, nothing else")
    func lateFaultWindow() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["simulate", "--bytes", "100K", "--delay", "10ms", "--bandwidth", "1M", "--loss", "100%",
                              "--faults-during", "0.2s..0.6s", "--seed", "4", "--format", "jsonl"])
        #expect(r.status == 0, "\(r.errors)")
        let events = try Self.events(r.output)
        let sent = events.filter { $0["event"] as? String == "send" }
        let lost = Set(events.filter { $0["event"] as? String == "lost" }.compactMap { $0["packet"] as? Int })
        // The handshake: SYN, SYN,ACK, ACK, all delivered, both ESTABLISHED one delay apart.
        let flags = sent.prefix(3).map { ($0["flags"] as? [String]) ?? [] }
        #expect(flags.count == 3 && flags[0] == ["SYN"] && flags[1] == ["SYN", "ACK"] && flags[2].contains("ACK") && !flags[2].contains("SYN"), "\(flags)")
        for e in sent.prefix(3) { #expect(!lost.contains(e["packet"] as? Int ?? -1) && e["arrives"] != nil, "\(e)") }
        let established = events.filter { $0["event"] as? String == "state" && $0["to"] as? String == "ESTABLISHED" }
        // At 1 Mbit/s the 60-byte SYN and SYN,ACK take 0.48 ms each on the wire, the ACK, which
        // carries the first 1460 bytes of data (1500 bytes), 12 ms.
        let clientUp = 2 * (0.010 + 60 * 8 / 1e6), serverUp = clientUp + 0.010 + 1500 * 8 / 1e6
        #expect(established.map { $0["host"] as? String } == ["client", "server"])
        #expect(established.count == 2 && abs(Self.t(established[0]) - clientUp) < 1e-9 && abs(Self.t(established[1]) - serverUp) < 1e-9, "\(established)")
        // Exactly the packets sent in [0.2 s, 0.6 s) are lost.
        let inWindow = Set(sent.filter { (0.2..<0.6).contains(Self.t($0)) }.compactMap { $0["packet"] as? Int })
        #expect(!inWindow.isEmpty)
        #expect(lost == inWindow)
    }

    @Test("--heal-at ends blackholes too: a blackhole both ways that never ends fails the run; healed at 5 s, the transfer completes and nothing is blackholed after 5 s")
    func healAtEndsBlackholes() throws {
        _ = try TCPKitTool.require()
        let args = ["simulate", "--bytes", "20K", "--delay", "10ms", "--blackhole", "both@0.05s..", "--liveness", "300", "--seed", "6"]
        let forever = try TCPKitTool.run(args + ["--format", "json"])
        #expect(forever.status == 1)
        let healed = try TCPKitTool.run(args + ["--heal-at", "5", "--format", "jsonl"])
        #expect(healed.status == 0, "\(healed.errors)")
        let holes = try Self.events(healed.output).filter { $0["event"] as? String == "lost" }
        #expect(!holes.isEmpty && holes.allSatisfy { $0["reason"] as? String == "blackhole" && (0.05..<5).contains(Self.t($0)) })
        #expect(healed.errors.contains("replay: tcpkit simulate --seed 6 --bytes 20K --delay 10ms --blackhole both@0.05s.. --heal-at 5s --liveness 300s\n"), "times with their unit in the replay command")
    }

    @Test("fault options that cannot be read are refused with the reason")
    func badFaultOptions() throws {
        _ = try TCPKitTool.require()
        for (args, message) in [(["--blackhole", "up@1s..2s"], "--blackhole: 'up' is not a direction (c2s, s2c or both)"),
                                (["--partition", "3s..1s"], "--partition: the window '3s..1s' ends before it starts"),
                                (["--faults-during", "soon"], "--faults-during wants START..END"),
                                (["--loss", "s2c@2"], "--loss wants a probability"),
                                // each random seed picks its own link and faults: given ones would be ignored
                                (["--faults", "random", "--seeds", "1..2", "--loss", "5%", "--delay", "5ms"],
                                 "--faults random picks the transfer, link and faults from each seed; drop --delay, --loss")] {
            let r = try TCPKitTool.run(["simulate"] + args)
            #expect(r.status != 0 && r.errors.contains(message), "\(args): \(r.errors)")
        }
    }

    // MARK: --cc

    /// The same seed and loss with each algorithm: the JSON names it, both runs are intact, and
    /// the loss reaction differs (RFC 5681 §3.1 halves the window, RFC 9438 §4.6 keeps 0.7 of it
    /// and grows it back along the cubic), so the runs take different times and sends. Without
    /// loss both are RFC 5681 slow start from the same initial window and nothing differs but the
    /// name.
    @Test func congestionControlOption() throws {
        _ = try TCPKitTool.require()
        var raw: [String: String] = [:]
        func run(_ cc: String, loss: String) throws -> [String: Any] {
            let r = try TCPKitTool.run(["simulate", "--bytes", "300K", "--delay", "10ms", "--bandwidth", "10M",
                                  "--loss", loss, "--seed", "8", "--cc", cc, "--format", "json"])
            #expect(r.status == 0, "\(cc): \(r.errors)")
            let j = try Self.object(r.output)
            #expect(j["cc"] as? String == cc && j["intact"] as? Bool == true)
            // The object without its "cc" and "replay" fields.
            raw[cc + loss] = r.output.replacing(/"cc":"[a-z]+",/, with: "").replacing(/"replay":"[^"]*"/, with: "")
            return j
        }
        let reno = try run("newreno", loss: "2%"), cubic = try run("cubic", loss: "2%")
        #expect((reno["replay"] as? String)?.contains(" --cc newreno") == true)
        #expect(reno["simulatedSeconds"] as? Double != cubic["simulatedSeconds"] as? Double)
        let sent = { (j: [String: Any]) in ((j["final"] as? [String: [String: Any]])?["client"]?["segmentsSent"] as? Int) }
        #expect(sent(reno) != sent(cubic))
        // The control: no loss (and no queue to overflow), the same run but for the name.
        #expect(try run("newreno", loss: "0")["retransmittedSegments"] as? Int == 0)
        _ = try run("cubic", loss: "0")
        #expect(raw["newreno0"] != nil && raw["newreno0"] == raw["cubic0"])
        #expect(raw["newreno2%"] != raw["cubic2%"])
        let text = try TCPKitTool.run(["simulate", "--bytes", "10K", "--cc", "newreno"])
        #expect(text.status == 0 && text.output.contains("replay: tcpkit simulate --seed 1 --cc newreno "))
        let bad = try TCPKitTool.run(["simulate", "--cc", "vegas"])
        #expect(bad.status != 0 && bad.output.isEmpty)
        #expect(bad.errors.contains("vegas") && bad.errors.contains("--cc"), "\(bad.errors)")
    }

    // MARK: Formats, files, scripted faults and sweeps

    @Test func simulateCommandJSON() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["simulate", "--bytes", "200KiB", "--both", "--delay", "10ms", "--bandwidth", "10M",
                                             "--queue", "50", "--loss", "2%", "--duplicate", "0.01", "--reorder", "0.01",
                                             "--corrupt", "0.01", "--seed", "9", "--format", "json"])
        #expect(r.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any]
        let j = try #require(object)
        #expect(j["seed"] as? Int == 9)
        #expect(j["intact"] as? Bool == true)
        #expect((j["bytes"] as? [String: Int]) == ["clientToServer": 204_800, "serverToClient": 204_800])
        #expect((j["goodputBitsPerSecond"] as? Double ?? 0) > 0)
        #expect((j["retransmittedSegments"] as? Int ?? 0) > 0)
        #expect((j["simulatedSeconds"] as? Double ?? 0) > 0)
        let finals = j["final"] as? [String: [String: Any]]
        #expect(finals?["client"]?["state"] as? String == "CLOSED")
        #expect(finals?["server"]?["state"] as? String == "CLOSED")
        // Nothing leaked: only the server's listener is left.
        let nothing = ["handles": 0, "armedTimers": 0, "listeners": 0, "acceptQueued": 0, "queuedOutput": 0, "pendingEvents": 0]
        #expect(finals?["client"]?["left"] as? [String: Int] == nothing)
        #expect(finals?["server"]?["left"] as? [String: Int] == nothing.merging(["listeners": 1]) { $1 })
    }

    @Test func simulateCommandFailsWithReplay() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["simulate", "--bytes", "1000", "--partition", "0-100000", "--liveness", "1000", "--seed", "5"])
        #expect(r.status == 1)
        // The seed and the replay command first (before the run), the failure and the replay
        // command again at the end.
        #expect(r.output.hasPrefix("tcpkit simulate · seed 5\nreplay: tcpkit simulate --seed 5 --bytes 1000 --delay 25ms --partition 0-100000 --liveness 1000s\n"))
        #expect(r.output.contains("FAIL: client: the transfer failed: connection timed out"))
        #expect(r.output.contains("Replay: tcpkit simulate --seed 5 --bytes 1000 --delay 25ms --partition 0-100000 --liveness 1000s\n"))
    }

    /// The pcap of a lossy `tcpkit simulate` run, decoded by tshark: every record a TCP segment
    /// with a good checksum, none malformed.
    @Test(.requires(.tshark)) func simulatePcapDecodesInTshark() throws {
        let tshark = try ExternalTool.tshark.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pcap = dir.appendingPathComponent("run.pcap").path
        let r = try TCPKitTool.run(["simulate", "--bytes", "20K", "--loss", "20%", "--seed", "4", "--pcap", pcap])
        #expect(r.status == 0)
        let records = try PcapFile([UInt8](Data(contentsOf: URL(fileURLWithPath: pcap)))).records
        #expect(records.count > 20)
        let rows = try Tshark.run(tshark, ["-o", "tcp.check_checksum:TRUE", "-r", pcap, "-T", "fields", "-e", "tcp.checksum.status", "-e", "_ws.malformed"])
            .split(separator: "\n")
        #expect(rows.count == records.count && rows.allSatisfy { $0 == "1\t" }, "\(rows.prefix(3))")
    }

    /// `--format` and `--output` on `tcpkit simulate` as on `tcpkit scenario`: the drawing goes to
    /// the file, the seed to standard error; `--pcap` writes the packets, which tshark decodes.
    @Test func simulateCommandWritesFormatsToFilesAndPcap() throws {
        _ = try TCPKitTool.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let mmd = dir.appendingPathComponent("run.mmd").path, pcap = dir.appendingPathComponent("run.pcap").path
        let r = try TCPKitTool.run(["simulate", "--bytes", "20K", "--loss", "20%", "--seed", "4", "--format", "mermaid", "--output", mmd, "--pcap", pcap])
        #expect(r.status == 0)
        #expect(r.output == "", "everything went to the file")
        #expect(r.errors == "tcpkit simulate · seed 4\nreplay: tcpkit simulate --seed 4 --bytes 20K --delay 25ms --loss 20%\n", "the seed first, on standard error")
        let diagram = try String(contentsOfFile: mmd, encoding: .utf8)
        #expect(diagram.hasPrefix("sequenceDiagram\n"))
        let arrows = diagram.split(separator: "\n").filter { $0.contains("->>") || $0.contains("-x") }
        #expect(arrows.contains { $0.contains("-x") }, "20% loss: some segment is lost")
        // The same run as a pcap: one record per arrow.
        let records = try PcapFile([UInt8](Data(contentsOf: URL(fileURLWithPath: pcap)))).records
        #expect(records.count == arrows.count)
        // tcpkit scenario the same way: --output takes the drawing, the heading goes to standard error.
        let html = dir.appendingPathComponent("lost-syn.html").path
        let scenario = try TCPKitTool.run(["scenario", "lost-syn", "--seed", "3", "--format", "html", "--output", html])
        #expect(scenario.status == 0 && scenario.output == "")
        #expect(scenario.errors == "tcpkit scenario lost-syn · seed 3\n")
        #expect(try String(contentsOfFile: html, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        let text = dir.appendingPathComponent("lost-syn.txt").path
        let plain = try TCPKitTool.run(["scenario", "lost-syn", "--output", text])
        #expect(plain.output == "" && plain.errors == "tcpkit scenario lost-syn · seed 1\n")
        let written = try String(contentsOfFile: text, encoding: .utf8)
        #expect(written.hasPrefix("tcpkit scenario lost-syn · seed 1 ·") && !written.contains("\u{1B}["), "no colour into a file")
        let svg = try TCPKitTool.run(["simulate", "--bytes", "5K", "--seed", "4", "--format", "svg"])
        #expect(svg.status == 0 && svg.output.hasPrefix("<?xml") && svg.output.hasSuffix("</svg>\n"))
        #expect(svg.errors == "tcpkit simulate · seed 4\nreplay: tcpkit simulate --seed 4 --bytes 5K --delay 25ms\n")
        let jsonl = try TCPKitTool.run(["simulate", "--bytes", "5K", "--seed", "4", "--format", "jsonl"])
        #expect(jsonl.status == 0 && jsonl.output.split(separator: "\n").allSatisfy { $0.hasPrefix("{\"t\":") })
        // A failing run in a machine-readable format: the JSON says why, standard error too,
        // with the command that replays it.
        let failing = try TCPKitTool.run(["simulate", "--bytes", "1000", "--partition", "0-100000", "--liveness", "1000", "--seed", "5", "--format", "json"])
        #expect(failing.status == 1)
        let replay = "tcpkit simulate --seed 5 --bytes 1000 --delay 25ms --partition 0-100000 --liveness 1000s --format json"
        #expect(failing.errors == "tcpkit simulate · seed 5\nreplay: \(replay)\nFAIL: client: the transfer failed: connection timed out\nReplay: \(replay)\n")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(failing.output.utf8)) as? [String: Any])
        #expect(j["replay"] as? String == replay && j["passed"] as? Bool == false)
    }

    /// `--script`: the scripted mode from the command line, and in the replay command.
    @Test func simulateCommandScript() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["simulate", "--bytes", "1000", "--delay", "10ms", "--script", "delay syn-ack 3s", "--format", "jsonl"])
        #expect(r.status == 0)
        let synACK = try #require(r.output.split(separator: "\n").first { $0.contains(#""event":"send""#) && $0.contains(#""flags":["SYN","ACK"]"#) })
        #expect(synACK.contains(#""t":0.01,"#) && synACK.contains(#""arrives":3.02"#), "\(synACK)")
        // Nothing gets through: connect() times out; the replay command carries the script.
        let failing = try TCPKitTool.run(["simulate", "--bytes", "1000", "--script", "drop any always", "--liveness", "1000"])
        #expect(failing.status == 1)
        #expect(failing.output.contains("FAIL: client: the transfer failed: connection timed out"))
        #expect(failing.output.contains("Replay: tcpkit simulate --seed 1 --bytes 1000 --delay 25ms --liveness 1000s --script 'drop any always'\n"))
        let bad = try TCPKitTool.run(["simulate", "--script", "drop syn soon"])
        #expect(bad.status != 0 && bad.errors.contains("--script: cannot read the script rule 'drop syn soon': unexpected 'soon'"), "\(bad.errors)")
    }

    /// A sweep with failing seeds: each one with its replay command, the list at the end, exit 1.
    @Test func sweepCommandReportsFailingSeeds() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["simulate", "--seeds", "3..4", "--bytes", "1000", "--partition", "0-100000", "--liveness", "1000"])
        #expect(r.status == 1)
        let common = "--bytes 1000 --delay 25ms --partition 0-100000 --liveness 1000s"
        #expect(r.output == """
            tcpkit simulate · seeds 3..4 · faults given
            seed 3 FAILED: client: the transfer failed: connection timed out
              replay: tcpkit simulate --seed 3 \(common)
            seed 4 FAILED: client: the transfer failed: connection timed out
              replay: tcpkit simulate --seed 4 \(common)
            0 passed, 2 failed
            failing seeds: 3 4

            """)
        #expect(r.errors == "")
        // The replay command replays it: the same failure.
        let again = try TCPKitTool.run(["simulate", "--seed", "4"] + common.split(separator: " ").map(String.init))
        #expect(again.status == 1 && again.output.contains("FAIL: client: the transfer failed: connection timed out"))
    }

    /// (That a random sweep passes, seed by seed, is `SimulationArgumentsTests.randomSweepPasses`.)

    // MARK: Units

    @Test("one unit convention: a bare number is seconds in every time option (--delay 1 is one second, no longer a millisecond), and --help says so")
    func bareNumbersAreSeconds() throws {
        _ = try TCPKitTool.require()
        let r = try TCPKitTool.run(["simulate", "--bytes", "1000", "--delay", "1", "--format", "json"])
        #expect(r.status == 0)
        #expect(r.errors.contains("replay: tcpkit simulate --seed 1 --bytes 1000 --delay 1s --format json\n"), "\(r.errors)")
        // Three one-way delays of 1 s before the first data can arrive.
        #expect(try Self.object(r.output)["simulatedSeconds"] as? Double ?? 0 > 3)
        let help = try TCPKitTool.run(["simulate", "--help"])
        for option in ["--delay", "--jitter", "--heal-at", "--liveness"] {
            // The option's help, its wrapped lines joined.
            let line = help.output.split(separator: "\n").drop { !$0.contains(option + " <time>") }.prefix(3)
                .joined(separator: " ").replacing(/\s+/, with: " ")
            #expect(line.contains("a bare number is seconds"), "\(option): \(line)")
        }
        let bad = try TCPKitTool.run(["simulate", "--heal-at", "later"])
        #expect(bad.status != 0 && bad.errors.contains("Error: --heal-at: cannot read 'later' as a time (e.g. 1.5s, 250ms, or 2 for 2 s)"), "\(bad.errors)")
        let duration = try TCPKitTool.run(["tun", "serve", "--duration", "soon"])
        #expect(duration.status != 0 && duration.errors.contains("Error: --duration: cannot read 'soon' as a time (e.g. 25ms, 0.1s)"), "\(duration.errors)")
        let zero = try TCPKitTool.run(["tun", "serve", "--duration", "0ms"])
        #expect(zero.status != 0 && zero.errors.contains("Error: --duration must be positive"), "\(zero.errors)")
    }
}
