import Foundation
import Synchronization
import TCPCore
import TCPNet
import TCPWire
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
        @Test(.interop("python3", "ss")) func tcpkitClosesFirst() throws {
            guard Interop.available("teardown, TCPKit first", tools: ["python3", "ss"]), let tool = Tools.tcpkit else {
                if Tools.tcpkit == nil { Issue.record("no tcpkit beside the test bundle: build it (swift build) first") }
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
        @Test(.interop("python3", "ss")) func kernelClosesFirst() throws {
            guard Interop.available("teardown, kernel first", tools: ["python3", "ss"]), let tool = Tools.tcpkit else {
                if Tools.tcpkit == nil { Issue.record("no tcpkit beside the test bundle: build it (swift build) first") }
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

        /// The kernel closes first and TCPKit's FIN crosses the kernel's FIN: a simultaneous close
        /// (RFC 9293 §3.6, Figure 13). The only way for TCPKit to pass through TIME-WAIT when the
        /// kernel's FIN goes first: with the FINs in series (the test above) the side that closed
        /// first holds TIME-WAIT. To make the FINs cross every time, the kernel's packets are held
        /// on our side of the TUN device until its FIN is among them; TCPKit then shuts down its
        /// sending side, and only after the kernel has answered our FIN (it goes CLOSING) does the
        /// held FIN reach TCPKit. Each side goes FIN-WAIT-1 → CLOSING → TIME-WAIT, and neither is
        /// left in any other state.
        @Test(.interop("python3", "ss")) func kernelClosesFirstAndTheFINsCross() async throws {
            guard Interop.available("teardown, simultaneous close", tools: ["python3", "ss"]) else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            let ns = tun.namespace
            let port = 7002
            try ns.start(["python3", "-c", """
                import socket
                l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                l.bind(("0.0.0.0", \(port))); l.listen(1)
                c, _ = l.accept()
                c.recv(1)
                c.close(); l.close()
                """], seconds: 30)
            #expect(TCPKitClientTests.waitForListener(ns, port: port))

            let holding = HoldingDevice(tun.device)
            let transitions = Mutex<[String]>([])
            let hooks = NetworkStack.Hooks(trace: { record in
                if case .state(let from, let to) = record.kind {
                    transitions.withLock { $0.append("\(from) → \(to)") }
                }
            })
            let stack = try NetworkStack(device: holding, addresses: [IPAddress(TUNNamespace.stackV4)!], hooks: hooks)
            let connection = try await stack.connect(to: SocketAddress(IPAddress(TUNNamespace.kernelV4)!, UInt16(port)))

            holding.hold()
            try await connection.write(Array("c".utf8))     // the server reads it and closes
            #expect(holding.waitForHeld(seconds: 5) { $0.header.flags.contains(.fin) }, "no FIN from the kernel")
            #expect(await connection.info()?.state == .established)   // its FIN is held, not seen
            try await connection.shutdown(.write)              // our FIN crosses the kernel's
            #expect(await connection.info()?.state == .finWait1)
            // The kernel, in FIN-WAIT-1, takes our FIN before the ACK of its own: CLOSING.
            let kernelClosing = await Self.eventually { Self.kernelSockets(ns, port: port).contains { $0.hasPrefix("CLOSING") } }
            #expect(kernelClosing, "kernel sockets: \(Self.kernelSockets(ns, port: port))")
            holding.release()

            #expect(try await connection.read() == nil)        // the kernel's FIN, no data
            let timeWait = await Self.eventually { await connection.info()?.state == .timeWait }
            #expect(timeWait, "TCPKit's transitions: \(transitions.withLock { $0 })")
            let seen = transitions.withLock { $0 }
            #expect(seen.suffix(3) == ["ESTABLISHED → FIN-WAIT-1", "FIN-WAIT-1 → CLOSING", "CLOSING → TIME-WAIT"], "\(seen)")
            // The kernel got the ACK of its FIN: TIME-WAIT too, nothing stuck.
            let kernelDone = await Self.eventually { Self.kernelSockets(ns, port: port).allSatisfy { $0.hasPrefix("TIME-WAIT") } }
            let left = Self.kernelSockets(ns, port: port)
            #expect(kernelDone && left.count == 1, "kernel sockets: \(left)")
            await stack.shutdown(gracePeriod: .milliseconds(100))
        }

        /// Polls `condition` every 20 ms for at most 5 s.
        static func eventually(_ condition: () async -> Bool) async -> Bool {
            for _ in 0..<250 {
                if await condition() { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return await condition()
        }
    }
}

/// A device that can hold back what the kernel sends: while holding, received packets are kept
/// (in order) instead of delivered; `release` delivers them and lets later ones through. Delivery
/// happens under the lock, so released packets are never overtaken by newer ones.
final class HoldingDevice: PacketDevice {
    struct State {
        var receive: (@Sendable (UnsafeRawBufferPointer) -> Void)?
        var holding = false
        var held: [[UInt8]] = []
    }
    let inner: TUNDevice
    let state = Mutex(State())

    init(_ inner: TUNDevice) { self.inner = inner }

    func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {
        state.withLock { $0.receive = receive }
        try inner.start { packet in
            self.state.withLock { s in
                if s.holding { s.held.append(Array(packet)) } else { s.receive?(packet) }
            }
        }
    }

    func send(_ packet: UnsafeRawBufferPointer) { inner.send(packet) }
    func stop() { inner.stop() }

    func hold() { state.withLock { $0.holding = true } }

    func release() {
        state.withLock { s in
            s.holding = false
            for p in s.held { p.withUnsafeBytes { s.receive?($0) } }
            s.held = []
        }
    }

    /// Waits (polling every 10 ms) until a held packet parses as a TCP segment that `match` accepts.
    func waitForHeld(seconds: Double, _ match: (TCPSegmentView) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        repeat {
            let found = state.withLock { s in
                s.held.contains { p in (try? p.withUnsafeBytes { try TCPPacket.parse($0) }).map(match) ?? false }
            }
            if found { return true }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        return false
    }
}
