import TCPCore
import TCPTrace
import TCPWire

extension ScenarioRun {
    /// What `tcpkit scenario` prints as text: a heading, the ladder and the explanation in
    /// `language`, and the command that replays the run. `condense`: see `LadderRenderer.condense`;
    /// a run with round trips (bulk) is condensed instead to one line per round trip after its first
    /// rounds (`Scenario.roundFolds`), and without `condense` its round trips follow the full ladder
    /// as a table. `maxRounds`: at most this many round-trip lines, saying how many were elided.
    /// `width`: the ladder fits this many columns (`LadderRenderer.width`) and the explanation and
    /// report wrap at it, and the round-trip table gives up columns (`Scenario.roundTable`); nil:
    /// as wide as they are.
    public func text(options o: ScenarioOptions, language: Language = .en, color: Bool = false, condense: Int? = nil,
                     maxRounds: Int? = nil, width: Int? = nil) -> String {
        let delay = "\(Double(o.delay.nanoseconds) / 1e6) ms"
        var t = language == .en
            ? "tcpkit scenario \(name) · seed \(o.seed) · one-way delay \(delay)\n\n"
            : "tcpkit scenario \(name) · 种子 \(o.seed) · 单向时延 \(delay)\n\n"
        var table = ""
        if let rounds {
            let folds = condense == nil ? [] : Scenario.roundFolds(timeline, rounds, maxRows: maxRounds, width: width)
            t += LadderRenderer(color: color, folds: folds, width: width).render(timeline)
            if folds.isEmpty, !rounds.isEmpty {
                // Not folded into the ladder: the table follows the explanation.
                let title = language == .en ? "Round trips of the client's data (a round ends when the ACK covering its first segment arrives):"
                                            : "客户端数据的往返（一个往返在确认其第一个报文段的 ACK 到达时结束）："
                table = "\n" + (width.map { Terminal.wrap(title, width: $0).joined(separator: "\n") } ?? title) + "\n"
                table += Scenario.roundLines(rounds[...], maxRows: maxRounds, width: width).joined(separator: "\n") + "\n"
            }
        } else {
            t += LadderRenderer(color: color, condense: condense, width: width).render(timeline)
        }
        func wrapped(_ line: String) -> String {
            guard let width else { return line }
            return Terminal.wrap(line, width: width, indent: "  ").joined(separator: "\n")
        }
        t += "\n" + explanations[language].map { wrapped("• " + $0) }.joined(separator: "\n") + "\n"
        t += table
        if let report { t += "\n" + report[language].map(wrapped).joined(separator: "\n") + "\n" }
        t += language == .en ? "\nReplay: \(replayCommand(o))\n" : "\n重放：\(replayCommand(o)) --lang zh\n"
        return t
    }

    /// The command that replays the run with options `o`: the seed, and every option that
    /// differs from its default (the link delay, MSL, IPv6, the bulk scenario's bytes and loss).
    public func replayCommand(_ o: ScenarioOptions) -> String {
        let d = ScenarioOptions()
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x) }
        var a = "tcpkit scenario \(name) --seed \(o.seed)"
        // Times with their unit (a bare number would be seconds).
        if o.delay != d.delay { a += " --delay \(number(Double(o.delay.nanoseconds) / 1e6))ms" }
        if o.msl != d.msl { a += " --msl \(number(Double(o.msl.nanoseconds) / 1e9))s" }
        if o.ipv6 { a += " --ipv6" }
        return a + bulkOptions(o)
    }

    /// The bulk scenario's own options when they differ from the defaults, for the replay line.
    func bulkOptions(_ o: ScenarioOptions) -> String {
        guard name == "bulk" else { return "" }
        let d = ScenarioOptions()
        return (o.bytes != d.bytes ? " --bytes \(o.bytes)" : "") + (o.loss != d.loss ? " --loss \(o.loss)" : "")
            + (o.quickACK ? "" : " --no-quick-ack")
    }

    /// The run as JSON lines (`--format jsonl`).
    public var jsonLines: String { JSONLinesRenderer.render(timeline) }
}
