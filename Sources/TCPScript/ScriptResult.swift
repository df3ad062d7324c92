import TCPTrace

/// Why a script failed: where, what, and the expected and actual segment or call.
public struct ScriptFailure: Sendable, Hashable, CustomStringConvertible {
    /// Script line (1-based); 0 when the failure belongs to no line.
    public var line: Int
    /// The script's text on that line.
    public var lineText: String
    public var message: String
    public var expected: String?
    public var actual: String?
    /// Whose failure it is: the engine's behaviour (every FAIL of a script that ran), or the
    /// runner's own, a script it could not parse or read; a report counts these apart.
    public var cause: Cause

    public enum Cause: String, Sendable, Hashable {
        case behaviour
        /// The script is not in the language the parser reads; `message` begins "parse error".
        case parseError = "parse error"
        /// The file could not be read.
        case unreadable
    }

    public init(line: Int, lineText: String, message: String, expected: String? = nil, actual: String? = nil,
                cause: Cause = .behaviour) {
        self.line = line
        self.lineText = lineText
        self.message = message
        self.expected = expected
        self.actual = actual
        self.cause = cause
    }

    public var description: String {
        var s = line > 0 ? "line \(line): \(message)" : message
        if let expected, let actual { s += " (expected: \(expected); actual: \(actual))" }
        return s
    }

    /// The script line, then expected and actual side by side (stacked when they are too wide).
    public func detailLines(indent: String = "    ") -> [String] {
        var out: [String] = []
        if line > 0 { out.append("\(indent)script line \(line): \(lineText)") }
        guard expected != nil || actual != nil else { return out }
        let e = expected ?? "-", a = actual ?? "-"
        let width = max(e.count, "expected".count) + 3
        if width + a.count <= 110 {
            func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
            out.append(indent + pad("expected") + "actual")
            out.append(indent + pad(e) + a)
        } else {
            out.append("\(indent)expected: \(e)")
            out.append("\(indent)actual:   \(a)")
        }
        return out
    }
}

/// The verdict on one script.
public enum ScriptOutcome: Sendable, Hashable {
    case pass
    case fail(ScriptFailure)
    /// The script needs something TCPKit cannot do here (a shell command, a `%{ }%` block, a
    /// system call or setting it does not model); never a silent pass.
    case unsupported(String)
}

public struct ScriptResult: Sendable {
    public var outcome: ScriptOutcome
    /// Options ignored and settings recorded but not applied.
    public var notes: [String]
    /// The run, for the ladder diagram (with `recordTimeline`).
    public var timeline: Timeline?

    public var isPass: Bool { outcome == .pass }
    public var failure: ScriptFailure? { if case .fail(let f) = outcome { f } else { nil } }
    public var unsupportedReason: String? { if case .unsupported(let r) = outcome { r } else { nil } }
}
