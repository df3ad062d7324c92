import ArgumentParser
import TCPSim
import TCPTrace
#if canImport(Glibc)
import Glibc
#endif

/// The pictures of a run, for every command that runs something and takes `--format`
/// (`scenario`; `simulate` can call this too, mapping its own formats onto `OutputFormat`).
enum Pictures {
    /// The timeline drawn in `format`. `.text` is the bare ladder (a command adds its heading and
    /// explanation around it); `color`, `condense` and `width` only matter for `.text`.
    static func render(_ format: OutputFormat, _ timeline: Timeline, title: String, paragraphs: [String] = [],
                       language: Language = .en, color: Bool = false, condense: Int? = nil, width: Int? = nil) -> String {
        switch format {
        case .text: LadderRenderer(color: color, condense: condense, width: width).render(timeline)
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

    /// Writes `bytes` to the file at `path` (`--output`, `--pcap`).
    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let f = fopen(path, "wb") else { throw ValidationError("cannot open \(path) for writing") }
        defer { fclose(f) }
        guard fwrite(bytes, 1, bytes.count, f) == bytes.count else { throw ValidationError("cannot write \(path)") }
    }

    /// Writes a line to standard error (the seed and replay lines of runs whose output is a file
    /// or a machine-readable format).
    static func standardError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
