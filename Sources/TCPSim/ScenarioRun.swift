import TCPTrace

/// The outcome of a scenario run.
public struct ScenarioRun {
    public var name: String
    public var network: SimulatedNetwork
    /// The explanation in English and in Chinese (Simplified).
    public var explanations: Explanation
    /// Lines printed after the explanation (the bulk transfer's round trips and statistics).
    public var report: Explanation? = nil
    /// The round trips of the client's data (the bulk scenario), from which its text ladder is
    /// condensed to one line per round trip.
    public var rounds: [RoundTrip]? = nil
    /// The options it ran with (`Scenario.run` sets them).
    public var options = ScenarioOptions()
    /// The command that replays this run exactly.
    public var replay: String { replayCommand(options) }
    public var explanation: [String] { explanations.en }
    public var explanationZh: [String] { explanations.zh }
    public var timeline: Timeline { network.timeline }
}
