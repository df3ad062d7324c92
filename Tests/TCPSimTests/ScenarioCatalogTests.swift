import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// What every registered scenario must do: run to the end, leave no connection behind, draw in
/// text and JSON lines, and explain itself in English and Chinese with RFC references.
@Suite struct ScenarioCatalogTests {
    static let names = Scenario.all.map(\.name)

    @Test func catalogue() {
        #expect(Self.names == [
            "classic", "lost-syn", "lost-syn-ack", "lost-ack", "lost-ack-idle", "stale-syn", "late-duplicate-syn", "simultaneous-open",
            "three-way-close", "half-close", "simultaneous-close", "lost-final-ack", "time-wait-reuse",
            "reset", "refused", "retries-exhausted", "zero-window", "bulk", "syn-flood", "syn-flood-no-cookies",
            "pmtu-black-hole", "ecn",
        ])
        for s in Scenario.all {
            #expect(Scenario.named(s.name)?.name == s.name)
            #expect(!s.summary.isEmpty && Explanations.isChinese(s.summaryZh), "\(s.name)")
        }
        #expect(Scenario.named("no-such-scenario") == nil)
    }

    @Test(arguments: names)
    func runsToTheEndAndLeavesNoConnection(name: String) {
        for (seed, ipv6) in [(UInt64(1), false), (7, true)] {
            let o = Observed(Scenario.named(name)!, seed: seed, ipv6: ipv6)
            #expect(o.connectionsLeft == ["client": 0, "server": 0], "\(name) seed \(seed) ipv6 \(ipv6)")
            let last = o.timeline.sorted.last!.time
            #expect(last < .seconds(200), "\(name) ran until \(last): something kept it going")
            for e in o.timeline.entries {
                if case let .send(_, _, fate) = e.kind, case .inFlight = fate { Issue.record("\(name): \(e) still in flight") }
            }
        }
    }

    /// Other link delays change the times, not the outcome: every scenario still ends with no
    /// connection left.
    @Test(arguments: [0, 1, 100, 400, 2000])
    func anyDelay(milliseconds: Int) {
        for s in Scenario.all {
            var o = ScenarioOptions()
            o.delay = .milliseconds(milliseconds)
            let run = s.run(o)
            #expect(run.network.hosts.map(\.stack.connectionCount) == [0, 0], "\(s.name) with \(milliseconds) ms")
        }
    }

    @Test(arguments: names)
    func explainsItselfInEnglishAndChinese(name: String) {
        let run = Observed(Scenario.named(name)!).run
        #expect(!run.explanation.isEmpty && run.explanation.count == run.explanationZh.count)
        // Each language cites at least one RFC section ("RFC 9293 §3.5", "RFC 6298 §5.4"), and
        // the Chinese is Chinese, not the English again.
        #expect(Explanations.rfcSections(run.explanation.joined(separator: "\n")) != [], "\(name) cites no RFC section")
        #expect(Explanations.rfcSections(run.explanationZh.joined(separator: "\n")) != [], "\(name) cites no RFC section in Chinese")
        for line in run.explanationZh { #expect(Explanations.isChinese(line), "\(line)") }
        for line in run.explanation { #expect(!Explanations.isChinese(line), "\(line)") }
        for (en, zh) in zip(run.explanation, run.explanationZh) { #expect(en != zh) }

        var o = ScenarioOptions()
        o.seed = 1
        let en = run.text(options: o, language: .en)
        let zh = run.text(options: o, language: .zh)
        #expect(en.hasPrefix("tcpkit scenario \(name) · seed 1 · one-way delay 10.0 ms"))
        #expect(zh.hasPrefix("tcpkit scenario \(name) · 种子 1 · 单向时延 10.0 ms"))
        for line in run.explanation { #expect(en.contains("• " + line)) }
        for line in run.explanationZh { #expect(zh.contains("• " + line)) }
        #expect(en.contains("Replay: tcpkit scenario \(name) --seed 1\n"))
        #expect(zh.contains("重放：tcpkit scenario \(name) --seed 1 --lang zh"))
        // The same ladder in both.
        #expect(en.split(separator: "\n").dropFirst().prefix { !$0.hasPrefix("•") }
            == zh.split(separator: "\n").dropFirst().prefix { !$0.hasPrefix("•") })
        #expect(!en.contains("\u{1B}["))
        #expect(run.text(options: o, color: true).contains("\u{1B}["))
    }

    @Test(arguments: names)
    func drawsAsJSONLines(name: String) throws {
        let run = Observed(Scenario.named(name)!).run
        let lines = run.jsonLines.split(separator: "\n")
        #expect(lines.count == run.timeline.entries.count + lostCount(run.timeline))
        var last = -1.0
        for line in lines {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let t = try #require(obj["t"] as? Double)
            #expect(t >= last)
            last = t
            #expect(["client", "server"].contains(obj["host"] as? String))
            let event = try #require(obj["event"] as? String)
            #expect(["state", "send", "recv", "lost", "drop", "timer", "note", "info"].contains(event))
            if event == "send" || event == "recv" || event == "lost" {
                for key in ["seq", "ack", "len", "win"] { #expect(obj[key] is Int, "\(key) in \(line)") }
                #expect(obj["relSeq"] is Int || obj["relSeq"] is NSNull)
            }
        }
    }

    @Test func ladderShowsEveryScenarioSegment() {
        for s in Scenario.all {
            let run = Observed(s).run
            let ladder = LadderRenderer().render(run.timeline)
            let sends = run.timeline.entries.filter { if case .send = $0.kind { true } else { false } }.count
            #expect(ladder.split(separator: "\n").filter { $0.contains("▶") || $0.contains("◀") || $0.contains("✕") }.count == sends, "\(s.name)")
            #expect(ladder.contains("lost (") == run.timeline.entries.contains { if case .send(_, _, .lost) = $0.kind { true } else { false } })
        }
    }

    /// The replay command names every option that differs from its default, and running what it
    /// names gives the same run.
    @Test func replayCommandReplaysTheRun() {
        var o = ScenarioOptions()
        o.seed = 9
        o.delay = .microseconds(2500)
        o.msl = .seconds(2)
        o.ipv6 = true
        let run = Scenario.lostSYN.run(o)
        #expect(run.replay == "tcpkit scenario lost-syn --seed 9 --delay 2.5ms --msl 2s --ipv6")
        #expect(run.text(options: o).hasSuffix("\nReplay: \(run.replay)\n"))
        #expect(run.text(options: o, language: .zh).hasSuffix("\n重放：\(run.replay) --lang zh\n"))
        var b = ScenarioOptions()
        b.bytes = 5000
        b.loss = 0.1
        #expect(Scenario.bulk.run(b).replay == "tcpkit scenario bulk --seed 1 --bytes 5000 --loss 0.1")
    }

    @Test func seedsChangeNumbersNotTheStory() {
        for s in Scenario.all {
            let a = Observed(s, seed: 1), b = Observed(s, seed: 2)
            // bulk's random losses come from the seed too: only the same seed repeats its story.
            if s.name != "bulk" {
                #expect(a.segments == b.segments, "\(s.name): the relative picture does not depend on the seed")
            }
            #expect(a.run.jsonLines == Observed(s, seed: 1).run.jsonLines, "\(s.name): the same seed, the same run")
        }
    }

    func lostCount(_ t: Timeline) -> Int {
        t.entries.filter { if case .send(_, _, .lost) = $0.kind { true } else { false } }.count
    }

    @Test func rfcSectionPattern() {
        #expect(Explanations.rfcSections("as RFC 9293 §3.10.7.4 says, and RFC 6298 §5.4") == ["RFC 9293 §3.10.7.4", "RFC 6298 §5.4"])
        #expect(Explanations.rfcSections("RFC 9293 says so; RFC §3; RFC 793") == [])
    }
}
