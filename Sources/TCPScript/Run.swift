import TCPCore
import TCPTrace
import TCPWire

/// One run of a script (see `ScriptRunner` for the semantics it follows).
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
    /// The run's timeline (with `recordTimeline`): the stack's segments arrive as they are sent,
    /// the script's are drawn as they are injected.
    var recorder = TimelineRecorder(timeline: Timeline(hosts: ["remote", "local"]), segments: .instant)
    /// The previous event: its script time (µs), whether it was an inbound packet, whether its time was absolute.
    var last: (time: Int64, inbound: Bool, absolute: Bool, line: Int)?
    var steps = 0
    /// (script time, line) of every event run so far.
    var history: [(time: Int64, line: Int)] = []
    var transmitBuffer = [UInt8](repeating: 0, count: 65_600)
    /// `%{ }%` blocks met so far with the tcp_info they see; run at the end (Run+Python.swift).
    var codeBlocks: [CodeBlock] = []
    /// epoll instances and pipes by descriptor (Run+Poll.swift).
    var epolls: [Int64: EpollInstance] = [:]
    var pipes: [Int64: PipeEnd] = [:]
    /// Files open for reading (Run+Files.swift): descriptor → the file's path and size.
    var openFiles: [Int64: (path: String, size: Int)] = [:]

    static let maxSteps = 5_000_000
    /// Tolerances beyond a day mean "any time" and keep the arithmetic far from overflow.
    static let maxToleranceMicros: Int64 = 86_400_000_000
    /// Virtual time never runs past this (a guard against scripts that wait forever).
    static let horizon = Instant.seconds(24 * 3600)

    init(script: Script, source: String, options: ScriptRunOptions) {
        self.script = script
        self.lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        self.options = options
    }

    // MARK: Results

    func text(of line: Int) -> String {
        line >= 1 && line <= lines.count ? String(lines[line - 1]).trimmingSpaces : ""
    }

    func failure(_ line: Int, _ message: String, expected: String? = nil, actual: String? = nil) -> Stop {
        .fail(ScriptFailure(line: line, lineText: text(of: line), message: message, expected: expected, actual: actual))
    }

    func note(_ text: String) {
        if options.recordTimeline { recorder.note(text, host: "local", at: now) }
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
        if case .fail(let f) = outcome, let why = conditionalFeatureInPlay() {
            outcome = .unsupported("\(why) (the difference, at line \(f.line): \(f.message))")
        }
        collectTrace()
        if options.recordTimeline {
            recorder.timeline.labels["remote"] = settings.remoteIP.description + " (the script)"
            recorder.timeline.labels["local"] = settings.localIP.description + " (TCPKit)"
        }
        return ScriptResult(outcome: outcome, notes: settings.notes, timeline: options.recordTimeline ? recorder.timeline : nil)
    }

    // MARK: Before the first event

    static let supportedCalls: Set<String> = [
        "socket", "bind", "listen", "accept", "connect", "read", "recv", "recvfrom", "write", "send", "sendto",
        "close", "shutdown", "fcntl", "setsockopt", "getsockopt", "poll", "ioctl",
    ]

    /// Options, then a dry run over everything that could make the script UNSUPPORTED, so that the
    /// verdict does not depend on how far the run gets.
    func prepare() throws(Stop) {
        settings = RunSettings(profile: options.profile ?? scriptProfile() ?? chooseProfile())
        settings.scriptDirectory = options.scriptDirectory
        if let (line, why) = settings.apply(options: script.options) {
            throw failure(line, why)
        }
        var dry = settings
        if let c = script.initCommand, case .unsupported(let why) = dry.apply(shell: c.text) {
            throw .unsupported("line \(c.line): \(why)")
        }
        for e in script.events {
            switch e.action {
            case .code(let text):
                try checkCodeBlock(text, line: e.line)
            case .unsupportedPacket(let why):
                throw .unsupported("line \(e.line): \(why)")
            case .command(let c):
                if case .unsupported(let why) = dry.apply(shell: c.text) { throw .unsupported("line \(c.line): \(why)") }
            case .syscall(let s):
                guard Run.supportedCalls.contains(s.name) || Run.issue17Calls.contains(s.name) else {
                    throw .unsupported("line \(e.line): system call \(s.name)() is not supported")
                }
                try checkCall(s, line: e.line)
            case .packet:
                break
            }
        }
        if let c = script.initCommand, case .failed(let why) = settings.apply(shell: c.text, host: shellHost()) {
            throw failure(c.line, why)
        }
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
            stack = TCPStack(addresses: [settings.localIP], configuration: configuration, random: &rng, secrets: .seeded)
            stack!.fastOpen = settings.fastOpen   // a sysctl, not the configuration: may change later
            for (destination, metrics) in settings.routes { stack!.setRouteMetrics(metrics, for: destination, now: now) }
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
                // Settings that only new connections read change the live stack
                // (`TCPStack.updateConfiguration`); the rest would change open connections.
                var live = new.configuration
                live.trace = stack?.configuration.trace ?? live.trace
                guard stack != nil, (try? stack!.updateConfiguration(live)) != nil else {
                    throw .unsupported("line \(line): \(what) changes the engine's configuration after connections exist; the engine's configuration is per stack")
                }
                settings = new
                return
            }
            stack = nil
        }
        settings = new
    }

    /// Moves what the stack emitted, its events and its trace into the run's state.
    func drain() {
        guard stack != nil else { return }
        // Acknowledgments first, as Linux timestamps ACKs before the ACK releases more data
        // (the socket error queue, Run+ErrorQueue.swift).
        serviceErrorQueues()
        while true {
            let n = transmitBuffer.withUnsafeMutableBytes { stack!.pollTransmit(now: now, into: $0) }
            guard let n else { break }
            collectTrace()
            if let seg = WireSegment.parse(Array(transmitBuffer[0..<n]), time: now) {
                outbound.append(seg)
                errorQueueSaw(seg)   // transmit timestamps (Run+ErrorQueue.swift)
            }
        }
        while let e = stack!.pollEvent() {
            if case .peerClosed(let id) = e { peerClosed.insert(id) }
        }
        serviceErrorQueues()
        collectTrace()
    }

    func collectTrace() {
        guard options.recordTimeline, stack != nil else { return }
        while let r = stack!.pollTrace() { recorder.record(r, host: "local") }
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
            switch new.apply(shell: c.text, host: shellHost()) {
            case .applied: break
            case .unsupported(let why): throw .unsupported("line \(c.line): \(why)")
            case .failed(let why): throw failure(c.line, why)
            }
            let flushes = settings.fastOpenCacheFlushes, routes = settings.routes
            try reconfigure(new, line: c.line, what: "`\(c.text)`")
            // Routes change on a live stack, resizing the connections open to them (TCPStack+RouteMetrics.swift).
            for (destination, metrics) in settings.routes where routes[destination] != metrics {
                stack?.setRouteMetrics(metrics, for: destination, now: now)
            }
            stack?.fastOpen = settings.fastOpen   // TCP Fast Open: sysctls apply at once (Run+FastOpen.swift)
            if settings.fastOpenCacheFlushes != flushes { stack?.flushFastOpenCache() }
        case .code(let text):
            try waitForEvent(start, previous: previous, what: "%{ }% block", line: e.line)
            try recordCodeBlock(text, line: e.line)
        case .unsupportedPacket:
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
        // Segments the stack sent that no line of the script accounted for. Outbound lines take
        // a socket's segments in order, so what is left came after the last one matched: packetdrill
        // reads the tun device only for an outbound line and so never sees these (run_packet.c
        // sniffs per event; nothing checks at the end). They are let go, noted, unless --strict.
        for seg in outbound {
            guard let s = sockets.first(where: { belongs(seg, to: $0) }) else { continue }
            let t = seg.time.nanoseconds / 1000
            guard options.strict else {
                note("let go an outbound packet no script line reads: \(SegmentText.flags(seg.flags)) at \(formatMicros(t)) (packetdrill never sniffs it; --strict fails it)")
                continue
            }
            throw failure(lineBefore(t), "unexpected outbound packet at \(formatMicros(t)) sec: no script line expects it",
                          expected: "(no packet)", actual: render(seg, for: s) + " at \(formatMicros(t))")
        }
        try runCodeBlocks()
    }

    /// The line of the last event at or before script time `t`, for messages.
    func lineBefore(_ t: Int64) -> Int { history.last { $0.time <= t }?.line ?? history.first?.line ?? 0 }
}

