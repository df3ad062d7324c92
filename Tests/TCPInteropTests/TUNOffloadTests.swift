import Foundation
import TCPCore
import TCPNet
import TCPWire
import Testing

extension InteropSuites {
    /// Bulk transfers with the kernel through a TUN device with offloads (IFF_VNET_HDR and
    /// TUNSETOFFLOAD: super-segments of up to 64 KiB, checksums left partial) and without.
    @Suite("Interop: TUN offloads", .serialized, .timeLimit(.minutes(2)))
    struct TUNOffloadTests {
        static let bytes = 32 << 20
        /// The stream: this block over and over. Its length (a prime) is no power of two, so a
        /// byte lost, repeated or moved shows as a mismatch at the next byte.
        static let blockLength = 65521
        static let pythonBlock = "bytes((i * 7 + 3) & 0xFF for i in range(\(blockLength)))"
        static func byte(at offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: (offset % blockLength) * 7 + 3) }

        /// The kernel sends 32 MiB with Python's `sendall`; the stack reads them and checks every
        /// byte. With offloads, the kernel's TSO hands over super-segments (more than the MTU of
        /// 1500 bytes in one read) with partial checksums, and the driver counts them; without,
        /// none.
        @Test(.interop("python3"), arguments: [(true, false), (false, false), (true, true)])
        func kernelToTCPKit(offload: Bool, ipv6: Bool) async throws {
            guard Interop.available("offload bulk, kernel sending", tools: ["python3"]) else { return }
            let tun = try TUNNamespace(offload: offload)
            defer { tun.delete() }
            #expect(tun.device.offloadStatus == (offload ? .on : .off))
            #expect(tun.device.offloadActive == offload)
            let stack = try NetworkStack(device: tun.device, addresses: [IPAddress(TUNNamespace.stackV4)!, IPAddress(TUNNamespace.stackV6)!])
            let listener = try stack.listen(port: 5201)
            let sender = try tun.namespace.start(["python3", "-c", """
                import socket, time
                block = \(Self.pythonBlock)
                data = (block * (\(Self.bytes) // len(block) + 1))[:\(Self.bytes)]
                for _ in range(100):
                    try:
                        s = socket.create_connection(("\(ipv6 ? TUNNamespace.stackV6 : TUNNamespace.stackV4)", 5201), timeout=30); break
                    except OSError: time.sleep(0.05)
                s.sendall(data); s.close(); print("sent", len(data))
                """], seconds: 60)
            var received = 0, mismatches = 0, firstMismatch: Int? = nil
            var iterator = listener.makeAsyncIterator()
            let connection = try #require(try await iterator.next())
            for try await chunk in connection {
                for b in chunk {
                    if b != Self.byte(at: received) {
                        mismatches += 1
                        if firstMismatch == nil { firstMismatch = received }
                    }
                    received += 1
                }
            }
            #expect(sender.wait() == 0, "\(sender.output)")
            #expect(received == Self.bytes)
            #expect(mismatches == 0, "first at \(firstMismatch ?? -1)")
            let s = await stack.statistics()
            let d = tun.device.statistics
            if offload {
                #expect(s.driver.offloadSuperSegmentsReceived > 0, "\(s.driver)")
                #expect(s.driver.checksumPartialReceived > 0, "\(s.driver)")
                #expect(d.superSegmentsReceived == s.driver.offloadSuperSegmentsReceived)
            } else {
                #expect(s.driver.offloadSuperSegmentsReceived == 0)
                #expect(s.driver.checksumPartialReceived == 0)
                #expect(d.superSegmentsReceived == 0)
            }
            #expect(d.badOffloadHeaders == 0)
            #expect(s.driver.offloadMalformedDropped == 0)
            #expect(s.tcp.drops[.badChecksum, default: 0] == 0, "\(s.tcp.drops)")
            // More than an MTU in one read: only with offloads.
            #expect((s.driver.bytesReceived > s.driver.packetsReceived * 1500) == offload,
                    "\(s.driver.bytesReceived) bytes in \(s.driver.packetsReceived) packets")
            await stack.shutdown(gracePeriod: .milliseconds(200))
        }

        /// The stack sends 32 MiB to a Python sink, which checks every byte and prints the count.
        /// With offloads the stack sends super-segments (TSO) with partial checksums.
        @Test(.interop("python3", "ss"), arguments: [(true, false), (false, false), (true, true)])
        func tcpkitToKernel(offload: Bool, ipv6: Bool) async throws {
            guard Interop.available("offload bulk, TCPKit sending", tools: ["python3", "ss"]) else { return }
            let tun = try TUNNamespace(offload: offload)
            defer { tun.delete() }
            #expect(tun.device.offloadStatus == (offload ? .on : .off))
            let sink = try tun.namespace.start(["python3", "-c", """
                import socket
                block = \(Self.pythonBlock)
                l = socket.socket(socket.AF_INET6); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                l.bind(("::", 5202)); l.listen(1)
                c, _ = l.accept()
                got = bytearray()
                while True:
                    d = c.recv(1 << 20)
                    if not d: break
                    got += d
                n = len(got)
                bad = 0 if got == (block * (n // len(block) + 1))[:n] else 1
                print("received", n, "bad", bad)
                """], seconds: 60)
            #expect(TCPKitClientTests.waitForListener(tun.namespace, port: 5202))
            let stack = try NetworkStack(device: tun.device, addresses: [IPAddress(TUNNamespace.stackV4)!, IPAddress(TUNNamespace.stackV6)!])
            let kernel = ipv6 ? TUNNamespace.kernelV6 : TUNNamespace.kernelV4
            let connection = try await stack.connect(to: SocketAddress(IPAddress(kernel)!, 5202))
            let chunk = 1 << 20
            var offset = 0
            while offset < Self.bytes {
                let n = min(chunk, Self.bytes - offset)
                try await connection.write((offset..<offset + n).map(Self.byte(at:)))
                offset += n
            }
            try await connection.shutdown(.write)
            #expect(try await connection.read() == nil)
            #expect(sink.wait() == 0)
            #expect(sink.output.contains("received \(Self.bytes) bad 0"), "\(sink.output)")
            let s = await stack.statistics()
            let d = tun.device.statistics
            #expect(d.sendErrors == 0)
            // With offloads the engine writes TSO super-segments with partial checksums, which the
            // kernel cuts and completes (the sink's check shows it did so right); without, none.
            if offload {
                #expect(s.driver.offloadSuperSegmentsSent > 0, "\(s.driver)")
                #expect(s.driver.checksumPartialSent > 0, "\(s.driver)")
                #expect(d.superSegmentsSent == s.driver.offloadSuperSegmentsSent)
                #expect(s.driver.bytesSent > s.driver.packetsSent * 1500, "\(s.driver.bytesSent) bytes in \(s.driver.packetsSent) packets")
            } else {
                #expect(s.driver.offloadSuperSegmentsSent == 0)
                #expect(s.driver.checksumPartialSent == 0)
                #expect(d.superSegmentsSent == 0)
            }
            await stack.shutdown(gracePeriod: .milliseconds(200))
        }
    }
}
