import Dispatch
import NIOConcurrencyHelpers
import TCPNet

/// An in-memory stand-in for a multi-queue TUN interface: `peer` is the kernel's side (one
/// device), `queues` the interface's queues (one device per shard). Like Linux's tun automatic
/// queue selection, a packet from the peer goes to the queue that last sent a packet of its flow
/// (the flow key is symmetric: both directions of a four-tuple), else to one picked by a hash of
/// the flow. `steer` overrides the choice (a test's way to make the kernel's steering change).
/// Delivery is asynchronous and in order, on one serial queue.
struct MultiQueueLink: Sendable {
    let switchboard: Switchboard
    let peer: Device
    let queues: [Device]

    init(queues count: Int) {
        let board = Switchboard(queues: count)
        switchboard = board
        peer = Device(switchboard: board, queue: nil)
        queues = (0..<count).map { Device(switchboard: board, queue: $0) }
    }

    /// From now on, a packet from the peer goes to the queue `rule` names for its flow (nil: the
    /// flow table, then the hash, as before).
    func steer(_ rule: (@Sendable (_ flowKey: [UInt8]) -> Int?)?) {
        switchboard.state.withLockedValue { $0.steer = rule }
    }

    /// Delivers `packet` to queue `queue` as though the peer had sent it there.
    func inject(_ packet: [UInt8], toQueue queue: Int) {
        let receiver = switchboard.state.withLockedValue { $0.queueReceivers[queue] }
        switchboard.delivery.async { packet.withUnsafeBytes { receiver?($0) } }
    }

    /// Packets from the peer delivered to each queue so far.
    var deliveredToQueues: [Int] { switchboard.state.withLockedValue { $0.deliveredToQueue } }
    /// Which queues have been stopped.
    var queuesStopped: [Bool] { switchboard.state.withLockedValue { $0.queuesStopped } }

    final class Device: PacketDevice {
        let switchboard: Switchboard
        /// nil: the peer; else the queue's index.
        let queue: Int?
        init(switchboard: Switchboard, queue: Int?) { self.switchboard = switchboard; self.queue = queue }
        func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {
            switchboard.state.withLockedValue { s in
                if let queue { s.queueReceivers[queue] = receive } else { s.peerReceiver = receive }
            }
        }
        func send(_ packet: UnsafeRawBufferPointer) { switchboard.carry(Array(packet), from: queue) }
        func stop() {
            switchboard.state.withLockedValue { s in
                if let queue { s.queueReceivers[queue] = nil; s.queuesStopped[queue] = true } else { s.peerReceiver = nil }
            }
        }
    }

    final class Switchboard: Sendable {
        struct State {
            var peerReceiver: (@Sendable (UnsafeRawBufferPointer) -> Void)?
            var queueReceivers: [(@Sendable (UnsafeRawBufferPointer) -> Void)?]
            var queuesStopped: [Bool]
            /// Flow key → the queue that last sent a packet of it.
            var flows: [[UInt8]: Int] = [:]
            var deliveredToQueue: [Int]
            var steer: (@Sendable ([UInt8]) -> Int?)?
        }
        let state: NIOLockedValueBox<State>
        let delivery = DispatchQueue(label: "tcpkit.test.multiqueue")
        let count: Int

        init(queues count: Int) {
            self.count = count
            state = NIOLockedValueBox(State(queueReceivers: Array(repeating: nil, count: count),
                                            queuesStopped: Array(repeating: false, count: count),
                                            deliveredToQueue: Array(repeating: 0, count: count)))
        }

        func carry(_ packet: [UInt8], from queue: Int?) {
            let key = Self.flowKey(packet)
            delivery.async { [self] in
                let receiver: (@Sendable (UnsafeRawBufferPointer) -> Void)? = state.withLockedValue { s in
                    if let queue {
                        if let key { s.flows[key] = queue }
                        return s.peerReceiver
                    }
                    let target = key.flatMap { k in s.steer?(k) ?? s.flows[k] } ?? Self.hash(key) % count
                    s.deliveredToQueue[target] += 1
                    return s.queueReceivers[target]
                }
                packet.withUnsafeBytes { receiver?($0) }
            }
        }

        /// The two (address, port) ends of a TCP packet's flow, in a fixed order (symmetric).
        static func flowKey(_ p: [UInt8]) -> [UInt8]? {
            guard let first = p.first else { return nil }
            let a: [UInt8], b: [UInt8]
            switch first >> 4 {
            case 4:
                guard p.count >= 40, p[9] == 6 else { return nil }
                let t = Int(first & 0x0F) * 4
                guard p.count >= t + 4 else { return nil }
                a = Array(p[12..<16]) + Array(p[t..<(t + 2)])
                b = Array(p[16..<20]) + Array(p[(t + 2)..<(t + 4)])
            case 6:
                guard p.count >= 44, p[6] == 6 else { return nil }
                a = Array(p[8..<24]) + Array(p[40..<42])
                b = Array(p[24..<40]) + Array(p[42..<44])
            default:
                return nil
            }
            return a.lexicographicallyPrecedes(b) ? a + b : b + a
        }

        /// FNV-1a of the flow key: fixed, so a seeded test steers the same way every run.
        static func hash(_ key: [UInt8]?) -> Int {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in key ?? [] { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return Int(h >> 33)
        }
    }
}
