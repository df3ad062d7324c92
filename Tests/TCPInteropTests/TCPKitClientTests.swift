import Foundation
import Testing

extension InteropSuites {
    /// `tcpkit tun connect` as the client of the kernel's servers, in a namespace of its own, under
    /// the same conditions as the server cases.
    @Suite("Interop: TCPKit client → kernel server", .serialized)
    struct TCPKitClientTests {
        static let kernel = "198.18.0.1"

        /// Waits (at most 10 s) until something listens on `port` in the namespace.
        static func waitForListener(_ ns: NetNamespace, port: Int) -> Bool {
            for _ in 0..<200 {
                if ns.run(["ss", "-Htln", "sport = :\(port)"], seconds: 5).output.contains(":\(port)") { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }

        /// Fetch a file from `python3 -m http.server` (HTTP/1.0: the server closes after the answer).
        @Test(.interop("python3", "ss"), arguments: Condition.all)
        func fetchFromPythonHTTPServer(_ condition: Condition) throws {
            guard Interop.available("http.server fetch", tools: ["python3", "ss"]), let tool = Tools.tcpkit ?? missingTool() else { return }
            let ns = try condition.namespace()
            defer { ns.delete() }
            let dir = Tools.temporaryFile(".d")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let (file, sum) = try Tools.randomFile(bytes: 300_000, seed: 9)
            try FileManager.default.moveItem(atPath: file, toPath: dir + "/data.bin")
            try ns.start(["python3", "-m", "http.server", "8000", "--bind", "0.0.0.0", "--directory", dir], seconds: 90)
            #expect(Self.waitForListener(ns, port: 8000))
            let out = Tools.temporaryFile(".out")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = ns.shell("printf 'GET /data.bin HTTP/1.0\\r\\n\\r\\n' | \(tool) tun connect \(Self.kernel) 8000 --duration 60 \(condition.faultOptions.joined(separator: " ")) > \(out)", seconds: 70)
            #expect(r.status == 0, "\(r)")
            // The body is what follows the blank line that ends the head.
            let response = try Data(contentsOf: URL(fileURLWithPath: out))
            let head = String(decoding: response.prefix(200), as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.0 200 OK"), "\(head)")
            let marker = Data("\r\n\r\n".utf8)
            let bodyStart = try #require(response.range(of: marker)).upperBound
            let body = Tools.temporaryFile(".body")
            defer { try? FileManager.default.removeItem(atPath: body) }
            try response[bodyStart...].write(to: URL(fileURLWithPath: body))
            #expect(try Tools.sha256(of: body) == sum)
        }

        static func sendBytes(_ c: Condition) -> Int {
            if c.lossy { return 4 << 20 }
            return c.kernel == .defaults ? 64 << 20 : 16 << 20
        }

        /// Bulk send to a Python sink that hashes what it receives.
        @Test(.interop("python3", "ss"), arguments: Condition.all)
        func bulkSendToPythonSink(_ condition: Condition) throws {
            guard Interop.available("bulk send to a Python sink", tools: ["python3", "ss"]), let tool = Tools.tcpkit ?? missingTool() else { return }
            let ns = try condition.namespace()
            defer { ns.delete() }
            let bytes = Self.sendBytes(condition)
            let (file, sum) = try Tools.randomFile(bytes: bytes, seed: 3)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let sinkLog = Tools.temporaryFile(".log")
            defer { try? FileManager.default.removeItem(atPath: sinkLog) }
            let sink = try ns.start(["python3", Tools.script("sink_server.py"), "0.0.0.0", "9000"], seconds: 150, log: sinkLog)
            #expect(Self.waitForListener(ns, port: 9000))
            let start = Date()
            let r = ns.shell("\(tool) tun connect \(Self.kernel) 9000 --duration 120 \(condition.faultOptions.joined(separator: " ")) < \(file)", seconds: 130)
            let seconds = Date().timeIntervalSince(start)
            sink.wait()
            let json = Tools.lastJSON(Tools.read(sinkLog))
            #expect(r.status == 0, "\(r)")
            #expect(json?["received"] as? Int == bytes, "\(Tools.read(sinkLog))")
            #expect(json?["sha256"] as? String == sum)
            print("interop send \(condition.testDescription): \(bytes >> 20) MiB in \(String(format: "%.2f", seconds)) s (tool start-up included)")
        }

        /// Nothing listens: the kernel answers the SYN with RST,ACK and `connect` fails "refused".
        @Test(.interop()) func connectToClosedPortIsRefused() throws {
            guard Interop.available("refused"), let tool = Tools.tcpkit ?? missingTool() else { return }
            let ns = try NetNamespace()
            defer { ns.delete() }
            let r = ns.shell("\(tool) tun connect \(Self.kernel) 9 --duration 30 < /dev/null", seconds: 40)
            #expect(r.status == 1, "\(r)")
            #expect(r.output.contains("connection refused"), "\(r)")
        }

        /// Without root (run as `nobody`) the tool stops at once with a clear error and status 2.
        @Test(.interop("setpriv")) func withoutRootExitStatusTwo() throws {
            guard Interop.available("not root", tools: ["setpriv"]), let tool = Tools.tcpkit ?? missingTool() else { return }
            // The build directory must be reachable for nobody; copy the tool somewhere it is.
            let copy = Tools.temporaryFile("-tcpkit")
            try FileManager.default.copyItem(atPath: tool, toPath: copy)
            defer { try? FileManager.default.removeItem(atPath: copy) }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
            let ns = try NetNamespace()
            defer { ns.delete() }
            for args in [["serve", "--mode", "echo", "--port", "7"], ["connect", Self.kernel, "7"]] {
                let r = ns.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy, "tun"] + args, seconds: 20)
                #expect(r.status == 2, "\(r)")
                #expect(r.output.contains("needs root"), "\(r)")
            }
        }

        func missingTool() -> String? {
            print("!!! no tcpkit beside the test bundle (\(CommandLine.arguments[0]))")
            Issue.record("no tcpkit beside the test bundle: build it (swift build) first")
            return nil
        }
    }
}
