import NIOConcurrencyHelpers
import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite(.timeLimit(.minutes(2)))
struct BackpressureTests {
    final class Progress: Sendable {
        let written = NIOLockedValueBox(0)
        let finished = NIOLockedValueBox(false)
    }

    /// A consumer that does not read stops the sender: the receiver's buffer fills, its window
    /// closes, the sender's buffer fills, and `write` suspends. Nothing is lost: once the
    /// consumer reads, the writer resumes and every byte arrives in order.
    @Test("a consumer that does not read suspends the writer; nothing is lost")
    func writerSuspends() async throws {
        var configuration = StackPair.configuration
        configuration.sendBufferBytes = 64 * 1024
        configuration.receiveBufferBytes = 64 * 1024
        let pair = try StackPair(configuration: configuration)
        let listener = try pair.server.listen(port: 5001)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 5001))
        let peer = try #require(try await accepted.value)

        let total = 1 << 20, piece = 8192
        let data = patternBytes(count: total, seed: 99)
        let progress = Progress()
        let writer = Task {
            var i = 0
            while i < total {
                try await connection.write(Array(data[i..<(i + piece)]))
                i += piece
                progress.written.withLockedValue { $0 = i }
            }
            progress.finished.withLockedValue { $0 = true }
            try await connection.shutdown(.write)
        }
        // Wait for the stalled state: the receiver's window closed, the sender's buffer full.
        let stalled = await eventually {
            guard let r = await peer.info(), let s = await connection.info() else { return false }
            return r.rcvWnd == 0 && r.bytesReadable == 64 * 1024 && s.bytesBuffered == 64 * 1024
        }
        #expect(stalled)
        let written = progress.written.withLockedValue { $0 }
        #expect(!progress.finished.withLockedValue { $0 })
        // What `write` accepted sits in the two buffers (plus at most one piece partly queued).
        #expect(written <= 128 * 1024)
        #expect(written >= 128 * 1024 - piece)

        // Now read: the writer resumes and all of it arrives, in order.
        let got = try await readAll(peer)
        try await writer.value
        #expect(got.count == total)
        #expect(got == data)
        await connection.close()
        await peer.close()
        await pair.shutdown()
    }

    /// `read` pulls: without a reader, chunks do not pile up anywhere but in the engine's
    /// receive buffer (bounded by receiveBufferBytes).
    @Test("received data waits in the engine's bounded buffer until read")
    func readerPulls() async throws {
        var configuration = StackPair.configuration
        configuration.receiveBufferBytes = 32 * 1024
        let pair = try StackPair(configuration: configuration)
        let listener = try pair.server.listen(port: 5002)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 5002))
        let peer = try #require(try await accepted.value)
        let data = patternBytes(count: 100_000, seed: 5)
        let writer = Task { try await connection.write(data); try await connection.shutdown(.write) }
        #expect(await eventually { await peer.info()?.rcvWnd == 0 })
        #expect(await peer.info()?.bytesReadable == 32 * 1024)
        // Small reads: each chunk is at most what was asked.
        var got: [UInt8] = []
        while let chunk = try await peer.read(maxBytes: 1000) {
            #expect(chunk.count <= 1000 && !chunk.isEmpty)
            got += chunk
        }
        try await writer.value
        #expect(got == data)
        await pair.shutdown()
    }
}
