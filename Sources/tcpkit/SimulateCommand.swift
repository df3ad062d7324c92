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
        One seed decides every random choice of a run; the seed and the command that replays the run \
        are printed before it starts (on standard output for the text and ladder formats, otherwise \
        on standard error, so that standard output holds only the JSON or the drawing), and a \
        failing run prints its failures and the replay command again at the end. With --seeds A..B \
        it runs every seed in the range (with --faults random, each seed also picks its own link and \
        faults), prints the failing seeds with their replay commands and exits 1 if any failed.

        Faults are per direction: c2s (client→server), s2c (server→client) or both, written \
        DIR@VALUE (--loss s2c@5%, --blackhole s2c@1s..3s); without DIR@ the random faults and \
        --faults-during apply both ways and --blackhole client→server. Windows are START..END \
        (END left out: for ever); their times take a unit (ns, us, ms, s) and a bare number is in \
        seconds. --heal-at ends every fault, blackholes and partitions included: the safety phase \
        (faults on) is over and the liveness phase begins.
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

    @Option(help: ArgumentHelp("Probability of losing a packet (0.01 or 1%), both ways or DIR@p for one (repeatable: s2c@5%).", valueName: "[dir@]p"))
    var loss: [String] = []

    @Option(help: ArgumentHelp("Probability of delivering a packet twice ([dir@]p, as for --loss).", valueName: "[dir@]p"))
    var duplicate: [String] = []

    @Option(help: ArgumentHelp("Probability of holding a packet back one delay so later ones overtake it ([dir@]p).", valueName: "[dir@]p"))
    var reorder: [String] = []

    @Option(help: ArgumentHelp("Probability of flipping one bit of a packet, the checksum must catch it ([dir@]p).", valueName: "[dir@]p"))
    var corrupt: [String] = []

    @Option(name: .customLong("faults-during"), help: ArgumentHelp("The random faults (--loss, --duplicate, --reorder, --corrupt) apply only to packets sent from START until END (both ways, or DIR@ for one).", valueName: "[dir@]start..end"))
    var faultsDuring: [String] = []

    @Option(help: ArgumentHelp("A blackhole from START until END: everything sent that way disappears; client→server (c2s) unless DIR@ says s2c or both (repeatable), e.g. s2c@1s..3s.", valueName: "[dir@]start..end"))
    var blackhole: [String] = []

    @Option(help: ArgumentHelp("A partition from START until END: nothing gets through either way (repeatable), e.g. 1s..3s.", valueName: "start..end"))
    var partition: [String] = []

    @Option(name: .customLong("heal-at"), help: ArgumentHelp("Every fault ends at this time (seconds), blackholes and partitions included: the liveness phase begins.", valueName: "seconds"))
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

    @Option(help: "Write the output to this file instead of standard output (the seed and replay lines, and a failure, then go to standard error).")
    var output: String?

    @Option(help: ArgumentHelp("ladder: " + LadderWidth.help.replacingOccurrences(of: "Text ladder: ", with: ""), valueName: "columns"))
    var width: Int?

    @Option(help: ArgumentHelp("Also write every packet put on the simulated wire, at its simulated send time, to this pcap file (nanosecond timestamps, raw IP; lost packets included).", valueName: "file"))
    var pcap: String?

    func validate() throws {
        try LadderWidth.validate(width)
        if faults == .random {
            // Each seed picks its own transfer, link and faults; an option it would override is
            // an error, not silently ignored.
            var given: [String] = []
            if bytes != "1MiB" { given.append("--bytes") }
            if both { given.append("--both") }
            if ipv6 { given.append("--ipv6") }
            if delay != "25ms" { given.append("--delay") }
            if jitter != "0" { given.append("--jitter") }
            if bandwidth != nil { given.append("--bandwidth") }
            if queue != nil { given.append("--queue") }
            if buffer != nil { given.append("--buffer") }
            if healAt != nil { given.append("--heal-at") }
            for (name, values) in [("--loss", loss), ("--duplicate", duplicate), ("--reorder", reorder), ("--corrupt", corrupt),
                                   ("--faults-during", faultsDuring), ("--blackhole", blackhole), ("--partition", partition)]
                where !values.isEmpty { given.append(name) }
            if !given.isEmpty {
                throw ValidationError("--faults random picks the transfer, link and faults from each seed; drop \(given.joined(separator: ", ")) (or use --faults given)")
            }
        }
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
        var forward = link, reverse = link
        /// Applies `change` to the links `direction` names.
        func each(_ direction: Direction, _ change: (inout LinkModel) -> Void) {
            if direction != .s2c { change(&forward) }
            if direction != .c2s { change(&reverse) }
        }
        // Later values override earlier ones for the directions they name.
        for (name, values, field) in [("--loss", loss, \LinkModel.loss), ("--duplicate", duplicate, \.duplicate),
                                      ("--reorder", reorder, \.reorder), ("--corrupt", corrupt, \.corrupt)] {
            for v in values {
                let (direction, rest) = try Self.directed(v, default: .both, name)
                let p = try Self.parseProbability(rest, name)
                each(direction) { $0[keyPath: field] = p }
            }
        }
        for w in faultsDuring {
            let (direction, rest) = try Self.directed(w, default: .both, "--faults-during")
            let window = try Self.parseWindow(rest, "--faults-during")
            each(direction) {
                $0.faultsStart = window.start
                $0.faultsEnd = window.end == .forever ? nil : window.end
            }
        }
        for b in blackhole {
            let (direction, rest) = try Self.directed(b, default: .c2s, "--blackhole")
            let window = try Self.parseWindow(rest, "--blackhole")
            each(direction) { $0.outages.append(window) }
        }
        for p in partition {
            let window = try Self.parseWindow(p, "--partition")
            each(.both) { $0.outages.append(window) }
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
            for (name, values) in [("--loss", loss), ("--duplicate", duplicate), ("--reorder", reorder), ("--corrupt", corrupt),
                                   ("--faults-during", faultsDuring)] {
                for v in values { a += [name, v] }
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
        let replay = replay(seed: seed)
        // The seed and the replay command before the run starts, so that they are there whatever
        // happens to the run (a crash, a kill): on standard output above the summary, or on
        // standard error when standard output carries JSON or a drawing (or nothing: --output).
        let start = [heading, "replay: \(replay)"]
        if summaryOnStandardOutput {
            start.forEach { print($0) }
            fflush(nil)
        } else {
            start.forEach(Self.standardError)
        }
        // A file of its own (--output) starts with the heading too.
        let top = summaryOnStandardOutput ? "" : heading + "\n"
        var o = try options(seed: seed)
        o.recording = pcap != nil || ![Format.text, .json].contains(format)
        if format == .html { o.sampling = .eachInstant }
        let sim = Simulation(o)
        // A progress bar on standard error while it runs, on a terminal only.
        let progress = Pictures.progress(for: sim.network, totalBytes: o.bytes * (o.both ? 2 : 1))
        let result = sim.run()
        progress.finish()
        let t = sim.network.timeline
        let text: String
        switch format {
        case .json: text = result.json(options: o, replay: replay) + "\n"
        case .text: text = top + result.text(options: o, replay: replay)
        case .jsonl: text = Pictures.render(.jsonl, t, title: heading)
        case .svg: text = Pictures.render(.svg, t, title: heading)
        case .mermaid: text = Pictures.render(.mermaid, t, title: heading)
        case .html:
            let summary = result.text(options: o, replay: replay).split(separator: "\n").map(String.init)
            text = Pictures.render(.html, t, title: heading, paragraphs: summary)
        case .ladder:
            // Colour on a terminal only; a long transfer condensed (see `tcpkit scenario --condense`).
            let ladder = Pictures.render(.text, t, title: "", color: ColorChoice.auto.enabled(fd: 1, toFile: output != nil), condense: CondenseChoice.auto.keep(for: t),
                                         width: LadderWidth.columns(width, fd: 1, toFile: output != nil))
            text = top + ladder + "\n" + result.text(options: o, replay: replay)
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
        fflush(nil)
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

    /// "25ms", "0.1s", "500us", "25" (a bare number in `bareUnit` nanoseconds: milliseconds
    /// unless told).
    static func parseTime<S: StringProtocol>(_ s: S, _ name: String, bareUnit: Double = 1e6,
                                             example: String = "25ms, 0.1s") throws -> Duration {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
        for (u, scale) in units where s.hasSuffix(u) {
            if let x = number(Substring(s.dropLast(u.count))), x >= 0 { return .nanoseconds(Int64(x * scale)) }
        }
        if let x = Double(String(s)), x >= 0 { return .nanoseconds(Int64(x * bareUnit)) }
        throw ValidationError("\(name): cannot read '\(s)' as a time (e.g. \(example))")
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

    /// The directions a fault applies to.
    enum Direction: String, CaseIterable {
        /// client → server
        case c2s
        /// server → client
        case s2c
        case both
    }

    /// "s2c@5%" → (.s2c, "5%"); "5%" → (`default`, "5%").
    static func directed(_ s: String, default d: Direction, _ name: String) throws -> (Direction, String) {
        guard let at = s.firstIndex(of: "@") else { return (d, s) }
        guard let direction = Direction(rawValue: String(s[..<at])) else {
            throw ValidationError("\(name): '\(s[..<at])' is not a direction (c2s, s2c or both) in '\(s)'")
        }
        return (direction, String(s[s.index(after: at)...]))
    }

    /// A time in a window: "1.5s", "250ms", "0"; a bare number is in seconds (as for --heal-at).
    static func parseInstant(_ s: Substring, _ name: String) throws -> Instant {
        .zero + (try parseTime(s, name, bareUnit: 1e9, example: "1.5s, 250ms, or 2 for 2 s"))
    }

    /// "1s..3s", "2..5" (seconds), "10s.." (for ever), and the older "2-5" (seconds).
    static func parseWindow(_ s: String, _ name: String) throws -> LinkModel.Outage {
        let (a, b): (Substring, Substring)
        if let r = s.range(of: "..") {
            (a, b) = (s[..<r.lowerBound], s[r.upperBound...])
        } else if let dash = s.firstIndex(of: "-") {
            (a, b) = (s[..<dash], s[s.index(after: dash)...])
        } else {
            throw ValidationError("\(name) wants START..END (e.g. 1s..3s, or 10s.. for ever), not '\(s)'")
        }
        let start = try parseInstant(a, name)
        let end = b.isEmpty ? Instant.forever : try parseInstant(b, name)
        guard end > start else { throw ValidationError("\(name): the window '\(s)' ends before it starts") }
        return LinkModel.Outage(start: start, end: end)
    }
}

extension CongestionControlAlgorithm: ExpressibleByArgument {}
