import TCPSim
import TCPTrace

/// The pictures of a run, for every command that runs something and takes `--format`
/// (`scenario`; `simulate` can call this too, mapping its own formats onto `OutputFormat`).
enum Pictures {
    /// The timeline drawn in `format`. `.text` is the bare ladder (a command adds its heading and
    /// explanation around it); `color` and `condense` only matter for `.text`.
    static func render(_ format: OutputFormat, _ timeline: Timeline, title: String, paragraphs: [String] = [],
                       language: Language = .en, color: Bool = false, condense: Int? = nil) -> String {
        switch format {
        case .text: LadderRenderer(color: color, condense: condense).render(timeline)
        case .jsonl: JSONLinesRenderer.render(timeline)
        case .mermaid: MermaidRenderer.render(timeline)
        case .svg: SVGRenderer().render(timeline)
        case .html:
            { var r = HTMLRenderer(title: title, paragraphs: paragraphs); r.language = language == .zh ? "zh-Hans" : "en"; return r.render(timeline) }()
        }
    }

    /// Shows a progress bar on standard error while `net` runs, if standard error is a terminal
    /// (see `ProgressDisplay`); call `finish()` on the result after the run.
    static func progress(for net: SimulatedNetwork, totalBytes: Int?) -> ProgressDisplay {
        let p = ProgressDisplay()
        p.attach(to: net, totalBytes: totalBytes)
        return p
    }
}
