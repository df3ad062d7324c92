// RFC 9293 §3.9.1.1 (OPEN) and §3.10.1, with a stack that has two IPv4 addresses and one IPv6:
//   MUST-41: a passive OPEN does not disturb connections already made;
//   MUST-42: several LISTENs on the same port at once;
//   MUST-43: OPEN takes an optional local IP address;
//   MUST-44: without one, the SYN's destination address becomes the connection's local address
//            (IP gives the source address to use);
//   MUST-45: with one, every segment of the connection leaves from it.
// And RFC 9293 §3.10.7.4 / MUST-59: all queued segments are processed before an ACK is sent.

import Testing
import TCPWire
import TCPCore

private let first = IPAddress.v4(IPv4Address(10, 0, 0, 1))
private let second = IPAddress.v4(IPv4Address(10, 0, 0, 3))
private let remote = SocketAddress(peerIP, peerPort)

/// A stack with three addresses, driven packet by packet with explicit addresses.
private struct TwoAddressHost {
    var stack: TCPStack
    var now = Instant.zero
    var sent: [Sent] = []

    init() {
        var rng = SplitMix64(seed: 7)
        stack = TCPStack(addresses: [first, second, ourIP6], configuration: Harness.configuration(), random: &rng, secrets: .seeded)
    }

    /// Delivers `seg` from `source` to `destination`, without polling what the stack sends.
    mutating func deliver(_ seg: Seg, from source: SocketAddress = remote, to destination: SocketAddress) {
        stack.handle(ipPacket: seg.packet(from: source, to: destination), now: now)
    }

    /// Collects what the stack has to send.
    mutating func poll() -> [Sent] {
        var buffer = [UInt8](repeating: 0, count: 70_000)
        var out: [Sent] = []
        while let n = buffer.withUnsafeMutableBytes({ stack.pollTransmit(now: now, into: $0) }) {
            let t = now
            out.append(buffer.withUnsafeBytes { parseSent(UnsafeRawBufferPointer(rebasing: $0[0..<n]), time: t) })
        }
        return out
    }

    /// Completes a passive handshake from `source` to `destination`; returns the peer's ISN + 1
    /// and our ISN + 1 (the next sequence numbers each way) and what the stack sent.
    mutating func handshake(from source: SocketAddress = remote, to destination: SocketAddress, irs: SequenceNumber)
        -> (synAck: Sent, ours: SequenceNumber) {
        deliver(Seg(.syn, seq: irs, mss: 1460), from: source, to: destination)
        let synAck = poll()
        precondition(synAck.count == 1)
        let iss = synAck[0].seg.seq
        deliver(Seg(.ack, seq: irs + 1, ack: iss + 1), from: source, to: destination)
        return (synAck[0], iss + 1)
    }
}

@Suite("OPEN: local addresses and listeners (RFC 9293 §3.9.1.1)")
struct OpenAddressTests {
    @Test("several LISTENs on one port: per address, and a wildcard beside them; each SYN reaches the most specific (MUST-42)")
    func severalListens() throws {
        var host = TwoAddressHost()
        let wildcard = try host.stack.listen(port: 80)
        let onSecond = try host.stack.listen(port: 80, address: second)
        let onIPv6 = try host.stack.listen(port: 80, address: ourIP6)
        _ = host.handshake(to: SocketAddress(first, 80), irs: 1000)
        _ = host.handshake(to: SocketAddress(second, 80), irs: 2000)
        _ = host.handshake(from: SocketAddress(peerIP6, peerPort), to: SocketAddress(ourIP6, 80), irs: 3000)
        let a = try #require(try host.stack.accept(wildcard))
        let b = try #require(try host.stack.accept(onSecond))
        let c = try #require(try host.stack.accept(onIPv6))
        #expect(host.stack.info(of: a)?.local == SocketAddress(first, 80))
        #expect(host.stack.info(of: b)?.local == SocketAddress(second, 80))
        #expect(host.stack.info(of: c)?.local == SocketAddress(ourIP6, 80))
        #expect(try host.stack.accept(wildcard) == nil && host.stack.accept(onSecond) == nil && host.stack.accept(onIPv6) == nil)
    }

    @Test("a passive OPEN leaves established connections alone: a new listener on their port, and one after the old listener closed (MUST-41)")
    func passiveOpenDisturbsNothing() throws {
        var host = TwoAddressHost()
        let listener = try host.stack.listen(port: 80)
        let (_, ours) = host.handshake(to: SocketAddress(first, 80), irs: 1000)
        let conn = try #require(try host.stack.accept(listener))
        // A listener for the same port on the connection's own address, then the first listener
        // closed and a new wildcard one opened: the connection stays as it was.
        let specific = try host.stack.listen(port: 80, address: first)
        try host.stack.closeListener(listener, now: host.now)
        _ = try host.stack.listen(port: 80)
        #expect(host.poll().isEmpty)
        #expect(host.stack.state(of: conn) == .established)
        // Its segments still go to it, not to a listener: data is taken and acknowledged.
        host.deliver(Seg([.ack, .psh], seq: SequenceNumber(1001), ack: ours, payload: bytes("hello")), to: SocketAddress(first, 80))
        let ack = host.poll()
        #expect(ack.map(\.seg) == [Seg(.ack, seq: ours, ack: SequenceNumber(1006), window: window(unread: 5))])
        #expect(try host.stack.receive(conn, maxBytes: 100, now: host.now) == bytes("hello"))
        #expect(try host.stack.accept(specific) == nil)
        // Sending works as before.
        _ = try host.stack.send(conn, bytes("world"), now: host.now)
        #expect(host.poll().map(\.seg.payload) == [bytes("world")])
    }

    @Test("a listener on every address answers from the address the SYN was sent to, and the connection keeps it (MUST-44)")
    func wildcardUsesTheSYNsDestination() throws {
        var host = TwoAddressHost()
        let listener = try host.stack.listen(port: 80)
        for (destination, irs) in [(first, SequenceNumber(1000)), (second, SequenceNumber(5000))] {
            let (synAck, ours) = host.handshake(to: SocketAddress(destination, 80), irs: irs)
            #expect(synAck.source == SocketAddress(destination, 80))
            #expect(synAck.destination == remote)
            let conn = try #require(try host.stack.accept(listener))
            #expect(host.stack.info(of: conn)?.local == SocketAddress(destination, 80))
            _ = try host.stack.send(conn, bytes("x"), now: host.now)
            let data = host.poll()
            #expect(data.map(\.source) == [SocketAddress(destination, 80)])
            #expect(data.map(\.seg.seq) == [ours])
            try host.stack.abort(conn, now: host.now)
            #expect(host.poll().map(\.source) == [SocketAddress(destination, 80)])   // the RST too
        }
    }

    @Test("an active OPEN takes a local address: every segment leaves from it; without one, the stack picks one of the remote's family (MUST-43, MUST-45)")
    func activeOpenLocalAddress() throws {
        var host = TwoAddressHost()
        let conn = try host.stack.connect(to: remote, from: second, now: host.now)
        let syn = host.poll()
        #expect(syn.count == 1 && syn[0].seg.flags == .syn)
        #expect(syn[0].source.address == second)
        let local = syn[0].source
        let iss = syn[0].seg.seq
        host.deliver(Seg([.syn, .ack], seq: SequenceNumber(9000), ack: iss + 1, mss: 1460), to: local)
        _ = try host.stack.send(conn, bytes("data"), now: host.now)
        try host.stack.close(conn, now: host.now)
        let rest = host.poll()
        #expect(rest.last?.seg.flags.contains(.fin) == true)
        #expect(rest.map(\.seg.payload.count).reduce(0, +) == 4)
        #expect(rest.allSatisfy { $0.source == local && $0.destination == remote })
        #expect(host.stack.info(of: conn)?.local == local)

        // No local address: one of the stack's own, of the remote's family.
        let other = try host.stack.connect(to: SocketAddress(peerIP6, 443), now: host.now)
        #expect(host.poll().map(\.source.address) == [ourIP6])
        #expect(host.stack.info(of: other)?.local.address == ourIP6)
        // An address the stack does not have, or of the other family, is refused.
        #expect(throws: TCPError.addressNotAvailable) { _ = try host.stack.connect(to: remote, from: peerIP, now: host.now) }
        #expect(throws: TCPError.addressNotAvailable) { _ = try host.stack.connect(to: remote, from: ourIP6, now: host.now) }
    }

    @Test("segments that arrive together are all processed before the ACK: one ACK covers them, in order or not (MUST-59)")
    func oneACKForQueuedSegments() throws {
        var host = TwoAddressHost()
        let listener = try host.stack.listen(port: 80)
        let (_, ours) = host.handshake(to: SocketAddress(first, 80), irs: 1000)
        let conn = try #require(try host.stack.accept(listener))
        let to = SocketAddress(first, 80)
        // Three in-order segments handed over before the stack is polled.
        for k in 0..<3 {
            host.deliver(Seg(.ack, seq: SequenceNumber(1001) + 100 * k, ack: ours, payload: Array(repeating: UInt8(k), count: 100)), to: to)
        }
        #expect(host.poll().map(\.seg) == [Seg(.ack, seq: ours, ack: SequenceNumber(1301), window: window(unread: 300))])
        // Out of order: the two later segments, then the one that fills the hole.
        host.deliver(Seg(.ack, seq: SequenceNumber(1401), ack: ours, payload: Array(repeating: 4, count: 100)), to: to)
        host.deliver(Seg(.ack, seq: SequenceNumber(1501), ack: ours, payload: Array(repeating: 5, count: 100)), to: to)
        host.deliver(Seg(.ack, seq: SequenceNumber(1301), ack: ours, payload: Array(repeating: 3, count: 100)), to: to)
        #expect(host.poll().map(\.seg) == [Seg(.ack, seq: ours, ack: SequenceNumber(1601), window: window(unread: 600))])
        let data = try #require(try host.stack.receive(conn, maxBytes: 1000, now: host.now))
        #expect(data == (0..<6).flatMap { Array(repeating: UInt8($0), count: 100) })
    }
}
