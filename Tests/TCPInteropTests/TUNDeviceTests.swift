import Foundation
import TCPNet
import TCPWire
import Testing

extension InteropSuites {
    /// The TUN device alone, raw packets both ways with the kernel inside a namespace: no engine.
    @Suite("TUN device", .serialized)
    struct TUNDeviceTests {
        /// An ICMP echo request written into the TUN device comes back from the kernel as an echo
        /// reply with the same identifier, sequence number and data (RFC 792; RFC 4443 §4.1–4.2).
        @Test(.interop(), arguments: [false, true])
        func kernelAnswersEchoRequestWrittenToTheDevice(ipv6: Bool) throws {
            guard Interop.available("TUN echo round trip") else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            let collector = PacketCollector()
            try tun.device.start(receive: collector.receive)
            let data = Array("tcpkit raw packet".utf8)
            let request = ipv6
                ? RawPackets.echoRequestV6(from: IPv6Address(TUNNamespace.stackV6)!, to: IPv6Address(TUNNamespace.kernelV6)!, id: 0x7C9A, seq: 3, data: data)
                : RawPackets.echoRequestV4(from: IPv4Address(TUNNamespace.stackV4)!, to: IPv4Address(TUNNamespace.kernelV4)!, id: 0x7C9A, seq: 3, data: data)
            // The kernel installs an interface's IPv6 prefix route from a work queue after the link
            // comes up, so the first request may find no route back: send again every 200 ms.
            var reply: [UInt8]? = nil
            for _ in 0..<25 where reply == nil {
                request.withUnsafeBytes { tun.device.send($0) }
                reply = collector.wait(seconds: 0.2) { RawPackets.echoReply($0, ipv6: ipv6)?.id == 0x7C9A }
            }
            let parsed = try #require(reply.flatMap { RawPackets.echoReply($0, ipv6: ipv6) })
            #expect(parsed.seq == 3)
            #expect(parsed.data == data)
            #expect(parsed.source == (ipv6 ? TUNNamespace.kernelV6 : TUNNamespace.kernelV4))
            #expect(tun.device.statistics.packetsSent >= 1)
            #expect(tun.device.statistics.packetsReceived >= 1)
        }

        /// `KernelSide.configure` gives the interface a transmit queue of 4096 packets (tun's
        /// default 500 dropped most of the kernel's ACKs under a burst of our writes).
        @Test(.interop()) func configureSetsTheTransmitQueue() throws {
            guard Interop.available("TUN transmit queue") else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            let shown = try KernelSide.ip(["-o", "link", "show", "dev", "tcpkit0"], namespace: tun.namespace.name)
            #expect(shown.contains("qlen \(KernelSide.transmitQueueLength)"), "\(shown)")
        }

        /// A connection the kernel opens towards the stack's address reaches the device as a whole
        /// SYN that TCPWire parses with a good checksum: the read side delivers one packet per read.
        @Test(.interop("python3")) func kernelSYNArrivesWhole() throws {
            guard Interop.available("TUN kernel SYN", tools: ["python3"]) else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            let collector = PacketCollector()
            try tun.device.start(receive: collector.receive)
            // Nothing answers: the kernel sends its SYN (and a retransmission), the client gives up.
            let client = try tun.namespace.start(["python3", "-c", """
                import socket
                s = socket.socket(); s.settimeout(1.5)
                try: s.connect(("\(TUNNamespace.stackV4)", 4242))
                except OSError: pass
                """], seconds: 5)
            let syn = collector.wait { packet in
                guard let s = try? packet.withUnsafeBytes({ try TCPPacket.parse($0) }) else { return false }
                return s.header.flags == .syn && s.header.destinationPort == 4242
            }
            client.wait()
            let bytes = try #require(syn)
            let segment = try bytes.withUnsafeBytes { try TCPPacket.parse($0) }
            #expect(segment.source == IPAddress(TUNNamespace.kernelV4)!)
            #expect(segment.destination == IPAddress(TUNNamespace.stackV4)!)
            // Linux's SYN offers MSS, SACK-permitted, timestamps and window scaling (all on by default).
            #expect(segment.header.options.mss == 1460)
            #expect(segment.header.options.sackPermitted)
            #expect(segment.header.options.timestamp != nil)
            #expect(segment.header.options.windowScale != nil)
        }

        /// After `stop()` the reader thread no longer delivers packets, and a stopped device cannot
        /// be started again.
        @Test(.interop()) func stopEndsDelivery() throws {
            guard Interop.available("TUN stop") else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            let collector = PacketCollector()
            try tun.device.start(receive: collector.receive)
            tun.device.stop()
            // What the kernel had queued before stop() (its IPv6 router solicitation, when the
            // interface came up just before) may have been delivered while the device ran; from
            // the return of stop() on, nothing is.
            let deliveredBeforeStop = collector.all.count
            let request = RawPackets.echoRequestV4(from: IPv4Address(TUNNamespace.stackV4)!, to: IPv4Address(TUNNamespace.kernelV4)!, id: 1, seq: 1, data: [1, 2, 3])
            request.withUnsafeBytes { tun.device.send($0) }
            usleep(300_000)
            #expect(collector.all.count == deliveredBeforeStop)
            #expect(!collector.all.contains { $0.count >= 20 && $0[0] >> 4 == 4 && $0[9] == 1 }, "no ICMP (the echo reply) after stop()")
            #expect(throws: TUNError.alreadyStarted) { try tun.device.start(receive: collector.receive) }
        }

        /// Two devices cannot take the same interface name; bad names and missing namespaces are
        /// typed errors (these need no root).
        @Test(.interop()) func typedErrors() throws {
            #expect(throws: TUNError.badName("a/b")) { try TUNDevice(name: "a/b") }
            #expect(throws: TUNError.badName("sixteen-chars-xx")) { try TUNDevice(name: "sixteen-chars-xx") }
            #expect(throws: TUNError.namespace("tcpkit-no-such-namespace", errno: ENOENT)) {
                try TUNDevice(name: "tcpkit9", namespace: "tcpkit-no-such-namespace")
            }
            guard Interop.available("TUN name in use") else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            #expect(throws: TUNError.nameInUse("tcpkit0")) { try TUNDevice(name: "tcpkit0", namespace: tun.namespace.name) }
        }

        /// Without root the device cannot be created: a child process run as `nobody` gets
        /// `notPermitted` (checked through the CLI in `CLITests`); here the mapping itself.
        @Test func unavailableErrorsAreMarked() {
            #expect(TUNError.notPermitted.isUnavailable)
            #expect(TUNError.noTUNDevice(errno: ENOENT).isUnavailable)
            #expect(!TUNError.nameInUse("x").isUnavailable)
            #expect(TUNError.notPermitted.description.contains("root"))
        }
    }
}

/// Hand-built ICMP packets for the raw tests.
enum RawPackets {
    static func echoRequestV4(from: IPv4Address, to: IPv4Address, id: UInt16, seq: UInt16, data: [UInt8]) -> [UInt8] {
        var icmp: [UInt8] = [8, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF)] + data
        let c = icmp.withUnsafeBytes { InternetChecksum.compute($0) }
        icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xFF)
        var header = IPv4Header(source: from, destination: to)
        header.protocolNumber = 1
        header.totalLength = UInt16(20 + icmp.count)
        var ip = [UInt8](repeating: 0, count: 20)
        _ = ip.withUnsafeMutableBytes { try! header.emit(into: $0) }
        return ip + icmp
    }

    static func echoRequestV6(from: IPv6Address, to: IPv6Address, id: UInt16, seq: UInt16, data: [UInt8]) -> [UInt8] {
        var icmp: [UInt8] = [128, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF)] + data
        // RFC 4443 §2.3: the checksum covers the IPv6 pseudo-header (RFC 8200 §8.1).
        var sum = InternetChecksum()
        from.bytes.withUnsafeBytes { sum.add($0) }
        to.bytes.withUnsafeBytes { sum.add($0) }
        sum.add(UInt32(icmp.count))
        sum.add(UInt32(58))
        icmp.withUnsafeBytes { sum.add($0) }
        let c = sum.value
        icmp[2] = UInt8(c >> 8); icmp[3] = UInt8(c & 0xFF)
        var header = IPv6Header(source: from, destination: to, nextHeader: 58)
        header.payloadLength = UInt16(icmp.count)
        var ip = [UInt8](repeating: 0, count: 40)
        _ = ip.withUnsafeMutableBytes { try! header.emit(into: $0) }
        return ip + icmp
    }

    struct Echo { var source: String; var id: UInt16; var seq: UInt16; var data: [UInt8] }

    /// The echo reply in `packet` (ICMP type 0, or ICMPv6 type 129), if it is one.
    static func echoReply(_ packet: [UInt8], ipv6: Bool) -> Echo? {
        guard let first = packet.first else { return nil }
        let icmp: ArraySlice<UInt8>
        let source: String
        if ipv6 {
            guard first >> 4 == 6, packet.count >= 48, packet[6] == 58, packet[40] == 129 else { return nil }
            icmp = packet[40...]
            source = IPv6Address(high: packet[8..<16].reduce(0) { $0 << 8 | UInt64($1) }, low: packet[16..<24].reduce(0) { $0 << 8 | UInt64($1) }).description
        } else {
            let ihl = Int(first & 0x0F) * 4
            guard first >> 4 == 4, packet.count >= ihl + 8, packet[9] == 1, packet[ihl] == 0 else { return nil }
            icmp = packet[ihl...]
            source = packet[12..<16].map(String.init).joined(separator: ".")
        }
        let b = Array(icmp)
        return Echo(source: source, id: UInt16(b[4]) << 8 | UInt16(b[5]), seq: UInt16(b[6]) << 8 | UInt16(b[7]), data: Array(b[8...]))
    }
}
