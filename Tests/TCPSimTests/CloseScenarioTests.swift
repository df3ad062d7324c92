import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// The ways a connection closes: exact segments and states on both hosts, and TIME-WAIT's times.
@Suite struct CloseScenarioTests {
    static let handshake = [
        "0.000 client SYN 0/- len=0",
        "0.010 server SYN,ACK 0/1 len=0",
    ]
    static let requestAndAnswer = handshake + [
        "0.020 client PSH,ACK 1/1 len=18",
        "0.030 server PSH,ACK 1/19 len=25",
    ]

    @Test func threeWayCloseCombinesTheServersACKAndFIN() {
        let o = Observed(.threeWayClose)
        #expect(o.segments == Self.requestAndAnswer + [
            "0.040 client FIN,ACK 19/26 len=0",
            "0.050 server FIN,ACK 26/20 len=0",   // ACK of the client's FIN (u+1) and the server's FIN
            "0.060 client ACK 20/27 len=0",
        ], o.replay)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
        #expect(o.time("server", .established, .closeWait) == .seconds(0.05), o.replay)
        #expect(o.time("server", .closeWait, .lastAck) == .seconds(0.05), o.replay)
        // FIN-WAIT-2 lasts no time: the ACK (fifth step) and the FIN (eighth) come in one segment.
        #expect(o.time("client", .finWait1, .finWait2) == .seconds(0.06), o.replay)
        #expect(o.time("client", .finWait2, .timeWait) == .seconds(0.06), o.replay)
    }

    @Test func halfClosedClientKeepsReceivingInFINWAIT2() {
        let o = Observed(.halfClose)
        #expect(o.segments == Self.handshake + [
            "0.020 client PSH,ACK 1/1 len=18",
            "0.020 client FIN,ACK 19/1 len=0",
            "0.030 server ACK 1/20 len=0",
            "0.130 server PSH,ACK 1/20 len=12",
            "0.140 client ACK 20/13 len=0",
            "0.230 server PSH,ACK 13/20 len=12",
            "0.240 client ACK 20/25 len=0",
            "0.330 server PSH,ACK 25/20 len=12",
            "0.340 client ACK 20/37 len=0",
            "0.430 server FIN,ACK 37/20 len=0",
            "0.440 client ACK 20/38 len=0",
        ], o.replay)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
        #expect(o.time("client", .finWait1, .finWait2) == .seconds(0.04), o.replay)
        #expect(o.time("client", .finWait2, .timeWait) == .seconds(0.44), o.replay)
        #expect(o.time("server", .established, .closeWait) == .seconds(0.03), o.replay)
        #expect(o.time("server", .closeWait, .lastAck) == .seconds(0.43), o.replay)
        #expect(o.notes.filter { $0.contains("client read 12 bytes") }
            == ["0.140 client read 12 bytes", "0.240 client read 12 bytes", "0.340 client read 12 bytes"], o.replay)
    }

    @Test func simultaneousCloseGoesThroughCLOSINGOnBothSides() {
        let o = Observed(.simultaneousClose)
        #expect(o.segments == Self.requestAndAnswer + [
            "0.040 client ACK 19/26 len=0",
            // One second after the answer, both at once.
            "1.040 client FIN,ACK 19/26 len=0",
            "1.040 server FIN,ACK 26/19 len=0",   // does not acknowledge the client's FIN: it has not arrived
            "1.050 client ACK 20/27 len=0",
            "1.050 server ACK 27/20 len=0",
        ], o.replay)
        let close = ["ESTABLISHED→FIN-WAIT-1", "FIN-WAIT-1→CLOSING", "CLOSING→TIME-WAIT", "TIME-WAIT→CLOSED"]
        #expect(o.transitions("client") == ["CLOSED→SYN-SENT", "SYN-SENT→ESTABLISHED"] + close, o.replay)
        #expect(o.transitions("server") == ["CLOSED→LISTEN", "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED"] + close, o.replay)
        for host in ["client", "server"] {
            #expect(o.time(host, .established, .finWait1) == .seconds(1.04), o.replay)
            #expect(o.time(host, .finWait1, .closing) == .seconds(1.05), o.replay)
            #expect(o.time(host, .closing, .timeWait) == .seconds(1.06), o.replay)
            #expect(o.time(host, .timeWait, .closed) == .seconds(61.06), "both wait 2×MSL; \(o.replay)")
        }
    }

    @Test func lostFinalACKIsRepeatedFromTIMEWAIT() {
        let o = Observed(.lostFinalACK)
        #expect(o.segments == Self.requestAndAnswer + [
            "0.040 client FIN,ACK 19/26 len=0",
            "0.050 server ACK 26/20 len=0",
            "0.050 server FIN,ACK 26/20 len=0",
            "0.060 client ACK 20/27 len=0 lost",
            "1.050 server FIN,ACK 26/20 len=0",   // the server's RTO (1 s) in LAST-ACK
            "1.060 client ACK 20/27 len=0",       // from TIME-WAIT
        ], o.replay)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
        #expect(o.time("client", .finWait2, .timeWait) == .seconds(0.06), o.replay)
        #expect(o.time("server", .lastAck, .closed) == .seconds(1.07), o.replay)
        // TIME-WAIT restarted by the retransmitted FIN: 2×MSL from 1.060, not from 0.060.
        #expect(o.time("client", .timeWait, .closed) == .seconds(61.06), o.replay)
        #expect(o.notes.contains("1.060 client time-wait timer restarted"), o.replay)
        #expect(o.timers == ["1.050 server retransmit", "61.060 client time-wait"], o.replay)
        #expect(o.drops == ["1.060 client unacceptable-sequence"], o.replay)
        #expect(Observed(.lostFinalACK, msl: .seconds(5)).time("client", .timeWait, .closed) == .seconds(11.06))
    }

    @Test func newSYNEndsTheServersTIMEWAIT() {
        let o = Observed(.timeWaitReuse)
        let connection = [
            "client SYN 0/- len=0",
            "server SYN,ACK 0/1 len=0",
            "client PSH,ACK 1/1 len=18",
            "server FIN,PSH,ACK 1/19 len=25",   // the server closes with its answer
            "client ACK 19/27 len=0",
            "client FIN,ACK 19/27 len=0",
            "server ACK 27/20 len=0",
        ]
        // The client connects again 1 s after its first connection closed (at 0.060).
        let times = [0, 0.01, 0.02, 0.03, 0.04, 0.04, 0.05]
        #expect(o.segments == zip(times, connection).map { "\(Observed.ms(.seconds($0))) \($1)" }
            + zip(times, connection).map { "\(Observed.ms(.seconds(1.06 + $0))) \($1)" }, o.replay)
        let server = ["LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED", "ESTABLISHED→FIN-WAIT-1",
                      "FIN-WAIT-1→FIN-WAIT-2", "FIN-WAIT-2→TIME-WAIT", "TIME-WAIT→CLOSED"]
        let client = ["CLOSED→SYN-SENT", "SYN-SENT→ESTABLISHED", "ESTABLISHED→CLOSE-WAIT", "CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED"]
        #expect(o.transitions("server") == ["CLOSED→LISTEN"] + server + server, o.replay)
        #expect(o.transitions("client") == client + client, o.replay)
        // The new SYN ends the old TIME-WAIT after about a second instead of 60 s.
        let timeWaitEnds = o.timeline.sorted.filter { e in
            if case .state(.timeWait, .closed) = e.kind { e.host == "server" } else { false }
        }.map(\.time)
        #expect(timeWaitEnds == [.seconds(1.07), .seconds(61.11)])

        let c = o.sent(by: "client").map(\.segment), s = o.sent(by: "server").map(\.segment)
        let syns = c.filter { $0.flags == [.syn] }, synACKs = s.filter { $0.flags == [.syn, .ack] }
        #expect(syns.count == 2 && syns[0].source == syns[1].source, "the same four-tuple")
        // The new SYN is above everything the old connection used (its FIN was at relative 19).
        #expect(syns[1].sequenceNumber > syns[0].sequenceNumber + 20)
        // The server's new ISN is above its old connection's sequence space too.
        #expect(synACKs.count == 2 && synACKs[1].sequenceNumber > synACKs[0].sequenceNumber + 27)
        #expect(o.timers == ["61.110 server time-wait"], o.replay)
    }
}
