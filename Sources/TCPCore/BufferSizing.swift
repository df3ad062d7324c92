/// How a connection's send or receive buffer is sized (`TCPConfiguration.sendBuffer`,
/// `receiveBuffer`).
public enum BufferSizing: Sendable, Hashable {
    /// Always this many bytes (as a buffer set with SO_RCVBUF/SO_SNDBUF is on Linux).
    case fixed(Int)
    /// Starts at `initial` bytes and grows with what the connection needs, up to `maximum`
    /// (TCPStack+BufferTuning.swift; Linux's tcp_rmem/tcp_wmem default and maximum).
    case autoTuned(initial: Int, maximum: Int)

    /// The size a connection's buffer starts at.
    public var initial: Int {
        switch self {
        case .fixed(let n): n
        case .autoTuned(let initial, _): initial
        }
    }
    /// The most the buffer may grow to.
    public var maximum: Int {
        switch self {
        case .fixed(let n): n
        case .autoTuned(let initial, let maximum): max(initial, maximum)
        }
    }
    public var isAutoTuned: Bool {
        if case .autoTuned = self { true } else { false }
    }
}
