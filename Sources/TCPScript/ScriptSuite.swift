import Foundation
import TCPCore
import TCPTrace

/// Runs script files and directories and writes what `tcpkit script run` prints: one line per
/// script (PASS, FAIL with the script line and the expected and actual segment or call, or
/// UNSUPPORTED with the reason), then the folder table and the most frequent reasons
/// (`ScriptReport`), and finally `N passed, N failed, N unsupported`.
public enum ScriptSuite {
    public struct Totals: Sendable, Hashable {
        public var passed = 0
        public var failed = 0
        public var unsupported = 0
        public init() {}
        public var summary: String { "\(passed) passed, \(failed) failed, \(unsupported) unsupported" }
    }

    /// The scripts named by `paths`: files as given, directories searched recursively for
    /// `.pkt` files (sorted by path). A path that does not exist is kept, to be reported.
    public static func collect(_ paths: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDirectory), isDirectory.boolValue else {
                out.append(p)
                continue
            }
            var found: [String] = []
            if let e = fm.enumerator(atPath: p) {
                while let rel = e.nextObject() as? String {
                    if rel.hasSuffix(".pkt") { found.append((p as NSString).appendingPathComponent(rel)) }
                }
            }
            out += found.sorted()
        }
        return out
    }

    /// Runs one file.
    public static func run(file path: String, options: ScriptRunOptions) -> ScriptResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            return ScriptResult(outcome: .fail(ScriptFailure(line: 0, lineText: "", message: "cannot read \(path)", cause: .unreadable)),
                                notes: [], timeline: nil)
        }
        var options = options
        if options.scriptDirectory == nil { options.scriptDirectory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent }
        return ScriptRunner.run(source: String(decoding: data, as: UTF8.self), options: options)
    }

    /// The lines printed for one script's result.
    /// `width`: the ladder (indented by 4) fits this many columns (see `LadderRenderer.width`).
    public static func report(path: String, result: ScriptResult, verbose: Bool, width: Int? = nil) -> [String] {
        var out: [String] = []
        switch result.outcome {
        case .pass:
            out.append("PASS         \(path)")
        case .fail(let f):
            out.append("FAIL         \(path)\(f.line > 0 ? ":\(f.line)" : ""): \(f.message)")
            out += f.detailLines()
        case .unsupported(let why):
            out.append("UNSUPPORTED  \(path): \(why)")
        }
        if verbose {
            out += result.notes.map { "    note: \($0)" }
            if let t = result.timeline {
                out.append("")
                out += LadderRenderer(color: false, width: width.map { $0 - 4 }).render(t).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            }
        }
        return out
    }

    /// Runs every script named by `paths`, writing the report line by line; returns the totals.
    /// `profile`: whose defaults every run starts from (nil: chosen per script from its settings).
    public static func run(paths: [String], strict: Bool = false, verbose: Bool = false, width: Int? = nil,
                           profile: TCPConfiguration.Profile? = nil, write: (String) -> Void) -> Totals {
        var options = ScriptRunOptions(strict: strict, profile: profile)
        options.recordTimeline = verbose
        let t = run(paths: paths, options: options, verbose: verbose, width: width, write: write).totals
        var totals = Totals()
        totals.passed = t.passed
        totals.failed = t.failed
        totals.unsupported = t.unsupported
        return totals
    }

    /// Runs every script named by `paths` with `options`; `write` receives the per-script lines as
    /// each script ends, then `ScriptReport.summaryLines()`. Returns the report (for `json()` or
    /// `markdown(title:)`).
    @discardableResult
    public static func run(paths: [String], options: ScriptRunOptions, verbose: Bool = false, width: Int? = nil,
                           write: (String) -> Void = { _ in }) -> ScriptReport {
        var report = ScriptReport()
        for (path, display, folder) in collectForReport(paths) {
            let result = run(file: path, options: options)
            report.entries.append(ScriptReport.Entry(path: path, displayPath: display, folder: folder, outcome: result.outcome))
            for line in self.report(path: path, result: result, verbose: verbose, width: width) { write(line) }
        }
        report.summaryLines().forEach(write)
        return report
    }

    /// `collect(paths)`, each with the path and the folder a report shows: relative to the
    /// directory when `paths` is one directory, otherwise as collected.
    static func collectForReport(_ paths: [String]) -> [(path: String, display: String, folder: String)] {
        var isDirectory: ObjCBool = false
        var root: String?
        if paths.count == 1, FileManager.default.fileExists(atPath: paths[0], isDirectory: &isDirectory), isDirectory.boolValue {
            root = paths[0].hasSuffix("/") ? paths[0] : paths[0] + "/"
        }
        return collect(paths).map { path in
            var display = path
            if let root, path.hasPrefix(root) { display = String(path.dropFirst(root.count)) }
            let folder = (display as NSString).deletingLastPathComponent
            return (path, display, folder.isEmpty ? "." : folder)
        }
    }
}
