import TCPCore
import TCPTrace
import TCPWire

extension Scenario {
    /// A bulk transfer over a lossy 10 Mbit/s link (issue 4): the ladder (condensed by the text
    /// renderer once the flow is steady), then one line per round trip with what went each way,
    /// cwnd and RTT, and the connections' statistics.
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
        var link = LinkModel(delay: o.delay)
        link.bandwidthBitsPerSecond = bulkBandwidth
        link.queue = .packets(50)
        link.loss = o.loss
        s.link = link
        s.livenessBound = .seconds(3600)
        let rtt = roundTrip(o)
        // The report's cwnd and srtt come from the samples too: at least one a round trip.
        s.sampling = o.sampling == .off ? .every(rtt) : o.sampling
        let sim = Simulation(s)
        let result = sim.run()
        var run = ScenarioRun(name: "bulk", network: sim.network, explanations: bulkExplanation(o, result))
        run.report = bulkReport(sim.network.timeline, result, rtt: rtt)
        return run
    }

    static let bulkBandwidth = 10e6

    /// The link's round trip with an empty queue: twice the delay plus one full packet's
    /// serialization (at least 1 ms).
    static func roundTrip(_ o: ScenarioOptions) -> Duration {
        let serialization = Int64(1500 * 8 / bulkBandwidth * 1e9)
        return .nanoseconds(max(1_000_000, 2 * o.delay.nanoseconds + serialization))
    }

    static func bulkExplanation(_ o: ScenarioOptions, _ r: SimulationResult) -> Explanation {
        let d = r.directions.first
        let bytes = d?.bytes ?? 0
        let loss = format3(o.loss * 100).trimmedZeros
        let retx = r.retransmittedSegments
        let goodput = rate(d?.goodputBitsPerSecond ?? 0)
        let intact = r.intact ? "byte for byte (SHA-256 \(d?.sha256Received.prefix(16) ?? "")…)" : "NOT intact: \(r.failures.joined(separator: "; "))"
        let intactZh = r.intact ? "逐字节一致（SHA-256 \(d?.sha256Received.prefix(16) ?? "")…）" : "数据不完整：\(r.failures.joined(separator: "；"))"
        return Explanation(en: [
            "The client sends \(bytes) bytes over a 10 Mbit/s link with a 50-packet drop-tail queue that loses \(loss)% of the packets each way; they arrive \(intact), at \(goodput), with \(retx) segments retransmitted.",
            "Slow start (RFC 5681 §3.1): the first flight is the initial window of 10 segments (RFC 6928), and each ACK lets cwnd grow by what it acknowledges, so the flights double every round trip until a loss.",
            "A lost segment leaves a gap: the receiver acknowledges every segment after it with the same number (duplicate ACKs, RFC 5681 §4.2); the third duplicate ACK triggers fast retransmit and fast recovery (RFC 5681 §3.2, RFC 6582), and cwnd is reduced (CUBIC, RFC 9438, by the factor 0.7).",
            "When too little comes back to count three duplicates, the retransmission timer repairs the loss (RFC 6298): the RTO is computed from the measured RTT, at least 1 s, and doubles on each expiry.",
            "The receiver keeps out-of-order bytes and delivers them once the gap is filled (RFC 9293 §3.10.7.4), so the application reads every byte once and in order; the client's FIN follows the last byte, and the connection closes as in the classic scenario.",
        ], zh: [
            "客户端通过一条 10 Mbit/s、队列为 50 个分组（尾部丢弃）、每个方向丢包率为 \(loss)% 的链路发送 \(bytes) 字节；数据\(intactZh)，有效吞吐量 \(goodput)，重传了 \(retx) 个报文段。",
            "慢启动（RFC 5681 §3.1）：第一批数据是 10 个报文段的初始窗口（RFC 6928），每个 ACK 让 cwnd 按其确认的字节数增长，因此每个往返时间发送量翻倍，直到出现丢包。",
            "丢失的报文段留下一个空洞：接收方对其后的每个报文段都回复相同的确认号（重复 ACK，RFC 5681 §4.2）；第三个重复 ACK 触发快速重传和快速恢复（RFC 5681 §3.2、RFC 6582），cwnd 随之减小（CUBIC，RFC 9438，乘以 0.7）。",
            "如果返回的 ACK 太少、凑不够三个重复 ACK，就由重传定时器来修复丢包（RFC 6298）：RTO 由测得的 RTT 计算，至少 1 秒，每次超时加倍。",
            "接收方保留乱序到达的字节，空洞填上后再一并交付（RFC 9293 §3.10.7.4），所以应用程序按顺序、恰好一次地读到每个字节；客户端的 FIN 跟在最后一个字节之后，连接像 classic 场景那样关闭。",
        ])
    }

    /// One line per round trip of the client's data (several per line when there are more than
    /// 60), with cwnd and RTT sparklines and the final statistics of both sides.
    static func bulkReport(_ timeline: Timeline, _ r: SimulationResult, rtt: Duration) -> Explanation {
        struct Row {
            var start: Instant
            var segments = 0, bytes = 0, retransmitted = 0, lost = 0, acks = 0
            var cwnd: Int?, srtt: Duration?, inFlight: Int?
        }
        var highest: [String: UInt32] = [:]     // per sender: the end of the highest data sent (from its ISN)
        var isn: [String: SequenceNumber] = [:]
        var dataSends: [(time: Instant, len: Int, retransmission: Bool, lost: Bool)] = []
        var ackTimes: [Instant] = []
        for e in timeline.sorted {
            guard case let .send(_, s, fate) = e.kind else { continue }
            if s.flags.contains(.syn) { isn[e.host] = s.sequenceNumber }
            if e.host == "client", s.payloadLength > 0, let base = isn["client"] {
                let end = (s.sequenceNumber.rawValue &- base.rawValue) &+ UInt32(s.payloadLength)
                let retransmission = end <= highest["client", default: 0]
                highest["client"] = max(highest["client", default: 0], end)
                var lost = false
                if case .lost = fate { lost = true }
                dataSends.append((e.time, s.payloadLength, retransmission, lost))
            } else if e.host == "server", s.flags.contains(.ack), s.payloadLength == 0 {
                ackTimes.append(e.time)
            }
        }
        guard let t0 = dataSends.first?.time, let tEnd = dataSends.last?.time else {
            return Explanation(en: ["No data was sent."], zh: ["没有发送数据。"])
        }
        let rttNs = max(rtt.nanoseconds, 1)
        let rounds = Int((tEnd.nanoseconds - t0.nanoseconds) / rttNs) + 1
        let busy = Set(dataSends.map { ($0.time.nanoseconds - t0.nanoseconds) / rttNs }).count
        let per = max(1, (busy + 59) / 60)     // round trips per line (idle ones collapse anyway)
        let width = rttNs * Int64(per)
        var rows = (0..<((rounds + per - 1) / per)).map { Row(start: Instant(nanoseconds: t0.nanoseconds + Int64($0) * width)) }
        func row(_ t: Instant) -> Int? {
            guard t >= t0 else { return nil }
            let i = Int((t.nanoseconds - t0.nanoseconds) / width)
            return i < rows.count ? i : nil
        }
        for d in dataSends {
            guard let i = row(d.time) else { continue }
            rows[i].segments += 1
            rows[i].bytes += d.len
            if d.retransmission { rows[i].retransmitted += 1 }
            if d.lost { rows[i].lost += 1 }
        }
        for t in ackTimes { if let i = row(t) { rows[i].acks += 1 } }
        // A sample holds until the next one: each row shows the client's values at its end.
        let client = r.samples.filter { $0.host == "client" }
        func sample(at t: Instant) -> StatisticsSample? { client.last { $0.time <= t } }
        for i in rows.indices {
            guard let s = sample(at: Instant(nanoseconds: rows[i].start.nanoseconds + width - 1)) else { continue }
            rows[i].cwnd = s.cwnd
            rows[i].srtt = s.srtt
            rows[i].inFlight = s.bytesInFlight
        }
        // Rows with nothing sent in a row collapse into one "waiting" line.
        var en: [String] = [], zh: [String] = []
        let span = per == 1 ? "one line per round trip (\(ms(rtt)))" : "one line per \(per) round trips (\(ms(.nanoseconds(width))))"
        let spanZh = per == 1 ? "每个往返时间一行（\(ms(rtt))）" : "每 \(per) 个往返时间一行（\(ms(.nanoseconds(width)))）"
        en.append("Round trips of the client's data, \(span):")
        zh.append("客户端数据的往返过程，\(spanZh)：")
        let header = "  time        data →           ACKs ←  cwnd       srtt       in flight   retx  lost"
        en.append(header)
        zh.append("  时间        数据 →           ACK ←   cwnd       srtt       在途        重传  丢失")
        var k = 0
        while k < rows.count {
            if rows[k].segments == 0 {
                var j = k
                while j < rows.count && rows[j].segments == 0 { j += 1 }
                let until = j < rows.count ? rows[j].start : Instant(nanoseconds: tEnd.nanoseconds)
                en.append("  \(pad(format3(rows[k].start.seconds) + " s", 12))(nothing sent until \(format3(until.seconds)) s: waiting for ACKs or the retransmission timer)")
                zh.append("  \(pad(format3(rows[k].start.seconds) + " s", 12))（直到 \(format3(until.seconds)) s 都没有发送：等待 ACK 或重传定时器）")
                k = j
                continue
            }
            let x = rows[k]
            func line(_ seg: String) -> String {
                "  " + pad(format3(x.start.seconds) + " s", 12)
                    + pad("\(x.segments) \(seg) \(x.bytes) B", 17)
                    + pad(String(x.acks), 8)
                    + pad(x.cwnd.map(String.init) ?? "-", 11)
                    + pad(x.srtt.map { ms($0) } ?? "-", 11)
                    + pad(x.inFlight.map(String.init) ?? "-", 12)
                    + pad(String(x.retransmitted), 6) + String(x.lost)
            }
            en.append(line("seg"))
            zh.append(line("段"))
            k += 1
        }
        // The client's values once a round trip, from its first sample to its last.
        var clientSamples: [StatisticsSample] = []
        if let first = client.first?.time, let last = client.last?.time {
            var t = first
            while t <= last {
                if let s = sample(at: t), s.state.isSynchronized { clientSamples.append(s) }
                t = t + .nanoseconds(rttNs)
            }
        }
        let cwnds = clientSamples.map { Double($0.cwnd) }
        let srtts = clientSamples.compactMap { $0.srtt.map { Double($0.nanoseconds) / 1e6 } }
        if !cwnds.isEmpty {
            en.append("cwnd over time (every \(ms(rtt))): \(sparkline(cwnds))  \(Int(cwnds.min()!))…\(Int(cwnds.max()!)) bytes")
            zh.append("cwnd 随时间变化（每 \(ms(rtt))）：\(sparkline(cwnds))  \(Int(cwnds.min()!))…\(Int(cwnds.max()!)) 字节")
        }
        if !srtts.isEmpty {
            en.append("srtt over time: \(sparkline(srtts))  \(format3(srtts.min()!).trimmedZeros)…\(format3(srtts.max()!).trimmedZeros) ms")
            zh.append("srtt 随时间变化：\(sparkline(srtts))  \(format3(srtts.min()!).trimmedZeros)…\(format3(srtts.max()!).trimmedZeros) ms")
        }
        for host in ["client", "server"] {
            guard let i = r.finalInfo[host] else { continue }
            let srtt = i.srtt.map { ms($0) } ?? "-"
            en.append("\(host) at close(): sent \(i.bytesSent) B (\(i.bytesRetransmitted) again, \(i.segmentsRetransmitted) segments retransmitted), acked \(i.bytesAcked) B, received \(i.bytesReceived) B; \(i.duplicateACKs) duplicate ACKs, \(i.outOfOrderSegments) out-of-order segments; srtt \(srtt), rto \(ms(i.rto)), cwnd \(i.cwnd), ssthresh \(i.ssthresh.map(String.init) ?? "∞"), delivery rate \(rate(Double(i.deliveryRate) * 8))")
            zh.append("\(host) 调用 close() 时：发送 \(i.bytesSent) 字节（其中重发 \(i.bytesRetransmitted) 字节，重传 \(i.segmentsRetransmitted) 个报文段），被确认 \(i.bytesAcked) 字节，接收 \(i.bytesReceived) 字节；重复 ACK \(i.duplicateACKs) 个，乱序报文段 \(i.outOfOrderSegments) 个；srtt \(srtt)，rto \(ms(i.rto))，cwnd \(i.cwnd)，ssthresh \(i.ssthresh.map(String.init) ?? "∞")，交付速率 \(rate(Double(i.deliveryRate) * 8))")
        }
        return Explanation(en: en, zh: zh)
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

