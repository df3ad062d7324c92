import Testing
import TCPCore
@testable import TCPSim
import TCPTrace

/// What `tcpkit scenario NAME --width N` prints, whole: heading, ladder, explanation, the bulk
/// scenario's round-trip table (folded into the ladder or after it) and the replay line, in both
/// languages. Every line fits N columns, and the fitted round-trip table keeps each round's
/// time, length, data sent, retransmissions, cwnd and srtt.
@Suite struct ScenarioTextWidthTests {
    static let widths = [80, 100, 160]

    /// The runs, once (the bulk one is the slow one); read-only after this.
    nonisolated(unsafe) static let runs: [(Scenario, ScenarioRun)] = Scenario.all.map { ($0, $0.run(ScenarioOptions())) }

    @Test(arguments: widths)
    func everyScenarioFits(width: Int) {
        for (scenario, run) in Self.runs {
            for language in Language.allCases {
                for condense in [nil, 4] {
                    let text = run.text(options: run.options, language: language, condense: condense, width: width)
                    let long = text.split(separator: "\n").filter { Terminal.width(of: $0) > width }
                    #expect(long.isEmpty, "\(scenario.name) (\(language), condense \(String(describing: condense))) at \(width): \(long.first ?? "")")
                }
            }
        }
    }

    /// The round-trip table at 80 columns, folded and unfolded: one line per round, each with its
    /// start time, length, segments and bytes sent, retransmissions, cwnd and srtt as the rounds
    /// measured them; the sequence ranges are the first to go.
    @Test(arguments: [nil, 4] as [Int?])
    func roundTableKeepsWhatMatters(condense: Int?) throws {
        let (_, run) = try #require(Self.runs.first { $0.0.name == "bulk" })
        let rounds = try #require(run.rounds)
        #expect(rounds.count >= 5)
        let narrow = run.text(options: run.options, condense: condense, width: 80)
        let full = run.text(options: run.options, condense: condense)
        #expect(full.contains("seq (relative)"))
        #expect(!narrow.contains("seq (relative)"))
        let lines = narrow.split(separator: "\n").map(String.init)
        // The rounds the full table shows (folded: from the third round to the first FIN).
        let shown = rounds.filter { r in
            full.contains("\n" + Scenario.pad(Scenario.sixDecimals(r.start), 11) + Scenario.pad(String(r.number), 7))
        }
        #expect(shown.count >= 3)
        for round in shown {
            guard let info = round.info, let duration = round.duration, let srtt = info.srtt else { continue }
            let time = Scenario.sixDecimals(round.start)
            let line = try #require(lines.first { $0.hasPrefix(time + " ") && $0.contains(" \(round.number) ") },
                                    "round \(round.number) at \(time)")
            let cells = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(cells[1] == String(round.number))
            #expect(line.contains(Scenario.ms(duration)), "\(line)")
            #expect(line.contains("\(round.segments) seg \(round.bytes) B"), "\(line)")
            #expect(line.contains("  \(info.cwnd)  "), "\(line)")
            #expect(line.contains(Scenario.ms(srtt)), "\(line)")
        }
    }
}
