import TCPCore
import TCPTrace
import TCPWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one transfer.
public final class Simulation {
    public let options: SimulationOptions
    public let network: SimulatedNetwork
    static let port: UInt16 = 5001

    private final class Side {
        let host: String
        var connection: ConnectionID?
        /// What this side sends (nil: nothing).
        var outgoing: Int?
        var sendStream: ByteStream
        var sendHash = SHA256()
        var pending: [UInt8] = []
        var pendingOffset = 0
        var written = 0
        var shutDown = false
        /// What this side receives.
        var expectStream: ByteStream
        var receiveHash = SHA256()
        var delivered = 0
        var firstMismatch: Int?
        var endOfStream = false
        var closed = false
        var error: TCPError?
        var startedAt: Instant?
        var finishedAt: Instant?
        var progress: [(time: Instant, bytes: Int)] = []
        var lastState: TCPState = .closed
        /// The connection's statistics when the application closed it.
        var finalInfo: TCPInfo?

        init(host: String, outgoing: Int?, sendSeed: UInt64, receiveSeed: UInt64) {
            self.host = host
            self.outgoing = outgoing
            sendStream = ByteStream(seed: sendSeed)
            expectStream = ByteStream(seed: receiveSeed)
        }
    }

    private let client: Side
    private let server: Side
    private var listener: ListenerID?
    private var readBuffer = [UInt8](repeating: 0, count: 65536)
    private var expectBuffer = [UInt8](repeating: 0, count: 65536)
    private var completedAt: Instant?

    public init(_ o: SimulationOptions) {
        options = o
        let net = SimulatedNetwork(seed: o.seed, delay: o.forward.delay, recording: o.recording)
        let (ca, sa) = o.ipv6 ? ("2001:db8::1", "2001:db8::2") : ("198.18.0.1", "198.18.0.2")
        net.addHost("client", address: IPAddress(ca)!, configuration: o.configuration)
        net.addHost("server", address: IPAddress(sa)!, configuration: o.configuration)
        var forward = o.forward, reverse = o.reverse
        if let heal = o.healAt {
            // The liveness phase: every fault ends, blackholes and partitions too.
            forward = forward.healed(at: heal)
            reverse = reverse.healed(at: heal)
        }
        net.setLink(forward, from: "client", to: "server")
        net.setLink(reverse, from: "server", to: "client")
        if let rule = o.faultRule { net.faultRule = rule }
        net.sampling = o.sampling
        network = net
        // The data streams' seeds come from the run's seed, apart from the network's generator.
        let upSeed = o.seed ^ 0x5555_AAAA_0000_0001, downSeed = o.seed ^ 0x5555_AAAA_0000_0002
        client = Side(host: "client", outgoing: o.bytes, sendSeed: upSeed, receiveSeed: downSeed)
        server = Side(host: "server", outgoing: o.both ? o.bytes : nil, sendSeed: downSeed, receiveSeed: upSeed)
    }

    /// Runs the transfer to the end (or to the liveness bound) and checks it.
    public static func run(_ o: SimulationOptions) -> SimulationResult {
        Simulation(o).run()
    }

    public func run() -> SimulationResult {
        let net = network
        net.onEvent = { [unowned self] _, host, event in handle(host == "client" ? client : server, event) }
        listener = try! net.listen("server", port: Self.port)
        net.schedule(at: .zero) { [unowned self] net in
            let remote = SocketAddress(net.address(of: "server"), Self.port)
            net.note("client", "connect()")
            do {
                let c = try net.withStack("client") { s, now in try s.connect(to: remote, now: now) }
                client.connection = c
                net.sample(c, of: "client")
            } catch {
                client.error = error as? TCPError
            }
        }
        let deadline = (options.healAt ?? .zero) + options.livenessBound
        let ended = net.run(until: deadline)
        return check(ended: ended, deadline: deadline)
    }

    // MARK: The applications

    private func handle(_ side: Side, _ event: TCPEvent) {
        let net = network
        switch event {
        case .connectionAvailable(let l):
            while let c = try? net.withStack(side.host, { s, _ in try s.accept(l) }) {
                if side.connection == nil {
                    side.connection = c
                    net.sample(c, of: side.host)
                    net.note(side.host, "accept()")
                    write(side)
                } else {
                    // Only one connection is expected; another one is a stray (a duplicate SYN
                    // after the close, say): let it go.
                    try? net.withStack(side.host) { s, now in try s.close(c, now: now) }
                }
            }
        case .established(let c):
            if c == side.connection { write(side) }
        case .writable(let c):
            if c == side.connection { write(side) }
        case .readable(let c):
            if c == side.connection { read(side) }
        case .peerClosed(let c):
            guard c == side.connection else { return }
            read(side)
            side.endOfStream = true
            closeIfDone(side)
        case .reset(let c, _), .timedOut(let c):
            guard c == side.connection else { return }
            side.error = net.withStack(side.host) { s, _ in s.info(of: c)?.error } ?? .connectionReset
            net.note(side.host, "error: \(side.error!); close()")
            release(side)
        case .closed(let c):
            guard c == side.connection else { return }
            release(side)
        case .softError, .negativeAdvice:
            break   // soft errors do not end the transfer (RFC 9293 §3.9.2.2 MUST-56)
        case .urgentData:
            break   // urgent data is read inline, with the rest
        }
    }

    private func write(_ side: Side) {
        guard let c = side.connection, let total = side.outgoing, !side.shutDown, side.error == nil else { return }
        let net = network
        if side.startedAt == nil { side.startedAt = net.now }
        while side.written < total {
            if side.pendingOffset == side.pending.count {
                let n = min(65536, total - side.written)
                side.pending = [UInt8](repeating: 0, count: n)
                side.pending.withUnsafeMutableBytes { side.sendStream.fill($0) }
                side.sendHash.update(side.pending)
                side.pendingOffset = 0
            }
            let offset = side.pendingOffset
            let n: Int
            do {
                n = try side.pending.withUnsafeBytes { b in
                    try net.withStack(side.host) { s, now in try s.send(c, UnsafeRawBufferPointer(rebasing: b[offset...]), now: now) }
                }
            } catch {
                return   // the connection failed; the event says why
            }
            side.pendingOffset += n
            side.written += n
            if n == 0 || side.pendingOffset < side.pending.count { return }   // buffer full: wait for .writable
        }
        side.shutDown = true
        net.note(side.host, "wrote \(total) bytes; shutdown()")
        try? net.withStack(side.host) { s, now in try s.shutdown(c, now: now) }
        closeIfDone(side)
    }

    private func read(_ side: Side) {
        guard let c = side.connection else { return }
        let net = network
        while true {
            let r = readBuffer.withUnsafeMutableBytes { b in
                net.withStack(side.host) { s, now in try? s.receive(c, into: b, now: now) }
            }
            guard case .data(let n)? = r, n > 0 else { break }
            check(side, n)
        }
    }

    /// Checks `n` freshly read bytes against the expected stream and hashes them.
    private func check(_ side: Side, _ n: Int) {
        readBuffer.withUnsafeBytes { got in
            let chunk = UnsafeRawBufferPointer(rebasing: got[0..<n])
            side.receiveHash.update(chunk)
            if side.firstMismatch == nil {
                let expected = peerOutgoing(of: side) ?? 0
                let valid = max(0, min(n, expected - side.delivered))
                expectBuffer.withUnsafeMutableBytes { exp in
                    side.expectStream.fill(UnsafeMutableRawBufferPointer(rebasing: exp[0..<n]))
                    if memcmp(exp.baseAddress!, chunk.baseAddress!, valid) != 0 || valid < n {
                        var k = 0
                        while k < valid && exp[k] == chunk[k] { k += 1 }
                        side.firstMismatch = side.delivered + k
                    }
                }
            }
        }
        side.delivered += n
        let now = network.now
        if let peer = peerOutgoing(of: side), side.delivered >= peer { peerSide(of: side).finishedAt = now }
        side.progress.append((now, side.delivered))
    }

    private func peerSide(of side: Side) -> Side { side === client ? server : client }
    private func peerOutgoing(of side: Side) -> Int? { peerSide(of: side).outgoing }

    private func closeIfDone(_ side: Side) {
        guard side.endOfStream, side.shutDown || side.outgoing == nil, !side.closed, let c = side.connection else { return }
        side.closed = true
        side.finalInfo = network.host(side.host).stack.tcpInfo(of: c)
        network.note(side.host, "close()")
        try? network.withStack(side.host) { s, now in try s.close(c, now: now) }
        if client.closed && server.closed && completedAt == nil { completedAt = network.now }
    }

    private func release(_ side: Side) {
        guard !side.closed, let c = side.connection else { return }
        side.closed = true
        try? network.withStack(side.host) { s, now in try s.close(c, now: now) }
    }

    // MARK: Checking

    private func check(ended: Instant, deadline: Instant) -> SimulationResult {
        let net = network
        var failures: [String] = []
        var directions: [DirectionResult] = []
        for (from, to) in [(client, server), (server, client)] {
            guard let total = from.outgoing else { continue }
            var d = DirectionResult(from: from.host, to: to.host, bytes: total)
            d.written = from.written
            d.delivered = to.delivered
            d.endOfStream = to.endOfStream
            d.sha256Sent = from.written == total ? from.sendHash.hexDigest() : ""
            d.sha256Received = to.receiveHash.hexDigest()
            d.firstMismatch = to.firstMismatch
            d.startedAt = from.startedAt
            d.finishedAt = from.finishedAt
            d.progress = to.progress
            let name = "\(from.host) → \(to.host)"
            // Safety: what arrived is what was sent, in order, once.
            if let m = to.firstMismatch {
                failures.append("\(name): byte \(m) differs from what was sent (or more bytes than were sent arrived)")
            }
            if to.endOfStream && to.delivered != total && from.error == nil && to.error == nil {
                failures.append("\(name): end of stream after \(to.delivered) of \(total) bytes")
            }
            directions.append(d)
        }
        var states: [String: TCPState] = [:]
        var left: [String: Int] = [:]
        var stats: [String: TCPStatistics] = [:]
        var errors: [String: TCPError] = [:]
        var corruptedDropped = 0, malformedDropped = 0
        for side in [client, server] {
            let stack = net.host(side.host).stack
            states[side.host] = side.connection.flatMap { stack.state(of: $0) } ?? .closed
            left[side.host] = stack.connectionCount
            stats[side.host] = stack.statistics
            // Every corrupted packet must be a checksum failure: the checksum is verified before
            // any header field is believed (RFC 9293 §3.1), so even a flipped data offset counts here.
            corruptedDropped += stack.statistics.dropCount(.badChecksum)
            malformedDropped += stack.statistics.dropCount(.malformed)
            if let e = side.error { errors[side.host] = e }
        }
        // Liveness: everything finished, or failed with a clear error, within the bound.
        var notes: [String] = []
        let allArrived = directions.allSatisfy(\.intact)
        for side in [client, server] {
            if let e = side.error {
                if allArrived {
                    // Every byte and both FINs arrived; only the close went wrong: a side whose
                    // last ACK is lost keeps retransmitting its FIN, and if the backed-off
                    // retransmission reaches the peer after its TIME-WAIT (2×MSL, RFC 9293 §3.6)
                    // has run out, the answer is a RST. A clear error, and no data lost.
                    notes.append("\(side.host): \(e) after all data had arrived both ways (its FIN's ACK was lost and the peer's TIME-WAIT ran out first)")
                } else {
                    failures.append("\(side.host): the transfer failed: \(e)")
                }
            } else if side === server && side.connection == nil && client.error != nil {
                // The handshake never completed: the client's error says why; nothing hangs.
                continue
            } else if !side.closed {
                failures.append("\(side.host): not finished by the liveness bound at \(format(deadline)) (the last event was at \(format(ended))): connection \(states[side.host]!), \(side.delivered) bytes read")
            }
            if states[side.host] != .closed {
                failures.append("\(side.host): connection in \(states[side.host]!) at the end, not CLOSED")
            }
            if left[side.host]! > 0 {
                failures.append("\(side.host): the stack still holds \(left[side.host]!) connection(s) after close and TIME-WAIT (leak or hang)")
            }
        }
        // Nothing may leak: no handle (with its buffers), timer, queued segment or event is left.
        failures += Self.leaks(in: net)
        if net.packetsInFlight > 0 && ended < deadline {
            failures.append("\(net.packetsInFlight) packet(s) still on the wire at the end")
        }
        if client.error == nil && server.error == nil {
            for d in directions where !d.intact && d.firstMismatch == nil {
                failures.append("\(d.from) → \(d.to): \(d.delivered) of \(d.bytes) bytes arrived\(d.endOfStream ? "" : ", no end of stream")\(d.sha256Sent == d.sha256Received ? "" : ", SHA-256 differs")")
            }
        }
        // Every corrupted packet must have been caught by the checksum.
        let up = net.counters(from: "client", to: "server"), down = net.counters(from: "server", to: "client")
        let corrupted = up.corrupted + down.corrupted
        if corrupted != corruptedDropped {
            failures.append("\(corrupted) packets were corrupted on the link but \(corruptedDropped) were dropped as bad-checksum")
        }
        if malformedDropped > 0 {
            // The stacks only emit well-formed packets and corruption is caught by the checksum.
            failures.append("\(malformedDropped) packets were dropped as malformed")
        }
        return SimulationResult(
            seed: options.seed, directions: directions, completedAt: completedAt, endedAt: ended,
            finalStates: states, errors: errors, connectionsLeft: left,
            resourcesLeft: Dictionary(uniqueKeysWithValues: net.hosts.map { ($0.name, $0.stack.resources) }),
            retransmittedSegments: stats.values.map(\.retransmissions).reduce(0, +),
            statistics: stats, link: ["client→server": up, "server→client": down],
            samples: net.timeline.samples,
            finalInfo: Dictionary(uniqueKeysWithValues: [client, server].compactMap { s in s.finalInfo.map { (s.host, $0) } }),
            failures: failures, notes: notes)
    }

    private func format(_ t: Instant) -> String { String(format3(t.seconds)) + " s" }

    /// What each host's stack still holds that belongs to a connection (`TCPStack.resources`):
    /// a connection (a TCB), a handle the application never gave back (and with it the
    /// connection's buffers), an armed timer, a queued segment or an unread event. Listeners may
    /// stay open. One line per host that holds anything; empty when nothing leaked.
    public static func leaks(in net: SimulatedNetwork) -> [String] {
        net.hosts.compactMap { h in
            let r = h.stack.resources
            return r.noConnectionState ? nil : "\(h.name): leak: the stack still holds \(r) at the end"
        }
    }
}
