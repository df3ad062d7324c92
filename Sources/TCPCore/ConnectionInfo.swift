import TCPWire

/// Deadlines of a connection's timers.
public struct TimerDeadlines: Sendable, Hashable {
    public var retransmit: Instant?
    public var persist: Instant?
    public var timeWait: Instant?
    public var finWait2: Instant?
}

/// A snapshot of one connection's TCB.
public struct ConnectionInfo: Sendable, Hashable {
    public var state: TCPState
    public var local: SocketAddress
    public var remote: SocketAddress
    public var iss: SequenceNumber
    public var irs: SequenceNumber
    public var sndUna: SequenceNumber
    public var sndNxt: SequenceNumber
    public var sndWnd: UInt32
    public var rcvNxt: SequenceNumber
    public var rcvWnd: UInt32
    public var sendMSS: Int
    public var rto: Duration
    public var srtt: Duration?
    public var cwnd: Int
    public var ssthresh: Int
    public var bytesBuffered: Int
    public var bytesReadable: Int
    public var retries: Int
    public var error: TCPError?
    public var timers: TimerDeadlines
    /// RFC 7323 §2: the shift counts in use, nil unless both SYNs carried the window scale option.
    public var windowShifts: WindowShifts? = nil
    /// RFC 7323 §3: both SYNs carried the timestamps option.
    public var timestamps = false
    /// RFC 2018 §2: both SYNs carried SACK-permitted.
    public var sackPermitted = false
    /// When a segment last arrived (Linux's `tcpi_last_data_recv` counts from it).
    public var lastReceivedAt: Instant = .zero
    /// The last soft error not yet read with `TCPStack.takeSoftError` (TCPStack+ICMP.swift).
    public var softError: NetworkError? = nil
}

/// Window scale shift counts (RFC 7323 §2.2): the peer's windows are shifted left by `send`, ours
/// right by `receive`.
public struct WindowShifts: Sendable, Hashable {
    public var send: UInt8
    public var receive: UInt8
    public init(send: UInt8, receive: UInt8) { self.send = send; self.receive = receive }
}
