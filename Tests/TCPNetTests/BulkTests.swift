import Testing
import TCPCore
import TCPNet
import TCPSim
import TCPWire

/// The data and its digests, made once for both test cases (SHA-256 is slow in a debug build).
private let bulkSize = 10 << 20
private let bulkToServer = patternBytes(count: bulkSize, seed: 1)
private let bulkToClient = patternBytes(count: bulkSize, seed: 2)
private let bulkDigests = (toServer: SHA256.hash(bulkToServer), toClient: SHA256.hash(bulkToClient))

// Bounded generously: alone it takes seconds, but the full suite runs in parallel on 2 cores.
@Suite(.timeLimit(.minutes(10)))
struct BulkTests {
    /// 10 MiB each way at the same time over one connection; both sides check the SHA-256 of
    /// what arrived against what was sent. With 5% loss in each direction, recovery (SACK, RACK,
    /// RTO) must still deliver every byte, in order.
    @Test("10 MiB both directions, SHA-256 checked", arguments: [0.0, 0.05])
    func bulkBothDirections(loss: Double) async throws {
        let size = bulkSize
        let pair = try StackPair(loss: loss, seed: 42)
        let toServer = bulkToServer
        let toClient = bulkToClient
        let listener = try pair.server.listen(port: 9000)
        let server = Task { () throws -> (Int, [UInt8]) in
            guard let connection = try await listener.accept() else { return (0, []) }
            async let received = readAllHashing(connection)
            try await writeAll(connection, toClient)
            try await connection.shutdown(.write)
            let r = try await received
            await connection.close()
            return (r.count, r.digest)
        }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 9000))
        async let received = readAllHashing(connection)
        try await writeAll(connection, toServer)
        try await connection.shutdown(.write)
        let atClient = try await received
        let atServer = try await server.value
        #expect(atClient.count == size)
        #expect(atClient.digest == bulkDigests.toClient)
        #expect(atServer.0 == size)
        #expect(atServer.1 == bulkDigests.toServer)
        let stats = await pair.client.statistics()
        if loss > 0 {
            // The loss really happened and was repaired (spurious retransmissions can occur
            // without loss too: the link has real timing, so none is asserted for 0%).
            #expect(pair.devices.a.statistics.lost > 0)
            #expect(stats.tcp.retransmissions > 0)
        }
        await connection.close()
        await pair.shutdown()
    }
}
