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
    /// The columns, chosen once from `width` (the rows to come are unknown).
    let layout: LadderRenderer.Layout
    private var relative = RelativeNumbers()
    private var state: [String: TCPState] = [:]
    private struct Direction: Hashable { var from: SocketAddress; var to: SocketAddress }
    private var isn: [Direction: SequenceNumber] = [:]
    private var highest: [Direction: SequenceNumber] = [:]

    /// `hosts[0]` is drawn on the left, `hosts[1]` on the right. `width`: the widest line to draw
    /// (see `LadderRenderer`); the rows are not known in advance, so the columns are chosen for
    /// the widest contents a live connection usually has (times up to 999 s, 10-digit numbers)
    /// and the ladder leaves out as much as `LadderRenderer` would for such rows. Nil: the full
    /// ladder.
    public init(hosts: [String], labels: [String: String] = [:], color: Bool = false, width: Int? = nil) {
        precondition(hosts.count == 2, "a ladder has two hosts")
        self.hosts = hosts
        self.labels = labels
        renderer = LadderRenderer(color: color, width: width)
        layout = Self.layout(renderer, width: width)
    }

    /// The layout for `width`: the full one if it fits, or else the first step whose arrow column
    /// has room for a long segment's label (52 columns: `FIN,ACK seq=4294967295 (123456)
    /// ack=4294967295 (123)`) and, with every option, its arrow (72 columns).
    static func layout(_ renderer: LadderRenderer, width: Int?) -> LadderRenderer.Layout {
        let full = renderer.fullLayout
        guard let width, full.total > width else { return full }
        func layout(_ step: LadderRenderer.Step) -> LadderRenderer.Layout {
            // Times up to "999.999999"; sides: the longest state name or "@999.999999".
            let side = step >= .shortStateNames ? 11 : 12
            var l = LadderRenderer.Layout(time: 11, left: side, arrow: 0, right: side, compact: true, step: step)
            l.arrow = max(0, min(renderer.arrowWidth, width - l.total))
            return l
        }
        return LadderRenderer.Step.allCases.lazy.map(layout).first { $0.arrow >= ($0.details == .all ? 72 : 52) }
            ?? layout(.ackOnArrow)
    }

    /// The two heading lines: host names and labels, then their first state.
    public func heading() -> String {
        renderer.heading(hosts, labels, states: [hosts[0]: .closed, hosts[1]: .closed], layout)
    }

    /// The rows for one more entry (empty for entries the picture leaves out).
    public mutating func rows(for e: Timeline.Entry) -> String {
        let left = hosts[0], right = hosts[1]
        switch e.kind {
        case let .state(_, to):
            defer { state[e.host] = to }
            return renderer.eventRows(e, left: left, layout)
        case let .send(_, s, fate):
            relative.observe(s)
            let mark: LadderRenderer.Mark? = isRetransmission(s) ? .retransmission : nil
            return renderer.segmentRows(e, s, fate, mark: mark, relative, left: left, states: (state[left], state[right]),
                                        layout, showInFlight: false, shrink: true).text
        case let .receive(_, s):
            relative.observe(s)
            return ""
        default:
            return renderer.eventRows(e, left: left, layout)
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
