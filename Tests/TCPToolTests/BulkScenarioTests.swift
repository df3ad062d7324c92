import Testing
import TCPCore
import TCPSim
import TCPTrace

/// `tcpkit scenario bulk`: 300 000 bytes over a 10 Mbit/s link losing 2% each way (seed 1), and
/// the same without loss.
@Suite struct BulkScenarioTests {
    @Test("the lossy run: every byte arrives, losses are repaired, both sides close as in the classic scenario")
    func lossy() {
        let o = Observed(Scenario.bulk)
        #expect(o.transitions("client") == ["CLOSED→SYN-SENT", "SYN-SENT→ESTABLISHED", "ESTABLISHED→FIN-WAIT-1",
                                            "FIN-WAIT-1→FIN-WAIT-2", "FIN-WAIT-2→TIME-WAIT", "TIME-WAIT→CLOSED"], o.replay)
        #expect(o.transitions("server") == ["CLOSED→LISTEN", "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED",
                                            "ESTABLISHED→CLOSE-WAIT", "CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED"], o.replay)
        #expect(o.connectionsLeft == ["client": 0, "server": 0], o.replay)
        let data = o.sent(by: "client").filter { $0.segment.payloadLength > 0 }
        let sent = data.map(\.segment.payloadLength).reduce(0, +)
        #expect(sent > 300_000, "retransmissions resend some bytes")
        #expect(o.run.explanation[0].contains("arrive byte for byte"), o.replay)
        let lost = o.timeline.entries.filter { if case .send(_, _, .lost) = $0.kind { true } else { false } }
        #expect(!lost.isEmpty)

        let report = o.run.report!.en
        #expect(report[0] == "Round trips of the client's data, one line per round trip (21.2 ms):")
        // The first flight is the initial window: 10 segments of 1448 bytes (RFC 6928).
        #expect(report[2].hasPrefix("  0.020 s     10 seg 14480 B"))
        let rows = report.filter { $0.hasPrefix("  ") && $0.contains(" seg ") }
        #expect(rows.count >= 5 && rows.count <= 60, "one line per round trip, not per segment")
        let retransmitted = rows.map { Int($0.split(separator: " ").dropLast().last!)! }.reduce(0, +)
        #expect(retransmitted > 0 && retransmitted == data.count - 300_000 / 1448 - 1, "the retx column counts every retransmitted segment")
        #expect(report.contains { $0.hasPrefix("cwnd over time (every 21.2 ms): ") })
        #expect(report.contains { $0.hasPrefix("srtt over time: ") })
        #expect(report.contains { $0.hasPrefix("client at close(): sent ") && $0.contains("acked 300000 B") })
        #expect(report.contains { $0.hasPrefix("server at close(): ") && $0.contains("received 300000 B") })
        #expect(o.run.report!.zh.count == report.count, o.replay)

        // The text ladder is condensed once the flow is steady; losses and retransmissions stay.
        var opts = ScenarioOptions()
        opts.seed = 1
        let text = o.run.text(options: opts, condense: 4)
        #expect(text.contains("segments condensed"))
        #expect(text.contains("(retransmission)") && text.contains("✕"))
        #expect(text.contains("Round trips of the client's data"))
        #expect(text.hasSuffix("Replay: tcpkit scenario bulk --seed 1\n"))
    }

    @Test("without loss: slow start doubles each round trip, nothing is retransmitted")
    func lossless() {
        var o = ScenarioOptions()
        o.loss = 0
        o.bytes = 100_000
        let run = Scenario.bulk.run(o)
        let report = run.report!.en
        let rows = report.filter { $0.contains(" seg ") }
        // Round 3 is 34, not 36: the receiver's quick-ACK mode (16 ACKs) is over in round 2 and
        // delayed ACKs (one per two segments, RFC 5681 §4.2) give slow start fewer ACKs to grow on.
        #expect(rows.map { $0.split(separator: " ")[2] } == ["10", "20", "34", "6"])
        #expect(rows.allSatisfy { $0.hasSuffix("0     0") })
        #expect(run.network.hosts.map(\.stack.statistics.retransmissions) == [0, 0])
        #expect(run.text(options: o).contains("Replay: tcpkit scenario bulk --seed 1 --bytes 100000 --loss 0.0\n"))
    }
}
