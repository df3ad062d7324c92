import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// `tcpkit scenario bulk`: a transfer over a 10 Mbit/s link with 10 ms one-way delay and a
/// 50-packet queue. Without loss, every segment is predicted from the RFCs' rules by a model of
/// the two ends and the link (`LosslessModel`); with the default 2% loss, the states, the
/// handshake and the close are exact and the data segments obey the invariants of reliable
/// delivery.
@Suite struct BulkScenarioTests {
    /// `"20096000 client ACK 1/1 len=1448"`: time in nanoseconds, host, flags, sequence number
    /// relative to the sender's ISN / acknowledgment number relative to the receiver's ISN, length.
    static func line(_ ns: Int64, _ host: String, _ flags: String, _ seq: UInt32, _ ack: UInt32?, _ len: Int) -> String {
        "\(ns) \(host) \(flags) \(seq)/\(ack.map(String.init) ?? "-") len=\(len)"
    }

    static func observedSegments(_ timeline: Timeline, host: String) -> [String] {
        var rel = RelativeNumbers()
        var out: [String] = []
        for e in timeline.sorted {
            switch e.kind {
            case let .send(_, s, _):
                rel.observe(s)
                if e.host == host {
                    out.append(line(e.time.nanoseconds, host, s.flags.names.joined(separator: ","), rel.relativeSeq(s)!, rel.relativeAck(s), s.payloadLength))
                }
            case let .receive(_, s):
                rel.observe(s)
            default:
                break
            }
        }
        return out
    }

    /// The lossless run as the RFCs predict it, computed event by event.
    ///
    /// The link (what `LinkModel` is configured with): each direction is a FIFO at 10 Mbit/s, a
    /// packet leaves when the one before has (serialization = bytes × 8 / rate, rounded up to the
    /// nanosecond), then travels 10 ms. Packet sizes: 20 bytes of IPv4 header, 20 of TCP header,
    /// the options: SYN and SYN-ACK carry MSS (4), window scale (3 + NOP), SACK-permitted and
    /// timestamps (12) = 20 bytes; every later segment the timestamps option (10 + 2 NOPs, RFC 7323
    /// §3.2, Appendix A layout) = 12 bytes.
    ///
    /// The sender (RFC 9293, RFC 5681, RFC 6928, RFC 3465): its SYN at 0; once ESTABLISHED its
    /// application writes everything and shuts down. MSS = 1500 − 40 − 12 = 1448 (RFC 9293 §3.7.1:
    /// the option bytes come out of it). Initial window min(10·MSS, max(2·MSS, 14600)) (RFC 6928
    /// §2). Slow start: each ACK of N new bytes grows cwnd by min(N, 2·MSS) (RFC 5681 §3.1 with
    /// RFC 3465 §2.2's L = 2). It sends whole segments while they fit in cwnd − flight (sender SWS
    /// avoidance, RFC 9293 §3.8.6.2.1); the last, shorter one carries PSH (it empties the send
    /// buffer, §3.9.1) and the FIN (the application has shut down, §3.10.4). The first data
    /// segment is the handshake's ACK (RFC 9293 §3.5 allows data on it).
    ///
    /// The receiver: ACKs at once when more than one full-sized segment is unacknowledged, i.e.
    /// for every second full segment (RFC 5681 §4.2, RFC 9293 §3.8.6.3), otherwise after the
    /// delayed-ACK timer (40 ms, under 0.5 s). Its first data segment is answered at once too: the
    /// SYN-ACK could offer only 65535 bytes unscaled (RFC 7323 §2.2), so reading it lets the
    /// right edge move on to the 256 KiB buffer, far more than min(RCV.BUFF/2, MSS) — a window
    /// update (RFC 9293 §3.8.6.2.2). The FIN is ACKed at once and the server application closes as
    /// soon as it reads the end of the stream, so that ACK rides on the server's FIN; the client
    /// ACKs that FIN and waits 2 × MSL in TIME-WAIT (§3.6).
    struct LosslessModel {
        static let rate = 10e6, delay: Int64 = 10_000_000
        let bytes: Int
        let mss = 1448
        var client: [String] = [], server: [String] = []
        var clientStates: [(Int64, String)] = [], serverStates: [(Int64, String)] = []
        /// (first send, arrival of the ACK covering the first segment) of each flight.
        var rounds: [(start: Int64, end: Int64)] = []
        var finalCwnd = 0

        enum Event { case toServer(seq: Int, len: Int, syn: Bool, fin: Bool), toClient(ack: Int, syn: Bool, fin: Bool), delayedACK }

        init(bytes: Int) {
            self.bytes = bytes
            var events: [(t: Int64, order: Int, e: Event)] = []
            var order = 0
            var busy: [Int64] = [0, 0]   // 0: client → server, 1: server → client
            func transmit(_ t: Int64, _ dir: Int, _ size: Int) -> Int64 {
                let start = max(t, busy[dir])
                busy[dir] = start + Int64((Double(size * 8) / Self.rate * 1e9).rounded(.up))
                return busy[dir] + Self.delay
            }
            func schedule(_ t: Int64, _ e: Event) { events.append((t, order, e)); order += 1 }

            // Handshake.
            client.append(BulkScenarioTests.line(0, "client", "SYN", 0, nil, 0))
            clientStates.append((0, "CLOSED→SYN-SENT"))
            serverStates.append((0, "CLOSED→LISTEN"))
            schedule(transmit(0, 0, 60), .toServer(seq: 0, len: 0, syn: true, fin: false))

            let iw = min(10 * mss, max(2 * mss, 14600))
            var cwnd = iw, una = 1, nxt = 1, finSent = false
            let end = 1 + bytes          // relative sequence number after the last data byte
            var rcvNxt = 1, rcvAcked = 1, firstData = true, delackAt: Int64? = nil
            var roundFirstEnd: Int? = nil, roundStart: Int64 = 0

            func sendData(_ t: Int64) {
                while !finSent {
                    let remaining = end - nxt, room = cwnd - (nxt - una)
                    let len = min(remaining, mss)
                    guard len > 0, room >= len else { break }
                    let fin = len == remaining
                    client.append(BulkScenarioTests.line(t, "client", fin ? "FIN,PSH,ACK" : "ACK", UInt32(nxt), 1, len))
                    schedule(transmit(t, 0, 52 + len), .toServer(seq: nxt, len: len, syn: false, fin: fin))
                    if roundFirstEnd == nil { roundFirstEnd = nxt + len; roundStart = t }
                    nxt += len
                    if fin { finSent = true; nxt += 1 }
                }
            }
            func serverACK(_ t: Int64, fin: Bool) {
                server.append(BulkScenarioTests.line(t, "server", fin ? "FIN,ACK" : "ACK", 1, UInt32(rcvNxt), 0))
                schedule(transmit(t, 1, 52), .toClient(ack: rcvNxt, syn: false, fin: fin))
                rcvAcked = rcvNxt
                delackAt = nil
            }

            var i = 0
            while !events.isEmpty {
                events.sort { ($0.t, $0.order) < ($1.t, $1.order) }
                let (t, _, e) = events.removeFirst()
                i += 1
                precondition(i < 100_000)
                switch e {
                case let .toServer(seq, len, syn, fin):
                    if syn {
                        serverStates.append((t, "LISTEN→SYN-RECEIVED"))
                        server.append(BulkScenarioTests.line(t, "server", "SYN,ACK", 0, 1, 0))
                        schedule(transmit(t, 1, 60), .toClient(ack: 1, syn: true, fin: false))
                        continue
                    }
                    if seq == 1 && len > 0 { serverStates.append((t, "SYN-RECEIVED→ESTABLISHED")) }
                    if len == 0 && !fin {   // the client's last ACK
                        serverStates.append((t, "LAST-ACK→CLOSED"))
                        continue
                    }
                    precondition(seq == rcvNxt, "lossless and in order")
                    rcvNxt += len
                    if fin {
                        rcvNxt += 1
                        serverStates.append((t, "ESTABLISHED→CLOSE-WAIT"))
                        serverStates.append((t, "CLOSE-WAIT→LAST-ACK"))
                        serverACK(t, fin: true)
                    } else if firstData || rcvNxt - rcvAcked > mss {
                        firstData = false
                        serverACK(t, fin: false)
                    } else if delackAt == nil {
                        delackAt = t + 40_000_000
                        schedule(delackAt!, .delayedACK)
                    }
                case .delayedACK:
                    if let d = delackAt, d == t { serverACK(t, fin: false) }
                case let .toClient(ack, syn, fin):
                    if syn {
                        clientStates.append((t, "SYN-SENT→ESTABLISHED"))
                        clientStates.append((t, "ESTABLISHED→FIN-WAIT-1"))
                        sendData(t)
                        continue
                    }
                    if let f = roundFirstEnd, ack >= f {
                        rounds.append((roundStart, t))
                        roundFirstEnd = nil
                    }
                    if ack > una {
                        // RFC 5681 §3.1 / RFC 3465 §2.2; the FIN's sequence number is no data.
                        let newData = min(ack, end) - min(una, end)
                        cwnd += min(newData, 2 * mss)
                        una = ack
                    }
                    if fin {
                        clientStates.append((t, "FIN-WAIT-1→FIN-WAIT-2"))
                        clientStates.append((t, "FIN-WAIT-2→TIME-WAIT"))
                        client.append(BulkScenarioTests.line(t, "client", "ACK", UInt32(end + 1), 2, 0))
                        schedule(transmit(t, 0, 52), .toServer(seq: end + 1, len: 0, syn: false, fin: false))
                        clientStates.append((t + 60_000_000_000, "TIME-WAIT→CLOSED"))   // 2 × MSL, MSL 30 s
                        continue
                    }
                    sendData(t)
                }
            }
            finalCwnd = cwnd
        }
    }

    @Test("without loss, 30 000 bytes: every segment, state change and round trip as the RFCs predict")
    func losslessExactly() throws {
        var o = ScenarioOptions()
        o.loss = 0
        o.bytes = 30_000
        o.quickACK = false
        let run = Scenario.bulk.run(o)
        let model = LosslessModel(bytes: o.bytes)
        // The model's own shape, from the rules: 20 full segments and one of 1040 bytes; IW 10;
        // one ACK per two segments.
        #expect(model.client.filter { $0.contains("len=1448") }.count == 20)
        #expect(model.client.contains { $0.hasSuffix("FIN,PSH,ACK 28961/1 len=1040") })
        // The first flight leaves when the SYN-ACK arrives: 2 × (10 ms + 60 bytes at 10 Mbit/s).
        #expect(model.client.dropFirst().prefix(10).allSatisfy { $0.hasPrefix("20096000 client ACK ") })
        #expect(model.client.dropFirst(11).first?.hasPrefix("20096000 ") == false)

        #expect(Self.observedSegments(run.timeline, host: "client") == model.client, "replay: \(run.replay)")
        #expect(Self.observedSegments(run.timeline, host: "server") == model.server, "replay: \(run.replay)")
        func states(_ host: String) -> [String] {
            run.timeline.sorted.compactMap { e in
                if case let .state(from, to) = e.kind, e.host == host { "\(e.time.nanoseconds) \(from.rawValue)→\(to.rawValue)" } else { nil }
            }
        }
        #expect(states("client") == model.clientStates.map { "\($0.0) \($0.1)" })
        #expect(states("server") == model.serverStates.map { "\($0.0) \($0.1)" })

        // The rounds the scenario prints: the model's flights, measured the same way.
        let rounds = try #require(run.rounds)
        #expect(rounds.map { [$0.start.nanoseconds, $0.end!.nanoseconds] } == model.rounds.map { [$0.start, $0.end] })
        #expect(rounds.map(\.segments) == [10, 11])
        #expect(rounds.map(\.retransmitted) == [0, 0] && rounds.map(\.dataLost) == [0, 0])
        // cwnd grew by every byte acknowledged (no HyStart++ exit, RFC 9406: the RTT grew by less
        // than its 4 ms threshold), and the round's cwnd is the one that paced it.
        #expect(run.network.hosts[0].stack.statistics.retransmissions == 0)
        #expect(rounds[0].info?.cwnd == 14480)
        let final = try #require(run.timeline.samples.last { $0.host == "client" && $0.info.bytesAcked == 30_000 })
        #expect(final.cwnd == model.finalCwnd && model.finalCwnd == 14480 + 30_000)

        // Too few rounds to condense: the whole ladder, then the table with a line per round.
        let text = run.text(options: o, condense: 4)
        #expect(!text.contains("one line per round trip (a round"))
        let table = text.split(separator: "\n", omittingEmptySubsequences: false).drop { !$0.hasPrefix("Round trips of the client's data") }.dropFirst(2).prefix { !$0.isEmpty }
        #expect(table.map { String($0.split(separator: " ")[1]) } == ["1", "2"])
        let first = String(table.first ?? "")
        let modelLength = Duration.nanoseconds(model.rounds[0].end - model.rounds[0].start)
        #expect(first.hasPrefix("0.020096   1      \(Self.ms(modelLength))") && first.contains("10 seg 14480 B    1–14481"), "\(first)")
        #expect(run.explanation[1].contains("no loss ended it: all 2 round trips were slow start"))
        #expect(run.explanation[2].hasPrefix("Losses: none"))
    }

    @Test("the lossy default run: exact states, handshake and close; every byte once; losses repaired")
    func lossy() throws {
        let o = Observed(Scenario.bulk)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
        #expect(o.connectionsLeft == ["client": 0, "server": 0], o.replay)

        let total = 300_000
        let segs = o.segments
        // The handshake, exactly: SYN, SYN-ACK one way (10 ms + 60 bytes at 10 Mbit/s) later.
        #expect(Array(segs.prefix(2)) == ["0.000 client SYN 0/- len=0", "0.010 server SYN,ACK 0/1 len=0"], o.replay)
        // The close: the FIN rides on the last data (seq + len = 300001), is ACKed by the server's
        // FIN (three-way close, the server closes on end of stream), and the client ACKs that.
        let control = segs.filter { $0.contains("FIN") }
        let fin = try #require(control.first)
        #expect(fin.contains(" client FIN,PSH,ACK "), "\(fin)")
        let finParts = fin.split(separator: " ")
        let finSeq = Int(finParts[3].split(separator: "/")[0])!, finLen = Int(finParts[4].dropFirst(4))!
        #expect(finSeq + finLen == total + 1, "\(fin)")
        #expect(control.dropFirst().allSatisfy { $0.contains("client FIN,PSH,ACK \(finSeq)/1 len=\(finLen)") || $0.contains("server FIN,ACK 1/\(total + 2) len=0") })
        #expect(control.filter { $0.contains("server FIN") }.count == 1)
        // From the server's FIN on: FIN,ACK; an ACK for each copy of the client's FIN segment that
        // arrives after it (a retransmission of bytes it has: RFC 9293 §3.10.7.4, an unacceptable
        // segment is answered with an ACK, and its sequence number is now past the FIN); the
        // client's last ACK, one way (10 ms + 52 bytes at 10 Mbit/s) after the server's FIN.
        let serverFIN = try #require(o.sent(by: "server").first { $0.segment.flags.contains(.fin) })
        let lateFINs = o.timeline.sorted.filter { e in
            if case let .receive(_, s) = e.kind, e.host == "server", s.flags.contains(.fin) { e.time > serverFIN.time } else { false }
        }.count
        let tail = segs.drop { !$0.contains("server FIN") }.map { $0.split(separator: " ").dropFirst().joined(separator: " ") }
        #expect(tail == ["server FIN,ACK 1/\(total + 2) len=0"] + Array(repeating: "server ACK 2/\(total + 2) len=0", count: lateFINs)
                + ["client ACK \(total + 2)/2 len=0"], o.replay)
        #expect(lateFINs == 1, "seed 1: the FIN segment's retransmission crosses the server's FIN")
        let lastACK = try #require(o.sent(by: "client").last)
        #expect(lastACK.time.nanoseconds - serverFIN.time.nanoseconds == 10_000_000 + 41_600)

        // Data segments: every new one starts where new data ended; every lost range is sent again
        // and delivered; cumulative ACKs never go back; every byte arrives.
        let sent = o.sent(by: "client")
        let isn = sent[0].segment.sequenceNumber
        var newEnd = 1
        var lost: [Range<Int>] = []
        var delivered: [Range<Int>] = []
        var fates: [SegmentSummary: [Timeline.Fate]] = [:]
        for e in o.timeline.sorted { if case let .send(_, s, f) = e.kind, e.host == "client" { fates[s, default: []].append(f) } }
        var retransmissions = 0
        for (_, s) in sent where s.payloadLength > 0 {
            let start = Int(s.sequenceNumber.rawValue &- isn.rawValue), range = start..<(start + s.payloadLength)
            if range.upperBound > newEnd {
                #expect(start == newEnd, "new data starts where the previous new data ended: \(start) after \(newEnd)")
                newEnd = range.upperBound
            } else {
                retransmissions += 1
            }
            let fate = fates[s]!.removeFirst()
            if case .lost = fate { lost.append(range) } else { delivered.append(range) }
        }
        #expect(newEnd == total + 1)
        #expect(!lost.isEmpty, "seed 1 loses data segments")
        for r in lost {
            #expect(delivered.contains { $0.lowerBound <= r.lowerBound && $0.upperBound >= r.upperBound }
                    || r.allSatisfy { b in delivered.contains { $0.contains(b) } }, "lost \(r) never delivered again")
        }
        // Each lost data segment (first sending or retransmission) needs a later sending.
        #expect(retransmissions >= lost.count)
        var lastAck = 0
        for (_, s) in o.sent(by: "server") where s.flags.contains(.ack) && !s.flags.contains(.syn) {
            let ack = Int(s.acknowledgmentNumber.rawValue &- isn.rawValue)
            #expect(ack >= lastAck, "ACK went back from \(lastAck) to \(ack)")
            lastAck = ack
        }
        #expect(lastAck == total + 2)
        #expect(o.run.explanation[0].contains("arrive byte for byte"), o.replay)
    }

    @Test("the condensed ladder: the first rounds in full, then one line per measured round, then the close")
    func condensedByRound() throws {
        let o = Observed(Scenario.bulk)
        let rounds = try #require(o.run.rounds)
        var opts = ScenarioOptions()
        opts.seed = 1
        let text = o.run.text(options: opts, condense: 4)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("⋮          from round 3 on, one line per round trip") })
        #expect(lines[start + 1] == "time (s)   round  length      sent →            seq (relative)       retx  lost →/←  ACKs ← (dup)  ack (relative)       cwnd      ssthresh  srtt        in flight  notes")
        let end = try #require(lines[start...].firstIndex { $0.hasPrefix("⋮          (the ladder continues in full at") })
        let rows = lines[(start + 2)..<end].filter { !$0.hasPrefix("⋮") }
        // One line per round, in order, from round 3 to the round the FIN starts in.
        let numbers = rows.map { Int($0.split(separator: " ")[1])! }
        #expect(numbers == Array(3...(numbers.last ?? 0)) && numbers.count >= 4, "\(rows)")
        // Before them the first two rounds are drawn segment by segment (the ladder's arrows),
        // after them the close.
        #expect(lines[..<start].filter { $0.contains("▶") }.count >= rounds[0].segments + rounds[1].segments)
        #expect(lines[end...].contains { $0.contains("FIN,ACK") })
        // Each line's columns are the round's: start time, measured length, what was sent.
        for row in rows {
            let n = Int(row.split(separator: " ")[1])!
            let r = rounds[n - 1]
            #expect(row.hasPrefix(String(format: "%d.%06d", r.start.nanoseconds / 1_000_000_000, r.start.nanoseconds / 1000 % 1_000_000)))
            #expect(row.contains("\(r.segments) seg \(r.bytes) B"))
        }
        // Measured, not nominal: the base RTT with an empty queue is 21.2 ms (2 × 10 ms + 1.2 ms
        // for a full packet); rounds behind a queue last longer, and the column shows it.
        let lengths = rounds.compactMap(\.duration)
        #expect(lengths.contains { $0 > .milliseconds(30) } && lengths.contains { $0 < .milliseconds(22) })
        let longest = try #require(rounds.max { ($0.duration ?? .zero) < ($1.duration ?? .zero) })
        #expect(longest.number > 2 && longest.duration! > .milliseconds(30))
        #expect(rows.contains { $0.split(separator: " ")[1] == "\(longest.number)" && $0.contains(Self.ms(longest.duration!)) })
        // srtt follows the measurements (RFC 6298 §2): it rises above the empty-queue RTT.
        #expect(rounds.compactMap { $0.info?.srtt }.max()! > .milliseconds(30))
        // Every data segment and every retransmission is in exactly one round.
        let data = o.sent(by: "client").filter { $0.segment.payloadLength > 0 }
        #expect(rounds.map(\.segments).reduce(0, +) == data.count)
        #expect(rounds.map(\.retransmitted).reduce(0, +) == o.run.network.hosts[0].stack.statistics.retransmissions)
        // A round ends when the ACK covering its first segment arrives; the next begins then or later.
        for (a, b) in zip(rounds, rounds.dropFirst()) { #expect(a.end! <= b.start) }

        // No silent grouping: with a cap the elided rows are counted.
        let capped = o.run.text(options: opts, condense: 4, maxRounds: 2)
        let folded = numbers.count
        #expect(capped.contains("⋮          \(folded - 2) rounds elided (--max-rounds 2)"))
        // Without condensing: the full ladder and a table with every round.
        let full = o.run.text(options: opts)
        #expect(!full.contains("one line per round trip (a round") && full.contains("Round trips of the client's data"))
        #expect(full.split(separator: "\n").filter { $0.contains("lost (") }.count == rounds.map { $0.dataLost + $0.acksLost }.reduce(0, +))
    }

    @Test("the explanation is computed from the run, in English and Chinese")
    func explanationFromTheRun() throws {
        let o = Observed(Scenario.bulk)
        let rounds = try #require(o.run.rounds)
        let en = o.run.explanation, zh = o.run.explanationZh
        #expect(en.count == zh.count)
        let lostData = rounds.map(\.dataLost).reduce(0, +), lostACKs = rounds.map(\.acksLost).reduce(0, +)
        #expect(en[2].contains("the link lost \(lostData) data segments and \(lostACKs) ACKs"))
        #expect(zh[2].contains("链路丢失了 \(lostData) 个数据报文段和 \(lostACKs) 个 ACK"))
        let timeouts = o.timers.filter { $0.hasSuffix("client retransmit") }.count
        #expect(en[2].contains("its retransmission timer expired \(timeouts) times"))
        let slow = rounds.prefix { $0.info?.ssthresh == nil && $0.info?.congestionState == .open }.count
        #expect(en[1].contains("it lasted \(slow) of the \(rounds.count) round trips"), "\(en[1])")
        let peak = o.timeline.samples.filter { $0.host == "client" }.map(\.cwnd).max()!
        #expect(en[3].hasPrefix("cwnd peaked at \(peak) bytes"))
        #expect(zh[3].hasPrefix("cwnd 最大为 \(peak) 字节"))
        #expect(en.joined().contains("RFC 6928") && zh.joined().contains("RFC 6928"))
        let report = try #require(o.run.report)
        #expect(report.en.first == "Retransmissions (\(o.run.network.hosts[0].stack.statistics.retransmissions)):")
        #expect(report.en.contains { $0.hasPrefix("cwnd, one value per round trip: ") })
        #expect(report.en.contains { $0.hasPrefix("client at close(): sent ") && $0.contains("acked 300000 B") })
        #expect(report.en.contains { $0.hasPrefix("server at close(): ") && $0.contains("received 300000 B") })
        #expect(report.zh.count == report.en.count)
    }

    static func ms(_ d: Duration) -> String {
        var s = String(format: "%.3f", Double(d.nanoseconds) / 1e6)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s + " ms"
    }
}
