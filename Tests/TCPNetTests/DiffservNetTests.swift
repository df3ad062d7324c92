// The Diffserv codepoint and the address checks through the async API (RFC 9293 MUST-48,
// MUST-46): `connect(options:)` puts the DSCP on the SYN itself, `listen(options:)` on the
// SYN-ACK; `connect` to a multicast address fails at once.

import Synchronization
import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite("TCPNet: DSCP and invalid destinations", .timeLimit(.minutes(1)))
struct DiffservNetTests {
    /// A device that keeps what the stack sends and delivers nothing.
    final class Recorder: PacketDevice, Sendable {
        let sent = Mutex<[[UInt8]]>([])
        let receiver = Mutex<(@Sendable (UnsafeRawBufferPointer) -> Void)?>(nil)
        func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws { receiver.withLock { $0 = receive } }
        func send(_ packet: UnsafeRawBufferPointer) { sent.withLock { $0.append(Array(packet)) } }
        func stop() {}
    }

    @Test("connect(options:) sends its SYN with the DSCP in the TOS byte")
    func synCarriesDSCP() async throws {
        let device = Recorder()
        let stack = try NetworkStack(device: device, addresses: [StackPair.clientV4])
        var options = ConnectionOptions()
        options.dscp = 46
        let attempt = Task { try await stack.connect(to: SocketAddress(StackPair.serverV4, 9), options: options) }
        var syn: [UInt8]? = nil
        for _ in 0..<200 where syn == nil {
            try await Task.sleep(for: .milliseconds(5))
            syn = device.sent.withLock { $0.first }
        }
        attempt.cancel()
        _ = await attempt.result
        let packet = try #require(syn)
        #expect(packet[1] == 46 << 2)
        let segment = try packet.withUnsafeBytes { try TCPPacket.parse($0) }
        #expect(segment.header.flags == .syn)
        await stack.shutdown(gracePeriod: .milliseconds(50))
    }

    @Test("listen(options:) puts its DSCP on the SYN-ACK")
    func listenerOptions() async throws {
        let device = Recorder()
        let stack = try NetworkStack(device: device, addresses: [StackPair.serverV4])
        var options = ConnectionOptions()
        options.dscp = 10
        let listener = try stack.listen(port: 8, options: options)
        let syn = TCPHeader(sourcePort: 40000, destinationPort: 8, sequenceNumber: SequenceNumber(1000),
                            acknowledgmentNumber: SequenceNumber(0), flags: .syn, window: 65535)
        let packet = try TCPPacket.build(source: StackPair.clientV4, destination: StackPair.serverV4, header: syn)
        let receive = try #require(device.receiver.withLock { $0 })
        packet.withUnsafeBytes { receive($0) }
        var synAck: [UInt8]? = nil
        for _ in 0..<200 where synAck == nil {
            try await Task.sleep(for: .milliseconds(5))
            synAck = device.sent.withLock { $0.first }
        }
        let reply = try #require(synAck)
        #expect(reply[1] == 10 << 2)
        #expect(try reply.withUnsafeBytes { try TCPPacket.parse($0) }.header.flags == [.syn, .ack])
        await listener.close()
        await stack.shutdown(gracePeriod: .milliseconds(50))
    }

    @Test("connect to a multicast or broadcast address fails with .invalidDestination")
    func invalidDestination() async throws {
        let pair = try StackPair()
        for address in ["224.0.0.1", "255.255.255.255", "0.0.0.0", "ff02::1"] {
            await #expect(throws: TCPConnectionError.invalidDestination) {
                _ = try await pair.client.connect(to: SocketAddress(IPAddress(address)!, 80))
            }
        }
        await pair.shutdown()
    }
}
