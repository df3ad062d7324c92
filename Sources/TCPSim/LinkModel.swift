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

extension Instant {
    /// Later than any time a run reaches (an outage that never ends, unless the network heals).
    public static let forever = Instant(nanoseconds: .max)
}

/// The state of one direction of a link: when the bottleneck is free again, and what waits in
/// its queue (departure time and size of each packet, oldest first).
struct LinkState {
    var model: LinkModel
    var busyUntil: Instant = .zero
    var queued = RingBuffer<(departs: Instant, bytes: Int)>()
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

    /// Puts a packet on the bottleneck; returns when its last bit has left.
    mutating func serialize(_ size: Int, now: Instant) -> Instant {
        guard let rate = model.bandwidthBitsPerSecond, rate > 0 else { return now }
        let start = max(now, busyUntil)
        let ns = Int64((Double(size * 8) / rate * 1e9).rounded(.up))
        busyUntil = start + .nanoseconds(ns)
        if model.queue != nil {
            queued.append((busyUntil, size))
            queuedBytes += size
        }
        return busyUntil
    }
}

/// What one direction of a link did, counted.
public struct LinkCounters: Sendable, Hashable {
    public var packets = 0
    public var bytes = 0
    public var lost = 0
    public var queueDrops = 0
    public var blackholed = 0
    public var duplicated = 0
    public var reordered = 0
    public var corrupted = 0
    /// Packets dropped by the scripted fault rule.
    public var scriptedDrops = 0

    public static func + (a: Self, b: Self) -> Self {
        var r = a
        r.packets += b.packets; r.bytes += b.bytes; r.lost += b.lost; r.queueDrops += b.queueDrops
        r.blackholed += b.blackholed; r.duplicated += b.duplicated; r.reordered += b.reordered
        r.corrupted += b.corrupted; r.scriptedDrops += b.scriptedDrops
        return r
    }
}

/// A growable ring, first in first out, without per-element allocation once grown.
struct RingBuffer<Element> {
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var first: Element? { count == 0 ? nil : storage[head] }

    mutating func append(_ e: Element) {
        if count == storage.count {
            var grown = [Element?](repeating: nil, count: max(16, storage.count * 2))
            for k in 0..<count { grown[k] = storage[(head + k) % storage.count] }
            storage = grown
            head = 0
        }
        storage[(head + count) % storage.count] = e
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let e = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return e
    }
}

/// A binary min-heap ordered by `less`; ties are the caller's business (give each element a
/// sequence number to make it stable).
struct Heap<Element> {
    private(set) var items: [Element] = []
    let less: (Element, Element) -> Bool

    init(less: @escaping (Element, Element) -> Bool) { self.less = less }

    var first: Element? { items.first }
    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard less(items[i], items[p]) else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, less(items[l], items[m]) { m = l }
            if r < items.count, less(items[r], items[m]) { m = r }
            guard m != i else { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
