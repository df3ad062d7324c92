import TCPCore

/// The symbolic constants scripts use, with their Linux values (packetdrill scripts are written
/// against Linux; the numbers only matter where a script compares them, as in `fcntl(F_GETFL)`).
enum Symbols {
    static let errno: [String: Int64] = [
        "EPERM": 1, "ENOENT": 2, "EINTR": 4, "EIO": 5, "EBADF": 9, "EAGAIN": 11, "EWOULDBLOCK": 11,
        "ENOMEM": 12, "EACCES": 13, "EFAULT": 14, "EBUSY": 16, "EEXIST": 17, "EINVAL": 22, "EMFILE": 24,
        "ENOSPC": 28, "EPIPE": 32, "ENOTSOCK": 88, "EDESTADDRREQ": 89, "EMSGSIZE": 90, "EPROTOTYPE": 91,
        "ENOPROTOOPT": 92, "EPROTONOSUPPORT": 93, "EOPNOTSUPP": 95, "EAFNOSUPPORT": 97,
        "EADDRINUSE": 98, "EADDRNOTAVAIL": 99, "ENETDOWN": 100, "ENETUNREACH": 101, "ENETRESET": 102,
        "ECONNABORTED": 103, "ECONNRESET": 104, "ENOBUFS": 105, "EISCONN": 106, "ENOTCONN": 107,
        "ESHUTDOWN": 108, "ETIMEDOUT": 110, "ECONNREFUSED": 111, "EHOSTDOWN": 112, "EHOSTUNREACH": 113,
        "EALREADY": 114, "EINPROGRESS": 115, "EPROTO": 71,
    ]

    static func errnoName(_ value: Int64) -> String {
        if value == 11 { return "EAGAIN" }
        return errno.first { $0.value == value }?.key ?? "errno \(value)"
    }

    /// strerror() texts, for messages.
    static let errnoText: [String: String] = [
        "EAGAIN": "Resource temporarily unavailable", "EBADF": "Bad file descriptor", "EINVAL": "Invalid argument",
        "EPIPE": "Broken pipe", "ECONNREFUSED": "Connection refused", "ECONNRESET": "Connection reset by peer",
        "ETIMEDOUT": "Connection timed out", "EINPROGRESS": "Operation now in progress",
        "EALREADY": "Operation already in progress", "EISCONN": "Transport endpoint is already connected",
        "ENOTCONN": "Transport endpoint is not connected", "EADDRINUSE": "Address already in use",
        "EADDRNOTAVAIL": "Cannot assign requested address", "ECONNABORTED": "Software caused connection abort",
        "ENOPROTOOPT": "Protocol not available", "EOPNOTSUPP": "Operation not supported",
    ]

    static let constants: [String: Int64] = [
        "NULL": 0,
        "AF_UNSPEC": 0, "AF_INET": 2, "AF_INET6": 10, "PF_INET": 2, "PF_INET6": 10,
        "SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_RAW": 3, "SOCK_NONBLOCK": 0x800, "SOCK_CLOEXEC": 0x80000,
        "IPPROTO_IP": 0, "IPPROTO_TCP": 6, "IPPROTO_UDP": 17, "IPPROTO_IPV6": 41,
        "SOL_SOCKET": 1, "SOL_TCP": 6, "SOL_IP": 0, "SOL_IPV6": 41,
        "SO_DEBUG": 1, "SO_REUSEADDR": 2, "SO_TYPE": 3, "SO_ERROR": 4, "SO_DONTROUTE": 5, "SO_BROADCAST": 6,
        "SO_SNDBUF": 7, "SO_RCVBUF": 8, "SO_KEEPALIVE": 9, "SO_OOBINLINE": 10, "SO_LINGER": 13,
        "SO_REUSEPORT": 15, "SO_RCVLOWAT": 18, "SO_SNDLOWAT": 19, "SO_RCVTIMEO": 20, "SO_SNDTIMEO": 21,
        "TCP_NODELAY": 1, "TCP_MAXSEG": 2, "TCP_CORK": 3, "TCP_KEEPIDLE": 4, "TCP_KEEPINTVL": 5,
        "TCP_KEEPCNT": 6, "TCP_SYNCNT": 7, "TCP_LINGER2": 8, "TCP_DEFER_ACCEPT": 9, "TCP_WINDOW_CLAMP": 10,
        "TCP_INFO": 11, "TCP_QUICKACK": 12, "TCP_CONGESTION": 13, "TCP_USER_TIMEOUT": 18,
        "TCP_FASTOPEN": 23, "TCP_NOTSENT_LOWAT": 25,
        "TCP_FASTOPEN_CONNECT": 30, "TCP_FASTOPEN_KEY": 33, "TCP_FASTOPEN_NO_COOKIE": 34, "MSG_FASTOPEN": 0x2000_0000, "TCPI_OPT_SYN_DATA": 32,
        "F_DUPFD": 0, "F_GETFD": 1, "F_SETFD": 2, "F_GETFL": 3, "F_SETFL": 4,
        "O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2, "O_NONBLOCK": 0x800, "O_NDELAY": 0x800,
        "SHUT_RD": 0, "SHUT_WR": 1, "SHUT_RDWR": 2,
        "POLLIN": 0x1, "POLLPRI": 0x2, "POLLOUT": 0x4, "POLLERR": 0x8, "POLLHUP": 0x10, "POLLNVAL": 0x20,
        "POLLRDNORM": 0x40, "POLLRDBAND": 0x80, "POLLWRNORM": 0x100, "POLLWRBAND": 0x200, "POLLRDHUP": 0x2000,
        "MSG_OOB": 0x1, "MSG_PEEK": 0x2, "MSG_DONTROUTE": 0x4, "MSG_TRUNC": 0x20, "MSG_DONTWAIT": 0x40,
        "MSG_EOR": 0x80, "MSG_WAITALL": 0x100, "MSG_NOSIGNAL": 0x4000, "MSG_MORE": 0x8000,
        "FIONREAD": 0x541B, "SIOCINQ": 0x541B, "SIOCOUTQ": 0x5411, "SIOCATMARK": 0x8905,
        "IP_TOS": 1, "IPV6_TCLASS": 67,
    ]

    /// The errno a failed engine call maps to (Linux's choice for the socket call).
    static func errno(for e: TCPError) -> String {
        switch e {
        case .invalidHandle: "EBADF"
        case .unreachable(let n): n.errnoName
        case .addressInUse: "EADDRINUSE"
        case .addressNotAvailable: "EADDRNOTAVAIL"
        case .noEphemeralPort: "EADDRNOTAVAIL"
        case .connectionRefused: "ECONNREFUSED"
        case .connectionReset: "ECONNRESET"
        case .timedOut: "ETIMEDOUT"
        case .connectionAborted: "ECONNABORTED"
        case .connectionClosing: "EPIPE"
        case .notConnected: "ENOTCONN"
        case .invalidArgument: "EINVAL"
        case .invalidDestination: "ENETUNREACH"
        }
    }
}

/// What an expression evaluates to when a call needs a number.
enum EvalError: Error {
    case unknownSymbol(String)
    case notAnInteger(String)
}

extension Expression {
    /// The integer value of a number, a known symbol, or `a|b`.
    func integerValue() throws(EvalError) -> Int64 {
        switch self {
        case .integer(let v): return v
        case .word(let w):
            if let v = Symbols.constants[w] ?? Symbols.callConstants[w] ?? Symbols.errno[w] ?? Symbols.errorQueueConstants[w] { return v }
            throw .unknownSymbol(w)
        case let .binary("|", l, r): return try l.integerValue() | r.integerValue()
        case .call("htons", let args) where args.count == 1: return try args[0].integerValue()
        case .list(let xs) where xs.count == 1: return try xs[0].integerValue()
        default: throw .notAnInteger(description)
        }
    }

    var isEllipsis: Bool { if case .ellipsis = self { true } else { false } }

    /// `{name=value, ...}` fields by name.
    var fields: [String: Expression]? {
        guard case .braces(let xs) = self else { return nil }
        var out: [String: Expression] = [:]
        for x in xs {
            guard case let .binary("=", .word(n), v) = x else { return nil }
            out[n] = v
        }
        return out
    }
}
