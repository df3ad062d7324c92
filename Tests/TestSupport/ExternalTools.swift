import Foundation
import Testing

/// Where the tests run: under CI (`CI` set; `.ci/run` sets it after installing every program the
/// tests use) or on a developer's machine, which may lack some of them.
package enum TestEnvironment {
    package static let underCI = ProcessInfo.processInfo.environment["CI"] != nil

    /// The first of `names` that is an executable on PATH (and /usr/sbin, /sbin), with its path.
    package static func which(_ names: String...) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = (path + ":/usr/sbin:/sbin").split(separator: ":")
        for name in names {
            for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }
}

/// A program some tests run besides TCPKit. A test that needs one says so with
/// `.requires(tool)`: where it is missing, Swift Testing reports the test as skipped, with the
/// reason, instead of letting it pass without checking anything; under CI the test runs anyway
/// and fails at `require()`, because CI installs them all.
package enum ExternalTool: String, Sendable, CaseIterable {
    /// Wireshark's command-line decoder (Debian: tshark).
    case tshark
    /// A headless browser (Debian: chromium).
    case chromium
    /// Mermaid's own parser: `node` on PATH and `TCPKIT_MERMAID_JS` naming a browser build of
    /// mermaid (`.ci/run` takes mermaid 11.12.0's from the PyPI package mmdc).
    case mermaid
    /// util-linux `script`, which runs a program on a pseudo-terminal (Debian: bsdutils).
    case script

    /// The program's path, or nil when it is missing here.
    package var path: String? {
        switch self {
        case .tshark: TestEnvironment.which("tshark")
        case .script: TestEnvironment.which("script")
        case .chromium: TestEnvironment.which("chromium", "chromium-browser")
        case .mermaid:
            ProcessInfo.processInfo.environment["TCPKIT_MERMAID_JS"].flatMap { js in
                FileManager.default.fileExists(atPath: js) ? TestEnvironment.which("node") : nil
            }
        }
    }

    /// How to get it.
    package var remedy: String {
        switch self {
        case .tshark: "apt-get install tshark"
        case .chromium: "apt-get install chromium"
        case .mermaid: "node on PATH and TCPKIT_MERMAID_JS naming mermaid.js; see .ci/run"
        case .script: "apt-get install bsdutils"
        }
    }

    /// Whether a test that needs it should run: it is here, or CI requires it.
    package var shouldRun: Bool { TestEnvironment.underCI || path != nil }

    /// The program's path inside a test that needs it: a recorded failure when it is missing
    /// (which only happens under CI, where `.requires` lets the test run regardless).
    package func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(path, "\(rawValue) is missing (\(remedy)); CI installs it", sourceLocation: sourceLocation)
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips the test, reported as skipped with the reason, when `tool` is missing outside CI.
    package static func requires(_ tool: ExternalTool) -> Self {
        .enabled(if: tool.shouldRun, "needs \(tool.rawValue) (\(tool.remedy)); skipped, not passed")
    }
}

/// The `tcpkit` binary that `swift test` builds beside the test bundle, run as a child process
/// for what only the binary can show (exit statuses, standard output against standard error, a
/// terminal).
package enum TCPKitTool {
    /// The built tool, if it is there.
    package static var url: URL? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let url = dir.appendingPathComponent("tcpkit")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    /// The tool, or a recorded failure that says it is missing (a test that needs it must not
    /// pass without running it; `swift test` always builds it).
    package static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        return try #require(url, "no tcpkit beside the test bundle in \(dir): build it with `swift build --build-tests` (swift test builds it too); the command was not run",
                            sourceLocation: sourceLocation)
    }

    /// Runs the tool (or `executable`) with `arguments`; its exit status, standard output and
    /// standard error.
    package static func run(_ arguments: [String], executable: URL? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> (status: Int32, output: String, errors: String) {
        let p = Process()
        p.executableURL = try executable ?? require(sourceLocation: sourceLocation)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Both pipes drained at once, so that neither can fill up and stall the child.
        nonisolated(unsafe) var e = Data()
        let errors = DispatchGroup()
        DispatchQueue.global().async(group: errors) { e = err.fileHandleForReading.readDataToEndOfFile() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        errors.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
