import TCPCore
import TCPWire

/// A run as one self-contained HTML page (`--format html`): everything inline (SVG, CSS and a
/// little script), nothing fetched from anywhere, so the file opens the same offline, attached to
/// an issue or years later.
///
/// The page holds, top to bottom:
/// - the state timeline: a horizontal band per host, one coloured stretch per state with its
///   name (`rect.band` with `data-host` and `data-state`, in time order);
/// - for transfers (a run in which some segment carried data), plots over time of each
///   connection's congestion window, smoothed RTT and bytes in flight, drawn from
///   `Timeline.samples` as steps (`path.plot` with `data-metric`: a move to the first sample,
///   then `H x V y` to each next one; `data-samples` lists the samples' times and values);
/// - the ladder diagram, as `SVGRenderer` draws it (`line.segment`, one per segment);
/// - the explanation, if any.
///
/// The script only adds to what the markup already shows: a summary line counting what was
/// drawn (`#summary`, which also tells a headless browser's DOM dump that scripts ran) and a
/// readout of the nearest sample under the pointer on the plots.
public struct HTMLRenderer: Sendable {
    public var title: String
    /// Paragraphs under the drawings (the scenario's explanation).
    public var paragraphs: [String]
    /// Draws the ladder.
    public var ladder = SVGRenderer()
    /// Width of the state timeline and the plots.
    public var width: Double = 1200
    /// The ladder of a long transfer draws its first this many segments only (every segment
    /// takes 30 px of height); nil: all. The state timeline and the plots cover the whole run.
    public var ladderLimit: Int? = 500
    /// The page's language (BCP 47), for the `lang` attribute and the headings: `en` or `zh-Hans`.
    public var language = "en"

    /// The section headings in the page's language.
    var headings: (states: String, transfer: String, segments: String, explanation: String) {
        language.hasPrefix("zh") ? ("状态", "传输", "报文段", "发生了什么") : ("States", "Transfer", "Segments", "What happened")
    }

    public init(title: String, paragraphs: [String] = []) {
        self.title = title
        self.paragraphs = paragraphs
    }

    /// Fill colour of each state's stretch of a band.
    public static let stateColors: [TCPState: String] = [
        .closed: "#d9d9d9", .listen: "#c6dbef", .synSent: "#fdd0a2", .synReceived: "#fdae6b",
        .established: "#a1d99b", .finWait1: "#fcbba1", .finWait2: "#fc9272", .closeWait: "#dadaeb",
        .closing: "#bcbddc", .lastAck: "#9e9ac8", .timeWait: "#fee391",
    ]

    /// Line colours of the plot series, in order of first appearance.
    public static let seriesColors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// What the plots show: a name, the unit of the axis and how to read a sample.
    public struct Metric: Sendable {
        public var name: String
        public var title: String
        public var unit: String
        public var value: @Sendable (StatisticsSample) -> Double?
    }

    public static let metrics: [Metric] = [
        Metric(name: "cwnd", title: "Congestion window (cwnd)", unit: "bytes") { Double($0.cwnd) },
        Metric(name: "srtt", title: "Smoothed RTT (SRTT)", unit: "ms") { s in s.srtt.map { Double($0.nanoseconds) / 1e6 } },
        Metric(name: "inflight", title: "Bytes in flight (sent, not yet acknowledged)", unit: "bytes") { Double($0.bytesInFlight) },
    ]

    public func render(_ timeline: Timeline) -> String {
        let x = ladder
        var out = "<!DOCTYPE html>\n<html lang=\"\(x.xml(language))\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<title>\(x.xml(title))</title>\n"
        out += "<style>\n\(Self.css)</style>\n</head>\n<body>\n"
        out += "<h1>\(x.xml(title))</h1>\n"
        out += "<p id=\"summary\" class=\"summary\">(the summary line is written by the page's script)</p>\n"
        out += "<section id=\"states\">\n<h2>\(headings.states)</h2>\n" + stateTimeline(timeline) + "</section>\n"
        if isTransfer(timeline) {
            out += "<section id=\"plots\">\n<h2>\(headings.transfer)</h2>\n"
            if timeline.samples.isEmpty {
                out += "<p class=\"empty\">No statistics were sampled in this run.</p>\n"
            } else {
                out += legend(timeline)
                for m in Self.metrics { out += plot(timeline, m) }
            }
            out += "</section>\n"
        }
        let sends = timeline.sorted.enumerated().filter { if case .send = $0.element.kind { true } else { false } }
        out += "<section id=\"ladder\" data-segments=\"\(sends.count)\">\n<h2>\(headings.segments)</h2>\n"
        var drawn = timeline
        if let limit = ladderLimit, sends.count > limit {
            // Everything up to the last segment drawn, and what happened at that instant.
            let cut = sends[limit - 1].element.time
            drawn.entries = timeline.sorted.filter { $0.time <= cut }
            let kept = drawn.entries.filter { if case .send = $0.kind { true } else { false } }.count
            out += "<p class=\"note\" id=\"ladder-limit\">The first \(kept) of \(sends.count) segments, until \(LadderRenderer().formatTime(cut)) s (the whole ladder: <code>--format svg</code>).</p>\n"
        }
        var svg = ladder.render(drawn)
        if svg.hasPrefix("<?xml"), let end = svg.firstIndex(of: "\n") { svg = String(svg[svg.index(after: end)...]) }
        out += svg + "</section>\n"
        if !paragraphs.isEmpty {
            out += "<section id=\"explanation\">\n<h2>\(headings.explanation)</h2>\n<ul>\n"
            for p in paragraphs { out += "<li>\(x.xml(p))</li>\n" }
            out += "</ul>\n</section>\n"
        }
        out += "<script>\n\(Self.script)</script>\n</body>\n</html>\n"
        return out
    }

    /// A run is a transfer when some segment carried data.
    func isTransfer(_ t: Timeline) -> Bool {
        t.entries.contains { e in if case let .send(_, s, _) = e.kind { s.payloadLength > 0 } else { false } }
    }

    // MARK: State timeline

    /// One stretch of a host's band.
    struct Stretch { var state: TCPState; var from: Instant; var to: Instant }

    /// Each host's states from the start of the run to its end, in order.
    func stretches(_ timeline: Timeline) -> [String: [Stretch]] {
        let entries = timeline.sorted
        let start = min(entries.first?.time ?? .zero, .zero)
        let end = entries.last?.time ?? .zero
        var out: [String: [Stretch]] = [:]
        for h in timeline.hosts {
            var list: [Stretch] = []
            var current: TCPState? = nil
            var since = start
            for e in entries where e.host == h {
                guard case let .state(from, to) = e.kind else { continue }
                if current == nil { current = from }
                list.append(Stretch(state: current!, from: since, to: e.time))
                current = to
                since = e.time
            }
            // A host whose state never changes has no connection: CLOSED (RFC 9293 §3.3.2).
            list.append(Stretch(state: current ?? .closed, from: since, to: end))
            out[h] = list
        }
        return out
    }

    func stateTimeline(_ timeline: Timeline) -> String {
        let x = ladder
        let all = stretches(timeline)
        // Time runs right on a compressed scale, as the ladder's runs down: each step between two
        // instants at which some state changed is kept between `minStep` (room for a state's name)
        // and `maxStep` (a minute of TIME-WAIT does not take a mile).
        let minStep = 82.0, maxStep = 150.0, pixelsPerSecond = 4000.0
        let left = 80.0, bandHeight = 30.0, gap = 14.0, top = 10.0
        var instants = Set<Instant>()
        for (_, list) in all { for s in list { instants.insert(s.from); instants.insert(s.to) } }
        var xs: [Instant: Double] = [:]
        var cx = left, previous: Instant? = nil
        for t in instants.sorted() {
            if let p = previous {
                cx += min(maxStep, max(minStep, Double((t - p).nanoseconds) / 1e9 * pixelsPerSecond))
            }
            xs[t] = cx
            previous = t
        }
        // The last stretch of each band goes on past the end of the run by one step.
        let tail = minStep
        let right = cx + tail
        let height = top + Double(timeline.hosts.count) * (bandHeight + gap) + 30
        let width = right + 20
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" class="states" width="\#(x.f(width))" height="\#(x.f(height))" viewBox="0 0 \#(x.f(width)) \#(x.f(height))">"# + "\n"
        let lastInstant = instants.max()
        for (k, h) in timeline.hosts.enumerated() {
            let y = top + Double(k) * (bandHeight + gap)
            svg += #"<text class="band-host" x="\#(x.f(left - 10))" y="\#(x.f(y + bandHeight / 2 + 5))" text-anchor="end">\#(x.xml(h))</text>"# + "\n"
            let list = all[h] ?? []
            for (i, s) in list.enumerated() {
                let x0 = xs[s.from]!
                var x1 = xs[s.to]!
                if i == list.count - 1, s.to == lastInstant { x1 = right }
                let w = max(x1 - x0, 2)
                let color = Self.stateColors[s.state] ?? "#eee"
                let span = "\(LadderRenderer().formatTime(s.from))–\(LadderRenderer().formatTime(s.to)) s"
                svg += #"<g class="stretch"><rect class="band" data-host="\#(x.xml(h))" data-state="\#(s.state.rawValue)" x="\#(x.f(x0))" y="\#(x.f(y))" width="\#(x.f(w))" height="\#(x.f(bandHeight))" fill="\#(color)"><title>\#(x.xml(h)): \#(s.state.rawValue), \#(span)</title></rect>"#
                // A state left at the instant it was entered is a sliver without a name.
                if x1 > x0 {
                    svg += #"<text class="band-label" x="\#(x.f(x0 + 3))" y="\#(x.f(y + bandHeight / 2 + 4))">\#(s.state.rawValue)</text>"#
                }
                svg += "</g>\n"
            }
        }
        // The time of each instant under the bands.
        let axisY = top + Double(timeline.hosts.count) * (bandHeight + gap) + 4
        for t in instants.sorted() {
            let tx = xs[t]!
            svg += #"<line class="tick" x1="\#(x.f(tx))" y1="\#(x.f(top))" x2="\#(x.f(tx))" y2="\#(x.f(axisY))"/>"#
            svg += #"<text class="tick-label" x="\#(x.f(tx))" y="\#(x.f(axisY + 12))" text-anchor="middle">\#(LadderRenderer().formatTime(t))</text>"# + "\n"
        }
        return "<div class=\"scroll\">\n" + svg + "</svg>\n</div>\n"
    }

    // MARK: Plots

    func legend(_ timeline: Timeline) -> String {
        var out = "<p class=\"legend\">"
        for (k, s) in timeline.sampleSeries.enumerated() {
            let color = Self.seriesColors[k % Self.seriesColors.count]
            out += #"<span class="key"><span class="swatch" style="background:\#(color)"></span>\#(ladder.xml(s.host)) (\#(s.connection))</span> "#
        }
        return out + "</p>\n"
    }

    /// One metric over time, a step line per connection with a vertex per sample (the samples
    /// where the metric has no value yet, SRTT before the first measurement, are left out).
    func plot(_ timeline: Timeline, _ m: Metric) -> String {
        let x = ladder
        let series = timeline.sampleSeries
        let t0 = timeline.samples.map(\.time).min()!.seconds
        let t1 = timeline.samples.map(\.time).max()!.seconds
        let span = max(t1 - t0, 1e-6)
        let values = timeline.samples.compactMap(m.value)
        let vmax = niceCeiling(values.max() ?? 1)
        let left = 90.0, right = width - 20, top = 30.0, bottom = 190.0
        let height = bottom + 40
        func px(_ t: Double) -> Double { left + (t - t0) / span * (right - left) }
        func py(_ v: Double) -> Double { bottom - v / vmax * (bottom - top) }
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="plot-\#(m.name)" data-metric="\#(m.name)" data-t0="\#(t0)" data-t1="\#(t1)" data-vmax="\#(vmax)" width="\#(x.f(width))" height="\#(x.f(height))" viewBox="0 0 \#(x.f(width)) \#(x.f(height))">"# + "\n"
        svg += #"<text class="plot-title" x="\#(x.f(left))" y="18">\#(x.xml(m.title)) [\#(m.unit)]</text>"# + "\n"
        svg += #"<rect class="frame" x="\#(x.f(left))" y="\#(x.f(top))" width="\#(x.f(right - left))" height="\#(x.f(bottom - top))"/>"# + "\n"
        for k in 0...4 {
            let v = vmax * Double(k) / 4, gy = py(v)
            svg += #"<line class="grid" x1="\#(x.f(left))" y1="\#(x.f(gy))" x2="\#(x.f(right))" y2="\#(x.f(gy))"/>"#
            svg += #"<text class="axis" x="\#(x.f(left - 6))" y="\#(x.f(gy + 4))" text-anchor="end">\#(number(v))</text>"# + "\n"
            let t = t0 + span * Double(k) / 4
            svg += #"<text class="axis" x="\#(x.f(px(t)))" y="\#(x.f(bottom + 16))" text-anchor="middle">\#(number(t)) s</text>"# + "\n"
        }
        for (k, s) in series.enumerated() {
            let color = Self.seriesColors[k % Self.seriesColors.count]
            let points = s.samples.compactMap { sample in m.value(sample).map { (sample.time.seconds, $0) } }
            // A sample holds until the next one: a step from each sample to the next (horizontal,
            // then vertical), so that a value that held for a second is not drawn as a slope.
            var path = ""
            for (i, p) in points.enumerated() {
                path += i == 0 ? "M\(x.f(px(p.0))),\(x.f(py(p.1)))" : " H\(x.f(px(p.0))) V\(x.f(py(p.1)))"
            }
            let data = points.map { "\($0.0):\($0.1)" }.joined(separator: " ")
            svg += #"<path class="plot \#(m.name)" data-metric="\#(m.name)" data-host="\#(x.xml(s.host))" data-connection="\#(s.connection)" data-samples="\#(data)" stroke="\#(color)" d="\#(path)"/>"# + "\n"
        }
        svg += #"<text class="readout" x="\#(x.f(right))" y="18" text-anchor="end"></text>"# + "\n"
        return svg + "</svg>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `v` (and at least 1).
    func niceCeiling(_ v: Double) -> Double {
        guard v > 1 else { return 1 }
        var p = 1.0
        while p * 10 < v { p *= 10 }
        for f in [1.0, 2, 5, 10] where f * p >= v { return f * p }
        return 10 * p
    }

    /// A number for an axis label: integers as such, fractions with up to three decimals.
    func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        var s = String((v * 1000).rounded() / 1000)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    // MARK: Style and script

    static let css = """
    body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:16px;color:#222;background:#fff}
    h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:18px 0 6px}
    .summary{color:#555;margin:0 0 8px}.note{color:#555;font-style:italic}.scroll{overflow-x:auto}
    svg text{font-size:11px}.band{stroke:#fff;stroke-width:1}.band-label{font-size:10px;font-weight:bold;fill:#222;pointer-events:none}
    .band-host{font-size:13px;font-weight:bold}.tick{stroke:#bbb;stroke-dasharray:2 3}.tick-label{fill:#777;font-family:monospace;font-size:10px}
    .plot-title{font-size:13px;font-weight:bold}.frame{fill:none;stroke:#999}.grid{stroke:#eee}.axis{fill:#666;font-size:10px}
    path.plot{fill:none;stroke-width:2}.readout{fill:#333;font-family:monospace}
    .legend .key{margin-right:16px}.swatch{display:inline-block;width:14px;height:4px;margin-right:4px;vertical-align:middle}
    .retransmission{fill:#c00;font-weight:bold}

    """

    static let script = """
    (function () {
      var segments = document.querySelectorAll('#ladder line.segment').length;
      var all = parseInt(document.getElementById('ladder').dataset.segments, 10);
      var lost = document.querySelectorAll('#ladder line.segment.lost').length;
      var bands = document.querySelectorAll('#states rect.band');
      var hosts = {};
      bands.forEach(function (b) { (hosts[b.dataset.host] = hosts[b.dataset.host] || []).push(b.dataset.state); });
      var parts = Object.keys(hosts).map(function (h) { return h + ': ' + hosts[h].join(' \\u2192 '); });
      var plots = document.querySelectorAll('path.plot').length;
      var s = document.getElementById('summary');
      s.textContent = (all > segments ? segments + ' of ' + all + ' segments drawn' : segments + ' segments') +
        ' (' + lost + ' lost), ' + bands.length + ' state stretches, ' +
        plots + ' plotted series. ' + parts.join('; ');
      s.dataset.segments = segments;
      s.dataset.bands = bands.length;
      document.body.dataset.rendered = 'yes';
      document.querySelectorAll('svg.plot').forEach(function (svg) {
        var readout = svg.querySelector('.readout');
        var lines = Array.prototype.map.call(svg.querySelectorAll('path.plot'), function (p) {
          return { host: p.dataset.host, points: (p.dataset.samples || '').split(' ').filter(Boolean).map(function (x) {
            var v = x.split(':'); return [parseFloat(v[0]), parseFloat(v[1])]; }) };
        });
        var t0 = parseFloat(svg.dataset.t0), t1 = parseFloat(svg.dataset.t1);
        svg.addEventListener('mousemove', function (ev) {
          var box = svg.getBoundingClientRect();
          var t = t0 + (ev.clientX - box.left - 90) / (box.width - 110) * Math.max(t1 - t0, 1e-6);
          var text = [];
          lines.forEach(function (l) {
            var best = null;
            l.points.forEach(function (p) { if (p[0] <= t) best = p; });
            if (best) text.push(l.host + ' ' + best[1]);
          });
          readout.textContent = 't=' + t.toFixed(4) + ' s  ' + text.join('  ');
        });
      });
    })();

    """
}
