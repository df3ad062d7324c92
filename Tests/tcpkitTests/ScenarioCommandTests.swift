import Foundation
import Testing
import TCPCore
import TCPSim
import TestSupport

/// `tcpkit scenario` and `tcpkit scenarios` as the binary prints them: the lists, the explanations
/// in both languages, the replay line that replays the run, and the bulk scenario's options.
@Suite struct ScenarioCommandTests {
    /// The replay command a run prints, given to the tool, draws the same run (the same JSON lines).
    @Test func replayCommandReplaysTheRun() throws {
        var o = ScenarioOptions()
        o.seed = 9
        o.delay = .microseconds(2500)
        o.msl = .seconds(2)
        o.ipv6 = true
        let run = Scenario.lostSYN.run(o)
        let args = Array(run.replay.split(separator: " ").dropFirst().map(String.init)) + ["--format", "jsonl"]
        let replayed = try TCPKitTool.run(args)
        #expect(replayed.status == 0)
        #expect(replayed.output == run.jsonLines)
    }

    /// `tcpkit scenarios` lists every scenario with one line each, in English or Chinese, and
    /// `tcpkit scenario NAME --lang zh` explains in Chinese.
    @Test func listAndChineseFromTheTool() throws {
        _ = try TCPKitTool.require()
        for lang in Language.allCases {
            let r = try TCPKitTool.run(["scenarios", "--lang", lang.rawValue])
            #expect(r.status == 0)
            let lines = r.output.split(separator: "\n").map(String.init)
            #expect(lines.count == Scenario.all.count)
            for (line, s) in zip(lines, Scenario.all) {
                #expect(line.hasPrefix(s.name + " ") && line.hasSuffix(s.summary(lang)), "\(line)")
            }
            // The summaries start in one column, however long the longest name.
            let columns = Set(zip(lines, Scenario.all).map { line, s in line.count - s.summary(lang).count })
            #expect(columns.count == 1, "summaries start in columns \(columns.sorted())")
        }
        let zh = try TCPKitTool.run(["scenario", "lost-syn", "--lang", "zh"])
        #expect(zh.status == 0)
        for paragraph in Scenario.lostSYN.run(ScenarioOptions()).explanationZh { #expect(zh.output.contains("• " + paragraph)) }
        #expect(zh.output.contains("RFC 6298 §5.4") && zh.output.hasSuffix("重放：tcpkit scenario lost-syn --seed 1 --lang zh\n"))
    }

    /// What the tool prints, `tcpkit scenario NAME` and `--lang zh`, for every scenario: the
    /// explanation's bullets cite an RFC section in each language, and the Chinese ones are
    /// Chinese and not the English ones.
    @Test func everyExplanationFromTheToolCitesAnRFCSection() throws {
        _ = try TCPKitTool.require()
        for name in Scenario.all.map(\.name) {
            func bullets(_ lang: String) throws -> [String] {
                let r = try TCPKitTool.run(["scenario", name, "--lang", lang])
                #expect(r.status == 0, "\(name) --lang \(lang)")
                return r.output.split(separator: "\n").filter { $0.hasPrefix("• ") }.map(String.init)
            }
            let en = try bullets("en"), zh = try bullets("zh")
            #expect(!en.isEmpty && en.count == zh.count, "\(name)")
            #expect(Explanations.rfcSections(en.joined(separator: "\n")) != [], "\(name): no RFC section in English")
            #expect(Explanations.rfcSections(zh.joined(separator: "\n")) != [], "\(name): no RFC section with --lang zh")
            #expect(zh.allSatisfy(Explanations.isChinese) && !en.contains(where: Explanations.isChinese), "\(name)")
            #expect(Set(en).isDisjoint(with: zh), "\(name)")
        }
    }

    @Test("the command: --max-rounds elides and says so, --no-quick-ack is replayed, --max-rounds 1 is refused")
    func command() throws {
        _ = try TCPKitTool.require()
        let capped = try TCPKitTool.run(["scenario", "bulk", "--max-rounds", "2", "--color", "never"])
        #expect(capped.status == 0)
        let run = Observed(Scenario.bulk).run
        var o = ScenarioOptions()
        o.seed = 1
        #expect(capped.output == run.text(options: o, condense: 4, maxRounds: 2))
        #expect(capped.output.contains("rounds elided (--max-rounds 2)"))
        let rfc = try TCPKitTool.run(["scenario", "bulk", "--loss", "0", "--bytes", "30000", "--no-quick-ack", "--color", "never"])
        #expect(rfc.status == 0 && rfc.output.hasSuffix("Replay: tcpkit scenario bulk --seed 1 --bytes 30000 --loss 0.0 --no-quick-ack\n"))
        #expect(try TCPKitTool.run(["scenario", "bulk", "--max-rounds", "1"]).status != 0)
    }

    /// `--width 80`: the ladder and the explanation fit 80 columns, exactly as the library draws
    /// them at 80; without it (standard output is a pipe here) the output is the full ladder;
    /// a width below the minimum is refused.
    @Test func widthFitsTheTerminal() throws {
        _ = try TCPKitTool.require()
        let narrow = try TCPKitTool.run(["--width", "80", "--color", "never"])
        #expect(narrow.status == 0)
        let lines = narrow.output.split(separator: "\n")
        for line in lines { #expect(line.count <= 80, "\(line.count) columns: \(line)") }
        #expect(narrow.output.contains("LISTEN → SYN-RCVD") && narrow.output.contains("── len=18 ──"))
        let run = Observed(Scenario.classic).run
        var o = ScenarioOptions()
        o.seed = 1
        #expect(narrow.output == run.text(options: o, width: 80))
        let piped = try TCPKitTool.run(["scenario", "classic"])
        #expect(piped.status == 0 && piped.output == run.text(options: o))
        #expect(piped.output.split(separator: "\n").map(\.count).max()! > 120)
        let ladder = try TCPKitTool.run(["simulate", "--bytes", "20000", "--format", "ladder", "--width", "80"])
        #expect(ladder.status == 0)
        let arrows = ladder.output.split(separator: "\n").filter { $0.contains("▶") || $0.contains("◀") }
        #expect(!arrows.isEmpty && arrows.allSatisfy { $0.count <= 80 })
        #expect(try TCPKitTool.run(["--width", "20"]).status != 0)
    }

    @Test("--delay takes a unit; the old --delay-ms still works for one release, hidden from --help, and says it is deprecated")
    func delayOption() throws {
        _ = try TCPKitTool.require()
        let new = try TCPKitTool.run(["scenario", "lost-syn", "--delay", "20ms", "--msl", "2", "--color", "never"])
        #expect(new.status == 0 && new.errors == "")
        #expect(new.output.hasPrefix("tcpkit scenario lost-syn · seed 1 · one-way delay 20.0 ms\n"))
        #expect(new.output.hasSuffix("Replay: tcpkit scenario lost-syn --seed 1 --delay 20ms --msl 2s\n"))
        let old = try TCPKitTool.run(["scenario", "lost-syn", "--delay-ms", "20", "--msl", "2", "--color", "never"])
        #expect(old.status == 0 && old.output == new.output, "the same run")
        #expect(old.errors == "tcpkit: --delay-ms is deprecated; use --delay 20ms\n")
        let help = try TCPKitTool.run(["scenario", "--help"])
        #expect(help.output.contains("--delay <time>") && !help.output.contains("--delay-ms"))
        #expect(help.output.contains("a bare number is seconds"))
        let both = try TCPKitTool.run(["scenario", "--delay", "1ms", "--delay-ms", "1"])
        #expect(both.status != 0 && both.errors.contains("give --delay (--delay-ms is deprecated), not both"))
        let far = try TCPKitTool.run(["scenario", "--delay", "61"])
        #expect(far.status != 0 && far.errors.contains("--delay must be at most 60s"), "\(far.errors)")
        let msl = try TCPKitTool.run(["scenario", "--msl", "2h"])
        #expect(msl.status != 0 && msl.errors.contains("--msl: cannot read '2h' as a time"), "\(msl.errors)")
    }
}
