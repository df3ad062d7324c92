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
        guard let reason = reason(tools: tools) else { return true }
        let line = String(repeating: "!", count: 78)
        print("\(line)\n!!! INTEROP TEST NOT RUN: \(test): \(reason)\n!!! (run as root with /dev/net/tun; .ci/run installs the tools)\n\(line)")
        if underCI { Issue.record("interop test \(test) cannot run under CI: \(reason)") }
        return false
    }

    /// Why a test needing `tools` cannot run here, or nil when it can.
    static func reason(tools: [String]) -> String? {
        if let unavailable { return unavailable }
        return tools.first(where: { which($0) == nil }).map { "`\($0)` is not installed" }
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

/// Every interop suite, one case at a time: they run real transfers at full speed, and beside each
/// other (and beside the other packages' suites) on two cores they would slow everything else down.
/// Every interop test carries `.interop(tools...)`: where it cannot run (not root, no TUN, a tool
/// missing) it is reported as skipped with the reason; under CI it runs anyway and
/// `Interop.available` fails it, because CI is root and installs every tool.
extension Trait where Self == ConditionTrait {
    static func interop(_ tools: String...) -> Self {
        let reason = Interop.reason(tools: tools)
        return .enabled(if: Interop.underCI || reason == nil,
                        Comment(rawValue: "INTEROP TEST NOT RUN: \(reason ?? "")"))
    }
}

@Suite("Interop with the Linux kernel (root, TUN)", .serialized)
struct InteropSuites {}

/// What a finished command did.
struct CommandResult: Sendable, CustomStringConvertible {
    var status: Int32
    var output: String
    var description: String { "status \(status): \(output)" }
}

/// A child process started with posix_spawn rather than Foundation's `Process`: in its own
/// process group (so that `kill` reaches `timeout` and what it runs), with no signal blocked and
/// SIGINT/SIGTERM at their defaults whatever the test runner's threads block or ignore (a child of
/// `Process` inherited a blocked SIGINT, and `tcpkit tun serve` never saw its Ctrl-C), standard
/// input from /dev/null and standard output and error into a file.
final class Child: Sendable {
    let pid: pid_t
    let log: String
    private let status = Mutex<Int32?>(nil)

    init(_ argv: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let args = argv.map { strdup($0) } + [nil]
        defer { for a in args { free(a) } }
        var pid = pid_t()
        let r = posix_spawnp(&pid, argv[0], &actions, &attributes, args, environ)
        guard r == 0 else { throw TUNError.system(call: "posix_spawn \(argv[0])", errno: r) }
        self.pid = pid
        self.log = log
    }

    /// Waits for the process to end; its exit status, or 128 + the signal that ended it.
    @discardableResult
    func wait() -> Int32 {
        if let s = status.withLock({ $0 }) { return s }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            if errno != EINTR { return status.withLock { $0 } ?? -1 }
        }
        let code = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        status.withLock { $0 = code }
        return code
    }

    /// Whether it still runs (reaps it if it ended).
    var isRunning: Bool {
        if status.withLock({ $0 }) != nil { return false }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == pid {
            let code = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            status.withLock { $0 = code }
            return false
        }
        return r == 0
    }

    /// Sends `signal` to the process's whole group.
    func signal(_ signal: Int32) { kill(-pid, signal) }

    var output: String { Tools.read(log) }
}

/// A network namespace of the test's own, `tcpkit-test-PID-N`, deleted by `delete()` (the tests
/// call it from `defer`, so it goes even when an expectation fails). Every command run inside is
/// wrapped in coreutils `timeout`, so it ends by itself even if the test process dies; the
/// processes started in the background are killed (their whole process group) when the namespace
/// is deleted. Names carry the test process's pid: namespaces left by a process that no longer
/// exists (one killed before its `defer` ran) are deleted when the next one is created.
final class NetNamespace: Sendable {
    let name: String
    private let background = Mutex<[Child]>([])
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
    /// returns its status and its standard output and error together.
    func run(_ args: [String], seconds: Double = 30) -> CommandResult {
        let log = Tools.temporaryFile(".out")
        defer { try? FileManager.default.removeItem(atPath: log) }
        do {
            let c = try Child(wrapped(args, seconds: seconds), log: log)
            let status = c.wait()
            return CommandResult(status: status, output: c.output)
        } catch {
            return CommandResult(status: -1, output: "cannot start \(args): \(error)")
        }
    }

    /// Runs `SCRIPT` with `sh -c` inside the namespace (for pipes and redirections).
    func shell(_ script: String, seconds: Double = 30) -> CommandResult {
        run(["sh", "-c", script], seconds: seconds)
    }

    /// Starts `ARGS` inside the namespace in the background (bounded by `seconds` as `run`), its
    /// output to `log` (a temporary file when nil). Killed by `delete()` if still running.
    @discardableResult
    func start(_ args: [String], seconds: Double, log: String? = nil) throws -> Child {
        let c = try Child(wrapped(args, seconds: seconds), log: log ?? Tools.temporaryFile(".log"))
        background.withLock { $0.append(c) }
        return c
    }

    private func wrapped(_ args: [String], seconds: Double) -> [String] {
        [Interop.which("ip") ?? "/usr/sbin/ip", "netns", "exec", name, "timeout", "-k", "2", String(format: "%.1f", seconds)] + args
    }

    /// Sets a sysctl in the namespace (`net.ipv4.tcp_sack=0`).
    func sysctl(_ setting: String) throws {
        let r = run(["sysctl", "-q", "-w", setting], seconds: 10)
        if r.status != 0 { throw TUNError.commandFailed(command: "sysctl -w \(setting)", status: r.status, output: r.output) }
    }

    /// Kills what `start` left running, then deletes the namespace.
    func delete() {
        for c in background.withLock({ $0 }) where c.isRunning {
            c.signal(SIGKILL)
            c.wait()
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

    init(deviceName: String = "tcpkit0", offload: Bool = true) throws {
        let ns = try NetNamespace()
        do {
            device = try TUNDevice(name: deviceName, namespace: ns.name, offload: offload)
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

    /// Waits (polling every 10 ms, at most `seconds`) for a packet that `match` accepts. Blocking
    /// rather than async: the interop suites block threads of the cooperative pool in waitpid(2), and
    /// a suspended test could wait behind them far longer than its own bound.
    func wait(seconds: Double = 5, _ match: ([UInt8]) -> Bool) -> [UInt8]? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let p = all.first(where: match) { return p }
            usleep(10_000)
        }
        return all.first(where: match)
    }
}
