import Foundation
import Synchronization
import TCPNet
import Testing

/// Whether the interop tests can run here: root, /dev/net/tun, `ip` and the tools a test names.
/// Outside CI a test that cannot run prints a loud notice and passes without checking anything;
/// under CI (env CI=true) it fails, because CI is root and installs the tools.
enum Interop {
    static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Why the tests cannot run at all here, or nil.
    static let unavailable: String? = {
        if getuid() != 0 { return "not root (uid \(getuid())): TUN interfaces and network namespaces need CAP_NET_ADMIN" }
        if !FileManager.default.fileExists(atPath: "/dev/net/tun") { return "no /dev/net/tun" }
        if which("ip") == nil { return "no `ip` (Debian package iproute2)" }
        if which("timeout") == nil { return "no `timeout` (coreutils)" }
        return nil
    }()

    /// Call first in every interop test: true when it can run (root, TUN, `ip` and every tool in
    /// `tools`); otherwise prints why and, under CI, records a failure.
    static func available(_ test: String, tools: [String] = []) -> Bool {
        var reason = unavailable
        if reason == nil, let missing = tools.first(where: { which($0) == nil }) {
            reason = "`\(missing)` is not installed"
        }
        guard let reason else { return true }
        let line = String(repeating: "!", count: 78)
        print("\(line)\n!!! INTEROP TEST NOT RUN: \(test): \(reason)\n!!! (run as root with /dev/net/tun; .ci/run installs the tools)\n\(line)")
        if underCI { Issue.record("interop test \(test) cannot run under CI: \(reason)") }
        return false
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in (path + ":/usr/sbin:/sbin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}

/// What a finished command did.
struct CommandResult: Sendable, CustomStringConvertible {
    var status: Int32
    var output: String
    var timedOut: Bool { status == 124 || status == 137 }
    var description: String { "status \(status): \(output)" }
}

/// A network namespace of the test's own, `tcpkit-test-PID-N`, deleted by `delete()` (the tests
/// call it from `defer`, so it goes even when an expectation fails). Every command run inside is
/// wrapped in coreutils `timeout`, so it ends by itself even if the test process dies; the
/// processes started in the background are killed when the namespace is deleted. Names carry the
/// test process's pid: namespaces left by a process that no longer exists (one killed before its
/// `defer` ran) are deleted when the next one is created.
final class NetNamespace: Sendable {
    let name: String
    private let background = Mutex<[Process]>([])
    private static let counter = Atomic<Int>(0)

    init() throws {
        NetNamespace.removeStale()
        name = "tcpkit-test-\(getpid())-\(NetNamespace.counter.add(1, ordering: .relaxed).newValue)"
        try KernelSide.ip(["netns", "add", name])
        do { try KernelSide.ip(["link", "set", "dev", "lo", "up"], namespace: name) } catch {
            _ = try? KernelSide.ip(["netns", "delete", name])
            throw error
        }
    }

    /// Runs `ARGS` inside the namespace, at most `seconds` (then SIGTERM, SIGKILL 2 s later), and
    /// returns its status and its standard output and error together. `input` goes to its stdin.
    func run(_ args: [String], seconds: Double = 30, input: Data? = nil) -> CommandResult {
        let p = process(args, seconds: seconds)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let inPipe = Pipe()
        p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        do { try p.run() } catch { return CommandResult(status: -1, output: "cannot start: \(error)") }
        if let input {
            let w = inPipe.fileHandleForWriting
            DispatchQueue.global().async {
                try? w.write(contentsOf: input)
                try? w.close()
            }
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs `ARGS` in `sh -c` inside the namespace (for pipes and redirections).
    func shell(_ script: String, seconds: Double = 30) -> CommandResult {
        run(["sh", "-c", script], seconds: seconds)
    }

    /// Starts `ARGS` inside the namespace in the background (bounded by `seconds` as `run`),
    /// its output to `log` (a file path) when given. Killed by `delete()` if still running.
    @discardableResult
    func start(_ args: [String], seconds: Double, log: String? = nil) throws -> Process {
        let p = process(args, seconds: seconds)
        p.standardInput = FileHandle.nullDevice
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            p.standardOutput = h
            p.standardError = h
        } else {
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
        }
        try p.run()
        background.withLock { $0.append(p) }
        return p
    }

    private func process(_ args: [String], seconds: Double) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Interop.which("ip") ?? "/usr/sbin/ip")
        p.arguments = ["netns", "exec", name, "timeout", "-k", "2", String(format: "%.1f", seconds)] + args
        return p
    }

    /// Sets a sysctl in the namespace (`net.ipv4.tcp_sack=0`).
    func sysctl(_ setting: String) throws {
        let r = run(["sysctl", "-q", "-w", setting], seconds: 10)
        if r.status != 0 { throw TUNError.commandFailed(command: "sysctl -w \(setting)", status: r.status, output: r.output) }
    }

    /// Kills what `start` left running, then deletes the namespace.
    func delete() {
        for p in background.withLock({ $0 }) where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        _ = try? KernelSide.ip(["netns", "delete", name])
    }

    /// Deletes `tcpkit-test-PID-N` namespaces whose process is gone.
    static func removeStale() {
        guard let list = try? KernelSide.ip(["netns", "list"]) else { return }
        for line in list.split(separator: "\n") {
            let ns = String(line.split(separator: " ").first ?? "")
            let parts = ns.split(separator: "-")
            guard ns.hasPrefix("tcpkit-test-"), parts.count == 4, let pid = Int32(parts[2]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH { _ = try? KernelSide.ip(["netns", "delete", ns]) }
        }
    }
}

/// One namespace with a TUN interface in it, the kernel's side configured as `tcpkit tun` does it:
/// 198.18.0.1/24 and 2001:2::1/64 for the kernel, 198.18.0.2 and 2001:2::2 for TCPKit (RFC 2544's
/// and RFC 5180's benchmarking ranges: nothing outside the namespace routes them).
struct TUNNamespace {
    static let kernelV4 = "198.18.0.1", stackV4 = "198.18.0.2"
    static let kernelV6 = "2001:2::1", stackV6 = "2001:2::2"
    let namespace: NetNamespace
    let device: TUNDevice

    init(deviceName: String = "tcpkit0") throws {
        let ns = try NetNamespace()
        do {
            device = try TUNDevice(name: deviceName, namespace: ns.name)
            try KernelSide.configure(device: deviceName, addresses: [Self.kernelV4 + "/24", Self.kernelV6 + "/64"], namespace: ns.name)
        } catch {
            ns.delete()
            throw error
        }
        namespace = ns
    }

    func delete() {
        device.stop()
        namespace.delete()
    }
}

/// Packets a device delivered, kept for a test to wait on.
final class PacketCollector: Sendable {
    private let packets = Mutex<[[UInt8]]>([])

    var receive: @Sendable (UnsafeRawBufferPointer) -> Void {
        { p in self.packets.withLock { $0.append(Array(p)) } }
    }

    var all: [[UInt8]] { packets.withLock { $0 } }

    /// Waits (polling every 10 ms, at most `seconds`) for a packet that `match` accepts.
    func wait(seconds: Double = 5, _ match: ([UInt8]) -> Bool) async -> [UInt8]? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let p = all.first(where: match) { return p }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return all.first(where: match)
    }
}
