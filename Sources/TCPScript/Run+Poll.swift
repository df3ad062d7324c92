import TCPCore

/// An epoll instance: the descriptors it watches (Linux's epitems).
final class EpollInstance {
    struct Interest {
        var events: Int64
        /// `epoll_data`: what epoll_wait gives back (`fd=`, `u32=`, `u64=` or `ptr=`).
        var data: Int64
        /// Edge-triggered: a wakeup is pending (Linux's item on the ready list).
        var ready = true
        /// EPOLLONESHOT after its event: silent until EPOLL_CTL_MOD.
        var disabled = false
        /// What the socket looked like at the last check, for finding wakeups (new data, a FIN,
        /// an error, a state change).
        var seenReceived: UInt64 = 0
        var seenClosed = false
        var seenState: TCPState? = nil
        var seenError = false
        /// Error-queue entries queued so far (Run+ErrorQueue.swift): each one is a wakeup.
        var seenErrorReports = 0
    }
    var interests: [Int64: Interest] = [:]
    /// Descriptors in the order they became ready (Linux reports its ready list in order).
    var order: [Int64] = []
}

/// One end of a pipe (`pipe([5, 6])`): only created and closed; data through pipes needs
/// splice(), which TCPKit's runner does not have.
final class PipeEnd {
    let readable: Bool
    init(readable: Bool) { self.readable = readable }
}

extension Symbols {
    /// Constants of the calls Run+Poll.swift adds (Linux values).
    static let callConstants: [String: Int64] = [
        "EPOLL_CTL_ADD": 1, "EPOLL_CTL_DEL": 2, "EPOLL_CTL_MOD": 3, "EPOLL_CLOEXEC": 0x80000,
        "EPOLLIN": 0x1, "EPOLLPRI": 0x2, "EPOLLOUT": 0x4, "EPOLLERR": 0x8, "EPOLLHUP": 0x10, "EPOLLRDNORM": 0x40,
        "EPOLLRDBAND": 0x80, "EPOLLWRNORM": 0x100, "EPOLLWRBAND": 0x200, "EPOLLMSG": 0x400, "EPOLLRDHUP": 0x2000,
        "EPOLLEXCLUSIVE": 1 << 28, "EPOLLWAKEUP": 1 << 29, "EPOLLONESHOT": 1 << 30, "EPOLLET": 1 << 31,
        "MSG_ERRQUEUE": 0x2000, "MSG_CONFIRM": 0x800, "MSG_ZEROCOPY": 0x400_0000, "MSG_FASTOPEN": 0x2000_0000,
        "MSG_CMSG_CLOEXEC": 0x4000_0000, "MSG_CTRUNC": 0x8,
        "TCP_INQ": 36, "TCP_CM_INQ": 36, "TCP_ZEROCOPY_RECEIVE": 35, "TCP_TX_DELAY": 37,
        "IP_MTU_DISCOVER": 10, "IPV6_MTU_DISCOVER": 23, "IP_PMTUDISC_DONT": 0, "IP_PMTUDISC_WANT": 1,
        "IP_PMTUDISC_DO": 2, "IP_PMTUDISC_PROBE": 3, "IP_PMTUDISC_INTERFACE": 4, "IP_PMTUDISC_OMIT": 5,
        "SO_MARK": 36, "SO_TIMESTAMPING": 37, "SCM_TIMESTAMPING": 37, "SO_ZEROCOPY": 60, "SO_EE_ORIGIN_ZEROCOPY": 5,
        "SO_EE_ORIGIN_TIMESTAMPING": 4, "SIOCOUTQNSD": 0x894B,
        "O_CREAT": 0x40, "O_TRUNC": 0x200, "O_APPEND": 0x400, "SPLICE_F_MOVE": 1, "SPLICE_F_NONBLOCK": 2,
        "SPLICE_F_MORE": 4,
        // tcp_info values (LinuxTCPInfo), for `getsockopt(TCP_INFO)` structures.
        "TCP_ESTABLISHED": 1, "TCP_SYN_SENT": 2, "TCP_SYN_RECV": 3, "TCP_FIN_WAIT1": 4, "TCP_FIN_WAIT2": 5,
        "TCP_TIME_WAIT": 6, "TCP_CLOSE": 7, "TCP_CLOSE_WAIT": 8, "TCP_LAST_ACK": 9, "TCP_LISTEN": 10, "TCP_CLOSING": 11,
        "TCP_CA_Open": 0, "TCP_CA_Disorder": 1, "TCP_CA_CWR": 2, "TCP_CA_Recovery": 3, "TCP_CA_Loss": 4,
        "TCPI_OPT_TIMESTAMPS": 1, "TCPI_OPT_SACK": 2, "TCPI_OPT_WSCALE": 4, "TCPI_OPT_ECN": 8,
    ]
}

extension Run {
    static let issue17Calls: Set<String> = [
        "sendmsg", "recvmsg", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "pipe", "open",
        "splice", "sendfile",
    ]

    /// The calls this file adds, and the cases it adds to existing ones; nil: not one of them.
    func callAttempt(_ call: inout Call) throws(Stop) -> Attempt? {
        switch call.spec.name {
        case "sendmsg": return try sendmsgCall(&call)
        case "recvmsg": return try recvmsgCall(&call)
        case "epoll_create", "epoll_create1": return try epollCreateCall(&call)
        case "epoll_ctl": return try epollCtlCall(&call)
        case "epoll_wait": return try epollWaitCall(&call)
        case "pipe": return try pipeCall(&call)
        case "open": return try openCall(&call)   // Run+Files.swift
        case "splice":
            throw .unsupported("line \(call.line): splice() (moving data between a pipe and a socket) is not supported")
        case "sendfile": return try sendfileCall(&call)   // Run+Files.swift
        case "close":
            guard let fd = try? integer(call, 0) else { return nil }
            if epolls.removeValue(forKey: fd) != nil || pipes.removeValue(forKey: fd) != nil || openFiles.removeValue(forKey: fd) != nil {
                return .done(.value(0))
            }
            return nil
        case "read", "recv", "recvfrom":
            // A NULL buffer: Linux fails the copy to user space with EFAULT once there is data to copy.
            guard isNullPointer(call), let fd = try? integer(call, 0), let cid = fds[fd]?.connection,
                  (stack?.info(of: cid)?.bytesReadable ?? 0) > 0, ((try? integer(call, 2)) ?? 0) > 0 else { return nil }
            return .done(.error("EFAULT"))
        case "write", "send", "sendto":
            // A NULL buffer: EFAULT from the copy from user space, on a connection that can send.
            if isNullPointer(call), let fd = try? integer(call, 0), let cid = fds[fd]?.connection,
               let st = stack?.state(of: cid), st == .established || st == .closeWait, ((try? integer(call, 2)) ?? 0) > 0 {
                return .done(.error("EFAULT"))
            }
            let fd = try? integer(call, 0)
            let a = try writeCall(&call)
            errorQueueWrote(fd, flags: call.spec.name == "write" ? 0 : (try? integer(call, 3)) ?? 0, a)   // Run+ErrorQueue.swift
            // A write that found the buffer full arms the write-space wakeup (Linux's SOCK_NOSPACE).
            if let fd, let s = fds[fd], let count = try? integer(call, 2) {
                switch a {
                case .done(.error("EAGAIN")): s.noSpace = true
                case .done(.value(let n)) where n < count: s.noSpace = true
                default: break
                }
            }
            return a
        case "setsockopt": return try setsockoptExtra(&call)
        case "getsockopt": return try getsockoptExtra(&call)
        case "ioctl":
            guard call.spec.arguments.count == 3, (try? integer(call, 1)) == 0x894B else { return nil }
            throw .unsupported("line \(call.line): ioctl(SIOCOUTQNSD) (bytes not yet sent) is not supported")
        default: return nil
        }
    }

    /// Dry-run check (in `prepare`): calls and message headers that need a feature TCPKit lacks.
    func checkCall(_ s: SyscallSpec, line: Int) throws(Stop) {
        if ["open", "splice", "sendfile"].contains(s.name) {
            var c = Call(spec: s, line: line, start: 0, end: nil)
            _ = try callAttempt(&c)   // UNSUPPORTED, naming the call
        }
        try checkErrorQueueCall(s, line: line)   // Run+ErrorQueue.swift
        if s.name == "sendmsg" || s.name == "recvmsg", s.arguments.count == 3 {
            let c = Call(spec: s, line: line, start: 0, end: nil)
            let m = try messageHeader(c)
            let flags = try? s.arguments[2].integerValue()
            let errorQueue = s.name == "recvmsg" && (flags ?? 0) & 0x2000 != 0   // MSG_ERRQUEUE: Run+ErrorQueue.swift
            if let bad = m.control.first(where: { !errorQueue && !(s.name == "recvmsg" && $0.level == 6 && $0.type == 36) }) {
                throw .unsupported("line \(line): \(s.name)() control message \(bad.text) is not supported (receive timestamps and other ancillary data; the error queue is read with MSG_ERRQUEUE)")
            }
        }
    }

    /// The buffer argument is NULL (packetdrill passes the pointer as written).
    func isNullPointer(_ call: Call) -> Bool {
        guard call.spec.arguments.count > 1 else { return false }
        switch call.spec.arguments[1] {
        case .word("NULL"), .integer(0): return true
        default: return false
        }
    }

    func descriptorInUse(_ fd: Int64) -> Bool { fds[fd] != nil || epolls[fd] != nil || pipes[fd] != nil || openFiles[fd] != nil }

    func newDescriptor(_ call: Call) throws(Stop) -> Int64 {
        let expected = (try? call.spec.result.integerValue()) ?? -1
        var fd = expected
        if fd < 0 {
            fd = 3
            while descriptorInUse(fd) { fd += 1 }
        }
        guard !descriptorInUse(fd) else { throw failure(call.line, "duplicate fd \(fd) in script") }
        return fd
    }

    // MARK: sendmsg / recvmsg

    /// A `struct msghdr` as a script writes it: `{msg_name(...)=..., msg_iov(N)=[{..., len}...],
    /// msg_flags=F, msg_control=[{cmsg_level=..., cmsg_type=..., cmsg_data=...}]}`.
    struct MessageHeader {
        var lengths: [Int64] = []
        var flags: Int64 = 0
        var control: [(level: Int64, type: Int64, data: Expression, text: String)] = []
    }

    func messageHeader(_ call: Call) throws(Stop) -> MessageHeader {
        let e = try argument(call, 1)
        guard case .braces(let fields) = e else {
            throw .unsupported("line \(call.line): \(call.spec.name)() message header \(e) is not {msg_iov(...)=..., ...}")
        }
        func int(_ x: Expression) throws(Stop) -> Int64 {
            do { return try x.integerValue() } catch { throw unsupportedValue(call.line, error) }
        }
        var m = MessageHeader()
        for f in fields {
            guard case let .binary("=", lhs, value) = f else {
                throw .unsupported("line \(call.line): message header field \(f) is not name=value")
            }
            let name: String
            switch lhs {
            case .word(let w): name = w
            case .call(let w, _): name = w
            default: throw .unsupported("line \(call.line): message header field \(f) is not name=value")
            }
            switch name {
            case "msg_name", "msg_namelen": continue
            case "msg_flags": m.flags = try int(value)
            case "msg_iov":
                guard case .list(let iovs) = value else { throw .unsupported("line \(call.line): msg_iov \(value) is not a list") }
                for iov in iovs {
                    guard case .braces(let parts) = iov, parts.count == 2 else {
                        throw .unsupported("line \(call.line): iovec \(iov) is not {..., length}")
                    }
                    let len: Expression
                    if case let .binary("=", _, v) = parts[1] { len = v } else { len = parts[1] }
                    m.lengths.append(try int(len))
                }
                if case .call(_, let args) = lhs, let n = args.first, let count = try? n.integerValue(), count != Int64(iovs.count) {
                    throw failure(call.line, "msg_iov(\(count)) does not match its \(iovs.count)-element array")
                }
            case "msg_control":
                guard case .list(let cmsgs) = value else { throw .unsupported("line \(call.line): msg_control \(value) is not a list") }
                for c in cmsgs {
                    guard let cf = c.fields, let level = cf["cmsg_level"], let type = cf["cmsg_type"], let data = cf["cmsg_data"] else {
                        throw .unsupported("line \(call.line): control message \(c) is not {cmsg_level=..., cmsg_type=..., cmsg_data=...}")
                    }
                    let l: Int64, t: Int64
                    do { l = try level.integerValue(); t = try type.integerValue() } catch {
                        throw .unsupported("line \(call.line): control message type \(type) is not supported")
                    }
                    m.control.append((l, t, data, "\(level)/\(type)"))
                }
            default:
                throw .unsupported("line \(call.line): message header field \(name) is not supported")
            }
        }
        return m
    }

    /// Runs `body` as the call `name(fd, ..., count, flags)`, keeping the progress in `call`.
    func asCall(_ call: inout Call, _ name: String, count: Int64, flags: Int64,
                _ body: (inout Call) throws(Stop) -> Attempt) throws(Stop) -> Attempt {
        var inner = call
        inner.spec = SyscallSpec(name: name, arguments: [try argument(call, 0), .ellipsis, .integer(count), .integer(flags)],
                                 result: call.spec.result, errno: call.spec.errno, note: call.spec.note, endTime: call.spec.endTime)
        let a = try body(&inner)
        call.phase = inner.phase
        call.progress = inner.progress
        call.deadline = inner.deadline
        call.after = inner.after
        return a
    }

    func sendmsgCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        let m = try messageHeader(call)
        let flags = try integer(call, 2)
        if let c = m.control.first {
            throw .unsupported("line \(call.line): sendmsg() control message \(c.text) is not supported")
        }
        let total = m.lengths.reduce(0, +)
        let fd = try integer(call, 0)
        var a: Attempt
        if let r = try zeroCopyFragmentRecords(call, m, flags: flags) { a = r }   // Run+ZeroCopyFragments.swift
        else { a = try asCall(&call, "send", count: total, flags: flags) { (c: inout Call) throws(Stop) -> Attempt in try writeCall(&c) } }
        errorQueueWrote(fd, flags: flags, a)   // Run+ErrorQueue.swift
        if let s = fds[fd] {
            switch a {
            case .done(.error("EAGAIN")): s.noSpace = true
            case .done(.value(let n)) where n < total: s.noSpace = true
            default: break
            }
        }
        return a
    }

    func recvmsgCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 3)
        let m = try messageHeader(call)
        let flags = try integer(call, 2)
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        if flags & Run.msgErrQueue != 0 { return try errorQueueRecvmsg(&call, m, s) }   // Run+ErrorQueue.swift
        for c in m.control where !(c.level == 6 && c.type == 36) {
            throw .unsupported("line \(call.line): recvmsg() control message \(c.text) is not supported (receive timestamps and other ancillary data; the error queue is read with MSG_ERRQUEUE)")
        }
        let total = m.lengths.reduce(0, +)
        let waitAll = flags & 0x100 != 0 && flags & 0x42 == 0 && !s.nonblocking   // MSG_WAITALL, not with PEEK/DONTWAIT
        var a: Attempt
        if waitAll {
            // MSG_WAITALL: block until the whole count arrived, or EOF / an error ends it early.
            let remaining = total - Int64(call.progress)
            var inner = call
            inner.progress = 0
            a = try asCall(&inner, "recv", count: remaining, flags: flags & ~0x100) { (c: inout Call) throws(Stop) -> Attempt in try readCall(&c) }
            call.phase = inner.phase
            call.deadline = inner.deadline
            call.after = inner.after
            switch a {
            case .done(.value(let n)) where n > 0:
                call.progress += Int(n)
                a = Int64(call.progress) >= total ? .done(.value(Int64(call.progress))) : .wouldBlock
            case .done(.value):
                a = .done(.value(Int64(call.progress)))
            case .done(.error(let e)):
                a = call.progress > 0 ? .done(.value(Int64(call.progress))) : .done(.error(e))
            case .wouldBlock:
                break
            }
        } else {
            a = try asCall(&call, "recv", count: total, flags: flags) { (c: inout Call) throws(Stop) -> Attempt in try readCall(&c) }
        }
        guard case .done(.value) = a else { return a }
        for c in m.control {
            // TCP_CM_INQ: the bytes left to read after this call (Linux's tcp_inq_hint: 1 when
            // none are left and the peer's FIN arrived, so that the reader knows EOF is next).
            guard s.inq else {
                call.after.append(("recvmsg() expected a TCP_CM_INQ control message but TCP_INQ is not set", "cmsg TCP_CM_INQ", "no control message"))
                continue
            }
            var inq = Int64(s.connection.flatMap { stack?.info(of: $0)?.bytesReadable } ?? 0)
            if inq == 0, let cid = s.connection, peerClosed.contains(cid) { inq = 1 }
            let want: Int64
            do { want = try c.data.integerValue() } catch { throw unsupportedValue(call.line, error) }
            if want != inq {
                call.after.append(("TCP_CM_INQ: expected \(want) actual \(inq)", "cmsg_data=\(want)", "cmsg_data=\(inq)"))
            }
        }
        if m.flags != 0 {
            call.after.append(("msg_flags: expected \(m.flags) actual 0", "msg_flags=\(m.flags)", "msg_flags=0"))
        }
        return a
    }

    // MARK: epoll

    func epollCreateCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 1)
        let arg = try integer(call, 0)
        if call.spec.name == "epoll_create" ? arg <= 0 : arg & ~0x80000 != 0 { return .done(.error("EINVAL")) }
        let fd = try newDescriptor(call)
        epolls[fd] = EpollInstance()
        return .done(.value(fd))
    }

    func epollCtlCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 4)
        guard let ep = epolls[try integer(call, 0)] else { return .done(.error(fds[try integer(call, 0)] == nil ? "EBADF" : "EINVAL")) }
        let op = try integer(call, 1), fd = try integer(call, 2)
        guard fds[fd] != nil else { return .done(.error(descriptorInUse(fd) ? "EPERM" : "EBADF")) }
        var events: Int64 = 0, data = fd
        if op != 2 {
            guard let f = (try argument(call, 3)).fields, let ev = f["events"] else {
                throw .unsupported("line \(call.line): epoll_ctl() event \(call.spec.arguments[3]) is not {events=..., fd=...}")
            }
            do {
                events = try ev.integerValue()
                if let d = f["fd"] ?? f["u32"] ?? f["u64"] ?? f["ptr"] { data = try d.integerValue() }
            } catch { throw unsupportedValue(call.line, error) }
        }
        switch op {
        case 1:   // EPOLL_CTL_ADD
            if ep.interests[fd] != nil { return .done(.error("EEXIST")) }
            ep.interests[fd] = EpollInstance.Interest(events: events, data: data)
            ep.order.append(fd)
        case 2:   // EPOLL_CTL_DEL
            guard ep.interests.removeValue(forKey: fd) != nil else { return .done(.error("ENOENT")) }
            ep.order.removeAll { $0 == fd }
        case 3:   // EPOLL_CTL_MOD (EPOLLEXCLUSIVE may not be modified: EINVAL, as Linux)
            guard let old = ep.interests[fd] else { return .done(.error("ENOENT")) }
            if old.events & (1 << 28) != 0 || events & (1 << 28) != 0 { return .done(.error("EINVAL")) }
            ep.interests[fd] = EpollInstance.Interest(events: events, data: data)
        default:
            return .done(.error("EINVAL"))
        }
        return .done(.value(0))
    }

    /// Linux's wakeups, found by comparing the socket with what the interest saw last: new data,
    /// the peer's FIN, an error, a state change, or write space after a write found none.
    func epollWakeup(_ i: inout EpollInstance.Interest, _ s: ScriptSocket) -> Bool {
        var woke = false
        if s.errorQueue.reports != i.seenErrorReports { woke = true }   // Linux's sk_error_report
        i.seenErrorReports = s.errorQueue.reports
        if let cid = s.connection, let info = stack?.tcpInfo(of: cid) {
            if info.bytesReceived != i.seenReceived { woke = true }
            i.seenReceived = info.bytesReceived
            let closed = peerClosed.contains(cid)
            if closed != i.seenClosed { woke = true }
            i.seenClosed = closed
            if info.state != i.seenState { woke = true }
            i.seenState = info.state
            let err = stack?.info(of: cid)?.error != nil
            if err != i.seenError { woke = true }
            i.seenError = err
        } else if let lid = s.listener, s.preAccepted.isEmpty, let cid = try? stack?.accept(lid) {
            s.preAccepted.append(cid)
            woke = true
        }
        if s.noSpace && writeSpace(s) {
            s.noSpace = false
            woke = true
        }
        return woke
    }

    /// Linux's sk_stream_is_writeable: free space at least half of what is queued, and fewer
    /// unsent bytes than TCP_NOTSENT_LOWAT.
    func writeSpace(_ s: ScriptSocket) -> Bool {
        guard let cid = s.connection, let info = stack?.tcpInfo(of: cid) else { return false }
        let free = info.sendBufferBytes - info.sendQueue
        if let low = notSentLowat(s), Int64(max(0, info.sendQueue - info.bytesInFlight)) >= low { return false }
        if let room = stack?.sendBufferAcceptsWrites(cid) { return room }   // Linux's skb accounting (TCPStack+SendBufferAccounting.swift)
        return free >= info.sendQueue / 2
    }

    /// The socket's TCP_NOTSENT_LOWAT; nil: no limit (0 means the system default, Linux's
    /// net.ipv4.tcp_notsent_lowat, UINT_MAX unless set: no limit).
    func notSentLowat(_ s: ScriptSocket) -> Int64? {
        guard let v = s.notSentLowat, v != 0 else { return settings.configuration.notSentLowat.map { Int64($0) } }
        return v != 0xffff_ffff ? v : nil
    }

    /// The poll mask with TCP_NOTSENT_LOWAT applied to POLLOUT (Linux's tcp_stream_memory_free).
    func readiness(_ s: ScriptSocket, events: Int64) -> Int64 {
        var mask = pollMask(s, events: events)
        if let low = notSentLowat(s), let cid = s.connection, let info = stack?.tcpInfo(of: cid),
           Int64(max(0, info.sendQueue - info.bytesInFlight)) >= low {
            mask &= ~(0x4 | 0x100)
        }
        return mask
    }

    func epollWaitCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 4)
        guard let ep = epolls[try integer(call, 0)] else { return .done(.error("EBADF")) }
        let maxEvents = try integer(call, 2), timeout = try integer(call, 3)
        guard maxEvents > 0 else { return .done(.error("EINVAL")) }
        var reported: [(events: Int64, data: Int64)] = []
        for fd in ep.order {
            guard var i = ep.interests[fd], let s = fds[fd] else { continue }
            let woke = epollWakeup(&i, s)
            let et = i.events & (1 << 31) != 0
            if woke { i.ready = true }
            let mask = readiness(s, events: i.events & 0xffff)
            if !i.disabled && mask != 0 && (!et || i.ready) && Int64(reported.count) < maxEvents {
                reported.append((mask, i.data))
                if et { i.ready = false }
                if i.events & (1 << 30) != 0 { i.disabled = true }   // EPOLLONESHOT
            }
            ep.interests[fd] = i
        }
        let timedOut = call.deadline.map { now >= $0 } ?? false
        if reported.isEmpty && timeout != 0 && !timedOut {
            if call.phase == 0 {
                call.phase = 1
                if timeout > 0 { call.deadline = now + .milliseconds(min(timeout, 86_400_000)) }
            }
            return .wouldBlock
        }
        // The script's expected events: one {events=..., fd=...} or a list of them.
        let arg = try argument(call, 1)
        var expected: [Expression] = []
        switch arg {
        case .braces: expected = [arg]
        case .list(let xs): expected = xs
        default: break
        }
        for (k, e) in expected.enumerated() where k < reported.count {
            guard let f = e.fields, let ev = f["events"] else { continue }
            let want: Int64, wantData: Int64?
            do {
                want = try ev.integerValue()
                wantData = try (f["fd"] ?? f["u32"] ?? f["u64"] ?? f["ptr"])?.integerValue()
            } catch { throw unsupportedValue(call.line, error) }
            if want != reported[k].events {
                call.after.append(("epoll event \(k): expected events \(Run.pollNames(want)) actual \(Run.pollNames(reported[k].events))",
                                   "events=\(Run.pollNames(want))", "events=\(Run.pollNames(reported[k].events))"))
            }
            if let wantData, wantData != reported[k].data {
                call.after.append(("epoll event \(k): expected data \(wantData) actual \(reported[k].data)", "fd=\(wantData)", "fd=\(reported[k].data)"))
            }
        }
        return .done(.value(Int64(reported.count)))
    }

    // MARK: pipe

    func pipeCall(_ call: inout Call) throws(Stop) -> Attempt {
        try checkCount(call, 1)
        guard case .list(let xs) = try argument(call, 0), xs.count == 2 else {
            throw .unsupported("line \(call.line): pipe() needs [read_fd, write_fd]")
        }
        let r: Int64, w: Int64
        do { r = try xs[0].integerValue(); w = try xs[1].integerValue() } catch { throw unsupportedValue(call.line, error) }
        guard !descriptorInUse(r), !descriptorInUse(w), r != w else { throw failure(call.line, "duplicate fd in pipe([\(r), \(w)])") }
        pipes[r] = PipeEnd(readable: true)
        pipes[w] = PipeEnd(readable: false)
        return .done(.value(0))
    }

    // MARK: Socket options

    /// setsockopt cases this file adds; nil for the others.
    func setsockoptExtra(_ call: inout Call) throws(Stop) -> Attempt? {
        guard call.spec.arguments.count == 5, let level = try? integer(call, 1), let name = try? integer(call, 2) else { return nil }
        switch (level, name) {
        case (6, 25), (6, 36), (0, 10), (41, 23), (6, 13), (1, 37), (1, 60), (6, 11), (1, 36): break
        default: return nil
        }
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let valueExpression = try argument(call, 3)
        func value() throws(Stop) -> Int64 {
            do { return try valueExpression.integerValue() } catch { throw unsupportedValue(call.line, error) }
        }
        switch (level, name) {
        case (6, 25):   // TCP_NOTSENT_LOWAT (an unsigned int; the value limits the unsent bytes)
            let v = try value() & 0xffff_ffff   // 0: the default (net.ipv4.tcp_notsent_lowat)
            s.notSentLowat = v
            setOptions(s) { $0.notSentLowat = v == 0 ? nil : Int(v) }   // writes: TCPStack+NotSentLowat.swift
        case (6, 36):   // TCP_INQ
            s.inq = try value() != 0
        case (0, 10), (41, 23):   // IP_MTU_DISCOVER, IPV6_MTU_DISCOVER
            let v = try value()
            guard (0...5).contains(v) else { return .done(.error("EINVAL")) }
            // DO and WANT: path MTU discovery (RFC 1191, RFC 8201), DF set; IPv4's DONT: no DF, ICMP
            // does not lower the MSS (`ConnectionOptions.pathMTUDiscovery`). IPv6 never fragments
            // on the way; PROBE, INTERFACE and OMIT are not TCPKit's.
            if v == 0 && level == 0 {
                setOptions(s) { $0.pathMTUDiscovery = false }
            } else if v == 1 || v == 2 {
                setOptions(s) { $0.pathMTUDiscovery = true }
            } else {
                throw .unsupported("line \(call.line): IP_MTU_DISCOVER \(v): TCPKit does path MTU discovery (DO, WANT) or, for IPv4, none (DONT) only")
            }
        case (6, 13):   // TCP_CONGESTION
            guard case .string(let name) = valueExpression else {
                throw .unsupported("line \(call.line): TCP_CONGESTION needs a string such as \"cubic\"")
            }
            let algorithm: CongestionControlAlgorithm
            switch name {
            case "cubic": algorithm = .cubic
            case "reno", "newreno": algorithm = .newReno
            default: return .done(.error("ENOENT"))   // Linux: no such congestion control module
            }
            var new = settings
            new.configuration.congestionControl = algorithm
            try reconfigure(new, line: call.line, what: "TCP_CONGESTION")
            s.congestion = name
        case (1, 37), (1, 60):   // SO_TIMESTAMPING, SO_ZEROCOPY (Run+ErrorQueue.swift)
            return try errorQueueOption(call, s, name: name, value: try value())
        case (1, 36):   // SO_MARK: a firewall / routing mark; TCPKit has neither
            _ = try value()
        default:   // TCP_INFO cannot be set
            return .done(.error("ENOPROTOOPT"))
        }
        return .done(.value(0))
    }

    /// getsockopt cases this file adds; nil for the others.
    func getsockoptExtra(_ call: inout Call) throws(Stop) -> Attempt? {
        guard call.spec.arguments.count == 5, let level = try? integer(call, 1), let name = try? integer(call, 2) else { return nil }
        switch (level, name) {
        case (6, 11), (6, 13), (6, 25), (6, 36), (0, 10), (41, 23): break
        default: return nil
        }
        guard let s = try socket(call) else { return .done(.error("EBADF")) }
        let optval = try argument(call, 3)
        var value: Int64 = 0
        switch (level, name) {
        case (6, 11):   // TCP_INFO, compared field by field with {tcpi_...=..., ...}
            let info: LinuxTCPInfo
            if s.listener != nil { info = .listening() } else {
                guard let i = linuxInfo(s.connection) else { return .done(.error("ENOTCONN")) }
                info = i
            }
            if optval.isEllipsis { return .done(.value(0)) }
            guard let f = optval.fields else {
                throw .unsupported("line \(call.line): getsockopt(TCP_INFO) value \(optval) is not {tcpi_...=..., ...}")
            }
            for (field, e) in f.sorted(by: { $0.key < $1.key }) {
                guard let actual = info[field] else {
                    throw .unsupported("line \(call.line): tcp_info field \(field) is not available in TCPKit")
                }
                if e.isEllipsis { continue }
                let want: Int64
                do { want = try e.integerValue() } catch { throw unsupportedValue(call.line, error) }
                if want != actual {
                    call.after.append(("tcp_info \(field): expected \(want) actual \(actual)", "\(field)=\(want)", "\(field)=\(actual)"))
                }
            }
            return .done(.value(0))
        case (6, 13):   // TCP_CONGESTION: the algorithm's name
            let actual = s.congestion ?? (settings.configuration.congestionControl == .cubic ? "cubic" : "reno")
            switch optval {
            case .string(let want) where want != actual:
                call.after.append(("TCP_CONGESTION: expected \"\(want)\" actual \"\(actual)\"", "\"\(want)\"", "\"\(actual)\""))
            case .string, .ellipsis: break
            default: throw .unsupported("line \(call.line): getsockopt(TCP_CONGESTION) value \(optval) is not a string")
            }
            return .done(.value(0))
        case (6, 25): value = s.notSentLowat ?? 0   // as set; 0 means the system default
        case (6, 36): value = s.inq ? 1 : 0
        case (0, 10), (41, 23): value = 2   // IP_PMTUDISC_DO: TCPKit's path MTU discovery
        default: return nil
        }
        try checkValueOut(&call, optval, value, named: call.spec.arguments[2], what: "getsockopt optval", kind: "getsockopt value")
        return .done(.value(0))
    }
}

extension Run {
    /// send(2)'s MSG_EOR and MSG_MORE as the engine's `SendFlags` (TCPStack+Corking.swift); a
    /// write queued in several chunks ends its record with its last chunk.
    static func sendFlags(_ flags: Int64, last: Bool) -> SendFlags {
        var f: SendFlags = []
        if flags & 0x80 != 0 && last { f.insert(.endOfRecord) }   // MSG_EOR
        if flags & 0x8000 != 0 { f.insert(.more) }                // MSG_MORE
        return f
    }
}
