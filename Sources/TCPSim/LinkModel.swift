import TCPCore

/// What one direction of a simulated link does to the packets that cross it: a one-way delay with
/// jitter, a bottleneck of some bandwidth with a drop-tail queue in front of it, and random faults
/// (loss, duplication, reordering, bit corruption) active in a window of time, plus outages
/// (blackholes) between given times. A `SimulatedNetwork` has one model per direction, so every
/// fault is per direction: a partition is an outage in both.
///
/// Every random decision is drawn from the network's one seeded generator, so a seed replays the
/// same run. Random faults apply to packets sent in [`faultsStart`, `faultsEnd`); `healed(at:)`
/// ends every fault, outages included (the liveness phase begins); delay, jitter, bandwidth and
/// queue stay.
public struct LinkModel: Sendable, Hashable {
    /// Propagation delay, one way.
    public var delay: Duration
    /// Each packet waits a further uniformly random 0...jitter (whole nanoseconds, both ends
    /// included), so its one-way delay lies in [delay, delay + jitter] plus its time on the
    /// bottleneck. Packets may overtake each other when the jitter exceeds the gap between their
    /// sending times, never when the gap is larger (as with netem). `LinkModelTests.jitter`.
    public var jitter: Duration = .zero
    /// Bottleneck rate in bits per second (nil: infinitely fast). A packet occupies the link for
    /// its size × 8 / rate; packets wait their turn in the queue.
    public var bandwidthBitsPerSecond: Double? = nil
    /// Drop-tail queue limit in front of the bottleneck (nil: unbounded).
    public var queue: QueueLimit? = nil
    /// Probability that a packet is lost.
    public var loss: Double = 0
    /// Probability that a packet is delivered twice; the copy arrives `duplicateDelay` later
    /// (zero: right behind the original).
    public var duplicate: Double = 0
    public var duplicateDelay: Duration = .zero
    /// Probability that a packet is held back `reorderDelay` (default: one delay more) so that
    /// later packets overtake it.
    public var reorder: Double = 0
    public var reorderDelay: Duration? = nil
    /// Probability that one bit of a packet's TCP header or payload is flipped on the way. The
    /// Internet checksum catches every single-bit error (RFC 1071), so the receiver must drop it
    /// as `bad-checksum`.
    public var corrupt: Double = 0
    /// Times during which everything sent into this direction disappears.
    public var outages: [Outage] = []
    /// Random faults (loss, duplication, reordering, corruption) apply only to packets sent at or
    /// after `faultsStart` (nil: from the start) and before `faultsEnd` (nil: for ever).
    /// Outages have their own times.
    public var faultsStart: Instant? = nil
    public var faultsEnd: Instant? = nil
    /// The path MTU: an IP packet larger than this many bytes that may not be fragmented (IPv4
    /// with DF, which TCPKit sets on every segment; every IPv6 packet, RFC 8200 §5) is dropped at
    /// the link (nil: no limit). With `sendsPacketTooBig` the router answers it with ICMP
    /// Fragmentation Needed / ICMPv6 Packet Too Big carrying this MTU (RFC 1191, RFC 8201);
    /// without, the path is a black hole for large packets (RFC 2923 §2.1) and only
    /// packetization-layer PMTUD (RFC 4821) gets through.
    public var pathMTU: Int? = nil
    public var sendsPacketTooBig = true
    /// An ECN-capable queue (RFC 3168 §5, as a step-marking AQM): a packet that arrives while at
    /// least this much waits in front of the bottleneck is marked CE instead of dropped, if it is
    /// ECN-capable (ECT(0) or ECT(1)); others pass on to the drop-tail limit as before. nil: no
    /// marking. (SimulatedNetwork+ECN.swift)
    public var ecnMarkThreshold: QueueLimit? = nil

    /// Whether the random faults apply to a packet sent at `t`.
    public func randomFaultsActive(at t: Instant) -> Bool {
        hasRandomFaults && (faultsStart.map { t >= $0 } ?? true) && (faultsEnd.map { t < $0 } ?? true)
    }

    /// The model with every fault over by `t`: random faults end at `t` at the latest, an outage
    /// that starts at or after `t` is gone and one that lasts past it ends at `t`. (The network
    /// heals: TigerBeetle's liveness phase.)
    public func healed(at t: Instant) -> LinkModel {
        var m = self
        m.faultsEnd = min(faultsEnd ?? t, t)
        m.outages = outages.compactMap { o in
            o.start < t ? Outage(start: o.start, end: min(o.end, t)) : nil
        }
        return m
    }

    public enum QueueLimit: Sendable, Hashable, CustomStringConvertible {
        case bytes(Int)
        case packets(Int)
        public var description: String {
            switch self {
            case .bytes(let n): "\(n) bytes"
            case .packets(let n): "\(n) packets"
            }
        }
    }

    /// A blackhole from `start` until `end` (a partition is one in each direction); `end` may be
    /// `Instant.forever`.
    public struct Outage: Sendable, Hashable {
        public var start: Instant
        public var end: Instant
        public init(start: Instant, end: Instant) {
            self.start = start
            self.end = end
        }
        public func contains(_ t: Instant) -> Bool { start <= t && t < end }
    }

    public init(delay: Duration = .milliseconds(10)) { self.delay = delay }

    /// True when the model can lose, duplicate, reorder or corrupt anything.
    public var hasRandomFaults: Bool { loss > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 }
}
