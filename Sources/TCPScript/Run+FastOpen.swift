import TCPCore
import TCPWire

/// TCP Fast Open in the socket layer (RFC 7413, Linux's API): sendto(MSG_FASTOPEN) on an
/// unconnected socket, TCP_FASTOPEN_CONNECT (connect() returns at once, the first write sends
/// the SYN with the data), writes to a Fast Open child before the handshake completes, and the
/// socket options TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_KEY, TCP_FASTOPEN_NO_COOKIE.
extension Run {
    static let msgFastOpen: Int64 = 0x2000_0000

    /// setsockopt for the Fast Open options; nil for any other option.
    func fastOpenSetsockopt(_ call: Call, _ s: ScriptSocket, level: Int64, name: Int64) throws(Stop) -> Attempt? {
        guard level == 6, [23, 30, 33, 34].contains(name) else { return nil }
        let valueExpression = try argument(call, 3)
        func value() throws(Stop) -> Int64 {
            do { return try valueExpression.integerValue() } catch { throw unsupportedValue(call.line, error) }
        }
        switch name {
        case 23:   // TCP_FASTOPEN: the listener's queue length
            let v = try value()
            guard v >= 0 else { return .done(.error("EINVAL")) }
            s.fastOpenQueue = Int(v)
            applyFastOpen(s)
        case 30:   // TCP_FASTOPEN_CONNECT
            let v = try value()
            // Linux's do_tcp_setsockopt: only 0 or 1, and only with the client side enabled.
            guard v == 0 || v == 1 else { return .done(.error("EINVAL")) }
            ensureStack()
            guard stack!.fastOpen.client else { return .done(.error("EOPNOTSUPP")) }
            guard s.connection == nil else { return .done(.error(v != 0 ? "EISCONN" : "EINVAL")) }
            s.fastOpenConnect = v != 0
        case 33:   // TCP_FASTOPEN_KEY: 16 bytes (Linux also takes 32, a backup key)
            let length = try integer(call, 4)
            guard length == 16 || length == 32, case .string(let text) = valueExpression,
                  let bytes = Run.keyBytes(text), bytes.count >= 16,
                  let key = FastOpenKey(bytes: bytes.prefix(16)) else { return .done(.error("EINVAL")) }
            s.fastOpenKey = key
            applyFastOpen(s)
        default:   // 34, TCP_FASTOPEN_NO_COOKIE: per socket; only the stack-wide bits are modelled
            if try value() != 0 { throw .unsupported("line \(call.line): TCP_FASTOPEN_NO_COOKIE on one socket is not supported (the stack-wide tcp_fastopen bits are)") }
        }
        return .done(.value(0))
    }

    /// A string argument's bytes: `\xNN` escapes (which the lexer gives as "xNN") or plain text.
    static func keyBytes(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        if u.count % 3 == 0, u.count > 0, stride(from: 0, to: u.count, by: 3).allSatisfy({ u[$0] == UInt8(ascii: "x") }) {
            var out: [UInt8] = []
            for k in stride(from: 0, to: u.count, by: 3) {
                guard let b = UInt8(String(decoding: u[(k + 1)...(k + 2)], as: UTF8.self), radix: 16) else { return nil }
                out.append(b)
            }
            return out
        }
        return u
    }

    /// Hands a listening socket's Fast Open options to its listener.
    func applyFastOpen(_ s: ScriptSocket) {
        guard let lid = s.listener, stack != nil else { return }
        if let q = s.fastOpenQueue { try? stack!.setFastOpen(lid, queueLength: q) }
        if let k = s.fastOpenKey { try? stack!.setFastOpenKey(lid, k) }
    }

    /// sendto(..., MSG_FASTOPEN, ...) on a socket that is not connected: an active open whose
    /// SYN carries the data (Linux's tcp_sendmsg_fastopen). nil: not such a call (MSG_FASTOPEN
    /// on a connected socket is ignored).
    func fastOpenSendto(_ call: inout Call, _ s: ScriptSocket, count: Int64, nonblocking: Bool) throws(Stop) -> Attempt? {
        if call.phase == 0 {
            if let cid = s.connection {
                // A second sendto(MSG_FASTOPEN) while the SYN is out: the connect inside it
                // (Linux's __inet_stream_connect) finds the socket connecting: EALREADY.
                // (A deferred TCP_FASTOPEN_CONNECT has sent nothing yet: its write goes through.)
                return stack?.state(of: cid) == .synSent && !stack!.fastOpenAcceptsWrites(cid) ? .done(.error("EALREADY")) : nil
            }
            if s.listener != nil { return .done(.error("ENOTCONN")) }
            ensureStack()
            guard stack!.fastOpen.client else { return .done(.error("EOPNOTSUPP")) }
            // An AF_UNSPEC address: Linux refuses Fast Open (tcp_sendmsg_fastopen).
            if call.spec.arguments.count == 6, (try? call.spec.arguments[4].integerValue()) == 0 { return .done(.error("EOPNOTSUPP")) }
            stackInUse = true
            let remote = SocketAddress(settings.remoteIP, settings.connectPort)
            let r: (id: ConnectionID, queued: Int)
            // A NULL buffer: Linux's copy into the SYN fails, and a SYN without data goes
            // (tcp_send_syn_data's fallback); the call fails (nonblocking: EINPROGRESS; blocking:
            // EFAULT once connected, when the data would be copied).
            let null = isNullPointer(call) && count > 0
            do {
                let data = [UInt8](repeating: 0, count: null ? 0 : Int(min(count, Int64(s.tcpOptions?.sendBufferSize ?? settings.configuration.sendBufferBytes))))
                let result: Result<(id: ConnectionID, queued: Int), TCPError> = data.withUnsafeBytes { b in
                    Result { () throws(TCPError) -> (id: ConnectionID, queued: Int) in
                        try stack!.connect(to: remote, from: settings.localIP, localPort: s.boundPort, fastOpenData: b,
                                           queueAll: !nonblocking, options: s.tcpOptions, now: now)
                    }
                }
                r = try result.get()
            } catch {
                return .done(.error(Symbols.errno(for: error)))
            }
            s.connection = r.id
            if null { stack!.fastOpenDataUnreadable(r.id) }
            applyOptions(s)
            s.errorConsumed = false
            s.localPort = stack!.info(of: r.id)?.local.port
            s.remotePort = settings.connectPort
            if s.state == .new { s.state = .activeConnecting }
            sut = s
            call.progress = r.queued
            drain()
            if nonblocking { return r.queued > 0 ? .done(.value(Int64(r.queued))) : .done(.error("EINPROGRESS")) }
            call.phase = null ? 4 : 3
        }
        guard call.phase == 3 || call.phase == 4 else { return nil }
        // A blocking socket waits for the handshake (__inet_stream_connect), then has queued it all.
        switch state(s) {
        case .synSent?, .synReceived?: return .wouldBlock
        case .closed?, nil: return .done(.error(takeError(s) ?? "EPIPE"))
        default: return .done(call.phase == 4 ? .error("EFAULT") : .value(Int64(call.progress)))
        }
    }

    /// A write while the connection is still opening that Fast Open lets through: the first write
    /// after a deferred TCP_FASTOPEN_CONNECT (its SYN carries the data; a blocking socket then
    /// waits for the handshake), or a Fast Open child's in SYN-RECEIVED. nil: not such a write.
    func fastOpenWrite(_ call: inout Call, _ s: ScriptSocket, _ cid: ConnectionID, count: Int64, nonblocking: Bool) throws(Stop) -> Attempt? {
        let st = stack!.state(of: cid)
        guard st == .synSent || st == .synReceived else { return nil }
        var startsDeferredSYN = false
        // A NULL buffer: as in `fastOpenSendto`, the SYN goes without data and the call fails.
        let null = isNullPointer(call) && count > 0 && st == .synSent
        if call.phase != 2 {
            guard stack!.fastOpenAcceptsWrites(cid) else { return nil }
            startsDeferredSYN = st == .synSent && (count == 0 || null)
            do {
                var chunk = null ? 0 : Int(min(count, Int64(stack!.tcpInfo(of: cid)?.sendBufferBytes ?? settings.configuration.sendBufferBytes)))
                // Non-blocking, the first write of a deferred connect takes what its SYN carries
                // (Linux's tcp_sendmsg_fastopen returns that share while the handshake runs).
                if nonblocking, let room = stack!.fastOpenDeferredSYNRoom(cid) { chunk = min(chunk, room) }
                call.progress = try stack!.send(cid, [UInt8](repeating: 0, count: chunk), now: now)
            } catch {
                return .done(.error(Symbols.errno(for: error)))
            }
            if null { stack!.fastOpenDataUnreadable(cid) }
            call.phase = 2
            drain()
        }
        // A 0-byte write that sent a deferred SYN: the handshake is under way (Linux: EINPROGRESS).
        if startsDeferredSYN && nonblocking { return .done(.error("EINPROGRESS")) }
        if stack!.state(of: cid) == .synSent && !nonblocking { return .wouldBlock }
        if null { return .done(.error("EFAULT")) }
        return call.progress > 0 ? .done(.value(Int64(call.progress))) : .done(.error(nonblocking ? "EAGAIN" : "EPIPE"))
    }
}

extension Run {
    /// A Fast Open option whose cookie a symbol names (`FO TFO_COOKIE`): packetdrill's test
    /// wrappers define TFO_COOKIE as the cookie the kernel gives the script's remote address
    /// with the configured key; without a definition, the runner computes that cookie with the
    /// stack's key (the sysctl's) for the script's addresses. Other options pass unchanged.
    func resolveFastOpenCookie(_ o: TCPOptionSpec, line: Int) throws(Stop) -> TCPOptionSpec {
        guard case let .other(kind, data, name) = o, kind == 34 || kind == 254,
              let space = name.firstIndex(of: " ") else { return o }
        let symbol = String(name[name.index(after: space)...])
        guard symbol == "TFO_COOKIE" else { throw .unsupported("line \(line): unknown Fast Open cookie symbol \(symbol)") }
        ensureStack()
        let cookie = stack!.fastOpenCookie(client: settings.remoteIP, server: settings.localIP)
        return .other(kind: kind, data: data + cookie.bytes, name: String(name[..<space]))
    }
}
