import TCPCore
import TCPTrace
import TCPWire

/// A bulk transfer between two hosts over a simulated link (`tcpkit simulate`): the client
/// connects to the server and sends `bytes`; with `both`, the server sends `bytes` back at the
/// same time. Each side shuts down its sending side when it has written everything and closes once
/// the peer's FIN is in, so a good run ends with both sides CLOSED and both stacks empty.
///
/// The data is a pseudo-random stream drawn from the seed. The receiver compares every byte it
/// reads with the stream it expects and hashes what it read; the sender hashes what it wrote
/// (SHA-256): `intact` means every byte arrived once, in order, and the digests match.
///
/// Two phases (after TigerBeetle's simulator): a safety phase in which the link's faults are on,
/// until `healAt`, and a liveness phase in which the network is healed and every connection must
/// finish, or fail with a clear error, before `healAt + livenessBound`.
public struct SimulationOptions: Sendable {
    public var seed: UInt64 = 1
    /// Bytes to send in each direction that carries data.
    public var bytes: Int = 1 << 20
    /// Send in both directions at once.
    public var both = false
    /// The link client → server (data) and server → client (ACKs, and data with `both`).
    public var forward = LinkModel(delay: .milliseconds(25))
    public var reverse = LinkModel(delay: .milliseconds(25))
    /// When every fault stops, random ones, blackholes and partitions (nil: never): the safety
    /// phase ends and the liveness phase begins (`LinkModel.healed(at:)`).
    public var healAt: Instant? = nil
    /// How long after `healAt` (or after the start) everything must be over, TIME-WAIT included.
    public var livenessBound: Duration = .seconds(600)
    /// Both hosts' stack configuration (buffers, congestion control...).
    public var configuration = TCPConfiguration()
    public var ipv6 = false
    /// Keep the timeline (for pictures; costs memory on long runs).
    public var recording = false
    /// When to snapshot both connections' statistics (`TCPInfo`: cwnd, RTT, bytes in flight...)
    /// into `SimulationResult.samples` and the timeline's samples (the plots of `--format html`).
    /// The one sampler of the simulator, `SimulatedNetwork.sampling`; it works without
    /// `recording` too.
    public var sampling: SimulatedNetwork.Sampling = .off
    /// Scripted faults on top of the link model.
    public var faultRule: (@Sendable (WirePacket) -> Fault)? = nil

    public init() {}

    /// Both directions' link.
    public var link: LinkModel {
        get { forward }
        set { forward = newValue; reverse = newValue }
    }
}
