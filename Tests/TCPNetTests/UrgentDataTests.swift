// Urgent data through the async API (RFC 9293 §3.8.5 MUST-32, MUST-33): `writeUrgent` on one
// side, `nextUrgentData` waking the other when the urgent pointer arrives, `urgentStatus` saying
// how far it reaches; the bytes themselves come in line, in order, through `read`.

import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite("TCPNet: urgent data", .timeLimit(.minutes(1)))
struct UrgentDataTests {
    @Test("a task waiting in nextUrgentData wakes when urgent data arrives; the bytes are read in line")
    func urgentWakesWaiter() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 7)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: SocketAddress(StackPair.serverV4, 7))
        let peer = try #require(try await accepted.value)
        #expect(await peer.urgentStatus() == UrgentStatus(pending: false, bytesToEnd: 0))
        let waiter = Task { () async throws(TCPConnectionError) -> UrgentStatus? in try await peer.nextUrgentData() }
        try await connection.write(Array("normal ".utf8))
        try await connection.writeUrgent(Array("URGENT".utf8))
        let status = try #require(try await waiter.value)
        #expect(status.pending)
        // 7 ordinary bytes, then 6 urgent ones: 13 to read to get past the urgent data (fewer if
        // the first segment was read already — nothing has been read here).
        #expect(status.bytesToEnd == 13)
        var got: [UInt8] = []
        while got.count < 13, let chunk = try await peer.read() { got += chunk }
        #expect(got == Array("normal URGENT".utf8))
        #expect(await peer.urgentStatus()?.pending == false)
        // After the peer's FIN no urgent data can come: nil.
        try await connection.shutdown(.write)
        #expect(try await peer.read() == nil)
        #expect(try await peer.nextUrgentData() == nil)
        await connection.close()
        await peer.close()
        await pair.shutdown()
    }
}
