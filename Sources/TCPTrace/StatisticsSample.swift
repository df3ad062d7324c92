import TCPCore

/// One snapshot of a connection's statistics at an instant of the run: what the plots of
/// `--format html` draw (congestion window, smoothed RTT, bytes in flight over time).
public struct StatisticsSample: Sendable, Hashable {
    public var time: Instant
    /// The host whose connection this is.
    public var host: String
    /// Which of the host's connections (one series per host and connection).
    public var connection: ConnectionID
    public var state: TCPState
    /// Congestion window in bytes (RFC 5681 §2).
    public var cwnd: Int
    /// Slow-start threshold in bytes.
    public var ssthresh: Int
    /// Smoothed round-trip time (RFC 6298 §2), nil before the first measurement.
    public var srtt: Duration?
    /// Retransmission timeout in force.
    public var rto: Duration
    /// Sequence space sent and not yet acknowledged: SND.NXT − SND.UNA (RFC 9293 §3.3.1).
    public var bytesInFlight: Int
    /// The peer's advertised window, SND.WND.
    public var sendWindow: Int

    public init(time: Instant, host: String, connection: ConnectionID, state: TCPState, cwnd: Int, ssthresh: Int,
                srtt: Duration?, rto: Duration, bytesInFlight: Int, sendWindow: Int) {
        self.time = time
        self.host = host
        self.connection = connection
        self.state = state
        self.cwnd = cwnd
        self.ssthresh = ssthresh
        self.srtt = srtt
        self.rto = rto
        self.bytesInFlight = bytesInFlight
        self.sendWindow = sendWindow
    }

    /// A sample from the engine's snapshot of a connection.
    public init(time: Instant, host: String, connection: ConnectionID, info: ConnectionInfo) {
        self.init(time: time, host: host, connection: connection, state: info.state, cwnd: info.cwnd,
                  ssthresh: info.ssthresh, srtt: info.srtt, rto: info.rto,
                  bytesInFlight: Int(info.sndNxt.rawValue &- info.sndUna.rawValue), sendWindow: Int(info.sndWnd))
    }

    /// Same values, whatever the time: a sample that repeats the previous one is not kept.
    func sameValues(as other: StatisticsSample) -> Bool {
        state == other.state && cwnd == other.cwnd && ssthresh == other.ssthresh && srtt == other.srtt
            && rto == other.rto && bytesInFlight == other.bytesInFlight && sendWindow == other.sendWindow
    }
}

extension Timeline {
    /// Adds a sample unless it repeats the last one of its connection (so that a long idle stretch
    /// costs nothing). Returns whether it was kept.
    @discardableResult
    public mutating func appendSample(_ s: StatisticsSample) -> Bool {
        if let last = samples.last(where: { $0.host == s.host && $0.connection == s.connection }), last.sameValues(as: s) {
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
