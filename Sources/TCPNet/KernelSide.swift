#if canImport(Glibc)
import Glibc

/// The kernel's end of a TUN interface: its addresses and link state, set with iproute2's `ip`
/// (a subprocess rather than netlink: three commands at start-up, and the same commands a person
/// would type, which the error messages can show). Spawned with posix_spawn, not Foundation's
/// `Process`: that one wants a loopback socket pair for its run loop, which a fresh network
/// namespace (loopback down) does not give, and hangs there.
public enum KernelSide {
    /// The `ip` binary: the usual places, then PATH.
    static var ipCommand: String {
        for p in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] where access(p, X_OK) == 0 { return p }
        return "ip"
    }

    /// Gives interface `device` the addresses (`198.18.0.1/24`, `2001:2::1/64`), a transmit queue
    /// of `transmitQueueLength` packets, and brings it up.
    /// `ip addr replace` makes it idempotent. IPv6 addresses skip duplicate address detection
    /// (`nodad`), so they are usable at once. With `namespace`, everything happens in that
    /// network namespace (`ip -n`).
    public static func configure(device: String, addresses: [String], namespace: String? = nil) throws(TUNError) {
        for a in addresses {
            var args = ["addr", "replace", a, "dev", device]
            if a.contains(":") { args = ["-6"] + args + ["nodad"] }
            try ip(args, namespace: namespace)
        }
        try ip(["link", "set", "dev", device, "txqueuelen", String(transmitQueueLength), "up"], namespace: namespace)
    }

    /// The length `configure` gives the interface's transmit queue: the packets the kernel has for
    /// the stack wait there until the stack reads them. tun's default of 500 overflowed while the
    /// stack wrote out a large window (each of its writes draws the kernel's ACKs): with 4 streams
    /// of zeros and no offloads the queue dropped about 79% of the ACKs, and whole flights lost
    /// every ACK, which ended in retransmission timeouts (1 s minimum) and streams that stalled
    /// for seconds. With 4096 no drops were counted in the same runs.
    public static let transmitQueueLength = 4096

    /// Runs `ip [-n NAMESPACE] ARGS...` and returns its output; throws with it when it fails.
    @discardableResult
    public static func ip(_ arguments: [String], namespace: String? = nil) throws(TUNError) -> String {
        let args = (namespace.map { ["-n", $0] } ?? []) + arguments
        let (status, output) = run(ipCommand, args)
        guard status == 0 else {
            throw .commandFailed(command: "ip " + args.joined(separator: " "), status: status,
                                 output: String(output.reversed().drop(while: \.isWhitespace).reversed()))
        }
        return output
    }

    /// Runs `path ARGS...` (PATH searched when `path` has no slash) with standard input from
    /// /dev/null, and returns its exit status (128 + N when killed by signal N, -1 when it could
    /// not start) and its standard output and error together.
    public static func run(_ path: String, _ arguments: [String]) -> (status: Int32, output: String) {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { return (-1, "pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid = pid_t()
        let r = path.contains("/")
            ? posix_spawn(&pid, path, &actions, nil, argv, environ)
            : posix_spawnp(&pid, path, &actions, nil, argv, environ)
        close(pipeEnds[1])
        guard r == 0 else {
            close(pipeEnds[0])
            return (-1, "cannot run \(path): \(String(cString: strerror(r)))")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output += buffer[..<n]
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // <sys/wait.h>: WIFEXITED is (status & 0x7f) == 0, WEXITSTATUS (status >> 8) & 0xff.
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, String(decoding: output, as: UTF8.self))
    }
}
#endif
