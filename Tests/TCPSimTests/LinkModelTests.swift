import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// The simulator's link model, one mechanism at a time: packets injected from the client (a stack
/// with no connection) to the server (no listener: it answers each with RST), and where each one
/// went read back from the timeline.
@Suite struct LinkModelTests {
    static func network(_ model: LinkModel, seed: UInt64 = 1) -> SimulatedNetwork {
        let net = SimulatedNetwork(seed: seed)
        net.addHost("client", address: IPAddress("198.18.0.1")!)
        net.addHost("server", address: IPAddress("198.18.0.2")!)
        net.setLink(model, from: "client", to: "server")
        return net
    }

    /// Puts `count` ACK segments of `payload` bytes on the wire from the client at `time`.
    static func inject(_ net: SimulatedNetwork, count: Int, payload: Int = 1000, at time: Instant = .zero) {
        net.schedule(at: time) { net in
            for k in 0..<count {
                let h = TCPHeader(sourcePort: 40000, destinationPort: 9, sequenceNumber: SequenceNumber(UInt32(1000 + k * payload)),
                                  acknowledgmentNumber: SequenceNumber(1), flags: .ack, window: 1000)
                net.inject(from: "client", h, to: net.address(of: "server"), payload: [UInt8](repeating: UInt8(truncatingIfNeeded: k), count: payload))
            }
        }
    }

    /// The fate of each packet the client sent, in order: arrival time in µs or the loss reason.
    static func fates(_ net: SimulatedNetwork) -> [String] {
        net.timeline.entries.compactMap { e in
            guard e.host == "client", case let .send(_, _, fate) = e.kind else { return nil }
            switch fate {
            case .delivered(let t): return String(t.nanoseconds / 1000)
            case .lost(let reason): return reason
            case .inFlight: return "in flight"
            }
        }
    }

    @Test("bandwidth: each 1040-byte packet takes 8.32 ms at 1 Mbit/s, behind the one before")
    func serialization() {
        var m = LinkModel(delay: .milliseconds(10))
        m.bandwidthBitsPerSecond = 1e6
        let net = Self.network(m)
        Self.inject(net, count: 3)
        net.run()
        #expect(Self.fates(net) == ["18320", "26640", "34960"])
        #expect(net.host("server").stack.statistics.segmentsReceived == 3)
    }

    @Test("drop-tail queue: 2 packets fit, the 3rd and 4th sent at the same time are dropped; later ones fit again")
    func dropTail() {
        var m = LinkModel(delay: .milliseconds(10))
        m.bandwidthBitsPerSecond = 1e6
        m.queue = .packets(2)
        let net = Self.network(m)
        Self.inject(net, count: 4)
        Self.inject(net, count: 1, at: .seconds(1))
        net.run()
        #expect(Self.fates(net) == ["18320", "26640", "queue full (drop-tail)", "queue full (drop-tail)", "1018320"])
        #expect(net.counters(from: "client", to: "server").queueDrops == 2)

        var bytes = m
        bytes.queue = .bytes(3000)   // two 1040-byte packets fit, a third does not
        let net2 = Self.network(bytes)
        Self.inject(net2, count: 3)
        net2.run()
        #expect(Self.fates(net2) == ["18320", "26640", "queue full (drop-tail)"])
    }

    @Test("a blackhole swallows what is sent between its start and end, then the link works again")
    func blackhole() {
        var m = LinkModel(delay: .milliseconds(10))
        m.outages = [.init(start: .seconds(1), end: .seconds(2))]
        let net = Self.network(m)
        Self.inject(net, count: 1, at: .seconds(0.999))
        Self.inject(net, count: 1, at: .seconds(1))
        Self.inject(net, count: 1, at: .seconds(1.999))
        Self.inject(net, count: 1, at: .seconds(2))
        net.run()
        #expect(Self.fates(net) == ["1009000", "blackhole", "blackhole", "2010000"])
    }

    @Test("every corrupted packet is dropped at the receiver as a bad checksum (header bits too, RFC 9293 §3.1), none reaches a connection")
    func corruption() {
        var m = LinkModel(delay: .milliseconds(10))
        m.corrupt = 1
        let net = Self.network(m)
        Self.inject(net, count: 50, payload: 100)
        net.run()
        let s = net.host("server").stack.statistics
        #expect(net.counters(from: "client", to: "server").corrupted == 50)
        #expect(s.dropCount(.badChecksum) == 50)
        #expect(s.dropCount(.malformed) == 0)
        #expect(s.dropCount(.noConnection) == 0 && s.resetsSent == 0, "nothing corrupted was believed")
    }

    @Test("loss, duplication and reordering happen at about their rates, and the same seed repeats them exactly")
    func randomFaults() {
        var m = LinkModel(delay: .milliseconds(10))
        m.loss = 0.1
        m.duplicate = 0.1
        m.reorder = 0.1
        m.jitter = .milliseconds(1)
        func run(_ seed: UInt64) -> (LinkCounters, [String]) {
            let net = Self.network(m, seed: seed)
            Self.inject(net, count: 1000, payload: 10)
            net.run()
            return (net.counters(from: "client", to: "server"), Self.fates(net))
        }
        let (c, fates) = run(7)
        #expect((60...140).contains(c.lost))
        #expect((60...140).contains(c.duplicated))
        #expect((60...140).contains(c.reordered))
        #expect(fates.count == 1000 + c.duplicated, "each copy is a packet of its own in the pictures")
        let (again, fatesAgain) = run(7)
        #expect(again == c && fatesAgain == fates)
        let (other, _) = run(8)
        #expect(other != c)
    }

    @Test("faults end when the network heals: a link that loses everything delivers from faultsEnd on")
    func healing() {
        var m = LinkModel(delay: .milliseconds(10))
        m.loss = 1
        m.faultsEnd = .seconds(1)
        let net = Self.network(m)
        Self.inject(net, count: 2, at: .seconds(0.5))
        Self.inject(net, count: 2, at: .seconds(1))
        net.run()
        #expect(Self.fates(net) == ["random loss", "random loss", "1010000", "1010000"])
    }

    @Test("random faults in a window [faultsStart, faultsEnd): a link that loses everything loses only what is sent inside it")
    func faultWindow() {
        var m = LinkModel(delay: .milliseconds(10))
        m.loss = 1
        m.faultsStart = .seconds(1)
        m.faultsEnd = .seconds(2)
        let net = Self.network(m)
        for t in [0.999, 1, 1.999, 2] { Self.inject(net, count: 1, at: .seconds(t)) }
        net.run()
        #expect(Self.fates(net) == ["1009000", "random loss", "random loss", "2010000"])
    }

    @Test("healing ends every fault: an outage that would last for ever ends at the heal time, one that starts later is gone, random faults stop")
    func healingEndsOutages() {
        var m = LinkModel(delay: .milliseconds(10))
        m.outages = [.init(start: .seconds(1), end: .forever), .init(start: .seconds(3), end: .seconds(4))]
        m.loss = 1
        m.faultsStart = .seconds(0.5)
        let healed = m.healed(at: .seconds(2))
        #expect(healed.outages == [.init(start: .seconds(1), end: .seconds(2))])
        #expect(healed.faultsStart == .seconds(0.5) && healed.faultsEnd == .seconds(2))
        let net = Self.network(healed)
        for t in [0.1, 0.5, 1.5, 2, 3.5] { Self.inject(net, count: 1, at: .seconds(t)) }
        net.run()
        #expect(Self.fates(net) == ["110000", "random loss", "blackhole", "2010000", "3510000"])
    }

    /// The model's rule (`LinkModel.jitter`): each packet waits `delay` plus a uniformly random
    /// 0...jitter, drawn from the seed; packets overtake each other when the jitter exceeds the
    /// gap between their sending times, never when the gap is larger than the jitter.
    @Test("jitter: one-way delays lie in [delay, delay + jitter], vary, repeat with the seed, and reorder only packets closer together than the jitter")
    func jitter() {
        var m = LinkModel(delay: .milliseconds(10))
        m.jitter = .milliseconds(5)
        /// Arrival times in µs of 200 packets, `gap` apart.
        func arrivals(seed: UInt64, gap: Duration) -> [Int64] {
            let net = Self.network(m, seed: seed)
            for k in 0..<200 { Self.inject(net, count: 1, payload: 10, at: .zero + gap * k) }
            net.run()
            return Self.fates(net).map { Int64($0)! }
        }
        let together = arrivals(seed: 5, gap: .zero)
        #expect(together.count == 200)
        #expect(together.allSatisfy { (10_000...15_000).contains($0) }, "\(together.min()!)...\(together.max()!)")
        #expect(Set(together).count > 150, "they vary: \(Set(together).count) distinct delays")
        #expect(together.min()! < 10_500 && together.max()! > 14_500, "the whole range is used")
        #expect(arrivals(seed: 5, gap: .zero) == together, "the same seed, the same delays")
        #expect(arrivals(seed: 6, gap: .zero) != together)
        // Sent at the same time: arrival order is not send order.
        #expect(together != together.sorted())
        // Sent 6 ms apart, more than the 5 ms jitter: each delay within bounds, the order kept.
        let spaced = arrivals(seed: 5, gap: .milliseconds(6))
        let delays = spaced.enumerated().map { k, t in t - Int64(k) * 6000 }
        #expect(delays.allSatisfy { (10_000...15_000).contains($0) } && Set(delays).count > 150)
        #expect(spaced == spaced.sorted() && Set(spaced).count == 200)
        // What reaches the server comes in the order it arrived.
        let net = Self.network(m, seed: 5)
        Self.inject(net, count: 200, payload: 10)
        net.run()
        let received = net.timeline.sorted.compactMap { e -> UInt32? in
            if case let .receive(_, s) = e.kind, e.host == "server" { s.sequenceNumber.rawValue } else { nil }
        }
        #expect(received.count == 200 && received != received.sorted(), "overtaken at the receiver too: \(received.count)")
    }

    @Test("scripted: duplicate the SYN and deliver the copy after the connection has closed")
    func scriptedDuplicate() {
        let net = SimulatedNetwork(seed: 3)
        var config = TCPConfiguration()
        config.msl = .seconds(1)
        net.addHost("client", address: IPAddress("198.18.0.1")!, configuration: config)
        net.addHost("server", address: IPAddress("198.18.0.2")!, configuration: config)
        net.faultRule = { p in p.from == "client" && p.segment.flags == .syn ? .duplicate(after: .seconds(10)) : .deliver }
        _ = try! net.listen("server", port: 80)
        var client: ConnectionID?
        net.onEvent = { net, host, e in
            switch e {
            case .connectionAvailable(let l):
                while let c = try! net.withStack(host, { s, _ in try s.accept(l) }) {
                    try! net.withStack(host) { s, now in try s.close(c, now: now) }
                }
            case .established(let c) where host == "client":
                try! net.withStack(host) { s, now in try s.close(c, now: now) }
            default: break
            }
        }
        net.schedule(at: .zero) { net in
            client = try! net.withStack("client") { s, now in try s.connect(to: SocketAddress(net.address(of: "server"), 80), now: now) }
        }
        net.run()
        _ = client
        // The copy arrives at 10.01 s, long after both sides closed (TIME-WAIT is 2 s): the server
        // takes it for a new connection and answers SYN,ACK; the client, with no connection, RST.
        let late = net.timeline.entries.filter { $0.time >= .seconds(10) }
        let sent = late.compactMap { e -> String? in
            guard case let .send(_, s, _) = e.kind else { return nil }
            return "\(e.host) \(s.flags.names.joined(separator: ","))"
        }
        #expect(sent == ["server SYN,ACK", "client RST"])
        #expect(net.host("server").stack.connectionCount == 0 && net.host("client").stack.connectionCount == 0)
    }
}
