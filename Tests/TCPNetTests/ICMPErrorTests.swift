// The driver passes ICMP errors up to the engine (RFC 9293 §3.9.2.2): a port unreachable fails
// `connect` with a typed error, a host unreachable is a soft error the application sees through
// `TCPConnection.softErrors()` and `takeSoftError()`. The test plays the peer over an in-memory
// device (see ICMPTests for the harness).

import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite("ICMP errors through the driver")
struct ICMPErrorTests {
    static let router = IPAddress("198.18.0.254")!

    /// The first TCP segment the stack sent, with its bytes.
    static func firstSegment(_ host: ICMPTests.Host) async throws -> ([UInt8], TCPSegmentView) {
        #expect(await eventually { !host.packets.isEmpty })
        let p = try #require(host.packets.first)
        let view = try p.withUnsafeBytes { b in try TCPPacket.parse(b) }
        return (p, view)
    }

    @Test("a port unreachable quoting our SYN fails connect with TCPConnectionError.unreachable(.portUnreachable)")
    func connectFails() async throws {
        let host = try ICMPTests.Host()
        let task = Task { () async throws(TCPConnectionError) -> TCPConnection in
            try await host.stack.connect(to: TCPWire.SocketAddress(StackPair.clientV4, 9))
        }
        let (syn, _) = try await Self.firstSegment(host)
        host.send(ICMPMessage.build(type: 3, code: 3, from: StackPair.clientV4, quoting: syn))
        await #expect(throws: TCPConnectionError.unreachable(.portUnreachable)) { _ = try await task.value }
        let s = await host.stack.statistics()
        #expect(s.driver.icmpErrorsPassedUp == 1)
        #expect(s.tcp.icmpHardErrors == 1)
        await host.stack.shutdown()
    }

    @Test("a host unreachable is a soft error: the stream and takeSoftError see it, the connection goes on")
    func softError() async throws {
        let host = try ICMPTests.Host()
        let remote = TCPWire.SocketAddress(StackPair.clientV4, 9)
        let task = Task { () async throws(TCPConnectionError) -> TCPConnection in try await host.stack.connect(to: remote) }
        let (_, syn) = try await Self.firstSegment(host)
        let synAck = TCPHeader(sourcePort: 9, destinationPort: syn.header.sourcePort, sequenceNumber: SequenceNumber(5000),
                               acknowledgmentNumber: syn.header.sequenceNumber + 1, flags: [.syn, .ack], window: 65535)
        host.send(try TCPPacket.build(source: StackPair.clientV4, destination: StackPair.serverV4, header: synAck))
        let connection = try await task.value
        let errors = await connection.softErrors()
        // Quote a segment at SND.NXT (= SND.UNA: nothing in flight), from a router on the way.
        let quoted = try TCPPacket.build(source: StackPair.serverV4, destination: StackPair.clientV4,
                                         header: TCPHeader(sourcePort: syn.header.sourcePort, destinationPort: 9,
                                                           sequenceNumber: syn.header.sequenceNumber + 1,
                                                           acknowledgmentNumber: SequenceNumber(5001), flags: [.ack], window: 1000))
        host.send(ICMPMessage.build(type: 3, code: 1, from: Self.router, quoting: quoted))
        var iterator = errors.makeAsyncIterator()
        #expect(await iterator.next() == .hostUnreachable)
        #expect(await connection.takeSoftError() == .hostUnreachable)
        #expect(await connection.takeSoftError() == nil)
        #expect(await connection.info()?.state == .established)
        // The stream ends with the connection.
        await connection.abort()
        #expect(await iterator.next() == nil)
        await host.stack.shutdown()
    }
}
