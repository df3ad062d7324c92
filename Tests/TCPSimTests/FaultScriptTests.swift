import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// The simulator's scripted mode (`FaultScript`), one test per kind of rule the issue names:
/// "drop the 2nd segment from client to server", "delay the SYN-ACK by 3 s", "duplicate the SYN
/// and deliver the copy after the connection closed". Each runs a checked transfer
/// (`Simulation`, 1000 bytes, 10 ms one way) with the script and reads the timeline back.
@Suite struct FaultScriptTests {
    static func run(_ script: FaultScript, msl: Duration = .seconds(30)) -> (SimulationResult, Timeline) {
        var o = SimulationOptions()
        o.bytes = 1000
        o.link = LinkModel(delay: .milliseconds(10))
        o.recording = true
        o.configuration.msl = msl
        o.faultRule = script.rule
        let sim = Simulation(o)
        let r = sim.run()
        #expect(r.failures == [], "replay: swift test --filter FaultScriptTests")
        return (r, sim.network.timeline)
    }

    /// `"0.010 server SYN,ACK → 3.020"`, `"… lost (reason)"`: every segment sent, with its fate.
    static func sends(_ t: Timeline) -> [String] {
        t.sorted.compactMap { e in
            guard case let .send(_, s, fate) = e.kind else { return nil }
            let head = "\(Observed.ms(e.time)) \(e.host) \(s.flags.names.joined(separator: ",")) len=\(s.payloadLength)"
            switch fate {
            case .delivered(let at): return head + " → \(Observed.ms(at))"
            case .lost(let reason): return head + " lost (\(reason))"
            case .inFlight: return head + " in flight"
            }
        }
    }

    @Test("drop the 2nd segment from client to server: the handshake's third segment, which carries the data and the FIN; the tail loss probe at 0.26 s repairs it and completes the server's handshake")
    func dropSecondSegment() {
        let (r, t) = Self.run(FaultScript().drop(.segment(2, from: "client", to: "server")))
        let client = Self.sends(t).filter { $0.contains(" client ") }
        #expect(client.prefix(3) == [
            "0.000 client SYN len=0 → 0.010",
            "0.020 client FIN,PSH,ACK len=1000 lost (scripted drop: segment 2 from client to server)",
            // RFC 8985 §7: PTO = 2·SRTT + 200 ms with one segment out (SRTT 20 ms from the handshake).
            "0.260 client FIN,PSH,ACK len=1000 → 0.270",
        ])
        #expect(Self.sends(t).filter { $0.contains("lost") }.count == 1, "one drop only")
        #expect(r.retransmittedSegments == 1 && r.statistics["client"]?.lossProbes == 1)
        let established = t.sorted.first { e in
            if case .state(.synReceived, .established) = e.kind { e.host == "server" } else { false }
        }
        #expect(established?.time == .seconds(0.27), "on the ACK the probe carries")
        #expect(r.intact)
    }

    @Test("delay the SYN-ACK by 3 s: the client's SYN retransmission at 1 s draws a second SYN-ACK that opens the connection; the delayed one is an old duplicate at 3.02 s")
    func delaySYNACK() {
        let (r, t) = Self.run(FaultScript().delay(.synACK(), by: .seconds(3)))
        let sends = Self.sends(t)
        #expect(Array(sends.prefix(4)) == [
            "0.000 client SYN len=0 → 0.010",
            "0.010 server SYN,ACK len=0 → 3.020",
            "1.000 client SYN len=0 → 1.010",
            "1.010 server SYN,ACK len=0 → 1.020",
        ])
        let established = t.sorted.first { e in
            if case .state(.synSent, .established) = e.kind { e.host == "client" } else { false }
        }
        #expect(established?.time == .seconds(1.02))
        // The late SYN-ACK reaches an ESTABLISHED client: an unacceptable segment, answered by an ACK.
        let late = t.sorted.filter { $0.time == .seconds(3.02) && $0.host == "client" }
        #expect(late.contains { if case .drop = $0.kind { true } else { false } })
        #expect(sends.contains("3.020 client ACK len=0 → 3.030"))
        #expect(r.intact)
    }

    @Test("duplicate the SYN and deliver the copy after the connection closed: the server opens a half-open connection, the client (no connection) resets it")
    func duplicateSYNAfterClose() {
        let (r, t) = Self.run(FaultScript().duplicate(.syn(), deliverCopy: .afterClose), msl: .seconds(1))
        // Both connections are gone when the client's TIME-WAIT (2 × 1 s) ends.
        let timeWaitEnd = t.sorted.first { e in if case .state(.timeWait, .closed) = e.kind { true } else { false } }!.time
        let sends = Self.sends(t)
        let copy = "0.000 client SYN len=0 → \(Observed.ms(timeWaitEnd + .milliseconds(10)))"
        #expect(sends.filter { $0.hasPrefix("0.000 client SYN") } == ["0.000 client SYN len=0 → 0.010", copy])
        let after = t.sorted.filter { $0.time > timeWaitEnd }
        let afterSends = after.compactMap { e -> String? in
            if case let .send(_, s, _) = e.kind { "\(e.host) \(s.flags.names.joined(separator: ","))" } else { nil }
        }
        #expect(afterSends == ["server SYN,ACK", "client RST"])
        let serverStates = after.compactMap { e -> String? in
            if case let .state(from, to) = e.kind, e.host == "server" { "\(from.rawValue)→\(to.rawValue)" } else { nil }
        }
        #expect(serverStates == ["LISTEN→SYN-RECEIVED", "SYN-RECEIVED→LISTEN"])
        #expect(r.connectionsLeft == ["client": 0, "server": 0])
    }

    @Test("rules apply in order, as many times as asked; a rule with no uses left lets the packet through")
    func rulesAndTimes() {
        let script = FaultScript()
            .drop(.syn(from: "client"), times: 2)
            .delay(.syn(), by: .seconds(1))
        func p(_ n: Int) -> WirePacket { Self.packet(.syn, ordinal: n) }
        #expect((1...4).map { script.fault(for: p($0)) } == [
            .drop("scripted drop: SYN from client"), .drop("scripted drop: SYN from client"), .delay(.seconds(1)), .deliver,
        ])
        let always = FaultScript().drop(.to("server"), reason: "unreachable", times: nil)
        #expect((1...20).allSatisfy { always.fault(for: p($0)) == .drop("unreachable") })
    }

    static func packet(_ flags: TCPFlags, from: String = "client", ordinal: Int = 1) -> WirePacket {
        let a = SocketAddress(IPAddress("198.18.0.1")!, 1), b = SocketAddress(IPAddress("198.18.0.2")!, 2)
        let h = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: SequenceNumber(7), acknowledgmentNumber: SequenceNumber(0), flags: flags, window: 1)
        return WirePacket(from: from, to: from == "client" ? "server" : "client", ordinal: ordinal,
                          segment: SegmentSummary(source: from == "client" ? a : b, destination: from == "client" ? b : a, header: h, payloadLength: 0), sentAt: .zero)
    }

    @Test("rules as text (tcpkit simulate --script): each kind reads into the fault the builder makes; a bad rule is a typed error that says why")
    func rulesAsText() throws {
        let s = try FaultScript.parse(["drop segment 2 client>server", "delay syn-ack 3s", "duplicate syn after-close",
                                       "duplicate fin from server 250ms", "corrupt ack from server times 2", "drop rst always"])
        #expect(s.fault(for: Self.packet(.ack, ordinal: 2)) == .drop("scripted drop: segment 2 from client to server"))
        #expect(s.fault(for: Self.packet(.ack, ordinal: 2)) == .deliver, "once")
        #expect(s.fault(for: Self.packet([.syn, .ack], from: "server")) == .delay(.seconds(3)))
        #expect(s.fault(for: Self.packet(.syn)) == .duplicateAfterClose)
        #expect(s.fault(for: Self.packet([.fin, .ack], from: "client")) == .deliver, "from the server only")
        #expect(s.fault(for: Self.packet([.fin, .ack], from: "server")) == .duplicate(after: .milliseconds(250)))
        #expect((1...3).map { _ in s.fault(for: Self.packet(.ack, from: "server")) } == [.corrupt, .corrupt, .deliver])
        #expect((1...5).allSatisfy { _ in s.fault(for: Self.packet([.rst, .ack])) == .drop("scripted drop: RST") })
        // The same run from the text as from the builder.
        let (_, a) = Self.run(try FaultScript.parse(["delay syn-ack 3s"]))
        let (_, b) = Self.run(FaultScript().delay(.synACK(), by: .seconds(3)))
        #expect(Self.sends(a) == Self.sends(b))

        for (rule, problem) in [
            ("", "it is empty"),
            ("drop", "which packet? (syn, syn-ack, ack, fin, rst, any, segment N FROM>TO)"),
            ("delay syn-ack", "'delay' wants one time, e.g. delay syn-ack 3s"),
            ("delay syn-ack soon", "cannot read 'soon' as a time (e.g. 3s, 250ms)"),
            ("drop segment two client>server", "'segment' wants a number and FROM>TO, e.g. segment 2 client>server"),
            ("drop segment 2 client", "'segment 2' wants FROM>TO, e.g. client>server"),
            ("drop syn times 0", "'times' wants a positive count"),
            ("lose syn", "unknown action 'lose' (drop, delay, duplicate, corrupt)"),
            ("drop urg", "unknown packet 'urg' (syn, syn-ack, ack, fin, rst, any, segment N FROM>TO)"),
            ("drop syn 3s", "unexpected '3s'"),
        ] {
            #expect(throws: FaultScript.ParseError(rule: rule, problem: problem)) { try FaultScript.parse([rule]) }
        }
    }
}
