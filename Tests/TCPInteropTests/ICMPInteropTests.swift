import Foundation
import TCPNet
import Testing

extension InteropSuites {
    /// ICMP from the kernel reaching TCPKit over TUN (RFC 9293 §3.9.2.2, RFC 1191): a path whose
    /// MTU is smaller than the interface's, where the kernel routing between the TUN device and a
    /// second namespace sends Fragmentation Needed; and a port the kernel rejects with ICMP.
    @Suite("Interop: ICMP from the kernel", .serialized)
    struct ICMPInteropTests {
        /// TCPKit (198.18.0.2 / 2001:2::2, on the TUN device in namespace A) sends to a kernel
        /// sink in namespace B through A's kernel, which forwards over a veth pair whose route has
        /// MTU 1280. The sink's SYN-ACK offers MSS 1460 / 1440 (its own interface has MTU 1500), so
        /// TCPKit's first full segments are 1500 bytes (IPv4 with DF): A's kernel answers
        /// Fragmentation Needed / Packet Too Big (MTU 1280) and the transfer must go on at the
        /// smaller size and arrive intact. Without path MTU discovery every full-sized segment
        /// would vanish (a black hole) and the transfer would time out.
        @Test(.interop("python3", "ss", "nstat"), arguments: [false, true])
        func transferCrossesSmallerPathMTU(ipv6: Bool) throws {
            guard Interop.available("path MTU 1280", tools: ["python3", "ss", "nstat"]), let tool = Tools.tcpkit ?? missingTool() else { return }
            let a = try NetNamespace()
            defer { a.delete() }
            let b = try NetNamespace()
            defer { b.delete() }
            let server = ipv6 ? "2001:2:1::2" : "198.19.0.2"
            let family = ipv6 ? ["-6"] : ["-4"]
            // A veth pair between the namespaces, MTU 1500 on both ends; the route from A to the
            // server says 1280 (forwarded packets honour a route's MTU).
            _ = try KernelSide.ip(["link", "add", "vA", "type", "veth", "peer", "name", "vB", "netns", b.name], namespace: a.name)
            _ = try KernelSide.ip(["addr", "add", ipv6 ? "2001:2:1::1/64" : "198.19.0.1/24", "dev", "vA"] + (ipv6 ? ["nodad"] : []), namespace: a.name)
            _ = try KernelSide.ip(["link", "set", "vA", "up"], namespace: a.name)
            _ = try KernelSide.ip(family + ["route", "add", server + (ipv6 ? "/128" : "/32"), "dev", "vA", "mtu", "1280"], namespace: a.name)
            _ = try KernelSide.ip(["addr", "add", server + (ipv6 ? "/64" : "/24"), "dev", "vB"] + (ipv6 ? ["nodad"] : []), namespace: b.name)
            _ = try KernelSide.ip(["link", "set", "vB", "up"], namespace: b.name)
            _ = try KernelSide.ip(family + ["route", "add", ipv6 ? "2001:2::/64" : "198.18.0.0/24", "via", ipv6 ? "2001:2:1::1" : "198.19.0.1"], namespace: b.name)
            try a.sysctl(ipv6 ? "net.ipv6.conf.all.forwarding=1" : "net.ipv4.ip_forward=1")
            let bytes = 4 << 20
            let (file, sum) = try Tools.randomFile(bytes: bytes, seed: 16)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let sinkLog = Tools.temporaryFile(".log")
            defer { try? FileManager.default.removeItem(atPath: sinkLog) }
            let sink = try b.start(["python3", Tools.script("sink_server.py"), ipv6 ? "::" : "0.0.0.0", "9000"], seconds: 90, log: sinkLog)
            #expect(TCPKitClientTests.waitForListener(b, port: 9000))
            let r = a.shell("\(tool) tun connect \(server) 9000 --duration 60 < \(file)", seconds: 70)
            sink.wait()
            let json = Tools.lastJSON(Tools.read(sinkLog))
            #expect(r.status == 0, "\(r)")
            #expect(json?["received"] as? Int == bytes, "\(Tools.read(sinkLog))")
            #expect(json?["sha256"] as? String == sum)
            // The kernel did send the ICMP message, and TCPKit lowered its MSS from it.
            let counter = ipv6 ? "Icmp6OutPktTooBigs" : "IcmpMsgOutType3"
            let icmp = a.run(["nstat", "-az", counter], seconds: 10).output
            let sent = icmp.split(separator: "\n").first { $0.hasPrefix(counter) }
                .flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }.flatMap { Int($0) } ?? 0
            #expect(sent >= 1, "\(icmp)")
            #expect(r.output.contains("path MTU reductions: 1"), "\(r)")
            print("interop path MTU 1280 (\(ipv6 ? "IPv6" : "IPv4")): \(bytes >> 20) MiB intact; kernel sent \(sent) \(counter); \(r.output.split(separator: "\n").last ?? "")")
        }

        /// The kernel rejects the port with ICMP port unreachable (an nftables rule, as a firewall
        /// would) instead of RST: TCPKit's connect fails at once with "port unreachable".
        @Test(.interop("nft"))
        func portUnreachableFailsConnect() throws {
            guard Interop.available("ICMP port unreachable", tools: ["nft"]), let tool = Tools.tcpkit ?? missingTool() else { return }
            let ns = try NetNamespace()
            defer { ns.delete() }
            let rule = ns.shell("nft add table inet tcpkit && nft add chain inet tcpkit input '{ type filter hook input priority 0; }' && nft add rule inet tcpkit input tcp dport 9 reject with icmp type port-unreachable", seconds: 10)
            #expect(rule.status == 0, "\(rule)")
            let start = Date()
            let r = ns.shell("\(tool) tun connect \(TCPKitClientTests.kernel) 9 --duration 30 < /dev/null", seconds: 40)
            let seconds = Date().timeIntervalSince(start)
            #expect(r.status == 1, "\(r)")
            #expect(r.output.contains("port unreachable"), "\(r)")
            // At once: not after the SYN retries (the first retransmission alone is 1 s away).
            #expect(seconds < 5, "took \(seconds) s")
        }

        func missingTool() -> String? {
            print("!!! no tcpkit beside the test bundle (\(CommandLine.arguments[0]))")
            Issue.record("no tcpkit beside the test bundle: build it (swift build) first")
            return nil
        }
    }
}
