import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite(.timeLimit(.minutes(2)))
struct CloseTests {
    /// RFC 9293 §3.10.4: after the client's FIN the server can still send; the client reads the
    /// rest to the end of the stream.
    @Test("half-close: the server still sends after the client's shutdown(.write)")
    func halfClose() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 80)
        let response = patternBytes(count: 1 << 20, seed: 7)
        let server = Task { () throws -> [UInt8] in
            guard let connection = try await listener.accept() else { return [] }
            let request = try await readAll(connection)     // to the client's FIN
            try await writeAll(connection, response)         // then the whole response
            await connection.close()
            return request
        }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 80))
        try await connection.write(Array("GET / please".utf8))
        try await connection.shutdown(.write)
        await #expect(throws: TCPConnectionError.closed) { try await connection.write([1]) }
        let got = try await readAll(connection)
        #expect(got == response)
        #expect(try await server.value == Array("GET / please".utf8))
        await connection.close()
        await pair.shutdown()
    }

    @Test("connect to a port nobody listens on fails with .refused", arguments: [false, true])
    func refused(ipv6: Bool) async throws {
        let pair = try StackPair()
        await #expect(throws: TCPConnectionError.refused) {
            _ = try await pair.client.connect(to: SocketAddress(ipv6 ? StackPair.serverV6 : StackPair.serverV4, 4444))
        }
        let stats = await pair.server.statistics()
        #expect(stats.tcp.resetsSent == 1)
        await pair.shutdown()
    }

    @Test("abort sends RST: the peer's read fails with .reset, its write too")
    func abortResetsPeer() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 81)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 81))
        let peer = try #require(try await accepted.value)
        try await connection.write([1, 2, 3])
        #expect(try await peer.read() == [1, 2, 3])
        let reader = Task { () async throws(TCPConnectionError) -> [UInt8]? in try await peer.read() }
        await connection.abort()
        let result = await reader.result
        #expect(throws: TCPConnectionError.reset) { try result.get() }
        await #expect(throws: TCPConnectionError.reset) { try await peer.write([4]) }
        // Our side gave the connection up.
        await #expect(throws: TCPConnectionError.closed) { _ = try await connection.read() }
        #expect(await connection.info() == nil)
        await pair.shutdown()
    }

    @Test("close: the peer reads to end of stream, and both ends get to CLOSED or TIME-WAIT")
    func orderlyClose() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 82)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 82))
        let peer = try #require(try await accepted.value)
        try await connection.write(Array("bye".utf8))
        await connection.close()
        #expect(try await readAll(peer) == Array("bye".utf8))
        #expect(await peer.info()?.state == .closeWait)
        await peer.close()
        // The active closer passes through TIME-WAIT (2×MSL = 100 ms here) and the TCB goes.
        #expect(await eventually { await pair.client.statistics().connections == 0 })
        #expect(await eventually { await pair.server.statistics().connections == 0 })
        await pair.shutdown()
    }

    /// A connection the application already closed (FIN-WAIT-2, the peer still to close) is
    /// waited for too: the stack answers the peer's FIN before it stops, so the peer's side gets
    /// from LAST-ACK to CLOSED instead of retransmitting its FIN into a dead stack.
    @Test("stack shutdown waits for connections closed earlier to finish their handshake")
    func shutdownWaitsForClosedConnections() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 85)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 85))
        let peer = try #require(try await accepted.value)
        try await connection.write(Array("x".utf8))
        await connection.close()
        #expect(await eventually { await peer.info()?.state == .closeWait })
        let stopping = Task { await pair.client.shutdown(gracePeriod: .seconds(20)) }
        #expect(try await readAll(peer) == Array("x".utf8))
        await peer.close()
        await stopping.value
        #expect(await eventually { await pair.server.statistics().connections == 0 })
        #expect(await pair.client.statistics().tcp.resetsSent == 0)
        await pair.server.shutdown()
    }

    @Test("stack shutdown closes connections: the peer sees end of stream, local calls fail")
    func stackShutdown() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 83)
        let acceptor = Task { () throws -> [TCPConnection] in
            var out: [TCPConnection] = []
            for try await c in listener {
                out.append(c)
                if out.count == 3 { break }
            }
            return out
        }
        var clients: [TCPConnection] = []
        for _ in 0..<3 { clients.append(try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 83))) }
        let servers = try await acceptor.value
        // A reader waiting on the server side when the server stack shuts down.
        let waiting = Task { () async throws(TCPConnectionError) -> [UInt8]? in try await servers[0].read() }
        // The clients read to the server's FIN and close in turn, while the server shuts down.
        let peersClose = Task { () throws -> Int in
            var ends = 0
            for c in clients {
                if try await c.read() == nil { ends += 1 }
                await c.close()
            }
            return ends
        }
        await pair.server.shutdown(gracePeriod: .seconds(20))
        #expect(try await peersClose.value == 3)
        // Every handshake finished (the clients' sides went through LAST-ACK to CLOSED): none was
        // reset for running out of time.
        #expect(await eventually { await pair.client.statistics().connections == 0 })
        #expect(await pair.server.statistics().tcp.resetsSent == 0)
        let r = await waiting.result
        #expect(throws: TCPConnectionError.closed) { try r.get() }
        await #expect(throws: TCPConnectionError.closed) { try await servers[1].write([1]) }
        #expect(throws: TCPConnectionError.stackShutDown) { _ = try pair.server.listen(port: 84) }
        await #expect(throws: TCPConnectionError.stackShutDown) {
            _ = try await pair.server.connect(to: SocketAddress(StackPair.clientV4, 1))
        }
        // The listener's sequence ended.
        #expect(try await listener.accept() == nil)
        await pair.client.shutdown()
    }
}
