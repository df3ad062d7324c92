import Foundation
import TCPCore
import TCPWire

/// What a shell command may ask of the run it is part of: the stack's socket table, for the state
/// queries (`ss`, `netstat`, `sockstat`, `/proc/net/tcp`). nil in the dry run before the events,
/// which only checks that every command can be honoured.
struct ShellHost {
    var table: [TCPStack.SocketTableEntry]
    var ipv6: Bool
}

/// The shell commands of a script, emulated: packetdrill runs them with `sh -c` from the script's
/// directory, and a command that exits non-zero fails the script. TCPKit honours the ones that
/// set the stack up (sysctl, the script files that run sysctl, set_sysctls.py, `echo > /proc/sys`,
/// `ip route` advmss/initcwnd), treats those that clear caches it does not have or shape a
/// queue it does not use as no-ops, and answers the state queries from the engine's connection
/// table. Anything else makes the script UNSUPPORTED, naming the command.
extension RunSettings {
    /// An exit status, or why the command cannot be emulated.
    enum ShellStatus: Equatable {
        case status(Int32)
        case unsupported(String)
    }

    /// A command's standard output: lines, or nothing TCPKit can produce (why).
    enum ShellOutput {
        case lines([String])
        case unknown(String)
    }

    /// Applies a shell line (see the type's comment). `host`: the run's state, for queries.
    mutating func apply(shell text: String, host: ShellHost? = nil) -> ShellOutcome {
        switch run(shell: text, host: host, depth: 0) {
        case .unsupported(let why): return .unsupported(why)
        case .status(0): return .applied
        case .status(let n): return .failed("shell command `\(text.trimmingSpaces)` exited with status \(n)")
        }
    }

    /// Script files run inside script files: a loop guard.
    static let maxShellDepth = 8

    mutating func run(shell text: String, host: ShellHost?, depth: Int) -> ShellStatus {
        let line: ShellCommandLine
        do { line = try ShellCommandLine(text) } catch {
            return .unsupported("shell command `\(text.trimmingSpaces)`: \(error.message)")
        }
        var status: Int32 = 0
        for p in line.pipelines {
            if p.connector == .and && status != 0 { continue }
            if p.connector == .or && status == 0 { continue }
            var input: ShellOutput? = nil
            var commands = p.commands
            // `! PIPELINE`: the status negated.
            let negated = commands[0].words.first == "!"
            if negated {
                commands[0].words.removeFirst()
                if commands[0].words.isEmpty { return .unsupported("shell command `\(text.trimmingSpaces)`: `!` without a command") }
            }
            defer { if negated { status = status == 0 ? 1 : 0 } }
            for (k, c) in commands.enumerated() {
                let last = k == commands.count - 1
                switch command(c, input: input, piped: !last, host: host, depth: depth) {
                case .unsupported(let why):
                    return .unsupported(why)
                case .status(let s, let out):
                    status = s
                    input = out
                }
            }
        }
        return .status(status)
    }

    enum CommandResult {
        case status(Int32, ShellOutput)
        case unsupported(String)
    }

    /// One command of a pipeline. `input`: the previous command's output (nil: none).
    mutating func command(_ c: ShellCommandLine.Simple, input: ShellOutput?, piped: Bool,
                          host: ShellHost?, depth: Int) -> CommandResult {
        var words = c.words
        // /sbin/sysctl, /usr/bin/grep...: the command by its name.
        for dir in ["/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/"] where words[0].hasPrefix(dir) {
            words[0] = String(words[0].dropFirst(dir.count))
        }
        let name = words[0]
        func unsupported(_ why: String) -> CommandResult { .unsupported("shell command `\(c.text)`: \(why)") }
        func ok(_ lines: [String] = []) -> CommandResult { .status(0, .lines(lines)) }
        // Redirections: output thrown away, or a setting written (`echo V > /proc/sys/...`).
        var writesTo: String? = nil
        for r in c.redirections {
            switch r.target {
            case "/dev/null", ">/dev/null", "&1", "&2": continue
            default:
                guard r.fd == 1, name == "echo", r.target.hasPrefix("/proc/sys/") || r.target.hasPrefix("/sys/module/") else {
                    return unsupported("redirection to \(r.target) is not emulated")
                }
                writesTo = r.target
            }
        }
        switch name {
        case "sysctl":
            let result = sysctl(Array(words.dropFirst()), command: c.text)
            // Reading a value back (`sysctl -n NAME | grep V`): TCPKit does not print settings.
            if piped, case .status = result, words.dropFirst().contains(where: { !$0.hasPrefix("-") && !$0.contains("=") }) {
                return .status(0, .unknown("shell command `\(c.text)`: reading a setting's value back is not emulated"))
            }
            return result
        case "echo":
            var args = Array(words.dropFirst())
            if args.first == "-n" { args.removeFirst() }
            let value = args.joined(separator: " ")
            guard let path = writesTo else { return ok([value]) }
            if path.hasPrefix("/sys/module/") { return moduleParameter(path, value) == .applied ? ok() : unsupported(moduleParameterReason(path, value)) }
            let key = path.dropFirst("/proc/sys/".count).replacingSlashes
            switch setting(key, value) {
            case .applied: return ok()
            case .unsupported(let why): return .unsupported(why)
            case .failed(let why): return .unsupported(why)
            }
        case "true", ":":
            return ok()
        case "false":
            return .status(1, .lines([]))
        case "ip":
            return ipCommand(Array(words.dropFirst()), command: c.text)
        case "tc":
            return trafficControl(Array(words.dropFirst()), command: c.text)
        case "ethtool":
            // `ethtool -K DEV tso off gso off ...`: TCPKit's runner sends every segment as it is
            // (no TSO, GSO, GRO or LRO), so turning an offload off is its behaviour already.
            let args = Array(words.dropFirst())
            guard args.count >= 4, args[0] == "-K" || args[0] == "--features" || args[0] == "--offload",
                  args.count % 2 == 0 else { return unsupported("only `ethtool -K DEV FEATURE off ...` is emulated") }
            for k in stride(from: 3, to: args.count, by: 2) where args[k] != "off" {
                return unsupported("\(args[k - 1]) \(args[k]): TCPKit's runner does no segmentation or receive offload")
            }
            notes.append("`\(c.text)`: offloads are off in TCPKit's runner already")
            return ok()
        case "nstat":
            // nstat prints the SNMP/netstat counters changed since its last run (and remembers
            // them): reading them is a no-op; using what it prints needs counters TCPKit names otherwise.
            if piped { return .status(0, .unknown("nstat's counters (Linux's SNMP MIB names) are not kept by TCPKit")) }
            return ok()
        case "ss", "netstat", "sockstat":
            return stateQuery(name, Array(words.dropFirst()), host: host, command: c.text)
        case "cat":
            var lines: [String] = []
            for f in words.dropFirst() {
                guard let l = procNetTCP(f, host: host) else { return unsupported("reading \(f) is not emulated") }
                lines += l
            }
            return ok(lines)
        case "grep":
            return grep(Array(words.dropFirst()), input: input, host: host, command: c.text)
        case "rm", "/bin/rm", "dd", "/bin/dd":
            return fileCommand(name.hasSuffix("rm") ? "rm" : "dd", Array(words.dropFirst()), command: c.text)   // Run+Files.swift
        case "wc":
            guard words.count == 2, words[1] == "-l" else { return unsupported("only `wc -l` is emulated") }
            guard let input else { return unsupported("`wc -l` without input") }
            switch input {
            case .lines(let l): return ok([String(l.count)])
            case .unknown(let why): return .unsupported(why)
            }
        default:
            if name.hasSuffix("set_sysctls.py") { return setSysctls(Array(words.dropFirst()), command: c.text) }
            if name.hasPrefix("/tmp/sysctl_restore_") {
                // set_sysctls.py's restore script: every run of TCPKit starts from a fresh stack.
                return ok()
            }
            if name.contains("/") || name.hasSuffix(".sh") {
                return scriptFile(name, command: c.text, host: host, depth: depth)
            }
            return unsupported("`\(name)` is not a command TCPKit emulates")
        }
    }

    /// A setting, recorded by name for the choice of profile.
    mutating func setting(_ name: String, _ value: String) -> ShellOutcome {
        settingNames.append(name)
        return set(name, value)
    }

    // MARK: sysctl

    /// `sysctl [-q] [-w] [-e] [-n] NAME=VALUE... | NAME...` (Linux's procps and FreeBSD's forms;
    /// `/` in a name stands for `.`, as Linux's sysctl accepts).
    mutating func sysctl(_ args: [String], command: String) -> CommandResult {
        var ignoreUnknown = false
        var assignments: [String] = []
        for a in args {
            if a.hasPrefix("-") && !a.contains("=") {
                for f in a.dropFirst() {
                    switch f {
                    case "q", "w", "n", "N", "b": continue
                    case "e": ignoreUnknown = true
                    default: return .unsupported("shell command `\(command)`: sysctl option -\(f) is not emulated")
                    }
                }
                continue
            }
            assignments.append(a)
        }
        for w in assignments {
            guard let eq = w.firstIndex(of: "=") else {
                notes.append("`sysctl \(w)` only reads a setting; nothing to apply")
                continue
            }
            let name = String(w[..<eq]).replacingOccurrences(of: "/", with: ".")
            let value = String(w[w.index(after: eq)...])
            switch setting(name, value) {
            case .applied: continue
            case .failed(let why): return .unsupported(why)
            case .unsupported(let why):
                // -e: "ignore errors about unknown keys"; a known key with a value TCPKit cannot
                // honour still stops the script.
                if ignoreUnknown, why == Self.unknownSetting(name) {
                    notes.append("`sysctl -e \(w)`: \(name) is not known to TCPKit; ignored, as sysctl -e ignores unknown keys")
                    continue
                }
                return .unsupported(why)
            }
        }
        return .status(0, .lines([]))
    }

    static func unknownSetting(_ name: String) -> String { "setting \(name) is not known to TCPKit" }

    /// packetdrill's `set_sysctls.py /proc/sys/PATH=VALUE ...`: sets each file and writes a script
    /// that restores them (run at the end as `/tmp/sysctl_restore_${PPID}.sh`, a no-op here).
    mutating func setSysctls(_ args: [String], command: String) -> CommandResult {
        for a in args {
            guard let eq = a.firstIndex(of: "="), a.hasPrefix("/proc/sys/") else {
                return .unsupported("shell command `\(command)`: argument \(a) is not /proc/sys/NAME=VALUE")
            }
            let name = a[a.index(a.startIndex, offsetBy: "/proc/sys/".count)..<eq].replacingSlashes
            switch setting(name, String(a[a.index(after: eq)...])) {
            case .applied: continue
            case .unsupported(let why), .failed(let why): return .unsupported(why)
            }
        }
        return .status(0, .lines([]))
    }

    // MARK: Script files

    /// A script file the command runs (`../common/defaults.sh`): packetdrill runs commands from
    /// the script's directory, so a relative path is resolved from there. The file is read and
    /// each of its lines run as a command of the script (`#` comments, `#!` and blank lines skipped).
    mutating func scriptFile(_ path: String, command: String, host: ShellHost?, depth: Int) -> CommandResult {
        guard depth < Self.maxShellDepth else { return .unsupported("shell command `\(command)`: script files nested too deep") }
        guard let (resolved, text) = readScriptFile(path) else {
            return .unsupported("shell command `\(command)`: cannot read the script file \(path)"
                + (scriptDirectory == nil ? " (the script's directory is not known)" : " from \(scriptDirectory!)"))
        }
        switch run(shell: text, host: host, depth: depth + 1) {
        case .status(let s): return .status(s, .lines([]))
        case .unsupported(let why): return .unsupported("\(why) (in \(resolved))")
        }
    }

    /// The file's path and text. When the path does not exist as written, the same file (its last
    /// two components, e.g. `common/defaults.sh`) is looked for in the directories above the
    /// script: copies of packetdrill's tree often flatten `gtests/net/tcp/common`.
    func readScriptFile(_ path: String) -> (String, String)? {
        let fm = FileManager.default
        func read(_ p: String) -> (String, String)? {
            guard let d = fm.contents(atPath: p) else { return nil }
            let text = String(decoding: d, as: UTF8.self)
            // A shell script: named .sh, or starting with a #! line that runs a shell.
            let first = text.prefix { $0 != "\n" }
            guard p.hasSuffix(".sh") || (first.hasPrefix("#!") && (first.hasSuffix("sh") || first.contains("sh "))),
                  !d.contains(0) else { return nil }
            return ((p as NSString).standardizingPath, text)
        }
        if path.hasPrefix("/") { return read(path) }
        guard var dir = scriptDirectory else { return nil }
        // A script named without a directory (`script run x.pkt`): its directory is the current one
        // (an empty path made deletingLastPathComponent trap).
        if dir.isEmpty { dir = FileManager.default.currentDirectoryPath }
        if let r = read((dir as NSString).appendingPathComponent(path)) { return r }
        let parts = path.split(separator: "/")
        guard parts.count >= 2 else { return nil }
        let tail = parts.suffix(2).joined(separator: "/")
        var d = (dir as NSString).standardizingPath
        while true {
            if let r = read((d as NSString).appendingPathComponent(tail)) { return r }
            let up = (d as NSString).deletingLastPathComponent
            if up == d || up.isEmpty { return nil }
            d = up
        }
    }

    // MARK: ip, tc, /sys/module

    /// `ip tcp_metrics flush|delete ...` (of the metrics only the Fast Open cookie cache exists in
    /// TCPKit: a flush empties it, RunSettings+FastOpen.swift), and
    /// `ip [-4|-6] route change|replace|add DEST ... [advmss N] [mtu [lock] N] [initcwnd N]`.
    mutating func ipCommand(_ args: [String], command: String) -> CommandResult {
        var a = args
        while let f = a.first, f.hasPrefix("-") { a.removeFirst() }
        guard let object = a.first else { return .unsupported("shell command `\(command)`: not emulated") }
        if object == "tcp_metrics" || object == "tcpm" {
            // TCPKit keeps no per-destination RTT or cwnd between connections; Fast Open cookies it does.
            if a.count > 1, a[1] == "flush" || a[1] == "delete" { fastOpenCacheFlushes += 1 }
            return .status(0, .lines([]))
        }
        guard object == "route" || object == "r", a.count >= 3, ["change", "replace", "add"].contains(a[1]) else {
            return .unsupported("shell command `\(command)`: not emulated")
        }
        // A route to one destination is the engine's per-destination route metrics (`routes`,
        // given to `TCPStack.setRouteMetrics`, which resizes the connections open to it); the
        // default route is the configuration (every destination).
        let destination = a[2] == "default" ? nil : IPAddress(String(a[2].split(separator: "/")[0]))
        guard a[2] == "default" || destination != nil else {
            return .unsupported("shell command `\(command)`: bad route destination \(a[2])")
        }
        var metrics = RouteMetrics()
        var k = 3
        while k < a.count {
            let key = a[k]
            switch key {
            case "via", "dev", "src", "proto", "scope", "metric", "table":
                k += 2
            case "advmss", "initcwnd", "mtu":
                var v = k + 1 < a.count ? a[k + 1] : ""
                if v == "lock", k + 2 < a.count { v = a[k + 2]; k += 1; metrics.mtuLocked = key == "mtu" }
                guard let n = Int(v), n > 0 else { return .unsupported("shell command `\(command)`: bad \(key)") }
                switch key {
                case "advmss":
                    guard n <= 65535 else { return .unsupported("shell command `\(command)`: bad advmss") }
                    metrics.advertisedMSS = n
                case "initcwnd":
                    guard n <= 1000 else { return .unsupported("shell command `\(command)`: bad initcwnd") }
                    metrics.initialWindowSegments = n
                default:
                    guard n >= 576, n <= 65535 else { return .unsupported("shell command `\(command)`: bad mtu") }
                    metrics.mtu = n
                }
                k += 2
            default:
                return .unsupported("shell command `\(command)`: route attribute \(key) is not emulated")
            }
        }
        if let destination {
            routes[destination] = metrics   // `change`/`replace`: the route's attributes are the ones given
        } else {
            if let n = metrics.advertisedMSS { configuration.mss = n }
            if let n = metrics.initialWindowSegments { configuration.initialWindowSegments = n }
            if let n = metrics.mtu { configuration.mtu = n }
        }
        return .status(0, .lines([]))
    }

    /// `tc qdisc add|replace|change|del DEV root pfifo|pfifo_fast|bfifo [limit N]`: a FIFO is what
    /// TCPKit's runner is (every segment leaves when the stack sends it), so these are no-ops;
    /// a pacing or shaping qdisc (fq, netem, tbf...) is not.
    mutating func trafficControl(_ args: [String], command: String) -> CommandResult {
        guard args.count >= 4, args[0] == "qdisc", let dev = args.firstIndex(of: "dev"), dev + 1 < args.count else {
            return .unsupported("shell command `\(command)`: not emulated")
        }
        if args[1] == "del" || args[1] == "delete" { return .status(0, .lines([])) }
        let fifo: Set<String> = ["pfifo", "pfifo_fast", "bfifo", "fifo"]
        guard let kind = args.first(where: { fifo.contains($0) || ["fq", "fq_codel", "netem", "tbf", "htb", "sfq", "codel", "cake"].contains($0) }) else {
            return .unsupported("shell command `\(command)`: not emulated")
        }
        guard fifo.contains(kind) else {
            return .unsupported("shell command `\(command)`: the \(kind) qdisc paces or shapes flows; TCPKit's runner sends every segment when the stack does")
        }
        return .status(0, .lines([]))
    }

    /// `echo V > /sys/module/tcp_cubic/parameters/NAME`: CUBIC's module parameters.
    mutating func moduleParameter(_ path: String, _ value: String) -> ShellOutcome {
        guard path.hasPrefix("/sys/module/tcp_cubic/parameters/"), let n = Int64(value.trimmingSpaces) else {
            return .unsupported(moduleParameterReason(path, value))
        }
        switch (path as NSString).lastPathComponent {
        case "hystart":
            configuration.hyStart = n != 0
        case "hystart_detect":
            // Bit 1: ACK-train detection, bit 2: delay detection: classic HyStart as Linux runs it.
            guard (0...3).contains(n) else { return .unsupported(moduleParameterReason(path, value)) }
            configuration.hyStart = n != 0
            configuration.hyStartVariant = .classic(ackTrain: n & 1 != 0, delay: n & 2 != 0)
        default:
            return .unsupported(moduleParameterReason(path, value))
        }
        return .applied
    }

    func moduleParameterReason(_ path: String, _ value: String) -> String {
        if path.hasSuffix("hystart_detect") {
            return "\(path) = \(value): HyStart detects by ACK trains (1), delay (2) or both (3)"
        }
        return "\(path) = \(value): this kernel module parameter is not emulated"
    }
}
