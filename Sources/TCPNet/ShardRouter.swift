import NIOConcurrencyHelpers
import TCPCore
import TCPWire

/// What the shards of a sharded `NetworkStack` share: a mailbox each, through which a shard hands
/// on the TCP segments it has no connection for.
///
/// Each shard reads its own device queue. A multi-queue TUN device steers a flow to the queue that
/// last sent one of its packets (by flow hash), so a connection's segments arrive at the shard that
/// owns it — unless the kernel's choice changed (its flow entry aged out while we were silent, the
/// queues were reconfigured). A shard that finds no TCB for a segment's four-tuple therefore does
/// not answer it (a RST would kill a connection another shard owns) but hands it round the ring:
/// to the next shard, which takes it if it owns the four-tuple and passes it on otherwise; after
/// every other shard, it comes back to the shard it arrived on, which then handles it as any
/// unknown segment (a listener's SYN cookie check, or the RST of RFC 9293 §3.10.7.1). With two
/// shards that is one hop for a misrouted segment, two for a stray one.
///
/// A SYN (without ACK) that no local TCB claims opens its connection where it arrived, without
/// asking the others: the SYN-ACK leaves through that shard's queue, so the kernel steers the rest
/// of the flow there. Only the rare path (a miss) copies the packet; the hot path is a header peek
/// and one table lookup in the shard's own engine.
final class ShardRouter: Sendable {
    /// A shard's pending hand-offs.
    final class Mailbox: Sendable {
        struct Handed {
            /// Shards still to ask before the packet is back where it arrived (0: handle it here).
            var hopsLeft: Int
            /// False when the TCP checksum is partial (a TUN offload: `PacketOffload`).
            var verifyChecksum: Bool
            var bytes: [UInt8]
        }
        struct State {
            var pending: [Handed] = []
            var bytes = 0
            var open = true
        }
        let state = NIOLockedValueBox(State())
        /// Bound on the bytes waiting (beyond: dropped and counted by the sender).
        static let limitBytes = 4 << 20

        enum PushResult { case queued, queuedWake, dropped }

        func push(_ packet: UnsafeRawBufferPointer, hopsLeft: Int, verifyChecksum: Bool) -> PushResult {
            state.withLockedValue { s in
                guard s.open, s.bytes + packet.count <= Self.limitBytes else { return .dropped }
                let wake = s.pending.isEmpty
                s.pending.append(Handed(hopsLeft: hopsLeft, verifyChecksum: verifyChecksum, bytes: Array(packet)))
                s.bytes += packet.count
                return wake ? .queuedWake : .queued
            }
        }

        func take() -> [Handed] {
            state.withLockedValue { s in
                defer { s.pending = []; s.bytes = 0 }
                return s.pending
            }
        }

        func close() {
            state.withLockedValue { s in
                s.open = false
                s.pending = []
                s.bytes = 0
            }
        }
    }

    struct WeakCore { weak var core: StackCore? }

    let mailboxes: [Mailbox]
    /// The shards, weakly (each core holds the router): set once, right after they are made.
    private let cores = NIOLockedValueBox<[WeakCore]>([])

    init(shards: Int) {
        mailboxes = (0..<shards).map { _ in Mailbox() }
    }

    var shardCount: Int { mailboxes.count }

    func attach(_ shards: [StackCore]) {
        cores.withLockedValue { $0 = shards.map { WeakCore(core: $0) } }
    }

    /// Queues `packet` for shard `target`, waking its loop when its mailbox was empty. False when
    /// it was dropped (mailbox full, or the shard stopped).
    func handOff(_ packet: UnsafeRawBufferPointer, to target: Int, hopsLeft: Int, verifyChecksum: Bool) -> Bool {
        switch mailboxes[target].push(packet, hopsLeft: hopsLeft, verifyChecksum: verifyChecksum) {
        case .dropped: return false
        case .queued: return true
        case .queuedWake:
            guard let core = cores.withLockedValue({ $0.indices.contains(target) ? $0[target].core : nil }) else { return false }
            core.loop.execute { core.assumeIsolated { $0.takeHandedOff() } }
            return true
        }
    }

    /// The next shard in the ring.
    func next(after shard: Int) -> Int { (shard + 1) % mailboxes.count }

    /// The part of `range` shard `index` of `count` draws its ephemeral ports from: the ranges are
    /// disjoint, so two shards never pick the same port (each engine only checks its own TCBs).
    /// Nil when the range has fewer ports than shards.
    static func ephemeralPorts(_ range: ClosedRange<UInt16>, shard index: Int, of count: Int) -> ClosedRange<UInt16>? {
        let size = Int(range.upperBound) - Int(range.lowerBound) + 1
        guard count >= 1, size >= count else { return nil }
        let low = Int(range.lowerBound) + size * index / count
        let high = Int(range.lowerBound) + size * (index + 1) / count - 1
        return UInt16(low)...UInt16(high)
    }
}

/// The four-tuple of a TCP segment in an IP packet, read from the headers alone (no checksum, no
/// options): enough to ask an engine whether the segment is one of its connections'.
struct SegmentFlow {
    /// Our side: the packet's destination.
    var local: TCPWire.SocketAddress
    /// The peer: the packet's source.
    var remote: TCPWire.SocketAddress
    /// SYN set and ACK clear: a connection request.
    var isConnectionRequest: Bool

    static let ipProtocolTCP: UInt8 = 6

    /// Nil when the packet is not a TCP segment with whole IP and TCP fixed headers (the engine's
    /// parser then rejects and counts it).
    init?(_ packet: UnsafeRawBufferPointer) {
        guard packet.count >= 1 else { return nil }
        if ICMPResponder.isError(packet) {
            // An ICMP error belongs to the connection of the segment it quotes (one we sent).
            guard let m = try? ICMPMessage.parse(packet) else { return nil }
            local = m.quotedSource
            remote = m.quotedDestination
            isConnectionRequest = false
            return
        }
        func be16(_ i: Int) -> UInt16 { UInt16(packet[i]) << 8 | UInt16(packet[i + 1]) }
        func be32(_ i: Int) -> UInt32 { UInt32(be16(i)) << 16 | UInt32(be16(i + 2)) }
        func be64(_ i: Int) -> UInt64 { UInt64(be32(i)) << 32 | UInt64(be32(i + 4)) }
        let source: IPAddress, destination: IPAddress, tcp: Int
        switch packet[0] >> 4 {
        case 4:
            guard packet.count >= 20, packet[9] == Self.ipProtocolTCP else { return nil }
            tcp = Int(packet[0] & 0x0F) * 4
            source = .v4(IPv4Address(rawValue: be32(12)))
            destination = .v4(IPv4Address(rawValue: be32(16)))
        case 6:
            // RFC 8200 §4: only a TCP header right after the fixed header (the engine handles no
            // extension headers either).
            guard packet.count >= 40, packet[6] == Self.ipProtocolTCP else { return nil }
            tcp = 40
            source = .v6(IPv6Address(high: be64(8), low: be64(16)))
            destination = .v6(IPv6Address(high: be64(24), low: be64(32)))
        default:
            return nil
        }
        guard tcp >= 20, packet.count >= tcp + 20 else { return nil }
        remote = TCPWire.SocketAddress(source, be16(tcp))
        local = TCPWire.SocketAddress(destination, be16(tcp + 2))
        let flags = packet[tcp + 13]
        isConnectionRequest = flags & 0x02 != 0 && flags & 0x10 == 0   // RFC 9293 §3.1: SYN, ACK bits
    }
}
