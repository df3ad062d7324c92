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

    public init(color: Bool = false) { self.color = color }

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

        for e in timeline.sorted {
            let t = pad(formatTime(e.time), 11)
            let onLeft = e.host == left
            switch e.kind {
            case let .state(from, to):
                state[e.host] = to
                let text = "\(from.rawValue) → \(paint(to.rawValue, .cyan))"
                out += row(t, onLeft ? text : "", "", onLeft ? "" : text)
            case let .send(_, s, fate):
                rel.observe(s)
                let label = segmentLabel(s, rel)
                let details = segmentDetails(s)
                let ls = state[left]?.rawValue ?? "", rs = state[right]?.rawValue ?? ""
                out += row(t, dim(ls), center(label, arrowWidth), dim(rs))
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
