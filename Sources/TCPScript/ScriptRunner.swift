import TCPCore
import TCPTrace
import TCPWire

/// Runs a packetdrill script against a `TCPStack`, in-process, on virtual time.
///
/// The stack is the local side (packetdrill's "kernel under test"); the script plays the remote
/// side. Time starts at 0 and jumps: to the time of the next event, or to the stack's next timer
/// deadline when the runner waits for something (an outbound packet, a blocking call). Timers fire
/// as time passes them, exactly as a driver of the engine would fire them.
///
/// The semantics follow packetdrill (run.c, run_packet.c, run_system_call.c):
/// - a relative time is relative to the moment the previous event finished, except that
///   consecutive inbound packets are relative to each other's script times;
/// - an inbound packet is injected at its time (which must be reached within the tolerance);
/// - an outbound packet line takes the next packet the stack sends for the socket under test,
///   whenever it comes, and then checks it, its time included;
/// - a system call without `...end` runs at its time; if it blocks, time moves on through the
///   stack's timers until it returns (nothing else in the script can happen meanwhile, as in
///   packetdrill, whose main thread would be stuck in the call); one with `...end` starts at its
///   time, runs alongside the events after it, and must return at its end time;
/// - sequence numbers: inbound segments are injected as written (the remote ISN is the script's),
///   inbound ACKs and SACK blocks are moved by (live local ISN − script local ISN), outbound
///   sequence numbers are moved back by the same offset; the script's local ISN is the sequence
///   number of its outbound SYN or SYN-ACK, the live one that of the stack's; TS ecr values are
///   mapped through the TS val values seen so far, as packetdrill does.
///
/// The matcher for outbound packets is tolerant by default (see `OutboundMatch`).
public enum ScriptRunner {
    /// Parses and runs a script. A parse error is a FAIL at its line whose `cause` is
    /// `.parseError` (the message begins "parse error"), so that a report tells it from a FAIL of
    /// the engine's behaviour.
    public static func run(source: String, options: ScriptRunOptions = ScriptRunOptions()) -> ScriptResult {
        let script: Script
        do {
            script = try ScriptParser.parse(source, defines: options.defines)
        } catch {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            let text = error.line >= 1 && error.line <= lines.count ? String(lines[error.line - 1]).trimmingSpaces : ""
            return ScriptResult(outcome: .fail(ScriptFailure(line: error.line, lineText: text, message: "parse error: " + error.what,
                                                             cause: .parseError)),
                                notes: [], timeline: nil)
        }
        return run(script: script, source: source, options: options)
    }

    public static func run(script: Script, source: String, options: ScriptRunOptions = ScriptRunOptions()) -> ScriptResult {
        Run(script: script, source: source, options: options).run()
    }
}

/// Ends a run early.
enum Stop: Error {
    case fail(ScriptFailure)
    case unsupported(String)
}
