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
        t += language == .en ? "\nReplay: \(replayCommand(o))\n" : "\n重放：\(replayCommand(o)) --lang zh\n"
        return t
    }

    /// The command that replays the run with options `o`: the seed, and every option that
    /// differs from its default (the link delay, MSL, IPv6, the bulk scenario's bytes and loss).
    public func replayCommand(_ o: ScenarioOptions) -> String {
        let d = ScenarioOptions()
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x) }
        var a = "tcpkit scenario \(name) --seed \(o.seed)"
        if o.delay != d.delay { a += " --delay-ms \(number(Double(o.delay.nanoseconds) / 1e6))" }
        if o.msl != d.msl { a += " --msl \(number(Double(o.msl.nanoseconds) / 1e9))" }
        if o.ipv6 { a += " --ipv6" }
        return a + bulkOptions(o)
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
