import Foundation
import TCPWire
import Testing

/// The `tcpkit` tool beside the test bundle, the Python helpers in Tests/Interop, and files.
enum Tools {
    static var tcpkit: String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let path = dir.appendingPathComponent("tcpkit").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Tests/Interop/NAME (the Python helpers).
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop").appendingPathComponent(name).path
    }

    /// A fresh path in the temporary directory.
    static func temporaryFile(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-interop-\(UUID().uuidString)\(suffix)").path
    }

    /// `n` bytes from a seeded generator, written to a new temporary file; returns the path and
    /// the bytes' SHA-256 (hex) as `sha256sum` computes it.
    static func randomFile(bytes n: Int, seed: UInt64) throws -> (path: String, sha256: String) {
        var random = SplitMix64(seed: seed)
        var data = [UInt8](repeating: 0, count: n)
        var i = 0
        while i < n {
            let z = random.next()
            for k in 0..<8 where i + k < n { data[i + k] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(k))) }
            i += 8
        }
        let path = temporaryFile(".bin")
        _ = FileManager.default.createFile(atPath: path, contents: Data(data))
        let sum = try sha256(of: path)
        return (path, sum)
    }

    static func sha256(of path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Parses the JSON object on the last non-empty line of `text`.
    static func lastJSON(_ text: String) -> [String: Any]? {
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

/// A `tcpkit tun serve` running in a namespace, its standard error in a log file.
struct TCPKitServer {
    let process: Child
    let log: String
    let namespace: NetNamespace

    /// Starts `tcpkit tun serve --mode MODE --port PORT EXTRA...` in `namespace`, bounded by
    /// `seconds` (`--duration`, and `timeout` a little later), and waits until it listens.
    static func start(in namespace: NetNamespace, mode: String, port: Int, seconds: Double, extra: [String] = []) throws -> TCPKitServer {
        let tool = try #require(Tools.tcpkit, "no tcpkit beside the test bundle")
        let log = Tools.temporaryFile(".log")
        let p = try namespace.start([tool, "tun", "serve", "--mode", mode, "--port", String(port),
                                     "--duration", String(seconds)] + extra, seconds: seconds + 10, log: log)
        let server = TCPKitServer(process: p, log: log, namespace: namespace)
        try server.waitUntilListening()
        return server
    }

    func waitUntilListening() throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if Tools.read(log).contains(" server on ") { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        Issue.record("tcpkit tun serve did not start listening: \(Tools.read(log))")
        throw CancellationError()
    }

    /// Sends SIGINT (a clean stop: connections closed with FIN) and waits; returns the log.
    @discardableResult
    func stop() -> String {
        if process.isRunning {
            // To `timeout` alone, which passes it on to tcpkit (its group would get it twice).
            kill(process.pid, SIGINT)
            process.wait()
        }
        defer { try? FileManager.default.removeItem(atPath: log) }
        return Tools.read(log)
    }
}

/// The kernel's TCP settings the interop cases run under (each namespace has its own).
enum KernelTCP: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// Linux's defaults: SACK, timestamps and window scaling on.
    case defaults
    case noSACK, noTimestamps, noWindowScaling

    var sysctl: String? {
        switch self {
        case .defaults: nil
        case .noSACK: "net.ipv4.tcp_sack=0"
        case .noTimestamps: "net.ipv4.tcp_timestamps=0"
        case .noWindowScaling: "net.ipv4.tcp_window_scaling=0"
        }
    }

    var testDescription: String { rawValue }
}

/// How a case runs: the kernel's settings and our side's faults (`--loss`, `--reorder`).
struct Condition: CustomTestStringConvertible, Sendable {
    var kernel: KernelTCP = .defaults
    var lossy = false

    /// `tcpkit tun` options for our side's faults: 5% loss and 5% reordering each way, seeded.
    var faultOptions: [String] { lossy ? ["--loss", "0.05", "--reorder", "0.05", "--seed", "11"] : [] }

    /// The plain case, 5% loss with reordering, and each of the kernel's options off.
    static let all: [Condition] = [Condition(), Condition(lossy: true)] + [KernelTCP.noSACK, .noTimestamps, .noWindowScaling].map { Condition(kernel: $0) }

    var testDescription: String { lossy ? "5% loss + reordering" : kernel.rawValue }

    /// A namespace set up for this condition.
    func namespace() throws -> NetNamespace {
        let ns = try NetNamespace()
        if let s = kernel.sysctl {
            do { try ns.sysctl(s) } catch { ns.delete(); throw error }
        }
        return ns
    }
}
