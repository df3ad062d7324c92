import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// Connections that fail or stall: exact segments, states, errors the application sees, times.
@Suite struct FailureScenarioTests {
    @Test func abortSendsOneRSTAndLeavesNoTIMEWAIT() {
        let o = Observed(.reset)
        #expect(o.segments == CloseScenarioTests.requestAndAnswer + [
            "0.040 client ACK 19/26 len=0",
            "0.140 client RST,ACK 19/26 len=0",   // <SEQ=SND.NXT>: exactly the server's RCV.NXT
        ], o.replay)
        #expect(o.transitions("client") == ["CLOSED→SYN-SENT", "SYN-SENT→ESTABLISHED", "ESTABLISHED→CLOSED"], o.replay)
        #expect(o.transitions("server") == ["CLOSED→LISTEN", "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED", "ESTABLISHED→CLOSED"], o.replay)
        #expect(o.time("client", .established, .closed) == .seconds(0.14), "at once; \(o.replay)")
        #expect(o.time("server", .established, .closed) == .seconds(0.15), o.replay)
        #expect(o.notes.contains("0.150 server recv() fails: connection reset by peer; close()"), o.replay)
        #expect(o.timers.isEmpty, "no TIME-WAIT; \(o.replay)")
        #expect(o.timeline.sorted.last!.time == .seconds(0.15), "nothing happens afterwards; \(o.replay)")
    }

    @Test func connectToAClosedPortIsRefused() {
        let o = Observed(.refused)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.010 server RST,ACK -/1 len=0",   // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
        ], o.replay)
        let syn = o.sent(by: "client")[0].segment, rst = o.sent(by: "server")[0].segment
        #expect(rst.sequenceNumber.rawValue == 0 && rst.acknowledgmentNumber == syn.sequenceNumber + 1)
        #expect(o.transitions("client") == ["CLOSED→SYN-SENT", "SYN-SENT→CLOSED"], o.replay)
        #expect(o.transitions("server").isEmpty, "no state at all on the server; \(o.replay)")
        #expect(o.drops == ["0.010 server no-connection"], o.replay)
        #expect(o.notes.last == "0.020 client connect() fails: connection refused; close()", o.replay)
    }

    @Test func unreachableServerTimesOutAfterSixSYNRetries() {
        let o = Observed(.retriesExhausted)
        let times = [0, 1, 3, 7, 15, 31, 63]   // the scenario sets Linux's 6 SYN retries
        #expect(o.segments == times.map { "\($0).000 client SYN 0/- len=0 lost" } + ["127.000 client RST 1/- len=0 lost"], o.replay)
        #expect(o.timers == times.dropFirst().map { "\($0).000 client retransmit" } + ["127.000 client retransmit"], o.replay)
        let syns = o.sent(by: "client").filter { $0.segment.flags == [.syn] }
        #expect(syns.map(\.time) == times.map { .seconds(Double($0)) })
        #expect(Set(syns.map(\.segment.sequenceNumber)).count == 1, "every retransmission has the same ISN")
        #expect(o.transitions("client") == ["CLOSED→SYN-SENT", "SYN-SENT→CLOSED"], o.replay)
        #expect(o.time("client", .synSent, .closed) == .seconds(127), o.replay)
        #expect(o.transitions("server") == ["CLOSED→LISTEN"], o.replay)
        #expect(o.notes.last == "127.000 client connect() fails: connection timed out; close()", o.replay)
    }

    @Test func zeroWindowIsProbedWithBackoffUntilTheWindowOpens() {
        let o = Observed(.zeroWindow)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.010 server SYN,ACK 0/1 len=0",
            // The window the SYN,ACK offered (2896) is filled at once by two full segments
            // (1448 = MSS 1460 less the 12 bytes of the timestamps option, RFC 7323 §3.2, RFC 6691).
            "0.020 client ACK 1/1 len=1448",
            "0.020 client ACK 1449/1 len=1448",
            "0.030 server ACK 1/2897 len=0",          // win=0
            // Zero-window probes (an old sequence number, no data) at 1, 2, 4 s intervals.
            "1.040 client ACK 2896/1 len=0",
            "1.050 server ACK 1/2897 len=0",
            "3.040 client ACK 2896/1 len=0",
            "3.050 server ACK 1/2897 len=0",
            "7.040 client ACK 2896/1 len=0",
            "7.050 server ACK 1/2897 len=0",
            // The application reads: window update, and the flow resumes.
            "8.000 server ACK 1/2897 len=0",          // win=2896
            "8.010 client ACK 2897/1 len=1448",
            "8.010 client ACK 4345/1 len=1448",
            "8.020 server ACK 1/5793 len=0",
            "8.030 client ACK 5793/1 len=1448",
            "8.030 client ACK 7241/1 len=1448",
            "8.040 server ACK 1/8689 len=0",
            "8.050 client PSH,ACK 8689/1 len=1312",
            // All 10 000 bytes read: the server closes at once (FIN with the ACK).
            "8.060 server FIN,ACK 1/10001 len=0",
            "8.070 client ACK 10001/2 len=0",
            "8.070 client FIN,ACK 10001/2 len=0",
            "8.080 server ACK 2/10002 len=0",
        ], o.replay)
        let windows = o.sent(by: "server").map(\.segment.window)
        #expect(windows == [2896, 0, 0, 0, 0, 2896, 2896, 2896, 1584, 1584])
        #expect(o.timers == ["1.040 client persist", "3.040 client persist", "7.040 client persist", "68.080 server time-wait"], o.replay)
        #expect(o.drops == ["1.050 server unacceptable-sequence", "3.050 server unacceptable-sequence", "7.050 server unacceptable-sequence"], o.replay)
        #expect(o.notes.filter { $0.contains("server read") } == ["8.000 server read 2896 bytes", "8.020 server read 2896 bytes", "8.040 server read 2896 bytes", "8.060 server read 1312 bytes"], o.replay)
        #expect(o.transitions("client") == ["CLOSED→SYN-SENT", "SYN-SENT→ESTABLISHED", "ESTABLISHED→CLOSE-WAIT", "CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED"], o.replay)
        #expect(o.transitions("server") == ["CLOSED→LISTEN", "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED", "ESTABLISHED→FIN-WAIT-1",
                                            "FIN-WAIT-1→FIN-WAIT-2", "FIN-WAIT-2→TIME-WAIT", "TIME-WAIT→CLOSED"], o.replay)
    }
}
