import TCPCore

// Files for sendfile(2): a script makes a file of zeroes with `dd if=/dev/zero of=PATH bs=N
// count=M` (packetdrill's payloads are zeroes), removes one with `rm -f PATH`, opens it with
// open(PATH, O_RDONLY) and sends from it with sendfile(SOCKET, FILE, [OFFSET], COUNT). The files
// live in the run's settings, never on the host's disk.

extension RunSettings {
    /// `rm [-f] PATH...` and `dd bs=N count=M if=/dev/zero of=PATH [status=none]`.
    mutating func fileCommand(_ name: String, _ args: [String], command: String) -> CommandResult {
        if name == "rm" {
            var force = false
            for a in args {
                if a.hasPrefix("-") { force = force || a.contains("f"); continue }
                if files.removeValue(forKey: a) == nil && !force { return .status(1, .lines([])) }
            }
            return .status(0, .lines([]))
        }
        var operands: [String: String] = [:]
        for a in args {
            guard let eq = a.firstIndex(of: "=") else { return .unsupported("shell command `\(command)`: dd operand \(a) is not emulated") }
            operands[String(a[..<eq])] = String(a[a.index(after: eq)...])
        }
        guard operands["if"] == "/dev/zero", let path = operands["of"],
              Set(operands.keys).isSubset(of: ["if", "of", "bs", "count", "status"]) else {
            return .unsupported("shell command `\(command)`: only `dd if=/dev/zero of=FILE bs=N count=M` is emulated")
        }
        guard let bs = Int(operands["bs"] ?? "512"), let count = Int(operands["count"] ?? ""), bs > 0, count >= 0,
              bs <= 1 << 20, count <= 1 << 20 else {
            return .unsupported("shell command `\(command)`: dd needs bs (at most 1 MiB) and count")
        }
        files[path] = bs * count
        return .status(0, .lines([]))
    }
}

extension Run {
    /// open(PATH, O_RDONLY): a file a shell command made.
    func openCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 2, 3)
        guard case .string(let path) = try argument(call, 0) else {
            throw .unsupported("line \(call.line): open() needs a path string")
        }
        let flags = try integer(call, 1)
        guard flags & 3 == 0 else {
            throw .unsupported("line \(call.line): open() for writing: the runner's files are made by shell commands (dd)")
        }
        guard let size = settings.files[path] else { return .done(.error("ENOENT")) }
        let fd = try newDescriptor(call)
        openFiles[fd] = (path, size)
        return .done(.value(fd))
    }

    /// sendfile(OUT, IN, [OFFSET] or NULL, COUNT): the file's bytes from OFFSET onto the socket's
    /// send path, as a write of them; returns what the send buffer took.
    func sendfileCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 4)
        let inFD = try integer(call, 1)
        guard let file = openFiles[inFD] else { return .done(.error("EBADF")) }
        var offset: Int64 = 0
        switch try argument(call, 2) {
        case .list(let xs) where xs.count == 1:
            do { offset = try xs[0].integerValue() } catch { throw unsupportedValue(call.line, error) }
        case .word("NULL"), .integer(0):
            break
        default:
            throw .unsupported("line \(call.line): sendfile()'s offset must be [N] or NULL")
        }
        let count = try integer(call, 3)
        guard count >= 0, offset >= 0 else { return .done(.error("EINVAL")) }
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        guard let cid = s.connection, stack != nil, !s.writeShutdown else { return .done(.error("EPIPE")) }
        let length = Int(max(0, min(count, Int64(file.size) - offset)))
        if length == 0 { return .done(.value(0)) }
        do {
            let n = try stack!.send(cid, [UInt8](repeating: 0, count: length), now: now)
            drain()
            if n > 0 { return .done(.value(Int64(n))) }
            return s.nonblocking ? .done(.error("EAGAIN")) : .wouldBlock
        } catch {
            return .done(.error(Symbols.errno(for: error)))
        }
    }
}
