/// Per-connection counters kept in the TCB, the raw material of `TCPInfo` (Linux's `tcp_info`).
/// Plain integers updated on the paths that already touch the TCB: 32 bits where a count cannot
/// plausibly wrap in a connection's life, 64 bits for byte counts. About 100 bytes per TCB.
struct ConnectionCounters {
    var bytesSent: UInt64 = 0
    var bytesRetransmitted: UInt64 = 0
    var bytesAcked: UInt64 = 0
    var bytesReceived: UInt64 = 0
    /// Bytes the peer SACKed, each counted once, when first SACKed (see `TCPInfo.sackedBytes`).
    var bytesSACKed: UInt64 = 0
    /// Delivery-rate sampling: the interval started at `rateStart` with `bytesAcked` at `rateBytes`.
    var rateStart = Instant.zero
    var rateBytes: UInt64 = 0
    /// The last completed sample, bytes per second.
    var deliveryRate: UInt64 = 0
    var segmentsSent: UInt32 = 0
    var segmentsReceived: UInt32 = 0
    var segmentsRetransmitted: UInt32 = 0
    var outOfOrderSegments: UInt32 = 0
    var duplicateACKs: UInt32 = 0
    var windowProbes: UInt32 = 0
    var keepAliveProbes: UInt32 = 0
    var delayedACKs: UInt32 = 0
    /// Segments the peer acknowledged (Linux's tp->delivered): our SYN or SYN-ACK counts one
    /// (with any data it carried), then each cumulatively acknowledged range counts its bytes in
    /// send-MSS units, rounded up.
    var segmentsDelivered: UInt32 = 0

    /// A new transmission from an idle connection starts a new delivery-rate interval, so that
    /// time the application spent sending nothing does not dilute the rate.
    mutating func restartRateInterval(_ now: Instant) {
        rateStart = now
        rateBytes = bytesAcked
    }

    /// After new data is acknowledged: closes the interval once it spans at least one smoothed RTT
    /// (at least 1 ms), and starts the next.
    mutating func sampleDeliveryRate(_ now: Instant, srtt: Int64?) {
        let elapsed = now.nanoseconds - rateStart.nanoseconds
        guard elapsed >= max(srtt ?? 0, 1_000_000) else { return }
        let bytes = bytesAcked &- rateBytes
        deliveryRate = UInt64((Double(bytes) * 1e9 / Double(elapsed)).rounded())
        rateStart = now
        rateBytes = bytesAcked
    }
}
