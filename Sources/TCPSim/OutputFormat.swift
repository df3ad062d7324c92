import TCPTrace

/// The pictures of a run (`--format` of `tcpkit scenario` and `tcpkit script run`): the text
/// ladder, JSON lines, a Mermaid sequenceDiagram, an SVG drawing, or one self-contained HTML page.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text, jsonl, mermaid, svg, html

    /// `timeline` drawn in this format. `.text` is the bare ladder (a command adds its heading and
    /// explanation around it); `color`, `condense` and `width` only matter for `.text`, `title`,
    /// `paragraphs` and `language` only for `.html`.
    public func render(_ timeline: Timeline, title: String, paragraphs: [String] = [],
                       language: Language = .en, color: Bool = false, condense: Int? = nil, width: Int? = nil) -> String {
        switch self {
        case .text: LadderRenderer(color: color, condense: condense, width: width).render(timeline)
        case .jsonl: JSONLinesRenderer.render(timeline)
        case .mermaid: MermaidRenderer.render(timeline)
        case .svg: SVGRenderer().render(timeline)
        case .html:
            { var r = HTMLRenderer(title: title, paragraphs: paragraphs); r.language = language == .zh ? "zh-Hans" : "en"; return r.render(timeline) }()
        }
    }
}
