import Glibc
import NIOConcurrencyHelpers
import Testing
import TCPCore
import TCPNet
import TCPWire

/// Tasks that prefer the stack's event loop (`NetworkStack.executor`): they run on the stack's own
/// thread, and every suspending call still suspends, resumes and cancels as from anywhere else.
@Suite(.timeLimit(.minutes(2)))
struct StackExecutorTests {
    @Test("a handler preferring the stack's executor runs on the thread that handles the packets")
    func handlerRunsOnTheStackThread() async throws {
        // The packet hook runs on the stack's loop thread: it tells which thread that is.
        let loopThread = NIOLockedValueBox<pthread_t?>(nil)
        let hooks = NetworkStack.Hooks(packets: { _, _, _ in loopThread.withLockedValue { $0 = pthread_self() } })
        let wire = InMemoryDevicePair()
        let server = try NetworkStack(device: wire.b, addresses: [StackPair.serverV4], configuration: StackPair.configuration,
                                      hooks: hooks, seed: 2)
        let client = try NetworkStack(device: wire.a, addresses: [StackPair.clientV4], configuration: StackPair.configuration, seed: 1)
        let listener = try server.listen(port: 7)
        let handler = Task(executorPreference: server.executor) { () async throws -> [pthread_t] in
            var threads: [pthread_t] = []
            guard let c = try await listener.accept() else { return threads }
            threads.append(pthread_self())
            for try await chunk in c {
                threads.append(pthread_self())
                try await c.write(chunk)
                threads.append(pthread_self())
            }
            await c.close()
            threads.append(pthread_self())
            return threads
        }
        let c = try await client.connect(to: SocketAddress(StackPair.serverV4, 7))
        var echoed: [UInt8] = []
        for message in ["one", "two", "three"] {
            try await c.write(Array(message.utf8))
            while echoed.count < Array(message.utf8).count {
                guard let chunk = try await c.read() else { break }
                echoed += chunk
            }
            #expect(echoed == Array(message.utf8))
            echoed = []
        }
        try await c.shutdown(.write)
        #expect(try await c.read() == nil)
        let threads = try await handler.value
        let stackThread = try #require(loopThread.withLockedValue { $0 })
        #expect(threads.count >= 8)   // accept, three chunks read and written, close
        #expect(threads.allSatisfy { pthread_equal($0, stackThread) != 0 })
        await c.close()
        await client.shutdown(gracePeriod: .milliseconds(500))
        await server.shutdown(gracePeriod: .milliseconds(500))
    }

    @Test("on the stack's executor: read, write and accept suspend, resume, and throw .cancelled when cancelled")
    func suspendAndCancelOnTheStackThread() async throws {
        var configuration = StackPair.configuration
        configuration.sendBufferBytes = 16 * 1024
        configuration.receiveBufferBytes = 16 * 1024
        let pair = try StackPair(configuration: configuration)
        let executor = pair.server.executor
        let listener = try pair.server.listen(port: 3)
        let accepted = Task(executorPreference: executor) { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 3))
        let peer = try #require(try await accepted.value)

        // A read that waits resumes when bytes arrive.
        let waitingReader = Task(executorPreference: executor) { try await peer.read() }
        try await Task.sleep(for: .milliseconds(20))
        try await connection.write([1, 2, 3])
        #expect(try await waitingReader.value == [1, 2, 3])

        // A read with nothing to read, cancelled.
        let reader = Task(executorPreference: executor) { () async throws(TCPConnectionError) -> [UInt8]? in try await peer.read() }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        let readResult = await reader.result
        #expect(throws: TCPConnectionError.cancelled) { _ = try readResult.get() }

        // A write into a full send buffer (the client does not read) resumes once the client reads.
        let bytes = patternBytes(count: 64 * 1024, seed: 3)
        let writer = Task(executorPreference: executor) { try await peer.write(bytes) }
        var received: [UInt8] = []
        while received.count < bytes.count {
            guard let chunk = try await connection.read() else { break }
            received += chunk
        }
        try await writer.value
        #expect(received == bytes)

        // A write into a full send buffer, cancelled.
        let stuck = Task(executorPreference: executor) { try await peer.write(patternBytes(count: 1 << 20, seed: 1)) }
        #expect(await eventually { await peer.info()?.bytesBuffered == 16 * 1024 })
        stuck.cancel()
        let writeResult = await stuck.result
        #expect(throws: TCPConnectionError.cancelled) { try writeResult.get() }

        // An accept with nobody connecting, cancelled.
        let acceptor = Task(executorPreference: executor) { () async throws(TCPConnectionError) -> TCPConnection? in try await listener.accept() }
        try await Task.sleep(for: .milliseconds(20))
        acceptor.cancel()
        let acceptResult = await acceptor.result
        #expect(throws: TCPConnectionError.cancelled) { _ = try acceptResult.get() }
        await pair.shutdown()
    }
}
