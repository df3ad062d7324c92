import Foundation
import Testing

extension InteropSuites {
    /// How connections end between TCPKit and the kernel (RFC 9293 §3.6): the side that closes first
    /// goes FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT, the other CLOSE-WAIT → LAST-ACK → CLOSED. TCPKit's
    /// states come from its `--trace` ladder, the kernel's from `ss` in the namespace. Neither side may
    /// be left in CLOSE-WAIT, LAST-ACK, FIN-WAIT-1 or FIN-WAIT-2.
    @Suite("Interop: teardown", .serialized)
    struct TeardownTests {
        static let kernel = "198.18.0.1"
        static let stuck = ["CLOSE-WAIT", "LAST-ACK", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "SYN-SENT", "SYN-RECV", "ESTAB"]

        /// The kernel's TCP sockets on `port` (any state but LISTEN), one `STATE local peer` line each.
        static func kernelSockets(_ ns: NetNamespace, port: Int) -> [String] {
            ns.run(["ss", "-Htan", "state", "all", "( sport = :\(port) )"], seconds: 5).output
                .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("LISTEN") }
        }

        /// TCPKit closes first: it sends its data, reaches the end of its input and shuts down its
        /// sending side; the Python server reads to the end and closes. TCPKit passes through
        /// FIN-WAIT-2 (or CLOSING) into TIME-WAIT; the kernel's socket goes LAST-ACK → CLOSED, so
        /// `ss` shows nothing left for the connection.
        @Test func tcpkitClosesFirst() throws {
            guard Interop.available("teardown, TCPKit first", tools: ["python3", "ss"]), let tool = Tools.tcpkit else {
                if Tools.tcpkit == nil && Interop.underCI { Issue.record("no tcpkit beside the test bundle") }
                return
            }
            let ns = try NetNamespace()
            defer { ns.delete() }
            try ns.start(["python3", "-c", """
                import socket
                l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                l.bind(("0.0.0.0", 7000)); l.listen(1)
                c, _ = l.accept()
                while c.recv(65536): pass
                c.close(); l.close()
                """], seconds: 60)
            #expect(TCPKitClientTests.waitForListener(ns, port: 7000))
            let r = ns.shell("printf 'hello, kernel' | \(tool) tun connect \(Self.kernel) 7000 --trace --duration 30 2>&1", seconds: 40)
            #expect(r.status == 0, "\(r)")
            #expect(r.output.contains("ESTABLISHED → FIN-WAIT-1"), "\(r)")
            #expect(r.output.contains("→ TIME-WAIT"), "TCPKit did not pass through TIME-WAIT:\n\(r)")
            // The kernel's last ACK is in, so its socket is gone (give the Python side a moment to close).
            var left: [String] = []
            for _ in 0..<50 {
                left = Self.kernelSockets(ns, port: 7000)
                if left.isEmpty { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(left.isEmpty, "kernel sockets left: \(left)")
        }

        /// The kernel closes first: the Python server answers and closes at once, while TCPKit's input
        /// is still open for a second. TCPKit goes CLOSE-WAIT → LAST-ACK → CLOSED; the kernel's socket
        /// ends in TIME-WAIT (its correct last state, as the side that closed first), never stuck in
        /// FIN-WAIT-2 or anything else.
        @Test func kernelClosesFirst() throws {
            guard Interop.available("teardown, kernel first", tools: ["python3", "ss"]), let tool = Tools.tcpkit else {
                if Tools.tcpkit == nil && Interop.underCI { Issue.record("no tcpkit beside the test bundle") }
                return
            }
            let ns = try NetNamespace()
            defer { ns.delete() }
            try ns.start(["python3", "-c", """
                import socket
                l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                l.bind(("0.0.0.0", 7001)); l.listen(1)
                c, _ = l.accept()
                c.sendall(b"bye from the kernel\\n")
                c.close(); l.close()
                """], seconds: 60)
            #expect(TCPKitClientTests.waitForListener(ns, port: 7001))
            let r = ns.shell("sleep 1 | \(tool) tun connect \(Self.kernel) 7001 --trace --duration 30 2>&1", seconds: 40)
            #expect(r.status == 0, "\(r)")
            #expect(r.output.contains("bye from the kernel"))
            #expect(r.output.contains("ESTABLISHED → CLOSE-WAIT"), "\(r)")
            #expect(r.output.contains("CLOSE-WAIT → LAST-ACK"), "\(r)")
            #expect(r.output.contains("LAST-ACK → CLOSED"), "\(r)")
            let left = Self.kernelSockets(ns, port: 7001)
            #expect(left.allSatisfy { $0.hasPrefix("TIME-WAIT") }, "kernel sockets: \(left)")
            #expect(left.count <= 1)
            #expect(!left.contains { line in Self.stuck.contains { line.hasPrefix($0) } })
        }
    }
}
