/// Many runs of the same arguments, one per seed (`tcpkit simulate --seeds A..B`); with
/// `faults: .random`, each seed also picks its own transfer, link and faults.
public struct SimulationSweep: Sendable {
    public let arguments: SimulationArguments
    public let seeds: ClosedRange<UInt64>

    public init(_ arguments: SimulationArguments, seeds: ClosedRange<UInt64>) {
        self.arguments = arguments
        self.seeds = seeds
    }

    /// `A..B` (A ≤ B), e.g. `1..1000`.
    public static func seeds(parsing s: String, option: String = "--seeds") throws(ValueParseError) -> ClosedRange<UInt64> {
        let parts = s.split(separator: ".", omittingEmptySubsequences: true)
        guard s.contains(".."), parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b else {
            throw .seedRange(option: option, text: s)
        }
        return a...b
    }

    /// One seed's run.
    public struct SeedResult: Sendable {
        public let seed: UInt64
        public let options: SimulationOptions
        public let result: SimulationResult
        /// The command that replays this run (`SimulationArguments.replayCommand(seed:)`).
        public let replay: String

        public var passed: Bool { result.passed }
        /// The run as one JSON object (`--format json`).
        public var json: String { result.json(options: options, replay: replay) }
        /// A failed run in the sweep's text: the failures and the replay command; none if it passed.
        public var failureLines: [String] {
            passed ? [] : ["seed \(seed) FAILED: \(result.failures.joined(separator: "; "))", "  replay: \(replay)"]
        }
    }

    /// The line above the results.
    public var heading: String {
        "tcpkit simulate · seeds \(seeds.lowerBound)..\(seeds.upperBound) · faults \(arguments.faults.rawValue)"
    }

    /// Runs every seed in order, calling `each` as each one ends.
    public func run(each: (SeedResult) -> Void = { _ in }) throws(ValueParseError) -> [SeedResult] {
        var results: [SeedResult] = []
        for seed in seeds {
            let o = try arguments.options(seed: seed)
            let r = SeedResult(seed: seed, options: o, result: Simulation.run(o), replay: arguments.replayCommand(seed: seed))
            each(r)
            results.append(r)
        }
        return results
    }

    /// The lines below the results: how many passed and failed, and the failing seeds.
    public static func summary(_ results: [SeedResult]) -> [String] {
        let failed = results.filter { !$0.passed }
        var end = ["\(results.count - failed.count) passed, \(failed.count) failed"]
        if !failed.isEmpty { end.append("failing seeds: \(failed.map { String($0.seed) }.joined(separator: " "))") }
        return end
    }
}

extension Simulation {
    /// Runs `arguments` once for each seed in `seeds` (see `SimulationSweep`); `each` sees each
    /// seed's result as it ends.
    public static func sweep(_ arguments: SimulationArguments, seeds: ClosedRange<UInt64>,
                             each: (SimulationSweep.SeedResult) -> Void = { _ in }) throws(ValueParseError) -> [SimulationSweep.SeedResult] {
        try SimulationSweep(arguments, seeds: seeds).run(each: each)
    }
}
