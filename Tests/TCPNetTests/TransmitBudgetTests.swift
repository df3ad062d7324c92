import Testing
import TCPCore
import TCPNet
import TCPSim
import TCPWire

/// The driver's per-tick transmit budget (StackCore.transmitBudget): a flush that stops at the
/// budget leaves the rest to the loop's next turn, and nothing is lost or stalls on the way.
@Suite(.timeLimit(.minutes(5)))
struct TransmitBudgetTests {
    @Test("four connections sending at once: the budget cuts flushes, and every byte arrives intact")
    func cutFlushesDeliverEverything() async throws {
        let size = 2 << 20
        var configuration = StackPair.configuration
        // A first flight of 100 segments: past the budget at the first flush of every connection.
        configuration.initialWindowSegments = 100
        let pair = try StackPair(seed: 7, configuration: configuration)
        let listener = try pair.server.listen(port: 9000)
        let streams = 4
        let payloads = (0..<streams).map { patternBytes(count: size, seed: UInt64(100 + $0)) }
        let server = Task { () throws -> [(Int, [UInt8])] in
            try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for _ in 0..<streams {
                    guard let connection = try await listener.accept() else { break }
                    group.addTask {
                        let r = try await readAllHashing(connection)
                        await connection.close()
                        return (r.count, r.digest)
                    }
                }
                var out: [(Int, [UInt8])] = []
                for try await r in group { out.append(r) }
                return out
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<streams {
                let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 9000))
                group.addTask {
                    try await writeAll(connection, payloads[k], piece: 256 * 1024)
                    try await connection.shutdown(.write)
                    _ = try await readAll(connection)
                    await connection.close()
                }
            }
            try await group.waitForAll()
        }
        let received = try await server.value
        #expect(received.count == streams)
        #expect(Set(received.map(\.1)) == Set(payloads.map { SHA256.hash($0) }))
        #expect(received.allSatisfy { $0.0 == size })
        let stats = await pair.client.statistics()
        #expect(stats.driver.transmitBudgetCuts > 0)
        await pair.shutdown()
    }
}
