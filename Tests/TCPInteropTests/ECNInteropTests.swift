import Foundation
import Testing

extension InteropSuites {
    /// ECN (RFC 3168) with the Linux kernel over TUN, in a network namespace of the test's own.
    @Suite("Interop: ECN with the kernel", .serialized)
    struct ECNInteropTests {
        /// The kernel, with `net.ipv4.tcp_ecn=1` in the namespace, sends an ECN-setup SYN (ECE and
        /// CWR); `tcpkit tun serve` (ECN accept-only by default, as Linux's tcp_ecn=2) answers with
        /// an ECN-setup SYN-ACK (ECE alone), and both sides' data then goes ECT(0), their pure ACKs
        /// Not-ECT. With `tcp_ecn=0` the kernel asks for nothing and nothing is ECN-capable. Seen
        /// on the TUN interface with tshark (the kernel's `ss -i` does not show ECN everywhere).
        @Test(.interop("python3", "tshark"), arguments: [true, false])
        func kernelClientNegotiatesECN(kernelAsks: Bool) throws {
            guard Interop.available("ECN", tools: ["python3", "tshark"]) else { return }
            guard Tools.tcpkit != nil else {
                Issue.record("no tcpkit beside the test bundle: build it (swift build) first")
                return
            }
            let ns = try NetNamespace()
            defer { ns.delete() }
            try ns.sysctl("net.ipv4.tcp_ecn=\(kernelAsks ? 1 : 0)")
            let server = try TCPKitServer.start(in: ns, mode: "echo", port: 7, seconds: 30)
            let capture = Tools.temporaryFile(".tshark")
            defer { try? FileManager.default.removeItem(atPath: capture) }
            let tshark = try ns.start(["tshark", "-l", "-i", "tcpkit0", "-a", "duration:8", "-f", "tcp port 7", "-T", "fields",
                                       "-e", "ip.src", "-e", "ip.dsfield.ecn", "-e", "tcp.flags.syn", "-e", "tcp.flags.ece",
                                       "-e", "tcp.flags.cwr", "-e", "tcp.len"], seconds: 15, log: capture)
            // Wait until tshark captures ("Capturing on ..." on its standard error).
            let ready = Date().addingTimeInterval(6)
            while !Tools.read(capture).contains("Capturing on") && Date() < ready { usleep(100_000) }
            let script = """
            import socket
            s = socket.create_connection(("198.18.0.2", 7), timeout=10)
            data = b"x" * 20000
            s.sendall(data)
            got = 0
            while got < len(data):
                b = s.recv(65536)
                if not b:
                    break
                got += len(b)
            print("received", got)
            s.close()
            """
            let r = ns.run(["python3", "-c", script], seconds: 20)
            _ = tshark.wait()
            let log = server.stop()
            #expect(r.status == 0 && r.output.contains("received 20000"), "\(r)\n\(log)")
            // (source, ECN field, SYN, ECE, CWR, payload length) per packet.
            let packets = Tools.read(capture).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
                .filter { $0.count == 6 && $0[0].hasPrefix("198.18.0.") }
            let kernel = "198.18.0.1", tcpkit = "198.18.0.2"
            let syn = try #require(packets.first { $0[0] == kernel && $0[2] == "1" }, "\(packets)")
            let synAck = try #require(packets.first { $0[0] == tcpkit && $0[2] == "1" }, "\(packets)")
            #expect(syn[3] == (kernelAsks ? "1" : "0") && syn[4] == (kernelAsks ? "1" : "0"), "SYN \(syn)")
            #expect(synAck[3] == (kernelAsks ? "1" : "0") && synAck[4] == "0", "SYN-ACK \(synAck)")
            #expect(syn[1] == "0" && synAck[1] == "0", "SYNs are Not-ECT")
            let ourData = packets.filter { $0[0] == tcpkit && $0[2] == "0" && $0[5] != "0" }
            let ourACKs = packets.filter { $0[0] == tcpkit && $0[2] == "0" && $0[5] == "0" }
            #expect(!ourData.isEmpty, "\(packets)")
            #expect(ourData.allSatisfy { $0[1] == (kernelAsks ? "2" : "0") }, "TCPKit's data: \(ourData)")
            #expect(ourACKs.allSatisfy { $0[1] == "0" }, "TCPKit's pure ACKs: \(ourACKs)")
            let kernelData = packets.filter { $0[0] == kernel && $0[2] == "0" && $0[5] != "0" }
            #expect(kernelData.allSatisfy { $0[1] == (kernelAsks ? "2" : "0") }, "the kernel's data: \(kernelData)")
        }
    }
}
