import ArgumentParser
import TCPSim

/// `tcpkit script run --format`: the report as text, one JSON object or a Markdown page, or the
/// picture of one script's run in one of `OutputFormat`'s drawing formats.
enum ScriptRunFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case text, json, markdown, jsonl, mermaid, svg, html

    /// The drawing format, for the formats that draw one run.
    var picture: OutputFormat? {
        switch self {
        case .text, .json, .markdown: nil
        case .jsonl: .jsonl
        case .mermaid: .mermaid
        case .svg: .svg
        case .html: .html
        }
    }
}
