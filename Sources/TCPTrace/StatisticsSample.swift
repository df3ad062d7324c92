import TCPCore

/// One snapshot of a connection's statistics (the engine's `TCPInfo`) at an instant of the run:
/// what the plots of `--format html` draw (congestion window, smoothed RTT, bytes in flight over
/// time). Unlike a `Timeline.Kind.info` entry it says which of the host's connections it is, so
/// a host with two connections (TIME-WAIT reuse) gets two series.
public struct StatisticsSample: Sendable, Hashable {
    public var time: Instant
    /// The host whose connection this is.
    public var host: String
    /// Which of the host's connections (one series per host and connection).
    public var connection: ConnectionID
    public var info: TCPInfo

    public init(time: Instant, host: String, connection: ConnectionID, info: TCPInfo) {
        self.time = time
        self.host = host
        self.connection = connection
        self.info = info
    }

    public var state: TCPState { info.state }
    /// Congestion window in bytes (RFC 5681 §2).
    public var cwnd: Int { info.cwnd }
    /// Smoothed round-trip time (RFC 6298 §2), nil before the first measurement.
    public var srtt: Duration? { info.srtt }
    /// Sequence space sent and not yet acknowledged (RFC 9293 §3.3.1).
    public var bytesInFlight: Int { info.bytesInFlight }
}

extension Timeline {
    /// Adds a sample unless its statistics equal the last one's of its connection (so that a long
    /// idle stretch costs nothing). Returns whether it was kept.
    @discardableResult
    public mutating func appendSample(_ s: StatisticsSample) -> Bool {
        if let last = samples.last(where: { $0.host == s.host && $0.connection == s.connection }), last.info == s.info {
            return false
        }
        samples.append(s)
        return true
    }

    /// The samples grouped into series, one per host and connection, in order of first appearance.
    public var sampleSeries: [(host: String, connection: ConnectionID, samples: [StatisticsSample])] {
        var order: [String] = []
        var byKey: [String: (String, ConnectionID, [StatisticsSample])] = [:]
        for s in samples {
            let key = "\(s.host)#\(s.connection)"
            if byKey[key] == nil { order.append(key); byKey[key] = (s.host, s.connection, []) }
            byKey[key]!.2.append(s)
        }
        return order.map { byKey[$0]! }
    }
}
