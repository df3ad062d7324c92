import TCPCore
import TCPTrace
import TCPWire

extension ScenarioRun {
    /// What `tcpkit scenario` prints as text: a heading, the ladder and the explanation in
    /// `language`, and the command that replays the run. `condense`: see `LadderRenderer.condense`.
    public func text(options o: ScenarioOptions, language: Language = .en, color: Bool = false, condense: Int? = nil) -> String {
        let delay = "\(Double(o.delay.nanoseconds) / 1e6) ms"
        var t = language == .en
            ? "tcpkit scenario \(name) · seed \(o.seed) · one-way delay \(delay)\n\n"
            : "tcpkit scenario \(name) · 种子 \(o.seed) · 单向时延 \(delay)\n\n"
        t += LadderRenderer(color: color, condense: condense).render(timeline)
        t += "\n" + explanations[language].map { "• " + $0 }.joined(separator: "\n") + "\n"
        if let report { t += "\n" + report[language].joined(separator: "\n") + "\n" }
        t += language == .en
            ? "\nReplay: tcpkit scenario \(name) --seed \(o.seed)\(bulkOptions(o))\n"
            : "\n重放：tcpkit scenario \(name) --seed \(o.seed)\(bulkOptions(o)) --lang zh\n"
        return t
    }

    /// The bulk scenario's own options when they differ from the defaults, for the replay line.
    func bulkOptions(_ o: ScenarioOptions) -> String {
        guard name == "bulk" else { return "" }
        let d = ScenarioOptions()
        return (o.bytes != d.bytes ? " --bytes \(o.bytes)" : "") + (o.loss != d.loss ? " --loss \(o.loss)" : "")
    }

    /// The run as JSON lines (`--format jsonl`).
    public var jsonLines: String { JSONLinesRenderer.render(timeline) }
}
