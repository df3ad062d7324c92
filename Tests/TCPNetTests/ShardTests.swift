import Synchronization
import Testing
import TCPCore
import TCPNet
import TCPWire

/// A sharded stack (two shards on the queues of a `MultiQueueLink`) and an unsharded peer on the
/// link's other side, as a kernel on the other side of a multi-queue TUN interface.
struct ShardedPair {
    let link: MultiQueueLink
    let sharded: NetworkStack
    let peer: NetworkStack

    init(shards: Int = 2, configuration: TCPConfiguration = StackPair.configuration, seed: UInt64 = 7) throws {
        link = MultiQueueLink(queues: shards)
        sharded = try NetworkStack(devices: link.queues, addresses: [StackPair.serverV4, StackPair.serverV6],
                                   configuration: configuration, seed: seed)
        peer = try NetworkStack(device: link.peer, addresses: [StackPair.clientV4, StackPair.clientV6],
                                configuration: configuration, seed: seed &+ 1)
    }

    func shutdown() async {
        await peer.shutdown(gracePeriod: .milliseconds(500))
        await sharded.shutdown(gracePeriod: .milliseconds(500))
    }
}

/// The shards of the connections a server accepted, in order.
final class ShardLog: Sendable {
    let value = Mutex<[Int]>([])
    func withLock<T>(_ body: (inout [Int]) -> T) -> T { value.withLock { body(&$0) } }
}

/// Echoes every connection `listener` accepts until it ends; records each one's shard.
func echoServer(_ listener: TCPListener, shards: ShardLog) -> Task<Void, Never> {
    Task {
        await withDiscardingTaskGroup { group in
            while let c = try? await listener.accept() {
                shards.withLock { $0.append(c.shard) }
                group.addTask {
                    do {
                        for try await chunk in c { try await c.write(chunk) }
                        await c.close()
                    } catch {
                        await c.abort()
                    }
                }
            }
        }
    }
}

/// Sends `bytes` on `c` and reads as many back, leaving the connection open (so that counters
/// read afterwards see no closing handshake: a late segment of a closed connection rightly draws a
/// RST, and under load a tail loss probe can make one).
func roundTrip(_ c: TCPConnection, _ bytes: [UInt8]) async throws -> [UInt8] {
    async let sent: Void = writeAll(c, bytes)
    var got: [UInt8] = []
    while got.count < bytes.count, let chunk = try await c.read() { got += chunk }
    try await sent
    return got
}

/// Sends `bytes` on `c`, half-closes, and returns what came back until the peer's FIN.
func echoed(_ c: TCPConnection, _ bytes: [UInt8]) async throws -> [UInt8] {
    async let back = readAll(c)
    try await writeAll(c, bytes)
    try await c.shutdown(.write)
    return try await back
}

@Suite(.timeLimit(.minutes(2)))
struct ShardTests {
    @Test("connections from the peer spread over the shards, the listener accepts from all, data intact")
    func incomingSpread() async throws {
        let pair = try ShardedPair()
        let accepted = ShardLog()
        let server = echoServer(try pair.sharded.listen(port: 7), shards: accepted)
        let clients = try await withThrowingTaskGroup(of: TCPConnection.self) { group in
            for i in 0..<16 {
                group.addTask {
                    let address = i % 2 == 0 ? StackPair.serverV4 : StackPair.serverV6
                    let c = try await pair.peer.connect(to: SocketAddress(address, 7))
                    let bytes = patternBytes(count: 48_000 + i, seed: UInt64(i))
                    let got = try await roundTrip(c, bytes)
                    #expect(got == bytes)
                    return c
                }
            }
            return try await group.reduce(into: [TCPConnection]()) { $0.append($1) }
        }
        let shards = accepted.withLock { $0 }
        #expect(shards.count == 16)
        #expect(Set(shards) == [0, 1])
        let perShard = await pair.sharded.shardStatistics()
        #expect(perShard.count == 2)
        #expect(perShard.map(\.tcp.connectionsAccepted) == [shards.count { $0 == 0 }, shards.count { $0 == 1 }])
        // The peer's segments went to the queue their SYN-ACK left by: none was handed on.
        #expect(perShard.map(\.driver.segmentsHandedOff) == [0, 0])
        #expect(pair.link.deliveredToQueues.allSatisfy { $0 > 0 })
        for c in clients { await c.close() }
        await pair.shutdown()
        await server.value
    }

    @Test("connect balances the shards; each connection's packets leave by its own queue")
    func outgoingBalanced() async throws {
        let pair = try ShardedPair()
        let accepted = ShardLog()
        let server = echoServer(try pair.peer.listen(port: 9), shards: accepted)
        var connections: [TCPConnection] = []
        for _ in 0..<16 {
            connections.append(try await pair.sharded.connect(to: SocketAddress(StackPair.clientV4, 9)))
        }
        // Every handle is alive, so the least loaded shard alternates.
        #expect(connections.count { $0.shard == 0 } == 8)
        #expect(connections.count { $0.shard == 1 } == 8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, c) in connections.enumerated() {
                group.addTask {
                    let bytes = patternBytes(count: 40_000 + 7 * i, seed: UInt64(100 + i))
                    let got = try await roundTrip(c, bytes)
                    #expect(got == bytes)
                }
            }
            try await group.waitForAll()
        }
        let perShard = await pair.sharded.shardStatistics()
        #expect(perShard.map(\.tcp.connectionsOpened) == [8, 8])
        #expect(perShard.map(\.driver.segmentsHandedOff) == [0, 0])
        #expect(perShard.allSatisfy { $0.driver.packetsReceived > 0 && $0.driver.packetsSent > 0 })
        for c in connections { await c.close() }
        await pair.shutdown()
        await server.value
    }

    @Test("many connects: every local port distinct, each shard in its own slice of the range")
    func ephemeralPortsDisjoint() async throws {
        var configuration = StackPair.configuration
        configuration.ephemeralPorts = 40000...40063
        let pair = try ShardedPair(configuration: configuration)
        let listener = try pair.peer.listen(port: 9, backlog: 256)
        var connections: [TCPConnection] = []
        for _ in 0..<64 {
            connections.append(try await pair.sharded.connect(to: SocketAddress(StackPair.clientV4, 9)))
        }
        let ports = connections.map(\.localAddress.port)
        #expect(Set(ports).count == 64)
        #expect(connections.filter { $0.shard == 0 }.allSatisfy { (40000...40031).contains($0.localAddress.port) })
        #expect(connections.filter { $0.shard == 1 }.allSatisfy { (40032...40063).contains($0.localAddress.port) })
        // The range is used up on both shards.
        await #expect(throws: TCPConnectionError.noEphemeralPort) {
            _ = try await pair.sharded.connect(to: SocketAddress(StackPair.clientV4, 9))
        }
        _ = listener
        for c in connections { await c.abort() }
        await pair.shutdown()
    }

    @Test("a range with fewer ports than shards is a configuration error")
    func tooFewPorts() throws {
        var configuration = StackPair.configuration
        configuration.ephemeralPorts = 40000...40000
        #expect(throws: NetworkStack.ShardingError.tooFewEphemeralPorts(ports: 1, shards: 2)) {
            _ = try NetworkStack(devices: MultiQueueLink(queues: 2).queues, addresses: [StackPair.serverV4], configuration: configuration)
        }
        #expect(throws: NetworkStack.ShardingError.noDevices) {
            _ = try NetworkStack(devices: [], addresses: [StackPair.serverV4])
        }
    }

    @Test("statistics() is the sum of the shards' counters")
    func statisticsSum() async throws {
        let pair = try ShardedPair()
        let accepted = ShardLog()
        let server = echoServer(try pair.sharded.listen(port: 7), shards: accepted)
        for i in 0..<6 {
            let c = try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))
            let bytes = patternBytes(count: 5000, seed: UInt64(i))
            #expect(try await echoed(c, bytes) == bytes)
            await c.close()
        }
        await pair.shutdown()
        await server.value
        let total = await pair.sharded.statistics()
        let shards = await pair.sharded.shardStatistics()
        #expect(total.driver.packetsReceived == shards.map(\.driver.packetsReceived).reduce(0, +))
        #expect(total.driver.bytesSent == shards.map(\.driver.bytesSent).reduce(0, +))
        #expect(total.tcp.segmentsReceived == shards.map(\.tcp.segmentsReceived).reduce(0, +))
        #expect(total.tcp.connectionsAccepted == 6)
        #expect(total.connections == shards.map(\.connections).reduce(0, +))
        #expect(total.driver.packetsReceived > 0)
    }

    @Test("the kernel's steering changes: segments reach the shard that owns their connection, no RST")
    func misroutedSegmentsHandedToOwner() async throws {
        let pair = try ShardedPair()
        let accepted = ShardLog()
        let server = echoServer(try pair.sharded.listen(port: 7), shards: accepted)
        let peerAccepted = ShardLog()
        let peerServer = echoServer(try pair.peer.listen(port: 9), shards: peerAccepted)
        var connections: [TCPConnection] = []
        for _ in 0..<4 { connections.append(try await pair.sharded.connect(to: SocketAddress(StackPair.clientV4, 9))) }
        for _ in 0..<6 { connections.append(try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))) }
        #expect(Set(connections.prefix(4).map(\.shard)) == [0, 1])
        // From now on everything from the peer arrives on queue 0, whichever shard owns it.
        pair.link.steer { _ in 0 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, c) in connections.enumerated() {
                group.addTask {
                    // Sent and echoed back without closing: every connection is still open
                    // when the counters are read, so a RST could only be a misrouted segment's.
                    let bytes = patternBytes(count: 30_000 + i, seed: UInt64(200 + i))
                    let got = try await roundTrip(c, bytes)
                    #expect(got == bytes)
                }
            }
            try await group.waitForAll()
        }
        // The last ACKs may still be on their way: once the link is quiet, shard 1 took over
        // every segment shard 0 handed on (the two snapshots are taken one after the other).
        #expect(await eventually {
            let s = await pair.sharded.shardStatistics()
            return s[1].driver.segmentsTakenOver == s[0].driver.segmentsHandedOff
        })
        let shards = await pair.sharded.shardStatistics()
        #expect(shards[0].driver.segmentsHandedOff > 0)       // shard 1's segments, from queue 0
        #expect(shards[1].driver.segmentsHandedOff == 0)
        #expect(shards.allSatisfy { $0.driver.handOffDropped == 0 })
        #expect(shards.allSatisfy { $0.tcp.resetsSent == 0 })
        #expect(await pair.peer.statistics().tcp.dropCount(.noConnection) == 0)
        for c in connections { await c.close() }
        await pair.shutdown()
        await server.value
        await peerServer.value
    }

    @Test("an outgoing connection whose SYN-ACK arrives on another shard's queue opens (as on tun)")
    func synACKOnOtherShard() async throws {
        // Tun records a flow's queue only after the kernel has answered our first packet, so the
        // SYN-ACK goes where the hash says: here, always queue 0.
        let pair = try ShardedPair()
        let accepted = ShardLog()
        let server = echoServer(try pair.peer.listen(port: 9), shards: accepted)
        pair.link.steer { _ in 0 }
        var connections: [TCPConnection] = []
        for _ in 0..<4 { connections.append(try await pair.sharded.connect(to: SocketAddress(StackPair.clientV4, 9))) }
        #expect(connections.count { $0.shard == 1 } == 2)
        for (i, c) in connections.enumerated() {
            let bytes = patternBytes(count: 10_000, seed: UInt64(300 + i))
            let got = try await roundTrip(c, bytes)
            #expect(got == bytes)
        }
        let shards = await pair.sharded.shardStatistics()
        #expect(shards[0].driver.segmentsHandedOff > 0)
        #expect(shards.allSatisfy { $0.tcp.resetsSent == 0 })
        for c in connections { await c.close() }
        await pair.shutdown()
        await server.value
    }

    @Test("a segment no shard knows goes round the ring and is answered (RST) where it arrived")
    func straySegment() async throws {
        let pair = try ShardedPair()
        let header = TCPHeader(sourcePort: 5555, destinationPort: 4444, sequenceNumber: SequenceNumber(1000),
                               acknowledgmentNumber: SequenceNumber(2000), flags: [.ack], window: 1000)
        let packet = try TCPPacket.build(source: StackPair.clientV4, destination: StackPair.serverV4, header: header)
        pair.link.inject(packet, toQueue: 1)
        #expect(await eventually { await pair.sharded.statistics().tcp.resetsSent == 1 })
        let shards = await pair.sharded.shardStatistics()
        #expect(shards.map(\.driver.segmentsHandedOff) == [1, 1])    // 1 → 0, then 0 → 1
        #expect(shards.map(\.driver.segmentsTakenOver) == [1, 1])
        #expect(shards.map(\.tcp.resetsSent) == [0, 1])
        await pair.shutdown()
    }

    @Test("accept takes from every shard in turn: neither shard's queue starves")
    func fairAccept() async throws {
        let pair = try ShardedPair()
        let listener = try pair.sharded.listen(port: 7)
        var clients: [TCPConnection] = []
        for queue in [0, 1] {
            pair.link.steer { _ in queue }
            for _ in 0..<6 { clients.append(try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))) }
        }
        pair.link.steer(nil)
        var order: [Int] = []
        var accepted: [TCPConnection] = []
        for _ in 0..<12 {
            guard let c = try await listener.accept() else { break }
            order.append(c.shard)
            accepted.append(c)
        }
        #expect(order.count { $0 == 0 } == 6)
        #expect(order.count { $0 == 1 } == 6)
        // Six connections waited on each shard: accepts alternate instead of draining one first.
        #expect(Set(order.prefix(2)) == [0, 1])
        #expect(Set(order.suffix(2)) == [0, 1])
        // With none waiting, accept waits for whichever shard gets the next one.
        let waiting = Task { try await listener.accept()?.shard }
        try await Task.sleep(for: .milliseconds(20))
        pair.link.steer { _ in 1 }
        let late = try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))
        #expect(try await waiting.value == 1)
        _ = late
        for c in clients + accepted { await c.abort() }
        await pair.shutdown()
    }

    @Test("two accepts waiting at once each get one of two connections queued on one shard")
    func concurrentAccepts() async throws {
        let pair = try ShardedPair()
        let listener = try pair.sharded.listen(port: 7)
        let first = Task { try await listener.accept() }
        let second = Task { try await listener.accept() }
        try await Task.sleep(for: .milliseconds(20))
        pair.link.steer { _ in 1 }
        let c1 = try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))
        let c2 = try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))
        let a = try await first.value, b = try await second.value
        #expect(a?.shard == 1 && b?.shard == 1)
        #expect(Set([a?.remoteAddress, b?.remoteAddress]) == Set([c1.localAddress, c2.localAddress]))
        await pair.shutdown()
    }

    @Test("accept(fromShard:) takes only that shard's connections")
    func acceptFromShard() async throws {
        let pair = try ShardedPair()
        let listener = try pair.sharded.listen(port: 7)
        pair.link.steer { _ in 1 }
        let c = try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))
        let zero = Task { try await listener.accept(fromShard: 0) }
        let one = try await listener.accept(fromShard: 1)
        #expect(one?.shard == 1 && one?.remoteAddress == c.localAddress)
        try await Task.sleep(for: .milliseconds(20))
        zero.cancel()
        await #expect(throws: TCPConnectionError.cancelled) { _ = try await zero.value }
        await pair.shutdown()
    }

    @Test("shutdown stops every shard: devices stopped, listener ends, connect fails")
    func shutdownStopsAll() async throws {
        let pair = try ShardedPair(shards: 3)
        let listener = try pair.sharded.listen(port: 7)
        let pending = Task { try await listener.accept() }
        let c = try await pair.peer.connect(to: SocketAddress(StackPair.serverV4, 7))
        #expect(try await pending.value != nil)
        let waiting = Task { try await listener.accept() }
        try await Task.sleep(for: .milliseconds(20))
        await pair.sharded.shutdown(gracePeriod: .milliseconds(300))
        #expect(try await waiting.value == nil)
        #expect(pair.link.queuesStopped == [true, true, true])
        await #expect(throws: TCPConnectionError.stackShutDown) {
            _ = try await pair.sharded.connect(to: SocketAddress(StackPair.clientV4, 9))
        }
        // The peer's connection was closed by the shutdown (FIN): it reads the end of stream.
        #expect(try await c.read() == nil)
        await pair.peer.shutdown(gracePeriod: .milliseconds(300))
    }
}
