import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// The text ladder fitted to a terminal's width (`LadderRenderer.width`): every scenario, at 80,
/// 100 and 160 columns, fits and still shows every segment's flags and absolute and relative
/// numbers and every state change; without a width the ladder is what it always was.
@Suite struct LadderWidthTests {
    static let names = Scenario.all.map(\.name)
    static let widths = [80, 100, 160]
    /// The documented abbreviations (RFC 9293 Figure 5); every other state keeps its name.
    static let abbreviations: [TCPState: String] = [.synReceived: "SYN-RCVD", .established: "ESTAB"]

    static func timeline(_ name: String) throws -> Timeline {
        try #require(Scenario.named(name)).run(ScenarioOptions()).timeline
    }

    /// What each segment's label must say: its flags, its sequence number absolute and relative
    /// to its sender's ISN, and with ACK its acknowledgment number both ways (as the JSON lines
    /// give them); `ack` is nil without ACK.
    static func labels(_ t: Timeline) -> [(head: String, ack: String?)] {
        var rel = RelativeNumbers()
        var out: [(String, String?)] = []
        for e in t.sorted {
            switch e.kind {
            case let .send(_, s, _):
                rel.observe(s)
                var head = "\(s.flags.names.joined(separator: ",")) seq=\(s.sequenceNumber.rawValue)"
                if let r = rel.relativeSeq(s) { head += " (\(r))" }
                var ack: String? = nil
                if s.flags.contains(.ack) { ack = "ack=\(s.acknowledgmentNumber.rawValue)" + (rel.relativeAck(s).map { " (\($0))" } ?? "") }
                out.append((head, ack))
            case let .receive(_, s):
                rel.observe(s)
            default:
                break
            }
        }
        return out
    }

    /// Whether `needles` all occur in `text` in this order.
    static func inOrder(_ needles: [String], in text: String) -> String? {
        var from = text.startIndex
        for n in needles {
            guard let r = text.range(of: n, range: from..<text.endIndex) else { return n }
            from = r.upperBound
        }
        return nil
    }

    /// Whether every label is in `text`, in order: whole, or (a label too long for its row) with
    /// its acknowledgment number on the arrow below it. The first missing one.
    static func missingLabel(_ labels: [(head: String, ack: String?)], in text: String) -> String? {
        var from = text.startIndex
        for (head, ack) in labels {
            let whole = head + (ack.map { " " + $0 } ?? "")
            guard let r = text.range(of: head, range: from..<text.endIndex) else { return whole }
            // The rest of the label's line and the arrow's line.
            var end = r.upperBound
            for _ in 0..<2 { end = text[end...].firstIndex(of: "\n").map { text.index(after: $0) } ?? text.endIndex }
            let rest = text[r.upperBound..<end]
            if let ack, !rest.hasPrefix(" " + ack), !(rest.contains("\n") && rest.split(separator: "\n").last!.contains(" " + ack + " ")) {
                return whole
            }
            from = r.upperBound
        }
        return nil
    }

    @Test(arguments: names, widths)
    func fitsAndKeepsNumbersAndStates(name: String, width: Int) throws {
        let t = try Self.timeline(name)
        for condense in [nil, 4] as [Int?] {
            let text = LadderRenderer(condense: condense, width: width).render(t)
            let lines = text.split(separator: "\n")
            #expect(!text.contains("\u{1B}"))
            for line in lines { #expect(line.count <= width, "\(name) at \(width): \(line.count) columns: \(line)") }
            #expect(lines.first?.contains("client") == true && lines.first?.contains("server") == true)

            // Every drawn segment: its label, in order; condensed, the stretches left out are counted.
            let sends = t.entries.filter { if case .send = $0.kind { true } else { false } }
            let arrows = lines.filter { $0.contains("▶") || $0.contains("◀") || $0.contains("✕") }
            if condense == nil {
                #expect(arrows.count == sends.count, "\(name) at \(width)")
                let missing = Self.missingLabel(Self.labels(t), in: text)
                #expect(missing == nil, "\(name) at \(width): no label \(missing ?? "")")
                #expect(lines.filter { $0.contains("↻ ") }.count == t.retransmittedPackets.count)
            }
            let lost = sends.filter { if case .send(_, _, .lost) = $0.kind { true } else { false } }.count
            #expect(arrows.filter { $0.contains("✕") && $0.contains("lost") }.count == lost, "\(name) at \(width)")

            // Every state change, in order, in full or (all of them alike) abbreviated.
            let short = text.contains("SYN-RCVD") || text.firstMatch(of: /ESTAB(?!LISHED)/) != nil
            func n(_ s: TCPState) -> String { short ? Self.abbreviations[s] ?? s.rawValue : s.rawValue }
            let changes = t.sorted.compactMap { e -> String? in
                if case let .state(from, to) = e.kind { "\(n(from)) → \(n(to))" } else { nil }
            }
            let missing = Self.inOrder(changes, in: text)
            #expect(missing == nil, "\(name) at \(width): no state change \(missing ?? "")")
            if short { #expect(!text.contains("SYN-RECEIVED") && !text.contains("ESTABLISHED"), "\(name) at \(width)") }
        }
    }

    /// What goes first: at 100 columns the classic ladder keeps windows and options but not the
    /// timestamp values; at 80 it keeps the lengths and abbreviates the long state names; at 160
    /// it is the full ladder.
    @Test func dropsTimestampValuesThenWindowsThenShortensNames() throws {
        let t = try Self.timeline("classic")
        let full = LadderRenderer().render(t)
        #expect(full.split(separator: "\n").map(\.count).max()! > 100)
        #expect(LadderRenderer(width: 160).render(t) == full)
        let at100 = LadderRenderer(width: 100).render(t)
        #expect(at100.contains("mss=1460 wscale=7 sackOK TS ─") && at100.contains("win=65535") && !at100.contains("TS="))
        #expect(at100.contains("LISTEN → SYN-RECEIVED") && at100.contains("198.18.0.2:80"))
        let at80 = LadderRenderer(width: 80).render(t)
        #expect(!at80.contains("win=") && !at80.contains("mss=") && at80.contains("── len=18 ──"))
        #expect(at80.contains("LISTEN → SYN-RCVD") && at80.contains("SYN-SENT → ESTAB\n") && !at80.contains("ESTABLISHED"))
        #expect(at80.contains("198.18.0.2:80"), "the addresses still fit at 80")
        // A loss's reason and a retransmission's mark move into the arrow.
        let lostSYN = LadderRenderer(width: 80).render(try Self.timeline("lost-syn"))
        #expect(lostSYN.contains("── len=0 (lost SYN) ──") && lostSYN.contains("✕ lost\n"))
        #expect(lostSYN.contains("↻ SYN seq=") && lostSYN.contains("── len=0 (retransmission) ──"))
        // A zero window stops the sender: it stays on the arrow.
        #expect(LadderRenderer(width: 80).render(try Self.timeline("zero-window")).contains("len=0 win=0 ─"))
        // Colour takes no columns.
        let colored = LadderRenderer(color: true, width: 80).render(t)
        #expect(colored.contains("\u{1B}[") && colored.split(separator: "\n").allSatisfy { Terminal.width(of: $0) <= 80 })
    }

    /// Without a width (files and pipes) the ladder is byte for byte what it was before widths
    /// existed, and a width it already fits changes nothing.
    @Test(arguments: names)
    func noWidthIsTheFullLadder(name: String) throws {
        let t = try Self.timeline(name)
        let full = LadderRenderer().render(t)
        #expect(LadderRenderer(width: nil).render(t) == full)
        let widest = full.split(separator: "\n").map(\.count).max()!
        #expect(LadderRenderer(width: widest).render(t) == full)
        #expect(LadderRenderer(width: widest - 1).render(t) != full)
        #expect(LadderRenderer(condense: 4, width: 1000).render(t) == LadderRenderer(condense: 4).render(t))
    }

    @Test func classicAndLostSYNAreAsTheyWere() throws {
        #expect(LadderRenderer().render(try Self.timeline("classic")) == Self.classic + "\n")
        #expect(LadderRenderer().render(try Self.timeline("lost-syn")) == Self.lostSYN + "\n")
    }

    /// The live ladder fits its width too, row by row.
    @Test(arguments: ["classic", "lost-syn", "zero-window"], widths)
    func liveLadderFits(name: String, width: Int) throws {
        let t = try Self.timeline(name)
        var live = LiveLadder(hosts: t.hosts, labels: t.labels, width: width)
        var text = live.heading()
        for e in t.sorted { text += live.rows(for: e) }
        for line in text.split(separator: "\n") { #expect(line.count <= width, "\(name) at \(width): \(line)") }
        #expect(Self.missingLabel(Self.labels(t), in: text) == nil)
    }

    // The ladders of `tcpkit scenario classic` and `lost-syn` (seed 1) before `--width` existed.
    static let classic = """
        time (s)   client 198.18.0.1:59065                                                                      server 198.18.0.2:80
                   CLOSED                                                                                       CLOSED
        0.000000                                                                                                CLOSED → LISTEN
        0.000000                                                     (client: connect())
        0.000000   CLOSED → SYN-SENT
        0.000000   SYN-SENT                                         SYN seq=205874534 (0)                       LISTEN
                                               ── len=0 win=65535 mss=1460 wscale=7 sackOK TS=1477455241/0 ───▶ @0.010000
        0.010000                                                                                                LISTEN → SYN-RECEIVED
        0.010000   SYN-SENT                              SYN,ACK seq=1953840357 (0) ack=205874535 (1)           SYN-RECEIVED
                   @0.020000                   ◀── len=0 win=65535 mss=1460 wscale=7 sackOK TS=1878435466/1477455241 ──
        0.020000   SYN-SENT → ESTABLISHED
        0.020000                                             (client: send 18 bytes: the request)
        0.020000   ESTABLISHED                           PSH,ACK seq=205874535 (1) ack=1953840358 (1)           SYN-RECEIVED
                                               ────────── len=18 win=2048 TS=1477455261/1878435466 ───────────▶ @0.030000
        0.030000                                                                                                SYN-RECEIVED → ESTABLISHED
        0.030000                                                      (server: accept())
        0.030000                                                   (server: read 18 bytes)
        0.030000                                             (server: send 25 bytes: the answer)
        0.030000   ESTABLISHED                          PSH,ACK seq=1953840358 (1) ack=205874553 (19)           ESTABLISHED
                   @0.040000                   ◀────────── len=25 win=2048 TS=1878435486/1477455261 ───────────
        0.040000                                                   (client: read 25 bytes)
        0.040000                                          (client: shutdown(): no more to send, FIN)
        0.040000   ESTABLISHED → FIN-WAIT-1
        0.040000   FIN-WAIT-1                           FIN,ACK seq=205874553 (19) ack=1953840383 (26)          ESTABLISHED
                                               ─────────── len=0 win=2048 TS=1477455281/1878435486 ───────────▶ @0.050000
        0.050000                                                                                                ESTABLISHED → CLOSE-WAIT
        0.050000   FIN-WAIT-1                             ACK seq=1953840383 (26) ack=205874554 (20)            CLOSE-WAIT
                   @0.060000                   ◀─────────── len=0 win=2048 TS=1878435506/1477455281 ───────────
        0.055000                                   (server: send 4 bytes: the last message, in CLOSE-WAIT)
        0.055000   FIN-WAIT-1                           PSH,ACK seq=1953840383 (26) ack=205874554 (20)          CLOSE-WAIT
                   @0.065000                   ◀─────────── len=4 win=2048 TS=1878435511/1477455281 ───────────
        0.060000   FIN-WAIT-1 → FIN-WAIT-2
        0.065000                                                    (server: close(): FIN)
        0.065000                                                                                                CLOSE-WAIT → LAST-ACK
        0.065000                                                    (client: read 4 bytes)
        0.065000   FIN-WAIT-2                             ACK seq=205874554 (20) ack=1953840387 (30)            LAST-ACK
                                               ─────────── len=0 win=2048 TS=1477455306/1878435511 ───────────▶ @0.075000
        0.065000   FIN-WAIT-2                           FIN,ACK seq=1953840387 (30) ack=205874554 (20)          LAST-ACK
                   @0.075000                   ◀─────────── len=0 win=2048 TS=1878435521/1477455281 ───────────
        0.075000   FIN-WAIT-2 → TIME-WAIT
        0.075000                                               (client: end of stream; close())
        0.075000   TIME-WAIT                              ACK seq=205874554 (20) ack=1953840388 (31)            LAST-ACK
                                               ─────────── len=0 win=2048 TS=1477455316/1878435521 ───────────▶ @0.085000
        0.085000                                                                                                LAST-ACK → CLOSED
        60.075000  ⏱ time-wait timer
        60.075000  TIME-WAIT → CLOSED
        """

    static let lostSYN = """
        time (s)   client 198.18.0.1:59065                                                                      server 198.18.0.2:80
                   CLOSED                                                                                       CLOSED
        0.000000                                                                                                CLOSED → LISTEN
        0.000000                                                     (client: connect())
        0.000000   CLOSED → SYN-SENT
        0.000000   SYN-SENT                                         SYN seq=205874534 (0)                       LISTEN
                                               ── len=0 win=65535 mss=1460 wscale=7 sackOK TS=1477455241/0 ───✕ lost (lost SYN)
        1.000000   ⏱ retransmit timer
        1.000000   SYN-SENT                                ↻ SYN seq=205874534 (0) (retransmission)             LISTEN
                                               ── len=0 win=65535 mss=1460 wscale=7 sackOK TS=1477456241/0 ───▶ @1.010000
        1.010000                                                                                                LISTEN → SYN-RECEIVED
        1.010000   SYN-SENT                              SYN,ACK seq=1954090357 (0) ack=205874535 (1)           SYN-RECEIVED
                   @1.020000                   ◀── len=0 win=65535 mss=1460 wscale=7 sackOK TS=1878436466/1477456241 ──
        1.020000   SYN-SENT → ESTABLISHED
        1.020000                                             (client: send 18 bytes: the request)
        1.020000   ESTABLISHED                           PSH,ACK seq=205874535 (1) ack=1954090358 (1)           SYN-RECEIVED
                                               ────────── len=18 win=2048 TS=1477456261/1878436466 ───────────▶ @1.030000
        1.030000                                                                                                SYN-RECEIVED → ESTABLISHED
        1.030000                                                      (server: accept())
        1.030000                                                   (server: read 18 bytes)
        1.030000                                             (server: send 25 bytes: the answer)
        1.030000   ESTABLISHED                          PSH,ACK seq=1954090358 (1) ack=205874553 (19)           ESTABLISHED
                   @1.040000                   ◀────────── len=25 win=2048 TS=1878436486/1477456261 ───────────
        1.040000                                                   (client: read 25 bytes)
        1.040000                                          (client: shutdown(): no more to send, FIN)
        1.040000   ESTABLISHED → FIN-WAIT-1
        1.040000   FIN-WAIT-1                           FIN,ACK seq=205874553 (19) ack=1954090383 (26)          ESTABLISHED
                                               ─────────── len=0 win=2048 TS=1477456281/1878436486 ───────────▶ @1.050000
        1.050000                                                                                                ESTABLISHED → CLOSE-WAIT
        1.050000   FIN-WAIT-1                             ACK seq=1954090383 (26) ack=205874554 (20)            CLOSE-WAIT
                   @1.060000                   ◀─────────── len=0 win=2048 TS=1878436506/1477456281 ───────────
        1.050000                                               (server: end of stream; close())
        1.050000                                                                                                CLOSE-WAIT → LAST-ACK
        1.050000   FIN-WAIT-1                           FIN,ACK seq=1954090383 (26) ack=205874554 (20)          LAST-ACK
                   @1.060000                   ◀─────────── len=0 win=2048 TS=1878436506/1477456281 ───────────
        1.060000   FIN-WAIT-1 → FIN-WAIT-2
        1.060000   FIN-WAIT-2 → TIME-WAIT
        1.060000   TIME-WAIT                              ACK seq=205874554 (20) ack=1954090384 (27)            LAST-ACK
                                               ─────────── len=0 win=2048 TS=1477456301/1878436506 ───────────▶ @1.070000
        1.060000                                               (client: end of stream; close())
        1.070000                                                                                                LAST-ACK → CLOSED
        61.060000  ⏱ time-wait timer
        61.060000  TIME-WAIT → CLOSED
        """
}
