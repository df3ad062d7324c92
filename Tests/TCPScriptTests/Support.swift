import Testing
@testable import TCPScript

/// Runs an inline script and returns the result.
func run(_ source: String, strict: Bool = false, timeline: Bool = false) -> ScriptResult {
    ScriptRunner.run(source: source, options: ScriptRunOptions(strict: strict, recordTimeline: timeline))
}

/// Expects a PASS; on anything else records why.
func expectPass(_ source: String, strict: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
    let r = run(source, strict: strict)
    switch r.outcome {
    case .pass: break
    case .fail(let f):
        let text = "expected PASS, got FAIL: \(f)\n" + f.detailLines().joined(separator: "\n")
        Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
    case .unsupported(let why):
        Issue.record("expected PASS, got UNSUPPORTED: \(why)", sourceLocation: sourceLocation)
    }
}

/// Expects a FAIL at `line` whose message contains `message`; returns the failure.
@discardableResult
func expectFail(_ source: String, line: Int, _ message: String, strict: Bool = false,
                sourceLocation: SourceLocation = #_sourceLocation) -> ScriptFailure? {
    let r = run(source, strict: strict)
    guard case .fail(let f) = r.outcome else {
        Issue.record("expected FAIL, got \(r.outcome)", sourceLocation: sourceLocation)
        return nil
    }
    #expect(f.line == line, "failure at line \(f.line), expected line \(line): \(f)", sourceLocation: sourceLocation)
    #expect(f.message.contains(message), "message '\(f.message)' does not contain '\(message)'", sourceLocation: sourceLocation)
    return f
}

/// Expects each script to be UNSUPPORTED with a reason that names the given feature.
func expectUnsupported(_ cases: [(script: String, names: String)], sourceLocation: SourceLocation = #_sourceLocation) {
    for (script, name) in cases {
        guard case .unsupported(let why) = run(script).outcome else {
            Issue.record("\(script): expected UNSUPPORTED, got \(run(script).outcome)", sourceLocation: sourceLocation)
            continue
        }
        #expect(why.contains(name), "\(why)", sourceLocation: sourceLocation)
    }
}

/// A passive open as most scripts begin: listen, the peer's SYN, our SYN-ACK, the peer's ACK, accept.
let passiveOpen = """
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 32792 <mss 1000>
+0  > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 32792
+0  accept(3, ..., ...) = 4

"""
