#if canImport(Glibc)
import Glibc
import Synchronization
import Testing
import TCPCore
import TCPWire
import TCPNet

/// The driver's side of device offloads, with a pollable device the test scripts (no TUN, no
/// root): what it does with a received packet whose TCP checksum is partial, and what it asks of a
/// device that finishes checksums and segmentation.
@Suite(.timeLimit(.minutes(1)))
struct PacketOffloadDriverTests {
    /// A `PollablePacketDevice` over a pipe: each queued packet puts one byte in the pipe, so the
    /// read end polls readable while packets wait. Sent packets are kept with their offload.
    final class ScriptedDevice: PollablePacketDevice, Sendable {
        let ends: (read: Int32, write: Int32)
        let queue = Mutex<[([UInt8], PacketOffload)]>([])
        let sent = Mutex<[([UInt8], PacketOffload)]>([])
        let capabilities: PacketOffload.Capabilities

        init(capabilities: PacketOffload.Capabilities) {
            var fds: [Int32] = [-1, -1]
            _ = pipe(&fds)
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            ends = (fds[0], fds[1])
            self.capabilities = capabilities
        }
        deinit { close(ends.read); close(ends.write) }

        func deliver(_ packet: [UInt8], _ offload: PacketOffload) {
            queue.withLock { $0.append((packet, offload)) }
            var one: UInt8 = 1
            _ = write(ends.write, &one, 1)
        }

        var pollDescriptor: Int32 { ends.read }
        func startPolled() throws {}
        func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {}
        func stop() {}
        func send(_ packet: UnsafeRawBufferPointer) { send(packet, offload: .none) }
        func send(_ packet: UnsafeRawBufferPointer, offload: PacketOffload) { sent.withLock { $0.append((Array(packet), offload)) } }
        var transmitOffload: PacketOffload.Capabilities { capabilities }

        func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
            var o = PacketOffload.none
            return receive(into: buffer, offload: &o)
        }
        func receive(into buffer: UnsafeMutableRawBufferPointer, offload: inout PacketOffload) -> Int? {
            var byte: UInt8 = 0
            guard read(ends.read, &byte, 1) == 1, let (p, o) = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return nil }
            p.withUnsafeBytes { buffer.copyMemory(from: $0) }
            offload = o
            return p.count
        }

        func waitForSent(_ match: (TCPSegmentView) -> Bool) -> ([UInt8], PacketOffload)? {
            for _ in 0..<500 {
                let found = sent.withLock { $0.first { p, _ in
                    (try? p.withUnsafeBytes { try TCPPacket.parse($0, verifyChecksum: false) }).map(match) ?? false } }
                if let found { return found }
                usleep(10_000)
            }
            return nil
        }
    }

    static let peer = IPAddress("198.18.0.1")!, us = IPAddress("198.18.0.2")!

    /// The kernel's SYN as a TUN device with offloads hands it over: its checksum field holds only
    /// the pseudo-header sum.
    static func partialSYN(port: UInt16) throws -> [UInt8] {
        var h = TCPHeader(sourcePort: 40000, destinationPort: port, sequenceNumber: SequenceNumber(1000),
                          acknowledgmentNumber: SequenceNumber(0), flags: .syn, window: 65535)
        h.options.mss = 1460
        var packet = try TCPPacket.build(source: peer, destination: us, header: h)
        var c = InternetChecksum()
        TCPPacket.addPseudoHeader(&c, source: peer, destination: us, tcpLength: packet.count - 20)
        let sum = ~c.value
        packet[36] = UInt8(sum >> 8); packet[37] = UInt8(sum & 0xFF)
        #expect(throws: WireError.badTCPChecksum) { _ = try packet.withUnsafeBytes { try TCPPacket.parse($0) } }
        return packet
    }

    /// Told that the checksum is partial, the driver hands the SYN to the engine unverified and
    /// the listener answers; the same bytes as a plain packet fail verification and are dropped.
    @Test func partialChecksumIsTrustedPlainOneVerified() async throws {
        let device = ScriptedDevice(capabilities: .none)
        let stack = try NetworkStack(device: device, addresses: [Self.us])
        let listener = try stack.listen(port: 80)
        let syn = try Self.partialSYN(port: 80)

        device.deliver(syn, .none)
        device.deliver(syn, PacketOffload(checksum: .partial(start: 20, offset: 16)))
        let synACK = try #require(device.waitForSent { $0.header.flags == [.syn, .ack] })
        #expect(synACK.1 == .none)   // a device without offloads gets whole packets
        _ = try synACK.0.withUnsafeBytes { try TCPPacket.parse($0) }
        let s = await stack.statistics()
        #expect(s.driver.checksumPartialReceived == 1)
        #expect(s.tcp.drops[.badChecksum, default: 0] == 1)
        // Only the trusted SYN was answered: whatever went out is that one SYN-ACK (again, if the
        // run was slow enough for its retransmission timer to fire), never a second connection's.
        let sent = device.sent.withLock { $0.map(\.0) }
        let headers = sent.compactMap { p in try? p.withUnsafeBytes { try TCPPacket.parse($0).header } }
        #expect(headers.count == sent.count && !headers.isEmpty)
        #expect(headers.allSatisfy { $0.flags == [.syn, .ack] && $0.sequenceNumber == headers[0].sequenceNumber })
        _ = listener
        await stack.shutdown(gracePeriod: .milliseconds(50))
    }

    /// A checksum position outside the packet is dropped and counted, before the engine.
    @Test func partialChecksumOutsideThePacketIsDropped() async throws {
        let device = ScriptedDevice(capabilities: .none)
        let stack = try NetworkStack(device: device, addresses: [Self.us])
        let syn = try Self.partialSYN(port: 81)
        device.deliver(syn, PacketOffload(checksum: .partial(start: syn.count, offset: 16)))
        var s = await stack.statistics()
        for _ in 0..<200 where s.driver.offloadMalformedDropped == 0 {
            usleep(10_000)
            s = await stack.statistics()
        }
        #expect(s.driver.offloadMalformedDropped == 1)
        #expect(s.tcp.segmentsReceived == 0)
        await stack.shutdown(gracePeriod: .milliseconds(50))
    }

    /// A device that finishes checksums gets the SYN-ACK with a partial checksum and its position
    /// (csum_start = the IP header, csum_offset = 16); completing it gives a valid packet.
    @Test func deviceThatFinishesChecksumsGetsPartialOnes() async throws {
        let device = ScriptedDevice(capabilities: PacketOffload.Capabilities(checksum: true, segmentation: true, maximumPacketBytes: 65535))
        let stack = try NetworkStack(device: device, addresses: [Self.us])
        let listener = try stack.listen(port: 82)
        device.deliver(try Self.partialSYN(port: 82), PacketOffload(checksum: .partial(start: 20, offset: 16)))
        let (packet, offload) = try #require(device.waitForSent { $0.header.flags == [.syn, .ack] })
        guard case .partial(let start, let offset) = offload.checksum else {
            Issue.record("checksum not left partial: \(offload)")
            return
        }
        #expect(start == 20 && offset == 16)
        #expect(offload.segmentSize == 0)
        var whole = packet
        // The device's job, done here: sum from csum_start, store the complement at the offset.
        var c = InternetChecksum()
        whole.withUnsafeBytes { c.add(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        let v = c.value
        whole[start + offset] = UInt8(v >> 8); whole[start + offset + 1] = UInt8(v & 0xFF)
        _ = try whole.withUnsafeBytes { try TCPPacket.parse($0) }
        let s = await stack.statistics()
        #expect(s.driver.checksumPartialSent >= 1)
        _ = listener
        await stack.shutdown(gracePeriod: .milliseconds(50))
    }
}
#endif
