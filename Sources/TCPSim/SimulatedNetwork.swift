import TCPCore
import TCPTrace
import TCPWire

/// SplitMix64: the simulator's own generator. One 64-bit seed decides every random choice of a run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a fault rule does to a packet.
public enum Fault: Sendable, Equatable {
    /// Deliver after the link's delay.
    case deliver
    /// Lose it; the reason is shown in the pictures.
    case drop(String)
    /// Deliver after the link's delay plus this much.
    case delay(Duration)
}

/// A packet on the simulated wire, as fault rules see it.
public struct WirePacket: Sendable {
    /// Sending and receiving host names.
    public var from: String
    public var to: String
    /// 1 for the first packet from `from` to `to`, 2 for the second, ...
    public var ordinal: Int
    public var segment: SegmentSummary
    public var sentAt: Instant
}

/// A deterministic network of hosts running TCPStacks, joined by links with a fixed one-way
/// delay, on a virtual clock that jumps to the next thing that happens. The application side of
/// each host is the `onEvent` callback and scheduled actions. Everything is recorded in a
/// `Timeline` for the pictures.
public final class SimulatedNetwork {
    /// A host: a name, an address and a stack. A class, so that application code running inside
    /// `withStack` on one host may still look at the network and the other hosts.
    public final class Host {
        public let name: String
        public let address: IPAddress
        public var stack: TCPStack
        init(name: String, address: IPAddress, stack: TCPStack) {
            self.name = name
            self.address = address
            self.stack = stack
        }
    }

    struct InFlight {
        var deliverAt: Instant
        var order: Int
        var to: Int
        var packetID: Int
        var bytes: [UInt8]
    }

    public private(set) var now: Instant = .zero
    public private(set) var hosts: [Host] = []
    public let seed: UInt64
    /// One-way delay of every link, both directions.
    public var delay: Duration
    /// Decides the fate of each packet.
    public var faultRule: ((WirePacket) -> Fault)?
    /// The application: called for each event of each host's stack.
    public var onEvent: ((SimulatedNetwork, String, TCPEvent) -> Void)?
    public private(set) var timeline: Timeline
    /// Every packet as its sender put it on the wire, in time order: what a capture at each
    /// sender's interface would see (`--pcap`). Lost packets are here too, marked `lost` (they
    /// left the sender; the link lost them), as are packets with no route.
    public private(set) var wire: [WireRecord] = []
    /// When to snapshot each connection's statistics into `timeline.samples` (the plots of
    /// `--format html`).
    public var sampling: Sampling = .off
    /// Payload bytes that reached a host (retransmitted copies count again): what a progress
    /// display shows as moved.
    public private(set) var payloadBytesDelivered = 0
    /// Called once per turn of `run`'s loop, after the turn's work (a progress display hooks here).
    public var onTurn: ((SimulatedNetwork) -> Void)?

    /// One packet on the wire, bytes and all.
    public struct WireRecord: Sendable {
        /// When it was sent.
        public var time: Instant
        /// The sending host.
        public var from: String
        /// The timeline's packet number (`send(packet:)`).
        public var packet: Int
        /// The IPv4 or IPv6 packet.
        public var bytes: [UInt8]
        /// The link lost it (or there was no route): it never arrived.
        public var lost: Bool
    }

    private var random: SeededRandom
    private var inFlight: [InFlight] = []
    private var actions: [(time: Instant, order: Int, action: (SimulatedNetwork) -> Void)] = []
    private var order = 0
    private var packetCount = 0
    private var ordinals: [String: Int] = [:]
    /// Connections each host opened from a listener (they left LISTEN for SYN-RECEIVED).
    private var passive: [String: Set<ConnectionID>] = [:]
    /// Connections each host's trace has mentioned and that may still exist (for sampling).
    private var sampled: [String: [ConnectionID]] = [:]
    private var lastSampleTime: Instant?

    public init(seed: UInt64, delay: Duration = .milliseconds(10)) {
        self.seed = seed
        self.delay = delay
        random = SeededRandom(seed: seed)
        timeline = Timeline(hosts: [])
    }

    /// Adds a host with its own stack; the stack's randomness comes from the network's seed.
    public func addHost(_ name: String, address: IPAddress, configuration: TCPConfiguration = TCPConfiguration()) {
        var config = configuration
        config.trace = true
        var r = SeededRandom(seed: random.next())
        hosts.append(Host(name: name, address: address, stack: TCPStack(addresses: [address], configuration: config, random: &r)))
        timeline.hosts.append(name)
        timeline.labels[name] = address.description
    }

    /// Sets what the pictures print under a host's name.
    public func label(_ host: String, _ text: String) { timeline.labels[host] = text }

    func hostIndex(_ name: String) -> Int {
        guard let i = hosts.firstIndex(where: { $0.name == name }) else { preconditionFailure("no host named \(name)") }
        return i
    }

    public func address(of host: String) -> IPAddress { hosts[hostIndex(host)].address }

    /// Runs `body` on a host's stack (an application call), then records what it traced.
    @discardableResult
    public func withStack<R>(_ host: String, _ body: (inout TCPStack, Instant) throws -> R) rethrows -> R {
        let i = hostIndex(host)
        let h = hosts[i]
        let r = try body(&h.stack, now)
        collectTrace(i)
        return r
    }

    /// Listens on a host and shows it in the timeline as CLOSED → LISTEN.
    public func listen(_ host: String, port: UInt16, backlog: Int = 128) throws(TCPError) -> ListenerID {
        let h = hosts[hostIndex(host)]
        let l = try h.stack.listen(port: port, backlog: backlog)
        timeline.append(.init(time: now, host: host, kind: .state(from: .closed, to: .listen)))
        return l
    }

    /// Adds a note to the timeline.
    public func note(_ host: String, _ text: String) {
        timeline.append(.init(time: now, host: host, kind: .note(text)))
    }

    /// Puts a hand-made segment on the wire as if `from` had sent it (a stale duplicate, an
    /// attacker's guess...). It goes through the fault rule and the link like any other packet.
    public func inject(from host: String, _ header: TCPHeader, to destination: IPAddress, payload: [UInt8] = [], note text: String? = nil) {
        let i = hostIndex(host)
        if let text { note(host, text) }
        let bytes = try! TCPPacket.build(source: hosts[i].address, destination: destination, header: header, payload: payload)
        transmit(from: i, bytes)
    }

    /// Runs `action` at virtual time `time`.
    public func schedule(at time: Instant, _ action: @escaping (SimulatedNetwork) -> Void) {
        order += 1
        actions.append((time, order, action))
        actions.sort { $0.time == $1.time ? $0.order < $1.order : $0.time < $1.time }
    }

    public func schedule(after d: Duration, _ action: @escaping (SimulatedNetwork) -> Void) {
        schedule(at: now + d, action)
    }

    /// Runs until nothing is left to happen or virtual time would pass `limit`. Returns the time
    /// the run stopped at.
    @discardableResult
    public func run(until limit: Instant = .seconds(3600)) -> Instant {
        while true {
            settle()
            sampleIfDue()
            onTurn?(self)
            var next: Instant? = inFlight.first?.deliverAt
            for h in hosts { if let d = h.stack.nextDeadline, next == nil || d < next! { next = d } }
            if let a = actions.first?.time, next == nil || a < next! { next = a }
            guard let n = next, n <= limit else { break }
            if n > now { now = n }
            while let p = inFlight.first, p.deliverAt <= now {
                inFlight.removeFirst()
                deliver(p)
            }
            for (i, h) in hosts.enumerated() {
                if let d = h.stack.nextDeadline, d <= now {
                    h.stack.handleTimeout(now: now)
                    collectTrace(i)
                }
            }
            // The actions due now; those they schedule for now run on the next turn, after the
            // stacks' output (as with an event loop's callbacks).
            let due = actions.prefix { $0.time <= now }
            actions.removeFirst(due.count)
            for a in due { a.action(self) }
        }
        // Whatever is still on the wire stays "in flight" in the pictures.
        for p in inFlight { markInFlight(p.packetID) }
        return now
    }

    /// Sends everything the stacks want to send and gives events to the application until
    /// nothing more happens at this instant.
    private func settle() {
        var progress = true
        while progress {
            progress = false
            // The application reacts first, then the stack's output is flushed, as an event loop
            // that runs its callbacks before writing does: a reply can ride on the ACK.
            for (i, h) in hosts.enumerated() {
                while let e = h.stack.pollEvent() {
                    collectTrace(i)
                    onEvent?(self, h.name, e)
                    progress = true
                }
            }
            for (i, h) in hosts.enumerated() {
                var out = [UInt8](repeating: 0, count: 65536)
                while let n = out.withUnsafeMutableBytes({ h.stack.pollTransmit(now: now, into: $0) }) {
                    collectTrace(i)
                    transmit(from: i, Array(out[0..<n]))
                    progress = true
                }
                collectTrace(i)
            }
        }
    }

    private func transmit(from i: Int, _ bytes: [UInt8]) {
        let summary: SegmentSummary
        do {
            let seg = try bytes.withUnsafeBytes { b throws(WireError) in
                let s = try TCPPacket.parse(b)
                return SegmentSummary(source: s.sourceSocket, destination: s.destinationSocket, header: s.header, payloadLength: s.payload.count)
            }
            summary = seg
        } catch {
            preconditionFailure("stack \(hosts[i].name) emitted an unparsable packet: \(error)")
        }
        packetCount += 1
        let id = packetCount
        wire.append(WireRecord(time: now, from: hosts[i].name, packet: id, bytes: bytes, lost: false))
        guard let to = hosts.firstIndex(where: { $0.address == summary.destination.address }) else {
            timeline.append(.init(time: now, host: hosts[i].name, kind: .send(packet: id, summary, fate: .lost(reason: "no route"))))
            wire[wire.count - 1].lost = true
            return
        }
        let key = hosts[i].name + ">" + hosts[to].name
        ordinals[key, default: 0] += 1
        let packet = WirePacket(from: hosts[i].name, to: hosts[to].name, ordinal: ordinals[key]!, segment: summary, sentAt: now)
        var at = now + delay
        switch faultRule?(packet) ?? .deliver {
        case .deliver: break
        case .drop(let reason):
            timeline.append(.init(time: now, host: hosts[i].name, kind: .send(packet: id, summary, fate: .lost(reason: reason))))
            wire[wire.count - 1].lost = true
            return
        case .delay(let extra): at = at + extra
        }
        timeline.append(.init(time: now, host: hosts[i].name, kind: .send(packet: id, summary, fate: .delivered(at: at))))
        order += 1
        let f = InFlight(deliverAt: at, order: order, to: to, packetID: id, bytes: bytes)
        let pos = inFlight.firstIndex { $0.deliverAt > at } ?? inFlight.endIndex
        inFlight.insert(f, at: pos)
    }

    private func deliver(_ p: InFlight) {
        p.bytes.withUnsafeBytes { b in
            if let seg = try? TCPPacket.parse(b) {
                let s = SegmentSummary(source: seg.sourceSocket, destination: seg.destinationSocket, header: seg.header, payloadLength: seg.payload.count)
                timeline.append(.init(time: now, host: hosts[p.to].name, kind: .receive(packet: p.packetID, s)))
            }
            let h = hosts[p.to]
            if let s = try? TCPPacket.parse(b) { payloadBytesDelivered += s.payload.count }
            h.stack.handle(ipPacket: b, now: now)
        }
        collectTrace(p.to, arrival: true)
    }

    private func markInFlight(_ packet: Int) {
        for k in timeline.entries.indices {
            if case let .send(id, s, .delivered) = timeline.entries[k].kind, id == packet {
                timeline.entries[k].kind = .send(packet: id, s, fate: .inFlight)
            }
        }
    }

    /// Moves the stack's trace records into the timeline (sends and receives are recorded from
    /// the wire instead, where their fate is known).
    ///
    /// A half-open connection that came from a listener and dies in SYN-RECEIVED (reset, or out
    /// of SYN-ACK retries) is shown going back to LISTEN, as RFC 9293 §3.10.7.4 puts it ("return
    /// this connection to LISTEN state"): the engine deletes the connection and its listener goes
    /// on listening, so the host is in LISTEN again.
    ///
    /// A timer record while a segment is processed (`arrival`) is a timer the segment restarted
    /// (a retransmitted FIN restarts TIME-WAIT), not one that fired; it is shown as a note.
    private func collectTrace(_ i: Int, arrival: Bool = false) {
        let h = hosts[i]
        while let r = h.stack.pollTrace() {
            if sampling != .off, let c = r.connection, sampled[h.name]?.contains(c) != true { sampled[h.name, default: []].append(c) }
            let kind: Timeline.Kind
            switch r.kind {
            case let .state(from, to):
                if let c = r.connection, from == .listen { passive[h.name, default: []].insert(c) }
                if let c = r.connection, from == .synReceived, to == .closed, passive[h.name]?.contains(c) == true {
                    kind = .state(from: from, to: .listen)
                } else {
                    kind = .state(from: from, to: to)
                }
            case let .drop(reason, s): kind = .drop(reason, s)
            case let .timer(t): kind = arrival ? .note("\(t.rawValue) timer restarted") : .timer(t)
            case let .info(info): kind = .info(info)
            case .send, .receive, .event: continue
            }
            timeline.append(.init(time: r.time, host: hosts[i].name, kind: kind))
        }
    }
}

extension SimulatedNetwork {
    /// How often the simulator snapshots connection statistics for the plots.
    public enum Sampling: Sendable, Equatable {
        case off
        /// After every instant at which something happened (a segment delivered or sent, a timer,
        /// an application call): every change is seen.
        case eachInstant
        /// At the first instant at least this much virtual time after the previous sample.
        case every(Duration)
    }

    fileprivate func sampleIfDue() {
        switch sampling {
        case .off: return
        case .eachInstant: break
        case .every(let d):
            if let last = lastSampleTime, now < last + d { return }
        }
        lastSampleTime = now
        sampleNow()
    }

    /// Snapshots every live connection the hosts' traces have mentioned into `timeline.samples`
    /// (a sample equal to its connection's previous one is not kept).
    public func sampleNow() {
        for h in hosts {
            guard var ids = sampled[h.name], !ids.isEmpty else { continue }
            ids.removeAll { id in
                guard let info = h.stack.tcpInfo(of: id) else { return true }
                timeline.appendSample(StatisticsSample(time: now, host: h.name, connection: id, info: info))
                return false
            }
            sampled[h.name] = ids
        }
    }
}
