import ArgumentParser
import TCPCore
import TCPSim
import TCPTrace
#if canImport(Glibc)
import Glibc
#endif

/// `tcpkit simulate`: a bulk transfer between two hosts over a simulated link with the given delay,
/// bandwidth, queue and faults, checked byte for byte; or, with `--seeds`, a sweep of many runs.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Move data between two stacks over a simulated link with faults and check every byte.",
        discussion: """
        One seed decides every random choice of a run; it is printed first, and a failing run prints \
        the command that replays it. With --seeds A..B it runs every seed in the range (with \
        --faults random, each seed also picks its own link and faults), prints the failing seeds \
        with their replay commands and exits 1 if any failed.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, jsonl, ladder, svg, mermaid, html }
    enum Faults: String, ExpressibleByArgument, CaseIterable { case given, random }

    @Option(help: ArgumentHelp("Bytes to send each way (suffixes K, M, G = 1000s; KiB, MiB, GiB = 1024s).", valueName: "n"))
    var bytes: String = "1MiB"

    @Flag(help: "Send in both directions at once.")
    var both = false

    @Option(help: ArgumentHelp("One-way delay (e.g. 25ms, 0.1s; a bare number is milliseconds).", valueName: "time"))
    var delay: String = "25ms"

    @Option(help: ArgumentHelp("Extra random delay per packet, uniform in 0...jitter.", valueName: "time"))
    var jitter: String = "0"

    @Option(help: ArgumentHelp("Bottleneck rate in bit/s (e.g. 100M, 1.5G, 64k); unlimited if not given.", valueName: "rate"))
    var bandwidth: String?

    @Option(help: ArgumentHelp("Drop-tail queue in front of the bottleneck: packets (100, 100p) or bytes (64KiB, 150000B).", valueName: "size"))
    var queue: String?

    @Option(help: ArgumentHelp("Probability of losing a packet (0.01 or 1%).", valueName: "p"))
    var loss: String = "0"

    @Option(help: ArgumentHelp("Probability of delivering a packet twice.", valueName: "p"))
    var duplicate: String = "0"

    @Option(help: ArgumentHelp("Probability of holding a packet back one delay so later ones overtake it.", valueName: "p"))
    var reorder: String = "0"

    @Option(help: ArgumentHelp("Probability of flipping one bit of a packet (the checksum must catch it).", valueName: "p"))
    var corrupt: String = "0"

    @Option(help: ArgumentHelp("A blackhole client→server from START to END seconds (repeatable).", valueName: "start-end"))
    var blackhole: [String] = []

    @Option(help: ArgumentHelp("A partition (both directions) from START to END seconds (repeatable).", valueName: "start-end"))
    var partition: [String] = []

    @Option(name: .customLong("heal-at"), help: ArgumentHelp("Random faults stop at this time (seconds): the liveness phase begins.", valueName: "seconds"))
    var healAt: Double?

    @Option(help: ArgumentHelp("Everything must be over this long after healing (or the start), TIME-WAIT included.", valueName: "seconds"))
    var liveness: Double = 600

    @Option(help: ArgumentHelp("Send and receive buffer of each connection (bytes; suffixes as for --bytes).", valueName: "n"))
    var buffer: String?

    @Option(help: "Congestion control of both stacks: newreno or cubic (the default).")
    var cc: CongestionControlAlgorithm = .cubic

    @Option(help: "Seed of the run.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Run every seed in A..B (a sweep).", valueName: "A..B"))
    var seeds: String?

    @Option(name: .customLong("script"), help: ArgumentHelp("A scripted fault (repeatable, tried in order before the link's own faults): \(FaultScript.grammar).", valueName: "rule"))
    var script: [String] = []

    @Option(help: "given: the link and faults from the options; random: each seed chooses its own.")
    var faults: Faults = .given

    @Flag(help: "Use IPv6 addresses.")
    var ipv6 = false

    @Option(help: "Output: text (a summary), json (one object per run), jsonl (every event of the run, one JSON object a line), ladder (the ladder diagram and the summary; for short runs), svg (the ladder as a drawing), mermaid (a sequenceDiagram) or html (one self-contained page: state timeline, cwnd/RTT/in-flight plots, the ladder and the summary).")
    var format: Format = .text

    @Option(help: "Write the output to this file instead of standard output (the seed, and a failure's replay command, then go to standard error).")
    var output: String?

    @Option(help: ArgumentHelp("Also write every packet put on the simulated wire, at its simulated send time, to this pcap file (nanosecond timestamps, raw IP; lost packets included).", valueName: "file"))
    var pcap: String?

    func validate() throws {
        _ = try options(seed: seed)
        if let seeds {
            _ = try Self.parseRange(seeds)
            guard format == .text || format == .json else { throw ValidationError("a sweep (--seeds) prints text or json, not \(format.rawValue)") }
            guard pcap == nil else { throw ValidationError("--pcap records one run, not a sweep (--seeds)") }
        }
    }

    /// The output is the plain-text summary on standard output, where the seed line comes first
    /// anyway; otherwise (a machine-readable format, or a file) the seed line and a failure's
    /// replay command also go to standard error.
    var summaryOnStandardOutput: Bool { (format == .text || format == .ladder) && output == nil }

    /// The run's options for `seed`.
    func options(seed: UInt64) throws -> SimulationOptions {
        // The scripted faults: a fresh script (rules count their uses) for every run.
        let rule: (@Sendable (WirePacket) -> Fault)?
        do {
            rule = script.isEmpty ? nil : try FaultScript.parse(script).rule
        } catch {
            throw ValidationError("--script: \(error)")
        }
        if faults == .random {
            var o = SimulationOptions.random(seed: seed)
            o.configuration.congestionControl = cc
            o.faultRule = rule
            return o
        }
        var o = SimulationOptions()
        o.configuration.congestionControl = cc
        o.seed = seed
        o.bytes = try Self.parseSize(bytes, "--bytes")
        o.both = both
        o.ipv6 = ipv6
        var link = LinkModel(delay: try Self.parseTime(delay, "--delay"))
        link.jitter = try Self.parseTime(jitter, "--jitter")
        link.bandwidthBitsPerSecond = try bandwidth.map { try Self.parseRate($0) }
        link.queue = try queue.map { try Self.parseQueue($0) }
        link.loss = try Self.parseProbability(loss, "--loss")
        link.duplicate = try Self.parseProbability(duplicate, "--duplicate")
        link.reorder = try Self.parseProbability(reorder, "--reorder")
        link.corrupt = try Self.parseProbability(corrupt, "--corrupt")
        var forward = link, reverse = link
        for b in blackhole { forward.outages.append(try Self.parseOutage(b)) }
        for p in partition {
            let o = try Self.parseOutage(p)
            forward.outages.append(o)
            reverse.outages.append(o)
        }
        o.forward = forward
        o.reverse = reverse
        o.faultRule = rule
        o.healAt = healAt.map { Instant.seconds($0) }
        guard liveness > 0 else { throw ValidationError("--liveness must be positive") }
        o.livenessBound = .nanoseconds(Int64(liveness * 1e9))
        if let buffer {
            let n = try Self.parseSize(buffer, "--buffer")
            guard n >= 1024 else { throw ValidationError("--buffer must be at least 1024 bytes") }
            o.configuration.sendBufferBytes = n
            o.configuration.receiveBufferBytes = n
        }
        return o
    }

    /// The command that replays the run of `seed`.
    func replay(seed: UInt64) -> String {
        var a = ["tcpkit", "simulate", "--seed", String(seed)]
        if cc != .cubic { a += ["--cc", cc.rawValue] }
        if faults == .random {
            a += ["--faults", "random"]
        } else {
            a += ["--bytes", bytes]
            if both { a.append("--both") }
            a += ["--delay", delay]
            if jitter != "0" { a += ["--jitter", jitter] }
            if let bandwidth { a += ["--bandwidth", bandwidth] }
            if let queue { a += ["--queue", queue] }
            for (name, v) in [("--loss", loss), ("--duplicate", duplicate), ("--reorder", reorder), ("--corrupt", corrupt)] where v != "0" {
                a += [name, v]
            }
            for b in blackhole { a += ["--blackhole", b] }
            for p in partition { a += ["--partition", p] }
            if let healAt { a += ["--heal-at", String(healAt)] }
            if liveness != 600 { a += ["--liveness", String(liveness)] }
            if let buffer { a += ["--buffer", buffer] }
            if ipv6 { a.append("--ipv6") }
        }
        for r in script { a += ["--script", "'\(r.replacingOccurrences(of: "'", with: "'\\''"))'"] }
        if format == .json { a += ["--format", "json"] }
        return a.joined(separator: " ")
    }

    func run() throws {
        if let seeds {
            try sweep(try Self.parseRange(seeds))
            return
        }
        let heading = "tcpkit simulate · seed \(seed)"
        if !summaryOnStandardOutput { Self.standardError(heading) }
        var o = try options(seed: seed)
        o.recording = pcap != nil || ![Format.text, .json].contains(format)
        if format == .html { o.sampling = .eachInstant }
        let sim = Simulation(o)
        // A progress bar on standard error while it runs, on a terminal only.
        let progress = Pictures.progress(for: sim.network, totalBytes: o.bytes * (o.both ? 2 : 1))
        let result = sim.run()
        progress.finish()
        let replay = replay(seed: seed)
        let t = sim.network.timeline
        let text: String
        switch format {
        case .json: text = result.json(options: o, replay: replay) + "\n"
        case .text: text = heading + "\n" + result.text(options: o, replay: replay)
        case .jsonl: text = Pictures.render(.jsonl, t, title: heading)
        case .svg: text = Pictures.render(.svg, t, title: heading)
        case .mermaid: text = Pictures.render(.mermaid, t, title: heading)
        case .html:
            let summary = result.text(options: o, replay: replay).split(separator: "\n").map(String.init)
            text = Pictures.render(.html, t, title: heading, paragraphs: summary)
        case .ladder:
            // Colour on a terminal only; a long transfer condensed (see `tcpkit scenario --condense`).
            let ladder = Pictures.render(.text, t, title: "", color: ColorChoice.auto.enabled(fd: 1, toFile: output != nil), condense: CondenseChoice.auto.keep(for: t))
            text = heading + "\n" + ladder + "\n" + result.text(options: o, replay: replay)
        }
        if let pcap {
            try Pictures.write(PcapWriter.file(sim.network.wire.map { PcapWriter.Packet(time: $0.time, bytes: $0.bytes) }), to: pcap)
        }
        try emit(text)
        if !result.passed {
            if !summaryOnStandardOutput {
                for f in result.failures { Self.standardError("FAIL: \(f)") }
                Self.standardError("Replay: \(replay)")
            }
            throw ExitCode(1)
        }
    }

    /// Writes the output to `--output` or standard output.
    func emit(_ text: String) throws {
        if let output {
            try Pictures.write(Array(text.utf8), to: output)
        } else {
            print(text, terminator: "")
        }
    }

    static func standardError(_ line: String) { Pictures.standardError(line) }

    func sweep(_ range: ClosedRange<UInt64>) throws {
        var failed: [(UInt64, [String])] = []
        // Lines go out as the seeds run (into --output at the end).
        var file = ""
        func out(_ line: String) {
            if output == nil { print(line) } else { file += line + "\n" }
        }
        let heading = "tcpkit simulate · seeds \(range.lowerBound)..\(range.upperBound) · faults \(faults.rawValue)"
        if format == .text { out(heading) }
        if !summaryOnStandardOutput { Self.standardError(heading) }
        for s in range {
            let o = try options(seed: s)
            let result = Simulation.run(o)
            if format == .json { out(result.json(options: o, replay: replay(seed: s))) }
            if !result.passed {
                failed.append((s, result.failures))
                let lines = ["seed \(s) FAILED: \(result.failures.joined(separator: "; "))", "  replay: \(replay(seed: s))"]
                if format == .text { lines.forEach(out) }
                if !summaryOnStandardOutput { lines.forEach(Self.standardError) }
            }
        }
        var end = ["\(range.count - failed.count) passed, \(failed.count) failed"]
        if !failed.isEmpty { end.append("failing seeds: \(failed.map { String($0.0) }.joined(separator: " "))") }
        if format == .text { end.forEach(out) }
        if !summaryOnStandardOutput { end.forEach(Self.standardError) }
        if output != nil { try emit(file) }
        if !failed.isEmpty { throw ExitCode(1) }
    }

    // MARK: Parsing

    static func parseRange(_ s: String) throws -> ClosedRange<UInt64> {
        let parts = s.split(separator: ".", omittingEmptySubsequences: true)
        guard s.contains(".."), parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b else {
            throw ValidationError("--seeds wants A..B, e.g. 1..1000")
        }
        return a...b
    }

    static func number(_ s: Substring) -> Double? { Double(String(s)) }

    /// "25ms", "0.1s", "500us", "25" (milliseconds).
    static func parseTime(_ s: String, _ name: String) throws -> Duration {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
        for (u, scale) in units where s.hasSuffix(u) {
            if let x = number(s.dropLast(u.count)), x >= 0 { return .nanoseconds(Int64(x * scale)) }
        }
        if let x = Double(s), x >= 0 { return .nanoseconds(Int64(x * 1e6)) }
        throw ValidationError("\(name): cannot read '\(s)' as a time (e.g. 25ms, 0.1s)")
    }

    /// "100M", "1.5G", "64k", "100Mbit", "100Mbit/s", "1000000".
    static func parseRate(_ s: String) throws -> Double {
        var t = Substring(s)
        for suffix in ["bit/s", "bps", "bit"] where t.hasSuffix(suffix) { t = t.dropLast(suffix.count) }
        var scale = 1.0
        if let last = t.last, let k = ["k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9][String(last)] {
            scale = k
            t = t.dropLast()
        }
        guard let x = number(t), x > 0 else { throw ValidationError("--bandwidth: cannot read '\(s)' (e.g. 100M for 100 Mbit/s)") }
        return x * scale
    }

    /// "64MiB", "1M", "1000", "1.5KiB".
    static func parseSize(_ s: String, _ name: String) throws -> Int {
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("K", 1e3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1)]
        for (u, scale) in units where s.hasSuffix(u) {
            if let x = number(s.dropLast(u.count)), x >= 0 { return Int(x * scale) }
        }
        if let n = Int(s), n >= 0 { return n }
        throw ValidationError("\(name): cannot read '\(s)' as a size (e.g. 64MiB)")
    }

    static func parseQueue(_ s: String) throws -> LinkModel.QueueLimit {
        if let n = Int(s), n > 0 { return .packets(n) }
        if s.hasSuffix("p"), let n = Int(s.dropLast()), n > 0 { return .packets(n) }
        let n = try parseSize(s, "--queue")
        guard n > 0 else { throw ValidationError("--queue must be positive") }
        return .bytes(n)
    }

    static func parseProbability(_ s: String, _ name: String) throws -> Double {
        let p: Double?
        if s.hasSuffix("%") { p = number(s.dropLast()).map { $0 / 100 } } else { p = Double(s) }
        guard let p, p >= 0, p <= 1 else { throw ValidationError("\(name) wants a probability in 0...1 (or 0%...100%), not '\(s)'") }
        return p
    }

    static func parseOutage(_ s: String) throws -> LinkModel.Outage {
        let parts = s.split(separator: "-")
        guard parts.count == 2, let a = number(parts[0]), let b = number(parts[1]), a >= 0, b > a else {
            throw ValidationError("an outage wants START-END in seconds, e.g. 2-5, not '\(s)'")
        }
        return LinkModel.Outage(start: .seconds(a), end: .seconds(b))
    }
}

extension CongestionControlAlgorithm: ExpressibleByArgument {}
