import TCPTrace

extension ScenarioRun {
    /// The line that names the run: `tcpkit scenario NAME · seed N` (the title of a drawing, and
    /// what `tcpkit scenario` puts on standard error when its output is not the text ladder).
    public static func heading(name: String, seed: UInt64) -> String { "tcpkit scenario \(name) · seed \(seed)" }

    /// What `tcpkit scenario` prints in `format`: as text the heading, the ladder (in colour if
    /// `color`, condensed as `condense` says, fitted to `width` columns), the explanation in `language` and the replay
    /// command (`text(options:…)`); otherwise the picture, titled with `heading(name:seed:)`.
    public func output(_ format: OutputFormat, options o: ScenarioOptions, language: Language = .en, color: Bool = false,
                       condense: CondenseChoice = .auto, maxRounds: Int? = nil, width: Int? = nil) -> String {
        if format == .text {
            return text(options: o, language: language, color: color, condense: condense.keep(for: timeline), maxRounds: maxRounds,
                        width: width)
        }
        return format.render(timeline, title: Self.heading(name: name, seed: o.seed), paragraphs: explanations[language], language: language)
    }

    /// Every packet put on the simulated wire, at its simulated send time, as a pcap file
    /// (`--pcap`; lost packets included).
    public var pcapFile: [UInt8] {
        PcapWriter.file(network.wire.map { PcapWriter.Packet(time: $0.time, bytes: $0.bytes) })
    }
}
