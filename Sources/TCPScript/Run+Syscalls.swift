import TCPCore
import TCPTrace
import TCPWire

/// System calls mapped onto the engine's API, with a small file-descriptor table whose numbers
/// are the script's own. The socket layer's behaviour follows Linux where the engine's API leaves
/// a choice: errors are reported once (`sk_err`), then reads return 0 and writes EPIPE; writes
/// on a connecting socket wait for the connection; accept()ed sockets are blocking.
extension Run {
    // MARK: Running a call

    func systemCall(_ s: SyscallSpec, line: Int, start: Int64, end: Int64?, previous: Int64?) throws(Stop) {
        let idle = try awaitIdle()
        if s.isBlocking && !idle {
            throw failure(line, "blocking system call while another blocking system call is already in progress")
        }
        try waitForEvent(start, previous: previous, what: "system call start", line: line)
        var call = Call(spec: s, line: line, start: start, end: end)
        var attempt = try self.attempt(&call)
        if s.isBlocking {
            switch attempt {
            case .done(let r): try complete(call, r)
            case .wouldBlock: pending = call
            }
            return
        }
        // No `...end`: packetdrill's main thread would be stuck in this call, so nothing else in
        // the script happens until it returns; only the stack's timers can free it.
        while case .wouldBlock = attempt {
            guard try step(until: Run.horizon, extra: call.deadline) else {
                throw failure(line, "\(s.name)() blocks and nothing can make it return; a call that blocks while later events happen needs a `...end` time (e.g. `+0...0.1 \(s.name)(...)`)",
                              expected: render(s), actual: "(blocked forever)")
            }
            attempt = try self.attempt(&call)
        }
        if case .done(let r) = attempt { try complete(call, r) }
    }

    /// Retries the blocking call in progress, if any, after something happened.
    func checkPending() throws(Stop) {
        guard var call = pending else { return }
        let a = try attempt(&call)
        switch a {
        case .done(let r):
            pending = nil
            try complete(call, r)
        case .wouldBlock:
            pending = call
        }
    }

    func complete(_ call: Call, _ result: CallResult) throws(Stop) {
        note(render(call.spec, result: result))
        if let end = call.end {
            let tol = tolerance(end, since: call.start)
            let actual = nowMicros
            if actual < end - tol || actual > end + tol {
                throw failure(call.line, "timing error: expected system call return at \(formatMicros(end)) sec but happened at \(formatMicros(actual)) sec; tolerance \(formatMicros(tol)) sec",
                              expected: render(call.spec) + " returning at \(formatMicros(end))",
                              actual: render(call.spec, result: result) + " returning at \(formatMicros(actual))")
            }
        }
        let expected: Int64
        do { expected = try call.spec.result.integerValue() } catch {
            throw unsupportedValue(call.line, error)
        }
        let fdCall = call.spec.name == "socket" || call.spec.name == "accept"
        var mismatch: String? = nil
        switch result {
        case .value(let v):
            if fdCall && expected >= 0 {
                if v < 0 { mismatch = "expected a non-negative result but got \(v)" }
            } else if v != expected {
                mismatch = "expected result \(expected) but got \(v)"
            } else if let e = call.spec.errno {
                mismatch = "expected errno \(e) but the call succeeded"
            }
        case .error(let e):
            let text = Symbols.errnoText[e].map { " (\($0))" } ?? ""
            if expected != -1 {
                mismatch = fdCall && expected >= 0 ? "expected a non-negative result but got -1 with errno \(e)\(text)"
                    : "expected result \(expected) but got -1 with errno \(e)\(text)"
            } else if let want = call.spec.errno {
                guard let w = Symbols.errno[want] else { throw .unsupported("line \(call.line): unknown errno name \(want)") }
                if Symbols.errno[e] != w {
                    mismatch = "expected errno \(want)\(Symbols.errnoText[want].map { " (\($0))" } ?? "") but got \(e)\(text)"
                }
            }
        }
        if let mismatch {
            throw failure(call.line, "\(call.spec.name)(): \(mismatch)", expected: render(call.spec), actual: render(call.spec, result: result))
        }
        if let (message, exp, act) = call.after.first {
            throw failure(call.line, "\(call.spec.name)(): \(message)", expected: exp, actual: act)
        }
    }

    func unsupportedValue(_ line: Int, _ e: EvalError) -> Stop {
        switch e {
        case .unknownSymbol(let s): .unsupported("line \(line): unknown symbol \(s)")
        case .notAnInteger(let s): .unsupported("line \(line): cannot use \(s) as a number here")
        }
    }

    // MARK: Text

    func render(_ s: SyscallSpec) -> String {
        var t = "\(s.name)(" + s.arguments.map(\.description).joined(separator: ", ") + ") = \(s.result)"
        if let e = s.errno { t += " " + e }
        if let n = s.note { t += " (\(n))" }
        return t
    }

    func render(_ s: SyscallSpec, result: CallResult) -> String {
        "\(s.name)(" + s.arguments.map(\.description).joined(separator: ", ") + ") = " + render(result)
    }

    func render(_ r: CallResult) -> String {
        switch r {
        case .value(let v): String(v)
        case .error(let e): "-1 \(e)" + (Symbols.errnoText[e].map { " (\($0))" } ?? "")
        }
    }

    // MARK: Arguments

    func argument(_ call: Call, _ i: Int) throws(Stop) -> Expression {
        guard i < call.spec.arguments.count else { throw failure(call.line, "\(call.spec.name)(): argument list too short") }
        return call.spec.arguments[i]
    }

    func checkCount(_ call: Call, _ n: Int...) throws(Stop) {
        guard n.contains(call.spec.arguments.count) else {
            throw failure(call.line, "\(call.spec.name)(): expected \(n.map(String.init).joined(separator: " or ")) arguments but got \(call.spec.arguments.count)")
        }
    }

    func integer(_ call: Call, _ i: Int) throws(Stop) -> Int64 {
        let e = try argument(call, i)
        do { return try e.integerValue() } catch { throw unsupportedValue(call.line, error) }
    }

    /// The socket named by argument `i`, or nil for an unknown descriptor.
    func socket(_ call: Call, _ i: Int = 0) throws(Stop) -> ScriptSocket? {
        fds[try integer(call, i)]
    }

    func freeDescriptor(_ preferred: Int64) -> Int64 {
        if preferred >= 0 { return preferred }
        var fd: Int64 = 3
        while fds[fd] != nil { fd += 1 }
        return fd
    }

    /// The connection's error, reported once.
    func takeError(_ s: ScriptSocket) -> String? {
        guard let cid = s.connection, !s.errorConsumed, let e = stack?.info(of: cid)?.error else { return nil }
        s.errorConsumed = true
        return Symbols.errno(for: e)
    }

    func state(_ s: ScriptSocket) -> TCPState? { s.connection.flatMap { stack?.state(of: $0) } }

    // MARK: The calls

    func attempt(_ call: inout Call) throws(Stop) -> Attempt {
        if let a = try callAttempt(&call) { return a }   // issue 17's calls (Run+Poll.swift)
        switch call.spec.name {
        case "socket": return try socketCall(&call)
        case "bind": return try bindCall(&call)
        case "listen": return try listenCall(&call)
        case "accept": return try acceptCall(&call)
        case "connect": return try connectCall(&call)
        case "read", "recv", "recvfrom": return try readCall(&call)
        case "write", "send", "sendto": return try writeCall(&call)
        case "close": return try closeCall(&call)
        case "shutdown": return try shutdownCall(&call)
        case "fcntl": return try fcntlCall(&call)
        case "setsockopt": return try setsockoptCall(&call)
        case "getsockopt": return try getsockoptCall(&call)
        case "poll": return try pollCall(&call)
        case "ioctl": return try ioctlCall(&call)
        default: throw .unsupported("line \(call.line): system call \(call.spec.name)() is not supported")
        }
    }

    func socketCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        if !(try argument(call, 0)).isEllipsis {
            let domain = try integer(call, 0)
            guard domain == 2 || domain == 10 else { throw .unsupported("line \(call.line): socket domain \(domain) (only AF_INET and AF_INET6)") }
        }
        let type = try integer(call, 1)
        guard type & 0xf == 1 else { throw .unsupported("line \(call.line): only SOCK_STREAM sockets are supported") }
        let proto = try integer(call, 2)
        guard proto == 0 || proto == 6 else { throw .unsupported("line \(call.line): only IPPROTO_TCP sockets are supported") }
        let expected = (try? call.spec.result.integerValue()) ?? -1
        let fd = freeDescriptor(expected)
        guard fds[fd] == nil else { throw failure(call.line, "duplicate fd \(fd) in script") }
        let s = ScriptSocket()
        s.nonblocking = type & 0x800 != 0
        sockets.append(s)
        fds[fd] = s
        sut = s   // later packets in the script are mapped to this socket
        return .done(.value(fd))
    }

    func bindCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        guard s.boundPort == nil, s.listener == nil, s.connection == nil else { return .done(.error("EINVAL")) }
        let port = settings.bindPort
        // Linux (inet_csk_bind_conflict): a local port another socket still holds (bound, listening,
        // or used by a connection in any state, TIME-WAIT included) can be bound again only if both
        // sockets set SO_REUSEADDR and the holder is not listening; otherwise EADDRINUSE.
        for other in sockets where other !== s && (other.boundPort == port || other.localPort == port) {
            let listening = other.listener != nil
            let connected = other.connection.map { stack?.info(of: $0) != nil } ?? false
            let open = fds.values.contains { $0 === other }
            guard listening || connected || open else { continue }   // gone: the port is free again
            if listening || s.reuseAddress == 0 || other.reuseAddress == 0 { return .done(.error("EADDRINUSE")) }
        }
        s.boundPort = port
        return .done(.value(0))
    }

    func listenCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 2)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let backlog = try integer(call, 1)
        guard s.connection == nil else { return .done(.error("EINVAL")) }
        if s.listener != nil { return .done(.value(0)) }
        let port = s.boundPort ?? settings.bindPort
        ensureStack()
        do {
            s.listener = try stack!.listen(port: port, address: nil, backlog: Int(max(1, min(backlog, 65535))))
        } catch {
            return .done(.error(Symbols.errno(for: error)))
        }
        stackInUse = true
        applyOptions(s)
        applyFastOpen(s)
        s.state = .listening
        s.boundPort = port
        s.localPort = port
        if options.recordTimeline { recorder.timeline.append(.init(time: now, host: "local", kind: .state(from: .closed, to: .listen))) }
        return .done(.value(0))
    }

    func acceptCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        guard let lid = s.listener else { return .done(.error("EINVAL")) }
        var cid: ConnectionID? = s.preAccepted.isEmpty ? nil : s.preAccepted.removeFirst()
        if cid == nil {
            do { cid = try stack?.accept(lid) } catch { return .done(.error(Symbols.errno(for: error))) }
        }
        guard let cid, let info = stack?.info(of: cid) else {
            return s.nonblocking ? .done(.error("EAGAIN")) : .wouldBlock
        }
        let child = sockets.first { $0 !== s && $0.connection == nil && $0.localPort == info.local.port && $0.remotePort == info.remote.port }
            ?? {
                let c = ScriptSocket()
                c.state = .passiveSynAcked
                c.localPort = info.local.port
                c.remotePort = info.remote.port
                sockets.append(c)
                return c
            }()
        child.connection = cid
        child.tcpOptions = s.tcpOptions   // the engine gave the connection the listener's options
        child.noDelay = s.noDelay
        child.oobInline = s.oobInline
        child.reuseAddress = s.reuseAddress   // as Linux's sk_reuse, inherited from the listener
        child.errorQueue = s.errorQueue.inherited()   // SO_ZEROCOPY, SO_TIMESTAMPING
        let expected = (try? call.spec.result.integerValue()) ?? -1
        // An fd the script still holds is taken over, as packetdrill's run_syscall_accept does (it
        // checks no duplicate, unlike socket()): the earlier socket stays open, out of the script's reach.
        let fd = freeDescriptor(expected)
        fds[fd] = child
        return .done(.value(fd))
    }

    func connectCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        if call.phase == 0 {
            if s.listener != nil { return .done(.error("EISCONN")) }
            if let cid = s.connection {
                switch stack?.state(of: cid) {
                case .synSent?, .synReceived?:
                    // A deferred TCP_FASTOPEN_CONNECT counts as connected (Linux's
                    // __inet_stream_connect with defer_connect: EISCONN).
                    if stack!.fastOpenDeferredSYNRoom(cid) != nil { return .done(.error("EISCONN")) }
                    if s.nonblocking { return .done(.error("EALREADY")) }
                    call.phase = 1
                case .closed?, nil:
                    if let e = takeError(s) { return .done(.error(e)) }
                    // A failed connection whose error was reported: connect() tries again.
                    try? stack?.close(cid, now: now)
                    s.connection = nil
                default:
                    return .done(.error("EISCONN"))
                }
            }
            if call.phase == 0 {
                ensureStack()
                stackInUse = true
                let remote = SocketAddress(settings.remoteIP, settings.connectPort)
                let cid: ConnectionID
                var deferred = false   // TCP_FASTOPEN_CONNECT with a cookie: the SYN waits for data (Run+FastOpen.swift)
                do {
                    (cid, deferred) = try stack!.connect(to: remote, from: settings.localIP, localPort: s.boundPort,
                                                         deferringSYN: s.fastOpenConnect, now: now)
                } catch {
                    return .done(.error(Symbols.errno(for: error)))
                }
                s.connection = cid
                applyOptions(s)
                s.errorConsumed = false
                s.localPort = stack!.info(of: cid)?.local.port
                s.remotePort = settings.connectPort
                if s.state == .new { s.state = .activeConnecting }
                sut = s
                drain()
                if deferred { return .done(.value(0)) }
                if s.nonblocking { return .done(.error("EINPROGRESS")) }
                call.phase = 1
            }
        }
        switch state(s) {
        case .synSent?, .synReceived?:
            return .wouldBlock
        case .closed?, nil:
            return .done(.error(takeError(s) ?? "ECONNABORTED"))
        default:
            return .done(.value(0))
        }
    }

    func readCall(_ call: inout Call) throws(Stop) -> Attempt {
        let name = call.spec.name
        try checkCount(call, name == "read" ? 3 : name == "recv" ? 4 : 6)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let count = try integer(call, 2)
        let flags = name == "read" ? 0 : try integer(call, 3)
        guard count >= 0 else { return .done(.error("EINVAL")) }
        guard let cid = s.connection, stack != nil else { return .done(.error("ENOTCONN")) }
        // MSG_OOB: TCPKit delivers urgent data inline only (RFC 6093 §5, SO_OOBINLINE), and Linux
        // answers recv(MSG_OOB) on an inline socket with EINVAL.
        if flags & 0x1 != 0 { return .done(.error("EINVAL")) }
        if count == 0 { return .done(.value(0)) }
        if s.readShutdown {
            // After SHUT_RD an empty receive queue reads as end of file. Linux still queues what
            // arrives and reads it (tcp_recvmsg copies queued data before it looks at
            // RCV_SHUTDOWN); BSD discards it (soshutdown: sorflush).
            guard settings.profile == .linux, let info = stack!.info(of: cid), info.bytesReadable > 0 else { return .done(.value(0)) }
        }
        let nonblocking = s.nonblocking || flags & 0x40 != 0
        if flags & 0x2 != 0, let info = stack!.info(of: cid), info.bytesReadable > 0 {   // MSG_PEEK
            return .done(.value(min(count, Int64(info.bytesReadable))))
        }
        do {
            let buffer = stack!.tcpInfo(of: cid)?.receiveBufferBytes ?? settings.configuration.receiveBufferBytes   // as auto-tuned
            let data = try stack!.receive(cid, maxBytes: Int(min(count, Int64(buffer))), now: now)
            drain()
            guard let data else { return .done(.value(0)) }
            if !data.isEmpty { return .done(.value(Int64(data.count))) }
            return nonblocking ? .done(.error("EAGAIN")) : .wouldBlock
        } catch {
            if s.errorConsumed { return .done(.value(0)) }
            s.errorConsumed = true
            return .done(.error(Symbols.errno(for: error)))
        }
    }

    func writeCall(_ call: inout Call) throws(Stop) -> Attempt {
        let name = call.spec.name
        try checkCount(call, name == "write" ? 3 : name == "send" ? 4 : 6)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let count = try integer(call, 2)
        let flags = name == "write" ? 0 : try integer(call, 3)
        guard count >= 0 else { return .done(.error("EINVAL")) }
        // TCP Fast Open (Run+FastOpen.swift): sendto(MSG_FASTOPEN) opens the connection.
        if flags & Run.msgFastOpen != 0, let a = try fastOpenSendto(&call, s, count: count, nonblocking: s.nonblocking || flags & 0x40 != 0) { return a }
        guard let cid = s.connection, stack != nil else { return .done(.error("EPIPE")) }
        if s.writeShutdown { return .done(.error("EPIPE")) }
        if let e = takeError(s) { return .done(.error(e)) }
        let nonblocking = s.nonblocking || flags & 0x40 != 0
        if let a = try fastOpenWrite(&call, s, cid, count: count, nonblocking: nonblocking) { return a }
        switch stack!.state(of: cid) {
        case .synSent?, .synReceived?:
            return nonblocking ? .done(.error("EAGAIN")) : .wouldBlock
        case .closed?, nil:
            return .done(.error("EPIPE"))
        default:
            break
        }
        let remaining = Int(count) - call.progress   // Int is 64-bit: count fits
        // A blocked writer under Linux's accounting sleeps until the buffer is writeable again
        // (sk_stream_wait_memory, woken by sk_stream_write_space), not at the first free byte.
        if call.phase == 7 {
            if stack!.sendBufferAcceptsWrites(cid) == false { return .wouldBlock }
            call.phase = 0
        }
        if remaining > 0 {
            do {
                var chunk = min(remaining, stack!.tcpInfo(of: cid)?.sendBufferBytes ?? settings.configuration.sendBufferBytes)
                // Linux's accounting (TCPStack+SendBufferAccounting.swift) may take up to a buffer more.
                if stack!.sendBufferAcceptsWrites(cid) != nil { chunk = min(remaining, 2 * chunk + 65_536) }
                // MSG_OOB: the bytes are urgent (RFC 9293 §3.8.5); SND.UP follows each chunk queued.
                let n = flags & 0x1 != 0 ? try stack!.send(cid, [UInt8](repeating: 0, count: chunk), urgent: true, now: now)
                    : try stack!.send(cid, [UInt8](repeating: 0, count: chunk), flags: Run.sendFlags(flags, last: chunk == remaining), now: now)
                call.progress += n
            } catch {
                if call.progress > 0 { return .done(.value(Int64(call.progress))) }
                if error == .connectionClosing { return .done(.error("EPIPE")) }
                s.errorConsumed = true
                return .done(.error(Symbols.errno(for: error)))
            }
            drain()
        }
        if call.progress >= Int(count) { return .done(.value(count)) }
        if nonblocking { return call.progress > 0 ? .done(.value(Int64(call.progress))) : .done(.error("EAGAIN")) }
        if stack!.sendBufferAcceptsWrites(cid) != nil { call.phase = 7 }
        return .wouldBlock
    }

    func closeCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 1)
        let fd = try integer(call, 0)
        guard let s = fds[fd] else { return .done(.error("EBADF")) }
        fds[fd] = nil
        if let lid = s.listener {
            try? stack?.closeListener(lid, now: now)
            s.listener = nil
            for cid in s.preAccepted { try? stack?.abort(cid, now: now) }
            s.preAccepted = []
        }
        if let cid = s.connection {
            if let l = s.linger, l.on, l.seconds == 0 {
                try? stack?.abort(cid, now: now)
            } else {
                try? stack?.close(cid, now: now)
            }
        }
        drain()
        return .done(.value(0))
    }

    func shutdownCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 2)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let how = try integer(call, 1)
        guard (0...2).contains(how) else { return .done(.error("EINVAL")) }
        guard let cid = s.connection, let st = stack?.state(of: cid), st != .closed else { return .done(.error("ENOTCONN")) }
        if how == 0 || how == 2 { s.readShutdown = true }
        if how == 1 || how == 2 {
            s.writeShutdown = true
            do { try stack!.shutdown(cid, now: now) } catch { return .done(.error(Symbols.errno(for: error))) }
            drain()
        }
        return .done(.value(0))
    }

    func fcntlCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 2, 3)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let command = try integer(call, 1)
        switch command {
        case 3:   // F_GETFL
            return .done(.value(2 | (s.nonblocking ? 0x800 : 0)))
        case 4:   // F_SETFL
            s.nonblocking = try integer(call, 2) & 0x800 != 0
            return .done(.value(0))
        case 1:   // F_GETFD
            return .done(.value(0))
        case 2:   // F_SETFD
            return .done(.value(0))
        default:
            throw .unsupported("line \(call.line): fcntl command \(command) is not supported")
        }
    }

    func setsockoptCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 5)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let level = try integer(call, 1), name = try integer(call, 2)
        if let a = try fastOpenSetsockopt(call, s, level: level, name: name) { return a }   // Run+FastOpen.swift
        let valueExpression = try argument(call, 3)
        func value() throws(Stop) -> Int64 {
            do { return try valueExpression.integerValue() } catch { throw unsupportedValue(call.line, error) }
        }
        switch (level, name) {
        case (1, 2):   // SO_REUSEADDR
            s.reuseAddress = try value()
        case (1, 15):  // SO_REUSEPORT
            _ = try value()
        case (1, 13):  // SO_LINGER
            guard let f = valueExpression.fields else { throw .unsupported("line \(call.line): SO_LINGER needs {l_onoff=..., l_linger=...}") }
            let on = f["l_onoff"] ?? f["onoff"], secs = f["l_linger"] ?? f["linger"]
            guard let on, let secs else { throw .unsupported("line \(call.line): SO_LINGER needs {l_onoff=..., l_linger=...}") }
            let o: Int64, l: Int64
            do { o = try on.integerValue(); l = try secs.integerValue() } catch { throw unsupportedValue(call.line, error) }
            s.linger = (o != 0, l)
            if o != 0 && l > 0 { settings.notes.append("line \(call.line): SO_LINGER with a timeout: close() does not wait in TCPKit") }
        case (1, 7), (1, 8):   // SO_SNDBUF, SO_RCVBUF
            var v = try value()
            guard v > 0, v <= 1 << 30 else { return .done(.error("EINVAL")) }
            // Linux keeps twice the size asked (sk_sndbuf = 2 * val, room for its per-segment
            // bookkeeping) and getsockopt shows that; TCPKit has no such overhead and holds all of
            // it as data.
            if name == 7 && settings.profile == .linux { v = max(v * 2, Int64(TCPStack.linuxMinimumSendBuffer)) }   // and at least SOCK_MIN_SNDBUF
            // Once the stack holds connections or listeners, SO_SNDBUF is this socket's own
            // (`ConnectionOptions.sendBufferSize`; accepted sockets inherit a listener's).
            if name == 7 && stackInUse {
                setOptions(s) { $0.sendBufferSize = Int(v) }
                return .done(.value(0))
            }
            var new = settings
            // As on Linux, setting a size fixes it (`BufferSizing.fixed`): auto-tuning is off for
            // that buffer, whatever sysctls follow.
            if name == 8 {
                new.configuration.receiveBufferBytes = Int(v)
                new.receiveAutoTuning = false
                new.receiveBufferSet = true
            } else {
                new.configuration.sendBufferBytes = Int(v)
                new.sendAutoTuning = false
            }
            try reconfigure(new, line: call.line, what: name == 8 ? "SO_RCVBUF" : "SO_SNDBUF")
        case (1, 9):   // SO_KEEPALIVE
            let v = try value()
            setOptions(s) { $0.keepAlive = v != 0 }
        case (6, 1):   // TCP_NODELAY
            s.noDelay = try value()
            let v = s.noDelay
            setOptions(s) { $0.noDelay = v != 0 }
            if v != 0, let cid = s.connection { try? stack?.push(cid, now: now) }   // Linux pushes a corked queue (TCPStack+Corking.swift)
            drain()
        case (6, 4), (6, 5):   // TCP_KEEPIDLE, TCP_KEEPINTVL (seconds; Linux allows 1...32767)
            let v = try value()
            guard v >= 1, v <= 32767 else { return .done(.error("EINVAL")) }
            setOptions(s) { if name == 4 { $0.keepAliveIdle = .seconds(v) } else { $0.keepAliveInterval = .seconds(v) } }
        case (6, 6):   // TCP_KEEPCNT (Linux allows 1...127)
            let v = try value()
            guard v >= 1, v <= 127 else { return .done(.error("EINVAL")) }
            setOptions(s) { $0.keepAliveCount = Int(v) }
        case (6, 18):  // TCP_USER_TIMEOUT (milliseconds; 0 = off)
            let v = try value()
            guard v >= 0, v <= Int64(Int32.max) else { return .done(.error("EINVAL")) }
            setOptions(s) { $0.userTimeout = v == 0 ? nil : .milliseconds(v) }
        case (6, 2):   // TCP_MAXSEG
            let v = try value()
            guard v >= 64, v <= 65535 else { return .done(.error("EINVAL")) }
            // Once the stack is in use, the socket's own cap (Linux's user_mss; accepted sockets
            // inherit a listener's): `ConnectionOptions.maximumSegmentSize`.
            if stackInUse {
                setOptions(s) { $0.maximumSegmentSize = Int(v) }
                return .done(.value(0))
            }
            var new = settings
            new.configuration.mss = Int(v)
            try reconfigure(new, line: call.line, what: "TCP_MAXSEG")
        case (6, 7):   // TCP_SYNCNT (Linux allows 1...255)
            let v = try value()
            guard v >= 1, v <= 255 else { return .done(.error("EINVAL")) }
            setOptions(s) { $0.synRetries = Int(v) }
        case (6, 3):   // TCP_CORK
            let v = try value()
            setOptions(s) { $0.cork = v != 0 }
            drain()   // uncorking sends what the cork held
        case (1, 10):  // SO_OOBINLINE: urgent data is always inline in TCPKit (RFC 6093 §5)
            s.oobInline = try value() != 0
            if !s.oobInline { settings.notes.append("line \(call.line): SO_OOBINLINE 0: TCPKit delivers urgent data inline all the same") }
        case (0, 1), (41, 67):   // IP_TOS, IPV6_TCLASS: the DSCP; the ECN bits are not the socket's
            let v = try value()
            guard v >= -1, v <= 255 else { return .done(.error("EINVAL")) }
            let dscp = UInt8(max(0, v) >> 2)
            setOptions(s) { $0.dscp = dscp }
        default:
            throw .unsupported("line \(call.line): setsockopt(\(call.spec.arguments[1]), \(call.spec.arguments[2])) is not supported")
        }
        return .done(.value(0))
    }

    /// Changes a socket's TCP options and hands them to its connection or listener.
    func setOptions(_ s: ScriptSocket, _ change: (inout ConnectionOptions) -> Void) {
        var o = s.tcpOptions ?? settings.configuration.connectionOptions
        change(&o)
        s.tcpOptions = o
        applyOptions(s)
    }

    func applyOptions(_ s: ScriptSocket) {
        guard let o = s.tcpOptions else { return }
        if let cid = s.connection { try? stack?.setOptions(cid, o, now: now) }
        if let lid = s.listener { try? stack?.setOptions(lid, o) }
    }

    func getsockoptCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 5)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let level = try integer(call, 1), name = try integer(call, 2)
        let value: Int64
        switch (level, name) {
        case (1, 4):   // SO_ERROR: the hard error, else the pending soft error (read and cleared, as Linux)
            if let e = takeError(s) {
                value = Symbols.errno[e] ?? 0
            } else if let cid = s.connection, let soft = (try? stack?.takeSoftError(cid)) ?? nil {
                value = Symbols.errno[soft.errnoName] ?? 0
            } else {
                value = 0
            }
        case (1, 7): value = Int64(s.tcpOptions?.sendBufferSize ?? settings.configuration.sendBufferBytes)
        case (1, 8):   // the connection's buffer as it is (FreeBSD rounds it to whole segments once established)
            value = Int64(s.connection.flatMap { stack?.tcpInfo(of: $0)?.receiveBufferBytes } ?? settings.configuration.receiveBufferBytes)
        case (1, 2): value = s.reuseAddress
        case (1, 3): value = 1   // SO_TYPE: SOCK_STREAM
        case (1, 9): value = (s.tcpOptions ?? settings.configuration.connectionOptions).keepAlive ? 1 : 0   // SO_KEEPALIVE
        case (6, 1): value = s.noDelay
        case (6, 3): value = (s.tcpOptions ?? settings.configuration.connectionOptions).cork ? 1 : 0   // TCP_CORK
        case (6, 4): value = (s.tcpOptions ?? settings.configuration.connectionOptions).keepAliveIdle.components.seconds
        case (6, 5): value = (s.tcpOptions ?? settings.configuration.connectionOptions).keepAliveInterval.components.seconds
        case (6, 6): value = Int64((s.tcpOptions ?? settings.configuration.connectionOptions).keepAliveCount)
        case (6, 7): value = Int64((s.tcpOptions ?? settings.configuration.connectionOptions).synRetries ?? settings.configuration.synRetries)   // TCP_SYNCNT
        case (6, 18): value = (s.tcpOptions ?? settings.configuration.connectionOptions).userTimeout.map { $0.nanoseconds / 1_000_000 } ?? 0
        case (1, 10): value = s.oobInline ? 1 : 0
        case (0, 1), (41, 67):   // IP_TOS, IPV6_TCLASS
            value = Int64((s.tcpOptions ?? settings.configuration.connectionOptions).dscp) << 2
        case (6, 2):   // TCP_MAXSEG
            if let cid = s.connection, let info = stack?.info(of: cid) {
                value = Int64(info.sendMSS)
            } else if let m = s.tcpOptions?.maximumSegmentSize {
                value = Int64(m)
            } else {
                value = Int64(settings.configuration.mss ?? 536)
            }
        default:
            throw .unsupported("line \(call.line): getsockopt(\(call.spec.arguments[1]), \(call.spec.arguments[2])) is not supported")
        }
        let optval = try argument(call, 3), optlen = try argument(call, 4)
        try checkValueOut(&call, optval, value, named: call.spec.arguments[2], what: "getsockopt optval", kind: "getsockopt value")
        if case .list(let xs) = optlen, xs.count == 1, let want = try? xs[0].integerValue(), want != 4 {
            call.after.append(("bad getsockopt optlen: expected \(want) actual 4", "optlen \(want)", "optlen 4"))
        }
        return .done(.value(0))
    }

    // MARK: poll

    func pollCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        guard case .list(let entries) = try argument(call, 0) else {
            throw .unsupported("line \(call.line): poll() needs a list of {fd=..., events=...}")
        }
        let nfds = try integer(call, 1), timeout = try integer(call, 2)
        guard nfds == Int64(entries.count) else {
            throw failure(call.line, "nfds \(nfds) does not match \(entries.count)-element pollfd array")
        }
        var revents: [Int64] = []
        var expected: [(fd: Int64, revents: Int64)] = []
        for entry in entries {
            guard let f = entry.fields, let fdE = f["fd"], let evE = f["events"] else {
                throw .unsupported("line \(call.line): poll() entry \(entry) is not {fd=..., events=...}")
            }
            let fd: Int64, events: Int64, want: Int64
            do {
                fd = try fdE.integerValue()
                events = try evE.integerValue()
                want = try f["revents"]?.integerValue() ?? 0
            } catch { throw unsupportedValue(call.line, error) }
            expected.append((fd, want))
            revents.append(fds[fd].map { readiness($0, events: events) } ?? pollMask(nil, events: events))   // TCP_NOTSENT_LOWAT: Run+Poll.swift
        }
        let ready = revents.filter { $0 != 0 }.count
        let timedOut = call.deadline.map { now >= $0 } ?? false
        if ready == 0 && timeout != 0 && !timedOut {
            if call.phase == 0 {
                call.phase = 1
                if timeout > 0 { call.deadline = now + .milliseconds(min(timeout, 86_400_000)) }
            }
            return .wouldBlock
        }
        for (k, e) in expected.enumerated() where revents[k] != e.revents {
            call.after.append(("poll revents for fd \(e.fd): expected \(Run.pollNames(e.revents)) actual \(Run.pollNames(revents[k]))",
                               "fd \(e.fd) revents=\(Run.pollNames(e.revents))", "fd \(e.fd) revents=\(Run.pollNames(revents[k]))"))
        }
        return .done(.value(Int64(ready)))
    }

    static func pollNames(_ v: Int64) -> String {
        let names: [(Int64, String)] = [(0x1, "POLLIN"), (0x2, "POLLPRI"), (0x4, "POLLOUT"), (0x8, "POLLERR"), (0x10, "POLLHUP"),
                                        (0x20, "POLLNVAL"), (0x40, "POLLRDNORM"), (0x80, "POLLRDBAND"), (0x100, "POLLWRNORM"),
                                        (0x200, "POLLWRBAND"), (0x2000, "POLLRDHUP")]
        let parts = names.filter { v & $0.0 != 0 }.map(\.1)
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }

    /// Linux's tcp_poll(), in terms of the engine's state; masked by the events asked for (plus
    /// POLLERR, POLLHUP and POLLNVAL, which are always reported).
    func pollMask(_ socket: ScriptSocket?, events: Int64) -> Int64 {
        let IN: Int64 = 0x1 | 0x40, OUT: Int64 = 0x4 | 0x100, ERR: Int64 = 0x8, HUP: Int64 = 0x10, NVAL: Int64 = 0x20, RDHUP: Int64 = 0x2000
        guard let s = socket else { return NVAL }
        var mask: Int64 = 0
        if let lid = s.listener {
            if s.preAccepted.isEmpty, let cid = try? stack?.accept(lid) { s.preAccepted.append(cid) }
            if !s.preAccepted.isEmpty { mask |= IN }
        } else if let cid = s.connection, let st = stack?.state(of: cid), let info = stack?.info(of: cid) {
            let closed = st == .closed
            let receiveShut = closed || s.readShutdown || peerClosed.contains(cid)
            let sendShut = closed || s.writeShutdown || [.finWait1, .finWait2, .closing, .lastAck, .timeWait].contains(st)
            if (receiveShut && sendShut) || closed { mask |= HUP }
            if receiveShut { mask |= IN | RDHUP }
            if st != .synSent && st != .synReceived {
                if info.bytesReadable > 0 { mask |= IN }
                let sendBuffer = stack?.tcpInfo(of: cid)?.sendBufferBytes ?? settings.configuration.sendBufferBytes   // as auto-tuned
                if sendShut || (stack?.sendBufferAcceptsWrites(cid) ?? (info.bytesBuffered < sendBuffer)) { mask |= OUT }
            } else if st == .synSent && stack!.fastOpenAcceptsWrites(cid) && info.bytesBuffered == 0 {
                mask |= OUT   // a deferred TCP_FASTOPEN_CONNECT: writable, the write sends the SYN (Linux's tcp_poll)
            }
            if info.error != nil && !s.errorConsumed { mask |= ERR }
            if stack?.urgentStatus(of: cid)?.pending == true { mask |= 0x2 }   // POLLPRI, as Linux's tcp_poll
        } else {
            mask |= HUP | OUT   // a socket that is neither connected nor listening (TCP_CLOSE)
        }
        if s.listener == nil && !s.errorQueue.entries.isEmpty { mask |= ERR }   // Linux's tcp_poll: a pending error queue
        return mask & (events | ERR | HUP | NVAL)
    }
}

extension Run {
    // MARK: ioctl

    /// ioctl(fd, SIOCATMARK, [n]): whether the next byte read is the last urgent byte (RFC 9293
    /// §3.8.5 MUST-33, `TCPStack.urgentStatus`); FIONREAD / SIOCINQ: bytes readable; SIOCOUTQ:
    /// bytes not yet acknowledged. The value is checked against the script's `[n]`.
    func ioctlCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let request = try integer(call, 1)
        let value: Int64
        switch request {
        case 0x8905:   // SIOCATMARK
            guard let cid = s.connection else { return .done(.error("EINVAL")) }
            value = stack?.urgentStatus(of: cid)?.atMark == true ? 1 : 0
        case 0x541B:   // FIONREAD, SIOCINQ
            guard let cid = s.connection else { return .done(.error("EINVAL")) }
            value = Int64(stack?.info(of: cid)?.bytesReadable ?? 0)
        case 0x5411:   // SIOCOUTQ
            guard let cid = s.connection else { return .done(.error("EINVAL")) }
            value = Int64(stack?.info(of: cid)?.bytesBuffered ?? 0)
        default:
            throw .unsupported("line \(call.line): ioctl request \(call.spec.arguments[1]) is not supported")
        }
        try checkValueOut(&call, try argument(call, 2), value, named: call.spec.arguments[1], what: "ioctl value", kind: "ioctl argument")
        return .done(.value(0))
    }

    /// A value the call writes back through a pointer (getsockopt's optval, ioctl's argument): the
    /// script's `[n]` is compared once the call is done, `...` takes anything.
    func checkValueOut(_ call: inout Call, _ arg: Expression, _ value: Int64, named name: Expression,
                       what: String, kind: String) throws(Stop) {
        if case .list(let xs) = arg, xs.count == 1 {
            let want: Int64
            do { want = try xs[0].integerValue() } catch { throw unsupportedValue(call.line, error) }
            if want != value {
                call.after.append(("bad \(what): expected \(want) actual \(value)", "\(name) = \(want)", "\(name) = \(value)"))
            }
        } else if !arg.isEllipsis {
            throw .unsupported("line \(call.line): \(kind) \(arg) is not supported (only [n] or ...)")
        }
    }
}
