import TCPTrace

/// What `tcpkit simulate` prints (`--format`): a text summary, one JSON object, every event as
/// JSON lines, the text ladder and the summary, an SVG drawing, a Mermaid sequenceDiagram, or an
/// HTML page (state timeline, cwnd/RTT/in-flight plots, the ladder and the summary).
public enum SimulationFormat: String, Sendable, CaseIterable {
    case text, json, jsonl, ladder, svg, mermaid, html

    /// Whether the run must keep its timeline (`SimulationOptions.recording`) to draw it.
    public var drawsTimeline: Bool { self != .text && self != .json }

    /// Whether a sweep (`--seeds`) can print in this format (text or json: one line per seed).
    public var sweeps: Bool { self == .text || self == .json }

    /// Sets what `options` must record for this format: the timeline for a drawing, and for
    /// `html` a statistics sample at every instant (the plots).
    public func prepare(_ options: inout SimulationOptions) {
        if drawsTimeline { options.recording = true }
        if self == .html { options.sampling = .eachInstant }
    }
}

extension Simulation {
    /// The output of the finished run `result` in `format`, the way `tcpkit simulate` prints it:
    /// `heading` (`tcpkit simulate · seed N`) on top of the text and ladder formats when `headed`
    /// (a file of its own) and as the drawings' title; `replay` in the summaries and the JSON;
    /// `color` and `width` for the ladder; a ladder of a long run is condensed (`CondenseChoice.auto`).
    public func output(_ result: SimulationResult, format: SimulationFormat, heading: String, headed: Bool,
                       replay: String, color: Bool = false, width: Int? = nil) -> String {
        let t = network.timeline, o = options
        let top = headed ? heading + "\n" : ""
        switch format {
        case .json: return result.json(options: o, replay: replay) + "\n"
        case .text: return top + result.text(options: o, replay: replay)
        case .jsonl: return OutputFormat.jsonl.render(t, title: heading)
        case .svg: return OutputFormat.svg.render(t, title: heading)
        case .mermaid: return OutputFormat.mermaid.render(t, title: heading)
        case .html:
            let summary = result.text(options: o, replay: replay).split(separator: "\n").map(String.init)
            return OutputFormat.html.render(t, title: heading, paragraphs: summary)
        case .ladder:
            let ladder = OutputFormat.text.render(t, title: "", color: color, condense: CondenseChoice.auto.keep(for: t), width: width)
            return top + ladder + "\n" + result.text(options: o, replay: replay)
        }
    }

    /// Every packet put on the simulated wire, at its simulated send time, as a pcap file
    /// (`--pcap`; lost packets included). Needs `SimulationOptions.recording`.
    public var pcapFile: [UInt8] {
        PcapWriter.file(network.wire.map { PcapWriter.Packet(time: $0.time, bytes: $0.bytes) })
    }
}
