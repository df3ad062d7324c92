import Synchronization
import Testing
import TCPCore
import TCPNet
import TCPWire

/// Many tasks on two stacks at once: concurrent connects, accepts, reads, writes, half-closes,
/// aborts and cancelled reads. Meant to run under `swift test --sanitize=thread --filter TCPNetTests`
/// as well: it checks the data, and the sanitizer checks the threads.
@Suite(.timeLimit(.minutes(3)))
struct StressTests {
    static var keepAlive: ConnectionOptions {
        var o = ConnectionOptions()
        o.keepAlive = true
        o.keepAliveIdle = .seconds(1)
        o.keepAliveInterval = .seconds(1)
        return o
    }

    @Test("48 concurrent connections: echo returns every byte, aborts and cancellations mixed in")
    func manyConnections() async throws {
        let pair = try StackPair(loss: 0.01, seed: 3)
        let listener = try pair.server.listen(port: 7000, backlog: 64)
        let connections = 48
        // Server: one task per accepted connection, echoing until the peer's FIN.
        let server = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                var accepted = 0
                for try await connection in listener {
                    accepted += 1
                    // A client's abort sends one RST; at 1% loss it may be lost (a RST takes no
                    // sequence space, so nothing acknowledges or repeats it: RFC 9293 §3.4),
                    // leaving this side half-open (§3.5.1) with a reader waiting for ever.
                    // Keep-alive (§3.8.4) finds such a connection: its probe is answered with a
                    // RST. (FailureTests.lostResetFoundByKeepAlive)
                    try await connection.setOptions(Self.keepAlive)
                    group.addTask {
                        var n = 0
                        do {
                            for try await chunk in connection {
                                try await connection.write(chunk)
                                n += chunk.count
                            }
                            try await connection.shutdown(.write)
                        } catch TCPConnectionError.reset {
                            // the client aborted this one
                        }
                        await connection.close()
                        return n
                    }
                    if accepted == connections { break }
                }
                var echoed = 0
                for try await n in group { echoed += n }
                return echoed
            }
        }
        let expectedEchoed = try await withThrowingTaskGroup(of: Int.self) { group in
            for k in 0..<connections {
                group.addTask {
                    let connection = try await pair.client.connect(to: SocketAddress(k % 2 == 0 ? StackPair.serverV4 : StackPair.serverV6, 7000))
                    switch k % 4 {
                    case 3:
                        // Abort after a little traffic, while a reader is waiting; then a reader
                        // task that gets cancelled must return (not hang).
                        try await connection.write(patternBytes(count: 1000, seed: UInt64(k)))
                        _ = try await connection.read()
                        let waiting = Task { try await connection.read() }
                        waiting.cancel()
                        _ = await waiting.result
                        await connection.abort()
                        return 0
                    default:
                        let size = 20_000 + 7_919 * k
                        let data = patternBytes(count: size, seed: UInt64(k))
                        async let echoed = readAll(connection)
                        try await writeAll(connection, data, piece: 1000 + 97 * k)
                        try await connection.shutdown(.write)
                        let back = try await echoed
                        #expect(back == data, "connection \(k)")
                        await connection.close()
                        return size
                    }
                }
            }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        let echoedAtServer = try await server.value
        // Aborted connections may have echoed their first 1000 bytes or not; the others all.
        #expect(echoedAtServer >= expectedEchoed)
        #expect(echoedAtServer <= expectedEchoed + 1000 * (connections / 4))
        await pair.shutdown()
    }

    @Test("concurrent listeners, connects and shutdown racing with traffic end without hanging")
    func shutdownRace() async throws {
        let pair = try StackPair(seed: 11)
        var listeners: [TCPListener] = []
        for port in 8000..<8004 { listeners.append(try pair.server.listen(port: UInt16(port))) }
        let servers = listeners.map { listener in
            Task {
                await withTaskGroup(of: Void.self) { group in
                    while let c = try? await listener.accept() {
                        group.addTask { while (try? await c.read()) ?? nil != nil {} }
                    }
                }
            }
        }
        let clients = (0..<16).map { k in
            Task {
                guard let c = try? await pair.client.connect(to: SocketAddress(StackPair.serverV4, UInt16(8000 + k % 4))) else { return }
                let data = patternBytes(count: 50_000, seed: UInt64(k))
                while (try? await c.write(data)) != nil {}
            }
        }
        // Let some traffic flow, then shut the server down under the clients' feet.
        _ = await eventually { await pair.server.statistics().tcp.segmentsReceived > 200 }
        await pair.server.shutdown(gracePeriod: .milliseconds(200))
        for s in servers { await s.value }      // every listener's sequence ended
        await pair.client.shutdown(gracePeriod: .milliseconds(200))
        for c in clients { await c.value }      // every writer saw an error and stopped
        #expect(await pair.server.statistics().tcp.connectionsAccepted > 0)
    }
}
