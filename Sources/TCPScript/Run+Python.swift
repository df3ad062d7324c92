#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TCPCore

/// A `%{ ... }%` block met during the run, with the tcp_info names it sees.
struct CodeBlock {
    var line: Int
    var text: String
    var values: [String: Int64]
}

/// `%{ }%` blocks are Python, as in packetdrill: each block sees the `tcpi_*` names of the socket
/// under test's tcp_info at the block's time (Linux's units, `LinuxTCPInfo`), plus Linux's
/// constants (`TCP_CA_*`, `TCPI_OPT_*`, `TCP_ESTABLISHED`...). As packetdrill does, the blocks
/// run once the script's events have all run, one after the other in one `python3` process that
/// keeps its names from block to block (a block may set `cwnd = 58` and a later one `cwnd += 1`).
/// A failing `assert` fails the script at the block's line with Python's message; a `tcpi_`
/// name TCPKit cannot fill makes it UNSUPPORTED, naming the field; no `python3` on the PATH
/// makes every script with a block UNSUPPORTED.
extension Run {
    /// The `tcpi_` names `LinuxTCPInfo` fills for a connection.
    static var providedTCPInfoNames: Set<String> { LinuxTCPInfo.providedNames }

    /// Fails early (in `prepare`) for what would make the block UNSUPPORTED anyway.
    func checkCodeBlock(_ text: String, line: Int) throws(Stop) {
        guard Run.python3Path != nil else {
            throw .unsupported("line \(line): %{ }% blocks need python3, which is not on the PATH")
        }
        for name in Run.tcpiNames(in: text) where !Run.providedTCPInfoNames.contains(name) {
            throw .unsupported("line \(line): tcp_info field \(name) is not available in TCPKit")
        }
    }

    static func tcpiNames(in text: String) -> [String] {
        var out: [String] = []
        let b = Array(text.utf8)
        var i = 0
        func wordChar(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        while i < b.count {
            guard wordChar(b[i]) else { i += 1; continue }
            let s = i
            while i < b.count && wordChar(b[i]) { i += 1 }
            let w = String(decoding: b[s..<i], as: UTF8.self)
            if w.hasPrefix("tcpi_") && !out.contains(w) { out.append(w) }
        }
        return out
    }

    /// The connection packetdrill would read tcp_info from: the socket under test's (a child not
    /// yet accepted is taken from the listener's queue, as poll() does), else the newest one.
    func infoConnection() -> ConnectionID? {
        if let c = sut?.connection { return c }
        for s in sockets.reversed() {
            if let lid = s.listener, s.preAccepted.isEmpty, let cid = try? stack?.accept(lid) { s.preAccepted.append(cid) }
            if let c = s.preAccepted.last { return c }
        }
        return sockets.reversed().lazy.compactMap(\.connection).first
    }

    func linuxInfo(_ cid: ConnectionID?) -> LinuxTCPInfo? {
        guard let cid, let info = stack?.tcpInfo(of: cid, now: now), let c = stack?.info(of: cid) else { return nil }
        return LinuxTCPInfo(info, c, now: now)
    }

    func recordCodeBlock(_ text: String, line: Int) throws(Stop) {
        guard let info = linuxInfo(infoConnection()) else {
            throw .unsupported("line \(line): %{ }% block with no connection to read tcp_info from")
        }
        codeBlocks.append(CodeBlock(line: line, text: text, values: info.values))
    }

    // MARK: Running python3

    static let python3Path: String? = {
        var dirs: [String] = []
        if let p = getenv("PATH") { dirs = String(cString: p).split(separator: ":").map(String.init) }
        guard let found = (dirs + ["/usr/bin", "/usr/local/bin"]).map({ $0 + "/python3" }).first(where: { access($0, X_OK) == 0 }) else {
            return nil
        }
        // A version manager's shim (pyenv's is a shell script) costs about half a second per
        // start: ask it once for the interpreter it runs, and run that.
        if case .success(let out) = spawn(found, ["python3", "-"], input: "import sys; print(sys.executable)\n", timeoutMs: 10_000) {
            let real = out.split(separator: "\n").last.map(String.init) ?? ""
            if real.hasPrefix("/"), access(real, X_OK) == 0 { return real }
        }
        return found
    }()

    /// Linux's constants packetdrill's blocks use by name.
    static let pythonConstants: [(String, Int64)] = [
        ("TCP_CA_Open", 0), ("TCP_CA_Disorder", 1), ("TCP_CA_CWR", 2), ("TCP_CA_Recovery", 3), ("TCP_CA_Loss", 4),
        ("TCPI_OPT_TIMESTAMPS", 1), ("TCPI_OPT_SACK", 2), ("TCPI_OPT_WSCALE", 4), ("TCPI_OPT_ECN", 8),
        ("TCPI_OPT_ECN_SEEN", 16), ("TCPI_OPT_SYN_DATA", 32), ("TCP_INFINITE_SSTHRESH", 0x7fff_ffff),
        ("TCP_ESTABLISHED", 1), ("TCP_SYN_SENT", 2), ("TCP_SYN_RECV", 3), ("TCP_FIN_WAIT1", 4), ("TCP_FIN_WAIT2", 5),
        ("TCP_TIME_WAIT", 6), ("TCP_CLOSE", 7), ("TCP_CLOSE_WAIT", 8), ("TCP_LAST_ACK", 9), ("TCP_LISTEN", 10),
        ("TCP_CLOSING", 11),
    ]

    static func hex(_ s: String) -> String { s.utf8.map { hexByte($0) }.joined() }

    /// The program handed to python3 on its standard input.
    func pythonProgram() -> String {
        var p = """
        import sys, textwrap
        def _tcpkit_code(h):
            # The block as written, its common indentation removed; else its first line (on the
            # `%{` line) apart from the rest. A blank line ends a trailing backslash continuation.
            t = bytes.fromhex(h).decode()
            first, _, rest = t.partition("\\n")
            tries = [textwrap.dedent(t).strip("\\n"), first.strip() + "\\n" + textwrap.dedent(rest)]
            for c in tries:
                try:
                    compile(c + "\\n\\n", "<block>", "exec")
                    return c + "\\n\\n"
                except SyntaxError:
                    pass
            return tries[0] + "\\n\\n"
        _tcpkit_ns = {"__name__": "__main__"}

        """
        p += "_tcpkit_ns.update({" + Run.pythonConstants.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "})\n"
        p += "_tcpkit_blocks = [\n"
        for b in codeBlocks {
            let values = b.values.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
            p += "  (\(b.line), {\(values)}, \"\(Run.hex(b.text))\"),\n"
        }
        p += """
        ]
        for _line, _values, _code in _tcpkit_blocks:
            _tcpkit_ns.update(_values)
            try:
                exec(compile(_tcpkit_code(_code), "<line %d>" % _line, "exec"), _tcpkit_ns)
            except AssertionError as e:
                sys.stdout.flush()
                print("\\n@@tcpkit assert %d %s" % (_line, str(e).replace("\\n", " ")))
                sys.exit(3)
            except NameError as e:
                sys.stdout.flush()
                n = getattr(e, "name", None) or str(e).split("'")[1 if "'" in str(e) else 0]
                print("\\n@@tcpkit name %d %s" % (_line, n))
                sys.exit(4)
            except Exception as e:
                sys.stdout.flush()
                print("\\n@@tcpkit error %d %s: %s" % (_line, type(e).__name__, str(e).replace("\\n", " ")))
                sys.exit(5)

        """
        return p
    }

    func runCodeBlocks() throws(Stop) {
        guard !codeBlocks.isEmpty else { return }
        guard let python = Run.python3Path else {
            throw .unsupported("line \(codeBlocks[0].line): %{ }% blocks need python3, which is not on the PATH")
        }
        let output: String
        switch Run.spawn(python, ["python3", "-I", "-S", "-"], input: pythonProgram(), timeoutMs: 20_000) {
        case .failure(let why):
            throw .unsupported("line \(codeBlocks[0].line): python3 could not run the %{ }% blocks: \(why)")
        case .success(let out):
            output = out
        }
        guard let marker = output.split(separator: "\n").last(where: { $0.hasPrefix("@@tcpkit ") }) else { return }
        let parts = marker.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, let line = Int(parts[2]) else { return }
        let detail = parts.count > 3 ? String(parts[3]) : ""
        switch parts[1] {
        case "assert":
            throw failure(line, "assertion failed in %{ }% block" + (detail.isEmpty ? "" : ": " + detail),
                          expected: "the block's assertions hold", actual: detail.isEmpty ? "AssertionError" : detail)
        case "name":
            if detail.hasPrefix("tcpi_") {
                throw .unsupported("line \(line): tcp_info field \(detail) is not available in TCPKit")
            }
            throw .unsupported("line \(line): %{ }% block uses the name \(detail), which TCPKit's runner does not define")
        default:
            throw failure(line, "%{ }% block raised " + detail)
        }
    }

    enum SpawnResult { case success(String), failure(String) }

    /// Serialises making pipes and spawning (see `spawn`).
    static let spawnLock = SpawnLock()

    /// Runs `path` with `input` on its standard input; returns what it wrote to standard output
    /// and error (both), or why it could not run. Killed after `timeoutMs`.
    static func spawn(_ path: String, _ arguments: [String], input: String, timeoutMs: Int32) -> SpawnResult {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        // Close-on-exec, set under a lock that spawning also takes: a child another thread spawns
        // must not hold these pipes open (python3 would wait for the end of its program for
        // ever). dup2 clears the flag on the child's 0, 1 and 2.
        spawnLock.lock()
        guard pipe(&inPipe) == 0 else { spawnLock.unlock(); return .failure("pipe() failed") }
        guard pipe(&outPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1]); spawnLock.unlock()
            return .failure("pipe() failed")
        }
        for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        spawnLock.unlock()
        close(inPipe[0])
        close(outPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0])
            return .failure("posix_spawn: error \(rc)")
        }
        // The program is read whole before it runs, so writing all of it first cannot deadlock.
        signal(SIGPIPE, SIG_IGN)
        var bytes = Array(input.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(inPipe[1], $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { break }
            off += n
        }
        close(inPipe[1])
        bytes = []
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0)
        var timedOut = false
        while true {
            let r = poll(&pfd, 1, timeoutMs)
            if r == 0 { timedOut = true; break }
            if r < 0 { if errno == EINTR { continue }; break }
            let n = buffer.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        close(outPipe[0])
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return .failure("python3 ran longer than \(timeoutMs / 1000) s") }
        return .success(String(decoding: out, as: UTF8.self))
    }
}

/// A mutex around pipe creation and posix_spawn (pthread's: TCPScript has no Foundation).
final class SpawnLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit { pthread_mutex_destroy(mutex); mutex.deallocate() }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}
