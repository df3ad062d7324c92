@_spi(Containers) import TCPCore
import TCPTrace
import TCPWire

/// A deterministic network of hosts running TCPStacks, joined by links (one `LinkModel` per
/// direction: delay, jitter, bandwidth, queue, random faults, outages), on a virtual clock that
/// jumps to the next thing that happens. The application side of each host is the `onEvent`
/// callback and scheduled actions. Every random choice comes from one generator seeded with
/// `seed`, so a seed replays a run exactly. With `recording`, everything is recorded in a
/// `Timeline` for the pictures and every packet in `wire`; without it (long transfers) nothing is
/// kept but counters.
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

    struct InFlight: HeapOrdered {
        var deliverAt: Instant
        var order: Int
        var to: Int
        var packetID: Int
        var bytes: [UInt8]

        static func precedes(_ a: Self, _ b: Self) -> Bool {
            a.deliverAt == b.deliverAt ? a.order < b.order : a.deliverAt < b.deliverAt
        }
    }

    struct Action: HeapOrdered {
        var time: Instant
        var order: Int
        var action: (SimulatedNetwork) -> Void

        static func precedes(_ a: Self, _ b: Self) -> Bool {
            a.time == b.time ? a.order < b.order : a.time < b.time
        }
    }

    public private(set) var now: Instant = .zero
    public private(set) var hosts: [Host] = []
    public let seed: UInt64
    /// Keep the timeline, the wire records and the stacks' traces.
    public let recording: Bool
    /// The link model of every direction not set with `setLink(_:from:to:)`.
    public private(set) var defaultLink: LinkModel
    /// One-way delay of every link, both directions.
    public var delay: Duration {
        get { defaultLink.delay }
        set {
            defaultLink.delay = newValue
            for k in links.keys { links[k]!.model.delay = newValue }
        }
    }
    /// The scripted mode: decides the fate of each packet before the link model does.
    public var faultRule: ((WirePacket) -> Fault)?
    /// The application: called for each event of each host's stack.
    public var onEvent: ((SimulatedNetwork, String, TCPEvent) -> Void)?
    /// Everything recorded so far (with `recording`): what the pictures are drawn from.
    public var timeline: Timeline { recorder.timeline }
    /// Turns the stacks' trace records and the packets' fates into `timeline`.
    private var recorder = TimelineRecorder(timeline: Timeline(hosts: []), segments: .wire, returnsToListen: true)
    /// Every packet as its sender put it on the wire, in time order: what a capture at each
    /// sender's interface would see (`--pcap`). Lost packets are here too, marked `lost` (they
    /// left the sender; the link lost them), as are packets with no route. A copy the link makes
    /// of a packet (duplication) is not: the sender sent it once.
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
    private var inFlight = Heap<InFlight>()
    private var actions = Heap<Action>()
    private var order = 0
    private var packetCount = 0
    private var ordinals: [Int: Int] = [:]
    private var links: [Int: LinkState] = [:]
    private var output = [UInt8](repeating: 0, count: 65536)
    /// Connections each host's trace has mentioned and that may still exist (for sampling).
    private var sampled: [String: [ConnectionID]] = [:]
    private var lastSampleTime: Instant?
    /// Copies held until every connection has closed (`Fault.duplicateAfterClose`).
    private var held: [InFlight] = []
    private var heldFrom: [Int: String] = [:]

    public init(seed: UInt64, delay: Duration = .milliseconds(10), recording: Bool = true) {
        self.seed = seed
        self.recording = recording
        defaultLink = LinkModel(delay: delay)
        random = SeededRandom(seed: seed)
    }

    /// Adds a host with its own stack; the stack's randomness comes from the network's seed.
    public func addHost(_ name: String, address: IPAddress, configuration: TCPConfiguration = TCPConfiguration()) {
        var config = configuration
        config.trace = recording
        var r = SeededRandom(seed: random.next())
        hosts.append(Host(name: name, address: address, stack: TCPStack(addresses: [address], configuration: config, random: &r, secrets: .seeded)))
        recorder.timeline.hosts.append(name)
        recorder.timeline.labels[name] = address.description
    }

    /// Sets the link model of the direction `from` → `to` (nil: every host), or of every direction.
    public func setLink(_ model: LinkModel, from: String? = nil, to: String? = nil) {
        if from == nil && to == nil {
            defaultLink = model
            links = [:]
        }
        for (a, ha) in hosts.enumerated() where from == nil || ha.name == from {
            for (b, hb) in hosts.enumerated() where a != b && (to == nil || hb.name == to) {
                links[linkKey(a, b)] = LinkState(model: model)
            }
        }
    }

    /// The link model of one direction.
    public func link(from: String, to: String) -> LinkModel {
        links[linkKey(hostIndex(from), hostIndex(to))]?.model ?? defaultLink
    }

    /// What the link from `from` to `to` did, counted.
    public func counters(from: String, to: String) -> LinkCounters {
        links[linkKey(hostIndex(from), hostIndex(to))]?.counters ?? LinkCounters()
    }

    private func linkKey(_ a: Int, _ b: Int) -> Int { a << 16 | b }

    /// Sets what the pictures print under a host's name.
    public func label(_ host: String, _ text: String) { recorder.timeline.labels[host] = text }

    func hostIndex(_ name: String) -> Int {
        guard let i = hosts.firstIndex(where: { $0.name == name }) else { preconditionFailure("no host named \(name)") }
        return i
    }

    public func host(_ name: String) -> Host { hosts[hostIndex(name)] }

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
        if recording { recorder.timeline.append(.init(time: now, host: host, kind: .state(from: .closed, to: .listen))) }
        return l
    }

    /// Adds a note to the timeline.
    public func note(_ host: String, _ text: @autoclosure () -> String) {
        if recording { recorder.note(text(), host: host, at: now) }
    }

    /// Puts a hand-made segment on the wire as if `from` had sent it (a stale duplicate, an
    /// attacker's guess...). It goes through the fault rule and the link like any other packet.
    public func inject(from host: String, _ header: TCPHeader, to destination: IPAddress, payload: [UInt8] = [], note text: String? = nil) {
        let i = hostIndex(host)
        if let text { note(host, text) }
        let bytes = try! TCPPacket.build(source: hosts[i].address, destination: destination, header: header, payload: payload)
        transmit(from: i, bytes, summary: nil)
    }

    // MARK: Off stage: spoofed sources (the syn-flood scenario)

    /// What the packets from and to off-stage addresses amounted to.
    public struct OffStageCounts: Sendable, Equatable {
        /// Packets injected from spoofed addresses, and packets the hosts sent to them.
        public var packetsIn = 0
        public var packetsOut = 0
        /// The receiving stacks' drops of off-stage packets, by reason.
        public var drops: [DropReason: Int] = [:]
        public init(packetsIn: Int = 0, packetsOut: Int = 0, drops: [DropReason: Int] = [:]) {
            self.packetsIn = packetsIn
            self.packetsOut = packetsOut
            self.drops = drops
        }
    }

    /// Addresses no host has, from which `injectSpoofed` sends (an attacker's forged sources).
    /// Packets from and to them cross the wire (`wire` has them, so a pcap does) but are not
    /// drawn, nor is what a stack does about them (the connections they open, their timers and
    /// state changes, their drops): a scenario sums them up in notes, so that a flood does not
    /// bury the picture. `offStageCounts` counts them.
    public private(set) var offStage: Set<IPAddress> = []
    public private(set) var offStageCounts = OffStageCounts()
    private var offStageConnections: [String: Set<ConnectionID>] = [:]

    /// Puts a packet from `source`, an address no host has, on the wire to `host`: it arrives
    /// after the default link's delay (no fault rule or link model applies; it comes from
    /// elsewhere). `source` goes off stage.
    public func injectSpoofed(_ header: TCPHeader, from source: IPAddress, to host: String, payload: [UInt8] = []) {
        offStage.insert(source)
        let to = hostIndex(host)
        let bytes = try! TCPPacket.build(source: source, destination: hosts[to].address, header: header, payload: payload)
        packetCount += 1
        if recording { wire.append(WireRecord(time: now, from: source.description, packet: packetCount, bytes: bytes, lost: false)) }
        offStageCounts.packetsIn += 1
        order += 1
        inFlight.push(InFlight(deliverAt: now + defaultLink.delay, order: order, to: to, packetID: packetCount, bytes: bytes))
    }

    /// Connections of `host` that off-stage packets opened and that still exist.
    public func offStageConnectionCount(_ host: String) -> Int {
        let stack = hosts[hostIndex(host)].stack
        return offStageConnections[host]?.filter { stack.state(of: $0) != nil }.count ?? 0
    }

    /// True when a trace record belongs off stage (and is counted rather than drawn).
    private func keepOffStage(_ r: TraceRecord, host: String, spoofed: Bool) -> Bool {
        if let c = r.connection, offStageConnections[host]?.contains(c) == true { return true }
        switch r.kind {
        case .state(.listen, _) where spoofed:
            if let c = r.connection { offStageConnections[host, default: []].insert(c) }
            return true
        case let .drop(reason, s?) where offStage.contains(s.source.address) || offStage.contains(s.destination.address):
            offStageCounts.drops[reason, default: 0] += 1
            return true
        default:
            return spoofed && r.connection == nil
        }
    }

    /// Runs `action` at virtual time `time`.
    public func schedule(at time: Instant, _ action: @escaping (SimulatedNetwork) -> Void) {
        order += 1
        actions.push(Action(time: time, order: order, action: action))
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
            releaseHeldCopies()
            sampleIfDue()
            onTurn?(self)
            var next: Instant? = inFlight.first?.deliverAt
            for h in hosts { if let d = h.stack.nextDeadline, next == nil || d < next! { next = d } }
            if let a = actions.first?.time, next == nil || a < next! { next = a }
            guard let n = next, n <= limit else { break }
            if n > now { now = n }
            while let p = inFlight.first, p.deliverAt <= now {
                _ = inFlight.pop()
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
            var due: [Action] = []
            while let a = actions.first, a.time <= now { due.append(actions.pop()!) }
            for a in due { a.action(self) }
        }
        // Whatever is still on the wire (or held) stays "in flight" in the pictures.
        if recording { recorder.markInFlight(Set(inFlight.items.map(\.packetID) + held.map(\.packetID))) }
        return now
    }

    /// Packets on the wire now (held copies included).
    public var packetsInFlight: Int { inFlight.count + held.count }

    /// Sends the held copies on their way once no host has a connection left.
    private func releaseHeldCopies() {
        guard !held.isEmpty, hosts.allSatisfy({ $0.stack.connectionCount == 0 }) else { return }
        for var p in held {
            let from = hosts.firstIndex { $0.name == heldFrom[p.packetID] } ?? p.to
            p.deliverAt = now + (links[linkKey(from, p.to)]?.model.delay ?? defaultLink.delay)
            order += 1
            p.order = order
            inFlight.push(p)
            if recording { recorder.setFate(.delivered(at: p.deliverAt), ofPacket: p.packetID) }
        }
        held = []
        heldFrom = [:]
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
                while let n = output.withUnsafeMutableBytes({ h.stack.pollTransmit(now: now, into: $0) }) {
                    collectTrace(i)
                    transmit(from: i, Array(output[0..<n]), summary: recorder.takeSentSegment())
                    progress = true
                }
                collectTrace(i)
            }
        }
    }

    /// The destination address of an IP packet the stacks emitted.
    private static func destination(_ bytes: [UInt8]) -> IPAddress? {
        guard let first = bytes.first else { return nil }
        if first >> 4 == 4, bytes.count >= 20 {
            return .v4(IPv4Address(rawValue: UInt32(bytes[16]) << 24 | UInt32(bytes[17]) << 16 | UInt32(bytes[18]) << 8 | UInt32(bytes[19])))
        }
        if first >> 4 == 6, bytes.count >= 40 {
            var hi: UInt64 = 0, lo: UInt64 = 0
            for k in 24..<32 { hi = hi << 8 | UInt64(bytes[k]) }
            for k in 32..<40 { lo = lo << 8 | UInt64(bytes[k]) }
            return .v6(IPv6Address(high: hi, low: lo))
        }
        return nil
    }

    private func chance(_ p: Double) -> Bool {
        guard p > 0 else { return false }
        return Double(random.next() >> 11) * 0x1p-53 < p
    }

    private func uniform(_ d: Duration) -> Duration {
        let ns = d.nanoseconds
        guard ns > 0 else { return .zero }
        return .nanoseconds(Int64(random.next() % UInt64(ns + 1)))
    }

    /// Puts a packet on the wire. `summary`: its segment as the stack traced it (nil: a packet
    /// the stack did not trace, parsed here if a fault rule or the pictures need it).
    private func transmit(from i: Int, _ bytes: [UInt8], summary traced: SegmentSummary?) {
        // The summary is needed only by a fault rule and the pictures; routing reads the header.
        var summary = traced
        if summary == nil, recording || faultRule != nil {
            do {
                summary = try bytes.withUnsafeBytes { b throws(WireError) in
                    let s = try TCPPacket.parse(b)
                    return SegmentSummary(source: s.sourceSocket, destination: s.destinationSocket, header: s.header, payloadLength: s.payload.count)
                }
            } catch {
                preconditionFailure("stack \(hosts[i].name) emitted an unparsable packet: \(error)")
            }
        }
        packetCount += 1
        let id = packetCount
        if recording { wire.append(WireRecord(time: now, from: hosts[i].name, packet: id, bytes: bytes, lost: false)) }
        let dst = summary?.destination.address ?? Self.destination(bytes)
        if let dst, offStage.contains(dst) {
            // To a spoofed address: no host has it, so it goes nowhere, and it is not drawn.
            if recording { wire[wire.count - 1].lost = true }
            offStageCounts.packetsOut += 1
            return
        }
        guard let to = hosts.firstIndex(where: { $0.address == dst }) else {
            lost(id, from: i, summary, "no route")
            return
        }
        let key = linkKey(i, to)
        if links[key] == nil { links[key] = LinkState(model: defaultLink) }
        links[key]!.counters.packets += 1
        links[key]!.counters.bytes += bytes.count

        var extra: Duration = .zero
        var copyAfter: Duration? = nil
        var holdCopy = false
        var corrupt = false
        ordinals[key, default: 0] += 1
        if let rule = faultRule, let summary {
            let packet = WirePacket(from: hosts[i].name, to: hosts[to].name, ordinal: ordinals[key]!, segment: summary, sentAt: now)
            switch rule(packet) {
            case .deliver: break
            case .drop(let reason):
                links[key]!.counters.scriptedDrops += 1
                lost(id, from: i, summary, reason)
                return
            case .delay(let d): extra = d
            case .duplicate(let d): copyAfter = d
            case .duplicateAfterClose: holdCopy = true
            case .corrupt: corrupt = true
            }
        }

        // The link model: outages, random faults (until the network heals), the queue, the
        // bottleneck, delay and jitter. Each draw happens only when its fault is configured, so
        // runs without random faults draw nothing.
        let model = links[key]!.model
        if model.outages.contains(where: { $0.contains(now) }) {
            links[key]!.counters.blackholed += 1
            lost(id, from: i, summary, "blackhole")
            return
        }
        if let mtu = model.pathMTU, bytes.count > mtu, Self.mayNotFragment(bytes) {
            // Too big for the path (SimulatedNetwork+PathMTU.swift).
            links[key]!.counters.tooBig += 1
            lost(id, from: i, summary, "too big for MTU \(mtu)")
            if model.sendsPacketTooBig {
                links[key]!.counters.packetTooBigSent += 1
                sendPacketTooBig(to: i, quoting: bytes, mtu: mtu, after: model.delay)
            }
            return
        }
        let faulty = model.randomFaultsActive(at: now)
        if faulty && chance(model.loss) {
            links[key]!.counters.lost += 1
            lost(id, from: i, summary, "random loss")
            return
        }
        guard links[key]!.admits(bytes.count, now: now) else {
            links[key]!.counters.queueDrops += 1
            lost(id, from: i, summary, "queue full (drop-tail)")
            return
        }
        var delivered = bytes
        if let threshold = model.ecnMarkThreshold, links[key]!.holds(atLeast: threshold), Self.markCE(&delivered) {
            // SimulatedNetwork+ECN.swift; the pcap shows the packet as it leaves the queue.
            links[key]!.counters.ceMarked += 1
            if recording {
                wire[wire.count - 1].bytes = delivered
                note(hosts[i].name, "the queue holds \(threshold) or more: packet \(id) is marked CE (RFC 3168 §5)")
            }
        }
        let departs = links[key]!.serialize(bytes.count, now: now)
        var at = departs + model.delay + uniform(model.jitter) + extra
        if faulty && chance(model.reorder) {
            links[key]!.counters.reordered += 1
            at = at + (model.reorderDelay ?? max(model.delay, .milliseconds(1)))
        }
        if corrupt || (faulty && chance(model.corrupt)) {
            links[key]!.counters.corrupted += 1
            Self.flipBit(&delivered, random.next())
        }
        if faulty && chance(model.duplicate) {
            links[key]!.counters.duplicated += 1
            copyAfter = model.duplicateDelay + uniform(model.jitter)
        }
        if recording { recorder.send(summary!, from: hosts[i].name, at: now, fate: .delivered(at: at), packet: id) }
        order += 1
        inFlight.push(InFlight(deliverAt: at, order: order, to: to, packetID: id, bytes: delivered))
        if let d = copyAfter {
            // The copy is the network's doing; it has its own packet number in the pictures.
            packetCount += 1
            let copyAt = at + d
            if recording { recorder.send(summary!, from: hosts[i].name, at: now, fate: .delivered(at: copyAt), packet: packetCount, networkCopy: true) }
            order += 1
            inFlight.push(InFlight(deliverAt: copyAt, order: order, to: to, packetID: packetCount, bytes: bytes))
        }
        if holdCopy {
            // Sent at the same time as the original in the pictures; its arrival is known once
            // it is released.
            packetCount += 1
            if recording { recorder.send(summary!, from: hosts[i].name, at: now, fate: .inFlight, packet: packetCount, networkCopy: true) }
            held.append(InFlight(deliverAt: now, order: 0, to: to, packetID: packetCount, bytes: bytes))
            heldFrom[packetCount] = hosts[i].name
        }
    }

    private func lost(_ id: Int, from i: Int, _ summary: SegmentSummary?, _ reason: String) {
        guard recording, let summary else { return }
        recorder.send(summary, from: hosts[i].name, at: now, fate: .lost(reason: reason), packet: id)
        wire[wire.count - 1].lost = true
    }

    /// Flips one bit of the TCP segment (past the IP header), chosen by `r`.
    static func flipBit(_ bytes: inout [UInt8], _ r: UInt64) {
        guard let first = bytes.first else { return }
        let ipHeader = first >> 4 == 6 ? 40 : Int(first & 0x0f) * 4
        let span = bytes.count - ipHeader
        guard span > 0 else { return }
        let bit = Int(r % UInt64(span * 8))
        bytes[ipHeader + bit / 8] ^= UInt8(1) << UInt8(bit % 8)
    }

    private func deliver(_ p: InFlight) {
        var spoofed = false
        p.bytes.withUnsafeBytes { b in
            // The receiving stack checks the checksum (and traces the segment it takes, which is
            // what the pictures show arriving); here only the numbers are read.
            if let seg = try? TCPPacket.parse(b, verifyChecksum: false) {
                payloadBytesDelivered += seg.payload.count
                spoofed = offStage.contains(seg.sourceSocket.address)
            }
            let h = hosts[p.to]
            h.stack.handle(ipPacket: b, now: now)
        }
        collectTrace(p.to, arrival: p.packetID, spoofed: spoofed)
    }

    /// Moves the stack's trace records into the timeline (`TimelineRecorder`, `.wire`): a sent
    /// segment waits for `transmit`, which draws it with its fate; a received one is the arrival
    /// of packet `arrival`, which the stack has just handled (nil: none), and a spoofed packet's
    /// arrival is not drawn.
    private func collectTrace(_ i: Int, arrival: Int? = nil, spoofed: Bool = false) {
        let h = hosts[i]
        while let r = h.stack.pollTrace() {
            if !offStage.isEmpty, keepOffStage(r, host: h.name, spoofed: spoofed) { continue }
            if sampling != .off, let c = r.connection, sampled[h.name]?.contains(c) != true { sampled[h.name, default: []].append(c) }
            if spoofed, case .receive = r.kind { continue }
            recorder.record(r, host: h.name, arrival: arrival)
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

    /// Samples `connection` of `host` from now on (with `sampling` on), even when the stacks do
    /// not trace (`recording` off); with tracing on, every connection a trace mentions is sampled
    /// anyway.
    public func sample(_ connection: ConnectionID, of host: String) {
        if sampled[host]?.contains(connection) != true { sampled[host, default: []].append(connection) }
    }

    /// Snapshots every live connection the hosts' traces have mentioned into `timeline.samples`
    /// (a sample equal to its connection's previous one is not kept).
    public func sampleNow() {
        for h in hosts {
            guard var ids = sampled[h.name], !ids.isEmpty else { continue }
            ids.removeAll { id in
                guard let info = h.stack.tcpInfo(of: id) else { return true }
                recorder.timeline.appendSample(StatisticsSample(time: now, host: h.name, connection: id, info: info))
                return false
            }
            sampled[h.name] = ids
        }
    }
}
