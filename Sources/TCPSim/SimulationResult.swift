import TCPCore
import TCPTrace
import TCPWire

/// One direction of a transfer.
public struct DirectionResult: Sendable {
    public var from: String
    public var to: String
    /// Bytes the sender had to send.
    public var bytes: Int
    /// Bytes the sender's stack took.
    public var written = 0
    /// Bytes the receiver read.
    public var delivered = 0
    /// The receiver saw the end of the stream (the sender's FIN) after the last byte.
    public var endOfStream = false
    public var sha256Sent = ""
    public var sha256Received = ""
    /// Offset of the first byte that differed from what was sent (nil: none did).
    public var firstMismatch: Int? = nil
    /// When the first byte was written and the last one read.
    public var startedAt: Instant? = nil
    public var finishedAt: Instant? = nil
    /// (time, bytes read so far) at each read.
    public var progress: [(time: Instant, bytes: Int)] = []

    /// Every byte arrived once, in order, and the digests match.
    public var intact: Bool {
        delivered == bytes && endOfStream && firstMismatch == nil && sha256Sent == sha256Received && !sha256Sent.isEmpty
    }

    /// Bytes read × 8 over the time from the first byte written to the last byte read.
    public var goodputBitsPerSecond: Double {
        guard let s = startedAt, let f = finishedAt, f > s else { return 0 }
        return Double(delivered) * 8 / (f.seconds - s.seconds)
    }

    /// Goodput once the flow is steady: from the moment `fraction` of the bytes (default half) had arrived to
    /// the last byte (slow start is over by then on any link the tests use).
    public func steadyGoodputBitsPerSecond(after fraction: Double = 0.5) -> Double {
        guard let last = progress.last, let first = progress.first(where: { Double($0.bytes) >= fraction * Double(bytes) }),
              last.time > first.time else { return 0 }
        return Double(last.bytes - first.bytes) * 8 / (last.time.seconds - first.time.seconds)
    }
}

/// What a simulation found.
public struct SimulationResult: Sendable {
    public var seed: UInt64
    public var directions: [DirectionResult]
    /// When the transfer was over: the last byte and FIN read and both applications closed.
    public var completedAt: Instant?
    /// When the run stopped (both stacks empty after TIME-WAIT, or the liveness bound).
    public var endedAt: Instant
    /// The state each side's connection ended in (CLOSED once the stack has let it go).
    public var finalStates: [String: TCPState]
    /// Errors the applications saw (`connection timed out`...).
    public var errors: [String: TCPError]
    /// Connections each stack still holds at the end (leaks if nonzero).
    public var connectionsLeft: [String: Int]
    /// Everything each stack still holds at the end (`TCPStack.resources`; a leak unless only
    /// the server's listener).
    public var resourcesLeft: [String: StackResources]
    public var retransmittedSegments: Int
    public var statistics: [String: TCPStatistics]
    public var link: [String: LinkCounters]
    /// The statistics samples of both connections, in time order (`SimulationOptions.sampling`).
    public var samples: [StatisticsSample]
    /// Each side's connection statistics when its application closed it (`tcp_info`).
    public var finalInfo: [String: TCPInfo]
    /// Why the run failed (empty: it passed).
    public var failures: [String]
    /// What went wrong without breaking safety or liveness (a reset after all data arrived).
    public var notes: [String]

    public var intact: Bool { directions.allSatisfy(\.intact) }
    public var passed: Bool { failures.isEmpty }
    public var simulatedSeconds: Double { (completedAt ?? endedAt).seconds }
    public var goodputBitsPerSecond: Double { directions.map(\.goodputBitsPerSecond).reduce(0, +) }
}
