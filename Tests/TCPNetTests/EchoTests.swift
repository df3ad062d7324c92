import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite(.timeLimit(.minutes(2)))
struct EchoTests {
    @Test("echo round trip over IPv4 and IPv6", arguments: [false, true])
    func echoRoundTrip(ipv6: Bool) async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 7)
        let server = Task {
            guard let connection = try await listener.accept() else { return 0 }
            var echoed = 0
            for try await chunk in connection {
                try await connection.write(chunk)
                echoed += chunk.count
            }
            await connection.close()
            return echoed
        }
        let remote = SocketAddress(ipv6 ? StackPair.serverV6 : StackPair.serverV4, 7)
        let connection = try await pair.client.connect(to: remote)
        #expect(connection.remoteAddress == remote)
        #expect(connection.localAddress.address == (ipv6 ? StackPair.clientV6 : StackPair.clientV4))
        let message = Array("hello, TCPKit".utf8)
        try await connection.write(message)
        var got: [UInt8] = []
        while got.count < message.count {
            guard let chunk = try await connection.read() else { break }
            got += chunk
        }
        #expect(got == message)
        try await connection.shutdown(.write)
        #expect(try await connection.read() == nil)
        #expect(try await server.value == message.count)
        await connection.close()
        await pair.shutdown()
    }
}
