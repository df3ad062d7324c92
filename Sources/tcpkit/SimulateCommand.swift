import ArgumentParser
import TCPCore
import TCPSim
import TCPTrace
#if canImport(Glibc)
import Glibc
#endif

/// `tcpkit simulate`: a bulk transfer between two hosts over a simulated link with the given delay,
/// bandwidth, queue and faults, checked byte for byte; or, with `--seeds`, a sweep of many runs.
struct SimulateCommand: ParsableCommand, OutputCommand {
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
        (END left out: for ever). Every time takes a unit (ns, us, ms, s: 10ms, 0.1s); a bare \
        number is seconds, in every option. --heal-at ends every fault, blackholes and partitions \
        included: the safety phase (faults on) is over and the liveness phase begins.
        """
    )

    @Option(help: ArgumentHelp("Bytes to send each way (suffixes K, M, G = 1000s; KiB, MiB, GiB = 1024s).", valueName: "n"))
    var bytes: String = "1MiB"

    @Flag(help: "Send in both directions at once.")
    var both = false

    @Option(help: ArgumentHelp("One-way delay (e.g. 25ms, 0.1s; a bare number is seconds).", valueName: "time"))
    var delay: String = "25ms"

    @Option(help: ArgumentHelp("Extra random delay per packet, uniform in 0...jitter (e.g. 5ms; a bare number is seconds).", valueName: "time"))
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

    @Option(name: .customLong("faults-during"), help: ArgumentHelp("The random faults (--loss, --duplicate, --reorder, --corrupt) apply only to packets sent from START until END (both ways, or DIR@ for one; a bare number is seconds).", valueName: "[dir@]start..end"))
    var faultsDuring: [String] = []

    @Option(help: ArgumentHelp("A blackhole from START until END: everything sent that way disappears; client→server (c2s) unless DIR@ says s2c or both (repeatable), e.g. s2c@1s..3s; a bare number is seconds.", valueName: "[dir@]start..end"))
    var blackhole: [String] = []

    @Option(help: ArgumentHelp("A partition from START until END: nothing gets through either way (repeatable), e.g. 1s..3s; a bare number is seconds.", valueName: "start..end"))
    var partition: [String] = []

    @Option(name: .customLong("heal-at"), help: ArgumentHelp("Every fault ends at this time (e.g. 5s, 500ms; a bare number is seconds), blackholes and partitions included: the liveness phase begins.", valueName: "time"))
    var healAt: String?

    @Option(help: ArgumentHelp("Everything must be over this long after healing (or the start), TIME-WAIT included (e.g. 600s; a bare number is seconds).", valueName: "time"))
    var liveness: String = "600"

    @Option(help: ArgumentHelp("Fixed send and receive buffer of each connection (bytes; suffixes as for --bytes); without it they start at 256 KiB and auto-tune.", valueName: "n"))
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
    var faults: SimulationArguments.Faults = .given

    @Flag(help: "Use IPv6 addresses.")
    var ipv6 = false

    @Option(name: .customLong("path-mtu"), help: ArgumentHelp("Path MTU of the link, both ways (bytes, e.g. 1280): larger packets that may not be fragmented are dropped and answered with ICMP Fragmentation Needed / Packet Too Big.", valueName: "bytes"))
    var pathMTU: String?

    @Flag(name: .customLong("no-icmp"), help: "With --path-mtu: send no ICMP for packets too big (a black hole: only packetization-layer path MTU discovery gets through).")
    var noICMP = false

    static let defaultFormat = SimulationFormat.text
    static let formatHelp = "Output: text (a summary), json (one object per run), jsonl (every event of the run, one JSON object a line), ladder (the ladder diagram and the summary; for short runs), svg (the ladder as a drawing), mermaid (a sequenceDiagram) or html (one self-contained page: state timeline, cwnd/RTT/in-flight plots, the ladder and the summary)."
    static let outputHelp = "Write the output to this file instead of standard output (the seed and replay lines, and a failure, then go to standard error)."
    @Flag(help: "ECN (RFC 3168): both stacks ask for it, and the queue marks ECN-capable packets CE instead of dropping them, from --ecn-threshold on.")
    var ecn = false

    @Option(name: .customLong("ecn-threshold"), help: ArgumentHelp("With --ecn: the queue occupancy from which packets are marked (packets or bytes, as --queue); default a third of the queue, or 20 packets without --queue.", valueName: "size"))
    var ecnThreshold: String?

    @OptionGroup var out: OutputOptions<SimulateCommand>

    @Option(help: ArgumentHelp("Also write every packet put on the simulated wire, at its simulated send time, to this pcap file (nanosecond timestamps, raw IP; lost packets included).", valueName: "file"))
    var pcap: String?

    @Option(help: ArgumentHelp("ladder: " + LadderWidth.help.replacingOccurrences(of: "Text ladder: ", with: ""), valueName: "columns"))
    var width: Int?

    /// The options as the library reads them.
    var arguments: SimulationArguments {
        var a = SimulationArguments()
        (a.bytes, a.both, a.delay, a.jitter, a.bandwidth, a.queue) = (bytes, both, delay, jitter, bandwidth, queue)
        (a.loss, a.duplicate, a.reorder, a.corrupt) = (loss, duplicate, reorder, corrupt)
        (a.faultsDuring, a.blackhole, a.partition, a.healAt, a.liveness) = (faultsDuring, blackhole, partition, healAt, liveness)
        (a.buffer, a.congestionControl, a.script, a.faults, a.ipv6) = (buffer, cc, script, faults, ipv6)
        a.json = out.format == .json
        (a.pathMTU, a.icmp) = (pathMTU, !noICMP)
        (a.ecn, a.ecnThreshold) = (ecn, ecnThreshold)
        return a
    }

    func validate() throws {
        try ValidationError.wrapping { () throws(SimulationArguments.Error) in try arguments.check() }
        try LadderWidth.validate(width)
        if let seeds {
            _ = try ValidationError.wrapping { () throws(ValueParseError) in try SimulationSweep.seeds(parsing: seeds) }
            guard out.format.sweeps else { throw ValidationError("a sweep (--seeds) prints text or json, not \(out.format.rawValue)") }
            guard pcap == nil else { throw ValidationError("--pcap records one run, not a sweep (--seeds)") }
        }
    }

    /// The output is the plain-text summary on standard output, where the seed line comes first
    /// anyway; otherwise (a machine-readable format, or a file) the seed line and a failure's
    /// replay command also go to standard error.
    var summaryOnStandardOutput: Bool { (out.format == .text || out.format == .ladder) && out.output == nil }

    func run() throws {
        let arguments = arguments
        if let seeds {
            return try sweep(SimulationSweep(arguments, seeds: try SimulationSweep.seeds(parsing: seeds)))
        }
        let heading = "tcpkit simulate · seed \(seed)"
        let replay = arguments.replayCommand(seed: seed)
        // The seed and the replay command before the run starts, so that they are there whatever
        // happens to the run (a crash, a kill): on standard output above the summary, or on
        // standard error when standard output carries JSON or a drawing (or nothing: --output).
        let start = [heading, "replay: \(replay)"]
        if summaryOnStandardOutput {
            start.forEach { print($0) }
            fflush(nil)
        } else {
            start.forEach(FileOutput.standardError.line)
        }
        var o = try ValidationError.wrapping { () throws(ValueParseError) in try arguments.options(seed: seed) }
        o.recording = pcap != nil
        out.format.prepare(&o)
        let sim = Simulation(o)
        // A progress bar on standard error while it runs, on a terminal only.
        let progress = ProgressDisplay()
        progress.attach(to: sim.network, totalBytes: o.bytes * (o.both ? 2 : 1))
        let result = sim.run()
        progress.finish()
        // A file of its own (--output) starts with the heading too; colour on a terminal only.
        let text = sim.output(result, format: out.format, heading: heading, headed: !summaryOnStandardOutput, replay: replay,
                              color: ColorChoice.auto.enabled(fd: 1, toFile: out.output != nil),
                              width: LadderWidth.columns(width, fd: 1, toFile: out.output != nil))
        if let pcap {
            try ValidationError.wrapping { () throws(FileOutput.FileError) in try FileOutput.write(sim.pcapFile, toFile: pcap) }
        }
        try out.write(text)
        if !result.passed {
            if !summaryOnStandardOutput {
                for f in result.failures { FileOutput.standardError.line("FAIL: \(f)") }
                FileOutput.standardError.line("Replay: \(replay)")
            }
            throw ExitCode(1)
        }
    }

    func sweep(_ sweep: SimulationSweep) throws {
        // Lines go out as the seeds run (into --output at the end).
        var file = ""
        let text = out.format == .text, toFile = out.output != nil, errorsToo = !summaryOnStandardOutput
        func emit(_ line: String) {
            if toFile { file += line + "\n" } else { print(line) }
        }
        if text { emit(sweep.heading) }
        if errorsToo { FileOutput.standardError.line(sweep.heading) }
        fflush(nil)
        let results = try ValidationError.wrapping { () throws(ValueParseError) in
            try sweep.run { r in
                if !text { emit(r.json) }
                if text { r.failureLines.forEach(emit) }
                if errorsToo { r.failureLines.forEach(FileOutput.standardError.line) }
            }
        }
        let end = SimulationSweep.summary(results)
        if text { end.forEach(emit) }
        if errorsToo { end.forEach(FileOutput.standardError.line) }
        if toFile { try out.write(file) }
        if results.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}
