import TCPCore
import TCPWire

/// The ladder diagram as text: the left host's column, the arrows, the right host's column, one
/// row per thing that happened, time on the left. Absolute and relative (to each side's ISN)
/// sequence and acknowledgment numbers, windows and lengths on every arrow; lost segments end in
/// ✕; state changes stand in the column of the host they happen on.
public struct LadderRenderer: Sendable {
    public var color: Bool
    /// Width of the arrow column.
    public var arrowWidth: Int = 64
    /// Width of each host's column.
    public var sideWidth: Int = 27
    /// Condensed mode for long transfers: in a stretch of ordinary segments (no SYN, FIN or RST,
    /// delivered, not retransmitted; the notes and receptions between them) this many segments
    /// are drawn at its start and at its end, and one line sums up those between. Nil: every
    /// segment is drawn. State changes, losses, retransmissions, drops and timers always are.
    public var condense: Int? = nil
    /// Stretches of the ladder replaced by lines of text (the bulk scenario's one line per round
    /// trip): the entries of `timeline.sorted` whose indices fall in a fold's `range` are not
    /// drawn, though they still move the states and relative numbers; the fold's `lines` are
    /// printed where its range begins. Folds must not overlap; `condense` ignores folded entries.
    public var folds: [Fold] = []

    public struct Fold: Sendable, Hashable {
        public var range: Range<Int>
        public var lines: [String]
        public init(range: Range<Int>, lines: [String]) {
            self.range = range
            self.lines = lines
        }
    }

    public init(color: Bool = false, condense: Int? = nil, folds: [Fold] = []) {
        self.color = color
        self.condense = condense
        self.folds = folds
    }

    public func render(_ timeline: Timeline) -> String {
        guard timeline.hosts.count >= 2 else { return "" }
        let left = timeline.hosts[0], right = timeline.hosts[1]
        var out = ""
        var rel = RelativeNumbers()
        var state: [String: TCPState] = [:]
        for e in timeline.entries {
            if case let .state(from, _) = e.kind, state[e.host] == nil { state[e.host] = from }
        }
        // A host whose state never changes has no connection at all: CLOSED (RFC 9293 §3.3.2).
        for h in timeline.hosts where state[h] == nil { state[h] = .closed }

        // Heading: host names and labels over their columns.
        let lh = bold(left) + (timeline.labels[left].map { " " + $0 } ?? "")
        let rh = bold(right) + (timeline.labels[right].map { " " + $0 } ?? "")
        out += pad("time (s)", 11) + pad(lh, sideWidth + 1 + arrowWidth + 1, visible: visibleLength(lh)) + rh + "\n"
        out += pad("", 11) + pad(state[left]?.rawValue ?? "", sideWidth) + " " + String(repeating: " ", count: arrowWidth) + " " + (state[right]?.rawValue ?? "") + "\n"

        let entries = timeline.sorted
        let retransmitted = timeline.retransmittedPackets
        let copies = timeline.networkCopies
        let hidden = condense.map { condensedStretches(entries, retransmitted.union(copies), keep: $0) } ?? [:]
        var skipUntil = -1
        let foldAt = Dictionary(folds.map { ($0.range.lowerBound, $0) }, uniquingKeysWith: { a, _ in a })
        var foldedUntil = -1
        for (index, e) in entries.enumerated() {
            if let fold = foldAt[index] {
                for line in fold.lines { out += line + "\n" }
                foldedUntil = fold.range.upperBound
            }
            if index < foldedUntil {
                switch e.kind {
                case let .state(_, to): state[e.host] = to
                case let .send(_, s, _), let .receive(_, s): rel.observe(s)
                default: break
                }
                continue
            }
            if let range = hidden[index] {
                out += summaryLine(entries[range], left: left)
                skipUntil = range.upperBound
            }
            if index < skipUntil { continue }
            let t = pad(formatTime(e.time), 11)
            let onLeft = e.host == left
            switch e.kind {
            case let .state(from, to):
                state[e.host] = to
                let text = "\(from.rawValue) → \(paint(to.rawValue, .cyan))"
                out += row(t, onLeft ? text : "", "", onLeft ? "" : text)
            case let .send(packet, s, fate):
                rel.observe(s)
                var label = segmentLabel(s, rel)
                var labelWidth: Int? = nil
                if retransmitted.contains(packet) {
                    // RFC 9293 §3.8.1: the same sequence space sent again.
                    labelWidth = visibleLength(label) + 19
                    label = paint("↻ ", .red) + label + paint(" (retransmission)", .red)
                } else if copies.contains(packet) {
                    // The link duplicated the packet; its sender sent it once.
                    labelWidth = visibleLength(label) + 17
                    label = paint("⧉ ", .yellow) + label + paint(" (network copy)", .yellow)
                }
                let details = segmentDetails(s)
                let ls = state[left]?.rawValue ?? "", rs = state[right]?.rawValue ?? ""
                out += row(t, dim(ls), center(label, arrowWidth, visible: labelWidth), dim(rs))
                var arrow: String
                var landing = ""
                switch fate {
                case .delivered(let at):
                    arrow = arrowLine(details, leftToRight: onLeft, lost: false)
                    landing = "@" + formatTime(at)
                case .lost(let reason):
                    arrow = arrowLine(details, leftToRight: onLeft, lost: true)
                    landing = paint("lost (\(reason))", .red)
                case .inFlight:
                    arrow = arrowLine(details, leftToRight: onLeft, lost: false)
                    landing = "in flight"
                }
                out += row(pad("", 11), onLeft ? "" : landing, arrow, onLeft ? landing : "")
            case let .receive(_, s):
                // The arrow's landing time already says when it arrived; a SYN still fixes its
                // sender's ISN here, as in the JSON lines (an old duplicate SYN may have come between).
                rel.observe(s)
                continue
            case let .drop(reason, _):
                let text = paint("dropped: \(reason.rawValue)", .yellow)
                out += row(t, onLeft ? text : "", "", onLeft ? "" : text)
            case let .timer(kind):
                let text = paint("⏱ \(kind.rawValue) timer", .magenta)
                out += row(t, onLeft ? text : "", "", onLeft ? "" : text)
            case .info:
                continue   // statistics: in the JSON lines, not in the picture
            case let .note(text):
                out += row(t, "", center(dim("(\(e.host): \(text))"), arrowWidth, visible: text.count + e.host.count + 4), "")
            }
        }
        return out
    }

    /// Whether an entry may be folded into a condensed stretch.
    func ordinary(_ e: Timeline.Entry, _ retransmitted: Set<Int>) -> Bool {
        switch e.kind {
        case let .send(packet, s, fate):
            guard case .delivered = fate else { return false }
            return s.flags.isDisjoint(with: [.syn, .fin, .rst]) && !retransmitted.contains(packet)
        case .receive, .note, .info: return true
        case .state, .drop, .timer: return false
        }
    }

    /// The entries to leave out in condensed mode, keyed by the index of the first one.
    func condensedStretches(_ entries: [Timeline.Entry], _ retransmitted: Set<Int>, keep: Int) -> [Int: Range<Int>] {
        var out: [Int: Range<Int>] = [:]
        var start = 0
        while start < entries.count {
            guard ordinary(entries[start], retransmitted) else { start += 1; continue }
            var end = start
            while end < entries.count, ordinary(entries[end], retransmitted) { end += 1 }
            let sends = (start..<end).filter { if case .send = entries[$0].kind { true } else { false } }
            // Worth it only when it leaves out more than it costs to say so.
            if sends.count > 2 * keep + 2 {
                out[sends[keep]] = sends[keep]..<sends[sends.count - keep]
            }
            start = end
        }
        return out
    }

    /// The line that stands for a condensed stretch: how many segments each way, how much data,
    /// over what time.
    func summaryLine(_ entries: ArraySlice<Timeline.Entry>, left: String) -> String {
        var count = [0, 0], bytes = [0, 0]
        for e in entries {
            if case let .send(_, s, _) = e.kind {
                let k = e.host == left ? 0 : 1
                count[k] += 1
                bytes[k] += s.payloadLength
            }
        }
        let total = count[0] + count[1]
        var parts: [String] = []
        if count[0] > 0 { parts.append("\(count[0]) →, \(bytes[0]) bytes") }
        if count[1] > 0 { parts.append("\(count[1]) ←, \(bytes[1]) bytes") }
        let text = "⋮ \(total) segments condensed (\(parts.joined(separator: "; "))) until \(formatTime(entries.last!.time))"
        return row(pad("", 11), "", center(dim(text), arrowWidth, visible: visibleLength(text)), "")
    }

    func segmentLabel(_ s: SegmentSummary, _ rel: RelativeNumbers) -> String {
        var text = paint(s.flags.names.joined(separator: ","), flagColor(s.flags))
        text += " seq=\(s.sequenceNumber.rawValue)"
        if let r = rel.relativeSeq(s) { text += " (\(r))" }
        if s.flags.contains(.ack) {
            text += " ack=\(s.acknowledgmentNumber.rawValue)"
            if let r = rel.relativeAck(s) { text += " (\(r))" }
        }
        return text
    }

    func segmentDetails(_ s: SegmentSummary) -> String {
        var text = "len=\(s.payloadLength) win=\(s.window)"
        if let mss = s.options.mss { text += " mss=\(mss)" }
        if let ws = s.options.windowScale { text += " wscale=\(ws)" }
        if s.options.sackPermitted { text += " sackOK" }
        if let ts = s.options.timestamp { text += " TS=\(ts.value)/\(ts.echoReply)" }
        return text
    }

    func arrowLine(_ details: String, leftToRight: Bool, lost: Bool) -> String {
        let inner = " \(details) "
        let total = arrowWidth
        let dashes = max(4, total - inner.count - 1)
        let before = dashes / 2, after = dashes - before
        if leftToRight {
            let head = lost ? paint("✕", .red) : "▶"
            return String(repeating: "─", count: before) + inner + String(repeating: "─", count: after) + head
        } else {
            let head = lost ? paint("✕", .red) : "◀"
            return head + String(repeating: "─", count: before) + inner + String(repeating: "─", count: after)
        }
    }

    func row(_ time: String, _ l: String, _ mid: String, _ r: String) -> String {
        let line = time + pad(l, sideWidth) + " " + pad(mid, arrowWidth) + " " + r
        var trimmed = line
        while trimmed.hasSuffix(" ") { trimmed.removeLast() }
        return trimmed + "\n"
    }

    func formatTime(_ t: Instant) -> String {
        let micros = t.nanoseconds / 1000
        let s = micros / 1_000_000, f = micros % 1_000_000
        let fs = String(f)
        return "\(s).\(String(repeating: "0", count: 6 - fs.count))\(fs)"
    }

    // MARK: Text helpers (aware of ANSI escapes when padding)

    enum Color: String { case red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36" }

    func paint(_ s: String, _ c: Color) -> String { color ? "\u{1B}[\(c.rawValue)m\(s)\u{1B}[0m" : s }
    func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }

    func flagColor(_ f: TCPFlags) -> Color {
        if f.contains(.rst) { return .red }
        if f.contains(.syn) { return .green }
        if f.contains(.fin) { return .yellow }
        return .blue
    }

    /// Characters a terminal shows (ANSI escape sequences take no room).
    func visibleLength(_ s: String) -> Int {
        var n = 0
        var inEscape = false
        for ch in s {
            if inEscape { if ch == "m" { inEscape = false }; continue }
            if ch == "\u{1B}" { inEscape = true; continue }
            n += 1
        }
        return n
    }

    func pad(_ s: String, _ width: Int, visible: Int? = nil) -> String {
        let v = visible ?? visibleLength(s)
        return v >= width ? s : s + String(repeating: " ", count: width - v)
    }

    func center(_ s: String, _ width: Int, visible: Int? = nil) -> String {
        let v = visible ?? visibleLength(s)
        guard v < width else { return s }
        let before = (width - v) / 2
        return String(repeating: " ", count: before) + s
    }
}
