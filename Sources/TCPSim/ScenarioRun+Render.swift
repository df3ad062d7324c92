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
        t += language == .en
            ? "\nReplay: tcpkit scenario \(name) --seed \(o.seed)\n"
            : "\n重放：tcpkit scenario \(name) --seed \(o.seed) --lang zh\n"
        return t
    }

    /// The run as JSON lines (`--format jsonl`).
    public var jsonLines: String { JSONLinesRenderer.render(timeline) }
}
