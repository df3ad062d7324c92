import TCPCore
import TCPWire

/// The ladder diagram drawn row by row while a connection runs (`tcpkit tun … --trace`): the
/// same rows `LadderRenderer` draws for a finished timeline, produced one entry at a time so a
/// driver can print them as they happen. No condensing (the future is unknown), and a segment
/// whose arrival is unknown (`.inFlight`: one we sent to a real network) has no landing time.
public struct LiveLadder: Sendable {
    public let renderer: LadderRenderer
    public let hosts: [String]
    public let labels: [String: String]
    private var relative = RelativeNumbers()
    private var state: [String: TCPState] = [:]
    private struct Direction: Hashable { var from: SocketAddress; var to: SocketAddress }
    private var isn: [Direction: SequenceNumber] = [:]
    private var highest: [Direction: SequenceNumber] = [:]

    /// `hosts[0]` is drawn on the left, `hosts[1]` on the right.
    public init(hosts: [String], labels: [String: String] = [:], color: Bool = false) {
        precondition(hosts.count == 2, "a ladder has two hosts")
        self.hosts = hosts
        self.labels = labels
        renderer = LadderRenderer(color: color)
    }

    /// The two heading lines: host names and labels, then their first state.
    public func heading() -> String {
        LadderRenderer(color: renderer.color).render(Timeline(hosts: hosts, labels: labels))
    }

    /// The rows for one more entry (empty for entries the picture leaves out).
    public mutating func rows(for e: Timeline.Entry) -> String {
        let r = renderer
        let left = hosts[0], right = hosts[1]
        let t = r.pad(r.formatTime(e.time), 11)
        let onLeft = e.host == left
        switch e.kind {
        case let .state(from, to):
            state[e.host] = to
            let text = "\(from.rawValue) → \(r.paint(to.rawValue, .cyan))"
            return r.row(t, onLeft ? text : "", "", onLeft ? "" : text)
        case let .send(_, s, fate):
            relative.observe(s)
            var label = r.segmentLabel(s, relative)
            var labelWidth: Int? = nil
            if isRetransmission(s) {
                labelWidth = r.visibleLength(label) + 19
                label = r.paint("↻ ", .red) + label + r.paint(" (retransmission)", .red)
            }
            let ls = state[left]?.rawValue ?? "", rs = state[right]?.rawValue ?? ""
            var out = r.row(t, r.dim(ls), r.center(label, r.arrowWidth, visible: labelWidth), r.dim(rs))
            var landing = ""
            var lost = false
            switch fate {
            case .delivered(let at): landing = "@" + r.formatTime(at)
            case .lost(let reason): landing = r.paint("lost (\(reason))", .red); lost = true
            case .inFlight: break
            }
            let arrow = r.arrowLine(r.segmentDetails(s), leftToRight: onLeft, lost: lost)
            out += r.row(r.pad("", 11), onLeft ? "" : landing, arrow, onLeft ? landing : "")
            return out
        case let .receive(_, s):
            relative.observe(s)
            return ""
        case let .drop(reason, _):
            let text = r.paint("dropped: \(reason.rawValue)", .yellow)
            return r.row(t, onLeft ? text : "", "", onLeft ? "" : text)
        case let .timer(kind):
            let text = r.paint("⏱ \(kind.rawValue) timer", .magenta)
            return r.row(t, onLeft ? text : "", "", onLeft ? "" : text)
        case .info:
            return ""
        case let .note(text):
            return r.row(t, "", r.center(r.dim("(\(e.host): \(text))"), r.arrowWidth, visible: text.count + e.host.count + 4), "")
        }
    }

    /// The rule of `Timeline.retransmittedPackets`, applied as segments come (RFC 9293 §3.8.1).
    private mutating func isRetransmission(_ s: SegmentSummary) -> Bool {
        let d = Direction(from: s.source, to: s.destination)
        let length = UInt32(s.segmentLength)
        guard length > 0 else { return false }
        if s.flags.contains(.syn), isn[d] != s.sequenceNumber {
            isn[d] = s.sequenceNumber
            highest[d] = nil
        }
        let end = s.sequenceNumber + length
        guard let h = highest[d] else {
            highest[d] = end
            return false
        }
        if end - h > 0 { highest[d] = end }
        return s.sequenceNumber - h < 0
    }
}
