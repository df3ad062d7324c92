import Testing
import TCPCore
import TCPNet
import TCPNetApps

/// `TCPServer`'s echo (RFC 862) and discard (RFC 863) modes, and its listener loop.
@Suite(.timeLimit(.minutes(1)))
struct TCPServerTests {
    @Test("Echo: 1 MiB comes back byte for byte while it is sent; our FIN, then the server's")
    func echoBulk() async throws {
        let pair = try AppPair()
        let server = try pair.serveOne(.echo, port: 7)
        let client = try await pair.connect(port: 7)
        let bytes = patternBytes(count: 1 << 20, seed: 3)
        let connection = client.connection
        // Send and read at once: the echo fills our receive buffer otherwise.
        let sender = Task {
            var i = 0
            while i < bytes.count {
                let end = min(bytes.count, i + 10_000)
                try await connection.write(Array(bytes[i..<end]))
                i = end
            }
            try await connection.shutdown(.write)
        }
        let echoed = try await client.readToEnd()
        try await sender.value
        #expect(echoed.count == bytes.count)
        #expect(echoed == bytes)
        await server.value   // serving ended at our FIN
        await client.connection.close()
        await pair.shutdown()
    }

    @Test("Echo after a half-close: what we sent before our FIN still comes back (RFC 9293 §3.6)")
    func echoHalfClose() async throws {
        let pair = try AppPair()
        let server = try pair.serveOne(.echo, port: 7)
        let client = try await pair.connect(port: 7)
        let message = patternBytes(count: 100_000, seed: 4)
        try await client.write(message)
        try await client.connection.shutdown(.write)
        #expect(try await client.readToEnd() == message)
        await server.value
        await client.connection.close()
        await pair.shutdown()
    }

    @Test("Discard: everything is read, nothing sent back; the server's FIN (not a reset) answers ours")
    func discard() async throws {
        let pair = try AppPair()
        let server = try pair.serveOne(.discard, port: 9)
        let client = try await pair.connect(port: 9)
        try await client.write(patternBytes(count: 300_000, seed: 5))
        try await client.connection.shutdown(.write)
        // Unread data at the server's close would have made it a reset: readToEnd would throw.
        #expect(try await client.readToEnd().isEmpty)
        await server.value
        await client.connection.close()
        await pair.shutdown()
    }

    @Test("Discard keeps the connection open until our FIN")
    func discardWaitsForFIN() async throws {
        let pair = try AppPair()
        let server = try pair.serveOne(.discard, port: 9)
        let client = try await pair.connect(port: 9)
        try await client.write("some bytes")
        // Nothing comes back and the server does not close on its own: a read is still waiting
        // after a while.
        let connection = client.connection
        let reader = Task { try await connection.read() }
        try await Task.sleep(for: .milliseconds(300))
        let info = try #require(await connection.info())
        #expect(info.state == .established)
        try await connection.shutdown(.write)
        #expect(try await reader.value == nil)
        await server.value
        await connection.close()
        await pair.shutdown()
    }

    @Test("Source: zeros as fast as we read them, until our FIN ends it (the writer is cancelled, the server closes)")
    func source() async throws {
        let pair = try AppPair()
        let server = try pair.serveOne(.source, port: 19)
        let client = try await pair.connect(port: 19)
        let received = try #require(try await client.read(1 << 20))
        #expect(received.count == 1 << 20)
        #expect(received.allSatisfy { $0 == 0 })
        // What arrives is read and dropped while the server writes.
        try await client.write("ignored")
        try await client.connection.shutdown(.write)
        await server.value   // serving ended at our FIN, though the writer was blocked on a full window
        await client.connection.abort()
        await pair.shutdown()
    }

    @Test("run(_:) serves connections at once, each in its mode, until the stack shuts down")
    func runServesConcurrently() async throws {
        let pair = try AppPair()
        let server = try pair.serve(.echo, port: 7)
        let a = try await pair.connect(port: 7), b = try await pair.connect(port: 7)
        // b is served while a is still open.
        try await b.write("second")
        #expect(try await b.read(6) == Array("second".utf8))
        try await a.write("first")
        #expect(try await a.read(5) == Array("first".utf8))
        // Shutting the server's stack down ends its listener, and run returns.
        await pair.server.shutdown(gracePeriod: .milliseconds(500))
        await server.value
        await a.connection.close()
        await b.connection.close()
        await pair.shutdown()
    }
}
