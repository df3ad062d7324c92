import TCPCore
import TCPWire

/// What happened in a run, host by host, in time order: the model every picture is drawn from.
/// Drivers (the simulator, later the TUN driver) fill it from the engine's trace records and from
/// what they saw on the wire.
public struct Timeline: Sendable {
    public struct Entry: Sendable, Hashable {
        public var time: Instant
        /// Name of the host the entry belongs to (`client`, `server`...).
        public var host: String
        public var kind: Kind
        public init(time: Instant, host: String, kind: Kind) {
            self.time = time
            self.host = host
            self.kind = kind
        }
    }

    public enum Kind: Sendable, Hashable {
        /// A state change of one of the host's connections.
        case state(from: TCPState, to: TCPState)
        /// The host put a segment on the wire; `packet` links it to its delivery or loss.
        case send(packet: Int, SegmentSummary, fate: Fate)
        /// The host received a segment.
        case receive(packet: Int, SegmentSummary)
        /// The host's stack did not use a segment (or part of it).
        case drop(DropReason, SegmentSummary?)
        /// A timer of the host's stack fired.
        case timer(TimerKind)
        /// Something the application did or the scenario wants to point out.
        case note(String)
        /// A snapshot of a connection's statistics (when it closed, or sampled by the driver), and
        /// which of the host's connections it is (nil when the driver does not know).
        indirect case info(TCPInfo, connection: ConnectionID?)
    }

    /// What became of a packet on the wire.
    public enum Fate: Sendable, Hashable {
        case delivered(at: Instant)
        case lost(reason: String)
        /// Still in flight when the run ended.
        case inFlight
    }

    /// Hosts left to right.
    public var hosts: [String]
    /// What to print under each host's name (its address, say).
    public var labels: [String: String] = [:]
    public var entries: [Entry] = []
    /// Periodic snapshots of each connection's statistics (cwnd, RTT, bytes in flight), in time
    /// order, for the plots of `--format html`; empty unless the driver samples.
    public var samples: [StatisticsSample] = []
    /// Packet numbers of the copies the network made of a packet (duplication): its sender sent
    /// it once, so a copy is not a retransmission.
    public var networkCopies: Set<Int> = []

    public init(hosts: [String], labels: [String: String] = [:]) {
        self.hosts = hosts
        self.labels = labels
    }

    public mutating func append(_ e: Entry) { entries.append(e) }

    /// Entries sorted by time; equal times keep their recording order.
    public var sorted: [Entry] {
        entries.enumerated().sorted { a, b in
            a.element.time == b.element.time ? a.offset < b.offset : a.element.time < b.element.time
        }.map(\.element)
    }
}
