import Dispatch
import NIOConcurrencyHelpers
import TCPWire

/// Two `PacketDevice`s wired to each other: what one sends, the other receives. Delivery is
/// asynchronous (a serial dispatch queue per direction, in order) and may lose packets: each
/// direction drops a packet with probability `loss`, decided by its own generator seeded from
/// `seed`, so a run's losses depend only on the seed and the order of the packets sent.
///
/// For tests and examples: two `NetworkStack`s on a pair talk TCP without a kernel.
public struct InMemoryDevicePair: Sendable {
    public let a: InMemoryDevice
    public let b: InMemoryDevice

    /// - Parameters:
    ///   - loss: probability (0...1) that a packet is lost, in each direction.
    ///   - seed: seeds the loss decisions (direction a→b uses `seed`, b→a a value derived from it).
    ///   - queueLimit: packets in flight per direction; a send beyond it is dropped and counted, as
    ///     a full device would.
    public init(loss: Double = 0, seed: UInt64 = 1, queueLimit: Int = 16384) {
        let toA = InMemoryDevice.Endpoint(label: "tcpkit.memory.b-to-a", loss: loss, seed: seed ^ 0x9E37_79B9_7F4A_7C15, queueLimit: queueLimit)
        let toB = InMemoryDevice.Endpoint(label: "tcpkit.memory.a-to-b", loss: loss, seed: seed, queueLimit: queueLimit)
        a = InMemoryDevice(inbound: toA, outbound: toB)
        b = InMemoryDevice(inbound: toB, outbound: toA)
    }
}

/// One end of an `InMemoryDevicePair`.
public final class InMemoryDevice: PacketDevice {
    /// Counts for the packets this device sent.
    public struct Statistics: Sendable, Hashable {
        /// Packets handed to `send`.
        public var sent = 0
        /// Packets dropped by the loss generator.
        public var lost = 0
        /// Packets dropped because `queueLimit` packets were already in flight.
        public var overflowed = 0
        /// Packets handed to the other end's receiver.
        public var delivered = 0
        /// Packets that arrived while the other end was not started (or already stopped).
        public var undeliverable = 0
    }

    /// One direction of the pair: the queue that carries packets to a device and its receiver.
    final class Endpoint: Sendable {
        struct State {
            var receive: (@Sendable (UnsafeRawBufferPointer) -> Void)?
            var random: SplitMix64
            var loss: Double
            var inFlight = 0
            var statistics = Statistics()
        }
        let queue: DispatchQueue
        let state: NIOLockedValueBox<State>
        let queueLimit: Int

        init(label: String, loss: Double, seed: UInt64, queueLimit: Int) {
            queue = DispatchQueue(label: label)
            state = NIOLockedValueBox(State(random: SplitMix64(seed: seed), loss: min(max(loss, 0), 1)))
            self.queueLimit = queueLimit
        }

        func carry(_ packet: UnsafeRawBufferPointer) {
            let accepted: Bool = state.withLockedValue { s in
                s.statistics.sent += 1
                if s.loss > 0 && s.random.unitInterval() < s.loss {
                    s.statistics.lost += 1
                    return false
                }
                guard s.inFlight < queueLimit else {
                    s.statistics.overflowed += 1
                    return false
                }
                s.inFlight += 1
                return true
            }
            guard accepted else { return }
            let bytes = Array(packet)
            queue.async {
                let receive = self.state.withLockedValue { s in
                    s.inFlight -= 1
                    if s.receive == nil { s.statistics.undeliverable += 1 } else { s.statistics.delivered += 1 }
                    return s.receive
                }
                bytes.withUnsafeBytes { receive?($0) }
            }
        }
    }

    let inbound: Endpoint
    let outbound: Endpoint

    init(inbound: Endpoint, outbound: Endpoint) {
        self.inbound = inbound
        self.outbound = outbound
    }

    public func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {
        inbound.state.withLockedValue { $0.receive = receive }
    }

    public func send(_ packet: UnsafeRawBufferPointer) {
        outbound.carry(packet)
    }

    /// Stops delivery to this device. Packets already queued for it are counted as undeliverable.
    public func stop() {
        inbound.state.withLockedValue { $0.receive = nil }
    }

    /// Changes the loss probability of the packets this device sends from now on (1 cuts the
    /// link in this direction; 0 heals it).
    public func setLoss(_ loss: Double) {
        outbound.state.withLockedValue { $0.loss = min(max(loss, 0), 1) }
    }

    /// Counts for the packets this device sent (loss, overflow, delivery).
    public var statistics: Statistics {
        outbound.state.withLockedValue { $0.statistics }
    }
}
