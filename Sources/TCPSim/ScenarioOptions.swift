import TCPCore

/// Knobs every scenario takes.
public struct ScenarioOptions: Sendable {
    public var seed: UInt64 = 1
    public var delay: Duration = .milliseconds(10)
    public var ipv6 = false
    public var msl: Duration = .seconds(30)
    /// When the simulator snapshots connection statistics (the plots of `--format html`).
    public var sampling: SimulatedNetwork.Sampling = .eachInstant
    /// `bulk`: bytes to move and the link's loss probability (each way).
    public var bytes: Int = 300_000
    public var loss: Double = 0.02
    /// `bulk`: the receiver's quick-ACK mode at the start of the transfer (Linux's, see
    /// `TCPConfiguration.quickACKSegments`); off, it ACKs every second full segment from the
    /// first one on (RFC 5681 §4.2 alone).
    public var quickACK = true
    public init() {}
}
