import Foundation
import TCPCore
import TCPTrace

/// Runs script files and directories and writes what `tcpkit script run` prints: one line per
/// script (PASS, FAIL with the script line and the expected and actual segment or call, or
/// UNSUPPORTED with the reason), and finally `N passed, N failed, N unsupported`.
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
            return ScriptResult(outcome: .fail(ScriptFailure(line: 0, lineText: "", message: "cannot read \(path)")), notes: [], timeline: nil)
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
        var totals = Totals()
        let options = ScriptRunOptions(strict: strict, recordTimeline: verbose, profile: profile)
        for path in collect(paths) {
            let result = run(file: path, options: options)
            switch result.outcome {
            case .pass: totals.passed += 1
            case .fail: totals.failed += 1
            case .unsupported: totals.unsupported += 1
            }
            for line in report(path: path, result: result, verbose: verbose, width: width) { write(line) }
        }
        write(totals.summary)
        return totals
    }
}
