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
    /// Parses and runs a script. A parse error is a FAIL at its line.
    public static func run(source: String, options: ScriptRunOptions = ScriptRunOptions()) -> ScriptResult {
        let script: Script
        do {
            script = try ScriptParser.parse(source)
        } catch {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            let text = error.line >= 1 && error.line <= lines.count ? String(lines[error.line - 1]).trimmingSpaces : ""
            return ScriptResult(outcome: .fail(ScriptFailure(line: error.line, lineText: text, message: error.description)),
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

/// A script's socket, as packetdrill tracks it: its state in the handshake bookkeeping, its
/// live ports and the sequence-number offsets, plus what the socket layer keeps (flags, options).
final class ScriptSocket {
    enum State {
        case new, listening
        case passivePacketReceived, passiveSynAckSent, passiveSynAcked
        case activeConnecting, activeSynSent, activeSynAcked
    }
    var state: State = .new
    var localPort: UInt16?
    var remotePort: UInt16?
    var scriptLocalISN: UInt32 = 0
    var liveLocalISN: UInt32 = 0
    /// Outbound TS val, script value -> live value (packetdrill's ts_val_map).
    var tsValMap: [UInt32: UInt32] = [:]
    var firstTS: (script: UInt32, live: UInt32)?

    var listener: ListenerID?
    /// Connections poll() took from the listener's queue to see it was not empty; accept() gives
    /// them out first.
    var preAccepted: [ConnectionID] = []
    var connection: ConnectionID?
    var boundPort: UInt16?
    var nonblocking = false
    var linger: (on: Bool, seconds: Int64)?
    /// The connection's error was reported to the application once (Linux reports sk_err once).
    var errorConsumed = false
    var readShutdown = false
    var writeShutdown = false
    var reuseAddress: Int64 = 0
    var noDelay: Int64 = 0
    /// TCP options set with setsockopt (TCP_NODELAY, SO_KEEPALIVE, TCP_KEEP*, TCP_USER_TIMEOUT);
    /// nil until the script sets one. A listening socket passes its options to accepted ones.
    var tcpOptions: ConnectionOptions?

    /// Live local sequence number -> script space.
    func scriptSeq(_ live: UInt32) -> UInt32 { live &- liveLocalISN &+ scriptLocalISN }
    /// Script ACK (of our data) -> live.
    func liveAck(_ script: UInt32) -> UInt32 { script &+ liveLocalISN &- scriptLocalISN }
}

/// A system call in progress.
struct Call {
    var spec: SyscallSpec
    var line: Int
    /// Script times (µs) of its start and, for `...end` calls, of its expected return.
    var start: Int64
    var end: Int64?
    var phase = 0
    var progress = 0
    /// A poll() timeout.
    var deadline: Instant?
    /// Checks made after the result: (message, expected, actual).
    var after: [(String, String, String)] = []
}

enum CallResult: Equatable {
    case value(Int64)
    case error(String)
}

enum Attempt {
    case done(CallResult)
    case wouldBlock
}

final class Run {
    let script: Script
    let lines: [Substring]
    let options: ScriptRunOptions
    var settings = RunSettings()

    var stack: TCPStack?
    var stackInUse = false
    var now = Instant.zero
    /// Outbound segments the script has not consumed yet, in emission order.
    var outbound: [WireSegment] = []
    var sockets: [ScriptSocket] = []
    var fds: [Int64: ScriptSocket] = [:]
    /// packetdrill's "socket under test": where inbound packets go and outbound ones come from.
    var sut: ScriptSocket?
    var pending: Call?
    var nextRemotePort: UInt16 = 40_000
    var peerClosed: Set<ConnectionID> = []
    var timeline: Timeline
    var packetNumber = 0
    /// The previous event: its script time (µs), whether it was an inbound packet, whether its time was absolute.
    var last: (time: Int64, inbound: Bool, absolute: Bool, line: Int)?
    var steps = 0
    /// (script time, line) of every event run so far.
    var history: [(time: Int64, line: Int)] = []
    var transmitBuffer = [UInt8](repeating: 0, count: 65_600)

    static let maxSteps = 5_000_000
    /// Tolerances beyond a day mean "any time" and keep the arithmetic far from overflow.
    static let maxToleranceMicros: Int64 = 86_400_000_000
    /// Virtual time never runs past this (a guard against scripts that wait forever).
    static let horizon = Instant.seconds(24 * 3600)

    init(script: Script, source: String, options: ScriptRunOptions) {
        self.script = script
        self.lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        self.options = options
        timeline = Timeline(hosts: ["remote", "local"])
    }

    // MARK: Results

    func text(of line: Int) -> String {
        line >= 1 && line <= lines.count ? String(lines[line - 1]).trimmingSpaces : ""
    }

    func failure(_ line: Int, _ message: String, expected: String? = nil, actual: String? = nil) -> Stop {
        .fail(ScriptFailure(line: line, lineText: text(of: line), message: message, expected: expected, actual: actual))
    }

    func note(_ text: String) {
        if options.recordTimeline { timeline.append(.init(time: now, host: "local", kind: .note(text))) }
    }

    func run() -> ScriptResult {
        var outcome = ScriptOutcome.pass
        do {
            try prepare()
            for event in script.events { try runEvent(event) }
            try finish()
        } catch {
            switch error {
            case .fail(let f):
                outcome = .fail(f)
                note("✗ line \(f.line): \(f.message)")
            case .unsupported(let r):
                outcome = .unsupported(r)
            }
        }
        collectTrace()
        if options.recordTimeline {
            timeline.labels["remote"] = settings.remoteIP.description + " (the script)"
            timeline.labels["local"] = settings.localIP.description + " (TCPKit)"
        }
        return ScriptResult(outcome: outcome, notes: settings.notes, timeline: options.recordTimeline ? timeline : nil)
    }

    // MARK: Before the first event

    static let supportedCalls: Set<String> = [
        "socket", "bind", "listen", "accept", "connect", "read", "recv", "recvfrom", "write", "send", "sendto",
        "close", "shutdown", "fcntl", "setsockopt", "getsockopt", "poll",
    ]

    /// Options, then a dry run over everything that could make the script UNSUPPORTED, so that the
    /// verdict does not depend on how far the run gets.
    func prepare() throws(Stop) {
        if let (line, why) = settings.apply(options: script.options) {
            throw failure(line, why)
        }
        var dry = settings
        if let c = script.initCommand, case .unsupported(let why) = dry.apply(shell: c.text) {
            throw .unsupported("line \(c.line): \(why)")
        }
        for e in script.events {
            switch e.action {
            case .code:
                throw .unsupported("line \(e.line): %{ }% code blocks (Python assertions) are not supported")
            case .unsupportedPacket(let why):
                throw .unsupported("line \(e.line): \(why)")
            case .command(let c):
                if case .unsupported(let why) = dry.apply(shell: c.text) { throw .unsupported("line \(c.line): \(why)") }
            case .syscall(let s):
                guard Run.supportedCalls.contains(s.name) else {
                    throw .unsupported("line \(e.line): system call \(s.name)() is not supported")
                }
            case .packet:
                break
            }
        }
        if let c = script.initCommand { _ = settings.apply(shell: c.text) }
        if let c = script.cleanupCommand {
            var after = settings
            if case .unsupported(let why) = after.apply(shell: c.text) {
                settings.notes.append("cleanup command on line \(c.line) not run: \(why)")
            }
        }
    }

    // MARK: The stack

    @discardableResult
    func ensureStack() -> Int {
        if stack == nil {
            var configuration = settings.configuration
            configuration.trace = options.recordTimeline
            var rng = SplitMix64(seed: options.seed)
            stack = TCPStack(addresses: [settings.localIP], configuration: configuration, random: &rng)
        }
        return 0
    }

    /// Applies changed settings: a stack with nothing in it yet is simply rebuilt; one that holds
    /// connections cannot change its configuration.
    func reconfigure(_ new: RunSettings, line: Int, what: String) throws(Stop) {
        var a = new.configuration, b = settings.configuration
        a.trace = false
        b.trace = false
        if a != b {
            if stackInUse {
                throw .unsupported("line \(line): \(what) changes the engine's configuration after connections exist; the engine's configuration is per stack")
            }
            stack = nil
        }
        settings = new
    }

    /// Moves what the stack emitted, its events and its trace into the run's state.
    func drain() {
        guard stack != nil else { return }
        while true {
            let n = transmitBuffer.withUnsafeMutableBytes { stack!.pollTransmit(now: now, into: $0) }
            guard let n else { break }
            collectTrace()
            if let seg = WireSegment.parse(Array(transmitBuffer[0..<n]), time: now) {
                outbound.append(seg)
            }
        }
        while let e = stack!.pollEvent() {
            if case .peerClosed(let id) = e { peerClosed.insert(id) }
        }
        collectTrace()
    }

    func collectTrace() {
        guard options.recordTimeline, stack != nil else { return }
        while let r = stack!.pollTrace() {
            let kind: Timeline.Kind
            switch r.kind {
            case let .state(from, to): kind = .state(from: from, to: to)
            case let .send(s):
                packetNumber += 1
                kind = .send(packet: packetNumber, s, fate: .delivered(at: r.time))
            case let .drop(reason, s): kind = .drop(reason, s)
            case let .timer(t): kind = .timer(t)
            case let .info(info): kind = .info(info, connection: r.connection)
            case .receive, .event: continue
            }
            timeline.append(.init(time: r.time, host: "local", kind: kind))
        }
    }

    // MARK: Time

    var nowMicros: Int64 { now.nanoseconds / 1000 }
    static func instant(_ us: Int64) -> Instant { Instant(nanoseconds: us &* 1000) }

    /// The tolerance for an event at script time `t` (packetdrill's verify_time: fixed, or a
    /// percentage of the time since the previous event when that is larger).
    func tolerance(_ t: Int64, since previous: Int64?) -> Int64 {
        var tol = min(settings.toleranceMicros, Run.maxToleranceMicros)
        if let previous, settings.tolerancePercent > 0 {
            let dynamic = settings.tolerancePercent / 100 * Double(t - previous)
            if dynamic.isFinite { tol = max(tol, Int64(min(dynamic, Double(Run.maxToleranceMicros)))) }
        }
        return tol
    }

    /// The next thing that happens by itself: a stack timer, a pending call's timeout, or `extra`
    /// (the timeout of a call blocking the script).
    func nextWakeup(_ extra: Instant? = nil) -> Instant? {
        var next = stack?.nextDeadline
        for d in [pending?.deadline, extra] {
            if let d, next == nil || d < next! { next = d }
        }
        return next
    }

    /// Fires the next timer if it is due by `limit`. Returns false when nothing is due by then.
    func step(until limit: Instant, extra: Instant? = nil, checkPending: Bool = true) throws(Stop) -> Bool {
        guard let next = nextWakeup(extra), next <= limit else { return false }
        steps += 1
        guard steps < Run.maxSteps else {
            throw .fail(ScriptFailure(line: 0, lineText: "", message: "the engine's timers keep firing without end (\(Run.maxSteps) steps)"))
        }
        if next > now { now = next }
        stack?.handleTimeout(now: now)
        drain()
        if checkPending { try self.checkPending() }
        return true
    }

    /// Lets time pass up to `t`, firing every timer due by then.
    func advance(to t: Instant) throws(Stop) {
        while try step(until: t) {}
        if t > now { now = t }
    }

    // MARK: Events

    func runEvent(_ e: Event) throws(Stop) {
        let inbound: Bool
        if case .packet(let p) = e.action { inbound = p.direction == .inbound } else { inbound = false }
        // Script times of this event (packetdrill's adjust_relative_event_times).
        var start: Int64 = 0, end: Int64? = nil
        var raw: Int64 = 0
        switch e.time {
        case .absolute(let t): start = t; raw = t
        case .absoluteRange(let a, let b): start = a; end = b; raw = a
        case .relative(let t), .relativeRange(let t, _):
            raw = t
            let offset = (last?.inbound == true && inbound) ? last!.time : nowMicros
            start = offset + t
            if case .relativeRange(_, let b) = e.time { end = offset + b }
        case .any:
            start = nowMicros
        }
        if last == nil, raw != 0 {
            throw failure(e.line, "first event should be at time 0")
        }
        var isAbsolute = false
        if case .absolute = e.time { isAbsolute = true }
        if case .absoluteRange = e.time { isAbsolute = true }
        if let l = last, l.absolute, isAbsolute, start < l.time {
            throw failure(e.line, "time goes backward in script from \(formatMicros(l.time)) to \(formatMicros(start))")
        }
        let previous = last?.time
        defer {
            last = (start, inbound, isAbsolute, e.line)
            history.append((start, e.line))
        }

        switch e.action {
        case .packet(let p) where p.direction == .inbound:
            try waitForEvent(start, previous: previous, what: "inbound packet", line: e.line)
            try inject(p, line: e.line)
        case .packet(let p):
            try expectOutbound(p, event: e, start: start, end: end, previous: previous)
        case .syscall(let s):
            var callEnd: Int64? = nil
            if let t = s.endTime { callEnd = e.time.isRelative ? start - raw + t : t }
            try systemCall(s, line: e.line, start: start, end: callEnd, previous: previous)
        case .command(let c):
            try waitForEvent(start, previous: previous, what: "command", line: e.line)
            var new = settings
            if case .unsupported(let why) = new.apply(shell: c.text) { throw .unsupported("line \(c.line): \(why)") }
            try reconfigure(new, line: c.line, what: "`\(c.text)`")
        case .code, .unsupportedPacket:
            break   // rejected in prepare()
        }
    }

    /// packetdrill's wait_for_event + check_event_time.
    func waitForEvent(_ t: Int64, previous: Int64?, what: String, line: Int) throws(Stop) {
        try advance(to: Run.instant(t))
        let tol = tolerance(t, since: previous)
        let actual = nowMicros
        if actual < t - tol || actual > t + tol {
            throw failure(line, "timing error: expected \(what) at \(formatMicros(t)) sec but happened at \(formatMicros(actual)) sec; tolerance \(formatMicros(tol)) sec",
                          expected: formatMicros(t), actual: formatMicros(actual))
        }
    }

    /// Waits (up to one second, as packetdrill's await_idle_thread) for a blocking call to return.
    /// Returns false if it is still blocked.
    func awaitIdle() throws(Stop) -> Bool {
        guard pending != nil else { return true }
        let limit = now + .seconds(1)
        while pending != nil {
            guard try step(until: limit) else { break }
        }
        return pending == nil
    }

    func finish() throws(Stop) {
        if let p = pending, !(try awaitIdle()) {
            throw failure(p.line, "the blocking call \(p.spec.name)() had not returned when the script ended")
        }
        // Segments the stack sent that no line of the script accounted for. Like packetdrill, a
        // segment sent at the very end (with the last event) is let go unless --strict.
        let lastTime = last?.time ?? 0
        let tol = settings.toleranceMicros
        for seg in outbound {
            guard let s = sockets.first(where: { belongs(seg, to: $0) }) else { continue }
            let t = seg.time.nanoseconds / 1000
            if options.strict || t < lastTime - tol {
                let line = lineBefore(t)
                throw failure(line, "unexpected outbound packet at \(formatMicros(t)) sec: no script line expects it",
                              expected: "(no packet)", actual: render(seg, for: s) + " at \(formatMicros(t))")
            }
        }
    }

    /// The line of the last event at or before script time `t`, for messages.
    func lineBefore(_ t: Int64) -> Int { history.last { $0.time <= t }?.line ?? history.first?.line ?? 0 }
}

