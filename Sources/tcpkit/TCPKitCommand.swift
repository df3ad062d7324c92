import ArgumentParser
import TCPCore
import TCPSim
import TCPTrace
#if canImport(Glibc)
import Glibc
#endif

@main
struct TCPKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpkit",
        abstract: "Watch TCP open, carry data and close, segment by segment.",
        subcommands: [ScenarioCommand.self, ScenariosCommand.self, ScriptCommand.self, SimulateCommand.self, TunCommand.self],
        defaultSubcommand: ScenarioCommand.self
    )
}

/// The pictures every run can draw (`--format`); shared by the commands that run something.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, jsonl, mermaid, svg, html
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Colour for output to file descriptor `fd`: `auto` means only when it is a terminal, no
    /// `--output` file, and NO_COLOR is not set.
    func enabled(fd: Int32, toFile: Bool) -> Bool {
        switch self {
        case .always: true
        case .never: false
        case .auto: !toFile && isatty(fd) == 1 && getenv("NO_COLOR") == nil
        }
    }
}

/// The text ladder's width (`--width`): given, or the terminal's when the output goes to one.
enum LadderWidth {
    static let help = "Text ladder: fit this many columns, leaving out the timestamp values, then windows and options, then shortening state names (SYN-RCVD, ESTAB) and host labels, until it fits. Default: the terminal's width when writing to a terminal; the full ladder (about 130 columns) for files and pipes."

    /// `width`, or the width of the terminal on `fd` if there is one and the output is not a file.
    static func columns(_ width: Int?, fd: Int32, toFile: Bool) -> Int? {
        width ?? (toFile ? nil : Terminal.columns(of: fd))
    }

    static func validate(_ width: Int?) throws {
        if let width, width < LadderRenderer.minimumWidth {
            throw ValidationError("--width must be at least \(LadderRenderer.minimumWidth)")
        }
    }
}

/// Condensed text ladders (`--condense`): `auto` condenses runs with more than
/// `CondenseChoice.autoThreshold` segments.
enum CondenseChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    static let autoThreshold = 60
    /// Segments drawn at each end of a condensed stretch.
    static let keep = 4

    func keep(for timeline: Timeline) -> Int? {
        switch self {
        case .always: return Self.keep
        case .never: return nil
        case .auto:
            let sends = timeline.entries.lazy.filter { if case .send = $0.kind { true } else { false } }.count
            return sends > Self.autoThreshold ? Self.keep : nil
        }
    }
}

struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run a scenario on the simulated network and draw it (default: classic)."
    )

    @Argument(help: "Scenario name (see `tcpkit scenarios`).")
    var name: String = "classic"

    @Option(help: "Output format: text (ladder diagram), jsonl (one JSON object per line), mermaid (a sequenceDiagram), svg (the ladder as a drawing) or html (one self-contained page: the ladder, the state timeline and, for transfers, plots of cwnd, RTT and bytes in flight).")
    var format: OutputFormat = .text

    @Option(help: "Seed of the run: the same seed gives the same ISNs, ports and faults.")
    var seed: UInt64 = 1

    @Option(name: .customLong("delay-ms"), help: "One-way link delay in milliseconds.")
    var delayMilliseconds: Double = 10

    @Option(name: .customLong("msl"), help: "Maximum segment lifetime in seconds (TIME-WAIT is twice this).")
    var mslSeconds: Double = 30

    @Flag(help: "Use IPv6 addresses.")
    var ipv6 = false

    @Option(help: "Colour: auto (when writing to a terminal), always or never.")
    var color: ColorChoice = .auto

    @Option(help: "Language of the explanation: en (English) or zh (Chinese, Simplified).")
    var lang: Language = .en

    @Option(help: "Text ladder of long transfers: auto (condensed above \(CondenseChoice.autoThreshold) segments), always or never. Condensed, a stretch of ordinary data and ACK segments shows its first and last \(CondenseChoice.keep) and one line for those between; losses, retransmissions, drops, timers and state changes are always shown. The bulk scenario condenses by round trip instead: the handshake and the first \(Scenario.roundsInFull) round trips in full, then one line per measured round trip, then the close in full; never: the full ladder and the round-trip table after it.")
    var condense: CondenseChoice = .auto

    @Option(help: ArgumentHelp("bulk: bytes the client sends (suffixes as for simulate --bytes).", valueName: "n"))
    var bytes: String = "300000"

    @Option(help: ArgumentHelp("bulk: probability that the link loses a packet, each way (0.02 or 2%).", valueName: "p"))
    var loss: String = "2%"

    @Flag(name: .customLong("no-quick-ack"), help: "bulk: the receiver ACKs every second full segment from the first one on (RFC 5681 §4.2), without Linux's quick-ACK mode at the start.")
    var noQuickACK = false

    @Option(help: ArgumentHelp("bulk, text format: print at most this many round-trip lines (the first and last halves), and say how many were elided. Default: every round trip.", valueName: "n"))
    var maxRounds: Int?

    @Option(help: ArgumentHelp(LadderWidth.help, valueName: "columns"))
    var width: Int?

    @Option(help: "Write the output to this file instead of standard output.")
    var output: String?

    @Option(help: ArgumentHelp("Also write every packet put on the simulated wire, at its simulated send time, to this pcap file (nanosecond timestamps, raw IP; lost packets included).", valueName: "file"))
    var pcap: String?

    func validate() throws {
        guard Scenario.named(name) != nil else {
            throw ValidationError("unknown scenario '\(name)'; known: \(Scenario.all.map(\.name).joined(separator: ", "))")
        }
        guard delayMilliseconds >= 0, delayMilliseconds <= 60_000 else { throw ValidationError("--delay-ms must be 0...60000") }
        guard mslSeconds > 0, mslSeconds <= 3600 else { throw ValidationError("--msl must be in (0, 3600]") }
        if let maxRounds, maxRounds < 2 { throw ValidationError("--max-rounds must be at least 2") }
        try LadderWidth.validate(width)
    }

    func run() throws {
        var o = ScenarioOptions()
        o.seed = seed
        o.delay = .nanoseconds(Int64(delayMilliseconds * 1e6))
        o.msl = .nanoseconds(Int64(mslSeconds * 1e9))
        o.ipv6 = ipv6
        o.bytes = try SimulateCommand.parseSize(bytes, "--bytes")
        o.loss = try SimulateCommand.parseProbability(loss, "--loss")
        o.quickACK = !noQuickACK
        // The seed comes first: in the text heading, or on standard error when the output is a
        // file or another format.
        if format != .text || output != nil { Pictures.standardError("tcpkit scenario \(name) · seed \(seed)") }
        let result = Scenario.named(name)!.run(o)
        let text: String
        if format == .text {
            let useColor = color.enabled(fd: 1, toFile: output != nil)
            text = result.text(options: o, language: lang, color: useColor, condense: condense.keep(for: result.timeline), maxRounds: maxRounds,
                               width: LadderWidth.columns(width, fd: 1, toFile: output != nil))
        } else {
            text = Pictures.render(format, result.timeline, title: "tcpkit scenario \(name) · seed \(seed)", paragraphs: result.explanations[lang], language: lang)
        }
        if let pcap {
            let packets = result.network.wire.map { PcapWriter.Packet(time: $0.time, bytes: $0.bytes) }
            try Pictures.write(PcapWriter.file(packets), to: pcap)
        }
        if let output {
            try Pictures.write(Array(text.utf8), to: output)
        } else {
            print(text, terminator: "")
        }
    }

}

struct ScenariosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scenarios", abstract: "List the scenarios.")

    @Option(help: "Language of the summaries: en or zh.")
    var lang: Language = .en

    func run() {
        let width = (Scenario.all.map(\.name.count).max() ?? 0) + 2
        for s in Scenario.all { print(s.name.padding(width) + s.summary(lang)) }
    }
}

extension Language: ExpressibleByArgument {}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}
