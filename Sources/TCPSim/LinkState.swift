@_spi(Containers) import TCPCore

/// The state of one direction of a link: when the bottleneck is free again, and what waits in
/// its queue (departure time and size of each packet, oldest first).
struct LinkState {
    var model: LinkModel
    var busyUntil: Instant = .zero
    var queued = RingQueue<(departs: Instant, bytes: Int)>()
    var queuedBytes = 0
    var counters = LinkCounters()

    init(model: LinkModel) { self.model = model }

    /// Forgets the packets that have left the queue by `now`.
    mutating func drain(_ now: Instant) {
        while let f = queued.first, f.departs <= now {
            queuedBytes -= f.bytes
            _ = queued.popFirst()
        }
    }

    /// Whether the queue takes a packet of `size` bytes now (drop-tail).
    mutating func admits(_ size: Int, now: Instant) -> Bool {
        drain(now)
        switch model.queue {
        case nil: return true
        case .bytes(let limit): return queued.isEmpty || queuedBytes + size <= limit
        case .packets(let limit): return queued.count < limit
        }
    }

    /// Whether the queue holds at least `threshold` now (call after `admits`, which drains it).
    func holds(atLeast threshold: LinkModel.QueueLimit) -> Bool {
        switch threshold {
        case .bytes(let n): return queuedBytes >= n
        case .packets(let n): return queued.count >= n
        }
    }

    /// Puts a packet on the bottleneck; returns when its last bit has left.
    mutating func serialize(_ size: Int, now: Instant) -> Instant {
        guard let rate = model.bandwidthBitsPerSecond, rate > 0 else { return now }
        let start = max(now, busyUntil)
        let ns = Int64((Double(size * 8) / rate * 1e9).rounded(.up))
        busyUntil = start + .nanoseconds(ns)
        if model.queue != nil || model.ecnMarkThreshold != nil {
            queued.append((busyUntil, size))
            queuedBytes += size
        }
        return busyUntil
    }
}
