import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// The classic scenario must produce exactly the connection the notes draw, with RFC numbers.
@Suite struct ClassicScenarioTests {
    struct Sent: Equatable, CustomStringConvertible {
        var host: String
        var flags: [String]
        var relSeq: UInt32?
        var relAck: UInt32?
        var len: Int
        var description: String { "\(host) \(flags) \(relSeq.map(String.init) ?? "-")/\(relAck.map(String.init) ?? "-") len \(len)" }
    }

    /// A connection's statistics from the classic run (the client's, when it closed).
    static func someInfo() -> TCPInfo? {
        for e in run().timeline.sorted { if case let .info(i, _) = e.kind { return i } }
        return nil
    }

    static func run(seed: UInt64 = 1, ipv6: Bool = false) -> ScenarioRun {
        var o = ScenarioOptions()
        o.seed = seed
        o.ipv6 = ipv6
        return Scenario.classic.run(o)
    }

    static func sends(_ t: Timeline) -> [Sent] {
        var rel = RelativeNumbers()
        var out: [Sent] = []
        for e in t.sorted {
            guard case let .send(_, s, _) = e.kind else { continue }
            rel.observe(s)
            out.append(Sent(host: e.host, flags: s.flags.names, relSeq: rel.relativeSeq(s), relAck: rel.relativeAck(s), len: s.payloadLength))
        }
        return out
    }

    static func states(_ t: Timeline, _ host: String) -> [String] {
        var out: [String] = []
        for e in t.sorted where e.host == host {
            if case let .state(from, to) = e.kind {
                if out.isEmpty { out.append(from.rawValue) }
                out.append(to.rawValue)
            }
        }
        return out
    }

    @Test(arguments: [false, true])
    func segmentsAreTheClassicConnection(ipv6: Bool) {
        let run = Self.run(ipv6: ipv6)
        let request = 18, answer = 25, last = 4
        let expected: [Sent] = [
            // Three-way handshake: SYN and SYN-ACK each take one number; the third segment, the
            // ACK, already carries the request.
            .init(host: "client", flags: ["SYN"], relSeq: 0, relAck: nil, len: 0),
            .init(host: "server", flags: ["SYN", "ACK"], relSeq: 0, relAck: 1, len: 0),
            .init(host: "client", flags: ["PSH", "ACK"], relSeq: 1, relAck: 1, len: request),
            // The answer carries the ACK of the request.
            .init(host: "server", flags: ["PSH", "ACK"], relSeq: 1, relAck: UInt32(1 + request), len: answer),
            // The client's FIN (with the ACK of the answer), ACKed at once by the server, which
            // then still sends from CLOSE-WAIT.
            .init(host: "client", flags: ["FIN", "ACK"], relSeq: UInt32(1 + request), relAck: UInt32(1 + answer), len: 0),
            .init(host: "server", flags: ["ACK"], relSeq: UInt32(1 + answer), relAck: UInt32(2 + request), len: 0),
            .init(host: "server", flags: ["PSH", "ACK"], relSeq: UInt32(1 + answer), relAck: UInt32(2 + request), len: last),
            .init(host: "client", flags: ["ACK"], relSeq: UInt32(2 + request), relAck: UInt32(1 + answer + last), len: 0),
            // The server's FIN and the client's last ACK: ack = FIN's seq + 1.
            .init(host: "server", flags: ["FIN", "ACK"], relSeq: UInt32(1 + answer + last), relAck: UInt32(2 + request), len: 0),
            .init(host: "client", flags: ["ACK"], relSeq: UInt32(2 + request), relAck: UInt32(2 + answer + last), len: 0),
        ]
        let actual = Self.sends(run.timeline)
        #expect(actual == expected, "\(actual); replay: \(run.replay)")
    }

    /// The same segments with their sending times, derived from the 10 ms one-way delay and the
    /// scenario's script: each segment answers the one that arrived, except the server's last
    /// message, written 5 ms after the client's FIN arrived (at 0.050), and its FIN, 15 ms after.
    @Test func segmentsAtTheirTimes() {
        let o = Observed(.classic)
        #expect(o.segments == [
            "0.000 client SYN 0/- len=0",
            "0.010 server SYN,ACK 0/1 len=0",
            "0.020 client PSH,ACK 1/1 len=18",
            "0.030 server PSH,ACK 1/19 len=25",
            "0.040 client FIN,ACK 19/26 len=0",
            "0.050 server ACK 26/20 len=0",        // the FIN ACKed at once (RFC 9293 §3.10.7.4, eighth)
            "0.055 server PSH,ACK 26/20 len=4",    // CLOSE-WAIT: still sending
            "0.065 client ACK 20/30 len=0",
            "0.065 server FIN,ACK 30/20 len=0",
            "0.075 client ACK 20/31 len=0",        // ack = the FIN's seq + 1
        ], o.replay)
        // TIME-WAIT from the server's FIN's arrival (0.075) for 2×MSL = 60 s.
        #expect(o.timers == ["60.075 client time-wait"], o.replay)
        #expect(o.time("server", .lastAck, .closed) == .seconds(0.085), o.replay)
    }

    @Test func statesFollowRFC9293() {
        let run = Self.run(), t = run.timeline
        #expect(Self.states(t, "client") == ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"], "replay: \(run.replay)")
        #expect(Self.states(t, "server") == ["CLOSED", "LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"], "replay: \(run.replay)")
    }

    @Test func timeWaitLastsTwoMSL() {
        var o = ScenarioOptions()
        o.msl = .seconds(7)
        let run = Scenario.classic.run(o), t = run.timeline.sorted
        let enter = t.first { if case .state(_, .timeWait) = $0.kind { $0.host == "client" } else { false } }!
        let leave = t.first { if case .state(.timeWait, .closed) = $0.kind { $0.host == "client" } else { false } }!
        #expect(leave.time - enter.time == .seconds(14), "replay: \(run.replay)")
        #expect(run.replay == "tcpkit scenario classic --seed 1 --msl 7s")
    }

    @Test func everySegmentArrives() {
        for e in Self.run().timeline.entries {
            if case let .send(_, _, fate) = e.kind {
                guard case .delivered = fate else { Issue.record("not delivered: \(e)"); continue }
            }
            if case let .drop(reason, _) = e.kind { Issue.record("unexpected drop \(reason) at \(e.host)") }
        }
    }

    @Test func sameSeedSameRunOtherSeedOtherISNs() {
        let a = JSONLinesRenderer.render(Self.run(seed: 42).timeline)
        let b = JSONLinesRenderer.render(Self.run(seed: 42).timeline)
        let c = JSONLinesRenderer.render(Self.run(seed: 43).timeline)
        #expect(a == b)
        #expect(a != c)
        func firstSYNSeq(_ t: Timeline) -> UInt32? {
            for e in t.sorted { if case let .send(_, s, _) = e.kind, s.flags == [.syn] { return s.sequenceNumber.rawValue } }
            return nil
        }
        let isns = Set((1...20).compactMap { firstSYNSeq(Self.run(seed: UInt64($0)).timeline) })
        #expect(isns.count == 20, "20 seeds must give 20 different client ISNs")
        #expect(!isns.contains(0) && !isns.contains(1))
    }
}

@Suite struct RenderingTests {
    @Test func jsonLinesFollowTheSchema() throws {
        let text = JSONLinesRenderer.render(ClassicScenarioTests.run().timeline)
        let lines = text.split(separator: "\n")
        #expect(lines.count > 20)
        var kinds = Set<String>()
        var lastT = -1.0
        for line in lines {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let t = try #require(obj["t"] as? Double)
            #expect(t >= lastT, "time goes forward")
            lastT = t
            let host = try #require(obj["host"] as? String)
            #expect(host == "client" || host == "server")
            let event = try #require(obj["event"] as? String)
            kinds.insert(event)
            switch event {
            case "state":
                let from = try #require(obj["from"] as? String), to = try #require(obj["to"] as? String)
                #expect(TCPState(rawValue: from) != nil && TCPState(rawValue: to) != nil)
            case "send", "recv":
                let flags = try #require(obj["flags"] as? [String])
                #expect(!flags.isEmpty)
                for key in ["seq", "ack", "len", "win"] { #expect(obj[key] is Int, "\(key) in \(line)") }
                #expect(obj["relSeq"] is Int)
                if flags.contains("ACK") { #expect(obj["relAck"] is Int) } else { #expect(obj["relAck"] is NSNull) }
            case "timer":
                #expect(obj["timer"] as? String == "time-wait")
            case "note":
                #expect(obj["text"] is String)
            case "info":
                // A connection's statistics when it reached CLOSED (TCPInfo).
                #expect(obj["state"] as? String == "CLOSED")
                #expect((obj["conn"] as? String)?.wholeMatch(of: /c[0-9]+\.[0-9]+/) != nil, "the connection, in \(line)")
                for key in ["cwnd", "mss", "bytesSent", "bytesAcked", "bytesReceived", "segsOut", "segsIn", "retransSegs", "deliveryRate", "inFlight"] {
                    #expect(obj[key] is Int, "\(key) in \(line)")
                }
                #expect(obj["srtt"] is Double || obj["srtt"] is Int)
                #expect((obj["bytesSent"] as? Int ?? 0) > 0 && (obj["bytesReceived"] as? Int ?? 0) > 0)
            default:
                Issue.record("unexpected event \(event)")
            }
        }
        #expect(kinds == ["state", "send", "recv", "timer", "note", "info"])
    }

    /// `info` says which connection it describes: in time-wait-reuse the server has two
    /// connections on the same four-tuple, one after the other, and each closing one has its own.
    @Test func infoNamesItsConnection() throws {
        let t = Scenario.timeWaitReuse.run(ScenarioOptions()).timeline
        let infos = t.sorted.compactMap { e -> (String, ConnectionID?)? in
            if case let .info(_, c) = e.kind { (e.host, c) } else { nil }
        }
        let server = infos.filter { $0.0 == "server" }.map(\.1)
        #expect(server.count == 2 && server.allSatisfy { $0 != nil })
        #expect(server[0] != server[1], "two connections, two IDs")
        let lines = JSONLinesRenderer.render(t).split(separator: "\n").filter { $0.contains("\"event\":\"info\"") && $0.contains("\"host\":\"server\"") }
        #expect(lines.count == 2)
        for (line, id) in zip(lines, server) { #expect(line.contains("\"conn\":\"\(id!)\""), "\(line)") }
    }

    /// docs/cli.md documents the `--format jsonl` schema: every event the renderer writes has a
    /// row, and the `timer` row names every timer the engine has.
    @Test func docsDocumentTheSchema() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/cli.md").standardizedFileURL, encoding: .utf8)
        let section = try #require(readme.range(of: "## `--format jsonl`").map { readme[$0.upperBound...] })
        let table = section.split(separator: "\n").drop { !$0.hasPrefix("| event") }.prefix { $0.hasPrefix("|") }
        let events = table.dropFirst(2).map { $0.split(separator: "|")[0].trimmingCharacters(in: .whitespaces) }
        #expect(events == ["`state`", "`send`, `recv`", "`lost`", "`drop`", "`timer`", "`note`", "`info`"])
        let timerRow = try #require(table.first { $0.hasPrefix("| `timer`") })
        for t in TimerKind.allCases { #expect(timerRow.contains("`\(t.rawValue)`"), "docs/cli.md: timer \(t.rawValue)") }
        let infoRow = try #require(table.first { $0.hasPrefix("| `info`") })
        let info = try #require(ClassicScenarioTests.someInfo())
        for (key, _) in JSONLinesRenderer.infoFields(info) {
            #expect(infoRow.contains("`\(key)`"), "docs/cli.md: info field \(key)")
        }
        #expect(infoRow.contains("`conn`"))
    }

    @Test func jsonStringsAreEscaped() throws {
        var t = Timeline(hosts: ["a", "b"])
        t.append(.init(time: .seconds(1.5), host: "a", kind: .note("quote \" backslash \\ newline \n tab \t bell \u{7}")))
        let line = JSONLinesRenderer.render(t)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(obj["text"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{7}")
        #expect(obj["t"] as? Double == 1.5)
    }

    @Test func ladderShowsArrowsNumbersAndStates() {
        let run = ClassicScenarioTests.run()
        let text = LadderRenderer(color: false).render(run.timeline)
        for needle in ["SYN seq=", "SYN,ACK seq=", "(0)", "ack=", "mss=1460", "▶", "◀",
                       "CLOSED → SYN-SENT", "LISTEN → SYN-RECEIVED", "SYN-SENT → ESTABLISHED",
                       "ESTABLISHED → FIN-WAIT-1", "ESTABLISHED → CLOSE-WAIT", "CLOSE-WAIT → LAST-ACK",
                       "FIN-WAIT-2 → TIME-WAIT", "TIME-WAIT → CLOSED", "time-wait timer", "198.18.0.2:80"] {
            #expect(text.contains(needle), "ladder lacks \(needle)")
        }
        #expect(!text.contains("\u{1B}["), "no colour unless asked")
        // The client's column is on the left: its state changes start right after the time.
        let line = text.split(separator: "\n").first { $0.contains("CLOSED → SYN-SENT") }!
        #expect(line.firstRange(of: "CLOSED → SYN-SENT")!.lowerBound < line.index(line.startIndex, offsetBy: 20))
        let colored = LadderRenderer(color: true).render(run.timeline)
        #expect(colored.contains("\u{1B}[32mSYN\u{1B}[0m"))
    }

    @Test func lostSegmentsAreMarked() {
        let net = SimulatedNetwork(seed: 3)
        net.addHost("client", address: IPAddress("198.18.0.1")!)
        net.addHost("server", address: IPAddress("198.18.0.2")!)
        _ = try! net.listen("server", port: 80)
        // Lose the first SYN: the client sends it again one RTO (1 s) later.
        net.faultRule = { p in p.from == "client" && p.ordinal == 1 ? .drop("scripted drop") : .deliver }
        net.schedule(at: .zero) { net in
            _ = try! net.withStack("client") { s, now in try s.connect(to: SocketAddress(IPAddress("198.18.0.2")!, 80), now: now) }
        }
        net.run(until: .seconds(5))
        let text = LadderRenderer().render(net.timeline)
        #expect(text.contains("✕"))
        #expect(text.contains("lost (scripted drop)"))
        #expect(text.contains("retransmit timer"))
        let syns = net.timeline.sorted.compactMap { e -> Instant? in
            if case let .send(_, s, _) = e.kind, s.flags == [.syn] { return e.time } else { return nil }
        }
        #expect(syns == [.zero, .seconds(1)])
        let json = JSONLinesRenderer.render(net.timeline)
        #expect(json.contains("\"event\":\"lost\",\"reason\":\"scripted drop\""))
    }
}
