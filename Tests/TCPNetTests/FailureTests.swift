import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite(.timeLimit(.minutes(2)))
struct FailureTests {
    /// Few retries and short timers, so that giving up takes well under a second.
    static var impatient: TCPConfiguration {
        var c = StackPair.configuration
        c.synRetries = 2
        c.dataRetries = 2
        c.rtoMax = .milliseconds(200)
        return c
    }

    @Test("connect through a dead link fails with .timedOut after the SYN retries")
    func connectTimesOut() async throws {
        let pair = try StackPair(loss: 1.0, configuration: Self.impatient)
        _ = try pair.server.listen(port: 1)
        await #expect(throws: TCPConnectionError.timedOut) {
            _ = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 1))
        }
        // The SYN, its two retries and the RST sent on giving up (best effort), all lost.
        #expect(pair.devices.a.statistics.sent == 4)
        #expect(pair.devices.a.statistics.lost == 4)
        await pair.shutdown()
    }

    @Test("a link cut under an established connection: the writer's reads fail with .timedOut")
    func dataTimesOut() async throws {
        let pair = try StackPair(configuration: Self.impatient)
        let listener = try pair.server.listen(port: 2)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 2))
        let peer = try #require(try await accepted.value)
        pair.devices.a.setLoss(1)
        pair.devices.b.setLoss(1)
        let reader = Task { () async throws(TCPConnectionError) -> [UInt8]? in try await connection.read() }
        try await connection.write([1, 2, 3])
        let r = await reader.result
        #expect(throws: TCPConnectionError.timedOut) { try r.get() }
        await #expect(throws: TCPConnectionError.timedOut) { try await connection.write([4]) }
        _ = peer
        await pair.shutdown()
    }

    /// A RST takes no sequence space, so nothing acknowledges or repeats it (RFC 9293 §3.4): a
    /// lost one leaves the peer's connection open with nobody at the other end (half-open,
    /// §3.5.1). A reader waiting there would wait for ever; keep-alive (§3.8.4) finds out: the
    /// probe meets no TCB, the answer is a RST (§3.10.7.1), and the waiting reader gets `.reset`.
    /// (Seen in `StressTests`, whose echo server hung at 1% loss until its connections used
    /// keep-alive.)
    @Test("a lost RST leaves the peer half-open; keep-alive finds it and the waiting reader gets .reset")
    func lostResetFoundByKeepAlive() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 4)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 4))
        let peer = try #require(try await accepted.value)
        let reader = Task { () async throws(TCPConnectionError) -> [UInt8]? in try await peer.read() }

        pair.devices.a.setLoss(1)
        await connection.abort()                        // its one RST is lost
        #expect(pair.devices.a.statistics.lost == 1)
        pair.devices.a.setLoss(0)
        #expect(await pair.client.statistics().connections == 0)
        #expect(await peer.info()?.state == .established)   // half-open
        let resetsBefore = await pair.client.statistics().tcp.resetsSent
        // Keep-alive only now, so that no probe can come (and have its answer lost) before the abort.
        var options = ConnectionOptions()
        options.keepAlive = true
        options.keepAliveIdle = .seconds(1)
        options.keepAliveInterval = .seconds(1)
        options.keepAliveCount = 3
        try await peer.setOptions(options)

        let r = await reader.result
        #expect(throws: TCPConnectionError.reset) { try r.get() }
        // The client answered the keep-alive probe with a RST.
        #expect(await pair.client.statistics().tcp.resetsSent > resetsBefore)
        await pair.shutdown()
    }

    @Test("cancelling tasks suspended in read, write, accept and connect: .cancelled (or nil), no hang")
    func cancellation() async throws {
        var configuration = StackPair.configuration
        configuration.sendBufferBytes = 16 * 1024
        configuration.receiveBufferBytes = 16 * 1024
        let pair = try StackPair(configuration: configuration)
        let listener = try pair.server.listen(port: 3)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 3))
        let peer = try #require(try await accepted.value)

        // read with nothing to read
        let reader = Task { () async throws(TCPConnectionError) -> [UInt8]? in try await connection.read() }
        reader.cancel()
        let readResult = await reader.result
        #expect(throws: TCPConnectionError.cancelled) { _ = try readResult.get() }

        // write into a full send buffer (the peer does not read)
        // (An untyped task: a Void-returning typed-throws async closure crashes Swift 6.3.1's
        // LifetimeDependenceDiagnostics pass.)
        let writer = Task { try await connection.write(patternBytes(count: 1 << 20, seed: 1)) }
        #expect(await eventually { await connection.info()?.bytesBuffered == 16 * 1024 })
        writer.cancel()
        let writeResult = await writer.result
        #expect(throws: TCPConnectionError.cancelled) { try writeResult.get() }

        // accept with nobody connecting
        let acceptor = Task { () async throws(TCPConnectionError) -> TCPConnection? in try await listener.accept() }
        acceptor.cancel()
        let acceptResult = await acceptor.result
        #expect(throws: TCPConnectionError.cancelled) { _ = try acceptResult.get() }

        // connect into a dead link: the half-open connection is given up
        pair.devices.a.setLoss(1)
        let connector = Task { () async throws(TCPConnectionError) -> TCPConnection in
            try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 3))
        }
        #expect(await eventually { pair.devices.a.statistics.lost >= 1 })
        connector.cancel()
        let connectResult = await connector.result
        #expect(throws: TCPConnectionError.cancelled) { _ = try connectResult.get() }
        // Only the first connection is left on the client.
        #expect(await pair.client.statistics().connections == 1)
        _ = peer
        await pair.shutdown()
    }

    @Test("dropping the last reference to a connection closes it: the peer reads end of stream")
    func dropCloses() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 4)
        let accepted = Task { try await listener.accept() }
        do {
            let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 4))
            try await connection.write(Array("last words".utf8))
        }
        let peer = try #require(try await accepted.value)
        #expect(try await readAll(peer) == Array("last words".utf8))
        await pair.shutdown()
    }
}
