import ArgumentParser
import TCPCore
import TCPSim
import TCPTrace

struct ScenarioCommand: ParsableCommand, OutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run a scenario on the simulated network and draw it (default: classic)."
    )

    @Argument(help: "Scenario name (see `tcpkit scenarios`).")
    var name: String = "classic"

    static let defaultFormat = OutputFormat.text
    static let formatHelp = "Output format: text (ladder diagram), jsonl (one JSON object per line), mermaid (a sequenceDiagram), svg (the ladder as a drawing) or html (one self-contained page: the ladder, the state timeline and, for transfers, plots of cwnd, RTT and bytes in flight)."
    @OptionGroup var out: OutputOptions<ScenarioCommand>

    @Option(help: "Seed of the run: the same seed gives the same ISNs, ports and faults.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("One-way link delay (e.g. 10ms, 0.1s; a bare number is seconds). Default: 10ms.", valueName: "time"))
    var delay: String?

    /// Deprecated for `--delay 10ms`: still read for one release, with a line on standard error.
    @Option(name: .customLong("delay-ms"), help: ArgumentHelp("One-way link delay in milliseconds (deprecated: use --delay 10ms).", visibility: .hidden))
    var delayMilliseconds: Double?

    @Option(help: ArgumentHelp("Maximum segment lifetime; TIME-WAIT is twice this (e.g. 30s, 500ms; a bare number is seconds).", valueName: "time"))
    var msl: String = "30s"

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

    @Option(help: ArgumentHelp("Also write every packet put on the simulated wire, at its simulated send time, to this pcap file (nanosecond timestamps, raw IP; lost packets included).", valueName: "file"))
    var pcap: String?

    func validate() throws {
        guard Scenario.named(name) != nil else {
            throw ValidationError("unknown scenario '\(name)'; known: \(Scenario.all.map(\.name).joined(separator: ", "))")
        }
        if let delayMilliseconds {
            guard delay == nil else { throw ValidationError("give --delay (--delay-ms is deprecated), not both") }
            guard delayMilliseconds >= 0, delayMilliseconds <= 60_000 else { throw ValidationError("--delay-ms must be 0...60000") }
        }
        guard try linkDelay() <= .seconds(60) else { throw ValidationError("--delay must be at most 60s") }
        let lifetime = try ValidationError.wrapping { () throws(ValueParseError) in try Duration(parsing: msl, option: "--msl") }
        guard lifetime > .zero, lifetime <= .seconds(3600) else { throw ValidationError("--msl must be in (0, 3600]") }
        if let maxRounds, maxRounds < 2 { throw ValidationError("--max-rounds must be at least 2") }
        try LadderWidth.validate(width)
    }

    /// `--delay`, or the deprecated `--delay-ms`, or 10 ms.
    func linkDelay() throws -> Duration {
        if let delayMilliseconds { return .nanoseconds(Int64(delayMilliseconds * 1e6)) }
        guard let delay else { return ScenarioOptions().delay }
        return try ValidationError.wrapping { () throws(ValueParseError) in try Duration(parsing: delay, option: "--delay") }
    }

    func run() throws {
        if let ms = delayMilliseconds {
            let value = ms == ms.rounded() && abs(ms) < 1e15 ? String(Int64(ms)) : String(ms)
            FileOutput.standardError.line("tcpkit: --delay-ms is deprecated; use --delay \(value)ms")
        }
        var o = ScenarioOptions()
        o.seed = seed
        o.delay = try linkDelay()
        o.msl = try Duration(parsing: msl, option: "--msl")
        o.ipv6 = ipv6
        try ValidationError.wrapping { () throws(ValueParseError) in
            o.bytes = try ByteCount(parsing: bytes, option: "--bytes").bytes
            o.loss = try Probability(parsing: loss, option: "--loss").value
        }
        o.quickACK = !noQuickACK
        // The seed comes first: in the text heading, or on standard error when the output is a
        // file or another format.
        if out.format != .text || out.output != nil { FileOutput.standardError.line(ScenarioRun.heading(name: name, seed: seed)) }
        let result = Scenario.named(name)!.run(o)
        let text = result.output(out.format, options: o, language: lang, color: color.enabled(fd: 1, toFile: out.output != nil),
                                 condense: condense, maxRounds: maxRounds,
                                 width: LadderWidth.columns(width, fd: 1, toFile: out.output != nil))
        if let pcap {
            try ValidationError.wrapping { () throws(FileOutput.FileError) in try FileOutput.write(result.pcapFile, toFile: pcap) }
        }
        try out.write(text)
    }
}
