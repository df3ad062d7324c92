import TCPCore
import TCPWire

/// The timeline as a Mermaid `sequenceDiagram` (`--format mermaid`), which GitHub renders in a
/// ```` ```mermaid ```` block: one participant per host, one arrow per segment sent (`->>`, or the
/// cross arrow `-x` for a segment that was lost), state changes, drops, timers and the
/// application's notes as `Note over` lines.
///
/// Message and note text runs from the `:` to the end of the line, but Mermaid's parser ends it
/// early at `;` (a statement separator) and `#` (the start of an entity code), and treats `<`,
/// `>` as HTML; those characters, and `:` (which separates the text from what comes before it),
/// are written as Mermaid's entity codes (`#59;`, `#35;`, `#58;`, `#lt;`, `#gt;`...).
public enum MermaidRenderer {
    public static func render(_ timeline: Timeline) -> String {
        let ladder = LadderRenderer(color: false)
        var out = "sequenceDiagram\n"
        for h in timeline.hosts {
            let label = timeline.labels[h].map { " " + $0 } ?? ""
            out += "    participant \(id(h)) as \(escape(h + label))\n"
        }
        var rel = RelativeNumbers()
        for e in timeline.sorted {
            let t = ladder.formatTime(e.time)
            switch e.kind {
            case let .state(from, to):
                out += note(e.host, "\(t) \(from.rawValue) → \(to.rawValue)")
            case let .send(packet, s, fate):
                rel.observe(s)
                let peer = timeline.hosts.first { $0 != e.host } ?? e.host
                var text = "\(t) \(ladder.segmentLabel(s, rel)) \(ladder.segmentDetails(s))"
                if timeline.networkCopies.contains(packet) { text += " (network copy)" }
                let arrow: String
                switch fate {
                case .delivered(let at):
                    arrow = "->>"
                    text += " @\(ladder.formatTime(at))"
                case .lost(let reason):
                    arrow = "-x"
                    text += " lost (\(reason))"
                case .inFlight:
                    arrow = "->>"
                    text += " in flight"
                }
                out += "    \(id(e.host))\(arrow)\(id(peer)): \(escape(text))\n"
            case let .receive(_, s):
                rel.observe(s)
            case let .drop(reason, _):
                out += note(e.host, "\(t) dropped: \(reason.rawValue)")
            case let .timer(kind):
                out += note(e.host, "\(t) \(kind.rawValue) timer fired")
            case let .note(text):
                out += note(e.host, "\(t) \(text)")
            case .info:
                break   // statistics: in the JSON lines, not in the diagram
            }
        }
        return out
    }

    static func note(_ host: String, _ text: String) -> String {
        "    Note over \(id(host)): \(escape(text))\n"
    }

    /// A participant identifier: letters, digits and `_` only.
    static func id(_ host: String) -> String {
        let s = String(host.unicodeScalars.map { isWord($0) ? Character($0) : "_" })
        return s.isEmpty ? "_" : s
    }

    /// Text safe on a Mermaid line: the characters its lexer gives a meaning to, and line breaks,
    /// as entity codes (`#59;` is `;`), which Mermaid turns back into the characters it draws.
    public static func escape(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case ";", "#", ":", "%", "\"", "{", "}", "`", "\\": out += "#\(u.value);"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "&": out += "#amp;"
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func isWord(_ u: Unicode.Scalar) -> Bool {
        (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "_"
    }
}
