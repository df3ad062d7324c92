/// One thing the engine did, for tools and tests (`pollTrace`, only with `configuration.trace`).
public struct TraceRecord: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case state(from: TCPState, to: TCPState)
        case send(SegmentSummary)
        case receive(SegmentSummary)
        case drop(DropReason, SegmentSummary?)
        case timer(TimerKind)
        case event(TCPEvent)
        /// A snapshot of the connection's statistics: when it reaches CLOSED, and whenever a
        /// driver asks (`traceInfo(of:now:)`).
        indirect case info(TCPInfo)
    }
    public var time: Instant
    public var connection: ConnectionID?
    public var kind: Kind
}
