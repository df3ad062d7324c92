import TCPCore
import TCPTrace
import TCPWire

extension Scenario {
    /// A bulk transfer over a lossy 10 Mbit/s link (issue 4): the ladder with the handshake and the
    /// first round trips in full, then one line per measured round trip (`RoundTrip`) until the
    /// close, which is drawn in full again; after the explanation (computed from the run), the
    /// retransmissions, cwnd and RTT over time, and the connections' statistics.
    public static let bulk = Scenario(
        name: "bulk",
        summary: "a bulk transfer over a lossy 10 Mbit/s link: slow start, losses and their repair, one line per round trip",
        summaryZh: "在有丢包的 10 Mbit/s 链路上批量传输：慢启动、丢包与修复，每个往返一行"
    ) { o in
        var s = SimulationOptions()
        s.seed = o.seed
        s.bytes = o.bytes
        s.ipv6 = o.ipv6
        s.recording = true
        s.configuration.msl = o.msl
        if !o.quickACK { s.configuration.quickACKSegments = 0 }
        var link = LinkModel(delay: o.delay)
        link.bandwidthBitsPerSecond = bulkBandwidth
        link.queue = .packets(50)
        link.loss = o.loss
        s.link = link
        s.livenessBound = .seconds(3600)
        // The rounds' cwnd, ssthresh, srtt and bytes in flight come from the samples: one after
        // every instant at which something happened, so each round sees its sender's exact values.
        s.sampling = .eachInstant
        let sim = Simulation(s)
        let result = sim.run()
        let rounds = sim.network.timeline.roundTrips(of: "client")
        let facts = BulkFacts(sim.network.timeline, result, rounds, baseRTT: roundTrip(o))
        var run = ScenarioRun(name: "bulk", network: sim.network, explanations: bulkExplanation(o, result, facts))
        run.rounds = rounds
        run.report = bulkReport(sim.network.timeline, result, rounds, facts)
        return run
    }

    static let bulkBandwidth = 10e6

    /// The link's round trip with an empty queue: twice the delay plus one full packet's
    /// serialization (at least 1 ms).
    static func roundTrip(_ o: ScenarioOptions) -> Duration {
        let serialization = Int64(1500 * 8 / bulkBandwidth * 1e9)
        return .nanoseconds(max(1_000_000, 2 * o.delay.nanoseconds + serialization))
    }

    /// What the explanation and the report say, measured from the run.
    struct BulkFacts {
        /// Segments in the first flight (the initial window, RFC 6928).
        var initialWindow = 0
        /// Leading rounds in slow start (no ssthresh set yet, no loss being repaired).
        var slowStartRounds = 0, totalRounds = 0
        var slowStartEnd: Instant? = nil
        var dataLost = 0, acksLost = 0
        /// Entries into fast recovery (from the sender's samples), retransmission-timer expiries
        /// and tail loss probes (from its timer events).
        var fastRecoveries = 0, timeouts = 0, lossProbes = 0
        var retransmissions: [(time: Instant, seq: UInt32, length: Int, cause: String, causeZh: String)] = []
        var peakCwnd = 0
        var sendMSS = 1448
        /// The measured rounds' lengths, shortest and longest, and the empty-queue RTT.
        var shortestRound: Duration? = nil, longestRound: Duration? = nil
        var baseRTT: Duration
        var goodput = 0.0

        init(_ timeline: Timeline, _ r: SimulationResult, _ rounds: [RoundTrip], baseRTT: Duration) {
            self.baseRTT = baseRTT
            initialWindow = rounds.first?.segments ?? 0
            totalRounds = rounds.count
            for round in rounds {
                guard let i = round.info, i.ssthresh == nil, i.congestionState == .open else { break }
                slowStartRounds += 1
            }
            slowStartEnd = r.samples.first { $0.host == "client" && $0.info.ssthresh != nil }?.time
            dataLost = rounds.map(\.dataLost).reduce(0, +)
            acksLost = rounds.map(\.acksLost).reduce(0, +)
            lossProbes = rounds.map(\.lossProbes).reduce(0, +)
            var previous = CongestionState.open
            for s in r.samples where s.host == "client" {
                if s.info.congestionState == .recovery, previous != .recovery { fastRecoveries += 1 }
                previous = s.info.congestionState
                peakCwnd = max(peakCwnd, s.cwnd)
                sendMSS = s.info.sendMSS
            }
            let completed = rounds.compactMap(\.duration)
            shortestRound = completed.min()
            longestRound = completed.max()
            goodput = r.directions.first?.goodputBitsPerSecond ?? 0
            // Each retransmission and what sent it: a timer that fired at the same instant, or
            // else the ACKs (fast retransmit, SACK or RACK loss detection).
            let retransmitted = timeline.retransmittedPackets
            var isn: SequenceNumber? = nil
            var firedAt: (time: Instant, kind: TimerKind)? = nil
            for e in timeline.sorted where e.host == "client" {
                switch e.kind {
                case let .timer(kind) where kind == .retransmit || kind == .lossProbe:
                    firedAt = (e.time, kind)
                    if kind == .retransmit { timeouts += 1 }
                case let .send(packet, s, _):
                    if s.flags.contains(.syn) { isn = isn ?? s.sequenceNumber }
                    guard retransmitted.contains(packet), s.payloadLength > 0, let base = isn else { continue }
                    let cause: (String, String)
                    if let f = firedAt, f.time == e.time {
                        cause = f.kind == .retransmit ? ("retransmission timeout (RFC 6298 §5.4)", "重传超时（RFC 6298 §5.4）")
                                                      : ("tail loss probe (RFC 8985 §7)", "尾部丢包探测（RFC 8985 §7）")
                    } else {
                        cause = ("fast retransmit / loss recovery (RFC 6675, RFC 8985)", "快速重传 / 丢包恢复（RFC 6675、RFC 8985）")
                    }
                    retransmissions.append((e.time, s.sequenceNumber.rawValue &- base.rawValue, s.payloadLength, cause.0, cause.1))
                default:
                    continue
                }
            }
        }
    }

    static func bulkExplanation(_ o: ScenarioOptions, _ r: SimulationResult, _ f: BulkFacts) -> Explanation {
        let d = r.directions.first
        let bytes = d?.bytes ?? 0
        let loss = format3(o.loss * 100).trimmedZeros
        let retx = r.retransmittedSegments
        let goodput = rate(f.goodput)
        let share = format3(f.goodput / bulkBandwidth * 100).trimmedZeros
        let intact = r.intact ? "byte for byte (SHA-256 \(d?.sha256Received.prefix(16) ?? "")…)" : "NOT intact: \(r.failures.joined(separator: "; "))"
        let intactZh = r.intact ? "逐字节一致（SHA-256 \(d?.sha256Received.prefix(16) ?? "")…）" : "数据不完整：\(r.failures.joined(separator: "；"))"
        let mss = f.sendMSS
        let peakSegments = format3(Double(f.peakCwnd) / Double(max(mss, 1))).trimmedZeros
        let slowEnd = f.slowStartEnd.map { format3($0.seconds) + " s" } ?? "-"
        let slowStart = f.slowStartEnd != nil
            ? "it lasted \(f.slowStartRounds) of the \(f.totalRounds) round trips, until \(slowEnd), when the first loss was detected and ssthresh was set"
            : "no loss ended it: all \(f.totalRounds) round trips were slow start"
        let slowStartZh = f.slowStartEnd != nil
            ? "它持续了全部 \(f.totalRounds) 个往返中的 \(f.slowStartRounds) 个，直到 \(slowEnd) 检测到第一次丢包、设置了 ssthresh"
            : "没有丢包打断它：全部 \(f.totalRounds) 个往返都处于慢启动"
        let shortest = f.shortestRound.map { ms($0) } ?? "-", longest = f.longestRound.map { ms($0) } ?? "-"
        return Explanation(en: [
            "The client sends \(bytes) bytes over a 10 Mbit/s link with a 50-packet drop-tail queue that loses \(loss)% of the packets each way; they arrive \(intact), at \(goodput) (\(share)% of the link rate, handshake and slow start included), with \(retx) segments retransmitted.",
            "Slow start (RFC 5681 §3.1): the first flight was \(f.initialWindow) segments, the initial window of RFC 6928, and each ACK let cwnd grow by what it acknowledged; \(slowStart). The receiver ACKs every second full segment (RFC 9293 §3.8.6.3, RFC 5681 §4.2), so a flight's ACKs are about half its segments.",
            f.dataLost + f.acksLost + f.fastRecoveries + f.timeouts + f.lossProbes == 0
                ? "Losses: none, so no fast retransmit or recovery (RFC 5681 §3.2, RFC 6675), no retransmission timeout (RFC 6298 §5) and no tail loss probe (RFC 8985 §7) was needed."
                : "Losses: the link lost \(f.dataLost) data segments and \(f.acksLost) ACKs. The sender entered fast recovery \(f.fastRecoveries) times, on duplicate ACKs and SACK blocks (RFC 5681 §3.2, RFC 6675, RACK RFC 8985), reducing cwnd (CUBIC, RFC 9438 §4.6, by the factor 0.7) and pacing the repair with PRR (RFC 6937); its retransmission timer expired \(f.timeouts) times (RFC 6298 §5.4, cwnd back to one segment, RFC 5681 §3.1) and it sent \(f.lossProbes) tail loss probes (RFC 8985 §7).",
            "cwnd peaked at \(f.peakCwnd) bytes (\(peakSegments) segments of \(mss) bytes). A round trip, measured from a flight's first segment to the ACK that covers it, lasted \(shortest) to \(longest), against \(ms(f.baseRTT)) with an empty queue: the rest is the time packets waited in the link's queue. The RTO is computed from these measurements (RFC 6298 §2) and is at least 1 s.",
            "The receiver keeps out-of-order bytes and delivers them once the gap is filled (RFC 9293 §3.10.7.4), so the application reads every byte once and in order; the client's FIN follows the last byte, and the connection closes as in the classic scenario.",
        ], zh: [
            "客户端通过一条 10 Mbit/s、队列为 50 个分组（尾部丢弃）、每个方向丢包率为 \(loss)% 的链路发送 \(bytes) 字节；数据\(intactZh)，有效吞吐量 \(goodput)（链路速率的 \(share)%，包括握手和慢启动），重传了 \(retx) 个报文段。",
            "慢启动（RFC 5681 §3.1）：第一批数据是 \(f.initialWindow) 个报文段，即 RFC 6928 的初始窗口，每个 ACK 让 cwnd 按其确认的字节数增长；\(slowStartZh)。接收方每收到两个满长报文段回复一个 ACK（RFC 9293 §3.8.6.3、RFC 5681 §4.2），所以一批数据的 ACK 大约是其报文段数的一半。",
            f.dataLost + f.acksLost + f.fastRecoveries + f.timeouts + f.lossProbes == 0
                ? "丢包：没有，所以不需要快速重传或快速恢复（RFC 5681 §3.2、RFC 6675）、重传超时（RFC 6298 §5）或尾部丢包探测（RFC 8985 §7）。"
                : "丢包：链路丢失了 \(f.dataLost) 个数据报文段和 \(f.acksLost) 个 ACK。发送方 \(f.fastRecoveries) 次因重复 ACK 和 SACK 块进入快速恢复（RFC 5681 §3.2、RFC 6675、RACK RFC 8985），减小 cwnd（CUBIC，RFC 9438 §4.6，乘以 0.7），并用 PRR（RFC 6937）控制修复的节奏；重传定时器超时 \(f.timeouts) 次（RFC 6298 §5.4，cwnd 回到一个报文段，RFC 5681 §3.1），发送了 \(f.lossProbes) 个尾部丢包探测（RFC 8985 §7）。",
            "cwnd 最大为 \(f.peakCwnd) 字节（\(peakSegments) 个 \(mss) 字节的报文段）。从一批数据的第一个报文段到确认它的 ACK 所测得的往返时间为 \(shortest) 到 \(longest)，而队列为空时为 \(ms(f.baseRTT))：多出的部分是分组在链路队列中等待的时间。RTO 由这些测量值计算（RFC 6298 §2），至少 1 秒。",
            "接收方保留乱序到达的字节，空洞填上后再一并交付（RFC 9293 §3.10.7.4），所以应用程序按顺序、恰好一次地读到每个字节；客户端的 FIN 跟在最后一个字节之后，连接像 classic 场景那样关闭。",
        ])
    }

    /// After the explanation: every retransmission and its cause, cwnd and RTT over time (one
    /// value per round trip), and the final statistics of both sides.
    static func bulkReport(_ timeline: Timeline, _ r: SimulationResult, _ rounds: [RoundTrip], _ f: BulkFacts) -> Explanation {
        var en: [String] = [], zh: [String] = []
        en.append("Retransmissions (\(f.retransmissions.count)):")
        zh.append("重传（\(f.retransmissions.count) 次）：")
        // Every one, unless there are more than 100: then the first and last 50 and a line that
        // says how many are left out (all are in the JSON lines and the full ladder).
        let list = f.retransmissions
        for (k, x) in list.enumerated() {
            if list.count > 100 && k >= 50 && k < list.count - 50 {
                if k == 50 {
                    en.append("  ⋮ \(list.count - 100) more (every one is in --format jsonl and in the ladder with --condense never)")
                    zh.append("  ⋮ 另有 \(list.count - 100) 次（全部见 --format jsonl 以及 --condense never 的完整阶梯图）")
                }
                continue
            }
            let at = pad(format3(x.time.seconds) + " s", 10) + pad("seq \(x.seq) len \(x.length)", 22)
            en.append("  " + at + x.cause)
            zh.append("  " + at + x.causeZh)
        }
        let measured = rounds.filter { $0.info != nil }
        let cwnds = measured.map { Double($0.info!.cwnd) }
        let lengths = rounds.compactMap { $0.duration.map { Double($0.nanoseconds) / 1e6 } }
        let srtts = measured.compactMap { $0.info!.srtt.map { Double($0.nanoseconds) / 1e6 } }
        // Over 80 rounds a character stands for the average of several (said on the line).
        func range(_ v: [Double], _ unit: String, _ unitZh: String) -> (String, String) {
            let per = (v.count + 79) / 80
            let span = "\(format3(v.min()!).trimmedZeros)…\(format3(v.max()!).trimmedZeros)"
            return (span + " " + unit + (per > 1 ? " (a character per \(per) rounds, averaged)" : ""),
                    span + " " + unitZh + (per > 1 ? "（每个字符为 \(per) 个往返的平均值）" : ""))
        }
        if !cwnds.isEmpty {
            let (r, rz) = range(cwnds, "bytes", "字节")
            en.append("cwnd, one value per round trip: \(sparkline(cwnds))  \(r)")
            zh.append("cwnd，每个往返一个值：\(sparkline(cwnds))  \(rz)")
        }
        if !lengths.isEmpty {
            let (r, rz) = range(lengths, "ms", "ms")
            en.append("measured round trip:            \(sparkline(lengths))  \(r)")
            zh.append("测得的往返时间：                \(sparkline(lengths))  \(rz)")
        }
        if !srtts.isEmpty {
            let (r, rz) = range(srtts, "ms", "ms")
            en.append("srtt (RFC 6298), per round:     \(sparkline(srtts))  \(r)")
            zh.append("srtt（RFC 6298），每个往返：    \(sparkline(srtts))  \(rz)")
        }
        for host in ["client", "server"] {
            guard let i = r.finalInfo[host] else { continue }
            let srtt = i.srtt.map { ms($0) } ?? "-"
            en.append("\(host) at close(): sent \(i.bytesSent) B (\(i.bytesRetransmitted) again, \(i.segmentsRetransmitted) segments retransmitted), acked \(i.bytesAcked) B, received \(i.bytesReceived) B; \(i.duplicateACKs) duplicate ACKs, \(i.sackedBytes) bytes SACKed, \(i.outOfOrderSegments) out-of-order segments; srtt \(srtt), rto \(ms(i.rto)), cwnd \(i.cwnd), ssthresh \(i.ssthresh.map(String.init) ?? "∞"), delivery rate \(rate(Double(i.deliveryRate) * 8))")
            zh.append("\(host) 调用 close() 时：发送 \(i.bytesSent) 字节（其中重发 \(i.bytesRetransmitted) 字节，重传 \(i.segmentsRetransmitted) 个报文段），被确认 \(i.bytesAcked) 字节，接收 \(i.bytesReceived) 字节；重复 ACK \(i.duplicateACKs) 个，被 SACK 的字节 \(i.sackedBytes) 个，乱序报文段 \(i.outOfOrderSegments) 个；srtt \(srtt)，rto \(ms(i.rto))，cwnd \(i.cwnd)，ssthresh \(i.ssthresh.map(String.init) ?? "∞")，交付速率 \(rate(Double(i.deliveryRate) * 8))")
        }
        return Explanation(en: en, zh: zh)
    }

    /// Round trips drawn in full at the start of a condensed bulk ladder (after the handshake).
    public static let roundsInFull = 2

    /// A column of the round-trip table: its heading, its width in the full table, and what it
    /// shows of a round.
    struct RoundColumn: Sendable {
        var heading: String
        var width: Int
        var value: @Sendable (RoundTrip) -> String
    }

    /// The columns of the round-trip table in their order; the notes (the congestion state when
    /// not open, RTO×n, TLP×n) come last, unpadded.
    static let roundColumns: [RoundColumn] = [
        RoundColumn(heading: "time (s)", width: 11) { sixDecimals($0.start) },
        RoundColumn(heading: "round", width: 7) { String($0.number) },
        RoundColumn(heading: "length", width: 12) { $0.duration.map { ms($0) } ?? "(open)" },
        RoundColumn(heading: "sent →", width: 18) { "\($0.segments) seg \($0.bytes) B" },
        RoundColumn(heading: "seq (relative)", width: 21) { x in x.lowestSeq.map { "\($0)–\(x.highestEnd!)" } ?? "-" },
        RoundColumn(heading: "retx", width: 6) { String($0.retransmitted) },
        RoundColumn(heading: "lost →/←", width: 10) { "\($0.dataLost)/\($0.acksLost)" },
        RoundColumn(heading: "ACKs ← (dup)", width: 14) { "\($0.acksReceived) (\($0.duplicateACKs))" },
        RoundColumn(heading: "ack (relative)", width: 21) { "\($0.ackAtStart.map(String.init) ?? "-")→\($0.ackAtEnd.map(String.init) ?? "-")" },
        RoundColumn(heading: "cwnd", width: 10) { $0.info.map { String($0.cwnd) } ?? "-" },
        RoundColumn(heading: "ssthresh", width: 10) { $0.info.map { $0.ssthresh.map(String.init) ?? "∞" } ?? "-" },
        RoundColumn(heading: "srtt", width: 12) { $0.info?.srtt.map { ms($0) } ?? "-" },
        RoundColumn(heading: "in flight", width: 11) { $0.info.map { String($0.bytesInFlight) } ?? "-" },
    ]

    /// Which columns a narrower table gives up, first to last: the sequence ranges (the ladder
    /// around the table shows them), then what a learner reads least. Time, round, length, data
    /// sent, retransmissions, cwnd, srtt and the notes always stay.
    static let roundColumnsDropped = ["seq (relative)", "ack (relative)", "ssthresh", "in flight", "ACKs ← (dup)", "lost →/←"]

    /// The round-trip table as lines: the heading, then one line per round (`rows`, the lines
    /// `roundLines` chooses). Without `width` every column at its full width, as it always was;
    /// with one, each column only as wide as its contents and, while the widest line is still too
    /// wide, columns dropped in `roundColumnsDropped`'s order; notes that still do not fit wrap.
    static func roundTable(_ rows: [RoundRow], width: Int?) -> [String] {
        let notes = rows.map { row -> String in
            guard case .round(let x) = row else { return "" }
            return roundNotes(x)
        }
        var columns = roundColumns
        if let width {
            let rounds = rows.compactMap { row -> RoundTrip? in if case .round(let x) = row { x } else { nil } }
            for i in columns.indices {
                columns[i].width = rounds.map { columns[i].value($0).count }.reduce(columns[i].heading.count, max) + 2
            }
            let widestNotes = notes.map(\.count).reduce("notes".count, max)
            for name in roundColumnsDropped where columns.map(\.width).reduce(0, +) + widestNotes > width {
                columns.removeAll { $0.heading == name }
            }
        }
        let indent = String(repeating: " ", count: columns.map(\.width).reduce(0, +))
        var lines = [columns.map { pad($0.heading, $0.width) }.joined() + "notes"]
        for (row, note) in zip(rows, notes) {
            switch row {
            case .elided(let line):
                lines.append(width.map { Terminal.wrap(line, width: $0, indent: "⋮          ").joined(separator: "\n") } ?? line)
            case .round(let x):
                var t = columns.map { pad($0.value(x), $0.width) }.joined() + note
                while t.hasSuffix(" ") { t.removeLast() }
                if let width, Terminal.width(of: t) > width {
                    t = Terminal.wrap(t, width: width, indent: indent).joined(separator: "\n")
                }
                lines.append(t)
            }
        }
        return lines
    }

    static func roundNotes(_ x: RoundTrip) -> String {
        var notes: [String] = []
        if let s = x.info?.congestionState, s != .open { notes.append(s.rawValue) }
        if x.timeouts > 0 { notes.append("RTO×\(x.timeouts)") }
        if x.lossProbes > 0 { notes.append("TLP×\(x.lossProbes)") }
        return notes.joined(separator: " ")
    }

    /// A line of the round-trip table: a round, or the line that says how many were elided.
    enum RoundRow {
        case round(RoundTrip)
        case elided(String)
    }

    /// The table's rows, all of them, or with `maxRows` the first and last halves of that many
    /// and one line that says how many were left out.
    static func roundRows(_ rounds: ArraySlice<RoundTrip>, maxRows: Int?) -> [RoundRow] {
        guard let cap = maxRows, rounds.count > cap else { return rounds.map(RoundRow.round) }
        let head = cap - cap / 2, tailCount = cap / 2
        return rounds.prefix(head).map(RoundRow.round)
            + [.elided("⋮          \(rounds.count - cap) rounds elided (--max-rounds \(cap))")]
            + rounds.suffix(tailCount).map(RoundRow.round)
    }

    /// The whole table for `rounds` (heading included), fitted to `width` when given.
    static func roundLines(_ rounds: ArraySlice<RoundTrip>, maxRows: Int?, width: Int? = nil) -> [String] {
        roundTable(roundRows(rounds, maxRows: maxRows), width: width)
    }

    static func sixDecimals(_ t: Instant) -> String {
        let micros = t.nanoseconds / 1000
        let f = String(micros % 1_000_000)
        return "\(micros / 1_000_000).\(String(repeating: "0", count: 6 - f.count))\(f)"
    }

    /// The ladder's folds for a condensed bulk run: the handshake and the first `roundsInFull`
    /// rounds drawn in full, then one line per round trip until the first FIN (or SYN, RST) on the
    /// wire after them (the close is drawn in full). Empty when there are too few rounds to gain anything.
    public static func roundFolds(_ timeline: Timeline, _ rounds: [RoundTrip], sender: String = "client", maxRows: Int? = nil,
                                  width: Int? = nil) -> [LadderRenderer.Fold] {
        guard rounds.count > roundsInFull + 1 else { return [] }
        let entries = timeline.sorted
        let foldStart = rounds[roundsInFull].start
        guard let lo = entries.firstIndex(where: { $0.time >= foldStart }) else { return [] }
        // Up to the first SYN, FIN or RST on the wire. A state change within (close() called
        // while data is still queued: ESTABLISHED → FIN-WAIT-1 before the FIN can go) gets a line.
        var hi = lo
        var changes: [(time: Instant, line: String)] = []
        while hi < entries.count {
            let e = entries[hi]
            if case let .send(_, s, _) = e.kind, !s.flags.isDisjoint(with: [.syn, .fin, .rst]) { break }
            if case let .state(from, to) = e.kind {
                changes.append((e.time, "⋮          (\(e.host): \(from.rawValue) → \(to.rawValue) at \(sixDecimals(e.time)) s)"))
            }
            hi += 1
        }
        let foldEnd = hi < entries.count ? entries[hi].time : nil
        let folded = rounds[roundsInFull...].prefix { r in foldEnd.map { r.start < $0 } ?? true }
        guard folded.count >= 2 else { return [] }
        var rows: [RoundRow]
        if let cap = maxRows, folded.count > cap {
            rows = roundRows(folded, maxRows: cap) + changes.map { .elided($0.line) }
        } else {
            // Each state change after the round it happened in.
            rows = []
            for r in folded {
                rows.append(.round(r))
                let next = r.number < rounds.count ? rounds[r.number].start : nil
                rows += changes.filter { c in c.time >= r.start && (next.map { c.time < $0 } ?? true) }.map { .elided($0.line) }
            }
        }
        var lines = ["⋮          from round \(roundsInFull + 1) on, one line per round trip (a round ends when the ACK covering its first segment arrives; cwnd, ssthresh, srtt and in flight just before that ACK)"]
        lines += roundTable(rows, width: width)
        lines.append("⋮          (the ladder continues in full at \(sixDecimals(foldEnd ?? entries[hi - 1].time)) s, with the first FIN\(folded.last!.end.map { $0 > (foldEnd ?? $0) } == true ? ", inside round \(folded.last!.number)" : ""))")
        if let width {
            lines = lines.flatMap { Terminal.width(of: $0) > width ? Terminal.wrap($0, width: width, indent: "⋮          ") : [$0] }
        }
        return [LadderRenderer.Fold(range: lo..<hi, lines: lines)]
    }

    static func ms(_ d: Duration) -> String { format3(Double(d.nanoseconds) / 1e6).trimmedZeros + " ms" }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

    /// ▁▂▃▄▅▆▇█ scaled between the values' minimum and maximum (at most 80 characters: averaged).
    static func sparkline(_ values: [Double]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        var v = values
        if v.count > 80 {
            let per = (v.count + 79) / 80
            v = stride(from: 0, to: values.count, by: per).map { i in
                let chunk = values[i..<min(values.count, i + per)]
                return chunk.reduce(0, +) / Double(chunk.count)
            }
        }
        guard let lo = v.min(), let hi = v.max() else { return "" }
        return String(v.map { x in hi > lo ? bars[min(7, Int((x - lo) / (hi - lo) * 7.999))] : bars[0] })
    }
}

