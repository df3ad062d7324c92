import Synchronization
import TCPWire

/// Wraps a device and damages its traffic on purpose, both ways: packets the stack sends
/// (`send`) and packets it receives (the `receive` closure) are each, independently, lost,
/// duplicated or held back so that the next packet overtakes them.
///
/// One 64-bit seed decides every fault: each direction draws from its own generator seeded from
/// it, so the same seed and the same sequence of packets in a direction give the same faults.
/// (Over a real network the sequence itself depends on timing, so a run is repeatable only as
/// far as the packets are.)
///
/// Per packet, in this order: lost with probability `loss`; otherwise held back with probability
/// `reorder` — a held packet goes out right after the next packet of its direction, or when the
/// device stops, and only one is held at a time (a packet drawn for holding while one is held
/// goes through) — otherwise delivered, and then delivered a second time with probability
/// `duplicate`. The held packet is copied into a buffer allocated once per direction, so faults
/// allocate nothing per packet.
public final class FaultyDevice: PacketDevice, Sendable {
    public struct Faults: Sendable, Hashable {
        /// Probabilities in 0...1.
        public var loss: Double, reorder: Double, duplicate: Double
        public init(loss: Double = 0, reorder: Double = 0, duplicate: Double = 0) {
            self.loss = loss
            self.reorder = reorder
            self.duplicate = duplicate
        }
        public var isNone: Bool { loss == 0 && reorder == 0 && duplicate == 0 }
    }

    /// What the faults did in one direction.
    public struct Counters: Sendable, Hashable {
        public var packets = 0, lost = 0, reordered = 0, duplicated = 0
        public init(packets: Int = 0, lost: Int = 0, reordered: Int = 0, duplicated: Int = 0) {
            self.packets = packets
            self.lost = lost
            self.reordered = reordered
            self.duplicated = duplicated
        }
    }

    public let inner: any PacketDevice
    /// Faults on packets the stack sends (towards the inner device).
    public let outbound: Faults
    /// Faults on packets the inner device delivers to the stack.
    public let inbound: Faults
    public let seed: UInt64
    private let sendSide: Side
    private let receiveSide: Side

    public init(wrapping inner: any PacketDevice, outbound: Faults, inbound: Faults, seed: UInt64) {
        self.inner = inner
        self.outbound = outbound
        self.inbound = inbound
        self.seed = seed
        sendSide = Side(Direction(faults: outbound, seed: seed ^ 0x6F75_7462_6F75_6E64))   // "outbound"
        receiveSide = Side(Direction(faults: inbound, seed: seed ^ 0x0069_6E62_6F75_6E64)) // "inbound"
    }

    /// The same faults both ways.
    public convenience init(wrapping inner: any PacketDevice, faults: Faults, seed: UInt64) {
        self.init(wrapping: inner, outbound: faults, inbound: faults, seed: seed)
    }

    public var sentCounters: Counters { sendSide.withLock { $0.counters } }
    public var receivedCounters: Counters { receiveSide.withLock { $0.counters } }

    /// One direction's state behind its lock. (A class around a `Mutex<Void>` rather than a
    /// `Mutex<Direction>`: the state takes in non-Sendable packet pointers, which region-based
    /// isolation checking does not let into a `Mutex`'s `inout sending` value.)
    private final class Side: @unchecked Sendable {
        private let lock = Mutex(())
        private var direction: Direction
        init(_ d: consuming Direction) { direction = d }
        deinit { direction.deallocate() }
        func withLock<R>(_ body: (inout Direction) -> R) -> R {
            lock.withLock { _ in body(&direction) }
        }
    }

    public func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {
        try inner.start { [receiveSide] packet in
            receiveSide.withLock { $0.pass(packet, to: receive) }
        }
    }

    public func send(_ packet: UnsafeRawBufferPointer) {
        let inner = self.inner
        sendSide.withLock { $0.pass(packet) { inner.send($0) } }
    }

    /// Stops the inner device, then lets a held packet through in each direction.
    public func stop() {
        inner.stop()
        let inner = self.inner
        sendSide.withLock { $0.flush { inner.send($0) } }
        // The receive side's held packet is dropped: after stop() the stack is not called again.
        receiveSide.withLock { $0.discardHeld() }
    }

    /// One direction: its generator, its held packet and its counters. Used only under its mutex.
    struct Direction: ~Copyable {
        let faults: Faults
        var random: SplitMix64
        var counters = Counters()
        let held: UnsafeMutableRawBufferPointer
        var heldCount = 0

        init(faults: Faults, seed: UInt64) {
            self.faults = faults
            random = SplitMix64(seed: seed)
            held = faults.reorder > 0 ? .allocate(byteCount: 65535, alignment: 16) : UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }

        func deallocate() { if held.baseAddress != nil { held.deallocate() } }

        mutating func pass(_ packet: UnsafeRawBufferPointer, to deliver: (UnsafeRawBufferPointer) -> Void) {
            counters.packets += 1
            if faults.isNone { return deliver(packet) }
            if random.chance(faults.loss) {
                counters.lost += 1
                return
            }
            if random.chance(faults.reorder), heldCount == 0, packet.count <= held.count {
                counters.reordered += 1
                held.copyMemory(from: packet)
                heldCount = packet.count
                return
            }
            deliver(packet)
            if random.chance(faults.duplicate) {
                counters.duplicated += 1
                deliver(packet)
            }
            flush(deliver)
        }

        mutating func flush(_ deliver: (UnsafeRawBufferPointer) -> Void) {
            guard heldCount > 0 else { return }
            let n = heldCount
            heldCount = 0
            deliver(UnsafeRawBufferPointer(rebasing: held[..<n]))
        }

        mutating func discardHeld() { heldCount = 0 }
    }
}

extension SplitMix64 {
    /// True with probability `p` (never for p ≤ 0, always for p ≥ 1).
    mutating func chance(_ p: Double) -> Bool {
        guard p > 0 else { return false }
        guard p < 1 else { return true }
        return unitInterval() < p
    }
}
