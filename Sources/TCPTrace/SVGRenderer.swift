#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TCPCore
import TCPWire

/// The ladder as a self-contained SVG drawing (`--format svg`): the two hosts' lifelines with
/// their names and labels, time running down, one slanted arrow per segment from its send time
/// on the sender's line to its arrival time on the receiver's (a lost one stops half-way in a
/// cross, one still in flight is dashed), its flags and numbers along it, and the states each
/// host enters, its drops, timers and notes at its side at the time they happen.
///
/// Time runs down at `pixelsPerSecond`, but each step from one instant to the next is kept
/// between `minimumStep` (so that text never overlaps) and `maximumStep` (so that TIME-WAIT's
/// minute does not take a mile); the time of each instant is written in the left margin.
public struct SVGRenderer: Sendable {
    public var pixelsPerSecond: Double = 6000
    public var minimumStep: Double = 18
    public var maximumStep: Double = 90
    /// Height of one line of side text.
    public var lineHeight: Double = 15
    /// How far apart two segments that leave (or arrive at) one host at the same instant start
    /// (or end): room for the two lines of a label.
    public var segmentSpacing: Double = 30
    public var width: Double = 1200

    public init() {}

    var leftX: Double { 320 }
    var rightX: Double { width - 320 }
    let top: Double = 70

    struct Item { var entry: Timeline.Entry; var slot: Int }

    public func render(_ timeline: Timeline) -> String {
        guard timeline.hosts.count >= 2 else { return "" }
        let left = timeline.hosts[0], right = timeline.hosts[1]
        let ladder = LadderRenderer(color: false)
        let entries = timeline.sorted
        let y = verticalPositions(entries)
        var body = ""
        var bottom = top

        // Side text: states, drops, timers, notes, one line each at its host's side.
        var sideSlots: [String: Int] = [:]
        var sendSlots: [String: Int] = [:], arrivalSlots: [String: Int] = [:]
        var rel = RelativeNumbers()
        var initial: [String: TCPState] = [:]
        for e in entries {
            if case let .state(from, _) = e.kind, initial[e.host] == nil { initial[e.host] = from }
        }
        var lastTime: Instant? = nil
        let retransmitted = timeline.retransmittedPackets
        for e in entries {
            let base = y[e.time]!
            if e.time != lastTime {
                body += #"<text class="time" x="8" y="\#(f(base + 4))">\#(ladder.formatTime(e.time))</text>"# + "\n"
                lastTime = e.time
            }
            let onLeft = e.host == left
            let x = onLeft ? leftX - 10 : rightX + 10
            let anchor = onLeft ? "end" : "start"
            if let (cls, text) = sideText(e.kind) {
                let key = "\(e.host)@\(e.time.nanoseconds)"
                for line in wrap(text) {
                    let slot = sideSlots[key, default: 0]
                    sideSlots[key] = slot + 1
                    let ty = base + Double(slot) * lineHeight + 4
                    bottom = max(bottom, ty)
                    body += #"<text class="\#(cls)" x="\#(f(x))" y="\#(f(ty))" text-anchor="\#(anchor)">\#(xml(line))</text>"# + "\n"
                }
            }
            switch e.kind {
            case .state, .drop, .timer, .note, .info:
                break
            case let .receive(_, s):
                rel.observe(s)
            case let .send(packet, s, fate):
                rel.observe(s)
                let again = retransmitted.contains(packet)
                let from = onLeft ? leftX : rightX, to = onLeft ? rightX : leftX
                let key = "\(e.host)@\(e.time.nanoseconds)"
                let k = sendSlots[key, default: 0]
                sendSlots[key] = k + 1
                let y0 = base + Double(k) * segmentSpacing
                var x1 = to, y1: Double, cls = "segment", end = ""
                switch fate {
                case .delivered(let at):
                    let peer = onLeft ? right : left
                    let akey = "\(peer)@\(at.nanoseconds)"
                    let a = arrivalSlots[akey, default: 0]
                    arrivalSlots[akey] = a + 1
                    y1 = y[at]! + Double(a) * segmentSpacing
                case .lost(let reason):
                    // Most of the way across, and a cross.
                    x1 = from + (to - from) * 0.6
                    y1 = y0 + segmentSpacing
                    cls += " lost"
                    let c = 6.0
                    end = #"<path class="cross" d="M\#(f(x1 - c)),\#(f(y1 - c)) L\#(f(x1 + c)),\#(f(y1 + c)) M\#(f(x1 - c)),\#(f(y1 + c)) L\#(f(x1 + c)),\#(f(y1 - c))"/>"#
                        + #"<text class="lost" x="\#(f(x1))" y="\#(f(y1 + 18))" text-anchor="middle">lost (\#(xml(reason)))</text>"#
                case .inFlight:
                    x1 = from + (to - from) * 0.6
                    y1 = y0 + segmentSpacing
                    cls += " in-flight"
                    end = #"<text class="lost" x="\#(f(x1))" y="\#(f(y1 + 18))" text-anchor="middle">in flight</text>"#
                }
                bottom = max(bottom, y1 + 20)
                let head = cls == "segment" ? #" marker-end="url(#head)""# : ""
                if again { cls += " retransmission" }
                body += #"<line class="\#(cls)" x1="\#(f(from))" y1="\#(f(y0))" x2="\#(f(x1))" y2="\#(f(y1))"\#(head)/>"# + end + "\n"
                let details = ladder.segmentDetails(s) + (again ? " · retransmission" : "") + (timeline.networkCopies.contains(packet) ? " · network copy" : "")
                body += label(ladder.segmentLabel(s, rel), details, from: (from, y0), to: (x1, y1), at: cls.hasPrefix("segment lost") || cls.hasPrefix("segment in-flight") ? 0.5 : 0.33, flags: s.flags)
            }
        }

        let height = bottom + 40
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">"# + "\n"
        out += "<title>\(xml(left)) and \(xml(right))</title>\n"
        out += """
        <defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>
        <style>
        .host{font-size:14px;font-weight:bold}.label{fill:#555}.time{fill:#888;font-family:monospace}
        .lifeline{stroke:#999;stroke-width:2}.segment{stroke:#333;stroke-width:1.3}.lost{stroke:#c00;fill:#c00}
        .in-flight{stroke-dasharray:4 3}.retransmission{stroke:#d06000;stroke-width:1.8}.cross{stroke:#c00;stroke-width:2.5}
        .state{fill:#07809a;font-weight:bold}.drop{fill:#b07000}.timer{fill:#a0309a}.note{fill:#666;font-style:italic}
        .seg{font-family:monospace;font-size:10px}.syn{fill:#080}.fin{fill:#a60}.rst{fill:#c00}.data{fill:#236}
        </style>

        """
        out += #"<rect width="100%" height="100%" fill="white"/>"# + "\n"
        for (h, x) in [(left, leftX), (right, rightX)] {
            out += #"<text class="host" x="\#(f(x))" y="22" text-anchor="middle">\#(xml(h))</text>"# + "\n"
            if let l = timeline.labels[h] {
                out += #"<text class="label" x="\#(f(x))" y="38" text-anchor="middle">\#(xml(l))</text>"# + "\n"
            }
            out += #"<text class="state" x="\#(f(x))" y="54" text-anchor="middle">\#((initial[h] ?? .closed).rawValue)</text>"# + "\n"
            out += #"<line class="lifeline" x1="\#(f(x))" y1="\#(f(top - 8))" x2="\#(f(x))" y2="\#(f(height - 20))"/>"# + "\n"
        }
        out += #"<text class="time" x="8" y="54">time (s)</text>"# + "\n"
        return out + body + "</svg>\n"
    }

    /// The flags and numbers above the arrow and the length, window and options below it,
    /// turned along it so that they read left to right, a third of the way from the sender (two
    /// segments sent at once in both directions cross in the middle; their labels do not).
    func label(_ above: String, _ below: String, from a: (Double, Double), to b: (Double, Double), at fraction: Double, flags: TCPFlags) -> String {
        let (l, r) = a.0 <= b.0 ? (a, b) : (b, a)
        let angle = atan2(r.1 - l.1, r.0 - l.0) * 180 / Double.pi
        let mx = a.0 + (b.0 - a.0) * fraction, my = a.1 + (b.1 - a.1) * fraction
        let kind = flags.contains(.rst) ? "rst" : flags.contains(.syn) ? "syn" : flags.contains(.fin) ? "fin" : "data"
        return #"<g transform="rotate(\#(f(angle)) \#(f(mx)) \#(f(my)))"><text class="seg \#(kind)" x="\#(f(mx))" y="\#(f(my - 4))" text-anchor="middle">\#(xml(above))</text>"#
            + #"<text class="seg" x="\#(f(mx))" y="\#(f(my + 11))" text-anchor="middle">\#(xml(below))</text></g>"# + "\n"
    }

    /// The y of every instant in the drawing: time runs down, each step clamped, and an instant
    /// with several things at one host gets a line for each.
    func verticalPositions(_ entries: [Timeline.Entry]) -> [Instant: Double] {
        // Height needed at each instant by each host's side text, sends and arrivals.
        var lines: [Instant: [String: Double]] = [:]
        func count(_ t: Instant, _ key: String, _ height: Double) { lines[t, default: [:]][key, default: 0] += height }
        for e in entries {
            switch e.kind {
            case .receive: break
            case let .send(_, _, fate):
                count(e.time, "send " + e.host, segmentSpacing)
                if case .delivered(let at) = fate { count(at, "arrive " + e.host, segmentSpacing) }
            default: count(e.time, e.host, lineHeight * Double(sideText(e.kind).map { wrap($0.text).count } ?? 0))
            }
        }
        var y: [Instant: Double] = [:]
        var current = top, previous: Instant? = nil
        for t in lines.keys.sorted() {
            if let p = previous {
                let needed = lines[p]!.values.max() ?? 0
                let step = min(maximumStep, max(minimumStep, Double(t.nanoseconds - p.nanoseconds) / 1e9 * pixelsPerSecond))
                current += max(step, needed + 6)
            }
            y[t] = current
            previous = t
        }
        return y
    }

    /// The class and the text an entry writes at its host's side, if it writes any.
    func sideText(_ kind: Timeline.Kind) -> (cls: String, text: String)? {
        switch kind {
        case let .state(_, to): ("state", to.rawValue)
        case let .drop(reason, _): ("drop", "dropped: \(reason.rawValue)")
        case let .timer(timer): ("timer", "\(timer.rawValue) timer fires")
        case let .note(text): ("note", text)
        case .send, .receive, .info: nil
        }
    }

    /// Side text cut at spaces into lines that fit beside the lifeline (a word longer than a
    /// line stays whole).
    func wrap(_ text: String) -> [String] {
        let columns = Int((leftX - 90) / 6.2)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !line.isEmpty, line.count + 1 + word.count > columns {
                lines.append(line)
                line = String(word)
            } else {
                line += (line.isEmpty ? "" : " ") + word
            }
        }
        return lines + [line]
    }

    /// A number for an attribute: one decimal at most.
    func f(_ x: Double) -> String {
        let v = (x * 10).rounded() / 10
        return v == v.rounded() ? String(Int(v)) : String(v)
    }

    static let entities: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;"]

    /// Text with XML's special characters escaped; control characters, which XML 1.0 does not
    /// allow, become spaces.
    func xml(_ s: String) -> String {
        s.reduce(into: "") { out, ch in
            if let e = Self.entities[ch] { out += e } else if ch.unicodeScalars.first!.value < 0x20 { out += " " } else { out.append(ch) }
        }
    }
}
