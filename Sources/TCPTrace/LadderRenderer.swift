import TCPCore
import TCPWire

/// The ladder diagram as text: the left host's column, the arrows, the right host's column, one
/// row per thing that happened, time on the left. Absolute and relative (to each side's ISN)
/// sequence and acknowledgment numbers, windows and lengths on every arrow; lost segments end in
/// ✕; state changes stand in the column of the host they happen on.
///
/// Fitting a width (`width`, a terminal's columns): the full ladder (about 130 columns) is drawn
/// as it is whenever it fits. Otherwise the columns shrink to their contents (notes and long
/// side texts wrap or move into empty room) and the ladder gives up, in this order, until it fits
/// (`Step`): first the timestamp option's values (`TS` stays, to say the option is there), then
/// the window and the options (the arrow keeps `len=`, and `win=0`, the window that stops a
/// sender), then the long state names (`stateName(_:short:)`: SYN-RECEIVED is SYN-RCVD and
/// ESTABLISHED is ESTAB, as in RFC 9293's state diagram, Figure 5), then the addresses in the
/// heading; last, a label still too long for its row moves its acknowledgment number onto its
/// arrow (`── ack=1741942566 (1) len=264 ──▶`). The flags, the absolute and relative sequence and
/// acknowledgment numbers, the states, losses, retransmissions and notes are never left out. In
/// the narrower layouts a retransmission's or network copy's words and a loss's reason stand in
/// the arrow (`── len=0 (retransmission) ──▶`, `── len=0 (lost SYN) ──✕ lost`); the ↻ and ⧉ marks
/// stay on the label. Folds' lines are printed as given.
public struct LadderRenderer: Sendable {
    public var color: Bool
    /// Width of the arrow column (the full layout).
    public var arrowWidth: Int = 64
    /// Width of each host's column (the full layout).
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
    /// The widest line to draw, in terminal columns (see the type's comment). Nil: the full
    /// ladder, whatever its width (files and pipes).
    public var width: Int? = nil

    /// The narrowest `width` worth asking for: below it even the narrowest layout overflows.
    public static let minimumWidth = 40

    public struct Fold: Sendable, Hashable {
        public var range: Range<Int>
        public var lines: [String]
        public init(range: Range<Int>, lines: [String]) {
            self.range = range
            self.lines = lines
        }
    }

    public init(color: Bool = false, condense: Int? = nil, folds: [Fold] = [], width: Int? = nil) {
        self.color = color
        self.condense = condense
        self.folds = folds
        self.width = width
    }

    /// How a ladder is laid out: its columns, and what it leaves out to fit them.
    struct Layout: Sendable {
        var time = 11
        var left: Int, arrow: Int, right: Int
        /// Columns sized to their contents; false: the full ladder's fixed columns, as always drawn.
        var compact = false
        var step = Step.everything
        var total: Int { time + left + 1 + arrow + 1 + right }
        var details: Details {
            step >= .noWindowOrOptions ? .lengthOnly : step >= .noTimestampValues ? .noTimestampValues : .all
        }
        var shortStateNames: Bool { step >= .shortStateNames }
        var addresses: Bool { step < .noAddresses }
    }

    /// What the ladder gives up to fit a width, one more thing at each step (in this order).
    enum Step: Int, CaseIterable, Comparable {
        case everything, noTimestampValues, noWindowOrOptions, shortStateNames, noAddresses, ackOnArrow
        static func < (a: Step, b: Step) -> Bool { a.rawValue < b.rawValue }
    }

    enum Details { case all, noTimestampValues, lengthOnly }

    /// The full ladder's fixed columns.
    var fullLayout: Layout { Layout(left: sideWidth, arrow: arrowWidth, right: sideWidth) }

    /// The ladder drawn, and the widest line it drew itself (folds' lines not counted).
    struct Drawing {
        var text = ""
        var widest = 0
        /// The arrow column a label (with a blank column on each side) or an arrow (with dashes on
        /// each side of its words) needed.
        var arrowNeeded = 0
        mutating func add(_ rows: String) {
            text += rows
            for line in rows.split(separator: "\n") { widest = max(widest, Terminal.width(of: line)) }
        }
    }

    /// A state's name as the ladder shows it: in full, or (`short`) as RFC 9293's state diagram
    /// (Figure 5) writes it where the name is long: SYN-RECEIVED is SYN-RCVD, ESTABLISHED is
    /// ESTAB; every other name is 10 characters or fewer and stays as it is.
    public static func stateName(_ s: TCPState, short: Bool) -> String {
        guard short else { return s.rawValue }
        switch s {
        case .synReceived: return "SYN-RCVD"
        case .established: return "ESTAB"
        default: return s.rawValue
        }
    }

    public func render(_ timeline: Timeline) -> String {
        guard timeline.hosts.count >= 2 else { return "" }
        let full = draw(timeline, fullLayout)
        guard let width, full.widest > width else { return full.text }
        var best = full
        for step in Step.allCases {
            var layout = compactLayout(timeline, step, width: width)
            var d = draw(timeline, layout)
            // The arrow column takes at most the full ladder's width unless an arrow needs more.
            if d.arrowNeeded > layout.arrow, layout.total - layout.arrow + d.arrowNeeded <= width {
                layout.arrow = d.arrowNeeded
                d = draw(timeline, layout)
            }
            if d.widest <= width, d.arrowNeeded <= layout.arrow { return d.text }
            if d.widest < best.widest { best = d }
        }
        return best.text
    }

    /// Columns as narrow as their contents at `step`, the arrow column filling the rest of `width`
    /// (up to the full ladder's).
    func compactLayout(_ timeline: Timeline, _ step: Step, width: Int) -> Layout {
        var layout = Layout(left: 0, arrow: 0, right: 0, compact: true, step: step)
        let short = layout.shortStateNames
        let left = timeline.hosts[0]
        var time = "time (s)".count
        var side = [TCPState.closed.rawValue.count, TCPState.closed.rawValue.count]
        for e in timeline.entries {
            time = max(time, formatTime(e.time).count)
            let k = e.host == left ? 0 : 1
            switch e.kind {
            case let .state(from, to):
                side[k] = max(side[k], Self.stateName(from, short: short).count, Self.stateName(to, short: short).count)
            case let .send(_, _, fate):
                side[1 - k] = max(side[1 - k], visibleLength(landing(fate, layout)))
            default:
                break
            }
        }
        layout.time = time + 1
        (layout.left, layout.right) = (side[0], side[1])
        layout.arrow = max(0, min(arrowWidth, width - (layout.total - layout.arrow)))
        return layout
    }

    func draw(_ timeline: Timeline, _ layout: Layout) -> Drawing {
        let left = timeline.hosts[0], right = timeline.hosts[1]
        var out = Drawing()
        var rel = RelativeNumbers()
        var state: [String: TCPState] = [:]
        for e in timeline.entries {
            if case let .state(from, _) = e.kind, state[e.host] == nil { state[e.host] = from }
        }
        // A host whose state never changes has no connection at all: CLOSED (RFC 9293 §3.3.2).
        for h in timeline.hosts where state[h] == nil { state[h] = .closed }

        out.add(heading(timeline.hosts, timeline.labels, states: state, layout))

        let entries = timeline.sorted
        let retransmitted = timeline.retransmittedPackets
        let copies = timeline.networkCopies
        let hidden = condense.map { condensedStretches(entries, retransmitted.union(copies), keep: $0) } ?? [:]
        var skipUntil = -1
        let foldAt = Dictionary(folds.map { ($0.range.lowerBound, $0) }, uniquingKeysWith: { a, _ in a })
        var foldedUntil = -1
        for (index, e) in entries.enumerated() {
            if let fold = foldAt[index] {
                for line in fold.lines { out.text += line + "\n" }
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
                out.add(summaryLine(entries[range], left: left, layout))
                skipUntil = range.upperBound
            }
            if index < skipUntil { continue }
            switch e.kind {
            case let .state(_, to):
                out.add(eventRows(e, left: left, layout))
                state[e.host] = to
            case let .send(packet, s, fate):
                rel.observe(s)
                let mark: Mark? = retransmitted.contains(packet) ? .retransmission : copies.contains(packet) ? .networkCopy : nil
                let rows = segmentRows(e, s, fate, mark: mark, rel, left: left, states: (state[left], state[right]), layout)
                out.arrowNeeded = max(out.arrowNeeded, rows.arrowNeeded)
                out.add(rows.text)
            case let .receive(_, s):
                // The arrow's landing time already says when it arrived; a SYN still fixes its
                // sender's ISN here, as in the JSON lines (an old duplicate SYN may have come between).
                rel.observe(s)
            default:
                out.add(eventRows(e, left: left, layout))
            }
        }
        return out
    }

    /// The two heading lines: host names and labels over their columns, then their first states.
    func heading(_ hosts: [String], _ labels: [String: String], states: [String: TCPState], _ layout: Layout) -> String {
        let left = hosts[0], right = hosts[1]
        let lh = bold(left) + (layout.addresses ? labels[left].map { " " + $0 } ?? "" : "")
        let rh = bold(right) + (layout.addresses ? labels[right].map { " " + $0 } ?? "" : "")
        let ls = states[left].map { Self.stateName($0, short: layout.shortStateNames) } ?? ""
        let rs = states[right].map { Self.stateName($0, short: layout.shortStateNames) } ?? ""
        guard layout.compact else {
            var out = pad("time (s)", 11) + pad(lh, sideWidth + 1 + arrowWidth + 1, visible: visibleLength(lh)) + rh + "\n"
            out += pad("", 11) + pad(ls, sideWidth) + " " + String(repeating: " ", count: arrowWidth) + " " + rs + "\n"
            return out
        }
        let rightColumn = layout.total - layout.right
        // The right host's heading over its column, or ending at the right edge if it is longer.
        let at = max(layout.time + visibleLength(lh) + 2, min(rightColumn, layout.total - visibleLength(rh)))
        return pad(pad("time (s)", layout.time) + lh, at) + rh + "\n"
            + pad(pad("", layout.time) + ls, rightColumn) + rs + "\n"
    }

    /// The rows for a state change, a drop, a timer or a note (nothing for statistics).
    func eventRows(_ e: Timeline.Entry, left: String, _ layout: Layout) -> String {
        let t = pad(formatTime(e.time), layout.time)
        let onLeft = e.host == left
        let text: String
        switch e.kind {
        case let .state(from, to):
            text = "\(Self.stateName(from, short: layout.shortStateNames)) → \(paint(Self.stateName(to, short: layout.shortStateNames), .cyan))"
        case let .drop(reason, _):
            text = paint("dropped: \(reason.rawValue)", .yellow)
        case let .timer(kind):
            text = paint("⏱ \(kind.rawValue) timer", .magenta)
        case let .note(note):
            return midRows(t, "(\(e.host): \(note))", layout)
        case .send, .receive, .info:
            return ""   // statistics: in the JSON lines, not in the picture
        }
        return row(t, onLeft ? text : "", "", onLeft ? "" : text, layout)
    }

    /// A line of text in the arrow column, dimmed (a note, a condensed stretch's summary): centred
    /// there; in the narrower layouts centred in the whole row after the time, wrapped if longer.
    func midRows(_ time: String, _ text: String, _ layout: Layout) -> String {
        let v = visibleLength(text)
        if !layout.compact || v <= layout.arrow {
            return row(time, "", center(dim(text), layout.arrow, visible: v), "", layout)
        }
        let room = layout.total - layout.time
        var out = ""
        for (i, line) in Terminal.wrap(text, width: room).enumerated() {
            let rowText = (i == 0 ? time : pad("", layout.time)) + center(dim(line), room, visible: visibleLength(line))
            out += rowText + "\n"
        }
        return out
    }

    enum Mark { case retransmission, networkCopy }

    /// Where a segment lands: its arrival time, lost (with the reason in the full layout), or in flight.
    func landing(_ fate: Timeline.Fate, _ layout: Layout) -> String {
        switch fate {
        case .delivered(let at): "@" + formatTime(at)
        case .lost(let reason): paint(layout.compact ? "lost" : "lost (\(reason))", .red)
        case .inFlight: "in flight"
        }
    }

    /// A segment's two rows: its label (flags, numbers) between the two hosts' states, then its
    /// arrow (length, window, options) and where it lands. `showInFlight`: false for a live
    /// ladder's segments sent to a real network (arrival unknown). `shrink`: in the narrower
    /// layouts, an arrow too long for its column keeps the length only (a live ladder, whose
    /// columns are chosen before its rows are known).
    func segmentRows(_ e: Timeline.Entry, _ s: SegmentSummary, _ fate: Timeline.Fate, mark: Mark?, _ rel: RelativeNumbers,
                     left: String, states: (TCPState?, TCPState?), _ layout: Layout,
                     showInFlight: Bool = true, shrink: Bool = false) -> (text: String, arrowNeeded: Int) {
        let t = pad(formatTime(e.time), layout.time)
        let onLeft = e.host == left
        let ls = states.0.map { Self.stateName($0, short: layout.shortStateNames) } ?? ""
        let rs = states.1.map { Self.stateName($0, short: layout.shortStateNames) } ?? ""
        var lost = false
        var reason = ""
        if case .lost(let r) = fate { (lost, reason) = (true, r) }
        let markText = switch mark {
        case .retransmission: " (retransmission)"   // RFC 9293 §3.8.1: the same sequence space sent again.
        case .networkCopy: " (network copy)"        // The link duplicated the packet; its sender sent it once.
        case nil: ""
        }
        let markColor: Color = mark == .retransmission ? .red : .yellow
        let sign = mark == nil ? "" : paint(mark == .retransmission ? "↻ " : "⧉ ", markColor)

        var out: String
        var details = segmentDetails(s, layout.details)
        var detailsWidth = details.count
        var labelNeeds = 0
        if layout.compact {
            // The words of a mark and a loss's reason go into the arrow.
            func addWords(_ d: inout String, _ width: inout Int) {
                if mark != nil { d += paint(markText, markColor); width += markText.count }
                if lost { d += paint(" (\(reason))", .red); width += reason.count + 3 }
            }
            addWords(&details, &detailsWidth)
            if shrink, detailsWidth + 7 > layout.arrow, layout.details != .lengthOnly {
                details = segmentDetails(s, .lengthOnly)
                detailsWidth = details.count
                addWords(&details, &detailsWidth)
            }
            // Centred over the arrow; a label wider than the arrow column may reach into the
            // left host's column where its state name leaves room, and push the right host's
            // state name to the right, up to the width (two blank columns each side).
            let arrowStart = layout.time + layout.left + 1, rightStart = arrowStart + layout.arrow + 1
            let lo = ls.isEmpty ? layout.time : layout.time + ls.count + 2
            let hi = rs.isEmpty ? layout.total : layout.total - rs.count - 2
            var label = sign + segmentLabel(s, rel)
            var w = visibleLength(label)
            if w > hi - lo, layout.step >= .ackOnArrow, let ack = ackText(s, rel) {
                // Still too long: the acknowledgment number moves onto the arrow (and if the
                // arrow is then too long, a mark's words leave it; its sign stays on the label).
                label = sign + segmentLabel(s, rel, ack: false)
                w = visibleLength(label)
                if detailsWidth + ack.count + 1 + 7 > layout.arrow, mark != nil {
                    details = segmentDetails(s, layout.details) + (lost ? paint(" (\(reason))", .red) : "")
                    detailsWidth = visibleLength(details)
                }
                details = ack + " " + details
                detailsWidth += ack.count + 1
            }
            let at = max(lo, min(arrowStart + (layout.arrow - w) / 2, hi - w))
            var line = pad(t + dim(ls), at, visible: layout.time + ls.count) + label
            line = pad(line, max(rightStart, at + w + 2), visible: at + w) + dim(rs)
            while line.hasSuffix(" ") { line.removeLast() }
            out = line + "\n"
            labelNeeds = w <= hi - lo ? 0 : layout.arrow + w - (hi - lo)
        } else {
            let label = sign + segmentLabel(s, rel) + (mark == nil ? "" : paint(markText, markColor))
            let labelWidth = mark == nil ? nil : visibleLength(segmentLabel(s, rel)) + 2 + markText.count
            out = row(t, dim(ls), center(label, layout.arrow, visible: labelWidth), dim(rs), layout)
        }
        let arrow = arrowLine(details, width: layout.arrow, visible: detailsWidth, leftToRight: onLeft, lost: lost)
        var land = landing(fate, layout)
        if case .inFlight = fate, !showInFlight { land = "" }
        out += row(pad("", layout.time), onLeft ? "" : land, arrow, onLeft ? land : "", layout)
        return (out, max(labelNeeds, detailsWidth + 7))
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
    func summaryLine(_ entries: ArraySlice<Timeline.Entry>, left: String, _ layout: Layout) -> String {
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
        return midRows(pad("", layout.time), text, layout)
    }

    /// Flags, then the sequence number and (with ACK, unless `ack` is false) the acknowledgment
    /// number, each absolute and relative to its sender's ISN.
    func segmentLabel(_ s: SegmentSummary, _ rel: RelativeNumbers, ack: Bool = true) -> String {
        var text = paint(s.flags.names.joined(separator: ","), flagColor(s.flags))
        text += " seq=\(s.sequenceNumber.rawValue)"
        if let r = rel.relativeSeq(s) { text += " (\(r))" }
        if ack, let a = ackText(s, rel) { text += " " + a }
        return text
    }

    /// `ack=N (r)`, or nil without the ACK flag.
    func ackText(_ s: SegmentSummary, _ rel: RelativeNumbers) -> String? {
        guard s.flags.contains(.ack) else { return nil }
        return "ack=\(s.acknowledgmentNumber.rawValue)" + (rel.relativeAck(s).map { " (\($0))" } ?? "")
    }

    /// The arrow's words: the length, the window and the options; fewer of them in the narrower
    /// layouts (see the type's comment).
    func segmentDetails(_ s: SegmentSummary, _ details: Details = .all) -> String {
        var text = "len=\(s.payloadLength)"
        if details == .lengthOnly {
            // A zero window stops the sender (RFC 9293 §3.8.6.1): worth its room even here.
            return s.window == 0 ? text + " win=0" : text
        }
        text += " win=\(s.window)"
        if let mss = s.options.mss { text += " mss=\(mss)" }
        if let ws = s.options.windowScale { text += " wscale=\(ws)" }
        if s.options.sackPermitted { text += " sackOK" }
        if let ts = s.options.timestamp { text += details == .all ? " TS=\(ts.value)/\(ts.echoReply)" : " TS" }
        return text
    }

    /// An arrow `width` columns wide with `details` (`visible` columns of it) in its middle.
    func arrowLine(_ details: String, width total: Int, visible: Int? = nil, leftToRight: Bool, lost: Bool) -> String {
        let inner = " \(details) "
        let dashes = max(4, total - (visible ?? inner.count - 2) - 2 - 1)
        let before = dashes / 2, after = dashes - before
        if leftToRight {
            let head = lost ? paint("✕", .red) : "▶"
            return String(repeating: "─", count: before) + inner + String(repeating: "─", count: after) + head
        } else {
            let head = lost ? paint("✕", .red) : "◀"
            return head + String(repeating: "─", count: before) + inner + String(repeating: "─", count: after)
        }
    }

    func row(_ time: String, _ l: String, _ mid: String, _ r: String, _ layout: Layout) -> String {
        var line = time + pad(l, layout.left) + " " + pad(mid, layout.arrow) + " " + r
        if layout.compact, l.isEmpty, mid.isEmpty, !r.isEmpty {
            // Only the right host's text: moved left into the empty arrow column if it is longer
            // than its own column.
            let column = layout.total - layout.right
            line = pad(time, max(layout.time + layout.left + 1, min(column, layout.total - visibleLength(r)))) + r
        }
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
