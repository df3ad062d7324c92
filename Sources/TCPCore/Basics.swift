import TCPWire

/// A point in time handed to the engine by its driver. The engine never reads a clock itself.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64
    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static let zero = Instant(nanoseconds: 0)
    @inlinable public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: Instant, d: Duration) -> Instant {
        Instant(nanoseconds: a.nanoseconds &+ d.nanoseconds)
    }
    @inlinable public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds - b.nanoseconds) }
    public static func seconds(_ s: Double) -> Instant { Instant(nanoseconds: Int64((s * 1e9).rounded())) }
    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var description: String { "\(seconds)s" }
}

extension Duration {
    /// Whole nanoseconds (saturating).
    @inlinable public var nanoseconds: Int64 {
        let (s, atto) = components
        let (m, o) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if o { return s < 0 ? .min : .max }
        return m &+ atto / 1_000_000_000
    }
    @inlinable static func nanos(_ n: Int64) -> Duration { .nanoseconds(n) }
}

/// The eleven connection states of RFC 9293 §3.3.2, printed exactly as the RFC spells them.
public enum TCPState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case closed = "CLOSED"
    case listen = "LISTEN"
    case synSent = "SYN-SENT"
    case synReceived = "SYN-RECEIVED"
    case established = "ESTABLISHED"
    case finWait1 = "FIN-WAIT-1"
    case finWait2 = "FIN-WAIT-2"
    case closeWait = "CLOSE-WAIT"
    case closing = "CLOSING"
    case lastAck = "LAST-ACK"
    case timeWait = "TIME-WAIT"

    public var description: String { rawValue }

    /// States after the handshake has completed (RFC 9293 §3.10.7.4 "synchronized states").
    public var isSynchronized: Bool {
        switch self {
        case .closed, .listen, .synSent, .synReceived: false
        default: true
        }
    }
}

/// A handle to a connection: a slot index and the generation of the slot when it was handed out,
/// so a stale handle can never reach a newer connection that reuses the slot.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let index: UInt32
    public let generation: UInt32
    public var description: String { "c\(index).\(generation)" }
}

/// A handle to a listening endpoint.
public struct ListenerID: Hashable, Sendable, CustomStringConvertible {
    public let index: UInt32
    public let generation: UInt32
    public var description: String { "l\(index).\(generation)" }
}

/// Errors returned by the stack's API. Peer misbehaviour never traps: it is a drop or one of these.
public enum TCPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The handle does not name a live connection or listener (released, or never ours).
    case invalidHandle
    /// Another listener or connection already uses this local address and port.
    case addressInUse
    /// No local address of the right IP version is configured, or the address is not ours.
    case addressNotAvailable
    /// Every ephemeral port for this destination is in use.
    case noEphemeralPort
    /// The peer answered our SYN with RST (RFC 9293 §3.10.7.3).
    case connectionRefused
    /// The peer reset the connection.
    case connectionReset
    /// The retransmission limit ran out (RFC 9293 §3.8.3, RFC 1122 §4.2.3.5).
    case timedOut
    /// The connection was aborted locally.
    case connectionAborted
    /// SEND after this side's FIN (RFC 9293 §3.10.2: "connection closing").
    case connectionClosing
    /// The connection is not yet established or already gone where the call needs it.
    case notConnected
    /// The call does not fit the handle's state (e.g. closing twice, a negative backlog).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .invalidHandle: "invalid handle"
        case .addressInUse: "address in use"
        case .addressNotAvailable: "address not available"
        case .noEphemeralPort: "no ephemeral port available"
        case .connectionRefused: "connection refused"
        case .connectionReset: "connection reset by peer"
        case .timedOut: "connection timed out"
        case .connectionAborted: "connection aborted"
        case .connectionClosing: "connection closing"
        case .notConnected: "not connected"
        case .invalidArgument(let s): "invalid argument: \(s)"
        }
    }
}

/// Why a connection was reset.
public enum ResetReason: String, Sendable, Hashable {
    /// RST in answer to our SYN: nobody listens there.
    case refused
    /// The peer sent an acceptable RST in a synchronized state.
    case peerReset = "peer-reset"
    /// We aborted (user ABORT, close with unread data, or data after close).
    case localAbort = "local-abort"
}

/// What the application learns from the stack (`pollEvent`).
public enum TCPEvent: Hashable, Sendable {
    /// A listener has a connection ready to `accept`.
    case connectionAvailable(ListenerID)
    /// The handshake completed (active or passive side).
    case established(ConnectionID)
    /// New data can be received.
    case readable(ConnectionID)
    /// Send buffer space opened up after the buffer had been full.
    case writable(ConnectionID)
    /// The peer's FIN arrived: after the buffered data, the stream ends.
    case peerClosed(ConnectionID)
    /// The connection was reset.
    case reset(ConnectionID, ResetReason)
    /// The retransmission or SYN retry limit ran out.
    case timedOut(ConnectionID)
    /// The connection reached CLOSED through the normal close sequence.
    case closed(ConnectionID)
}

/// Timers of a connection (RFC 9293 §3.8, RFC 6298).
public enum TimerKind: String, Sendable, Hashable, CaseIterable {
    case retransmit
    case persist
    case timeWait = "time-wait"
    case finWait2 = "fin-wait-2"
    /// The delayed-ACK timer (RFC 9293 §3.8.6.3): an ACK held back goes out.
    case delayedACK = "delayed-ack"
    /// The keep-alive timer (RFC 9293 §3.8.4): idle time or a probe interval has passed.
    case keepAlive = "keep-alive"
    /// The user timeout (RFC 9293 §3.8.3, RFC 5482): data stayed unacknowledged too long.
    case userTimeout = "user-timeout"
    /// RACK's reordering timer (RFC 8985 §6.3).
    case reorder
    /// The tail loss probe timer (RFC 8985 §7.2).
    case lossProbe = "loss-probe"
}

/// Why the stack did not use a segment (or part of one). Counted per reason and traced:
/// "why did it ignore my packet?" is the first question every user asks.
public enum DropReason: String, Sendable, Hashable, CaseIterable {
    case malformed                       // TCPWire could not parse it (see wireErrors counters)
    case badChecksum = "bad-checksum"
    case notOurAddress = "not-our-address"
    case noConnection = "no-connection"  // §3.10.7.1: answered with RST unless it was one
    case listenRST = "listen-rst"        // §3.10.7.2 first: RST to a listener is ignored
    case listenACK = "listen-ack"        // §3.10.7.2 second: ACK to a listener gets RST
    case listenNoSYN = "listen-no-syn"   // §3.10.7.2 fourth, other text or control
    case backlogFull = "backlog-full"
    case synCookieInvalid = "syn-cookie-invalid"  // RFC 4987 §3.6: an ACK in LISTEN whose cookie is not ours; answered with RST
    case synCookieExpired = "syn-cookie-expired"  // a cookie of ours, too old; answered with RST
    case acceptQueueFull = "accept-queue-full"
    case synSentBadACK = "syn-sent-bad-ack"      // §3.10.7.3 first
    case synSentRSTWithoutACK = "syn-sent-rst-without-ack" // §3.10.7.3 second
    case synSentNoSYN = "syn-sent-no-syn"        // §3.10.7.3 fifth
    case unacceptableSequence = "unacceptable-sequence"    // §3.10.7.4 first check
    case rstOutOfWindow = "rst-out-of-window"
    case rstChallenged = "rst-challenged"        // RFC 5961 §3.2
    case rstInTimeWait = "rst-in-time-wait"      // RFC 1337
    case synChallenged = "syn-challenged"        // RFC 5961 §4.2
    case noACKFlag = "no-ack-flag"               // §3.10.7.4 fifth: ACK bit off
    case badACKInSynReceived = "bad-ack-in-syn-received"
    case ackOfUnsentData = "ack-of-unsent-data"  // RFC 5961 §5.2
    case ackTooOld = "ack-too-old"               // RFC 5961 §5.2
    case challengeACKRateLimited = "challenge-ack-rate-limited" // RFC 5961 §7
    case outOfOrder = "out-of-order"             // past a gap, and no reassembly range left to keep it
    case beyondWindow = "beyond-window"          // the part of a segment past RCV.WND
    case textAfterFIN = "text-after-fin"         // §3.10.7.4 seventh, CLOSE-WAIT and later
    case synDataIgnored = "syn-data-ignored"     // data on a SYN is not queued
    case dataAfterClose = "data-after-close"     // RFC 1122 §4.2.2.13: answered with RST
    case paws                                    // RFC 7323 §5.3 R1: TSval older than TS.Recent; answered with ACK
    case missingTimestamp = "missing-timestamp"  // RFC 7323 §3.2: no TSopt after it was negotiated
}

/// A segment as the trace shows it.
public struct SegmentSummary: Hashable, Sendable {
    public var source: SocketAddress
    public var destination: SocketAddress
    public var sequenceNumber: SequenceNumber
    public var acknowledgmentNumber: SequenceNumber
    public var flags: TCPFlags
    public var window: UInt16
    public var payloadLength: Int
    public var options: TCPOptions

    public init(source: SocketAddress, destination: SocketAddress, header: TCPHeader, payloadLength: Int) {
        self.source = source
        self.destination = destination
        sequenceNumber = header.sequenceNumber
        acknowledgmentNumber = header.acknowledgmentNumber
        flags = header.flags
        window = header.window
        self.payloadLength = payloadLength
        options = header.options
    }

    /// SEG.LEN: payload plus one for SYN and one for FIN (RFC 9293 §3.4).
    public var segmentLength: Int {
        payloadLength + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}

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
