import TCPCore

/// A snapshot of a stack's counters.
public struct NetworkStatistics: Sendable, Hashable {
    public var driver: DriverStatistics
    /// The engine's counters (segments, drops by reason, retransmissions...).
    public var tcp: TCPStatistics
    /// Connections with a TCB (any state but CLOSED), TIME-WAIT included.
    public var connections: Int
}
