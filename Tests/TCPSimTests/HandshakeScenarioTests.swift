import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// Each handshake segment lost in turn, the old duplicate SYN, simultaneous open: the exact
/// segments (sending time, host, flags, relative seq/ack, length, loss) and states on both hosts.
@Suite struct HandshakeScenarioTests {
    @Test func lostSYNIsSentAgainAfterOneSecondWithTheSameISN() {
        let o = Observed(.lostSYN)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0 lost",
            "1.000 client SYN 0/- len=0",
            "1.010 server SYN,ACK 0/1 len=0",
        ] + Expected.exchange(from: 1.02), o.replay)
        let syns = o.sent(by: "client").filter { $0.segment.flags == [.syn] }
        #expect(syns.map(\.time) == [.zero, .seconds(1)], "initial RTO 1 s (RFC 6298 §2.1)")
        #expect(syns[0].segment.sequenceNumber == syns[1].segment.sequenceNumber, "same ISN")
        #expect(o.timers == ["1.000 client retransmit", "61.060 client time-wait"], o.replay)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
        #expect(o.time("server", .listen, .synReceived) == .seconds(1.01), "the server learns of nothing before; \(o.replay)")
    }

    @Test func lostSYNACKIsRepairedByTheSYNRetransmissionAndTheServersTimerAtOnce() {
        let o = Observed(.lostSYNACK)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.010 server SYN,ACK 0/1 len=0 lost",
            "1.000 client SYN 0/- len=0",
            // The retransmitted SYN arrives when the server's own timer expires: one SYN,ACK.
            "1.010 server SYN,ACK 0/1 len=0",
        ] + Expected.exchange(from: 1.02), o.replay)
        #expect(o.timers == ["1.000 client retransmit", "1.010 server retransmit", "61.060 client time-wait"], o.replay)
        let synACKs = o.sent(by: "server").filter { $0.segment.flags == [.syn, .ack] }
        #expect(synACKs.count == 2 && synACKs[0].segment.sequenceNumber == synACKs[1].segment.sequenceNumber)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
        #expect(o.time("server", .listen, .synReceived) == .seconds(0.01), o.replay)
        #expect(o.time("server", .synReceived, .established) == .seconds(1.03), o.replay)
        #expect(o.drops.isEmpty, o.replay)
    }

    @Test func lostACKIsRepairedByTheRequestWhichCarriesTheACK() {
        let o = Observed(.lostACK)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.010 server SYN,ACK 0/1 len=0",
            "0.020 client ACK 1/1 len=0 lost",
        ] + Expected.exchange(from: 0.02), o.replay)
        #expect(o.time("server", .synReceived, .established) == .seconds(0.03), "on the request's ACK; \(o.replay)")
        #expect(o.timers == ["60.060 client time-wait"], "no retransmission at all; \(o.replay)")
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
        #expect(o.drops.isEmpty, o.replay)
    }

    @Test func lostACKWithoutDataIsRepairedByTheSYNACKRetransmission() {
        let o = Observed(.lostACKIdle)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.010 server SYN,ACK 0/1 len=0",
            "0.020 client ACK 1/1 len=0 lost",
            "1.010 server SYN,ACK 0/1 len=0",
            // An old duplicate for the ESTABLISHED client: answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
            "1.020 client ACK 1/1 len=0",
            "2.000 client FIN,ACK 1/1 len=0",
            "2.010 server ACK 1/2 len=0",
            "2.010 server FIN,ACK 1/2 len=0",
            "2.020 client ACK 2/2 len=0",
        ], o.replay)
        #expect(o.drops == ["1.020 client unacceptable-sequence"], o.replay)
        #expect(o.timers == ["1.010 server retransmit", "62.020 client time-wait"], o.replay)
        #expect(o.time("client", .synSent, .established) == .seconds(0.02), o.replay)
        #expect(o.time("server", .synReceived, .established) == .seconds(1.03), o.replay)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser, o.replay)
    }

    @Test func staleSYNIsResetAndFigure8Recovers() {
        let o = Observed(.staleSYN)
        #expect(o.segments == [
            // Part 1: an old SYN while the client has no connection.
            "0.000 client SYN 0/- len=0",
            "0.010 server SYN,ACK 0/1 len=0",
            "0.020 client RST 1/- len=0",
            // Part 2 (RFC 9293 Figure 8): the real SYN, held back by the network, then an old one.
            "1.000 client SYN 0/- len=0",
            "1.000 client SYN 0/- len=0",
            "1.010 server SYN,ACK 0/1 len=0",
            "1.020 client RST 1/- len=0",
            "1.060 server SYN,ACK 0/1 len=0",
        ] + Expected.exchange(from: 1.07), o.replay)
        #expect(o.drops == ["0.020 client no-connection", "1.020 client syn-sent-bad-ack"], o.replay)
        #expect(o.transitions("server") == [
            "CLOSED→LISTEN",
            "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→LISTEN",
            "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→LISTEN",
            "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED", "ESTABLISHED→CLOSE-WAIT", "CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED",
        ], o.replay)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.time("client", .closed, .synSent) == .seconds(1), o.replay)

        // Absolute numbers: each RST carries exactly the acknowledgment number of the SYN,ACK it
        // answers (<SEQ=SEG.ACK><CTL=RST>), and the old SYNs are not the client's real ISN.
        let client = o.sent(by: "client").map(\.segment), server = o.sent(by: "server").map(\.segment)
        let rsts = client.filter { $0.flags == [.rst] }
        let synACKs = server.filter { $0.flags == [.syn, .ack] }
        #expect(rsts.count == 2 && synACKs.count == 3)
        #expect(rsts.map(\.sequenceNumber) == synACKs.prefix(2).map(\.acknowledgmentNumber))
        let syns = client.filter { $0.flags == [.syn] }
        #expect(syns[1].sequenceNumber - syns[2].sequenceNumber == 10_000, "the second old SYN is from an older incarnation")
        #expect(synACKs[2].acknowledgmentNumber == syns[1].sequenceNumber + 1, "the connection is the real SYN's")
        #expect(Set(syns.map(\.source)).count == 1, "all from the same port")
    }

    @Test func lateDuplicateSYNMeetsAnRSTAndOpensNothing() {
        let o = Observed(.lateDuplicateSYN)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.000 client SYN 0/- len=0",   // the copy, held by the network until both sides are CLOSED
            "0.010 server SYN,ACK 0/1 len=0",
        ] + Expected.exchange(from: 0.02) + [
            "60.070 server SYN,ACK 0/1 len=0",   // a new ISN: relative 0 again
            "60.080 client RST 1/- len=0",       // <SEQ=SEG.ACK><CTL=RST>
        ], o.replay)
        // The copy left with the original and arrived once the client's TIME-WAIT was over.
        let copies = o.timeline.sorted.compactMap { e -> Instant? in
            if case let .send(_, s, .delivered(at)) = e.kind, e.host == "client", s.flags == [.syn] { at } else { nil }
        }
        #expect(copies == [.seconds(0.01), .seconds(60.07)], o.replay)
        // A copy the network made is not a retransmission: the client sent its SYN once.
        #expect(o.timeline.networkCopies.count == 1 && o.timeline.retransmittedPackets.isEmpty)
        let ladder = LadderRenderer().render(o.timeline)
        #expect(ladder.contains("⧉ SYN seq=") && ladder.contains(" (network copy)") && !ladder.contains("(retransmission)"))
        #expect(o.time("client", .timeWait, .closed) == .seconds(60.06), o.replay)
        #expect(o.transitions("client") == Expected.activeCloser, o.replay)
        #expect(o.transitions("server") == Expected.passiveCloser + ["LISTEN→SYN-RECEIVED", "SYN-RECEIVED→LISTEN"], o.replay)
        #expect(o.time("server", .synReceived, .listen) == .seconds(60.09), o.replay)
        #expect(o.drops == ["60.080 client no-connection"], o.replay)
        #expect(!o.notes.contains { $0.contains("accept()") && $0.hasPrefix("60.") }, "nothing reaches the application")
        // The RST carries exactly the SYN,ACK's acknowledgment number, and the new SYN,ACK a new ISN.
        let synACKs = o.sent(by: "server").filter { $0.segment.flags == [.syn, .ack] }.map(\.segment)
        let rst = o.sent(by: "client").last!.segment
        #expect(synACKs.count == 2 && synACKs[0].sequenceNumber != synACKs[1].sequenceNumber)
        #expect(rst.flags == [.rst] && rst.sequenceNumber == synACKs[1].acknowledgmentNumber)
    }

    @Test func simultaneousOpenFollowsFigure7() {
        let o = Observed(.simultaneousOpen)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.000 server SYN 0/- len=0",
            "0.010 client SYN,ACK 0/1 len=0",
            "0.010 server SYN,ACK 0/1 len=0",
        ] + Expected.exchange(from: 0.02), o.replay)
        let open = ["CLOSED→SYN-SENT", "SYN-SENT→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED"]
        #expect(o.transitions("client") == open + Expected.activeCloser.dropFirst(2), o.replay)
        #expect(o.transitions("server") == open + Expected.passiveCloser.dropFirst(3), o.replay)
        for host in ["client", "server"] {
            #expect(o.time(host, .synSent, .synReceived) == .seconds(0.01), o.replay)
            #expect(o.time(host, .synReceived, .established) == .seconds(0.02), "on the peer's SYN,ACK (Figure 7); \(o.replay)")
        }
        #expect(o.drops.isEmpty, o.replay)
        // Each SYN,ACK repeats its sender's SYN (<SEQ=ISS>).
        for host in ["client", "server"] {
            let s = o.sent(by: host).map(\.segment)
            #expect(s[0].sequenceNumber == s[1].sequenceNumber && s[1].flags == [.syn, .ack])
        }
    }
}
