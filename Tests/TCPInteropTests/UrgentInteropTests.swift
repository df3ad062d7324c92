import Foundation
import TCPCore
import TCPNet
import TCPWire
import Testing

extension InteropSuites {
    /// Urgent data between TCPKit and the Linux kernel (RFC 9293 §3.8.5 MUST-62, RFC 6093): both
    /// read the urgent pointer as the first non-urgent octet, so the byte Linux takes out of band
    /// (its default, without SO_OOBINLINE) is the last one TCPKit marked urgent, and the mark
    /// TCPKit computes from Linux's pointer falls after the last byte Linux sent with MSG_OOB.
    @Suite("Urgent data with the kernel", .serialized)
    struct UrgentInteropTests {
        @Test(.interop("python3", "ss"))
        func tcpkitUrgentToKernel() async throws {
            guard Interop.available("urgent data, TCPKit sending", tools: ["python3", "ss"]) else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            let sink = try tun.namespace.start(["python3", "-c", """
                import socket, select, time
                l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                l.bind(("0.0.0.0", 5302)); l.listen(1)
                c, _ = l.accept()
                select.select([], [], [c], 10)
                oob = b""
                for _ in range(100):
                    try:
                        oob = c.recv(1, socket.MSG_OOB); break
                    except OSError: time.sleep(0.05)
                rest = b""
                while True:
                    d = c.recv(100)
                    if not d: break
                    rest += d
                print("oob", oob.decode(), "rest", rest.decode())
                """], seconds: 30)
            #expect(TCPKitClientTests.waitForListener(tun.namespace, port: 5302))
            let stack = try NetworkStack(device: tun.device, addresses: [IPAddress(TUNNamespace.stackV4)!])
            let connection = try await stack.connect(to: SocketAddress(IPAddress(TUNNamespace.kernelV4)!, 5302))
            try await connection.write(Array("ab".utf8))
            try await connection.writeUrgent(Array("xyz".utf8))
            try await connection.shutdown(.write)
            #expect(try await connection.read() == nil)
            #expect(sink.wait() == 0)
            #expect(sink.output.contains("oob z rest abxy"), "\(sink.output)")
            await stack.shutdown(gracePeriod: .milliseconds(200))
        }

        @Test(.interop("python3"))
        func kernelUrgentToTCPKit() async throws {
            guard Interop.available("urgent data, kernel sending", tools: ["python3"]) else { return }
            let tun = try TUNNamespace()
            defer { tun.delete() }
            let stack = try NetworkStack(device: tun.device, addresses: [IPAddress(TUNNamespace.stackV4)!])
            let listener = try stack.listen(port: 5301)
            let sender = try tun.namespace.start(["python3", "-c", """
                import socket, time
                for _ in range(100):
                    try:
                        s = socket.create_connection(("\(TUNNamespace.stackV4)", 5301), timeout=10); break
                    except OSError: time.sleep(0.05)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(b"ab"); time.sleep(0.1)
                s.send(b"XYZ", socket.MSG_OOB); time.sleep(0.1)
                s.sendall(b"cd"); s.close(); print("sent")
                """], seconds: 30)
            var iterator = listener.makeAsyncIterator()
            let connection = try #require(try await iterator.next())
            let status = try #require(try await connection.nextUrgentData())
            // Nothing read yet: a, b and the three urgent bytes lie before the end of the urgent data.
            #expect(status.bytesToEnd == 5)
            var got: [UInt8] = []
            for try await chunk in connection { got += chunk }
            #expect(got == Array("abXYZcd".utf8))
            #expect(sender.wait() == 0, "\(sender.output)")
            await stack.shutdown(gracePeriod: .milliseconds(200))
        }
    }
}
